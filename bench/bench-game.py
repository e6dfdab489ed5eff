#!/usr/bin/python3
"""bench-game -- what the game (issue 16) costs an agent's action: the
IMAP round trip of a claim and a resolution with helpdesk_game = yes (the
default: the action's fold of the new events into points, totals, badges)
against helpdesk_game = no (the same ledger events, no fold), in the
same run.

Per run, private Dovecots (tests/lib/hdtest, the plugin HD_PLUGIN,
helpdesk_timezone = UTC) run side by side:

  on       helpdesk_game = yes
  off      helpdesk_game = no
  on+log   helpdesk_game = yes, and before the timed part the fold log
           (hd_game_folds) is given BENCH_GAME_FOLD_LOG rows (300000:
           about a year of per-action folds at the volume of
           bench-leaderboard's fill, ~3 folds per ticket) -- rows of
           negative event ids, below the real cursor, so that nothing
           else changes (0: no such variant)

Each gets the team "tech" with alice, bob and carol registered (doveadm
helpdesk team/agent add) and BENCH_GAME_N + 1 new tickets over LMTP. Then
alice's client, one IMAP connection per Dovecot, SELECTs the queue and,
for every ticket, does what an agent's client does:

  UID STORE n +FLAGS (hd-claim)      then
  UID STORE n +FLAGS (hd-resolved)

(the first ticket is the warm-up). The Dovecots take turns ticket by
ticket, the order rotating, so that the load of the machine falls on all
alike; each round trip (claim + resolution) is timed, and the claim and
the resolution alone. BENCH_GAME_REPEAT runs, each on fresh Dovecots.

Checks: every ticket resolved in the store (a "resolved" event each);
on: hd_points holds a resolution entry per ticket; off: no points, no
fold log. After the timing, `doveadm helpdesk game rebuild` on the off
Dovecot folds its ledger in one go (timed, minus the same doveadm's
`game rules`, which folds nothing then): the batch cost of the same
events; its total points must equal the on Dovecot's.

Reports per variant the median and p95 of the round trip (ms; medians of
the runs' figures), the ratio on / off, and the extra time per action.

Environment: HD_PLUGIN (required), HD_SRCDIR, BENCH_GAME_N (300),
BENCH_GAME_REPEAT (3), BENCH_GAME_FOLD_LOG (300000; 0: no on+log).

Run as root:  make -C bench bench-game
"""

import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib  # noqa: E402
from benchlib import Dovecot, make_message  # noqa: E402

NAME = "bench-game"
N = int(os.environ.get("BENCH_GAME_N", "300"))
REPEAT = int(os.environ.get("BENCH_GAME_REPEAT", "3"))
FOLD_LOG = int(os.environ.get("BENCH_GAME_FOLD_LOG", "300000"))
QUEUE = "Public/Queue"
USERS = ("support", "alice", "bob", "carol")


def say(msg):
    print("%s: %s" % (NAME, msg), flush=True)


def pct(values, p):
    v = sorted(values)
    return v[min(len(v) - 1, int(round(p * (len(v) - 1))))]


