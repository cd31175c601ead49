"""Fixtures for the integration tests: the built binaries, a busybox root
filesystem with the probe in it, and bundles made from `kapsel-runtime spec`.

Every test gets its own state root (--root), so tests can run in parallel and
a leak of one test (a state dir, a cgroup, a process) is seen by its own
teardown check."""
import json
import os
import subprocess
import tempfile
import time
import uuid

import pytest

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BUILD = os.environ.get("KAPSEL_BUILD", os.path.join(REPO, "build"))
# KAPSEL_RUNTIME_BIN: run the tests against another build of the runtime
# (scripts/test.sh runs the lifecycle tests against the ASan/UBSan one)
RUNTIME = os.environ.get("KAPSEL_RUNTIME_BIN") or os.path.join(BUILD, "src", "runtime", "kapsel-runtime")
PROBE = os.path.join(BUILD, "tests", "probe")


CGROUP_BASE = "/sys/fs/cgroup"


def _cgroup_layout():
    """The host's cgroup layout, as the runtime detects it: "v2" (cgroup2
    alone at /sys/fs/cgroup), "hybrid" (v1 controllers and a cgroup2 tree
    at /sys/fs/cgroup/unified) or "v1"."""
    fstypes = {}
    with open("/proc/self/mounts") as f:
        for line in f:
            fields = line.split()
            fstypes[fields[1]] = fields[2]
    if fstypes.get(CGROUP_BASE) == "cgroup2":
        return "v2"
    return "hybrid" if fstypes.get(CGROUP_BASE + "/unified") == "cgroup2" else "v1"


CGROUP_LAYOUT = _cgroup_layout()
# the cgroup2 tree: all of /sys/fs/cgroup on v2, a controller-less part on hybrid
UNIFIED = {"v2": CGROUP_BASE, "hybrid": CGROUP_BASE + "/unified"}.get(CGROUP_LAYOUT)
only_v2 = pytest.mark.skipif(CGROUP_LAYOUT != "v2", reason=f"cgroup v2 only (this host is {CGROUP_LAYOUT})")


def cgroup_dirs(path):
    """Every directory of cgroup PATH that exists: one per v1 hierarchy
    (and the cgroup2 tree's) on v1/hybrid, the cgroup2 one on v2."""
    if CGROUP_LAYOUT == "v2":
        return [CGROUP_BASE + path] if os.path.isdir(CGROUP_BASE + path) else []
    found = []
    for h in sorted(os.listdir(CGROUP_BASE)):
        d = os.path.join(CGROUP_BASE, h) + path
        if os.path.isdir(d):
            found.append(d)
    return found


def cgroup_dir(path, controller):
    """The directory holding CONTROLLER's files for cgroup PATH: its v1
    hierarchy's, or on v2 the cgroup's own, where the controller must be
    enabled.  None when the cgroup does not exist."""
    if CGROUP_LAYOUT == "v2":
        d = CGROUP_BASE + path
        if not os.path.isdir(d):
            return None
        with open(d + "/cgroup.controllers") as f:
            assert controller in f.read().split(), f"controller {controller} not enabled for {path}"
        return d
    d = f"{CGROUP_BASE}/{controller}{path}"
    return d if d in cgroup_dirs(path) else None


def cgroup_read(path, controller, name):
    """The text of CONTROLLER's file NAME of cgroup PATH (which must exist)."""
    d = cgroup_dir(path, controller)
    assert d, f"no {controller} cgroup {path}"
    with open(os.path.join(d, name)) as f:
        return f.read()


class Result:
    def __init__(self, p):
        self.rc = p.returncode
        self.out = p.stdout
        self.err = p.stderr

    def json(self):
        return json.loads(self.out)

    def __repr__(self):
        return f"rc={self.rc} out={self.out[-2000:]!r} err={self.err[-2000:]!r}"


# The runtime-feature tests exercise configurations the hardening policy
# would refuse (host namespaces, extra capabilities, shared propagation):
# they run under a policy that enforces nothing and audits everything.
# The policy itself is tested in test_policy.py; the client tests run
# with the built-in policy, as a fresh install does.
_POLICY_DIR = tempfile.mkdtemp(prefix="kapsel-test-policy-")
PERMISSIVE_POLICY = os.path.join(_POLICY_DIR, "permissive.conf")
with open(PERMISSIVE_POLICY, "w") as _f:
    _f.write("[policy]\nenforce = privileged\nwarn = privileged\naudit = restricted\n"
             f"log = {_POLICY_DIR}/decisions.log\nsyslog = no\n")


class Runtime:
    def __init__(self, root, binary=RUNTIME, policy=PERMISSIVE_POLICY):
        self.root = root
        self.binary = binary
        self.policy = policy

    def cmd(self, *args, glob=(), **kw):
        pol = ["--policy", self.policy] if self.policy else []
        return [self.binary, "--root", self.root, *pol, *glob, *args]

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


