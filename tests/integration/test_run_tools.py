"""kapsel top, diff and export from the outside, on containers of real
images (test_run.py's store), with the attacker's images: a layer symlink
that points at the host's /etc must not be followed by diff or export."""
import io
import json
import os
import socket
import subprocess
import tarfile

import pytest

from test_run import Kapsel, images, mkrunimage, supervise_bin, wait_for  # noqa: F401


@pytest.fixture(scope="module")
def k(images, tmp_path_factory):  # noqa: F811
    base = tmp_path_factory.mktemp("tools")
    tar = str(base / "lnk.tar")
    # the attacker's layer: /lnk -> the host's /etc, /shadow -> the host's shadow
    layers = [images.base_layer]
    mkrunimage.oci_image(tar, "kt/lnk:1", layers + [mkrunimage.files_layer(
        {"lnk": ("symlink", "/etc"), "shadow": ("symlink", "/etc/shadow"), "keep/me": b"lower\n"})],
        {"Cmd": ["sh"]})
    images.out("load", "-i", tar)
    return images


def test_top(k):
    if not supervise_bin():
        pytest.skip("kapsel-supervise is not built")
    env = {"KAPSEL_SUPERVISE": supervise_bin()}
    k.out("run", "-d", "--name", "kt-top", "kt/plain:1", "sleep", "1000", env=env)
    try:
        out = k.out("top", "kt-top").splitlines()
        assert out[0].split() == ["UID", "PID", "PPID", "C", "STIME", "TTY", "TIME", "CMD"], out
        pid = k.inspect("kt-top")["State"]["Pid"]
        rows = [l.split() for l in out[1:]]
        assert [r for r in rows if r[1] == str(pid) and r[-2:] == ["sleep", "1000"]], out
        # only the container's processes: not this test's own
        assert str(os.getpid()) not in [r[1] for r in rows]
        # the options are ps(1)'s, as docker top passes them on (-o alone
        # would list only this terminal's processes, as for Docker)
        out = k.out("top", "kt-top", "-eo", "pid,comm").splitlines()
        assert out[0].split() == ["PID", "COMMAND"] and out[1].split() == [str(pid), "sleep"], out
    finally:
        k("rm", "-f", "kt-top", env=env)
    k.out("create", "--name", "kt-top2", "kt/plain:1", "true")
    p = k("top", "kt-top2")
    assert p.returncode == 1 and "is not running" in p.stderr, p.stderr
    k.out("rm", "kt-top2")


def test_diff(k):
    k.out("run", "--name", "kt-diff", "--user", "0", "--read-only=false", "kt/lnk:1", "sh", "-c",
          "echo x >/etc/newfile; echo y >>/etc/passwd; rm /etc/hostname; rm /keep/me;"
          "mkdir -p /srv/a; touch /srv/a/b;"
          # the layer's symlink to the host's /etc replaced by a directory
          "rm /lnk; mkdir /lnk; touch /lnk/passwd /lnk/new")
    try:
        lines = k.out("diff", "kt-diff").splitlines()
        # /var and /var/tmp were made by create for the /var/tmp tmpfs: not the container's
        assert lines == ["C /etc", "D /etc/hostname", "A /etc/newfile", "C /etc/passwd", "C /keep",
                         "D /keep/me", "C /lnk", "A /lnk/new", "A /lnk/passwd", "A /srv", "A /srv/a",
                         "A /srv/a/b"], lines
        # a stopped container's root, not mounted (after a reboot): the same answer
        cid = k.inspect("kt-diff")["Id"]
        subprocess.run(["umount", os.path.join(k.root, "containers", cid, "bundle", "rootfs")], check=True)
        assert k.out("diff", "kt-diff").splitlines() == lines
    finally:
        k("rm", "kt-diff")
    p = k("diff", "kt-nothing")
    assert p.returncode == 1 and "no such container" in p.stderr


