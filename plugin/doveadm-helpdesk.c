/* Copyright (c) 2026 dovecot-helpdesk authors, see the included COPYING file */

/* doveadm helpdesk ticket list | ticket show N | ticket assign N AGENT |
   agent add|remove|list | reconcile (and client-config,
   doveadm-helpdesk-client.c; team add|list, agent away|back,
   doveadm-helpdesk-team.c; vip add|remove|list, doveadm-helpdesk-vip.c;
   sweep, doveadm-helpdesk-sla.c; stats, doveadm-helpdesk-stats.c) */

#include "lib.h"
#include "str.h"
#include "strnum.h"
#include "iso8601-date.h"
#include "ioloop.h"
#include "doveadm.h"
#include "doveadm-cmd.h"
#include "doveadm-mail.h"
#include "doveadm-print.h"
#include "doveadm-settings.h"
#include "helpdesk-settings.h"
#include "helpdesk-store.h"
#include "helpdesk-plugin.h"
#include "doveadm-helpdesk.h"

#include <sysexits.h>

#define DOVEADM_HELPDESK_DEFAULT_LIMIT 1000

const char *doveadm_helpdesk_plugin_version = DOVECOT_ABI_VERSION;

void doveadm_helpdesk_plugin_init(struct module *module);
void doveadm_helpdesk_plugin_deinit(void);


static const char *cmd_plugin_getenv(const char *name,
				     void *context ATTR_UNUSED)
{
	return doveadm_plugin_getenv(name);
}

const struct helpdesk_settings *doveadm_helpdesk_settings(void)
{
	static pool_t pool = NULL;
	static struct helpdesk_settings set;
	static bool parsed = FALSE;
	const char *error;
	int ret;

	if (parsed)
		return set.queues == NULL ? NULL : &set;
	parsed = TRUE;
	pool = pool_alloconly_create("doveadm helpdesk settings", 1024);
	ret = helpdesk_settings_parse(pool, cmd_plugin_getenv, NULL, &set,
				      &error);
	if (ret < 0)
		i_warning("helpdesk: invalid settings: %s", error);
	if (ret <= 0) {
		i_zero(&set);
		return NULL;
	}
	if (set.sla_error != NULL)
		i_warning("helpdesk: SLA clocks off: %s", set.sla_error);
	return &set;
}

struct helpdesk_store *doveadm_helpdesk_store_open(void)
{
	struct helpdesk_store *store;
	const char *dsn, *error;
	bool created;

	dsn = doveadm_plugin_getenv("helpdesk_db");
	if (dsn == NULL || *dsn == '\0')
		dsn = HELPDESK_DEFAULT_DB;
	if (helpdesk_store_init(dsn, doveadm_settings->mail_plugin_dir, NULL,
				&store, &error) < 0) {
		i_error("helpdesk: %s", error);
		doveadm_exit_code = EX_CONFIG;
		return NULL;
	}
	/* Never created here: a store that is missing while the queue holds
	   tickets must be rebuilt from them (reconcile), or numbering would
	   start again at 1. */
	if (helpdesk_store_check(store, FALSE, &created, &error) < 0) {
		i_error("helpdesk: store %s unavailable: %s (a new store is "
			"created by the first delivery to the queue or by "
			"`doveadm helpdesk reconcile -u <user>`)", dsn, error);
		doveadm_exit_code = EX_TEMPFAIL;
		helpdesk_store_deinit(&store);
		return NULL;
	}
	helpdesk_store_set_sla(store, doveadm_helpdesk_settings());
	return store;
}

void doveadm_helpdesk_store_close(struct helpdesk_store **store)
{
	helpdesk_store_deinit(store);
	helpdesk_store_drivers_deinit();
}

static const char *cmd_format_time(int64_t t)
{
	return t <= 0 ? "" : iso8601_date_create((time_t)t);
}

/* The columns cmd_ticket_print() prints, in its order. */
static const char *const cmd_ticket_fields[] = {
	"ticket", "status", "priority", "team", "owner", "requester",
	"created", "updated", "messages", "tier", "vip", NULL
};

void doveadm_helpdesk_print_headers(const char *const *names,
				    const char *expand)
{
	for (; *names != NULL; names++)
		doveadm_print_header_simple(*names);
	if (expand != NULL) {
		doveadm_print_header(expand, expand,
				     DOVEADM_PRINT_HEADER_FLAG_EXPAND);
	}
}

