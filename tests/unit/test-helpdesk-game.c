/* Copyright (c) 2026 dovecot-helpdesk authors, see the included COPYING file */

/* The game's pure parts: the rule table, the level curve, the badges, the
   leaderboard periods (ISO weeks, in a team's time zone) and the JSON of
   the METADATA entries (checked by a small strict JSON reader). */

#include "lib.h"
#include "str.h"
#include "array.h"
#include "unichar.h"
#include "iso8601-date.h"
#include "test-common.h"
#include "helpdesk-calendar.h"
#include "helpdesk-game.h"
#include "helpdesk-game-json.h"

#include <ctype.h>
#include <stdlib.h>
#include <time.h>

#define DAY 86400

/* the rules' fields by number: the points of each rule, then these */
#define F_DAILY_CAP HELPDESK_GAME_RULE_COUNT
#define F_REOPEN (HELPDESK_GAME_RULE_COUNT + 1)
#define F_FAST (HELPDESK_GAME_RULE_COUNT + 2)
#define F_COUNT (HELPDESK_GAME_RULE_COUNT + 3)

static int64_t test_rules_field(const struct helpdesk_game_rules *rules,
				unsigned int field)
{
	switch (field) {
	case F_DAILY_CAP:
		return rules->daily_cap;
	case F_REOPEN:
		return rules->reopen_window_secs;
	case F_FAST:
		return rules->fast_within_secs;
	}
	i_assert(field < HELPDESK_GAME_RULE_COUNT);
	return rules->points[field];
}

static bool test_rules_equal(const struct helpdesk_game_rules *a,
			     const struct helpdesk_game_rules *b)
{
	unsigned int field;

	for (field = 0; field < F_COUNT; field++) {
		if (test_rules_field(a, field) != test_rules_field(b, field))
			return FALSE;
	}
	return TRUE;
}

/* a struct no parse gives: a refusal must leave it so */
static void test_rules_sentinel(struct helpdesk_game_rules *rules_r)
{
	unsigned int i;

	for (i = 0; i < HELPDESK_GAME_RULE_COUNT; i++)
		rules_r->points[i] = 7777 + (int)i;
	rules_r->daily_cap = 888888;
	rules_r->reopen_window_secs = 999999999;
	rules_r->fast_within_secs = 0;
}

/* The broken-down UTC date of y-mo-d h:mi with tm_wday and tm_yday set
   (built without the code under test; fields out of range are
   normalized: day 0 is the last day of the month before). */
static struct tm test_tm(int y, int mo, int d, int h, int mi)
{
	struct tm tm;
	time_t t;

	i_zero(&tm);
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	t = timegm(&tm);
	if (gmtime_r(&t, &tm) == NULL)
		i_unreached();
	return tm;
}

static time_t test_utc(int y, int mo, int d, int h, int mi)
{
	struct tm tm = test_tm(y, mo, d, h, mi);

	return timegm(&tm);
}

/* n times c (data stack) */
static const char *test_fill(size_t n, char c)
{
	char *str = t_malloc0(n + 1);

	memset(str, c, n);
	return str;
}

/* n times text (data stack) */
static const char *test_repeat(const char *text, unsigned int n)
{
	string_t *str = t_str_new(strlen(text) * n + 1);

	while (n-- > 0)
		str_append(str, text);
	return str_c(str);
}

/* "L1:0, L2:10, ..." with n levels (data stack) */
static const char *test_levels_text(unsigned int n)
{
	string_t *str = t_str_new(16 * n);
	unsigned int i;

	for (i = 0; i < n; i++)
		str_printfa(str, "%sL%u:%u", i == 0 ? "" : ", ", i + 1, i * 10);
	return str_c(str);
}

/*
 * Rules
 */

static void test_game_rules_default(void)
{
	static const struct {
		enum helpdesk_game_rule rule;
		const char *name;
		int points;
	} tests[] = {
		{ HELPDESK_GAME_RULE_RESOLVE, "resolve", 10 },
		{ HELPDESK_GAME_RULE_FIRST_REPLY, "first_reply", 2 },
		{ HELPDESK_GAME_RULE_FAST_REPLY, "fast_reply", 3 },
		{ HELPDESK_GAME_RULE_SLA_MET, "sla_met", 2 },
		{ HELPDESK_GAME_RULE_SLA_BREACHED, "sla_breached", -5 },
		{ HELPDESK_GAME_RULE_RATING_GOOD, "rating_good", 5 },
		{ HELPDESK_GAME_RULE_RATING_BAD, "rating_bad", -3 },
		{ HELPDESK_GAME_RULE_ESCALATION, "escalation", 5 },
	};
	struct helpdesk_game_rules rules;
	unsigned int i;

	test_begin("helpdesk game rules default");
	test_assert(N_ELEMENTS(tests) == HELPDESK_GAME_RULE_COUNT);
	test_rules_sentinel(&rules);
	helpdesk_game_rules_default(&rules);
	for (i = 0; i < N_ELEMENTS(tests); i++) {
		test_assert_strcmp_idx(helpdesk_game_rule_name(tests[i].rule),
				       tests[i].name, i);
		test_assert_idx(rules.points[tests[i].rule] ==
				tests[i].points, i);
	}
	test_assert(rules.daily_cap == 150);
	test_assert(rules.reopen_window_secs == 7 * DAY);
	test_assert(rules.fast_within_secs == 3600);
	test_assert_strcmp(helpdesk_game_rules_format(&rules),
		"resolve=10 first_reply=2 fast_reply=3 sla_met=2 "
		"sla_breached=-5 rating_good=5 rating_bad=-3 escalation=5 "
		"daily_cap=150 reopen_window=7d fast_within=1h");
	test_end();
}

static void test_game_rules_parse(void)
{
	/* one key over the defaults: that field changes, no other */
	static const struct {
		const char *text;
		unsigned int field;
		int64_t value;
	} tests[] = {
		{ "resolve=20", HELPDESK_GAME_RULE_RESOLVE, 20 },
		{ "first_reply=0", HELPDESK_GAME_RULE_FIRST_REPLY, 0 },
		{ "fast_reply=-1", HELPDESK_GAME_RULE_FAST_REPLY, -1 },
		{ "sla_met=1000", HELPDESK_GAME_RULE_SLA_MET, 1000 },
		{ "sla_breached=-1000", HELPDESK_GAME_RULE_SLA_BREACHED,
		  -1000 },
		{ "rating_good=7", HELPDESK_GAME_RULE_RATING_GOOD, 7 },
		{ "rating_bad=-7", HELPDESK_GAME_RULE_RATING_BAD, -7 },
		{ "escalation=999", HELPDESK_GAME_RULE_ESCALATION, 999 },
		{ "daily_cap=0", F_DAILY_CAP, 0 },
		{ "daily_cap=42", F_DAILY_CAP, 42 },
		{ "daily_cap=100000", F_DAILY_CAP, 100000 },
		{ "reopen_window=90s", F_REOPEN, 90 },
		{ "reopen_window=30m", F_REOPEN, 1800 },
		{ "reopen_window=1h", F_REOPEN, 3600 },
		{ "reopen_window=7d", F_REOPEN, 7 * DAY },
		{ "reopen_window=3600", F_REOPEN, 3600 },
		{ "reopen_window=0", F_REOPEN, 0 },
		{ "reopen_window=0d", F_REOPEN, 0 },
		{ "reopen_window=365d", F_REOPEN, 365 * DAY },
		{ "reopen_window=31536000", F_REOPEN, 365 * DAY },
		{ "reopen_window=8760h", F_REOPEN, 365 * DAY },
		{ "fast_within=1s", F_FAST, 1 },
		{ "fast_within=1", F_FAST, 1 },
		{ "fast_within=90s", F_FAST, 90 },
		{ "fast_within=30m", F_FAST, 1800 },
		{ "fast_within=30d", F_FAST, 30 * DAY },
		{ "fast_within=2592000", F_FAST, 30 * DAY },
		{ "fast_within=43200m", F_FAST, 30 * DAY },
		/* spaces, tabs and commas between, around too */
		{ " ,resolve=3, ", HELPDESK_GAME_RULE_RESOLVE, 3 },
		{ "\tresolve=3\t", HELPDESK_GAME_RULE_RESOLVE, 3 },
	};
	struct helpdesk_game_rules base, rules;
	const char *error;
	unsigned int i, field;

	test_begin("helpdesk game rules parse");
	helpdesk_game_rules_default(&base);
	for (i = 0; i < N_ELEMENTS(tests); i++) {
		test_rules_sentinel(&rules);
		error = NULL;
		test_assert_idx(helpdesk_game_rules_parse(tests[i].text, &base,
					&rules, &error) == 0, i);
		test_assert_idx(error == NULL, i);
		for (field = 0; field < F_COUNT; field++) {
			test_assert_idx(test_rules_field(&rules, field) ==
				(field == tests[i].field ? tests[i].value :
				 test_rules_field(&base, field)), i);
		}
	}
	test_end();
}

/* Several keys at once, over a base that is not the defaults, and the
   same struct as base and result. */
