/* Copyright (c) 2026 dovecot-helpdesk authors, see the included COPYING file */

#include "lib.h"
#include "array.h"
#include "strnum.h"
#include "helpdesk-state.h"

static const char *const status_names[] = {
	[HELPDESK_STATUS_NEW] = "new",
	[HELPDESK_STATUS_OPEN] = "open",
	[HELPDESK_STATUS_WAITING] = "waiting",
	[HELPDESK_STATUS_RESOLVED] = "resolved",
};

const struct helpdesk_keyword_info helpdesk_keyword_vocabulary[] = {
	{ HELPDESK_KW_CLAIM, "Claim (take it)", "#1f77b4", TRUE },
	{ HELPDESK_KW_RESOLVED, "Resolved", "#2ca02c", TRUE },
	{ HELPDESK_KW_ESCALATE, "Escalate", "#d62728", TRUE },
	{ "prio-urgent", "Priority: urgent", "#cc0000", TRUE },
	{ "prio-high", "Priority: high", "#ff7f0e", TRUE },
	{ "prio-normal", "Priority: normal", "#8c8c8c", TRUE },
	{ "prio-low", "Priority: low", "#bcbd22", TRUE },
	{ HELPDESK_KW_VIP, "VIP", "#9467bd", TRUE },
	{ HELPDESK_KW_NEW, "New (unassigned)", "#17becf", FALSE },
	{ HELPDESK_KW_OPEN, "Open", "#1f77b4", FALSE },
	{ HELPDESK_KW_WAITING, "Waiting on customer", "#e377c2", FALSE },
	{ "tier-1", "Tier 1", "#999999", FALSE },
	{ "tier-2", "Tier 2", "#999999", FALSE },
	{ "tier-3", "Tier 3", "#999999", FALSE },
	{ "tier-4", "Tier 4", "#999999", FALSE },
	{ HELPDESK_KW_SLA_WARN, "SLA warning", "#ff9900", FALSE },
	{ HELPDESK_KW_SLA_BREACH, "SLA breached", "#990000", FALSE },
	{ HELPDESK_KW_AUTO, "Automatic mail", "#999999", FALSE },
	{ HELPDESK_KW_RATING, "Rating", "#999999", FALSE },
	{ HELPDESK_KW_PENDING, "Pending (store was down)", "#999999", FALSE },
	{ NULL, NULL, NULL, FALSE }
};

static const char *const priority_names[] = {
	"urgent", "high", "normal", "low", NULL
};

const char *helpdesk_status_name(enum helpdesk_ticket_status status)
{
	i_assert((unsigned int)status < N_ELEMENTS(status_names));
	return status_names[status];
}

bool helpdesk_status_parse(const char *name,
			   enum helpdesk_ticket_status *status_r)
{
	unsigned int i;

	for (i = 0; i < N_ELEMENTS(status_names); i++) {
		if (strcmp(status_names[i], name) == 0) {
			*status_r = (enum helpdesk_ticket_status)i;
			return TRUE;
		}
	}
	return FALSE;
}

bool helpdesk_priority_is_valid(const char *name)
{
	return str_array_find(priority_names, name);
}

/* A user or team name in a keyword: IMAP atom characters that are safe in
   every client, at most 64 of them. */
bool helpdesk_keyword_name_is_valid(const char *name)
{
	const char *p;

	if (*name == '\0' || strlen(name) > 64)
		return FALSE;
	for (p = name; *p != '\0'; p++) {
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9')) &&
		    strchr("-_.@+", *p) == NULL)
			return FALSE;
	}
	return TRUE;
}

enum helpdesk_kw_class
helpdesk_keyword_classify(const char *prefix, const char *keyword,
			  const char **arg_r)
{
	enum helpdesk_ticket_status status;
	const char *name;
	unsigned int tier;

	*arg_r = "";
	if (*prefix == '\0' || !str_begins(keyword, prefix))
		return HELPDESK_KW_CLASS_FOREIGN;
	name = keyword + strlen(prefix);
	if (helpdesk_status_parse(name, &status)) {
		*arg_r = name;
		return HELPDESK_KW_CLASS_STATUS;
	}
	if (strcmp(name, HELPDESK_KW_PENDING) == 0)
		return HELPDESK_KW_CLASS_PENDING;
	if (strcmp(name, HELPDESK_KW_AUTO) == 0 ||
	    strcmp(name, HELPDESK_KW_RATING) == 0)
		return HELPDESK_KW_CLASS_AUTO;
	if (strcmp(name, HELPDESK_KW_CLAIM) == 0)
		return HELPDESK_KW_CLASS_CLAIM;
	if (strcmp(name, HELPDESK_KW_ESCALATE) == 0)
		return HELPDESK_KW_CLASS_ESCALATE;
	if (strcmp(name, HELPDESK_KW_VIP) == 0)
		return HELPDESK_KW_CLASS_VIP;
	if (strcmp(name, HELPDESK_KW_SLA_WARN) == 0 ||
	    strcmp(name, HELPDESK_KW_SLA_BREACH) == 0) {
		*arg_r = name + strlen("sla-");
		return HELPDESK_KW_CLASS_SLA;
	}
	if (str_begins(name, "tier-")) {
		if (str_to_uint(name + 5, &tier) < 0 ||
		    tier < HELPDESK_TIER_MIN || tier > HELPDESK_TIER_MAX ||
		    name[5] == '0')
			return HELPDESK_KW_CLASS_UNKNOWN;
		*arg_r = name + 5;
		return HELPDESK_KW_CLASS_TIER;
	}
	if (str_begins(name, HELPDESK_KW_OWNER_PREFIX)) {
		name += strlen(HELPDESK_KW_OWNER_PREFIX);
		if (!helpdesk_keyword_name_is_valid(name))
			return HELPDESK_KW_CLASS_UNKNOWN;
		*arg_r = name;
		return HELPDESK_KW_CLASS_OWNER;
	}
	if (str_begins(name, HELPDESK_KW_PRIO_PREFIX)) {
		name += strlen(HELPDESK_KW_PRIO_PREFIX);
		if (!helpdesk_priority_is_valid(name))
			return HELPDESK_KW_CLASS_UNKNOWN;
		*arg_r = name;
		return HELPDESK_KW_CLASS_PRIORITY;
	}
	if (str_begins(name, HELPDESK_KW_TEAM_PREFIX)) {
		name += strlen(HELPDESK_KW_TEAM_PREFIX);
		if (!helpdesk_keyword_name_is_valid(name))
			return HELPDESK_KW_CLASS_UNKNOWN;
		*arg_r = name;
		return HELPDESK_KW_CLASS_TEAM;
	}
	return HELPDESK_KW_CLASS_UNKNOWN;
}

