#!/usr/bin/python3
"""bench/run_ab.py [RUNS]: `kapsel run --rm IMAGE true` of two builds of
kapsel interleaved on one store (the demo image), median wall time and
CPU time (user + system of every process, from rusage).  For a change on
the container start path: the build before it in KAPSEL_BASE, the build
after it in KAPSEL_BUILD (default build).

  git worktree add /tmp/base BASE && meson setup /tmp/base/build /tmp/base && ninja -C /tmp/base/build
  KAPSEL_BASE=/tmp/base/build python3 bench/run_ab.py 40"""
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILDS = {"before": os.environ.get("KAPSEL_BASE"), "after": os.environ.get("KAPSEL_BUILD", os.path.join(REPO, "build"))}
if not BUILDS["before"]:
    sys.exit(__doc__)
RUNS = int(sys.argv[1]) if len(sys.argv) > 1 else 30
work = tempfile.mkdtemp(prefix="kapsel-bench-ab-")
try:
    tar = os.path.join(work, "demo.tar")
    subprocess.run([sys.executable, os.path.join(REPO, "tests", "fixtures", "images", "mkdemoimage.py"), tar,
                    os.path.join(BUILDS["after"], "tests", "probe")], check=True, stdout=subprocess.DEVNULL)
    base = ["--root", os.path.join(work, "store"), "--config", os.path.join(REPO, "data", "kapsel.conf")]
    subprocess.run([os.path.join(BUILDS["after"], "src", "kapsel", "kapsel"), *base, "load", "-i", tar], check=True,
                   stdout=subprocess.DEVNULL)
    wall = {k: [] for k in BUILDS}
    cpu = {k: [] for k in BUILDS}
    for _ in range(RUNS):
        for k, b in BUILDS.items():
            env = dict(os.environ, KAPSEL_SUPERVISE=os.path.join(b, "src", "supervise", "kapsel-supervise"))
            argv = [os.path.join(b, "src", "kapsel", "kapsel"), *base, "run", "--rm", "demo/hardened:1", "true"]
            r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
            t = time.perf_counter()
            subprocess.run(argv, env=env, check=True)
            wall[k].append((time.perf_counter() - t) * 1000)
            r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpu[k].append((r1.ru_utime - r0.ru_utime + r1.ru_stime - r0.ru_stime) * 1000)
    print(f"build    wall ms   CPU ms   (median of {RUNS})")
    for k in BUILDS:
        print(f"{k:8} {statistics.median(wall[k]):7.2f} {statistics.median(cpu[k]):8.2f}")
    print(f"after/before wall {statistics.median(wall['after']) / statistics.median(wall['before']):.2f}")
finally:
    shutil.rmtree(work, ignore_errors=True)
