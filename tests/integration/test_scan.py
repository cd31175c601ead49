"""kapsel scan end to end, on real data shapes with independent answers:

- a bookworm minbase image built with mmdebstrap (tests/fixtures/scan/
  mkdebian.sh, cached under /var/cache/kapsel-scan-fixture): three layers,
  iputils-ping purged in the second, an unowned setuid file in the third.
  Its inventory must equal what dpkg-query says about the same tree, and
  the scan of the directory must equal the scan of the image;
- Debian security tracker JSON written here for the packages the image
  really has (the epoch trap: bsdutils 1:2.38.1-5+deb12u3 is built from
  util-linux 2.38.1-5+deb12u3; every tracker state), and the same data
  recast as OSV records giving the same answer;
- an Alpine installed database and secdb written here;
- the SBOMs validated against the official CycloneDX 1.5/1.6 JSON schemas
  (from npm's @cyclonedx/cyclonedx-library, cached) and the SPDX 2.3
  schema (tests/fixtures/scan/spdx-schema-2.3.json), SARIF against the
  audit's vendored SARIF 2.1.0 schema."""
import io
import json
import os
import shutil
import subprocess
import tarfile
import time

import pytest

from conftest import BUILD, REPO

KAPSEL = os.path.join(BUILD, "src", "kapsel", "kapsel")
CACHE = "/var/cache/kapsel-scan-fixture"
FIX = os.path.join(REPO, "tests", "fixtures", "scan")


def kapsel(*args, root, check=None, env=None):
    r = subprocess.run([KAPSEL, "--root", str(root), *args], capture_output=True, text=True,
                       env={**os.environ, **(env or {})})
    if check is not None:
        assert r.returncode == check, (args, r.returncode, r.stdout[-3000:], r.stderr[-3000:])
    return r


@pytest.fixture(scope="module")
def debian():
    r = subprocess.run(["sh", os.path.join(FIX, "mkdebian.sh"), CACHE], capture_output=True, text=True)
    if r.returncode != 0:
        pytest.fail(f"building the Debian fixture failed: {r.stderr[-2000:]}")
    return CACHE


def dpkg_installed(tree):
    out = subprocess.run(["dpkg-query", "--admindir", os.path.join(tree, "var/lib/dpkg"), "-W", "-f",
                          "${Package}\t${Version}\t${Architecture}\t${db:Status-Status}\n"],
                         capture_output=True, text=True, check=True).stdout
    return sorted((n, v, a) for n, v, a, s in (line.split("\t") for line in out.splitlines()) if s == "installed")


def inventory(root, *target):
    r = kapsel("scan", *target, "--inventory", "--format", "json", root=root, check=0)
    return json.loads(r.stdout)


def test_inventory_equals_dpkg_query(debian, tmp_path):
    doc = inventory(tmp_path, "--archive", f"{debian}/image.tar")
    mine = sorted((p["name"], p["version"], p["arch"]) for p in doc["packages"])
    assert mine == dpkg_installed(f"{debian}/upper")
    assert doc["os"]["id"] == "debian" and doc["os"]["version_id"] == "12"
    assert doc["database"] == "var/lib/dpkg/status"
    # the package purged in layer 1 is gone, and with it /usr/bin/ping's capability
    names = {p["name"] for p in doc["packages"]}
    assert "iputils-ping" not in names and "iputils-ping" in {n for n, _, _ in dpkg_installed(f"{debian}/base")}
    files = [f["path"] for p in doc["packages"] for f in p["special_files"]]
    assert "usr/bin/ping" not in files and "usr/bin/passwd" in files and "usr/bin/su" in files


def test_layers_setuid_and_caps(debian, tmp_path):
    doc = inventory(tmp_path, "--archive", f"{debian}/image.tar")
    cfg_layers = None
    with tarfile.open(f"{debian}/image.tar") as t:
        man = json.load(t.extractfile("manifest.json"))
        cfg = json.load(t.extractfile(man[0]["Config"]))
        cfg_layers = cfg["rootfs"]["diff_ids"]
    pk = {p["name"]: p for p in doc["packages"]}
    assert pk["bash"]["layer"]["diff_id"] == cfg_layers[0]
    assert pk["bash"]["layer"]["created_by"].startswith("mmdebstrap")
    su = [f for f in pk["util-linux"]["special_files"] if f["path"] == "usr/bin/su"][0]
    assert su["setuid"] and su["mode"] == "4755" and su["uid"] == 0
    chage = [f for f in pk["passwd"]["special_files"] if f["path"] == "usr/bin/chage"][0]
    assert chage["setgid"] and not chage["setuid"]
    un = doc["unowned_special_files"]
    assert [f["path"] for f in un] == ["usr/local/bin/kapsel-suid"]
    assert un[0]["layer"] == cfg_layers[2]
    # the base tree still has ping, with its file capability from the xattr
    base = inventory(tmp_path, "--rootfs", f"{debian}/base")
    ping = [f for p in base["packages"] if p["name"] == "iputils-ping" for f in p["special_files"]]
    assert [(f["path"], f["capabilities"]) for f in ping] == [("usr/bin/ping", "cap_net_raw=ep")]


def test_rootfs_scan_equals_image_scan(debian, tmp_path):
    img = inventory(tmp_path, "--archive", f"{debian}/image.tar")
    fs = inventory(tmp_path, "--rootfs", f"{debian}/upper")
    strip = lambda d: [(p["name"], p["version"], p["source"], p["source_version"], p["arch"],
                        [f["path"] for f in p["special_files"]]) for p in d["packages"]]
    assert strip(img) == strip(fs)


def test_source_versions(debian, tmp_path):
    doc = inventory(tmp_path, "--archive", f"{debian}/image.tar")
    pk = {p["name"]: p for p in doc["packages"]}
    # epoch on the binary only: the source version comes from Source: (version)
    assert (pk["bsdutils"]["version"], pk["bsdutils"]["source"], pk["bsdutils"]["source_version"]) == \
        ("1:2.38.1-5+deb12u3", "util-linux", "2.38.1-5+deb12u3")
    # a binNMU: 5.2.15-2+b13 is built from bash 5.2.15-2
    assert pk["bash"]["version"].startswith("5.2.15-2+b") and pk["bash"]["source_version"] == "5.2.15-2"
    assert pk["bsdutils"]["purl"] == "pkg:deb/debian/bsdutils@1%3A2.38.1-5%2Bdeb12u3?arch=amd64&distro=debian-12"


def test_no_package_database_is_its_own_error(tmp_path):
    root = tmp_path / "empty"
    (root / "etc").mkdir(parents=True)
    (root / "etc" / "os-release").write_text("ID=debian\nVERSION_ID=12\n")
    r = kapsel("scan", "--rootfs", str(root), "--inventory", root=tmp_path, check=4)
    assert "no package database" in r.stderr and r.stdout == ""


# ---- vulnerability data ----

def tracker_fixture(installed_util_linux="2.38.1-5+deb12u3"):
    """A tracker JSON covering every state for packages the image has."""
    rel = lambda status, **kw: {"bookworm": {"status": status, "repositories": {"bookworm": installed_util_linux},
                                             "urgency": kw.pop("urgency", "not yet assigned"), **kw}}
    return {
        "util-linux": {
            "CVE-2099-0001": {"description": "fixed after the installed version",
                              "releases": rel("resolved", fixed_version="2.38.1-5+deb12u4", urgency="medium")},
            "CVE-2099-0002": {"releases": rel("resolved", fixed_version="2.38.1-5+deb12u1", urgency="high")},
            "CVE-2099-0003": {"releases": rel("open", nodsa="Minor issue", nodsa_reason="", urgency="low")},
            "CVE-2099-0004": {"releases": rel("open", nodsa="Minor issue", nodsa_reason="postponed", urgency="low")},
            "CVE-2099-0005": {"releases": rel("open", nodsa="Minor issue", nodsa_reason="ignored", urgency="unimportant")},
            "CVE-2099-0006": {"releases": rel("undetermined")},
            "CVE-2099-0007": {"releases": rel("resolved", fixed_version="0", urgency="unimportant")},
            "CVE-2099-0008": {"releases": rel("open", urgency="high")},
        },
        "bash": {
            "CVE-2099-0101": {"releases": {"bookworm": {"status": "resolved", "fixed_version": "5.2.15-2",
                                                        "urgency": "low"}}},
        },
        "gzip": {"CVE-2099-0201": {"releases": {"bookworm": {"status": "open", "urgency": "end-of-life"}}}},
        # other releases and packages the image lacks must not match
        "openssl": {"CVE-2099-0301": {"releases": {"bookworm": {"status": "resolved",
                                                                "fixed_version": "9.9", "urgency": "high"}}}},
        "tar": {"CVE-2099-0401": {"releases": {"bullseye": {"status": "open", "urgency": "high"}}}},
    }


def db_update(root, *paths, check=0):
    return kapsel("scan", "db", "update", *[a for p in paths for a in ("--from", str(p))], root=root, check=check)


