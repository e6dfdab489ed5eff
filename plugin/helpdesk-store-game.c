/* Copyright (c) 2026 dovecot-helpdesk authors, see the included COPYING file */

/* The game's fold (helpdesk-store-game.h): events -> points, totals,
   levels, badges. Each batch reads the events after the cursor with what
   the rules need to know about their tickets, works in memory over the
   state as the fold before it left it (the rules of each event:
   helpdesk-store-game-rules.c), and writes everything in one transaction
   whose first statement claims the cursor in the fold log. */

#include "lib.h"
#include "array.h"
#include "hash.h"
#include "str.h"
#include "strnum.h"
#include "helpdesk-calendar.h"
#include "helpdesk-store.h"
#include "helpdesk-store-private.h"
#include "helpdesk-store-game.h"
#include "helpdesk-store-game-private.h"

#include <time.h>

/* events per transaction */
#define GAME_FOLD_BATCH 2000 /* also in GAME_EVENTS_QUERY */
/* PostgreSQL numbers events when they are inserted, not when they are
   committed: a fold stops before a gap in the ids while the event after
   it is younger than this, so that one committed late is not passed by
   (a gap that stays is a rolled back or conflicting insert). SQLite
   commits in id order. */
#define GAME_PGSQL_SETTLE_SECS 3
#define GAME_PGSQL_GAP_QUERY \
	"SELECT id, created FROM hd_events WHERE id > CAST(? AS BIGINT) " \
	"ORDER BY id LIMIT 2000"

/* The events that earn or cost something, with what the rules ask of
   their tickets: the ticket's VIP flag then and its requester, for replies and
   resolutions the replies before, for a first reply the ticket's
   creation, for a resolution the reopenings before it and who escalated
   the ticket last, for a rating the last resolution before it, and
   whether the actor assigned the ticket to themselves. */
/* A ticket's VIP flag when event e happened: by the last VIP change
   before it, else the opposite of the first change after it, else the
   flag now -- the same however late the fold runs. */
#define GAME_VIP_AT_EVENT \
	"COALESCE((SELECT CASE v.kind WHEN 'vip' THEN 1 ELSE 0 END " \
	"FROM hd_events v WHERE v.ticket_id = e.ticket_id AND v.kind IN " \
	"('vip', 'vip-removed') AND v.id < e.id ORDER BY v.id DESC LIMIT 1), " \
	"(SELECT CASE v.kind WHEN 'vip' THEN 0 ELSE 1 END " \
	"FROM hd_events v WHERE v.ticket_id = e.ticket_id AND v.kind IN " \
	"('vip', 'vip-removed') AND v.id > e.id ORDER BY v.id LIMIT 1), " \
	"t.vip, 0)"
#define GAME_EVENTS_QUERY \
	"SELECT e.id, e.kind, e.actor, e.ticket_id, e.created, e.detail, " \
	GAME_VIP_AT_EVENT ", COALESCE(t.requester, ''), " \
	"CASE WHEN e.kind IN ('replied', 'resolved') THEN (" \
	"SELECT COUNT(*) FROM hd_events p WHERE p.ticket_id = e.ticket_id " \
	"AND p.kind = 'replied' AND p.id < e.id) ELSE 0 END, " \
	"CASE WHEN e.kind = 'replied' THEN (" \
	"SELECT MIN(c.created) FROM hd_events c " \
	"WHERE c.ticket_id = e.ticket_id AND c.kind = 'created') " \
	"ELSE 0 END, " \
	"CASE WHEN e.kind = 'resolved' THEN (" \
	"SELECT COUNT(*) FROM hd_events r WHERE r.ticket_id = e.ticket_id " \
	"AND r.kind = 'reopened' AND r.id < e.id) ELSE 0 END, " \
	"CASE WHEN e.kind = 'resolved' THEN (" \
	"SELECT x.actor FROM hd_events x WHERE x.ticket_id = e.ticket_id " \
	"AND x.kind = 'escalated' AND x.id < e.id ORDER BY x.id DESC " \
	"LIMIT 1) ELSE NULL END, " \
	"CASE WHEN e.kind = 'rated' THEN (" \
	"SELECT MAX(s.id) FROM hd_events s WHERE s.ticket_id = e.ticket_id " \
	"AND s.kind = 'resolved' AND s.id < e.id) ELSE 0 END, " \
	"CASE WHEN EXISTS (SELECT 1 FROM hd_events a " \
	"WHERE a.ticket_id = e.ticket_id AND a.kind = 'assigned' " \
	"AND a.actor = e.actor AND a.detail = e.actor AND a.id < e.id) " \
	"THEN 1 ELSE 0 END " \
	"FROM hd_events e LEFT JOIN hd_tickets t ON t.id = e.ticket_id " \
	"WHERE e.id > CAST(? AS BIGINT) AND (e.kind = 'replied' OR " \
	"e.kind = 'resolved' OR e.kind = 'reopened' OR e.kind = 'sla_met' " \
	"OR e.kind = 'sla_breached' OR e.kind = 'rated') " \
	"ORDER BY e.id LIMIT 2000"

