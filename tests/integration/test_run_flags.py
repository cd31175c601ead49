"""kapsel run's --userns, --add-host and --dns flags and the exit codes of a
command that cannot start (126, 127), from the outside with a busybox
image in a temporary --root."""
import glob
import json
import os
import subprocess
import sys
import time

import pytest

from conftest import PROBE, REPO, wait_for
from test_run import Kapsel

sys.path.insert(0, os.path.join(REPO, "tests", "fixtures", "images"))
import mkrunimage  # noqa: E402


@pytest.fixture(scope="module")
def k(tmp_path_factory):
    base = tmp_path_factory.mktemp("flags")
    rootfs = str(base / "rootfs")
    subprocess.run(["sh", os.path.join(REPO, "tests", "fixtures", "mkrootfs.sh"), rootfs, PROBE], check=True)
    with open(os.path.join(rootfs, "etc", "resolv.conf"), "w") as f:
        f.write("nameserver 192.0.2.53\n")
    kk = Kapsel(base / "store")
    tar = str(base / "plain.tar")
    mkrunimage.oci_image(tar, "kt/plain:1", [mkrunimage.dir_layer(rootfs)], {"Cmd": ["sh"]})
    kk.out("load", "-i", tar)
    kk.base = base
    yield kk
    for cid in kk.out("ps", "-aq", "--no-trunc").split():
        kk("rm", "-f", cid)
    from clients import umount_under
    umount_under(str(base / "store"))


# ---- --userns ----

def test_userns_host_root_is_refused_by_the_policy(k):
    p = k("run", "--rm", "--user", "0", "--userns", "host", "kt/plain:1", "id")
    assert p.returncode == 125, (p.stdout, p.stderr)
    assert "R1" in p.stderr and "run-as-root" in p.stderr, p.stderr
    assert p.stdout == ""


def test_userns_host_root_runs_when_the_policy_exempts_it(k):
    pol = str(k.base / "exempt.conf")
    with open(pol, "w") as f:
        f.write("[exempt]\nname = hostroot-*\n")
    p = k("run", "--rm", "--name", "hostroot-1", "--user", "0", "--userns", "host", "kt/plain:1",
          "sh", "-c", "id -u; cat /proc/self/uid_map", env={"KAPSEL_POLICY": pol})
    assert p.returncode == 0, p.stderr
    uid, umap = p.stdout.split("\n", 1)
    assert uid == "0"
    assert umap.split() == ["0", "0", "4294967295"]  # the host's own user namespace
    # the same name without --userns host is root in a user namespace
    p = k("run", "--rm", "--name", "hostroot-2", "--user", "0", "kt/plain:1", "cat", "/proc/self/uid_map",
          env={"KAPSEL_POLICY": pol})
    assert p.returncode == 0, p.stderr
    assert p.stdout.split()[:2] == ["0", "100000"]


def test_userns_modes_in_inspect_and_bad_mode(k):
    cid = k.out("create", "--userns", "host", "kt/plain:1", "true").strip()
    assert k.inspect(cid)["HostConfig"]["UsernsMode"] == "host"
    cid = k.out("create", "--userns", "private", "--user", "0", "kt/plain:1", "true").strip()
    assert k.inspect(cid)["HostConfig"]["UsernsMode"] == "private"
    p = k("create", "--userns", "keep-id", "kt/plain:1", "true")
    assert p.returncode != 0
    assert "--userns keep-id: kapsel has private (the default) and host" in p.stderr


# ---- --add-host, --dns ----

def test_add_host_on_network_none(k):
    p = k("run", "--rm", "--add-host", "db.local:192.0.2.7", "--add-host", "v6:[2001:db8::1]", "kt/plain:1",
          "sh", "-c", "cat /etc/hosts; echo x >> /etc/hosts 2>/dev/null || echo hosts-ro; cat /etc/resolv.conf")
    assert p.returncode == 0, p.stderr
    lines = p.stdout.splitlines()
    assert lines[0].split() == ["127.0.0.1", "localhost"]
    assert "192.0.2.7\tdb.local" in lines and "2001:db8::1\tv6" in lines
    assert "hosts-ro" in lines
    assert lines[-1] == "nameserver 192.0.2.53"  # no --dns: the image's resolv.conf


def test_add_host_in_inspect_and_the_file_is_the_containers(k):
    cid = k.out("create", "--add-host", "a:10.1.2.3", "kt/plain:1", "true").strip()
    j = k.inspect(cid)
    assert j["HostConfig"]["ExtraHosts"] == ["a:10.1.2.3"]
    assert j["HostsPath"].startswith(str(k.base / "store")) and j["HostsPath"].endswith(cid + "/hosts")
    assert "10.1.2.3\ta\n" in open(j["HostsPath"]).read()
    assert j["ResolvConfPath"] == ""
    # without the flags the image's own files stay
    cid = k.out("create", "kt/plain:1", "true").strip()
    j = k.inspect(cid)
    assert j["HostsPath"] == "" and j["HostConfig"]["ExtraHosts"] == []


