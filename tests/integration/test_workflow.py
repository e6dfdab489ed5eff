#!/usr/bin/python3
"""The ticket workflow driven by keywords (issue 4): agents change tickets
with ordinary IMAP STOREs on queue messages -- unclaim, resolve and
reopen, escalate, priority, VIP and team -- and every message of the
ticket then shows the store's state; bad or forbidden changes are answered
NO and change nothing; the agents registry (hd_agents) limits who may act
and lets a store-registered lead assign; an agent's reply delivered to the
queue makes the ticket wait for the customer, the customer's reply opens
it again.  Checked over IMAP (hd- keywords of every message of the ticket,
as several users) and in the sqlite store (hd_tickets, hd_events).

Two private Dovecots: one without an agents registry (carol is a lead by
her userdb field), one with agents registered in the store.  Run as root:

  cd tests && HD_PLUGIN=../plugin/.libs/lib20_helpdesk_plugin.so \\
      python3 integration/test_workflow.py
"""

import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))

from hdtest import Dovecot, hd_keywords, make_message, msgid_of, parse_fetch, plugin_or_skip, \
    ticket_keywords, ticket_of  # noqa: E402
from tap import Tap  # noqa: E402

PREFIX = "hd-"
QUEUE = "Public/Queue"
TICKET_COLS = "status, owner, tier, priority, vip, team"


# ------------------------------------------------------------------ helpers

hd = hd_keywords


state = ticket_keywords


def row(status, owner="", tier=1, prio="normal", vip=0, team=""):
    """The hd_tickets columns TICKET_COLS of a ticket in that state."""
    return (status, owner, tier, prio, vip, team)


def fmt(kws):
    return "{%s}" % ", ".join(sorted(kws))


class Workflow:
    """A Dovecot under test and what the checks need to look at it."""

    def __init__(self, t, dc):
        self.t = t
        self.dc = dc

    # --- store: self.dc.sql(), self.dc.sql_write()

    def ticket(self, n):
        rows = self.dc.sql("SELECT %s FROM hd_tickets WHERE id = ?" % TICKET_COLS, (n,))
        return rows[0] if rows else None

    def events(self, n, kind=None):
        """(kind, actor, detail) of ticket n's events, oldest first."""
        if kind is None:
            return self.dc.sql("SELECT kind, actor, detail FROM hd_events WHERE ticket_id = ? "
                            "ORDER BY id", (n,))
        return self.dc.sql("SELECT kind, actor, detail FROM hd_events WHERE ticket_id = ? "
                        "AND kind = ? ORDER BY id", (n, kind))

    def snapshot(self):
        """Everything a refused STORE must leave alone: every queue
        message's keywords (all of them, not only ours), every ticket row
        and every event."""
        return {
            "keywords": {m["uid"]: sorted(m["keywords"]) for m in self.dc.queue("carol")},
            "tickets": self.dc.sql("SELECT * FROM hd_tickets ORDER BY id"),
            "events": self.dc.sql("SELECT * FROM hd_events ORDER BY id"),
        }

    # --- mail
    def deliver(self, msg, sender="customer@example.org"):
        r = self.dc.deliver(msg, sender=sender)
        assert r.ok, "delivery failed: %r" % (r,)
        return r

    def by_mid(self, user="carol"):
        return {m["message_id"]: m for m in self.dc.queue(user)}

    def msg(self, msg, user="carol"):
        """The queue entry of a message made by make_message()."""
        mid = msgid_of(msg)
        found = [m for m in self.dc.queue(user) if m["message_id"] == mid]
        assert found, "%s is not in the queue" % mid
        return found[0]

    def ticket_msgs(self, n, user="carol", queue=None):
        q = queue if queue is not None else self.dc.queue(user)
        return [m for m in q if ticket_of(m) == n]

    def store(self, user, uids, op, flags):
        """UID STORE as user on the queue: (typ, response text)."""
        if isinstance(uids, int):
            uids = [uids]
        with self.dc.imap(user) as c:
            typ, dat = c.select(QUEUE)
            assert typ == "OK", "SELECT %s as %s: %r" % (QUEUE, user, dat)
            typ, dat = c.uid("STORE", ",".join(str(u) for u in uids), op,
                             "(%s)" % flags)
        text = b" ".join(d for d in dat if isinstance(d, bytes)).decode("utf-8", "replace") \
            if typ != "OK" else ""
        return typ, text

    # --- checks
    def ok_store(self, user, uids, op, flags, name):
        typ, text = self.store(user, uids, op, flags)
        return self.t.ok(typ == "OK", name, "%s %s" % (typ, text))

    def expect(self, n, kws, name, count=None, user="carol", skip=()):
        """Every message of ticket n (as user sees it) shows exactly the hd-
        keywords kws; count: how many messages the ticket must have (not
        counting the UIDs in skip, which are left out of the check)."""
        msgs = [m for m in self.ticket_msgs(n, user) if m["uid"] not in skip]
        bad = ["uid %d: %s" % (m["uid"], fmt(hd(m))) for m in msgs if hd(m) != kws]
        if count is not None and len(msgs) != count:
            bad.insert(0, "%d messages of ticket %d, expected %d" % (len(msgs), n, count))
        if not msgs:
            bad.insert(0, "no message of ticket %d in the queue" % n)
        return self.t.ok(not bad, name, lambda: "expected on every message: %s\n%s" % (
            fmt(kws), "\n".join(bad)))

    def refused(self, user, uids, op, flags, want_text, name, perm=False, code=None):
        """The STORE is answered NO (with want_text in the answer, and
        [NOPERM] if perm, or the response code code) and changes nothing
        anywhere."""
        before = self.snapshot()
        typ, text = self.store(user, uids, op, flags)
        if perm:
            code = "[NOPERM]"
        ok = typ == "NO" and want_text in text and (code is None or text.startswith(code))
        self.t.ok(ok, "%s: NO%s '... %s'" % (name, " " + code if code else "", want_text),
                  "%s %s" % (typ, text))
        after = self.snapshot()
        diffs = []
        for k in before:
            if before[k] != after[k]:
                diffs.append("%s before: %r\n%s after:  %r" % (k, before[k], k, after[k]))
        self.t.ok(not diffs, "%s: nothing changed (keywords, tickets, events)" % name,
                  "\n".join(diffs))

    def no_log_errors(self, name):
        errs = self.dc.log_errors()
        self.t.eq(errs, [], name)


