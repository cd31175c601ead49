"""kapsel run -v / --mount and kapsel volume, from the outside: binds rw
and ro, named volumes that outlive their containers, Docker's copy-up,
ownership by the container's user (65534, or the mapped root of a user
namespace), nosuid and nodev seen from inside, in-use refusals, prune,
rm -v, inspect's Mounts, and the symlinked mount target attack (an
image's /data -> /etc must not put a volume on the host's /etc)."""
import json
import os
import shutil
import stat
import subprocess
import sys
import uuid

import pytest

from conftest import PROBE, REPO

sys.path.insert(0, os.path.join(REPO, "tests", "fixtures", "images"))
sys.path.insert(0, os.path.dirname(__file__))
import mkrunimage  # noqa: E402
from test_run import Kapsel  # noqa: E402


@pytest.fixture(scope="module")
def k(tmp_path_factory):
    base = tmp_path_factory.mktemp("vol")
    rootfs = str(base / "rootfs")
    subprocess.run(["sh", os.path.join(REPO, "tests", "fixtures", "mkrootfs.sh"), rootfs, PROBE], check=True)
    bb = mkrunimage.dir_layer(rootfs)
    imgs = {
        "kv/plain:1": ([bb], {"Cmd": ["sh"]}),
        "kv/seed:1": ([bb, mkrunimage.files_layer({"data": ("dir", 0o750), "data/seed": b"from the image\n",
                                                   "data/sub/deep": b"deep\n", "data/link": ("symlink", "/etc/passwd")})],
                      {"Cmd": ["sh"], "Volumes": {"/cache": {}}}),
        "kv/nest:1": ([bb], {"Cmd": ["sh"], "Volumes": {"/srv/cache": {}}}),
        # the attack: the mount target is a symlink out of the root
        "kv/evil:1": ([bb, mkrunimage.files_layer({"data": ("symlink", "/etc"),
                                                   "data2": ("symlink", "../../../../../../etc"),
                                                   "etc/kapsel-image-marker": b"image etc\n"})],
                      {"Cmd": ["sh"]}),
    }
    kk = Kapsel(base / "store")
    for tag, (layers, cfg) in imgs.items():
        tar = str(base / (tag.replace("/", "_").replace(":", "_") + ".tar"))
        mkrunimage.oci_image(tar, tag, layers, cfg)
        kk.out("load", "-i", tar)
    kk.base = base
    kk.rootfs = rootfs
    yield kk
    for cid in kk.out("ps", "-aq", "--no-trunc").split():
        kk("rm", "-f", cid)
    from clients import umount_under
    umount_under(str(base / "store"))


def data(k, name):
    return os.path.join(k.root, "volumes", name, "_data")


def hostdir(k, owner=65534):
    d = str(k.base / ("h-" + uuid.uuid4().hex[:8]))
    os.mkdir(d)
    os.chown(d, owner, owner)
    return d


# ---- binds ----

def test_bind_rw_write_is_seen_on_the_host(k):
    d = hostdir(k)
    p = k("run", "--rm", "-v", f"{d}:/mnt", "kv/plain:1", "sh", "-c", "echo inside > /mnt/f; id -u")
    assert p.returncode == 0, p.stderr
    st = os.stat(os.path.join(d, "f"))
    assert open(os.path.join(d, "f")).read() == "inside\n" and st.st_uid == 65534


@pytest.mark.parametrize("flag", ["-v {d}:/mnt:ro", "--mount type=bind,source={d},target=/mnt,readonly"])
def test_bind_ro_refuses_writes(k, flag):
    d = hostdir(k)
    with open(os.path.join(d, "there"), "w") as f:
        f.write("host\n")
    p = k("run", "--rm", *flag.format(d=d).split(), "kv/plain:1", "sh", "-c",
          "cat /mnt/there; touch /mnt/new 2>&1; grep ' /mnt ' /proc/mounts")
    assert p.stdout.startswith("host\n"), p.stderr
    assert "Read-only file system" in p.stdout
    assert not os.path.exists(os.path.join(d, "new"))
    opts = p.stdout.strip().splitlines()[-1].split()[3].split(",")
    assert "ro" in opts and "nosuid" in opts and "nodev" in opts and "noexec" not in opts


