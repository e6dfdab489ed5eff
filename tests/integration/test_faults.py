#!/usr/bin/python3
"""Fault tolerance of the helpdesk plugin: the ticket store is missing,
unwritable, locked by another writer or corrupt; invalid settings; an LMTP
process killed with SIGKILL in the middle of a delivery.

For every store fault: mail delivered during the outage must still be
accepted (250) and filed into Public/Queue as hd-pending without a ticket
header, the plugin logs ONE error line per outage (not one per message), and
once the store is repaired, `doveadm helpdesk reconcile` (or the next
successful delivery in the LMTP process that saw the outage) turns every
pending message into a ticket: exactly one copy per message, nothing lost,
nothing duplicated.

TAP output.  Run as root:
  HD_PLUGIN=.../lib20_helpdesk_plugin.so HD_SRCDIR=... \
      /usr/bin/python3 tests/integration/test_faults.py
"""

import os
import re
import shutil
import signal
import sqlite3
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))

from hdtest import Dovecot, make_message, wait_until, plugin_or_skip, msgid_of, \
    hd_keywords  # noqa: E402
from tap import Tap  # noqa: E402

OUTAGE_RE = r"helpdesk: store .* unavailable, queue mail is delivered as hd-pending"
N_FAULT = 3


# ----------------------------------------------------------------- helpers

def by_msgid(msgs, mid):
    return [m for m in msgs if m["message_id"] == mid]


def ticket_hdr(m):
    v = m["headers"]["X-Helpdesk-Ticket"]
    return v.strip() if v is not None else None


def summary(msgs):
    return "\n".join("uid=%s mid=%s subj=%r kw=%s ticket=%r" % (
        m["uid"], m["message_id"], m["subject"], sorted(hd_keywords(m)), ticket_hdr(m))
        for m in msgs)


def outage_lines(dc, since):
    return dc.log_errors(OUTAGE_RE, since=since)


def set_owner(paths, uid, gid, mode):
    for p in paths:
        if os.path.exists(p):
            os.chown(p, uid, gid)
            os.chmod(p, mode)


def db_files(dc):
    return [dc.db_path + s for s in ("", "-wal", "-shm", "-journal")]


def db_tickets(dc):
    """{ticket id: subject} and {message_key: ticket_id} from the store."""
    return (dict(dc.sql("SELECT id, subject FROM hd_tickets")),
            dict(dc.sql("SELECT message_key, ticket_id FROM hd_messages")))


def reconcile(dc):
    """doveadm helpdesk reconcile -u support -> (rc, {user: (reconciled, pending)}, text)."""
    p = dc.doveadm("helpdesk", "reconcile", user="support", check=False)
    rows = {}
    for line in p.stdout.splitlines():
        f = line.split()
        # user reconciled pending [more counters, e.g. rebuilt]
        if len(f) >= 3 and all(x.isdigit() for x in f[1:]):
            rows[f[0]] = (int(f[1]), int(f[2]))
    return p.returncode, rows, p.stdout + p.stderr


def check_during_outage(t, dc, name, results, mids, mark):
    t.ok(all(r.code == 250 for r in results),
         "%s: all %d mails accepted with 250 during the outage" % (name, len(results)),
         repr(results))
    q = dc.queue("alice")
    bad = []
    for mid in mids:
        found = by_msgid(q, mid)
        if len(found) != 1 or "hd-pending" not in found[0]["keywords"] \
                or ticket_hdr(found[0]) is not None \
                or found[0]["subject"].startswith("[#") \
                or "hd-new" in found[0]["keywords"]:
            bad.append((mid, summary(found)))
    t.ok(not bad, "%s: every mail is in the queue once, hd-pending, no ticket header/tag"
         % name, lambda: "%r\nqueue:\n%s" % (bad, summary(q)))
    lines = outage_lines(dc, mark)
    t.eq(len(lines), 1, "%s: exactly one 'store unavailable' error line for the outage" % name)
    if len(lines) != 1:
        t.diag("\n".join(lines) or dc.log(mark)[-3000:])
    other = [l for l in dc.log_errors(since=mark)
             if not re.search(OUTAGE_RE, l)]
    t.ok(not any(re.search(r"\b(Panic|Fatal): ", l) for l in other),
         "%s: no Panic/Fatal during the outage" % name, "\n".join(other))