def customer_ticket(w, subject, sender, followups=0):
    """Deliver a new customer message (and followups replies to it):
    (ticket number, [messages], [their queue UIDs])."""
    first = make_message(subject=subject, sender=sender)
    w.deliver(first, sender=sender)
    msgs = [first]
    for i in range(followups):
        m = make_message(subject="Re: " + subject, sender=sender,
                         in_reply_to=msgid_of(first), body="more details %d\n" % i)
        w.deliver(m, sender=sender)
        msgs.append(m)
    q = w.by_mid()
    entries = [q[msgid_of(m)] for m in msgs]
    n = ticket_of(entries[0])
    assert n, "no X-Helpdesk-Ticket on %r" % entries[0]["subject"]
    assert all(ticket_of(e) == n for e in entries), \
        "followups not in ticket %d: %r" % (n, [ticket_of(e) for e in entries])
    return n, msgs, [e["uid"] for e in entries]


# ------------------------------------------------------ without a registry

def unclaim(t, w):
    """1. a new ticket; 3. unclaim by the owner, refused for another
    agent, allowed for a lead."""
    n, msgs, (u1, u2) = customer_ticket(w, "Mouse not working", "gina@customer.example",
                                        followups=1)
    w.expect(n, state("new"), "new ticket: both messages exactly hd-new hd-prio-normal "
             "hd-tier-1", count=2)
    t.eq(w.ticket(n), row("new"), "new ticket: store status new, no owner, tier 1, "
         "priority normal, no VIP, no team")

    w.ok_store("alice", u1, "+FLAGS", "hd-claim", "alice claims")
    w.expect(n, state("open", "alice"), "claimed: hd-open hd-owner-alice on both messages")

    w.refused("bob", u2, "-FLAGS", "hd-owner-alice", "Only a team lead",
              "bob (no lead) removes alice's owner keyword", perm=True)

    w.ok_store("alice", u2, "-FLAGS", "hd-owner-alice",
               "alice removes her own owner keyword: OK")
    w.expect(n, state("new"), "unclaimed: both messages back to exactly hd-new, no owner")
    t.eq(w.ticket(n), row("new"), "unclaimed: store owner '', status new")
    t.eq(w.events(n, "unclaimed"), [("unclaimed", "alice", "alice")],
         "unclaimed: one 'unclaimed' event, actor alice, detail alice")

    w.ok_store("alice", u2, "+FLAGS", "hd-claim", "alice claims again")
    w.expect(n, state("open", "alice"), "claimed again: hd-owner-alice on both messages")
    w.ok_store("carol", u1, "-FLAGS", "hd-owner-alice",
               "lead carol removes alice's owner keyword: OK")
    w.expect(n, state("new"), "lead's unclaim: both messages exactly hd-new, no owner")
    t.eq(w.ticket(n), row("new"), "lead's unclaim: store owner '', status new")
    t.eq(w.events(n, "unclaimed"),
         [("unclaimed", "alice", "alice"), ("unclaimed", "carol", "alice")],
         "lead's unclaim: second 'unclaimed' event, actor carol, detail alice")


