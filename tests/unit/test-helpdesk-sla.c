/* Copyright (c) 2026 dovecot-helpdesk authors, see the included COPYING file */

#include "lib.h"
#include "array.h"
#include "str.h"
#include "test-common.h"
#include "helpdesk-sla.h"

#define FIRST HELPDESK_SLA_FIRST_RESPONSE
#define NEXT HELPDESK_SLA_NEXT_RESPONSE
#define RES HELPDESK_SLA_RESOLUTION

static void test_helpdesk_sla_parse(void)
{
	static const struct {
		const char *value;
		int ret;
		unsigned int urgent, high, normal, low;
	} targets[] = {
		{ "urgent=1h high=4h normal=8h low=1d", 0,
		  3600, 4 * 3600, 8 * 3600, 86400 },
		/* one priority: the others keep theirs */
		{ "normal=30s", 0, 10, 20, 30, 40 },
		{ "low=2 weeks", -1, 10, 20, 30, 40 },
		{ "low=2w,high=90m", 0, 10, 90 * 60, 30, 14 * 86400 },
		{ "", -1, 10, 20, 30, 40 },
		{ "normal", -1, 10, 20, 30, 40 },
		{ "normal=", -1, 10, 20, 30, 40 },
		{ "normal=0", -1, 10, 20, 30, 40 },
		{ "normal=soon", -1, 10, 20, 30, 40 },
		{ "asap=1h", -1, 10, 20, 30, 40 },
		{ "normal=1h normal=2h", -1, 10, 20, 30, 40 },
		{ "normal=400d", -1, 10, 20, 30, 40 },
		/* a bad one anywhere: nothing changes */
		{ "urgent=1m normal=bad", -1, 10, 20, 30, 40 },
	};
	static const struct {
		const char *value;
		int ret;
		unsigned int permille;
	} factors[] = {
		{ "0.5", 0, 500 }, { "1", 0, 1000 }, { "0.125", 0, 125 },
		{ "1.0", 0, 1000 }, { "0", -1, 0 }, { "1.5", -1, 0 },
		{ "-0.5", -1, 0 }, { ".5", -1, 0 }, { "0.", -1, 0 },
		{ "0.5x", -1, 0 }, { "", -1, 0 }, { "0.1234", -1, 0 },
	};
	static const struct {
		const char *value;
		int ret;
		unsigned int before, percent;
	} warns[] = {
		{ "15m 80pct", 0, 900, 80 }, { "80%", 0, 0, 80 },
		{ "10m", 0, 600, 0 }, { "no", 0, 0, 0 }, { "0", 0, 0, 0 },
		{ "80pct 90pct", -1, 0, 0 }, { "100pct", -1, 0, 0 },
		{ "0pct", -1, 0, 0 }, { "pct", -1, 0, 0 }, { "soon", -1, 0, 0 },
		{ "", -1, 0, 0 }, { "5m 10m", -1, 0, 0 },
	};
	unsigned int i, target[HELPDESK_SLA_PRIORITY_COUNT], permille;
	unsigned int before, percent;
	const char *error;
	int ret;

	test_begin("helpdesk sla parse");
	for (i = 0; i < N_ELEMENTS(targets); i++) {
		target[0] = 10; target[1] = 20; target[2] = 30; target[3] = 40;
		error = NULL;
		ret = helpdesk_sla_targets_parse(targets[i].value, target,
						 &error);
		test_assert_idx(ret == targets[i].ret, i);
		test_assert_idx(ret == 0 || (error != NULL && *error != '\0'),
				i);
		test_assert_idx(target[0] == targets[i].urgent &&
				target[1] == targets[i].high &&
				target[2] == targets[i].normal &&
				target[3] == targets[i].low, i);
	}
	for (i = 0; i < N_ELEMENTS(factors); i++) {
		permille = 0;
		ret = helpdesk_sla_vip_factor_parse(factors[i].value,
						    &permille, &error);
		test_assert_idx(ret == factors[i].ret, i);
		if (ret == 0)
			test_assert_idx(permille == factors[i].permille, i);
	}
	for (i = 0; i < N_ELEMENTS(warns); i++) {
		ret = helpdesk_sla_warn_parse(warns[i].value, &before,
					      &percent, &error);
		test_assert_idx(ret == warns[i].ret, i);
		if (ret == 0) {
			test_assert_idx(before == warns[i].before &&
					percent == warns[i].percent, i);
		}
	}
	test_end();
}

