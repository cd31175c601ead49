"""Idmapped bind mounts (runtime-spec 1.1 mounts[].uidMappings/gidMappings,
1.2 options "idmap"/"ridmap"), side by side with crun where it is
installed.

A mapping has a user namespace's meaning ("the format is the same as user
namespace mappings"): containerID C, hostID H, size S make the id C+i
written on the source filesystem appear, through the mount, as the host's
kernel id H+i; what the container then sees is that id through its own
user namespace, if it has one.  kapsel-runtime and crun agree on it (the
kernel's MOUNT_ATTR_IDMAP with a user namespace of exactly these maps)."""
import json
import os
import shutil
import subprocess
import tempfile

import pytest

from clients import umount_under
from conftest import Runtime, copy_rootfs

CRUN = shutil.which("crun")


def idmap_mount(src, dst, uid=None, gid=None, options=("bind",)):
    m = {"destination": dst, "type": "bind", "source": str(src), "options": list(options)}
    if uid is not None:
        m["uidMappings"] = uid
    if gid is not None:
        m["gidMappings"] = gid
    return m


def one(c, h, s=1):
    return [{"containerID": c, "hostID": h, "size": s}]


def userns(bundle, host, size=65536):
    """Give BUNDLE's container a user namespace: 0..SIZE-1 -> HOST..."""
    lx = bundle.config["linux"]
    lx["namespaces"].append({"type": "user"})
    lx["uidMappings"] = one(0, host, size)
    lx["gidMappings"] = one(0, host, size)


@pytest.fixture
def peers(runtime, tmp_path):
    """kapsel-runtime and crun (no policy), each with its own state root."""
    rts = {"kapsel": runtime}
    if CRUN:
        rts["crun"] = Runtime(str(tmp_path / "state-crun"), binary=CRUN, policy=None)
    yield rts
    for n, rt in rts.items():
        if n != "kapsel":
            for cid in rt.ids():
                rt("delete", "--force", cid)
    umount_under(str(tmp_path))


def run_with(bundle, rt, *args):
    bundle.config["ociVersion"] = "1.0.2"  # the newest crun 1.8 knows
    # root of the container (the spec's default is nobody, whom these
    # mappings leave unmapped: the kernel refuses its writes, EOVERFLOW)
    bundle.config["process"]["user"] = {"uid": 0, "gid": 0}
    bundle.args(*args)
    bundle.write()
    return rt("run", "--bundle", bundle.path, bundle.id)


@pytest.fixture
def cleanup():
    dirs = []
    yield dirs
    for d in dirs:
        umount_under(d)
        shutil.rmtree(d, ignore_errors=True)


@pytest.fixture
def owned(tmp_path):
    """A host directory owned by 1000:1000 with a file of 1000's and one of root's."""
    d = tmp_path / "vol"
    d.mkdir()
    os.chown(d, 1000, 1000)
    (d / "users").write_text("1000's\n")
    os.chown(d / "users", 1000, 1000)
    (d / "roots").write_text("root's\n")
    os.chmod(d / "roots", 0o600)
    return d


STAT = "stat -c %u:%g /data /data/users /data/roots"


@pytest.mark.parametrize("peer", ["kapsel", "crun"])
def test_no_userns_host_uid_1000_shows_as_root(bundle, peers, owned, peer):
    """No user namespace: 1000 on disk -> 0 through the mount; root's own
    files are outside the mapping and show as the overflow id."""
    if peer not in peers:
        pytest.skip(f"{peer} not installed")
    bundle.config["mounts"].append(idmap_mount(owned, "/data", one(1000, 0), one(1000, 0), ["bind", "idmap"]))
    r = run_with(bundle, peers[peer], "/bin/sh", "-c", STAT + " && echo new > /data/new && stat -c %u:%g /data/new")
    assert r.rc == 0, r
    assert r.out.split() == ["0:0", "0:0", "65534:65534", "0:0"], r
    # created by root inside, through the mount: 1000's on the host
    st = os.stat(owned / "new")
    assert (st.st_uid, st.st_gid) == (1000, 1000)