/* the latest fold's end, by the log's primary key (each fold starts
   where the one before it ended) */
#define GAME_CURSOR_QUERY \
	"SELECT end_event FROM hd_game_folds ORDER BY start_event DESC LIMIT 1"

static int game_fold_load_agents(struct game_fold *fold, const char **error_r)
{
	struct helpdesk_db_result *result;
	struct game_agent *agent;
	int ret;

	result = helpdesk_db_query(fold->store->db, "SELECT username, team, "
				   "role, address FROM hd_agents", NULL);
	while ((ret = helpdesk_db_result_next_row(result)) > 0) {
		agent = p_new(fold->pool, struct game_agent, 1);
		agent->username = p_strdup(fold->pool,
			helpdesk_db_result_value(result, 0));
		agent->team = p_strdup(fold->pool,
			helpdesk_db_result_value(result, 1));
		agent->role = p_strdup(fold->pool,
			helpdesk_db_result_value(result, 2));
		agent->address = p_strdup(fold->pool,
			helpdesk_db_result_value(result, 3));
		agent->level = 1;
		hash_table_insert(fold->agents, agent->username, agent);
		if (*agent->address != '\0') {
			const char *address =
				p_strdup(fold->pool, t_str_lcase(agent->address));

			hash_table_update(fold->addresses, address,
					  POINTER_CAST(1));
		}
		fold->registered_agents = TRUE;
	}
	return helpdesk_db_result_finish(&result, ret, error_r);
}

bool helpdesk_game_requester_is_agent(struct game_fold *fold,
				    const char *requester)
{
	return *requester != '\0' &&
		hash_table_lookup(fold->addresses, t_str_lcase(requester)) != NULL;
}

/* The agent state of username, loaded at its first use in the batch.
   NULL when the actor does not play: "" or "auto", or not registered
   while agents are. */
int helpdesk_game_agent_get(struct game_fold *fold, const char *username,
			  struct game_agent **agent_r, const char **error_r)
{
	struct game_agent *agent;
	struct helpdesk_db_result *result;
	const char *args[] = { username, NULL };
	int ret;

