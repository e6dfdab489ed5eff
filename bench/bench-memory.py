#!/usr/bin/python3
"""bench-memory -- an agent's IMAP session on a big queue: the imap
process's memory with the helpdesk plugin against the same session
without it.

The queue (Public/Queue) gets BENCH_MEMORY_N (100000) messages or a few
more, as a worked queue has them: bench-fill records the tickets through
the store's own API (first messages, customer follow-ups, agents' replies,
claims, resolutions; the messages' locations are the queue's GUID and
UIDs 1..M), and the same messages -- Message-ID, X-Helpdesk-Ticket, the
"[#N]" subject tag, In-Reply-To, and the keywords of their ticket's state
in the store -- are imported into the queue from an mbox with `doveadm
import` (the helpdesk plugin and ACLs off for the import: it is the
fastest way in, and what LMTP and the plugin would have made). LMTP would
need ~10 minutes per 100k messages; the import takes seconds.

The session (user alice, one IMAP connection): LOGIN, SELECT Public/Queue,
UID FETCH 1:* (FLAGS), BENCH_MEMORY_CLAIMS (5) claims (UID STORE +FLAGS
(hd-claim) on the first message of tickets nobody owns), NOOP, IDLE for a
second, NOOP, and the imap process's /proc/PID/status (VmRSS, RssAnon,
RssFile, VmHWM) after every step. Variants, each on a fresh private
Dovecot with the same messages:
  baseline  no plugin (the claims just set a keyword)
  plugin    the plugin as hdtest configures it (no views)
  views     the plugin with the agents' views (helpdesk_views = Helpdesk/,
            the virtual plugin and the views namespace)
Target: plugin VmHWM <= 1.2 x baseline VmHWM. What the plugin opens per
session besides the client's own mailbox shows in the step "first claim"
(the second handle on the queue, the store's connection).

Environment: HD_PLUGIN, HD_SRCDIR, BENCH_BUILDDIR (bench-fill),
BENCH_MEMORY_N (100000), BENCH_MEMORY_CLAIMS (5), BENCH_MEMORY_VARIANTS
("baseline,plugin,views"), BENCH_REPEAT (1).
"""

import os
import shutil
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib  # noqa: E402
import hdtest  # noqa: E402
from benchlib import Dovecot  # noqa: E402

TARGET = 1.2
STEPS = ("login", "select", "fetch flags", "first claim", "all claims", "noop",
         "idle", "end")


def tickets_for(n_messages):
    # bench-fill: 55 messages per 30 tickets
    return (n_messages * 30 + 54) // 55


def fill(guid, n_tickets, db_path):
    """bench-fill into db_path with the queue's GUID; returns the map
    [(uid, ticket, key, kind)] and the fill time."""
    exe = benchlib.bench_fill_exe("bench-memory")
    env = dict(os.environ, BENCH_FILL_MAP="1")
    t0 = time.monotonic()
    p = subprocess.run([exe, "-q", "-g", guid, "-u", "1", "sqlite:" + db_path,
                        str(n_tickets)], env=env, stdout=subprocess.PIPE,
                       universal_newlines=True, check=True)
    secs = time.monotonic() - t0
    rows = []
    for line in p.stdout.splitlines():
        uid, ticket, key, kind = line.split(" ", 3)
        rows.append((int(uid), int(ticket), key, kind))
    return rows, secs


def ticket_keywords(db_path):
    """{ticket: [keywords]} of the store's ticket rows
    (helpdesk_ticket_state_keywords)."""
    db = sqlite3.connect("file:%s?mode=ro" % db_path, uri=True)
    out = {}
    try:
        for tid, status, owner, tier, prio, vip, team in db.execute(
                "SELECT id, status, owner, tier, priority, vip, team FROM hd_tickets"):
            kws = ["hd-" + status]
            if owner:
                kws.append("hd-owner-" + owner)
            kws.append("hd-tier-%d" % tier)
            kws.append("hd-prio-" + (prio or "normal"))
            if vip:
                kws.append("hd-vip")
            if team:
                kws.append("hd-team-" + team)
            out[tid] = kws
    finally:
        db.close()
    return out


