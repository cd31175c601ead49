"""bench/supervise: kapsel-supervise against Podman's conmon on the same
bundle and runtime (kapsel-runtime), side by side in one run.

  memory   N idle containers (sleep) each; RSS and PSS of every
           supervisor from /proc/PID/status and smaps_rollup; median.
  logs     one container writing LINES lines of 100 bytes as fast as it can
           (busybox yes | head); lines/s from start to the last line in the
           log file, and the supervisor's CPU (utime+stime) per line.
           kapsel: json-file; conmon: k8s-file (its only file driver).

Usage: python3 bench/supervise.py BUILD WORK [N] [LINES]   (see supervise.sh)"""
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import time
import uuid

BUILD, WORK = sys.argv[1], sys.argv[2]
N = int(sys.argv[3]) if len(sys.argv) > 3 else 10
LINES = int(sys.argv[4]) if len(sys.argv) > 4 else 200000
RUNTIME = os.path.join(BUILD, "src", "runtime", "kapsel-runtime")
SUPERVISE = os.path.join(BUILD, "src", "supervise", "kapsel-supervise")
ROOTFS = os.path.join(WORK, "rootfs")
RTROOT = os.path.join(WORK, "rt")
TICK = os.sysconf("SC_CLK_TCK")


def bundle(d, args):
    b = os.path.join(d, "bundle")
    os.makedirs(b)
    subprocess.run([RUNTIME, "spec", "--bundle", b], check=True)
    with open(os.path.join(b, "config.json")) as f:
        c = json.load(f)
    c["root"]["path"] = ROOTFS
    c["process"]["args"] = args
    c["process"]["terminal"] = False
    with open(os.path.join(b, "config.json"), "w") as f:
        json.dump(c, f)
    return b


def kapsel_start(args):
    cid = uuid.uuid4().hex * 2
    d = os.path.join(WORK, "k", cid)
    os.makedirs(d)
    b = bundle(d, args)
    with open(os.path.join(d, "supervise.json"), "w") as f:
        # no rotation: conmon's k8s-file has none by default either
        json.dump({"id": cid, "bundle": b, "runtime": RUNTIME, "runtime_root": RTROOT,
                   "log": {"opts": {"max-size": "-1"}}}, f)
    subprocess.run([SUPERVISE, "--dir", d, "--config", "/dev/null"], check=True)
    with open(os.path.join(d, "status.json")) as f:
        pid = json.load(f)["supervisor_pid"]
    return cid, pid, os.path.join(d, cid + "-json.log")


def conmon_start(args):
    cid = uuid.uuid4().hex * 2
    d = os.path.join(WORK, "c", cid)
    os.makedirs(d)
    b = bundle(d, args)
    log = os.path.join(d, "ctr.log")
    subprocess.run(["conmon", "-c", cid, "-u", cid, "-n", "bench", "-r", RUNTIME, "-b", b,
                    "-p", os.path.join(d, "pid"), "-P", os.path.join(d, "conmon.pid"), "-l", "k8s-file:" + log,
                    "--exit-dir", d, "--socket-dir-path", d, "--runtime-arg", "--root=" + RTROOT,
                    "--log-level", "error"], check=True, stdin=subprocess.DEVNULL)
    # conmon returns before the runtime's create is done (Podman waits on
    # a sync pipe): wait for the state to say created
    for _ in range(400):
        st = subprocess.run([RUNTIME, "--root", RTROOT, "state", cid], capture_output=True, text=True)
        if st.returncode == 0 and json.loads(st.stdout)["status"] == "created":
            break
        time.sleep(0.01)
    subprocess.run([RUNTIME, "--root", RTROOT, "start", cid], check=True)
    while not os.path.exists(os.path.join(d, "conmon.pid")):
        time.sleep(0.01)
    with open(os.path.join(d, "conmon.pid")) as f:
        pid = int(f.read())
    return cid, pid, log


def stop(cid, pid):
    subprocess.run([RUNTIME, "--root", RTROOT, "kill", cid, "KILL"], capture_output=True)
    for _ in range(200):
        if not os.path.exists(f"/proc/{pid}") or open(f"/proc/{pid}/stat").read().split(") ")[1][0] == "Z":
            break
        time.sleep(0.05)
    subprocess.run([RUNTIME, "--root", RTROOT, "delete", "--force", cid], capture_output=True)


def mem(pid):
    rss = int(re.search(r"VmRSS:\s+(\d+)", open(f"/proc/{pid}/status").read()).group(1))
    pss = int(re.search(r"^Pss:\s+(\d+)", open(f"/proc/{pid}/smaps_rollup").read(), re.M).group(1))
    return rss, pss


def cpu(pid):
    f = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(f[11]) + int(f[12])) / TICK


def count_lines(path):
    try:
        with open(path, "rb") as f:
            return f.read().count(b"\n")
    except FileNotFoundError:
        return 0


results = {}
for name, start in (("kapsel-supervise", kapsel_start), ("conmon", conmon_start)):
    started = [start(["sleep", "1000"]) for _ in range(N)]
    m = [mem(pid) for _, pid, _ in started]
    for cid, pid, _ in started:
        stop(cid, pid)
    line = "x" * 99
    script = f"yes {line} | head -n {LINES}; sleep 1000"
    t0 = time.monotonic()
    cid, pid, log = start(["sh", "-c", script])
    while count_lines(log) < LINES:
        time.sleep(0.02)
    t = time.monotonic() - t0
    c = cpu(pid)
    stop(cid, pid)
    results[name] = dict(rss=statistics.median(x[0] for x in m), pss=statistics.median(x[1] for x in m),
                         lps=LINES / t, cpu=c, cpu_us=c * 1e6 / LINES)

print(f"{N} idle containers each; {LINES} lines of 100 bytes")
print(f"{'':18} {'RSS kB':>8} {'PSS kB':>8} {'lines/s':>10} {'CPU s':>8} {'CPU us/line':>12}")
for name, r in results.items():
    print(f"{name:18} {r['rss']:8.0f} {r['pss']:8.0f} {r['lps']:10.0f} {r['cpu']:8.2f} {r['cpu_us']:12.2f}")
k, c = results["kapsel-supervise"], results["conmon"]
print(f"{'ratio':18} {k['rss'] / c['rss']:8.2f} {k['pss'] / c['pss']:8.2f} {k['lps'] / c['lps']:10.2f} "
      f"{k['cpu'] / c['cpu'] if c['cpu'] else 0:8.2f} {k['cpu_us'] / c['cpu_us'] if c['cpu_us'] else 0:12.2f}")
shutil.rmtree(os.path.join(WORK, "k"), ignore_errors=True)
shutil.rmtree(os.path.join(WORK, "c"), ignore_errors=True)