def findings(root, target, *extra, check=None):
    r = kapsel("scan", *target, "--format", "json", *extra, root=root, check=check)
    return r, (json.loads(r.stdout) if r.stdout else None)


def by_id(doc):
    out = {}
    for f in doc["findings"]:
        out.setdefault(f["id"], {})[f["package"]] = f
    return out


def test_tracker_states_and_the_epoch_trap(debian, tmp_path):
    tr = tmp_path / "tracker.json"
    tr.write_text(json.dumps(tracker_fixture()))
    db_update(tmp_path, tr)
    r, doc = findings(tmp_path, ["--archive", f"{debian}/image.tar"], check=1)
    f = by_id(doc)
    # the epoch trap: bsdutils (1:2.38.1-...) matched by its source version
    a = f["CVE-2099-0001"]
    assert {"bsdutils", "util-linux", "mount", "libblkid1"} <= set(a)
    assert a["bsdutils"]["state"] == "fixed" and a["bsdutils"]["actionable"]
    assert a["bsdutils"]["fixed_version"] == "2.38.1-5+deb12u4" and a["bsdutils"]["urgency"] == "medium"
    assert a["bsdutils"]["severity"] == "medium"
    assert "CVE-2099-0002" not in f  # the installed version has the fix
    assert f["CVE-2099-0003"]["bsdutils"]["state"] == "no-dsa" and not f["CVE-2099-0003"]["bsdutils"]["actionable"]
    assert f["CVE-2099-0004"]["bsdutils"]["state"] == "postponed"
    assert f["CVE-2099-0005"]["bsdutils"]["state"] == "ignored"
    assert f["CVE-2099-0005"]["bsdutils"]["urgency"] == "unimportant"
    assert f["CVE-2099-0005"]["bsdutils"]["severity"] == "negligible"
    assert f["CVE-2099-0006"]["bsdutils"]["state"] == "undetermined"
    assert "CVE-2099-0007" not in f  # fixed_version 0: not affected
    assert f["CVE-2099-0008"]["util-linux"]["state"] == "open" and f["CVE-2099-0008"]["util-linux"]["severity"] == "high"
    assert "CVE-2099-0101" not in f  # bash 5.2.15-2+b13 is built from the fixed source 5.2.15-2
    assert f["CVE-2099-0201"]["gzip"]["state"] == "end-of-life"
    assert "CVE-2099-0301" not in f and "CVE-2099-0401" not in f
    assert doc["counts"]["actionable"] == len(a)
    assert doc["index"]["sources"][0]["kind"] == "debian-tracker"
    assert doc["index"]["sources"][0]["digest"].startswith("sha256:")
    # only actionable findings fail the run, at the --fail-on level
    findings(tmp_path, ["--archive", f"{debian}/image.tar"], "--fail-on", "high", check=0)
    findings(tmp_path, ["--archive", f"{debian}/image.tar"], "--fail-on", "high", "--fail-on-state", "open", check=1)
    # a version with the fix installed: the tracker says resolved, nothing actionable
    tr.write_text(json.dumps({"util-linux": {"CVE-2099-0001": tracker_fixture()["util-linux"]["CVE-2099-0001"] | {
        "releases": {"bookworm": {"status": "resolved", "fixed_version": "2.38.1-5+deb12u3", "urgency": "medium"}}}}}))
    db_update(tmp_path, tr)
    findings(tmp_path, ["--archive", f"{debian}/image.tar"], check=0)


def osv_of_tracker(tracker):
    """The tracker fixture recast as OSV records (ecosystem Debian:12)."""
    out = []
    for pkg, cves in tracker.items():
        for cve, info in cves.items():
            r = info["releases"].get("bookworm")
            if not r:
                continue
            ev = [{"introduced": "0"}]
            if r["status"] == "resolved":
                ev.append({"fixed": r["fixed_version"]})
            elif r["status"] != "open":
                continue
            out.append({"id": "DEBIAN-" + cve, "modified": "2026-11-30T00:00:00Z",
                        "affected": [{"package": {"ecosystem": "Debian:12", "name": pkg},
                                      "ranges": [{"type": "ECOSYSTEM", "events": ev}]}]})
    return out


def test_osv_gives_the_same_answer(debian, tmp_path):
    tracker = tracker_fixture()
    osv = tmp_path / "osv"
    osv.mkdir()
    for rec in osv_of_tracker(tracker):
        (osv / (rec["id"] + ".json")).write_text(json.dumps(rec))
    t1 = tmp_path / "t1"
    t2 = tmp_path / "t2"
    tr = tmp_path / "tracker.json"
    tr.write_text(json.dumps(tracker))
    db_update(t1, tr)
    db_update(t2, osv)
    _, a = findings(t1, ["--archive", f"{debian}/image.tar"], check=1)
    _, b = findings(t2, ["--archive", f"{debian}/image.tar"], check=1)
    key = lambda d: sorted((f["id"], f["package"], f["fixed_version"], f["actionable"]) for f in d["findings"]
                           if f["state"] in ("fixed",))
    assert key(a) == key(b) and key(a)
    # the actionable set is the same; OSV cannot say no-dsa, so those read as open there
    assert {f["id"] for f in b["findings"]} == {f["id"] for f in a["findings"]
                                                 if f["state"] not in ("undetermined",)}
    assert b["index"]["sources"][0]["kind"] == "osv" and b["index"]["sources"][0]["date"] == "2026-11-30T00:00:00Z"
    # the same records in a zip, read through libarchive
    import zipfile
    z = tmp_path / "all.zip"
    with zipfile.ZipFile(z, "w") as zf:
        for p in sorted(osv.iterdir()):
            zf.write(p, p.name)
    t3 = tmp_path / "t3"
    db_update(t3, z)
    _, c = findings(t3, ["--archive", f"{debian}/image.tar"], check=1)
    assert key(c) == key(b)


def test_explain(debian, tmp_path):
    tr = tmp_path / "tracker.json"
    tr.write_text(json.dumps(tracker_fixture()))
    db_update(tmp_path, tr)
    r = kapsel("scan", "--archive", f"{debian}/image.tar", "--explain", "CVE-2099-0002", root=tmp_path, check=0)
    assert "bsdutils 1:2.38.1-5+deb12u3 (source util-linux 2.38.1-5+deb12u3)" in r.stdout
    assert "installed 2.38.1-5+deb12u3 >= fixed 2.38.1-5+deb12u1" in r.stdout and "verdict  resolved" in r.stdout
    r = kapsel("scan", "--archive", f"{debian}/image.tar", "--explain", "CVE-2099-0007", root=tmp_path, check=0)
    assert "verdict  not-affected" in r.stdout


def test_stale_data_is_refused(debian, tmp_path):
    tr = tmp_path / "tracker.json"
    tr.write_text(json.dumps(tracker_fixture()))
    old = time.time() - 30 * 86400
    os.utime(tr, (old, old))
    db_update(tmp_path, tr)
    r = kapsel("scan", "--archive", f"{debian}/image.tar", root=tmp_path, check=3)
    assert "over --max-data-age" in r.stderr
    r = kapsel("scan", "--archive", f"{debian}/image.tar", "--allow-stale", root=tmp_path, check=1)
    assert "720 hours old" in r.stderr
    kapsel("scan", "--archive", f"{debian}/image.tar", "--max-data-age", "1000h", root=tmp_path, check=1)


def test_bad_data_is_refused_and_keeps_the_old_index(tmp_path):
    good = tmp_path / "t.json"
    good.write_text(json.dumps(tracker_fixture()))
    db_update(tmp_path, good)
    before = (tmp_path / "scan" / "index").read_bytes()
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"util-linux": {"CVE-1": {"releases": {"bookworm": {"status": "resolved"}}}}}))
    r = db_update(tmp_path, bad, check=3)
    assert "util-linux.CVE-1.releases.bookworm" in r.stderr and "without fixed_version" in r.stderr
    (tmp_path / "trunc.json").write_text('{"a": {')
    r = db_update(tmp_path, tmp_path / "trunc.json", check=3)
    assert "trunc.json" in r.stderr
    assert (tmp_path / "scan" / "index").read_bytes() == before


def test_corrupt_index_is_an_error_not_a_crash(debian, tmp_path):
    good = tmp_path / "t.json"
    good.write_text(json.dumps(tracker_fixture()))
    db_update(tmp_path, good)
    idx = tmp_path / "scan" / "index"
    data = bytearray(idx.read_bytes())
    # every record offset pointed far outside the pool: strings read as "", no crash
    hdr_records_off = int.from_bytes(data[24:28], "little")
    n = int.from_bytes(data[16:20], "little")
    for i in range(n):
        o = hdr_records_off + i * 40
        data[o + 4:o + 8] = (0xFFFFFFF0).to_bytes(4, "little")
    idx.write_bytes(bytes(data))
    r = kapsel("scan", "--archive", f"{debian}/image.tar", "--format", "json", root=tmp_path)
    assert r.returncode in (0, 1), r.stderr
    idx.write_bytes(b"KSCANIX1" + b"\xff" * 40)
    r = kapsel("scan", "--archive", f"{debian}/image.tar", root=tmp_path, check=3)
    assert "index" in r.stderr