def resolve(t, w):
    """4. resolve; a customer reply reopens; an agent removing hd-resolved
    reopens."""
    cust = "hank@customer.example"
    n, msgs, (u1, u2) = customer_ticket(w, "Cannot print invoices", cust, followups=1)
    w.ok_store("alice", u1, "+FLAGS", "hd-claim", "alice claims")
    w.ok_store("alice", u2, "+FLAGS", "hd-resolved", "alice sets hd-resolved: OK")
    w.expect(n, state("resolved", "alice"),
             "resolved: both messages exactly hd-resolved hd-owner-alice (no hd-open)",
             count=2)
    t.eq(w.ticket(n), row("resolved", "alice"), "resolved: store status resolved")
    t.eq(w.events(n, "resolved"), [("resolved", "alice", "")],
         "resolved: one 'resolved' event by alice")

    reply = make_message(subject="Re: Cannot print invoices", sender=cust,
                         in_reply_to=msgid_of(msgs[0]), body="still broken\n")
    w.deliver(reply, sender=cust)
    t.eq(ticket_of(w.msg(reply)), n, "customer reply joins the ticket (X-Helpdesk-Ticket)")
    w.expect(n, state("open", "alice"),
             "customer reply reopens: all three messages exactly hd-open hd-owner-alice",
             count=3)
    t.eq(w.ticket(n), row("open", "alice"), "customer reply: store status open")
    t.eq(len(w.events(n, "reopened")), 1, "customer reply: one 'reopened' event")

    u3 = w.msg(reply)["uid"]
    w.ok_store("carol", u3, "+FLAGS", "hd-resolved", "carol resolves again")
    w.expect(n, state("resolved", "alice"), "resolved again: all three messages hd-resolved")
    w.ok_store("bob", u1, "-FLAGS", "hd-resolved", "bob removes hd-resolved: OK")
    w.expect(n, state("open", "alice"),
             "hd-resolved removed: all three messages exactly hd-open hd-owner-alice")
    t.eq(w.ticket(n), row("open", "alice"), "hd-resolved removed: store status open")
    ev = w.events(n, "reopened")
    t.ok(len(ev) == 2 and ev[-1][:2] == ("reopened", "bob"),
         "hd-resolved removed: second 'reopened' event, actor bob", repr(ev))
    t.eq(w.events(n, "resolved"), [("resolved", "alice", ""), ("resolved", "carol", "")],
         "store: 'resolved' events by alice and by carol")


def escalate(t, w):
    """5. escalation through the tiers, stops at 4; to the tier's team."""
    n, msgs, (u1, u2) = customer_ticket(w, "Database slow", "ivan@customer.example",
                                        followups=1)
    w.ok_store("bob", u1, "+FLAGS", "hd-escalate", "bob escalates: OK")
    w.expect(n, state("new", tier=2),
             "escalated: both messages exactly hd-tier-2 (no hd-tier-1, no hd-escalate)",
             count=2)
    t.eq(w.ticket(n), row("new", tier=2), "escalated: store tier 2")
    t.eq(w.events(n, "escalated"), [("escalated", "bob", "tier 2")],
         "escalated: one 'escalated' event, actor bob, detail 'tier 2'")

    for tier, uid, agent in ((3, u2, "alice"), (4, u1, "carol")):
        w.ok_store(agent, uid, "+FLAGS", "hd-escalate",
                   "escalation to tier %d by %s: OK" % (tier, agent))
        w.expect(n, state("new", tier=tier), "escalated: both messages exactly hd-tier-%d" % tier)
    w.ok_store("bob", u2, "+FLAGS", "hd-escalate", "fourth escalation: OK")
    w.expect(n, state("new", tier=4),
             "fourth escalation: both messages stay hd-tier-4, hd-escalate removed")
    t.eq(w.ticket(n), row("new", tier=4), "fourth escalation: store tier 4")
    t.eq(w.events(n, "escalated"),
         [("escalated", "bob", "tier 2"), ("escalated", "alice", "tier 3"),
          ("escalated", "carol", "tier 4")],
         "store: three 'escalated' events (tier 2, 3, 4), none for the fourth")

    add_team(w, "second", 2)
    add_team(w, "billing", 0)
    n2, _, (v1,) = customer_ticket(w, "Login page blank", "judy@customer.example")
    w.ok_store("alice", v1, "+FLAGS", "hd-escalate", "escalation with a tier-2 team: OK")
    w.expect(n2, state("new", tier=2, team="second"),
             "escalated to tier 2: exactly hd-tier-2 hd-team-second", count=1)
    t.eq(w.ticket(n2), row("new", tier=2, team="second"),
         "escalated to tier 2: store tier 2, team 'second'")
    t.eq(w.events(n2, "escalated"), [("escalated", "alice", "tier 2")],
         "escalated to tier 2: one 'escalated' event by alice")

    # one STORE naming both messages of a ticket is one escalation
    n3, _, (x1, x2) = customer_ticket(w, "Fan noisy", "kurt@customer.example", followups=1)
    w.ok_store("bob", [x1, x2], "+FLAGS", "hd-escalate",
               "one STORE +FLAGS (hd-escalate) on both messages of a ticket: OK")
    w.expect(n3, state("new", tier=2, team="second"),
             "one STORE on both messages: one escalation, both messages exactly hd-tier-2 "
             "hd-team-second", count=2)
    t.eq(w.ticket(n3), row("new", tier=2, team="second"),
         "one STORE on both messages: store tier 2")
    t.eq(w.events(n3, "escalated"), [("escalated", "bob", "tier 2")],
         "one STORE on both messages: one 'escalated' event")


