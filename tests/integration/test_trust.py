"""Signatures and the trust policy from the outside: kapsel image sign and
verify with keys made by openssl, a wrong key and another image's signature
refused, load under reject / sigstoreSigned / insecureAcceptAnything, a
malformed policy named with its field, and gc removing signatures."""
import json
import os
import subprocess
import sys

from conftest import BUILD, REPO

sys.path.insert(0, os.path.join(REPO, "tests", "fixtures", "images"))
import mkimages  # noqa: E402

KAPSEL = os.path.join(BUILD, "src", "kapsel", "kapsel")


def kapsel(root, *args, check=None):
    p = subprocess.run([KAPSEL, "--root", str(root), *args], capture_output=True, text=True, timeout=60)
    if check is not None:
        assert p.returncode == check, (args, p.stdout, p.stderr)
    return p


def keypair(d, name):
    key, pub = str(d / f"{name}.pem"), str(d / f"{name}.pub")
    subprocess.run(["openssl", "ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", key], check=True)
    subprocess.run(["openssl", "ec", "-in", key, "-pubout", "-out", pub], check=True, capture_output=True)
    return key, pub


def policy(d, doc):
    path = d / "trust.json"
    path.write_text(json.dumps(doc))
    return str(path)


def archive(d, name, seed):
    path = str(d / f"{seed}.tar")
    mkimages.oci_layout(path, [(name, [mkimages.layer({"f": seed.encode()})])], "gzip")
    return path


def test_sign_verify_wrong_key_and_other_image(tmp_path):
    root = tmp_path / "store"
    key, pub = keypair(tmp_path, "k")
    _, other = keypair(tmp_path, "other")
    kapsel(root, "load", "-i", archive(tmp_path, "localhost:5000/team/app:1", "a"), check=0)
    kapsel(root, "load", "-i", archive(tmp_path, "localhost:5000/team/app:2", "b"), check=0)
    out = kapsel(root, "image", "sign", "--key", key, "localhost:5000/team/app:1", check=0).stdout
    assert "as localhost:5000/team/app\n" in out
    assert "Verified" in kapsel(root, "image", "verify", "--key", pub, "localhost:5000/team/app:1", check=0).stdout
    p = kapsel(root, "image", "verify", "--key", other, "localhost:5000/team/app:1", check=1)
    assert "does not verify with the key" in p.stderr
    assert "not signed" in kapsel(root, "image", "verify", "--key", pub, "localhost:5000/team/app:2", check=1).stderr
    # the attacker copies image 1's valid signature to image 2's manifest
    sigs = root / "signatures"
    [d1] = os.listdir(sigs)
    [info] = json.loads(kapsel(root, "image", "inspect", "localhost:5000/team/app:2", check=0).stdout)
    d2 = sigs / info["RepoDigests"][0].split("@sha256:")[1]
    os.makedirs(d2)
    for f in os.listdir(sigs / d1):
        (d2 / f).write_bytes((sigs / d1 / f).read_bytes())
    p = kapsel(root, "image", "verify", "--key", pub, "localhost:5000/team/app:2", check=1)
    assert "signs manifest sha256:" + d1 in p.stderr
    # gc: the signatures go with the image
    kapsel(root, "rmi", "localhost:5000/team/app:1", check=0)
    assert d1 not in os.listdir(sigs)


def test_load_obeys_the_policy(tmp_path):
    root = tmp_path / "store"
    key, pub = keypair(tmp_path, "k")
    a = archive(tmp_path, "localhost:5000/team/app:1", "a")
    sig = [{"type": "sigstoreSigned", "keyPath": pub, "signedIdentity": {"type": "matchRepository"}}]
    pol = policy(tmp_path, {"default": [{"type": "reject"}],
                            "transports": {"docker": {"localhost:5000/team": sig}}})
    p = kapsel(root, "load", "--trust-policy", pol, "-i", a, check=1)
    assert 'transports.docker["localhost:5000/team"][0]: sigstoreSigned' in p.stderr and "is not signed" in p.stderr
    assert not os.path.exists(root / "index.json") or "app" not in (root / "index.json").read_text()
    other = archive(tmp_path, "docker.io/library/busybox:1", "c")
    assert "default[0]: reject" in kapsel(root, "load", "--trust-policy", pol, "-i", other, check=1).stderr
    # signed in this store: loading it again under the policy is accepted
    kapsel(root, "load", "-i", a, check=0)
    kapsel(root, "image", "sign", "--key", key, "localhost:5000/team/app:1", check=0)
    kapsel(root, "load", "--trust-policy", pol, "-i", a, check=0)
    out = kapsel(root, "image", "verify", "--trust-policy", pol, "localhost:5000/team/app:1", check=0).stdout
    assert "sigstoreSigned key " + pub in out
    accept = policy(tmp_path, {"default": [{"type": "insecureAcceptAnything"}]})
    kapsel(root, "load", "--trust-policy", accept, "-i", other, check=0)