# ---- Alpine ----

APK_DB = """C:Q1abc=
P:musl
V:1.2.4_git20230717-r4
A:x86_64
o:musl
F:lib
R:ld-musl-x86_64.so.1

C:Q1def=
P:busybox-binsh
V:1.36.1-r15
A:x86_64
o:busybox
F:bin
R:sh

C:Q1ghi=
P:busybox
V:1.36.1-r15
A:x86_64
o:busybox
F:bin
R:busybox

C:Q1jkl=
P:libcrypto3
V:3.1.4-r1
A:x86_64
o:openssl

"""


def alpine_image(path):
    def layer(files):
        buf = io.BytesIO()
        with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as t:
            for name, (data, mode) in files.items():
                ti = tarfile.TarInfo(name)
                ti.size, ti.mode, ti.mtime = len(data), mode, 1700000000
                t.addfile(ti, io.BytesIO(data))
        return buf.getvalue()
    l0 = layer({"etc/os-release": (b'NAME="Alpine Linux"\nID=alpine\nVERSION_ID=3.19.1\n'
                                   b'PRETTY_NAME="Alpine Linux v3.19"\n', 0o644),
                "lib/apk/db/installed": (APK_DB.encode(), 0o644),
                "bin/busybox": (b"\x7fELF", 0o4755)})
    import hashlib
    cfg = json.dumps({"architecture": "amd64", "os": "linux",
                      "rootfs": {"type": "layers", "diff_ids": ["sha256:" + hashlib.sha256(l0).hexdigest()]},
                      "history": [{"created_by": "ADD alpine-minirootfs.tar.gz /"}]}).encode()
    cid = hashlib.sha256(cfg).hexdigest()
    with tarfile.open(path, "w") as t:
        for name, data in [("manifest.json", json.dumps([{"Config": cid + ".json", "RepoTags": ["scan-alpine:3.19"],
                                                           "Layers": ["l0/layer.tar"]}]).encode()),
                           (cid + ".json", cfg), ("l0/layer.tar", l0)]:
            ti = tarfile.TarInfo(name)
            ti.size = len(data)
            t.addfile(ti, io.BytesIO(data))


def test_alpine(tmp_path):
    img = tmp_path / "alpine.tar"
    alpine_image(img)
    doc = inventory(tmp_path, "--archive", str(img))
    pk = {p["name"]: p for p in doc["packages"]}
    assert sorted(pk) == ["busybox", "busybox-binsh", "libcrypto3", "musl"]
    assert pk["libcrypto3"]["source"] == "openssl" and pk["busybox"]["special_files"][0]["path"] == "bin/busybox"
    assert pk["musl"]["purl"] == "pkg:apk/alpine/musl@1.2.4_git20230717-r4?arch=x86_64&distro=alpine-3.19.1"
    secdb = tmp_path / "main.json"
    secdb.write_text(json.dumps({"distroversion": "v3.19", "reponame": "main", "packages": [
        {"pkg": {"name": "openssl", "secfixes": {"3.1.4-r3": ["CVE-2099-1001"], "3.1.4-r1": ["CVE-2099-1002"],
                                                  "0": ["CVE-2099-1003"]}}},
        {"pkg": {"name": "busybox", "secfixes": {"1.36.1-r16": ["CVE-2099-1101 GHSA-xxxx"]}}},
    ]}))
    db_update(tmp_path, secdb)
    _, doc = findings(tmp_path, ["--archive", str(img)], check=1)
    got = sorted((f["id"], f["package"], f["fixed_version"]) for f in doc["findings"])
    assert got == [("CVE-2099-1001", "libcrypto3", "3.1.4-r3"), ("CVE-2099-1101", "busybox", "1.36.1-r16"),
                   ("CVE-2099-1101", "busybox-binsh", "1.36.1-r16")]
    assert doc["release"] == "alpine:v3.19"


# ---- documents ----

def schemas():
    """CycloneDX's official schemas, from npm (cached beside the image)."""
    d = os.path.join(CACHE, "npm")
    lib = os.path.join(d, "node_modules", "@cyclonedx", "cyclonedx-library", "res", "schema")
    if not os.path.isdir(lib):
        os.makedirs(d, exist_ok=True)
        subprocess.run(["npm", "install", "--prefix", d, "--no-audit", "--no-fund",
                        "@cyclonedx/cyclonedx-library@10.3.0"], check=True, capture_output=True)
    return lib


def validator(schema_file, lib):
    import jsonschema
    store = {}
    for name in os.listdir(lib):
        if name.endswith(".schema.json"):
            s = json.load(open(os.path.join(lib, name)))
            store[name.replace(".SNAPSHOT", "")] = s
            if "$id" in s:
                store[s["$id"]] = s
    schema = json.load(open(schema_file))
    resolver = jsonschema.RefResolver.from_schema(schema, store=store)
    cls = jsonschema.validators.validator_for(schema)
    return cls(schema, resolver=resolver)


def test_sboms_validate_and_are_deterministic(debian, tmp_path):
    tr = tmp_path / "tracker.json"
    tr.write_text(json.dumps(tracker_fixture()))
    db_update(tmp_path, tr)
    lib = schemas()
    env = {"SOURCE_DATE_EPOCH": "1700000000"}
    for fmt, schema in (("cyclonedx", "bom-1.5.SNAPSHOT.schema.json"), ("cyclonedx-1.6", "bom-1.6.SNAPSHOT.schema.json")):
        r = kapsel("scan", "--archive", f"{debian}/image.tar", "--format", fmt, root=tmp_path, env=env, check=1)
        doc = json.loads(r.stdout)
        errors = sorted(validator(os.path.join(lib, schema), lib).iter_errors(doc), key=str)
        assert not errors, errors[:3]
        assert doc["metadata"]["timestamp"] == "2023-11-14T22:13:20Z"
        refs = [c["bom-ref"] for c in doc["components"]]
        assert len(refs) == len(set(refs)) == 97
        bs = [c for c in doc["components"] if c["name"] == "bsdutils"][0]
        assert bs["pedigree"]["ancestors"][0]["purl"] == \
            "pkg:deb/debian/util-linux@2.38.1-5%2Bdeb12u3?arch=source&distro=debian-12"
        props = {p["name"]: p["value"] for p in doc["metadata"]["properties"] if p["name"] != "kapsel:index:source"}
        assert props["kapsel:index:digest"].startswith("sha256:")
        src = [p["value"] for p in doc["metadata"]["properties"] if p["name"] == "kapsel:index:source"]
        assert len(src) == 1 and src[0].startswith("debian-tracker sha256:") and src[0].endswith(str(tr))
        v = [x for x in doc["vulnerabilities"] if x["id"] == "CVE-2099-0003"][0]
        assert {"name": "kapsel:state", "value": "no-dsa"} in v["properties"]
        again = kapsel("scan", "--archive", f"{debian}/image.tar", "--format", fmt, root=tmp_path, env=env).stdout
        assert again == r.stdout
    r = kapsel("scan", "--archive", f"{debian}/image.tar", "--format", "spdx", root=tmp_path, env=env, check=0)
    doc = json.loads(r.stdout)
    import jsonschema
    jsonschema.validate(doc, json.load(open(os.path.join(FIX, "spdx-schema-2.3.json"))))
    assert doc["spdxVersion"] == "SPDX-2.3" and doc["creationInfo"]["created"] == "2023-11-14T22:13:20Z"
    ids = {p["SPDXID"]: p for p in doc["packages"]}
    bs = [p for p in doc["packages"] if p["name"] == "bsdutils"][0]
    gen = [x["relatedSpdxElement"] for x in doc["relationships"]
           if x["spdxElementId"] == bs["SPDXID"] and x["relationshipType"] == "GENERATED_FROM"]
    assert ids[gen[0]]["name"] == "util-linux" and ids[gen[0]]["versionInfo"] == "2.38.1-5+deb12u3"


def test_sarif_validates(debian, tmp_path):
    tr = tmp_path / "tracker.json"
    tr.write_text(json.dumps(tracker_fixture()))
    db_update(tmp_path, tr)
    r = kapsel("scan", "--archive", f"{debian}/image.tar", "--format", "sarif", root=tmp_path, check=1)
    doc = json.loads(r.stdout)
    import jsonschema
    schema = os.path.join(REPO, "tests", "fixtures", "audit", "sarif-schema-2.1.0.json")
    jsonschema.validate(doc, json.load(open(schema)))
    results = doc["runs"][0]["results"]
    assert any(x["ruleId"] == "CVE-2099-0001" and x["level"] == "warning" for x in results)