static void
cmd_ticket_print(const struct helpdesk_store_ticket_summary *t)
{
	const struct helpdesk_ticket_row *row = &t->row;

	doveadm_print(dec2str(row->id));
	doveadm_print(helpdesk_status_name(row->status));
	doveadm_print(row->priority);
	doveadm_print(row->team);
	doveadm_print(row->owner);
	doveadm_print(row->requester);
	doveadm_print(cmd_format_time(row->created));
	doveadm_print(cmd_format_time(row->updated));
	doveadm_print(dec2str(t->messages));
	doveadm_print(dec2str(row->tier));
	doveadm_print(row->vip ? "yes" : "no");
}

static void cmd_helpdesk_ticket_list(struct doveadm_cmd_context *cctx)
{
	ARRAY_TYPE(helpdesk_store_ticket_summary) tickets;
	const struct helpdesk_store_ticket_summary *t;
	struct helpdesk_store *store;
	enum helpdesk_ticket_status status;
	const char *status_str = NULL, *limit_str, *error;
	int64_t limit = DOVEADM_HELPDESK_DEFAULT_LIMIT;

	if (doveadm_cmd_param_str(cctx, "status", &status_str) &&
	    !helpdesk_status_parse(status_str, &status) &&
	    strcmp(status_str, "warn") != 0 &&
	    strcmp(status_str, "breach") != 0) {
		i_error("helpdesk ticket list: unknown status '%s' "
			"(new, open, waiting, resolved, or the SLA's warn "
			"or breach)", status_str);
		doveadm_exit_code = EX_USAGE;
		return;
	}
	/* a string: doveadm silently drops an int64 option it can't parse */
	if (doveadm_cmd_param_str(cctx, "limit", &limit_str) &&
	    (str_to_int64(limit_str, &limit) < 0 || limit <= 0 ||
	     limit > UINT_MAX)) {
		i_error("helpdesk ticket list: -n needs a positive number, "
			"not '%s'", limit_str);
		doveadm_exit_code = EX_USAGE;
		return;
	}
	if ((store = doveadm_helpdesk_store_open()) == NULL)
		return;

	doveadm_print_init(DOVEADM_PRINT_TYPE_TABLE);
	doveadm_helpdesk_print_headers(cmd_ticket_fields, "subject");

	t_array_init(&tickets, 64);
	if (helpdesk_store_ticket_list(store, status_str, 0,
				       (unsigned int)limit,
				       pool_datastack_create(), &tickets,
				       &error) < 0) {
		i_error("helpdesk ticket list: %s", error);
		doveadm_exit_code = EX_TEMPFAIL;
	}
	array_foreach(&tickets, t) {
		cmd_ticket_print(t);
		doveadm_print(t->row.subject);
	}
	doveadm_helpdesk_store_close(&store);
}

/* "time kind by actor (detail)", one line per event */
static const char *
cmd_ticket_history(const ARRAY_TYPE(helpdesk_store_event) *events)
{
	const struct helpdesk_store_event *event;
	string_t *history = t_str_new(256);

	array_foreach(events, event) {
		if (str_len(history) > 0)
			str_append_c(history, '\n');
		str_printfa(history, "%s %s", cmd_format_time(event->created),
			    event->kind);
		if (*event->actor != '\0')
			str_printfa(history, " by %s", event->actor);
		if (*event->detail != '\0')
			str_printfa(history, " (%s)", event->detail);
	}
	return str_c(history);
}

