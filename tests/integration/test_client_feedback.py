#!/usr/bin/python3
"""What an agent's client is told (issue 12), over raw IMAP sessions that
see every line the server sends, in order:

1. A refusal and a claim someone else won come as an untagged [ALERT]
   before the tagged reply, with the messages' real flags (FETCH) at
   once, and once more before the session's next command.
2. A STORE through a view is judged and answered like one on the queue;
   a ticket that stops matching a view leaves the open view at the next
   NOOP.
3. neomutt's keyword editing (-FLAGS.SILENT of every keyword it knows,
   then +FLAGS.SILENT of the new set) claims, unclaims, resolves,
   escalates and removes VIP; its X-Label rewrite (APPEND of a copy
   without keywords, EXPUNGE of the original) keeps the ticket's state;
   STORE FLAGS (a whole set) neither drops nor forges state; its own Old
   keyword is harmless.
4. A fresh agent's session has the queue and the resolved mailbox
   subscribed (once), a user without rights on them gets nothing.
5. A client's APPEND into the queue keeps none of the helpdesk's keywords.

TAP output; run as root with HD_PLUGIN and HD_SRCDIR set."""

import os
import re
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))

from hdtest import (VIEWS_NAMESPACE, Dovecot, make_message, msgid_of,  # noqa: E402
                    plugin_or_skip)
from rawimap import RawImap  # noqa: E402
from tap import Tap  # noqa: E402

QUEUE = "Public/Queue"
RESOLVED = "Public/Resolved"
UNASSIGNED = '"Helpdesk/Unassigned"'
USERS = ("support", "alice", "bob", "carol", "dave")
AGENTS = ("support", "alice", "bob", "carol")


def hd(flags):
    return {f for f in (flags or ()) if f.startswith("hd-")}


class Scene:
    def __init__(self, t, dc):
        self.t = t
        self.dc = dc

    def deliver(self, subject, sender="customer@example.org", **kw):
        msg = make_message(subject=subject, sender=sender, **kw)
        r = self.dc.deliver(msg, sender=sender)
        assert r.ok, r
        return msg

    def entry(self, msg, user="carol"):
        mid = msgid_of(msg)
        for m in self.dc.queue(user):
            if m["message_id"] == mid:
                return m
        raise AssertionError("%s not in the queue" % mid)

    def ticket(self, n):
        rows = self.dc.sql("SELECT status, owner, priority, vip, tier FROM hd_tickets "
                           "WHERE id = ?", (n,))
        return rows[0] if rows else None

    def events(self, n, kind):
        return self.dc.sql("SELECT actor FROM hd_events WHERE ticket_id = ? AND kind = ? "
                           "ORDER BY id", (n, kind))

    def keywords(self, msg):
        return hd(self.entry(msg)["keywords"])

    def raw(self, user, mailbox=QUEUE):
        c = RawImap(self.dc.imap_port, user)
        r = c.command("SELECT %s" % mailbox)
        assert r.ok, r
        return c


