/* Copyright (c) 2026 dovecot-helpdesk authors, see the included COPYING file */

/* Rating requests and the ratings that come back. */

#include "lib.h"

#include <ctype.h>
#include "str.h"
#include "str-sanitize.h"
#include "ioloop.h"
#include "message-address.h"
#include "mail-storage.h"
#include "mail-user.h"
#include "helpdesk-plugin.h"
#include "helpdesk-store.h"
#include "helpdesk-tag.h"
#include "helpdesk-csat-token.h"
#include "helpdesk-customer-mail.h"
#include "helpdesk-csat.h"

/* most addresses of To: and Cc: looked at */
#define CSAT_MAX_ADDRESSES 20

static const char *const csat_score_names[HELPDESK_CSAT_MAX_SCORE + 1] = {
	"", "very dissatisfied", "dissatisfied", "neutral", "satisfied",
	"very satisfied"
};

static const char *
csat_find_in(const struct helpdesk_customer_settings *set, const char *value)
{
	const struct message_address *addr;
	const char *detail;

	if (value == NULL)
		return NULL;
	addr = message_address_parse(pool_datastack_create(),
				     (const unsigned char *)value,
				     strlen(value), CSAT_MAX_ADDRESSES, 0);
	for (; addr != NULL; addr = addr->next) {
		detail = helpdesk_customer_address_detail(set, addr->mailbox,
							  addr->domain);
		if (detail != NULL &&
		    strncasecmp(detail, HELPDESK_CSAT_DETAIL_PREFIX,
				strlen(HELPDESK_CSAT_DETAIL_PREFIX)) == 0)
			return detail;
	}
	return NULL;
}

const char *helpdesk_csat_find(struct helpdesk_user *huser, const char *to,
			       const char *cc)
{
	const struct helpdesk_customer_settings *set = &huser->set.customer;
	const char *detail;

	/* without a secret a rating can't be checked, but it is still no
	   ticket (helpdesk_csat_receive() says so) */
	if (set->support_address == NULL)
		return NULL;
	detail = csat_find_in(set, to);
	return detail != NULL ? detail : csat_find_in(set, cc);
}

int helpdesk_csat_receive(struct helpdesk_user *huser,
			  struct helpdesk_store *store, const char *detail,
			  const char *key, const char **error_r)
{
	struct helpdesk_csat_rating rating;
	enum helpdesk_csat_result result;
	struct event_passthrough *e;
	const char *error = NULL;

	if (huser->set.customer.csat_secret == NULL) {
		error = "helpdesk_csat_secret is not set, ratings can't be "
			"checked";
	} else if (helpdesk_csat_detail_parse(huser->set.customer.csat_secret,
					      detail, &rating, &error) > 0) {
		error = NULL;
	} else if (error == NULL) {
		error = "malformed rating address";
	}
	if (error != NULL) {
		e = event_create_passthrough(huser->event)->
			set_name("helpdesk_rating_refused")->
			add_str("reason", error);
		e_warning(e->event(), "rating %s ignored: %s",
			  str_sanitize(detail, 80), error);
		return 0;
	}
	if (helpdesk_store_csat_record(store, rating.ticket,
				       rating.resolution, rating.score, key,
				       ioloop_time, &result, error_r) < 0)
		return -1;
	e = event_create_passthrough(huser->event)->
		add_int("ticket", (intmax_t)rating.ticket)->
		add_int("score", rating.score)->
		add_str("result", helpdesk_csat_result_name(result));
	switch (result) {
	case HELPDESK_CSAT_RECORDED:
	case HELPDESK_CSAT_REPLACED:
		e->set_name("helpdesk_rated");
		e_info(e->event(), "ticket %llu rated %u (%s)",
		       (unsigned long long)rating.ticket, rating.score,
		       helpdesk_csat_result_name(result));
		break;
	case HELPDESK_CSAT_DUPLICATE:
		e->set_name("helpdesk_rating_refused");
		e_debug(e->event(), "ticket %llu: rating %s",
			(unsigned long long)rating.ticket,
			helpdesk_csat_result_name(result));
		break;
	case HELPDESK_CSAT_STALE:
	case HELPDESK_CSAT_UNKNOWN:
		e->set_name("helpdesk_rating_refused");
		e_warning(e->event(), "ticket %llu: rating ignored (replayed): "
			  "%s", (unsigned long long)rating.ticket,
			  helpdesk_csat_result_name(result));
		break;
	}
	return 0;
}

