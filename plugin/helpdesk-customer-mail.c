/* Copyright (c) 2026 dovecot-helpdesk authors, see the included COPYING file */

/* Sending the help desk's own mail to customers. */

#include "lib.h"
#include "str.h"
#include "guid.h"
#include "hex-binary.h"
#include "ioloop.h"
#include "mail-storage.h"
#include "mail-user.h"
#include "helpdesk-plugin.h"
#include "helpdesk-store.h"
#include "helpdesk-autoreply.h"
#include "helpdesk-submit.h"
#include "helpdesk-customer-mail.h"

const char *
helpdesk_customer_address_detail(const struct helpdesk_customer_settings *set,
				 const char *mailbox, const char *domain)
{
	size_t user_len;

	if (set->support_address == NULL || mailbox == NULL ||
	    domain == NULL || strcasecmp(domain, set->support_domain) != 0)
		return NULL;
	user_len = strlen(set->support_user);
	if (strncasecmp(mailbox, set->support_user, user_len) != 0)
		return NULL;
	if (mailbox[user_len] == '\0')
		return "";
	return mailbox[user_len] == set->delimiter ?
		mailbox + user_len + 1 : NULL;
}

bool helpdesk_customer_address_is_ours(
	const struct helpdesk_customer_settings *set, const char *address)
{
	const char *at = strrchr(address, '@');

	return at != NULL &&
		helpdesk_customer_address_detail(set,
			t_strdup_until(address, at), at + 1) != NULL;
}

int helpdesk_customer_may_write(struct helpdesk_user *huser,
				struct helpdesk_store *store,
				const char *address, const char **why_r,
				const char **error_r)
{
	const char *agent;

	*why_r = NULL;
	if (!helpdesk_autoreply_address_is_valid(address)) {
		*why_r = "not a usable address";
		return 0;
	}
	if (helpdesk_customer_address_is_ours(&huser->set.customer,
					      address)) {
		*why_r = "the help desk's own address";
		return 0;
	}
	if (helpdesk_store_agent_by_address(store, address, &agent,
					    error_r) < 0)
		return -1;
	if (agent != NULL) {
		*why_r = t_strdup_printf("the address of agent %s", agent);
		return 0;
	}
	return 1;
}

void helpdesk_customer_mail_send(struct helpdesk_user *huser,
				 struct mail_user *user,
				 const struct helpdesk_customer_mail *mail)
{
	const struct helpdesk_customer_settings *set = &huser->set.customer;
	struct helpdesk_autoreply reply;
	struct event_passthrough *e;
	guid_128_t guid;
	string_t *msg;
	const char *error;
	int ret;

	guid_128_generate(guid);
	i_zero(&reply);
	reply.from = set->support_address;
	reply.to = mail->to;
	reply.subject = mail->subject;
	reply.body = mail->body;
	reply.in_reply_to_id = mail->in_reply_to_id;
	reply.references = mail->references;
	reply.date = ioloop_time;
	reply.message_id = t_strdup_printf("<helpdesk.%llu.%s@%s>",
		(unsigned long long)mail->ticket,
		binary_to_hex(guid, sizeof(guid)), set->support_domain);
	msg = t_str_new(2048);
	helpdesk_autoreply_write(msg, &reply);

	ret = helpdesk_submit(user, huser->event, mail->to, msg, &error);
	e = event_create_passthrough(huser->event)->
		add_str("what", mail->what)->
		add_int("ticket", (intmax_t)mail->ticket)->
		add_str("to", mail->to);
	if (ret > 0) {
		e->set_name("helpdesk_customer_mail_sent");
		e_info(e->event(), "ticket %llu: %s sent to <%s>",
		       (unsigned long long)mail->ticket, mail->what, mail->to);
	} else {
		e->set_name("helpdesk_customer_mail_failed");
		e->add_str("error", error);
		e_error(e->event(), "ticket %llu: %s to <%s> not sent: %s",
			(unsigned long long)mail->ticket, mail->what, mail->to,
			error);
	}
}
