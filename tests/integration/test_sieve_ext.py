#!/usr/bin/python3
"""The Sieve extension vnd.dovecot.helpdesk (sieve/, the Sieve plugin
sieve_helpdesk) with the shipped routing script and a test script, over
LMTP with the built mail plugin:

- a VIP listed in the store gets hd-vip, an address not listed does not; a
  domain entry covers the domain and its subdomains, not a look-alike;
- the sender's last team gives hd-team-<team> when the address written to
  gave none (also once the ticket is resolved), and never overrides the
  team of the address;
- helpdesk_open_ticket and ${helpdesk.open_ticket} follow the store, an
  explicit address list is searched, ${helpdesk.last_team} is the team;
- a store failure makes the tests false and the variables empty, the mail
  still arrives, the failure is logged once per address and message (the
  store is asked once per address, however often the script asks);
- sievec rejects bad uses of the commands with clear errors, and a script
  that uses them without `require`;
- without the Sieve plugin (a Dovecot without sieve_plugins) the shipped
  script compiles and runs with its static rules only.

Run as root from tests/ (the built plugins):

  HD_PLUGIN=../plugin/.libs/lib20_helpdesk_plugin.so \\
  HD_SIEVE_PLUGIN_DIR=../sieve/.libs python3 integration/test_sieve_ext.py
"""

import os
import contextlib
import re
import shutil
import subprocess
import sys
import tempfile
import uuid
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))

from hdtest import SIEVEC, Dovecot, make_message, plugin_or_skip, \
    start_checked  # noqa: E402
from tap import Tap  # noqa: E402

SIEVE_PLUGIN = "lib90_sieve_helpdesk_plugin.so"
EXT = "vnd.dovecot.helpdesk"

# a script that shows what the extension answers, as keywords
PROBE_SCRIPT = r"""require ["vnd.dovecot.helpdesk", "variables", "imap4flags",
         "fileinto"];
if helpdesk_vip { addflag "hd_probe" "probe-vip"; }
if helpdesk_open_ticket { addflag "hd_probe" "probe-open"; }
if helpdesk_vip ["nobody@elsewhere.example", "Someone <VIP1@Customer.Example>"] {
    addflag "hd_probe" "probe-listvip";
}
if helpdesk_open_ticket ["nobody@elsewhere.example"] {
    addflag "hd_probe" "probe-listopen";
}
addflag "hd_probe" "probe-n${helpdesk.open_ticket}";
addflag "hd_probe" "probe-t${helpdesk.last_team}";
fileinto :flags "${hd_probe}" "Public/Queue";
"""

BAD_SCRIPTS = (
    ("an invalid literal address",
     'require "vnd.dovecot.helpdesk";\nif helpdesk_vip "nobody" { stop; }\n',
     r"line 2: error: helpdesk_vip test: invalid address `nobody'"),
    ("two arguments",
     'require "vnd.dovecot.helpdesk";\n'
     'if helpdesk_open_ticket ["a@b.example"] "x" { stop; }\n',
     r"line 2: error: the helpdesk_open_ticket test takes at most one argument"),
    ("a number as the address list",
     'require "vnd.dovecot.helpdesk";\nif helpdesk_vip 42 { stop; }\n',
     r"line 2: error: .*helpdesk_vip.*addresses"),
    ("an assignment to helpdesk.last_team",
     'require ["vnd.dovecot.helpdesk", "variables"];\n'
     'set "helpdesk.last_team" "x";\n',
     r"line 2: error: vnd.dovecot.helpdesk: cannot assign to the variable "
     r"`helpdesk.last_team'"),
    ("an unknown helpdesk variable (reported; Pigeonhole 0.5.19 compiles "
     "the rest)",
     'require ["vnd.dovecot.helpdesk", "variables"];\n'
     'if string "${helpdesk.nosuch}" "" { stop; }\n',
     r"line 2: error: vnd.dovecot.helpdesk: unknown variable `helpdesk.nosuch'"),
    ("a test without require",
     'if helpdesk_vip { stop; }\n',
     r"line 1: error: unknown test 'helpdesk_vip'"),
)


def sieve_plugin_dir():
    d = os.environ.get("HD_SIEVE_PLUGIN_DIR")
    if not d and os.environ.get("HD_PLUGIN"):
        d = os.path.join(os.path.dirname(os.environ["HD_PLUGIN"]), "..", "..",
                         "sieve", ".libs")
    return os.path.abspath(d) if d else None


