#!/usr/bin/python3
"""neomutt (Debian 12's 20220429) as an agent's client, in tmux, with the
snippet `doveadm helpdesk client-config neomutt` ships (issue 12):

* the keys of the snippet claim (y), resolve (X) and escalate (E) a
  ticket of the queue, through neomutt's own keyword editing;
* a claim someone else won shows the server's text on neomutt's status
  line (its error history keeps it) and the ticket's tags come back to
  the truth at the next poll;
* neomutt stores no Old keyword on the shared queue;
* `Y` (edit-label: neomutt APPENDs a rewritten copy and expunges the
  original) keeps the ticket's state;
* SLA clocks (second-long targets): the index shows hd-sla-warn after a
  sweep past the warn point, then hd-sla-breach (and no hd-sla-warn) after
  a sweep past the breach.

TAP output; skipped without neomutt and tmux."""

import os
import re
import shutil
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))

from hdtest import HOST, Dovecot, make_message, msgid_of, plugin_or_skip, \
    sla_sweep  # noqa: E402
from tap import Tap  # noqa: E402

QUEUE = "Public/Queue"
RESOLVED = "Public/Resolved"
# the test's own polling: faster than the snippet's 30 s
FAST_POLL = "set timeout = 1\nset mail_check = 1\nset sleep_time = 1\n"
# second-long SLA targets: warn 3 s after creation, breach at 6 s (first
# response).  Tags only move when sla_case() sweeps (or when an action
# such as escalate refreshes a ticket's clocks).
SLA_SETTINGS = {"helpdesk_sla_first_response": "normal=6s",
                "helpdesk_sla_resolution": "normal=60s",
                "helpdesk_sla_warn": "50pct"}


def hd(kws):
    return {k for k in kws if k.startswith("hd-")}


def scenario(t, dc, NeoMutt):
    subjects = ("Printer on fire", "VPN down", "Mail bounces", "Disk full")
    msgs = {}
    for s in subjects:
        m = make_message(subject=s, sender="dana@customer.example")
        assert dc.deliver(m).ok
        msgs[s] = m
    q = {m["message_id"]: m for m in dc.queue("carol")}
    num = {s: int(q[msgid_of(m)]["headers"]["X-Helpdesk-Ticket"]) for s, m in msgs.items()}

    def ticket(s):
        return dc.sql("SELECT status, owner, tier FROM hd_tickets WHERE id = ?",
                      (num[s],))[0]

    def keywords(s):
        return [set(m["keywords"]) for m in dc.queue("carol")
                if m["message_id"] == msgid_of(msgs[s])]

    p = dc.doveadm("helpdesk", "client-config", "neomutt", check=False)
    t.ok(p.returncode == 0 and "modify-tags" in p.stdout and "mark_old = no" in p.stdout,
         "doveadm helpdesk client-config neomutt prints the snippet", p.stderr)
    snippet = p.stdout

    with NeoMutt(HOST, dc.imap_port, "alice", extra_rc=snippet + FAST_POLL) as nm:
        t.ok(all(nm.find_message(s) for s in subjects), "neomutt lists the queue's tickets",
             nm.screen())
        t.ok("hd-new" in (nm.tags_of("Printer on fire") or ()),
             "the snippet's index_format shows the tags (hd-new)", nm.screen())

        nm.select_message("Printer on fire")
        nm.keys("y")
        ok = dc_wait(lambda: ticket("Printer on fire")[1] == "alice")
        t.ok(ok, "key y (the snippet's claim) makes alice the owner",
             repr(ticket("Printer on fire")))
        t.ok(all(k >= {"hd-open", "hd-owner-alice"} and "hd-claim" not in k
                 for k in keywords("Printer on fire")),
             "the queue message shows alice's claim, no hd-claim",
             repr(keywords("Printer on fire")))
        shown = wait_tags(nm, "Printer on fire", lambda tags: "hd-owner-alice" in tags)
        t.ok(shown is not None and "hd-claim" not in shown,
             "neomutt's index comes to show hd-owner-alice (not the typed hd-claim)",
             nm.screen())

        # bob is faster on "VPN down"
        with dc.imap("bob") as c:
            c.select(QUEUE)
            uid = [m["uid"] for m in dc.queue("bob")
                   if m["message_id"] == msgid_of(msgs["VPN down"])][0]
            typ, dat = c.uid("STORE", str(uid), "+FLAGS", "(hd-claim)")
            assert typ == "OK", dat
        nm.select_message("VPN down")
        nm.keys("y")
        want = "ticket %d is already bob's" % num["VPN down"]
        seen = dc_wait(lambda: want in nm.screen(), timeout=5)
        history = nm.error_history()
        t.ok(seen or any(want in h for h in history),
             "a claim bob won: neomutt shows %r" % want,
             "\n".join(history) + "\n" + nm.screen())
        t.eq(ticket("VPN down")[1], "bob", "store: bob still owns it")
        shown = wait_tags(nm, "VPN down", lambda tags: "hd-owner-bob" in tags)
        t.ok(shown is not None and "hd-owner-alice" not in shown and "hd-claim" not in shown,
             "neomutt's index comes back to the truth (bob's, no hd-claim)", nm.screen())

        nm.select_message("Mail bounces")
        nm.keys("E")
        t.ok(dc_wait(lambda: ticket("Mail bounces")[2] == 2),
             "key E (escalate): tier 2", repr(ticket("Mail bounces")))
        nm.select_message("Printer on fire")
        nm.keys("X")
        t.ok(dc_wait(lambda: ticket("Printer on fire")[0] == "resolved"),
             "key X (resolve): resolved", repr(ticket("Printer on fire")))

        nm.select_message("Disk full")
        nm.edit_label("urgent")
        nm.sync()
        before = ticket("Disk full")
        kws = keywords("Disk full")
        t.ok(len(kws) == 1 and hd(kws[0]) == {"hd-new", "hd-tier-1", "hd-prio-normal"} and
             before[0] == "new",
             "Y (edit-label) rewrote the message: the copy keeps the ticket's state",
             repr((kws, before)))
        sla_case(t, dc, nm)
        nm.quit()
    olds = [m["uid"] for m in dc.queue("carol") if "Old" in m["keywords"]]
    t.eq(olds, [], "after neomutt quit: no Old keyword on the shared queue")


