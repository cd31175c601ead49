"""kapsel-runtime under containerd: `ctr run --runc-binary` uses
containerd's runc shim (io.containerd.runc.v2) with kapsel-runtime as its
BinaryName, the way a Kubernetes node's RuntimeClass handler does."""
import json
import subprocess

import pytest

from clients import dockerd, doc_snippet, image_rootfs_tar, runtime_bin  # noqa: F401

NS = "kapsel-test"


class Ctr:
    def __init__(self, sock, runtime):
        self.sock = sock
        self.runtime = runtime

    def __call__(self, *args, check=False, input=None, timeout=120):
        p = subprocess.run(["ctr", "-a", self.sock, "-n", NS, *args], capture_output=True, text=True,
                           input=input, timeout=timeout)
        if check:
            assert p.returncode == 0, (args, p.stdout, p.stderr)
        return p


@pytest.fixture(scope="session")
def ctr(dockerd, tmp_path_factory):
    # the image, saved from Docker and imported into containerd
    tar = str(tmp_path_factory.mktemp("ctr") / "kbox.tar")
    dockerd("save", "-o", tar, "kbox:latest", check=True)
    c = Ctr(dockerd.containerd_sock, dockerd.runtime_path)
    c("images", "import", tar, check=True)
    yield c
    for t in c("tasks", "ls", "-q").stdout.split():
        c("tasks", "kill", "-s", "KILL", t)
    for cid in c("containers", "ls", "-q").stdout.split():
        c("tasks", "delete", "-f", cid)
        c("containers", "delete", cid)


IMG = "docker.io/library/kbox:latest"


def test_docs_handler_config_is_the_runc_shim_with_our_binary():
    conf = doc_snippet("containerd-config.toml")
    assert 'runtime_type = "io.containerd.runc.v2"' in conf
    assert 'BinaryName = "/usr/local/bin/kapsel-runtime"' in conf
    rc = doc_snippet("runtimeclass.yaml")
    assert "handler: kapsel" in rc and "kind: RuntimeClass" in rc
    assert "runtimeClassName: kapsel" in doc_snippet("pod.yaml")
    assert "ctr run --runc-binary /usr/local/bin/kapsel-runtime" in doc_snippet("ctr")


def test_ctr_defaults_run_with_the_default_seccomp_profile(ctr):
    # ctr applies no seccomp profile unless asked: the built-in policy
    # (enforce baseline, action fix) fills in kapsel's default profile and
    # records it
    p = ctr("run", "--rm", "--runc-binary", ctr.runtime, IMG, "noseccomp", "probe", "info")
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout)["seccomp"] == 2
    log = [json.loads(l) for l in open("/var/log/kapsel/decisions.log").read().splitlines()]
    d = [x for x in log if x["id"] == "noseccomp"][-1]
    assert d["verdict"] == "hardened" and "B10: installed kapsel's default seccomp profile" in d["changes"]
    assert "[exempt] name = noseccomp" in d["exempt_hint"]
    assert "noseccomp" not in ctr("containers", "ls", "-q").stdout.split()


def test_ctr_host_network_is_still_refused(ctr):
    p = ctr("run", "--rm", "--net-host", "--runc-binary", ctr.runtime, IMG, "hostnet", "true")
    assert p.returncode != 0
    assert "[B4 host-network]" in p.stderr, p.stderr
    if "hostnet" in ctr("containers", "ls", "-q").stdout.split():
        ctr("containers", "delete", "hostnet", check=True)


def test_ctr_run_foreground(ctr):
    p = ctr("run", "--rm", "--seccomp", "--runc-binary", ctr.runtime, IMG, "fg1", "probe", "info")
    assert p.returncode == 0, p.stderr
    info = json.loads(p.stdout)
    assert info["pid"] == 1
    p = ctr("run", "--rm", "--seccomp", "--runc-binary", ctr.runtime, IMG, "fg2", "sh", "-c", "exit 9")
    assert p.returncode == 9


def test_ctr_detached_exec_kill_delete_metrics(ctr):
    ctr("run", "-d", "--seccomp", "--runc-binary", ctr.runtime, IMG, "bg1", "probe", "signals", check=True)
    p = ctr("tasks", "exec", "--exec-id", "e1", "bg1", "probe", "info")
    assert p.returncode == 0, p.stderr
    ex = json.loads(p.stdout)
    assert ex["pid"] != 1
    assert ctr("tasks", "exec", "--exec-id", "e2", "bg1", "sh", "-c", "exit 4").returncode == 4
    m = ctr("tasks", "metrics", "--format", "json", "bg1")
    assert m.returncode == 0, m.stderr
    metrics = json.loads(m.stdout)
    assert metrics, "no metrics"
    ps = ctr("tasks", "ps", "bg1", check=True).stdout
    assert len(ps.strip().splitlines()) >= 2
    ctr("tasks", "pause", "bg1", check=True)
    assert "PAUSED" in ctr("tasks", "ls").stdout
    ctr("tasks", "resume", "bg1", check=True)
    ctr("tasks", "kill", "-s", "USR1", "bg1", check=True)
    w = ctr("tasks", "ls")
    ctr("tasks", "delete", "bg1")
    ctr("containers", "delete", "bg1", check=True)
    assert "bg1" not in ctr("containers", "ls", "-q").stdout.split()
