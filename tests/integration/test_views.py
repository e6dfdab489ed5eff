#!/usr/bin/python3
"""Agent views (virtual folders): with helpdesk_views = Helpdesk/ and a
namespace of Dovecot's virtual storage at that prefix, every agent's IMAP
session lists Helpdesk/Mine, Helpdesk/Unassigned and "Helpdesk/Waiting on
customer", written by the plugin for that agent, and each shows exactly
the right queue messages. The views cover every queue mailbox (two here).
A bad helpdesk_views (no such namespace, a namespace that isn't virtual)
logs one clear error per session and IMAP and LMTP keep working."""

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))

from hdtest import (VIEWS_NAMESPACE, Dovecot, make_message, msgid_of,  # noqa: E402
                    parse_fetch, plugin_or_skip)
from tap import Tap  # noqa: E402

PREFIX = "Helpdesk/"
MINE = PREFIX + "Mine"
UNASSIGNED = PREFIX + "Unassigned"
WAITING = PREFIX + "Waiting on customer"
AT_RISK = PREFIX + "At risk"
VIEWS = (MINE, UNASSIGNED, WAITING, AT_RISK)
QUEUES = ("Public/Queue", "Public/Billing")


def quote(name):
    return '"%s"' % name


def view_file(dc, user, view):
    return os.path.join(dc.root, "home", user, "helpdesk-views",
                        view[len(PREFIX):], "dovecot-virtual")


def tickets_in(dc, conn, mailbox):
    """SELECT mailbox (read-only) on conn: sorted [(ticket, subject)] of its
    messages, or None when it can't be selected."""
    typ, data = conn.select(quote(mailbox), readonly=True)
    if typ != "OK":
        return None
    if int(data[0]) == 0:
        return []
    parsed = dc.fetch_all(conn, "(UID BODY.PEEK[HEADER.FIELDS (X-Helpdesk-Ticket Subject)])")
    return sorted(_ticket_subject(a) for a in parsed.values())


def _ticket_subject(attrs):
    raw = b""
    for k, v in attrs.items():
        if k.startswith("BODY[HEADER.FIELDS"):
            raw = v
    ticket, subject = None, ""
    for line in raw.decode("utf-8", "replace").split("\r\n"):
        if line.lower().startswith("x-helpdesk-ticket:"):
            ticket = int(line.split(":", 1)[1])
        elif line.lower().startswith("subject:"):
            subject = line.split(":", 1)[1].strip()
    return (ticket, subject)


def view_contents(dc, user):
    """{view: sorted [(ticket, subject)]} as user sees it in a new session."""
    with dc.imap(user) as c:
        return {v: tickets_in(dc, c, v) for v in VIEWS}


def listed(conn, pattern, subscribed=False):
    typ, data = (conn.lsub if subscribed else conn.list)('""', quote(pattern))
    names = []
    for line in data or ():
        if line is None:
            continue
        line = line.decode() if isinstance(line, bytes) else str(line)
        name = line.rsplit('"/" ', 1)[-1]
        names.append(name.strip('"'))
    return sorted(names)


def uids_of(dc, mids, mailbox="Public/Queue"):
    q = {m["message_id"]: m["uid"] for m in dc.queue("carol", mailbox)}
    return [q[mid] for mid in mids]


def store_flags(dc, user, mailbox, uids, flags, t, what):
    with dc.imap(user) as c:
        c.select(quote(mailbox))
        typ, dat = c.uid("STORE", ",".join(str(u) for u in uids), "+FLAGS",
                         "(%s)" % flags)
    t.ok(typ == "OK", "%s: STORE +FLAGS (%s) answered OK" % (what, flags), str(dat))


def expect(t, got, user, view, want):
    t.eq(got[view], sorted(want), "%s's %s shows exactly %s" % (
        user, view, ", ".join("#%d %s" % w for w in sorted(want)) or "nothing"))


