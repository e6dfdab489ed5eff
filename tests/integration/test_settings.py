#!/usr/bin/python3
"""Settings in a real Dovecot: several queue mailboxes (helpdesk_queue)
sharing one ticket sequence, a custom keyword prefix, the subject tag
switched off."""

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))

from hdtest import Dovecot, make_message, plugin_or_skip  # noqa: E402
from tap import Tap  # noqa: E402


def by_id(msgs, mid):
    return [m for m in msgs if m["message_id"] == mid]


ROUTE_TWO_QUEUES = """require ["envelope", "subaddress", "fileinto", "imap4flags"];
if envelope :detail "to" "billing" {
    fileinto "Public/Billing";
    stop;
}
if envelope :user "to" "support" {
    fileinto "Public/Queue";
    stop;
}
"""


def two_queues(t, plugin):
    import tempfile
    sdir = tempfile.mkdtemp(prefix="hdsieve-")
    script = os.path.join(sdir, "two-queues.sieve")
    with open(script, "w") as f:
        f.write(ROUTE_TWO_QUEUES)
    dc = Dovecot(plugin=plugin, sieve=script, settings={
        "helpdesk_queue": "Public/Queue Public/Billing"})
    dc.start()
    try:
        r1 = dc.deliver(make_message(subject="Through Sieve",
                                     message_id="<s-1@customer.example>"))
        r2 = dc.deliver(make_message(subject="Invoice twice",
                                     sender="erin@shop.example",
                                     to="support+billing@example.com",
                                     message_id="<s-2@shop.example>"),
                        rcpt="support+billing@example.com",
                        sender="erin@shop.example")
        t.ok(r1.ok and r2.ok, "deliveries into both queues", "%s %s" % (r1, r2))
        q1 = by_id(dc.queue("alice", "Public/Queue"), "<s-1@customer.example>")
        q2 = by_id(dc.queue("bob", "Public/Billing"), "<s-2@shop.example>")
        t.ok(len(q1) == 1 and q1[0]["headers"].get("X-Helpdesk-Ticket") == "1"
             and q1[0]["subject"] == "[#1] Through Sieve",
             "first queue: ticket 1", str(q1 and q1[0]["subject"]))
        t.ok(len(q2) == 1 and q2[0]["headers"].get("X-Helpdesk-Ticket") == "2"
             and q2[0]["subject"] == "[#2] Invoice twice" and
             {"hd-new", "hd-prio-normal"} <= set(q2[0]["keywords"]),
             "second queue: ticket 2 from the shared sequence, tagged",
             str(q2 and (q2[0]["subject"], q2[0]["keywords"])))
        # the reply lands in the other queue and still joins its ticket
        reply = make_message(subject="Re: Invoice twice", sender="erin@shop.example",
                             message_id="<s-3@shop.example>",
                             in_reply_to="<s-2@shop.example>")
        dc.deliver(reply, sender="erin@shop.example")
        q = by_id(dc.queue("alice", "Public/Queue"), "<s-3@shop.example>")
        t.ok(len(q) == 1 and q[0]["headers"].get("X-Helpdesk-Ticket") == "2",
             "a reply in the other queue joins ticket 2",
             str(q and q[0]["headers"].get("X-Helpdesk-Ticket")))
        t.eq(dc.sql("SELECT COUNT(*) FROM hd_tickets"), [(2,)],
             "two tickets in the store")
        # doveadm save is no delivery: it saves the stream as it is
        other = make_message(subject="Imported note", message_id="<s-4@x.example>")
        dc.doveadm("save", "-m", "Public/Billing", user="support",
                   input=other.decode())
        m = by_id(dc.queue("alice", "Public/Billing"), "<s-4@x.example>")
        t.ok(len(m) == 1 and "X-Helpdesk-Ticket" not in m[0]["headers"] and
             m[0]["subject"] == "Imported note",
             "doveadm save into a queue stores the message unchanged")
        t.eq(dc.log_errors(), [], "no errors in the log")
    finally:
        dc.stop()
        dc.cleanup()
        import shutil
        shutil.rmtree(sdir, ignore_errors=True)