static void test_helpdesk_sla_defaults(void)
{
	struct helpdesk_sla_policy policy, parsed;
	const char *error;

	test_begin("helpdesk sla defaults");
	/* the numbers agree with the documented strings */
	helpdesk_sla_policy_defaults(&policy);
	i_zero(&parsed);
	test_assert(helpdesk_sla_targets_parse(
		HELPDESK_SLA_DEFAULT_FIRST_RESPONSE,
		parsed.target[FIRST], &error) == 0);
	test_assert(helpdesk_sla_targets_parse(
		HELPDESK_SLA_DEFAULT_NEXT_RESPONSE,
		parsed.target[NEXT], &error) == 0);
	test_assert(helpdesk_sla_targets_parse(
		HELPDESK_SLA_DEFAULT_RESOLUTION,
		parsed.target[RES], &error) == 0);
	test_assert(helpdesk_sla_vip_factor_parse(
		HELPDESK_SLA_DEFAULT_VIP_FACTOR, &parsed.vip_permille,
		&error) == 0);
	test_assert(helpdesk_sla_warn_parse(HELPDESK_SLA_DEFAULT_WARN,
		&parsed.warn_before_secs, &parsed.warn_percent, &error) == 0);
	test_assert(memcmp(&policy, &parsed, sizeof(policy)) == 0);
	test_end();
}

static void test_helpdesk_sla_terms(void)
{
	struct helpdesk_sla_policy policy;
	struct helpdesk_sla_terms terms;
	const char *error;

	test_begin("helpdesk sla terms");
	helpdesk_sla_policy_defaults(&policy);
	/* normal: 8h first response; warn at the later of 7h45 and 6h24 */
	helpdesk_sla_terms_init(&policy, "normal", FALSE, &terms);
	test_assert(terms.target[FIRST] == 8 * 3600);
	test_assert(terms.warn[FIRST] == 8 * 3600 - 900);
	test_assert(terms.target[NEXT] == 86400);
	test_assert(terms.target[RES] == 3 * 86400);
	/* VIP: half; urgent 1h -> 30 min: 15 min before = 80 % of it is
	   24 min: the later, 24 min */
	helpdesk_sla_terms_init(&policy, "urgent", TRUE, &terms);
	test_assert(terms.target[FIRST] == 1800);
	test_assert(terms.warn[FIRST] == 1440);
	/* an unknown priority counts as normal */
	helpdesk_sla_terms_init(&policy, "whenever", FALSE, &terms);
	test_assert(terms.target[FIRST] == 8 * 3600);
	/* seconds-long targets, as the tests use */
	test_assert(helpdesk_sla_targets_parse("normal=30s",
			policy.target[FIRST], &error) == 0);
	helpdesk_sla_terms_init(&policy, "normal", FALSE, &terms);
	test_assert(terms.target[FIRST] == 30 && terms.warn[FIRST] == 24);
	/* no warning at all */
	policy.warn_before_secs = 0;
	policy.warn_percent = 0;
	helpdesk_sla_terms_init(&policy, "normal", FALSE, &terms);
	test_assert(terms.warn[FIRST] > terms.target[FIRST]);
	test_end();
}

struct test_report {
	enum helpdesk_sla_report report;
	enum helpdesk_sla_clock clock;
	int64_t start, when;
};

static void
test_collect(void *context, enum helpdesk_sla_report report,
	     enum helpdesk_sla_clock clock, int64_t clock_start, int64_t when)
{
	ARRAY(struct test_report) *reports = context;
	struct test_report *r = array_append_space(reports);

