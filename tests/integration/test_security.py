"""Attacks on the runtime, from inside a container and from a hostile
config or rootfs: each one is performed and seen to fail."""
import hashlib
import json
import os
import shutil
import subprocess
import uuid

import pytest

from conftest import RUNTIME, Runtime, copy_rootfs, leftovers, probe_lines, run_with_fds, wait_file


def bind(dest, source, *options):
    return {"destination": dest, "type": "bind", "source": str(source), "options": list(options)}


def host_dir(path, mode=0o777):
    os.makedirs(path, exist_ok=True)
    os.chmod(path, mode)
    return str(path)


def set_caps(bundle, caps):
    bundle.config["process"]["capabilities"] = {
        s: list(caps) for s in ("bounding", "effective", "permitted")}
    bundle.config["process"]["capabilities"].update(inheritable=[], ambient=[])


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def nspid(host_pid):
    """The pid of HOST_PID in its innermost pid namespace."""
    with open(f"/proc/{host_pid}/status") as f:
        for line in f:
            if line.startswith("NSpid:"):
                return int(line.split()[-1])
    raise AssertionError("no NSpid")


# ---------------------------------------------------------------- CVE-2019-5736


@pytest.fixture
def runtime_copy(runtime, tmp_path):
    """A private copy of kapsel-runtime used as THE runtime of a test (same
    state root as the runtime fixture), so an overwrite is harmless and
    detectable."""
    path = tmp_path / "bin" / "kapsel-runtime"
    path.parent.mkdir()
    shutil.copy2(RUNTIME, path)
    os.chmod(path, 0o755)
    return Runtime(runtime.root, binary=str(path)), str(path)


def overwrite_runtime_through_proc_exe(make_bundle, rt, tmp_path, caps):
    """Container A (root, CAPS) waits for a pid on a fifo, then runs
    `probe try open-exe-write PID wait-write`.  Container B joins A's pid
    namespace and is created, not started: its waiting init is a
    kapsel-runtime process visible in A.  Returns A's JSON result and the
    exe target B's init had as seen from the host."""
    shared = host_dir(tmp_path / "shared")
    fifo = os.path.join(shared, "fifo")
    os.mkfifo(fifo, 0o666)
    a = make_bundle()
    a.runtime = rt
    a.config["process"]["user"] = {"uid": 0, "gid": 0}
    set_caps(a, caps)
    a.config["mounts"].append(bind("/shared", shared, "bind", "rw"))
    a.args("/bin/sh", "-c", "read pid < /shared/fifo; exec /bin/probe try open-exe-write $pid wait-write")
    a.write()
    # A's stdio are pipes of ours; create returns, the init keeps them
    pa = rt.popen("create", "--bundle", a.path, a.id, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                  stderr=subprocess.PIPE, text=True)
    assert pa.wait(timeout=30) == 0
    assert rt("start", a.id).rc == 0
    apid = rt.state(a.id)["pid"]

    b = make_bundle()
    b.runtime = rt
    b.config["process"]["user"] = {"uid": 0, "gid": 0}
    set_caps(b, caps)
    b.config["linux"]["namespaces"] = [{"type": "pid", "path": f"/proc/{apid}/ns/pid"}, {"type": "mount"},
                                       {"type": "uts"}, {"type": "ipc"}, {"type": "network"}]
    b.args("/bin/probe", "sleep", "600")
    r = b.create()
    assert r.rc == 0, r
    bpid = rt.state(b.id)["pid"]
    b_exe = os.readlink(f"/proc/{bpid}/exe")
    # O_RDWR: never blocks; the line waits in the fifo until A reads it
    wfd = os.open(fifo, os.O_RDWR)
    os.write(wfd, f"{nspid(bpid)}\n".encode())
    # the O_PATH open happens now; if it worked, B's init moves on (execs
    # its program) before A tries to write through the handle
    line = pa.stderr.readline()
    os.close(wfd)
    if line == "opened\n":
        assert rt("start", b.id).rc == 0
        pa.stdin.write("\n")
        pa.stdin.flush()
    result = json.loads(pa.stdout.readline())
    for c in (b, a):
        assert rt("delete", "--force", c.id).rc == 0
    for f in (pa.stdin, pa.stdout, pa.stderr):
        f.close()
    return result, b_exe


