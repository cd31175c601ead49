"""kapsel audit against a real dockerd with deliberately misconfigured and
well-configured containers (running and stopped), daemon.json variants,
file mode edge cases, Dockerfile and image tarball fixtures with known
findings, OCI bundles, filters, ignore rules, exit codes, and the JSON,
SARIF and JUnit outputs checked against their schemas."""
import json
import os
import socket
import subprocess
import xml.etree.ElementTree as ET

import jsonschema
import pytest

from audit_fixtures import (ALL, FIXTURES, KAPSEL, audit_containers, audit_dockerd, audit_image,  # noqa: F401
                            audit_json, by_id, objects, run_audit, swarm_dockerd)
from conftest import BUILD

# check -> the containers that must WARN; every other ka-* container must PASS
ROOT_USERS = {"ka-priv", "ka-hostnet", "ka-hostpid", "ka-sock", "ka-seccomp", "ka-restart", "ka-ports",
              "ka-ignored", "ka-shared", "ka-ipcuts", "ka-dev"}
EXPECTED_WARN = {
    "4.1": ROOT_USERS,
    "5.4": {"ka-priv", "ka-caps"},
    "5.5": {"ka-priv"},
    "5.6": {"ka-shared"},
    "5.7": {"ka-sshd"},
    "5.8": {"ka-ports"},
    "5.10": {"ka-hostnet"},
    "5.11": ALL - {"ka-good", "ka-ignored"},
    "5.12": ALL - {"ka-good"},
    "5.13": ALL - {"ka-good"},
    "5.14": {"ka-ports"},
    "5.15": {"ka-restart"},
    "5.16": {"ka-hostpid"},
    "5.17": {"ka-ipcuts"},
    "5.18": {"ka-priv", "ka-dev"},
    "5.20": {"ka-shared"},
    "5.21": {"ka-ipcuts"},
    "5.22": {"ka-priv", "ka-seccomp"},
    "5.24": {"ka-good"},
    "5.26": ALL - {"ka-good"},
    "5.27": ALL - {"ka-good"},
    "5.29": ALL - {"ka-good", "ka-ignored"},
    "5.32": {"ka-sock"},
}
# checks where a container with no finding has no PASS line either
NO_PASS = {"5.24"}


@pytest.fixture(scope="module")
def report(audit_dockerd, audit_containers):
    return audit_json("--check", "4,5", host=audit_dockerd.host)


@pytest.mark.parametrize("check", sorted(EXPECTED_WARN, key=lambda c: [int(x) for x in c.split(".")]))
def test_container_findings_on_exactly_the_right_containers(report, check):
    r = by_id(report)[check]
    warn = objects(r, "WARN", "container") & ALL
    assert warn == EXPECTED_WARN[check], r["evidence"]
    assert r["level"] == "WARN"
    if check not in NO_PASS:
        ignored = {"ka-ignored"} if check in ("5.11", "5.29") else set()
        assert objects(r, "PASS", "container") & ALL == ALL - EXPECTED_WARN[check] - ignored


def test_stopped_containers_are_audited(report):
    # ka-priv cannot even start on this machine (no CAP_SYS_RESOURCE): it is audited all the same
    assert "ka-priv" in objects(by_id(report)["5.5"], "WARN")
    assert report["summary"]["containers"] >= len(ALL)


def test_label_pragma_suppresses_and_counts(report):
    r = by_id(report)["5.11"]
    assert "ka-ignored" not in objects(r, "WARN") | objects(r, "PASS")
    assert r["suppressed"] >= 1


def test_text_output_is_docker_bench_style(audit_dockerd, audit_containers):
    p = run_audit("--check", "5.11", host=audit_dockerd.host)
    assert p.returncode == 1, p.stderr
    lines = p.stdout.splitlines()
    assert "[WARN] 5.11 - Ensure that the memory usage for containers is limited" in lines
    assert "[WARN]      * ka-hostnet: no memory limit" in lines
    assert not any("ka-good" in line for line in lines)   # PASS evidence only with -v
    p = run_audit("--check", "5.11", "-v", host=audit_dockerd.host)
    assert "[PASS]      * ka-good: memory limit 67108864 bytes" in p.stdout.splitlines()
    p = run_audit("--check", "5.11", "--remediation", host=audit_dockerd.host)
    assert "[INFO]      Remediation (medium): Run with --memory (and --memory-swap)." in p.stdout.splitlines()


