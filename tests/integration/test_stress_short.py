#!/usr/bin/python3
"""The keyword stress in its short form (tests/stress/stress_keywords.py
--short, about 50 s): several agents' sessions STORE helpdesk keywords,
mostly from stale views, while a customer writes; afterwards, and after
every round, every ticket's messages must show exactly the store's state,
the ledger must hold no change that didn't happen and no lead-only
action by a non-lead. One TAP point per invariant. The long form is
`make -C tests stress` (10 minutes), imaptest's `make -C tests
stress-imaptest IMAPTEST_SRC=...`."""

import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))

from hdtest import plugin_or_skip  # noqa: E402
from tap import Tap  # noqa: E402


def main():
    t = Tap()
    if plugin_or_skip(t, "keyword stress") is None:
        return t.done()
    script = os.path.join(HERE, "..", "stress", "stress_keywords.py")
    p = subprocess.run([sys.executable, script, "--short"], capture_output=True,
                       text=True, timeout=600)
    out = p.stdout + p.stderr
    if p.returncode == 77:
        t.skip("keyword stress", out.strip().splitlines()[-1] if out.strip() else "skipped")
        return t.done()
    points = re.findall(r"^(PASS|FAIL)\s+(.*)$", out, re.M)
    for verdict, name in points:
        t.ok(verdict == "PASS", "stress: " + name, out[-6000:] if verdict == "FAIL" else "")
    t.ok(points and p.returncode == 0, "stress --short: all invariants hold (exit %d)"
         % p.returncode, out[-3000:])
    return t.done()


if __name__ == "__main__":
    sys.exit(main())
