/* Copyright (c) 2026 dovecot-helpdesk authors, see the included COPYING file */

/* The game's rule versions and what the leaderboards, agent stats and
   reports read (helpdesk-store-game.h). */

#include "lib.h"
#include "array.h"
#include "str.h"
#include "strnum.h"
#include "helpdesk-calendar.h"
#include "helpdesk-store.h"
#include "helpdesk-store-private.h"
#include "helpdesk-store-game.h"
#include "helpdesk-store-game-private.h"

int helpdesk_game_versions_load(struct helpdesk_store *store, pool_t pool,
				struct helpdesk_game_versions *versions_r,
				const char **error_r)
{
	struct helpdesk_game_version *version;
	struct helpdesk_db_result *result;
	const char *rules, *levels, *error;
	int ret;

	i_zero(versions_r);
	helpdesk_game_rules_default(&versions_r->defaults.rules);
	helpdesk_game_levels_default(pool, &versions_r->defaults.levels);
	p_array_init(&versions_r->list, pool, 4);
	result = helpdesk_db_query(store->db, "SELECT from_event, rules, "
		"levels FROM hd_game_rules ORDER BY version", NULL);
	while ((ret = helpdesk_db_result_next_row(result)) > 0) {
		version = array_append_space(&versions_r->list);
		version->from_event = helpdesk_db_result_uint64(result, 0);
		rules = helpdesk_db_result_value(result, 1);
		levels = helpdesk_db_result_value(result, 2);
		/* stored only after they parsed: a bad one here was
		   written by hand, and the defaults count for it */
		if (rules == NULL ||
		    helpdesk_game_rules_parse(rules,
				&versions_r->defaults.rules,
				&version->rules, &error) < 0) {
			e_error(store->event, "game rules from event %llu "
				"are invalid, the defaults count: %s",
				(unsigned long long)version->from_event,
				rules == NULL ? "missing" : error);
			version->rules = versions_r->defaults.rules;
		}
		if (levels == NULL ||
		    helpdesk_game_levels_parse(pool, levels, &version->levels,
					       &error) < 0) {
			e_error(store->event, "game levels from event %llu "
				"are invalid, the defaults count: %s",
				(unsigned long long)version->from_event,
				levels == NULL ? "missing" : error);
			version->levels = versions_r->defaults.levels;
		}
	}
	return helpdesk_db_result_finish(&result, ret, error_r);
}

static const struct helpdesk_game_version *
game_version_at(const struct helpdesk_game_versions *versions,
		uint64_t event_id)
{
	const struct helpdesk_game_version *version, *found;

	found = &versions->defaults;
	array_foreach(&versions->list, version) {
		if (version->from_event < event_id)
			found = version;
	}
	return found;
}

void helpdesk_game_versions_at(const struct helpdesk_game_versions *versions,
			       uint64_t event_id,
			       const struct helpdesk_game_rules **rules_r,
			       const struct helpdesk_game_levels **levels_r)
{
	const struct helpdesk_game_version *version =
		game_version_at(versions, event_id);

	*rules_r = &version->rules;
	*levels_r = &version->levels;
}

int helpdesk_store_game_rules_get(struct helpdesk_store *store, pool_t pool,
				  struct helpdesk_game_rules *rules_r,
				  struct helpdesk_game_levels *levels_r,
				  const char **error_r)
{
	struct helpdesk_game_versions versions;
	const struct helpdesk_game_version *version;

	if (helpdesk_game_versions_load(store, pool, &versions, error_r) < 0)
		return -1;
	version = game_version_at(&versions, (uint64_t)-1);
	*rules_r = version->rules;
	*levels_r = version->levels;
	return 0;
}