def quick_stores(t, w, user, uid, changes):
    """The STOREs (op, flags) on uid in one IMAP session, as fast as they
    go (several within one wall-clock second): the list of answers."""
    with w.dc.imap(user) as c:
        c.select(QUEUE)
        t0 = time.time()
        answers = [c.uid("STORE", str(uid), op, "(%s)" % flags)[0]
                   for op, flags in changes]
        t.diag("%d STOREs in %.3f s" % (len(changes), time.time() - t0))
    return answers


def ledger(t, w):
    """Every change an agent makes is in the ledger, also when the same
    agent makes the same kind of change twice within one second."""
    n, _, (u1,) = customer_ticket(w, "Badge reader", "lisa@customer.example")
    answers = quick_stores(t, w, "alice", u1, [("+FLAGS", "hd-vip"), ("-FLAGS", "hd-vip")] * 2)
    t.ok(answers == ["OK"] * 4, "four VIP toggles by alice within one second: all OK",
         repr(answers))
    t.eq(w.events(n, "vip") + w.events(n, "vip-removed"),
         [("vip", "alice", "")] * 2 + [("vip-removed", "alice", "")] * 2,
         "four VIP toggles within one second: four events (2 vip, 2 vip-removed)")
    t.eq(w.ticket(n), row("new"), "after the VIP toggles: store vip 0")
    w.expect(n, state("new"), "after the VIP toggles: no hd-vip")

    answers = quick_stores(t, w, "alice", u1, [("+FLAGS", "hd-claim"),
                                               ("-FLAGS", "hd-owner-alice")] * 2)
    t.ok(answers == ["OK"] * 4, "claim, unclaim, claim, unclaim by alice within one "
         "second: all OK", repr(answers))
    t.eq((len(w.events(n, "claimed")), len(w.events(n, "unclaimed"))), (2, 2),
         "claim/unclaim twice within one second: 2 'claimed' and 2 'unclaimed' events")
    t.eq(w.ticket(n), row("new"), "after claim/unclaim twice: store owner '', new")


def add_team(w, name, tier):
    """Register a team with doveadm helpdesk team add."""
    w.dc.doveadm("helpdesk", "team", "add", "-t", str(tier), name)
    assert w.dc.sql("SELECT tier FROM hd_teams WHERE name = ?", (name,)) == [(tier,)], \
        "team %s not registered" % name


def add_agent(w, name, address, role="agent"):
    """Register an agent with doveadm helpdesk agent add."""
    w.dc.doveadm("helpdesk", "agent", "add", "-a", address,
                 *(["-l"] if role == "lead" else []), name)
    assert w.dc.sql("SELECT address, role FROM hd_agents WHERE username = ?", (name,)) == \
        [(address, role)], "agent %s not registered" % name


