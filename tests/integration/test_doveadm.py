#!/usr/bin/python3
"""doveadm helpdesk commands against a private Dovecot with the plugin:
`ticket list` (table, -f json, -s status, -n limit), `ticket show N`
(fields, history), error handling, `reconcile` on a clean queue.

TAP output.  Run as root:
  HD_PLUGIN=.../lib20_helpdesk_plugin.so HD_SRCDIR=... \
      /usr/bin/python3 tests/integration/test_doveadm.py
"""

import json
import os
import re
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))

from hdtest import Dovecot, make_message, plugin_or_skip, msgid_of  # noqa: E402
from tap import Tap  # noqa: E402

FIELDS = ["ticket", "status", "priority", "team", "owner", "requester", "created",
          "updated", "messages", "tier", "vip", "subject"]
ISO_RE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d([+-]\d\d:\d\d|Z)$")
EX_USAGE = 64


def out(p):
    return "rc=%d\n--- stdout ---\n%s\n--- stderr ---\n%s" % (p.returncode, p.stdout, p.stderr)


def json_list(dc, *args):
    p = dc.doveadm("-f", "json", "helpdesk", "ticket", "list", *args, check=False)
    try:
        return json.loads(p.stdout), p
    except ValueError:
        return None, p


def table_rows(text):
    """Data rows of a doveadm table: lines starting with a ticket number."""
    return [l for l in text.splitlines() if re.match(r"^\d+\s", l)]


def pager_fields(text):
    """doveadm pager output -> ({field: value}, [history lines])."""
    fields, history, in_hist = {}, [], False
    for line in text.splitlines():
        m = re.match(r"^([a-z_-]+):\s?(.*)$", line)
        if m and not in_hist:
            fields[m.group(1)] = m.group(2)
            if m.group(1) == "history":
                in_hist = True
                if m.group(2).strip():
                    history.append(m.group(2).strip())
        elif in_hist and line.strip():
            history.append(line.strip())
    return fields, history


def main():
    t = Tap()
    if plugin_or_skip(t, "doveadm tests") is None:
        return t.done()
    t0 = time.monotonic()
    dc = Dovecot()
    try:
        try:
            dc.start()
        except Exception as e:
            t.ok(False, "private Dovecot starts", str(e))
            return t.done()
        with t.check("doveadm scenario runs to the end"):
            run(t, dc)
        fatal = dc.log_errors(r"\b(Panic|Fatal): ")
        t.ok(not fatal, "no Panic/Fatal in dovecot.log", "\n".join(fatal))
    finally:
        dc.cleanup()
    dc = Dovecot(users=("support", "alice", "bob", "customer"))
    try:
        with t.check("doveadm for users without a queue runs to the end"):
            dc.start()
            all_users(t, dc)
    finally:
        dc.cleanup()
    elapsed = time.monotonic() - t0
    t.diag("test_doveadm.py took %.1f s" % elapsed)
    return t.done()