static void test_game_rules_parse_base(void)
{
	struct helpdesk_game_rules base, rules, expect;
	const char *error;
	unsigned int i;

	test_begin("helpdesk game rules parse over a base");
	for (i = 0; i < HELPDESK_GAME_RULE_COUNT; i++)
		base.points[i] = 100 + (int)i;
	base.daily_cap = 7;
	base.reopen_window_secs = 11;
	base.fast_within_secs = 13;

	expect = base;
	expect.points[HELPDESK_GAME_RULE_SLA_BREACHED] = -9;
	expect.points[HELPDESK_GAME_RULE_ESCALATION] = 0;
	expect.fast_within_secs = 120;
	test_rules_sentinel(&rules);
	test_assert(helpdesk_game_rules_parse(
		"sla_breached=-9,escalation=0 fast_within=2m", &base, &rules,
		&error) == 0);
	test_assert(test_rules_equal(&rules, &expect));
	/* the base itself is not touched */
	test_assert(base.points[HELPDESK_GAME_RULE_SLA_BREACHED] == 104 &&
		    base.fast_within_secs == 13);

	/* every key: nothing of the base is left */
	test_rules_sentinel(&rules);
	test_assert(helpdesk_game_rules_parse(HELPDESK_GAME_DEFAULT_RULES,
					      &base, &rules, &error) == 0);
	helpdesk_game_rules_default(&expect);
	test_assert(test_rules_equal(&rules, &expect));

	/* base and result the same struct */
	rules = base;
	test_assert(helpdesk_game_rules_parse("daily_cap=5", &rules, &rules,
					      &error) == 0);
	test_assert(rules.daily_cap == 5 && rules.points[0] == 100 &&
		    rules.reopen_window_secs == 11);
	rules = base;
	test_assert(helpdesk_game_rules_parse("resolve=1 daily_cap=x", &rules,
					      &rules, &error) < 0);
	test_assert(test_rules_equal(&rules, &base));
	test_end();
}

static void test_game_rules_parse_errors(void)
{
	static const struct {
		const char *text, *key, *error;
	} tests[] = {
		/* points out of range or not numbers */
		{ "resolve=1001", "resolve",
		  "resolve: '1001' is not a number of points from -1000 to "
		  "1000" },
		{ "resolve=-1001", "resolve",
		  "resolve: '-1001' is not a number of points from -1000 to "
		  "1000" },
		{ "rating_bad=99999999999999999999", "rating_bad",
		  "rating_bad: '99999999999999999999' is not a number of "
		  "points from -1000 to 1000" },
		{ "sla_met=1.5", "sla_met",
		  "sla_met: '1.5' is not a number of points from -1000 to "
		  "1000" },
		{ "first_reply=two", "first_reply",
		  "first_reply: 'two' is not a number of points from -1000 to "
		  "1000" },
		{ "escalation=--1", "escalation",
		  "escalation: '--1' is not a number of points from -1000 to "
		  "1000" },
		{ "resolve==5", "resolve",
		  "resolve: '=5' is not a number of points from -1000 to "
		  "1000" },
		{ "fast_reply=5s", "fast_reply",
		  "fast_reply: '5s' is not a number of points from -1000 to "
		  "1000" },
		/* the cap */
		{ "daily_cap=100001", "daily_cap",
		  "daily_cap: '100001' is not a number from 0 to 100000" },
		{ "daily_cap=-1", "daily_cap",
		  "daily_cap: '-1' is not a number from 0 to 100000" },
		{ "daily_cap=18446744073709551616", "daily_cap",
		  "daily_cap: '18446744073709551616' is not a number from 0 to "
		  "100000" },
		{ "daily_cap=1d", "daily_cap",
		  "daily_cap: '1d' is not a number from 0 to 100000" },
		/* durations */
		{ "reopen_window=366d", "reopen_window",
		  "reopen_window: '366d' is not a duration up to 365d" },
		{ "reopen_window=31536001", "reopen_window",
		  "reopen_window: '31536001' is not a duration up to 365d" },
		{ "reopen_window=8761h", "reopen_window",
		  "reopen_window: '8761h' is not a duration up to 365d" },
		{ "reopen_window=1h5m", "reopen_window",
		  "reopen_window: '1h5m' is not a duration up to 365d" },
		{ "reopen_window=1hh", "reopen_window",
		  "reopen_window: '1hh' is not a duration up to 365d" },
		{ "reopen_window=5w", "reopen_window",
		  "reopen_window: '5w' is not a duration up to 365d" },
		{ "reopen_window=1H", "reopen_window",
		  "reopen_window: '1H' is not a duration up to 365d" },
		{ "reopen_window=h", "reopen_window",
		  "reopen_window: 'h' is not a duration up to 365d" },
		{ "reopen_window=-1h", "reopen_window",
		  "reopen_window: '-1h' is not a duration up to 365d" },
		{ "reopen_window=1.5h", "reopen_window",
		  "reopen_window: '1.5h' is not a duration up to 365d" },
		{ "reopen_window=99999999999999999999s", "reopen_window",
		  "reopen_window: '99999999999999999999s' is not a duration up "
		  "to 365d" },
		{ "reopen_window=18446744073709551615d", "reopen_window",
		  "reopen_window: '18446744073709551615d' is not a duration up "
		  "to 365d" },
		{ "fast_within=0", "fast_within",
		  "fast_within: '0' is not a duration from 1s to 30d" },
		{ "fast_within=0m", "fast_within",
		  "fast_within: '0m' is not a duration from 1s to 30d" },
		{ "fast_within=31d", "fast_within",
		  "fast_within: '31d' is not a duration from 1s to 30d" },
		{ "fast_within=2592001", "fast_within",
		  "fast_within: '2592001' is not a duration from 1s to 30d" },
		{ "fast_within=4294967296", "fast_within",
		  "fast_within: '4294967296' is not a duration from 1s to "
		  "30d" },
		/* unknown keys (names are case-sensitive) */
		{ "bogus=1", "bogus", "unknown rule 'bogus'" },
		{ "Resolve=1", "Resolve", "unknown rule 'Resolve'" },
		{ "resolve_retracted=1", "resolve_retracted",
		  "unknown rule 'resolve_retracted'" },
		/* twice */
		{ "resolve=1 resolve=2", "resolve",
		  "rule 'resolve' is given twice" },
		{ "daily_cap=1,daily_cap=1", "daily_cap",
		  "rule 'daily_cap' is given twice" },
		/* not key=value */
		{ "resolve", "resolve", "'resolve' is not key=value" },
		{ "resolve=", "resolve", "'resolve=' is not key=value" },
		{ "=5", "=5", "'=5' is not key=value" },
		{ "reopen_window=1 h", "h", "'h' is not key=value" },
		{ "resolve = 5", "resolve", "'resolve' is not key=value" },
		/* empty */
		{ "", NULL, "the rule table is empty" },
		{ "   ", NULL, "the rule table is empty" },
		{ " , ,\t", NULL, "the rule table is empty" },
		/* a good key before the bad one changes nothing either */
		{ "resolve=5 escalation=5000", "escalation",
		  "escalation: '5000' is not a number of points from -1000 to "
		  "1000" },
		{ "resolve=5 daily_cap=1 nope=1", "nope",
		  "unknown rule 'nope'" },
	};
	struct helpdesk_game_rules base, rules, sentinel;
	const char *error;
	unsigned int i;

	test_begin("helpdesk game rules parse errors");
	helpdesk_game_rules_default(&base);
	test_rules_sentinel(&sentinel);
	for (i = 0; i < N_ELEMENTS(tests); i++) {
		rules = sentinel;
		error = NULL;
		test_assert_idx(helpdesk_game_rules_parse(tests[i].text, &base,
					&rules, &error) < 0, i);
		test_assert_strcmp_idx(error, tests[i].error, i);
		test_assert_idx(tests[i].key == NULL ||
				(error != NULL &&
				 strstr(error, tests[i].key) != NULL), i);
		test_assert_idx(test_rules_equal(&rules, &sentinel), i);
	}
	test_end();
}

static void test_game_rules_round_trip(void)
{
	static const struct {
		const char *text, *formatted;
	} tests[] = {
		{ HELPDESK_GAME_DEFAULT_RULES,
		  "resolve=10 first_reply=2 fast_reply=3 sla_met=2 "
		  "sla_breached=-5 rating_good=5 rating_bad=-3 escalation=5 "
		  "daily_cap=150 reopen_window=7d fast_within=1h" },
		{ "resolve=-1000 first_reply=1000 reopen_window=0 "
		  "fast_within=1 daily_cap=0",
		  "resolve=-1000 first_reply=1000 fast_reply=3 sla_met=2 "
		  "sla_breached=-5 rating_good=5 rating_bad=-3 escalation=5 "
		  "daily_cap=0 reopen_window=0s fast_within=1s" },
		{ "reopen_window=90 fast_within=59",
		  NULL },
		{ "reopen_window=3601 fast_within=7200", NULL },
		{ "reopen_window=86460 fast_within=30d", NULL },
		{ "reopen_window=365d fast_within=2592000 daily_cap=100000",
		  NULL },
		{ "reopen_window=120s fast_within=172800", NULL },
	};
	struct helpdesk_game_rules defaults, other, rules, again;
	const char *error, *text;
	unsigned int i;

	test_begin("helpdesk game rules format and parse again");
	helpdesk_game_rules_default(&defaults);
	test_rules_sentinel(&other);
	other.fast_within_secs = 1;
	for (i = 0; i < N_ELEMENTS(tests); i++) {
		test_assert_idx(helpdesk_game_rules_parse(tests[i].text,
					&defaults, &rules, &error) == 0, i);
		text = helpdesk_game_rules_format(&rules);
		if (tests[i].formatted != NULL)
			test_assert_strcmp_idx(text, tests[i].formatted, i);
		/* the format names every key: any base gives the same */
		test_assert_idx(helpdesk_game_rules_parse(text, &other, &again,
							  &error) == 0, i);
		test_assert_idx(test_rules_equal(&rules, &again), i);
		test_assert_strcmp_idx(helpdesk_game_rules_format(&again), text,
				       i);
	}
	test_end();
}

