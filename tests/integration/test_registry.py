"""kapsel pull / push / login against a real registry (Debian's
docker-registry on 127.0.0.1 with TLS from a CA made here and htpasswd
auth), with skopeo on the other side: images skopeo pushed are pulled
back with the ID `kapsel load` gives, images kapsel pushed are read back
by skopeo with the same digests; tampered blobs and manifests, a wrong
password, an untrusted CA and a plain-HTTP registry are refused with the
store unchanged; Bearer tokens and a download cut in the middle through a
proxy."""
import hashlib
import io
import json
import os
import shutil
import stat
import subprocess
import sys
import tarfile
import time

import pytest

from conftest import BUILD, REPO
from registry_fixture import PASSWORD, USER, Proxy, Registry, plain_registry, registry  # noqa: F401

sys.path.insert(0, os.path.join(REPO, "tests", "fixtures", "images"))
import mkimages  # noqa: E402

KAPSEL = os.path.join(BUILD, "src", "kapsel", "kapsel")
pytestmark = pytest.mark.skipif(not os.path.exists("/usr/bin/docker-registry") or not os.path.exists("/usr/bin/skopeo"),
                                reason="docker-registry and skopeo (scripts/deps.sh test)")


def kapsel(root, *args, input=None, check=False, conf=None):
    glob = ["--root", str(root)] + (["--config", str(conf)] if conf else [])
    p = subprocess.run([KAPSEL, *glob, *args], capture_output=True, text=True, input=input, timeout=120)
    if check:
        assert p.returncode == 0, (args, p.stdout, p.stderr)
    return p


def snapshot(root):
    idx = os.path.join(root, "index.json")
    blobs = os.path.join(root, "blobs", "sha256")
    return ((open(idx, "rb").read() if os.path.exists(idx) else None),
            sorted(os.listdir(blobs)) if os.path.isdir(blobs) else [])


def check_blobs(root):
    d = os.path.join(root, "blobs", "sha256")
    for name in os.listdir(d):
        with open(os.path.join(d, name), "rb") as f:
            assert hashlib.sha256(f.read()).hexdigest() == name
    assert os.listdir(os.path.join(root, "tmp")) == []


def busybox_layers(seed):
    bb = open("/bin/busybox", "rb").read()
    return [mkimages.layer({"bin/busybox": bb}), mkimages.layer({"etc/" + seed: seed.encode() + b"\n"})]


@pytest.fixture(scope="module")
def images(tmp_path_factory):
    """OCI layouts made here: a two-layer busybox image and a multi-arch index."""
    d = tmp_path_factory.mktemp("registry-images")
    bb = str(d / "bb")
    [ident] = mkimages.oci_layout(bb, [("1", busybox_layers("registry"))], "gzip", as_dir=True)
    multi = str(d / "multi")
    ids = multiarch_layout(multi)
    return {"bb": bb, "bb_id": ident, "multi": multi, "multi_ids": ids}


def multiarch_layout(path):
    """An OCI layout whose index.json names an image index of two
    platforms (skopeo copy --all pushes it as it is)."""
    blobs, ids, descs = {}, {}, []

    def blob(data):
        blobs[mkimages.sha(data)] = data
        return "sha256:" + mkimages.sha(data)

    for arch, variant in (("amd64", None), ("arm64", "v8")):
        layers = [mkimages.layer({"etc/arch": arch.encode() + b"\n"})]
        cfg = json.loads(mkimages.config(layers))
        cfg["architecture"] = arch
        cfg = json.dumps(cfg).encode()
        ids[arch] = blob(cfg)
        gz = [mkimages.compress(x, "gzip")[0] for x in layers]
        man = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                          "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                                     "digest": ids[arch], "size": len(cfg)},
                          "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                                      "digest": blob(x), "size": len(x)} for x in gz]}).encode()
        plat = {"os": "linux", "architecture": arch}
        if variant:
            plat["variant"] = variant
        descs.append({"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": blob(man),
                      "size": len(man), "platform": plat})
    idx = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
                      "manifests": descs}).encode()
    top = {"schemaVersion": 2, "manifests": [{"mediaType": "application/vnd.oci.image.index.v1+json",
                                              "digest": blob(idx), "size": len(idx),
                                              "annotations": {"org.opencontainers.image.ref.name": "m"}}]}
    os.makedirs(os.path.join(path, "blobs", "sha256"))
    for k, v in blobs.items():
        with open(os.path.join(path, "blobs", "sha256", k), "wb") as f:
            f.write(v)
    with open(os.path.join(path, "index.json"), "w") as f:
        json.dump(top, f)
    with open(os.path.join(path, "oci-layout"), "w") as f:
        f.write('{"imageLayoutVersion": "1.0.0"}')
    ids["index"] = "sha256:" + mkimages.sha(idx)
    return ids


def login(tmp_path, reg):
    auth = str(tmp_path / "auth" / "auth.json")
    p = kapsel(tmp_path / "unused", "login", "--authfile", auth, "--certs-dir", reg.certs, "-u", USER,
               "--password-stdin", reg.host, input=PASSWORD + "\n")
    assert p.returncode == 0 and p.stdout == "Login Succeeded\n", p.stderr
    return auth


