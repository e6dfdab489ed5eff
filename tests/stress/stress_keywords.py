#!/usr/bin/python3
"""Randomized keyword stress for the helpdesk plugin, and the invariant
check shared with test_stale_views.py and imaptest.sh.

N agent sessions (alice, bob, carol = a lead by userdb, dave, ...) work M
tickets (several messages each) of a private Dovecot for D seconds: each
loops sending random `UID STORE` +FLAGS / -FLAGS / FLAGS (and .SILENT) with
helpdesk keywords (requests, state changes, keywords the plugin owns that
must be refused, foreign ones), mostly WITHOUT syncing first (stale views),
sometimes after a NOOP; some sessions pipeline several STOREs at a time; a
customer thread delivers follow-ups (reopens resolved tickets). Every
response is recorded. Then the invariants are checked (check_invariants):

  keywords   every ticket message shows exactly the store's state
  shape      exactly one status and one priority, at most one owner, on
             every ticket message; no plugin-owned keyword on non-tickets
  ledger     no 'unclaimed'/'assigned' event by an actor who was neither
             a lead nor (unclaim) the owner at that time; no claim over
             an owner; the replayed owner is the store's owner
  responses  STOREs adding a keyword agents may never set were NO [CANNOT];
             STOREs of foreign keywords only were OK; no BAD, no lost
             connection
  log        no Error/Panic/Fatal in the Dovecot log

Exit 0 if all hold, 1 if not (with a report), 77 if it can't run (not
root, no plugin). Run as root:

  cd tests && HD_PLUGIN=../plugin/.libs/lib20_helpdesk_plugin.so \\
      HD_SRCDIR=.. python3 stress/stress_keywords.py --short

Options: --seed S (repeatable op sequences per session; thread timing is
not), --seconds D, --agents N, --tickets M, --short (40 s, CI),
--long (600 s, 6 agents, 24 tickets), --pipeline K (sessions that
pipeline), --sync P (probability of a NOOP before an op), --json FILE
(every response), --no-deliveries.
"""

import argparse
import collections
import json
import os
import random
import re
import socket
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))

from hdtest import Dovecot, hd_keywords, make_message, msgid_of, ticket_keywords, \
    ticket_of  # noqa: E402

PREFIX = "hd-"
QUEUE = "Public/Queue"
STATUSES = ("new", "open", "waiting", "resolved")
PRIOS = ("urgent", "high", "normal", "low")
AGENT_NAMES = ("alice", "bob", "carol", "dave", "erin", "frank", "grace",
               "heidi", "ivan", "judy", "kim", "leo")
LEADS = ("carol",)
TEAMS = (("billing", 0), ("second", 2))
# keywords agents may never add: refused with NO [CANNOT] whatever the
# ticket's state (no ticket in the stress ever waits: no agent replies)
ALWAYS_REFUSED_ADD = ("hd-waiting", "hd-pending", "hd-auto", "hd-bogus",
                      "hd-tier-7", "hd-prio-asap")
FOREIGN = ("$Label1", "$Label2", "$Label3", "Important")


# ---------------------------------------------------------------- state

hd = hd_keywords


def plugin_owned(kw):
    """Keywords the plugin owns (README, Keywords): no agent and no APPEND
    may put them on a message by itself."""
    if not kw.startswith(PREFIX):
        return False
    rest = kw[len(PREFIX):]
    return rest in ("new", "open", "waiting", "resolved", "pending", "auto",
                    "claim", "escalate") or \
        rest.startswith(("owner-", "tier-", "sla-"))


def expected_keywords(row):
    """The exact hd- keywords of a ticket from its hd_tickets row
    (status, owner, tier, priority, vip, team)."""
    status, owner, tier, prio, vip, team = row
    return ticket_keywords(status, owner, tier, prio, vip, team)


def fmt(kws):
    return "{%s}" % " ".join(sorted(kws))


def store_tickets(dc):
    return {r[0]: tuple(r[1:]) for r in dc.sql(
        "SELECT id, status, owner, tier, priority, vip, team FROM hd_tickets")}


def leads_of(dc):
    leads = {u for u, f in dc.user_fields.items()
             if str(f.get("helpdesk_lead", "")).lower() in ("yes", "1", "true")}
    try:
        leads |= {r[0] for r in dc.sql(
            "SELECT username FROM hd_agents WHERE role = 'lead'")}
    except Exception:
        pass
    return leads


