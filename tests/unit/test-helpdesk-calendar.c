/* Copyright (c) 2026 dovecot-helpdesk authors, see the included COPYING file */

#include "lib.h"
#include "utc-mktime.h"
#include "test-common.h"
#include "helpdesk-calendar.h"

#include <stdio.h>
#include <unistd.h>

#define HOUR 3600

/* The instant at which the wall clock of a zone at UTC+off_hours shows
   y-mo-d h:mi: built without the code under test and without the
   machine's zone. */
static time_t wall(int y, int mo, int d, int h, int mi, int off_hours)
{
	struct tm tm;

	i_zero(&tm);
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	return utc_mktime(&tm) - off_hours * HOUR;
}

static struct helpdesk_calendar *
calendar(pool_t pool, const char *hours, const char *tz, const char *holidays)
{
	struct helpdesk_calendar *cal;
	const char *error;

	if (helpdesk_calendar_parse(pool, hours, tz, holidays,
				    &cal, &error) < 0) {
		/* a missing zone file fails loudly (Debian: tzdata) */
		i_fatal("calendar '%s' '%s' '%s' refused: %s",
			hours == NULL ? "" : hours, tz == NULL ? "" : tz,
			holidays == NULL ? "" : holidays, error);
	}
	return cal;
}

static void test_calendar_zone_files(void)
{
	static const char *const zones[] = {
		"Europe/Berlin", "America/New_York"
	};
	const char *path;
	unsigned int i;

	test_begin("helpdesk calendar zone files");
	for (i = 0; i < N_ELEMENTS(zones); i++) {
		path = t_strconcat(HELPDESK_CALENDAR_ZONEINFO_DIR"/",
				   zones[i], NULL);
		if (access(path, R_OK) < 0)
			fprintf(stderr, "MISSING %s: install tzdata\n", path);
		test_assert_idx(access(path, R_OK) == 0, i);
	}
	test_end();
}

