/* Copyright (c) 2026 dovecot-helpdesk authors, see the included COPYING file */

#include "lib.h"
#include "str.h"
#include "strnum.h"
#include "settings-parser.h"
#include "helpdesk-sla.h"

#include <ctype.h>

static const char *const sla_priority_names[HELPDESK_SLA_PRIORITY_COUNT] = {
	"urgent", "high", "normal", "low"
};
#define SLA_PRIORITY_NORMAL 2

static const char *const sla_clock_names[HELPDESK_SLA_CLOCK_COUNT] = {
	[HELPDESK_SLA_FIRST_RESPONSE] = "first_response",
	[HELPDESK_SLA_NEXT_RESPONSE] = "next_response",
	[HELPDESK_SLA_RESOLUTION] = "resolution",
};

/* at most a year of business time: keeps every sum far from overflow */
#define SLA_TARGET_MAX_SECS (366U * 24 * 3600)

static int sla_priority_index(const char *name)
{
	unsigned int i;

	for (i = 0; i < HELPDESK_SLA_PRIORITY_COUNT; i++) {
		if (strcmp(sla_priority_names[i], name) == 0)
			return (int)i;
	}
	return -1;
}

int helpdesk_sla_targets_parse(const char *value,
			       unsigned int target[HELPDESK_SLA_PRIORITY_COUNT],
			       const char **error_r)
{
	unsigned int parsed[HELPDESK_SLA_PRIORITY_COUNT], secs;
	bool seen[HELPDESK_SLA_PRIORITY_COUNT];
	const char *const *items, *p, *error;
	int idx;

	memcpy(parsed, target, sizeof(parsed));
	i_zero(&seen);
	items = t_strsplit_spaces(value, " ,");
	if (items[0] == NULL) {
		*error_r = "no targets given (e.g. urgent=1h high=4h "
			"normal=8h low=1d)";
		return -1;
	}
	for (; *items != NULL; items++) {
		p = strchr(*items, '=');
		if (p == NULL) {
			*error_r = t_strdup_printf("'%s' is not PRIORITY=TIME",
						   *items);
			return -1;
		}
		idx = sla_priority_index(t_strdup_until(*items, p));
		if (idx < 0) {
			*error_r = t_strdup_printf("unknown priority in '%s' "
				"(use urgent, high, normal or low)", *items);
			return -1;
		}
		if (seen[idx]) {
			*error_r = t_strdup_printf("%s given twice",
						   sla_priority_names[idx]);
			return -1;
		}
		seen[idx] = TRUE;
		if (settings_get_time(p + 1, &secs, &error) < 0) {
			*error_r = t_strdup_printf("'%s': %s", *items, error);
			return -1;
		}
		if (secs == 0 || secs > SLA_TARGET_MAX_SECS) {
			*error_r = t_strdup_printf("'%s': a target must be "
				"between 1s and 366d", *items);
			return -1;
		}
		parsed[idx] = secs;
	}
	memcpy(target, parsed, sizeof(parsed));
	return 0;
}

int helpdesk_sla_vip_factor_parse(const char *value,
				  unsigned int *permille_r,
				  const char **error_r)
{
	unsigned int whole = 0, frac = 0, digits = 0;
	const char *p = value;

	if (!i_isdigit(*p))
		goto invalid;
	while (i_isdigit(*p)) {
		whole = whole * 10 + (*p - '0');
		if (whole > 1)
			goto invalid;
		p++;
	}
	if (*p == '.') {
		p++;
		while (i_isdigit(*p) && digits < 3) {
			frac = frac * 10 + (*p - '0');
			digits++;
			p++;
		}
		if (digits == 0)
			goto invalid;
		for (; digits < 3; digits++)
			frac *= 10;
	}
	if (*p != '\0')
		goto invalid;
	*permille_r = whole * 1000 + frac;
	if (*permille_r == 0 || *permille_r > 1000)
		goto invalid;
	return 0;
invalid:
	*error_r = t_strdup_printf("invalid factor '%s' (a number above 0 "
				   "and at most 1, e.g. 0.5)", value);
	return -1;
}