def test_dns_flags_write_resolv_conf(k):
    p = k("run", "--rm", "--dns", "192.0.2.1", "--dns", "2001:db8::53", "--dns-search", "example.org",
          "--dns-search", "corp.example", "--dns-option", "ndots:2", "--dns-option", "edns0", "kt/plain:1",
          "sh", "-c", "cat /etc/resolv.conf; echo x >> /etc/resolv.conf 2>/dev/null || echo resolv-ro")
    assert p.returncode == 0, p.stderr
    assert p.stdout.splitlines() == ["nameserver 192.0.2.1", "nameserver 2001:db8::53",
                                     "search example.org corp.example", "options ndots:2 edns0", "resolv-ro"]
    # --dns-search alone keeps the image's nameservers
    p = k("run", "--rm", "--dns-search", "example.org", "kt/plain:1", "cat", "/etc/resolv.conf")
    assert p.returncode == 0, p.stderr
    assert p.stdout.splitlines() == ["nameserver 192.0.2.53", "search example.org"]
    cid = k.out("create", "--dns", "192.0.2.1", "--dns-option", "ndots:1", "kt/plain:1", "true").strip()
    j = k.inspect(cid)
    assert j["HostConfig"]["Dns"] == ["192.0.2.1"] and j["HostConfig"]["DnsOptions"] == ["ndots:1"]
    assert j["ResolvConfPath"].endswith(cid + "/resolv.conf")


@pytest.mark.parametrize("args,msg", [
    (["--add-host", "nocolon"], "--add-host nocolon: expected HOST:IP"),
    (["--add-host", "a b:1.2.3.4"], "is not a host name"),
    (["--add-host", "x:1.2.3.999"], "\"1.2.3.999\" is not an IP address"),
    (["--add-host", "gw:host-gateway"], "host-gateway is the gateway of the container's network"),
    (["--dns", "dns.example"], "--dns dns.example: not an IP address"),
    (["--dns-search", "a\nnameserver 6.6.6.6"], "not a domain name"),
    (["--dns-option", "ndots:1 x"], "not a resolver option"),
    (["--network", "host", "--dns", "1.1.1.1"], "--network host uses the host's"),
])
def test_bad_names_flags_are_refused(k, args, msg):
    p = k("create", *args, "kt/plain:1", "true")
    assert p.returncode != 0
    assert msg in p.stderr, p.stderr


# ---- a command that cannot start: Docker's 127 and 126 ----

@pytest.mark.parametrize("cmd,code,msg", [
    (["/no/such/program"], 127, 'exec: "/no/such/program": no such file in the container'),
    (["nosuchprogram"], 127, 'exec: "nosuchprogram": executable file not found in $PATH'),
    (["/tmp"], 126, 'exec: "/tmp": not a regular file'),
    (["/etc/passwd"], 126, "exec /etc/passwd: Permission denied"),  # there, not executable
])
def test_run_and_exec_exit_126_127(k, cmd, code, msg):
    before = set(k.out("ps", "-aq").split())
    p = k("run", "--rm", "kt/plain:1", *cmd)
    assert p.returncode == code, (p.stdout, p.stderr)
    assert msg in p.stderr
    assert set(k.out("ps", "-aq").split()) == before  # --rm removed it all the same
    cid = k.out("run", "-d", "kt/plain:1", "sleep", "60").strip()
    try:
        p = k("exec", cid, *cmd)
        assert p.returncode == code, (p.stdout, p.stderr)
        assert msg in p.stderr
        assert k("exec", cid, "sh", "-c", "exit 126").returncode == 126  # the program's own code
    finally:
        k("rm", "-f", cid)


# ---- ps reads ps.json, believed only while it matches the record ----

