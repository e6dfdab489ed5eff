#!/usr/bin/python3
"""bench-sweep -- `doveadm helpdesk sweep` (the SLA clocks' time-driven
part) with stores of N open tickets, every ticket with its clocks running,
of which some are due (issue 14). Target: under 0.2 s at 100k open
tickets with 1 % due, the cost growing with the number due, not the number
open.

The stores are filled through the store's own API by bench-fill -s DUE
(bench-fill.c: the due tickets were opened 30 days ago, so each has a
response and a resolution clock past their deadlines; the others were
opened "30 days from now" and are not due for a month), for each size N
of BENCH_SWEEP_SIZES with:

  share   N * BENCH_SWEEP_SHARE / 100 tickets due (1 %)
  fixed   BENCH_SWEEP_FIXED tickets due (1000) at every N

and kept in BENCH_SWEEP_CACHE (a store's fill time and epoch in
NAME.filltime; a cached store is refilled when its schema differs from a
new store's, or when it is older than 25 days). Filling happens in
BENCH_SWEEP_FILLDIR (/dev/shm when there is room: no fsyncs) and the
store is then moved to the cache.

One private Dovecot (tests/lib/hdtest, the plugin HD_PLUGIN, its own
sweep code; doveadm's command is the installed doveadm plugin) runs the
whole benchmark. A measurement of one store, BENCH_SWEEP_REPEAT times:
a fresh copy of the store becomes the instance's helpdesk_db, then

  1. `doveadm -f flow helpdesk sweep -u support`: timed (wall clock, and
     the CPU time of doveadm), must report every due ticket due and
     changed;
  2. the same again on the swept store: timed -- the baseline, the
     sweep's fixed cost at N open tickets with nothing due (doveadm's
     start, the mail user, the plugin, the store opened, the due query)
     -- and must find 0 due and write nothing (each warning and breach
     exactly once).

After 1, the store copy is checked (read-only): the tickets with
sla_warned/sla_breached events are exactly the due ones, each with 2 of
each (response and resolution clock), and nothing is due any more.

Then one more sweep of a fresh copy under strace -c: its system calls
(fsyncs, page reads and writes), and one under callgrind: its
instructions (deterministic: the load does not change them). Reports the medians, the due part (sweep minus baseline), the ratios
across sizes: t(largest, share) / t(smallest, share) against the due
ratio, t(largest, fixed) / t(smallest, fixed) (should be near 1), the
verdict against the target, and EXPLAIN QUERY PLAN of the sweep's
statements (taken from plugin/helpdesk-store-sla.c) on the largest store.

Note: the queue mailbox is empty (the tickets' messages are not in it):
the keyword sync of the changed tickets (helpdesk_ticket_sync_keywords)
finds no message to update, so the keyword writes a real queue needs are
not in these figures.

Environment: HD_PLUGIN, HD_SRCDIR, BENCH_BUILDDIR (where bench-fill is),
BENCH_SWEEP_SIZES ("10000 100000 1000000"), BENCH_SWEEP_SHARE (1, per
cent), BENCH_SWEEP_FIXED (1000), BENCH_SWEEP_REPEAT (5),
BENCH_SWEEP_CACHE (/var/tmp/hdbench-stores), BENCH_SWEEP_FILLDIR
(/dev/shm/hdbench-sweep-fill, else the cache), BENCH_SWEEP_STRACE (1: one
more sweep per store under strace -c, its system calls; 0: skip),
BENCH_SWEEP_CG (1: one more under callgrind, its instructions; 0: skip).
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
from benchlib import Dovecot  # noqa: E402

NAME = "bench-sweep"
TARGET_N = 100000
TARGET_SECS = 0.2
# bump when bench-fill -s makes different stores
FILL_VERSION = "v1"
# the not-due tickets' clocks start 30 days after the fill
MAX_CACHE_AGE = 25 * 86400
# per due ticket after a sweep: a warning and a breach of each clock
WARNED_PER_TICKET = 2
BREACHED_PER_TICKET = 2
# BENCH_SWEEP_DUE_AGE: the due tickets' age in seconds (bench-fill -a);
# unset: 30 days (every deadline passed: the sweep after downtime)
DUE_AGE = os.environ.get("BENCH_SWEEP_DUE_AGE")


def say(msg):
    print("%s: %s" % (NAME, msg), flush=True)


def due_tickets(n, due):
    """The ticket numbers bench-fill -s makes due (its fill_sla_is_due)."""
    return [i for i in range(1, n + 1) if (i * due) // n != ((i - 1) * due) // n]


def schema_of(path):
    db = sqlite3.connect("file:%s?mode=ro" % path, uri=True)
    try:
        return sorted(db.execute("SELECT type, name, COALESCE(sql, '') FROM sqlite_master "
                                 "WHERE name NOT LIKE 'sqlite_%'").fetchall())
    finally:
        db.close()


def remove_db(path):
    for suffix in ("", "-wal", "-shm", "-journal"):
        if os.path.exists(path + suffix):
            os.unlink(path + suffix)


def fill_dir(cache, need_bytes):
    d = os.environ.get("BENCH_SWEEP_FILLDIR")
    if d:
        return d
    d = "/dev/shm/hdbench-sweep-fill"
    try:
        st = os.statvfs("/dev/shm")
        if st.f_bavail * st.f_frsize > 2 * need_bytes:
            return d
    except OSError:
        pass
    return cache


def fresh_schema(fill):
    """The schema a store created now has (a store of one ticket)."""
    tmp = "/tmp/hdbench-sweep-schema-%d.db" % os.getpid()
    remove_db(tmp)
    subprocess.run([fill, "-q", "-s", "0", "sqlite:" + tmp, "1"], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        return schema_of(tmp)
    finally:
        remove_db(tmp)


def get_store(fill, cache, schema, n, due):
    """A store of n tickets, due of them due: (path, fill seconds, cached?)."""
    os.makedirs(cache, exist_ok=True)
    path = os.path.join(cache, "sweep-%s-%d-due%d%s.db" % (
        FILL_VERSION, n, due, "-age" + DUE_AGE if DUE_AGE else ""))
    stamp = path + ".filltime"
    if os.path.isfile(path) and os.path.isfile(stamp):
        with open(stamp) as f:
            fields = f.read().split()
        secs, epoch = float(fields[0]), float(fields[1]) if len(fields) > 1 else 0
        age = time.time() - epoch
        if age > MAX_CACHE_AGE:
            say("cached %s is %.0f days old: filling again" % (path, age / 86400))
        elif schema_of(path) != schema:
            say("cached %s has another schema than a new store: filling again" % path)
        else:
            return path, secs, True
    remove_db(path)
    work = fill_dir(cache, n * 1200)
    os.makedirs(work, exist_ok=True)
    tmp = os.path.join(work, os.path.basename(path) + ".tmp")
    remove_db(tmp)
    say("filling %s: %d tickets, %d due (bench-fill -s %d, in %s) ..." % (path, n, due, due, work))
    epoch = time.time()
    t0 = time.monotonic()
    subprocess.run([fill, "-s", str(due)] + (["-a", DUE_AGE] if DUE_AGE else []) +
                   ["sqlite:" + tmp, str(n)], check=True)
    secs = time.monotonic() - t0
    shutil.move(tmp, path)
    remove_db(tmp)
    with open(stamp, "w") as f:
        f.write("%.1f %.0f\n" % (secs, epoch))
    say("filled %d tickets (%d due) in %.0f s, %.0f MB" % (n, due, secs, os.path.getsize(path) / 1e6))
    return path, secs, False


def sweep(dc):
    """One `doveadm helpdesk sweep -u support`: (due, changed, wall, cpu)."""
    cmd = [benchlib.hdtest.DOVEADM, "-c", dc.conf, "-f", "flow", "helpdesk", "sweep",
           "-u", "support"]
    p, wall, cpu = benchlib.timed_run(cmd)
    if p.returncode != 0:
        raise RuntimeError("%s failed (%d): %s%s" % (" ".join(cmd), p.returncode,
                                                    p.stdout, p.stderr))
    fields = dict(w.split("=", 1) for w in p.stdout.split() if "=" in w)
    try:
        return int(fields["due"]), int(fields["changed"]), wall, cpu
    except (KeyError, ValueError):
        raise RuntimeError("unexpected output of %s: %r %r" % (" ".join(cmd), p.stdout, p.stderr))


def sla_events(path):
    """{ticket: [warned, breached]} of the store, by the event_key index
    (the events' keys are "sla_warned:TICKET:..." and "sla_breached:...")."""
    db = sqlite3.connect("file:%s?mode=ro" % path, uri=True, timeout=10)
    out = {}
    try:
        for i, kind in enumerate(("sla_warned", "sla_breached")):
            for ticket, count in db.execute(
                    "SELECT ticket_id, COUNT(*) FROM hd_events WHERE event_key > ? AND "
                    "event_key < ? GROUP BY ticket_id", (kind + ":", kind + ";")):
                out.setdefault(ticket, [0, 0])[i] = count
        still_due = db.execute("SELECT COUNT(*) FROM hd_tickets WHERE sla_next > 0 AND "
                               "sla_next <= ?", (int(time.time()),)).fetchone()[0]
    finally:
        db.close()
    return out, still_due


def check_store(path, expect):
    """Problems (strings) with the swept store: the due tickets have their
    warnings and breaches, no other ticket has any, nothing is due."""
    events, still_due = sla_events(path)
    problems = []
    want = [WARNED_PER_TICKET, BREACHED_PER_TICKET]
    if DUE_AGE:
        # a younger ticket may owe nothing yet (an agent answered it) or
        # have passed one or two points: one event at least, at most a
        # warning and a breach of one clock
        wrong = [t for t in events if not 1 <= sum(events[t]) <= 2]
    else:
        wrong = [t for t in expect if events.get(t) != want]
    extra = [t for t in events if t not in expect]
    if wrong:
        problems.append("%d of %d due tickets without %d warnings and %d breaches (e.g. "
                        "ticket %d: %s)" % (len(wrong), len(expect), want[0], want[1],
                                            wrong[0], events.get(wrong[0])))
    if extra:
        problems.append("%d tickets not due got SLA events (e.g. ticket %d)" % (len(extra), extra[0]))
    if still_due:
        problems.append("%d tickets still due after the sweep" % still_due)
    return problems, sum(sum(v) for v in events.values())


def strace_sweep(dc, path):
    """System calls of one sweep of a fresh copy (strace -f -c): {name:
    count}. Not timed: what the wall clock's excess over the CPU time
    goes to (the WAL's fsyncs at its checkpoints, page reads)."""
    benchlib.put_store_file(dc, path)
    out = os.path.join(dc.root, "strace-sweep.txt")
    cmd = ["strace", "-f", "-c", "-o", out, benchlib.hdtest.DOVEADM, "-c", dc.conf, "-f",
           "flow", "helpdesk", "sweep", "-u", "support"]
    subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL, check=True, timeout=3600)
    calls = {}
    with open(out) as f:
        for line in f:
            fl = line.split()
            if len(fl) >= 5 and fl[0][0].isdigit() and fl[-1] != "total":
                try:
                    calls[fl[-1]] = int(fl[3])
                except ValueError:
                    pass
    return calls