def scenario(t, dc):
    m1 = make_message(subject="Printer on fire", sender="dana@customer.example")
    m1b = make_message(subject="Re: Printer on fire", sender="dana@customer.example",
                       in_reply_to=msgid_of(m1))
    m2 = make_message(subject="VPN down", sender="erin@customer.example")
    m3 = make_message(subject="Mail bounces", sender="finn@customer.example")
    auto = make_message(subject="Out of Office", sender="ooo@customer.example",
                        extra_headers=[("Auto-Submitted", "auto-replied")])
    for m in (m1, m1b, m2, m3, auto):
        r = dc.deliver(m)
        t.ok(r.ok, "delivery over LMTP with the views namespace configured", str(r))
    q = {m["message_id"]: m for m in dc.queue("carol")}
    num = {mid: int(q[mid]["headers"]["X-Helpdesk-Ticket"])
           for mid in map(msgid_of, (m1, m1b, m2, m3))}
    t.ok("X-Helpdesk-Ticket" not in q[msgid_of(auto)]["headers"] and
         "hd-auto" in q[msgid_of(auto)]["keywords"],
         "the auto-reply has no ticket (never in Unassigned)")
    T1 = (num[msgid_of(m1)], "[#%d] Printer on fire" % num[msgid_of(m1)])
    T1b = (num[msgid_of(m1)], "[#%d] Re: Printer on fire" % num[msgid_of(m1)])
    T2 = (num[msgid_of(m2)], "[#%d] VPN down" % num[msgid_of(m2)])
    T3 = (num[msgid_of(m3)], "[#%d] Mail bounces" % num[msgid_of(m3)])
    # a ticket in the second queue mailbox: delivered, then moved there
    # (a move between queues keeps its state; a client's APPEND would
    # carry no helpdesk keyword)
    bill = make_message(subject="Invoice twice", sender="gina@customer.example")
    r = dc.deliver(bill)
    t.ok(r.ok, "delivery of the billing ticket's message", str(r))
    entry = [m for m in dc.queue("carol") if m["message_id"] == msgid_of(bill)][0]
    nb = int(entry["headers"]["X-Helpdesk-Ticket"])
    with dc.imap("carol") as c:
        c.select("Public/Queue")
        typ, dat = c.uid("MOVE", str(entry["uid"]), "Public/Billing")
        t.ok(typ == "OK", "MOVE of a ticket message into the second queue", str(dat))
    TB = (nb, "[#%d] Invoice twice" % nb)

    # LIST, LSUB, the files
    for user in ("alice", "bob"):
        with dc.imap(user) as c:
            t.eq(listed(c, PREFIX + "*"), sorted(VIEWS),
                 "%s: LIST shows the four views" % user)
            t.eq(listed(c, PREFIX + "*", subscribed=True), sorted(VIEWS),
                 "%s: the views are subscribed (LSUB)" % user)
    with open(view_file(dc, "alice", MINE)) as f:
        mine = f.read()
    t.ok("\nPublic/Queue\nPublic/Billing\n" in mine and
         "  KEYWORD hd-owner-alice UNKEYWORD hd-resolved UNDELETED\n" in mine,
         "alice's Mine definition: both queues, her owner keyword", mine)
    with open(view_file(dc, "bob", WAITING)) as f:
        waiting = f.read()
    t.ok("  KEYWORD hd-owner-bob KEYWORD hd-waiting UNDELETED\n" in waiting,
         "bob's Waiting definition names bob's owner keyword", waiting)

    for user in ("alice", "bob"):
        got = view_contents(dc, user)
        expect(t, got, user, UNASSIGNED, [T1, T1b, T2, T3, TB])
        expect(t, got, user, MINE, [])
        expect(t, got, user, WAITING, [])
        # no deadline is near with the default targets
        expect(t, got, user, AT_RISK, [])

    # alice claims ticket 1 in the queue: both its messages move from
    # Unassigned to alice's Mine, not to bob's
    u1, u1b, u2, u3 = uids_of(dc, [msgid_of(m) for m in (m1, m1b, m2, m3)])
    store_flags(dc, "alice", "Public/Queue", [u1], "hd-claim", t, "alice claims #%d" % T1[0])
    got_a, got_b = view_contents(dc, "alice"), view_contents(dc, "bob")
    expect(t, got_a, "alice", MINE, [T1, T1b])
    expect(t, got_b, "bob", MINE, [])
    expect(t, got_b, "bob", UNASSIGNED, [T2, T3, TB])
    expect(t, got_a, "alice", UNASSIGNED, [T2, T3, TB])

    # a new delivery shows up in Unassigned, also in a session that has
    # the view open
    with dc.imap("bob") as c:
        typ, data = c.select(quote(UNASSIGNED))
        before = int(data[0])
        m4 = make_message(subject="Disk full", sender="gina@customer.example")
        t.ok(dc.deliver(m4).ok, "delivery of a new ticket")
        c.noop()
        typ, data = c.search(None, "ALL")
        after = len(data[0].split())
        t.eq((before, after), (3, 4),
             "bob's open Unassigned view gets the new ticket at the next NOOP")
    q = {m["message_id"]: m for m in dc.queue("carol")}
    u4 = q[msgid_of(m4)]["uid"]
    n4 = int(q[msgid_of(m4)]["headers"]["X-Helpdesk-Ticket"])
    T4 = (n4, "[#%d] Disk full" % n4)
    expect(t, view_contents(dc, "alice"), "alice", UNASSIGNED, [T2, T3, T4, TB])

    # claims from everywhere: alice from inside her Unassigned view, bob by
    # his own owner keyword, carol (lead) assigns to alice
    with dc.imap("alice") as c:
        c.select(quote(UNASSIGNED))
        typ, data = c.search(None, "HEADER", "X-Helpdesk-Ticket", str(T3[0]))
        seqs = data[0].split()
        typ, dat = c.store(b",".join(seqs).decode(), "+FLAGS", "(hd-claim)")
        t.ok(len(seqs) == 1 and typ == "OK",
             "alice claims #%d from inside Helpdesk/Unassigned" % T3[0], str(dat))
    store_flags(dc, "bob", "Public/Queue", [u2], "hd-owner-bob", t, "bob takes #%d" % T2[0])
    store_flags(dc, "carol", "Public/Queue", [u4], "hd-owner-alice", t,
                "carol assigns #%d to alice" % T4[0])
    got_a, got_b, got_c = (view_contents(dc, u) for u in ("alice", "bob", "carol"))
    expect(t, got_a, "alice", MINE, [T1, T1b, T3, T4])
    expect(t, got_b, "bob", MINE, [T2])
    expect(t, got_c, "carol", MINE, [])
    expect(t, got_b, "bob", UNASSIGNED, [TB])

    # waiting, resolved, deleted
    # an agent's reply (APPEND to Sent) makes it wait on the customer;
    # agents can't set hd-waiting themselves
    reply = make_message(subject="Re: Mail bounces", sender="alice@example.com",
                         to="customer@example.org", in_reply_to=msgid_of(m3))
    with dc.imap("alice") as c:
        typ, dat = c.append("Sent", None, None, reply)
    t.ok(typ == "OK", "alice answers #%d from her client (APPEND to Sent)" % T3[0],
         str(dat))
    store_flags(dc, "alice", "Public/Queue", [u1, u1b], "hd-resolved", t,
                "alice resolves #%d" % T1[0])
    store_flags(dc, "bob", "Public/Queue", [u2], "\\Deleted", t, "bob deletes #%d" % T2[0])
    got_a, got_b = view_contents(dc, "alice"), view_contents(dc, "bob")
    expect(t, got_a, "alice", MINE, [T3, T4])
    expect(t, got_a, "alice", WAITING, [T3])
    expect(t, got_b, "bob", MINE, [])
    expect(t, got_b, "bob", WAITING, [])
    expect(t, got_a, "alice", UNASSIGNED, [TB])


