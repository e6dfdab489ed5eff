#!/usr/bin/python3
"""A customer rates a resolved ticket from Thunderbird with one click
(issue 15's rating by mail, end to end with real parts):

* dana@example.com mails support; the private Dovecot (plugin, shipped
  Sieve script, helpdesk_ack and helpdesk_csat on) files it as ticket N;
* alice claims and resolves it over IMAP; the rating request the plugin
  sends through sendmail_path is captured and delivered to dana's INBOX
  over LMTP;
* Thunderbird (Debian 12's, under Xvfb, a fresh profile with dana's
  account whose SMTP server is a small relay run by this test) shows the
  request: its five mailto: links are clickable anchors in the message
  pane;
* a mouse click (XTEST, through the X server) on the score-4 link opens
  Thunderbird's compose window with To and Subject taken from the link;
* the Send button (another XTEST click) sends it over SMTP to the relay,
  which hands it to the Dovecot's LMTP for the RCPT TO it got;
* doveadm helpdesk ticket show N has csat 4, and the rating mail is in
  the queue with hd-rating and no ticket.

TAP output; skipped without thunderbird and Xvfb.  Run as root:

  cd tests && HD_PLUGIN=../plugin/.libs/lib20_helpdesk_plugin.so \\
      python3 integration/test_thunderbird_rating.py
"""

import base64
import email
import email.policy
import email.utils
import json
import os
import re
import shutil
import socketserver
import sys
import threading
import time
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))

from hdtest import (HOST, Dovecot, body_text, free_port, hd_keywords, make_message,  # noqa: E402
                    msgid_of, plugin_or_skip, ticket_of)
from hdproc import poll as wait  # noqa: E402
from tap import Tap  # noqa: E402

QUEUE = "Public/Queue"
SUPPORT = "support@example.com"
CUSTOMER = "dana@example.com"
SECRET = "0123456789abcdef-test-secret"
SETTINGS = {"helpdesk_support_address": SUPPORT, "helpdesk_ack": "yes",
            "helpdesk_csat": "yes", "helpdesk_csat_secret": SECRET}
USERS = ("support", "alice", "bob", "carol", "dana")


# --------------------------------------------------------------------------
# A tiny SMTP relay: what Thunderbird sends goes to the Dovecot's LMTP
# --------------------------------------------------------------------------

