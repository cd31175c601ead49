"""exec: a second process in a running container sees exactly the
restrictions of the first."""
import json
import os
import subprocess

from conftest import cgroup_procs, wait_exit

SAME = ("uid", "gid", "groups", "caps", "no_new_privs", "seccomp", "rlimits", "namespaces",
        "cgroup", "hostname", "umask")


def start_sleeper(bundle, runtime):
    bundle.args("/bin/probe", "sleep", "600")
    r = bundle.run("--detach")
    assert r.rc == 0, r
    return runtime.state(bundle.id)["pid"]


def test_exec_sees_the_same_restrictions(bundle, runtime, tmp_path):
    # the init reports on itself through a file, exec'd probe on stdout
    out = tmp_path / "out"
    out.mkdir()
    os.chmod(out, 0o777)
    bundle.config["mounts"].append({"destination": "/out", "type": "bind", "source": str(out),
                                    "options": ["bind", "rw"]})
    bundle.args("/bin/sh", "-c", "/bin/probe info > /out/init.json.tmp; mv /out/init.json.tmp /out/init.json;"
                " exec /bin/probe sleep 600")
    assert bundle.run("--detach").rc == 0
    from conftest import wait_file
    assert wait_file(out / "init.json")
    init = json.loads((out / "init.json").read_text())
    r = runtime("exec", bundle.id, "/bin/probe", "info")
    assert r.rc == 0, r
    ex = r.json()
    for k in SAME:
        assert ex[k] == init[k], k
    assert ex["seccomp"] == 2 and ex["no_new_privs"] is True
    assert ex["pid"] != init["pid"]
    # (equal "cgroup" lines inside the cgroup namespace: the same cgroup;
    # a process outside it would see "/.." paths)
    # and it does not get more: mount and mknod still fail
    r = runtime("exec", bundle.id, "/bin/probe", "try", "mknod", "/tmp/x")
    assert r.rc == 1 and r.json()["errno"] == 1
    assert runtime("delete", "--force", bundle.id).rc == 0


def test_exec_flags(bundle, runtime):
    start_sleeper(bundle, runtime)
    r = runtime("exec", "--user", "1000:1000", "--additional-gids", "2000", "--env", "FOO=bar",
                "--env", "PATH=/bin", "--cwd", "/tmp", "--cap", "CAP_KILL", bundle.id, "/bin/probe", "info")
    assert r.rc == 0, r
    info = r.json()
    assert info["uid"] == 1000 and info["gid"] == 1000 and info["groups"] == [2000]
    assert "FOO=bar" in info["env"] and "PATH=/bin" in info["env"]
    assert info["cwd"] == "/tmp"
    # --cap goes to bounding/effective/permitted; a non-root program loses
    # effective capabilities at execve (no ambient set): check as uid 0
    assert "CAP_KILL" in info["cap_names"]["bnd"] and info["cap_names"]["eff"] == []
    r = runtime("exec", "--user", "0:0", "--cap", "CAP_KILL", bundle.id, "/bin/probe", "info")
    assert r.json()["cap_names"]["eff"] == ["CAP_KILL", "CAP_NET_BIND_SERVICE"]
    assert runtime("exec", bundle.id, "/bin/probe", "exit", "7").rc == 7
    r = runtime("exec", bundle.id, "/bin/probe", "cat", input="piped\n")
    assert r.out == "piped\n"
    assert runtime("delete", "--force", bundle.id).rc == 0


def test_exec_process_file_and_detach(bundle, runtime, tmp_path):
    start_sleeper(bundle, runtime)
    proc = dict(bundle.config["process"])
    proc["args"] = ["/bin/probe", "sleep", "600"]
    proc["user"] = {"uid": 123, "gid": 456}
    pf = tmp_path / "process.json"
    pf.write_text(json.dumps(proc))
    pidfile = tmp_path / "exec.pid"
    r = runtime("exec", "--process", str(pf), "--detach", "--pid-file", str(pidfile), bundle.id)
    assert r.rc == 0, r
    pid = int(pidfile.read_text())
    # exec returns once the process is the program, never mid-setup
    status = open(f"/proc/{pid}/status").read()
    assert status.startswith("Name:\tprobe\n"), status
    assert "\nUid:\t123\t123\t123\t123\n" in status
    assert "\nNoNewPrivs:\t1\n" in status and "\nSeccomp:\t2\n" in status
    assert pid in cgroup_procs(bundle.id)
    assert runtime("delete", "--force", bundle.id).rc == 0
    assert wait_exit(pid)


def test_exec_errors(bundle, runtime, tmp_path):
    r = runtime("exec", "nosuch", "/bin/true")
    assert r.rc != 0 and "does not exist" in r.err
    start_sleeper(bundle, runtime)
    r = runtime("exec", bundle.id)
    assert r.rc == 2 and "command" in r.err
    r = runtime("exec", bundle.id, "/bin/nosuch")
    assert r.rc != 0 and "/bin/nosuch" in r.err
    r = runtime("exec", "--user", "root", bundle.id, "/bin/true")
    assert r.rc != 0 and "numeric" in r.err
    r = runtime("exec", "--cap", "CAP_FOO", bundle.id, "/bin/true")
    assert r.rc != 0 and "CAP_FOO" in r.err
    pf = tmp_path / "bad.json"
    pf.write_text('{"args": ["/bin/true"], "cwd": "relative", "user": {"uid": 0, "gid": 0}}')
    r = runtime("exec", "--process", str(pf), bundle.id)
    assert r.rc != 0 and "process.cwd" in r.err and "absolute" in r.err
    pid = runtime.state(bundle.id)["pid"]
    assert runtime("kill", bundle.id, "KILL").rc == 0
    assert wait_exit(pid)
    r = runtime("exec", bundle.id, "/bin/true")
    assert r.rc != 0 and "stopped" in r.err
    assert runtime("delete", bundle.id).rc == 0


def test_exec_tty_with_console_socket(bundle, runtime, tmp_path):
    import socket
    start_sleeper(bundle, runtime)
    sockpath = str(tmp_path / "c.sock")
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(sockpath)
    srv.listen(1)
    p = runtime.popen("exec", "--tty", "--detach", "--console-socket", sockpath, bundle.id, "/bin/probe", "info",
                      stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    conn, _ = srv.accept()
    _, fds, _, _ = socket.recv_fds(conn, 1024, 1)
    assert p.wait(timeout=30) == 0
    out = b""
    while True:
        try:
            chunk = os.read(fds[0], 65536)
        except OSError:
            break
        if not chunk:
            break
        out += chunk
    info = json.loads(out.decode().replace("\r\n", "\n"))
    assert info["isatty"]["stdout"] is True and info["tty"].startswith("/dev/pts/")
    os.close(fds[0])
    conn.close()
    srv.close()
    assert runtime("delete", "--force", bundle.id).rc == 0
