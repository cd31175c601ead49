"""bench/logs: log throughput of one container writing LINES lines of 100
bytes as fast as it can (tests/fixtures/logwriter: 64 KiB writes of whole
lines), side by side in one run:

  kapsel       kapsel-supervise, json-file, no rotation (as the others)
  kapsel+gz    kapsel-supervise, json-file, kapsel's default rotation
               20m with compress=true (max-file 1000 so every line stays)
  podman       podman run -d --log-driver k8s-file (conmon), same runtime
               (kapsel-runtime) and rootfs
  docker       a private dockerd (json-file, runc), if DOCKER_HOST is set

For each: lines/s from the start to the writer's last line in the log
(its "logwriter-done" marker, found by reading the file's tail), the log
process's CPU (utime+stime from /proc/PID/stat: the supervisor, conmon or
dockerd) per line, and every line counted in the files at the end
(blocking mode: none may be missing).

Usage: python3 bench/logs.py BUILD WORK LINES   (see logs.sh)"""
import glob
import gzip
import json
import os
import shutil
import subprocess
import sys
import time
import uuid

BUILD, WORK = sys.argv[1], sys.argv[2]
LINES = int(sys.argv[3]) if len(sys.argv) > 3 else 2000000
RUNTIME = os.path.join(BUILD, "src", "runtime", "kapsel-runtime")
SUPERVISE = os.path.join(BUILD, "src", "supervise", "kapsel-supervise")
ROOTFS = os.path.join(WORK, "rootfs")
RTROOT = os.path.join(WORK, "rt")
TICK = os.sysconf("SC_CLK_TCK")
ARGS = ["/bin/logwriter", str(LINES)]
MARK = b"logwriter-done"
ULIMITS = ["--ulimit", "nofile=1024:1024", "--ulimit", "nproc=1000:1000"]


def cpu(pid):
    f = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(f[11]) + int(f[12])) / TICK


def child_cpu(pid):
    """cutime + cstime: the children PID waited for (the supervisor's
    runtime calls and kapsel-log-gzip)."""
    f = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(f[13]) + int(f[14])) / TICK


def tail_has_mark(path):
    try:
        with open(path, "rb") as f:
            f.seek(0, 2)
            f.seek(max(0, f.tell() - 512))
            return MARK in f.read()
    except FileNotFoundError:
        return False


def wait_mark(path, timeout=600):
    end = time.monotonic() + timeout
    while not tail_has_mark(path):
        if time.monotonic() > end:
            raise SystemExit(f"bench/logs: no end marker in {path}")
        time.sleep(0.005)


def count(paths, k8s=False):
    """Lines in PATHS (gzipped or not) but the marker.  K8S: the records
    that end a line ("F"): conmon cuts a line into "P" pieces wherever a
    read of the pipe ends."""
    n = 0
    for p in paths:
        with (gzip.open(p) if p.endswith(".gz") else open(p, "rb")) as f:
            rest = b""
            while True:
                b = f.read(1 << 22)
                if not b:
                    break
                b = rest + b
                cut = b.rfind(b"\n") + 1
                rest = b[cut:]
                n += b.count(b" stdout F ", 0, cut) if k8s else b.count(b"\n", 0, cut)
    return n - 1  # the marker


