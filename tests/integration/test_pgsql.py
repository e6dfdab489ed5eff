#!/usr/bin/python3
"""The PostgreSQL store (helpdesk_db = pgsql:...) through the same code path
as SQLite: a real PostgreSQL server started by the test, real LMTP
deliveries, real IMAP sessions; and PostgreSQL going down mid-stream."""

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))

from hdtest import Dovecot, make_message, ticket_of  # noqa: E402
from tap import Tap  # noqa: E402
import pgserver  # noqa: E402


def psql_rows(pg, query):
    return pg.psql(query, db="helpdesk").split()


def store_kw(dc, user, uid, flags, op="+FLAGS"):
    with dc.imap(user) as c:
        c.select("Public/Queue")
        return c.uid("STORE", str(uid), op, "(%s)" % flags)


def hd(msg):
    return sorted(k for k in msg["keywords"] if k.startswith("hd-"))


def agent_workflow(t, dc, pg):
    """Issue 4's actions on PostgreSQL: the same SQL as on SQLite."""
    for args in (("team", "add", "-t", "2", "second"),
                 ("agent", "add", "-a", "alice@example.com", "alice"),
                 ("agent", "add", "-l", "carol")):
        r = dc.doveadm("helpdesk", *args, check=False)
        t.ok(r.returncode == 0, "doveadm helpdesk %s on PostgreSQL" %
             " ".join(args), r.stderr)
    q = {m["message_id"]: m for m in dc.queue("alice")}
    uid2 = q["<pg-2@customer.example>"]["uid"]
    uid1 = q["<pg-1@customer.example>"]["uid"]
    for flags in ("hd-claim", "hd-escalate", "hd-prio-urgent", "hd-vip"):
        typ, dat = store_kw(dc, "alice", uid2, flags)
        t.ok(typ == "OK", "alice: STORE +FLAGS (%s) on PostgreSQL" % flags,
             str(dat))
    typ, dat = store_kw(dc, "bob", uid2, "hd-claim")
    t.ok(typ == "NO" and b"not a helpdesk agent" in dat[0],
         "bob, no registered agent, is refused", str(dat))
    m = [x for x in dc.queue("bob") if x["message_id"] == "<pg-2@customer.example>"][0]
    t.eq(hd(m), ["hd-open", "hd-owner-alice", "hd-prio-urgent",
                 "hd-team-second", "hd-tier-2", "hd-vip"],
         "claimed, escalated to tier 2 (team second), urgent, VIP: keywords")
    t.eq(psql_rows(pg, "SELECT status, owner, tier, priority, vip, team "
                   "FROM hd_tickets WHERE id = 2"),
         ["open|alice|2|urgent|1|second"], "... and the PostgreSQL row")
    reply = make_message(subject="Re: VPN down", sender="alice@example.com",
                         to="customer@example.org",
                         in_reply_to="<pg-2@customer.example>")
    with dc.imap("alice") as c:
        c.append("Sent", None, None, reply)
    dc.deliver(reply, sender="alice@example.com")
    t.eq(psql_rows(pg, "SELECT status FROM hd_tickets WHERE id = 2") +
         psql_rows(pg, "SELECT COUNT(*) FROM hd_events WHERE ticket_id = 2 "
                   "AND kind = 'replied'"), ["waiting", "1"],
         "alice's reply (Sent and reply-all) counted once: waiting")
    r = dc.doveadm("helpdesk", "ticket", "assign", "1", "alice",
                   user="support", check=False)
    t.ok(r.returncode == 0, "doveadm helpdesk ticket assign on PostgreSQL",
         r.stderr)
    typ, dat = store_kw(dc, "alice", uid1, "hd-resolved")
    t.eq(psql_rows(pg, "SELECT status, owner FROM hd_tickets WHERE id = 1"),
         ["resolved|alice"], "assigned to alice and resolved")
    kinds = psql_rows(pg, "SELECT kind FROM hd_events WHERE actor IN "
                      "('alice', 'doveadm') ORDER BY id")
    # the SLA clocks (default targets: hours) record the first response
    # and the resolution met, with the owner of the moment
    t.eq(kinds, ["claimed", "escalated", "priority", "vip", "replied",
                 "sla_met", "assigned", "resolved", "sla_met"],
         "the ledger on PostgreSQL")


