"""A small CRI client (the kubelet's side of the Container Runtime
Interface) for the tests, and a private containerd with its CRI plugin.

Debian has no CRI client (cri-tools/crictl is not packaged), so the test
speaks the CRI itself over gRPC (python3-grpcio).  The API's schema
(runtime.v1 `api.proto`) is the one Debian's containerd was built with: its
gzipped FileDescriptorProto is embedded in /usr/bin/containerd, read from
there, so the messages are containerd's own and nothing is hand-copied.
The requests are shaped as a kubelet sends them for a pod without a
seccompProfile (SeccompDefault off): seccomp Unconfined, pid namespace per
container, the default masked and read-only paths."""
import json
import os
import re
import signal
import subprocess
import zlib

CONTAINERD = "/usr/bin/containerd"


def _descriptor(binary=CONTAINERD, package="runtime.v1"):
    from google.protobuf import descriptor_pb2
    data = open(binary, "rb").read()
    for m in re.finditer(b"\x1f\x8b\x08\x00\x00\x00\x00\x00", data):
        try:
            raw = zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(data[m.start():m.start() + (1 << 20)])
            fd = descriptor_pb2.FileDescriptorProto()
            fd.ParseFromString(raw)
        except Exception:  # not a descriptor: another gzip stream
            continue
        if fd.package == package and any(s.name == "RuntimeService" for s in fd.service):
            # gogo.proto only adds code-generation options: not needed here
            del fd.dependency[:]
            return fd
    raise RuntimeError(f"no {package} CRI descriptor in {binary}")


class CRI:
    """RuntimeService calls by name: cri.call("RunPodSandbox", {...})."""

    def __init__(self, sock):
        import grpc
        from google.protobuf import descriptor_pool, json_format, message_factory
        self.json_format = json_format
        fd = _descriptor()
        pool = descriptor_pool.DescriptorPool()
        pool.Add(fd)
        self.service = pool.FindServiceByName(fd.package + ".RuntimeService")
        factory = message_factory.MessageFactory(pool)  # (Debian 12's protobuf 3.21)
        self.classes = {m.name: (factory.GetPrototype(m.input_type), factory.GetPrototype(m.output_type))
                        for m in self.service.methods}
        self.channel = grpc.insecure_channel("unix://" + sock)
        self.grpc = grpc

    def call(self, method, request, timeout=120):
        req_cls, resp_cls = self.classes[method]
        req = self.json_format.ParseDict(request, req_cls())
        fn = self.channel.unary_unary(f"/{self.service.full_name}/{method}",
                                      request_serializer=lambda m: m.SerializeToString(),
                                      response_deserializer=resp_cls.FromString)
        resp = fn(req, timeout=timeout)
        return self.json_format.MessageToDict(resp, preserving_proto_field_name=True)

    def close(self):
        self.channel.close()


# what the kubelet puts in every container's security context by default
MASKED = ["/proc/acpi", "/proc/kcore", "/proc/keys", "/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats",
          "/proc/sched_debug", "/proc/scsi", "/sys/firmware"]
READONLY = ["/proc/asound", "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"]
UNCONFINED = {"profile_type": "Unconfined"}


def pod_config(name, uid, logdir, host_network=False, privileged=False):
    return {
        "metadata": {"name": name, "uid": uid, "namespace": "default", "attempt": 0},
        "hostname": "" if host_network else name,  # as the kubelet: none for the host's network
        "log_directory": logdir,
        "labels": {"app": name},
        "linux": {"security_context": {
            "namespace_options": {"network": "NODE" if host_network else "POD", "pid": "CONTAINER", "ipc": "POD"},
            "privileged": privileged,
            "seccomp": UNCONFINED}},
    }


def container_config(name, image, command, privileged=False):
    return {
        "metadata": {"name": name, "attempt": 0},
        "image": {"image": image},
        "command": command,
        "log_path": f"{name}.log",
        "linux": {"security_context": {
            "privileged": privileged,
            "namespace_options": {"network": "POD", "pid": "CONTAINER", "ipc": "POD"},
            "seccomp": UNCONFINED,
            "masked_paths": [] if privileged else MASKED,
            "readonly_paths": [] if privileged else READONLY}},
    }


class Containerd:
    """A private containerd (its own root, state, socket and CNI network)
    whose CRI plugin runs pods with kapsel-runtime as the runc shim's
    BinaryName (the handler of docs/clients.md)."""

    BRIDGE = "kapselcri0"

    def __init__(self, base, runtime_bin, handler_toml, sandbox_image):
        self.base = base
        self.sock = os.path.join(base, "containerd.sock")
        cni = os.path.join(base, "cni")
        os.makedirs(cni)
        with open(os.path.join(cni, "10-kapsel-test.conflist"), "w") as f:
            json.dump({"cniVersion": "0.4.0", "name": "kapsel-test", "plugins": [
                {"type": "bridge", "bridge": self.BRIDGE, "isGateway": False, "ipMasq": False,
                 "ipam": {"type": "host-local", "ranges": [[{"subnet": "10.237.0.0/24"}]],
                          "dataDir": os.path.join(base, "ipam")}}]}, f)
        conf = os.path.join(base, "config.toml")
        with open(conf, "w") as f:
            f.write(f'version = 2\nroot = "{base}/root"\nstate = "{base}/state"\n'
                    f'[grpc]\n  address = "{self.sock}"\n[ttrpc]\n  address = "{self.sock}.ttrpc"\n'
                    f'[debug]\n  address = "{base}/debug.sock"\n'
                    f'[plugins."io.containerd.grpc.v1.cri"]\n  sandbox_image = "{sandbox_image}"\n'
                    # the pause container's -998 needs CAP_SYS_RESOURCE, which
                    # the test machines lack: keep it at containerd's own
                    '  restrict_oom_score_adj = true\n'
                    f'  [plugins."io.containerd.grpc.v1.cri".cni]\n    bin_dir = "/usr/lib/cni"\n'
                    f'    conf_dir = "{cni}"\n'
                    f'  [plugins."io.containerd.grpc.v1.cri".containerd]\n    default_runtime_name = "kapsel"\n')
            f.write(handler_toml.replace("/usr/local/bin/kapsel-runtime", runtime_bin))
        self.log = open(os.path.join(base, "containerd.log"), "w")
        self.proc = subprocess.Popen([CONTAINERD, "--config", conf], stdout=self.log, stderr=subprocess.STDOUT)

    def ctr(self, *args, check=True):
        p = subprocess.run(["ctr", "-a", self.sock, "-n", "k8s.io", *args], capture_output=True, text=True,
                           timeout=120)
        if check:
            assert p.returncode == 0, (args, p.stdout, p.stderr)
        return p

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log.close()
        subprocess.run(["ip", "link", "del", self.BRIDGE], capture_output=True)
