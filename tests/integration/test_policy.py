"""The hardening policy, from the attacker's side: the runtime refuses what
a policy enforces, through kapsel-runtime itself and through Docker,
Podman and containerd, with the right rule ids; harden turns a plain
`docker run` into the hardened profile; every decision is logged."""
import json
import os
import subprocess

import pytest

from clients import dockerd, image_rootfs_tar, runtime_bin, umount_under  # noqa: F401
from conftest import Runtime, cgroup_dirs


def policy_file(tmp_path, body, name="policy.conf"):
    p = tmp_path / name
    log = tmp_path / "decisions.log"
    p.write_text(body.replace("@LOG@", str(log)))
    return str(p), log


def decisions(log):
    return [json.loads(l) for l in open(log).read().splitlines()]


ENFORCE_BASELINE = ("[policy]\nenforce = baseline\nwarn = restricted\naudit = restricted\naction = refuse\nlog = @LOG@\n"
                    "syslog = no\n")


# ---- kapsel-runtime policy check / rules / explain ----

def test_policy_check_good_and_bad(tmp_path):
    rt = Runtime(str(tmp_path / "state"), policy=None)
    good, _ = policy_file(tmp_path, ENFORCE_BASELINE + "[exempt]\nname = ci-*\n[rules]\ndisable = R8\n")
    r = rt("policy", "check", good)
    assert r.rc == 0 and "enforce baseline" in r.out and "1 rules disabled" in r.out, r
    cases = {
        "[policy]\nenforce = strict\n": ":2: enforce: \"strict\" is not a level",
        "enforce = baseline\n": ":1: \"enforce\" is outside any [section]",
        "[policy]\n\n# c\naction refuse\n": ":4: expected \"key = value\"",
        "[polcy]\n": ":1: unknown section [polcy]",
        "[policy]\nlog = relative/x\n": ":2: log: \"relative/x\" is not an absolute path or none",
        "[rules]\ndisable = Z9\n": ":2: disable: \"Z9\" is not a rule id",
        "[harden]\nmemory = 12x\n": ":2: memory: \"12x\" is not a size",
        "[policy]\nbogus = 1\n": ":2: unknown key \"bogus\" in [policy]",
    }
    for body, msg in cases.items():
        f, _ = policy_file(tmp_path, body, "bad.conf")
        r = rt("policy", "check", f)
        assert r.rc == 1 and f + msg in r.err, (body, r)
    r = rt("policy", "check", str(tmp_path / "missing.conf"))
    assert r.rc == 1 and "missing.conf" in r.err


def test_policy_rules_list():
    rt = Runtime("/tmp/unused", policy=None)
    rules = json.loads(rt("policy", "rules", "--format", "json").out)
    ids = [r["id"] for r in rules]
    assert ids[:2] == ["B1", "B2"] and "R10" in ids
    for r in rules:
        assert r["title"] and r["remediation"] and r["level"] in ("baseline", "restricted")
    # what the default action fills in
    assert [r["id"] for r in rules if r["fix"]] == ["B7", "B10", "B11", "B15", "B16"]
    assert all(r["harden"] for r in rules if r["fix"])
    text = rt("policy", "rules").out
    assert "fix: remove --security-opt seccomp=unconfined / set seccompProfile RuntimeDefault (fixed by default" in text


def test_policy_explain(bundle, tmp_path):
    pol, _ = policy_file(tmp_path, ENFORCE_BASELINE)
    rt = Runtime(bundle.runtime.root, policy=pol)
    bundle.config["linux"]["namespaces"] = [n for n in bundle.config["linux"]["namespaces"]
                                            if n["type"] != "network"]
    bundle.write()
    r = rt("policy", "explain", "--format", "json", bundle.path)
    assert r.rc == 1, r  # would be refused (docs/cli.md: a check's "no")
    d = r.json()
    res = {x["id"]: x for x in d["rules"]}
    assert res["B4"]["result"] == "FAIL" and "network" in res["B4"]["evidence"]
    assert res["B1"]["result"] == "PASS"
    assert d["verdict"] == "deny"
    r = rt("policy", "explain", bundle.path)
    assert "FAIL      B4   host-network" in r.out and "verdict: deny" in r.out
    # no verdict at all: the bundle cannot be read
    r = rt("policy", "explain", str(tmp_path / "nosuch"))
    assert r.rc == 3 and "nosuch" in r.err, r


