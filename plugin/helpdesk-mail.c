/* Copyright (c) 2026 dovecot-helpdesk authors, see the included COPYING file */

/* The mail override of queue messages: turns an agent's keyword change
   into a request judged at the commit, and passes only the foreign part
   of it on. Judging against the store, not the session's view, is what
   keeps a STORE from a stale view from skipping a check or splitting the
   mailbox from the store: Dovecot applies +FLAGS/-FLAGS to the record as
   it is now, whatever the session last saw. */

#include "lib.h"
#include "array.h"
#include "str.h"
#include "strnum.h"
#include "ioloop.h"
#include "mail-storage-private.h"
#include "helpdesk-plugin.h"
#include "helpdesk-rewrite.h"
#include "helpdesk-storage-private.h"
#include "helpdesk-ticket-sync.h"
#include "helpdesk-mail.h"

#define HELPDESK_MAIL_CONTEXT(obj) \
	MODULE_CONTEXT_REQUIRE(obj, helpdesk_mail_module)

static MODULE_CONTEXT_DEFINE_INIT(helpdesk_mail_module, &mail_module_register);

/* How long the first half of a rewrite waits for its second when the
   IMAP side does not count commands (no imap_helpdesk) */
#define HELPDESK_REWRITE_WAIT_SECS 10

/* The first half of a client's whole-set rewrite of one message: the
   keywords it removed (the helpdesk's, and the client's own, which are
   removed only with the second half), waiting for the +FLAGS with the new
   set in the session's next command. */
struct helpdesk_rewrite_half {
	uint32_t uid;
	const char *const *removed;
	const char *const *removed_foreign;
};

struct helpdesk_rewrite_set {
	pool_t pool;
	const char *box_vname;
	/* the session's command (or the time) of the first halves */
	unsigned int command;
	time_t created;
	ARRAY(struct helpdesk_rewrite_half) halves;
};

uint64_t helpdesk_mail_ticket(struct mail *mail)
{
	const char *value;
	uint64_t ticket;

	if (mail_get_first_header(mail, HELPDESK_TICKET_HEADER, &value) <= 0 ||
	    str_to_uint64(t_str_trim(value, " \t"), &ticket) < 0)
		return 0;
	return ticket;
}

void helpdesk_mail_rewrites_free(struct helpdesk_rewrite_set **_set)
{
	struct helpdesk_rewrite_set *set = *_set;

	if (set == NULL)
		return;
	*_set = NULL;
	pool_unref(&set->pool);
}

void helpdesk_mail_rewrites_commit(struct helpdesk_user *huser,
				   struct helpdesk_transaction *ht)
{
	helpdesk_mail_rewrites_free(&huser->rewrites);
	huser->rewrites = ht->rewrites;
	ht->rewrites = NULL;
	if (huser->rewrites != NULL) {
		huser->rewrites->command = huser->command_count;
		huser->rewrites->created = ioloop_time;
	}
}

static void
helpdesk_mail_rewrite_start(struct helpdesk_transaction *ht, struct mail *mail,
			    const char *const *removed,
			    const char *const *removed_foreign)
{
	struct helpdesk_rewrite_set *set = ht->rewrites;
	struct helpdesk_rewrite_half *half;
	pool_t pool;

	if (set == NULL) {
		pool = pool_alloconly_create("helpdesk rewrites", 512);
		set = p_new(pool, struct helpdesk_rewrite_set, 1);
		set->pool = pool;
		set->box_vname = p_strdup(pool, mail->box->vname);
		p_array_init(&set->halves, pool, 4);
		ht->rewrites = set;
	}
	half = array_append_space(&set->halves);
	half->uid = mail->uid;
	half->removed = p_strarray_dup(set->pool, removed);
	half->removed_foreign = p_strarray_dup(set->pool, removed_foreign);
}

/* The session's pending first half of a rewrite of this message
   (consumed), or NULL. It pairs only with the session's next command
   (without imap_helpdesk counting commands: within a few seconds): a
   first half left alone (neomutt clearing every tag sends no second) is
   dropped, and nothing of it is applied. */
static const struct helpdesk_rewrite_half *
helpdesk_mail_rewrite_take(struct helpdesk_user *huser, struct mail *mail)
{
	struct helpdesk_rewrite_set *set = huser->rewrites;
	struct helpdesk_rewrite_half *half;

	if (set == NULL || strcmp(set->box_vname, mail->box->vname) != 0)
		return NULL;
	if (huser->command_count != 0 ?
	    huser->command_count != set->command + 1 :
	    ioloop_time - set->created > HELPDESK_REWRITE_WAIT_SECS)
		return NULL;
	array_foreach_modifiable(&set->halves, half) {
		if (half->uid == mail->uid) {
			half->uid = 0;
			return half;
		}
	}
	return NULL;
}