static void test_calendar_add(void)
{
	const char *berlin = "Europe/Berlin", *ny = "America/New_York";
	const char *week = "mon-fri 09:00-17:00";
	const char *lunch = "mon-fri 09:00-12:00 13:00-17:00";
	const struct {
		const char *hours, *tz, *holidays;
		time_t start;
		int64_t seconds;
		time_t result;
	} tests[] = {
		/* weekend: Friday 16:00 + 2 h = Monday 10:00 */
		{ week, berlin, NULL, wall(2026, 3, 6, 16, 0, 1), 2 * HOUR,
		  wall(2026, 3, 9, 10, 0, 1) },
		/* a holiday Monday pushes to Tuesday */
		{ week, berlin, "2026-03-09", wall(2026, 3, 6, 16, 0, 1),
		  2 * HOUR, wall(2026, 3, 10, 10, 0, 1) },
		{ week, berlin, "2026-01-01,2026-03-09 2026-12-25",
		  wall(2026, 3, 6, 16, 0, 1), 2 * HOUR,
		  wall(2026, 3, 10, 10, 0, 1) },
		/* room the same day: start + n */
		{ week, berlin, NULL, wall(2026, 3, 9, 10, 0, 1), 3 * HOUR,
		  wall(2026, 3, 9, 13, 0, 1) },
		{ week, berlin, NULL, wall(2026, 3, 9, 10, 0, 1), 0,
		  wall(2026, 3, 9, 10, 0, 1) },
		/* ends exactly at closing: the closing time */
		{ week, berlin, NULL, wall(2026, 3, 9, 10, 0, 1), 7 * HOUR,
		  wall(2026, 3, 9, 17, 0, 1) },
		{ week, berlin, NULL, wall(2026, 3, 9, 10, 0, 1), 7 * HOUR + 1,
		  wall(2026, 3, 10, 9, 0, 1) + 1 },
		/* lunch break */
		{ lunch, berlin, NULL, wall(2026, 3, 9, 11, 0, 1), 2 * HOUR,
		  wall(2026, 3, 9, 14, 0, 1) },
		{ lunch, berlin, NULL, wall(2026, 3, 9, 12, 30, 1), 0,
		  wall(2026, 3, 9, 13, 0, 1) },
		{ lunch, berlin, NULL, wall(2026, 3, 9, 12, 30, 1), 1,
		  wall(2026, 3, 9, 13, 0, 1) + 1 },
		/* before opening, after closing, on a weekend */
		{ week, berlin, NULL, wall(2026, 3, 9, 7, 0, 1), HOUR,
		  wall(2026, 3, 9, 10, 0, 1) },
		{ week, berlin, NULL, wall(2026, 3, 9, 7, 0, 1), 0,
		  wall(2026, 3, 9, 9, 0, 1) },
		{ week, berlin, NULL, wall(2026, 3, 9, 18, 0, 1), HOUR,
		  wall(2026, 3, 10, 10, 0, 1) },
		{ week, berlin, NULL, wall(2026, 3, 9, 17, 0, 1), 0,
		  wall(2026, 3, 10, 9, 0, 1) },
		{ week, berlin, NULL, wall(2026, 3, 7, 12, 0, 1), HOUR,
		  wall(2026, 3, 9, 10, 0, 1) },
		/* 40 business hours = one week */
		{ week, berlin, NULL, wall(2026, 3, 9, 9, 0, 1), 40 * HOUR,
		  wall(2026, 3, 13, 17, 0, 1) },
		{ week, berlin, NULL, wall(2026, 3, 9, 10, 0, 1), 40 * HOUR,
		  wall(2026, 3, 16, 10, 0, 1) },
		{ week, berlin, NULL, wall(2026, 3, 2, 9, 0, 1), 3 * 40 * HOUR,
		  wall(2026, 3, 20, 17, 0, 1) },
		/* across the spring change: 8 weeks */
		{ week, berlin, NULL, wall(2026, 3, 9, 9, 0, 1), 8 * 40 * HOUR,
		  wall(2026, 5, 1, 17, 0, 2) },
		/* a 5-day target over Easter (Good Friday, Easter Monday) */
		{ week, berlin, "2026-04-03 2026-04-06",
		  wall(2026, 4, 2, 12, 0, 2), 40 * HOUR,
		  wall(2026, 4, 13, 12, 0, 2) },
		/* wrapping day range */
		{ "fri-mon 10:00-14:00", berlin, NULL,
		  wall(2026, 3, 7, 13, 0, 1), 2 * HOUR,
		  wall(2026, 3, 8, 11, 0, 1) },
		{ "fri-mon 10:00-14:00", berlin, NULL,
		  wall(2026, 3, 10, 13, 0, 1), 0,
		  wall(2026, 3, 13, 10, 0, 1) },
		/* 09:00-17:00 is unaffected by DST: Berlin */
		{ week, berlin, NULL, wall(2026, 3, 27, 16, 0, 1), 2 * HOUR,
		  wall(2026, 3, 30, 10, 0, 2) },
		{ week, berlin, NULL, wall(2026, 10, 23, 16, 0, 2), 2 * HOUR,
		  wall(2026, 10, 26, 10, 0, 1) },
		{ "mon-sun 09:00-17:00", berlin, NULL,
		  wall(2026, 3, 28, 16, 0, 1), 2 * HOUR,
		  wall(2026, 3, 29, 10, 0, 2) },
		{ "mon-sun 09:00-17:00", berlin, NULL,
		  wall(2026, 10, 24, 16, 0, 2), 2 * HOUR,
		  wall(2026, 10, 25, 10, 0, 1) },
		/* and New York */
		{ week, ny, NULL, wall(2026, 3, 6, 16, 0, -5), 2 * HOUR,
		  wall(2026, 3, 9, 10, 0, -4) },
		{ week, ny, NULL, wall(2026, 10, 30, 16, 0, -4), 2 * HOUR,
		  wall(2026, 11, 2, 10, 0, -5) },
		/* a whole day on a spring-forward day is 23 h, 25 h in
		   autumn */
		{ "mon-sun 00:00-24:00", berlin, NULL,
		  wall(2026, 3, 29, 0, 0, 1), 24 * HOUR,
		  wall(2026, 3, 30, 1, 0, 2) },
		{ "mon-sun 00:00-24:00", berlin, NULL,
		  wall(2026, 10, 25, 0, 0, 2), 24 * HOUR,
		  wall(2026, 10, 25, 23, 0, 1) },
		{ "sun 00:00-24:00", ny, NULL, wall(2026, 3, 8, 0, 0, -5),
		  23 * HOUR, wall(2026, 3, 9, 0, 0, -4) },
		{ "sun 00:00-24:00", ny, NULL, wall(2026, 3, 8, 0, 0, -5),
		  23 * HOUR + 1, wall(2026, 3, 15, 0, 0, -4) + 1 },
		{ "sun 00:00-24:00", ny, NULL, wall(2026, 11, 1, 0, 0, -4),
		  25 * HOUR, wall(2026, 11, 2, 0, 0, -5) },
		/* a wall time that does not exist opens at the change */
		{ "sun 02:30-04:00", berlin, NULL, wall(2026, 3, 28, 12, 0, 1),
		  0, wall(2026, 3, 29, 3, 0, 2) },
		{ "sun 02:30-04:00", ny, NULL, wall(2026, 3, 7, 12, 0, -5),
		  0, wall(2026, 3, 8, 3, 0, -4) },
		/* one that exists twice at its first occurrence */
		{ "sun 02:30-04:00", berlin, NULL, wall(2026, 10, 24, 12, 0, 2),
		  0, wall(2026, 10, 25, 2, 30, 2) },
		{ "sun 01:30-03:00", ny, NULL, wall(2026, 10, 31, 12, 0, -4),
		  0, wall(2026, 11, 1, 1, 30, -4) },
		/* holidays without hours: whole days off */
		{ NULL, ny, "2026-03-09", wall(2026, 3, 8, 23, 0, -4),
		  2 * HOUR, wall(2026, 3, 10, 1, 0, -4) },
		/* always: plain arithmetic */
		{ NULL, berlin, NULL, wall(2026, 3, 28, 12, 0, 1), 24 * HOUR,
		  wall(2026, 3, 29, 12, 0, 1) },
		{ "always", NULL, "", 1000, 5, 1005 },
	};
	pool_t pool = pool_alloconly_create("test calendar", 4096);
	struct helpdesk_calendar *cal;
	unsigned int i;

	test_begin("helpdesk calendar add");
	for (i = 0; i < N_ELEMENTS(tests); i++) {
		time_t result;

		cal = calendar(pool, tests[i].hours, tests[i].tz,
			       tests[i].holidays);
		result = helpdesk_calendar_add(cal, tests[i].start,
					       tests[i].seconds);
		test_assert_cmp_idx((long long)result, ==,
				    (long long)tests[i].result, i);
		test_assert_idx(helpdesk_calendar_elapsed(cal, tests[i].start,
				result) == tests[i].seconds, i);
	}
	test_end();
	pool_unref(&pool);
}