def new_dovecot(plugin, sieve_dir, sieve=True):
    """A Dovecot with the extension when sieve_dir is set (a copy of the
    built Sieve plugin, as hdtest copies the mail plugin)."""
    dc = Dovecot(plugin=plugin, sieve=sieve)
    if sieve_dir:
        own = os.path.join(dc.root, "sieve-modules")
        os.makedirs(own, exist_ok=True)
        os.chmod(own, 0o755)
        shutil.copy2(os.path.join(sieve_dir, SIEVE_PLUGIN), own)
        dc.settings["sieve_plugins"] = "sieve_helpdesk"
        dc.settings["sieve_plugin_dir"] = own
        dc.settings["sieve_global_extensions"] = "+" + EXT
    return dc


def find(dc, msgid, user="support", mailbox=None):
    """The messages with Message-ID msgid in mailbox (default: the queue)."""
    return [m for m in dc.queue(user, mailbox) if m["message_id"] == msgid]


def deliver(t, dc, sender, subject, rcpt="support@example.com"):
    """Deliver a message from sender; its queue entry (or None)."""
    msgid = "<%s@sieve-ext.example>" % uuid.uuid4().hex
    msg = make_message(subject=subject, sender=sender, to=rcpt, message_id=msgid)
    r = dc.deliver(msg, rcpt=rcpt, sender=sender)
    if not r.ok:
        t.diag("delivery from %s failed: %r" % (sender, r))
        return None
    got = find(dc, msgid)
    if len(got) != 1:
        t.diag("message %r: %d copies in the queue" % (subject, len(got)))
        return None
    return got[0]


@contextlib.contextmanager
def store_unreadable(dc):
    """The SQLite store unreadable for the mail processes (root's, mode 0)
    inside the block; Dovecot is restarted around it, so no process keeps
    the store open from before."""
    dc.stop()
    paths = [p for p in (dc.db_path, dc.db_path + "-wal", dc.db_path + "-shm")
             if os.path.exists(p)]
    modes = {p: os.stat(p) for p in paths}
    for p in paths:
        os.chown(p, 0, 0)
        os.chmod(p, 0)
    dc.start()
    try:
        yield
    finally:
        dc.stop()
        for p, st in modes.items():
            os.chown(p, st.st_uid, st.st_gid)
            os.chmod(p, st.st_mode & 0o7777)
        dc.start()


def kw(m):
    return sorted(k for k in (m or {}).get("keywords", ()) if k.startswith("hd-"))


def probe_kw(m):
    return sorted(k for k in (m or {}).get("keywords", ()) if k.startswith("probe-"))


def first_delivery(t, dc, what):
    m = deliver(t, dc, "first@setup.example", "%s: first" % what)
    t.ok(m is not None and dc.store_exists(),
         "%s: a first delivery arrives and creates the store" % what)