def test_swarm(swarm_dockerd):
    d, port = swarm_dockerd
    r = by_id(audit_json("--check", "5.1,7,2.15", host=d.host))
    assert r["5.1"]["level"] == "WARN"
    assert r["7.2"]["level"] == "PASS" and str(port) in r["7.2"]["evidence"][0]["message"]
    assert objects(r["7.3"], "WARN") == {"ka-plain"} and objects(r["7.3"], "PASS") == {"ka-enc"}
    assert r["7.5"]["level"] == "WARN"
    assert r["7.1"]["level"] == "INFO" and "1 manager" in r["7.1"]["evidence"][0]["message"]
    assert r["7.4"]["level"] == "NOTE"
    assert r["2.15"]["level"] == "INFO"        # live restore does not apply to a swarm node
    d.docker("swarm", "update", "--autolock=true")
    assert by_id(audit_json("--check", "7.5", host=d.host))["7.5"]["level"] == "PASS"


def test_no_swarm(audit_dockerd):
    r = by_id(audit_json("--check", "5.1,7", host=audit_dockerd.host))
    assert all(v["level"] == "PASS" for v in r.values()), r
    assert r["7.3"]["reason"] == "swarm mode not enabled"


def test_daemon_checks_from_the_effective_configuration(audit_dockerd):
    r = by_id(audit_json("--check", "2,K1.8", host=audit_dockerd.host))
    assert r["2.2"]["level"] == "PASS"       # --bridge=none: no default bridge
    assert r["2.3"]["level"] == "PASS"
    assert r["2.4"]["level"] == "WARN"       # --iptables=false on the command line
    assert "dockerd --iptables" in r["2.4"]["evidence"][0]["message"]
    assert r["2.5"]["level"] == "WARN"
    assert any("10.9.8.7:5000" in e["message"] for e in r["2.5"]["evidence"])
    assert r["2.15"]["level"] == "PASS"      # live-restore from daemon.json
    assert r["2.16"]["level"] == "PASS"
    assert r["2.14"]["level"] == "WARN"
    assert r["2.8"]["level"] == "PASS"       # default-ulimits
    assert r["K1.8"]["level"] == "PASS"


DAEMON_VARIANTS = [
    ({"icc": False, "log-level": "debug", "iptables": False, "no-new-privileges": True, "userns-remap": "default",
      "live-restore": True, "userland-proxy": False, "log-driver": "syslog", "authorization-plugins": ["authz"],
      "experimental": True, "hosts": ["tcp://0.0.0.0:2375"], "seccomp-profile": "unconfined",
      "storage-opts": ["dm.basesize=20G"], "cgroup-parent": "/ka"},
     {"2.2": "PASS", "2.3": "WARN", "2.4": "WARN", "2.5": "PASS", "2.7": "WARN", "2.9": "PASS", "2.10": "INFO",
      "2.11": "WARN", "2.12": "PASS", "2.13": "PASS", "2.14": "PASS", "2.15": "PASS", "2.16": "PASS",
      "2.17": "WARN", "2.18": "WARN"}),
    ({}, {"2.2": "WARN", "2.3": "PASS", "2.4": "PASS", "2.5": "PASS", "2.7": "PASS", "2.9": "WARN", "2.10": "PASS",
          "2.11": "PASS", "2.12": "WARN", "2.13": "WARN", "2.14": "WARN", "2.15": "WARN", "2.16": "WARN",
          "2.17": "INFO", "2.18": "PASS"}),
    ({"bridge": "none", "insecure-registries": ["registry.local:5000"], "log-level": "info", "debug": True},
     {"2.2": "PASS", "2.3": "WARN", "2.5": "WARN"}),
]