static void test_calendar_elapsed(void)
{
	const char *berlin = "Europe/Berlin", *ny = "America/New_York";
	const char *always_open = "mon-sun 00:00-24:00";
	const char *nine_five = "mon-sun 09:00-17:00";
	const struct {
		const char *hours, *tz;
		time_t from, to;
		int64_t seconds;
	} tests[] = {
		/* the day itself: 23 h in spring, 25 h in autumn */
		{ always_open, berlin, wall(2026, 3, 29, 0, 0, 1),
		  wall(2026, 3, 30, 0, 0, 2), 23 * HOUR },
		{ always_open, berlin, wall(2026, 10, 25, 0, 0, 2),
		  wall(2026, 10, 26, 0, 0, 1), 25 * HOUR },
		{ always_open, ny, wall(2026, 3, 8, 0, 0, -5),
		  wall(2026, 3, 9, 0, 0, -4), 23 * HOUR },
		{ always_open, ny, wall(2026, 11, 1, 0, 0, -4),
		  wall(2026, 11, 2, 0, 0, -5), 25 * HOUR },
		{ "sun 00:00-24:00", berlin, wall(2026, 3, 23, 0, 0, 1),
		  wall(2026, 4, 6, 0, 0, 2), 23 * HOUR + 24 * HOUR },
		/* 09:00-17:00 on the same days: 8 h */
		{ nine_five, berlin, wall(2026, 3, 29, 0, 0, 1),
		  wall(2026, 3, 30, 0, 0, 2), 8 * HOUR },
		{ nine_five, berlin, wall(2026, 10, 25, 0, 0, 2),
		  wall(2026, 10, 26, 0, 0, 1), 8 * HOUR },
		{ nine_five, ny, wall(2026, 3, 8, 0, 0, -5),
		  wall(2026, 3, 9, 0, 0, -4), 8 * HOUR },
		{ nine_five, ny, wall(2026, 11, 1, 0, 0, -4),
		  wall(2026, 11, 2, 0, 0, -5), 8 * HOUR },
		/* a range starting in the gap, one over the repeated hour */
		{ "sun 02:30-04:00", berlin, wall(2026, 3, 23, 0, 0, 1),
		  wall(2026, 3, 30, 0, 0, 2), HOUR },
		{ "sun 02:30-04:00", berlin, wall(2026, 10, 19, 0, 0, 2),
		  wall(2026, 10, 26, 0, 0, 1), 2 * HOUR + 30 * 60 },
		{ "sun 02:30-04:00", ny, wall(2026, 3, 2, 0, 0, -5),
		  wall(2026, 3, 9, 0, 0, -4), HOUR },
		{ "sun 01:30-03:00", ny, wall(2026, 10, 26, 0, 0, -4),
		  wall(2026, 11, 2, 0, 0, -5), 2 * HOUR + 30 * 60 },
		{ "sun 02:00-03:00", berlin, wall(2026, 3, 23, 0, 0, 1),
		  wall(2026, 3, 30, 0, 0, 2), 0 },
		/* always (no hours): plain, DST or not */
		{ NULL, berlin, wall(2026, 3, 29, 0, 0, 1),
		  wall(2026, 3, 30, 0, 0, 1), 24 * HOUR },
		/* a week of 09:00-17:00 mon-fri */
		{ "mon-fri 09:00-17:00", berlin, wall(2026, 3, 9, 0, 0, 1),
		  wall(2026, 3, 16, 0, 0, 1), 40 * HOUR },
		{ "mon-fri 09:00-17:00", berlin, wall(2026, 3, 9, 12, 0, 1),
		  wall(2026, 3, 9, 12, 0, 1), 0 },
		{ "mon-fri 09:00-17:00", berlin, wall(2026, 3, 9, 12, 0, 1),
		  wall(2026, 3, 9, 11, 0, 1), 0 },
		{ "mon-fri 09:00-12:00 13:00-17:00", berlin,
		  wall(2026, 3, 9, 11, 0, 1), wall(2026, 3, 9, 14, 0, 1),
		  2 * HOUR },
	};
	pool_t pool = pool_alloconly_create("test calendar", 4096);
	struct helpdesk_calendar *cal;
	unsigned int i;

	test_begin("helpdesk calendar elapsed");
	for (i = 0; i < N_ELEMENTS(tests); i++) {
		cal = calendar(pool, tests[i].hours, tests[i].tz, NULL);
		test_assert_cmp_idx(helpdesk_calendar_elapsed(cal,
			tests[i].from, tests[i].to), ==, tests[i].seconds, i);
	}
	test_end();
	pool_unref(&pool);
}