def check_reconciled(t, dc, name, mids, before_ids, extra_ids=()):
    """Every message of mids exists exactly once with a ticket; the queue
    holds exactly before_ids + mids + extra_ids (nothing lost/duplicated)."""
    q = dc.queue("alice")
    ids = [m["message_id"] for m in q]
    expected = sorted(list(before_ids) + list(mids) + list(extra_ids))
    t.eq(sorted(ids), expected,
         "%s: queue holds every message exactly once (%d), nothing lost or duplicated"
         % (name, len(expected)))
    pending = [m for m in q if "hd-pending" in m["keywords"]]
    t.ok(not pending, "%s: no hd-pending message left" % name, lambda: summary(pending))
    numbers = []
    bad = []
    for mid in mids:
        found = by_msgid(q, mid)
        if len(found) != 1:
            bad.append((mid, "copies=%d" % len(found)))
            if not found:
                continue
        m = found[0]
        n = ticket_hdr(m)
        if not n or not n.isdigit():
            bad.append((mid, "no ticket header", summary([m])))
            continue
        numbers.append(int(n))
        kw = hd_keywords(m)
        if not m["subject"].startswith("[#%s] " % n) or "hd-new" not in kw \
                or "hd-prio-normal" not in kw or "hd-pending" in kw:
            bad.append((mid, summary([m])))
    t.ok(not bad, "%s: each pending mail became a ticket (header, [#N] tag, hd-new, "
         "hd-prio-normal, no hd-pending)" % name, lambda: repr(bad))
    t.eq(len(set(numbers)), len(mids), "%s: %d distinct ticket numbers" % (name, len(mids)))
    try:
        tickets, msgs = db_tickets(dc)
        missing = [n for n in numbers if n not in tickets]
        t.ok(not missing and numbers, "%s: the store has tickets %s" % (name, sorted(numbers)),
             "missing %r; store tickets %r" % (missing, tickets))
        keyed = [k for k, v in msgs.items() if v in numbers]
        t.ok(len(keyed) >= len(mids), "%s: the store links the messages to the tickets" % name,
             repr(msgs))
    except Exception as e:
        t.ok(False, "%s: store readable after repair" % name, repr(e))
    return numbers


def start(t, name, **kw):
    dc = Dovecot(**kw)
    try:
        dc.start()
    except Exception as e:
        t.ok(False, "%s: private Dovecot starts" % name, str(e))
        dc.cleanup()
        return None
    return dc


def baseline(t, dc, name):
    """Deliver one message with a healthy store; return queue Message-IDs."""
    m = make_message(subject="%s: before the outage" % name)
    r = dc.deliver(m)
    q = dc.queue("alice")
    found = by_msgid(q, msgid_of(m))
    t.ok(r.ok and found and ticket_hdr(found[0]) == "1",
         "%s: healthy store: first mail becomes ticket 1" % name,
         lambda: "%r\n%s\n%s" % (r, summary(q), dc.log()[-2000:]))
    return [x["message_id"] for x in q]


def fault_msgs(name):
    return [make_message(subject="%s fault mail %d" % (name, i),
                         sender="user%d@customer.example" % i) for i in range(N_FAULT)]