@pytest.mark.parametrize("cfg,want", DAEMON_VARIANTS, ids=["hardened-and-not", "empty", "debug"])
def test_daemon_json_variants(tmp_path, cfg, want):
    path = tmp_path / "daemon.json"
    path.write_text(json.dumps(cfg))
    os.chmod(path, 0o644)
    r = by_id(audit_json("--no-daemon", "--daemon-json", str(path), "--check", "2,3.17,3.18"))
    got = {k: r[k]["level"] for k in want}
    assert got == want
    assert r["2.6"]["level"] == "SKIP"        # the storage driver needs the daemon
    assert r["3.17"]["level"] == "PASS" and r["3.18"]["level"] == "PASS"


def test_broken_daemon_json_is_named(tmp_path):
    path = tmp_path / "daemon.json"
    path.write_text('{"icc": false,\n "log-level": }\n')
    rep = audit_json("--no-daemon", "--daemon-json", str(path), "--check", "2.2")
    assert any(str(path) in n and "line 2" in n for n in rep["notices"]), rep["notices"]
    assert by_id(rep)["2.2"]["level"] == "SKIP"


@pytest.mark.parametrize("mode,level", [(0o644, "PASS"), (0o600, "PASS"), (0o640, "PASS"), (0o444, "PASS"),
                                        (0o606, "WARN"), (0o664, "WARN"), (0o744, "WARN"), (0o646, "WARN")])
def test_daemon_json_mode_is_a_bit_mask(audit_dockerd, mode, level):
    try:
        os.chmod(audit_dockerd.config, mode)
        r = by_id(audit_json("--check", "3.18", host=audit_dockerd.host))["3.18"]
    finally:
        os.chmod(audit_dockerd.config, 0o644)
    assert r["level"] == level, r
    assert r["evidence"][0]["object"] == audit_dockerd.config
    assert "%04o" % mode in r["evidence"][0]["message"]


def test_daemon_json_owner(audit_dockerd):
    try:
        os.chown(audit_dockerd.config, 1000, 0)
        r = by_id(audit_json("--check", "3.17", host=audit_dockerd.host))["3.17"]
    finally:
        os.chown(audit_dockerd.config, 0, 0)
    assert r["level"] == "WARN" and "want root:root" in r["evidence"][0]["message"]
    assert by_id(audit_json("--check", "3.17", host=audit_dockerd.host))["3.17"]["level"] == "PASS"


def test_docker_socket_mode(audit_dockerd):
    st = os.stat(audit_dockerd.sock)
    try:
        os.chmod(audit_dockerd.sock, 0o666)
        r = by_id(audit_json("--check", "3.16", host=audit_dockerd.host))["3.16"]
        assert r["level"] == "WARN" and "0006" in r["evidence"][0]["message"]
    finally:
        os.chmod(audit_dockerd.sock, st.st_mode & 0o7777)
    assert by_id(audit_json("--check", "3.16", host=audit_dockerd.host))["3.16"]["level"] == "PASS"


def test_tls_files(tmp_path):
    files = {}
    for name, mode in (("ca.pem", 0o444), ("cert.pem", 0o644), ("key.pem", 0o400)):
        f = tmp_path / name
        f.write_text("x")
        os.chmod(f, mode)
        files[name] = str(f)
    cfg = tmp_path / "daemon.json"
    cfg.write_text(json.dumps({"hosts": ["tcp://127.0.0.1:2376"], "tlsverify": True, "tlscacert": files["ca.pem"],
                               "tlscert": files["cert.pem"], "tlskey": files["key.pem"]}))
    r = by_id(audit_json("--no-daemon", "--daemon-json", str(cfg), "--check", "2.7,3.9,3.10,3.11,3.12,3.13,3.14"))
    assert {k: v["level"] for k, v in r.items()} == {"2.7": "PASS", "3.9": "PASS", "3.10": "PASS", "3.11": "PASS",
                                                     "3.12": "WARN", "3.13": "PASS", "3.14": "PASS"}


