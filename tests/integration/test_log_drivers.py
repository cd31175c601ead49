"""The remote log drivers (syslog, journald, fluentd) and mode=non-blocking,
from the outside: containers run by `kapsel run` in a private --root with
--log-driver/--log-opt, their output received by a real private rsyslogd
(unixgram, udp, tcp), a journal-protocol receiver on a private datagram
socket, a forward-protocol (msgpack) receiver, and a TLS syslog receiver
with its own CA.  The tricky lines: invalid UTF-8, NUL, CR, a 1 MiB line,
a last line without a newline.  Receivers that stop reading or go away:
drops counted in inspect (non-blocking), the container held back
(blocking), and stop within 2 s either way."""
import json
import os
import re
import shutil
import socket
import ssl
import struct
import subprocess
import sys
import threading
import time

import pytest

from conftest import BUILD, PROBE, REPO, _inotify_wait

sys.path.insert(0, os.path.join(REPO, "tests", "fixtures", "images"))
import mkrunimage  # noqa: E402

KAPSEL = os.path.join(BUILD, "src", "kapsel", "kapsel")
CONF = os.path.join(REPO, "data", "kapsel.conf")
IMAGE = "kt/logs:1"

# what every container of the format tests writes
SCRIPT = (r"printf 'hello\n'; printf 'bad \377\376 utf8\n'; printf 'nul a\000b\n'; printf 'cr a\rb\n'; "
          r"printf 'to stderr\n' >&2; head -c 1048576 /dev/zero | tr '\000' x; echo; printf 'no newline'")
BIG = b"x" * (1 << 20)


class Kapsel:
    def __init__(self, root):
        self.root = str(root)

    def __call__(self, *args, check=False, timeout=120):
        e = dict(os.environ)
        e.pop("KAPSEL_POLICY", None)
        p = subprocess.run([KAPSEL, "--root", self.root, "--config", CONF, *args], capture_output=True, text=True,
                           env=e, timeout=timeout, stdin=subprocess.DEVNULL)
        if check:
            assert p.returncode == 0, (args, p.stdout, p.stderr)
        return p

    def out(self, *args, **kw):
        return self(*args, check=True, **kw).stdout

    def inspect(self, ref):
        return json.loads(self.out("inspect", ref))[0]

    def suplog(self, cid):
        """The supervisor's own messages (for failing asserts)."""
        try:
            with open(os.path.join(self.root, "containers", cid, "supervise.log")) as f:
                return f.read()
        except OSError:
            return ""

    def run(self, log_args, script, name=None):
        """`kapsel run -d` with LOG_ARGS; the container's full ID."""
        extra = ["--name", name] if name else []
        return self.out("run", "-d", "--restart", "no", *extra, *log_args, IMAGE, "sh", "-c", script).strip()


@pytest.fixture(scope="module")
def k(tmp_path_factory):
    base = tmp_path_factory.mktemp("logdrv")
    rootfs = str(base / "rootfs")
    subprocess.run(["sh", os.path.join(REPO, "tests", "fixtures", "mkrootfs.sh"), rootfs, PROBE], check=True)
    tar = str(base / "logs.tar")
    mkrunimage.oci_image(tar, IMAGE, [mkrunimage.dir_layer(rootfs)], {"Cmd": ["sh"]})
    k = Kapsel(base / "store")
    k.out("load", "-i", tar)
    k.base = base
    yield k
    for cid in k.out("ps", "-aq", "--no-trunc").split():
        k("rm", "-f", cid)
    from clients import umount_under
    umount_under(str(base / "store"))


def free_port(kind=socket.SOCK_STREAM):
    s = socket.socket(socket.AF_INET, kind)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


# ---- a private rsyslogd ----