def feedback(t, s, m1, m1b, m2, n1):
    u1, u1b, u2 = s.entry(m1)["uid"], s.entry(m1b)["uid"], s.entry(m2)["uid"]
    alice, bob = s.raw("alice"), s.raw("bob")
    try:
        r = alice.command("UID STORE %d +FLAGS (hd-claim)" % u1)
        t.ok(r.ok and r.alerts() == [], "alice claims ticket %d: OK, no alert" % n1, repr(r))
        # bob's session has not synced since: his claim is judged by the store
        r = bob.command("UID STORE %d +FLAGS (hd-claim)" % u1)
        t.ok(r.ok, "bob's late claim from a stale view: OK (a claim is asked, not forced)",
             repr(r))
        t.eq(r.alerts(), ["ticket %d is already alice's" % n1],
             "bob is told in an [ALERT] that alice was faster")
        last = r.fetch_flags(u1)
        t.ok(last is not None and "hd-owner-alice" in last and "hd-claim" not in last
             and "hd-owner-bob" not in last,
             "the STORE's last FETCH for the message shows the truth (alice's, no "
             "hd-claim)", repr(r.untagged))
        t.ok(r.untagged.index(next(l for l in r.untagged if b"[ALERT]" in l)) <
             len(r.untagged), "the alert comes before the tagged reply", repr(r.untagged))
        t.eq(s.ticket(n1)[1], "alice", "store: alice owns ticket %d" % n1)
        t.eq(s.events(n1, "claimed"), [("alice",)], "store: one claim event, alice's")

        r = bob.command("UID STORE %d -FLAGS (hd-owner-alice)" % u1b)
        t.ok(r.tagged.startswith(b"NO [NOPERM] Only a team lead can take a ticket "
                                 b"away from alice"),
             "bob removes alice's owner keyword: NO [NOPERM]", repr(r))
        t.eq(r.alerts(), ["Only a team lead can take a ticket away from alice"],
             "the refusal is also an [ALERT] (clients hide a tagged NO)")
        last = r.fetch_flags(u1b)
        t.ok(last is not None and "hd-owner-alice" in last,
             "the refused STORE's FETCH shows the owner keyword still there", repr(r.untagged))
        t.ok("hd-owner-alice" in s.keywords(m1b), "the owner keyword is still on the message")

        r = bob.command("UID STORE %d +FLAGS (hd-waiting)" % u2)
        t.ok(r.tagged.startswith(b"NO [CANNOT] hd-waiting is set by the helpdesk"),
             "+FLAGS (hd-waiting): NO [CANNOT]", repr(r))
        t.eq(r.alerts(), ["hd-waiting is set by the helpdesk, not by agents"],
             "+FLAGS (hd-waiting): [ALERT] with the reason")
        t.ok(r.fetch_flags(u2) is not None and "hd-waiting" not in r.fetch_flags(u2),
             "+FLAGS (hd-waiting): FETCH without hd-waiting", repr(r.untagged))
        r = bob.command("NOOP")
        t.ok(r.fetch_flags(u2) is not None and "hd-waiting" not in r.fetch_flags(u2),
             "the flags are sent again before the next command (clients that drop a "
             "FETCH inside their own STORE)", repr(r.untagged))
        r = bob.command("NOOP")
        t.eq(r.fetches(), [], "... once: the NOOP after that has no FETCH")

        r = bob.command("UID STORE %d +FLAGS ($Label1)" % u2)
        t.ok(r.ok and r.alerts() == [] and
             all(u != u2 or "$Label1" in f for _, u, f in r.fetches()),
             "a foreign keyword: OK, no alert", repr(r))
    finally:
        alice.close()
        bob.close()


def escalate_top(t, s):
    m = s.deliver("Tier four problem")
    u = s.entry(m)["uid"]
    n = int(s.entry(m)["headers"]["X-Helpdesk-Ticket"])
    with RawImap(s.dc.imap_port, "alice") as c:
        c.command("SELECT %s" % QUEUE)
        for _ in range(3):
            r = c.command("UID STORE %d +FLAGS (hd-escalate)" % u)
            assert r.ok and not r.alerts(), r
        r = c.command("UID STORE %d +FLAGS (hd-escalate)" % u)
    t.ok(r.ok and r.alerts() == ["ticket %d is at tier 4 already: it cannot be escalated "
                                 "further" % n],
         "a fourth escalation past tier 4: OK with an [ALERT] that says so", repr(r))
    t.eq(s.ticket(n)[4], 4, "store: tier 4")