# ---- enforcement by kapsel-runtime itself ----

# a second procfs: the runtime masks only /proc
PROC_ELSEWHERE = {"type": "proc", "source": "proc", "destination": "/mnt/p", "options": ["nosuid", "noexec", "nodev"]}


def writable_sysfs(c):
    for m in c["mounts"]:
        if m["type"] == "sysfs":
            m["options"] = [o for o in m.get("options", []) if o != "ro"]


ATTACKS = {
    # name: (change to the default spec, rule id)
    "host-network": (lambda c: c["linux"].update(namespaces=[n for n in c["linux"]["namespaces"]
                                                               if n["type"] != "network"]), "B4"),
    "host-pid": (lambda c: c["linux"].update(namespaces=[n for n in c["linux"]["namespaces"]
                                                           if n["type"] != "pid"]), "B2"),
    "sys-admin": (lambda c: c["process"]["capabilities"]["bounding"].append("CAP_SYS_ADMIN"), "B1"),
    "host-root": (lambda c: c["mounts"].append({"destination": "/host", "type": "bind", "source": "/",
                                                "options": ["rbind"]}), "B8"),
    "no-seccomp": (lambda c: c["linux"].pop("seccomp"), "B10"),
    "unmasked": (lambda c: c["linux"].update(maskedPaths=[], readonlyPaths=[]), "B11"),
    "partly-masked": (lambda c: c["linux"].update(maskedPaths=["/proc/asound"]), "B11"),
    "proc-elsewhere": (lambda c: c["mounts"].append(PROC_ELSEWHERE), "B11"),
    "writable-sysfs": (lambda c: writable_sysfs(c), "B15"),
    "allow-all-seccomp": (lambda c: c["linux"].update(seccomp={"defaultAction": "SCMP_ACT_ALLOW"}), "B10"),
    "sysctl": (lambda c: c["linux"].update(sysctl={"kernel.msgmax": "65536"}), "B12"),
    "device": (lambda c: c["linux"].update(devices=[{"path": "/dev/xvda", "type": "b", "major": 8, "minor": 0}]),
               "B9"),
    # never chosen by the OOM killer: the host's processes are killed instead
    "oom-score-adj": (lambda c: c["process"].update(oomScoreAdj=-500), "B17"),
}


@pytest.mark.parametrize("attack", sorted(ATTACKS))
def test_enforce_baseline_refuses(attack, bundle, tmp_path):
    pol, log = policy_file(tmp_path, ENFORCE_BASELINE)
    rt = Runtime(bundle.runtime.root, policy=pol)
    change, rule = ATTACKS[attack]
    change(bundle.config)
    bundle.args("/bin/true")
    bundle.write()
    r = rt("run", "--bundle", bundle.path, bundle.id)
    assert r.rc == 1, r
    assert "refused by the kapsel policy" in r.err and f"[{rule} " in r.err, r.err
    # nothing of the container was made
    assert rt.ids() == [] and not cgroup_dirs("/kapsel/" + bundle.id)
    d = decisions(log)[-1]
    assert d["verdict"] == "deny" and d["id"] == bundle.id
    assert rule in [f["rule"] for f in d["failed"] if f["mode"] == "enforce"]


def test_compliant_container_runs_and_is_logged(bundle, tmp_path):
    pol, log = policy_file(tmp_path, ENFORCE_BASELINE.replace("warn = restricted", "warn = restricted"))
    rt = Runtime(bundle.runtime.root, policy=pol)
    bundle.args("/bin/true")
    bundle.write()
    r = rt("run", "--bundle", bundle.path, bundle.id)
    assert r.rc == 0, r
    d = decisions(log)[-1]
    assert d["verdict"] == "allow" and d["failed"] == [] and d["level"] == "baseline"


def test_warn_and_audit_modes_run_and_record(bundle, tmp_path):
    pol, log = policy_file(tmp_path, "[policy]\nenforce = privileged\nwarn = baseline\naudit = restricted\n"
                                     "log = @LOG@\nsyslog = no\n")
    rt = Runtime(bundle.runtime.root, policy=pol)
    bundle.config["root"]["readonly"] = False           # restricted: audit only
    bundle.config["process"]["capabilities"]["bounding"].append("CAP_SYS_ADMIN")  # baseline: warned
    bundle.args("/bin/true")
    bundle.write()
    r = rt("run", "--bundle", bundle.path, bundle.id)
    assert r.rc == 0, r
    assert "policy (warn baseline): [B1 capabilities]" in r.err
    assert "R5" not in r.err  # audit: recorded, not warned
    d = decisions(log)[-1]
    modes = {f["rule"]: f["mode"] for f in d["failed"]}
    assert d["verdict"] == "allow-warn" and modes["B1"] == "warn" and modes["R5"] == "audit"