def test_ps_summary_follows_the_record(k):
    cid = k.out("create", "--name", "psa", "-l", "tier=web", "kt/plain:1", "sleep", "5").strip()
    d = k.base / "store" / "containers" / cid
    summ = json.loads((d / "ps.json").read_text())
    assert summ["Name"] == "/psa" and summ["Config"]["Labels"]["tier"] == "web"
    row = [json.loads(l) for l in k.out("ps", "-a", "--format", "json").splitlines()]
    mine = [r for r in row if r["ID"] == cid[:12]][0]
    assert (mine["Names"], mine["Command"], mine["State"], mine["Labels"]) == ("psa", '"sleep 5"', "created",
                                                                             "tier=web")
    k.out("rename", "psa", "psb")
    assert json.loads((d / "ps.json").read_text())["Name"] == "/psb"
    assert "psb" in k.out("ps", "-a", "--format", "{{.Names}}").split()
    # container.json rewritten without its ps.json following (a crash
    # between the two writes): the stale ps.json is not believed
    summ = json.loads((d / "ps.json").read_text())
    summ["Name"] = "/liar"
    (d / "ps.json").write_text(json.dumps(summ))
    assert "liar" in k.out("ps", "-a", "--format", "{{.Names}}").split()  # the stamp still matches
    (d / "container.json.new").write_text((d / "container.json").read_text())
    os.rename(d / "container.json.new", d / "container.json")
    names = k.out("ps", "-a", "--format", "{{.Names}}").split()
    assert "psb" in names and "liar" not in names
    (d / "ps.json").unlink()  # a store of an older kapsel
    assert "psb" in k.out("ps", "-a", "--format", "{{.Names}}").split()
    # the state is status.json's, as inspect's
    k.out("start", cid)
    st = [json.loads(l) for l in k.out("ps", "--format", "json").splitlines()]
    assert [r["State"] for r in st if r["ID"] == cid[:12]] == ["running"]
    assert k.inspect(cid)["State"]["Status"] == "running"
    k.out("rm", "-f", cid)


def test_rm_containers_have_a_volatile_upper(k):
    # --rm: the upper goes with the container, so overlayfs does not sync
    # the upper filesystem at the unmount; a kept container's upper is synced
    cid = k.out("run", "-d", "--rm", "kt/plain:1", "sleep", "30").strip()
    keep = k.out("create", "kt/plain:1", "true").strip()
    try:
        opts = {}
        with open("/proc/self/mountinfo") as f:
            for line in f:
                parts = line.split()
                for c in (cid, keep):
                    if parts[4].endswith(c + "/bundle/rootfs"):
                        opts[c] = parts[-1].split(",")
        assert "fsync=volatile" in opts[cid], opts
        assert "fsync=volatile" not in opts[keep], opts
    finally:
        k("rm", "-f", cid, keep)


# ---- resource flags beyond the defaults ----

def test_resource_flags_reach_the_cgroup_and_the_process(k, tmp_path):
    v2 = os.path.exists("/sys/fs/cgroup/cgroup.controllers")
    blk = next((d for d in ("/dev/vda", "/dev/sda", "/dev/nvme0n1") if os.path.exists(d)), None)
    if v2:
        files = "cpu.max memory.low cpuset.cpus io.max io.bfq.weight"
    else:
        files = ("cpu/cpu.cfs_quota_us cpu/cpu.cfs_period_us cpuset/cpuset.cpus memory/memory.soft_limit_in_bytes "
                 "blkio/blkio.throttle.read_bps_device blkio/blkio.bfq.weight")
    # a block IO weight needs the BFQ scheduler (or CFQ's blkio.weight) on the host
    weight = bool(glob.glob("/sys/fs/cgroup/*/io.bfq.weight") + glob.glob("/sys/fs/cgroup/*/io.weight")
                  if v2 else glob.glob("/sys/fs/cgroup/blkio/blkio*.weight"))
    args = ["--memory", "64m", "--memory-reservation", "32m", "--cpu-period", "50000", "--cpu-quota", "25000",
            "--cpuset-cpus", "0", "--oom-score-adj", "200", "--shm-size", "8m", "--domainname", "example.org"]
    if weight:
        args += ["--blkio-weight", "300"]
    else:  # refused by the runtime, naming what is missing, not dropped
        p = k("run", "--rm", "--blkio-weight", "300", "kt/plain:1", "true")
        assert p.returncode == 125 and "blockIO.weight: this host cannot set it" in p.stderr, p.stderr
    if blk:
        args += ["--device-read-bps", blk + ":1mb"]
    script = ("cat /proc/self/oom_score_adj /proc/sys/kernel/domainname; df -k /dev/shm | tail -1; "
              "for f in %s; do echo \"$f=$(cat /sys/fs/cgroup/$f 2>&1 | tr '\\n' ' ')\"; done" % files)
    p = k("run", "--rm", *args, "kt/plain:1", "sh", "-c", script)
    assert p.returncode == 0, p.stderr
    lines = p.stdout.splitlines()
    assert lines[0] == "200" and lines[1] == "example.org"
    assert lines[2].split()[1] == "8192"  # /dev/shm's size in KiB
    got = dict(line.split("=", 1) for line in lines[3:])
    got = {kk: v.strip() for kk, v in got.items()}
    if v2:
        assert got["cpu.max"] == "25000 50000" and got["memory.low"] == str(32 << 20)
        assert got["cpuset.cpus"] == "0"
    else:
        assert got["cpu/cpu.cfs_quota_us"] == "25000" and got["cpu/cpu.cfs_period_us"] == "50000"
        assert got["cpuset/cpuset.cpus"] == "0" and got["memory/memory.soft_limit_in_bytes"] == str(32 << 20)
        if blk:
            st = os.stat(blk)
            assert got["blkio/blkio.throttle.read_bps_device"] == "%d:%d %d" % (
                os.major(st.st_rdev), os.minor(st.st_rdev), 1 << 20)
    # the record says so with Docker's names
    cid = k.out("create", *args, "kt/plain:1", "true").strip()
    h = k.inspect(cid)["HostConfig"]
    assert (h["MemoryReservation"], h["CpuPeriod"], h["CpuQuota"], h["CpusetCpus"], h["BlkioWeight"],
            h["OomScoreAdj"], h["ShmSize"]) == (32 << 20, 50000, 25000, "0", 300 if weight else 0, 200, 8 << 20)
    assert k.inspect(cid)["Config"]["Domainname"] == "example.org"
    if blk:
        assert h["BlkioDeviceReadBps"] == [{"Path": blk, "Rate": 1 << 20}]
    k.out("rm", cid)