class Rsyslog:
    """rsyslogd -n -f CONF on a private unix socket and 127.0.0.1 udp/tcp
    ports, every message one line of OUT: facility|severity|app-name|procid|
    msgid|hostname|msg."""

    def __init__(self, d):
        self.dir = d
        self.sock = os.path.join(d, "log.sock")
        self.out = os.path.join(d, "out.log")
        self.udp = free_port(socket.SOCK_DGRAM)
        portfile = os.path.join(d, "tcp.port")
        conf = os.path.join(d, "rsyslog.conf")
        with open(conf, "w") as f:
            f.write(f'''global(workDirectory="{d}" maxMessageSize="64k")
module(load="imuxsock" SysSock.Use="off")
input(type="imuxsock" Socket="{self.sock}" UseSpecialParser="off" UsePIDFromSystem="off")
module(load="imudp")
input(type="imudp" address="127.0.0.1" port="{self.udp}" rcvbufSize="16m")
module(load="imtcp")
input(type="imtcp" address="127.0.0.1" port="0" listenPortFileName="{portfile}")
template(name="t" type="string" string="%syslogfacility%|%syslogseverity%|%app-name%|%procid%|%msgid%|%hostname%|%msg%\\n")
*.* action(type="omfile" file="{self.out}" template="t")
''')
        self.p = subprocess.Popen(["rsyslogd", "-n", "-f", conf, "-i", os.path.join(d, "pid")],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        # ready: the unix socket made, the tcp port written once imtcp
        # listens, a udp probe through
        assert _inotify_wait(self.sock, 0x100, lambda: os.path.exists(self.sock), 10), "rsyslogd did not start"
        assert _inotify_wait(portfile, 0x100 | 0x8 | 0x80, lambda: self._port(portfile), 10), "no imtcp port"
        self.tcp = self._port(portfile)
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        for _ in range(50):  # a datagram sent before imudp binds is lost: again
            u.sendto(b"<14>1 - - probe - - - udp-ready", ("127.0.0.1", self.udp))
            if _inotify_wait(self.out, 0x2 | 0x100 | 0x8, lambda: any(b"udp-ready" in x for x in self.lines()), 0.2):
                break
        else:
            raise AssertionError("rsyslogd's imudp does not answer")
        u.close()

    @staticmethod
    def _port(path):
        try:
            with open(path) as f:
                return int(f.read().strip() or 0)
        except (OSError, ValueError):
            return 0

    def lines(self):
        try:
            with open(self.out, "rb") as f:
                return f.read().split(b"\n")[:-1]
        except FileNotFoundError:
            return []

    def wait_for(self, needle, timeout=20):
        def done():
            return any(needle in line for line in self.lines())
        assert _inotify_wait(self.out, 0x2 | 0x100 | 0x8, done, timeout), (needle, self.lines()[-5:])

    def stop(self):
        self.p.terminate()
        self.p.wait(10)


@pytest.fixture(scope="module")
def rsyslog(tmp_path_factory):
    if not shutil.which("rsyslogd"):
        pytest.skip("rsyslog is not installed (scripts/deps.sh test)")
    r = Rsyslog(str(tmp_path_factory.mktemp("rsyslog")))
    yield r
    r.stop()


def rsyslog_messages(r, app):
    """The messages of APP as (facility, severity, procid, msgid, hostname, msg)."""
    out = []
    for line in r.lines():
        f = line.split(b"|", 6)
        if f[2] == app:
            out.append((int(f[0]), int(f[1]), f[3], f[4], f[5], f[6]))
    return out


def check_tricky(msgs):
    """MSGS: (stream-ish severity, text) in order: the lines of SCRIPT as
    rsyslog keeps them (control characters escaped as #ooo)."""
    texts = [m for _, m in msgs]
    assert texts[0] == b"hello"
    assert texts[1] == b"bad \xff\xfe utf8"  # invalid UTF-8 as it came
    assert texts[2] == b"nul a#000b"          # rsyslog's escape of the NUL it got
    assert texts[3] == b"cr a#015b"
    big = b"".join(t for t in texts[4:-1])
    assert big == BIG                         # 64 pieces of 16 KiB, then the empty rest of the line
    assert texts[-1] == b"no newline"


@pytest.mark.parametrize("transport", ["unixgram", "udp", "tcp"])
def test_syslog_to_rsyslog(k, rsyslog, transport):
    addr = {"unixgram": f"unixgram://{rsyslog.sock}", "udp": f"udp://127.0.0.1:{rsyslog.udp}",
            "tcp": f"tcp://127.0.0.1:{rsyslog.tcp}"}[transport]
    name = f"sl-{transport}"
    cid = k.run(["--log-driver", "syslog", "--log-opt", f"syslog-address={addr}", "--log-opt",
                 "syslog-facility=local3", "--log-opt", "tag={{.Name}}-{{.ID}}"], SCRIPT, name=name)
    assert k.out("wait", cid).strip() == "0"
    app = f"{name}-{cid[:12]}".encode()
    rsyslog.wait_for(b"|" + app + b"|", 20)
    rsyslog.wait_for(b"no newline", 20)
    msgs = rsyslog_messages(rsyslog, app)
    assert {m[0] for m in msgs} == {19}  # local3
    assert {m[3] for m in msgs} == {app}  # MSGID: the tag too, as Docker
    assert {m[4] for m in msgs} == {socket.gethostname().encode()}
    out = [(m[1], m[5]) for m in msgs if m[1] == 6]
    err = [m[5] for m in msgs if m[1] == 3]
    assert err == [b"to stderr"]
    check_tricky(out)
    ins = k.inspect(cid)
    assert ins["HostConfig"]["LogConfig"]["Type"] == "syslog"
    assert ins["LogPath"].endswith(f"/{cid}-json.log")  # the local copy (dual logging)
    assert ins["State"]["LogDropped"] == {"Lines": 0, "Bytes": 0}
    if transport == "unixgram":
        check_local_copy(k, cid)


def check_local_copy(k, cid):
    """kapsel logs of a remote driver's container: its local copy, SCRIPT's
    output exactly as a json-file container's."""
    p = subprocess.run([KAPSEL, "--root", k.root, "--config", CONF, "logs", cid], capture_output=True, timeout=60)
    assert p.returncode == 0, p.stderr
    want = b"hello\nbad \xef\xbf\xbd\xef\xbf\xbd utf8\nnul a\x00b\ncr a\rb\n" + BIG + b"\nno newline"
    assert p.stdout == want
    assert p.stderr == b"to stderr\n"


def test_a_remote_drivers_local_copy_follows_its_options(k, rsyslog):
    addr = ["--log-driver", "syslog", "--log-opt", f"syslog-address=udp://127.0.0.1:{rsyslog.udp}"]
    # no copy: kapsel logs says where the lines are
    cid = k.run([*addr, "--log-opt", "cache-disabled=true"], "echo gone-out-only")
    k.out("wait", cid)
    rsyslog.wait_for(b"gone-out-only")
    assert k.inspect(cid)["LogPath"] == ""
    p = k("logs", cid)
    assert p.returncode != 0 and "keeps no local copy (cache-disabled)" in p.stderr, p.stderr
    # a small copy, rotated and not compressed, every line still sent
    tcp = ["--log-driver", "syslog", "--log-opt", f"syslog-address=tcp://127.0.0.1:{rsyslog.tcp}"]
    cid = k.run([*tcp, "--log-opt", "cache-max-size=10k", "--log-opt", "cache-max-file=2", "--log-opt",
                 "cache-compress=false", "--log-opt", "tag=rot-{{.ID}}"], "seq 1 2000")
    k.out("wait", cid)
    app = b"rot-" + cid[:12].encode()
    assert _inotify_wait(rsyslog.out, 0x2 | 0x100 | 0x8, lambda: len(rsyslog_messages(rsyslog, app)) == 2000, 20)
    d = os.path.dirname(k.inspect(cid)["LogPath"])
    names = sorted(n for n in os.listdir(d) if n.startswith(cid + "-json.log"))
    assert names == [cid + "-json.log", cid + "-json.log.1"], names
    kept = k.out("logs", cid).split()
    assert kept == [str(i) for i in range(2001 - len(kept), 2001)] and 100 < len(kept) < 2000
    for bad, want in [("cache-max-size=lots", "log.opts.cache-max-size"), ("cache-size=1m", "cache-disabled, "),
                      ("cache-disabled=maybe", "log.opts.cache-disabled")]:
        p = k("create", *addr, "--log-opt", bad, IMAGE, "true")
        assert p.returncode != 0 and want in p.stderr, (bad, p.stderr)


def test_syslog_rfc3164_and_micro(k, rsyslog):
    cid = k.run(["--log-driver", "syslog", "--log-opt", f"syslog-address=udp://127.0.0.1:{rsyslog.udp}",
                 "--log-opt", "syslog-format=rfc3164", "--log-opt", "tag=old-{{.ID}}"], "echo three-one-six-four")
    k.out("wait", cid)
    rsyslog.wait_for(b"three-one-six-four")
    line = [x for x in rsyslog.lines() if b"three-one-six-four" in x][0].split(b"|")
    assert line[0] == b"3" and line[1] == b"6"  # daemon.info, Docker's defaults
    assert line[2] == b"old-" + cid[:12].encode()
    cid = k.run(["--log-driver", "syslog", "--log-opt", f"syslog-address=tcp://127.0.0.1:{rsyslog.tcp}",
                 "--log-opt", "syslog-format=rfc5424micro"], "echo micro-seconds")
    k.out("wait", cid)
    rsyslog.wait_for(b"micro-seconds")
    line = [x for x in rsyslog.lines() if b"micro-seconds" in x][0].split(b"|")
    assert line[2] == cid[:12].encode()  # the default tag: {{.ID}}


def test_bad_log_options_fail_create(k):
    before = k.out("ps", "-aq")
    for opts, want in [
        (["--log-driver", "syslog", "--log-opt", "syslog-address=ftp://x"], "log.opts.syslog-address"),
        (["--log-driver", "syslog", "--log-opt", "syslog-format=rfc9999"], "rfc5424, rfc5424micro, rfc3164"),
        (["--log-driver", "syslog", "--log-opt", "tag={{.Nope}}"], "unknown field \".Nope\""),
        (["--log-driver", "fluentd", "--log-opt", "syslog-facility=daemon"], "unknown option for the fluentd"),
        (["--log-driver", "json-file", "--log-opt", "mode=sometimes"], "blocking, non-blocking"),
        (["--log-driver", "journald", "--log-opt", "max-buffer-size=lots"], "max-buffer-size"),
        (["--log-driver", "gelf"], "unknown driver \"gelf\""),
        (["--log-opt", "novalue"], "not KEY=VALUE"),
    ]:
        p = k("create", *opts, IMAGE, "true")
        assert p.returncode != 0 and want in p.stderr, (opts, p.stderr)
    assert k.out("ps", "-aq") == before


def test_syslog_receiver_missing_fails_the_start(k, tmp_path):
    p = k("run", "-d", "--log-driver", "syslog", "--log-opt", f"syslog-address=unixgram://{tmp_path}/nobody",
          IMAGE, "true")
    assert p.returncode != 0
    assert "syslog log to unixgram://" in p.stderr and "No such file or directory" in p.stderr, p.stderr


# ---- syslog over TLS, verified ----

@pytest.fixture(scope="module")
def tls_ca(tmp_path_factory):
    d = tmp_path_factory.mktemp("tls")
    key, cert = str(d / "key.pem"), str(d / "cert.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert,
                    "-days", "2", "-subj", "/CN=kapsel-test", "-addext", "subjectAltName=IP:127.0.0.1"],
                   check=True, capture_output=True)
    return key, cert


