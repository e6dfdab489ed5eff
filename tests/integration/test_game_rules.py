#!/usr/bin/python3
"""The game's rules, table-driven, on a real store: a private Dovecot with
the plugin, agents and teams registered with doveadm, and for each case a
synthetic ledger written straight into the SQLite store (hd_tickets,
hd_events with chosen times), folded by `doveadm helpdesk game rebuild`
(or incrementally, by a reading command), and the outcome read back from
doveadm (`agent stats`, `leaderboard`) and the game's tables (hd_points,
hd_badges, hd_game_levelups, hd_game_periods).

Every case starts from a ledger without the earlier cases' events (they
are deleted and the game rebuilt), uses agents and teams of its own, and
checks what plugin/helpdesk-game.h and plugin/helpdesk-store-game.h
promise: the daily cap, the reopen window, first and fast replies, the
SLA points and streak, rating replacement, levels that are never lost,
the badges (each with the ticket that earned it, none twice), top of the
week at a team's week turn, rule versions, the anti-gaming rules, a
deterministic fold (rebuild == rebuild == incremental folds) and the
period totals behind the leaderboards.

HD_CASES=1,7 runs only those cases (the setup always)."""

import calendar
import datetime
import json
import os
import random
import re
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))

from hdtest import Dovecot, DovecotError, make_message, plugin_or_skip  # noqa: E402
from tap import Tap  # noqa: E402

SETTINGS = {"helpdesk_timezone": "UTC"}
# the default rules (helpdesk-game.h) the cases count with
RESOLVE, SLA_MET, SLA_BREACHED, RATING_BAD, DAILY_CAP = 10, 2, -5, -3, 150
CUSTOMER = "customer@example.org"
AGENT_DOMAIN = "agents.example"

# (team, [(agent, lead)]): every case has agents (and mostly a team) of
# its own
TEAMS = (
    ("t1", [("cap1", False)]),
    ("t2", [("ro2", False)]),
    ("t3", [("fr3", False), ("fr3b", False)]),
    ("t4", [("sla4", False), ("sla4b", False)]),
    ("t5", [("rate5", False)]),
    ("t6", [("lvl6", False)]),
    ("t7", [("badger", False), ("mate7", False)]),
    ("t7x", [("other7", False)]),
    ("t8", [("top8a", False), ("top8b", False)]),
    ("t8y", [("ya8", False), ("yb8", False)]),
    ("t9", [("rule9", False)]),
    ("t10", [("x10", False), ("y10", False), ("lead10", True)]),
    ("t11", [("d11a", False), ("d11b", False), ("d11c", True)]),
    ("t11b", [("d11d", False), ("vip11", False)]),
    ("t12", [("per12", False)]),
    ("t12z", [("per12z", False)]),
)
# teams in another calendar than helpdesk_timezone
TEAM_ZONES = {"t12z": "Asia/Tokyo"}
# synthetic tickets are numbered from here (the warm-up delivery's ticket
# is far below)
TICKET_BASE = 100000


def T(text):
    """'YYYY-MM-DD HH:MM' (UTC) as a Unix time."""
    return calendar.timegm(time.strptime(text, "%Y-%m-%d %H:%M"))


def parse_iso(text):
    """An ISO 8601 time with Z or a +hh:mm offset as a Unix time."""
    return int(datetime.datetime.fromisoformat(
        text[:-1] + "+00:00" if text.endswith("Z") else text).timestamp())


def addr(agent):
    return "%s@%s" % (agent, AGENT_DOMAIN)


MIN, HOUR, DAY = 60, 3600, 86400


def write_rows(dc, statements):
    """Run statements [(sql, args)] in one transaction on the SQLite store
    as the mail user."""
    dc.sql_write_many(statements)


class Ledger:
    """A synthetic ledger: tickets and events with chosen times, written
    in one go. Events are inserted in time order (a stable sort: events
    of the same second keep the order they were added in), so their ids
    follow time as in a real ledger."""
    ticket_seq = TICKET_BASE
    event_seq = 0

    def __init__(self):
        self.tickets = []
        self.events = []

    def ticket(self, created, requester=CUSTOMER, vip=0, team=""):
        """A new ticket with its 'created' event (the requester as actor,
        as the store writes it)."""
        Ledger.ticket_seq += 1
        n = Ledger.ticket_seq
        self.tickets.append((n, "gr-origin-%d" % n, "rules case %d" % n,
                             requester, "open", team, vip, created, created))
        self.ev(n, "created", requester, created)
        return n

    def ev(self, ticket, kind, actor, when, detail=""):
        """An event; returns its event_key (event_id() finds its id)."""
        Ledger.event_seq += 1
        key = "gr-%d" % Ledger.event_seq
        self.events.append((when, Ledger.event_seq,
                            (key, ticket, kind, actor, "", str(detail), when)))
        return key

    def statements(self, events=None):
        out = [("INSERT INTO hd_tickets (id, origin_key, subject, requester, "
                "status, team, vip, created, updated) VALUES "
                "(?, ?, ?, ?, ?, ?, ?, ?, ?)", row) for row in self.tickets]
        evs = sorted(self.events if events is None else events,
                     key=lambda e: (e[0], e[1]))
        out += [("INSERT INTO hd_events (event_key, ticket_id, kind, actor, "
                 "message_key, detail, created) VALUES (?, ?, ?, ?, ?, ?, ?)",
                 e[2]) for e in evs]
        return out

    def write(self, dc):
        write_rows(dc, self.statements())
        self.tickets, self.events = [], []


# ------------------------------------------------------------- doveadm, sql

def reset(dc):
    """Forget the earlier cases: their events, tickets and rule versions;
    the rebuild then empties the derived tables."""
    write_rows(dc, [
        ("DELETE FROM hd_events WHERE event_key LIKE 'gr-%'", ()),
        ("DELETE FROM hd_tickets WHERE id > ?", (TICKET_BASE,)),
        ("DELETE FROM hd_game_rules", ()),
    ])
    rebuild(dc)


def rebuild(dc):
    p = dc.doveadm("-f", "json", "helpdesk", "game", "rebuild", check=False)
    if p.returncode != 0:
        raise DovecotError("game rebuild: rc=%d %s" % (p.returncode, p.stderr))
    return json.loads(p.stdout)[0]


