"""create / start / state / kill / delete / run, checked from outside and,
with the probe, from inside."""
import json
import os
import signal
import subprocess
import time

from conftest import cgroup_dirs, cgroup_procs, run_in_pty, wait_exit, wait_file


def test_run_default_spec_is_hardened(bundle):
    r, info = bundle.probe("info")
    assert r.rc == 0, r
    assert info["uid"] == 65534 and info["gid"] == 65534
    assert info["cap_names"]["eff"] == [] and info["cap_names"]["prm"] == []
    assert info["cap_names"]["bnd"] == ["CAP_NET_BIND_SERVICE"]
    assert info["no_new_privs"] is True
    assert info["seccomp"] == 2
    assert info["hostname"] == "kapsel"
    mounts = {m["mountpoint"]: m for m in info["mounts"]}
    assert mounts["/"]["options"].split(",")[0] == "ro"
    for tmp in ("/tmp", "/run"):
        opts = mounts[tmp]["options"].split(",")
        assert mounts[tmp]["fstype"] == "tmpfs"
        assert {"nosuid", "nodev", "noexec"} <= set(opts), opts
    assert info["rlimits"]["RLIMIT_NOFILE"] == {"soft": 1024, "hard": 1024}
    assert info["cwd"] == "/"
    # every namespace but user and time differs from ours
    for ns in ("mnt", "pid", "net", "ipc", "uts", "cgroup"):
        assert info["namespaces"][ns] != os.readlink(f"/proc/self/ns/{ns}"), ns


def test_exit_status_is_the_programs(bundle):
    bundle.args("/bin/probe", "exit", "42")
    assert bundle.run().rc == 42



def test_run_reports_death_by_signal(bundle, runtime):
    # the init of a pid namespace ignores its own SIGKILL: send it from outside
    bundle.args("/bin/probe", "signals")
    bundle.write()
    p = runtime.popen("run", "--bundle", bundle.path, bundle.id, stdout=subprocess.PIPE, text=True)
    assert p.stdout.readline() == "ready\n"
    assert runtime("kill", bundle.id, "KILL").rc == 0
    p.communicate(timeout=30)
    assert p.returncode == 128 + 9


def test_stdio_passes_through(bundle):
    bundle.args("/bin/probe", "cat")
    r = bundle.run(input="hello through the container\n")
    assert r.rc == 0, r
    assert r.out == "hello through the container\n"
    bundle.args("/bin/sh", "-c", "echo to-stderr >&2")
    r = bundle.run()
    assert r.err.endswith("to-stderr\n"), r


def test_lifecycle_states_and_the_program_waits_for_start(bundle, runtime, tmp_path):
    shared = tmp_path / "shared"
    shared.mkdir()
    os.chmod(shared, 0o777)
    bundle.config["mounts"].append({"destination": "/shared", "type": "bind", "source": str(shared),
                                    "options": ["bind", "rw"]})
    bundle.args("/bin/sh", "-c", "echo started > /shared/mark.tmp; mv /shared/mark.tmp /shared/mark; "
                "exec /bin/probe sleep 600")
    r = bundle.create()
    assert r.rc == 0, r
    st = runtime.state(bundle.id)
    assert st["status"] == "created"
    assert st["pid"] > 0 and st["bundle"] == bundle.path
    assert os.path.exists(f"/proc/{st['pid']}")
    # created: the program has not run
    assert not (shared / "mark").exists()
    assert cgroup_dirs("/kapsel/" + bundle.id), "no cgroup for the container"
    assert cgroup_procs(bundle.id) == [st["pid"]]
    assert runtime("start", bundle.id).rc == 0
    assert wait_file(shared / "mark")
    assert (shared / "mark").read_text() == "started\n"
    assert runtime.state(bundle.id)["status"] == "running"
    # a second start is refused
    r = runtime("start", bundle.id)
    assert r.rc != 0 and "running" in r.err
    # delete of a running container is refused without --force
    r = runtime("delete", bundle.id)
    assert r.rc != 0 and "running" in r.err
    assert runtime("kill", bundle.id, "KILL").rc == 0
    assert wait_exit(st["pid"])
    assert runtime.state(bundle.id)["status"] == "stopped"
    assert runtime("delete", bundle.id).rc == 0
    assert runtime.ids() == []
    assert not cgroup_dirs("/kapsel/" + bundle.id)
    r = runtime("state", bundle.id)
    assert r.rc != 0 and "does not exist" in r.err


