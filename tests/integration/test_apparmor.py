"""AppArmor for real (tests/vm: Debian's kernel boots with it): every
container gets kapsel-default unless its config names a profile, the
profile denies what it says from inside the container (each denial seen in
the kernel's log as apparmor="DENIED"), ordinary programs run, a missing
profile is a clear error, and neither a config nor a hostile rootfs can
redirect the write that applies the profile.  Skipped where the kernel has
no AppArmor (tests/integration/test_lsm.py covers that host)."""
import json
import os
import re
import shutil
import subprocess
import time
import uuid

import pytest

from conftest import BUILD, PERMISSIVE_POLICY, REPO, RUNTIME, Runtime, cgroup_dirs, copy_rootfs

SECFS = "/sys/kernel/security/apparmor"
PROFILE_FILE = "/etc/apparmor.d/kapsel-default"
RECORD = "/run/kapsel/apparmor/kapsel-default.loaded"
PARSER = shutil.which("apparmor_parser") or "/usr/sbin/apparmor_parser"
RACER = os.path.join(BUILD, "tests", "racer")


def host_has_apparmor():
    try:
        with open("/sys/module/apparmor/parameters/enabled") as f:
            return f.read().startswith("Y")
    except OSError:
        return False


pytestmark = [
    pytest.mark.skipif(not host_has_apparmor(), reason="the kernel has no AppArmor"),
    pytest.mark.skipif(not os.path.isdir(SECFS), reason="securityfs is not mounted"),
    pytest.mark.skipif(not os.path.exists(PARSER), reason="apparmor_parser is not installed"),
]


def loaded_profiles():
    """{name: mode} as securityfs lists them."""
    out = {}
    base = os.path.join(SECFS, "policy", "profiles")
    for d in os.listdir(base):
        with open(os.path.join(base, d, "name")) as f, open(os.path.join(base, d, "mode")) as m:
            out[f.read().strip()] = m.read().strip()
    return out


def kernel_log():
    return subprocess.run(["dmesg"], capture_output=True, text=True, check=True).stdout.splitlines()


class Denials:
    """The kernel's AppArmor denials logged since the object was made."""

    def __init__(self):
        self.start = len(kernel_log())

    def lines(self, profile="kapsel-default"):
        return [ln for ln in kernel_log()[self.start:]
                if 'apparmor="DENIED"' in ln and f'profile="{profile}"' in ln]

    def wait_for(self, *needles, profile="kapsel-default"):
        # the audit messages reach the log from kauditd, a moment after the
        # syscall returned: wait for them, never longer than 10 s
        deadline = time.monotonic() + 10
        while True:
            got = self.lines(profile)
            missing = [n for n in needles if not any(n in ln for ln in got)]
            if not missing or time.monotonic() > deadline:
                return missing, got
            time.sleep(0.1)


@pytest.fixture(scope="module")
def installed():
    """The profile where meson install puts it (tests/vm/run.sh installs it
    in the guest, as `meson install` does)."""
    if not os.path.exists(PROFILE_FILE):
        pytest.skip(f"{PROFILE_FILE} is not installed (meson install)")
    with open(PROFILE_FILE) as a, open(os.path.join(REPO, "data", "apparmor", "kapsel-default")) as b:
        assert a.read() == b.read(), f"{PROFILE_FILE} is not this checkout's data/apparmor/kapsel-default"


@pytest.fixture
def baseline(tmp_path):
    """The built-in policy's levels (baseline enforced, action fix), logging
    to a file of the test's own."""
    conf = tmp_path / "baseline.conf"
    conf.write_text(f"[policy]\nenforce = baseline\nwarn = baseline\naudit = restricted\n"
                    f"log = {tmp_path}/decisions.log\nsyslog = no\n")
    rt = Runtime(str(tmp_path / "state-baseline"), policy=str(conf))
    yield rt
    for cid in rt.ids():
        rt("delete", "--force", cid)
    assert rt.ids() == []


def confined(bundle, profile="kapsel-default"):
    bundle.config["process"]["apparmorProfile"] = profile
    return bundle


