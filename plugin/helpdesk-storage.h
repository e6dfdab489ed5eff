#ifndef HELPDESK_STORAGE_H
#define HELPDESK_STORAGE_H

#include "helpdesk-store.h"

#define HELPDESK_TICKET_HEADER "X-Helpdesk-Ticket"

struct helpdesk_intake;
struct helpdesk_user;
ARRAY_DEFINE_TYPE(helpdesk_intake_p, struct helpdesk_intake *);

/* An agent's keyword change on a queue message, carried out after the
   commit. */
struct helpdesk_kw_action {
	uint32_t uid;
	uint64_t ticket;
	/* a claim (hd-claim or one's own owner keyword); else kind */
	bool claim;
	enum helpdesk_action_kind kind;
	const char *arg;
};
ARRAY_DEFINE_TYPE(helpdesk_kw_action, struct helpdesk_kw_action);

/* A ticket's message moved back into a queue: where it is now goes into
   the store after the commit. */
struct helpdesk_moved_back {
	const char *key;
	unsigned int save_idx;
};
ARRAY_DEFINE_TYPE(helpdesk_moved_back, struct helpdesk_moved_back);

/* Per mailbox transaction state of a queue mailbox. */
struct helpdesk_transaction {
	union mailbox_transaction_module_context module_ctx;
	pool_t pool;
	/* the decision for the save in progress (delivery or reconcile) */
	struct helpdesk_intake *cur;
	/* decisions of the finished saves, in save order */
	ARRAY_TYPE(helpdesk_intake_p) intakes;
	/* saves finished in this transaction (all of them, ours or not) */
	unsigned int save_count;
	/* agents' actions asked for by keyword changes (or moves) */
	ARRAY_TYPE(helpdesk_kw_action) actions;
	/* messages moved back from the resolved mailbox */
	ARRAY_TYPE(helpdesk_moved_back) moved_back;
	/* the keyword prefix (while checking keyword changes) */
	const char *prefix;
	/* a keyword change this user may not make: the whole STORE is
	   refused at commit with NO and this reason; refused_error is its
	   kind (0: MAIL_ERROR_PERM, NO [NOPERM]) */
	const char *refused;
	enum mail_error refused_error;
	bool in_copy:1;
	/* the plugin's own keyword changes: not checked, not claims */
	bool internal:1;
	/* this transaction is reconcile's own: no nested reconcile */
	bool reconciling:1;
};

/* The helpdesk state of a transaction on a queue mailbox, or NULL. */
struct helpdesk_transaction *
helpdesk_transaction_get(struct mailbox_transaction_context *t);

/* Wrap a message stream so it carries the ticket's header and subject tag
   and no forged X-Helpdesk-Ticket header. Returns a new reference. */
struct istream *
helpdesk_rewrite_stream(struct istream *input,
			const struct helpdesk_intake *intake);

/* Give every message of the ticket in box (found through the store and by
   header), and the extra_uids (may be NULL), the keywords of the ticket's
   state in the store, removing stale state keywords. Returns 0, or -1
   with *error_r. */
int helpdesk_ticket_sync_keywords(struct mailbox *box,
				  struct helpdesk_user *huser,
				  uint64_t ticket,
				  const ARRAY_TYPE(uint32_t) *extra_uids,
				  const char **error_r);

/* mail_allocated hook: watches keyword changes in queue mailboxes. */
void helpdesk_mail_allocated(struct mail *mail);

/* TRUE when this process should look for pending messages now (the store
   just came back, or it has not looked for a while). */
bool helpdesk_reconcile_due(struct helpdesk_user *huser);

#endif
