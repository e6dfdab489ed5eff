/* Copyright (c) 2026 dovecot-helpdesk authors, see the included COPYING file */

/* The game for leads, agents and admins:

   doveadm helpdesk leaderboard [-t <team>] [-p day|week|month|all] [-T]
     rows: rank, agent, team, points, level, level_name, resolved (-T: a
     row per team: rank, team, points, agents, resolved). The period is
     the current one in each team's calendar (the default: week).
   doveadm helpdesk agent stats <agent>
     one row: agent, team, points, level, level_name, points_to_next_level,
     progress (percent of the way to the next level), week_points,
     rank_in_team, team_size, resolved, badges (each
     "key:YYYY-MM-DDTHH:MM:SSZ:ticket", space-separated).
   doveadm helpdesk game rebuild
     folds the whole ledger again; prints agents, total points before and
     after, and how many agents' totals changed.
   doveadm helpdesk game rules [<key=value> ...]
   doveadm helpdesk game levels [<Name:points, ...>]
     without arguments: the table in force; with: a new one from the
     next event on (a bad one is refused, EX_DATAERR, and the old one
     stays).
   doveadm helpdesk game badges
     every badge: key, title, description.

   Each reading command folds the events not folded yet first. */

#include "lib.h"
#include "array.h"
#include "str.h"
#include "ioloop.h"
#include "doveadm.h"
#include "doveadm-cmd.h"
#include "doveadm-print.h"
#include "helpdesk-store.h"
#include "helpdesk-store-game.h"
#include "doveadm-helpdesk.h"

#include <sysexits.h>

/* events a reading command folds at most before it reads (the sweep
   folds the rest) */
#define GAME_READ_FOLD_MAX 100000

static const char *const game_board_fields[] = {
	"rank", "agent", "team", "points", "level", "level_name", "resolved",
	NULL
};
static const char *const game_team_board_fields[] = {
	"rank", "team", "points", "agents", "resolved", NULL
};
static const char *const game_agent_fields[] = {
	"agent", "team", "points", "level", "level_name",
	"points_to_next_level", "progress", "week_points", "rank_in_team",
	"team_size", "resolved", NULL
};

static void game_fail(const char *cmd, const char *error, int code)
{
	i_error("helpdesk %s: %s", cmd, error);
	doveadm_exit_code = code;
}

/* Open the store and fold what is new. NULL after an error. */
static struct helpdesk_store *game_store_open(const char *cmd)
{
	struct helpdesk_store *store;
	unsigned int folded;
	const char *error;

	if ((store = doveadm_helpdesk_store_open()) == NULL)
		return NULL;
	if (helpdesk_store_game_fold(store, ioloop_time, GAME_READ_FOLD_MAX,
				     &folded, &error) < 0) {
		game_fail(cmd, error, EX_TEMPFAIL);
		doveadm_helpdesk_store_close(&store);
		return NULL;
	}
	return store;
}

/* FALSE after an error: team is not a registered team */
static bool game_check_team(struct helpdesk_store *store, const char *cmd,
			    const char *team)
{
	const char *error;
	bool found, any;

	if (team == NULL || *team == '\0')
		return TRUE;
	if (helpdesk_store_team_get(store, team, &found, &any, &error) < 0) {
		game_fail(cmd, error, EX_TEMPFAIL);
		return FALSE;
	}
	if (!found) {
		game_fail(cmd, t_strdup_printf("there is no team %s "
			  "(doveadm helpdesk team list)", team),
			  DOVEADM_EX_NOTFOUND);
		return FALSE;
	}
	return TRUE;
}

