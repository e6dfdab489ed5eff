/* Copyright (c) 2026 dovecot-helpdesk authors, see the included COPYING file */

#include "lib.h"
#include "array.h"
#include "str.h"

#include <ctype.h>
#include "helpdesk-settings.h"
#include "helpdesk-calendar.h"

static bool settings_keyword_prefix_is_valid(const char *prefix)
{
	const char *p;

	if (*prefix == '\0' || strlen(prefix) > HELPDESK_KEYWORD_PREFIX_MAX_LEN)
		return FALSE;
	/* IMAP atom characters only; no system flag (\) or $ keywords */
	for (p = prefix; *p != '\0'; p++) {
		if (!i_isalnum(*p) && *p != '-' && *p != '_' && *p != '.')
			return FALSE;
	}
	return TRUE;
}

int helpdesk_settings_parse_bool(const char *name, const char *value,
				 bool *value_r, const char **error_r)
{
	if (strcasecmp(value, "yes") == 0 || strcasecmp(value, "y") == 0 ||
	    strcmp(value, "1") == 0) {
		*value_r = TRUE;
		return 0;
	}
	if (strcasecmp(value, "no") == 0 || strcasecmp(value, "n") == 0 ||
	    strcmp(value, "0") == 0) {
		*value_r = FALSE;
		return 0;
	}
	*error_r = t_strdup_printf("%s: invalid boolean '%s' (use yes or no)",
				   name, value);
	return -1;
}

/* The SLA targets of one clock: the setting's value over the defaults. */
static int
settings_parse_sla_targets(const char *name, const char *value,
			   unsigned int target[HELPDESK_SLA_PRIORITY_COUNT],
			   const char **error_r)
{
	if (value == NULL || *value == '\0')
		return 0;
	if (helpdesk_sla_targets_parse(value, target, error_r) < 0) {
		*error_r = t_strdup_printf("%s: %s", name, *error_r);
		return -1;
	}
	return 0;
}

static int
settings_sla_calendar(pool_t pool, const char *hours, const char *timezone,
		      const char *holidays,
		      struct helpdesk_sla_policy *policy,
		      const char **error_r)
{
	struct helpdesk_calendar *calendar;

	if (helpdesk_calendar_parse(pool, hours, timezone, holidays,
				    &calendar, error_r) < 0)
		return -1;
	policy->calendar = helpdesk_calendar_is_always(calendar) ?
		NULL : calendar;
	return 0;
}

static int
settings_parse_sla(pool_t pool, helpdesk_settings_getenv_t *getenv,
		   void *context, struct helpdesk_settings *set,
		   const char **error_r)
{
	struct helpdesk_sla_policy *policy = &set->sla;
	const char *value;

	helpdesk_sla_policy_defaults(policy);
	if (settings_parse_sla_targets("helpdesk_sla_first_response",
			getenv("helpdesk_sla_first_response", context),
			policy->target[HELPDESK_SLA_FIRST_RESPONSE],
			error_r) < 0 ||
	    settings_parse_sla_targets("helpdesk_sla_next_response",
			getenv("helpdesk_sla_next_response", context),
			policy->target[HELPDESK_SLA_NEXT_RESPONSE],
			error_r) < 0 ||
	    settings_parse_sla_targets("helpdesk_sla_resolution",
			getenv("helpdesk_sla_resolution", context),
			policy->target[HELPDESK_SLA_RESOLUTION], error_r) < 0)
		return -1;
	value = getenv("helpdesk_sla_vip_factor", context);
	if (value != NULL && *value != '\0' &&
	    helpdesk_sla_vip_factor_parse(value, &policy->vip_permille,
					  error_r) < 0) {
		*error_r = t_strdup_printf("helpdesk_sla_vip_factor: %s",
					   *error_r);
		return -1;
	}
	value = getenv("helpdesk_sla_warn", context);
	if (value != NULL && *value != '\0' &&
	    helpdesk_sla_warn_parse(value, &policy->warn_before_secs,
				    &policy->warn_percent, error_r) < 0) {
		*error_r = t_strdup_printf("helpdesk_sla_warn: %s", *error_r);
		return -1;
	}
	set->business_hours = p_strdup_empty(pool,
		getenv("helpdesk_business_hours", context));
	set->timezone = p_strdup_empty(pool,
		getenv("helpdesk_timezone", context));
	set->holidays = p_strdup_empty(pool,
		getenv("helpdesk_holidays", context));
	return settings_sla_calendar(pool, set->business_hours,
				     set->timezone, set->holidays, policy,
				     error_r);
}