def test_runtime_binary_cannot_be_reached_from_a_default_container(make_bundle, runtime_copy, tmp_path):
    rt, binary = runtime_copy
    before = sha256(binary)
    result, b_exe = overwrite_runtime_through_proc_exe(make_bundle, rt, tmp_path, ["CAP_NET_BIND_SERVICE"])
    assert b_exe == binary  # B's init is our copy, waiting for start
    assert result["action"] == "open-exe-write" and result["target"] is None, result
    assert not result["ok"] and result["stage"] == "open-path", result
    assert result["errno"] == 13, result  # EACCES: the runtime process is not dumpable
    assert sha256(binary) == before
    assert rt.ids() == []


def test_runtime_binary_cannot_be_overwritten_with_cap_sys_ptrace(make_bundle, runtime_copy, tmp_path):
    rt, binary = runtime_copy
    before = sha256(binary)
    result, b_exe = overwrite_runtime_through_proc_exe(make_bundle, rt, tmp_path,
                                                       ["CAP_NET_BIND_SERVICE", "CAP_SYS_PTRACE"])
    # with CAP_SYS_PTRACE the handle can be taken: it is a sealed memfd copy
    assert b_exe.startswith("/memfd:"), b_exe
    assert result["target"].startswith("/memfd:"), result
    assert not result["ok"] and result["stage"] in ("reopen", "write"), result
    assert sha256(binary) == before
    assert rt.ids() == []


# ---------------------------------------------------------------- symlinks in the rootfs


@pytest.fixture
def evil(tmp_path, rootfs, make_bundle):
    """A private rootfs copy to plant symlinks in, a host directory they
    point at, and a bundle using that rootfs."""
    host = host_dir(tmp_path / ("host-target-" + uuid.uuid4().hex[:8]), 0o755)
    root = copy_rootfs(rootfs, tmp_path / "evilroot")
    return host, root, make_bundle(root)


def host_mount_points():
    with open("/proc/self/mountinfo") as f:
        return [line.split()[4] for line in f]


def depth_dots(root):
    return "/".join([".."] * (root.count("/") + 3))


@pytest.mark.parametrize("kind", ["absolute", "relative"])
def test_mount_destination_through_a_symlink_stays_in_the_rootfs(evil, kind):
    host, root, b = evil
    target = host if kind == "absolute" else depth_dots(root) + host
    os.symlink(target, os.path.join(root, "evil"))
    b.config["mounts"].append({"destination": "/evil/sub", "type": "tmpfs", "source": "tmpfs",
                               "options": ["nosuid", "nodev", "size=1m"]})
    b.args("/bin/sh", "-c", "echo inside > /evil/sub/file && cat /evil/sub/file && exec /bin/probe info")
    r = b.run()
    assert os.listdir(host) == [], "the runtime created something in the host directory"
    assert [m for m in host_mount_points() if m.startswith(host)] == []
    assert r.rc == 0, r
    out, info = r.out.split("\n", 1)
    assert out == "inside"
    tm = [m for m in json.loads(info)["mounts"] if m["mountpoint"].endswith("/sub")]
    # the tmpfs is in the container, where the symlink resolves inside the
    # rootfs (the host path, under the container's own /tmp)
    assert len(tm) == 1 and tm[0]["fstype"] == "tmpfs", tm
    assert tm[0]["mountpoint"] == host + "/sub"


@pytest.mark.parametrize("kind", ["absolute", "relative"])
def test_device_through_a_symlink_stays_in_the_rootfs(evil, kind):
    host, root, b = evil
    target = host if kind == "absolute" else depth_dots(root) + host
    os.symlink(target, os.path.join(root, "evil"))
    b.config["linux"]["devices"] = [{"path": "/evil/null", "type": "c", "major": 1, "minor": 3, "fileMode": 0o666}]
    b.args("/bin/sh", "-c", "ls -l /evil/null")
    r = b.run()
    assert os.listdir(host) == []
    assert r.rc == 0, r
    assert r.out.startswith("crw-rw-rw-"), r


