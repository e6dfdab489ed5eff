#!/usr/bin/python3
"""Integration test of ticket intake: real LMTP deliveries into a private
Dovecot with the helpdesk plugin, checked over IMAP (as alice and bob) and
in the sqlite store.  TAP output.  Run as root:

  HD_PLUGIN=plugin/.libs/lib20_helpdesk_plugin.so HD_SRCDIR=. \
      /usr/bin/python3 tests/integration/test_intake.py
"""

import os
import re
import sys
import time
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))

from hdtest import Dovecot, make_message, parse_fetch, plugin_or_skip, msgid_of, \
    start_checked  # noqa: E402
from tap import Tap  # noqa: E402

PREFIX = "hd-"
USERS = ("alice", "bob")

# Scenarios that fail because of a known plugin bug: name -> reason.  They
# are reported with TAP "# TODO" so the suite stays green; remove an entry
# once the bug is fixed (a passing TODO test shows up as "ok ... # TODO").
KNOWN_BUGS = {}


# ------------------------------------------------------------------ helpers

def new_id(tag="t"):
    return "<%s-%s@example.org>" % (tag, uuid.uuid4().hex)


def key_of(msgid):
    """The store's message_key of a Message-ID (angle brackets stripped)."""
    return msgid.strip().strip("<>")


def hd_kw(m):
    return {k for k in m["keywords"] if k.startswith(PREFIX)}


def ticket_hdr(m):
    return [v.strip() for v in (m["headers"].get_all("X-Helpdesk-Ticket") or [])]


class Ctx:
    def __init__(self, t, dc):
        self.t = t
        self.dc = dc

    # --- IMAP views
    def queues(self):
        return {u: self.dc.queue(u) for u in USERS}

    def copies(self, msgid, queues=None):
        """{user: [entries with that Message-ID]} for alice and bob."""
        queues = queues or self.queues()
        return {u: [m for m in q if m["message_id"] == msgid] for u, q in queues.items()}

    def one(self, msgid, queues=None, count=1):
        """Assert exactly `count` copies for alice and bob, the same
        keywords/header/subject for both; return alice's first copy."""
        c = self.copies(msgid, queues)
        for u in USERS:
            assert len(c[u]) == count, "%s sees %d copies of %s, expected %d" % (
                u, len(c[u]), msgid, count)
        a, b = c["alice"][0], c["bob"][0]
        assert hd_kw(a) == hd_kw(b), "keywords differ alice %r bob %r" % (hd_kw(a), hd_kw(b))
        assert ticket_hdr(a) == ticket_hdr(b), "header differs %r %r" % (ticket_hdr(a), ticket_hdr(b))
        assert a["subject"] == b["subject"], "subject differs"
        return a

    # --- store
    def sql(self, q, args=()):
        return self.dc.sql(q, args)

    def msg_ticket(self, msgid):
        rows = self.sql("SELECT ticket_id, kind FROM hd_messages WHERE message_key = ?",
                        (key_of(msgid),))
        return rows

    def ticket(self, n):
        rows = self.sql("SELECT id, origin_key, subject, requester, status, priority, team "
                        "FROM hd_tickets WHERE id = ?", (n,))
        return rows[0] if rows else None

    def n_tickets(self):
        return self.sql("SELECT count(*) FROM hd_tickets")[0][0]

    def max_ticket(self):
        return self.sql("SELECT coalesce(max(id), 0) FROM hd_tickets")[0][0]

    def deliver(self, msg, **kw):
        r = self.dc.deliver(msg, **kw)
        assert r.ok and r.code == 250, "delivery failed: %r" % (r,)
        return r

    def expect_ticket(self, msgid, n, status_kw="hd-new", subject=None, extra_kw=(),
                      prio="hd-prio-normal", count=1, queues=None):
        """Assert the ticket message as alice and bob see it, and in the store."""
        m = self.one(msgid, queues, count=count)
        assert ticket_hdr(m) == [str(n)], "X-Helpdesk-Ticket %r, expected [%r]" % (
            ticket_hdr(m), str(n))
        kws = hd_kw(m)
        want = {status_kw} | set(extra_kw)
        if prio:
            want.add(prio)
        assert want <= kws, "keywords %r lack %r" % (sorted(kws), sorted(want - kws))
        assert "hd-auto" not in kws, "hd-auto on a customer message: %r" % sorted(kws)
        if subject is not None:
            assert m["subject"] == subject, "subject %r, expected %r" % (m["subject"], subject)
        else:
            assert m["subject"].startswith("[#%d]" % n) or ("[#%d]" % n) in m["subject"], \
                "subject %r lacks [#%d]" % (m["subject"], n)
        rows = self.msg_ticket(msgid)
        assert len(rows) == 1 and rows[0][0] == n, "hd_messages for %s: %r, expected ticket %d" % (
            msgid, rows, n)
        assert self.ticket(n) is not None, "no hd_tickets row %d" % n
        return m


