"""kapsel events, OOM kills, --health-on-failure and the hints, through kapsel
itself: a busybox image (tests/fixtures/mkrootfs.sh, made an OCI layout by
tests/fixtures/images/mkrunimage.py) loaded into a temporary --root, the
containers run in the foreground and detached, and what ROOT/events.log,
`kapsel events` and `kapsel inspect` say afterwards."""
import json
import os
import re
import select
import signal
import subprocess
import sys
import time

import pytest

from conftest import PERMISSIVE_POLICY, PROBE, REPO
from test_run import KAPSEL, Kapsel  # noqa: F401

sys.path.insert(0, os.path.join(REPO, "tests", "fixtures", "images"))
import mkrunimage  # noqa: E402


@pytest.fixture(scope="module")
def k(tmp_path_factory):
    base = tmp_path_factory.mktemp("events")
    rootfs = str(base / "rootfs")
    subprocess.run(["sh", os.path.join(REPO, "tests", "fixtures", "mkrootfs.sh"), rootfs, PROBE], check=True)
    tar = str(base / "ev.tar")
    mkrunimage.oci_image(tar, "kt/ev:1", [mkrunimage.dir_layer(rootfs)], {"Cmd": ["sh"], "Labels": {"team": "ev"}})
    kk = Kapsel(base / "store")
    kk.out("load", "-i", tar)
    yield kk
    for cid in kk.out("ps", "-aq", "--no-trunc").split():
        kk("rm", "-f", cid)
    from clients import umount_under
    umount_under(str(base / "store"))


def journal(k, cid=None):
    with open(os.path.join(k.root, "events.log")) as f:
        evs = [json.loads(line) for line in f]
    return [e for e in evs if cid is None or e["id"] == cid]


def now():
    return "%.9f" % time.time()


class Follower:
    """`kapsel events ARGS` running, its lines read as they come (os.read:
    no buffer of Python's hides a line from select)."""

    def __init__(self, k, *args):
        self.p = subprocess.Popen(k.argv("events", *args), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.buf = b""

    def line(self, timeout=30):
        while b"\n" not in self.buf:
            r, _, _ = select.select([self.p.stdout], [], [], timeout)
            assert r, "no event within %ss" % timeout
            data = os.read(self.p.stdout.fileno(), 65536)
            if not data:
                return ""
            self.buf += data
        ln, self.buf = self.buf.split(b"\n", 1)
        return ln.decode()

    def until(self, pred, timeout=30):
        seen = []
        while True:
            ln = self.line(timeout)
            assert ln, (seen, self.p.stderr.read())
            seen.append(ln)
            if pred(ln):
                return seen

    def stop(self):
        self.p.send_signal(signal.SIGINT)
        assert self.p.wait(10) == 0, self.p.stderr.read()


def test_a_foreground_run_and_rm_in_the_journal(k):
    t0 = now()
    p = k("run", "--name", "ev-fg", "kt/ev:1", "sh", "-c", "exit 3")
    assert p.returncode == 3, p.stderr
    cid = k.inspect("ev-fg")["Id"]
    k.out("rename", "ev-fg", "ev-fg2")
    k.out("rm", "ev-fg2")
    evs = journal(k, cid)
    assert [e["Action"] for e in evs] == ["create", "start", "die", "rename", "destroy"], evs
    die = evs[2]
    assert die["status"] == "die" and die["Type"] == "container" and die["from"] == "kt/ev:1"
    assert die["Actor"] == {"ID": cid, "Attributes": {"exitCode": "3", "image": "kt/ev:1", "name": "ev-fg",
                                                       "team": "ev"}}
    assert evs[3]["Actor"]["Attributes"]["name"] == "ev-fg2" and evs[3]["Actor"]["Attributes"]["oldName"] == "/ev-fg"
    assert die["time"] == die["timeNano"] // 10**9
    # the past: printed, and with an --until that is past, the command ends
    out = k.out("events", "--since", t0, "--until", now(), "--filter", "container=" + cid[:12])
    lines = out.splitlines()
    assert len(lines) == 5
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z container die %s "
                        r"\(exitCode=3, image=kt/ev:1, name=ev-fg, team=ev\)" % cid, lines[2]), lines[2]
    # filters: one key's values are alternatives, keys must all match
    out = k.out("events", "--since", t0, "--until", now(), "-f", "event=die", "-f", "event=destroy",
                "-f", "container=" + cid, "--format", "{{.Action}} {{.Actor.Attributes.exitCode}}")
    assert out.splitlines() == ["die 3", "destroy <no value>"]
    assert k.out("events", "--since", t0, "--until", now(), "-f", "type=image") == ""
    assert len(k.out("events", "--since", t0, "--until", now(), "-f", "label=team=ev",
                     "-f", "image=kt/ev:1", "-f", "container=" + cid).splitlines()) == 5
    assert k.out("events", "--since", t0, "--until", now(), "-f", "label=team=other") == ""
    js = k.out("events", "--since", t0, "--until", now(), "--format", "json", "-f", "container=" + cid)
    assert [json.loads(x) for x in js.splitlines()] == evs