def test_default_device_names_planted_as_symlinks_are_replaced(evil):
    host, root, b = evil
    victim = os.path.join(host, "victim")
    with open(victim, "w") as f:
        f.write("host data\n")
    # /dev is not a tmpfs here: the rootfs's /dev is used as it is
    b.config["mounts"] = [m for m in b.config["mounts"] if not m["destination"].startswith("/dev")]
    os.symlink(victim, os.path.join(root, "dev", "null"))
    os.symlink(depth_dots(root) + victim, os.path.join(root, "dev", "zero"))
    b.config["root"]["readonly"] = False
    b.args("/bin/sh", "-c", "stat -c '%F %t:%T' /dev/null /dev/zero")
    r = b.run()
    assert open(victim).read() == "host data\n"
    assert os.stat(victim).st_mode & 0o777 == 0o644
    assert r.rc == 0, r
    assert r.out.splitlines() == ["character special file 1:3", "character special file 1:5"]


def test_masked_and_readonly_paths_through_symlinks_do_not_touch_the_host(evil, runtime):
    host, root, b = evil
    victim = os.path.join(host, "victim")
    with open(victim, "w") as f:
        f.write("host data\n")
    os.symlink(victim, os.path.join(root, "etc", "evil-masked"))
    os.symlink(depth_dots(root) + victim, os.path.join(root, "etc", "evil-ro"))
    os.symlink(host, os.path.join(root, "evil-dir"))
    b.config["linux"]["maskedPaths"] += ["/etc/evil-masked", "/evil-dir"]
    b.config["linux"]["readonlyPaths"] += ["/etc/evil-ro"]
    shared = host_dir(os.path.join(os.path.dirname(root), "shared"))
    b.config["mounts"].append(bind("/shared", shared, "bind", "rw"))
    b.args("/bin/sh", "-c", "cat /etc/evil-masked /etc/evil-ro /evil-dir/victim > /shared/out 2>&1; "
           "mv /shared/out /shared/done; exec /bin/probe sleep 600")
    r = b.run("--detach")
    assert r.rc == 0, r
    assert wait_file(os.path.join(shared, "done"))
    # inside, the symlinks resolve in the rootfs: the host file is not there
    out = open(os.path.join(shared, "done")).read()
    assert "host data" not in out and out.count("No such file or directory") == 3, out
    # while it runs: the host file is untouched, readable and writable ...
    assert open(victim).read() == "host data\n"
    with open(victim, "a") as f:
        f.write("more\n")
    assert open(victim).read() == "host data\nmore\n"
    assert os.listdir(host) == ["victim"]
    assert runtime("delete", "--force", b.id).rc == 0
    assert open(victim).read() == "host data\nmore\n"
    assert os.listdir(host) == ["victim"]


@pytest.mark.parametrize("key", ["kernel..hostname", "../../../../tmp/kapsel-sysctl-escape",
                                 "kernel/../../etc/passwd", "..", "/etc/passwd", ".kernel.hostname"])
def test_sysctl_cannot_be_redirected(bundle, runtime, key):
    bundle.config["linux"]["sysctl"] = {key: "pwned"}
    bundle.args("/bin/true")
    r = bundle.run()
    assert r.rc != 0
    assert "linux.sysctl" in r.err and "invalid key" in r.err, r
    assert leftovers(runtime, bundle.id) == []


# ---------------------------------------------------------------- container ids

BAD_IDS = ["../x", "a/b", "", ".", "..", "x" * 1025, "a b", " ", "x\n", "../../../../tmp/kapsel-id-escape", "ü",
           "a\\b", "*", "x;rm -rf y", "$(id)"]


