"""--keep-setuid / --keep-file-caps of load and import from the outside:
the bits and security.capability stay on the layer's files and inspect lists
them under SetuidKept / FileCapsKept; a layer (one directory per ChainID)
unpacked already the other way, with such files, is refused either way
round with the store unchanged, so neither the flag nor the default changes
what another image's layer gives; a layer without such files is shared."""
import io
import json
import os
import stat
import subprocess
import sys
import tarfile

from conftest import BUILD, REPO

sys.path.insert(0, os.path.join(REPO, "tests", "fixtures", "images"))
import hostile  # noqa: E402
import mkimages  # noqa: E402

KAPSEL = os.path.join(BUILD, "src", "kapsel", "kapsel")
# vfs_cap_data revision 2, effective, permitted CAP_NET_RAW (13)
CAP = "\x01\x00\x00\x02" + "\x00\x20\x00\x00" + "\x00" * 12


def kapsel(root, *args, check=None, input=None):
    p = subprocess.run([KAPSEL, "--root", str(root), *args], capture_output=True, timeout=120, input=input)
    p.stdout, p.stderr = p.stdout.decode(), p.stderr.decode()
    if check is not None:
        assert p.returncode == check, (args, p.stdout, p.stderr)
    return p


def files_layer():
    return hostile.layer([hostile.entry("bin/", "dir"), hostile.entry("bin/su", data=b"su", mode=0o4755),
                          hostile.entry("bin/wall", data=b"wall", mode=0o2755),
                          hostile.entry("bin/ping", data=b"ping", xattrs={"security.capability": CAP})])


def plain_layer(seed):
    return hostile.layer([hostile.entry("etc/", "dir"), hostile.entry("etc/" + seed, data=seed.encode())])


def diff(root, layer):
    return os.path.join(root, "layers", mkimages.sha(layer), "diff")


def report(root, ref, i=0):
    [info] = json.loads(kapsel(root, "image", "inspect", ref, check=0).stdout)
    return info["KapselLayers"][i]


def index(root):
    return open(os.path.join(root, "index.json"), "rb").read()


def test_keep_setuid_and_file_caps(tmp_path):
    root = tmp_path / "store"
    base = files_layer()
    a, b = str(tmp_path / "a.tar"), str(tmp_path / "b.tar")
    hostile.archive(a, [base], tag="keep/a:1")
    hostile.archive(b, [base, plain_layer("b")], tag="keep/b:1")
    kapsel(root, "load", "--keep-setuid", "--keep-file-caps", "-i", a, check=0)
    d = diff(root, base)
    assert stat.S_IMODE(os.lstat(os.path.join(d, "bin/su")).st_mode) == 0o4755
    assert stat.S_IMODE(os.lstat(os.path.join(d, "bin/wall")).st_mode) == 0o2755
    assert os.getxattr(os.path.join(d, "bin/ping"), "security.capability") == CAP.encode("latin-1")
    r = report(root, "keep/a:1")
    assert r["SetuidKept"] == ["/bin/su", "/bin/wall"] and r["SetuidKeptCount"] == 2 and r["SetuidRemoved"] == []
    assert r["FileCapsKept"] == ["/bin/ping"] and r["FileCapsRemoved"] == [] and r["FileCapsRemovedCount"] == 0
    # b shares that layer: loading it without the flags would hand it the kept bits
    before = index(root)
    p = kapsel(root, "load", "-i", b, check=1)
    assert "layer 1 (sha256:" in p.stderr and "setuid/setgid bits kept (2 files, /bin/su among them)" in p.stderr
    assert "add --keep-setuid" in p.stderr, p.stderr
    p = kapsel(root, "load", "--keep-setuid", "-i", b, check=1)
    assert "file capabilities kept (1 file," in p.stderr and "add --keep-file-caps" in p.stderr, p.stderr
    assert index(root) == before and "keep/b" not in before.decode()
    kapsel(root, "load", "--keep-setuid", "--keep-file-caps", "-i", b, check=0)


def test_default_then_keep_refused_and_plain_layers_shared(tmp_path):
    root = tmp_path / "store"
    base, plain = files_layer(), plain_layer("p")
    a, b, c, e = (str(tmp_path / f"{x}.tar") for x in "abce")
    hostile.archive(a, [base], tag="keep/a:1")
    hostile.archive(b, [base, plain_layer("b")], tag="keep/b:1")
    hostile.archive(c, [plain], tag="keep/c:1")
    hostile.archive(e, [plain, files_layer()], tag="keep/e:1")
    kapsel(root, "load", "-i", a, check=0)
    d = diff(root, base)
    assert stat.S_IMODE(os.lstat(os.path.join(d, "bin/su")).st_mode) == 0o755
    assert "security.capability" not in os.listxattr(os.path.join(d, "bin/ping"))
    assert report(root, "keep/a:1")["SetuidRemoved"] == ["/bin/su", "/bin/wall"]
    before = index(root)
    p = kapsel(root, "load", "--keep-setuid", "-i", b, check=1)
    assert "setuid/setgid bits removed (2 files" in p.stderr and "drop --keep-setuid" in p.stderr, p.stderr
    assert "remove the images that use that layer" in p.stderr
    assert index(root) == before
    # a layer without setuid files or capabilities is the same either way
    kapsel(root, "load", "-i", c, check=0)
    kapsel(root, "load", "--keep-setuid", "--keep-file-caps", "-i", e, check=0)
    r = report(root, "keep/e:1", 1)
    assert r["SetuidKept"] == ["/bin/su", "/bin/wall"]


def test_import_keeps_setuid(tmp_path):
    root = tmp_path / "store"
    tar = tmp_path / "rootfs.tar"
    tar.write_bytes(files_layer())
    ident = kapsel(root, "import", "--keep-setuid", str(tar), "rootfs:1", check=0).stdout.strip()
    r = report(root, ident)
    assert r["SetuidKept"] == ["/bin/su", "/bin/wall"] and r["FileCapsRemoved"] == ["/bin/ping"]
    d = os.path.join(root, "layers", r["ChainID"][7:], "diff")
    assert stat.S_IMODE(os.lstat(os.path.join(d, "bin/su")).st_mode) == 0o4755
    assert "security.capability" not in os.listxattr(os.path.join(d, "bin/ping"))
