"""Corners of the runtime-spec, side by side with runc and crun where they
are installed: the state prestart and createRuntime hooks read on stdin,
a config with no mount namespace, a mount namespace joined by path, and
what the spec says MUST fail.  The expectations are the spec's and those
of the OCI runtime-tools validation programs (hooks_stdin, linux_ns_itype,
linux_ns_path); what runc 1.1 and crun 1.8 do differently is asserted as
measured, so a change in either shows."""
import json
import os
import shutil
import subprocess

import pytest

from clients import umount_under
from conftest import Runtime, cgroup_dirs, copy_rootfs

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