Result = collections.namedtuple("Result", "name ok details")


def check_ticket_keywords(dc, user="support", tickets=None):
    """Invariants 'keywords' and 'shape' over a fresh IMAP session of user.
    tickets: only these ticket numbers (None: all). Returns [Result]."""
    rows = store_tickets(dc)
    queue = dc.queue(user)
    bad_match, bad_shape, bad_other = [], [], []
    for m in queue:
        n = ticket_of(m)
        kws = hd(m["keywords"])
        if n is None:
            owned = {k for k in kws if plugin_owned(k)}
            if owned - {"hd-auto", "hd-pending"}:
                bad_other.append("uid %d (no ticket, %r): plugin-owned %s" % (
                    m["uid"], m["subject"][:40], fmt(owned)))
            continue
        if tickets is not None and n not in tickets:
            continue
        status = [k for k in kws if k[len(PREFIX):] in STATUSES]
        prio = [k for k in kws if k.startswith(PREFIX + "prio-")]
        owner = [k for k in kws if k.startswith(PREFIX + "owner-")]
        if len(status) != 1 or len(prio) != 1 or len(owner) > 1:
            bad_shape.append("ticket %d uid %d: %d status, %d priority, %d owner: %s" % (
                n, m["uid"], len(status), len(prio), len(owner), fmt(kws)))
        if n not in rows:
            bad_match.append("ticket %d uid %d: no hd_tickets row (keywords %s)" % (
                n, m["uid"], fmt(kws)))
            continue
        want = expected_keywords(rows[n])
        if kws != want:
            bad_match.append("ticket %d uid %d: has %s, store %r wants %s "
                             "(missing %s, extra %s)" % (
                                 n, m["uid"], fmt(kws), rows[n], fmt(want),
                                 fmt(want - kws), fmt(kws - want)))
    return [Result("keywords: every ticket message shows exactly the store's state",
                   not bad_match, bad_match),
            Result("shape: one status, one priority, at most one owner on every "
                   "ticket message", not bad_shape, bad_shape),
            Result("non-tickets: no plugin-owned keyword on a message without a ticket",
                   not bad_other, bad_other)]


def check_ledger(dc, leads=None):
    """Invariants 'ledger': replay each ticket's events (oldest first),
    tracking the owner the ledger tells.
    permissions: an 'assigned' only by a lead; an 'unclaimed' only by a
      lead or by the agent the event names as the owner it removed (that
      this was the owner of the time is the consistency check's: an
      unclaim of an owner the ledger no longer shows is an event for a
      change that did not happen, e.g. two concurrent unclaims);
    consistency: each 'unclaimed' removes the owner of that time, no
      'claimed' over another owner, no vip/vip-removed, resolved/reopened,
      priority, team or escalation recorded twice in a row with nothing
      between, and the replayed owner is the store's (an event for a change
      that did not happen breaks it)."""
    if leads is None:
        leads = leads_of(dc)
    rows = store_tickets(dc)
    owner = collections.defaultdict(str)
    last = collections.defaultdict(dict)    # ticket -> attribute -> (kind, detail, id)
    perm, cons = [], []
    for eid, n, kind, actor, detail in dc.sql(
            "SELECT id, ticket_id, kind, actor, detail FROM hd_events ORDER BY id"):
        cur = owner[n]
        where = "event %d ticket %d: %s by %s (detail %r; owner by the ledger %r)" % (
            eid, n, kind, actor, detail, cur)
        # the same change twice in a row is an event for a change that did
        # not happen (the second found the ticket already changed)
        attr = {"vip": "vip", "vip-removed": "vip", "resolved": "status",
                "reopened": "status", "priority": "priority", "team": "team",
                "escalated": "tier"}.get(kind)
        if attr is not None:
            prev = last[n].get(attr)
            if prev is not None and prev[:2] == (kind, detail) and attr != "tier":
                cons.append("%s: repeats event %d (%s %r) with no change between" % (
                    where, prev[2], prev[0], prev[1]))
            if attr == "tier" and prev is not None and prev[1] == detail:
                cons.append("%s: escalated to the same tier as event %d" % (where, prev[2]))
            last[n][attr] = (kind, detail, eid)
            if kind == "escalated":
                last[n].pop("team", None)       # an escalation may change the team
        if kind == "claimed":
            if cur and cur != actor:
                cons.append(where + ": a claim over another owner")
            owner[n] = actor
        elif kind == "assigned":
            if actor not in leads:
                perm.append(where + ": assigned by a non-lead")
            owner[n] = detail
        elif kind == "unclaimed":
            if actor not in leads and actor != detail:
                perm.append(where + ": a non-lead took the ticket from someone else")
            if detail != cur:
                cons.append(where + ": removes an owner the ticket did not have")
            owner[n] = ""
        elif kind == "replied":
            if not cur:
                owner[n] = actor
    for n, row in rows.items():
        if owner[n] != row[1]:
            cons.append("ticket %d: owner by the ledger %r, store owner %r" % (
                n, owner[n], row[1]))
    return [Result("ledger permissions: 'assigned' only by a lead, 'unclaimed' only by "
                   "a lead or the owner at that time", not perm, perm),
            Result("ledger consistency: each 'unclaimed' removes the owner of that time, "
                   "no claim over an owner, no change recorded twice in a row, "
                   "ledger owner == store owner", not cons, cons)]


