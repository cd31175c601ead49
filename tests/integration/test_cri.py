"""A Kubernetes pod through the CRI, as a kubelet runs it: a private
containerd with its CRI plugin and kapsel-runtime as the handler of
docs/clients.md, driven by the CRI client in cri.py.  Under the built-in
policy a pod without a seccompProfile (its pause container and its app)
runs with kapsel's default seccomp profile filled in; what the pod asks
for that baseline forbids (the host's network, privileged) is refused
with the rule's id."""
import base64
import json
import os
import select
import socket
import struct
import subprocess
import time
import uuid

import pytest

from clients import dockerd, doc_snippet, have, image_rootfs_tar, runtime_bin, umount_under  # noqa: F401
from conftest import wait_file

PAUSE = "kapsel.test/pause:1"
APP = "docker.io/library/kbox:latest"
DECISIONS = "/var/log/kapsel/decisions.log"


def decisions_of(cid):
    return [d for d in map(json.loads, open(DECISIONS).read().splitlines()) if d["id"] == cid]


def seccomp_mode(pid):
    """Seccomp mode of PID, and the program it runs."""
    exe = os.path.basename(os.readlink(f"/proc/{pid}/exe"))
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("Seccomp:"):
            return int(line.split()[1]), exe
    raise AssertionError(f"no Seccomp line for {pid}")


class ExecWatch:
    """execve() events of every process (the kernel's proc connector), so
    that a test can wait until a container's init has exec'd its program:
    until then /proc/PID is the runtime's, whose filter is not loaded yet.
    Subscribed before the container is made, so no exec is missed."""

    def __enter__(self):
        self.s = socket.socket(socket.AF_NETLINK, socket.SOCK_DGRAM, 11)  # NETLINK_CONNECTOR
        self.s.bind((0, 1))                                               # CN_IDX_PROC
        # nlmsghdr, cn_msg {idx CN_IDX_PROC, val CN_VAL_PROC, seq, ack, len 4, flags}, PROC_CN_MCAST_LISTEN
        body = struct.pack("=IIIIHHI", 1, 1, 0, 0, 4, 0, 1)
        self.s.send(struct.pack("=IHHII", 16 + len(body), 3, 0, 0, 0) + body)  # NLMSG_DONE
        self.execs = set()
        return self

    def wait_exec(self, pid, timeout=60):
        deadline = time.monotonic() + timeout
        while pid not in self.execs:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self.s], [], [], left)[0]:
                return False
            data = self.s.recv(65536)
            off = 0
            while off + 16 <= len(data):
                length = struct.unpack_from("=I", data, off)[0]
                ev = off + 16 + 20  # past nlmsghdr and cn_msg: struct proc_event
                if length >= 16 + 20 + 24 and struct.unpack_from("=I", data, ev)[0] == 2:  # PROC_EVENT_EXEC
                    self.execs.add(struct.unpack_from("=I", data, ev + 20)[0])          # process_tgid
                off += (length + 3) & ~3 if length else len(data)
        return True

    def __exit__(self, *exc):
        self.s.close()


@pytest.fixture(scope="module")
def cri(dockerd, runtime_bin, image_rootfs_tar, tmp_path_factory):
    try:
        import grpc  # noqa: F401
        from cri import CRI, Containerd
    except ImportError:
        pytest.skip("python3-grpcio and python3-protobuf are not installed")
    if os.path.exists("/etc/kapsel/policy.conf") or os.environ.get("KAPSEL_POLICY"):
        pytest.skip("a policy file is installed here: the built-in policy does not apply")
    if not have("ip"):
        pytest.skip("iproute2 is not installed")
    import grpc
    base = str(tmp_path_factory.mktemp("cri"))
    # the images: the app, and a pause image whose entrypoint waits
    with open(image_rootfs_tar, "rb") as f:
        p = subprocess.run(["docker", "import", "--change",
                            'ENTRYPOINT ["/bin/sleep", "3600"]', "-", PAUSE],
                           stdin=f, env=dockerd.env, capture_output=True)
    assert p.returncode == 0, p.stderr
    tar = os.path.join(base, "images.tar")
    dockerd("save", "-o", tar, "kbox:latest", PAUSE, check=True)
    handler = doc_snippet("containerd-config.toml").replace("version = 2\n", "")
    d = Containerd(base, runtime_bin, handler, PAUSE)
    try:
        assert wait_file(d.sock, 60), open(os.path.join(base, "containerd.log")).read()[-3000:]
        c = CRI(d.sock)
        grpc.channel_ready_future(c.channel).result(timeout=60)
        d.ctr("images", "import", tar)
        c.logdir = os.path.join(base, "pods")
        os.makedirs(c.logdir)
        yield c
        for s in c.call("ListPodSandbox", {}).get("items", []):
            c.call("StopPodSandbox", {"pod_sandbox_id": s["id"]})
            c.call("RemovePodSandbox", {"pod_sandbox_id": s["id"]})
        c.close()
    finally:
        d.stop()
        umount_under(base)


