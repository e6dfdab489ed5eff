/* Copyright (c) 2026 dovecot-helpdesk authors, see the included COPYING file */

/* The acknowledgement of a new ticket. */

#include "lib.h"
#include "str.h"
#include "ioloop.h"
#include "mail-storage.h"
#include "mail-user.h"
#include "helpdesk-plugin.h"
#include "helpdesk-intake.h"
#include "helpdesk-store.h"
#include "helpdesk-calendar.h"
#include "helpdesk-tag.h"
#include "helpdesk-customer-mail.h"
#include "helpdesk-submit.h"
#include "helpdesk-ack.h"

/* "4 hours", "30 minutes", "2 days" (the largest unit that fits
   exactly). */
static const char *ack_duration(int64_t secs)
{
	static const struct {
		int64_t secs;
		const char *one, *many;
	} units[] = {
		{ 86400, "day", "days" },
		{ 3600, "hour", "hours" },
		{ 60, "minute", "minutes" },
		{ 1, "second", "seconds" },
	};
	unsigned int i;

	for (i = 0; i < N_ELEMENTS(units); i++) {
		if (secs >= units[i].secs && secs % units[i].secs == 0)
			break;
	}
	if (i == N_ELEMENTS(units))
		i = N_ELEMENTS(units) - 1;
	secs /= units[i].secs;
	return t_strdup_printf("%lld %s", (long long)secs,
			       secs == 1 ? units[i].one : units[i].many);
}

/* The first-response target in words, for ${first_response}. */
static const char *ack_first_response(struct helpdesk_store *store,
				      const struct helpdesk_ack_request *req)
{
	struct helpdesk_sla_terms terms;
	int64_t target;

	if (!helpdesk_store_sla_terms(store, req->team, req->priority,
				      req->vip, &terms))
		return "as soon as we can";
	target = terms.target[HELPDESK_SLA_FIRST_RESPONSE];
	if (target <= 0)
		return "as soon as we can";
	return t_strdup_printf("within %s%s", ack_duration(target),
		terms.calendar == NULL ||
		helpdesk_calendar_is_always(terms.calendar) ? "" :
		" of our business hours");
}

static void ack_send(struct helpdesk_user *huser, struct mail_user *user,
		     struct helpdesk_store *store,
		     const struct helpdesk_intake *intake)
{
	const struct helpdesk_customer_settings *set = &huser->set.customer;
	const struct helpdesk_ack_request *req = intake->ack;
	const char *values[HELPDESK_ACK_VAR_COUNT + 1];
	struct helpdesk_customer_mail mail;
	const char *why, *error, *subject;
	bool allowed;
	int ret;

	if ((ret = helpdesk_customer_may_write(huser, store, req->to, &why,
					       &error)) < 0) {
		e_error(huser->event, "ticket %llu: no acknowledgement: %s",
			(unsigned long long)intake->ticket, error);
		return;
	}
	if (ret == 0) {
		e_debug(huser->event, "ticket %llu: no acknowledgement to "
			"<%s>: %s", (unsigned long long)intake->ticket,
			req->to, why);
		return;
	}
	if (helpdesk_store_ack_allow(store, req->to, ioloop_time,
				     set->ack_window_secs, set->ack_limit,
				     &allowed, &error) < 0) {
		e_error(huser->event, "ticket %llu: no acknowledgement: %s",
			(unsigned long long)intake->ticket, error);
		return;
	}
	if (!allowed) {
		/* also what ends a loop with another auto-responder that
		   gets past the checks for automatic mail */
		e_info(huser->event, "ticket %llu: no acknowledgement to "
		       "<%s>: %u were sent to it in the last %u seconds "
		       "(helpdesk_ack_limit)",
		       (unsigned long long)intake->ticket, req->to,
		       set->ack_limit, set->ack_window_secs);
		return;
	}

	subject = req->subject == NULL || *req->subject == '\0' ?
		"(no subject)" : req->subject;
	values[HELPDESK_ACK_VAR_TICKET] = dec2str(intake->ticket);
	values[HELPDESK_ACK_VAR_SUBJECT] = subject;
	values[HELPDESK_ACK_VAR_FIRST_RESPONSE] =
		ack_first_response(store, req);
	values[HELPDESK_ACK_VAR_SUPPORT] = set->support_address;
	values[HELPDESK_ACK_VAR_COUNT] = NULL;

	i_zero(&mail);
	mail.what = "acknowledgement";
	mail.ticket = intake->ticket;
	mail.to = req->to;
	mail.subject = set->ack_template.subject != NULL ?
		helpdesk_template_expand(set->ack_template.subject,
					 helpdesk_ack_variables, values) :
		t_strdup_printf("%s Re: %s",
				helpdesk_tag_format(intake->ticket), subject);
	mail.body = helpdesk_template_expand(set->ack_template.body,
					     helpdesk_ack_variables, values);
	mail.in_reply_to_id = req->message_id;
	mail.references = req->references;
	helpdesk_customer_mail_send(huser, user, &mail);
}

void helpdesk_ack_committed(struct helpdesk_user *huser,
			    struct mail_user *user,
			    const struct helpdesk_intake *intake)
{
	struct helpdesk_store *store;
	const char *error;

	if (!huser->set.customer.ack || intake->ack == NULL ||
	    intake->pending || intake->ticket == 0 ||
	    intake->action != HELPDESK_THREAD_NEW)
		return;
	if (!helpdesk_submit_available(user)) {
		/* doveadm reconcile opened it: no way to send from here */
		e_info(huser->event, "ticket %llu: no acknowledgement: %s "
		       "can't send mail", (unsigned long long)intake->ticket,
		       user->service);
		return;
	}
	T_BEGIN {
		store = helpdesk_user_store(huser, FALSE, NULL, &error);
		if (store == NULL) {
			e_error(huser->event, "ticket %llu: no "
				"acknowledgement: %s",
				(unsigned long long)intake->ticket, error);
		} else {
			ack_send(huser, user, store, intake);
		}
	} T_END;
}
