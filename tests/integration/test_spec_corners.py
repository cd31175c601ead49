"""Corners of the runtime-spec, side by side with runc and crun where they
are installed: the state prestart and createRuntime hooks read on stdin,
a config with no mount namespace, a mount namespace joined by path, what
the spec says MUST fail, and the sysfs of a user namespace on a network
namespace it does not own.  The expectations are the spec's and those
of the OCI runtime-tools validation programs (hooks_stdin, linux_ns_itype,
linux_ns_path); what runc 1.1 and crun 1.8 do differently is asserted as
measured, so a change in either shows."""
import json
import os
import shutil
import stat
import subprocess
import sys
import tempfile
import uuid

import pytest

from clients import umount_under
from conftest import RUNTIME, Runtime, cgroup_dirs, copy_rootfs

OTHERS = [n for n in ("runc", "crun") if shutil.which(n)]


def host_mounts(under):
    """The host's mount points at or below UNDER (the container's root: what
    a runtime mounts for it; the rest of the table is other tests' and
    daemons' business)."""
    with open("/proc/self/mountinfo") as f:
        points = [line.split()[4] for line in f]
    return sorted(m for m in points if m == under or m.startswith(under.rstrip("/") + "/"))


def hugetlb_on_v1():
    with open("/proc/self/mountinfo") as f:
        return any(" - cgroup " in line and "hugetlb" in line.split(" - ")[1] for line in f)


@pytest.fixture(scope="module")
def crun_ready(tmp_path_factory):
    """Debian's crun 1.8 refuses a hybrid cgroup layout whose hugetlb is
    on cgroup2 only; binding hugetlb to a v1 hierarchy (for this module,
    then undone) lets it run."""
    mounted = None
    if "crun" in OTHERS and os.path.isdir("/sys/fs/cgroup/unified") and not hugetlb_on_v1():
        # named as the controller: runc reads a v1 hierarchy's name from it
        mounted = str(tmp_path_factory.mktemp("cg") / "hugetlb")
        os.mkdir(mounted)
        subprocess.run(["mount", "-t", "cgroup", "-o", "hugetlb", "none", mounted], check=True)
    yield
    if mounted:
        subprocess.run(["umount", mounted], check=True)


def misnamed_v1_hierarchy():
    """A v1 hierarchy mounted under a name that is not its controller's
    (another test's crun workaround): runc 1.1 then fails every container."""
    with open("/proc/self/mountinfo") as f:
        for line in f:
            fields, sb = line.split(" - ")
            mp = fields.split()[4]
            if sb.startswith("cgroup ") and not mp.startswith("/sys/fs/cgroup/") and \
                    os.path.basename(mp) not in sb.split()[2].split(","):
                return mp
    return None


@pytest.fixture
def runtimes(runtime, bundle, tmp_path, crun_ready):
    """kapsel-runtime (under the permissive test policy) and the others,
    each with a state root of its own, for BUNDLE.  What the others leave
    mounted below the test's directory is detached afterwards."""
    bundle.config["ociVersion"] = "1.0.2"  # the newest crun 1.8 knows
    rts = {"kapsel": runtime}
    bad = misnamed_v1_hierarchy()
    for n in OTHERS:
        if n == "runc" and bad:
            print(f"runc left out: the cgroup v1 hierarchy at {bad} makes it fail")
            continue
        rts[n] = Runtime(str(tmp_path / f"state-{n}"), binary=shutil.which(n), policy=None)
    yield rts
    for n, rt in rts.items():
        if n != "kapsel":
            for cid in rt.ids():
                rt("delete", "--force", cid)
    umount_under(str(tmp_path))


def marked_rootfs(rootfs, tmp_path):
    """A private rootfs with /marker in it: who reads it runs in there."""
    d = copy_rootfs(rootfs, tmp_path / "rootfs-marked")
    with open(os.path.join(d, "marker"), "w") as f:
        f.write("inside the container's root\n")
    return d


# ---- (a) prestart and createRuntime hooks read the state, status "created" ----

# runtime-tools' hooks_stdin expects "created"; crun passes it; runc 1.1
# passes "creating"
HOOK_STATUS = {"kapsel": "created", "crun": "created", "runc": "creating"}