def attributes(t, w, sessions):
    """6. priority, VIP and team by an agent (teams 'second' and 'billing'
    are registered by escalate()); 10. agents' open sessions see it."""
    n, _, (u1, u2) = customer_ticket(w, "Keyboard sticky", "kate@customer.example",
                                     followups=1)
    # alice and bob have the queue selected before the changes
    for user, c in sessions.items():
        typ, dat = c.select(QUEUE)
        assert typ == "OK", "SELECT as %s: %r" % (user, dat)

    w.ok_store("alice", u1, "+FLAGS", "hd-prio-high", "alice sets hd-prio-high: OK")
    w.expect(n, state("new", prio="high"),
             "priority: both messages exactly hd-prio-high (hd-prio-normal gone)", count=2)
    t.eq(w.ticket(n), row("new", prio="high"), "priority: store priority high")
    t.eq(w.events(n, "priority"), [("priority", "alice", "high")],
         "priority: one 'priority' event, actor alice, detail high")

    w.refused("alice", u2, "-FLAGS", "hd-prio-high", "always has a priority",
              "removing the only priority keyword", code="[CANNOT]")

    w.ok_store("alice", u2, "+FLAGS", "hd-vip", "alice sets hd-vip: OK")
    w.expect(n, state("new", prio="high", vip=True), "VIP: both messages hd-vip")
    t.eq(w.ticket(n), row("new", prio="high", vip=1), "VIP: store vip 1")
    t.eq(w.events(n, "vip"), [("vip", "alice", "")], "VIP: one 'vip' event by alice")

    w.ok_store("bob", u1, "-FLAGS", "hd-vip", "bob removes hd-vip: OK")
    w.expect(n, state("new", prio="high"), "VIP removed: no hd-vip on either message")
    t.eq(w.ticket(n), row("new", prio="high", vip=0), "VIP removed: store vip 0")
    t.eq(w.events(n, "vip-removed"), [("vip-removed", "bob", "")],
         "VIP removed: one 'vip-removed' event by bob")

    w.refused("alice", u1, "+FLAGS", "hd-team-unknownteam", "no team unknownteam",
              "an unregistered team")
    w.ok_store("alice", u1, "+FLAGS", "hd-team-billing", "a registered team: OK")
    w.expect(n, state("new", prio="high", team="billing"),
             "team: both messages exactly hd-team-billing")
    t.eq(w.ticket(n), row("new", prio="high", team="billing"), "team: store team billing")
    t.eq(w.events(n, "team"), [("team", "alice", "billing")],
         "team: one 'team' event, actor alice, detail billing")
    w.ok_store("alice", u2, "+FLAGS", "hd-team-second", "another registered team: OK")
    w.expect(n, state("new", prio="high", team="second"),
             "team changed: both messages hd-team-second only (hd-team-billing gone)")
    t.eq(w.ticket(n), row("new", prio="high", team="second"), "team changed: store team second")

    # 10. the agents' sessions, open all along, see the same state
    want = state("new", prio="high", team="second")
    for user, c in sessions.items():
        c.noop()
        typ, dat = c.uid("FETCH", "%d,%d" % (u1, u2), "(UID FLAGS)")
        got = {a["UID"]: {f for f in a.get("FLAGS", ()) if f.startswith(PREFIX)}
               for a in parse_fetch(dat).values() if "UID" in a}
        t.ok(typ == "OK" and got == {u1: want, u2: want},
             "%s's open session sees the state on both messages" % user,
             "%s %r\nexpected %s" % (typ, got, fmt(want)))
    views = {u: {m["uid"]: hd(m) for m in w.dc.queue(u)} for u in ("alice", "bob", "carol")}
    t.ok(views["alice"] == views["bob"] == views["carol"],
         "new sessions of alice, bob and carol see the same keywords on every queue message",
         repr(views))

    w.ok_store("bob", u1, "-FLAGS", "hd-team-second", "bob removes the team keyword: OK")
    w.expect(n, state("new", prio="high"), "team removed: no hd-team- keyword")
    t.eq(w.ticket(n), row("new", prio="high"), "team removed: store team ''")

    # STORE FLAGS (replace): the same state with another priority
    w.ok_store("alice", u2, "FLAGS", "hd-new hd-tier-1 hd-prio-low",
               "STORE FLAGS (hd-new hd-tier-1 hd-prio-low): OK")
    w.expect(n, state("new", prio="low"), "FLAGS replace: both messages exactly hd-prio-low")
    t.eq(w.ticket(n), row("new", prio="low"), "FLAGS replace: store priority low")
    t.eq(w.events(n, "priority"), [("priority", "alice", "high"), ("priority", "alice", "low")],
         "FLAGS replace: a 'priority' event, detail low")