	*agent_r = NULL;
	if (*username == '\0' || strcmp(username, "auto") == 0)
		return 0;
	agent = hash_table_lookup(fold->agents, username);
	if (agent == NULL) {
		if (fold->registered_agents)
			return 0;
		agent = p_new(fold->pool, struct game_agent, 1);
		agent->username = p_strdup(fold->pool, username);
		agent->team = "";
		agent->role = "agent";
		agent->level = 1;
		hash_table_insert(fold->agents, agent->username, agent);
	}
	if (!agent->loaded) {
		hash_table_create(&agent->badges, fold->pool, 0,
				  str_hash, strcmp);
		result = helpdesk_db_query(fold->store->db,
			"SELECT points, peak, level, level_at, resolved, "
			"met_streak, fast, escalated FROM hd_game_agents "
			"WHERE username = ?", args);
		ret = helpdesk_db_result_next_row(result);
		if (ret > 0) {
			agent->points = helpdesk_db_result_int64(result, 0);
			agent->peak = helpdesk_db_result_int64(result, 1);
			agent->level = helpdesk_db_result_uint(result, 2);
			agent->level_at = helpdesk_db_result_int64(result, 3);
			agent->resolved = helpdesk_db_result_uint(result, 4);
			agent->met_streak = helpdesk_db_result_uint(result, 5);
			agent->fast = helpdesk_db_result_uint(result, 6);
			agent->escalated = helpdesk_db_result_uint(result, 7);
			ret = helpdesk_db_result_next_row(result);
		}
		if (helpdesk_db_result_finish(&result, ret, error_r) < 0)
			return -1;
		if (agent->level == 0)
			agent->level = 1;
		result = helpdesk_db_query(fold->store->db,
			"SELECT badge, period_key FROM hd_badges "
			"WHERE username = ?", args);
		while ((ret = helpdesk_db_result_next_row(result)) > 0) {
			const char *key = p_strconcat(fold->pool,
				helpdesk_db_result_value(result, 0), "/",
				helpdesk_db_result_value(result, 1), NULL);
			hash_table_update(agent->badges, key, POINTER_CAST(1));
		}
		if (helpdesk_db_result_finish(&result, ret, error_r) < 0)
			return -1;
		agent->loaded = TRUE;
	}
	*agent_r = agent;
	return 0;
}

int helpdesk_game_ticket_get(struct game_fold *fold, uint64_t id,
			   struct game_ticket **ticket_r, const char **error_r)
{
	struct game_ticket *ticket;
	struct helpdesk_db_result *result;
	struct game_entry *entry;
	const char *args[] = { dec2str(id), NULL };
	int ret;

	ticket = hash_table_lookup(fold->tickets, POINTER_CAST(id));
	if (ticket != NULL) {
		*ticket_r = ticket;
		return 0;
	}
	ticket = p_new(fold->pool, struct game_ticket, 1);
	ticket->id = id;
	p_array_init(&ticket->entries, fold->pool, 4);
	result = helpdesk_db_query(fold->store->db,
		"SELECT award_key, agent, team, rule, event_id, points, "
		"created FROM hd_points WHERE ticket_id = ? "
		"ORDER BY event_id", args);
	while ((ret = helpdesk_db_result_next_row(result)) > 0) {
		entry = array_append_space(&ticket->entries);
		entry->award_key = p_strdup(fold->pool,
			helpdesk_db_result_value(result, 0));
		entry->agent = p_strdup(fold->pool,
			helpdesk_db_result_value(result, 1));
		entry->team = p_strdup(fold->pool,
			helpdesk_db_result_value(result, 2));
		entry->rule = p_strdup(fold->pool,
			helpdesk_db_result_value(result, 3));
		entry->event_id = helpdesk_db_result_uint64(result, 4);
		entry->ticket = id;
		entry->points = (int)helpdesk_db_result_int64(result, 5);
		entry->created = helpdesk_db_result_int64(result, 6);
	}
	if (helpdesk_db_result_finish(&result, ret, error_r) < 0)
		return -1;
	hash_table_insert(fold->tickets, POINTER_CAST(id), ticket);
	*ticket_r = ticket;
	return 0;
}

int helpdesk_game_team_get(struct game_fold *fold, const char *name,
			 struct game_team **team_r, const char **error_r)
{
	struct game_team *team;
	const char *args[] = { name, NULL }, *value;
	int ret;

	team = hash_table_lookup(fold->teams, name);
	if (team == NULL) {
		team = p_new(fold->pool, struct game_team, 1);
		team->name = p_strdup(fold->pool, name);
		ret = helpdesk_db_get_value(fold->store->db, "SELECT last_week "
			"FROM hd_game_teams WHERE team = ?", args, &value,
			error_r);
		if (ret < 0)
			return -1;
		team->last_week = p_strdup(fold->pool,
			ret > 0 && value != NULL ? value : "");
		hash_table_insert(fold->teams, team->name, team);
	}
	*team_r = team;
	return 0;
}

