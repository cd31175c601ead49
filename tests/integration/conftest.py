"""Fixtures for the integration tests: the built binaries, a busybox root
filesystem with the probe in it, and bundles made from `kapsel-runtime spec`.

Every test gets its own state root (--root), so tests can run in parallel and
a leak of one test (a state dir, a cgroup, a process) is seen by its own
teardown check."""
import json
import os
import subprocess
import tempfile
import uuid

import pytest

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BUILD = os.environ.get("KAPSEL_BUILD", os.path.join(REPO, "build"))
RUNTIME = os.path.join(BUILD, "src", "runtime", "kapsel-runtime")
PROBE = os.path.join(BUILD, "tests", "probe")


def cgroup_dirs(path):
    """Every v1/v2 hierarchy directory that exists for a cgroup path."""
    found = []
    base = "/sys/fs/cgroup"
    for h in sorted(os.listdir(base)):
        d = os.path.join(base, h) + path
        if os.path.isdir(d):
            found.append(d)
    return found


class Result:
    def __init__(self, p):
        self.rc = p.returncode
        self.out = p.stdout
        self.err = p.stderr

    def json(self):
        return json.loads(self.out)

    def __repr__(self):
        return f"rc={self.rc} out={self.out[-2000:]!r} err={self.err[-2000:]!r}"


class Runtime:
    def __init__(self, root, binary=RUNTIME):
        self.root = root
        self.binary = binary

    def cmd(self, *args, glob=(), **kw):
        return [self.binary, "--root", self.root, *glob, *args]

    def __call__(self, *args, input=None, timeout=60, glob=(), check=False, **kw):
        # stdio goes to files, not pipes: a created or detached container
        # keeps its stdio open after the runtime has exited
        with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
            p = subprocess.run(self.cmd(*args, glob=glob), input=input, stdout=out, stderr=err,
                               text=True, timeout=timeout, **kw)
            out.seek(0)
            err.seek(0)
            p.stdout = out.read().decode(errors="replace")
            p.stderr = err.read().decode(errors="replace")
        r = Result(p)
        if check:
            assert r.rc == 0, r
        return r

    def popen(self, *args, glob=(), **kw):
        return subprocess.Popen(self.cmd(*args, glob=glob), **kw)

    def state(self, cid):
        r = self("state", cid)
        assert r.rc == 0, r
        return r.json()

    def ids(self):
        if not os.path.isdir(self.root):
            return []
        return sorted(d for d in os.listdir(self.root) if not d.startswith(".") and d != "seccomp-cache")


class Bundle:
    def __init__(self, path, rootfs, runtime):
        self.path = str(path)
        self.runtime = runtime
        os.makedirs(self.path, exist_ok=True)
        r = runtime("spec", "--bundle", self.path)
        assert r.rc == 0, r
        with open(self.config_path) as f:
            self.config = json.load(f)
        self.config["root"]["path"] = rootfs
        self.id = "t" + uuid.uuid4().hex[:12]

    @property
    def config_path(self):
        return os.path.join(self.path, "config.json")

    def args(self, *a):
        self.config["process"]["args"] = list(a)
        return self

    def write(self):
        with open(self.config_path, "w") as f:
            json.dump(self.config, f, indent=1)
        return self

    def run(self, *extra, **kw):
        self.write()
        return self.runtime("run", "--bundle", self.path, *extra, self.id, **kw)

    def create(self, *extra, **kw):
        self.write()
        return self.runtime("create", "--bundle", self.path, *extra, self.id, **kw)

    def probe(self, *a, **kw):
        """Run the probe as the container's program, return its JSON."""
        self.args("/bin/probe", *a)
        r = self.run(**kw)
        assert r.out, r
        return r, json.loads(r.out)


@pytest.fixture(scope="session")
def rootfs(tmp_path_factory):
    d = tmp_path_factory.mktemp("rootfs") / "rootfs"
    subprocess.run(["sh", os.path.join(REPO, "tests", "fixtures", "mkrootfs.sh"), str(d), PROBE], check=True)
    return str(d)


@pytest.fixture
def runtime(tmp_path):
    rt = Runtime(str(tmp_path / "state"))
    yield rt
    # nothing may be left behind: delete what a failing test left, then
    # check that no container of this root still has a cgroup
    for cid in rt.ids():
        rt("delete", "--force", cid)
        assert not cgroup_dirs("/kapsel/" + cid), f"cgroup of {cid} left behind"
    assert rt.ids() == [], "state left behind"


@pytest.fixture
def bundle(tmp_path, rootfs, runtime):
    return Bundle(tmp_path / "bundle", rootfs, runtime)


@pytest.fixture
def make_bundle(tmp_path, rootfs, runtime):
    n = [0]

    def make(rootfs_path=None):
        n[0] += 1
        return Bundle(tmp_path / f"bundle{n[0]}", rootfs_path or rootfs, runtime)
    return make


def wait_exit(pid, timeout=30):
    """Wait for a process that is not our child to exit (pidfd: an event,
    not a poll loop).  Returns False on timeout."""
    import select
    try:
        fd = os.pidfd_open(pid)
    except ProcessLookupError:
        return True
    try:
        return bool(select.select([fd], [], [], timeout)[0])
    finally:
        os.close(fd)


def wait_file(path, timeout=30):
    """Wait until PATH exists, with inotify on its directory (Linux)."""
    import ctypes
    import select
    d, name = os.path.split(str(path))
    libc = ctypes.CDLL(None, use_errno=True)
    fd = libc.inotify_init1(os.O_CLOEXEC)
    IN_CREATE, IN_MOVED_TO, IN_CLOSE_WRITE = 0x100, 0x80, 0x8
    libc.inotify_add_watch(fd, d.encode(), IN_CREATE | IN_MOVED_TO | IN_CLOSE_WRITE)
    try:
        while not os.path.exists(path):
            if not select.select([fd], [], [], timeout)[0]:
                return False
            os.read(fd, 65536)
        return True
    finally:
        os.close(fd)


def cgroup_procs(cid, controller="pids"):
    dirs = [d for d in cgroup_dirs("/kapsel/" + cid) if f"/{controller}/" in d]
    if not dirs:
        return []
    return [int(p) for p in open(dirs[0] + "/cgroup.procs").read().split()]