def test_sbom_input_rematches(debian, tmp_path):
    tr = tmp_path / "tracker.json"
    tr.write_text(json.dumps(tracker_fixture()))
    db_update(tmp_path, tr)
    _, direct = findings(tmp_path, ["--archive", f"{debian}/image.tar"], check=1)
    for fmt in ("cyclonedx", "spdx"):
        sbom = tmp_path / f"sbom.{fmt}.json"
        kapsel("scan", "--archive", f"{debian}/image.tar", "--format", fmt, "--inventory", "-o", str(sbom),
               root=tmp_path, check=0)
        _, again = findings(tmp_path, ["--sbom", str(sbom)], check=1)
        key = lambda d: sorted((f["id"], f["package"], f["state"]) for f in d["findings"])
        assert key(again) == key(direct), fmt


def test_store_image(debian, tmp_path):
    kapsel("load", "-i", f"{debian}/image.tar", root=tmp_path, check=0)
    tr = tmp_path / "tracker.json"
    tr.write_text(json.dumps(tracker_fixture()))
    db_update(tmp_path, tr)
    _, a = findings(tmp_path, ["scan-debian:12"], check=1)
    _, b = findings(tmp_path, ["--archive", f"{debian}/image.tar"], check=1)
    assert a["findings"] == b["findings"] and len(a["packages"]) == 97
    assert a["target"]["digest"] == b["target"]["digest"]
    assert [p for p in os.listdir(tmp_path / "scan") if p.startswith("layout-")] == []
    # the inventory is kept by config digest: the next scan reads no layer
    cache = tmp_path / "scan" / "cache" / (a["target"]["digest"][7:] + ".json")
    assert json.loads(cache.read_text())["version"] == 1
    strip = lambda d: {k: v for k, v in d.items() if k != "created"}
    _, again = findings(tmp_path, ["scan-debian:12"], check=1)
    _, walked = findings(tmp_path, ["scan-debian:12", "--no-cache"], check=1)
    assert strip(again) == strip(a) == strip(walked)
    # a cache entry that does not parse, or of another version, is a miss and is rewritten
    for junk in ('{"version": 1, "packages": 7}', '{"version": 99}', "{"):
        cache.write_text(junk)
        _, c = findings(tmp_path, ["scan-debian:12"], check=1)
        assert strip(c) == strip(a)
        assert json.loads(cache.read_text())["version"] == 1


# ---- rpm ----

SPEC = """Name: {name}
Version: {version}
Release: {release}
{epoch}Summary: kapsel scan test package
License: MIT
BuildArch: noarch
%description
A package for kapsel's rpmdb.sqlite test.
%files
"""


@pytest.mark.skipif(not shutil.which("rpmbuild"), reason="rpm is not installed (scripts/deps.sh test)")
def test_rpm_sqlite_equals_rpm_qa(tmp_path):
    """An rpmdb.sqlite made by Debian's rpm (rpmbuild, then rpm -i --justdb),
    read from an image layer: the packages rpm -qa lists, with epochs and
    source rpms."""
    top = tmp_path / "top"
    rpms = []
    for name, version, release, epoch in (("kapsel-a", "1.2.3", "4.el9", 2), ("kapsel-b", "0.9~rc1", "1.el9", None),
                                          ("kapsel-c", "10", "1.el9_3", 0)):
        spec = tmp_path / f"{name}.spec"
        spec.write_text(SPEC.format(name=name, version=version, release=release,
                                    epoch=f"Epoch: {epoch}\n" if epoch is not None else ""))
        subprocess.run(["rpmbuild", "-bb", "--define", f"_topdir {top}", str(spec)], check=True, capture_output=True)
    rpms = sorted(str(p) for p in top.rglob("*.rpm"))
    root = tmp_path / "root"
    root.mkdir()
    subprocess.run(["rpm", "--root", str(root), "--dbpath", "/var/lib/rpm", "-i", "--justdb", "--nodeps",
                    "--ignorearch", "--ignoreos", *rpms], check=True, capture_output=True)
    (root / "etc").mkdir()
    (root / "etc" / "os-release").write_text('ID="rocky"\nVERSION_ID="9.3"\n')
    qa = subprocess.run(["rpm", "-qa", "--root", str(root), "--dbpath", "/var/lib/rpm", "--qf",
                         "%{NAME}\t%|EPOCH?{%{EPOCH}:}:{}|%{VERSION}-%{RELEASE}\t%{ARCH}\t%{SOURCERPM}\n"],
                        capture_output=True, text=True, check=True).stdout
    want = sorted(tuple(line.split("\t")[:3]) for line in qa.splitlines())
    doc = inventory(tmp_path, "--rootfs", str(root))
    assert sorted((p["name"], p["version"], p["arch"]) for p in doc["packages"]) == want
    assert doc["database"] == "var/lib/rpm/rpmdb.sqlite"
    a = [p for p in doc["packages"] if p["name"] == "kapsel-a"][0]
    assert (a["version"], a["source"], a["source_version"]) == ("2:1.2.3-4.el9", "kapsel-a", "2:1.2.3-4.el9")
    assert a["purl"] == "pkg:rpm/rocky/kapsel-a@1.2.3-4.el9?arch=noarch&distro=rocky-9.3&epoch=2"
    # the same database inside an image layer: read in memory, not unpacked
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as t:
        t.add(str(root / "etc" / "os-release"), "etc/os-release")
        t.add(str(root / "var" / "lib" / "rpm" / "rpmdb.sqlite"), "var/lib/rpm/rpmdb.sqlite")
    layer = buf.getvalue()
    import hashlib
    cfg = json.dumps({"architecture": "amd64", "os": "linux",
                      "rootfs": {"type": "layers", "diff_ids": ["sha256:" + hashlib.sha256(layer).hexdigest()]}}).encode()
    img = tmp_path / "rpm.tar"
    with tarfile.open(img, "w") as t:
        for name, data in [("manifest.json", json.dumps([{"Config": "c.json", "RepoTags": ["scan-rpm:1"],
                                                           "Layers": ["l/layer.tar"]}]).encode()),
                           ("c.json", cfg), ("l/layer.tar", layer)]:
            ti = tarfile.TarInfo(name)
            ti.size = len(data)
            t.addfile(ti, io.BytesIO(data))
    doc2 = inventory(tmp_path, "--archive", str(img))
    assert [(p["name"], p["version"]) for p in doc2["packages"]] == [(p["name"], p["version"]) for p in doc["packages"]]


def test_rpm_garbage_packages_is_an_error_naming_it(tmp_path):
    root = tmp_path / "root"
    (root / "var" / "lib" / "rpm").mkdir(parents=True)
    (root / "var" / "lib" / "rpm" / "Packages").write_bytes(b"\0" * 4096)
    r = kapsel("scan", "--rootfs", str(root), "--inventory", root=tmp_path, check=3)
    assert "var/lib/rpm/Packages" in r.stderr and "not a BerkeleyDB hash database" in r.stderr
    (root / "var" / "lib" / "rpm" / "Packages").unlink()
    (root / "usr" / "lib" / "sysimage" / "rpm").mkdir(parents=True)
    (root / "usr" / "lib" / "sysimage" / "rpm" / "Packages.db").write_bytes(b"RpmP" + b"\0" * 28)
    r = kapsel("scan", "--rootfs", str(root), "--inventory", root=tmp_path, check=3)
    assert "usr/lib/sysimage/rpm/Packages.db" in r.stderr and "slot pages" in r.stderr


GO_RPMDB = "/usr/share/gocode/src/github.com/knqyf263/go-rpmdb/pkg/testdata"
RPM_QF = "%{NAME}\t%|EPOCH?{%{EPOCH}:}:{}|%{VERSION}-%{RELEASE}\t%{ARCH}\n"


def rpm_qa(dbpath, backend=None):
    defs = ["--define", f"_db_backend {backend}"] if backend else []
    out = subprocess.run(["rpm", "-qa", "--dbpath", str(dbpath), *defs, "--qf", RPM_QF], capture_output=True,
                         text=True, check=True).stdout
    return sorted(tuple(line.split("\t")) for line in out.splitlines() if not line.startswith("gpg-pubkey\t"))


def nva(doc):
    return sorted((p["name"], p["version"], p["arch"]) for p in doc["packages"])


@pytest.mark.skipif(not os.path.isdir(GO_RPMDB) or not shutil.which("rpm"),
                    reason="golang-github-knqyf263-go-rpmdb-dev or rpm missing (scripts/deps.sh test)")
@pytest.mark.parametrize("name", ["centos5-plain", "centos6-many", "centos7-python35", "centos8-modularitylabel"])
def test_rpm_berkeleydb_of_centos_equals_rpm_qa(tmp_path, name):
    """Real CentOS BerkeleyDB Packages files (shipped by Debian's
    golang-github-knqyf263-go-rpmdb-dev), against Debian's rpm reading them
    with its read-only bdb_ro backend."""
    dbdir = tmp_path / "root" / "var" / "lib" / "rpm"
    dbdir.mkdir(parents=True)
    shutil.copy(f"{GO_RPMDB}/{name}/Packages", dbdir / "Packages")
    want = rpm_qa(dbdir, "bdb_ro")
    assert len(want) > 100
    doc = inventory(tmp_path, "--rootfs", str(tmp_path / "root"))
    assert doc["database"] == "var/lib/rpm/Packages"
    assert nva(doc) == want