def add_caps(bundle, *caps):
    c = bundle.config["process"]["capabilities"]
    for k in ("bounding", "effective", "permitted"):
        c[k] = sorted(set(c.get(k, [])) | set(caps))


def test_default_container_runs_under_kapsel_default(installed, baseline, bundle, tmp_path):
    """No profile in the config: the built-in policy fills in kapsel-default
    (a fix, logged), kapsel-runtime loads it if needed, the kernel says the
    container runs under it."""
    b = bundle
    b.runtime = baseline
    b.config["process"].pop("apparmorProfile", None)
    b.args("/bin/cat", "/proc/self/attr/current")
    r = b.run()
    assert r.rc == 0 and r.out == "kapsel-default (enforce)\n", r
    assert "policy fix: B16: applied AppArmor profile kapsel-default" in r.err, r
    assert loaded_profiles().get("kapsel-default") == "enforce"
    with open(tmp_path / "decisions.log") as f:
        d = json.loads(f.read().splitlines()[-1])
    assert "B16: applied AppArmor profile kapsel-default" in d["changes"], d
    # the runtime recorded what it loaded: the file's hash, the kernel's
    with open(RECORD) as f:
        rec = f.read().split()
    assert len(rec) == 2 and len(rec[0]) == 64 and len(rec[1]) == 40, rec


def test_features_say_apparmor_is_on(installed):
    r = subprocess.run([RUNTIME, "features"], capture_output=True, text=True, check=True)
    ann = json.loads(r.stdout)["annotations"]
    assert ann["io.kapsel.apparmor.host"] == "enabled"
    assert ann["io.kapsel.apparmor.defaultProfile"] == "kapsel-default"


def test_an_updated_profile_is_reloaded(installed, runtime, bundle, tmp_path):
    """The profile file changed since kapsel-runtime loaded it: the next
    container start loads it again (the kernel's copy changes), the one
    after that does not."""
    confined(bundle).args("/bin/true")
    assert bundle.run().rc == 0
    with open(RECORD) as f:
        before = f.read().split()
    saved = tmp_path / "saved"
    shutil.copy(PROFILE_FILE, saved)
    try:
        with open(PROFILE_FILE) as f:
            text = f.read()
        # one more rule: a different compiled policy
        with open(PROFILE_FILE, "w") as f:
            f.write(text.replace("  audit deny capability mac_override,\n",
                                 "  audit deny capability mac_override,\n  audit deny capability syslog,\n"))
        bundle.id = "t" + uuid.uuid4().hex[:12]
        assert bundle.run().rc == 0
        with open(RECORD) as f:
            after = f.read().split()
        assert after[0] != before[0] and after[1] != before[1], (before, after)
        mtime = os.stat(RECORD).st_mtime_ns
        bundle.id = "t" + uuid.uuid4().hex[:12]
        assert bundle.run().rc == 0
        assert os.stat(RECORD).st_mtime_ns == mtime, "reloaded although nothing changed"
    finally:
        shutil.copy(saved, PROFILE_FILE)
        bundle.id = "t" + uuid.uuid4().hex[:12]
        assert bundle.run().rc == 0  # back to the checkout's profile
    with open(RECORD) as f:
        assert f.read().split() == before


def test_complain_mode_is_put_back_to_enforce(installed, runtime, bundle):
    """Someone switched kapsel-default to complain mode (it would log what it
    must deny): the next create reloads it from its file, in enforce mode."""
    subprocess.run([PARSER, "--complain", "--replace", PROFILE_FILE], check=True, capture_output=True)
    assert loaded_profiles().get("kapsel-default") == "complain"
    confined(bundle).args("/bin/cat", "/proc/self/attr/current")
    r = bundle.run()
    assert r.rc == 0 and r.out == "kapsel-default (enforce)\n", r
    assert loaded_profiles().get("kapsel-default") == "enforce"


