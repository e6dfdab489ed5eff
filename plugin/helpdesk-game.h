#ifndef HELPDESK_GAME_H
#define HELPDESK_GAME_H

#include <time.h>

/* The game's pure parts: the rule table that turns ledger events into
   points, the level curve, the badges' names, and the periods of the
   leaderboards. Pure: no storage calls, unit-tested. The store folds the
   ledger into points with these (helpdesk-store-game.c). */

/* The rules: points per kind of award (negative: a penalty). */
enum helpdesk_game_rule {
	/* an agent resolves a ticket (once per ticket and agent while it
	   stands: a reopening within the window takes it back) */
	HELPDESK_GAME_RULE_RESOLVE = 0,
	/* the ticket's first reply by an agent */
	HELPDESK_GAME_RULE_FIRST_REPLY,
	/* ... when it came within fast_within of the ticket's creation */
	HELPDESK_GAME_RULE_FAST_REPLY,
	/* an SLA deadline met or breached (for the owner then) */
	HELPDESK_GAME_RULE_SLA_MET,
	HELPDESK_GAME_RULE_SLA_BREACHED,
	/* a customer's rating of 4-5 or of 1-2 (for the owner at the
	   resolution; a later rating of the same resolution replaces it) */
	HELPDESK_GAME_RULE_RATING_GOOD,
	HELPDESK_GAME_RULE_RATING_BAD,
	/* resolving a ticket that was escalated (once per ticket and agent) */
	HELPDESK_GAME_RULE_ESCALATION,

	HELPDESK_GAME_RULE_COUNT
};

struct helpdesk_game_rules {
	int points[HELPDESK_GAME_RULE_COUNT];
	/* the most positive points an agent earns in a day of the team's
	   calendar (0: no cap); penalties are never capped */
	unsigned int daily_cap;
	/* a reopening this soon after a resolution takes its points back */
	unsigned int reopen_window_secs;
	/* a first reply this soon after the ticket's creation is fast */
	unsigned int fast_within_secs;
};

/* The shipped rule table (documented in the README and the man page). */
#define HELPDESK_GAME_DEFAULT_RULES \
	"resolve=10 first_reply=2 fast_reply=3 sla_met=2 sla_breached=-5 " \
	"rating_good=5 rating_bad=-3 escalation=5 daily_cap=150 " \
	"reopen_window=7d fast_within=1h"

/* The rule table's key for a rule ("resolve", ...), and the name of the
   entry that takes a resolve back. */
const char *helpdesk_game_rule_name(enum helpdesk_game_rule rule);
#define HELPDESK_GAME_RETRACT_NAME "resolve_retracted"

/* Parse "key=value ..." (spaces or commas between) over base: the keys
   given replace base's values, the others stay. Points are integers from
   -1000 to 1000, daily_cap 0-100000, the durations as "90s", "30m",
   "1h", "7d" or seconds (reopen_window up to 365 days, fast_within up to
   30 days). An unknown key, a repeated key or a bad value fails with
   *error_r naming it; *rules_r is then untouched. */
int helpdesk_game_rules_parse(const char *text,
			      const struct helpdesk_game_rules *base,
			      struct helpdesk_game_rules *rules_r,
			      const char **error_r);
/* The defaults (HELPDESK_GAME_DEFAULT_RULES parsed). */
void helpdesk_game_rules_default(struct helpdesk_game_rules *rules_r);
/* The whole table as helpdesk_game_rules_parse() reads it, in a fixed
   order (data stack). */
const char *helpdesk_game_rules_format(const struct helpdesk_game_rules *rules);

/* The level curve: named thresholds of an agent's highest total ever
   (levels are never lost). */
#define HELPDESK_GAME_MAX_LEVELS 50
#define HELPDESK_GAME_MIN_LEVELS 2
struct helpdesk_game_levels {
	unsigned int count;
	const char *names[HELPDESK_GAME_MAX_LEVELS];
	int64_t thresholds[HELPDESK_GAME_MAX_LEVELS];
};
#define HELPDESK_GAME_DEFAULT_LEVELS \
	"Novice:0, Apprentice:50, Helper:150, Responder:300, " \
	"Troubleshooter:500, Specialist:800, Expert:1200, Veteran:1800, " \
	"Master:2600, Champion:3600, Legend:5000"

/* Parse "Name:threshold, Name:threshold, ..." (names of letters and
   digits (UTF-8 letters too), spaces, '-' and '\'', with at least one
   letter or digit, no control or direction characters, up to 32 bytes,
   unique ignoring ASCII case; the first threshold
   0, the others strictly rising, up to 100000000). Names are allocated
   from pool. *error_r says what is wrong and where. */
