#!/usr/bin/python3
"""Smoke test of the test harness and the routing Sieve script on a vanilla
Dovecot (no helpdesk plugin): real LMTP deliveries, real IMAP sessions.
TAP output.  Run as root: /usr/bin/python3 tests/integration/test_harness_smoke.py
"""

import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))

from hdtest import Dovecot, hd_keywords, make_message  # noqa: E402
from tap import Tap  # noqa: E402


def by_msgid(msgs, msgid):
    return [m for m in msgs if m["message_id"] == msgid]


def main():
    t = Tap()
    if os.geteuid() != 0:
        t.skip("harness smoke test", "must run as root")
        return t.done()
    t0 = time.monotonic()
    dc = Dovecot(plugin=None)
    try:
        try:
            dc.start()
        except Exception as e:
            t.ok(False, "private Dovecot starts", str(e))
            return t.done()
        t.ok(True, "private Dovecot starts (imap %d, lmtp %d, root %s)"
             % (dc.imap_port, dc.lmtp_port, dc.root))
        run(t, dc)
        errors = dc.log_errors()
        t.ok(not errors, "no Error/Panic/Fatal in dovecot.log", "\n".join(errors))
    finally:
        dc.cleanup()
    t.ok(not dc.running, "Dovecot stopped")
    elapsed = time.monotonic() - t0
    t.diag("test_harness_smoke.py took %.1f s" % elapsed)
    return t.done()