def bad_input(t, w):
    """7. bad input: NO with a clear text, nothing changed; foreign
    keywords work; a mixed STORE applies nothing."""
    n, msgs, (b1, b2) = customer_ticket(w, "Screen flickers", "lena@customer.example",
                                        followups=1)
    auto = make_message(subject="Out of Office", sender="ooo@customer.example",
                        extra_headers=[("Auto-Submitted", "auto-replied")])
    w.deliver(auto, sender="ooo@customer.example")
    a = w.msg(auto)
    t.ok(ticket_of(a) is None and hd(a) == {"hd-auto"},
         "an auto-reply in the queue: hd-auto only, no X-Helpdesk-Ticket",
         "%s %r" % (fmt(hd(a)), a["headers"].get("X-Helpdesk-Ticket")))
    appended = make_message(subject="Note from the agents", sender="alice@example.com")
    with w.dc.imap("alice") as c:
        typ, dat = c.append(QUEUE, None, None, appended)
    t.ok(typ == "OK", "alice APPENDs a message to the queue", repr(dat))
    p = w.msg(appended)
    t.ok(ticket_of(p) is None and hd(p) == set(),
         "the APPENDed message: no X-Helpdesk-Ticket, no hd- keyword",
         "%s %r" % (fmt(hd(p)), p["headers"].get("X-Helpdesk-Ticket")))
    au, pu = a["uid"], p["uid"]

    nothelp = "is not a helpdesk keyword"
    byhd = "is set by the helpdesk"
    notticket = "not part of a ticket"
    for uid, op, flags, text, name in (
            (b1, "+FLAGS", "hd-bogus", nothelp, "+FLAGS (hd-bogus)"),
            (b1, "+FLAGS", "hd-prio-asap", nothelp, "+FLAGS (hd-prio-asap)"),
            (b1, "+FLAGS", "hd-tier-7", nothelp, "+FLAGS (hd-tier-7)"),
            (b1, "+FLAGS", "hd-waiting", byhd, "+FLAGS (hd-waiting)"),
            (b2, "+FLAGS", "hd-open", byhd, "+FLAGS (hd-open)"),
            (b1, "+FLAGS", "hd-tier-3", byhd, "+FLAGS (hd-tier-3)"),
            (b2, "+FLAGS", "hd-pending", byhd, "+FLAGS (hd-pending)"),
            (b2, "+FLAGS", "hd-auto", byhd, "+FLAGS (hd-auto)"),
            (b2, "-FLAGS", "hd-new", byhd, "-FLAGS (hd-new)"),
            (b1, "-FLAGS", "hd-tier-1", byhd, "-FLAGS (hd-tier-1)"),
            (au, "+FLAGS", "hd-claim", notticket, "hd-claim on an auto-reply"),
            (au, "+FLAGS", "hd-vip", notticket, "hd-vip on an auto-reply"),
            (pu, "+FLAGS", "hd-prio-high", notticket, "hd-prio-high on an APPENDed message"),
            (b1, "+FLAGS", "hd-vip hd-bogus", nothelp,
             "mixed: hd-vip with hd-bogus"),
            (b2, "+FLAGS", "$Label2 hd-waiting", byhd,
             "mixed: a foreign keyword with hd-waiting"),
            ([b1, au], "+FLAGS", "hd-vip", notticket,
             "mixed: hd-vip on a ticket message and an auto-reply")):
        w.refused("alice", uid, op, flags, text, name, code="[CANNOT]")
    w.expect(n, state("new"), "after the refusals: both messages still exactly hd-new",
             count=2)

    # a whole-set rewrite (issue 12): the plugin's own keywords in it are
    # ignored, not refused; the client's own flags are set
    before = w.snapshot()
    w.ok_store("alice", b1, "FLAGS", "\\Flagged",
               "FLAGS (\\Flagged) without the state keywords: OK")
    w.expect(n, state("new"), "FLAGS (\\Flagged): the state keywords stay", count=2)
    with w.dc.imap("carol") as c:
        c.select(QUEUE)
        typ, dat = c.uid("FETCH", str(b1), "(FLAGS)")
    t.ok(typ == "OK" and b"\\Flagged" in b" ".join(d for d in dat if isinstance(d, bytes)),
         "FLAGS (\\Flagged): \\Flagged is set", repr(dat))
    t.ok(w.snapshot()["tickets"] == before["tickets"] and
         w.snapshot()["events"] == before["events"],
         "FLAGS (\\Flagged): store unchanged")
    w.ok_store("alice", b1, "-FLAGS", "\\Flagged", "-FLAGS (\\Flagged): OK")

    before = w.snapshot()
    w.ok_store("alice", b1, "+FLAGS", "$Label1", "a foreign keyword ($Label1) on a ticket "
               "message: OK")
    w.ok_store("bob", au, "+FLAGS", "Important", "a foreign keyword (Important) on an "
               "auto-reply: OK")
    after = w.snapshot()
    kw = {m["uid"]: set(m["keywords"]) for m in w.dc.queue("carol")}
    t.ok("$Label1" in kw.get(b1, ()) and "Important" in kw.get(au, ()),
         "the foreign keywords are set", repr({b1: kw.get(b1), au: kw.get(au)}))
    t.ok(after["tickets"] == before["tickets"] and after["events"] == before["events"],
         "foreign keywords: store unchanged",
         "%r\n%r" % (before["events"][-3:], after["events"][-3:]))
    w.expect(n, state("new"), "foreign keywords: the ticket's hd- keywords unchanged")
    w.ok_store("alice", b1, "-FLAGS", "$Label1", "removing the foreign keyword: OK")

    # the ticket row disappears from the store
    d, _, (d1,) = customer_ticket(w, "Phone lost", "mike@customer.example")
    t.eq(w.dc.sql_write("DELETE FROM hd_tickets WHERE id = ?", (d,)), 1,
         "ticket %d's row deleted from the store" % d)
    w.refused("alice", d1, "+FLAGS", "hd-claim", "not in the helpdesk store",
              "hd-claim on a ticket without a store row")
    w.refused("alice", d1, "+FLAGS", "hd-prio-low", "not in the helpdesk store",
              "hd-prio-low on a ticket without a store row")


