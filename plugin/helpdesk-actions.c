/* Copyright (c) 2026 dovecot-helpdesk authors, see the included COPYING file */

#include "lib.h"
#include "array.h"
#include "str.h"
#include "ioloop.h"
#include "mail-storage-private.h"
#include "mail-index-transaction-private.h"
#include "helpdesk-plugin.h"
#include "helpdesk-store.h"
#include "helpdesk-storage-private.h"
#include "helpdesk-ticket-sync.h"
#include "helpdesk-notice.h"
#include "helpdesk-actions.h"
#include "helpdesk-csat.h"
#include "helpdesk-game-user.h"

/* An agent's action may wait this long for other writers of the store */
#define HELPDESK_AGENT_BUSY_MSECS 10000
/* A ticket's messages are written again at most this often after the
   commit when other agents keep changing it meanwhile */
#define HELPDESK_STATE_RECHECKS 3
/* At most this many alert texts go into one [ALERT] line */
#define HELPDESK_MAX_ALERTS 3

static const char *const helpdesk_unavailable =
	"The helpdesk store is unavailable: try again later";

/* A ticket whose messages this transaction updates: the state written
   into the transaction (NULL: after the commit). */
struct helpdesk_ticket_update {
	uint64_t ticket;
	const char *const *written;
};

void helpdesk_action_add(struct helpdesk_transaction *ht, uint32_t uid,
			 uint64_t ticket, bool claim,
			 enum helpdesk_action_kind kind, const char *arg)
{
	struct helpdesk_kw_action *action;

	action = array_append_space(&ht->actions);
	action->uid = uid;
	action->ticket = ticket;
	action->claim = claim;
	action->kind = kind;
	action->arg = p_strdup(ht->pool, arg == NULL ? "" : arg);
}

static void actions_alert(struct helpdesk_transaction *ht, const char *text)
{
	const char *prev;

	if (!array_is_created(&ht->alerts))
		p_array_init(&ht->alerts, ht->pool, 2);
	array_foreach_elem(&ht->alerts, prev) {
		if (strcmp(prev, text) == 0)
			return;
	}
	text = p_strdup(ht->pool, text);
	array_push_back(&ht->alerts, &text);
}

static void
actions_refuse(struct helpdesk_transaction *ht, enum mail_error error,
	       const char *reason)
{
	ht->refused = p_strdup(ht->pool, reason);
	ht->refused_error = error;
}

static enum mail_error actions_refusal_error(enum helpdesk_refusal refusal)
{
	switch (refusal) {
	case HELPDESK_REFUSAL_NONE:
	case HELPDESK_REFUSAL_PERM:
		break;
	case HELPDESK_REFUSAL_CANNOT:
		return MAIL_ERROR_NOTPOSSIBLE;
	}
	return MAIL_ERROR_PERM;
}

/* The store's rows of the tickets (0: none) the changes name; a ticket
   the store lacks was refused before. */
static const struct helpdesk_ticket_row *
actions_change_row(const ARRAY_TYPE(uint64_t) *tickets,
	   const struct helpdesk_ticket_row *rows, uint64_t ticket)
{
	unsigned int i, count = array_count(tickets);

	for (i = 0; i < count && ticket != 0; i++) {
		if (array_idx_elem(tickets, i) == ticket)
			return &rows[i];
	}
	return NULL;
}

/* Judge every change against its ticket's row, then check what the
   store must confirm (the assignee is an agent, the team exists). */
