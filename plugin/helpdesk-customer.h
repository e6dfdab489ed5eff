#ifndef HELPDESK_CUSTOMER_H
#define HELPDESK_CUSTOMER_H

/* What the help desk knows about a customer (an address), for the Sieve
   extension vnd.dovecot.helpdesk (sieve/): exported by the mail plugin
   and called by the Sieve plugin in the same process (lmtp, lda), with
   the user the script runs for. */

struct mail_user;

struct helpdesk_customer_facts {
	/* the address, or its domain or a parent domain, is listed by
	   doveadm helpdesk vip add */
	bool vip;
	/* the newest ticket of this requester that is not resolved, 0:
	   none */
	uint64_t open_ticket;
	/* the team of this requester's newest ticket that has a team, NULL:
	   none */
	const char *last_team;
};

/* Look up address (user@domain; compared without case). Returns 0 and
   fills *facts_r (strings from pool), or -1 with *error_r: the helpdesk
   plugin is not active for user, the address is invalid, or the store
   failed. Never waits longer than a delivery's store access does. */
int helpdesk_customer_lookup(struct mail_user *user, const char *address,
			     pool_t pool,
			     struct helpdesk_customer_facts *facts_r,
			     const char **error_r);

#endif
