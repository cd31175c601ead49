"""kapsel top, diff and export from the outside, on containers of real
images (test_run.py's store), with the attacker's images: a layer symlink
that points at the host's /etc must not be followed by diff or export."""
import io
import json
import os
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
        assert k.out("export", "-o", out, "kt-exp") == ""
        with tarfile.open(out) as t:
            m = {x.name.rstrip("/"): x for x in t.getmembers()}
            assert "etc/hostname" not in m and "bin/busybox" in m
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