int helpdesk_store_game_rules_set(struct helpdesk_store *store,
				  const struct helpdesk_game_rules *rules,
				  const struct helpdesk_game_levels *levels,
				  int64_t now, const char **error_r)
{
	const char *args[] = {
		helpdesk_game_rules_format(rules),
		helpdesk_game_levels_format(levels),
		t_strdup_printf("%lld", (long long)now), NULL
	};

	/* in force after the newest event there is now */
	return helpdesk_sql_exec(store, "INSERT INTO hd_game_rules "
		"(version, from_event, rules, levels, created) "
		"SELECT (SELECT COALESCE(MAX(version), 0) + 1 FROM "
		"hd_game_rules), COALESCE(MAX(id), 0), CAST(? AS TEXT), "
		"CAST(? AS TEXT), CAST(? AS BIGINT) FROM hd_events",
		args, error_r);
}

void helpdesk_store_game_period_key(struct helpdesk_store *store,
				    const char *team,
				    enum helpdesk_game_period period,
				    int64_t at, const char **key_r,
				    const char **prev_r)
{
	struct tm tm;

	helpdesk_calendar_localtime(helpdesk_store_team_calendar(store, team),
				    (time_t)at, &tm);
	*key_r = helpdesk_game_period_key(period, &tm);
	if (prev_r != NULL)
		*prev_r = helpdesk_game_period_prev_key(period, &tm);
}

void helpdesk_store_game_week(struct helpdesk_store *store, const char *team,
			      int64_t at, unsigned int weeks_back,
			      const char **key_r, int64_t *start_r,
			      int64_t *end_r)
{
	const struct helpdesk_calendar *cal =
		helpdesk_store_team_calendar(store, team);
	struct tm tm, start;

	helpdesk_calendar_localtime(cal, (time_t)at, &tm);
	/* local midnight of the week's Monday */
	i_zero(&start);
	start.tm_year = tm.tm_year;
	start.tm_mon = tm.tm_mon;
	start.tm_mday = tm.tm_mday - (tm.tm_wday + 6) % 7 -
		7 * (int)weeks_back;
	*start_r = helpdesk_calendar_mktime(cal, &start);
	start.tm_mday += 7;
	*end_r = helpdesk_calendar_mktime(cal, &start);
	helpdesk_calendar_localtime(cal, (time_t)*start_r, &tm);
	*key_r = helpdesk_game_period_key(HELPDESK_GAME_PERIOD_WEEK, &tm);
}

static int game_board_cmp(const struct helpdesk_game_board_row *a,
			  const struct helpdesk_game_board_row *b)
{
	if (a->points != b->points)
		return a->points > b->points ? -1 : 1;
	if (a->agent != NULL && b->agent != NULL)
		return strcmp(a->agent, b->agent);
	return strcmp(a->team, b->team);
}

static void game_board_rank(ARRAY_TYPE(helpdesk_game_board_row) *rows,
			    unsigned int first)
{
	struct helpdesk_game_board_row *row, *prev = NULL;
	unsigned int i, count = array_count(rows);

	for (i = first; i < count; i++) {
		row = array_idx_modifiable(rows, i);
		row->rank = prev != NULL && prev->points == row->points ?
			prev->rank : i - first + 1;
		prev = row;
	}
}

/* The teams that have agents in the game ("" included when some agent
   has no team). */
static int game_board_teams(struct helpdesk_store *store, pool_t pool,
			    ARRAY_TYPE(const_string) *teams,
			    const char **error_r)
{
	struct helpdesk_db_result *result;
	const char *name;
	int ret;

	result = helpdesk_db_query(store->db, "SELECT DISTINCT team FROM "
		"hd_game_periods ORDER BY team", NULL);
	while ((ret = helpdesk_db_result_next_row(result)) > 0) {
		name = p_strdup(pool, helpdesk_db_result_value(result, 0));
		array_push_back(teams, &name);
	}
	return helpdesk_db_result_finish(&result, ret, error_r);
}

