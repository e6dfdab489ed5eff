#!/usr/bin/python3
"""helpdesk-notifier, the real binary, against a private Dovecot with the
plugin, on a private session bus (dbus-run-session) with a recording
notification daemon (python3-dbusmock's notification_daemon template).
Agents act over IMAP; the test asserts the Notify calls the notifier
makes (summary, body, urgency, category, actions, replaces_id), presses
its buttons through D-Bus as the notification server would, restarts
Dovecot under it, runs --status and --once, and checks certificate and
configuration refusals.

$HD_VALGRIND: the notifier runs under valgrind (leaks of our own and
memory errors fail the run). $HD_NOTIFIER: the binary (default: the
build tree's)."""

import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))

from hdtest import Dovecot, make_message, msgid_of, plugin_or_skip, ticket_of  # noqa: E402
from notifierlib import K, MOCK_IFACE, VALGRIND, Daemon, FakeLogind, Notifier, \
    Proxy, binary, run_on_private_bus  # noqa: E402
from tap import Tap  # noqa: E402

QUEUE = "Public/Queue"
USERS = ("support", "alice", "bob", "carol")
METADATA_CONFIG = "protocol imap {\n  imap_metadata = yes\n}\n"
SETTINGS = {
    "helpdesk_timezone": "UTC",
    # first response: warn at 3 s, breach at 6 s for "normal" tickets
    "helpdesk_sla_first_response": "urgent=1h high=1h normal=%ds low=1h" % (6 * K),
    "helpdesk_sla_next_response": "urgent=1h high=1h normal=1h low=1h",
    "helpdesk_sla_resolution": "urgent=1h high=1h normal=1h low=1h",
    "helpdesk_sla_warn": "50pct",
}
LEVELS = "Rookie:0, Regular:10, Pro:25, Star:45, Ace:70, Hero:100"
URGENCY_LOW, URGENCY_NORMAL, URGENCY_CRITICAL = 0, 1, 2


def new_ticket(dc, subject, sender="customer@example.org"):
    m = make_message(subject=subject, sender=sender)
    dc.deliver(m, sender=sender)
    for _ in range(100):
        for q in dc.queue("carol"):
            if q["message_id"] == msgid_of(m) and ticket_of(q):
                return ticket_of(q), q["uid"]
        time.sleep(0.05)
    raise RuntimeError("no ticket for %r" % subject)


def store(dc, user, uid, flags):
    with dc.imap(user) as c:
        c.select('"%s"' % QUEUE)
        typ, data = c.uid("STORE", str(uid), "+FLAGS", "(%s)" % flags)
        return typ, data


def owner_of(dc, uid):
    for q in dc.queue("carol"):
        if q["uid"] == uid:
            own = [k for k in q["keywords"] if k.startswith("hd-owner-")]
            return own[0][len("hd-owner-"):] if own else None
    return None


def away_of(dc, user):
    """The away entry's value as user reads it."""
    with dc.imap(user) as conn:
        typ, data = conn._simple_command("GETMETADATA", '""',
                                         "/private/vendor/dovecot-helpdesk/away")
        typ, data = conn._untagged_response(typ, data, "METADATA")
    for item in data or []:
        if isinstance(item, tuple):
            return item[1].decode()
        m = re.search(rb'away "([^"]*)"', item or b"")
        if m:
            return m.group(1).decode()
    return None


def is_summary(text):
    return lambda c: c["summary"] == text


def setup(t, dc):
    dc.deliver(make_message(subject="warm up", sender="w@customer.example"))
    for args in (("team", "add", "billing"),
                 ("agent", "add", "-a", "alice@example.com", "-t", "billing", "alice"),
                 ("agent", "add", "-a", "bob@example.com", "-t", "billing", "bob"),
                 ("agent", "add", "-l", "-a", "carol@example.com", "-t", "billing", "carol")):
        p = dc.doveadm("helpdesk", *args, check=False)
        t.ok(p.returncode == 0, "doveadm helpdesk %s" % " ".join(args), p.stderr)
    p = dc.doveadm("helpdesk", "game", "levels", LEVELS, check=False)
    t.ok(p.returncode == 0, "game levels: a low curve", p.stderr)