@pytest.mark.parametrize("cid", BAD_IDS, ids=[repr(c)[:20] for c in BAD_IDS])
def test_bad_container_ids_are_refused(bundle, runtime, tmp_path, cid):
    bundle.args("/bin/true")
    bundle.write()
    outside_before = sorted(os.listdir(tmp_path))
    for cmd in ("create", "run"):
        r = runtime(cmd, "--bundle", bundle.path, cid)
        assert r.rc != 0, r
        assert "container id" in r.err, r
        assert runtime.ids() == []
        assert sorted(os.listdir(tmp_path)) == outside_before
        assert not os.path.exists(os.path.join(runtime.root, "..", "x"))
        assert not os.path.exists("/tmp/kapsel-id-escape")
    for cmd in (("state", cid), ("start", cid), ("kill", cid, "KILL"), ("delete", "--force", cid)):
        r = runtime(*cmd)
        assert r.rc != 0 and "container id" in r.err, (cmd, r)


def test_ids_cannot_reach_a_state_outside_the_root(runtime, tmp_path):
    # a state.json planted next to the root, naming a process of ours
    victim = subprocess.Popen(["sleep", "600"])
    try:
        os.makedirs(runtime.root, exist_ok=True)
        fake = tmp_path / "planted"
        fake.mkdir()
        (fake / "state.json").write_text(json.dumps({
            "id": "planted", "pid": victim.pid, "bundle": str(tmp_path), "rootfs": str(tmp_path),
            "created": "2020-01-01T00:00:00Z", "owner": 0, "started": True, "cgroup_path": "/kapsel/planted"}))
        for cmd in (("state", "../planted"), ("kill", "../planted", "KILL"), ("delete", "--force", "../planted"),
                    ("start", "../planted")):
            r = runtime(*cmd)
            assert r.rc != 0 and "container id" in r.err, (cmd, r)
        assert victim.poll() is None, "a process named by a planted state was killed"
        assert (fake / "state.json").exists()
    finally:
        victim.kill()
        victim.wait()


def test_an_id_in_use_is_refused(bundle, runtime):
    bundle.args("/bin/probe", "sleep", "600")
    assert bundle.create().rc == 0
    pid = runtime.state(bundle.id)["pid"]
    for cmd in ("create", "run"):
        r = runtime(cmd, "--bundle", bundle.path, bundle.id)
        assert r.rc != 0 and "already exists" in r.err, r
    # the first one is untouched
    st = runtime.state(bundle.id)
    assert st["status"] == "created" and st["pid"] == pid
    assert runtime("delete", bundle.id).rc == 0


LONG_ID_BUG = ("BUG: src/lib/oci/state.c kid_validate() accepts ids up to KID_MAX = 1024 bytes (and "
               "docs/kapsel-runtime.md promises 1024), but the state dir is <root>/<id>, and a name over "
               "NAME_MAX (255) cannot be created: an id of 256..1024 bytes fails with 'create <root>/<id>: "
               "File name too long'. Expected: such an id works, or the limit is 255 and the error says "
               "'container id is longer than 255 bytes'")


def test_the_longest_documented_id_works(bundle, runtime):
    cid = "x" * 1024
    bundle.args("/bin/true")
    bundle.write()
    r = runtime("create", "--bundle", bundle.path, cid)
    try:
        assert r.rc == 0 or "container id is longer than" in r.err, r
    finally:
        runtime("delete", "--force", cid)


def test_id_of_255_bytes_works(bundle, runtime):
    cid = "x" * 255
    bundle.args("/bin/true")
    bundle.write()
    assert runtime("create", "--bundle", bundle.path, cid).rc == 0
    assert runtime.state(cid)["id"] == cid
    assert runtime("delete", cid).rc == 0
    assert runtime.ids() == []


LOG_INJECTION_BUG = ("BUG: src/lib/common/log.c klog() text format writes the message as is: a container id "
                     "or a config string with a newline (e.g. create $'x\\n2030-01-01T00:00:00Z info: "
                     "container \"web\" started') forges a whole line in the --log file. Expected: control "
                     "characters are escaped (as the json format does), one event = one line")


