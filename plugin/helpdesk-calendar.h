#ifndef HELPDESK_CALENDAR_H
#define HELPDESK_CALENDAR_H

/* SLA business time: which moments count (business hours per weekday in a
   time zone, minus holidays) and the arithmetic on them. Pure logic: the
   zone rules are the system's tz database, read through libc.

   Local wall times map to instants as "the first instant at which the
   local clock shows that time or later": a time that does not exist
   (spring forward) is the moment of the change, one that exists twice
   (autumn) is its first occurrence. A business interval lasts the
   difference of those instants, so a 00:00-24:00 day is 23 h on a
   spring-forward day and 25 h on an autumn one.

   add() and elapsed() switch the process's TZ for the duration of one
   call when the calendar names a zone (and restore it before they
   return), so they are not thread-safe: Dovecot processes are
   single-threaded. */

/* Where the zone files are; a calendar's zone must be one of them. */
#define HELPDESK_CALENDAR_ZONEINFO_DIR "/usr/share/zoneinfo"

/* add() and elapsed() walk at most this many local days from the day of
   their start; every moment after that horizon counts as business time
   (both functions agree on it, so elapsed(s, add(s, n)) == n holds). */
#define HELPDESK_CALENDAR_MAX_DAYS 3660

struct helpdesk_calendar;

/* Parse a calendar into *cal_r, allocated from pool (which must outlive
   it). No argument is kept: they may be freed after the call.

   hours: NULL, "" or "always" = every moment counts (minus holidays);
   otherwise day specs separated by ';' or ',', each a day (mon tue wed
   thu fri sat sun, case-insensitive) or a day range ("mon-fri", wrapping
   "fri-mon" allowed), then one or more time ranges HH:MM-HH:MM separated
   by spaces ("mon-fri 09:00-12:00 13:00-17:00; sat 10:00-14:00"). End
   24:00 is allowed, start < end, the ranges of a day may not overlap and
   a day may be listed once only.

   timezone: NULL or "" = the process's zone (TZ, else /etc/localtime,
   looked up at each call); else a tz database name ("Europe/Berlin") that
   must be a TZif file under HELPDESK_CALENDAR_ZONEINFO_DIR.

   holidays: NULL or "" = none; else YYYY-MM-DD dates (years 1900-9999)
   separated by spaces and/or commas. One bad date refuses the whole list.
   A holiday is a whole local day without business time.

   Returns 0, or -1 with *error_r (data stack) starting with
   "business hours: ", "timezone: " or "holidays: " and quoting the bad
   part. */
int helpdesk_calendar_parse(pool_t pool, const char *hours,
			    const char *timezone, const char *holidays,
			    struct helpdesk_calendar **cal_r,
			    const char **error_r);

/* TRUE when every moment is business time (no hours, no holidays): add()
   and elapsed() are then plain arithmetic, with no time zone work. */
bool helpdesk_calendar_is_always(const struct helpdesk_calendar *cal);

/* The calendar's zone name, or NULL for the process's zone. */
const char *helpdesk_calendar_get_timezone(const struct helpdesk_calendar *cal);

/* The local time of t in the calendar's zone (cal NULL: the process's
   zone), as localtime_r() gives it. */
void helpdesk_calendar_localtime(const struct helpdesk_calendar *cal,
				 time_t t, struct tm *tm_r);
/* The instant of local time tm in the calendar's zone, as mktime() with
   tm_isdst = -1 gives it (fields out of range are normalized). */
time_t helpdesk_calendar_mktime(const struct helpdesk_calendar *cal,
				const struct tm *tm);

/* The moment at which `seconds` of business time have passed, counting
   from start. With seconds == 0 (or negative, taken as 0) it is the first
   business moment >= start. A target that ends exactly at a closing time
   returns the closing time (17:00, not the next opening). The result is
   monotonic in start and in seconds, and saturates at the largest time_t.
   A start outside the years 1000-9999 is plain arithmetic. */
time_t helpdesk_calendar_add(const struct helpdesk_calendar *cal,
			     time_t start, int64_t seconds);

/* The business seconds in [from, to): 0 when to <= from. For any n >= 0,
   elapsed(s, add(s, n)) == n (unless add() saturated), and
   elapsed(a, c) == elapsed(a, b) + elapsed(b, c) for a <= b <= c within
   the horizon of a. */
int64_t helpdesk_calendar_elapsed(const struct helpdesk_calendar *cal,
				  time_t from, time_t to);

/* TRUE when t is business time (add(cal, t, 0) == t). */
bool helpdesk_calendar_is_business(const struct helpdesk_calendar *cal,
				   time_t t);

#endif
