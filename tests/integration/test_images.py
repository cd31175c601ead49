"""The image store from the outside: `kapsel load` of every archive format
(built here byte by byte, and written by a real `docker save` and `podman
save`), images / image inspect / tag / rmi, a tampered layer refused with
the store unchanged, loads killed with SIGKILL at random points, and
concurrent loads."""
import ctypes
import hashlib
import io
import json
import os
import random
import select
import shutil
import signal
import struct
import subprocess
import sys
import tarfile
import tempfile

import pytest

from clients import dockerd, image_rootfs_tar, runtime_bin, umount_under  # noqa: F401
from conftest import BUILD, REPO

sys.path.insert(0, os.path.join(REPO, "tests", "fixtures", "images"))
import mkimages  # noqa: E402

KAPSEL = os.path.join(BUILD, "src", "kapsel", "kapsel")


def kapsel(root, *args, input=None, check=False):
    p = subprocess.run([KAPSEL, "--root", str(root), *args], capture_output=True, text=input is None or
                       isinstance(input, str), input=input, timeout=120)
    if check:
        assert p.returncode == 0, (args, p.stdout, p.stderr)
    return p


def images(root):
    p = kapsel(root, "images", "--format", "json", "--no-trunc", check=True)
    return [json.loads(line) for line in p.stdout.splitlines()]


def snapshot(root):
    """What a command may change: the index and the blobs."""
    idx = os.path.join(root, "index.json")
    blobs = sorted(os.listdir(os.path.join(root, "blobs", "sha256")))
    return (open(idx, "rb").read() if os.path.exists(idx) else None), blobs


def check_blobs(root):
    """Every blob is named by the sha256 of its bytes, and the store holds
    exactly the blobs its images name."""
    d = os.path.join(root, "blobs", "sha256")
    for name in os.listdir(d):
        with open(os.path.join(d, name), "rb") as f:
            assert hashlib.sha256(f.read()).hexdigest() == name
    named = set()
    for img in json.load(open(os.path.join(root, "index.json")))["images"]:
        named.add(img["id"][7:])
        if img["manifest"]:
            named.add(img["manifest"][7:])
        named.update(layer["digest"][7:] for layer in img["layers"])
    assert set(os.listdir(d)) == named


def check_layers(root, exact=True):
    """Every image's layers are unpacked (each diff holds its layer tar's
    files with their content: the plain layers of these tests), and, when
    EXACT, nothing else is in layers/."""
    want = set()
    for img in json.load(open(os.path.join(root, "index.json")))["images"]:
        chain = None
        for layer in img["layers"]:
            chain = layer["diff_id"] if chain is None else \
                "sha256:" + hashlib.sha256(f"{chain} {layer['diff_id']}".encode()).hexdigest()
            want.add(chain[7:])
            assert os.path.isfile(os.path.join(root, "layers", chain[7:], "report.json"))
            with open(os.path.join(root, "blobs", "sha256", layer["digest"][7:]), "rb") as f:
                data = f.read()
            if data[:4] == b"\x28\xb5\x2f\xfd":
                data = subprocess.run(["zstd", "-dc"], input=data, capture_output=True, check=True).stdout
            with tarfile.open(fileobj=io.BytesIO(data)) as t:
                for m in t.getmembers():
                    if m.isfile():
                        with open(os.path.join(root, "layers", chain[7:], "diff", m.name), "rb") as f:
                            assert f.read() == t.extractfile(m).read(), m.name
    have = set(os.listdir(os.path.join(root, "layers")))
    assert have == want if exact else have >= want


def files(seed, n=2):
    return [mkimages.layer({f"l{i}/data": f"{seed} layer {i}\n".encode()}) for i in range(n)]