def test_export(k, tmp_path):
    k.out("run", "--name", "kt-exp", "--user", "0", "--read-only=false", "kt/lnk:1", "sh", "-c",
          "echo x >/etc/newfile; ln /etc/newfile /etc/hard; rm /etc/hostname")
    try:
        out = str(tmp_path / "exp.tar")
        # a socket in the root (the container's server's): left out, as tar does
        cid0 = k.inspect("kt-exp")["Id"]
        sock = socket.socket(socket.AF_UNIX)
        rdir = os.open(os.path.join(k.root, "containers", cid0, "bundle", "rootfs"), os.O_RDONLY)
        sock.bind(f"/proc/self/fd/{rdir}/srv.sock")  # the path is longer than sun_path
        os.close(rdir)
        assert k.out("export", "-o", out, "kt-exp") == ""
        sock.close()
        with tarfile.open(out) as t:
            m = {x.name.rstrip("/"): x for x in t.getmembers()}
            assert "etc/hostname" not in m and "bin/busybox" in m and "srv.sock" not in m
            # the owners the container sees (its root in a user namespace
            # is 0), not the host's shift of them
            cid = k.inspect("kt-exp")["Id"]
            host = os.stat(os.path.join(k.root, "containers", cid, "upper", "etc", "newfile"))
            assert host.st_uid != 0 and host.st_gid != 0
            assert (m["etc/newfile"].uid, m["etc/newfile"].gid) == (0, 0)
            assert m["bin/busybox"].uid == 0
            files = [n for n in ("etc/newfile", "etc/hard") if m[n].isfile()]
            links = [n for n in ("etc/newfile", "etc/hard") if m[n].islnk()]
            assert len(files) == 1 and len(links) == 1 and m[links[0]].linkname == files[0]
            assert t.extractfile(files[0]).read() == b"x\n"
            # the layer's symlinks are symlinks: the host's /etc and shadow are not read
            assert m["lnk"].issym() and m["lnk"].linkname == "/etc"
            assert m["shadow"].issym() and m["shadow"].linkname == "/etc/shadow"
            assert not any(n.startswith("lnk/") for n in m)
        # stdout, byte for byte the same members
        p = subprocess.run(k.argv("export", "kt-exp"), capture_output=True, timeout=60)
        assert p.returncode == 0
        with tarfile.open(fileobj=io.BytesIO(p.stdout)) as t:
            assert sorted(x.name for x in t.getmembers()) == sorted(m[n].name for n in m)
    finally:
        k("rm", "kt-exp")
    bad = str(tmp_path / "none.tar")
    p = k("export", "-o", bad, "kt-nothing")
    assert p.returncode == 1 and not os.path.exists(bad) and os.listdir(tmp_path) == ["exp.tar"]


