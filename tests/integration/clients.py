"""Session fixtures for the client tests: a private dockerd (with its
containerd) configured from docs/clients.md, and the busybox test image in
Docker, Podman and containerd.  Nothing is pulled: the image is imported
from the rootfs the other tests use."""
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import tarfile
import time

import pytest

from conftest import PROBE, REPO, RUNTIME

DOCS = os.path.join(REPO, "docs", "clients.md")


def doc_snippet(label):
    """The code block of docs/clients.md whose info string ends in LABEL."""
    text = open(DOCS).read()
    m = re.search(r"```\w+ " + re.escape(label) + r"\n(.*?)```", text, re.S)
    assert m, f"no snippet {label} in docs/clients.md"
    return m.group(1)


def umount_under(base):
    """Detach every mount below BASE (daemons leave netns and overlay mounts
    behind), deepest first, so the temporary directory can be removed."""
    base = os.path.realpath(base)
    points = []
    with open("/proc/self/mountinfo") as f:
        for line in f:
            mp = line.split()[4].encode().decode("unicode_escape")
            if mp == base or mp.startswith(base + "/"):
                points.append(mp)
    for mp in sorted(points, key=len, reverse=True):
        subprocess.run(["umount", "-l", mp], capture_output=True)


def have(cmd):
    return shutil.which(cmd) is not None


def wait_socket(path, proc, timeout=60):
    """Wait until the daemon answers /_ping on its unix socket (or dies):
    the socket's creation is an inotify event, the answer a blocking read."""
    from conftest import wait_file
    if not wait_file(path, timeout):
        return False
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and proc.poll() is None:
        s = socket.socket(socket.AF_UNIX)
        s.settimeout(timeout)
        try:
            s.connect(path)
            s.sendall(b"GET /_ping HTTP/1.0\r\n\r\n")
            if b"OK" in s.recv(1024):
                return True
        except ConnectionRefusedError:
            # created but not listening yet: a few ms
            time.sleep(0.05)
        finally:
            s.close()
    return False


class Docker:
    def __init__(self, base, runtime_path):
        self.base = base
        self.sock = os.path.join(base, "docker.sock")
        self.runtime_path = runtime_path
        self.env = dict(os.environ, DOCKER_HOST="unix://" + self.sock)

    def __call__(self, *args, check=False, timeout=120, input=None):
        p = subprocess.run(["docker", *args], env=self.env, capture_output=True, text=True,
                           timeout=timeout, input=input)
        if check:
            assert p.returncode == 0, (args, p.stdout, p.stderr)
        return p

    def add_runtime(self, name, runtime_args=()):
        """Register kapsel-runtime again as NAME with RUNTIME_ARGS (e.g.
        --policy FILE) and wait for dockerd's reload event."""
        path = os.path.join(self.base, "daemon.json")
        conf = json.load(open(path))
        conf["runtimes"][name] = {"path": self.runtime_path, "runtimeArgs": list(runtime_args)}
        with open(path, "w") as f:
            json.dump(conf, f)
        # the daemon keeps recent events: --since replays the reload even
        # when it came before `docker events` subscribed
        since = str(int(time.time()) - 1)
        os.kill(int(open(os.path.join(self.base, "docker.pid")).read()), signal.SIGHUP)
        ev = subprocess.Popen(["docker", "events", "--since", since, "--format", "{{.Action}}", "--filter",
                               "type=daemon", "--filter", "event=reload"], env=self.env, stdout=subprocess.PIPE,
                              text=True)
        try:
            # (a reload replayed from just before is not ours: wait on)
            while name not in self("info", "--format", "{{json .Runtimes}}").stdout:
                assert ev.stdout.readline().strip() == "reload", "docker events ended"
        finally:
            ev.kill()
            ev.wait()

    @property
    def containerd_sock(self):
        return os.path.join(self.base, "exec", "containerd", "containerd.sock")


@pytest.fixture(scope="session")
def runtime_bin(tmp_path_factory):
    """kapsel-runtime installed where the documented snippets expect it
    would be, here a private copy (the docs' path with our prefix)."""
    d = tmp_path_factory.mktemp("bin")
    dst = d / "kapsel-runtime"
    shutil.copy(RUNTIME, dst)
    return str(dst)


@pytest.fixture(scope="session")
def image_rootfs_tar(tmp_path_factory, rootfs):
    t = tmp_path_factory.mktemp("img") / "rootfs.tar"
    with tarfile.open(t, "w") as tf:
        tf.add(rootfs, arcname=".")
    return str(t)


@pytest.fixture(scope="session")
def dockerd(tmp_path_factory, runtime_bin, image_rootfs_tar):
    if not have("dockerd"):
        pytest.skip("docker.io is not installed")
    base = str(tmp_path_factory.mktemp("docker"))
    conf = json.loads(doc_snippet("docker-daemon.json").replace("/usr/local/bin/kapsel-runtime", runtime_bin))
    # and as the default runtime, as the docs describe
    conf["default-runtime"] = "kapsel"
    with open(os.path.join(base, "daemon.json"), "w") as f:
        json.dump(conf, f)
    d = Docker(base, runtime_bin)
    log = open(os.path.join(base, "dockerd.log"), "w")
    proc = subprocess.Popen(["dockerd", "--config-file", os.path.join(base, "daemon.json"),
                             "--data-root", os.path.join(base, "data"), "--exec-root", os.path.join(base, "exec"),
                             "--pidfile", os.path.join(base, "docker.pid"), "-H", "unix://" + d.sock,
                             "--iptables=false", "--bridge=none"], stdout=log, stderr=subprocess.STDOUT)
    assert wait_socket(d.sock, proc), open(os.path.join(base, "dockerd.log")).read()[-3000:]
    with open(image_rootfs_tar, "rb") as f:
        p = subprocess.run(["docker", "import", "-", "kbox:latest"], stdin=f, env=d.env, capture_output=True)
    assert p.returncode == 0, p.stderr
    d.log = os.path.join(base, "dockerd.log")
    yield d
    ids = d("ps", "-aq").stdout.split()
    if ids:
        d("rm", "-f", *ids)
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
    umount_under(base)