SETUID_SPEC = """Name: kapsel-su
Version: 3.1
Release: 2.el9
Epoch: 1
Summary: kapsel scan test package with a setuid file
License: MIT
BuildArch: noarch
%description
A setuid file for kapsel's rpm file list test.
%install
mkdir -p %{buildroot}/usr/bin %{buildroot}/usr/share/kapsel-su
echo su > %{buildroot}/usr/bin/kapsel-su
echo doc > %{buildroot}/usr/share/kapsel-su/README
%files
%attr(4755,root,root) /usr/bin/kapsel-su
/usr/share/kapsel-su/README
"""


def ndb_file(blobs):
    """rpm's NDB Packages.db (lib/backend/ndb/rpmpkg.c's layout), written by
    hand: Debian's rpm has no NDB backend to make one.  One slot page."""
    import struct
    import zlib
    slots, data, blk = [], b"", 4096 // 16
    for idx, blob in enumerate(blobs, 1):
        head = struct.pack("<4sIII", b"BlbS", idx, 1, len(blob))
        cnt = (16 + len(blob) + 12 + 15) // 16
        body = head + blob
        body += b"\0" * (cnt * 16 - 12 - len(body))
        body += struct.pack("<II4s", zlib.adler32(head + blob), len(blob), b"BlbE")
        slots.append(struct.pack("<4sIII", b"Slot", idx, blk, cnt))
        data += body
        blk += cnt
    page = struct.pack("<4sIIII12x", b"RpmP", 0, 1, 1, len(blobs) + 1) + b"".join(slots)
    page += struct.pack("<4sIII", b"Slot", 0, 0, 0) * ((4096 - len(page)) // 16)
    assert len(page) == 4096
    return page + data


def bdb_file(path, blobs, *opts):
    """A BerkeleyDB hash Packages made by db5.3_load from the header blobs,
    keyed by header number as rpm keys them (native order) plus rpm's
    counter record 0."""
    import struct
    esc = lambda b: "".join("\\%02x" % c for c in b)
    lines = [esc(struct.pack("=I", 0)), esc(struct.pack("=I", len(blobs) + 1))]
    for i, blob in enumerate(blobs, 1):
        lines += [esc(struct.pack("=I", i)), esc(blob)]
    src = path.parent / (path.name + ".txt")
    src.write_text("\n".join(lines) + "\n")
    subprocess.run(["db5.3_load", "-T", "-t", "hash", *opts, "-f", str(src), str(path)], check=True)
    src.unlink()


@pytest.mark.skipif(not shutil.which("rpmbuild") or not shutil.which("db5.3_load"),
                    reason="rpm or db5.3-util missing (scripts/deps.sh test)")
def test_rpm_bdb_ndb_and_file_lists(tmp_path):
    """The headers of rpms built here (one with a setuid file), put by rpm
    into an rpmdb.sqlite, then recast as BerkeleyDB hash files (db5.3_load:
    both byte orders, 512-byte pages so every header is an overflow chain)
    and as an NDB file: each reads as the same packages rpm -qa lists, and
    the setuid file is the package's, not "unowned"."""
    import sqlite3
    top = tmp_path / "top"
    specs = [(tmp_path / "kapsel-su.spec", SETUID_SPEC)]
    for name, version, release, epoch in (("kapsel-a", "1.2.3", "4.el9", 2), ("kapsel-b", "0.9~rc1", "1.el9", None)):
        specs.append((tmp_path / f"{name}.spec", SPEC.format(name=name, version=version, release=release,
                                                            epoch=f"Epoch: {epoch}\n" if epoch is not None else "")))
    for spec, text in specs:
        spec.write_text(text)
        subprocess.run(["rpmbuild", "-bb", "--define", f"_topdir {top}", str(spec)], check=True, capture_output=True)
    rpms = sorted(str(p) for p in top.rglob("*.rpm"))
    sq = tmp_path / "sq"
    sq.mkdir()
    subprocess.run(["rpm", "--root", str(sq), "--dbpath", "/var/lib/rpm", "-i", "--justdb", "--nodeps", "--ignorearch",
                    "--ignoreos", *rpms], check=True, capture_output=True)
    want = rpm_qa(sq / "var" / "lib" / "rpm")
    assert len(want) == 3
    con = sqlite3.connect(sq / "var" / "lib" / "rpm" / "rpmdb.sqlite")
    blobs = [bytes(b) for _, b in con.execute("SELECT hnum, blob FROM Packages ORDER BY hnum")]
    con.close()

    def special(doc):
        return ({p["name"]: [f["path"] for f in p["special_files"]] for p in doc["packages"]},
                [f["path"] for f in doc["unowned_special_files"]])

    variants = {"bdb-le": ("var/lib/rpm/Packages", ()), "bdb-be": ("var/lib/rpm/Packages", ("-c", "db_lorder=4321")),
                "bdb-512": ("usr/lib/sysimage/rpm/Packages", ("-c", "db_pagesize=512")),
                "ndb": ("usr/lib/sysimage/rpm/Packages.db", None)}
    for variant, (dbfile, opts) in variants.items():
        root = tmp_path / variant
        (root / dbfile).parent.mkdir(parents=True)
        if opts is None:
            (root / dbfile).write_bytes(ndb_file(blobs))
        else:
            bdb_file(root / dbfile, blobs, *opts)
            # Debian's rpm reads the made file the same (an independent check of the fixture)
            assert rpm_qa((root / dbfile).parent, "bdb_ro") == want, variant
        (root / "usr" / "bin").mkdir(parents=True, exist_ok=True)
        (root / "usr" / "local").mkdir(parents=True)
        for f in ("usr/bin/kapsel-su", "usr/local/stray"):
            (root / f).write_text("x\n")
            os.chmod(root / f, 0o4755)
        doc = inventory(tmp_path, "--rootfs", str(root))
        assert doc["database"] == dbfile and nva(doc) == want, variant
        owned, unowned = special(doc)
        assert owned["kapsel-su"] == ["usr/bin/kapsel-su"] and unowned == [], variant
        su = [p for p in doc["packages"] if p["name"] == "kapsel-su"][0]
        assert (su["version"], su["source"], su["source_version"]) == ("1:3.1-2.el9", "kapsel-su", "1:3.1-2.el9")
    # from an image layer (NDB, and the BerkeleyDB one), with the setuid files in the tar headers
    import hashlib
    for variant in ("ndb", "bdb-be"):
        dbfile = variants[variant][0]
        buf = io.BytesIO()
        with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as t:
            t.add(str(tmp_path / variant / dbfile), dbfile)
            if variant == "ndb":
                # a broken leftover BerkeleyDB file beside the NDB one: not the database used, not an error
                ti = tarfile.TarInfo("var/lib/rpm/Packages")
                ti.size = 4096
                t.addfile(ti, io.BytesIO(b"\0" * 4096))
            for f in ("usr/bin/kapsel-su", "usr/local/bin/stray"):
                ti = tarfile.TarInfo(f)
                ti.size, ti.mode = 2, 0o4755
                t.addfile(ti, io.BytesIO(b"x\n"))
        layer = buf.getvalue()
        cfg = json.dumps({"architecture": "amd64", "os": "linux", "rootfs": {
            "type": "layers", "diff_ids": ["sha256:" + hashlib.sha256(layer).hexdigest()]}}).encode()
        img = tmp_path / f"{variant}.tar"
        with tarfile.open(img, "w") as t:
            for name, data in [("manifest.json", json.dumps([{"Config": "c.json", "RepoTags": ["scan-rpm:2"],
                                                               "Layers": ["l/layer.tar"]}]).encode()),
                               ("c.json", cfg), ("l/layer.tar", layer)]:
                ti = tarfile.TarInfo(name)
                ti.size = len(data)
                t.addfile(ti, io.BytesIO(data))
        doc = inventory(tmp_path, "--archive", str(img))
        assert doc["database"] == dbfile and nva(doc) == want, variant
        owned, unowned = special(doc)
        assert owned["kapsel-su"] == ["usr/bin/kapsel-su"] and unowned == ["usr/local/bin/stray"], variant
        assert all(p["layer"]["index"] == 0 for p in doc["packages"])


# ---- db update over HTTP ----

class Served:
    """An HTTP server on 127.0.0.1 serving FILES {path: bytes} with strong
    ETags and If-None-Match, counting what it answered."""

    def __init__(self, files):
        import http.server
        import threading
        self.files, self.log = files, []
        served = self

        class H(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                if self.path == "/moved":
                    served.log.append((self.path, 302))
                    self.send_response(302)
                    self.send_header("Location", "http://example.invalid/tracker.json")
                    self.end_headers()
                    return
                body = served.files.get(self.path)
                if body is None:
                    served.log.append((self.path, 404))
                    self.send_error(404)
                    return
                import hashlib
                tag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
                if self.headers.get("If-None-Match") == tag:
                    served.log.append((self.path, 304))
                    self.send_response(304)
                    self.send_header("ETag", tag)
                    self.end_headers()
                    return
                served.log.append((self.path, 200))
                self.send_response(200)
                self.send_header("ETag", tag)
                self.send_header("Last-Modified", self.date_time_string(time.time() - 3600))
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *a):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


def test_db_update_url_etag_and_failures(debian, tmp_path):
    srv = Served({"/tracker.json": json.dumps(tracker_fixture()).encode(),
                  "/main.json": json.dumps({"distroversion": "v3.19", "packages": []}).encode()})
    try:
        up = lambda *urls, check=0: kapsel("scan", "db", "update", *[a for u in urls for a in ("--url", srv.url + u)],
                                           root=tmp_path, check=check)
        r = up("/tracker.json", "/main.json")
        assert "fetched" in r.stderr and srv.log == [("/tracker.json", 200), ("/main.json", 200)]
        _, a = findings(tmp_path, ["--archive", f"{debian}/image.tar"], check=1)
        src = a["index"]["sources"][0]
        assert src["origin"] == srv.url + "/tracker.json" and src["kind"] == "debian-tracker"
        # unchanged: one 304 each, the same index content
        before = (tmp_path / "scan" / "index").read_bytes()
        r = up("/tracker.json", "/main.json")
        assert "not modified (304)" in r.stderr and srv.log[2:] == [("/tracker.json", 304), ("/main.json", 304)]
        _, b = findings(tmp_path, ["--archive", f"{debian}/image.tar"], check=1)
        assert a["findings"] == b["findings"]
        # changed upstream: a new ETag, the new data
        fixed = tracker_fixture()
        fixed["util-linux"]["CVE-2099-0001"]["releases"]["bookworm"]["fixed_version"] = "2.38.1-5+deb12u2"
        srv.files["/tracker.json"] = json.dumps(fixed).encode()
        up("/tracker.json")
        assert srv.log[-1] == ("/tracker.json", 200)
        _, c = findings(tmp_path, ["--archive", f"{debian}/image.tar"], check=0)
        assert "CVE-2099-0001" not in {f["id"] for f in c["findings"]}
        # failures change nothing: a 404, a redirect to plain http elsewhere, a non-loopback http URL
        now = (tmp_path / "scan" / "index").read_bytes()
        r = up("/missing.json", check=3)
        assert "HTTP 404" in r.stderr and "/missing.json" in r.stderr
        r = up("/moved", check=3)
        assert "redirect" in r.stderr
        r = kapsel("scan", "db", "update", "--url", "http://example.invalid/x.json", root=tmp_path, check=3)
        assert "only for loopback" in r.stderr
        assert (tmp_path / "scan" / "index").read_bytes() == now != before
    finally:
        srv.close()


def test_vex_suppresses_and_annotates(debian, tmp_path):
    tr = tmp_path / "tracker.json"
    tr.write_text(json.dumps(tracker_fixture()))
    db_update(tmp_path, tr)
    img = ["--archive", f"{debian}/image.tar"]
    _, plain = findings(tmp_path, img, check=1)
    hit = sorted({f["package"] for f in plain["findings"] if f["id"] == "CVE-2099-0001"})
    one = tmp_path / "one.openvex.json"
    one.write_text(json.dumps({
        "@context": "https://openvex.dev/ns/v0.2.0", "@id": "https://example.invalid/vex/1", "author": "test",
        "timestamp": "2026-11-30T00:00:00Z", "version": 1,
        "statements": [{"vulnerability": {"name": "CVE-2099-0001"}, "products": [{"@id": "pkg:deb/debian/bsdutils"}],
                        "status": "not_affected", "justification": "vulnerable_code_not_in_execute_path"},
                       {"vulnerability": {"name": "CVE-2099-0008"},
                        "products": [{"@id": "pkg:deb/debian/util-linux@2.38.1-5%2Bdeb12u3"}],
                        "status": "under_investigation"}]}))
    _, doc = findings(tmp_path, img, "--vex", str(one), check=1)  # the other binaries still fail
    f = by_id(doc)
    assert f["CVE-2099-0001"]["bsdutils"]["suppressed"]
    assert f["CVE-2099-0001"]["bsdutils"]["vex"] == {"status": "not_affected",
                                                     "justification": "vulnerable_code_not_in_execute_path",
                                                     "source": str(one)}
    assert not f["CVE-2099-0001"]["util-linux"]["suppressed"] and f["CVE-2099-0001"]["util-linux"]["vex"] is None
    assert f["CVE-2099-0008"]["util-linux"]["vex"]["status"] == "under_investigation"
    assert not f["CVE-2099-0008"]["util-linux"]["suppressed"]
    assert doc["counts"]["suppressed"] == 1
    # every affected package covered (a CycloneDX VEX this time): nothing actionable is left
    cdx = tmp_path / "all.cdx.json"
    cdx.write_text(json.dumps({"bomFormat": "CycloneDX", "specVersion": "1.5", "version": 1, "components": [
        {"type": "library", "bom-ref": "c1", "name": "x", "purl": "pkg:deb/debian/mount?arch=amd64"}],
        "vulnerabilities": [{"id": "CVE-2099-0001", "analysis": {"state": "not_affected", "justification": "code_not_reachable",
                                                                  "detail": "mount is not used"},
                             "affects": [{"ref": "c1"}] + [{"ref": f"pkg:deb/debian/{p}"} for p in hit]}]}))
    r = kapsel("scan", *img, "--vex", str(cdx), root=tmp_path, check=0)
    assert "[vex not_affected: mount is not used]" in r.stdout
    assert f"data: debian-tracker {tr} of " in r.stdout
    r = kapsel("scan", *img, "--vex", str(cdx), "--format", "cyclonedx", root=tmp_path, check=0)
    bom = json.loads(r.stdout)
    v = [x for x in bom["vulnerabilities"] if x["id"] == "CVE-2099-0001"]
    assert v and all(x["analysis"]["state"] == "not_affected" for x in v)
    lib = schemas()
    errors = list(validator(os.path.join(lib, "bom-1.5.SNAPSHOT.schema.json"), lib).iter_errors(bom))
    assert not errors, errors[:3]
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"@context": "https://openvex.dev/ns/v0.2.0", "statements": [
        {"vulnerability": {"name": "CVE-1"}, "products": [{"@id": "pkg:deb/debian/x"}], "status": "maybe"}]}))
    r = kapsel("scan", *img, "--vex", str(bad), root=tmp_path, check=3)
    assert "statements[0].status \"maybe\"" in r.stderr