def test_prestart_and_create_runtime_hooks_read_status_created(bundle, runtimes, tmp_path):
    for name, rt in runtimes.items():
        out = tmp_path / f"hooks-{name}"
        out.mkdir()
        bundle.config["hooks"] = {
            h: [{"path": "/bin/sh", "args": ["sh", "-c", f"cat > {out}/{h}"]}] for h in ("prestart", "createRuntime")}
        bundle.config["annotations"] = {"org.opencontainers.runtime-tools": "hook stdin test"}
        bundle.args("/bin/true")
        bundle.write()
        cid = bundle.id + name
        r = rt("create", "--bundle", bundle.path, cid)
        assert r.rc == 0, (name, r)
        pid = rt.state(cid)["pid"]
        for h in ("prestart", "createRuntime"):
            st = json.load(open(out / h))
            assert st["status"] == HOOK_STATUS[name], (name, h, st)
            assert st["id"] == cid and st["pid"] == pid and st["bundle"] == bundle.path, (name, h, st)
            if name != "runc":  # runc 1.1 leaves the annotations out
                assert st["annotations"] == {"org.opencontainers.runtime-tools": "hook stdin test"}, (name, st)
        assert rt("delete", "--force", cid).rc == 0


# ---- (b) no mount namespace: the runtime's is inherited ----

def no_mount_ns(bundle, root):
    c = bundle.config
    c["root"] = {"path": root, "readonly": False}
    c["linux"]["namespaces"] = [n for n in c["linux"]["namespaces"] if n["type"] != "mount"]
    for k in ("maskedPaths", "readonlyPaths", "rootfsPropagation", "devices", "sysctl"):
        c["linux"].pop(k, None)
    c["mounts"] = []


def test_no_mount_namespace_inherits_the_runtimes(bundle, runtimes, rootfs, tmp_path):
    root = marked_rootfs(rootfs, tmp_path)
    no_mount_ns(bundle, root)
    bundle.args("/bin/cat", "/marker")
    bundle.write()
    before = host_mounts(root)
    for name, rt in runtimes.items():
        # as runtime-tools' linux_ns_itype checks it: from outside, after create
        cid = bundle.id + name
        r = rt("create", "--bundle", bundle.path, cid)
        if name == "runc":
            # runc 1.1 needs a /proc in the root it cannot mount here
            assert r.rc == 1 and "open /proc/self/fd: no such file or directory" in r.err, r
            continue
        assert r.rc == 0, (name, r)
        pid = rt.state(cid)["pid"]
        assert os.readlink(f"/proc/{pid}/ns/mnt") == os.readlink("/proc/self/ns/mnt"), name
        assert os.readlink(f"/proc/{pid}/root") == root, name
        assert rt("delete", "--force", cid).rc == 0
        # and the program runs in the root
        r = rt("run", "--bundle", bundle.path, cid)
        assert r.rc == 0 and r.out == "inside the container's root\n", (name, r)
        if name == "kapsel":
            assert host_mounts(root) == before
        else:
            # crun 1.8 may leave its bind of the root in the host's mount table
            umount_under(root)


def test_no_mount_namespace_with_mounts_is_refused_and_the_host_is_untouched(bundle, runtimes, rootfs, tmp_path):
    root = marked_rootfs(rootfs, tmp_path)
    spec_mounts = list(bundle.config["mounts"])
    masked = bundle.config["linux"]["maskedPaths"]
    before = host_mounts(root)
    cases = [("mounts", {"mounts": spec_mounts}), ("linux.maskedPaths", {"maskedPaths": masked}),
             ("root.readonly", {"readonly": True}), ("linux.sysctl", {"sysctl": {"kernel.shmmax": "4096"}})]
    for field, change in cases:
        no_mount_ns(bundle, root)
        if "mounts" in change:
            bundle.config["mounts"] = change["mounts"]
        elif "readonly" in change:
            bundle.config["root"]["readonly"] = True
        else:
            bundle.config["linux"].update(change)
        bundle.args("/bin/true")
        bundle.write()
        r = runtimes["kapsel"]("run", "--bundle", bundle.path, bundle.id)
        assert r.rc == 1, (field, r)
        assert f"config.json: {field}: with no mount namespace it would change the runtime's mount table" in r.err, r
        assert host_mounts(root) == before, field
        assert runtimes["kapsel"].ids() == [] and not cgroup_dirs("/kapsel/" + bundle.id)
    # runc (masked paths aside, which it refuses) and crun mount the
    # config's mounts into the host's mount table and leave them there
    no_mount_ns(bundle, root)
    bundle.config["mounts"] = spec_mounts
    bundle.write()
    for name in [n for n in runtimes if n != "kapsel"]:
        rt = runtimes[name]
        r = rt("run", "--bundle", bundle.path, bundle.id + name)
        assert r.rc == 0, (name, r)
        left = host_mounts(root)
        assert left, name
        umount_under(root)
        assert host_mounts(root) == before, name


