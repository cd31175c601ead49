"""kapsel logs from the outside: containers run detached (kapsel run -d,
held by kapsel-supervise) in a temporary --root, their logs read back as
docker logs shows them: stdout and stderr apart, --tail, -t, --since and
--until, -f ending when the container does, -f through rotations (a small
log_max_size) losing no line, the k8s-file driver, and the drivers that
keep no file."""
import json
import os
import re
import subprocess
import sys

import pytest

from conftest import BUILD, PROBE, REPO, wait_exit

sys.path.insert(0, os.path.join(REPO, "tests", "fixtures", "images"))
import mkrunimage  # noqa: E402

KAPSEL = os.path.join(BUILD, "src", "kapsel", "kapsel")
SUPERVISE = os.environ.get("KAPSEL_SUPERVISE") or os.path.join(BUILD, "src", "supervise", "kapsel-supervise")
CONF = os.path.join(REPO, "data", "kapsel.conf")

pytestmark = pytest.mark.skipif(not os.path.exists(SUPERVISE), reason="kapsel-supervise is not built")


class Kapsel:
    def __init__(self, root, conf=CONF):
        self.root, self.conf = str(root), conf

    def argv(self, *args):
        return [KAPSEL, "--root", self.root, "--config", self.conf, *args]

    def env(self):
        e = dict(os.environ, KAPSEL_SUPERVISE=SUPERVISE)
        e.pop("KAPSEL_POLICY", None)
        return e

    def __call__(self, *args, timeout=60):
        return subprocess.run(self.argv(*args), capture_output=True, env=self.env(), timeout=timeout,
                              stdin=subprocess.DEVNULL)

    def out(self, *args, **kw):
        p = self(*args, **kw)
        assert p.returncode == 0, (args, p.stdout, p.stderr)
        return p.stdout.decode()

    def with_conf(self, tmp_path, **run):
        """The same store with kapsel.conf's [run] keys changed."""
        text = open(CONF).read()
        for k, v in run.items():
            text, n = re.subn(r"^%s = .*$" % k, "%s = %s" % (k, v), text, flags=re.M)
            assert n == 1, k
        path = str(tmp_path / "kapsel.conf")
        with open(path, "w") as f:
            f.write(text)
        return Kapsel(self.root, path)

    def run_done(self, *args):
        """Run detached, wait until it exited; its ID."""
        cid = self.out("run", "-d", "--restart", "no", *args).strip()
        assert self.out("wait", cid) == "0\n"
        return cid


@pytest.fixture(scope="module")
def k(tmp_path_factory):
    base = tmp_path_factory.mktemp("logs")
    rootfs = str(base / "rootfs")
    subprocess.run(["sh", os.path.join(REPO, "tests", "fixtures", "mkrootfs.sh"), rootfs, PROBE], check=True)
    tar = str(base / "plain.tar")
    mkrunimage.oci_image(tar, "kt/plain:1", [mkrunimage.dir_layer(rootfs)], {"Cmd": ["sh"]})
    k = Kapsel(base / "store")
    k.out("load", "-i", tar)
    yield k
    for cid in k.out("ps", "-aq", "--no-trunc").split():
        k("rm", "-f", cid)
    from clients import umount_under
    umount_under(str(base / "store"))


SCRIPT = "echo out1; echo err1 >&2; echo out2; printf 'tab\\there <&>\\n' >&2; printf 'no newline'"


def test_stdout_and_stderr_as_the_container_printed_them(k):
    cid = k.run_done("kt/plain:1", "sh", "-c", SCRIPT)
    p = k("logs", cid)
    assert p.returncode == 0, p.stderr
    assert p.stdout == b"out1\nout2\nno newline"
    assert p.stderr == b"err1\ntab\there <&>\n"
    # by name and by ID prefix too
    name = k.out("inspect", "--format", "{{.Name}}", cid).strip().lstrip("/")
    assert k("logs", name).stdout == p.stdout
    assert k("logs", cid[:12]).stderr == p.stderr