/* The agents' rows of one team's period (or all time), unsorted. */
static int game_board_team_rows(struct helpdesk_store *store,
				enum helpdesk_game_period period,
				const char *team, int64_t at,
				const char *period_key,
				const struct helpdesk_game_levels *levels,
				pool_t pool,
				ARRAY_TYPE(helpdesk_game_board_row) *rows,
				const char **error_r)
{
	struct helpdesk_db_result *result;
	struct helpdesk_game_board_row *row;
	const char *key, *args[4];
	int ret;

	if (period == HELPDESK_GAME_PERIOD_ALL) {
		args[0] = team;
		args[1] = NULL;
		result = helpdesk_db_query(store->db, "SELECT username, team, "
			"points, resolved, level, team FROM hd_game_agents "
			"WHERE team = ?", args);
	} else {
		if (period_key != NULL)
			key = period_key;
		else {
			helpdesk_store_game_period_key(store, team, period, at,
						       &key, NULL);
		}
		args[0] = helpdesk_game_period_name(period);
		args[1] = key;
		args[2] = team;
		args[3] = NULL;
		result = helpdesk_db_query(store->db, "SELECT p.username, "
			"p.team, p.points, p.resolved, COALESCE(g.level, 1), "
			"COALESCE(g.team, p.team) FROM hd_game_periods p LEFT JOIN hd_game_agents g "
			"ON g.username = p.username WHERE p.period = ? "
			"AND p.period_key = ? AND p.team = ?", args);
	}
	while ((ret = helpdesk_db_result_next_row(result)) > 0) {
		row = array_append_space(rows);
		row->agent = p_strdup(pool, helpdesk_db_result_value(result, 0));
		row->team = p_strdup(pool, helpdesk_db_result_value(result, 1));
		row->points = helpdesk_db_result_int64(result, 2);
		row->resolved = (int)helpdesk_db_result_int64(result, 3);
		row->level = helpdesk_db_result_uint(result, 4);
		row->level_name = p_strdup(pool,
			helpdesk_game_level_name(levels, row->level));
		row->current_team = p_strdup(pool,
			helpdesk_db_result_value(result, 5));
		row->agents = 1;
	}
	return helpdesk_db_result_finish(&result, ret, error_r);
}

/* An agent who changed teams has rows under each: the board of all
   agents shows one, with the sums, in the agent's team now. */
static void game_board_merge_agents(ARRAY_TYPE(helpdesk_game_board_row) *rows,
				    unsigned int first)
{
	struct helpdesk_game_board_row *row, *other;
	unsigned int i, j;

	for (i = first; i < array_count(rows); i++) {
		row = array_idx_modifiable(rows, i);
		for (j = i + 1; j < array_count(rows); ) {
			other = array_idx_modifiable(rows, j);
			if (strcmp(other->agent, row->agent) != 0) {
				j++;
				continue;
			}
			row->points += other->points;
			row->resolved += other->resolved;
			array_delete(rows, j, 1);
		}
		row->team = row->current_team;
	}
}

static void game_board_by_team(ARRAY_TYPE(helpdesk_game_board_row) *agents,
			       ARRAY_TYPE(helpdesk_game_board_row) *rows)
{
	const struct helpdesk_game_board_row *agent;
	struct helpdesk_game_board_row *team = NULL;
	unsigned int first = array_count(rows), i;

	array_foreach(agents, agent) {
		team = NULL;
		for (i = first; i < array_count(rows); i++) {
			team = array_idx_modifiable(rows, i);
			if (strcmp(team->team, agent->team) == 0)
				break;
			team = NULL;
		}
		if (team == NULL) {
			team = array_append_space(rows);
			team->team = agent->team;
			team->level_name = "";
			team->agents = 0;
		}
		team->points += agent->points;
		team->resolved += agent->resolved;
		team->agents++;
	}
}

