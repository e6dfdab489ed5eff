/* Copyright (c) 2026 dovecot-helpdesk authors, see the included COPYING file */

#include "lib.h"
#include "str.h"
#include "strnum.h"
#include "unichar.h"
#include "helpdesk-game.h"

#include <ctype.h>
#include <time.h>

#define GAME_POINTS_MAX 1000
#define GAME_DAILY_CAP_MAX 100000
#define GAME_REOPEN_WINDOW_MAX (365U * 86400)
#define GAME_FAST_WITHIN_MAX (30U * 86400)
#define GAME_LEVEL_NAME_MAX 32
#define GAME_LEVEL_THRESHOLD_MAX 100000000LL

static const char *const game_rule_names[HELPDESK_GAME_RULE_COUNT] = {
	[HELPDESK_GAME_RULE_RESOLVE] = "resolve",
	[HELPDESK_GAME_RULE_FIRST_REPLY] = "first_reply",
	[HELPDESK_GAME_RULE_FAST_REPLY] = "fast_reply",
	[HELPDESK_GAME_RULE_SLA_MET] = "sla_met",
	[HELPDESK_GAME_RULE_SLA_BREACHED] = "sla_breached",
	[HELPDESK_GAME_RULE_RATING_GOOD] = "rating_good",
	[HELPDESK_GAME_RULE_RATING_BAD] = "rating_bad",
	[HELPDESK_GAME_RULE_ESCALATION] = "escalation",
};

/* the keys after the rules' points, in the table's order */
enum game_extra_key {
	GAME_KEY_DAILY_CAP = HELPDESK_GAME_RULE_COUNT,
	GAME_KEY_REOPEN_WINDOW,
	GAME_KEY_FAST_WITHIN,

	GAME_KEY_COUNT
};
static const char *const game_extra_names[] = {
	"daily_cap", "reopen_window", "fast_within"
};

static const struct {
	const char *key, *title, *description;
} game_badges[HELPDESK_GAME_BADGE_COUNT] = {
	[HELPDESK_GAME_BADGE_FIRST_TICKET] = { "first_ticket",
		"First ticket", "Resolved a first ticket" },
	[HELPDESK_GAME_BADGE_RESOLVED_10] = { "resolved_10",
		"Ten down", "Resolved 10 tickets" },
	[HELPDESK_GAME_BADGE_RESOLVED_100] = { "resolved_100",
		"Centurion", "Resolved 100 tickets" },
	[HELPDESK_GAME_BADGE_RESOLVED_1000] = { "resolved_1000",
		"Thousand club", "Resolved 1000 tickets" },
	[HELPDESK_GAME_BADGE_FIRST_CONTACT] = { "first_contact",
		"First contact", "Resolved a ticket with a single reply and "
		"no reopening" },
	[HELPDESK_GAME_BADGE_SLA_STREAK] = { "sla_streak",
		"On the clock", "Met 10 SLA deadlines in a row" },
	[HELPDESK_GAME_BADGE_SPEEDSTER] = { "speedster",
		"Speedster", "Gave 10 fast first replies" },
	[HELPDESK_GAME_BADGE_VIP_CARE] = { "vip_care",
		"VIP care", "Resolved a VIP's ticket" },
	[HELPDESK_GAME_BADGE_NIGHT_OWL] = { "night_owl",
		"Night owl", "Resolved a ticket between 22:00 and 06:00" },
	[HELPDESK_GAME_BADGE_WEEKEND_HERO] = { "weekend_hero",
		"Weekend hero", "Resolved a ticket on a Saturday or Sunday" },
	[HELPDESK_GAME_BADGE_TEAM_PLAYER] = { "team_player",
		"Team player", "Resolved a ticket a teammate escalated" },
	[HELPDESK_GAME_BADGE_FIVE_STAR] = { "five_star",
		"Five stars", "Got a customer rating of 5" },
	[HELPDESK_GAME_BADGE_TOP_OF_WEEK] = { "top_of_week",
		"Top of the week", "Earned the most points of the team in a "
		"week (once per week)" },
	[HELPDESK_GAME_BADGE_FIREFIGHTER] = { "firefighter",
		"Firefighter", "Resolved 5 escalated tickets" },
};

const char *helpdesk_game_rule_name(enum helpdesk_game_rule rule)
{
	i_assert(rule < HELPDESK_GAME_RULE_COUNT);
	return game_rule_names[rule];
}