def prefix_and_no_tag(t, plugin):
    dc = Dovecot(plugin=plugin, settings={"helpdesk_keyword_prefix": "tix.",
                                          "helpdesk_subject_tag": "no"})
    dc.start()
    try:
        dc.deliver(make_message(subject="Custom prefix",
                                message_id="<p-1@customer.example>"))
        q = by_id(dc.queue("alice"), "<p-1@customer.example>")
        t.ok(len(q) == 1 and q[0]["subject"] == "Custom prefix",
             "helpdesk_subject_tag = no: subject unchanged",
             str(q and q[0]["subject"]))
        t.ok(len(q) == 1 and q[0]["headers"].get("X-Helpdesk-Ticket") == "1",
             "the ticket header is still added")
        kws = set(q[0]["keywords"]) if q else set()
        t.ok({"tix.new", "tix.prio-normal"} <= kws and
             not [k for k in kws if k.startswith("hd-") and k != "hd-prio-high"],
             "helpdesk_keyword_prefix = tix.: state keywords use it",
             str(sorted(kws)))
        t.eq(dc.log_errors(), [], "no errors in the log")
    finally:
        dc.stop()
        dc.cleanup()


def named_events(t, plugin):
    """helpdesk_message_filed is a named event: an admin selects it with
    log_debug (or a stats metric) without turning on mail_debug."""
    dc = Dovecot(plugin=plugin)
    dc.extra_config = "log_debug = event=helpdesk_message_filed\n"
    dc.start()
    try:
        dc.deliver(make_message(subject="Evented", message_id="<e-1@customer.example>"))
        dc.deliver(make_message(subject="Re: Evented", message_id="<e-2@customer.example>",
                                in_reply_to="<e-1@customer.example>"))
        dc.deliver(make_message(subject="Out of Office: back Monday",
                                message_id="<e-3@customer.example>"))
        lines = [l for l in dc.log().splitlines() if "helpdesk: message " in l]
        t.ok(any("e-1@customer.example: new, ticket 1" in l for l in lines) and
             any("e-2@customer.example: followup, ticket 1" in l for l in lines) and
             any("e-3@customer.example: none, ticket 0" in l for l in lines),
             "log_debug = event=helpdesk_message_filed logs each decision",
             "\n".join(lines))
        t.ok(all("Debug:" in l for l in lines) and len(lines) == 3,
             "exactly one debug line per filed message", "\n".join(lines))
    finally:
        dc.stop()
        dc.cleanup()


SCHEMA_V1 = [
    "CREATE TABLE hd_schema (version INTEGER NOT NULL)",
    "INSERT INTO hd_schema VALUES (1)",
    "CREATE TABLE hd_tickets (id INTEGER PRIMARY KEY AUTOINCREMENT,"
    " origin_key TEXT NOT NULL UNIQUE, subject TEXT NOT NULL DEFAULT '',"
    " requester TEXT NOT NULL DEFAULT '', status TEXT NOT NULL DEFAULT 'new',"
    " priority TEXT NOT NULL DEFAULT 'normal', team TEXT NOT NULL DEFAULT '',"
    " created BIGINT NOT NULL, updated BIGINT NOT NULL)",
    "CREATE TABLE hd_events (id INTEGER PRIMARY KEY AUTOINCREMENT,"
    " event_key TEXT NOT NULL UNIQUE, ticket_id BIGINT NOT NULL, kind TEXT NOT NULL,"
    " actor TEXT NOT NULL DEFAULT '', message_key TEXT NOT NULL DEFAULT '',"
    " detail TEXT NOT NULL DEFAULT '', created BIGINT NOT NULL)",
    "CREATE TABLE hd_messages (message_key TEXT PRIMARY KEY,"
    " ticket_id BIGINT NOT NULL DEFAULT 0, sender TEXT NOT NULL DEFAULT '',"
    " subject TEXT NOT NULL DEFAULT '', kind TEXT NOT NULL DEFAULT 'customer',"
    " mailbox_guid TEXT NOT NULL DEFAULT '', uid BIGINT NOT NULL DEFAULT 0,"
    " created BIGINT NOT NULL)",
    "CREATE INDEX hd_messages_ticket ON hd_messages (ticket_id)",
    "CREATE TABLE hd_participants (ticket_id BIGINT NOT NULL, address TEXT NOT NULL,"
    " PRIMARY KEY (ticket_id, address))",
    "CREATE INDEX hd_events_ticket ON hd_events (ticket_id)",
    "INSERT INTO hd_tickets (origin_key, subject, created, updated)"
    " VALUES ('old@x', 'old ticket', 1, 1)",
]


