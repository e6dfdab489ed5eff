#ifndef HELPDESK_GAME_JSON_H
#define HELPDESK_GAME_JSON_H

/* The game's METADATA entries as compact JSON (documented in the README,
   read by the desktop notifier):

   /private/vendor/vendor.helpdesk/stats
     {"version":1,"agent":..,"team":..,"points":N,"level":N,
      "level_name":..,"progress":N,"points_to_next_level":N,
      "week_points":N,"rank_in_team":N,"team_size":N,"resolved":N,
      "badges":[{"badge":..,"title":..,"earned":"ISO 8601 UTC",
                 "ticket":N,"period":".."}]}
   /shared/vendor/vendor.helpdesk/leaderboard
     {"version":1,"team":..,"period":"week","key":"2026-W49",
      "rows":[{"rank":N,"agent":..,"team":..,"points":N,"level":N,
               "level_name":..,"resolved":N}]}

   "version" changes only when a field changes meaning or goes away;
   readers ignore fields they don't know. Pure: unit-tested. */

#include "helpdesk-store-game.h"

#define HELPDESK_GAME_JSON_VERSION 1

void helpdesk_game_json_stats(string_t *dest,
			      const struct helpdesk_game_agent_stats *stats);
void helpdesk_game_json_board(string_t *dest, const char *team,
			      const char *period_key,
			      const ARRAY_TYPE(helpdesk_game_board_row) *rows);

#endif
