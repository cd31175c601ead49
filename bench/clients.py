"""Time N `docker run --rm kbox /bin/true` (and podman) per runtime,
interleaved by round so machine noise hits every runtime alike."""
import os
import statistics
import subprocess
import sys
import time

n, work, crun, runc = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
kapsel = os.path.join(work, "kapsel-runtime")
env = dict(os.environ)
podman = ["podman", "--root", f"{work}/podman/storage", "--runroot", f"{work}/podman/run"]
limits = ["--ulimit", "nofile=1024:1024", "--ulimit", "nproc=1000:1000"]
cases = {
    ("docker", "kapsel-runtime"): ["docker", "run", "--rm", "--runtime", "kapsel", "kbox", "/bin/true"],
    ("docker", "crun"): ["docker", "run", "--rm", "--runtime", "crun", "kbox", "/bin/true"],
    ("docker", "runc"): ["docker", "run", "--rm", "--runtime", "runc", "kbox", "/bin/true"],
    ("podman", "kapsel-runtime"): podman + ["--runtime", kapsel, "run", "--rm", "--network", "none"] + limits + ["localhost/kbox", "/bin/true"],
    ("podman", "crun"): podman + ["--runtime", crun, "run", "--rm", "--network", "none"] + limits + ["localhost/kbox", "/bin/true"],
    ("podman", "runc"): podman + ["--runtime", runc, "run", "--rm", "--network", "none"] + limits + ["localhost/kbox", "/bin/true"],
}
times = {k: [] for k in cases}
for k, cmd in cases.items():  # warm-up, and fail early
    p = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if p.returncode != 0:
        sys.exit(f"{k}: {p.stderr}")
for _ in range(n):
    for k, cmd in cases.items():
        t = time.perf_counter()
        subprocess.run(cmd, check=True, capture_output=True, env=env)
        times[k].append(time.perf_counter() - t)
print(f"{'client':8} {'runtime':16} {'median ms':>10} {'p90 ms':>8} {'/crun':>7}")
for client in ("docker", "podman"):
    base = statistics.median(times[(client, "crun")])
    for rt in ("kapsel-runtime", "crun", "runc"):
        v = times[(client, rt)]
        med = statistics.median(v)
        p90 = sorted(v)[int(len(v) * 0.9)]
        print(f"{client:8} {rt:16} {med * 1000:10.1f} {p90 * 1000:8.1f} {med / base:7.2f}")
