/* Copyright (c) 2026 dovecot-helpdesk authors, see the included COPYING file */

/* bench-leaderboard -- the game's leaderboards over a ledger of a year
   (issue 16): the fold that turns the events into points and period
   totals, and the boards read from those totals, against the same board
   computed the naive way from the points ledger in the same run.

   usage: bench-board [-n EVENTS] [-r REPEAT] [-a ACTIONS] [-k] [-z ZONE]
                      PATH

     PATH  the SQLite store file (made anew unless -k)
     -n    ledger events to fill (default 1000000)
     -r    timed calls of each board (default 200)
     -a    single actions folded one at a time at the end (default 200;
           0: skip): the fold's cost in an agent's action
     -k    keep PATH when it exists and is filled and folded already
           (skips the fill and the fold)
     -z    the store's SLA settings as the plugin parses them (the
           shipped defaults) with helpdesk_timezone = ZONE: every team's
           calendar is ZONE while the process runs in UTC, as in a
           Dovecot process without TZ in its environment (default: no
           SLA settings, the calendar is the process's zone, UTC)

   The fill (SQL, one transaction per 100000 rows, on its own SQLite
   connection): 5 teams of 10 agents (one lead each) registered in
   hd_agents, a year of tickets (2025-01-06 to 2026-01-04, 52 ISO
   weeks) from 20000 customers, 90 % on weekdays and 80 % in office
   hours, with one busy week (2025-W31) that gets a tenth of the year's
   tickets on top. Within a team the first agents take more tickets than
   the last (agent k = 10 u^2 of the team, u uniform). Each ticket's
   life, as the plugin records it:
     created (the customer), 25 % assigned by routing ('auto'), claimed,
     replied (30 % within the hour: fast), sla_met (85 %) or
     sla_breached of the response clock, 70 % a customer's message and
     60 % of those a second reply, 5 % escalated by the owner and taken
     over by another agent of the team, resolved, sla_met (90 %) or
     sla_breached of the resolution clock, 50 % csat-requested and 40 %
     of those rated 1-5, 8 % reopened by the customer and then replied
     and resolved again.
   All events sorted by time get ids in that order; the ledger is cut at
   EVENTS events (the tickets opened after the cut are not in the store:
   "now" is the time of the last event).

   Then:
     1. helpdesk_store_game_fold() until nothing is left: the rebuild
        cost (events/s of the ledger and of the events that score);
     2. helpdesk_store_game_board() REPEAT times for the busiest week
        (-p week) of team1 and of all teams (team NULL), and for all
        time (-p all) of team1 and of all teams; each call alternates
        with the naive board, one aggregate over hd_points (the points
        ledger) through the same connection and statement cache:
          SELECT agent, SUM(points) FROM hd_points WHERE team = ? AND
          created >= ? AND created < ? GROUP BY agent
        (all teams: GROUP BY team, agent; -p all: no time range). Both
        must give the same agents and points (checked). Median and p95
        in ms, ratio ours / naive. A board's timing stops after 20 s
        (at least 21 calls): the naive all-time boards take ~0.5 s;
     3. -a: ACTIONS single actions (a new ticket that an agent claims,
        replies to and resolves: 4 events, 2 that score), each folded
        alone by helpdesk_store_game_fold() as the IMAP action's fold
        does it: median and p95, with the fold log (hd_game_folds) as
        the rebuild left it (one row per batch of 2000), again with
        the fold log as a year of such folds leaves it (one row per
        event that scores: rewritten by SQL, same cursor), and once more
        with an index on hd_game_folds (end_event) added to the file
        (not in the plugin's schema: what a fix would give).

   TZ is set to UTC (the store's calendar without SLA settings is the
   process's time zone). */

#include "lib.h"
#include "ioloop.h"
#include "array.h"
#include "str.h"
#include "strnum.h"
#include "helpdesk-settings.h"
#include "helpdesk-store.h"
#include "helpdesk-store-private.h"
#include "helpdesk-store-game.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <time.h>

#define MODULEDIR "/usr/lib/dovecot/modules"

#define N_TEAMS 5
#define AGENTS_PER_TEAM 10
#define N_AGENTS (N_TEAMS * AGENTS_PER_TEAM)
#define N_CUSTOMERS 20000
/* 2025-01-06 00:00 UTC, a Monday: the year is 52 ISO weeks from it */
#define YEAR_START 1736121600LL
#define YEAR_WEEKS 52
#define WEEK_SECS (7 * 86400LL)
/* 2025-W31 (Monday 2025-07-28): the busy week */
#define BUSY_WEEK 29
/* average events per ticket of the mix (measured), to size the fill */
#define EVENTS_PER_TICKET 8.4
/* each board's timing stops after this long (but not before
   BOARD_MIN_CALLS calls) */
#define BOARD_BUDGET_MS 20000.0
#define BOARD_MIN_CALLS 21
/* rows per fill transaction */
#define FILL_COMMIT_ROWS 100000

#define ACTOR_REQUESTER 255
#define ACTOR_AUTO 254

/* the events that score (GAME_EVENTS_QUERY) */
#define GAME_KINDS "'replied', 'resolved', 'reopened', 'sla_met', " \
	"'sla_breached', 'rated'"

