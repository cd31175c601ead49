"""Fixtures of the `kapsel audit` tests: one private dockerd for the whole
session (its own data root, exec root, socket and daemon.json), a busybox
image imported into it, and a set of containers, each misconfigured in one
known way, plus well-configured ones.

A test module uses them with `from audit_fixtures import *`."""
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time

import pytest

from conftest import BUILD, REPO

KAPSEL = os.path.join(BUILD, "src", "kapsel", "kapsel")
FIXTURES = os.path.join(REPO, "tests", "fixtures", "audit")
IMAGE = "kapsel-audit/busybox:1"

DAEMON_JSON = {
    "log-level": "info",
    "live-restore": True,
    "userland-proxy": False,
    "insecure-registries": ["10.9.8.7:5000"],
    "default-ulimits": {"nofile": {"Name": "nofile", "Soft": 1024, "Hard": 2048}},
}


def api_get(sock, path, timeout=5):
    """GET PATH on the Engine API at unix socket SOCK: (status, body)."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(timeout)
    try:
        s.connect(sock)
        s.sendall(f"GET {path} HTTP/1.0\r\nHost: docker\r\n\r\n".encode())
        data = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    finally:
        s.close()
    head, _, body = data.partition(b"\r\n\r\n")
    return int(head.split()[1]), body


class Dockerd:
    def __init__(self, base, config=None):
        self.base = base
        self.daemon_json = DAEMON_JSON if config is None else config
        self.sock = os.path.join(base, "docker.sock")
        self.config = os.path.join(base, "daemon.json")
        self.host = "unix://" + self.sock
        self.proc = None

    def start(self):
        with open(self.config, "w") as f:
            json.dump(self.daemon_json, f)
        os.chmod(self.config, 0o644)
        self.log = open(os.path.join(self.base, "dockerd.log"), "w")
        self.proc = subprocess.Popen(
            ["dockerd", "--config-file", self.config, "--data-root", os.path.join(self.base, "data"),
             "--exec-root", os.path.join(self.base, "exec"), "-H", self.host,
             "--pidfile", os.path.join(self.base, "docker.pid"), "--iptables=false", "--bridge=none"],
            stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)
        # wait for /_ping to answer (the socket appears before the API is ready)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("dockerd exited: " + open(os.path.join(self.base, "dockerd.log")).read()[-3000:])
            try:
                if api_get(self.sock, "/_ping", timeout=1)[0] == 200:
                    return
            except OSError:
                pass
            time.sleep(0.05)
        raise RuntimeError("dockerd did not answer /_ping within 60 s")

    def docker(self, *args, check=True, **kw):
        env = dict(os.environ, DOCKER_HOST=self.host)
        p = subprocess.run(["docker", *args], env=env, capture_output=True, text=True, timeout=120, **kw)
        if check:
            assert p.returncode == 0, f"docker {' '.join(args)}: {p.stderr}"
        return p

    def stop(self):
        if not self.proc:
            return
        try:
            ids = self.docker("ps", "-aq", check=False).stdout.split()
            if ids:
                self.docker("rm", "-f", *ids, check=False)
        finally:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
            self.log.close()
            unmount_below(self.base)


def unmount_below(base):
    """dockerd leaves its data root bind mount and netns/default behind:
    unmount everything below BASE, deepest first."""
    prefix = os.path.realpath(base) + "/"
    points = []
    with open("/proc/self/mountinfo") as f:
        for line in f:
            mp = line.split()[4].replace("\\040", " ")
            if mp.startswith(prefix):
                points.append(mp)
    for mp in sorted(points, key=len, reverse=True):
        subprocess.run(["umount", "-l", mp], capture_output=True)


@pytest.fixture(scope="session")
def audit_dockerd():
    if not shutil.which("dockerd"):
        pytest.skip("dockerd is not installed (apt-get install docker.io)")
    # short path: unix socket paths are limited to 108 bytes
    base = tempfile.mkdtemp(prefix="ka-", dir="/tmp")
    d = Dockerd(base)
    try:
        d.start()
        yield d
    finally:
        d.stop()
        shutil.rmtree(base, ignore_errors=True)


def free_port(kind=socket.SOCK_STREAM, low=30000, high=49151):
    """A port in [low, high] nothing is bound to now (swarm wants its data
    path port below 49152)."""
    import random
    for _ in range(200):
        port = random.randint(low, high)
        s = socket.socket(socket.AF_INET, kind)
        try:
            s.bind(("0.0.0.0", port))
            return port
        except OSError:
            continue
        finally:
            s.close()
    raise RuntimeError("no free port")


@pytest.fixture(scope="module")
def swarm_dockerd():
    """A second dockerd, a single-node swarm manager on 127.0.0.1 with one
    plain and one encrypted overlay network."""
    if not shutil.which("dockerd"):
        pytest.skip("dockerd is not installed (apt-get install docker.io)")
    base = tempfile.mkdtemp(prefix="kas-", dir="/tmp")
    d = Dockerd(base, config={})       # live-restore is incompatible with swarm mode
    port = free_port()
    try:
        d.start()
        d.docker("swarm", "init", "--advertise-addr", f"127.0.0.1:{port}", "--listen-addr", f"127.0.0.1:{port}",
                 "--data-path-port", str(free_port(socket.SOCK_DGRAM)))
        d.docker("network", "create", "-d", "overlay", "ka-plain")
        d.docker("network", "create", "-d", "overlay", "--opt", "encrypted", "ka-enc")
        yield d, port
    finally:
        if d.proc:
            d.docker("swarm", "leave", "--force", check=False)
        d.stop()
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture(scope="session")
def audit_image(audit_dockerd, tmp_path_factory):
    """A busybox image with the static probe copied to /usr/sbin/sshd (a
    process named sshd that only sleeps)."""
    root = tmp_path_factory.mktemp("audit-rootfs") / "rootfs"
    probe = os.path.join(BUILD, "tests", "probe")
    subprocess.run(["sh", os.path.join(REPO, "tests", "fixtures", "mkrootfs.sh"), str(root), probe], check=True)
    os.makedirs(root / "usr" / "sbin", exist_ok=True)
    shutil.copy(probe, root / "usr" / "sbin" / "sshd")
    tar = tmp_path_factory.mktemp("audit-image") / "rootfs.tar"
    subprocess.run(["tar", "-C", str(root), "-cf", str(tar), "."], check=True)
    audit_dockerd.docker("import", str(tar), IMAGE)
    return IMAGE


# name -> (docker verb, options, command); "create" ones stay stopped
CONTAINERS = {
    "ka-good": ("run", ["--user", "1000:1000", "--read-only", "--memory", "64m", "--memory-swap", "64m",
                        "--pids-limit", "64", "--cpu-shares", "512", "--security-opt", "no-new-privileges",
                        "--cap-drop", "ALL", "--restart", "on-failure:3", "--health-cmd", "true",
                        "--health-interval", "1h", "--ulimit", "nofile=512:512"], ["sleep", "600"]),
    "ka-priv": ("create", ["--privileged"], ["sleep", "600"]),
    "ka-hostnet": ("run", ["--net", "host", "--user", "0"], ["sleep", "600"]),
    "ka-hostpid": ("run", ["--pid", "host", "--user", "root"], ["sleep", "600"]),
    "ka-sock": ("run", ["-v", "{sock}:/var/run/docker.sock", "--user", "0:0"], ["sleep", "600"]),
    "ka-seccomp": ("run", ["--security-opt", "seccomp=unconfined"], ["sleep", "600"]),
    "ka-restart": ("run", ["--restart", "always"], ["sleep", "600"]),
    "ka-ports": ("create", ["-p", "80:80", "-p", "[::]:8443:443"], ["sleep", "600"]),
    "ka-local": ("create", ["-p", "127.0.0.1:8080:80", "--user", "1000"], ["sleep", "600"]),
    "ka-caps": ("run", ["--cap-drop", "ALL", "--cap-add", "NET_ADMIN", "--user", "1000"], ["sleep", "600"]),
    "ka-sshd": ("run", ["--user", "1000"], ["/usr/sbin/sshd", "sleep", "600"]),
    "ka-ignored": ("run", ["--label", "kapsel.audit.ignore=5.11,5.29", "--label", "team=a"], ["sleep", "600"]),
    "ka-shared": ("create", ["--mount", "type=bind,source={tmp},target=/data,bind-propagation=rshared",
                             "-v", "/etc:/host-etc:ro"], ["sleep", "600"]),
    "ka-ipcuts": ("create", ["--ipc", "host", "--uts", "host"], ["sleep", "600"]),
    "ka-dev": ("create", ["--device", "/dev/null:/dev/xnull"], ["sleep", "600"]),
}
ALL = set(CONTAINERS)


@pytest.fixture(scope="session")
def audit_containers(audit_dockerd, audit_image, tmp_path_factory):
    tmp = str(tmp_path_factory.mktemp("audit-shared"))
    env = dict(os.environ, DOCKER_HOST=audit_dockerd.host)
    procs = []
    for name, (verb, opts, cmd) in CONTAINERS.items():
        opts = [o.format(sock=audit_dockerd.sock, tmp=tmp) for o in opts]
        args = ["docker", verb] + (["-d"] if verb == "run" else []) + ["--name", name] + opts + [audit_image] + cmd
        procs.append((name, subprocess.Popen(args, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)))
    for name, p in procs:
        out, err = p.communicate(timeout=120)
        assert p.returncode == 0, f"{name}: {err}"
    # an exec instance as root that is still running (5.24)
    audit_dockerd.docker("exec", "-d", "--user", "0", "ka-good", "sleep", "600")
    yield CONTAINERS
    audit_dockerd.docker("rm", "-f", *CONTAINERS, check=False)


def run_audit(*args, host=None, env=None, binary=None, cwd=None):
    cmd = [binary or KAPSEL, "audit", "--color", "never"]
    if host:
        cmd += ["-H", host]
    p = subprocess.run(cmd + list(args), capture_output=True, text=True, timeout=120,
                       env=dict(os.environ, **(env or {})), cwd=cwd)
    return p


def audit_json(*args, host=None, env=None, expect_rc=None):
    p = run_audit("--format", "json", *args, host=host, env=env)
    if expect_rc is not None:
        assert p.returncode == expect_rc, p.stderr
    assert p.returncode in (0, 1), p.stderr
    return json.loads(p.stdout)


def by_id(report):
    return {r["id"]: r for r in report["results"]}


def objects(result, level, kind=None):
    """The objects with evidence at LEVEL in one result."""
    return {e["object"] for e in result["evidence"] if e["level"] == level and (kind is None or e["kind"] == kind)}
