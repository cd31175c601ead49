"""Differential test of scan/version.h against the package managers
themselves: thousands of generated version pairs, each compared by kapsel
(tests/fixtures/vercmp.c) and by `dpkg --compare-versions` or by Debian's
rpm (`rpm.vercmp` in rpm's Lua, the call rpm's own tests/rpmvercmp.at uses).
The pairs are made by small edits of each other (a digit changed, a '~' or
'^' or '+' inserted, an epoch or revision added), so that most pairs share
a long prefix and the comparison has to go deep.  The seed is fixed: a
failure is reproducible and prints the pairs that disagree."""
import os
import random
import shutil
import subprocess
import tempfile

import pytest

from conftest import BUILD

VERCMP = os.path.join(BUILD, "tests", "vercmp")


def ours(kind, pairs):
    text = "".join(f"{kind} {a} {b}\n" for a, b in pairs)
    out = subprocess.run([VERCMP], input=text, capture_output=True, text=True, check=True).stdout
    return [int(x) for x in out.split()]


def edit(rng, s, alphabet):
    """S with one to three small edits."""
    for _ in range(rng.randint(1, 3)):
        i = rng.randint(0, len(s))
        op = rng.random()
        if op < 0.4 and s:
            i = min(i, len(s) - 1)
            s = s[:i] + rng.choice(alphabet) + s[i + 1:]
        elif op < 0.8:
            s = s[:i] + rng.choice(alphabet) + s[i:]
        elif len(s) > 1:
            i = min(i, len(s) - 1)
            s = s[:i] + s[i + 1:]
    return s


def deb_version(rng):
    up = rng.choice("0123456789") + "".join(rng.choice("0123456789.+~abzAZ") for _ in range(rng.randint(0, 8)))
    rev = "".join(rng.choice("0123456789.+~abz") for _ in range(rng.randint(0, 5)))
    v = up
    if rev and rng.random() < 0.7:
        v += "-" + rev
    if rng.random() < 0.25:
        v = f"{rng.randint(0, 3)}:{v}"
    return v


def deb_valid(v):
    r = subprocess.run(["dpkg", "--validate-version", v], capture_output=True)
    return r.returncode == 0


def dpkg_cmp(a, b):
    if subprocess.run(["dpkg", "--compare-versions", a, "lt", b]).returncode == 0:
        return -1
    return 0 if subprocess.run(["dpkg", "--compare-versions", a, "eq", b]).returncode == 0 else 1


@pytest.mark.skipif(not shutil.which("dpkg"), reason="dpkg is not installed")
def test_deb_against_dpkg():
    rng = random.Random(15)
    pairs = []
    while len(pairs) < 1200:
        a = deb_version(rng)
        b = edit(rng, a, "0123456789.+~-:abzAZ") if rng.random() < 0.8 else deb_version(rng)
        if deb_valid(a) and deb_valid(b):
            pairs.append((a, b))
    mine = ours("deb", pairs)
    theirs = [dpkg_cmp(a, b) for a, b in pairs]
    bad = [(a, b, m, t) for (a, b), m, t in zip(pairs, mine, theirs) if m != t]
    assert not bad, f"{len(bad)} of {len(pairs)} disagree with dpkg, e.g. {bad[:10]}"
    # the sample is not trivial: all three answers occur often
    assert min(theirs.count(-1), theirs.count(0), theirs.count(1)) > 20


def rpm_version(rng):
    s = "".join(rng.choice("0123456789.._+~^abzAZ") for _ in range(rng.randint(1, 9)))
    if rng.random() < 0.5:
        s += "-" + "".join(rng.choice("0123456789._~^abz") for _ in range(rng.randint(0, 5)))
    if rng.random() < 0.2:
        s = f"{rng.randint(0, 3)}:{s}"
    return s


@pytest.mark.skipif(not shutil.which("rpm"), reason="rpm is not installed (scripts/deps.sh test)")
def test_rpm_against_rpm():
    rng = random.Random(1515)
    pairs = []
    for _ in range(3000):
        a = rpm_version(rng)
        b = edit(rng, a, "0123456789._+~^-:abzAZ") if rng.random() < 0.8 else rpm_version(rng)
        pairs.append((a, b))
    with tempfile.NamedTemporaryFile("w", suffix=".lua") as f:
        f.write("local p = {\n")
        for a, b in pairs:
            f.write(f"{{[[{a}]], [[{b}]]}},\n")
        f.write("}\nfor _, x in ipairs(p) do print(rpm.vercmp(x[1], x[2]) .. \",\") end\n")
        f.flush()
        out = subprocess.run(["rpm", "--eval", f"%{{lua: dofile('{f.name}')}}"],
                             capture_output=True, text=True, check=True).stdout
    theirs = [int(x) for x in out.split(",") if x.strip()]
    assert len(theirs) == len(pairs)
    mine = ours("rpm", pairs)
    bad = [(a, b, m, t) for (a, b), m, t in zip(pairs, mine, theirs) if m != t]
    assert not bad, f"{len(bad)} of {len(pairs)} disagree with rpm, e.g. {bad[:10]}"
    assert min(theirs.count(-1), theirs.count(0), theirs.count(1)) > 50


@pytest.mark.skipif(not shutil.which("rpm"), reason="rpm is not installed")
def test_rpm_vectors_are_rpms_answers():
    """Every case of tests/unit/data/scan/rpm.vec is what rpm says."""
    root = os.path.join(os.path.dirname(__file__), "..", "unit", "data", "scan", "rpm.vec")
    cases = []
    for line in open(root):
        if line.strip() and not line.startswith("#"):
            a, op, b = line.split()
            cases.append((a, b, {"<": -1, "=": 0, ">": 1}[op]))
    script = "".join(f"print(rpm.vercmp([[{a}]], [[{b}]]) .. \",\")\n" for a, b, _ in cases)
    with tempfile.NamedTemporaryFile("w", suffix=".lua") as f:
        f.write(script)
        f.flush()
        out = subprocess.run(["rpm", "--eval", f"%{{lua: dofile('{f.name}')}}"],
                             capture_output=True, text=True, check=True).stdout.split(",")
    out = [x for x in out if x.strip()]
    bad = [(a, b, want, got) for (a, b, want), got in zip(cases, out) if int(got) != want]
    assert not bad and len(out) == len(cases)


def test_deb_vectors_are_dpkgs_answers():
    root = os.path.join(os.path.dirname(__file__), "..", "unit", "data", "scan", "deb.vec")
    for line in open(root):
        if line.strip() and not line.startswith("#"):
            a, op, b = line.split()
            assert dpkg_cmp(a, b) == {"<": -1, "=": 0, ">": 1}[op], line
