#ifndef HELPDESK_SLA_H
#define HELPDESK_SLA_H

/* SLA clocks: pure logic. A ticket has two clocks, a response clock (the
   first response, later the next response after each customer message
   that follows an agent's reply) and a resolution clock. Each counts
   business time (helpdesk-calendar.h) against a target that depends on
   the ticket's priority and VIP flag, pauses while the ticket waits on
   the customer and stops when it is met. The clocks are a fold over the
   ticket's ledger events (helpdesk_sla_apply()), so any process can bring
   them up to date from the events it has not seen yet, and the warnings,
   breaches and met deadlines they give are reported once per clock
   instance, keyed by the instance's start. */

#include "helpdesk-calendar.h"

enum helpdesk_sla_clock {
	HELPDESK_SLA_FIRST_RESPONSE = 0,
	HELPDESK_SLA_NEXT_RESPONSE,
	HELPDESK_SLA_RESOLUTION,

	HELPDESK_SLA_CLOCK_COUNT
};

/* urgent, high, normal, low */
#define HELPDESK_SLA_PRIORITY_COUNT 4

/* What a ticket's SLA is now (ticket show's "sla"). */
enum helpdesk_sla_status {
	HELPDESK_SLA_STATUS_NONE = 0,
	HELPDESK_SLA_STATUS_RUNNING,
	HELPDESK_SLA_STATUS_PAUSED,
	HELPDESK_SLA_STATUS_WARN,
	HELPDESK_SLA_STATUS_BREACH,
};

/* The SLA policy: the settings (or a team's overrides). */
struct helpdesk_sla_policy {
	/* business seconds per clock and priority (urgent .. low) */
	unsigned int target[HELPDESK_SLA_CLOCK_COUNT]
			   [HELPDESK_SLA_PRIORITY_COUNT];
	/* a VIP ticket's targets are multiplied by this, in per mille */
	unsigned int vip_permille;
	/* warn this long before the deadline, or at this percentage of the
	   target, whichever is later (0: that rule is off) */
	unsigned int warn_before_secs, warn_percent;
	/* NULL: every moment counts */
	const struct helpdesk_calendar *calendar;
};

/* The shipped defaults (documented in the man page and README). */
#define HELPDESK_SLA_DEFAULT_FIRST_RESPONSE "urgent=1h high=4h normal=8h low=1d"
#define HELPDESK_SLA_DEFAULT_NEXT_RESPONSE "urgent=2h high=8h normal=1d low=2d"
#define HELPDESK_SLA_DEFAULT_RESOLUTION "urgent=4h high=1d normal=3d low=5d"
#define HELPDESK_SLA_DEFAULT_VIP_FACTOR "0.5"
#define HELPDESK_SLA_DEFAULT_WARN "15m 80pct"

/* A team's overrides of the SLA settings (each NULL or "": the setting's
   value): targets as helpdesk_sla_targets_parse() reads them, the
   calendar's three parts as helpdesk_calendar_parse() does. */
struct helpdesk_sla_overrides {
	const char *first_response, *next_response, *resolution;
	const char *business_hours, *timezone, *holidays;
};

/* One clock instance. */
struct helpdesk_sla_clock_state {
	/* when this instance started; 0: not running (none, or met) */
	int64_t start;
	/* business seconds used before since */
	int64_t used;
	/* running since then; 0: paused */
	int64_t since;
	/* HELPDESK_SLA_FLAG_*: what was reported for this instance */
	unsigned int flags;
};
#define HELPDESK_SLA_FLAG_WARNED 0x01
#define HELPDESK_SLA_FLAG_BREACHED 0x02

struct helpdesk_sla_clocks {
	struct helpdesk_sla_clock_state response, resolution;
	/* the response clock is a next response (else the first) */
	bool response_next;
	/* the first agent's reply, 0: none yet */
	int64_t first_response_at;
};