int helpdesk_game_total_get(struct game_fold *fold,
			    const struct game_agent *agent,
			    enum helpdesk_game_period period,
			    const char *period_key,
			    struct game_total **total_r, const char **error_r)
{
	struct game_total *total;
	struct helpdesk_db_result *result;
	const char *key, *args[5];
	int ret;

	key = t_strdup_printf("%s/%s/%s/%s", helpdesk_game_period_name(period),
			      period_key, agent->team, agent->username);
	total = hash_table_lookup(fold->totals, key);
	if (total != NULL) {
		*total_r = total;
		return 0;
	}
	total = p_new(fold->pool, struct game_total, 1);
	total->agent = agent->username;
	total->team = agent->team;
	total->period = period;
	total->period_key = p_strdup(fold->pool, period_key);
	args[0] = helpdesk_game_period_name(period);
	args[1] = period_key;
	args[2] = agent->team;
	args[3] = agent->username;
	args[4] = NULL;
	result = helpdesk_db_query(fold->store->db, "SELECT points, earned, "
		"resolved FROM hd_game_periods WHERE period = ? AND "
		"period_key = ? AND team = ? AND username = ?", args);
	ret = helpdesk_db_result_next_row(result);
	if (ret > 0) {
		total->points = helpdesk_db_result_int64(result, 0);
		total->earned = helpdesk_db_result_int64(result, 1);
		total->resolved = (int)helpdesk_db_result_int64(result, 2);
		ret = helpdesk_db_result_next_row(result);
	}
	if (helpdesk_db_result_finish(&result, ret, error_r) < 0)
		return -1;
	key = p_strdup(fold->pool, key);
	hash_table_insert(fold->totals, key, total);
	*total_r = total;
	return 0;
}

static int game_fold_read_events(struct game_fold *fold, uint64_t cursor,
				 uint64_t id_limit, const char **error_r)
{
	struct helpdesk_db_result *result;
	struct game_event *event;
	const char *args[] = { dec2str(cursor), NULL }, *value;
	int ret;

	result = helpdesk_db_query(fold->store->db, GAME_EVENTS_QUERY, args);
	while ((ret = helpdesk_db_result_next_row(result)) > 0) {
		int64_t created = helpdesk_db_result_int64(result, 4);

		if (helpdesk_db_result_uint64(result, 0) >= id_limit)
			break;
		event = array_append_space(&fold->events);
		event->id = helpdesk_db_result_uint64(result, 0);
		event->kind = p_strdup(fold->pool,
			helpdesk_db_result_value(result, 1));
		event->actor = p_strdup(fold->pool,
			helpdesk_db_result_value(result, 2));
		event->ticket = helpdesk_db_result_uint64(result, 3);
		event->created = created;
		event->detail = p_strdup(fold->pool,
			helpdesk_db_result_value(result, 5));
		event->vip = helpdesk_db_result_uint(result, 6) != 0;
		event->requester = p_strdup(fold->pool,
			helpdesk_db_result_value(result, 7));
		event->replies_before = helpdesk_db_result_uint(result, 8);
		event->ticket_created = helpdesk_db_result_int64(result, 9);
		event->reopens_before = helpdesk_db_result_uint(result, 10);
		value = helpdesk_db_result_value(result, 11);
		event->escalator = value == NULL ? NULL :
			p_strdup(fold->pool, value);
		event->last_resolution = helpdesk_db_result_uint64(result, 12);
		event->self_assigned = helpdesk_db_result_uint(result, 13) != 0;
	}
	if (ret > 0) {
		/* stopped at the gap */
		helpdesk_db_result_free(&result);
		return 0;
	}
	return helpdesk_db_result_finish(&result, ret, error_r);
}

