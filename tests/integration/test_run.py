"""kapsel create/run/start/stop/kill/rm/ps/inspect/wait from the outside,
with real images (a busybox root from tests/fixtures/mkrootfs.sh, made an
OCI layout by tests/fixtures/images/mkrunimage.py) loaded into a temporary
--root: the hardened defaults with no flag, each way out, the image config
conversion, the symlinked /etc/passwd attack, Docker's JSON fields, and a
clean rm."""
import json
import os
import re
import shutil
import signal
import stat
import subprocess
import sys
import time

import pytest

from clients import dockerd, image_rootfs_tar, runtime_bin  # noqa: F401
from conftest import BUILD, PERMISSIVE_POLICY, PROBE, REPO, wait_for

sys.path.insert(0, os.path.join(REPO, "tests", "fixtures", "images"))
import mkrunimage  # noqa: E402

KAPSEL = os.path.join(BUILD, "src", "kapsel", "kapsel")
CONF = os.path.join(REPO, "data", "kapsel.conf")


class Kapsel:
    def __init__(self, root):
        self.root = str(root)

    def argv(self, *args):
        return [KAPSEL, "--root", self.root, "--config", CONF, *args]

    def __call__(self, *args, check=False, env=None, input=None, timeout=120):
        e = dict(os.environ)
        e.pop("KAPSEL_POLICY", None)
        e.update(env or {})
        p = subprocess.run(self.argv(*args), capture_output=True, text=True, env=e, input=input,
                           timeout=timeout, stdin=None if input is not None else subprocess.DEVNULL)
        if check:
            assert p.returncode == 0, (args, p.stdout, p.stderr)
        return p

    def out(self, *args, **kw):
        p = self(*args, **kw)
        assert p.returncode == 0, (args, p.stdout, p.stderr)
        return p.stdout

    def inspect(self, ref):
        return json.loads(self.out("inspect", ref))[0]


@pytest.fixture(scope="module")
def images(tmp_path_factory):
    """Every image the tests run, loaded into one store."""
    base = tmp_path_factory.mktemp("run")
    rootfs = str(base / "rootfs")
    subprocess.run(["sh", os.path.join(REPO, "tests", "fixtures", "mkrootfs.sh"), rootfs, PROBE], check=True)
    bb = mkrunimage.dir_layer(rootfs)
    # the attacker's "host" file: a passwd with a root user the image lacks
    evil = str(base / "host-passwd")
    with open(evil, "w") as f:
        f.write("evil:x:0:0:evil:/:/bin/sh\n")
    victim = str(base / "victim")
    os.mkdir(victim)
    secret = str(base / "secret")
    os.mkdir(secret)
    with open(os.path.join(secret, "key"), "w") as f:
        f.write("host secret\n")
    imgs = {
        "kt/plain:1": ([bb], {"Cmd": ["sh"]}),
        "kt/held:1": ([bb], {"Cmd": ["true"], "Labels": {"only": "test_an_image_in_use_is_held_against_rmi"}}),
        "kt/conv:1": ([bb, mkrunimage.files_layer({"srv/data/file": b"layer two\n"})],
                      {"Env": ["PATH=/bin:/usr/bin", "FOO=image", "KEEP=yes"], "Entrypoint": ["/bin/sh", "-c"],
                       "Cmd": ["echo $FOO"], "WorkingDir": "/srv/app", "Labels": {"maint": "kt",
                       "io.kapsel.policy.level": "privileged"}, "StopSignal": "SIGUSR1",
                       "Volumes": {"/data": {}}}),
        "kt/user:1": ([bb], {"Cmd": ["id"], "User": "user"}),
        "kt/uid:1": ([bb], {"Cmd": ["id"], "User": "4321"}),
        "kt/evil:1": ([bb, mkrunimage.files_layer({"etc/passwd": ("symlink", "../../../../../../.." + evil)})],
                      {"Cmd": ["id"], "User": "evil"}),
        "kt/white:1": ([bb, mkrunimage.files_layer({"etc/hostname": ("whiteout",)})], {"Cmd": ["sh"]}),
        # whiteouts through a symlink the same layer made, pointing at a host directory
        "kt/escape:1": ([bb, mkrunimage.files_layer({"esc": ("symlink", victim), "esc/planted": ("whiteout",),
                                                     "esc2": ("symlink", victim), "esc2/.wh..wh..opq": b""})],
                        {"Cmd": ["sh"]}),
        # a hard link through a symlink to a host file
        "kt/steal:1": ([bb, mkrunimage.files_layer({"sec": ("symlink", secret), "stolen": ("hardlink", "sec/key")})],
                       {"Cmd": ["sh"]}),
    }
    root = base / "store"
    k = Kapsel(root)
    k.tars = {}
    for tag, (layers, cfg) in imgs.items():
        tar = str(base / (tag.replace("/", "_").replace(":", "_") + ".tar"))
        mkrunimage.oci_image(tar, tag, layers, cfg)
        if tag not in HOSTILE:  # the store's layer applier refuses those at load
            k.out("load", "-i", tar)
        k.tars[tag] = tar
    k.victim = victim
    k.base_layer = bb  # the busybox root, for other modules' images
    yield k
    for cid in k.out("ps", "-aq", "--no-trunc").split():
        k("rm", "-f", cid)
    from clients import umount_under
    umount_under(str(root))


def mounts_under(path):
    with open("/proc/self/mountinfo") as f:
        return [line.split()[4] for line in f if line.split()[4].startswith(str(path))]


def status(out, key):
    m = re.search(r"^%s:\s*(\S+)" % key, out, re.M)
    return m and m.group(1)


# ---- the defaults, with no flag ----

def test_no_flags_runs_as_65534(images):
    p = images("run", "--rm", "kt/plain:1", "id")
    assert p.returncode == 0, p.stderr
    assert p.stdout.strip() == "uid=65534(nobody) gid=65534(nogroup) groups=65534(nogroup)"