# --------------------------------------------------------- with a registry

def registry(t, w):
    """8. with agents registered, a non-agent is refused; a lead known only
    to the store may assign, to registered agents only."""
    n, _, (u1, u2) = customer_ticket(w, "Headset crackles", "nina@customer.example",
                                     followups=1)
    add_agent(w, "alice", "alice@example.com")
    add_agent(w, "carol", "carol@example.com", role="lead")

    w.refused("bob", u1, "+FLAGS", "hd-claim", "bob is not a helpdesk agent",
              "unregistered bob claims", perm=True)
    w.refused("bob", u2, "+FLAGS", "hd-prio-low", "bob is not a helpdesk agent",
              "unregistered bob sets a priority", perm=True)
    w.refused("bob", u1, "+FLAGS", "hd-resolved", "bob is not a helpdesk agent",
              "unregistered bob resolves", perm=True)
    w.ok_store("bob", u1, "+FLAGS", "$Label1",
               "unregistered bob may still set a foreign keyword")

    w.ok_store("alice", u2, "+FLAGS", "hd-prio-low", "registered alice sets hd-prio-low: OK")
    w.expect(n, state("new", prio="low"), "alice's change: both messages hd-prio-low", count=2)
    t.eq(w.events(n, "priority"), [("priority", "alice", "low")],
         "alice's change: one 'priority' event by alice")

    w.refused("alice", u1, "+FLAGS", "hd-owner-carol", "Only a team lead",
              "agent alice assigns to carol", perm=True)
    w.refused("carol", u1, "+FLAGS", "hd-owner-bob", "bob is not a helpdesk agent",
              "store lead carol assigns to unregistered bob")

    w.ok_store("carol", u2, "+FLAGS", "hd-owner-alice",
               "store lead carol (no userdb field) assigns to alice: OK")
    w.expect(n, state("open", "alice", prio="low"),
             "assigned: both messages exactly hd-open hd-owner-alice")
    t.eq(w.ticket(n), row("open", "alice", prio="low"), "assigned: store owner alice, open")
    t.eq(w.events(n, "assigned"), [("assigned", "carol", "alice")],
         "assigned: one 'assigned' event, actor carol, detail alice")