/* mailto: links need the subject percent-encoded */
static const char *csat_url_encode(const char *text)
{
	string_t *str = t_str_new(strlen(text) * 3);
	const unsigned char *p;

	for (p = (const unsigned char *)text; *p != '\0'; p++) {
		if (i_isalnum(*p) || strchr("-._~", *p) != NULL)
			str_append_c(str, *p);
		else
			str_printfa(str, "%%%02X", *p);
	}
	return str_c(str);
}

static void csat_send(struct helpdesk_user *huser, struct mail_user *user,
		      struct helpdesk_store *store, uint64_t ticket)
{
	const struct helpdesk_customer_settings *set = &huser->set.customer;
	const char *values[HELPDESK_CSAT_VAR_COUNT + 1];
	struct helpdesk_customer_mail mail;
	struct helpdesk_csat_rating rating;
	struct helpdesk_ticket_row row;
	const char *why, *error, *subject;
	uint64_t resolution;
	string_t *links;
	bool found, first;
	int ret;

	if (helpdesk_store_get_ticket(store, ticket, pool_datastack_create(),
				      &row, &found, &error) < 0)
		goto failed;
	if (!found || row.requester == NULL || *row.requester == '\0')
		return;
	if ((ret = helpdesk_customer_may_write(huser, store, row.requester,
					       &why, &error)) < 0)
		goto failed;
	if (ret == 0) {
		e_debug(huser->event, "ticket %llu: no rating request to "
			"<%s>: %s", (unsigned long long)ticket, row.requester,
			why);
		return;
	}
	if (helpdesk_store_csat_request(store, ticket, ioloop_time,
					&resolution, &first, &error) < 0)
		goto failed;
	if (!first)
		return;

	subject = row.subject == NULL || *row.subject == '\0' ?
		"(no subject)" : row.subject;
	links = t_str_new(1024);
	i_zero(&rating);
	rating.ticket = ticket;
	rating.resolution = resolution;
	for (rating.score = HELPDESK_CSAT_MAX_SCORE;
	     rating.score >= HELPDESK_CSAT_MIN_SCORE; rating.score--) {
		const char *link = t_strdup_printf(
			"mailto:%s%c%s@%s?subject=%s", set->support_user,
			set->delimiter,
			helpdesk_csat_detail(set->csat_secret, &rating),
			set->support_domain,
			csat_url_encode(t_strdup_printf(
				"Rating %u (%s) for ticket %llu", rating.score,
				csat_score_names[rating.score],
				(unsigned long long)ticket)));

		values[HELPDESK_CSAT_VAR_RATING_1 + rating.score - 1] = link;
		str_printfa(links, "%u - %s:\n  %s\n", rating.score,
			    csat_score_names[rating.score], link);
	}
	values[HELPDESK_CSAT_VAR_TICKET] = dec2str(ticket);
	values[HELPDESK_CSAT_VAR_SUBJECT] = subject;
	values[HELPDESK_CSAT_VAR_SUPPORT] = set->support_address;
	values[HELPDESK_CSAT_VAR_LINKS] = str_c(links);
	values[HELPDESK_CSAT_VAR_COUNT] = NULL;

	i_zero(&mail);
	mail.what = "rating request";
	mail.ticket = ticket;
	mail.to = row.requester;
	mail.subject = set->csat_template.subject != NULL ?
		helpdesk_template_expand(set->csat_template.subject,
					 helpdesk_csat_variables, values) :
		t_strdup_printf("%s How did we do? %s",
				helpdesk_tag_format(ticket), subject);
	mail.body = helpdesk_template_expand(set->csat_template.body,
					     helpdesk_csat_variables, values);
	helpdesk_customer_mail_send(huser, user, &mail);
	return;
failed:
	e_error(huser->event, "ticket %llu: no rating request: %s",
		(unsigned long long)ticket, error);
}

void helpdesk_csat_resolved(struct helpdesk_user *huser,
			    struct mail_user *user, uint64_t ticket)
{
	struct helpdesk_store *store;
	const char *error;

	if (!huser->set.customer.csat)
		return;
	T_BEGIN {
		store = helpdesk_user_store(huser, FALSE, NULL, &error);
		if (store == NULL) {
			e_error(huser->event, "ticket %llu: no rating "
				"request: %s", (unsigned long long)ticket,
				error);
		} else {
			csat_send(huser, user, store, ticket);
		}
	} T_END;
}
