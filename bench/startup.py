#!/usr/bin/python3
"""bench/startup.py RUNS: what a short `kapsel` command costs before it does
anything, against `podman` doing the same, interleaved in one run.

  version   `--version`
  images    `images` of an empty store
  ps        `ps -a` with no containers

kapsel links libcurl, libarchive, libssl, libcrypto and libsqlite3 lazily (src/lib/common/
lazy.c): a command that never pulls, unpacks or serves does not pay for
their relocations and their own dependencies (nghttp2, libssh2, gnutls,
krb5, libxml2...).  Set KAPSEL_BASE to a second build dir to compare a
change with main in the same run.

Usage: bench/startup.py [RUNS]   (KAPSEL_BUILD: the build dir, default build)"""
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RUNS = int(sys.argv[1]) if len(sys.argv) > 1 else 50


def kapsel_of(build):
    return os.path.join(build, "src", "kapsel", "kapsel")


tools = [("kapsel", kapsel_of(os.environ.get("KAPSEL_BUILD", os.path.join(REPO, "build"))))]
if os.environ.get("KAPSEL_BASE"):
    tools.append(("kapsel-base", kapsel_of(os.environ["KAPSEL_BASE"])))
if shutil.which("podman"):
    tools.append(("podman", shutil.which("podman")))

work = tempfile.mkdtemp(prefix="kapsel-bench-startup-")


def argv(name, binary, what):
    if name.startswith("kapsel"):
        g = [binary, "--root", os.path.join(work, name)]
    else:
        g = [binary, "--root", os.path.join(work, "podman", "root"), "--runroot", os.path.join(work, "podman", "run"),
             "--storage-driver", "vfs", "--events-backend", "none", "--cgroup-manager", "cgroupfs"]
    if what == "version":
        return [binary, "--version"]
    return g + (["images"] if what == "images" else ["ps", "-a"])


def once(args):
    t = time.perf_counter()
    r = subprocess.run(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    dt = time.perf_counter() - t
    if r.returncode != 0:
        sys.exit(f"{args}: exit {r.returncode}: {r.stderr.decode()[-400:]}")
    return dt


cases = ["version", "images", "ps"]
res = {(n, c): [] for n, _ in tools for c in cases}
try:
    for i in range(RUNS + 3):
        for c in cases:
            for n, b in tools:
                dt = once(argv(n, b, c))
                if i >= 3:  # the first three warm caches
                    res[(n, c)].append(dt)
finally:
    shutil.rmtree(work, ignore_errors=True)

print(f"{'command':10} " + " ".join(f"{n + ' ms':>14}" for n, _ in tools) +
      "".join(f" {'kapsel/' + n:>16}" for n, _ in tools[1:]))
for c in cases:
    med = [statistics.median(res[(n, c)]) * 1000 for n, _ in tools]
    print(f"{c:10} " + " ".join(f"{m:14.2f}" for m in med) + "".join(f" {med[0] / m:16.2f}" for m in med[1:]))