static void cmd_helpdesk_ticket_show(struct doveadm_cmd_context *cctx)
{
	ARRAY_TYPE(helpdesk_store_ticket_summary) tickets;
	ARRAY_TYPE(helpdesk_store_event) events;
	const struct helpdesk_store_ticket_summary *t;
	struct helpdesk_store_sla_info sla;
	struct helpdesk_store *store;
	const char *id_str, *error;
	unsigned int clock, csat;
	uint64_t id;

	if (!doveadm_cmd_param_str(cctx, "ticket", &id_str) ||
	    str_to_uint64(id_str, &id) < 0 || id == 0) {
		i_error("helpdesk ticket show: give a ticket number");
		doveadm_exit_code = EX_USAGE;
		return;
	}
	if ((store = doveadm_helpdesk_store_open()) == NULL)
		return;

	t_array_init(&tickets, 1);
	t_array_init(&events, 16);
	if (helpdesk_store_ticket_list(store, NULL, id, 1,
				       pool_datastack_create(), &tickets,
				       &error) < 0 ||
	    helpdesk_store_ticket_events(store, id, pool_datastack_create(),
					 &events, &error) < 0 ||
	    helpdesk_store_ticket_sla(store, id, ioloop_time, &sla,
				      &error) < 0 ||
	    helpdesk_store_csat_score(store, id, &csat, &error) < 0) {
		i_error("helpdesk ticket show: %s", error);
		doveadm_exit_code = EX_TEMPFAIL;
		doveadm_helpdesk_store_close(&store);
		return;
	}
	doveadm_helpdesk_store_close(&store);
	if (array_count(&tickets) == 0) {
		i_error("helpdesk ticket show: ticket %s not found", id_str);
		doveadm_exit_code = DOVEADM_EX_NOTFOUND;
		return;
	}

	doveadm_print_init(DOVEADM_PRINT_TYPE_PAGER);
	doveadm_helpdesk_print_headers(cmd_ticket_fields, NULL);
	doveadm_print_header_simple("subject");
	doveadm_print_header_simple("sla");
	doveadm_print_header_simple("first_response_due");
	doveadm_print_header_simple("next_response_due");
	doveadm_print_header_simple("resolution_due");
	doveadm_print_header_simple("first_response_at");
	doveadm_print_header_simple("csat");
	doveadm_print_header_simple("history");
	t = array_front(&tickets);
	cmd_ticket_print(t);
	doveadm_print(t->row.subject);
	doveadm_print(helpdesk_sla_status_name(sla.status));
	/* in the order of the headers */
	for (clock = 0; clock < HELPDESK_SLA_CLOCK_COUNT; clock++)
		doveadm_print(cmd_format_time(sla.due[clock]));
	doveadm_print(cmd_format_time(sla.first_response_at));
	/* the latest resolution's rating, 1-5; empty: none */
	doveadm_print(csat == 0 ? "" : dec2str(csat));
	doveadm_print(cmd_ticket_history(&events));
}

static int cmd_helpdesk_reconcile_run(struct doveadm_mail_cmd_context *ctx,
				      struct mail_user *user)
{
	int ret;
	unsigned int queues, rebuilt, done, left;
	const char *error;

	/* the mail plugin does the work (it owns the save path): doveadm
	   loads this plugin only once the mail plugins are loaded, as it
	   does doveadm-acl */
	ret = helpdesk_reconcile_user(user, &queues, &rebuilt, &done, &left,
				      &error);
	if (ret < 0) {
		i_error("helpdesk reconcile: %s", error);
		doveadm_mail_failed_error(ctx, MAIL_ERROR_TEMP);
	} else if (queues == 0 && ctx->iterate_single_user) {
		i_info("helpdesk reconcile: %s has no helpdesk queue it can "
		       "open: nothing to reconcile", user->username);
	}
	doveadm_print(dec2str(done));
	doveadm_print(dec2str(left));
	doveadm_print(dec2str(rebuilt));
	return ret;
}

static void
cmd_helpdesk_reconcile_init(struct doveadm_mail_cmd_context *ctx ATTR_UNUSED,
			    const char *const args[] ATTR_UNUSED)
{
	/* after doveadm's own username column (a sticky header, with -u
	   too: add_username_header): headers added before it would leave
	   the last row one value short with -A */
	doveadm_print_header_simple("reconciled");
	doveadm_print_header_simple("pending");
	doveadm_print_header_simple("rebuilt");
}

static struct doveadm_mail_cmd_context *cmd_helpdesk_reconcile_alloc(void)
{
	struct doveadm_mail_cmd_context *ctx;

	ctx = doveadm_mail_cmd_alloc(struct doveadm_mail_cmd_context);
	ctx->v.init = cmd_helpdesk_reconcile_init;
	ctx->v.run = cmd_helpdesk_reconcile_run;
	ctx->add_username_header = TRUE;
	doveadm_print_init(DOVEADM_PRINT_TYPE_TABLE);
	return ctx;
}

/* ---- agents and teams */

