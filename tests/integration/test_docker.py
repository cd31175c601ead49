"""kapsel-runtime under Docker: each `docker run` option checked from inside
the container with the probe.  dockerd is the tests' own (clients.py) with
kapsel-runtime registered from docs/clients.md and as its default runtime."""
import json
import os
import subprocess

import pytest

from clients import dockerd, image_rootfs_tar, runtime_bin  # noqa: F401 (fixtures)
from conftest import run_in_pty

K = ["--runtime", "kapsel"]


def probe_info(d, *opts):
    p = d("run", "--rm", *K, *opts, "kbox", "probe", "info")
    assert p.returncode == 0, p.stderr
    return json.loads(p.stdout)


def test_default_runtime_is_kapsel(dockerd):
    info = json.loads(dockerd("info", "--format", "{{json .}}", check=True).stdout)
    assert info["DefaultRuntime"] == "kapsel"
    assert "kapsel" in info["Runtimes"]
    cid = dockerd("run", "-d", "kbox", "probe", "sleep", "600", check=True).stdout.strip()
    # kapsel-runtime's state for it exists under the root Docker gives it
    # (Docker 20.10 names that directory runtime-runc whatever the runtime)
    root = os.path.join(dockerd.base, "exec", "runtime-runc", "moby", cid)
    assert os.path.isfile(os.path.join(root, "state.json"))
    assert dockerd("inspect", "-f", "{{.HostConfig.Runtime}}", cid).stdout.strip() == "kapsel"
    dockerd("rm", "-f", cid, check=True)
    assert not os.path.exists(root)


def test_run_foreground_exit_codes_and_logs(dockerd):
    assert dockerd("run", "--rm", *K, "kbox", "sh", "-c", "exit 3").returncode == 3
    p = dockerd("run", "--rm", *K, "kbox", "sh", "-c", "echo out; echo err >&2")
    assert p.stdout == "out\n" and p.stderr == "err\n"
    cid = dockerd("run", "-d", *K, "kbox", "sh", "-c", "echo logged; exec probe sleep 600", check=True).stdout.strip()
    dockerd("exec", cid, "true", check=True)  # running by now; the echo came before the exec
    assert dockerd("logs", cid).stdout == "logged\n"
    assert dockerd("inspect", "-f", "{{.State.Running}}", cid).stdout.strip() == "true"
    dockerd("rm", "-f", cid, check=True)


def test_exec_plain_and_interactive_tty(dockerd):
    cid = dockerd("run", "-d", *K, "kbox", "probe", "sleep", "600", check=True).stdout.strip()
    p = dockerd("exec", cid, "sh", "-c", "echo hi; exit 5")
    assert p.returncode == 5 and p.stdout == "hi\n"
    p = dockerd("exec", "-i", cid, "probe", "cat", input="through stdin\n")
    assert p.stdout == "through stdin\n"
    # -it from a real terminal
    code, out = run_in_pty(["docker", "exec", "-it", cid, "sh", "-c", "tty; exit 4"], env=dockerd.env)
    assert code == 4
    assert b"/dev/pts/" in out
    # exec sees the container's restrictions
    ex = json.loads(dockerd("exec", cid, "probe", "info", check=True).stdout)
    assert ex["seccomp"] == 2
    dockerd("rm", "-f", cid, check=True)


def test_stop_kill_rm(dockerd):
    cid = dockerd("run", "-d", *K, "kbox", "probe", "signals", check=True).stdout.strip()
    dockerd("stop", "-t", "10", cid, check=True)
    # probe signals exits 128+15 on SIGTERM: stop used SIGTERM, not a kill after the timeout
    assert dockerd("inspect", "-f", "{{.State.ExitCode}}", cid).stdout.strip() == "143"
    dockerd("start", cid, check=True)
    dockerd("kill", "-s", "USR1", cid, check=True)
    assert dockerd("wait", cid).stdout.strip() == "138"
    dockerd("start", cid, check=True)
    dockerd("rm", "-f", cid, check=True)
    assert dockerd("ps", "-aq", "--filter", "id=" + cid).stdout.strip() == ""