int helpdesk_game_levels_parse(pool_t pool, const char *text,
			       struct helpdesk_game_levels *levels_r,
			       const char **error_r);
void helpdesk_game_levels_default(pool_t pool,
				  struct helpdesk_game_levels *levels_r);
const char *
helpdesk_game_levels_format(const struct helpdesk_game_levels *levels);
/* The level (1..count) of an agent whose highest total ever is peak. */
unsigned int helpdesk_game_level_for(const struct helpdesk_game_levels *levels,
				     int64_t peak);
/* The name of level (1..count; beyond: the last one's). */
const char *helpdesk_game_level_name(const struct helpdesk_game_levels *levels,
				     unsigned int level);
/* Points still missing to the next level (0 at the last level). */
int64_t helpdesk_game_points_to_next(const struct helpdesk_game_levels *levels,
				     unsigned int level, int64_t peak);

/* A moment as ISO 8601 UTC, "2026-11-30T22:41:47Z" (data stack). */
const char *helpdesk_game_time_str(int64_t t);

/* The badges. */
enum helpdesk_game_badge {
	HELPDESK_GAME_BADGE_FIRST_TICKET = 0,
	HELPDESK_GAME_BADGE_RESOLVED_10,
	HELPDESK_GAME_BADGE_RESOLVED_100,
	HELPDESK_GAME_BADGE_RESOLVED_1000,
	HELPDESK_GAME_BADGE_FIRST_CONTACT,
	HELPDESK_GAME_BADGE_SLA_STREAK,
	HELPDESK_GAME_BADGE_SPEEDSTER,
	HELPDESK_GAME_BADGE_VIP_CARE,
	HELPDESK_GAME_BADGE_NIGHT_OWL,
	HELPDESK_GAME_BADGE_WEEKEND_HERO,
	HELPDESK_GAME_BADGE_TEAM_PLAYER,
	HELPDESK_GAME_BADGE_FIVE_STAR,
	HELPDESK_GAME_BADGE_TOP_OF_WEEK,
	HELPDESK_GAME_BADGE_FIREFIGHTER,

	HELPDESK_GAME_BADGE_COUNT
};
/* met SLA deadlines in a row for the streak badge, fast first replies
   for the speedster, escalated tickets resolved for the firefighter */
#define HELPDESK_GAME_SLA_STREAK 10
#define HELPDESK_GAME_SPEEDSTER_COUNT 10
#define HELPDESK_GAME_FIREFIGHTER_COUNT 5

/* The badge's key ("first_ticket"), its title ("First ticket") and what
   earns it (one sentence). */
const char *helpdesk_game_badge_key(enum helpdesk_game_badge badge);
const char *helpdesk_game_badge_title(enum helpdesk_game_badge badge);
const char *helpdesk_game_badge_description(enum helpdesk_game_badge badge);
/* The badge of key, FALSE: none. */
bool helpdesk_game_badge_lookup(const char *key,
				enum helpdesk_game_badge *badge_r);
/* The badge for reaching count resolved tickets, FALSE: none at count. */
bool helpdesk_game_badge_for_resolved(unsigned int count,
				      enum helpdesk_game_badge *badge_r);
/* Night owl: a local time from 22:00 to 05:59; weekend: Saturday or
   Sunday. */
bool helpdesk_game_is_night(const struct tm *tm);
bool helpdesk_game_is_weekend(const struct tm *tm);

/* Leaderboard periods: a local day, an ISO 8601 week (Monday to Sunday),
   a month, or all time, named by keys that sort in time order. */
enum helpdesk_game_period {
	HELPDESK_GAME_PERIOD_DAY = 0,
	HELPDESK_GAME_PERIOD_WEEK,
	HELPDESK_GAME_PERIOD_MONTH,
	HELPDESK_GAME_PERIOD_ALL,
};
#define HELPDESK_GAME_PERIOD_KEYED_COUNT 3

/* "day", "week", "month", "all" and back. */
const char *helpdesk_game_period_name(enum helpdesk_game_period period);
bool helpdesk_game_period_parse(const char *name,
				enum helpdesk_game_period *period_r);
/* The key of the period a local time falls in: "2026-11-30",
   "2026-W49", "2026-11" ("" for all time); ISO weeks belong to the year
   of their Thursday (2027-01-01 is in "2026-W53"). Data stack. */
const char *helpdesk_game_period_key(enum helpdesk_game_period period,
				     const struct tm *tm);
/* The key of the period before the one tm falls in (by calendar dates,
   so DST changes do not matter). "" for all time. Data stack. */
const char *helpdesk_game_period_prev_key(enum helpdesk_game_period period,
					  const struct tm *tm);

#endif