def write_mbox(path, rows, kws):
    body = "Hello,\n\n" + "the printer on the second floor smokes again.\n" * 8 + "\nRegards\n"
    allkw = sorted({k for v in kws.values() for k in v})
    with open(path, "w") as f:
        for idx, (uid, ticket, key, kind) in enumerate(rows):
            f.write("From fill@bench.example Mon Nov 30 12:00:00 2026\n")
            if idx == 0:
                # the keywords the mbox's X-Keywords may name
                f.write("X-IMAPbase: 1700000000 %010d %s\n" % (len(rows) + 1, " ".join(allkw)))
            sender = ("%s@example.com" % ("alice", "bob", "carol")[ticket % 3]
                      if kind == "agent" else "cust%d@customer.example" % (ticket % 5000))
            subj = ("Re: " if kind != "new" else "") + "[#%d] Printer %d on fire" % (ticket, ticket)
            f.write("From: %s\nTo: support@example.com\nSubject: %s\n"
                    "Date: Mon, 30 Nov 2026 12:00:00 +0000\nMessage-ID: <%s>\n"
                    % (sender, subj, key))
            if kind != "new":
                parent = "<fill-%d@bench.example>" % ticket
                f.write("In-Reply-To: %s\nReferences: %s\n" % (parent, parent))
            f.write("X-Helpdesk-Ticket: %d\nMIME-Version: 1.0\n"
                    "Content-Type: text/plain; charset=utf-8\n" % ticket)
            f.write("X-Keywords: %s\n\n%s\n" % (" ".join(kws.get(ticket, [])), body))


def read_status(pid):
    s = benchlib.proc_status(pid)
    return {k: s.get(k, 0) for k in ("VmRSS", "RssAnon", "RssFile", "VmHWM")}


def raw_idle(conn, secs):
    """IDLE for secs seconds on an imaplib connection (imaplib has no
    IDLE)."""
    tag = conn._new_tag().decode()
    conn.send(("%s IDLE\r\n" % tag).encode())
    line = conn.readline()
    if not line.startswith(b"+"):
        raise RuntimeError("IDLE refused: %r" % line)
    time.sleep(secs)
    conn.send(b"DONE\r\n")
    while True:
        line = conn.readline()
        if line.startswith(tag.encode()):
            return line
        if not line:
            raise RuntimeError("connection closed in IDLE")


def session(dc, claim_uids):
    before = set(benchlib.service_pids(dc, "imap"))
    marks = {}
    c = dc.imap("alice", timeout=600)
    try:
        new = sorted(set(benchlib.service_pids(dc, "imap")) - before)
        if len(new) != 1:
            raise RuntimeError("cannot tell alice's imap process: %r" % new)
        pid = new[0]
        marks["login"] = read_status(pid)
        typ, dat = c.select("Public/Queue")
        if typ != "OK":
            raise RuntimeError("SELECT failed: %r" % dat)
        exists = int(dat[0])
        marks["select"] = read_status(pid)
        typ, dat = c.uid("FETCH", "1:*", "(FLAGS)")
        fetched = len([d for d in dat if d])
        marks["fetch flags"] = read_status(pid)
        for i, uid in enumerate(claim_uids):
            typ, dat = c.uid("STORE", str(uid), "+FLAGS", "(hd-claim)")
            if typ != "OK":
                raise RuntimeError("STORE failed: %r" % dat)
            if i == 0:
                marks["first claim"] = read_status(pid)
        marks["all claims"] = read_status(pid)
        c.noop()
        marks["noop"] = read_status(pid)
        raw_idle(c, 1.0)
        marks["idle"] = read_status(pid)
        c.noop()
        marks["end"] = read_status(pid)
        return marks, exists, fetched
    finally:
        try:
            c.logout()
        except Exception:
            pass