def test_denied_from_inside(installed, runtime, bundle):
    """With CAP_SYS_ADMIN added and the runtime's other walls taken down
    (no seccomp filter, /proc/sysrq-trigger not read-only), AppArmor alone
    denies a mount, a write to /proc/sysrq-trigger, a read of
    /sys/kernel/security, a write to a host sysctl, loading a module; each
    denial is in the kernel's log.  What a program does (files, a net
    sysctl of its own namespace, a process, signals) works."""
    confined(bundle)
    add_caps(bundle, "CAP_SYS_ADMIN", "CAP_SYS_MODULE")
    lx = bundle.config["linux"]
    lx.pop("seccomp", None)
    lx["readonlyPaths"] = [p for p in lx.get("readonlyPaths", []) if p not in ("/proc/sysrq-trigger", "/proc/sys")]
    bundle.config["root"]["readonly"] = True
    bundle.config["process"]["user"] = {"uid": 0, "gid": 0}
    script = "; ".join([
        "mount -t tmpfs none /tmp 2>/dev/null; echo mount=$?",
        "umount /proc 2>/dev/null; echo umount=$?",
        "echo h > /proc/sysrq-trigger 2>/dev/null; echo sysrq=$?",
        "ls /sys/kernel/security >/dev/null 2>&1; echo secfs=$?",
        "echo 1 > /proc/sys/kernel/core_pattern 2>/dev/null; echo core_pattern=$?",
        "cat /proc/kcore >/dev/null 2>&1; echo kcore=$?",
        # the normal actions
        "echo '0 0' > /proc/sys/net/ipv4/ping_group_range; echo net_sysctl=$?",
        "echo 1 > /proc/sys/kernel/shm_rmid_forced; echo ipc_sysctl=$?",
        "echo x > /dev/shm/f && cat /dev/shm/f >/dev/null; echo file=$?",
        "sh -c 'kill -TERM $$' ; echo signal=$?",
        "ls / >/dev/null; echo ls=$?",
        "cat /proc/self/attr/current",
    ])
    bundle.args("/bin/sh", "-c", script)
    d = Denials()
    r = bundle.run()
    assert r.rc == 0, r
    got = dict(ln.split("=", 1) for ln in r.out.splitlines() if "=" in ln and " " not in ln)
    for k in ("mount", "umount", "sysrq", "secfs", "core_pattern", "kcore"):
        assert got.get(k) not in (None, "0"), (k, r.out)
    assert got["net_sysctl"] == "0" and got["ipc_sysctl"] == "0" and got["file"] == "0" and got["ls"] == "0", r.err + "\n".join(d.lines())
    assert got["signal"] == "143", r.out
    assert "kapsel-default (enforce)" in r.out.splitlines()
    missing, lines = d.wait_for('operation="mount"', 'name="/proc/sysrq-trigger"', 'name="/sys/kernel/security/"',
                                'name="/proc/sys/kernel/core_pattern"', 'name="/proc/kcore"', 'operation="umount"')
    assert not missing, (missing, lines)


def test_finit_module_result_is_a_denial(installed, runtime, bundle):
    """finit_module with CAP_SYS_MODULE granted fails with EPERM from
    AppArmor's capability check (the probe reports the errno)."""
    confined(bundle)
    add_caps(bundle, "CAP_SYS_MODULE")
    bundle.config["linux"].pop("seccomp", None)
    bundle.config["process"]["user"] = {"uid": 0, "gid": 0}
    d = Denials()
    r, out = bundle.probe("try", "syscall", "313", "0", "0", "0")
    assert not out["ok"] and out["errno"] == 1, out
    missing, lines = d.wait_for('capname="sys_module"')
    assert not missing, lines


