/* Copyright (c) 2026 dovecot-helpdesk authors, see the included COPYING file */

/* Templates of the customer mail (pure: unit-tested and fuzzed). */

#include "lib.h"
#include "str.h"
#include "unichar.h"
#include "helpdesk-template.h"

#define TEMPLATE_SUBJECT "Subject:"
#define TEMPLATE_MAX_NAME_LEN 32

/* The index of name (name_len bytes) in variables, or -1. */
static int template_find(const char *const *variables, const char *name,
			 size_t name_len)
{
	unsigned int i;

	for (i = 0; variables[i] != NULL; i++) {
		if (strlen(variables[i]) == name_len &&
		    memcmp(variables[i], name, name_len) == 0)
			return (int)i;
	}
	return -1;
}

/* Check one part's variables; line counts lines for the messages. */
static int template_check(const char *part, const char *const *variables,
			  unsigned int first_line, const char **error_r)
{
	const char *p, *end;
	unsigned int line = first_line;

	for (p = part; *p != '\0'; p++) {
		if (*p == '\n') {
			line++;
			continue;
		}
		if (*p != '$')
			continue;
		if (p[1] == '$') {
			p++;
			continue;
		}
		if (p[1] != '{')
			continue;
		end = strchr(p + 2, '}');
		if (end == NULL || memchr(p + 2, '\n', end - (p + 2)) != NULL) {
			*error_r = t_strdup_printf(
				"line %u: '${' without a closing '}'", line);
			return -1;
		}
		if ((size_t)(end - (p + 2)) > TEMPLATE_MAX_NAME_LEN ||
		    template_find(variables, p + 2, end - (p + 2)) < 0) {
			string_t *known = t_str_new(128);
			unsigned int i;

			for (i = 0; variables[i] != NULL; i++) {
				str_printfa(known, "%s${%s}", i == 0 ? "" : " ",
					    variables[i]);
			}
			*error_r = t_strdup_printf(
				"line %u: unknown variable '${%s}' (known: %s)",
				line, t_strndup(p + 2,
					I_MIN((size_t)(end - (p + 2)),
					      TEMPLATE_MAX_NAME_LEN)),
				str_c(known));
			return -1;
		}
		p = end;
	}
	return 0;
}

int helpdesk_template_parse(pool_t pool, const char *text,
			    const char *const *variables,
			    struct helpdesk_template *tpl_r,
			    const char **error_r)
{
	const char *body = text, *subject = NULL, *nl;
	size_t len = strlen(text);
	unsigned int body_line = 1;

	i_zero(tpl_r);
	if (len > HELPDESK_TEMPLATE_MAX_SIZE) {
		*error_r = t_strdup_printf("larger than %u bytes",
					   HELPDESK_TEMPLATE_MAX_SIZE);
		return -1;
	}
	if (!uni_utf8_str_is_valid(text)) {
		*error_r = "not valid UTF-8";
		return -1;
	}
	if (strncasecmp(text, TEMPLATE_SUBJECT,
			strlen(TEMPLATE_SUBJECT)) == 0) {
		nl = strchr(text, '\n');
		if (nl == NULL) {
			*error_r = "line 1: the Subject line must be followed "
				"by an empty line and the text";
			return -1;
		}
		subject = t_strdup_until(text + strlen(TEMPLATE_SUBJECT), nl);
		subject = t_str_trim(subject, " \t\r");
		if (*subject == '\0') {
			*error_r = "line 1: the Subject is empty";
			return -1;
		}
		body = nl + 1;
		if (*body == '\r')
			body++;
		if (*body != '\n') {
			*error_r = "line 2: an empty line must follow the "
				"Subject line";
			return -1;
		}
		body++;
		body_line = 3;
		if (template_check(subject, variables, 1, error_r) < 0)
			return -1;
	}
	if (template_check(body, variables, body_line, error_r) < 0)
		return -1;
	if (*t_str_trim(body, " \t\r\n") == '\0') {
		*error_r = "the text is empty";
		return -1;
	}
	tpl_r->subject = p_strdup(pool, subject);
	tpl_r->body = p_strdup(pool, body);
	return 0;
}

const char *helpdesk_template_expand(const char *part,
				     const char *const *variables,
				     const char *const *values)
{
	string_t *str = t_str_new(strlen(part) + 256);
	const char *p, *end;
	int idx;

	for (p = part; *p != '\0'; p++) {
		if (*p != '$') {
			str_append_c(str, *p);
			continue;
		}
		if (p[1] == '$') {
			str_append_c(str, '$');
			p++;
			continue;
		}
		if (p[1] == '{' && (end = strchr(p + 2, '}')) != NULL &&
		    (idx = template_find(variables, p + 2,
					 end - (p + 2))) >= 0) {
			if (values[idx] != NULL)
				str_append(str, values[idx]);
			p = end;
			continue;
		}
		str_append_c(str, *p);
	}
	return str_c(str);
}
