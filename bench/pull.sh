#!/bin/sh
# bench/pull: `kapsel pull` against `podman pull` and `skopeo copy` of the
# same image from the same loopback registry (Debian's docker-registry,
# plain HTTP on 127.0.0.1, listed as insecure for each tool), in one
# hyperfine run, every tool starting from an empty store each time.
#
# The image: three gzip layers (busybox; /usr/share/perl; the host's
# /usr/lib/x86_64-linux-gnu/perl), about 14 MB compressed, 47 MB
# uncompressed.  What each tool does per run: kapsel fetches the blobs in
# parallel, hashes them as they stream, decompresses every layer to check
# it against the config's diff_ids and commits its index (kapsel's store
# keeps layers as blobs; it does not unpack them yet); podman fetches,
# verifies and unpacks every layer into its overlay storage; skopeo
# fetches and verifies the blobs into an OCI layout (no decompression).
#
#   bench/pull.sh [RUNS]     (default 20)
set -eu
cd "$(dirname "$0")/.."
runs=${1:-20}
scripts/deps.sh test
scripts/build.sh build
k=$PWD/build/src/kapsel/kapsel
work=$(mktemp -d /tmp/kapsel-bench-pull.XXXXXX)
reg_pid=
cleanup() {
	[ -z "$reg_pid" ] || kill "$reg_pid" 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
host=127.0.0.1:$port
cat > "$work/config.yml" <<YML
version: 0.1
log: {level: error}
storage: {filesystem: {rootdirectory: $work/registry}}
http: {addr: $host}
YML
docker-registry serve "$work/config.yml" > "$work/registry.log" 2>&1 &
reg_pid=$!
python3 - "$port" <<'PY'
import socket, sys, time
for _ in range(600):
    try:
        socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=1).close()
        break
    except OSError:
        time.sleep(0.05)
PY
python3 - "$work/layout" <<'PY'
import gzip, hashlib, io, json, os, sys, tarfile
out = sys.argv[1]
def layer(paths):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as t:
        for p in paths:
            t.add(p, arcname=p.lstrip("/"))
    return buf.getvalue()
layers = [layer(["/bin/busybox"]), layer(["/usr/share/perl"]), layer(["/usr/lib/x86_64-linux-gnu/perl"])]
blobs = {}
def blob(b):
    d = hashlib.sha256(b).hexdigest(); blobs[d] = b; return "sha256:" + d
gz = [gzip.compress(x, 6, mtime=0) for x in layers]
cfg = json.dumps({"architecture": "amd64", "os": "linux", "config": {"Cmd": ["/bin/busybox", "sh"]},
                  "rootfs": {"type": "layers", "diff_ids": ["sha256:" + hashlib.sha256(x).hexdigest() for x in layers]}}).encode()
man = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                  "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": blob(cfg), "size": len(cfg)},
                  "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": blob(x), "size": len(x)} for x in gz]}).encode()
idx = {"schemaVersion": 2, "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": blob(man),
       "size": len(man), "annotations": {"org.opencontainers.image.ref.name": "1"}}]}
os.makedirs(out + "/blobs/sha256")
for d, b in blobs.items():
    open(f"{out}/blobs/sha256/{d}", "wb").write(b)
json.dump(idx, open(out + "/index.json", "w"))
open(out + "/oci-layout", "w").write('{"imageLayoutVersion": "1.0.0"}')
print(f"image: {sum(map(len, gz)) / 1e6:.1f} MB compressed, {sum(map(len, layers)) / 1e6:.1f} MB uncompressed, 3 layers")
PY
skopeo copy --quiet --dest-tls-verify=false "oci:$work/layout:1" "docker://$host/bench/img:1"
printf '[registries]\ninsecure = %s\n' "$host" > "$work/kapsel.conf"
ref=$host/bench/img:1
hyperfine -N --runs "$runs" --warmup 2 --export-json "$work/pull.json" \
	--prepare "rm -rf $work/k $work/p $work/pr $work/s" \
	-n kapsel "$k --root $work/k --config $work/kapsel.conf pull -q $ref" \
	-n podman "podman --root $work/p --runroot $work/pr --storage-driver overlay pull -q --tls-verify=false $ref" \
	-n skopeo "skopeo copy --quiet --src-tls-verify=false docker://$ref oci:$work/s:1" >&2
python3 - "$work/pull.json" <<'PY'
import json, sys
r = {x["command"]: x for x in json.load(open(sys.argv[1]))["results"]}
base = r["podman"]["median"]
print(f"{'tool':8} {'median ms':>10} {'min ms':>8} {'/podman':>8}")
for name in ("kapsel", "podman", "skopeo"):
    x = r[name]
    print(f"{name:8} {x['median'] * 1000:10.1f} {x['min'] * 1000:8.1f} {x['median'] / base:8.2f}")
PY