def kapsel(opts):
    cid = uuid.uuid4().hex * 2
    d = os.path.join(WORK, "k", cid)
    b = os.path.join(d, "bundle")
    os.makedirs(b)
    subprocess.run([RUNTIME, "spec", "--bundle", b], check=True)
    with open(os.path.join(b, "config.json")) as f:
        c = json.load(f)
    c["root"]["path"] = ROOTFS
    c["process"]["args"] = ARGS
    c["process"]["terminal"] = False
    with open(os.path.join(b, "config.json"), "w") as f:
        json.dump(c, f)
    with open(os.path.join(d, "supervise.json"), "w") as f:
        json.dump({"id": cid, "bundle": b, "runtime": RUNTIME, "runtime_root": RTROOT,
                   "restart": {"policy": "no"}, "log": {"driver": "json-file", "opts": opts}}, f)
    log = os.path.join(d, cid + "-json.log")
    t0 = time.monotonic()
    subprocess.run([SUPERVISE, "--dir", d, "--config", "/dev/null"], check=True)
    with open(os.path.join(d, "status.json")) as f:
        pid = json.load(f)["supervisor_pid"]
    c0 = 0.0  # the supervisor is new: all its CPU is this run's
    wait_mark(log)
    t = time.monotonic() - t0
    c = cpu(pid) - c0
    cc = child_cpu(pid)
    subprocess.run([RUNTIME, "--root", RTROOT, "kill", cid, "KILL"], capture_output=True)
    while os.path.exists(f"/proc/{pid}"):
        time.sleep(0.01)
    files = [log] + glob.glob(log + ".*")
    return t, c, count(files), cc


def podman_cmd(*a):
    return ["podman", "--root", os.path.join(WORK, "pm", "storage"), "--runroot", os.path.join(WORK, "pm", "run"),
            "--runtime", RUNTIME, *a]


def podman():
    subprocess.run(podman_cmd("import", os.path.join(WORK, "rootfs.tar"), "localhost/kbox:latest"), check=True,
                   capture_output=True)
    t0 = time.monotonic()
    cid = subprocess.run(podman_cmd("run", "-d", *ULIMITS, "--log-driver", "k8s-file", "localhost/kbox", *ARGS),
                         check=True, capture_output=True, text=True).stdout.strip()
    q = subprocess.run(podman_cmd("inspect", "-f", "{{.State.ConmonPid}} {{.HostConfig.LogConfig.Path}}", cid),
                       check=True, capture_output=True, text=True).stdout.split()
    pid, log = int(q[0]), q[1]
    wait_mark(log)
    t = time.monotonic() - t0
    c = cpu(pid)
    n = count([log], k8s=True)
    subprocess.run(podman_cmd("rm", "-f", "-t", "0", cid), capture_output=True)
    return t, c, n, None


def docker():
    pid = int(open(os.path.join(WORK, "docker", "docker.pid")).read())
    c0 = cpu(pid)
    t0 = time.monotonic()
    cid = subprocess.run(["docker", "run", "-d", "--log-driver", "json-file", "kbox:latest", *ARGS], check=True,
                         capture_output=True, text=True).stdout.strip()
    log = subprocess.run(["docker", "inspect", "-f", "{{.LogPath}}", cid], check=True, capture_output=True,
                         text=True).stdout.strip()
    wait_mark(log)
    t = time.monotonic() - t0
    c = cpu(pid) - c0
    n = count([log])
    subprocess.run(["docker", "rm", "-f", cid], capture_output=True)
    return t, c, n, None


runs = [("kapsel", lambda: kapsel({"max-size": "-1"})),
        ("kapsel+gz 20m", lambda: kapsel({"max-size": "20m", "max-file": "1000", "compress": "true"}))]
if shutil.which("podman"):
    runs.append(("podman k8s-file", podman))
if os.environ.get("DOCKER_HOST"):
    runs.append(("docker json-file", docker))
if os.environ.get("BENCH_ONLY"):  # e.g. BENCH_ONLY=kapsel for a profile
    runs = [r for r in runs if r[0] == os.environ["BENCH_ONLY"]]
print(f"{LINES} lines of 100 bytes, one container (tests/fixtures/logwriter)")
print(f"{'':18} {'lines/s':>10} {'CPU s':>8} {'CPU us/line':>12} {'counted':>10} {'helpers CPU s':>14}")
for name, fn in runs:
    t, c, n, cc = fn()
    ok = "" if n == LINES else f"  MISSING {LINES - n}"
    helpers = f"{cc:14.2f}" if cc is not None else f"{'-':>14}"
    print(f"{name:18} {LINES / t:10.0f} {c:8.2f} {c * 1e6 / LINES:12.3f} {n:10d} {helpers}{ok}", flush=True)
shutil.rmtree(os.path.join(WORK, "k"), ignore_errors=True)