def make_dovecot(variant, plugin):
    if variant == "baseline":
        return Dovecot(plugin=None, users=benchlib.USERS)
    if variant == "views":
        dc = Dovecot(plugin=plugin, users=benchlib.USERS, mail_plugins=("virtual",),
                     settings={"helpdesk_views": "Helpdesk/"})
        dc.extra_config = hdtest.VIEWS_NAMESPACE
        return dc
    return Dovecot(plugin=plugin, users=benchlib.USERS)


def one_run(variant, plugin, n_tickets, mbox_dir, cache):
    """Fill, import, measure. cache: {"rows", "kws"} shared between the
    variants (the mbox is written once)."""
    dc = make_dovecot(variant, plugin)
    info = {}
    try:
        dc.start()
        guid = dc.doveadm("mailbox", "status", "guid", "Public/Queue",
                          user="support").stdout.split("=", 1)[1].strip()
        dc.stop()
        store_tmp = tempfile.mkdtemp(prefix="hdmem-", dir="/var/tmp")
        try:
            db = os.path.join(store_tmp, "helpdesk.db")
            rows, secs = fill(guid, n_tickets, db)
            info["fill_s"] = secs
            if "rows" not in cache:
                cache["rows"] = rows
                cache["kws"] = ticket_keywords(db)
                t0 = time.monotonic()
                write_mbox(os.path.join(mbox_dir, "Queue"), rows, cache["kws"])
                open(os.path.join(mbox_dir, "inbox"), "w").close()
                cache["mbox_s"] = time.monotonic() - t0
            if variant != "baseline":
                shutil.copyfile(db, dc.db_path)
                uid, gid = benchlib.mail_ids()
                os.chown(dc.db_path, uid, gid)
                os.chmod(dc.db_path, 0o660)
                old = time.time() - 3600
                os.utime(dc.db_path, (old, old))
        finally:
            shutil.rmtree(store_tmp, ignore_errors=True)
        # a fresh copy of the mbox per import (mbox keeps its own index)
        src = tempfile.mkdtemp(prefix="hdmbox-", dir="/var/tmp")
        try:
            shutil.copyfile(os.path.join(mbox_dir, "Queue"), os.path.join(src, "Queue"))
            open(os.path.join(src, "inbox"), "w").close()
            uid, gid = benchlib.mail_ids()
            for p in (src, os.path.join(src, "Queue"), os.path.join(src, "inbox")):
                os.chown(p, uid, gid)
            dc.start()
            t0 = time.monotonic()
            dc.doveadm("-o", "plugin/acl=", "-o", "mail_plugins=acl%s"
                       % (" virtual" if variant == "views" else ""), "import", "-s",
                       "mbox:%s:INBOX=%s/inbox" % (src, src), "Public", "mailbox", "Queue",
                       "ALL", user="support", timeout=3600)
            info["import_s"] = time.monotonic() - t0
        finally:
            shutil.rmtree(src, ignore_errors=True)
        rows = cache["rows"]
        # the first messages of tickets nobody owns (bench-fill: i % 30 == 1)
        firsts = [(uid, ticket) for uid, ticket, key, kind in rows
                  if kind == "new" and ticket % 30 == 1][:int(os.environ.get(
                      "BENCH_MEMORY_CLAIMS", "5"))]
        claim = [uid for uid, ticket in firsts]
        marks, exists, fetched = session(dc, claim)
        info["exists"] = exists
        info["fetched"] = fetched
        index = os.path.join(dc.root, "public", "mailboxes", "Queue", "dbox-Mails")
        info["index_kb"] = {name: os.path.getsize(os.path.join(index, name)) // 1024
                            for name in os.listdir(index) if name.startswith("dovecot.index")}
        errors = dc.log_errors()
        if errors:
            print("  WARNING log errors: %s" % " | ".join(errors[:3])[:800])
        if variant != "baseline":
            owners = dc.sql("SELECT COUNT(*) FROM hd_tickets WHERE owner = 'alice' AND id IN (%s)"
                            % ",".join(str(t) for uid, t in firsts))
            info["claims_recorded"] = owners[0][0]
        return marks, info
    finally:
        dc.cleanup()