/* Every statement of a batch after the first runs only when the batch
   won the cursor: the fold log's row for its cursor carries its token
   (two parameters, the cursor and the token). A batch that lost writes
   nothing and fails nothing (a failed statement would leave lib-sql's
   PostgreSQL connection unusable for the next query). */
#define GAME_WON \
	" WHERE EXISTS (SELECT 1 FROM hd_game_folds WHERE " \
	"start_event = CAST(? AS BIGINT) AND token = CAST(? AS TEXT))"

/* args, then the guard's two, NULL-terminated (data stack) */
static const char *const *
game_guarded(const char *const *args, const char *cursor, const char *token)
{
	ARRAY_TYPE(const_string) all;

	t_array_init(&all, 16);
	array_append(&all, args, str_array_length(args));
	array_push_back(&all, &cursor);
	array_push_back(&all, &token);
	array_append_zero(&all);
	return array_front(&all);
}

static void game_fold_write(struct game_fold *fold,
			    struct helpdesk_db_trans *trans, uint64_t cursor,
			    uint64_t end, int64_t now, const char *token,
			    unsigned int *won_r)
{
	struct hash_iterate_context *iter;
	const struct game_entry *entry;
	const struct game_badge_new *badge;
	const struct game_levelup *levelup;
	struct game_agent *agent;
	struct game_total *total;
	struct game_team *team;
	const char *key, *name;
	const char *cursor_str = t_strdup(dec2str(cursor));

	{
		const char *args[] = {
			cursor_str, t_strdup(dec2str(end)),
			t_strdup_printf("%lld", (long long)now), token, NULL
		};
		/* claims the cursor; *won_r = 0 when another fold from the
		   same cursor was first */
		helpdesk_db_update(trans, "INSERT INTO hd_game_folds "
			"(start_event, end_event, created, token) "
			"VALUES (?, ?, ?, ?) ON CONFLICT (start_event) "
			"DO NOTHING", args, won_r);
	}
	array_foreach(&fold->new_entries, entry) {
		const char *args[] = {
			entry->award_key, t_strdup(dec2str(entry->event_id)),
			t_strdup(dec2str(entry->ticket)), entry->agent,
			entry->team, entry->rule,
			t_strdup_printf("%d", entry->points),
			t_strdup_printf("%lld", (long long)entry->created), NULL
		};
		helpdesk_db_update(trans, "INSERT INTO hd_points (award_key, "
			"event_id, ticket_id, agent, team, rule, points, "
			"created) SELECT CAST(? AS TEXT), CAST(? AS BIGINT), "
			"CAST(? AS BIGINT), CAST(? AS TEXT), CAST(? AS TEXT), "
			"CAST(? AS TEXT), CAST(? AS INTEGER), CAST(? AS BIGINT)"
			GAME_WON " ON CONFLICT (award_key) DO NOTHING",
			game_guarded(args, cursor_str, token), NULL);
	}
	iter = hash_table_iterate_init(fold->agents);
	while (hash_table_iterate(iter, fold->agents, &name, &agent)) {
		if (!agent->dirty)
			continue;
		const char *args[] = {
			agent->username, agent->team,
			t_strdup_printf("%lld", (long long)agent->points),
			t_strdup_printf("%lld", (long long)agent->peak),
			t_strdup(dec2str(agent->level)),
			t_strdup_printf("%lld", (long long)agent->level_at),
			t_strdup(dec2str(agent->resolved)),
			t_strdup(dec2str(agent->met_streak)),
			t_strdup(dec2str(agent->fast)),
			t_strdup(dec2str(agent->escalated)), NULL
		};
		helpdesk_db_update(trans, "INSERT INTO hd_game_agents "
			"(username, team, points, peak, level, level_at, "
			"resolved, met_streak, fast, escalated) SELECT "
			"CAST(? AS TEXT), CAST(? AS TEXT), CAST(? AS BIGINT), "
			"CAST(? AS BIGINT), CAST(? AS INTEGER), "
			"CAST(? AS BIGINT), CAST(? AS INTEGER), "
			"CAST(? AS INTEGER), CAST(? AS INTEGER), "
			"CAST(? AS INTEGER)" GAME_WON " ON CONFLICT (username) "
			"DO UPDATE SET team = excluded.team, "
			"points = excluded.points, peak = excluded.peak, "
			"level = excluded.level, level_at = excluded.level_at, "
			"resolved = excluded.resolved, "
			"met_streak = excluded.met_streak, "
			"fast = excluded.fast, escalated = excluded.escalated",
			game_guarded(args, cursor_str, token), NULL);
	}
	hash_table_iterate_deinit(&iter);
	iter = hash_table_iterate_init(fold->totals);
	while (hash_table_iterate(iter, fold->totals, &key, &total)) {
		if (!total->dirty)
			continue;
		const char *args[] = {
			helpdesk_game_period_name(total->period),
			total->period_key, total->team, total->agent,
			t_strdup_printf("%lld", (long long)total->points),
			t_strdup_printf("%lld", (long long)total->earned),
			t_strdup_printf("%d", total->resolved), NULL
		};
		helpdesk_db_update(trans, "INSERT INTO hd_game_periods "
			"(period, period_key, team, username, points, earned, "
			"resolved) SELECT CAST(? AS TEXT), CAST(? AS TEXT), "
			"CAST(? AS TEXT), CAST(? AS TEXT), CAST(? AS BIGINT), "
			"CAST(? AS BIGINT), CAST(? AS INTEGER)" GAME_WON
			" ON CONFLICT (period, period_key, team, username) "
			"DO UPDATE SET points = excluded.points, "
			"earned = excluded.earned, "
			"resolved = excluded.resolved",
			game_guarded(args, cursor_str, token), NULL);
	}
	hash_table_iterate_deinit(&iter);
	array_foreach(&fold->new_badges, badge) {
		const char *args[] = {
			badge->agent, badge->badge, badge->period_key,
			t_strdup(dec2str(badge->ticket)),
			t_strdup(dec2str(badge->event_id)),
			t_strdup_printf("%lld", (long long)badge->created), NULL
		};
		helpdesk_db_update(trans, "INSERT INTO hd_badges (username, "
			"badge, period_key, ticket_id, event_id, created) "
			"SELECT CAST(? AS TEXT), CAST(? AS TEXT), "
			"CAST(? AS TEXT), CAST(? AS BIGINT), CAST(? AS BIGINT), "
			"CAST(? AS BIGINT)" GAME_WON " ON CONFLICT "
			"(username, badge, period_key) DO NOTHING",
			game_guarded(args, cursor_str, token), NULL);
	}
	array_foreach(&fold->new_levelups, levelup) {
		const char *args[] = {
			levelup->agent, t_strdup(dec2str(levelup->level)),
			t_strdup(dec2str(levelup->ticket)),
			t_strdup(dec2str(levelup->event_id)),
			t_strdup_printf("%lld", (long long)levelup->created),
			NULL
		};
		helpdesk_db_update(trans, "INSERT INTO hd_game_levelups "
			"(username, level, ticket_id, event_id, created) "
			"SELECT CAST(? AS TEXT), CAST(? AS INTEGER), "
			"CAST(? AS BIGINT), CAST(? AS BIGINT), "
			"CAST(? AS BIGINT)" GAME_WON " ON CONFLICT "
			"(username, level) DO NOTHING",
			game_guarded(args, cursor_str, token), NULL);
	}
	iter = hash_table_iterate_init(fold->teams);
	while (hash_table_iterate(iter, fold->teams, &name, &team)) {
		if (!team->dirty)
			continue;
		const char *args[] = { team->name, team->last_week, NULL };
		helpdesk_db_update(trans, "INSERT INTO hd_game_teams (team, "
			"last_week) SELECT CAST(? AS TEXT), CAST(? AS TEXT)"
			GAME_WON " ON CONFLICT (team) DO UPDATE "
			"SET last_week = excluded.last_week",
			game_guarded(args, cursor_str, token), NULL);
	}
	hash_table_iterate_deinit(&iter);
}