def fold(dc):
    """A reading command folds what is new."""
    p = dc.doveadm("-f", "json", "helpdesk", "leaderboard", "-p", "all",
                   check=False)
    if p.returncode != 0:
        raise DovecotError("leaderboard: rc=%d %s" % (p.returncode, p.stderr))
    return json.loads(p.stdout)


def stats(dc, agent):
    p = dc.doveadm("-f", "json", "helpdesk", "agent", "stats", agent,
                   check=False)
    if p.returncode != 0:
        raise DovecotError("agent stats %s: rc=%d %s"
                           % (agent, p.returncode, p.stderr))
    return json.loads(p.stdout)[0]


def board(dc, *args):
    p = dc.doveadm("-f", "json", "helpdesk", "leaderboard", *args, check=False)
    if p.returncode != 0:
        raise DovecotError("leaderboard %s: rc=%d %s"
                           % (" ".join(args), p.returncode, p.stderr))
    return json.loads(p.stdout)


def badges_of_stats(st, raw=False):
    """agent stats' badges "key:YYYY-MM-DDTHH:MM:SSZ:ticket ..." as
    [(key, created, ticket)], created as a Unix time (raw: the text)."""
    out = []
    for b in st["badges"].split():
        key, rest = b.split(":", 1)
        created, ticket = rest.rsplit(":", 1)
        out.append((key, created if raw else parse_iso(created), int(ticket)))
    return out


def event_id(dc, key):
    return dc.sql("SELECT id FROM hd_events WHERE event_key = ?", (key,))[0][0]


def agent_points(dc, agent):
    return dc.sql("SELECT COALESCE(SUM(points), 0) FROM hd_points "
                  "WHERE agent = ?", (agent,))[0][0]


def ticket_points(dc, ticket):
    """(agent, rule, points) of a ticket, in the order they were awarded."""
    return dc.sql("SELECT agent, rule, points FROM hd_points WHERE "
                  "ticket_id = ? ORDER BY event_id, award_key", (ticket,))


def badge_rows(dc, agent):
    return dc.sql("SELECT badge, period_key, ticket_id, created FROM "
                  "hd_badges WHERE username = ? ORDER BY created, badge",
                  (agent,))


# -------------------------------------------------------------------- setup

def setup(t, dc):
    r = dc.deliver(make_message(subject="warm up", sender="w@customer.example"))
    t.ok(r.ok, "the warm-up delivery creates the store", str(r))
    t.ok(dc.db_path and os.path.exists(dc.db_path), "the SQLite store exists")
    for team, agents in TEAMS:
        zone = TEAM_ZONES.get(team, "UTC")
        p = dc.doveadm("helpdesk", "team", "add", "-z", zone, team, check=False)
        t.ok(p.returncode == 0, "team add -z %s %s" % (zone, team), p.stderr)
        for agent, lead in agents:
            args = ["helpdesk", "agent", "add", "-t", team, "-a", addr(agent)]
            if lead:
                args.append("-l")
            p = dc.doveadm(*(args + [agent]), check=False)
            t.ok(p.returncode == 0, " ".join(args[1:] + [agent]), p.stderr)
    rules = {r["rule"]: r["value"] for r in json.loads(
        dc.doveadm("-f", "json", "helpdesk", "game", "rules").stdout)}
    t.eq((rules["resolve"], rules["first_reply"], rules["fast_reply"],
          rules["sla_met"], rules["sla_breached"], rules["rating_good"],
          rules["rating_bad"], rules["escalation"], rules["daily_cap"],
          rules["reopen_window"], rules["fast_within"]),
         ("10", "2", "3", "2", "-5", "5", "-3", "5", "150", "7d", "1h"),
         "the default rule table is in force (the cases count with it)")


# -------------------------------------------------------------------- cases

def case_daily_cap(t, dc):
    a, day = "cap1", T("2025-02-04 08:00")      # a Tuesday
    lg = Ledger()
    tickets = [lg.ticket(day + i * MIN, team="t1") for i in range(21)]
    # a first reply (2.5 h after: not fast) for 2 points first, so that the
    # cap falls in the middle of a resolution's 10
    lg.ev(tickets[0], "replied", a, day + 150 * MIN)
    resolves = [lg.ev(n, "resolved", a, T("2025-02-04 11:00") + i * MIN)
                for i, n in enumerate(tickets[:20])]
    # a penalty after the cap is not capped
    lg.ev(tickets[0], "sla_breached", a, T("2025-02-04 18:00"))
    nxt = lg.ev(tickets[20], "resolved", a, T("2025-02-05 09:00"))
    lg.write(dc)
    rebuild(dc)

    got = [dc.sql("SELECT points FROM hd_points WHERE award_key = ?",
                  ("resolve:%d" % event_id(dc, k),))[0][0] for k in resolves]
    t.eq(got, [10] * 14 + [8] + [0] * 5,
         "1 daily cap: 2 + 14 resolutions earn their 10, the 15th what is "
         "left of the cap (8), the 16th to 20th nothing")
    day_pos = dc.sql("SELECT SUM(points) FROM hd_points WHERE agent = ? AND "
                     "points > 0 AND created >= ? AND created < ?",
                     (a, T("2025-02-04 00:00"), T("2025-02-05 00:00")))[0][0]
    t.eq(day_pos, DAILY_CAP, "1 daily cap: the positive points of the day "
         "add up to daily_cap (150), no more")
    t.eq(dc.sql("SELECT rule, points FROM hd_points WHERE agent = ? AND "
                "rule = 'sla_breached'", (a,)), [("sla_breached", -5)],
         "1 daily cap: a penalty after the cap counts in full (-5)")
    t.eq(dc.sql("SELECT points FROM hd_points WHERE award_key = ?",
                ("resolve:%d" % event_id(dc, nxt),)), [(10,)],
         "1 daily cap: the next day a resolution earns 10 again")
    t.eq(dc.sql("SELECT period_key, points, earned, resolved FROM "
                "hd_game_periods WHERE period = 'day' AND username = ? "
                "ORDER BY period_key", (a,)),
         [("2025-02-04", 145, 150, 20), ("2025-02-05", 10, 10, 1)],
         "1 daily cap: the day totals (points, earned, resolved)")
    st = stats(dc, a)
    t.eq((int(st["points"]), st["resolved"]), (155, "21"),
         "1 daily cap: agent stats: 155 points, 21 resolutions")