def image_ids(root):
    p = kapsel(root, "images", "--format", "json", "--no-trunc", check=True)
    return {json.loads(x)["ID"] for x in p.stdout.splitlines()}


def test_login_pull_same_id_as_load(registry, images, tmp_path):
    registry.skopeo_copy("oci:" + images["bb"] + ":1", f"docker://{registry.host}/kapsel/bb:1")
    auth = login(tmp_path, registry)
    st = os.stat(auth)
    assert stat.S_IMODE(st.st_mode) == 0o600
    doc = json.load(open(auth))
    import base64
    assert base64.b64decode(doc["auths"][registry.host]["auth"]).decode() == f"{USER}:{PASSWORD}"
    root = tmp_path / "store"
    ref = f"{registry.host}/kapsel/bb:1"
    p = kapsel(root, "pull", "--authfile", auth, "--certs-dir", registry.certs, ref, check=True)
    lines = p.stdout.splitlines()
    assert lines[0] == f"Pulling {ref}"
    assert sum(x.endswith(": Pull complete") for x in lines) == 2
    assert lines[-1] == "Image: " + images["bb_id"]
    # the same image as `kapsel load` of the layout skopeo pushed
    loaded = tmp_path / "loaded"
    kapsel(loaded, "load", "-i", images["bb"], check=True)
    assert image_ids(root) == image_ids(loaded) == {images["bb_id"]}
    [info] = json.loads(kapsel(root, "image", "inspect", ref, check=True).stdout)
    assert info["RepoTags"] == [ref]
    digest = lines[-2].split()[1]
    assert info["RepoDigests"] == [f"{registry.host}/kapsel/bb@{digest}"]
    check_blobs(root)
    # again: nothing fetched, nothing changed; by digest too, and -q
    before = snapshot(root)
    p = kapsel(root, "pull", "--authfile", auth, "--certs-dir", registry.certs, ref, check=True)
    assert sum(x.endswith(": Already exists") for x in p.stdout.splitlines()) == 2
    p = kapsel(root, "pull", "-q", "--authfile", auth, "--certs-dir", registry.certs,
               f"{registry.host}/kapsel/bb@{digest}", check=True)
    assert p.stdout == images["bb_id"] + "\n"
    assert snapshot(root) == before
    # logout forgets the credentials, and then the registry refuses
    assert kapsel(root, "logout", "--authfile", auth, registry.host, check=True).stdout.startswith("Removed")
    assert kapsel(root, "logout", "--authfile", auth, registry.host).returncode == 1
    p = kapsel(tmp_path / "s2", "pull", "--authfile", auth, "--certs-dir", registry.certs, ref)
    assert p.returncode == 1 and "unauthorized" in p.stderr and "kapsel login" in p.stderr


def test_multiarch_index_platform(registry, images, tmp_path):
    registry.skopeo_copy("oci:" + images["multi"] + ":m", f"docker://{registry.host}/kapsel/multi:1", "--all")
    auth = login(tmp_path, registry)
    ids = images["multi_ids"]
    base = ["--authfile", auth, "--certs-dir", registry.certs]
    ref = f"{registry.host}/kapsel/multi:1"
    for plat, want in ((None, ids["amd64"]), ("linux/arm64", ids["arm64"]), ("linux/arm64/v8", ids["arm64"])):
        root = tmp_path / f"store-{plat or 'host'}".replace("/", "-")
        p = kapsel(root, "pull", "-q", *base, *(["--platform", plat] if plat else []), ref, check=True)
        assert p.stdout == want + "\n"
    # the same as a Docker manifest list (skopeo converts it)
    registry.skopeo_copy("oci:" + images["multi"] + ":m", f"docker://{registry.host}/kapsel/multi-v2:1", "--all",
                         "--format", "v2s2")
    p = kapsel(tmp_path / "store-v2", "pull", "-q", *base, "--platform", "linux/arm64",
               f"{registry.host}/kapsel/multi-v2:1", check=True)
    assert p.stdout == ids["arm64"] + "\n"
    # by the index's digest
    p = kapsel(tmp_path / "bydigest", "pull", "-q", *base, f"{registry.host}/kapsel/multi@{ids['index']}",
               check=True)
    assert p.stdout == ids["amd64"] + "\n"
    p = kapsel(tmp_path / "none", "pull", *base, "--platform", "linux/s390x", ref)
    assert p.returncode == 1 and "no image for platform linux/s390x" in p.stderr
    # a single image is the platform asked for, or refused
    registry.skopeo_copy("oci:" + images["bb"] + ":1", f"docker://{registry.host}/kapsel/single:1")
    p = kapsel(tmp_path / "none", "pull", *base, "--platform", "linux/arm64", f"{registry.host}/kapsel/single:1")
    assert p.returncode == 1 and "the image is linux/amd64, not the platform asked for (linux/arm64)" in p.stderr
    p = kapsel(tmp_path / "none", "pull", *base, "--platform", "linux", ref)
    assert p.returncode == 1 and "invalid platform" in p.stderr
    # a digest reference that is not what the registry serves
    bad = "sha256:" + "0" * 64
    p = kapsel(tmp_path / "none", "pull", *base, f"{registry.host}/kapsel/multi@{bad}")
    assert p.returncode == 1


