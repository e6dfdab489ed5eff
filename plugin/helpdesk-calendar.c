/* Copyright (c) 2026 dovecot-helpdesk authors, see the included COPYING file */

#include "lib.h"
#include "array.h"
#include "env-util.h"
#include "helpdesk-calendar.h"

#include <ctype.h>
#include <fcntl.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>

#define CALENDAR_DAY_SECS 86400
#define CALENDAR_DAY_MINUTES 1440
/* wider than any UTC offset and any single offset change */
#define CALENDAR_OFFSET_WINDOW (26 * 3600)
/* the instants a calendar walks: years 1000 to 9999 */
#define CALENDAR_TIME_MIN (-30610224000LL)
#define CALENDAR_TIME_MAX 253402300799LL
#define CALENDAR_ZONE_NAME_MAX_LEN 200

struct calendar_range {
	/* minutes after local midnight, start < end <= 1440 */
	unsigned int start, end;
};

struct helpdesk_calendar {
	/* tz database name, NULL = the process's zone */
	const char *timezone;
	/* the TZ value that selects it (":" + the file's path) */
	const char *tz_value;
	/* no hours and no holidays */
	bool always;

	/* per weekday, 0 = Sunday (tm_wday), sorted, not overlapping */
	const struct calendar_range *ranges[7];
	unsigned int range_count[7];

	/* day numbers (days since 1970-01-01), sorted */
	const int64_t *holidays;
	unsigned int holiday_count;
};

struct calendar_zone {
	bool switched;
	const char *old_tz;
};

static const char *const calendar_day_names[7] = {
	"sun", "mon", "tue", "wed", "thu", "fri", "sat"
};

static const int64_t calendar_time_t_max =
	(int64_t)(((uint64_t)1 << (sizeof(time_t) * CHAR_BIT - 1)) - 1);

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's
   days_from_civil). */