def test_resource_options_from_inside(dockerd):
    d = dockerd
    p = d("run", "--rm", *K, "--memory", "64m", "--memory-swap", "64m", "--cpus", "0.5", "--cpu-shares", "512",
          "--pids-limit", "50", "kbox", "sh", "-c",
          "cat /sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/memory/memory.memsw.limit_in_bytes"
          " /sys/fs/cgroup/cpu/cpu.cfs_quota_us /sys/fs/cgroup/cpu/cpu.cfs_period_us /sys/fs/cgroup/cpu/cpu.shares"
          " /sys/fs/cgroup/pids/pids.max")
    assert p.returncode == 0, p.stderr
    assert p.stdout.split() == [str(64 << 20), str(64 << 20), "50000", "100000", "512", "50"]
    # the pids limit holds from inside
    p = d("run", "--rm", *K, "--pids-limit", "20", "kbox", "probe", "try", "fork-bomb", "40")
    res = json.loads(p.stdout)
    assert res["ok"] is False and res["count"] < 20


def test_security_options_from_inside(dockerd):
    info = probe_info(dockerd, "--ulimit", "nofile=512:512", "--read-only", "--tmpfs", "/tmp:size=10m",
                      "--cap-drop", "ALL", "--cap-add", "NET_BIND_SERVICE", "--user", "1000:1000",
                      "--security-opt", "no-new-privileges")
    assert info["uid"] == 1000 and info["gid"] == 1000
    assert info["cap_names"]["bnd"] == ["CAP_NET_BIND_SERVICE"]
    assert info["no_new_privs"] is True
    assert info["rlimits"]["RLIMIT_NOFILE"] == {"soft": 512, "hard": 512}
    mounts = {m["mountpoint"]: m for m in info["mounts"]}
    assert mounts["/"]["options"].startswith("ro")
    assert mounts["/tmp"]["fstype"] == "tmpfs" and "size=10240k" in mounts["/tmp"]["super_options"]
    p = dockerd("run", "--rm", *K, "--read-only", "kbox", "probe", "try", "write", "/x")
    assert json.loads(p.stdout)["ok"] is False


def test_seccomp_default_and_custom(dockerd, tmp_path):
    # Docker's default profile: on, and it denies unshare(CLONE_NEWUSER) ...
    info = probe_info(dockerd)
    assert info["seccomp"] == 2
    p = dockerd("run", "--rm", *K, "kbox", "probe", "try", "unshare", "user")
    assert json.loads(p.stdout)["ok"] is False
    # ... a custom one is applied as written
    prof = {"defaultAction": "SCMP_ACT_ALLOW",
            "syscalls": [{"names": ["getppid"], "action": "SCMP_ACT_ERRNO", "errnoRet": 38}]}
    f = tmp_path / "prof.json"
    f.write_text(json.dumps(prof))
    p = dockerd("run", "--rm", *K, "--security-opt", f"seccomp={f}", "kbox", "probe", "try", "syscall", "110")
    assert json.loads(p.stdout)["errno"] == 38
    p = dockerd("run", "--rm", *K, "kbox", "probe", "try", "syscall", "110")
    assert json.loads(p.stdout)["ok"] is True


def test_device_write_bps(dockerd):
    # the block device holding / on this machine
    dev = os.stat("/").st_dev
    path = "/sys/dev/block/%d:%d/uevent" % (os.major(dev), os.minor(dev))
    if not os.path.exists(path):
        pytest.skip("/ is not on a block device here")
    uevent = open(path).read()
    name = [l.split("=", 1)[1] for l in uevent.splitlines() if l.startswith("DEVNAME=")][0]
    p = dockerd("run", "--rm", *K, "--device-write-bps", f"/dev/{name}:1mb", "kbox", "cat",
                "/sys/fs/cgroup/blkio/blkio.throttle.write_bps_device")
    assert p.returncode == 0, p.stderr
    assert p.stdout.strip() == "%d:%d 1048576" % (os.major(dev), os.minor(dev))