int helpdesk_store_game_board(struct helpdesk_store *store,
			      enum helpdesk_game_period period,
			      const char *team, bool by_team, int64_t at,
			      const char *period_key, pool_t pool,
			      ARRAY_TYPE(helpdesk_game_board_row) *rows,
			      const char **error_r)
{
	ARRAY_TYPE(const_string) teams;
	ARRAY_TYPE(helpdesk_game_board_row) agents;
	struct helpdesk_game_rules rules;
	struct helpdesk_game_levels levels;
	const char *const *name;
	unsigned int first = array_count(rows);

	if (helpdesk_store_game_rules_get(store, pool, &rules, &levels,
					  error_r) < 0)
		return -1;
	t_array_init(&teams, 8);
	if (team != NULL)
		array_push_back(&teams, &team);
	else if (game_board_teams(store, pool_datastack_create(), &teams,
				  error_r) < 0)
		return -1;
	p_array_init(&agents, pool, 16);
	array_foreach(&teams, name) {
		if (game_board_team_rows(store, period, *name, at,
					 period_key, &levels,
					 pool, by_team ? &agents : rows,
					 error_r) < 0)
			return -1;
	}
	if (by_team)
		game_board_by_team(&agents, rows);
	else if (team == NULL)
		game_board_merge_agents(rows, first);
	if (array_count(rows) > first) {
		struct helpdesk_game_board_row *sorted =
			array_idx_modifiable(rows, first);

		qsort(sorted, array_count(rows) - first, sizeof(*sorted),
		      (int (*)(const void *, const void *))game_board_cmp);
	}
	game_board_rank(rows, first);
	/* a retraction in another team's row than its resolution's */
	for (unsigned int i = first; i < array_count(rows); i++) {
		struct helpdesk_game_board_row *row =
			array_idx_modifiable(rows, i);
		if (row->resolved < 0)
			row->resolved = 0;
	}
	return 0;
}

static int game_badges_query(struct helpdesk_store *store, const char *query,
			     const char *const *args, pool_t pool,
			     ARRAY_TYPE(helpdesk_game_badge_row) *badges,
			     const char **error_r)
{
	struct helpdesk_db_result *result;
	struct helpdesk_game_badge_row *badge;
	enum helpdesk_game_badge id;
	int ret;

	result = helpdesk_db_query(store->db, query, args);
	while ((ret = helpdesk_db_result_next_row(result)) > 0) {
		if (!helpdesk_game_badge_lookup(
				helpdesk_db_result_value(result, 1), &id))
			continue;
		badge = array_append_space(badges);
		badge->agent = p_strdup(pool,
					helpdesk_db_result_value(result, 0));
		badge->badge = id;
		badge->period_key = p_strdup(pool,
			helpdesk_db_result_value(result, 2));
		badge->ticket = helpdesk_db_result_uint64(result, 3);
		badge->created = helpdesk_db_result_int64(result, 4);
	}
	return helpdesk_db_result_finish(&result, ret, error_r);
}

