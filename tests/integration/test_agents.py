#!/usr/bin/python3
"""Agents, teams and replies (issue 4): `doveadm helpdesk agent|team`,
`ticket assign`, replies counted from the agent's Sent folder (APPEND)
and from the queue (reply-all), once each; resolving by a MOVE into
helpdesk_resolved_mailbox and reopening by a later customer reply; the
history in `ticket show`. Every check looks at what IMAP clients see and
at what the store holds."""

import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))

from hdtest import Dovecot, hd_keywords, make_message, msgid_of, plugin_or_skip, \
    ticket_of  # noqa: E402
from tap import Tap  # noqa: E402

RESOLVED = "Public/Resolved"


def hd(msg):
    return sorted(hd_keywords(msg))


def ticket_msgs(dc, ticket, user="alice", mailbox=None):
    return [m for m in dc.queue(user, mailbox=mailbox)
            if m["headers"].get("X-Helpdesk-Ticket") == str(ticket)]


def events(dc, ticket, kind=None):
    rows = dc.sql("SELECT kind, actor, detail FROM hd_events "
                 "WHERE ticket_id = ? ORDER BY id", (ticket,))
    return [r for r in rows if kind is None or r[0] == kind]


def row(dc, ticket):
    r = dc.sql("SELECT status, owner, tier, priority, vip, team "
              "FROM hd_tickets WHERE id = ?", (ticket,))
    return r[0] if r else None


def admin(t, dc):
    """doveadm helpdesk agent/team: add, list, errors, remove."""
    p = dc.doveadm("helpdesk", "agent", "add", "alice", check=False)
    t.ok(p.returncode == 75 and "reconcile" in p.stderr and
         not dc.store_exists(),
         "before the store exists: agent add says how it is created and "
         "creates nothing (a lost store must be rebuilt, not restarted)",
         "rc=%d %s" % (p.returncode, p.stderr))
    p = dc.doveadm("helpdesk", "reconcile", user="support", check=False)
    t.ok(p.returncode == 0 and dc.store_exists(),
         "doveadm helpdesk reconcile creates the store of an empty queue",
         p.stderr)
    ok = dc.doveadm("helpdesk", "team", "add", "-t", "2", "-d",
                    "Second line", "second", check=False)
    t.ok(ok.returncode == 0, "team add -t 2 second", ok.stderr)
    for args, what in ((("-a", "Alice@Example.COM", "-t", "second", "alice"),
                        "agent add alice with address and team"),
                       (("-l", "carol"), "agent add -l carol (lead)"),
                       (("-a", "bob@example.com", "bob"), "agent add bob")):
        p = dc.doveadm("helpdesk", "agent", "add", *args, check=False)
        t.ok(p.returncode == 0, what, p.stderr)
    agents = json.loads(dc.doveadm("-f", "json", "helpdesk", "agent", "list").stdout)
    got = {a["agent"]: (a["address"], a["team"], a["role"]) for a in agents}
    t.eq(got, {"alice": ("alice@example.com", "second", "agent"),
                "bob": ("bob@example.com", "", "agent"),
                "carol": ("", "", "lead")},
          "agent list: addresses lower-cased, team, roles")
    teams = json.loads(dc.doveadm("-f", "json", "helpdesk", "team", "list").stdout)
    t.eq([(x["team"], x["tier"], x["agents"], x["description"]) for x in teams],
          [("second", "2", "1", "Second line")], "team list: tier, member count")

    before = dc.sql("SELECT * FROM hd_agents ORDER BY username")
    for args, code, what in (
            (("agent", "add", "-t", "nosuchteam", "dave"), 68, "unknown team"),
            (("agent", "add", "bad name"), 64, "invalid user name"),
            (("agent", "add", "-a", "not-an-address", "dave"), 64, "address without @"),
            (("team", "add", "-t", "7", "third"), 64, "tier out of range"),
            (("team", "add", "-t", "x", "third"), 64, "tier not a number"),
            (("agent", "remove", "nobody"), 68, "removing an unknown agent")):
        p = dc.doveadm("helpdesk", *args, check=False)
        t.ok(p.returncode == code and "helpdesk" in p.stderr,
             "bad input is refused with exit %d: %s" % (code, what),
             "rc=%d %s" % (p.returncode, p.stderr))
    t.eq(dc.sql("SELECT * FROM hd_agents ORDER BY username"), before,
          "refused commands changed no agent")
    t.eq(dc.sql("SELECT name FROM hd_teams"), [("second",)],
          "refused commands added no team")


