"""Exporter cost per scrape: start each exporter on a free loopback port,
scrape /metrics SCRAPES times in a row, then once in 15 s (the share of a
core at that pace, its own sampling included), and read its CPU time (utime +
stime from /proc/PID/stat) and RSS (VmRSS after, VmHWM peak) around that.

    python3 bench/monitor.py SCRAPES "KAPSEL MONITOR CMD" NODE_EXPORTER

KAPSEL_BENCH_SOAK=SECONDS first lets kapsel's monitor run that long before
measuring, so its history (an hour by default: 3900 s fills it) is as full
as it gets in production; its RSS is printed every minute meanwhile."""
import os
import shlex
import socket
import subprocess
import sys
import time
import urllib.request

HZ = os.sysconf("SC_CLK_TCK")


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def cpu_ms(pid):
    f = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(f[11]) + int(f[12])) * 1000 / HZ


def status_kib(pid, key):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith(key + ":"):
            return int(line.split()[1])
    return 0


def uss_kib(pid):
    """Private_Clean + Private_Dirty: the pages no other process shares."""
    v = 0
    for line in open(f"/proc/{pid}/smaps_rollup"):
        if line.startswith(("Private_Clean:", "Private_Dirty:")):
            v += int(line.split()[1])
    return v


def wait_up(url, proc):
    for _ in range(300):
        if proc.poll() is not None:
            raise SystemExit(f"exporter exited: {proc.returncode}")
        try:
            urllib.request.urlopen(url, timeout=5).read()
            return
        except OSError:
            time.sleep(0.05)
    raise SystemExit("exporter did not come up")


def measure(name, argv, port, scrapes, soak=0):
    url = f"http://127.0.0.1:{port}/metrics"
    p = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_up(url, p)
        for m in range(int(soak // 60)):
            time.sleep(60)
            print(f"{name}: {m + 1} min: RSS {status_kib(p.pid, 'VmRSS')} KiB", file=sys.stderr, flush=True)
        time.sleep(soak % 60)
        idle = status_kib(p.pid, "VmRSS")
        c0 = cpu_ms(p.pid)
        t0 = time.monotonic()
        size = 0
        lat = []
        for _ in range(scrapes):
            s = time.monotonic()
            size = len(urllib.request.urlopen(url, timeout=30).read())
            lat.append(time.monotonic() - s)
        wall = time.monotonic() - t0
        c1 = cpu_ms(p.pid)
        # then Prometheus' usual pace: one scrape in a 15 s window, the
        # exporter's own sampling (kapsel's --interval) included
        c2 = cpu_ms(p.pid)
        urllib.request.urlopen(url, timeout=30).read()
        time.sleep(15)
        core = (cpu_ms(p.pid) - c2) / 15000 * 100
        lat.sort()
        return (name, idle, status_kib(p.pid, "VmRSS"), status_kib(p.pid, "VmHWM"), (c1 - c0) / scrapes,
                lat[len(lat) // 2] * 1e3, lat[int(len(lat) * 0.99) - 1] * 1e3, size, uss_kib(p.pid), core)
    finally:
        p.terminate()
        p.wait()


def main():
    scrapes = int(sys.argv[1])
    kp, np_ = free_port(), free_port()
    rows = [
        measure("kapsel monitor", shlex.split(sys.argv[2]) + ["--listen", f"127.0.0.1:{kp}"], kp, scrapes,
                float(os.environ.get("KAPSEL_BENCH_SOAK", "0"))),
        measure("node-exporter", [sys.argv[3], f"--web.listen-address=127.0.0.1:{np_}"], np_, scrapes),
    ]
    print(f"\n/metrics, {scrapes} scrapes   RSS idle KiB  RSS after  peak KiB  USS KiB  CPU ms/scrape  p50 ms  p99 ms  "
          "bytes  % core at 15 s")
    for r in rows:
        print(f"{r[0]:<24} {r[1]:12d} {r[2]:10d} {r[3]:9d} {r[8]:8d} {r[4]:14.2f} {r[5]:7.2f} {r[6]:7.2f} {r[7]:6d} {r[9]:8.2f}")
    k, n = rows[0], rows[1]
    print(f"kapsel/node-exporter: RSS after {k[2] / n[2]:.2f}, USS {k[8] / n[8]:.2f}, CPU per scrape {k[4] / n[4]:.2f}")


main()