static void cmd_helpdesk_leaderboard(struct doveadm_cmd_context *cctx)
{
	ARRAY_TYPE(helpdesk_game_board_row) rows;
	const struct helpdesk_game_board_row *row;
	struct helpdesk_store *store;
	enum helpdesk_game_period period;
	const char *period_name = "week", *team = NULL, *error;
	bool by_team = FALSE;

	(void)doveadm_cmd_param_str(cctx, "period", &period_name);
	(void)doveadm_cmd_param_str(cctx, "team", &team);
	(void)doveadm_cmd_param_bool(cctx, "teams", &by_team);
	if (!helpdesk_game_period_parse(period_name, &period)) {
		game_fail("leaderboard", t_strdup_printf("-p needs day, week, "
			  "month or all, not '%s'", period_name), EX_USAGE);
		return;
	}
	if ((store = game_store_open("leaderboard")) == NULL)
		return;
	if (!game_check_team(store, "leaderboard", team)) {
		doveadm_helpdesk_store_close(&store);
		return;
	}
	t_array_init(&rows, 32);
	if (helpdesk_store_game_board(store, period, team, by_team,
				      ioloop_time, NULL, pool_datastack_create(),
				      &rows, &error) < 0) {
		game_fail("leaderboard", error, EX_TEMPFAIL);
		doveadm_helpdesk_store_close(&store);
		return;
	}
	doveadm_helpdesk_store_close(&store);

	doveadm_print_init(DOVEADM_PRINT_TYPE_TABLE);
	doveadm_helpdesk_print_headers(by_team ? game_team_board_fields :
				       game_board_fields, NULL);
	array_foreach(&rows, row) {
		doveadm_print(dec2str(row->rank));
		if (by_team) {
			doveadm_print(row->team);
			doveadm_print(t_strdup_printf("%lld",
						      (long long)row->points));
			doveadm_print(dec2str(row->agents));
		} else {
			doveadm_print(row->agent);
			doveadm_print(row->team);
			doveadm_print(t_strdup_printf("%lld",
						      (long long)row->points));
			doveadm_print(dec2str(row->level));
			doveadm_print(row->level_name);
		}
		doveadm_print(dec2str((unsigned int)row->resolved));
	}
}

static const char *
game_badges_str(const ARRAY_TYPE(helpdesk_game_badge_row) *badges)
{
	const struct helpdesk_game_badge_row *badge;
	string_t *str = t_str_new(128);

	array_foreach(badges, badge) {
		if (str_len(str) > 0)
			str_append_c(str, ' ');
		str_printfa(str, "%s:%s:%llu",
			    helpdesk_game_badge_key(badge->badge),
			    helpdesk_game_time_str(badge->created),
			    (unsigned long long)badge->ticket);
	}
	return str_c(str);
}

static void cmd_helpdesk_agent_stats(struct doveadm_cmd_context *cctx)
{
	struct helpdesk_game_agent_stats stats;
	struct helpdesk_store *store;
	const char *agent, *error;
	bool found;

	if (!doveadm_cmd_param_str(cctx, "agent", &agent)) {
		game_fail("agent stats", "give the agent's user name",
			  EX_USAGE);
		return;
	}
	if (!doveadm_helpdesk_check_name("agent stats", "agent", agent))
		return;
	if ((store = game_store_open("agent stats")) == NULL)
		return;
	if (helpdesk_store_game_agent_stats(store, agent, ioloop_time,
					    pool_datastack_create(), &stats,
					    &found, &error) < 0) {
		game_fail("agent stats", error, EX_TEMPFAIL);
		doveadm_helpdesk_store_close(&store);
		return;
	}
	doveadm_helpdesk_store_close(&store);
	if (!found) {
		game_fail("agent stats", t_strdup_printf("%s is no agent and "
			  "has no points (doveadm helpdesk agent list)",
			  agent), DOVEADM_EX_NOTFOUND);
		return;
	}
	doveadm_print_init(DOVEADM_PRINT_TYPE_TABLE);
	doveadm_helpdesk_print_headers(game_agent_fields, "badges");
	doveadm_print(stats.agent);
	doveadm_print(stats.team);
	doveadm_print(t_strdup_printf("%lld", (long long)stats.points));
	doveadm_print(dec2str(stats.level));
	doveadm_print(stats.level_name);
	doveadm_print(t_strdup_printf("%lld", (long long)stats.points_to_next));
	doveadm_print(dec2str(stats.progress));
	doveadm_print(t_strdup_printf("%lld", (long long)stats.week_points));
	doveadm_print(stats.rank_in_team == 0 ? "" :
		      dec2str(stats.rank_in_team));
	doveadm_print(dec2str(stats.team_size));
	doveadm_print(dec2str(stats.resolved));
	doveadm_print(game_badges_str(&stats.badges));
}

struct game_totals {
	unsigned int agents;
	int64_t points;
	ARRAY_TYPE(helpdesk_game_board_row) rows;
};

static int game_totals(struct helpdesk_store *store, pool_t pool,
		       struct game_totals *totals_r, const char **error_r)
{
	const struct helpdesk_game_board_row *row;