enum fill_kind {
	K_CREATED, K_ASSIGNED, K_CLAIMED, K_REPLIED, K_MESSAGE, K_SLA_MET,
	K_SLA_BREACHED, K_ESCALATED, K_RESOLVED, K_CSAT, K_RATED, K_REOPENED,
	K_COUNT
};
static const char *const kind_names[K_COUNT] = {
	"created", "assigned", "claimed", "replied", "message", "sla_met",
	"sla_breached", "escalated", "resolved", "csat-requested", "rated",
	"reopened"
};

struct fill_ticket {
	int64_t created;
	uint32_t requester;
	uint8_t team, owner, vip, resolved;
};

struct fill_event {
	int64_t created;
	uint32_t ticket;	/* index into tickets */
	uint16_t seq;		/* in the ticket */
	uint8_t kind;
	uint8_t actor;		/* agent index or ACTOR_* */
	uint8_t detail;		/* sla: 0 response, 1 resolution; rated: score;
				   assigned: agent index */
};
ARRAY_DEFINE_TYPE(fill_event, struct fill_event);

struct bench {
	struct helpdesk_store *store;
	const char *path;
	unsigned int repeat;
	pool_t pool;
	ARRAY(struct fill_ticket) tickets;
	ARRAY_TYPE(fill_event) events;
	uint64_t rng;
	unsigned int week_events[YEAR_WEEKS + 2];
	int64_t now;
	unsigned long long n_events, n_tickets, n_scoring;
	uint64_t last_event_id;
	uint32_t next_ticket_id;
	unsigned int problems;
	/* -z */
	const char *timezone, *dsn;
};

static void fail(const char *what, const char *error)
{
	i_fatal("bench-leaderboard: %s: %s", what, error);
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000.0 + ts.tv_nsec / 1e6;
}

/* xorshift64*: the same fill every run */
static uint64_t rnd(struct bench *b)
{
	b->rng ^= b->rng >> 12;
	b->rng ^= b->rng << 25;
	b->rng ^= b->rng >> 27;
	return b->rng * 2685821657736338717ULL;
}

static double rnd_unit(struct bench *b)
{
	return (rnd(b) >> 11) * (1.0 / 9007199254740992.0);
}

static int64_t rnd_range(struct bench *b, int64_t lo, int64_t hi)
{
	return lo + (int64_t)(rnd_unit(b) * (double)(hi - lo));
}

static bool chance(struct bench *b, double p)
{
	return rnd_unit(b) < p;
}

static const char *agent_name(unsigned int i)
{
	return t_strdup_printf("agent%02u", i + 1);
}

static const char *team_name(unsigned int team)
{
	return t_strdup_printf("team%u", team + 1);
}

/* an agent of team: the first ones busier */
static uint8_t pick_agent(struct bench *b, unsigned int team)
{
	double u = rnd_unit(b);
	unsigned int k = (unsigned int)(AGENTS_PER_TEAM * u * u);

	if (k >= AGENTS_PER_TEAM)
		k = AGENTS_PER_TEAM - 1;
	return (uint8_t)(team * AGENTS_PER_TEAM + k);
}

static int64_t ticket_time(struct bench *b)
{
	int64_t day, secs;
	unsigned int weekday;

	if (chance(b, 1.0 / 11)) {
		/* the busy week's extra tickets */
		day = BUSY_WEEK * 7 + rnd_range(b, 0, 7);
	} else {
		day = rnd_range(b, 0, YEAR_WEEKS * 7);
	}
	weekday = (unsigned int)(day % 7);	/* 0 = Monday */
	if (weekday >= 5 && chance(b, 0.7))
		day -= weekday - rnd_range(b, 0, 5);
	if (chance(b, 0.8))
		secs = rnd_range(b, 8 * 3600, 18 * 3600);
	else
		secs = rnd_range(b, 0, 86400);
	return YEAR_START + day * 86400 + secs;
}

static void add_event(struct bench *b, uint32_t ticket, uint16_t *seq,
		      enum fill_kind kind, uint8_t actor, uint8_t detail,
		      int64_t created)
{
	struct fill_event *ev = array_append_space(&b->events);

	ev->created = created;
	ev->ticket = ticket;
	ev->seq = (*seq)++;
	ev->kind = kind;
	ev->actor = actor;
	ev->detail = detail;
}