class TlsReceiver(threading.Thread):
    def __init__(self, key, cert):
        super().__init__(daemon=True)
        self.ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.ctx.load_cert_chain(cert, key)
        self.ls = socket.create_server(("127.0.0.1", 0))
        self.port = self.ls.getsockname()[1]
        self.data = b""
        self.conns = 0
        self.cur = None
        self.cond = threading.Condition()
        self.start()

    def run(self):
        while True:
            try:
                c, _ = self.ls.accept()
                s = self.ctx.wrap_socket(c, server_side=True)
            except (OSError, ssl.SSLError):
                continue
            with self.cond:
                self.conns += 1
                self.cur = s
                self.data += b"<connection>"
            while True:
                try:
                    b = s.recv(65536)
                except (OSError, ssl.SSLError):
                    break
                if not b:
                    break
                with self.cond:
                    self.data += b
                    self.cond.notify_all()

    def wait_for(self, needle, timeout=20):
        with self.cond:
            assert self.cond.wait_for(lambda: needle in self.data, timeout), self.data[-200:]


    def drop(self):
        """Reset the connection under the sender."""
        with self.cond:
            self.cur.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.cur.shutdown(socket.SHUT_RDWR)


def octets(data):
    """RFC 5425 frames: MSG-LEN SP MSG ..."""
    out = []
    while data:
        n, rest = data.split(b" ", 1)
        out.append(rest[:int(n)])
        data = rest[int(n):]
    return out