def views(t, s, m2, m3, n2, n3):
    dc = s.dc
    bob = s.raw("bob", UNASSIGNED)
    alice_view = s.raw("alice", UNASSIGNED)
    try:
        r = bob.command("UID FETCH 1:* (UID FLAGS BODY.PEEK[HEADER.FIELDS (Message-ID)])")
        vuids = {}
        for line in r.untagged:
            m = re.search(rb"UID (\d+).*Message-ID: (<[^>]+>)", line, re.S)
            if m:
                vuids[m.group(2).decode()] = int(m.group(1))
        t.ok(msgid_of(m2) in vuids and msgid_of(m3) in vuids,
             "bob's Unassigned view shows tickets %d and %d" % (n2, n3), repr(r.untagged))
        v2, v3 = vuids.get(msgid_of(m2)), vuids.get(msgid_of(m3))

        r = bob.command("UID STORE %d +FLAGS (hd-waiting)" % v2)
        t.ok(r.tagged.startswith(b"NO [CANNOT] hd-waiting is set by the helpdesk"),
             "through the view: +FLAGS (hd-waiting) is NO [CANNOT] as on the queue",
             repr(r))
        t.eq(r.alerts(), ["hd-waiting is set by the helpdesk, not by agents"],
             "through the view: the same [ALERT]")
        t.ok(r.fetch_flags(v2) is not None and "hd-waiting" not in r.fetch_flags(v2),
             "through the view: the view's FETCH does not show the refused keyword",
             repr(r.untagged))
        r = bob.command("UID FETCH %d (FLAGS)" % v2)
        t.ok("hd-waiting" not in (r.fetch_flags(v2) or {"hd-waiting"}) and
             "hd-waiting" not in s.keywords(m2),
             "through the view: neither the view nor the queue shows hd-waiting later",
             repr(r.untagged))

        r = bob.command("UID STORE %d +FLAGS (\\Flagged hd-waiting)" % v2)
        r2 = bob.command("UID FETCH %d (FLAGS)" % v2)
        t.ok(r.tagged.startswith(b"NO [CANNOT]") and
             "\\Flagged" not in (r2.fetch_flags(v2) or {"\\Flagged"}) and
             "\\Flagged" not in s.entry(m2)["keywords"] and
             not any("Flagged" in f for f in s.entry(m2)["flags"]),
             "through the view, a refused STORE applies nothing (no \\Flagged in the "
             "view or the queue)", repr((r, r2.untagged, s.entry(m2))))

        r = bob.command("UID STORE %d +FLAGS (hd-claim)" % v2)
        t.ok(r.ok and r.alerts() == [], "bob claims ticket %d through his view: OK" % n2,
             repr(r))
        t.eq(s.ticket(n2)[1], "bob", "store: bob owns ticket %d" % n2)
        t.ok({"hd-owner-bob", "hd-open"} <= s.keywords(m2) and "hd-claim" not in s.keywords(m2),
             "the queue message shows bob's claim", repr(s.keywords(m2)))
        r2 = bob.command("NOOP")
        gone = r.expunges() + r2.expunges()
        t.ok(len(gone) >= 1, "the claimed ticket leaves bob's open Unassigned view "
             "(EXPUNGE by the NOOP at the latest)", repr((r.untagged, r2.untagged)))

        # alice's view is open and has not synced: carol claims ticket 3
        with RawImap(dc.imap_port, "carol") as carol:
            carol.command("SELECT %s" % QUEUE)
            r = carol.command("UID STORE %d +FLAGS (hd-claim)" % s.entry(m3)["uid"])
            assert r.ok, r
        r = alice_view.command("UID STORE %d +FLAGS (hd-claim)" % v3)
        t.ok(r.ok and r.alerts() == ["ticket %d is already carol's" % n3],
             "alice's late claim through her stale view: [ALERT] that carol was faster",
             repr(r))
        r2 = alice_view.command("NOOP")
        t.ok(len(r.expunges() + r2.expunges()) >= 1,
             "the ticket carol claimed leaves alice's open Unassigned view",
             repr((r.untagged, r2.untagged)))
        r = alice_view.command("UID SEARCH ALL")
        t.ok(str(v3).encode() not in b" ".join(r.untagged),
             "... and stays out of it", repr(r.untagged))
        t.eq(s.ticket(n3)[1], "carol", "store: carol owns ticket %d" % n3)
    finally:
        bob.close()
        alice_view.close()


