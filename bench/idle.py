#!/usr/bin/python3
"""bench/idle.py [N] [SECONDS]: what N idle containers cost while they idle.

N detached containers of the demo image running `sleep`, under kapsel
(one kapsel-supervise each) and Podman 4.3 (one conmon each), one after
the other in one run.  Measured over SECONDS (default 30) once all run:
the CPU time their supervisors used (utime + stime from /proc/PID/stat,
as a share of one core), and their memory: RSS and PSS per supervisor
(/proc/PID/smaps_rollup; PSS shares the pages the supervisors have in
common, the static binary's included).

Usage: bench/idle.py [N] [SECONDS]   (KAPSEL_BUILD: the build dir, default build)"""
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD = os.environ.get("KAPSEL_BUILD", os.path.join(REPO, "build"))
KAPSEL = os.path.join(BUILD, "src", "kapsel", "kapsel")
N = int(sys.argv[1]) if len(sys.argv) > 1 else 100
SECS = float(sys.argv[2]) if len(sys.argv) > 2 else 30
HZ = os.sysconf("SC_CLK_TCK")

work = tempfile.mkdtemp(prefix="kapsel-bench-idle-")
tar = os.path.join(work, "demo.tar")
subprocess.run([sys.executable, os.path.join(REPO, "tests", "fixtures", "images", "mkdemoimage.py"), tar,
                os.path.join(BUILD, "tests", "probe")], check=True, stdout=subprocess.DEVNULL)
K = [KAPSEL, "--root", os.path.join(work, "kapsel"), "--config", os.path.join(REPO, "data", "kapsel.conf")]
P = ["podman", "--root", os.path.join(work, "podman", "root"), "--runroot", os.path.join(work, "podman", "run"),
     "--events-backend", "none", "--cgroup-manager", "cgroupfs"]
# podman's default rlimits exceed this host's hard limits; nproc counts
# every process of the uid (the containers' included): room for them
ULIM = ["--ulimit", "nofile=1024:1024", "--ulimit", "nproc=20000:20000"]
os.environ["KAPSEL_SUPERVISE"] = os.path.join(BUILD, "src", "supervise", "kapsel-supervise")


def sh(argv):
    p = subprocess.run(argv, capture_output=True, text=True)
    if p.returncode != 0:
        sys.exit(f"{argv[:8]}...: exit {p.returncode}: {p.stderr[-400:]}")
    return p.stdout


def procs(comm):
    """The bench's own COMM processes (their command line names its work
    directory: other tests' supervisors are left out)."""
    out = []
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                if open(f"/proc/{d}/comm").read().strip() == comm[:15] and \
                        work.encode() in open(f"/proc/{d}/cmdline", "rb").read():
                    out.append(int(d))
            except OSError:
                pass
    return out


def cpu(pids):
    """utime + stime of each of PIDS, in seconds (absent: gone)."""
    t = {}
    for p in pids:
        try:
            f = open(f"/proc/{p}/stat").read().rsplit(")", 1)[1].split()
            t[p] = (int(f[11]) + int(f[12])) / HZ
        except OSError:
            pass
    return t


def mem(pids):
    rss, pss = [], []
    for p in pids:
        try:
            for line in open(f"/proc/{p}/smaps_rollup"):
                if line.startswith("Rss:"):
                    rss.append(int(line.split()[1]))
                elif line.startswith("Pss:"):
                    pss.append(int(line.split()[1]))
        except OSError:
            pass
    return statistics.median(rss), statistics.median(pss)


def measure(name, comm, before):
    pids = [p for p in procs(comm) if p not in before]
    assert len(pids) >= N, (name, len(pids))
    c0 = cpu(pids)
    time.sleep(SECS)  # what is measured is what they do while nothing happens
    c1 = cpu(pids)
    used = sum(c1[p] - c0[p] for p in c1 if p in c0)
    rss, pss = mem(pids)
    return name, len(pids), used / SECS * 100, rss, pss


rows = []
try:
    sh(K + ["load", "-i", tar])
    before = set()
    for i in range(N):
        sh(K + ["run", "-d", "--name", f"i{i}", "--restart", "no", "demo/hardened:1", "sleep", "100000"])
    rows.append(measure("kapsel-supervise", "kapsel-supervise", before))
    for i in range(N):
        subprocess.run(K + ["rm", "-f", f"i{i}"], capture_output=True)
    if shutil.which("podman"):
        sh(P + ["load", "-i", tar])
        before = set()
        for i in range(N):
            sh(P + ["run", "-d", "--name", f"i{i}", "--network", "none", *ULIM, "localhost/demo/hardened:1", "sleep",
                    "100000"])
        rows.append(measure("conmon", "conmon", before))
finally:
    # whatever ran, its supervisors and containers go before the store does
    for i in range(N):
        subprocess.run(K + ["rm", "-f", f"i{i}"], capture_output=True)
    subprocess.run(P + ["rm", "-af", "-t", "0"], capture_output=True)
    subprocess.run(P + ["system", "reset", "-f"], capture_output=True)
    subprocess.run(["umount", "-R", "-l", work], stderr=subprocess.DEVNULL)
    shutil.rmtree(work, ignore_errors=True)
print(f"{N} idle containers, {SECS:.0f} s")
print(f"{'supervisor':18} {'count':>6} {'CPU % of a core':>16} {'RSS KiB':>9} {'PSS KiB':>9}")
for name, n, c, rss, pss in rows:
    print(f"{name:18} {n:6} {c:16.3f} {rss:9.0f} {pss:9.0f}")