static void
actions_judge(struct helpdesk_transaction *ht, struct helpdesk_user *huser,
	      struct helpdesk_store *store, const struct helpdesk_actor *actor,
	      const ARRAY_TYPE(uint64_t) *tickets)
{
	const struct helpdesk_mail_change *mc;
	const struct helpdesk_request *req;
	struct helpdesk_ticket_row *rows;
	ARRAY_TYPE(helpdesk_request) requests;
	enum helpdesk_refusal refusal;
	const char *reason, *role, *error;
	unsigned int i, count = array_count(tickets);
	bool found, any;

	rows = t_new(struct helpdesk_ticket_row, count + 1);
	for (i = 0; i < count; i++) {
		if (helpdesk_store_get_ticket(store,
				array_idx_elem(tickets, i),
				pool_datastack_create(), &rows[i], &found,
				&error) < 0) {
			helpdesk_store_failed(huser, error);
			actions_refuse(ht, MAIL_ERROR_UNAVAILABLE,
				       helpdesk_unavailable);
			return;
		}
	}
	t_array_init(&requests, 4);
	array_foreach(&ht->changes, mc) {
		array_clear(&requests);
		refusal = helpdesk_request_judge(huser->set.keyword_prefix,
				actor,
				actions_change_row(tickets, rows, mc->ticket),
				&mc->change, &requests, &reason);
		if (refusal != HELPDESK_REFUSAL_NONE) {
			actions_refuse(ht, actions_refusal_error(refusal),
				       reason);
			return;
		}
		array_foreach(&requests, req) {
			helpdesk_action_add(ht, mc->change.uid, mc->ticket,
					    req->claim, req->kind, req->arg);
		}
	}

	{
		const struct helpdesk_kw_action *action;

		array_foreach(&ht->actions, action) {
			if (action->claim)
				continue;
			if (action->kind == HELPDESK_ACTION_ASSIGN) {
				if (helpdesk_store_agent_get(store, action->arg,
						&role, &any, &error) < 0) {
					actions_refuse(ht,
						MAIL_ERROR_UNAVAILABLE,
						helpdesk_unavailable);
					return;
				}
				if (any && role == NULL) {
					actions_refuse(ht,
						MAIL_ERROR_NOTPOSSIBLE,
						t_strdup_printf("%s is not a "
							"helpdesk agent",
							action->arg));
					return;
				}
			} else if (action->kind == HELPDESK_ACTION_TEAM &&
				   *action->arg != '\0') {
				if (helpdesk_store_team_get(store, action->arg,
						&found, &any, &error) < 0) {
					actions_refuse(ht,
						MAIL_ERROR_UNAVAILABLE,
						helpdesk_unavailable);
					return;
				}
				if (any && !found) {
					actions_refuse(ht,
						MAIL_ERROR_NOTPOSSIBLE,
						t_strdup_printf("there is no "
							"team %s",
							action->arg));
					return;
				}
			}
		}
	}
}

/* May this user act at all, and are the tickets in the store? Then judge
   the changes. */
static void
actions_check(struct helpdesk_transaction *ht, struct helpdesk_user *huser,
	      struct helpdesk_store *store, const char *user)
{
	const struct helpdesk_mail_change *mc;
	const struct helpdesk_kw_action *action;
	struct helpdesk_actor actor;
	ARRAY_TYPE(uint64_t) tickets;
	const char *role, *error;
	uint64_t missing;
	bool any;

	t_array_init(&tickets, 4);
	array_foreach(&ht->changes, mc)
		helpdesk_tickets_add_unique(&tickets, mc->ticket);
	array_foreach(&ht->actions, action)
		helpdesk_tickets_add_unique(&tickets, action->ticket);
	if (helpdesk_store_check_actor(store, user, &tickets, &role, &any,
				       &missing, &error) < 0) {
		helpdesk_store_failed(huser, error);
		actions_refuse(ht, MAIL_ERROR_UNAVAILABLE,
			       helpdesk_unavailable);
		return;
	}
	(void)helpdesk_store_succeeded(huser);
	if (any && role == NULL) {
		actions_refuse(ht, MAIL_ERROR_PERM, t_strdup_printf(
			"%s is not a helpdesk agent", user));
		return;
	}
	if (missing != 0) {
		actions_refuse(ht, MAIL_ERROR_NOTPOSSIBLE, t_strdup_printf(
			"ticket %llu is not in the helpdesk store: `doveadm "
			"helpdesk reconcile` brings it back",
			(unsigned long long)missing));
		return;
	}
	i_zero(&actor);
	actor.user = user;
	actor.lead = huser->set.lead ||
		(role != NULL && strcmp(role, "lead") == 0);
	actions_judge(ht, huser, store, &actor, &tickets);
}

