/* Copyright (c) 2026 dovecot-helpdesk authors, see the included COPYING file */

/* Replies counted from the agents' Sent folders: a message an agent saves
   into a \\Sent mailbox of their own that answers a ticket's message is
   the agent's reply (once, by Message-ID, also when it reaches the queue
   by reply-all) and the ticket waits on the customer. */

#include "lib.h"
#include "array.h"
#include "ioloop.h"
#include "seq-range-array.h"
#include "mail-storage-private.h"
#include "mail-namespace.h"
#include "helpdesk-plugin.h"
#include "helpdesk-store.h"
#include "helpdesk-intake.h"
#include "helpdesk-storage-private.h"
#include "helpdesk-ticket-sync.h"
#include "helpdesk-sent.h"
#include "helpdesk-game-user.h"

/* Without registered agents, an agent is whoever can see a queue (the
   queue's ACL): a customer with a mailbox on the same server is none. */
static bool helpdesk_sent_user_sees_a_queue(struct mail_user *user,
			      struct helpdesk_user *huser)
{
	const char *const *queue;
	struct mail_namespace *ns;
	struct mailbox *box;
	enum mailbox_existence existence;
	bool seen = FALSE;

	for (queue = huser->set.queues; *queue != NULL && !seen; queue++) {
		ns = mail_namespace_find(user->namespaces, *queue);
		if (ns == NULL)
			continue;
		box = mailbox_alloc(ns->list, *queue, 0);
		seen = mailbox_exists(box, FALSE, &existence) == 0 &&
			existence == MAILBOX_EXISTENCE_SELECT;
		mailbox_free(&box);
	}
	return seen;
}

/* An agent saved mail into their Sent folder: each message that answers a
   ticket's message counts as the agent's reply (once, by Message-ID, also
   when it reaches the queue by reply-all) and the ticket waits on the
   customer. */
void helpdesk_sent_committed(struct mailbox *committed,
				  struct helpdesk_user *huser,
				  const ARRAY_TYPE(seq_range) *saved_uids)
{
	unsigned int queues;
	struct mail_user *user = committed->storage->user;
	struct helpdesk_store *store;
	struct helpdesk_store_lookup lookup;
	struct mailbox *box;
	struct mailbox_transaction_context *t;
	struct mail *mail;
	struct seq_range_iter iter;
	ARRAY_TYPE(uint64_t) tickets;
	const char *error, *role, *key, *const *refs;
	unsigned int n = 0, ref_count;
	uint64_t ticket;
	uint32_t uid;
	bool any, changed;

	if (huser->sent_checked && !huser->sent_counts)
		return;
	store = helpdesk_user_store(huser, FALSE, NULL, &error);
	if (store == NULL) {
		e_error(huser->event, "counting replies in %s failed: %s",
			mailbox_get_vname(committed), error);
		return;
	}
	if (!huser->sent_checked) {
		/* once per session: is this user an agent? */
		if (helpdesk_store_agent_get(store, user->username, &role,
					     &any, &error) < 0) {
			e_error(huser->event, "counting replies in %s failed: "
				"%s", mailbox_get_vname(committed), error);
			return;
		}
		huser->sent_counts = any ? role != NULL :
			helpdesk_sent_user_sees_a_queue(user, huser);
		huser->sent_checked = TRUE;
		if (!huser->sent_counts)
			return;
	}

	t_array_init(&tickets, 2);
	box = mailbox_alloc(committed->list, committed->vname, 0);
	if (mailbox_sync(box, 0) < 0) {
		e_error(huser->event, "counting replies: syncing %s failed: %s",
			mailbox_get_vname(box),
			mailbox_get_last_internal_error(box, NULL));
		mailbox_free(&box);
		return;
	}
	t = mailbox_transaction_begin(box, 0, "helpdesk reply tracking");
	mail = mail_alloc(t, 0, NULL);
	seq_range_array_iter_init(&iter, saved_uids);
	while (seq_range_array_iter_nth(&iter, n++, &uid)) {
		if (!mail_set_uid(mail, uid) ||
		    helpdesk_intake_read_refs(mail, &key, &refs,
					      &ref_count) < 0 ||
		    key == NULL)
			continue;
		if (helpdesk_store_lookup_message(store, key, NULL, refs,
						  ref_count,
				pool_datastack_create(), &lookup,
				&error) < 0) {
			e_error(huser->event, "counting replies: %s", error);
			break;
		}
		ticket = lookup.known ? lookup.known_row.id : lookup.ref_row.id;
		if (ticket == 0)
			continue;
		if (helpdesk_store_ticket_action(store, ticket,
				HELPDESK_ACTION_REPLY, user->username, key,
				ioloop_time, &changed, &error) < 0) {
			e_error(huser->event, "ticket %llu: reply by %s: %s",
				(unsigned long long)ticket, user->username,
				error);
			continue;
		}
		if (changed) {
			e_info(event_create_passthrough(huser->event)->
			       set_name("helpdesk_ticket_replied")->
			       add_int("ticket", (intmax_t)ticket)->
			       add_str("actor", user->username)->event(),
			       "ticket %llu replied by %s",
			       (unsigned long long)ticket, user->username);
			helpdesk_tickets_add_unique(&tickets, ticket);
		}
	}
	mail_free(&mail);
	mailbox_transaction_rollback(&t);
	mailbox_free(&box);

	array_foreach_elem(&tickets, ticket) {
		if (helpdesk_ticket_sync_user(user, ticket, &queues,
					      &error) < 0) {
			e_error(huser->event, "ticket %llu: updating its "
				"messages failed: %s",
				(unsigned long long)ticket, error);
		}
	}
	/* the replying agent sees the points at once */
	if (array_count(&tickets) > 0)
		helpdesk_game_after_actions(huser, user);
}