def _answer(line):
    """A tagged answer without timing, numbers and names: for grouping."""
    text = re.sub(r"\s*\([0-9.+ ]+secs\)\.?$", "", line)
    text = re.sub(r"\d+", "N", text)
    return re.sub(r"\b(from|to) [a-z]+$", r"\1 AGENT", text)


def _rewrite_start(r):
    """Was r an accepted -FLAGS that starts a client's whole-set rewrite
    (neomutt: -FLAGS of every keyword, then +FLAGS of the new set)? The
    plugin pairs it with the session's next +FLAGS on the message and
    ignores the plugin-owned keywords in the pair."""
    if r is None or r["typ"] != "OK" or not r["op"].startswith("-"):
        return False
    kinds = {re.sub(r"-.*", "", k[len(PREFIX):]) for k in r["flags"] if k.startswith(PREFIX)}
    status = any(k[len(PREFIX):] in ("new", "open", "waiting", "resolved") for k in r["flags"])
    return status and "tier" in kinds


def check_responses(records):
    """Invariant 'responses' over the recorded STOREs; the details are
    grouped by rule and answer (count, one example)."""
    groups = collections.OrderedDict()
    last = {}
    for r in records:
        prev = last.get((r["user"], r["uid"]))
        last[(r["user"], r["uid"])] = r
        if r["typ"] in ("BAD", "LOST", "BYE"):
            rule = "BAD or lost connection"
        elif r["op"].startswith("+") and r.get("ticket") is not None and \
                any(k in ALWAYS_REFUSED_ADD for k in r["flags"]):
            # with another refusable keyword in the STORE either reason may
            # be given; alone (foreign ones aside) it is NO [CANNOT]
            alone = all(k in ALWAYS_REFUSED_ADD for k in r["flags"] if k.startswith(PREFIX))
            if r["typ"] == "NO" and ("[CANNOT]" in r["line"] or not alone):
                continue
            if r["typ"] == "OK" and _rewrite_start(prev):
                continue
            rule = "adding a keyword agents never set (ticket message) must be NO%s" % (
                " [CANNOT]" if alone else "")
        elif r["flags"] and all(not k.startswith(PREFIX) for k in r["flags"]) \
                and not r["op"].startswith("FLAGS"):
            if r["typ"] == "OK":
                continue
            rule = "foreign keywords only must be OK"
        else:
            continue
        g = groups.setdefault((rule, _answer(r["line"])), [0, r])
        g[0] += 1
    bad = ["%s: %d x %s  (e.g. %s)" % (rule, g[0], ans, g[1]["what"])
           for (rule, ans), g in groups.items()]
    return [Result("responses: never-settable keywords refused NO [CANNOT], foreign "
                   "ones OK, no BAD or lost connection", not bad, bad)]


def check_invariants(dc, records=None, leads=None, log_since=0, user="support"):
    """All invariants: [Result]. records: the stress's STORE records."""
    out = check_ticket_keywords(dc, user=user)
    out += check_ledger(dc, leads)
    if records is not None:
        out += check_responses(records)
    errs = dc.log_errors(since=log_since)
    out.append(Result("log: no Error/Panic/Fatal in the Dovecot log", not errs, errs))
    return out