def test_bind_submounts_are_nosuid_nodev_too(k):
    d = hostdir(k)
    sub = os.path.join(d, "sub")
    os.mkdir(sub)
    subprocess.run(["mount", "-t", "tmpfs", "-o", "suid,dev,size=1m", "kv-sub", sub], check=True)
    try:
        p = k("run", "--rm", "-v", f"{d}:/mnt:ro", "kv/plain:1", "grep", " /mnt/sub ", "/proc/mounts")
        assert p.returncode == 0, p.stderr
        opts = p.stdout.split()[3].split(",")
        assert "nosuid" in opts and "nodev" in opts and "ro" in opts, p.stdout
    finally:
        subprocess.run(["umount", sub], check=True)


def test_bind_file(k):
    d = hostdir(k)
    f = os.path.join(d, "conf")
    with open(f, "w") as fh:
        fh.write("a file\n")
    p = k("run", "--rm", "-v", f"{f}:/etc/app.conf:ro", "kv/plain:1", "cat", "/etc/app.conf")
    assert p.returncode == 0 and p.stdout == "a file\n", p.stderr


def test_bind_source_must_exist_and_bad_specs(k):
    missing = str(k.base / "no-such-dir")
    for flags in (["-v", f"{missing}:/mnt"], ["--mount", f"type=bind,source={missing},target=/mnt"]):
        p = k("run", "--rm", *flags, "kv/plain:1", "true")
        assert p.returncode == 125
        assert f'invalid mount config for type "bind": bind source path does not exist: {missing}' in p.stderr
        assert not os.path.exists(missing)  # never made (Docker's -v would make it)
    d = hostdir(k)
    bad = {
        (f"-v", f"{d}:/mnt:z"): "invalid mode: z",
        (f"-v", f"{d}:/mnt:exec"): "invalid mode: exec",
        (f"-v", "vol:rel"): "mount path must be absolute",
        (f"-v", "a:b:c:d"): "invalid volume specification: 'a:b:c:d'",
        (f"-v", "bad/name:/x"): "includes invalid characters for a local volume name",
        (f"-v", f"{d}:/"): "invalid mount path",
        (f"-v", f"{d}:/a/../b"): "invalid mount path",
        ("--mount", f"type=bind,source={d},target=/m,colour=red"): "unexpected key 'colour' in 'colour=red'",
        ("--mount", "type=nfs,target=/m"): 'mount type unknown: "nfs"',
        ("--mount", f"type=bind,source={d}"): "field Target must not be empty",
        ("--mount", "type=bind,target=/m"): "field Source must not be empty",
        ("--mount", "type=tmpfs,source=x,target=/m"): "field Source must not be specified",
        ("--mount", f"type=bind,source={d},target=/m,tmpfs-size=1m"): "an option of another type",
        ("--mount", f"type=bind,source={d},target=/m,bind-propagation=sideways"): "invalid value for bind-propagation",
    }
    for (flag, val), msg in bad.items():
        p = k("create", flag, val, "kv/plain:1", "true")
        assert p.returncode != 0 and msg in p.stderr, (val, p.stderr)
    p = k("create", "-v", f"{d}:/m", "-v", "x1:/m", "kv/plain:1", "true")
    assert "Duplicate mount point: /m" in p.stderr
    # a sensitive host path is the runtime policy's to refuse, so is shared propagation
    p = k("run", "--rm", "-v", "/etc:/hostetc:ro", "kv/plain:1", "true")
    assert p.returncode == 125 and "B8" in p.stderr, p.stderr
    p = k("run", "--rm", "-v", f"{d}:/m:rshared", "kv/plain:1", "true")
    assert p.returncode == 125 and "B13" in p.stderr, p.stderr
    assert k.out("ps", "-aq") == ""
    assert "x1" not in k.out("volume", "ls", "-q").split()  # a failed create leaves no volume


# ---- named volumes ----