def resolve(dc, ticket, uids):
    """Mark a ticket resolved in the store (behind the plugin's back) and
    set hd-resolved on its queue messages over IMAP (as bob)."""
    dc.sql_write("UPDATE hd_tickets SET status = 'resolved' WHERE id = ?", (ticket,))
    with dc.imap("bob") as c:
        typ, _ = c.select("Public/Queue")
        assert typ == "OK"
        uidset = ",".join(str(u) for u in uids)
        typ, dat = c.uid("STORE", uidset, "+FLAGS", "(hd-resolved)")
        assert typ == "OK", dat
        typ, dat = c.uid("STORE", uidset, "-FLAGS", "(hd-new hd-open)")
        assert typ == "OK", dat


# ------------------------------------------------------------------ scenarios

def scenarios(x):
    t, dc = x.t, x.dc
    S = {}   # shared state between scenarios

    def scenario(name):
        def wrap(fn):
            try:
                fn()
            except Exception as e:
                import traceback
                text = "".join(traceback.format_exception(type(e), e, e.__traceback__))
                if name in KNOWN_BUGS:
                    t.todo(False, name, KNOWN_BUGS[name])
                    t.diag(text)
                else:
                    t.ok(False, name, text)
                return fn
            if name in KNOWN_BUGS:
                t.todo(True, name, KNOWN_BUGS[name])
            else:
                t.ok(True, name)
            return fn
        return wrap

    # 1 -------------------------------------------------------------------
    @scenario("plain new ticket: #1, header, [#1] subject, hd-new + hd-prio-normal, store row")
    def _():
        msg = make_message(subject="Printer on fire", sender="Carl <carl@example.org>",
                           message_id=new_id("plain"))
        S["plain"] = msgid_of(msg)
        x.deliver(msg, sender="carl@example.org")
        m = x.expect_ticket(S["plain"], 1, subject="[#1] Printer on fire")
        assert hd_kw(m) == {"hd-new", "hd-prio-normal", "hd-tier-1"}, sorted(hd_kw(m))
        tk = x.ticket(1)
        assert tk[4] == "new", "status %r" % (tk[4],)
        assert "carl@example.org" in (tk[3] or "").lower(), "requester %r" % (tk[3],)
        assert tk[1] == key_of(S["plain"]), "origin_key %r" % (tk[1],)
        ev = x.sql("SELECT kind FROM hd_events WHERE ticket_id = 1")
        assert ("created",) in ev, "events %r" % ev
        parts = {r[0].lower() for r in x.sql("SELECT address FROM hd_participants WHERE ticket_id=1")}
        assert "carl@example.org" in parts, parts

    # 2 -------------------------------------------------------------------
    @scenario("numbering increments: next ticket is #2, then #3")
    def _():
        ids = []
        for s in ("Second problem", "Third problem"):
            msg = make_message(subject=s, sender="dora@example.org")
            ids.append(msgid_of(msg))
            x.deliver(msg)
        q = x.queues()
        x.expect_ticket(ids[0], 2, subject="[#2] Second problem", queues=q)
        x.expect_ticket(ids[1], 3, subject="[#3] Third problem", queues=q)
        assert x.max_ticket() == 3 and x.n_tickets() == 3, x.sql("SELECT id FROM hd_tickets")

    # 3 -------------------------------------------------------------------
    @scenario("alice and bob see the same ticket messages, keywords and headers")
    def _():
        q = x.queues()
        assert [m["uid"] for m in q["alice"]] == [m["uid"] for m in q["bob"]]
        for a, b in zip(q["alice"], q["bob"]):
            assert hd_kw(a) == hd_kw(b) and ticket_hdr(a) == ticket_hdr(b) \
                and a["subject"] == b["subject"], (a["uid"], hd_kw(a), hd_kw(b))

    # 4 -------------------------------------------------------------------
    @scenario("reply by In-Reply-To joins ticket #1, subject gets tagged")
    def _():
        msg = make_message(subject="Re: Printer on fire", sender="Carl <carl@example.org>",
                           in_reply_to=S["plain"], message_id=new_id("reply1"))
        S["reply1"] = msgid_of(msg)
        before = x.n_tickets()
        x.deliver(msg, sender="carl@example.org")
        x.expect_ticket(S["reply1"], 1, subject="[#1] Re: Printer on fire")
        assert x.n_tickets() == before, "a new ticket was opened"
        ev = x.sql("SELECT kind FROM hd_events WHERE ticket_id=1 AND message_key=?",
                   (key_of(S["reply1"]),))
        assert ev and ev[0][0] == "message", ev

    # 5 -------------------------------------------------------------------
    @scenario("reply to the reply by References only (no In-Reply-To) joins #1")
    def _():
        msg = make_message(subject="Re: [#1] Re: Printer on fire", sender="support-agent@example.com",
                           references=["<unknown-root@elsewhere.example>", S["reply1"]])
        mid = msgid_of(msg)
        x.deliver(msg, sender="support-agent@example.com")
        m = x.expect_ticket(mid, 1, subject="Re: [#1] Re: Printer on fire")
        assert m["subject"].count("[#1]") == 1, "tag doubled: %r" % m["subject"]

    # 6 -------------------------------------------------------------------
    @scenario("subject tag [#1] from the participant (no refs) joins #1")
    def _():
        msg = make_message(subject="[#1] any news?", sender="carl@example.org")
        mid = msgid_of(msg)
        before = x.n_tickets()
        x.deliver(msg, sender="carl@example.org")
        x.expect_ticket(mid, 1, subject="[#1] any news?")
        assert x.n_tickets() == before

    # 7 -------------------------------------------------------------------
    @scenario("subject tag [#1] from a stranger opens a new ticket")
    def _():
        msg = make_message(subject="Re: [#1] Printer on fire", sender="mallory@evil.example")
        mid = msgid_of(msg)
        before = x.max_ticket()
        x.deliver(msg, sender="mallory@evil.example")
        n = before + 1
        m = x.expect_ticket(mid, n)
        assert ticket_hdr(m) != ["1"]
        parts = {r[0].lower() for r in x.sql("SELECT address FROM hd_participants WHERE ticket_id=1")}
        assert "mallory@evil.example" not in parts, "stranger became a participant of #1"

    # 8 -------------------------------------------------------------------
    @scenario("subject tag naming a non-existent ticket [#4711] opens a new ticket")
    def _():
        msg = make_message(subject="[#4711] old ticket", sender="carl@example.org")
        mid = msgid_of(msg)
        n = x.max_ticket() + 1
        x.deliver(msg, sender="carl@example.org")
        m = x.expect_ticket(mid, n)
        assert x.ticket(4711) is None, "ticket 4711 was created"
        assert "[#%d]" % n in m["subject"], m["subject"]

    # 9 -------------------------------------------------------------------
    @scenario("Cc participant of a ticket may reply by subject tag")
    def _():
        msg = make_message(subject="Laptop broken", sender="erin@example.org",
                           cc="Frank <frank@example.org>")
        mid = msgid_of(msg)
        n = x.max_ticket() + 1
        x.deliver(msg, sender="erin@example.org")
        x.expect_ticket(mid, n, subject="[#%d] Laptop broken" % n)
        msg2 = make_message(subject="Re: [#%d] Laptop broken" % n, sender="frank@example.org")
        mid2 = msgid_of(msg2)
        x.deliver(msg2, sender="frank@example.org")
        x.expect_ticket(mid2, n, subject="Re: [#%d] Laptop broken" % n)
        assert x.max_ticket() == n

    # 10 ------------------------------------------------------------------
    @scenario("reopen reaches a message whose location the store lost (found by its header)")
    def _():
        msg = make_message(subject="Printer jams again", sender="hugo@example.org")
        mid = msgid_of(msg)
        n = x.max_ticket() + 1
        x.deliver(msg, sender="hugo@example.org")
        m = x.expect_ticket(mid, n)
        # a crash between the mail commit and the store write loses the UID
        # wait until the plugin wrote it, then forget it
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and not dc.sql(
                "SELECT uid FROM hd_messages WHERE message_key = ? AND uid > 0",
                (mid.strip("<>"),)):
            time.sleep(0.1)
        dc.sql_write("UPDATE hd_messages SET uid = 0, mailbox_guid = '' "
                     "WHERE message_key = ?", (mid.strip("<>"),))
        resolve(dc, n, [m["uid"]])
        msg2 = make_message(subject="Re: Printer jams again", sender="hugo@example.org",
                            in_reply_to=mid, references=mid)
        x.deliver(msg2, sender="hugo@example.org")
        old = [mm for mm in dc.queue("bob") if mm["message_id"] == mid][0]
        assert "hd-open" in hd_kw(old) and "hd-resolved" not in hd_kw(old), \
            "earlier message keywords as bob: %r" % sorted(hd_kw(old))

    @scenario("follow-up to a resolved ticket reopens it (hd-open, status open, event, old msgs hd-open)")
    def _():
        msg = make_message(subject="VPN does not connect", sender="gina@example.org")
        mid = msgid_of(msg)
        n = x.max_ticket() + 1
        x.deliver(msg, sender="gina@example.org")
        m = x.expect_ticket(mid, n)
        resolve(dc, n, [m["uid"]])
        assert x.ticket(n)[4] == "resolved"
        q = x.queues()
        assert "hd-resolved" in hd_kw(x.one(mid, q)), "setup: hd-resolved not set"
        msg2 = make_message(subject="Re: VPN does not connect", sender="gina@example.org",
                            in_reply_to=mid, references=mid)
        mid2 = msgid_of(msg2)
        x.deliver(msg2, sender="gina@example.org")
        q = x.queues()
        m2 = x.expect_ticket(mid2, n, status_kw="hd-open", queues=q)
        assert "hd-resolved" not in hd_kw(m2) and "hd-new" not in hd_kw(m2), sorted(hd_kw(m2))
        assert x.ticket(n)[4] == "open", "status %r" % (x.ticket(n)[4],)
        ev = x.sql("SELECT kind FROM hd_events WHERE ticket_id=? AND kind='reopened'", (n,))
        assert ev, "no reopened event: %r" % x.sql("SELECT kind FROM hd_events WHERE ticket_id=?", (n,))

        def old_ok():
            qb = dc.queue("bob")
            old = [mm for mm in qb if mm["message_id"] == mid][0]
            return "hd-open" in hd_kw(old) and "hd-resolved" not in hd_kw(old) and old
        deadline = time.monotonic() + 5
        old = None
        while time.monotonic() < deadline:
            old = old_ok()
            if old:
                break
            time.sleep(0.2)
        qb = dc.queue("bob")
        oldm = [mm for mm in qb if mm["message_id"] == mid][0]
        assert old, "earlier message keywords as bob: %r" % sorted(hd_kw(oldm))
        S["reopen"] = (n, mid)

    # 11 ------------------------------------------------------------------
    @scenario("Sieve hd-prio-high (URGENT subject) kept, no hd-prio-normal added")
    def _():
        msg = make_message(subject="URGENT: outage in datacenter", sender="hank@example.org")
        mid = msgid_of(msg)
        n = x.max_ticket() + 1
        x.deliver(msg, sender="hank@example.org")
        m = x.expect_ticket(mid, n, prio="hd-prio-high",
                            subject="[#%d] URGENT: outage in datacenter" % n)
        assert "hd-prio-normal" not in hd_kw(m), sorted(hd_kw(m))
        pr = x.ticket(n)[5]
        assert pr in ("high", "hd-prio-high", "prio-high"), "store priority %r" % (pr,)

    # 12 ------------------------------------------------------------------
    @scenario("team keyword hd-team-billing from support+billing@ kept, store team")
    def _():
        msg = make_message(subject="Invoice wrong", sender="ivy@example.org",
                           to="support+billing@example.com")
        mid = msgid_of(msg)
        n = x.max_ticket() + 1
        x.deliver(msg, rcpt="support+billing@example.com", sender="ivy@example.org")
        m = x.expect_ticket(mid, n, extra_kw={"hd-team-billing"})
        assert {k for k in hd_kw(m) if k.startswith("hd-team-")} == {"hd-team-billing"}, sorted(hd_kw(m))
        tm = x.ticket(n)[6]
        assert tm and "billing" in tm, "store team %r" % (tm,)

    # 13 ------------------------------------------------------------------
    @scenario("hd-vip from a VIP domain kept on the new ticket")
    def _():
        msg = make_message(subject="Contract question", sender="CEO <ceo@vip.example.net>")
        mid = msgid_of(msg)
        n = x.max_ticket() + 1
        x.deliver(msg, sender="ceo@vip.example.net")
        x.expect_ticket(mid, n, extra_kw={"hd-vip"}, subject="[#%d] Contract question" % n)

    # 14 ------------------------------------------------------------------
    @scenario("message without Message-ID becomes a ticket (content key)")
    def _():
        msg = make_message(subject="no id here", sender="jack@example.org", message_id=False,
                           date="Mon, 02 Mar 2026 10:00:00 +0000", body="unique body %s\n" % uuid.uuid4().hex)
        n = x.max_ticket() + 1
        x.deliver(msg, sender="jack@example.org")
        q = x.queues()
        for u in USERS:
            found = [m for m in q[u] if ticket_hdr(m) == [str(n)]]
            assert len(found) == 1, (u, len(found))
            assert found[0]["subject"] == "[#%d] no id here" % n, found[0]["subject"]
            assert {"hd-new", "hd-prio-normal"} <= hd_kw(found[0]), hd_kw(found[0])
        rows = x.sql("SELECT message_key FROM hd_messages WHERE ticket_id=?", (n,))
        assert len(rows) == 1 and rows[0][0], rows
        assert x.ticket(n)[1] == rows[0][0], (x.ticket(n), rows)

    # 15 ------------------------------------------------------------------
    @scenario("duplicate delivery (same Message-ID twice): two copies, same ticket, one store row")
    def _():
        msg = make_message(subject="dup test", sender="kate@example.org")
        mid = msgid_of(msg)
        n = x.max_ticket() + 1
        x.deliver(msg, sender="kate@example.org")
        x.deliver(msg, sender="kate@example.org")
        q = x.queues()
        c = x.copies(mid, q)
        for u in USERS:
            assert len(c[u]) == 2, "%s sees %d copies" % (u, len(c[u]))
            for m in c[u]:
                assert ticket_hdr(m) == [str(n)], ticket_hdr(m)
                assert m["subject"] == "[#%d] dup test" % n, m["subject"]
        assert x.max_ticket() == n, "extra ticket opened: max %d" % x.max_ticket()
        assert len(x.sql("SELECT 1 FROM hd_messages WHERE message_key=?", (key_of(mid),))) == 1
        assert len(x.sql("SELECT 1 FROM hd_tickets WHERE origin_key=?", (key_of(mid),))) == 1

    # 16 ------------------------------------------------------------------
    @scenario("identical replay without Message-ID maps to the same ticket")
    def _():
        msg = make_message(subject="replay no id", sender="leo@example.org", message_id=False,
                           date="Tue, 03 Mar 2026 11:00:00 +0000", body="replay %s\n" % uuid.uuid4().hex)
        n = x.max_ticket() + 1
        x.deliver(msg, sender="leo@example.org")
        x.deliver(msg, sender="leo@example.org")
        q = x.queues()
        for u in USERS:
            found = [m for m in q[u] if m["subject"].endswith("replay no id")]
            assert len(found) == 2, (u, [f["subject"] for f in found])
            assert all(ticket_hdr(f) == [str(n)] for f in found), [ticket_hdr(f) for f in found]
        assert x.max_ticket() == n, "max ticket %d, expected %d" % (x.max_ticket(), n)
        rows = x.sql("SELECT kind, uid FROM hd_messages WHERE ticket_id=? "
                     "ORDER BY kind", (n,))
        uids = sorted(f["uid"] for f in q["alice"] if f["subject"].endswith("replay no id"))
        # one message; the second saved copy is remembered as a copy of it
        # (so that it follows the ticket's state), with its own UID
        assert [r[0] for r in rows] == ["copy", "customer"], rows
        assert rows[0][1] == uids[1], (rows, uids)

    # 17 ------------------------------------------------------------------
    @scenario("missing Subject becomes 'Subject: [#N]'")
    def _():
        msg = make_message(subject=None, sender="mia@example.org")
        mid = msgid_of(msg)
        n = x.max_ticket() + 1
        x.deliver(msg, sender="mia@example.org")
        m = x.expect_ticket(mid, n, subject="[#%d]" % n)
        assert len(m["headers"].get_all("Subject") or []) == 1
        assert re.search(rb"(?m)^Subject: \[#%d\]\s*\r?$" % n, m["raw_header"]), m["raw_header"][:500]

    # 18 ------------------------------------------------------------------
    @scenario("raw 8-bit UTF-8 subject bytes kept after the tag")
    def _():
        raw = "Grüße aus Köln – 日本".encode("utf-8")
        msg = make_message(subject=None, sender="nina@example.org",
                           extra_headers=[("Subject", raw)])
        mid = msgid_of(msg)
        n = x.max_ticket() + 1
        x.deliver(msg, sender="nina@example.org")
        m = x.expect_ticket(mid, n)
        want = b"Subject: [#%d] " % n + raw
        assert want in m["raw_header"], m["raw_header"][:600]
        st = x.ticket(n)[2]
        assert st and "Grüße aus Köln" in st, "store subject %r" % (st,)

    # 19 ------------------------------------------------------------------
    @scenario("RFC 2047 encoded-word subject: decoded subject shows tag + original text")
    def _():
        msg = make_message(subject="Störung im Büro ☕", sender="olaf@example.org")
        assert b"=?utf-8?" in msg.lower()
        mid = msgid_of(msg)
        n = x.max_ticket() + 1
        x.deliver(msg, sender="olaf@example.org")
        x.expect_ticket(mid, n, subject="[#%d] Störung im Büro ☕" % n)

    # 20 ------------------------------------------------------------------
    @scenario("folded multi-line subject stays intact after the tag")
    def _():
        folded = b"first part of a long subject\r\n second line of it\r\n\tthird line"
        msg = make_message(subject=None, sender="paul@example.org",
                           extra_headers=[("Subject", folded)])
        mid = msgid_of(msg)
        n = x.max_ticket() + 1
        x.deliver(msg, sender="paul@example.org")
        m = x.expect_ticket(mid, n, subject="[#%d] first part of a long subject second line of it\tthird line" % n)
        assert b"Subject: [#%d] " % n + folded + b"\r\n" in m["raw_header"], m["raw_header"][:600]

    # 21 ------------------------------------------------------------------
    @scenario("SQL metacharacters in Subject/From/Message-ID stored verbatim, tables intact")
    def _():
        subj = "'); DROP TABLE hd_tickets; -- \"quoted\" back\\slash %_ ;"
        sender_addr = "o'brien@example.org"
        mid = "<x'y);DROP_TABLE_hd_tickets;--\\%%_@example.org>"
        msg = make_message(subject=subj, sender="\"O'Brien; DROP\" <%s>" % sender_addr,
                           message_id=mid)
        n = x.max_ticket() + 1
        x.deliver(msg, sender=sender_addr)
        q = x.queues()
        c = x.copies(mid, q)
        for u in USERS:
            assert len(c[u]) == 1, (u, len(c[u]))
            assert ticket_hdr(c[u][0]) == [str(n)], ticket_hdr(c[u][0])
            assert c[u][0]["subject"] == "[#%d] %s" % (n, subj), c[u][0]["subject"]
        tables = {r[0] for r in x.sql(
            "SELECT table_name FROM information_schema.tables" if dc.pg else
            "SELECT name FROM sqlite_master WHERE type='table'")}
        assert {"hd_tickets", "hd_messages", "hd_participants", "hd_events"} <= tables, tables
        tk = x.ticket(n)
        assert tk[2] == subj, "store subject %r" % (tk[2],)
        assert sender_addr in (tk[3] or ""), "requester %r" % (tk[3],)
        rows = x.sql("SELECT ticket_id, sender, subject FROM hd_messages WHERE message_key=?",
                     (key_of(mid),))
        assert len(rows) == 1 and rows[0][0] == n, ("message_key not verbatim",
                                                    x.sql("SELECT message_key FROM hd_messages WHERE ticket_id=?", (n,)))
        assert x.n_tickets() == n

    # 22 ------------------------------------------------------------------
    @scenario("References with 500 ids, the last a ticket message: joins that ticket")
    def _():
        refs = [new_id("r%03d" % i) for i in range(499)] + [S["plain"]]
        msg = make_message(subject="Re: long thread", sender="carl@example.org", references=refs)
        # fold the References header (one id per line)
        msg = msg.replace(b"References: " + " ".join(refs).encode(),
                          b"References: " + "\r\n ".join(refs).encode())
        mid = msgid_of(msg)
        before = x.max_ticket()
        x.deliver(msg, sender="carl@example.org")
        x.expect_ticket(mid, 1, subject="[#1] Re: long thread")
        assert x.max_ticket() == before

    # 22b -----------------------------------------------------------------
    @scenario("References with 200 ids, the first (the thread's root) a ticket message: joins it")
    def _():
        refs = [S["plain"]] + [new_id("q%03d" % i) for i in range(199)]
        msg = make_message(subject="Re: long thread again", sender="carl@example.org",
                           references=refs)
        mid = msgid_of(msg)
        before = x.max_ticket()
        x.deliver(msg, sender="carl@example.org")
        x.expect_ticket(mid, 1, subject="[#1] Re: long thread again")
        assert x.max_ticket() == before

    # 23 ------------------------------------------------------------------
    @scenario("References with 500 ids, none a ticket message: new ticket")
    def _():
        refs = [new_id("n%03d" % i) for i in range(500)]
        msg = make_message(subject="Re: unknown thread", sender="carl@example.org", references=refs)
        mid = msgid_of(msg)
        n = x.max_ticket() + 1
        x.deliver(msg, sender="carl@example.org")
        x.expect_ticket(mid, n, subject="[#%d] Re: unknown thread" % n)

    # 24 ------------------------------------------------------------------
    @scenario("forged X-Helpdesk-Ticket: 999 removed, replaced by the real number")
    def _():
        msg = make_message(subject="forged header", sender="quinn@example.org",
                           extra_headers=[("X-Helpdesk-Ticket", "999")])
        mid = msgid_of(msg)
        n = x.max_ticket() + 1
        x.deliver(msg, sender="quinn@example.org")
        m = x.expect_ticket(mid, n, subject="[#%d] forged header" % n)
        # every X-Helpdesk-Ticket line is the real number (not a search
        # for "999" anywhere: a random Message-ID may hold it)
        values = [v.strip() for k, v in m["headers"].items()
                  if k.lower() == "x-helpdesk-ticket"]
        assert values == [str(n)], (values, m["raw_header"])
        assert x.ticket(999) is None

    # 25 ------------------------------------------------------------------
    @scenario("forged tag [#1] by a stranger (fresh subject, no refs): new ticket, #1 untouched")
    def _():
        before = x.ticket(1)
        msg = make_message(subject="[#1] please close my account", sender="rita@stranger.example")
        mid = msgid_of(msg)
        n = x.max_ticket() + 1
        x.deliver(msg, sender="rita@stranger.example")
        x.expect_ticket(mid, n)
        assert x.ticket(1) == before, (before, x.ticket(1))

    # 26 ------------------------------------------------------------------
    @scenario("auto-reply (Auto-Submitted) without refs: hd-auto, no header, no ticket")
    def _():
        msg = make_message(subject="Out of Office: back Monday", sender="sam@example.org",
                           extra_headers=[("Auto-Submitted", "auto-replied")])
        mid = msgid_of(msg)
        before = x.max_ticket()
        x.deliver(msg, sender="sam@example.org")
        m = x.one(mid)
        assert "hd-auto" in hd_kw(m), sorted(hd_kw(m))
        assert not ({"hd-new", "hd-open"} & hd_kw(m)), sorted(hd_kw(m))
        assert ticket_hdr(m) == [], ticket_hdr(m)
        assert m["subject"] == "Out of Office: back Monday", m["subject"]
        assert x.max_ticket() == before
        assert not x.sql("SELECT 1 FROM hd_tickets WHERE origin_key=?", (key_of(mid),))
        assert all(not r[0] for r in x.msg_ticket(mid)), x.msg_ticket(mid)

    # 27 ------------------------------------------------------------------
    @scenario("bounce (sender <>, multipart/report) referencing a resolved ticket: joins, hd-auto, no reopen")
    def _():
        msg = make_message(subject="Helpdesk bounce target", sender="tom@example.org")
        tmid = msgid_of(msg)
        n = x.max_ticket() + 1
        x.deliver(msg, sender="tom@example.org")
        m = x.expect_ticket(tmid, n)
        resolve(dc, n, [m["uid"]])
        boundary = "bnd-%s" % uuid.uuid4().hex
        body = ("--%s\r\nContent-Type: text/plain\r\n\r\nDelivery failed.\r\n"
                "--%s\r\nContent-Type: message/delivery-status\r\n\r\n"
                "Reporting-MTA: dns; mx.example.org\r\n\r\n"
                "Final-Recipient: rfc822; tom@example.org\r\nAction: failed\r\nStatus: 5.1.1\r\n"
                "\r\n--%s\r\nContent-Type: text/rfc822-headers\r\n\r\n"
                "Message-ID: %s\r\nSubject: [#%d] Helpdesk bounce target\r\n\r\n--%s--\r\n"
                % (boundary, boundary, boundary, tmid, n, boundary))
        bmsg = (b"Return-Path: <>\r\n"
                b"From: Mail Delivery System <MAILER-DAEMON@mx.example.org>\r\n"
                b"To: support@example.com\r\n"
                b"Subject: Undelivered Mail Returned to Sender\r\n"
                b"Date: Wed, 04 Mar 2026 12:00:00 +0000\r\n"
                b"Message-ID: " + new_id("bounce").encode() + b"\r\n"
                b"In-Reply-To: " + tmid.encode() + b"\r\n"
                b"References: " + tmid.encode() + b"\r\n"
                b"MIME-Version: 1.0\r\n"
                b"Content-Type: multipart/report; report-type=delivery-status;\r\n"
                b"\tboundary=\"" + boundary.encode() + b"\"\r\n\r\n" + body.encode())
        bmid = msgid_of(bmsg)
        x.deliver(bmsg, sender="")
        b = x.one(bmid)
        assert ticket_hdr(b) == [str(n)], ticket_hdr(b)
        assert "hd-auto" in hd_kw(b), sorted(hd_kw(b))
        assert "hd-open" not in hd_kw(b) and "hd-new" not in hd_kw(b), sorted(hd_kw(b))
        assert x.ticket(n)[4] == "resolved", "status %r" % (x.ticket(n)[4],)
        assert not x.sql("SELECT 1 FROM hd_events WHERE ticket_id=? AND kind='reopened'", (n,))
        rows = x.sql("SELECT ticket_id, kind FROM hd_messages WHERE message_key=?", (key_of(bmid),))
        assert rows == [(n, "auto")], rows
        old = x.one(tmid)
        assert "hd-resolved" in hd_kw(old) and "hd-open" not in hd_kw(old), sorted(hd_kw(old))
        assert x.max_ticket() == n

    # 28 ------------------------------------------------------------------
    @scenario("List-Id mail: hd-auto, no ticket")
    def _():
        msg = make_message(subject="[users] weekly digest", sender="list@lists.example.org",
                           extra_headers=[("List-Id", "<users.lists.example.org>"),
                                          ("Precedence", "list")])
        mid = msgid_of(msg)
        before = x.max_ticket()
        x.deliver(msg, sender="list-bounces@lists.example.org")
        m = x.one(mid)
        assert "hd-auto" in hd_kw(m) and ticket_hdr(m) == [], (sorted(hd_kw(m)), ticket_hdr(m))
        assert x.max_ticket() == before

    @scenario("newsletters and auto-responders without Auto-Submitted: hd-auto, no ticket")
    def _():
        cases = [
            [("List-Unsubscribe", "<mailto:leave@news.example.org>")],
            [("Precedence", "auto_reply")],
            [("X-Autogenerated", "Reply")],
            [("X-AutoReply-From", "boss@shop.example")],
        ]
        before = x.max_ticket()
        for hdrs in cases:
            msg = make_message(subject="Thanks for writing", sender="news@news.example.org",
                               extra_headers=hdrs)
            mid = msgid_of(msg)
            x.deliver(msg, sender="news@news.example.org")
            m = x.one(mid)
            assert "hd-auto" in hd_kw(m) and ticket_hdr(m) == [], \
                (hdrs, sorted(hd_kw(m)), ticket_hdr(m))
        assert x.max_ticket() == before

    # 29 ------------------------------------------------------------------
    @scenario("mail to alice@example.com not touched: alice's INBOX, no hd- keywords or header")
    def _():
        msg = make_message(subject="URGENT: lunch? [#1]", to="alice@example.com",
                           sender="carl@example.org",
                           extra_headers=[("X-Helpdesk-Ticket", "5")])
        mid = msgid_of(msg)
        before = x.max_ticket()
        x.deliver(msg, rcpt="alice@example.com", sender="carl@example.org")
        inbox = [m for m in dc.mailbox("alice", "INBOX") if m["message_id"] == mid]
        assert len(inbox) == 1, len(inbox)
        assert hd_kw(inbox[0]) == set(), sorted(hd_kw(inbox[0]))
        assert inbox[0]["subject"] == "URGENT: lunch? [#1]", inbox[0]["subject"]
        assert ticket_hdr(inbox[0]) == ["5"], "header changed: %r" % ticket_hdr(inbox[0])
        assert not [m for m in dc.queue("alice") if m["message_id"] == mid]
        assert x.max_ticket() == before
        assert not x.msg_ticket(mid), x.msg_ticket(mid)

    # 30 ------------------------------------------------------------------
    @scenario("CRLF integrity: RFC822.SIZE == len(BODY[]) for a tagged message, no bare LF")
    def _():
        msg = make_message(subject="size check", sender="uma@example.org",
                           body="line one\nline two\n.\n..dots\nend\n")
        mid = msgid_of(msg)
        x.deliver(msg, sender="uma@example.org")
        m = x.one(mid)
        with dc.imap("bob") as c:
            c.select("Public/Queue", readonly=True)
            typ, data = c.uid("FETCH", str(m["uid"]), "(RFC822.SIZE BODY.PEEK[])")
            assert typ == "OK", data
        a = list(parse_fetch(data).values())[0]
        full = a["BODY[]"]
        assert a["RFC822.SIZE"] == len(full), (a["RFC822.SIZE"], len(full))
        assert b"\n" not in full.replace(b"\r\n", b""), "bare LF in message"
        assert b"\r" not in full.replace(b"\r\n", b""), "bare CR in message"
        assert b"\r\n.\r\n..dots\r\n" in full, "dot lines damaged"
        assert full.endswith(msg.split(b"\r\n\r\n", 1)[1]), "body changed"

    # 31 (last: the big one makes every later queue() fetch slow) ----------
    @scenario("1 MB subject: 250, tag present, message retrievable with matching size")
    def _():
        words = ["w%06d" % i for i in range(1024 * 1024 // 8)]
        lines, cur = [], ""
        for w in words:
            if len(cur) + len(w) + 1 > 70:
                lines.append(cur)
                cur = w
            else:
                cur = (cur + " " + w) if cur else w
        lines.append(cur)
        subj = "\r\n ".join(lines).encode()
        assert len(subj) >= 1000000
        msg = make_message(subject=None, sender="vera@example.org",
                           extra_headers=[("Subject", subj)])
        mid = msgid_of(msg)
        n = x.max_ticket() + 1
        r = dc.deliver(msg, sender="vera@example.org")
        assert r.code == 250, "delivery %r" % (r.code,)
        rows = x.msg_ticket(mid)
        assert rows and rows[0][0] == n, rows
        with dc.imap("alice") as c:
            c.select("Public/Queue", readonly=True)
            typ, data = c.uid("SEARCH", "HEADER", "X-Helpdesk-Ticket", str(n))
            uids = data[0].split()
            assert typ == "OK" and len(uids) == 1, "search for ticket %d: %r" % (n, data[0][:100])
            typ, data = c.uid("FETCH", uids[0].decode(), "(RFC822.SIZE FLAGS BODY.PEEK[])")
            assert typ == "OK"
        a = list(parse_fetch(data).values())[0]
        full = a["BODY[]"]
        assert a["RFC822.SIZE"] == len(full), (a["RFC822.SIZE"], len(full))
        assert b"Subject: [#%d] w000000 w000001" % n in full, "tag missing"
        assert subj in full, "subject text altered"
        assert {"hd-new", "hd-prio-normal"} <= set(a["FLAGS"]), a["FLAGS"]
        st = x.ticket(n)[2]
        assert st is not None and st.startswith("w000000"), "store subject %r" % ((st or "")[:50],)


def main():
    t = Tap()
    plugin = plugin_or_skip(t, "intake integration test")
    if plugin is None:
        return t.done()
    t0 = time.monotonic()
    dc = Dovecot(plugin=plugin)
    try:
        if not start_checked(t, dc):
            return t.done()
        scenarios(Ctx(t, dc))
        errors = dc.log_errors()
        t.ok(not errors, "no Error/Panic/Fatal in dovecot.log", "\n".join(errors[:40]))
    finally:
        dc.cleanup()
    elapsed = time.monotonic() - t0
    t.diag("test_intake.py took %.1f s" % elapsed)
    return t.done()


if __name__ == "__main__":
    sys.exit(main())
