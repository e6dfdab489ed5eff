/* Copyright (c) 2026 dovecot-helpdesk authors, see the included COPYING file */

/* Mailbox overrides for queue mailboxes: decide and tag incoming mail while
   it is saved (copy from the raw delivery mail, then save_begin with the
   rewritten stream), and after the mail commit remember UIDs, carry a
   reopen to the ticket's other messages and reconcile pending mail. */

#include "lib.h"
#include "array.h"
#include "str.h"
#include "strnum.h"
#include "ioloop.h"
#include "istream.h"
#include "istream-chain.h"
#include "istream-header-filter.h"
#include "message-header-parser.h"
#include "seq-range-array.h"
#include "mail-storage-private.h"
#include "mail-search-build.h"
#include "mail-index.h"
#include "mail-index-transaction-private.h"
#include "helpdesk-plugin.h"
#include "helpdesk-store.h"
#include "helpdesk-intake.h"
#include "helpdesk-storage.h"
#include "helpdesk-mail.h"
#include "helpdesk-actions.h"
#include "helpdesk-views.h"
#include "helpdesk-append.h"

#define HELPDESK_CONTEXT(obj) \
	MODULE_CONTEXT(obj, helpdesk_storage_module)
#define HELPDESK_CONTEXT_REQUIRE(obj) \
	MODULE_CONTEXT_REQUIRE(obj, helpdesk_storage_module)

/* Pending messages reconciled by one delivery at most, so that a backlog
   never delays the delivery that found the store back. */
#define HELPDESK_RECONCILE_PER_DELIVERY 20

enum helpdesk_box_kind {
	/* a ticket queue (helpdesk_queue) */
	HELPDESK_BOX_QUEUE,
	/* helpdesk_resolved_mailbox: a move from a queue resolves */
	HELPDESK_BOX_RESOLVED,
	/* an agent's \\Sent mailbox: replies to tickets are counted */
	HELPDESK_BOX_SENT,
};

struct helpdesk_mailbox {
	union mailbox_module_context module_ctx;
	enum helpdesk_box_kind kind;
	/* the same queue, opened once per session for the work after a
	   commit (the committing mailbox can't be synced inside it) */
	struct mailbox *shadow;
};

static MODULE_CONTEXT_DEFINE_INIT(helpdesk_storage_module,
				  &mail_storage_module_register);

static const char *const rewrite_exclude_headers[] = {
	HELPDESK_TICKET_HEADER
};

struct helpdesk_rewrite {
	uint64_t ticket;
	bool tag_subject;
	bool seen_subject;
	bool in_subject;
};

static void
rewrite_header_callback(struct header_filter_istream *input,
			struct message_header_line *hdr, bool *matched,
			struct helpdesk_rewrite *rw)
{
	const char *line;

	if (hdr == NULL) {
		/* end of headers: the stream may be parsed again */
		rw->seen_subject = FALSE;
		rw->in_subject = FALSE;
		return;
	}
	if (hdr->eoh) {
		const char *eol = hdr->crlf_newline ? "\r\n" : "\n";

		if (rw->ticket == 0)
			return;
		if (rw->tag_subject && !rw->seen_subject) {
			line = t_strdup_printf("Subject: [#%llu]%s",
				(unsigned long long)rw->ticket, eol);
			i_stream_header_filter_add(input, line, strlen(line));
		}
		line = t_strdup_printf(HELPDESK_TICKET_HEADER": %llu%s",
				       (unsigned long long)rw->ticket, eol);
		i_stream_header_filter_add(input, line, strlen(line));
		return;
	}
	if (strcasecmp(hdr->name, "Subject") != 0) {
		if (!hdr->continued)
			rw->in_subject = FALSE;
		return;
	}
	if (hdr->continued) {
		/* folded or overlong subject: keep the rest as it was */
		if (rw->in_subject)
			*matched = FALSE;
		return;
	}
	if (rw->seen_subject || !rw->tag_subject || rw->ticket == 0) {
		rw->seen_subject = TRUE;
		return;
	}
	rw->seen_subject = TRUE;
	rw->in_subject = TRUE;
	*matched = TRUE;
	line = t_strdup_printf("Subject: [#%llu] ",
			       (unsigned long long)rw->ticket);
	i_stream_header_filter_add(input, line, strlen(line));
	i_stream_header_filter_add(input, hdr->value, hdr->value_len);
	if (!hdr->no_newline) {
		if (hdr->crlf_newline)
			i_stream_header_filter_add(input, "\r\n", 2);
		else
			i_stream_header_filter_add(input, "\n", 1);
	}
}

