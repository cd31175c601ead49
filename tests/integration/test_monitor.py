"""kapsel stats and kapsel monitor against real containers: Docker's
(the tests' private dockerd, kapsel-runtime its runtime), Podman's and
kapsel-runtime's own.  Figures are compared with `docker stats` and the
cgroup files; every /metrics output goes through promtool (text) and
prometheus_client's strict OpenMetrics parser."""
import gzip
import json
import os
import re
import shutil
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

import pytest

from clients import dockerd, image_rootfs_tar, runtime_bin  # noqa: F401 (fixtures)
from conftest import BUILD, REPO, cgroup_read, wait_for
from test_podman import ULIMITS, podman  # noqa: F401 (fixture)
from test_run import images  # noqa: F401 (fixture)

KAPSEL = os.path.join(BUILD, "src", "kapsel", "kapsel")
EVIL = 'quote" back\\slash\nnewline'


def src_args(dockerd=None, podman=None, runtime_root=""):
    a = ["--runtime-root", runtime_root]
    if dockerd is not None:
        a += ["--docker-host", "unix://" + dockerd.sock, "--task-root",
              os.path.join(dockerd.base, "exec", "containerd", "daemon", "io.containerd.runtime.v2.task")]
    else:
        a += ["--docker-host", "", "--task-root", ""]
    if podman is not None:
        a += ["--podman-root", podman.base + "/storage", "--podman-runroot", podman.base + "/run"]
    else:
        a += ["--podman-root", ""]
    return a