def test_negative_oom_score_adj_is_refused_by_the_policy(k):
    """B17: at -500 the OOM killer would take the host's processes first.
    One message with the rule and its fix; nothing is left behind."""
    before = k.out("ps", "-aq")
    p = k("run", "--rm", "--oom-score-adj", "-500", "kt/plain:1", "true")
    assert p.returncode == 125, (p.stdout, p.stderr)
    # the runtime's refusal, whole on one line: the rule, the evidence, the fix
    line = next((l for l in p.stderr.splitlines() if "[B17 oom-score-adj]" in l), "")
    assert "refused by the kapsel policy" in line and "process.oomScoreAdj is -500" in line, p.stderr
    assert "fix: remove --oom-score-adj below 0" in line, p.stderr
    assert k.out("ps", "-aq") == before
    # a likelier victim is no one else's problem
    p = k("run", "--rm", "--oom-score-adj", "300", "kt/plain:1", "cat", "/proc/self/oom_score_adj")
    assert p.returncode == 0 and p.stdout == "300\n", p.stderr


@pytest.mark.parametrize("args,msg", [
    (["--cpus", "1", "--cpu-quota", "50000"], "give one of them"),
    (["--memory", "32m", "--memory-reservation", "64m"], "above --memory"),
    (["--cpuset-cpus", "3-1"], "--cpuset-cpus 3-1: expected a list like 0-3,5"),
    (["--cpuset-cpus", "1,"], "--cpuset-cpus 1,: expected a list"),
    (["--cpuset-cpus", ",1"], "--cpuset-cpus ,1: expected a list"),
    (["--cpuset-cpus", "1-"], "--cpuset-cpus 1-: expected a list"),
    (["--cpuset-cpus", "-1"], "--cpuset-cpus -1: expected a list"),
    (["--cpuset-cpus", "0-+1"], "--cpuset-cpus 0-+1: expected a list"),
    (["--cpuset-cpus", " 1"], "--cpuset-cpus  1: expected a list"),
    (["--cpuset-cpus", "1x"], "--cpuset-cpus 1x: expected a list"),
    (["--cpuset-cpus", "8192"], "--cpuset-cpus 8192: expected a list"),
    (["--cpuset-mems", "1,,2"], "--cpuset-mems 1,,2: expected a list"),
    (["--cpu-period", "10"], "from 1000 to 1000000"),
    (["--blkio-weight", "5"], "from 10 to 1000"),
    (["--device-read-bps", "/etc/passwd:1mb"], "not a block device"),
    (["--device-write-iops", "/dev/null"], "expected PATH:RATE"),
    (["--oom-score-adj", "5000"], "--oom-score-adj"),
    (["--shm-size", "0"], "--shm-size"),
    (["--domainname", "bad name"], "--domainname"),
    (["--expose", "70000"], "--expose 70000"),
    (["--expose", "80/"], "--expose 80/: no protocol after the /: give tcp or udp"),
    (["--expose", "80-81/"], "--expose 80-81/: no protocol after the /"),
    (["--expose", "80/sctp"], "--expose 80/sctp: the protocol is tcp or udp"),
    (["-P", "--expose", "80"], "-P: --network none publishes no ports"),
])
def test_bad_resource_flags_are_refused(k, args, msg):
    p = k("create", *args, "kt/plain:1", "true")
    assert p.returncode != 0 and msg in p.stderr, (args, p.stderr)


# the longest canonical list: pairs a gap apart up to 8191 (26 KB; a
# buffer sized for single numbers once overflowed on it)
PAIRS = ",".join(f"{a}-{a + 1}" for a in range(0, 8190, 3))