static void rewrite_free(struct helpdesk_rewrite *rw)
{
	i_free(rw);
}

struct istream *
helpdesk_rewrite_stream(struct istream *input,
			const struct helpdesk_intake *intake)
{
	struct helpdesk_rewrite *rw;
	struct istream *filter, *chain;
	struct istream_chain *chain_ctx;

	rw = i_new(struct helpdesk_rewrite, 1);
	rw->ticket = intake->ticket;
	rw->tag_subject = intake->tag_subject;
	filter = i_stream_create_header_filter(input,
		HEADER_FILTER_EXCLUDE | HEADER_FILTER_CRLF_PRESERVE |
		HEADER_FILTER_ADD_MISSING_EOH, rewrite_exclude_headers,
		N_ELEMENTS(rewrite_exclude_headers),
		rewrite_header_callback, rw);
	i_stream_add_destroy_callback(filter, rewrite_free, rw);
	/* The chain reports no size: mdbox would otherwise ask the header
	   filter for its exact size, which makes APPEND read ahead of the
	   client's literal. */
	chain = i_stream_create_chain(&chain_ctx,
				      i_stream_get_max_buffer_size(input));
	i_stream_chain_append(chain_ctx, filter);
	i_stream_chain_append_eof(chain_ctx);
	i_stream_unref(&filter);
	return chain;
}

static const char *const *
save_keyword_names(struct mail_save_context *ctx)
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

static void save_set_keywords(struct mail_save_context *ctx,
			      const char *const *keywords)
{
	struct mailbox *box = ctx->transaction->box;

	if (ctx->data.keywords != NULL)
		mailbox_keywords_unref(&ctx->data.keywords);
	ctx->data.keywords = mailbox_keywords_create_valid(box, keywords);
}