def test_cp_rules_owners_and_modes(k, tmp_path):
    host = tmp_path / "host"
    (host / "dir" / "sub").mkdir(parents=True)
    (host / "dir" / "sub" / "f").write_text("f\n")
    (host / "file").write_text("file\n")
    p = k("create", "--name", "kt-cpro", "kt/plain:1", "true")
    p = k("cp", str(host / "file"), "kt-cpro:/file")
    assert p.returncode == 1 and "--read-only=false" in p.stderr, p.stderr
    k.out("rm", "kt-cpro")
    cid = k.out("create", "--name", "kt-cp", "--user", "0", "--read-only=false", "kt/lnk:1", "true").strip()
    upper = os.path.join(k.root, "containers", cid, "upper")
    rootfs = os.path.join(k.root, "containers", cid, "bundle", "rootfs")
    try:
        k.out("cp", str(host / "file"), "kt-cp:/new")                 # file -> missing: that file
        k.out("cp", str(host / "file"), "kt-cp:/etc")                 # file -> directory: inside it
        k.out("cp", str(host / "dir"), "kt-cp:/copied")               # dir -> missing: its content
        k.out("cp", str(host / "dir"), "kt-cp:/copied")               # dir -> directory: inside it
        k.out("cp", str(host / "dir") + "/.", "kt-cp:/etc")           # dir/. -> its content into it
        assert open(os.path.join(rootfs, "new")).read() == "file\n"
        assert open(os.path.join(rootfs, "etc", "file")).read() == "file\n"
        assert open(os.path.join(rootfs, "copied", "sub", "f")).read() == "f\n"
        assert open(os.path.join(rootfs, "copied", "dir", "sub", "f")).read() == "f\n"
        assert open(os.path.join(rootfs, "etc", "sub", "f")).read() == "f\n"
        p = k("cp", str(host / "file"), "kt-cp:/nowhere/")
        assert p.returncode == 1 and "no such directory" in p.stderr, p.stderr
        p = k("cp", str(host / "dir"), "kt-cp:/new")
        assert p.returncode == 1 and "onto the file" in p.stderr, p.stderr
        # what goes in belongs to the container's root: its user namespace's
        st = os.stat(os.path.join(upper, "new"))
        uid_map = json.load(open(os.path.join(k.root, "containers", cid, "bundle", "config.json")))
        hostid = uid_map["linux"]["uidMappings"][0]["hostID"]
        assert (st.st_uid, st.st_gid) == (hostid, hostid) and hostid != 0
        # what comes out belongs to who runs kapsel, without setuid bits
        os.chmod(os.path.join(rootfs, "new"), 0o4755)
        out = tmp_path / "out"
        k.out("cp", "kt-cp:/new", str(out))
        assert open(out).read() == "file\n" and os.stat(out).st_mode & 0o7777 == 0o755
        assert os.stat(out).st_uid == os.getuid()
        k.out("cp", "-a", "kt-cp:/new", str(tmp_path / "out-a"))
        sa = os.stat(tmp_path / "out-a")
        # -a: the container's root shifted back; never a setuid file of its making, even so
        assert sa.st_mode & 0o7777 == 0o755 and sa.st_uid == 0
        # a relative "." is the current directory, never the host's /
        here = tmp_path / "here"
        here.mkdir()
        (here / "mine").write_text("mine\n")
        p = subprocess.run(k.argv("cp", ".", "kt-cp:/dotcopy"), cwd=here, capture_output=True, text=True,
                           timeout=60)
        assert p.returncode == 0, p.stderr
        assert sorted(os.listdir(os.path.join(rootfs, "dotcopy"))) == ["mine"]
        # a tar out, named from the source's last name
        p = subprocess.run(k.argv("cp", "kt-cp:/copied", "-"), capture_output=True, timeout=60)
        assert p.returncode == 0, p.stderr
        with tarfile.open(fileobj=io.BytesIO(p.stdout)) as t:
            assert {"copied/sub/f", "copied/dir/sub/f"} <= set(t.getnames())
        p = k("cp", "kt-cp:/nothing", str(tmp_path / "x"))
        assert p.returncode == 1 and "No such file" in p.stderr
        p = k("cp", str(host / "file"), str(tmp_path / "y"))
        assert p.returncode == 2 and "CONTAINER:PATH" in p.stderr
    finally:
        k("rm", "kt-cp")