static void actions_ticket_event(struct helpdesk_user *huser,
				const struct helpdesk_kw_action *action,
				const char *user, const char *event_name)
{
	e_info(event_create_passthrough(huser->event)->
	       set_name(t_strconcat("helpdesk_ticket_", event_name, NULL))->
	       add_int("ticket", (intmax_t)action->ticket)->
	       add_str("actor", user)->
	       add_str("arg", action->arg)->event(),
	       "ticket %llu %s by %s%s%s", (unsigned long long)action->ticket,
	       event_name, user, *action->arg == '\0' ? "" : ": ",
	       action->arg);
}

/* TRUE when an earlier action in the list asks for the same thing. */
static bool actions_is_repeated(const ARRAY_TYPE(helpdesk_kw_action) *actions,
			       const struct helpdesk_kw_action *action)
{
	const struct helpdesk_kw_action *prev;

	array_foreach(actions, prev) {
		if (prev == action)
			break;
		if (prev->ticket == action->ticket &&
		    prev->claim == action->claim &&
		    (action->claim || (prev->kind == action->kind &&
				       strcmp(prev->arg, action->arg) == 0)))
			return TRUE;
	}
	return FALSE;
}

/* The UIDs of the messages the actions and changes on ticket were made
   on (uid 0: a message moved back, which has none yet). */
static void
actions_ticket_uids(const struct helpdesk_transaction *ht, uint64_t ticket,
		   ARRAY_TYPE(uint32_t) *uids)
{
	const struct helpdesk_kw_action *action;
	const struct helpdesk_mail_change *mc;

	t_array_init(uids, 4);
	array_foreach(&ht->actions, action) {
		if (action->ticket == ticket)
			helpdesk_uids_add_unique(uids, action->uid);
	}
	array_foreach(&ht->changes, mc) {
		if (mc->ticket == ticket)
			helpdesk_uids_add_unique(uids, mc->change.uid);
	}
}

/* A message of the ticket comes back into the queue in this transaction:
   it has no UID before the commit, so the ticket's state is written after
   it. */
static bool
actions_ticket_moved_back(const ARRAY_TYPE(helpdesk_kw_action) *actions,
			      uint64_t ticket)
{
	const struct helpdesk_kw_action *action;

	array_foreach(actions, action) {
		if (action->ticket == ticket && action->uid == 0 &&
		    action->kind == HELPDESK_ACTION_REOPEN && !action->claim)
			return TRUE;
	}
	return FALSE;
}

/* Before the commit, in the agent's own transaction: give the ticket's
   messages the store's state along with the agent's change, so that a
   STORE costs one index transaction. Only when this view has all of
   them. Returns the state written, or NULL: do it after the commit. */
static const char *const *
actions_ticket_keywords_in_transaction(struct mailbox_transaction_context *t,
			       struct helpdesk_transaction *ht,
			       struct helpdesk_user *huser,
			       struct helpdesk_store *store, uint64_t ticket,
			       const ARRAY_TYPE(uint32_t) *extra_uids)
{
	struct mailbox *box = t->box;
	struct helpdesk_ticket_row row;
	ARRAY_TYPE(uint32_t) uids;
	const char *const *add, *const *remove, *error;
	unsigned int unknown;
	uint32_t uid, next_uid;

	/* STORE .SILENT hides the whole transaction from the agent's own
	   session, and UNCHANGEDSINCE may cancel the changes to messages the
	   agent didn't name: then after the commit */
	if ((t->flags & MAILBOX_TRANSACTION_FLAG_HIDE) != 0 ||
	    t->itrans->max_modseq != 0)
		return NULL;
	t_array_init(&uids, 8);
	if (helpdesk_ticket_uids_known(box, store, ticket, &row, &uids,
				       &unknown, &error) < 0 ||
	    row.id == 0 || unknown > 0)
		return NULL;
	/* messages this session hasn't seen yet are not in its view */
	next_uid = mail_index_get_header(box->view)->next_uid;
	array_foreach_elem(&uids, uid) {
		if (uid >= next_uid)
			return NULL;
	}
	array_foreach_elem(extra_uids, uid)
		helpdesk_uids_add_unique(&uids, uid);
	add = helpdesk_ticket_state_changes(box, huser->set.keyword_prefix,
					    &row, &remove);
	ht->internal = TRUE;
	helpdesk_uids_update_keywords_t(t, &uids, add, remove);
	ht->internal = FALSE;
	return p_strarray_dup(ht->pool, add);
}