def kapsel(*args, check=True):
    p = subprocess.run([KAPSEL, *args], capture_output=True, text=True, timeout=60)
    if check:
        assert p.returncode == 0, (args, p.stdout, p.stderr)
    return p


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Exporter:
    def __init__(self, args, wrap=()):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        # KAPSEL_MONITOR_WRAP="valgrind -q --error-exitcode=9 --leak-check=full": the daemon under a checker
        wrap = [*wrap, *os.environ.get("KAPSEL_MONITOR_WRAP", "").split()]
        self.proc = subprocess.Popen([*wrap, KAPSEL, "monitor", "--listen", f"127.0.0.1:{self.port}", *args],
                                     stderr=subprocess.PIPE, text=True)
        # it says so once it listens
        line = self.proc.stderr.readline()
        assert "serving" in line, line + self.proc.stderr.read()
        # the rest (alert lines) is read on, so the pipe never fills
        self.log = []
        threading.Thread(target=lambda: self.log.extend(iter(self.proc.stderr.readline, "")), daemon=True).start()

    def json(self, path):
        status, headers, body = self.get(path)
        assert headers["Content-Type"] == "application/json"
        return json.loads(body)

    def wait_json(self, path, pred, timeout=30):
        """PATH's JSON once PRED holds for it (polled; the daemon samples
        every --interval)."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                doc = self.json(path)
            except urllib.error.HTTPError as err:  # not sampled yet
                assert err.code == 404, err
                doc = None
            if doc is not None and pred(doc):
                return doc
            assert time.monotonic() < deadline, (path, doc, self.log)
            time.sleep(0.1)

    def get(self, path="/metrics", headers=None):
        req = urllib.request.Request(self.url + path, headers=headers or {})
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, dict(r.headers), r.read()

    def stop(self):
        self.proc.terminate()
        assert self.proc.wait(timeout=30) == 0


def promtool(text):
    p = subprocess.run(["promtool", "check", "metrics"], input=text, capture_output=True, text=True)
    assert p.returncode == 0, p.stdout + p.stderr
    return p


def openmetrics(text):
    from prometheus_client.openmetrics.parser import text_string_to_metric_families
    return {f.name: f for f in text_string_to_metric_families(text)}


def series(text, name):
    """{labels-text: value} of the samples of NAME."""
    out = {}
    for line in text.splitlines():
        if line.startswith(name + "{"):
            labels, value = line[len(name) + 1:].rsplit("} ", 1)
            out[labels] = float(value)
    return out


need_promtool = pytest.mark.skipif(shutil.which("promtool") is None, reason="promtool (Debian's prometheus) missing")


@pytest.fixture
def docker_ctr(dockerd):
    made = []

    def run(name, *opts, cmd=("probe", "sleep", "600")):
        cid = dockerd("run", "-d", "--name", name, *opts, "kbox", *cmd, check=True).stdout.strip()
        made.append(cid)
        return cid
    yield run
    if made:
        dockerd("rm", "-f", *made)


def test_stats_no_stream_matches_docker(dockerd, docker_ctr):
    cid = docker_ctr("monitor-s1", "--memory", "64m", "--pids-limit", "40")
    docker_ctr("monitor-s2")
    p = kapsel("stats", "--no-stream", *src_args(dockerd))
    lines = p.stdout.splitlines()
    assert lines[0].split() == ["CONTAINER", "ID", "NAME", "CPU", "%", "MEM", "USAGE", "/", "LIMIT", "MEM", "%",
                                "NET", "I/O", "BLOCK", "I/O", "PIDS"]
    row = next(line for line in lines if "monitor-s1" in line).split()
    assert row[0] == cid[:12]
    assert row[5] == "64MiB"  # MEM USAGE / LIMIT: limit
    assert row[-1] == "1"     # PIDS
    # Docker's own view of the same cgroup
    d = dockerd("stats", "--no-stream", "--format", "{{.ID}} {{.MemUsage}} {{.PIDs}}", "monitor-s1", check=True)
    did, dusage, _, dlimit, dpids = d.stdout.split()
    assert (did, dlimit, dpids) == (cid[:12], row[5], row[-1])

    # --format json: the Engine API's object; memory equal to Docker's
    # answer within a page (the container is asleep)
    mine = json.loads(kapsel("stats", "--no-stream", "--format", "json", "monitor-s1", *src_args(dockerd)).stdout)
    api = json.loads(subprocess.run(
        ["curl", "-s", "--unix-socket", dockerd.sock, f"http://d/containers/{cid}/stats?stream=false"],
        capture_output=True, text=True, check=True).stdout)
    for key in ("read", "preread", "pids_stats", "blkio_stats", "cpu_stats", "precpu_stats", "memory_stats",
                "name", "id", "networks"):
        assert key in mine, key
    assert mine["name"] == api["name"] == "/monitor-s1"
    assert mine["id"] == cid
    # usage_in_bytes is approximate by design: each CPU charges the cgroup
    # in batches of up to 64 pages (MEMCG_CHARGE_BATCH), so two reads a
    # moment apart may differ by that much per CPU (seen: 147456 on a
    # loaded 2-CPU host)
    batch = 64 * 4096 * os.cpu_count()
    assert abs(mine["memory_stats"]["usage"] - api["memory_stats"]["usage"]) <= batch
    assert mine["memory_stats"]["limit"] == api["memory_stats"]["limit"] == 64 << 20
    assert mine["pids_stats"] == api["pids_stats"] == {"current": 1, "limit": 40}
    assert mine["cpu_stats"]["cpu_usage"]["total_usage"] >= api["cpu_stats"]["cpu_usage"]["total_usage"]
    assert set(api["memory_stats"]["stats"]) <= set(mine["memory_stats"]["stats"])  # every key Docker shows
    # and the cgroup file itself
    usage = int(cgroup_read(f"/docker/{cid}", "memory", "memory.usage_in_bytes"))
    assert abs(mine["memory_stats"]["usage"] - usage) <= batch

    # a template, and a bad one
    t = kapsel("stats", "--no-stream", "--format", "table {{.Name}}\\t{{.PIDs}}", "monitor-s1", *src_args(dockerd))
    assert t.stdout.splitlines() == ["NAME         PIDS", "monitor-s1   1"]
    bad = kapsel("stats", "--no-stream", "--format", "{{.Nope}}", *src_args(dockerd), check=False)
    assert bad.returncode == 2 and 'unknown placeholder ".Nope"' in bad.stderr
    gone = kapsel("stats", "--no-stream", "no-such-ctr", *src_args(dockerd), check=False)
    assert gone.returncode == 1 and "no such container: no-such-ctr" in gone.stderr


def test_stats_cpu_percent_of_a_busy_container(dockerd, docker_ctr):
    docker_ctr("monitor-spin", "--cpus", "0.5", cmd=("probe", "try", "spin", "600"))
    row = kapsel("stats", "--no-stream", "--format", "{{.CPUPerc}}", "monitor-spin", *src_args(dockerd)).stdout
    pct = float(row.strip().rstrip("%"))
    # half a CPU by the quota, measured over a 100 ms window that is not
    # aligned with the CFS periods: it can hold the end of one period's
    # quota and the start of the next, up to twice the quota, never more
    # (a loaded host may give it less)
    assert 2 < pct <= 100.5, row


def test_stats_all_shows_stopped(dockerd, docker_ctr):
    docker_ctr("monitor-stopped", cmd=("true",))
    dockerd("wait", "monitor-stopped", check=True)
    names = kapsel("stats", "--no-stream", "--format", "{{.Name}}", *src_args(dockerd)).stdout.split()
    assert "monitor-stopped" not in names
    names = kapsel("stats", "--no-stream", "--all", "--format", "{{.Name}} {{.CPUPerc}} {{.PIDs}}",
                   *src_args(dockerd)).stdout.splitlines()
    assert "monitor-stopped 0.00% 0" in names


def test_stats_live_refresh_in_a_terminal(dockerd, docker_ctr):
    from conftest import run_in_pty
    docker_ctr("monitor-live")
    # a terminal gets the screen cleared and redrawn every second; the
    # refresh loop ends here with the terminal's SIGHUP... so bound it
    code, out = run_in_pty(["timeout", "-s", "INT", "3", KAPSEL, "stats", "monitor-live", *src_args(dockerd)])
    assert out.count(b"\x1b[2J\x1b[H") >= 2, out
    assert out.count(b"monitor-live") >= 2


@need_promtool
def test_metrics_real_containers(dockerd, docker_ctr, podman, tmp_path):
    cid = docker_ctr("monitor-m1", "--memory", "64m", "--label", "role=" + EVIL, "--label", "env.secret.not=1",
                     "--cpus", "0.5", "--cpu-shares", "512", "--memory-reservation", "32m")
    pm = podman("run", "-d", "--name", "monitor-pm1", *ULIMITS, "--memory", "32m", "localhost/kbox", "probe",
                "sleep", "600", check=True).stdout.strip()
    ex = Exporter(src_args(dockerd, podman))
    try:
        status, headers, body = ex.get()
        text = body.decode()
        assert status == 200
        assert headers["Content-Type"] == "text/plain; version=0.0.4; charset=utf-8"
        promtool(text)
        ws = series(text, "container_memory_working_set_bytes")
        mine = [k for k in ws if f'id="/docker/{cid}"' in k]
        assert mine and 'name="monitor-m1"' in mine[0] and 'image="kbox"' in mine[0]
        pms = [k for k in ws if f"libpod-{pm}" in k]
        assert pms and 'name="monitor-pm1"' in pms[0] and 'image="localhost/kbox:latest"' in pms[0]
        limit = series(text, "container_spec_memory_limit_bytes")
        assert [v for k, v in limit.items() if f"/docker/{cid}" in k] == [64 << 20]
        # the limits as set, cAdvisor's container_spec_*: --cpus 0.5 is a
        # 50000 us quota of a 100000 us period
        for name, want in (("container_spec_cpu_quota", 50000), ("container_spec_cpu_period", 100000),
                           ("container_spec_cpu_shares", 512),
                           ("container_spec_memory_reservation_limit_bytes", 32 << 20)):
            assert [v for k, v in series(text, name).items() if f"/docker/{cid}" in k] == [want], name
        # podman's has no quota: no quota series, the default shares
        assert not [k for k in series(text, "container_spec_cpu_quota") if f"libpod-{pm}" in k]
        assert [v for k, v in series(text, "container_spec_cpu_shares").items() if f"libpod-{pm}" in k] == [1024]
        assert [v for k, v in limit.items() if f"libpod-{pm}" in k] == [32 << 20]
        assert any(f"/docker/{cid}" in k for k in series(text, "container_oom_events_total"))
        assert any(f"/docker/{cid}" in k for k in series(text, "container_threads"))
        # per-CPU series are opt-in (--enable-metrics percpu), as cAdvisor's
        assert [k for k in series(text, "container_cpu_usage_seconds_total") if f"/docker/{cid}" in k] == [
            k for k in series(text, "container_cpu_usage_seconds_total") if f"/docker/{cid}" in k
            and 'cpu="total"' in k]
        # labels only in the info series, escaped
        info = [k for k in series(text, "kapsel_container_info") if f"/docker/{cid}" in k][0]
        assert 'label_role="quote\\" back\\\\slash\\nnewline"' in info
        assert 'label_env_secret_not="1"' in info
        assert "label_role" not in "".join(ws)

        # OpenMetrics by Accept: the strict parser reads it back
        status, headers, body = ex.get(headers={"Accept": "application/openmetrics-text;version=1.0.0,"
                                                          "text/plain;version=0.0.4;q=0.5"})
        assert headers["Content-Type"].startswith("application/openmetrics-text; version=1.0.0")
        fams = openmetrics(body.decode())
        assert fams["container_cpu_usage_seconds"].type == "counter"
        assert fams["container_cpu_usage_seconds"].unit == "seconds"
        info = [s for s in fams["kapsel_container_info"].samples if s.labels["id"] == f"/docker/{cid}"][0]
        assert info.labels["label_role"] == EVIL

        # gzip when asked
        status, headers, body = ex.get(headers={"Accept-Encoding": "gzip"})
        assert headers["Content-Encoding"] == "gzip"
        promtool(gzip.decompress(body).decode())

        # a scrape answers from the last sample: a container started and
        # one removed are seen once the next sample (--interval) is taken
        new = docker_ctr("monitor-m2")
        dockerd("rm", "-f", cid, check=True)
        deadline = time.monotonic() + 30
        while True:
            text = ex.get()[2].decode()
            ids = "".join(series(text, "container_last_seen"))
            if f"/docker/{new}" in ids and f"/docker/{cid}" not in ids:
                break
            assert time.monotonic() < deadline, ids
            time.sleep(0.2)
        promtool(text)
        assert ex.get("/healthz")[2] == b"ok\n"
        with pytest.raises(urllib.error.HTTPError) as err:
            ex.get("/nope")
        assert err.value.code == 404
    finally:
        ex.stop()
        podman("rm", "-f", pm)


@need_promtool
def test_percpu_series(dockerd, docker_ctr):
    """--enable-metrics percpu: cAdvisor's container_cpu_usage_seconds_total
    {cpu="cpu00"}, ... from cgroup v1's cpuacct.usage_percpu, one per CPU
    the container ran on (here each CPU in turn, taskset), summing to the
    cpu="total" series beside them."""
    if not os.path.isdir("/sys/fs/cgroup/cpuacct"):
        pytest.skip("no cgroup v1 cpuacct hierarchy (cgroup2 has no per-CPU counter)")
    ncpu = os.cpu_count()
    spins = "; ".join(f"taskset -c {i} probe try spin 0.5" for i in range(ncpu))
    cid = docker_ctr("monitor-percpu", cmd=("sh", "-c", spins + "; touch /tmp/done; exec probe sleep 600"))
    path = f"/docker/{cid}"
    assert wait_for(lambda: dockerd("exec", cid, "test", "-e", "/tmp/done").returncode == 0, timeout=60)
    ex = Exporter(["--interval", "200ms", "--enable-metrics", "percpu", *src_args(dockerd)])
    try:
        time.sleep(0.5)  # a sample of the container asleep
        text = ex.get()[2].decode()
        promtool(text)
        cpu = {re.search(r'cpu="([^"]*)"', k).group(1): v
               for k, v in series(text, "container_cpu_usage_seconds_total").items() if f'id="{path}"' in k}
        used = [int(v) for v in cgroup_read(path, "cpuacct", "cpuacct.usage_percpu").split()]
        assert len(used) >= ncpu
        assert set(cpu) == {"total"} | {"cpu%02d" % i for i, v in enumerate(used) if v > 0}, cpu
        assert {"cpu%02d" % i for i in range(ncpu)} <= set(cpu), cpu  # it ran on each
        total = cpu.pop("total")
        assert abs(sum(cpu.values()) - total) <= 0.005 + total * 0.01, (cpu, total)
        fams = openmetrics(ex.get(headers={"Accept": "application/openmetrics-text"})[2].decode())
        labels = {s.labels["cpu"] for s in fams["container_cpu_usage_seconds"].samples if s.labels["id"] == path}
        assert labels == set(cpu) | {"total"}
    finally:
        ex.stop()
    p = kapsel("monitor", "--enable-metrics", "percpu,sched", *src_args(), check=False)
    assert p.returncode == 2 and 'unknown metric group "sched"' in p.stderr


@need_promtool
def test_oom_kill_is_counted(dockerd, docker_ctr):
    cid = docker_ctr("monitor-oom", "--memory", "32m", "--memory-swap", "32m", cmd=("sh", "-c",
                     "probe try alloc 100; exec probe sleep 600"))
    path = f"/docker/{cid}"
    deadline = time.monotonic() + 60
    while int(dict(l.split() for l in cgroup_read(path, "memory", "memory.oom_control").splitlines())["oom_kill"]) < 1:
        assert time.monotonic() < deadline, "no OOM kill"
        time.sleep(0.2)
    ex = Exporter(src_args(dockerd))
    try:
        text = ex.get()[2].decode()
        promtool(text)
        oom = [v for k, v in series(text, "container_oom_events_total").items() if path in k]
        assert oom and oom[0] >= 1
    finally:
        ex.stop()


def test_kapsel_runtime_containers(bundle, runtime):
    bundle.args("/bin/probe", "sleep", "600")
    bundle.config["annotations"] = {"io.kapsel.name": "monitor-own", "org.opencontainers.image.ref.name": "kbox:1"}
    assert bundle.run("--detach").rc == 0
    try:
        p = kapsel("stats", "--no-stream", "--no-trunc", "--format", "{{.ID}} {{.Name}} {{.PIDs}}",
                   *src_args(runtime_root=runtime.root))
        assert p.stdout.splitlines() == [f"{bundle.id} monitor-own 1"]
    finally:
        runtime("delete", "--force", bundle.id)
    p = kapsel("stats", "--no-stream", "--format", "{{.Name}}", *src_args(runtime_root=runtime.root))
    assert p.stdout == ""


DAEMON_CAPS = (1 << 2) | (1 << 19)  # CAP_DAC_READ_SEARCH, CAP_SYS_PTRACE


def proc_status(pid):
    with open(f"/proc/{pid}/status") as f:
        return dict(line.split(":", 1) for line in f.read().splitlines())


def test_monitor_as_an_unprivileged_user(bundle, runtime, tmp_path):
    """--user nobody: once listening the daemon is uid and gid 65534 with
    CAP_DAC_READ_SEARCH and CAP_SYS_PTRACE alone (no_new_privs set), and
    still sees a kapsel container of root's: its 0700 root-owned state
    (CAP_DAC_READ_SEARCH), and, on a /proc mounted hidepid=invisible (where
    other users' processes are only there for CAP_SYS_PTRACE), its cgroup
    and its network counters.  Unlike uid 0 with those two capabilities,
    its uid cannot write root's 0644 files."""
    import pwd
    nobody = pwd.getpwnam("nobody")
    bundle.config["process"]["user"] = {"uid": 0, "gid": 0}
    bundle.args("/bin/probe", "sleep", "600")
    bundle.config["annotations"] = {"io.kapsel.name": "monitor-user", "org.opencontainers.image.ref.name": "kbox:1"}
    assert bundle.run("--detach").rc == 0
    ifname = "kmon%d" % (os.getpid() % 10000)
    try:
        pid = runtime.state(bundle.id)["pid"]
        assert os.readlink(f"/proc/{pid}/ns/net") != os.readlink("/proc/self/ns/net")
        assert proc_status(pid)["Uid"].split()[0] != str(nobody.pw_uid)  # another user's process
        # an interface beside loopback in its namespace (a veth whose peer
        # stays here, up, without an address), with traffic out of it (ARP)
        subprocess.run(["ip", "link", "add", ifname, "type", "veth", "peer", "name", ifname + "p"], check=True)
        subprocess.run(["ip", "link", "set", ifname + "p", "up"], check=True)
        subprocess.run(["ip", "link", "set", ifname, "netns", str(pid)], check=True)
        ns = ["nsenter", "-t", str(pid), "-n"]
        subprocess.run([*ns, "ip", "addr", "add", "10.123.45.1/24", "dev", ifname], check=True)
        subprocess.run([*ns, "ip", "link", "set", ifname, "up"], check=True)
        subprocess.run([*ns, "/bin/busybox", "ping", "-c", "2", "-W", "1", "10.123.45.2"], capture_output=True)
        hidepid = ["unshare", "-m", "--propagation", "private", "sh", "-c",
                   'mount -t proc -o hidepid=invisible proc /proc && exec "$@"', "sh"]
        ex = Exporter(["--user", "nobody", "--interval", "200ms", *src_args(runtime_root=runtime.root)], wrap=hidepid)
        try:
            st = proc_status(ex.proc.pid)
            assert st["Uid"].split() == [str(nobody.pw_uid)] * 4, st["Uid"]
            assert st["Gid"].split() == [str(nobody.pw_gid)] * 4, st["Gid"]
            assert st["Groups"].split() == [str(g) for g in os.getgrouplist("nobody", nobody.pw_gid)]
            assert int(st["CapEff"], 16) == int(st["CapPrm"], 16) == int(st["CapBnd"], 16) == DAEMON_CAPS, st
            assert int(st["CapInh"], 16) == int(st["CapAmb"], 16) == 0
            assert st["NoNewPrivs"].strip() == "1"
            text = ex.get()[2].decode()
            promtool(text)

            def mine(name):
                return {k: v for k, v in series(text, name).items() if 'name="monitor-user"' in k}
            assert mine("container_memory_working_set_bytes") and mine("container_cpu_usage_seconds_total")
            assert [k for k in mine("container_last_seen") if f'id="/kapsel/{bundle.id}"' in k], text
            tx = [v for k, v in mine("container_network_transmit_packets_total").items() if ifname in k]
            assert tx and tx[0] >= 1, mine("container_network_transmit_packets_total")
            assert ex.json("/api/containers/monitor-user")["state"] == "running"
        finally:
            ex.stop()
    finally:
        runtime("delete", "--force", bundle.id)
        subprocess.run(["ip", "link", "del", ifname + "p"], capture_output=True)  # gone with its namespace
    # what the switch buys: root's 0644 file, written by uid 0 with the
    # daemon's two capabilities, not by the daemon's uid with them
    f = tmp_path / "root-owned"
    f.write_text("x\n")
    f.chmod(0o644)
    caps = ["--inh-caps=-all,+dac_read_search,+sys_ptrace", "--ambient-caps=-all,+dac_read_search,+sys_ptrace",
            "--bounding-set=-all,+dac_read_search,+sys_ptrace"]
    as_root = subprocess.run(["setpriv", *caps, "sh", "-c", f"echo root >> {f}"], capture_output=True, text=True)
    as_user = subprocess.run(["setpriv", f"--reuid={nobody.pw_uid}", f"--regid={nobody.pw_gid}", "--init-groups",
                              *caps, "sh", "-c", f"echo user >> {f}"], capture_output=True, text=True)
    assert as_root.returncode == 0, as_root.stderr
    assert as_user.returncode != 0 and "Permission denied" in as_user.stderr, as_user
    assert f.read_text() == "x\nroot\n"


def test_user_and_dockers_socket(dockerd, docker_ctr):
    """Docker's socket (root:docker 0660) is connected to at every sample:
    --user nobody is refused with the fix in the message, nobody:docker
    sees Docker's containers by name."""
    st = os.stat(dockerd.sock)
    import grp
    group = grp.getgrgid(st.st_gid).gr_name
    assert st.st_mode & 0o777 == 0o660 and group == "docker"
    p = kapsel("monitor", "--listen", f"127.0.0.1:{free_port()}", "--user", "nobody", *src_args(dockerd), check=False)
    assert p.returncode == 1, p.stderr
    assert f"cannot connect to Docker's socket {dockerd.sock} (group docker, mode 0660)" in p.stderr
    assert "adduser nobody docker" in p.stderr
    cid = docker_ctr("monitor-u1")
    ex = Exporter(["--user", "nobody:docker", *src_args(dockerd)])
    try:
        st = proc_status(ex.proc.pid)
        assert st["Gid"].split() == [str(grp.getgrnam("docker").gr_gid)] * 4
        text = ex.get()[2].decode()
        assert [k for k in series(text, "container_last_seen") if f"/docker/{cid}" in k and 'name="monitor-u1"' in k]
    finally:
        ex.stop()


def test_user_errors():
    p = kapsel("monitor", "--user", "no-such-user", *src_args(), check=False)
    assert p.returncode == 1 and '--user no-such-user: no such user "no-such-user"' in p.stderr, p.stderr
    p = kapsel("monitor", "--user", "nobody:no-such-group", *src_args(), check=False)
    assert p.returncode == 1 and 'no such group "no-such-group"' in p.stderr, p.stderr
    p = kapsel("monitor", "--user", "root", *src_args(), check=False)
    assert p.returncode == 1 and "uid 0" in p.stderr, p.stderr
    # started without root's powers, it says so and does not start
    p = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", KAPSEL, "monitor",
                        "--listen", f"127.0.0.1:{free_port()}", "--user", "nobody", *src_args()],
                       capture_output=True, text=True, timeout=30)
    assert p.returncode == 1 and "switch to user nobody" in p.stderr and "start as root" in p.stderr, p.stderr