def test_exemption_and_annotation(bundle, tmp_path):
    pol, log = policy_file(tmp_path, ENFORCE_BASELINE + "[exempt]\nname = debug-*\n[override]\nannotation = yes\n"
                                                         "min-level = privileged\n")
    rt = Runtime(bundle.runtime.root, policy=pol)
    bundle.config["process"]["capabilities"]["bounding"].append("CAP_SYS_ADMIN")
    bundle.args("/bin/true")
    bundle.write()
    # an exempt name runs, and the log says why
    bundle.config["annotations"] = {"io.kubernetes.cri.image-name": "registry.example/debug:1",
                                    "io.kubernetes.pod.namespace": "tools"}
    bundle.write()
    r = rt("run", "--bundle", bundle.path, "debug-1")
    assert r.rc == 0, r
    d = decisions(log)[-1]
    assert d["verdict"] == "allow" and d["level_reason"].startswith("exempt: name matches")
    assert d["image"] == "registry.example/debug:1"
    assert d["hints"]["io.kubernetes.pod.namespace"] == "tools"
    # the annotation may lower the level here...
    bundle.config["annotations"] = {"io.kapsel.policy.level": "privileged"}
    bundle.write()
    assert rt("run", "--bundle", bundle.path, bundle.id).rc == 0
    # ... but not under a policy that does not allow it
    strict, _ = policy_file(tmp_path, ENFORCE_BASELINE, "strict.conf")
    r = Runtime(bundle.runtime.root, policy=strict)("run", "--bundle", bundle.path, bundle.id)
    assert r.rc == 1 and "[B1 capabilities]" in r.err


def test_unloggable_decision_is_refused_when_enforcing(bundle, tmp_path):
    (tmp_path / "afile").write_text("")
    pol, _ = policy_file(tmp_path, ENFORCE_BASELINE.replace("@LOG@", str(tmp_path / "afile" / "log")))
    rt = Runtime(bundle.runtime.root, policy=pol)
    bundle.args("/bin/true")
    bundle.write()
    r = rt("run", "--bundle", bundle.path, bundle.id)
    assert r.rc == 1 and "cannot write the decision log" in r.err
    assert rt.ids() == []


def test_harden_fills_in_the_defaults(bundle, tmp_path):
    pol, log = policy_file(tmp_path, ENFORCE_BASELINE + "action = harden\n")
    rt = Runtime(bundle.runtime.root, policy=pol)
    c = bundle.config
    c["linux"].pop("seccomp")
    c["linux"].pop("resources")
    c["root"]["readonly"] = False
    c["process"]["noNewPrivileges"] = False
    c["process"]["rlimits"] = []
    c["process"]["capabilities"] = {k: ["CAP_CHOWN", "CAP_NET_BIND_SERVICE"] for k in
                                    ("bounding", "effective", "permitted")}
    c["process"]["user"] = {"uid": 0, "gid": 0}
    bundle.args("/bin/probe", "info")
    bundle.write()
    r = rt("run", "--bundle", bundle.path, bundle.id)
    assert r.rc == 0, r
    info = json.loads(r.out)
    assert info["cap_names"]["bnd"] == ["CAP_NET_BIND_SERVICE"]
    assert info["no_new_privs"] is True and info["seccomp"] == 2
    assert {m["mountpoint"]: m for m in info["mounts"]}["/"]["options"].startswith("ro")
    assert info["rlimits"]["RLIMIT_NOFILE"]["hard"] == 1024
    d = decisions(log)[-1]
    assert d["verdict"] == "hardened"
    changed = " ".join(d["changes"])
    # (B10 and R4 share one fix: the profile is installed once, under B10)
    for rule in ("B10", "R2", "R3", "R5", "R6", "R7", "R8", "R9"):
        assert rule + ":" in changed, rule
    assert changed.count("seccomp profile") == 1
    # R1 (root) has no safe fix: it stays a warning
    assert [f["rule"] for f in d["failed"]] == ["R1"]
    # the bundle's own config.json is untouched
    assert json.load(open(bundle.config_path))["root"]["readonly"] is False