def test_every_format_gives_the_same_image_id(tmp_path):
    layers = files("same")
    a, b, c, d = (str(tmp_path / x) for x in ("save.tar", "oci-gzip.tar", "oci-zstd.tar", "oci-plain"))
    [ident] = mkimages.docker_save(a, [("demo/app:1", layers)])
    assert mkimages.oci_layout(b, [("demo/app:gz", layers)], "gzip") == [ident]
    assert mkimages.oci_layout(c, [("demo/app:zst", layers)], "zstd") == [ident]
    assert mkimages.oci_layout(d, [("demo/app:dir", layers)], "none", as_dir=True) == [ident]
    e = str(tmp_path / "docker25.tar")
    assert mkimages.oci_layout(e, [("demo/app:25", layers)], "none", docker25=True) == [ident]
    root = tmp_path / "store"
    assert kapsel(root, "load", "-i", a, check=True).stdout == "Loaded image: demo/app:1\n"
    for path, tag in ((b, "gz"), (c, "zst"), (d, "dir"), (e, "25")):
        assert kapsel(root, "load", "-i", path, check=True).stdout == f"Loaded image: demo/app:{tag}\n"
    rows = images(root)
    assert sorted(r["Tag"] for r in rows) == ["1", "25", "dir", "gz", "zst"]
    assert {r["ID"] for r in rows} == {ident}
    # the manifest digest: of the OCI manifest, beside manifest.json too
    [info] = json.loads(kapsel(root, "image", "inspect", "demo/app:25", check=True).stdout)
    assert len(info["RepoDigests"]) == 1 and info["RepoDigests"][0].startswith("demo/app@sha256:")
    check_blobs(root)
    check_layers(root)
    # from stdin too, and twice is once
    before = snapshot(root)
    with open(a, "rb") as f:
        p = kapsel(root, "load", input=f.read())
    assert p.returncode == 0 and p.stdout == b"Loaded image: demo/app:1\n", p.stderr
    assert snapshot(root) == before


def test_several_images_per_archive_and_untagged(tmp_path):
    a, b = str(tmp_path / "multi.tar"), str(tmp_path / "multi-oci.tar")
    ids = mkimages.docker_save(a, [("one:1", files("one")), ("two:2", files("two", 3)), (None, files("three"))])
    oids = mkimages.oci_layout(b, [("reg.example:5000/x/four:4", files("four")), ("latest", files("five"))])
    root = tmp_path / "store"
    out = kapsel(root, "load", "-i", a, check=True).stdout
    assert out == f"Loaded image: one:1\nLoaded image: two:2\nLoaded image ID: {ids[2]}\n"
    out = kapsel(root, "load", "-i", b, check=True).stdout
    # a ref.name that is only a tag names nothing
    assert out == f"Loaded image: reg.example:5000/x/four:4\nLoaded image ID: {oids[1]}\n"
    rows = {(r["Repository"], r["Tag"]): r for r in images(root)}
    assert rows[("two", "2")]["ID"] == ids[1]
    assert rows[("<none>", "<none>")]["ID"] in (ids[2], oids[1])
    assert rows[("reg.example:5000/x/four", "4")]["Digest"].startswith("sha256:")
    assert rows[("one", "1")]["Digest"] == "<none>"   # a legacy docker save has no manifest
    check_blobs(root)


def test_images_inspect_tag_rmi(tmp_path):
    a = str(tmp_path / "a.tar")
    [ident] = mkimages.oci_layout(a, [("docker.io/library/web:1.0", files("web"))])
    root = tmp_path / "store"
    kapsel(root, "load", "-i", a, check=True)
    table = kapsel(root, "images", "--digests", check=True).stdout.splitlines()
    assert table[0].split() == ["REPOSITORY", "TAG", "DIGEST", "IMAGE", "ID", "CREATED", "SIZE"]
    assert table[1].split()[:2] == ["web", "1.0"] and table[1].split()[3] == ident[7:19]
    assert table[1].endswith("ago   20.48kB")
    [info] = json.loads(kapsel(root, "image", "inspect", "web:1.0", check=True).stdout)
    assert info["Id"] == ident and info["RepoTags"] == ["web:1.0"]
    assert info["RepoDigests"][0].startswith("web@sha256:")
    assert (info["Architecture"], info["Os"], info["Created"]) == ("amd64", "linux", "2024-05-01T10:00:00Z")
    assert info["Config"]["Cmd"] == ["/bin/sh"] and info["Size"] == 20480
    assert info["RootFS"]["Layers"] == ["sha256:" + mkimages.sha(x) for x in files("web")]
    # every form of reference
    for ref in ("web:1.0", "docker.io/library/web:1.0", ident, ident[7:11], ident[:13], info["RepoDigests"][0]):
        [i] = json.loads(kapsel(root, "image", "inspect", ref, check=True).stdout)
        assert i["Id"] == ident, ref
    p = kapsel(root, "image", "inspect", "web")       # tag latest: not there
    assert p.returncode == 1 and "No such image: web" in p.stderr
    assert kapsel(root, "image", "inspect", "Not/Valid").returncode == 1
    assert kapsel(root, "tag").returncode == 2
    assert kapsel(root, "tag", "web:1.0", "web").returncode == 0
    p = kapsel(root, "rmi", ident[7:19])
    assert p.returncode == 1 and "must be forced" in p.stderr
    assert kapsel(root, "rmi", "web:1.0", check=True).stdout == "Untagged: web:1.0\n"
    assert [r["Tag"] for r in images(root)] == ["latest"]
    check_blobs(root)
    assert kapsel(root, "rmi", "web", check=True).stdout == f"Untagged: web:latest\nDeleted: {ident}\n"
    assert images(root) == []
    assert os.listdir(root / "blobs" / "sha256") == []


