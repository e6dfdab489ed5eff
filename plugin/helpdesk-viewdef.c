/* Copyright (c) 2026 dovecot-helpdesk authors, see the included COPYING file */

#include "lib.h"
#include "str.h"
#include "str-sanitize.h"
#include "unichar.h"
#include "imap-arg.h"
/* helpdesk-plugin.h for the keyword names only */
#include "mail-storage.h"
#include "helpdesk-plugin.h"
#include "helpdesk-viewdef.h"

const struct helpdesk_view helpdesk_views[HELPDESK_VIEW_COUNT] = {
	[HELPDESK_VIEW_MINE] = { "Mine", TRUE },
	[HELPDESK_VIEW_UNASSIGNED] = { "Unassigned", FALSE },
	[HELPDESK_VIEW_WAITING] = { "Waiting on customer", TRUE },
	[HELPDESK_VIEW_AT_RISK] = { "At risk", TRUE },
};

bool helpdesk_view_keyword_is_valid(const char *keyword,
				    unsigned int max_len)
{
	unsigned int i;

	/* the rules of mailbox_keyword_is_valid(): IS_ATOM_CHAR also
	   refuses 8bit characters */
	for (i = 0; keyword[i] != '\0'; i++) {
		if (!IS_ATOM_CHAR(keyword[i]))
			return FALSE;
	}
	return i > 0 && i <= max_len;
}

static bool viewdef_mailbox_name_is_valid(const char *name)
{
	const unsigned char *p;

	/* dovecot-virtual reads a leading + - ! as flags, / as a metadata
	   rule, # as a comment, * and % as wildcards, and a leading space
	   as a search rule; every line must be UTF-8 */
	if (name[0] == '\0' || strchr("+-!/# \t", name[0]) != NULL)
		return FALSE;
	for (p = (const unsigned char *)name; *p != '\0'; p++) {
		if (*p < 0x20 || *p == 0x7f || *p == '*' || *p == '%')
			return FALSE;
	}
	return uni_utf8_str_is_valid(name);
}

const char *
helpdesk_view_definition(const struct helpdesk_settings *set,
			 enum helpdesk_view_kind view, const char *username,
			 unsigned int max_keyword_len, const char **error_r)
{
	const char *const *queue, *owner_kw = NULL;
	string_t *str;

	i_assert(view < HELPDESK_VIEW_COUNT);

	if (helpdesk_views[view].per_agent) {
		owner_kw = helpdesk_keyword(set, t_strconcat("owner-",
							     username, NULL));
		if (*username == '\0' ||
		    !helpdesk_view_keyword_is_valid(owner_kw,
						    max_keyword_len)) {
			*error_r = t_strdup_printf(
				"user name can't be part of the owner keyword "
				"%s (IMAP atom characters only, at most %u "
				"characters)", str_sanitize_utf8(owner_kw, 80),
				max_keyword_len);
			return NULL;
		}
	}

	str = t_str_new(256);
	str_printfa(str, "# %s: written by the helpdesk plugin at each IMAP "
		    "login, edits are lost\n", helpdesk_views[view].name);
	for (queue = set->queues; *queue != NULL; queue++) {
		if (!viewdef_mailbox_name_is_valid(*queue)) {
			*error_r = t_strdup_printf(
				"queue mailbox name '%s' can't be listed in a "
				"virtual mailbox", str_sanitize_utf8(*queue, 80));
			return NULL;
		}
		str_printfa(str, "%s\n", *queue);
	}
	switch (view) {
	case HELPDESK_VIEW_MINE:
		str_printfa(str, "  KEYWORD %s UNKEYWORD %s UNDELETED\n",
			    owner_kw,
			    helpdesk_keyword(set, HELPDESK_KW_RESOLVED));
		break;
	case HELPDESK_VIEW_UNASSIGNED:
		str_printfa(str, "  KEYWORD %s UNDELETED\n",
			    helpdesk_keyword(set, HELPDESK_KW_NEW));
		break;
	case HELPDESK_VIEW_WAITING:
		str_printfa(str, "  KEYWORD %s KEYWORD %s UNDELETED\n",
			    owner_kw, helpdesk_keyword(set, HELPDESK_KW_WAITING));
		break;
	case HELPDESK_VIEW_AT_RISK:
		str_printfa(str, "  OR KEYWORD %s KEYWORD %s "
			    "OR KEYWORD %s KEYWORD %s UNKEYWORD %s UNDELETED\n",
			    helpdesk_keyword(set, HELPDESK_KW_SLA_WARN),
			    helpdesk_keyword(set, HELPDESK_KW_SLA_BREACH),
			    owner_kw, helpdesk_keyword(set, HELPDESK_KW_NEW),
			    helpdesk_keyword(set, HELPDESK_KW_RESOLVED));
		break;
	case HELPDESK_VIEW_COUNT:
		i_unreached();
	}
	return str_c(str);
}
