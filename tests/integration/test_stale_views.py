#!/usr/bin/python3
"""Keyword changes from a stale view (the issue's directed repro).

An IMAP session's view of the queue is as of its last sync. Two agents
have the queue open; the second changes a ticket; the first then sends a
`UID STORE` WITHOUT syncing first (no NOOP, FETCH, SELECT... between the
other agent's change and its STORE), so its view still shows the ticket
as it was. Dovecot applies +FLAGS/-FLAGS to the record as it is now: the
plugin must judge every change against the ticket as it is now (the
store), not against the session's view:

 a. agent2 claims; agent1 (no lead) removes hd-owner-agent2: NO [NOPERM]
    "Only a team lead can take a ticket away from agent2", nothing changes;
    a2. the same with a STORE FLAGS writing back agent1's stale view plus
    $Label1: NO (nothing applied) or OK with only $Label1; the claim stays
 b. hd-vip set by agent2, agent1's view lacks it: -FLAGS (hd-vip) removes
    VIP everywhere ('vip-removed'); hd-vip removed by agent2, agent1's view
    still shows it: +FLAGS (hd-vip) sets VIP everywhere ('vip')
 c. resolved by agent2, agent1's view shows it open: -FLAGS (hd-resolved)
    reopens it ('reopened', hd-open on every message)
 d. priority high by agent2, agent1's view shows hd-prio-normal:
    -FLAGS (hd-prio-high) is NO [CANNOT] "a ticket always has a priority"
 e. after every case: every ticket message shows exactly the store's state
    (a fresh session), one status and one priority on each
 f. APPEND of a non-ticket with forged plugin keywords: they never land
 g. the refusals' response codes: [CANNOT] for keywords agents can't set,
    [NOPERM] for lead-only changes and non-agents

That each STORE really ran on a stale view is shown per case: right after
agent2's change agent2 sets a marker keyword on a witness message, and
agent1 first hears of the marker in the untagged FETCH of its STORE (or of
the NOOP after a refused STORE, which does not sync): its view had not been
synced since before agent2's change.

Run as root:
  cd tests && HD_PLUGIN=../plugin/.libs/lib20_helpdesk_plugin.so \\
      HD_SRCDIR=.. python3 integration/test_stale_views.py
"""

import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
sys.path.insert(0, os.path.join(HERE, "..", "stress"))

from hdtest import Dovecot, make_message, msgid_of, plugin_or_skip  # noqa: E402
from tap import Tap  # noqa: E402
from stress_keywords import (ImapSession, check_ticket_keywords, check_ledger,  # noqa: E402
                             expected_keywords, fmt, hd, plugin_owned, ticket_of)

QUEUE = "Public/Queue"
USERS = ("support", "agent1", "agent2", "carol", "bob")
LEAD = "carol"


