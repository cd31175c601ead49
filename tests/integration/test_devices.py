"""Device rules (linux.resources.devices) enforced on a container, seen from
inside: the eBPF device program in the cgroup2 tree (on a pure cgroup v2
host the only enforcer; on a hybrid host it runs beside the v1 devices
controller), and `update` replacing it.  The node in the container is a
console (c 5:1), which none of kapsel's default rules allow, whose driver
every kernel has, and which root opens without any capability."""
import ctypes
import json
import os
import struct

import pytest

NODE = {"path": "/dev/xconsole", "type": "c", "major": 5, "minor": 1, "fileMode": 0o600}
ALLOW_NODE = {"allow": True, "type": "c", "major": 5, "minor": 1, "access": "rw"}
ALLOW_FUSE = {"allow": True, "type": "c", "major": 10, "minor": 229, "access": "rw"}  # a host device to the policy


def cgroup2_mount():
    with open("/proc/self/mountinfo") as f:
        for line in f:
            left, _, right = line.partition(" - ")
            if right.split()[0] == "cgroup2":
                return left.split()[4]
    return None


_libc = ctypes.CDLL(None, use_errno=True)
_SYS_BPF = {"x86_64": 321, "aarch64": 280}[os.uname().machine]
BPF_PROG_GET_FD_BY_ID, BPF_OBJ_GET_INFO_BY_FD, BPF_PROG_QUERY, BPF_CGROUP_DEVICE = 13, 15, 16, 6


def _bpf(cmd, attr):
    buf = ctypes.create_string_buffer(bytes(attr), 128)
    r = _libc.syscall(_SYS_BPF, cmd, buf, 128)
    if r < 0:
        raise OSError(ctypes.get_errno(), f"bpf({cmd})")
    return r, buf.raw


def kapsel_programs(cid):
    """(id, name) of the device programs attached to the container's
    cgroup2 directory (BPF_PROG_QUERY, as bpftool cgroup show does), and
    those named kapsel_devices."""
    fd = os.open(os.path.join(cgroup2_mount(), "kapsel", cid), os.O_RDONLY | os.O_DIRECTORY)
    try:
        ids = (ctypes.c_uint32 * 64)()
        attr = struct.pack("=IIIIQI", fd, BPF_CGROUP_DEVICE, 0, 0, ctypes.addressof(ids), 64)
        _, out = _bpf(BPF_PROG_QUERY, attr)
        count = struct.unpack_from("=I", out, 24)[0]
    finally:
        os.close(fd)
    progs = []
    for pid in ids[:count]:
        pfd, _ = _bpf(BPF_PROG_GET_FD_BY_ID, struct.pack("=I", pid))
        try:
            info = ctypes.create_string_buffer(80)
            _bpf(BPF_OBJ_GET_INFO_BY_FD, struct.pack("=IIQ", pfd, 80, ctypes.addressof(info)))
            name = info.raw[64:80].split(b"\0")[0].decode()
        finally:
            os.close(pfd)
        progs.append({"id": pid, "name": name})
    return [p for p in progs if p["name"] == "kapsel_devices"], progs


def v1_devices_dir(cid):
    d = "/sys/fs/cgroup/devices/kapsel/" + cid
    return d if os.path.isdir(d) else None


def try_open(runtime, cid, path):
    r = runtime("exec", cid, "/bin/probe", "try", "open-dev", path)
    assert r.out, r
    return json.loads(r.out)


def denied(res):
    return not res["ok"] and res["errno"] == 1  # EPERM: the device cgroup


needs = pytest.mark.skipif(cgroup2_mount() is None, reason="needs a cgroup2 tree")