def test_text_log_lines_cannot_be_forged(bundle, runtime, tmp_path):
    log = tmp_path / "runtime.log"
    forged = "2030-01-01T00:00:00.000000000Z info: container \"web\" started"
    bundle.args("/bin/true")
    bundle.config["process"]["capabilities"]["bounding"] = ["CAP_X\n" + forged]
    bundle.write()
    runtime("create", "--bundle", bundle.path, "x\n" + forged, glob=("--log", str(log)))
    runtime("create", "--bundle", bundle.path, bundle.id, glob=("--log", str(log)))
    lines = log.read_text().splitlines()
    assert len(lines) == 2, lines
    assert not any(line.startswith("2030-") for line in lines), lines


# ---------------------------------------------------------------- CVE-2024-21626


LEAKY = {n: "/" for n in range(3, 9)}  # the host's / on fds 3..8, as a careless caller would leave them


@pytest.mark.parametrize("cwd", [f"/proc/self/fd/{n}" for n in range(3, 9)] +
                         ["/proc/self/cwd", "/proc/self/root", "/proc/1/cwd", "/proc/self/fd/5/.."])
def test_cwd_through_a_leaked_fd(bundle, runtime, cwd):
    bundle.config["process"]["cwd"] = cwd
    bundle.args("/bin/probe", "try", "cwd-escape")
    bundle.write()
    r = run_with_fds(runtime, ("run", "--bundle", bundle.path, bundle.id), LEAKY)
    if r.rc == 0:
        res = json.loads(r.out)
        assert res["ok"] and res["reaches_root"], res
    else:
        assert "process.cwd" in r.err, r
        assert r.out == ""  # the program never ran
    assert leftovers(runtime, bundle.id) == []


@pytest.mark.parametrize("prog", ["/proc/self/fd/4/usr/bin/id", "/proc/self/fd/4/../../../usr/bin/id",
                                  "/bin/evil", "evil"])
def test_program_through_a_leaked_fd_is_not_run(tmp_path, rootfs, make_bundle, runtime, prog):
    root = copy_rootfs(rootfs, tmp_path / "r")
    os.symlink("/proc/self/fd/4/usr/bin/id", os.path.join(root, "bin", "evil"))
    b = make_bundle(root)
    b.args(prog)
    b.write()
    r = run_with_fds(runtime, ("run", "--bundle", b.path, b.id), LEAKY)
    assert r.rc != 0 and r.out == "", r
    assert "exec" in r.err and prog in r.err, r
    assert leftovers(runtime, b.id) == []


def test_no_fd_of_the_caller_or_the_runtime_reaches_the_container(bundle, runtime, tmp_path):
    bundle.args("/bin/probe", "try", "fd-scan")
    bundle.write()
    log = tmp_path / "log"
    for glob in ((), ("--log", str(log)), ("--log", str(log), "--log-format", "json", "--debug")):
        r = run_with_fds(runtime, ("run", "--bundle", bundle.path, bundle.id), LEAKY, glob=glob)
        assert r.rc == 0, (glob, r)
        scan = json.loads(r.out)
        assert scan["ok"] and scan["fds"] == [], (glob, scan)
    assert log.exists()
    # also with a terminal-less detached container, and in a process the
    # init started (inherits the init's table)
    bundle.args("/bin/sh", "-c", "/bin/probe try fd-scan; (/bin/probe try fd-scan)")
    bundle.write()
    r = run_with_fds(runtime, ("run", "--bundle", bundle.path, bundle.id), LEAKY, glob=("--log", str(log)))
    assert r.rc == 0, r
    for line in r.out.splitlines():
        assert json.loads(line)["fds"] == []


def test_preserve_fds_passes_exactly_those(bundle, runtime, tmp_path):
    bundle.args("/bin/probe", "try", "fd-scan")
    bundle.write()
    r = run_with_fds(runtime, ("run", "--preserve-fds", "1", "--bundle", bundle.path, bundle.id), LEAKY,
                     glob=("--log", str(tmp_path / "log")))
    assert r.rc == 1, r  # fd-scan fails: fd 3 is open, on purpose
    scan = json.loads(r.out)
    assert [f["fd"] for f in scan["fds"]] == [3], scan
    assert scan["fds"][0]["target"] == "/"  # the caller's fd 3 (the host's /, as the caller chose)


