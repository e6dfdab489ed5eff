/* Copyright (c) 2026 dovecot-helpdesk authors, see the included COPYING file */

/* doveadm helpdesk ticket list | ticket show N | ticket assign N AGENT |
   agent add|remove|list | team add|list | reconcile (and client-config,
   doveadm-helpdesk-client.c) */

#include "lib.h"
#include "str.h"
#include "strnum.h"
#include "iso8601-date.h"
#include "ioloop.h"
#include "sql-api.h"
#include "doveadm.h"
#include "doveadm-cmd.h"
#include "doveadm-mail.h"
#include "doveadm-print.h"
#include "doveadm-settings.h"
#include "helpdesk-settings.h"
#include "helpdesk-store.h"
#include "doveadm-helpdesk.h"

#include <dlfcn.h>
#include <sysexits.h>

#define DOVEADM_HELPDESK_DEFAULT_LIMIT 1000

const char *doveadm_helpdesk_plugin_version = DOVECOT_ABI_VERSION;

void doveadm_helpdesk_plugin_init(struct module *module);
void doveadm_helpdesk_plugin_deinit(void);

typedef int helpdesk_ticket_sync_user_t(struct mail_user *user,
					uint64_t ticket, unsigned int *queues_r,
					const char **error_r);
typedef int helpdesk_reconcile_user_t(struct mail_user *user,
				      unsigned int *queues_r,
				      unsigned int *rebuilt_r,
				      unsigned int *done_r,
				      unsigned int *left_r,
				      const char **error_r);

static const char *format_time(const char *value)
{
	int64_t t;

	if (value == NULL || str_to_int64(value, &t) < 0 || t <= 0)
		return "";
	return iso8601_date_create((time_t)t);
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
	return store;
}

void doveadm_helpdesk_store_close(struct helpdesk_store **store)
{
	helpdesk_store_deinit(store);
	helpdesk_store_drivers_deinit();
}

static const char *vip_value(const char *value)
{
	return value != NULL && strcmp(value, "0") != 0 ? "yes" : "no";
}

static void ticket_list_row(struct sql_result *result,
			    void *context ATTR_UNUSED)
{
	doveadm_print(sql_result_get_field_value(result, 0));
	doveadm_print(sql_result_get_field_value(result, 1));
	doveadm_print(sql_result_get_field_value(result, 2));
	doveadm_print(sql_result_get_field_value(result, 3));
	doveadm_print(sql_result_get_field_value(result, 9));
	doveadm_print(sql_result_get_field_value(result, 4));
	doveadm_print(format_time(sql_result_get_field_value(result, 6)));
	doveadm_print(format_time(sql_result_get_field_value(result, 7)));
	doveadm_print(sql_result_get_field_value(result, 8));
	doveadm_print(sql_result_get_field_value(result, 10));
	doveadm_print(vip_value(sql_result_get_field_value(result, 11)));
	doveadm_print(sql_result_get_field_value(result, 5));
}

