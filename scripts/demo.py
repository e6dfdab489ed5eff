#!/usr/bin/python3
"""The dovecot-helpdesk demo: a private Dovecot on 127.0.0.1 with the
plugin and the Sieve route, sample support mail delivered over LMTP, what
agents alice and bob see over IMAP, then a day's agent workflow done the
way mail clients do it (keywords, a reply in Sent, a MOVE) and what the
store and doveadm make of it.  --keep leaves it running."""

import email
import email.policy
import os
import re
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "tests", "lib"))
import hdtest  # noqa: E402
from rawimap import metadata  # noqa: E402

REPO = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
OUTBOX = None   # the captured outgoing mail (main())

SAMPLES = [
    dict(subject="Printer on fire", sender="dana@customer.example",
         message_id="<demo-1@customer.example>",
         body="The printer on floor 3 is smoking. Please help.\r\n"),
    dict(subject="URGENT: mail server down", sender="ops@vip.example.net",
         message_id="<demo-2@vip.example.net>",
         body="Nobody can send mail since 9:00.\r\n"),
    dict(subject="Invoice 2026-117 is wrong", sender="erin@shop.example",
         to="support+billing@example.com",
         message_id="<demo-3@shop.example>",
         body="We were charged twice.\r\n"),
    dict(subject="Re: Printer on fire", sender="dana@customer.example",
         message_id="<demo-4@customer.example>",
         in_reply_to="<demo-1@customer.example>",
         references="<demo-1@customer.example>",
         body="It is now also beeping.\r\n"),
    dict(subject="Automatic reply: Invoice 2026-117 is wrong",
         sender="erin.boss@shop.example", message_id="<demo-5@shop.example>",
         extra_headers=[("Auto-Submitted", "auto-replied")],
         body="I am out of the office until Monday.\r\n"),
    dict(subject="Re: [#1] Printer on fire", sender="mallory@elsewhere.example",
         message_id="<demo-6@elsewhere.example>",
         body="Typing someone else's ticket number joins nothing.\r\n"),
]


def show_queue(dc, user, title):
    print("\n%s (Public/Queue as %s sees it over IMAP):" % (title, user))
    print("  %-4s %-6s %-62s %s" % ("UID", "TICKET", "KEYWORDS", "SUBJECT"))
    for msg in dc.queue(user):
        print("  %-4s %-6s %-62s %s" % (
            msg["uid"], msg["headers"].get("X-Helpdesk-Ticket", "-"),
            " ".join(sorted(k for k in msg["keywords"])),
            msg["subject"][:40]))


def uid_of(dc, message_id):
    return [m["uid"] for m in dc.queue("carol")
            if m["message_id"] == message_id][0]


def store(dc, user, message_id, op, flags):
    uid = uid_of(dc, message_id)
    with dc.imap(user) as c:
        c.select("Public/Queue")
        c.untagged_responses.pop("NO", None)
        typ, dat = c.uid("STORE", str(uid), op, "(%s)" % flags)
        # what the agent's client shows: the helpdesk's [ALERT]s
        alerts = [a.decode() for a in c.untagged_responses.pop("NO", [])
                  if a.startswith(b"[ALERT]")]
    answer = dat[0].decode() if dat and isinstance(dat[0], bytes) else ""
    print("  %-6s UID STORE %s %s (%s) -> %s %s" % (
        user, uid, op, flags, typ,
        answer if typ != "OK" else ""))
    for alert in alerts:
        print("         the client shows: %s" % alert)