def test_audit_rules_for_every_path(audit_dockerd, tmp_path):
    rules = tmp_path / "audit.rules"
    dockerd = os.path.realpath(subprocess.run(["sh", "-c", "command -v dockerd"], capture_output=True,
                                              text=True).stdout.strip())
    rules.write_text(f"-w {dockerd} -k docker\n-a always,exit -F path=/etc/docker -F perm=wa -k docker\n")
    r = by_id(audit_json("--audit-rules", str(rules), "--check", "1.1.3,1.1.5,1.1.6", host=audit_dockerd.host))
    assert dockerd in objects(r["1.1.3"], "PASS")
    assert r["1.1.6"]["level"] == "PASS"
    # the data root audited is the daemon's own, not /var/lib/docker
    data_root = os.path.join(os.path.dirname(audit_dockerd.sock), "data")
    assert objects(r["1.1.5"], "WARN") == {data_root}


def test_filters_and_selection(audit_dockerd, audit_containers):
    rep = audit_json("--check", "5", "--exclude", "5.1,5.2", "--include-container", "ka-*",
                     "--exclude-container", "label=team=a", "--exclude-container", "ka-p*", host=audit_dockerd.host)
    ids = [r["id"] for r in rep["results"]]
    assert all(i.startswith("5.") for i in ids) and "5.1" not in ids and "5.2" not in ids and "5.11" in ids
    seen = set()
    for r in rep["results"]:
        seen |= {e["object"] for e in r["evidence"] if e["kind"] == "container"}
    assert seen == ALL - {"ka-ignored", "ka-priv", "ka-ports"}


def test_ignore_file(audit_dockerd, audit_containers, tmp_path):
    ign = tmp_path / "ignore"
    ign.write_text("# accepted risks\n5.13 ka-hostnet   # read-write on purpose\n5.12\n")
    r = by_id(audit_json("--check", "5.12,5.13", "--ignore-file", str(ign), host=audit_dockerd.host))
    assert "ka-hostnet" not in objects(r["5.13"], "WARN") and "ka-seccomp" in objects(r["5.13"], "WARN")
    assert r["5.13"]["suppressed"] == 1
    assert r["5.12"]["level"] == "SKIP" and "ignored" in r["5.12"]["reason"]
    ign.write_text("9.99\n")
    p = run_audit("--ignore-file", str(ign), host=audit_dockerd.host)
    assert p.returncode == 3 and "9.99" in p.stderr


def test_fail_on_sets_the_exit_code(audit_dockerd, audit_containers):
    h = audit_dockerd.host
    assert run_audit("--check", "5.5", host=h).returncode == 1
    assert run_audit("--check", "5.5", "--fail-on", "none", host=h).returncode == 0
    assert run_audit("--check", "5.5", "--fail-on", "critical", host=h).returncode == 1
    assert run_audit("--check", "5.12", "--fail-on", "high", host=h).returncode == 0
    assert run_audit("--check", "6", host=h).returncode == 0              # INFO only
    assert run_audit("--check", "6", "--fail-on", "info", host=h).returncode == 1
    assert run_audit("--check", "5.99", host=h).returncode == 3
    assert run_audit("--format", "yaml", host=h).returncode == 2


def test_missing_daemon_is_clear_and_other_checks_run(tmp_path):
    sock = str(tmp_path / "none.sock")
    p = run_audit("--format", "json", host="unix://" + sock)
    assert f"cannot reach the Docker daemon at unix://{sock}: no such socket" in p.stderr
    rep = json.loads(p.stdout)
    assert rep["daemon"]["reachable"] is False
    r = by_id(rep)
    assert r["5.11"]["level"] == "SKIP" and "needs the Docker daemon" in r["5.11"]["reason"]
    assert r["6.1"]["level"] == "SKIP"
    for check in ("1.1.1", "1.1.3", "3.1", "K1.1", "K1.7", "4.5"):
        assert r[check]["level"] != "SKIP", check


def test_unreachable_daemon(tmp_path):
    sock = str(tmp_path / "dead.sock")
    s = socket.socket(socket.AF_UNIX)
    s.bind(sock)
    s.close()      # the file stays, nobody listens
    p = run_audit("--check", "5.11", host="unix://" + sock)
    assert "connection refused" in p.stderr
    assert "[SKIP] 5.11" in p.stdout