def check_game(dc):
    """Invariant 'game': the points the sessions folded while they raced
    (a fold after every action, from many processes at once) are what one
    fold of the whole ledger gives: a rebuild changes no agent's total."""
    if dc.pg is not None:
        time.sleep(3.5)     # a fold waits at a fresh gap in the ids
    dc.doveadm("helpdesk", "leaderboard", check=False)
    p = dc.doveadm("-f", "json", "helpdesk", "game", "rebuild", check=False)
    try:
        res = json.loads(p.stdout)[0]
    except (ValueError, IndexError):
        return [Result("game: a rebuild of the raced folds changes nothing",
                       False, [p.stdout + p.stderr])]
    ok = p.returncode == 0 and res["changed"] == "0" and \
        res["points_before"] == res["points_after"]
    return [Result("game: a rebuild of the raced folds changes nothing "
                   "(%s agents, %s points)" % (res["agents"], res["points_after"]),
                   ok, [] if ok else [repr(res)])]


def report(results, out=sys.stdout, limit=25):
    """Print the invariant results; return True if all hold."""
    ok = True
    for r in results:
        out.write("%s  %s\n" % ("PASS" if r.ok else "FAIL", r.name))
        if not r.ok:
            ok = False
            for d in r.details[:limit]:
                out.write("        %s\n" % d)
            if len(r.details) > limit:
                out.write("        ... and %d more\n" % (len(r.details) - limit))
    out.flush()
    return ok


# ----------------------------------------------------------------- setup

def setup_queue(dc, rng, tickets, max_followups=3):
    """Teams, M tickets with 0..max_followups follow-ups each (some
    urgent: hd-prio-high, some from a VIP domain), one auto-reply and one
    APPENDed note (no tickets). Returns {"tickets": {n: [uids]},
    "firsts": {n: first message bytes}, "others": [uids]}."""
    firsts = {}
    mids = {}
    for i in range(tickets):
        sender = "c%d@%s" % (i, "vip.example.net" if rng.random() < 0.2 else
                             "customer.example")
        subject = ("URGENT: " if rng.random() < 0.25 else "") + "stress ticket %d" % i
        first = make_message(subject=subject, sender=sender)
        msgs = [first]
        for j in range(rng.randint(0, max_followups)):
            msgs.append(make_message(subject="Re: " + subject, sender=sender,
                                     in_reply_to=msgid_of(first),
                                     body="details %d\n" % j))
        for m in msgs:
            r = dc.deliver(m, sender=sender)
            assert r.ok, "delivery failed: %r" % (r,)
        mids[msgid_of(first)] = [msgid_of(m) for m in msgs]
        firsts[msgid_of(first)] = (first, sender)
    # after the first delivery: doveadm never creates the store
    for name, tier in TEAMS:
        dc.doveadm("helpdesk", "team", "add", "-t", str(tier), name)
    auto = make_message(subject="Out of Office", sender="ooo@customer.example",
                        extra_headers=[("Auto-Submitted", "auto-replied")])
    dc.deliver(auto, sender="ooo@customer.example")
    with dc.imap("support") as c:
        typ, dat = c.append(QUEUE, None, None,
                            make_message(subject="Note from the agents",
                                         sender="alice@example.com"))
        assert typ == "OK", dat
    q = {m["message_id"]: m for m in dc.queue("support")}
    out = {"tickets": {}, "firsts": {}, "others": []}
    for fmid, all_mids in mids.items():
        n = ticket_of(q[fmid])
        assert n, "no ticket for %s" % fmid
        out["tickets"][n] = [q[x]["uid"] for x in all_mids]
        out["firsts"][n] = firsts[fmid]
    known = {u for us in out["tickets"].values() for u in us}
    out["others"] = [m["uid"] for m in q.values() if m["uid"] not in known]
    return out


# ------------------------------------------------------- a raw IMAP client

class ImapError(Exception):
    pass


_FETCH_RE = re.compile(rb"^\* (\d+) FETCH \((.*)\)\s*$")
_FLAGS_RE = re.compile(rb"FLAGS \(([^)]*)\)")
_UID_RE = re.compile(rb"\bUID (\d+)")
_EXISTS_RE = re.compile(rb"^\* (\d+) EXISTS")