def test_delete_force_kills_everything(bundle, runtime, tmp_path):
    bundle.args("/bin/sh", "-c", "/bin/probe sleep 600 & /bin/probe sleep 600 & exec /bin/probe signals")
    assert bundle.run("--detach").rc == 0
    st = runtime.state(bundle.id)
    assert st["status"] == "running"
    pids = cgroup_procs(bundle.id)
    assert st["pid"] in pids
    assert runtime("delete", "--force", bundle.id).rc == 0
    for p in pids:
        assert wait_exit(p, timeout=0)
    assert not cgroup_dirs("/kapsel/" + bundle.id)
    assert runtime.ids() == []


def test_kill_signal(bundle, runtime):
    bundle.args("/bin/probe", "signals")
    assert bundle.run("--detach").rc == 0
    # a bad signal name is a usage error
    r = runtime("kill", bundle.id, "SIGBOGUS")
    assert r.rc == 2 and "unknown signal" in r.err
    pid = runtime.state(bundle.id)["pid"]
    assert runtime("kill", bundle.id, "USR1").rc == 0
    assert wait_exit(pid)
    assert runtime.state(bundle.id)["status"] == "stopped"
    r = runtime("kill", bundle.id, "TERM")
    assert r.rc != 0 and "not running" in r.err
    assert runtime("delete", bundle.id).rc == 0


def test_kill_all_reaches_every_process(bundle, runtime):
    # the init ignores SIGTERM (probe signals does not wait for it here):
    # sh traps it, the sleepers die of it
    bundle.args("/bin/sh", "-c", "trap '' TERM; /bin/probe sleep 600 & /bin/probe sleep 600 & wait")
    assert bundle.run("--detach").rc == 0
    pid = runtime.state(bundle.id)["pid"]
    pids = cgroup_procs(bundle.id)
    assert len(pids) >= 1
    assert runtime("kill", "--all", bundle.id, "KILL").rc == 0
    for p in pids:
        assert wait_exit(p)
    assert cgroup_procs(bundle.id) == []
    assert wait_exit(pid)
    assert runtime("delete", bundle.id).rc == 0


def test_run_forwards_signals(bundle, runtime):
    bundle.args("/bin/probe", "signals")
    bundle.write()
    p = runtime.popen("run", "--bundle", bundle.path, bundle.id, stdout=subprocess.PIPE, text=True)
    assert p.stdout.readline() == "ready\n"
    p.send_signal(signal.SIGUSR1)
    out, _ = p.communicate(timeout=30)
    assert out == "SIGUSR1\n"
    assert p.returncode == 128 + signal.SIGUSR1
    assert runtime.ids() == []


def test_pid_file_and_list(bundle, runtime, tmp_path):
    bundle.args("/bin/probe", "sleep", "600")
    pidfile = tmp_path / "pid"
    assert bundle.create("--pid-file", str(pidfile)).rc == 0
    st = runtime.state(bundle.id)
    assert int(pidfile.read_text()) == st["pid"]
    r = runtime("list", "--format", "json")
    assert r.rc == 0, r
    lst = r.json()
    assert [c["id"] for c in lst] == [bundle.id]
    assert lst[0]["status"] == "created" and lst[0]["pid"] == st["pid"]
    r = runtime("list")
    assert bundle.id in r.out and "created" in r.out
    assert runtime("list", "-q").out.split() == [bundle.id]
    assert runtime("delete", bundle.id).rc == 0


def test_annotations_in_state(bundle, runtime):
    bundle.config["annotations"] = {"org.example.key": "va\"lue"}
    bundle.args("/bin/probe", "sleep", "600")
    assert bundle.create().rc == 0
    assert runtime.state(bundle.id)["annotations"] == {"org.example.key": "va\"lue"}
    assert runtime("delete", "--force", bundle.id).rc == 0


def test_hooks_get_state_and_run_in_order(bundle, runtime, tmp_path):
    log = tmp_path / "hooks.log"
    hook = tmp_path / "hook.sh"
    hook.write_text("#!/bin/sh\necho \"$1 $(cat)\" >> %s\n" % log)
    hook.chmod(0o755)
    bundle.config["hooks"] = {
        k: [{"path": str(hook), "args": ["hook.sh", k]}]
        for k in ("prestart", "createRuntime", "poststart", "poststop")
    }
    bundle.args("/bin/true")
    r = bundle.run()
    assert r.rc == 0, r
    lines = log.read_text().splitlines()
    assert [l.split(" ", 1)[0] for l in lines] == ["prestart", "createRuntime", "poststart", "poststop"]
    states = [json.loads(l.split(" ", 1)[1]) for l in lines]
    assert all(s["id"] == bundle.id for s in states)
    # prestart and createRuntime: "created", as runtime-tools' hooks_stdin expects
    assert states[0]["status"] == states[1]["status"] == "created" and states[0]["pid"] > 0
    assert states[2]["status"] == "running"
    assert states[3]["status"] == "stopped"