def neomutt(t, s):
    """The IMAP commands neomutt 20220429 sends (recorded with -d 5)."""
    dc = s.dc
    m = s.deliver("neomutt's ticket")
    e = s.entry(m)
    u, n = e["uid"], int(e["headers"]["X-Helpdesk-Ticket"])
    c = s.raw("alice")
    try:
        def modify_tags(old, new):
            r1 = c.command("UID STORE %d -FLAGS.SILENT (%s)" % (u, old))
            r2 = c.command("UID STORE %d +FLAGS.SILENT (%s)" % (u, new))
            return r1, r2

        r1, r2 = modify_tags("hd-new hd-tier-1 hd-prio-normal",
                             "hd-new hd-tier-1 hd-prio-normal hd-claim")
        t.ok(r1.ok and r2.ok, "modify-tags adding hd-claim: both STOREs OK",
             repr((r1, r2)))
        t.eq(s.ticket(n)[:2], ("open", "alice"), "modify-tags claim: alice owns it")
        t.eq(s.keywords(m), {"hd-open", "hd-owner-alice", "hd-tier-1", "hd-prio-normal"},
             "modify-tags claim: the message shows the state, not hd-claim")
        r = c.command("NOOP")
        t.ok("hd-owner-alice" in (r.fetch_flags(u) or ()),
             "the next command gets the new flags (neomutt drops a FETCH inside its "
             "own STORE)", repr(r.untagged))

        r1, r2 = modify_tags("hd-open hd-tier-1 hd-prio-normal hd-owner-alice",
                             "hd-open hd-tier-1 hd-prio-normal hd-owner-alice hd-vip")
        t.ok(r1.ok and r2.ok and s.ticket(n)[3] == 1, "modify-tags adding hd-vip: VIP",
             repr((r1, r2, s.ticket(n))))
        r1, r2 = modify_tags("hd-open hd-tier-1 hd-prio-normal hd-owner-alice hd-vip",
                             "hd-open hd-tier-1 hd-prio-normal hd-owner-alice")
        t.ok(r1.ok and r2.ok and s.ticket(n)[3] == 0 and
             s.events(n, "vip-removed") == [("alice",)],
             "modify-tags deleting hd-vip: VIP removed (one event)", repr(s.ticket(n)))
        r1, r2 = modify_tags("hd-open hd-tier-1 hd-prio-normal hd-owner-alice",
                             "hd-open hd-tier-1 hd-prio-normal hd-owner-alice hd-escalate")
        t.ok(r1.ok and r2.ok and s.ticket(n)[4] == 2, "modify-tags adding hd-escalate: tier 2",
             repr(s.ticket(n)))
        r1, r2 = modify_tags("hd-open hd-tier-2 hd-prio-normal hd-owner-alice",
                             "hd-open hd-tier-2 hd-prio-normal")
        t.ok(r1.ok and r2.ok and s.ticket(n)[:2] == ("new", ""),
             "modify-tags deleting her own hd-owner-alice: unclaimed", repr(s.ticket(n)))
        t.eq(s.events(n, "claimed"), [("alice",)], "no claim or unclaim ping-pong in the "
             "ledger: one claim ...")
        t.eq(s.events(n, "unclaimed"), [("alice",)], "... and one unclaim")
        r1, r2 = modify_tags("hd-new hd-tier-2 hd-prio-normal",
                             "hd-new hd-tier-2 hd-prio-normal hd-resolved")
        t.ok(r1.ok and r2.ok and s.ticket(n)[0] == "resolved",
             "modify-tags adding hd-resolved: resolved", repr(s.ticket(n)))
        r1, r2 = modify_tags("hd-resolved hd-tier-2 hd-prio-normal",
                             "hd-resolved hd-tier-2 hd-prio-normal hd-waiting")
        t.ok(r1.ok and r2.ok and s.ticket(n)[0] == "resolved" and
             "hd-waiting" not in s.keywords(m),
             "modify-tags typing a keyword only the helpdesk sets: ignored, nothing "
             "changes", repr((r2, s.keywords(m))))

        r = c.command("UID STORE %d +FLAGS.SILENT (Old)" % u)
        before = s.ticket(n)
        t.ok(r.ok and s.ticket(n) == before and "Old" in s.entry(m)["keywords"],
             "neomutt's own Old keyword: stored, harmless")

        r = c.command("UID STORE %d FLAGS (\\Seen)" % u)
        t.ok(r.ok and s.keywords(m) >= {"hd-resolved", "hd-tier-2", "hd-prio-normal"} and
             s.ticket(n) == before,
             "STORE FLAGS (\\Seen), a whole set without keywords: OK, the ticket's "
             "state stays", repr((r, s.keywords(m))))
        r = c.command("UID STORE %d FLAGS (\\Seen hd-owner-bob hd-open)" % u)
        t.ok(r.tagged.startswith(b"NO [NOPERM] Only a team lead can assign"),
             "STORE FLAGS with another's owner keyword: the lead-only rule holds",
             repr(r))

        # `Y` (edit-label): a rewritten copy APPENDed without keywords, the
        # original expunged
        r = c.command("UID FETCH %d (BODY.PEEK[])" % u)
        fetched = [l for l in r.untagged if b"BODY[] {" in l]
        body = re.search(rb"BODY\[\] \{\d+\}\r\n(.*)\)$", fetched[0], re.S).group(1)
        copy = body.replace(b"\r\n\r\n", b"\r\nX-Label: urgent\r\n\r\n", 1)
    finally:
        c.close()
    import imaplib
    with dc.imap("alice") as ic:
        typ, dat = ic.append(QUEUE, "()", imaplib.Time2Internaldate(time.time()), copy)
        t.ok(typ == "OK", "the X-Label copy is APPENDed without keywords", repr(dat))
        ic.select(QUEUE)
        ic.uid("STORE", str(u), "+FLAGS.SILENT", "(\\Deleted)")
        ic.expunge()
    copies = [x for x in dc.queue("carol") if x["message_id"] == msgid_of(m)]
    t.ok(len(copies) == 1 and copies[0]["headers"].get("X-Label") == "urgent" and
         hd(copies[0]["keywords"]) == {"hd-resolved", "hd-tier-2", "hd-prio-normal"},
         "the rewritten copy keeps the ticket's state", repr(copies))
    with dc.imap("bob") as ic:
        ic.select(QUEUE)
        typ, dat = ic.uid("STORE", str(copies[0]["uid"]), "-FLAGS", "(hd-resolved)")
    again = [x for x in dc.queue("carol") if x["message_id"] == msgid_of(m)]
    t.ok(typ == "OK" and s.ticket(n)[0] == "open" and
         "hd-open" in hd(again[0]["keywords"]),
         "the copy is the ticket's message: reopening through it works", repr(again))