def live(t, tmp, dc, mock):
    """Every notification of the issue's list, from the running notifier."""
    logind = FakeLogind(tmp)
    opened = os.path.join(tmp, "opened.txt")
    open_command = "sh -c 'echo \"$0\" >> %s' %%u" % opened
    n = Notifier(tmp, dc, "alice", extra={"open_command": open_command})
    n.env["DBUS_SYSTEM_BUS_ADDRESS"] = logind.address
    n.start()
    t.ok(n.wait_log(r"Public/Queue: up to date"),
         "the notifier logs in, selects the queue and takes its baseline", n.text()[-2000:])
    t.eq([c for c in mock.calls()], [],
         "the tickets already in the queue pop up nothing (no backlog)")
    p = Notifier(tmp, dc, "alice", extra={"open_command": open_command}).run("--once")
    t.ok(p.returncode == 75 and "another helpdesk-notifier runs for alice@127.0.0.1"
         in p.stderr, "a second notifier for the same account refuses to run (75)",
         "rc=%d %s" % (p.returncode, p.stderr))

    # a new ticket
    since = len(mock.calls())
    num, uid = new_ticket(dc, "Printer on fire")
    c = mock.wait(lambda c: c["summary"].startswith("New ticket #%d" % num), since=since)
    t.ok(c is not None, "a new ticket: Notify 'New ticket #%d'" % num, str(mock.calls()[since:]))
    if c:
        t.eq(c["body"], "Printer on fire\nfrom customer@example.org",
             "its body: the subject and the sender")
        t.eq(c["hints"].get("urgency"), URGENCY_NORMAL, "a normal ticket: normal urgency")
        t.eq(c["hints"].get("category"), "email.arrived", "category hint email.arrived")
        t.eq(c["actions"], {"claim": "Claim", "open": "Open"},
             "buttons Claim and Open (the daemon offers actions)")
        t.eq(c["app"], "helpdesk-notifier", "app name helpdesk-notifier")
    first = c

    # VIP: critical
    since = len(mock.calls())
    vnum, _ = new_ticket(dc, "Contract renewal", sender="boss@vip.example.net")
    c = mock.wait(lambda c: c["summary"].startswith("New ticket #%d" % vnum), since=since)
    t.ok(c is not None and c["summary"] == "New ticket #%d (VIP)" % vnum and
         c["hints"].get("urgency") == URGENCY_CRITICAL,
         "a VIP ticket: 'New ticket #N (VIP)', critical", str(c))

    # Open: the configured command gets the message's imap:// URL
    if first:
        mock.press(first["id"], "open")
        deadline = time.time() + 10 * K
        while not os.path.exists(opened) and time.time() < deadline:
            time.sleep(0.05)
        text = open(opened).read().strip() if os.path.exists(opened) else ""
        t.ok(re.fullmatch(r"imap://alice@127\.0\.0\.1:%d/Public/Queue;UIDVALIDITY=\d+/;UID=%d"
                          % (dc.imap_port, uid), text),
             "Open runs open_command with the message's imap:// URL (RFC 5092)", text)

    # Claim from the popup
    if first:
        since = len(mock.calls())
        mock.press(first["id"], "claim")
        c = mock.wait(is_summary("Ticket #%d is yours" % num), since=since)
        t.ok(c is not None, "Claim: the popup says 'Ticket #%d is yours'" % num,
             str(mock.calls()[since:]))
        t.ok(c is not None and c["replaces"] == first["id"],
             "... replacing the ticket's notification, not stacking another", str(c))
        t.eq(owner_of(dc, uid), "alice", "Claim set the owner over IMAP: hd-owner-alice")

    # alice presses Claim while bob is faster: she is told who has it
    since = len(mock.calls())
    fnum, fuid = new_ticket(dc, "Race me")
    shown = mock.wait(lambda c: c["summary"].startswith("New ticket #%d" % fnum), since=since)
    n.proc.send_signal(signal.SIGSTOP)
    try:
        typ, _ = store(dc, "bob", fuid, "hd-claim")
        if shown:
            mock.press(shown["id"], "claim")
    finally:
        n.proc.send_signal(signal.SIGCONT)
    c = mock.wait(lambda c: c["summary"] in ("bob was faster: ticket #%d" % fnum,
                                             "Ticket #%d taken by bob" % fnum), since=since)
    t.ok(c is not None and shown is not None and c["replaces"] == shown["id"],
         "Claim after bob's claim: the popup says bob has it (%s)"
         % (c["summary"] if c else "nothing"), str(mock.calls()[since:]))
    t.eq(owner_of(dc, fuid), "bob", "... and the ticket stays bob's")

    # bob takes a new ticket: alice's popup is updated
    since = len(mock.calls())
    bnum, buid = new_ticket(dc, "Refund please")
    c = mock.wait(lambda c: c["summary"].startswith("New ticket #%d" % bnum), since=since)
    shown = c
    typ, _ = store(dc, "bob", buid, "hd-claim")
    t.eq(typ, "OK", "bob claims ticket #%d" % bnum)
    c = mock.wait(is_summary("Ticket #%d taken by bob" % bnum), since=since)
    t.ok(c is not None and shown is not None and c["replaces"] == shown["id"] and
         c["actions"] == {"open": "Open"}, "alice's popup for it becomes 'taken by bob', "
         "without its Claim button", str(c))

    # a lead assigns a ticket to alice
    since = len(mock.calls())
    anum, auid = new_ticket(dc, "Assign me")
    mock.wait(lambda c: c["summary"].startswith("New ticket #%d" % anum), since=since)
    typ, data = store(dc, "carol", auid, "hd-owner-alice")
    t.ok(typ == "OK", "carol (lead) assigns #%d to alice" % anum, str(data))
    c = mock.wait(is_summary("Ticket #%d assigned to you" % anum), since=since)
    t.ok(c is not None, "alice: 'Ticket #%d assigned to you'" % anum,
         str(mock.calls()[since:]))

    # the customer replies on alice's ticket
    since = len(mock.calls())
    reply = make_message(subject="Re: [#%d] Printer on fire" % num,
                         in_reply_to=[q for q in dc.queue("carol") if q["uid"] == uid][0]["message_id"])
    dc.deliver(reply)
    c = mock.wait(is_summary("Customer replied on #%d" % num), since=since)
    t.ok(c is not None and c["body"] == "Printer on fire",
         "the customer's reply: 'Customer replied on #%d'" % num, str(mock.calls()[since:]))

    # a burst: grouped
    since = len(mock.calls())
    msgs = [make_message(subject="Outage report %d" % i) for i in range(6)]
    dc.deliver_many(msgs)
    c = mock.wait(is_summary("6 new tickets"), since=since)
    t.ok(c is not None, "six tickets at once: one notification '6 new tickets'",
         str(mock.calls()[since:]))
    time.sleep(1)
    singles = [x for x in mock.calls()[since:] if x["summary"].startswith("New ticket")]
    t.eq(singles, [], "... and not six popups")
    t.ok(c is not None and c["body"].count("Outage report") == 5 and
         c["body"].endswith("and 1 more"), "its body lists five and says 'and 1 more'",
         str(c))

    # the game: alice resolves her ticket -> level and badge news
    since = len(mock.calls())
    typ, _ = store(dc, "alice", uid, "hd-resolved")
    t.eq(typ, "OK", "alice resolves #%d" % num)
    c = mock.wait(lambda c: c["summary"].startswith("Level up: you are now level 2"),
                  since=since)
    t.ok(c is not None and c["summary"] == "Level up: you are now level 2, Regular",
         "level news from the METADATA entry: 'Level up: you are now level 2, Regular'",
         str(mock.calls()[since:]))
    c = mock.wait(is_summary("New badge: First ticket"), since=since)
    t.ok(c is not None and c["body"] == "Earned with ticket #%d" % num,
         "badge news: 'New badge: First ticket', with the ticket", str(c))
    c = mock.wait(lambda c: re.fullmatch(r"You are #1 of \d+ in billing this week",
                                         c["summary"]), since=since)
    t.ok(c is not None and c["hints"].get("category") == "x-helpdesk.game",
         "rank news: 'You are #1 of N in billing this week'", str(mock.calls()[since:]))

    # SLA warning and breach on alice's ticket (first response 6 s)
    since = len(mock.calls())
    snum, suid = new_ticket(dc, "Slow clock")
    typ, _ = store(dc, "alice", suid, "hd-claim")
    time.sleep(3.3 * K)
    dc.doveadm("helpdesk", "sweep", "-u", "support", check=False)
    c = mock.wait(is_summary("SLA warning on #%d" % snum), since=since)
    t.ok(c is not None, "the sweep's warning: 'SLA warning on #%d'" % snum,
         str(mock.calls()[since:]))
    time.sleep(3.3 * K)
    dc.doveadm("helpdesk", "sweep", "-u", "support", check=False)
    c = mock.wait(is_summary("SLA breached on #%d" % snum), since=since)
    t.ok(c is not None and c["hints"].get("urgency") == URGENCY_CRITICAL,
         "the breach: 'SLA breached on #%d', critical" % snum, str(mock.calls()[since:]))

    # Dovecot restarts under the notifier
    before = len(mock.calls())
    dc.restart()
    t.ok(n.wait_log(r"Public/Queue: up to date", count=2, timeout=30),
         "after Dovecot restarts the notifier reconnects and resyncs", n.text()[-2000:])
    time.sleep(1)
    t.eq(mock.calls()[before:], [], "... and announces nothing twice")
    rnum, _ = new_ticket(dc, "After the restart")
    c = mock.wait(lambda c: c["summary"].startswith("New ticket #%d" % rnum), since=before)
    t.ok(c is not None, "a ticket after the restart is announced", str(mock.calls()[before:]))

    # suspend and resume: logind's PrepareForSleep(false) reconnects at once
    before = len(mock.calls())
    logind.sleep(True)
    logind.sleep(False)
    t.ok(n.wait_log(r"resumed from suspend: reconnecting") and
         n.wait_log(r"Public/Queue: up to date", count=3, timeout=30),
         "after resume from suspend (logind PrepareForSleep) it reconnects at once "
         "and resyncs", n.text()[-1500:])
    time.sleep(1)
    t.eq(mock.calls()[before:], [], "... announcing nothing twice")
    logind.stop()

    # away while it runs? the entry says "no" while it runs, "yes" after
    t.eq(away_of(dc, "alice"), "no",
         "while it runs the agent is available (away entry 'no')")
    rc = n.stop()
    t.eq(rc, 0, "SIGTERM: the notifier quits cleanly (0)")
    t.eq(away_of(dc, "alice"), "yes", "after it quits the agent is away (entry 'yes')")
    errs = n.valgrind_errors() if VALGRIND else []
    t.eq(errs, [], "valgrind: no memory errors or leaks of our own")
    return n


