#!/usr/bin/python3
"""bench-scale -- the plugin's own cost per delivery with a small and a
large store: BENCH_SCALE_SMALL (1000) and BENCH_SCALE_N (1000000) tickets,
filled through the store's own API by bench-fill (bench-fill.c).

Every measurement gets a fresh private Dovecot with an empty queue; only
the store differs: a copy of the filled store (owned by the mail user,
where helpdesk_db points) is put in place before the measured start. So
Dovecot's own index work is the same at both sizes and what changes is
the plugin's store work. Workloads of M deliveries each:

  new       new conversations: M new tickets
  followup  customer replies (In-Reply-To/References) to M existing
            tickets spread over the whole store (tickets i % 30 == 1,
            which bench-fill leaves "new" with one message)

Measures, for each size and workload:
  1. callgrind (deterministic): inclusive instructions per delivery of
     the plugin's entry point on the delivery path (helpdesk_intake_run:
     headers, store lookup, decision, the write transaction) and the
     store functions under it, plus the work after the mail commit
     (helpdesk_save_committed), from a run of M minus a run of M/4;
  2. wall clock: the median LMTP round trip per delivery with the plugin
     and with the filled store, minus the same without the plugin (same
     messages, same empty mailbox), REPEAT runs, alternating: the
     plugin's part in ms.
Target: the plugin's part at the large size at most 1.1 times the small.
Then EXPLAIN QUERY PLAN of the delivery path's statements on the large
store (a SCAN of a big table is the suspect when a figure grows).

Environment: HD_PLUGIN, HD_SRCDIR, BENCH_BUILDDIR (where bench-fill is),
BENCH_SCALE_N (1000000), BENCH_SCALE_SMALL (1000), BENCH_SCALE_M (200),
BENCH_REPEAT (3), BENCH_SCALE_CACHE (directory of the filled stores,
kept between runs: /var/tmp/hdbench-stores), BENCH_SCALE_CG (1: run
the callgrind part, 0: skip), BENCH_SCALE_WALL (1/0 likewise).
"""

import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib  # noqa: E402
from benchlib import Dovecot, make_message  # noqa: E402

TARGET = 1.1
CG_FUNCTIONS = [
    "helpdesk_intake_run", "intake_read_headers", "intake_decide",
    "helpdesk_store_lookup_message", "store_ticket_context",
    "helpdesk_store_get_ticket", "helpdesk_store_is_participant",
    "helpdesk_store_record_message", "helpdesk_db_commit",
    "helpdesk_save_committed", "helpdesk_store_flush",
    "helpdesk_store_ticket_uids", "helpdesk_ticket_sync_keywords",
    "sqlite3_step", "sqlite3_prepare_v3",
]
# what the plugin's part is measured by (inclusive)
CG_PLUGIN_PART = ("helpdesk_intake_run", "helpdesk_save_committed")


def fill_store(n, cache):
    """The path of a store with n tickets, filled by bench-fill once and
    kept in cache. Returns (path, fill seconds or None when cached)."""
    os.makedirs(cache, exist_ok=True)
    path = os.path.join(cache, "fill-%d.db" % n)
    if os.path.isfile(path):
        return path, None
    fill = benchlib.bench_fill_exe("bench-scale")
    tmp = path + ".tmp"
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(tmp + suffix):
            os.unlink(tmp + suffix)
    print("bench-scale: filling %s with %d tickets (bench-fill) ..." % (path, n), flush=True)
    t0 = time.monotonic()
    subprocess.run([fill, "sqlite:" + tmp, str(n)], check=True)
    secs = time.monotonic() - t0
    os.rename(tmp, path)
    with open(path + ".filltime", "w") as f:
        f.write("%.1f\n" % secs)
    print("bench-scale: filled %d tickets in %.0f s" % (n, secs), flush=True)
    return path, secs


def put_store(src):
    """prepare() for a Dovecot: its helpdesk_db is a copy of src, owned
    by the mail user."""
    def prepare(dc):
        dst = dc.db_path
        for suffix in ("", "-wal", "-shm"):
            if os.path.exists(dst + suffix):
                os.unlink(dst + suffix)
        shutil.copyfile(src, dst)
        # written out before the measurement, not during it
        with open(dst, "rb+") as f:
            os.fsync(f.fileno())
        uid, gid = benchlib.mail_ids()
        os.chown(dst, uid, gid)
        os.chmod(dst, 0o660)
        # the plugin judges a file changed less than 2 s ago as being
        # created right now (it waits longer for it): an old mtime
        old = time.time() - 3600
        os.utime(dst, (old, old))
    return prepare


