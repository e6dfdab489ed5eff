/* Copyright (c) 2026 dovecot-helpdesk authors, see the included COPYING file */

/* The mailbox overrides, by kind of mailbox, each installed only where it
   applies (as acl-mailbox.c does):

   queue     helpdesk_queue: the save path (helpdesk-save.c), the keyword
             protocol on its messages (helpdesk-mail.c) and the agents'
             actions judged and carried out at the commit
             (helpdesk-actions.c)
   resolved  helpdesk_resolved_mailbox: a move from a queue resolves
   sent      an agent's \Sent: replies are counted (helpdesk-sent.c)
   view      the agents' views (helpdesk-view-storage.c) */

#include "lib.h"
#include "array.h"
#include "mail-storage-private.h"
#include "mail-namespace.h"
#include "mail-cache.h"
#include "helpdesk-plugin.h"
#include "helpdesk-storage-private.h"
#include "helpdesk-save.h"
#include "helpdesk-mail.h"
#include "helpdesk-actions.h"
#include "helpdesk-sent.h"
#include "helpdesk-views.h"
#include "helpdesk-storage.h"
#include "helpdesk-availability.h"
#include "helpdesk-game-user.h"
#include "helpdesk-rewrite.h"

struct helpdesk_storage_module helpdesk_storage_module =
	MODULE_CONTEXT_INIT(&mail_storage_module_register);

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
	p_array_init(&ht->resolved, pool, 1);
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

static void
helpdesk_transaction_rollback(struct mailbox_transaction_context *t)
{
	struct helpdesk_mailbox *hbox = HELPDESK_CONTEXT_REQUIRE(t->box);
	struct helpdesk_transaction *ht = HELPDESK_CONTEXT_REQUIRE(t);

	hbox->module_ctx.super.transaction_rollback(t);
	helpdesk_transaction_free(ht);
}

/* Judge and carry out the agents' changes and actions before the commit:
   the store first (a claim decides who owns the ticket). Returns -1 when
   refused: then, as the acl plugin does, nothing of the transaction is
   applied and the client gets NO with the reason (and an alert). */
static int
helpdesk_transaction_actions(struct mailbox_transaction_context *t,
			     struct helpdesk_transaction *ht,
			     struct helpdesk_user *huser, bool in_queue)
{
	struct mailbox *box = t->box;
	struct helpdesk_mailbox *hbox = HELPDESK_CONTEXT_REQUIRE(box);

	if (ht->refused == NULL)
		helpdesk_actions_prepare(t, ht, huser, in_queue);
	if (ht->refused == NULL)
		return 0;
	hbox->module_ctx.super.transaction_rollback(t);
	mail_storage_set_error(box->storage, ht->refused_error == 0 ?
			       MAIL_ERROR_PERM : ht->refused_error,
			       ht->refused);
	e_info(huser->event, "keyword change by %s refused: %s",
	       box->storage->user->username, ht->refused);
	helpdesk_actions_refused(box, ht);
	helpdesk_transaction_free(ht);
	return -1;
}

/* The actions' work after the commit (also after a failed one: the store
   has them), with what the agent is told. */
static void
helpdesk_transaction_actions_finish(struct mailbox *box,
				    struct helpdesk_transaction *ht,
				    struct helpdesk_user *huser, bool in_queue,
				    int ret)
{
	if (ret == 0 && ht->keyword_changes)
		helpdesk_mail_rewrites_commit(huser, ht);
	if (array_count(&ht->changes) > 0 || array_count(&ht->actions) > 0 ||
	    array_count(&ht->notice_uids) > 0)
		helpdesk_actions_finish(box, ht, huser, in_queue, ret < 0);
}

/* A queue's and a resolved folder's commit: the agents' actions are
   judged and recorded around the mail commit; in a queue (in_queue) the
   saved mail is the intake's too. */
static int
helpdesk_actions_commit(struct mailbox_transaction_context *t,
			struct mail_transaction_commit_changes *changes_r,
			bool in_queue)
{
	struct mailbox *box = t->box;
	struct helpdesk_mailbox *hbox = HELPDESK_CONTEXT_REQUIRE(box);
	struct helpdesk_transaction *ht = HELPDESK_CONTEXT_REQUIRE(t);
	struct helpdesk_user *huser = HELPDESK_USER_CONTEXT(box->storage->user);
	int ret;

	/* in a resolved folder, the moves from a queue are resolutions */
	if (huser != NULL &&
	    helpdesk_transaction_actions(t, ht, huser, in_queue) < 0)
		return -1;
	ret = hbox->module_ctx.super.transaction_commit(t, changes_r);
	if (huser != NULL) {
		helpdesk_transaction_actions_finish(box, ht, huser, in_queue,
						    ret);
		if (in_queue && ret == 0)
			helpdesk_save_committed(box, huser, ht, changes_r);
	}
	helpdesk_transaction_free(ht);
	return ret;
}

static int
helpdesk_queue_commit(struct mailbox_transaction_context *t,
		      struct mail_transaction_commit_changes *changes_r)
{
	return helpdesk_actions_commit(t, changes_r, TRUE);
}