def case_reopen_window(t, dc):
    a, t0 = "ro2", T("2025-02-11 10:00")
    lg = Ledger()
    ta = lg.ticket(t0 - HOUR, team="t2")
    ra1 = lg.ev(ta, "resolved", a, t0)
    lg.ev(ta, "reopened", CUSTOMER, t0 + 6 * DAY)
    ra2 = lg.ev(ta, "resolved", a, t0 + 6 * DAY + HOUR)
    tb = lg.ticket(t0 - HOUR, team="t2")
    lg.ev(tb, "resolved", a, t0 + 5 * MIN)
    lg.ev(tb, "reopened", CUSTOMER, t0 + 8 * DAY)
    tc = lg.ticket(t0 - HOUR, team="t2")
    for i in range(5):
        lg.ev(tc, "resolved", a, t0 + HOUR + i * 10 * MIN)
        lg.ev(tc, "reopened", a, t0 + HOUR + i * 10 * MIN + 5 * MIN)
    lg.ev(tc, "resolved", a, t0 + 2 * HOUR)
    # an escalated ticket resolved, reopened, resolved again: the
    # escalation bonus once per ticket and agent
    td = lg.ticket(t0 - HOUR, team="t2")
    lg.ev(td, "escalated", "auto", t0 - 30 * MIN)
    lg.ev(td, "resolved", a, t0 + 3 * HOUR)
    lg.ev(td, "reopened", CUSTOMER, t0 + 4 * HOUR)
    lg.ev(td, "resolved", a, t0 + 5 * HOUR)
    lg.write(dc)
    rebuild(dc)

    t.eq(dc.sql("SELECT award_key, rule, points FROM hd_points WHERE "
                "ticket_id = ? ORDER BY event_id", (ta,)),
         [("resolve:%d" % event_id(dc, ra1), "resolve", 10),
          ("retract:resolve:%d" % event_id(dc, ra1), "resolve_retracted", -10),
          ("resolve:%d" % event_id(dc, ra2), "resolve", 10)],
         "2 reopen window: reopened 6 days after -> a resolve_retracted "
         "entry of -10; resolved again -> earns 10 again")
    t.eq(ticket_points(dc, tb), [(a, "resolve", 10)],
         "2 reopen window: reopened 8 days after -> the resolution is kept")
    rows = ticket_points(dc, tc)
    t.ok(sum(p for _, _, p in rows) == RESOLVE,
         "2 reopen window: 5 resolve/reopen cycles and a last resolution "
         "earn one resolution (10), no more", str(rows))
    t.eq(ticket_points(dc, td),
         [(a, "escalation", 5), (a, "resolve", 10), (a, "resolve_retracted", -10),
          (a, "resolve", 10)],
         "2 reopen window: an escalated ticket resolved twice earns the "
         "escalation bonus once; the reopening takes back the resolution only")
    st = stats(dc, a)
    t.eq((int(st["points"]), st["resolved"]), (45, "4"),
         "2 reopen window: agent stats: 45 points, 4 standing resolutions")


def case_replies(t, dc):
    a, b, t0 = "fr3", "fr3b", T("2025-02-18 09:00")
    lg = Ledger()
    f1 = lg.ticket(t0, team="t3")
    lg.ev(f1, "replied", a, t0 + 30 * MIN)
    lg.ev(f1, "replied", a, t0 + 40 * MIN)
    lg.ev(f1, "replied", b, t0 + 50 * MIN)
    f2 = lg.ticket(t0, team="t3")
    lg.ev(f2, "replied", a, t0 + 2 * HOUR)
    lg.write(dc)
    rebuild(dc)

    t.eq(ticket_points(dc, f1), [(a, "fast_reply", 3), (a, "first_reply", 2)],
         "3 replies: a first reply 30 min after creation earns first_reply 2 "
         "and fast_reply 3; the second reply (same agent, another agent) "
         "nothing")
    t.eq(ticket_points(dc, f2), [(a, "first_reply", 2)],
         "3 replies: a first reply 2 h after creation earns first_reply 2 only")
    t.eq((agent_points(dc, a), agent_points(dc, b)), (7, 0),
         "3 replies: totals (fr3 7, fr3b 0)")


def case_sla(t, dc):
    a, other, t0 = "sla4", "sla4b", T("2025-02-25 08:00")
    lg = Ledger()
    seq = [0]

    def sla(kind, actor=a):
        seq[0] += 1
        when = t0 + seq[0] * 5 * MIN
        n = lg.ticket(when - MIN, team="t4")
        lg.ev(n, kind, actor, when)
        return n

    for _ in range(9):
        sla("sla_met")
    sla("sla_breached")
    for _ in range(9):
        sla("sla_met")
    sla("sla_met", other)
    lg.write(dc)
    rebuild(dc)
    t.eq(dc.sql("SELECT rule, points, COUNT(*) FROM hd_points WHERE agent = ? "
                "GROUP BY rule, points ORDER BY rule", (a,)),
         [("sla_breached", -5, 1), ("sla_met", 2, 18)],
         "4 SLA: sla_met +2, sla_breached -5 for the event's actor")
    t.eq(agent_points(dc, other), 2,
         "4 SLA: another agent's sla_met is theirs (+2)")
    t.eq(badge_rows(dc, a), [],
         "4 SLA: 9 met, a breach, 9 met: no sla_streak (the breach reset "
         "the streak)")

    tenth = sla("sla_met")      # the 10th in a row
    sla("sla_breached")
    for _ in range(12):
        sla("sla_met")
    lg.write(dc)
    fold(dc)
    t.eq([(b, tk) for b, _, tk, _ in badge_rows(dc, a)], [("sla_streak", tenth)],
         "4 SLA: the 10th met deadline in a row earns sla_streak, once, with "
         "its ticket (a later streak of 12 earns no second one)")
    t.eq(agent_points(dc, a), 31 * SLA_MET + 2 * SLA_BREACHED,
         "4 SLA: total 31 met and 2 breached = 52")
    t.eq(dc.sql("SELECT met_streak FROM hd_game_agents WHERE username = ?",
                (a,)), [(12,)], "4 SLA: the streak now is 12")