def test_named_volume_persists_copies_up_and_belongs_to_the_user(k):
    p = k("run", "--rm", "-v", "kv-seed:/data", "kv/seed:1", "sh", "-c",
          "cat /data/seed /data/sub/deep; readlink /data/link; echo more > /data/new; stat -c '%u %a' /data")
    assert p.returncode == 0, p.stderr
    assert p.stdout == "from the image\ndeep\n/etc/passwd\n65534 750\n"
    top = os.stat(data(k, "kv-seed"))
    assert (top.st_uid, top.st_gid) == (65534, 65534)
    assert os.path.islink(os.path.join(data(k, "kv-seed"), "link"))  # copied as a link, not followed
    assert os.stat(os.path.join(data(k, "kv-seed"), "seed")).st_uid == 0  # the image's owner kept
    # a second container sees what the first wrote; no second copy-up
    os.unlink(os.path.join(data(k, "kv-seed"), "seed"))
    p = k("run", "--rm", "-v", "kv-seed:/data", "kv/seed:1", "sh", "-c", "cat /data/new; ls /data")
    assert p.stdout == "more\nlink\nnew\nsub\n", p.stderr
    assert "kv-seed" in k.out("volume", "ls", "-q").split()
    # nocopy: an empty volume stays empty
    p = k("run", "--rm", "-v", "kv-empty:/data:nocopy", "kv/seed:1", "ls", "-A", "/data")
    assert p.returncode == 0 and p.stdout == "", p.stderr
    p = k("run", "--rm", "--mount", "type=volume,source=kv-empty2,target=/data,volume-nocopy", "kv/seed:1",
          "ls", "-A", "/data")
    assert p.returncode == 0 and p.stdout == "", p.stderr


def test_root_in_a_user_namespace_owns_its_volume(k):
    p = k("run", "--rm", "-u", "0", "-v", "kv-root:/data", "kv/seed:1", "sh", "-c",
          "stat -c '%u %g' /data /data/seed; echo w > /data/w && echo wrote")
    assert p.stdout == "0 0\n0 0\nwrote\n", p.stderr
    top = os.stat(data(k, "kv-root"))
    assert (top.st_uid, top.st_gid) == (100000, 100000)  # the mapped root, on the host
    assert os.stat(os.path.join(data(k, "kv-root"), "seed")).st_uid == 100000
    assert os.stat(os.path.join(data(k, "kv-root"), "w")).st_uid == 100000


def root_dir(k):
    """A host directory of the host's root, with a root-only file."""
    d = hostdir(k, owner=0)
    os.chmod(d, 0o755)
    with open(os.path.join(d, "secret"), "w") as f:
        f.write("host root's\n")
    os.chmod(os.path.join(d, "secret"), 0o600)
    return d


def test_userns_root_gains_nothing_on_a_host_roots_bind(k):
    """The attacker's side: root of a user namespace (--user 0) binds a
    directory of the host's root without asking for idmap: it is nobody's
    inside, and the namespace's root can neither read the root-only file,
    nor change it, nor create anything there."""
    d = root_dir(k)
    p = k("run", "--rm", "-u", "0", "-v", f"{d}:/mnt", "kv/plain:1", "sh", "-c",
          "stat -c '%u %g' /mnt /mnt/secret; cat /mnt/secret; echo pwn >> /mnt/secret; echo x > /mnt/new;"
          " chmod 666 /mnt/secret; true")
    assert p.returncode == 0, p.stderr
    assert p.stdout.splitlines()[:2] == ["65534 65534", "65534 65534"], p.stdout
    assert "host root's" not in p.stdout
    assert open(os.path.join(d, "secret")).read() == "host root's\n"
    assert stat.S_IMODE(os.stat(os.path.join(d, "secret")).st_mode) == 0o600
    assert os.listdir(d) == ["secret"]


def test_bind_idmap_gives_the_namespace_root_the_host_roots_files(k):
    """-v SRC:DST:idmap (asked for): the bind is shifted by the container's
    mappings, so host 0 is its root, and what it writes is the host's
    root's."""
    d = root_dir(k)
    p = k("run", "--rm", "-u", "0", "-v", f"{d}:/mnt:idmap", "kv/plain:1", "sh", "-c",
          "stat -c '%u %g' /mnt /mnt/secret; cat /mnt/secret; echo x > /mnt/new; grep ' /mnt ' /proc/mounts")
    assert p.returncode == 0, p.stderr
    lines = p.stdout.splitlines()
    assert lines[:3] == ["0 0", "0 0", "host root's"], p.stdout
    assert "idmapped" in lines[3].split()[3].split(","), lines[3]
    st = os.stat(os.path.join(d, "new"))
    assert (st.st_uid, st.st_gid) == (0, 0)