def rewrites(t, dc):
    """Files are written only when their content changes."""
    paths = [view_file(dc, "alice", v) for v in VIEWS]

    def stamp():
        return [(os.stat(p).st_ino, os.stat(p).st_mtime_ns) for p in paths]

    before = stamp()
    with dc.imap("alice") as c:
        c.noop()
    t.eq(stamp(), before, "a new login leaves unchanged view files alone "
         "(same inode and mtime)")

    # an agent who unsubscribes a view stays unsubscribed, also when the
    # view's file is written again
    with dc.imap("alice") as c:
        typ, dat = c.unsubscribe(quote(MINE))
        t.ok(typ == "OK", "alice unsubscribes the Mine view", str(dat))
    with open(paths[0], "a") as f:
        f.write("Public/Resolved\n")
    with dc.imap("alice") as c:
        c.noop()
    with open(paths[0]) as f:
        text = f.read()
    t.ok("Public/Resolved" not in text and stamp()[0] != before[0],
         "an edited definition is replaced at the next login", text)
    t.eq(stamp()[1:], before[1:], "the other files stay untouched")
    tmp = [n for n in os.listdir(os.path.dirname(paths[0])) if n.endswith(".tmp")]
    t.eq(tmp, [], "no temporary file left")
    with dc.imap("alice") as c:
        t.eq(listed(c, PREFIX + "*", subscribed=True), sorted([UNASSIGNED, WAITING, AT_RISK]),
             "the unsubscribed view stays unsubscribed after its file was rewritten")

    # a removed view comes back (subscribed, as new) at the next login
    os.unlink(paths[2])
    with dc.imap("alice") as c:
        t.eq(listed(c, PREFIX + "*"), sorted(VIEWS),
             "a removed view file is written again at login")
        t.eq(tickets_in(dc, c, WAITING), [(3, "[#3] Mail bounces")],
             "the rewritten view shows its tickets")


