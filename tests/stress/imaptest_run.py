#!/usr/bin/python3
"""imaptest against the helpdesk queue (started by imaptest.sh, which
builds imaptest): a private Dovecot with the plugin, tickets as in
stress_keywords.py, imaptest's clients (as alice, bob and carol, carol a
lead) on Public/Queue with the helpdesk keywords for --seconds, then the
invariants of stress_keywords.check_invariants (keywords == store state,
one status/priority, at most one owner, ledger, no errors in the log).

imaptest's own error lines (it expects the server to keep the flags it
stored; the helpdesk refuses and rewrites them by design) are counted and
shown, not judged. Exit 0 if the invariants hold, 1 if not, 77 if it can't
run.
"""

import argparse
import os
import random
import re
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
sys.path.insert(0, HERE)

import stress_keywords as sk  # noqa: E402

DEFAULT_KEYWORDS = ("hd-claim hd-owner-alice hd-owner-bob hd-resolved hd-escalate "
                    "hd-prio-high hd-prio-low hd-vip hd-team-billing "
                    "$Label1")
# STORE-heavy; no APPEND, COPY, DELETE or EXPUNGE (they would add or drop
# queue messages, not exercise the keywords). "default": imaptest's mix.
DEFAULT_STATES = "- store=100 fetch=50 fetch2=20 search=10 noop=10 logout=5"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--imaptest", required=True)
    ap.add_argument("--seconds", type=int, default=60)
    ap.add_argument("--clients", type=int, default=6)
    ap.add_argument("--seed", type=int, default=None)
    ap.add_argument("--tickets", type=int, default=10)
    ap.add_argument("--round", type=float, default=10,
                    help="seconds per imaptest run; the queue is checked after each")
    a = ap.parse_args()
    if os.geteuid() != 0:
        print("SKIP: must run as root")
        return 77
    plugin = os.environ.get("HD_PLUGIN")
    if not plugin or not os.path.isfile(plugin):
        print("SKIP: HD_PLUGIN not set or missing")
        return 77
    seed = a.seed if a.seed is not None else random.randrange(1 << 30)
    keywords = os.environ.get("IMAPTEST_KEYWORDS") or DEFAULT_KEYWORDS
    states = os.environ.get("IMAPTEST_STATES") or DEFAULT_STATES
    states = [] if states == "default" else states.split()
    agents = ("alice", "bob", "carol")

    dc = sk.make_dovecot(agents, plugin)
    dc.start()
    try:
        layout = sk.setup_queue(dc, random.Random(seed), a.tickets)
        print("imaptest_run: seed %d, %d tickets (%d messages), %d clients, %d s" % (
            seed, len(layout["tickets"]),
            sum(len(v) for v in layout["tickets"].values()), a.clients, a.seconds))
        print("keywords: %s" % keywords)
        print("states: %s" % (" ".join(states) or "imaptest's default"))
        userfile = os.path.join(dc.root, "imaptest-users")
        with open(userfile, "w") as f:
            for u in agents:
                f.write("%s:pass\n" % u)
        env = dict(os.environ, LD_LIBRARY_PATH="/usr/lib/dovecot",
                   IMAPTEST_KEYWORDS=keywords)
        rounds = max(1, int(round(a.seconds / float(a.round))))
        secs = max(1, int(round(a.seconds / float(rounds))))
        round_results = []
        all_lines = []
        stores = 0
        for rnd in range(rounds):
            cmd = [a.imaptest, "host=127.0.0.1", "port=%d" % dc.imap_port,
                   "user=alice", "userfile=%s" % userfile, "box=Public/Queue",
                   "mbox=%s" % os.path.join(dc.root, "no-such-mbox"),
                   "clients=%d" % a.clients, "secs=%d" % secs,
                   "seed=%d" % (seed + rnd)] + states
            if rnd == 0:
                print("running %d x: %s" % (rounds, " ".join(cmd)))
                sys.stdout.flush()
            out_path = os.path.join(dc.root, "imaptest.%d.out" % rnd)
            t0 = time.time()
            with open(out_path, "wb") as out:
                p = subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=out,
                                   stderr=subprocess.STDOUT, env=env,
                                   timeout=secs + 120)
            with open(out_path, errors="replace") as f:
                lines = f.read().splitlines()
            all_lines += lines
            # the Totals block ends with the counts under the state names
            names = [i for i, l in enumerate(lines) if "Stor" in l.split()]
            if names and names[-1] + 3 < len(lines) + 1:
                hdr = lines[names[-1]].split()
                cnt = [l for l in lines[names[-1] + 1:] if l.split() and
                       all(x.isdigit() for x in l.split())]
                if cnt and len(cnt[-1].split()) == len(hdr):
                    stores += int(cnt[-1].split()[hdr.index("Stor")])
            print("round %d: imaptest exit %d after %.1f s, %d output lines" % (
                rnd, p.returncode, time.time() - t0, len(lines)))
            if p.returncode != 0 and not any("Stor" in l for l in lines):
                print("\n".join("  | " + l for l in lines[-20:]))
            time.sleep(0.5)
            round_results.append((rnd, sk.check_ticket_keywords(dc)))
        errors = [l for l in all_lines if "Error:" in l or "Panic:" in l or "Fatal:" in l]
        print("imaptest: %d STOREs in %d rounds, %d error lines" % (
            stores, rounds, len(errors)))
        seen = {}
        for l in errors:
            key = l.split("Error:", 1)[-1]
            key = re.sub(r"^\s*\w+\[\d+\]:\s*", "", key)        # user[N]:
            key = re.sub(r"\([0-9.+ ]+secs\)", "", key)
            key = re.sub(r"\d+", "N", key).strip()[:110]
            seen.setdefault(key, [0, l])[0] += 1
        if seen:
            print("imaptest's error lines, grouped (expected: the helpdesk refuses "
                  "and rewrites keywords):")
            for key, (n, l) in sorted(seen.items(), key=lambda kv: -kv[1][0])[:15]:
                print("  %5d x %s" % (n, key))
        ev = dc.sql("SELECT kind, COUNT(*) FROM hd_events WHERE actor IN (%s) "
                    "GROUP BY kind ORDER BY kind" % ",".join("'%s'" % u for u in agents))
        print("agents' changes in the ledger: %s" % (
            ", ".join("%s %d" % kv for kv in ev) or "none"))
        results = sk.merge_rounds(round_results) if rounds > 1 else []
        results += sk.check_invariants(dc)
        if stores == 0:
            results.append(sk.Result("imaptest ran STOREs", False,
                                     ["no STORE counted in imaptest's output:"] +
                                     all_lines[-20:]))
        return sk.verdict(results, seed)
    finally:
        dc.stop()
        dc.cleanup()


if __name__ == "__main__":
    sys.exit(main())