/* PostgreSQL: the first id after cursor that may still be in flight
   (UINT64_MAX: none) -- the id after the first gap whose next event is
   younger than GAME_PGSQL_SETTLE_SECS. */
static int game_pgsql_id_limit(struct helpdesk_store *store, uint64_t cursor,
			       int64_t now, uint64_t *limit_r,
			       const char **error_r)
{
	struct helpdesk_db_result *result;
	const char *args[] = { dec2str(cursor), NULL };
	uint64_t prev = cursor, id;
	int ret;

	*limit_r = UINT64_MAX;
	result = helpdesk_db_query(store->db, GAME_PGSQL_GAP_QUERY, args);
	while ((ret = helpdesk_db_result_next_row(result)) > 0) {
		id = helpdesk_db_result_uint64(result, 0);
		if (id != prev + 1 && helpdesk_db_result_int64(result, 1) >
		    now - GAME_PGSQL_SETTLE_SECS) {
			*limit_r = prev + 1;
			break;
		}
		prev = id;
	}
	if (ret > 0) {
		helpdesk_db_result_free(&result);
		return 0;
	}
	return helpdesk_db_result_finish(&result, ret, error_r);
}

static int game_cursor(struct helpdesk_store *store, uint64_t *cursor_r,
		       const char **error_r)
{
	const char *value;

	if (helpdesk_db_get_value(store->db, GAME_CURSOR_QUERY, NULL,
				  &value, error_r) < 0)
		return -1;
	if (value == NULL || str_to_uint64(value, cursor_r) < 0)
		*cursor_r = 0;
	return 0;
}