bool doveadm_helpdesk_check_name(const char *cmd, const char *what,
				 const char *name)
{
	if (!helpdesk_keyword_name_is_valid(name)) {
		i_error("helpdesk %s: invalid %s name '%s' (letters, digits "
			"and -_.@+, at most 64)", cmd, what, name);
		doveadm_exit_code = EX_USAGE;
		return FALSE;
	}
	return TRUE;
}

static void cmd_helpdesk_agent_add(struct doveadm_cmd_context *cctx)
{
	struct helpdesk_store *store;
	const char *agent, *address = "", *team = "", *error;
	bool lead = FALSE, found, any;

	if (!doveadm_cmd_param_str(cctx, "agent", &agent)) {
		i_error("helpdesk agent add: give the agent's user name");
		doveadm_exit_code = EX_USAGE;
		return;
	}
	(void)doveadm_cmd_param_str(cctx, "address", &address);
	(void)doveadm_cmd_param_str(cctx, "team", &team);
	(void)doveadm_cmd_param_bool(cctx, "lead", &lead);
	if (!doveadm_helpdesk_check_name("agent add", "user", agent) ||
	    (*team != '\0' && !doveadm_helpdesk_check_name("agent add", "team", team)))
		return;
	if (*address != '\0' && strchr(address, '@') == NULL) {
		i_error("helpdesk agent add: -a needs a mail address, not "
			"'%s'", address);
		doveadm_exit_code = EX_USAGE;
		return;
	}
	if ((store = doveadm_helpdesk_store_open()) == NULL)
		return;
	if (*team != '\0' &&
	    helpdesk_store_team_get(store, team, &found, &any, &error) == 0 &&
	    !found) {
		i_error("helpdesk agent add: there is no team %s "
			"(doveadm helpdesk team add %s)", team, team);
		doveadm_exit_code = DOVEADM_EX_NOTFOUND;
	} else if (helpdesk_store_agent_set(store, agent, t_str_lcase(address),
					    team, lead, ioloop_time,
					    &error) < 0) {
		i_error("helpdesk agent add: %s", error);
		doveadm_exit_code = EX_TEMPFAIL;
	}
	doveadm_helpdesk_store_close(&store);
}

static void cmd_helpdesk_agent_remove(struct doveadm_cmd_context *cctx)
{
	struct helpdesk_store *store;
	const char *agent, *error;
	bool removed;

	if (!doveadm_cmd_param_str(cctx, "agent", &agent)) {
		i_error("helpdesk agent remove: give the agent's user name");
		doveadm_exit_code = EX_USAGE;
		return;
	}
	if ((store = doveadm_helpdesk_store_open()) == NULL)
		return;
	if (helpdesk_store_agent_remove(store, agent, &removed, &error) < 0) {
		i_error("helpdesk agent remove: %s", error);
		doveadm_exit_code = EX_TEMPFAIL;
	} else if (!removed) {
		i_error("helpdesk agent remove: no agent %s", agent);
		doveadm_exit_code = DOVEADM_EX_NOTFOUND;
	}
	doveadm_helpdesk_store_close(&store);
}

static void cmd_helpdesk_agent_list(struct doveadm_cmd_context *cctx ATTR_UNUSED)
{
	static const char *const agent_fields[] = {
		"agent", "address", "team", "role", "tickets", "since",
		"away", NULL
	};
	ARRAY_TYPE(helpdesk_store_agent) agents;
	const struct helpdesk_store_agent *agent;
	struct helpdesk_store *store;
	const char *error;

	if ((store = doveadm_helpdesk_store_open()) == NULL)
		return;
	doveadm_print_init(DOVEADM_PRINT_TYPE_TABLE);
	doveadm_helpdesk_print_headers(agent_fields, NULL);
	t_array_init(&agents, 16);
	if (helpdesk_store_agent_list(store, pool_datastack_create(), &agents,
				      &error) < 0) {
		i_error("helpdesk agent list: %s", error);
		doveadm_exit_code = EX_TEMPFAIL;
	}
	array_foreach(&agents, agent) {
		doveadm_print(agent->username);
		doveadm_print(agent->address);
		doveadm_print(agent->team);
		doveadm_print(agent->role);
		doveadm_print(dec2str(agent->open_tickets));
		doveadm_print(cmd_format_time(agent->created));
		doveadm_print(agent->away ? "yes" : "no");
	}
	doveadm_helpdesk_store_close(&store);
}

/* ---- ticket assign: the store, then the keywords in the queue */