def test_no_flags_hardening_from_inside(images):
    script = ("grep -E '^(CapInh|CapPrm|CapEff|CapBnd|CapAmb|NoNewPrivs|Seccomp):' /proc/self/status;"
              "grep -E ' / | /tmp | /var/tmp | /run ' /proc/mounts;"
              "touch /x 2>&1; echo ok > /tmp/w && echo tmp-writable;"
              "cp /bin/busybox /tmp/busybox && /tmp/busybox true 2>&1 || echo tmp-noexec;"
              "echo sysctl > /proc/sys/kernel/hostname 2>&1 || echo procsys-ro;"
              "ls /sys/class/net; cat /sys/class/net/lo/operstate;"
              "echo nofile=$(ulimit -n) nproc=$(ulimit -u);"
              "echo mem=$(cat /sys/fs/cgroup/memory/memory.limit_in_bytes 2>/dev/null || cat /sys/fs/cgroup/memory.max);"
              "echo pids=$(cat /sys/fs/cgroup/pids/pids.max 2>/dev/null || cat /sys/fs/cgroup/pids.max);"
              "echo umask=$(umask);"
              "cat /proc/keys | wc -c")
    p = images("run", "--rm", "kt/plain:1", "sh", "-c", script)
    out = p.stdout
    for cap in ("CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"):
        assert status(out, cap) == "0000000000000000", out
    assert status(out, "NoNewPrivs") == "1"
    assert status(out, "Seccomp") == "2"
    root = [line for line in out.splitlines() if " / " in line][0]
    assert re.search(r"\bro\b", root) and "nosuid" in root and "nodev" in root and root.split()[2] == "overlay"
    for d in ("/tmp", "/var/tmp", "/run"):
        m = [line for line in out.splitlines() if line.split()[1:2] == [d]]
        assert m and all(o in m[0] for o in ("nosuid", "nodev", "noexec", "size=")), (d, out)
    assert "Read-only file system" in out
    assert "tmp-writable" in out and "/tmp/busybox: Permission denied\ntmp-noexec" in out and "procsys-ro" in out
    nets = out.split("procsys-ro\n", 1)[1].splitlines()
    assert nets[0] == "lo" and nets[1] == "unknown"  # loopback, and up (operstate of lo is "unknown")
    assert "nofile=1024 nproc=512" in out
    assert "mem=268435456" in out and "pids=512" in out
    assert "umask=0022" in out  # Docker's, not the supervisor's own 077
    assert out.strip().endswith("0")  # /proc/keys masked


def test_the_runtime_policy_still_checks(images):
    # host networking is refused by the runtime's built-in policy (B4), and
    # the error names the rule and the fix
    p = images("run", "--rm", "--network", "host", "kt/plain:1", "true")
    assert p.returncode == 125
    assert "B4" in p.stderr and "host-network" in p.stderr


def test_pull_missing_takes_an_all_hex_reference_as_a_name_unless_it_is_a_local_id(images):
    """"cafe" is a name (docker.io/library/cafe) when no local image ID
    starts with it: --pull missing pulls it as Docker does; a unique ID
    prefix is the local image, never pulled; a whole ID (64 hex, or
    sha256:...) is never pulled either."""
    # the pull goes to a proxy that is not there: refused at once, no network
    noproxy = {"https_proxy": "http://127.0.0.1:9", "HTTPS_PROXY": "http://127.0.0.1:9", "no_proxy": "",
               "NO_PROXY": ""}
    p = images("run", "--rm", "--pull", "never", "cafe", "true")
    assert p.returncode == 125 and "No such image: cafe" in p.stderr and "Unable to find" not in p.stderr, p.stderr
    for ref in ("cafe", "deadbeef"):
        p = images("run", "--rm", ref, "true", env=noproxy, timeout=60)
        assert p.returncode == 125, (ref, p.stderr)
        assert "Unable to find image '%s' locally" % ref in p.stderr and "Pulling " + ref in p.stderr, p.stderr
    iid = json.loads(images.out("image", "inspect", "kt/plain:1"))[0]["Id"]
    hexid = iid.split(":", 1)[1]
    for prefix in (hexid[:12], hexid, iid):
        p = images("run", "--rm", prefix, "true", env=noproxy)
        assert p.returncode == 0 and "Unable to find" not in p.stderr, (prefix, p.stderr)
    missing = "%064x" % (int(hexid, 16) ^ 1)
    for ref in (missing, "sha256:" + missing):
        p = images("run", "--rm", ref, "true", env=noproxy)
        assert p.returncode == 125 and "No such image" in p.stderr and "Unable to find" not in p.stderr, (ref, p.stderr)


# ---- the ways out ----

def test_read_only_false(images):
    p = images("run", "--rm", "--user", "1000", "kt/plain:1", "sh", "-c", "touch /home/user/x 2>&1; echo $?")
    assert "Read-only file system" in p.stdout
    p = images("run", "--rm", "--read-only=false", "--user", "1000", "kt/plain:1", "sh", "-c",
               "touch /home/user/x && echo written; grep ' / ' /proc/mounts")
    assert "written" in p.stdout, p.stderr
    assert re.search(r"overlay \S*\brw\b", p.stdout)


def test_user_0_is_root_in_a_user_namespace(images):
    p = images("run", "--rm", "--user", "0", "kt/plain:1", "sh", "-c",
               "id -u; cat /proc/self/uid_map; grep CapEff /proc/self/status")
    lines = p.stdout.split()
    assert lines[0] == "0", p.stderr
    assert lines[1:4] == ["0", "100000", "65536"]
    assert status(p.stdout, "CapEff") == "0000000000000000"
    # the image's files are root's inside (idmapped layers, nothing copied
    # or chowned), and what root writes belongs to host uid 100000
    p = images("run", "--name", "kt-root", "--user", "0", "--read-only=false", "-w", "/srv/w", "kt/plain:1", "sh",
               "-c", "stat -c '%u %g' /etc/passwd /root; touch /root/made /srv/w/f && echo wrote")
    assert p.stdout == "0 0\n0 0\nwrote\n", p.stderr
    upper = images.inspect("kt-root")["GraphDriver"]["Data"]["UpperDir"]
    st = os.stat(os.path.join(upper, "root", "made"))
    assert (st.st_uid, st.st_gid) == (100000, 100000)
    st = os.stat(os.path.join(upper, "srv", "w", "f"))
    assert st.st_uid == 100000
    layer = images.inspect("kt-root")["GraphDriver"]["Data"]["LowerDir"].split(":")[0]
    assert os.stat(os.path.join(layer, "etc", "passwd")).st_uid == 0  # the shared layer is unchanged
    images.out("rm", "kt-root")


def test_cap_add(images):
    p = images("run", "--rm", "--cap-add", "NET_BIND_SERVICE", "kt/plain:1", "grep", "CapEff", "/proc/self/status")
    assert status(p.stdout, "CapEff") == "0000000000000400", p.stderr


def test_limits_flags(images):
    p = images("run", "--rm", "--memory", "64m", "--pids-limit", "100", "--ulimit", "nofile=256:512", "kt/plain:1",
               "sh", "-c", "cat /sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/pids/pids.max;"
               "ulimit -n; ulimit -Hn")
    assert p.stdout.split() == ["67108864", "100", "256", "512"], p.stderr