def test_preserve_fds_over_closed_slots_hands_over_nothing_of_the_runtime(bundle, runtime, tmp_path):
    # the caller's fds 3 and 4 are closed (subprocess closes them): the
    # runtime's own fds (its procfs handle, the exec fifo, its log) must not
    # land there and be handed to the container as "preserved"
    bundle.args("/bin/probe", "try", "fd-scan")
    bundle.write()
    for glob, why in (((), "is not open"), (("--log", str(tmp_path / "log")), "is the runtime's own log file")):
        cid = bundle.id + str(len(glob))
        r = runtime("run", "--preserve-fds", "2", "--bundle", bundle.path, cid, glob=glob)
        assert r.rc != 0 and "--preserve-fds 2: fd 3 " + why in r.err, r
        assert '"fds"' not in r.out, r  # the probe never ran
        assert leftovers(runtime, cid) == []


# ---------------------------------------------------------------- inside a default container

ATTACKS = [
    # (probe command, errnos it may fail with)
    ("try mount tmpfs /tmp tmpfs", {1}),
    ("try mount /proc /tmp none", {1}),
    ("try umount /proc", {1}),
    ("try remount-rw /", {1}),
    ("try mknod /tmp/null", {1}),
    ("try raise-cap CAP_SYS_ADMIN", {1}),
    ("try raise-cap CAP_DAC_OVERRIDE", {1}),
    ("try ambient-raise CAP_NET_BIND_SERVICE", {1}),
    ("try setuid 0", {1}),
    ("try setgid 0", {1}),
    ("try unshare user", {1}),
    ("try unshare mnt", {1}),
    ("try unshare net", {1}),
    ("try setns /proc/self/ns/mnt", {1}),
    ("try keyctl", {1}),
    ("try bpf", {1}),
    ("try perf", {1}),
    ("try ptrace 1", {1}),
    ("try syscall 101 16 1", {1}),  # ptrace(PTRACE_ATTACH, 1)
    ("try syscall 310 1 0 1 0 1 0", {1}),  # process_vm_readv
    ("try syscall 304 0 0 0", {1}),  # open_by_handle_at
    ("try syscall 425 8 0", {1}),  # io_uring_setup
    ("try syscall 169 0 0 0 0", {1}),  # reboot
    ("try syscall 175 0 0 0", {1}),  # init_module
    ("try sysctl kernel.hostname pwned", {1, 13, 30}),
    ("try sysctl kernel/core_pattern '|/pwn'", {1, 13, 30}),
    ("try sethostname pwned", {1}),
    ("try chroot /tmp", {1}),
    ("try write /pwned", {13, 30}),
    ("try write /bin/pwned", {13, 30}),
    ("try write /etc/passwd", {13, 30}),
    ("try write /proc/sysrq-trigger", {13, 30} if os.path.exists("/proc/sysrq-trigger") else {2}),
    ("try write /proc/sys/kernel/core_pattern", {13, 30}),
    ("try write /sys/kernel/uevent_helper", {13, 30}),
    ("try write /sys/fs/cgroup/pids/cgroup.procs", {13, 30}),
    ("try kill -1 KILL", {3}),  # no other process to kill: the host's are not visible
]


@pytest.mark.parametrize("uid", [65534, 0])
def test_attacks_from_inside_a_default_container_fail(bundle, uid):
    bundle.config["process"]["user"] = {"uid": uid, "gid": uid}
    # (uid 0 is root already: setuid(0) would be no attack)
    attacks = [a for a in ATTACKS if not (uid == 0 and a[0] in ("try setuid 0", "try setgid 0"))]
    r, results = probe_lines(bundle, *(cmd for cmd, _ in attacks))
    failed = []
    for (cmd, errnos), res in zip(attacks, results):
        if res["ok"] or res["errno"] not in errnos:
            failed.append((cmd, res))
    assert failed == []