static void cmd_helpdesk_ticket_list(struct doveadm_cmd_context *cctx)
{
	struct helpdesk_store *store;
	enum helpdesk_ticket_status status;
	const char *status_str = "", *limit_str, *error, *query;
	int64_t limit = DOVEADM_HELPDESK_DEFAULT_LIMIT;

	if (doveadm_cmd_param_str(cctx, "status", &status_str) &&
	    !helpdesk_status_parse(status_str, &status)) {
		i_error("helpdesk ticket list: unknown status '%s' "
			"(new, open, waiting or resolved)", status_str);
		doveadm_exit_code = EX_USAGE;
		return;
	}
	/* a string: doveadm silently drops an int64 option it can't parse */
	if (doveadm_cmd_param_str(cctx, "limit", &limit_str) &&
	    (str_to_int64(limit_str, &limit) < 0 || limit <= 0)) {
		i_error("helpdesk ticket list: -n needs a positive number, "
			"not '%s'", limit_str);
		doveadm_exit_code = EX_USAGE;
		return;
	}
	if ((store = doveadm_helpdesk_store_open()) == NULL)
		return;

	doveadm_print_init(DOVEADM_PRINT_TYPE_TABLE);
	doveadm_print_header_simple("ticket");
	doveadm_print_header_simple("status");
	doveadm_print_header_simple("priority");
	doveadm_print_header_simple("team");
	doveadm_print_header_simple("owner");
	doveadm_print_header_simple("requester");
	doveadm_print_header_simple("created");
	doveadm_print_header_simple("updated");
	doveadm_print_header_simple("messages");
	doveadm_print_header_simple("tier");
	doveadm_print_header_simple("vip");
	doveadm_print_header("subject", "subject",
			     DOVEADM_PRINT_HEADER_FLAG_EXPAND);

	query = t_strdup_printf(
		"SELECT t.id, t.status, t.priority, t.team, t.requester, "
		"t.subject, t.created, t.updated, "
		"(SELECT COUNT(*) FROM hd_messages m WHERE m.ticket_id = t.id "
		"AND m.kind != 'copy'), "
		"t.owner, t.tier, t.vip "
		"FROM hd_tickets t WHERE (? = '' OR t.status = ?) "
		"ORDER BY t.id LIMIT %lld", (long long)limit);
	const char *args[] = { status_str, status_str, NULL };
	if (helpdesk_store_select(store, query, args, ticket_list_row, NULL,
				  &error) < 0) {
		i_error("helpdesk ticket list: %s", error);
		doveadm_exit_code = EX_TEMPFAIL;
	}
	doveadm_helpdesk_store_close(&store);
}

struct ticket_show_ctx {
	string_t *history;
	unsigned int rows;
	const char *fields[12];
};

static void ticket_show_row(struct sql_result *result,
			    struct ticket_show_ctx *ctx)
{
	unsigned int i;

	ctx->rows++;
	for (i = 0; i < N_ELEMENTS(ctx->fields); i++)
		ctx->fields[i] = t_strdup(sql_result_get_field_value(result, i));
}

static void ticket_event_row(struct sql_result *result,
			     struct ticket_show_ctx *ctx)
{
	const char *actor = sql_result_get_field_value(result, 2);
	const char *detail = sql_result_get_field_value(result, 3);

	if (str_len(ctx->history) > 0)
		str_append_c(ctx->history, '\n');
	str_printfa(ctx->history, "%s %s",
		    format_time(sql_result_get_field_value(result, 0)),
		    sql_result_get_field_value(result, 1));
	if (actor != NULL && *actor != '\0')
		str_printfa(ctx->history, " by %s", actor);
	if (detail != NULL && *detail != '\0')
		str_printfa(ctx->history, " (%s)", detail);
}

static void cmd_helpdesk_ticket_show(struct doveadm_cmd_context *cctx)
{
	/* output field -> column of the query */
	static const struct {
		const char *name;
		unsigned int column;
		bool time;
	} show_fields[] = {
		{ "ticket", 0, FALSE }, { "status", 1, FALSE },
		{ "priority", 2, FALSE }, { "team", 3, FALSE },
		{ "owner", 9, FALSE }, { "requester", 4, FALSE },
		{ "subject", 5, FALSE }, { "created", 6, TRUE },
		{ "updated", 7, TRUE }, { "messages", 8, FALSE },
		{ "tier", 10, FALSE }, { "vip", 11, FALSE },
	};
	struct helpdesk_store *store;
	struct ticket_show_ctx ctx;
	const char *id_str, *error;
	uint64_t id;
	unsigned int i;

	if (!doveadm_cmd_param_str(cctx, "ticket", &id_str) ||
	    str_to_uint64(id_str, &id) < 0 || id == 0) {
		i_error("helpdesk ticket show: give a ticket number");
		doveadm_exit_code = EX_USAGE;
		return;
	}
	if ((store = doveadm_helpdesk_store_open()) == NULL)
		return;

	i_zero(&ctx);
	ctx.history = t_str_new(256);
	const char *args[] = { dec2str(id), NULL };
	if (helpdesk_store_select(store,
		"SELECT t.id, t.status, t.priority, t.team, t.requester, "
		"t.subject, t.created, t.updated, "
		"(SELECT COUNT(*) FROM hd_messages m WHERE m.ticket_id = t.id "
		"AND m.kind != 'copy'), "
		"t.owner, t.tier, t.vip FROM hd_tickets t WHERE t.id = ?", args,
		(helpdesk_store_row_callback_t *)ticket_show_row, &ctx,
		&error) < 0 ||
	    helpdesk_store_select(store,
		"SELECT created, kind, actor, detail FROM hd_events "
		"WHERE ticket_id = ? ORDER BY id", args,
		(helpdesk_store_row_callback_t *)ticket_event_row, &ctx,
		&error) < 0) {
		i_error("helpdesk ticket show: %s", error);
		doveadm_exit_code = EX_TEMPFAIL;
		doveadm_helpdesk_store_close(&store);
		return;
	}
	doveadm_helpdesk_store_close(&store);
	if (ctx.rows == 0) {
		i_error("helpdesk ticket show: ticket %s not found", id_str);
		doveadm_exit_code = DOVEADM_EX_NOTFOUND;
		return;
	}

	doveadm_print_init(DOVEADM_PRINT_TYPE_PAGER);
	for (i = 0; i < N_ELEMENTS(show_fields); i++)
		doveadm_print_header_simple(show_fields[i].name);
	doveadm_print_header_simple("history");
	for (i = 0; i < N_ELEMENTS(show_fields); i++) {
		const char *value = ctx.fields[show_fields[i].column];

		if (show_fields[i].time)
			doveadm_print(format_time(value));
		else if (show_fields[i].column == 11)
			doveadm_print(vip_value(value));
		else
			doveadm_print(value == NULL ? "" : value);
	}
	doveadm_print(str_c(ctx.history));
}