static const int64_t test_calendar_ns[] = {
	0, 1, 59, HOUR, 8 * HOUR - 1, 8 * HOUR, 8 * HOUR + 1,
	40 * HOUR, 200 * HOUR
};

/* The invariants at one start; prev_r[] holds the results of the
   previous (earlier) start, or 0. */
static void
test_calendar_invariants_at(const struct helpdesk_calendar *cal, time_t s,
			    time_t *prev_r, unsigned int idx)
{
	const int64_t *ns = test_calendar_ns;
	time_t r, last = 0;
	unsigned int j;

	for (j = 0; j < N_ELEMENTS(test_calendar_ns); j++) {
		r = helpdesk_calendar_add(cal, s, ns[j]);
		test_assert_idx(r >= s, idx);
		test_assert_idx(helpdesk_calendar_elapsed(cal, s, r) == ns[j],
				idx);
		/* monotonic in n and in start */
		test_assert_idx(r >= last, idx);
		test_assert_idx(r >= prev_r[j], idx);
		prev_r[j] = r;
		last = r;
		/* with room from a business moment on: s + n */
		if (helpdesk_calendar_is_business(cal, s) &&
		    helpdesk_calendar_elapsed(cal, s, s + ns[j]) == ns[j])
			test_assert_idx(r == s + ns[j], idx);
	}
	/* additivity over a split point */
	test_assert_idx(helpdesk_calendar_elapsed(cal, s, s + 100 * HOUR) ==
			helpdesk_calendar_elapsed(cal, s, s + 37 * HOUR) +
			helpdesk_calendar_elapsed(cal, s + 37 * HOUR,
						  s + 100 * HOUR), idx);
}

