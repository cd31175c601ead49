"""kapsel-supervise: the per-container supervisor, driven as the engine drives
it (a container directory with supervise.json and a real bundle, then
`kapsel-supervise --dir DIR`), checked through what it leaves: status.json,
the log files, the control socket, the runtime's state and the processes."""
import json
import os
import re
import signal
import socket
import struct
import subprocess
import time
import uuid

import pytest

from conftest import BUILD, RUNTIME, _inotify_wait, wait_exit, wait_file, wait_for, wait_gone
from clients import dockerd, image_rootfs_tar, runtime_bin  # noqa: F401 (fixtures)

SUPERVISE = os.environ.get("KAPSEL_SUPERVISE") or os.path.join(BUILD, "src", "supervise", "kapsel-supervise")


def alive(pid):
    """PID runs (a zombie no one has reaped yet does not)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


class Container:
    """ROOT/containers/<id>/ as the engine makes it: bundle/config.json and
    supervise.json."""

    def __init__(self, base, rootfs, runtime):
        self.id = uuid.uuid4().hex + uuid.uuid4().hex
        self.dir = os.path.join(base, "containers", self.id)
        self.bundle = os.path.join(self.dir, "bundle")
        os.makedirs(self.bundle, mode=0o700)
        self.runtime = runtime
        r = runtime("spec", "--bundle", self.bundle)
        assert r.rc == 0, r
        with open(os.path.join(self.bundle, "config.json")) as f:
            self.config = json.load(f)
        self.config["root"]["path"] = rootfs
        self.sup = {"id": self.id, "name": "supervise-test", "image": "kbox:latest", "bundle": self.bundle,
                    "runtime": RUNTIME, "runtime_root": runtime.root, "stop_timeout": 10}

    def write(self, args, tty=False, **sup):
        self.config["process"]["args"] = list(args)
        self.config["process"]["terminal"] = tty
        with open(os.path.join(self.bundle, "config.json"), "w") as f:
            json.dump(self.config, f)
        self.sup.update(sup, tty=tty)
        with open(os.path.join(self.dir, "supervise.json"), "w") as f:
            json.dump(self.sup, f)

    def start(self, args, **sup):
        self.write(args, **sup)
        return self.launch()

    def launch(self):
        p = subprocess.run([SUPERVISE, "--dir", self.dir, "--config", "/dev/null"], capture_output=True, text=True,
                           timeout=60)
        return p

    def status(self):
        with open(os.path.join(self.dir, "status.json")) as f:
            return json.load(f)

    def connect(self, timeout=60):
        """A connection to DIR/ctl.sock (through /proc/self/fd: the test
        directory's path is longer than a socket address may be)."""
        s = socket.socket(socket.AF_UNIX)
        s.settimeout(timeout)
        fd = os.open(self.dir, os.O_PATH)
        try:
            s.connect(f"/proc/self/fd/{fd}/ctl.sock")
        finally:
            os.close(fd)
        return s

    def ctl(self, req, timeout=60):
        s = self.connect(timeout)
        s.sendall(json.dumps(req).encode() + b"\n")
        f = s.makefile("rb")
        line = f.readline()
        s.close()
        return json.loads(line)

    def wait_done(self, timeout=60):
        """Wait until the supervisor has exited (pidfd)."""
        assert wait_exit(self.status()["supervisor_pid"], timeout), "the supervisor did not end"
        return self.status()

    def until(self, pred, timeout=60):
        """Wait (inotify on each rewrite of status.json) until PRED(status)."""
        last = {}

        def done():
            try:
                last["st"] = self.status()
            except (OSError, ValueError):
                return False
            return pred(last["st"])
        IN_MOVED_TO = 0x80
        assert _inotify_wait(os.path.join(self.dir, "status.json"), IN_MOVED_TO, done, timeout), last
        return last["st"]

    @property
    def log_path(self):
        return os.path.join(self.dir, self.id + "-json.log")

    def log(self, path=None):
        with open(path or self.log_path, "rb") as f:
            return [json.loads(line) for line in f.read().splitlines()]


@pytest.fixture
def ctr(tmp_path, rootfs, runtime):
    made = []

    def make():
        c = Container(str(tmp_path), rootfs, runtime)
        made.append(c)
        return c
    yield make
    for c in made:
        try:
            pid = c.status()["supervisor_pid"]
        except (OSError, ValueError, KeyError):
            continue
        if alive(pid):
            os.kill(pid, signal.SIGKILL)
            wait_exit(pid)


def test_runs_logs_and_records_the_exit(ctr, runtime):
    c = ctr()
    p = c.start(["sh", "-c", "echo out; echo err >&2; exit 3"])
    assert p.returncode == 0, p.stderr
    st = c.wait_done()
    assert st["state"] == "exited"
    assert st["exit_code"] == 3
    assert st["restart_count"] == 0 and st["error"] is None
    assert st["started_at"] <= st["finished_at"]
    lines = c.log()
    assert {(x["stream"], x["log"]) for x in lines} == {("stdout", "out\n"), ("stderr", "err\n")}
    # done for good: the runtime's container is deleted, the socket gone
    assert runtime.ids() == []
    assert not os.path.exists(os.path.join(c.dir, "ctl.sock"))


def test_running_state_stop_and_wait(ctr, runtime):
    c = ctr()
    # the stop signal is the config's: USR1 is trapped and ends the shell with 7
    p = c.start(["sh", "-c", "trap 'exit 7' USR1; while :; do sleep 0.1; done"], stop_signal="SIGUSR1")
    assert p.returncode == 0, p.stderr
    st = c.status()
    assert st["state"] == "running", st
    assert alive(st["pid"]) and alive(st["supervisor_pid"])
    assert st["finished_at"] is None
    assert runtime.state(c.id)["status"] == "running"
    assert oct(os.stat(os.path.join(c.dir, "ctl.sock")).st_mode & 0o777) == "0o600"
    waiter = c.connect()
    waiter.sendall(b'{"op":"wait"}\n')
    assert c.ctl({"op": "stop", "timeout": 30}) == {"ok": True, "exit_code": 7}
    assert json.loads(waiter.makefile("rb").readline()) == {"ok": True, "exit_code": 7}
    st = c.wait_done()
    assert st["state"] == "exited" and st["exit_code"] == 7
    assert runtime.ids() == []


def test_stop_kills_a_pid1_that_ignores_the_stop_signal(ctr):
    c = ctr()
    # sleep as PID 1 has no handler for SIGTERM: the kernel drops it
    assert c.start(["sleep", "1000"]).returncode == 0
    t0 = time.monotonic()
    assert c.ctl({"op": "stop", "timeout": 1}) == {"ok": True, "exit_code": 137}
    assert time.monotonic() - t0 >= 1.0, "SIGKILL came before the timeout"
    assert c.wait_done()["exit_code"] == 137


def test_on_failure_restarts_exactly_max_times_with_growing_gaps(ctr, runtime):
    c = ctr()
    p = c.start(["sh", "-c", "echo run; exit 2"], restart={"policy": "on-failure", "max_retries": 3})
    assert p.returncode == 0, p.stderr
    st = c.wait_done()
    assert st["state"] == "exited" and st["exit_code"] == 2
    assert st["restart_count"] == 3
    times = [x["time"] for x in c.log()]
    assert len(times) == 4  # the first run and three restarts
    hms = [re.match(r".*T(\d+):(\d+):([\d.]+)Z", t).groups() for t in times]
    secs = [3600 * int(h) + 60 * int(m) + float(sec) for h, m, sec in hms]
    gaps = [b - a for a, b in zip(secs, secs[1:])]
    # each gap holds at least its back-off (100, 200, 400 ms) on top of the
    # runtime's delete, create and start; the back-off doubles, so the last
    # gap is longer than the first by about 300 ms
    for i, g in enumerate(gaps):
        assert g >= 0.1 * 2 ** i, gaps
    assert gaps[2] > gaps[0], gaps
    assert runtime.ids() == []


def test_on_failure_does_not_restart_a_clean_exit(ctr):
    c = ctr()
    assert c.start(["true"], restart={"policy": "on-failure", "max_retries": 3}).returncode == 0
    st = c.wait_done()
    assert st["restart_count"] == 0 and st["exit_code"] == 0


def test_always_restarts_until_stopped(ctr):
    c = ctr()
    states = set()
    assert c.start(["sh", "-c", "echo x; exit 0"], restart={"policy": "always"}).returncode == 0
    # wait (inotify) until it has restarted twice, noting the states seen
    path = os.path.join(c.dir, "status.json")
    while True:
        try:
            st = c.status()
        except (OSError, ValueError):
            continue
        states.add(st["state"])
        if st["restart_count"] >= 2:
            break
        os.rename(path, path + ".seen")
        assert wait_file(path, 30)
    r = c.ctl({"op": "stop", "timeout": 5})
    assert r["ok"], r
    st = c.wait_done()
    assert st["state"] == "exited"
    assert "restarting" in states
    n = st["restart_count"]
    assert n >= 2 and len(c.log()) in (n, n + 1)


def test_kill_signals_the_container(ctr):
    c = ctr()
    assert c.start(["sleep", "1000"]).returncode == 0
    assert c.ctl({"op": "kill", "signal": "KILL"}) == {"ok": True}
    st = c.wait_done()
    assert st["exit_code"] == 137
    assert st["restart_count"] == 0


def test_killed_supervisor_leaves_the_container_running(ctr, runtime):
    c = ctr()
    assert c.start(["sleep", "1000"]).returncode == 0
    st = c.status()
    os.kill(st["supervisor_pid"], signal.SIGKILL)
    assert wait_exit(st["supervisor_pid"])
    assert alive(st["pid"]), "the container died with its supervisor"
    assert runtime.state(c.id)["status"] == "running"
    # what ps reports from: running, and a supervisor that is gone
    st2 = c.status()
    assert st2["state"] == "running" and not alive(st2["supervisor_pid"])
    runtime("kill", c.id, "KILL")
    assert wait_exit(st["pid"])


def test_starter_killed_mid_start_leaves_no_container(ctr, runtime, tmp_path):
    c = ctr()
    # a runtime that stops after create until the test lets it go on
    gate = tmp_path / "gate"
    os.mkfifo(gate)
    marker = tmp_path / "created"
    wrapper = tmp_path / "slow-runtime"
    wrapper.write_text(f"""#!/bin/sh
for a; do [ "$a" = start ] && {{ echo $PPID > {marker}.tmp; mv {marker}.tmp {marker}; cat {gate} >/dev/null; }}; done
exec {RUNTIME} "$@"
""")
    wrapper.chmod(0o755)
    c.write(["sleep", "1000"], runtime=str(wrapper))
    starter = subprocess.Popen([SUPERVISE, "--dir", c.dir, "--config", "/dev/null"], stderr=subprocess.PIPE)
    assert wait_file(marker, 30)
    sup_pid = int(marker.read_text())
    starter.kill()
    starter.wait()
    with open(gate, "w") as g:
        g.write("go\n")
    assert wait_exit(sup_pid, 60)
    assert runtime.ids() == []
    st = c.status()
    assert st["state"] == "dead" and "went away" in st["error"]
    assert not alive(st["pid"])


def test_failed_start_reports_and_cleans_up(ctr, runtime):
    c = ctr()
    p = c.start(["/no/such/program"])
    assert p.returncode == 1
    assert "/no/such/program" in p.stderr, p.stderr
    assert runtime.ids() == []
    assert not os.path.exists(os.path.join(c.dir, "status.json"))
    assert not os.path.exists(os.path.join(c.dir, "ctl.sock"))


@pytest.mark.parametrize("field,value,says", [
    ("restart", {"policy": "sometimes"}, "restart.policy"),
    ("stop_signal", "SIGNOPE", "stop_signal"),
    ("bundle", "relative/path", "bundle"),
    ("id", "abc", "id"),
    ("log", {"driver": "json-file", "opts": {"max-size": "lots"}}, "log.opts.max-size"),
    ("log", {"driver": "carrier-pigeon"}, "log.driver"),
    ("stop_timeout", -1, "stop_timeout"),
    ("surprise", 1, "surprise"),
])
def test_bad_supervise_json_names_the_field(ctr, runtime, field, value, says):
    c = ctr()
    p = c.start(["true"], **{field: value})
    assert p.returncode == 1
    assert "supervise.json: " + says + ":" in p.stderr, p.stderr
    assert runtime.ids() == [] and not os.path.exists(os.path.join(c.dir, "status.json"))


def test_attach_frames_output_and_feeds_stdin(ctr):
    c = ctr()
    assert c.start(["sh", "-c", "read x; echo got $x; echo err >&2; read y"], stdin=True).returncode == 0
    s = c.connect(30)
    s.sendall(b'{"op":"attach","stdin":true,"stdout":true,"stderr":true,"stdin_once":true}\n')
    f = s.makefile("rb")
    assert json.loads(f.readline()) == {"ok": True}
    s.sendall(b"hi\n")
    got = {}
    while len(got) < 2:
        hdr = f.read(8)
        stream, n = hdr[0], struct.unpack(">I", hdr[4:])[0]
        assert hdr[1:4] == b"\0\0\0"
        got[stream] = got.get(stream, b"") + f.read(n)
    assert got == {1: b"got hi\n", 2: b"err\n"}
    s.shutdown(socket.SHUT_WR)  # stdin_once: EOF closes the container's stdin, read y ends
    assert f.read() == b""
    assert c.wait_done()["exit_code"] == 1


def test_tty_output_goes_through_the_terminal(ctr):
    c = ctr()
    assert c.start(["sh", "-c", "[ -t 1 ] && echo on-a-tty"], tty=True).returncode == 0
    st = c.wait_done()
    assert st["exit_code"] == 0
    assert [x["log"] for x in c.log()] == ["on-a-tty\r\n"]


def test_rotation_keeps_max_file_files(ctr):
    c = ctr()
    script = "i=0; while [ $i -lt 300 ]; do echo line-$i-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx; i=$((i+1)); done"
    p = c.start(["sh", "-c", script],
                log={"driver": "json-file", "opts": {"max-size": "4k", "max-file": "3", "compress": "false"}})
    assert p.returncode == 0, p.stderr
    c.wait_done()
    files = sorted(f for f in os.listdir(c.dir) if f.startswith(c.id + "-json.log"))
    assert files == [c.id + "-json.log", c.id + "-json.log.1", c.id + "-json.log.2"]
    for rotated in files[1:]:
        assert os.path.getsize(os.path.join(c.dir, rotated)) >= 4096
    # the kept lines are the last ones, in order, none missing
    kept = []
    for f in reversed(files):
        kept += [x["log"] for x in c.log(os.path.join(c.dir, f))]
    nums = [int(x.split("-")[1]) for x in kept]
    assert nums == list(range(nums[0], 300))


def test_k8s_file_format(ctr):
    c = ctr()
    script = "echo one; head -c 20000 /dev/zero | tr '\\0' y; echo; printf tail"
    assert c.start(["sh", "-c", script], log={"driver": "k8s-file"}).returncode == 0
    c.wait_done()
    with open(os.path.join(c.dir, c.id + "-k8s.log"), "rb") as f:
        lines = f.read().split(b"\n")
    assert lines[-1] == b""
    pat = re.compile(rb"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z stdout ([FP]) (.*)$", re.S)
    recs = [pat.match(x).groups()[1:] for x in lines[:-1]]
    assert recs == [(b"F", b"one"), (b"P", b"y" * 16384), (b"F", b"y" * (20000 - 16384)), (b"P", b"tail")]


def test_auto_remove_removes_the_directory(ctr, runtime):
    c = ctr()
    assert c.start(["true"], auto_remove=True).returncode == 0
    assert wait_gone(c.dir)
    assert runtime.ids() == []


def rotated_lines(c):
    """Every line of the live and rotated files, oldest first, read as
    kapsel logs reads them (a rotated file: plain if there, else .gz)."""
    import gzip
    base = c.log_path
    files, k = [], 1
    while True:
        if os.path.exists("%s.%d" % (base, k)):
            files.append(open("%s.%d" % (base, k), "rb").read())
        elif os.path.exists("%s.%d.gz" % (base, k)):
            files.append(gzip.open("%s.%d.gz" % (base, k)).read())
        else:
            break
        k += 1
    files.reverse()
    live = open(base, "rb").read()
    # a supervisor killed -9 in the middle of a write() leaves the live
    # file's last line cut (kapsel logs counts it as corrupt): only there
    if live and not live.endswith(b"\n"):
        live = live[:live.rfind(b"\n") + 1]
    files.append(live)
    return [json.loads(x)["log"] for f in files for x in f.splitlines()]


def gzip_children(pid):
    """The supervisor's kapsel-log-gzip children: {pid: VmHWM kB}."""
    out = {}
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            kids = f.read().split()
    except OSError:
        return out
    for k in kids:
        try:
            st = open(f"/proc/{k}/status").read()
        except OSError:
            continue
        if re.search(r"Name:\s+kapsel-log-gzip", st):
            m = re.search(r"VmHWM:\s+(\d+) kB", st)
            out[int(k)] = int(m.group(1)) if m else 0
    return out


def test_kill_9_mid_compression_leaves_every_line_once(ctr, runtime):
    c = ctr()
    log = {"driver": "json-file", "opts": {"max-size": "1m", "max-file": "1000", "compress": "true"}}
    assert c.start(["seq", "1", "2000000"], log=log).returncode == 0
    pid = c.status()["supervisor_pid"]
    tmp = c.id + "-json.log.1.gz.tmp"
    IN_CREATE = 0x100
    assert _inotify_wait(os.path.join(c.dir, tmp), IN_CREATE, lambda: os.path.exists(os.path.join(c.dir, tmp)), 60)
    gz = gzip_children(pid)
    os.kill(pid, signal.SIGKILL)
    assert wait_exit(pid)
    for k in gz:  # the compressing child dies with it
        assert wait_exit(k)
    # the container's next write fails (EPIPE): gone too
    runtime("delete", "--force", c.id)
    lines = rotated_lines(c)
    assert len(lines) > 20000
    assert lines == ["%d\n" % i for i in range(1, len(lines) + 1)]
    # the next supervisor tidies up: no .tmp, the lines as they were
    assert c.start(["true"], log=log).returncode == 0
    c.wait_done()
    assert not os.path.exists(os.path.join(c.dir, tmp))
    assert rotated_lines(c) == lines


def test_compressing_child_is_small(ctr):
    # the gzip child's peak RSS, from its /proc/PID/status while it works
    c = ctr()
    log = {"driver": "json-file", "opts": {"max-size": "2m", "max-file": "1000", "compress": "true"}}
    assert c.start(["seq", "1", "1000000"], log=log).returncode == 0
    pid = c.status()["supervisor_pid"]
    tmp = os.path.join(c.dir, c.id + "-json.log.1.gz.tmp")
    hwm = []

    def caught():
        if os.path.exists(tmp):
            hwm.extend(gzip_children(pid).values())
        return bool(hwm)
    assert _inotify_wait(tmp, 0x100 | 0x2, caught, 60)
    assert 0 < max(hwm) <= 1024, f"the compressing child uses {max(hwm)} kB"
    c.wait_done()


def smaps_kb(pid, field):
    return int(re.search(field + r":\s+(\d+) kB", open(f"/proc/{pid}/smaps_rollup").read()).group(1))


def test_supervisor_memory_is_within_its_budget(ctr):
    """The issue's budget: RSS <= 1.5 MiB, PSS <= 1 MiB.  The static binary's
    text is shared by every supervisor on the host (and the kernel's
    fault-around maps cached text 64 KiB at a time, so RSS moves with the
    layout): PSS, taken with two supervisors running, is what one costs."""
    pids = []
    for _ in range(2):
        c = ctr()
        assert c.start(["sh", "-c", "echo hello; sleep 1000"]).returncode == 0
        pids.append((c, c.status()["supervisor_pid"]))
    for c, pid in pids:
        rss, pss, anon = smaps_kb(pid, "Rss"), smaps_kb(pid, "Pss"), smaps_kb(pid, "Anonymous")
        assert rss <= 1536, f"kapsel-supervise uses {rss} kB RSS"
        assert pss <= 1024, f"kapsel-supervise uses {pss} kB PSS"
        # its own memory (heap, stack, data) is a small part of it
        assert anon <= 512, f"kapsel-supervise has {anon} kB anonymous memory"
    for c, _ in pids:
        assert c.ctl({"op": "stop", "timeout": 0})["ok"]


# Output that tests every corner of Docker's json-file encoding: HTML
# characters, control bytes, invalid UTF-8, U+2028, a valid U+FFFD, a 40 KiB
# line (split into 16 KiB partial messages), an empty line, and a last line
# without a newline.
TRICKY = ("printf '<a href=\"x\">&amp;</a>\\n'; printf 'tab\\tcr\\r\\001\\037\\177 back\\\\slash\\n'; "
          "printf '\\377\\376 bad \\300\\200 overlong \\355\\240\\200 surrogate\\n'; "
          "printf 'sep\\342\\200\\250par\\342\\200\\251 fffd\\357\\277\\275 \\303\\251t\\303\\251\\n'; "
          "head -c 40960 /dev/zero | tr '\\0' L; echo; echo; "
          "echo to-stderr >&2; printf 'no newline at exit'")


def strip_times(raw):
    return [re.sub(rb',"time":"[^"]*"}$', b"}", line) for line in raw.splitlines()]


def test_json_file_is_byte_compatible_with_docker(ctr, dockerd):  # noqa: F811
    name = "supervise-logs-" + uuid.uuid4().hex[:8]
    dockerd("run", "-d", "--name", name, "--log-driver", "json-file", "kbox", "sh", "-c", TRICKY, check=True)
    assert dockerd("wait", name, check=True).stdout.strip() == "0"
    path = dockerd("inspect", "-f", "{{.LogPath}}", name, check=True).stdout.strip()
    with open(path, "rb") as f:
        theirs = strip_times(f.read())
    dockerd("rm", "-f", name)
    c = ctr()
    assert c.start(["sh", "-c", TRICKY]).returncode == 0
    c.wait_done()
    with open(c.log_path, "rb") as f:
        ours = strip_times(f.read())
    # the two streams are read concurrently: compare each stream's lines
    for stream in (b"stdout", b"stderr"):
        tag = b'"stream":"' + stream + b'"'
        assert [x for x in ours if tag in x] == [x for x in theirs if tag in x]
    assert len(theirs) >= 9


MS = 1000000


def test_health_check_healthy(ctr):
    c = ctr()
    hc = {"test": ["CMD-SHELL", "echo fine"], "interval_ns": 100 * MS, "timeout_ns": 5000 * MS, "retries": 2}
    assert c.start(["sleep", "1000"], healthcheck=hc).returncode == 0
    assert c.status()["health"]["status"] == "starting"
    st = c.until(lambda s: s["health"]["status"] == "healthy")
    r = st["health"]["log"][-1]
    assert r["exit_code"] == 0 and r["output"] == "fine\n"
    assert r["start"] <= r["end"]
    # the results kept are the last 5
    st = c.until(lambda s: len(s["health"]["log"]) == 5 and s["health"]["log"][0]["start"] != r["start"])
    assert st["health"]["failing_streak"] == 0
    assert c.ctl({"op": "stop", "timeout": 0})["ok"]


def test_health_check_unhealthy_after_retries(ctr):
    c = ctr()
    hc = {"test": ["CMD", "sh", "-c", "echo broken; exit 3"], "interval_ns": 100 * MS, "retries": 3}
    assert c.start(["sleep", "1000"], healthcheck=hc).returncode == 0
    st = c.until(lambda s: s["health"]["failing_streak"] >= 1)
    assert st["health"]["status"] == "starting"  # one failure is not yet unhealthy
    st = c.until(lambda s: s["health"]["status"] == "unhealthy")
    assert st["health"]["failing_streak"] == 3
    assert [x["exit_code"] for x in st["health"]["log"]] == [3, 3, 3]
    assert st["health"]["log"][-1]["output"] == "broken\n"
    assert st["state"] == "running"  # unhealthy is reported, not acted on
    assert c.ctl({"op": "stop", "timeout": 0})["ok"]


def test_health_check_timeout_kills_the_probe(ctr):
    c = ctr()
    hc = {"test": ["CMD", "sleep", "100"], "interval_ns": 100 * MS, "timeout_ns": 300 * MS, "retries": 1}
    assert c.start(["sleep", "1000"], healthcheck=hc).returncode == 0
    st = c.until(lambda s: s["health"]["status"] == "unhealthy")
    r = st["health"]["log"][-1]
    assert r["output"] == "Health check exceeded timeout" and r["exit_code"] != 0
    assert c.ctl({"op": "stop", "timeout": 0})["ok"]


def test_health_check_start_period_does_not_count_failures(ctr):
    c = ctr()
    hc = {"test": ["CMD", "false"], "interval_ns": 100 * MS, "retries": 1, "start_period_ns": 600000 * MS}
    assert c.start(["sleep", "1000"], healthcheck=hc).returncode == 0
    st = c.until(lambda s: len(s["health"]["log"]) >= 3)
    assert st["health"]["status"] == "starting" and st["health"]["failing_streak"] == 0
    assert c.ctl({"op": "stop", "timeout": 0})["ok"]


def test_a_new_supervisor_keeps_the_restart_count(ctr, runtime):
    # `kapsel start` of an exited container: a new supervisor, the same DIR
    c = ctr()
    assert c.start(["sh", "-c", "exit 1"], restart={"policy": "on-failure", "max_retries": 1}).returncode == 0
    first = c.wait_done()
    assert first["restart_count"] == 1
    p = c.launch()
    assert p.returncode == 0, p.stderr
    st = c.wait_done()
    assert st["supervisor_pid"] != first["supervisor_pid"]
    assert st["started_at"] > first["started_at"]
    # max_retries limits the restarts since this start (Docker's restart
    # manager begins again at a start), restart_count counts them all
    assert st["restart_count"] == 2 and st["state"] == "exited" and st["exit_code"] == 1
    assert runtime.ids() == []


# ---- events, OOM, hints, --health-on-failure ----

def events(c):
    """The journal's lines about C (ROOT/events.log, ROOT = the directory
    above containers/)."""
    path = os.path.join(os.path.dirname(os.path.dirname(c.dir)), "events.log")
    try:
        with open(path) as f:
            lines = [json.loads(line) for line in f]
    except FileNotFoundError:
        return []
    return [e for e in lines if e["id"] == c.id]


def test_events_of_a_run_are_in_the_journal(ctr):
    c = ctr()
    assert c.start(["sh", "-c", "exit 3"]).returncode == 0
    c.wait_done()
    ev = events(c)
    assert [e["Action"] for e in ev] == ["start", "die"], ev
    die = ev[1]
    assert die["status"] == "die" and die["Type"] == "container" and die["scope"] == "local"
    assert die["from"] == "kbox:latest" and die["Actor"]["ID"] == c.id
    assert die["Actor"]["Attributes"] == {"exitCode": "3", "image": "kbox:latest", "name": "supervise-test"}
    assert die["time"] == die["timeNano"] // 10**9 and ev[0]["timeNano"] <= die["timeNano"]


def test_events_of_a_stop_and_a_restart(ctr):
    c = ctr()
    assert c.start(["sh", "-c", "exit 1"], restart={"policy": "on-failure", "max_retries": 1}).returncode == 0
    c.wait_done()
    assert [e["Action"] for e in events(c)] == ["start", "die", "restart", "start", "die"]
    c = ctr()
    assert c.start(["sleep", "1000"]).returncode == 0
    assert c.ctl({"op": "stop", "timeout": 0})["ok"]
    ev = events(c)
    assert [e["Action"] for e in ev] == ["start", "kill", "die", "stop"]
    assert ev[1]["Actor"]["Attributes"]["signal"] == "9"
    assert ev[2]["Actor"]["Attributes"]["exitCode"] == "137"


def test_an_oom_kill_is_recorded_and_an_event(ctr):
    c = ctr()
    c.config["linux"].setdefault("resources", {})["memory"] = {"limit": 16 << 20, "swap": 16 << 20}
    assert c.start(["/bin/probe", "try", "alloc", "200"]).returncode == 0
    st = c.wait_done()
    assert st["oom_killed"] is True and st["exit_code"] == 137, st
    acts = [e["Action"] for e in events(c)]
    assert acts == ["start", "oom", "die"], acts


def test_no_oom_without_one(ctr):
    c = ctr()
    c.config["linux"].setdefault("resources", {})["memory"] = {"limit": 16 << 20, "swap": 16 << 20}
    assert c.start(["/bin/probe", "try", "alloc", "2"]).returncode == 0
    st = c.wait_done()
    assert st["oom_killed"] is False and "oom" not in [e["Action"] for e in events(c)]


def test_a_hint_for_a_write_to_the_read_only_root(ctr):
    c = ctr()
    c.config["root"]["readonly"] = True
    assert c.start(["sh", "-c", "echo x > /file"]).returncode == 0
    st = c.wait_done()
    assert st["exit_code"] != 0
    assert "--read-only=false" in st["hint"], st
    with open(os.path.join(c.dir, "supervise.log")) as f:
        assert "--read-only=false" in f.read().splitlines()[-1]
    # a clean exit has none
    c = ctr()
    assert c.start(["sh", "-c", "echo read-only file system"]).returncode == 0
    assert c.wait_done()["hint"] is None


def test_health_on_failure_kill_and_restart(ctr):
    hc = {"test": ["CMD", "false"], "interval_ns": 100 * MS, "retries": 1, "on_failure": "kill"}
    c = ctr()
    assert c.start(["sleep", "1000"], healthcheck=hc).returncode == 0
    st = c.wait_done()
    assert st["state"] == "exited" and st["exit_code"] == 137 and st["restart_count"] == 0
    acts = [e["Action"] for e in events(c)]
    assert acts == ["start", "health_status: unhealthy", "kill", "die"], acts
    # restart: again, whatever the policy ("no" here)
    c = ctr()
    hc = dict(hc, on_failure="restart")
    assert c.start(["sleep", "1000"], healthcheck=hc, stop_timeout=0).returncode == 0
    st = c.until(lambda s: s["restart_count"] >= 1 and s["state"] == "running")
    assert c.ctl({"op": "stop", "timeout": 0})["ok"]
    acts = [e["Action"] for e in events(c)]
    assert acts[:5] == ["start", "health_status: unhealthy", "kill", "die", "restart"], acts


def test_health_on_failure_stop_and_start_interval(ctr):
    # the start interval (50 ms) runs the probes while starting, the
    # interval (an hour) after: three failures before unhealthy come fast
    hc = {"test": ["CMD", "false"], "interval_ns": 3600000 * MS, "start_interval_ns": 50 * MS,
          "start_period_ns": 60000 * MS, "retries": 1, "on_failure": "stop"}
    c = ctr()
    assert c.start(["sleep", "1000"], healthcheck=hc, restart={"policy": "always"}).returncode == 0
    st = c.until(lambda s: len(s["health"]["log"]) >= 3)
    assert st["health"]["status"] == "starting"  # failures in the start period do not count
    assert c.ctl({"op": "stop", "timeout": 0})["ok"]
    # after the start period: stop, and no restart (policy always)
    hc = dict(hc, start_period_ns=0, interval_ns=100 * MS)
    c = ctr()
    assert c.start(["sleep", "1000"], healthcheck=hc, restart={"policy": "always"}, stop_timeout=0).returncode == 0
    st = c.wait_done()
    assert st["state"] == "exited" and st["restart_count"] == 0
    assert [e["Action"] for e in events(c)][-1] == "stop"


def test_bad_health_on_failure_is_refused(ctr):
    c = ctr()
    hc = {"test": ["CMD", "true"], "on_failure": "explode"}
    p = c.start(["true"], healthcheck=hc)
    assert p.returncode == 1 and "healthcheck.on_failure" in p.stderr and "explode" in p.stderr




@pytest.fixture
def small_disk(tmp_path):
    """A 2 MiB tmpfs for container directories: a disk the logs fill up."""
    d = tmp_path / "small"
    d.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m,mode=0700", "tmpfs", str(d)], check=True)
    made = []
    yield d, made
    for c in made:
        try:
            pid = c.status()["supervisor_pid"]
            if alive(pid):
                os.kill(pid, signal.SIGKILL)
                wait_exit(pid)
        except (OSError, ValueError, KeyError):
            pass
    subprocess.run(["umount", "-l", str(d)], check=True)


def test_a_full_log_disk_keeps_every_exit_code(small_disk, rootfs, runtime):
    """mode=non-blocking: lines are dropped, counted, never the exit code."""
    d, made = small_disk
    c = Container(str(d), rootfs, runtime)
    made.append(c)
    # about 3.4 MB of json-file lines per run, three runs on a 2 MiB disk
    p = c.start(["sh", "-c", "seq 1 60000; exit 7"], restart={"policy": "on-failure", "max_retries": 2},
                log={"driver": "json-file", "opts": {"max-size": "-1", "compress": "false", "mode": "non-blocking"}})
    assert p.returncode == 0, p.stderr
    st = c.wait_done()
    # every run's end was recorded though the logs had taken all the room
    assert st["state"] == "exited" and st["exit_code"] == 7, st
    assert st["restart_count"] == 2
    assert st["log_dropped_lines"] > 0 and st["log_dropped_bytes"] > 0
    # the log holds whole lines only, the first ones, in order
    lines = c.log()
    nums = [int(x["log"]) for x in lines]
    assert nums == list(range(1, len(nums) + 1))
    assert len(nums) + st["log_dropped_lines"] == 3 * 60000
    assert runtime.ids() == []


def test_a_full_log_disk_back_pressures_a_blocking_container(small_disk, rootfs, runtime):
    """mode=blocking (the default): the container waits for the room, and
    goes on once there is some; what was lost is one write's lines."""
    d, made = small_disk
    filler = d / "filler"
    with open(filler, "wb") as f:
        f.write(b"x" * (1536 * 1024))
    c = Container(str(d), rootfs, runtime)
    made.append(c)
    p = c.start(["sh", "-c", "seq 1 20000; exit 7"],
                log={"driver": "json-file", "opts": {"max-size": "-1", "compress": "false"}})
    assert p.returncode == 0, p.stderr
    st = c.until(lambda st: st["log_dropped_lines"] > 0)
    assert st["state"] == "running"
    # the container is stopped at its write to stdout, and stays there
    def wchan():
        with open(f"/proc/{st['pid']}/task/{st['pid']}/children") as f:
            kids = f.read().split()
        with open(f"/proc/{kids[0] if kids else st['pid']}/wchan") as f:
            return f.read()
    assert wait_for(lambda: wchan().endswith("pipe_write")), wchan()
    dropped = c.status()["log_dropped_lines"]
    # nothing to wait on for "nothing happens": two of the held driver's
    # once-a-second room checks go by, and it is still stopped
    time.sleep(2.2)
    assert wchan().endswith("pipe_write")
    st2 = c.status()
    assert st2["state"] == "running" and st2["log_dropped_lines"] == dropped, st2
    os.unlink(filler)
    st = c.wait_done()
    assert st["state"] == "exited" and st["exit_code"] == 7, st
    nums = [int(x["log"]) for x in c.log()]
    assert len(nums) + st["log_dropped_lines"] == 20000
    # whole lines, in order; the lost ones are one gap of at most one
    # 16 KiB write (json-file lines here are ~60 bytes)
    assert nums == sorted(set(nums))
    gaps = [(a, b) for a, b in zip(nums, nums[1:]) if b != a + 1]
    assert len(gaps) <= 1 and nums[0] == 1 and nums[-1] == 20000, gaps
    assert 0 < st["log_dropped_lines"] <= 16384 // 50
