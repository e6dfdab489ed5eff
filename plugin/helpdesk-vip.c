/* Copyright (c) 2026 dovecot-helpdesk authors, see the included COPYING file */

/* VIP entries (pure: unit-tested and fuzzed). */

#include "lib.h"

#include <ctype.h>
#include "helpdesk-vip.h"

/* RFC 5321's limits */
#define VIP_MAX_ADDRESS_LEN 254
#define VIP_MAX_LOCAL_LEN 64
#define VIP_MAX_LABEL_LEN 63

static bool vip_domain_valid(const char *domain, const char **error_r)
{
	const char *p;
	unsigned int label = 0;

	if (*domain == '\0') {
		*error_r = "the domain is empty";
		return FALSE;
	}
	for (p = domain; ; p++) {
		if (*p == '.' || *p == '\0') {
			if (label == 0) {
				*error_r = "a domain has no empty labels";
				return FALSE;
			}
			if (*p == '\0')
				return TRUE;
			label = 0;
			continue;
		}
		if (!i_isalnum(*p) && *p != '-' && *p != '_') {
			*error_r = (unsigned char)*p < 0x80 ?
				t_strdup_printf("'%c' can't be in a domain",
						*p) :
				"a domain is ASCII (write an international "
				"one in its xn-- form)";
			return FALSE;
		}
		if (++label > VIP_MAX_LABEL_LEN) {
			*error_r = "a domain label is at most 63 characters";
			return FALSE;
		}
	}
}

bool helpdesk_vip_entry_parse(const char *entry, const char **entry_r,
			      const char **error_r)
{
	const char *at, *p;

	if (strlen(entry) > VIP_MAX_ADDRESS_LEN) {
		*error_r = "longer than an address can be";
		return FALSE;
	}
	at = strchr(entry, '@');
	if (at != NULL) {
		if (at == entry) {
			*error_r = "the address has no local part";
			return FALSE;
		}
		if ((size_t)(at - entry) > VIP_MAX_LOCAL_LEN) {
			*error_r = "the local part is at most 64 characters";
			return FALSE;
		}
		for (p = entry; p < at; p++) {
			if ((unsigned char)*p <= ' ' || *p == '"' ||
			    *p == '<' || *p == '>' || *p == ',' ||
			    *p == ';' || *p == '(' || *p == ')' ||
			    *p == '\\' || (unsigned char)*p >= 0x7f) {
				*error_r = "give the address as user@domain, "
					"without quotes or a name";
				return FALSE;
			}
		}
		if (!vip_domain_valid(at + 1, error_r))
			return FALSE;
	} else if (!vip_domain_valid(entry, error_r)) {
		return FALSE;
	}
	*entry_r = t_str_lcase(entry);
	return TRUE;
}