def test_idmap_needs_a_user_namespace_and_a_bind(k):
    d = root_dir(k)
    p = k("run", "--rm", "-v", f"{d}:/mnt:idmap", "kv/plain:1", "true")
    assert p.returncode != 0
    assert "idmap shifts the bind by the container's user namespace, and it has none" in p.stderr, p.stderr
    p = k("run", "--rm", "-u", "0", "-v", "kv-idm:/mnt:idmap", "kv/plain:1", "true")
    assert p.returncode != 0
    assert "idmap is for a bind" in p.stderr, p.stderr
    assert os.listdir(d) == ["secret"]


def test_image_volume_is_tmpfs_unless_named(k):
    p = k("run", "--rm", "kv/seed:1", "grep", " /cache ", "/proc/mounts")
    assert p.stdout.split()[2] == "tmpfs", p.stdout
    p = k("run", "--rm", "-v", "kv-cache:/cache", "kv/seed:1", "grep", " /cache ", "/proc/mounts")
    assert p.returncode == 0 and p.stdout.split()[2] != "tmpfs", p.stdout


def test_mounts_go_parents_first(k):
    # the image's /srv/cache tmpfs goes on top of -v DIR:/srv, not under it
    d = hostdir(k)
    p = k("run", "--rm", "-v", f"{d}:/srv", "kv/nest:1", "sh", "-c",
          "echo x > /srv/cache/f && echo wrote; grep -c ' /srv/cache tmpfs ' /proc/mounts")
    assert p.stdout == "wrote\n1\n", (p.stdout, p.stderr)
    assert not os.path.exists(os.path.join(d, "cache", "f"))
    # and -v order does not matter
    p = k("run", "--rm", "-v", "kv-child:/a/b", "-v", "kv-parent:/a", "kv/plain:1", "sh", "-c",
          "echo c > /a/b/f; echo p > /a/g")
    assert p.returncode == 0, p.stderr
    assert os.path.exists(os.path.join(data(k, "kv-child"), "f"))
    assert os.path.exists(os.path.join(data(k, "kv-parent"), "g"))


def test_tmpfs_mount(k):
    p = k("run", "--rm", "--mount", "type=tmpfs,target=/scratch,tmpfs-size=1m,tmpfs-mode=1770", "kv/plain:1",
          "grep", " /scratch ", "/proc/mounts")
    opts = p.stdout.split()[3].split(",")
    assert p.stdout.split()[2] == "tmpfs" and "size=1024k" in opts and "mode=1770" in opts, p.stdout


def test_setuid_on_a_volume_gives_nothing(k):
    k.out("volume", "create", "kv-suid")
    exe = os.path.join(data(k, "kv-suid"), "busybox")
    shutil.copy(os.path.join(k.rootfs, "bin", "busybox"), exe)
    os.chown(exe, 0, 0)
    os.chmod(exe, 0o4755)
    assert os.stat(exe).st_mode & stat.S_ISUID
    # no_new_privs off: only nosuid stands between the binary and euid 0
    p = k("run", "--rm", "--security-opt", "no-new-privileges=false", "-v", "kv-suid:/v", "kv/plain:1",
          "/v/busybox", "sh", "-c", "id -u; grep ' /v ' /proc/mounts")
    assert p.returncode == 0, p.stderr
    assert p.stdout.splitlines()[0] == "65534"
    assert "nosuid" in p.stdout.splitlines()[1].split()[3].split(",")


@pytest.mark.parametrize("user", ["65534", "0"])
def test_device_node_on_a_volume_cannot_be_opened(k, user):
    name = "kv-dev" + user
    k.out("volume", "create", name)
    node = os.path.join(data(k, name), "null")
    os.mknod(node, 0o666 | stat.S_IFCHR, os.makedev(1, 3))  # /dev/null: the device cgroup allows it
    p = k("run", "--rm", "-u", user, "-v", f"{name}:/v", "kv/plain:1", "sh", "-c",
          "echo x > /v/null && echo opened; echo x > /dev/null && echo real-null-ok")
    assert "opened" not in p.stdout and "Permission denied" in p.stderr, (p.stdout, p.stderr)
    assert "real-null-ok" in p.stdout