static void test_calendar_invariants(void)
{
	static const struct {
		const char *hours, *tz, *holidays;
	} cals[] = {
		{ "mon-fri 09:00-17:00", "Europe/Berlin", "2026-03-30" },
		{ "mon-fri 09:00-12:00 13:00-17:00; sat 10:00-14:00",
		  "Europe/Berlin", NULL },
		{ "fri-mon 00:00-02:30 22:00-24:00", "America/New_York", NULL },
		{ "sun 02:30-04:00, wed 01:00-03:00", "Europe/Berlin", NULL },
		{ "mon-sun 00:00-24:00", "Europe/Berlin", NULL },
		{ NULL, "America/New_York", "2026-03-08,2026-11-02" },
		{ "tue 12:00-12:01", "Europe/Berlin", "2026-03-31" },
		{ NULL, NULL, NULL },
	};
	/* around both changes in both zones */
	const time_t bases[] = {
		wall(2026, 3, 5, 0, 0, 0), wall(2026, 10, 21, 0, 0, 0)
	};
	pool_t pool = pool_alloconly_create("test calendar", 4096);
	struct helpdesk_calendar *cal;
	time_t prev_r[N_ELEMENTS(test_calendar_ns)];
	unsigned int i, b, k, idx = 0;

	test_begin("helpdesk calendar invariants");
	for (i = 0; i < N_ELEMENTS(cals); i++) {
		cal = calendar(pool, cals[i].hours, cals[i].tz,
			       cals[i].holidays);
		for (b = 0; b < N_ELEMENTS(bases); b++) {
			memset(prev_r, 0, sizeof(prev_r));
			/* every 7h01m for two weeks */
			for (k = 0; k < 48; k++, idx++) {
				test_calendar_invariants_at(cal,
					bases[b] + k * (7 * HOUR + 60),
					prev_r, idx);
			}
		}
	}
	test_end();
	pool_unref(&pool);
}

static void test_calendar_pause_resume(void)
{
	pool_t pool = pool_alloconly_create("test calendar", 4096);
	struct helpdesk_calendar *cal;
	time_t s, p, r, deadline;
	int64_t n = 16 * HOUR, used;

	test_begin("helpdesk calendar pause and resume");
	cal = calendar(pool, "mon-fri 09:00-17:00", "Europe/Berlin",
		       "2026-03-12");
	s = wall(2026, 3, 9, 10, 0, 1);
	/* paused Monday 15:00 (5 h used), resumed Wednesday 11:00 */
	p = wall(2026, 3, 9, 15, 0, 1);
	r = wall(2026, 3, 11, 11, 0, 1);
	used = helpdesk_calendar_elapsed(cal, s, p);
	test_assert(used == 5 * HOUR);
	deadline = helpdesk_calendar_add(cal, r, n - used);
	/* Wed 11-17 (6 h), Thursday a holiday, Fri 09-14 (5 h) */
	test_assert(deadline == wall(2026, 3, 13, 14, 0, 1));
	test_assert(used + helpdesk_calendar_elapsed(cal, r, deadline) == n);
	/* the deadline moves by the business time of the pause */
	test_assert(helpdesk_calendar_elapsed(cal,
		helpdesk_calendar_add(cal, s, n), deadline) ==
		helpdesk_calendar_elapsed(cal, p, r));
	/* a pause of no length, or one outside business time, changes
	   nothing */
	test_assert(helpdesk_calendar_add(cal, p,
		n - helpdesk_calendar_elapsed(cal, s, p)) ==
		helpdesk_calendar_add(cal, s, n));
	p = wall(2026, 3, 9, 17, 30, 1);
	r = wall(2026, 3, 10, 8, 0, 1);
	test_assert(helpdesk_calendar_add(cal, r,
		n - helpdesk_calendar_elapsed(cal, s, p)) ==
		helpdesk_calendar_add(cal, s, n));
	/* elapsed over two intervals + the rest from the second's end */
	p = wall(2026, 3, 10, 12, 0, 1);
	test_assert(helpdesk_calendar_add(cal, p,
		n - helpdesk_calendar_elapsed(cal, s, p)) ==
		helpdesk_calendar_add(cal, s, n));
	test_end();
	pool_unref(&pool);
}