/* ticket idx's life (see the top) */
static void fill_life(struct bench *b, uint32_t idx)
{
	struct fill_ticket *t = array_idx_modifiable(&b->tickets, idx);
	int64_t now = t->created, first_due = t->created + 8 * 3600;
	uint8_t owner = pick_agent(b, t->team), other;
	uint16_t seq = 0;
	bool met;

	t->owner = owner;
	add_event(b, idx, &seq, K_CREATED, ACTOR_REQUESTER, 0, now);
	if (chance(b, 0.25))
		add_event(b, idx, &seq, K_ASSIGNED, ACTOR_AUTO, owner, now + 1);
	now += rnd_range(b, 60, 2 * 3600);
	add_event(b, idx, &seq, K_CLAIMED, owner, 0, now);
	/* the first reply: about half of them within the hour of the
	   creation (fast) */
	if (now + 60 < t->created + 3600 && chance(b, 0.6))
		now = rnd_range(b, now + 60, t->created + 3600);
	else
		now += rnd_range(b, 30 * 60, 6 * 3600);
	add_event(b, idx, &seq, K_REPLIED, owner, 0, now);
	met = chance(b, 0.85);
	add_event(b, idx, &seq, met ? K_SLA_MET : K_SLA_BREACHED, owner, 0,
		  met ? now : first_due);
	if (chance(b, 0.7)) {
		now += rnd_range(b, 600, 86400);
		add_event(b, idx, &seq, K_MESSAGE, ACTOR_REQUESTER, 0, now);
		if (chance(b, 0.6)) {
			now += rnd_range(b, 600, 4 * 3600);
			add_event(b, idx, &seq, K_REPLIED, owner, 0, now);
		}
	}
	if (chance(b, 0.05)) {
		now += rnd_range(b, 600, 4 * 3600);
		add_event(b, idx, &seq, K_ESCALATED, owner, 2, now);
		other = pick_agent(b, t->team);
		if (other == owner)
			other = t->team * AGENTS_PER_TEAM +
				(owner + 1) % AGENTS_PER_TEAM;
		now += rnd_range(b, 600, 4 * 3600);
		add_event(b, idx, &seq, K_CLAIMED, other, 0, now);
		owner = other;
		t->owner = owner;
	}
	now += rnd_range(b, 600, 2 * 86400);
	add_event(b, idx, &seq, K_RESOLVED, owner, 0, now);
	met = chance(b, 0.9);
	add_event(b, idx, &seq, met ? K_SLA_MET : K_SLA_BREACHED, owner, 1,
		  now);
	if (chance(b, 0.5)) {
		add_event(b, idx, &seq, K_CSAT, owner, 0, now + 1);
		if (chance(b, 0.4)) {
			add_event(b, idx, &seq, K_RATED, owner,
				  (uint8_t)rnd_range(b, 1, 6),
				  now + rnd_range(b, 3600, 2 * 86400));
		}
	}
	if (chance(b, 0.08)) {
		now += rnd_range(b, 3600, 10 * 86400);
		add_event(b, idx, &seq, K_REOPENED, ACTOR_REQUESTER, 0, now);
		now += rnd_range(b, 600, 4 * 3600);
		add_event(b, idx, &seq, K_REPLIED, owner, 0, now);
		now += rnd_range(b, 600, 86400);
		add_event(b, idx, &seq, K_RESOLVED, owner, 0, now);
	}
}

static int ticket_cmp(const struct fill_ticket *a, const struct fill_ticket *b)
{
	return a->created < b->created ? -1 : a->created > b->created ? 1 : 0;
}

static int event_cmp(const struct fill_event *a, const struct fill_event *b)
{
	if (a->created != b->created)
		return a->created < b->created ? -1 : 1;
	if (a->ticket != b->ticket)
		return a->ticket < b->ticket ? -1 : 1;
	return (int)a->seq - (int)b->seq;
}

static void generate(struct bench *b, unsigned long long n_events)
{
	unsigned long long n_tickets =
		(unsigned long long)(n_events / EVENTS_PER_TICKET * 1.05) + 10;
	const struct fill_event *last;
	struct fill_ticket *t;
	unsigned long long i;

	i_array_init(&b->tickets, n_tickets);
	for (i = 0; i < n_tickets; i++) {
		t = array_append_space(&b->tickets);
		t->created = ticket_time(b);
		t->requester = (uint32_t)rnd_range(b, 0, N_CUSTOMERS);
		t->team = (uint8_t)rnd_range(b, 0, N_TEAMS);
		t->vip = chance(b, 0.03);
	}
	array_sort(&b->tickets, ticket_cmp);
	i_array_init(&b->events, n_tickets * 10);
	for (i = 0; i < n_tickets; i++)
		fill_life(b, (uint32_t)i);
	array_sort(&b->events, event_cmp);
	if (array_count(&b->events) < n_events) {
		i_fatal("bench-leaderboard: the mix gave %u events, fewer "
			"than %llu (raise EVENTS_PER_TICKET's margin)",
			array_count(&b->events), n_events);
	}
	/* "now": the ledger is cut here */
	array_delete(&b->events, n_events, array_count(&b->events) - n_events);
	b->n_events = n_events;
	last = array_idx(&b->events, array_count(&b->events) - 1);
	b->now = last->created;
}

static void sql_exec(sqlite3 *db, const char *sql)
{
	char *err = NULL;

	if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK)
		fail(sql, err);
}

static sqlite3_stmt *sql_prepare(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *stmt;

	if (sqlite3_prepare_v2(db, sql, -1, &stmt, NULL) != SQLITE_OK)
		fail(sql, sqlite3_errmsg(db));
	return stmt;
}

static void sql_step_reset(sqlite3 *db, sqlite3_stmt *stmt)
{
	if (sqlite3_step(stmt) != SQLITE_DONE)
		fail("insert", sqlite3_errmsg(db));
	sqlite3_reset(stmt);
	sqlite3_clear_bindings(stmt);
}

static void bind_text(sqlite3_stmt *stmt, int i, const char *text)
{
	sqlite3_bind_text(stmt, i, text, -1, SQLITE_TRANSIENT);
}

