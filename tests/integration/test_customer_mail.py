#!/usr/bin/python3
"""Customer mail (issue 15): the acknowledgement of a new ticket and the
satisfaction rating by mail, through a private Dovecot with the plugin and
the shipped Sieve script.  Outgoing mail is captured by a sendmail_path
script (the way Pigeonhole's vacation sends), so every check reads the
message the customer would get: its envelope (-f <> : the null return
path), headers and decoded text.

Acknowledgement (helpdesk_ack = yes):
  - exactly one per new ticket, threaded (In-Reply-To, References),
    Auto-Submitted: auto-replied, [#N] in the subject, the template's text
    with the ticket number and the first-response target;
  - none for a follow-up, a replayed delivery, each kind of automatic mail
    (auto-replied, bulk, list, bounce), the help desk's own addresses, an
    agent's address; Reply-To is answered instead of From;
  - at most 3 per sender in 10 minutes (in the store), logged;
  - no ping-pong with an auto-responding customer;
  - a failing sendmail is logged and the delivery still succeeds;
  - a template that does not parse and CSAT without a secret: a clear log
    line, nothing sent, mail still filed.
Rating (helpdesk_csat = yes):
  - resolving over IMAP sends one request with five signed mailto: links;
  - a rating mail to a link's address is recorded (ticket show csat, a
    "rated" event, hd_ratings), keeps no ticket (hd-rating, no [#N]);
  - a later rating of the same resolution replaces it; the same mail
    again changes nothing; a forged or altered signature, one for another
    ticket and an old resolution's link after a reopen are ignored and
    logged;
  - doveadm helpdesk stats: csat_average and csat_response_rate.

Run as root:

  cd tests && HD_PLUGIN=../plugin/.libs/lib20_helpdesk_plugin.so \\
      python3 integration/test_customer_mail.py
"""

import email
import email.policy
import email.utils
import json
import os
import re
import sys
import time
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))

from hdtest import Dovecot, hd_keywords, make_message, msgid_of, plugin_or_skip, ticket_of  # noqa: E402
from tap import Tap  # noqa: E402

QUEUE = "Public/Queue"
SECRET = "0123456789abcdef-test-secret"
SUPPORT = "support@example.com"

from hdtest import body_text as body_of  # noqa: E402


def deliver(dc, msg, sender="customer@example.org", rcpt=SUPPORT):
    r = dc.deliver(msg, rcpt=rcpt, sender=sender)
    assert r.ok, "delivery failed: %r" % (r,)
    return r


def queue_msg(dc, msg):
    mid = msgid_of(msg)
    for m in dc.queue("alice"):
        if m["message_id"] == mid:
            return m
    return None