def test_tmpfs_exec(images):
    p = images("run", "--rm", "--tmpfs", "/tmp:exec,size=8m", "kt/plain:1", "sh", "-c",
               "cp /bin/busybox /tmp/busybox && /tmp/busybox echo ran; grep ' /tmp ' /proc/mounts")
    assert "ran" in p.stdout, p.stderr
    assert "noexec" not in p.stdout and "size=8192k" in p.stdout


def test_seccomp_unconfined_and_host_network_under_a_policy_that_allows_them(images):
    env = {"KAPSEL_POLICY": PERMISSIVE_POLICY}
    p = images("run", "--rm", "--security-opt", "seccomp=unconfined", "kt/plain:1", "grep", "Seccomp:",
               "/proc/self/status", env=env)
    assert status(p.stdout, "Seccomp") == "0", p.stderr
    p = images("run", "--rm", "--network", "host", "kt/plain:1", "ls", "/sys/class/net", env=env)
    assert sorted(p.stdout.split()) == sorted(os.listdir("/sys/class/net")), p.stderr
    # under the built-in policy the filter is put back, and it says how to exempt
    p = images("run", "--rm", "--security-opt", "seccomp=unconfined", "kt/plain:1", "grep", "Seccomp:",
               "/proc/self/status")
    assert status(p.stdout, "Seccomp") == "2"
    assert "B10" in p.stderr and "exempt" in p.stderr


def test_bad_flags_name_themselves(images):
    for args, words in ((["--cap-add", "NOPE"], "--cap-add NOPE"), (["--ulimit", "nofile"], "--ulimit"),
                        (["--network", "nosuch"], "--network nosuch"), (["-p", "80"], "-p 80"),
                        (["--security-opt", "apparmor=x"], "--security-opt"),
                        (["--memory", "64m", "--memory-swap", "32m"], "--memory-swap"),
                        (["--restart", "always", "--rm"], "--rm"), (["-w", "rel"], "absolute"),
                        (["--user", "ghost"], "unable to find user ghost"), (["--name", "-bad"], "--name")):
        p = images("run", *args, "kt/plain:1", "true")
        assert p.returncode in (2, 125), (args, p.stderr)
        assert words in p.stderr, (args, p.stderr)
    assert images("ps", "-aq").stdout == ""


# ---- the image config ----

def test_user_from_image(images):
    p = images("run", "--rm", "kt/user:1")
    # the image's /etc/group lists user in "extra" (2000)
    assert p.stdout.strip() == "uid=1000(user) gid=1000(user) groups=1000(user),2000(extra)", p.stderr
    p = images("run", "--rm", "kt/uid:1")
    assert p.stdout.strip() == "uid=4321 gid=4321 groups=4321", p.stderr
    p = images("run", "--rm", "--user", "user:extra", "--group-add", "nogroup", "kt/plain:1", "id")
    assert p.stdout.strip() == "uid=1000(user) gid=2000(extra) groups=2000(extra),65534(nogroup)", p.stderr


def test_symlinked_passwd_does_not_read_the_host(images):
    # /etc/passwd in the image points at a host file naming "evil" as uid 0
    p = images("run", "--rm", "kt/evil:1")
    assert p.returncode == 125
    assert "unable to find user evil" in p.stderr and "USER" in p.stderr
    p = images("run", "--rm", "--user", "evil", "kt/plain:1", "id")
    assert p.returncode == 125 and "unable to find user evil" in p.stderr
    assert images("ps", "-aq").stdout == ""


def test_env_entrypoint_cmd_workdir(images):
    assert images.out("run", "--rm", "kt/conv:1") == "image\n"
    assert images.out("run", "--rm", "-e", "FOO=flag", "kt/conv:1") == "flag\n"
    envf = os.path.join(images.root, "..", "e.env")
    with open(envf, "w") as f:
        f.write("# comment\nFOO=file\nFROMHOST\n")
    out = images.out("run", "--rm", "--env-file", envf, "kt/conv:1", "echo $FOO $FROMHOST", env={"FROMHOST": "h"})
    assert out == "file h\n"
    out = images.out("run", "--rm", "kt/conv:1", "pwd; echo $PATH $HOME $KEEP; cat /srv/data/file")
    assert out == "/srv/app\n/bin:/usr/bin /nonexistent yes\nlayer two\n"  # HOME from nobody's passwd entry
    assert images.out("run", "--rm", "--entrypoint", "/bin/echo", "kt/conv:1", "a", "b") == "a b\n"
    assert images.out("run", "--rm", "--entrypoint", "", "kt/conv:1", "echo", "c") == "c\n"
    assert images.out("run", "--rm", "-w", "/made/here", "kt/conv:1", "pwd") == "/made/here\n"
    # an image without PATH gets the default one
    out = images.out("run", "--rm", "kt/plain:1", "sh", "-c", "echo $PATH")
    assert out == "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\n"


def test_whiteout_hides_a_lower_file(images):
    p = images("run", "--rm", "kt/white:1", "sh", "-c", "ls /etc/hostname 2>&1; ls /etc/passwd")
    assert "No such file" in p.stdout and "/etc/passwd" in p.stdout


HOSTILE = ("kt/escape:1", "kt/steal:1")


def test_whiteout_through_a_symlink_stays_in_the_layer(images):
    p = images("load", "-i", images.tars["kt/escape:1"])
    assert p.returncode == 1 and "which the layer does not have" in p.stderr, p.stderr
    assert "kt/escape" not in images("images").stdout
    # nothing was planted in the host directory the symlinks name
    assert os.listdir(images.victim) == []
    with pytest.raises(OSError):
        os.getxattr(images.victim, "trusted.overlay.opaque")


def test_hardlink_through_a_symlink_is_refused(images):
    p = images("load", "-i", images.tars["kt/steal:1"])
    assert p.returncode == 1 and "stolen" in p.stderr, p.stderr
    p = images("run", "--rm", "kt/steal:1", "cat", "/stolen")
    assert "host secret" not in p.stdout and p.returncode == 125, p
    assert os.stat(os.path.join(os.path.dirname(images.victim), "secret", "key")).st_nlink == 1


def test_volumes_labels_stop_signal(images):
    cid = images.out("create", "--name", "kt-conv", "-l", "extra=1", "kt/conv:1").strip()
    i = images.inspect("kt-conv")
    assert i["Config"]["Labels"] == {"maint": "kt", "io.kapsel.policy.level": "privileged", "extra": "1"}
    assert i["Config"]["StopSignal"] == "SIGUSR1"
    assert i["Config"]["Volumes"] == {"/data": {}}
    assert [m["Destination"] for m in i["Mounts"]] == ["/data"] and i["Mounts"][0]["Type"] == "tmpfs"
    spec = json.load(open(os.path.join(images.root, "containers", cid, "bundle", "config.json")))
    ann = spec["annotations"]
    # labels are copied as annotations, except keys the policy reads
    assert ann["maint"] == "kt" and ann["extra"] == "1" and "io.kapsel.policy.level" not in ann
    assert ann["org.opencontainers.image.stopSignal"] == "SIGUSR1" and ann["io.kapsel.name"] == "kt-conv"
    data = [m for m in spec["mounts"] if m["destination"] == "/data"][0]
    assert data["type"] == "tmpfs" and {"nosuid", "nodev", "noexec"} <= set(data["options"])
    assert spec["process"]["user"]["additionalGids"][0] == spec["process"]["user"]["gid"]
    images.out("rm", "kt-conv")


