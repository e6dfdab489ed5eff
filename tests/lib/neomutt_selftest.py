#!/usr/bin/python3
"""neomutt_selftest -- shows that tests/lib/neomutt.py drives the real
neomutt: a private Dovecot (with $HD_PLUGIN when set), two tickets
delivered to Public/Queue, neomutt as alice on the queue; both subjects
appear in the index; a foreign keyword set with <modify-tags> reaches the
server (checked over imaplib) with the IMAP commands neomutt is known to
send.  TAP output, exit status 0 when everything passed.

    sudo HD_PLUGIN=plugin/.libs/lib20_helpdesk_plugin.so HD_SRCDIR=. \
        /usr/bin/python3 tests/lib/neomutt_selftest.py

Why a third, APPENDed message: <modify-tags> first removes every keyword
the message has (UID STORE n -FLAGS.SILENT (all of them)) and only then
adds the new set; a plugin that refuses to let agents remove hd-new makes
that fail on every ticket.  A message without keywords gets a single
+FLAGS.SILENT, which any plugin lets through for a foreign keyword.  The
ticket case is checked too, for consistency between what neomutt shows
and what the server has, whatever the plugin answers.
"""

import os
import re
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import hdtest  # noqa: E402
from neomutt import NeoMutt, NEOMUTT, TMUX  # noqa: E402
from tap import Tap  # noqa: E402

QUEUE = "Public/Queue"
LABEL = "mylabel"


def server_keywords(dc, user, subject_part):
    """{uid: set(keywords without Old)} of queue messages whose subject
    contains subject_part, as user sees them over IMAP."""
    out = {}
    for m in dc.queue(user):
        if subject_part in m["subject"]:
            out[m["uid"]] = set(m["keywords"]) - {"Old"}
    return out


def main():
    t = Tap()
    if os.geteuid() != 0:
        t.skip("neomutt selftest", "must run as root (private Dovecot)")
        return t.done()
    for prog in (NEOMUTT, TMUX):
        if not os.access(prog, os.X_OK):
            t.skip("neomutt selftest", "%s not installed" % prog)
            return t.done()

    run = "%d%d" % (os.getpid(), int(time.time()) % 100000)
    subj = ["Printer on fire %s" % run, "VPN down %s" % run]
    plain = "Plain note %s" % run
    with hdtest.Dovecot() as dc:
        t.diag("dovecot %r" % dc)
        for s in subj:
            r = dc.deliver(hdtest.make_message(subject=s))
            if not t.ok(r.ok, "deliver %r" % s, repr(r)):
                return t.done()
        with dc.imap("alice") as c:
            typ, data = c.append(QUEUE, None, None,
                                 hdtest.make_message(subject=plain))
            t.ok(typ == "OK", "APPEND a keyword-less message to the queue", repr(data))
        before = {s: server_keywords(dc, "alice", s) for s in subj + [plain]}
        t.diag("keywords before: %r" % before)

        started = time.monotonic()
        nm = NeoMutt(hdtest.HOST, dc.imap_port, "alice", hdtest.PASSWORD, folder=QUEUE)
        ok = False
        try:
            t.diag("neomutt up in %.2fs: %r" % (time.monotonic() - started, nm))
            rows = nm.index_lines()
            for s in subj + [plain]:
                t.ok(any(s in r for r in rows), "index shows %r" % s,
                     lambda: "\n".join(rows))
            t.ok(re.match(r"^-.-NeoMutt: \+Public/Queue \[Msgs:3\b", nm.status_line() or ""),
                 "status line: +Public/Queue with 3 messages", nm.status_line())

            # -- foreign keyword on the keyword-less message
            with t.check("select_message(%r) makes it current" % plain):
                row = nm.select_message(plain)
                assert plain in (nm.current_line() or ""), (row, nm.current_line())
            mark = nm.log_mark()
            prompt = nm.modify_tags(add=LABEL)
            t.eq(prompt, "Tags:", "modify-tags prompt is empty for a message without keywords")
            (uid,) = before[plain]
            ex = [e for e in nm.imap_exchanges(since=mark) if "STORE" in e[0]]
            t.eq([re.sub(r"^\S+ ", "", e[0]) for e in ex],
                 ["UID STORE %d +FLAGS.SILENT (%s)" % (uid, LABEL)],
                 "neomutt sent one UID STORE +FLAGS.SILENT (%s)" % LABEL)
            t.ok(ex and ex[-1][2] and re.match(r"^\S+ OK", ex[-1][2]),
                 "the server answered OK", repr(ex))
            after = server_keywords(dc, "alice", plain)
            t.eq(after, {uid: {LABEL}}, "server has %s on the message (imaplib)" % LABEL)
            t.eq(nm.tags_of(plain), [LABEL], "index shows [%s]" % LABEL)

            # -- the same on a ticket
            ticket = subj[0]
            (tuid, kw), = before[ticket].items()
            nm.select_message(ticket)
            mark = nm.log_mark()
            prompt = nm.modify_tags(add=LABEL)
            prefill = prompt[len("Tags:"):].split()
            t.eq(set(prefill), kw, "modify-tags prompt prefilled with the ticket's keywords")
            stores = [e for e in nm.imap_exchanges(since=mark) if "STORE" in e[0]]
            cmds = [re.sub(r"^\S+ ", "", e[0]) for e in stores]
            t.diag("ticket STOREs: %r" % (stores,))
            if kw:
                t.eq(cmds[:1], ["UID STORE %d -FLAGS.SILENT (%s)" % (tuid, " ".join(prefill))],
                     "first STORE removes all the old keywords")
            refused = [e for e in stores if not (e[2] and re.match(r"^\S+ OK", e[2]))]
            now = server_keywords(dc, "alice", ticket)[tuid]
            if refused:
                t.diag("the server refused: %s" % refused[0][2])
                t.eq(nm.message(), "Failed to modify tags, aborting",
                     "NO to a STORE: neomutt says 'Failed to modify tags, aborting'")
                t.eq(now, kw, "NO to the first STORE: the server's keywords are unchanged")
            else:
                t.eq(cmds[-1:], ["UID STORE %d +FLAGS.SILENT (%s)"
                                 % (tuid, " ".join(prefill + [LABEL]))],
                     "second STORE adds the old keywords plus %s" % LABEL)
                t.ok(LABEL in now, "server has %s on the ticket" % LABEL, repr(now))
            ok = True
        finally:
            pid = nm.pid
            status = nm.quit() if nm.alive else None
            nm.stop(keep_workdir=not ok)
        t.eq(status, 0, "neomutt quits with status 0")
        t.ok(not hdtest._pid_alive(pid), "neomutt process gone", str(pid))
        t.ok(not os.path.exists(nm.workdir) or os.environ.get("HD_KEEP"),
             "work directory removed", nm.workdir)
    return t.done()


if __name__ == "__main__":
    sys.exit(main())
