/* Copyright (c) 2026 dovecot-helpdesk authors, see the included COPYING file */

#include "lib.h"
#include "helpdesk-tag.h"

/* Parse a tag at p (which points at '['). Returns the length of the tag and
   sets *ticket_r, or returns 0 when p does not start a well-formed tag. */
static size_t tag_at(const char *p, uint64_t *ticket_r)
{
	const char *s = p + 2;
	uint64_t n = 0;

	if (p[0] != '[' || p[1] != '#')
		return 0;
	if (*s < '1' || *s > '9')
		return 0;
	for (; *s >= '0' && *s <= '9'; s++) {
		n = n * 10 + (uint64_t)(*s - '0');
		if (n > HELPDESK_TICKET_MAX)
			return 0;
	}
	if (*s != ']')
		return 0;
	*ticket_r = n;
	return (size_t)(s - p) + 1;
}

bool helpdesk_tag_parse(const char *subject, uint64_t *ticket_r)
{
	const char *p;

	for (p = strchr(subject, '['); p != NULL; p = strchr(p + 1, '[')) {
		if (tag_at(p, ticket_r) > 0)
			return TRUE;
	}
	return FALSE;
}

bool helpdesk_tag_has(const char *subject, uint64_t ticket)
{
	const char *p;
	uint64_t n;

	for (p = strchr(subject, '['); p != NULL; p = strchr(p + 1, '[')) {
		if (tag_at(p, &n) > 0 && n == ticket)
			return TRUE;
	}
	return FALSE;
}

const char *helpdesk_tag_format(uint64_t ticket)
{
	return t_strdup_printf("[#%llu]", (unsigned long long)ticket);
}