/*
 * Levels
 */

static void test_game_levels_default(void)
{
	struct helpdesk_game_levels levels;
	pool_t pool = pool_alloconly_create("test game levels", 1024);
	unsigned int i;

	test_begin("helpdesk game levels default");
	helpdesk_game_levels_default(pool, &levels);
	test_assert(levels.count >= 10);
	test_assert(levels.count <= HELPDESK_GAME_MAX_LEVELS);
	test_assert(levels.thresholds[0] == 0);
	for (i = 1; i < levels.count; i++)
		test_assert_idx(levels.thresholds[i] >
				levels.thresholds[i - 1], i);
	for (i = 0; i < levels.count; i++)
		test_assert_idx(levels.names[i] != NULL &&
				*levels.names[i] != '\0', i);
	test_assert_strcmp(levels.names[0], "Novice");
	test_assert_strcmp(helpdesk_game_levels_format(&levels),
			   HELPDESK_GAME_DEFAULT_LEVELS);
	test_end();
	pool_unref(&pool);
}

static void test_game_levels_parse(void)
{
	static const struct {
		const char *text;
		unsigned int count;
		const char *formatted, *last_name;
		int64_t last_threshold;
	} tests[] = {
		{ "A:0, B:10", 2, "A:0, B:10", "B", 10 },
		{ "A:0,B:10", 2, "A:0, B:10", "B", 10 },
		/* a trailing comma, spaces and tabs around */
		{ "A:0, B:10,", 2, "A:0, B:10", "B", 10 },
		{ " A : 0 ,\tB\t:\t10 , ", 2, "A:0, B:10", "B", 10 },
		/* digits, spaces, '-' and '\'' */
		{ "Level 1:0, Jack-of-all-trades:5, Rock 'n' Roll 2:9", 3,
		  "Level 1:0, Jack-of-all-trades:5, Rock 'n' Roll 2:9",
		  "Rock 'n' Roll 2", 9 },
		/* UTF-8 */
		{ "D\xc3\xa9" "butant:0, \xc3\x89l\xc3\xa8ve:10, "
		  "\xd0\x9c\xd0\xb0\xd1\x81\xd1\x82\xd0\xb5\xd1\x80:20, "
		  "\xe5\x90\x8d\xe4\xba\xba:30", 4,
		  "D\xc3\xa9" "butant:0, \xc3\x89l\xc3\xa8ve:10, "
		  "\xd0\x9c\xd0\xb0\xd1\x81\xd1\x82\xd0\xb5\xd1\x80:20, "
		  "\xe5\x90\x8d\xe4\xba\xba:30",
		  "\xe5\x90\x8d\xe4\xba\xba", 30 },
		/* the highest threshold */
		{ "A:0, B:100000000", 2, "A:0, B:100000000", "B", 100000000 },
		/* leading zeros */
		{ "A:0, B:007", 2, "A:0, B:7", "B", 7 },
	};
	struct helpdesk_game_levels levels;
	pool_t pool = pool_alloconly_create("test game levels", 1024);
	const char *error;
	unsigned int i;

	test_begin("helpdesk game levels parse");
	for (i = 0; i < N_ELEMENTS(tests); i++) {
		error = NULL;
		test_assert_idx(helpdesk_game_levels_parse(pool, tests[i].text,
					&levels, &error) == 0, i);
		test_assert_idx(error == NULL, i);
		test_assert_idx(levels.count == tests[i].count, i);
		test_assert_strcmp_idx(helpdesk_game_levels_format(&levels),
				       tests[i].formatted, i);
		test_assert_strcmp_idx(levels.names[levels.count - 1],
				       tests[i].last_name, i);
		test_assert_idx(levels.thresholds[levels.count - 1] ==
				tests[i].last_threshold, i);
	}

	/* a name of 32 bytes, and 50 levels */
	test_assert(helpdesk_game_levels_parse(pool, t_strconcat(
		test_fill(32, 'x'), ":0, B:1", NULL), &levels, &error) == 0);
	test_assert(levels.count == 2 && strlen(levels.names[0]) == 32);
	test_assert(helpdesk_game_levels_parse(pool,
		test_levels_text(HELPDESK_GAME_MAX_LEVELS), &levels,
		&error) == 0);
	test_assert(levels.count == HELPDESK_GAME_MAX_LEVELS);
	test_assert_strcmp(levels.names[HELPDESK_GAME_MAX_LEVELS - 1], "L50");
	test_assert(levels.thresholds[HELPDESK_GAME_MAX_LEVELS - 1] == 490);

	/* the names are the pool's, not the data stack's */
	T_BEGIN {
		test_assert(helpdesk_game_levels_parse(pool,
			t_strdup("Alpha:0, Beta:5"), &levels, &error) == 0);
	} T_END;
	T_BEGIN {
		(void)t_strdup(test_fill(256, 'z'));
	} T_END;
	test_assert_strcmp(levels.names[0], "Alpha");
	test_assert_strcmp(levels.names[1], "Beta");
	test_end();
	pool_unref(&pool);
}

static void test_game_levels_parse_errors(void)
{
	static const char *const bad_name =
		"is not a name (letters, digits, spaces, '-' and \"'\", up to "
		"32 bytes)";
	static const struct {
		const char *text, *error;
	} tests[] = {
		{ "A:5, B:10", "the first level (A) must start at 0 points" },
		{ "A:1, B:10", "the first level (A) must start at 0 points" },
		{ "A:0, B:10, C:5",
		  "level 3 (C): 5 points is not more than the level before" },
		{ "A:0, B:10, C:10",
		  "level 3 (C): 10 points is not more than the level before" },
		{ "A:0, B:0",
		  "level 2 (B): 0 points is not more than the level before" },
		/* duplicate names, in any case */
		{ "A:0, B:10, A:20", "level name 'A' is given twice" },
		{ "Pro:0, B:10, pRO:20", "level name 'pRO' is given twice" },
		/* bad names */
		{ "A<b:0, B:1", NULL },
		{ "A:0, <script>:1", NULL },
		{ ":0, B:1", NULL },
		{ "A:0, :1", NULL },
		{ "A\tB:0, C:1", NULL },
		{ "A_B:0, C:1", NULL },
		{ "A~B:0, C:1", NULL },
		{ "A:0, {B}:1", NULL },
		{ "A|B:0, C:1", NULL },
		{ "A\x7f:0, C:1", NULL },
		{ "A\"B:0, C:1", NULL },
		{ "A:b:0, C:1", NULL },
		{ "\xff:0, B:1", NULL },
		{ "caf\xc3:0, B:1", NULL },
		/* hidden characters, and names of punctuation only */
		{ "A:0, \xc2\x85:1", NULL },
		{ "A:0, x\xe2\x80\xae" "evil:1", NULL },
		{ "A:0, \xef\xbb\xbf:1", NULL },
		{ "A:0, x\xe2\x80\x8b" "y:1", NULL },
		{ "A:0, ---:1", NULL },
		{ "A:0, ' - ':1", NULL },
		/* too few, too many */
		{ "A:0", "a level curve needs at least 2 levels" },
		{ "A:0,", "a level curve needs at least 2 levels" },
		/* thresholds */
		{ "A:0, B:ten",
		  "level 2 (B): 'ten' is not a number of points" },
		{ "A:0, B:-5", "level 2 (B): '-5' is not a number of points" },
		{ "A:0, B:1.5",
		  "level 2 (B): '1.5' is not a number of points" },
		{ "A:0, B:100000001",
		  "level 2 (B): '100000001' is not a number of points" },
		{ "A:0, B:99999999999999999999",
		  "level 2 (B): '99999999999999999999' is not a number of "
		  "points" },
		{ "A:0, B:", "level 2 (B): '' is not a number of points" },
		{ "A:0, B:1 2",
		  "level 2 (B): '1 2' is not a number of points" },
		/* not Name:points */
		{ "A:0, B", "level 2: 'B' is not Name:points" },
		{ "", "a level curve needs at least 2 levels" },
		{ " ", "level 1: '' is not Name:points" },
		{ ",", "level 1: '' is not Name:points" },
		{ "A:0,,B:5", "level 2: '' is not Name:points" },
		{ "A:0, B:5, ,", "level 3: '' is not Name:points" },
	};
	struct helpdesk_game_levels levels, sentinel;
	pool_t pool = pool_alloconly_create("test game levels", 1024);
	const char *error, *long_name;
	unsigned int i;

	test_begin("helpdesk game levels parse errors");
	i_zero(&sentinel);
	sentinel.count = 12345;
	sentinel.names[0] = "untouched";
	sentinel.thresholds[0] = -42;
	for (i = 0; i < N_ELEMENTS(tests); i++) {
		levels = sentinel;
		error = NULL;
		test_assert_idx(helpdesk_game_levels_parse(pool, tests[i].text,
					&levels, &error) < 0, i);
		if (tests[i].error != NULL)
			test_assert_strcmp_idx(error, tests[i].error, i);
		else {
			test_assert_idx(error != NULL &&
					strstr(error, bad_name) != NULL, i);
		}
		test_assert_idx(levels.count == sentinel.count &&
				levels.names[0] == sentinel.names[0] &&
				levels.thresholds[0] == -42, i);
	}

	/* the bad name's error in full */
	test_assert(helpdesk_game_levels_parse(pool, "A:0, B<:1", &levels,
					       &error) < 0);
	test_assert_strcmp(error, t_strdup_printf("level 2: 'B<' %s",
						  bad_name));
	/* 33 bytes */
	long_name = test_fill(33, 'x');
	test_assert(helpdesk_game_levels_parse(pool, t_strconcat("A:0, ",
		long_name, ":1", NULL), &levels, &error) < 0);
	test_assert_strcmp(error, t_strdup_printf("level 2: '%s' %s",
						  long_name, bad_name));
	/* 17 two-byte letters: 34 bytes */
	test_assert(helpdesk_game_levels_parse(pool, t_strconcat("A:0, ",
		test_repeat("\xc3\xa9", 17), ":1", NULL), &levels, &error) < 0);
	test_assert(strstr(error, bad_name) != NULL);
	/* 51 levels */
	levels = sentinel;
	test_assert(helpdesk_game_levels_parse(pool,
		test_levels_text(HELPDESK_GAME_MAX_LEVELS + 1), &levels,
		&error) < 0);
	test_assert_strcmp(error, "more than 50 levels");
	test_assert(levels.count == sentinel.count);
	test_end();
	pool_unref(&pool);
}

