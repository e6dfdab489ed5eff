/* Copyright (c) 2026 dovecot-helpdesk authors, see the included COPYING file */

#include "lib.h"
#include "ioloop.h"
#include "array.h"
#include "mail-user.h"
#include "mail-namespace.h"
#include "mail-storage-private.h"
#include "mail-storage-hooks.h"
#include "helpdesk-plugin.h"
#include "helpdesk-store.h"
#include "helpdesk-storage.h"
#include "helpdesk-views.h"
#include "helpdesk-mail.h"
#include "helpdesk-subscribe.h"

/* How often a delivering process looks for pending messages even when it
   saw no outage itself (another process may have). */
#define HELPDESK_RECONCILE_INTERVAL_SECS 300

const char *helpdesk_plugin_version = DOVECOT_ABI_VERSION;
/* (the plugin hooks lib-storage directly: it needs no other plugin) */
const char *helpdesk_plugin_dependencies[] = { NULL };

struct event_category event_category_helpdesk = {
	.name = "helpdesk",
};

struct helpdesk_user_module helpdesk_user_module =
	MODULE_CONTEXT_INIT(&mail_user_module_register);

/* One store per process: an LMTP process delivers for many users in turn
   and opening the database for each would cost more than the delivery. */
static struct helpdesk_store *helpdesk_store = NULL;
/* Parent event of the process-wide store: it outlives every user, so it
   must not hang off a user's event. */
static struct event *helpdesk_process_event = NULL;
static char *helpdesk_store_dsn = NULL;
static bool helpdesk_store_failing = FALSE;
static bool helpdesk_store_came_back = FALSE;
static time_t helpdesk_last_reconcile = 0;
static struct timeout *helpdesk_to_flush = NULL;

/* How long saved messages' UIDs may wait for the next write transaction */
#define HELPDESK_FLUSH_MSECS 1000

static const char *helpdesk_user_getenv(const char *name, void *context)
{
	struct mail_user *user = context;

	return mail_user_plugin_getenv(user, name);
}

struct helpdesk_store *helpdesk_user_store(struct helpdesk_user *huser,
					   bool may_create,
					   bool *created_r,
					   const char **error_r)
{
	bool created;

	const char *moduledir;

	if (helpdesk_store != NULL &&
	    (strcmp(helpdesk_store_dsn, huser->set.db) != 0 ||
	     helpdesk_store_replaced(helpdesk_store))) {
		timeout_remove(&helpdesk_to_flush);
		helpdesk_store_deinit(&helpdesk_store);
		i_free(helpdesk_store_dsn);
	}
	if (helpdesk_store == NULL) {
		moduledir = huser->moduledir;
		if (helpdesk_store_init(huser->set.db, moduledir,
					helpdesk_process_event, &helpdesk_store,
					error_r) < 0)
			return NULL;
		helpdesk_store_dsn = i_strdup(huser->set.db);
	}
	if (helpdesk_store_check(helpdesk_store, may_create, &created,
				 error_r) < 0) {
		if (!may_create) {
			*error_r = t_strdup_printf("%s (a new store is only "
				"created for an empty queue, so that ticket "
				"numbers never start over: restore the store, "
				"or run 'doveadm helpdesk reconcile' to rebuild "
				"it from the queue)", *error_r);
		}
		return NULL;
	}
	if (created_r != NULL)
		*created_r = created;
	/* this user's SLA policy */
	helpdesk_store_set_sla(helpdesk_store, &huser->set);
	return helpdesk_store;
}

static void helpdesk_store_flush_timeout(void *context ATTR_UNUSED)
{
	const char *error;

	timeout_remove(&helpdesk_to_flush);
	if (helpdesk_store != NULL &&
	    helpdesk_store_flush(helpdesk_store, &error) < 0) {
		e_warning(helpdesk_process_event,
			  "recording message locations failed: %s", error);
	}
}

void helpdesk_store_flush_later(void)
{
	if (helpdesk_to_flush == NULL && current_ioloop != NULL) {
		helpdesk_to_flush = timeout_add(HELPDESK_FLUSH_MSECS,
						helpdesk_store_flush_timeout,
						NULL);
	}
}

void helpdesk_store_failed(struct helpdesk_user *huser, const char *error)
{
	if (!helpdesk_store_failing) {
		e_error(event_create_passthrough(huser->event)->
			set_name("helpdesk_store_unavailable")->
			add_str("error", error)->event(),
			"store %s unavailable, queue mail is delivered as "
			"%spending until it is back: %s", huser->set.db,
			huser->set.keyword_prefix, error);
		helpdesk_store_failing = TRUE;
	} else {
		e_debug(huser->event, "store still unavailable: %s", error);
	}
}

bool helpdesk_store_succeeded(struct helpdesk_user *huser)
{
	if (!helpdesk_store_failing)
		return FALSE;
	e_info(event_create_passthrough(huser->event)->
	       set_name("helpdesk_store_available")->event(),
	       "store %s is available again", huser->set.db);
	helpdesk_store_failing = FALSE;
	helpdesk_store_came_back = TRUE;
	return TRUE;
}