int helpdesk_sla_warn_parse(const char *value, unsigned int *before_secs_r,
			    unsigned int *percent_r, const char **error_r)
{
	const char *const *items, *error;
	unsigned int before = 0, percent = 0, secs;
	bool have_before = FALSE, have_percent = FALSE;
	size_t len, suffix;

	items = t_strsplit_spaces(value, " ,");
	if (items[0] == NULL) {
		*error_r = "empty (e.g. '15m 80%', or 'no')";
		return -1;
	}
	if (items[1] == NULL && (strcmp(items[0], "no") == 0 ||
				 strcmp(items[0], "0") == 0)) {
		*before_secs_r = 0;
		*percent_r = 0;
		return 0;
	}
	for (; *items != NULL; items++) {
		len = strlen(*items);
		/* "80pct", or "80%" (which dovecot.conf spells 80%%: its
		   plugin settings expand %-variables) */
		suffix = len > 1 && (*items)[len - 1] == '%' ? 1 :
			len > 3 && strcmp(*items + len - 3, "pct") == 0 ? 3 : 0;
		if (suffix > 0) {
			if (have_percent ||
			    str_to_uint(t_strndup(*items, len - suffix),
					&percent) < 0 ||
			    percent == 0 || percent >= 100) {
				*error_r = t_strdup_printf("invalid percentage "
					"'%s' (1pct-99pct, once)", *items);
				return -1;
			}
			have_percent = TRUE;
		} else {
			if (have_before ||
			    settings_get_time(*items, &secs, &error) < 0 ||
			    secs == 0 || secs > SLA_TARGET_MAX_SECS) {
				*error_r = t_strdup_printf("invalid time '%s' "
					"(e.g. 15m, or a share: 80pct; each once)",
					*items);
				return -1;
			}
			before = secs;
			have_before = TRUE;
		}
	}
	*before_secs_r = before;
	*percent_r = percent;
	return 0;
}

/* HELPDESK_SLA_DEFAULT_* in numbers: every user's settings start from
   them, at each delivery (the unit test checks they agree) */
static const struct helpdesk_sla_policy sla_default_policy = {
	.target = {
		[HELPDESK_SLA_FIRST_RESPONSE] = { 3600, 4 * 3600, 8 * 3600,
						  86400 },
		[HELPDESK_SLA_NEXT_RESPONSE] = { 2 * 3600, 8 * 3600, 86400,
						 2 * 86400 },
		[HELPDESK_SLA_RESOLUTION] = { 4 * 3600, 86400, 3 * 86400,
					      5 * 86400 },
	},
	.vip_permille = 500,
	.warn_before_secs = 15 * 60,
	.warn_percent = 80,
};

void helpdesk_sla_policy_defaults(struct helpdesk_sla_policy *policy_r)
{
	*policy_r = sla_default_policy;
}

const char *helpdesk_sla_clock_name(enum helpdesk_sla_clock clock)
{
	i_assert(clock < HELPDESK_SLA_CLOCK_COUNT);
	return sla_clock_names[clock];
}

const char *helpdesk_sla_status_name(enum helpdesk_sla_status status)
{
	switch (status) {
	case HELPDESK_SLA_STATUS_NONE:
		return "none";
	case HELPDESK_SLA_STATUS_RUNNING:
		return "running";
	case HELPDESK_SLA_STATUS_PAUSED:
		return "paused";
	case HELPDESK_SLA_STATUS_WARN:
		return "warn";
	case HELPDESK_SLA_STATUS_BREACH:
		return "breach";
	}
	i_unreached();
}

const char *helpdesk_sla_report_event(enum helpdesk_sla_report report)
{
	switch (report) {
	case HELPDESK_SLA_REPORT_WARNED:
		return "sla_warned";
	case HELPDESK_SLA_REPORT_BREACHED:
		return "sla_breached";
	case HELPDESK_SLA_REPORT_MET:
		return "sla_met";
	}
	i_unreached();
}

void helpdesk_sla_terms_init(const struct helpdesk_sla_policy *policy,
			     const char *priority, bool vip,
			     struct helpdesk_sla_terms *terms_r)
{
	int prio = priority == NULL ? -1 : sla_priority_index(priority);
	unsigned int clock;
	int64_t target, warn, before;

	if (prio < 0)
		prio = SLA_PRIORITY_NORMAL;
	i_zero(terms_r);
	terms_r->calendar = policy->calendar;
	for (clock = 0; clock < HELPDESK_SLA_CLOCK_COUNT; clock++) {
		target = policy->target[clock][prio];
		if (vip)
			target = target * policy->vip_permille / 1000;
		if (target < 1)
			target = 1;
		/* the later of "so long before" and "this share of it" */
		warn = target + 1;
		if (policy->warn_before_secs > 0) {
			before = target - (int64_t)policy->warn_before_secs;
			warn = I_MAX(before, 0);
		}
		if (policy->warn_percent > 0) {
			int64_t share = target * policy->warn_percent / 100;

			warn = policy->warn_before_secs > 0 ?
				I_MAX(warn, share) : share;
		}
		terms_r->target[clock] = target;
		/* warn > target: never */
		terms_r->warn[clock] = warn;
	}
}

