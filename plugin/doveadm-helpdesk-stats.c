/* Copyright (c) 2026 dovecot-helpdesk authors, see the included COPYING file */

/* doveadm helpdesk stats [-p day|week|month] [-t <team>]: SLA figures
   for team leads, per agent and per team, over a rolling period that
   ends now: day = the last 24 hours, week = the last 7 days (the
   default), month = the last 30 days. What each figure means is in
   helpdesk-stats.h.

   Columns, in this order: scope (agent|team), name, team, handled,
   first_response_median, first_response_p90, resolution_median,
   resolution_p90 (business seconds, "" without a sample), sla_met,
   sla_breached, compliance (the percentage of deadlines met with one
   decimal, "" when no deadline ended in the period). -t limits the rows
   to that team and its agents; an unknown team is DOVEADM_EX_NOTFOUND,
   a bad -p EX_USAGE, and neither prints a row. */

#include "lib.h"
#include "array.h"
#include "ioloop.h"
#include "doveadm.h"
#include "doveadm-cmd.h"
#include "doveadm-print.h"
#include "helpdesk-store.h"
#include "helpdesk-stats.h"
#include "doveadm-helpdesk.h"

#include <sysexits.h>

struct stats_period {
	const char *name;
	unsigned int secs;
};

static const struct stats_period stats_periods[] = {
	{ "day", 24 * 60 * 60 },
	{ "week", 7 * 24 * 60 * 60 },
	{ "month", 30 * 24 * 60 * 60 },
};
#define STATS_DEFAULT_PERIOD "week"

static const char *const stats_fields[] = {
	"scope", "name", "team", "handled",
	"first_response_median", "first_response_p90",
	"resolution_median", "resolution_p90",
	"sla_met", "sla_breached", "compliance",
	"csat_average", "csat_response_rate", NULL
};

static bool stats_period_parse(const char *name, unsigned int *secs_r)
{
	unsigned int i;

	for (i = 0; i < N_ELEMENTS(stats_periods); i++) {
		if (strcmp(stats_periods[i].name, name) == 0) {
			*secs_r = stats_periods[i].secs;
			return TRUE;
		}
	}
	return FALSE;
}

/* A time figure: "" when there was no sample. */
static const char *stats_secs(unsigned int count, int64_t secs)
{
	return count == 0 ? "" : dec2str(secs);
}

static void stats_print_row(const struct helpdesk_stats_row *row)
{
	doveadm_print(row->scope == HELPDESK_STATS_SCOPE_AGENT ?
		      "agent" : "team");
	doveadm_print(row->name);
	doveadm_print(row->team);
	doveadm_print(dec2str(row->handled));
	doveadm_print(stats_secs(row->first_response_count,
				 row->first_response_median));
	doveadm_print(stats_secs(row->first_response_count,
				 row->first_response_p90));
	doveadm_print(stats_secs(row->resolution_count,
				 row->resolution_median));
	doveadm_print(stats_secs(row->resolution_count,
				 row->resolution_p90));
	doveadm_print(dec2str(row->sla_met));
	doveadm_print(dec2str(row->sla_breached));
	doveadm_print(helpdesk_stats_compliance(row->sla_met,
						row->sla_breached));
	doveadm_print(helpdesk_stats_average(row->csat_score_sum,
					     row->csat_ratings));
	/* rated of requested, as a percentage like compliance */
	doveadm_print(helpdesk_stats_compliance(row->csat_ratings,
				row->csat_requests - row->csat_ratings));
}

static void cmd_helpdesk_stats(struct doveadm_cmd_context *cctx)
{
	ARRAY_TYPE(helpdesk_stats_row) rows;
	const struct helpdesk_stats_row *row;
	struct helpdesk_store *store;
	const char *period = STATS_DEFAULT_PERIOD, *team = NULL, *error;
	const char *const *field;
	unsigned int secs;
	bool found, any;

	(void)doveadm_cmd_param_str(cctx, "period", &period);
	(void)doveadm_cmd_param_str(cctx, "team", &team);
	if (!stats_period_parse(period, &secs)) {
		i_error("helpdesk stats: -p needs day, week or month, not "
			"'%s'", period);
		doveadm_exit_code = EX_USAGE;
		return;
	}
	if ((store = doveadm_helpdesk_store_open()) == NULL)
		return;
	if (team != NULL) {
		if (helpdesk_store_team_get(store, team, &found, &any,
					    &error) < 0) {
			i_error("helpdesk stats: %s", error);
			doveadm_exit_code = EX_TEMPFAIL;
			doveadm_helpdesk_store_close(&store);
			return;
		}
		if (!found) {
			i_error("helpdesk stats: there is no team %s "
				"(doveadm helpdesk team list)", team);
			doveadm_exit_code = DOVEADM_EX_NOTFOUND;
			doveadm_helpdesk_store_close(&store);
			return;
		}
	}

	t_array_init(&rows, 32);
	if (helpdesk_store_stats(store, ioloop_time - (int64_t)secs,
				 ioloop_time, team, pool_datastack_create(),
				 &rows, &error) < 0) {
		i_error("helpdesk stats: %s", error);
		doveadm_exit_code = EX_TEMPFAIL;
		doveadm_helpdesk_store_close(&store);
		return;
	}
	doveadm_helpdesk_store_close(&store);

	doveadm_print_init(DOVEADM_PRINT_TYPE_TABLE);
	for (field = stats_fields; *field != NULL; field++)
		doveadm_print_header_simple(*field);
	array_foreach(&rows, row)
		stats_print_row(row);
}

struct doveadm_cmd_ver2 doveadm_helpdesk_cmd_stats = {
	.name = "helpdesk stats",
	.cmd = cmd_helpdesk_stats,
	.usage = "[-p day|week|month] [-t <team>]",
DOVEADM_CMD_PARAMS_START
DOVEADM_CMD_PARAM('p', "period", CMD_PARAM_STR, 0)
DOVEADM_CMD_PARAM('t', "team", CMD_PARAM_STR, 0)
DOVEADM_CMD_PARAMS_END
};
