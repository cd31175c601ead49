"""Run each runtime's `run` on one bundle, interleaved, and report the
median wall time and the peak RSS (ru_maxrss of the runtime process and
the children it waited for), measured by bench/spawn.c."""
import os
import statistics
import subprocess
import sys

spawn, bundle, runs = sys.argv[1], sys.argv[2], int(sys.argv[3])
runtimes = [a.split("=", 1) for a in sys.argv[4:]]
wall = {n: [] for n, _ in runtimes}
rss = {n: [] for n, _ in runtimes}
root = os.path.join(bundle, "state")


def once(name, binary, i):
    # "name=binary [global options...]"
    binary, *glob = binary.split()
    cid = f"bench-{name}-{i}"
    args = [binary, "--root", os.path.join(root, name), *glob, "run", "--bundle", bundle, cid]
    out = subprocess.run([spawn, *args], stdout=subprocess.PIPE, text=True, check=True).stdout.split()
    ns, rss, code = int(out[0]), int(out[1]), int(out[2])
    if code != 0:
        sys.exit(f"{name} run failed ({code}): {args}")
    return ns / 1e9, rss


for i in range(3):  # warm up caches
    for n, b in runtimes:
        once(n, b, f"w{i}")
for i in range(runs):
    for n, b in runtimes:
        dt, r = once(n, b, i)
        wall[n].append(dt)
        rss[n].append(r)

base = runtimes[1][0] if len(runtimes) > 1 else runtimes[0][0]
mw = {n: statistics.median(wall[n]) for n in wall}
mr = {n: max(rss[n]) for n in rss}
print(f"{'runtime':16} {'median ms':>10} {'p90 ms':>8} {'peak RSS KiB':>13} {'wall/' + base:>11} {'RSS/' + base:>9}")
for n, _ in runtimes:
    p90 = sorted(wall[n])[int(len(wall[n]) * 0.9)]
    print(f"{n:16} {mw[n]*1000:10.2f} {p90*1000:8.2f} {mr[n]:13d} {mw[n]/mw[base]:11.2f} {mr[n]/mr[base]:9.2f}")