def test_builtin_policy_refuses_the_hosts_mount_namespace(bundle, rootfs, tmp_path):
    if os.path.exists("/etc/kapsel/policy.conf") or os.environ.get("KAPSEL_POLICY"):
        pytest.skip("a policy file is installed here: the built-in policy does not apply")
    no_mount_ns(bundle, marked_rootfs(rootfs, tmp_path))
    bundle.args("/bin/true")
    bundle.write()
    r = Runtime(bundle.runtime.root, policy=None)("run", "--bundle", bundle.path, bundle.id)
    assert r.rc == 1 and "[B14 host-mount]" in r.err and "no mount namespace: the host's is shared" in r.err, r


# ---- (c) a mount namespace joined by path gets the container's root ----

class Unshared:
    """A process in a mount namespace of its own (`unshare --mount`)."""

    def __enter__(self):
        self.p = subprocess.Popen(["unshare", "--mount", "sh", "-c", "echo ready; exec sleep 1000"],
                                  stdout=subprocess.PIPE, text=True)
        assert self.p.stdout.readline() == "ready\n"
        self.ns = f"/proc/{self.p.pid}/ns/mnt"
        assert os.readlink(self.ns) != os.readlink("/proc/self/ns/mnt")
        return self

    def __exit__(self, *exc):
        self.p.kill()
        self.p.wait()


def test_mount_namespace_joined_by_path_gets_the_root(bundle, runtimes, rootfs, tmp_path):
    root = marked_rootfs(rootfs, tmp_path)
    bundle.config["root"]["path"] = root
    before = host_mounts(root)
    for name, rt in runtimes.items():
        with Unshared() as u:
            bundle.config["linux"]["namespaces"] = [
                n if n["type"] != "mount" else {"type": "mount", "path": u.ns}
                for n in bundle.config["linux"]["namespaces"]]
            bundle.args("/bin/sh", "-c", "cat /marker; grep -c ' /proc ' /proc/self/mountinfo")
            bundle.write()
            cid = bundle.id + name
            r = rt("create", "--bundle", bundle.path, cid)
            assert r.rc == 0, (name, r)
            pid = rt.state(cid)["pid"]
            assert os.readlink(f"/proc/{pid}/ns/mnt") == os.readlink(u.ns), name
            assert rt("delete", "--force", cid).rc == 0
        with Unshared() as u:
            bundle.config["linux"]["namespaces"] = [
                n if n["type"] != "mount" else {"type": "mount", "path": u.ns}
                for n in bundle.config["linux"]["namespaces"]]
            bundle.write()
            r = rt("run", "--bundle", bundle.path, cid)
            # the program runs in the container's root, with its /proc
            assert r.rc == 0 and r.out == "inside the container's root\n1\n", (name, r)
        # what was mounted, was mounted in the joined namespace
        assert host_mounts(root) == before, name


# ---- (d) what the spec says MUST fail ----

def test_unknown_capability_is_an_error(bundle, runtimes):
    # config.md: a value that cannot be mapped to a kernel interface MUST
    # be an error.  runc 1.1 warns and ignores it, crun 1.8 ignores it.
    bundle.config["process"]["capabilities"]["bounding"].append("CAP_FOO")
    bundle.args("/bin/true")
    bundle.write()
    for name, rt in runtimes.items():
        r = rt("run", "--bundle", bundle.path, bundle.id + name)
        if name == "kapsel":
            assert r.rc == 1 and 'process.capabilities.bounding' in r.err and '"CAP_FOO"' in r.err, r
        else:
            assert r.rc == 0, (name, r)