# ---- the built-in policy: what baseline finds missing is filled in ----

BUILTIN_LOG = "/var/log/kapsel/decisions.log"


def builtin_runtime(bundle):
    """kapsel-runtime with no policy file, as a fresh install runs."""
    if os.path.exists("/etc/kapsel/policy.conf") or os.environ.get("KAPSEL_POLICY"):
        pytest.skip("a policy file is installed here: the built-in policy does not apply")
    return Runtime(bundle.runtime.root, policy=None)


def builtin_decision(cid):
    return [d for d in decisions(BUILTIN_LOG) if d["id"] == cid][-1]


def test_builtin_policy_fills_in_seccomp_masks_and_a_readonly_cgroupfs(bundle):
    rt = builtin_runtime(bundle)
    c = bundle.config
    c["linux"].pop("seccomp")                      # ctr's default, a pod without seccompProfile
    c["linux"]["maskedPaths"] = []                 # an unmasked /proc
    c["linux"]["readonlyPaths"] = []
    c["linux"]["namespaces"] = [n for n in c["linux"]["namespaces"] if n["type"] != "cgroup"]
    for m in c["mounts"]:                          # the host's cgroup namespace, cgroupfs writable
        if m["destination"] == "/sys/fs/cgroup":
            m["options"] = [o for o in m["options"] if o != "ro"] + ["rw"]
    bundle.args("/bin/sh", "-c", "probe info; echo 1 > /proc/sys/kernel/ns_last_pid || echo ro")
    bundle.write()
    r = rt("run", "--bundle", bundle.path, bundle.id)
    assert r.rc == 0, r
    lines = r.out.splitlines()
    info = json.loads(lines[0])
    assert info["seccomp"] == 2
    mounts = {m["mountpoint"]: m for m in info["mounts"]}
    assert mounts["/sys/fs/cgroup"]["options"].startswith("ro"), mounts["/sys/fs/cgroup"]
    assert "/proc/keys" in mounts and "/proc/timer_list" in mounts and mounts["/proc/sys"]["options"].startswith("ro"), mounts  # masked
    assert lines[1:] == ["ro"], r
    # each fix is a warning naming the exemption, and is in the decision log
    hint = f'to run it unchanged, exempt it: "[exempt] name = {bundle.id}" in /etc/kapsel/policy.conf'
    for change in ("B7: mounted the cgroup filesystem read-only", "B10: installed kapsel's default seccomp profile",
                   "B11: masked /proc and made /proc/sys read-only"):
        assert f"warning: policy fix: {change}; {hint}" in r.err, (change, r.err)
    d = builtin_decision(bundle.id)
    assert d["verdict"] == "hardened" and d["mode"]["action"] == "fix" and d["policy"] == "built-in"
    assert sorted(x.split(":")[0] for x in d["changes"]) == ["B10", "B11", "B7"]
    assert d["exempt_hint"] == hint
    assert not [f for f in d["failed"] if f["level"] == "baseline"]
    # the bundle's config is the client's: untouched
    assert "seccomp" not in json.load(open(bundle.config_path))["linux"]


def test_builtin_policy_warns_restricted_without_applying_it(bundle):
    rt = builtin_runtime(bundle)
    bundle.config["process"]["noNewPrivileges"] = False
    bundle.config["root"]["readonly"] = False
    bundle.args("/bin/probe", "info")
    bundle.write()
    r = rt("run", "--bundle", bundle.path, bundle.id)
    assert r.rc == 0, r
    info = json.loads(r.out)
    assert info["no_new_privs"] is False
    assert {m["mountpoint"]: m for m in info["mounts"]}["/"]["options"].startswith("rw")
    assert "policy (warn restricted): [R3 no-new-privileges]" in r.err
    assert "policy (warn restricted): [R5 writable-rootfs]" in r.err
    d = builtin_decision(bundle.id)
    assert d["verdict"] == "allow-warn" and d["changes"] == []


@pytest.mark.parametrize("attack", ["host-network", "host-pid", "sys-admin", "host-root", "sysctl", "device",
                                    "proc-elsewhere", "oom-score-adj"])