@pytest.mark.parametrize("given,canonical", [
    ("3,1", "1,3"), ("1,0", "0-1"), ("1,1,0", "0-1"), ("5,0-2,1", "0-2,5"), ("4-6,2-5", "2-6"), ("7", "7"),
    ("0-0", "0"), (",".join(str(n) for n in range(8191, -1, -2)), ",".join(str(n) for n in range(1, 8192, 2))),
    (PAIRS, PAIRS),
])
def test_cpuset_lists_in_any_order(k, given, canonical):
    """The kernel and Docker take a cpuset list in any order, with repeats:
    kapsel too, written in the kernel's canonical form (spec and record)."""
    cid = k.out("create", "--cpuset-cpus", given, "--cpuset-mems", "0,0", "kt/plain:1", "true").strip()
    try:
        h = k.inspect(cid)["HostConfig"]
        assert (h["CpusetCpus"], h["CpusetMems"]) == (canonical, "0"), h
        spec = json.load(open(os.path.join(k.root, "containers", cid, "bundle", "config.json")))
        assert spec["linux"]["resources"]["cpu"]["cpus"] == canonical
    finally:
        k.out("rm", cid)


def test_cpuset_out_of_order_reaches_the_cgroup(k):
    cpus = sorted(os.sched_getaffinity(0))[:2]
    given = ",".join(str(c) for c in reversed(cpus)) + ",%d" % cpus[0]  # "1,0,0": backwards, a repeat
    want = "%d-%d" % (cpus[0], cpus[1]) if len(cpus) == 2 and cpus[1] == cpus[0] + 1 else ",".join(map(str, cpus))
    p = k("run", "--rm", "--cpuset-cpus", given, "kt/plain:1", "sh", "-c",
          "cat /sys/fs/cgroup/cpuset.cpus 2>/dev/null || cat /sys/fs/cgroup/cpuset/cpuset.cpus")
    assert p.returncode == 0 and p.stdout.strip() == want, (given, p.stdout, p.stderr)


def test_cidfile_goes_with_a_container_that_is_removed_again(k, tmp_path):
    """The --cidfile kapsel wrote names a container: when that container
    is removed again (run -d whose start the policy refuses; the ID that
    could not be written whole), the file goes too."""
    before = k.out("ps", "-aq")
    cidf = str(tmp_path / "cid")
    p = k("run", "-d", "--cidfile", cidf, "--oom-score-adj", "-500", "kt/plain:1", "true")
    assert p.returncode == 125 and "[B17 oom-score-adj]" in p.stderr, p.stderr
    assert not os.path.exists(cidf) and k.out("ps", "-aq") == before
    # a full file system: the open makes the file, the write fails
    full = tmp_path / "full"
    full.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4k", "tmpfs", str(full)], check=True)
    try:
        with open(full / "fill", "wb") as f:
            try:
                f.write(b"x" * 65536)
                f.flush()
            except OSError:
                pass
        p = k("create", "--cidfile", str(full / "cid"), "kt/plain:1", "true")
        assert p.returncode != 0 and "--cidfile %s/cid: No space left on device" % full in p.stderr, p.stderr
        assert not os.path.exists(full / "cid") and k.out("ps", "-aq") == before
    finally:
        subprocess.run(["umount", str(full)], check=True)


def test_label_file_and_cidfile(k, tmp_path):
    lf = tmp_path / "labels"
    lf.write_text("# team labels\n\nteam=web\nbare\r\ntier=front\n")
    cidf = str(tmp_path / "cid")
    cid = k.out("create", "--label-file", str(lf), "--label", "tier=back", "--cidfile", cidf, "kt/plain:1",
                "true").strip()
    with open(cidf) as f:
        assert f.read() == cid
    labels = k.inspect(cid)["Config"]["Labels"]
    assert labels["team"] == "web" and labels["bare"] == "" and labels["tier"] == "back"  # --label wins
    before = k.out("ps", "-aq")
    p = k("create", "--cidfile", cidf, "kt/plain:1", "true")
    assert p.returncode != 0 and "exists" in p.stderr
    assert k.out("ps", "-aq") == before  # nothing made
    lf.write_text("=x\n")
    p = k("create", "--label-file", str(lf), "kt/plain:1", "true")
    assert p.returncode != 0 and "empty label name" in p.stderr
    k.out("rm", cid)


def test_privileged_is_refused_with_the_flags_to_use(k):
    p = k("run", "--rm", "--privileged", "kt/plain:1", "true")
    assert p.returncode == 2 and "--cap-add" in p.stderr and "--device" in p.stderr, p.stderr