def case_ratings(t, dc):
    a, t0 = "rate5", T("2025-03-04 09:00")
    lg = Ledger()
    n = lg.ticket(t0, team="t5")
    lg.ev(n, "resolved", a, t0 + HOUR)
    lg.ev(n, "rated", a, t0 + 2 * HOUR, "5")
    lg.write(dc)
    rebuild(dc)

    def rating_points():
        return dc.sql("SELECT COALESCE(SUM(points), 0) FROM hd_points WHERE "
                      "ticket_id = ? AND rule IN ('rating_good', "
                      "'rating_bad')", (n,))[0][0]

    t.eq(dc.sql("SELECT rule, points FROM hd_points WHERE ticket_id = ? AND "
                "rule LIKE 'rating%'", (n,)), [("rating_good", 5)],
         "5 ratings: a 5 after the resolution earns rating_good +5")
    t.eq([(b, tk) for b, _, tk, _ in badge_rows(dc, a)],
         [("first_ticket", n), ("five_star", n)],
         "5 ratings: ... and the badge five_star with its ticket")
    lg.ev(n, "rated", a, t0 + 3 * HOUR, "1")
    lg.write(dc)
    fold(dc)
    t.eq(rating_points(), RATING_BAD,
         "5 ratings: a second rating of 1 replaces it: net rating points -3")
    lg.ev(n, "rated", a, t0 + 4 * HOUR, "3")
    lg.write(dc)
    fold(dc)
    t.eq(rating_points(), 0, "5 ratings: a third rating of 3: net 0")
    t.eq(agent_points(dc, a), RESOLVE, "5 ratings: the agent keeps the "
         "resolution's 10 only")
    t.eq(len([b for b in badge_rows(dc, a) if b[0] == "five_star"]), 1,
         "5 ratings: five_star once")


def case_levels(t, dc):
    a, t0 = "lvl6", T("2025-03-05 09:00")
    lg = Ledger()
    last = None
    for i in range(5):
        last = lg.ticket(t0 + i * MIN, team="t6")
        lg.ev(last, "resolved", a, t0 + HOUR + i * MIN)
    for i in range(2):
        n = lg.ticket(t0 + 2 * HOUR, team="t6")
        lg.ev(n, "sla_breached", a, t0 + 3 * HOUR + i * MIN)
    lg.write(dc)
    rebuild(dc)

    st = stats(dc, a)
    t.eq((int(st["points"]), st["level"], st["level_name"],
          int(st["points_to_next_level"])), (40, "2", "Apprentice", 100),
         "6 levels: 50 points reached Apprentice (2); breaches down to 40 "
         "keep level 2 (100 to Helper, from the peak)")
    t.eq(dc.sql("SELECT level, ticket_id FROM hd_game_levelups WHERE "
                "username = ?", (a,)), [(2, last)],
         "6 levels: one levelup row, level 2, with the ticket that reached it")
    n = lg.ticket(t0 + 4 * HOUR, team="t6")
    lg.ev(n, "resolved", a, t0 + 5 * HOUR)
    lg.write(dc)
    fold(dc)
    t.eq(dc.sql("SELECT level FROM hd_game_levelups WHERE username = ?", (a,)),
         [(2,)], "6 levels: back at 50 points: no second levelup row")
    t.eq(dc.sql("SELECT points, peak, level FROM hd_game_agents WHERE "
                "username = ?", (a,)), [(50, 50, 2)],
         "6 levels: hd_game_agents points 50, peak 50, level 2")