static void test_game_level_for(void)
{
	static const struct {
		int64_t peak;
		unsigned int level;
		int64_t to_next;
	} tests[] = {
		{ INT64_MIN, 1, 0 },
		{ -100, 1, 150 },
		{ -1, 1, 51 },
		{ 0, 1, 50 },
		{ 49, 1, 1 },
		{ 50, 2, 100 },
		{ 51, 2, 99 },
		{ 149, 2, 1 },
		{ 150, 3, 150 },
		{ 3599, 9, 1 },
		{ 3600, 10, 1400 },
		{ 4999, 10, 1 },
		{ 5000, 11, 0 },
		{ 5001, 11, 0 },
		{ 1000000, 11, 0 },
		{ INT64_MAX, 11, 0 },
	};
	struct helpdesk_game_levels levels;
	pool_t pool = pool_alloconly_create("test game levels", 1024);
	unsigned int i, level;

	test_begin("helpdesk game level for a peak");
	helpdesk_game_levels_default(pool, &levels);
	test_assert(levels.count == 11);
	for (i = 0; i < N_ELEMENTS(tests); i++) {
		level = helpdesk_game_level_for(&levels, tests[i].peak);
		test_assert_idx(level == tests[i].level, i);
		/* INT64_MIN is below any threshold by more than fits */
		if (tests[i].peak != INT64_MIN) {
			test_assert_idx(helpdesk_game_points_to_next(&levels,
				level, tests[i].peak) == tests[i].to_next, i);
		}
	}
	/* at, below and above each threshold */
	for (i = 0; i < levels.count; i++) {
		int64_t th = levels.thresholds[i];

		test_assert_idx(helpdesk_game_level_for(&levels, th) == i + 1,
				i);
		test_assert_idx(helpdesk_game_level_for(&levels, th + 1) ==
				i + 1, i);
		if (i > 0) {
			test_assert_idx(helpdesk_game_level_for(&levels,
					th - 1) == i, i);
			test_assert_idx(helpdesk_game_points_to_next(&levels,
					i, th - 1) == 1, i);
		}
		test_assert_idx(helpdesk_game_points_to_next(&levels, i + 1,
				th) == (i + 1 < levels.count ?
					levels.thresholds[i + 1] - th : 0), i);
	}

	/* names, clamped */
	test_assert_strcmp(helpdesk_game_level_name(&levels, 0), "Novice");
	test_assert_strcmp(helpdesk_game_level_name(&levels, 1), "Novice");
	test_assert_strcmp(helpdesk_game_level_name(&levels, 2), "Apprentice");
	test_assert_strcmp(helpdesk_game_level_name(&levels, 10), "Champion");
	test_assert_strcmp(helpdesk_game_level_name(&levels, 11), "Legend");
	test_assert_strcmp(helpdesk_game_level_name(&levels, 12), "Legend");
	test_assert_strcmp(helpdesk_game_level_name(&levels, UINT_MAX),
			   "Legend");

	/* points to next: level 0 is taken as 1; a level behind its peak
	   misses nothing; 0 at and beyond the last level */
	test_assert(helpdesk_game_points_to_next(&levels, 0, 10) == 40);
	test_assert(helpdesk_game_points_to_next(&levels, 1, 60) == 0);
	test_assert(helpdesk_game_points_to_next(&levels, 11, 0) == 0);
	test_assert(helpdesk_game_points_to_next(&levels, 11, -5) == 0);
	test_assert(helpdesk_game_points_to_next(&levels, 12, 0) == 0);
	test_assert(helpdesk_game_points_to_next(&levels, UINT_MAX, 0) == 0);
	test_end();
	pool_unref(&pool);
}

static void test_game_levels_round_trip(void)
{
	static const char *const tests[] = {
		HELPDESK_GAME_DEFAULT_LEVELS,
		"A:0, B:1",
		" Level 1 :0,Jack-of-all-trades:5,Rock 'n' Roll:100000000,",
		"\xc3\x89l\xc3\xa8ve:0, Ma\xc3\xaetre:10",
	};
	struct helpdesk_game_levels levels, again;
	pool_t pool = pool_alloconly_create("test game levels", 1024);
	const char *error, *text;
	unsigned int i, j;

	test_begin("helpdesk game levels format and parse again");
	for (i = 0; i <= N_ELEMENTS(tests); i++) {
		test_assert_idx(helpdesk_game_levels_parse(pool,
			i < N_ELEMENTS(tests) ? tests[i] :
			test_levels_text(HELPDESK_GAME_MAX_LEVELS),
			&levels, &error) == 0, i);
		text = helpdesk_game_levels_format(&levels);
		test_assert_idx(helpdesk_game_levels_parse(pool, text, &again,
							   &error) == 0, i);
		test_assert_idx(again.count == levels.count, i);
		for (j = 0; j < levels.count && j < again.count; j++) {
			test_assert_idx(strcmp(again.names[j],
					       levels.names[j]) == 0, i);
			test_assert_idx(again.thresholds[j] ==
					levels.thresholds[j], i);
		}
		test_assert_strcmp_idx(helpdesk_game_levels_format(&again),
				       text, i);
	}
	test_end();
	pool_unref(&pool);
}

/*
 * Badges
 */

static void test_game_badges(void)
{
	static const struct {
		enum helpdesk_game_badge badge;
		const char *key;
	} keys[] = {
		{ HELPDESK_GAME_BADGE_FIRST_TICKET, "first_ticket" },
		{ HELPDESK_GAME_BADGE_RESOLVED_10, "resolved_10" },
		{ HELPDESK_GAME_BADGE_RESOLVED_100, "resolved_100" },
		{ HELPDESK_GAME_BADGE_RESOLVED_1000, "resolved_1000" },
		{ HELPDESK_GAME_BADGE_FIRST_CONTACT, "first_contact" },
		{ HELPDESK_GAME_BADGE_SLA_STREAK, "sla_streak" },
		{ HELPDESK_GAME_BADGE_SPEEDSTER, "speedster" },
		{ HELPDESK_GAME_BADGE_VIP_CARE, "vip_care" },
		{ HELPDESK_GAME_BADGE_NIGHT_OWL, "night_owl" },
		{ HELPDESK_GAME_BADGE_WEEKEND_HERO, "weekend_hero" },
		{ HELPDESK_GAME_BADGE_TEAM_PLAYER, "team_player" },
		{ HELPDESK_GAME_BADGE_FIVE_STAR, "five_star" },
		{ HELPDESK_GAME_BADGE_TOP_OF_WEEK, "top_of_week" },
		{ HELPDESK_GAME_BADGE_FIREFIGHTER, "firefighter" },
	};
	static const char *const unknown[] = {
		"", "nope", "First_ticket", "first_ticket ", "resolved_",
		"resolved_10000", "first",
	};
	enum helpdesk_game_badge badge;
	unsigned int i, j;

	test_begin("helpdesk game badges");
	test_assert(HELPDESK_GAME_BADGE_COUNT >= 12);
	test_assert(N_ELEMENTS(keys) == HELPDESK_GAME_BADGE_COUNT);
	for (i = 0; i < N_ELEMENTS(keys); i++) {
		test_assert_strcmp_idx(helpdesk_game_badge_key(keys[i].badge),
				       keys[i].key, i);
		badge = HELPDESK_GAME_BADGE_COUNT;
		test_assert_idx(helpdesk_game_badge_lookup(keys[i].key,
							   &badge), i);
		test_assert_idx(badge == keys[i].badge, i);
	}
	for (i = 0; i < HELPDESK_GAME_BADGE_COUNT; i++) {
		const char *title = helpdesk_game_badge_title(i);
		const char *description = helpdesk_game_badge_description(i);

		test_assert_idx(title != NULL && *title != '\0', i);
		test_assert_idx(description != NULL && *description != '\0',
				i);
		badge = HELPDESK_GAME_BADGE_COUNT;
		test_assert_idx(helpdesk_game_badge_lookup(
			helpdesk_game_badge_key(i), &badge) && badge == i, i);
		for (j = i + 1; j < HELPDESK_GAME_BADGE_COUNT; j++) {
			test_assert_idx(strcmp(helpdesk_game_badge_key(i),
				helpdesk_game_badge_key(j)) != 0, i * 100 + j);
			test_assert_idx(strcmp(title,
				helpdesk_game_badge_title(j)) != 0,
				i * 100 + j);
		}
	}
	for (i = 0; i < N_ELEMENTS(unknown); i++) {
		badge = HELPDESK_GAME_BADGE_COUNT;
		test_assert_idx(!helpdesk_game_badge_lookup(unknown[i], &badge),
				i);
		test_assert_idx(badge == HELPDESK_GAME_BADGE_COUNT, i);
	}
	test_end();
}

