#ifndef HELPDESK_TEMPLATE_H
#define HELPDESK_TEMPLATE_H

/* The admin-editable texts of the mail the help desk sends customers
   (helpdesk_ack_template, helpdesk_csat_template): plain UTF-8 text with
   ${name} variables, optionally starting with a "Subject: ..." line and
   an empty line. "$$" is a literal "$". Pure: unit-tested and fuzzed. */

#define HELPDESK_TEMPLATE_MAX_SIZE (64 * 1024)

struct helpdesk_template {
	/* NULL: none given (the sender's default) */
	const char *subject;
	const char *body;
};

/* Check text against the variables it may use (NULL-terminated). Returns
   0 and fills *tpl_r (from pool), or -1 with *error_r saying where. */
int helpdesk_template_parse(pool_t pool, const char *text,
			    const char *const *variables,
			    struct helpdesk_template *tpl_r,
			    const char **error_r);

/* Replace the variables of a parsed part: values[i] is the value of
   variables[i] (NULL: empty). Returns the text (data stack). */
const char *helpdesk_template_expand(const char *part,
				     const char *const *variables,
				     const char *const *values);

#endif