class Instance:
    def __init__(self, plugin, name, game, fold_log=0):
        self.name = name
        self.game = game
        self.fold_log = fold_log
        self.dc = Dovecot(plugin=plugin, users=USERS, settings={
            "helpdesk_timezone": "UTC",
            "helpdesk_game": "yes" if game else "no"})
        self.conn = None
        self.uids = []
        self.claim, self.resolve, self.both = [], [], []

    def prepare(self, run):
        dc = self.dc
        dc.start()
        dc.deliver(make_message(subject="warm up",
                                sender="w%d@customer.example" % run))
        for args in (("team", "add", "tech"),
                     ("agent", "add", "-a", "alice@example.com", "-t", "tech", "alice"),
                     ("agent", "add", "-a", "bob@example.com", "-t", "tech", "bob"),
                     ("agent", "add", "-a", "carol@example.com", "-t", "tech", "carol")):
            dc.doveadm("helpdesk", *args)
        res = dc.deliver_many([make_message(
            subject="Request %d" % i,
            sender="c%d-%d@customer.example" % (run, i)) for i in range(N + 1)])
        bad = [r for r in res if not r.ok]
        if bad:
            sys.exit("%s: %s: %d deliveries failed: %s" % (NAME, self.name, len(bad), bad[0]))
        if self.fold_log:
            # the fold log a year of per-action folds leaves: only its size
            # matters to the cursor query; ids below 0 leave the cursor alone
            dc.sql_write("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 "
                         "FROM n WHERE i < ?) INSERT INTO hd_game_folds "
                         "(start_event, end_event, created) SELECT -i - 1, -i, 0 FROM n",
                         (self.fold_log,))
        self.conn = dc.imap("alice")
        typ, _ = self.conn.select(QUEUE)
        if typ != "OK":
            sys.exit("%s: %s: SELECT %s failed" % (NAME, self.name, QUEUE))
        typ, dat = self.conn.uid("SEARCH", "ALL")
        self.uids = dat[0].split()
        # the warm-up delivery is the first message of the queue
        self.uids = self.uids[-(N + 1):]
        if len(self.uids) != N + 1:
            sys.exit("%s: %s: %d messages in the queue, not %d"
                     % (NAME, self.name, len(self.uids), N + 1))
        # warm-up: the store opened, the keywords, the first fold
        self.action(self.uids[0], timed=False)

    def store(self, uid, flag):
        typ, dat = self.conn.uid("STORE", uid, "+FLAGS", "(%s)" % flag)
        if typ != "OK":
            sys.exit("%s: %s: STORE %s +FLAGS (%s) failed: %r"
                     % (NAME, self.name, uid.decode(), flag, dat))

    def action(self, uid, timed=True):
        t0 = time.perf_counter()
        self.store(uid, "hd-claim")
        t1 = time.perf_counter()
        self.store(uid, "hd-resolved")
        t2 = time.perf_counter()
        if timed:
            self.claim.append((t1 - t0) * 1000)
            self.resolve.append((t2 - t1) * 1000)
            self.both.append((t2 - t0) * 1000)

    def check(self):
        dc = self.dc
        problems = []
        resolved = dc.sql("SELECT COUNT(DISTINCT ticket_id) FROM hd_events "
                          "WHERE kind = 'resolved'")[0][0]
        if resolved != N + 1:
            problems.append("%d tickets resolved, not %d" % (resolved, N + 1))
        entries = dc.sql("SELECT COUNT(*) FROM hd_points WHERE rule = 'resolve'")[0][0]
        folds = dc.sql("SELECT COUNT(*) FROM hd_game_folds WHERE start_event >= 0")[0][0]
        if self.game and entries != N + 1:
            problems.append("%d resolve entries in hd_points, not %d" % (entries, N + 1))
        if not self.game and (entries != 0 or folds != 0):
            problems.append("game off, but %d points entries, %d folds" % (entries, folds))
        errors = dc.log_errors()
        if errors:
            problems.append("log errors: %s" % " | ".join(errors[:3])[:600])
        return problems, folds

    def points(self):
        return self.dc.sql("SELECT COALESCE(SUM(points), 0), COUNT(*) FROM hd_points")[0]

    def close(self):
        if self.conn is not None:
            try:
                self.conn.logout()
            except Exception:
                pass
        self.dc.stop()
        self.dc.cleanup()


def doveadm_secs(dc, *args):
    t0 = time.perf_counter()
    dc.doveadm(*args, timeout=600)
    return time.perf_counter() - t0


