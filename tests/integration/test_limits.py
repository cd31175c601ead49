"""linux.resources and process.rlimits, proven from inside the container:
a memory hog is OOM-killed, a fork bomb stops at the PID limit, a CPU quota
caps a busy loop, a write-bandwidth throttle caps writes to a block device,
rlimits hold.  And the cgroup files of the container say the same, read
after the container's init died and before the container is deleted: the v1
files on a hybrid host (v1 controllers, a controller-less cgroup2 tree),
the cgroup2 ones on a pure v2 host (tests/vm/run.sh runs this file there)."""
import ctypes
import json
import os
import select
import subprocess
import tempfile
import time

import pytest

from conftest import CGROUP_LAYOUT, UNIFIED, cgroup_dir, cgroup_dirs, cgroup_read, wait_exit

MIB = 1024 * 1024
V2 = CGROUP_LAYOUT == "v2"


def keyed(text):
    """'key value' lines as a dict of ints."""
    return {k: int(v) for k, v in (line.split() for line in text.splitlines() if line.strip())}


class Started:
    """A container made with create and start, its stdio in files: unlike
    `run`, nothing deletes it when its init dies, so its cgroup can be read
    after the end and before delete."""

    def __init__(self, bundle, tmp_path):
        self.bundle = bundle
        self.runtime = bundle.runtime
        self.id = bundle.id
        self.cgroup = bundle.config["linux"].get("cgroupsPath") or "/kapsel/" + bundle.id
        self.out_path = tmp_path / f"{bundle.id}.out"
        self.err_path = tmp_path / f"{bundle.id}.err"
        bundle.write()
        with open(self.out_path, "w") as out, open(self.err_path, "w") as err:
            p = self.runtime.popen("create", "--bundle", bundle.path, bundle.id,
                                   stdin=subprocess.DEVNULL, stdout=out, stderr=err)
            assert p.wait(timeout=60) == 0, self.err_path.read_text()
        self.pid = self.runtime.state(bundle.id)["pid"]
        self.runtime("start", bundle.id, check=True)

    def wait(self, timeout=30):
        """Wait (pidfd) for the init to exit; returns (stdout, stderr)."""
        assert wait_exit(self.pid, timeout), f"container {self.id} still runs after {timeout} s"
        assert self.runtime.state(self.id)["status"] == "stopped"
        return self.out_path.read_text(), self.err_path.read_text()

    def json(self, timeout=30):
        out, err = self.wait(timeout)
        assert out, err
        return json.loads(out)

    def cgroup_dir(self, controller):
        return cgroup_dir(self.cgroup, controller)

    def cg(self, controller, name):
        return cgroup_read(self.cgroup, controller, name)

    def delete(self):
        self.runtime("delete", self.id, check=True)
        assert not cgroup_dirs(self.cgroup), f"cgroup {self.cgroup} left behind"


class FileWatch:
    """inotify IN_MODIFY on one file (cgroup.events: the kernel notifies
    each change of its values)."""
    IN_MODIFY = 0x2

    def __init__(self, path):
        self.path = path
        libc = ctypes.CDLL(None, use_errno=True)
        self.fd = libc.inotify_init1(os.O_CLOEXEC | os.O_NONBLOCK)
        assert self.fd >= 0
        assert libc.inotify_add_watch(self.fd, path.encode(), self.IN_MODIFY) >= 0

    def read(self):
        with open(self.path) as f:
            return f.read()

    def wait_for(self, line, timeout=30):
        """True once LINE is one of the file's lines (checked now and after
        each notification), False if TIMEOUT passes without."""
        end = time.monotonic() + timeout
        while line not in self.read().splitlines():
            left = end - time.monotonic()
            if left <= 0 or not select.select([self.fd], [], [], left)[0]:
                return False
            try:
                while os.read(self.fd, 4096):
                    pass
            except BlockingIOError:
                pass
        return True

    def close(self):
        os.close(self.fd)


# ------------------------------------------------------------------ memory


