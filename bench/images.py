#!/usr/bin/python3
"""bench/images.py RUNS: `kapsel load` against `podman load` of the same
archives, interleaved in one run, each load into a fresh, empty store.

Two legacy `docker save` archives (plain layer tars, as `docker save`
writes them), made here from this machine's files so the bench needs no
registry:
  small    one layer: /bin/busybox (about 2 MB)
  debian   three layers, a Debian-like tree: /usr/lib/python3 (many small
           files), /usr/share/perl, /etc (about 100 MB in all)
Both tools hash every blob and unpack every layer (kapsel into its
layer directories, podman into its overlay storage).  Wall time is from
fork to exit; CPU time is user + system of the tool and its children (on
a busy machine the steadier of the two); the store is removed between
runs, outside the timing.

Usage: bench/images.py [RUNS]   (KAPSEL_BUILD: the build dir, default build)"""
import io
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(REPO, "tests", "fixtures", "images"))
import mkimages  # noqa: E402

KAPSEL = os.path.join(os.environ.get("KAPSEL_BUILD", os.path.join(REPO, "build")), "src", "kapsel", "kapsel")


def tree_layer(paths):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as t:
        for p in paths:
            t.add(p, arcname=p.lstrip("/"))
    return buf.getvalue()


def run(cmd):
    """Wall and CPU (user + system, the process and its children) ms."""
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    p = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    dt = time.perf_counter() - t
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    if p.returncode != 0:
        raise SystemExit(f"{cmd[0]} failed: {p.stderr.decode()}")
    return dt * 1000, (r1.ru_utime - r0.ru_utime + r1.ru_stime - r0.ru_stime) * 1000


def main():
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 10
    base = tempfile.mkdtemp(prefix="kbench-img-")
    try:
        archives = {
            "small": [tree_layer(["/bin/busybox"])],
            "debian": [tree_layer(["/usr/lib/python3"]), tree_layer(["/usr/share/perl"]), tree_layer(["/etc"])],
        }
        print(f"{'image':8} {'tool':14} {'median ms':>10} {'p90 ms':>8} {'ratio':>7} {'cpu ms':>8} {'cpu ratio':>9}")
        for name, layers in archives.items():
            path = os.path.join(base, name + ".tar")
            mkimages.docker_save(path, [(f"bench/{name}:1", layers)])
            size = sum(len(x) for x in layers)
            times = {"kapsel load": [], "podman load": []}
            for _ in range(runs):
                for tool in times:
                    store = os.path.join(base, "store")
                    if tool == "kapsel load":
                        cmd = [KAPSEL, "--root", store, "load", "-q", "-i", path]
                    else:
                        cmd = ["podman", "--root", store + "/s", "--runroot", store + "/r", "--storage-driver",
                               "overlay", "load", "-q", "-i", path]
                    times[tool].append(run(cmd))
                    subprocess.run(["umount", "-R", store + "/s/overlay"], capture_output=True)
                    shutil.rmtree(store, ignore_errors=True)
            ref = statistics.median(w for w, _ in times["podman load"])
            cref = statistics.median(c for _, c in times["podman load"])
            for tool, v in times.items():
                wall = sorted(w for w, _ in v)
                med, cpu = statistics.median(wall), statistics.median(c for _, c in v)
                p90 = wall[max(0, int(len(wall) * 0.9) - 1)]
                print(f"{name:8} {tool:14} {med:10.1f} {p90:8.1f} {med / ref:7.2f} {cpu:8.1f} {cpu / cref:9.2f}")
            print(f"{'':8} ({len(layers)} layers, {size / 1e6:.1f} MB of layer tars, {runs} runs each)")
    finally:
        subprocess.run(["umount", "-R", os.path.join(base, "store", "s", "overlay")], capture_output=True)
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
