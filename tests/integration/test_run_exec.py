"""kapsel exec from the outside: a command in a running container gets
the container's restrictions (capabilities, no_new_privs, seccomp), its
output and exit status come back, -e/-u/-w change what they say, -t gives
a terminal, -d detaches, and a container that does not run is refused."""
import os
import re
import subprocess
import sys

import pytest

from conftest import PROBE, REPO

sys.path.insert(0, os.path.join(REPO, "tests", "fixtures", "images"))
sys.path.insert(0, os.path.dirname(__file__))
import mkrunimage  # noqa: E402
from test_run import Kapsel, supervise_bin, wait_for  # noqa: E402


@pytest.fixture(scope="module")
def k(tmp_path_factory):
    if not supervise_bin():
        pytest.skip("kapsel-supervise is not built")
    base = tmp_path_factory.mktemp("exec")
    rootfs = str(base / "rootfs")
    subprocess.run(["sh", os.path.join(REPO, "tests", "fixtures", "mkrootfs.sh"), rootfs, PROBE], check=True)
    tar = str(base / "plain.tar")
    mkrunimage.oci_image(tar, "kx/plain:1", [mkrunimage.dir_layer(rootfs)],
                         {"Cmd": ["sh"], "Env": ["FROM_IMAGE=yes"], "WorkingDir": "/srv"})
    kk = Kapsel(base / "store")
    kk.env = {"KAPSEL_SUPERVISE": supervise_bin()}
    kk.out("load", "-i", tar)
    kk.out("run", "-d", "--name", "kx", "-e", "FROM_RUN=1", "--restart", "no", "kx/plain:1",
           "sleep", "1000", env=kk.env)
    kk.out("run", "-d", "--name", "kx-root", "-u", "0", "--restart", "no", "kx/plain:1", "sleep", "1000", env=kk.env)
    yield kk
    for cid in kk.out("ps", "-aq", "--no-trunc").split():
        kk("rm", "-f", cid, env=kk.env)
    from clients import umount_under
    umount_under(str(base / "store"))


def status(out, key):
    m = re.search(r"^%s:\s*(\S+)" % key, out, re.M)
    return m and m.group(1)


def test_output_and_exit_code(k):
    p = k("exec", "kx", "sh", "-c", "echo out; echo err >&2; exit 7")
    assert (p.returncode, p.stdout, p.stderr) == (7, "out\n", "err\n")
    assert k("exec", "kx", "true").returncode == 0
    p = k("exec", "kx", "/no/such/program")
    assert p.returncode == 127 and "no such file in the container" in p.stderr
    # stdin only with -i
    assert k("exec", "-i", "kx", "cat", input="typed\n").stdout == "typed\n"
    assert k("exec", "kx", "cat", input="typed\n").stdout == ""


def test_the_containers_restrictions(k):
    p = k("exec", "kx", "sh", "-c", "id; grep -E '^(CapEff|CapPrm|CapBnd|NoNewPrivs|Seccomp):' /proc/self/status; "
          "cat /proc/1/cmdline | tr '\\0' ' '")
    assert p.returncode == 0, p.stderr
    assert p.stdout.startswith("uid=65534(nobody) gid=65534(nogroup)")
    for cap in ("CapEff", "CapPrm", "CapBnd"):
        assert status(p.stdout, cap) == "0000000000000000", p.stdout
    assert status(p.stdout, "NoNewPrivs") == "1" and status(p.stdout, "Seccomp") == "2"
    assert "sleep 1000" in p.stdout  # the container's own pid namespace
    # root in the user namespace, as the container's init
    p = k("exec", "kx-root", "sh", "-c", "id -u; cat /proc/self/uid_map; grep CapEff /proc/self/status")
    assert p.stdout.split()[:4] == ["0", "0", "100000", "65536"], p.stderr
    assert status(p.stdout, "CapEff") == "0000000000000000"


def test_env_user_workdir(k, tmp_path):
    p = k("exec", "kx", "sh", "-c", "echo $FROM_IMAGE $FROM_RUN $ADDED; pwd")
    assert p.stdout == "yes 1\n/srv\n"
    envf = tmp_path / "env"
    envf.write_text("FROM_FILE=f\n# comment\n")
    p = k("exec", "-e", "ADDED=a", "-e", "FROM_RUN=over", "--env-file", str(envf), "-w", "/tmp", "kx", "sh", "-c",
          "echo $FROM_IMAGE $FROM_RUN $ADDED $FROM_FILE; pwd")
    assert p.stdout == "yes over a f\n/tmp\n", p.stderr
    p = k("exec", "-u", "user", "kx", "id")
    assert p.stdout.startswith("uid=1000(user) gid=1000(user)"), p.stderr
    p = k("exec", "-u", "4321:5", "kx", "id", "-u")
    assert p.stdout == "4321\n"
    p = k("exec", "-u", "ghost", "kx", "id")
    assert p.returncode == 1 and "ghost" in p.stderr
    # root only exists in a user namespace: never the host's
    p = k("exec", "-u", "0", "kx", "id", "-u")
    assert p.returncode == 1 and "user namespace" in p.stderr, p.stderr
    p = k("exec", "-u", "root", "kx", "id", "-u")
    assert p.returncode == 1
    p = k("exec", "--privileged", "kx", "id")
    assert p.returncode == 2 and "--privileged" in p.stderr
    p = k("exec", "-w", "rel", "kx", "pwd")
    assert p.returncode == 1 and "-w" in p.stderr


def test_detach(k):
    assert k.out("exec", "-d", "kx", "sh", "-c", "echo done > /tmp/detached") == ""
    assert wait_for(lambda: k("exec", "kx", "cat", "/tmp/detached").stdout == "done\n")


def test_tty(k):
    from conftest import run_in_pty
    code, out = run_in_pty(k.argv("exec", "-t", "kx", "sh", "-c", "tty; exit 3"))
    assert code == 3 and re.search(rb"^/dev/pts/\d+\r$", out, re.M), out
    code, out = run_in_pty(k.argv("exec", "-it", "kx", "sh"), answer=(b"$ ", b"echo typed-$((40+2)); exit 5\r"))
    assert code == 5 and b"typed-42" in out, out
    # a container made with -t: exec without -t has no terminal
    k.out("run", "-d", "-t", "--name", "kx-tty", "--restart", "no", "kx/plain:1", "sleep", "1000", env=k.env)
    try:
        p = k("exec", "kx-tty", "sh", "-c", "tty; echo out")
        assert p.stdout == "not a tty\nout\n", (p.stdout, p.stderr)
        code, out = run_in_pty(k.argv("exec", "-t", "kx-tty", "tty"))
        assert code == 0 and re.search(rb"^/dev/pts/\d+\r$", out, re.M), out
    finally:
        k("rm", "-f", "kx-tty", env=k.env)


def test_stopped_or_created_container_is_refused(k):
    cid = k.out("create", "--name", "kx-stopped", "kx/plain:1", "true").strip()
    p = k("exec", "kx-stopped", "true")
    assert p.returncode == 1 and f"container {cid} is not running" in p.stderr, p.stderr
    k.out("start", "kx-stopped", env=k.env)
    k.out("wait", "kx-stopped", env=k.env)
    p = k("exec", "kx-stopped", "true")
    assert p.returncode == 1 and f"container {cid} is not running" in p.stderr
    p = k("exec", "kx-none", "true")
    assert p.returncode == 1 and "kx-none" in p.stderr
    k.out("rm", "kx-stopped")
