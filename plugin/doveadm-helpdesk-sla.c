/* Copyright (c) 2026 dovecot-helpdesk authors, see the included COPYING file */

/* doveadm helpdesk sweep: the time-driven part of the SLA clocks, run
   from the shipped systemd timer or a cron line. */

#include "lib.h"
#include "ioloop.h"
#include "doveadm-mail.h"
#include "doveadm-print.h"
#include "helpdesk-plugin.h"
#include "doveadm-helpdesk.h"

static int cmd_helpdesk_sweep_run(struct doveadm_mail_cmd_context *ctx,
				  struct mail_user *user)
{
	unsigned int queues, due, changed;
	const char *error;
	int ret;

	/* the mail plugin does the work: it owns the keyword sync */
	ret = helpdesk_sla_sweep_user(user, ioloop_time, &queues, &due,
				      &changed, &error);
	if (ret < 0) {
		i_error("helpdesk sweep: %s", error);
		doveadm_mail_failed_error(ctx, MAIL_ERROR_TEMP);
	} else if (queues == 0 && ctx->iterate_single_user) {
		i_info("helpdesk sweep: %s has no helpdesk queue it can open: "
		       "nothing to sweep", user->username);
	}
	doveadm_print(dec2str(due));
	doveadm_print(dec2str(changed));
	return ret;
}

static void
cmd_helpdesk_sweep_init(struct doveadm_mail_cmd_context *ctx ATTR_UNUSED,
			const char *const args[])
{
	if (args[0] != NULL)
		doveadm_mail_help_name("helpdesk sweep");
	doveadm_print_header_simple("due");
	doveadm_print_header_simple("changed");
}

static struct doveadm_mail_cmd_context *cmd_helpdesk_sweep_alloc(void)
{
	struct doveadm_mail_cmd_context *ctx;

	ctx = doveadm_mail_cmd_alloc(struct doveadm_mail_cmd_context);
	ctx->v.init = cmd_helpdesk_sweep_init;
	ctx->v.run = cmd_helpdesk_sweep_run;
	ctx->add_username_header = TRUE;
	doveadm_print_init(DOVEADM_PRINT_TYPE_TABLE);
	return ctx;
}

struct doveadm_cmd_ver2 doveadm_helpdesk_cmd_sweep = {
	.name = "helpdesk sweep",
	.mail_cmd = cmd_helpdesk_sweep_alloc,
	.usage = "-u <user>|-A",
DOVEADM_CMD_PARAMS_START
DOVEADM_CMD_MAIL_COMMON
DOVEADM_CMD_PARAMS_END
};