# ---- Docker's names and JSON ----

def test_inspect_and_ps_fields(images):
    p = images("run", "--name", "kt-exit", "kt/plain:1", "sh", "-c", "exit 3")
    assert p.returncode == 3
    i = images.inspect("kt-exit")
    assert re.fullmatch(r"[0-9a-f]{64}", i["Id"]) and i["Name"] == "/kt-exit"
    st = i["State"]
    assert st["Status"] == "exited" and st["Running"] is False and st["ExitCode"] == 3 and st["Pid"] == 0
    assert re.match(r"\d{4}-\d\d-\d\dT", st["StartedAt"]) and st["FinishedAt"] >= st["StartedAt"]
    assert i["Path"] == "sh" and i["Args"] == ["-c", "exit 3"]
    assert i["Config"]["Cmd"] == ["sh", "-c", "exit 3"] and i["Config"]["Image"] == "kt/plain:1"
    assert i["Config"]["User"] == "" and i["Config"]["WorkingDir"] == ""
    assert "HOME=/nonexistent" in i["Config"]["Env"]
    h = i["HostConfig"]
    assert h["ReadonlyRootfs"] is True and h["CapAdd"] is None and h["Memory"] == 268435456
    assert h["MemorySwap"] == 268435456 and h["NanoCpus"] == 10**9 and h["PidsLimit"] == 512
    assert h["NetworkMode"] == "none" and h["RestartPolicy"] == {"Name": "on-failure", "MaximumRetryCount": 5}
    assert "none" in i["NetworkSettings"]["Networks"] and i["GraphDriver"]["Name"] == "overlay"
    assert i["Image"].startswith("sha256:")
    assert images.out("inspect", "--format", "{{.State.Status}} {{.State.ExitCode}} {{json .Config.Cmd}}",
                      "kt-exit") == 'exited 3 ["sh","-c","exit 3"]\n'
    rows = [json.loads(line) for line in images.out("ps", "-a", "--format", "json").splitlines()]
    row = [r for r in rows if r["Names"] == "kt-exit"][0]
    assert row["ID"] == i["Id"][:12] and row["State"] == "exited" and row["Image"] == "kt/plain:1"
    assert row["Status"].startswith("Exited (3) ") and row["Command"] == '"sh -c exit 3"'
    assert set(row) >= {"Command", "CreatedAt", "ID", "Image", "Labels", "Mounts", "Names", "Networks", "Ports",
                        "RunningFor", "State", "Status"}
    assert images.out("ps", "--format", "{{.Names}}") == ""  # not running
    assert i["Id"][:12] in images.out("ps", "-aq").split()
    # resolved by name, ID and unique prefix
    for ref in ("kt-exit", i["Id"], i["Id"][:6]):
        assert images.inspect(ref)["Id"] == i["Id"]
    assert images("inspect", "nosuch").returncode == 1
    # names are unique
    p = images("create", "--name", "kt-exit", "kt/plain:1")
    assert p.returncode == 1 and "in use" in p.stderr
    assert images("inspect", "--format", "{{range .Mounts}}{{end}}", "kt-exit").returncode == 2
    images.out("rm", "kt-exit")


def test_rename(images):
    cid = images.out("create", "--name", "kt-old", "kt/plain:1", "true").strip()
    images.out("create", "--name", "kt-other", "kt/plain:1", "true")
    assert images.out("rename", "kt-old", "kt-new") == ""
    assert images.inspect("kt-new")["Id"] == cid and images.inspect("kt-new")["Name"] == "/kt-new"
    assert images("inspect", "kt-old").returncode == 1
    spec = json.load(open(os.path.join(images.root, "containers", cid, "bundle", "config.json")))
    assert spec["annotations"]["io.kapsel.name"] == "kt-new"
    sup = json.load(open(os.path.join(images.root, "containers", cid, "supervise.json")))
    assert sup["name"] == "kt-new"
    p = images("rename", "kt-new", "kt-other")
    assert p.returncode == 1 and "in use" in p.stderr
    p = images("rename", "kt-new", "bad/name")
    assert p.returncode == 1 and "a name is" in p.stderr
    images.out("rm", "kt-new", "kt-other")


def test_the_name_index(images, tmp_path):
    names = os.path.join(images.root, "container-names")
    a = images.out("create", "--name", "kt-ix-a", "kt/plain:1", "true").strip()
    assert os.readlink(os.path.join(names, "kt-ix-a")) == a
    # the index is believed only where the record agrees: a link planted
    # beside it names nothing, and does not keep the name from a create
    os.symlink(a, os.path.join(names, "kt-ix-planted"))
    p = images("inspect", "kt-ix-planted")
    assert p.returncode == 1 and "no such container" in p.stderr, p.stderr
    b = images.out("create", "--name", "kt-ix-planted", "kt/plain:1", "true").strip()
    assert images.inspect("kt-ix-planted")["Id"] == b != a
    # a container gone behind the index (kapsel-supervise's --rm does not
    # know it) leaves a link to nothing: the name is free
    images.out("rm", "kt-ix-planted")
    assert not os.path.lexists(os.path.join(names, "kt-ix-planted"))
    os.symlink("f" * 64, os.path.join(names, "kt-ix-gone"))
    assert images("inspect", "kt-ix-gone").returncode == 1
    c = images.out("create", "--name", "kt-ix-gone", "kt/plain:1", "true").strip()
    assert os.readlink(os.path.join(names, "kt-ix-gone")) == c
    # rename moves the link; the old name is free at once
    images.out("rename", "kt-ix-a", "kt-ix-b")
    assert not os.path.lexists(os.path.join(names, "kt-ix-a"))
    assert images.inspect("kt-ix-b")["Id"] == a
    assert images.out("create", "--name", "kt-ix-a", "kt/plain:1", "true").strip() not in (a, c)
    # a store from before the index: readers scan the records, the next
    # create builds the index from them
    shutil.rmtree(names)
    assert images.inspect("kt-ix-b")["Id"] == a
    assert not os.path.exists(names)
    d = images.out("create", "kt/plain:1", "true").strip()
    assert os.readlink(os.path.join(names, "kt-ix-b")) == a
    assert os.readlink(os.path.join(names, "kt-ix-gone")) == c
    listed = set(images.out("ps", "-a", "--format", "{{.Names}}").split())
    assert listed == set(os.listdir(names))
    images.out("rm", "kt-ix-a", "kt-ix-b", "kt-ix-gone", d)


