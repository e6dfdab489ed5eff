/* Copyright (c) 2026 dovecot-helpdesk authors, see the included COPYING file */

#include "lib.h"
#include "array.h"
#include "str.h"

#include <ctype.h>
#include "helpdesk-settings.h"

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

static int settings_parse_bool(const char *name, const char *value,
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
	    settings_parse_bool("helpdesk_subject_tag", value,
				&set_r->subject_tag, error_r) < 0)
		return -1;
	value = getenv("helpdesk_lead", context);
	if (value != NULL && *value != '\0' &&
	    settings_parse_bool("helpdesk_lead", value, &set_r->lead,
				error_r) < 0)
		return -1;
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