def lsm_enabled():
    aa = "/sys/module/apparmor/parameters/enabled"
    return os.path.exists("/sys/fs/selinux/enforce") or (os.path.exists(aa) and open(aa).read().startswith("Y"))


@pytest.mark.parametrize("key,value", [("apparmorProfile", "docker-default"),
                                       ("selinuxLabel", "system_u:system_r:container_t:s0")])
def test_lsm_label_the_host_cannot_apply_is_an_error(bundle, runtimes, key, value):
    if lsm_enabled():
        pytest.skip("this host has an LSM")
    bundle.config["process"][key] = value
    bundle.args("/bin/true")
    bundle.write()
    for name, rt in runtimes.items():
        r = rt("run", "--bundle", bundle.path, bundle.id + name)
        assert r.rc != 0, (name, r)  # all three refuse it here
        if name == "kapsel":
            assert f"process.{key}" in r.err, r
        assert rt.ids() == [] or rt("delete", "--force", bundle.id + name).rc == 0


# ---- (e) a user namespace on a network namespace it does not own: /sys ----
#
# A sysfs shows the devices of the network namespace of whoever mounts it,
# and the kernel lets only a holder of CAP_SYS_ADMIN over that namespace's
# owner mount one: root of a new user namespace may not mount a sysfs of a
# namespace made in the host's (by `ip netns add`, a CNI plugin, another
# container).  kapsel-runtime makes it in the runtime instead, read-only;
# crun 1.8 binds the host's /sys there, runc 1.1 fails.

@pytest.fixture
def netns():
    """A network namespace made in the host's user namespace, as `ip netns
    add` (or a CNI plugin) makes one, with a device of its own: (path,
    the devices its sysfs lists).  Deleted afterwards."""
    name = "kt" + uuid.uuid4().hex[:10]
    subprocess.run(["ip", "netns", "add", name], check=True)
    try:
        # a dummy where the kernel has the driver, else a bridge
        for dev, kind in (("kdummy0", "dummy"), ("kbridge0", "bridge")):
            if subprocess.run(["ip", "-n", name, "link", "add", dev, "type", kind], capture_output=True).returncode == 0:
                break
        else:
            pytest.skip("neither a dummy nor a bridge device can be made here")
        yield f"/run/netns/{name}", sorted(["lo", dev])
    finally:
        subprocess.run(["ip", "netns", "delete", name], check=True)


@pytest.fixture
def reachable(bundle, tmp_path):
    """BUNDLE's root in a directory a user namespace's root can reach: runc
    and crun open it by path from inside the namespace (kapsel-runtime
    clones it while privileged)."""
    d = tempfile.mkdtemp(prefix="kapsel-sysfs-")
    os.chmod(d, 0o755)
    bundle.config["root"]["path"] = copy_rootfs(bundle.config["root"]["path"], os.path.join(d, "rootfs"))
    yield
    umount_under(d)
    shutil.rmtree(d, ignore_errors=True)


def with_namespaces(bundle, user=False, net="new"):
    """BUNDLE's container with a user namespace (0..65535 -> 300000..) or
    not, and the network namespace NET: "new", a path, or None (the
    runtime's); its program runs as root of it."""
    lx = bundle.config["linux"]
    lx["namespaces"] = [n for n in lx["namespaces"] if n["type"] not in ("user", "network")]
    if user:
        lx["namespaces"].append({"type": "user"})
        lx["uidMappings"] = lx["gidMappings"] = [{"containerID": 0, "hostID": 300000, "size": 65536}]
    if net == "new":
        lx["namespaces"].append({"type": "network"})
    elif net:
        lx["namespaces"].append({"type": "network", "path": net})
    bundle.config["process"]["user"] = {"uid": 0, "gid": 0}