def test_hostile_rootfs_symlinks_stay_inside(tmp_path):
    """A root whose package database and file list point outside it: the
    scan reads inside the root only (openat2 RESOLVE_IN_ROOT), so the
    outside files are never read or reported."""
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "status").write_text("Package: stolen\nStatus: install ok installed\nVersion: 1\n\n")
    suid = outside / "suid"
    suid.write_bytes(b"x")
    os.chmod(suid, 0o4755)
    root = tmp_path / "root"
    (root / "var/lib/dpkg/info").mkdir(parents=True)
    (root / "etc").mkdir()
    (root / "etc/os-release").write_text("ID=debian\nVERSION_ID=12\n")
    os.symlink("../../../../outside/status", root / "var/lib/dpkg/status")
    r = kapsel("scan", "--rootfs", str(root), "--inventory", "--format", "json", root=tmp_path, check=4)
    assert "stolen" not in r.stdout + r.stderr
    # a real database, and a file list naming the outside setuid file by a path that climbs out
    os.unlink(root / "var/lib/dpkg/status")
    (root / "var/lib/dpkg/status").write_text("Package: evil\nStatus: install ok installed\nVersion: 1\n\n")
    (root / "var/lib/dpkg/info/evil.list").write_text(f"/../../../../{outside.name}/suid\n{suid}\n")
    os.symlink(str(outside), root / "escape")
    (root / "var/lib/dpkg/info/evil.list").write_text(f"/../../{outside.name}/suid\n{suid}\n/escape/suid\n")
    doc = inventory(tmp_path, "--rootfs", str(root))
    assert [p["name"] for p in doc["packages"]] == ["evil"]
    assert doc["packages"][0]["special_files"] == [] and doc["unowned_special_files"] == []


# ---- a container ----

STATUS_HELLO = """Package: hello
Status: install ok installed
Architecture: amd64
Version: 2.10-3
Source: hello-src (2.10-3)

"""