class ImapSession:
    """A minimal IMAP client on a socket: pipelining, every line kept.
    Tracks the flags the server told this session (its view) per UID."""

    def __init__(self, port, user, password="pass", timeout=60):
        self.user = user
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.f = self.sock.makefile("rb")
        self.n = 0
        self.seq_uid = {}
        self.flags = {}          # uid -> set of flags (as last reported)
        self.exists = 0
        greeting = self._line()
        if not greeting.startswith(b"* OK"):
            raise ImapError("greeting: %r" % greeting)
        typ, line, _ = self.cmd("LOGIN %s %s" % (user, password))
        if typ != "OK":
            raise ImapError("LOGIN %s: %s" % (user, line))

    def _line(self):
        line = self.f.readline()
        if not line:
            raise ImapError("connection closed")
        # literals: {n}\r\n then n bytes, then the rest of the line
        while re.search(rb"\{\d+\}\r\n$", line):
            n = int(re.search(rb"\{(\d+)\}\r\n$", line).group(1))
            data = self.f.read(n)
            line = line + data + self.f.readline()
        return line

    def send(self, text):
        self.n += 1
        tag = "s%d" % self.n
        self.sock.sendall(("%s %s\r\n" % (tag, text)).encode())
        return tag

    def collect(self, tags):
        """Read until every tag in tags is answered: {tag: (typ, line)},
        and the untagged lines in order."""
        tags = set(tags)
        done = {}
        untagged = []
        while tags - set(done):
            line = self._line()
            if line.startswith(b"* "):
                untagged.append(line)
                self._untagged(line)
                if line.startswith(b"* BYE"):
                    raise ImapError("BYE: %r" % line)
                continue
            tag, _, rest = line.partition(b" ")
            tag = tag.decode()
            if tag in tags:
                typ = rest.split(b" ", 1)[0].decode()
                done[tag] = (typ, rest.decode("utf-8", "replace").strip())
        return done, untagged

    def cmd(self, text):
        tag = self.send(text)
        done, untagged = self.collect([tag])
        typ, line = done[tag]
        return typ, line, untagged

    def _untagged(self, line):
        m = _EXISTS_RE.match(line)
        if m:
            self.exists = int(m.group(1))
            return
        m = _FETCH_RE.match(line)
        if not m:
            return
        seq = int(m.group(1))
        body = m.group(2)
        um = _UID_RE.search(body)
        if um:
            self.seq_uid[seq] = int(um.group(1))
        uid = self.seq_uid.get(seq)
        fm = _FLAGS_RE.search(body)
        if uid is not None and fm:
            self.flags[uid] = set(fm.group(1).decode().split())

    def select(self, box=QUEUE):
        typ, line, _ = self.cmd("SELECT %s" % box)
        if typ != "OK":
            raise ImapError("SELECT: %s" % line)
        self.refresh()

    def refresh(self):
        """UID FETCH 1:* (UID FLAGS): the whole view (this syncs)."""
        typ, line, _ = self.cmd("UID FETCH 1:* (UID FLAGS)")
        if typ != "OK":
            raise ImapError("UID FETCH: %s" % line)

    def close(self):
        try:
            self.cmd("LOGOUT")
        except Exception:
            pass
        try:
            self.sock.close()
        except Exception:
            pass


# ------------------------------------------------------------ the stress

def kw_class(k, user):
    if not k.startswith(PREFIX):
        return "foreign"
    if k.startswith(PREFIX + "owner-"):
        return "owner-self" if k == PREFIX + "owner-" + user else "owner-other"
    if k.startswith(PREFIX + "prio-") and k not in ALWAYS_REFUSED_ADD:
        return "prio"
    if k.startswith(PREFIX + "team-"):
        return "team"
    return k[len(PREFIX):]


def kind_of(op, flags, user):
    """A short class name of a STORE for the counts."""
    return "%s(%s)" % (op.replace(".SILENT", ""),
                       " ".join(sorted({kw_class(k, user) for k in flags})) or "-")


