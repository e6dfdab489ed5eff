#!/usr/bin/python3
"""The game (issue 16), played for real: a scripted week of agent work
over IMAP against a Dovecot with the plugin, customers' mail over LMTP.
The points each agent must have are worked out here from what the script
did (and from the SLA deadlines the clocks wrote to the ledger), then
checked in `doveadm helpdesk leaderboard`, `agent stats`, the METADATA
entries, the weekly report mail delivered into the lead's INBOX (its MIME
parsed), and again after `game rebuild`. The anti-gaming cases -- claim /
unclaim loops, resolve / reopen loops, replying to oneself, a lead
assigning tickets to themselves, an agent's own mail to the queue -- must
earn nothing. A rule change applies from then on; a broken rule table or
level curve is refused and changes nothing."""

import datetime
import email
import email.policy
import json
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))

from hdtest import Dovecot, make_message, msgid_of, plugin_or_skip, \
    store_is_pgsql, ticket_of  # noqa: E402
from rawimap import RawImap, metadata  # noqa: E402
from tap import Tap  # noqa: E402

USERS = ("support", "alice", "bob", "carol", "dave")
SETTINGS = {"helpdesk_timezone": "UTC"}
METADATA_CONFIG = "protocol imap {\n  imap_metadata = yes\n}\n"
STATS_KEY = "/private/vendor/vendor.helpdesk/stats"
BOARD_KEY = "/shared/vendor/vendor.helpdesk/leaderboard"
QUEUE = "Public/Queue"
# the default rules (helpdesk-game.h), as the script counts them
RESOLVE, FIRST_REPLY, FAST_REPLY, SLA_MET, SLA_BREACHED = 10, 2, 3, 2, -5
ESCALATION = 5
# a curve low enough for the week to cross levels
LEVELS = "Rookie:0, Regular:10, Pro:25, Star:45, Ace:70, Hero:100"
LEVEL_AT = [0, 10, 25, 45, 70, 100]
# helpdesk-store-game.c's GAME_PGSQL_SETTLE_SECS, and a margin
PGSQL_SETTLE = 3.5
LEVEL_NAMES = ["Rookie", "Regular", "Pro", "Star", "Ace", "Hero"]


def level_of(peak):
    return max(i + 1 for i, v in enumerate(LEVEL_AT) if peak >= v)


class Week:
    def __init__(self, t, dc):
        self.t = t
        self.dc = dc
        self.earned = {"alice": 0, "bob": 0, "carol": 0, "dave": 0}
        self.resolved = {"alice": 0, "bob": 0, "carol": 0, "dave": 0}
        self.no_points_tickets = set()

    def new_ticket(self, subject, sender="customer@example.org"):
        m = make_message(subject=subject, sender=sender)
        r = self.dc.deliver(m)
        self.t.ok(r.ok, "delivered: %s" % subject, str(r))
        q = [x for x in self.dc.queue("alice") if x["message_id"] == msgid_of(m)]
        return ticket_of(q[0]), q[0]["uid"], m

    def store(self, user, uid, op, flags):
        with self.dc.imap(user) as c:
            c.select(QUEUE)
            typ, dat = c.uid("STORE", str(uid), op, "(%s)" % flags)
        self.t.ok(typ == "OK", "%s: STORE %s %s (%s)" % (user, uid, op, flags),
                  str(dat))

    def reply(self, user, m, ticket, quoting=None):
        """The agent's reply, APPENDed to Sent as a mail client does."""
        r = make_message(subject="Re: [#%d] your request" % ticket,
                         sender="%s@example.com" % user, to="customer@example.org",
                         in_reply_to=quoting or msgid_of(m))
        with self.dc.imap(user) as c:
            typ, dat = c.append("Sent", None, None, r)
        self.t.ok(typ == "OK", "%s APPENDs a reply to Sent" % user, str(dat))
        return r

    def settle(self):
        """On PostgreSQL a fold stops at a gap in the event ids for a few
        seconds (GAME_PGSQL_SETTLE_SECS: a conflicting insert leaves one):
        wait them out and fold."""
        if store_is_pgsql():
            time.sleep(PGSQL_SETTLE)
            self.dc.doveadm("helpdesk", "leaderboard")

    def points(self, agent):
        self.settle()
        rows = self.dc.sql("SELECT COALESCE(SUM(points), 0) FROM hd_points "
                           "WHERE agent = ?", (agent,))
        return rows[0][0]