def test_cp_never_follows_the_containers_symlinks_on_the_host(k, tmp_path):
    """kt/lnk:1 has /lnk -> /etc and /shadow -> /etc/shadow: host paths if
    resolved on the host, the container's own if resolved in its root."""
    victim = tmp_path / "victim"
    victim.mkdir()
    cid = k.out("create", "--name", "kt-cpx", "--user", "0", "--read-only=false", "kt/lnk:1", "true").strip()
    rootfs = os.path.join(k.root, "containers", cid, "bundle", "rootfs")
    os.symlink(str(victim), os.path.join(rootfs, "tohost"))   # what a container can make
    try:
        src = tmp_path / "f"
        src.write_text("planted\n")
        # in, through a symlink of the container's: lands in its root
        k.out("cp", str(src), "kt-cpx:/tohost")
        assert os.listdir(victim) == []
        # the link named a directory the container does not have: the link
        # itself is what is replaced, in the container
        assert not os.path.islink(os.path.join(rootfs, "tohost"))
        assert open(os.path.join(rootfs, "tohost")).read() == "planted\n"
        # out, through /lnk -> /etc: the container's passwd, not the host's
        k.out("cp", "kt-cp" + "x:/lnk/passwd", str(tmp_path / "passwd"))
        assert open(tmp_path / "passwd").read() == open(os.path.join(rootfs, "etc", "passwd")).read()
        assert open(tmp_path / "passwd").read() != open("/etc/passwd").read()
        # /shadow -> /etc/shadow is the container's (it has none): not the host's shadow
        p = k("cp", "-L", "kt-cpx:/shadow", str(tmp_path / "shadow"))
        assert p.returncode == 1 and not (tmp_path / "shadow").exists(), p.stderr
        k.out("cp", "kt-cpx:/shadow", str(tmp_path / "shadow-link"))
        assert os.readlink(tmp_path / "shadow-link") == "/etc/shadow"
        # a tar with "..", an absolute path and a file through a symlink it made
        buf = io.BytesIO()
        with tarfile.open(fileobj=buf, mode="w") as t:
            for name, data in (("../../../../../../.." + str(victim) + "/dotdot", b"x"),):
                ti = tarfile.TarInfo(name)
                ti.size = len(data)
                t.addfile(ti, io.BytesIO(data))
            ti = tarfile.TarInfo("esc")
            ti.type, ti.linkname = tarfile.SYMTYPE, str(victim)
            t.addfile(ti)
            ti = tarfile.TarInfo("esc/through")
            ti.size = 1
            t.addfile(ti, io.BytesIO(b"x"))
        p = subprocess.run(k.argv("cp", "-", "kt-cpx:/srv2"), input=buf.getvalue(), capture_output=True, timeout=60)
        assert p.returncode != 0
        k.out("cp", str(src), "kt-cpx:/")  # the root itself is a directory
        p = subprocess.run(k.argv("cp", "-", "kt-cpx:/"), input=buf.getvalue(), capture_output=True, timeout=60)
        assert p.returncode == 1, p.stderr
        assert os.listdir(victim) == []
        assert not os.listdir(os.path.join(k.root, "tmp")) or \
            not [n for n in os.listdir(os.path.join(k.root, "tmp")) if n.startswith("cp-")]
    finally:
        k("rm", "kt-cpx")


def test_cp_into_a_container_racing_a_symlink_swap(k, tmp_path):
    """The container swaps the directory being copied into for a symlink to
    a host directory, as fast as it can, while kapsel copies into it."""
    if not supervise_bin():
        pytest.skip("kapsel-supervise is not built")
    env = {"KAPSEL_SUPERVISE": supervise_bin()}
    victim = tmp_path / "victim"
    victim.mkdir()
    src = tmp_path / "tree"
    (src / "a" / "b").mkdir(parents=True)
    for i in range(20):
        (src / "a" / "b" / f"f{i}").write_text("x")
    k.out("run", "-d", "--name", "kt-race", "--user", "0", "--read-only=false", "--restart", "no", "kt/plain:1",
          "sh", "-c", f"mkdir -p /d; while :; do mv /d /d.old; ln -s {victim} /d; rm /d; mv /d.old /d; done",
          env=env)
    try:
        ok = 0
        for _ in range(60):
            ok += k("cp", str(src / "a"), "kt-race:/d/").returncode == 0
        assert os.listdir(victim) == []
        # some copies met the directory, and landed in the container
        cid = k.inspect("kt-race")["Id"]
        upper = os.path.join(k.root, "containers", cid, "upper")
        landed = [d for d in ("d", "d.old") if os.path.isdir(os.path.join(upper, d, "a", "b"))]
        assert ok > 0 and landed, (ok, os.listdir(upper))
        assert k.inspect("kt-race")["State"]["Running"] is True
    finally:
        k("rm", "-f", "kt-race", env=env)