static const char *game_key_name(unsigned int key)
{
	if (key < HELPDESK_GAME_RULE_COUNT)
		return game_rule_names[key];
	return game_extra_names[key - HELPDESK_GAME_RULE_COUNT];
}

/* "90", "90s", "30m", "1h", "7d" -> seconds, at most max */
static int game_parse_duration(const char *value, unsigned int max,
			       unsigned int *secs_r)
{
	const char *end;
	uintmax_t num, unit = 1;

	if (str_parse_uintmax(value, &num, &end) < 0)
		return -1;
	if (*end != '\0') {
		switch (*end) {
		case 's': unit = 1; break;
		case 'm': unit = 60; break;
		case 'h': unit = 3600; break;
		case 'd': unit = 86400; break;
		default: return -1;
		}
		if (end[1] != '\0')
			return -1;
	}
	if (num > max / unit)
		return -1;
	*secs_r = (unsigned int)(num * unit);
	return 0;
}

static int game_parse_points(const char *value, int *points_r)
{
	intmax_t num;

	if (str_to_intmax(value, &num) < 0 ||
	    num < -GAME_POINTS_MAX || num > GAME_POINTS_MAX)
		return -1;
	*points_r = (int)num;
	return 0;
}

static int game_rules_set(struct helpdesk_game_rules *rules, unsigned int key,
			  const char *value, const char **error_r)
{
	uintmax_t num;

	switch (key) {
	case GAME_KEY_DAILY_CAP:
		if (str_to_uintmax(value, &num) < 0 ||
		    num > GAME_DAILY_CAP_MAX) {
			*error_r = t_strdup_printf("daily_cap: '%s' is not a "
				"number from 0 to %u", value,
				GAME_DAILY_CAP_MAX);
			return -1;
		}
		rules->daily_cap = (unsigned int)num;
		return 0;
	case GAME_KEY_REOPEN_WINDOW:
		if (game_parse_duration(value, GAME_REOPEN_WINDOW_MAX,
					&rules->reopen_window_secs) < 0) {
			*error_r = t_strdup_printf("reopen_window: '%s' is not "
				"a duration up to 365d", value);
			return -1;
		}
		return 0;
	case GAME_KEY_FAST_WITHIN:
		if (game_parse_duration(value, GAME_FAST_WITHIN_MAX,
					&rules->fast_within_secs) < 0 ||
		    rules->fast_within_secs == 0) {
			*error_r = t_strdup_printf("fast_within: '%s' is not "
				"a duration from 1s to 30d", value);
			return -1;
		}
		return 0;
	default:
		break;
	}
	i_assert(key < HELPDESK_GAME_RULE_COUNT);
	if (game_parse_points(value, &rules->points[key]) < 0) {
		*error_r = t_strdup_printf("%s: '%s' is not a number of "
			"points from -%d to %d", game_rule_names[key], value,
			GAME_POINTS_MAX, GAME_POINTS_MAX);
		return -1;
	}
	return 0;
}

int helpdesk_game_rules_parse(const char *text,
			      const struct helpdesk_game_rules *base,
			      struct helpdesk_game_rules *rules_r,
			      const char **error_r)
{
	struct helpdesk_game_rules rules = *base;
	const char *const *items, *item, *eq, *name;
	bool seen[GAME_KEY_COUNT];
	unsigned int key;

	i_zero(&seen);
	items = t_strsplit_spaces(text, " ,\t");
	if (items[0] == NULL) {
		*error_r = "the rule table is empty";
		return -1;
	}
	for (; *items != NULL; items++) {
		item = *items;
		eq = strchr(item, '=');
		if (eq == NULL || eq == item || eq[1] == '\0') {
			*error_r = t_strdup_printf("'%s' is not key=value",
						   item);
			return -1;
		}
		name = t_strdup_until(item, eq);
		for (key = 0; key < GAME_KEY_COUNT; key++) {
			if (strcmp(game_key_name(key), name) == 0)
				break;
		}
		if (key == GAME_KEY_COUNT) {
			*error_r = t_strdup_printf("unknown rule '%s'", name);
			return -1;
		}
		if (seen[key]) {
			*error_r = t_strdup_printf("rule '%s' is given twice",
						   name);
			return -1;
		}
		seen[key] = TRUE;
		if (game_rules_set(&rules, key, eq + 1, error_r) < 0)
			return -1;
	}
	*rules_r = rules;
	return 0;
}