def test_malformed_policy_named_with_the_field(tmp_path):
    root = tmp_path / "store"
    a = archive(tmp_path, "localhost:5000/x:1", "a")
    pol = policy(tmp_path, {"default": [{"type": "sigstoreSigned", "keyPath": "rel.pub"}]})
    p = kapsel(root, "load", "--trust-policy", pol, "-i", a, check=1)
    assert "default[0].keyPath: expected an absolute path" in p.stderr
    pol = policy(tmp_path, {"default": [{"type": "reject"}], "transports": {"docker": {"busybox": [{"type": "reject"}]}}})
    assert 'transports.docker["busybox"]' in kapsel(root, "load", "--trust-policy", pol, "-i", a, check=1).stderr


def rewrite_tar(src, dst, change):
    """Copy the tar SRC to DST with change(name, data) -> data (None drops it)
    applied to every member; change may add members via the returned dict."""
    import io
    import tarfile
    extra = {}
    with tarfile.open(src) as t, tarfile.open(dst, "w") as out:
        for m in t.getmembers():
            data = t.extractfile(m).read() if m.isfile() else None
            if data is not None:
                data = change(m.name, data, extra)
                if data is None:
                    continue
                m.size = len(data)
                out.addfile(m, io.BytesIO(data))
            else:
                out.addfile(m)
        for name, data in extra.items():
            ti = tarfile.TarInfo(name)
            ti.size = len(data)
            out.addfile(ti, io.BytesIO(data))


def test_save_load_carries_signatures(tmp_path):
    import base64
    import hashlib
    root, fresh = tmp_path / "store", tmp_path / "fresh"
    key, pub = keypair(tmp_path, "k")
    ref = "localhost:5000/team/app:1"
    kapsel(root, "load", "-i", archive(tmp_path, ref, "a"), check=0)
    kapsel(root, "image", "sign", "--key", key, ref, check=0)
    out = str(tmp_path / "out.tar")
    kapsel(root, "save", "-o", out, ref, check=0)
    import tarfile
    with tarfile.open(out) as t:
        index = json.load(t.extractfile("index.json"))
        [img] = [m for m in index["manifests"] if "kind" not in m.get("annotations", {})]
        [sig] = [m for m in index["manifests"] if m.get("annotations", {}).get("kind") == "dev.cosignproject.cosign/sigs"]
        assert sig["annotations"]["org.opencontainers.image.ref.name"] == "sha256-" + img["digest"][7:] + ".sig"
        sigman = json.load(t.extractfile("blobs/sha256/" + sig["digest"][7:]))
        assert [l["mediaType"] for l in sigman["layers"]] == ["application/vnd.dev.cosign.simplesigning.v1+json"]
    sig_policy = [{"type": "sigstoreSigned", "keyPath": pub, "signedIdentity": {"type": "matchRepository"}}]
    pol = policy(tmp_path, {"default": [{"type": "reject"}], "transports": {"docker": {"localhost:5000/team": sig_policy}}})
    # a fresh store: the archive's signature satisfies the policy, and is kept
    kapsel(fresh, "load", "--trust-policy", pol, "-i", out, check=0)
    # the signature entry of index.json is no image
    assert len(kapsel(fresh, "images", "-q", check=0).stdout.split()) == 1
    assert "Verified" in kapsel(fresh, "image", "verify", "--key", pub, ref, check=0).stdout
    # saved again from there, the signature still goes along
    again = str(tmp_path / "again.tar")
    kapsel(fresh, "save", "-o", again, ref, check=0)
    kapsel(tmp_path / "third", "load", "--trust-policy", pol, "-i", again, check=0)

    # the attacker rewrites the signature and index.json to match: refused, nothing loaded
    def tamper(name, data, extra):
        if name == "blobs/sha256/" + sig["digest"][7:]:
            doc = json.loads(data)
            der = bytearray(base64.b64decode(doc["layers"][0]["annotations"]["dev.cosignproject.cosign/signature"]))
            der[-2] ^= 1
            doc["layers"][0]["annotations"]["dev.cosignproject.cosign/signature"] = base64.b64encode(der).decode()
            new = json.dumps(doc).encode()
            tamper.digest = "sha256:" + hashlib.sha256(new).hexdigest()
            extra["blobs/sha256/" + tamper.digest[7:]] = new
            tamper.size = len(new)
            return None
        return data

    mid = str(tmp_path / "mid.tar")
    rewrite_tar(out, mid, tamper)

    def fix_index(name, data, extra):
        if name != "index.json":
            return data
        doc = json.loads(data)
        for m in doc["manifests"]:
            if m["digest"] == sig["digest"]:
                m["digest"], m["size"] = tamper.digest, tamper.size
        return json.dumps(doc).encode()

    bad = str(tmp_path / "bad.tar")
    rewrite_tar(mid, bad, fix_index)
    victim = tmp_path / "victim"
    p = kapsel(victim, "load", "--trust-policy", pol, "-i", bad, check=1)
    assert "sigstoreSigned: no signature of 1 is accepted" in p.stderr, p.stderr
    assert not os.path.exists(victim / "index.json") or "app" not in (victim / "index.json").read_text()
    # a signature manifest that does not match its digest: the archive is refused
    def corrupt(name, data, extra):
        return data.replace(b"simplesigning", b"simplesignin9") if name == "blobs/sha256/" + sig["digest"][7:] else data

    broken = str(tmp_path / "broken.tar")
    rewrite_tar(out, broken, corrupt)
    p = kapsel(victim, "load", "-i", broken, check=1)
    assert "digest mismatch" in p.stderr, p.stderr