int helpdesk_settings_sla_team(pool_t pool,
			       const struct helpdesk_settings *set,
			       const struct helpdesk_sla_overrides *team,
			       struct helpdesk_sla_policy *policy_r,
			       const char **error_r)
{
	const char *hours = set->business_hours;
	const char *timezone = set->timezone, *holidays = set->holidays;

	*policy_r = set->sla;
	if (settings_parse_sla_targets("first response", team->first_response,
			policy_r->target[HELPDESK_SLA_FIRST_RESPONSE],
			error_r) < 0 ||
	    settings_parse_sla_targets("next response", team->next_response,
			policy_r->target[HELPDESK_SLA_NEXT_RESPONSE],
			error_r) < 0 ||
	    settings_parse_sla_targets("resolution", team->resolution,
			policy_r->target[HELPDESK_SLA_RESOLUTION],
			error_r) < 0)
		return -1;
	if (team->business_hours != NULL && *team->business_hours != '\0')
		hours = team->business_hours;
	if (team->timezone != NULL && *team->timezone != '\0')
		timezone = team->timezone;
	if (team->holidays != NULL && *team->holidays != '\0')
		holidays = team->holidays;
	if (hours == set->business_hours && timezone == set->timezone &&
	    holidays == set->holidays)
		return 0;
	return settings_sla_calendar(pool, hours, timezone, holidays,
				     policy_r, error_r);
}