int helpdesk_store_game_agent_stats(struct helpdesk_store *store,
				    const char *agent, int64_t now,
				    pool_t pool,
				    struct helpdesk_game_agent_stats *stats_r,
				    bool *found_r, const char **error_r)
{
	struct helpdesk_game_rules rules;
	struct helpdesk_game_levels levels;
	struct helpdesk_db_result *result;
	ARRAY_TYPE(helpdesk_game_board_row) board;
	const struct helpdesk_game_board_row *row;
	const char *args[] = { agent, NULL }, *team;
	int64_t from, to;
	int ret;

	i_zero(stats_r);
	*found_r = FALSE;
	stats_r->agent = p_strdup(pool, agent);
	stats_r->level = 1;
	p_array_init(&stats_r->badges, pool, 8);
	if (helpdesk_store_game_rules_get(store, pool, &rules, &levels,
					  error_r) < 0)
		return -1;
	/* the team: the game's, else the registration's */
	result = helpdesk_db_query(store->db, "SELECT a.team, g.points, "
		"g.peak, g.level, g.resolved FROM hd_agents a "
		"LEFT JOIN hd_game_agents g ON g.username = a.username "
		"WHERE a.username = ? UNION ALL SELECT g.team, g.points, "
		"g.peak, g.level, g.resolved FROM hd_game_agents g "
		"WHERE g.username = ? AND NOT EXISTS (SELECT 1 FROM hd_agents "
		"a WHERE a.username = g.username)",
		(const char *[]){ agent, agent, NULL });
	ret = helpdesk_db_result_next_row(result);
	if (ret > 0) {
		*found_r = TRUE;
		stats_r->team = p_strdup(pool,
					 helpdesk_db_result_value(result, 0));
		stats_r->points = helpdesk_db_result_int64(result, 1);
		stats_r->peak = helpdesk_db_result_int64(result, 2);
		stats_r->level = I_MAX(helpdesk_db_result_uint(result, 3), 1U);
		stats_r->resolved = helpdesk_db_result_uint(result, 4);
		ret = helpdesk_db_result_next_row(result);
	}
	if (helpdesk_db_result_finish(&result, ret, error_r) < 0)
		return -1;
	if (stats_r->team == NULL)
		stats_r->team = "";
	stats_r->level_name = p_strdup(pool,
		helpdesk_game_level_name(&levels, stats_r->level));
	stats_r->points_to_next = helpdesk_game_points_to_next(&levels,
		stats_r->level, stats_r->peak);
	if (stats_r->level >= levels.count)
		stats_r->progress = 100;
	else {
		from = levels.thresholds[stats_r->level - 1];
		to = levels.thresholds[stats_r->level];
		stats_r->progress = stats_r->peak <= from ? 0 :
			(unsigned int)((stats_r->peak - from) * 100 /
				       (to - from));
		if (stats_r->progress > 99)
			stats_r->progress = 99;
	}
	if (game_badges_query(store, "SELECT username, badge, period_key, "
			      "ticket_id, created FROM hd_badges "
			      "WHERE username = ? ORDER BY created, badge",
			      args, pool, &stats_r->badges, error_r) < 0)
		return -1;
	if (array_count(&stats_r->badges) > 0)
		*found_r = TRUE;
	team = stats_r->team;
	t_array_init(&board, 16);
	if (helpdesk_store_game_board(store, HELPDESK_GAME_PERIOD_WEEK, team,
				      FALSE, now, NULL, pool, &board,
				      error_r) < 0)
		return -1;
	stats_r->team_size = array_count(&board);
	array_foreach(&board, row) {
		if (strcmp(row->agent, agent) == 0) {
			stats_r->week_points = row->points;
			stats_r->rank_in_team = row->rank;
		}
	}
	return 0;
}

int helpdesk_store_game_news(struct helpdesk_store *store, const char *team,
			     int64_t since, int64_t until, pool_t pool,
			     ARRAY_TYPE(helpdesk_game_badge_row) *badges,
			     ARRAY_TYPE(helpdesk_game_levelup_row) *levelups,
			     const char **error_r)
{
	struct helpdesk_db_result *result;
	struct helpdesk_game_levelup_row *levelup;
	const char *since_str = t_strdup_printf("%lld", (long long)since);
	const char *until_str = t_strdup_printf("%lld", (long long)until);
	const char *args[4] = { since_str, until_str, team, NULL };
	const char *team_filter = team == NULL ? "" :
		" AND COALESCE(g.team, '') = ?";
	int ret;

	if (game_badges_query(store, t_strconcat("SELECT b.username, "
			"b.badge, b.period_key, b.ticket_id, b.created "
			"FROM hd_badges b LEFT JOIN hd_game_agents g "
			"ON g.username = b.username WHERE b.created >= "
			"CAST(? AS BIGINT) AND b.created < CAST(? AS BIGINT)",
			team_filter, " ORDER BY b.created, b.username, b.badge",
			NULL), args, pool, badges, error_r) < 0)
		return -1;
	result = helpdesk_db_query(store->db, t_strconcat("SELECT l.username, "
		"l.level, l.ticket_id, l.created FROM hd_game_levelups l "
		"LEFT JOIN hd_game_agents g ON g.username = l.username "
		"WHERE l.created >= CAST(? AS BIGINT) AND l.created < "
		"CAST(? AS BIGINT)", team_filter,
		" ORDER BY l.created, l.username, l.level", NULL), args);
	while ((ret = helpdesk_db_result_next_row(result)) > 0) {
		levelup = array_append_space(levelups);
		levelup->agent = p_strdup(pool,
			helpdesk_db_result_value(result, 0));
		levelup->level = helpdesk_db_result_uint(result, 1);
		levelup->ticket = helpdesk_db_result_uint64(result, 2);
		levelup->created = helpdesk_db_result_int64(result, 3);
	}
	return helpdesk_db_result_finish(&result, ret, error_r);
}
