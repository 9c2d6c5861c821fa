#!/usr/bin/env python3
"""The tanne command as a user meets it: --help everywhere, usage errors exit
2 with a message, `info` on rMD17 aspirin reports what the issue promises,
`convert` never leaves a partial file, `split` round-trips, `generate` writes
a readable noble-gas file. Ends with "N passed, N failed, N skipped"."""
import os
import re
import subprocess
import sys
import tempfile

from cli_cases import TANNE, case, finish

DATA = os.environ.get("TANNE_DATA", "../shared/data")


def tanne(*args):
    return subprocess.run([TANNE, *args], capture_output=True, text=True)


def test_help_everywhere():
    r = tanne("--help")
    assert r.returncode == 0 and "commands:" in r.stdout, r.stderr
    for cmd in ("info", "convert", "generate", "split", "demo"):
        r = tanne(cmd, "--help")
        assert r.returncode == 0 and r.stdout.startswith("usage: tanne"), cmd


def test_usage_errors():
    for args, text in ((["frobnicate"], "unknown command"),
                       (["info"], "no file given"),
                       (["info", "--energy-unit", "furlong", "x"], "unknown unit"),
                       (["convert", "only_one.xyz"], "at least one input"),
                       (["generate", "noble-gas", "--species", "Xe", "-o", "x.xyz"], "--species"),
                       (["generate", "noble-gas", "--atoms", "abc", "-o", "x.xyz"], "--atoms")):
        r = tanne(*args)
        assert r.returncode == 2, f"{args}: exit {r.returncode}"
        assert text in r.stderr, f"{args}: {r.stderr!r}"


def test_info_missing_file_names_it():
    r = tanne("info", "/nonexistent/file.xyz")
    assert r.returncode == 1 and "/nonexistent/file.xyz" in r.stderr, r.stderr


def test_info_rmd17_aspirin():
    path = os.path.join(DATA, "rmd17/rmd17_aspirin_train_01.npz")
    if not os.path.exists(path):
        return "shared data absent"
    r = tanne("info", path)
    assert r.returncode == 0, r.stderr
    out = r.stdout
    assert re.search(r"frames\s+1000\n", out), out
    assert re.search(r"atoms\s+min 21\s+max 21 per frame", out), out
    assert re.search(r"elements\s+H C O\s", out), out
    assert re.search(r"energy\s+mean -176\d\d\.\d* .* eV", out), out  # about -406700 kcal/mol
    assert "force component" in out and "eV/A" in out, out


def test_convert_failure_leaves_nothing():
    with tempfile.TemporaryDirectory() as tmp:
        bad = os.path.join(tmp, "bad.xyz")
        with open(bad, "w") as f:
            f.write("2\nProperties=species:S:1:pos:R:3\nAr 0 0 0\n")  # one atom short
        out = os.path.join(tmp, "out.xyz")
        with open(out, "w") as f:
            f.write("precious")
        r = tanne("convert", bad, out)
        assert r.returncode == 1 and "bad.xyz" in r.stderr, r.stderr
        assert open(out).read() == "precious", "output overwritten after a failed read"
        assert sorted(os.listdir(tmp)) == ["bad.xyz", "out.xyz"], os.listdir(tmp)


def test_generate_and_split():
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "ar.xyz")
        r = tanne("generate", "noble-gas", "--species", "Ar,Kr", "--fraction", "0.25",
                  "--atoms", "32", "--frames", "4", "--equilibration", "50", "--interval", "10",
                  "--seed", "3", "-o", out)
        assert r.returncode == 0, r.stderr
        r = tanne("info", out)
        assert r.returncode == 0 and re.search(r"frames\s+4\n", r.stdout), r.stdout + r.stderr
        assert "elements               Ar Kr" in r.stdout, r.stdout
        for label in ("energy", "forces", "stress", "energies"):
            assert re.search(rf"\n    {label}\s", r.stdout), label
        split = os.path.join(tmp, "split.txt")
        r = tanne("split", out, "--train", "0.5", "--val", "0.25", "--test", "0.25", "--seed",
                  "9", "-o", split)
        assert r.returncode == 0 and "2 train, 1 validation, 1 test" in r.stdout, r.stdout
        text = open(split).read()
        assert text.startswith("# tanne split v1\nframes 4\nseed 9\ntrain 2\n"), text


def main():
    if not os.path.exists(TANNE):
        print(f"  FAIL: {TANNE} not built")
        print("0 passed, 1 failed, 0 skipped")
        return 1
    for fn in (test_help_everywhere, test_usage_errors, test_info_missing_file_names_it,
               test_info_rmd17_aspirin, test_convert_failure_leaves_nothing,
               test_generate_and_split):
        case(fn)
    return finish()


if __name__ == "__main__":
    sys.exit(main())
