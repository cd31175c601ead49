"""ps, pause, resume, update, events: a client's controls over a container
that runs, checked from outside (cgroup files, state) and from inside (what
the container's processes can do).  The cgroup files are v1's on a hybrid
host and cgroup2's on a pure v2 host (tests/vm/run.sh runs this file there)."""
import json
import os
import select
import subprocess
import time

import pytest

from conftest import CGROUP_LAYOUT, UNIFIED, cgroup_procs, cgroup_read, wait_exit, wait_file

MIB = 1024 * 1024
V2 = CGROUP_LAYOUT == "v2"


def cg_file(cid, controller, name):
    return cgroup_read("/kapsel/" + cid, controller, name).strip()


def frozen(cid):
    """What the cgroup says of a freeze: v1 freezer.state, v2 cgroup.freeze
    and the frozen key of cgroup.events."""
    if V2:
        d = f"{UNIFIED}/kapsel/{cid}"
        with open(d + "/cgroup.events") as f:
            events = dict(l.split() for l in f.read().splitlines())
        with open(d + "/cgroup.freeze") as f:
            asked = f.read().strip()
        return {("1", "1"): "FROZEN", ("0", "0"): "THAWED"}.get((asked, events["frozen"]), "FREEZING")
    return cg_file(cid, "freezer", "freezer.state")


def shared_dir(bundle, tmp_path, name="shared", dest="/shared"):
    """A host directory the container (uid 65534) can write, bind-mounted."""
    d = tmp_path / name
    d.mkdir()
    os.chmod(d, 0o777)
    bundle.config["mounts"].append({"destination": dest, "type": "bind", "source": str(d),
                                    "options": ["bind", "rw"]})
    return d


def run_detached(bundle, runtime, tmp_path, script, probes=None):
    """Run SCRIPT (sh) detached; it must create /shared/ready when set up,
    then be PROBES probe processes (wait_probes).  Returns the shared
    directory."""
    shared = shared_dir(bundle, tmp_path)
    bundle.args("/bin/sh", "-c", script)
    r = bundle.run("--detach")
    assert r.rc == 0, r
    assert wait_file(shared / "ready")
    if probes:
        wait_probes(bundle.id, probes)
    return shared


def wait_probes(cid, n, timeout=30):
    """Wait until the processes of container CID are N probes and nothing
    else: its `touch /shared/ready` has exited, its shell has exec'd.  No
    event says so: this looks again every 10 ms.  Returns their pids."""
    end = time.monotonic() + timeout
    while True:
        pids, names = cgroup_procs(cid), []
        for p in pids:
            try:
                with open(f"/proc/{p}/comm") as f:
                    names.append(f.read().strip())
            except OSError:  # it has just exited
                pass
        if len(pids) == n and names == ["probe"] * n:
            return pids
        assert time.monotonic() < end, f"container {cid}: {names} after {timeout} s, not {n} probes"
        time.sleep(0.01)


class Lines:
    """Lines of a child's stdout pipe, read with a timeout (select)."""

    def __init__(self, proc):
        self.proc = proc
        self.fd = proc.stdout.fileno()
        self.buf = b""
        self.eof = False

    def next(self, timeout=30):
        end = time.monotonic() + timeout
        while b"\n" not in self.buf:
            if self.eof:
                return None
            left = end - time.monotonic()
            if left <= 0 or not select.select([self.fd], [], [], left)[0]:
                raise TimeoutError(f"no line within {timeout} s (so far {self.buf!r})")
            chunk = os.read(self.fd, 65536)
            if not chunk:
                self.eof = True
                if not self.buf:
                    return None
                self.buf += b"\n"
            self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        return line.decode()


class DirWatch:
    """inotify on a directory: wait for the next file moved into it."""
    IN_MOVED_TO = 0x80

    def __init__(self, path):
        import ctypes
        libc = ctypes.CDLL(None, use_errno=True)
        self.fd = libc.inotify_init1(os.O_CLOEXEC | os.O_NONBLOCK)
        assert self.fd >= 0
        assert libc.inotify_add_watch(self.fd, str(path).encode(), self.IN_MOVED_TO) >= 0

    def drain(self):
        try:
            while os.read(self.fd, 65536):
                pass
        except BlockingIOError:
            pass

    def wait(self, timeout):
        """True if something was moved in within TIMEOUT seconds."""
        if not select.select([self.fd], [], [], timeout)[0]:
            return False
        self.drain()
        return True

    def close(self):
        os.close(self.fd)