@pytest.mark.parametrize("peer", ["kapsel", "crun"])
def test_userns_root_owns_the_volume(bundle, peers, owned, peer, cleanup):
    """Root of a user namespace (0 -> 200000): the bind maps disk 1000 to
    host 200000, its root; writes land as 1000 on the host."""
    if peer not in peers:
        pytest.skip(f"{peer} not installed")
    if peer == "crun":
        # crun 1.8 reaches the rootfs by path from inside the user
        # namespace: the pytest tree (root's 0700) is out of its reach
        reach = tempfile.mkdtemp(prefix="kapsel-idmap-")
        cleanup.append(reach)
        os.chmod(reach, 0o755)
        bundle.config["root"]["path"] = copy_rootfs(bundle.config["root"]["path"], os.path.join(reach, "rootfs"))
    userns(bundle, 200000)
    bundle.config["mounts"].append(idmap_mount(owned, "/data", one(1000, 200000), one(1000, 200000)))
    r = run_with(bundle, peers[peer], "/bin/sh", "-c", STAT + " && echo new > /data/new && stat -c %u:%g /data/new")
    assert r.rc == 0, r
    assert r.out.split() == ["0:0", "0:0", "65534:65534", "0:0"], r
    st = os.stat(owned / "new")
    assert (st.st_uid, st.st_gid) == (1000, 1000)


def test_userns_without_idmap_sees_nobody_and_cannot_write(bundle, runtime, owned):
    """The attacker's side of the same container: without the idmapped
    mount the volume is the overflow id's, and root of the namespace can
    write nothing there, root's file least of all."""
    userns(bundle, 200000)
    bundle.config["mounts"].append(idmap_mount(owned, "/data"))
    r = run_with(bundle, runtime, "/bin/sh", "-c",
                 STAT + "; echo x > /data/new; echo x >> /data/roots; cat /data/roots; true")
    assert r.rc == 0, r
    assert r.out.split()[:3] == ["65534:65534"] * 3, r
    assert not (owned / "new").exists()
    assert (owned / "roots").read_text() == "root's\n"


def test_idmap_option_takes_the_containers_mappings(bundle, runtime, tmp_path):
    """"idmap" without mappings: the container's user namespace ones, so a
    host-root-owned directory is the namespace root's (what the caller
    asked for, explicitly)."""
    d = tmp_path / "rootvol"
    d.mkdir()
    (d / "f").write_text("x")
    userns(bundle, 200000)
    bundle.config["mounts"].append(idmap_mount(d, "/data", options=["bind", "idmap"]))
    r = run_with(bundle, runtime, "/bin/sh", "-c", "stat -c %u:%g /data/f && echo y > /data/g")
    assert r.rc == 0, r
    assert r.out.split() == ["0:0"], r
    st = os.stat(d / "g")
    assert (st.st_uid, st.st_gid) == (0, 0)


@pytest.mark.parametrize("opt,sub", [("idmap", "1000:1000"), ("ridmap", "0:0")])
def test_rbind_idmap_top_only_ridmap_all(bundle, runtime, owned, tmp_path, host_mounts, opt, sub):
    """An rbind with a submount: "idmap" maps the top mount only, "ridmap"
    every mount of the tree."""
    inner = tmp_path / "inner"
    inner.mkdir()
    (inner / "f").write_text("x")
    os.chown(inner / "f", 1000, 1000)
    (owned / "sub").mkdir()
    host_mounts.mount(str(inner), str(owned / "sub"), "--bind")
    bundle.config["mounts"].append(idmap_mount(owned, "/data", one(1000, 0), one(1000, 0), ["rbind", opt]))
    r = run_with(bundle, runtime, "/bin/sh", "-c", "stat -c %u:%g /data/users /data/sub/f")
    assert r.rc == 0, r
    assert r.out.split() == ["0:0", sub], r


