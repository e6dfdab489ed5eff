#!/usr/bin/python3
"""doveadm helpdesk stats: SLA figures per agent and per team, checked
against a scripted day driven through the real paths -- customers' mail
over LMTP, agents' claims and resolutions over IMAP, agents' replies
delivered to the queue from their registered addresses, a first-response
breach found by `doveadm helpdesk sweep` after a two-second target ran out.

Every figure the command prints is computed again here, independently,
from the ledger (hd_events), the tickets, agents and teams the test reads
from the store, by the rules the command documents
(plugin/helpdesk-stats.h):

  handled       distinct tickets the agent replied to or resolved
  first response  created -> the ticket's first reply ever, if in the period
  resolution    created or the latest reopen before it -> resolved
  sla_met/sla_breached  those events, by their actor (the owner then);
                a deadline of an unowned ticket counts in team "" only
  business time the ticket's team calendar: team billing has holidays on
                the days around now (UTC), so its tickets' times are the
                seconds outside those days; no calendar: plain seconds
  percentiles   nearest rank; compliance met/(met+breached), one decimal,
                rounded half up

Then -t (one team and its agents; an unknown team is refused) and a bad -p
(usage error, nothing printed). Runs on SQLite, and on PostgreSQL with
HD_STORE=pgsql. Run as root:

  cd tests && HD_PLUGIN=../plugin/.libs/lib20_helpdesk_plugin.so \\
      python3 integration/test_sla_stats.py
"""

import datetime
import json
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))

from hdtest import Dovecot, make_message, msgid_of, plugin_or_skip, ticket_of  # noqa: E402
from tap import Tap  # noqa: E402

QUEUE = "Public/Queue"
DAY = 24 * 60 * 60
COLUMNS = ["scope", "name", "team", "handled", "first_response_median",
           "first_response_p90", "resolution_median", "resolution_p90",
           "sla_met", "sla_breached", "compliance",
           "csat_average", "csat_response_rate"]
EX_USAGE = 64
DOVEADM_EX_NOTFOUND = 68

# high priority ("URGENT" in the subject) has a two-second first
# response target; everything else an hour, so only what the test waits
# for is breached
SETTINGS = {
    "helpdesk_sla_first_response": "urgent=1h high=2s normal=1h low=1h",
    "helpdesk_sla_next_response": "urgent=1h high=1h normal=1h low=1h",
    "helpdesk_sla_resolution": "urgent=1h high=1h normal=1h low=1h",
    "helpdesk_sla_warn": "no",
}
AGENTS = {"alice": "billing", "bob": "billing", "carol": "network", "dave": ""}


def holidays_around_now():
    """The UTC dates of yesterday, today and tomorrow: the whole test runs
    on holidays of team billing's calendar."""
    today = datetime.datetime.now(datetime.timezone.utc).date()
    return [today + datetime.timedelta(days=d) for d in (-1, 0, 1)]


class Day:
    """The scripted day: a Dovecot and what the steps need."""

    def __init__(self, t, dc):
        self.t = t
        self.dc = dc

    def deliver(self, msg, sender, rcpt="support@example.com"):
        r = self.dc.deliver(msg, rcpt=rcpt, sender=sender)
        assert r.ok, "delivery of %s failed: %r" % (msgid_of(msg), r)

    def uid_of(self, msg):
        mid = msgid_of(msg)
        found = [m for m in self.dc.queue("support") if m["message_id"] == mid]
        assert found, "%s is not in the queue" % mid
        return found[0]

    def customer(self, subject, sender, rcpt="support@example.com"):
        """A new ticket: (ticket number, first message, its queue UID)."""
        msg = make_message(subject=subject, sender=sender, to=rcpt)
        self.deliver(msg, sender, rcpt)
        entry = self.uid_of(msg)
        n = ticket_of(entry)
        assert n, "no ticket for %r" % subject
        return n, msg, entry["uid"]

    def followup(self, first, subject, sender):
        msg = make_message(subject="Re: " + subject, sender=sender,
                           in_reply_to=msgid_of(first), references=msgid_of(first),
                           body="still broken\n")
        self.deliver(msg, sender)
        return msg

    def reply(self, agent, n, first, subject, customer):
        """The agent's reply-all, delivered to the queue from the agent's
        registered address."""
        msg = make_message(subject="Re: [#%d] %s" % (n, subject),
                           sender="%s@example.com" % agent, to=customer,
                           cc="support@example.com", in_reply_to=msgid_of(first),
                           references=msgid_of(first), body="Looking into it.\n")
        self.deliver(msg, "%s@example.com" % agent)
        replied = self.dc.sql("SELECT COUNT(*) FROM hd_events WHERE ticket_id = ? "
                              "AND kind = 'replied' AND actor = ?", (n, agent))
        assert replied[0][0] >= 1, "%s's reply to ticket %d was not counted" % (agent, n)
        return msg

    def store(self, user, uid, flags):
        with self.dc.imap(user) as c:
            typ, dat = c.select(QUEUE)
            assert typ == "OK", "SELECT as %s: %r" % (user, dat)
            typ, dat = c.uid("STORE", str(uid), "+FLAGS", "(%s)" % flags)
        assert typ == "OK", "%s: UID STORE %d +FLAGS (%s): %s %r" % (
            user, uid, flags, typ, dat)

    def status(self, n):
        return self.dc.sql("SELECT status, owner FROM hd_tickets WHERE id = ?", (n,))[0]