def test_events_follows_new_ones_until_interrupted(k):
    f = Follower(k, "--since", now(), "--format", "json", "--filter", "container=ev-follow")
    try:
        k.out("run", "-d", "--name", "ev-follow", "--restart", "no", "kt/ev:1", "sh", "-c", "exit 0")
        seen = f.until(lambda ln: json.loads(ln)["Action"] == "die")
        assert [json.loads(x)["Action"] for x in seen] == ["create", "start", "die"]
        k.out("wait", "ev-follow")
        k.out("rm", "ev-follow")
        seen = f.until(lambda ln: True)
        assert json.loads(seen[0])["Action"] == "destroy"
    finally:
        f.stop()


def test_events_without_since_shows_only_new_ones_and_ends_at_until(k):
    k.out("run", "--rm", "kt/ev:1", "true")
    until = "%.9f" % (time.time() + 1.5)
    start = time.monotonic()
    f = Follower(k, "--until", until, "--format", "{{.Action}}")
    out, err = f.p.communicate(timeout=30)
    assert f.p.returncode == 0, err
    assert out == b""  # the run before is not shown
    assert 1.0 <= time.monotonic() - start < 10


def test_events_bad_arguments(k):
    p = k("events", "--filter", "colour=red")
    assert p.returncode == 2 and "colour" in p.stderr
    p = k("events", "--filter", "type=volume")
    assert p.returncode == 2 and "container, image and network" in p.stderr
    p = k("events", "--since", "yesterday")
    assert p.returncode == 2 and "--since yesterday" in p.stderr
    p = k("events", "--format", "{{range .}}")
    assert p.returncode == 2


def test_concurrent_appends_never_interleave(k):
    # sixteen detached containers, their supervisors and the kapsel commands
    # appending at once: every line is whole JSON
    ids = [k.out("run", "-d", "--restart", "no", "kt/ev:1", "true").strip() for _ in range(16)]
    for cid in ids:
        k.out("wait", cid)
    for cid in ids:
        k.out("rm", cid)
    with open(os.path.join(k.root, "events.log")) as f:
        for line in f:
            json.loads(line)
    for cid in ids:
        assert [e["Action"] for e in journal(k, cid)] == ["create", "start", "die", "destroy"]


def test_oom_killed_foreground_and_detached(k):
    p = k("run", "--name", "ev-oom", "--memory", "16m", "kt/ev:1", "/bin/probe", "try", "alloc", "200")
    assert p.returncode == 137, p.stderr
    st = k.inspect("ev-oom")["State"]
    assert st["OOMKilled"] is True and st["ExitCode"] == 137
    cid = k.inspect("ev-oom")["Id"]
    assert [e["Action"] for e in journal(k, cid)][-2:] == ["oom", "die"]
    k.out("rm", "ev-oom")
    cid = k.out("run", "-d", "--restart", "no", "--memory", "16m", "kt/ev:1", "/bin/probe", "try", "alloc",
                "200").strip()
    assert k.out("wait", cid).strip() == "137"
    assert k.inspect(cid)["State"]["OOMKilled"] is True
    assert "oom" in [e["Action"] for e in journal(k, cid)]
    k.out("rm", cid)
    # a run that stays within its memory is not
    p = k("run", "--name", "ev-nooom", "--memory", "16m", "kt/ev:1", "/bin/probe", "try", "alloc", "2")
    assert k.inspect("ev-nooom")["State"]["OOMKilled"] is False, p.stderr
    k.out("rm", "ev-nooom")


def test_health_on_failure_kill(k):
    cid = k.out("run", "-d", "--restart", "no", "--health-cmd", "false", "--health-interval", "100ms",
                "--health-retries", "1", "--health-on-failure", "kill", "kt/ev:1", "sleep", "1000").strip()
    assert k.out("wait", cid).strip() == "137"
    ins = k.inspect(cid)
    assert ins["Config"]["HealthcheckOnFailureAction"] == "kill"
    acts = [e["Action"] for e in journal(k, cid)]
    assert acts == ["create", "start", "health_status: unhealthy", "kill", "die"], acts
    k.out("rm", cid)


