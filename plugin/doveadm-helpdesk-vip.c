/* Copyright (c) 2026 dovecot-helpdesk authors, see the included COPYING file */

/* doveadm helpdesk vip add|remove|list: the VIP customers the Sieve
   extension vnd.dovecot.helpdesk knows (helpdesk_vip). */

#include "lib.h"
#include "array.h"
#include "ioloop.h"
#include "iso8601-date.h"
#include "doveadm.h"
#include "doveadm-cmd.h"
#include "doveadm-print.h"
#include "helpdesk-store.h"
#include "helpdesk-vip.h"
#include "doveadm-helpdesk.h"

#include <sysexits.h>

static bool cmd_vip_entry(struct doveadm_cmd_context *cctx, const char *cmd,
			  const char **entry_r)
{
	const char *entry, *error;

	if (!doveadm_cmd_param_str(cctx, "entry", &entry)) {
		i_error("helpdesk %s: give an address or a domain", cmd);
		doveadm_exit_code = EX_USAGE;
		return FALSE;
	}
	if (!helpdesk_vip_entry_parse(entry, entry_r, &error)) {
		i_error("helpdesk %s: invalid entry '%s': %s", cmd, entry,
			error);
		doveadm_exit_code = EX_USAGE;
		return FALSE;
	}
	return TRUE;
}

static void cmd_helpdesk_vip_add(struct doveadm_cmd_context *cctx)
{
	struct helpdesk_store *store;
	const char *entry, *note = "", *error;
	bool added;

	if (!cmd_vip_entry(cctx, "vip add", &entry))
		return;
	(void)doveadm_cmd_param_str(cctx, "note", &note);
	if ((store = doveadm_helpdesk_store_open()) == NULL)
		return;
	if (helpdesk_store_vip_add(store, entry, note, ioloop_time, &added,
				   &error) < 0) {
		i_error("helpdesk vip add: %s", error);
		doveadm_exit_code = EX_TEMPFAIL;
	} else if (!added) {
		i_info("helpdesk vip add: %s was listed already", entry);
	}
	doveadm_helpdesk_store_close(&store);
}

static void cmd_helpdesk_vip_remove(struct doveadm_cmd_context *cctx)
{
	struct helpdesk_store *store;
	const char *entry, *error;
	bool removed;

	if (!cmd_vip_entry(cctx, "vip remove", &entry))
		return;
	if ((store = doveadm_helpdesk_store_open()) == NULL)
		return;
	if (helpdesk_store_vip_remove(store, entry, &removed, &error) < 0) {
		i_error("helpdesk vip remove: %s", error);
		doveadm_exit_code = EX_TEMPFAIL;
	} else if (!removed) {
		i_error("helpdesk vip remove: %s is not listed", entry);
		doveadm_exit_code = DOVEADM_EX_NOTFOUND;
	}
	doveadm_helpdesk_store_close(&store);
}

static void cmd_helpdesk_vip_list(struct doveadm_cmd_context *cctx ATTR_UNUSED)
{
	static const char *const fields[] = { "entry", "added", NULL };
	ARRAY_TYPE(helpdesk_store_vip) vips;
	const struct helpdesk_store_vip *vip;
	struct helpdesk_store *store;
	const char *error;

	if ((store = doveadm_helpdesk_store_open()) == NULL)
		return;
	doveadm_print_init(DOVEADM_PRINT_TYPE_TABLE);
	doveadm_helpdesk_print_headers(fields, "note");
	t_array_init(&vips, 16);
	if (helpdesk_store_vip_list(store, pool_datastack_create(), &vips,
				    &error) < 0) {
		i_error("helpdesk vip list: %s", error);
		doveadm_exit_code = EX_TEMPFAIL;
	}
	array_foreach(&vips, vip) {
		doveadm_print(vip->entry);
		doveadm_print(iso8601_date_create((time_t)vip->created));
		doveadm_print(vip->note);
	}
	doveadm_helpdesk_store_close(&store);
}

struct doveadm_cmd_ver2 doveadm_helpdesk_vip_commands[] = {
	{
		.name = "helpdesk vip add",
		.cmd = cmd_helpdesk_vip_add,
		.usage = "[-n <note>] <address|domain>",
DOVEADM_CMD_PARAMS_START
DOVEADM_CMD_PARAM('n', "note", CMD_PARAM_STR, 0)
DOVEADM_CMD_PARAM('\0', "entry", CMD_PARAM_STR, CMD_PARAM_FLAG_POSITIONAL)
DOVEADM_CMD_PARAMS_END
	},
	{
		.name = "helpdesk vip remove",
		.cmd = cmd_helpdesk_vip_remove,
		.usage = "<address|domain>",
DOVEADM_CMD_PARAMS_START
DOVEADM_CMD_PARAM('\0', "entry", CMD_PARAM_STR, CMD_PARAM_FLAG_POSITIONAL)
DOVEADM_CMD_PARAMS_END
	},
	{
		.name = "helpdesk vip list",
		.cmd = cmd_helpdesk_vip_list,
		.usage = "",
DOVEADM_CMD_PARAMS_START
DOVEADM_CMD_PARAMS_END
	},
};
const unsigned int doveadm_helpdesk_vip_commands_count =
	N_ELEMENTS(doveadm_helpdesk_vip_commands);