struct assign_cmd_context {
	struct doveadm_mail_cmd_context ctx;
	uint64_t ticket;
	const char *agent;
	bool done;
};

static int cmd_helpdesk_assign_run(struct doveadm_mail_cmd_context *_ctx,
				   struct mail_user *user)
{
	struct assign_cmd_context *ctx = (struct assign_cmd_context *)_ctx;
	struct helpdesk_store *store;
	struct helpdesk_ticket_row row;
	const char *role, *error;
	bool found, any, changed;
	unsigned int queues;
	int ret = 0;

	if (!ctx->done) {
		/* once, even for -A */
		if ((store = doveadm_helpdesk_store_open()) == NULL) {
			doveadm_mail_failed_error(_ctx, MAIL_ERROR_TEMP);
			return -1;
		}
		if (helpdesk_store_get_ticket(store, ctx->ticket,
					      pool_datastack_create(), &row,
					      &found, &error) < 0 ||
		    helpdesk_store_agent_get(store, ctx->agent, &role, &any,
					     &error) < 0) {
			i_error("helpdesk ticket assign: %s", error);
			doveadm_mail_failed_error(_ctx, MAIL_ERROR_TEMP);
			ret = -1;
		} else if (!found) {
			i_error("helpdesk ticket assign: ticket %llu not found",
				(unsigned long long)ctx->ticket);
			doveadm_mail_failed_error(_ctx, MAIL_ERROR_NOTFOUND);
			ret = -1;
		} else if (any && role == NULL) {
			i_error("helpdesk ticket assign: %s is not a helpdesk "
				"agent (doveadm helpdesk agent add %s)",
				ctx->agent, ctx->agent);
			doveadm_mail_failed_error(_ctx, MAIL_ERROR_NOTFOUND);
			ret = -1;
		} else if (helpdesk_store_ticket_action(store, ctx->ticket,
				HELPDESK_ACTION_ASSIGN, "doveadm", ctx->agent,
				ioloop_time, &changed, &error) < 0) {
			i_error("helpdesk ticket assign: %s", error);
			doveadm_mail_failed_error(_ctx, MAIL_ERROR_TEMP);
			ret = -1;
		}
		doveadm_helpdesk_store_close(&store);
		if (ret < 0)
			return -1;
		ctx->done = TRUE;
	}
	if (helpdesk_ticket_sync_user(user, ctx->ticket, &queues,
				      &error) < 0) {
		i_error("helpdesk ticket assign: ticket %llu is assigned to "
			"%s, but its messages were not updated: %s",
			(unsigned long long)ctx->ticket, ctx->agent, error);
		doveadm_mail_failed_error(_ctx, MAIL_ERROR_TEMP);
		return -1;
	}
	if (queues == 0 && _ctx->iterate_single_user) {
		i_warning("helpdesk ticket assign: ticket %llu is assigned to "
			  "%s, but %s has no helpdesk queue it can open: run "
			  "it as a user with the queue (-u support) to "
			  "update the ticket's messages",
			  (unsigned long long)ctx->ticket, ctx->agent,
			  user->username);
	}
	return 0;
}

static void cmd_helpdesk_assign_init(struct doveadm_mail_cmd_context *_ctx,
				     const char *const args[])
{
	struct assign_cmd_context *ctx = (struct assign_cmd_context *)_ctx;

	if (args[0] == NULL || args[1] == NULL || args[2] != NULL ||
	    str_to_uint64(args[0], &ctx->ticket) < 0 || ctx->ticket == 0)
		doveadm_mail_help_name("helpdesk ticket assign");
	ctx->agent = p_strdup(_ctx->pool, args[1]);
	if (!helpdesk_keyword_name_is_valid(ctx->agent)) {
		i_fatal_status(EX_USAGE, "helpdesk ticket assign: invalid user "
			       "name '%s'", ctx->agent);
	}
}

static struct doveadm_mail_cmd_context *cmd_helpdesk_assign_alloc(void)
{
	struct assign_cmd_context *ctx;

	ctx = doveadm_mail_cmd_alloc(struct assign_cmd_context);
	ctx->ctx.v.init = cmd_helpdesk_assign_init;
	ctx->ctx.v.run = cmd_helpdesk_assign_run;
	return &ctx->ctx;
}

