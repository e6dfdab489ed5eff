/* Copyright (c) 2026 dovecot-helpdesk authors, see the included COPYING file */

/* The runtime of vnd.dovecot.helpdesk: the sender's address and the
   store's facts about an address, asked once per address and message. */

#include "lib.h"
#include "array.h"
#include "str-sanitize.h"
#include "message-address.h"
#include "mail-storage.h"
#include "sieve-common.h"
#include "sieve-execute.h"
#include "sieve-message.h"
#include "sieve-interpreter.h"
#include "sieve-runtime.h"
#include "sieve-runtime-trace.h"
#include "helpdesk-customer.h"
#include "ext-helpdesk-common.h"

/* Weak: this plugin is also loaded where the helpdesk mail plugin is not
   (sievec, sieve-test, managesieve), and scripts must compile there. NULL
   at run time: the tests are false, the variables empty. */
int helpdesk_customer_lookup(struct mail_user *user, const char *address,
			     pool_t pool,
			     struct helpdesk_customer_facts *facts_r,
			     const char **error_r) __attribute__((weak));

struct ext_helpdesk_entry {
	/* lower case */
	const char *address;
	/* FALSE: the store could not tell (logged) */
	bool known;
	struct helpdesk_customer_facts facts;
};

/* Per message, in the message context's pool: survives the scripts run
   for one delivery (sieve_before, the user's, sieve_after). */
struct ext_helpdesk_message {
	ARRAY(struct ext_helpdesk_entry) entries;
	/* the From: address (NULL: none) once sender_read */
	const char *sender;
	bool sender_read;
	/* the "not available" warning was logged */
	bool unavailable_logged;
};

static struct ext_helpdesk_message *
ext_helpdesk_message_get(const struct sieve_runtime_env *renv,
			 const struct sieve_extension *ext)
{
	struct ext_helpdesk_message *hmsg;
	pool_t pool;

	hmsg = (struct ext_helpdesk_message *)
		sieve_message_context_extension_get(renv->msgctx, ext);
	if (hmsg == NULL) {
		pool = sieve_message_context_pool(renv->msgctx);
		hmsg = p_new(pool, struct ext_helpdesk_message, 1);
		p_array_init(&hmsg->entries, pool, 4);
		sieve_message_context_extension_set(renv->msgctx, ext, hmsg);
	}
	return hmsg;
}

const char *ext_helpdesk_address_parse(const char *value)
{
	const struct message_address *addr;

	addr = message_address_parse(pool_datastack_create(),
				     (const unsigned char *)value,
				     strlen(value), 1, 0);
	if (addr == NULL || addr->invalid_syntax || addr->mailbox == NULL ||
	    addr->domain == NULL || *addr->mailbox == '\0' ||
	    *addr->domain == '\0')
		return NULL;
	return t_str_lcase(t_strconcat(addr->mailbox, "@", addr->domain,
				       NULL));
}

int ext_helpdesk_sender(const struct sieve_runtime_env *renv,
			const struct sieve_extension *ext,
			const char **address_r)
{
	struct ext_helpdesk_message *hmsg =
		ext_helpdesk_message_get(renv, ext);
	struct mail *mail;
	const char *value, *address;
	int ret;

	if (!hmsg->sender_read) {
		mail = sieve_message_get_mail(renv->msgctx);
		ret = mail_get_first_header(mail, "from", &value);
		if (ret < 0) {
			return sieve_runtime_mail_error(renv, mail,
				"helpdesk: failed to read the From header");
		}
		address = ret == 0 ? NULL : ext_helpdesk_address_parse(value);
		hmsg->sender = p_strdup(sieve_message_context_pool(renv->msgctx),
					address);
		hmsg->sender_read = TRUE;
	}
	*address_r = hmsg->sender;
	return SIEVE_EXEC_OK;
}

static void ext_helpdesk_lookup(const struct sieve_runtime_env *renv,
				struct ext_helpdesk_message *hmsg,
				struct ext_helpdesk_entry *entry)
{
	const struct sieve_execute_env *eenv = renv->exec_env;
	struct mail_user *user = eenv->scriptenv->user;
	const char *error;

	if (helpdesk_customer_lookup == NULL || user == NULL) {
		if (!hmsg->unavailable_logged) {
			e_warning(renv->event, "vnd.dovecot.helpdesk: "
				  "the helpdesk mail plugin is not loaded "
				  "in this process: the helpdesk tests are "
				  "false and its variables empty");
			hmsg->unavailable_logged = TRUE;
		}
		return;
	}
	if (helpdesk_customer_lookup(user, entry->address,
				     sieve_message_context_pool(renv->msgctx),
				     &entry->facts, &error) < 0) {
		/* the admin's problem, not the script author's: the
		   delivery goes on as if the store knew nothing */
		e_warning(renv->event, "vnd.dovecot.helpdesk: "
			  "looking up %s failed (the test is false): %s",
			  str_sanitize(entry->address, 128), error);
		i_zero(&entry->facts);
		return;
	}
	entry->known = TRUE;
}

int ext_helpdesk_facts(const struct sieve_runtime_env *renv,
		       const struct sieve_extension *ext, const char *address,
		       const struct helpdesk_customer_facts **facts_r)
{
	struct ext_helpdesk_message *hmsg =
		ext_helpdesk_message_get(renv, ext);
	struct ext_helpdesk_entry *entry;
	const char *addr;

	*facts_r = NULL;
	addr = ext_helpdesk_address_parse(address);
	if (addr == NULL) {
		sieve_runtime_warning(renv, NULL, "vnd.dovecot.helpdesk: "
			"invalid address `%s' (expected user@domain)",
			str_sanitize(address, 128));
		return SIEVE_EXEC_OK;
	}
	array_foreach_modifiable(&hmsg->entries, entry) {
		if (strcmp(entry->address, addr) == 0) {
			*facts_r = entry->known ? &entry->facts : NULL;
			return SIEVE_EXEC_OK;
		}
	}
	entry = array_append_space(&hmsg->entries);
	entry->address = p_strdup(sieve_message_context_pool(renv->msgctx),
				  addr);
	T_BEGIN {
		ext_helpdesk_lookup(renv, hmsg, entry);
	} T_END;
	*facts_r = entry->known ? &entry->facts : NULL;
	return SIEVE_EXEC_OK;
}