def test_host_namespaces_go_to_the_policy(k):
    for flag, rule in (("--pid", "B2"), ("--ipc", "B3"), ("--uts", "B5")):
        p = k("run", "--rm", flag, "host", "kt/plain:1", "true")
        assert p.returncode == 125 and "[%s " % rule in p.stderr, (flag, p.stderr)
    p = k("create", "--uts", "host", "--hostname", "x", "kt/plain:1", "true")
    assert p.returncode != 0 and "--uts host" in p.stderr
    # the host's NIS domain neither (setdomainname in the host's namespace)
    p = k("create", "--uts", "host", "--domainname", "x", "kt/plain:1", "true")
    assert p.returncode != 0 and "--domainname x with --uts host" in p.stderr, p.stderr
    for flag, word in (("--pid", "private (the default), host or container:NAME"), ("--uts", "private (the default) or host"),
                       ("--ipc", "shareable, none")):
        p = k("create", flag, "bogus", "kt/plain:1", "true")
        assert p.returncode != 0 and word in p.stderr, (flag, p.stderr)


def test_stop_kill_and_restart_of_a_paused_container(k):
    """Docker's: the signal, then the thaw; the container exits as a
    running one does (TERM handled, the stop timeout not waited out)."""
    k.out("run", "-d", "--name", "pz-stop", "--restart", "no", "kt/plain:1", "sh", "-c", "trap 'exit 7' TERM; while :; do sleep 0.1; done")
    k.out("pause", "pz-stop")
    t = time.monotonic()
    k.out("stop", "-t", "20", "pz-stop")
    st = k.inspect("pz-stop")["State"]
    assert (st["Status"], st["ExitCode"], st["Paused"]) == ("exited", 7, False), st
    assert time.monotonic() - t < 15  # the TERM got through: no SIGKILL after the timeout
    k.out("start", "pz-stop")  # the paused mark went with the thaw
    k.out("pause", "pz-stop")
    k.out("kill", "pz-stop")
    assert wait_for(lambda: k.inspect("pz-stop")["State"]["Status"] == "exited"), k.inspect("pz-stop")["State"]
    assert k.inspect("pz-stop")["State"]["ExitCode"] == 137  # KILL, delivered at the thaw
    k.out("start", "pz-stop")
    k.out("pause", "pz-stop")
    pid = k.inspect("pz-stop")["State"]["Pid"]
    k.out("restart", "-t", "20", "pz-stop")
    st = k.inspect("pz-stop")["State"]
    assert st["Status"] == "running" and st["Pid"] != pid and not st["Paused"], st
    k.out("rm", "-f", "pz-stop")


def test_pid_and_ipc_of_another_container(k):
    src = k.out("run", "-d", "--name", "ns-src", "--ipc", "shareable", "--shm-size", "4m", "kt/plain:1", "sh", "-c",
                "echo shared > /dev/shm/x && exec sleep 1000").strip()
    assert k.inspect(src)["HostConfig"]["IpcMode"] == "shareable"
    p = k("run", "--rm", "--pid", "container:ns-src", "--ipc", "container:ns-src", "kt/plain:1", "sh", "-c",
          "cat /proc/1/cmdline | tr '\\0' ' '; echo; cat /dev/shm/x; readlink /proc/self/ns/ipc")
    assert p.returncode == 0, p.stderr
    cmd, shm, ipcns = p.stdout.splitlines()
    assert cmd.strip() == "sleep 1000" and shm == "shared"  # its PID 1 and its /dev/shm
    pid = k.inspect(src)["State"]["Pid"]
    assert ipcns == os.readlink("/proc/%d/ns/ipc" % pid)
    h = k.inspect(k.out("create", "--pid", "container:ns-src", "kt/plain:1", "true").strip())["HostConfig"]
    assert h["PidMode"] == "container:" + src and h["IpcMode"] == "private"
    other = k.out("run", "-d", "kt/plain:1", "sleep", "1000").strip()
    p = k("create", "--ipc", "container:" + other, "kt/plain:1", "true")
    assert p.returncode != 0 and "not shareable" in p.stderr
    shm = os.path.join(str(k.root), "containers", src, "shm")
    assert os.path.ismount(shm)
    k.out("rm", "-f", src, other)
    assert not os.path.exists(shm)  # unmounted and gone with the container