static void test_calendar_parse(void)
{
	static const struct {
		const char *hours, *tz, *holidays;
		bool always;
	} good[] = {
		{ NULL, NULL, NULL, TRUE },
		{ "", "", "", TRUE },
		{ "always", "Europe/Berlin", NULL, TRUE },
		{ " Always ", "UTC", " ", TRUE },
		{ NULL, NULL, "2026-12-25", FALSE },
		{ "mon-fri 09:00-17:00", NULL, NULL, FALSE },
		{ "MON-Fri 09:00-17:00;", "America/New_York", NULL, FALSE },
		{ "mon-fri 09:00-12:00 13:00-17:00; sat 10:00-14:00",
		  NULL, NULL, FALSE },
		{ "mon 09:00-12:00 12:00-17:00, tue 00:00-24:00", NULL, NULL,
		  FALSE },
		{ "fri-mon 10:00-14:00; tue-thu 10:00-11:00", NULL, NULL,
		  FALSE },
		{ "sun 23:59-24:00", NULL,
		  "2024-02-29, 2026-12-25  2000-02-29,", FALSE },
	};
	static const struct {
		const char *hours, *tz, *holidays, *prefix;
	} bad[] = {
		{ "9-17", NULL, NULL, "business hours: " },
		{ "mon-fri 9-17", NULL, NULL,
		  "business hours: invalid time range '9-17'" },
		{ "mon-fri 9:00-17:00", NULL, NULL, "business hours: " },
		{ "mon-fri", NULL, NULL, "business hours: " },
		{ "mon,wed 08:00-16:00", NULL, NULL, "business hours: " },
		{ "mon-fri 09:00-17:00; fri 10:00-12:00", NULL, NULL,
		  "business hours: fri is listed twice" },
		{ "sat-mon 09:00-17:00; mon 10:00-12:00", NULL, NULL,
		  "business hours: " },
		{ "mon 09:00-12:00 11:00-13:00", NULL, NULL,
		  "business hours: time ranges 09:00-12:00 and 11:00-13:00" },
		{ "mon 09:00-17:00 10:00-11:00", NULL, NULL,
		  "business hours: " },
		{ "mon 17:00-09:00", NULL, NULL, "business hours: " },
		{ "mon 09:00-09:00", NULL, NULL, "business hours: " },
		{ "mon 24:00-24:00", NULL, NULL, "business hours: " },
		{ "mon 09:60-10:00", NULL, NULL, "business hours: " },
		{ "mon 23:00-24:01", NULL, NULL, "business hours: " },
		{ "mon 25:00-26:00", NULL, NULL, "business hours: " },
		{ "mon 09:00-17:00-18:00", NULL, NULL, "business hours: " },
		{ "mon 09:00-17:00 junk", NULL, NULL, "business hours: " },
		{ "xyz 09:00-17:00", NULL, NULL, "business hours: " },
		{ "monday 09:00-17:00", NULL, NULL, "business hours: " },
		{ "mon-mon 09:00-17:00", NULL, NULL, "business hours: " },
		{ "mon-xyz 09:00-17:00", NULL, NULL, "business hours: " },
		{ "mon--fri 09:00-17:00", NULL, NULL, "business hours: " },
		{ " ; ; ", NULL, NULL, "business hours: " },
		{ "always; mon 09:00-17:00", NULL, NULL, "business hours: " },
		{ NULL, "Nowhere/City", NULL, "timezone: " },
		{ NULL, "../../etc/passwd", NULL, "timezone: " },
		{ NULL, "/etc/localtime", NULL, "timezone: " },
		{ NULL, "Europe/../Europe/Berlin", NULL, "timezone: " },
		{ NULL, "./Europe/Berlin", NULL, "timezone: " },
		{ NULL, "Europe//Berlin", NULL, "timezone: " },
		{ NULL, "Europe/Berlin/", NULL, "timezone: " },
		{ NULL, "Europe", NULL, "timezone: " },
		{ NULL, "zone.tab", NULL, "timezone: " },
		{ NULL, "Europe/Berlin ", NULL, "timezone: " },
		{ NULL, ":Europe/Berlin", NULL, "timezone: " },
		{ NULL, "CET-1CEST,M3.5.0,M10.5.0/3", NULL, "timezone: " },
		{ NULL, NULL, "2026-02-30",
		  "holidays: invalid date '2026-02-30'" },
		{ NULL, NULL, "2026-13-01", "holidays: " },
		{ NULL, NULL, "2026-00-10", "holidays: " },
		{ NULL, NULL, "2026-01-00", "holidays: " },
		{ NULL, NULL, "2026-1-1", "holidays: " },
		{ NULL, NULL, "2026/01/01", "holidays: " },
		{ NULL, NULL, "20260101", "holidays: " },
		{ NULL, NULL, "1899-12-31", "holidays: " },
		{ NULL, NULL, "2026-01-01 x", "holidays: invalid date 'x'" },
		{ NULL, NULL, "2026-01-01,2026-02-29", "holidays: " },
		{ NULL, NULL, "2026-01-01;2026-01-02", "holidays: " },
		{ NULL, NULL, "2026-01-01 2026-01-0a 2026-01-03",
		  "holidays: invalid date '2026-01-0a'" },
		{ NULL, NULL, "2026-01-01T00:00", "holidays: " },
	};
	pool_t pool = pool_alloconly_create("test calendar", 4096);
	struct helpdesk_calendar *cal;
	const char *error;
	unsigned int i;

	test_begin("helpdesk calendar parse");
	for (i = 0; i < N_ELEMENTS(good); i++) {
		error = NULL;
		test_assert_idx(helpdesk_calendar_parse(pool, good[i].hours,
			good[i].tz, good[i].holidays, &cal, &error) == 0, i);
		test_assert_idx(error == NULL && cal != NULL &&
			helpdesk_calendar_is_always(cal) == good[i].always, i);
	}
	for (i = 0; i < N_ELEMENTS(bad); i++) {
		error = NULL;
		cal = (void *)1;
		test_assert_idx(helpdesk_calendar_parse(pool, bad[i].hours,
			bad[i].tz, bad[i].holidays, &cal, &error) < 0, i);
		test_assert_idx(cal == NULL, i);
		test_assert_idx(error != NULL &&
				str_begins(error, bad[i].prefix) &&
				strlen(error) > strlen("holidays: ") + 5, i);
	}
	test_assert(helpdesk_calendar_parse(pool, NULL, "Europe/Berlin", NULL,
					    &cal, &error) == 0 &&
		    strcmp(helpdesk_calendar_get_timezone(cal),
			   "Europe/Berlin") == 0);
	test_assert(helpdesk_calendar_parse(pool, NULL, "", NULL,
					    &cal, &error) == 0 &&
		    helpdesk_calendar_get_timezone(cal) == NULL);
	test_end();
	pool_unref(&pool);
}