CG_FUNCTIONS = ["helpdesk_sla_sweep_user", "helpdesk_store_sla_sweep",
                "helpdesk_store_sla_refresh", "helpdesk_db_update", "helpdesk_db_commit",
                "helpdesk_ticket_sync_keywords", "mailbox_sync", "helpdesk_store_ticket_uids",
                "sqlite3_step"]


def callgrind_sweep(dc, path):
    """One sweep of a fresh copy under callgrind: (total instructions,
    {function: inclusive}). doveadm execs itself (doveconf) and then runs
    as the mail user: one output file, made writable for it first."""
    benchlib.put_store_file(dc, path)
    out = os.path.join(dc.root, "cg-sweep.out")
    with open(out, "w"):
        pass
    os.chmod(dc.root, 0o755)
    os.chmod(out, 0o666)
    cmd = ["valgrind", "--tool=callgrind", "--trace-children=yes",
           "--callgrind-out-file=" + out, benchlib.hdtest.DOVEADM, "-c", dc.conf, "-f", "flow",
           "helpdesk", "sweep", "-u", "support"]
    subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL, timeout=3600)
    total = benchlib.callgrind_total(out)
    incl = benchlib.annotate_functions(out, inclusive=True)
    os.unlink(out)
    return total, incl


def measure(dc, path, n, due, repeat):
    expect = set(due_tickets(n, due))
    runs, problems = [], []
    for rep in range(repeat):
        benchlib.put_store_file(dc, path)
        got_due, changed, wall, cpu = sweep(dc)
        if DUE_AGE:
            # only those past a point of theirs are due
            if not 0 < got_due <= due or changed != got_due:
                problems.append("run %d: sweep reported due=%d changed=%d of %d"
                                % (rep + 1, got_due, changed, due))
        elif got_due != due or changed != due:
            problems.append("run %d: sweep reported due=%d changed=%d, expected %d"
                            % (rep + 1, got_due, changed, due))
        if rep == 0:
            p, events = check_store(dc.db_path, expect)
            problems += ["run 1: " + x for x in p]
        else:
            events = None
        due2, changed2, wall2, cpu2 = sweep(dc)
        if due2 != 0 or changed2 != 0:
            problems.append("run %d: the second sweep found due=%d changed=%d, expected 0"
                            % (rep + 1, due2, changed2))
        if rep == 0:
            p, events2 = check_store(dc.db_path, expect)
            if events2 != events:
                problems.append("run 1: the second sweep changed the SLA events (%d -> %d)"
                                % (events, events2))
        runs.append((wall, cpu, wall2, cpu2))
        say("  %8d open, %6d due, run %d: sweep %.3f s (CPU %.3f s; it found %d due), "
            "second sweep (0 due) %.3f s (CPU %.3f s)"
            % (n, due, rep + 1, wall, cpu, got_due, wall2, cpu2))
    med = [statistics.median(r[i] for r in runs) for i in range(4)]
    calls = strace_sweep(dc, path) if os.environ.get("BENCH_SWEEP_STRACE", "1") != "0" else {}
    if os.environ.get("BENCH_SWEEP_CG", "1") != "0":
        cg = callgrind_sweep(dc, path)
        say("  %8d open, %6d due: callgrind %d instructions" % (n, due, cg[0]))
    else:
        cg = None
    return med, (calls, cg), problems