@pytest.fixture
def host_tmpfs(tmp_path):
    """A tmpfs mounted on the host (the counter of the pause test lives in
    memory, not on the test's disk)."""
    d = tmp_path / "tmpfs"
    d.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "mode=0777,size=1m", "kapsel-test", str(d)], check=True)
    yield d
    subprocess.run(["umount", "-l", str(d)], check=False)


# ------------------------------------------------------------------- ps


def test_ps_json_lists_exactly_the_containers_pids(bundle, runtime, tmp_path):
    run_detached(bundle, runtime, tmp_path,
                 "/bin/probe sleep 600 & /bin/probe sleep 600 & touch /shared/ready; exec /bin/probe sleep 600", probes=3)
    r = runtime("ps", "--format", "json", bundle.id)
    assert r.rc == 0, r
    assert r.out.startswith("[") and " " not in r.out  # runc's compact form
    pids = r.json()
    assert len(pids) == 3
    assert sorted(pids) == sorted(cgroup_procs(bundle.id))
    assert runtime.state(bundle.id)["pid"] in pids
    # the container's processes only: not ours, not the host's init
    assert os.getpid() not in pids and 1 not in pids


def test_ps_table_filters_ps_output(bundle, runtime, tmp_path):
    run_detached(bundle, runtime, tmp_path, "/bin/probe sleep 600 & touch /shared/ready; exec /bin/probe sleep 600",
                 probes=2)
    pids = set(cgroup_procs(bundle.id))
    r = runtime("ps", bundle.id)
    assert r.rc == 0, r
    lines = r.out.splitlines()
    assert lines[0].split()[:3] == ["UID", "PID", "PPID"]  # ps -ef's header
    assert {int(l.split()[1]) for l in lines[1:]} == pids
    assert all("probe sleep 600" in l for l in lines[1:])
    # ps arguments after the id (and a "--")
    r = runtime("ps", bundle.id, "--", "-eo", "pid,comm")
    assert r.rc == 0, r
    lines = r.out.splitlines()
    assert lines[0].split() == ["PID", "COMMAND"]
    assert {int(l.split()[0]) for l in lines[1:]} == pids
    assert {l.split()[1] for l in lines[1:]} == {"probe"}


def test_ps_errors(bundle, runtime, tmp_path):
    r = runtime("ps", "nosuch")
    assert r.rc == 1 and 'container "nosuch" does not exist' in r.err, r
    assert runtime("ps", "--format", "yaml", "x").rc == 2
    assert runtime("ps").rc == 2
    run_detached(bundle, runtime, tmp_path, "touch /shared/ready; exec /bin/probe sleep 600", probes=1)
    r = runtime("ps", "--format", "json", bundle.id, "-ef")
    assert r.rc == 2 and "table only" in r.err, r
    # ps itself failing: its message is passed on
    r = runtime("ps", bundle.id, "--", "--no-such-ps-option")
    assert r.rc == 1 and "ps" in r.err and r.out == "", r
    # ps output without a PID column
    r = runtime("ps", bundle.id, "--", "-eo", "comm")
    assert r.rc == 1 and "no PID column" in r.err, r
    # a stopped container has no processes
    pid = runtime.state(bundle.id)["pid"]
    assert runtime("kill", bundle.id, "KILL").rc == 0
    assert wait_exit(pid)
    r = runtime("ps", "--format", "json", bundle.id)
    assert r.rc == 0 and r.json() == [], r


# --------------------------------------------------------- pause, resume


