#!/usr/bin/python3
"""bench-instructions -- CPU instructions per LMTP delivery, with the
helpdesk plugin vs. the same private Dovecot without it.

The wall-clock rate (bench-deliver.py) is noisy on a shared VM; the number
of instructions the LMTP process executes is not: callgrind counts them
exactly, the same for the same binaries and input whatever else the
machine does. Both variants deliver the same N generated mails (1 in 3 a
reply) over one LMTP connection; the per-delivery figure subtracts a run
of N0 mails, so process start-up cancels out.

Modes (BENCH_CG_MODES, default "queue,inbox"):
  queue  the mails go to support@: the Sieve route files them into
         Public/Queue, the plugin makes tickets (target ratio >= 0.95)
  inbox  the same mails to dave@, an ordinary user: implicit keep into his
         INBOX; the plugin is loaded but there is no queue in the way
         (target ratio >= 0.99)

For the plugin runs the script also shows where the plugin's instructions
go: inclusive counts per delivery of the plugin's entry points and store
functions (callgrind_annotate --inclusive=yes) and the exclusive count per
object file (plugin, libsqlite3, Dovecot's libraries).

Environment: HD_PLUGIN (built plugin), HD_SRCDIR (repo), BENCH_CG_N (200),
BENCH_CG_MODES ("queue,inbox").
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib  # noqa: E402
from benchlib import make_message  # noqa: E402

TARGETS = {"queue": 0.95, "inbox": 0.99}

# inclusive counts shown for the plugin (those that exist in the build)
FUNCTIONS = [
    "helpdesk_mail_user_created", "helpdesk_mailbox_allocated",
    "helpdesk_mail_allocated", "helpdesk_save_copy", "helpdesk_intake_run",
    "intake_read_headers", "intake_decide", "helpdesk_user_store",
    "helpdesk_store_check", "helpdesk_store_lookup_message",
    "store_ticket_context", "helpdesk_store_record_message",
    "helpdesk_store_get_ticket", "helpdesk_db_begin", "helpdesk_db_commit",
    "sqlite3_step", "sqlite3_prepare_v3", "sqlite3RunParser",
    "helpdesk_save_begin", "helpdesk_rewrite_stream",
    "helpdesk_rewrite_header_callback", "helpdesk_save_finish",
    "helpdesk_queue_commit", "helpdesk_save_committed",
    "helpdesk_save_delivered", "helpdesk_store_flush",
    "helpdesk_store_set_location",
]


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


def measure(plugin, mode, n):
    rcpt = benchlib.QUEUE_RCPT if mode == "queue" else benchlib.INBOX_RCPT
    runs = {}
    for count in (max(n // 4, 10), n):
        msgs = [(m, rcpt, "cust@customer.example")
                for m in messages(count, "%s%d" % (mode, count))]
        runs[count] = benchlib.callgrind_run(plugin, msgs)
    n0, n1 = sorted(runs)
    total = benchlib.per_delivery(runs[n1][0], runs[n0][0], n1, n0)
    incl = benchlib.diff_per_delivery(runs[n1][1], runs[n0][1], n1, n0)
    excl = benchlib.diff_per_delivery(runs[n1][2], runs[n0][2], n1, n0)
    return total, incl, excl, (n0, n1)


def main():
    plugin = benchlib.need_root_and_plugin("bench-instructions")
    n = int(os.environ.get("BENCH_CG_N", "200"))
    modes = os.environ.get("BENCH_CG_MODES", "queue,inbox").split(",")
    print("bench-instructions: plugin %s" % plugin)
    rows = []
    details = {}
    for mode in modes:
        res = {}
        for variant, p in (("baseline", None), ("plugin", plugin)):
            total, incl, excl, (n0, n1) = measure(p, mode, n)
            res[variant] = total
            details.setdefault(mode, {})[variant] = (incl, excl)
            print("  %-5s %-8s %.0f instructions per delivery (runs of %d and %d mails)"
                  % (mode, variant, total, n0, n1), flush=True)
        rows.append((mode, res["baseline"], res["plugin"]))

    print()
    print("| mode | LMTP instructions per delivery (callgrind) | baseline | plugin "
          "| ratio baseline/plugin | target |")
    print("|---|---|---:|---:|---:|---:|")
    for mode, b, p in rows:
        print("| %s | %s | %.0f | %.0f | %.3f | >= %.2f |"
              % (mode, "into Public/Queue" if mode == "queue" else "into dave's INBOX",
                 b, p, b / p, TARGETS[mode]))

    for mode in modes:
        incl, excl = details[mode]["plugin"]
        excl_b = details[mode]["baseline"][1]
        print()
        print("Plugin run, %s: inclusive instructions per delivery "
              "(callgrind_annotate --inclusive=yes, runs of %d minus %d mails)" % (mode, n, max(n // 4, 10)))
        print()
        print("| function | instructions per delivery |")
        print("|---|---:|")
        for fn in FUNCTIONS:
            if fn in incl and abs(incl[fn]) >= 1:
                print("| `%s` | %.0f |" % (fn, incl[fn]))
        # any other of the plugin's functions with a noticeable share
        print()
        print("Exclusive instructions per delivery by object, %s:" % mode)
        print()
        print("| object | baseline | plugin | plugin - baseline |")
        print("|---|---:|---:|---:|")
        objs = set(excl) | set(excl_b)
        for obj in sorted(objs, key=lambda o: -abs(excl.get(o, 0) - excl_b.get(o, 0))):
            b, v = excl_b.get(obj, 0), excl.get(obj, 0)
            if abs(v) >= 1000 or abs(b) >= 1000:
                print("| %s | %.0f | %.0f | %+.0f |" % (obj, b, v, v - b))

    print()
    for mode, b, p in rows:
        ratio = b / p
        print("bench-instructions: %s: plugin adds %.0f instructions per delivery (%+.1f%%), "
              "ratio %.3f (target >= %.2f): %s"
              % (mode, p - b, 100.0 * (p / b - 1), ratio, TARGETS[mode],
                 "PASS" if ratio >= TARGETS[mode] else "BELOW TARGET"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
