/* Copyright (c) 2026 dovecot-helpdesk authors, see the included COPYING file */

/* The save path of the helpdesk's mailboxes. A delivery into a queue is
   decided (helpdesk-intake.c) in copy, from the raw delivery mail, and
   saved with the rewritten stream (helpdesk-rewrite.c) in save_begin; a
   client's own save keeps none of the helpdesk's keywords
   (helpdesk-append.c); a ticket's message moved between a queue and the
   resolved mailbox resolves or reopens it. After the commit the store
   learns where the messages are and the ticket's other messages follow. */

#include "lib.h"
#include "array.h"
#include "ioloop.h"
#include "istream.h"
#include "seq-range-array.h"
#include "mail-storage-private.h"
#include "helpdesk-plugin.h"
#include "helpdesk-store.h"
#include "helpdesk-intake.h"
#include "helpdesk-ack.h"
#include "helpdesk-rewrite.h"
#include "helpdesk-storage-private.h"
#include "helpdesk-ticket-sync.h"
#include "helpdesk-mail.h"
#include "helpdesk-actions.h"
#include "helpdesk-append.h"
#include "helpdesk-save.h"

/* Pending messages reconciled by one delivery at most, so that a backlog
   never delays the delivery that found the store back. */
#define HELPDESK_RECONCILE_PER_DELIVERY 20

static const char *const *
helpdesk_save_keyword_names(struct mail_save_context *ctx)
{
	struct mailbox *box = ctx->transaction->box;
	const ARRAY_TYPE(keywords) *names;
	ARRAY_TYPE(const_string) list;
	const char *name;
	unsigned int i;

	if (ctx->data.keywords == NULL)
		return NULL;
	names = mail_index_get_keywords(box->index);
	t_array_init(&list, ctx->data.keywords->count + 1);
	for (i = 0; i < ctx->data.keywords->count; i++) {
		name = array_idx_elem(names, ctx->data.keywords->idx[i]);
		array_push_back(&list, &name);
	}
	array_append_zero(&list);
	return array_front(&list);
}

static void helpdesk_save_set_keywords(struct mail_save_context *ctx,
			      const char *const *keywords)
{
	struct mailbox *box = ctx->transaction->box;

	if (ctx->data.keywords != NULL)
		mailbox_keywords_unref(&ctx->data.keywords);
	ctx->data.keywords = mailbox_keywords_create_valid(box, keywords);
}

static bool helpdesk_save_is_delivery(struct mail_save_context *ctx,
				 struct mail *mail)
{
	/* LMTP, LDA and Sieve save from the "raw" storage's mail. A copy
	   of a message that is already stored (LMTP's recipients 2..n
	   without Sieve, IMAP COPY) is not a new delivery and must not be
	   tagged again. */
	return ctx->saving && strcmp(mail->box->storage->name, "raw") == 0;
}

/* The keywords of a ticket's message copied between the queue and the
   resolved mailbox: the source's, with status instead of its status. */
static void helpdesk_save_set_status(struct mail_save_context *ctx,
			    struct helpdesk_user *huser, const char *status)
{
	ARRAY_TYPE(const_string) names;
	const char *const *kwp, *kw, *arg;

	t_array_init(&names, 8);
	for (kwp = helpdesk_save_keyword_names(ctx); kwp != NULL && *kwp != NULL;
	     kwp++) {
		if (helpdesk_keyword_classify(huser->set.keyword_prefix, *kwp,
					      &arg) != HELPDESK_KW_CLASS_STATUS)
			array_push_back(&names, kwp);
	}
	kw = helpdesk_keyword(&huser->set, status);
	array_push_back(&names, &kw);
	array_append_zero(&names);
	helpdesk_save_set_keywords(ctx, array_front(&names));
}

/* An agent moves (or copies) a ticket's message from the resolved mailbox
   back into a queue: the ticket is reopened (checked and done at the
   commit like a keyword change), the message comes back open, and the
   store learns where it is now. */
static void helpdesk_save_moved_back_reopen(struct mail_save_context *ctx,
			      struct helpdesk_transaction *ht,
			      struct helpdesk_user *huser, struct mail *mail)
{
	struct helpdesk_moved_back *moved;
	const char *key;
	uint64_t ticket;