int helpdesk_settings_parse(pool_t pool, helpdesk_settings_getenv_t *getenv,
			    void *context, struct helpdesk_settings *set_r,
			    const char **error_r)
{
	ARRAY_TYPE(const_string) queues;
	const char *value, *const *names;

	i_zero(set_r);
	value = getenv("helpdesk_queue", context);
	if (value == NULL || *value == '\0')
		return 0;

	p_array_init(&queues, pool, 4);
	for (names = t_strsplit_spaces(value, " ,"); *names != NULL; names++) {
		const char *name = p_strdup(pool, *names);

		if (strlen(name) > 255 || strchr(name, '*') != NULL ||
		    strchr(name, '%') != NULL) {
			*error_r = t_strdup_printf(
				"helpdesk_queue: invalid mailbox name '%s'",
				*names);
			return -1;
		}
		array_push_back(&queues, &name);
	}
	if (array_count(&queues) == 0) {
		*error_r = "helpdesk_queue: no mailbox given";
		return -1;
	}
	array_append_zero(&queues);
	set_r->queues = array_front(&queues);

	value = getenv("helpdesk_db", context);
	if (value == NULL || *value == '\0')
		value = HELPDESK_DEFAULT_DB;
	if (!str_begins(value, "sqlite:") && !str_begins(value, "pgsql:")) {
		*error_r = t_strdup_printf(
			"helpdesk_db: unsupported store '%s' "
			"(use sqlite:PATH or pgsql:CONNECT-STRING)", value);
		return -1;
	}
	if (strchr(value, ':')[1] == '\0') {
		*error_r = t_strdup_printf(
			"helpdesk_db: '%s' names no database", value);
		return -1;
	}
	if (str_begins(value, "sqlite:") && value[strlen("sqlite:")] != '/') {
		*error_r = t_strdup_printf(
			"helpdesk_db: sqlite path must be absolute: '%s'",
			value);
		return -1;
	}
	set_r->db = p_strdup(pool, value);

	value = getenv("helpdesk_keyword_prefix", context);
	if (value == NULL)
		value = HELPDESK_DEFAULT_KEYWORD_PREFIX;
	if (!settings_keyword_prefix_is_valid(value)) {
		*error_r = t_strdup_printf(
			"helpdesk_keyword_prefix: invalid prefix '%s' "
			"(1-%d letters, digits, '-', '_' or '.')",
			value, HELPDESK_KEYWORD_PREFIX_MAX_LEN);
		return -1;
	}
	set_r->keyword_prefix = p_strdup(pool, value);

	value = getenv("helpdesk_resolved_mailbox", context);
	if (value != NULL && *value != '\0') {
		if (strlen(value) > 255 || strchr(value, '*') != NULL ||
		    strchr(value, '%') != NULL) {
			*error_r = t_strdup_printf("helpdesk_resolved_mailbox: "
				"invalid mailbox name '%s'", value);
			return -1;
		}
		if (helpdesk_settings_is_queue(set_r, value)) {
			*error_r = t_strdup_printf("helpdesk_resolved_mailbox: "
				"%s is a queue (helpdesk_queue)", value);
			return -1;
		}
		set_r->resolved_mailbox = p_strdup(pool, value);
	}

	value = getenv(HELPDESK_SETTING_VIEWS, context);
	if (value != NULL && *value != '\0') {
		if (strlen(value) > 255 || strchr(value, '*') != NULL ||
		    strchr(value, '%') != NULL) {
			*error_r = t_strdup_printf(HELPDESK_SETTING_VIEWS
				": invalid namespace prefix '%s'", value);
			return -1;
		}
		set_r->views = p_strdup(pool, value);
	}

	set_r->subject_tag = TRUE;
	value = getenv("helpdesk_subject_tag", context);
	if (value != NULL && *value != '\0' &&
	    helpdesk_settings_parse_bool("helpdesk_subject_tag", value,
					 &set_r->subject_tag, error_r) < 0)
		return -1;
	value = getenv("helpdesk_lead", context);
	if (value != NULL && *value != '\0' &&
	    helpdesk_settings_parse_bool("helpdesk_lead", value,
					 &set_r->lead, error_r) < 0)
		return -1;

	set_r->game_enabled = TRUE;
	value = getenv("helpdesk_game", context);
	if (value != NULL && *value != '\0' &&
	    helpdesk_settings_parse_bool("helpdesk_game", value,
					 &set_r->game_enabled, error_r) < 0)
		return -1;

	/* the zone of the game's days and weeks, with or without clocks */
	set_r->timezone = p_strdup_empty(pool,
		getenv("helpdesk_timezone", context));

	/* a bad SLA setting turns the clocks off, nothing else */
	set_r->sla_enabled = TRUE;
	value = getenv("helpdesk_sla", context);
	if (value != NULL && *value != '\0' &&
	    helpdesk_settings_parse_bool("helpdesk_sla", value,
					 &set_r->sla_enabled, error_r) < 0)
		return -1;
	if (set_r->sla_enabled &&
	    settings_parse_sla(pool, getenv, context, set_r,
			       &set_r->sla_error) < 0) {
		set_r->sla_error = p_strdup(pool, set_r->sla_error);
		set_r->sla_enabled = FALSE;
	}
	/* and a bad one of the customer mail turns off only that */
	helpdesk_customer_settings_parse(pool, getenv, context,
					 &set_r->customer);
	return 1;
}

bool helpdesk_settings_is_queue(const struct helpdesk_settings *set,
				const char *vname)
{
	return str_array_find(set->queues, vname);
}

const char *helpdesk_keyword(const struct helpdesk_settings *set,
			     const char *name)
{
	return t_strconcat(set->keyword_prefix, name, NULL);
}