def explain(path, srcdir):
    defines = benchlib.c_string_defines(os.path.join(srcdir, "plugin", "helpdesk-store-sla.c"))
    now = str(int(time.time()))
    stmts = [
        ("due tickets (SLA_DUE_QUERY)", "SLA_DUE_QUERY", (now, "100000")),
        ("ticket's clocks (SLA_TICKET_QUERY)", "SLA_TICKET_QUERY", ("31",)),
        ("events to fold (SLA_EVENTS_QUERY)", "SLA_EVENTS_QUERY", ("31", "0")),
        ("clocks written (SLA_TICKET_UPDATE)", "SLA_TICKET_UPDATE", ("0",) * 13 + ("31", "0")),
        ("warning/breach (SLA_REPORT_INSERT)", "SLA_REPORT_INSERT",
         ("k", "31", "sla_warned", "a", "c", "1")),
        ("team's overrides (SLA_TEAM_QUERY)", "SLA_TEAM_QUERY", ("billing",)),
    ]
    db = sqlite3.connect("file:%s?mode=ro" % path, uri=True)
    rows = []
    try:
        for name, define, args in stmts:
            sql = defines.get(define)
            if sql is None:
                rows.append((name, "(not found in helpdesk-store-sla.c)"))
                continue
            plan = db.execute("EXPLAIN QUERY PLAN " + sql, args).fetchall()
            rows.append((name, "; ".join(r[-1] for r in plan)))
        # the keyword sync's read of a changed ticket (helpdesk_store_ticket_uids)
        sql = ("SELECT t.id, t.status, t.subject, t.requester, t.priority, t.team, t.owner, "
               "t.tier, t.vip, t.created, t.updated, t.sla_tag, m.uid FROM hd_tickets t "
               "LEFT JOIN hd_messages m ON m.ticket_id = t.id AND (m.mailbox_guid = ? OR "
               "m.uid = 0) WHERE t.id = ?")
        plan = db.execute("EXPLAIN QUERY PLAN " + sql, ("g", "31")).fetchall()
        rows.append(("ticket's UIDs (keyword sync)", "; ".join(r[-1] for r in plan)))
    finally:
        db.close()
    return rows