def case_badges(t, dc):
    a, mate, other = "badger", "mate7", "other7"
    lg = Ledger()
    want = {}           # badge -> (ticket, time)

    def resolve(n, when, badge=None):
        lg.ev(n, "resolved", a, when)
        if badge:
            want[badge] = (n, when)

    # Monday 2025-03-03 (ISO week 10: all of this case is in one week)
    a1 = lg.ticket(T("2025-03-03 09:00"), team="t7")
    resolve(a1, T("2025-03-03 10:00"), "first_ticket")
    a2 = lg.ticket(T("2025-03-03 09:00"), team="t7")
    lg.ev(a2, "replied", a, T("2025-03-03 11:00"))
    resolve(a2, T("2025-03-03 11:30"), "first_contact")
    a3 = lg.ticket(T("2025-03-03 09:00"), vip=1, team="t7")
    resolve(a3, T("2025-03-03 12:00"), "vip_care")
    a4 = lg.ticket(T("2025-03-03 20:00"), team="t7")
    resolve(a4, T("2025-03-03 23:00"), "night_owl")
    # Tuesday: six escalated tickets; only e3 was escalated by a teammate
    # (e1, e2, e4, e5 by an agent of another team); e6, escalated by
    # badger himself, earns no escalation bonus and counts for no badge
    escalators = [other, other, mate, other, other, a]
    for i, who in enumerate(escalators):
        e = lg.ticket(T("2025-03-04 09:00"), team="t7")
        lg.ev(e, "escalated", who, T("2025-03-04 09:30") + i * MIN)
        resolve(e, T("2025-03-04 10:00") + i * 10 * MIN,
                "team_player" if i == 2 else
                "firefighter" if i == 4 else
                "resolved_10" if i == 5 else None)
    self_escalated = e
    # Wednesday: ten fast first replies
    for i in range(10):
        s = lg.ticket(T("2025-03-05 09:00") + i * 20 * MIN, team="t7")
        lg.ev(s, "replied", a, T("2025-03-05 09:10") + i * 20 * MIN)
        if i == 9:
            want["speedster"] = (s, T("2025-03-05 09:10") + i * 20 * MIN)
    # Thursday: the 11th resolution
    a6 = lg.ticket(T("2025-03-06 09:00"), team="t7")
    resolve(a6, T("2025-03-06 10:00"))
    # Saturday
    a5 = lg.ticket(T("2025-03-08 13:00"), team="t7")
    resolve(a5, T("2025-03-08 14:00"), "weekend_hero")
    # Sunday: the same triggers again (VIP, one reply, escalated by a
    # teammate, at night, on a weekend) and an 11th fast reply
    d1 = lg.ticket(T("2025-03-09 09:00"), vip=1, team="t7")
    lg.ev(d1, "replied", a, T("2025-03-09 12:00"))
    lg.ev(d1, "escalated", mate, T("2025-03-09 13:00"))
    resolve(d1, T("2025-03-09 23:30"))
    s11 = lg.ticket(T("2025-03-09 14:00"), team="t7")
    lg.ev(s11, "replied", a, T("2025-03-09 14:05"))
    for i in range(3):          # more escalated ones (6th to 8th)
        e = lg.ticket(T("2025-03-09 15:00"), team="t7")
        lg.ev(e, "escalated", mate, T("2025-03-09 15:10") + i * MIN)
        resolve(e, T("2025-03-09 15:30") + i * MIN)
    lg.write(dc)
    rebuild(dc)

    rows = badge_rows(dc, a)
    t.eq(sorted((b, tk, c) for b, _, tk, c in rows),
         sorted((b, tk, c) for b, (tk, c) in want.items()),
         "7 badges: first_ticket, first_contact, vip_care, night_owl, "
         "team_player, firefighter, speedster, resolved_10, weekend_hero, "
         "each with the ticket (and time) that earned it")
    st = stats(dc, a)
    got = badges_of_stats(st)
    t.eq(sorted(got), sorted((b, c, tk) for b, (tk, c) in want.items()),
         "7 badges: agent stats lists the same badges "
         "(key:time:ticket), none twice")
    raw = [c for _, c, _ in badges_of_stats(st, raw=True)]
    t.ok(raw and all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", c)
                     for c in raw),
         "7 badges: agent stats writes the times as YYYY-MM-DDTHH:MM:SSZ "
         "(doveadm-helpdesk-game.c, README)", st["badges"])
    t.eq((badge_rows(dc, mate), badge_rows(dc, other)), ([], []),
         "7 badges: the escalating agents earn no badges by escalating")
    t.eq(st["resolved"], "16", "7 badges: 16 resolutions counted")
    t.eq(dc.sql("SELECT rule FROM hd_points WHERE ticket_id = ? ORDER BY rule",
                (self_escalated,)), [("resolve",)],
         "7 badges: resolving a ticket one escalated oneself earns no "
         "escalation bonus")


def case_top_of_week(t, dc):
    a, b = "top8a", "top8b"
    lg = Ledger()
    for i in range(3):      # week 2025-W11: a 30, b 10
        n = lg.ticket(T("2025-03-11 09:00"), team="t8")
        lg.ev(n, "resolved", a, T("2025-03-11 10:00") + i * MIN)
    n = lg.ticket(T("2025-03-12 09:00"), team="t8")
    lg.ev(n, "resolved", b, T("2025-03-12 10:00"))
    # another team: the first event of 2026-W53 and 2027-W01
    for i in range(2):
        n = lg.ticket(T("2027-01-01 09:00"), team="t8y")
        lg.ev(n, "resolved", "ya8", T("2027-01-01 10:00") + i * MIN)
    n = lg.ticket(T("2026-12-29 09:00"), team="t8y")
    lg.ev(n, "resolved", "yb8", T("2026-12-29 10:00"))
    lg.write(dc)
    rebuild(dc)
    t.eq(dc.sql("SELECT username FROM hd_badges WHERE badge = 'top_of_week'"),
         [], "8 top of the week: none while the week has not turned")

    # the first event of W12 in team t8 (by b)
    n = lg.ticket(T("2025-03-17 08:00"), team="t8")
    turn = T("2025-03-17 09:00")
    lg.ev(n, "resolved", b, turn)
    n = lg.ticket(T("2027-01-04 08:00"), team="t8y")
    turn_y = T("2027-01-04 09:00")
    lg.ev(n, "resolved", "yb8", turn_y)
    lg.write(dc)
    fold(dc)
    t.eq(dc.sql("SELECT username, period_key, ticket_id, created FROM "
                "hd_badges WHERE badge = 'top_of_week' AND username IN "
                "(?, ?) ORDER BY username", (a, b)),
         [(a, "2025-W11", 0, turn)],
         "8 top of the week: the first event of W12 in the team gives top8a "
         "(30 against 10 in W11) top_of_week for '2025-W11'")
    st = stats(dc, a)
    t.ok(("top_of_week", turn, 0) in badges_of_stats(st),
         "8 top of the week: agent stats lists it", st["badges"])
    t.eq(dc.sql("SELECT username, period_key FROM hd_badges WHERE badge = "
                "'top_of_week' AND username IN ('ya8', 'yb8')"),
         [("ya8", "2026-W53")],
         "8 top of the week: 2027-01-01 is in 2026-W53: its best (ya8) gets "
         "top_of_week '2026-W53' at the first event of 2027-W01")

    # the next turn, from the committed totals of W12 (b 10, a 0)
    n = lg.ticket(T("2025-03-24 08:00"), team="t8")
    lg.ev(n, "resolved", a, T("2025-03-24 09:00"))
    lg.write(dc)
    fold(dc)
    t.eq(dc.sql("SELECT username, period_key FROM hd_badges WHERE badge = "
                "'top_of_week' AND username IN (?, ?) ORDER BY period_key",
                (a, b)), [(a, "2025-W11"), (b, "2025-W12")],
         "8 top of the week: the next turn gives top8b '2025-W12' (folded "
         "incrementally, from the stored week totals)")