void helpdesk_game_rules_default(struct helpdesk_game_rules *rules_r)
{
	struct helpdesk_game_rules zero;
	const char *error;

	i_zero(&zero);
	if (helpdesk_game_rules_parse(HELPDESK_GAME_DEFAULT_RULES, &zero,
				      rules_r, &error) < 0)
		i_panic("helpdesk: default game rules: %s", error);
}

static const char *game_format_duration(unsigned int secs)
{
	if (secs % 86400 == 0 && secs > 0)
		return t_strdup_printf("%ud", secs / 86400);
	if (secs % 3600 == 0 && secs > 0)
		return t_strdup_printf("%uh", secs / 3600);
	if (secs % 60 == 0 && secs > 0)
		return t_strdup_printf("%um", secs / 60);
	return t_strdup_printf("%us", secs);
}

const char *helpdesk_game_rules_format(const struct helpdesk_game_rules *rules)
{
	string_t *str = t_str_new(256);
	unsigned int i;

	for (i = 0; i < HELPDESK_GAME_RULE_COUNT; i++)
		str_printfa(str, "%s=%d ", game_rule_names[i],
			    rules->points[i]);
	str_printfa(str, "daily_cap=%u reopen_window=%s fast_within=%s",
		    rules->daily_cap,
		    game_format_duration(rules->reopen_window_secs),
		    game_format_duration(rules->fast_within_secs));
	return str_c(str);
}

/* characters a name must not hold beyond ASCII: C1 controls, zero
   widths, direction marks and overrides, the byte order mark */
static bool game_char_is_hidden(unichar_t chr)
{
	return (chr >= 0x80 && chr <= 0x9f) ||
		(chr >= 0x200b && chr <= 0x200f) ||
		(chr >= 0x202a && chr <= 0x202e) ||
		(chr >= 0x2060 && chr <= 0x206f) || chr == 0xfeff;
}

static bool game_level_name_is_valid(const char *name)
{
	size_t len = strlen(name);
	const unsigned char *p = (const unsigned char *)name;
	unichar_t chr;
	bool alnum = FALSE;
	int n;

	if (len == 0 || len > GAME_LEVEL_NAME_MAX ||
	    name[0] == ' ' || name[len - 1] == ' ' ||
	    !uni_utf8_str_is_valid(name))
		return FALSE;
	while (*p != '\0') {
		if (*p < 0x80) {
			if (i_isalnum(*p))
				alnum = TRUE;
			else if (*p != ' ' && *p != '-' && *p != '\'')
				return FALSE;
			p++;
			continue;
		}
		n = uni_utf8_get_char((const char *)p, &chr);
		if (n <= 0 || game_char_is_hidden(chr))
			return FALSE;
		/* a UTF-8 letter (or symbol: no table of letters here) */
		alnum = TRUE;
		p += n;
	}
	return alnum;
}

int helpdesk_game_levels_parse(pool_t pool, const char *text,
			       struct helpdesk_game_levels *levels_r,
			       const char **error_r)
{
	struct helpdesk_game_levels levels;
	const char *const *items, *item, *colon, *name, *value;
	intmax_t threshold;
	unsigned int i, n = 0;

	i_zero(&levels);
	items = t_strsplit(text, ",");
	for (i = 0; items[i] != NULL; i++) {
		item = t_str_trim(items[i], " \t");
		if (*item == '\0' && items[i + 1] == NULL && i > 0)
			break;
		colon = strrchr(item, ':');
		if (colon == NULL) {
			*error_r = t_strdup_printf("level %u: '%s' is not "
				"Name:points", n + 1, item);
			return -1;
		}
		name = t_str_trim(t_strdup_until(item, colon), " \t");
		value = t_str_trim(colon + 1, " \t");
		if (!game_level_name_is_valid(name)) {
			*error_r = t_strdup_printf("level %u: '%s' is not a "
				"name (letters, digits, spaces, '-' and \"'\", "
				"up to %u bytes)", n + 1, name,
				GAME_LEVEL_NAME_MAX);
			return -1;
		}
		if (str_to_intmax(value, &threshold) < 0 || threshold < 0 ||
		    threshold > GAME_LEVEL_THRESHOLD_MAX) {
			*error_r = t_strdup_printf("level %u (%s): '%s' is not "
				"a number of points", n + 1, name, value);
			return -1;
		}
		if (n == HELPDESK_GAME_MAX_LEVELS) {
			*error_r = t_strdup_printf("more than %u levels",
						   HELPDESK_GAME_MAX_LEVELS);
			return -1;
		}
		if (n == 0 && threshold != 0) {
			*error_r = t_strdup_printf("the first level (%s) must "
						   "start at 0 points", name);
			return -1;
		}
		if (n > 0 && threshold <= levels.thresholds[n - 1]) {
			*error_r = t_strdup_printf("level %u (%s): %jd points "
				"is not more than the level before", n + 1,
				name, threshold);
			return -1;
		}
		for (unsigned int j = 0; j < n; j++) {
			if (strcasecmp(levels.names[j], name) == 0) {
				*error_r = t_strdup_printf("level name '%s' is "
					"given twice", name);
				return -1;
			}
		}
		levels.names[n] = name;
		levels.thresholds[n] = threshold;
		n++;
	}
	if (n < HELPDESK_GAME_MIN_LEVELS) {
		*error_r = t_strdup_printf("a level curve needs at least %u "
					   "levels", HELPDESK_GAME_MIN_LEVELS);
		return -1;
	}
	levels.count = n;
	for (i = 0; i < n; i++)
		levels.names[i] = p_strdup(pool, levels.names[i]);
	*levels_r = levels;
	return 0;
}