def test_push_read_back_by_skopeo(registry, images, tmp_path):
    auth = login(tmp_path, registry)
    root = tmp_path / "store"
    kapsel(root, "load", "-i", images["bb"], check=True)
    [info] = json.loads(kapsel(root, "image", "inspect", images["bb_id"], check=True).stdout)
    local_digest = info["RepoDigests"][0].split("@")[1] if info["RepoDigests"] else None
    dest = f"{registry.host}/pushed/bb:2"
    p = kapsel(root, "push", "--authfile", auth, "--certs-dir", registry.certs, images["bb_id"], dest, check=True)
    digest = p.stdout.splitlines()[-1].split()[1]
    assert sum(x.endswith(": Pushed") for x in p.stdout.splitlines()) == 3
    if local_digest:
        assert digest == local_digest
    raw = subprocess.run(["skopeo", "inspect", "--raw", "--cert-dir", os.path.join(registry.certs, registry.host),
                          f"--creds={USER}:{PASSWORD}", "docker://" + dest], capture_output=True, check=True).stdout
    assert "sha256:" + hashlib.sha256(raw).hexdigest() == digest
    out = tmp_path / "dir"
    registry.skopeo_copy("docker://" + dest, "dir:" + str(out), to_registry=False)
    man = json.load(open(out / "manifest.json"))
    assert man["config"]["digest"] == images["bb_id"]
    for x in man["layers"]:
        data = open(out / x["digest"].split(":")[1], "rb").read()
        assert "sha256:" + hashlib.sha256(data).hexdigest() == x["digest"]
    # again: every blob is there already
    p = kapsel(root, "push", "--authfile", auth, "--certs-dir", registry.certs, images["bb_id"], dest, check=True)
    assert sum(x.endswith(": Layer already exists") for x in p.stdout.splitlines()) == 3
    # to another repository of the same registry: mounted, not uploaded
    kapsel(root, "tag", images["bb_id"], dest, check=True)
    p = kapsel(root, "push", "--authfile", auth, "--certs-dir", registry.certs, dest,
               f"{registry.host}/mounted/bb:1", check=True)
    assert sum(x.endswith(": Mounted from another repository") for x in p.stdout.splitlines()) == 3, p.stdout
    assert p.stdout.splitlines()[-1] == "Digest: " + digest
    # a legacy docker save (no manifest in the store): kapsel writes one
    legacy = str(tmp_path / "legacy.tar")
    [lid] = mkimages.docker_save(legacy, [("legacy:1", busybox_layers("legacy"))])
    kapsel(root, "load", "-i", legacy, check=True)
    kapsel(root, "push", "--authfile", auth, "--certs-dir", registry.certs, "legacy:1",
           f"{registry.host}/pushed/legacy:1", check=True)
    back = tmp_path / "back"
    p = kapsel(back, "pull", "-q", "--authfile", auth, "--certs-dir", registry.certs,
               f"{registry.host}/pushed/legacy:1", check=True)
    assert p.stdout == lid + "\n"


def test_wrong_password_and_untrusted_ca(registry, tmp_path):
    auth = str(tmp_path / "auth.json")
    p = kapsel(tmp_path / "s", "login", "--authfile", auth, "--certs-dir", registry.certs, "-u", USER,
               "--password-stdin", registry.host, input="wrong\n")
    assert p.returncode == 1 and "unauthorized" in p.stderr
    assert not os.path.exists(auth)
    # without the CA: the certificate is not trusted, nothing is stored
    p = kapsel(tmp_path / "s", "login", "--authfile", auth, "--certs-dir", str(tmp_path / "empty"), "-u", USER,
               "--password-stdin", registry.host, input=PASSWORD + "\n")
    assert p.returncode == 1 and "TLS certificate not trusted" in p.stderr
    assert not os.path.exists(auth)
    p = kapsel(tmp_path / "s", "pull", "--certs-dir", str(tmp_path / "empty"), f"{registry.host}/kapsel/bb:1")
    assert p.returncode == 1 and "TLS certificate not trusted" in p.stderr


def test_client_certificate_from_certs_dir(tmp_path, images):
    reg = Registry(tmp_path / "mtls", auth=False, mtls=True)
    try:
        reg.skopeo_copy("oci:" + images["bb"] + ":1", f"docker://{reg.host}/mtls/bb:1")
        ref = f"{reg.host}/mtls/bb:1"
        p = kapsel(tmp_path / "s", "pull", "-q", "--certs-dir", reg.certs, ref, check=True)
        assert p.stdout == images["bb_id"] + "\n"
        # only the CA: the registry refuses the handshake
        only_ca = tmp_path / "only-ca" / reg.host
        os.makedirs(only_ca)
        shutil.copy(os.path.join(reg.certs, reg.host, "ca.crt"), only_ca)
        p = kapsel(tmp_path / "s2", "pull", "--certs-dir", str(only_ca.parent), ref)
        assert p.returncode == 1 and f"https://{reg.host}/v2/mtls/bb/manifests/1: " in p.stderr, p.stderr
        assert not os.path.exists(tmp_path / "s2" / "index.json")
        # a certificate without its key is a configuration error, named
        shutil.copy(os.path.join(reg.certs, reg.host, "client.cert"), only_ca)
        p = kapsel(tmp_path / "s2", "pull", "--certs-dir", str(only_ca.parent), ref)
        assert p.returncode == 1 and "needs both" in p.stderr and "client.key" in p.stderr, p.stderr
    finally:
        reg.stop()