/* The ledger events that move the clocks. */
enum helpdesk_sla_input {
	HELPDESK_SLA_INPUT_CREATED = 0,
	HELPDESK_SLA_INPUT_CUSTOMER_MESSAGE,
	HELPDESK_SLA_INPUT_AGENT_REPLY,
	HELPDESK_SLA_INPUT_RESOLVED,
	/* reopened by a customer's message */
	HELPDESK_SLA_INPUT_REOPENED_BY_CUSTOMER,
	/* reopened by an agent */
	HELPDESK_SLA_INPUT_REOPENED,
};

/* What the clocks report. */
enum helpdesk_sla_report {
	HELPDESK_SLA_REPORT_WARNED = 0,
	HELPDESK_SLA_REPORT_BREACHED,
	HELPDESK_SLA_REPORT_MET,
};
/* clock_start identifies the clock instance; when is the moment it
   happened (the deadline itself for a warning or breach noticed late). */
typedef void helpdesk_sla_report_t(void *context,
				   enum helpdesk_sla_report report,
				   enum helpdesk_sla_clock clock,
				   int64_t clock_start, int64_t when);

/* A ticket's terms: its targets and warning points under a policy. */
struct helpdesk_sla_terms {
	const struct helpdesk_calendar *calendar;
	int64_t target[HELPDESK_SLA_CLOCK_COUNT];
	/* business seconds from the instance's start */
	int64_t warn[HELPDESK_SLA_CLOCK_COUNT];

	/* where reports go (may be NULL) */
	helpdesk_sla_report_t *report;
	void *context;
};

/* Parse "urgent=1h high=4h normal=8h low=1d" (Dovecot's time units; a
   priority not named keeps its value in target, so a team may override
   one priority). Returns 0, or -1 with *error_r (nothing changed). */
int helpdesk_sla_targets_parse(const char *value,
			       unsigned int target[HELPDESK_SLA_PRIORITY_COUNT],
			       const char **error_r);
/* Parse a VIP factor "0.5" (0 < factor <= 1, at most 3 decimals) into
   per mille. */
int helpdesk_sla_vip_factor_parse(const char *value,
				  unsigned int *permille_r,
				  const char **error_r);
/* Parse the warning rule: a time before the deadline ("15m") and/or a
   percentage of the target ("80pct", or "80%" -- which dovecot.conf must
   spell "80%%"), the later of them counts; "no" or "0" warns never. */
int helpdesk_sla_warn_parse(const char *value, unsigned int *before_secs_r,
			    unsigned int *percent_r, const char **error_r);
/* The policy with the shipped defaults (no calendar). */
void helpdesk_sla_policy_defaults(struct helpdesk_sla_policy *policy_r);

const char *helpdesk_sla_clock_name(enum helpdesk_sla_clock clock);
const char *helpdesk_sla_status_name(enum helpdesk_sla_status status);
const char *helpdesk_sla_report_event(enum helpdesk_sla_report report);

/* The terms of a ticket with priority (invalid: normal) and VIP flag. */
void helpdesk_sla_terms_init(const struct helpdesk_sla_policy *policy,
			     const char *priority, bool vip,
			     struct helpdesk_sla_terms *terms_r);

/* Move the clocks by one event at time t; what a clock reached before t
   (a warning, a breach) is reported first. */
void helpdesk_sla_apply(struct helpdesk_sla_clocks *clocks,
			const struct helpdesk_sla_terms *terms,
			enum helpdesk_sla_input input, int64_t t);
/* Report the warnings and breaches reached by now. */
void helpdesk_sla_advance(struct helpdesk_sla_clocks *clocks,
			  const struct helpdesk_sla_terms *terms, int64_t now);

struct helpdesk_sla_summary {
	enum helpdesk_sla_status status;
	/* the deadlines of the running clocks, 0: none (not running, or
	   paused) */
	int64_t due[HELPDESK_SLA_CLOCK_COUNT];
	/* the next moment something happens by time alone (a warning or a
	   breach), 0: nothing will */
	int64_t next_check;
};
void helpdesk_sla_summarize(const struct helpdesk_sla_clocks *clocks,
			    const struct helpdesk_sla_terms *terms,
			    int64_t now, struct helpdesk_sla_summary *summary_r);

#endif