static bool helpdesk_is_delivery(struct mail_save_context *ctx,
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
static void save_set_status(struct mail_save_context *ctx,
			    struct helpdesk_user *huser, const char *status)
{
	ARRAY_TYPE(const_string) names;
	const char *const *kwp, *kw, *arg;

	t_array_init(&names, 8);
	for (kwp = save_keyword_names(ctx); kwp != NULL && *kwp != NULL;
	     kwp++) {
		if (helpdesk_keyword_classify(huser->set.keyword_prefix, *kwp,
					      &arg) != HELPDESK_KW_CLASS_STATUS)
			array_push_back(&names, kwp);
	}
	kw = helpdesk_keyword(&huser->set, status);
	array_push_back(&names, &kw);
	array_append_zero(&names);
	save_set_keywords(ctx, array_front(&names));
}

/* An agent moves (or copies) a ticket's message from the resolved mailbox
   back into a queue: the ticket is reopened (checked and done at the
   commit like a keyword change), the message comes back open, and the
   store learns where it is now. */
static void moved_back_reopen(struct mail_save_context *ctx,
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
	save_set_status(ctx, huser, HELPDESK_KW_OPEN);
}

/* Is a save into a queue that the plugin didn't decide (no delivery,
   no reconcile) a client's, whose keywords are checked? Not the plugin's
   own work and not replication's, which copies what is there. */
static bool client_save_is_checked(struct mailbox_transaction_context *t,
				   struct helpdesk_transaction *ht)
{
	return HELPDESK_USER_CONTEXT(t->box->storage->user) != NULL &&
		!ht->internal && !ht->reconciling &&
		(t->flags & MAILBOX_TRANSACTION_FLAG_SYNC) == 0;
}

static int helpdesk_copy(struct mail_save_context *ctx, struct mail *mail)
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
	    helpdesk_is_delivery(ctx, mail)) {
		T_BEGIN {
			intake = helpdesk_intake_run(huser, t->box, mail,
					save_keyword_names(ctx), ht->pool);
		} T_END;
		save_set_keywords(ctx, intake->keywords);
		ht->cur = intake;
	}
	if (!nested && huser != NULL && !huser->delivery &&
	    huser->set.resolved_mailbox != NULL &&
	    strcmp(mail->box->vname, huser->set.resolved_mailbox) == 0) {
		T_BEGIN {
			moved_back_reopen(ctx, ht, huser, mail);
		} T_END;
	} else if (!nested && huser != NULL && !huser->delivery &&
		   !helpdesk_settings_is_queue(&huser->set, mail->box->vname) &&
		   client_save_is_checked(t, ht)) {
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

static int
helpdesk_save_begin(struct mail_save_context *ctx, struct istream *input)
{
	struct mailbox_transaction_context *t = ctx->transaction;
	struct helpdesk_mailbox *hbox = HELPDESK_CONTEXT_REQUIRE(t->box);
	struct helpdesk_transaction *ht = HELPDESK_CONTEXT(t);
	struct istream *rewritten;
	int ret;

	if (ht != NULL && ht->cur == NULL && !ht->in_copy &&
	    client_save_is_checked(t, ht)) {
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

	rewritten = helpdesk_rewrite_stream(input, ht->cur);
	ret = hbox->module_ctx.super.save_begin(ctx, rewritten);
	i_stream_unref(&rewritten);
	return ret;
}

static int helpdesk_save_finish(struct mail_save_context *ctx)
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

static struct mailbox_transaction_context *
helpdesk_transaction_begin(struct mailbox *box,
			   enum mailbox_transaction_flags flags,
			   const char *reason)
{
	struct helpdesk_mailbox *hbox = HELPDESK_CONTEXT_REQUIRE(box);
	struct mailbox_transaction_context *t;
	struct helpdesk_transaction *ht;
	pool_t pool;

	/* UIDs of saved mail let the store point at the queue message */
	flags |= MAILBOX_TRANSACTION_FLAG_ASSIGN_UIDS;
	t = hbox->module_ctx.super.transaction_begin(box, flags, reason);

	pool = pool_alloconly_create("helpdesk transaction", 1024);
	ht = p_new(pool, struct helpdesk_transaction, 1);
	ht->pool = pool;
	p_array_init(&ht->intakes, pool, 2);
	p_array_init(&ht->actions, pool, 2);
	p_array_init(&ht->changes, pool, 2);
	p_array_init(&ht->client_saves, pool, 1);
	p_array_init(&ht->notice_uids, pool, 1);
	p_array_init(&ht->moved_back, pool, 1);
	MODULE_CONTEXT_SET(t, helpdesk_storage_module, ht);
	return t;
}

static void helpdesk_transaction_free(struct helpdesk_transaction *ht)
{
	/* ht lives in its own pool */
	pool_t pool = ht->pool;

	helpdesk_mail_rewrites_free(&ht->rewrites);
	pool_unref(&pool);
}

/* The state keywords (status, owner, tier, priority, VIP, team) among
   names, sorted (data stack). */
static const char *const *
state_keywords_of(const char *prefix, const char *const *names)
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
intake_state_is_current(struct helpdesk_store *store,
			struct helpdesk_user *huser,
			const struct helpdesk_intake *intake)
{
	const char *prefix = huser->set.keyword_prefix;
	struct helpdesk_ticket_row row;
	const char *const *got, *const *now, *error;
	bool found;

	got = state_keywords_of(prefix, intake->keywords);
	if (*got == NULL)
		return TRUE;
	if (helpdesk_store_get_ticket(store, intake->ticket,
				      pool_datastack_create(), &row, &found,
				      &error) < 0 || !found)
		return TRUE;
	now = state_keywords_of(prefix,
		helpdesk_ticket_state_keywords(prefix, &row));
	for (; *got != NULL && *now != NULL; got++, now++) {
		if (strcmp(*got, *now) != 0)
			return FALSE;
	}
	return *got == NULL && *now == NULL;
}

static void
helpdesk_set_locations(struct mailbox *box, struct helpdesk_user *huser,
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
			 !intake_state_is_current(store, huser, intake))
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

/* Add and remove keywords (either list may be NULL) on the given UIDs in
   transaction t; the caller marks t's helpdesk state internal (not
   checked, not taken for agents' actions). UIDs not in t's view are
   skipped. */
void helpdesk_uids_update_keywords_t(struct mailbox_transaction_context *t,
				   const ARRAY_TYPE(uint32_t) *uids,
				   const char *const *add,
				   const char *const *remove)
{
	struct mail_keywords *kw_add = NULL, *kw_remove = NULL;
	struct mail *mail;
	uint32_t uid;

	mail = mail_alloc(t, 0, NULL);
	if (add != NULL)
		kw_add = mailbox_keywords_create_valid(t->box, add);
	if (remove != NULL)
		kw_remove = mailbox_keywords_create_valid(t->box, remove);
	array_foreach_elem(uids, uid) {
		if (!mail_set_uid(mail, uid))
			continue;
		if (kw_remove != NULL)
			mail_update_keywords(mail, MODIFY_REMOVE, kw_remove);
		if (kw_add != NULL)
			mail_update_keywords(mail, MODIFY_ADD, kw_add);
	}
	if (kw_add != NULL)
		mailbox_keywords_unref(&kw_add);
	if (kw_remove != NULL)
		mailbox_keywords_unref(&kw_remove);
	mail_free(&mail);
}

/* uids_update_keywords_t() in a transaction of the plugin's own. */
static int uids_update_keywords(struct mailbox *box,
				const ARRAY_TYPE(uint32_t) *uids,
				const char *const *add,
				const char *const *remove,
				const char **error_r)
{
	struct mailbox_transaction_context *t;

	t = mailbox_transaction_begin(box, MAILBOX_TRANSACTION_FLAG_EXTERNAL,
				      "helpdesk ticket keywords");
	helpdesk_transaction_get(t)->internal = TRUE;
	helpdesk_uids_update_keywords_t(t, uids, add, remove);
	if (mailbox_transaction_commit(&t) < 0) {
		*error_r = mailbox_get_last_internal_error(box, NULL);
		return -1;
	}
	return 0;
}

void helpdesk_uids_add_unique(ARRAY_TYPE(uint32_t) *uids, uint32_t uid)
{
	const uint32_t *uidp;

	if (uid == 0)
		return;
	array_foreach(uids, uidp) {
		if (*uidp == uid)
			return;
	}
	array_push_back(uids, &uid);
}

/* Find the ticket's messages by their X-Helpdesk-Ticket header, for those
   whose location the store doesn't know (yet). */
static int
ticket_uids_by_header(struct mailbox_transaction_context *t, uint64_t ticket,
		      ARRAY_TYPE(uint32_t) *uids)
{
	struct mail_search_args *args;
	struct mail_search_arg *arg;
	struct mail_search_context *ctx;
	const char *number = dec2str(ticket), *value;
	struct mail *mail;

	args = mail_search_build_init();
	arg = mail_search_build_add(args, SEARCH_HEADER);
	arg->hdr_field_name = HELPDESK_TICKET_HEADER;
	arg->value.str = p_strdup(args->pool, number);
	mail_search_args_init(args, t->box, FALSE, NULL);
	ctx = mailbox_search_init(t, args, NULL, 0, NULL);
	while (mailbox_search_next(ctx, &mail)) {
		/* SEARCH HEADER matches substrings: 1 would find 12 */
		if (mail_get_first_header(mail, HELPDESK_TICKET_HEADER,
					  &value) <= 0 ||
		    strcmp(t_str_trim(value, " \t"), number) != 0)
			continue;
		helpdesk_uids_add_unique(uids, mail->uid);
	}
	mail_search_args_deinit(args);
	mail_search_args_unref(&args);
	return mailbox_search_deinit(&ctx);
}


/* The ticket's row and the UIDs the store knows for its messages in box
   (helpdesk_ticket_uids_known() for box's GUID). */
int helpdesk_ticket_uids_known(struct mailbox *box,
			       struct helpdesk_store *store, uint64_t ticket,
			       struct helpdesk_ticket_row *row_r,
			       ARRAY_TYPE(uint32_t) *uids,
			       unsigned int *unknown_r, const char **error_r)
{
	struct mailbox_metadata metadata;

	if (mailbox_get_metadata(box, MAILBOX_METADATA_GUID, &metadata) < 0) {
		*error_r = mailbox_get_last_internal_error(box, NULL);
		return -1;
	}
	return helpdesk_store_ticket_uids(store, ticket,
			guid_128_to_string(metadata.guid),
			pool_datastack_create(), row_r, uids, unknown_r,
			error_r);
}

/* The UIDs of the ticket's messages in box: from the store, and by their
   X-Helpdesk-Ticket header for those whose location the store doesn't
   know (yet). box must be synced. */
static int ticket_uids(struct mailbox *box, struct helpdesk_store *store,
		       uint64_t ticket, struct helpdesk_ticket_row *row_r,
		       ARRAY_TYPE(uint32_t) *uids, const char **error_r)
{
	struct mailbox_transaction_context *t;
	unsigned int unknown;
	int ret;

	if (helpdesk_ticket_uids_known(box, store, ticket, row_r, uids,
				       &unknown,
			      error_r) < 0)
		return -1;
	if (row_r->id == 0) {
		*error_r = t_strdup_printf("ticket %llu is not in the store",
					   (unsigned long long)ticket);
		return -1;
	}
	if (unknown == 0)
		return 0;
	t = mailbox_transaction_begin(box, 0, "helpdesk ticket lookup");
	ret = ticket_uids_by_header(t, ticket, uids);
	mailbox_transaction_rollback(&t);
	if (ret < 0) {
		*error_r = mailbox_get_last_internal_error(box, NULL);
		return -1;
	}
	return 0;
}

void helpdesk_tickets_add_unique(ARRAY_TYPE(uint64_t) *tickets,
				 uint64_t ticket)
{
	const uint64_t *tp;

	if (ticket == 0)
		return;
	array_foreach(tickets, tp) {
		if (*tp == ticket)
			return;
	}
	array_push_back(tickets, &ticket);
}

/* What the store says (the returned keywords to add), and none of the
   other state keywords this mailbox knows (*remove_r: other owners, an old
   status, a used claim). */
const char *const *
helpdesk_ticket_state_changes(struct mailbox *box, const char *prefix,
		     const struct helpdesk_ticket_row *row,
		     const char *const **remove_r)
{
	const ARRAY_TYPE(keywords) *names;
	ARRAY_TYPE(const_string) remove;
	const char *const *add, *name, *arg;

	add = helpdesk_ticket_state_keywords(prefix, row);
	t_array_init(&remove, 16);
	names = mail_index_get_keywords(box->index);
	array_foreach_elem(names, name) {
		if (helpdesk_keyword_class_is_state(
			helpdesk_keyword_classify(prefix, name, &arg)) &&
		    !str_array_find(add, name))
			array_push_back(&remove, &name);
	}
	array_append_zero(&remove);
	*remove_r = array_front(&remove);
	return add;
}

int helpdesk_ticket_sync_keywords(struct mailbox *box,
				  struct helpdesk_user *huser,
				  uint64_t ticket,
				  const ARRAY_TYPE(uint32_t) *extra_uids,
				  const char *const **written_r,
				  const char **error_r)
{
	const char *prefix = huser->set.keyword_prefix;
	struct helpdesk_store *store;
	struct helpdesk_ticket_row row;
	ARRAY_TYPE(uint32_t) uids;
	const char *const *add, *const *remove;
	uint32_t uid;

	store = helpdesk_user_store(huser, FALSE, NULL, error_r);
	if (store == NULL)
		return -1;
	if (mailbox_sync(box, 0) < 0) {
		*error_r = mailbox_get_last_internal_error(box, NULL);
		return -1;
	}
	t_array_init(&uids, 8);
	if (ticket_uids(box, store, ticket, &row, &uids, error_r) < 0)
		return -1;
	if (extra_uids != NULL) {
		array_foreach_elem(extra_uids, uid)
			helpdesk_uids_add_unique(&uids, uid);
	}
	add = helpdesk_ticket_state_changes(box, prefix, &row, &remove);
	if (written_r != NULL)
		*written_r = add;
	if (array_count(&uids) == 0)
		return 0;
	return uids_update_keywords(box, &uids, add, remove, error_r);
}

/* The queue's shadow: the same mailbox, kept open for the session. */
struct mailbox *helpdesk_shadow_box(struct mailbox *box)
{
	struct helpdesk_mailbox *hbox = HELPDESK_CONTEXT_REQUIRE(box);

	if (hbox->shadow == NULL)
		hbox->shadow = mailbox_alloc(box->list, box->vname, 0);
	return hbox->shadow;
}

static void helpdesk_mailbox_free(struct mailbox *box)
{
	struct helpdesk_mailbox *hbox = HELPDESK_CONTEXT_REQUIRE(box);

	if (hbox->shadow != NULL)
		mailbox_free(&hbox->shadow);
	hbox->module_ctx.super.free(box);
}

static void
moved_back_locations(struct mailbox *box, struct helpdesk_user *huser,
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
static int helpdesk_resolved_copy(struct mail_save_context *ctx,
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
			save_set_status(ctx, huser, HELPDESK_KW_RESOLVED);
		}
	} T_END;
	return hbox->module_ctx.super.copy(ctx, mail);
}

/* Without registered agents, an agent is whoever can see a queue (the
   queue's ACL): a customer with a mailbox on the same server is none. */
static bool user_sees_a_queue(struct mail_user *user,
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
static void helpdesk_sent_process(struct mailbox *committed,
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
			user_sees_a_queue(user, huser);
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
}

static void helpdesk_reconcile_after_delivery(struct mailbox *box,
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

static int
helpdesk_transaction_commit(struct mailbox_transaction_context *t,
			    struct mail_transaction_commit_changes *changes_r)
{
	struct mailbox *box = t->box;
	struct helpdesk_mailbox *hbox = HELPDESK_CONTEXT_REQUIRE(box);
	struct helpdesk_transaction *ht = HELPDESK_CONTEXT_REQUIRE(t);
	struct helpdesk_user *huser = HELPDESK_USER_CONTEXT(box->storage->user);
	ARRAY_TYPE(uint64_t) reopened;
	bool in_queue = hbox->kind == HELPDESK_BOX_QUEUE;
	uint64_t ticket;
	bool reconcile = FALSE;
	int ret;

	/* the store first: the changes are judged against it, and a claim
	   decides who owns the ticket */
	if (ht->refused == NULL && huser != NULL)
		helpdesk_actions_prepare(t, ht, huser, in_queue);
	if (ht->refused != NULL) {
		/* as the acl plugin does: nothing of the STORE is applied and
		   the client gets NO with the reason (and an alert) */
		hbox->module_ctx.super.transaction_rollback(t);
		mail_storage_set_error(box->storage, ht->refused_error == 0 ?
				       MAIL_ERROR_PERM : ht->refused_error,
				       ht->refused);
		if (huser != NULL) {
			e_info(huser->event, "keyword change by %s refused: %s",
			       box->storage->user->username, ht->refused);
			helpdesk_actions_refused(box, ht);
		}
		helpdesk_transaction_free(ht);
		return -1;
	}
	ret = hbox->module_ctx.super.transaction_commit(t, changes_r);
	if (ret == 0 && huser != NULL && ht->keyword_changes)
		helpdesk_mail_rewrites_commit(huser, ht);
	if (ret == 0 && huser != NULL && array_count(&ht->moved_back) > 0) {
		T_BEGIN {
			moved_back_locations(box, huser, &ht->moved_back,
					     changes_r);
		} T_END;
	}
	if (huser != NULL &&
	    (array_count(&ht->changes) > 0 || array_count(&ht->actions) > 0 ||
	     array_count(&ht->notice_uids) > 0)) {
		/* also after a failed commit: the store has the actions */
		helpdesk_actions_finish(box, ht, huser, in_queue, ret < 0);
	}
	if (ret == 0 && huser != NULL && array_count(&ht->client_saves) > 0) {
		T_BEGIN {
			helpdesk_append_adopt(box, huser, &ht->client_saves,
					      changes_r);
		} T_END;
	}
	if (ret == 0 && huser != NULL && hbox->kind == HELPDESK_BOX_SENT &&
	    array_count(&changes_r->saved_uids) > 0) {
		T_BEGIN {
			helpdesk_sent_process(box, huser,
					      &changes_r->saved_uids);
		} T_END;
	}
	if (ret < 0 || huser == NULL || array_count(&ht->intakes) == 0) {
		helpdesk_transaction_free(ht);
		return ret;
	}

	T_BEGIN {
		struct helpdesk_intake *intake;

		t_array_init(&reopened, 2);
		helpdesk_set_locations(box, huser, &ht->intakes, changes_r,
				       &reopened);
		array_foreach_elem(&ht->intakes, intake) {
			if (!intake->pending && !ht->reconciling)
				reconcile = TRUE;
		}
		reconcile = reconcile && helpdesk_reconcile_due(huser);
		if (array_count(&reopened) > 0 || reconcile) {
			/* The committing mailbox can't be synced from inside
			   its commit: work on a mailbox of our own. */
			struct mailbox *box2 =
				mailbox_alloc(box->list, box->vname, 0);

			array_foreach_elem(&reopened, ticket) {
				const char *error;

				if (helpdesk_ticket_sync_keywords(box2, huser,
						ticket, NULL, NULL, &error) < 0) {
					e_error(huser->event, "ticket %llu: "
						"updating its messages in %s "
						"failed: %s",
						(unsigned long long)ticket,
						mailbox_get_vname(box2),
						error);
				}
			}
			if (reconcile)
				helpdesk_reconcile_after_delivery(box2, huser);
			mailbox_free(&box2);
		}
	} T_END;
	helpdesk_transaction_free(ht);
	return ret;
}

static void
helpdesk_transaction_rollback(struct mailbox_transaction_context *t)
{
	struct helpdesk_mailbox *hbox = HELPDESK_CONTEXT_REQUIRE(t->box);
	struct helpdesk_transaction *ht = HELPDESK_CONTEXT_REQUIRE(t);

	hbox->module_ctx.super.transaction_rollback(t);
	helpdesk_transaction_free(ht);
}

/* A mailbox of the agents' views namespace (prefix helpdesk_views, with
   or without its separator). */
static bool helpdesk_box_is_view(struct helpdesk_user *huser,
				 struct mailbox *box)
{
	struct mail_namespace *ns = mailbox_get_namespace(box);
	const char *views = huser->set.views;
	size_t len;

	if (views == NULL || strcmp(box->storage->name, "virtual") != 0)
		return FALSE;
	len = strlen(views);
	if (strncmp(ns->prefix, views, len) != 0)
		return FALSE;
	return ns->prefix[len] == '\0' ||
		(ns->prefix[len] == mail_namespace_get_sep(ns) &&
		 ns->prefix[len + 1] == '\0');
}

void helpdesk_mailbox_allocated(struct mailbox *box)
{
	struct helpdesk_user *huser = HELPDESK_USER_CONTEXT(box->storage->user);
	struct mailbox_vfuncs *v = box->vlast;
	struct helpdesk_mailbox *hbox;
	enum helpdesk_box_kind kind;

	if (huser == NULL)
		return;
	if (helpdesk_settings_is_queue(&huser->set, box->vname))
		kind = HELPDESK_BOX_QUEUE;
	else if (huser->delivery)
		return;
	else if (helpdesk_box_is_view(huser, box)) {
		helpdesk_view_mailbox_allocated(box);
		return;
	}
	else if (huser->set.resolved_mailbox != NULL &&
		 strcmp(box->vname, huser->set.resolved_mailbox) == 0)
		kind = HELPDESK_BOX_RESOLVED;
	else if (mailbox_get_namespace(box)->type ==
		 MAIL_NAMESPACE_TYPE_PRIVATE &&
		 mailbox_has_special_use(box, "\\Sent"))
		kind = HELPDESK_BOX_SENT;
	else
		return;

	if (kind == HELPDESK_BOX_QUEUE &&
	    strcmp(box->storage->name, "maildir") == 0 &&
	    !huser->maildir_warned) {
		/* maildir keeps at most 26 keywords per mailbox */
		e_warning(huser->event, "queue %s is on maildir, which keeps "
			  "at most 26 keywords per mailbox: put the queue on "
			  "sdbox or mdbox", box->vname);
		huser->maildir_warned = TRUE;
	}
	hbox = p_new(box->pool, struct helpdesk_mailbox, 1);
	hbox->kind = kind;
	hbox->module_ctx.super = *v;
	box->vlast = &hbox->module_ctx.super;

	if (kind == HELPDESK_BOX_QUEUE) {
		v->copy = helpdesk_copy;
		v->save_begin = helpdesk_save_begin;
		v->save_finish = helpdesk_save_finish;
	} else if (kind == HELPDESK_BOX_RESOLVED) {
		v->copy = helpdesk_resolved_copy;
	}
	v->transaction_begin = helpdesk_transaction_begin;
	v->transaction_commit = helpdesk_transaction_commit;
	v->transaction_rollback = helpdesk_transaction_rollback;
	v->free = helpdesk_mailbox_free;
	MODULE_CONTEXT_SET(box, helpdesk_storage_module, hbox);
}

void helpdesk_mail_allocated(struct mail *mail)
{
	struct helpdesk_mailbox *hbox = HELPDESK_CONTEXT(mail->box);

	if (hbox != NULL && hbox->kind == HELPDESK_BOX_QUEUE)
		helpdesk_mail_queue_allocated(mail);
	else if (hbox == NULL)
		helpdesk_view_mail_allocated(mail);
}

struct helpdesk_transaction *
helpdesk_transaction_get(struct mailbox_transaction_context *t)
{
	return HELPDESK_CONTEXT(t);
}

int helpdesk_ticket_sync_user(struct mail_user *user, uint64_t ticket,
			      unsigned int *queues_r, const char **error_r)
{
	struct helpdesk_user *huser = HELPDESK_USER_CONTEXT(user);
	struct mail_namespace *ns;
	struct mailbox *box;
	const char *const *queue;
	int ret = 0;

	*queues_r = 0;
	if (huser == NULL)
		return 0;
	for (queue = helpdesk_user_queues(user, huser);
	     *queue != NULL && ret == 0; queue++) {
		ns = mail_namespace_find(user->namespaces, *queue);
		box = mailbox_alloc(ns->list, *queue, 0);
		(*queues_r)++;
		T_BEGIN {
			ret = helpdesk_ticket_sync_keywords(box, huser, ticket,
							    NULL, NULL, error_r);
			if (ret < 0) {
				*error_r = p_strdup_printf(user->pool, "%s: %s",
							   *queue, *error_r);
			}
		} T_END;
		mailbox_free(&box);
	}
	return ret;
}