def workflow(dc):
    print("\n== The agent workflow")
    for args in (("team", "add", "-t", "2", "-d", "Second line", "second-line"),
                 ("agent", "add", "-a", "alice@example.com", "alice"),
                 ("agent", "add", "-a", "bob@example.com", "-t",
                  "second-line", "bob"),
                 ("agent", "add", "-l", "carol")):
        print("$ doveadm helpdesk " + " ".join(args))
        dc.doveadm("helpdesk", *args)
    print("\nAgents act from their mail clients:")
    store(dc, "alice", "<demo-1@customer.example>", "+FLAGS", "hd-claim")
    store(dc, "bob", "<demo-1@customer.example>", "+FLAGS", "hd-claim")
    store(dc, "bob", "<demo-1@customer.example>", "-FLAGS", "hd-owner-alice")
    store(dc, "bob", "<demo-2@vip.example.net>", "+FLAGS", "hd-claim")
    store(dc, "bob", "<demo-2@vip.example.net>", "+FLAGS",
          "hd-prio-urgent hd-escalate")
    store(dc, "carol", "<demo-3@shop.example>", "+FLAGS", "hd-owner-alice")
    store(dc, "support", "<demo-3@shop.example>", "+FLAGS", "hd-claim")
    reply = hdtest.make_message(
        subject="Re: [#1] Printer on fire", sender="alice@example.com",
        to="dana@customer.example",
        in_reply_to="<demo-4@customer.example>",
        references="<demo-1@customer.example> <demo-4@customer.example>",
        body="Please pull the plug, a technician is on the way.\r\n")
    with dc.imap("alice") as c:
        typ, _ = c.append("Sent", None, None, reply)
    print("  alice  APPEND Sent (her reply to ticket 1) -> %s" % typ)
    res = dc.deliver(hdtest.make_message(
        subject="Re: [#3] Invoice 2026-117 is wrong", sender="alice@example.com",
        to="erin@shop.example", cc="support@example.com",
        in_reply_to="<demo-3@shop.example>",
        body="We refunded the second charge.\r\n"),
        sender="alice@example.com")
    print("  alice  reply-all to ticket 3 reaches the queue -> %d" % res.code)
    with dc.imap("alice") as c:
        c.select("Public/Queue")
        uid = uid_of(dc, "<demo-1@customer.example>")
        typ, _ = c.uid("MOVE", str(uid), "Public/Resolved")
    print("  alice  UID MOVE %s Public/Resolved (resolves ticket 1) -> %s"
          % (uid, typ))
    rating(dc)
    res = dc.deliver(hdtest.make_message(
        subject="Re: [#1] Printer on fire", sender="dana@customer.example",
        in_reply_to="<demo-1@customer.example>",
        body="Thanks! But now it smells funny.\r\n"),
        sender="dana@customer.example")
    print("  dana   answers ticket 1 again (reopens it) -> %d" % res.code)

    sla_and_routing(dc)
    show_queue(dc, "bob", "After the workflow")
    for user in ("alice", "bob"):
        print("\n%s's views:" % user)
        with dc.imap(user) as c:
            for view in ("Helpdesk/Mine", "Helpdesk/Unassigned",
                         "Helpdesk/Waiting on customer", "Helpdesk/At risk"):
                typ, dat = c.select('"%s"' % view, readonly=True)
                typ, dat = c.fetch("1:*", "(BODY.PEEK[HEADER.FIELDS "
                                   "(X-Helpdesk-Ticket)])") \
                    if typ == "OK" and dat[0] != b"0" else ("OK", [])
                nums = sorted({int(x[1].split(b":")[1]) for x in dat
                               if isinstance(x, tuple)})
                print("  %-30s tickets %s" % (view, nums or "-"))
    print("\n$ doveadm helpdesk ticket list")
    print(dc.doveadm("helpdesk", "ticket", "list").stdout)
    print("$ doveadm helpdesk ticket show 1")
    print(dc.doveadm("helpdesk", "ticket", "show", "1").stdout)
    print("$ doveadm helpdesk agent list")
    print(dc.doveadm("helpdesk", "agent", "list").stdout)
    print("$ doveadm helpdesk client-config neomutt   (the agents' neomuttrc;"
          " `... thunderbird` prints their Thunderbird tags)")
    print(dc.doveadm("helpdesk", "client-config", "neomutt").stdout)
    print("Who did what (the store's event ledger, by agent):")
    db = dc.db()
    for actor, kinds in db.execute(
            "SELECT actor, group_concat(kind, ', ') FROM (SELECT actor, "
            "kind FROM hd_events WHERE actor NOT LIKE '%@%' ORDER BY id) "
            "GROUP BY actor ORDER BY actor"):
        print("  %-8s %s" % (actor, kinds))
    db.close()


def vip_by_sieve(dc):
    """A VIP listed with doveadm is routed as VIP by the shipped Sieve
    script, through the extension vnd.dovecot.helpdesk."""
    print("\n$ doveadm helpdesk vip add -n 'key account' acme.example")
    dc.doveadm("helpdesk", "vip", "add", "-n", "key account", "acme.example")
    res = dc.deliver(hdtest.make_message(
        subject="Our license server rejects every login",
        sender="it@hq.acme.example", message_id="<demo-vip@hq.acme.example>"),
        sender="it@hq.acme.example")
    kws = [sorted(m["keywords"]) for m in dc.queue("alice")
           if m["message_id"] == "<demo-vip@hq.acme.example>"]
    print("  it@hq.acme.example writes -> %d; the Sieve script's "
          "helpdesk_vip test: %s" % (res.code, " ".join(kws[0]) if kws else "-"))
    OUTBOX.new(wait=3)