def test_listen_refuses_non_loopback_without_tls_or_auth(tmp_path):
    p = kapsel("monitor", "--listen", f"0.0.0.0:{free_port()}", *src_args(), check=False)
    assert p.returncode == 2
    assert "refusing to serve metrics on non-loopback 0.0.0.0" in p.stderr
    p = kapsel("monitor", "--listen", "localhost:9338", check=False)
    assert p.returncode == 2 and "not a numeric IPv4 or IPv6 address" in p.stderr
    p = kapsel("monitor", "--listen", "127.0.0.1:99999", check=False)
    assert p.returncode == 2 and "port must be 1..65535" in p.stderr
    loose = tmp_path / "auth"
    loose.write_text("u:p\n")
    loose.chmod(0o644)
    p = kapsel("monitor", "--basic-auth-file", str(loose), check=False)
    assert p.returncode == 1 and "readable by group or others" in p.stderr


def test_basic_auth(tmp_path):
    auth = tmp_path / "auth"
    auth.write_text("scraper:s3cret\n")
    auth.chmod(0o600)
    ex = Exporter(["--basic-auth-file", str(auth), *src_args()])
    try:
        with pytest.raises(urllib.error.HTTPError) as err:
            ex.get()
        assert err.value.code == 401
        import base64
        bad = base64.b64encode(b"scraper:wrong").decode()
        with pytest.raises(urllib.error.HTTPError) as err:
            ex.get(headers={"Authorization": "Basic " + bad})
        assert err.value.code == 401
        good = base64.b64encode(b"scraper:s3cret").decode()
        assert ex.get("/healthz", headers={"Authorization": "Basic " + good})[0] == 200
    finally:
        ex.stop()