static int64_t calendar_days_from_civil(int64_t y, unsigned int m,
					unsigned int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2 ? 1 : 0;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static int64_t calendar_floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;

	return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

/* 0 = Sunday; 1970-01-01 was a Thursday */
static unsigned int calendar_weekday(int64_t day)
{
	int64_t w = (day + 4) % 7;

	return (unsigned int)(w < 0 ? w + 7 : w);
}

static bool calendar_is_leap(unsigned int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int64_t calendar_add_sat(int64_t a, int64_t b)
{
	/* b >= 0 */
	if (a > INT64_MAX - b)
		return INT64_MAX;
	return a + b;
}

static time_t calendar_time_clamp(int64_t t)
{
	if (t > calendar_time_t_max)
		return (time_t)calendar_time_t_max;
	if (t < -calendar_time_t_max)
		return (time_t)-calendar_time_t_max;
	return (time_t)t;
}

static bool calendar_time_in_range(time_t t)
{
	return (int64_t)t >= CALENDAR_TIME_MIN &&
		(int64_t)t <= CALENDAR_TIME_MAX;
}

/* The local wall clock at t, as seconds of a UTC-like count (days since
   1970-01-01 * 86400 + time of day). */
static int64_t calendar_local(int64_t t)
{
	time_t tt = calendar_time_clamp(t);
	struct tm tm;

	if (localtime_r(&tt, &tm) == NULL)
		return t;
	return calendar_days_from_civil((int64_t)tm.tm_year + 1900,
					tm.tm_mon + 1, tm.tm_mday) *
		CALENDAR_DAY_SECS +
		tm.tm_hour * 3600 + tm.tm_min * 60 + tm.tm_sec;
}

static int64_t calendar_offset(int64_t t)
{
	return calendar_local(t) - t;
}

/* The first instant at which the local clock shows wall or later: the
   instant itself when wall exists once, its first occurrence when it
   exists twice, the moment of the change when it falls into a gap. The
   offsets around it come from the tz database; at most one change within
   a day of it is assumed (true of every zone in use). */
static int64_t calendar_wall_to_utc(int64_t wall)
{
	int64_t t0, offsets[3], c, best, lo, hi, mid, f;
	bool have_best = FALSE, have_lo = FALSE, have_hi = FALSE;
	unsigned int i;

	t0 = wall - calendar_offset(wall);
	offsets[0] = calendar_offset(t0 - CALENDAR_OFFSET_WINDOW);
	offsets[1] = calendar_offset(t0);
	offsets[2] = calendar_offset(t0 + CALENDAR_OFFSET_WINDOW);
	if (offsets[0] == offsets[1] && offsets[1] == offsets[2])
		return wall - offsets[1];

	best = lo = hi = 0;
	for (i = 0; i < N_ELEMENTS(offsets); i++) {
		c = wall - offsets[i];
		f = calendar_local(c);
		if (f == wall) {
			if (!have_best || c < best)
				best = c;
			have_best = TRUE;
		} else if (f < wall) {
			if (!have_lo || c > lo)
				lo = c;
			have_lo = TRUE;
		}
	}
	if (have_best)
		return best;
	if (!have_lo)
		return t0;
	for (i = 0; i < N_ELEMENTS(offsets); i++) {
		c = wall - offsets[i];
		if (c > lo && calendar_local(c) > wall &&
		    (!have_hi || c < hi)) {
			hi = c;
			have_hi = TRUE;
		}
	}
	if (!have_hi)
		return t0;
	/* a gap: the change is in (lo, hi] */
	while (hi - lo > 1) {
		mid = lo + (hi - lo) / 2;
		if (calendar_local(mid) >= wall)
			hi = mid;
		else
			lo = mid;
	}
	return hi;
}

static void calendar_zone_enter(const struct helpdesk_calendar *cal,
				struct calendar_zone *zone)
{
	const char *old;

	i_zero(zone);
	if (cal->tz_value == NULL)
		return;
	old = getenv("TZ");
	if (old != NULL && strcmp(old, cal->tz_value) == 0)
		return;
	/* setenv() may free the old value: copy it first */
	zone->old_tz = t_strdup(old);
	env_put("TZ", cal->tz_value);
	tzset();
	zone->switched = TRUE;
}

static void calendar_zone_leave(struct calendar_zone *zone)
{
	if (!zone->switched)
		return;
	if (zone->old_tz == NULL)
		env_remove("TZ");
	else
		env_put("TZ", zone->old_tz);
	tzset();
	zone->switched = FALSE;
}

static bool calendar_is_holiday(const struct helpdesk_calendar *cal,
				int64_t day)
{
	unsigned int lo = 0, hi = cal->holiday_count, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (cal->holidays[mid] == day)
			return TRUE;
		if (cal->holidays[mid] < day)
			lo = mid + 1;
		else
			hi = mid;
	}
	return FALSE;
}

static int64_t calendar_add_walk(const struct helpdesk_calendar *cal,
				 int64_t start, int64_t seconds)
{
	const struct calendar_range *r;
	int64_t local_start, day, ta, tb, s, remaining = seconds;
	unsigned int i, j, wday;

	local_start = calendar_local(start);
	day = calendar_floor_div(local_start, CALENDAR_DAY_SECS);
	for (i = 0; i < HELPDESK_CALENDAR_MAX_DAYS; i++, day++) {
		if (calendar_is_holiday(cal, day))
			continue;
		wday = calendar_weekday(day);
		for (j = 0; j < cal->range_count[wday]; j++) {
			r = &cal->ranges[wday][j];
			/* a wall end <= start's wall clock is an instant
			   <= start: no conversion needed */
			if (day * CALENDAR_DAY_SECS + r->end * 60 <=
			    local_start)
				continue;
			tb = calendar_wall_to_utc(day * CALENDAR_DAY_SECS +
						  r->end * 60);
			if (tb <= start)
				continue;
			ta = calendar_wall_to_utc(day * CALENDAR_DAY_SECS +
						  r->start * 60);
			s = I_MAX(ta, start);
			if (s >= tb)
				continue;
			if (remaining <= tb - s)
				return s + remaining;
			remaining -= tb - s;
		}
	}
	/* beyond the horizon every moment counts */
	s = I_MAX(calendar_wall_to_utc(day * CALENDAR_DAY_SECS), start);
	return calendar_add_sat(s, remaining);
}

static int64_t calendar_elapsed_walk(const struct helpdesk_calendar *cal,
				     int64_t from, int64_t to)
{
	const struct calendar_range *r;
	int64_t local_from, local_to, day, ta, tb, s, e, total = 0;
	unsigned int i, j, wday;

	local_from = calendar_local(from);
	local_to = calendar_local(to);
	day = calendar_floor_div(local_from, CALENDAR_DAY_SECS);
	for (i = 0; i < HELPDESK_CALENDAR_MAX_DAYS; i++, day++) {
		/* offsets are under a day: this day starts after to */
		if (day * CALENDAR_DAY_SECS >= local_to + 2 * CALENDAR_DAY_SECS)
			return total;
		if (calendar_is_holiday(cal, day))
			continue;
		wday = calendar_weekday(day);
		for (j = 0; j < cal->range_count[wday]; j++) {
			r = &cal->ranges[wday][j];
			if (day * CALENDAR_DAY_SECS + r->end * 60 <= local_from)
				continue;
			ta = calendar_wall_to_utc(day * CALENDAR_DAY_SECS +
						  r->start * 60);
			if (ta >= to)
				return total;
			tb = calendar_wall_to_utc(day * CALENDAR_DAY_SECS +
						  r->end * 60);
			s = I_MAX(ta, from);
			e = I_MIN(tb, to);
			if (s < e)
				total += e - s;
		}
	}
	s = I_MAX(calendar_wall_to_utc(day * CALENDAR_DAY_SECS), from);
	if (to > s)
		total += to - s;
	return total;
}

time_t helpdesk_calendar_add(const struct helpdesk_calendar *cal,
			     time_t start, int64_t seconds)
{
	struct calendar_zone zone;
	int64_t result;

	if (seconds < 0)
		seconds = 0;
	if (cal->always || !calendar_time_in_range(start))
		return calendar_time_clamp(calendar_add_sat(start, seconds));
	T_BEGIN {
		calendar_zone_enter(cal, &zone);
		result = calendar_add_walk(cal, start, seconds);
		calendar_zone_leave(&zone);
	} T_END;
	return calendar_time_clamp(result);
}

int64_t helpdesk_calendar_elapsed(const struct helpdesk_calendar *cal,
				  time_t from, time_t to)
{
	struct calendar_zone zone;
	int64_t result;

	if (to <= from)
		return 0;
	if (cal->always || !calendar_time_in_range(from)) {
		if ((int64_t)from < 0 &&
		    (int64_t)to > INT64_MAX + (int64_t)from)
			return INT64_MAX;
		return (int64_t)to - (int64_t)from;
	}
	T_BEGIN {
		calendar_zone_enter(cal, &zone);
		result = calendar_elapsed_walk(cal, from, to);
		calendar_zone_leave(&zone);
	} T_END;
	return result;
}

bool helpdesk_calendar_is_business(const struct helpdesk_calendar *cal,
				   time_t t)
{
	return helpdesk_calendar_add(cal, t, 0) == t;
}

bool helpdesk_calendar_is_always(const struct helpdesk_calendar *cal)
{
	return cal->always;
}

const char *helpdesk_calendar_get_timezone(const struct helpdesk_calendar *cal)
{
	return cal->timezone;
}

void helpdesk_calendar_localtime(const struct helpdesk_calendar *cal,
				 time_t t, struct tm *tm_r)
{
	struct calendar_zone zone;

	if (cal == NULL) {
		if (localtime_r(&t, tm_r) == NULL)
			i_zero(tm_r);
		return;
	}
	calendar_zone_enter(cal, &zone);
	if (localtime_r(&t, tm_r) == NULL)
		i_zero(tm_r);
	calendar_zone_leave(&zone);
}

time_t helpdesk_calendar_mktime(const struct helpdesk_calendar *cal,
				const struct tm *tm)
{
	struct calendar_zone zone;
	struct tm copy = *tm;
	time_t t;

	copy.tm_isdst = -1;
	if (cal == NULL)
		return mktime(&copy);
	calendar_zone_enter(cal, &zone);
	t = mktime(&copy);
	calendar_zone_leave(&zone);
	return t;
}

/* Parsing */

static const char *calendar_minutes_str(unsigned int minutes)
{
	return t_strdup_printf("%02u:%02u", minutes / 60, minutes % 60);
}

static bool calendar_parse_day(const char *name, unsigned int *day_r)
{
	unsigned int i;

	for (i = 0; i < N_ELEMENTS(calendar_day_names); i++) {
		if (strcasecmp(name, calendar_day_names[i]) == 0) {
			*day_r = i;
			return TRUE;
		}
	}
	return FALSE;
}

/* "mon" or "mon-fri" (wrapping "fri-mon" allowed) into a bit mask of
   weekdays (bit 0 = Sunday). */
static int calendar_parse_days(const char *str, unsigned int *mask_r,
			       const char **error_r)
{
	const char *dash = strchr(str, '-');
	unsigned int first, last, day;

	*mask_r = 0;
	if (dash == NULL) {
		if (!calendar_parse_day(str, &first))
			goto bad;
		*mask_r = 1U << first;
		return 0;
	}
	if (!calendar_parse_day(t_strdup_until(str, dash), &first) ||
	    !calendar_parse_day(dash + 1, &last))
		goto bad;
	if (first == last) {
		*error_r = t_strdup_printf("business hours: "
			"day range '%s' starts and ends on the same day "
			"(name the day alone)", str);
		return -1;
	}
	for (day = first;; day = (day + 1) % 7) {
		*mask_r |= 1U << day;
		if (day == last)
			break;
	}
	return 0;
bad:
	*error_r = t_strdup_printf("business hours: invalid day '%s' "
		"(use mon, tue, wed, thu, fri, sat, sun or a range such as "
		"mon-fri)", str);
	return -1;
}

static bool calendar_parse_hhmm(const char *p, bool is_end,
				unsigned int *minutes_r)
{
	unsigned int h, m;

	if (!i_isdigit(p[0]) || !i_isdigit(p[1]) || p[2] != ':' ||
	    !i_isdigit(p[3]) || !i_isdigit(p[4]))
		return FALSE;
	h = (p[0] - '0') * 10 + (p[1] - '0');
	m = (p[3] - '0') * 10 + (p[4] - '0');
	if (m > 59)
		return FALSE;
	if (h > 23 && !(is_end && h == 24 && m == 0))
		return FALSE;
	*minutes_r = h * 60 + m;
	return TRUE;
}

static int calendar_parse_time_range(const char *str,
				     struct calendar_range *range_r,
				     const char **error_r)
{
	if (strlen(str) != 11 || str[5] != '-' ||
	    !calendar_parse_hhmm(str, FALSE, &range_r->start) ||
	    !calendar_parse_hhmm(str + 6, TRUE, &range_r->end)) {
		*error_r = t_strdup_printf("business hours: "
			"invalid time range '%s' (use HH:MM-HH:MM)", str);
		return -1;
	}
	if (range_r->start >= range_r->end) {
		*error_r = t_strdup_printf("business hours: "
			"time range '%s' does not end after it starts", str);
		return -1;
	}
	return 0;
}

static int calendar_range_cmp(const struct calendar_range *r1,
			      const struct calendar_range *r2)
{
	if (r1->start < r2->start)
		return -1;
	return r1->start > r2->start ? 1 : 0;
}

/* One day spec: "mon-fri 09:00-12:00 13:00-17:00"; one of only white
   space adds nothing. The days go into *seen_mask. */
static int calendar_parse_spec(pool_t pool, struct helpdesk_calendar *cal,
			       const char *spec, unsigned int *seen_mask,
			       const char **error_r)
{
	const char *const *tokens = t_strsplit_spaces(spec, " \t");
	ARRAY(struct calendar_range) ranges;
	const struct calendar_range *r, *copy;
	struct calendar_range range;
	unsigned int mask, day, i, count;

	if (tokens[0] == NULL)
		return 0;
	if (calendar_parse_days(tokens[0], &mask, error_r) < 0)
		return -1;
	if (tokens[1] == NULL) {
		*error_r = t_strdup_printf("business hours: "
			"'%s' has no time range "
			"(use e.g. 'mon-fri 09:00-17:00')", tokens[0]);
		return -1;
	}
	for (day = 0; day < 7; day++) {
		if ((mask & (1U << day)) != 0 &&
		    (*seen_mask & (1U << day)) != 0) {
			*error_r = t_strdup_printf("business hours: "
				"%s is listed twice", calendar_day_names[day]);
			return -1;
		}
	}
	*seen_mask |= mask;

	t_array_init(&ranges, 4);
	for (i = 1; tokens[i] != NULL; i++) {
		if (calendar_parse_time_range(tokens[i], &range, error_r) < 0)
			return -1;
		array_push_back(&ranges, &range);
	}
	array_sort(&ranges, calendar_range_cmp);
	r = array_get(&ranges, &count);
	for (i = 1; i < count; i++) {
		if (r[i].start < r[i - 1].end) {
			*error_r = t_strdup_printf("business hours: "
				"time ranges %s-%s and %s-%s of '%s' overlap",
				calendar_minutes_str(r[i - 1].start),
				calendar_minutes_str(r[i - 1].end),
				calendar_minutes_str(r[i].start),
				calendar_minutes_str(r[i].end), tokens[0]);
			return -1;
		}
	}
	copy = p_memdup(pool, r, sizeof(*r) * count);
	for (day = 0; day < 7; day++) {
		if ((mask & (1U << day)) != 0) {
			cal->ranges[day] = copy;
			cal->range_count[day] = count;
		}
	}
	return 0;
}

static int calendar_parse_hours(pool_t pool, struct helpdesk_calendar *cal,
				const char *hours, const char **error_r)
{
	static const struct calendar_range whole_day = {
		0, CALENDAR_DAY_MINUTES
	};
	const char *const *specs, *const *words;
	unsigned int day, seen_mask = 0;

	words = t_strsplit_spaces(hours == NULL ? "" : hours, " \t");
	if (words[0] == NULL ||
	    (words[1] == NULL && strcasecmp(words[0], "always") == 0)) {
		for (day = 0; day < 7; day++) {
			cal->ranges[day] = &whole_day;
			cal->range_count[day] = 1;
		}
		return 1;
	}
	for (specs = t_strsplit(hours, ";,"); *specs != NULL; specs++) {
		if (calendar_parse_spec(pool, cal, *specs, &seen_mask,
					error_r) < 0)
			return -1;
	}
	if (seen_mask == 0) {
		*error_r = t_strdup_printf("business hours: "
			"no business time in '%s'", hours);
		return -1;
	}
	return 0;
}

static bool calendar_zone_name_is_valid(const char *name)
{
	const char *const *parts;
	const char *p;

	if (strlen(name) > CALENDAR_ZONE_NAME_MAX_LEN || name[0] == '/')
		return FALSE;
	for (p = name; *p != '\0'; p++) {
		if (!i_isalnum(*p) && strchr("/_+-.", *p) == NULL)
			return FALSE;
	}
	for (parts = t_strsplit(name, "/"); *parts != NULL; parts++) {
		if (**parts == '\0' || strcmp(*parts, ".") == 0 ||
		    strcmp(*parts, "..") == 0)
			return FALSE;
	}
	return TRUE;
}

static int calendar_parse_timezone(pool_t pool, struct helpdesk_calendar *cal,
				   const char *timezone, const char **error_r)
{
	const char *path;
	unsigned char magic[4];
	struct stat st;
	ssize_t ret;
	int fd;

	if (timezone == NULL || *timezone == '\0')
		return 0;
	if (!calendar_zone_name_is_valid(timezone)) {
		*error_r = t_strdup_printf("timezone: invalid zone name '%s' "
			"(use a tz database name such as Europe/Berlin)",
			timezone);
		return -1;
	}
	path = t_strconcat(HELPDESK_CALENDAR_ZONEINFO_DIR"/", timezone, NULL);
	fd = open(path, O_RDONLY);
	if (fd == -1) {
		*error_r = t_strdup_printf("timezone: unknown zone '%s' "
			"(open(%s) failed: %m)", timezone, path);
		return -1;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
		ret = -1;
	else
		ret = read(fd, magic, sizeof(magic));
	i_close_fd(&fd);
	if (ret != (ssize_t)sizeof(magic) ||
	    memcmp(magic, "TZif", sizeof(magic)) != 0) {
		*error_r = t_strdup_printf("timezone: unknown zone '%s' "
			"(%s is no TZif file)", timezone, path);
		return -1;
	}
	cal->timezone = p_strdup(pool, timezone);
	cal->tz_value = p_strconcat(pool, ":", path, NULL);
	return 0;
}

static int calendar_int64_cmp(const int64_t *a, const int64_t *b)
{
	return *a < *b ? -1 : (*a > *b ? 1 : 0);
}

static bool calendar_parse_date(const char *str, int64_t *day_r)
{
	static const unsigned int month_days[12] = {
		31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31
	};
	unsigned int i, y, m, d, max;

	if (strlen(str) != 10 || str[4] != '-' || str[7] != '-')
		return FALSE;
	for (i = 0; i < 10; i++) {
		if (i != 4 && i != 7 && !i_isdigit(str[i]))
			return FALSE;
	}
	y = (str[0] - '0') * 1000 + (str[1] - '0') * 100 +
		(str[2] - '0') * 10 + (str[3] - '0');
	m = (str[5] - '0') * 10 + (str[6] - '0');
	d = (str[8] - '0') * 10 + (str[9] - '0');
	if (y < 1900 || m < 1 || m > 12 || d < 1)
		return FALSE;
	max = month_days[m - 1] + (m == 2 && calendar_is_leap(y) ? 1 : 0);
	if (d > max)
		return FALSE;
	*day_r = calendar_days_from_civil(y, m, d);
	return TRUE;
}

static int calendar_parse_holidays(pool_t pool, struct helpdesk_calendar *cal,
				   const char *holidays, const char **error_r)
{
	ARRAY(int64_t) days;
	const char *const *dates;
	const int64_t *d;
	unsigned int count;
	int64_t day;

	if (holidays == NULL || *holidays == '\0')
		return 0;
	t_array_init(&days, 16);
	for (dates = t_strsplit_spaces(holidays, " \t,"); *dates != NULL;
	     dates++) {
		if (!calendar_parse_date(*dates, &day)) {
			*error_r = t_strdup_printf("holidays: invalid date "
				"'%s' (use YYYY-MM-DD separated by spaces or "
				"commas)", *dates);
			return -1;
		}
		array_push_back(&days, &day);
	}
	array_sort(&days, calendar_int64_cmp);
	d = array_get(&days, &count);
	if (count > 0)
		cal->holidays = p_memdup(pool, d, sizeof(*d) * count);
	cal->holiday_count = count;
	return 0;
}

int helpdesk_calendar_parse(pool_t pool, const char *hours,
			    const char *timezone, const char *holidays,
			    struct helpdesk_calendar **cal_r,
			    const char **error_r)
{
	struct helpdesk_calendar *cal;
	int ret;

	*cal_r = NULL;
	cal = p_new(pool, struct helpdesk_calendar, 1);
	if ((ret = calendar_parse_hours(pool, cal, hours, error_r)) < 0 ||
	    calendar_parse_timezone(pool, cal, timezone, error_r) < 0 ||
	    calendar_parse_holidays(pool, cal, holidays, error_r) < 0)
		return -1;
	cal->always = ret > 0 && cal->holiday_count == 0;
	*cal_r = cal;
	return 0;
}