def test_health_on_failure_and_start_interval_flags(k):
    p = k("create", "--health-cmd", "true", "--health-on-failure", "explode", "kt/ev:1")
    assert p.returncode != 0 and "--health-on-failure explode" in p.stderr
    p = k("create", "--health-on-failure", "kill", "kt/ev:1")
    assert p.returncode != 0 and "no --health-cmd" in p.stderr
    cid = k.out("create", "--health-cmd", "true", "--health-start-period", "1m", "--health-start-interval", "2s",
                "--health-on-failure", "restart", "kt/ev:1").strip()
    hc = k.inspect(cid)["Config"]["Healthcheck"]
    assert hc["StartInterval"] == 2 * 10**9 and hc["StartPeriod"] == 60 * 10**9
    with open(os.path.join(k.root, "containers", cid, "supervise.json")) as f:
        sh = json.load(f)["healthcheck"]
    assert sh["start_interval_ns"] == 2 * 10**9 and sh["on_failure"] == "restart"
    k.out("rm", cid)


def test_hint_for_a_write_to_the_read_only_root(k):
    p = k("run", "--name", "ev-erofs", "kt/ev:1", "sh", "-c", "echo x > /file")
    assert p.returncode != 0
    assert "Read-only file system" in p.stderr
    assert "--read-only=false" in p.stderr.splitlines()[-1], p.stderr
    st = k.inspect("ev-erofs")["State"]
    assert "--read-only=false" in st["Hint"]
    k.out("rm", "ev-erofs")
    # the same write with --read-only=false (as the owner of /) works, and
    # nothing is hinted
    p = k("run", "--rm", "--read-only=false", "--user", "0", "kt/ev:1", "sh", "-c", "echo x > /file")
    assert p.returncode == 0 and "hint" not in p.stderr
    # detached: status.json has it, inspect shows it
    cid = k.out("run", "-d", "--restart", "no", "kt/ev:1", "sh", "-c", "echo x > /file").strip()
    k.out("wait", cid)
    assert "--read-only=false" in k.inspect(cid)["State"]["Hint"]
    k.out("rm", cid)


def test_hint_for_a_low_port_with_network_host(k):
    env = {"KAPSEL_POLICY": PERMISSIVE_POLICY}
    p = k("run", "--rm", "--network", "host", "kt/ev:1", "nc", "-l", "-p", "80", env=env)
    assert p.returncode != 0, p.stderr
    assert "--cap-add NET_BIND_SERVICE" in p.stderr.splitlines()[-1], p.stderr


def test_image_events(k):
    t0 = now()
    k.out("tag", "kt/ev:1", "kt/ev:other")
    k.out("rmi", "kt/ev:other")
    out = k.out("events", "--since", t0, "--until", now(), "--filter", "type=image",
                "--format", "{{.Type}} {{.Action}} {{.Actor.Attributes.name}}")
    assert out.splitlines() == ["image tag kt/ev:other", "image untag kt/ev:other"]
    evs = [e for e in journal(k) if e["Type"] == "image"]
    assert evs[0]["Action"] == "load" and evs[0]["id"].startswith("sha256:")
    assert evs[0]["Actor"]["Attributes"]["name"] == "kt/ev:1"
    # image= matches the image's events and its containers'
    assert k.out("events", "--since", t0, "--until", now(), "-f", "image=kt/ev:other",
                 "--format", "{{.Action}}").splitlines() == ["tag", "untag"]


def test_signals_passed_on_by_a_foreground_run_are_kill_events(k):
    f = Follower(k, "--since", now(), "--format", "json", "--filter", "container=ev-sig")
    try:
        p = subprocess.Popen(k.argv("run", "--name", "ev-sig", "kt/ev:1", "sh", "-c",
                                    "trap 'exit 7' TERM; echo ready; sleep 1000 & wait"),
                             stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        f.until(lambda ln: json.loads(ln)["Action"] == "start")
        # the trap is set (an init without a handler ignores SIGTERM)
        assert p.stdout.readline() == b"ready\n"
        p.send_signal(signal.SIGTERM)
        assert p.wait(30) == 7, p.stderr.read()
        seen = f.until(lambda ln: json.loads(ln)["Action"] == "die")
        kill = json.loads(seen[0])
        assert kill["Action"] == "kill" and kill["Actor"]["Attributes"]["signal"] == "15"
        assert json.loads(seen[-1])["Actor"]["Attributes"]["exitCode"] == "7"
    finally:
        f.stop()
    k.out("rm", "ev-sig")