RULES = os.path.join(os.path.dirname(__file__), "..", "..", "data", "prometheus")


@need_promtool
def test_shipped_alert_rules():
    p = subprocess.run(["promtool", "check", "rules", "kapsel-alerts.yml"], cwd=RULES, capture_output=True, text=True)
    assert p.returncode == 0 and "SUCCESS: 5 rules found" in p.stdout, p.stdout + p.stderr
    p = subprocess.run(["promtool", "test", "rules", "kapsel-alerts.test.yml"], cwd=RULES, capture_output=True,
                       text=True)
    assert p.returncode == 0 and "SUCCESS" in p.stdout, p.stdout + p.stderr


def prom_query(port, q):
    url = f"http://127.0.0.1:{port}/api/v1/query?" + urllib.parse.urlencode({"query": q})
    with urllib.request.urlopen(url, timeout=10) as r:
        return json.load(r)["data"]["result"]


@pytest.mark.skipif(shutil.which("prometheus") is None, reason="Debian's prometheus missing")
def test_real_prometheus_scrapes_and_fires_the_oom_alert(dockerd, docker_ctr, tmp_path):
    """Debian's Prometheus scrapes the exporter (it asks for OpenMetrics
    first) with the shipped rules loaded; a real OOM kill fires
    ContainerOOMKilled."""
    ex = Exporter(src_args(dockerd))
    port = free_port()
    conf = tmp_path / "prometheus.yml"
    conf.write_text(f"""global:
  scrape_interval: 1s
  evaluation_interval: 1s
rule_files: [{os.path.abspath(os.path.join(RULES, "kapsel-alerts.yml"))}]
scrape_configs:
  - job_name: kapsel
    static_configs: [{{targets: ["127.0.0.1:{ex.port}"]}}]
""")
    prom = subprocess.Popen(["prometheus", f"--config.file={conf}", f"--storage.tsdb.path={tmp_path / 'tsdb'}",
                             f"--web.listen-address=127.0.0.1:{port}"], stdout=subprocess.DEVNULL,
                            stderr=open(tmp_path / "prometheus.log", "w"))
    try:
        cid = docker_ctr("monitor-prom", "--memory", "32m", "--memory-swap", "32m")
        deadline = time.monotonic() + 90
        fired = up = seen = None
        while time.monotonic() < deadline and not fired:
            time.sleep(0.5)
            try:
                up = up or prom_query(port, 'up{job="kapsel"} == 1')
                if not seen:
                    # once Prometheus has the counter at 0, drive the container out of memory
                    seen = prom_query(port, f'container_oom_events_total{{id="/docker/{cid}"}} == 0')
                    if seen:
                        dockerd("exec", cid, "probe", "try", "alloc", "100")
                    continue
                fired = prom_query(port, f'ALERTS{{alertname="ContainerOOMKilled",id="/docker/{cid}",'
                                         f'alertstate="firing"}}')
            except OSError:
                continue  # Prometheus still starting
        log = (tmp_path / "prometheus.log").read_text()[-2000:]
        assert up, "Prometheus never scraped the exporter: " + log
        assert seen and seen[0]["metric"]["name"] == "monitor-prom"
        assert fired and fired[0]["metric"]["severity"] == "critical", log
        # the scrape was OpenMetrics, and Prometheus found no fault in it
        targets = json.load(urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/targets", timeout=10))
        t = targets["data"]["activeTargets"][0]
        assert t["health"] == "up" and t["lastError"] == ""
    finally:
        prom.terminate()
        prom.wait(timeout=30)
        ex.stop()


def test_tls_and_a_non_loopback_address_with_it(tmp_path):
    """With a certificate the exporter serves HTTPS, and may then listen
    beyond loopback (here on all addresses, reached through 127.0.0.1)."""
    import ssl
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True)
    port = free_port()
    proc = subprocess.Popen([KAPSEL, "monitor", "--listen", f"0.0.0.0:{port}", "--tls-cert", str(cert), "--tls-key",
                             str(key), *src_args()], stderr=subprocess.PIPE, text=True)
    try:
        line = proc.stderr.readline()
        assert f"serving https://0.0.0.0:{port}/metrics" in line, line
        ctx = ssl.create_default_context(cafile=str(cert))
        with urllib.request.urlopen(f"https://127.0.0.1:{port}/healthz", context=ctx, timeout=30) as r:
            assert r.status == 200 and r.read() == b"ok\n"
        # keep-alive over TLS: several answers on one connection, a big one among them
        import http.client
        c = http.client.HTTPSConnection("127.0.0.1", port, context=ctx, timeout=30)
        for path in ("/metrics", "/", "/healthz"):
            c.request("GET", path)
            resp = c.getresponse()
            assert resp.status == 200 and resp.read(), path
        c.close()
        # below TLS 1.2: the server refuses (this client could speak 1.1:
        # security level 0; the alert is the server's)
        import warnings
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            old = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
            old.load_verify_locations(str(cert))
            old.set_ciphers("DEFAULT:@SECLEVEL=0")
            old.minimum_version = old.maximum_version = ssl.TLSVersion.TLSv1_1
        with pytest.raises(ssl.SSLError, match="PROTOCOL_VERSION"):
            with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
                old.wrap_socket(s, server_hostname="127.0.0.1")
        # plain HTTP on the TLS port gets no metrics
        with pytest.raises((urllib.error.URLError, ConnectionError, http_client_errors())):
            urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10).read()
    finally:
        proc.terminate()
        assert proc.wait(timeout=30) == 0
    p = kapsel("monitor", "--tls-cert", str(cert), *src_args(), check=False)
    assert p.returncode == 2 and "--tls-cert and --tls-key go together" in p.stderr