bool helpdesk_reconcile_due(struct helpdesk_user *huser ATTR_UNUSED)
{
	if (helpdesk_store_came_back ||
	    ioloop_time - helpdesk_last_reconcile >=
	    HELPDESK_RECONCILE_INTERVAL_SECS) {
		helpdesk_store_came_back = FALSE;
		helpdesk_last_reconcile = ioloop_time;
		return TRUE;
	}
	return FALSE;
}

const char *const *
helpdesk_user_queues(struct mail_user *user, struct helpdesk_user *huser)
{
	ARRAY_TYPE(const_string) queues;
	const char *const *queue;
	struct mail_namespace *ns;
	struct mailbox *box;
	enum mailbox_existence existence;

	t_array_init(&queues, 2);
	for (queue = huser->set.queues; *queue != NULL; queue++) {
		ns = mail_namespace_find(user->namespaces, *queue);
		if (ns == NULL)
			continue;
		box = mailbox_alloc(ns->list, *queue, 0);
		if (mailbox_exists(box, FALSE, &existence) == 0 &&
		    existence == MAILBOX_EXISTENCE_SELECT)
			array_push_back(&queues, queue);
		mailbox_free(&box);
	}
	array_append_zero(&queues);
	return array_front(&queues);
}

static void helpdesk_mail_user_deinit(struct mail_user *user)
{
	struct helpdesk_user *huser = HELPDESK_USER_CONTEXT(user);

	helpdesk_mail_rewrites_free(&huser->rewrites);
	/* the store outlives the user: not its settings */
	if (helpdesk_store != NULL)
		helpdesk_store_set_sla(helpdesk_store, NULL);
	event_unref(&huser->event);
	huser->module_ctx.super.deinit(user);
}

static void helpdesk_mail_user_created(struct mail_user *user)
{
	struct mail_user_vfuncs *v = user->vlast;
	struct helpdesk_user *huser;
	struct helpdesk_settings set;
	const char *error;
	int ret;

	ret = helpdesk_settings_parse(user->pool, helpdesk_user_getenv, user,
				      &set, &error);
	if (ret == 0) {
		e_debug(user->event, "helpdesk: helpdesk_queue not set, "
			"plugin inactive for this user");
		return;
	}
	if (ret < 0) {
		/* never fail the login or the delivery for our settings */
		e_error(user->event, "helpdesk: invalid settings, plugin "
			"disabled for this user: %s", error);
		return;
	}

	huser = p_new(user->pool, struct helpdesk_user, 1);
	huser->module_ctx.super = *v;
	user->vlast = &huser->module_ctx.super;
	v->deinit = helpdesk_mail_user_deinit;
	huser->set = set;
	huser->moduledir = p_strdup(user->pool, user->set->mail_plugin_dir);
	huser->event = event_create(user->event);
	event_add_category(huser->event, &event_category_helpdesk);
	event_set_append_log_prefix(huser->event, "helpdesk: ");
	if (set.sla_error != NULL) {
		/* mail flows and agents work; only the clocks stop */
		e_error(huser->event, "SLA clocks off for this user: %s",
			set.sla_error);
	}
	if (set.customer.ack_error != NULL) {
		e_error(huser->event, "acknowledgements off: %s",
			set.customer.ack_error);
	}
	if (set.customer.csat_error != NULL) {
		e_error(huser->event, "ratings off: %s",
			set.customer.csat_error);
	}
	huser->delivery = strcmp(user->service, "lmtp") == 0 ||
		strcmp(user->service, "lda") == 0 ||
		strcmp(user->service, "doveadm") == 0;
	MODULE_CONTEXT_SET(user, helpdesk_user_module, huser);
}

static void helpdesk_mail_namespaces_created(struct mail_namespace *namespaces)
{
	/* an agent's IMAP session: the views first, then the folders a
	   client lists (LSUB) are subscribed */
	helpdesk_views_namespaces_created(namespaces);
	helpdesk_subscribe_namespaces_created(namespaces);
}

static struct mail_storage_hooks helpdesk_mail_storage_hooks = {
	.mail_user_created = helpdesk_mail_user_created,
	.mail_namespaces_created = helpdesk_mail_namespaces_created,
	.mailbox_allocated = helpdesk_mailbox_allocated,
	.mail_allocated = helpdesk_mail_allocated,
};

void helpdesk_plugin_init(struct module *module)
{
	helpdesk_process_event = event_create(NULL);
	event_add_category(helpdesk_process_event, &event_category_helpdesk);
	event_set_append_log_prefix(helpdesk_process_event, "helpdesk: ");
	mail_storage_hooks_add(module, &helpdesk_mail_storage_hooks);
}

void helpdesk_plugin_deinit(void)
{
	mail_storage_hooks_remove(&helpdesk_mail_storage_hooks);
	timeout_remove(&helpdesk_to_flush);
	/* writes the pending locations */
	helpdesk_store_deinit(&helpdesk_store);
	i_free(helpdesk_store_dsn);
	helpdesk_store_drivers_deinit();
	event_unref(&helpdesk_process_event);
}
