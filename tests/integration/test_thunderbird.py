#!/usr/bin/python3
"""Thunderbird (Debian 12's, under Xvfb, driven through Marionette) as an
agent's client, with a profile as a fresh install makes it plus the tags
file `doveadm helpdesk client-config thunderbird` ships (issue 12):

* the queue, the resolved mailbox and the agent's views are listed
  without any subscription made by hand;
* the helpdesk's keywords show as named tags;
* tagging a message claims, resolves and escalates its ticket;
* a claim someone else won and a refused action bring up the server's
  text, and the tags Thunderbird shows snap back to what the server holds;
* the same through a view (Helpdesk/Unassigned);
* SLA clocks (second-long targets): after a sweep past the warn point the
  ticket shows the "SLA warning" tag and is in Helpdesk/At risk, after a
  sweep past the breach "SLA breached" instead; removing that tag is
  refused and it comes back.

TAP output; skipped without thunderbird and Xvfb."""

import json
import os
import re
import shutil
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))

from hdtest import (HOST, VIEWS_NAMESPACE, Dovecot, make_message, msgid_of,  # noqa: E402
                    plugin_or_skip, sla_sweep)
from hdproc import poll as wait  # noqa: E402
from tap import Tap  # noqa: E402

QUEUE = "Public/Queue"
RESOLVED = "Public/Resolved"
VIEWS = ("Helpdesk/Mine", "Helpdesk/Unassigned", "Helpdesk/Waiting on customer")
AT_RISK = "Helpdesk/At risk"
# second-long SLA targets: warn 3 s after creation, breach at 6 s (first
# response).  Tags only move when sla_case() sweeps (or when an action
# such as escalate refreshes a ticket's clocks).
SLA_SETTINGS = {"helpdesk_sla_first_response": "normal=6s",
                "helpdesk_sla_resolution": "normal=60s",
                "helpdesk_sla_warn": "50pct"}


def alert(tb, want, timeout=20):
    """(True, the text) once Thunderbird has shown an alert containing
    want; (False, what it showed instead) after timeout.  (The timeout's
    message quotes want itself: it must not count as the alert.)"""
    try:
        return True, tb.wait_alert(re.escape(want), timeout=timeout)
    except TimeoutError as e:
        return False, "no such alert: %s" % e


def tag_key(tb, uid, n):
    """Select the message and press tag key n (Thunderbird's cmd_tagN, the
    keys 1-9 of the message list)."""
    return tb.execute("""
      let w = about3();
      let i = -1;
      for (let j = 0; j < w.gDBView.rowCount; j++) {
        if (w.gDBView.getKeyAt(j) == ARGS[0])
          i = j;
      }
      if (i < 0)
        return false;
      w.threadTree.selectedIndex = i;
      let cmd = "cmd_tag" + ARGS[1];
      if (!w.commandController.isCommandEnabled(cmd))
        return false;
      w.commandController.doCommand(cmd);
      return true;""", [uid, n])


