#!/usr/bin/python3
"""bench-store -- IMAP STORE round trip of a claim (+FLAGS hd-claim)
against its floor, measured in the same run.

claim: with the helpdesk plugin, which turns the claim into the agent's
    owner keyword on the ticket's messages and records it in the store;
floor: what such a STORE can't do without -- a plain keyword STORE (the
    same command on the same Dovecot without the plugin, where it only
    sets the keyword) plus one SQLite write transaction of one row as the
    store writes it (WAL, synchronous=NORMAL, a prepared INSERT between
    BEGIN IMMEDIATE and COMMIT: bench-sqlite-floor.c).

N tickets, each claimed once by one agent over one IMAP connection; per
run the median round trip. The three measurements alternate (baseline,
plugin, floor; then plugin, baseline, floor; ...), REPEAT runs each, and
the medians of the runs are compared: claim / (plain STORE + one-row
transaction), target <= 1.2.

With BENCH_STORE_CG=1 it also counts, under callgrind, the instructions
the imap process executes per claim with and without the plugin (runs
of N and N/4 claims, the difference), and shows where the plugin's go
(callgrind_annotate --inclusive=yes): deterministic, unlike the round
trip on a shared machine. And it counts the system calls per STORE
(strace -c -f on the imap process), which cost ~5-15 us each on this VM.

Environment: HD_PLUGIN, HD_SRCDIR, BENCH_STORE_N (default 300),
BENCH_REPEAT (default 3), BENCH_FLOOR (the bench-sqlite-floor binary;
default: BENCH_BUILDDIR or this directory), BENCH_FLOOR_N (2000
transactions per floor run).
"""

import os
import re
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib  # noqa: E402
import hdtest  # noqa: E402
from benchlib import Dovecot, make_message  # noqa: E402

TARGET = 1.2


def one_run(plugin, n):
    dc = Dovecot(plugin=plugin, users=benchlib.USERS)
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
        errors = [l for l in dc.log_errors()]
        if errors:
            print("  WARNING log errors: %s" % " | ".join(errors[:3])[:600])
        return statistics.median(times) * 1000, statistics.mean(times) * 1000
    finally:
        dc.stop()
        dc.cleanup()


CG_FUNCTIONS = [
    "imap_helpdesk_command_pre", "helpdesk_mail_update_keywords",
    "helpdesk_transaction_actions", "helpdesk_actions_prepare",
    "helpdesk_actions_finish", "helpdesk_store_check_actor",
    "helpdesk_store_claim", "helpdesk_store_ticket_uids",
    "helpdesk_db_commit", "helpdesk_shadow_box", "helpdesk_ticket_sync_keywords",
    "actions_ticket_update_finish", "helpdesk_notice_flags", "mailbox_sync",
    "mailbox_transaction_commit", "sqlite3_step", "mail_get_first_header",
]


def claims_session(dc, n, tool=None):
    """Deliver n tickets, claim them one STORE at a time as alice; tool:
    "strace" counts the imap process's system calls during the claims.
    Returns the strace summary text (or "")."""
    dc.deliver_many([make_message(subject="ticket %d" % i, sender="c%d@customer.example" % i)
                     for i in range(n + 1)])
    before = set(benchlib.service_pids(dc, "imap"))
    out = ""
    with dc.imap("alice", timeout=600) as c:
        c.select("Public/Queue")
        typ, dat = c.uid("SEARCH", "ALL")
        uids = dat[0].split()
        c.uid("STORE", uids[0], "+FLAGS.SILENT", "(hd-claim)")
        prof = None
        if tool == "strace":
            pid = sorted(set(benchlib.service_pids(dc, "imap")) - before)[0]
            outf = os.path.join(dc.root, "strace.txt")
            prof = subprocess.Popen(["strace", "-c", "-p", str(pid), "-o", outf],
                                    stderr=subprocess.DEVNULL)
            time.sleep(1)
        for uid in uids[1:n + 1]:
            c.uid("STORE", uid, "+FLAGS", "(hd-claim)")
        if prof is not None:
            prof.send_signal(2)
            prof.wait()
            with open(outf) as f:
                out = f.read()
    return out