def main():
    t = Tap()
    if not pgserver.available():
        t.skip("PostgreSQL store", "PostgreSQL server binaries not installed")
        return t.done()
    pg = pgserver.PgServer().start()
    pg.createdb("helpdesk")
    dc = Dovecot(settings={"helpdesk_db": "pgsql:" +
                           pg.connect_string("helpdesk")})
    dc.start()
    try:
        r1 = dc.deliver(make_message(subject="Laptop broken",
                                     message_id="<pg-1@customer.example>"))
        r2 = dc.deliver(make_message(subject="VPN down",
                                     message_id="<pg-2@customer.example>"))
        r3 = dc.deliver(make_message(subject="Re: Laptop broken",
                                     message_id="<pg-3@customer.example>",
                                     in_reply_to="<pg-1@customer.example>"))
        t.ok(r1.ok and r2.ok and r3.ok, "three deliveries accepted",
             "%s %s %s" % (r1, r2, r3))
        q = {m["message_id"]: m for m in dc.queue("alice")}
        t.eq(ticket_of(q["<pg-1@customer.example>"]), 1,
             "first mail is ticket 1 (PostgreSQL sequence)")
        t.eq(ticket_of(q["<pg-2@customer.example>"]), 2,
             "second mail is ticket 2")
        t.eq(ticket_of(q["<pg-3@customer.example>"]), 1,
             "reply joins ticket 1")
        t.ok(q["<pg-2@customer.example>"]["subject"].startswith("[#2] "),
             "subject tagged")
        t.ok({"hd-new", "hd-prio-high"} <=
             set(q["<pg-2@customer.example>"]["keywords"]),
             "Sieve priority and hd-new on the PostgreSQL path")
        rows = pg.psql("SELECT id, status, requester FROM hd_tickets "
                       "ORDER BY id", db="helpdesk").split()
        t.eq(rows, ["1|new|customer@example.org",
                    "2|new|customer@example.org"],
             "hd_tickets in PostgreSQL")
        n = pg.psql("SELECT COUNT(*) FROM hd_messages WHERE ticket_id = 1",
                    db="helpdesk").strip()
        t.eq(n, "2", "both messages of ticket 1 recorded")
        # UIDs are known after the mail commit; they ride along with the
        # next write transaction or are flushed within a second
        import time
        deadline = time.monotonic() + 5
        while True:
            n = pg.psql("SELECT COUNT(*) FROM hd_messages WHERE uid > 0",
                        db="helpdesk").strip()
            if n == "3" or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        t.eq(n, "3", "UIDs recorded after the mail commit")

        # replay: same Message-ID again -> no new ticket
        r = dc.deliver(make_message(subject="Laptop broken",
                                    message_id="<pg-1@customer.example>"))
        n = pg.psql("SELECT COUNT(*) FROM hd_tickets", db="helpdesk").strip()
        t.ok(r.ok and n == "2", "replayed delivery makes no second ticket",
             "tickets=%s" % n)

        # SQL metacharacters go through escaping, not string pasting
        evil = "x'); DROP TABLE hd_tickets; -- \\ \" '"
        r = dc.deliver(make_message(subject=evil,
                                    message_id="<pg-'evil@customer.example>"))
        subj = pg.psql("SELECT subject FROM hd_tickets WHERE id = 3",
                       db="helpdesk").rstrip("\n")
        t.eq(subj, evil, "SQL metacharacters stored verbatim")

        r = dc.doveadm("-f", "json", "helpdesk", "ticket", "list")
        import json
        tickets = json.loads(r.stdout)
        t.eq([x["ticket"] for x in tickets], ["1", "2", "3"],
             "doveadm -f json helpdesk ticket list reads PostgreSQL")

        agent_workflow(t, dc, pg)

        # PostgreSQL goes away: mail is still delivered, as pending
        pg.stop_server()
        mark = dc.log_mark()
        r = dc.deliver(make_message(subject="While the database is down",
                                    message_id="<pg-down@customer.example>"))
        t.ok(r.ok, "delivery accepted while PostgreSQL is down", str(r))
        q = {m["message_id"]: m for m in dc.queue("alice")}
        m = q.get("<pg-down@customer.example>")
        t.ok(m is not None and "hd-pending" in m["keywords"] and
             ticket_of(m) is None, "delivered as hd-pending, no ticket",
             str(m and m["keywords"]))
        errs = [l for l in dc.log_errors(since=mark) if "helpdesk" in l]
        t.ok(len(errs) >= 1, "the outage is logged", "\n".join(errs))

        pg.start_server()
        r = dc.doveadm("helpdesk", "reconcile", user="support", check=False)
        t.ok(r.returncode == 0, "reconcile succeeds when PostgreSQL is back",
             r.stderr)
        q = [m for m in dc.queue("alice")
             if m["message_id"] == "<pg-down@customer.example>"]
        t.ok(len(q) == 1 and ticket_of(q[0]) == 4 and
             "hd-pending" not in q[0]["keywords"],
             "pending message became ticket 4, exactly once",
             str([(ticket_of(x), x["keywords"]) for x in q]))
        errs = [l for l in dc.log_errors() if "Panic" in l or "Fatal" in l]
        t.eq(errs, [], "no panic or fatal in the log")
    finally:
        dc.stop()
        pg.stop()
    return t.done()


if __name__ == "__main__":
    sys.exit(main())