def workload(kind, size, m, tag):
    """[(msg, rcpt, sender)] for the workload."""
    out = []
    if kind == "new":
        for i in range(m):
            sender = "new%d@customer.example" % i
            out.append((make_message(subject="Scanner %d jammed" % i, sender=sender,
                                     message_id="<%s-%d@scale.example>" % (tag, i),
                                     body="The scanner jams.\r\n" * 20),
                        benchlib.QUEUE_RCPT, sender))
    else:
        # tickets i % 30 == 1 spread over 1..size
        candidates = (size - 1) // 30 + 1
        step = max(candidates // m, 1)
        for j in range(m):
            i = 1 + 30 * ((j * step) % candidates)
            sender = "cust%d@customer.example" % (i % 5000)
            parent = "<fill-%d@bench.example>" % i
            out.append((make_message(subject="Re: Printer %d on fire" % i, sender=sender,
                                     message_id="<%s-%d@scale.example>" % (tag, j),
                                     in_reply_to=parent, references=parent,
                                     body="It still smokes.\r\n" * 20),
                        benchlib.QUEUE_RCPT, sender))
    return out


def cg_measure(plugin, store, kind, size, m):
    m0 = max(m // 4, 10)
    runs = {}
    for count in (m0, m):
        msgs = workload(kind, size, count, "cg%s%d" % (kind, count))
        def check(dc, count=count):
            w = check_threading(dc, kind, count, warm=0)
            if w:
                print("  " + w)
        runs[count] = benchlib.callgrind_run(plugin, msgs, prepare=put_store(store),
                                             check=check)
    incl = benchlib.diff_per_delivery(runs[m][1], runs[m0][1], m, m0)
    total = benchlib.per_delivery(runs[m][0], runs[m0][0], m, m0)
    return total, incl


def check_threading(dc, kind, m, warm=1):
    """The workload did what it says: new tickets for "new", none for
    "followup" (each reply joined its ticket). Returns a warning or None."""
    db = dc.db()
    try:
        filled = db.execute("SELECT COUNT(*) FROM hd_tickets WHERE origin_key "
                            "LIKE 'fill-%'").fetchone()[0]
        others = db.execute("SELECT COUNT(*) FROM hd_tickets WHERE origin_key "
                            "NOT LIKE 'fill-%'").fetchone()[0]
    finally:
        db.close()
    # the warm-up mail (if any) opens one ticket
    want = warm + (m if kind == "new" else 0)
    if others != want:
        return ("WARNING %s: %d tickets opened, expected %d (store of %d tickets): "
                "the follow-ups did not join their tickets?" % (kind, others, want, filled))
    return None


def lmtp_cpu_ns(dc):
    """CPU time (ns) of dc's LMTP processes (/proc/PID/schedstat)."""
    total = 0
    for pid in benchlib.service_pids(dc, "lmtp"):
        try:
            with open("/proc/%d/schedstat" % pid) as f:
                total += int(f.read().split()[0])
        except OSError:
            pass
    return total


def wall_run(plugin, store, msgs, kind=None):
    """Median LMTP round trip (ms) of msgs over one connection, and the
    LMTP process's CPU time per delivery (ms). mail_fsync = never (both
    variants): the mdbox fsyncs, the same with and without the plugin,
    would bury the plugin's part in the disk's noise."""
    dc = Dovecot(plugin=plugin, users=benchlib.USERS)
    dc.extra_config = "mail_fsync = never\n"
    try:
        dc.start()
        if plugin is not None:
            dc.stop()
            put_store(store)(dc)
            dc.start()
        conn = dc.lmtp(timeout=120)
        # warm-up: not timed (process start, Sieve, the store opened)
        warm = make_message(subject="warm-up", sender="warm@customer.example")
        conn.sendmail("warm@customer.example", [benchlib.QUEUE_RCPT], warm)
        times = []
        cpu0 = lmtp_cpu_ns(dc)
        for msg, rcpt, sender in msgs:
            t0 = time.perf_counter()
            conn.sendmail(sender, [rcpt], msg)
            times.append(time.perf_counter() - t0)
        cpu = (lmtp_cpu_ns(dc) - cpu0) / 1e6 / len(msgs)
        conn.quit()
        errors = dc.log_errors()
        if errors:
            print("  WARNING log errors: %s" % " | ".join(errors[:3])[:600])
        if plugin is not None and kind is not None:
            w = check_threading(dc, kind, len(msgs))
            if w:
                print("  " + w)
        if plugin is not None:
            pending = dc.doveadm("search", "mailbox", "Public/Queue", "KEYWORD",
                                 "hd-pending", user="support", check=False).stdout.split()
            if pending:
                print("  WARNING %d messages hd-pending" % (len(pending) // 2))
        return statistics.median(times) * 1000, cpu
    finally:
        dc.cleanup()


def strace_run(plugin, store, msgs, kind=None):
    """System calls per delivery of the LMTP process (strace -c), with
    the plugin and the filled store: the store's page reads (pread64)
    and writes grow with its size where the instruction count does not
    show it."""
    dc = Dovecot(plugin=plugin, users=benchlib.USERS)
    dc.extra_config = "mail_fsync = never\n"
    try:
        dc.start()
        dc.stop()
        put_store(store)(dc)
        dc.start()
        before = set(benchlib.service_pids(dc, "lmtp"))
        conn = dc.lmtp(timeout=120)
        warm = make_message(subject="warm-up", sender="warm@customer.example")
        conn.sendmail("warm@customer.example", [benchlib.QUEUE_RCPT], warm)
        pids = sorted(set(benchlib.service_pids(dc, "lmtp")) - before) or \
            benchlib.service_pids(dc, "lmtp")
        out = os.path.join(dc.root, "strace.txt")
        prof = subprocess.Popen(["strace", "-c", "-o", out] +
                                [a for pid in pids for a in ("-p", str(pid))],
                                stderr=subprocess.DEVNULL)
        time.sleep(1)
        for msg, rcpt, sender in msgs:
            conn.sendmail(sender, [rcpt], msg)
        prof.send_signal(2)
        prof.wait()
        conn.quit()
        if kind is not None:
            w = check_threading(dc, kind, len(msgs))
            if w:
                print("  " + w)
        calls = {}
        with open(out) as f:
            for line in f:
                fl = line.split()
                if len(fl) >= 5 and fl[0][0].isdigit() and fl[-1] != "total":
                    try:
                        calls[fl[-1]] = int(fl[3]) / float(len(msgs))
                    except ValueError:
                        pass
        return calls
    finally:
        dc.cleanup()


# the delivery path's statements (plugin/helpdesk-store-ticket.c), with
# sample parameters
EXPLAIN = [
    ("lookup (message + references)",
     "SELECT message_key, ticket_id FROM hd_messages WHERE message_key IN (?,?)",
     ("<x@y>", "<fill-31@bench.example>")),
    ("ticket context",
     "SELECT t.id, t.status, t.subject, t.requester, t.priority, t.team, t.owner, "
     "t.tier, t.vip, t.created, t.updated, (SELECT username FROM hd_agents WHERE "
     "address = ? AND address != '' ORDER BY username LIMIT 1), (SELECT actor FROM "
     "hd_events WHERE event_key = ?) FROM hd_tickets t WHERE t.id = ?",
     ("cust31@customer.example", "replied:<x@y>", "31")),
    ("new ticket",
     "INSERT INTO hd_tickets (origin_key, subject, requester, status, priority, team, "
     "vip, created, updated) VALUES (?, ?, ?, 'new', ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
     ("<x@y>", "s", "r", "normal", "", "0", "1", "1")),
    ("message of a new ticket",
     "INSERT INTO hd_messages (message_key, ticket_id, sender, subject, kind, created) "
     "VALUES (?, (SELECT id FROM hd_tickets WHERE origin_key = ?), ?, ?, ?, ?) "
     "ON CONFLICT DO NOTHING", ("<x@y>", "<x@y>", "s", "s", "customer", "1")),
    ("participant",
     "INSERT INTO hd_participants (ticket_id, address) VALUES (?, ?) ON CONFLICT DO NOTHING",
     ("31", "a@b")),
    ("event",
     "INSERT INTO hd_events (event_key, ticket_id, kind, actor, message_key, detail, "
     "created) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
     ("message:<x@y>", "31", "message", "a", "<x@y>", "", "1")),
    ("follow-up's ticket update",
     "UPDATE hd_tickets SET updated = ?, status = CASE status WHEN 'resolved' THEN "
     "'open' WHEN 'waiting' THEN 'open' ELSE status END WHERE id = ?", ("1", "31")),
    ("location",
     "UPDATE hd_messages SET mailbox_guid = ?, uid = ? WHERE message_key = ? AND uid = 0",
     ("g", "1", "<x@y>")),
    ("new ticket's number",
     "SELECT id FROM hd_tickets WHERE origin_key = ?", ("<x@y>",)),
    ("ticket by number", "SELECT t.id FROM hd_tickets t WHERE t.id = ?", ("31",)),
    ("is participant",
     "SELECT 1 FROM hd_participants WHERE ticket_id = ? AND address = ?", ("31", "a@b")),
    ("ticket's UIDs (ticket sync)",
     "SELECT t.id, m.uid FROM hd_tickets t LEFT JOIN hd_messages m ON m.ticket_id = t.id "
     "AND (m.mailbox_guid = ? OR m.uid = 0) WHERE t.id = ?", ("g", "31")),
]


def explain(path):
    db = sqlite3.connect("file:%s?mode=ro" % path, uri=True)
    rows = []
    try:
        for name, sql, args in EXPLAIN:
            plan = db.execute("EXPLAIN QUERY PLAN " + sql, args).fetchall()
            rows.append((name, "; ".join(r[-1] for r in plan)))
    finally:
        db.close()
    return rows


def main():
    plugin = benchlib.need_root_and_plugin("bench-scale")
    big = int(os.environ.get("BENCH_SCALE_N", "1000000"))
    small = int(os.environ.get("BENCH_SCALE_SMALL", "1000"))
    m = int(os.environ.get("BENCH_SCALE_M", "200"))
    repeat = int(os.environ.get("BENCH_REPEAT", "3"))
    cache = os.environ.get("BENCH_SCALE_CACHE", "/var/tmp/hdbench-stores")
    do_cg = os.environ.get("BENCH_SCALE_CG", "1") != "0"
    do_wall = os.environ.get("BENCH_SCALE_WALL", "1") != "0"
    do_strace = os.environ.get("BENCH_SCALE_STRACE", "1") != "0"
    sizes = [small, big]
    print("bench-scale: plugin %s; sizes %s tickets; %d deliveries per workload; "
          "load average %.2f %.2f %.2f" % ((plugin, sizes, m) + os.getloadavg()), flush=True)
    stores = {}
    for n in sizes:
        path, secs = fill_store(n, cache)
        if secs is None and os.path.isfile(path + ".filltime"):
            with open(path + ".filltime") as f:
                secs = float(f.read())
            print("bench-scale: store of %d tickets from the cache %s (filled in %.0f s, "
                  "%.0f MB)" % (n, path, secs, os.path.getsize(path) / 1e6))
        stores[n] = path

    kinds = ("new", "followup")
    cg, wall = {}, {}
    if do_cg:
        for kind in kinds:
            for n in sizes:
                total, incl = cg_measure(plugin, stores[n], kind, n, m)
                cg[kind, n] = (total, incl)
                part = sum(incl.get(f, 0) for f in CG_PLUGIN_PART)
                print("  callgrind %-8s %8d tickets: plugin's part %.0f instructions per "
                      "delivery (LMTP total %.0f)" % (kind, n, part, total), flush=True)
    sys_calls = {}
    if do_strace:
        for kind in kinds:
            for n in sizes:
                sys_calls[kind, n] = strace_run(plugin, stores[n],
                                                workload(kind, n, m, "s%s%d" % (kind, n)), kind)
                print("  strace %-8s %8d tickets: %.1f system calls per delivery (pread64 %.1f, "
                      "pwrite64 %.1f)" % (kind, n, sum(sys_calls[kind, n].values()),
                                          sys_calls[kind, n].get("pread64", 0),
                                          sys_calls[kind, n].get("pwrite64", 0)), flush=True)
    if do_wall:
        base_msgs = {}
        for kind in kinds:
            for n in sizes:
                msgs = workload(kind, n, m, "w%s%d" % (kind, n))
                res = {"baseline": [], "plugin": []}
                for rep in range(repeat):
                    order = [("baseline", None), ("plugin", plugin)]
                    if rep % 2:
                        order = order[::-1]
                    for variant, p in order:
                        ms, cpu = wall_run(p, stores[n], msgs, kind)
                        res[variant].append((ms, cpu))
                        print("  wall %-8s %8d tickets %-8s run %d: median %.3f ms per delivery, "
                              "LMTP CPU %.3f ms" % (kind, n, variant, rep + 1, ms, cpu), flush=True)
                wall[kind, n] = tuple(statistics.median(r[i] for r in res[v])
                                      for i in (0, 1) for v in ("baseline", "plugin"))
        del base_msgs

    print()
    verdicts = []
    if do_cg:
        print("Callgrind, inclusive instructions per delivery (runs of %d minus %d):" % (m, max(m // 4, 10)))
        print()
        print("| function | " + " | ".join("%s %d" % (k, n) for k in kinds for n in sizes) + " |")
        print("|---|" + "---:|" * (len(kinds) * len(sizes)))
        for fn in CG_FUNCTIONS:
            vals = [cg[k, n][1].get(fn, 0) for k in kinds for n in sizes]
            if any(abs(v) >= 1 for v in vals):
                print("| `%s` | %s |" % (fn, " | ".join("%.0f" % v for v in vals)))
        print("| LMTP total per delivery | %s |"
              % " | ".join("%.0f" % cg[k, n][0] for k in kinds for n in sizes))
        print()
        for kind in kinds:
            a = sum(cg[kind, small][1].get(f, 0) for f in CG_PLUGIN_PART)
            b = sum(cg[kind, big][1].get(f, 0) for f in CG_PLUGIN_PART)
            verdicts.append(("%s, instructions" % kind, a, b, "%.0f" % a, "%.0f" % b))
    if do_wall:
        print("Wall clock (mail_fsync = never), median LMTP round trip per delivery and the "
              "LMTP process's CPU time per delivery (ms), median of %d runs each, alternating:"
              % repeat)
        print()
        print("| workload | tickets | round trip baseline | plugin | plugin's part "
              "| CPU baseline | plugin | plugin's part |")
        print("|---|---:|---:|---:|---:|---:|---:|---:|")
        for kind in kinds:
            for n in sizes:
                b, p, cb, cp = wall[kind, n]
                print("| %s | %d | %.3f | %.3f | %.3f | %.3f | %.3f | %.3f |"
                      % (kind, n, b, p, p - b, cb, cp, cp - cb))
        print()
        for kind in kinds:
            for what, i in (("round trip ms", 0), ("CPU ms", 2)):
                a = wall[kind, small][i + 1] - wall[kind, small][i]
                b = wall[kind, big][i + 1] - wall[kind, big][i]
                verdicts.append(("%s, %s" % (kind, what), a, b, "%.3f" % a, "%.3f" % b))

    if do_strace:
        print("System calls per delivery of the LMTP process with the plugin (strace -c):")
        print()
        print("| system call | " + " | ".join("%s %d" % (k, n) for k in kinds for n in sizes) + " |")
        print("|---|" + "---:|" * (len(kinds) * len(sizes)))
        names = sorted({c for v in sys_calls.values() for c in v},
                       key=lambda c: -sys_calls[kinds[0], big].get(c, 0))
        for c in names + ["(all)"]:
            vals = [sum(sys_calls[k, n].values()) if c == "(all)" else sys_calls[k, n].get(c, 0)
                    for k in kinds for n in sizes]
            if max(vals) >= 0.5:
                print("| %s | %s |" % (c, " | ".join("%.1f" % v for v in vals)))
        print()
    print("EXPLAIN QUERY PLAN on the store of %d tickets:" % big)
    print()
    print("| statement | plan |")
    print("|---|---|")
    for name, plan in explain(stores[big]):
        print("| %s | %s |" % (name, plan))
    print()
    print("| plugin's part per delivery | %d tickets | %d tickets | ratio |" % (small, big))
    print("|---|---:|---:|---:|")
    worst = 0.0
    for name, a, b, sa, sb in verdicts:
        r = b / a if a > 0 else float("inf")
        worst = max(worst, r)
        print("| %s | %s | %s | %.2f |" % (name, sa, sb, r))
    print()
    if not verdicts:
        print("bench-scale: no ratio measured (BENCH_SCALE_CG=0 and BENCH_SCALE_WALL=0)")
        return 0
    print("bench-scale: plugin's part from %d to %d tickets: worst ratio %.2f (target <= %.1f): "
          "%s; load average %.2f %.2f %.2f"
          % ((small, big, worst, TARGET, "PASS" if worst <= TARGET else "ABOVE TARGET")
             + os.getloadavg()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
