"""kapsel-runtime under Podman (`podman --runtime PATH`), checked from
inside.  Podman's default ulimits exceed this host's hard limits, so every
run passes limits within them (see docs/clients.md)."""
import json
import shutil
import subprocess

import pytest

from clients import doc_snippet, image_rootfs_tar, runtime_bin, umount_under  # noqa: F401

pytestmark = pytest.mark.skipif(shutil.which("podman") is None, reason="podman is not installed")
ULIMITS = ["--ulimit", "nofile=1024:1024", "--ulimit", "nproc=1000:1000"]


class Podman:
    def __init__(self, base, runtime):
        self.base = base
        self.runtime = runtime

    def __call__(self, *args, check=False, input=None, timeout=120):
        cmd = ["podman", "--root", f"{self.base}/storage", "--runroot", f"{self.base}/run",
               "--runtime", self.runtime, *args]
        p = subprocess.run(cmd, capture_output=True, text=True, input=input, timeout=timeout)
        if check:
            assert p.returncode == 0, (args, p.stdout, p.stderr)
        return p


@pytest.fixture(scope="session")
def podman(tmp_path_factory, runtime_bin, image_rootfs_tar):
    # the documented command line, with our binary and private storage
    assert "podman --runtime /usr/local/bin/kapsel-runtime run" in doc_snippet("podman")
    base = str(tmp_path_factory.mktemp("podman"))
    pm = Podman(base, runtime_bin)
    pm("import", image_rootfs_tar, "localhost/kbox:latest", check=True)
    yield pm
    pm("rm", "-af")
    umount_under(base)


def info(pm, *opts):
    p = pm("run", "--rm", *ULIMITS, *opts, "localhost/kbox", "probe", "info")
    assert p.returncode == 0, p.stderr
    return json.loads(p.stdout)


def test_run_exit_codes_and_stdio(podman):
    assert podman("run", "--rm", *ULIMITS, "localhost/kbox", "sh", "-c", "exit 3").returncode == 3
    p = podman("run", "--rm", "-i", *ULIMITS, "localhost/kbox", "probe", "cat", input="via podman\n")
    assert p.stdout == "via podman\n"


def test_detached_exec_logs_stop(podman):
    cid = podman("run", "-d", *ULIMITS, "localhost/kbox", "sh", "-c", "echo hello; exec probe signals",
                 check=True).stdout.strip()
    p = podman("exec", cid, "probe", "info")
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout)["seccomp"] == 2
    assert podman("exec", cid, "sh", "-c", "exit 6").returncode == 6
    assert podman("logs", cid).stdout == "hello\nready\n"
    podman("stop", "-t", "10", cid, check=True)
    assert podman("inspect", "-f", "{{.State.ExitCode}}", cid).stdout.strip() == "143"
    podman("rm", "-f", cid, check=True)


def test_limits_and_security_from_inside(podman):
    p = podman("run", "--rm", *ULIMITS, "--memory", "64m", "--memory-swap", "64m", "--cpus", "0.5",
               "--pids-limit", "50", "localhost/kbox", "sh", "-c",
               "cat /sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/cpu/cpu.cfs_quota_us"
               " /sys/fs/cgroup/pids/pids.max")
    assert p.returncode == 0, p.stderr
    assert p.stdout.split() == [str(64 << 20), "50000", "50"]
    i = info(podman, "--read-only", "--cap-drop", "ALL", "--cap-add", "NET_BIND_SERVICE", "--user", "1000:1000",
             "--security-opt", "no-new-privileges", "--tmpfs", "/scratch:size=5m")
    assert i["uid"] == 1000 and i["cap_names"]["bnd"] == ["CAP_NET_BIND_SERVICE"]
    assert i["no_new_privs"] is True
    assert i["rlimits"]["RLIMIT_NOFILE"] == {"soft": 1024, "hard": 1024}
    mounts = {m["mountpoint"]: m for m in i["mounts"]}
    assert mounts["/"]["options"].startswith("ro")
    assert mounts["/scratch"]["fstype"] == "tmpfs"


def test_pause_unpause_and_top(podman):
    cid = podman("run", "-d", *ULIMITS, "localhost/kbox", "probe", "sleep", "600", check=True).stdout.strip()
    podman("pause", cid, check=True)
    assert podman("inspect", "-f", "{{.State.Status}}", cid).stdout.strip() == "paused"
    podman("unpause", cid, check=True)
    assert podman("inspect", "-f", "{{.State.Status}}", cid).stdout.strip() == "running"
    podman("rm", "-f", cid, check=True)


def test_refusal_reaches_the_user(podman):
    p = podman("run", "--rm", "--ulimit", "nofile=100000000:100000000", "--ulimit", "nproc=1000:1000",
               "localhost/kbox", "true")
    assert p.returncode != 0
    assert "RLIMIT_NOFILE" in p.stderr, p.stderr