/* names minus the ones in minus (data stack). */
static const char *const *
helpdesk_mail_names_without(const char *const *names,
			    const char *const *minus)
{
	ARRAY_TYPE(const_string) list;

	t_array_init(&list, 8);
	for (; *names != NULL; names++) {
		if (!str_array_find(minus, *names))
			array_push_back(&list, names);
	}
	array_append_zero(&list);
	return array_front(&list);
}

/* Record one message's change of helpdesk keywords for the commit. */
static void
helpdesk_mail_change_record(struct helpdesk_transaction *ht, struct mail *mail,
	      enum helpdesk_change_mode mode, const char *const *added,
	      const char *const *removed, const char *const *current)
{
	struct helpdesk_mail_change *mc;

	if (*added == NULL && *removed == NULL)
		return;
	mc = array_append_space(&ht->changes);
	mc->ticket = helpdesk_mail_ticket(mail);
	mc->change.mode = mode;
	mc->change.uid = mail->uid;
	mc->change.added = p_strarray_dup(ht->pool, added);
	mc->change.removed = p_strarray_dup(ht->pool, removed);
	mc->change.current = p_strarray_dup(ht->pool, current);
}

/* Split names into the helpdesk's (*ours_r) and the rest (*foreign_r,
   which also gets the helpdesk-prefixed names that are no protocol
   keyword when keep_unknown: a client may remove such leftovers). */
static void
helpdesk_mail_names_split(const char *prefix, const char *const *names,
			  bool keep_unknown,
	    const char *const **ours_r, const char *const **foreign_r)
{
	ARRAY_TYPE(const_string) ours, foreign;
	enum helpdesk_kw_class kw_class;
	const char *arg;

	t_array_init(&ours, 8);
	t_array_init(&foreign, 8);
	for (; *names != NULL; names++) {
		kw_class = helpdesk_keyword_classify(prefix, *names, &arg);
		if (kw_class == HELPDESK_KW_CLASS_FOREIGN ||
		    (kw_class == HELPDESK_KW_CLASS_UNKNOWN && keep_unknown))
			array_push_back(&foreign, names);
		if (kw_class != HELPDESK_KW_CLASS_FOREIGN)
			array_push_back(&ours, names);
	}
	array_append_zero(&ours);
	array_append_zero(&foreign);
	*ours_r = array_front(&ours);
	*foreign_r = array_front(&foreign);
}

static const char *const *
helpdesk_mail_keywords_names(struct mail *mail,
			     const struct mail_keywords *keywords)
{
	const ARRAY_TYPE(keywords) *names =
		mail_index_get_keywords(mail->box->index);
	ARRAY_TYPE(const_string) list;
	const char *name;
	unsigned int i;

	t_array_init(&list, keywords->count + 1);
	for (i = 0; i < keywords->count; i++) {
		name = array_idx_elem(names, keywords->idx[i]);
		array_push_back(&list, &name);
	}
	array_append_zero(&list);
	return array_front(&list);
}

/* Every keyword of the mailbox that a replacing change drops and that is
   not the helpdesk's: removing one the message lacks changes nothing. */
static const char *const *
helpdesk_mail_foreign_dropped(struct mail *mail, const char *prefix,
			   const char *const *kept)
{
	const ARRAY_TYPE(keywords) *all =
		mail_index_get_keywords(mail->box->index);
	ARRAY_TYPE(const_string) list;
	const char *name, *arg;

	t_array_init(&list, 8);
	array_foreach_elem(all, name) {
		switch (helpdesk_keyword_classify(prefix, name, &arg)) {
		case HELPDESK_KW_CLASS_FOREIGN:
		case HELPDESK_KW_CLASS_UNKNOWN:
			if (!str_array_find(kept, name))
				array_push_back(&list, &name);
			break;
		default:
			break;
		}
	}
	array_append_zero(&list);
	return array_front(&list);
}

static void
helpdesk_mail_update_names(struct mail *mail, union mail_module_context *hmail,
		  enum modify_type modify_type, const char *const *names)
{
	struct mail_keywords *kw;

	if (*names == NULL)
		return;
	kw = mailbox_keywords_create_valid(mail->box, names);
	hmail->super.update_keywords(mail, modify_type, kw);
	mailbox_keywords_unref(&kw);
}

static void
helpdesk_mail_keywords_change(struct helpdesk_user *huser,
			      struct helpdesk_transaction *ht,
		struct mail *mail, union mail_module_context *hmail,
		enum modify_type modify_type, struct mail_keywords *keywords)
{
	const char *prefix = huser->set.keyword_prefix;
	const char *const *names = helpdesk_mail_keywords_names(mail, keywords);
	const char *const *current = mail_get_keywords(mail);
	const struct helpdesk_rewrite_half *half;
	const char *const *ours, *const *foreign, *const *cur_ours;
	const char *const *cur_foreign, *const *none;