/* An escalation that changed nothing: the ticket is at the top tier, or
   another agent escalated it at the same moment. */
static void
actions_escalation_alert(struct helpdesk_transaction *ht,
			 struct helpdesk_store *store, uint64_t ticket)
{
	struct helpdesk_ticket_row row;
	const char *error;
	bool found;

	if (helpdesk_store_get_ticket(store, ticket, pool_datastack_create(),
				      &row, &found, &error) < 0 || !found)
		return;
	actions_alert(ht, t_strdup_printf(
		"ticket %llu is at tier %u already%s",
		(unsigned long long)ticket, row.tier,
		row.tier >= HELPDESK_TIER_MAX ?
		": it cannot be escalated further" : ""));
}

static void
actions_run_one(struct helpdesk_transaction *ht, struct helpdesk_user *huser,
		struct helpdesk_store *store, const char *user,
		const struct helpdesk_kw_action *action)
{
	const char *error, *owner;
	bool won, changed;
	int ret;

	if (action->claim) {
		ret = helpdesk_store_claim(store, action->ticket, user,
					   ioloop_time, &won, &owner, &error);
		changed = ret == 0 && won;
		if (ret == 0 && !won && owner != NULL &&
		    strcmp(owner, user) != 0) {
			/* someone else was faster */
			actions_alert(ht, t_strdup_printf(
				"ticket %llu is already %s's",
				(unsigned long long)action->ticket, owner));
		}
	} else {
		ret = helpdesk_store_ticket_action(store, action->ticket,
				action->kind, user, action->arg, ioloop_time,
				&changed, &error);
		if (ret == 0 && !changed &&
		    action->kind == HELPDESK_ACTION_ESCALATE)
			actions_escalation_alert(ht, store, action->ticket);
	}
	if (ret < 0) {
		e_error(huser->event, "ticket %llu: %s by %s failed: %s",
			(unsigned long long)action->ticket,
			action->claim ? "claim" :
			helpdesk_action_event_name(action->kind),
			user, error);
		actions_alert(ht, t_strdup_printf("ticket %llu: %s",
			(unsigned long long)action->ticket,
			helpdesk_unavailable));
	} else if (changed) {
		actions_ticket_event(huser, action, user,
			action->claim ? "claimed" :
			helpdesk_action_event_name(action->kind));
		if (!action->claim &&
		    action->kind == HELPDESK_ACTION_RESOLVE)
			array_push_back(&ht->resolved, &action->ticket);
	}
}

/* Carry out the actions in the store (claims atomically: exactly one
   owner), then give every message of each ticket touched the store's
   state (which also takes back a late claim) -- in the agent's
   transaction t when this view has them all. */
static void
actions_run(struct mailbox_transaction_context *t,
	    struct helpdesk_transaction *ht, struct helpdesk_user *huser,
	    struct helpdesk_store *store, bool in_queue)
{
	const char *user = t->box->storage->user->username;
	const struct helpdesk_mail_change *mc;
	const struct helpdesk_kw_action *action;
	struct helpdesk_ticket_update *update;
	ARRAY_TYPE(uint64_t) tickets;
	ARRAY_TYPE(uint32_t) uids;
	uint64_t ticket;

