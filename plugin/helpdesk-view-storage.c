/* Copyright (c) 2026 dovecot-helpdesk authors, see the included COPYING file */

/* The agents' views (virtual mailboxes over the queues, helpdesk-views.c
   writes their definitions) behave like the queue:

   - A keyword STORE through a view goes to the queue message itself, in
     the view's transaction on the queue, so it is judged, refused (the
     same NO, alert and flags) and carried out exactly as a STORE on the
     queue. Left to Dovecot's virtual storage, the change would be written
     into the view's own index and handed to the queue at its next sync,
     whose commit result nobody reads: a refused change was answered OK
     and stayed shown.
   - A ticket that stops matching a view (claimed away from Unassigned)
     leaves the open view at the next sync that may report expunges
     (NOOP, IDLE, a UID command), not only when the view is opened
     again: the virtual storage drops such messages only on EXPUNGE or
     when it opens the view, by design. */

#include "lib.h"
#include "array.h"
#include "mail-storage-private.h"
#include "helpdesk-plugin.h"
#include "helpdesk-storage-private.h"
#include "helpdesk-notice.h"
#include "helpdesk-views.h"
#include "helpdesk-actions.h"

#define HELPDESK_VIEW_CONTEXT(obj) \
	MODULE_CONTEXT(obj, helpdesk_view_storage_module)
#define HELPDESK_VIEW_CONTEXT_REQUIRE(obj) \
	MODULE_CONTEXT_REQUIRE(obj, helpdesk_view_storage_module)
#define HELPDESK_VIEW_MAIL_CONTEXT(obj) \
	MODULE_CONTEXT_REQUIRE(obj, helpdesk_view_mail_module)

struct helpdesk_view_mailbox {
	union mailbox_module_context module_ctx;
};

struct helpdesk_view_transaction {
	union mailbox_transaction_module_context module_ctx;
	/* the view's messages whose helpdesk keywords the STORE changed */
	ARRAY_TYPE(uint32_t) uids;
	/* the queues' transactions the changes went to (the virtual
	   transaction's own, alive until it ends) */
	ARRAY(struct mailbox_transaction_context *) queue_trans;
};

static MODULE_CONTEXT_DEFINE_INIT(helpdesk_view_storage_module,
				  &mail_storage_module_register);
static MODULE_CONTEXT_DEFINE_INIT(helpdesk_view_mail_module,
				  &mail_module_register);

static struct mailbox_sync_context *
helpdesk_view_sync_init(struct mailbox *box, enum mailbox_sync_flags flags)
{
	struct helpdesk_view_mailbox *vbox = HELPDESK_VIEW_CONTEXT_REQUIRE(box);

	/* the virtual storage removes messages that no longer match only
	   when the sync says EXPUNGE (an informational flag elsewhere) */
	if ((flags & MAILBOX_SYNC_FLAG_NO_EXPUNGES) == 0)
		flags |= MAILBOX_SYNC_FLAG_EXPUNGE;
	return vbox->module_ctx.super.sync_init(box, flags);
}

static struct mailbox_transaction_context *
helpdesk_view_transaction_begin(struct mailbox *box,
				enum mailbox_transaction_flags flags,
				const char *reason)
{
	struct helpdesk_view_mailbox *vbox = HELPDESK_VIEW_CONTEXT_REQUIRE(box);
	struct mailbox_transaction_context *t;
	struct helpdesk_view_transaction *vt;

	t = vbox->module_ctx.super.transaction_begin(box, flags, reason);
	vt = i_new(struct helpdesk_view_transaction, 1);
	MODULE_CONTEXT_SET(t, helpdesk_view_storage_module, vt);
	return t;
}

static void helpdesk_view_transaction_free(struct helpdesk_view_transaction *vt)
{
	if (array_is_created(&vt->uids))
		array_free(&vt->uids);
	if (array_is_created(&vt->queue_trans))
		array_free(&vt->queue_trans);
	i_free(vt);
}

/* Judge every queue's part of the STORE before any of them commits: the
   virtual storage commits each queue and its own index whatever the
   others answer, so a refusal must stop the whole view transaction
   first. Returns the refused queue transaction, or NULL. */
static struct mailbox_transaction_context *
helpdesk_view_judge(struct helpdesk_view_transaction *vt)
{
	struct mailbox_transaction_context *qt;
	struct helpdesk_transaction *ht;
	struct helpdesk_user *huser;

	if (!array_is_created(&vt->queue_trans))
		return NULL;
	array_foreach_elem(&vt->queue_trans, qt) {
		ht = helpdesk_transaction_get(qt);
		huser = HELPDESK_USER_CONTEXT(qt->box->storage->user);
		if (ht != NULL && huser != NULL &&
		    helpdesk_actions_judge(qt, ht, huser))
			return qt;
	}
	return NULL;
}

static int
helpdesk_view_transaction_commit(struct mailbox_transaction_context *t,
				 struct mail_transaction_commit_changes *changes_r)
{
	struct mailbox *box = t->box;
	struct helpdesk_view_mailbox *vbox = HELPDESK_VIEW_CONTEXT_REQUIRE(box);
	struct helpdesk_view_transaction *vt = HELPDESK_VIEW_CONTEXT_REQUIRE(t);
	struct mailbox_transaction_context *refused;
	struct helpdesk_transaction *ht;
	int ret;

