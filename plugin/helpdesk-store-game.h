#ifndef HELPDESK_STORE_GAME_H
#define HELPDESK_STORE_GAME_H

/* The game in the store: points are a ledger of their own (hd_points),
   derived from the event ledger (hd_events) by the rule table in force
   when each event happened (hd_game_rules: a change applies from the
   next event on and never rewrites the past). Folding walks the events
   after a cursor in id order and writes, in one transaction per batch,
   the points, the agents' totals, levels and badges, and the period
   totals the leaderboards read (hd_game_agents, hd_game_periods,
   hd_badges, hd_game_levelups).

   A fold is deterministic: it reads only what the events before the one
   at hand decided, so folding again from nothing (rebuild) gives the same
   totals. Folds of several processes are serialized by the fold log
   (hd_game_folds, keyed by the cursor a fold starts from): of two folds
   from the same cursor only one writes (the fold log's row for the
   cursor carries its token), the other finds the work done.
   Agents count in their current team (hd_agents), periods in that
   team's calendar (its time zone, also without business hours). What the
   registration says is read as it is now: an agent registered later
   whose address is an old ticket's requester, or a change of role or
   team, changes what a rebuild gives. A ticket's VIP flag is taken as it
   was when the event happened (by the ledger's VIP changes). */

#include "helpdesk-game.h"

struct helpdesk_store;

/* Fold the events not folded yet, at most max_events of them (0: all) in
   batches. *folded_r: how many events this call folded (0 when another
   process did the work). */
int helpdesk_store_game_fold(struct helpdesk_store *store, int64_t now,
			     unsigned int max_events, unsigned int *folded_r,
			     const char **error_r);

/* The same, telling agent's level-ups and new badges in this fold: a
   sentence each ("Level up: ...", "New badge: ...") appended to news,
   allocated from pool. */
int helpdesk_store_game_fold_news(struct helpdesk_store *store, int64_t now,
				  unsigned int max_events, const char *agent,
				  pool_t pool, ARRAY_TYPE(const_string) *news,
				  unsigned int *folded_r, const char **error_r);

/* Drop every derived table and fold all events again. progress (may be
   NULL) is called after each batch with the events folded so far and the
   highest event id. */
typedef void helpdesk_store_game_progress_t(uint64_t folded, uint64_t last_id,
					    void *context);
int helpdesk_store_game_rebuild(struct helpdesk_store *store, int64_t now,
				helpdesk_store_game_progress_t *progress,
				void *context, const char **error_r);

/* The rule table and level curve in force now (the defaults when none was
   set). Names are allocated from pool. */
int helpdesk_store_game_rules_get(struct helpdesk_store *store, pool_t pool,
				  struct helpdesk_game_rules *rules_r,
				  struct helpdesk_game_levels *levels_r,
				  const char **error_r);
/* Put a new rule table and level curve in force from the next event on.
   The caller parsed them: the texts are helpdesk_game_rules_format()'s and
   helpdesk_game_levels_format()'s. */
int helpdesk_store_game_rules_set(struct helpdesk_store *store,
				  const struct helpdesk_game_rules *rules,
				  const struct helpdesk_game_levels *levels,
				  int64_t now, const char **error_r);

/* A leaderboard row: an agent (or a team, by_team). */
struct helpdesk_game_board_row {
	unsigned int rank;
	const char *agent;		/* NULL in a teams' board */
	const char *team;
	int64_t points;
	/* agents: the level now (not of the period) */
	unsigned int level;
	const char *level_name;
	/* standing resolutions in the period (never negative) */
	int resolved;
	/* teams: agents with points in the period */
	unsigned int agents;
	/* agents: the team the agent is in now (team: the one the points
	   were earned in) */
	const char *current_team;
};
ARRAY_DEFINE_TYPE(helpdesk_game_board_row, struct helpdesk_game_board_row);

/* The board of the period that contains the time at (in each team's
   calendar), or of the period named period_key (not NULL), best first;
   rank ties share a rank (1, 2, 2, 4), equal points sort by name. team
   NULL: all agents (or all teams); else that team's. by_team: a row per
   team. */
int helpdesk_store_game_board(struct helpdesk_store *store,
			      enum helpdesk_game_period period,
			      const char *team, bool by_team, int64_t at,
			      const char *period_key, pool_t pool,
			      ARRAY_TYPE(helpdesk_game_board_row) *rows,
			      const char **error_r);

/* A badge as earned. */
struct helpdesk_game_badge_row {
	const char *agent;
	enum helpdesk_game_badge badge;
	/* the week of a top_of_week badge, else "" */
	const char *period_key;
	int64_t created;
	uint64_t ticket;		/* 0: none */
};
ARRAY_DEFINE_TYPE(helpdesk_game_badge_row, struct helpdesk_game_badge_row);

/* A level reached. */
struct helpdesk_game_levelup_row {
	const char *agent;
	unsigned int level;
	int64_t created;
	uint64_t ticket;
};
ARRAY_DEFINE_TYPE(helpdesk_game_levelup_row, struct helpdesk_game_levelup_row);

struct helpdesk_game_agent_stats {
	const char *agent, *team;
	int64_t points, peak;
	unsigned int level;
	const char *level_name;
	int64_t points_to_next;
	/* percent of the way from this level's threshold to the next
	   (100 at the last level) */
	unsigned int progress;
	unsigned int resolved;
	/* this week (the team's calendar) */
	int64_t week_points;
	/* in this week's team board; 0: not on it */
	unsigned int rank_in_team, team_size;
	ARRAY_TYPE(helpdesk_game_badge_row) badges;
};

/* An agent's game figures now. *found_r FALSE: the agent has no points,
   badges or level yet and is not registered (stats_r then has level 1 and
   zeros). */
int helpdesk_store_game_agent_stats(struct helpdesk_store *store,
				    const char *agent, int64_t now,
				    pool_t pool,
				    struct helpdesk_game_agent_stats *stats_r,
				    bool *found_r, const char **error_r);

/* The badges and level-ups of team's agents (NULL: all) earned in
   since <= created < until, oldest first. */
int helpdesk_store_game_news(struct helpdesk_store *store, const char *team,
			     int64_t since, int64_t until, pool_t pool,
			     ARRAY_TYPE(helpdesk_game_badge_row) *badges,
			     ARRAY_TYPE(helpdesk_game_levelup_row) *levelups,
			     const char **error_r);

/* The key of the period that contains at in team's calendar, and the
   one before it (prev_r may be NULL). Data stack. */
void helpdesk_store_game_period_key(struct helpdesk_store *store,
				    const char *team,
				    enum helpdesk_game_period period,
				    int64_t at, const char **key_r,
				    const char **prev_r);

/* The week weeks_back weeks before the one that contains at, in team's
   calendar: its key and its bounds [start, end). */
void helpdesk_store_game_week(struct helpdesk_store *store, const char *team,
			      int64_t at, unsigned int weeks_back,
			      const char **key_r, int64_t *start_r,
			      int64_t *end_r);

#endif