def test_a_server_and_python_run_confined(installed, runtime, bundle, tmp_path):
    """A Python interpreter (the guest's /usr, bound in read-only) binds a
    port on the container's loopback and talks to itself."""
    root = copy_rootfs(bundle.config["root"]["path"], tmp_path / "py-root")
    bundle.config["root"]["path"] = root
    for d in ("/usr", "/lib", "/lib64"):
        if os.path.islink(d):  # merged /usr: the same symlink in the container
            os.symlink(os.readlink(d), root + d)
        elif os.path.isdir(d):
            os.makedirs(root + d, exist_ok=True)
            bundle.config["mounts"].append({"destination": d, "type": "bind", "source": d,
                                            "options": ["rbind", "ro", "nosuid", "nodev"]})
    code = ("import socket\n"
            "s = socket.socket(); s.bind(('127.0.0.1', 8080)); s.listen()\n"
            "c = socket.create_connection(('127.0.0.1', 8080)); a, _ = s.accept()\n"
            "c.sendall(b'ping'); print(a.recv(4).decode(), open('/proc/self/attr/current').read().strip())\n")
    # the runtime leaves the new network namespace's loopback down (as runc
    # does: a network plugin's job); the container brings it up itself
    add_caps(bundle, "CAP_NET_ADMIN")
    bundle.config["process"]["user"] = {"uid": 0, "gid": 0}
    confined(bundle).args("/bin/sh", "-c", 'ip link set lo up && exec /usr/bin/python3 -c "$0"', code)
    d = Denials()
    r = bundle.run()
    assert r.rc == 0 and r.out == "ping kapsel-default (enforce)\n", r
    assert d.lines() == [], "an ordinary program was denied something"


def test_a_named_profile_is_applied_as_named(installed, runtime, bundle, tmp_path):
    prof = tmp_path / "kapsel-test-named"
    prof.write_text("abi <abi/3.0>,\nprofile kapsel-test-named flags=(attach_disconnected) {\n"
                    "  file,\n  capability,\n  network,\n  signal,\n  ptrace,\n}\n")
    subprocess.run([PARSER, "--replace", str(prof)], check=True)
    try:
        confined(bundle, "kapsel-test-named").args("/bin/probe", "sleep", "600")
        assert bundle.run("--detach").rc == 0
        pid = runtime.state(bundle.id)["pid"]
        with open(f"/proc/{pid}/attr/current") as f:
            assert f.read() == "kapsel-test-named (enforce)\n"
        # exec'd processes get the container's profile
        r = runtime("exec", bundle.id, "/bin/cat", "/proc/self/attr/current")
        assert r.rc == 0 and r.out == "kapsel-test-named (enforce)\n", r
        # or the one --apparmor names, but never unconfined
        r = runtime("exec", "--apparmor", "kapsel-default", bundle.id, "/bin/cat", "/proc/self/attr/current")
        assert r.rc == 0 and r.out == "kapsel-default (enforce)\n", r
        r = runtime("exec", "--apparmor", "unconfined", bundle.id, "/bin/true")
        assert r.rc == 1 and 'apparmorProfile "unconfined"' in r.err and "refused" in r.err, r
        assert runtime("delete", "--force", bundle.id).rc == 0
    finally:
        subprocess.run([PARSER, "--remove", str(prof)], check=False)


def test_a_missing_profile_is_a_clear_error(installed, runtime, bundle):
    confined(bundle, "kapsel-no-such-profile").args("/bin/true")
    r = bundle.run()
    assert r.rc == 1, r
    assert ('config.json: process.apparmorProfile: AppArmor profile "kapsel-no-such-profile" is not loaded' in r.err
            and "apparmor_parser --replace /etc/apparmor.d/kapsel-no-such-profile" in r.err), r
    assert runtime.ids() == [] and not cgroup_dirs("/kapsel/" + bundle.id)


def test_unconfined_is_refused_at_baseline_and_allowed_at_privileged(installed, baseline, runtime, bundle):
    bundle.runtime = baseline
    confined(bundle, "unconfined").args("/bin/cat", "/proc/self/attr/current")
    r = bundle.run()
    assert r.rc == 1 and "[B16 apparmor]" in r.err and 'process.apparmorProfile is "unconfined"' in r.err, r
    bundle.runtime = runtime  # enforce = privileged: an explicit choice the policy allows
    r = bundle.run()
    assert r.rc == 0 and r.out == "unconfined\n", r


CONFINED_CHECK = "ls /sys/kernel/security >/dev/null 2>&1 && echo UNCONFINED || echo CONFINED"


FAKE_FILES = [f"{d}/attr/{f}" for d in ("self", "thread-self") for f in ("apparmor/exec", "exec", "apparmor/current",
                                                                        "current")]