def test_builtin_policy_refuses_what_was_asked_for(attack, bundle):
    rt = builtin_runtime(bundle)
    change, rule = ATTACKS[attack]
    change(bundle.config)
    bundle.config["linux"].pop("seccomp")  # fillable: filled in, and still refused for the rest
    bundle.args("/bin/true")
    bundle.write()
    r = rt("run", "--bundle", bundle.path, bundle.id)
    assert r.rc == 1, r
    assert "refused by the kapsel policy (enforce level baseline, built-in)" in r.err and f"[{rule} " in r.err, r.err
    assert "[B10 " not in r.err
    assert rt.ids() == [] and not cgroup_dirs("/kapsel/" + bundle.id)
    assert builtin_decision(bundle.id)["verdict"] == "deny"


def test_builtin_policy_refuses_a_negative_oom_score_adj_and_names_the_fix(bundle, tmp_path):
    """B17: a container at -500 (or -1000) would outlive the host's own
    processes when memory runs out.  The built-in policy refuses it with the
    fix; an exempt container is the policy's to let through (the kernel may
    still refuse the write without CAP_SYS_RESOURCE); 0..1000 run."""
    rt = builtin_runtime(bundle)
    bundle.config["process"]["oomScoreAdj"] = -500
    bundle.args("/bin/true")
    bundle.write()
    r = rt("run", "--bundle", bundle.path, bundle.id)
    assert r.rc == 1, r
    assert ("refused by the kapsel policy (enforce level baseline, built-in): [B17 oom-score-adj]" in r.err
            and "process.oomScoreAdj is -500" in r.err and "fix: remove --oom-score-adj below 0" in r.err), r.err
    assert rt.ids() == [] and not cgroup_dirs("/kapsel/" + bundle.id)
    # exempt: the policy lets it through, and says why
    pol, log = policy_file(tmp_path, "[policy]\nlog = @LOG@\nsyslog = no\n[exempt]\nname = oom-*\n")
    r = Runtime(bundle.runtime.root, policy=pol)("run", "--bundle", bundle.path, "oom-1")
    assert "refused by the kapsel policy" not in r.err, r.err
    d = decisions(log)[-1]
    assert d["id"] == "oom-1" and d["verdict"] == "allow" and d["level_reason"].startswith("exempt: name matches")
    assert "B17" in [f["rule"] for f in d["failed"]]  # still recorded
    if r.rc != 0:  # this host's root may lack CAP_SYS_RESOURCE: the kernel's refusal, not the policy's
        assert "process.oomScoreAdj: -500 (lowering it needs CAP_SYS_RESOURCE)" in r.err, r.err
    # a positive value (a likelier victim) harms nobody else: it runs
    bundle.config["process"]["oomScoreAdj"] = 500
    bundle.args("/bin/sh", "-c", "cat /proc/self/oom_score_adj")
    bundle.write()
    r = rt("run", "--bundle", bundle.path, bundle.id)
    assert r.rc == 0 and r.out.strip() == "500", r
    assert "B17" not in r.err


def test_oom_score_adj_down_to_the_runtimes_own(bundle):
    """B17's one exception: a container as shielded as the runtime that
    starts it (under containerd, itself at -999, the CRI's pause container
    asks for -998): allowed; one point lower: refused, naming the runtime's."""
    rt = builtin_runtime(bundle)
    if subprocess.run(["choom", "-n", "-998", "--", "true"], capture_output=True).returncode != 0:
        pytest.skip("this host's root lacks CAP_SYS_RESOURCE: no runtime runs below 0 here")

    def lower():
        with open("/proc/self/oom_score_adj", "w") as f:
            f.write("-998")

    bundle.config["process"]["oomScoreAdj"] = -998
    bundle.args("/bin/sh", "-c", "cat /proc/self/oom_score_adj")
    bundle.write()
    r = rt("run", "--bundle", bundle.path, bundle.id, preexec_fn=lower)
    assert r.rc == 0 and r.out.strip() == "-998" and "B17" not in r.err, r
    bundle.config["process"]["oomScoreAdj"] = -999
    bundle.write()
    r = rt("run", "--bundle", bundle.path, bundle.id, preexec_fn=lower)
    assert r.rc == 1 and "[B17 oom-score-adj]" in r.err and "(the runtime's own is -998)" in r.err, r.err