def main():
    plugin = benchlib.need_root_and_plugin(NAME)
    fill = benchlib.bench_fill_exe(NAME)
    sizes = [int(x) for x in os.environ.get("BENCH_SWEEP_SIZES", "10000 100000 1000000").split()]
    share = float(os.environ.get("BENCH_SWEEP_SHARE", "1"))
    fixed = int(os.environ.get("BENCH_SWEEP_FIXED", "1000"))
    repeat = int(os.environ.get("BENCH_SWEEP_REPEAT", "5"))
    cache = os.environ.get("BENCH_SWEEP_CACHE", "/var/tmp/hdbench-stores")
    t_start = time.monotonic()
    say("plugin %s; sizes %s open tickets, %g %% and %d due; %d runs each; load average "
        "%.2f %.2f %.2f" % ((plugin, sizes, share, fixed, repeat) + os.getloadavg()))

    schema = fresh_schema(fill)
    configs = []          # (n, due, kind)
    for n in sizes:
        d_share = int(round(n * share / 100.0))
        configs.append((n, d_share, "share"))
        if min(fixed, n) != d_share:
            configs.append((n, min(fixed, n), "fixed"))
    stores = {}
    for n, due, kind in configs:
        path, secs, cached = get_store(fill, cache, schema, n, due)
        if cached:
            say("store of %d tickets, %d due: %s (cached; filled in %.0f s, %.0f MB)"
                % (n, due, path, secs, os.path.getsize(path) / 1e6))
        stores[n, due] = path

    dc = Dovecot(plugin=plugin, users=benchlib.USERS)
    results, problems, sys_calls, cgs = {}, [], {}, {}
    try:
        dc.start()
        say("load average %.2f %.2f %.2f before the sweeps" % os.getloadavg())
        for n, due, kind in configs:
            med, (calls, cg), p = measure(dc, stores[n, due], n, due, repeat)
            results[n, due] = med
            sys_calls[n, due] = calls
            cgs[n, due] = cg
            problems += ["%d open, %d due: %s" % (n, due, x) for x in p]
        errors = dc.log_errors()
        if errors:
            problems.append("log errors: %s" % " | ".join(errors[:3])[:600])
        dc.stop()
    finally:
        dc.cleanup()

    def res(n, kind):
        for n2, due, k in configs:
            if n2 == n and (k == kind or (kind == "fixed" and due == min(fixed, n))):
                return due, results[n, due]
        return None

    print()
    print("Wall clock of `doveadm helpdesk sweep -u support` (s), median of %d runs on fresh "
          "copies; CPU = doveadm's user + system time; baseline = the second sweep of the "
          "same store (nothing due); due part = sweep - baseline:" % repeat)
    print()
    print("| open tickets | due | sweep | CPU | baseline (0 due) | CPU | due part | per due ticket (ms) |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|")
    for n, due, kind in configs:
        w, c, w0, c0 = results[n, due]
        print("| %d | %d | %.3f | %.3f | %.3f | %.3f | %.3f | %.3f |"
              % (n, due, w, c, w0, c0, w - w0, 1000.0 * (w - w0) / due if due else 0))
    print()
    if any(sys_calls.values()):
        print("System calls of one sweep of a fresh copy (strace -f -c; doveadm and what it "
              "runs):")
        print()
        print("| open tickets | due | all | fsync + fdatasync | pwrite64 | pread64 | fcntl |")
        print("|---:|---:|---:|---:|---:|---:|---:|")
        for n, due, kind in configs:
            c = sys_calls[n, due]
            print("| %d | %d | %d | %d | %d | %d | %d |"
                  % (n, due, sum(c.values()), c.get("fsync", 0) + c.get("fdatasync", 0),
                     c.get("pwrite64", 0), c.get("pread64", 0), c.get("fcntl", 0)))
        print()
    if all(cgs.values()):
        print("Instructions of one sweep (callgrind, doveadm's whole run; inclusive per "
              "function):")
        print()
        print("| open tickets | due | total | per due ticket | " +
              " | ".join("`%s`" % f for f in CG_FUNCTIONS) + " |")
        print("|---:|---:|---:|---:|" + "---:|" * len(CG_FUNCTIONS))
        for n, due, kind in configs:
            total, incl = cgs[n, due]
            print("| %d | %d | %d | %.0f | %s |"
                  % (n, due, total, total / float(due) if due else 0,
                     " | ".join("%d" % incl.get(f, 0) for f in CG_FUNCTIONS)))
        print()
    lo, hi = sizes[0], sizes[-1]
    lines = []
    if hi != lo:
        a, b = res(lo, "share"), res(hi, "share")
        lines.append("%g %% due, %d -> %d open: sweep x%.2f, due part x%.2f, baseline x%.2f; "
                     "due tickets x%.0f, open tickets x%.0f"
                     % (share, lo, hi, b[1][0] / a[1][0], (b[1][0] - b[1][2]) / (a[1][0] - a[1][2]),
                        b[1][2] / a[1][2], b[0] / float(a[0]), hi / float(lo)))
        a, b = res(lo, "fixed"), res(hi, "fixed")
        if a and b and a[0] == b[0]:
            lines.append("%d due, %d -> %d open: sweep x%.2f, due part x%.2f, baseline x%.2f "
                         "(follows the number due: ~1)"
                         % (a[0], lo, hi, b[1][0] / a[1][0],
                            (b[1][0] - b[1][2]) / (a[1][0] - a[1][2]), b[1][2] / a[1][2]))
            if cgs.get((lo, a[0])) and cgs.get((hi, b[0])):
                lines.append("%d due, %d -> %d open: instructions x%.3f (callgrind)"
                             % (a[0], lo, hi, cgs[hi, b[0]][0] / float(cgs[lo, a[0]][0])))
    for line in lines:
        say(line)
    verdict = None
    if TARGET_N in sizes:
        due, (w, c, w0, c0) = res(TARGET_N, "share")
        ok = w < TARGET_SECS
        verdict = ("%d open tickets, %d due: sweep %.3f s (baseline %.3f s, ratio %.2f) "
                   "(target < %.1f s): %s" % (TARGET_N, due, w, w0, w / w0, TARGET_SECS,
                                              "PASS" if ok else "ABOVE TARGET"))
    print()
    print("EXPLAIN QUERY PLAN on the store of %d tickets:" % hi)
    print()
    print("| statement | plan |")
    print("|---|---|")
    for name, plan in explain(stores[configs[-1][0], configs[-1][1]], benchlib.SRCDIR):
        print("| %s | %s |" % (name, plan))
    print()
    for p in problems:
        say("PROBLEM " + p)
    if not problems:
        say("checks: every due ticket warned and breached twice, no other ticket, nothing "
            "due after the sweep, the second sweep found 0 due and wrote nothing: OK")
    if verdict:
        say(verdict)
    say("total %.0f s; load average %.2f %.2f %.2f" % ((time.monotonic() - t_start,) + os.getloadavg()))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