def scenario(t, dc, Thunderbird):
    subjects = ("Printer on fire", "VPN down", "Mail bounces", "Disk full")
    msgs = {}
    for s in subjects:
        m = make_message(subject=s, sender="dana@customer.example")
        assert dc.deliver(m).ok
        msgs[s] = m
    # (the first delivery makes the store)
    for args in (("agent", "add", "alice"), ("agent", "add", "bob"),
                 ("agent", "add", "-l", "carol")):
        dc.doveadm("helpdesk", *args)
    q = {m["message_id"]: m for m in dc.queue("carol")}
    uid = {s: q[msgid_of(m)]["uid"] for s, m in msgs.items()}
    num = {s: int(q[msgid_of(m)]["headers"]["X-Helpdesk-Ticket"]) for s, m in msgs.items()}

    def ticket(s):
        return dc.sql("SELECT status, owner, tier FROM hd_tickets WHERE id = ?",
                      (num[s],))[0]

    p = dc.doveadm("helpdesk", "client-config", "thunderbird", check=False)
    t.ok(p.returncode == 0 and 'mailnews.tags.hd-owner-bob.tag", "Owner: bob"' in p.stdout,
         "client-config thunderbird: user.js lines, an owner tag per registered agent",
         p.stderr)
    tags_js = p.stdout

    with Thunderbird(HOST, dc.imap_port, "bob", "pass", user_js_extra=tags_js) as tb:
        try:
            folders = tb.wait_discovery() and tb.folders()
        except Exception:
            folders = tb.folders()
        missing = [f for f in (QUEUE, RESOLVED) + VIEWS if f not in folders]
        t.ok(not missing, "a fresh profile lists the queue, the resolved mailbox and the "
             "views (subscribed by the server)", "missing %r in %r" % (missing, folders))

        tb.open_folder(QUEUE)
        rows = {r["uid"]: r for r in tb.rows()}
        first = rows.get(uid["Printer on fire"], {})
        t.ok({"New (unassigned)", "Priority: normal", "Tier 1"} <= set(first.get("tags", ())),
             "the keywords show as named tags", repr(first))

        # claim with tag key 1
        t.ok(tag_key(tb, uid["Printer on fire"], 1), "tag key 1 is enabled on a message")
        t.ok(wait(lambda: ticket("Printer on fire")[1] == "bob"),
             "tag key 1 (Claim): bob owns the ticket", repr(ticket("Printer on fire")))
        kw = wait(lambda: (lambda k: k if "hd-owner-bob" in k and "hd-claim" not in k
                           else None)(tb.get_keywords(uid["Printer on fire"])))
        t.ok(kw, "Thunderbird shows hd-owner-bob, not the hd-claim it set",
             repr(tb.get_keywords(uid["Printer on fire"])))

        # alice was faster
        with dc.imap("alice") as c:
            c.select(QUEUE)
            typ, dat = c.uid("STORE", str(uid["VPN down"]), "+FLAGS", "(hd-claim)")
            assert typ == "OK", dat
        tb.add_keyword(uid["VPN down"], "hd-claim")
        want = "ticket %d is already alice's" % num["VPN down"]
        shown, text = alert(tb, want)
        t.ok(shown and want in text, "a claim alice won: Thunderbird shows %r" % want, text)
        kw = wait(lambda: (lambda k: k if "hd-claim" not in k and "hd-owner-alice" in k
                           else None)(tb.get_keywords(uid["VPN down"])))
        t.ok(kw, "... and its tags snap back to alice's",
             repr(tb.get_keywords(uid["VPN down"])))
        t.eq(ticket("VPN down")[1], "alice", "store: alice owns it")

        # a refusal: bob is no lead
        tb.remove_keyword(uid["VPN down"], "hd-owner-alice")
        want = "Only a team lead can take a ticket away from alice"
        shown, text = alert(tb, want)
        t.ok(shown and want in text, "removing alice's owner tag: Thunderbird shows the refusal",
             text)
        kw = wait(lambda: (lambda k: k if "hd-owner-alice" in k else None)(
            tb.get_keywords(uid["VPN down"])))
        t.ok(kw, "... and alice's owner tag comes back",
             repr(tb.get_keywords(uid["VPN down"])))

        tag_key(tb, uid["Mail bounces"], 3)
        t.ok(wait(lambda: ticket("Mail bounces")[2] == 2), "tag key 3 (Escalate): tier 2",
             repr(ticket("Mail bounces")))
        kw = wait(lambda: (lambda k: k if "hd-tier-2" in k and "hd-escalate" not in k
                           else None)(tb.get_keywords(uid["Mail bounces"])))
        t.ok(kw, "Thunderbird shows hd-tier-2, not hd-escalate",
             repr(tb.get_keywords(uid["Mail bounces"])))
        tag_key(tb, uid["Printer on fire"], 2)
        t.ok(wait(lambda: ticket("Printer on fire")[0] == "resolved"),
             "tag key 2 (Resolved): resolved", repr(ticket("Printer on fire")))
        game_news(t, dc, tb)

        # resolve by moving the message to the resolved folder
        moved = tb.execute("""
          let src = getFolder(ARGS[0]), dst = getFolder(ARGS[1]);
          let w = about3();
          let hdr = null;
          for (let j = 0; j < w.gDBView.rowCount; j++) {
            if (w.gDBView.getKeyAt(j) == ARGS[2])
              hdr = w.gDBView.getMsgHdrAt(j);
          }
          if (!hdr)
            return false;
          /* what a drag and drop onto the folder does */
          MailServices.copy.copyMessages(src, [hdr], dst, true, null, null,
                                         false);
          return true;""", [QUEUE, RESOLVED, uid["Mail bounces"]])
        t.ok(moved and wait(lambda: ticket("Mail bounces")[0] == "resolved"),
             "moving a message to the resolved folder: resolved",
             repr((moved, ticket("Mail bounces"))))

        # through a view
        tb.open_folder(VIEWS[1])
        vrows = [r for r in tb.rows() if "Disk full" in r["subject"]]
        t.ok(len(vrows) == 1, "the Unassigned view shows the unclaimed ticket",
             repr(tb.rows()))
        if vrows:
            v = vrows[0]["uid"]
            tb.add_keyword(v, "hd-waiting")
            want = "hd-waiting is set by the helpdesk, not by agents"
            shown, text = alert(tb, want)
            t.ok(shown and want in text, "through the view: a refused tag shows the server's text",
                 text)
            kw = wait(lambda: (lambda k: k if "hd-waiting" not in k else None)(
                tb.get_keywords(v)))
            t.ok(kw, "through the view: the refused tag does not stay",
                 repr(tb.get_keywords(v)))
            tb.add_keyword(v, "hd-claim")
            t.ok(wait(lambda: ticket("Disk full")[1] == "bob"),
                 "through the view: tagging hd-claim claims", repr(ticket("Disk full")))

            def gone():
                tb.refresh()
                return not any("Disk full" in r["subject"] for r in tb.rows())
            t.ok(wait(gone, timeout=20), "the claimed ticket leaves the open Unassigned view",
                 repr(tb.rows()))
        sla_case(t, dc, tb)
        tb.screenshot(os.path.join(dc.root, "thunderbird.png"))
        t.eq(tb.alerts(), [], "no other alert was shown")