def cg_claims(plugin, n):
    dc = Dovecot(plugin=plugin, users=benchlib.USERS)
    try:
        dc.start()
        dc.stop()
        # callgrind opens its file as root when imap starts and writes it
        # when the process ends, as the mail user by then: one file (one
        # imap process per run), made writable for it beforehand
        cgdir = os.path.join(dc.root, "cg")
        os.makedirs(cgdir, exist_ok=True)
        os.chmod(cgdir, 0o755)
        cgout = os.path.join(cgdir, "cg.imap.out")
        open(cgout, "w").close()
        os.chmod(cgout, 0o666)
        dc.extra_config = ("service imap {\n  executable = /usr/bin/valgrind "
                           "--tool=callgrind --callgrind-out-file=%s "
                           "/usr/lib/dovecot/imap\n}\n" % cgout)
        dc.start()
        claims_session(dc, n)
        dc.stop(timeout=120)
        incl = {}
        benchlib.add_into(incl, benchlib.annotate_functions(cgout, inclusive=True))
        return benchlib.callgrind_total(cgout), incl
    finally:
        dc.cleanup()


def strace_claims(plugin, n):
    dc = Dovecot(plugin=plugin, users=benchlib.USERS)
    try:
        dc.start()
        text = claims_session(dc, n, "strace")
    finally:
        dc.cleanup()
    calls = {}
    for line in text.splitlines():
        f = line.split()
        if len(f) >= 5 and f[0][0].isdigit() and f[-1] not in ("total",):
            try:
                calls[f[-1]] = int(f[3])
            except ValueError:
                pass
    return calls


