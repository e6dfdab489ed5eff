#ifndef HELPDESK_VIEWDEF_H
#define HELPDESK_VIEWDEF_H

#include "helpdesk-settings.h"

/* The agent views: virtual mailboxes over the queue mailboxes. Pure text
   building, no storage calls (see helpdesk-views.c for the files). */
enum helpdesk_view_kind {
	HELPDESK_VIEW_MINE = 0,
	HELPDESK_VIEW_UNASSIGNED,
	HELPDESK_VIEW_WAITING,
	/* own and unassigned tickets with an SLA warning or breach */
	HELPDESK_VIEW_AT_RISK,

	HELPDESK_VIEW_COUNT
};

struct helpdesk_view {
	/* mailbox name under the views namespace's prefix */
	const char *name;
	/* the search names the agent's owner keyword */
	bool per_agent;
};

extern const struct helpdesk_view helpdesk_views[HELPDESK_VIEW_COUNT];

/* Returns the dovecot-virtual file of the view for the agent username,
   allocated from the data stack: the queue mailboxes, one a line, then the
   indented search rule. Returns NULL with *error_r when the file can't be
   written safely: for a per-agent view, an owner keyword (prefix +
   "owner-" + username) that isn't an IMAP atom of at most max_keyword_len
   characters; for any view, a queue name that dovecot-virtual would read
   as something else (a leading + - ! / or #, a wildcard, a control
   character, not UTF-8). */
const char *
helpdesk_view_definition(const struct helpdesk_settings *set,
			 enum helpdesk_view_kind view, const char *username,
			 unsigned int max_keyword_len, const char **error_r);

/* Returns TRUE when keyword can be stored and searched as an IMAP keyword
   (atom characters only, 1..max_len long). */
bool helpdesk_view_keyword_is_valid(const char *keyword,
				    unsigned int max_len);

#endif
