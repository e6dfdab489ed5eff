#!/usr/bin/python3
"""The dovecot-helpdesk demo: a private Dovecot on 127.0.0.1 with the
plugin and the Sieve route, sample support mail delivered over LMTP, and
what agents alice and bob see over IMAP.  --keep leaves it running."""

import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "tests", "lib"))
import hdtest  # noqa: E402

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


def main():
    keep = "--keep" in sys.argv[1:]
    root = os.environ.get("HD_DEMO_ROOT")
    dc = hdtest.Dovecot(root=root)
    if not dc.plugin:
        sys.exit("demo: HD_PLUGIN is not set (run scripts/demo.sh)")
    dc.start()
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

    for user in ("alice", "bob"):
        print("\nPublic/Queue as agent %s sees it over IMAP:" % user)
        print("  %-4s %-6s %-42s %s" % ("UID", "TICKET", "KEYWORDS",
                                        "SUBJECT"))
        for msg in dc.queue(user):
            print("  %-4s %-6s %-42s %s" % (
                msg["uid"], msg["headers"].get("X-Helpdesk-Ticket", "-"),
                " ".join(sorted(k for k in msg["keywords"])),
                msg["subject"][:60]))

    print("\n$ doveadm helpdesk ticket list")
    print(dc.doveadm("helpdesk", "ticket", "list").stdout)
    print("$ doveadm helpdesk ticket show 1")
    print(dc.doveadm("helpdesk", "ticket", "show", "1").stdout)

    errors = dc.log_errors()
    if errors:
        print("Errors in the Dovecot log:\n  " + "\n  ".join(errors))
    if keep:
        print("Dovecot keeps running: connect an IMAP client to 127.0.0.1:%d"
              " as alice/pass or bob/pass.  Ctrl-C stops it." % dc.imap_port)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass
    dc.stop()
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