def test_masked_kernel_files_read_nothing(bundle):
    masked = [p for p in bundle.config["linux"]["maskedPaths"] if os.path.isfile(p)]
    assert masked, "no masked file on this host"
    r, results = probe_lines(bundle, *(f"try read {p}" for p in masked))
    for p, res in zip(masked, results):
        assert res["ok"] and res["bytes"] == 0, (p, res)
    dirs = [p for p in bundle.config["linux"]["maskedPaths"] if os.path.isdir(p) and os.listdir(p)]
    assert dirs
    bundle.args("/bin/sh", "-c", "for d in " + " ".join(dirs) + "; do ls -A $d | wc -l; done")
    r = bundle.run()
    assert r.out.split() == ["0"] * len(dirs), r


def test_host_devices_are_denied_by_the_device_cgroup(bundle):
    # the host's disk and a loop device, bound in as device nodes: nodes
    # that exist, on a mount that allows devices; the device cgroup says no
    disks = [d for d in ("/dev/vda", "/dev/sda", "/dev/nvme0n1", "/dev/loop0") if os.path.exists(d)]
    assert disks
    bundle.config["process"]["user"] = {"uid": 0, "gid": 0}
    for i, d in enumerate(disks):
        bundle.config["mounts"].append(bind(f"/dev/host{i}", d, "bind"))
    r, results = probe_lines(bundle, *(f"try open-dev /dev/host{i}" for i in range(len(disks))),
                             *(f"try read /dev/host{i}" for i in range(len(disks))))
    for res in results:
        assert not res["ok"] and res["errno"] == 1, res  # EPERM


# a regression test: the nodes used to be made after the init had joined its
# cgroup, whose device rules denied the mknod itself
def test_config_device_without_allow_rule_exists_but_cannot_be_opened(bundle):
    bundle.config["process"]["user"] = {"uid": 0, "gid": 0}
    bundle.config["linux"]["devices"] = [{"path": "/dev/loop0", "type": "b", "major": 7, "minor": 0,
                                          "fileMode": 0o666}]
    r, (st, op) = probe_lines(bundle, "/bin/stat -c '\"%F %t:%T\"' /dev/loop0", "try open-dev /dev/loop0")
    assert st == "block special file 7:0"
    assert not op["ok"] and op["errno"] == 1, op


# ---------------------------------------------------------------- seccomp


def test_custom_seccomp_profile(bundle):
    bundle.config["linux"]["seccomp"] = {
        "defaultAction": "SCMP_ACT_ALLOW",
        "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"],
        "syscalls": [{"names": ["getcwd"], "action": "SCMP_ACT_ERRNO", "errnoRet": 38}],
    }
    r, (getcwd, getpid, unshare, info) = probe_lines(bundle, "try syscall 79 0 0", "try syscall 39",
                                                     "try unshare user", "info")
    assert not getcwd["ok"] and getcwd["errno"] == 38, getcwd
    assert getpid["ok"], getpid
    assert unshare["ok"], unshare  # allowed by this profile (the default one denies it)
    assert info["seccomp"] == 2


def test_default_seccomp_profile_denies(bundle):
    r, (user, keyctl, clone3, getcwd, getppid) = probe_lines(
        bundle, "try unshare user", "try keyctl", "try syscall 435 0 0", "try syscall 79 0 0",
        "try syscall 110")
    assert not user["ok"] and user["errno"] == 1, user  # EPERM
    assert not keyctl["ok"] and keyctl["errno"] == 1, keyctl
    assert not clone3["ok"] and clone3["errno"] == 38, clone3  # ENOSYS: libc falls back to clone
    assert getcwd["errno"] != 1 and getppid["ok"], (getcwd, getppid)  # ordinary syscalls work
    # the control: without a profile the same process may create a user namespace
    del bundle.config["linux"]["seccomp"]
    r, (user,) = probe_lines(bundle, "try unshare user")
    assert user["ok"], user
