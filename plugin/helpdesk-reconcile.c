/* Copyright (c) 2026 dovecot-helpdesk authors, see the included COPYING file */

/* Turn messages delivered while the store was unavailable (hd-pending)
   into tickets: decide as at delivery, then save the message again with
   the ticket header and subject tag and expunge the pending copy, both in
   one mailbox transaction so nothing is lost or doubled. */

#include "lib.h"
#include "array.h"
#include "istream.h"
#include "mail-storage-private.h"
#include "mail-search-build.h"
#include "mail-namespace.h"
#include "helpdesk-plugin.h"
#include "helpdesk-intake.h"
#include "helpdesk-storage.h"

static int
reconcile_search(struct mailbox_transaction_context *t, const char *keyword,
		 ARRAY_TYPE(uint32_t) *uids)
{
	struct mail_search_args *args;
	struct mail_search_arg *arg;
	struct mail_search_context *ctx;
	struct mail *mail;
	int ret;

	args = mail_search_build_init();
	arg = mail_search_build_add(args, SEARCH_KEYWORDS);
	arg->value.str = p_strdup(args->pool, keyword);
	/* resolves the keyword name to this mailbox's keyword index */
	mail_search_args_init(args, t->box, FALSE, NULL);
	ctx = mailbox_search_init(t, args, NULL, 0, NULL);
	while (mailbox_search_next(ctx, &mail))
		array_push_back(uids, &mail->uid);
	ret = mailbox_search_deinit(&ctx);
	mail_search_args_deinit(args);
	mail_search_args_unref(&args);
	return ret;
}

/* Returns 1 when reconciled, 0 when the store is still unavailable,
   -1 on a mail error. */
static int
reconcile_one(struct helpdesk_user *huser,
	      struct mailbox_transaction_context *t,
	      struct helpdesk_transaction *ht, struct mail *mail,
	      const char **error_r)
{
	struct mailbox *box = t->box;
	struct helpdesk_intake *intake;
	struct mail_save_context *save_ctx;
	struct mail_keywords *kw;
	struct istream *input;
	time_t received;
	int ret = 0;

	intake = helpdesk_intake_run(huser, mail, mail_get_keywords(mail),
				     ht->pool);
	if (intake->pending)
		return 0;

	kw = mailbox_keywords_create_valid(box, intake->keywords);
	if (intake->ticket == 0) {
		/* auto mail without a ticket: only the keywords change */
		mail_update_keywords(mail, MODIFY_REPLACE, kw);
		mailbox_keywords_unref(&kw);
		return 1;
	}

	if (mail_get_stream(mail, NULL, NULL, &input) < 0 ||
	    mail_get_received_date(mail, &received) < 0) {
		*error_r = mailbox_get_last_internal_error(box, NULL);
		mailbox_keywords_unref(&kw);
		return -1;
	}
	save_ctx = mailbox_save_alloc(t);
	mailbox_save_set_flags(save_ctx, mail_get_flags(mail), kw);
	mailbox_save_set_received_date(save_ctx, received, 0);
	mailbox_keywords_unref(&kw);

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
	if (mailbox_save_finish(&save_ctx) < 0) {
		*error_r = mailbox_get_last_internal_error(box, NULL);
		ht->cur = NULL;
		return -1;
	}
	ht->cur = NULL;
	mail_expunge(mail);
	return 1;
}

int helpdesk_reconcile_mailbox(struct mailbox *box, unsigned int max_messages,
			       unsigned int *left_r, const char **error_r)
{
	struct helpdesk_user *huser = HELPDESK_USER_CONTEXT(box->storage->user);
	struct mailbox_transaction_context *t;
	struct helpdesk_transaction *ht;
	struct mail *mail;
	ARRAY_TYPE(uint32_t) uids;
	const uint32_t *uidp;
	unsigned int done = 0, count;
	int ret = 0, ret2;

	*left_r = 0;
	if (huser == NULL) {
		*error_r = "the helpdesk plugin is not active for this user";
		return -1;
	}
	if (mailbox_sync(box, 0) < 0) {
		*error_r = mailbox_get_last_internal_error(box, NULL);
		return -1;
	}
	t = mailbox_transaction_begin(box, MAILBOX_TRANSACTION_FLAG_EXTERNAL,
				      "helpdesk reconcile");
	ht = helpdesk_transaction_get(t);
	i_assert(ht != NULL);
	ht->reconciling = TRUE;

	t_array_init(&uids, 16);
	if (reconcile_search(t, helpdesk_keyword(&huser->set,
						 HELPDESK_KW_PENDING),
			     &uids) < 0) {
		*error_r = mailbox_get_last_internal_error(box, NULL);
		mailbox_transaction_rollback(&t);
		return -1;
	}
	count = array_count(&uids);
	if (count == 0) {
		mailbox_transaction_rollback(&t);
		return 0;
	}

	mail = mail_alloc(t, MAIL_FETCH_STREAM_HEADER | MAIL_FETCH_STREAM_BODY,
			  NULL);
	array_foreach(&uids, uidp) {
		if (max_messages != 0 && done >= max_messages)
			break;
		if (!mail_set_uid(mail, *uidp))
			continue;
		/* no T_BEGIN here: *error_r lives on the caller's frame */
		ret2 = reconcile_one(huser, t, ht, mail, error_r);
		if (ret2 <= 0) {
			ret = ret2;
			break;
		}
		done++;
	}
	mail_free(&mail);
	if (ret < 0) {
		mailbox_transaction_rollback(&t);
		return -1;
	}
	if (done == 0) {
		mailbox_transaction_rollback(&t);
		*left_r = count;
		return 0;
	}
	if (mailbox_transaction_commit(&t) < 0) {
		*error_r = mailbox_get_last_internal_error(box, NULL);
		return -1;
	}
	*left_r = count - done;
	e_info(huser->event, "reconciled %u pending message(s) in %s, "
	       "%u left", done, mailbox_get_vname(box), *left_r);
	return (int)done;
}

int helpdesk_reconcile_user(struct mail_user *user, unsigned int *done_r,
			    unsigned int *left_r, const char **error_r)
{
	struct helpdesk_user *huser = HELPDESK_USER_CONTEXT(user);
	const char *const *queue;
	struct mail_namespace *ns;
	struct mailbox *box;
	unsigned int left;
	int ret = 0, n;

	*done_r = *left_r = 0;
	if (huser == NULL) {
		*error_r = "the helpdesk plugin is not active for this user "
			"(mail_plugins lacks helpdesk or helpdesk_queue is "
			"unset)";
		return -1;
	}
	for (queue = huser->set.queues; *queue != NULL && ret == 0; queue++) {
		ns = mail_namespace_find(user->namespaces, *queue);
		if (ns == NULL) {
			*error_r = t_strdup_printf(
				"%s: no namespace for this mailbox", *queue);
			ret = -1;
			break;
		}
		box = mailbox_alloc(ns->list, *queue, 0);
		do {
			n = helpdesk_reconcile_mailbox(box, 0, &left,
						       error_r);
			if (n > 0)
				*done_r += (unsigned int)n;
		} while (n > 0 && left > 0);
		if (n < 0) {
			*error_r = t_strdup_printf("%s: %s", *queue,
						   *error_r);
			ret = -1;
		}
		*left_r += left;
		mailbox_free(&box);
	}
	return ret;
}
