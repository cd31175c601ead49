"""bench/logs_tail: `kapsel logs --tail 100` of a container whose json-file
log is SIZE_MB (default 1024) MB, generated directly in Docker's format (no
container writes it: `kapsel create` makes the container, the file is put
where its supervisor would have written it).

Measured (wall time, median of RUNS, page cache warm):
  kapsel logs --tail 100            the backwards block reader (logs/read.c)
  kapsel logs --tail 100 -t         with the timestamps
  kapsel logs --since T             T = 1 s before the last line (the file
                                    is not skipped: it is the live one)
  tail -n 100 FILE                  coreutils, raw JSON lines
  tail -n 100 FILE | python3 parse  the same, each line's "log" decoded
                                    (what a script without kapsel would do;
                                    docker logs needs dockerd and its own
                                    container store, so it is not run here)
and once, the whole file: kapsel logs > /dev/null (MB/s).

Usage: python3 bench/logs_tail.py BUILD WORK [SIZE_MB] [RUNS]   (see logs_tail.sh)"""
import os
import statistics
import subprocess
import sys
import time

BUILD, WORK = sys.argv[1], sys.argv[2]
SIZE_MB = int(sys.argv[3]) if len(sys.argv) > 3 else 1024
RUNS = int(sys.argv[4]) if len(sys.argv) > 4 else 20
REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
KAPSEL = os.path.join(BUILD, "src", "kapsel", "kapsel")
ROOT = os.path.join(WORK, "store")
CONF = os.path.join(REPO, "data", "kapsel.conf")
sys.path.insert(0, os.path.join(REPO, "tests", "fixtures", "images"))
import mkrunimage  # noqa: E402


def kapsel(*args, **kw):
    return subprocess.run([KAPSEL, "--root", ROOT, "--config", CONF, *args], check=True, capture_output=True, **kw)


def generate(path, size):
    """Lines as the supervisor writes them: ~100 bytes of text, stdout and
    every tenth on stderr, times 10 us apart."""
    t0 = int(time.time()) - 3600 * 24
    n = 0
    with open(path, "w") as f:
        written = 0
        while written < size:
            chunk = []
            for _ in range(10000):
                s, us = divmod(n * 10, 1000000)
                tm = time.gmtime(t0 + s)
                stream = "stderr" if n % 10 == 9 else "stdout"
                chunk.append('{"log":"line %09d %s\\n","stream":"%s","time":"%04d-%02d-%02dT%02d:%02d:%02d.%06d123Z"}\n'
                             % (n, "x" * 80, stream, tm.tm_year, tm.tm_mon, tm.tm_mday, tm.tm_hour, tm.tm_min,
                                tm.tm_sec, us))
                n += 1
            text = "".join(chunk)
            f.write(text)
            written += len(text)
    return n, t0 + (n * 10) // 1000000


def timed(argv, shell=False):
    ts = []
    for _ in range(RUNS):
        t = time.perf_counter()
        subprocess.run(argv, shell=shell, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        ts.append(time.perf_counter() - t)
    return statistics.median(ts) * 1000


def main():
    os.makedirs(WORK, exist_ok=True)
    rootfs = os.path.join(WORK, "rootfs")
    if not os.path.isdir(rootfs):
        subprocess.run(["sh", os.path.join(REPO, "tests", "fixtures", "mkrootfs.sh"), rootfs], check=True)
    tar = os.path.join(WORK, "plain.tar")
    mkrunimage.oci_image(tar, "bench/plain:1", [mkrunimage.dir_layer(rootfs)], {"Cmd": ["sh"]})
    kapsel("load", "-i", tar)
    cid = kapsel("create", "--name", "big", "bench/plain:1", "true").stdout.decode().strip()
    try:
        measure(cid)
    finally:
        kapsel("rm", "-f", "big")


def measure(cid):
    log = os.path.join(ROOT, "containers", cid, cid + "-json.log")
    t = time.perf_counter()
    lines, last = generate(log, SIZE_MB * 1024 * 1024)
    size = os.path.getsize(log)
    print("%s: %d lines, %.0f MB (generated in %.1f s)" % (log, lines, size / 1e6, time.perf_counter() - t))
    # the output is right before it is timed
    got = kapsel("logs", "--tail", "100", "big")
    out = got.stdout.decode().splitlines() + got.stderr.decode().splitlines()
    assert len(out) == 100 and "line %09d" % (lines - 1) in got.stdout.decode() + got.stderr.decode(), out[-3:]
    parse = ("%s -c 'import json,sys\nfor l in sys.stdin: "
             "d=json.loads(l); (sys.stderr if d[\"stream\"]==\"stderr\" else sys.stdout).write(d[\"log\"])'"
             % sys.executable)
    rows = [
        ("kapsel logs --tail 100", timed([KAPSEL, "--root", ROOT, "logs", "--tail", "100", "big"])),
        ("kapsel logs --tail 100 -t", timed([KAPSEL, "--root", ROOT, "logs", "--tail", "100", "-t", "big"])),
        ("kapsel logs --since (last 1 s)", timed([KAPSEL, "--root", ROOT, "logs", "--since", str(last - 1), "big"])),
        ("tail -n 100 FILE", timed(["tail", "-n", "100", log])),
        ("tail -n 100 FILE | python3 parse", timed("tail -n 100 %s | %s" % (log, parse), shell=True)),
    ]
    print("median of %d runs, warm page cache" % RUNS)
    for name, ms in rows:
        print("  %-34s %8.1f ms" % (name, ms))
    t = time.perf_counter()
    subprocess.run([KAPSEL, "--root", ROOT, "logs", "big"], check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    dt = time.perf_counter() - t
    print("  %-34s %8.1f s  (%.0f MB/s, %.0f lines/s)" % ("kapsel logs (the whole file)", dt, size / 1e6 / dt,
                                                          lines / dt))


main()