def setup(t, dc):
    dc.deliver(make_message(subject="warm up", sender="w@customer.example"))
    for args in (("team", "add", "billing"), ("team", "add", "tech"),
                 ("agent", "add", "-a", "alice@example.com", "-t", "billing", "alice"),
                 ("agent", "add", "-a", "bob@example.com", "-t", "billing", "bob"),
                 ("agent", "add", "-l", "-a", "carol@example.com", "-t", "billing",
                  "carol"),
                 ("agent", "add", "-a", "dave@example.com", "-t", "tech", "dave")):
        p = dc.doveadm("helpdesk", *args, check=False)
        t.ok(p.returncode == 0, "doveadm helpdesk %s" % " ".join(args), p.stderr)
    p = dc.doveadm("helpdesk", "game", "levels", LEVELS, check=False)
    t.ok(p.returncode == 0, "game levels: a curve of six levels", p.stderr)


def bad_tables(t, dc):
    before = dc.doveadm("-f", "json", "helpdesk", "game", "rules").stdout
    levels_before = dc.doveadm("-f", "json", "helpdesk", "game", "levels").stdout
    for kind, arg, what in (
            ("rules", "resolve=ten", "points that are no number"),
            ("rules", "nonsense=3", "an unknown rule"),
            ("rules", "resolve=5 resolve=6", "a rule given twice"),
            ("rules", "reopen_window=400d", "a window over a year"),
            ("rules", "daily_cap=-1", "a negative cap"),
            ("levels", "A:0, B:10, C:5", "a falling curve"),
            ("levels", "A:5, B:10", "a curve not starting at 0"),
            ("levels", "A:0", "a single level"),
            ("levels", "A:0, A:10", "a name given twice"),
            ("levels", "A:0, B<x>:10", "a name with markup")):
        p = dc.doveadm("helpdesk", "game", kind, arg, check=False)
        t.ok(p.returncode == 65 and "nothing changed" in p.stderr,
             "game %s '%s' is refused (65) with a clear error: %s" % (kind, arg, what),
             "rc=%d %s" % (p.returncode, p.stderr))
    t.eq(dc.doveadm("-f", "json", "helpdesk", "game", "rules").stdout, before,
         "the refused rule tables changed nothing")
    t.eq(dc.doveadm("-f", "json", "helpdesk", "game", "levels").stdout,
         levels_before, "the refused curves changed nothing")
    rules = {r["rule"]: r["value"] for r in
             json.loads(dc.doveadm("-f", "json", "helpdesk", "game", "rules").stdout)}
    t.eq((rules["resolve"], rules["daily_cap"], rules["reopen_window"]),
         ("10", "150", "7d"), "game rules shows the defaults in force")


