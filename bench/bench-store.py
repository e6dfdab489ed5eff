#!/usr/bin/python3
"""bench-store -- IMAP STORE round trip of a claim (+FLAGS hd-claim), with
the helpdesk plugin (which turns it into the agent's owner keyword on the
ticket's messages and records it in the store) against the same private
Dovecot without the plugin (where it only sets the keyword), measured in
the same run. N tickets, each claimed once by one agent over one IMAP
connection; median and mean round trip and the ratio plugin/baseline.

Environment: HD_PLUGIN, HD_SRCDIR, BENCH_STORE_N (default 300),
BENCH_REPEAT (default 3).
"""

import os
import statistics
import sys
import time

SRCDIR = os.environ.get("HD_SRCDIR") or os.path.normpath(
    os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
sys.path.insert(0, os.path.join(SRCDIR, "tests", "lib"))

from hdtest import Dovecot, make_message  # noqa: E402


def one_run(plugin, n):
    dc = Dovecot(plugin=plugin)
    dc.start()
    try:
        dc.deliver_many([make_message(subject="ticket %d" % i,
                                      sender="c%d@customer.example" % i)
                         for i in range(n)])
        times = []
        with dc.imap("alice") as c:
            c.select("Public/Queue")
            typ, dat = c.uid("SEARCH", "ALL")
            uids = dat[0].split()
            # warm-up: the first STORE opens the store, loads keywords
            c.uid("STORE", uids[0], "+FLAGS.SILENT", "(hd-claim)")
            for uid in uids[1:]:
                t0 = time.perf_counter()
                typ, _ = c.uid("STORE", uid, "+FLAGS", "(hd-claim)")
                times.append(time.perf_counter() - t0)
                if typ != "OK":
                    raise RuntimeError("STORE failed: %r" % typ)
        return statistics.median(times) * 1000, statistics.mean(times) * 1000
    finally:
        dc.stop()
        dc.cleanup()


def main():
    plugin = os.environ.get("HD_PLUGIN")
    if os.geteuid() != 0 or not plugin or not os.path.isfile(plugin):
        print("bench-store: run as root with HD_PLUGIN set", file=sys.stderr)
        return 2
    n = int(os.environ.get("BENCH_STORE_N", "300"))
    repeat = int(os.environ.get("BENCH_REPEAT", "3"))
    res = {"baseline": [], "plugin": []}
    for rep in range(repeat):
        order = (("baseline", None), ("plugin", plugin))
        if rep % 2:
            order = order[::-1]
        for variant, p in order:
            med, mean = one_run(p, n)
            res[variant].append((med, mean))
            print("  %-8s run %d: median %.3f ms, mean %.3f ms per STORE"
                  % (variant, rep + 1, med, mean), flush=True)
    b = statistics.median(r[0] for r in res["baseline"])
    p = statistics.median(r[0] for r in res["plugin"])
    print()
    print("| measure | baseline | plugin | ratio plugin/baseline |")
    print("|---|---:|---:|---:|")
    print("| STORE +FLAGS (hd-claim) round trip, median ms | %.3f | %.3f | %.2f |"
          % (b, p, p / b))
    print()
    print("bench-store: claim round trip ratio %.2f (target <= 1.10): %s"
          % (p / b, "OK" if p / b <= 1.10 else "ABOVE TARGET"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