def test_pause_freezes_every_process_and_resume_thaws(bundle, runtime, tmp_path, host_tmpfs):
    # a child of the init counts into a file on a host tmpfs, ~50 times a second
    bundle.config["mounts"].append({"destination": "/counter", "type": "bind", "source": str(host_tmpfs),
                                    "options": ["bind", "rw"]})
    counter = host_tmpfs / "n"
    watch = DirWatch(host_tmpfs)
    try:
        bundle.args("/bin/sh", "-c",
                    "(i=0; while :; do i=$((i+1)); echo $i > /counter/n.tmp; mv /counter/n.tmp /counter/n; "
                    "sleep 0.02; done) & exec /bin/probe sleep 600")
        assert bundle.run("--detach").rc == 0
        assert watch.wait(30), "the counter never moved"
        assert watch.wait(30), "the counter moved only once"
        assert runtime.state(bundle.id)["status"] == "running"

        assert runtime("pause", bundle.id).rc == 0
        assert runtime.state(bundle.id)["status"] == "paused"
        assert frozen(bundle.id) == "FROZEN"
        watch.drain()  # what was moved in before the freeze took hold
        frozen_at = int(counter.read_text())
        assert not watch.wait(1.5), "the counter moved while the container was paused"
        assert int(counter.read_text()) == frozen_at
        # list still works on a paused container
        r = runtime("list", "--format", "json")
        assert [c["status"] for c in r.json()] == ["paused"]

        assert runtime("resume", bundle.id).rc == 0
        assert runtime.state(bundle.id)["status"] == "running"
        assert frozen(bundle.id) == "THAWED"
        assert watch.wait(30), "the counter did not move after resume"
        assert int(counter.read_text()) > frozen_at
    finally:
        watch.close()
        runtime("delete", "--force", bundle.id)


def test_pause_and_resume_refuse_the_wrong_state(bundle, runtime):
    for cmd in ("pause", "resume"):
        r = runtime(cmd, "nosuch")
        assert r.rc == 1 and 'container "nosuch" does not exist' in r.err, r
        assert runtime(cmd).rc == 2
        assert runtime(cmd, "a", "b").rc == 2
    bundle.args("/bin/probe", "sleep", "600")
    assert bundle.create().rc == 0
    r = runtime("pause", bundle.id)
    assert r.rc == 1 and "it is created, not running" in r.err, r
    r = runtime("resume", bundle.id)
    assert r.rc == 1 and "it is created, not paused" in r.err, r
    assert runtime("start", bundle.id).rc == 0
    r = runtime("resume", bundle.id)
    assert r.rc == 1 and "it is running, not paused" in r.err, r
    assert runtime("pause", bundle.id).rc == 0
    r = runtime("pause", bundle.id)
    assert r.rc == 1 and "it is paused, not running" in r.err, r
    # a paused container can be deleted with --force (it is thawed to die)
    pid = runtime.state(bundle.id)["pid"]
    assert runtime("delete", "--force", bundle.id).rc == 0
    assert wait_exit(pid)
    assert runtime.ids() == []


def test_pause_and_resume_refuse_a_stopped_container(bundle, runtime):
    bundle.args("/bin/probe", "sleep", "600")
    assert bundle.run("--detach").rc == 0
    pid = runtime.state(bundle.id)["pid"]
    assert runtime("kill", bundle.id, "KILL").rc == 0
    assert wait_exit(pid)
    r = runtime("pause", bundle.id)
    assert r.rc == 1 and "it is stopped, not running" in r.err, r
    r = runtime("resume", bundle.id)
    assert r.rc == 1 and "it is stopped, not paused" in r.err, r


# ---------------------------------------------------------------- update


def limits(cid):
    """The container's limits as read from its cgroup, in the OCI's terms:
    memsw is memory+swap, shares on v2 the cpu.weight they map to (weight()),
    unlimited a number above 2^60.  Device rules are v1's devices.list (on v2
    an eBPF program, proven from inside by the device tests)."""
    if not V2:
        return {
            "memory": int(cg_file(cid, "memory", "memory.limit_in_bytes")),
            "memsw": int(cg_file(cid, "memory", "memory.memsw.limit_in_bytes")),
            "reservation": int(cg_file(cid, "memory", "memory.soft_limit_in_bytes")),
            "pids": cg_file(cid, "pids", "pids.max"),
            "quota": int(cg_file(cid, "cpu", "cpu.cfs_quota_us")),
            "period": int(cg_file(cid, "cpu", "cpu.cfs_period_us")),
            "shares": int(cg_file(cid, "cpu", "cpu.shares")),
            "cpus": cg_file(cid, "cpuset", "cpuset.cpus"),
            "devices": cg_file(cid, "devices", "devices.list"),
        }

    def num(v):
        return float("inf") if v == "max" else int(v)
    quota, period = cg_file(cid, "cpu", "cpu.max").split()
    memory = num(cg_file(cid, "memory", "memory.max"))
    return {
        "memory": memory,
        "memsw": memory + num(cg_file(cid, "memory", "memory.swap.max")),
        "reservation": num(cg_file(cid, "memory", "memory.low")),
        "pids": cg_file(cid, "pids", "pids.max"),
        "quota": -1 if quota == "max" else int(quota),
        "period": int(period),
        "shares": int(cg_file(cid, "cpu", "cpu.weight")),
        "cpus": effective_cpus(cid),
        "devices": None,
    }