def test_container_prune(images):
    a = images.out("create", "kt/plain:1", "true").strip()
    images("run", "--name", "kt-pruned", "kt/plain:1", "true")
    b = images.inspect("kt-pruned")["Id"]
    fg = subprocess.Popen(images.argv("run", "--rm", "--name", "kt-alive", "kt/plain:1", "sleep", "30"),
                          stdin=subprocess.DEVNULL)
    try:
        assert wait_for(lambda: images("ps", "--format", "{{.Names}}").stdout == "kt-alive\n")
        out = images.out("container", "prune", "-f")
        assert out.splitlines()[0] == "Deleted Containers:" and set(out.splitlines()[1:]) == {a, b}
        assert images.out("ps", "-a", "--format", "{{.Names}}") == "kt-alive\n"
    finally:
        images("kill", "kt-alive")
        fg.wait(timeout=30)


def test_foreground_stop_kill_wait(images):
    fg = subprocess.Popen(images.argv("run", "--name", "kt-fg", "--stop-timeout", "1", "kt/plain:1", "sleep", "60"),
                          stdin=subprocess.DEVNULL)
    try:
        assert wait_for(lambda: images("ps", "--format", "{{.Names}}").stdout == "kt-fg\n")
        i = images.inspect("kt-fg")
        assert i["State"]["Running"] is True and i["State"]["Pid"] > 0
        with open(f"/proc/{i['State']['Pid']}/status") as f:
            assert status(f.read(), "Uid") == "65534"
        # rm of a running container is refused
        p = images("rm", "kt-fg")
        assert p.returncode == 1 and "rm -f" in p.stderr
        w = subprocess.Popen(images.argv("wait", "kt-fg"), stdout=subprocess.PIPE, text=True)
        # sleep as pid 1 ignores SIGTERM: stop kills it after the timeout
        assert images.out("stop", "kt-fg") == "kt-fg\n"
        assert fg.wait(timeout=30) == 137
        assert w.communicate(timeout=30)[0] == "137\n"
        assert images.inspect("kt-fg")["State"]["Status"] == "exited"
        p = images("kill", "kt-fg")
        assert p.returncode == 1 and "not running" in p.stderr
    finally:
        if fg.poll() is None:
            fg.kill()
    images.out("rm", "kt-fg")


def test_kill_signal_and_interactive(images):
    fg = subprocess.Popen(images.argv("run", "--rm", "--name", "kt-kill", "kt/plain:1", "sh", "-c",
                                      "trap 'exit 7' USR1; while :; do sleep 0.1; done"), stdin=subprocess.DEVNULL)
    try:
        assert wait_for(lambda: images("ps", "--format", "{{.Names}}").stdout == "kt-kill\n")
        time.sleep(0.3)  # the trap is set
        assert images.out("kill", "-s", "USR1", "kt-kill") == "kt-kill\n"
        assert fg.wait(timeout=30) == 7
    finally:
        if fg.poll() is None:
            fg.kill()
    # --rm removed it
    assert images("inspect", "kt-kill").returncode == 1
    # -i: stdin reaches the container
    assert images.out("run", "--rm", "-i", "kt/plain:1", "cat", input="through\n") == "through\n"
    assert images.out("run", "--rm", "kt/plain:1", "cat", input="not-passed\n") == ""


def test_rm_cleans_the_overlay_and_the_directory(images):
    cid = images.out("create", "kt/plain:1", "true").strip()
    d = os.path.join(images.root, "containers", cid)
    ns = os.path.join(images.root, "netns", cid)
    assert mounts_under(d) == [d + "/bundle/rootfs"] and mounts_under(ns) == [ns]
    assert images.out("rm", cid[:10]) == cid[:10] + "\n"
    assert not os.path.exists(d) and mounts_under(d) == []
    assert not os.path.exists(ns) and mounts_under(ns) == []
    # a foreground --rm leaves nothing either
    before = set(os.listdir(os.path.join(images.root, "containers")))
    images.out("run", "--rm", "kt/plain:1", "true")
    assert set(os.listdir(os.path.join(images.root, "containers"))) == before
    assert mounts_under(os.path.join(images.root, "containers")) == []
    assert mounts_under(os.path.join(images.root, "netns")) == []


def test_an_image_in_use_is_held_against_rmi(images):
    cid = images.out("create", "kt/held:1").strip()
    p = images("rmi", "kt/held:1")  # its only name: the image would go
    assert p.returncode != 0 and "being used by container " + cid in p.stderr, p
    lower = images.inspect(cid)["GraphDriver"]["Data"]["LowerDir"].split(":")
    assert all(os.path.isdir(d) and "/layers/" in d for d in lower)
    images.out("rm", cid)
    # a container removed behind kapsel's back: the next create releases it
    cid2 = images.out("create", "kt/held:1").strip()
    holds = os.path.join(images.root, "holds")
    assert cid2 in os.listdir(holds)
    subprocess.run(["umount", os.path.join(images.root, "containers", cid2, "bundle", "rootfs")], check=True)
    shutil.rmtree(os.path.join(images.root, "containers", cid2))
    cid3 = images.out("create", "kt/plain:1", "true").strip()
    assert cid2 not in os.listdir(holds) and cid3 in os.listdir(holds)
    images.out("rm", cid3)
    assert cid3 not in os.listdir(holds)
    assert images("rmi", "kt/held:1").returncode == 0


def supervise_bin():
    return os.environ.get("KAPSEL_SUPERVISE") or next(
        (p for p in [os.path.join(BUILD, "src", "supervise", "kapsel-supervise")] if os.path.exists(p)), None)


def test_detached_needs_the_supervisor(images):
    if supervise_bin():
        pytest.skip("kapsel-supervise is built: test_run_detached covers -d")
    p = images("run", "-d", "kt/plain:1", "sleep", "5", env={"KAPSEL_SUPERVISE": ""})
    assert p.returncode == 125 and "kapsel-supervise" in p.stderr
    assert images("ps", "-aq").stdout == ""