def one_run(plugin, run):
    insts = [Instance(plugin, "on", True), Instance(plugin, "off", False)]
    if FOLD_LOG:
        insts.append(Instance(plugin, "on+log", True, FOLD_LOG))
    problems = []
    try:
        for inst in insts:
            inst.prepare(run)
        for i in range(1, N + 1):
            # rotate who goes first
            k = i % len(insts)
            for inst in insts[k:] + insts[:k]:
                inst.action(inst.uids[i])
        folds = {}
        for inst in insts:
            p, folds[inst.name] = inst.check()
            problems += ["%s: %s" % (inst.name, x) for x in p]
        # the off Dovecot's ledger folded in one go, minus doveadm's start
        off = insts[1]
        rebuild = doveadm_secs(off.dc, "helpdesk", "game", "rebuild")
        rules = min(doveadm_secs(off.dc, "helpdesk", "game", "rules") for _ in range(3))
        on_points, off_points = insts[0].points(), off.points()
        if on_points != off_points:
            problems.append("points (sum, entries): on %r, off after the rebuild %r"
                            % (on_points, off_points))
        res = {inst.name: (statistics.median(inst.both), pct(inst.both, 0.95),
                           statistics.median(inst.claim), statistics.median(inst.resolve))
               for inst in insts}
        for name, (med, p95, claim, resolve) in res.items():
            say("run %d, %s: claim + resolve median %.3f ms, p95 %.3f ms "
                "(claim %.3f, resolve %.3f)%s" % (
                    run + 1, name, med, p95, claim, resolve,
                    "; %d folds" % folds[name] if name.startswith("on") else ""))
        say("run %d: off's ledger folded by `doveadm helpdesk game rebuild`: "
            "%.3f s, `game rules` %.3f s: %.2f ms for %d actions (%.3f ms each)"
            % (run + 1, rebuild, rules, (rebuild - rules) * 1000, N + 1,
               (rebuild - rules) * 1000 / (N + 1)))
        return res, problems, rebuild - rules
    finally:
        for inst in insts:
            inst.close()


def main():
    plugin = benchlib.need_root_and_plugin(NAME)
    t_start = time.monotonic()
    say("plugin %s; %d tickets per run, claim + resolve each, %d runs; fold log "
        "variant %d rows; load average %.2f %.2f %.2f"
        % ((plugin, N, REPEAT, FOLD_LOG) + os.getloadavg()))
    runs, problems, rebuilds = [], [], []
    for r in range(REPEAT):
        res, p, rb = one_run(plugin, r)
        runs.append(res)
        problems += ["run %d: %s" % (r + 1, x) for x in p]
        rebuilds.append(rb)
    names = list(runs[0])

    def med(name, i):
        return statistics.median(r[name][i] for r in runs)

    print()
    print("| variant | claim + resolve median (ms) | p95 | claim | resolve | ratio to off | per action (ms) |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    off = med("off", 0)
    for name in names:
        print("| %s | %.3f | %.3f | %.3f | %.3f | %.3f | %+.3f |"
              % (name, med(name, 0), med(name, 1), med(name, 2), med(name, 3),
                 med(name, 0) / off, med(name, 0) - off))
    print()
    for p in problems:
        say("PROBLEM " + p)
    if not problems:
        say("checks: every ticket resolved, a resolve entry each with the game on, "
            "none and no fold with it off, the rebuild of off's ledger gives on's "
            "points, no errors logged: OK")
    rb = statistics.median(rebuilds)
    say("%d tickets per run, 1 IMAP client, median of %d runs: claim + resolve "
        "off %.3f ms, on %.3f ms, ratio %.3f, %+.3f ms per action; the same events "
        "folded in one go: %.3f ms per action"
        % (N, REPEAT, off, med("on", 0), med("on", 0) / off, med("on", 0) - off,
           rb * 1000 / (N + 1)))
    if "on+log" in names:
        say("with a fold log of %d rows: on %.3f ms, ratio %.3f, %+.3f ms per action"
            % (FOLD_LOG, med("on+log", 0), med("on+log", 0) / off, med("on+log", 0) - off))
    say("total %.0f s; load average %.2f %.2f %.2f"
        % ((time.monotonic() - t_start,) + os.getloadavg()))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