def agent_reply(t, w):
    """9. an agent's reply through the queue: waiting, owner, counted once;
    the customer's answer opens; no reopen of a resolved ticket.  The
    second copy of the reply delivered twice is checked on its own."""
    cust = "oscar@customer.example"
    n, msgs, _ = customer_ticket(w, "Backup failed", cust)
    t.eq(w.ticket(n), row("new"), "the ticket is new and has no owner")

    reply = make_message(subject="Re: [#%d] Backup failed" % n,
                         sender="Alice Agent <alice@example.com>",
                         to="oscar@customer.example", cc="support@example.com",
                         in_reply_to=msgid_of(msgs[0]), references=msgid_of(msgs[0]),
                         body="Please send the log.\n")
    w.deliver(reply, sender="alice@example.com")
    t.eq(ticket_of(w.msg(reply)), n, "the agent's reply joins the ticket")
    w.expect(n, state("waiting", "alice"),
             "agent reply: both messages exactly hd-waiting hd-owner-alice", count=2)
    t.eq(w.ticket(n), row("waiting", "alice"),
         "agent reply: store status waiting, the unowned ticket is alice's")
    t.eq(w.events(n, "replied"), [("replied", "alice", "")],
         "agent reply: one 'replied' event by alice")
    events1 = len(w.events(n))

    w.deliver(reply, sender="alice@example.com")
    t.eq(w.events(n, "replied"), [("replied", "alice", "")],
         "the same reply delivered again: still one 'replied' event")
    t.eq(len(w.events(n)), events1, "the same reply again: no new event at all")
    t.eq(w.ticket(n), row("waiting", "alice"), "the same reply again: store unchanged")
    w.expect(n, state("waiting", "alice"),
             "the same reply again: every message of the ticket hd-waiting hd-owner-alice",
             count=3)
    copies = sorted(m["uid"] for m in w.ticket_msgs(n)
                    if m["message_id"] == msgid_of(reply))
    dup = tuple(copies[1:])     # the second copy, saved by the replay

    def dup_follows(kws, when):
        got = {m["uid"]: hd(m) for m in w.ticket_msgs(n) if m["uid"] in dup}
        t.ok(dup and all(v == kws for v in got.values()),
             "%s: the second copy of the twice-delivered reply shows it too" % when,
             lambda: "uid %s: %r, expected %s" % (dup, got, fmt(kws)))

    answer = make_message(subject="Re: [#%d] Backup failed" % n, sender=cust,
                          in_reply_to=msgid_of(reply), body="log attached\n")
    w.deliver(answer, sender=cust)
    t.eq(ticket_of(w.msg(answer)), n, "the customer's answer joins the ticket")
    w.expect(n, state("open", "alice"),
             "customer answer: every message exactly hd-open hd-owner-alice", skip=dup,
             count=3)
    t.eq(w.ticket(n), row("open", "alice"), "customer answer: store status open")
    dup_follows(state("open", "alice"), "customer answer")

    reply2 = make_message(subject="Re: [#%d] Backup failed" % n,
                          sender="carol@example.com", to=cust,
                          in_reply_to=msgid_of(answer), body="We are on it.\n")
    w.deliver(reply2, sender="carol@example.com")
    w.expect(n, state("waiting", "alice"),
             "another agent's reply: waiting, the owner stays alice", skip=dup, count=4)
    t.eq(w.ticket(n), row("waiting", "alice"), "another agent's reply: store waiting, owner alice")
    t.eq(w.events(n, "replied"), [("replied", "alice", ""), ("replied", "carol", "")],
         "another agent's reply: a 'replied' event by carol")

    uid = w.msg(reply2)["uid"]
    w.ok_store("alice", uid, "+FLAGS", "hd-resolved", "alice resolves")
    w.expect(n, state("resolved", "alice"), "resolved: every message hd-resolved", skip=dup)
    dup_follows(state("resolved", "alice"), "resolved by STORE")
    reopened = len(w.events(n, "reopened"))
    reply3 = make_message(subject="Re: [#%d] Backup failed" % n,
                          sender="alice@example.com", to=cust,
                          in_reply_to=msgid_of(answer), body="Closing this.\n")
    w.deliver(reply3, sender="alice@example.com")
    t.eq(ticket_of(w.msg(reply3)), n, "the agent's reply to the resolved ticket joins it")
    w.expect(n, state("resolved", "alice"),
             "agent reply to a resolved ticket: every message stays exactly hd-resolved",
             skip=dup, count=5)
    t.eq(w.ticket(n), row("resolved", "alice"), "agent reply to a resolved ticket: store "
         "status resolved")
    t.eq(len(w.events(n, "reopened")), reopened, "agent reply to a resolved ticket: no "
         "'reopened' event")


# ------------------------------------------------------------------- main

def main():
    t = Tap()
    plugin = plugin_or_skip(t, "workflow tests")
    if plugin is None:
        return t.done()

    dc = Dovecot(plugin=plugin, users=("support", "alice", "bob", "carol"),
                 user_fields={"carol": {"helpdesk_lead": "yes"}})
    dc.start()
    sessions = {}
    try:
        w = Workflow(t, dc)
        with t.check("unclaim runs to the end"):
            unclaim(t, w)
        with t.check("resolve and reopen run to the end"):
            resolve(t, w)
        with t.check("escalation runs to the end"):
            escalate(t, w)
        with t.check("priority, VIP and team run to the end"):
            sessions = {"alice": dc.imap("alice"), "bob": dc.imap("bob")}
            attributes(t, w, sessions)
        with t.check("bad input runs to the end"):
            bad_input(t, w)
        with t.check("the ledger runs to the end"):
            ledger(t, w)
        w.no_log_errors("no Error/Panic/Fatal in the log (no registry)")
    finally:
        for c in sessions.values():
            try:
                c.logout()
            except Exception:
                pass
        dc.stop()
        dc.cleanup()

    dc = Dovecot(plugin=plugin, users=("support", "alice", "bob", "carol"))
    dc.start()
    try:
        w = Workflow(t, dc)
        with t.check("agents registry runs to the end"):
            registry(t, w)
        with t.check("agent replies run to the end"):
            agent_reply(t, w)
        w.no_log_errors("no Error/Panic/Fatal in the log (agents registry)")
    finally:
        dc.stop()
        dc.cleanup()
    return t.done()


if __name__ == "__main__":
    sys.exit(main())