	ticket = helpdesk_mail_ticket(mail);
	if (ticket == 0)
		return;
	/* uid 0: the message has none in this queue before the commit */
	helpdesk_action_add(ht, 0, ticket, FALSE, HELPDESK_ACTION_REOPEN, NULL);
	if (helpdesk_message_key(mail, &key) == 0) {
		moved = array_append_space(&ht->moved_back);
		moved->key = p_strdup(ht->pool, key);
		moved->save_idx = ht->save_count;
	}
	helpdesk_save_set_status(ctx, huser, HELPDESK_KW_OPEN);
}

/* Is a save into a queue that the plugin didn't decide (no delivery,
   no reconcile) a client's, whose keywords are checked? Not the plugin's
   own work and not replication's, which copies what is there. */
static bool helpdesk_save_is_checked(struct mailbox_transaction_context *t,
				   struct helpdesk_transaction *ht)
{
	return HELPDESK_USER_CONTEXT(t->box->storage->user) != NULL &&
		!ht->internal && !ht->reconciling &&
		(t->flags & MAILBOX_TRANSACTION_FLAG_SYNC) == 0;
}

int helpdesk_save_copy(struct mail_save_context *ctx, struct mail *mail)
{
	struct mailbox_transaction_context *t = ctx->transaction;
	struct helpdesk_mailbox *hbox = HELPDESK_CONTEXT_REQUIRE(t->box);
	struct helpdesk_transaction *ht = HELPDESK_CONTEXT(t);
	struct helpdesk_user *huser =
		HELPDESK_USER_CONTEXT(t->box->storage->user);
	struct helpdesk_intake *intake = NULL;
	bool nested = ht == NULL || ht->in_copy;
	int ret;

	if (!nested && huser != NULL && huser->delivery &&
	    helpdesk_save_is_delivery(ctx, mail)) {
		T_BEGIN {
			intake = helpdesk_intake_run(huser, t->box, mail,
					helpdesk_save_keyword_names(ctx), ht->pool);
		} T_END;
		helpdesk_save_set_keywords(ctx, intake->keywords);
		ht->cur = intake;
	}
	if (!nested && huser != NULL && !huser->delivery &&
	    huser->set.resolved_mailbox != NULL &&
	    strcmp(mail->box->vname, huser->set.resolved_mailbox) == 0) {
		T_BEGIN {
			helpdesk_save_moved_back_reopen(ctx, ht, huser, mail);
		} T_END;
	} else if (!nested && huser != NULL && !huser->delivery &&
		   !helpdesk_settings_is_queue(&huser->set, mail->box->vname) &&
		   helpdesk_save_is_checked(t, ht)) {
		/* copied in from a folder that is no queue */
		T_BEGIN {
			helpdesk_append_strip(ctx, huser->set.keyword_prefix);
		} T_END;
		array_push_back(&ht->client_saves, &ht->save_count);
	}
	if (ht != NULL)
		ht->in_copy = TRUE;
	ret = hbox->module_ctx.super.copy(ctx, mail);
	if (ht != NULL && !nested) {
		ht->in_copy = FALSE;
		ht->cur = NULL;
		if (ret == 0) {
			if (intake != NULL) {
				intake->save_idx = ht->save_count;
				array_push_back(&ht->intakes, &intake);
			}
			ht->save_count++;
		}
	}
	return ret;
}

int helpdesk_save_begin(struct mail_save_context *ctx, struct istream *input)
{
	struct mailbox_transaction_context *t = ctx->transaction;
	struct helpdesk_mailbox *hbox = HELPDESK_CONTEXT_REQUIRE(t->box);
	struct helpdesk_transaction *ht = HELPDESK_CONTEXT(t);
	struct istream *rewritten;
	int ret;

	if (ht != NULL && ht->cur == NULL && !ht->in_copy &&
	    helpdesk_save_is_checked(t, ht)) {
		/* a client's APPEND (or doveadm save) */
		struct helpdesk_user *huser =
			HELPDESK_USER_CONTEXT(t->box->storage->user);

		T_BEGIN {
			helpdesk_append_strip(ctx, huser->set.keyword_prefix);
		} T_END;
		array_push_back(&ht->client_saves, &ht->save_count);
	}
	if (ht == NULL || ht->cur == NULL)
		return hbox->module_ctx.super.save_begin(ctx, input);

	rewritten = helpdesk_rewrite_stream(input, ht->cur->ticket,
					    ht->cur->tag_subject);
	ret = hbox->module_ctx.super.save_begin(ctx, rewritten);
	i_stream_unref(&rewritten);
	return ret;
}