def _inotify_wait(path, mask, done, timeout):
    """Wait on inotify events MASK of PATH's directory until done()."""
    import ctypes
    import select
    libc = ctypes.CDLL(None, use_errno=True)
    fd = libc.inotify_init1(os.O_CLOEXEC)
    libc.inotify_add_watch(fd, os.path.dirname(str(path)).encode(), mask)
    try:
        while not done():
            if not select.select([fd], [], [], timeout)[0]:
                return False
            os.read(fd, 65536)
        return True
    finally:
        os.close(fd)


def wait_file(path, timeout=30):
    """Wait until PATH exists, with inotify on its directory (Linux)."""
    IN_CREATE, IN_MOVED_TO, IN_CLOSE_WRITE = 0x100, 0x80, 0x8
    return _inotify_wait(path, IN_CREATE | IN_MOVED_TO | IN_CLOSE_WRITE, lambda: os.path.exists(path), timeout)


def wait_for(pred, timeout=30, step=0.05):
    """Poll PRED until it holds (for states no event announces: a wait
    channel, a ps line): True, or False after TIMEOUT seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return True
        time.sleep(step)
    return False


def wait_gone(path, timeout=30):
    """Wait until PATH is removed, with inotify on its directory."""
    IN_DELETE, IN_MOVED_FROM = 0x200, 0x40
    return _inotify_wait(path, IN_DELETE | IN_MOVED_FROM, lambda: not os.path.exists(path), timeout)


def cgroup_procs(cid, controller="pids"):
    d = cgroup_dir("/kapsel/" + cid, controller)
    if not d:
        return []
    with open(d + "/cgroup.procs") as f:
        return [int(p) for p in f.read().split()]


# ---- helpers for test_config.py and test_security.py ----------------------

def copy_rootfs(rootfs, dest):
    """A private copy (cp -a) of the session rootfs that a test may change,
    e.g. to plant symlinks.  Returns its path."""
    subprocess.run(["cp", "-a", str(rootfs), str(dest)], check=True)
    return str(dest)


def procs_mentioning(word):
    """Pids of the processes with WORD as one of their arguments (a
    container's runtime processes carry its id on their command line)."""
    found = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit() or int(pid) == os.getpid():
            continue
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                args = f.read().split(b"\0")
        except OSError:
            continue
        if word.encode() in args:
            found.append(int(pid))
    return found


def leftovers(runtime, cid):
    """What a container left behind: its state dir, cgroups, processes."""
    left = []
    if os.path.exists(os.path.join(runtime.root, cid)):
        left.append("state dir " + os.path.join(runtime.root, cid))
    left += ["cgroup " + d for d in cgroup_dirs("/kapsel/" + cid)]
    left += ["process %d" % p for p in procs_mentioning(cid)]
    return left


def probe_lines(bundle, *cmds, **kw):
    """Run several probe commands, one after the other, in one container.
    A command starting with "/" is run as given, any other is given to
    /bin/probe.  Returns (Result, [one parsed JSON line per command])."""
    script = "; ".join(c if c.startswith("/") else "/bin/probe " + c for c in cmds)
    bundle.args("/bin/sh", "-c", script)
    r = bundle.run(**kw)
    lines = r.out.splitlines()
    assert len(lines) == len(cmds), r
    return r, [json.loads(line) for line in lines]


class HostMounts:
    """Mounts a test makes on the host; all undone (lazily) at teardown."""

    def __init__(self):
        self.targets = []

    def mount(self, source, target, *args):
        cmd = ["mount", *args] + ([source] if source is not None else []) + [str(target)]
        subprocess.run(cmd, check=True)
        if source is not None:
            self.targets.append(str(target))

    def cleanup(self):
        for t in reversed(self.targets):
            subprocess.run(["umount", "-l", t], check=False)
        self.targets = []


@pytest.fixture
def host_mounts():
    hm = HostMounts()
    yield hm
    hm.cleanup()


def run_with_fds(runtime, args, fds, **kw):
    """Run the runtime with extra open fds, as a careless or deliberate
    caller would: FDS maps an fd number (3, 4, ...) to the path opened
    there (O_RDONLY; directories too)."""
    opened = {n: os.open(path, os.O_RDONLY) for n, path in fds.items()}

    def place():
        for n, fd in opened.items():
            os.dup2(fd, n)
    try:
        return runtime(*args, preexec_fn=place, pass_fds=tuple(fds), **kw)
    finally:
        for fd in opened.values():
            os.close(fd)


def run_in_pty(argv, env=None, answer=None):
    """Run ARGV on a new pseudo-terminal, as from an interactive shell.
    ANSWER = (prompt, reply): write REPLY once PROMPT has been seen.
    Returns (exit code, everything the terminal showed)."""
    import pty
    pid, fd = pty.fork()
    if pid == 0:
        try:
            os.execvpe(argv[0], argv, env or os.environ)
        finally:
            os._exit(127)
    out = b""
    while True:
        try:
            chunk = os.read(fd, 4096)
        except OSError:  # EIO: the other side closed
            break
        if not chunk:
            break
        out += chunk
        if answer and answer[0] in out:
            os.write(fd, answer[1])
            answer = None
    os.close(fd)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status), out
