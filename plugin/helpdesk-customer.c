/* Copyright (c) 2026 dovecot-helpdesk authors, see the included COPYING file */

/* What the help desk knows about a customer, for the Sieve extension
   vnd.dovecot.helpdesk (sieve/), which calls this in the same process. */

#include "lib.h"
#include "mail-storage.h"
#include "mail-user.h"
#include "helpdesk-plugin.h"
#include "helpdesk-store.h"
#include "helpdesk-customer.h"

int helpdesk_customer_lookup(struct mail_user *user, const char *address,
			     pool_t pool,
			     struct helpdesk_customer_facts *facts_r,
			     const char **error_r)
{
	struct helpdesk_user *huser = HELPDESK_USER_CONTEXT(user);
	struct helpdesk_store *store;
	const char *error;
	int ret;

	i_zero(facts_r);
	if (huser == NULL) {
		*error_r = "the helpdesk plugin is not active for this user";
		return -1;
	}
	/* no T_BEGIN: the strings may come from the caller's data stack
	   pool */
	store = helpdesk_user_store(huser, FALSE, NULL, &error);
	if (store == NULL)
		ret = -1;
	else
		ret = helpdesk_store_customer(store, address, pool, facts_r,
					      &error);
	if (ret < 0)
		*error_r = p_strdup(pool, error);
	return ret;
}