def ack_checks(t, dc, box):
    # 1. a new ticket: exactly one acknowledgement
    m1 = make_message(subject="Printer on fire", sender="Ann <ann@customer.example>",
                      references="<earlier@customer.example>")
    deliver(dc, m1, sender="ann@customer.example")
    n1 = ticket_of(queue_msg(dc, m1))
    sent = box.new(wait=5)
    t.eq(len(sent), 1, "a new ticket: exactly one acknowledgement")
    if sent:
        argv, a = sent[0]
        t.ok(re.search(r"-f <> -- ann@customer\.example$", argv) is not None,
             "sent with the null return path, to the customer", argv)
        t.eq(email.utils.parseaddr(str(a["From"]))[1], SUPPORT, "From: the support address")
        t.eq(email.utils.parseaddr(str(a["To"]))[1], "ann@customer.example",
             "To: the customer")
        t.ok(("[#%s]" % n1) in a["Subject"] and "Printer on fire" in a["Subject"],
             "Subject has [#N] and the customer's subject", a["Subject"])
        t.eq(a["In-Reply-To"], msgid_of(m1), "In-Reply-To: the customer's Message-ID")
        t.ok(msgid_of(m1) in a["References"] and "<earlier@customer.example>" in a["References"],
             "References: the customer's references and Message-ID", a["References"])
        t.eq(a["Auto-Submitted"], "auto-replied", "Auto-Submitted: auto-replied (RFC 3834)")
        text = body_of(a)
        t.ok(("ticket #%s" % n1) in text, "the text names the ticket number", text)
        t.ok("within 8 hours" in text, "the text gives the first-response target (normal: 8h)",
             text)

    # 2. a follow-up and a replayed delivery: none
    f1 = make_message(subject="Re: [#%s] Printer on fire" % n1, sender="ann@customer.example",
                      in_reply_to=msgid_of(m1), references=msgid_of(m1))
    deliver(dc, f1, sender="ann@customer.example")
    deliver(dc, m1, sender="ann@customer.example")
    t.eq(len(box.new(wait=1.5)), 0, "a follow-up and a replayed delivery: no acknowledgement")

    # 3. automatic mail of every kind: none (and no ticket)
    autos = [
        ("auto-replied", [("Auto-Submitted", "auto-replied")], "ooo@customer.example"),
        ("bulk", [("Precedence", "bulk")], "news@customer.example"),
        ("list", [("List-Id", "<users.lists.example>")], "list@lists.example"),
        ("bounce", [("Return-Path", "<>")], "MAILER-DAEMON@mx.example"),
    ]
    since = dc.log_mark()
    for kind, hdrs, sender in autos:
        msg = make_message(subject="Automatic: %s" % kind, sender=sender, extra_headers=hdrs)
        deliver(dc, msg, sender="" if kind == "bounce" else sender)
    t.eq(len(box.new(wait=1.5)), 0,
         "auto-replied, bulk, list and bounce mail: no acknowledgement")
    log = dc.log(since)
    found = re.findall(r"no acknowledgement to automatic mail \((auto-submitted|precedence|"
                       r"list-id|null-sender|mailer-daemon)\)", log)
    t.ok(len(found) == 4, "each is logged with the reason it is automatic",
         "%r\n%s" % (found, log[-1500:]))

    # 4. the help desk's own addresses and agents: none
    dc.doveadm("helpdesk", "agent", "add", "-a", "alice@example.com", "alice")
    for sender in ("support@example.com", "support+billing@example.com", "alice@example.com"):
        deliver(dc, make_message(subject="From %s" % sender, sender=sender), sender=sender)
    t.eq(len(box.new(wait=1.5)), 0,
         "mail from support@, support+billing@ and an agent: no acknowledgement")

    # 5. Reply-To is answered
    m5 = make_message(subject="Reply elsewhere", sender="boss@customer.example",
                      extra_headers=[("Reply-To", "Desk <desk@customer.example>")])
    deliver(dc, m5, sender="boss@customer.example")
    sent = box.new(wait=5)
    t.ok(len(sent) == 1 and email.utils.parseaddr(str(sent[0][1]["To"]))[1] ==
         "desk@customer.example",
         "Reply-To: the acknowledgement goes to the Reply-To address",
         [s[1]["To"] for s in sent])

    # 6. the rate limit: 3 per sender in 10 minutes
    since = dc.log_mark()
    for i in range(5):
        deliver(dc, make_message(subject="Flood %d" % i, sender="flood@customer.example"),
                sender="flood@customer.example")
    sent = box.new(wait=5)
    time.sleep(0.5)
    sent += box.new()
    t.eq(len(sent), 3, "five new tickets from one sender in a row: three acknowledgements")
    t.ok("helpdesk_ack_limit" in dc.log(since),
         "the two held back are logged with the setting's name")
    t.eq(dc.sql("SELECT COUNT(*) FROM hd_acks WHERE address = ?", ("flood@customer.example",)),
         [(3,)], "the store counts three acknowledgements to that sender")

    # 7. an auto-responding customer: no ping-pong
    # (a) one that marks its replies: they are automatic mail
    # (b) one that does not, but answers our acknowledgement by thread:
    #     a follow-up, no new ticket, no acknowledgement
    m7 = make_message(subject="Question", sender="robot@customer.example")
    deliver(dc, m7, sender="robot@customer.example")
    sent = box.new(wait=5)
    t.eq(len(sent), 1, "the robot's first message: one acknowledgement")
    rounds = 0
    while sent and rounds < 4:
        rounds += 1
        ack = sent[0][1]
        echo = make_message(subject="Re: " + str(ack["Subject"]), sender="robot@customer.example",
                            in_reply_to=ack["Message-ID"], references=ack["Message-ID"],
                            extra_headers=[("Auto-Submitted", "auto-replied")] if rounds % 2 else [])
        deliver(dc, echo, sender="robot@customer.example")
        sent = box.new(wait=1.5)
    t.eq(rounds, 1, "the robot's echo of the acknowledgement gets no answer: no loop")

    # 8. sendmail fails: logged, the delivery is fine and filed as a ticket
    open(os.path.join(dc.root, "sendmail-fails"), "w").close()
    since = dc.log_mark()
    m8 = make_message(subject="While mail is down", sender="eve@customer.example")
    r = dc.deliver(m8, rcpt=SUPPORT, sender="eve@customer.example")
    os.unlink(os.path.join(dc.root, "sendmail-fails"))
    t.ok(r.ok, "sendmail failing: the delivery still succeeds", repr(r))
    q = queue_msg(dc, m8)
    t.ok(q is not None and ticket_of(q) is not None, "and the message is a ticket in the queue")
    t.ok(re.search(r"acknowledgement to <eve@customer\.example> not sent", dc.log(since)),
         "the failed acknowledgement is logged")
    box.new(wait=1)