static void test_game_badge_for_resolved(void)
{
	static const struct {
		unsigned int count;
		bool earned;
		enum helpdesk_game_badge badge;
	} tests[] = {
		{ 0, FALSE, 0 },
		{ 1, TRUE, HELPDESK_GAME_BADGE_FIRST_TICKET },
		{ 2, FALSE, 0 },
		{ 9, FALSE, 0 },
		{ 10, TRUE, HELPDESK_GAME_BADGE_RESOLVED_10 },
		{ 11, FALSE, 0 },
		{ 99, FALSE, 0 },
		{ 100, TRUE, HELPDESK_GAME_BADGE_RESOLVED_100 },
		{ 101, FALSE, 0 },
		{ 999, FALSE, 0 },
		{ 1000, TRUE, HELPDESK_GAME_BADGE_RESOLVED_1000 },
		{ 1001, FALSE, 0 },
		{ 10000, FALSE, 0 },
		{ UINT_MAX, FALSE, 0 },
	};
	enum helpdesk_game_badge badge;
	unsigned int i;

	test_begin("helpdesk game badge for resolved tickets");
	for (i = 0; i < N_ELEMENTS(tests); i++) {
		badge = HELPDESK_GAME_BADGE_COUNT;
		test_assert_idx(helpdesk_game_badge_for_resolved(
			tests[i].count, &badge) == tests[i].earned, i);
		test_assert_idx(badge == (tests[i].earned ? tests[i].badge :
					  HELPDESK_GAME_BADGE_COUNT), i);
	}
	test_end();
}

static void test_game_night_weekend(void)
{
	static const struct {
		int y, mo, d, h, mi;
		bool night, weekend;
	} tests[] = {
		/* Friday 2026-11-27 */
		{ 2026, 11, 27, 21, 59, FALSE, FALSE },
		{ 2026, 11, 27, 22, 0, TRUE, FALSE },
		{ 2026, 11, 27, 23, 59, TRUE, FALSE },
		/* Saturday */
		{ 2026, 11, 28, 0, 0, TRUE, TRUE },
		{ 2026, 11, 28, 5, 59, TRUE, TRUE },
		{ 2026, 11, 28, 6, 0, FALSE, TRUE },
		{ 2026, 11, 28, 12, 0, FALSE, TRUE },
		/* Sunday */
		{ 2026, 11, 29, 21, 59, FALSE, TRUE },
		{ 2026, 11, 29, 22, 0, TRUE, TRUE },
		/* Monday */
		{ 2026, 11, 30, 5, 59, TRUE, FALSE },
		{ 2026, 11, 30, 6, 0, FALSE, FALSE },
		{ 2026, 11, 30, 13, 0, FALSE, FALSE },
	};
	struct tm tm;
	unsigned int i;

	test_begin("helpdesk game night and weekend");
	for (i = 0; i < N_ELEMENTS(tests); i++) {
		tm = test_tm(tests[i].y, tests[i].mo, tests[i].d, tests[i].h,
			     tests[i].mi);
		test_assert_idx(helpdesk_game_is_night(&tm) == tests[i].night,
				i);
		test_assert_idx(helpdesk_game_is_weekend(&tm) ==
				tests[i].weekend, i);
	}
	test_end();
}

/*
 * Periods
 */

static void test_game_period_names(void)
{
	static const struct {
		enum helpdesk_game_period period;
		const char *name;
	} tests[] = {
		{ HELPDESK_GAME_PERIOD_DAY, "day" },
		{ HELPDESK_GAME_PERIOD_WEEK, "week" },
		{ HELPDESK_GAME_PERIOD_MONTH, "month" },
		{ HELPDESK_GAME_PERIOD_ALL, "all" },
	};
	static const char *const bad[] = {
		"", "Day", "WEEK", "days", "weekly", "all ", " month", "year",
		"d",
	};
	enum helpdesk_game_period period;
	unsigned int i;

	test_begin("helpdesk game period names");
	for (i = 0; i < N_ELEMENTS(tests); i++) {
		test_assert_strcmp_idx(helpdesk_game_period_name(
			tests[i].period), tests[i].name, i);
		period = 99;
		test_assert_idx(helpdesk_game_period_parse(tests[i].name,
							   &period), i);
		test_assert_idx(period == tests[i].period, i);
	}
	for (i = 0; i < N_ELEMENTS(bad); i++) {
		period = 99;
		test_assert_idx(!helpdesk_game_period_parse(bad[i], &period),
				i);
		test_assert_idx(period == 99, i);
	}
	test_end();
}

static void test_game_period_key(void)
{
	/* the weeks checked against Python's date.isocalendar() */
	static const struct {
		int y, mo, d, h;
		const char *day, *week, *month;
	} tests[] = {
		{ 2026, 11, 30, 12, "2026-11-30", "2026-W49", "2026-11" },
		/* Sunday and Monday, both ends of the day */
		{ 2026, 11, 29, 0, "2026-11-29", "2026-W48", "2026-11" },
		{ 2026, 11, 29, 23, "2026-11-29", "2026-W48", "2026-11" },
		{ 2026, 11, 30, 0, "2026-11-30", "2026-W49", "2026-11" },
		/* year edges */
		{ 2026, 12, 31, 12, "2026-12-31", "2026-W53", "2026-12" },
		{ 2027, 1, 1, 12, "2027-01-01", "2026-W53", "2027-01" },
		{ 2027, 1, 3, 12, "2027-01-03", "2026-W53", "2027-01" },
		{ 2027, 1, 4, 12, "2027-01-04", "2027-W01", "2027-01" },
		{ 2024, 12, 30, 12, "2024-12-30", "2025-W01", "2024-12" },
		{ 2021, 1, 3, 12, "2021-01-03", "2020-W53", "2021-01" },
		{ 2020, 12, 31, 12, "2020-12-31", "2020-W53", "2020-12" },
		{ 2025, 12, 29, 12, "2025-12-29", "2026-W01", "2025-12" },
		{ 2026, 1, 1, 12, "2026-01-01", "2026-W01", "2026-01" },
		{ 2026, 1, 5, 12, "2026-01-05", "2026-W02", "2026-01" },
		{ 2028, 1, 2, 12, "2028-01-02", "2027-W52", "2028-01" },
		{ 2028, 1, 3, 12, "2028-01-03", "2028-W01", "2028-01" },
		{ 2024, 2, 29, 12, "2024-02-29", "2024-W09", "2024-02" },
		{ 2026, 3, 29, 12, "2026-03-29", "2026-W13", "2026-03" },
	};
	struct tm tm;
	unsigned int i;

	test_begin("helpdesk game period keys");
	for (i = 0; i < N_ELEMENTS(tests); i++) {
		tm = test_tm(tests[i].y, tests[i].mo, tests[i].d, tests[i].h,
			     30);
		test_assert_strcmp_idx(helpdesk_game_period_key(
			HELPDESK_GAME_PERIOD_DAY, &tm), tests[i].day, i);
		test_assert_strcmp_idx(helpdesk_game_period_key(
			HELPDESK_GAME_PERIOD_WEEK, &tm), tests[i].week, i);
		test_assert_strcmp_idx(helpdesk_game_period_key(
			HELPDESK_GAME_PERIOD_MONTH, &tm), tests[i].month, i);
		test_assert_strcmp_idx(helpdesk_game_period_key(
			HELPDESK_GAME_PERIOD_ALL, &tm), "", i);
	}
	test_end();
}

static void test_game_period_prev_key(void)
{
	static const struct {
		enum helpdesk_game_period period;
		int y, mo, d;
		const char *prev;
	} tests[] = {
		{ HELPDESK_GAME_PERIOD_DAY, 2026, 11, 30, "2026-11-29" },
		{ HELPDESK_GAME_PERIOD_DAY, 2027, 1, 1, "2026-12-31" },
		{ HELPDESK_GAME_PERIOD_DAY, 2026, 3, 1, "2026-02-28" },
		{ HELPDESK_GAME_PERIOD_DAY, 2024, 3, 1, "2024-02-29" },
		{ HELPDESK_GAME_PERIOD_DAY, 2026, 3, 30, "2026-03-29" },
		{ HELPDESK_GAME_PERIOD_WEEK, 2026, 11, 30, "2026-W48" },
		{ HELPDESK_GAME_PERIOD_WEEK, 2026, 11, 29, "2026-W47" },
		{ HELPDESK_GAME_PERIOD_WEEK, 2027, 1, 4, "2026-W53" },
		{ HELPDESK_GAME_PERIOD_WEEK, 2027, 1, 10, "2026-W53" },
		{ HELPDESK_GAME_PERIOD_WEEK, 2027, 1, 1, "2026-W52" },
		{ HELPDESK_GAME_PERIOD_WEEK, 2026, 1, 5, "2026-W01" },
		{ HELPDESK_GAME_PERIOD_WEEK, 2025, 12, 29, "2025-W52" },
		{ HELPDESK_GAME_PERIOD_WEEK, 2026, 1, 1, "2025-W52" },
		{ HELPDESK_GAME_PERIOD_WEEK, 2021, 1, 4, "2020-W53" },
		{ HELPDESK_GAME_PERIOD_WEEK, 2026, 3, 29, "2026-W12" },
		{ HELPDESK_GAME_PERIOD_MONTH, 2027, 1, 15, "2026-12" },
		{ HELPDESK_GAME_PERIOD_MONTH, 2027, 1, 1, "2026-12" },
		{ HELPDESK_GAME_PERIOD_MONTH, 2026, 3, 31, "2026-02" },
		{ HELPDESK_GAME_PERIOD_MONTH, 2026, 12, 1, "2026-11" },
		{ HELPDESK_GAME_PERIOD_ALL, 2026, 11, 30, "" },
	};
	struct tm tm;
	unsigned int i, h;

	test_begin("helpdesk game period previous keys");
	for (i = 0; i < N_ELEMENTS(tests); i++) {
		/* any time of the day */
		for (h = 0; h < 24; h += 23) {
			tm = test_tm(tests[i].y, tests[i].mo, tests[i].d,
				     (int)h, h == 0 ? 0 : 59);
			test_assert_strcmp_idx(helpdesk_game_period_prev_key(
				tests[i].period, &tm), tests[i].prev, i);
		}
	}
	test_end();
}