@needs
def test_rules_enforced_and_replaced_by_update(bundle, runtime, tmp_path):
    bundle.config["process"]["user"] = {"uid": 0, "gid": 0}
    bundle.config["linux"]["devices"] = [NODE]
    rules = bundle.config["linux"]["resources"]["devices"]
    assert rules == [{"allow": False, "access": "rwm"}]  # the spec's deny-all
    bundle.args("/bin/probe", "sleep", "600")
    assert bundle.run("--detach").rc == 0
    cid = bundle.id

    mine, _ = kapsel_programs(cid)
    assert len(mine) == 1, mine
    first_id = mine[0]["id"]
    assert denied(try_open(runtime, cid, "/dev/xconsole"))
    assert try_open(runtime, cid, "/dev/null")["ok"]  # a default rule

    # on a hybrid host: open the v1 devices controller wide from the host;
    # the program alone still refuses
    v1 = v1_devices_dir(cid)
    if v1:
        with open(v1 + "/devices.allow", "w") as f:
            f.write("a")
        assert open(v1 + "/devices.list").read().split("\n")[0] == "a *:* rwm"
        assert denied(try_open(runtime, cid, "/dev/xconsole"))

    f = tmp_path / "res.json"
    f.write_text(json.dumps({"devices": rules + [ALLOW_NODE]}))
    r = runtime("update", "--resources", str(f), cid)
    assert r.rc == 0, r
    assert try_open(runtime, cid, "/dev/xconsole")["ok"]
    assert try_open(runtime, cid, "/dev/null")["ok"]
    mine, _ = kapsel_programs(cid)
    assert len(mine) == 1 and mine[0]["id"] != first_id, mine
    rec = json.load(open(os.path.join(runtime.root, cid, "resources.json")))
    assert rec["devices"] == rules + [ALLOW_NODE]

    # and back: denied again, still one program
    f.write_text(json.dumps({"devices": rules}))
    assert runtime("update", "--resources", str(f), cid).rc == 0
    assert denied(try_open(runtime, cid, "/dev/xconsole"))
    assert len(kapsel_programs(cid)[0]) == 1
    if v1:
        assert "c 5:1" not in open(v1 + "/devices.list").read()


@needs
def test_update_moves_the_v1_rules_too(bundle, runtime, tmp_path):
    # on a hybrid host both enforcers take the new rules (the order of the
    # v1 writes, that never refuse what old and new allow, is unit-tested)
    if not os.path.isdir("/sys/fs/cgroup/devices"):
        pytest.skip("no v1 devices controller")
    bundle.config["linux"]["resources"]["devices"].append(ALLOW_NODE)
    bundle.args("/bin/probe", "sleep", "600")
    assert bundle.run("--detach").rc == 0
    v1 = v1_devices_dir(bundle.id)
    before = set(open(v1 + "/devices.list").read().split("\n")) - {""}
    assert {"c 5:1 rw", "c 1:3 rwm", "c 1:5 rwm"} <= before
    f = tmp_path / "res.json"
    f.write_text(json.dumps({"devices": [{"allow": False, "access": "rwm"},
                                         {"allow": True, "type": "c", "major": 5, "minor": 1, "access": "rwm"},
                                         {"allow": True, "type": "c", "major": 4, "minor": 1, "access": "rw"}]}))
    r = runtime("update", "--resources", str(f), bundle.id)
    assert r.rc == 0, r
    after = set(open(v1 + "/devices.list").read().split("\n")) - {""}
    assert after == (before - {"c 5:1 rw"}) | {"c 5:1 rwm", "c 4:1 rw"}
    f.write_text(json.dumps({"devices": [{"allow": False, "access": "rwm"}]}))
    assert runtime("update", "--resources", str(f), bundle.id).rc == 0
    assert set(open(v1 + "/devices.list").read().split("\n")) - {""} == before - {"c 5:1 rw"}


@needs
def test_update_cannot_widen_device_rules_past_the_policy(bundle, runtime, tmp_path):
    runtime.policy = None  # the built-in policy, as a fresh install has
    rules = bundle.config["linux"]["resources"]["devices"]
    bundle.args("/bin/probe", "sleep", "600")
    r = bundle.run("--detach")
    assert r.rc == 0, r
    mine, _ = kapsel_programs(bundle.id)
    f = tmp_path / "res.json"
    f.write_text(json.dumps({"devices": rules + [ALLOW_FUSE]}))
    r = runtime("update", "--resources", str(f), bundle.id)
    assert r.rc == 1 and "[B9 host-devices]" in r.err and "c 10:229 rw" in r.err, r
    # nothing changed
    assert kapsel_programs(bundle.id)[0] == mine
    assert not os.path.exists(os.path.join(runtime.root, bundle.id, "resources.json"))  # no update recorded
    # the rules it has, sent back: nothing to decide
    f.write_text(json.dumps({"devices": rules, "pids": {"limit": 99}}))
    r = runtime("update", "--resources", str(f), bundle.id)
    assert r.rc == 0, r