class Agent(threading.Thread):
    """One agent's IMAP session: random UID STOREs, mostly on a stale view."""

    def __init__(self, stress, user, pipeline):
        super().__init__(name="agent-" + user)
        self.s = stress
        self.user = user
        self.rng = random.Random("%s/%s" % (stress.seed, user))
        self.pipeline = pipeline
        self.records = []
        self.error = None

    def pick_keywords(self, op):
        rng = self.rng
        agents = self.s.agents
        if op == "+":
            pool = (["hd-claim"] * 6 + ["hd-owner-" + self.user] * 2 +
                    ["hd-owner-" + rng.choice(agents)] * 3 + ["hd-resolved"] * 4 +
                    ["hd-escalate"] * 2 + ["hd-prio-" + p for p in PRIOS] +
                    ["hd-vip"] * 3 + ["hd-team-billing", "hd-team-second",
                                      "hd-team-nightshift"] +
                    list(ALWAYS_REFUSED_ADD) + ["hd-new", "hd-open", "hd-tier-2"] +
                    list(FOREIGN[:2]))
        else:
            pool = (["hd-owner-" + self.user] * 4 + ["hd-owner-" + rng.choice(agents)] * 4 +
                    ["hd-resolved"] * 5 + ["hd-vip"] * 4 +
                    ["hd-prio-" + p for p in PRIOS] + ["hd-team-billing", "hd-team-second"] +
                    ["hd-new", "hd-open", "hd-tier-1"] + list(FOREIGN[:2]))
        kws = [rng.choice(pool)]
        if rng.random() < 0.15:
            kws.append(rng.choice(pool))
        return list(dict.fromkeys(kws))

    def next_store(self, sess):
        """(uid, ticket or None, op, flags, kind)"""
        rng = self.rng
        if rng.random() < 0.92:
            n = rng.choice(self.s.ticket_ids)
            uid = rng.choice(self.s.layout["tickets"][n])
        else:
            n = None
            uid = rng.choice(self.s.layout["others"])
        r = rng.random()
        silent = ".SILENT" if rng.random() < 0.3 else ""
        if r < 0.5:
            op, flags = "+FLAGS" + silent, self.pick_keywords("+")
            return uid, n, op, flags, kind_of(op, flags, self.user)
        if r < 0.88:
            op, flags = "-FLAGS" + silent, self.pick_keywords("-")
            return uid, n, op, flags, kind_of(op, flags, self.user)
        # a client writing back its (possibly stale) view with one change,
        # as Thunderbird and neomutt do
        view = {f for f in sess.flags.get(uid, set()) if f != "\\Recent"}
        if rng.random() < 0.5:
            change = self.pick_keywords("+")
            flags, sign = view | set(change), "+"
        else:
            change = self.pick_keywords("-")
            flags, sign = view - set(change), "-"
        op = "FLAGS" + silent
        return uid, n, op, sorted(flags), "FLAGS(view %s%s)" % (
            sign, " ".join(sorted({kw_class(k, self.user) for k in change})))

    def run(self):
        try:
            self._run()
        except Exception as e:
            self.error = "%s: %r" % (self.user, e)
            self.records.append({"user": self.user, "op": "?", "flags": [], "uid": 0,
                                 "ticket": None, "typ": "LOST", "line": repr(e),
                                 "what": "%s session" % self.user, "kind": "session",
                                 "t": time.time()})
            self.s.barrier.abort()

    def _run(self):
        sess = ImapSession(self.s.dc.imap_port, self.user)
        try:
            sess.select()
            for rnd in range(self.s.rounds):
                self.s.barrier.wait()           # round starts
                while time.monotonic() < self.s.round_deadline:
                    self.one(sess, rnd)
                self.s.barrier.wait()           # round ends: the check runs
        finally:
            sess.close()

    def one(self, sess, rnd):
        synced = False
        x = self.rng.random()
        if x < self.s.sync_prob * 0.3:
            sess.refresh()
            synced = True
        elif x < self.s.sync_prob:
            sess.cmd("NOOP")
            synced = True
        batch = self.rng.randint(2, 5) if self.pipeline else 1
        sent = []
        for _ in range(batch):
            uid, n, op, flags, kind = self.next_store(sess)
            text = "UID STORE %d %s (%s)" % (uid, op, " ".join(flags))
            sent.append((sess.send(text), uid, n, op, flags, kind, text))
        t0 = time.time()
        done, _ = sess.collect([x[0] for x in sent])
        for tag, uid, n, op, flags, kind, text in sent:
            typ, line = done[tag]
            self.records.append({
                "user": self.user, "uid": uid, "ticket": n, "op": op, "flags": flags,
                "typ": typ, "line": line, "synced": synced, "round": rnd,
                "pipelined": len(sent) > 1, "t": t0, "kind": kind,
                "what": "%s %s" % (self.user, text)})
            synced = False


