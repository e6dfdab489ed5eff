#!/usr/bin/python3
"""The build from a fresh checkout: `autoreconf -fi` on the files git
tracks (what a clone has) says nothing about missing directories (issue
12: "aclocal: couldn't open directory 'm4'"), and configure runs.

TAP output.  Needs autoconf, automake and libtool (scripts/setup.sh)."""

import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
from tap import Tap  # noqa: E402

SRC = os.environ.get("HD_SRCDIR") or os.path.normpath(os.path.join(HERE, "..", ".."))


def main():
    t = Tap()
    if shutil.which("autoreconf") is None or not os.path.isdir(os.path.join(SRC, ".git")):
        t.skip("autoreconf on a checkout", "no autoreconf or no git checkout")
        return t.done()
    files = subprocess.run(["git", "-C", SRC, "ls-files", "-z"], check=True,
                           capture_output=True).stdout.decode().split("\0")
    tmp = tempfile.mkdtemp(prefix="hd-autoreconf-")
    try:
        for f in filter(None, files):
            src = os.path.join(SRC, f)
            if not os.path.isfile(src):
                continue        # removed in the work tree
            dst = os.path.join(tmp, f)
            os.makedirs(os.path.dirname(dst), exist_ok=True)
            shutil.copy2(src, dst)
        p = subprocess.run(["autoreconf", "-fi"], cwd=tmp, capture_output=True, text=True)
        t.ok(p.returncode == 0, "autoreconf -fi on the tracked files succeeds",
             p.stdout + p.stderr)
        t.ok("couldn't open directory" not in p.stderr,
             "autoreconf -fi: no missing directory (m4)", p.stderr)
        p = subprocess.run(["./configure", "--quiet"], cwd=tmp, capture_output=True,
                           text=True)
        t.ok(p.returncode == 0, "configure runs on the fresh checkout", p.stdout + p.stderr)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return t.done()


if __name__ == "__main__":
    sys.exit(main())
