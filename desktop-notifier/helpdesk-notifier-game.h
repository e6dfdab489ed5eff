#ifndef HELPDESK_NOTIFIER_GAME_H
#define HELPDESK_NOTIFIER_GAME_H

/* The game as the plugin's METADATA entries tell it (README "Where the
   agent is"): the agent's stats and the team's weekly board, parsed from
   their JSON (version 1; unknown fields ignored), printed for --status,
   and compared with what was last seen for the news (pure, no I/O). */

#include <glib.h>

#define HELPDESK_GAME_STATS_ENTRY "/private/vendor/vendor.helpdesk/stats"
#define HELPDESK_GAME_BOARD_ENTRY "/shared/vendor/vendor.helpdesk/leaderboard"

typedef struct {
	gchar *badge, *title, *earned, *period;
	guint64 ticket;
} HelpdeskGameBadge;

typedef struct {
	gchar *agent, *team, *level_name;
	gint64 points, points_to_next, week_points;
	guint level, progress, rank, team_size, resolved;
	/* HelpdeskGameBadge * */
	GPtrArray *badges;
} HelpdeskGameStats;

typedef struct {
	guint rank, level, resolved;
	gint64 points;
	gchar *agent, *team, *level_name;
} HelpdeskGameRow;

typedef struct {
	gchar *team, *period, *key;
	/* HelpdeskGameRow * */
	GPtrArray *rows;
} HelpdeskGameBoard;

HelpdeskGameStats *helpdesk_game_stats_parse(const gchar *json,
					     GError **error);
void helpdesk_game_stats_free(HelpdeskGameStats *stats);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(HelpdeskGameStats, helpdesk_game_stats_free)

HelpdeskGameBoard *helpdesk_game_board_parse(const gchar *json,
					     GError **error);
void helpdesk_game_board_free(HelpdeskGameBoard *board);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(HelpdeskGameBoard, helpdesk_game_board_free)

/* --status: the stats, then the board (either may be NULL). */
gchar *helpdesk_game_format_status(const HelpdeskGameStats *stats,
				   const HelpdeskGameBoard *board);

typedef struct {
	/* which notification it replaces: "level", "badge:NAME", "rank" */
	gchar *key;
	gchar *summary, *body;
} HelpdeskGameNews;

void helpdesk_game_news_free(HelpdeskGameNews *news);

/* What is news in cur against old (NULL: nothing seen yet, so nothing
   is news): a higher level, each badge not in old, and a change of the
   weekly rank against *rank_r unless *rank_day_r is today (then the
   rank is announced at most once a day; both updated when it is).
   News are appended to news (HelpdeskGameNews *). */
void helpdesk_game_news(const HelpdeskGameStats *old,
			const HelpdeskGameStats *cur, const gchar *today,
			guint *rank_r, gchar **rank_day_r, GPtrArray *news);

#endif
