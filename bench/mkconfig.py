"""Turn runc's default spec into the benchmark config: /bin/true, no
terminal; with "limits", add memory/pids/cpu limits and kapsel's default
seccomp profile (the same profile for every runtime)."""
import json
import subprocess
import sys
import tempfile
import os

path, kind, kapsel = sys.argv[1:4]
c = json.load(open(path))
c["process"]["args"] = ["/bin/true"]
c["process"]["terminal"] = False
if kind == "limits":
    with tempfile.TemporaryDirectory() as d:
        subprocess.run([kapsel, "spec", "--bundle", d], check=True)
        k = json.load(open(os.path.join(d, "config.json")))
    c["linux"]["seccomp"] = k["linux"]["seccomp"]
    c["linux"]["resources"] = {
        "devices": [{"allow": False, "access": "rwm"}],
        "memory": {"limit": 268435456, "swap": 268435456},
        "pids": {"limit": 512},
        "cpu": {"shares": 1024, "quota": 100000, "period": 100000},
    }
    c["process"]["noNewPrivileges"] = True
elif kind != "plain":
    sys.exit(f"unknown config {kind!r}: plain or limits")
json.dump(c, open(path, "w"), indent=1)