/* One batch: *count_r events folded (0: nothing to do, or another
   process folded them). */
static int game_fold_batch(struct helpdesk_store *store, int64_t now,
			   const char *watch, pool_t news_pool,
			   ARRAY_TYPE(const_string) *news,
			   unsigned int *count_r, uint64_t *end_r,
			   const char **error_r)
{
	struct game_fold fold;
	struct helpdesk_db_trans *trans;
	const struct game_event *event;
	uint64_t cursor, end;
	unsigned int won = 0;
	const char *token;
	uint64_t id_limit = UINT64_MAX;
	const char *commit_error;
	int ret = 0;

	*count_r = 0;
	*end_r = 0;
	if (game_cursor(store, &cursor, error_r) < 0)
		return -1;
	*end_r = cursor;
	if (store->db->driver == HELPDESK_DB_PGSQL &&
	    game_pgsql_id_limit(store, cursor, now, &id_limit, error_r) < 0)
		return -1;

	i_zero(&fold);
	fold.store = store;
	fold.pool = pool_alloconly_create("helpdesk game fold", 16384);
	hash_table_create(&fold.agents, fold.pool, 0, str_hash, strcmp);
	hash_table_create(&fold.addresses, fold.pool, 0, str_hash, strcmp);
	hash_table_create(&fold.totals, fold.pool, 0, str_hash, strcmp);
	hash_table_create(&fold.teams, fold.pool, 0, str_hash, strcmp);
	hash_table_create_direct(&fold.tickets, fold.pool, 0);
	p_array_init(&fold.events, fold.pool, 64);
	p_array_init(&fold.new_entries, fold.pool, 64);
	p_array_init(&fold.new_badges, fold.pool, 8);
	p_array_init(&fold.new_levelups, fold.pool, 8);
	p_array_init(&fold.news, fold.pool, 2);
	fold.watch = watch;

	if (game_fold_read_events(&fold, cursor, id_limit, error_r) < 0) {
		ret = -1;
		goto out;
	}
	if (array_count(&fold.events) == 0)
		goto out;
	if (helpdesk_game_versions_load(store, fold.pool, &fold.versions,
					error_r) < 0 ||
	    game_fold_load_agents(&fold, error_r) < 0) {
		ret = -1;
		goto out;
	}
	array_foreach(&fold.events, event) T_BEGIN {
		helpdesk_game_versions_at(&fold.versions, event->id,
					  &fold.rules, &fold.levels);
		ret = helpdesk_game_fold_event(&fold, event, error_r);
	} T_END_PASS_STR_IF(ret < 0, error_r);
	if (ret < 0)
		goto out;
	event = array_back(&fold.events);
	end = event->id;
	token = t_strdup(helpdesk_store_unique_id());
	trans = helpdesk_db_begin(store->db);
	T_BEGIN {
		game_fold_write(&fold, trans, cursor, end, now, token, &won);
	} T_END;
	if (helpdesk_db_commit(&trans, &commit_error) < 0) {
		*error_r = t_strdup_printf("folding events %llu-%llu: %s",
			(unsigned long long)cursor + 1,
			(unsigned long long)end, commit_error);
		ret = -1;
		goto out;
	}
	if (won == 0) {
		/* another fold from the same cursor won: its work is ours */
		goto out;
	}
	*count_r = array_count(&fold.events);
	*end_r = end;
	if (news != NULL) {
		const char *text;

		array_foreach_elem(&fold.news, text) {
			text = p_strdup(news_pool, text);
			array_push_back(news, &text);
		}
	}
out:
	{
		struct hash_iterate_context *iter;
		struct game_agent *agent;
		const char *name;

		/* each table holds a reference to the pool */
		iter = hash_table_iterate_init(fold.agents);
		while (hash_table_iterate(iter, fold.agents, &name, &agent)) {
			if (hash_table_is_created(agent->badges))
				hash_table_destroy(&agent->badges);
		}
		hash_table_iterate_deinit(&iter);
	}
	hash_table_destroy(&fold.agents);
	hash_table_destroy(&fold.addresses);
	hash_table_destroy(&fold.totals);
	hash_table_destroy(&fold.teams);
	hash_table_destroy(&fold.tickets);
	pool_unref(&fold.pool);
	return ret;
}