def assign(t, dc):
    m = make_message(subject="Assign me", sender="fay@customer.example")
    dc.deliver(m)
    q = [x for x in dc.queue("carol") if x["message_id"] == msgid_of(m)]
    n = ticket_of(q[0])
    p = dc.doveadm("helpdesk", "ticket", "assign", n, "bob", user="support",
                   check=False)
    t.ok(p.returncode == 0, "doveadm helpdesk ticket assign N bob", p.stderr)
    msgs = ticket_msgs(dc, n, "alice")
    t.eq([hd(x) for x in msgs],
          [["hd-open", "hd-owner-bob", "hd-prio-normal", "hd-tier-1"]],
          "assign: the queue message shows bob as owner, seen by alice")
    t.eq(row(dc, n)[:2], ("open", "bob"), "assign: store owner bob, status open")
    t.eq(events(dc, n, "assigned"), [("assigned", "doveadm", "bob")],
          "assign: one 'assigned' event")
    before = dc.sql("SELECT * FROM hd_tickets WHERE id = ?", (n,))
    p = dc.doveadm("helpdesk", "ticket", "assign", n, "zed", user="support",
                   check=False)
    t.ok(p.returncode != 0 and "not a helpdesk agent" in p.stderr,
         "assign to an unregistered user is refused", p.stderr)
    p = dc.doveadm("helpdesk", "ticket", "assign", 9999, "bob", user="support",
                   check=False)
    t.ok(p.returncode != 0 and "not found" in p.stderr,
         "assign of an unknown ticket is refused", p.stderr)
    t.eq(dc.sql("SELECT * FROM hd_tickets WHERE id = ?", (n,)), before,
          "refused assigns changed nothing")
    # the lead gives it back to alice from the client
    with dc.imap("carol") as c:
        c.select("Public/Queue")
        typ, dat = c.uid("STORE", str(msgs[0]["uid"]), "+FLAGS", "(hd-owner-alice)")
        t.ok(typ == "OK", "a lead registered only in the store (role lead) may "
             "assign from the client", str(dat))
    t.eq(row(dc, n)[1], "alice", "reassigned to alice in the store")
    t.eq(hd(ticket_msgs(dc, n, "bob")[0]),
          ["hd-open", "hd-owner-alice", "hd-prio-normal", "hd-tier-1"],
          "bob's client shows alice as the owner, bob's keyword gone")


def sent_replies(t, dc):
    cust = make_message(subject="Where is my parcel", sender="gus@customer.example")
    dc.deliver(cust)
    n = ticket_of([x for x in dc.queue() if x["message_id"] == msgid_of(cust)][0])
    reply = make_message(subject="Re: [#%d] Where is my parcel" % n,
                         sender="alice@example.com", to="gus@customer.example",
                         in_reply_to=msgid_of(cust), references=msgid_of(cust))
    with dc.imap("alice") as c:
        typ, dat = c.append("Sent", None, None, reply)
        t.ok(typ == "OK", "alice APPENDs her reply to Sent", str(dat))
    msgs = ticket_msgs(dc, n, "bob")
    t.eq([hd(x) for x in msgs],
          [["hd-owner-alice", "hd-prio-normal", "hd-tier-1", "hd-waiting"]],
          "a reply in Sent: the ticket waits on the customer and, unowned, "
          "becomes alice's")
    t.eq(row(dc, n)[:2], ("waiting", "alice"), "store: waiting, owner alice")
    t.eq(events(dc, n, "replied"), [("replied", "alice", "")],
          "one 'replied' event by alice")

    # the same reply again in Sent and by reply-all into the queue
    with dc.imap("alice") as c:
        c.append("Sent", None, None, reply)
    r = dc.deliver(reply, sender="alice@example.com")
    t.ok(r.ok, "the reply-all copy is delivered to the queue", str(r))
    msgs = ticket_msgs(dc, n, "bob")
    t.eq(len(msgs), 2, "the reply-all copy joined the ticket")
    t.eq(len(events(dc, n, "replied")), 1,
          "seen three times (Sent twice, queue once): counted once")
    t.ok(all(hd(x) == ["hd-owner-alice", "hd-prio-normal", "hd-tier-1",
                       "hd-waiting"] for x in msgs),
         "both messages show waiting", str([hd(x) for x in msgs]))

    # the customer answers: open again
    back = make_message(subject="Re: [#%d] Where is my parcel" % n,
                        sender="gus@customer.example", in_reply_to=msgid_of(reply))
    dc.deliver(back)
    msgs = ticket_msgs(dc, n, "bob")
    t.ok(len(msgs) == 3 and all("hd-open" in hd(x) and "hd-waiting" not in hd(x)
                                for x in msgs),
         "a customer reply makes every message hd-open", str([hd(x) for x in msgs]))
    t.eq(row(dc, n)[0], "open", "store: open after the customer's reply")

    # reply-all first, then Sent: still once
    reply2 = make_message(subject="Re: [#%d] Where is my parcel" % n,
                          sender="bob@example.com", to="gus@customer.example",
                          in_reply_to=msgid_of(back))
    dc.deliver(reply2, sender="bob@example.com")
    with dc.imap("bob") as c:
        c.append("Sent", None, None, reply2)
    t.eq([e[1] for e in events(dc, n, "replied")], ["alice", "bob"],
          "bob's reply (queue first, then Sent) counted once, by bob")
    t.eq(row(dc, n)[:2], ("waiting", "alice"),
          "waiting again; the owner stays alice")

    # mail in Sent that answers no ticket, and a non-agent's Sent
    other = make_message(subject="Lunch?", sender="alice@example.com",
                         to="friend@example.net")
    with dc.imap("alice") as c:
        c.append("Sent", None, None, other)
    t.eq(dc.sql("SELECT COUNT(*) FROM hd_events WHERE kind = 'replied'"),
          [(2,)], "a Sent message that answers no ticket counts nothing")
    cust2 = make_message(subject="Second parcel", sender="gus@customer.example")
    dc.deliver(cust2)
    n2 = ticket_of([x for x in dc.queue() if x["message_id"] == msgid_of(cust2)][0])
    stranger = make_message(subject="Re: Second parcel", sender="support@example.com",
                            in_reply_to=msgid_of(cust2))
    with dc.imap("support") as c:    # "support" is no registered agent
        c.append("Sent", None, None, stranger)
    t.eq((row(dc, n2)[0], events(dc, n2, "replied")), ("new", []),
          "a reply in the Sent folder of a user who is not an agent counts nothing")