def test_dockerfile_findings():
    bad = os.path.join(FIXTURES, "dockerfiles", "bad.Dockerfile")
    good = os.path.join(FIXTURES, "dockerfiles", "good.Dockerfile")
    r = by_id(audit_json("--no-daemon", "--dockerfile", bad, "--dockerfile", good, "--check", "K3"))
    found = {(k, e["line"]) for k, v in r.items() for e in v["evidence"] if e["level"] == "WARN" and e["object"] == bad
             and "line" in e}
    assert found == {("K3.1", 18), ("K3.2", 1), ("K3.2", 8), ("K3.3", 10), ("K3.3", 11), ("K3.4", 6), ("K3.5", 5),
                     ("K3.5", 12), ("K3.6", 4), ("K3.6", 12), ("K3.7", 2), ("K3.7", 9), ("K3.9", 14), ("K3.10", 19),
                     ("K3.11", 3)}
    assert bad in objects(r["K3.8"], "WARN")
    for k, v in r.items():
        assert good not in objects(v, "WARN"), (k, v["evidence"])
        assert good in objects(v, "PASS"), k


def test_dockerfile_pragmas():
    f = os.path.join(FIXTURES, "dockerfiles", "pragma.Dockerfile")
    r = by_id(audit_json("--no-daemon", "--dockerfile", f, "--check", "K3.4,K3.8"))
    assert [e["line"] for e in r["K3.4"]["evidence"] if e["level"] == "WARN"] == [5]
    assert r["K3.4"]["suppressed"] == 1
    assert r["K3.8"]["level"] == "PASS" and r["K3.8"]["suppressed"] == 1


@pytest.fixture(scope="module")
def image_tars(tmp_path_factory):
    out = tmp_path_factory.mktemp("audit-images")
    subprocess.run(["/usr/bin/python3", os.path.join(FIXTURES, "mkimage.py"), str(out)], check=True)
    return str(out / "bad-save.tar"), str(out / "clean-oci.tar")


def test_image_tarball_findings(image_tars):
    import importlib.util
    spec = importlib.util.spec_from_file_location("mkimage", os.path.join(FIXTURES, "mkimage.py"))
    mk = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mk)
    bad, clean = image_tars
    r = by_id(audit_json("--no-daemon", "--image", bad, "--image", clean, "--check", "K2,4.6,4.10"))
    for check, paths in mk.EXPECTED.items():
        msgs = [e["message"] for e in r[check]["evidence"] if e["level"] == "WARN" and e["object"] == "audit/bad:1"]
        for p in paths:
            assert any(p in m for m in msgs), (check, p, msgs)
        assert len(msgs) == len(paths), (check, msgs)
    for check, paths in mk.NOT_EXPECTED.items():
        for e in r[check]["evidence"]:
            assert not any(e["message"].startswith(p + " ") for p in paths), (check, e)
    for check in ("K2.1", "K2.2", "K2.3", "K2.4", "K2.5", "K2.6", "K2.7", "4.6", "4.10"):
        assert objects(r[check], "PASS") >= {"audit/clean:1"}, check
        assert "audit/clean:1" not in objects(r[check], "WARN") | objects(r[check], "INFO"), check
    assert "audit/bad:1" in objects(r["4.6"], "WARN")
    assert "audit/bad:1" in objects(r["4.10"], "INFO")


def test_docker_save_of_a_real_image(audit_dockerd, audit_image, tmp_path):
    tar = str(tmp_path / "busybox.tar")
    audit_dockerd.docker("save", "-o", tar, audit_image)
    r = by_id(audit_json("--no-daemon", "--image", tar, "--check", "K2"))
    assert r["K2.1"]["level"] == "PASS"        # busybox-static is not setuid
    assert r["K2.6"]["level"] == "WARN"        # the fixture's /usr/sbin/sshd
    assert "/bin/sh" in r["K2.7"]["evidence"][0]["message"]


def test_broken_tarball_is_named(tmp_path):
    bad = tmp_path / "broken.tar"
    bad.write_bytes(b"this is not a tarball at all" * 100)
    rep = audit_json("--no-daemon", "--image", str(bad), "--check", "K2.1")
    assert any(str(bad) in n for n in rep["notices"]), rep["notices"]