static void fill_store(struct bench *b)
{
	sqlite3 *db;
	sqlite3_stmt *st_team, *st_agent, *st_ticket, *st_event;
	const struct fill_event *ev;
	const struct fill_ticket *t;
	unsigned long long rows = 0, id = 0;
	int64_t cut = b->now;
	unsigned int i, week;
	double t0 = now_ms();

	if (sqlite3_open_v2(b->path, &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK)
		fail("open for the fill", sqlite3_errmsg(db));
	sqlite3_busy_timeout(db, 10000);
	sql_exec(db, "PRAGMA synchronous=OFF");
	sql_exec(db, "PRAGMA cache_size=-400000");
	sql_exec(db, "BEGIN IMMEDIATE");
	st_team = sql_prepare(db, "INSERT INTO hd_teams (name, created) "
			      "VALUES (?, ?)");
	st_agent = sql_prepare(db, "INSERT INTO hd_agents (username, address, "
			       "team, role, created) VALUES (?, ?, ?, ?, ?)");
	st_ticket = sql_prepare(db, "INSERT INTO hd_tickets (id, origin_key, "
		"subject, requester, status, priority, team, owner, vip, "
		"created, updated) VALUES (?, ?, ?, ?, ?, 'normal', ?, ?, ?, "
		"?, ?)");
	st_event = sql_prepare(db, "INSERT INTO hd_events (id, event_key, "
		"ticket_id, kind, actor, message_key, detail, created) "
		"VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
	for (i = 0; i < N_TEAMS; i++) T_BEGIN {
		bind_text(st_team, 1, team_name(i));
		sqlite3_bind_int64(st_team, 2, YEAR_START);
		sql_step_reset(db, st_team);
	} T_END;
	for (i = 0; i < N_AGENTS; i++) T_BEGIN {
		bind_text(st_agent, 1, agent_name(i));
		bind_text(st_agent, 2, t_strdup_printf("%s@example.com",
						       agent_name(i)));
		bind_text(st_agent, 3, team_name(i / AGENTS_PER_TEAM));
		bind_text(st_agent, 4, i % AGENTS_PER_TEAM == AGENTS_PER_TEAM - 1 ?
			  "lead" : "agent");
		sqlite3_bind_int64(st_agent, 5, YEAR_START);
		sql_step_reset(db, st_agent);
	} T_END;
	/* the tickets opened before the cut, numbered in time order */
	for (i = 0; i < array_count(&b->tickets); i++) {
		t = array_idx(&b->tickets, i);
		if (t->created > cut)
			continue;
		T_BEGIN {
		uint32_t n = i + 1;

		sqlite3_bind_int64(st_ticket, 1, n);
		bind_text(st_ticket, 2, t_strdup_printf("fill-%u@bench.example", n));
		bind_text(st_ticket, 3, t_strdup_printf("Printer %u on fire", n));
		bind_text(st_ticket, 4, t_strdup_printf("cust%u@customer.example",
							t->requester));
		bind_text(st_ticket, 5, "resolved");
		bind_text(st_ticket, 6, team_name(t->team));
		bind_text(st_ticket, 7, agent_name(t->owner));
		sqlite3_bind_int(st_ticket, 8, t->vip);
		sqlite3_bind_int64(st_ticket, 9, t->created);
		sqlite3_bind_int64(st_ticket, 10, t->created);
		sql_step_reset(db, st_ticket);
		b->n_tickets++;
		if (++rows % FILL_COMMIT_ROWS == 0) {
			sql_exec(db, "COMMIT");
			sql_exec(db, "BEGIN IMMEDIATE");
		}
		} T_END;
	}
	b->next_ticket_id = (uint32_t)b->n_tickets + 1;
	array_foreach(&b->events, ev) T_BEGIN {
		const char *actor, *detail = "", *message_key = "";
		uint32_t n = ev->ticket + 1;

		t = array_idx(&b->tickets, ev->ticket);
		if (ev->actor == ACTOR_REQUESTER) {
			actor = t_strdup_printf("cust%u@customer.example",
						t->requester);
		} else if (ev->actor == ACTOR_AUTO)
			actor = "auto";
		else
			actor = agent_name(ev->actor);
		switch ((enum fill_kind)ev->kind) {
		case K_CREATED:
			message_key = t_strdup_printf("fill-%u@bench.example", n);
			break;
		case K_MESSAGE:
		case K_REPLIED:
		case K_REOPENED:
			message_key = t_strdup_printf("fill-%u-%u@bench.example",
						      n, ev->seq);
			if (ev->kind == K_REOPENED)
				detail = "customer reply";
			break;
		case K_ASSIGNED:
			detail = agent_name(ev->detail);
			break;
		case K_SLA_MET:
		case K_SLA_BREACHED:
			detail = ev->detail == 0 ? "response" : "resolution";
			break;
		case K_ESCALATED:
			detail = "2";
			break;
		case K_RATED:
			detail = t_strdup_printf("%u", ev->detail);
			break;
		default:
			break;
		}
		id++;
		sqlite3_bind_int64(st_event, 1, (sqlite3_int64)id);
		bind_text(st_event, 2, t_strdup_printf("%s:%u:%u",
			  kind_names[ev->kind], n, ev->seq));
		sqlite3_bind_int64(st_event, 3, n);
		bind_text(st_event, 4, kind_names[ev->kind]);
		bind_text(st_event, 5, actor);
		bind_text(st_event, 6, message_key);
		bind_text(st_event, 7, detail);
		sqlite3_bind_int64(st_event, 8, ev->created);
		sql_step_reset(db, st_event);
		switch ((enum fill_kind)ev->kind) {
		case K_REPLIED: case K_RESOLVED: case K_REOPENED:
		case K_SLA_MET: case K_SLA_BREACHED: case K_RATED:
			b->n_scoring++;
			break;
		default:
			break;
		}
		week = (unsigned int)((ev->created - YEAR_START) / WEEK_SECS);
		if (ev->created >= YEAR_START && week < N_ELEMENTS(b->week_events))
			b->week_events[week]++;
		if (++rows % FILL_COMMIT_ROWS == 0) {
			sql_exec(db, "COMMIT");
			sql_exec(db, "BEGIN IMMEDIATE");
		}
	} T_END;
	b->last_event_id = id;
	sql_exec(db, "COMMIT");
	sqlite3_finalize(st_team);
	sqlite3_finalize(st_agent);
	sqlite3_finalize(st_ticket);
	sqlite3_finalize(st_event);
	sql_exec(db, "ANALYZE");
	sqlite3_close(db);
	printf("bench-leaderboard: fill: %llu events (%llu that score) of "
	       "%llu tickets, %u agents in %u teams, %.1f s\n", b->n_events,
	       b->n_scoring, b->n_tickets, N_AGENTS, N_TEAMS,
	       (now_ms() - t0) / 1000.0);
	fflush(stdout);
}

static int64_t sqlite_int(const char *path, const char *sql)
{
	sqlite3 *db;
	sqlite3_stmt *stmt;
	int64_t value = -1;

	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
		fail("open", sqlite3_errmsg(db));
	stmt = sql_prepare(db, sql);
	if (sqlite3_step(stmt) == SQLITE_ROW)
		value = sqlite3_column_int64(stmt, 0);
	sqlite3_finalize(stmt);
	sqlite3_close(db);
	return value;
}

static void fold_all(struct bench *b)
{
	unsigned int folded;
	unsigned long long total = 0;
	const char *error;
	double t0 = now_ms(), t1, tl = t0, ms;

	for (;;) {
		if (helpdesk_store_game_fold(b->store, b->now, 100000, &folded,
					     &error) < 0)
			fail("fold", error);
		if (folded == 0)
			break;
		total += folded;
		t1 = now_ms();
		fprintf(stderr, "bench-leaderboard: folded %llu events that "
			"score, %.1f s (last %u: %.0f/s)\n", total,
			(t1 - t0) / 1000.0, folded, folded * 1000.0 / (t1 - tl));
		tl = t1;
	}
	ms = now_ms() - t0;
	printf("bench-leaderboard: fold (rebuild) of %llu ledger events "
	       "(%llu that score): %.1f s, %.0f ledger events/s, "
	       "%.0f scoring events/s\n", b->n_events, total, ms / 1000.0,
	       b->n_events * 1000.0 / ms, total * 1000.0 / ms);
	fflush(stdout);
}

ARRAY_DEFINE_TYPE(double, double);

struct naive_row {
	const char *team, *agent;
	int64_t points;
};
ARRAY_DEFINE_TYPE(naive_row, struct naive_row);

static void naive_board(struct bench *b, const char *team, int64_t start,
			int64_t end, pool_t pool, ARRAY_TYPE(naive_row) *rows)
{
	struct helpdesk_db_result *result;
	struct naive_row *row;
	const char *args[4], *query, *error;
	unsigned int n = 0;
	int ret;

	if (start != 0) {
		if (team != NULL)
			args[n++] = team;
		args[n++] = t_strdup(dec2str(start));
		args[n++] = t_strdup(dec2str(end));
		query = team != NULL ?
			"SELECT team, agent, SUM(points) FROM hd_points "
			"WHERE team = ? AND created >= CAST(? AS BIGINT) AND "
			"created < CAST(? AS BIGINT) GROUP BY agent "
			"ORDER BY 3 DESC, agent" :
			"SELECT team, agent, SUM(points) FROM hd_points "
			"WHERE created >= CAST(? AS BIGINT) AND "
			"created < CAST(? AS BIGINT) GROUP BY team, agent "
			"ORDER BY 3 DESC, agent";
	} else {
		if (team != NULL)
			args[n++] = team;
		query = team != NULL ?
			"SELECT team, agent, SUM(points) FROM hd_points "
			"WHERE team = ? GROUP BY agent ORDER BY 3 DESC, agent" :
			"SELECT team, agent, SUM(points) FROM hd_points "
			"GROUP BY team, agent ORDER BY 3 DESC, agent";
	}
	args[n] = NULL;
	result = helpdesk_db_query(b->store->db, query, args);
	while ((ret = helpdesk_db_result_next_row(result)) > 0) {
		row = array_append_space(rows);
		row->team = p_strdup(pool, helpdesk_db_result_value(result, 0));
		row->agent = p_strdup(pool, helpdesk_db_result_value(result, 1));
		row->points = helpdesk_db_result_int64(result, 2);
	}
	if (helpdesk_db_result_finish(&result, ret, &error) < 0)
		fail("naive board", error);
}

static int double_cmp(const double *a, const double *b)
{
	return *a < *b ? -1 : *a > *b ? 1 : 0;
}

static double percentile(ARRAY_TYPE(double) *a, double p)
{
	unsigned int n = array_count(a), i;

	const double *v;

	array_sort(a, double_cmp);
	i = (unsigned int)(p * (n - 1) + 0.5);
	v = array_idx(a, i);
	return *v;
}

/* same agents, same points */
static const char *
board_diff(const ARRAY_TYPE(helpdesk_game_board_row) *ours,
	   const ARRAY_TYPE(naive_row) *naive)
{
	const struct helpdesk_game_board_row *o;
	const struct naive_row *n;
	bool found;

	if (array_count(ours) != array_count(naive)) {
		return t_strdup_printf("%u rows, naive %u", array_count(ours),
				       array_count(naive));
	}
	array_foreach(ours, o) {
		found = FALSE;
		array_foreach(naive, n) {
			if (strcmp(n->agent, o->agent) == 0 &&
			    strcmp(n->team, o->team) == 0) {
				if (n->points != o->points) {
					return t_strdup_printf("%s: %lld points, "
						"naive %lld", o->agent,
						(long long)o->points,
						(long long)n->points);
				}
				found = TRUE;
			}
		}
		if (!found)
			return t_strdup_printf("%s not in the naive board", o->agent);
	}
	return NULL;
}

struct board_result {
	double med, p95, naive_med, naive_p95;
	unsigned int rows;
};

static void time_board(struct bench *b, const char *what,
		       enum helpdesk_game_period period, const char *team,
		       int64_t at, struct board_result *res_r)
{
	ARRAY_TYPE(double) ours, naive;
	int64_t start = 0, end = 0;
	const char *key = "", *error;
	char *diff = NULL;
	unsigned int i, rows = 0;
	double t0, t1, case_start;
	bool stop = FALSE;

	if (period == HELPDESK_GAME_PERIOD_WEEK) {
		/* the week's bounds in team1's calendar (UTC: all the same) */
		helpdesk_store_game_week(b->store, team == NULL ? "team1" : team,
					 at, 0, &key, &start, &end);
	}
	if (*key != '\0')
		what = t_strdup_printf("%s %s", what, key);
	t_array_init(&ours, b->repeat);
	t_array_init(&naive, b->repeat);
	case_start = now_ms();
	for (i = 0; i < b->repeat && !stop; i++) T_BEGIN {
		ARRAY_TYPE(helpdesk_game_board_row) board;
		ARRAY_TYPE(naive_row) nrows;
		pool_t pool = pool_alloconly_create("board", 8192);
		pool_t npool = pool_alloconly_create("naive board", 8192);
		double ms_ours, ms_naive;

		p_array_init(&board, pool, 64);
		p_array_init(&nrows, npool, 64);
		/* alternate which goes first */
		if (i % 2 == 0) {
			t0 = now_ms();
			if (helpdesk_store_game_board(b->store, period, team,
						      FALSE, at, NULL, pool,
						      &board, &error) < 0)
				fail("board", error);
			t1 = now_ms();
			ms_ours = t1 - t0;
			naive_board(b, team, start, end, npool, &nrows);
			ms_naive = now_ms() - t1;
		} else {
			t0 = now_ms();
			naive_board(b, team, start, end, npool, &nrows);
			t1 = now_ms();
			ms_naive = t1 - t0;
			if (helpdesk_store_game_board(b->store, period, team,
						      FALSE, at, NULL, pool,
						      &board, &error) < 0)
				fail("board", error);
			ms_ours = now_ms() - t1;
		}
		array_push_back(&ours, &ms_ours);
		array_push_back(&naive, &ms_naive);
		if (i == 0) {
			rows = array_count(&board);
			diff = i_strdup(board_diff(&board, &nrows));
		}
		pool_unref(&pool);
		pool_unref(&npool);
		/* the naive all-time boards take most of a second */
		stop = i + 1 >= BOARD_MIN_CALLS &&
			now_ms() - case_start > BOARD_BUDGET_MS;
	} T_END;
	if (i < b->repeat)
		what = t_strdup_printf("%s (%u calls: time budget)", what, i);
	res_r->med = percentile(&ours, 0.5);
	res_r->p95 = percentile(&ours, 0.95);
	res_r->naive_med = percentile(&naive, 0.5);
	res_r->naive_p95 = percentile(&naive, 0.95);
	res_r->rows = rows;
	printf("bench-leaderboard: %s: %u rows, ours median %.3f ms, "
	       "p95 %.3f ms; naive (SUM over hd_points) median %.3f ms, "
	       "p95 %.3f ms; ratio ours/naive %.4f; %s\n", what,
	       rows, res_r->med, res_r->p95,
	       res_r->naive_med, res_r->naive_p95,
	       res_r->med / res_r->naive_med,
	       diff == NULL ? "same agents and points" :
	       t_strdup_printf("DIFFERENT: %s", diff));
	if (diff != NULL) {
		fprintf(stderr, "bench-leaderboard: PROBLEM: %s: the boards "
			"differ: %s\n", what, diff);
		b->problems++;
		i_free(diff);
	}
	fflush(stdout);
}

/* One agent's work on a new ticket: created, claimed, replied, resolved
   (the last two score), written as the store writes events, then folded
   alone as the IMAP action's fold does. Returns the fold's ms. */
static double one_action(struct bench *b, unsigned int i)
{
	struct helpdesk_db_trans *trans;
	const char *error, *agent = agent_name(i % AGENTS_PER_TEAM);
	uint32_t n = b->next_ticket_id++;
	const char *nstr = t_strdup(dec2str(n));
	unsigned int folded, k;
	int64_t t = b->now + 60 * (i + 1);
	double t0, ms;
	static const char *const kinds[] = {
		"created", "claimed", "replied", "resolved"
	};

	trans = helpdesk_db_begin(b->store->db);
	{
		const char *args[] = {
			nstr, t_strdup_printf("fill-%u@bench.example", n),
			t_strdup(dec2str(t)), NULL
		};
		helpdesk_db_update(trans, "INSERT INTO hd_tickets (id, "
			"origin_key, subject, requester, status, team, owner, "
			"created, updated) VALUES (?, ?, 'x', "
			"'c@customer.example', 'resolved', 'team1', '', ?, 0)",
			args, NULL);
	}
	for (k = 0; k < N_ELEMENTS(kinds); k++) {
		const char *args[] = {
			t_strdup_printf("%s:%u:a", kinds[k], n), nstr, kinds[k],
			agent, t_strdup(dec2str(t + k)), NULL
		};
		helpdesk_db_update(trans, "INSERT INTO hd_events (event_key, "
			"ticket_id, kind, actor, message_key, detail, created) "
			"VALUES (?, ?, ?, ?, '', '', ?)", args, NULL);
	}
	if (helpdesk_db_commit(&trans, &error) < 0)
		fail("action", error);
	t0 = now_ms();
	if (helpdesk_store_game_fold(b->store, t, 2000, &folded, &error) < 0)
		fail("fold of an action", error);
	ms = now_ms() - t0;
	if (folded != 2)
		i_fatal("bench-leaderboard: an action's fold folded %u events, "
			"not 2", folded);
	return ms;
}

static void time_actions(struct bench *b, unsigned int n, const char *what,
			 double *med_r)
{
	ARRAY_TYPE(double) ms;
	unsigned int i;
	double v;

	t_array_init(&ms, n);
	for (i = 0; i < n; i++) T_BEGIN {
		v = one_action(b, i);
		array_push_back(&ms, &v);
	} T_END;
	*med_r = percentile(&ms, 0.5);
	printf("bench-leaderboard: fold of one action (a ticket created, "
	       "claimed, replied to, resolved), %s: median %.3f ms, p95 %.3f ms (%u actions)\n",
	       what, *med_r, percentile(&ms, 0.95), n);
	fflush(stdout);
}

static void fold_log_per_event(struct bench *b)
{
	sqlite3 *db;
	double t0 = now_ms();

	if (sqlite3_open_v2(b->path, &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK)
		fail("open", sqlite3_errmsg(db));
	sqlite3_busy_timeout(db, 10000);
	sql_exec(db, "BEGIN IMMEDIATE");
	/* what folding after every action leaves: one fold per event that
	   scores, each from the one before; the cursor stays the same */
	sql_exec(db, "DELETE FROM hd_game_folds");
	sql_exec(db, "INSERT INTO hd_game_folds (start_event, end_event, "
		 "created) SELECT COALESCE(LAG(id) OVER (ORDER BY id), 0), id, "
		 "created FROM hd_events WHERE kind IN (" GAME_KINDS ")");
	sql_exec(db, "COMMIT");
	sqlite3_close(db);
	printf("bench-leaderboard: fold log rewritten as a fold per event "
	       "that scores: %lld rows (%.1f s)\n",
	       (long long)sqlite_int(b->path, "SELECT COUNT(*) FROM hd_game_folds"),
	       (now_ms() - t0) / 1000.0);
}

static const char *bench_getenv(const char *name, void *context)
{
	struct bench *b = context;

	/* the rest: the shipped defaults */
	if (strcmp(name, "helpdesk_queue") == 0)
		return "Public/Queue";
	if (strcmp(name, "helpdesk_db") == 0)
		return b->dsn;
	if (strcmp(name, "helpdesk_timezone") == 0)
		return b->timezone;
	return NULL;
}

/* the events per week of the (deterministic) fill, for a kept store */
static void week_histogram(struct bench *b)
{
	const struct fill_event *ev;
	unsigned int w;

	array_foreach(&b->events, ev) {
		w = (unsigned int)((ev->created - YEAR_START) / WEEK_SECS);
		if (w < N_ELEMENTS(b->week_events))
			b->week_events[w]++;
	}
}

/* what-if: the cursor query (MAX(end_event)) on an index */
static void fold_log_index(struct bench *b)
{
	sqlite3 *db;

	if (sqlite3_open_v2(b->path, &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK)
		fail("open", sqlite3_errmsg(db));
	sqlite3_busy_timeout(db, 10000);
	sql_exec(db, "CREATE INDEX IF NOT EXISTS bench_game_folds_end ON "
		 "hd_game_folds (end_event)");
	sqlite3_close(db);
	printf("bench-leaderboard: index bench_game_folds_end on "
	       "hd_game_folds (end_event) added\n");
}

static void usage(void)
{
	fprintf(stderr, "usage: bench-board [-n EVENTS] [-r REPEAT] "
		"[-a ACTIONS] [-k] [-z ZONE] PATH\n");
	exit(2);
}

int main(int argc, char *argv[])
{
	struct bench b;
	struct ioloop *ioloop;
	struct board_result week1, week_all, all1, all_all;
	const char *error, *dsn, *week_key;
	unsigned long long n_events = 1000000;
	unsigned int actions = 200, i, busiest = 0;
	int64_t at, wstart, wend;
	bool created, keep = FALSE;
	double act_batch = 0, act_per_event = 0, act_indexed = 0;
	struct helpdesk_settings set;
	pool_t set_pool = NULL;
	int c;

	i_zero(&b);
	b.repeat = 200;
	b.rng = 0x9e3779b97f4a7c15ULL;
	while ((c = getopt(argc, argv, "n:r:a:kz:")) > 0) {
		switch (c) {
		case 'n':
			if (str_to_ullong(optarg, &n_events) < 0 || n_events < 1000)
				usage();
			break;
		case 'r':
			if (str_to_uint(optarg, &b.repeat) < 0 || b.repeat < 1)
				usage();
			break;
		case 'a':
			if (str_to_uint(optarg, &actions) < 0)
				usage();
			break;
		case 'k':
			keep = TRUE;
			break;
		case 'z':
			b.timezone = optarg;
			break;
		default:
			usage();
		}
	}
	if (argc - optind != 1)
		usage();
	b.path = argv[optind];
	setenv("TZ", "UTC", 1);
	tzset();

	lib_init();
	ioloop = io_loop_create();
	if (keep && access(b.path, F_OK) == 0 &&
	    sqlite_int(b.path, "SELECT COUNT(*) FROM hd_events") ==
	    (int64_t)n_events &&
	    sqlite_int(b.path, "SELECT COUNT(*) FROM hd_game_folds") > 0) {
		keep = TRUE;
	} else {
		keep = FALSE;
		(void)unlink(b.path);
		(void)unlink(t_strconcat(b.path, "-wal", NULL));
		(void)unlink(t_strconcat(b.path, "-shm", NULL));
	}
	dsn = t_strconcat("sqlite:", b.path, NULL);
	if (helpdesk_store_init(dsn, MODULEDIR, NULL, &b.store, &error) < 0)
		fail("init", error);
	if (helpdesk_store_check(b.store, TRUE, &created, &error) < 0)
		fail("open", error);
	if (b.timezone != NULL) {
		/* the policy as the plugin builds it from its settings */
		b.dsn = dsn;
		set_pool = pool_alloconly_create("bench settings", 1024);
		if (helpdesk_settings_parse(set_pool, bench_getenv, &b, &set,
					    &error) <= 0)
			fail("settings", error);
		helpdesk_store_set_sla(b.store, &set);
		printf("bench-leaderboard: helpdesk_timezone = %s (the "
		       "process: TZ=%s)\n", b.timezone, getenv("TZ"));
	} else {
		/* no SLA settings: the calendar is the process's time zone
		   (UTC) */
		helpdesk_store_set_sla(b.store, NULL);
	}

	generate(&b, n_events);
	if (!keep) {
		fill_store(&b);
		fold_all(&b);
	} else {
		b.n_events = n_events;
		b.n_tickets = (unsigned long long)sqlite_int(b.path,
			"SELECT COUNT(*) FROM hd_tickets");
		b.next_ticket_id = (uint32_t)sqlite_int(b.path,
			"SELECT MAX(id) FROM hd_tickets") + 1;
		printf("bench-leaderboard: %s kept: %llu events, %llu tickets "
		       "(filled and folded before)\n", b.path, b.n_events,
		       b.n_tickets);
		week_histogram(&b);
	}
	array_free(&b.events);
	array_free(&b.tickets);

	for (i = 1; i < N_ELEMENTS(b.week_events); i++) {
		if (b.week_events[i] > b.week_events[busiest])
			busiest = i;
	}
	/* Wednesday noon of the busiest week */
	at = YEAR_START + busiest * WEEK_SECS + 2 * 86400 + 12 * 3600;
	helpdesk_store_game_week(b.store, "team1", at, 0, &week_key, &wstart,
				 &wend);
	printf("bench-leaderboard: busiest week %s: %u events (a year's "
	       "average %.0f); hd_points %lld rows, hd_game_periods %lld rows; "
	       "%u calls of each board\n", week_key, b.week_events[busiest],
	       (double)b.n_events / YEAR_WEEKS,
	       (long long)sqlite_int(b.path, "SELECT COUNT(*) FROM hd_points"),
	       (long long)sqlite_int(b.path,
				     "SELECT COUNT(*) FROM hd_game_periods"),
	       b.repeat);
	fflush(stdout);

	time_board(&b, "week team1", HELPDESK_GAME_PERIOD_WEEK, "team1", at,
		   &week1);
	time_board(&b, "week all teams", HELPDESK_GAME_PERIOD_WEEK, NULL, at,
		   &week_all);
	time_board(&b, "all time team1", HELPDESK_GAME_PERIOD_ALL, "team1", at,
		   &all1);
	time_board(&b, "all time all teams", HELPDESK_GAME_PERIOD_ALL, NULL,
		   at, &all_all);

	if (actions > 0) {
		time_actions(&b, actions, "fold log of the rebuild", &act_batch);
		fold_log_per_event(&b);
		time_actions(&b, actions, "fold log of a fold per event",
			     &act_per_event);
		fold_log_index(&b);
		time_actions(&b, actions, "the same + an index on end_event",
			     &act_indexed);
	}

	printf("bench-leaderboard: weekly leaderboard of team1 over %llu "
	       "events: median %.3f ms, p95 %.3f ms (naive %.3f ms, ratio "
	       "%.4f) (target < 20 ms): %s\n", b.n_events, week1.med,
	       week1.p95, week1.naive_med, week1.med / week1.naive_med,
	       week1.p95 < 20 ? "PASS" : "ABOVE TARGET");
	printf("bench-leaderboard: weekly leaderboard of all teams: median "
	       "%.3f ms (naive %.3f ms, ratio %.4f) (target < 20 ms): %s\n",
	       week_all.med, week_all.naive_med,
	       week_all.med / week_all.naive_med,
	       week_all.p95 < 20 ? "PASS" : "ABOVE TARGET");
	if (actions > 0) {
		printf("bench-leaderboard: an action's fold: %.3f ms, %.3f ms "
		       "with the fold log of a fold per event (x%.1f), %.3f ms "
		       "with an index on its end_event\n", act_batch,
		       act_per_event, act_per_event / act_batch, act_indexed);
	}
	helpdesk_store_deinit(&b.store);
	helpdesk_store_drivers_deinit();
	pool_unref(&set_pool);
	io_loop_destroy(&ioloop);
	lib_deinit();
	return b.problems > 0 ? 1 : 0;
}
