#ifndef HELPDESK_MAIL_H
#define HELPDESK_MAIL_H

/* The keyword protocol on a queue's messages: an agent's change of
   helpdesk keywords is never written as such; it is recorded as a
   request (struct helpdesk_mail_change) and judged at the commit against
   the ticket as the store has it (helpdesk-actions.c). Foreign keywords
   ($Label1, Important, a client's own Old) pass through untouched. */

struct helpdesk_user;
struct helpdesk_transaction;

/* The ticket number a queue message carries (X-Helpdesk-Ticket), 0 if
   none. */
uint64_t helpdesk_mail_ticket(struct mail *mail);

/* mail_allocated hook for the messages of queue mailboxes. */
void helpdesk_mail_queue_allocated(struct mail *mail);

/* After a commit of a transaction with keyword changes: the first halves
   of whole-set rewrites it saw become the session's pending ones (any
   older ones are dropped: the second half follows at once or never). */
void helpdesk_mail_rewrites_commit(struct helpdesk_user *huser,
				   struct helpdesk_transaction *ht);
/* Drop a transaction's (refused, rolled back) or the session's. */
void helpdesk_mail_rewrites_free(struct helpdesk_rewrite_set **set);

#endif
