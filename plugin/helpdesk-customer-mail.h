#ifndef HELPDESK_CUSTOMER_MAIL_H
#define HELPDESK_CUSTOMER_MAIL_H

/* The mail the help desk sends customers by itself (helpdesk-ack.c,
   helpdesk-csat.c): who may get it, and the sending with its log line
   and event (helpdesk_customer_mail_sent / _failed). */

struct helpdesk_user;
struct helpdesk_store;
struct helpdesk_customer_settings;
struct mail_user;

/* The detail of an address of the help desk itself (mailbox@domain, the
   support address with or without a detail): "" for the plain support
   address, "anything" for support+anything@domain, NULL for an address
   that is not the help desk's. */
const char *
helpdesk_customer_address_detail(const struct helpdesk_customer_settings *set,
				 const char *mailbox, const char *domain);

/* An address of the help desk itself: the support address with or
   without a detail (support+anything@domain). */
bool helpdesk_customer_address_is_ours(
	const struct helpdesk_customer_settings *set, const char *address);

/* May the help desk write to address by itself? FALSE (with *why_r) for
   its own addresses and for agents. -1 with *error_r: the store failed. */
int helpdesk_customer_may_write(struct helpdesk_user *huser,
				struct helpdesk_store *store,
				const char *address, const char **why_r,
				const char **error_r);

struct helpdesk_customer_mail {
	/* "acknowledgement", "rating request": for the log */
	const char *what;
	uint64_t ticket;
	const char *to, *subject, *body;
	/* the customer's message it answers (may be NULL) */
	const char *in_reply_to_id, *references;
};

/* Compose and send. Failures are logged, never returned: the caller's
   work (a delivery, an agent's action) goes on. */
void helpdesk_customer_mail_send(struct helpdesk_user *huser,
				 struct mail_user *user,
				 const struct helpdesk_customer_mail *mail);

#endif