def setup(t, day):
    """Teams and agents; the store is created first (reconcile)."""
    dc = day.dc
    hol = ",".join(d.isoformat() for d in holidays_around_now())
    for name, args in (
            ("a new store (reconcile -u support)",
             ("helpdesk", "reconcile", "-u", "support")),
            ("team billing with holidays around now (UTC)",
             ("helpdesk", "team", "add", "-z", "UTC", "-D", hol, "billing")),
            ("team network", ("helpdesk", "team", "add", "network"))) + tuple(
            ("agent %s (team '%s')" % (agent, team),
             ("helpdesk", "agent", "add", "-a", "%s@example.com" % agent) +
             (("-t", team) if team else ()) + (agent,))
            for agent, team in sorted(AGENTS.items())):
        p = dc.doveadm(*args, check=False)
        assert t.ok(p.returncode == 0, name, p.stderr), "%s failed" % name


def scripted_day(t, day):
    """The day's work; each step through the path a real one takes."""
    # 1. a normal ticket: alice claims, replies, resolves; bob replies
    #    later too (handled, but not the first response)
    s1 = "Invoice missing"
    n1, m1, u1 = day.customer(s1, "gina@customer.example")
    day.store("alice", u1, "hd-claim")
    # 2. an urgent one (high priority, two seconds to the first response):
    #    bob claims it and is late
    s2 = "URGENT: shop down"
    n2, m2, u2 = day.customer(s2, "hank@customer.example")
    day.store("bob", u2, "hd-claim")
    # 3. an urgent one nobody claims: its breach has no owner
    s3 = "Outage: cannot log in"
    n3, m3, u3 = day.customer(s3, "ivan@customer.example")
    # 4. a ticket of team billing (holiday calendar): carol answers it
    #    unclaimed, resolves it, the customer reopens it, carol resolves
    #    again
    s4 = "Wrong VAT rate"
    n4, m4, u4 = day.customer(s4, "judy@customer.example",
                              rcpt="support+billing@example.com")
    team4 = day.dc.sql("SELECT team FROM hd_tickets WHERE id = ?", (n4,))
    t.eq(team4, [("billing",)], "support+billing@: the ticket is team billing's")
    # 5. a normal ticket dave (no team) answers
    s5 = "Password reset"
    n5, m5, u5 = day.customer(s5, "kurt@customer.example")

    time.sleep(1.2)
    day.reply("alice", n1, m1, s1, "gina@customer.example")
    day.reply("carol", n4, m4, s4, "judy@customer.example")
    time.sleep(1.0)
    day.store("alice", u1, "hd-resolved")
    day.store("carol", u4, "hd-resolved")
    day.reply("bob", n1, m1, s1, "gina@customer.example")

    # the two-second target of tickets 2 and 3 runs out; the sweep finds it
    time.sleep(2.5)
    p = day.dc.doveadm("helpdesk", "sweep", user="support", check=False)
    t.ok(p.returncode == 0, "doveadm helpdesk sweep -u support", p.stderr)
    breaches = day.dc.sql("SELECT ticket_id, actor, detail FROM hd_events WHERE "
                          "kind = 'sla_breached' ORDER BY ticket_id")
    t.eq(breaches, [(n2, "bob", "first_response"), (n3, "", "first_response")],
         "the sweep: first-response breaches of ticket %d (owner bob) and %d "
         "(no owner)" % (n2, n3))
    day.reply("bob", n2, m2, s2, "hank@customer.example")

    reopen = day.followup(m4, s4, "judy@customer.example")
    t.eq(day.status(n4), ("open", "carol"), "the customer's answer reopens ticket %d" % n4)
    time.sleep(1.0)
    day.store("carol", day.uid_of(reopen)["uid"], "hd-resolved")
    day.reply("dave", n5, m5, s5, "kurt@customer.example")
    time.sleep(0.5)
    day.store("dave", u5, "hd-resolved")
    t.eq(day.status(n1), ("resolved", "alice"), "ticket %d resolved by alice" % n1)
    t.eq(day.status(n4), ("resolved", "carol"), "ticket %d resolved again" % n4)
    t.eq(day.status(n5), ("resolved", "dave"), "ticket %d resolved by dave" % n5)


