#!/usr/bin/python3
"""bench/engine.py [RUNS]: `kapsel run` against `podman run` on the same
image, and `ps -a` / `inspect` with 100 containers, interleaved in one run.

The image is the demo image (tests/fixtures/images/mkdemoimage.py: a
busybox root), loaded into a fresh kapsel store and a fresh podman store
(overlay driver, its own --root/--runroot, no events, cgroupfs).

  run       `run --rm IMAGE true`: kapsel with its hardened defaults (no
            flag), podman with `--network none` (the issue's comparison) and
            nofile/nproc ulimits (its defaults are above this machine's hard
            limits)
  ps        `ps -a` with 100 created containers
  inspect   `inspect NAME` of one of them

Usage: bench/engine.py [RUNS]   (KAPSEL_BUILD: the build dir, default build)"""
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
RUNS = int(sys.argv[1]) if len(sys.argv) > 1 else 30
N = 100

work = tempfile.mkdtemp(prefix="kapsel-bench-engine-")
tar = os.path.join(work, "demo.tar")
subprocess.run([sys.executable, os.path.join(REPO, "tests", "fixtures", "images", "mkdemoimage.py"), tar,
                os.path.join(BUILD, "tests", "probe")], check=True, stdout=subprocess.DEVNULL)
K = [KAPSEL, "--root", os.path.join(work, "kapsel"), "--config", os.path.join(REPO, "data", "kapsel.conf")]
P = ["podman", "--root", os.path.join(work, "podman", "root"), "--runroot", os.path.join(work, "podman", "run"),
     "--events-backend", "none", "--cgroup-manager", "cgroupfs"]
IMAGE = "demo/hardened:1"
# podman's default ulimits exceed this host's hard limits (as in test_podman.py)
ULIM = ["--ulimit", "nofile=1024:1024", "--ulimit", "nproc=1000:1000"]


def sh(argv):
    r = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    if r.returncode != 0:
        sys.exit(f"{argv}: exit {r.returncode}: {r.stderr.decode()[-500:]}")


def timed(argv):
    t = time.perf_counter()
    sh(argv)
    return time.perf_counter() - t


env = dict(os.environ, KAPSEL_SUPERVISE=os.path.join(BUILD, "src", "supervise", "kapsel-supervise"))
os.environ.update(env)
try:
    sh(K + ["load", "-i", tar])
    sh(P + ["load", "-i", tar])
    pimage = "localhost/" + IMAGE
    for i in range(N):
        sh(K + ["create", "--name", f"c{i}", IMAGE, "true"])
        sh(P + ["create", "--name", f"c{i}", "--network", "none", *ULIM, pimage, "true"])
    cases = {
        "run": (K + ["run", "--rm", IMAGE, "true"], P + ["run", "--rm", "--network", "none", *ULIM, pimage, "true"]),
        "ps": (K + ["ps", "-a"], P + ["ps", "-a"]),
        "inspect": (K + ["inspect", "c50"], P + ["inspect", "c50"]),
    }
    res = {(c, t): [] for c in cases for t in ("kapsel", "podman")}
    for i in range(RUNS + 2):
        for c, (k, p) in cases.items():
            for t, argv in (("kapsel", k), ("podman", p)):
                dt = timed(argv)
                if i >= 2:  # two to warm caches
                    res[(c, t)].append(dt)
    print(f"{'case':10} {'kapsel ms':>10} {'podman ms':>10} {'kapsel/podman':>14}   (median of {RUNS})")
    for c in cases:
        km = statistics.median(res[(c, "kapsel")]) * 1000
        pm = statistics.median(res[(c, "podman")]) * 1000
        print(f"{c:10} {km:10.2f} {pm:10.2f} {km / pm:14.2f}")
finally:
    subprocess.run(P + ["rm", "-af"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for i in range(N):
        subprocess.run(K + ["rm", "-f", f"c{i}"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    subprocess.run(P + ["system", "reset", "-f"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    subprocess.run(["umount", "-R", "-l", work], stderr=subprocess.DEVNULL)
    shutil.rmtree(work, ignore_errors=True)