def effective_cpus(cid):
    """The cpus of the container's cgroup: its own cpuset.cpus.effective when
    the cpuset controller is enabled for it (kapsel enables a v2 controller
    when a limit needs it), else its nearest ancestor's."""
    d = f"{UNIFIED}/kapsel/{cid}"
    while not os.path.exists(d + "/cpuset.cpus.effective"):
        d = os.path.dirname(d)
    with open(d + "/cpuset.cpus.effective") as f:
        return f.read().strip()


def weight(shares):
    """What limits() reads for cpu shares SHARES: v1 the shares, v2 the
    cpu.weight (runc's and crun's mapping of 2..262144 onto 1..10000)."""
    return 1 + (shares - 2) * 9999 // 262142 if V2 else shares


def recorded(runtime, cid):
    p = os.path.join(runtime.root, cid, "resources.json")
    if not os.path.exists(p):
        return None
    with open(p) as f:
        return json.load(f)


def fork_bomb(runtime, cid, n):
    r = runtime("exec", cid, "/bin/probe", "try", "fork-bomb", str(n))
    assert r.out, r
    return json.loads(r.out)


def test_update_changes_limits_live(bundle, runtime):
    bundle.args("/bin/probe", "sleep", "600")
    assert bundle.run("--detach").rc == 0
    before = limits(bundle.id)
    # the hardened default spec: 256 MiB, no swap, 512 pids, one cpu
    assert before["memory"] == before["memsw"] == 256 * MIB
    assert before["pids"] == "512" and before["quota"] == 100000

    r = runtime("update", "--memory", "64m", "--memory-reservation", "32MiB", "--pids-limit", "20",
                "--cpu-quota", "50000", "--cpu-share", "512", bundle.id)
    assert r.rc == 0, r
    after = limits(bundle.id)
    assert after["memory"] == 64 * MIB
    assert after["memsw"] == 64 * MIB  # it had no swap, so it still has none
    assert after["reservation"] == 32 * MIB
    assert after["pids"] == "20" and after["quota"] == 50000 and after["shares"] == weight(512)
    assert after["period"] == before["period"] and after["cpus"] == before["cpus"]
    assert after["devices"] == before["devices"]  # device rules are not touched
    rec = recorded(runtime, bundle.id)
    assert rec["memory"] == {"limit": 64 * MIB, "swap": 64 * MIB, "reservation": 32 * MIB}
    assert rec["pids"] == {"limit": 20}
    assert rec["cpu"]["quota"] == 50000 and rec["cpu"]["shares"] == 512 and rec["cpu"]["period"] == 100000
    assert rec["devices"] == bundle.config["linux"]["resources"]["devices"]

    # the container meets the new pids limit
    res = fork_bomb(runtime, bundle.id, 50)
    assert res["ok"] is False and res["errno"] == 11 and res["count"] < 20, res
    # a second update merges into the first
    assert runtime("update", "--pids-limit", "100", bundle.id).rc == 0
    assert limits(bundle.id)["pids"] == "100"
    assert limits(bundle.id)["memory"] == 64 * MIB
    rec = recorded(runtime, bundle.id)
    assert rec["pids"] == {"limit": 100} and rec["memory"]["limit"] == 64 * MIB
    res = fork_bomb(runtime, bundle.id, 50)
    assert res["ok"] is True and res["count"] == 50, res
    # -1: unlimited, swap with it; runc's size forms
    assert runtime("update", "--memory", "-1", "--pids-limit", "-1", bundle.id).rc == 0
    lim = limits(bundle.id)
    assert lim["memory"] > 1 << 60 and lim["memsw"] > 1 << 60 and lim["pids"] == "max"
    assert runtime("update", "--memory", "1.5g", "--memory-swap", "2g", bundle.id).rc == 0
    lim = limits(bundle.id)
    assert lim["memory"] == 1536 * MIB and lim["memsw"] == 2048 * MIB
    assert runtime("update", "--memory", "100663296", bundle.id).rc == 0
    assert limits(bundle.id)["memory"] == 96 * MIB
    assert limits(bundle.id)["memsw"] == 2048 * MIB  # it has swap: the swap limit stays