def bad_config(t, plugin):
    dc = Dovecot(plugin=plugin, mail_plugins=("virtual",),
                 settings={"helpdesk_views": "Nothing/"})
    dc.start()
    try:
        for value, pattern in (
                ("Nothing/", r"helpdesk: views: helpdesk_views = Nothing/ names no "
                 r"namespace: configure a namespace with prefix = Nothing/"),
                ("Public/", r"helpdesk: views: helpdesk_views = Public/ names a "
                 r"namespace with mdbox storage, not virtual")):
            if dc.settings["helpdesk_views"] != value:
                dc.settings["helpdesk_views"] = value
                dc.restart()
            mark = dc.log_mark()
            r = dc.deliver(make_message(subject="still delivered"))
            t.ok(r.ok, "helpdesk_views = %s: LMTP delivery works" % value, str(r))
            with dc.imap("alice") as c:
                typ, data = c.select("Public/Queue", readonly=True)
                t.ok(typ == "OK" and int(data[0]) >= 1,
                     "helpdesk_views = %s: IMAP login and SELECT work" % value, str(data))
                t.eq(listed(c, "Public/*"), ["Public/Queue", "Public/Resolved"],
                     "helpdesk_views = %s: LIST shows the public namespace as before"
                     % value)
            written = [os.path.join(d, n) for d, _, names in os.walk(dc.root)
                       for n in names if n.startswith("dovecot-virtual")]
            t.eq(written, [], "helpdesk_views = %s: no view file written" % value)
            errors = dc.log_errors(since=mark)
            t.ok(len(errors) == 1 and len(dc.log_errors(pattern, since=mark)) == 1,
                 "helpdesk_views = %s: exactly one clear error for the session" % value,
                 "\n".join(errors))
    finally:
        dc.stop()
        dc.cleanup()


def main():
    t = Tap()
    plugin = plugin_or_skip(t, "view tests")
    if plugin is None:
        return t.done()
    dc = Dovecot(plugin=plugin, mail_plugins=("virtual",),
                 settings={"helpdesk_views": PREFIX,
                           "helpdesk_queue": " ".join(QUEUES)},
                 user_fields={"carol": {"helpdesk_lead": "yes"}})
    dc.extra_config = VIEWS_NAMESPACE
    dc.start()
    try:
        with t.check("the view scenario runs to the end"):
            scenario(t, dc)
        with t.check("the rewrite checks run to the end"):
            rewrites(t, dc)
        t.ok(not os.path.exists(os.path.join(dc.root, "home", "support",
                                             "helpdesk-views", "Mine")),
             "no views are written for a user who only receives deliveries")
        t.eq(dc.log_errors(), [], "no errors in the log")
    finally:
        dc.stop()
        dc.cleanup()
    with t.check("the bad configuration checks run to the end"):
        bad_config(t, plugin)
    return t.done()


if __name__ == "__main__":
    sys.exit(main())