def rewrite_edges(t, s):
    """Found in review: a first half left alone pairs with nothing later;
    a refused second half leaves the client's own keywords; a lead takes
    a ticket with the own owner keyword."""
    m = s.deliver("Rewrite edges")
    e = s.entry(m)
    u, n = e["uid"], int(e["headers"]["X-Helpdesk-Ticket"])
    with RawImap(s.dc.imap_port, "alice") as c:
        c.command("SELECT %s" % QUEUE)
        r = c.command("UID STORE %d +FLAGS (hd-claim todo)" % u)
        assert r.ok and s.ticket(n)[1] == "alice", r
        # neomutt with every tag deleted sends only the first half
        r = c.command("UID STORE %d -FLAGS.SILENT (hd-open hd-tier-1 hd-prio-normal "
                      "hd-owner-alice todo)" % u)
        t.ok(r.ok, "a first half alone (every tag deleted): OK", repr(r))
        r2 = c.command("NOOP")
        t.ok(s.ticket(n)[1] == "alice" and "todo" in s.entry(m)["keywords"] and
             "hd-owner-alice" in (r2.fetch_flags(u) or ()),
             "... changes nothing, and the next command brings the flags back",
             repr((s.ticket(n), s.entry(m)["keywords"], r2.untagged)))
        r = c.command("UID STORE %d +FLAGS (hd-escalate)" % u)
        t.ok(r.ok and s.ticket(n)[1] == "alice" and s.ticket(n)[4] == 2 and
             s.events(n, "unclaimed") == [],
             "a later +FLAGS is no second half: escalated, still alice's, no unclaim",
             repr((r, s.ticket(n), s.events(n, "unclaimed"))))
    with RawImap(s.dc.imap_port, "bob") as c:
        c.command("SELECT %s" % QUEUE)
        c.command("UID STORE %d -FLAGS.SILENT (hd-open hd-tier-2 hd-prio-normal "
                  "hd-owner-alice todo)" % u)
        r = c.command("UID STORE %d +FLAGS.SILENT (hd-open hd-tier-2 hd-prio-normal "
                      "hd-owner-bob todo)" % u)
        t.ok(r.tagged.startswith(b"NO [NOPERM]") and "todo" in s.entry(m)["keywords"] and
             s.ticket(n)[1] == "alice",
             "bob's rewrite taking alice's ticket is refused and leaves the message's "
             "own keyword (todo)", repr((r, s.entry(m)["keywords"])))
    with RawImap(s.dc.imap_port, "carol") as c:
        c.command("SELECT %s" % QUEUE)
        r = c.command("UID STORE %d +FLAGS (hd-owner-carol)" % u)
    t.ok(r.ok and r.alerts() == [] and s.ticket(n)[1] == "carol" and
         s.events(n, "assigned") == [("carol",)],
         "lead carol sets her own owner keyword on alice's ticket: she takes it",
         repr((r, s.ticket(n))))


