#ifndef HELPDESK_STORAGE_PRIVATE_H
#define HELPDESK_STORAGE_PRIVATE_H

/* Shared by the storage rooms (helpdesk-storage.c, -save.c, -mail.c,
   -actions.c, -ticket-sync.c, -sent.c, -append.c, -view-storage.c and
   reconcile): the mailbox and transaction contexts. */

#include "module-context.h"
#include "mail-storage-private.h"
#include "helpdesk-store.h"
#include "helpdesk-request.h"

#define HELPDESK_CONTEXT(obj) \
	MODULE_CONTEXT(obj, helpdesk_storage_module)
#define HELPDESK_CONTEXT_REQUIRE(obj) \
	MODULE_CONTEXT_REQUIRE(obj, helpdesk_storage_module)

enum helpdesk_box_kind {
	HELPDESK_BOX_NONE = 0,
	/* a ticket queue (helpdesk_queue) */
	HELPDESK_BOX_QUEUE,
	/* helpdesk_resolved_mailbox: a move from a queue resolves */
	HELPDESK_BOX_RESOLVED,
	/* an agent's \\Sent mailbox: replies to tickets are counted */
	HELPDESK_BOX_SENT,
	/* an agent's view (its own context, helpdesk-view-storage.c) */
	HELPDESK_BOX_VIEW,
};

struct helpdesk_mailbox {
	union mailbox_module_context module_ctx;
	enum helpdesk_box_kind kind;
	/* the same queue, opened once per session for the work after a
	   commit (the committing mailbox can't be synced inside it) */
	struct mailbox *shadow;
};

extern MODULE_CONTEXT_DEFINE(helpdesk_storage_module,
			     &mail_storage_module_register);

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
	/* tickets the actions resolved (their customers get a rating
	   request after the commit) */
	ARRAY_TYPE(uint64_t) resolved;
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

/* The helpdesk state of a transaction on a queue or the resolved mailbox,
   or NULL. */
struct helpdesk_transaction *
helpdesk_transaction_get(struct mailbox_transaction_context *t);

/* The queue's shadow: the same mailbox, opened once per session for the
   work after a commit (the committing mailbox can't be synced inside
   it). */
struct mailbox *helpdesk_shadow_box(struct mailbox *box);

#endif