def test_volume_in_use_is_refused_and_prune(k):
    cid = k.out("create", "-v", "kv-busy:/data", "-v", "/anon", "kv/plain:1", "true").strip()
    for flags in ([], ["-f"]):
        p = k("volume", "rm", *flags, "kv-busy")
        assert p.returncode == 1 and f"remove kv-busy: volume is in use - [{cid}]" in p.stderr, p.stderr
    mounts = k.inspect(cid)["Mounts"]
    anon = [m["Name"] for m in mounts if m["Type"] == "volume" and m["Destination"] == "/anon"][0]
    assert len(anon) == 64
    # prune: nothing while the container exists
    assert k.out("volume", "prune", "-f") == "Deleted Volumes:\n"
    k.out("rm", cid)
    assert os.path.isdir(data(k, anon))  # rm without -v keeps it
    k.out("volume", "create", "kv-keep")
    out = k.out("volume", "prune", "-f")
    assert anon in out.split() and "kv-busy" not in out and "kv-keep" not in out
    assert not os.path.exists(os.path.join(k.root, "volumes", anon))
    out = k.out("volume", "prune", "-a", "-f")
    assert "kv-busy" in out.split() and "kv-keep" in out.split()
    assert "kv-busy" not in k.out("volume", "ls", "-q").split()
    p = k("volume", "rm", "kv-busy")
    assert p.returncode == 1 and "no such volume" in p.stderr
    assert k("volume", "rm", "-f", "kv-busy").returncode == 0


def test_rm_v_removes_anonymous_volumes_only(k):
    cid = k.out("create", "-v", "/anon", "-v", "kv-named:/named", "kv/plain:1", "true").strip()
    anon = [m["Name"] for m in k.inspect(cid)["Mounts"] if m["Destination"] == "/anon"][0]
    assert os.path.isdir(data(k, anon))
    k.out("rm", "-v", cid)
    assert not os.path.exists(os.path.join(k.root, "volumes", anon))
    assert os.path.isdir(data(k, "kv-named"))
    # run --rm removes them too, as Docker's
    before = set(k.out("volume", "ls", "-q").split())
    k.out("run", "--rm", "-v", "/anon2", "kv/plain:1", "true")
    assert set(k.out("volume", "ls", "-q").split()) == before


def test_volume_commands(k):
    assert k.out("volume", "create", "--label", "team=a", "kv-cmd") == "kv-cmd\n"
    assert k.out("volume", "create", "kv-cmd") == "kv-cmd\n"  # an existing name is that volume
    v = json.loads(k.out("volume", "inspect", "kv-cmd"))[0]
    assert v["Name"] == "kv-cmd" and v["Driver"] == "local" and v["Scope"] == "local"
    assert v["Labels"] == {"team": "a"} and v["Mountpoint"] == data(k, "kv-cmd") and v["CreatedAt"]
    assert "Populated" not in v
    assert k.out("volume", "inspect", "-f", "{{.Mountpoint}}", "kv-cmd") == data(k, "kv-cmd") + "\n"
    lines = [json.loads(x) for x in k.out("volume", "ls", "--format", "json").splitlines()]
    row = [x for x in lines if x["Name"] == "kv-cmd"][0]
    assert row["Driver"] == "local" and row["Labels"] == "team=a" and row["Mountpoint"] == data(k, "kv-cmd")
    table = k.out("volume", "ls").splitlines()
    assert table[0].split() == ["DRIVER", "VOLUME", "NAME"] and "local     kv-cmd" in table
    anon = k.out("volume", "create").strip()
    assert len(anon) == 64
    p = k("volume", "create", "-bad")
    assert p.returncode != 0
    p = k("volume", "create", "a/b")
    assert p.returncode == 1 and "invalid characters" in p.stderr
    p = k("volume", "inspect", "kv-none")
    assert p.returncode == 1 and "get kv-none: no such volume" in p.stderr
    assert k.out("volume", "rm", "kv-cmd", anon) == f"kv-cmd\n{anon}\n"
    assert os.stat(os.path.join(k.root, "volumes")).st_mode & 0o777 == 0o700