def case_rule_versions(t, dc):
    a = "rule9"
    lg = Ledger()
    before = []
    for i in range(2):
        n = lg.ticket(T("2025-03-12 09:00"), team="t9")
        lg.ev(n, "resolved", a, T("2025-03-12 10:00") + i * MIN)
        before.append(n)
    lg.write(dc)
    # not folded yet: the change starts after the newest event all the same
    p = dc.doveadm("helpdesk", "game", "rules", "resolve=20", check=False)
    t.ok(p.returncode == 0, "9 rule versions: game rules resolve=20", p.stderr)
    t.eq(dc.sql("SELECT from_event FROM hd_game_rules ORDER BY version DESC "
                "LIMIT 1"), dc.sql("SELECT MAX(id) FROM hd_events"),
         "9 rule versions: the version starts after MAX(hd_events.id)")
    after = []
    for i in range(2):
        n = lg.ticket(T("2025-03-13 09:00"), team="t9")
        lg.ev(n, "resolved", a, T("2025-03-13 10:00") + i * MIN)
        after.append(n)
    lg.write(dc)
    fold(dc)

    def resolve_points():
        return [dc.sql("SELECT points FROM hd_points WHERE ticket_id = ? AND "
                       "rule = 'resolve'", (n,))[0][0] for n in before + after]

    t.eq(resolve_points(), [10, 10, 20, 20],
         "9 rule versions: events before the change earn 10, after it 20")
    res = rebuild(dc)
    t.eq((resolve_points(), res["points_before"], res["points_after"],
          res["changed"]), ([10, 10, 20, 20], "60", "60", "0"),
         "9 rule versions: a rebuild gives the same points (60 before and after)")


def case_anti_gaming(t, dc):
    x, y, lead, t0 = "x10", "y10", "lead10", T("2025-03-18 09:00")
    lg = Ledger()
    g1 = lg.ticket(t0, team="t10")
    for i in range(3):
        lg.ev(g1, "claimed", x, t0 + (2 * i + 1) * MIN)
        lg.ev(g1, "unclaimed", x, t0 + (2 * i + 2) * MIN, x)
    # an agent's own mail to the queue (exactly and in other case)
    g2 = lg.ticket(t0, requester=addr(x), team="t10")
    lg.ev(g2, "replied", y, t0 + 10 * MIN)
    lg.ev(g2, "sla_met", y, t0 + 10 * MIN)
    lg.ev(g2, "resolved", y, t0 + 20 * MIN)
    lg.ev(g2, "rated", y, t0 + 30 * MIN, "5")
    g3 = lg.ticket(t0, requester=addr(x).upper(), team="t10")
    lg.ev(g3, "resolved", y, t0 + 40 * MIN)
    # the lead assigns g5 to himself
    g5 = lg.ticket(t0, team="t10")
    lg.ev(g5, "assigned", lead, t0 + 5 * MIN, lead)
    lg.ev(g5, "replied", lead, t0 + 10 * MIN)
    lg.ev(g5, "sla_met", lead, t0 + 10 * MIN)
    lg.ev(g5, "resolved", lead, t0 + 20 * MIN)
    # the lead resolves another ticket he did not assign to himself
    g6 = lg.ticket(t0, team="t10")
    lg.ev(g6, "resolved", lead, t0 + 50 * MIN)
    # an ordinary agent resolves one
    g4 = lg.ticket(t0, team="t10")
    lg.ev(g4, "resolved", y, t0 + 60 * MIN)
    # the lead assigns g7 to y, who resolves it
    g7 = lg.ticket(t0, team="t10")
    lg.ev(g7, "assigned", lead, t0 + 5 * MIN, y)
    lg.ev(g7, "resolved", y, t0 + 70 * MIN)
    lg.write(dc)
    rebuild(dc)

    t.eq((ticket_points(dc, g1), agent_points(dc, x)), ([], 0),
         "10 anti-gaming: claimed/unclaimed events earn nothing")
    t.eq(ticket_points(dc, g2), [],
         "10 anti-gaming: a ticket whose requester is an agent's address "
         "earns nobody anything (reply, SLA, resolution, rating)")
    t.eq(ticket_points(dc, g3), [],
         "10 anti-gaming: ... the address compared without case")
    t.eq(ticket_points(dc, g5), [],
         "10 anti-gaming: a lead who assigned the ticket to himself earns "
         "nothing on it")
    t.eq(ticket_points(dc, g6), [(lead, "resolve", 10)],
         "10 anti-gaming: the lead earns on a ticket he did not assign to "
         "himself")
    t.eq((ticket_points(dc, g4), ticket_points(dc, g7)),
         ([(y, "resolve", 10)], [(y, "resolve", 10)]),
         "10 anti-gaming: an ordinary agent's resolutions earn (also of a "
         "ticket the lead assigned to her)")
    t.eq([b for b, _, _, _ in badge_rows(dc, y)], ["first_ticket"],
         "10 anti-gaming: no badges from the agent's own mail (five_star, "
         "first_ticket come from the others)")
    t.eq([tk for b, _, tk, _ in badge_rows(dc, y)], [g4],
         "10 anti-gaming: y10's first_ticket is g4, not the agent's mail")


def determinism_ledger(lg):
    """A mixed ledger over three weeks in two teams, with a day on which
    d11a's positive points reach the cap. Returns the event_key of the
    event to split the ledger at."""
    rnd = random.Random(11)
    agents = ["d11a", "d11b", "d11c", "d11d"]
    start = T("2025-05-05 00:00")       # a Monday
    for day in range(21):
        for _ in range(rnd.randint(3, 7)):
            created = start + day * DAY + rnd.randint(0, DAY - 1)
            n = lg.ticket(created, vip=int(rnd.random() < 0.15),
                          requester=addr("d11b") if rnd.random() < 0.05
                          else CUSTOMER)
            owner = rnd.choice(agents)
            when = created
            if owner == "d11c" and rnd.random() < 0.4:
                lg.ev(n, "assigned", "d11c", when + 60, "d11c")
            if rnd.random() < 0.2:
                lg.ev(n, "escalated", rnd.choice(agents), when + 120)
            for _ in range(rnd.randint(0, 3)):
                when += rnd.randint(5 * MIN, 3 * HOUR)
                lg.ev(n, "replied", rnd.choice([owner] * 3 + agents), when)
            if rnd.random() < 0.3:
                lg.ev(n, "claimed", owner, when + 30)
            when += rnd.randint(MIN, 6 * HOUR)
            lg.ev(n, rnd.choice(["sla_met"] * 3 + ["sla_breached"]), owner,
                  when)
            if rnd.random() < 0.85:
                when += rnd.randint(MIN, 2 * DAY)
                lg.ev(n, "resolved", owner, when)
                if rnd.random() < 0.5:
                    lg.ev(n, "rated", owner, when + rnd.randint(MIN, DAY),
                          rnd.randint(1, 5))
                if rnd.random() < 0.3:
                    when += rnd.randint(HOUR, 9 * DAY)
                    lg.ev(n, "reopened", CUSTOMER, when)
                    if rnd.random() < 0.7:
                        when += rnd.randint(MIN, DAY)
                        lg.ev(n, "resolved", rnd.choice(agents), when)
                        if rnd.random() < 0.5:
                            lg.ev(n, "rated", owner, when + HOUR,
                                  rnd.randint(1, 5))
    # a burst: d11a resolves 20 tickets on Wednesday of the second week
    split = None
    burst = T("2025-05-14 08:00")
    for i in range(20):
        n = lg.ticket(burst + i * MIN, team="t11")
        lg.ev(n, "replied", "d11a", burst + 20 * MIN + i * MIN)
        key = lg.ev(n, "resolved", "d11a", burst + HOUR + i * MIN)
        if i == 9:
            split = key
    return split