def raw_http(port, data, timeout=10):
    """What the server sends back to DATA until it closes (or TIMEOUT)."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(data)
        out = b""
        while True:
            b = s.recv(65536)
            if not b:
                return out
            out += b


def mapped(pid, name):
    return any(name in line for line in open(f"/proc/{pid}/maps"))


def test_http_server_protocol():
    """kapsel monitor's own HTTP/1.1 server (common/httpd.c): keep-alive
    and pipelining, HEAD, the methods and requests it refuses, HTTP/1.0's
    close, the connection limit, and no TLS library mapped when none is
    configured."""
    import http.client
    ex = Exporter(src_args())
    try:
        assert not mapped(ex.proc.pid, "libgnutls") and not mapped(ex.proc.pid, "libssl")
        # two requests in one write: two answers, in order, one connection
        r = raw_http(ex.port, b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
                              b"GET /nothing HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        assert r.startswith(b"HTTP/1.1 200 OK\r\n"), r
        assert r.count(b"HTTP/1.1 ") == 2 and b"HTTP/1.1 404 Not Found\r\n" in r, r
        assert r.index(b"ok\n") < r.index(b"404 Not Found"), r
        # keep-alive through a real client: several answers, one connection
        c = http.client.HTTPConnection("127.0.0.1", ex.port, timeout=10)
        for path in ("/metrics", "/healthz", "/api/alerts"):
            c.request("GET", path)
            resp = c.getresponse()
            assert resp.status == 200 and resp.read(), path
        sock = c.sock
        c.request("HEAD", "/metrics")
        resp = c.getresponse()
        assert resp.status == 200 and c.sock is sock
        assert int(resp.getheader("Content-Length")) > 100 and resp.read() == b""
        c.close()
        # HTTP/1.0 keep-alive is said back, and ApacheBench (HTTP/1.0) keeps its connections
        with socket.create_connection(("127.0.0.1", ex.port), timeout=10) as s:
            for _ in range(2):
                s.sendall(b"GET /healthz HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
                r = b""
                while not r.endswith(b"ok\n"):
                    r += s.recv(4096)
                assert b"Connection: keep-alive\r\n" in r, r
        if shutil.which("ab"):
            p = subprocess.run(["ab", "-k", "-n", "200", "-c", "4", f"{ex.url}/metrics"], capture_output=True,
                               text=True, timeout=60)
            assert re.search(r"^Keep-Alive requests:\s+200$", p.stdout, re.M), p.stdout
            assert re.search(r"^Failed requests:\s+0$", p.stdout, re.M), p.stdout
        # the date as RFC 9110 has it
        status, headers, _ = ex.get("/healthz")
        assert re.fullmatch(r"[A-Z][a-z]{2}, \d\d [A-Z][a-z]{2} \d{4} \d\d:\d\d:\d\d GMT", headers["Date"])
        refused = {
            b"POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc": b"405 Method Not Allowed",
            b"GET /healthz HTTP/1.1\r\n\r\n": b"400 Bad Request",  # 1.1 without Host
            b"GET /healthz HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n": b"400 Bad Request",
            b"GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello": b"400 Bad Request",
            b"GET /healthz HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n": b"400 Bad",
            b"GET /healthz HTTP/1.1\r\nHost: x\r\n folded\r\n\r\n": b"400 Bad Request",
            b"GET /a%00b HTTP/1.0\r\n\r\n": b"400 Bad Request",
            b"GET /a%zz HTTP/1.0\r\n\r\n": b"400 Bad Request",
            b"GET healthz HTTP/1.0\r\n\r\n": b"400 Bad Request",
            b"GET /healthz HTTP/2.0\r\n\r\n": b"505 HTTP Version Not Supported",
            b"GET /" + b"a" * 17000 + b" HTTP/1.1\r\nHost: x\r\n\r\n": b"431 Request Header Fields Too Large",
        }
        for req, want in refused.items():
            r = raw_http(ex.port, req)
            assert r.startswith(b"HTTP/1.1 " + want), (req[:60], r)
            assert b"Connection: close\r\n" in r, (req[:60], r)
        r = raw_http(ex.port, b"OPTIONS /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        assert b"Allow: GET, HEAD\r\n" in r, r
        # HTTP/1.0 closes unless asked; a percent-escape and the absolute form are understood
        assert raw_http(ex.port, b"GET /health%7a HTTP/1.0\r\n\r\n").endswith(b"\r\n\r\nok\n")
        assert raw_http(ex.port, b"GET http://h:1/healthz HTTP/1.0\r\n\r\n").endswith(b"\r\n\r\nok\n")
        # the absolute form without a path is "/" (the dashboard): it once crashed the server (fuzz_http)
        assert raw_http(ex.port, b"GET http://h HTTP/1.0\r\n\r\n").startswith(b"HTTP/1.1 200 OK\r\n")
        assert raw_http(ex.port, b"GET http://h?x=1 HTTP/1.0\r\n\r\n").startswith(b"HTTP/1.1 200 OK\r\n")
        assert ex.proc.poll() is None
        # 64 connections at most: 64 held open without a request cannot lock a
        # scraper out: the 65th is served, the one waiting longest is closed
        held = [socket.create_connection(("127.0.0.1", ex.port), timeout=10) for _ in range(64)]
        time.sleep(0.2)
        assert raw_http(ex.port, b"GET /healthz HTTP/1.0\r\n\r\n").endswith(b"\r\n\r\nok\n")
        try:
            assert held[0].recv(100) == b""
        except ConnectionResetError:
            pass
        held[1].sendall(b"GET /healthz HTTP/1.0\r\n\r\n")
        assert held[1].recv(4096).startswith(b"HTTP/1.1 200 OK")
        for s in held:
            s.close()
        assert wait_for(lambda: raw_http(ex.port, b"GET /healthz HTTP/1.0\r\n\r\n").endswith(b"ok\n"))
    finally:
        ex.stop()


def http_client_errors():
    import http.client
    return http.client.HTTPException


# ------------------------------------------------- the API, the dashboard

HOSTILE = "<img src=x onerror=\"document.title='pwned'\"><script>document.title='pwned'</script>"


def ctr_of(doc, name):
    return next((c for c in doc["containers"] if c["name"] == name), None)


def test_api_containers_and_history(dockerd, docker_ctr):
    """/api/containers: the figures of the daemon's samples; /api/containers/ID
    the same with the history ring; a removed container turns "gone"."""
    cid = docker_ctr("monitor-api1", "--memory", "64m", "--pids-limit", "40", "--label", "role=" + EVIL)
    ex = Exporter(["--interval", "200ms", "--history", "1s", *src_args(dockerd)])
    try:
        doc = ex.wait_json("/api/containers", lambda d: (ctr_of(d, "monitor-api1") or {}).get("cpu_percent")
                           is not None)
        assert doc["interval"] == 0.2 and doc["time"] > time.time() - 60
        c = ctr_of(doc, "monitor-api1")
        assert c["id"] == cid and c["image"] == "kbox" and c["engine"] == "docker"
        assert c["state"] == "running" and c["health"] == "" and c["restarts"] == 0
        assert c["memory_limit"] == 64 << 20 and 0 < c["memory_usage"] < 64 << 20
        assert 0 < c["memory_percent"] < 100
        assert c["pids"] == 1 and c["pids_limit"] == 40
        assert 0 <= c["cpu_percent"] < 50  # asleep
        assert c["net_rx_rate"] is None or c["net_rx_rate"] >= 0
        assert c["labels"]["role"] == EVIL
        assert "history" not in c
        # by name and by id prefix, with the ring: at most 1s / 200ms + 1 points
        one = ex.wait_json("/api/containers/monitor-api1", lambda d: len(d["history"]) >= 6)
        assert one["id"] == cid and len(one["history"]) == 6
        ts = [p["t"] for p in one["history"]]
        assert ts == sorted(ts) and 0.1 < ts[-1] - ts[-2] < 1
        assert all(p["memory_usage"] > 0 and p["pids"] == 1 for p in one["history"])
        assert ex.json(f"/api/containers/{cid[:12]}")["name"] == "monitor-api1"
        assert len(ex.json("/api/containers?history=1")["containers"][0]["history"]) >= 1
        with pytest.raises(urllib.error.HTTPError) as err:
            ex.get("/api/containers/no-such-container")
        assert err.value.code == 404 and "no such container" in json.loads(err.value.read())["message"]
        assert ex.json("/api/alerts") == {"alerts": []}
        # every answer carries the headers that keep a browser from guessing
        _, headers, _ = ex.get("/api/containers")
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Content-Security-Policy"].startswith("default-src 'self'")
        dockerd("rm", "-f", cid, check=True)
        ex.wait_json("/api/containers", lambda d: ctr_of(d, "monitor-api1")["state"] == "gone")
    finally:
        ex.stop()


def dom_rows(html):
    """The dashboard's container rows: [{class: text}] per <tr class="container ...">,
    and every tag name seen."""
    from html.parser import HTMLParser

    class P(HTMLParser):
        def __init__(self):
            super().__init__()
            self.rows, self.tags, self.cell, self.title, self.in_title = [], [], None, "", False

        def handle_starttag(self, tag, attrs):
            a = dict(attrs)
            self.tags.append(tag)
            self.in_title = tag == "title"
            if tag == "tr" and "container" in (a.get("class") or "").split():
                self.rows.append({"_id": a.get("data-id")})
            elif tag == "td" and self.rows:
                self.cell = (a.get("class") or "").split()[0]
                self.rows[-1][self.cell] = ""
            elif tag == "svg" and self.rows and self.cell:
                self.rows[-1][self.cell + "_points"] = int(a.get("data-points", "0"))

        def handle_endtag(self, tag):
            if tag == "td":
                self.cell = None
            self.in_title = False

        def handle_data(self, data):
            if self.cell and self.rows:
                self.rows[-1][self.cell] += data
            if self.in_title:
                self.title += data
    p = P()
    p.feed(html)
    return p


def chromium(*args):
    return subprocess.run(["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                           "--no-first-run", "--user-data-dir=" + args[0], *args[1:]],
                          capture_output=True, text=True, timeout=120)


@pytest.mark.skipif(shutil.which("chromium") is None, reason="Debian's chromium missing")
def test_dashboard_in_headless_chromium(dockerd, docker_ctr, tmp_path):
    """The page at / in a real browser, after its script ran: a row per
    running container with its figures; a hostile label shows as text, and
    the payload neither makes an element nor runs."""
    web = docker_ctr("monitor-dash1", "--memory", "64m", "--pids-limit", "40", "--label", "note=" + HOSTILE)
    docker_ctr("monitor-dash2", cmd=("sh", "-c", "while :; do :; done"))
    ex = Exporter(["--interval", "300ms", *src_args(dockerd)])
    try:
        ex.wait_json("/api/containers", lambda d: all((ctr_of(d, n) or {}).get("cpu_percent") is not None
                                                      for n in ("monitor-dash1", "monitor-dash2")))
        _, headers, page = ex.get("/")
        assert headers["Content-Type"] == "text/html; charset=utf-8"
        assert headers["Content-Security-Policy"].startswith("default-src 'self'")
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert b"<script src=\"/dashboard.js\"" in page and b"http" not in page.split(b"<body>")[0]  # no CDN
        assert ex.get("/dashboard.js")[1]["Content-Type"].startswith("text/javascript")
        p = chromium(str(tmp_path / "profile"), "--virtual-time-budget=8000", "--dump-dom", ex.url + "/")
        assert p.returncode == 0, p.stderr[-2000:]
        dom = dom_rows(p.stdout)
        rows = {r["name"].split("note=")[0]: r for r in dom.rows}
        assert set(rows) >= {"monitor-dash1", "monitor-dash2"}, p.stdout[-3000:]
        r1, r2 = rows["monitor-dash1"], rows["monitor-dash2"]
        assert r1["_id"] == web
        assert r1["image"] == "kbox" and r1["state"] == "running"
        assert r1["memory"].endswith("/ 64.0 MiB") and r1["pids"] == "1 / 40"
        assert r1["restarts"] == "0"
        # the busy loop against the sleeper (2 shared cores: not a full one);
        # the sparklines drawn from the history
        assert float(r2["cpu"].split()[0]) > 5 > float(r1["cpu"].split()[0]), (r1, r2)
        assert r2["cpu-chart_points"] >= 2 and r1["memory-chart_points"] >= 2
        # the label as text: all of it there, no element made of it, nothing ran
        assert HOSTILE in r1["name"]
        assert "img" not in dom.tags and dom.tags.count("script") == 1
        assert dom.title == "kapsel monitor"
        shot = os.path.join(os.environ.get("KAPSEL_TEST_ARTIFACTS", str(tmp_path)), "dashboard.png")
        p = chromium(str(tmp_path / "profile"), "--virtual-time-budget=8000", "--window-size=1400,600",
                     "--screenshot=" + shot, ex.url + "/")
        assert p.returncode == 0 and os.path.getsize(shot) > 1000, p.stderr[-2000:]
    finally:
        ex.stop()


# ----------------------------------------------------------------- alerts

@pytest.mark.skipif(shutil.which("prometheus-alertmanager") is None, reason="Debian's prometheus-alertmanager missing")
def test_alerts_to_alertmanager_and_syslog(dockerd, docker_ctr, tmp_path):
    """A container failing its health check fires ContainerUnhealthy (for =
    1 s): a real Alertmanager receives it, syslog gets one line per
    transition, /api/alerts and /metrics show it; removed, the container
    fires ContainerDown and ContainerUnhealthy resolves."""
    am_port = free_port()
    (tmp_path / "am.yml").write_text("route: {receiver: none, group_wait: 1s}\nreceivers: [{name: none}]\n")
    am = subprocess.Popen(["prometheus-alertmanager", f"--config.file={tmp_path / 'am.yml'}",
                           f"--storage.path={tmp_path / 'am'}", f"--web.listen-address=127.0.0.1:{am_port}",
                           "--cluster.listen-address="], stdout=subprocess.DEVNULL,
                          stderr=open(tmp_path / "am.log", "w"))
    log = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    log.bind(str(tmp_path / "log.sock"))
    conf = tmp_path / "alerts.conf"
    conf.write_text(f"""[unhealthy]