	r->report = report;
	r->clock = clock;
	r->start = clock_start;
	r->when = when;
}

/* "W:first@start:when B:res@... M:next@..." */
static const char *test_reports_str(const ARRAY(struct test_report) *reports)
{
	static const char *const kinds = "WBM";
	static const char *const clocks[] = { "first", "next", "res" };
	const struct test_report *r;
	string_t *str = t_str_new(64);

	array_foreach(reports, r) {
		if (str_len(str) > 0)
			str_append_c(str, ' ');
		str_printfa(str, "%c:%s@%lld:%lld", kinds[r->report],
			    clocks[r->clock], (long long)r->start,
			    (long long)r->when);
	}
	return str_c(str);
}

static void test_helpdesk_sla_clocks(void)
{
	/* targets: first 100 s (warn 80), next 50 s (warn 40), resolution
	   300 s (warn 240); every moment counts */
	static const struct {
		const char *name;
		/* inputs: kind letter and time, e.g. "C0 A30" (C created,
		   M customer message, A agent reply, R resolved, O reopened
		   by the customer, P reopened by an agent) */
		const char *inputs;
		int64_t now;
		const char *reports;
		enum helpdesk_sla_status status;
		int64_t due_first, due_next, due_res, next_check;
	} tests[] = {
		{ "fresh ticket", "C1000", 1010, "",
		  HELPDESK_SLA_STATUS_RUNNING, 1100, 0, 1300, 1080 },
		{ "first response near", "C1000", 1085, "W:first@1000:1080",
		  HELPDESK_SLA_STATUS_WARN, 1100, 0, 1300, 1100 },
		{ "first response late", "C1000", 1150,
		  "W:first@1000:1080 B:first@1000:1100",
		  HELPDESK_SLA_STATUS_BREACH, 1100, 0, 1300, 1240 },
		{ "answered in time, waiting", "C1000 A1030", 1500,
		  "M:first@1000:1030", HELPDESK_SLA_STATUS_PAUSED,
		  0, 0, 0, 0 },
		{ "answered late: no met", "C1000 A1120", 1130,
		  "W:first@1000:1080 B:first@1000:1100",
		  HELPDESK_SLA_STATUS_PAUSED, 0, 0, 0, 0 },
		/* the resolution clock paused 30..530 resumes at 530 with
		   30 s used: due 530 + 270 */
		{ "customer answers: next response", "C1000 A1030 M1530",
		  1540, "M:first@1000:1030", HELPDESK_SLA_STATUS_RUNNING,
		  0, 1580, 1800, 1570 },
		{ "next response late", "C1000 A1030 M1530", 1600,
		  "M:first@1000:1030 W:next@1530:1570 B:next@1530:1580",
		  HELPDESK_SLA_STATUS_BREACH, 0, 1580, 1800, 1740 },
		{ "next response met", "C1000 A1030 M1530 A1560", 1570,
		  "M:first@1000:1030 M:next@1530:1560",
		  HELPDESK_SLA_STATUS_PAUSED, 0, 0, 0, 0 },
		{ "two customer messages: one clock", "C1000 A1030 M1530 M1540",
		  1545, "M:first@1000:1030", HELPDESK_SLA_STATUS_RUNNING,
		  0, 1580, 1800, 1570 },
		{ "resolved in time", "C1000 A1030 M1530 R1560", 1600,
		  "M:first@1000:1030 M:res@1000:1560",
		  HELPDESK_SLA_STATUS_NONE, 0, 0, 0, 0 },
		{ "resolved without a reply", "C1000 R1050", 1060,
		  "M:res@1000:1050", HELPDESK_SLA_STATUS_NONE, 0, 0, 0, 0 },
		{ "resolution breached", "C1000 A1010 M1020", 1400,
		  "M:first@1000:1010 W:next@1020:1060 B:next@1020:1070 "
		  "W:res@1000:1250 B:res@1000:1310",
		  HELPDESK_SLA_STATUS_BREACH, 0, 1070, 1310, 0 },
		/* a reopened ticket: a fresh resolution clock, and the
		   customer's message wants an answer */
		{ "reopened by the customer", "C1000 A1010 R1020 O2000", 2010,
		  "M:first@1000:1010 M:res@1000:1020",
		  HELPDESK_SLA_STATUS_RUNNING, 0, 2050, 2300, 2040 },
		{ "reopened by an agent", "C1000 A1010 R1020 P2000", 2010,
		  "M:first@1000:1010 M:res@1000:1020",
		  HELPDESK_SLA_STATUS_RUNNING, 0, 0, 2300, 2240 },
		{ "reopened, never answered", "C1000 R1020 P2000", 2010,
		  "M:res@1000:1020", HELPDESK_SLA_STATUS_RUNNING,
		  2100, 0, 2300, 2080 },
		/* noticed late (a sweep after downtime): each report once,
		   at the moment it happened */
		{ "downtime", "C1000", 100000,
		  "W:first@1000:1080 B:first@1000:1100 W:res@1000:1240 "
		  "B:res@1000:1300", HELPDESK_SLA_STATUS_BREACH,
		  1100, 0, 1300, 0 },
		/* replayed events change nothing */
		{ "created twice", "C1000 C1000", 1010, "",
		  HELPDESK_SLA_STATUS_RUNNING, 1100, 0, 1300, 1080 },
		{ "a message while open", "C1000 M1010", 1020, "",
		  HELPDESK_SLA_STATUS_RUNNING, 1100, 0, 1300, 1080 },
	};
	struct helpdesk_sla_policy policy;
	struct helpdesk_sla_terms terms;
	struct helpdesk_sla_clocks clocks;
	struct helpdesk_sla_summary summary;
	ARRAY(struct test_report) reports;
	const char *const *input;
	enum helpdesk_sla_input kind;
	unsigned int i, p;

	test_begin("helpdesk sla clocks");
	i_zero(&policy);
	for (p = 0; p < HELPDESK_SLA_PRIORITY_COUNT; p++) {
		policy.target[FIRST][p] = 100;
		policy.target[NEXT][p] = 50;
		policy.target[RES][p] = 300;
	}
	policy.vip_permille = 500;
	policy.warn_percent = 80;
	for (i = 0; i < N_ELEMENTS(tests); i++) T_BEGIN {
		t_array_init(&reports, 8);
		helpdesk_sla_terms_init(&policy, "normal", FALSE, &terms);
		terms.report = test_collect;
		terms.context = &reports;
		i_zero(&clocks);
		for (input = t_strsplit_spaces(tests[i].inputs, " ");
		     *input != NULL; input++) {
			switch ((*input)[0]) {
			case 'C': kind = HELPDESK_SLA_INPUT_CREATED; break;
			case 'M': kind = HELPDESK_SLA_INPUT_CUSTOMER_MESSAGE; break;
			case 'A': kind = HELPDESK_SLA_INPUT_AGENT_REPLY; break;
			case 'R': kind = HELPDESK_SLA_INPUT_RESOLVED; break;
			case 'O': kind = HELPDESK_SLA_INPUT_REOPENED_BY_CUSTOMER; break;
			default: kind = HELPDESK_SLA_INPUT_REOPENED; break;
			}
			helpdesk_sla_apply(&clocks, &terms, kind,
					   strtoll(*input + 1, NULL, 10));
		}
		helpdesk_sla_advance(&clocks, &terms, tests[i].now);
		/* advancing again reports nothing new */
		helpdesk_sla_advance(&clocks, &terms, tests[i].now);
		helpdesk_sla_summarize(&clocks, &terms, tests[i].now,
				       &summary);
		test_assert_strcmp_idx(test_reports_str(&reports),
				       tests[i].reports, i);
		test_assert_idx(summary.status == tests[i].status, i);
		test_assert_idx(summary.due[FIRST] == tests[i].due_first, i);
		test_assert_idx(summary.due[NEXT] == tests[i].due_next, i);
		test_assert_idx(summary.due[RES] == tests[i].due_res, i);
		test_assert_idx(summary.next_check == tests[i].next_check, i);
	} T_END;
	test_end();
}

