#!/usr/bin/python3
"""SLA clocks (issue 14), as agents see them over IMAP: hd-sla-warn and then
hd-sla-breach appear on every message of a ticket when `doveadm helpdesk
sweep` runs past the deadlines (second-long targets: no fake clock), each
warning and breach is recorded once with the owner of the moment, also
with two sweeps at once; the clocks pause while the ticket waits on the
customer and the tags go when the clock is met; agents cannot set or
remove the tags; `ticket show` and `ticket list -s warn|breach` tell the
same; the At risk view holds the agent's own and unassigned tickets at
risk; a team's calendar and targets override the settings; a bad SLA
setting turns only the clocks off, mail flows.  Checked over IMAP and in
the store (hd_tickets, hd_events), on SQLite and PostgreSQL.

  cd tests && HD_PLUGIN=../plugin/.libs/lib20_helpdesk_plugin.so \\
      python3 integration/test_sla.py
"""

import datetime
import json
import os
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))

from hdtest import VIEWS_NAMESPACE, Dovecot, hd_keywords, make_message, msgid_of, \
    plugin_or_skip, start_checked, ticket_of  # noqa: E402
from tap import Tap  # noqa: E402

QUEUE = "Public/Queue"
AT_RISK = "Helpdesk/At risk"
# Under valgrind (HD_VALGRIND) a delivery or an IMAP command takes seconds:
# every target and wait is that much longer.
K = 4 if os.environ.get("HD_VALGRIND") else 1
# first response 8 s (warn at 4 s), resolution 40 s; "high": resolution
# 10 s (warn at 5 s), first and next response 30 s
SETTINGS = {
    "helpdesk_sla_first_response": "urgent=%ds high=%ds normal=%ds low=1h" % (4 * K, 30 * K, 8 * K),
    "helpdesk_sla_next_response": "urgent=%ds high=%ds normal=%ds low=1h" % (4 * K, 30 * K, 8 * K),
    "helpdesk_sla_resolution": "urgent=%ds high=%ds normal=%ds low=1h" % (40 * K, 10 * K, 40 * K),
    "helpdesk_sla_warn": "50pct",
    "helpdesk_views": "Helpdesk/",
}
SLA_KWS = {"hd-sla-warn", "hd-sla-breach"}


class Sla:
    def __init__(self, t, dc):
        self.t = t
        self.dc = dc

    def msgs(self, n, user="carol"):
        return [m for m in self.dc.queue(user) if ticket_of(m) == n]

    def tags(self, n, user="carol"):
        """The SLA keywords of each message of ticket n."""
        return [sorted(hd_keywords(m) & SLA_KWS) for m in self.msgs(n, user)]

    def events(self, n, kinds=("sla_warned", "sla_breached", "sla_met")):
        marks = ",".join("?" * len(kinds))
        return self.dc.sql("SELECT kind, actor, detail, created FROM hd_events WHERE "
                           "ticket_id = ? AND kind IN (%s) ORDER BY id" % marks,
                           (n,) + tuple(kinds))

    def created(self, n):
        return self.dc.sql("SELECT created FROM hd_tickets WHERE id = ?", (n,))[0][0]

    def show(self, n):
        out = self.dc.doveadm("-f", "json", "helpdesk", "ticket", "show", str(n)).stdout
        return json.loads(out)[0]

    def listed(self, status):
        out = self.dc.doveadm("-f", "json", "helpdesk", "ticket", "list", "-s",
                              status).stdout
        return sorted(int(r["ticket"]) for r in json.loads(out))

    def sweep(self):
        p = self.dc.doveadm("-f", "json", "helpdesk", "sweep", "-u", "support")
        return json.loads(p.stdout)[0]

    def until(self, moment):
        """Sleep until the wall clock is past moment (a Unix time)."""
        while time.time() < moment:
            time.sleep(min(0.2, moment - time.time() + 0.01))

    def store(self, user, uids, op, flags, box=QUEUE):
        with self.dc.imap(user) as c:
            typ, dat = c.select('"%s"' % box)
            assert typ == "OK", dat
            typ, dat = c.uid("STORE", ",".join(str(u) for u in uids), op,
                             "(%s)" % flags)
        return typ, b" ".join(d for d in dat if isinstance(d, bytes)).decode()

    def ticket(self, subject, sender="customer@example.org", followups=0):
        first = make_message(subject=subject, sender=sender)
        self.dc.deliver(first)
        n = [ticket_of(m) for m in self.dc.queue("carol")
             if m["message_id"] == msgid_of(first)][0]
        msgs = [first]
        for i in range(followups):
            m = make_message(subject="Re: " + subject, sender=sender,
                             in_reply_to=msgid_of(first), body="more %d\n" % i)
            self.dc.deliver(m)
            msgs.append(m)
        return n, msgs

    def agent_reply(self, n, to_msg, agent="alice"):
        reply = make_message(subject="Re: [#%d] answer" % n,
                             sender="%s@example.com" % agent, to="customer@example.org",
                             cc="support@example.com", in_reply_to=msgid_of(to_msg),
                             references=msgid_of(to_msg), body="We are on it.\n")
        self.dc.deliver(reply, sender="%s@example.com" % agent)
        return reply

    def customer_reply(self, to_msg):
        m = make_message(subject="Re: answer", in_reply_to=msgid_of(to_msg),
                         references=msgid_of(to_msg), body="Still broken.\n")
        self.dc.deliver(m)
        return m


