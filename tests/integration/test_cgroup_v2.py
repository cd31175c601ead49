"""A pure cgroup v2 host (tests/vm/run.sh boots one): what linux.resources
and the control commands do there, for kapsel-runtime and, side by side,
for crun and runc, each proven from inside the container and read from its
cgroup2 files before delete.  Where crun or runc lack a feature or behave
otherwise, the test says so (xfail, strict: it fails once they change).
Skipped on v1 and hybrid hosts."""
import json
import os
import shutil
import subprocess
import uuid

import pytest

from conftest import (CGROUP_BASE, PERMISSIVE_POLICY, RUNTIME, Bundle, Runtime, cgroup_dirs, cgroup_read,
                      leftovers, only_v2, wait_exit)
from test_control import DirWatch, Lines, run_detached
from test_limits import Started, keyed, loop_device, throttled_writes  # noqa: F401 (loop_device: a fixture)

pytestmark = only_v2

MIB = 1024 * 1024
RUNTIMES = {"kapsel": RUNTIME, "crun": shutil.which("crun"), "runc": shutil.which("runc")}
# What crun 1.8 and runc 1.1 (Debian bookworm's) do not do; each is an xfail
# that must fail (the day they do it, the test says so), but for what was
# seen to fail only some of the time (NOT_STRICT: its XPASS is shown, not
# counted as a failure)
KNOWN = {
    ("crun", "events"): "crun has no events command",
    ("runc", "born"): "runc starts `runc init` (and Go threads) in its own cgroup and moves it afterwards",
    ("runc", "cpu"): "runc's container got more than half the unlimited one's CPU time under a 0.2 CPU quota "
                     "in 2 of 8 runs in the VM (and over 0.6 CPU seconds in 2 s in 4 of 4 on a busy host), "
                     "nr_throttled climbing; kapsel's and crun's never did; cause not found",
}
NOT_STRICT = {("runc", "cpu")}


class Rt(Runtime):
    def __init__(self, name, root):
        super().__init__(root, RUNTIMES[name], PERMISSIVE_POLICY if name == "kapsel" else None)
        self.name = name


@pytest.fixture(params=sorted(RUNTIMES))
def rt(request, tmp_path):
    name = request.param
    if not RUNTIMES[name]:
        pytest.skip(f"{name} is not installed")
    r = Rt(name, str(tmp_path / f"state-{name}"))
    yield r
    for cid in r.ids():
        r("delete", "--force", cid)
    assert r.ids() == [], "state left behind"


def known(request, rt, what):
    """Mark the running test an expected failure for RT when KNOWN says so."""
    reason = KNOWN.get((rt.name, what))
    if reason:
        request.applymarker(pytest.mark.xfail(strict=(rt.name, what) not in NOT_STRICT, reason=reason))


@pytest.fixture
def mk(tmp_path, rootfs, rt):
    """Bundles from `kapsel-runtime spec`, run by RT, in /kapsel/ID."""
    n = [0]

    def make():
        n[0] += 1
        b = Bundle(tmp_path / f"bundle{n[0]}", rootfs, Runtime(str(tmp_path / "spec-state")))
        b.runtime = rt
        b.id = f"{rt.name}-{uuid.uuid4().hex[:10]}"
        b.config["linux"]["cgroupsPath"] = "/kapsel/" + b.id
        if rt.name != "kapsel":
            b.config["ociVersion"] = "1.0.2"  # crun 1.8 refuses "1.2.0"
        return b
    return make


def cg(b, controller, name):
    return cgroup_read("/kapsel/" + b.id, controller, name)


def gone(rt, b):
    """After delete: no state, no cgroup, no process."""
    assert leftovers(rt, b.id) == []
    assert not cgroup_dirs("/kapsel/" + b.id)


def allocated(err):
    """The MiB the probe's alloc reported on stderr before it died."""
    return max([int(l.split()[1]) for l in err.splitlines() if l.startswith("alloc ")] or [0])


# ------------------------------------------------------------------ memory