def test_run_detached(images):
    if not supervise_bin():
        pytest.skip("kapsel-supervise is not built")
    env = {"KAPSEL_SUPERVISE": supervise_bin()}
    p = images("run", "-d", "--restart", "no", "--name", "kt-d", "kt/plain:1", "sh", "-c",
               "trap 'exit 3' TERM; echo out; echo err >&2; while :; do sleep 0.1; done", env=env)
    assert p.returncode == 0, p.stderr
    cid = p.stdout.strip()
    assert re.fullmatch(r"[0-9a-f]{64}", cid)
    i = images.inspect("kt-d")
    assert i["State"]["Status"] == "running" and i["State"]["Pid"] > 0
    assert images.out("ps", "--format", "{{.ID}} {{.Names}}") == f"{cid[:12]} kt-d\n"
    log = os.path.join(images.root, "containers", cid, cid + "-json.log")
    assert wait_for(lambda: os.path.exists(log) and open(log).read().count("\n") >= 2)
    lines = [json.loads(x) for x in open(log).read().splitlines()]
    assert {(x["stream"], x["log"]) for x in lines} == {("stdout", "out\n"), ("stderr", "err\n")}
    w = subprocess.Popen(images.argv("wait", "kt-d"), stdout=subprocess.PIPE, text=True, env=dict(os.environ, **env))
    # the stop signal (SIGTERM) reaches the trap, through the supervisor
    assert images.out("stop", "-t", "20", "kt-d", env=env) == "kt-d\n"
    assert w.communicate(timeout=30)[0] == "3\n"
    i = images.inspect("kt-d")
    assert i["State"]["Status"] == "exited" and i["State"]["ExitCode"] == 3
    # start again, kill, remove with -f while it runs
    assert images.out("start", "kt-d", env=env) == "kt-d\n"
    assert images.inspect("kt-d")["State"]["Running"] is True
    time.sleep(0.3)  # the trap is set
    assert images.out("kill", "-s", "TERM", "kt-d", env=env) == "kt-d\n"
    assert images.out("wait", "kt-d", env=env) == "3\n"
    assert images.out("start", "kt-d", env=env) == "kt-d\n"
    pid = images.inspect("kt-d")["State"]["Pid"]
    assert images.out("restart", "-t", "20", "kt-d", env=env) == "kt-d\n"
    i = images.inspect("kt-d")
    assert i["State"]["Running"] is True and i["State"]["Pid"] not in (0, pid)
    assert images.out("rm", "-f", "kt-d", env=env) == "kt-d\n"
    assert not os.path.exists(os.path.join(images.root, "containers", cid))
    assert mounts_under(os.path.join(images.root, "containers", cid)) == []
    assert mounts_under(os.path.join(images.root, "netns", cid)) == []
    # -d --rm: the supervisor removes it when it exits
    cid = images.out("run", "-d", "--rm", "kt/plain:1", "true", env=env).strip()
    assert wait_for(lambda: not os.path.exists(os.path.join(images.root, "containers", cid)))
    assert images("inspect", cid).returncode == 1
    images.out("create", "kt/plain:1", "true")  # a create releases the network namespace left behind
    assert mounts_under(os.path.join(images.root, "netns", cid)) == []
    assert not os.path.exists(os.path.join(images.root, "netns", cid))



def test_health_check_through_the_supervisor(images):
    if not supervise_bin():
        pytest.skip("kapsel-supervise is not built")
    env = {"KAPSEL_SUPERVISE": supervise_bin()}
    images.out("run", "-d", "--name", "kt-hc", "--health-cmd", "test -e /tmp/ok", "--health-interval", "1s",
               "--health-retries", "1", "kt/plain:1", "sh", "-c", "sleep 2; touch /tmp/ok; sleep 60", env=env)
    try:
        assert images.inspect("kt-hc")["Config"]["Healthcheck"]["Test"] == ["CMD-SHELL", "test -e /tmp/ok"]
        assert wait_for(lambda: (images.inspect("kt-hc")["State"].get("Health") or {}).get("Status") == "unhealthy")
        assert wait_for(lambda: images.inspect("kt-hc")["State"]["Health"]["Status"] == "healthy")
    finally:
        images("rm", "-f", "kt-hc", env=env)


def test_tty(images):
    from conftest import run_in_pty
    code, out = run_in_pty(images.argv("run", "--rm", "-t", "kt/plain:1", "sh", "-c", "tty; exit 4"))
    assert code == 4 and re.search(rb"^/dev/pts/\d+\r$", out, re.M), out
    # -it: what is typed reaches the shell, its answer comes back
    code, out = run_in_pty(images.argv("run", "--rm", "-it", "kt/plain:1", "sh"),
                           answer=(b"$ ", b"echo typed-$((40+2)); exit 6\r"))
    assert code == 6 and b"typed-42" in out, out


def test_same_config_as_docker(images, dockerd):
    """docker create and kapsel create of the same image with the same
    flags: Config.Cmd, Entrypoint, WorkingDir, User and Env agree (kapsel
    adds HOME, which Docker only puts in the process's environment)."""
    p = dockerd("load", "-i", images.tars["kt/conv:1"])
    if p.returncode != 0:
        pytest.skip("this Docker cannot load an OCI layout: " + p.stderr)
    cases = (([], []), (["-e", "FOO=flag", "-e", "NEW=1"], []), (["-w", "/other", "--user", "1000:2000"], []),
             (["--entrypoint", "/bin/echo"], []), (["--entrypoint", "/bin/echo"], ["x", "y"]), ([], ["z"]),
             (["--stop-signal", "SIGINT"], []))
    for flags, args in cases:
        d = dockerd("create", *flags, "kt/conv:1", *args, check=True).stdout.strip()
        try:
            dc = json.loads(dockerd("inspect", d, check=True).stdout)[0]["Config"]
        finally:
            dockerd("rm", d)
        k = images.out("create", *flags, "kt/conv:1", *args).strip()
        kc = images.inspect(k)["Config"]
        images.out("rm", k)
        for key in ("Cmd", "Entrypoint", "WorkingDir", "User", "StopSignal", "Image", "Labels", "Volumes"):
            assert kc[key] == dc[key], (flags, args, key, kc[key], dc[key])
        # (Docker's order of the flags' entries varies from run to run: a Go map)
        assert sorted(e for e in kc["Env"] if not e.startswith("HOME=")) == sorted(dc["Env"]), (flags, args)