def shipped_script(t, dc):
    what = "shipped script"
    first_delivery(t, dc, what)
    dc.sql_write("INSERT INTO hd_vips (entry, note, created) VALUES (?, '', 0)",
                 ("vip1@customer.example",))
    dc.sql_write("INSERT INTO hd_vips (entry, note, created) VALUES (?, '', 0)",
                 ("bigco.example",))

    cases = (
        ("VIP1@Customer.Example", True, "a VIP listed by address (any case)"),
        ("plain@customer.example", False, "an address not listed"),
        ("ceo@bigco.example", True, "an address of a listed domain"),
        ("ops@eu.west.bigco.example", True, "an address of a subdomain"),
        ("x@notbigco.example", False, "a look-alike domain"),
        ("bigco.example@other.example", False, "the domain as a local part"),
    )
    for sender, vip, name in cases:
        m = deliver(t, dc, sender, "vip check %s" % sender)
        t.ok(m is not None and ("hd-vip" in kw(m)) == vip,
             "%s: %s %s hd-vip" % (what, name, "gets" if vip else "does not get"),
             "keywords %s" % kw(m))

    # the last team: the plugin records support+billing's ticket with its
    # team; a new mail to plain support@ from the same sender gets it
    sender = "repeat@customer.example"
    m = deliver(t, dc, sender, "first question", rcpt="support+billing@example.com")
    t.ok(m is not None and "hd-team-billing" in kw(m),
         "%s: mail to support+billing gets hd-team-billing" % what, "keywords %s" % kw(m))
    rows = dc.sql("SELECT id, team, status FROM hd_tickets WHERE requester = ?", (sender,))
    t.ok(len(rows) == 1 and rows[0][1] == "billing",
         "%s: the store has the sender's ticket with team billing" % what, repr(rows))
    m = deliver(t, dc, sender, "second question")
    t.ok(m is not None and "hd-team-billing" in kw(m),
         "%s: a new mail to support@ from that sender gets the last team" % what,
         "keywords %s" % kw(m))
    m = deliver(t, dc, sender, "third question", rcpt="support+sales@example.com")
    t.ok(m is not None and "hd-team-sales" in kw(m) and "hd-team-billing" not in kw(m),
         "%s: a team from the address written to wins over the last team" % what,
         "keywords %s" % kw(m))
    m = deliver(t, dc, "newcomer@customer.example", "newcomer question")
    t.ok(m is not None and not [k for k in kw(m) if k.startswith("hd-team-")],
         "%s: a sender without tickets gets no team" % what, "keywords %s" % kw(m))

    n = dc.sql_write("UPDATE hd_tickets SET status = 'resolved' WHERE requester = ?",
                     (sender,))
    m = deliver(t, dc, sender, "after resolution")
    t.ok(n >= 1 and m is not None and "hd-team-sales" in kw(m),
         "%s: the team of the newest ticket with a team, resolved or not" % what,
         "keywords %s" % kw(m))

    # the mail to other users is left alone (no store lookup either)
    mark = dc.log_mark()
    r = dc.deliver(make_message(subject="for alice", sender="vip1@customer.example",
                                to="alice@example.com",
                                message_id="<for-alice@sieve-ext.example>"),
                   rcpt="alice@example.com", sender="vip1@customer.example")
    inbox = find(dc, "<for-alice@sieve-ext.example>", user="alice", mailbox="INBOX")
    t.ok(r.ok and len(inbox) == 1 and "hd-vip" not in kw(inbox[0]),
         "%s: mail to alice is delivered as before" % what)
    t.ok(not re.search(r"vnd\.dovecot\.helpdesk", dc.log(mark)),
         "%s: ... and asks nothing of the store" % what)
    t.eq(dc.log_errors(since=mark), [], "%s: no errors logged" % what)

    # store failure: the db unreadable for the mail processes
    with store_unreadable(dc):
        mark = dc.log_mark()
        r = dc.deliver(make_message(subject="store down", sender="vip1@customer.example",
                                    message_id="<store-down@sieve-ext.example>"),
                       sender="vip1@customer.example")
    time.sleep(0.3)
    arrived = find(dc, "<store-down@sieve-ext.example>") + \
        find(dc, "<store-down@sieve-ext.example>", mailbox="INBOX")
    t.ok(r.ok and len(arrived) == 1,
         "%s: with the store unreadable the mail still arrives" % what,
         "%r, %d copies" % (r, len(arrived)))
    t.ok(arrived and "hd-vip" not in kw(arrived[0]),
         "%s: with the store unreadable the VIP test is false" % what,
         "keywords %s" % kw(arrived[0] if arrived else None))
    log = dc.log(mark)
    t.ok(re.search(r"Warning: .*vnd\.dovecot\.helpdesk: looking up vip1@customer\.example "
                   r"failed", log) is not None,
         "%s: the store failure is logged as a warning" % what, log[-2000:])


def probe_script(t, dc):
    what = "probe script"
    first_delivery(t, dc, what)
    dc.sql_write("INSERT INTO hd_vips (entry, note, created) VALUES (?, '', 0)",
                 ("vip1@customer.example",))
    # a ticket of a team, written into the store as the plugin keeps them
    m = deliver(t, dc, "vip1@customer.example", "probe one")
    t.eq(probe_kw(m), ["probe-listvip", "probe-n0", "probe-t", "probe-vip"],
         "%s: a VIP without tickets: vip, no open ticket (0), no team" % what)
    rows = dc.sql("SELECT id FROM hd_tickets WHERE requester = ?", ("vip1@customer.example",))
    t.ok(len(rows) == 1, "%s: the delivery made the sender's ticket" % what, repr(rows))
    ticket = rows[0][0] if rows else 0
    dc.sql_write("UPDATE hd_tickets SET team = 'network' WHERE id = ?", (ticket,))
    m = deliver(t, dc, "vip1@customer.example", "probe two")
    t.eq(probe_kw(m), sorted(["probe-listvip", "probe-n%d" % ticket, "probe-open",
                        "probe-tnetwork", "probe-vip"]),
         "%s: with an open ticket: the test is true, the variables give "
         "its number and team" % what)
    dc.sql_write("UPDATE hd_tickets SET status = 'resolved' WHERE requester = ?",
                 ("vip1@customer.example",))
    m = deliver(t, dc, "Boss <VIP1@customer.example>", "probe three")
    t.ok(probe_kw(m) and "probe-open" not in probe_kw(m) and "probe-tnetwork" in probe_kw(m)
         and "probe-n0" in probe_kw(m),
         "%s: once resolved: no open ticket, the team stays" % what, "keywords %s" % probe_kw(m))
    m = deliver(t, dc, "other@else.example", "probe four")
    t.eq(probe_kw(m), ["probe-listvip", "probe-n0", "probe-t"],
         "%s: another sender: only the explicit list's VIP matches" % what)

    # store failure: false, empty, logged once per address and message
    with store_unreadable(dc):
        mark = dc.log_mark()
        r = dc.deliver(make_message(subject="probe down", sender="vip1@customer.example",
                                    message_id="<probe-down@sieve-ext.example>"),
                       sender="vip1@customer.example")
    time.sleep(0.3)
    got = find(dc, "<probe-down@sieve-ext.example>")
    t.ok(r.ok and len(got) == 1 and probe_kw(got[0]) == ["probe-n", "probe-t"],
         "%s: with the store unreadable: tests false, variables empty, mail "
         "arrives" % what, "%r %s" % (r, probe_kw(got[0]) if got else None))
    warnings = re.findall(r"vnd\.dovecot\.helpdesk: looking up (\S+) failed",
                          dc.log(mark))
    t.eq(sorted(warnings), ["nobody@elsewhere.example", "vip1@customer.example"],
         "%s: each address reaches the store once per message (one failure "
         "logged each, for five questions about the sender)" % what)