def game_snapshot(dc):
    return {
        "hd_points": dc.sql("SELECT award_key, event_id, ticket_id, agent, "
                            "team, rule, points, created FROM hd_points "
                            "ORDER BY award_key"),
        "hd_game_agents": dc.sql("SELECT * FROM hd_game_agents ORDER BY "
                                 "username"),
        "hd_game_periods": dc.sql("SELECT * FROM hd_game_periods ORDER BY "
                                  "period, period_key, team, username"),
        "hd_badges": dc.sql("SELECT * FROM hd_badges ORDER BY username, "
                            "badge, period_key"),
        "hd_game_levelups": dc.sql("SELECT * FROM hd_game_levelups ORDER BY "
                                   "username, level"),
    }


def snapshot_diff(a, b):
    out = []
    for table in a:
        if a[table] != b[table]:
            sa, sb = set(a[table]), set(b[table])
            out.append("%s: only in the first: %r; only in the second: %r"
                       % (table, sorted(sa - sb)[:10], sorted(sb - sa)[:10]))
    return "\n".join(out)


def case_determinism(t, dc):
    lg = Ledger()
    split_key = determinism_ledger(lg)
    evs = sorted(lg.events, key=lambda e: (e[0], e[1]))
    cut = [e[2][0] for e in evs].index(split_key)
    first, second = evs[:cut], evs[cut:]
    t.diag("11 determinism: %d tickets, %d events, split at %d"
           % (len(lg.tickets), len(evs), cut))
    # the tickets and the first half, folded by a reading command, then
    # the second half, folded by another
    write_rows(dc, lg.statements(first))
    fold(dc)
    halfway = dc.sql("SELECT COUNT(*) FROM hd_points")[0][0]
    write_rows(dc, Ledger().statements(second))
    fold(dc)
    incremental = game_snapshot(dc)
    t.ok(halfway > 0 and len(incremental["hd_points"]) > halfway,
         "11 determinism: both halves were folded (%d, then %d entries)"
         % (halfway, len(incremental["hd_points"])))
    t.ok(any(b[1] == "top_of_week" for b in incremental["hd_badges"]) and
         dc.sql("SELECT COUNT(*) FROM hd_game_periods WHERE period = 'day' "
                "AND earned = ?", (DAILY_CAP,))[0][0] > 0,
         "11 determinism: the ledger exercises the week turn and the cap")
    res = rebuild(dc)
    first_rebuild = game_snapshot(dc)
    rebuild(dc)
    second_rebuild = game_snapshot(dc)
    t.ok(first_rebuild == second_rebuild,
         "11 determinism: two rebuilds give identical hd_points, "
         "hd_game_agents, hd_game_periods, hd_badges, hd_game_levelups",
         lambda: snapshot_diff(first_rebuild, second_rebuild))
    t.ok(incremental == first_rebuild,
         "11 determinism: folding in two halves gives the same as a rebuild",
         lambda: snapshot_diff(incremental, first_rebuild))
    t.eq((res["changed"], res["points_before"] == res["points_after"]),
         ("0", True), "11 determinism: the rebuild reports no agent changed")

    # the fold "reads only what the events before the one at hand
    # decided": a VIP flag set (or taken away) after the resolution, by its
    # own event, must not change what the resolution earned
    a = "vip11"
    lg = Ledger()
    v1 = lg.ticket(T("2025-06-02 09:00"), vip=0)
    lg.ev(v1, "resolved", a, T("2025-06-02 10:00"))
    v2 = lg.ticket(T("2025-06-02 09:00"), vip=1)
    lg.ev(v2, "resolved", a, T("2025-06-02 11:00"))
    lg.write(dc)
    fold(dc)
    folded = badge_rows(dc, a)
    write_rows(dc, [
        ("UPDATE hd_tickets SET vip = 1 WHERE id = ?", (v1,)),
        ("UPDATE hd_tickets SET vip = 0 WHERE id = ?", (v2,))])
    lg.ev(v1, "vip", a, T("2025-06-03 09:00"))
    lg.ev(v2, "vip-removed", a, T("2025-06-03 09:01"))
    lg.write(dc)
    fold(dc)
    t.eq([(b, tk) for b, _, tk, _ in folded if b == "vip_care"],
         [("vip_care", v2)], "11 determinism: vip_care for the VIP's ticket")
    rebuild(dc)
    t.eq(badge_rows(dc, a), folded,
         "11 determinism: a ticket's VIP flag changed after its resolution "
         "does not change the badges a rebuild gives")