def once_and_status(t, tmp, dc, mock, n):
    mock.obj.ClearCalls(dbus_interface=MOCK_IFACE)
    num, _ = new_ticket(dc, "While you were away")
    p = n.run("--once")
    t.ok(p.returncode == 0, "--once exits 0", p.stderr)
    calls = mock.calls()
    t.ok([c["summary"] for c in calls] == ["New ticket #%d" % num],
         "--once announces exactly what is new since the last run", str(calls))
    p = n.run("--once")
    t.ok(p.returncode == 0 and len(mock.calls()) == len(calls),
         "a second --once announces nothing", p.stdout + p.stderr)
    p = n.run("--status")
    t.ok(p.returncode == 0, "--status exits 0", p.stderr)
    t.ok(re.search(r"^alice \(team billing\)$", p.stdout, re.M) and
         re.search(r"^Level 2, Regular: -?\d+ points, \d+ to level 3 \(\d+%\)$", p.stdout, re.M) and
         "First ticket" in p.stdout and
         re.search(r"Leaderboard billing, week \d{4}-W\d\d:", p.stdout) and
         re.search(r"^\s+1\s+alice\s+-?\d+\s+Regular", p.stdout, re.M),
         "--status prints level, progress, badges and the team's board", p.stdout)


def silent_drop(t, tmp, dc, mock):
    """The network drops the connection silently (no FIN, no RST): the
    notifier notices by itself, reconnects, and misses nothing. Its
    timeouts (210 s of silence in IDLE, 60 s for an answer) are cut to a
    few seconds for the test."""
    proxy = Proxy(dc.imap_port)
    secs = 3 * K
    n = Notifier(tmp, dc, "bob", name="bob-dropped")
    with open(n.config) as f:
        text = f.read().replace("port = %d" % dc.imap_port, "port = %d" % proxy.port)
    with open(n.config, "w") as f:
        f.write(text)
    n.env["HELPDESK_NOTIFIER_TEST_TIMEOUT"] = str(secs)
    try:
        n.start()
        t.ok(n.wait_log(r"Public/Queue: up to date"), "bob's notifier runs through a "
             "proxy", n.text()[-1000:])
        proxy.blackhole()
        since = len(mock.calls())
        num, _ = new_ticket(dc, "Lost in the network")
        t.ok(n.wait_log(r"gave no answer within %d seconds" % secs, timeout=4 * secs + 10),
             "a silently dead connection is noticed (silence in IDLE, then no answer "
             "to DONE)", n.text()[-1500:])
        t.ok(n.wait_log(r"Public/Queue: up to date", count=2, timeout=30),
             "... and the notifier reconnects", n.text()[-1500:])
        c = mock.wait(lambda c: c["summary"].startswith("New ticket #%d" % num), since=since)
        t.ok(c is not None, "the ticket that arrived while the line was dead is announced "
             "after the resync", str(mock.calls()[since:]))
        time.sleep(1)
        t.eq(len([x for x in mock.calls()[since:]
                  if x["summary"].startswith("New ticket #%d" % num)]), 1,
             "... exactly once")
    finally:
        n.stop()
        proxy.close()