def scripted_week(t, w):
    dc = w.dc
    # 1. alice claims, replies within the hour, resolves
    n1, uid1, m1 = w.new_ticket("Invoice missing")
    w.store("alice", uid1, "+FLAGS", "hd-claim")
    w.reply("alice", m1, n1)
    # her client is told at once: level up and the first badges
    with RawImap(dc.imap_port, "alice") as c:
        c.command('SELECT "%s"' % QUEUE)
        r = c.command("UID STORE %d +FLAGS (hd-resolved)" % uid1)
    t.ok(r.ok, "alice resolves ticket %d" % n1, r.text())
    alerts = r.alerts()
    t.ok("Level up: you are now level 2, Regular" in alerts and
         any(a.startswith("New badge: First ticket") for a in alerts),
         "the resolving STORE's reply has ALERTs: level up, new badge",
         str(alerts))
    w.earned["alice"] += FIRST_REPLY + FAST_REPLY + RESOLVE
    w.resolved["alice"] += 1

    # 2. bob claims and unclaims three times (a loop), alice resolves
    n2, uid2, m2 = w.new_ticket("Card declined")
    for _ in range(3):
        w.store("bob", uid2, "+FLAGS", "hd-claim")
        w.store("bob", uid2, "-FLAGS", "hd-owner-bob")
    t.eq(w.points("bob"), 0, "anti-gaming: bob's claim/unclaim loop earned nothing")
    w.store("alice", uid2, "+FLAGS", "hd-claim")
    w.store("alice", uid2, "+FLAGS", "hd-resolved")
    w.earned["alice"] += RESOLVE
    w.resolved["alice"] += 1

    # 3. bob resolves, reopens, resolves, reopens, resolves (a loop)
    n3, uid3, m3 = w.new_ticket("Refund")
    w.store("bob", uid3, "+FLAGS", "hd-claim")
    for _ in range(2):
        w.store("bob", uid3, "+FLAGS", "hd-resolved")
        w.store("bob", uid3, "-FLAGS", "hd-resolved")
    w.store("bob", uid3, "+FLAGS", "hd-resolved")
    w.settle()
    t.eq(dc.sql("SELECT SUM(points) FROM hd_points WHERE ticket_id = ? AND "
                "agent = 'bob' AND rule LIKE 'resolve%'", (n3,)), [(RESOLVE,)],
         "anti-gaming: three resolutions and two reopenings of one ticket "
         "earn one resolution's points, no more")
    w.earned["bob"] += RESOLVE
    w.resolved["bob"] += 1

    # 4. carol, a lead, takes bob's ticket for herself, replies, resolves
    n4, uid4, m4 = w.new_ticket("Priority customer")
    w.store("bob", uid4, "+FLAGS", "hd-claim")
    w.store("carol", uid4, "+FLAGS", "hd-owner-carol")
    w.reply("carol", m4, n4)
    w.store("carol", uid4, "+FLAGS", "hd-resolved")
    w.no_points_tickets.add(n4)
    t.eq(w.points("carol"), 0,
         "anti-gaming: a lead who assigned the ticket to herself earns "
         "nothing on it (reply, resolution)")

    # 5. alice's own mail to the queue: bob resolves it, alice replies
    n5, uid5, m5 = w.new_ticket("Test from alice", sender="alice@example.com")
    w.store("bob", uid5, "+FLAGS", "hd-claim")
    w.reply("bob", m5, n5)
    w.store("bob", uid5, "+FLAGS", "hd-resolved")
    w.no_points_tickets.add(n5)
    w.settle()
    t.eq(dc.sql("SELECT COUNT(*) FROM hd_points WHERE ticket_id = ?", (n5,)),
         [(0,)], "anti-gaming: an agent's own mail to the queue earns nobody "
         "anything")

    # 6. bob escalates, alice replies twice (the second to her own reply)
    #    and resolves it: the escalation bonus and team player
    n6, uid6, m6 = w.new_ticket("Server down")
    w.store("bob", uid6, "+FLAGS", "hd-escalate")
    w.store("alice", uid6, "+FLAGS", "hd-claim")
    r1 = w.reply("alice", m6, n6)
    w.reply("alice", m6, n6, quoting=msgid_of(r1))
    w.settle()
    t.eq(dc.sql("SELECT rule FROM hd_points WHERE ticket_id = ? AND rule "
                "NOT LIKE 'sla%' ORDER BY rule", (n6,)),
         [("fast_reply",), ("first_reply",)],
         "anti-gaming: alice's reply to her own reply earns nothing more")
    w.store("alice", uid6, "+FLAGS", "hd-resolved")
    w.earned["alice"] += FIRST_REPLY + FAST_REPLY + RESOLVE + ESCALATION
    w.resolved["alice"] += 1

    # 7. dave (team tech) resolves one
    n7, uid7, m7 = w.new_ticket("Tech question")
    w.store("dave", uid7, "+FLAGS", "hd-claim")
    w.store("dave", uid7, "+FLAGS", "hd-resolved")
    w.earned["dave"] += RESOLVE
    w.resolved["dave"] += 1
    return {"n1": n1, "n6": n6}


def sla_points(dc, agent, skip):
    """The SLA deadlines the clocks wrote for agent (met, breached)."""
    rows = dc.sql("SELECT kind, ticket_id FROM hd_events WHERE actor = ? "
                  "AND kind IN ('sla_met', 'sla_breached')", (agent,))
    return sum(SLA_MET if k == "sla_met" else SLA_BREACHED
               for k, n in rows if n not in skip)


