/* Copyright (c) 2026 dovecot-helpdesk authors, see the included COPYING file */

#include "lib.h"
#include "array.h"
#include "ioloop.h"
#include "seq-range-array.h"
#include "mail-storage-private.h"
#include "helpdesk-plugin.h"
#include "helpdesk-store.h"
#include "helpdesk-intake.h"
#include "helpdesk-storage-private.h"
#include "helpdesk-ticket-sync.h"
#include "helpdesk-mail.h"
#include "helpdesk-append.h"

void helpdesk_append_strip(struct mail_save_context *ctx, const char *prefix)
{
	struct mailbox *box = ctx->transaction->box;
	const ARRAY_TYPE(keywords) *names;
	ARRAY_TYPE(keyword_indexes) kept;
	struct mail_keywords *keywords = ctx->data.keywords;
	const char *name, *arg;
	unsigned int i;

	if (keywords == NULL)
		return;
	names = mail_index_get_keywords(box->index);
	t_array_init(&kept, keywords->count + 1);
	for (i = 0; i < keywords->count; i++) {
		name = array_idx_elem(names, keywords->idx[i]);
		if (helpdesk_keyword_classify(prefix, name, &arg) ==
		    HELPDESK_KW_CLASS_FOREIGN)
			array_push_back(&kept, &keywords->idx[i]);
	}
	if (array_count(&kept) == keywords->count)
		return;
	ctx->data.keywords = mailbox_keywords_create_from_indexes(box, &kept);
	mailbox_keywords_unref(&keywords);
}

/* The ticket a saved message is a copy of, or 0. */
static uint64_t
helpdesk_append_ticket_copy(struct helpdesk_user *huser,
			    struct helpdesk_store *store, struct mail *mail,
			    const char **key_r)
{
	struct helpdesk_store_lookup lookup;
	const char *error;
	uint64_t ticket;

	ticket = helpdesk_mail_ticket(mail);
	if (ticket == 0 || helpdesk_message_key(mail, key_r) < 0)
		return 0;
	if (helpdesk_store_lookup_message(store, *key_r, NULL, NULL, 0,
					  pool_datastack_create(), &lookup,
					  &error) < 0) {
		e_error(huser->event, "looking up %s failed: %s", *key_r,
			error);
		return 0;
	}
	/* the header alone proves nothing: the store must know the
	   message as the ticket's */
	return lookup.known && lookup.known_row.id == ticket ? ticket : 0;
}

void helpdesk_append_adopt(struct mailbox *box, struct helpdesk_user *huser,
			   const ARRAY_TYPE(uint32_t) *save_idxs,
			   const struct mail_transaction_commit_changes *changes)
{
	struct helpdesk_store *store;
	struct mailbox_metadata metadata;
	struct mailbox *shadow;
	struct mailbox_transaction_context *t;
	struct mail *mail;
	struct seq_range_iter iter;
	ARRAY_TYPE(uint64_t) tickets;
	const char *key, *error, *guid;
	uint32_t idx, uid;
	uint64_t ticket;

	store = helpdesk_user_store(huser, FALSE, NULL, &error);
	if (store == NULL ||
	    mailbox_get_metadata(box, MAILBOX_METADATA_GUID, &metadata) < 0)
		return;
	guid = guid_128_to_string(metadata.guid);
	/* the committing mailbox can't be synced inside its commit */
	shadow = helpdesk_shadow_box(box);
	if (mailbox_sync(shadow, 0) < 0)
		return;
	t_array_init(&tickets, 2);
	t = mailbox_transaction_begin(shadow, 0, "helpdesk ticket copies");
	mail = mail_alloc(t, 0, NULL);
	seq_range_array_iter_init(&iter, &changes->saved_uids);
	array_foreach_elem(save_idxs, idx) {
		if (!seq_range_array_iter_nth(&iter, idx, &uid) ||
		    !mail_set_uid(mail, uid))
			continue;
		ticket = helpdesk_append_ticket_copy(huser, store, mail, &key);
		if (ticket == 0)
			continue;
		if (helpdesk_store_add_copy(store, key, ticket, guid, uid,
					    ioloop_time, &error) < 0) {
			e_error(huser->event, "recording the copy of %s "
				"failed: %s", key, error);
			continue;
		}
		e_debug(huser->event, "%s saved again as UID %u: it stays "
			"a message of ticket %llu", key, uid,
			(unsigned long long)ticket);
		array_push_back(&tickets, &ticket);
	}
	mail_free(&mail);
	mailbox_transaction_rollback(&t);

	array_foreach_elem(&tickets, ticket) {
		if (helpdesk_ticket_sync_keywords(shadow, huser, ticket, NULL,
						  NULL, &error) < 0) {
			e_error(huser->event, "ticket %llu: updating its "
				"messages failed: %s",
				(unsigned long long)ticket, error);
		}
	}
}