@pytest.fixture(scope="module")
def container_store(tmp_path_factory):
    """A busybox image (tests/fixtures/mkrootfs.sh) with a dpkg status of one
    package, loaded into a store of its own, for `kapsel run`."""
    import sys
    from clients import umount_under
    from conftest import PROBE
    sys.path.insert(0, os.path.join(REPO, "tests", "fixtures", "images"))
    import mkrunimage
    base = tmp_path_factory.mktemp("scanc")
    rootfs = str(base / "rootfs")
    subprocess.run(["sh", os.path.join(REPO, "tests", "fixtures", "mkrootfs.sh"), rootfs, PROBE], check=True)
    layers = [mkrunimage.dir_layer(rootfs),
              mkrunimage.files_layer({"etc/os-release": b'ID=debian\nVERSION_ID="12"\n',
                                      "var/lib/dpkg": ("dir", 0o777),
                                      "var/lib/dpkg/status": (STATUS_HELLO.encode(), 0o666)})]
    tar = str(base / "img.tar")
    mkrunimage.oci_image(tar, "scan-ctr:1", layers, {"Cmd": ["sh"]})
    root = base / "store"
    kapsel("load", "-i", tar, root=root, check=0)
    # the same packages, labelled to look scanned clean (io.kapsel.* is reserved)
    spoof = str(base / "spoof.tar")
    mkrunimage.oci_image(spoof, "scan-spoof:1", layers,
                         {"Cmd": ["sh"], "Labels": {"io.kapsel.scan.worst": "none", "io.kapsel.scan.findings": "",
                                                   "io.kapsel.scan.actionable": "0"}})
    kapsel("load", "-i", spoof, root=root, check=0)
    # the host file a hostile container points its status at
    host = base / "host-status"
    host.write_text(STATUS_HELLO.replace("hello", "host-only"))
    yield root, tar, str(host)
    ids = kapsel("ps", "-aq", "--no-trunc", root=root, check=0).stdout.split()
    for cid in ids:
        kapsel("rm", "-f", cid, root=root)
    umount_under(str(root))


def names_of(doc):
    return sorted((p["name"], p["version"], p["source"]) for p in doc["packages"])


def test_container_scan_sees_what_was_installed_since(container_store, tmp_path):
    root, tar, _ = container_store
    conf = os.path.join(REPO, "data", "kapsel.conf")
    added = "Package: added\\nStatus: install ok installed\\nArchitecture: all\\nVersion: 1.0-1\\n\\n"
    r = kapsel("--config", conf, "run", "--name", "sc-added", "--read-only=false", "scan-ctr:1", "sh", "-c",
               f"printf '{added}' >> /var/lib/dpkg/status", root=root)
    assert r.returncode == 0, r.stderr
    image = inventory(root, "--archive", tar)
    assert names_of(image) == [("hello", "2.10-3", "hello-src")]
    doc = inventory(root, "--container", "sc-added")
    assert names_of(doc) == [("added", "1.0-1", "added"), ("hello", "2.10-3", "hello-src")]
    assert doc["target"]["kind"] == "container" and doc["target"]["name"] == "sc-added"
    assert doc["os"]["id"] == "debian"
    # by ID too
    cid = kapsel("--config", conf, "inspect", "sc-added", root=root, check=0).stdout
    cid = json.loads(cid)[0]["Id"]
    assert names_of(inventory(root, "--container", cid[:12])) == names_of(doc)
    # a stopped container whose overlay is gone (a reboot): its upper directory over the image's layers
    rootfs = root / "containers" / cid / "bundle" / "rootfs"
    subprocess.run(["umount", "-l", str(rootfs)], check=True)
    assert not os.path.ismount(rootfs)
    assert names_of(inventory(root, "--container", "sc-added")) == names_of(doc)
    assert not os.path.ismount(rootfs)  # the read-only overlay was detached, never attached
    kapsel("--config", conf, "rm", "sc-added", root=root, check=0)
    r = kapsel("scan", "--container", "sc-added", "--inventory", root=root, check=3)
    assert "sc-added" in r.stderr


def test_container_symlink_to_the_host_stays_inside(container_store, tmp_path):
    """The container replaces its dpkg status by a symlink to a host file:
    the scan resolves it inside the container's root, where there is none."""
    root, _, host = container_store
    conf = os.path.join(REPO, "data", "kapsel.conf")
    r = kapsel("--config", conf, "run", "--name", "sc-evil", "--read-only=false", "scan-ctr:1", "sh", "-c",
               f"rm /var/lib/dpkg/status && ln -s ../../../../../../../..{host} /var/lib/dpkg/status", root=root)
    assert r.returncode == 0, r.stderr
    r = kapsel("scan", "--container", "sc-evil", "--inventory", "--format", "json", root=root)
    assert "host-only" not in r.stdout
    assert r.returncode == 4, (r.returncode, r.stderr)
    kapsel("--config", conf, "rm", "sc-evil", root=root, check=0)


def test_run_refuses_an_image_over_scan_refuse_on(container_store, tmp_path):
    """kapsel.conf [scan] refuse_on = high: create and run refuse an image
    with an actionable high finding, naming it; a threshold above it, or a
    finding whose fix is installed, lets it run; no index is no verdict,
    refused too."""
    root, _, _ = container_store
    base = open(os.path.join(REPO, "data", "kapsel.conf")).read()

    def conf(**scan):
        p = tmp_path / f"kapsel-{len(list(tmp_path.iterdir()))}.conf"
        p.write_text(base + "\n[scan]\n" + "".join(f"{k} = {v}\n" for k, v in scan.items()))
        return str(p)

    def run(cfg):
        return kapsel("--config", cfg, "run", "--rm", "scan-ctr:1", "true", root=root)

    shutil.rmtree(root / "scan" / "index", ignore_errors=True)
    r = run(conf(refuse_on="high"))
    assert r.returncode == 125 and "needs the vulnerability index" in r.stderr, r.stderr
    tracker = {"hello-src": {
        "CVE-2099-0900": {"releases": {"bookworm": {"status": "resolved", "fixed_version": "2.10-4",
                                                    "urgency": "high"}}},
        "CVE-2099-0901": {"releases": {"bookworm": {"status": "resolved", "fixed_version": "2.10-5",
                                                    "urgency": "medium"}}},
        "CVE-2099-0902": {"releases": {"bookworm": {"status": "resolved", "fixed_version": "2.10-2",
                                                    "urgency": "high"}}}}}
    tr = tmp_path / "tracker.json"
    tr.write_text(json.dumps(tracker))
    db_update(root, tr)
    r = run(conf(refuse_on="high"))
    assert r.returncode == 125, (r.stdout, r.stderr)
    assert "refused by [scan] refuse_on = high: CVE-2099-0900 (high) in hello 2.10-3" in r.stderr
    assert "fixed in 2.10-4" in r.stderr and "CVE-2099-0902" not in r.stderr
    r = kapsel("--config", conf(refuse_on="medium"), "create", "scan-ctr:1", root=root)
    assert r.returncode != 0 and "CVE-2099-0900" in r.stderr and "and 1 more" in r.stderr
    assert run(conf(refuse_on="critical")).returncode == 0
    assert run(conf(refuse_on="none")).returncode == 0
    assert run(conf()).returncode == 0
    # [scan] vex: the operator's VEX documents, the gate applies them; the
    # verdict's cache is keyed by their content
    vex = tmp_path / "gate.openvex.json"

    def vex_says(status):
        vex.write_text(json.dumps({
            "@context": "https://openvex.dev/ns/v0.2.0", "@id": "https://example.invalid/vex/gate", "author": "ops",
            "timestamp": "2026-12-04T00:00:00Z", "version": 1,
            "statements": [{"vulnerability": {"name": "CVE-2099-0900"}, "products": [{"@id": "pkg:deb/debian/hello"}],
                            "status": status, "justification": "vulnerable_code_not_present"}]}))
    vex_says("not_affected")
    vc = conf(refuse_on="high", vex=f"{vex} , {vex}")
    r = run(vc)
    assert r.returncode == 0, r.stderr
    r = kapsel("--config", conf(refuse_on="medium", vex=str(vex)), "create", "scan-ctr:1", root=root)
    assert r.returncode != 0 and "CVE-2099-0901" in r.stderr and "CVE-2099-0900" not in r.stderr, r.stderr
    cached = sorted(os.listdir(root / "scan" / "verdicts"))
    assert any(n.count("-") == 2 for n in cached), cached  # <image>-<index>-<vex>
    vex_says("affected")  # annotates only: refused again, the cached verdict not used
    r = run(vc)
    assert r.returncode == 125 and "CVE-2099-0900" in r.stderr, r.stderr
    vex_says("not_affected")
    ann = created_annotations(root, conf(annotate="yes", vex=str(vex)), "scan-ctr:1")
    assert ann["io.kapsel.scan.vex"].startswith("sha256:") and ann["io.kapsel.scan.worst"] == "medium", ann
    vex.write_text("{not json")
    r = run(vc)
    assert r.returncode == 125 and "[scan] vex" in r.stderr and str(vex) in r.stderr, r.stderr
    # stale data is no verdict
    os.utime(tr, (time.time() - 30 * 86400,) * 2)
    db_update(root, tr)
    r = run(conf(refuse_on="critical"))
    assert r.returncode == 125 and "older than 168h" in r.stderr, r.stderr
    assert run(conf(refuse_on="critical", max_data_age="1000h")).returncode == 0
    r = run(conf(refuse_on="bad"))
    assert r.returncode == 125 and "refuse_on" in r.stderr