def rating_links(msg):
    text = body_of(msg)
    return dict((int(s), addr) for s, addr in
                re.findall(r"(\d) - [a-z ]+:\s+mailto:([^?\s]+)\?", text))


def rate(dc, addr, score_subject="Rating", sender="ann@customer.example", message_id=None):
    msg = make_message(subject=score_subject, sender=sender, to=addr, message_id=message_id,
                       body="")
    deliver(dc, msg, sender=sender)
    return msg


def csat(dc, n):
    out = dc.doveadm("-f", "json", "helpdesk", "ticket", "show", str(n)).stdout
    return json.loads(out)[0].get("csat")


def csat_checks(t, dc, box):
    box.new()
    m = make_message(subject="Cannot log in", sender="ann@customer.example")
    deliver(dc, m, sender="ann@customer.example")
    n = ticket_of(queue_msg(dc, m))
    box.new(wait=3)                         # the acknowledgement
    uid = queue_msg(dc, m)["uid"]
    with dc.imap("alice") as c:
        c.select(QUEUE)
        c.uid("STORE", str(uid), "+FLAGS", "(hd-claim)")
        typ, dat = c.uid("STORE", str(uid), "+FLAGS", "(hd-resolved)")
    t.eq(typ, "OK", "alice resolves the ticket over IMAP")
    sent = box.new(wait=5)
    t.eq(len(sent), 1, "resolving sends exactly one rating request")
    if not sent:
        return
    argv, req = sent[0]
    t.ok(argv.endswith("-f <> -- ann@customer.example"), "to the customer, null return path",
         argv)
    t.ok(("[#%s]" % n) in req["Subject"], "its subject has [#N]", req["Subject"])
    links = rating_links(req)
    t.eq(sorted(links), [1, 2, 3, 4, 5], "five mailto: links, one per score")
    t.ok(all(re.fullmatch(r"support\+rate-%s-\d+-%d-[0-9a-f]{16}@example\.com" % (n, s), a)
             and len(a.split("@")[0]) <= 64 for s, a in links.items()),
         "each a signed sub-address of the support address (local part <= 64)", links)

    # a rating arrives
    r1 = rate(dc, links[4])
    t.eq(csat(dc, n), "4", "a rating of 4: ticket show csat 4")
    q = queue_msg(dc, r1)
    t.ok(q is not None and ticket_of(q) is None and hd_keywords(q) == {"hd-rating"},
         "the rating mail: in the queue with hd-rating only, no ticket",
         q and sorted(hd_keywords(q)))
    t.eq([tuple(str(v) for v in r) for r in dc.sql(
        "SELECT kind, actor, detail FROM hd_events WHERE ticket_id = ? AND kind = 'rated'", (n,))],
         [("rated", "alice", "4")], "a 'rated' event: the owner at resolution, 4")
    tickets_before = dc.sql("SELECT COUNT(*) FROM hd_tickets")

    # a later one for the same resolution replaces it
    rate(dc, links[2])
    t.eq(csat(dc, n), "2", "a later rating of the same resolution replaces it: csat 2")
    t.eq(dc.sql("SELECT COUNT(*) FROM hd_ratings WHERE ticket_id = ?", (n,)), [(1,)],
         "one rating per resolution in hd_ratings")
    # the same mail again: nothing changes
    deliver(dc, r1, sender="ann@customer.example")
    t.eq(csat(dc, n), "2", "the first rating mail delivered again changes nothing")

    # forged, altered, another ticket's
    since = dc.log_mark()
    user, domain = links[5].split("@")
    parts = user.split("-")
    forged_sig = "-".join(parts[:4] + ["0123456789abcdef"]) + "@" + domain
    other = "-".join([parts[0], str(int(parts[1]) + 1)] + parts[2:]) + "@" + domain
    for addr, what in ((forged_sig, "a forged signature"),
                       (links[1].replace("-1-", "-5-", 1), "an altered score"),
                       (other, "another ticket's number")):
        rate(dc, addr)
        t.eq(csat(dc, n), "2", "%s is ignored: csat stays 2" % what)
    log = dc.log(since)
    t.ok(log.count("bad signature") >= 3, "each is logged (bad signature)", log[-2000:])
    t.eq(dc.sql("SELECT COUNT(*) FROM hd_tickets"), tickets_before,
         "no rating mail opened a ticket")

    # reopen, resolve again: the old links are replays
    with dc.imap("alice") as c:
        c.select(QUEUE)
        c.uid("STORE", str(uid), "-FLAGS", "(hd-resolved)")
        c.uid("STORE", str(uid), "+FLAGS", "(hd-resolved)")
    sent = box.new(wait=5)
    t.eq(len(sent), 1, "resolved again: a new rating request")
    new_links = rating_links(sent[0][1]) if sent else {}
    t.ok(new_links and new_links[5] != links[5], "with new links (another resolution)")
    since = dc.log_mark()
    rate(dc, links[5])
    t.ok("rating ignored (replayed)" in dc.log(since),
         "an old resolution's link: ignored and logged as replayed")
    t.eq(csat(dc, n), "2", "and csat is unchanged")
    if new_links:
        rate(dc, new_links[5])
        t.eq(csat(dc, n), "5", "the new resolution's rating counts: csat 5")

    # the store away while a rating arrives: the mail waits as
    # hd-pending, nothing is lost; reconcile records it later
    m2 = make_message(subject="Second problem", sender="ann@customer.example")
    deliver(dc, m2, sender="ann@customer.example")
    n2 = ticket_of(queue_msg(dc, m2))
    uid2 = queue_msg(dc, m2)["uid"]
    box.new(wait=3)
    with dc.imap("alice") as c:
        c.select(QUEUE)
        c.uid("STORE", str(uid2), "+FLAGS", "(hd-claim)")
        c.uid("STORE", str(uid2), "+FLAGS", "(hd-resolved)")
    sent = box.new(wait=5)
    links2 = rating_links(sent[0][1]) if sent else {}
    t.ok(bool(links2), "a second ticket resolved: its rating request")
    if links2:
        with dc.store_away():
            r = dc.deliver(make_message(subject="Rating", sender="ann@customer.example",
                                        to=links2[3], body=""),
                           rcpt=SUPPORT, sender="ann@customer.example")
        q = [m for m in dc.queue("alice") if m["headers"].get("To", "").strip() == links2[3]]
        t.ok(r.ok and len(q) == 1 and hd_keywords(q[0]) == {"hd-pending"},
             "a rating while the store is away: delivered as hd-pending",
             "%r %r" % (r, q and sorted(hd_keywords(q[0]))))
        dc.doveadm("helpdesk", "reconcile", "-u", "support")
        q = [m for m in dc.queue("alice") if m["headers"].get("To", "").strip() == links2[3]]
        t.ok(csat(dc, n2) == "3" and len(q) == 1 and hd_keywords(q[0]) == {"hd-rating"},
             "reconcile records it later: csat 3, the message hd-rating",
             "%r %r" % (csat(dc, n2), q and sorted(hd_keywords(q[0]))))

    # stats: alice's average and response rate
    out = dc.doveadm("-f", "json", "helpdesk", "stats").stdout
    rows = {(r["scope"], r["name"]): r for r in json.loads(out)}
    a = rows.get(("agent", "alice"), {})
    t.ok((a.get("csat_average"), a.get("csat_response_rate")) == ("3.33", "100.0"),
         "stats: alice's csat_average 3.33 (2, 5 and 3), response rate 100.0",
         lambda: "%r\n%r\n%r" % (a, dc.sql(
             "SELECT ticket_id, actor, detail, created FROM hd_events "
             "WHERE kind = 'csat-requested'"),
             dc.sql("SELECT ticket_id, resolution, score, owner, created FROM hd_ratings")))