def schema_upgrade(t, plugin):
    """A store of schema version 1 (no owner column) is upgraded in place
    by the first process that opens it; numbering continues."""
    import sqlite3
    import shutil
    dc = Dovecot(plugin=plugin)
    dc.start()
    try:
        db = sqlite3.connect(dc.db_path)
        for q in SCHEMA_V1:
            db.execute(q)
        db.commit()
        db.close()
        st = os.stat(os.path.dirname(dc.db_path))
        os.chown(dc.db_path, st.st_uid, st.st_gid)
        dc.deliver(make_message(subject="After the upgrade",
                                message_id="<u-1@customer.example>"))
        q = by_id(dc.queue("alice"), "<u-1@customer.example>")
        t.ok(len(q) == 1 and q[0]["headers"].get("X-Helpdesk-Ticket") == "2",
             "a version 1 store is upgraded and numbering continues (ticket 2)",
             str(q and q[0]["headers"].get("X-Helpdesk-Ticket")))
        v = dc.db().execute("SELECT version FROM hd_schema").fetchall()
        cols = [r[1] for r in dc.db().execute("PRAGMA table_info(hd_tickets)")]
        tables = {r[0] for r in dc.db().execute(
            "SELECT name FROM sqlite_master WHERE type = 'table'")}
        team_cols = [r[1] for r in dc.db().execute("PRAGMA table_info(hd_teams)")]
        agent_cols = [r[1] for r in dc.db().execute("PRAGMA table_info(hd_agents)")]
        indexes = {r[0] for r in dc.db().execute(
            "SELECT name FROM sqlite_master WHERE type = 'index'")}
        t.ok(v == [(6,)] and {"owner", "tier", "vip"} <= set(cols) and
             {"hd_agents", "hd_teams"} <= tables,
             "schema version 6: tickets.owner, .tier, .vip, hd_agents, hd_teams",
             "%r %r" % (v, cols))
        t.ok({"sla_seen", "sla_tag", "sla_next", "resp_start", "res_start",
              "first_response_at"} <= set(cols) and
             {"routing", "business_hours", "timezone", "holidays"} <= set(team_cols) and
             {"away", "assign_seq"} <= set(agent_cols) and
             "hd_tickets_sla_next" in indexes,
             "schema 4: SLA clocks, teams' routing and calendars, agents' "
             "availability, the sweep's index", "%r %r %r" % (cols, team_cols, agent_cols))
        t.ok({"hd_vips", "hd_acks", "hd_ratings"} <= tables and
             {"hd_acks_address", "hd_tickets_requester"} <= indexes,
             "schema 5: VIPs, acknowledgements, ratings, the requester index",
             "%r %r" % (tables, indexes))
        t.ok({"hd_game_rules", "hd_game_folds", "hd_points", "hd_game_agents",
              "hd_game_periods", "hd_badges", "hd_game_levelups",
              "hd_game_teams"} <= tables and
             {"hd_points_ticket", "hd_points_agent"} <= indexes,
             "schema 6: the game's tables", "%r %r" % (tables, indexes))
        t.ok(any("schema upgraded from version 1 to 6" in l for l in dc.log().splitlines()),
             "the upgrade is logged")
        t.eq(dc.log_errors(), [], "no errors in the log")
    finally:
        dc.stop()
        dc.cleanup()


def main():
    t = Tap()
    plugin = plugin_or_skip(t, "settings tests")
    if plugin is None:
        return t.done()
    for fn in (two_queues, prefix_and_no_tag, named_events, schema_upgrade):
        with t.check("%s runs to the end" % fn.__name__):
            fn(t, plugin)
    return t.done()


if __name__ == "__main__":
    sys.exit(main())