def test_memory_hog_is_oom_killed_and_the_cgroup_counts_it(bundle, runtime, tmp_path):
    bundle.config["linux"]["resources"]["memory"] = {"limit": 32 * MIB, "swap": 32 * MIB}
    bundle.args("/bin/probe", "try", "alloc", "200")
    c = Started(bundle, tmp_path)
    out, err = c.wait()
    # inside: killed while allocating, before reaching the limit, with no
    # chance to report (a SIGKILL, not a failed malloc)
    allocated = [int(l.split()[1]) for l in err.splitlines() if l.startswith("alloc ")]
    assert allocated, err
    assert 1 <= max(allocated) < 32, allocated
    assert out == "", out
    # outside, before delete: the memory cgroup saw the kill; it was killed
    # at the limit, and swap = limit: not a byte beyond it, in memory or in
    # swap (v2: no swap at all, memory.swap.max is swap alone)
    if V2:
        events = keyed(c.cg("memory", "memory.events"))
        assert events["oom_kill"] >= 1 and events["max"] > 0, events
        assert int(c.cg("memory", "memory.max")) == 32 * MIB
        assert int(c.cg("memory", "memory.swap.max")) == 0
        assert 31 * MIB <= int(c.cg("memory", "memory.peak")) <= 32 * MIB
    else:
        oom = keyed(c.cg("memory", "memory.oom_control"))
        assert oom["oom_kill"] >= 1, oom
        assert oom["under_oom"] == 0 and oom["oom_kill_disable"] == 0, oom
        assert int(c.cg("memory", "memory.limit_in_bytes")) == 32 * MIB
        assert int(c.cg("memory", "memory.memsw.limit_in_bytes")) == 32 * MIB
        assert 31 * MIB <= int(c.cg("memory", "memory.max_usage_in_bytes")) <= 32 * MIB
        assert 31 * MIB <= int(c.cg("memory", "memory.memsw.max_usage_in_bytes")) <= 32 * MIB
    # and `state` says so
    st = runtime.state(bundle.id)
    assert st["status"] == "stopped" and st.get("oomKilled") is True, st
    c.delete()


def test_a_plain_exit_is_not_an_oom_kill(bundle, runtime):
    bundle.args("/bin/probe", "exit", "3")
    assert bundle.create().rc == 0
    pid = runtime.state(bundle.id)["pid"]
    assert runtime("start", bundle.id).rc == 0
    from conftest import wait_exit
    assert wait_exit(pid)
    st = runtime.state(bundle.id)
    assert st["status"] == "stopped" and "oomKilled" not in st
    assert runtime("delete", bundle.id).rc == 0


# -------------------------------------------------------------------- pids


def test_fork_bomb_stops_at_the_pids_limit_and_the_host_is_fine(bundle, runtime, tmp_path):
    bundle.config["linux"]["resources"]["pids"] = {"limit": 32}
    bundle.args("/bin/probe", "try", "fork-bomb", "500")
    c = Started(bundle, tmp_path)
    res = c.json()
    # inside: fork failed with EAGAIN before the probe and its children
    # were 32 processes
    assert res["ok"] is False and res["errno"] == 11, res
    # the probe is the 32nd
    assert res["count"] == 31, res
    # the host can still fork
    assert subprocess.run(["/bin/true"], timeout=30).returncode == 0
    # outside: the limit, and the kernel refused forks at it
    assert c.cg("pids", "pids.max").strip() == "32"
    events = keyed(c.cg("pids", "pids.events"))
    assert events["max"] > 0, events
    # and at no time were there more processes than that (pids.peak: v1,
    # and cgroup2 from Linux 6.13 on)
    if not V2 or os.path.exists(os.path.join(c.cgroup_dir("pids"), "pids.peak")):
        assert int(c.cg("pids", "pids.peak")) == 32
    c.delete()


# --------------------------------------------------------------------- cpu


@pytest.fixture
def cleanup_cgroups(runtime):
    """cgroupsPaths outside /kapsel that a test uses: none may be left."""
    paths = []
    yield paths
    for cid in runtime.ids():  # what a failed test left
        runtime("delete", "--force", cid)
    for p in paths:
        assert not cgroup_dirs(p), f"cgroup {p} left behind"