def vip_checks(t, dc):
    """doveadm helpdesk vip add|remove|list: what the Sieve extension's
    helpdesk_vip test reads (tests/integration/test_sieve_ext.py)."""
    r = dc.doveadm("helpdesk", "vip", "add", "-n", "key account", "BigCorp.Example")
    t.eq(r.returncode, 0, "vip add BigCorp.Example: OK")
    dc.doveadm("helpdesk", "vip", "add", "ceo@smallshop.example")
    r = dc.doveadm("helpdesk", "vip", "add", "BigCorp.Example", "-n", "again")
    t.eq(r.returncode, 0, "adding it again: OK (the note is replaced)")
    rows = json.loads(dc.doveadm("-f", "json", "helpdesk", "vip", "list").stdout)
    t.eq([(v["entry"], v["note"]) for v in rows],
         [("bigcorp.example", "again"), ("ceo@smallshop.example", "")],
         "vip list: both, in lower case, by entry")
    for bad in ("not an address", "@nobody.example", "a..b", "x@", "x@y@z", "x y@z.example",
                "a" * 300):
        before = dc.sql("SELECT entry FROM hd_vips ORDER BY entry")
        r = dc.doveadm("helpdesk", "vip", "add", bad, check=False)
        t.ok(r.returncode == 64 and "invalid entry" in r.stderr and
             dc.sql("SELECT entry FROM hd_vips ORDER BY entry") == before,
             "vip add %r: refused (64) with a clear error, nothing stored" % bad[:20],
             "%d %s" % (r.returncode, r.stderr))
    r = dc.doveadm("helpdesk", "vip", "remove", "nobody.example", check=False)
    t.ok(r.returncode == 68 and "is not listed" in r.stderr,
         "vip remove of an entry not listed: 68", r.stderr)
    r = dc.doveadm("helpdesk", "vip", "remove", "CEO@smallshop.example")
    t.eq(dc.sql("SELECT entry FROM hd_vips ORDER BY entry"), [("bigcorp.example",)],
         "vip remove (any case): gone from the store")


