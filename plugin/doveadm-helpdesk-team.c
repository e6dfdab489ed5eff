/* Copyright (c) 2026 dovecot-helpdesk authors, see the included COPYING file */

/* doveadm helpdesk team add|list (a team's tier, routing and SLA
   overrides) and agent away|back (who routing may hand tickets to). */

#include "lib.h"
#include "array.h"
#include "str.h"
#include "strnum.h"
#include "ioloop.h"
#include "doveadm.h"
#include "doveadm-cmd.h"
#include "doveadm-print.h"
#include "helpdesk-settings.h"
#include "helpdesk-store.h"
#include "doveadm-helpdesk.h"

#include <sysexits.h>

/* The team's SLA overrides are checked as the plugin will read them:
   against the global settings, or the shipped defaults without them. */
static bool
cmd_team_check_sla(const struct helpdesk_sla_overrides *overrides)
{
	const struct helpdesk_settings *global = doveadm_helpdesk_settings();
	struct helpdesk_settings defaults;
	struct helpdesk_sla_policy policy;
	const char *error;
	int ret;

	if (global == NULL) {
		i_zero(&defaults);
		helpdesk_sla_policy_defaults(&defaults.sla);
		global = &defaults;
	}
	T_BEGIN {
		pool_t pool = pool_datastack_create();

		ret = helpdesk_settings_sla_team(pool, global, overrides,
						 &policy, &error);
		if (ret < 0) {
			i_error("helpdesk team add: invalid SLA override: %s",
				error);
		}
	} T_END;
	if (ret < 0) {
		doveadm_exit_code = EX_USAGE;
		return FALSE;
	}
	return TRUE;
}

static void cmd_helpdesk_team_add(struct doveadm_cmd_context *cctx)
{
	struct helpdesk_store_team_settings set;
	struct helpdesk_store *store;
	const char *team, *tier_str = NULL, *error;
	unsigned int tier;

	i_zero(&set);
	if (!doveadm_cmd_param_str(cctx, "team", &team)) {
		i_error("helpdesk team add: give the team's name");
		doveadm_exit_code = EX_USAGE;
		return;
	}
	(void)doveadm_cmd_param_str(cctx, "tier", &tier_str);
	(void)doveadm_cmd_param_str(cctx, "description", &set.description);
	(void)doveadm_cmd_param_str(cctx, "mode", &set.routing);
	(void)doveadm_cmd_param_str(cctx, "first-response",
				    &set.sla.first_response);
	(void)doveadm_cmd_param_str(cctx, "next-response",
				    &set.sla.next_response);
	(void)doveadm_cmd_param_str(cctx, "resolution", &set.sla.resolution);
	(void)doveadm_cmd_param_str(cctx, "hours", &set.sla.business_hours);
	(void)doveadm_cmd_param_str(cctx, "timezone", &set.sla.timezone);
	(void)doveadm_cmd_param_str(cctx, "holidays", &set.sla.holidays);
	if (!doveadm_helpdesk_check_name("team add", "team", team))
		return;
	if (tier_str != NULL) {
		if (str_to_uint(tier_str, &tier) < 0 ||
		    tier > HELPDESK_TIER_MAX) {
			i_error("helpdesk team add: -t needs a support tier "
				"1-%u (or 0 for none), not '%s'",
				HELPDESK_TIER_MAX, tier_str);
			doveadm_exit_code = EX_USAGE;
			return;
		}
		set.tier = &tier;
	}
	if (set.routing != NULL && !helpdesk_routing_is_valid(set.routing)) {
		i_error("helpdesk team add: -m needs " HELPDESK_ROUTING_MANUAL
			", " HELPDESK_ROUTING_ROUND_ROBIN " or "
			HELPDESK_ROUTING_LEAST_OPEN ", not '%s'", set.routing);
		doveadm_exit_code = EX_USAGE;
		return;
	}
	if (!cmd_team_check_sla(&set.sla))
		return;
	if ((store = doveadm_helpdesk_store_open()) == NULL)
		return;
	if (helpdesk_store_team_set(store, team, &set, ioloop_time,
				    &error) < 0) {
		i_error("helpdesk team add: %s", error);
		doveadm_exit_code = EX_TEMPFAIL;
	}
	doveadm_helpdesk_store_close(&store);
}

