"""kapsel run's --userns, --add-host and --dns flags and the exit codes of a
command that cannot start (126, 127), from the outside with a busybox
image in a temporary --root."""
import json
import os
import subprocess
import sys

import pytest

from conftest import PROBE, REPO
from test_run import Kapsel

sys.path.insert(0, os.path.join(REPO, "tests", "fixtures", "images"))
import mkrunimage  # noqa: E402


@pytest.fixture(scope="module")
def k(tmp_path_factory):
    base = tmp_path_factory.mktemp("flags")
    rootfs = str(base / "rootfs")
    subprocess.run(["sh", os.path.join(REPO, "tests", "fixtures", "mkrootfs.sh"), rootfs, PROBE], check=True)
    with open(os.path.join(rootfs, "etc", "resolv.conf"), "w") as f:
        f.write("nameserver 192.0.2.53\n")
    kk = Kapsel(base / "store")
    tar = str(base / "plain.tar")
    mkrunimage.oci_image(tar, "kt/plain:1", [mkrunimage.dir_layer(rootfs)], {"Cmd": ["sh"]})
    kk.out("load", "-i", tar)
    kk.base = base
    yield kk
    for cid in kk.out("ps", "-aq", "--no-trunc").split():
        kk("rm", "-f", cid)
    from clients import umount_under
    umount_under(str(base / "store"))


# ---- --userns ----

def test_userns_host_root_is_refused_by_the_policy(k):
    p = k("run", "--rm", "--user", "0", "--userns", "host", "kt/plain:1", "id")
    assert p.returncode == 125, (p.stdout, p.stderr)
    assert "R1" in p.stderr and "run-as-root" in p.stderr, p.stderr
    assert p.stdout == ""


def test_userns_host_root_runs_when_the_policy_exempts_it(k):
    pol = str(k.base / "exempt.conf")
    with open(pol, "w") as f:
        f.write("[exempt]\nname = hostroot-*\n")
    p = k("run", "--rm", "--name", "hostroot-1", "--user", "0", "--userns", "host", "kt/plain:1",
          "sh", "-c", "id -u; cat /proc/self/uid_map", env={"KAPSEL_POLICY": pol})
    assert p.returncode == 0, p.stderr
    uid, umap = p.stdout.split("\n", 1)
    assert uid == "0"
    assert umap.split() == ["0", "0", "4294967295"]  # the host's own user namespace
    # the same name without --userns host is root in a user namespace
    p = k("run", "--rm", "--name", "hostroot-2", "--user", "0", "kt/plain:1", "cat", "/proc/self/uid_map",
          env={"KAPSEL_POLICY": pol})
    assert p.returncode == 0, p.stderr
    assert p.stdout.split()[:2] == ["0", "100000"]


def test_userns_modes_in_inspect_and_bad_mode(k):
    cid = k.out("create", "--userns", "host", "kt/plain:1", "true").strip()
    assert k.inspect(cid)["HostConfig"]["UsernsMode"] == "host"
    cid = k.out("create", "--userns", "private", "--user", "0", "kt/plain:1", "true").strip()
    assert k.inspect(cid)["HostConfig"]["UsernsMode"] == "private"
    p = k("create", "--userns", "keep-id", "kt/plain:1", "true")
    assert p.returncode != 0
    assert "--userns keep-id: kapsel has private (the default) and host" in p.stderr