static struct doveadm_cmd_ver2 helpdesk_commands[] = {
	{
		.name = "helpdesk ticket assign",
		.mail_cmd = cmd_helpdesk_assign_alloc,
		.usage = "-u <user> <ticket> <agent>",
DOVEADM_CMD_PARAMS_START
DOVEADM_CMD_MAIL_COMMON
DOVEADM_CMD_PARAM('\0', "ticket", CMD_PARAM_STR, CMD_PARAM_FLAG_POSITIONAL)
DOVEADM_CMD_PARAM('\0', "agent", CMD_PARAM_STR, CMD_PARAM_FLAG_POSITIONAL)
DOVEADM_CMD_PARAMS_END
	},
	{
		.name = "helpdesk agent add",
		.cmd = cmd_helpdesk_agent_add,
		.usage = "[-a <address>] [-t <team>] [-l] <agent>",
DOVEADM_CMD_PARAMS_START
DOVEADM_CMD_PARAM('a', "address", CMD_PARAM_STR, 0)
DOVEADM_CMD_PARAM('t', "team", CMD_PARAM_STR, 0)
DOVEADM_CMD_PARAM('l', "lead", CMD_PARAM_BOOL, 0)
DOVEADM_CMD_PARAM('\0', "agent", CMD_PARAM_STR, CMD_PARAM_FLAG_POSITIONAL)
DOVEADM_CMD_PARAMS_END
	},
	{
		.name = "helpdesk agent remove",
		.cmd = cmd_helpdesk_agent_remove,
		.usage = "<agent>",
DOVEADM_CMD_PARAMS_START
DOVEADM_CMD_PARAM('\0', "agent", CMD_PARAM_STR, CMD_PARAM_FLAG_POSITIONAL)
DOVEADM_CMD_PARAMS_END
	},
	{
		.name = "helpdesk agent list",
		.cmd = cmd_helpdesk_agent_list,
		.usage = "",
DOVEADM_CMD_PARAMS_START
DOVEADM_CMD_PARAMS_END
	},
	{
		.name = "helpdesk ticket list",
		.cmd = cmd_helpdesk_ticket_list,
		.usage = "[-s new|open|waiting|resolved|warn|breach] [-n <limit>]",
DOVEADM_CMD_PARAMS_START
DOVEADM_CMD_PARAM('s', "status", CMD_PARAM_STR, 0)
DOVEADM_CMD_PARAM('n', "limit", CMD_PARAM_STR, 0)
DOVEADM_CMD_PARAMS_END
	},
	{
		.name = "helpdesk ticket show",
		.cmd = cmd_helpdesk_ticket_show,
		.usage = "<ticket>",
DOVEADM_CMD_PARAMS_START
DOVEADM_CMD_PARAM('\0', "ticket", CMD_PARAM_STR, CMD_PARAM_FLAG_POSITIONAL)
DOVEADM_CMD_PARAMS_END
	},
	{
		.name = "helpdesk reconcile",
		.mail_cmd = cmd_helpdesk_reconcile_alloc,
		.usage = "-u <user>|-A",
DOVEADM_CMD_PARAMS_START
DOVEADM_CMD_MAIL_COMMON
DOVEADM_CMD_PARAMS_END
	},
};

void doveadm_helpdesk_plugin_init(struct module *module ATTR_UNUSED)
{
	unsigned int i;

	for (i = 0; i < N_ELEMENTS(helpdesk_commands); i++)
		doveadm_cmd_register_ver2(&helpdesk_commands[i]);
	doveadm_cmd_register_ver2(&doveadm_helpdesk_cmd_client_config);
	doveadm_cmd_register_ver2(&doveadm_helpdesk_cmd_sweep);
	doveadm_cmd_register_ver2(&doveadm_helpdesk_cmd_stats);
	doveadm_cmd_register_ver2(&doveadm_helpdesk_cmd_report);
	for (i = 0; i < doveadm_helpdesk_team_commands_count; i++)
		doveadm_cmd_register_ver2(&doveadm_helpdesk_team_commands[i]);
	for (i = 0; i < doveadm_helpdesk_vip_commands_count; i++)
		doveadm_cmd_register_ver2(&doveadm_helpdesk_vip_commands[i]);
	for (i = 0; i < doveadm_helpdesk_game_commands_count; i++)
		doveadm_cmd_register_ver2(&doveadm_helpdesk_game_commands[i]);
}

void doveadm_helpdesk_plugin_deinit(void)
{
}