def test_features_report_idmap(runtime):
    f = runtime("features", check=True).json()
    assert f["linux"]["mountExtensions"]["idmap"]["enabled"] is True
    assert {"idmap", "ridmap"} <= set(f["mountOptions"])


BAD = [
    ("not a bind", lambda s: {"destination": "/data", "type": "tmpfs", "source": "tmpfs",
                              "uidMappings": one(0, 1000), "gidMappings": one(0, 1000)},
     "mounts[N].uidMappings: an idmapped mount must be a bind mount"),
    ("idmap on tmpfs", lambda s: {"destination": "/data", "type": "tmpfs", "source": "tmpfs", "options": ["idmap"]},
     "mounts[N].options: an idmapped mount must be a bind mount"),
    ("uid alone", lambda s: idmap_mount(s, "/data", uid=one(0, 1000)),
     "mounts[N].gidMappings: missing: uidMappings and gidMappings go together"),
    ("gid alone", lambda s: idmap_mount(s, "/data", gid=one(0, 1000)),
     "mounts[N].uidMappings: missing"),
    ("size 0", lambda s: idmap_mount(s, "/data", one(0, 1000, 0), one(0, 1000)),
     "mounts[N].uidMappings[0].size: must be greater than zero"),
    ("overlap", lambda s: idmap_mount(s, "/data", one(0, 1000, 10) + one(5, 5000, 1), one(0, 1000)),
     "mounts[N].uidMappings[1].containerID: overlaps the range of mounts[N].uidMappings[0]"),
    ("past the end", lambda s: idmap_mount(s, "/data", one(0, 4294967290, 100), one(0, 1000)),
     "mounts[N].uidMappings[0]: the range"),
    ("idmap without userns", lambda s: idmap_mount(s, "/data", options=["rbind", "ridmap"]),
     "mounts[N].options: \"ridmap\" without uidMappings and gidMappings takes the container's user namespace"),
]


@pytest.mark.parametrize("name,make,msg", BAD, ids=[b[0] for b in BAD])
def test_bad_idmap_config_is_refused(bundle, runtime, owned, name, make, msg):
    n = len(bundle.config["mounts"])
    bundle.config["mounts"].append(make(owned))
    r = run_with(bundle, runtime, "/bin/true")
    assert r.rc != 0, r
    assert "config.json: " + msg.replace("[N]", f"[{n}]") in r.err, r
    assert runtime.ids() == []
    assert not (owned / "new").exists()


def test_unsupported_filesystem_is_a_clear_error(bundle, runtime, tmp_path, host_mounts):
    """A filesystem without idmapped mount support (proc's) fails create,
    naming the mount."""
    n = len(bundle.config["mounts"])
    bundle.config["mounts"].append(idmap_mount("/proc/sys", "/data", one(0, 1000), one(0, 1000)))
    r = run_with(bundle, runtime, "/bin/true")
    assert r.rc != 0, r
    assert f"config.json: mounts[{n}]: idmap /proc/sys" in r.err, r
    assert runtime.ids() == []


@pytest.mark.skipif(not CRUN, reason="crun not installed")
@pytest.mark.parametrize("name,make,msg", BAD, ids=[b[0] for b in BAD])
def test_bad_idmap_config_with_crun(bundle, peers, owned, name, make, msg):
    """crun 1.8, as measured: it refuses the same configs (with its own
    words, some only when the kernel refuses the maps), but for "ridmap"
    without mappings or a user namespace, which it mounts unmapped where
    the spec says an error MUST be returned."""
    bundle.config["mounts"].append(make(owned))
    r = run_with(bundle, peers["crun"], "/bin/sh", "-c", "stat -c %u:%g /data")
    if name == "idmap without userns":
        assert r.rc == 0 and r.out == "1000:1000\n", r
    else:
        assert r.rc != 0, r