bool helpdesk_keyword_class_is_plugin_owned(enum helpdesk_kw_class kw_class)
{
	switch (kw_class) {
	case HELPDESK_KW_CLASS_FOREIGN:
	case HELPDESK_KW_CLASS_PRIORITY:
	case HELPDESK_KW_CLASS_TEAM:
	case HELPDESK_KW_CLASS_VIP:
		return FALSE;
	case HELPDESK_KW_CLASS_UNKNOWN:
	case HELPDESK_KW_CLASS_STATUS:
	case HELPDESK_KW_CLASS_PENDING:
	case HELPDESK_KW_CLASS_AUTO:
	case HELPDESK_KW_CLASS_SLA:
	case HELPDESK_KW_CLASS_TIER:
	case HELPDESK_KW_CLASS_CLAIM:
	case HELPDESK_KW_CLASS_ESCALATE:
	case HELPDESK_KW_CLASS_OWNER:
		break;
	}
	return TRUE;
}

bool helpdesk_keyword_class_is_state(enum helpdesk_kw_class kw_class)
{
	switch (kw_class) {
	case HELPDESK_KW_CLASS_STATUS:
	case HELPDESK_KW_CLASS_TIER:
	case HELPDESK_KW_CLASS_CLAIM:
	case HELPDESK_KW_CLASS_ESCALATE:
	case HELPDESK_KW_CLASS_OWNER:
	case HELPDESK_KW_CLASS_PRIORITY:
	case HELPDESK_KW_CLASS_VIP:
	case HELPDESK_KW_CLASS_TEAM:
	case HELPDESK_KW_CLASS_SLA:
		return TRUE;
	case HELPDESK_KW_CLASS_FOREIGN:
	case HELPDESK_KW_CLASS_UNKNOWN:
	case HELPDESK_KW_CLASS_PENDING:
	case HELPDESK_KW_CLASS_AUTO:
		break;
	}
	return FALSE;
}

const char *const *
helpdesk_ticket_state_keywords(const char *prefix,
			       const struct helpdesk_ticket_row *row)
{
	ARRAY_TYPE(const_string) list;
	const char *kw;
	unsigned int tier = row->tier;

	t_array_init(&list, 8);
	kw = t_strconcat(prefix, helpdesk_status_name(row->status), NULL);
	array_push_back(&list, &kw);
	if (row->owner != NULL && helpdesk_keyword_name_is_valid(row->owner)) {
		kw = t_strconcat(prefix, HELPDESK_KW_OWNER_PREFIX, row->owner,
				 NULL);
		array_push_back(&list, &kw);
	}
	if (tier < HELPDESK_TIER_MIN || tier > HELPDESK_TIER_MAX)
		tier = HELPDESK_TIER_MIN;
	kw = t_strdup_printf("%stier-%u", prefix, tier);
	array_push_back(&list, &kw);
	kw = t_strconcat(prefix, HELPDESK_KW_PRIO_PREFIX,
			 row->priority != NULL &&
			 helpdesk_priority_is_valid(row->priority) ?
			 row->priority : "normal", NULL);
	array_push_back(&list, &kw);
	if (row->vip) {
		kw = t_strconcat(prefix, HELPDESK_KW_VIP, NULL);
		array_push_back(&list, &kw);
	}
	if (row->team != NULL && helpdesk_keyword_name_is_valid(row->team)) {
		kw = t_strconcat(prefix, HELPDESK_KW_TEAM_PREFIX, row->team,
				 NULL);
		array_push_back(&list, &kw);
	}
	if (row->sla != HELPDESK_SLA_TAG_NONE) {
		kw = t_strconcat(prefix, row->sla == HELPDESK_SLA_TAG_BREACH ?
				 HELPDESK_KW_SLA_BREACH : HELPDESK_KW_SLA_WARN,
				 NULL);
		array_push_back(&list, &kw);
	}
	array_append_zero(&list);
	return array_front(&list);
}
