"""AppArmor and SELinux on a host that has neither (this test machine):
a config that asks for a profile or a label is refused with a clear error
and leaves nothing behind; "unconfined" runs."""
import json
import os

import pytest

from conftest import cgroup_dirs

def host_has_lsm():
    aa = "/sys/module/apparmor/parameters/enabled"
    return os.path.exists("/sys/fs/selinux/enforce") or (os.path.exists(aa) and open(aa).read().startswith("Y"))


pytestmark = pytest.mark.skipif(host_has_lsm(), reason="the host has an LSM: the refusal path cannot be tested here")


@pytest.mark.parametrize("field,value,msg", [
    ("apparmorProfile", "docker-default", "process.apparmorProfile: \"docker-default\" cannot be applied: "
                                          "this host has no AppArmor"),
    ("selinuxLabel", "system_u:system_r:container_t:s0", "process.selinuxLabel"),
])
def test_profile_without_the_lsm_is_refused(bundle, runtime, field, value, msg):
    bundle.config["process"][field] = value
    bundle.args("/bin/true")
    r = bundle.run()
    assert r.rc == 1 and msg in r.err, r
    assert runtime.ids() == [] and not cgroup_dirs("/kapsel/" + bundle.id)


def test_mount_label_without_selinux_is_refused(bundle, runtime):
    bundle.config["linux"]["mountLabel"] = "system_u:object_r:container_file_t:s0"
    bundle.args("/bin/true")
    r = bundle.run()
    assert r.rc == 1 and "linux.mountLabel" in r.err and "no SELinux" in r.err


def test_unconfined_runs(bundle):
    bundle.config["process"]["apparmorProfile"] = "unconfined"
    r, info = bundle.probe("info")
    assert r.rc == 0 and info["uid"] == 65534


def test_exec_with_a_profile_is_refused(bundle, runtime, tmp_path):
    bundle.args("/bin/probe", "sleep", "600")
    assert bundle.run("--detach").rc == 0
    r = runtime("exec", "--apparmor", "docker-default", bundle.id, "/bin/true")
    assert r.rc == 2 and "no AppArmor" in r.err
    proc = dict(bundle.config["process"], args=["/bin/true"], selinuxLabel="system_u:system_r:spc_t:s0")
    pf = tmp_path / "p.json"
    pf.write_text(json.dumps(proc))
    r = runtime("exec", "--process", str(pf), bundle.id)
    assert r.rc == 1 and "selinuxLabel" in r.err and "no SELinux" in r.err
    assert runtime("delete", "--force", bundle.id).rc == 0


def test_features_say_the_host_has_no_lsm(runtime):
    """linux.apparmor.enabled is the spec's "support built in"; the
    annotations say what this host has, and so that no profile is filled in."""
    r = runtime("features")
    assert r.rc == 0, r
    f = r.json()
    assert f["linux"]["apparmor"]["enabled"] is True
    ann = f["annotations"]
    assert ann["io.kapsel.apparmor.host"] == "disabled" and ann["io.kapsel.apparmor.defaultProfile"] == ""
    assert ann["io.kapsel.selinux.host"] == "disabled"


def test_no_profile_is_filled_in_without_apparmor(bundle, runtime, tmp_path):
    """The built-in policy's levels: B16 never fails here, nothing is added."""
    conf = tmp_path / "baseline.conf"
    conf.write_text(f"[policy]\nenforce = baseline\nwarn = baseline\naudit = restricted\n"
                    f"log = {tmp_path}/decisions.log\nsyslog = no\n")
    runtime.policy = str(conf)
    bundle.config["process"].pop("apparmorProfile", None)
    bundle.args("/bin/true")
    r = bundle.run()
    assert r.rc == 0 and "B16" not in r.err, r
    d = json.loads((tmp_path / "decisions.log").read_text().splitlines()[-1])
    assert not any(c.startswith("B16") for c in d["changes"]) and "B16" not in [x["rule"] for x in d["failed"]], d
