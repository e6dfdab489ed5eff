#ifndef HELPDESK_SETTINGS_H
#define HELPDESK_SETTINGS_H

#define HELPDESK_DEFAULT_DB "sqlite:/var/lib/dovecot/helpdesk.db"
#define HELPDESK_DEFAULT_KEYWORD_PREFIX "hd-"
#define HELPDESK_KEYWORD_PREFIX_MAX_LEN 16
/* named in other rooms' messages too */
#define HELPDESK_SETTING_VIEWS "helpdesk_views"

#include "helpdesk-sla.h"
#include "helpdesk-customer-settings.h"

struct helpdesk_settings {
	/* queue mailbox names (vnames), NULL-terminated, at least one */
	const char *const *queues;
	/* "sqlite:PATH" or "pgsql:CONNECT" */
	const char *db;
	const char *keyword_prefix;
	/* a message moved (or copied) here from a queue resolves its
	   ticket; NULL: none */
	const char *resolved_mailbox;
	/* the prefix of the agents' views namespace (helpdesk_views), NULL:
	   no views */
	const char *views;
	bool subject_tag;
	/* userdb field helpdesk_lead: a team lead, may assign */
	bool lead;

	/* SLA clocks (helpdesk_sla, helpdesk_sla_*, helpdesk_business_hours,
	   helpdesk_timezone, helpdesk_holidays): sla_enabled with the
	   policy, or off -- by helpdesk_sla = no, or because one of those
	   settings is invalid (sla_error says which: the rest of the plugin
	   works on, and mail flows) */
	bool sla_enabled;
	struct helpdesk_sla_policy sla;
	const char *sla_error;
	/* the calendar's settings as given (a team's calendar overrides
	   some of them) */
	const char *business_hours, *timezone, *holidays;

	/* the game (helpdesk_game, default yes): points folded after
	   agents' actions, the METADATA entries; off, the ledger still
	   records everything and doveadm folds when it reads */
	bool game_enabled;

	/* the mail to customers: acknowledgement, rating request
	   (helpdesk-customer-settings.h) */
	struct helpdesk_customer_settings customer;
};

/* Look up a setting by name; returns NULL when unset. */
typedef const char *helpdesk_settings_getenv_t(const char *name,
					       void *context);

/* Parse the plugin settings. Returns 1 and fills *set_r (allocated from
   pool) when the plugin is configured, 0 when helpdesk_queue is unset (the
   plugin stays inactive for this user), -1 and *error_r on an invalid
   setting. Settings parsing lives only here, so the port to Dovecot 2.4's
   typed settings touches one file. */
int helpdesk_settings_parse(pool_t pool, helpdesk_settings_getenv_t *getenv,
			    void *context, struct helpdesk_settings *set_r,
			    const char **error_r);

/* The SLA policy of a team from its overrides in the store (each NULL or
   "": the user's setting): targets as in helpdesk_sla_first_response
   etc., the calendar's three parts. Returns 0 and fills *policy_r
   (allocated from pool), or -1 with *error_r. doveadm checks a team's
   overrides with it before they are stored. */
int helpdesk_settings_sla_team(pool_t pool,
			       const struct helpdesk_settings *set,
			       const struct helpdesk_sla_overrides *team,
			       struct helpdesk_sla_policy *policy_r,
			       const char **error_r);

/* yes/y/1 or no/n/0 (any case). Returns 0, or -1 with *error_r naming
   the setting. */
int helpdesk_settings_parse_bool(const char *name, const char *value,
				 bool *value_r, const char **error_r);

/* Returns TRUE when vname is one of the queue mailboxes. */
bool helpdesk_settings_is_queue(const struct helpdesk_settings *set,
				const char *vname);

/* Returns prefix + name, allocated from the data stack. */
const char *helpdesk_keyword(const struct helpdesk_settings *set,
			     const char *name);

#endif