def lmtp_pids(dc):
    master = dc.master_pid()
    out = []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % d) as f:
                st = f.read()
            comm = st[st.index("(") + 1:st.rindex(")")]
            ppid = int(st.rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        if ppid != master:
            continue
        if comm == "lmtp":
            out.append(int(d))
            continue
        try:
            # $HD_VALGRIND: the service runs as valgrind ... lmtp
            with open("/proc/%s/cmdline" % d, "rb") as f:
                argv = f.read().split(b"\0")
        except OSError:
            continue
        if any(a.endswith(b"/lmtp") for a in argv):
            out.append(int(d))
    return out


# --------------------------------------------------------------- scenarios

def outage_then_next_delivery(t, dc, name, mark, before, repair,
                              trigger_subject, repaired):
    """The fault's mails over one LMTP connection (so one LMTP process sees
    the outage, the repair and the next delivery): checked pending, then
    repair(), then one more mail, which must reconcile the pending ones."""
    msgs = fault_msgs(name)
    mids = [msgid_of(m) for m in msgs]
    conn = dc.lmtp(timeout=60)
    results = []
    t0 = time.monotonic()
    try:
        for m in msgs:
            res, _ = dc._transaction(conn, m, ["support@example.com"], "customer@example.org")
            results.append(res["support@example.com"])
        # they all came back during the outage: the plugin gave up on the
        # store instead of waiting for it
        t.diag("%s: %d deliveries during the outage took %.1f s"
               % (name, N_FAULT, time.monotonic() - t0))
        check_during_outage(t, dc, name, results, mids, mark)
        repair()
        trigger = make_message(subject="%s: %s" % (name, trigger_subject))
        res, _ = dc._transaction(conn, trigger, ["support@example.com"],
                                 "customer@example.org")
        r = res["support@example.com"]
    finally:
        try:
            conn.quit()
        except Exception:
            pass
    t.ok(r.code == 250, "%s: delivery after %s accepted" % (name, repaired), repr(r))
    # the reconcile may finish right after the reply
    try:
        wait_until(lambda: not [m for m in dc.queue("alice")
                                if "hd-pending" in m["keywords"]],
                   timeout=5, what="pending mail reconciled")
    except TimeoutError:
        pass
    check_reconciled(t, dc, name + " (reconciled by the next delivery)", mids, before,
                     [msgid_of(trigger)])


def scenario_missing(t):
    """Store directory vanishes while Dovecot runs; it comes back; the next
    successful delivery in the same LMTP process reconciles the pending mail."""
    name = "missing"
    dc = start(t, name)
    if not dc:
        return
    try:
        dbdir = os.path.dirname(dc.db_path)
        before = baseline(t, dc, name)
        # drop cached store connections, then take the directory away
        dc.stop()
        os.rename(dbdir, dbdir + ".away")
        dc.start()
        mark = dc.log_mark()
        outage_then_next_delivery(
            t, dc, name, mark, before,
            repair=lambda: os.rename(dbdir + ".away", dbdir),
            trigger_subject="store is back", repaired="repair")
        rc, rows, text = reconcile(dc)
        t.ok(rc == 0 and rows.get("support") == (0, 0),
             "%s: a later doveadm reconcile finds nothing to do" % name, text)
    finally:
        dc.cleanup()


def scenario_unwritable(t):
    """Store file (and WAL files) owned by root 0644: nobody cannot write."""
    name = "unwritable"
    dc = start(t, name)
    if not dc:
        return
    try:
        before = baseline(t, dc, name)
        dc.stop()
        files = db_files(dc)
        set_owner(files, 0, 0, 0o644)
        dc.start()
        mark = dc.log_mark()
        msgs = fault_msgs(name)
        mids = [msgid_of(m) for m in msgs]
        results = dc.deliver_many(msgs)
        check_during_outage(t, dc, name, results, mids, mark)
        # repair
        set_owner(files, dc._uid, dc._gid, 0o660)
        rc, rows, text = reconcile(dc)
        t.ok(rc == 0 and rows.get("support") == (N_FAULT, 0),
             "%s: doveadm reconcile reports %d reconciled, 0 pending" % (name, N_FAULT), text)
        numbers = check_reconciled(t, dc, name, mids, before)
        # replay of an already ticketed message: never a second ticket
        if numbers:
            ntickets = len(db_tickets(dc)[0])
            r = dc.deliver(msgs[0])
            t.ok(r.ok, "%s: replayed delivery accepted" % name, repr(r))
            t.eq(len(db_tickets(dc)[0]), ntickets,
                 "%s: replayed Message-ID makes no second ticket" % name)
            copies = by_msgid(dc.queue("alice"), mids[0])
            hdrs = {ticket_hdr(c) for c in copies}
            t.ok(len(hdrs) == 1 and None not in hdrs,
                 "%s: every copy of the replayed mail carries the same ticket" % name,
                 lambda: summary(copies))
        rc, rows, text = reconcile(dc)
        t.ok(rc == 0 and rows.get("support") == (0, 0),
             "%s: second reconcile finds nothing to do" % name, text)
    finally:
        dc.cleanup()


def scenario_locked(t):
    """Another writer holds BEGIN EXCLUSIVE: the plugin waits ~1 s, gives up,
    files the mail as pending; after the lock is released, the next delivery
    of that process reconciles."""
    name = "locked"
    dc = start(t, name)
    if not dc:
        return
    lock = None
    try:
        before = baseline(t, dc, name)
        lock = sqlite3.connect(dc.db_path, timeout=5, isolation_level=None)
        lock.execute("BEGIN EXCLUSIVE")
        mark = dc.log_mark()

        def release():
            nonlocal lock
            lock.execute("ROLLBACK")
            lock.close()
            lock = None
        outage_then_next_delivery(
            t, dc, name, mark, before, repair=release,
            trigger_subject="lock released", repaired="the lock is released")
    finally:
        if lock is not None:
            lock.close()
        dc.cleanup()


def scenario_corrupt(t):
    """Store file overwritten with garbage; repair = move it away, the plugin
    creates a fresh store; doveadm reconcile files the pending mail."""
    name = "corrupt"
    dc = start(t, name)
    if not dc:
        return
    try:
        before = baseline(t, dc, name)
        dc.stop()
        for p in db_files(dc)[1:]:
            if os.path.exists(p):
                os.unlink(p)
        with open(dc.db_path, "wb") as f:
            f.write(b"this is not a database\n" * 4096)
        os.chown(dc.db_path, dc._uid, dc._gid)
        dc.start()
        mark = dc.log_mark()
        msgs = fault_msgs(name)
        mids = [msgid_of(m) for m in msgs]
        results = dc.deliver_many(msgs)
        check_during_outage(t, dc, name, results, mids, mark)
        with open(dc.db_path, "rb") as f:
            head = f.read(22)
        t.eq(head, b"this is not a database",
             "%s: the plugin leaves the corrupt file alone" % name)
        # repair: move the garbage away; restart drops cached connections
        dc.stop()
        for p in db_files(dc):
            if os.path.exists(p):
                os.rename(p, p + ".corrupt")
        dc.start()
        rc, rows, text = reconcile(dc)
        t.ok(rc == 0 and rows.get("support") == (N_FAULT, 0),
             "%s: doveadm reconcile reports %d reconciled, 0 pending" % (name, N_FAULT), text)
        check_reconciled(t, dc, name, mids, before)
        # the ticket of the baseline mail is lost with the corrupt store; a
        # fresh store must not reuse a ticket number that is still in the
        # queue (two different tickets with one number)
        q = dc.queue("alice")
        nums = [ticket_hdr(m) for m in q if ticket_hdr(m)]
        dup = sorted(set(n for n in nums if nums.count(n) > 1))
        t.ok(not dup, "%s: no ticket number is used by two different mails in the "
             "queue (the fresh store adopts the queue's earlier tickets)" % name,
             lambda: "duplicates %s\n%s" % (dup, summary(q)))
    finally:
        dc.cleanup()


def scenario_lost_store_state(t):
    """A lost store is rebuilt from the queue with the state the agents
    gave the tickets (status, owner, tier, priority, VIP, team), as the
    ticket's keywords show it: nothing an agent did is undone."""
    name = "rebuilt state"
    dc = start(t, name)
    if not dc:
        return
    try:
        m = make_message(subject="%s: printer" % name, sender="rita@customer.example")
        other = make_message(subject="%s: untouched" % name, sender="sam@customer.example")
        for x in (m, other):
            dc.deliver(x)
        q = dc.queue("alice")
        uid = by_msgid(q, msgid_of(m))[0]["uid"]
        dc.doveadm("helpdesk", "team", "add", "second")
        with dc.imap("alice") as c:
            c.select("Public/Queue")
            for kw in ("hd-claim", "hd-escalate", "hd-vip", "hd-prio-high",
                       "hd-team-second"):
                typ, dat = c.uid("STORE", str(uid), "+FLAGS", "(%s)" % kw)
                t.ok(typ == "OK", "%s: +FLAGS (%s)" % (name, kw), repr(dat))
        cols = "status, owner, tier, priority, vip, team"
        before = dc.sql("SELECT id, %s FROM hd_tickets ORDER BY id" % cols)
        t.eq(before[0][1:], ("open", "alice", 2, "high", 1, "second"),
             "%s: the store holds the agents' changes" % name)
        dc.stop()
        for p in db_files(dc):
            if os.path.exists(p):
                os.rename(p, p + ".lost")
        dc.start()
        rc, rows, text = reconcile(dc)
        t.ok(rc == 0, "%s: doveadm reconcile rebuilds the store" % name, text)
        after = dc.sql("SELECT id, %s FROM hd_tickets ORDER BY id" % cols)
        t.eq(after, before, "%s: the rebuilt tickets have the same state" % name)
        kws = {x["message_id"]: hd_keywords(x) for x in dc.queue("bob")}
        t.eq(kws[msgid_of(m)], {"hd-open", "hd-owner-alice", "hd-tier-2", "hd-vip",
                                "hd-prio-high", "hd-team-second"},
             "%s: the ticket's keywords are unchanged" % name)
        # the rebuilt ledger has no "created" event: the open tickets'
        # clocks start from their start, so the sweep still sees them
        clocks = dc.sql("SELECT created, res_start, resp_start, sla_next "
                        "FROM hd_tickets ORDER BY id")
        t.ok(len(clocks) == 2 and all(c == r == p and n > c for c, r, p, n in clocks),
             "%s: the rebuilt open tickets' SLA clocks run from their start" % name,
             repr(clocks))
    finally:
        dc.cleanup()


def scenario_invalid_settings(t):
    for name, settings in (("invalid helpdesk_db", {"helpdesk_db": "mysql:foo"}),
                           ("invalid keyword prefix",
                            {"helpdesk_keyword_prefix": "bad prefix"})):
        dc = start(t, name, settings=settings)
        if not dc:
            continue
        try:
            mark = dc.log_mark()
            msgs = [make_message(subject="%s mail %d" % (name, i)) for i in range(2)]
            results = dc.deliver_many(msgs)
            t.ok(all(r.code == 250 for r in results), "%s: mail accepted (250)" % name,
                 repr(results))
            q = dc.queue("alice")
            bad = []
            for m in msgs:
                found = by_msgid(q, msgid_of(m))
                if len(found) != 1 or hd_keywords(found[0]) or ticket_hdr(found[0]) \
                        or found[0]["subject"].startswith("[#"):
                    bad.append(summary(found) or "missing %s" % msgid_of(m))
            t.ok(not bad, "%s: mail in the queue once, no header, tag or hd- keywords" % name,
                 lambda: "\n".join(bad) + "\nqueue:\n" + summary(q))
            errs = dc.log_errors(r"helpdesk: invalid settings, plugin disabled for this user",
                                 since=mark)
            t.ok(errs, "%s: error 'invalid settings, plugin disabled' logged" % name,
                 dc.log(mark)[-3000:])
            fatal = dc.log_errors(r"\b(Panic|Fatal): ", since=mark)
            t.ok(not fatal, "%s: no Panic/Fatal" % name, "\n".join(fatal))
        finally:
            dc.cleanup()


def scenario_crash(t):
    """kill -9 the LMTP process while it waits for a locked store; the MTA
    retries the same message later: exactly one ticket for it."""
    name = "crash"
    dc = start(t, name)
    if not dc:
        return
    lock = None
    try:
        before = baseline(t, dc, name)
        lock = sqlite3.connect(dc.db_path, timeout=5, isolation_level=None)
        lock.execute("BEGIN EXCLUSIVE")
        msg = make_message(subject="%s: delivery killed" % name)
        mid = msgid_of(msg)
        out = {}

        def run():
            try:
                out["r"] = dc.deliver(msg)
            except Exception as e:
                out["e"] = e

        th = threading.Thread(target=run)
        th.start()
        time.sleep(0.4)      # inside the plugin's ~1 s wait for the lock
        pids = lmtp_pids(dc)
        for pid in pids:
            os.kill(pid, signal.SIGKILL)
        th.join(30)
        r = out.get("r")
        t.ok(pids and (r is None or not r.ok or r.lost),
             "%s: LMTP process killed mid-delivery (pids %s), client saw no 250" % (name, pids),
             repr(out))
        lock.execute("ROLLBACK")
        lock.close()
        lock = None
        # the MTA retries
        r2 = dc.deliver(msg)
        t.ok(r2.ok, "%s: retried delivery accepted" % name, repr(r2))
        reconcile(dc)
        q = dc.queue("alice")
        copies = by_msgid(q, mid)
        hdrs = {ticket_hdr(c) for c in copies}
        t.ok(len(copies) >= 1 and len(hdrs) == 1 and None not in hdrs
             and not [c for c in copies if "hd-pending" in c["keywords"]],
             "%s: the retried mail is a ticket, all copies the same ticket" % name,
             lambda: summary(copies))
        t.ok(len(copies) == 1, "%s: exactly one copy after kill + retry" % name,
             lambda: summary(copies))
        t.eq(sorted(m["message_id"] for m in q if m["message_id"] != mid), sorted(before),
             "%s: earlier queue content intact" % name)
        try:
            tickets, msgs = db_tickets(dc)
            t.eq(len(tickets), 2, "%s: store has exactly 2 tickets (baseline + retried)" % name)
        except Exception as e:
            t.ok(False, "%s: store readable after crash" % name, repr(e))
        # the store is still healthy
        m3 = make_message(subject="%s: after crash" % name)
        r3 = dc.deliver(m3)
        f3 = by_msgid(dc.queue("alice"), msgid_of(m3))
        t.ok(r3.ok and f3 and ticket_hdr(f3[0]) and "hd-pending" not in f3[0]["keywords"],
             "%s: next delivery gets a ticket" % name, lambda: summary(f3))
        panics = dc.log_errors(r"\b(Panic|Fatal): ")
        t.ok(not [l for l in panics if "killed" not in l and "signal 9" not in l],
             "%s: no Panic/Fatal apart from the kill" % name, "\n".join(panics))
    finally:
        if lock is not None:
            lock.close()
        dc.cleanup()


_LOCKED_OUTAGE = re.compile(r"helpdesk: store sqlite:\S+ unavailable, queue mail is "
                            r"delivered as hd-pending until it is back: database is locked$")


def scenario_fresh_store_race(t):
    """Not a fault: several LMTP processes deliver the very first mails into
    a fresh (not yet created) store at the same moment.  Creating the schema
    concurrently must not look like an outage (no error, no hd-pending)."""
    name = "fresh store, 4 concurrent first deliveries"
    slow = bool(os.environ.get("HD_VALGRIND"))
    problems = []
    for attempt in range(4):
        dc = start(t, name)
        if not dc:
            return
        try:
            msgs = [make_message(subject="race %d/%d" % (attempt, i)) for i in range(8)]
            results = [None] * 4
            barrier = threading.Barrier(4)

            def worker(k):
                conn = dc.lmtp()
                try:
                    barrier.wait()
                    out = []
                    for m in msgs[k::4]:
                        res, _ = dc._transaction(conn, m, ["support@example.com"],
                                                 "customer@example.org")
                        out.append(res["support@example.com"].code)
                    results[k] = out
                finally:
                    conn.quit()

            ths = [threading.Thread(target=worker, args=(k,)) for k in range(4)]
            for th in ths:
                th.start()
            for th in ths:
                th.join(60)
            codes = [c for r in results for c in (r or [])]
            if codes != [250] * len(msgs):
                problems.append("attempt %d: codes %r" % (attempt, codes))
            errs = dc.log_errors()
            if slow:
                # a lock held past a delivery's wait is the outage the
                # scenario must not show, but under valgrind every process
                # runs 20-50 times slower than the 1 s a delivery waits:
                # there only nothing lost counts (hd-pending reconciled)
                waited = [e for e in errs if _LOCKED_OUTAGE.search(e)]
                if waited:
                    t.diag("attempt %d (valgrind): %d deliveries waited past "
                           "the busy timeout and went hd-pending" % (attempt, len(waited)))
                errs = [e for e in errs if not _LOCKED_OUTAGE.search(e)]
            if errs:
                problems.append("attempt %d: log errors:\n%s" % (attempt, "\n".join(errs)))
            q = dc.queue("alice")
            if len(q) != len(msgs):
                time.sleep(2)
                q2 = dc.queue("alice")
                problems.append("attempt %d: %d of %d mails in the queue (after 2 s: %d)\n%s"
                                % (attempt, len(q), len(msgs), len(q2), summary(q2)))
            pend = [m for m in q if "hd-pending" in m["keywords"]]
            if pend and not slow:
                problems.append("attempt %d: hd-pending after the deliveries:\n%s"
                                % (attempt, summary(pend)))
            rc, rows, text = reconcile(dc)
            q3 = dc.queue("alice")
            ids = [m["message_id"] for m in q3]
            if sorted(ids) != sorted(msgid_of(m) for m in msgs) \
                    or [m for m in q3 if "hd-pending" in m["keywords"]]:
                problems.append("attempt %d: after doveadm reconcile (%s): queue is not "
                                "exactly the %d mails, one copy each, no pending:\n%s"
                                % (attempt, text.strip(), len(msgs), summary(q3)))
            if problems:
                break
        finally:
            dc.cleanup()
    t.ok(not problems, "%s: no spurious outage error (4 attempts)" % name,
         "\n".join(problems))


def scenario_concurrent_reconcile(t):
    """Pending mail from an outage seen by several LMTP processes; after the
    store is back, 3 `doveadm helpdesk reconcile` runs and 4 LMTP processes
    (each of which saw the outage, so each reconciles on its next delivery)
    race.  Every message must end up exactly once."""
    name = "concurrent reconcile"
    dc = start(t, name)
    if not dc:
        return
    lock = None
    try:
        before = baseline(t, dc, name)
        lock = sqlite3.connect(dc.db_path, timeout=5, isolation_level=None)
        lock.execute("BEGIN EXCLUSIVE")
        msgs = [make_message(subject="%s pending %d" % (name, i)) for i in range(8)]
        mids = [msgid_of(m) for m in msgs]
        conns = [dc.lmtp(timeout=60) for _ in range(4)]
        codes = {}

        def send(k, items):
            for m in items:
                res, _ = dc._transaction(conns[k], m, ["support@example.com"],
                                         "customer@example.org")
                codes[msgid_of(m)] = res["support@example.com"].code

        ths = [threading.Thread(target=send, args=(k, msgs[k::4])) for k in range(4)]
        for th in ths:
            th.start()
        for th in ths:
            th.join(60)
        t.ok(sorted(codes.values()) == [250] * len(msgs),
             "%s: %d mails accepted during the outage" % (name, len(msgs)), repr(codes))
        q = dc.queue("alice")
        t.eq(len([m for m in q if "hd-pending" in m["keywords"]]), len(msgs),
             "%s: all %d pending" % (name, len(msgs)))
        lock.execute("ROLLBACK")
        lock.close()
        lock = None
        triggers = [make_message(subject="%s trigger %d" % (name, k)) for k in range(4)]
        procs = []
        import subprocess
        for _ in range(3):
            procs.append(subprocess.Popen(
                ["/usr/bin/doveadm", "-c", dc.conf, "helpdesk", "reconcile", "-u", "support"],
                stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True))
        ths = [threading.Thread(target=send, args=(k, [triggers[k]])) for k in range(4)]
        for th in ths:
            th.start()
        for th in ths:
            th.join(60)
        outs = [p.communicate(timeout=60) for p in procs]
        for c in conns:
            try:
                c.quit()
            except Exception:
                pass
        rc, rows, text = reconcile(dc)
        check_reconciled(t, dc, name, mids, before, [msgid_of(m) for m in triggers])
        fatal = dc.log_errors(r"\b(Panic|Fatal): ")
        t.ok(not fatal, "%s: no Panic/Fatal" % name, "\n".join(fatal))
        t.diag("%s: doveadm outputs: %r" % (name, [o[0].split() for o in outs]))
    finally:
        if lock is not None:
            lock.close()
        dc.cleanup()


def scenario_sla_refresh_fails(t):
    """The SLA clocks' refresh, which follows a committed change in its own
    transaction, fails (a trigger refuses its UPDATE): the change stands --
    the agent's resolve is answered OK, the customer's reopening reply is
    filed as part of the ticket, not hd-pending --, a warning is logged
    and the ticket is left due for the sweep, which brings the clocks up
    to date once the store works again."""
    name = "SLA refresh fails"
    dc = start(t, name)
    if dc is None:
        return
    try:
        m = make_message(subject="Clocks", sender="cara@customer.example")
        assert dc.deliver(m, sender="cara@customer.example").ok
        uid = by_msgid(dc.queue("alice"), msgid_of(m))[0]["uid"]
        with dc.imap("alice") as c:
            c.select("Public/Queue")
            typ, _ = c.uid("STORE", str(uid), "+FLAGS", "(hd-claim)")
        dc.sql_write("CREATE TRIGGER hd_test_sla_fault BEFORE UPDATE OF "
                     "sla_seen ON hd_tickets BEGIN SELECT RAISE(ABORT, "
                     "'injected SLA fault'); END")
        since = dc.log_mark()
        with dc.imap("alice") as c:
            c.select("Public/Queue")
            typ, dat = c.uid("STORE", str(uid), "+FLAGS", "(hd-resolved)")
        t.ok(typ == "OK", "%s: the agent's resolve is answered OK" % name, repr(dat))
        t.eq(dc.sql("SELECT status FROM hd_tickets WHERE id = 1"), [("resolved",)],
             "%s: and the ticket is resolved in the store" % name)
        t.ok("SLA clocks not brought up to date (the next sweep does it): "
             "injected SLA fault" in dc.log(since),
             "%s: the failed refresh is logged as a warning" % name, dc.log(since)[-1500:])
        due = dc.sql("SELECT sla_next FROM hd_tickets WHERE id = 1")[0][0]
        t.ok(0 < due <= time.time() + 1, "%s: the ticket is left due for the sweep" % name,
             repr(due))

        f = make_message(subject="Re: [#1] Clocks", sender="cara@customer.example",
                         in_reply_to=msgid_of(m), references=msgid_of(m))
        r = dc.deliver(f, sender="cara@customer.example")
        q = by_msgid(dc.queue("alice"), msgid_of(f))
        t.ok(r.ok and q and ticket_hdr(q[0]) == "1" and "hd-pending" not in q[0]["keywords"],
             "%s: the customer's reply is filed in ticket 1, not hd-pending" % name,
             lambda: "%r %r" % (r, q and sorted(q[0]["keywords"])))
        t.eq(dc.sql("SELECT status FROM hd_tickets WHERE id = 1"), [("open",)],
             "%s: and it reopened the ticket" % name)

        dc.sql_write("DROP TRIGGER hd_test_sla_fault")
        dc.doveadm("helpdesk", "sweep", "-u", "support")
        seen, nxt = dc.sql("SELECT sla_seen, sla_next FROM hd_tickets WHERE id = 1")[0]
        reopened = dc.sql("SELECT MAX(id) FROM hd_events WHERE ticket_id = 1 "
                          "AND kind = 'reopened'")[0][0]
        met = dc.sql("SELECT kind, detail FROM hd_events WHERE ticket_id = 1 "
                     "AND kind LIKE 'sla_%'")
        t.ok(seen == reopened and nxt > time.time() and
             met == [("sla_met", "resolution")],
             "%s: the sweep then folds the events into the clocks: the "
             "resolution met, the next deadline ahead" % name,
             "sla_seen %r (reopened %r), sla_next %r, %r" % (seen, reopened, nxt, met))
    finally:
        dc.stop()
        dc.cleanup()


def main():
    t = Tap()
    if plugin_or_skip(t, "fault tests") is None:
        return t.done()
    t0 = time.monotonic()
    for fn in (scenario_missing, scenario_unwritable, scenario_locked, scenario_corrupt,
               scenario_lost_store_state, scenario_invalid_settings, scenario_crash, scenario_fresh_store_race,
               scenario_concurrent_reconcile, scenario_sla_refresh_fails):
        s = time.monotonic()
        with t.check("%s runs to the end" % fn.__name__):
            fn(t)
        t.diag("%s: %.1f s" % (fn.__name__, time.monotonic() - s))
    elapsed = time.monotonic() - t0
    t.diag("test_faults.py took %.1f s" % elapsed)
    return t.done()


if __name__ == "__main__":
    sys.exit(main())