def expected(w):
    exp = {}
    for a in w.earned:
        exp[a] = w.earned[a] + sla_points(w.dc, a, w.no_points_tickets)
    return exp


def leaderboard(t, w, exp):
    dc = w.dc
    rows = json.loads(dc.doveadm("-f", "json", "helpdesk", "leaderboard", "-t",
                                 "billing", "-p", "week").stdout)
    got = [(r["rank"], r["agent"], r["team"], int(r["points"]), r["level"],
            r["level_name"], r["resolved"]) for r in rows]
    want = []
    billing = sorted([a for a in ("alice", "bob") if exp[a] != 0 or w.resolved[a]],
                     key=lambda a: (-exp[a], a))
    for i, a in enumerate(billing):
        lv = level_of(exp[a])
        want.append((str(i + 1), a, "billing", exp[a], str(lv), LEVEL_NAMES[lv - 1],
                     str(w.resolved[a])))
    t.eq(got, want, "leaderboard -t billing -p week: ranks, points, levels, "
         "resolved as the script played them")
    for period in ("day", "month", "all"):
        rows = json.loads(dc.doveadm("-f", "json", "helpdesk", "leaderboard", "-t",
                                     "billing", "-p", period).stdout)
        t.eq([(r["agent"], int(r["points"])) for r in rows],
             [(a, exp[a]) for a in billing],
             "leaderboard -p %s: the same week's points" % period)
    rows = json.loads(dc.doveadm("-f", "json", "helpdesk", "leaderboard").stdout)
    t.eq(sorted((r["agent"], r["team"], int(r["points"])) for r in rows),
         sorted([(a, "billing", exp[a]) for a in billing] +
                [("dave", "tech", exp["dave"])]),
         "leaderboard without -t: every team's agents")
    rows = json.loads(dc.doveadm("-f", "json", "helpdesk", "leaderboard", "-T").stdout)
    t.eq([(r["team"], int(r["points"]), r["agents"]) for r in rows],
         sorted([("billing", sum(exp[a] for a in billing), str(len(billing))),
                 ("tech", exp["dave"], "1")], key=lambda x: -x[1]),
         "leaderboard -T: one row per team")
    p = dc.doveadm("helpdesk", "leaderboard", "-p", "year", check=False)
    t.ok(p.returncode == 64 and "day, week, month or all" in p.stderr,
         "leaderboard -p year: usage error", p.stderr)
    p = dc.doveadm("helpdesk", "leaderboard", "-t", "nosuch", check=False)
    t.ok(p.returncode == 68, "leaderboard -t nosuch: not found (68)", p.stderr)


def resolve_hours(dc, agent):
    return [datetime.datetime.fromtimestamp(c, datetime.timezone.utc)
            for (c,) in dc.sql("SELECT created FROM hd_events WHERE actor = ? "
                               "AND kind = 'resolved' ORDER BY id", (agent,))]


def agent_stats(t, w, exp, tickets):
    dc = w.dc
    st = json.loads(dc.doveadm("-f", "json", "helpdesk", "agent", "stats",
                               "alice").stdout)[0]
    lv = level_of(exp["alice"])
    t.eq((int(st["points"]), st["level"], st["level_name"], st["team"],
          st["resolved"], st["rank_in_team"], st["team_size"],
          int(st["week_points"])),
         (exp["alice"], str(lv), LEVEL_NAMES[lv - 1], "billing", "3", "1", "2",
          exp["alice"]),
         "agent stats alice: points, level, team, resolved, rank in team")
    nxt = LEVEL_AT[lv] - exp["alice"] if lv < len(LEVEL_AT) else 0
    t.eq(int(st["points_to_next_level"]), nxt, "agent stats: points to next level")
    badges = {b.split(":")[0]: b for b in st["badges"].split()}
    want = {"first_ticket", "first_contact", "team_player"}
    hours = resolve_hours(dc, "alice")
    if any(h.hour >= 22 or h.hour < 6 for h in hours):
        want.add("night_owl")
    if any(h.weekday() >= 5 for h in hours):
        want.add("weekend_hero")
    t.eq(set(badges), want, "alice's badges: first ticket, first contact, "
         "team player (and the clock's: night owl, weekend hero)")
    t.ok(badges["first_ticket"].endswith(":%d" % tickets["n1"]) and
         badges["team_player"].endswith(":%d" % tickets["n6"]),
         "each badge names the ticket that earned it", str(badges))
    p = dc.doveadm("helpdesk", "agent", "stats", "nobody", check=False)
    t.ok(p.returncode == 68, "agent stats of an unknown user: 68", p.stderr)
    return st