def test_syslog_tls_verified_against_its_ca(k, tls_ca):
    key, cert = tls_ca
    r = TlsReceiver(key, cert)
    cid = k.run(["--log-driver", "syslog", "--log-opt", f"syslog-address=tcp+tls://127.0.0.1:{r.port}",
                 "--log-opt", f"syslog-tls-ca-cert={cert}"], r"printf 'one\n9 <0>1 x\ntwo\n'")
    k.out("wait", cid)
    r.wait_for(b"two\n")
    frames = octets(r.data.replace(b"<connection>", b""))
    # a line that looks like a frame stays inside its own
    assert [f.split(b" - ", 1)[1] for f in frames] == [b"one\n", b"9 <0>1 x\n", b"two\n"]
    assert frames[0].startswith(b"<30>1 ")  # daemon.info, RFC 5424


def test_syslog_tls_refuses_an_unknown_ca(k, tls_ca):
    key, cert = tls_ca
    r = TlsReceiver(key, cert)
    # the system's CAs do not know the receiver's self-signed certificate
    p = k("run", "-d", "--log-driver", "syslog", "--log-opt", f"syslog-address=tcp+tls://127.0.0.1:{r.port}",
          IMAGE, "echo secret")
    assert p.returncode != 0
    assert "certificate" in p.stderr, p.stderr
    assert b"secret" not in r.data
    # skip-verify: the operator's explicit choice
    cid = k.run(["--log-driver", "syslog", "--log-opt", f"syslog-address=tcp+tls://127.0.0.1:{r.port}",
                 "--log-opt", "syslog-tls-skip-verify=true"], "echo unverified")
    k.out("wait", cid)
    r.wait_for(b"unverified")


def test_syslog_tls_reconnects(k, tls_ca):
    """The server drops the connection: the relay ends, the supervisor
    starts another and the lines go on."""
    key, cert = tls_ca
    r = TlsReceiver(key, cert)
    cid = k.run(["--log-driver", "syslog", "--log-opt", f"syslog-address=tcp+tls://127.0.0.1:{r.port}",
                 "--log-opt", f"syslog-tls-ca-cert={cert}"], "i=0; while :; do i=$((i+1)); echo tick$i; sleep 0.05; done")
    r.wait_for(b"tick3\n")
    r.drop()
    with r.cond:
        assert r.cond.wait_for(lambda: r.conns == 2 and r.data.rsplit(b"<connection>", 1)[1].count(b"tick") >= 3,
                               20), (r.data[-300:], k.suplog(cid))
    k.out("rm", "-f", cid)


# ---- journald: the native protocol on a private socket ----

class JournalReceiver(threading.Thread):
    def __init__(self, path):
        super().__init__(daemon=True)
        self.path = path
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.s.bind(path)
        self.s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
        self.entries = []
        self.cond = threading.Condition()
        self.start()

    @staticmethod
    def parse(data):
        fields = {}
        while data:
            nl = data.index(b"\n")
            eq = data.find(b"=", 0, nl)
            if eq >= 0:
                fields.setdefault(data[:eq].decode(), []).append(data[eq + 1:nl])
                data = data[nl + 1:]
            else:
                name = data[:nl].decode()
                (n,) = struct.unpack("<Q", data[nl + 1:nl + 9])
                fields.setdefault(name, []).append(data[nl + 9:nl + 9 + n])
                assert data[nl + 9 + n:nl + 10 + n] == b"\n"
                data = data[nl + 10 + n:]
        return {k: v[0] if len(v) == 1 else v for k, v in fields.items()}

    def run(self):
        while True:
            data, fds, _, _ = socket.recv_fds(self.s, 1 << 20, 4)
            for fd in fds:  # a big entry: a sealed memfd, as sd_journal_send sends it
                with os.fdopen(fd, "rb") as f:
                    data = f.read()
            with self.cond:
                self.entries.append(self.parse(data))
                self.cond.notify_all()

    def wait_for(self, pred, timeout=20):
        with self.cond:
            assert self.cond.wait_for(lambda: any(pred(e) for e in self.entries), timeout), self.entries[-3:]