def case_periods(t, dc):
    a = "per12"
    lg = Ledger()
    n = lg.ticket(T("2025-03-31 09:00"), team="t12")
    lg.ev(n, "resolved", a, T("2025-03-31 10:00"))              # +10
    n = lg.ticket(T("2025-03-31 10:50"), team="t12")
    lg.ev(n, "replied", a, T("2025-03-31 11:00"))               # +2 +3
    n = lg.ticket(T("2025-04-01 09:00"), team="t12")
    lg.ev(n, "resolved", a, T("2025-04-01 10:00"))              # +10
    lg.ev(n, "sla_breached", a, T("2025-04-01 11:00"))          # -5
    n = lg.ticket(T("2025-04-06 22:00"), team="t12")
    lg.ev(n, "resolved", a, T("2025-04-06 23:30"))              # +10, Sunday
    for i in range(2):
        n = lg.ticket(T("2025-04-07 09:00"), team="t12")
        lg.ev(n, "resolved", a, T("2025-04-07 10:00") + i * MIN)  # +20
    lg.write(dc)
    rebuild(dc)

    rows = dc.sql("SELECT period, period_key, team, points, resolved FROM "
                  "hd_game_periods WHERE username = ? ORDER BY period, "
                  "period_key", (a,))
    t.eq(rows, [("day", "2025-03-31", "t12", 15, 1),
                ("day", "2025-04-01", "t12", 5, 1),
                ("day", "2025-04-06", "t12", 10, 1),
                ("day", "2025-04-07", "t12", 20, 2),
                ("month", "2025-03", "t12", 15, 1),
                ("month", "2025-04", "t12", 35, 4),
                ("week", "2025-W14", "t12", 30, 3),
                ("week", "2025-W15", "t12", 20, 2)],
         "12 periods: the day, week (ISO, Monday to Sunday) and month rows")
    sums = {p: sum(r[3] for r in rows if r[0] == p) for p in ("day", "week",
                                                              "month")}
    t.eq(sums, {"day": 50, "week": 50, "month": 50},
         "12 periods: each period kind adds up to the agent's total (50)")
    got = [(r["agent"], r["team"], int(r["points"]), r["resolved"])
           for r in board(dc, "-p", "all", "-t", "t12")]
    t.eq(got, [(a, "t12", 50, "5")], "12 periods: leaderboard -p all -t t12")
    st = stats(dc, a)
    t.eq((int(st["points"]), st["resolved"]), (50, "5"),
         "12 periods: agent stats agrees")

    # a team in Asia/Tokyo (UTC+9): its days, weeks and months, and the
    # night, are Tokyo's
    z = "per12z"
    n1 = lg.ticket(T("2025-03-31 23:00"), team="t12z")
    lg.ev(n1, "resolved", z, T("2025-03-31 23:30"))   # Tue 04-01 08:30 JST
    n2 = lg.ticket(T("2025-04-06 19:00"), team="t12z")
    lg.ev(n2, "resolved", z, T("2025-04-06 20:00"))   # Mon 04-07 05:00 JST
    lg.write(dc)
    fold(dc)
    t.eq(dc.sql("SELECT period, period_key, points FROM hd_game_periods "
                "WHERE username = ? ORDER BY period, period_key", (z,)),
         [("day", "2025-04-01", 10), ("day", "2025-04-07", 10),
          ("month", "2025-04", 20), ("week", "2025-W14", 10),
          ("week", "2025-W15", 10)],
         "12 periods: a team with -z Asia/Tokyo counts in Tokyo's days, "
         "weeks and months")
    t.eq([(b, tk) for b, _, tk, _ in badge_rows(dc, z)],
         [("first_ticket", n1), ("night_owl", n2), ("top_of_week", 0)],
         "12 periods: ... and Tokyo's night (05:00 there, 20:00 UTC); the "
         "second resolution is in Tokyo's next week: the first week's top")

    # the calendar is helpdesk_timezone's (UTC), not the folding process's
    # own TZ: a rebuild by a doveadm running with TZ=Asia/Tokyo must give
    # the same
    utc_rows = rows
    utc_badges = badge_rows(dc, a)
    old_tz = os.environ.get("TZ")
    os.environ["TZ"] = "Asia/Tokyo"
    try:
        rebuild(dc)
    finally:
        if old_tz is None:
            del os.environ["TZ"]
        else:
            os.environ["TZ"] = old_tz
    t.eq((dc.sql("SELECT period, period_key, team, points, resolved FROM "
                 "hd_game_periods WHERE username = ? ORDER BY period, "
                 "period_key", (a,)), badge_rows(dc, a)),
         (utc_rows, utc_badges),
         "12 periods: the process's TZ does not matter (doveadm with "
         "TZ=Asia/Tokyo folds in helpdesk_timezone = UTC all the same)")
    rebuild(dc)


CASES = (
    ("1 daily cap", case_daily_cap),
    ("2 reopen window", case_reopen_window),
    ("3 first and fast replies", case_replies),
    ("4 SLA points and streak", case_sla),
    ("5 ratings replace each other", case_ratings),
    ("6 levels are never lost", case_levels),
    ("7 badges", case_badges),
    ("8 top of the week", case_top_of_week),
    ("9 rule versions", case_rule_versions),
    ("10 anti-gaming on the ledger", case_anti_gaming),
    ("11 the fold is deterministic", case_determinism),
    ("12 leaderboard periods", case_periods),
)


def main():
    t = Tap()
    plugin = plugin_or_skip(t, "the game's rules")
    if plugin is None:
        return t.done()
    started = time.time()
    dc = Dovecot(plugin=plugin, settings=SETTINGS)
    if dc.db_path is None:
        t.skip("the game's rules", "the cases write SQLite directly")
        dc.cleanup()
        return t.done()
    dc.start()
    try:
        with t.check("setup: store, teams and agents"):
            setup(t, dc)
        only = os.environ.get("HD_CASES")   # e.g. "1,7": run these only
        for name, fn in CASES:
            if only and name.split()[0] not in only.split(","):
                continue
            case_started = time.time()
            with t.check("case %s: ran to the end" % name):
                reset(dc)
                fn(t, dc)
            t.diag("case %s: %.1f s" % (name, time.time() - case_started))
        t.eq(dc.log_errors(), [], "no Error/Panic/Fatal in the log")
    finally:
        dc.stop()
        dc.cleanup()
    t.diag("run time %.1f s" % (time.time() - started))
    return t.done()


if __name__ == "__main__":
    sys.exit(main())