def refusals(t, tmp, dc):
    bad = Notifier(tmp, dc, "alice", extra={"colour": "blue"}, name="bad1")
    p = bad.run("--status")
    t.ok(p.returncode == 78 and "[server] unknown key colour" in p.stderr,
         "an unknown key is refused (78) and named", p.stderr)
    bad = Notifier(tmp, dc, "alice", name="bad2")
    with open(bad.config) as f:
        text = f.read().replace("host = 127.0.0.1", "host = mail.example.com")
    with open(bad.config, "w") as f:
        f.write(text)
    p = bad.run("--status")
    t.ok(p.returncode == 78 and "only for a loopback host" in p.stderr,
         "security=none to a remote host is refused (78)", p.stderr)
    wrong = Notifier(tmp, dc, "alice", name="bad3")
    with open(wrong.config) as f:
        text = f.read().replace("echo pass", "echo wrong")
    with open(wrong.config, "w") as f:
        f.write(text)
    p = wrong.run("--status")
    t.ok(p.returncode == 69 and "refused the login of alice" in p.stderr,
         "a wrong password: exit 69, 'refused the login'", p.stderr)


def tls(t, tmp, plugin):
    """A Dovecot with a self-signed certificate for 127.0.0.1: refused by
    default with a clear error, accepted with ca_file."""
    d = os.path.join(tmp, "tls")
    os.makedirs(d)
    cert, key = os.path.join(d, "cert.pem"), os.path.join(d, "key.pem")
    p = subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
                        "-keyout", key, "-out", cert, "-days", "2", "-subj",
                        "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
                       capture_output=True, text=True)
    t.ok(p.returncode == 0, "a self-signed certificate for 127.0.0.1", p.stderr)
    os.chmod(key, 0o644)
    dc = Dovecot(plugin=plugin, settings=SETTINGS, users=USERS)
    dc.extra_config = METADATA_CONFIG + (
        "ssl = yes\nssl_cert = <%s\nssl_key = <%s\n" % (cert, key))
    dc.start()
    try:
        dc.deliver(make_message(subject="warm up", sender="w@customer.example"))
        dc.doveadm("helpdesk", "agent", "add", "alice", check=False)
        n = Notifier(tmp, dc, "alice", name="tls1")
        with open(n.config) as f:
            text = f.read().replace("security = none", "security = starttls")
        with open(n.config, "w") as f:
            f.write(text)
        p = n.run("--status")
        t.ok(p.returncode == 69 and "TLS certificate is signed by an authority not trusted"
             in p.stderr, "STARTTLS to a self-signed certificate: refused (69) with a clear "
             "error", p.stderr)
        with open(n.config, "a") as f:
            f.write("ca_file = %s\n" % cert)
        p = n.run("--status")
        t.ok("TLS" not in p.stderr and "alice" in p.stdout and p.returncode == 0,
             "with ca_file naming it, the same server is trusted", p.stdout + p.stderr)
        with open(n.config) as f:
            text = f.read().replace("host = 127.0.0.1", "host = localhost")
        with open(n.config, "w") as f:
            f.write(text)
        p = n.run("--status")
        t.ok(p.returncode == 69 and "not issued for localhost" in p.stderr,
             "a certificate for another name is refused", p.stderr)
    finally:
        dc.cleanup()