def test_journald_native_protocol(k, tmp_path):
    sock = str(tmp_path / "journal.sock")
    r = JournalReceiver(sock)
    # a tag with a newline: the binary-safe field form
    cid = k.run(["--log-driver", "journald", "--log-opt", f"journald-socket={sock}", "--log-opt",
                 "tag=two\nlines {{.Name}}"], SCRIPT, name="jd")
    k.out("wait", cid)
    r.wait_for(lambda e: e["MESSAGE"] == b"no newline")
    ents = [e for e in r.entries if e["CONTAINER_ID_FULL"] == cid.encode()]
    first = ents[0]
    assert first["CONTAINER_ID"] == cid[:12].encode()
    assert first["CONTAINER_NAME"] == b"jd"
    assert first["IMAGE_NAME"] == IMAGE.encode()
    assert first["CONTAINER_TAG"] == b"two\nlines jd" == first["SYSLOG_IDENTIFIER"]
    out = [e for e in ents if e["PRIORITY"] == b"6"]
    err = [e for e in ents if e["PRIORITY"] == b"3"]
    assert [e["MESSAGE"] for e in err] == [b"to stderr"]
    msgs = [e["MESSAGE"] for e in out]
    assert msgs[:4] == [b"hello", b"bad \xff\xfe utf8", b"nul a\x00b", b"cr a\rb"]
    assert b"".join(msgs[4:-1]) == BIG
    assert all(e.get("CONTAINER_PARTIAL_MESSAGE") == b"true" for e in out[4:68])
    assert "CONTAINER_PARTIAL_MESSAGE" not in out[68]
    assert out[-1]["CONTAINER_PARTIAL_MESSAGE"] == b"true"  # no newline at the end: a piece
    assert k.inspect(cid)["State"]["LogDropped"]["Lines"] == 0


def test_journald_fields_cannot_be_forged(k, tmp_path):
    """The container writes what looks like journal fields: each line stays
    one MESSAGE, the priority and IDs the supervisor's."""
    sock = str(tmp_path / "journal.sock")
    r = JournalReceiver(sock)
    cid = k.run(["--log-driver", "journald", "--log-opt", f"journald-socket={sock}"],
                r"printf 'x\nPRIORITY=0\nCONTAINER_ID_FULL=forged\nnul\000PRIORITY=0\nMESSAGE\n'; printf 'end\n'")
    k.out("wait", cid)
    r.wait_for(lambda e: e["MESSAGE"] == b"end")
    ents = [e for e in r.entries if e.get("CONTAINER_ID_FULL") == cid.encode()]
    assert [e["MESSAGE"] for e in ents] == [b"x", b"PRIORITY=0", b"CONTAINER_ID_FULL=forged", b"nul\0PRIORITY=0",
                                            b"MESSAGE", b"end"]
    assert {e["PRIORITY"] for e in ents} == {b"6"}
    assert not [e for e in r.entries if e.get("CONTAINER_ID_FULL") == b"forged"]


# ---- fluentd: the forward protocol ----

class FluentReceiver(threading.Thread):
    """A forward-protocol server: [tag, time, record] events, unpacked
    with python3-msgpack.  READ=False: accepts but never reads.  ACK: it
    answers {"ack": chunk} to each event that asks; CUT_AT=N: the first
    connection is closed at its Nth event, unanswered."""

    def __init__(self, read=True, port=0, ack=False, cut_at=0):
        super().__init__(daemon=True)
        self.ack, self.cut_at = ack, cut_at
        self.ls = socket.create_server(("127.0.0.1", port))
        self.ls.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        self.port = self.ls.getsockname()[1]
        self.events = []
        self.cond = threading.Condition()
        self.reading = threading.Event()
        if read:
            self.reading.set()
        self.conns = []
        self.start()

    def run(self):
        import msgpack
        while True:
            try:
                c, _ = self.ls.accept()
            except OSError:
                return
            self.conns.append(c)
            threading.Thread(target=self.serve, args=(c, msgpack), daemon=True).start()

    def serve(self, c, msgpack):
        self.reading.wait()
        u = msgpack.Unpacker(raw=True)
        while True:
            try:
                b = c.recv(65536)
            except OSError:
                return
            if not b:
                return
            u.feed(b)
            for ev in u:
                with self.cond:
                    self.events.append(ev)
                    self.cond.notify_all()
                    cut = self.cut_at and len(self.events) == self.cut_at
                if cut:
                    c.close()
                    return
                if self.ack and len(ev) == 4:
                    c.sendall(msgpack.packb({"ack": ev[3][b"chunk"]}))

    def wait_for(self, pred, timeout=20, why=""):
        # each event is looked at once: a scan of all at every one of
        # 200,000 events would starve the reading thread (and the
        # supervisor's last send, which gives up on a receiver that takes
        # nothing for 1 s)
        seen = [0]

        def found():
            for e in self.events[seen[0]:]:
                if pred(e):
                    return True
            seen[0] = len(self.events)
            return False
        with self.cond:
            ok = self.cond.wait_for(found, timeout)
        assert ok, (len(self.events), self.events[-3:], why() if callable(why) else why)

    def close(self):
        """Gone: the listener shut (a close alone leaves the thread blocked
        in accept holding it open) and each connection reset."""
        try:
            self.ls.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.ls.close()
        for c in self.conns:
            try:
                c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            except OSError:
                pass  # closed before
            c.close()


