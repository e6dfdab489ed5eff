#ifndef HELPDESK_STORAGE_H
#define HELPDESK_STORAGE_H

#include "helpdesk-store.h"
#include "helpdesk-request.h"

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

/* One message's change of helpdesk keywords in an agent's STORE, judged
   at the commit (helpdesk-actions.c). */
struct helpdesk_mail_change {
	/* 0: the message names no ticket */
	uint64_t ticket;
	struct helpdesk_change change;
};
ARRAY_DEFINE_TYPE(helpdesk_mail_change, struct helpdesk_mail_change);

struct helpdesk_rewrite_set;
struct helpdesk_ticket_update;

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
	/* agents' keyword changes (helpdesk-mail.c), judged at the commit */
	ARRAY_TYPE(helpdesk_mail_change) changes;
	/* the first halves of whole-set rewrites seen in this transaction:
	   the session's pending set after the commit */
	struct helpdesk_rewrite_set *rewrites;
	/* agents' actions: judged keyword changes and moves */
	ARRAY_TYPE(helpdesk_kw_action) actions;
	/* what the agent is told (helpdesk-notice.h) after the commit: the
	   texts, and messages whose flags it gets besides those changed */
	ARRAY_TYPE(const_string) alerts;
	ARRAY_TYPE(uint32_t) notice_uids;
	/* saves (by index) of a client's own messages (helpdesk-append.h) */
	ARRAY_TYPE(uint32_t) client_saves;
	/* messages moved back from the resolved mailbox */
	ARRAY_TYPE(helpdesk_moved_back) moved_back;
	/* a keyword change this user may not make: the whole STORE is
	   refused at commit with NO and this reason; refused_error is its
	   kind (MAIL_ERROR_PERM: NO [NOPERM], MAIL_ERROR_NOTPOSSIBLE: NO
	   [CANNOT], MAIL_ERROR_UNAVAILABLE) */
	const char *refused;
	enum mail_error refused_error;
	/* ticket updates of the actions (helpdesk-actions.c) */
	ARRAY(struct helpdesk_ticket_update) updates;
	bool in_copy:1;
	/* an agent's keyword change was seen (maybe only half a rewrite) */
	bool keyword_changes:1;
	/* the changes were judged (helpdesk_actions_judge()) */
	bool judged:1;
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
   state in the store, removing stale state keywords; *written_r (may be
   NULL) is that state. Returns 0, or -1 with *error_r. */
int helpdesk_ticket_sync_keywords(struct mailbox *box,
				  struct helpdesk_user *huser,
				  uint64_t ticket,
				  const ARRAY_TYPE(uint32_t) *extra_uids,
				  const char *const **written_r,
				  const char **error_r);

/* The ticket's row and the UIDs the store knows for its messages in box,
   and how many of its messages have no known location (*unknown_r). */
int helpdesk_ticket_uids_known(struct mailbox *box,
			       struct helpdesk_store *store, uint64_t ticket,
			       struct helpdesk_ticket_row *row_r,
			       ARRAY_TYPE(uint32_t) *uids,
			       unsigned int *unknown_r, const char **error_r);

/* The state keywords of row (the returned ones to add), and the other
   state keywords this mailbox knows (*remove_r). */
const char *const *
helpdesk_ticket_state_changes(struct mailbox *box, const char *prefix,
			      const struct helpdesk_ticket_row *row,
			      const char *const **remove_r);

/* Add and remove keywords (either list may be NULL) on the given UIDs in
   transaction t; the caller marks t's helpdesk state internal (not
   checked, not taken for agents' actions). UIDs not in t's view are
   skipped. */
void helpdesk_uids_update_keywords_t(struct mailbox_transaction_context *t,
				     const ARRAY_TYPE(uint32_t) *uids,
				     const char *const *add,
				     const char *const *remove);
/* Append uid unless it is there already (or 0). */
void helpdesk_uids_add_unique(ARRAY_TYPE(uint32_t) *uids, uint32_t uid);
/* Append ticket unless it is there already (or 0). */
void helpdesk_tickets_add_unique(ARRAY_TYPE(uint64_t) *tickets,
				 uint64_t ticket);

/* The queue's shadow: the same mailbox, opened once per session for the
   work after a commit (the committing mailbox can't be synced inside
   it). */
struct mailbox *helpdesk_shadow_box(struct mailbox *box);

/* mail_allocated hook: the keyword protocol on queue messages
   (helpdesk-mail.c) and on the agents' views' messages. */
void helpdesk_mail_allocated(struct mail *mail);

/* TRUE when this process should look for pending messages now (the store
   just came back, or it has not looked for a while). */
bool helpdesk_reconcile_due(struct helpdesk_user *huser);

#endif