# ------------------------------------------- the figures, computed here

def business_seconds(holidays, a, b):
    """Seconds of [a, b) outside the holiday dates (UTC); no holidays:
    plain seconds."""
    if b <= a:
        return 0
    if not holidays:
        return b - a
    total = 0
    while a < b:
        date = datetime.datetime.fromtimestamp(a, datetime.timezone.utc).date()
        midnight = int(datetime.datetime(date.year, date.month, date.day,
                                         tzinfo=datetime.timezone.utc).timestamp())
        end = min(b, midnight + DAY)
        if date not in holidays:
            total += end - a
        a = end
    return total


def nearest_rank(samples, percent):
    s = sorted(samples)
    return s[-(-percent * len(s) // 100) - 1]


def compliance(met, breached):
    total = met + breached
    if total == 0:
        return ""
    tenths = (met * 2000 + total) // (2 * total)
    return "%d.%d" % (tenths // 10, tenths % 10)


def expected_rows(dc, since, until, team_filter=None):
    """The rows stats must print for events in (since, until]."""
    events = dc.sql("SELECT id, ticket_id, kind, actor, created FROM hd_events "
                    "ORDER BY id")
    tickets = {r[0]: r[1] for r in dc.sql("SELECT id, team FROM hd_tickets")}
    agent_team = {r[0]: r[1] for r in dc.sql("SELECT username, team FROM hd_agents")}
    hol = {"billing": set(holidays_around_now())}

    def new():
        return {"tickets": set(), "first": [], "res": [], "met": 0, "breached": 0}

    agents = {}
    for eid, ticket, kind, actor, created in events:
        if not (since < created <= until):
            continue
        if kind not in ("replied", "resolved", "sla_met", "sla_breached"):
            continue
        a = agents.setdefault(actor, new())
        if kind == "sla_met":
            a["met"] += 1
            continue
        if kind == "sla_breached":
            a["breached"] += 1
            continue
        a["tickets"].add(ticket)
        before = [e for e in events if e[1] == ticket and e[0] < eid]
        if kind == "replied":
            if any(e[2] == "replied" for e in before):
                continue
            starts = [e[4] for e in events if e[1] == ticket and e[2] == "created"]
            key = "first"
        else:
            starts = [e[4] for e in before if e[2] in ("created", "reopened")]
            key = "res"
        if starts:
            start = min(starts) if key == "first" else max(starts)
            a[key].append(business_seconds(hol.get(tickets.get(ticket, "")),
                                           start, created))

    def row(scope, name, team, f):
        def times(samples):
            if not samples:
                return ["", ""]
            return [str(nearest_rank(samples, 50)), str(nearest_rank(samples, 90))]
        return dict(zip(COLUMNS, [scope, name, team, str(len(f["tickets"]))] +
                        times(f["first"]) + times(f["res"]) +
                        [str(f["met"]), str(f["breached"]),
                         compliance(f["met"], f["breached"]),
                         # no ratings asked in this day (helpdesk_csat
                         # is off): test_customer_mail.py has them
                         "", ""]))

    rows, teams = [], {}
    for name in sorted(agents):
        team = agent_team.get(name, "")
        if team_filter is not None and team != team_filter:
            continue
        f = agents[name]
        tf = teams.setdefault(team, new())
        tf["tickets"] |= f["tickets"]
        for k in ("first", "res"):
            tf[k] += f[k]
        for k in ("met", "breached"):
            tf[k] += f[k]
        if name != "":
            rows.append(row("agent", name, team, f))
    for team in sorted(teams):
        rows.append(row("team", team, team, teams[team]))
    return rows


def stats(dc, *args, fmt="json"):
    """doveadm -f FMT helpdesk stats ARGS: (rows of the JSON, the window's
    possible ends: the command's "now" lies between them,
    CompletedProcess)."""
    lo = int(time.time())
    p = dc.doveadm("-f", fmt, "helpdesk", "stats", *args, check=False)
    hi = int(time.time())
    rows = json.loads(p.stdout) if p.returncode == 0 and p.stdout.strip() else None
    return rows, (lo, hi), p


def check_stats(t, dc, name, args, period_secs, team=None):
    rows, (lo, hi), p = stats(dc, *args)
    if not t.ok(rows is not None, "%s: exit 0 with JSON" % name,
                "exit %d\n%s%s" % (p.returncode, p.stdout, p.stderr)):
        return None
    # the window ends at the command's "now": the same figures for every
    # second it may have been (nothing happened meanwhile)
    candidates = [expected_rows(dc, now - period_secs, now, team) for now in
                  range(lo, hi + 1)]
    t.ok(rows in candidates, "%s: every row and figure as computed from the "
         "ledger" % name,
         lambda: "got:\n%s\nexpected:\n%s" % (
             "\n".join(json.dumps(r) for r in rows),
             "\n".join(json.dumps(r) for r in candidates[-1])))
    t.ok(all(list(r.keys()) == COLUMNS for r in rows),
         "%s: the columns, in order" % name, repr([list(r) for r in rows[:1]]))
    return rows


def report(t, dc):
    rows = check_stats(t, dc, "stats -p day", ("-p", "day"), DAY)
    if rows:
        # the scenario made what the figures are about (the values are
        # compared above; here: the rows that must be there at all)
        by = {(r["scope"], r["name"]): r for r in rows}
        t.ok(set(by) == {("agent", a) for a in AGENTS} |
             {("team", x) for x in ("", "billing", "network")},
             "stats -p day: a row per agent who acted and per team, team '' "
             "for dave and the unowned breach", repr(sorted(by)))
        t.ok(by.get(("agent", "bob"), {}).get("sla_breached") not in (None, "0"),
             "stats -p day: bob's breach is his", repr(by.get(("agent", "bob"))))
        t.ok(by.get(("team", "billing"), {}).get("first_response_median") not in
             (None, ""), "stats -p day: team billing has first-response samples",
             repr(by.get(("team", "billing"))))
        carol = by.get(("agent", "carol"), {})
        t.ok(carol.get("resolution_p90") == "0" and carol.get("first_response_p90") == "0",
             "stats -p day: carol's tickets are team billing's, on holidays: "
             "no business time", repr(carol))
    check_stats(t, dc, "stats (default week)", (), 7 * DAY)
    check_stats(t, dc, "stats -p month", ("-p", "month"), 30 * DAY)
    rows = check_stats(t, dc, "stats -p day -t billing", ("-p", "day", "-t", "billing"),
                       DAY, team="billing")
    if rows:
        t.eq(sorted((r["scope"], r["name"]) for r in rows),
             [("agent", "alice"), ("agent", "bob"), ("team", "billing")],
             "-t billing: team billing's agents and its row only")

    _, _, p = stats(dc, "-p", "day", "-t", "nosuchteam")
    t.ok(p.returncode == DOVEADM_EX_NOTFOUND and "nosuchteam" in p.stderr
         and p.stdout.strip() == "[]",
         "-t nosuchteam: refused as not found (%d), no rows" % DOVEADM_EX_NOTFOUND,
         "exit %d\n%s%s" % (p.returncode, p.stdout, p.stderr))
    # (the JSON formatter frames even no output: "[]")
    for bad, fmt, nothing in (("year", "json", "[]"), ("Day", "json", "[]"),
                              ("", "json", "[]"), ("year", "table", ""),
                              ("weekly", "tab", "")):
        _, _, p = stats(dc, "-p", bad, fmt=fmt)
        t.ok(p.returncode == EX_USAGE and "day, week or month" in p.stderr
             and p.stdout.strip() == nothing,
             "-f %s -p '%s': usage error (%d) with a clear message, no row"
             % (fmt, bad, EX_USAGE), "exit %d\nstdout %r\n%s" % (
                 p.returncode, p.stdout, p.stderr))


def main():
    t = Tap()
    plugin = plugin_or_skip(t, "doveadm helpdesk stats")
    if plugin is None:
        return t.done()
    started = time.time()
    dc = Dovecot(plugin=plugin, settings=SETTINGS,
                 users=("support", "alice", "bob", "carol", "dave"))
    dc.start()
    try:
        day = Day(t, dc)
        with t.check("agents and teams registered"):
            setup(t, day)
        with t.check("the scripted day runs to the end"):
            scripted_day(t, day)
        with t.check("the report runs to the end"):
            report(t, dc)
        t.eq(dc.log_errors(), [], "no Error/Panic/Fatal in the log")
    finally:
        dc.stop()
        dc.cleanup()
    t.diag("run time %.1f s" % (time.time() - started))
    return t.done()


if __name__ == "__main__":
    sys.exit(main())