def test_tail(k):
    cid = k.run_done("kt/plain:1", "sh", "-c", "seq 1 10; echo e >&2")
    assert k("logs", "--tail", "3", cid).stdout == b"9\n10\n"
    assert k("logs", "--tail", "3", cid).stderr == b"e\n"
    assert k("logs", "-n", "2", cid).stdout == b"10\n"
    assert k("logs", "-n", "0", cid).stdout == b""
    assert k("logs", "--tail", "all", cid).stdout == b"".join(b"%d\n" % i for i in range(1, 11))
    p = k("logs", "--tail", "many", cid)
    assert p.returncode == 2 and b"--tail" in p.stderr


def test_timestamps(k):
    cid = k.run_done("kt/plain:1", "sh", "-c", "echo a; echo b >&2")
    p = k("logs", "-t", cid)
    assert re.fullmatch(rb"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z a\n", p.stdout), p.stdout
    assert re.fullmatch(rb"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z b\n", p.stderr), p.stderr
    # --details: the attributes the log kept (none here), then a space, as docker
    assert k("logs", "--details", cid).stdout == b" a\n"


def test_since_and_until(k):
    cid = k.run_done("kt/plain:1", "sh", "-c", "echo a; echo b")
    assert k("logs", "--since", "2099-01-01T00:00:00Z", cid).stdout == b""
    assert k("logs", "--since", "-1h", cid).stdout == b""  # an hour from now
    assert k("logs", "--until", "1h", cid).stdout == b""   # an hour ago
    assert k("logs", "--since", "1h", cid).stdout == b"a\nb\n"
    assert k("logs", "--since", "0", "--until", "4102444800", cid).stdout == b"a\nb\n"
    p = k("logs", "--since", "yesterday", cid)
    assert p.returncode == 2 and b"--since" in p.stderr and b"RFC 3339" in p.stderr


def test_follow_ends_when_the_container_exits(k):
    cid = k.out("run", "-d", "--restart", "no", "kt/plain:1", "sh", "-c",
                "echo early; sleep 1; echo late; echo late-err >&2; sleep 1; echo last").strip()
    f = subprocess.Popen(k.argv("logs", "-f", cid), stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=k.env())
    out, err = f.communicate(timeout=60)
    assert f.returncode == 0, err
    assert out == b"early\nlate\nlast\n"
    assert err == b"late-err\n"
    # -f on a container that is done: what there is, then the end
    assert k("logs", "-f", "--tail", "1", cid, timeout=30).stdout == b"last\n"


def test_follow_through_rotation_loses_no_line(k, tmp_path):
    # 60 rotations, all files kept (a reader more than max-file files behind
    # loses lines, as Docker's does)
    small = k.with_conf(tmp_path, log_max_size="4k", log_max_file="100")
    n = 3000
    cid = small.out("run", "-d", "--restart", "no", "kt/plain:1", "sh", "-c",
                    "sleep 1; i=0; while [ $i -lt %d ]; do echo line-$i; i=$((i+1)); done" % n).strip()
    f = subprocess.Popen(small.argv("logs", "-f", cid), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         env=small.env())
    out, err = f.communicate(timeout=120)
    assert f.returncode == 0, err
    lines = out.decode().splitlines()
    assert lines == ["line-%d" % i for i in range(n)], (len(lines), err)
    d = os.path.join(k.root, "containers", cid)
    rotated = [x for x in os.listdir(d) if re.fullmatch(re.escape(cid) + r"-json\.log\.\d+(\.gz)?", x)]
    assert len(rotated) >= 50
    # read back afterwards: the rotated files oldest first, then --tail across them
    assert small("logs", cid).stdout.decode().splitlines() == lines
    assert small("logs", "--tail", "700", cid).stdout.decode().splitlines() == lines[-700:]