def rating(dc):
    """The customer of the resolved ticket 1 gets a rating request and
    clicks "5": their client sends a mail to the link's address."""
    sent = OUTBOX.new(wait=5)
    if not sent:
        print("  (no rating request was sent)")
        return
    argv, msg = sent[0]
    text = hdtest.body_text(msg)
    print("\nThe rating request to %s (%s):" % (msg["To"], msg["Subject"]))
    print("\n".join("    | " + line for line in text.splitlines()[:12]))
    link = re.search(r"5 - [a-z ]+:\s+mailto:([^?\s]+)", text)
    if link:
        res = dc.deliver(hdtest.make_message(
            subject="Rating 5", sender="dana@customer.example",
            to=link.group(1), body=""), sender="dana@customer.example")
        show = dc.doveadm("-f", "flow", "helpdesk", "ticket", "show",
                          "1").stdout
        csat = re.search(r"csat=(\S*)", show)
        print("  dana clicks 5 and sends -> %d; ticket 1 csat=%s" %
              (res.code, csat.group(1) if csat else "?"))


def sla_and_routing(dc):
    print("\n== Routing and SLA clocks (the demo's targets are seconds long)")
    for args in (("team", "add", "-m", "round-robin", "-d", "Network team",
                  "network"),
                 ("agent", "add", "-a", "alice@example.com", "-t", "network",
                  "alice"),
                 ("agent", "add", "-l", "-t", "network", "carol")):
        print("$ doveadm helpdesk " + " ".join(args))
        dc.doveadm("helpdesk", *args)
    for i, subject in enumerate(("VPN drops every hour", "Switch port 12 dead")):
        res = dc.deliver(hdtest.make_message(
            subject=subject, sender="frank@branch.example",
            message_id="<demo-net-%d@branch.example>" % i),
            rcpt="support+network@example.com", sender="frank@branch.example")
        owner = [k for m in dc.queue("carol") if m["message_id"] ==
                 "<demo-net-%d@branch.example>" % i for k in m["keywords"]
                 if k.startswith("hd-owner-")]
        print("  %-28s to support+network -> %d, handed to %s" %
              (subject, res.code, owner[0][len("hd-owner-"):] if owner else "-"))
    # ticket 2 is urgent and VIP: its first response is due 3 s after it
    # came in, and nobody has answered it
    time.sleep(max(0, dc.sql("SELECT created FROM hd_tickets WHERE id = 2")[0][0]
                   + 4 - time.time()))
    print("\n$ doveadm helpdesk sweep -u support    (a timer runs it every "
          "minute)")
    print(dc.doveadm("helpdesk", "sweep", "-u", "support").stdout)
    print("$ doveadm helpdesk ticket list -s breach")
    print(dc.doveadm("helpdesk", "ticket", "list", "-s", "breach").stdout)
    print("$ doveadm -f flow helpdesk ticket show 2   (SLA fields)")
    show = dc.doveadm("-f", "flow", "helpdesk", "ticket", "show", "2").stdout
    print("  " + " ".join(w for w in show.split(" ") if "=" in w and
                          w.split("=")[0] in
                          ("ticket", "priority", "vip", "sla", "first_response_due",
                           "resolution_due", "first_response_at")))
    print("\n$ doveadm helpdesk stats -p day")
    print(dc.doveadm("helpdesk", "stats", "-p", "day").stdout)


def notifier_status(dc):
    """alice's desktop notifier, asked for her standing (--status needs no
    desktop): a four-line configuration."""
    binary = os.path.join(REPO, "desktop-notifier", "helpdesk-notifier")
    if not os.access(binary, os.X_OK):
        print("(helpdesk-notifier is not built: configure found no GLib/libnotify)")
        return
    conf = os.path.join(dc.root, "notifier.conf")
    with open(conf, "w") as f:
        f.write("[server]\nhost = 127.0.0.1\nport = %d\nuser = alice\n"
                "password_command = echo pass\nsecurity = none\n" % dc.imap_port)
    print("\n$ helpdesk-notifier --status     (alice's desktop notifier; %s:)" % conf)
    print("    " + open(conf).read().replace("\n", "\n    ").rstrip())
    p = subprocess.run([binary, "--config", conf, "--status"], capture_output=True,
                       text=True, timeout=60)
    print(p.stdout + p.stderr)


def game(dc):
    print("\n== The game: points from the ledger, levels, badges, the leaderboard")
    print("$ doveadm helpdesk leaderboard -p week")
    print(dc.doveadm("helpdesk", "leaderboard", "-p", "week").stdout)
    print("$ doveadm -f flow helpdesk agent stats alice")
    print(dc.doveadm("-f", "flow", "helpdesk", "agent", "stats", "alice").stdout)
    tagged, vals = metadata(dc.imap_port, "alice",
                            'GETMETADATA "" /private/vendor/vendor.helpdesk/stats')
    print("alice's mail client: GETMETADATA \"\" "
          "/private/vendor/vendor.helpdesk/stats\n  %s" % (vals[0] if vals else tagged))
    notifier_status(dc)
    print("\n$ doveadm helpdesk report -p week -c --deliver   (Monday's timer "
          "sends the week that ended)")
    print(dc.doveadm("helpdesk", "report", "-p", "week", "-c", "--deliver").stdout)
    with dc.imap("carol") as c:
        c.select("INBOX")
        typ, dat = c.search(None, "HEADER", "Auto-Submitted", "auto-generated")
        if dat[0]:
            typ, dat = c.fetch(dat[0].split()[-1], "(RFC822)")
            msg = email.message_from_bytes(dat[0][1], policy=email.policy.default)
            print("carol's INBOX: %s\n%s" % (msg["Subject"], "\n".join(
                "    | " + line for line in
                msg.get_body(("plain",)).get_content().splitlines()[:12])))


