"""kapsel pull / push / login against registries that try to take the
credentials elsewhere: an upload Location on another host, a redirect to
another port, an auth file whose temp file an attacker laid out.  The
registries are small HTTP servers made here (plain HTTP, listed insecure),
so these run on any host without docker-registry."""
import base64
import http.server
import json
import os
import stat
import subprocess
import sys
import threading

import pytest

from conftest import BUILD, REPO

sys.path.insert(0, os.path.join(REPO, "tests", "fixtures", "images"))
import mkimages  # noqa: E402

KAPSEL = os.path.join(BUILD, "src", "kapsel", "kapsel")
USER, PASSWORD = "review", "s3cret-" + os.urandom(4).hex()
BASIC = "Basic " + base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()


def kapsel(root, *args, input=None, conf=None):
    glob = ["--root", str(root)] + (["--config", str(conf)] if conf else [])
    return subprocess.run([KAPSEL, *glob, *args], capture_output=True, text=True, input=input, timeout=120)


class Server:
    """An HTTP server on 127.0.0.1 that records (method, path,
    Authorization) and answers with ANSWER(handler) -> (code, headers, body)."""

    def __init__(self, answer):
        self.seen = []
        srv = self

        class H(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):
                pass

            def any(self):
                n = int(self.headers.get("Content-Length") or 0)
                if n:
                    self.rfile.read(n)
                srv.seen.append((self.command, self.path, self.headers.get("Authorization")))
                code, headers, body = answer(self)
                self.send_response(code)
                for k, v in headers:
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(body)

            do_GET = do_HEAD = do_PUT = do_POST = do_PATCH = any

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
        self.port = self.server.server_address[1]
        self.host = f"127.0.0.1:{self.port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def elsewhere():
    """The host the credentials must never reach."""
    s = Server(lambda h: (201, [("Docker-Content-Digest", "sha256:" + "0" * 64)], b""))
    yield s
    s.stop()


def basic_registry(route):
    """A registry asking for Basic auth; ROUTE(handler) answers the
    authorized requests other than GET /v2/ (None: 404)."""

    def answer(h):
        if h.headers.get("Authorization") != BASIC:
            return 401, [("WWW-Authenticate", 'Basic realm="review"')], b""
        if h.path == "/v2/":
            return 200, [], b"{}"
        return route(h) or (404, [], b'{"errors":[{"code":"NOT_FOUND"}]}')

    return Server(answer)


def logged_in(tmp_path, reg):
    conf = tmp_path / "kapsel.conf"
    conf.write_text(f"[registries]\ninsecure = {reg.host}\n")
    auth = str(tmp_path / "auth.json")
    p = kapsel(tmp_path / "unused", "login", "--authfile", auth, "-u", USER, "--password-stdin", reg.host,
               input=PASSWORD, conf=conf)
    assert p.returncode == 0, p.stderr
    return conf, auth


def leaked(server):
    return [x for x in server.seen if x[2]]


@pytest.mark.parametrize("trick", ["userinfo", "other-port"])
def test_upload_location_on_another_host_gets_no_credentials(tmp_path, elsewhere, trick):
    """POST /blobs/uploads/ answers with a Location that starts like the
    registry's URL but names another host (userinfo: http://REG@OTHER/) or
    is simply another port: the push stops and OTHER sees no request."""
    def route(h):
        if h.command == "POST" and "/blobs/uploads/" in h.path:
            base = f"http://{reg.host}@{elsewhere.host}" if trick == "userinfo" else f"http://{elsewhere.host}"
            return 202, [("Location", base + "/v2/x/blobs/uploads/1")], b""
        return None

    reg = basic_registry(route)
    try:
        conf, auth = logged_in(tmp_path, reg)
        layout = str(tmp_path / "img")
        [ident] = mkimages.oci_layout(layout, [("1", [mkimages.layer({"etc/x": b"x\n"})])], "gzip", as_dir=True)
        root = tmp_path / "store"
        assert kapsel(root, "load", "-i", layout).returncode == 0
        p = kapsel(root, "push", "--authfile", auth, ident, f"{reg.host}/x:1", conf=conf)
        assert p.returncode == 1, p.stdout
        assert "is not on" in p.stderr and "Location" in p.stderr, p.stderr
        assert any(m == "POST" for (m, _, _) in reg.seen)
        assert elsewhere.seen == []
    finally:
        reg.stop()


def test_redirect_to_another_port_drops_the_credentials(tmp_path, elsewhere):
    """A manifest GET redirected (307) to another port: curl follows it,
    but without the Authorization header (a different origin)."""
    def route(h):
        if h.command == "GET" and "/manifests/" in h.path:
            return 307, [("Location", f"http://{elsewhere.host}{h.path}")], b""
        return None

    reg = basic_registry(route)
    try:
        conf, auth = logged_in(tmp_path, reg)
        p = kapsel(tmp_path / "store", "pull", "--authfile", auth, f"{reg.host}/x:1", conf=conf)
        assert p.returncode == 1
        assert [m for (m, _, _) in elsewhere.seen] == ["GET"], elsewhere.seen
        assert leaked(elsewhere) == []
    finally:
        reg.stop()


def test_auth_file_temp_planted_by_another_user(tmp_path):
    """The auth file's directory holds a world-readable file (or a symlink)
    where kapsel would stage the new auth file: the credentials still land
    0600 in the auth file itself, and the planted file gets none of them."""
    reg = basic_registry(lambda h: None)
    try:
        conf = tmp_path / "kapsel.conf"
        conf.write_text(f"[registries]\ninsecure = {reg.host}\n")
        d = tmp_path / "authdir"
        d.mkdir()
        auth = d / "auth.json"
        planted = d / "auth.json.tmp"
        planted.write_text("")
        os.chmod(planted, 0o666)
        target = tmp_path / "elsewhere"
        target.write_text("")
        os.chmod(target, 0o644)
        p = kapsel(tmp_path / "unused", "login", "--authfile", str(auth), "-u", USER, "--password-stdin", reg.host,
                   input=PASSWORD, conf=conf)
        assert p.returncode == 0, p.stderr
        assert stat.S_IMODE(os.stat(auth).st_mode) == 0o600
        assert json.load(open(auth))["auths"][reg.host]["auth"]
        assert PASSWORD not in open(planted).read() if planted.exists() else True
        # and through a symlink where the temp file goes
        os.unlink(auth)
        if planted.exists():
            os.unlink(planted)
        os.symlink(target, planted)
        p = kapsel(tmp_path / "unused", "login", "--authfile", str(auth), "-u", USER, "--password-stdin", reg.host,
                   input=PASSWORD, conf=conf)
        assert p.returncode == 0, p.stderr
        assert target.read_text() == ""
        assert stat.S_IMODE(os.lstat(auth).st_mode) == 0o600 and not os.path.islink(auth)
    finally:
        reg.stop()