static int64_t
sla_elapsed(const struct helpdesk_sla_terms *terms, int64_t from, int64_t to)
{
	if (to <= from)
		return 0;
	if (terms->calendar == NULL)
		return to - from;
	return helpdesk_calendar_elapsed(terms->calendar, from, to);
}

static int64_t
sla_add(const struct helpdesk_sla_terms *terms, int64_t start, int64_t secs)
{
	if (secs < 0)
		secs = 0;
	if (terms->calendar == NULL)
		return start + secs;
	return helpdesk_calendar_add(terms->calendar, start, secs);
}

/* The business seconds the clock has used by t. */
static int64_t
sla_used(const struct helpdesk_sla_terms *terms,
	 const struct helpdesk_sla_clock_state *state, int64_t t)
{
	if (state->since == 0)
		return state->used;
	return state->used + sla_elapsed(terms, state->since, t);
}

/* When the clock reaches point (business seconds of its own): for a
   paused clock that is already past it, at.  */
static int64_t
sla_reaches(const struct helpdesk_sla_terms *terms,
	    const struct helpdesk_sla_clock_state *state, int64_t point,
	    int64_t at)
{
	if (state->since == 0)
		return at;
	return sla_add(terms, state->since, point - state->used);
}

static void
sla_report(const struct helpdesk_sla_terms *terms,
	   enum helpdesk_sla_report report, enum helpdesk_sla_clock clock,
	   const struct helpdesk_sla_clock_state *state, int64_t when)
{
	if (terms->report != NULL)
		terms->report(terms->context, report, clock, state->start,
			      when);
}

/* Report what the clock reached by t. */
static void
sla_clock_check(const struct helpdesk_sla_terms *terms,
		enum helpdesk_sla_clock clock,
		struct helpdesk_sla_clock_state *state, int64_t t)
{
	int64_t used;

	if (state->start == 0)
		return;
	used = sla_used(terms, state, t);
	if ((state->flags & HELPDESK_SLA_FLAG_WARNED) == 0 &&
	    terms->warn[clock] <= terms->target[clock] &&
	    used >= terms->warn[clock]) {
		state->flags |= HELPDESK_SLA_FLAG_WARNED;
		sla_report(terms, HELPDESK_SLA_REPORT_WARNED, clock, state,
			   I_MIN(t, sla_reaches(terms, state,
						terms->warn[clock], t)));
	}
	if ((state->flags & HELPDESK_SLA_FLAG_BREACHED) == 0 &&
	    used >= terms->target[clock]) {
		state->flags |= HELPDESK_SLA_FLAG_BREACHED;
		sla_report(terms, HELPDESK_SLA_REPORT_BREACHED, clock, state,
			   I_MIN(t, sla_reaches(terms, state,
						terms->target[clock], t)));
	}
}

static void sla_clock_start(struct helpdesk_sla_clock_state *state, int64_t t)
{
	i_zero(state);
	/* 0 means "not running": a clock started at the epoch is not */
	state->start = I_MAX(t, 1);
	state->since = state->start;
}

static void
sla_clock_pause(const struct helpdesk_sla_terms *terms,
		struct helpdesk_sla_clock_state *state, int64_t t)
{
	if (state->start == 0 || state->since == 0)
		return;
	state->used = sla_used(terms, state, t);
	state->since = 0;
}

/* The clock stops: met (reported unless it was breached) or not. */
static void
sla_clock_stop(const struct helpdesk_sla_terms *terms,
	       enum helpdesk_sla_clock clock,
	       struct helpdesk_sla_clock_state *state, int64_t t, bool met)
{
	if (state->start == 0)
		return;
	if (met && (state->flags & HELPDESK_SLA_FLAG_BREACHED) == 0)
		sla_report(terms, HELPDESK_SLA_REPORT_MET, clock, state, t);
	i_zero(state);
}

static enum helpdesk_sla_clock
sla_response_clock(const struct helpdesk_sla_clocks *clocks)
{
	return clocks->response_next ? HELPDESK_SLA_NEXT_RESPONSE :
		HELPDESK_SLA_FIRST_RESPONSE;
}

void helpdesk_sla_advance(struct helpdesk_sla_clocks *clocks,
			  const struct helpdesk_sla_terms *terms, int64_t now)
{
	sla_clock_check(terms, sla_response_clock(clocks), &clocks->response,
			now);
	sla_clock_check(terms, HELPDESK_SLA_RESOLUTION, &clocks->resolution,
			now);
}