def test_plain_http_only_when_insecure(plain_registry, images, tmp_path):
    reg = plain_registry
    reg.skopeo_copy("oci:" + images["bb"] + ":1", f"docker://{reg.host}/plain/bb:1")
    root = tmp_path / "store"
    p = kapsel(root, "pull", f"{reg.host}/plain/bb:1")
    assert p.returncode == 1 and "TLS handshake failed" in p.stderr and "insecure" in p.stderr
    assert snapshot(root) == (None, [])
    conf = tmp_path / "kapsel.conf"
    conf.write_text(f"[registries]\ninsecure = {reg.host}\n")
    p = kapsel(root, "pull", "-q", f"{reg.host}/plain/bb:1", conf=conf, check=True)
    assert p.stdout == images["bb_id"] + "\n"
    # a misspelt key is an error, not a silent default
    conf.write_text(f"[registries]\ninsecur = {reg.host}\n")
    p = kapsel(root, "pull", f"{reg.host}/plain/bb:1", conf=conf)
    assert p.returncode == 1 and "insecur" in p.stderr


def tamper(path):
    data = bytearray(open(path, "rb").read())
    data[len(data) // 2] ^= 0xFF
    os.chmod(path, 0o644)
    with open(path, "wb") as f:
        f.write(data)
    return bytes(data)


def test_tampered_blob_and_manifest_refused(plain_registry, images, tmp_path):
    reg = plain_registry
    conf = tmp_path / "kapsel.conf"
    conf.write_text(f"[registries]\ninsecure = {reg.host}\n")
    man = json.load(open(os.path.join(images["bb"], "index.json")))["manifests"][0]
    mdoc = json.load(open(os.path.join(images["bb"], "blobs", "sha256", man["digest"].split(":")[1])))
    root = tmp_path / "store"
    kapsel(root, "load", "-i", images["multi"], check=True)   # a store with something in it
    before = snapshot(root)
    # a layer changed in the registry's storage: served as it is, refused
    reg.skopeo_copy("oci:" + images["bb"] + ":1", f"docker://{reg.host}/tamper/blob:1")
    layer = mdoc["layers"][0]["digest"]
    original = open(reg.blob_path(layer), "rb").read()
    try:
        tamper(reg.blob_path(layer))
        p = kapsel(root, "pull", f"{reg.host}/tamper/blob:1", conf=conf)
        assert p.returncode == 1 and f"blob {layer}: digest mismatch" in p.stderr, p.stderr
        assert snapshot(root) == before
        check_blobs(root)
    finally:
        with open(reg.blob_path(layer), "wb") as f:
            f.write(original)
    # the manifest changed: the body no longer hashes to the digest
    reg.skopeo_copy("oci:" + images["bb"] + ":1", f"docker://{reg.host}/tamper/manifest:1")
    original = open(reg.blob_path(man["digest"]), "rb").read()
    try:
        data = original.replace(b'"schemaVersion": 2', b'"schemaVersion":  2', 1)
        assert data != original
        with open(reg.blob_path(man["digest"]), "wb") as f:
            f.write(data)
        for ref in (f"{reg.host}/tamper/manifest:1", f"{reg.host}/tamper/manifest@{man['digest']}"):
            p = kapsel(root, "pull", ref, conf=conf)
            assert p.returncode == 1 and "manifest digest mismatch" in p.stderr, p.stderr
        assert snapshot(root) == before
    finally:
        with open(reg.blob_path(man["digest"]), "wb") as f:
            f.write(original)
    p = kapsel(root, "pull", "-q", f"{reg.host}/tamper/manifest:1", conf=conf, check=True)
    assert p.stdout == images["bb_id"] + "\n"


def test_bearer_token_and_resume_after_cut(plain_registry, images, tmp_path):
    reg = plain_registry
    reg.skopeo_copy("oci:" + images["bb"] + ":1", f"docker://{reg.host}/proxied/bb:1")
    proxy = Proxy(reg, bearer=True, cut=True)
    try:
        conf = tmp_path / "kapsel.conf"
        conf.write_text(f"[registries]\ninsecure = {proxy.host}\n")
        ref = f"{proxy.host}/proxied/bb:1"
        # no credentials: the token service refuses
        root = tmp_path / "store"
        p = kapsel(root, "pull", ref, conf=conf)
        assert p.returncode == 1 and "unauthorized" in p.stderr
        assert snapshot(root) == (None, [])
        auth = str(tmp_path / "auth.json")
        p = kapsel(root, "login", "--authfile", auth, "-u", USER, "--password-stdin", proxy.host, input=PASSWORD,
                   conf=conf)
        assert p.returncode == 0, p.stderr
        p = kapsel(root, "pull", "--authfile", auth, ref, conf=conf, check=True)
        assert p.stdout.splitlines()[-1] == "Image: " + images["bb_id"]
        assert proxy.token_requests[-1]["service"] == ["kapsel-test"]
        assert proxy.token_requests[-1]["scope"] == ["repository:proxied/bb:pull"]
        # each layer was cut once and fetched again from where it stopped
        # (the config, read whole into memory, again from its start)
        mdoc = json.loads(open(os.path.join(images["bb"], "blobs", "sha256", json.load(open(os.path.join(
            images["bb"], "index.json")))["manifests"][0]["digest"].split(":")[1])).read())
        layers = {f"/v2/proxied/bb/blobs/{x['digest']}": x["size"] for x in mdoc["layers"]}
        assert set(layers) <= proxy.cuts
        ranges = {path: r for (m, path, r) in proxy.seen if m == "GET" and path in layers and r}
        assert ranges == {path: f"bytes={size // 2}-" for path, size in layers.items()}
        assert "Retrying" in p.stdout
        check_blobs(root)
    finally:
        proxy.stop()


def test_retries_docker_v2_manifest_and_push_scope(plain_registry, images, tmp_path):
    reg = plain_registry
    reg.skopeo_copy("oci:" + images["bb"] + ":1", f"docker://{reg.host}/v2s2/bb:1", "--format", "v2s2")
    raw = subprocess.run(["skopeo", "inspect", "--raw", "--tls-verify=false", f"docker://{reg.host}/v2s2/bb:1"],
                         capture_output=True, check=True).stdout
    assert json.loads(raw)["mediaType"] == "application/vnd.docker.distribution.manifest.v2+json"
    proxy = Proxy(reg, flaky=True)
    try:
        conf = tmp_path / "kapsel.conf"
        conf.write_text(f"[registries]\ninsecure = {proxy.host}\n")
        root = tmp_path / "store"
        p = kapsel(root, "pull", f"{proxy.host}/v2s2/bb:1", conf=conf, check=True)
        assert p.stdout.splitlines()[-1] == "Image: " + images["bb_id"]
        assert p.stdout.splitlines()[-2] == "Digest: sha256:" + hashlib.sha256(raw).hexdigest()
        # every request was refused once (503 or 429) and asked again
        gets = [(m, path) for (m, path, r) in proxy.seen if m == "GET"]
        assert gets and all(gets.count(x) == 2 for x in set(gets))
        assert "Retrying" in p.stdout
        check_blobs(root)
    finally:
        proxy.stop()
    # a push through a Bearer registry asks for pull,push
    proxy = Proxy(reg, bearer=True)
    try:
        conf = tmp_path / "kapsel.conf"
        conf.write_text(f"[registries]\ninsecure = {proxy.host}\n")
        auth = str(tmp_path / "auth.json")
        kapsel(root, "login", "--authfile", auth, "-u", USER, "--password-stdin", proxy.host, input=PASSWORD,
               conf=conf, check=True)
        n = len(proxy.token_requests)
        p = kapsel(root, "push", "--authfile", auth, images["bb_id"], f"{proxy.host}/scoped/bb:1", conf=conf,
                   check=True)
        assert {q["scope"][0] for q in proxy.token_requests[n:]} == {"repository:scoped/bb:pull,push"}
        assert p.stdout.splitlines()[-1] == "Digest: sha256:" + hashlib.sha256(raw).hexdigest()
    finally:
        proxy.stop()


def stalled_registry(reg, images, tmp_path, repo):
    """busybox pushed to REPO:1, and a proxy in front of the registry that
    stalls its first blob: the proxy, a kapsel.conf naming it insecure and
    the store's path."""
    reg.skopeo_copy("oci:" + images["bb"] + ":1", f"docker://{reg.host}/{repo}:1")
    proxy = Proxy(reg, stall=True)
    conf = tmp_path / "kapsel.conf"
    conf.write_text(f"[registries]\ninsecure = {proxy.host}\n")
    return proxy, conf, tmp_path / "store"


def test_pull_killed_midway_leaves_the_store_as_it_was(plain_registry, images, tmp_path):
    proxy, conf, root = stalled_registry(plain_registry, images, tmp_path, "killed/bb")
    try:
        kapsel(root, "load", "-i", images["multi"], check=True)
        before = snapshot(root)
        p = subprocess.Popen([KAPSEL, "--root", str(root), "--config", str(conf), "pull",
                              f"{proxy.host}/killed/bb:1"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            assert proxy.stalled.wait(30)
            # the half the proxy sent reaches the blob's temp file (kapsel writes as it reads)
            deadline = time.monotonic() + 30
            while not any(x.startswith("pull-") and os.path.getsize(root / "tmp" / x) > 0
                          for x in os.listdir(root / "tmp")):
                assert time.monotonic() < deadline, os.listdir(root / "tmp")
                time.sleep(0.02)
        finally:
            p.kill()
            p.wait()
        assert snapshot(root) == before
        # the next command (a reader, too) removes what the killed one left
        assert image_ids(root) == {images["multi_ids"]["amd64"]}   # load took the index's first image
        assert os.listdir(root / "tmp") == []
        assert snapshot(root) == before
        proxy.release.set()
        p = kapsel(root, "pull", "-q", f"{proxy.host}/killed/bb:1", conf=conf, check=True)
        assert p.stdout == images["bb_id"] + "\n"
        check_blobs(root)
    finally:
        proxy.stop()


def test_create_pulls_without_the_engine_lock(plain_registry, images, tmp_path):
    """A create's pull stalled at the registry holds no other command:
    ps (the engine's shared lock) answers meanwhile."""
    proxy, conf, root = stalled_registry(plain_registry, images, tmp_path, "locked/bb")
    try:
        kapsel(root, "ps", "-a", check=True)
        p = subprocess.Popen([KAPSEL, "--root", str(root), "--config", str(conf), "create",
                              f"{proxy.host}/locked/bb:1", "true"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True)
        try:
            assert proxy.stalled.wait(30)
            q = subprocess.run([KAPSEL, "--root", str(root), "ps", "-a"], capture_output=True, text=True, timeout=10)
            assert q.returncode == 0, q.stderr
            proxy.release.set()
            out, err = p.communicate(timeout=60)
        finally:
            if p.poll() is None:
                p.kill()
                p.wait()
        # the stalled layer failed or finished: either way the create said so, and nothing is left locked
        for cid in kapsel(root, "ps", "-aq", check=True).stdout.split():
            kapsel(root, "rm", "-f", cid, check=True)
    finally:
        proxy.stop()


def push_raw(reg, repo, tag, blobs, manifest):
    """Blobs and a manifest into the plain registry as they are (no
    client's checks): for images that lie."""
    import http.client
    c = http.client.HTTPConnection("127.0.0.1", reg.port, timeout=30)
    for data in blobs:
        c.request("POST", f"/v2/{repo}/blobs/uploads/")
        r = c.getresponse()
        r.read()
        assert r.status == 202, r.status
        loc = r.getheader("Location")
        loc = loc[loc.index("/v2/"):]
        c.request("PUT", f"{loc}{'&' if '?' in loc else '?'}digest=sha256:{mkimages.sha(data)}", body=data,
                  headers={"Content-Type": "application/octet-stream"})
        r = c.getresponse()
        r.read()
        assert r.status == 201, r.status
    c.request("PUT", f"/v2/{repo}/manifests/{tag}", body=manifest,
              headers={"Content-Type": "application/vnd.oci.image.manifest.v1+json"})
    r = c.getresponse()
    r.read()
    assert r.status == 201, r.status
    c.close()


def lying_image(layers, diff_ids, layer_type="application/vnd.oci.image.layer.v1.tar+gzip"):
    cfg = json.loads(mkimages.config(layers))
    cfg["rootfs"]["diff_ids"] = diff_ids
    cfg = json.dumps(cfg).encode()
    gz = [mkimages.compress(x, "gzip")[0] for x in layers]
    man = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                      "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                                 "digest": "sha256:" + mkimages.sha(cfg), "size": len(cfg)},
                      "layers": [{"mediaType": layer_type, "digest": "sha256:" + mkimages.sha(x), "size": len(x)}
                                 for x in gz]}).encode()
    return [cfg, *gz], man


def test_layers_checked_against_the_config(plain_registry, tmp_path):
    reg = plain_registry
    conf = tmp_path / "kapsel.conf"
    conf.write_text(f"[registries]\ninsecure = {reg.host}\n")
    root = tmp_path / "store"
    layers = [mkimages.layer({"a": b"1\n"}), mkimages.layer({"b": b"2\n"})]
    good = ["sha256:" + mkimages.sha(x) for x in layers]
    cases = {
        "wrong-diff-id": (good[:1] + ["sha256:" + mkimages.sha(b"not the layer")],
                          "layer 2 (sha256:", "uncompressed (config rootfs.diff_ids): digest mismatch"),
        "fewer-diff-ids": (good[:1], "the manifest names 2 layers, the config's rootfs.diff_ids 1", ""),
        "bad-diff-id": (good[:1] + ["md5:00"], "config: rootfs.diff_ids[1]", ""),
    }
    kapsel(root, "images", check=True)   # an empty store
    before = snapshot(root)
    for tag, (ids, want, want2) in cases.items():
        blobs, man = lying_image(layers, ids)
        push_raw(reg, "lies/img", tag, blobs, man)
        p = kapsel(root, "pull", f"{reg.host}/lies/img:{tag}", conf=conf)
        assert p.returncode == 1 and want in p.stderr and want2 in p.stderr, (tag, p.stderr)
        assert snapshot(root) == before, tag
        assert os.listdir(root / "tmp") == []
    # a foreign (non-distributable) layer is refused by its media type
    blobs, man = lying_image(layers, good, "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip")
    push_raw(reg, "lies/img", "foreign", blobs, man)
    p = kapsel(root, "pull", f"{reg.host}/lies/img:foreign", conf=conf)
    assert p.returncode == 1 and "is not a layer kapsel unpacks" in p.stderr, p.stderr
    assert snapshot(root) == before
    # and the honest one goes in
    blobs, man = lying_image(layers, good)
    push_raw(reg, "lies/img", "honest", blobs, man)
    p = kapsel(root, "pull", "-q", f"{reg.host}/lies/img:honest", conf=conf, check=True)
    assert p.stdout == "sha256:" + mkimages.sha(blobs[0]) + "\n"
    check_blobs(root)


def test_bad_references(tmp_path):
    for ref in ("UPPER/case", "a@sha256:12", "x:bad:tag", ""):
        p = kapsel(tmp_path / "s", "pull", ref)
        assert p.returncode == 1 and "invalid reference" in p.stderr, (ref, p.stderr)
    p = kapsel(tmp_path / "s", "push", "nosuch:1")
    assert p.returncode == 1 and "No such image" in p.stderr


def test_a_layer_in_a_compression_the_spec_has_not_is_refused(plain_registry, tmp_path):
    """A layer labelled tar+gzip but compressed with xz (the right diff_id):
    only gzip and zstd are read, in-process (libarchive's "all" filters run
    lrzip, lzop, grzip as external programs on the registry's bytes), so the
    xz bytes are hashed as they are and refused against the diff_id."""
    import lzma
    reg = plain_registry
    conf = tmp_path / "kapsel.conf"
    conf.write_text(f"[registries]\ninsecure = {reg.host}\n")
    root = tmp_path / "store"
    layer = mkimages.layer({"a": b"xz\n"})
    blobs, man = lying_image([layer], ["sha256:" + mkimages.sha(layer)])
    xz = lzma.compress(layer)
    blobs[1] = xz
    m = json.loads(man)
    m["layers"][0].update(digest="sha256:" + mkimages.sha(xz), size=len(xz))
    push_raw(reg, "lies/img", "xz", blobs, json.dumps(m).encode())
    kapsel(root, "images", check=True)
    before = snapshot(root)
    p = kapsel(root, "pull", f"{reg.host}/lies/img:xz", conf=conf)
    assert p.returncode == 1 and "uncompressed (config rootfs.diff_ids): digest mismatch" in p.stderr, p.stderr
    assert snapshot(root) == before


def test_concurrent_logins_all_kept(tmp_path):
    """Sixteen `kapsel login`s to sixteen registries at once: every one is
    in the auth file afterwards (the read-modify-write is under a lock)."""
    import http.server
    import threading

    barrier = threading.Barrier(16, timeout=30)

    class V2(http.server.BaseHTTPRequestHandler):
        def do_GET(self):   # all sixteen answered at once: the writes race
            if self.path == "/v2/":
                barrier.wait()
            self.send_response(200 if self.path == "/v2/" else 404)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *a):
            pass

    servers = [http.server.ThreadingHTTPServer(("127.0.0.1", 0), V2) for _ in range(16)]
    for s in servers:
        threading.Thread(target=s.serve_forever, daemon=True).start()
    hosts = [f"127.0.0.1:{s.server_address[1]}" for s in servers]
    conf = tmp_path / "kapsel.conf"
    conf.write_text("[registries]\ninsecure = " + " ".join(hosts) + "\n")
    auth = str(tmp_path / "auth" / "auth.json")
    try:
        for _ in range(3):
            barrier.reset()
            if os.path.exists(auth):
                os.unlink(auth)
            procs = [subprocess.Popen([KAPSEL, "--root", str(tmp_path / "r"), "--config", str(conf), "login",
                                       "--authfile", auth, "-u", f"u{i}", "--password-stdin", h],
                                      stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                     for i, h in enumerate(hosts)]
            for p in procs:
                p.stdin.write(PASSWORD + "\n")
                p.stdin.close()
            for p in procs:
                p.wait(60)
                assert p.returncode == 0, p.stderr.read()
            assert sorted(json.load(open(auth))["auths"]) == sorted(hosts)
    finally:
        for s in servers:
            s.shutdown()


HELPER = r'''#!/usr/bin/python3
# docker-credential-ktest: a credential helper as Docker's protocol has
# them, keeping credentials in $HOME/creds.json (the test's HOME)
import json, os, sys
path = os.path.join(os.environ["HOME"], "creds.json")
db = json.load(open(path)) if os.path.exists(path) else {}
verb, data = sys.argv[1], sys.stdin.read()
with open(os.path.join(os.environ["HOME"], "calls"), "a") as f:
    f.write(verb + " " + (data.strip() if verb != "store" else json.loads(data)["ServerURL"]) + "\n")
if verb == "store":
    d = json.loads(data)
    db[d["ServerURL"]] = {"Username": d["Username"], "Secret": d["Secret"]}
elif verb == "get":
    if data.strip() not in db:
        print("credentials not found in native keychain")
        sys.exit(1)
    print(json.dumps(dict(db[data.strip()], ServerURL=data.strip())))
elif verb == "erase":
    if db.pop(data.strip(), None) is None:
        print("credentials not found in native keychain")
        sys.exit(1)
json.dump(db, open(path, "w"))
'''


def test_credential_helpers(registry, images, tmp_path):
    registry.skopeo_copy("oci:" + images["bb"] + ":1", f"docker://{registry.host}/kapsel/cred:1")
    bindir, home = tmp_path / "bin", tmp_path / "home"
    bindir.mkdir()
    home.mkdir()
    (bindir / "docker-credential-ktest").write_text(HELPER)
    os.chmod(bindir / "docker-credential-ktest", 0o755)
    env = dict(os.environ, PATH=f"{bindir}:{os.environ['PATH']}", HOME=str(home), SECRET_NOT_PASSED="x")
    auth = tmp_path / "auth.json"
    ref = f"{registry.host}/kapsel/cred:1"

    def k(root, *args, input=None):
        return subprocess.run([KAPSEL, "--root", str(root), *args], capture_output=True, text=True, input=input,
                              env=env, timeout=120)
    auth.write_text(json.dumps({"credsStore": "ktest"}))
    p = k(tmp_path / "s0", "login", "--authfile", str(auth), "--certs-dir", registry.certs, "-u", USER,
          "--password-stdin", registry.host, input=PASSWORD + "\n")
    assert p.returncode == 0, p.stderr
    # in the helper, not in the file
    assert json.load(open(auth)) == {"credsStore": "ktest"}
    assert json.load(open(home / "creds.json")) == {registry.host: {"Username": USER, "Secret": PASSWORD}}
    p = k(tmp_path / "s1", "pull", "-q", "--authfile", str(auth), "--certs-dir", registry.certs, ref)
    assert p.returncode == 0, p.stderr
    assert (home / "calls").read_text().splitlines() == [f"store {registry.host}", f"get {registry.host}"]
    # credHelpers for the host wins over credsStore
    auth.write_text(json.dumps({"credsStore": "nothere", "credHelpers": {registry.host: "ktest"}}))
    assert k(tmp_path / "s2", "pull", "-q", "--authfile", str(auth), "--certs-dir", registry.certs,
             ref).returncode == 0
    # a helper that is not installed is named; a name with a '/' is not run
    for name, msg in (("nothere", "docker-credential-nothere"), ("../../bin/sh", "not a helper name")):
        auth.write_text(json.dumps({"credsStore": name}))
        p = k(tmp_path / "s3", "pull", "--authfile", str(auth), "--certs-dir", registry.certs, ref)
        assert p.returncode == 1 and msg in p.stderr, p.stderr
    # logout erases from the helper; then the registry refuses
    auth.write_text(json.dumps({"credsStore": "ktest"}))
    p = k(tmp_path / "s4", "logout", "--authfile", str(auth), registry.host)
    assert p.returncode == 0, p.stderr
    assert json.load(open(home / "creds.json")) == {}
    p = k(tmp_path / "s5", "pull", "--authfile", str(auth), "--certs-dir", registry.certs, ref)
    assert p.returncode == 1 and "unauthorized" in p.stderr, p.stderr
    assert k(tmp_path / "s6", "logout", "--authfile", str(auth), registry.host).returncode == 1


def test_run_pulls_a_missing_image(plain_registry, tmp_path):
    reg = plain_registry
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as t:
        data = open("/bin/busybox", "rb").read()
        ti = tarfile.TarInfo("bin/busybox")
        ti.mode, ti.size = 0o755, len(data)
        t.addfile(ti, io.BytesIO(data))
    [ident] = mkimages.oci_layout(str(tmp_path / "lay"), [("1", [buf.getvalue()])], "gzip", as_dir=True)
    reg.skopeo_copy("oci:" + str(tmp_path / "lay") + ":1", f"docker://{reg.host}/plain/bbrun:1")
    conf = tmp_path / "kapsel.conf"
    conf.write_text(f"[registries]\ninsecure = {reg.host}\n")
    root = tmp_path / "store"
    ref = f"{reg.host}/plain/bbrun:1"
    p = kapsel(root, "run", "--rm", "--pull", "never", "--user", "0", ref, "/bin/busybox", "echo", "hi", conf=conf)
    assert p.returncode == 125 and "No such image" in p.stderr and "Pulling" not in p.stderr
    p = kapsel(root, "run", "--rm", "--user", "0", ref, "/bin/busybox", "echo", "hi", conf=conf)  # --pull missing
    assert p.returncode == 0, p.stderr
    assert p.stdout == "hi\n"  # the pull's display is on stderr
    assert "Unable to find image '%s' locally" % ref in p.stderr and "Pulling " + ref in p.stderr
    assert image_ids(root) == {ident}
    p = kapsel(root, "run", "--rm", "--user", "0", ref, "/bin/busybox", "echo", "again", conf=conf)
    assert p.returncode == 0 and p.stdout == "again\n" and "Pulling" not in p.stderr
    p = kapsel(root, "run", "--rm", "--pull", "always", "--user", "0", ref, "/bin/busybox", "true", conf=conf)
    assert p.returncode == 0 and "Pulling " + ref in p.stderr, p.stderr
    p = kapsel(root, "create", f"{reg.host}/plain/nothere:1", conf=conf)
    assert p.returncode == 1 and "nothere" in p.stderr and "manifest unknown" in p.stderr
    # an all-hex repository is a name like any other: pulled when missing
    # (a bare "cafe" is Docker Hub's: test_run.py checks it is pulled)
    reg.skopeo_copy("oci:" + str(tmp_path / "lay") + ":1", f"docker://{reg.host}/cafe:1")
    p = kapsel(root, "run", "--rm", "--user", "0", f"{reg.host}/cafe:1", "/bin/busybox", "echo", "hex", conf=conf)
    assert p.returncode == 0 and p.stdout == "hex\n", p.stderr
    assert "Unable to find image '%s/cafe:1' locally" % reg.host in p.stderr