def test_a_memory_hog_is_oom_killed_at_its_limit(mk, rt, tmp_path):
    b = mk()
    b.config["linux"]["resources"]["memory"] = {"limit": 32 * MIB, "swap": 32 * MIB}
    b.args("/bin/probe", "try", "alloc", "200")
    c = Started(b, tmp_path)
    out, err = c.wait()
    assert out == "" and 1 <= allocated(err) < 32, err
    events = keyed(cg(b, "memory", "memory.events"))
    assert events["oom_kill"] >= 1, events
    assert int(cg(b, "memory", "memory.max")) == 32 * MIB
    assert int(cg(b, "memory", "memory.swap.max")) == 0
    assert 31 * MIB <= int(cg(b, "memory", "memory.peak")) <= 32 * MIB
    if rt.name == "kapsel":  # kapsel's own field (containerd reads memory.events)
        assert rt.state(b.id).get("oomKilled") is True
    c.delete()
    gone(rt, b)
    # run: the exit status of a SIGKILL
    r = b.run()
    assert r.rc == 137, r
    gone(rt, b)


def test_the_oom_event(mk, rt, request):
    known(request, rt, "events")
    b = mk()
    b.config["linux"]["resources"]["memory"] = {"limit": 32 * MIB, "swap": 32 * MIB}
    b.args("/bin/probe", "try", "alloc", "200")
    assert b.create().rc == 0
    p = rt.popen("events", "--interval", "100ms", b.id, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        lines = Lines(p)
        first = lines.next()
        assert first is not None, p.stderr.read()
        assert json.loads(first)["type"] == "stats"
        rt("start", b.id, check=True)
        types = []
        while (line := lines.next()) is not None and "oom" not in types:
            types.append(json.loads(line)["type"])
        assert "oom" in types, types
    finally:
        p.kill()
        p.wait()


def test_memory_swap_max_is_honoured(mk, rt, tmp_path):
    # swap 64 MiB in OCI terms is memory+swap: 32 MiB of memory, 32 of swap
    b = mk()
    b.config["linux"]["resources"]["memory"] = {"limit": 32 * MIB, "swap": 64 * MIB}
    b.args("/bin/probe", "try", "alloc", "200")
    c = Started(b, tmp_path)
    out, err = c.wait(timeout=120)
    # inside: it got past its memory (into swap) but not past memory+swap
    assert out == "" and 32 < allocated(err) < 64, err
    assert int(cg(b, "memory", "memory.max")) == 32 * MIB
    assert int(cg(b, "memory", "memory.swap.max")) == 32 * MIB
    assert keyed(cg(b, "memory", "memory.events"))["oom_kill"] >= 1
    # memory.swap.events "max" is not asserted: the OOM killer may fire
    # before swap is full (reclaim gives up first), seen with runc in CI
    c.delete()
    gone(rt, b)


# -------------------------------------------------------------------- pids


def test_a_fork_loop_stops_at_pids_max(mk, rt, tmp_path):
    b = mk()
    b.config["linux"]["resources"]["pids"] = {"limit": 32}
    b.args("/bin/probe", "try", "fork-bomb", "500")
    c = Started(b, tmp_path)
    res = c.json()
    assert res["ok"] is False and res["errno"] == 11 and res["count"] == 31, res
    assert cg(b, "pids", "pids.max").strip() == "32"
    assert keyed(cg(b, "pids", "pids.events"))["max"] > 0
    c.delete()
    gone(rt, b)


# --------------------------------------------------------------------- cpu


def test_a_cpu_quota_measured_from_inside(mk, rt, tmp_path, request):
    known(request, rt, "cpu")
    limited, free = mk(), mk()
    for b in (limited, free):
        b.config["linux"]["resources"]["cpu"] = {"shares": 262144}
        b.args("/bin/probe", "try", "spin", "2")
    limited.config["linux"]["resources"]["cpu"].update(quota=20000, period=100000)
    # side by side on the 2 cpus; CPU time inside is compared with the
    # unlimited one's (under emulation it runs ahead of wall time)
    lc, fc = Started(limited, tmp_path), Started(free, tmp_path)
    lres, fres = lc.json(), fc.json()
    stat = keyed(cg(limited, "cpu", "cpu.stat"))
    print(f"{rt.name}: CPU seconds in 2 s: {lres['cpu_seconds']:.3f} at 0.2 CPU, {fres['cpu_seconds']:.3f} unlimited")
    assert lres["ok"] and fres["ok"] and lres["wall_seconds"] >= 2, lres
    assert 0.05 <= lres["cpu_seconds"] < 0.5 * fres["cpu_seconds"], (lres, fres, stat)
    assert cg(limited, "cpu", "cpu.max").split() == ["20000", "100000"]
    assert cg(free, "cpu", "cpu.max").split() == ["max", "100000"]
    assert stat["nr_throttled"] > 0 and stat["throttled_usec"] > 0, stat
    lc.delete()
    fc.delete()
    gone(rt, limited)


# ---------------------------------------------------------------- block IO


def test_an_io_max_throttle_on_a_block_device(mk, rt, tmp_path, loop_device):
    tc = throttled_writes(mk, tmp_path, loop_device)
    tc.delete()
    gone(rt, tc.bundle)


# ------------------------------------------------------- the control commands


def test_update_changes_limits_live(mk, rt, tmp_path):
    b = mk()
    run_detached(b, rt, tmp_path, "touch /shared/ready; exec /bin/probe sleep 600", probes=1)
    assert int(cg(b, "memory", "memory.max")) == 256 * MIB
    r = rt("update", "--memory", str(64 * MIB), "--pids-limit", "20", "--cpu-quota", "50000", b.id)
    assert r.rc == 0, r
    assert int(cg(b, "memory", "memory.max")) == 64 * MIB
    assert cg(b, "pids", "pids.max").strip() == "20"
    assert cg(b, "cpu", "cpu.max").split() == ["50000", "100000"]
    # the container meets the new limit
    r = rt("exec", b.id, "/bin/probe", "try", "fork-bomb", "50")
    res = json.loads(r.out)
    assert res["ok"] is False and res["errno"] == 11 and res["count"] < 20, res


def test_pause_and_resume_through_cgroup_freeze(mk, rt, tmp_path):
    b = mk()
    shared = run_detached(b, rt, tmp_path, "(i=0; while :; do i=$((i+1)); echo $i > /shared/n.tmp; "
                      "mv /shared/n.tmp /shared/n; sleep 0.05; done) & touch /shared/ready; exec /bin/probe sleep 600")
    d = CGROUP_BASE + "/kapsel/" + b.id
    watch = DirWatch(shared)
    try:
        assert watch.wait(30), "the counter never moved"
        assert rt("pause", b.id).rc == 0
        assert rt.state(b.id)["status"] == "paused"
        with open(d + "/cgroup.freeze") as f:
            assert f.read().strip() == "1"
        assert "frozen 1" in cg(b, "pids", "cgroup.events").splitlines()
        watch.drain()
        at = (shared / "n").read_text()
        assert not watch.wait(1.5), "the counter moved while the container was paused"
        assert (shared / "n").read_text() == at
        assert rt("resume", b.id).rc == 0
        assert rt.state(b.id)["status"] == "running"
        assert "frozen 0" in cg(b, "pids", "cgroup.events").splitlines()
        assert watch.wait(30), "the counter did not move after resume"
    finally:
        watch.close()


def test_kill_all_empties_the_cgroup(mk, rt, tmp_path):
    # the init ignores TERM; a child forks all the time
    b = mk()
    run_detached(b, rt, tmp_path, "trap '' TERM; (while :; do /bin/true; done) & /bin/probe sleep 600 & "
             "touch /shared/ready; wait")
    procs = [int(p) for p in cg(b, "pids", "cgroup.procs").split()]
    assert len(procs) >= 3, procs
    assert rt("kill", "--all", b.id, "KILL").rc == 0
    for p in procs:
        assert wait_exit(p)
    assert "populated 0" in cg(b, "pids", "cgroup.events").splitlines()
    assert cg(b, "pids", "cgroup.procs") == ""
    assert rt("delete", b.id).rc == 0
    gone(rt, b)


def test_ps_lists_the_cgroups_processes(mk, rt, tmp_path):
    b = mk()
    run_detached(b, rt, tmp_path, "/bin/probe sleep 600 & touch /shared/ready; exec /bin/probe sleep 600", probes=2)
    r = rt("ps", "--format", "json", b.id)
    assert r.rc == 0, r
    assert sorted(r.json()) == sorted(int(p) for p in cg(b, "pids", "cgroup.procs").split())
    assert len(r.json()) == 2


def test_events_stats(mk, rt, tmp_path, request):
    known(request, rt, "events")
    b = mk()
    run_detached(b, rt, tmp_path, "/bin/probe sleep 600 & touch /shared/ready; exec /bin/probe sleep 600", probes=2)
    r = rt("events", "--stats", b.id)
    assert r.rc == 0, r
    ev = json.loads(r.out)
    assert ev["type"] == "stats" and ev["id"] == b.id
    assert ev["data"]["pids"]["current"] == 2 and ev["data"]["pids"]["limit"] == 512
    assert ev["data"]["memory"]["usage"]["usage"] > 0
    assert ev["data"]["memory"]["usage"]["limit"] == 256 * MIB
    assert ev["data"]["cpu"]["usage"]["total"] > 0


# ------------------------------------------------------------ the cgroup itself


def test_the_container_lives_in_its_cgroup_and_nothing_is_left(mk, rt):
    b = mk()
    b.args("/bin/probe", "sleep", "600")
    assert b.run("--detach").rc == 0
    pid = rt.state(b.id)["pid"]
    assert [int(p) for p in cg(b, "pids", "cgroup.procs").split()] == [pid]
    with open(f"/proc/{pid}/cgroup") as f:
        assert f.read() == f"0::/kapsel/{b.id}\n"
    # inside: its cgroup namespace is rooted there
    r = rt("exec", b.id, "/bin/cat", "/proc/self/cgroup")
    assert r.rc == 0 and r.out == "0::/\n", r
    assert rt("delete", "--force", b.id).rc == 0
    assert wait_exit(pid)
    gone(rt, b)


def test_the_container_is_born_in_its_cgroup(mk, rt, request):
    """clone3(CLONE_INTO_CGROUP): the runtime runs in a cgroup that allows
    it no second task (pids.max 1), so a container process forked there and
    moved afterwards could not be made at all."""
    known(request, rt, "born")
    with open("/proc/self/cgroup") as f:
        ours = f.read().split("::", 1)[1].strip()
    parent = os.path.dirname(ours)
    with open(CGROUP_BASE + parent + "/cgroup.subtree_control") as f:
        if "pids" not in f.read().split():
            pytest.skip(f"no pids controller for the children of {parent}")
    cage = f"{CGROUP_BASE}{parent.rstrip('/')}/kapsel-born-{uuid.uuid4().hex[:8]}"
    os.mkdir(cage)
    try:
        with open(cage + "/pids.max", "w") as f:
            f.write("1")
        b = mk()
        b.args("/bin/probe", "sleep", "600")
        b.write()

        def enter():
            with open(cage + "/cgroup.procs", "w") as f:
                f.write("0")
        r = rt("create", "--bundle", b.path, b.id, preexec_fn=enter, stdin=subprocess.DEVNULL)
        with open(cage + "/pids.events") as f:
            refused = keyed(f.read())["max"]
        assert r.rc == 0 and refused == 0, (r, f"forks refused in the cage: {refused}")
        pid = rt.state(b.id)["pid"]
        with open(f"/proc/{pid}/cgroup") as f:
            assert f.read() == f"0::/kapsel/{b.id}\n"
        assert rt("delete", "--force", b.id).rc == 0
        gone(rt, b)
    finally:
        os.rmdir(cage)