int helpdesk_store_game_fold(struct helpdesk_store *store, int64_t now,
			     unsigned int max_events, unsigned int *folded_r,
			     const char **error_r)
{
	return helpdesk_store_game_fold_news(store, now, max_events, NULL,
					     NULL, NULL, folded_r, error_r);
}

int helpdesk_store_game_fold_news(struct helpdesk_store *store, int64_t now,
				  unsigned int max_events, const char *agent,
				  pool_t pool, ARRAY_TYPE(const_string) *news,
				  unsigned int *folded_r, const char **error_r)
{
	unsigned int count;
	uint64_t end;

	*folded_r = 0;
	do {
		if (game_fold_batch(store, now, agent, pool, news, &count,
				    &end, error_r) < 0)
			return -1;
		*folded_r += count;
		/* a batch that was not full read every event there was */
	} while (count == GAME_FOLD_BATCH &&
		 (max_events == 0 || *folded_r < max_events));
	return 0;
}

int helpdesk_store_game_rebuild(struct helpdesk_store *store, int64_t now,
				helpdesk_store_game_progress_t *progress,
				void *context, const char **error_r)
{
	static const char *const tables[] = {
		"hd_game_folds", "hd_points", "hd_game_agents",
		"hd_game_periods", "hd_badges", "hd_game_levelups",
		"hd_game_teams",
	};
	struct helpdesk_db_trans *trans;
	unsigned int i, count;
	uint64_t folded = 0, end;

	trans = helpdesk_db_begin(store->db);
	for (i = 0; i < N_ELEMENTS(tables); i++) {
		helpdesk_db_update(trans, t_strconcat("DELETE FROM ",
					tables[i], NULL), NULL, NULL);
	}
	if (helpdesk_db_commit(&trans, error_r) < 0)
		return -1;
	do {
		if (game_fold_batch(store, now, NULL, NULL, NULL, &count,
				    &end, error_r) < 0)
			return -1;
		folded += count;
		if (progress != NULL && count > 0)
			progress(folded, end, context);
	} while (count == GAME_FOLD_BATCH);
	return 0;
}