void helpdesk_game_levels_default(pool_t pool,
				  struct helpdesk_game_levels *levels_r)
{
	const char *error;

	if (helpdesk_game_levels_parse(pool, HELPDESK_GAME_DEFAULT_LEVELS,
				       levels_r, &error) < 0)
		i_panic("helpdesk: default game levels: %s", error);
}

const char *
helpdesk_game_levels_format(const struct helpdesk_game_levels *levels)
{
	string_t *str = t_str_new(256);
	unsigned int i;

	for (i = 0; i < levels->count; i++) {
		if (i > 0)
			str_append(str, ", ");
		str_printfa(str, "%s:%lld", levels->names[i],
			    (long long)levels->thresholds[i]);
	}
	return str_c(str);
}

unsigned int helpdesk_game_level_for(const struct helpdesk_game_levels *levels,
				     int64_t peak)
{
	unsigned int level = 1;

	while (level < levels->count && peak >= levels->thresholds[level])
		level++;
	return level;
}

const char *helpdesk_game_level_name(const struct helpdesk_game_levels *levels,
				     unsigned int level)
{
	i_assert(levels->count > 0);
	if (level == 0)
		level = 1;
	if (level > levels->count)
		level = levels->count;
	return levels->names[level - 1];
}

int64_t helpdesk_game_points_to_next(const struct helpdesk_game_levels *levels,
				     unsigned int level, int64_t peak)
{
	if (level >= levels->count)
		return 0;
	if (level == 0)
		level = 1;
	return levels->thresholds[level] > peak ?
		levels->thresholds[level] - peak : 0;
}

const char *helpdesk_game_time_str(int64_t t)
{
	struct tm tm;
	time_t tt = (time_t)t;

	if (gmtime_r(&tt, &tm) == NULL)
		return "";
	return t_strdup_printf("%04d-%02d-%02dT%02d:%02d:%02dZ",
			       tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
			       tm.tm_hour, tm.tm_min, tm.tm_sec);
}

const char *helpdesk_game_badge_key(enum helpdesk_game_badge badge)
{
	i_assert(badge < HELPDESK_GAME_BADGE_COUNT);
	return game_badges[badge].key;
}

const char *helpdesk_game_badge_title(enum helpdesk_game_badge badge)
{
	i_assert(badge < HELPDESK_GAME_BADGE_COUNT);
	return game_badges[badge].title;
}

const char *helpdesk_game_badge_description(enum helpdesk_game_badge badge)
{
	i_assert(badge < HELPDESK_GAME_BADGE_COUNT);
	return game_badges[badge].description;
}

bool helpdesk_game_badge_lookup(const char *key,
				enum helpdesk_game_badge *badge_r)
{
	unsigned int i;

	for (i = 0; i < HELPDESK_GAME_BADGE_COUNT; i++) {
		if (strcmp(game_badges[i].key, key) == 0) {
			*badge_r = i;
			return TRUE;
		}
	}
	return FALSE;
}