for = 1
[down]
for = 0
[log_disk]
enabled = false
[alertmanager]
url = http://127.0.0.1:{am_port}
resend = 1
[syslog]
socket = {tmp_path / "log.sock"}
""")
    cid = docker_ctr("monitor-sick", "--health-cmd", "exit 1", "--health-interval", "1s", "--health-retries", "1")
    ex = Exporter(["--interval", "250ms", "--alerts", str(conf), *src_args(dockerd)])

    def am_alerts():
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{am_port}/api/v2/alerts", timeout=5) as r:
                return json.load(r)
        except OSError:
            return []  # still starting

    def wait(pred, what, timeout=60):
        deadline = time.monotonic() + timeout
        while not (v := pred()):
            assert time.monotonic() < deadline, (what, ex.log, (tmp_path / "am.log").read_text()[-2000:])
            time.sleep(0.2)
        return v
    try:
        doc = ex.wait_json("/api/alerts", lambda d: any(a["state"] == "firing" for a in d["alerts"]), timeout=60)
        a = doc["alerts"][0]
        assert a["alertname"] == "ContainerUnhealthy" and a["labels"]["name"] == "monitor-sick"
        assert a["labels"]["id"] == cid and "fails its health check" in a["summary"]
        assert ex.json("/api/containers/monitor-sick")["health"] == "unhealthy"
        text = ex.get()[2].decode()
        promtool(text)
        assert series(text, "kapsel_alerts_firing")['alertname="ContainerUnhealthy"'] == 1
        assert series(text, "kapsel_alerts_firing")['alertname="ContainerDown"'] == 0
        got = wait(lambda: [x for x in am_alerts() if x["labels"].get("alertname") == "ContainerUnhealthy"],
                   "the alert at Alertmanager")
        assert got[0]["labels"]["name"] == "monitor-sick" and got[0]["labels"]["severity"] == "warning"
        assert got[0]["status"]["state"] == "active"
        assert "fails its health check" in got[0]["annotations"]["summary"]

        dockerd("rm", "-f", cid, check=True)
        wait(lambda: [x for x in am_alerts() if x["labels"].get("alertname") == "ContainerDown"],
             "ContainerDown at Alertmanager")
        wait(lambda: not [x for x in am_alerts() if x["labels"].get("alertname") == "ContainerUnhealthy"],
             "ContainerUnhealthy resolved at Alertmanager")
        log.settimeout(5)
        lines = []
        while not any("ContainerUnhealthy resolved" in x for x in lines):
            lines.append(log.recv(4096).decode())
        mine = [x for x in lines if "monitor-sick" in x]
        assert [x.split(": ", 1)[1].split(":")[0] for x in mine if "Unhealthy" in x] == [
            "ContainerUnhealthy pending", "ContainerUnhealthy firing", "ContainerUnhealthy resolved"], mine
        assert mine[1].startswith("<28>") and "kapsel-monitor[" in mine[1]  # daemon.warning
        # Docker may list it exited for a moment before it is gone
        assert any(re.search("ContainerDown firing: monitor-sick is (stopped|gone)", x) for x in mine), mine
    finally:
        ex.stop()
        am.terminate()
        am.wait(timeout=30)
        log.close()


def test_a_stalled_alertmanager_holds_up_nothing(tmp_path):
    """An Alertmanager stand-in that takes each POST and answers it only
    after 10 s: meanwhile /metrics and /healthz answer at once and the
    samples go on; the alert arrives when the stand-in answers, and then
    its resolution, made while the first post stalled (the payloads made
    meanwhile replaced one another, the resolution carried over)."""
    import datetime
    import http.server
    got = []  # (time answered, alerts posted)
    seen = []  # (path, Authorization)
    arrived = threading.Event()

    class Stall(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            seen.append((self.path, self.headers["Authorization"]))
            body = self.rfile.read(int(self.headers["Content-Length"]))
            arrived.set()
            time.sleep(10)
            got.append((time.time(), json.loads(body)))
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Stall)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    logs = tmp_path / "logs"
    logs.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(logs)], check=True)
    conf = tmp_path / "alerts.conf"
    conf.write_text(f"[log_disk]\nthreshold = 80\nfor = 0\npaths = {logs}\n[syslog]\nenabled = false\n"
                    f"[alertmanager]\nurl = http://am:s%3Acret@127.0.0.1:{srv.server_address[1]}/\nresend = 1\n")
    ex = None
    try:
        (logs / "big.log").write_bytes(b"x" * (900 << 10))
        ex = Exporter(["--interval", "200ms", "--alerts", str(conf), *src_args()])
        assert arrived.wait(30), ex.log
        t0 = ex.json("/api/containers")["time"]
        slowest = 0
        for _ in range(10):  # 2 s into the 10 s the post stalls
            for path in ("/metrics", "/healthz", "/api/alerts"):
                start = time.monotonic()
                assert ex.get(path)[0] == 200
                slowest = max(slowest, time.monotonic() - start)
            time.sleep(0.2)
        assert slowest < 0.5, slowest
        assert ex.json("/api/containers")["time"] - t0 >= 1.5  # sampled every 200 ms all along
        assert not got
        # resolved while the first post still stalls
        unlinked = time.time()
        (logs / "big.log").unlink()
        ex.wait_json("/api/alerts", lambda d: d["alerts"] == [])

        def t(a, key):
            return datetime.datetime.fromisoformat(a[key].replace("Z", "+00:00")).timestamp()
        assert wait_for(lambda: got, timeout=30)
        # posted by kapsel's own client (no libcurl loaded), basic auth from the URL
        import base64
        assert seen[0] == ("/api/v2/alerts", "Basic " + base64.b64encode(b"am:s:cret").decode()), seen
        assert not mapped(ex.proc.pid, "libcurl")
        when, alerts = got[0]
        assert [a["labels"]["alertname"] for a in alerts] == ["KapselLogDiskFull"]
        a = alerts[0]
        assert a["labels"]["path"] == str(logs)
        assert abs(t(a, "endsAt") - t(a, "startsAt") - 4) < 0.5  # firing: 4 resends ahead
        assert wait_for(lambda: len(got) >= 2, timeout=40), got
        when, alerts = got[1]
        assert [a["labels"]["path"] for a in alerts] == [str(logs)]
        assert unlinked <= t(alerts[0], "endsAt") < unlinked + 2  # resolved, when it resolved
        start = time.monotonic()
        ex.stop()
        assert time.monotonic() - start < 5
        ex = None
    finally:
        if ex:
            ex.stop()
        srv.shutdown()
        subprocess.run(["umount", str(logs)], check=True)


def test_alerts_config_errors(tmp_path):
    bad = tmp_path / "alerts.conf"
    bad.write_text("[memory]\nthreshold = lots\n")
    p = kapsel("monitor", "--alerts", str(bad), *src_args(), check=False)
    assert p.returncode == 1 and f'{bad}: [memory] threshold: "lots" is not a number' in p.stderr, p.stderr
    p = kapsel("monitor", "--alerts", str(tmp_path / "missing.conf"), *src_args(), check=False)
    assert p.returncode == 1 and "missing.conf" in p.stderr
    bad.write_text("[alertmanager]\nurl = http://127.0.0.1:9093/?x=1\n")
    p = kapsel("monitor", "--alerts", str(bad), *src_args(), check=False)
    assert p.returncode == 1 and "without a query (?), a fragment (#) or blanks" in p.stderr, p.stderr


def test_alertmanager_failures_name_no_password(tmp_path):
    """A post that fails is logged with the URL, never its password."""
    conf = tmp_path / "alerts.conf"
    conf.write_text(f"[log_disk]\nthreshold = 1\nfor = 0\npaths = {tmp_path}\n[syslog]\nenabled = false\n"
                    f"[alertmanager]\nurl = http://am:s3cret@127.0.0.1:{free_port()}\nresend = 1\n")
    ex = Exporter(["--interval", "200ms", "--alerts", str(conf), *src_args()])
    try:
        assert wait_for(lambda: any("alertmanager http://" in line for line in ex.log), timeout=30), ex.log
        line = next(line for line in ex.log if "alertmanager http://" in line)
        assert f"alertmanager http://127.0.0.1:" in line and "/api/v2/alerts: " in line, line
        assert "s3cret" not in "".join(ex.log) and "am:" not in line, ex.log
    finally:
        ex.stop()


@need_promtool
def test_kapsel_run_containers_health_and_restarts(images, tmp_path):
    """kapsel's own containers: health and the restart count from the
    supervisor's status.json; a crash loop fires ContainerRestarting."""
    from test_run import supervise_bin
    if not supervise_bin():
        pytest.skip("kapsel-supervise is not built")
    env = {"KAPSEL_SUPERVISE": supervise_bin()}
    images.out("run", "-d", "--name", "mon-hc", "--label", "app=<b>x</b>", "--health-cmd", "test -e /tmp/ok",
               "--health-interval", "1s", "--health-retries", "1", "kt/plain:1", "sh", "-c",
               "sleep 4; touch /tmp/ok; exec sleep 600", env=env)
    images.out("run", "-d", "--name", "mon-loop", "--restart", "on-failure:20", "kt/plain:1", "sh", "-c",
               "sleep 0.3; exit 3", env=env)
    conf = tmp_path / "alerts.conf"
    conf.write_text("[restarts]\nthreshold = 1\nwindow = 60\n[log_disk]\nenabled = false\n[syslog]\nenabled = false\n")
    ex = Exporter(["--interval", "250ms", "--alerts", str(conf), *src_args(runtime_root=os.path.join(images.root,
                                                                                                     "run"))])
    try:
        doc = ex.wait_json("/api/containers", lambda d: (ctr_of(d, "mon-hc") or {}).get("health") == "unhealthy")
        c = ctr_of(doc, "mon-hc")
        assert c["engine"] == "kapsel" and c["image"] == "kt/plain:1" and c["restarts"] == 0
        assert c["labels"]["app"] == "<b>x</b>" and c["state"] == "running"
        # /tmp/ok made after 4 s: healthy
        ex.wait_json("/api/containers/mon-hc", lambda d: d["health"] == "healthy")
        doc = ex.wait_json("/api/alerts", lambda d: any(a["alertname"] == "ContainerRestarting" and
                                                         a["state"] == "firing" for a in d["alerts"]), timeout=60)
        a = next(a for a in doc["alerts"] if a["alertname"] == "ContainerRestarting")
        assert a["labels"]["name"] == "mon-loop" and a["value"] >= 2
        assert ex.json("/api/containers/mon-loop")["restarts"] >= 2
        # the same in /metrics: the restart counter and the health gauge
        deadline = time.monotonic() + 30
        while True:
            text = ex.get()[2].decode()
            restarts = {k: v for k, v in series(text, "kapsel_container_restarts_total").items()
                        if 'name="mon-loop"' in k}
            if restarts and max(restarts.values()) >= 2:
                break
            assert time.monotonic() < deadline, (ex.json("/api/containers/mon-loop"), restarts)
            time.sleep(0.1)
        promtool(text)
        assert [v for k, v in series(text, "kapsel_container_restarts_total").items() if 'name="mon-hc"' in k] == [0]
        health = {k.split(",", 1)[0]: v for k, v in series(text, "kapsel_container_health_status").items()
                  if 'name="mon-hc"' in k}
        assert health == {'status="starting"': 0, 'status="healthy"': 1, 'status="unhealthy"': 0}, health
        assert not [k for k in series(text, "kapsel_container_health_status") if 'name="mon-loop"' in k]
        fams = openmetrics(ex.get(headers={"Accept": "application/openmetrics-text"})[2].decode())
        assert fams["kapsel_container_restarts"].type == "counter"
        assert fams["kapsel_container_health_status"].type == "gauge"
        assert any("ContainerRestarting firing: mon-loop restarted" in x for x in ex.log)
    finally:
        ex.stop()
        images("rm", "-f", "mon-hc", "mon-loop", env=env)