def test_volumes_from(k):
    """--volumes-from: another container's named volumes and binds at the
    same places, with their mode or the one given; a -v or --tmpfs at one
    of those places wins; a tmpfs of the other stays its own."""
    d = hostdir(k)
    vol = "vf-" + uuid.uuid4().hex[:8]
    other = "vf-other-" + uuid.uuid4().hex[:8]
    src = k.out("create", "--name", "vf-src", "-v", f"{vol}:/data", "-v", f"{d}:/host:ro", "--tmpfs", "/scratch",
                "kv/plain:1", "true").strip()
    k.out("run", "--rm", "--user", "65534", "-v", f"{vol}:/data", "kv/plain:1", "sh", "-c", "echo shared > /data/f")
    p = k("run", "--rm", "--volumes-from", "vf-src", "kv/plain:1", "sh", "-c",
          "cat /data/f; echo more >> /data/f && echo data-rw; touch /host/x 2>&1; grep -c ' /scratch ' /proc/mounts; true")
    lines = p.stdout.splitlines()
    assert lines[0] == "shared" and "data-rw" in lines and "Read-only file system" in p.stdout, (p.stdout, p.stderr)
    assert lines[-1] == "0"  # the other's tmpfs is not brought
    # :ro makes every one read-only
    p = k("run", "--rm", "--volumes-from", "vf-src:ro", "kv/plain:1", "sh", "-c", "touch /data/g 2>&1; cat /data/f")
    assert "Read-only file system" in p.stdout and "shared\nmore" in p.stdout, p.stdout
    # a -v at the same place replaces it
    p = k("run", "--rm", "--volumes-from", "vf-src", "-v", f"{other}:/data", "kv/plain:1", "ls", "/data")
    assert p.returncode == 0 and p.stdout.strip() == "", p.stdout
    cid = k.out("create", "--volumes-from", src[:12], "kv/plain:1", "true").strip()
    ins = k.inspect(cid)
    assert ins["HostConfig"]["VolumesFrom"] == [src[:12]]
    mounts = {m["Destination"]: m for m in ins["Mounts"]}
    assert mounts["/data"]["Name"] == vol and mounts["/data"]["RW"] is True
    assert mounts["/host"]["Source"] == d and mounts["/host"]["RW"] is False
    assert "/scratch" not in mounts
    # the volume is in use by both now
    k.out("rm", src)
    p = k("volume", "rm", vol)
    assert p.returncode != 0 and "in use" in p.stderr, p.stderr
    k.out("rm", cid)
    k.out("volume", "rm", vol, other)
    for bad, want in (("nosuch", "--volumes-from nosuch"), ("x:rx", "the mode is ro or rw")):
        p = k("create", "--volumes-from", bad, "kv/plain:1", "true")
        assert p.returncode != 0 and want in p.stderr, (bad, p.stderr)


def test_inspect_mounts(k):
    d = hostdir(k)
    cid = k.out("create", "-v", f"{d}:/b:ro,rslave", "-v", "kv-insp:/v", "kv/plain:1", "true").strip()
    ms = {m["Destination"]: m for m in k.inspect(cid)["Mounts"]}
    assert ms["/b"] == {"Type": "bind", "Source": d, "Destination": "/b", "Mode": "ro,rslave", "RW": False,
                        "Propagation": "rslave"}
    assert ms["/v"] == {"Type": "volume", "Name": "kv-insp", "Source": data(k, "kv-insp"), "Destination": "/v",
                        "Driver": "local", "Mode": "", "RW": True, "Propagation": ""}
    assert k.inspect(cid)["HostConfig"]["Binds"] == [f"{d}:/b:ro,rslave", "kv-insp:/v"]
    k.out("rm", cid)


# ---- the attack: a symlinked mount target ----

@pytest.mark.parametrize("target", ["/data", "/data2"])
def test_symlinked_target_stays_in_the_root(k, target):
    mark = "kapsel-pwned-" + uuid.uuid4().hex[:8]
    name = "kv-evil" + target[1:]
    d = hostdir(k)
    # a named volume (copied up through the link) and a bind, both on the symlink
    for flags, where in ((["-v", f"{name}:{target}"], data(k, name)), (["-v", f"{d}:{target}"], d)):
        p = k("run", "--rm", *flags, "kv/evil:1", "sh", "-c", f"echo owned > {target}/{mark}; ls /etc/{mark}")
        assert not os.path.exists(f"/etc/{mark}"), "the volume landed on the host's /etc"
        assert os.path.exists(os.path.join(where, mark)), (p.stdout, p.stderr)
    # what was copied up is the image's /etc, not the host's
    got = os.listdir(data(k, name))
    assert "kapsel-image-marker" in got
    with open(os.path.join(data(k, name), "passwd")) as f:
        assert f.read() == open(os.path.join(k.rootfs, "etc", "passwd")).read()