def test_oci_bundles(tmp_path):
    good = tmp_path / "good"
    good.mkdir()
    runtime = os.path.join(BUILD, "src", "runtime", "kapsel-runtime")
    subprocess.run([runtime, "spec", "--bundle", str(good)], check=True)
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "config.json").write_text(json.dumps({
        "ociVersion": "1.0.2",
        "process": {"user": {"uid": 0, "gid": 0}, "args": ["sh"],
                    "capabilities": {"bounding": ["CAP_SYS_ADMIN", "CAP_CHOWN"]}},
        "root": {"path": "rootfs"},
        "mounts": [{"destination": "/run/docker.sock", "type": "bind", "source": "/run/docker.sock", "options": ["rbind"]}],
        "linux": {"namespaces": [{"type": "pid"}, {"type": "mount"}]}}))
    rep = audit_json("--no-daemon", "--oci-bundle", str(good), "--oci-bundle", str(bad / "config.json"),
                     "--check", "4.1,5")
    r = by_id(rep)
    g, b = str(good / "config.json"), str(bad / "config.json")
    for check in ("4.1", "5.4", "5.10", "5.11", "5.13", "5.22", "5.26", "5.29", "5.32"):
        assert b in objects(r[check], "WARN", "bundle"), check
    for check in ("4.1", "5.4", "5.10", "5.13", "5.22", "5.26", "5.32"):
        assert g in objects(r[check], "PASS", "bundle"), check
    assert r["5.1"]["level"] == "SKIP"          # swarm needs the daemon


def test_json_output_validates(audit_dockerd, audit_containers, image_tars):
    schema = json.load(open(os.path.join(FIXTURES, "kapsel-audit.schema.json")))
    rep = audit_json("--image", image_tars[0], "--dockerfile", os.path.join(FIXTURES, "dockerfiles", "bad.Dockerfile"),
                     host=audit_dockerd.host)
    jsonschema.validate(rep, schema)
    assert rep["summary"]["checks"] == len(rep["results"]) >= 140
    sections = {r["section"] for r in rep["results"]}
    assert sections == {"1", "2", "3", "4", "5", "6", "7", "K1", "K2", "K3"}
    # results without the daemon validate too
    jsonschema.validate(audit_json("--no-daemon"), schema)