class Stale:
    def __init__(self, t, dc):
        self.t = t
        self.dc = dc
        self.n_marker = 0
        self.witness = None

    # ------------------------------------------------------------ helpers

    def ticket(self, subject, followups=1):
        """A new ticket with followups: (number, [uids])."""
        sender = re.sub(r"\W+", "", subject.lower())[:12] + "@customer.example"
        first = make_message(subject=subject, sender=sender)
        msgs = [first] + [make_message(subject="Re: " + subject, sender=sender,
                                       in_reply_to=msgid_of(first),
                                       body="more %d\n" % i) for i in range(followups)]
        for m in msgs:
            r = self.dc.deliver(m, sender=sender)
            assert r.ok, "delivery: %r" % (r,)
        q = {m["message_id"]: m for m in self.dc.queue("support")}
        n = ticket_of(q[msgid_of(first)])
        assert n, "no ticket number on %r" % subject
        uids = [q[msgid_of(m)]["uid"] for m in msgs]
        assert all(ticket_of(q[msgid_of(m)]) == n for m in msgs), "follow-ups not threaded"
        return n, uids

    def row(self, n):
        r = self.dc.sql("SELECT status, owner, tier, priority, vip, team FROM hd_tickets "
                        "WHERE id = ?", (n,))
        return r[0] if r else None

    def events(self, n, kind=None):
        q = "SELECT id, kind, actor, detail FROM hd_events WHERE ticket_id = ?"
        args = [n]
        if kind:
            q += " AND kind = ?"
            args.append(kind)
        return self.dc.sql(q + " ORDER BY id", args)

    def last_event_id(self):
        return self.dc.sql("SELECT COALESCE(MAX(id), 0) FROM hd_events")[0][0]

    def keywords(self, n):
        """{uid: hd- keywords} of ticket n's messages, a fresh session."""
        return {m["uid"]: hd(m["keywords"]) for m in self.dc.queue("support")
                if ticket_of(m) == n}

    def session(self, user):
        s = ImapSession(self.dc.imap_port, user)
        s.select()
        return s

    def store(self, s, uids, op, flags):
        """UID STORE on s: (typ, tagged line, untagged lines)."""
        if isinstance(uids, int):
            uids = [uids]
        return s.cmd("UID STORE %s %s (%s)" % (",".join(map(str, uids)), op, flags))

    def ok(self, s, uids, op, flags, name):
        typ, line, _ = self.store(s, uids, op, flags)
        assert typ == "OK", "%s: %s %s" % (name, typ, line)

    def mark(self, s2):
        """agent2 sets a fresh marker keyword on the witness message (right
        after its change): the marker's name."""
        self.n_marker += 1
        marker = "$Stale%d" % self.n_marker
        self.ok(s2, self.witness, "+FLAGS.SILENT", marker, "marker")
        return marker

    def stale_store(self, s1, uid, op, flags, marker, view_note):
        """agent1's STORE without a sync, then a NOOP. Test point: its view
        was stale (the marker first reported by the STORE's or the NOOP's
        untagged FETCH; agent1's known flags on uid before). Returns (typ,
        line, untagged of the STORE)."""
        before = set(s1.flags.get(uid, set()))
        typ, line, untagged = self.store(s1, uid, op, flags)
        _, _, noop = s1.cmd("NOOP")
        where = None
        for what, lines in (("the STORE", untagged), ("the NOOP after it", noop)):
            if any(b"FETCH" in ln and marker.encode() in ln for ln in lines):
                where = what
                break
        self.t.ok(where is not None and view_note(before),
                  "%s: agent1's view was stale at the STORE (the view showed %s; "
                  "agent2's later marker %s first reported by %s)" % (
                      flags, fmt(hd(before)), marker, where),
                  lambda: "view before: %s\nSTORE: %s %s\nuntagged of the STORE:\n  %s\n"
                  "untagged of the NOOP:\n  %s" % (
                      fmt(before), typ, line,
                      "\n  ".join(x.decode("utf-8", "replace").rstrip() for x in untagged),
                      "\n  ".join(x.decode("utf-8", "replace").rstrip() for x in noop)))
        return typ, line, untagged

    def diag(self, n, typ=None, line=None, untagged=()):
        """What was seen, for a failing test point."""
        out = []
        if typ is not None:
            out.append("agent1's STORE answered: %s %s" % (typ, line))
        for x in untagged:
            out.append("  untagged: %s" % x.decode("utf-8", "replace").rstrip())
        out.append("store row: %r (wants %s)" % (
            self.row(n), fmt(expected_keywords(self.row(n))) if self.row(n) else "-"))
        for uid, kws in sorted(self.keywords(n).items()):
            out.append("uid %d: %s" % (uid, fmt(kws)))
        out.append("events: %r" % (self.events(n)[-6:],))
        return "\n".join(out)

    def all_have(self, n, want, absent, name, seen):
        kws = self.keywords(n)
        self.t.ok(kws and all(want <= k and not (absent & k) for k in kws.values()),
                  name, seen)

    def consistent(self, case):
        """e. every ticket's messages show exactly the store's state."""
        for r in check_ticket_keywords(self.dc):
            self.t.ok(r.ok, "%s, after %s" % (r.name, case), "\n".join(r.details[:30]))

    # ------------------------------------------------------------ cases

    def case_a(self):
        n, (u1, u2) = self.ticket("Stale a: claim taken away")
        s1, s2 = self.session("agent1"), self.session("agent2")
        try:
            self.ok(s2, u2, "+FLAGS", "hd-claim", "agent2 claims")
            assert self.row(n)[1] == "agent2", "claim failed: %r" % (self.row(n),)
            marker = self.mark(s2)
            ev0 = self.last_event_id()
            typ, line, untagged = self.stale_store(
                s1, u1, "-FLAGS", "hd-owner-agent2", marker,
                lambda v: "hd-owner-agent2" not in v)
            seen = lambda: self.diag(n, typ, line, untagged)  # noqa: E731
            self.t.ok(typ == "NO" and "[NOPERM]" in line and
                      re.search(r"only a team lead can take (a|the|this) ticket away "
                                r"from agent2", line, re.I),
                      "a. stale -FLAGS (hd-owner-agent2) by agent1 (no lead): NO [NOPERM] "
                      "'Only a team lead can take a ticket away from agent2'", seen)
            self.all_have(n, {"hd-owner-agent2", "hd-open"}, set(),
                          "a. hd-owner-agent2 (and hd-open) stays on every message", seen)
            self.t.eq(self.row(n)[:2], ("open", "agent2"), "a. store: owner still agent2")
            unclaimed = [e for e in self.events(n, "unclaimed") if e[0] > ev0]
            self.t.eq(unclaimed, [], "a. store: no 'unclaimed' event")
        finally:
            s1.close()
            s2.close()
        self.consistent("case a")

    def case_a2(self):
        """A client writing back its stale view (STORE FLAGS, as Thunderbird
        and neomutt do) after agent2's claim: the replacement would take
        the ticket from agent2 (and set hd-new): NO, nothing changes."""
        n, (u1, u2) = self.ticket("Stale a2: claim overwritten by FLAGS")
        s1, s2 = self.session("agent1"), self.session("agent2")
        try:
            self.ok(s2, u2, "+FLAGS", "hd-claim", "agent2 claims")
            marker = self.mark(s2)
            view = sorted(f for f in s1.flags.get(u1, set()) if f != "\\Recent")
            ev0 = self.last_event_id()
            flags = " ".join(view + ["$Label1"])
            typ, line, untagged = self.stale_store(
                s1, u1, "FLAGS", flags, marker, lambda v: "hd-owner-agent2" not in v)
            seen = lambda: self.diag(n, typ, line, untagged)  # noqa: E731
            # NO (it would drop agent2's owner keyword), or OK applying only
            # what agent1 changed against its view ($Label1): either way
            # agent2's claim stays; a refused STORE applies nothing
            label = {m["uid"]: "$Label1" in m["keywords"] for m in self.dc.queue("support")
                     if m["uid"] == u1}.get(u1)
            self.t.ok((typ == "NO" and ("[NOPERM]" in line or "[CANNOT]" in line) and
                       not label) or (typ == "OK" and label),
                      "a2. stale FLAGS (%s) by agent1 after agent2's claim: NO with nothing "
                      "applied, or OK with only $Label1 applied (answer %s, $Label1 %s)" % (
                          flags, typ, "set" if label else "not set"), seen)
            self.all_have(n, {"hd-owner-agent2", "hd-open"}, {"hd-new"},
                          "a2. hd-owner-agent2 and hd-open stay on every message", seen)
            self.t.eq(self.row(n)[:2], ("open", "agent2"), "a2. store: owner still agent2")
            self.t.eq([e for e in self.events(n) if e[0] > ev0], [], "a2. store: no event")
        finally:
            s1.close()
            s2.close()
        self.consistent("case a2")

    def case_b(self):
        # b1: the view lacks hd-vip, the ticket has it
        n, (u1, u2) = self.ticket("Stale b1: vip removed unseen")
        s1, s2 = self.session("agent1"), self.session("agent2")
        try:
            self.ok(s2, u2, "+FLAGS", "hd-vip", "agent2 sets hd-vip")
            assert self.row(n)[4] == 1, "vip failed: %r" % (self.row(n),)
            marker = self.mark(s2)
            ev0 = self.last_event_id()
            typ, line, untagged = self.stale_store(
                s1, u1, "-FLAGS", "hd-vip", marker, lambda v: "hd-vip" not in v)
            seen = lambda: self.diag(n, typ, line, untagged)  # noqa: E731
            self.t.ok(typ == "OK", "b1. stale -FLAGS (hd-vip) (view without hd-vip, "
                      "ticket VIP): OK", seen)
            self.all_have(n, set(), {"hd-vip"}, "b1. hd-vip gone from every message", seen)
            self.t.eq(self.row(n)[4], 0, "b1. store: vip 0")
            self.t.eq([e[1:3] for e in self.events(n, "vip-removed") if e[0] > ev0],
                      [("vip-removed", "agent1")],
                      "b1. store: one 'vip-removed' event by agent1")
        finally:
            s1.close()
            s2.close()
        self.consistent("case b1")

        # b2: the view shows hd-vip, another agent just removed it
        n, (u1, u2) = self.ticket("Stale b2: vip set unseen")
        s2 = self.session("agent2")
        s1 = None
        try:
            self.ok(s2, u2, "+FLAGS", "hd-vip", "agent2 sets hd-vip")
            s1 = self.session("agent1")             # its view: hd-vip
            assert "hd-vip" in s1.flags.get(u1, ()), "agent1's view lacks hd-vip"
            self.ok(s2, u2, "-FLAGS", "hd-vip", "agent2 removes hd-vip")
            assert self.row(n)[4] == 0, "vip removal failed: %r" % (self.row(n),)
            marker = self.mark(s2)
            ev0 = self.last_event_id()
            typ, line, untagged = self.stale_store(
                s1, u1, "+FLAGS", "hd-vip", marker, lambda v: "hd-vip" in v)
            seen = lambda: self.diag(n, typ, line, untagged)  # noqa: E731
            self.t.ok(typ == "OK", "b2. stale +FLAGS (hd-vip) (view with hd-vip, "
                      "ticket no longer VIP): OK", seen)
            self.all_have(n, {"hd-vip"}, set(), "b2. hd-vip on every message", seen)
            self.t.eq(self.row(n)[4], 1, "b2. store: vip 1")
            self.t.eq([e[1:3] for e in self.events(n, "vip") if e[0] > ev0],
                      [("vip", "agent1")], "b2. store: one 'vip' event by agent1")
        finally:
            if s1:
                s1.close()
            s2.close()
        self.consistent("case b2")

    def case_c(self):
        n, (u1, u2) = self.ticket("Stale c: resolved unseen")
        s2 = self.session("agent2")
        s1 = None
        try:
            self.ok(s2, u2, "+FLAGS", "hd-claim", "agent2 claims")
            s1 = self.session("agent1")             # its view: open
            self.ok(s2, u2, "+FLAGS", "hd-resolved", "agent2 resolves")
            assert self.row(n)[0] == "resolved", "resolve failed: %r" % (self.row(n),)
            marker = self.mark(s2)
            ev0 = self.last_event_id()
            typ, line, untagged = self.stale_store(
                s1, u1, "-FLAGS", "hd-resolved", marker,
                lambda v: "hd-open" in v and "hd-resolved" not in v)
            seen = lambda: self.diag(n, typ, line, untagged)  # noqa: E731
            self.t.ok(typ == "OK", "c. stale -FLAGS (hd-resolved) (view open, ticket "
                      "resolved): OK", seen)
            self.t.eq(self.row(n)[:2], ("open", "agent2"),
                      "c. store: the ticket is reopened (status open, owner agent2)")
            self.all_have(n, {"hd-open"}, {"hd-resolved", "hd-new", "hd-waiting"},
                          "c. every message exactly hd-open as status", seen)
            self.t.eq([e[1:3] for e in self.events(n, "reopened") if e[0] > ev0],
                      [("reopened", "agent1")], "c. store: one 'reopened' event by agent1")
        finally:
            if s1:
                s1.close()
            s2.close()
        self.consistent("case c")

    def case_d(self):
        n, (u1, u2) = self.ticket("Stale d: priority changed unseen")
        s1, s2 = self.session("agent1"), self.session("agent2")
        try:
            self.ok(s2, u2, "+FLAGS", "hd-prio-high", "agent2 sets hd-prio-high")
            assert self.row(n)[3] == "high", "priority failed: %r" % (self.row(n),)
            marker = self.mark(s2)
            ev0 = self.last_event_id()
            typ, line, untagged = self.stale_store(
                s1, u1, "-FLAGS", "hd-prio-high", marker,
                lambda v: "hd-prio-normal" in v and "hd-prio-high" not in v)
            seen = lambda: self.diag(n, typ, line, untagged)  # noqa: E731
            self.t.ok(typ == "NO" and "[CANNOT]" in line and
                      "a ticket always has a priority" in line,
                      "d. stale -FLAGS (hd-prio-high) (view normal, ticket high): NO "
                      "[CANNOT] 'a ticket always has a priority...'", seen)
            self.all_have(n, {"hd-prio-high"}, {"hd-prio-normal"},
                          "d. hd-prio-high stays on every message", seen)
            self.t.eq(self.row(n)[3], "high", "d. store: priority still high")
            self.t.eq([e for e in self.events(n) if e[0] > ev0], [],
                      "d. store: no event")
        finally:
            s1.close()
            s2.close()
        self.consistent("case d")

    def case_f(self):
        forged = "hd-owner-bob hd-resolved hd-tier-3"
        msg = make_message(subject="Stale f: not a ticket", sender="agent1@example.com")
        with self.dc.imap("agent1") as c:
            typ, dat = c.append(QUEUE, "(%s)" % forged, None, msg)
        answer = "%s %r" % (typ, dat)
        q = [m for m in self.dc.queue("support") if m["message_id"] == msgid_of(msg)]
        self.t.ok(typ == "NO" or (typ == "OK" and len(q) == 1),
                  "f. APPEND (%s) of a non-ticket: refused, or stored once (%s)" % (
                      forged, typ), answer)
        if q:
            m = q[0]
            owned = {k for k in m["keywords"] if plugin_owned(k)}
            self.t.ok(ticket_of(m) is None and not owned,
                      "f. the APPENDed message carries no plugin-owned keyword",
                      "APPEND %s; uid %d keywords %s" % (answer, m["uid"],
                                                        fmt(m["keywords"])))
        else:
            self.t.ok(True, "f. the APPENDed message carries no plugin-owned keyword "
                      "(APPEND refused: %s)" % answer)
        mine = [m for m in self.dc.queue("bob") if m["message_id"] == msgid_of(msg)
                and "hd-owner-bob" in m["keywords"]]
        self.t.eq([m["uid"] for m in mine], [],
                  "f. the message is no ticket of bob's (no hd-owner-bob, as bob sees it)")
        self.consistent("case f")

    def case_g(self):
        n, (u1, u2) = self.ticket("Stale g: refusal codes")
        s1 = self.session("agent1")
        try:
            for flags, code, text in (
                    ("hd-waiting", "CANNOT", "hd-waiting is set by the helpdesk, not by agents"),
                    ("hd-tier-3", "CANNOT", "hd-tier-3 is set by the helpdesk, not by agents"),
                    ("hd-bogus", "CANNOT", "hd-bogus is not a helpdesk keyword"),
                    ("hd-owner-agent2", "NOPERM", "Only a team lead can assign a ticket to "
                     "agent2")):
                typ, line, _ = self.store(s1, u1, "+FLAGS", flags)
                self.t.ok(typ == "NO" and "[%s]" % code in line and text in line,
                          "g. +FLAGS (%s): NO [%s] '%s'" % (flags, code, text),
                          "%s %s" % (typ, line))
            typ, line, _ = self.store(s1, u1, "-FLAGS", "hd-prio-normal")
            self.t.ok(typ == "NO" and "[CANNOT]" in line and
                      "a ticket always has a priority" in line,
                      "g. -FLAGS (hd-prio-normal): NO [CANNOT] 'a ticket always has a "
                      "priority'", "%s %s" % (typ, line))
        finally:
            s1.close()
        # with agents registered, bob is none of them
        for agent, lead in (("agent1", False), ("agent2", False), (LEAD, True)):
            self.dc.doveadm("helpdesk", "agent", "add", *(["-l"] if lead else []), agent)
        s = self.session("bob")
        try:
            typ, line, _ = self.store(s, u1, "+FLAGS", "hd-claim")
        finally:
            s.close()
        self.t.ok(typ == "NO" and "[NOPERM]" in line and
                  "bob is not a helpdesk agent" in line,
                  "g. +FLAGS (hd-claim) by unregistered bob: NO [NOPERM] 'bob is not a "
                  "helpdesk agent'", "%s %s" % (typ, line))
        self.consistent("case g")


