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