def sievec_errors(t, dc):
    what = "sievec"
    d = os.path.join(dc.root, "bad-scripts")
    os.makedirs(d, exist_ok=True)
    for i, (name, text, expect) in enumerate(BAD_SCRIPTS):
        path = os.path.join(d, "bad%d.sieve" % i)
        with open(path, "w") as f:
            f.write(text)
        p = subprocess.run([SIEVEC, "-c", dc.conf, "-o", "mail_plugins=", path],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           universal_newlines=True, timeout=60)
        must_fail = "reported;" not in name
        t.ok((p.returncode != 0 or not must_fail) and
             re.search(expect, p.stdout) is not None,
             "%s: %s %s with a clear error" % (
                 what, name, "fails to compile" if must_fail else "is reported"),
             "rc %d: %s" % (p.returncode, p.stdout))
    path = os.path.join(d, "good.sieve")
    with open(path, "w") as f:
        f.write(PROBE_SCRIPT)
    p = subprocess.run([SIEVEC, "-c", dc.conf, "-o", "mail_plugins=", path],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       universal_newlines=True, timeout=60)
    t.ok(p.returncode == 0, "%s: the probe script compiles where the mail plugin "
         "is not loaded" % what, p.stdout)


def without_extension(t, dc):
    what = "without the extension"
    first_delivery(t, dc, what)
    dc.sql_write("INSERT INTO hd_vips (entry, note, created) VALUES (?, '', 0)",
                 ("vip1@customer.example",))
    m = deliver(t, dc, "vip1@customer.example", "no ext vip")
    t.ok(m is not None and "hd-vip" not in kw(m),
         "%s: a VIP of the store only is not flagged" % what, "keywords %s" % kw(m))
    m = deliver(t, dc, "someone@vip.example.net", "no ext static vip")
    t.ok(m is not None and "hd-vip" in kw(m),
         "%s: the script's VIP domains still work" % what, "keywords %s" % kw(m))
    m = deliver(t, dc, "someone@customer.example", "no ext billing",
                rcpt="support+billing@example.com")
    t.ok(m is not None and "hd-team-billing" in kw(m),
         "%s: teams by address still work" % what, "keywords %s" % kw(m))
    m = deliver(t, dc, "someone@customer.example", "no ext again")
    t.ok(m is not None and not [k for k in kw(m) if k.startswith("hd-team-")],
         "%s: no last team" % what, "keywords %s" % kw(m))
    t.eq(dc.log_errors(), [], "%s: no errors logged" % what)


def main():
    t = Tap()
    plugin = plugin_or_skip(t, "Sieve extension tests")
    if plugin is None:
        return t.done()
    sieve_dir = sieve_plugin_dir()
    if not sieve_dir or not os.path.isfile(os.path.join(sieve_dir, SIEVE_PLUGIN)):
        t.skip("Sieve extension tests", "%s not built (HD_SIEVE_PLUGIN_DIR)" % SIEVE_PLUGIN)
        return t.done()

    probe = None
    parts = (
        ("shipped script with the extension", sieve_dir, True, (shipped_script, sievec_errors)),
        ("probe script", sieve_dir, "PROBE", (probe_script,)),
        ("shipped script without the extension", None, True, (without_extension,)),
    )
    for name, sdir, sieve, fns in parts:
        if sieve == "PROBE":
            fd, probe = tempfile.mkstemp(prefix="hd-probe-", suffix=".sieve")
            with os.fdopen(fd, "w") as f:
                f.write(PROBE_SCRIPT)
            sieve = probe
        dc = new_dovecot(plugin, sdir, sieve=sieve)
        started = time.monotonic()
        try:
            if not start_checked(t, dc, "%s: private Dovecot starts" % name):
                continue
            for fn in fns:
                with t.check("%s: %s runs to the end" % (name, fn.__name__)):
                    fn(t, dc)
        finally:
            dc.stop()
            dc.cleanup()
            if probe:
                os.unlink(probe)
                probe = None
        t.diag("%s: %.1f s" % (name, time.monotonic() - started))
    return t.done()


if __name__ == "__main__":
    sys.exit(main())