	helpdesk_store_set_busy_timeout(store, HELPDESK_AGENT_BUSY_MSECS);
	t_array_init(&tickets, 4);
	/* a change the store already shows still writes the ticket's state:
	   the messages show what the store holds, whatever they held */
	array_foreach(&ht->changes, mc)
		helpdesk_tickets_add_unique(&tickets, mc->ticket);
	array_foreach(&ht->actions, action) {
		helpdesk_tickets_add_unique(&tickets, action->ticket);
		/* one STORE on several messages of the ticket (a client
		   flags the whole thread) acts once */
		if (!actions_is_repeated(&ht->actions, action))
			actions_run_one(ht, huser, store, user, action);
	}

	p_array_init(&ht->updates, ht->pool, array_count(&tickets));
	array_foreach_elem(&tickets, ticket) {
		update = array_append_space(&ht->updates);
		update->ticket = ticket;
		if (!in_queue ||
		    actions_ticket_moved_back(&ht->actions, ticket))
			continue;
		actions_ticket_uids(ht, ticket, &uids);
		update->written = actions_ticket_keywords_in_transaction(
			t, ht, huser, store, ticket, &uids);
	}
}

/* The user's store, or NULL after refusing the transaction's actions
   (the store is unavailable: they are not done). */
static struct helpdesk_store *
actions_store(struct helpdesk_transaction *ht, struct helpdesk_user *huser)
{
	struct helpdesk_store *store;
	const char *error;

	store = helpdesk_user_store(huser, FALSE, NULL, &error);
	if (store == NULL) {
		helpdesk_store_failed(huser, error);
		actions_refuse(ht, MAIL_ERROR_UNAVAILABLE,
			       helpdesk_unavailable);
	}
	return store;
}

bool helpdesk_actions_judge(struct mailbox_transaction_context *t,
			    struct helpdesk_transaction *ht,
			    struct helpdesk_user *huser)
{
	struct helpdesk_store *store;

	if (ht->judged)
		return ht->refused != NULL;
	ht->judged = TRUE;
	if (ht->refused != NULL ||
	    (array_count(&ht->changes) == 0 && array_count(&ht->actions) == 0))
		return ht->refused != NULL;
	T_BEGIN {
		store = actions_store(ht, huser);
		if (store != NULL) {
			actions_check(ht, huser, store,
				      t->box->storage->user->username);
		}
	} T_END;
	return ht->refused != NULL;
}

void helpdesk_actions_prepare(struct mailbox_transaction_context *t,
			      struct helpdesk_transaction *ht,
			      struct helpdesk_user *huser, bool in_queue)
{
	struct helpdesk_store *store;

	if (helpdesk_actions_judge(t, ht, huser) ||
	    (array_count(&ht->changes) == 0 && array_count(&ht->actions) == 0))
		return;
	T_BEGIN {
		/* NULL: it was there a moment ago; nothing is done */
		store = actions_store(ht, huser);
		if (store != NULL)
			actions_run(t, ht, huser, store, in_queue);
	} T_END;
}

static bool actions_strarray_equal(const char *const *a, const char *const *b)
{
	unsigned int i;

	for (i = 0; a[i] != NULL && b[i] != NULL; i++) {
		if (strcmp(a[i], b[i]) != 0)
			return FALSE;
	}
	return a[i] == NULL && b[i] == NULL;
}

/* After the commit: write the ticket's state to its messages when it
   wasn't written in the transaction, and again while the store holds
   another state than the one written (agents acting on the ticket at the
   same time commit their mailbox changes in any order; whoever commits
   last sees the final state here and writes it). */
