"""A real registry for the pull/push tests: Debian's `docker-registry`
(distribution 2.8) on 127.0.0.1 at a free port, with its own storage
directory, TLS from a CA made here (openssl) and htpasswd auth, or plain
HTTP without auth; and a small HTTP proxy in front of one that can demand
Bearer tokens (its own token service) or cut a blob download in the middle.
"""
import http.client
import http.server
import json
import os
import shutil
import socket
import subprocess
import threading
import time

import pytest

REGISTRY = shutil.which("docker-registry") or "/usr/bin/docker-registry"
USER, PASSWORD = "alice", "s3cret-pass"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def client_cert(d, ca, ca_key):
    """A client certificate signed by the CA (Docker's client.cert/client.key)."""
    run = lambda *a: subprocess.run(a, check=True, capture_output=True)  # noqa: E731
    key, csr, crt = (os.path.join(d, x) for x in ("client.key", "client.csr", "client.cert"))
    run("openssl", "req", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", csr, "-subj", "/CN=kapsel-client")
    run("openssl", "x509", "-req", "-in", csr, "-CA", ca, "-CAkey", ca_key, "-CAcreateserial", "-out", crt,
        "-days", "2")
    return crt, key


def make_ca(d):
    """A CA and a server certificate for 127.0.0.1 signed by it."""
    run = lambda *a: subprocess.run(a, check=True, capture_output=True)  # noqa: E731
    ca_key, ca, key, csr, crt = (os.path.join(d, x) for x in ("ca.key", "ca.crt", "srv.key", "srv.csr", "srv.crt"))
    run("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", ca_key, "-out", ca, "-days", "2",
        "-subj", "/CN=kapsel test CA")
    run("openssl", "req", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", csr, "-subj", "/CN=127.0.0.1")
    ext = os.path.join(d, "ext")
    with open(ext, "w") as f:
        f.write("subjectAltName=IP:127.0.0.1,DNS:localhost\n")
    run("openssl", "x509", "-req", "-in", csr, "-CA", ca, "-CAkey", ca_key, "-CAcreateserial", "-out", crt,
        "-days", "2", "-extfile", ext)
    return ca, crt, key


class Registry:
    def __init__(self, d, tls=True, auth=True, mtls=False):
        self.dir, self.tls, self.auth = str(d), tls, auth
        os.makedirs(self.dir, exist_ok=True)
        self.port = free_port()
        self.host = f"127.0.0.1:{self.port}"
        self.storage = os.path.join(self.dir, "data")
        self.certs = os.path.join(self.dir, "certs.d")       # kapsel's --certs-dir
        lines = ["version: 0.1", "log: {level: error}",
                 f"storage: {{filesystem: {{rootdirectory: {self.storage}}}, delete: {{enabled: true}}}}",
                 "http:", f"  addr: {self.host}"]
        if tls:
            self.ca, crt, key = make_ca(self.dir)
            os.makedirs(os.path.join(self.certs, self.host))
            shutil.copy(self.ca, os.path.join(self.certs, self.host, "ca.crt"))
            if mtls:   # clients must show a certificate of the CA
                client_cert(os.path.join(self.certs, self.host), self.ca, os.path.join(self.dir, "ca.key"))
                lines.append(f"  tls: {{certificate: {crt}, key: {key}, clientcas: [{self.ca}]}}")
            else:
                lines.append(f"  tls: {{certificate: {crt}, key: {key}}}")
        if auth:
            htp = os.path.join(self.dir, "htpasswd")
            with open(htp, "w") as f:
                f.write(subprocess.run(["htpasswd", "-Bbn", USER, PASSWORD], check=True, capture_output=True,
                                       text=True).stdout)
            lines += ["auth:", f"  htpasswd: {{realm: kapsel-test, path: {htp}}}"]
        self.config = os.path.join(self.dir, "config.yml")
        with open(self.config, "w") as f:
            f.write("\n".join(lines) + "\n")
        self.log = open(os.path.join(self.dir, "registry.log"), "w")
        self.proc = subprocess.Popen([REGISTRY, "serve", self.config], stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                break
            except OSError:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError("docker-registry did not start: " + open(self.log.name).read())
                time.sleep(0.05)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)
        self.log.close()

    def skopeo_flags(self, direction):
        """skopeo's flags to reach this registry as source or destination."""
        f = []
        if self.tls:
            f.append(f"--{direction}-cert-dir={os.path.join(self.certs, self.host)}")
        else:
            f.append(f"--{direction}-tls-verify=false")
        if self.auth:
            f.append(f"--{direction}-creds={USER}:{PASSWORD}")
        return f

    def skopeo_copy(self, src, dst, *extra, to_registry=True):
        flags = self.skopeo_flags("dest" if to_registry else "src")
        p = subprocess.run(["skopeo", "copy", "--quiet", *flags, *extra, src, dst], capture_output=True, text=True,
                           timeout=120)
        assert p.returncode == 0, p.stderr
        return p

    def blob_path(self, digest):
        hexd = digest.split(":", 1)[1]
        return os.path.join(self.storage, "docker", "registry", "v2", "blobs", "sha256", hexd[:2], hexd, "data")


@pytest.fixture(scope="module")
def registry(tmp_path_factory):
    r = Registry(tmp_path_factory.mktemp("registry-tls"))
    yield r
    r.stop()


@pytest.fixture(scope="module")
def plain_registry(tmp_path_factory):
    r = Registry(tmp_path_factory.mktemp("registry-plain"), tls=False, auth=False)
    yield r
    r.stop()


class Proxy:
    """Plain HTTP in front of a plain registry.  bearer: demand a token from
    our /token (given for USER:PASSWORD only).  cut: the first GET of each
    blob sends half its bytes and drops the connection.  flaky: the first
    try of every request is answered 503 (manifests) or 429 (the rest)."""

    def __init__(self, upstream, bearer=False, cut=False, flaky=False, stall=False):
        self.upstream, self.bearer, self.cut, self.flaky = upstream, bearer, cut, flaky
        self.refused = set()
        # stall: a layer's first half is sent, then nothing until release is set
        self.stall, self.stalled, self.release = stall, threading.Event(), threading.Event()
        self.token = "tok-" + os.urandom(8).hex()
        self.seen, self.cuts, self.token_requests = [], set(), []
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):
                pass

            def reply(self, code, body=b"", headers=()):
                self.send_response(code)
                for k, v in headers:
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(body)

            def handle_token(self):
                import base64
                import urllib.parse
                q = urllib.parse.parse_qs(urllib.parse.urlparse(self.path).query)
                proxy.token_requests.append(q)
                want = "Basic " + base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
                if self.headers.get("Authorization") != want:
                    return self.reply(401, b'{"errors":[{"code":"UNAUTHORIZED","message":"bad credentials"}]}')
                self.reply(200, json.dumps({"token": proxy.token}).encode(), [("Content-Type", "application/json")])

            def forward(self):
                if self.path.startswith("/token"):
                    return self.handle_token()
                proxy.seen.append((self.command, self.path, self.headers.get("Range")))
                if proxy.bearer and self.headers.get("Authorization") != "Bearer " + proxy.token:
                    repo = self.path.split("/")[2:4]
                    ch = (f'Bearer realm="http://127.0.0.1:{proxy.port}/token",service="kapsel-test",'
                          f'scope="repository:{"/".join(repo)}:pull"')
                    return self.reply(401, b'{"errors":[{"code":"UNAUTHORIZED"}]}', [("WWW-Authenticate", ch)])
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                if proxy.flaky and (self.command, self.path) not in proxy.refused:
                    proxy.refused.add((self.command, self.path))
                    return self.reply(503 if "/manifests/" in self.path else 429, b"try again")
                # Host kept: the registry writes upload Locations on the host it was asked as
                headers = {k: v for k, v in self.headers.items() if k.lower() != "authorization"}
                c = http.client.HTTPConnection("127.0.0.1", proxy.upstream.port, timeout=30)
                c.request(self.command, self.path, body=body, headers=headers)
                r = c.getresponse()
                data = r.read()
                c.close()
                blob = self.command == "GET" and "/blobs/sha256:" in self.path and r.status == 200
                if proxy.stall and blob and len(data) > 4096 and not proxy.release.is_set():
                    self.send_response(200)
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data[:len(data) // 2])
                    self.wfile.flush()
                    proxy.stalled.set()
                    proxy.release.wait(60)
                    self.close_connection = True
                    return
                if proxy.cut and blob and self.path not in proxy.cuts and len(data) > 1:
                    proxy.cuts.add(self.path)
                    self.send_response(200)
                    for k, v in r.getheaders():
                        if k.lower() not in ("transfer-encoding", "connection"):
                            self.send_header(k, v)
                    self.end_headers()
                    self.wfile.write(data[:len(data) // 2])
                    self.wfile.flush()
                    self.connection.shutdown(socket.SHUT_RDWR)
                    self.close_connection = True
                    return
                self.send_response(r.status)
                for k, v in r.getheaders():
                    if k.lower() not in ("transfer-encoding", "connection", "content-length"):
                        self.send_header(k, v)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(data)

            do_GET = do_HEAD = do_PUT = do_POST = do_PATCH = do_DELETE = forward

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.host = f"127.0.0.1:{self.port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.release.set()
        self.server.shutdown()
        self.server.server_close()