def test_builtin_policy_completes_a_partial_mask_list_and_makes_sysfs_readonly(bundle):
    """A client that masked only /proc/asound and mounted /sys writable:
    from inside, /proc/keys and /proc/timer_list read empty, /proc/irq and /sys
    are read-only."""
    rt = builtin_runtime(bundle)
    c = bundle.config
    c["linux"]["maskedPaths"] = ["/proc/asound"]
    c["linux"]["readonlyPaths"] = ["/proc/sys"]
    writable_sysfs(c)
    # opening for writing and writing nothing: EROFS when read-only, and
    # harmless (no store) if it were not
    bundle.args("/bin/sh", "-c", "probe info; wc -c < /proc/timer_list; (: > /sys/power/state) && echo rw-sys; "
                "(: > /proc/irq/default_smp_affinity) && echo rw-irq; true")
    bundle.write()
    r = rt("run", "--bundle", bundle.path, bundle.id)
    assert r.rc == 0, r
    lines = r.out.splitlines()
    mounts = {m["mountpoint"]: m for m in json.loads(lines[0])["mounts"]}
    for masked in ("/proc/keys", "/proc/timer_list", "/sys/firmware"):  # (the others this kernel lacks)
        assert masked in mounts, (masked, sorted(mounts))
    assert mounts["/sys"]["options"].split(",")[0] == "ro", mounts["/sys"]
    assert mounts["/proc/irq"]["options"].split(",")[0] == "ro", mounts["/proc/irq"]
    assert lines[1:] == ["0"], r
    for path in ("/sys/power/state", "/proc/irq/default_smp_affinity"):
        assert f"can't create {path}: Read-only file system" in r.err, r.err
    d = builtin_decision(bundle.id)
    assert d["verdict"] == "hardened"
    assert sorted(x.split(":")[0] for x in d["changes"]) == ["B11", "B15"]


def test_builtin_policy_refuses_an_allow_everything_seccomp_profile(bundle):
    """An explicit profile is the client's: an unconfined one is refused, not replaced."""
    rt = builtin_runtime(bundle)
    bundle.config["linux"]["seccomp"] = {"defaultAction": "SCMP_ACT_LOG",
                                         "syscalls": [{"names": ["ptrace"], "action": "SCMP_ACT_ALLOW"}]}
    bundle.args("/bin/true")
    bundle.write()
    r = rt("run", "--bundle", bundle.path, bundle.id)
    assert r.rc == 1, r
    assert "[B10 no-seccomp]" in r.err and "allows every syscall (defaultAction SCMP_ACT_LOG" in r.err, r.err
    assert rt.ids() == [] and not cgroup_dirs("/kapsel/" + bundle.id)
    d = builtin_decision(bundle.id)
    assert d["verdict"] == "deny" and d["changes"] == []


# ---- through the clients, with the built-in policy (enforce baseline, fix) ----

DOCKER_ATTACKS = [
    (["--privileged"], ["B1", "B9"]),
    (["-v", "/:/host"], ["B8"]),
    (["-v", "/var/run/docker.sock:/var/run/docker.sock"], ["B8"]),
    (["--pid", "host"], ["B2"]),
    (["--net", "host"], ["B4"]),
    (["--cap-add", "SYS_ADMIN"], ["B1"]),
    (["--device", "/dev/vda"], ["B9"]),
]


@pytest.mark.parametrize("opts,rules", DOCKER_ATTACKS, ids=[" ".join(o) for o, _ in DOCKER_ATTACKS])
def test_docker_attacks_are_refused(dockerd, opts, rules):
    if "/var/run/docker.sock:/var/run/docker.sock" in opts and not os.path.exists("/var/run/docker.sock"):
        # a socket of the test daemon stands in for the system's
        opts = ["-v", f"{dockerd.sock}:/var/run/docker.sock"]
    if "/dev/vda" in opts and not os.path.exists("/dev/vda"):
        pytest.skip("no /dev/vda on this machine")
    p = dockerd("run", "--rm", "--runtime", "kapsel", *opts, "kbox", "true")
    assert p.returncode != 0
    assert "refused by the kapsel policy" in p.stderr, p.stderr
    for r in rules:
        assert f"[{r} " in p.stderr, (r, p.stderr)
    assert "fix:" in p.stderr


