/* Copyright (c) 2026 dovecot-helpdesk authors, see the included COPYING file */

/* An agent says "away" or "back" from the mail client (or the desktop
   notifier) with a private IMAP METADATA entry on the server or on INBOX:

     SETMETADATA "" (/private/vendor/dovecot-helpdesk/away "yes")
     SETMETADATA INBOX (/private/vendor/dovecot-helpdesk/away "no")

   The entry is the agent's hd_agents.away in the store (what `doveadm
   helpdesk agent away|back` sets and routing reads), not a copy: setting
   it writes the store, reading it reads the store, so both ways agree.
   NIL (unset) means back. */

#include "lib.h"
#include "istream.h"
#include "mail-storage-private.h"
#include "mailbox-attribute.h"
#include "helpdesk-plugin.h"
#include "helpdesk-store.h"
#include "helpdesk-availability.h"

#define HELPDESK_AVAILABILITY_KEY "vendor/dovecot-helpdesk/away"

#define HELPDESK_AVAILABILITY_CONTEXT(obj) \
	MODULE_CONTEXT_REQUIRE(obj, helpdesk_availability_module)

struct helpdesk_availability_mailbox {
	union mailbox_module_context module_ctx;
};

static MODULE_CONTEXT_DEFINE_INIT(helpdesk_availability_module,
				  &mail_storage_module_register);

/* TRUE for our entry, as server metadata (an INBOX attribute under
   Dovecot's pvt/server/ prefix) or as INBOX's own */
static bool availability_key_is_ours(enum mail_attribute_type type_flags,
				     const char *key)
{
	if ((type_flags & MAIL_ATTRIBUTE_TYPE_MASK) !=
	    MAIL_ATTRIBUTE_TYPE_PRIVATE)
		return FALSE;
	if (str_begins(key, MAILBOX_ATTRIBUTE_PREFIX_DOVECOT_PVT_SERVER))
		key += strlen(MAILBOX_ATTRIBUTE_PREFIX_DOVECOT_PVT_SERVER);
	return strcmp(key, HELPDESK_AVAILABILITY_KEY) == 0;
}

static int availability_set_error(struct mailbox *box, enum mail_error error,
				  const char *text)
{
	mail_storage_set_error(box->storage, error, text);
	return -1;
}

static int
availability_attribute_set(struct mailbox_transaction_context *t,
			   enum mail_attribute_type type_flags,
			   const char *key,
			   const struct mail_attribute_value *value)
{
	struct mailbox *box = t->box;
	struct helpdesk_availability_mailbox *abox =
		HELPDESK_AVAILABILITY_CONTEXT(box);
	struct mail_user *user = box->storage->user;
	struct helpdesk_user *huser = HELPDESK_USER_CONTEXT(user);
	struct helpdesk_store *store;
	const char *error;
	bool away, found;

	if (!availability_key_is_ours(type_flags, key)) {
		return abox->module_ctx.super.attribute_set(t, type_flags,
							     key, value);
	}
	if (value->value_stream != NULL) {
		return availability_set_error(box, MAIL_ERROR_PARAMS,
			"away: give yes or no as a short string");
	}
	if (value->value == NULL || strcmp(value->value, "no") == 0)
		away = FALSE;
	else if (strcmp(value->value, "yes") == 0)
		away = TRUE;
	else {
		return availability_set_error(box, MAIL_ERROR_PARAMS,
			"away: give yes or no");
	}
	store = helpdesk_user_store(huser, FALSE, NULL, &error);
	if (store == NULL ||
	    helpdesk_store_agent_set_away(store, user->username, away,
					  &found, &error) < 0) {
		helpdesk_store_failed(huser, error);
		return availability_set_error(box, MAIL_ERROR_TEMP,
			"The helpdesk store is unavailable, try again later");
	}
	(void)helpdesk_store_succeeded(huser);
	if (!found) {
		return availability_set_error(box, MAIL_ERROR_NOTFOUND,
			t_strdup_printf("%s is not a registered helpdesk "
					"agent", user->username));
	}
	e_info(huser->event, "%s is %s (from the mail client)",
	       user->username, away ? "away" : "back");
	return 0;
}

static int
availability_attribute_get(struct mailbox *box,
			   enum mail_attribute_type type_flags,
			   const char *key, struct mail_attribute_value *value_r)
{
	struct helpdesk_availability_mailbox *abox =
		HELPDESK_AVAILABILITY_CONTEXT(box);
	struct mail_user *user = box->storage->user;
	struct helpdesk_user *huser = HELPDESK_USER_CONTEXT(user);
	struct helpdesk_store *store;
	const char *error;
	bool away, found;

	if (!availability_key_is_ours(type_flags, key)) {
		return abox->module_ctx.super.attribute_get(box, type_flags,
							     key, value_r);
	}
	i_zero(value_r);
	store = helpdesk_user_store(huser, FALSE, NULL, &error);
	if (store == NULL ||
	    helpdesk_store_agent_get_away(store, user->username, &away,
					  &found, &error) < 0) {
		helpdesk_store_failed(huser, error);
		return availability_set_error(box, MAIL_ERROR_TEMP,
			"The helpdesk store is unavailable, try again later");
	}
	if (!found)
		return 0;
	value_r->value = away ? "yes" : "no";
	return 1;
}

void helpdesk_availability_mailbox_allocated(struct mailbox *box)
{
	struct mailbox_vfuncs *v = box->vlast;
	struct helpdesk_availability_mailbox *abox;

	abox = p_new(box->pool, struct helpdesk_availability_mailbox, 1);
	abox->module_ctx.super = *v;
	box->vlast = &abox->module_ctx.super;
	v->attribute_set = availability_attribute_set;
	v->attribute_get = availability_attribute_get;
	MODULE_CONTEXT_SET(box, helpdesk_availability_module, abox);
}