def game_news(t, dc, tb):
    """bob's first resolution earns badges (issue 16): the server tells
    his client in the STORE's reply, and Thunderbird shows each one."""
    titles = {b["badge"]: b["title"] for b in json.loads(
        dc.doveadm("-f", "json", "helpdesk", "game", "badges").stdout)}
    earned = [titles[b] for (b,) in dc.sql(
        "SELECT badge FROM hd_badges WHERE username = 'bob' ORDER BY badge")]
    t.ok("First ticket" in earned, "bob's first resolution earned First ticket",
         repr(earned))
    wants = ["New badge: %s" % title for title in earned]
    seen = []

    def all_shown():
        seen.extend(tb.alerts())
        return all(any(w in a for a in seen) for w in wants)
    wait(all_shown, timeout=20)
    for w in wants:
        t.ok(any(w in a for a in seen), "Thunderbird shows %r" % w, repr(seen))


def sla_case(t, dc, tb):
    """One new ticket (nobody touched it); the sweep moves its SLA tags;
    Thunderbird, synced as by Get Messages, shows them as named tags."""
    m = make_message(subject="Server room too hot", sender="erin@customer.example")
    assert dc.deliver(m).ok
    sq = [x for x in dc.queue("carol") if x["message_id"] == msgid_of(m)]
    uid = sq[0]["uid"]
    num = int(sq[0]["headers"]["X-Helpdesk-Ticket"])

    def server_kw():
        return [set(x["keywords"]) for x in dc.queue("bob")
                if x["message_id"] == msgid_of(m)]

    def tb_has(pred, timeout=20):
        """Thunderbird's own keywords of the message once pred holds,
        syncing the open folder (what Get Messages does) while waiting."""
        def look():
            tb.refresh()
            k = tb.get_keywords(uid)
            return k if pred(set(k)) else None
        return wait(look, timeout=timeout)

    def row_of(uid_):
        return next((r for r in tb.rows() if r["uid"] == uid_), {})

    # a sweep before the warn point changes nothing on this ticket
    p = dc.doveadm("helpdesk", "sweep", "-u", "support", check=False)
    tb.open_folder(QUEUE)
    kw = tb.get_keywords(uid)
    t.ok(p.returncode == 0 and not [k for k in kw if k.startswith("hd-sla-")]
         and "hd-new" in kw,
         "SLA: a new ticket, swept before its warn point, has no hd-sla-* tag in "
         "Thunderbird", repr((p.returncode, p.stderr, kw)))

    # past the warn point (3 s)
    tag, p = sla_sweep(dc, num)
    t.ok(p.returncode == 0 and tag == 1 and all("hd-sla-warn" in k for k in server_kw()),
         "SLA: the sweep past the warn point puts hd-sla-warn on the ticket's message",
         repr((p.returncode, p.stdout, p.stderr, p.sla_next, tag, server_kw())))
    kw = tb_has(lambda k: "hd-sla-warn" in k)
    row = row_of(uid)
    t.ok(kw and "SLA warning" in row.get("tags", ()) and "SLA warning" in row.get("tags_text", ""),
         "SLA: after Thunderbird syncs, the queue message shows the tag \"SLA warning\"",
         repr((tb.get_keywords(uid), row)))

    # the At risk view (bob: unassigned tickets at risk)
    folders = tb.folders()
    if AT_RISK in folders:
        tb.open_folder(AT_RISK)
        vrows = [r for r in tb.rows() if "Server room too hot" in r["subject"]]
        t.ok(len(vrows) == 1 and "SLA warning" in vrows[0]["tags"],
             "SLA: the warned ticket is listed in Helpdesk/At risk, tagged \"SLA warning\"",
             repr(tb.rows()))
    else:
        t.ok(False, "SLA: Thunderbird lists Helpdesk/At risk", repr(folders))
    tb.open_folder(QUEUE)

    # past the breach (6 s)
    tag, p = sla_sweep(dc, num)
    t.ok(p.returncode == 0 and tag == 2 and
         all("hd-sla-breach" in k and "hd-sla-warn" not in k for k in server_kw()),
         "SLA: the sweep past the breach puts hd-sla-breach, takes hd-sla-warn away",
         repr((p.returncode, p.stdout, p.stderr, p.sla_next, tag, server_kw())))
    kw = tb_has(lambda k: "hd-sla-breach" in k and "hd-sla-warn" not in k)
    row = row_of(uid)
    t.ok(kw and "SLA breached" in row.get("tags", ()) and
         "SLA warning" not in row.get("tags", ()) and
         "SLA warning" not in row.get("tags_text", ""),
         "SLA: Thunderbird then shows \"SLA breached\", no longer \"SLA warning\"",
         repr((tb.get_keywords(uid), row)))

    # an agent cannot take the tag away
    tb.remove_keyword(uid, "hd-sla-breach")
    want = "hd-sla-breach is set by the helpdesk, not by agents"
    shown, text = alert(tb, want)
    t.ok(shown and want in text, "SLA: removing \"SLA breached\" in Thunderbird shows the refusal",
         text)
    kw = tb_has(lambda k: "hd-sla-breach" in k)
    t.ok(kw and all("hd-sla-breach" in k for k in server_kw()),
         "SLA: ... and the \"SLA breached\" tag comes back (the server kept it)",
         repr((tb.get_keywords(uid), server_kw())))
    # Thunderbird may replay its failed flag change once more when it syncs
    # the folder: the same refusal again, nothing else
    time.sleep(1)
    again = tb.alerts()
    t.ok(all(want in a for a in again),
         "SLA: any alert after that is the same refusal (Thunderbird retrying)",
         repr(again))


def main():
    t = Tap()
    if plugin_or_skip(t, "Thunderbird tests") is None:
        return t.done()
    if not shutil.which("thunderbird") or not shutil.which("Xvfb"):
        t.skip("Thunderbird under Xvfb", "thunderbird or Xvfb not installed")
        return t.done()
    from thunderbird import Thunderbird
    dc = Dovecot(mail_plugins=("virtual",),
                 settings=dict(SLA_SETTINGS, helpdesk_views="Helpdesk/",
                               helpdesk_resolved_mailbox=RESOLVED))
    dc.extra_config = VIEWS_NAMESPACE
    try:
        dc.start()
        dc.create_mailbox(RESOLVED)
        with t.check("Thunderbird scenario runs to the end"):
            scenario(t, dc, Thunderbird)
        t.eq(dc.log_errors(), [], "no Error/Panic/Fatal in the log")
    finally:
        dc.cleanup()
    return t.done()


if __name__ == "__main__":
    sys.exit(main())