def iso(ts):
    return datetime.datetime.fromtimestamp(ts, datetime.timezone.utc).astimezone()


def same_moment(text, ts):
    """ticket show's ISO 8601 time (with offset) is the moment ts."""
    if not text:
        return False
    return datetime.datetime.fromisoformat(text).timestamp() == ts


def warn_then_breach(t, s):
    """A ticket with two messages, claimed by alice: the first response
    clock warns at 4 s and breaches at 8 s, seen by the sweep."""
    n, msgs = s.ticket("Printer on fire", followups=1)
    uids = [m["uid"] for m in s.msgs(n)]
    t.eq(len(uids), 2, "the ticket has two messages")
    typ, text = s.store("alice", uids[:1], "+FLAGS", "hd-claim")
    t.ok(typ == "OK", "alice claims the ticket", text)
    c = s.created(n)
    t.eq(s.tags(n), [[], []], "a fresh ticket carries no SLA tag")
    show = s.show(n)
    t.eq(show["sla"], "running", "ticket show: sla running")
    t.ok(same_moment(show["first_response_due"], c + 8 * K) and
         same_moment(show["resolution_due"], c + 40 * K) and
         show["next_response_due"] == "" and show["first_response_at"] == "",
         "ticket show: first response due 8 s, resolution 40 s after the "
         "ticket's start, no next response", str(show))
    t.ok(show["first_response_due"][-6] in "+-" or show["first_response_due"].endswith("Z"),
         "the deadlines are ISO 8601 with an offset", show["first_response_due"])

    # before the warning point the sweep finds nothing due
    if time.time() < c + 3 * K:
        got = s.sweep()
        t.eq((got["due"], s.tags(n)), ("0", [[], []]),
             "a sweep before the warning point: nothing due, no tags")
    else:
        t.skip("sweep before the warning point", "the machine is too slow")

    # past 4 s: two sweeps at once warn once
    s.until(c + 5 * K)
    results = []
    threads = [threading.Thread(target=lambda: results.append(s.sweep())) for _ in range(2)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    t.eq(s.tags(n), [["hd-sla-warn"], ["hd-sla-warn"]],
         "after the sweep: hd-sla-warn on both messages (as carol sees them)")
    t.eq(s.tags(n, "bob"), [["hd-sla-warn"], ["hd-sla-warn"]],
         "bob sees hd-sla-warn on both messages too")
    ev = s.events(n)
    t.eq([(k, a, d) for k, a, d, _ in ev], [("sla_warned", "alice", "first_response")],
         "two sweeps at once: one sla_warned event, by the owner alice, for the "
         "first response")
    t.ok(ev and ev[0][3] == c + 4 * K, "the warning is dated at the warning point",
         str(ev))
    t.eq(s.show(n)["sla"], "warn", "ticket show: sla warn")
    t.ok(n in s.listed("warn") and n not in s.listed("breach"),
         "ticket list -s warn has it, -s breach not")

    # bob tries to take the tag off or put the other one on
    snapshot = (s.tags(n), s.events(n))
    typ, text = s.store("bob", uids, "-FLAGS", "hd-sla-warn")
    t.ok(typ == "NO" and "hd-sla-warn" in text, "bob can't remove hd-sla-warn (NO)", text)
    typ, text = s.store("bob", uids, "+FLAGS", "hd-sla-breach")
    t.ok(typ == "NO" and "hd-sla-breach" in text, "bob can't set hd-sla-breach (NO)", text)
    t.eq((s.tags(n), s.events(n)), snapshot, "nothing changed")

    # past 8 s: the breach replaces the warning
    s.until(c + 9 * K)
    got = s.sweep()
    t.ok(int(got["due"]) >= 1, "the next sweep finds the ticket due", str(got))
    t.eq(s.tags(n), [["hd-sla-breach"], ["hd-sla-breach"]],
         "after the deadline: hd-sla-breach on both messages, the warning gone")
    t.eq([(k, a, d) for k, a, d, _ in s.events(n)],
         [("sla_warned", "alice", "first_response"),
          ("sla_breached", "alice", "first_response")],
         "one sla_breached event, by alice")
    got = s.sweep()
    t.eq((got["due"], len(s.events(n))), ("0", 2),
         "a sweep right after: nothing due, nothing recorded twice")
    t.eq(s.show(n)["sla"], "breach", "ticket show: sla breach")
    t.ok(n in s.listed("breach") and n not in s.listed("warn"),
         "ticket list -s breach has it, -s warn not")
    # the store's first ticket is unassigned and at risk too
    first = 1
    t.eq(s.tags(first), [["hd-sla-breach"]], "the unassigned first ticket is breached too")
    at_risk = {u: sorted(ticket_of(m) for m in s.dc.mailbox(u, AT_RISK))
               for u in ("alice", "bob")}
    t.eq(at_risk["alice"], sorted([first, n, n]),
         "alice's At risk view: her ticket's two messages and the unassigned one")
    t.eq(at_risk["bob"], [first],
         "bob's At risk view: the unassigned ticket, not alice's")

    # alice answers, late: the breach stays in the ledger, the tags go at
    # once (no sweep), the ticket waits on the customer
    s.agent_reply(n, msgs[-1])
    t.eq(s.tags(n), [[], [], []], "alice's reply: the tags are gone at once, on all "
         "three messages")
    show = s.show(n)
    t.ok(show["sla"] == "paused" and show["first_response_due"] == "" and
         show["resolution_due"] == "" and show["first_response_at"] != "",
         "ticket show: paused (waiting on the customer), first_response_at set, "
         "no deadline running", str(show))
    t.eq([k for k, _, _, _ in s.events(n)], ["sla_warned", "sla_breached"],
         "a late answer is no sla_met: the breach stays for the figures")
    return n


def pause_and_resume(t, s):
    """A high-priority ticket answered at once: first response met; its
    10 s resolution clock does not run while it waits on the customer, and
    runs again when the customer answers."""
    n, msgs = s.ticket("VPN drops every hour")
    uid = s.msgs(n)[0]["uid"]
    typ, text = s.store("alice", [uid], "+FLAGS", "hd-prio-high")
    t.ok(typ == "OK", "alice makes it high priority", text)
    c = s.created(n)
    show = s.show(n)
    t.ok(same_moment(show["resolution_due"], c + 10 * K) and
         same_moment(show["first_response_due"], c + 30 * K),
         "the priority change recomputes the deadlines from the ticket's start "
         "(resolution 10 s, first response 30 s)", str(show))
    s.agent_reply(n, msgs[0])
    replied = s.dc.sql("SELECT created FROM hd_events WHERE ticket_id = ? AND "
                       "kind = 'replied'", (n,))[0][0]
    t.eq([(k, a, d) for k, a, d, _ in s.events(n)],
         [("sla_met", "alice", "first_response")],
         "an answer in time: one sla_met event for the first response")
    used = replied - c
    if used >= 4 * K:
        # under valgrind a delivery may take seconds: the resolution
        # clock would warn before the pause, which is right but not what
        # this case checks
        t.skip("the pause and resume checks", "the reply came %d s after the "
               "ticket's start: too slow for a 10 s target" % used)
        return
    # well past the resolution target while waiting
    s.until(c + 13 * K)
    s.sweep()
    t.eq((s.tags(n), s.show(n)["sla"]), ([[], []], "paused"),
         "13 s later, waiting on the customer: no tag, sla paused")
    t.eq([k for k, _, _, _ in s.events(n)], ["sla_met"], "no warning while paused")

    cust = s.customer_reply(msgs[0])
    back = s.dc.sql("SELECT created FROM hd_events WHERE ticket_id = ? AND "
                    "kind = 'message' ORDER BY id DESC LIMIT 1", (n,))[0][0]
    show = s.show(n)
    t.ok(show["sla"] == "running" and same_moment(show["next_response_due"], back + 30 * K) and
         same_moment(show["resolution_due"], back + 10 * K - used),
         "the customer answers: the next response is due 30 s later, the "
         "resolution clock resumes with %d s used" % used, str(show))
    # past the resolution's warning point (5 s of 10) counting the pause out
    s.until(back + (5 * K - used) + 1)
    s.sweep()
    t.eq(s.tags(n), [["hd-sla-warn"]] * 3,
         "the resumed resolution clock warns on all three messages")
    ev = [(k, d) for k, _, d, _ in s.events(n)]
    t.eq(ev, [("sla_met", "first_response"), ("sla_warned", "resolution")],
         "the warning is the resolution's")
    # resolving meets it and takes the tag away
    uids = [m["uid"] for m in s.msgs(n)]
    typ, text = s.store("alice", uids[:1], "+FLAGS", "hd-resolved")
    t.ok(typ == "OK", "alice resolves it", text)
    t.eq(s.tags(n), [[], [], []], "resolved in time: the tags go")
    t.eq([(k, d) for k, _, d, _ in s.events(n)][-1], ("sla_met", "resolution"),
         "sla_met for the resolution")
    t.eq(s.show(n)["sla"], "none", "ticket show: sla none once resolved")
    return cust


def team_calendar(t, s):
    """A team whose business hours are closed now: its ticket's deadline is
    at the next opening, and no sweep warns meanwhile; bad overrides are
    refused."""
    now = datetime.datetime.now(datetime.timezone.utc)
    day = (now + datetime.timedelta(days=2)).strftime("%a").lower()
    p = s.dc.doveadm("helpdesk", "team", "add", "-H", "%s 9-17" % day, "network",
                     check=False)
    t.ok(p.returncode != 0 and "business hours" in p.stderr,
         "team add with unparsable hours is refused", p.stderr)
    p = s.dc.doveadm("helpdesk", "team", "add", "-z", "Mars/Olympus", "network",
                     check=False)
    t.ok(p.returncode != 0 and "timezone" in p.stderr,
         "team add with an unknown zone is refused", p.stderr)
    p = s.dc.doveadm("helpdesk", "team", "add", "-F", "normal=soon", "network",
                     check=False)
    t.ok(p.returncode != 0 and "first response" in p.stderr,
         "team add with a bad target is refused", p.stderr)
    teams = json.loads(s.dc.doveadm("-f", "json", "helpdesk", "team", "list").stdout)
    t.eq([x for x in teams if x["team"] == "network"], [],
         "nothing was stored by the refused commands")
    s.dc.doveadm("helpdesk", "team", "add", "-H", "%s 09:00-17:00" % day, "-z", "UTC",
                 "-F", "normal=20s", "network")
    teams = json.loads(s.dc.doveadm("-f", "json", "helpdesk", "team", "list").stdout)
    net = [x for x in teams if x["team"] == "network"]
    t.ok(net and net[0]["business_hours"] == "%s 09:00-17:00" % day and
         net[0]["timezone"] == "UTC" and net[0]["first_response"] == "normal=20s",
         "team list shows the team's overrides", str(net))

    m = make_message(subject="Router offline")
    s.dc.deliver(m, rcpt="support+network@example.com")
    n = [ticket_of(x) for x in s.dc.queue("carol") if x["message_id"] == msgid_of(m)][0]
    opening = datetime.datetime.combine((now + datetime.timedelta(days=2)).date(),
                                        datetime.time(9, 0), datetime.timezone.utc)
    show = s.show(n)
    t.ok(show["team"] == "network" and
         same_moment(show["first_response_due"], int(opening.timestamp()) + 20),
         "the team's ticket is due 20 s after the team's next opening (%s)" %
         opening.isoformat(), str(show))
    s.until(s.created(n) + 21)
    s.sweep()
    t.eq(s.tags(n), [[]], "outside the team's hours no sweep warns")


def many_at_once(t, s):
    """A sweep that tags more tickets than fit in a batch or a first
    allocation (the sweep grows its list of changed tickets inside its
    batches' memory frames)."""
    # past a batch (250); under valgrind past the first allocation (64)
    count = 300 if K == 1 else 100
    msgs = [make_message(subject="Outage report %d" % i) for i in range(count)]
    results = s.dc.deliver_many(msgs)
    t.ok(all(r.ok for r in results), "%d tickets delivered at once" % count)
    ids = set(m["message_id"] for m in s.dc.queue("carol")) & \
        set(msgid_of(m) for m in msgs)
    t.eq(len(ids), count, "all of them are in the queue")
    newest = s.dc.sql("SELECT MAX(created) FROM hd_tickets")[0][0]
    s.until(newest + 5 * K)
    p = s.dc.doveadm("-f", "json", "helpdesk", "sweep", "-u", "support", check=False)
    t.ok(p.returncode == 0 and int(json.loads(p.stdout)[0]["changed"]) >= count,
         "one sweep tags all %d (two batches and more)" % count,
         "%d %s %s" % (p.returncode, p.stdout, p.stderr[-500:]))
    tagged = s.dc.sql("SELECT COUNT(*) FROM hd_tickets WHERE subject LIKE "
                      "'Outage report %' AND sla_tag > 0")[0][0]
    t.eq(tagged, count, "every one of them has its SLA tag in the store")
    shown = [m for m in s.dc.queue("carol") if m["subject"].endswith(
        tuple("Outage report %d" % i for i in range(count)))
        and hd_keywords(m) & SLA_KWS]
    t.eq(len(shown), count, "and on its message")


def bad_settings(t, plugin):
    """An unparsable SLA setting turns the clocks off for that user with a
    clear error; mail flows and tickets are filed as always."""
    settings = dict(SETTINGS)
    settings["helpdesk_sla_resolution"] = "normal=whenever"
    settings["helpdesk_views"] = None
    dc = Dovecot(plugin=plugin, settings=settings)
    try:
        if not start_checked(t, dc, "a Dovecot with a bad SLA setting starts"):
            return
        r = dc.deliver(make_message(subject="Still filed"))
        t.ok(r.ok, "the delivery is accepted", str(r))
        q = dc.queue("carol")
        t.ok(len(q) == 1 and ticket_of(q[0]) == 1 and
             {"hd-new", "hd-tier-1", "hd-prio-normal"} <= hd_keywords(q[0]),
             "the message is filed as ticket 1 with its keywords",
             str(q and hd_keywords(q[0])))
        errors = dc.log_errors()
        t.ok(errors and all("helpdesk_sla_resolution" in e and "SLA clocks off" in e
                            for e in errors),
             "the only errors name the bad setting: SLA clocks off", str(errors))
        row = dc.sql("SELECT sla_next, res_start FROM hd_tickets WHERE id = 1")
        t.eq(row, [(0, 0)], "the ticket has no clocks")
        p = dc.doveadm("helpdesk", "sweep", "-u", "support", check=False)
        t.ok(p.returncode != 0 and "helpdesk_sla_resolution" in p.stderr,
             "doveadm helpdesk sweep says the clocks are off and why", p.stderr)
    finally:
        dc.stop()
        dc.cleanup()


def main():
    t = Tap()
    plugin = plugin_or_skip(t, "SLA tests")
    if plugin is None:
        return t.done()
    dc = Dovecot(plugin=plugin, settings=SETTINGS, mail_plugins=("virtual",))
    dc.extra_config = VIEWS_NAMESPACE
    try:
        if not start_checked(t, dc):
            return t.done()
        s = Sla(t, dc)
        dc.deliver(make_message(subject="the store's first ticket"))
        for a in ("alice", "bob", "carol"):
            dc.doveadm("helpdesk", "agent", "add", "-a", "%s@example.com" % a, a)
        warn_then_breach(t, s)
        pause_and_resume(t, s)
        team_calendar(t, s)
        many_at_once(t, s)
        t.eq(dc.log_errors(), [], "no errors in the Dovecot log")
    finally:
        dc.stop()
        dc.cleanup()
    bad_settings(t, plugin)
    return t.done()


if __name__ == "__main__":
    sys.exit(main())
