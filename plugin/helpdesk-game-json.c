/* Copyright (c) 2026 dovecot-helpdesk authors, see the included COPYING file */

#include "lib.h"
#include "array.h"
#include "str.h"
#include "json-parser.h"
#include "helpdesk-game-json.h"

static void json_str(string_t *dest, const char *name, const char *value)
{
	str_printfa(dest, "\"%s\":\"", name);
	json_append_escaped(dest, value == NULL ? "" : value);
	str_append_c(dest, '"');
}

static void json_num(string_t *dest, const char *name, int64_t value)
{
	str_printfa(dest, "\"%s\":%lld", name, (long long)value);
}

void helpdesk_game_json_stats(string_t *dest,
			      const struct helpdesk_game_agent_stats *stats)
{
	const struct helpdesk_game_badge_row *badge;
	bool first = TRUE;

	str_append_c(dest, '{');
	json_num(dest, "version", HELPDESK_GAME_JSON_VERSION);
	str_append_c(dest, ',');
	json_str(dest, "agent", stats->agent);
	str_append_c(dest, ',');
	json_str(dest, "team", stats->team);
	str_append_c(dest, ',');
	json_num(dest, "points", stats->points);
	str_append_c(dest, ',');
	json_num(dest, "level", stats->level);
	str_append_c(dest, ',');
	json_str(dest, "level_name", stats->level_name);
	str_append_c(dest, ',');
	json_num(dest, "progress", stats->progress);
	str_append_c(dest, ',');
	json_num(dest, "points_to_next_level", stats->points_to_next);
	str_append_c(dest, ',');
	json_num(dest, "week_points", stats->week_points);
	str_append_c(dest, ',');
	json_num(dest, "rank_in_team", stats->rank_in_team);
	str_append_c(dest, ',');
	json_num(dest, "team_size", stats->team_size);
	str_append_c(dest, ',');
	json_num(dest, "resolved", stats->resolved);
	str_append(dest, ",\"badges\":[");
	array_foreach(&stats->badges, badge) {
		if (!first)
			str_append_c(dest, ',');
		first = FALSE;
		str_append_c(dest, '{');
		json_str(dest, "badge", helpdesk_game_badge_key(badge->badge));
		str_append_c(dest, ',');
		json_str(dest, "title",
			 helpdesk_game_badge_title(badge->badge));
		str_append_c(dest, ',');
		json_str(dest, "earned",
			 helpdesk_game_time_str(badge->created));
		str_append_c(dest, ',');
		json_num(dest, "ticket", (int64_t)badge->ticket);
		str_append_c(dest, ',');
		json_str(dest, "period", badge->period_key);
		str_append_c(dest, '}');
	}
	str_append(dest, "]}");
}

void helpdesk_game_json_board(string_t *dest, const char *team,
			      const char *period_key,
			      const ARRAY_TYPE(helpdesk_game_board_row) *rows)
{
	const struct helpdesk_game_board_row *row;
	bool first = TRUE;

	str_append_c(dest, '{');
	json_num(dest, "version", HELPDESK_GAME_JSON_VERSION);
	str_append_c(dest, ',');
	json_str(dest, "team", team);
	str_append_c(dest, ',');
	json_str(dest, "period", helpdesk_game_period_name(
		HELPDESK_GAME_PERIOD_WEEK));
	str_append_c(dest, ',');
	json_str(dest, "key", period_key);
	str_append(dest, ",\"rows\":[");
	array_foreach(rows, row) {
		if (!first)
			str_append_c(dest, ',');
		first = FALSE;
		str_append_c(dest, '{');
		json_num(dest, "rank", row->rank);
		str_append_c(dest, ',');
		json_str(dest, "agent", row->agent);
		str_append_c(dest, ',');
		json_str(dest, "team", row->team);
		str_append_c(dest, ',');
		json_num(dest, "points", row->points);
		str_append_c(dest, ',');
		json_num(dest, "level", row->level);
		str_append_c(dest, ',');
		json_str(dest, "level_name", row->level_name);
		str_append_c(dest, ',');
		json_num(dest, "resolved", row->resolved);
		str_append_c(dest, '}');
	}
	str_append(dest, "]}");
}