static void test_helpdesk_sla_priority_change(void)
{
	struct helpdesk_sla_policy policy;
	struct helpdesk_sla_terms terms;
	struct helpdesk_sla_clocks clocks;
	struct helpdesk_sla_summary summary;

	test_begin("helpdesk sla priority change");
	helpdesk_sla_policy_defaults(&policy);
	helpdesk_sla_terms_init(&policy, "normal", FALSE, &terms);
	i_zero(&clocks);
	helpdesk_sla_apply(&clocks, &terms, HELPDESK_SLA_INPUT_CREATED, 10000);
	/* made urgent two hours later: the urgent target (1h) counts from
	   the ticket's start, so it is breached already */
	helpdesk_sla_terms_init(&policy, "urgent", FALSE, &terms);
	helpdesk_sla_summarize(&clocks, &terms, 10000 + 7200, &summary);
	test_assert(summary.status == HELPDESK_SLA_STATUS_BREACH);
	test_assert(summary.due[FIRST] == 10000 + 3600);
	/* back to low: due a day after the start */
	helpdesk_sla_terms_init(&policy, "low", FALSE, &terms);
	helpdesk_sla_summarize(&clocks, &terms, 10000 + 7200, &summary);
	test_assert(summary.status == HELPDESK_SLA_STATUS_RUNNING);
	test_assert(summary.due[FIRST] == 10000 + 86400);
	/* VIP: half of it */
	helpdesk_sla_terms_init(&policy, "low", TRUE, &terms);
	helpdesk_sla_summarize(&clocks, &terms, 10000 + 7200, &summary);
	test_assert(summary.due[FIRST] == 10000 + 43200);
	test_end();
}