def test_fluentd_forward_protocol(k):
    pytest.importorskip("msgpack")
    r = FluentReceiver()
    cid = k.run(["--log-driver", "fluentd", "--log-opt", f"fluentd-address=localhost:{r.port}", "--log-opt",
                 "fluentd-sub-second-precision=true"], SCRIPT, name="fl")
    k.out("wait", cid)
    r.wait_for(lambda e: e[2][b"log"] == b"no newline")
    import msgpack
    tag, t, rec = r.events[0]
    assert tag == cid[:12].encode()
    assert isinstance(t, msgpack.ExtType) and t.code == 0 and len(t.data) == 8  # EventTime
    assert abs(struct.unpack(">I", t.data[:4])[0] - time.time()) < 120
    assert rec[b"container_id"] == cid.encode() and rec[b"container_name"] == b"/fl"
    out = [e[2] for e in r.events if e[2][b"source"] == b"stdout"]
    err = [e[2] for e in r.events if e[2][b"source"] == b"stderr"]
    assert [e[b"log"] for e in err] == [b"to stderr"]
    logs = [e[b"log"] for e in out]
    assert logs[:4] == [b"hello", b"bad \xff\xfe utf8", b"nul a\x00b", b"cr a\rb"]
    assert b"".join(logs[4:-1]) == BIG
    assert out[4][b"partial_message"] == b"true" and b"partial_message" not in out[68]
    r.close()


def test_labels_and_env_become_fields(k, tmp_path):
    """Docker's labels, labels-regex, env, env-regex: the container's labels
    and variables they name are fields of every message; never one of the
    driver's own, never a journal's trusted (_) field, never what was not
    asked for."""
    sock = str(tmp_path / "journal.sock")
    r = JournalReceiver(sock)
    meta = ["--label", "com.example.team=web", "--label", "other=no", "--label", "_SYSTEMD_UNIT=forged",
            "--label", "message=forged", "--label", "zz.a=regex", "-e", "DEPLOY=blue", "-e", "SECRET=s3",
            "-e", "ENV_A=1", "-e", "ENV_B=2"]
    cid = k.run(["--log-driver", "journald", "--log-opt", f"journald-socket={sock}", *meta,
                 "--log-opt", "labels=com.example.team,_SYSTEMD_UNIT,message,missing",
                 "--log-opt", "labels-regex=^zz", "--log-opt", "env=DEPLOY", "--log-opt", "env-regex=^ENV_"],
                "echo with-fields")
    k.out("wait", cid)
    r.wait_for(lambda e: e["MESSAGE"] == b"with-fields")
    e = [x for x in r.entries if x["MESSAGE"] == b"with-fields"][0]
    assert e["COM_EXAMPLE_TEAM"] == b"web" and e["ZZ_A"] == b"regex"
    assert e["DEPLOY"] == b"blue" and e["ENV_A"] == b"1" and e["ENV_B"] == b"2"
    assert e["SYSTEMD_UNIT"] == b"forged" and "_SYSTEMD_UNIT" not in e  # no trusted field from a label
    assert "SECRET" not in e and "OTHER" not in e and "MISSING" not in e
    # one MESSAGE, the line's
    assert e["MESSAGE"] == b"with-fields"
    # the supervisor got the environment only because env was asked for
    sup = json.load(open(os.path.join(k.root, "containers", cid, "supervise.json")))
    assert "DEPLOY=blue" in sup["env"]
    cid2 = k.run(["--log-driver", "journald", "--log-opt", f"journald-socket={sock}", "-e", "SECRET=s3"],
                 "echo without")
    k.out("wait", cid2)
    sup = json.load(open(os.path.join(k.root, "containers", cid2, "supervise.json")))
    assert "env" not in sup and "labels" not in sup
    # fluentd: the record's keys as given
    pytest.importorskip("msgpack")
    f = FluentReceiver()
    cid = k.run(["--log-driver", "fluentd", "--log-opt", f"fluentd-address=localhost:{f.port}", *meta,
                 "--label", "log=forged", "--log-opt", "labels=com.example.team,log", "--log-opt", "env=DEPLOY"],
                "echo fluent-fields")
    k.out("wait", cid)
    f.wait_for(lambda ev: ev[2][b"log"] == b"fluent-fields")
    rec = [ev[2] for ev in f.events if ev[2][b"log"] == b"fluent-fields"][0]
    assert rec[b"com.example.team"] == b"web" and rec[b"DEPLOY"] == b"blue"
    assert set(rec) == {b"container_id", b"container_name", b"source", b"log", b"com.example.team", b"DEPLOY"}
    f.close()
    for opts, want in [(["--log-driver", "syslog", "--log-opt", "labels=a"], "has no fields to put them in"),
                       (["--log-driver", "journald", "--log-opt", "env-regex=(("], "POSIX extended regex")]:
        p = k("create", *opts, IMAGE, "true")
        assert p.returncode != 0 and want in p.stderr, (opts, p.stderr)