def metadata_entries(t, w, exp, st):
    dc = w.dc
    tagged, vals = metadata(dc.imap_port, "alice", 'GETMETADATA "" %s' % STATS_KEY)
    t.ok(tagged.startswith("OK") and len(vals) == 1 and vals[0],
         "alice: GETMETADATA \"\" %s" % STATS_KEY, "%s %r" % (tagged, vals))
    js = json.loads(vals[0])
    t.eq((js["version"], js["agent"], js["points"], js["level"], js["level_name"],
          js["rank_in_team"], js["week_points"]),
         (1, "alice", exp["alice"], int(st["level"]), st["level_name"], 1,
          exp["alice"]), "the stats entry: the JSON agrees with agent stats")
    t.eq(sorted(b["badge"] for b in js["badges"]),
         sorted(b.split(":")[0] for b in st["badges"].split()),
         "the stats entry lists the same badges")
    tagged, vals = metadata(dc.imap_port, "bob", 'GETMETADATA "%s" %s'
                            % (QUEUE, BOARD_KEY))
    js = json.loads(vals[0])
    t.eq((js["version"], js["team"], js["period"],
          [(r["rank"], r["agent"], r["points"]) for r in js["rows"]]),
         (1, "billing", "week", [(1, "alice", exp["alice"]), (2, "bob", exp["bob"])]),
         "bob: the queue's leaderboard entry is billing's week")
    tagged, vals = metadata(dc.imap_port, "alice",
                            'SETMETADATA "" (%s "{\\"points\\":9999}")' % STATS_KEY)
    t.ok(tagged.startswith("NO"),
         "SETMETADATA on the stats entry is refused", tagged)
    tagged, vals = metadata(dc.imap_port, "alice", 'SETMETADATA "%s" (%s NIL)'
                            % (QUEUE, BOARD_KEY))
    t.ok(tagged.startswith("NO"),
         "SETMETADATA on the leaderboard entry is refused", tagged)
    t.eq(w.points("alice"), exp["alice"], "... and changed nothing")


def report(t, w, exp):
    dc = w.dc
    p = dc.doveadm("helpdesk", "report", "-p", "week", "-t", "billing", "-c",
                   "--deliver", check=False)
    t.ok(p.returncode == 0 and "delivered" in p.stdout,
         "report -p week -t billing -c --deliver", p.stdout + p.stderr)
    with dc.imap("carol") as c:
        c.select("INBOX")
        typ, dat = c.search(None, "HEADER", "Auto-Submitted", "auto-generated")
        uids = dat[0].split()
        t.eq(len(uids), 1, "carol's INBOX has one report")
        typ, dat = c.fetch(uids[-1], "(RFC822)")
    msg = email.message_from_bytes(dat[0][1], policy=email.policy.default)
    t.ok(msg["Message-ID"] and msg["Auto-Submitted"] == "auto-generated" and
         msg.get_content_type() == "multipart/alternative" and
         "billing" in str(msg["Subject"]),
         "the report: Message-ID, Auto-Submitted, multipart/alternative, "
         "the team in the subject", str(msg["Subject"]))
    text = msg.get_body(("plain",)).get_content()
    html = msg.get_body(("html",)).get_content()
    for a in ("alice", "bob"):
        line = [ln for ln in text.splitlines() if " %s " % a in " %s " % ln]
        t.ok(line and str(exp[a]) in line[0].split(),
             "the text part: %s with %d points" % (a, exp[a]), str(line))
    t.ok("width:100%" in html and "<script" not in html.lower() and
         "<svg" not in html.lower() and "http" not in html.lower().replace(
             "http-equiv", ""),
         "the HTML part: a CSS bar chart, no scripts, no SVG, no remote images")
    t.ok("Team player" in text and "First ticket" in text,
         "the report lists the week's badges")
    p = dc.doveadm("helpdesk", "report", "-p", "week", "-t", "billing",
                   check=False)
    t.ok(p.returncode == 0 and "Auto-Submitted: auto-generated" in p.stdout,
         "report without --deliver prints the mail", p.stderr)
    p = dc.doveadm("helpdesk", "report", "-p", "month", check=False)
    t.ok(p.returncode == 64, "report -p month: usage error", p.stderr)