def test_tampered_layer_is_refused_and_changes_nothing(tmp_path):
    root = tmp_path / "store"
    good = str(tmp_path / "good.tar")
    mkimages.docker_save(good, [("kept:1", files("kept"))])
    kapsel(root, "load", "-i", good, check=True)
    before = snapshot(root)
    # one byte of the second layer of the second image changed after the config was made
    layers = files("bad")
    diff_id = "sha256:" + mkimages.sha(layers[1])
    bad = str(tmp_path / "bad.tar")
    mkimages.docker_save(bad, [("first:1", files("first")), ("bad:1", layers)])
    data = open(bad, "rb").read()
    member = mkimages.sha(layers[1]) + "/layer.tar"
    at = data.index(b"bad layer 1\n")
    open(bad, "wb").write(data[:at] + b"B" + data[at + 1:])
    p = kapsel(root, "load", "-i", bad)
    assert p.returncode == 1 and p.stdout == ""
    assert diff_id in p.stderr and member in p.stderr and "image 2" in p.stderr, p.stderr
    assert snapshot(root) == before          # not even the good first image
    assert os.listdir(root / "tmp") == []
    # an OCI blob that does not match its digest
    oci = str(tmp_path / "bad-oci.tar")
    mkimages.oci_layout(oci, [("o:1", files("oci"))], "none")
    data = open(oci, "rb").read()
    at = data.index(b"oci layer 0\n")
    open(oci, "wb").write(data[:at] + b"X" + data[at + 1:])
    p = kapsel(root, "load", "-i", oci)
    assert p.returncode == 1 and "digest mismatch" in p.stderr and "blobs/sha256/" in p.stderr, p.stderr
    assert snapshot(root) == before


# ---- kill -9 at random points ----

IN_MODIFY, IN_CLOSE_WRITE, IN_MOVED_TO, IN_CREATE, IN_DELETE = 0x2, 0x8, 0x80, 0x100, 0x200
libc = ctypes.CDLL("libc.so.6", use_errno=True)


class Watch:
    """inotify on the store's directories: the load's progress as events."""

    def __init__(self, root):
        self.fd = libc.inotify_init1(os.O_CLOEXEC | os.O_NONBLOCK)
        assert self.fd >= 0
        for d in (root, root / "tmp", root / "blobs" / "sha256", root / "layers"):
            assert libc.inotify_add_watch(self.fd, str(d).encode(),
                                          IN_MODIFY | IN_CLOSE_WRITE | IN_MOVED_TO | IN_CREATE | IN_DELETE) >= 0

    def events(self, mask):
        """How many events of MASK arrived."""
        n = 0
        try:
            buf = os.read(self.fd, 1 << 16)
        except BlockingIOError:
            return 0
        off = 0
        while off < len(buf):
            _, m, _, ln = struct.unpack_from("iIII", buf, off)
            off += 16 + ln
            n += bool(m & mask)
        return n

    def close(self):
        os.close(self.fd)