def no_actions(t, tmp, dc):
    """A notification server without buttons gets none."""
    mock = Daemon(tmp, caps="body")
    try:
        n = Notifier(tmp, dc, "bob", name="bob-nobuttons")
        n.start()
        t.ok(n.wait_log(r"Public/Queue: up to date"), "bob's notifier starts", n.text()[-1000:])
        num, _ = new_ticket(dc, "No buttons here")
        c = mock.wait(lambda c: c["summary"].startswith("New ticket #%d" % num))
        t.ok(c is not None and c["actions"] == {},
             "a daemon without 'actions': the notification has no buttons", str(c))
        t.ok(c is not None and c["body"] == "No buttons here\nfrom customer@example.org",
             "... and a plain body", str(c))
        n.stop()
    finally:
        mock.stop()


def main():
    rc = run_on_private_bus(__file__)
    if rc is not None:
        return rc
    t = Tap()
    plugin = plugin_or_skip(t, "the desktop notifier")
    if plugin is None:
        return t.done()
    if not os.access(binary(), os.X_OK):
        t.skip("notifier tests", "no helpdesk-notifier at %s (configure found no "
               "GLib/libnotify?)" % binary())
        return t.done()
    tmp = tempfile.mkdtemp(prefix="hdnotifier-", dir="/tmp")
    dc = Dovecot(plugin=plugin, settings=SETTINGS, users=USERS)
    dc.extra_config = METADATA_CONFIG
    dc.start()
    mock = None
    try:
        with t.check("agents and teams"):
            setup(t, dc)
        mock = Daemon(tmp)
        with t.check("the live notifications run to the end"):
            n = live(t, tmp, dc, mock)
        with t.check("--once and --status"):
            once_and_status(t, tmp, dc, mock, n)
        with t.check("a silently dropped connection"):
            silent_drop(t, tmp, dc, mock)
        mock.stop()
        mock = None
        with t.check("without buttons"):
            no_actions(t, tmp, dc)
        with t.check("refusals"):
            refusals(t, tmp, dc)
        with t.check("TLS"):
            tls(t, tmp, plugin)
        t.eq(dc.log_errors(), [], "no Error/Panic/Fatal in the Dovecot log")
        if VALGRIND:
            errs = []
            for root, _dirs, files in os.walk(tmp):
                for name in files:
                    if name.startswith("valgrind.log."):
                        with open(os.path.join(root, name), errors="replace") as f:
                            text = f.read().strip()
                        if text:
                            errs.append("%s:\n%s" % (name, text[:3000]))
            t.ok(not errs, "valgrind: no memory errors or leaks of our own in any "
                 "run of the notifier", "\n".join(errs))
    finally:
        if mock is not None:
            mock.stop()
        dc.cleanup()
        if not os.environ.get("HD_KEEP"):
            shutil.rmtree(tmp, ignore_errors=True)
    return t.done()


if __name__ == "__main__":
    sys.exit(main())
