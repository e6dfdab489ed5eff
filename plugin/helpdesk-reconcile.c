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
#include "file-lock.h"
#include "helpdesk-plugin.h"
#include "helpdesk-intake.h"
#include "helpdesk-rewrite.h"
#include "helpdesk-storage-private.h"
#include "helpdesk-save.h"
#include "helpdesk-store.h"
#include "helpdesk-tag.h"
#include "message-address.h"
#include "strnum.h"
#include "str.h"

#define HELPDESK_RECONCILE_LOCK_FNAME "dovecot-helpdesk-reconcile.lock"
/* doveadm waits this long for a reconcile running elsewhere */
#define HELPDESK_RECONCILE_LOCK_SECS 60

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
	struct mail_keywords *kw;
	int ret;

	intake = helpdesk_intake_run(huser, t->box, mail,
				     mail_get_keywords(mail), ht->pool);
	if (intake->pending)
		return 0;

	kw = mailbox_keywords_create_valid(box, intake->keywords);
	if (intake->ticket == 0) {
		/* auto mail without a ticket: only the keywords change */
		mail_update_keywords(mail, MODIFY_REPLACE, kw);
		mailbox_keywords_unref(&kw);
		return 1;
	}

	ret = helpdesk_save_reconciled(t, mail, intake, kw, error_r);
	mailbox_keywords_unref(&kw);
	if (ret < 0)
		return -1;
	mail_expunge(mail);
	return 1;
}

static int
reconcile_locked(struct helpdesk_user *huser, struct mailbox *box,
		 unsigned int max_messages, unsigned int *left_r,
		 const char **error_r)
{
	struct mailbox_transaction_context *t;
	struct helpdesk_transaction *ht;
	struct mail *mail;
	ARRAY_TYPE(uint32_t) uids;
	const uint32_t *uidp;
	unsigned int done = 0, count;
	int ret = 0, ret2;

	/* see what the previous lock holder expunged */
	if (mailbox_sync(box, 0) < 0) {
		*error_r = mailbox_get_last_internal_error(box, NULL);
		return -1;
	}
	t = helpdesk_save_reconcile_begin(box);
	ht = helpdesk_transaction_get(t);

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
	e_info(event_create_passthrough(huser->event)->
	       set_name("helpdesk_reconciled")->
	       add_int("reconciled", done)->add_int("pending", *left_r)->
	       event(), "reconciled %u pending message(s) in %s, %u left",
	       done, mailbox_get_vname(box), *left_r);
	return (int)done;
}

int helpdesk_reconcile_mailbox(struct mailbox *box, unsigned int max_messages,
			       unsigned int lock_secs, unsigned int *left_r,
			       const char **error_r)
{
	struct helpdesk_user *huser = HELPDESK_USER_CONTEXT(box->storage->user);
	struct file_lock *lock;
	const char *error;
	int ret;

	*left_r = 0;
	if (huser == NULL) {
		*error_r = "the helpdesk plugin is not active for this user";
		return -1;
	}
	if (mailbox_open(box) < 0) {
		*error_r = mailbox_get_last_internal_error(box, NULL);
		return -1;
	}
	/* Two processes reconciling the same pending message would both save
	   it again: one reconciler per queue at a time. */
	ret = mailbox_lock_file_create(box, HELPDESK_RECONCILE_LOCK_FNAME,
				       lock_secs, &lock, &error);
	if (ret < 0) {
		*error_r = error;
		return -1;
	}
	if (ret == 0) {
		if (lock_secs == 0) {
			/* another process is at it right now */
			return 0;
		}
		*error_r = t_strdup_printf("another reconcile of %s is still "
					   "running (%s)",
					   mailbox_get_vname(box), error);
		return -1;
	}
	ret = reconcile_locked(huser, box, max_messages, left_r, error_r);
	file_lock_free(&lock);
	return ret;
}