def test_pid_and_ipc_join_the_other_container_as_it_runs_now(k):
    """The namespaces B joins are A's init's at B's start, not the pid
    create saw: after A restarts that pid is another process's (attack
    side: B would join whatever got the number)."""
    a = k.out("run", "-d", "--name", "ns-a", "--ipc", "shareable", "kt/plain:1", "sleep", "1000").strip()
    b = k.out("create", "--name", "ns-b", "--pid", "container:ns-a", "--ipc", "container:ns-a", "kt/plain:1",
              "sh", "-c", "readlink /proc/self/ns/ipc; readlink /proc/self/ns/pid; exec sleep 1000").strip()
    first = k.inspect(a)["State"]["Pid"]
    k.out("stop", "-t", "1", "ns-a")
    # A stopped: B does not start (nor joins a stranger that got A's pid)
    p = k("start", "ns-b")
    assert p.returncode != 0 and "cannot join" in p.stderr and "non running container" in p.stderr \
        and "ns-a" in p.stderr, p.stderr
    k.out("start", "ns-a")
    now = k.inspect(a)["State"]["Pid"]
    assert now and now != first
    k.out("start", "ns-b")
    assert wait_for(lambda: len(k.out("logs", "ns-b").split()) == 2), (k.out("logs", "ns-b"), k.inspect(b)["State"])
    ipc, pid = k.out("logs", "ns-b").split()
    assert ipc == os.readlink("/proc/%d/ns/ipc" % now) and pid == os.readlink("/proc/%d/ns/pid" % now)
    # the supervisor's own restarts look again too (kapsel restart: a new A first)
    k.out("restart", "-t", "1", "ns-a")
    k.out("restart", "-t", "1", "ns-b")
    again = k.inspect(a)["State"]["Pid"]
    assert wait_for(lambda: len(k.out("logs", "ns-b").split()) == 4), (k.out("logs", "ns-b"), k.inspect(b)["State"])
    assert k.out("logs", "ns-b").split()[2] == os.readlink("/proc/%d/ns/ipc" % again)
    k.out("rm", "-f", b, a)


def test_a_supervisor_restart_joins_the_other_container_as_it_runs_now(k):
    """B's restart policy relaunches B in its supervisor: it looks at A's
    status.json, not at the pid of B's create."""
    a = k.out("run", "-d", "--name", "rs-a", "--ipc", "shareable", "kt/plain:1", "sleep", "1000").strip()
    b = k.out("run", "-d", "--name", "rs-b", "--restart", "always", "--ipc", "container:rs-a", "kt/plain:1", "sh",
              "-c", "readlink /proc/self/ns/ipc; sleep 2; exit 3").strip()
    k.out("restart", "-t", "1", "rs-a")  # A's init is another process now
    now = k.inspect(a)["State"]["Pid"]
    # B's next run (its supervisor's restart) is in A's namespace of now
    assert wait_for(lambda: len(k.out("logs", "rs-b").split()) >= 2, timeout=30), k.inspect(b)["State"]
    assert k.out("logs", "rs-b").split()[-1] == os.readlink("/proc/%d/ns/ipc" % now)
    k.out("stop", "-t", "1", "rs-a")
    # A stopped: B's next restart fails with the message
    assert wait_for(lambda: "non running container: rs-a" in (k.inspect(b)["State"]["Error"] or ""), timeout=30), \
        k.inspect(b)["State"]
    k.out("rm", "-f", b, a)


def cgroup_file(pid, controller, v1name, v2name):
    """The value of a cgroup file of PID: v1's CONTROLLER/V1NAME or v2's V2NAME."""
    with open("/proc/%d/cgroup" % pid) as f:
        for line in f.read().splitlines():
            _, ctrls, path = line.split(":", 2)
            if controller in ctrls.split(","):
                with open("/sys/fs/cgroup/%s%s/%s" % (controller, path, v1name)) as g:
                    return g.read().strip()
            if ctrls == "" and os.path.exists("/sys/fs/cgroup/cgroup.controllers"):
                with open("/sys/fs/cgroup%s/%s" % (path, v2name)) as g:
                    return g.read().strip()
    raise AssertionError("no %s cgroup for %d" % (controller, pid))


def test_update_removes_limits_live(k):
    """--memory 0, --pids-limit -1, --cpus 0 take the limit off the running
    cgroup, not only off config.json (the runtime's update keeps a field
    left out)."""
    cid = k.out("run", "-d", "--name", "up-0", "--memory", "64m", "--pids-limit", "50", "--cpus", "0.5", "kt/plain:1",
                "sleep", "1000").strip()
    pid = k.inspect(cid)["State"]["Pid"]
    assert cgroup_file(pid, "memory", "memory.limit_in_bytes", "memory.max") == str(64 << 20)
    k.out("update", "--memory", "0", "--pids-limit", "-1", "--cpus", "0", "up-0")
    mem = cgroup_file(pid, "memory", "memory.limit_in_bytes", "memory.max")
    assert mem == "max" or int(mem) > 1 << 60, mem  # v1's "unlimited" is a page-rounded 2^63-1
    assert cgroup_file(pid, "pids", "pids.max", "pids.max") == "max"
    assert cgroup_file(pid, "cpu", "cpu.cfs_quota_us", "cpu.max").split()[0] in ("-1", "max")
    h = k.inspect(cid)["HostConfig"]
    assert (h["Memory"], h["NanoCpus"], h["PidsLimit"]) == (0, 0, None), h
    k.out("rm", "-f", cid)


