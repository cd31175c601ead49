"""kapsel's networks from the outside: loopback in every network namespace,
--network bridge and user networks through Debian's CNI plugins (an
address in the subnet, the gateway reachable, -p from the host, two
containers of one network talking, rm releasing the lease, the veth and
the port rules), and `kapsel network`.  Every address is on this machine:
the containers' namespaces are made by the tests."""
import json
import os
import socket
import subprocess
import sys

import pytest

from conftest import BUILD, REPO
from test_run import Kapsel

sys.path.insert(0, os.path.join(REPO, "tests", "fixtures", "images"))
import mkrunimage  # noqa: E402


@pytest.fixture(scope="module")
def k(tmp_path_factory):
    base = tmp_path_factory.mktemp("net")
    rootfs = str(base / "rootfs")
    subprocess.run(["sh", os.path.join(REPO, "tests", "fixtures", "mkrootfs.sh"), rootfs], check=True)
    tar = str(base / "bb.tar")
    mkrunimage.oci_image(tar, "kt/net:1", [mkrunimage.dir_layer(rootfs)], {"Cmd": ["sh"]})
    root = base / "store"
    k = Kapsel(root)
    k.out("load", "-i", tar)
    yield k
    for cid in k.out("ps", "-aq", "--no-trunc").split():
        k("rm", "-f", cid)
    from clients import umount_under
    umount_under(str(root))


# ---- loopback ----

def test_loopback_up_in_the_default_namespace(k):
    out = k.out("run", "--rm", "kt/net:1", "cat", "/sys/class/net/lo/operstate")
    assert out.strip() == "unknown"  # lo's operstate when up ("down" when not)


def test_loopback_up_in_a_root_user_namespace(k):
    # the runtime makes this network namespace (owned by the user namespace)
    p = k("run", "--rm", "--user", "0", "kt/net:1", "sh", "-c", "cat /sys/class/net/lo/operstate; ip -o -4 addr show lo")
    assert p.returncode == 0, p.stderr
    state, addr = p.stdout.splitlines()
    assert state == "unknown"
    assert "inet 127.0.0.1/8" in addr