class Customer(threading.Thread):
    """Follow-ups from the customers, about one every interval seconds
    (a follow-up reopens a resolved ticket)."""

    def __init__(self, stress, interval=1.5):
        super().__init__(name="customer")
        self.s = stress
        self.rng = random.Random("%s/customer" % stress.seed)
        self.interval = interval
        self.delivered = 0
        self.error = None

    def run(self):
        try:
            for rnd in range(self.s.rounds):
                self.s.barrier.wait()
                due = time.monotonic() + self.interval * (0.5 + self.rng.random())
                while True:
                    now = time.monotonic()
                    if now >= self.s.round_deadline:
                        break
                    if now < due:
                        time.sleep(min(due, self.s.round_deadline) - now)
                        continue
                    due = now + self.interval * (0.5 + self.rng.random())
                    n = self.rng.choice(self.s.ticket_ids)
                    first, sender = self.s.layout["firsts"][n]
                    m = make_message(subject="Re: [#%d] more" % n, sender=sender,
                                     in_reply_to=msgid_of(first),
                                     body="follow-up %d\n" % self.delivered)
                    r = self.s.dc.deliver(m, sender=sender)
                    if not r.ok:
                        self.error = "delivery: %r" % (r,)
                    self.delivered += 1
                self.s.barrier.wait()
        except Exception as e:
            self.error = repr(e)
            self.s.barrier.abort()


class Stress:
    """The agents' sessions and the customer in rounds; between two rounds
    (everyone idle) the keyword invariants are checked, so a state broken
    by a stale STORE is seen even when a later change repairs it."""

    def __init__(self, dc, layout, agents, seconds, seed, pipeline, sync_prob,
                 deliveries=True, round_seconds=2.0):
        self.dc = dc
        self.layout = layout
        self.ticket_ids = sorted(layout["tickets"])
        self.agents = list(agents)
        self.seed = seed
        self.sync_prob = sync_prob
        self.rounds = max(1, int(round(seconds / round_seconds)))
        self.round_seconds = seconds / self.rounds
        self.threads = [Agent(self, a, i < pipeline) for i, a in enumerate(agents)]
        self.customer = Customer(self) if deliveries else None
        self.barrier = threading.Barrier(len(self.threads) + 1 +
                                         (1 if deliveries else 0))
        self.round_deadline = 0
        self.round_results = []     # (round, [Result])

    def run(self, check=None):
        """Run every round; check(round) -> [Result] between rounds."""
        ths = self.threads + ([self.customer] if self.customer else [])
        for th in ths:
            th.start()
        try:
            for rnd in range(self.rounds):
                self.round_deadline = time.monotonic() + self.round_seconds
                self.barrier.wait(timeout=120)
                self.barrier.wait(timeout=self.round_seconds + 120)
                if check is not None:
                    self.round_results.append((rnd, check(rnd)))
        except threading.BrokenBarrierError:
            pass            # a thread failed: its error is reported
        finally:
            self.barrier.abort()    # no-op when every round ran
            for th in ths:
                th.join()
        return [r for th in self.threads for r in th.records]


def merge_rounds(round_results):
    """One Result per invariant over all rounds (details tagged by round)."""
    merged = collections.OrderedDict()
    for rnd, results in round_results:
        for r in results:
            m = merged.setdefault(r.name, [True, []])
            if not r.ok:
                m[0] = False
                m[1].extend("round %d: %s" % (rnd, d) for d in r.details)
    return [Result("%s (after each of %d rounds)" % (name, len(round_results)), ok, det)
            for name, (ok, det) in merged.items()]


def summary(records, agents, out=sys.stdout):
    by_kind = collections.defaultdict(collections.Counter)
    for r in records:
        by_kind[r["kind"]][r["typ"]] += 1
    tot = collections.Counter(r["typ"] for r in records)
    out.write("ops: %d (%s); stale (no sync right before): %d; pipelined: %d\n" % (
        len(records), ", ".join("%s %d" % kv for kv in sorted(tot.items())),
        sum(1 for r in records if not r.get("synced")),
        sum(1 for r in records if r.get("pipelined"))))
    out.write("per agent: %s\n" % ", ".join(
        "%s %d" % (a, sum(1 for r in records if r["user"] == a)) for a in agents))
    out.write("%-40s %7s %7s %7s\n" % ("kind", "OK", "NO", "other"))
    for kind in sorted(by_kind):
        c = by_kind[kind]
        other = sum(v for k, v in c.items() if k not in ("OK", "NO"))
        out.write("%-40s %7d %7d %7d\n" % (kind, c["OK"], c["NO"], other))
    reasons = collections.Counter()
    for r in records:
        if r["typ"] == "NO":
            reasons[_answer(r["line"])] += 1
    out.write("NO reasons:\n")
    for text, n in reasons.most_common(20):
        out.write("  %6d  %s\n" % (n, text))