def test_start_all_restartable_after_a_reboot(images):
    """A reboot as the store sees it: every process gone (the supervisors
    and the containers killed), every mount gone (the overlay roots and the
    network namespaces), /run gone (the runtime's state).  Then what the
    shipped systemd unit runs: start --all-restartable."""
    if not supervise_bin():
        pytest.skip("kapsel-supervise is not built")
    env = {"KAPSEL_SUPERVISE": supervise_bin()}
    # only root (in its user namespace) may write to /: the others only run
    loop = ["sh", "-c", "[ $(id -u) = 0 ] && echo here >/kept; while :; do sleep 1; done"]
    made = {}
    for name, flags in [("always", ["--restart", "always"]), ("always-stopped", ["--restart", "always"]),
                        ("unless", ["--restart", "unless-stopped"]),
                        ("unless-stopped", ["--restart", "unless-stopped"]),
                        ("onfail", ["--restart", "on-failure:3"]), ("no", ["--restart", "no"]),
                        ("root", ["--restart", "always", "--user", "0"])]:
        made[name] = images.out("run", "-d", "--read-only=false", "--name", "kt-rb-" + name, *flags,
                                "kt/plain:1", *loop, env=env).strip()
    for name in ("always-stopped", "unless-stopped"):
        images.out("stop", "-t", "0", "kt-rb-" + name, env=env)
    try:
        for name, cid in made.items():
            cdir = os.path.join(images.root, "containers", cid)
            if name == "root":
                assert wait_for(lambda: os.path.exists(os.path.join(cdir, "upper", "kept"))), name
            st = json.load(open(os.path.join(cdir, "status.json")))
            for pid in (st["supervisor_pid"], st["pid"]):
                if st["state"] == "running" and pid > 0:
                    os.kill(pid, signal.SIGKILL)
        for name, cid in made.items():
            st = json.load(open(os.path.join(images.root, "containers", cid, "status.json")))
            if st["state"] == "running":
                assert wait_for(lambda: not os.path.exists(f"/proc/{st['pid']}")), name
        for cid in made.values():
            for m in (os.path.join(images.root, "containers", cid, "bundle", "rootfs"),
                      os.path.join(images.root, "netns", cid)):
                subprocess.run(["umount", "-l", m], stderr=subprocess.DEVNULL)
            assert mounts_under(os.path.join(images.root, "containers", cid)) == []
        shutil.rmtree(os.path.join(images.root, "run"), ignore_errors=True)
        assert images.inspect("kt-rb-always")["State"]["Status"] == "dead"
        # after a reboot a recorded pid may be any process's: one from before
        # the boot names none (here: this test's own pid, alive)
        stp = os.path.join(images.root, "containers", made["always"], "status.json")
        st = json.load(open(stp))
        st.update(supervisor_pid=os.getpid(), pid=os.getpid(), started_at="2000-01-01T00:00:00Z")
        json.dump(st, open(stp, "w"))
        assert images.inspect("kt-rb-always")["State"]["Status"] == "dead"

        # the shipped init script (the systemd unit runs the same command)
        p = subprocess.run(["sh", os.path.join(REPO, "data", "init.d", "kapsel"), "start"], capture_output=True,
                           text=True, timeout=120, env=dict(os.environ, KAPSEL=KAPSEL, **env,
                                                            KAPSEL_OPTS=f"--root {images.root} --config {CONF}"))
        assert p.returncode == 0, p.stderr
        out = p.stdout.removeprefix("Starting kapsel containers:\n")
        assert sorted(out.split()) == sorted("kt-rb-" + n for n in ("always", "always-stopped", "unless",
                                                                     "onfail", "root")), out
        for name in ("always", "always-stopped", "unless", "onfail", "root"):
            i = images.inspect("kt-rb-" + name)
            assert i["State"]["Running"] is True and os.path.exists(f"/proc/{i['State']['Pid']}"), name
            # its own root again, in its own network namespace again
            assert os.path.exists(f"/proc/{i['State']['Pid']}/root/bin/busybox"), name
            assert os.readlink(f"/proc/{i['State']['Pid']}/ns/net") != os.readlink("/proc/self/ns/net")
        for name in ("unless-stopped", "no"):
            assert images.inspect("kt-rb-" + name)["State"]["Running"] is False, name
        # root in a user namespace: the layers idmapped again, not the
        # host's root, and what it wrote before the reboot still there
        i = images.inspect("kt-rb-root")
        with open(f"/proc/{i['State']['Pid']}/root/kept") as f:
            assert f.read() == "here\n"
        with open(f"/proc/{i['State']['Pid']}/uid_map") as f:
            assert f.read().split()[:2] == ["0", str(os.stat(f"/proc/{i['State']['Pid']}").st_uid)]
        assert os.stat(f"/proc/{i['State']['Pid']}/root/bin").st_uid != 0
        # what is up is left alone
        assert images.out("start", "--all-restartable", env=env) == ""
        p = images("start", "--all-restartable", "kt-rb-no")
        assert p.returncode == 2 and "takes no CONTAINER" in p.stderr, p.stderr
    finally:
        for cid in made.values():
            images("rm", "-f", cid, env=env)


def test_the_systemd_unit(tmp_path):
    unit = open(os.path.join(REPO, "data", "systemd", "kapsel.service")).read()
    assert "\nExecStart=/usr/bin/kapsel $KAPSEL_OPTS start --all-restartable\n" in unit
    assert "\nType=oneshot\n" in unit and "\nKillMode=process\n" in unit
    if not shutil.which("systemd-analyze"):
        pytest.skip("no systemd-analyze")
    mine = tmp_path / "kapsel.service"
    mine.write_text(unit.replace("/usr/bin/kapsel", KAPSEL))
    p = subprocess.run(["systemd-analyze", "verify", str(mine)], capture_output=True, text=True)
    assert "kapsel.service" not in p.stderr, p.stderr


def zombies_under(pid):
    """The zombie children of PID (from /proc, as the host sees them)."""
    kids = open(f"/proc/{pid}/task/{pid}/children").read().split()
    out = []
    for k in kids:
        try:
            if open(f"/proc/{k}/stat").read().rsplit(")", 1)[1].split()[0] == "Z":
                out.append(k)
        except FileNotFoundError:
            pass
    return out