def resolve_by_move(t, dc):
    first = make_message(subject="Refund please", sender="hal@customer.example")
    dc.deliver(first)
    second = make_message(subject="Re: Refund please", sender="hal@customer.example",
                          in_reply_to=msgid_of(first))
    dc.deliver(second)
    msgs = [x for x in dc.queue("alice") if x["message_id"] in
            (msgid_of(first), msgid_of(second))]
    n = ticket_of(msgs[0])
    with dc.imap("alice") as c:
        c.select("Public/Queue")
        typ, dat = c.uid("MOVE", str(msgs[0]["uid"]), RESOLVED)
        t.ok(typ == "OK", "alice MOVEs a ticket message to %s" % RESOLVED, str(dat))
    moved = ticket_msgs(dc, n, "bob", mailbox=RESOLVED)
    left = ticket_msgs(dc, n, "bob")
    t.ok(len(moved) == 1 and "hd-resolved" in hd(moved[0]) and
         not {"hd-new", "hd-open", "hd-waiting"} & set(hd(moved[0])),
         "the moved message shows hd-resolved", str([hd(x) for x in moved]))
    t.ok(len(left) == 1 and hd(left[0]) == ["hd-prio-normal", "hd-resolved",
                                            "hd-tier-1"],
         "the message left in the queue shows hd-resolved too",
         str([hd(x) for x in left]))
    t.eq(row(dc, n)[0], "resolved", "store: resolved")
    t.eq(events(dc, n, "resolved"), [("resolved", "alice", "")],
          "one 'resolved' event by alice")

    # a later customer reply reopens it
    again = make_message(subject="Re: Refund please", sender="hal@customer.example",
                         in_reply_to=msgid_of(first))
    dc.deliver(again)
    left = ticket_msgs(dc, n, "bob")
    t.ok(len(left) == 2 and all("hd-open" in hd(x) and "hd-resolved" not in hd(x)
                                for x in left),
         "a customer reply reopens it: every queue message hd-open",
         str([hd(x) for x in left]))
    t.eq((row(dc, n)[0], len(events(dc, n, "reopened"))), ("open", 1),
          "store: open, one 'reopened' event")

    # moved back by mistake: reopened, and the message follows the ticket
    with dc.imap("alice") as c:
        c.select("Public/Queue")
        c.uid("STORE", str(left[0]["uid"]), "+FLAGS", "(hd-resolved)")
        c.select(RESOLVED)
        typ, dat = c.uid("SEARCH", None, "HEADER", "X-Helpdesk-Ticket", str(n))
        back = dat[0].split()[0].decode()
        typ, dat = c.uid("MOVE", back, "Public/Queue")
        t.ok(typ == "OK", "alice MOVEs the message back into the queue", str(dat))
    left = ticket_msgs(dc, n, "bob")
    t.ok(len(left) == 3 and all("hd-open" in hd(x) and "hd-resolved" not in hd(x)
                                for x in left),
         "moved back: the ticket is open again on all three messages",
         str([hd(x) for x in left]))
    t.eq((row(dc, n)[0], events(dc, n, "reopened")[-1][:2]), ("open", ("reopened", "alice")),
         "store: open, 'reopened' by alice")
    with dc.imap("alice") as c:
        c.select("Public/Queue")
        c.uid("STORE", str(left[0]["uid"]), "+FLAGS", "(hd-prio-high)")
    left = ticket_msgs(dc, n, "bob")
    t.ok(all("hd-prio-high" in hd(x) for x in left),
         "the moved-back message follows later changes (its new place is known)",
         str([hd(x) for x in left]))

    # moving a message that is no ticket's resolves nothing
    auto = make_message(subject="Delivery Status Notification", sender="mailer-daemon@example.net",
                        extra_headers=[("Auto-Submitted", "auto-replied")])
    dc.deliver(auto)
    a = [x for x in dc.queue("alice") if x["message_id"] == msgid_of(auto)][0]
    before = dc.sql("SELECT COUNT(*) FROM hd_events")
    with dc.imap("alice") as c:
        c.select("Public/Queue")
        typ, dat = c.uid("MOVE", str(a["uid"]), RESOLVED)
    t.ok(typ == "OK" and dc.sql("SELECT COUNT(*) FROM hd_events") == before,
         "moving auto mail (no ticket) to %s works and records nothing" % RESOLVED,
         str(dat))


