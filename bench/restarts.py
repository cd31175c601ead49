#!/usr/bin/python3
"""bench/restarts.py [N]: the restart back-off, measured from the events.

A container that exits 1 at once, `--restart on-failure:N` (default 7),
under kapsel (kapsel-supervise, gaps from `kapsel events`) and Podman 4.3
(conmon; gaps from its file events backend, written to a file of the
bench's through CONTAINERS_CONF), in one run.  The gap of each restart is from the `die` event to
the next `start` event.  Docker's rule, which kapsel follows: 100 ms before
the first restart, doubling each time (up to 1 minute), back to 100 ms
after a run of 10 s or more.

Usage: bench/restarts.py [N]   (KAPSEL_BUILD: the build dir, default build)"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD = os.environ.get("KAPSEL_BUILD", os.path.join(REPO, "build"))
KAPSEL = os.path.join(BUILD, "src", "kapsel", "kapsel")
N = int(sys.argv[1]) if len(sys.argv) > 1 else 7

work = tempfile.mkdtemp(prefix="kapsel-bench-restarts-")
tar = os.path.join(work, "demo.tar")
subprocess.run([sys.executable, os.path.join(REPO, "tests", "fixtures", "images", "mkdemoimage.py"), tar,
                os.path.join(BUILD, "tests", "probe")], check=True, stdout=subprocess.DEVNULL)
K = [KAPSEL, "--root", os.path.join(work, "kapsel"), "--config", os.path.join(REPO, "data", "kapsel.conf")]
P = ["podman", "--root", os.path.join(work, "podman", "root"), "--runroot", os.path.join(work, "podman", "run"),
     "--cgroup-manager", "cgroupfs"]
# podman's file events backend, in a file of the bench's
PODMAN_EVENTS = os.path.join(work, "podman-events.log")
with open(os.path.join(work, "containers.conf"), "w") as f:
    f.write(f'[engine]\nevents_logger="file"\nevents_logfile_path="{PODMAN_EVENTS}"\n')
PENV = dict(os.environ, CONTAINERS_CONF=os.path.join(work, "containers.conf"))
ULIM = ["--ulimit", "nofile=1024:1024", "--ulimit", "nproc=1000:1000"]
os.environ["KAPSEL_SUPERVISE"] = os.path.join(BUILD, "src", "supervise", "kapsel-supervise")


def sh(argv, **kw):
    if argv[0] == "podman":
        kw.setdefault("env", PENV)
    return subprocess.run(argv, check=True, capture_output=True, text=True, **kw).stdout


def rfc3339_ns(t):
    """2026-12-03T07:44:58.334368179Z in ns since the epoch."""
    import calendar
    base, frac = t.rstrip("Z").split(".") if "." in t else (t.rstrip("Z"), "0")
    secs = calendar.timegm(time.strptime(base, "%Y-%m-%dT%H:%M:%S"))
    return secs * 10**9 + int((frac + "000000000")[:9])


def gaps(events):
    """ms from each die to the start after it."""
    out, died = [], None
    for ev in events:
        if ev[0] == "die":
            died = ev[1]
        elif ev[0] == "start" and died is not None:
            out.append((ev[1] - died) / 1e6)
            died = None
    return out


def kapsel_gaps():
    sh(K + ["load", "-i", tar])
    sh(K + ["run", "-d", "--name", "rs", "--restart", f"on-failure:{N}", "demo/hardened:1", "false"])
    deadline = time.monotonic() + 600
    while json.loads(sh(K + ["inspect", "rs"]))[0]["State"]["Status"] != "exited":
        assert time.monotonic() < deadline
        time.sleep(0.5)
    lines = sh(K + ["events", "--since", "1h", "--until", "0s", "--filter", "container=rs", "--format", "json"])
    evs = [(e["Action"], e["timeNano"]) for e in map(json.loads, lines.splitlines())]
    sh(K + ["rm", "-f", "rs"])
    return gaps(evs)


def podman_gaps():
    sh(P + ["load", "-i", tar])
    sh(P + ["run", "-d", "--name", "rs", "--network", "none", *ULIM, "--restart", f"on-failure:{N}",
            "localhost/demo/hardened:1", "false"])
    deadline = time.monotonic() + 600
    while True:
        st = json.loads(sh(P + ["inspect", "rs"]))[0]["State"]
        if st["Status"] == "exited" and json.loads(sh(P + ["inspect", "rs"]))[0].get("RestartCount", 0) >= N:
            break
        assert time.monotonic() < deadline, st
        time.sleep(0.5)
    evs = []
    for ln in open(PODMAN_EVENTS):
        e = json.loads(ln)
        if e.get("Type") == "container" and e.get("Status") in ("died", "start"):
            evs.append(("die" if e["Status"] == "died" else "start", rfc3339_ns(e["Time"])))
    sh(P + ["rm", "-f", "rs"])
    return gaps(evs)


try:
    k = kapsel_gaps()
    p = podman_gaps() if shutil.which("podman") else []
    want = [min(100 * 2 ** i, 60000) for i in range(N)]
    print(f"{'restart':8} {'Docker rule ms':>15} {'kapsel ms':>10} {'podman ms':>10}")
    for i in range(N):
        kv = f"{k[i]:10.0f}" if i < len(k) else f"{'-':>10}"
        pv = f"{p[i]:10.0f}" if i < len(p) else f"{'-':>10}"
        print(f"{i + 1:8} {want[i]:15} {kv} {pv}")
    off = [abs(a - b) for a, b in zip(k, want)]
    print(f"kapsel: {len(k)} restarts, largest distance from the rule {max(off):.0f} ms")
finally:
    subprocess.run(P + ["rm", "-af"], capture_output=True, env=PENV)
    subprocess.run(P + ["system", "reset", "-f"], capture_output=True, env=PENV)
    subprocess.run(["umount", "-R", "-l", work], stderr=subprocess.DEVNULL)
    shutil.rmtree(work, ignore_errors=True)