def test_run_obeys_the_policy(tmp_path):
    import shutil as _sh
    root = tmp_path / "store"
    key, pub = keypair(tmp_path, "k")
    sys.path.insert(0, os.path.join(REPO, "tests", "fixtures", "images"))
    import mkrunimage
    rootfs = str(tmp_path / "rootfs")
    subprocess.run(["sh", os.path.join(REPO, "tests", "fixtures", "mkrootfs.sh"), rootfs,
                    os.path.join(BUILD, "tests", "probe")], check=True)
    tar = str(tmp_path / "run.tar")
    mkrunimage.oci_image(tar, "localhost:5000/team/run:1", [mkrunimage.dir_layer(rootfs)], {"Cmd": ["true"]})
    kapsel(root, "load", "-i", tar, check=0)
    conf = os.path.join(REPO, "data", "kapsel.conf")
    sig = [{"type": "sigstoreSigned", "keyPath": pub, "signedIdentity": {"type": "matchRepository"}}]
    pol = policy(tmp_path, {"default": [{"type": "insecureAcceptAnything"}],
                            "transports": {"docker": {"localhost:5000/team": sig}}})

    def run(*args):
        return subprocess.run([KAPSEL, "--root", str(root), "--config", conf, "run", "--rm", *args],
                              capture_output=True, text=True, timeout=120)
    # unsigned: refused before anything is made, by name and by ID alike
    p = run("--trust-policy", pol, "localhost:5000/team/run:1")
    assert p.returncode == 125 and "is not signed" in p.stderr, p.stderr
    [info] = json.loads(kapsel(root, "image", "inspect", "localhost:5000/team/run:1", check=0).stdout)
    p = run("--trust-policy", pol, info["Id"])
    assert p.returncode == 125 and 'localhost:5000/team"][0]: sigstoreSigned' in p.stderr, p.stderr
    assert not os.path.exists(root / "containers") or os.listdir(root / "containers") == ["lock"]
    # signed: it runs
    kapsel(root, "image", "sign", "--key", key, "localhost:5000/team/run:1", check=0)
    p = run("--trust-policy", pol, "localhost:5000/team/run:1")
    assert p.returncode == 0, p.stderr
    # the default policy (no /etc/kapsel/trust.json here: accept anything) lets it run unsigned too
    _sh.rmtree(root / "signatures")
    if not os.path.exists("/etc/kapsel/trust.json"):
        assert run("localhost:5000/team/run:1").returncode == 0
