/* Copyright (c) 2026 dovecot-helpdesk authors, see the included COPYING file */

/* Every message of a ticket shows the ticket's state as the store has it:
   the one place that writes the state keywords to a ticket's messages
   (found through the store's locations and, for those it doesn't know
   yet, by their X-Helpdesk-Ticket header), for the agents' actions, the
   save path, Sent tracking, copies saved back and doveadm. */

#include "lib.h"
#include "array.h"
#include "mail-storage-private.h"
#include "mail-search-build.h"
#include "mail-namespace.h"
#include "helpdesk-plugin.h"
#include "helpdesk-store.h"
#include "helpdesk-rewrite.h"
#include "helpdesk-storage-private.h"
#include "helpdesk-ticket-sync.h"

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
static int ticket_sync_update_keywords(struct mailbox *box,
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
ticket_sync_uids_by_header(struct mailbox_transaction_context *t,
			   uint64_t ticket, ARRAY_TYPE(uint32_t) *uids)
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
static int ticket_sync_uids(struct mailbox *box, struct helpdesk_store *store,
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
	ret = ticket_sync_uids_by_header(t, ticket, uids);
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
	if (mailbox_sync(box, 0) < 0) {
		*error_r = mailbox_get_last_internal_error(box, NULL);
		return -1;
	}
	return helpdesk_ticket_sync_keywords_synced(box, huser, ticket,
						    extra_uids, written_r,
						    error_r);
}

int helpdesk_ticket_sync_keywords_synced(struct mailbox *box,
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
	t_array_init(&uids, 8);
	if (ticket_sync_uids(box, store, ticket, &row, &uids, error_r) < 0)
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
	return ticket_sync_update_keywords(box, &uids, add, remove, error_r);
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