int helpdesk_save_finish(struct mail_save_context *ctx)
{
	struct mailbox_transaction_context *t = ctx->transaction;
	struct helpdesk_mailbox *hbox = HELPDESK_CONTEXT_REQUIRE(t->box);
	struct helpdesk_transaction *ht = HELPDESK_CONTEXT(t);
	int ret;

	ret = hbox->module_ctx.super.save_finish(ctx);
	if (ht != NULL && !ht->in_copy && ret == 0) {
		if (ht->cur != NULL) {
			/* a reconcile save */
			ht->cur->save_idx = ht->save_count;
			array_push_back(&ht->intakes, &ht->cur);
			ht->cur = NULL;
		}
		ht->save_count++;
	}
	return ret;
}

/* The state keywords (status, owner, tier, priority, VIP, team) among
   names, sorted (data stack). */
static const char *const *
helpdesk_save_state_keywords(const char *prefix, const char *const *names)
{
	ARRAY_TYPE(const_string) list;
	const char *arg;

	t_array_init(&list, 8);
	for (; names != NULL && *names != NULL; names++) {
		if (helpdesk_keyword_class_is_state(
			helpdesk_keyword_classify(prefix, *names, &arg)))
			array_push_back(&list, names);
	}
	array_sort(&list, i_strcmp_p);
	array_append_zero(&list);
	return array_front(&list);
}

/* A follow-up got the ticket's state as the store had it when it was
   filed; an agent who changed the ticket before this delivery's commit
   could not see the message yet to update it. Is the state it got still
   the store's? (Auto mail carries no state: nothing to compare.) */
static bool
helpdesk_save_state_is_current(struct helpdesk_store *store,
			struct helpdesk_user *huser,
			const struct helpdesk_intake *intake)
{
	const char *prefix = huser->set.keyword_prefix;
	struct helpdesk_ticket_row row;
	const char *const *got, *const *now, *error;
	bool found;

	got = helpdesk_save_state_keywords(prefix, intake->keywords);
	if (*got == NULL)
		return TRUE;
	if (helpdesk_store_get_ticket(store, intake->ticket,
				      pool_datastack_create(), &row, &found,
				      &error) < 0 || !found)
		return TRUE;
	now = helpdesk_save_state_keywords(prefix,
		helpdesk_ticket_state_keywords(prefix, &row));
	for (; *got != NULL && *now != NULL; got++, now++) {
		if (strcmp(*got, *now) != 0)
			return FALSE;
	}
	return *got == NULL && *now == NULL;
}

static void
helpdesk_save_set_locations(struct mailbox *box, struct helpdesk_user *huser,
		       const ARRAY_TYPE(helpdesk_intake_p) *intakes,
		       const struct mail_transaction_commit_changes *changes,
		       ARRAY_TYPE(uint64_t) *propagate)
{
	struct helpdesk_store *store;
	struct seq_range_iter iter;
	struct helpdesk_intake *intake;
	struct mailbox_metadata metadata;
	const char *guid, *error;
	uint32_t uid;

	if (mailbox_get_metadata(box, MAILBOX_METADATA_GUID, &metadata) < 0)
		return;
	guid = guid_128_to_string(metadata.guid);
	store = helpdesk_user_store(huser, FALSE, NULL, &error);
	seq_range_array_iter_init(&iter, &changes->saved_uids);
	array_foreach_elem(intakes, intake) {
		if (intake->propagate)
			array_push_back(propagate, &intake->ticket);
		else if (store != NULL && !intake->pending &&
			 intake->action == HELPDESK_THREAD_FOLLOWUP &&
			 intake->ticket != 0 &&
			 !helpdesk_save_state_is_current(store, huser, intake))
			array_push_back(propagate, &intake->ticket);
		if (store == NULL || intake->pending || intake->key == NULL ||
		    !seq_range_array_iter_nth(&iter, intake->save_idx, &uid))
			continue;
		if (intake->action == HELPDESK_THREAD_REPLAY &&
		    intake->ticket != 0) {
			/* saved again: a second copy of the ticket's
			   message, which must follow its state too */
			if (helpdesk_store_add_copy(store, intake->key,
					intake->ticket, guid, uid,
					ioloop_time, &error) < 0) {
				e_error(huser->event, "recording the copy of "
					"%s failed: %s", intake->key, error);
			}
			continue;
		}
		helpdesk_store_set_location(store, intake->key, guid, uid);
	}
	if (store != NULL && helpdesk_store_have_pending(store))
		helpdesk_store_flush_later();
}