def test_dropped_log_lines_fire_the_alert(images, tmp_path):
    """A kapsel container whose fluentd receiver never reads, mode=
    non-blocking with a 4k buffer: the supervisor drops lines (status.json)
    and the daemon's ContainerLogLinesDropped fires with their count."""
    from test_run import supervise_bin
    if not supervise_bin():
        pytest.skip("kapsel-supervise is not built")
    env = {"KAPSEL_SUPERVISE": supervise_bin()}
    # connects are taken by the kernel's backlog; nothing is ever read
    ls = socket.create_server(("127.0.0.1", 0))
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    port = ls.getsockname()[1]
    conf = tmp_path / "alerts.conf"
    conf.write_text("[log_disk]\nenabled = false\n[syslog]\nenabled = false\n")
    try:
        images.out("run", "-d", "--name", "mon-drop", "--log-driver", "fluentd", "--log-opt",
                   f"fluentd-address=127.0.0.1:{port}", "--log-opt", "mode=non-blocking", "--log-opt",
                   "max-buffer-size=4k", "--log-opt", "cache-disabled=true", "kt/plain:1", "sh", "-c",
                   "yes 0123456789 | head -n 300000; exec sleep 600", env=env)
        ex = Exporter(["--interval", "250ms", "--alerts", str(conf),
                       *src_args(runtime_root=os.path.join(images.root, "run"))])
        try:
            doc = ex.wait_json("/api/alerts", lambda d: any(a["alertname"] == "ContainerLogLinesDropped" and
                                                             a["state"] == "firing" for a in d["alerts"]), timeout=60)
            a = next(a for a in doc["alerts"] if a["alertname"] == "ContainerLogLinesDropped")
            assert a["labels"]["name"] == "mon-drop" and 0 < a["value"] <= 300000, a
            assert a["value"] <= images.inspect("mon-drop")["State"]["LogDropped"]["Lines"]
            assert any("ContainerLogLinesDropped firing: the log of mon-drop dropped lines" in x for x in ex.log)
        finally:
            ex.stop()
    finally:
        images("rm", "-f", "mon-drop", env=env)
        ls.close()