def run(t, dc):
    # ------------------------------------------------------- empty store
    p = dc.doveadm("helpdesk", "reconcile", user="support", check=False)
    rows = [l.split()[:3] for l in p.stdout.splitlines()]
    t.ok(p.returncode == 0 and ["support", "0", "0"] in rows
         and re.search(r"^Username\s+reconciled\s+pending", p.stdout, re.M),
         "reconcile on an empty queue: support 0 reconciled 0 pending", out(p))

    # ------------------------------------------------------------ tickets
    a = make_message(subject="Printer broken", sender="Carl <carl@example.org>")
    b = make_message(subject="URGENT: mail server down", sender="ops@customer.example")
    c = make_message(subject="Invoice 4711 wrong", sender="dora@example.net",
                     to="support+billing@example.com")
    reply = make_message(subject="Re: Printer broken", sender="Carl <carl@example.org>",
                         in_reply_to=msgid_of(a), references=[msgid_of(a)],
                         body="It still does not print.\n")
    rs = [dc.deliver(a, sender="carl@example.org"),
          dc.deliver(b, sender="ops@customer.example"),
          dc.deliver(c, rcpt="support+billing@example.com", sender="dora@example.net")]
    time.sleep(1.1)   # a later "updated" time for ticket 1
    rs.append(dc.deliver(reply, sender="carl@example.org"))
    t.ok(all(r.ok for r in rs), "4 deliveries accepted", repr(rs))
    q = dc.queue("alice")
    hdr = {m["message_id"]: (m["headers"]["X-Helpdesk-Ticket"] or "").strip() for m in q}
    t.ok([hdr.get(msgid_of(x)) for x in (a, b, c, reply)] == ["1", "2", "3", "1"],
         "tickets 1, 2, 3; the reply joins ticket 1",
         repr([hdr.get(msgid_of(x)) for x in (a, b, c, reply)]))

    # ------------------------------------------------------ list: table
    p = dc.doveadm("helpdesk", "ticket", "list", check=False)
    t.ok(p.returncode == 0, "ticket list exits 0", out(p))
    first = p.stdout.splitlines()[0] if p.stdout else ""
    t.eq(first.split(), FIELDS, "ticket list table header")
    rows = table_rows(p.stdout)
    t.eq(sorted(r.split()[0] for r in rows), ["1", "2", "3"], "table has one row per ticket")
    row = {r.split()[0]: r for r in rows}
    t.ok(row.get("1", "").rstrip().endswith("Printer broken")
         and "carl@example.org" in row.get("1", "")
         and row.get("2", "").split()[1:3] == ["new", "high"]
         and "billing" in row.get("3", "").split(),
         "table rows: requester, subject, status, priority, team", p.stdout)

    # ------------------------------------------------------- list: json
    data, p = json_list(dc)
    t.ok(isinstance(data, list) and len(data) == 3, "-f json ticket list parses: 3 tickets",
         out(p))
    data = data if isinstance(data, list) else []
    t.ok(all(isinstance(d, dict) and sorted(d) == sorted(FIELDS) for d in data),
         "every JSON ticket has exactly the fields %s" % ",".join(FIELDS), repr(data))
    by = {str(d.get("ticket")): d for d in data if isinstance(d, dict)}
    t1, t2, t3 = by.get("1", {}), by.get("2", {}), by.get("3", {})
    t.eq((t1.get("subject"), t1.get("requester"), t1.get("priority"), t1.get("team"),
          str(t1.get("messages"))),
         ("Printer broken", "carl@example.org", "normal", "", "2"),
         "ticket 1: subject (no [#1] tag), requester, priority, team, 2 messages")
    t.ok(t1.get("status") in ("new", "open", "waiting"), "ticket 1 status is a valid one",
         repr(t1))
    t.eq((t2.get("status"), t2.get("priority"), t2.get("requester"), str(t2.get("messages"))),
         ("new", "high", "ops@customer.example", "1"), "ticket 2: new, high priority")
    t.eq((t3.get("team"), t3.get("priority"), t3.get("subject")),
         ("billing", "normal", "Invoice 4711 wrong"), "ticket 3: team billing")
    t.ok(all(ISO_RE.match(str(d.get("created", ""))) and ISO_RE.match(str(d.get("updated", "")))
             for d in data), "created/updated are ISO 8601 times", repr(data))
    t.ok(t1.get("updated", "") > t1.get("created", "") if t1 else False,
         "ticket 1: the reply moved 'updated' past 'created'", repr(t1))
    t.ok(all(d.get("updated", "") >= d.get("created", "") for d in data),
         "updated >= created for every ticket", repr(data))

    # ------------------------------------------------------- -n limit
    for n in (1, 2, 3, 10):
        d, p = json_list(dc, "-n", str(n))
        t.eq(len(d) if isinstance(d, list) else out(p), min(n, 3), "-n %d gives %d tickets"
             % (n, min(n, 3)))
    p = dc.doveadm("helpdesk", "ticket", "list", "-n", "1", check=False)
    t.eq(len(table_rows(p.stdout)), 1, "table with -n 1 has one row")
    p = dc.doveadm("helpdesk", "ticket", "list", "-n", "0", check=False)
    t.ok(p.returncode == EX_USAGE and p.stdout.strip() == "",
         "-n 0 is a usage error (exit %d)" % p.returncode, out(p))
    # the plugin parses -n itself: doveadm 2.3 core would drop an
    # unparsable int64 option silently and list with the default limit
    for bad in ("abc", "1x", "-3"):
        p = dc.doveadm("helpdesk", "ticket", "list", "-n", bad, check=False)
        t.ok(p.returncode == EX_USAGE and p.stdout.strip() == "" and
             "positive number" in p.stderr,
             "-n %s is a usage error (exit %d)" % (bad, p.returncode), out(p))

    # ------------------------------------------------------ -s filter
    # statuses other than "new"/"open" are set by agents; write them into
    # the store directly
    dc.sql_write("UPDATE hd_tickets SET status='waiting' WHERE id=2")
    dc.sql_write("UPDATE hd_tickets SET status='resolved' WHERE id=3")
    allst = {str(d["ticket"]): d["status"] for d in (json_list(dc)[0] or [])}
    for st in ("new", "open", "waiting", "resolved"):
        d, p = json_list(dc, "-s", st)
        got = sorted(str(x.get("ticket")) for x in d) if isinstance(d, list) else out(p)
        want = sorted(k for k, v in allst.items() if v == st)
        t.eq(got, want, "-s %s lists exactly the %s tickets" % (st, st))
    d, p = json_list(dc, "-s", "waiting")
    t.ok(isinstance(d, list) and [x.get("ticket") for x in d] in (["2"], [2]),
         "-s waiting -> ticket 2", out(p))
    p = dc.doveadm("helpdesk", "ticket", "list", "-s", "resolved", check=False)
    t.eq([r.split()[0] for r in table_rows(p.stdout)], ["3"], "table -s resolved -> ticket 3")

    # ------------------------------------------------------ ticket show
    p = dc.doveadm("helpdesk", "ticket", "show", "1", check=False)
    t.ok(p.returncode == 0, "ticket show 1 exits 0", out(p))
    f, hist = pager_fields(p.stdout)
    for k in FIELDS:
        t.ok(k in f, "ticket show has field %s" % k, p.stdout)
    t.eq((f.get("ticket"), f.get("requester"), f.get("subject"), f.get("priority"),
          f.get("messages")), ("1", "carl@example.org", "Printer broken", "normal", "2"),
         "ticket show 1: ticket, requester, subject, priority, messages")
    t.eq(len(hist), 2, "ticket show 1: two history lines (created + reply)")
    t.ok(hist and re.match(r"^\S+ created by carl@example\.org", hist[0]),
         "history starts with 'TIME created by carl@example.org'", repr(hist))
    t.ok(len(hist) > 1 and re.match(r"^\S+ message by carl@example\.org", hist[1]),
         "history has the reply as 'TIME message by carl@example.org'", repr(hist))
    t.ok(all(ISO_RE.match(h.split()[0]) for h in hist), "history lines start with a time",
         repr(hist))
    p = dc.doveadm("helpdesk", "ticket", "show", "3", check=False)
    f, hist = pager_fields(p.stdout)
    t.eq((f.get("status"), f.get("team"), len(hist)), ("resolved", "billing", 1),
         "ticket show 3: resolved, team billing, one history line")
    p = dc.doveadm("-f", "json", "helpdesk", "ticket", "show", "2", check=False)
    try:
        js = json.loads(p.stdout)
        js = js[0] if isinstance(js, list) else js
        t.eq((str(js.get("ticket")), js.get("status"), js.get("priority")),
             ("2", "waiting", "high"), "-f json ticket show 2 parses")
    except (ValueError, AttributeError, IndexError):
        t.ok(False, "-f json ticket show 2 parses", out(p))

    # ------------------------------------------------------------ errors
    p = dc.doveadm("helpdesk", "ticket", "show", "999", check=False)
    t.ok(p.returncode != 0 and p.returncode != EX_USAGE, "show unknown ticket: non-zero "
         "exit, not a usage error (exit %d)" % p.returncode, out(p))
    t.ok(re.search(r"ticket 999 not found", p.stderr), "show 999: clear message", out(p))
    t.eq(p.stdout.strip(), "", "show 999 prints nothing on stdout")
    for bad in ("abc", "-1", "0", "1x", ""):
        p = dc.doveadm("helpdesk", "ticket", "show", *([bad] if bad else []), check=False)
        t.ok(p.returncode != 0 and p.stdout.strip() == "",
             "show %r: rejected (exit %d), nothing printed" % (bad, p.returncode), out(p))
    p = dc.doveadm("helpdesk", "ticket", "show", "abc", check=False)
    t.eq(p.returncode, EX_USAGE, "show abc is a usage error (exit 64)")
    p = dc.doveadm("helpdesk", "ticket", "list", "-s", "bogus", check=False)
    t.ok(p.returncode == EX_USAGE and "bogus" in p.stderr,
         "-s bogus: usage error (exit 64) naming the status", out(p))
    t.eq(p.stdout.strip(), "", "-s bogus prints no table")

    # ------------------------------------------------- reconcile (clean)
    p = dc.doveadm("helpdesk", "reconcile", user="support", check=False)
    rows = [l.split()[:3] for l in p.stdout.splitlines()]
    t.ok(p.returncode == 0 and ["support", "0", "0"] in rows,
         "reconcile on a clean queue: 0 reconciled, 0 pending", out(p))
    t.eq(len(dc.queue("alice")), 4, "reconcile leaves the clean queue alone (4 mails)")
    d, _ = json_list(dc)
    t.eq(len(d) if isinstance(d, list) else None, 3, "still 3 tickets after reconcile")