def store_down(t, dc):
    """An agent's action while the store is unavailable: NO [UNAVAILABLE],
    nothing changes; once the store is back the same action works."""
    m = make_message(subject="Store down", sender="ivy@customer.example")
    dc.deliver(m)
    msg = [x for x in dc.queue("alice") if x["message_id"] == msgid_of(m)][0]
    n = ticket_of(msg)
    with dc.store_away():
        mark = dc.log_mark()
        with dc.imap("alice") as c:
            c.select("Public/Queue")
            typ, dat = c.uid("STORE", str(msg["uid"]), "+FLAGS", "(hd-claim)")
        t.ok(typ == "NO" and b"[UNAVAILABLE]" in dat[0] and b"try again" in dat[0],
             "a claim while the store is unavailable: NO [UNAVAILABLE] ...", str(dat))
        after = [x for x in dc.queue("bob") if x["message_id"] == msgid_of(m)][0]
        t.eq(hd(after), hd(msg), "... and the message's keywords are unchanged")
        t.ok(len(dc.log_errors(since=mark)) >= 1,
             "the store outage is logged")
    with dc.imap("alice") as c:
        c.select("Public/Queue")
        typ, dat = c.uid("STORE", str(msg["uid"]), "+FLAGS", "(hd-claim)")
    t.eq((typ, row(dc, n)[:2]), ("OK", ("open", "alice")),
         "the store is back: the same claim works")


def pending_auto(t, dc):
    """Auto mail delivered during an outage is reconciled like the rest:
    reconcile's own keyword change (hd-pending -> hd-auto) is no agent's
    action and is not refused."""
    with dc.store_away():
        auto = make_message(subject="Automatic reply: Holiday",
                            sender="ooo@customer.example",
                            extra_headers=[("Auto-Submitted", "auto-replied")])
        cust = make_message(subject="Lost during the outage?",
                            sender="lee@customer.example")
        for m in (auto, cust):
            r = dc.deliver(m)
            t.ok(r.ok, "delivered while the store is away: %s" % m.split(b"\r\n")[0],
                 str(r))
    q = {x["message_id"]: x for x in dc.queue("alice")}
    t.ok(all("hd-pending" in q[msgid_of(m)]["keywords"] for m in (auto, cust)),
         "both are hd-pending")
    p = dc.doveadm("helpdesk", "reconcile", user="support", check=False)
    q = {x["message_id"]: x for x in dc.queue("alice")}
    a, c = q.get(msgid_of(auto)), q.get(msgid_of(cust))
    t.ok(p.returncode == 0 and a is not None and c is not None and
         hd(a) == ["hd-auto"] and "hd-pending" not in hd(c) and
         c["headers"].get("X-Helpdesk-Ticket") is not None,
         "reconcile: the auto mail is hd-auto, the customer's mail a ticket",
         "rc=%d %s %s %s" % (p.returncode, p.stdout, a and hd(a), c and hd(c)))


