#ifndef HELPDESK_CUSTOMER_SETTINGS_H
#define HELPDESK_CUSTOMER_SETTINGS_H

#include "helpdesk-template.h"

/* The settings of the mail the help desk sends customers: the
   acknowledgement (helpdesk_ack*) and the rating request
   (helpdesk_csat*), with helpdesk_support_address. A bad one turns its
   feature off with *_error saying why; mail flows on. */

#define HELPDESK_ACK_DEFAULT_LIMIT 3
#define HELPDESK_ACK_DEFAULT_WINDOW_SECS (10 * 60)

/* The variables of the templates (helpdesk-template.h), in this order
   for helpdesk_template_expand()'s values. */
enum helpdesk_ack_var {
	HELPDESK_ACK_VAR_TICKET,
	HELPDESK_ACK_VAR_SUBJECT,
	HELPDESK_ACK_VAR_FIRST_RESPONSE,
	HELPDESK_ACK_VAR_SUPPORT,

	HELPDESK_ACK_VAR_COUNT
};
extern const char *const helpdesk_ack_variables[HELPDESK_ACK_VAR_COUNT + 1];

enum helpdesk_csat_var {
	HELPDESK_CSAT_VAR_TICKET,
	HELPDESK_CSAT_VAR_SUBJECT,
	HELPDESK_CSAT_VAR_SUPPORT,
	HELPDESK_CSAT_VAR_LINKS,
	HELPDESK_CSAT_VAR_RATING_1,
	/* ... up to rating_5 */
	HELPDESK_CSAT_VAR_COUNT = HELPDESK_CSAT_VAR_RATING_1 + 5
};
extern const char *const helpdesk_csat_variables[HELPDESK_CSAT_VAR_COUNT + 1];

struct helpdesk_customer_settings {
	/* helpdesk_support_address: the sender of the mail to customers
	   and, split at the delimiter, the base of the rating addresses */
	const char *support_address, *support_user, *support_domain;
	/* helpdesk_recipient_delimiter (default '+') */
	char delimiter;

	/* helpdesk_ack, helpdesk_ack_template (a file), helpdesk_ack_limit
	   ("3/10m": at most 3 per sender in 10 minutes) */
	bool ack;
	struct helpdesk_template ack_template;
	unsigned int ack_limit, ack_window_secs;
	const char *ack_error;

	/* helpdesk_csat, helpdesk_csat_secret, helpdesk_csat_template;
	   csat_secret also verifies the ratings that arrive */
	bool csat;
	const char *csat_secret;
	struct helpdesk_template csat_template;
	const char *csat_error;
};

/* Fill *set_r (from pool). Never fails: a bad setting turns off what
   needs it and says why in ack_error/csat_error. */
void helpdesk_customer_settings_parse(
	pool_t pool, const char *(*getenv)(const char *name, void *context),
	void *context, struct helpdesk_customer_settings *set_r);

#endif
