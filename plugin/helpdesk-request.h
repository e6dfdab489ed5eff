#ifndef HELPDESK_REQUEST_H
#define HELPDESK_REQUEST_H

/* What an agent's change of a message's helpdesk keywords asks for,
   judged against the ticket as it is now (the store's row), never against
   what the agent's session last saw: pure logic, shared by direct STOREs
   on a queue and STOREs through the agents' views, unit-tested and
   fuzzed. The plugin never lets a client write its own keywords: the
   requests are carried out and the ticket's resulting state is written
   to every message by the plugin. */

#include "helpdesk-state.h"

enum helpdesk_change_mode {
	/* +FLAGS / -FLAGS: every keyword named is a request */
	HELPDESK_CHANGE_EXPLICIT = 0,
	/* the client rewrote the message's whole keyword set (STORE FLAGS,
	   or neomutt's remove-all-then-add): changes of the plugin's own
	   keywords in it (status, tier, pending, auto, sla) are ignored and
	   a priority that disappears stays, the requests in it (claim,
	   resolve, escalate, owner, priority, VIP, team) are carried out.
	   (The caller gives a STORE FLAGS only what it adds.) */
	HELPDESK_CHANGE_REWRITE,
};

/* One message's change of helpdesk keywords (full names, with the
   prefix; foreign keywords are not in it). */
struct helpdesk_change {
	enum helpdesk_change_mode mode;
	/* NULL-terminated; either may be empty, never NULL */
	const char *const *added;
	const char *const *removed;
	/* the message's keywords as the session sees them, NULL-terminated:
	   only used for the keywords the store does not hold (pending,
	   auto, sla), to tell "already so" from a forged change */
	const char *const *current;
	/* for the refusal text */
	uint32_t uid;
};

struct helpdesk_actor {
	const char *user;
	/* a team lead: may assign and take tickets away */
	bool lead;
};

/* An action the change asks for. */
struct helpdesk_request {
	/* a claim (the claim keyword or one's own owner keyword); else
	   kind */
	bool claim;
	enum helpdesk_action_kind kind;
	/* owner, priority or team name (points into the change's keyword
	   strings), or "" */
	const char *arg;
};
ARRAY_DEFINE_TYPE(helpdesk_request, struct helpdesk_request);

enum helpdesk_refusal {
	HELPDESK_REFUSAL_NONE = 0,
	/* this user may not: NO [NOPERM] (lead-only actions) */
	HELPDESK_REFUSAL_PERM,
	/* nobody may: NO [CANNOT] (plugin-owned or unknown keywords, a
	   ticket without a priority, a message that is no ticket) */
	HELPDESK_REFUSAL_CANNOT,
};

/* Judge change against the ticket row (NULL: the message is part of no
   ticket). Appends the requests it asks for to requests; requests that
   change nothing (the ticket already is so) are not appended, except a
   claim and an escalation (the store decides those atomically). Returns
   NONE, or the refusal with *reason_r (data stack) and then requests may
   hold some of the change's requests: the caller drops them all. */
enum helpdesk_refusal
helpdesk_request_judge(const char *prefix, const struct helpdesk_actor *actor,
		       const struct helpdesk_ticket_row *row,
		       const struct helpdesk_change *change,
		       ARRAY_TYPE(helpdesk_request) *requests,
		       const char **reason_r);

/* TRUE when a -FLAGS is the first half of a client's whole-set rewrite
   (neomutt sends -FLAGS with every keyword it knows, then +FLAGS with
   the new set): removed holds at least one keyword that only the plugin
   sets (status other than resolved, tier, pending, auto, sla), which no
   agent removes on purpose, and either every helpdesk keyword the
   session shows on the message (current) or a status and a tier. */
bool helpdesk_request_is_rewrite_start(const char *prefix,
				       const char *const *removed,
				       const char *const *current);

#endif