def main():
    plugin = benchlib.need_root_and_plugin("bench-memory")
    n = int(os.environ.get("BENCH_MEMORY_N", "100000"))
    repeat = int(os.environ.get("BENCH_REPEAT", "1"))
    variants = os.environ.get("BENCH_MEMORY_VARIANTS", "baseline,plugin,views").split(",")
    n_tickets = tickets_for(n)
    print("bench-memory: plugin %s; %d tickets -> %d+ messages; load average %.2f %.2f %.2f"
          % ((plugin, n_tickets, n) + os.getloadavg()), flush=True)
    mbox_dir = tempfile.mkdtemp(prefix="hdmem-mbox-", dir="/var/tmp")
    cache = {}
    results = {v: [] for v in variants}
    try:
        for rep in range(repeat):
            order = variants if rep % 2 == 0 else variants[::-1]
            for v in order:
                marks, info = one_run(v, plugin, n_tickets, mbox_dir, cache)
                results[v].append((marks, info))
                print("  %-8s run %d: %d messages (fill %.0f s, import %.0f s), VmHWM %d kB, "
                      "end VmRSS %d kB (anon %d, file %d)%s"
                      % (v, rep + 1, info["exists"], info["fill_s"], info["import_s"],
                         marks["end"]["VmHWM"], marks["end"]["VmRSS"], marks["end"]["RssAnon"],
                         marks["end"]["RssFile"],
                         ", claims recorded %d" % info["claims_recorded"]
                         if "claims_recorded" in info else ""), flush=True)
    finally:
        shutil.rmtree(mbox_dir, ignore_errors=True)

    def med(v, step, field):
        return statistics.median(r[0][step][field] for r in results[v])

    print()
    info = results[variants[0]][0][1]
    print("Queue: %d messages; index files of Public/Queue (kB): %s; mbox written in %.0f s"
          % (info["exists"], ", ".join("%s %d" % kv for kv in sorted(info["index_kb"].items())),
             cache.get("mbox_s", 0)))
    print()
    print("imap process of alice, /proc/PID/status after each step (kB), median of %d:" % repeat)
    print()
    print("| step | " + " | ".join("%s RSS (anon+file)" % v for v in variants) + " |")
    print("|---|" + "---:|" * len(variants))
    for step in STEPS:
        print("| %s | %s |" % (step, " | ".join(
            "%d (%d+%d)" % (med(v, step, "VmRSS"), med(v, step, "RssAnon"), med(v, step, "RssFile"))
            for v in variants)))
    print("| **VmHWM at the end** | %s |" % " | ".join("%d" % med(v, "end", "VmHWM") for v in variants))
    print()
    verdict = []
    if "baseline" in variants:
        b = med("baseline", "end", "VmHWM")
        for v in variants:
            if v == "baseline":
                continue
            r = med(v, "end", "VmHWM") / float(b)
            first = med(v, "first claim", "VmRSS") - med(v, "fetch flags", "VmRSS")
            first_b = med("baseline", "first claim", "VmRSS") - med("baseline", "fetch flags", "VmRSS")
            print("bench-memory: %s: the first claim adds %d kB RSS (baseline %d kB)"
                  % (v, first, first_b))
            verdict.append((v, r))
        print()
        for v, r in verdict:
            print("bench-memory: %s / baseline VmHWM %.2f (target <= %.1f): %s"
                  % (v, r, TARGET, "PASS" if r <= TARGET else "ABOVE TARGET"))
    print("bench-memory: load average %.2f %.2f %.2f" % os.getloadavg())
    return 0


if __name__ == "__main__":
    sys.exit(main())