def make_dovecot(agents, plugin):
    return Dovecot(plugin=plugin, users=("support",) + tuple(agents),
                   user_fields={a: {"helpdesk_lead": "yes"} for a in agents if a in LEADS})


def verdict(results, seed):
    """Print the invariants' report and the verdict; the exit status."""
    print("invariants:")
    ok = report(results)
    print("%s (seed %d)" % ("ALL INVARIANTS HOLD" if ok else "INVARIANTS VIOLATED", seed))
    return 0 if ok else 1


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seed", type=int, default=None)
    ap.add_argument("--seconds", type=float, default=None)
    ap.add_argument("--agents", type=int, default=None)
    ap.add_argument("--tickets", type=int, default=None)
    ap.add_argument("--short", action="store_true", help="CI: 40 s, 3 agents, 8 tickets")
    ap.add_argument("--long", action="store_true", help="600 s, 6 agents, 24 tickets")
    ap.add_argument("--pipeline", type=int, default=1,
                    help="how many sessions pipeline their STOREs (default 1)")
    ap.add_argument("--sync", type=float, default=0.15,
                    help="probability of a NOOP/refresh before an op (default 0.15)")
    ap.add_argument("--round", type=float, default=2.0,
                    help="seconds between two checks of the queue (default 2)")
    ap.add_argument("--no-deliveries", action="store_true")
    ap.add_argument("--json", help="write every STORE record to this file")
    a = ap.parse_args(argv)
    seconds, n_agents, n_tickets = 40, 3, 8
    if a.long:
        seconds, n_agents, n_tickets = 600, 6, 24
    seconds = a.seconds if a.seconds is not None else seconds
    n_agents = a.agents if a.agents is not None else n_agents
    n_tickets = a.tickets if a.tickets is not None else n_tickets
    seed = a.seed if a.seed is not None else random.randrange(1 << 30)
    agents = AGENT_NAMES[:max(1, min(n_agents, len(AGENT_NAMES)))]

    if os.geteuid() != 0:
        print("SKIP: must run as root")
        return 77
    plugin = os.environ.get("HD_PLUGIN")
    if not plugin or not os.path.isfile(plugin):
        print("SKIP: HD_PLUGIN not set or missing")
        return 77

    print("stress_keywords: seed %d, %g s, agents %s (leads %s), %d tickets, "
          "pipelining sessions %d, sync probability %.2f" % (
              seed, seconds, ",".join(agents), ",".join(l for l in LEADS if l in agents),
              n_tickets, min(a.pipeline, len(agents)), a.sync))
    sys.stdout.flush()
    dc = make_dovecot(agents, plugin)
    dc.start()
    try:
        t0 = time.time()
        layout = setup_queue(dc, random.Random(seed), n_tickets)
        print("setup: %d tickets, %d messages, %.1f s" % (
            len(layout["tickets"]), sum(len(v) for v in layout["tickets"].values()),
            time.time() - t0))
        pre = check_ticket_keywords(dc)
        if not all(r.ok for r in pre):
            print("the queue is inconsistent before the stress starts:")
            report(pre)
        st = Stress(dc, layout, agents, seconds, seed, a.pipeline, a.sync,
                    deliveries=not a.no_deliveries, round_seconds=a.round)
        t0 = time.time()
        records = st.run(check=lambda rnd: check_ticket_keywords(dc))
        print("stress: %.1f s in %d rounds, %d follow-ups delivered" % (
            time.time() - t0, st.rounds, st.customer.delivered if st.customer else 0))
        for th in st.threads + ([st.customer] if st.customer else []):
            if th.error:
                print("thread error: %s" % th.error)
        time.sleep(1.0)
        summary(records, agents)
        if a.json:
            with open(a.json, "w") as f:
                json.dump(records, f, indent=0)
        results = merge_rounds(st.round_results)
        results += check_invariants(dc, records=records, log_since=0)
        results += check_game(dc)
        return verdict(results, seed)
    finally:
        dc.stop()
        dc.cleanup()


if __name__ == "__main__":
    sys.exit(main())
