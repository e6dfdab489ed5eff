#ifndef HELPDESK_CSAT_H
#define HELPDESK_CSAT_H

/* Satisfaction ratings (helpdesk_csat): when a ticket is resolved its
   customer gets five signed mailto: links (helpdesk-csat-token.h), one
   per score; the mail a link makes is recorded as the resolution's
   rating when it arrives and never becomes a ticket. */

struct helpdesk_user;
struct helpdesk_store;
struct mail_user;

/* The rating address among the To: and Cc: headers' addresses (raw
   header values, may be NULL): its detail (data stack), or NULL when
   the message is no rating (or there is no helpdesk_support_address). */
const char *helpdesk_csat_find(struct helpdesk_user *huser, const char *to,
			       const char *cc);

/* A rating message arrived (key: its store key): check the signature and
   record it. Bad and replayed ones are logged and change nothing.
   Returns -1 with *error_r only when the store failed (then the message
   waits as pending and is looked at again by reconcile). */
int helpdesk_csat_receive(struct helpdesk_user *huser,
			  struct helpdesk_store *store, const char *detail,
			  const char *key, const char **error_r);

/* After an agent resolved ticket: ask its customer for a rating, once per
   resolution. Failures are logged. */
void helpdesk_csat_resolved(struct helpdesk_user *huser,
			    struct mail_user *user, uint64_t ticket);

#endif