def sla_case(t, dc, nm):
    """One new ticket (nobody touched it); the sweep moves its SLA tags;
    neomutt's index (the snippet's [%g]) shows them."""
    subject = "Server room too hot"
    m = make_message(subject=subject, sender="erin@customer.example")
    assert dc.deliver(m).ok
    sq = [x for x in dc.queue("carol") if x["message_id"] == msgid_of(m)]
    num = int(sq[0]["headers"]["X-Helpdesk-Ticket"])

    def server_kw():
        return [set(x["keywords"]) for x in dc.queue("carol")
                if x["message_id"] == msgid_of(m)]

    # new mail: neomutt lists it at its next check; a sweep before the
    # warn point changes nothing on it
    p = dc.doveadm("helpdesk", "sweep", "-u", "support", check=False)
    listed = dc_wait(lambda: nm.redraw() and nm.find_message(subject), timeout=15)
    shown = wait_tags(nm, subject, lambda tags: "hd-new" in tags)
    t.ok(p.returncode == 0 and listed and shown is not None and
         not [k for k in shown if k.startswith("hd-sla-")],
         "SLA: a new ticket, swept before its warn point, shows no hd-sla-* in neomutt",
         repr((p.returncode, p.stderr, shown)) + "\n" + nm.screen())

    tag, p = sla_sweep(dc, num)
    t.ok(p.returncode == 0 and tag == 1 and all("hd-sla-warn" in k for k in server_kw()),
         "SLA: the sweep past the warn point puts hd-sla-warn on the ticket's message",
         repr((p.returncode, p.stdout, p.stderr, p.sla_next, tag, server_kw())))
    shown = wait_tags(nm, subject, lambda tags: "hd-sla-warn" in tags)
    t.ok(shown is not None, "SLA: neomutt's index line of the ticket shows hd-sla-warn",
         nm.screen())

    tag, p = sla_sweep(dc, num)
    t.ok(p.returncode == 0 and tag == 2 and
         all("hd-sla-breach" in k and "hd-sla-warn" not in k for k in server_kw()),
         "SLA: the sweep past the breach puts hd-sla-breach, takes hd-sla-warn away",
         repr((p.returncode, p.stdout, p.stderr, p.sla_next, tag, server_kw())))
    shown = wait_tags(nm, subject, lambda tags: "hd-sla-breach" in tags and
                      "hd-sla-warn" not in tags)
    t.ok(shown is not None,
         "SLA: neomutt's index line then shows hd-sla-breach, no longer hd-sla-warn",
         nm.screen())


def dc_wait(pred, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return True
        time.sleep(0.1)
    return pred()


def wait_tags(nm, subject, pred, timeout=15.0):
    """The tags neomutt shows for the message once pred holds for them.
    neomutt repaints a row whose keywords another session's FETCH changed
    when the cursor passes over it, as an agent's does."""
    deadline = time.monotonic() + timeout
    tags = None
    while time.monotonic() < deadline:
        nm.select_message(subject)
        nm.keys("j")
        nm.wait_idle()
        nm.keys("k")
        nm.wait_idle()
        nm.select_message(subject)
        tags = nm.row_tags(nm.find_message(subject))
        if tags is not None and pred(tags):
            return tags
        time.sleep(0.5)
    return None


def main():
    t = Tap()
    if plugin_or_skip(t, "neomutt tests") is None:
        return t.done()
    if not shutil.which("neomutt") or not shutil.which("tmux"):
        t.skip("neomutt in tmux", "neomutt or tmux not installed")
        return t.done()
    from neomutt import NeoMutt
    dc = Dovecot(settings=dict(SLA_SETTINGS, helpdesk_resolved_mailbox=RESOLVED))
    try:
        dc.start()
        dc.create_mailbox(RESOLVED)
        with t.check("neomutt scenario runs to the end"):
            scenario(t, dc, NeoMutt)
        t.eq(dc.log_errors(), [], "no Error/Panic/Fatal in the log")
    finally:
        dc.cleanup()
    return t.done()


if __name__ == "__main__":
    sys.exit(main())