def written(root):
    """The fake attr files that are not empty, wherever the racer has put
    the fake /proc this moment (fakeproc or proc)."""
    out = []
    for top in ("fakeproc", "proc"):
        for f in FAKE_FILES:
            try:
                if os.path.getsize(os.path.join(root, top, f)):
                    out.append(f"{top}/{f}")
            except FileNotFoundError:
                pass
    return out


def test_a_hostile_proc_cannot_redirect_the_profile(installed, runtime, bundle, tmp_path):
    """The rootfs's /proc swapped, again and again while containers start,
    with a directory that holds a fake self/attr/apparmor/exec (and a
    thread-self, attr/exec): the write that applies the profile goes
    through the runtime's own procfs handle, so the fakes stay empty and
    every container that runs is confined (AppArmor denies it
    /sys/kernel/security)."""
    root = copy_rootfs(bundle.config["root"]["path"], tmp_path / "hostile")
    fake = os.path.join(root, "fakeproc")
    for f in FAKE_FILES:
        os.makedirs(os.path.dirname(os.path.join(fake, f)), exist_ok=True)
        open(os.path.join(fake, f), "w").close()
    bundle.config["root"]["path"] = root
    bundle.config["root"]["readonly"] = False
    confined(bundle).args("/bin/sh", "-c", CONFINED_CHECK)
    bundle.write()
    racer = subprocess.Popen([RACER, "exchange", root, "fakeproc", "proc"], stdout=subprocess.PIPE, text=True,
                             env=dict(os.environ, RACER_DEADLINE="60"))
    assert racer.stdout.readline() == "ready\n"
    attempts = ran = 0
    try:
        deadline = time.monotonic() + 20
        while attempts < 25 and time.monotonic() < deadline:
            attempts += 1
            cid = "h" + uuid.uuid4().hex[:10]
            r = runtime("run", "--bundle", bundle.path, cid)
            if r.rc == 0:
                ran += 1
                assert r.out == "CONFINED\n", (attempts, r)
            else:
                assert "Sanitizer" not in r.err, r
            assert not written(root), f"written to (attempt {attempts}): {written(root)}"
    finally:
        racer.terminate()
        out = racer.communicate(timeout=10)[0]
    assert not written(root), written(root)
    swaps = int(out.split()[-1])
    assert swaps > attempts, "the racer did not race"
    assert runtime.ids() == []


def test_a_config_cannot_mount_over_the_attr_files(installed, runtime, bundle, tmp_path):
    """A bind mount onto the container's /proc/self/attr (where a runtime
    that wrote through the container's /proc would put the profile) is
    refused before anything runs."""
    decoy = tmp_path / "decoy"
    decoy.mkdir()
    (decoy / "exec").write_text("")
    bundle.config["mounts"].append({"destination": "/proc/self/attr/apparmor", "type": "bind",
                                    "source": str(decoy), "options": ["rbind", "rw"]})
    confined(bundle).args("/bin/true")
    r = bundle.run()
    assert r.rc != 0 and "is inside /proc" in r.err and "refused" in r.err, r
    assert (decoy / "exec").read_text() == ""
    assert runtime.ids() == []


def test_audit_reports_the_profile(installed, baseline, bundle, tmp_path):
    """kapsel audit's AppArmor check (CIS 5.2 in kapsel's numbering: "an
    AppArmor profile is enabled") reads the config kapsel-runtime keeps
    for the container, with the profile the policy filled in."""
    kapsel = os.path.join(BUILD, "src", "kapsel", "kapsel")
    if not os.path.exists(kapsel):
        pytest.skip("kapsel is not built")
    b = bundle
    b.runtime = baseline
    b.config["process"].pop("apparmorProfile", None)
    b.args("/bin/probe", "sleep", "600")
    assert b.run("--detach").rc == 0
    state_dir = os.path.join(baseline.root, b.id)
    r = subprocess.run([kapsel, "audit", "--check", "5.2", "--oci-bundle", state_dir, "--format", "json"],
                       capture_output=True, text=True)
    assert baseline("delete", "--force", b.id).rc == 0
    assert r.stdout, r
    rep = json.loads(r.stdout)
    text = json.dumps(rep)
    assert "AppArmor profile kapsel-default (enforce) (the kernel's attr/current of pid" in text, text
