#!/usr/bin/python3
"""bench-instructions -- CPU instructions per LMTP delivery into the
helpdesk queue, with the plugin vs. the same private Dovecot without it.

The wall-clock rate (bench-deliver.py) is noisy on a shared VM; the number
of instructions the LMTP process executes is not: callgrind counts them
exactly, the same for the same binaries and input whatever else the
machine does. Both variants deliver the same N generated mails (1 in 3 a
reply) over one LMTP connection; the per-delivery figure subtracts a run
of N0 mails, so process start-up cancels out.

Environment: HD_PLUGIN (built plugin), HD_SRCDIR (repo), BENCH_CG_N (200).
"""

import glob
import os
import re
import subprocess
import sys

SRCDIR = os.environ.get("HD_SRCDIR") or os.path.normpath(
    os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
sys.path.insert(0, os.path.join(SRCDIR, "tests", "lib"))

from hdtest import Dovecot, make_message  # noqa: E402


def messages(n, tag):
    out = []
    for i in range(n):
        kw = {}
        if i % 3 == 2:
            kw = dict(in_reply_to="<%s-%d@customer.example>" % (tag, i - 1),
                      references="<%s-%d@customer.example>" % (tag, i - 1))
        out.append(make_message(subject="Printer %d on fire" % i,
                                sender="cust%d@customer.example" % (i % 37),
                                message_id="<%s-%d@customer.example>" % (tag, i),
                                body="The printer smokes.\r\n" * 20, **kw))
    return out


def instructions(plugin, n):
    dc = Dovecot(plugin=plugin)
    dc.start()
    dc.stop()
    dc.extra_config = ("service lmtp {\n  executable = /usr/bin/valgrind "
                       "--tool=callgrind --callgrind-out-file=%s/cg.%%p.out "
                       "/usr/lib/dovecot/lmtp\n}\n" % dc.root)
    dc._write_config()
    try:
        dc.start()
        conn = dc.lmtp(timeout=120)
        for m in messages(n, "n%d" % n):
            conn.sendmail("cust@customer.example", ["support@example.com"], m)
        conn.quit()
        dc.stop()
        total = 0
        for path in glob.glob(os.path.join(dc.root, "cg.*.out")):
            with open(path) as f:
                for line in f:
                    m = re.match(r"^(?:summary|totals): (\d+)", line)
                    if m:
                        total = max(total, 0) + int(m.group(1))
                        break
        return total
    finally:
        dc.cleanup()


def main():
    if os.geteuid() != 0:
        print("bench-instructions: must run as root", file=sys.stderr)
        return 2
    plugin = os.environ.get("HD_PLUGIN")
    if not plugin or not os.path.isfile(plugin):
        print("bench-instructions: set HD_PLUGIN to the built plugin", file=sys.stderr)
        return 2
    n = int(os.environ.get("BENCH_CG_N", "200"))
    n0 = max(n // 4, 10)
    res = {}
    for variant, p in (("baseline", None), ("plugin", plugin)):
        small = instructions(p, n0)
        big = instructions(p, n)
        res[variant] = (big - small) / float(n - n0)
        print("  %-8s %.0f instructions per delivery (runs of %d and %d mails)"
              % (variant, res[variant], n0, n), flush=True)
    ratio = res["baseline"] / res["plugin"]
    print()
    print("| measure | baseline | plugin | ratio baseline/plugin |")
    print("|---|---:|---:|---:|")
    print("| LMTP instructions per delivery (callgrind) | %.0f | %.0f | %.3f |"
          % (res["baseline"], res["plugin"], ratio))
    print()
    print("bench-instructions: plugin adds %.0f instructions per delivery (+%.0f%%)"
          % (res["plugin"] - res["baseline"],
             100.0 * (res["plugin"] / res["baseline"] - 1)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