static int
helpdesk_resolved_commit(struct mailbox_transaction_context *t,
			 struct mail_transaction_commit_changes *changes_r)
{
	return helpdesk_actions_commit(t, changes_r, FALSE);
}

static int
helpdesk_sent_commit(struct mailbox_transaction_context *t,
		     struct mail_transaction_commit_changes *changes_r)
{
	struct mailbox *box = t->box;
	struct helpdesk_mailbox *hbox = HELPDESK_CONTEXT_REQUIRE(box);
	struct helpdesk_user *huser = HELPDESK_USER_CONTEXT(box->storage->user);
	int ret;

	ret = hbox->module_ctx.super.transaction_commit(t, changes_r);
	if (ret == 0 && huser != NULL &&
	    array_count(&changes_r->saved_uids) > 0) T_BEGIN {
		helpdesk_sent_committed(box, huser, &changes_r->saved_uids);
	} T_END;
	return ret;
}

struct mailbox *helpdesk_shadow_box(struct mailbox *box)
{
	struct helpdesk_mailbox *hbox = HELPDESK_CONTEXT_REQUIRE(box);

	if (hbox->shadow == NULL)
		hbox->shadow = mailbox_alloc(box->list, box->vname, 0);
	return hbox->shadow;
}

static int helpdesk_queue_open(struct mailbox *box)
{
	struct helpdesk_mailbox *hbox = HELPDESK_CONTEXT_REQUIRE(box);
	struct mail_cache_field field = {
		.name = "hdr."HELPDESK_TICKET_HEADER,
		.type = MAIL_CACHE_FIELD_HEADER,
		.decision = MAIL_CACHE_DECISION_TEMP,
	};

	if (hbox->module_ctx.super.open(box) < 0)
		return -1;
	/* every agent's STORE looks up the message's ticket header: cached
	   when the message is saved, instead of parsed from the mail file
	   at each STORE (as mail_cache_fields would) */
	if (box->cache != NULL)
		mail_cache_register_fields(box->cache, &field, 1);
	return 0;
}

static void helpdesk_mailbox_free(struct mailbox *box)
{
	struct helpdesk_mailbox *hbox = HELPDESK_CONTEXT_REQUIRE(box);

	if (hbox->shadow != NULL)
		mailbox_free(&hbox->shadow);
	hbox->module_ctx.super.free(box);
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

static enum helpdesk_box_kind
helpdesk_box_kind(struct helpdesk_user *huser, struct mailbox *box)
{
	if (helpdesk_settings_is_queue(&huser->set, box->vname))
		return HELPDESK_BOX_QUEUE;
	if (huser->delivery)
		return HELPDESK_BOX_NONE;
	if (helpdesk_box_is_view(huser, box))
		return HELPDESK_BOX_VIEW;
	if (huser->set.resolved_mailbox != NULL &&
	    strcmp(box->vname, huser->set.resolved_mailbox) == 0)
		return HELPDESK_BOX_RESOLVED;
	if (mailbox_get_namespace(box)->type == MAIL_NAMESPACE_TYPE_PRIVATE &&
	    mailbox_has_special_use(box, "\\Sent"))
		return HELPDESK_BOX_SENT;
	return HELPDESK_BOX_NONE;
}

void helpdesk_mailbox_allocated(struct mailbox *box)
{
	struct helpdesk_user *huser = HELPDESK_USER_CONTEXT(box->storage->user);
	struct mailbox_vfuncs *v = box->vlast;
	struct helpdesk_mailbox *hbox;
	enum helpdesk_box_kind kind;

	if (huser == NULL)
		return;
	if (box->inbox_user && !huser->delivery) {
		/* an agent's METADATA says away or back */
		helpdesk_availability_mailbox_allocated(box);
		/* and reads the game's stats */
		helpdesk_game_mailbox_allocated(box, FALSE);
	}
	kind = helpdesk_box_kind(huser, box);
	if (kind == HELPDESK_BOX_NONE)
		return;
	if (kind == HELPDESK_BOX_QUEUE && !huser->delivery)
		helpdesk_game_mailbox_allocated(box, TRUE);
	if (kind == HELPDESK_BOX_VIEW) {
		helpdesk_view_mailbox_allocated(box);
		return;
	}
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

	switch (kind) {
	case HELPDESK_BOX_QUEUE:
		v->open = helpdesk_queue_open;
		v->copy = helpdesk_save_copy;
		v->save_begin = helpdesk_save_begin;
		v->save_finish = helpdesk_save_finish;
		v->transaction_begin = helpdesk_transaction_begin;
		v->transaction_commit = helpdesk_queue_commit;
		v->transaction_rollback = helpdesk_transaction_rollback;
		v->free = helpdesk_mailbox_free;
		break;
	case HELPDESK_BOX_RESOLVED:
		v->copy = helpdesk_save_resolved_copy;
		v->transaction_begin = helpdesk_transaction_begin;
		v->transaction_commit = helpdesk_resolved_commit;
		v->transaction_rollback = helpdesk_transaction_rollback;
		break;
	case HELPDESK_BOX_SENT:
		v->transaction_commit = helpdesk_sent_commit;
		break;
	case HELPDESK_BOX_NONE:
	case HELPDESK_BOX_VIEW:
		i_unreached();
	}
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