def main():
    t = Tap()
    plugin = plugin_or_skip(t, "stale view tests")
    if plugin is None:
        return t.done()
    dc = Dovecot(plugin=plugin, users=USERS, user_fields={LEAD: {"helpdesk_lead": "yes"}})
    dc.start()
    try:
        st = Stale(t, dc)
        with t.check("setup: a witness message for the markers"):
            witness = make_message(subject="Witness", sender="ooo@customer.example",
                                   extra_headers=[("Auto-Submitted", "auto-replied")])
            assert dc.deliver(witness, sender="ooo@customer.example").ok
            st.witness = [m for m in dc.queue("support")
                          if m["message_id"] == msgid_of(witness)][0]["uid"]
        for name, fn in (("a", st.case_a), ("a2", st.case_a2), ("b", st.case_b),
                         ("c", st.case_c),
                         ("d", st.case_d), ("f", st.case_f), ("g", st.case_g)):
            with t.check("case %s runs to the end" % name):
                fn()
        for r in check_ledger(dc):
            t.ok(r.ok, r.name, "\n".join(r.details[:20]))
        t.eq(dc.log_errors(), [], "no Error/Panic/Fatal in the log")
    finally:
        dc.stop()
        dc.cleanup()
    return t.done()


if __name__ == "__main__":
    sys.exit(main())