static void
helpdesk_save_moved_back_locations(struct mailbox *box, struct helpdesk_user *huser,
		     const ARRAY_TYPE(helpdesk_moved_back) *moved,
		     const struct mail_transaction_commit_changes *changes)
{
	const struct helpdesk_moved_back *m;
	struct helpdesk_store *store;
	struct mailbox_metadata metadata;
	struct seq_range_iter iter;
	const char *error;
	uint32_t uid;

	store = helpdesk_user_store(huser, FALSE, NULL, &error);
	if (store == NULL ||
	    mailbox_get_metadata(box, MAILBOX_METADATA_GUID, &metadata) < 0)
		return;
	seq_range_array_iter_init(&iter, &changes->saved_uids);
	array_foreach(moved, m) {
		if (!seq_range_array_iter_nth(&iter, m->save_idx, &uid))
			continue;
		if (helpdesk_store_move_location(store, m->key,
				guid_128_to_string(metadata.guid), uid,
				&error) < 0) {
			e_error(huser->event, "recording where %s is now "
				"failed: %s", m->key, error);
		}
	}
}

/* A message moved (or copied) from a queue into the resolved mailbox
   resolves its ticket: the copy shows it at once, the store and the
   ticket's messages left in the queue follow after the commit. */
int helpdesk_save_resolved_copy(struct mail_save_context *ctx,
				struct mail *mail)
{
	struct mailbox_transaction_context *t = ctx->transaction;
	struct helpdesk_mailbox *hbox = HELPDESK_CONTEXT_REQUIRE(t->box);
	struct helpdesk_transaction *ht = HELPDESK_CONTEXT(t);
	struct helpdesk_user *huser =
		HELPDESK_USER_CONTEXT(t->box->storage->user);
	uint64_t ticket;

	if (ht == NULL || huser == NULL ||
	    !helpdesk_settings_is_queue(&huser->set, mail->box->vname))
		return hbox->module_ctx.super.copy(ctx, mail);
	T_BEGIN {
		ticket = helpdesk_mail_ticket(mail);
		if (ticket != 0) {
			helpdesk_action_add(ht, mail->uid, ticket, FALSE,
					    HELPDESK_ACTION_RESOLVE, NULL);
			helpdesk_save_set_status(ctx, huser, HELPDESK_KW_RESOLVED);
		}
	} T_END;
	return hbox->module_ctx.super.copy(ctx, mail);
}

static void helpdesk_save_reconcile_pending(struct mailbox *box,
					      struct helpdesk_user *huser)
{
	const char *error;
	unsigned int left;

	/* lock_secs 0: never wait, the delivery must not be delayed */
	if (helpdesk_reconcile_mailbox(box, HELPDESK_RECONCILE_PER_DELIVERY,
				       0, &left, &error) < 0) {
		e_error(huser->event,
			"reconciling pending messages in %s failed: %s",
			mailbox_get_vname(box), error);
	}
}

/* After the commit of a delivery (or reconcile) into a queue: where the
   messages are goes into the store, tickets whose state the delivery
   changed (a reopen, an answer) or an agent changed meanwhile get it on
   all their messages, and pending mail is reconciled now and then. */