def whole_set(t, s):
    m = s.deliver("Whole set rewrites")
    e = s.entry(m)
    u, n = e["uid"], int(e["headers"]["X-Helpdesk-Ticket"])
    with RawImap(s.dc.imap_port, "bob") as c:
        c.command("SELECT %s" % QUEUE)
        r = c.command("UID STORE %d FLAGS (\\Flagged hd-claim)" % u)
    t.ok(r.ok and s.ticket(n)[:2] == ("open", "bob"),
         "STORE FLAGS (\\Flagged hd-claim): the claim in it is carried out", repr(r))
    t.eq(s.keywords(m), {"hd-open", "hd-owner-bob", "hd-tier-1", "hd-prio-normal"},
         "STORE FLAGS: state from the store, no hd-claim, nothing lost")


def appends(t, s):
    dc = s.dc
    note = make_message(subject="Agents' note")
    with dc.imap("alice") as c:
        typ, dat = c.append(QUEUE, "(hd-owner-bob hd-resolved hd-tier-3 $Label1)", None, note)
    t.ok(typ == "OK", "APPEND with forged helpdesk keywords: accepted", repr(dat))
    kws = set(s.entry(note)["keywords"])
    t.ok(hd(kws) == set() and "$Label1" in kws,
         "the APPENDed message keeps $Label1 and none of the helpdesk's keywords", repr(kws))


def subscriptions(t, dc):
    with RawImap(dc.imap_port, "alice") as c:
        r = c.command('LSUB "" "*"')
    t.ok(any(l.endswith(b" " + QUEUE.encode()) for l in r.untagged) and
         any(l.endswith(b" " + RESOLVED.encode()) for l in r.untagged),
         "a fresh agent's session: the queue and the resolved mailbox are subscribed",
         repr(r.untagged))
    with RawImap(dc.imap_port, "alice") as c:
        c.command('UNSUBSCRIBE "%s"' % QUEUE)
    with RawImap(dc.imap_port, "alice") as c:
        r = c.command('LSUB "" "*"')
    t.ok(not any(l.endswith(b" " + QUEUE.encode()) for l in r.untagged),
         "an agent who unsubscribes the queue stays unsubscribed", repr(r.untagged))
    with RawImap(dc.imap_port, "dave") as c:
        r = c.command('LSUB "" "*"')
    t.ok(not any(b"Public/" in l for l in r.untagged),
         "a user without rights on the queue gets no subscription", repr(r.untagged))


def main():
    t = Tap()
    if plugin_or_skip(t, "client feedback tests") is None:
        return t.done()
    dc = Dovecot(mail_plugins=("virtual",), users=USERS,
                 settings={"helpdesk_views": "Helpdesk/",
                           "helpdesk_resolved_mailbox": RESOLVED},
                 user_fields={"carol": {"helpdesk_lead": "yes"}})
    dc.extra_config = VIEWS_NAMESPACE
    with open(os.path.join(dc.root, "global-acl"), "w") as f:
        for mb in (QUEUE, RESOLVED):
            for u in AGENTS:
                f.write("%s user=%s lrwstipekxa\n" % (mb, u))
    try:
        dc.start()
        dc.create_mailbox(RESOLVED)
        s = Scene(t, dc)
        subscriptions(t, dc)
        m1 = s.deliver("Printer on fire", sender="dana@customer.example")
        m1b = s.deliver("Re: Printer on fire", sender="dana@customer.example",
                        in_reply_to=msgid_of(m1))
        m2 = s.deliver("VPN down", sender="erin@customer.example")
        m3 = s.deliver("Mail bounces", sender="finn@customer.example")
        n1, n2, n3 = (int(s.entry(m)["headers"]["X-Helpdesk-Ticket"]) for m in (m1, m2, m3))
        with t.check("refusals and lost claims are told to the agent"):
            feedback(t, s, m1, m1b, m2, n1)
        with t.check("escalation past the top tier is told"):
            escalate_top(t, s)
        with t.check("views answer like the queue and drop what no longer matches"):
            views(t, s, m2, m3, n2, n3)
        with t.check("neomutt's keyword editing and X-Label rewrite"):
            neomutt(t, s)
        with t.check("whole-set rewrites"):
            whole_set(t, s)
        with t.check("rewrite edge cases"):
            rewrite_edges(t, s)
        with t.check("APPEND"):
            appends(t, s)
        errors = dc.log_errors()
        t.eq(errors, [], "no Error/Panic/Fatal in the log")
        if os.environ.get("HD_VALGRIND"):
            t.eq(dc.valgrind_errors(), [], "valgrind: no errors in imap/lmtp")
    finally:
        dc.cleanup()
    return t.done()


if __name__ == "__main__":
    sys.exit(main())
