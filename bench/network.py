#!/usr/bin/python3
"""bench/network.py RUNS: `kapsel run --rm --network bridge IMAGE true`
against `podman run --rm IMAGE true` (podman's default network: its CNI
bridge), and both with --network none for reference, interleaved in one
run, on the same busybox image (tests/fixtures/mkrootfs.sh) loaded into a
store of each.

kapsel's bridge is a bench one (kbench0, 10.84.0.0/24, a kapsel.conf of
its own) so the host's kapsel0 is left alone; it and kapsel's rules for it
are removed at the end.  Wall time is from fork to exit; CPU is user +
system of the tool and its children.  Every run is checked (exit 0).

Usage: bench/network.py [RUNS]   (KAPSEL_BUILD: the build dir, default build)"""
import io
import os
import shlex
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
BRIDGE, SUBNET = "kbench0", "10.84.0.0/24"


def run(cmd):
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    p = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
    dt = time.perf_counter() - t
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    if p.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed: {p.stderr.decode()}")
    return dt * 1000, (r1.ru_utime - r0.ru_utime + r1.ru_stime - r0.ru_stime) * 1000


def tree_layer(root):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as t:
        for name in sorted(os.listdir(root)):
            t.add(os.path.join(root, name), arcname=name)
    return buf.getvalue()


def main():
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 10
    base = tempfile.mkdtemp(prefix="kbench-net-")
    kroot, proot = os.path.join(base, "kapsel"), os.path.join(base, "podman")
    pod = ["podman", "--root", proot + "/s", "--runroot", proot + "/r", "--storage-driver", "overlay"]
    # the rlimits kapsel sets too (podman's default raises nofile past what this sandbox allows)
    limits = ["--ulimit", "nofile=1024:1024", "--ulimit", "nproc=512:512"]
    try:
        rootfs = os.path.join(base, "rootfs")
        subprocess.run(["sh", os.path.join(REPO, "tests", "fixtures", "mkrootfs.sh"), rootfs], check=True)
        tar = os.path.join(base, "bb.tar")
        mkimages.docker_save(tar, [("bench/net:1", [tree_layer(rootfs)])])
        conf = os.path.join(base, "kapsel.conf")
        with open(os.path.join(REPO, "data", "kapsel.conf")) as f:
            text = f.read()
        with open(conf, "w") as f:
            f.write(text.replace("bridge_name = kapsel0", "bridge_name = " + BRIDGE)
                    .replace("bridge_subnet = 10.89.0.0/16", "bridge_subnet = " + SUBNET))
        kap = [KAPSEL, "--root", kroot, "--config", conf]
        subprocess.run(kap + ["load", "-q", "-i", tar], check=True, stdout=subprocess.DEVNULL)
        subprocess.run(pod + ["load", "-q", "-i", tar], check=True, stdout=subprocess.DEVNULL)
        cases = {
            "kapsel bridge": kap + ["run", "--rm", "--network", "bridge", "bench/net:1", "true"],
            "podman bridge": pod + ["run", "--rm"] + limits + ["bench/net:1", "true"],
            "kapsel none": kap + ["run", "--rm", "bench/net:1", "true"],
            "podman none": pod + ["run", "--rm", "--network", "none"] + limits + ["bench/net:1", "true"],
        }
        for cmd in cases.values():  # warm: the bridges made, the caches filled
            run(cmd)
        times = {name: [] for name in cases}
        for _ in range(runs):
            for name, cmd in cases.items():
                times[name].append(run(cmd))
        print(f"{'case':14} {'median ms':>10} {'p90 ms':>8} {'ratio':>7} {'cpu ms':>8} {'cpu ratio':>9}")
        for name, v in times.items():
            ref = times["podman " + name.split()[1]]
            rw, rc = statistics.median(w for w, _ in ref), statistics.median(c for _, c in ref)
            wall = sorted(w for w, _ in v)
            med, cpu = statistics.median(wall), statistics.median(c for _, c in v)
            p90 = wall[max(0, int(len(wall) * 0.9) - 1)]
            print(f"{name:14} {med:10.1f} {p90:8.1f} {med / rw:7.2f} {cpu:8.1f} {cpu / rc:9.2f}")
        print(f"({runs} runs each, interleaved; ratio against podman with the same network)")
    finally:
        subprocess.run(["umount", "-R", proot + "/s/overlay"], capture_output=True)
        subprocess.run(["ip", "link", "del", BRIDGE], capture_output=True)
        for t in ("nat", "filter"):
            out = subprocess.run(["iptables-save", "-t", t], capture_output=True, text=True).stdout
            for line in out.splitlines():
                if line.startswith("-A ") and SUBNET in line and "kapsel:bridge" in line:
                    subprocess.run(["iptables", "-t", t, "-D"] + shlex.split(line)[1:], capture_output=True)
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