@pytest.mark.parametrize("when", ["running", "at-exit"])
def test_fluentd_request_ack_loses_nothing_when_the_receiver_dies(k, when):
    """fluentd-request-ack: each event is kept until its ack; the receiver
    closes the connection on the 50th without answering: that event comes
    again, same chunk, and every line is there, in order.  While the
    container runs (the loop reconnects) and when it has exited (the
    supervisor's last send reconnects)."""
    pytest.importorskip("msgpack")
    r = FluentReceiver(ack=True, cut_at=50)
    script = "seq 1 300; exec sleep 600" if when == "running" else "seq 1 300"
    cid = k.run(["--log-driver", "fluentd", "--log-opt", f"fluentd-address=localhost:{r.port}", "--log-opt",
                 "fluentd-request-ack=true", "--log-opt", "fluentd-retry-wait=100ms"], script)
    if when == "at-exit":
        k.out("wait", cid)
    r.wait_for(lambda e: e[2][b"log"] == b"300")
    if when == "running":
        k.out("kill", cid)
        k.out("wait", cid)
    evs = list(r.events)
    assert all(len(e) == 4 and len(e[3][b"chunk"]) == 32 for e in evs)
    chunks = [e[3][b"chunk"] for e in evs]
    assert chunks[49] == chunks[50] and len(set(chunks)) == 300  # the cut one, again; the rest once
    assert [e[2][b"log"] for e in evs[:50] + evs[51:]] == [str(i).encode() for i in range(1, 301)]
    assert k.inspect(cid)["State"]["LogDropped"]["Lines"] == 0
    # without the option: no chunk asked for
    r.close()
    r = FluentReceiver()
    cid = k.run(["--log-driver", "fluentd", "--log-opt", f"fluentd-address=localhost:{r.port}"], "echo plain")
    k.out("wait", cid)
    r.wait_for(lambda e: e[2][b"log"] == b"plain")
    assert len(r.events[0]) == 3
    r.close()


def pipe_drained(pid):
    """The container's stdout is all read: its writer done (it made
    /tmp/done after) and its pipe empty."""
    import fcntl
    import termios
    if not os.path.exists(f"/proc/{pid}/root/tmp/done"):
        return False
    fd = os.open(f"/proc/{pid}/fd/1", os.O_RDONLY | os.O_NONBLOCK)
    try:
        return struct.unpack("i", fcntl.ioctl(fd, termios.FIONREAD, b"\0" * 4))[0] == 0
    finally:
        os.close(fd)


def test_fluentd_buffer_limit_counts_events(k):
    """fluentd-buffer-limit: the events queued at most.  A receiver that does
    not read: 100,000 lines fit in a 64m buffer (and the kernel's), not in
    10 events; kept + dropped = all either way."""
    pytest.importorskip("msgpack")
    got = {}
    for limit in (None, "10"):
        r = FluentReceiver(read=False)
        opts = ["--log-driver", "fluentd", "--log-opt", f"fluentd-address=localhost:{r.port}", "--log-opt",
                "mode=non-blocking", "--log-opt", "max-buffer-size=64m", "--log-opt", "cache-disabled=true"]
        if limit:
            opts += ["--log-opt", f"fluentd-buffer-limit={limit}"]
        cid = k.run(opts, "seq 1 100000; touch /tmp/done; exec sleep 600")
        pid = k.inspect(cid)["State"]["Pid"]
        deadline = time.monotonic() + 30
        while not pipe_drained(pid):
            assert time.monotonic() < deadline, "the supervisor did not read the container's output"
            time.sleep(0.05)
        r.reading.set()
        k.out("kill", cid)
        k.out("wait", cid)
        # the supervisor sends what it holds, then its counters are final
        deadline = time.monotonic() + 30
        while True:
            dropped = k.inspect(cid)["State"]["LogDropped"]["Lines"]
            if len(r.events) + dropped >= 100000 or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        assert len(r.events) + dropped == 100000, (limit, len(r.events), dropped)
        assert [e[2][b"log"] for e in r.events[:3]] == [b"1", b"2", b"3"]
        got[limit] = dropped
        r.close()
    assert got[None] == 0 and got["10"] > 50000, got
    p = k("create", "--log-driver", "fluentd", "--log-opt", "fluentd-buffer-limit=0", IMAGE, "true")
    assert p.returncode != 0 and "a number of events from 1" in p.stderr


def test_fluentd_async_starts_without_a_receiver_and_delivers_later(k):
    pytest.importorskip("msgpack")
    port = free_port()
    cid = k.run(["--log-driver", "fluentd", "--log-opt", f"fluentd-address=tcp://127.0.0.1:{port}",
                 "--log-opt", "fluentd-async=true", "--log-opt", "fluentd-retry-wait=100ms", "--log-opt",
                 "tag=late"], "echo early; exec sleep 60")
    # synchronous mode refuses to start without a receiver, as Docker's does
    p = k("run", "-d", "--log-driver", "fluentd", "--log-opt", f"fluentd-address=127.0.0.1:{port}", IMAGE, "true")
    assert p.returncode != 0 and "Connection refused" in p.stderr, p.stderr
    r = FluentReceiver(port=port)
    r.wait_for(lambda e: e[2][b"log"] == b"early", 20, lambda: k.suplog(cid))
    assert r.events[0][0] == b"late"
    k.out("rm", "-f", cid)
    r.close()


def test_fluentd_max_retries_bounds_the_wait(k):
    """Blocking, and the receiver goes away: after fluentd-max-retries
    failed connects what waits is dropped (counted) and the container goes
    on, as Docker's fluentd logger gives up."""
    pytest.importorskip("msgpack")
    r = FluentReceiver(read=False)
    cid = k.run(["--log-driver", "fluentd", "--log-opt", f"fluentd-address=127.0.0.1:{r.port}", "--log-opt",
                 "fluentd-max-retries=1", "--log-opt", "fluentd-retry-wait=10ms"],
                "yes 0123456789 | head -n 100000; echo done")
    w = subprocess.Popen([KAPSEL, "--root", k.root, "--config", CONF, "wait", cid], stdout=subprocess.PIPE)
    with pytest.raises(subprocess.TimeoutExpired):
        w.wait(1)  # held back while the receiver is there but does not read
    r.close()
    assert w.communicate(timeout=30)[0].strip() == b"0"
    drop = k.inspect(cid)["State"]["LogDropped"]
    assert drop["Lines"] > 0, (drop, k.suplog(cid))
    assert "fluentd log:" in k.suplog(cid)