def test_update_from_a_file_and_stdin_keeps_device_rules(bundle, runtime, tmp_path):
    # a device rule of its own, which a rewrite of the rules would lose
    bundle.config["linux"]["resources"]["devices"].append(
        {"allow": True, "type": "c", "major": 10, "minor": 200, "access": "rwm"})
    bundle.args("/bin/probe", "sleep", "600")
    assert bundle.create().rc == 0  # a created container can be updated too
    devices = limits(bundle.id)["devices"]
    assert V2 or "c 10:200 rwm" in devices.splitlines()
    f = tmp_path / "res.json"
    # a client sending the whole linux.resources back, its device rules and
    # zeros (Docker's "not set") included: the same rules change nothing
    f.write_text(json.dumps({"memory": {"limit": 128 * MIB, "swap": 128 * MIB, "reservation": 0},
                             "cpu": {"shares": 0, "quota": 20000, "period": 100000, "cpus": ""},
                             "devices": bundle.config["linux"]["resources"]["devices"]}))
    r = runtime("update", "--resources", str(f), bundle.id)
    assert r.rc == 0, r
    lim = limits(bundle.id)
    assert lim["memory"] == 128 * MIB and lim["quota"] == 20000 and lim["shares"] == weight(1024)
    assert lim["devices"] == devices
    rec = recorded(runtime, bundle.id)
    assert rec["devices"] == bundle.config["linux"]["resources"]["devices"]
    assert rec["cpu"]["shares"] == 1024
    r = runtime("update", "-r", "-", bundle.id, input=json.dumps({"pids": {"limit": 42}}))
    assert r.rc == 0, r
    assert limits(bundle.id)["pids"] == "42"
    assert limits(bundle.id)["memory"] == 128 * MIB
    assert limits(bundle.id)["devices"] == devices
    # paused containers take updates as well
    assert runtime("start", bundle.id).rc == 0
    assert runtime("pause", bundle.id).rc == 0
    assert runtime("update", "--cpu-quota", "30000", bundle.id).rc == 0
    assert limits(bundle.id)["quota"] == 30000
    assert runtime.state(bundle.id)["status"] == "paused"
    assert runtime("resume", bundle.id).rc == 0


def test_update_with_a_bad_value_changes_nothing(bundle, runtime, tmp_path):
    bundle.args("/bin/probe", "sleep", "600")
    assert bundle.run("--detach").rc == 0
    before = limits(bundle.id)
    bad_json = tmp_path / "bad.json"
    bad_json.write_text('{"memory": {"limit": ')
    cases = [
        (("--memory", "lots"), 2, '--memory: "lots" is not a size'),
        (("--memory", "12q"), 2, '--memory: "12q" is not a size'),
        (("--pids-limit", "many"), 2, '--pids-limit: "many" is not an integer'),
        (("--pids-limit", "0"), 2, "use -1 for no limit"),
        (("--cpu-period", "-5"), 2, "--cpu-period: \"-5\" is not an unsigned integer"),
        (("--kernel-memory", "64m"), 2, "--kernel-memory: kernel memory limits are deprecated"),
        (("--l3-cache-schema", "L3:0=f"), 2, "Intel RDT is not supported"),
        (("--mem-bw-schema", "MB:0=50"), 2, "Intel RDT is not supported"),
        (("--no-such-flag", "1"), 2, "unknown option"),
        # validated against what the container has: swap below the limit
        (("--memory-swap", "1m"), 1, "--memory-swap (linux.resources.memory.swap): 1048576 is below memory.limit"),
        (("--cpu-share", "1"), 1, "--cpu-share (linux.resources.cpu.shares): 1 is out of range (2..262144)"),
        (("--cpuset-cpus", "0-1x"), 1, "--cpuset-cpus (linux.resources.cpu.cpus): expected a list"),
        # the kernel refuses the second write: the first one is undone
        (("--memory", "128m", "--pids-limit", "30", "--cpuset-cpus", "999"), 1,
         "--cpuset-cpus (linux.resources.cpu.cpus): write \"999\""),
        # below what the container uses: the v1 kernel refuses (v2 takes
        # it and OOM-kills; checkBeforeUpdate refuses there, below)
        *([] if V2 else [(("--memory", "4k"), 1, "linux.resources.memory.limit")]),
        (("--resources", str(bad_json)), 1, "bad.json: line 1: invalid JSON"),
        (("--resources", str(tmp_path / "missing.json")), 1, "missing.json"),
    ]
    for args, rc, msg in cases:
        r = runtime("update", *args, bundle.id)
        assert r.rc == rc and msg in r.err, (args, r)
        assert limits(bundle.id) == before, args
        assert recorded(runtime, bundle.id) is None, args
    for doc, msg in [({"memroy": {"limit": 1}}, "linux.resources.memroy: unknown field"),
                     ({"memory": {"limt": 1}}, "linux.resources.memory.limt: unknown field"),
                     ({"memory": {"limit": "1G"}}, "linux.resources.memory.limit: expected an integer"),
                     ({"memory": {"kernel": 1 << 20}}, "linux.resources.memory.kernel: kernel memory limits"),
                     ({"memory": {"limit": 4096, "checkBeforeUpdate": True}},
                      "linux.resources.memory.limit: 4096 is below the current usage"),
                     ([1], "expected a linux.resources object")]:
        r = runtime("update", "-r", "-", bundle.id, input=json.dumps(doc))
        assert r.rc == 1 and msg in r.err, (doc, r)
        assert limits(bundle.id) == before, doc
    assert os.listdir(os.path.join(runtime.root, bundle.id)).count("resources.json.tmp") == 0