	i_zero(totals_r);
	p_array_init(&totals_r->rows, pool, 32);
	if (helpdesk_store_game_board(store, HELPDESK_GAME_PERIOD_ALL, NULL,
				      FALSE, ioloop_time, NULL, pool,
				      &totals_r->rows, error_r) < 0)
		return -1;
	array_foreach(&totals_r->rows, row) {
		totals_r->agents++;
		totals_r->points += row->points;
	}
	return 0;
}

static unsigned int game_totals_changed(const struct game_totals *before,
					const struct game_totals *after)
{
	const struct helpdesk_game_board_row *a, *b;
	unsigned int changed = 0;
	bool found;

	array_foreach(&after->rows, a) {
		found = FALSE;
		array_foreach(&before->rows, b) {
			if (strcmp(a->agent, b->agent) == 0) {
				found = TRUE;
				if (a->points != b->points ||
				    a->level != b->level)
					changed++;
			}
		}
		if (!found)
			changed++;
	}
	array_foreach(&before->rows, b) {
		found = FALSE;
		array_foreach(&after->rows, a) {
			if (strcmp(a->agent, b->agent) == 0)
				found = TRUE;
		}
		if (!found)
			changed++;
	}
	return changed;
}

static void game_rebuild_progress(uint64_t folded, uint64_t last_id,
				  void *context ATTR_UNUSED)
{
	if (folded % 20000 < 2000) {
		i_info("helpdesk game rebuild: %llu events folded (up to "
		       "event %llu)", (unsigned long long)folded,
		       (unsigned long long)last_id);
	}
}

static void cmd_helpdesk_game_rebuild(struct doveadm_cmd_context *cctx ATTR_UNUSED)
{
	struct helpdesk_store *store;
	struct game_totals before, after;
	const char *error;
	pool_t pool;

	if ((store = game_store_open("game rebuild")) == NULL)
		return;
	pool = pool_alloconly_create("game rebuild", 4096);
	if (game_totals(store, pool, &before, &error) < 0 ||
	    helpdesk_store_game_rebuild(store, ioloop_time,
					game_rebuild_progress, NULL,
					&error) < 0 ||
	    game_totals(store, pool, &after, &error) < 0) {
		game_fail("game rebuild", error, EX_TEMPFAIL);
		pool_unref(&pool);
		doveadm_helpdesk_store_close(&store);
		return;
	}
	doveadm_helpdesk_store_close(&store);
	doveadm_print_init(DOVEADM_PRINT_TYPE_TABLE);
	doveadm_helpdesk_print_headers((const char *const []){
		"agents", "points_before", "points_after", "changed", NULL
	}, NULL);
	doveadm_print(dec2str(after.agents));
	doveadm_print(t_strdup_printf("%lld", (long long)before.points));
	doveadm_print(t_strdup_printf("%lld", (long long)after.points));
	doveadm_print(dec2str(game_totals_changed(&before, &after)));
	pool_unref(&pool);
}

/* the positional words, joined by spaces (NULL: none) */
static const char *game_words(struct doveadm_cmd_context *cctx,
			      const char *name)
{
	const char *const *words;

	if (!doveadm_cmd_param_array(cctx, name, &words) || words[0] == NULL)
		return NULL;
	return t_strarray_join(words, " ");
}

static void cmd_helpdesk_game_rules(struct doveadm_cmd_context *cctx)
{
	struct helpdesk_store *store;
	struct helpdesk_game_rules rules, new_rules;
	struct helpdesk_game_levels levels, new_levels;
	const char *text, *error;
	const char *const *item;
	bool set_levels = strcmp(cctx->cmd->name, "helpdesk game levels") == 0;
	pool_t pool = pool_datastack_create();
	unsigned int i;

	text = game_words(cctx, set_levels ? "levels" : "rules");
	if ((store = doveadm_helpdesk_store_open()) == NULL)
		return;
	if (helpdesk_store_game_rules_get(store, pool, &rules, &levels,
					  &error) < 0) {
		game_fail(cctx->cmd->name + 9, error, EX_TEMPFAIL);
		doveadm_helpdesk_store_close(&store);
		return;
	}
	new_rules = rules;
	new_levels = levels;
	if (text != NULL) {
		int ret = set_levels ?
			helpdesk_game_levels_parse(pool, text, &new_levels,
						   &error) :
			helpdesk_game_rules_parse(text, &rules, &new_rules,
						  &error);
		if (ret < 0) {
			game_fail(cctx->cmd->name + 9, t_strdup_printf(
				"%s (nothing changed)", error), EX_DATAERR);
			doveadm_helpdesk_store_close(&store);
			return;
		}
		if (helpdesk_store_game_rules_set(store, &new_rules,
						  &new_levels, ioloop_time,
						  &error) < 0) {
			game_fail(cctx->cmd->name + 9, error, EX_TEMPFAIL);
			doveadm_helpdesk_store_close(&store);
			return;
		}
		i_info("helpdesk %s: in force from the next event on",
		       cctx->cmd->name + 9);
	}
	doveadm_helpdesk_store_close(&store);

	doveadm_print_init(DOVEADM_PRINT_TYPE_TABLE);
	if (set_levels) {
		doveadm_helpdesk_print_headers((const char *const []){
			"level", "name", "points", NULL }, NULL);
		for (i = 0; i < new_levels.count; i++) {
			doveadm_print(dec2str(i + 1));
			doveadm_print(new_levels.names[i]);
			doveadm_print(t_strdup_printf("%lld",
				(long long)new_levels.thresholds[i]));
		}
		return;
	}
	doveadm_helpdesk_print_headers((const char *const []){
		"rule", "value", NULL }, NULL);
	for (item = t_strsplit_spaces(helpdesk_game_rules_format(&new_rules),
				      " ");
	     *item != NULL; item++) {
		const char *eq = strchr(*item, '=');

		i_assert(eq != NULL);
		doveadm_print(t_strdup_until(*item, eq));
		doveadm_print(eq + 1);
	}
}

