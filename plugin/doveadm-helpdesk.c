/* Copyright (c) 2026 dovecot-helpdesk authors, see the included COPYING file */

/* doveadm helpdesk ticket list | ticket show N | reconcile */

#include "lib.h"
#include "str.h"
#include "strnum.h"
#include "iso8601-date.h"
#include "sql-api.h"
#include "doveadm.h"
#include "doveadm-cmd.h"
#include "doveadm-mail.h"
#include "doveadm-print.h"
#include "doveadm-settings.h"
#include "helpdesk-settings.h"
#include "helpdesk-store.h"

#include <dlfcn.h>
#include <sysexits.h>

#define DOVEADM_HELPDESK_DEFAULT_LIMIT 1000

const char *doveadm_helpdesk_plugin_version = DOVECOT_ABI_VERSION;

void doveadm_helpdesk_plugin_init(struct module *module);
void doveadm_helpdesk_plugin_deinit(void);

typedef int helpdesk_reconcile_user_t(struct mail_user *user,
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

static struct helpdesk_store *cmd_store_open(void)
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
	if (helpdesk_store_check(store, FALSE, &created, &error) < 0) {
		i_error("helpdesk: store %s unavailable: %s", dsn, error);
		doveadm_exit_code = EX_TEMPFAIL;
		helpdesk_store_deinit(&store);
		return NULL;
	}
	return store;
}

static void cmd_store_close(struct helpdesk_store **store)
{
	helpdesk_store_deinit(store);
	helpdesk_store_drivers_deinit();
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
	if ((store = cmd_store_open()) == NULL)
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
	doveadm_print_header("subject", "subject",
			     DOVEADM_PRINT_HEADER_FLAG_EXPAND);

	query = t_strdup_printf(
		"SELECT t.id, t.status, t.priority, t.team, t.requester, "
		"t.subject, t.created, t.updated, "
		"(SELECT COUNT(*) FROM hd_messages m WHERE m.ticket_id = t.id), "
		"t.owner "
		"FROM hd_tickets t WHERE (? = '' OR t.status = ?) "
		"ORDER BY t.id LIMIT %lld", (long long)limit);
	const char *args[] = { status_str, status_str, NULL };
	if (helpdesk_store_select(store, query, args, ticket_list_row, NULL,
				  &error) < 0) {
		i_error("helpdesk ticket list: %s", error);
		doveadm_exit_code = EX_TEMPFAIL;
	}
	cmd_store_close(&store);
}

struct ticket_show_ctx {
	string_t *history;
	unsigned int rows;
	const char *fields[10];
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
	if ((store = cmd_store_open()) == NULL)
		return;

	i_zero(&ctx);
	ctx.history = t_str_new(256);
	const char *args[] = { dec2str(id), NULL };
	if (helpdesk_store_select(store,
		"SELECT t.id, t.status, t.priority, t.team, t.requester, "
		"t.subject, t.created, t.updated, "
		"(SELECT COUNT(*) FROM hd_messages m WHERE m.ticket_id = t.id), "
		"t.owner FROM hd_tickets t WHERE t.id = ?", args,
		(helpdesk_store_row_callback_t *)ticket_show_row, &ctx,
		&error) < 0 ||
	    helpdesk_store_select(store,
		"SELECT created, kind, actor, detail FROM hd_events "
		"WHERE ticket_id = ? ORDER BY id", args,
		(helpdesk_store_row_callback_t *)ticket_event_row, &ctx,
		&error) < 0) {
		i_error("helpdesk ticket show: %s", error);
		doveadm_exit_code = EX_TEMPFAIL;
		cmd_store_close(&store);
		return;
	}
	cmd_store_close(&store);
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
	unsigned int rebuilt, done, left;
	const char *error;

	/* The work is done by the mail plugin (it owns the save path), which
	   doveadm loads for the user after this plugin: look it up now. */
	reconcile = (helpdesk_reconcile_user_t *)
		dlsym(RTLD_DEFAULT, "helpdesk_reconcile_user");
	if (reconcile == NULL) {
		i_error("helpdesk reconcile: the helpdesk mail plugin is not "
			"loaded (add helpdesk to mail_plugins)");
		doveadm_mail_failed_error(ctx, MAIL_ERROR_NOTFOUND);
		return -1;
	}
	ret = reconcile(user, &rebuilt, &done, &left, &error);
	if (ret < 0) {
		i_error("helpdesk reconcile: %s", error);
		doveadm_mail_failed_error(ctx, MAIL_ERROR_TEMP);
	}
	doveadm_print(user->username);
	doveadm_print(dec2str(done));
	doveadm_print(dec2str(left));
	doveadm_print(dec2str(rebuilt));
	return ret;
}

static struct doveadm_mail_cmd_context *cmd_helpdesk_reconcile_alloc(void)
{
	struct doveadm_mail_cmd_context *ctx;

	ctx = doveadm_mail_cmd_alloc(struct doveadm_mail_cmd_context);
	ctx->v.run = cmd_helpdesk_reconcile_run;
	doveadm_print_init(DOVEADM_PRINT_TYPE_TABLE);
	doveadm_print_header_simple("user");
	doveadm_print_header_simple("reconciled");
	doveadm_print_header_simple("pending");
	doveadm_print_header_simple("rebuilt");
	return ctx;
}

static struct doveadm_cmd_ver2 helpdesk_commands[] = {
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
}

void doveadm_helpdesk_plugin_deinit(void)
{
}