def test_sarif_output_validates(audit_dockerd, audit_containers, image_tars):
    schema = json.load(open(os.path.join(FIXTURES, "sarif-schema-2.1.0.json")))
    p = run_audit("--format", "sarif", "--dockerfile", os.path.join(FIXTURES, "dockerfiles", "bad.Dockerfile"),
                  "--image", image_tars[0], host=audit_dockerd.host)
    assert p.returncode == 1, p.stderr
    log = json.loads(p.stdout)
    jsonschema.Draft4Validator(schema).validate(log)
    run = log["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    for res in run["results"]:
        assert rules[res["ruleIndex"]]["id"] == res["ruleId"]
    k35 = [x for x in run["results"] if x["ruleId"] == "K3.5"]
    assert k35 and k35[0]["locations"][0]["physicalLocation"]["region"]["startLine"] == 5
    assert k35[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"].startswith("file:///")
    mem = [x for x in run["results"] if x["ruleId"] == "5.11"]
    assert {x["locations"][0]["logicalLocations"][0]["name"] for x in mem} >= {"ka-hostnet", "ka-priv"}
    # a Dockerfile given by a relative path gets a relative URI (as code scanning wants)
    from conftest import REPO
    p = run_audit("--format", "sarif", "--no-daemon", "--dockerfile", "tests/fixtures/audit/dockerfiles/bad.Dockerfile",
                  "--check", "K3.1", cwd=REPO)
    log = json.loads(p.stdout)
    jsonschema.Draft4Validator(schema).validate(log)
    loc = log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]
    assert loc["artifactLocation"]["uri"] == "tests/fixtures/audit/dockerfiles/bad.Dockerfile"
    assert loc["region"]["startLine"] == 18


def test_junit_output(audit_dockerd, audit_containers, tmp_path):
    out = tmp_path / "audit.xml"
    p = run_audit("--format", "junit", "-o", str(out), "--check", "5,K1", host=audit_dockerd.host)
    assert p.returncode == 1 and p.stdout == ""
    root = ET.parse(out).getroot()
    assert root.tag == "testsuites"
    cases = root.findall("./testsuite/testcase")
    assert len(cases) == int(root.get("tests"))
    failed = [c for c in cases if c.find("failure") is not None]
    assert len(failed) == int(root.get("failures")) > 0
    mem = [c for c in cases if c.get("name").startswith("5.11 ")][0]
    assert "ka-hostnet" in mem.find("failure").text


def test_list_and_help():
    p = subprocess.run([KAPSEL, "audit", "--list"], capture_output=True, text=True)
    assert p.returncode == 0
    ids = [line.split()[0] for line in p.stdout.splitlines()[1:]]
    assert len(ids) == len(set(ids)) >= 145
    for i in ("1.1.18", "2.18", "3.24", "4.12", "5.32", "6.2", "7.9", "K1.1", "K2.7", "K3.11"):
        assert i in ids
    assert subprocess.run([KAPSEL, "audit", "--help"], capture_output=True, text=True).returncode == 0
    assert subprocess.run([KAPSEL, "nope"], capture_output=True, text=True).returncode == 2


def test_sanitizer_build_is_clean(audit_dockerd, audit_containers, image_tars):
    asan = os.environ.get("KAPSEL_BUILD_ASAN")
    binary = os.path.join(asan, "src", "kapsel", "kapsel") if asan else ""
    if not os.path.exists(binary):
        pytest.skip("no sanitizer build")
    p = run_audit("--format", "sarif", "--image", image_tars[0], "--image", image_tars[1],
                  "--dockerfile", os.path.join(FIXTURES, "dockerfiles", "bad.Dockerfile"),
                  host=audit_dockerd.host, binary=binary,
                  env={"ASAN_OPTIONS": "detect_leaks=1", "UBSAN_OPTIONS": "halt_on_error=1:print_stacktrace=1"})
    assert p.returncode == 1, p.stderr[-3000:]
    assert "Sanitizer" not in p.stderr and "runtime error" not in p.stderr


def test_containerd_bundles_of_docker_containers(audit_dockerd, audit_containers):
    """The OCI bundles containerd made for the running containers get the
    same verdicts as the containers themselves."""
    ids = {n: audit_dockerd.docker("inspect", "--format", "{{.Id}}", n).stdout.strip()
           for n in ("ka-good", "ka-hostnet", "ka-hostpid", "ka-seccomp")}
    base = os.path.join(os.path.dirname(audit_dockerd.sock), "exec", "containerd", "daemon",
                        "io.containerd.runtime.v2.task", "moby")
    bundle = {n: os.path.join(base, i, "config.json") for n, i in ids.items()}
    args = []
    for path in bundle.values():
        assert os.path.exists(path), path
        args += ["--oci-bundle", path]
    r = by_id(audit_json("--no-daemon", "--check", "4.1,5", *args))
    want_warn = {"5.10": {"ka-hostnet"}, "5.16": {"ka-hostpid"}, "5.22": {"ka-seccomp"},
                 "4.1": {"ka-hostnet", "ka-hostpid", "ka-seccomp"},
                 "5.11": {"ka-hostnet", "ka-hostpid", "ka-seccomp"},
                 "5.13": {"ka-hostnet", "ka-hostpid", "ka-seccomp"},
                 "5.29": {"ka-hostnet", "ka-hostpid", "ka-seccomp"},
                 "5.26": {"ka-hostnet", "ka-hostpid", "ka-seccomp"},
                 "5.4": set()}
    for check, names in want_warn.items():
        assert objects(r[check], "WARN", "bundle") == {bundle[n] for n in names}, (check, r[check]["evidence"])
        assert objects(r[check], "PASS", "bundle") == {bundle[n] for n in bundle if n not in names}, check