def test_failing_hook_fails_create_and_leaves_nothing(bundle, runtime):
    bundle.config["hooks"] = {"createRuntime": [{"path": "/bin/false"}]}
    bundle.args("/bin/true")
    r = bundle.create()
    assert r.rc != 0
    assert "hooks.createRuntime[0]" in r.err and "exited with status 1" in r.err
    assert runtime.ids() == []
    assert not cgroup_dirs("/kapsel/" + bundle.id)


def test_hook_timeout(bundle, runtime):
    bundle.config["hooks"] = {"prestart": [{"path": "/bin/sleep", "args": ["sleep", "30"], "timeout": 1}]}
    bundle.args("/bin/true")
    t = time.monotonic()
    r = bundle.run()
    assert r.rc != 0 and "timeout of 1 s" in r.err
    assert time.monotonic() - t < 20
    assert runtime.ids() == []


def test_console_socket_gives_a_terminal(bundle, runtime, tmp_path):
    import array
    import socket
    sockpath = str(tmp_path / "console.sock")
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(sockpath)
    srv.listen(1)
    bundle.config["process"]["terminal"] = True
    bundle.args("/bin/probe", "info")
    r = bundle.create("--console-socket", sockpath)
    assert r.rc == 0, r
    conn, _ = srv.accept()
    msg, fds, _, _ = socket.recv_fds(conn, 1024, 1)
    assert len(fds) == 1
    master = fds[0]
    assert runtime("start", bundle.id).rc == 0
    out = b""
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:
            break
        if not chunk:
            break
        out += chunk
    info = json.loads(out.decode().replace("\r\n", "\n"))
    assert info["isatty"] == {"stdin": True, "stdout": True, "stderr": True}
    assert info["tty"].startswith("/dev/pts/")
    os.close(master)
    conn.close()
    srv.close()
    runtime("delete", "--force", bundle.id)


def test_terminal_without_console_socket_is_refused_for_create(bundle, runtime):
    bundle.config["process"]["terminal"] = True
    bundle.args("/bin/true")
    r = bundle.create()
    assert r.rc != 0 and "--console-socket is required" in r.err
    assert runtime.ids() == []


def test_run_with_a_terminal_relays_it(bundle, runtime):
    # no --console-socket: `run` holds the pty itself and relays our terminal
    bundle.config["process"]["terminal"] = True
    bundle.args("/bin/sh", "-c", "tty; read line; echo got:$line; exit 5")
    bundle.write()
    code, out = run_in_pty(runtime.cmd("run", "--bundle", bundle.path, bundle.id),
                           answer=(b"/dev/pts/", b"hello\n"))
    assert code == 5, out
    assert b"/dev/pts/" in out and b"got:hello" in out


def test_run_with_a_terminal_and_stdin_at_end_of_file(bundle, runtime):
    # stdin ends at once (/dev/null), then the terminal hangs up as the
    # program exits: the relay drops both sources without touching either
    # again (a use-after-free the ASan run of this test catches)
    bundle.config["process"]["terminal"] = True
    bundle.args("/bin/sh", "-c", "echo out; read x; exit 3")  # read ends at our ^D
    bundle.write()
    for _ in range(3):
        cid = bundle.id + "x" + str(_)
        r = runtime("run", "--bundle", bundle.path, cid, stdin=subprocess.DEVNULL)
        assert r.rc == 3 and "out" in r.out, r
        assert "AddressSanitizer" not in r.err, r


def test_container_hooks_run_inside(bundle, runtime, tmp_path):
    # createContainer: in the container's mount namespace, before
    # pivot_root (host paths still reachable); startContainer: inside the
    # container after start, its path resolved in the container
    shared = tmp_path / "shared"
    shared.mkdir()
    os.chmod(shared, 0o777)
    bundle.config["mounts"].append({"destination": "/shared", "type": "bind", "source": str(shared),
                                    "options": ["bind", "rw"]})
    bundle.config["hooks"] = {
        "createContainer": [{"path": "/bin/sh", "args": [
            "sh", "-c", f"cat > {shared}/create.json; readlink /proc/self/ns/mnt > {shared}/create.ns"]}],
        "startContainer": [{"path": "/bin/sh", "args": [
            "sh", "-c", "cat > /shared/start.json; hostname > /shared/start.host"]}],
    }
    bundle.args("/bin/true")
    r = bundle.run()
    assert r.rc == 0, r
    created = json.loads((shared / "create.json").read_text())
    assert created["id"] == bundle.id and created["status"] == "creating"
    assert (shared / "create.ns").read_text().strip() != os.readlink("/proc/self/ns/mnt")
    started = json.loads((shared / "start.json").read_text())
    assert started["id"] == bundle.id and started["status"] == "running"
    # the startContainer hook ran in the container's uts namespace
    assert (shared / "start.host").read_text().strip() == "kapsel"
