#ifndef HELPDESK_STATS_H
#define HELPDESK_STATS_H

/* SLA figures for team leads (doveadm helpdesk stats), read from the
   ledger (hd_events) by helpdesk-store-stats.c. Over a period
   (since, until] of event times:

   - handled: the distinct tickets an agent replied to ("replied" event)
     or resolved ("resolved" event) in the period.
   - first response: for each ticket whose first "replied" event ever
     falls in the period, the business time from its "created" event to
     that reply, a sample of the replying agent.
   - resolution: for each "resolved" event in the period, the business
     time from the start of that resolution (the ticket's "created"
     event, or its latest "reopened" event before the resolution) to the
     resolution, a sample of the resolving agent.
   - sla_met, sla_breached: the "sla_met" and "sla_breached" events in
     the period (every clock: first response, next response, resolution),
     counted for the event's actor, the ticket's owner then. A deadline of
     a ticket without an owner has no agent: it counts in the team ""
     row only.

   - csat_average, csat_response_rate: the rating requests sent in the
     period ("csat-requested" events, by the owner at the resolution)
     and their ratings (hd_ratings, whenever they came; a replaced
     rating counts once, with its last score).

   Business time is the ticket's SLA calendar (the team's, else the
   global one, helpdesk_store_sla_terms() with the ticket's team,
   priority and VIP flag as they are now); no calendar or SLA off: plain
   seconds.

   Agents' rows first (by name), then the teams' rows (by name). An
   agent's team is hd_agents.team; an actor that is not a registered
   agent (or has no team) counts under team "", and there is a team ""
   row only when some sample, ticket or deadline counts there. A team row
   aggregates the samples of its agents (its median is the median of all
   their samples, its handled the distinct tickets of all of them). */

#include "helpdesk-store.h"

enum helpdesk_stats_scope {
	HELPDESK_STATS_SCOPE_AGENT = 0,
	HELPDESK_STATS_SCOPE_TEAM,
};

/* One row of the report. */
struct helpdesk_stats_row {
	enum helpdesk_stats_scope scope;
	/* the agent's user name, or the team's name ("": no team) */
	const char *name;
	/* the agent's team, or the team's name again */
	const char *team;
	/* distinct tickets replied to or resolved */
	unsigned int handled;
	/* business seconds: nearest-rank median and 90th percentile; valid
	   only when the sample count is non-zero */
	unsigned int first_response_count;
	int64_t first_response_median, first_response_p90;
	unsigned int resolution_count;
	int64_t resolution_median, resolution_p90;
	/* deadlines met and breached */
	unsigned int sla_met, sla_breached;
	/* rating requests sent in the period (for the owner at the
	   resolution), how many of them were rated, the scores' sum */
	unsigned int csat_requests, csat_ratings, csat_score_sum;
};
ARRAY_DEFINE_TYPE(helpdesk_stats_row, struct helpdesk_stats_row);

/* The report for events with since < created <= until, appended to rows
   (names allocated from pool). team: NULL for all; else only that team's
   row and its agents' rows (the caller checks that the team exists).
   Returns 0, or -1 with *error_r. */
int helpdesk_store_stats(struct helpdesk_store *store, int64_t since,
			 int64_t until, const char *team, pool_t pool,
			 ARRAY_TYPE(helpdesk_stats_row) *rows,
			 const char **error_r);

/* The nearest-rank percentile (1-100) of count samples sorted in
   ascending order: the sample of rank ceil(percent / 100 * count), the
   median is percent 50. Returns FALSE (and *value_r = 0) when there are
   no samples. Pure: needs nothing but its arguments. */
bool helpdesk_stats_percentile(const int64_t *sorted, unsigned int count,
			       unsigned int percent, int64_t *value_r);

/* The average of count scores with two decimals ("4.33"), rounded half
   up; "" when count is 0. Data stack. */
const char *helpdesk_stats_average(unsigned int sum, unsigned int count);

/* compliance = met / (met + breached) * 100 as text with one decimal
   ("87.5"), rounded half up; "" when met + breached is 0. Data stack. */
const char *helpdesk_stats_compliance(unsigned int met,
				      unsigned int breached);

#endif