def main():
    keep = "--keep" in sys.argv[1:]
    root = os.environ.get("HD_DEMO_ROOT")
    dc = hdtest.Dovecot(root=root, mail_plugins=("virtual",),
                        settings={"helpdesk_resolved_mailbox":
                                  "Public/Resolved",
                                  "helpdesk_views": "Helpdesk/",
                                  # seconds, so that the demo shows a
                                  # breach (the defaults are hours)
                                  "helpdesk_sla_first_response":
                                  "urgent=6s high=4h normal=8h low=1d",
                                  "helpdesk_sla_warn": "50pct",
                                  # the mail to customers, captured in
                                  # ROOT/outbox instead of being sent
                                  "helpdesk_support_address":
                                  "support@example.com",
                                  "helpdesk_ack": "yes",
                                  "helpdesk_csat": "yes",
                                  "helpdesk_csat_secret":
                                  "demo-secret-0123456789abcdef"})
    dc.extra_config = hdtest.VIEWS_NAMESPACE + \
        "protocol imap {\n  imap_metadata = yes\n}\n"
    global OUTBOX
    OUTBOX = dc.capture_outgoing()
    # the Sieve extension vnd.dovecot.helpdesk, from the build
    sieve_so = os.path.join(os.path.dirname(dc.plugin or ""), "..", "..",
                            "sieve", ".libs", "lib90_sieve_helpdesk_plugin.so")
    if os.path.isfile(sieve_so):
        own = os.path.join(dc.root, "sieve-modules")
        os.makedirs(own, exist_ok=True)
        os.chmod(own, 0o755)
        shutil.copy2(sieve_so, own)
        dc.settings["sieve_plugins"] = "sieve_helpdesk"
        dc.settings["sieve_plugin_dir"] = own
        dc.settings["sieve_global_extensions"] = "+vnd.dovecot.helpdesk"
    if not dc.plugin:
        sys.exit("demo: HD_PLUGIN is not set (run scripts/demo.sh)")
    dc.start()
    dc.create_mailbox("Public/Resolved")
    print("Private Dovecot with the helpdesk plugin on 127.0.0.1: "
          "IMAP port %d, LMTP port %d" % (dc.imap_port, dc.lmtp_port))
    print("Root %s, store %s\n" % (dc.root, dc.db_path))

    print("Delivering %d sample messages to support@example.com over LMTP:"
          % len(SAMPLES))
    for sample in SAMPLES:
        sample = dict(sample)
        to = sample.get("to", "support@example.com")
        res = dc.deliver(hdtest.make_message(**sample), rcpt=to,
                         sender=sample["sender"])
        print("  %-45.45s -> %d %s" % (sample["subject"], res.code,
                                       res.message))

    acks = OUTBOX.new(wait=3)
    print("\nAcknowledgements sent (sendmail_path, captured in %s): %d"
          % (OUTBOX.dir, len(acks)))
    for argv, msg in acks[:1]:
        print("  sendmail %s\n  Subject: %s\n  In-Reply-To: %s\n  "
              "Auto-Submitted: %s\n%s" % (
                  argv, msg["Subject"], msg["In-Reply-To"],
                  msg["Auto-Submitted"],
                  "\n".join("    | " + line for line in
                            hdtest.body_text(msg).splitlines())))
    if "sieve_plugins" in dc.settings:
        vip_by_sieve(dc)
    for user in ("alice", "bob"):
        show_queue(dc, user, "New tickets")
    workflow(dc)
    game(dc)

    errors = dc.log_errors()
    if errors:
        print("Errors in the Dovecot log:\n  " + "\n  ".join(errors))
    if keep:
        tags = os.path.join(dc.root, "thunderbird-user.js")
        with open(tags, "w") as f:
            f.write(dc.doveadm("helpdesk", "client-config", "thunderbird").stdout)
        print("Dovecot keeps running: connect an IMAP client to 127.0.0.1:%d"
              " as alice/pass or bob/pass (Thunderbird: copy %s into the"
              " profile as user.js for the tags).  Ctrl-C stops it."
              % (dc.imap_port, tags))
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass
    dc.stop()
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
