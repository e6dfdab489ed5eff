#ifndef HELPDESK_PLUGIN_H
#define HELPDESK_PLUGIN_H

#include "module-context.h"
#include "mail-user.h"
#include "helpdesk-settings.h"
#include "helpdesk-state.h"

#define HELPDESK_USER_CONTEXT(obj) \
	MODULE_CONTEXT(obj, helpdesk_user_module)

struct helpdesk_store;
struct helpdesk_notice_vfuncs;
struct helpdesk_rewrite_set;

struct helpdesk_user {
	union mail_user_module_context module_ctx;
	struct helpdesk_settings set;
	struct event *event;
	/* where the lib-sql driver modules are */
	const char *moduledir;
	/* lmtp, lda or doveadm save: incoming mail is filed as tickets */
	bool delivery;
	bool maildir_warned;
	/* the agent's IMAP client, when imap_helpdesk is loaded
	   (helpdesk-notice.h) */
	const struct helpdesk_notice_vfuncs *notice_v;
	void *notice_context;
	/* first halves of a client's whole-set keyword rewrites, waiting for
	   the second (helpdesk-mail.c) */
	struct helpdesk_rewrite_set *rewrites;
	/* IMAP commands the session started (0: not counted, no
	   imap_helpdesk) */
	unsigned int command_count;
	/* replies from this user's \\Sent count: known after the first */
	bool sent_checked, sent_counts;
};

extern MODULE_CONTEXT_DEFINE(helpdesk_user_module,
			     &mail_user_module_register);
extern struct event_category event_category_helpdesk;

extern const char *helpdesk_plugin_version;
extern const char *helpdesk_plugin_dependencies[];

void helpdesk_plugin_init(struct module *module);
void helpdesk_plugin_deinit(void);

/* The process-wide store for this user's helpdesk_db, opened on first use.
   A store that doesn't exist yet is created only when may_create (the
   queue is empty, or reconcile rebuilds it); *created_r (may be NULL)
   tells. Returns NULL with *error_r when it is unusable. */
struct helpdesk_store *helpdesk_user_store(struct helpdesk_user *huser,
					   bool may_create,
					   bool *created_r,
					   const char **error_r);
/* The queue mailboxes (helpdesk_queue) this user can open, NULL-terminated
   (data stack): none for a user without rights on them (a customer, or
   any user when doveadm runs for all users). */
const char *const *
helpdesk_user_queues(struct mail_user *user, struct helpdesk_user *huser);

/* Report a store failure: logged once per outage, not per message. */
void helpdesk_store_failed(struct helpdesk_user *huser, const char *error);
/* Report a store success; returns TRUE when the store just came back after
   a failure (so pending messages should be reconciled now). */
bool helpdesk_store_succeeded(struct helpdesk_user *huser);

/* TRUE when this process should look for pending messages now (the store
   just came back, or it has not looked for a while). */
bool helpdesk_reconcile_due(struct helpdesk_user *huser);

/* Write the store's pending message locations within a second, unless a
   delivery's write transaction takes them along before. */
void helpdesk_store_flush_later(void);

/* helpdesk-reconcile.c: turn hd-pending messages of one queue mailbox into
   tickets. At most max_messages (0 = all) are handled. Only one process
   reconciles a queue at a time: wait lock_secs for the lock (0: give up at
   once and return 0). Returns the number reconciled, or -1 on error (with
   *error_r). *left_r is set to the number still pending. */
int helpdesk_reconcile_mailbox(struct mailbox *box, unsigned int max_messages,
			       unsigned int lock_secs, unsigned int *left_r,
			       const char **error_r);
/* Reconcile every queue mailbox the user can open (*queues_r of them;
   none for a user without helpdesk_queue or without rights on the
   queues): called by `doveadm helpdesk reconcile`. When the store is
   missing it is created and first rebuilt from the tickets the queue's
   messages name (*rebuilt_r messages adopted). Returns 0 or -1. */
int helpdesk_reconcile_user(struct mail_user *user, unsigned int *queues_r,
			    unsigned int *rebuilt_r, unsigned int *done_r,
			    unsigned int *left_r, const char **error_r);

/* helpdesk-storage.c: give every message of the ticket in the queues the
   user can open (*queues_r of them; none without helpdesk_queue) the
   store's state (`doveadm helpdesk ticket assign`). */
int helpdesk_ticket_sync_user(struct mail_user *user, uint64_t ticket,
			      unsigned int *queues_r, const char **error_r);

/* helpdesk-sweep.c: the SLA sweep for the queues the user can open
   (*queues_r of them): refresh the tickets whose next SLA moment is due
   by now (*due_r) and give the messages of those whose tag changed
   (*changed_r) their keywords. -1 with *error_r, also when the user's SLA
   clocks are off. */
int helpdesk_sla_sweep_user(struct mail_user *user, time_t now,
			    unsigned int *queues_r, unsigned int *due_r,
			    unsigned int *changed_r, const char **error_r);

#endif