def test_cpu_quota_caps_a_busy_loop(make_bundle, runtime, tmp_path, cleanup_cgroups):
    limited, free = make_bundle(), make_bundle()
    for b in (limited, free):
        # the host may be busy: each container gets a cgroup of its own at
        # the top of the cpu hierarchy with the largest weight, so that
        # what it gets is what its quota allows, not what is left over
        b.config["linux"]["cgroupsPath"] = f"/kapsel-limits-{b.id}"
        cleanup_cgroups.append(b.config["linux"]["cgroupsPath"])
        b.config["linux"]["resources"]["cpu"] = {"shares": 262144}
        b.args("/bin/probe", "try", "spin", "2")
    limited.config["linux"]["resources"]["cpu"].update(quota=20000, period=100000)
    # side by side on the 2 cores
    lc, fc = Started(limited, tmp_path), Started(free, tmp_path)
    lres, fres = lc.json(), fc.json()
    print(f"cpu seconds in 2 s: limited to 0.2 CPU {lres['cpu_seconds']:.3f}, "
          f"unlimited {fres['cpu_seconds']:.3f}")
    assert lres["ok"] and fres["ok"]
    assert lres["wall_seconds"] >= 2 and fres["wall_seconds"] >= 2
    assert lres["cpu_seconds"] >= 0.05, lres
    assert lres["cpu_seconds"] < 0.5 * fres["cpu_seconds"], (lres, fres)
    # 0.2 CPU for 2 s: 0.4 s of CPU, with slack; when CPU time and wall
    # time are on one clock (the unlimited loop got no more CPU than time
    # passed: not so under qemu's emulation, the VM test)
    if fres["cpu_seconds"] <= 1.05 * fres["wall_seconds"]:
        assert lres["cpu_seconds"] <= 0.2 * 2 * 1.5, lres
    # outside: the limited one had its quota and was throttled, the other had none
    stat = keyed(lc.cg("cpu", "cpu.stat"))
    if V2:
        assert lc.cg("cpu", "cpu.max").split() == ["20000", "100000"]
        assert stat["nr_throttled"] > 0 and stat["throttled_usec"] > 0, stat
        assert fc.cg("cpu", "cpu.max").split() == ["max", "100000"]
    else:
        assert int(lc.cg("cpu", "cpu.cfs_quota_us")) == 20000
        assert int(lc.cg("cpu", "cpu.cfs_period_us")) == 100000
        assert stat["nr_throttled"] > 0 and stat["throttled_time"] > 0, stat
        assert int(fc.cg("cpu", "cpu.cfs_quota_us")) == -1
    assert keyed(fc.cg("cpu", "cpu.stat"))["nr_throttled"] == 0
    lc.delete()
    fc.delete()


# ---------------------------------------------------------------- block IO


@pytest.fixture
def loop_device():
    """A 64 MiB loop device backed by a file on a real disk (/var/tmp).
    Returns (path, major, minor)."""
    fd, backing = tempfile.mkstemp(dir="/var/tmp", prefix="kapsel-test-loop-")
    dev = None
    try:
        os.ftruncate(fd, 64 * MIB)
        os.close(fd)
        p = subprocess.run(["losetup", "-f", "--show", backing], capture_output=True, text=True, timeout=30)
        assert p.returncode == 0, p.stderr
        dev = p.stdout.strip()
        st = os.stat(dev)
        yield dev, os.major(st.st_rdev), os.minor(st.st_rdev)
    finally:
        if dev:
            subprocess.run(["losetup", "-d", dev], check=False)
        os.unlink(backing)


def with_block_device(bundle, major, minor, path="/dev/kloop", access="rwm", mb=4):
    """The block device MAJOR:MINOR at PATH in the container, allowed
    ACCESS, and the probe writing MB MiB to it."""
    bundle.config["linux"].setdefault("devices", []).append(
        {"path": path, "type": "b", "major": major, "minor": minor, "fileMode": 0o666, "uid": 0, "gid": 0})
    bundle.config["linux"]["resources"]["devices"].append(
        {"allow": True, "type": "b", "major": major, "minor": minor, "access": access})
    bundle.args("/bin/probe", "try", "write-rate", path, str(mb))


def throttled_writes(make_bundle, tmp_path, loop_device):
    """4 MiB written to the loop device from a container, then from one
    whose writes to it are throttled to 1 MiB/s, measured inside, and the
    throttled one's cgroup files read.  Returns that container, not yet
    deleted."""
    dev, major, minor = loop_device
    free, throttled = make_bundle(), make_bundle()
    with_block_device(free, major, minor)
    with_block_device(throttled, major, minor)
    throttled.config["linux"]["resources"]["blockIO"] = {
        "throttleWriteBpsDevice": [{"major": major, "minor": minor, "rate": MIB}]}

    fc = Started(free, tmp_path)
    fres = fc.json()
    fc.delete()
    tc = Started(throttled, tmp_path)
    tres = tc.json()
    print(f"{os.path.basename(tc.runtime.binary)}: writes to {dev} ({major}:{minor}), O_DIRECT: unthrottled "
          f"{fres['bytes_per_second'] / MIB:.1f} MiB/s, throttled to 1 MiB/s {tres['bytes_per_second'] / MIB:.2f} MiB/s")
    for res in (fres, tres):
        assert res["ok"] and res["direct"] and res["bytes"] == 4 * MIB, res
    assert fres["bytes_per_second"] > 5 * MIB, fres
    assert tres["bytes_per_second"] <= 1.5 * MIB, tres
    # outside: the rule, and the bytes went through this cgroup to that device
    if V2:
        rules = tc.cg("io", "io.max").splitlines()
        assert f"{major}:{minor} rbps=max wbps={MIB} riops=max wiops=max" in rules, rules
        served = {l.split()[0]: dict(kv.split("=") for kv in l.split()[1:]) for l in tc.cg("io", "io.stat").splitlines()}
        assert int(served[f"{major}:{minor}"]["wbytes"]) >= 4 * MIB, served
    else:
        rules = tc.cg("blkio", "blkio.throttle.write_bps_device").split("\n")
        assert f"{major}:{minor} {MIB}" in rules, rules
        served = [l.split() for l in tc.cg("blkio", "blkio.throttle.io_service_bytes").splitlines()]
        written = [int(f[2]) for f in served if f[:2] == [f"{major}:{minor}", "Write"]]
        assert written and written[0] >= 4 * MIB, served
    return tc