static void cmd_helpdesk_team_list(struct doveadm_cmd_context *cctx ATTR_UNUSED)
{
	static const char *const team_fields[] = {
		"team", "tier", "agents", "open", "routing",
		"first_response", "next_response", "resolution",
		"business_hours", "timezone", "holidays", NULL
	};
	ARRAY_TYPE(helpdesk_store_team) teams;
	const struct helpdesk_store_team *team;
	struct helpdesk_store *store;
	const char *error;

	if ((store = doveadm_helpdesk_store_open()) == NULL)
		return;
	doveadm_print_init(DOVEADM_PRINT_TYPE_TABLE);
	doveadm_helpdesk_print_headers(team_fields, "description");
	t_array_init(&teams, 8);
	if (helpdesk_store_team_list(store, pool_datastack_create(), &teams,
				     &error) < 0) {
		i_error("helpdesk team list: %s", error);
		doveadm_exit_code = EX_TEMPFAIL;
	}
	array_foreach(&teams, team) {
		doveadm_print(team->name);
		doveadm_print(dec2str(team->tier));
		doveadm_print(dec2str(team->agents));
		doveadm_print(dec2str(team->open_tickets));
		doveadm_print(team->routing);
		doveadm_print(team->sla.first_response);
		doveadm_print(team->sla.next_response);
		doveadm_print(team->sla.resolution);
		doveadm_print(team->sla.business_hours);
		doveadm_print(team->sla.timezone);
		doveadm_print(team->sla.holidays);
		doveadm_print(team->description);
	}
	doveadm_helpdesk_store_close(&store);
}

static void cmd_helpdesk_agent_availability(struct doveadm_cmd_context *cctx,
					    bool away)
{
	const char *cmd = away ? "agent away" : "agent back";
	struct helpdesk_store *store;
	const char *agent, *error;
	bool found;

	if (!doveadm_cmd_param_str(cctx, "agent", &agent)) {
		i_error("helpdesk %s: give the agent's user name", cmd);
		doveadm_exit_code = EX_USAGE;
		return;
	}
	if ((store = doveadm_helpdesk_store_open()) == NULL)
		return;
	if (helpdesk_store_agent_set_away(store, agent, away, &found,
					  &error) < 0) {
		i_error("helpdesk %s: %s", cmd, error);
		doveadm_exit_code = EX_TEMPFAIL;
	} else if (!found) {
		i_error("helpdesk %s: no agent %s (doveadm helpdesk agent "
			"add %s)", cmd, agent, agent);
		doveadm_exit_code = DOVEADM_EX_NOTFOUND;
	}
	doveadm_helpdesk_store_close(&store);
}

static void cmd_helpdesk_agent_away(struct doveadm_cmd_context *cctx)
{
	cmd_helpdesk_agent_availability(cctx, TRUE);
}

static void cmd_helpdesk_agent_back(struct doveadm_cmd_context *cctx)
{
	cmd_helpdesk_agent_availability(cctx, FALSE);
}

struct doveadm_cmd_ver2 doveadm_helpdesk_team_commands[] = {
	{
		.name = "helpdesk team add",
		.cmd = cmd_helpdesk_team_add,
		.usage = "[-t <tier>] [-d <description>] "
			"[-m manual|round-robin|least-open] "
			"[-F <first-response targets>] "
			"[-N <next-response targets>] [-R <resolution targets>] "
			"[-H <business hours>] [-z <timezone>] "
			"[-D <holidays>] <team>",
DOVEADM_CMD_PARAMS_START
DOVEADM_CMD_PARAM('t', "tier", CMD_PARAM_STR, 0)
DOVEADM_CMD_PARAM('d', "description", CMD_PARAM_STR, 0)
DOVEADM_CMD_PARAM('m', "mode", CMD_PARAM_STR, 0)
DOVEADM_CMD_PARAM('F', "first-response", CMD_PARAM_STR, 0)
DOVEADM_CMD_PARAM('N', "next-response", CMD_PARAM_STR, 0)
DOVEADM_CMD_PARAM('R', "resolution", CMD_PARAM_STR, 0)
DOVEADM_CMD_PARAM('H', "hours", CMD_PARAM_STR, 0)
DOVEADM_CMD_PARAM('z', "timezone", CMD_PARAM_STR, 0)
DOVEADM_CMD_PARAM('D', "holidays", CMD_PARAM_STR, 0)
DOVEADM_CMD_PARAM('\0', "team", CMD_PARAM_STR, CMD_PARAM_FLAG_POSITIONAL)
DOVEADM_CMD_PARAMS_END
	},
	{
		.name = "helpdesk team list",
		.cmd = cmd_helpdesk_team_list,
		.usage = "",
DOVEADM_CMD_PARAMS_START
DOVEADM_CMD_PARAMS_END
	},
	{
		.name = "helpdesk agent away",
		.cmd = cmd_helpdesk_agent_away,
		.usage = "<agent>",
DOVEADM_CMD_PARAMS_START
DOVEADM_CMD_PARAM('\0', "agent", CMD_PARAM_STR, CMD_PARAM_FLAG_POSITIONAL)
DOVEADM_CMD_PARAMS_END
	},
	{
		.name = "helpdesk agent back",
		.cmd = cmd_helpdesk_agent_back,
		.usage = "<agent>",
DOVEADM_CMD_PARAMS_START
DOVEADM_CMD_PARAM('\0', "agent", CMD_PARAM_STR, CMD_PARAM_FLAG_POSITIONAL)
DOVEADM_CMD_PARAMS_END
	},
};
const unsigned int doveadm_helpdesk_team_commands_count =
	N_ELEMENTS(doveadm_helpdesk_team_commands);