void helpdesk_sla_apply(struct helpdesk_sla_clocks *clocks,
			const struct helpdesk_sla_terms *terms,
			enum helpdesk_sla_input input, int64_t t)
{
	struct helpdesk_sla_clock_state *res = &clocks->resolution;
	bool waiting = res->start != 0 && res->since == 0;

	helpdesk_sla_advance(clocks, terms, t);
	switch (input) {
	case HELPDESK_SLA_INPUT_CREATED:
		i_zero(clocks);
		sla_clock_start(&clocks->response, t);
		sla_clock_start(res, t);
		break;
	case HELPDESK_SLA_INPUT_CUSTOMER_MESSAGE:
		/* the customer answered the agent: the clocks run again,
		   and the agent owes the next response */
		if (!waiting)
			break;
		res->since = I_MAX(t, 1);
		if (clocks->response.start == 0) {
			clocks->response_next = clocks->first_response_at != 0;
			sla_clock_start(&clocks->response, t);
		}
		break;
	case HELPDESK_SLA_INPUT_AGENT_REPLY:
		if (clocks->first_response_at == 0)
			clocks->first_response_at = I_MAX(t, 1);
		sla_clock_stop(terms, sla_response_clock(clocks),
			       &clocks->response, t, TRUE);
		/* waiting on the customer */
		sla_clock_pause(terms, res, t);
		break;
	case HELPDESK_SLA_INPUT_RESOLVED:
		sla_clock_stop(terms, sla_response_clock(clocks),
			       &clocks->response, t, FALSE);
		sla_clock_stop(terms, HELPDESK_SLA_RESOLUTION, res, t, TRUE);
		break;
	case HELPDESK_SLA_INPUT_REOPENED_BY_CUSTOMER:
	case HELPDESK_SLA_INPUT_REOPENED:
		if (res->start != 0)
			break;
		/* a fresh resolution clock; a customer's message also
		   wants an answer (an agent who reopens a ticket without
		   one answered before owes the first) */
		sla_clock_start(res, t);
		if (input == HELPDESK_SLA_INPUT_REOPENED_BY_CUSTOMER ||
		    clocks->first_response_at == 0) {
			clocks->response_next = clocks->first_response_at != 0;
			sla_clock_start(&clocks->response, t);
		}
		break;
	}
}

static void
sla_summarize_clock(const struct helpdesk_sla_terms *terms,
		    enum helpdesk_sla_clock clock,
		    const struct helpdesk_sla_clock_state *state, int64_t now,
		    struct helpdesk_sla_summary *summary)
{
	enum helpdesk_sla_status status;
	int64_t used, next = 0;

	if (state->start == 0)
		return;
	used = sla_used(terms, state, now);
	if (used >= terms->target[clock])
		status = HELPDESK_SLA_STATUS_BREACH;
	else if (terms->warn[clock] <= terms->target[clock] &&
		 used >= terms->warn[clock])
		status = HELPDESK_SLA_STATUS_WARN;
	else if (state->since == 0)
		status = HELPDESK_SLA_STATUS_PAUSED;
	else
		status = HELPDESK_SLA_STATUS_RUNNING;

	if (state->since != 0) {
		summary->due[clock] = sla_reaches(terms, state,
						  terms->target[clock], now);
		if (status == HELPDESK_SLA_STATUS_RUNNING &&
		    terms->warn[clock] <= terms->target[clock])
			next = sla_reaches(terms, state, terms->warn[clock],
					   now);
		else if (status != HELPDESK_SLA_STATUS_BREACH)
			next = summary->due[clock];
		if (next != 0 &&
		    (summary->next_check == 0 || next < summary->next_check))
			summary->next_check = next;
	}
	/* the worst clock tells; paused only when nothing runs */
	if (status == HELPDESK_SLA_STATUS_PAUSED) {
		if (summary->status == HELPDESK_SLA_STATUS_NONE)
			summary->status = status;
	} else if (summary->status == HELPDESK_SLA_STATUS_PAUSED ||
		   status > summary->status) {
		summary->status = status;
	}
}

void helpdesk_sla_summarize(const struct helpdesk_sla_clocks *clocks,
			    const struct helpdesk_sla_terms *terms,
			    int64_t now, struct helpdesk_sla_summary *summary_r)
{
	i_zero(summary_r);
	sla_summarize_clock(terms, sla_response_clock(clocks),
			    &clocks->response, now, summary_r);
	sla_summarize_clock(terms, HELPDESK_SLA_RESOLUTION,
			    &clocks->resolution, now, summary_r);
}