bool helpdesk_game_badge_for_resolved(unsigned int count,
				      enum helpdesk_game_badge *badge_r)
{
	switch (count) {
	case 1:
		*badge_r = HELPDESK_GAME_BADGE_FIRST_TICKET;
		return TRUE;
	case 10:
		*badge_r = HELPDESK_GAME_BADGE_RESOLVED_10;
		return TRUE;
	case 100:
		*badge_r = HELPDESK_GAME_BADGE_RESOLVED_100;
		return TRUE;
	case 1000:
		*badge_r = HELPDESK_GAME_BADGE_RESOLVED_1000;
		return TRUE;
	}
	return FALSE;
}

bool helpdesk_game_is_night(const struct tm *tm)
{
	return tm->tm_hour >= 22 || tm->tm_hour < 6;
}

bool helpdesk_game_is_weekend(const struct tm *tm)
{
	return tm->tm_wday == 0 || tm->tm_wday == 6;
}

static const char *const game_period_names[] = {
	[HELPDESK_GAME_PERIOD_DAY] = "day",
	[HELPDESK_GAME_PERIOD_WEEK] = "week",
	[HELPDESK_GAME_PERIOD_MONTH] = "month",
	[HELPDESK_GAME_PERIOD_ALL] = "all",
};

const char *helpdesk_game_period_name(enum helpdesk_game_period period)
{
	i_assert(period <= HELPDESK_GAME_PERIOD_ALL);
	return game_period_names[period];
}

bool helpdesk_game_period_parse(const char *name,
				enum helpdesk_game_period *period_r)
{
	unsigned int i;

	for (i = 0; i < N_ELEMENTS(game_period_names); i++) {
		if (strcmp(game_period_names[i], name) == 0) {
			*period_r = i;
			return TRUE;
		}
	}
	return FALSE;
}

static bool game_is_leap(int year)
{
	return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
}

/* ISO 8601 week number and its year from a broken-down date */
static void game_iso_week(const struct tm *tm, int *year_r, int *week_r)
{
	int year = tm->tm_year + 1900;
	/* Monday = 0 */
	int wday = (tm->tm_wday + 6) % 7;
	/* the Thursday of this week decides the year */
	int thursday_yday = tm->tm_yday - wday + 3;
	int days_in_year = game_is_leap(year) ? 366 : 365;

	if (thursday_yday < 0) {
		year--;
		thursday_yday += game_is_leap(year) ? 366 : 365;
	} else if (thursday_yday >= days_in_year) {
		thursday_yday -= days_in_year;
		year++;
	}
	*year_r = year;
	*week_r = thursday_yday / 7 + 1;
}

const char *helpdesk_game_period_key(enum helpdesk_game_period period,
				     const struct tm *tm)
{
	int year, week;

	switch (period) {
	case HELPDESK_GAME_PERIOD_DAY:
		return t_strdup_printf("%04d-%02d-%02d", tm->tm_year + 1900,
				       tm->tm_mon + 1, tm->tm_mday);
	case HELPDESK_GAME_PERIOD_WEEK:
		game_iso_week(tm, &year, &week);
		return t_strdup_printf("%04d-W%02d", year, week);
	case HELPDESK_GAME_PERIOD_MONTH:
		return t_strdup_printf("%04d-%02d", tm->tm_year + 1900,
				       tm->tm_mon + 1);
	case HELPDESK_GAME_PERIOD_ALL:
		return "";
	}
	i_unreached();
}

const char *helpdesk_game_period_prev_key(enum helpdesk_game_period period,
					  const struct tm *tm)
{
	struct tm date;
	time_t t;

	/* noon of the date, moved by whole days or months in UTC, where
	   every day has 24 hours */
	i_zero(&date);
	date.tm_year = tm->tm_year;
	date.tm_mon = tm->tm_mon;
	date.tm_mday = tm->tm_mday;
	date.tm_hour = 12;
	switch (period) {
	case HELPDESK_GAME_PERIOD_DAY:
		date.tm_mday -= 1;
		break;
	case HELPDESK_GAME_PERIOD_WEEK:
		date.tm_mday -= 7;
		break;
	case HELPDESK_GAME_PERIOD_MONTH:
		date.tm_mday = 1;
		date.tm_mon -= 1;
		break;
	case HELPDESK_GAME_PERIOD_ALL:
		return "";
	}
	t = timegm(&date);
	if (gmtime_r(&t, &date) == NULL)
		return "";
	return helpdesk_game_period_key(period, &date);
}