static void
helpdesk_save_delivered(struct mailbox *box, struct helpdesk_user *huser,
			struct helpdesk_transaction *ht,
			const struct mail_transaction_commit_changes *changes)
{
	struct helpdesk_intake *intake;
	ARRAY_TYPE(uint64_t) reopened;
	const char *error;
	uint64_t ticket;
	bool reconcile = FALSE;

	t_array_init(&reopened, 2);
	helpdesk_save_set_locations(box, huser, &ht->intakes, changes,
				    &reopened);
	array_foreach_elem(&ht->intakes, intake) {
		if (!intake->pending && !ht->reconciling)
			reconcile = TRUE;
		/* the customer is told the new ticket's number, also when
		   reconcile opens it late (in a process that can send) */
		helpdesk_ack_committed(huser, box->storage->user, intake);
	}
	reconcile = reconcile && helpdesk_reconcile_due(huser);
	if (array_count(&reopened) == 0 && !reconcile)
		return;

	/* The committing mailbox can't be synced from inside its commit:
	   work on a mailbox of our own. */
	struct mailbox *box2 = mailbox_alloc(box->list, box->vname, 0);

	array_foreach_elem(&reopened, ticket) {
		if (helpdesk_ticket_sync_keywords(box2, huser, ticket, NULL,
						  NULL, &error) < 0) {
			e_error(huser->event, "ticket %llu: updating its "
				"messages in %s failed: %s",
				(unsigned long long)ticket,
				mailbox_get_vname(box2), error);
		}
	}
	if (reconcile)
		helpdesk_save_reconcile_pending(box2, huser);
	mailbox_free(&box2);
}

void helpdesk_save_committed(struct mailbox *box, struct helpdesk_user *huser,
			     struct helpdesk_transaction *ht,
			     const struct mail_transaction_commit_changes *changes)
{
	T_BEGIN {
		if (array_count(&ht->moved_back) > 0) {
			helpdesk_save_moved_back_locations(box, huser,
				&ht->moved_back, changes);
		}
		if (array_count(&ht->client_saves) > 0) {
			helpdesk_append_adopt(box, huser, &ht->client_saves,
					      changes);
		}
		if (array_count(&ht->intakes) > 0)
			helpdesk_save_delivered(box, huser, ht, changes);
	} T_END;
}

int helpdesk_save_reconciled(struct mailbox_transaction_context *t,
			     struct mail *mail,
			     struct helpdesk_intake *intake,
			     struct mail_keywords *keywords,
			     const char **error_r)
{
	struct helpdesk_transaction *ht = helpdesk_transaction_get(t);
	struct mailbox *box = t->box;
	struct mail_save_context *save_ctx;
	struct istream *input;
	time_t received;
	int ret;

	if (mail_get_stream(mail, NULL, NULL, &input) < 0 ||
	    mail_get_received_date(mail, &received) < 0) {
		*error_r = mailbox_get_last_internal_error(box, NULL);
		return -1;
	}
	save_ctx = mailbox_save_alloc(t);
	mailbox_save_set_flags(save_ctx, mail_get_flags(mail), keywords);
	mailbox_save_set_received_date(save_ctx, received, 0);

	/* the save path rewrites the stream for this intake */
	ht->cur = intake;
	if (mailbox_save_begin(&save_ctx, input) < 0) {
		ht->cur = NULL;
		*error_r = mailbox_get_last_internal_error(box, NULL);
		return -1;
	}
	while ((ret = i_stream_read(input)) > 0 || ret == -2) {
		if (mailbox_save_continue(save_ctx) < 0)
			break;
	}
	if (input->stream_errno != 0 ||
	    mailbox_save_continue(save_ctx) < 0) {
		*error_r = input->stream_errno != 0 ?
			i_stream_get_error(input) :
			mailbox_get_last_internal_error(box, NULL);
		mailbox_save_cancel(&save_ctx);
		ht->cur = NULL;
		return -1;
	}
	ret = mailbox_save_finish(&save_ctx);
	ht->cur = NULL;
	if (ret < 0) {
		*error_r = mailbox_get_last_internal_error(box, NULL);
		return -1;
	}
	return 0;
}

struct mailbox_transaction_context *
helpdesk_save_reconcile_begin(struct mailbox *box)
{
	struct mailbox_transaction_context *t;
	struct helpdesk_transaction *ht;

	t = mailbox_transaction_begin(box, MAILBOX_TRANSACTION_FLAG_EXTERNAL,
				      "helpdesk reconcile");
	ht = helpdesk_transaction_get(t);
	i_assert(ht != NULL);
	/* reconcile's own saves and keyword changes: no agent's, and no
	   reconcile nested in its commit */
	ht->reconciling = TRUE;
	return t;
}
