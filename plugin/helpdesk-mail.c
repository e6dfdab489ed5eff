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
#include "mail-storage-private.h"
#include "helpdesk-plugin.h"
#include "helpdesk-storage.h"
#include "helpdesk-mail.h"

#define HELPDESK_MAIL_CONTEXT(obj) \
	MODULE_CONTEXT_REQUIRE(obj, helpdesk_mail_module)

static MODULE_CONTEXT_DEFINE_INIT(helpdesk_mail_module, &mail_module_register);

/* The first half of a client's whole-set rewrite of one message: the
   keywords it removed, waiting for the +FLAGS with the new set. */
struct helpdesk_rewrite {
	uint32_t uid;
	const char *const *removed;
};

struct helpdesk_rewrite_set {
	pool_t pool;
	const char *box_vname;
	ARRAY(struct helpdesk_rewrite) rewrites;
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
}

static void
rewrite_start(struct helpdesk_transaction *ht, struct mail *mail,
	      const char *const *removed)
{
	struct helpdesk_rewrite_set *set = ht->rewrites;
	struct helpdesk_rewrite *rw;
	pool_t pool;

	if (set == NULL) {
		pool = pool_alloconly_create("helpdesk rewrites", 512);
		set = p_new(pool, struct helpdesk_rewrite_set, 1);
		set->pool = pool;
		set->box_vname = p_strdup(pool, mail->box->vname);
		p_array_init(&set->rewrites, pool, 4);
		ht->rewrites = set;
	} else if (strcmp(set->box_vname, mail->box->vname) != 0) {
		/* one STORE is on one mailbox */
		return;
	}
	rw = array_append_space(&set->rewrites);
	rw->uid = mail->uid;
	rw->removed = p_strarray_dup(set->pool, removed);
}

/* The removed keywords of the session's pending rewrite of this message
   (consumed), or NULL. */
static const char *const *
rewrite_take(struct helpdesk_user *huser, struct mail *mail)
{
	struct helpdesk_rewrite *rw;

	if (huser->rewrites == NULL ||
	    strcmp(huser->rewrites->box_vname, mail->box->vname) != 0)
		return NULL;
	array_foreach_modifiable(&huser->rewrites->rewrites, rw) {
		if (rw->uid == mail->uid) {
			rw->uid = 0;
			return rw->removed;
		}
	}
	return NULL;
}

/* names minus the ones in minus (data stack). */
static const char *const *
names_without(const char *const *names, const char *const *minus)
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

static const char *const *names_dup(pool_t pool, const char *const *names)
{
	return p_strarray_dup(pool, names);
}

/* Record one message's change of helpdesk keywords for the commit. */
static void
change_record(struct helpdesk_transaction *ht, struct mail *mail,
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
	mc->change.added = names_dup(ht->pool, added);
	mc->change.removed = names_dup(ht->pool, removed);
	mc->change.current = names_dup(ht->pool, current);
}

/* Split names into the helpdesk's (*ours_r) and the rest (*foreign_r,
   which also gets the helpdesk-prefixed names that are no protocol
   keyword when keep_unknown: a client may remove such leftovers). */
static void
names_split(const char *prefix, const char *const *names, bool keep_unknown,
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
keywords_names(struct mail *mail, const struct mail_keywords *keywords)
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
foreign_dropped_by_replace(struct mail *mail, const char *prefix,
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
mail_update_names(struct mail *mail, union mail_module_context *hmail,
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
keywords_change(struct helpdesk_user *huser, struct helpdesk_transaction *ht,
		struct mail *mail, union mail_module_context *hmail,
		enum modify_type modify_type, struct mail_keywords *keywords)
{
	const char *prefix = huser->set.keyword_prefix;
	const char *const *names = keywords_names(mail, keywords);
	const char *const *current = mail_get_keywords(mail);
	const char *const *ours, *const *foreign, *const *cur_ours;
	const char *const *cur_foreign, *const *removed, *const *none;

	none = t_new(const char *, 1);
	names_split(prefix, names, modify_type == MODIFY_REMOVE,
		    &ours, &foreign);
	switch (modify_type) {
	case MODIFY_ADD:
		if (*ours != NULL) {
			removed = rewrite_take(huser, mail);
			if (removed == NULL) {
				change_record(ht, mail,
					      HELPDESK_CHANGE_EXPLICIT, ours,
					      none, current);
			} else {
				/* the second half: the difference between
				   what the client removed and what it adds */
				change_record(ht, mail,
					      HELPDESK_CHANGE_REWRITE,
					      names_without(ours, removed),
					      names_without(removed, ours),
					      current);
			}
		}
		mail_update_names(mail, hmail, MODIFY_ADD, foreign);
		break;
	case MODIFY_REMOVE:
		if (*ours == NULL)
			;
		else if (helpdesk_request_is_rewrite_start(prefix, ours,
							    current))
			rewrite_start(ht, mail, ours);
		else {
			change_record(ht, mail, HELPDESK_CHANGE_EXPLICIT,
				      none, ours, current);
		}
		mail_update_names(mail, hmail, MODIFY_REMOVE, foreign);
		break;
	case MODIFY_REPLACE:
		/* a rewrite against what the session shows, never passed on
		   as a replace (the record may hold newer helpdesk state).
		   Only what it adds is asked for: clients that mark a message
		   read with STORE FLAGS (\\Seen) know nothing of keywords, and
		   must not unclaim or reopen a ticket by leaving them out. */
		names_split(prefix, current, FALSE, &cur_ours, &cur_foreign);
		change_record(ht, mail, HELPDESK_CHANGE_REWRITE,
			      names_without(ours, cur_ours), none, current);
		mail_update_names(mail, hmail, MODIFY_REMOVE,
			foreign_dropped_by_replace(mail, prefix, foreign));
		mail_update_names(mail, hmail, MODIFY_ADD, foreign);
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
		keywords_change(huser, ht, _mail, hmail, modify_type,
				keywords);
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