def late_ack(t):
    """A new ticket's mail that arrives while the store is away gets its
    acknowledgement when a later delivery's reconcile opens the ticket.
    A Dovecot of its own: after a PostgreSQL outage a delivery process
    files its first mail as pending again, which would disturb the other
    checks' timing."""
    dc = Dovecot(settings={"helpdesk_ack": "yes", "helpdesk_support_address": SUPPORT})
    box = dc.capture_outgoing()
    try:
        dc.start()
        deliver(dc, make_message(subject="Before", sender="first@customer.example"),
                sender="first@customer.example")
        box.new(wait=3)
        # the store away: the message waits as hd-pending, no
        # acknowledgement yet; the next delivery's reconcile opens its ticket
        # and the customer is told its number then
        m8a = make_message(subject="During the outage", sender="olga@customer.example")
        with dc.store_away():
            r = dc.deliver(m8a, rcpt=SUPPORT, sender="olga@customer.example")
        t.ok(r.ok and len(box.new(wait=1)) == 0,
             "a new ticket's mail while the store is away: delivered, no acknowledgement yet")
        # (a delivery process whose PostgreSQL connection broke in the outage
        # files its first mail as pending again: try a few)
        sent, n8a = [], None
        for i in range(4):
            deliver(dc, make_message(subject="After the outage %d" % i,
                                     sender="paul%d@customer.example" % i),
                    sender="paul%d@customer.example" % i)
            sent += box.new(wait=3)
            q = queue_msg(dc, m8a)
            n8a = q and ticket_of(q)
            if n8a is not None:
                break
        time.sleep(0.5)
        sent += box.new()
        to_olga = [str(a["Subject"]) for _, a in sent
                   if email.utils.parseaddr(str(a["To"]))[1] == "olga@customer.example"]
        t.ok(n8a is not None and len(to_olga) == 1 and ("[#%s]" % n8a) in to_olga[0],
             "a later delivery reconciles it: its ticket is opened and acknowledged then",
             "%r %r" % (n8a, [(str(a["To"]), str(a["Subject"])) for _, a in sent]))
    finally:
        dc.stop()
        dc.cleanup()