# the devices, the device number of /sys, a write under /sys, what is mounted on /sys
SYSFS = ("ls /sys/class/net | tr '\\n' ' '; echo; stat -c %d /sys; touch /sys/kapsel-probe 2>&1 | tail -1;"
         "grep -E ' /sys(/| )' /proc/self/mountinfo")


def sysfs_seen(r):
    """What SYSFS printed: (devices, st_dev of /sys, the write's error, mountinfo lines of /sys and below)."""
    lines = r.out.splitlines()
    assert len(lines) >= 4, r
    return sorted(lines[0].split()), int(lines[1]), lines[2], lines[3:]


def run_sysfs(bundle, rt, cid):
    bundle.args("/bin/sh", "-c", SYSFS)
    bundle.write()
    return rt("run", "--bundle", bundle.path, cid)


def test_userns_on_a_joined_netns_gets_a_read_only_sysfs_of_that_namespace(bundle, runtimes, netns, reachable):
    path, devices = netns
    host = sorted(os.listdir("/sys/class/net"))
    assert host != devices  # the host has devices the namespace has not
    with_namespaces(bundle, user=True, net=path)
    for name, rt in runtimes.items():
        r = run_sysfs(bundle, rt, bundle.id + name)
        if name == "runc":
            # runc 1.1 tries mount(2) and fails
            assert r.rc == 1 and 'error mounting \\"sysfs\\" to rootfs at \\"/sys\\"' in r.err and \
                "operation not permitted" in r.err, r
            continue
        assert r.rc == 0, (name, r)
        seen, dev, write, mounts = sysfs_seen(r)
        assert write.endswith("Read-only file system"), (name, r)
        if name == "crun":
            # crun 1.8 binds the host's /sys: the host's devices, not the namespace's
            assert dev == os.stat("/sys").st_dev and "lo" in seen and not (set(devices) - {"lo"}) & set(seen), r
            continue
        # a sysfs of the namespace the container joined, not the host's bound
        assert seen == devices, r
        assert dev != os.stat("/sys").st_dev, r
        assert mounts[0].split()[4:6] == ["/sys", "ro,nosuid,nodev,noexec,relatime"], r
        assert " - sysfs sysfs " in mounts[0], r
        assert "warning" not in r.err, r


@pytest.mark.parametrize("user,net", [(False, "joined"), (True, "new")], ids=["no-userns-joined-netns", "userns-new-netns"])
def test_sysfs_the_container_mounts_itself_lists_its_namespace(bundle, runtimes, netns, reachable, user, net):
    """Without a user namespace (root of the host's mounts the sysfs of the
    joined namespace), or with a network namespace of its own: the
    container mounts its sysfs itself, as before, and it lists that
    namespace's devices."""
    path, devices = netns
    with_namespaces(bundle, user=user, net=path if net == "joined" else "new")
    for name, rt in runtimes.items():
        r = run_sysfs(bundle, rt, bundle.id + name)
        assert r.rc == 0, (name, r)
        seen, dev, write, _ = sysfs_seen(r)
        assert seen == (devices if net == "joined" else ["lo"]), (name, r)
        assert dev != os.stat("/sys").st_dev and write.endswith("Read-only file system"), (name, r)


def test_userns_on_the_runtimes_netns_gets_a_sysfs_of_its_own(bundle, runtime):
    """No network namespace listed: the container shares the runtime's, and
    its sysfs is a new one of that namespace (the host's devices, which are
    its own here), not the host's /sys bound with its submounts."""
    with_namespaces(bundle, user=True, net=None)
    r = run_sysfs(bundle, runtime, bundle.id)
    assert r.rc == 0, r
    seen, dev, write, mounts = sysfs_seen(r)
    assert "lo" in seen and set(seen) & set(os.listdir("/sys/class/net")) - {"lo"}, r
    # the same superblock as the host's (one sysfs per network namespace),
    # but a mount of its root alone: none of the host's submounts of /sys
    # (its cgroup tree), only what the config mounts there
    assert dev == os.stat("/sys").st_dev and write.endswith("Read-only file system"), r
    assert mounts[0].split()[3:5] == ["/", "/sys"] and " - sysfs sysfs " in mounts[0], r
    assert [m.split()[4] for m in mounts[1:]].count("/sys/fs/cgroup") == 1, r