def all_users(t, dc):
    """Issue 12: -A (the natural cron line) and -u of a user who has no
    queue: every user gets a row, doveadm never panics."""
    with open(os.path.join(dc.root, "global-acl"), "w") as f:
        f.write("Public/Queue user=support lrwstipekxa\n"
                "Public/Queue user=alice lrwstipekxa\n")
    r = dc.deliver(make_message(subject="Printer broken"))
    t.ok(r.ok, "a ticket to reconcile around", str(r))
    p = dc.doveadm("helpdesk", "reconcile", "-A", check=False)
    rows = {l.split()[0]: l.split()[1:] for l in p.stdout.splitlines()[1:] if l.strip()}
    t.ok(p.returncode == 0 and "Panic" not in p.stderr and
         sorted(rows) == ["alice", "bob", "customer", "support"] and
         all(v == ["0", "0", "0"] for v in rows.values()),
         "reconcile -A: exit 0, a row of zeros for each user (with and "
         "without rights on the queue)", out(p))
    p = dc.doveadm("-f", "json", "helpdesk", "reconcile", "-A", check=False)
    try:
        d = json.loads(p.stdout)
    except ValueError:
        d = None
    t.ok(p.returncode == 0 and isinstance(d, list) and
         sorted(x.get("username") for x in d) == ["alice", "bob", "customer", "support"] and
         all(sorted(x) == ["pending", "rebuilt", "reconciled", "username"] for x in d),
         "reconcile -A -f json: one object per user, keys username reconciled "
         "pending rebuilt", out(p))
    p = dc.doveadm("helpdesk", "reconcile", user="customer", check=False)
    t.ok(p.returncode == 0 and re.search(r"^customer\s+0\s+0\s+0", p.stdout, re.M) and
         "no helpdesk queue it can open" in p.stderr,
         "reconcile -u customer (no rights on the queue): exit 0, zeros, says why", out(p))
    p = dc.doveadm("helpdesk", "ticket", "assign", "-A", "1", "alice", check=False)
    t.ok(p.returncode == 0 and "Panic" not in p.stderr,
         "ticket assign -A: exit 0", out(p))
    mine = [m for m in dc.queue("alice") if "hd-owner-alice" in m["keywords"]]
    t.eq(len(mine), 1, "ticket assign -A: the queue's message shows the new owner")
    p = dc.doveadm("helpdesk", "ticket", "assign", "-u", "customer", "1", "alice",
                   check=False)
    t.ok(p.returncode == 0 and "no helpdesk queue it can open" in p.stderr,
         "ticket assign -u customer: exit 0 and a warning that no queue was updated", out(p))
    fatal = dc.log_errors(r"\b(Panic|Fatal): ")
    t.ok(not fatal, "users without a queue: no Panic/Fatal in dovecot.log", "\n".join(fatal))


if __name__ == "__main__":
    sys.exit(main())