def test_write_bps_throttle_caps_writes_to_a_block_device(make_bundle, runtime, tmp_path, loop_device):
    throttled_writes(make_bundle, tmp_path, loop_device).delete()


# Regression: the device nodes are made before the device rules apply
# (docker run --device SRC:DST:rw sends an allow rule without "m").
def test_a_device_allowed_read_write_without_mknod_is_usable(bundle, runtime, tmp_path, loop_device):
    dev, major, minor = loop_device
    with_block_device(bundle, major, minor, access="rw", mb=1)
    c = Started(bundle, tmp_path)
    res = c.json()
    assert res["ok"] and res["bytes"] == MIB, res
    if not V2:  # v2: an eBPF program, no file to read
        assert f"b {major}:{minor} rw" in c.cg("devices", "devices.list").splitlines()
    c.delete()


# ------------------------------------------------------ cgroup2 on a hybrid host
# (a pure v2 host's counterpart is in test_cgroup_v2.py)


@pytest.mark.skipif(CGROUP_LAYOUT != "hybrid", reason=f"a hybrid host's cgroup2 tree (this host is {CGROUP_LAYOUT})")
def test_the_container_lives_in_the_cgroup2_tree_too(bundle, runtime):
    bundle.args("/bin/probe", "sleep", "600")
    assert bundle.run("--detach").rc == 0
    pid = runtime.state(bundle.id)["pid"]
    v2 = f"{UNIFIED}/kapsel/{bundle.id}"
    with open(f"{v2}/cgroup.procs") as f:
        assert [int(p) for p in f.read().split()] == [pid]
    with open(f"/proc/{pid}/cgroup") as f:
        assert f"0::/kapsel/{bundle.id}" in f.read().splitlines()
    # inside: the cgroup namespace is rooted there
    r = runtime("exec", bundle.id, "/bin/cat", "/proc/self/cgroup")
    assert r.rc == 0 and "0::/" in r.out.splitlines(), r

    watch = FileWatch(f"{v2}/cgroup.events")
    try:
        assert watch.wait_for("populated 1", timeout=0)
        # pause on a hybrid host: the v1 freezer, not cgroup.freeze
        assert runtime("pause", bundle.id).rc == 0
        assert cgroup_read("/kapsel/" + bundle.id, "freezer", "freezer.state").strip() == "FROZEN"
        with open(f"{v2}/cgroup.freeze") as f:
            assert f.read().strip() == "0"
        assert "frozen 0" in watch.read().splitlines()
        assert runtime("resume", bundle.id).rc == 0
        assert cgroup_read("/kapsel/" + bundle.id, "freezer", "freezer.state").strip() == "THAWED"

        assert runtime("kill", bundle.id, "KILL").rc == 0
        assert watch.wait_for("populated 0"), watch.read()
        assert wait_exit(pid)
        with open(f"{v2}/cgroup.procs") as f:
            assert f.read() == ""
    finally:
        watch.close()
    assert runtime("delete", bundle.id).rc == 0
    assert not os.path.exists(v2)


# ----------------------------------------------------------------- rlimits


def test_rlimit_nofile_holds_inside(bundle, runtime):
    bundle.config["process"]["rlimits"] = [
        r for r in bundle.config["process"]["rlimits"] if r["type"] != "RLIMIT_NOFILE"
    ] + [{"type": "RLIMIT_NOFILE", "soft": 64, "hard": 64}]
    bundle.args("/bin/sh", "-c", "/bin/probe info; ulimit -n; ulimit -Hn; "
                "/bin/probe try setrlimit NOFILE 65 65; /bin/probe try setrlimit NOFILE 32 32")
    r = bundle.run()
    assert r.rc == 0, r
    lines = r.out.splitlines()
    assert len(lines) == 5, r
    info = json.loads(lines[0])
    assert info["rlimits"]["RLIMIT_NOFILE"] == {"soft": 64, "hard": 64}
    assert lines[1:3] == ["64", "64"]
    # no raising it back (no CAP_SYS_RESOURCE), lowering is fine
    up, down = json.loads(lines[3]), json.loads(lines[4])
    assert up["ok"] is False and up["errno"] == 1, up
    assert down["ok"] is True and down["soft"] == 32 and down["hard"] == 32, down