def test_update_refuses_the_wrong_state(bundle, runtime):
    r = runtime("update", "--memory", "64m", "nosuch")
    assert r.rc == 1 and 'container "nosuch" does not exist' in r.err, r
    assert runtime("update").rc == 2
    bundle.args("/bin/probe", "sleep", "600")
    assert bundle.run("--detach").rc == 0
    pid = runtime.state(bundle.id)["pid"]
    assert runtime("kill", bundle.id, "KILL").rc == 0
    assert wait_exit(pid)
    r = runtime("update", "--memory", "64m", bundle.id)
    assert r.rc == 1 and "it is stopped" in r.err, r


# ---------------------------------------------------------------- events


def test_events_stats_once(bundle, runtime, tmp_path):
    run_detached(bundle, runtime, tmp_path, "/bin/probe sleep 600 & touch /shared/ready; exec /bin/probe sleep 600",
                 probes=2)
    r = runtime("events", "--stats", bundle.id)
    assert r.rc == 0, r
    lines = r.out.splitlines()
    assert len(lines) == 1
    ev = json.loads(lines[0])
    assert ev["type"] == "stats" and ev["id"] == bundle.id
    d = ev["data"]
    assert d["memory"]["usage"]["usage"] > 0
    assert d["memory"]["usage"]["limit"] == 256 * MIB
    assert d["pids"]["current"] == 2 and d["pids"]["limit"] == 512
    assert d["cpu"]["usage"]["total"] > 0


def test_events_stream_until_the_container_stops(bundle, runtime):
    bundle.args("/bin/probe", "sleep", "600")
    assert bundle.run("--detach").rc == 0
    p = runtime.popen("events", "--interval", "100ms", bundle.id, stdout=subprocess.PIPE)
    try:
        lines = Lines(p)
        for _ in range(2):
            ev = json.loads(lines.next())
            assert ev["type"] == "stats" and ev["id"] == bundle.id and ev["data"]["pids"]["current"] == 1
        assert runtime("kill", bundle.id, "KILL").rc == 0
        assert p.wait(timeout=30) == 0
    finally:
        p.kill()
        p.wait()


def start_events_then(runtime, bundle, then):
    """events in the background; once it streams (its first stats line),
    THEN(); returns the events after that, up to its end."""
    p = runtime.popen("events", "--interval", "100ms", bundle.id, stdout=subprocess.PIPE)
    try:
        lines = Lines(p)
        assert json.loads(lines.next())["type"] == "stats"
        then()
        return p, lines
    except BaseException:
        p.kill()
        p.wait()
        raise