static bool test_tz_is(const char *value)
{
	const char *tz = getenv("TZ");

	if (value == NULL)
		return tz == NULL;
	return tz != NULL && strcmp(tz, value) == 0;
}

static void test_calendar_process_tz(void)
{
	pool_t pool = pool_alloconly_create("test calendar", 4096);
	struct helpdesk_calendar *berlin, *ny, *local;
	const char *saved = t_strdup(getenv("TZ"));
	time_t s = wall(2026, 3, 6, 16, 0, -5), t;
	struct tm tm;

	test_begin("helpdesk calendar keeps the process's TZ");
	berlin = calendar(pool, "mon-fri 09:00-17:00", "Europe/Berlin", NULL);
	ny = calendar(pool, "mon-fri 09:00-17:00", "America/New_York", NULL);
	local = calendar(pool, "mon-fri 09:00-17:00", NULL, NULL);

	/* TZ unset stays unset */
	test_assert(unsetenv("TZ") == 0);
	tzset();
	(void)helpdesk_calendar_add(berlin, s, 2 * HOUR);
	test_assert(test_tz_is(NULL));
	(void)helpdesk_calendar_elapsed(berlin, s, s + 100 * HOUR);
	test_assert(test_tz_is(NULL));

	/* TZ set stays set, and the process's zone is still in effect */
	test_assert(setenv("TZ", "UTC", 1) == 0);
	tzset();
	(void)helpdesk_calendar_add(berlin, s, 2 * HOUR);
	(void)helpdesk_calendar_elapsed(ny, s, s + 100 * HOUR);
	test_assert(test_tz_is("UTC"));
	t = wall(2026, 7, 1, 12, 0, 0);
	test_assert(localtime_r(&t, &tm) != NULL && tm.tm_hour == 12);

	/* no zone: the process's, here New York's */
	test_assert(setenv("TZ", "America/New_York", 1) == 0);
	tzset();
	test_assert(helpdesk_calendar_add(local, s, 2 * HOUR) ==
		    wall(2026, 3, 9, 10, 0, -4));
	test_assert(helpdesk_calendar_add(local, s, 2 * HOUR) ==
		    helpdesk_calendar_add(ny, s, 2 * HOUR));
	test_assert(helpdesk_calendar_add(berlin, s, 0) ==
		    wall(2026, 3, 9, 9, 0, 1));
	test_assert(test_tz_is("America/New_York"));
	test_assert(localtime_r(&t, &tm) != NULL && tm.tm_hour == 8);

	if (saved == NULL)
		test_assert(unsetenv("TZ") == 0);
	else
		test_assert(setenv("TZ", saved, 1) == 0);
	tzset();
	test_end();
	pool_unref(&pool);
}