def test_a_real_oom_kill_fires_the_daemons_alert(dockerd, docker_ctr):
    """A process driven past --memory 32m is OOM-killed: the daemon's own
    ContainerOOMKilled fires (no Prometheus needed), severity critical."""
    cid = docker_ctr("monitor-oom2", "--memory", "32m", "--memory-swap", "32m")
    ex = Exporter(["--interval", "250ms", *src_args(dockerd)])
    try:
        # two samples first: the rise is seen against a counter already read
        ex.wait_json("/api/containers/monitor-oom2", lambda d: len(d["history"]) >= 2 and d["oom_kills"] == 0)
        dockerd("exec", cid, "probe", "try", "alloc", "100")
        doc = ex.wait_json("/api/alerts", lambda d: any(a["alertname"] == "ContainerOOMKilled" for a in d["alerts"]))
        a = next(a for a in doc["alerts"] if a["alertname"] == "ContainerOOMKilled")
        assert a["state"] == "firing" and a["labels"]["name"] == "monitor-oom2" and a["labels"]["severity"] == "critical"
        assert ex.json("/api/containers/monitor-oom2")["oom_kills"] >= 1
        assert any("ContainerOOMKilled firing: a process of monitor-oom2 was killed" in x for x in ex.log)
    finally:
        ex.stop()


def test_cpu_throttling_and_pids_near_the_limit_fire(dockerd, docker_ctr, tmp_path):
    """A busy loop under --cpus 0.1 is throttled in most CFS periods; nine
    sleepers and their shell under --pids-limit 10 are at 100 % of it."""
    docker_ctr("monitor-thr", "--cpus", "0.1", cmd=("sh", "-c", "while :; do :; done"))
    docker_ctr("monitor-pids", "--pids-limit", "10",
               cmd=("sh", "-c", "for i in 1 2 3 4 5 6 7 8 9; do probe sleep 600 & done; wait"))
    conf = tmp_path / "alerts.conf"
    conf.write_text("[cpu_throttled]\nfor = 0.5\n[pids]\nfor = 0\n[log_disk]\nenabled = false\n")
    ex = Exporter(["--interval", "300ms", "--alerts", str(conf), *src_args(dockerd)])
    try:
        def fired(d):
            return {(a["alertname"], a["labels"]["name"]) for a in d["alerts"] if a["state"] == "firing"} >= {
                ("ContainerCPUThrottled", "monitor-thr"), ("ContainerPidsNearLimit", "monitor-pids")}
        doc = ex.wait_json("/api/alerts", fired)
        names = {(a["alertname"], a["labels"]["name"]) for a in doc["alerts"]}
        assert ("ContainerCPUThrottled", "monitor-pids") not in names  # asleep: never throttled
        assert ("ContainerPidsNearLimit", "monitor-thr") not in names  # no pids limit
        thr = next(a for a in doc["alerts"] if a["alertname"] == "ContainerCPUThrottled")
        assert thr["value"] > 25 and "throttled" in thr["summary"]
        c = ex.json("/api/containers/monitor-pids")
        assert c["pids"] == 10 and c["pids_limit"] == 10
    finally:
        ex.stop()


def test_memory_near_the_limit_fires(dockerd, docker_ctr, tmp_path):
    """36 MB in a tmpfs (/dev/shm: memory the kernel cannot drop) under
    --memory 40m: more than 80 % of the limit, ContainerMemoryNearLimit."""
    docker_ctr("monitor-mem", "--memory", "40m", "--memory-swap", "40m",
               cmd=("sh", "-c", "head -c 36000000 /dev/zero > /dev/shm/fill; exec probe sleep 600"))
    conf = tmp_path / "alerts.conf"
    conf.write_text("[memory]\nthreshold = 80\nfor = 0.5\n[log_disk]\nenabled = false\n")
    ex = Exporter(["--interval", "300ms", "--alerts", str(conf), *src_args(dockerd)])
    try:
        doc = ex.wait_json("/api/alerts", lambda d: any(a["alertname"] == "ContainerMemoryNearLimit" and
                                                         a["state"] == "firing" for a in d["alerts"]))
        a = next(a for a in doc["alerts"] if a["alertname"] == "ContainerMemoryNearLimit")
        assert a["labels"]["name"] == "monitor-mem" and 80 < a["value"] <= 100
        c = ex.json("/api/containers/monitor-mem")
        assert c["memory_limit"] == 40 << 20 and c["memory_percent"] > 80
    finally:
        ex.stop()


def test_a_full_log_disk_fires_and_resolves(tmp_path):
    """A 1 MiB tmpfs as the log filesystem: filled to 90 % it fires
    KapselLogDiskFull, emptied it resolves."""
    logs = tmp_path / "logs"
    logs.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(logs)], check=True)
    conf = tmp_path / "alerts.conf"
    conf.write_text(f"[log_disk]\nthreshold = 80\nfor = 0\npaths = {logs}\n[syslog]\nenabled = false\n")
    ex = None
    try:
        (logs / "big.log").write_bytes(b"x" * (900 << 10))
        ex = Exporter(["--interval", "200ms", "--alerts", str(conf), *src_args()])
        doc = ex.wait_json("/api/alerts", lambda d: len(d["alerts"]) == 1)
        a = doc["alerts"][0]
        assert a["alertname"] == "KapselLogDiskFull" and a["state"] == "firing"
        assert a["labels"] == {"alertname": "KapselLogDiskFull", "severity": "warning", "path": str(logs)}
        assert 80 < a["value"] <= 100
        (logs / "big.log").unlink()
        ex.wait_json("/api/alerts", lambda d: d["alerts"] == [])
        assert any("KapselLogDiskFull resolved" in x for x in ex.log)
    finally:
        if ex:
            ex.stop()
        subprocess.run(["umount", str(logs)], check=True)


def test_shipped_unit_and_init_script(tmp_path):
    unit = open(os.path.join(REPO, "data", "systemd", "kapsel-monitor.service")).read()
    assert "\nExecStart=/usr/bin/kapsel monitor $MONITOR_OPTS\n" in unit
    # a user of its own (systemd switches) with two capabilities, nothing else
    assert "\nDynamicUser=yes\n" in unit
    assert "\nCapabilityBoundingSet=CAP_DAC_READ_SEARCH CAP_SYS_PTRACE\n" in unit
    assert "\nAmbientCapabilities=CAP_DAC_READ_SEARCH CAP_SYS_PTRACE\n" in unit
    assert "\nNoNewPrivileges=yes\n" in unit and "\nProtectSystem=strict\n" in unit
    if shutil.which("systemd-analyze"):
        mine = tmp_path / "kapsel-monitor.service"
        mine.write_text(unit.replace("/usr/bin/kapsel", KAPSEL))
        p = subprocess.run(["systemd-analyze", "verify", str(mine)], capture_output=True, text=True)
        assert "kapsel-monitor.service" not in p.stderr, p.stderr
    # the init script: start, status, serve, stop
    port = free_port()
    env = dict(os.environ, KAPSEL=KAPSEL, PIDFILE=str(tmp_path / "pid"), LOGFILE=str(tmp_path / "log"),
               MONITOR_OPTS=" ".join(["--listen", f"127.0.0.1:{port}", *src_args()]), MONITOR_USER="nobody")
    script = os.path.join(REPO, "data", "init.d", "kapsel-monitor")
    assert subprocess.run(["sh", script, "status"], env=env, capture_output=True).returncode == 3
    # the default user must exist (the script says how to make it)
    p = subprocess.run(["sh", script, "start"], env=dict(env, MONITOR_USER="no-such-user"), capture_output=True,
                       text=True)
    assert p.returncode == 1 and "no user no-such-user: create it (adduser --system" in p.stderr, p.stderr
    assert subprocess.run(["sh", script, "start"], env=env, capture_output=True, timeout=30).returncode == 0
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as r:
                    assert r.read() == b"ok\n"
                    break
            except urllib.error.URLError:
                assert time.monotonic() < deadline, open(tmp_path / "log").read()
                time.sleep(0.1)
        p = subprocess.run(["sh", script, "status"], env=env, capture_output=True, text=True)
        assert p.returncode == 0 and "is running" in p.stdout
        # --user MONITOR_USER: serving as nobody, with the two capabilities
        st = proc_status(int(open(tmp_path / "pid").read()))
        assert st["Uid"].split() == ["65534"] * 4 and int(st["CapEff"], 16) == DAEMON_CAPS, st
    finally:
        pid = int(open(tmp_path / "pid").read())
        assert subprocess.run(["sh", script, "stop"], env=env, capture_output=True, timeout=30).returncode == 0
    deadline = time.monotonic() + 30
    while os.path.exists(f"/proc/{pid}") and open(f"/proc/{pid}/stat").read().split()[2] != "Z":
        assert time.monotonic() < deadline
        time.sleep(0.05)