def test_docker_unconfined_seccomp_gets_the_default_profile(dockerd):
    # seccomp=unconfined reaches the runtime as a config without a filter,
    # as ctr's default does: the built-in policy fills it in
    p = dockerd("run", "--rm", "--runtime", "kapsel", "--security-opt", "seccomp=unconfined", "kbox",
                "grep", "^Seccomp:", "/proc/self/status")
    assert p.returncode == 0, p.stderr
    assert p.stdout.split() == ["Seccomp:", "2"]


def test_docker_harden_runtime(dockerd, tmp_path_factory):
    # a second runtime entry whose runtimeArgs name a harden policy
    d = tmp_path_factory.mktemp("harden")
    pol = d / "harden.conf"
    pol.write_text(f"[policy]\nenforce = baseline\nwarn = restricted\naction = harden\nlog = {d}/decisions.log\n"
                   "syslog = no\n")
    dockerd.add_runtime("kapsel-harden", ["--policy", str(pol)])
    p = dockerd("run", "--rm", "--runtime", "kapsel-harden", "kbox", "sh", "-c",
                "probe info; cat /sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/pids/pids.max "
                "/sys/fs/cgroup/cpu/cpu.cfs_quota_us")
    assert p.returncode == 0, p.stderr
    lines = p.stdout.splitlines()
    info = json.loads(lines[0])
    assert set(info["cap_names"]["eff"]) <= {"CAP_NET_BIND_SERVICE"}
    assert set(info["cap_names"]["bnd"]) <= {"CAP_NET_BIND_SERVICE"}
    assert info["no_new_privs"] is True and info["seccomp"] == 2
    assert {m["mountpoint"]: m for m in info["mounts"]}["/"]["options"].startswith("ro")
    assert lines[1:] == [str(256 << 20), "512", "100000"]
    log = [json.loads(l) for l in open(d / "decisions.log").read().splitlines()]
    assert log[-1]["verdict"] == "hardened"


def test_podman_privileged_is_refused(tmp_path_factory, runtime_bin, image_rootfs_tar):
    import shutil
    if not shutil.which("podman"):
        pytest.skip("podman is not installed")
    base = str(tmp_path_factory.mktemp("podman-policy"))
    pm = ["podman", "--root", f"{base}/storage", "--runroot", f"{base}/run", "--runtime", runtime_bin]
    subprocess.run(pm + ["import", image_rootfs_tar, "localhost/kbox:latest"], check=True, capture_output=True)
    for opts, rule in ((["--privileged"], "B1"), (["--pid", "host"], "B2"), (["--net", "host"], "B4"),
                       (["-v", "/etc:/host-etc"], "B8")):
        p = subprocess.run(pm + ["run", "--rm", "--ulimit", "nofile=1024:1024", "--ulimit", "nproc=1000:1000",
                                 *opts, "localhost/kbox", "true"], capture_output=True, text=True)
        assert p.returncode != 0 and f"[{rule} " in p.stderr, (opts, p.stderr)
    subprocess.run(pm + ["rm", "-af"], capture_output=True)
    umount_under(base)


def test_harden_maps_root_into_a_user_namespace(make_bundle, tmp_path):
    import shutil
    import tempfile
    # the mapped root (host uid 100000) must reach the rootfs: a copy in a
    # world-traversable directory
    base = tempfile.mkdtemp(prefix="kapsel-userns-")
    try:
        os.chmod(base, 0o755)
        rootfs = os.path.join(base, "rootfs")
        subprocess.run(["cp", "-a", make_bundle().config["root"]["path"], rootfs], check=True)
        b = make_bundle(rootfs)
        pol, log = policy_file(tmp_path, ENFORCE_BASELINE + "action = harden\n[harden]\nuserns = 100000:65536\n")
        rt = Runtime(b.runtime.root, policy=pol)
        b.config["process"]["user"] = {"uid": 0, "gid": 0}
        b.args("/bin/sh", "-c", "id -u; cat /proc/self/uid_map; exec /bin/probe sleep 600")
        b.write()
        r = rt("run", "--detach", "--bundle", b.path, b.id)
        assert r.rc == 0, r
        pid = rt.state(b.id)["pid"]
        # on the host the container's root is uid 100000
        status = open(f"/proc/{pid}/status").read()
        assert "\nUid:\t100000\t100000\t100000\t100000\n" in status, status
        d = decisions(log)[-1]
        assert d["verdict"] == "hardened" and any(c.startswith("R1:") for c in d["changes"])
        assert "R1" not in [f["rule"] for f in d["failed"]]
        assert rt("delete", "--force", b.id).rc == 0
    finally:
        shutil.rmtree(base, ignore_errors=True)