static void cmd_helpdesk_game_badges(struct doveadm_cmd_context *cctx ATTR_UNUSED)
{
	unsigned int i;

	doveadm_print_init(DOVEADM_PRINT_TYPE_TABLE);
	doveadm_helpdesk_print_headers((const char *const []){
		"badge", "title", NULL }, "description");
	for (i = 0; i < HELPDESK_GAME_BADGE_COUNT; i++) {
		doveadm_print(helpdesk_game_badge_key(i));
		doveadm_print(helpdesk_game_badge_title(i));
		doveadm_print(helpdesk_game_badge_description(i));
	}
}

struct doveadm_cmd_ver2 doveadm_helpdesk_game_commands[] = {
	{
		.name = "helpdesk leaderboard",
		.cmd = cmd_helpdesk_leaderboard,
		.usage = "[-t <team>] [-p day|week|month|all] [-T]",
DOVEADM_CMD_PARAMS_START
DOVEADM_CMD_PARAM('t', "team", CMD_PARAM_STR, 0)
DOVEADM_CMD_PARAM('p', "period", CMD_PARAM_STR, 0)
DOVEADM_CMD_PARAM('T', "teams", CMD_PARAM_BOOL, 0)
DOVEADM_CMD_PARAMS_END
	},
	{
		.name = "helpdesk agent stats",
		.cmd = cmd_helpdesk_agent_stats,
		.usage = "<agent>",
DOVEADM_CMD_PARAMS_START
DOVEADM_CMD_PARAM('\0', "agent", CMD_PARAM_STR, CMD_PARAM_FLAG_POSITIONAL)
DOVEADM_CMD_PARAMS_END
	},
	{
		.name = "helpdesk game rebuild",
		.cmd = cmd_helpdesk_game_rebuild,
		.usage = "",
DOVEADM_CMD_PARAMS_START
DOVEADM_CMD_PARAMS_END
	},
	{
		.name = "helpdesk game rules",
		.cmd = cmd_helpdesk_game_rules,
		.usage = "[<rule>=<value> ...]",
DOVEADM_CMD_PARAMS_START
DOVEADM_CMD_PARAM('\0', "rules", CMD_PARAM_ARRAY, CMD_PARAM_FLAG_POSITIONAL)
DOVEADM_CMD_PARAMS_END
	},
	{
		.name = "helpdesk game levels",
		.cmd = cmd_helpdesk_game_rules,
		.usage = "[<Name>:<points>, ...]",
DOVEADM_CMD_PARAMS_START
DOVEADM_CMD_PARAM('\0', "levels", CMD_PARAM_ARRAY, CMD_PARAM_FLAG_POSITIONAL)
DOVEADM_CMD_PARAMS_END
	},
	{
		.name = "helpdesk game badges",
		.cmd = cmd_helpdesk_game_badges,
		.usage = "",
DOVEADM_CMD_PARAMS_START
DOVEADM_CMD_PARAMS_END
	},
};
const unsigned int doveadm_helpdesk_game_commands_count =
	N_ELEMENTS(doveadm_helpdesk_game_commands);