ANY = IN_MODIFY | IN_CLOSE_WRITE | IN_MOVED_TO | IN_CREATE | IN_DELETE


def load_until(root, archive, kill_at, mask=ANY):
    """Run `kapsel load`, SIGKILL it at its KILL_AT-th event of MASK in the
    store (None: let it finish).  Returns (returncode, events seen)."""
    w = Watch(root)
    proc = subprocess.Popen([KAPSEL, "--root", str(root), "load", "-i", archive],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    pidfd = os.pidfd_open(proc.pid)
    seen = 0
    while True:
        ready, _, _ = select.select([w.fd, pidfd], [], [])
        if w.fd in ready:
            seen += w.events(mask)
            if kill_at is not None and seen >= kill_at:
                proc.send_signal(signal.SIGKILL)
                break
        if pidfd in ready:
            seen += w.events(mask)
            break
    proc.wait()
    os.close(pidfd)
    w.close()
    return proc.returncode, seen


def test_kill_9_during_load_leaves_the_store_consistent(tmp_path):
    rnd = random.Random(os.environ.get("KAPSEL_KILL_SEED", "11"))
    big = [os.urandom(3 << 20) for _ in range(3)]
    layers = [mkimages.layer({f"big{i}": data}) for i, data in enumerate(big)]
    archive = str(tmp_path / "big.tar")
    [ident] = mkimages.oci_layout(archive, [("big/image:1", layers)], "none")
    probe = tmp_path / "probe"
    kapsel(probe, "images", check=True)
    rc, total = load_until(probe, archive, None)
    assert rc == 0 and total > 20, total
    # the commit phase: 5 blobs renamed into blobs/sha256, 3 layer directories into layers/,
    # then index.json into ROOT
    probe2 = tmp_path / "probe2"
    kapsel(probe2, "images", check=True)
    rc, renames = load_until(probe2, archive, None, IN_MOVED_TO)
    assert rc == 0 and renames == 9, renames
    killed = leftovers = complete = 0
    for run in range(30):
        root = tmp_path / f"s{run}"
        kapsel(root, "images", check=True)          # the directories to watch
        # two in three at a random event, the others at each rename of the commit phase in turn
        if run % 3:
            rc, _ = load_until(root, archive, rnd.randint(1, total))
        else:
            rc, _ = load_until(root, archive, run // 3 % renames + 1, IN_MOVED_TO)
        killed += rc == -signal.SIGKILL
        leftovers += bool(os.listdir(root / "tmp"))
        rows = images(root)                            # the next command
        assert os.listdir(root / "tmp") == [], run
        assert rows == [] or [(r["ID"], r["Repository"], r["Tag"]) for r in rows] == [(ident, "big/image", "1")], rows
        if rows:
            complete += 1
            check_layers(root, exact=False)   # a killed load may have left unused ones: the next write sweeps
            [info] = json.loads(kapsel(root, "image", "inspect", "big/image:1", check=True).stdout)
            for layer in json.load(open(root / "index.json"))["images"][0]["layers"]:
                with open(root / "blobs" / "sha256" / layer["digest"][7:], "rb") as f:
                    assert "sha256:" + hashlib.sha256(f.read()).hexdigest() == layer["digest"]
        # and the store recovers: a load now completes and leaves nothing extra
        kapsel(root, "load", "-i", archive, check=True)
        assert [r["ID"] for r in images(root)] == [ident]
        check_blobs(root)
        check_layers(root)
        shutil.rmtree(root)
    print(f"kill -9: {killed} killed, {leftovers} left temp files, {complete} complete of 30 ({total} events)")
    assert killed >= 20 and leftovers >= 5 and complete >= 1


def test_concurrent_loads_both_succeed(tmp_path):
    a, b = str(tmp_path / "a.tar"), str(tmp_path / "b.tar")
    [ia] = mkimages.docker_save(a, [("con/a:1", [mkimages.layer({"a": os.urandom(1 << 20)})])])
    [ib] = mkimages.oci_layout(b, [("con/b:1", [mkimages.layer({"b": os.urandom(1 << 20)})])], "gzip")
    root = tmp_path / "store"
    for _ in range(3):
        procs = [subprocess.Popen([KAPSEL, "--root", str(root), "load", "-i", x], stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True) for x in (a, b)]
        outs = [p.communicate(timeout=120) for p in procs]
        assert [p.returncode for p in procs] == [0, 0], outs
        assert outs[0][0] == "Loaded image: con/a:1\n" and outs[1][0] == "Loaded image: con/b:1\n"
        assert sorted(r["ID"] for r in images(root)) == sorted([ia, ib])
        check_blobs(root)
        kapsel(root, "rmi", "con/a:1", "con/b:1", check=True)


# ---- real peers ----

def podman(base, *args):
    p = subprocess.run(["podman", "--root", f"{base}/storage", "--runroot", f"{base}/run", *args],
                       capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, (args, p.stderr)
    return p


@pytest.mark.skipif(shutil.which("podman") is None, reason="podman is not installed")
def test_docker_save_and_podman_save_give_the_same_id(tmp_path, dockerd):  # noqa: F811
    dsave = str(tmp_path / "docker.tar")
    dockerd("save", "-o", dsave, "kbox:latest", check=True)
    docker_id = dockerd("image", "inspect", "-f", "{{.Id}}", "kbox:latest", check=True).stdout.strip()
    base = tempfile.mkdtemp(prefix="kimg-pm-")     # podman wants a short runroot
    psave, poci = str(tmp_path / "podman.tar"), str(tmp_path / "podman-oci.tar")
    try:
        podman(base, "load", "-i", dsave)
        podman(base, "save", "--format", "docker-archive", "-o", psave, "kbox:latest")
        podman(base, "save", "--format", "oci-archive", "-o", poci, "kbox:latest")
        # podman rewrites the config for an OCI archive: a new ID, which podman itself reports
        podman(base + "/oci", "load", "-i", poci)
        oci_id = "sha256:" + podman(base + "/oci", "image", "inspect", "--format", "{{.Id}}",
                                    "localhost/kbox:latest").stdout.strip()
    finally:
        umount_under(base)
        shutil.rmtree(base, ignore_errors=True)
    root = tmp_path / "store"
    assert kapsel(root, "load", "-i", dsave, check=True).stdout == "Loaded image: kbox:latest\n"
    out = kapsel(root, "load", "-i", psave, check=True).stdout
    assert out.startswith("Loaded image: ") and "kbox:latest" in out
    ids = {r["ID"] for r in images(root)}
    assert ids == {docker_id}, (ids, docker_id)
    kapsel(root, "load", "-i", poci, check=True)
    assert {r["ID"] for r in images(root)} == {docker_id, oci_id}
    [info] = json.loads(kapsel(root, "image", "inspect", docker_id, check=True).stdout)
    d = json.loads(dockerd("image", "inspect", "kbox:latest", check=True).stdout)[0]
    assert info["RootFS"]["Layers"] == d["RootFS"]["Layers"]
    assert (info["Architecture"], info["Os"], info["Created"]) == (d["Architecture"], d["Os"], d["Created"])
    check_blobs(root)


# ---- save and import ----

def test_save_then_load_gives_the_same_images(tmp_path):
    legacy, oci = str(tmp_path / "legacy.tar"), str(tmp_path / "oci.tar")
    [a] = mkimages.docker_save(legacy, [("save/a:1", files("a"))])
    [b] = mkimages.oci_layout(oci, [("save/b:1", files("b", 3))], "zstd")
    root = tmp_path / "store"
    kapsel(root, "load", "-i", legacy, check=True)
    kapsel(root, "load", "-i", oci, check=True)
    kapsel(root, "tag", "save/a:1", "save/a:2", check=True)
    out = str(tmp_path / "out.tar")
    kapsel(root, "save", "-o", out, "save/a:1", "save/a:2", "save/b:1", check=True)
    assert not [x for x in os.listdir(tmp_path) if "kapsel-save" in x]
    with tarfile.open(out) as t:
        names = t.getnames()
        index = json.load(t.extractfile("index.json"))
        docker = json.load(t.extractfile("manifest.json"))
    assert {"oci-layout", "index.json", "manifest.json"} <= set(names)
    assert [d["annotations"]["io.containerd.image.name"] for d in index["manifests"]] == \
        ["save/a:1", "save/a:2", "save/b:1"]
    assert [d["annotations"]["org.opencontainers.image.ref.name"] for d in index["manifests"]] == ["1", "2", "1"]
    assert [m["RepoTags"] for m in docker] == [["save/a:1", "save/a:2"], ["save/b:1"]]
    # every blob once, named by its content
    with tarfile.open(out) as t:
        for m in t.getmembers():
            if m.isfile() and m.name.startswith("blobs/sha256/"):
                assert hashlib.sha256(t.extractfile(m).read()).hexdigest() == m.name.split("/")[-1]
    again = tmp_path / "again"
    assert kapsel(again, "load", "-i", out, check=True).stdout == \
        "Loaded image: save/a:1\nLoaded image: save/a:2\nLoaded image: save/b:1\n"
    assert sorted((r["Repository"], r["Tag"], r["ID"]) for r in images(again)) == \
        [("save/a", "1", a), ("save/a", "2", a), ("save/b", "1", b)]
    check_blobs(again)
    check_layers(again)
    # by ID: the image without a name, to stdout
    p = subprocess.run([KAPSEL, "--root", str(root), "save", b[7:19]], capture_output=True, timeout=60)
    assert p.returncode == 0, p.stderr
    third = tmp_path / "third"
    p = subprocess.run([KAPSEL, "--root", str(third), "load"], input=p.stdout, capture_output=True, timeout=60)
    assert p.stdout.decode() == f"Loaded image ID: {b}\n", p.stderr
    # an unknown image saves nothing
    p = kapsel(root, "save", "-o", str(tmp_path / "none.tar"), "save/a:1", "nosuch:1")
    assert p.returncode == 1 and "No such image: nosuch:1" in p.stderr
    assert not os.path.exists(tmp_path / "none.tar")


def test_import_a_rootfs_tarball(tmp_path):
    src = tmp_path / "rootfs"
    (src / "bin").mkdir(parents=True)
    (src / "etc").mkdir()
    (src / "etc" / "os-release").write_text("ID=kapsel\n")
    (src / "bin" / "su").write_bytes(b"su")
    os.chmod(src / "bin" / "su", 0o4755)
    tgz = str(tmp_path / "rootfs.tar.gz")
    subprocess.run(["tar", "-C", str(src), "-czf", tgz, "."], check=True)
    root = tmp_path / "store"
    out = kapsel(root, "import", tgz, "imported/root:1", check=True).stdout
    [row] = images(root)
    assert out == row["ID"] + "\n" and (row["Repository"], row["Tag"]) == ("imported/root", "1")
    [info] = json.loads(kapsel(root, "image", "inspect", "imported/root:1", check=True).stdout)
    assert info["Os"] == "linux" and info["Architecture"] == "amd64"
    [layer] = info["RootFS"]["Layers"]
    raw = subprocess.run(["gzip", "-dc", tgz], capture_output=True, check=True).stdout
    assert layer == "sha256:" + hashlib.sha256(raw).hexdigest()      # stored uncompressed
    assert info["KapselLayers"][0]["SetuidRemoved"] == ["/bin/su"]
    diff = root / "layers" / layer[7:] / "diff"
    assert (diff / "etc" / "os-release").read_text() == "ID=kapsel\n"
    assert os.stat(diff / "bin" / "su").st_mode & 0o7777 == 0o755
    check_blobs(root)
    # stdin, without a name; and something that is not a tar changes nothing
    with open(tgz, "rb") as f:
        p = subprocess.run([KAPSEL, "--root", str(root), "import", "-"], stdin=f, capture_output=True, text=True)
    assert p.returncode == 0 and p.stdout.startswith("sha256:")
    before = snapshot(root)
    p = subprocess.run([KAPSEL, "--root", str(root), "import", "-", "bad:1"], input="not a tar\n",
                       capture_output=True, text=True)
    assert p.returncode == 1 and "not a layer archive" in p.stderr, p.stderr
    assert snapshot(root) == before and os.listdir(root / "tmp") == []


def test_image_prune_and_system_df(tmp_path):
    a = str(tmp_path / "a.tar")
    ids = mkimages.docker_save(a, [("prune/kept:1", files("kept")), (None, files("dangling"))])
    root = tmp_path / "store"
    kapsel(root, "load", "-i", a, check=True)
    table = kapsel(root, "system", "df", check=True).stdout.splitlines()
    assert table[0].split() == ["TYPE", "TOTAL", "ACTIVE", "SIZE", "RECLAIMABLE"]
    assert table[1].split()[:3] == ["Images", "2", "0"] and table[1].endswith("(100%)")
    [df] = [json.loads(x) for x in kapsel(root, "system", "df", "--format", "json", check=True).stdout.splitlines()]
    assert df["TotalCount"] == "2" and df["SizeBytes"] == df["ReclaimableBytes"] > 0
    # without -f it asks, and an answer other than y changes nothing
    p = subprocess.run([KAPSEL, "--root", str(root), "image", "prune"], input="n\n", capture_output=True, text=True)
    assert p.returncode == 0 and "Are you sure you want to continue? [y/N]" in p.stdout
    assert len(images(root)) == 2
    p = kapsel(root, "image", "prune", "-f", check=True)
    assert p.stdout.startswith(f"Deleted Images:\ndeleted: {ids[1]}\n\nTotal reclaimed space: ")
    assert [r["Tag"] for r in images(root)] == ["1"]
    check_blobs(root)
    check_layers(root)
    p = kapsel(root, "image", "prune", "-a", "-f", check=True)
    assert p.stdout.startswith(f"Deleted Images:\nuntagged: prune/kept:1\ndeleted: {ids[0]}\n")
    assert images(root) == [] and os.listdir(root / "layers") == []
    assert kapsel(root, "image", "prune", "-f", check=True).stdout == "Total reclaimed space: 0B\n"


def test_images_format_template_and_table(tmp_path):
    root = tmp_path / "store"
    path = str(tmp_path / "two.tar")
    ids = mkimages.oci_layout(path, [("localhost:5000/a/one:1", [mkimages.layer({"f": b"1"})]),
                                     ("localhost:5000/b/two:v2", [mkimages.layer({"f": b"22"})])], "gzip")
    kapsel(root, "load", "-i", path, check=True)
    rows = {json.loads(x)["Repository"]: json.loads(x) for x in
            kapsel(root, "images", "--format", "json", check=True).stdout.splitlines()}
    out = kapsel(root, "images", "--format", "{{.Repository}}:{{.Tag}} {{.ID}} {{.Digest}} {{.Size}}",
                 check=True).stdout.splitlines()
    want = sorted(f"{r}:{j['Tag']} {j['ID']} {j['Digest']} {j['Size']}" for r, j in rows.items())
    assert sorted(out) == want
    assert {x[len("localhost:5000/a/one:1 "):][:12] for x in out if "one" in x} <= {i[7:19] for i in ids}
    out = kapsel(root, "images", "--format", "{{.CreatedAt}}|{{.CreatedSince}}|{{json .Tag}}", check=True).stdout
    assert out.splitlines()[0] == f"{rows['localhost:5000/a/one']['CreatedAt']}|" \
                                  f"{rows['localhost:5000/a/one']['CreatedSince']}|\"1\""
    # table TEMPLATE: a header row and the tab-separated columns aligned (\t as the shell leaves it)
    out = kapsel(root, "images", "--format", r"table {{.Repository}}\t{{.Tag}}\t{{.ID}}", check=True).stdout
    lines = out.splitlines()
    assert lines[0].split() == ["REPOSITORY", "TAG", "IMAGE", "ID"] and len(lines) == 3
    assert lines[0].index("TAG") == lines[1].index(" v2" if "two" in lines[1] else " 1") + 1
    assert kapsel(root, "images", "--format", "table", check=True).stdout == kapsel(root, "images", check=True).stdout
    # a bad template is a usage error before anything is printed
    p = kapsel(root, "images", "--format", "{{.Repository")
    assert p.returncode == 2 and p.stdout == "" and "--format" in p.stderr
    assert kapsel(root, "images", "--format", "{{.Nope}}", check=True).stdout == "<no value>\n<no value>\n"