def test_policy_userns_values(tmp_path):
    rt = Runtime(str(tmp_path / "state"), policy=None)
    for bad in ("0:65536", "100000", "100000:0", "x:y", "4294967295:2"):
        f, _ = policy_file(tmp_path, f"[harden]\nuserns = {bad}\n", "u.conf")
        r = rt("policy", "check", f)
        assert r.rc == 1 and "userns" in r.err, (bad, r)
    f, _ = policy_file(tmp_path, "[harden]\nuserns = no\n", "u.conf")
    assert rt("policy", "check", f).rc == 0


def test_docker_harden_maps_root_away(dockerd, tmp_path_factory):
    # harden with a uid range: Docker's root becomes host uid 100000, even
    # though Docker's 0710 data root is out of that uid's reach (the
    # runtime clones the rootfs and the bind sources before the user
    # namespace exists)
    d = tmp_path_factory.mktemp("harden-userns")
    pol = d / "harden.conf"
    pol.write_text(f"[policy]\nenforce = baseline\nwarn = restricted\naction = harden\nlog = {d}/decisions.log\n"
                   "syslog = no\n[harden]\nuserns = 100000:65536\n")
    dockerd.add_runtime("kapsel-userns", ["--policy", str(pol)])
    cid = dockerd("run", "-d", "--runtime", "kapsel-userns", "kbox", "probe", "sleep", "600", check=True).stdout.strip()
    p = dockerd("exec", cid, "sh", "-c", "id -u; cat /proc/self/uid_map; cat /etc/hostname")
    assert p.returncode == 0, p.stderr
    lines = p.stdout.split("\n")
    assert lines[0] == "0" and lines[1].split() == ["0", "100000", "65536"]
    assert lines[2] == cid[:12]
    pid = int(dockerd("inspect", "-f", "{{.State.Pid}}", cid, check=True).stdout)
    assert "\nUid:\t100000\t100000\t100000\t100000\n" in open(f"/proc/{pid}/status").read()
    log = [json.loads(l) for l in open(d / "decisions.log").read().splitlines()]
    assert log[-1]["verdict"] == "hardened" and any(c.startswith("R1:") for c in log[-1]["changes"])
    dockerd("rm", "-f", cid, check=True)


def test_policy_file_from_the_environment(tmp_path):
    """$KAPSEL_POLICY is read by kapsel-runtime (the program), and --policy
    wins over it."""
    env_file, _ = policy_file(tmp_path, "[policy]\nenforce = strict\n", "env.conf")
    good, _ = policy_file(tmp_path, ENFORCE_BASELINE, "good.conf")
    rt = Runtime(str(tmp_path / "state"), policy=None)
    env = dict(os.environ, KAPSEL_POLICY=env_file)
    r = rt("policy", "check", env=env)
    assert r.rc == 1 and env_file + ":2: enforce: \"strict\" is not a level" in r.err, r
    r = Runtime(str(tmp_path / "state"), policy=good)("policy", "check", env=env)
    assert r.rc == 0 and "enforce baseline" in r.out, r


def test_builtin_policy_refuses_joining_another_containers_mount_namespace(make_bundle):
    """B14: building a root inside another container's mount namespace
    would change it for every process there (a failed create once left its
    mounts in the other container's table): refused, nothing changes."""
    a = make_bundle()
    rt = builtin_runtime(a)
    a.args("/bin/sleep", "30")
    a.write()
    r = rt("create", "--bundle", a.path, a.id)
    assert r.rc == 0, r
    try:
        pid = rt.state(a.id)["pid"]
        before = open(f"/proc/{pid}/mountinfo").read()
        b = make_bundle()
        b.config["linux"]["namespaces"] = [n if n["type"] != "mount" else {"type": "mount", "path": f"/proc/{pid}/ns/mnt"}
                                           for n in b.config["linux"]["namespaces"]]
        b.args("/bin/true")
        b.write()
        r = rt("run", "--bundle", b.path, b.id)
        assert r.rc == 1 and "[B14 host-mount]" in r.err and "joins an existing mount namespace" in r.err, r
        assert open(f"/proc/{pid}/mountinfo").read() == before
        assert b.id not in rt.ids()
    finally:
        rt("delete", "--force", a.id)