static void test_helpdesk_sla_business_time(void)
{
	struct helpdesk_sla_policy policy;
	struct helpdesk_sla_terms terms;
	struct helpdesk_sla_clocks clocks;
	struct helpdesk_sla_summary summary;
	struct helpdesk_calendar *cal;
	const char *error;
	/* Friday 2026-11-27 16:00 UTC */
	const int64_t fri16 = 1795795200;

	test_begin("helpdesk sla business time");
	test_assert(helpdesk_calendar_parse(pool_datastack_create(),
		"mon-fri 09:00-17:00", "UTC", NULL, &cal, &error) == 0);
	helpdesk_sla_policy_defaults(&policy);
	policy.calendar = cal;
	/* normal first response 8h: Friday 16:00 + 1h, then Monday
	   09:00 + 7h = Monday 16:00 */
	helpdesk_sla_terms_init(&policy, "normal", FALSE, &terms);
	i_zero(&clocks);
	helpdesk_sla_apply(&clocks, &terms, HELPDESK_SLA_INPUT_CREATED, fri16);
	helpdesk_sla_summarize(&clocks, &terms, fri16 + 60, &summary);
	test_assert(summary.due[FIRST] == fri16 + 3 * 86400);
	/* the weekend does not count: Sunday noon is still running */
	helpdesk_sla_summarize(&clocks, &terms, fri16 + 44 * 3600, &summary);
	test_assert(summary.status == HELPDESK_SLA_STATUS_RUNNING);
	test_end();
}

int main(void)
{
	static void (*const tests[])(void) = {
		test_helpdesk_sla_parse,
		test_helpdesk_sla_defaults,
		test_helpdesk_sla_terms,
		test_helpdesk_sla_clocks,
		test_helpdesk_sla_priority_change,
		test_helpdesk_sla_business_time,
		NULL
	};
	return test_run(tests);
}