# ---- non-blocking, blocking, and stop when the receiver does not keep up ----

FLOOD = "yes 0123456789012345678901234567890123456789 | head -n 400000; echo flood-done"


def test_non_blocking_drops_and_counts(k):
    pytest.importorskip("msgpack")
    r = FluentReceiver(read=False)
    cid = k.run(["--log-driver", "fluentd", "--log-opt", f"fluentd-address=127.0.0.1:{r.port}", "--log-opt",
                 "mode=non-blocking", "--log-opt", "max-buffer-size=64k"], FLOOD)
    # 16 MB of lines against a receiver that reads nothing: the container
    # is not held back
    assert k.out("wait", cid, timeout=30).strip() == "0"
    drop = k.inspect(cid)["State"]["LogDropped"]
    assert drop["Lines"] > 100000 and drop["Bytes"] >= (drop["Lines"] - 1) * 40, drop
    # while the container runs: status.json has the counters within a second
    cid = k.run(["--log-driver", "fluentd", "--log-opt", f"fluentd-address=127.0.0.1:{r.port}", "--log-opt",
                 "mode=non-blocking"], "yes 0123456789 | head -n 400000; exec sleep 60")
    status = os.path.join(k.root, "containers", cid, "status.json")

    def dropped():
        with open(status) as f:
            return json.load(f)["log_dropped_lines"] > 10000
    assert _inotify_wait(status, 0x80 | 0x8, dropped, 20), k.suplog(cid)
    state = k.inspect(cid)["State"]
    assert state["Running"] and state["LogDropped"]["Lines"] > 10000, state
    k.out("rm", "-f", cid)
    r.reading.set()
    r.close()


def test_blocking_holds_the_container_back_and_loses_nothing(k):
    pytest.importorskip("msgpack")
    r = FluentReceiver(read=False)
    cid = k.run(["--log-driver", "fluentd", "--log-opt", f"fluentd-address=127.0.0.1:{r.port}"],
                "yes 0123456789 | head -n 200000; echo flood-done")
    # the receiver reads nothing: the container cannot get far
    w = subprocess.Popen([KAPSEL, "--root", k.root, "--config", CONF, "wait", cid], stdout=subprocess.PIPE)
    with pytest.raises(subprocess.TimeoutExpired):
        w.wait(2)
    assert k.inspect(cid)["State"]["Running"]
    r.reading.set()  # now it reads: everything arrives, in order
    assert w.wait(60) == 0
    r.wait_for(lambda e: e[2][b"log"] == b"flood-done", 60, lambda: k.suplog(cid))
    logs = [e[2][b"log"] for e in r.events]
    assert len(logs) == 200001 and set(logs[:-1]) == {b"0123456789"}
    assert k.inspect(cid)["State"]["LogDropped"]["Lines"] == 0
    r.close()


@pytest.mark.parametrize("how", ["not-reading", "gone"])
def test_stop_is_quick_whatever_the_receiver_does(k, how):
    pytest.importorskip("msgpack")
    r = FluentReceiver(read=False)
    cid = k.run(["--log-driver", "fluentd", "--log-opt", f"fluentd-address=127.0.0.1:{r.port}", "--log-opt",
                 "fluentd-retry-wait=50ms"], "yes still-writing")
    if how == "gone":
        r.close()  # the receiver goes away: refused from now on
    # the container is held back on a full log (blocking mode)
    w = subprocess.Popen([KAPSEL, "--root", k.root, "--config", CONF, "wait", cid], stdout=subprocess.PIPE)
    with pytest.raises(subprocess.TimeoutExpired):
        w.wait(1)
    t = time.monotonic()
    k.out("stop", "-t", "1", cid)
    took = time.monotonic() - t
    assert took <= 2.0, took
    assert w.wait(10) == 0
    assert k.inspect(cid)["State"]["Status"] == "exited"
    r.reading.set()
    r.close()


def test_kill_is_quick_with_a_stuck_syslog(k, tmp_path):
    # a unix datagram receiver that never reads: its queue fills, sends would block
    sock = str(tmp_path / "stuck.sock")
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    s.bind(sock)
    cid = k.run(["--log-driver", "syslog", "--log-opt", f"syslog-address=unixgram://{sock}"], "yes stuck")
    w = subprocess.Popen([KAPSEL, "--root", k.root, "--config", CONF, "wait", cid], stdout=subprocess.PIPE)
    with pytest.raises(subprocess.TimeoutExpired):
        w.wait(1)
    # held back, not buffering what the container writes: 64 KiB queued
    # and the rest of one 16 KiB read (here ~200 KiB of messages)
    with open(os.path.join(k.root, "containers", cid, "status.json")) as f:
        sup = json.load(f)["supervisor_pid"]
    with open(f"/proc/{sup}/status") as f:
        rss = int(re.search(r"VmRSS:\s+(\d+) kB", f.read()).group(1))
    assert rss <= 2048, f"kapsel-supervise uses {rss} kB"
    t = time.monotonic()
    k.out("kill", cid)
    assert w.communicate(timeout=10)[0].strip() == b"137"
    assert time.monotonic() - t <= 2.0
    s.close()