def silent_claim(t, dc):
    """STORE +FLAGS.SILENT (hd-claim): the agent's own session still hears
    of the owner keyword (an untagged FETCH with the STORE's answer or at
    the next NOOP), as other sessions do."""
    m = make_message(subject="Silent claim", sender="max@customer.example")
    dc.deliver(m)
    uid = [x["uid"] for x in dc.queue("alice") if x["message_id"] == msgid_of(m)][0]
    with dc.imap("alice") as c:
        c.select("Public/Queue")
        typ, data = c.uid("STORE", str(uid), "+FLAGS.SILENT", "(hd-claim)")
        c.noop()
        seen = [x for x in data if x] + c.untagged_responses.get("FETCH", [])
        fetches = b" ".join(x if isinstance(x, bytes) else b" ".join(
            y for y in x if isinstance(y, bytes)) for x in seen)
    t.ok(b"hd-owner-alice" in fetches,
         "after a .SILENT claim the agent's session gets the owner keyword",
         str(fetches[:300]))


def history(t, dc):
    tickets = dc.sql("SELECT id FROM hd_tickets WHERE subject = 'Where is my parcel'")
    n = tickets[0][0]
    shown = json.loads(dc.doveadm("-f", "json", "helpdesk", "ticket", "show",
                                  n).stdout)[0]
    lines = shown["history"].splitlines()
    t.ok(len(lines) == len(events(dc, n)) and "replied by alice" in shown["history"]
         and "created by gus@customer.example" in lines[0],
         "ticket show: the history lists every event with its actor",
         shown["history"])
    t.eq((shown["tier"], shown["vip"], shown["owner"]), ("1", "no", "alice"),
          "ticket show: tier, vip and owner")


def no_registry(t, plugin):
    """Without registered agents an agent is whoever can see the queue: a
    user the queue's ACL hides (a customer with a mailbox on the same
    server) who answers a ticket's mail from their Sent folder counts
    nothing, an agent with rights does."""
    dc = Dovecot(plugin=plugin, users=("support", "alice", "dave"))
    with open(os.path.join(dc.root, "global-acl"), "a") as f:
        f.write("Public/Queue -user=dave lrwstipekxa\n")
    with dc:
        m = make_message(subject="Hello", sender="kim@customer.example")
        dc.deliver(m)
        with dc.imap("dave") as c:
            typ, _ = c.select("Public/Queue")
            t.ok(typ == "NO", "dave can't see the queue (ACL)")
            c.append("Sent", None, None, make_message(
                subject="Re: Hello", sender="dave@example.com",
                in_reply_to=msgid_of(m)))
        t.eq(dc.sql("SELECT status, owner FROM hd_tickets"), [("new", "")],
             "dave's reply in his Sent folder counts nothing")
        with dc.imap("alice") as c:
            c.append("Sent", None, None, make_message(
                subject="Re: Hello", sender="alice@example.com",
                in_reply_to=msgid_of(m)))
        t.eq(dc.sql("SELECT status, owner FROM hd_tickets"),
             [("waiting", "alice")], "alice's (she sees the queue) counts")
        t.eq(dc.log_errors(), [], "no errors in that log")


def main():
    t = Tap()

    def eq(got, want, name):
        t.ok(got == want, name, "got: %r\nwant: %r" % (got, want))
    t.eq = eq
    plugin = plugin_or_skip(t, "agents, teams and replies")
    if plugin is None:
        return t.done()
    with Dovecot(plugin=plugin, settings={"helpdesk_resolved_mailbox": RESOLVED}) as dc:
        dc.create_mailbox(RESOLVED)
        for name, fn in (("admin", admin), ("assign", assign),
                         ("sent replies", sent_replies),
                         ("resolve by move", resolve_by_move),
                         ("history", history), ("store down", store_down),
                         ("pending auto mail", pending_auto),
                         ("silent claim", silent_claim)):
            try:
                fn(t, dc)
            except Exception:
                import traceback
                t.ok(False, "%s runs to the end" % name, traceback.format_exc())
        errors = dc.log_errors(outages=False)
        t.eq(errors, [], "no errors in the log but the provoked outage")
    try:
        no_registry(t, plugin)
    except Exception:
        import traceback
        t.ok(False, "no registry runs to the end", traceback.format_exc())
    return t.done()


if __name__ == "__main__":
    sys.exit(main())