/* The ticket's state as its message's keywords show it. */
static void
reconcile_row_from_keywords(const struct helpdesk_settings *set,
			    const char *const *keywords,
			    struct helpdesk_ticket_row *row)
{
	enum helpdesk_ticket_status status;
	unsigned int tier;
	const char *arg;

	for (; *keywords != NULL; keywords++) {
		switch (helpdesk_keyword_classify(set->keyword_prefix,
						  *keywords, &arg)) {
		case HELPDESK_KW_CLASS_STATUS:
			/* several (a damaged queue): the furthest along */
			if (helpdesk_status_parse(arg, &status) &&
			    status > row->status)
				row->status = status;
			break;
		case HELPDESK_KW_CLASS_PRIORITY:
			row->priority = arg;
			break;
		case HELPDESK_KW_CLASS_TEAM:
			row->team = arg;
			break;
		case HELPDESK_KW_CLASS_OWNER:
			row->owner = arg;
			break;
		case HELPDESK_KW_CLASS_TIER:
			if (str_to_uint(arg, &tier) == 0 && tier > row->tier)
				row->tier = tier;
			break;
		case HELPDESK_KW_CLASS_VIP:
			row->vip = TRUE;
			break;
		default:
			break;
		}
	}
}

/* Adopt one queue message that carries a ticket header into a rebuilt
   store. Returns 1 when adopted, 0 when it has no ticket header. */
static int
reconcile_rebuild_one(struct helpdesk_user *huser,
		      struct helpdesk_store *store, struct mail *mail,
		      const char *guid, const char **error_r)
{
	const struct helpdesk_settings *set = &huser->set;
	struct helpdesk_store_message msg;
	struct helpdesk_ticket_row row;
	const char *value, *key, *subject, *from, *const *keywords, *tag;
	struct message_address *addr;
	time_t received;
	uint64_t ticket;

	if (mail_get_first_header(mail, HELPDESK_TICKET_HEADER, &value) <= 0)
		return 0;
	if (str_to_uint64(t_str_trim(value, " \t"), &ticket) < 0 ||
	    ticket == 0 || ticket > HELPDESK_TICKET_MAX)
		return 0;
	if (helpdesk_message_key(mail, &key) < 0 ||
	    mail_get_first_header_utf8(mail, "Subject", &subject) < 0 ||
	    mail_get_first_header(mail, "From", &from) < 0 ||
	    mail_get_received_date(mail, &received) < 0) {
		*error_r = mailbox_get_last_internal_error(mail->box, NULL);
		return -1;
	}
	keywords = mail_get_keywords(mail);

	i_zero(&row);
	row.id = ticket;
	row.created = received;
	row.status = HELPDESK_STATUS_NEW;
	row.tier = HELPDESK_TIER_MIN;
	reconcile_row_from_keywords(set, keywords, &row);
	/* the subject as the customer wrote it, without our tag */
	tag = t_strconcat(helpdesk_tag_format(ticket), " ", NULL);
	if (subject != NULL && str_begins(subject, tag))
		subject += strlen(tag);
	row.subject = subject == NULL ? "" : t_strndup(subject, 400);
	addr = from == NULL ? NULL :
		message_address_parse(pool_datastack_create(),
				      (const unsigned char *)from,
				      strlen(from), 1, 0);
	row.requester = addr == NULL || addr->mailbox == NULL ||
		addr->domain == NULL ? "" :
		t_str_lcase(t_strconcat(addr->mailbox, "@", addr->domain,
					NULL));

	if (helpdesk_store_adopt_ticket(store, &row, key, error_r) < 0)
		return -1;
	i_zero(&msg);
	msg.key = key;
	msg.ticket = ticket;
	msg.sender = row.requester;
	msg.subject = row.subject;
	msg.kind = "customer";
	msg.now = received;
	if (helpdesk_store_record_message(store, &msg, &ticket, NULL, NULL,
					  error_r) < 0)
		return -1;
	helpdesk_store_set_location(store, key, guid, mail->uid);
	return 1;
}