NO_FSOPEN = """\
import ctypes, errno, os, sys
lib = ctypes.CDLL("libseccomp.so.2")
lib.seccomp_init.restype = ctypes.c_void_p
lib.seccomp_init.argtypes = [ctypes.c_uint32]
lib.seccomp_rule_add.argtypes = [ctypes.c_void_p, ctypes.c_uint32, ctypes.c_int, ctypes.c_uint]
lib.seccomp_load.argtypes = [ctypes.c_void_p]
ctx = lib.seccomp_init(0x7fff0000)  # SCMP_ACT_ALLOW
nr = lib.seccomp_syscall_resolve_name(b"fsopen")
assert lib.seccomp_rule_add(ctx, 0x00050000 | errno.EPERM, nr, 0) == 0  # SCMP_ACT_ERRNO(EPERM)
assert lib.seccomp_load(ctx) == 0
os.execv(%r, [%r] + sys.argv[1:])
"""


def test_runtime_that_cannot_make_the_sysfs_binds_the_hosts_read_only_and_says_so(bundle, runtime, netns, tmp_path):
    """The last resort: a runtime whose fsopen() is refused (a seccomp
    filter put on it here) cannot make the sysfs, and the container cannot
    either: the host's /sys is bound, read-only all through (its
    submounts too), and both steps are warnings naming why."""
    wrapper = tmp_path / "kapsel-runtime-no-fsopen"
    wrapper.write_text(f"#!{sys.executable}\n" + NO_FSOPEN % (RUNTIME, RUNTIME))
    wrapper.chmod(wrapper.stat().st_mode | stat.S_IXUSR)
    rt = Runtime(runtime.root, binary=str(wrapper))
    path, devices = netns
    with_namespaces(bundle, user=True, net=path)
    r = run_sysfs(bundle, rt, bundle.id)
    assert r.rc == 0, r
    assert "the runtime cannot make a sysfs of the container's network namespace (fsopen sysfs: Operation not " \
           "permitted)" in r.err, r
    assert "the host's /sys is bound read-only instead, whose /sys/class/net lists the host's network devices" \
        in r.err, r
    seen, dev, write, mounts = sysfs_seen(r)
    assert dev == os.stat("/sys").st_dev and "lo" in seen and not (set(devices) - {"lo"}) & set(seen), r
    assert write.endswith("Read-only file system"), r
    assert all(m.split()[5].startswith("ro,") for m in mounts), r


@pytest.mark.parametrize("target,msg", [("/proc/self/ns/uts", "is a uts namespace, not a network namespace"),
                                        ("/etc/hostname", "is not a namespace file")])
def test_userns_netns_path_that_is_not_a_network_namespace_is_refused(bundle, runtime, target, msg):
    """The path is opened once, by the runtime, and checked before its
    sysfs is made or it is joined."""
    with_namespaces(bundle, user=True, net=target)
    r = run_sysfs(bundle, runtime, bundle.id)
    assert r.rc == 1 and f"config.json: linux.namespaces: {target} {msg}" in r.err, r


def test_domainname_without_a_uts_namespace_is_refused_and_the_host_keeps_its_own(bundle, runtime):
    """setdomainname() in the runtime's own UTS namespace would rename the
    host's NIS domain (attack side: a config.json with domainname and no
    uts namespace; the test's policy is the permissive one, so only this
    check stands in the way)."""
    before = os.getdomainname() if hasattr(os, "getdomainname") else open("/proc/sys/kernel/domainname").read()
    bundle.config["linux"]["namespaces"] = [n for n in bundle.config["linux"]["namespaces"] if n["type"] != "uts"]
    bundle.config.pop("hostname", None)
    bundle.config["domainname"] = "kapsel-owned"
    bundle.args("/bin/true")
    bundle.write()
    r = runtime("run", "--bundle", bundle.path, bundle.id)
    assert r.rc != 0 and "domainname" in r.err and "uts namespace" in r.err, r
    after = os.getdomainname() if hasattr(os, "getdomainname") else open("/proc/sys/kernel/domainname").read()
    assert after == before