def test_rotation_under_load_with_compression_loses_no_line(k, tmp_path):
    # kapsel.conf's default compress=true: every rotated file is gzipped by
    # the supervisor's child, the live one never; kapsel logs reads them all
    small = k.with_conf(tmp_path, log_max_size="64k", log_max_file="1000", log_compress="true")
    n = 100000
    cid = small.run_done("kt/plain:1", "seq", "1", str(n))
    d = os.path.join(k.root, "containers", cid)
    with open(os.path.join(d, "status.json")) as f:
        assert wait_exit(json.load(f)["supervisor_pid"], 60)  # its last compression done
    names = [x for x in os.listdir(d) if x.startswith(cid + "-json.log.")]
    assert len(names) >= 50
    assert all(re.fullmatch(re.escape(cid) + r"-json\.log\.\d+\.gz", x) for x in names), names
    for x in names:
        with open(os.path.join(d, x), "rb") as f:
            assert f.read(2) == b"\x1f\x8b"
    with open(os.path.join(d, cid + "-json.log"), "rb") as f:
        assert f.read(2) in (b"", b'{"')
    assert small("logs", cid).stdout.decode().splitlines() == [str(i) for i in range(1, n + 1)]
    assert small("logs", "--tail", "3", cid).stdout == b"%d\n%d\n%d\n" % (n - 2, n - 1, n)


def test_compress_false_keeps_rotated_files_plain(k, tmp_path):
    small = k.with_conf(tmp_path, log_max_size="4k", log_max_file="3", log_compress="false")
    cid = small.run_done("kt/plain:1", "seq", "1", "3000")
    d = os.path.join(k.root, "containers", cid)
    assert sorted(x for x in os.listdir(d) if x.startswith(cid + "-json.log")) == [
        cid + "-json.log", cid + "-json.log.1", cid + "-json.log.2"]
    inspect = json.loads(small.out("inspect", cid))[0]
    assert inspect["HostConfig"]["LogConfig"]["Config"]["compress"] == "false"


def test_k8s_file_driver(k, tmp_path):
    k8s = k.with_conf(tmp_path, log_driver="k8s-file")
    cid = k8s.run_done("kt/plain:1", "sh", "-c", SCRIPT)
    assert os.path.exists(os.path.join(k.root, "containers", cid, cid + "-k8s.log"))
    p = k8s("logs", cid)
    assert (p.stdout, p.stderr) == (b"out1\nout2\nno newline", b"err1\ntab\there <&>\n")
    assert k8s("logs", "--tail", "1", cid).stdout == b"no newline"


def test_k8s_file_rotated_files_are_compressed_too(k, tmp_path):
    k8s = k.with_conf(tmp_path, log_driver="k8s-file", log_max_size="4k", log_max_file="100")
    cid = k8s.run_done("kt/plain:1", "seq", "1", "5000")
    d = os.path.join(k.root, "containers", cid)
    with open(os.path.join(d, "status.json")) as f:
        assert wait_exit(json.load(f)["supervisor_pid"], 60)
    names = [x for x in os.listdir(d) if x.startswith(cid + "-k8s.log.")]
    assert len(names) >= 5 and all(x.endswith(".gz") for x in names), names
    assert k8s("logs", cid).stdout.decode().splitlines() == [str(i) for i in range(1, 5001)]


def test_a_driver_without_a_file_says_so(k, tmp_path):
    none = k.with_conf(tmp_path, log_driver="none")
    cid = none.run_done("kt/plain:1", "echo", "hi")
    p = none("logs", cid)
    assert p.returncode == 1 and p.stdout == b""
    assert b"none" in p.stderr and b"json-file" in p.stderr and b"k8s-file" in p.stderr


def test_errors(k):
    p = k("logs", "no-such-container")
    assert p.returncode == 1 and b"no-such-container" in p.stderr
    assert k("logs").returncode == 2
    # a foreground run is not logged: said, not an empty success that hides it
    assert k.out("run", "--name", "kt-fg", "kt/plain:1", "echo", "fg") == "fg\n"
    p = k("logs", "kt-fg")
    assert p.returncode == 0 and p.stdout == b"" and b"foreground" in p.stderr
    # and while it runs: -f does not wait for a log that never comes
    fg = subprocess.Popen(k.argv("run", "--name", "kt-fg2", "kt/plain:1", "sh", "-c", "echo up; exec sleep 60"),
                          stdout=subprocess.PIPE, stdin=subprocess.DEVNULL, env=k.env())
    try:
        assert fg.stdout.readline() == b"up\n"
        p = k("logs", "-f", "kt-fg2", timeout=20)
        assert p.returncode == 0 and p.stdout == b"" and b"foreground" in p.stderr
    finally:
        k("kill", "kt-fg2")
        fg.wait(timeout=30)