def test_update_changes_limits_live_and_the_restart_policy(k):
    cid = k.out("run", "-d", "--name", "up-1", "kt/plain:1", "sleep", "1000").strip()
    pid = k.inspect(cid)["State"]["Pid"]
    assert k.out("update", "--memory", "128m", "--cpus", "0.5", "--pids-limit", "100", "--restart", "no",
                 "up-1").strip() == "up-1"
    assert cgroup_file(pid, "memory", "memory.limit_in_bytes", "memory.max") == str(128 << 20)
    assert cgroup_file(pid, "pids", "pids.max", "pids.max") == "100"
    assert cgroup_file(pid, "cpu", "cpu.cfs_quota_us", "cpu.max").split()[0] == "50000"
    h = k.inspect(cid)["HostConfig"]
    assert (h["Memory"], h["MemorySwap"], h["NanoCpus"], h["PidsLimit"]) == (128 << 20, 128 << 20, 500000000, 100)
    assert h["RestartPolicy"] == {"Name": "no", "MaximumRetryCount": 0}
    with open(os.path.join(k.root, "containers", cid, "bundle", "config.json")) as f:
        res = json.load(f)["linux"]["resources"]
    assert res["memory"]["limit"] == 128 << 20 and res["pids"]["limit"] == 100  # what a restart makes
    # refused before anything changes
    for args, word in ((["--memory", "4m"], "minimum is 6m"), (["--memory-reservation", "1g"], "above --memory"),
                       (["--cpus", "1", "--cpu-quota", "50000"], "give one of them"), ([], "nothing to change"),
                       (["--restart", "sometimes"], "expected no, on-failure")):
        p = k("update", *args, "up-1")
        assert p.returncode != 0 and word in p.stderr, (args, p.stderr)
    assert cgroup_file(pid, "memory", "memory.limit_in_bytes", "memory.max") == str(128 << 20)
    # the supervisor took "no": a kill ends it for good (on-failure:5, the default, would restart it)
    k.out("kill", "up-1")
    assert k.out("wait", "up-1").strip() == "137"
    st = k.inspect(cid)["State"]
    assert st["Status"] == "exited" and k.inspect(cid)["RestartCount"] == 0
    # a stopped container takes new limits for its next start
    k.out("update", "--memory", "96m", "up-1")
    k.out("start", "up-1")
    pid = k.inspect(cid)["State"]["Pid"]
    assert cgroup_file(pid, "memory", "memory.limit_in_bytes", "memory.max") == str(96 << 20)
    k.out("rm", "-f", cid)
    p = k("update", "--memory", "96m", "nosuch-container")
    assert p.returncode != 0 and "nosuch-container" in p.stderr


def test_pause_freezes_and_unpause_thaws(k):
    cid = k.out("run", "-d", "--name", "pz-1", "--health-cmd", "true", "--health-interval", "1s", "kt/plain:1", "sh",
                "-c", "while true; do echo x >> /tmp/ticks; sleep 0.1; done").strip()
    pid = k.inspect(cid)["State"]["Pid"]
    ticks = "/proc/%d/root/tmp/ticks" % pid

    def count():
        with open(ticks) as f:
            return len(f.read().splitlines())

    assert wait_for(lambda: os.path.exists(ticks) and count() > 2)
    assert k.out("pause", "pz-1").strip() == "pz-1"
    st = k.inspect(cid)["State"]
    assert (st["Status"], st["Running"], st["Paused"]) == ("paused", True, True)
    assert "(Paused)" in k.out("ps")  # listed as up, as Docker's ps
    n = count()
    time.sleep(1.5)  # an absence over time: 15 ticks it would have written
    assert count() == n  # frozen: nothing more is written
    health = len(k.inspect(cid)["State"]["Health"]["Log"])
    for cmd, word in ((["exec", "pz-1", "true"], "paused"), (["start", "pz-1"], "paused"),
                      (["pause", "pz-1"], "not running")):
        p = k(*cmd)
        assert p.returncode != 0 and word in p.stderr, (cmd, p.stderr)
    time.sleep(1.2)  # more than a health interval
    assert len(k.inspect(cid)["State"]["Health"]["Log"]) == health  # no probe while paused
    k.out("unpause", "pz-1")
    assert k.inspect(cid)["State"]["Status"] == "running"
    assert wait_for(lambda: count() > n + 2)
    p = k("unpause", "pz-1")
    assert p.returncode != 0 and "not paused" in p.stderr
    k.out("pause", "pz-1")
    k.out("rm", "-f", "pz-1")  # thawed, then killed
    assert cid not in k.out("ps", "-aq", "--no-trunc")
