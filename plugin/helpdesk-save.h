#ifndef HELPDESK_SAVE_H
#define HELPDESK_SAVE_H

/* The save path of queues and the resolved mailbox (helpdesk-save.c). */

struct helpdesk_user;
struct helpdesk_intake;
struct helpdesk_transaction;

/* mailbox vfuncs of a queue: copy (deliveries arrive as a copy from the
   raw mail), save_begin (the rewritten stream), save_finish. */
int helpdesk_save_copy(struct mail_save_context *ctx, struct mail *mail);
int helpdesk_save_begin(struct mail_save_context *ctx, struct istream *input);
int helpdesk_save_finish(struct mail_save_context *ctx);
/* copy of the resolved mailbox: a move from a queue resolves. */
int helpdesk_save_resolved_copy(struct mail_save_context *ctx,
				struct mail *mail);

/* After a queue's commit: locations into the store, the tickets' other
   messages follow, client saves adopted, pending mail reconciled now and
   then. */
void helpdesk_save_committed(struct mailbox *box, struct helpdesk_user *huser,
			     struct helpdesk_transaction *ht,
			     const struct mail_transaction_commit_changes *changes);

/* reconcile: a transaction of its own on a queue, and the save of a
   pending message as the ticket message intake decided (the stream
   rewritten, with keywords). Returns 0, or -1 with *error_r. */
struct mailbox_transaction_context *
helpdesk_save_reconcile_begin(struct mailbox *box);
int helpdesk_save_reconciled(struct mailbox_transaction_context *t,
			     struct mail *mail,
			     struct helpdesk_intake *intake,
			     struct mail_keywords *keywords,
			     const char **error_r);

#endif
