#!/usr/bin/python3
"""bench/images.py RUNS: `kapsel load` against `podman load` of the same
archives, interleaved in one run, each load into a fresh, empty store;
then, with both images loaded into one kapsel store and one Podman store,
`save` of each image to a file, `images` (the listing of the store) and
`image inspect` of each image, kapsel and podman interleaved.

Two legacy `docker save` archives (plain layer tars, as `docker save`
writes them), made here from this machine's files so the bench needs no
registry:
  small    one layer: /bin/busybox (about 2 MB)
  debian   three layers, a Debian-like tree: /usr/lib/python3 (many small
           files), /usr/share/perl, /etc (about 100 MB in all)
Both tools hash every blob and unpack every layer (kapsel into its
layer directories, podman into its overlay storage).  Wall time is from
fork to exit; CPU time is user + system of the tool and its children (on
a busy machine the steadier of the two); every load goes into a store of
its own on a new ext4 made for the run (fresh_fs), all of them removed at
the end, outside the timing.

Podman's save writes its default docker-archive (plain layer tars),
kapsel's an OCI layout with a manifest.json beside it: both copy every
layer into one tar (neither compresses).

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


def podman(store, *args):
    return ["podman", "--root", store + "/s", "--runroot", store + "/r", "--storage-driver", "overlay", *args]


def row(label, tool, v, ref, cref):
    wall = sorted(w for w, _ in v)
    med, cpu = statistics.median(wall), statistics.median(c for _, c in v)
    p90 = wall[max(0, int(len(wall) * 0.9) - 1)]
    print(f"{label:8} {tool:14} {med:10.1f} {p90:8.1f} {med / ref:7.2f} {cpu:8.1f} {cpu / cref:9.2f}")


def compare(label, cmds, runs, after=None):
    """CMDS {tool: argv}, the last one the reference; interleaved runs."""
    times = {t: [] for t in cmds}
    for _ in range(runs):
        for t, cmd in cmds.items():
            times[t].append(run(cmd))
            if after:
                after()
    last = list(cmds)[-1]
    ref = statistics.median(w for w, _ in times[last])
    cref = statistics.median(c for _, c in times[last])
    for t, v in times.items():
        row(label, t, v, ref, max(cref, 0.001))


def store_ops(base, paths, runs):
    """save, images and image inspect of the same loaded images."""
    ks, ps = os.path.join(base, "kstore"), os.path.join(base, "pstore")
    for path in paths.values():
        run([KAPSEL, "--root", ks, "load", "-q", "-i", path])
        run(podman(ps, "load", "-q", "-i", path))
    out = os.path.join(base, "out.tar")

    def rm_out():
        os.unlink(out)
    try:
        for name in paths:
            ref = f"bench/{name}:1"
            compare(name, {"kapsel save": [KAPSEL, "--root", ks, "save", "-o", out, ref],
                           "podman save": podman(ps, "save", "-q", "-o", out, ref)}, runs, rm_out)
        compare("store", {"kapsel images": [KAPSEL, "--root", ks, "images"],
                          "podman images": podman(ps, "images")}, runs * 4)
        for name in paths:
            ref = f"bench/{name}:1"
            compare(name, {"kapsel inspect": [KAPSEL, "--root", ks, "image", "inspect", ref],
                           "podman inspect": podman(ps, "image", "inspect", ref)}, runs * 4)
        print(f"{'':8} (save: {runs} runs each; images and image inspect: {runs * 4} runs each, "
              f"a store of {len(paths)} images)")
    finally:
        subprocess.run(["umount", "-R", ps + "/s/overlay"], capture_output=True)


def fresh_fs(top):
    """A new ext4 of 8 GiB (sparse, loop-mounted) under TOP: the loads
    write into it, away from the host's recently deleted inodes (ext4's
    allocator skips those for a while: a load just after a big rm -rf
    elsewhere on the same filesystem took 3-5x as long, perf showing 70 %
    of it in recently_deleted())."""
    img, mnt = os.path.join(top, "fs.img"), os.path.join(top, "fs")
    os.mkdir(mnt)
    with open(img, "wb") as f:
        f.truncate(8 << 30)
    subprocess.run(["mkfs.ext4", "-q", "-F", img], check=True)
    subprocess.run(["mount", "-o", "loop", img, mnt], check=True)
    return mnt


def main():
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 10
    top = tempfile.mkdtemp(prefix="kbench-img-")
    base = fresh_fs(top)
    try:
        archives = {
            "small": [tree_layer(["/bin/busybox"])],
            "debian": [tree_layer(["/usr/lib/python3"]), tree_layer(["/usr/share/perl"]), tree_layer(["/etc"])],
        }
        print(f"{'image':8} {'tool':14} {'median ms':>10} {'p90 ms':>8} {'ratio':>7} {'cpu ms':>8} {'cpu ratio':>9}")
        paths = {}
        for name, layers in archives.items():
            path = paths[name] = os.path.join(base, name + ".tar")
            mkimages.docker_save(path, [(f"bench/{name}:1", layers)])
            size = sum(len(x) for x in layers)
            times = {"kapsel load": [], "podman load": []}
            stores = []
            for i in range(runs):
                for tool in times:
                    # a store of its own each run, all removed at the end:
                    # a load right after removing another store's thousands
                    # of files waits in ext4's inode allocator (fresh_fs)
                    store = os.path.join(base, f"{name[0]}{tool[0]}{i}")  # podman: runroot <= 50 chars
                    stores.append(store)
                    if tool == "kapsel load":
                        cmd = [KAPSEL, "--root", store, "load", "-q", "-i", path]
                    else:
                        cmd = podman(store, "load", "-q", "-i", path)
                    times[tool].append(run(cmd))
                    subprocess.run(["umount", "-R", store + "/s/overlay"], capture_output=True)
            for store in stores:
                shutil.rmtree(store, ignore_errors=True)
            ref = statistics.median(w for w, _ in times["podman load"])
            cref = statistics.median(c for _, c in times["podman load"])
            for tool, v in times.items():
                row(name, tool, v, ref, cref)
            print(f"{'':8} ({len(layers)} layers, {size / 1e6:.1f} MB of layer tars, {runs} runs each)")
        store_ops(base, paths, runs)
    finally:
        for d in os.listdir(base):
            subprocess.run(["umount", "-R", os.path.join(base, d, "s", "overlay")], capture_output=True)
        subprocess.run(["umount", "-R", os.path.join(base, "pstore", "s", "overlay")], capture_output=True)
        subprocess.run(["umount", base], check=True)
        shutil.rmtree(top, ignore_errors=True)


if __name__ == "__main__":
    main()