def deterministic(plugin, n):
    n0 = max(n // 4, 10)
    res = {}
    for variant, p in (("baseline", None), ("plugin", plugin)):
        small, big = cg_claims(p, n0), cg_claims(p, n)
        res[variant] = (benchlib.per_delivery(big[0], small[0], n, n0),
                        benchlib.diff_per_delivery(big[1], small[1], n, n0))
        print("  callgrind %-8s %.0f instructions per claim STORE (runs of %d and %d)"
              % (variant, res[variant][0], n0, n), flush=True)
    sc = {v: strace_claims(p, n) for v, p in (("baseline", None), ("plugin", plugin))}
    print()
    print("| measure | baseline | plugin |")
    print("|---|---:|---:|")
    print("| imap instructions per STORE (callgrind) | %.0f | %.0f |"
          % (res["baseline"][0], res["plugin"][0]))
    print("| system calls per STORE (strace -c) | %.1f | %.1f |"
          % tuple(sum(sc[v].values()) / float(n) for v in ("baseline", "plugin")))
    for name in sorted(set(sc["plugin"]) | set(sc["baseline"]),
                       key=lambda k: -sc["plugin"].get(k, 0)):
        b, p = sc["baseline"].get(name, 0) / float(n), sc["plugin"].get(name, 0) / float(n)
        if max(b, p) >= 0.5:
            print("| `%s` per STORE | %.1f | %.1f |" % (name, b, p))
    print()
    print("Plugin run, inclusive instructions per claim STORE:")
    print()
    print("| function | instructions |")
    print("|---|---:|")
    incl = res["plugin"][1]
    for fn in CG_FUNCTIONS:
        if abs(incl.get(fn, 0)) >= 1:
            print("| `%s` | %.0f (baseline %.0f) |" % (fn, incl[fn], res["baseline"][1].get(fn, 0)))
    print()


def floor_binary():
    cands = [os.environ.get("BENCH_FLOOR"),
             os.path.join(os.environ.get("BENCH_BUILDDIR", ""), "bench-sqlite-floor"),
             os.path.join(os.path.dirname(os.path.abspath(__file__)), "bench-sqlite-floor")]
    for c in cands:
        if c and os.path.isfile(c) and os.access(c, os.X_OK):
            return c
    return None


def floor_run(binary, n):
    """Median ms of one-row write transactions (C program, same file
    system as the Dovecot instances: /tmp)."""
    if binary is not None:
        p = subprocess.run([binary, str(n), "/tmp"], stdout=subprocess.PIPE,
                           universal_newlines=True, check=True, timeout=600)
        m = re.search(r"median_ms=([\d.]+) mean_ms=([\d.]+)", p.stdout)
        return float(m.group(1)), float(m.group(2))
    # fallback: Python's sqlite3 (its statement cache prepares once too;
    # the interpreter adds a few microseconds)
    import sqlite3
    with tempfile.TemporaryDirectory(dir="/tmp") as d:
        db = sqlite3.connect(os.path.join(d, "floor.db"), isolation_level=None)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")
        db.execute("CREATE TABLE ev (id INTEGER PRIMARY KEY AUTOINCREMENT, event_key TEXT "
                   "NOT NULL UNIQUE, ticket_id BIGINT NOT NULL, kind TEXT NOT NULL, "
                   "actor TEXT NOT NULL DEFAULT '', created BIGINT NOT NULL)")
        times = []
        for i in range(n + 100):
            t0 = time.perf_counter()
            db.execute("BEGIN IMMEDIATE")
            db.execute("INSERT INTO ev (event_key, ticket_id, kind, actor, created) "
                       "VALUES (?, ?, 'claimed', 'alice', ?)", ("k%d" % i, i, int(time.time())))
            db.execute("COMMIT")
            if i >= 100:
                times.append(time.perf_counter() - t0)
        db.close()
    return statistics.median(times) * 1000, statistics.mean(times) * 1000


def main():
    plugin = benchlib.need_root_and_plugin("bench-store")
    n = int(os.environ.get("BENCH_STORE_N", "300"))
    repeat = int(os.environ.get("BENCH_REPEAT", "3"))
    floor_n = int(os.environ.get("BENCH_FLOOR_N", "2000"))
    binary = floor_binary()
    print("bench-store: plugin %s; floor %s; load average %.2f %.2f %.2f"
          % ((plugin, binary or "python sqlite3 (bench-sqlite-floor not built)")
             + os.getloadavg()))
    res = {"baseline": [], "plugin": [], "floor": []}
    for rep in range(repeat):
        order = [("baseline", None), ("plugin", plugin)]
        if rep % 2:
            order = order[::-1]
        for variant, p in order + [("floor", None)]:
            if variant == "floor":
                med, mean = floor_run(binary, floor_n)
            else:
                med, mean = one_run(p, n)
            res[variant].append((med, mean))
            print("  %-8s run %d: median %.3f ms, mean %.3f ms per %s"
                  % (variant, rep + 1, med, mean,
                     "transaction" if variant == "floor" else "STORE"), flush=True)
    b = statistics.median(r[0] for r in res["baseline"])
    p = statistics.median(r[0] for r in res["plugin"])
    f = statistics.median(r[0] for r in res["floor"])
    ratio = p / (b + f)
    print()
    if os.environ.get("BENCH_STORE_CG") == "1":
        deterministic(plugin, int(os.environ.get("BENCH_STORE_CG_N", "80")))
    print("| measure | median ms |")
    print("|---|---:|")
    print("| plain keyword STORE round trip (no plugin) | %.3f |" % b)
    print("| one-row SQLite write transaction (WAL, synchronous=NORMAL, prepared) | %.4f |" % f)
    print("| floor = plain STORE + one-row transaction | %.3f |" % (b + f))
    print("| claim: STORE +FLAGS (hd-claim) with the plugin | %.3f |" % p)
    print("| claim / floor | %.2f |" % ratio)
    print("| claim / plain STORE (the old figure) | %.2f |" % (p / b))
    print()
    print("bench-store: claim %.3f ms / floor %.3f ms (STORE %.3f + txn %.4f) = %.2f "
          "(target <= %.1f): %s; load average %.2f %.2f %.2f"
          % ((p, b + f, b, f, ratio, TARGET, "PASS" if ratio <= TARGET else "ABOVE TARGET")
             + os.getloadavg()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