static void
actions_ticket_update_finish(struct mailbox *box, struct helpdesk_user *huser,
			     const struct helpdesk_transaction *ht,
			     const struct helpdesk_ticket_update *update)
{
	struct helpdesk_store *store;
	struct helpdesk_ticket_row row;
	ARRAY_TYPE(uint32_t) uids;
	const char *const *written = update->written, *error;
	unsigned int i;
	bool found;

	actions_ticket_uids(ht, update->ticket, &uids);
	for (i = 0; i <= HELPDESK_STATE_RECHECKS; i++) {
		if (written != NULL) {
			store = helpdesk_user_store(huser, FALSE, NULL,
						    &error);
			if (store == NULL ||
			    helpdesk_store_get_ticket(store, update->ticket,
					pool_datastack_create(), &row, &found,
					&error) < 0) {
				e_error(huser->event, "ticket %llu: checking "
					"its messages' state failed: %s",
					(unsigned long long)update->ticket,
					error);
				return;
			}
			if (!found || actions_strarray_equal(written,
				helpdesk_ticket_state_keywords(
					huser->set.keyword_prefix, &row)))
				return;
			if (i == HELPDESK_STATE_RECHECKS)
				break;
		}
		if (helpdesk_ticket_sync_keywords(box, huser, update->ticket,
						  &uids, &written,
						  &error) < 0) {
			e_error(huser->event, "ticket %llu: updating its "
				"messages failed: %s",
				(unsigned long long)update->ticket, error);
			return;
		}
	}
	e_warning(huser->event, "ticket %llu: its messages may not show the "
		  "store's state yet (changed by others while being written)",
		  (unsigned long long)update->ticket);
}

static void actions_tell(struct mailbox *box, struct helpdesk_transaction *ht)
{
	const struct helpdesk_mail_change *mc;
	ARRAY_TYPE(uint32_t) uids;
	const char *alert;
	unsigned int i = 0, count;
	uint32_t uid;
	string_t *text;

	/* one [ALERT] line per command: a client shows each as a dialog */
	if (array_is_created(&ht->alerts) &&
	    (count = array_count(&ht->alerts)) > 0) {
		text = t_str_new(128);
		array_foreach_elem(&ht->alerts, alert) {
			if (i++ == HELPDESK_MAX_ALERTS) {
				str_printfa(text, " (and %u more)",
					    count - HELPDESK_MAX_ALERTS);
				break;
			}
			if (str_len(text) > 0)
				str_append(text, "; ");
			str_append(text, alert);
		}
		helpdesk_notice_alert(box->storage->user, str_c(text));
	}
	t_array_init(&uids, 8);
	array_foreach(&ht->changes, mc)
		helpdesk_uids_add_unique(&uids, mc->change.uid);
	array_foreach_elem(&ht->notice_uids, uid)
		helpdesk_uids_add_unique(&uids, uid);
	helpdesk_notice_flags(box, &uids);
}

void helpdesk_actions_finish(struct mailbox *committed,
			     struct helpdesk_transaction *ht,
			     struct helpdesk_user *huser, bool in_queue,
			     bool commit_failed)
{
	struct helpdesk_ticket_update *update;
	const char *error;
	unsigned int queues;
	uint64_t ticket;

	T_BEGIN {
		if (array_is_created(&ht->updates)) {
			array_foreach_modifiable(&ht->updates, update) {
				/* the store has the actions: the messages
				   get its state also when the agent's own
				   commit failed (which took them along) */
				if (commit_failed)
					update->written = NULL;
				if (in_queue) {
					actions_ticket_update_finish(
						helpdesk_shadow_box(committed),
						huser, ht, update);
				} else if (helpdesk_ticket_sync_user(
						committed->storage->user,
						update->ticket, &queues,
						&error) < 0) {
					/* moved to the resolved mailbox: the
					   ticket's messages left in the
					   queues follow */
					e_error(huser->event, "ticket %llu: "
						"updating its messages "
						"failed: %s",
						(unsigned long long)
						update->ticket, error);
				}
			}
		}
		actions_tell(committed, ht);
	} T_END;
	/* the customers of resolved tickets are asked for a rating */
	array_foreach_elem(&ht->resolved, ticket)
		helpdesk_csat_resolved(huser, committed->storage->user, ticket);
	/* the agent sees the points at once */
	if (array_is_created(&ht->updates) && array_count(&ht->updates) > 0)
		helpdesk_game_after_actions(huser,
					    committed->storage->user);
}

void helpdesk_actions_refused(struct mailbox *box,
			      struct helpdesk_transaction *ht)
{
	T_BEGIN {
		if (array_is_created(&ht->alerts))
			array_clear(&ht->alerts);
		actions_alert(ht, ht->refused);
		actions_tell(box, ht);
	} T_END;
}