def bad_settings(t):
    dc = Dovecot(settings={"helpdesk_ack": "yes", "helpdesk_support_address": SUPPORT,
                           "helpdesk_ack_template": "/nonexistent/ack.txt",
                           "helpdesk_csat": "yes"})
    box = dc.capture_outgoing()
    tpl = os.path.join(dc.root, "bad.txt")
    try:
        if not plugin_or_skip(t, "bad settings"):
            return
        dc.start()
        m = make_message(subject="Settings are broken", sender="zed@customer.example")
        r = dc.deliver(m, rcpt=SUPPORT, sender="zed@customer.example")
        t.ok(r.ok and ticket_of(queue_msg(dc, m)) is not None,
             "broken customer-mail settings: the mail is still filed as a ticket")
        t.eq(len(box.new(wait=1.5)), 0, "and nothing is sent")
        log = dc.log()
        t.ok("acknowledgements off: helpdesk_ack_template: open(/nonexistent/ack.txt)" in log,
             "a missing template is logged clearly")
        t.ok("ratings off: helpdesk_csat needs helpdesk_csat_secret" in log,
             "CSAT without a secret is refused, logged clearly")
        since = dc.log_mark()
        r = rate(dc, "support+rate-1-2-3-0123456789abcdef@example.com",
                 sender="zed@customer.example")
        q = queue_msg(dc, r)
        t.ok(q is not None and ticket_of(q) is None and hd_keywords(q) == {"hd-rating"},
             "a rating mail without a secret to check it: still no ticket (hd-rating)",
             q and sorted(hd_keywords(q)))
        t.ok("helpdesk_csat_secret is not set" in dc.log(since),
             "and the log says it could not be checked")
        dc.stop()
        with open(tpl, "w") as f:
            f.write("Subject: [#${ticket}] ${subjekt}\n\nHello\n")
        os.chmod(tpl, 0o644)
        dc.settings["helpdesk_ack_template"] = tpl
        dc.start()
        m = make_message(subject="Typo in the template", sender="zed@customer.example")
        deliver(dc, m, sender="zed@customer.example")
        t.eq(len(box.new(wait=1.5)), 0, "a template that does not parse: nothing sent")
        t.ok("line 1: unknown variable '${subjekt}'" in dc.log(),
             "and the log says where and what", dc.log()[-1500:])
    finally:
        dc.stop()
        dc.cleanup()


def main():
    t = Tap()
    dc = Dovecot(settings={"helpdesk_ack": "yes", "helpdesk_support_address": SUPPORT,
                           "helpdesk_csat": "yes", "helpdesk_csat_secret": SECRET})
    box = dc.capture_outgoing()
    try:
        if plugin_or_skip(t, "customer mail"):
            dc.start()
            ack_checks(t, dc, box)
            csat_checks(t, dc, box)
            vip_checks(t, dc)
    finally:
        dc.stop()
        dc.cleanup()
    if plugin_or_skip(t, "late acknowledgement"):
        late_ack(t)
    bad_settings(t)
    return t.done()


if __name__ == "__main__":
    sys.exit(main())