	none = t_new(const char *, 1);
	helpdesk_mail_names_split(prefix, names, modify_type == MODIFY_REMOVE,
		    &ours, &foreign);
	switch (modify_type) {
	case MODIFY_ADD:
		half = helpdesk_mail_rewrite_take(huser, mail);
		if (half == NULL) {
			if (*ours != NULL) {
				helpdesk_mail_change_record(ht, mail,
					HELPDESK_CHANGE_EXPLICIT, ours, none,
					current);
			}
			helpdesk_mail_update_names(mail, hmail, MODIFY_ADD,
						   foreign);
			break;
		}
		/* the second half: the difference between what the client
		   removed and what it adds, its own keywords too */
		helpdesk_mail_change_record(ht, mail, HELPDESK_CHANGE_REWRITE,
			helpdesk_mail_names_without(ours, half->removed),
			helpdesk_mail_names_without(half->removed, ours),
			current);
		helpdesk_mail_update_names(mail, hmail, MODIFY_REMOVE,
			helpdesk_mail_names_without(half->removed_foreign,
						    foreign));
		helpdesk_mail_update_names(mail, hmail, MODIFY_ADD, foreign);
		break;
	case MODIFY_REMOVE:
		if (*ours == NULL)
			;
		else if (helpdesk_request_is_rewrite_start(prefix, ours,
							    current)) {
			/* nothing yet, the client's own keywords neither:
			   a refused second half must leave them */
			helpdesk_mail_rewrite_start(ht, mail, ours, foreign);
			helpdesk_uids_add_unique(&ht->notice_uids, mail->uid);
			break;
		} else {
			helpdesk_mail_change_record(ht, mail,
				HELPDESK_CHANGE_EXPLICIT, none, ours, current);
		}
		helpdesk_mail_update_names(mail, hmail, MODIFY_REMOVE,
					   foreign);
		break;
	case MODIFY_REPLACE:
		/* a rewrite against what the session shows, never passed on
		   as a replace (the record may hold newer helpdesk state).
		   Only what it adds is asked for: clients that mark a message
		   read with STORE FLAGS (\\Seen) know nothing of keywords, and
		   must not unclaim or reopen a ticket by leaving them out. */
		helpdesk_mail_names_split(prefix, current, FALSE, &cur_ours,
					  &cur_foreign);
		helpdesk_mail_change_record(ht, mail, HELPDESK_CHANGE_REWRITE,
			helpdesk_mail_names_without(ours, cur_ours), none,
			current);
		helpdesk_mail_update_names(mail, hmail, MODIFY_REMOVE,
			helpdesk_mail_foreign_dropped(mail, prefix, foreign));
		helpdesk_mail_update_names(mail, hmail, MODIFY_ADD, foreign);
		break;
	}
}

static void
helpdesk_mail_update_keywords(struct mail *_mail, enum modify_type modify_type,
			      struct mail_keywords *keywords)
{
	struct mail_private *mail = (struct mail_private *)_mail;
	union mail_module_context *hmail = HELPDESK_MAIL_CONTEXT(mail);
	struct helpdesk_transaction *ht =
		helpdesk_transaction_get(_mail->transaction);
	struct helpdesk_user *huser =
		HELPDESK_USER_CONTEXT(_mail->box->storage->user);

	/* the plugin's own changes (reconcile too) and replication's are
	   not an agent's actions */
	if (ht == NULL || huser == NULL || keywords == NULL ||
	    ht->internal || ht->reconciling ||
	    (_mail->transaction->flags & MAILBOX_TRANSACTION_FLAG_SYNC) != 0) {
		hmail->super.update_keywords(_mail, modify_type, keywords);
		return;
	}
	ht->keyword_changes = TRUE;
	T_BEGIN {
		helpdesk_mail_keywords_change(huser, ht, _mail, hmail,
					      modify_type, keywords);
	} T_END;
}

void helpdesk_mail_queue_allocated(struct mail *_mail)
{
	struct mail_private *mail = (struct mail_private *)_mail;
	struct mail_vfuncs *v = mail->vlast;
	union mail_module_context *hmail;

	hmail = p_new(mail->pool, union mail_module_context, 1);
	hmail->super = *v;
	mail->vlast = &hmail->super;
	v->update_keywords = helpdesk_mail_update_keywords;
	MODULE_CONTEXT_SET_SELF(mail, helpdesk_mail_module, hmail);
}