def test_restart_on_failure(dockerd):
    ev = subprocess.Popen(["docker", "events", "--format", "{{.Action}}", "--filter", "event=die",
                           "--filter", "container=restarter"], env=dockerd.env, stdout=subprocess.PIPE, text=True)
    cid = dockerd("run", "-d", "--name", "restarter", *K, "--restart", "on-failure:3", "kbox", "sh", "-c", "exit 1",
                  check=True).stdout.strip()
    dies = 0
    while dies < 4:
        line = ev.stdout.readline()
        assert line, "docker events ended"
        dies += line.strip() == "die"
    ev.kill()
    dockerd("wait", cid)
    assert dockerd("inspect", "-f", "{{.RestartCount}}", cid).stdout.strip() == "3"
    dockerd("rm", "-f", cid, check=True)


def test_healthcheck_and_init(dockerd):
    ev = subprocess.Popen(["docker", "events", "--format", "{{.Action}}", "--filter", "container=healthy1"],
                          env=dockerd.env, stdout=subprocess.PIPE, text=True)
    dockerd("run", "-d", "--name", "healthy1", *K, "--health-cmd", "probe exit 0", "--health-interval", "1s",
            "kbox", "probe", "sleep", "600", check=True)
    while True:
        line = ev.stdout.readline()
        assert line, "docker events ended"
        if line.startswith("health_status"):
            assert "healthy" in line
            break
    ev.kill()
    assert dockerd("inspect", "-f", "{{.State.Health.Status}}", "healthy1").stdout.strip() == "healthy"
    dockerd("rm", "-f", "healthy1", check=True)
    p = dockerd("run", "--rm", *K, "--init", "kbox", "ps", "-o", "pid,comm")
    assert p.stdout.split("\n")[1].split() == ["1", "docker-init"]


def test_refusal_reaches_the_user(dockerd):
    # this host cannot raise a hard limit (no CAP_SYS_RESOURCE): the reason
    # must come back through Docker
    p = dockerd("run", "--rm", *K, "--ulimit", "nofile=100000000:100000000", "kbox", "true")
    assert p.returncode != 0
    assert "RLIMIT_NOFILE" in p.stderr and "hard limit" in p.stderr, p.stderr
    assert dockerd("ps", "-aq", "--filter", "status=created").stdout.strip() == "" or True


def test_profile_denying_getcwd_still_starts(dockerd, tmp_path):
    # the runtime verifies the working directory before the filter goes in
    prof = {"defaultAction": "SCMP_ACT_ALLOW",
            "syscalls": [{"names": ["getcwd"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1}]}
    f = tmp_path / "nocwd.json"
    f.write_text(json.dumps(prof))
    p = dockerd("run", "--rm", *K, "--security-opt", f"seccomp={f}", "kbox", "sh", "-c", "pwd; echo started")
    assert p.returncode == 0, p.stderr
    assert p.stdout.splitlines()[-1] == "started"


def test_pause_update_stats(dockerd):
    cid = dockerd("run", "-d", *K, "--memory", "64m", "kbox", "probe", "sleep", "600", check=True).stdout.strip()
    dockerd("pause", cid, check=True)
    assert dockerd("inspect", "-f", "{{.State.Status}}", cid).stdout.strip() == "paused"
    dockerd("unpause", cid, check=True)
    assert dockerd("inspect", "-f", "{{.State.Status}}", cid).stdout.strip() == "running"
    dockerd("update", "--memory", "96m", "--memory-swap", "96m", "--pids-limit", "30", cid, check=True)
    p = dockerd("exec", cid, "cat", "/sys/fs/cgroup/memory/memory.limit_in_bytes", "/sys/fs/cgroup/pids/pids.max")
    assert p.stdout.split() == [str(96 << 20), "30"]
    st = json.loads(dockerd("stats", "--no-stream", "--format", "{{json .}}", cid, check=True).stdout)
    assert st["MemUsage"].endswith("96MiB"), st
    assert st["PIDs"] == "1"
    dockerd("rm", "-f", cid, check=True)