class _SmtpHandler(socketserver.StreamRequestHandler):
    """RFC 5321 server side, just enough for Thunderbird: EHLO/HELO, AUTH
    PLAIN and LOGIN (any credentials are accepted and recorded), MAIL,
    RCPT, DATA, RSET, NOOP, QUIT.  At the end of DATA the message is
    delivered over LMTP to each RCPT TO (hdtest's deliver()); the reply
    is 250 only when every recipient was accepted."""

    timeout = 60

    def reply(self, text):
        self.wfile.write(text.encode("utf-8") + b"\r\n")
        self.wfile.flush()

    def line(self):
        raw = self.rfile.readline(65536)
        if not raw:
            raise EOFError
        return raw.decode("utf-8", "replace").rstrip("\r\n")

    def handle(self):
        relay = self.server.relay
        state = {"helo": None, "auth": None, "mail": None, "rcpt": []}
        self.reply("220 relay.test ESMTP ready")
        try:
            while True:
                cmdline = self.line()
                relay.log.append(("C", cmdline if not cmdline.upper().startswith("AUTH")
                                  else cmdline.split()[0:2]))
                verb = cmdline.split(" ", 1)[0].upper()
                arg = cmdline[len(verb):].strip()
                if verb == "EHLO":
                    state.update(helo=arg, mail=None, rcpt=[])
                    self.reply("250-relay.test\r\n250-AUTH PLAIN LOGIN\r\n250 8BITMIME")
                elif verb == "HELO":
                    state.update(helo=arg, mail=None, rcpt=[])
                    self.reply("250 relay.test")
                elif verb == "AUTH":
                    state["auth"] = self.auth(arg)
                    self.reply("235 2.7.0 Authentication successful")
                elif verb == "MAIL":
                    m = re.match(r"(?i)FROM:\s*<([^>]*)>", arg)
                    if not m:
                        self.reply("501 5.5.4 Syntax: MAIL FROM:<address>")
                        continue
                    state.update(mail=m.group(1), rcpt=[])
                    self.reply("250 2.1.0 Ok")
                elif verb == "RCPT":
                    m = re.match(r"(?i)TO:\s*<([^>]+)>", arg)
                    if state["mail"] is None or not m:
                        self.reply("503 5.5.1 MAIL first" if state["mail"] is None
                                   else "501 5.5.4 Syntax: RCPT TO:<address>")
                        continue
                    state["rcpt"].append(m.group(1))
                    self.reply("250 2.1.5 Ok")
                elif verb == "DATA":
                    if not state["rcpt"]:
                        self.reply("503 5.5.1 RCPT first")
                        continue
                    self.reply("354 End data with <CR><LF>.<CR><LF>")
                    data = self.data()
                    self.reply(relay.relay(dict(state), data))
                    state.update(mail=None, rcpt=[])
                elif verb == "RSET":
                    state.update(mail=None, rcpt=[])
                    self.reply("250 2.0.0 Ok")
                elif verb == "NOOP":
                    self.reply("250 2.0.0 Ok")
                elif verb == "QUIT":
                    self.reply("221 2.0.0 Bye")
                    return
                else:
                    self.reply("502 5.5.2 Command not implemented")
        except (EOFError, OSError):
            return

    def auth(self, arg):
        words = arg.split()
        mech = words[0].upper() if words else ""
        if mech == "PLAIN":
            token = words[1] if len(words) > 1 else None
            if token is None:
                self.reply("334 ")
                token = self.line()
            parts = base64.b64decode(token).split(b"\0")
            return {"mech": "PLAIN", "user": parts[1].decode(), "password": parts[2].decode()}
        if mech == "LOGIN":
            self.reply("334 " + base64.b64encode(b"Username:").decode())
            user = base64.b64decode(self.line()).decode()
            self.reply("334 " + base64.b64encode(b"Password:").decode())
            password = base64.b64decode(self.line()).decode()
            return {"mech": "LOGIN", "user": user, "password": password}
        return {"mech": mech, "user": None, "password": None}

    def data(self):
        out = []
        while True:
            raw = self.rfile.readline(1 << 20)
            if not raw:
                raise EOFError
            if raw in (b".\r\n", b".\n"):
                break
            if raw.startswith(b"."):
                raw = raw[1:]
            out.append(raw)
        return b"".join(out)


class _Server(socketserver.ThreadingMixIn, socketserver.TCPServer):
    daemon_threads = True
    allow_reuse_address = True


class SmtpRelay:
    """SmtpRelay(dc): an SMTP server on 127.0.0.1:port (free port) whose
    messages go to dc's LMTP.  .messages: one dict per DATA: helo, auth
    ({mech, user, password} or None), mail, rcpt (list), data (bytes),
    results ({rcpt: LmtpResult})."""

    def __init__(self, dc):
        self.dc = dc
        self.messages = []
        self.log = []
        self.port = free_port()
        self.server = _Server((HOST, self.port), _SmtpHandler)
        self.server.relay = self
        self.thread = threading.Thread(target=self.server.serve_forever,
                                       kwargs={"poll_interval": 0.1}, daemon=True)

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        if self.thread.is_alive():
            self.server.shutdown()
        self.server.server_close()

    def relay(self, state, data):
        try:
            results = self.dc.deliver(data, rcpt=list(state["rcpt"]), sender=state["mail"])
        except Exception as e:     # LMTP unreachable
            results = {r: None for r in state["rcpt"]}
            state["error"] = str(e)
        state.update(data=data, results=dict(results))
        self.messages.append(state)
        if all(r is not None and r.ok for r in results.values()):
            return "250 2.0.0 Ok: delivered over LMTP"
        bad = [r for r in results.values() if r is None or not r.ok]
        return "451 4.3.0 LMTP: %s" % (bad[0].message if bad[0] is not None else
                                        state.get("error"))


# --------------------------------------------------------------------------

def rating_urls(msg):
    """score -> the mailto: URL of the rating request's text."""
    return dict((int(s), url) for s, url in
                re.findall(r"(\d) - [a-z ]+:\s+(mailto:\S+)", body_text(msg)))