/* Every day of 1971-2100: the keys as glibc's strftime() makes them (%G
   and %V are the ISO year and week), and the previous keys are those of
   the day before, a week before and the last day of the month before. */
static void test_game_period_all_days(void)
{
	time_t t, start = test_utc(1971, 1, 1, 12, 0);
	time_t end = test_utc(2101, 1, 1, 12, 0);
	struct tm tm, before;
	char expect[32];
	unsigned int n = 0, failures = 0;

	test_begin("helpdesk game period keys of every day");
	for (t = start; t < end; t += DAY) T_BEGIN {
		bool ok = TRUE;

		if (gmtime_r(&t, &tm) == NULL)
			i_unreached();
		tm.tm_hour = (int)(n % 24);
		(void)strftime(expect, sizeof(expect), "%G-W%V", &tm);
		ok = ok && strcmp(helpdesk_game_period_key(
			HELPDESK_GAME_PERIOD_WEEK, &tm), expect) == 0;
		(void)strftime(expect, sizeof(expect), "%Y-%m-%d", &tm);
		ok = ok && strcmp(helpdesk_game_period_key(
			HELPDESK_GAME_PERIOD_DAY, &tm), expect) == 0;
		(void)strftime(expect, sizeof(expect), "%Y-%m", &tm);
		ok = ok && strcmp(helpdesk_game_period_key(
			HELPDESK_GAME_PERIOD_MONTH, &tm), expect) == 0;

		before = test_tm(tm.tm_year + 1900, tm.tm_mon + 1,
				 tm.tm_mday - 1, 12, 0);
		ok = ok && strcmp(helpdesk_game_period_prev_key(
			HELPDESK_GAME_PERIOD_DAY, &tm),
			helpdesk_game_period_key(HELPDESK_GAME_PERIOD_DAY,
						 &before)) == 0;
		before = test_tm(tm.tm_year + 1900, tm.tm_mon + 1,
				 tm.tm_mday - 7, 12, 0);
		ok = ok && strcmp(helpdesk_game_period_prev_key(
			HELPDESK_GAME_PERIOD_WEEK, &tm),
			helpdesk_game_period_key(HELPDESK_GAME_PERIOD_WEEK,
						 &before)) == 0;
		before = test_tm(tm.tm_year + 1900, tm.tm_mon + 1, 0, 12, 0);
		ok = ok && strcmp(helpdesk_game_period_prev_key(
			HELPDESK_GAME_PERIOD_MONTH, &tm),
			helpdesk_game_period_key(HELPDESK_GAME_PERIOD_MONTH,
						 &before)) == 0;
		if (!ok && failures++ < 5) {
			(void)strftime(expect, sizeof(expect), "%Y-%m-%d",
				       &tm);
			i_error("period keys of %s are wrong", expect);
		}
		n++;
	} T_END;
	test_assert(failures == 0);
	test_assert(n == 47482);
	test_end();
}

/*
 * Time zones
 */