	refused = helpdesk_view_judge(vt);
	if (refused != NULL) {
		/* nothing of the STORE, in no queue and not in the view;
		   the queue's answer is the STORE's */
		ht = helpdesk_transaction_get(refused);
		helpdesk_actions_refused(refused->box, ht);
		mail_storage_set_error(box->storage, ht->refused_error,
				       ht->refused);
		vbox->module_ctx.super.transaction_rollback(t);
		ret = -1;
	} else {
		/* (storages live as long as the user) */
		struct mail_storage *queue_storage =
			!array_is_created(&vt->queue_trans) ? NULL :
			array_idx_elem(&vt->queue_trans, 0)->box->storage;

		ret = vbox->module_ctx.super.transaction_commit(t, changes_r);
		if (ret < 0 && queue_storage != NULL) {
			/* the queue's commit failed (the store went away
			   since the judgment): the virtual storage keeps
			   the backend's error to itself */
			mail_storage_copy_error(box->storage, queue_storage);
		}
	}
	if (array_is_created(&vt->uids))
		helpdesk_notice_flags(box, &vt->uids);
	helpdesk_view_transaction_free(vt);
	return ret;
}

static void
helpdesk_view_transaction_rollback(struct mailbox_transaction_context *t)
{
	struct helpdesk_view_mailbox *vbox =
		HELPDESK_VIEW_CONTEXT_REQUIRE(t->box);
	struct helpdesk_view_transaction *vt = HELPDESK_VIEW_CONTEXT_REQUIRE(t);

	vbox->module_ctx.super.transaction_rollback(t);
	helpdesk_view_transaction_free(vt);
}

static void
helpdesk_view_mail_update_keywords(struct mail *_mail,
				   enum modify_type modify_type,
				   struct mail_keywords *keywords)
{
	struct mail_private *mail = (struct mail_private *)_mail;
	union mail_module_context *vmail = HELPDESK_VIEW_MAIL_CONTEXT(mail);
	struct helpdesk_view_transaction *vt =
		HELPDESK_VIEW_CONTEXT(_mail->transaction);
	const ARRAY_TYPE(keywords) *names =
		mail_index_get_keywords(_mail->box->index);
	struct mail_keywords *queue_kw;
	struct mail *queue_mail;
	const char *const *kw_names;
	unsigned int i;

	if (vt == NULL || keywords == NULL ||
	    mail_get_backend_mail(_mail, &queue_mail) < 0 ||
	    helpdesk_transaction_get(queue_mail->transaction) == NULL) {
		vmail->super.update_keywords(_mail, modify_type, keywords);
		return;
	}
	T_BEGIN {
		ARRAY_TYPE(const_string) list;

		t_array_init(&list, keywords->count + 1);
		for (i = 0; i < keywords->count; i++) {
			array_push_back(&list, array_idx(names,
							 keywords->idx[i]));
		}
		array_append_zero(&list);
		kw_names = array_front(&list);
		queue_kw = mailbox_keywords_create_valid(queue_mail->box,
							 kw_names);
		mail_update_keywords(queue_mail, modify_type, queue_kw);
		mailbox_keywords_unref(&queue_kw);
	} T_END;
	if (!array_is_created(&vt->uids)) {
		i_array_init(&vt->uids, 8);
		i_array_init(&vt->queue_trans, 2);
	}
	array_push_back(&vt->uids, &_mail->uid);
	for (i = 0; i < array_count(&vt->queue_trans); i++) {
		if (array_idx_elem(&vt->queue_trans, i) ==
		    queue_mail->transaction)
			break;
	}
	if (i == array_count(&vt->queue_trans))
		array_push_back(&vt->queue_trans, &queue_mail->transaction);
}

void helpdesk_view_mail_allocated(struct mail *_mail)
{
	struct mail_private *mail = (struct mail_private *)_mail;
	struct mail_vfuncs *v = mail->vlast;
	union mail_module_context *vmail;

	if (HELPDESK_VIEW_CONTEXT(_mail->box) == NULL)
		return;
	vmail = p_new(mail->pool, union mail_module_context, 1);
	vmail->super = *v;
	mail->vlast = &vmail->super;
	v->update_keywords = helpdesk_view_mail_update_keywords;
	MODULE_CONTEXT_SET_SELF(mail, helpdesk_view_mail_module, vmail);
}

void helpdesk_view_mailbox_allocated(struct mailbox *box)
{
	struct mailbox_vfuncs *v = box->vlast;
	struct helpdesk_view_mailbox *vbox;

	vbox = p_new(box->pool, struct helpdesk_view_mailbox, 1);
	vbox->module_ctx.super = *v;
	box->vlast = &vbox->module_ctx.super;
	v->sync_init = helpdesk_view_sync_init;
	v->transaction_begin = helpdesk_view_transaction_begin;
	v->transaction_commit = helpdesk_view_transaction_commit;
	v->transaction_rollback = helpdesk_view_transaction_rollback;
	MODULE_CONTEXT_SET(box, helpdesk_view_storage_module, vbox);
}