static void test_calendar_limits(void)
{
	pool_t pool = pool_alloconly_create("test calendar", 4096);
	struct helpdesk_calendar *cal, *always;
	time_t s = wall(2026, 3, 9, 10, 0, 1), r;

	test_begin("helpdesk calendar limits");
	cal = calendar(pool, "sun 12:00-12:01", "Europe/Berlin", "");
	always = calendar(pool, NULL, NULL, NULL);
	/* past the horizon the walk stops and the rest is plain time */
	r = helpdesk_calendar_add(cal, s, 365 * 24 * HOUR);
	test_assert(r > s);
	test_assert(helpdesk_calendar_elapsed(cal, s, r) == 365 * 24 * HOUR);
	/* saturation, no overflow */
	r = helpdesk_calendar_add(cal, s, INT64_MAX);
	test_assert(r > s);
	r = helpdesk_calendar_add(always, s, INT64_MAX);
	test_assert(r > s);
	test_assert(helpdesk_calendar_add(cal, s, -5) ==
		    helpdesk_calendar_add(cal, s, 0));
	test_assert(helpdesk_calendar_elapsed(cal, s, s - 1) == 0);
	test_assert(helpdesk_calendar_elapsed(always, s, s + 7) == 7);
	/* far outside the walked years: plain arithmetic */
	test_assert(helpdesk_calendar_add(cal, (time_t)1 << 40, 10) ==
		    ((time_t)1 << 40) + 10);
	test_end();
	pool_unref(&pool);
}

int main(void)
{
	static void (*const test_functions[])(void) = {
		test_calendar_zone_files,
		test_calendar_parse,
		test_calendar_add,
		test_calendar_elapsed,
		test_calendar_invariants,
		test_calendar_pause_resume,
		test_calendar_process_tz,
		test_calendar_limits,
		NULL
	};
	return test_run(test_functions);
}