static bool test_tz_equal(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

static void test_game_time_zones(void)
{
	static const struct {
		const char *zone;
		int y, mo, d, h, mi;	/* UTC */
		int ly, lmo, ld, lh, lmi, lwday;	/* local */
		const char *week, *prev_week;
		bool night, weekend;
		/* in the hour the fall-back repeats: mktime() picks one */
		bool repeated;
	} tests[] = {
		/* Monday 00:30 in Berlin, still Sunday in UTC */
		{ "Europe/Berlin", 2026, 11, 29, 23, 30,
		  2026, 11, 30, 0, 30, 1,
		  "2026-W49", "2026-W48", TRUE, FALSE, FALSE },
		{ "Etc/UTC", 2026, 11, 29, 23, 30,
		  2026, 11, 29, 23, 30, 0,
		  "2026-W48", "2026-W47", TRUE, TRUE, FALSE },
		/* Berlin springs forward at 01:00Z on 2026-03-29 */
		{ "Europe/Berlin", 2026, 3, 29, 0, 30,
		  2026, 3, 29, 1, 30, 0,
		  "2026-W13", "2026-W12", TRUE, TRUE, FALSE },
		{ "Europe/Berlin", 2026, 3, 29, 1, 30,
		  2026, 3, 29, 3, 30, 0,
		  "2026-W13", "2026-W12", TRUE, TRUE, FALSE },
		{ "Europe/Berlin", 2026, 3, 29, 21, 59,
		  2026, 3, 29, 23, 59, 0,
		  "2026-W13", "2026-W12", TRUE, TRUE, FALSE },
		{ "Europe/Berlin", 2026, 3, 29, 22, 0,
		  2026, 3, 30, 0, 0, 1,
		  "2026-W14", "2026-W13", TRUE, FALSE, FALSE },
		/* and falls back at 01:00Z on 2026-10-25 */
		{ "Europe/Berlin", 2026, 10, 25, 0, 30,
		  2026, 10, 25, 2, 30, 0,
		  "2026-W43", "2026-W42", TRUE, TRUE, FALSE },
		{ "Europe/Berlin", 2026, 10, 25, 1, 30,
		  2026, 10, 25, 2, 30, 0,
		  "2026-W43", "2026-W42", TRUE, TRUE, TRUE },
		/* New York: Sunday 22:00, Monday 00:00 */
		{ "America/New_York", 2026, 11, 30, 3, 0,
		  2026, 11, 29, 22, 0, 0,
		  "2026-W48", "2026-W47", TRUE, TRUE, FALSE },
		{ "America/New_York", 2026, 11, 30, 5, 0,
		  2026, 11, 30, 0, 0, 1,
		  "2026-W49", "2026-W48", TRUE, FALSE, FALSE },
		/* New Year's Eve in New York is already 2027 in UTC */
		{ "America/New_York", 2027, 1, 1, 3, 0,
		  2026, 12, 31, 22, 0, 4,
		  "2026-W53", "2026-W52", TRUE, FALSE, FALSE },
	};
	pool_t pool = pool_alloconly_create("test game zones", 4096);
	struct helpdesk_calendar *cal;
	const char *saved, *error, *proc_tz[] = { NULL, "Asia/Tokyo" };
	struct tm tm;
	time_t t;
	unsigned int i, j;

	test_begin("helpdesk game periods in time zones");
	saved = t_strdup(getenv("TZ"));
	for (j = 0; j < N_ELEMENTS(proc_tz); j++) {
		/* the process's own zone does not matter */
		if (proc_tz[j] != NULL) {
			test_assert(setenv("TZ", proc_tz[j], 1) == 0);
			tzset();
		}
		for (i = 0; i < N_ELEMENTS(tests); i++) {
			const char *before = t_strdup(getenv("TZ"));

			error = NULL;
			test_assert_idx(helpdesk_calendar_parse(pool, NULL,
				tests[i].zone, NULL, &cal, &error) == 0, i);
			if (error != NULL)
				i_error("%s: %s", tests[i].zone, error);
			t = test_utc(tests[i].y, tests[i].mo, tests[i].d,
				     tests[i].h, tests[i].mi);
			i_zero(&tm);
			helpdesk_calendar_localtime(cal, t, &tm);
			test_assert_idx(tm.tm_year + 1900 == tests[i].ly &&
					tm.tm_mon + 1 == tests[i].lmo &&
					tm.tm_mday == tests[i].ld &&
					tm.tm_hour == tests[i].lh &&
					tm.tm_min == tests[i].lmi &&
					tm.tm_wday == tests[i].lwday, i);
			test_assert_strcmp_idx(helpdesk_game_period_key(
				HELPDESK_GAME_PERIOD_WEEK, &tm),
				tests[i].week, i);
			test_assert_strcmp_idx(helpdesk_game_period_prev_key(
				HELPDESK_GAME_PERIOD_WEEK, &tm),
				tests[i].prev_week, i);
			test_assert_idx(helpdesk_game_is_night(&tm) ==
					tests[i].night, i);
			test_assert_idx(helpdesk_game_is_weekend(&tm) ==
					tests[i].weekend, i);
			/* and back to the instant */
			test_assert_idx(tests[i].repeated ||
					helpdesk_calendar_mktime(cal, &tm) == t,
					i);
			test_assert_idx(test_tz_equal(getenv("TZ"), before), i);
		}
	}

	/* local midnights to instants, across the DST change */
	test_assert(helpdesk_calendar_parse(pool, NULL, "Europe/Berlin", NULL,
					    &cal, &error) == 0);
	tm = test_tm(2026, 3, 30, 0, 0);
	test_assert(helpdesk_calendar_mktime(cal, &tm) ==
		    test_utc(2026, 3, 29, 22, 0));
	tm = test_tm(2026, 3, 29, 0, 0);
	test_assert(helpdesk_calendar_mktime(cal, &tm) ==
		    test_utc(2026, 3, 28, 23, 0));
	tm = test_tm(2026, 11, 30, 0, 0);
	test_assert(helpdesk_calendar_mktime(cal, &tm) ==
		    test_utc(2026, 11, 29, 23, 0));
	/* out of range fields are normalized: March 31 + 1 = April 1,
	   in summer time */
	tm = test_tm(2026, 3, 31, 0, 0);
	tm.tm_mday = 32;
	test_assert(helpdesk_calendar_mktime(cal, &tm) ==
		    test_utc(2026, 3, 31, 22, 0));
	test_assert(helpdesk_calendar_parse(pool, NULL, "America/New_York",
					    NULL, &cal, &error) == 0);
	tm = test_tm(2026, 11, 30, 0, 0);
	test_assert(helpdesk_calendar_mktime(cal, &tm) ==
		    test_utc(2026, 11, 30, 5, 0));
	test_assert(test_tz_equal(getenv("TZ"), "Asia/Tokyo"));

	/* restore the process's TZ (and check the unset case stays unset) */
	test_assert(unsetenv("TZ") == 0);
	tzset();
	helpdesk_calendar_localtime(cal, test_utc(2026, 1, 1, 0, 0), &tm);
	(void)helpdesk_calendar_mktime(cal, &tm);
	test_assert(getenv("TZ") == NULL);
	if (saved != NULL)
		test_assert(setenv("TZ", saved, 1) == 0);
	tzset();
	test_assert(test_tz_equal(getenv("TZ"), saved));
	test_end();
	pool_unref(&pool);
}

/*
 * JSON
 */

/* A strict reader of one JSON value (RFC 8259): on success it appends a
   line "path=value" per scalar to flat, strings as "path=\"text\"" with
   the text decoded; FALSE on anything that is not JSON. */
struct test_json {
	const char *p;
	string_t *flat;
};

static bool test_json_value(struct test_json *json, const char *path);

static void test_json_ws(struct test_json *json)
{
	while (*json->p == ' ' || *json->p == '\t' || *json->p == '\n' ||
	       *json->p == '\r')
		json->p++;
}

static int test_json_hex4(const char *p)
{
	int value = 0, i;

	for (i = 0; i < 4; i++) {
		value <<= 4;
		if (p[i] >= '0' && p[i] <= '9')
			value |= p[i] - '0';
		else if (p[i] >= 'a' && p[i] <= 'f')
			value |= p[i] - 'a' + 10;
		else if (p[i] >= 'A' && p[i] <= 'F')
			value |= p[i] - 'A' + 10;
		else
			return -1;
	}
	return value;
}

static bool test_json_string(struct test_json *json, string_t *dest)
{
	int chr, low;

	if (*json->p != '"')
		return FALSE;
	json->p++;
	for (;;) {
		unsigned char c = (unsigned char)*json->p;

		if (c == '"')
			break;
		if (c < 0x20)
			return FALSE;
		if (c != '\\') {
			str_append_c(dest, c);
			json->p++;
			continue;
		}
		json->p++;
		switch (*json->p++) {
		case '"': str_append_c(dest, '"'); break;
		case '\\': str_append_c(dest, '\\'); break;
		case '/': str_append_c(dest, '/'); break;
		case 'b': str_append_c(dest, '\b'); break;
		case 'f': str_append_c(dest, '\f'); break;
		case 'n': str_append_c(dest, '\n'); break;
		case 'r': str_append_c(dest, '\r'); break;
		case 't': str_append_c(dest, '\t'); break;
		case 'u':
			if ((chr = test_json_hex4(json->p)) <= 0)
				return FALSE;
			json->p += 4;
			if (chr >= 0xdc00 && chr <= 0xdfff)
				return FALSE;
			if (chr >= 0xd800 && chr <= 0xdbff) {
				if (json->p[0] != '\\' || json->p[1] != 'u')
					return FALSE;
				low = test_json_hex4(json->p + 2);
				if (low < 0xdc00 || low > 0xdfff)
					return FALSE;
				json->p += 6;
				chr = 0x10000 + ((chr - 0xd800) << 10) +
					(low - 0xdc00);
			}
			uni_ucs4_to_utf8_c((unichar_t)chr, dest);
			break;
		default:
			return FALSE;
		}
	}
	json->p++;
	return uni_utf8_str_is_valid(str_c(dest));
}

static bool test_json_number(struct test_json *json, const char *path)
{
	const char *start = json->p;

	if (*json->p == '-')
		json->p++;
	if (*json->p == '0')
		json->p++;
	else if (*json->p >= '1' && *json->p <= '9') {
		while (i_isdigit(*json->p))
			json->p++;
	} else
		return FALSE;
	if (*json->p == '.') {
		json->p++;
		if (!i_isdigit(*json->p))
			return FALSE;
		while (i_isdigit(*json->p))
			json->p++;
	}
	if (*json->p == 'e' || *json->p == 'E') {
		json->p++;
		if (*json->p == '+' || *json->p == '-')
			json->p++;
		if (!i_isdigit(*json->p))
			return FALSE;
		while (i_isdigit(*json->p))
			json->p++;
	}
	str_printfa(json->flat, "%s=", path);
	str_append_data(json->flat, start, json->p - start);
	str_append_c(json->flat, '\n');
	return TRUE;
}

static bool test_json_object(struct test_json *json, const char *path)
{
	string_t *key = t_str_new(32);

	json->p++;
	test_json_ws(json);
	if (*json->p == '}') {
		json->p++;
		return TRUE;
	}
	for (;;) {
		str_truncate(key, 0);
		if (!test_json_string(json, key))
			return FALSE;
		test_json_ws(json);
		if (*json->p++ != ':')
			return FALSE;
		if (!test_json_value(json, *path == '\0' ? str_c(key) :
				     t_strconcat(path, ".", str_c(key), NULL)))
			return FALSE;
		test_json_ws(json);
		if (*json->p == '}') {
			json->p++;
			return TRUE;
		}
		if (*json->p++ != ',')
			return FALSE;
		test_json_ws(json);
	}
}

static bool test_json_array(struct test_json *json, const char *path)
{
	unsigned int i;

	json->p++;
	test_json_ws(json);
	if (*json->p == ']') {
		json->p++;
		str_printfa(json->flat, "%s=[]\n", path);
		return TRUE;
	}
	for (i = 0;; i++) {
		if (!test_json_value(json, t_strdup_printf("%s.%u", path, i)))
			return FALSE;
		test_json_ws(json);
		if (*json->p == ']') {
			json->p++;
			return TRUE;
		}
		if (*json->p++ != ',')
			return FALSE;
	}
}

static bool test_json_value(struct test_json *json, const char *path)
{
	string_t *str;

	test_json_ws(json);
	switch (*json->p) {
	case '{':
		return test_json_object(json, path);
	case '[':
		return test_json_array(json, path);
	case '"':
		str = t_str_new(64);
		if (!test_json_string(json, str))
			return FALSE;
		str_printfa(json->flat, "%s=\"%s\"\n", path, str_c(str));
		return TRUE;
	case 't':
	case 'f':
	case 'n': {
		static const char *const words[] = { "true", "false", "null" };
		unsigned int i;

		for (i = 0; i < N_ELEMENTS(words); i++) {
			if (strncmp(json->p, words[i], strlen(words[i])) == 0) {
				json->p += strlen(words[i]);
				str_printfa(json->flat, "%s=%s\n", path,
					    words[i]);
				return TRUE;
			}
		}
		return FALSE;
	}
	default:
		return test_json_number(json, path);
	}
}

/* text as JSON flattened, NULL: not JSON (data stack) */
static const char *test_json_flat(const char *text)
{
	struct test_json json;

	json.p = text;
	json.flat = t_str_new(256);
	test_json_ws(&json);
	if (*json.p != '{' || !test_json_value(&json, ""))
		return NULL;
	test_json_ws(&json);
	return *json.p == '\0' ? str_c(json.flat) : NULL;
}

static void test_game_json_reader(void)
{
	static const char *const bad[] = {
		"", "{", "{\"a\":1,}", "{\"a\":01}", "{\"a\":\"\x01\"}",
		"{\"a\":\"\\x\"}", "{\"a\":\"\\ud800\"}", "{\"a\":1} x",
		"{a:1}", "{\"a\":[1,]}", "{\"a\":\"\xff\"}", "[1]",
		"{\"a\":-}", "{\"a\":tru}",
	};
	unsigned int i;

	test_begin("helpdesk game JSON test reader");
	test_assert_strcmp(test_json_flat(
		" {\"a\" : [1, -2.5e3, {\"b\":\"x\\\"\\u00e9\\ud83d\\ude00\"}],"
		"\"c\":[],\"d\":{},\"e\":true,\"f\":null} "),
		"a.0=1\na.1=-2.5e3\na.2.b=\"x\"\xc3\xa9\xf0\x9f\x98\x80\"\n"
		"c=[]\ne=true\nf=null\n");
	for (i = 0; i < N_ELEMENTS(bad); i++)
		test_assert_idx(test_json_flat(bad[i]) == NULL, i);
	test_end();
}

#define HOSTILE_AGENT "a\"b\\c"
#define HOSTILE_TEAM "Support \xc3\xa9quipe\n\xe2\x80\xa8</script>"
#define HOSTILE_LEVEL "Ma\x01ster\t\x1f"

static void test_game_json_stats(void)
{
	pool_t pool = pool_alloconly_create("test game json", 1024);
	struct helpdesk_game_agent_stats stats;
	struct helpdesk_game_badge_row *badge;
	const char *saved = t_strdup(getenv("TZ")), *text;
	string_t *str = t_str_new(512);

	test_begin("helpdesk game JSON of an agent's stats");
	/* "earned" is in the process's zone: UTC here */
	test_assert(setenv("TZ", "UTC", 1) == 0);
	tzset();

	i_zero(&stats);
	stats.agent = HOSTILE_AGENT;
	stats.team = HOSTILE_TEAM;
	stats.points = 1234;
	stats.peak = 1300;
	stats.level = 7;
	stats.level_name = HOSTILE_LEVEL;
	stats.points_to_next = 566;
	stats.progress = 42;
	stats.resolved = 77;
	stats.week_points = -5;
	stats.rank_in_team = 2;
	stats.team_size = 9;
	p_array_init(&stats.badges, pool, 2);
	badge = array_append_space(&stats.badges);
	badge->agent = HOSTILE_AGENT;
	badge->badge = HELPDESK_GAME_BADGE_FIRST_TICKET;
	badge->period_key = "";
	badge->created = test_utc(2026, 11, 29, 23, 30);
	badge->ticket = 42;
	badge = array_append_space(&stats.badges);
	badge->agent = HOSTILE_AGENT;
	badge->badge = HELPDESK_GAME_BADGE_TOP_OF_WEEK;
	badge->period_key = "2026-W49";
	badge->created = test_utc(2026, 12, 7, 0, 5);
	badge->ticket = 4294967297ULL;

	helpdesk_game_json_stats(str, &stats);
	text = str_c(str);
	test_assert_strcmp(text,
		"{\"version\":1,\"agent\":\"a\\\"b\\\\c\","
		"\"team\":\"Support \xc3\xa9quipe\\n\\u2028</script>\","
		"\"points\":1234,\"level\":7,"
		"\"level_name\":\"Ma\\u0001ster\\t\\u001f\","
		"\"progress\":42,\"points_to_next_level\":566,"
		"\"week_points\":-5,\"rank_in_team\":2,\"team_size\":9,"
		"\"resolved\":77,\"badges\":["
		"{\"badge\":\"first_ticket\",\"title\":\"First ticket\","
		"\"earned\":\"2026-11-29T23:30:00Z\",\"ticket\":42,"
		"\"period\":\"\"},"
		"{\"badge\":\"top_of_week\",\"title\":\"Top of the week\","
		"\"earned\":\"2026-12-07T00:05:00Z\","
		"\"ticket\":4294967297,\"period\":\"2026-W49\"}]}");
	test_assert_strcmp(test_json_flat(text),
		"version=1\n"
		"agent=\"" HOSTILE_AGENT "\"\n"
		"team=\"" HOSTILE_TEAM "\"\n"
		"points=1234\nlevel=7\n"
		"level_name=\"" HOSTILE_LEVEL "\"\n"
		"progress=42\npoints_to_next_level=566\nweek_points=-5\n"
		"rank_in_team=2\nteam_size=9\nresolved=77\n"
		"badges.0.badge=\"first_ticket\"\n"
		"badges.0.title=\"First ticket\"\n"
		"badges.0.earned=\"2026-11-29T23:30:00Z\"\n"
		"badges.0.ticket=42\n"
		"badges.0.period=\"\"\n"
		"badges.1.badge=\"top_of_week\"\n"
		"badges.1.title=\"Top of the week\"\n"
		"badges.1.earned=\"2026-12-07T00:05:00Z\"\n"
		"badges.1.ticket=4294967297\n"
		"badges.1.period=\"2026-W49\"\n");

	/* in another zone "earned" is the same instant */
	test_assert(setenv("TZ", "Europe/Berlin", 1) == 0);
	tzset();
	str_truncate(str, 0);
	helpdesk_game_json_stats(str, &stats);
	text = test_json_flat(str_c(str));
	test_assert(text != NULL);
	if (text != NULL) {
		const char *const *lines = t_strsplit(text, "\n");
		const char *value;
		time_t earned;
		int offset;

		value = NULL;
		for (; *lines != NULL; lines++) {
			if (str_begins(*lines, "badges.0.earned=\""))
				value = t_strcut(*lines + 17, '"');
		}
		test_assert(value != NULL &&
			    iso8601_date_parse((const unsigned char *)value,
					       strlen(value), &earned,
					       &offset) &&
			    earned == test_utc(2026, 11, 29, 23, 30));
	}

	/* no badges, NULL strings */
	array_clear(&stats.badges);
	stats.team = NULL;
	stats.level_name = NULL;
	str_truncate(str, 0);
	helpdesk_game_json_stats(str, &stats);
	text = test_json_flat(str_c(str));
	test_assert(text != NULL && strstr(text, "\nbadges=[]\n") != NULL &&
		    strstr(text, "\nteam=\"\"\n") != NULL &&
		    strstr(text, "\nlevel_name=\"\"\n") != NULL &&
		    str_begins(text, "version=1\n"));

	if (saved == NULL)
		test_assert(unsetenv("TZ") == 0);
	else
		test_assert(setenv("TZ", saved, 1) == 0);
	tzset();
	test_end();
	pool_unref(&pool);
}

static void test_game_json_board(void)
{
	pool_t pool = pool_alloconly_create("test game json", 1024);
	ARRAY_TYPE(helpdesk_game_board_row) rows;
	struct helpdesk_game_board_row *row;
	string_t *str = t_str_new(512);
	const char *text;

	test_begin("helpdesk game JSON of a leaderboard");
	p_array_init(&rows, pool, 2);
	row = array_append_space(&rows);
	row->rank = 1;
	row->agent = "bob\t\"x\"";
	row->team = "T\"1";
	row->points = 300;
	row->level = 3;
	row->level_name = "H\xc3\xa9lper \xf0\x9f\x98\x80";
	row->resolved = 12;
	row = array_append_space(&rows);
	row->rank = 2;
	row->agent = NULL;
	row->team = "\\\\";
	row->points = -7;
	row->level = 1;
	row->level_name = "\r\x7f";
	row->resolved = 0;
	row->agents = 5;

	helpdesk_game_json_board(str, "T\"1", "2026-W49", &rows);
	text = str_c(str);
	test_assert_strcmp(text,
		"{\"version\":1,\"team\":\"T\\\"1\",\"period\":\"week\","
		"\"key\":\"2026-W49\",\"rows\":["
		"{\"rank\":1,\"agent\":\"bob\\t\\\"x\\\"\",\"team\":\"T\\\"1\","
		"\"points\":300,\"level\":3,"
		"\"level_name\":\"H\xc3\xa9lper \xf0\x9f\x98\x80\","
		"\"resolved\":12},"
		"{\"rank\":2,\"agent\":\"\",\"team\":\"\\\\\\\\\","
		"\"points\":-7,\"level\":1,\"level_name\":\"\\r\x7f\","
		"\"resolved\":0}]}");
	test_assert_strcmp(test_json_flat(text),
		"version=1\nteam=\"T\"1\"\nperiod=\"week\"\nkey=\"2026-W49\"\n"
		"rows.0.rank=1\nrows.0.agent=\"bob\t\"x\"\"\n"
		"rows.0.team=\"T\"1\"\nrows.0.points=300\nrows.0.level=3\n"
		"rows.0.level_name=\"H\xc3\xa9lper \xf0\x9f\x98\x80\"\n"
		"rows.0.resolved=12\n"
		"rows.1.rank=2\nrows.1.agent=\"\"\nrows.1.team=\"\\\\\"\n"
		"rows.1.points=-7\nrows.1.level=1\n"
		"rows.1.level_name=\"\r\x7f\"\nrows.1.resolved=0\n");

	/* an empty board */
	array_clear(&rows);
	str_truncate(str, 0);
	helpdesk_game_json_board(str, "", "", &rows);
	test_assert_strcmp(str_c(str), "{\"version\":1,\"team\":\"\","
			   "\"period\":\"week\",\"key\":\"\",\"rows\":[]}");
	test_assert_strcmp(test_json_flat(str_c(str)),
			   "version=1\nteam=\"\"\nperiod=\"week\"\nkey=\"\"\n"
			   "rows=[]\n");
	test_end();
	pool_unref(&pool);
}

int main(void)
{
	static void (*const test_functions[])(void) = {
		test_game_rules_default,
		test_game_rules_parse,
		test_game_rules_parse_base,
		test_game_rules_parse_errors,
		test_game_rules_round_trip,
		test_game_levels_default,
		test_game_levels_parse,
		test_game_levels_parse_errors,
		test_game_level_for,
		test_game_levels_round_trip,
		test_game_badges,
		test_game_badge_for_resolved,
		test_game_night_weekend,
		test_game_period_names,
		test_game_period_key,
		test_game_period_prev_key,
		test_game_period_all_days,
		test_game_time_zones,
		test_game_json_reader,
		test_game_json_stats,
		test_game_json_board,
		NULL
	};
	return test_run(test_functions);
}
