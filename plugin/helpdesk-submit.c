/* Copyright (c) 2026 dovecot-helpdesk authors, see the included COPYING file */

/* Mail to customers through Dovecot's submission settings. */

#include "lib.h"
#include "str.h"
#include "ostream.h"
#include "settings-parser.h"
#include "smtp-address.h"
#include "smtp-submit.h"
#include "mail-storage-service.h"
#include "mail-user.h"
#include "helpdesk-submit.h"

/* The submission settings (submission_host, sendmail_path, ...) lmtp, lda
   and imap parsed for this user; NULL where they are not parsed. */
static const struct smtp_submit_settings *
submit_settings(struct mail_user *user)
{
	const struct setting_parser_info *const *roots;
	struct setting_parser_context *parser;
	void **sets;
	unsigned int i;

	if (user->_service_user == NULL)
		return NULL;
	parser = mail_storage_service_user_get_settings_parser(
		user->_service_user);
	roots = settings_parser_get_roots(parser);
	sets = settings_parser_get_list(parser);
	for (i = 0; roots[i] != NULL; i++) {
		if (roots[i] == &smtp_submit_setting_parser_info)
			return sets[i];
	}
	return NULL;
}

bool helpdesk_submit_available(struct mail_user *user)
{
	return submit_settings(user) != NULL;
}

int helpdesk_submit(struct mail_user *user, struct event *event,
		    const char *rcpt, const string_t *message,
		    const char **error_r)
{
	const struct smtp_submit_settings *set = submit_settings(user);
	struct smtp_submit_input input;
	struct smtp_submit *submit;
	struct smtp_address *rcpt_addr;
	struct ostream *output;
	const char *error;
	int ret;

	if (set == NULL) {
		*error_r = t_strdup_printf("%s can't send mail (no "
			"submission_host or sendmail_path settings here)",
			user->service);
		return -1;
	}
	if (smtp_address_parse_mailbox(pool_datastack_create(), rcpt, 0,
				       &rcpt_addr, &error) < 0) {
		*error_r = t_strdup_printf("invalid recipient <%s>: %s",
					   rcpt, error);
		return 0;
	}
	i_zero(&input);
	input.event_parent = event;
	/* the null return path */
	submit = smtp_submit_init_simple(&input, set, NULL);
	smtp_submit_add_rcpt(submit, rcpt_addr);
	output = smtp_submit_send(submit);
	o_stream_nsend(output, str_data(message), str_len(message));
	ret = smtp_submit_run(submit, &error);
	if (ret <= 0) {
		*error_r = t_strdup_printf("sending to <%s> failed: %s", rcpt,
			error == NULL ? "(no reason given)" : error);
	}
	smtp_submit_deinit(&submit);
	return ret;
}