def run_pod(cri, name, **kw):
    from cri import pod_config
    conf = pod_config(name, str(uuid.uuid4()), os.path.join(cri.logdir, name), **kw)
    os.makedirs(conf["log_directory"], exist_ok=True)
    return conf, cri.call("RunPodSandbox", {"config": conf, "runtime_handler": "kapsel"})["pod_sandbox_id"]


def verbose_pid(resp):
    return json.loads(resp["info"]["info"])["pid"]


def test_pod_without_seccomp_profile_runs_hardened(cri):
    from cri import container_config
    with ExecWatch() as w:
        conf, sid = run_pod(cri, "web")
        # the pause container: kapsel's default profile was filled in
        pause_pid = verbose_pid(cri.call("PodSandboxStatus", {"pod_sandbox_id": sid, "verbose": True}))
        assert w.wait_exec(pause_pid), pause_pid
    assert seccomp_mode(pause_pid) == (2, "busybox")
    d = decisions_of(sid)[-1]
    assert d["verdict"] == "hardened" and d["policy"] == "built-in"
    # (B11 completes the masked paths where containerd's list lacks some of
    # kapsel's, e.g. 1.6's lacks /sys/devices/virtual/powercap)
    assert d["changes"] in (["B10: installed kapsel's default seccomp profile"],
                            ["B10: installed kapsel's default seccomp profile",
                             "B11: masked /proc and made /proc/sys read-only"]), d
    assert not [f for f in d["failed"] if f["level"] == "baseline"]
    # the app container
    cid = cri.call("CreateContainer", {"pod_sandbox_id": sid, "sandbox_config": conf,
                                       "config": container_config("app", APP, ["/bin/sleep", "3600"])})["container_id"]
    with ExecWatch() as w:
        cri.call("StartContainer", {"container_id": cid})
        app_pid = verbose_pid(cri.call("ContainerStatus", {"container_id": cid, "verbose": True}))
        assert w.wait_exec(app_pid), app_pid
    r = cri.call("ExecSync", {"container_id": cid, "cmd": ["grep", "^Seccomp:", "/proc/self/status"], "timeout": 60})
    assert r.get("exit_code", 0) == 0, r
    assert base64.b64decode(r["stdout"]).decode().split() == ["Seccomp:", "2"]
    assert seccomp_mode(app_pid) == (2, "busybox")
    d = decisions_of(cid)[-1]
    assert d["verdict"] == "hardened" and "B10: installed kapsel's default seccomp profile" in d["changes"]
    assert d["hints"]["io.kubernetes.cri.container-name"] == "app"
    assert d["exempt_hint"] == 'to run it unchanged, exempt it: "[exempt] name = app" in /etc/kapsel/policy.conf'
    cri.call("StopContainer", {"container_id": cid, "timeout": 0})
    cri.call("RemoveContainer", {"container_id": cid})
    cri.call("StopPodSandbox", {"pod_sandbox_id": sid})
    cri.call("RemovePodSandbox", {"pod_sandbox_id": sid})


def test_pod_with_the_hosts_network_is_refused(cri):
    import grpc
    with pytest.raises(grpc.RpcError) as e:
        run_pod(cri, "hostnet", host_network=True)
    assert "[B4 host-network]" in e.value.details(), e.value.details()


def test_privileged_container_is_refused(cri):
    import grpc
    from cri import container_config
    conf, sid = run_pod(cri, "priv", privileged=True)  # (the pause container is not privileged)
    cid = cri.call("CreateContainer", {"pod_sandbox_id": sid, "sandbox_config": conf,
                                       "config": container_config("priv", APP, ["/bin/true"], privileged=True)})
    with pytest.raises(grpc.RpcError) as e:
        cri.call("StartContainer", {"container_id": cid["container_id"]})
    msg = e.value.details()
    assert "refused by the kapsel policy" in msg and "[B1 capabilities]" in msg and "[B9 host-devices]" in msg, msg
    cri.call("RemoveContainer", {"container_id": cid["container_id"]})
    cri.call("StopPodSandbox", {"pod_sandbox_id": sid})
    cri.call("RemovePodSandbox", {"pod_sandbox_id": sid})