SCAN_TRACKER = {"hello-src": {
    "CVE-2099-0900": {"releases": {"bookworm": {"status": "resolved", "fixed_version": "2.10-4", "urgency": "high"}}},
    "CVE-2099-0901": {"releases": {"bookworm": {"status": "resolved", "fixed_version": "2.10-5",
                                                "urgency": "medium"}}}}}


def scan_conf(tmp_path, name, **scan):
    base = open(os.path.join(REPO, "data", "kapsel.conf")).read()
    p = tmp_path / name
    p.write_text(base + "\n[scan]\n" + "".join(f"{k} = {v}\n" for k, v in scan.items()))
    return str(p)


def scan_policy(tmp_path, name, refuse_on):
    p = tmp_path / name
    p.write_text(f"[policy]\nlog = {tmp_path}/decisions.log\nsyslog = no\n[scan]\nrefuse_on = {refuse_on}\n")
    return str(p)


def created_annotations(root, conf, image, *flags, env=None):
    r = kapsel("--config", conf, "create", *flags, image, "true", root=root, env=env)
    assert r.returncode == 0, r.stderr
    cid = r.stdout.strip()
    ann = json.load(open(root / "containers" / cid / "bundle" / "config.json"))["annotations"]
    kapsel("rm", "-f", cid, root=root, check=0)
    return ann


def test_runtime_policy_refuses_on_the_scan_verdict(container_store, tmp_path):
    """[scan] annotate = yes hands the verdict to config.json; the runtime's
    policy ([scan] refuse_on in policy.conf, rule S1) refuses the container
    naming the finding; below its threshold, or without one, it runs."""
    root, _, _ = container_store
    tr = tmp_path / "tracker.json"
    tr.write_text(json.dumps(SCAN_TRACKER))
    db_update(root, tr)
    conf = scan_conf(tmp_path, "annotate.conf", annotate="yes")
    ann = created_annotations(root, conf, "scan-ctr:1")
    assert ann["io.kapsel.scan.worst"] == "high" and ann["io.kapsel.scan.actionable"] == "2"
    assert ann["io.kapsel.scan.findings"].startswith(
        "CVE-2099-0900 (high) in hello 2.10-3 (source hello-src 2.10-3), fixed in 2.10-4; CVE-2099-0901 (medium)")
    assert ann["io.kapsel.scan.index"].startswith("sha256:")
    env = {"KAPSEL_POLICY": scan_policy(tmp_path, "high.conf", "high")}
    r = kapsel("--config", conf, "run", "--rm", "scan-ctr:1", "true", root=root, env=env)
    assert r.returncode == 125, (r.stdout, r.stderr)
    assert "[S1 scan-verdict]" in r.stderr and "CVE-2099-0900 (high) in hello 2.10-3" in r.stderr, r.stderr
    assert "(2 actionable)" in r.stderr
    log = [json.loads(x) for x in open(tmp_path / "decisions.log")]
    assert log[-1]["verdict"] == "deny" and [f["rule"] for f in log[-1]["failed"]] == ["S1"]
    # nothing of it is left behind
    assert kapsel("ps", "-aq", root=root).stdout.strip() == ""
    env = {"KAPSEL_POLICY": scan_policy(tmp_path, "crit.conf", "critical")}
    r = kapsel("--config", conf, "run", "--rm", "scan-ctr:1", "true", root=root, env=env)
    assert r.returncode == 0, r.stderr
    # no verdict in the bundle (annotate not set): S1 does not apply
    plain = scan_conf(tmp_path, "plain.conf")
    assert "io.kapsel.scan.worst" not in created_annotations(root, plain, "scan-ctr:1")
    env = {"KAPSEL_POLICY": scan_policy(tmp_path, "high2.conf", "high")}
    r = kapsel("--config", plain, "run", "--rm", "scan-ctr:1", "true", root=root, env=env)
    assert r.returncode == 0, r.stderr
    # a bad value is an error naming it
    r = kapsel("--config", scan_conf(tmp_path, "bad.conf", annotate="maybe"), "run", "--rm", "scan-ctr:1", "true",
               root=root)
    assert r.returncode == 125 and "[scan] annotate" in r.stderr, r.stderr
    bad = tmp_path / "badpol.conf"
    bad.write_text("[scan]\nrefuse_on = severe\n")
    r = kapsel("--config", conf, "run", "--rm", "scan-ctr:1", "true", root=root, env={"KAPSEL_POLICY": str(bad)})
    assert r.returncode == 125 and "refuse_on" in r.stderr and "severe" in r.stderr, r.stderr


def test_scan_verdict_cannot_be_spoofed_by_labels(container_store, tmp_path):
    """An image labelled io.kapsel.scan.worst=none, or a --label saying so,
    does not reach config.json: the engine's verdict is what the policy
    reads, and the container is refused."""
    root, _, _ = container_store
    tr = tmp_path / "tracker.json"
    tr.write_text(json.dumps(SCAN_TRACKER))
    db_update(root, tr)
    env = {"KAPSEL_POLICY": scan_policy(tmp_path, "high.conf", "high")}
    conf = scan_conf(tmp_path, "annotate.conf", annotate="yes")
    plain = scan_conf(tmp_path, "plain.conf")
    ann = created_annotations(root, plain, "scan-spoof:1", "--label", "io.kapsel.scan.index=sha256:0")
    assert not [k for k in ann if k.startswith("io.kapsel.scan.")], ann
    ann = created_annotations(root, conf, "scan-spoof:1", "--label", "io.kapsel.scan.worst=none")
    assert ann["io.kapsel.scan.worst"] == "high", ann
    for flags in ([], ["--label", "io.kapsel.scan.worst=none", "--label", "io.kapsel.scan.findings="]):
        r = kapsel("--config", conf, "run", "--rm", *flags, "scan-spoof:1", "true", root=root, env=env)
        assert r.returncode == 125 and "[S1 scan-verdict]" in r.stderr and "CVE-2099-0900" in r.stderr, r.stderr


def test_scan_verdict_cache(container_store, tmp_path):
    """The verdict is cached by (config digest, index digest): a second run
    neither walks the layers nor reads the inventory cache (its entry,
    removed, is not made again), a cached entry is what the gate decides
    on, and a new index is a miss."""
    root, _, _ = container_store
    tr = tmp_path / "tracker.json"
    tr.write_text(json.dumps(SCAN_TRACKER))
    db_update(root, tr)
    vdir = root / "scan" / "verdicts"
    shutil.rmtree(vdir, ignore_errors=True)
    image_id = json.loads(kapsel("image", "inspect", "scan-ctr:1", root=root, check=0).stdout)[0]["Id"]
    inv = root / "scan" / "cache" / (image_id.split(":")[1] + ".json")
    conf = scan_conf(tmp_path, "crit.conf", refuse_on="critical")
    kapsel("--config", conf, "run", "--rm", "scan-ctr:1", "true", root=root, check=0)
    entries = os.listdir(vdir)
    index = json.loads(kapsel("scan", "scan-ctr:1", "--format", "json", root=root).stdout)["index"]["digest"]
    assert entries == [f"{image_id.split(':')[1]}-{index.split(':')[1]}.json"], entries
    v = json.load(open(vdir / entries[0]))
    assert v["worst"] == "high" and v["counts"] == {"high": 1, "medium": 1} and v["image"] == image_id
    assert [f["id"] for f in v["findings"]] == ["CVE-2099-0900", "CVE-2099-0901"]
    assert oct(os.stat(vdir / entries[0]).st_mode & 0o777) == "0o600"
    # a hit: the inventory is not needed
    inv.unlink()
    kapsel("--config", conf, "run", "--rm", "scan-ctr:1", "true", root=root, check=0)
    assert not inv.exists()
    # the cached entry decides (a forged one shows it is read)
    v["worst"], v["counts"] = "critical", {"critical": 1}
    v["findings"][0].update(id="CVE-2099-CACHED", severity="critical")
    (vdir / entries[0]).write_text(json.dumps(v))
    r = kapsel("--config", conf, "run", "--rm", "scan-ctr:1", "true", root=root)
    assert r.returncode == 125 and "CVE-2099-CACHED (critical)" in r.stderr, r.stderr
    # an entry that does not parse is a miss, matched again and rewritten
    (vdir / entries[0]).write_text("{")
    kapsel("--config", conf, "run", "--rm", "scan-ctr:1", "true", root=root, check=0)
    assert json.load(open(vdir / entries[0]))["worst"] == "high"
    # new data: another index digest, another entry
    t2 = json.loads(json.dumps(SCAN_TRACKER))
    t2["hello-src"]["CVE-2099-0903"] = {"releases": {"bookworm": {"status": "resolved", "fixed_version": "2.10-9",
                                                                   "urgency": "low"}}}
    tr.write_text(json.dumps(t2))
    db_update(root, tr)
    kapsel("--config", conf, "run", "--rm", "scan-ctr:1", "true", root=root, check=0)
    new = [x for x in os.listdir(vdir) if x != entries[0]]
    assert len(new) == 1 and "CVE-2099-0903" in [f["id"] for f in json.load(open(vdir / new[0]))["findings"]]