def rebuild_and_rules(t, w, exp):
    dc = w.dc
    w.settle()
    before = dc.sql("SELECT username, points, peak, level, resolved FROM "
                    "hd_game_agents ORDER BY username")
    badges = dc.sql("SELECT username, badge, ticket_id FROM hd_badges "
                    "ORDER BY username, badge")
    p = dc.doveadm("-f", "json", "helpdesk", "game", "rebuild", check=False)
    t.ok(p.returncode == 0, "game rebuild", p.stderr)
    res = json.loads(p.stdout)[0]
    t.eq((res["changed"], res["points_before"] == res["points_after"]), ("0", True),
         "game rebuild: no agent's total changed")
    t.eq(dc.sql("SELECT username, points, peak, level, resolved FROM "
                "hd_game_agents ORDER BY username"), before,
         "after the rebuild: the same totals and levels")
    t.eq(dc.sql("SELECT username, badge, ticket_id FROM hd_badges ORDER BY "
                "username, badge"), badges, "after the rebuild: the same badges")

    p = dc.doveadm("helpdesk", "game", "rules", "resolve=20", check=False)
    t.ok(p.returncode == 0, "game rules resolve=20", p.stderr)
    n, uid, m = w.new_ticket("After the rule change")
    w.store("bob", uid, "+FLAGS", "hd-claim")
    w.store("bob", uid, "+FLAGS", "hd-resolved")
    w.settle()
    t.eq(dc.sql("SELECT points FROM hd_points WHERE ticket_id = ? AND "
                "rule = 'resolve'", (n,)), [(20,)],
         "a resolution after the change earns the new 20 points")
    t.eq(dc.sql("SELECT COUNT(*) FROM hd_points WHERE rule = 'resolve' AND "
                "points = 20 AND ticket_id != ?", (n,)), [(0,)],
         "the earlier resolutions keep their 10: the past is not rewritten")
    total = dc.sql("SELECT SUM(points) FROM hd_points")
    p = dc.doveadm("helpdesk", "game", "rebuild", check=False)
    t.eq(dc.sql("SELECT SUM(points) FROM hd_points"), total,
         "a rebuild after the rule change gives the same total (each event "
         "under the rules of its time)")


def main():
    t = Tap()
    plugin = plugin_or_skip(t, "the game")
    if plugin is None:
        return t.done()
    started = time.time()
    dc = Dovecot(plugin=plugin, settings=SETTINGS, users=USERS)
    dc.extra_config = METADATA_CONFIG
    dc.start()
    try:
        w = Week(t, dc)
        with t.check("agents, teams and a level curve"):
            setup(t, dc)
        with t.check("broken tables are refused"):
            bad_tables(t, dc)
        with t.check("the scripted week runs to the end"):
            tickets = scripted_week(t, w)
        w.settle()
        exp = expected(w)
        t.diag("expected points: %r" % exp)
        with t.check("leaderboards"):
            leaderboard(t, w, exp)
        with t.check("agent stats"):
            st = agent_stats(t, w, exp, tickets)
        with t.check("METADATA entries"):
            metadata_entries(t, w, exp, st)
        with t.check("the weekly report"):
            report(t, w, exp)
        with t.check("rebuild and rule changes"):
            rebuild_and_rules(t, w, exp)
        t.eq(dc.log_errors(), [], "no Error/Panic/Fatal in the log")
    finally:
        dc.stop()
        dc.cleanup()
    t.diag("run time %.1f s" % (time.time() - started))
    return t.done()


if __name__ == "__main__":
    sys.exit(main())