static int cmd_helpdesk_reconcile_run(struct doveadm_mail_cmd_context *ctx,
				      struct mail_user *user)
{
	helpdesk_reconcile_user_t *reconcile;
	int ret;
	unsigned int queues, rebuilt, done, left;
	const char *error;

	/* The work is done by the mail plugin (it owns the save path), which
	   doveadm loads for the user after this plugin: look it up now. */
	reconcile = (helpdesk_reconcile_user_t *)
		dlsym(RTLD_DEFAULT, "helpdesk_reconcile_user");
	if (reconcile == NULL) {
		i_error("helpdesk reconcile: the helpdesk mail plugin is not "
			"loaded (add helpdesk to mail_plugins)");
		doveadm_mail_failed_error(ctx, MAIL_ERROR_NOTFOUND);
		/* a full row: the table of all users stays aligned */
		doveadm_print("0");
		doveadm_print("0");
		doveadm_print("0");
		return -1;
	}
	ret = reconcile(user, &queues, &rebuilt, &done, &left, &error);
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

static void agent_list_row(struct sql_result *result,
			   void *context ATTR_UNUSED)
{
	doveadm_print(sql_result_get_field_value(result, 0));
	doveadm_print(sql_result_get_field_value(result, 1));
	doveadm_print(sql_result_get_field_value(result, 2));
	doveadm_print(sql_result_get_field_value(result, 3));
	doveadm_print(sql_result_get_field_value(result, 4));
	doveadm_print(format_time(sql_result_get_field_value(result, 5)));
}

static bool cmd_check_name(const char *cmd, const char *what,
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
	if (!cmd_check_name("agent add", "user", agent) ||
	    (*team != '\0' && !cmd_check_name("agent add", "team", team)))
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
	struct helpdesk_store *store;
	const char *error;

	if ((store = doveadm_helpdesk_store_open()) == NULL)
		return;
	doveadm_print_init(DOVEADM_PRINT_TYPE_TABLE);
	doveadm_print_header_simple("agent");
	doveadm_print_header_simple("address");
	doveadm_print_header_simple("team");
	doveadm_print_header_simple("role");
	doveadm_print_header_simple("tickets");
	doveadm_print_header_simple("since");
	if (helpdesk_store_select(store,
		"SELECT a.username, a.address, a.team, a.role, "
		"(SELECT COUNT(*) FROM hd_tickets t WHERE t.owner = a.username "
		"AND t.status != 'resolved'), a.created "
		"FROM hd_agents a ORDER BY a.username", NULL,
		agent_list_row, NULL, &error) < 0) {
		i_error("helpdesk agent list: %s", error);
		doveadm_exit_code = EX_TEMPFAIL;
	}
	doveadm_helpdesk_store_close(&store);
}

static void cmd_helpdesk_team_add(struct doveadm_cmd_context *cctx)
{
	struct helpdesk_store *store;
	const char *team, *tier_str = "0", *description = "", *error;
	unsigned int tier;

	if (!doveadm_cmd_param_str(cctx, "team", &team)) {
		i_error("helpdesk team add: give the team's name");
		doveadm_exit_code = EX_USAGE;
		return;
	}
	(void)doveadm_cmd_param_str(cctx, "tier", &tier_str);
	(void)doveadm_cmd_param_str(cctx, "description", &description);
	if (!cmd_check_name("team add", "team", team))
		return;
	if (str_to_uint(tier_str, &tier) < 0 || tier > HELPDESK_TIER_MAX) {
		i_error("helpdesk team add: -t needs a support tier 1-%u (or 0 "
			"for none), not '%s'", HELPDESK_TIER_MAX, tier_str);
		doveadm_exit_code = EX_USAGE;
		return;
	}
	if ((store = doveadm_helpdesk_store_open()) == NULL)
		return;
	if (helpdesk_store_team_set(store, team, tier, description,
				    ioloop_time, &error) < 0) {
		i_error("helpdesk team add: %s", error);
		doveadm_exit_code = EX_TEMPFAIL;
	}
	doveadm_helpdesk_store_close(&store);
}

static void team_list_row(struct sql_result *result,
			  void *context ATTR_UNUSED)
{
	doveadm_print(sql_result_get_field_value(result, 0));
	doveadm_print(sql_result_get_field_value(result, 1));
	doveadm_print(sql_result_get_field_value(result, 2));
	doveadm_print(sql_result_get_field_value(result, 3));
	doveadm_print(sql_result_get_field_value(result, 4));
}

static void cmd_helpdesk_team_list(struct doveadm_cmd_context *cctx ATTR_UNUSED)
{
	struct helpdesk_store *store;
	const char *error;

	if ((store = doveadm_helpdesk_store_open()) == NULL)
		return;
	doveadm_print_init(DOVEADM_PRINT_TYPE_TABLE);
	doveadm_print_header_simple("team");
	doveadm_print_header_simple("tier");
	doveadm_print_header_simple("agents");
	doveadm_print_header_simple("open");
	doveadm_print_header("description", "description",
			     DOVEADM_PRINT_HEADER_FLAG_EXPAND);
	if (helpdesk_store_select(store,
		"SELECT m.name, m.tier, "
		"(SELECT COUNT(*) FROM hd_agents a WHERE a.team = m.name), "
		"(SELECT COUNT(*) FROM hd_tickets t WHERE t.team = m.name "
		"AND t.status != 'resolved'), m.description "
		"FROM hd_teams m ORDER BY m.name", NULL,
		team_list_row, NULL, &error) < 0) {
		i_error("helpdesk team list: %s", error);
		doveadm_exit_code = EX_TEMPFAIL;
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
	helpdesk_ticket_sync_user_t *sync_user;
	struct helpdesk_store *store;
	struct helpdesk_ticket_row row;
	const char *role, *error;
	bool found, any, changed;
	unsigned int queues;
	int ret = 0;

	sync_user = (helpdesk_ticket_sync_user_t *)
		dlsym(RTLD_DEFAULT, "helpdesk_ticket_sync_user");
	if (sync_user == NULL) {
		i_error("helpdesk ticket assign: the helpdesk mail plugin is "
			"not loaded (add helpdesk to mail_plugins)");
		doveadm_mail_failed_error(_ctx, MAIL_ERROR_NOTFOUND);
		return -1;
	}
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
	if (sync_user(user, ctx->ticket, &queues, &error) < 0) {
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
		.name = "helpdesk team add",
		.cmd = cmd_helpdesk_team_add,
		.usage = "[-t <tier>] [-d <description>] <team>",
DOVEADM_CMD_PARAMS_START
DOVEADM_CMD_PARAM('t', "tier", CMD_PARAM_STR, 0)
DOVEADM_CMD_PARAM('d', "description", CMD_PARAM_STR, 0)
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
		.name = "helpdesk ticket list",
		.cmd = cmd_helpdesk_ticket_list,
		.usage = "[-s new|open|waiting|resolved] [-n <limit>]",
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
}

void doveadm_helpdesk_plugin_deinit(void)
{
}