def run(t, dc):
    # ---------------------------------------------------------- plain ticket
    plain = make_message(subject="Printer on fire", sender="Carl <carl@example.org>")
    msgid_plain = _msgid(plain)
    r = dc.deliver(plain)
    t.ok(r.ok, "LMTP accepts mail to support@example.com", repr(r))

    qa = dc.queue("alice")
    qb = dc.queue("bob")
    t.eq(len(by_msgid(qa, msgid_plain)), 1, "alice sees the ticket in Public/Queue once")
    t.eq(len(by_msgid(qb, msgid_plain)), 1, "bob sees the ticket in Public/Queue once")
    if by_msgid(qa, msgid_plain):
        m = by_msgid(qa, msgid_plain)[0]
        t.eq(m["subject"], "Printer on fire", "subject parsed from BODY[HEADER]")
        t.eq(hd_keywords(m), set(), "plain ticket gets no hd- keywords")
        t.ok(m["headers"]["From"] == "Carl <carl@example.org>", "headers is a parsed Message",
             repr(m["headers"]["From"]))
        t.ok(isinstance(m["uid"], int) and m["uid"] > 0, "uid is a positive int")
    inbox_support = dc.mailbox("support", "INBOX")
    t.eq(by_msgid(inbox_support, msgid_plain), [], "ticket is not kept in support's INBOX")

    # ------------------------------------------------------------- priority
    cases = [
        ("URGENT: outage", {"hd-prio-high"}),
        ("Re: server is DOWN since 9:00", {"hd-prio-high"}),
        ("emergency!", {"hd-prio-high"}),
        ("Download link broken", set()),
        ("Question about invoices", set()),
    ]
    ids = {}
    for subject, _ in cases:
        msg = make_message(subject=subject)
        ids[subject] = _msgid(msg)
        r = dc.deliver(msg)
        t.ok(r.ok, "deliver %r" % subject, repr(r))
    q = dc.queue("bob")
    for subject, expected in cases:
        found = by_msgid(q, ids[subject])
        got = hd_keywords(found[0]) if found else None
        t.eq(got, expected, "subject %r -> %s" % (subject, sorted(expected) or "no keywords"))

    # ---------------------------------------------------------------- teams
    team_cases = [
        # (rcpt, To header, Cc header, expected keywords)
        ("support+billing@example.com", "support+billing@example.com", None, {"hd-team-billing"}),
        ("support+Sales@example.com", "support+Sales@example.com", None, {"hd-team-sales"}),
        ("support@example.com", "Billing <billing@example.com>", None, {"hd-team-billing"}),
        ("support@example.com", "someone@example.com", "sales@example.com", {"hd-team-sales"}),
        ("support+bad%chars@example.com", "support@example.com", None, set()),
        # teams are a fixed list: no keyword for a made-up detail
        ("support+whatever@example.com", "support@example.com", None, set()),
        ("support+Network@example.com", "support@example.com", None, {"hd-team-network"}),
    ]
    tids = []
    for rcpt, to, cc, _ in team_cases:
        msg = make_message(subject="team routing", to=to, cc=cc)
        tids.append(_msgid(msg))
        r = dc.deliver(msg, rcpt=rcpt)
        t.ok(r.ok, "deliver to %s (To: %s)" % (rcpt, to), repr(r))
    q = dc.queue("alice")
    for (rcpt, to, cc, expected), mid in zip(team_cases, tids):
        found = by_msgid(q, mid)
        got = hd_keywords(found[0]) if found else None
        t.eq(got, expected, "rcpt %s To %s Cc %s -> %s" % (rcpt, to, cc, sorted(expected)))

    # ------------------------------------------------------------------ VIP
    vip_cases = [
        ("CEO <ceo@vip.example.net>", "Contract renewal", {"hd-vip"}),
        ("ops@BigCustomer.Example", "URGENT: outage", {"hd-vip", "hd-prio-high"}),
        ("someone@notvip.example.net", "hello", set()),
    ]
    vids = []
    for sender, subject, _ in vip_cases:
        msg = make_message(sender=sender, subject=subject)
        vids.append(_msgid(msg))
        r = dc.deliver(msg, sender=sender.split("<")[-1].rstrip(">"))
        t.ok(r.ok, "deliver from %s" % sender, repr(r))
    q = dc.queue("bob")
    for (sender, subject, expected), mid in zip(vip_cases, vids):
        found = by_msgid(q, mid)
        got = hd_keywords(found[0]) if found else None
        t.eq(got, expected, "From %s -> %s" % (sender, sorted(expected) or "no keywords"))

    # --------------------------------------------------- mail to other users
    msg = make_message(subject="URGENT: lunch?", to="alice@example.com",
                       sender="ceo@vip.example.net")
    mid = _msgid(msg)
    r = dc.deliver(msg, rcpt="alice@example.com")
    t.ok(r.ok, "LMTP accepts mail to alice@example.com", repr(r))
    inbox = dc.mailbox("alice", "INBOX")
    found = by_msgid(inbox, mid)
    t.eq(len(found), 1, "mail to alice lands in alice's INBOX")
    t.eq(hd_keywords(found[0]) if found else None, set(), "alice's own mail gets no hd- keywords")
    t.eq(by_msgid(dc.queue("alice"), mid), [], "mail to alice is not in the queue")
    t.eq(by_msgid(dc.mailbox("bob", "INBOX"), mid), [], "mail to alice is not in bob's INBOX")

    # ------------------------------------------------------------ rejections
    r = dc.deliver(make_message(), rcpt="nosuchuser@example.com")
    t.ok(r.code == 550 and not r.ok, "unknown recipient is returned, not raised (%d)" % r.code, repr(r))
    res = dc.deliver(make_message(subject="multi"),
                     rcpt=["nosuchuser@example.com", "carol@example.com"])
    t.ok(not res["nosuchuser@example.com"].ok and res["carol@example.com"].ok,
         "multi-recipient result per recipient", repr(res))

    # ------------------------------------------------------------ deliver_many
    before = len(dc.queue("alice"))
    msgs = [make_message(subject="batch %d" % i) for i in range(5)]
    results = dc.deliver_many(msgs)
    t.ok(len(results) == 5 and all(x.ok for x in results), "deliver_many over one connection",
         repr(results))
    t.eq(len(dc.queue("alice")), before + 5, "deliver_many: 5 more tickets in the queue")

    # ------------------------------------------------------------ big header
    big = "x" * 990
    extra = [("X-Filler-%d" % i, big) for i in range(1100)]   # ~1.1 MB header
    msg = make_message(subject="=?utf-8?q?Gr=C3=BC=C3=9Fe?= big header", extra_headers=extra)
    mid = _msgid(msg)
    r = dc.deliver(msg)
    t.ok(r.ok, "deliver a message with a 1.1 MB header", repr(r))
    found = by_msgid(dc.queue("carol"), mid)
    t.ok(len(found) == 1 and len(found[0]["raw_header"]) > 1000000
         and found[0]["subject"] == "Grüße big header"
         and found[0]["headers"]["X-Filler-1099"] == big,
         "queue() parses a 1 MB header literal and decodes the subject",
         repr([(len(f["raw_header"]), f["subject"]) for f in found]))

    # ----------------------------------------- shared keywords, private \Seen
    q = dc.queue("alice")
    uid = by_msgid(q, msgid_plain)[0]["uid"]
    with dc.imap("alice") as c:
        typ, _ = c.select("Public/Queue")
        typ1, d1 = c.uid("STORE", str(uid), "+FLAGS", r"(\Seen hd-claim hd-owner-alice)")
    t.ok(typ == "OK" and typ1 == "OK", "alice stores \\Seen and keywords", repr(d1))
    mb = by_msgid(dc.queue("bob"), msgid_plain)[0]
    ma = by_msgid(dc.queue("alice"), msgid_plain)[0]
    t.ok({"hd-claim", "hd-owner-alice"} <= mb["flags"], "bob sees alice's keywords",
         repr(mb["flags"]))
    t.ok("\\Seen" in ma["flags"] and "\\Seen" not in mb["flags"],
         "\\Seen is private per user (INDEXPVT)", "alice %r bob %r" % (ma["flags"], mb["flags"]))

    # ---------------------------------------------------------------- doveadm
    p = dc.doveadm("acl", "get", "Public/Queue", user="bob", check=False)
    t.ok(p.returncode == 0 and "authenticated" in p.stdout and "write" in p.stdout,
         "doveadm acl get -u bob Public/Queue shows the global ACL", p.stdout + p.stderr)
    p = dc.doveadm("mailbox", "list", user="carol", check=False)
    names = set(p.stdout.split())
    t.ok({"INBOX", "Public/Queue", "Public/Resolved"} <= names,
         "Public/Queue and Public/Resolved exist", p.stdout + p.stderr)
    p = dc.doveadm("search", "mailbox", "Public/Queue", "ALL", user="carol", check=False)
    t.eq(len(p.stdout.split("\n")) - 1, len(dc.queue("carol")),
         "doveadm search -u carol counts the queue")

    # ---------------------------------------------------------------- restart
    ports = (dc.imap_port, dc.lmtp_port)
    count = len(dc.queue("alice"))
    with t.check("restart() keeps ports and data"):
        dc.restart()
        assert (dc.imap_port, dc.lmtp_port) == ports, (ports, dc.imap_port, dc.lmtp_port)
        assert len(dc.queue("alice")) == count
        assert dc.deliver(make_message(subject="after restart")).ok


def _msgid(msg):
    for line in msg.split(b"\r\n"):
        if line.lower().startswith(b"message-id:"):
            return line.split(b":", 1)[1].strip().decode()
        if not line:
            break
    return None


if __name__ == "__main__":
    sys.exit(main())