/* The store was lost and has just been created again: adopt the tickets
   the queue's messages still name, so that no number is handed out twice. */
static int
reconcile_rebuild(struct helpdesk_user *huser, struct helpdesk_store *store,
		  struct mailbox *box, unsigned int *adopted_r,
		  const char **error_r)
{
	struct mailbox_transaction_context *t;
	struct mail_search_args *args;
	struct mail_search_context *ctx;
	struct mailbox_metadata metadata;
	struct mail *mail;
	int ret = 0, ret2;

	if (mailbox_sync(box, 0) < 0 ||
	    mailbox_get_metadata(box, MAILBOX_METADATA_GUID, &metadata) < 0) {
		*error_r = mailbox_get_last_internal_error(box, NULL);
		return -1;
	}
	t = mailbox_transaction_begin(box, 0, "helpdesk rebuild");
	args = mail_search_build_init();
	mail_search_build_add_all(args);
	ctx = mailbox_search_init(t, args, NULL, 0, NULL);
	mail_search_args_unref(&args);
	while (ret == 0 && mailbox_search_next(ctx, &mail)) {
		char *error = NULL;

		T_BEGIN {
			const char *err;

			ret2 = reconcile_rebuild_one(huser, store, mail,
				guid_128_to_string(metadata.guid), &err);
			if (ret2 < 0)
				error = i_strdup(err);
		} T_END;
		if (ret2 < 0) {
			*error_r = t_strdup(error);
			i_free(error);
			ret = -1;
		} else {
			*adopted_r += (unsigned int)ret2;
		}
	}
	if (mailbox_search_deinit(&ctx) < 0 && ret == 0) {
		*error_r = mailbox_get_last_internal_error(box, NULL);
		ret = -1;
	}
	(void)mailbox_transaction_commit(&t);
	if (ret == 0 && (helpdesk_store_flush(store, error_r) < 0 ||
			 helpdesk_store_sync_sequence(store, error_r) < 0))
		ret = -1;
	return ret;
}

int helpdesk_reconcile_user(struct mail_user *user,
			    unsigned int *queues_r, unsigned int *rebuilt_r,
			    unsigned int *done_r, unsigned int *left_r,
			    const char **error_r)
{
	struct helpdesk_user *huser = HELPDESK_USER_CONTEXT(user);
	struct helpdesk_store *store;
	const char *const *queues, *const *queue;
	struct mail_namespace *ns;
	struct mailbox *box;
	unsigned int left;
	bool created;
	int ret = 0, n;

	*queues_r = *rebuilt_r = *done_r = *left_r = 0;
	if (huser == NULL) {
		/* no helpdesk_queue for this user: nothing to do */
		return 0;
	}
	queues = helpdesk_user_queues(user, huser);
	*queues_r = str_array_length(queues);
	if (*queues == NULL)
		return 0;
	/* reconcile may create a lost store: it rebuilds it from the queue */
	store = helpdesk_user_store(huser, TRUE, &created, error_r);
	if (store == NULL) {
		*error_r = t_strdup_printf("store %s unavailable: %s",
					   huser->set.db, *error_r);
		return -1;
	}
	for (queue = queues; *queue != NULL && ret == 0; queue++) {
		ns = mail_namespace_find(user->namespaces, *queue);
		box = mailbox_alloc(ns->list, *queue, 0);
		if (created &&
		    reconcile_rebuild(huser, store, box, rebuilt_r,
				      error_r) < 0) {
			*error_r = t_strdup_printf("%s: rebuilding the store "
						   "failed: %s", *queue,
						   *error_r);
			mailbox_free(&box);
			ret = -1;
			break;
		}
		do {
			n = helpdesk_reconcile_mailbox(box, 0,
					HELPDESK_RECONCILE_LOCK_SECS, &left,
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
	if (created) {
		e_info(huser->event, "store %s was created by reconcile: "
		       "%u queue message(s) of earlier tickets adopted",
		       huser->set.db, *rebuilt_r);
	}
	return ret;
}