def test_init_passes_the_stop_signal_and_reaps_orphans(images):
    if not supervise_bin():
        pytest.skip("kapsel-supervise is not built")
    env = {"KAPSEL_SUPERVISE": supervise_bin()}
    # an orphan exits at once; PID 1 then `sleep`, which has no SIGTERM handler
    cmd = ["sh", "-c", 'sh -c "sleep 0.1 &"; exec sleep 1000']
    for init in (False, True):
        name = "kt-init" if init else "kt-noinit"
        images.out("run", "-d", "--restart", "no", "--name", name, *(["--init"] if init else []), "kt/plain:1",
                   *cmd, env=env)
        try:
            i = images.inspect(name)
            assert i["HostConfig"]["Init"] is (True if init else None)
            pid1 = i["State"]["Pid"]
            # run -d returns once the container started: its sh may not have
            # exec'd sleep yet (busybox may pass through /proc/self/exe)
            want = "kapsel-init" if init else "sleep"
            assert wait_for(lambda: open(f"/proc/{pid1}/comm").read().strip() == want), \
                open(f"/proc/{pid1}/comm").read()
            if init:
                # the orphan was reaped by kapsel-init
                assert wait_for(lambda: len(open(f"/proc/{pid1}/task/{pid1}/children").read().split()) == 1)
                assert zombies_under(pid1) == []
            else:
                # the kernel gives PID 1 no SIGTERM it has no handler for: and the orphan stays a zombie
                assert wait_for(lambda: zombies_under(pid1) != [])
            images.out("stop", "-t", "2", name, env=env)
            # with kapsel-init the stop signal reached sleep (143); without, SIGKILL after the timeout
            assert images.inspect(name)["State"]["ExitCode"] == (143 if init else 137)
        finally:
            images("rm", "-f", name, env=env)
    # the binary in the container is read-only and the image's own layer is untouched
    cid = images.out("create", "--init", "kt/plain:1", "true").strip()
    try:
        spec = json.load(open(os.path.join(images.root, "containers", cid, "bundle", "config.json")))
        assert spec["process"]["args"][:3] == ["/sbin/kapsel-init", "--", "true"]
        m = [x for x in spec["mounts"] if x["destination"] == "/sbin/kapsel-init"][0]
        assert "ro" in m["options"] and "nosuid" in m["options"]
        assert images.out("diff", cid) == ""
    finally:
        images("rm", cid)


def test_device(images, tmp_path):
    # a default device under another name: there, with the host node's numbers
    p = images("run", "--rm", "--device", "/dev/zero:/dev/myzero:rw", "kt/plain:1", "sh", "-c",
               "stat -c '%t:%T' /dev/myzero; head -c 3 /dev/myzero | wc -c")
    assert p.returncode == 0 and p.stdout.split() == ["1:5", "3"], p.stderr
    assert images("run", "--rm", "kt/plain:1", "test", "-e", "/dev/myzero").returncode == 1
    # beyond the default set: the runtime's policy refuses it (B9), naming the flag
    node = str(tmp_path / "fuse")
    os.mknod(node, 0o666 | stat.S_IFCHR, os.makedev(10, 229))
    os.chmod(node, 0o666)  # past the umask: the container (65534) opens it by its mode
    p = images("run", "--rm", "--device", f"{node}:/dev/fuse", "kt/plain:1", "true")
    assert p.returncode != 0 and "B9" in p.stderr and "--device" in p.stderr, p.stderr
    # under a policy that allows it, PERMS are the device cgroup's rule: r opens for reading only
    env = {"KAPSEL_POLICY": PERMISSIVE_POLICY}
    probe = "exec 3</dev/fuse && echo read; exec 4>/dev/fuse && echo write; true"
    p = images("run", "--rm", "--device", f"{node}:/dev/fuse:r", "kt/plain:1", "sh", "-c", probe, env=env)
    assert p.stdout.split() == ["read"] and "Operation not permitted" in p.stderr, (p.stdout, p.stderr)
    p = images("run", "--rm", "--device", f"{node}:/dev/fuse:rw", "kt/plain:1", "sh", "-c", probe, env=env)
    assert p.stdout.split() == ["read", "write"], (p.stdout, p.stderr)
    cid = images.out("create", "--device", f"{node}:/dev/fuse:rw", "kt/plain:1", "true", env=env).strip()
    assert images.inspect(cid)["HostConfig"]["Devices"] == [
        {"PathOnHost": node, "PathInContainer": "/dev/fuse", "CgroupPermissions": "rw"}]
    images("rm", cid)
    # bad input, each named
    for spec, msg in ((str(tmp_path), "not a device node"), ("/dev/zero:rwx", "permissions"),
                      ("dev/zero", "absolute"), ("/dev/nothing-here", "No such file"),
                      ("/dev/zero:/proc/x", "not a place")):
        p = images("create", "--device", spec, "kt/plain:1", "true")
        assert p.returncode != 0 and msg in p.stderr, (spec, p.stderr)
    p = images("create", "--user", "0", "--device", "/dev/zero:/dev/other", "kt/plain:1", "true")
    assert p.returncode != 0 and "give --device /dev/zero" in p.stderr, p.stderr


def test_sysctl(images):
    host_range = open("/proc/sys/net/ipv4/ip_local_port_range").read()
    p = images("run", "--rm", "--sysctl", "net.ipv4.ip_local_port_range=40000 50000", "--sysctl",
               "kernel.shm_rmid_forced=1", "kt/plain:1", "sh", "-c",
               "cat /proc/sys/net/ipv4/ip_local_port_range /proc/sys/kernel/shm_rmid_forced "
               "/proc/sys/net/ipv4/ip_unprivileged_port_start")
    assert p.returncode == 0 and p.stdout.split() == ["40000", "50000", "1", "0"], p.stderr
    assert open("/proc/sys/net/ipv4/ip_local_port_range").read() == host_range
    # namespaced but outside the safe set: the runtime's policy decides (B12)
    p = images("run", "--rm", "--sysctl", "net.ipv4.ip_forward=1", "kt/plain:1", "true")
    assert p.returncode != 0 and "B12" in p.stderr, p.stderr
    # a policy that allows it: set in the container's namespace only
    host_fwd = open("/proc/sys/net/ipv4/ip_forward").read()
    p = images("run", "--rm", "--sysctl", "net/ipv4/ip_forward=1", "kt/plain:1", "cat",
               "/proc/sys/net/ipv4/ip_forward", env={"KAPSEL_POLICY": PERMISSIVE_POLICY})
    assert p.returncode == 0 and p.stdout == "1\n", p.stderr
    assert open("/proc/sys/net/ipv4/ip_forward").read() == host_fwd
    # the host's settings are refused by kapsel itself, whatever the policy
    for kv, msg in (("kernel.core_pattern=|/x", "would change the host"), ("vm.swappiness=1", "would change"),
                    ("net.ipv4.ip_forward", "KEY=VALUE"), ("net..x=1", "not a sysctl name")):
        p = images("create", "--sysctl", kv, "kt/plain:1", "true", env={"KAPSEL_POLICY": PERMISSIVE_POLICY})
        assert p.returncode != 0 and msg in p.stderr, (kv, p.stderr)
    p = images("create", "--network", "host", "--sysctl", "net.ipv4.ip_forward=1", "kt/plain:1", "true",
               env={"KAPSEL_POLICY": PERMISSIVE_POLICY})
    assert p.returncode != 0 and "--network host" in p.stderr, p.stderr
    cid = images.out("create", "--sysctl", "kernel.shm_rmid_forced=1", "kt/plain:1", "true").strip()
    assert images.inspect(cid)["HostConfig"]["Sysctls"] == {"kernel.shm_rmid_forced": "1"}
    images("rm", cid)