def test_events_reports_an_oom_kill_of_the_init(bundle, runtime):
    bundle.config["linux"]["resources"]["memory"] = {"limit": 32 * MIB, "swap": 32 * MIB}
    bundle.args("/bin/probe", "try", "alloc", "200")
    assert bundle.create().rc == 0
    p, lines = start_events_then(runtime, bundle, lambda: runtime("start", bundle.id, check=True))
    try:
        events = []
        while (line := lines.next()) is not None:
            events.append(json.loads(line))
        assert {"type": "oom", "id": bundle.id} in events
        assert [e for e in events if e["type"] == "oom"] == [{"type": "oom", "id": bundle.id}]
        assert p.wait(timeout=30) == 0  # the container stopped: events ends
    finally:
        p.kill()
        p.wait()
    assert runtime.state(bundle.id)["status"] == "stopped"


def waiting_for_oom_events(pid, timeout=30):
    """True once events (PID) sleeps in poll with an OOM notification fd
    (v1: an eventfd, v2: inotify) open."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            fds = os.listdir(f"/proc/{pid}/fd")
            with open(f"/proc/{pid}/wchan") as f:
                wchan = f.read()
        except OSError:  # it is gone
            return False
        links = []
        for fd in fds:
            try:
                links.append(os.readlink(f"/proc/{pid}/fd/{fd}"))
            except OSError:  # closed since the listing (the VM's slowness widens that window)
                pass
        if any(l in ("anon_inode:[eventfd]", "anon_inode:inotify") for l in links) and "poll" in wchan:
            return True
        time.sleep(0.01)
    return False


def test_events_reports_an_oom_kill_while_the_container_runs(bundle, runtime, tmp_path):
    shared = shared_dir(bundle, tmp_path)
    bundle.config["linux"]["resources"]["memory"] = {"limit": 32 * MIB, "swap": 32 * MIB}
    # a child is killed, the init lives on
    bundle.args("/bin/sh", "-c", "until [ -e /shared/go ]; do sleep 0.05; done; "
                "/bin/probe try alloc 200 >/dev/null 2>&1; touch /shared/done; exec /bin/probe sleep 600")
    assert bundle.run("--detach").rc == 0
    # no stats for an hour: only the kernel's OOM notification can make a line
    p = runtime.popen("events", "--interval", "1h", bundle.id, stdout=subprocess.PIPE)
    try:
        assert waiting_for_oom_events(p.pid), p.poll()
        (shared / "go").touch()
        ev = json.loads(Lines(p).next())
        assert ev == {"type": "oom", "id": bundle.id}
        assert wait_file(shared / "done")
        assert runtime.state(bundle.id)["status"] == "running"
        oom_file = "memory.events" if V2 else "memory.oom_control"
        assert int(cg_file(bundle.id, "memory", oom_file).split("oom_kill ")[1].split()[0]) >= 1
    finally:
        p.kill()
        p.wait()


def test_events_errors(bundle, runtime):
    for args in (("--stats",), ()):
        r = runtime("events", *args, "nosuch")
        assert r.rc == 1 and 'container "nosuch" does not exist' in r.err, r
    for bad in ("5", "0s", "-1s", "soon", "1x"):
        r = runtime("events", "--interval", bad, "x")
        assert r.rc == 2 and "--interval" in r.err, (bad, r)
    bundle.args("/bin/probe", "sleep", "600")
    assert bundle.run("--detach").rc == 0
    pid = runtime.state(bundle.id)["pid"]
    assert runtime("kill", bundle.id, "KILL").rc == 0
    assert wait_exit(pid)
    for args in (("--stats",), ()):
        r = runtime("events", *args, bundle.id)
        assert r.rc == 1 and f'container "{bundle.id}" is not running' in r.err, r


def test_run_warns_when_its_container_was_oom_killed(bundle, runtime):
    bundle.config["linux"]["resources"]["memory"] = {"limit": 32 * MIB, "swap": 32 * MIB}
    bundle.args("/bin/probe", "try", "alloc", "200")
    r = bundle.run()
    assert r.rc == 128 + 9, r
    assert f"container {bundle.id} was OOM-killed" in r.err, r
    assert runtime.ids() == []


def test_run_does_not_call_a_plain_sigkill_an_oom_kill(bundle, runtime):
    bundle.args("/bin/probe", "signals")
    bundle.write()
    p = runtime.popen("run", "--bundle", bundle.path, bundle.id, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                      text=True)
    assert p.stdout.readline() == "ready\n"
    assert runtime("kill", bundle.id, "KILL").rc == 0
    _, err = p.communicate(timeout=30)
    assert p.returncode == 128 + 9
    assert "OOM" not in err