def ticket_show(dc, n):
    p = dc.doveadm("-f", "json", "helpdesk", "ticket", "show", str(n), check=False)
    try:
        return json.loads(p.stdout)[0]
    except (ValueError, IndexError):
        return {"error": p.stderr or p.stdout}


def scenario(t, dc, box, smtp, Thunderbird):
    from thunderbird import ThunderbirdError
    # 1. dana writes to support: ticket N, an acknowledgement to her
    m = make_message(subject="Cannot log in", sender="Dana <%s>" % CUSTOMER)
    r = dc.deliver(m, rcpt=SUPPORT, sender=CUSTOMER)
    t.ok(r.ok, "dana's mail to support is delivered over LMTP", repr(r))
    q = wait(lambda: [x for x in dc.queue("alice") if x["message_id"] == msgid_of(m)])
    n = ticket_of(q[0]) if q else None
    t.ok(n is not None, "it is ticket N in the queue", repr(q))
    uid = q[0]["uid"]
    ack = box.new(wait=5)
    t.ok(len(ack) == 1 and ack[0][0].endswith("-- " + CUSTOMER),
         "the acknowledgement goes to dana", [a[0] for a in ack])

    # 2. alice resolves it over IMAP: the rating request is sent
    with dc.imap("alice") as c:
        c.select(QUEUE)
        typ1, dat1 = c.uid("STORE", str(uid), "+FLAGS", "(hd-claim)")
        typ2, dat2 = c.uid("STORE", str(uid), "+FLAGS", "(hd-resolved)")
    show = ticket_show(dc, n)
    t.ok(typ1 == typ2 == "OK" and show.get("status") == "resolved",
         "alice claims and resolves the ticket over IMAP",
         repr((typ1, dat1, typ2, dat2, show)))
    t.ok("csat" in show and not show["csat"], "the ticket has no rating yet", repr(show))
    sent = box.new(wait=5)
    t.eq(len(sent), 1, "resolving sends one rating request")
    if not sent:
        return
    argv, req = sent[0]
    t.ok(argv.endswith("-- " + CUSTOMER), "to dana", argv)
    urls = rating_urls(req)
    t.eq(sorted(urls), [1, 2, 3, 4, 5], "its text has five mailto: links")
    if 4 not in urls:
        return
    url4 = urllib.parse.urlsplit(urls[4])
    addr4 = url4.path
    subject4 = urllib.parse.parse_qs(url4.query).get("subject", [""])[0]
    t.ok(re.fullmatch(r"support\+rate-%d-\d+-4-[0-9a-f]{16}@example\.com" % n, addr4)
         and subject4, "the score-4 link: a signed sub-address and a subject",
         repr((addr4, subject4)))

    # 3. the request into dana's INBOX
    r = dc.deliver(req.as_bytes(policy=email.policy.SMTP), rcpt=CUSTOMER, sender="")
    t.ok(r.ok, "the rating request is delivered to dana's INBOX over LMTP", repr(r))

    # 4. Thunderbird, dana's account, SMTP through the relay
    with Thunderbird(HOST, dc.imap_port, "dana", "pass", smtp_port=smtp.port) as tb:
        tb.open_folder("INBOX")
        subj = str(req["Subject"])
        rows = [x for x in tb.rows() if x["subject"] == subj]
        t.ok(len(rows) == 1, "Thunderbird lists the rating request in dana's INBOX",
             repr(tb.rows()))
        if not rows:
            return
        shown = tb.display_message(rows[0]["uid"])
        t.ok(shown["subject"] == subj and "How satisfied are you" in shown["text"],
             "the message pane displays it", repr(shown))

        links = tb.message_links()
        rating = [x for x in links if (x["href"] or "").startswith("mailto:support+rate-")]
        t.eq([x["href"] for x in rating], [urls[s] for s in (5, 4, 3, 2, 1)],
             "the displayed message has the five rating links as anchors, href = the "
             "mailto: URL of the text")
        t.ok(len(rating) == 5 and all(x["is_link"] and x["protocol"] == "mailto:" and
                                      x["visible"] and x["cursor"] == "pointer"
                                      for x in rating),
             "each is a visible, clickable mailto: link (:any-link, pointer cursor)",
             json.dumps(rating, indent=1))

        # 5. click the score-4 link
        click = tb.click_link(urls[4])
        t.ok(any(e["type"] == "click" and e["trusted"] and e["button"] == 0 and
                 e["href"] == urls[4] for e in click["events"]),
             "a mouse click (XTEST) lands on the score-4 link: a trusted click on it",
             repr(click))
        try:
            fields = tb.wait_compose(timeout=20)
        except TimeoutError as e:
            t.ok(False, "the click opens a compose window", str(e))
            return
        t.ok(True, "the click opens a compose window")
        t.eq(fields["to"], [addr4], "To: the link's address (one pill)")
        t.eq(fields["cc"] + fields["bcc"] + fields["pending"], [], "nothing else addressed")
        t.eq(fields["subject"], subject4, "Subject: the link's subject=, decoded")
        t.ok(CUSTOMER in fields["from"], "From: dana's identity", repr(fields))
        t.ok(fields["send_enabled"], "Send is enabled", repr(fields))

        # 6. send it: the Send button
        before = len(smtp.messages)
        try:
            tb.compose_send("button")
        except ThunderbirdError as e:
            t.ok(False, "the Send button sends the message and closes the compose window",
                 str(e))
            return
        t.ok(True, "the Send button sends the message and closes the compose window")
        got = smtp.messages[before:]
        t.eq(len(got), 1, "the SMTP relay received one message")
        if not got:
            return
        s = got[0]
        t.ok(s["auth"] and s["auth"]["user"] == "dana" and s["auth"]["password"] == "pass",
             "Thunderbird authenticated as dana (the stored password)", repr(s["auth"]))
        t.eq((s["mail"], s["rcpt"]), (CUSTOMER, [addr4]),
             "envelope: MAIL FROM dana, RCPT TO the score-4 address")
        msg = email.message_from_bytes(s["data"], policy=email.policy.default)
        t.ok(email.utils.parseaddr(str(msg["To"]))[1] == addr4 and
             str(msg["Subject"]) == subject4 and
             email.utils.parseaddr(str(msg["From"]))[1] == CUSTOMER,
             "the message: To the address, the link's Subject, From dana",
             repr((msg["From"], msg["To"], msg["Subject"])))
        t.ok(all(v is not None and v.ok for v in s["results"].values()),
             "the relay delivered it over LMTP", repr(s["results"]))

        # 7. the rating is recorded
        show = wait(lambda: (lambda x: x if x.get("csat") == "4" else None)(ticket_show(dc, n)),
                    timeout=10) or ticket_show(dc, n)
        t.eq(show.get("csat"), "4", "ticket show N: csat 4")
        mid = str(msg["Message-ID"] or "").strip()
        rq = [x for x in dc.queue("alice") if x["message_id"] == mid]
        t.ok(len(rq) == 1 and hd_keywords(rq[0]) == {"hd-rating"} and ticket_of(rq[0]) is None,
             "the rating mail is in the queue with hd-rating, no ticket",
             repr([(sorted(x["keywords"]), ticket_of(x)) for x in rq]))
        if os.environ.get("HD_KEEP"):
            tb.screenshot(os.path.join(dc.root, "thunderbird-rating.png"))
        t.eq(tb.alerts(), [], "Thunderbird showed no alert")


def main():
    t = Tap()
    if plugin_or_skip(t, "Thunderbird rating test") is None:
        return t.done()
    if not shutil.which("thunderbird") or not shutil.which("Xvfb"):
        t.skip("Thunderbird under Xvfb", "thunderbird or Xvfb not installed")
        return t.done()
    from thunderbird import Thunderbird
    dc = Dovecot(settings=SETTINGS, users=USERS)
    box = dc.capture_outgoing()
    smtp = SmtpRelay(dc)
    try:
        dc.start()
        smtp.start()
        with t.check("Thunderbird rating scenario runs to the end"):
            scenario(t, dc, box, smtp, Thunderbird)
        t.eq(dc.log_errors(), [], "no Error/Panic/Fatal in the log")
    finally:
        smtp.stop()
        dc.cleanup()
    return t.done()


if __name__ == "__main__":
    sys.exit(main())
