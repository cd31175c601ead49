"""Inputs for bench/scan.sh, made from the scan fixture image:
  OUT/image-gzip.tar   the same image as an OCI layout tar with gzip layers
  OUT/tracker.json     a tracker JSON of tracker size for bookworm: every
                       package the image has plus 3,000 it has not, 20 CVEs
                       each in four releases (about 250,000 records)
Usage: scan_inputs.py IMAGE.tar OUT"""
import gzip
import hashlib
import io
import json
import os
import random
import sys
import tarfile


def main(image, out):
    with tarfile.open(image) as t:
        man = json.load(t.extractfile("manifest.json"))[0]
        cfg = t.extractfile(man["Config"]).read()
        layers = [t.extractfile(name).read() for name in man["Layers"]]
        status = None
        for data in layers:
            with tarfile.open(fileobj=io.BytesIO(data)) as lt:
                try:
                    status = lt.extractfile("var/lib/dpkg/status").read().decode()
                except KeyError:
                    pass
    blobs = {}

    def blob(data):
        d = hashlib.sha256(data).hexdigest()
        blobs[d] = data
        return {"digest": "sha256:" + d, "size": len(data)}
    gz = [gzip.compress(x, compresslevel=6, mtime=0) for x in layers]
    manifest = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                "config": {"mediaType": "application/vnd.oci.image.config.v1+json", **blob(cfg)},
                "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", **blob(x)} for x in gz]}
    m = json.dumps(manifest).encode()
    index = {"schemaVersion": 2, "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json", **blob(m),
                                                "annotations": {"org.opencontainers.image.ref.name": "scan-debian:12"}}]}
    with tarfile.open(os.path.join(out, "image-gzip.tar"), "w") as t:
        for name, data in [("oci-layout", b'{"imageLayoutVersion":"1.0.0"}'), ("index.json", json.dumps(index).encode())] + \
                [("blobs/sha256/" + d, x) for d, x in sorted(blobs.items())]:
            ti = tarfile.TarInfo(name)
            ti.size = len(data)
            t.addfile(ti, io.BytesIO(data))
    with open(os.path.join(out, "layers.gz"), "wb") as f:
        for x in gz:
            f.write(x)
    sources = sorted({line.split(":", 1)[1].strip().split()[0] for line in status.splitlines()
                      if line.startswith(("Source:", "Package:"))})
    rng = random.Random(15)
    names = sources + [f"pkg{i:04d}" for i in range(3000)]
    states = [{"status": "resolved", "fixed_version": "1.0-1+deb12u1", "urgency": "low"},
              {"status": "open", "urgency": "not yet assigned"},
              {"status": "open", "nodsa": "Minor issue", "nodsa_reason": "", "urgency": "low"},
              {"status": "resolved", "fixed_version": "0", "urgency": "unimportant"}]
    tracker = {}
    for n in names:
        tracker[n] = {f"CVE-20{rng.randint(10, 25)}-{rng.randint(1000, 99999)}":
                      {"releases": {rel: rng.choice(states) for rel in ("buster", "bullseye", "bookworm", "trixie")}}
                      for _ in range(20)}
    with open(os.path.join(out, "tracker.json"), "w") as f:
        json.dump(tracker, f)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
