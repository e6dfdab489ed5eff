/* Copyright (c) 2026 dovecot-helpdesk authors, see the included COPYING file */

/* Settings of the mail to customers: the acknowledgement and the rating
   request, with their default texts. */

#include "lib.h"

#include <ctype.h>
#include "str.h"
#include "strnum.h"
#include "settings-parser.h"
#include "helpdesk-csat-token.h"
#include "helpdesk-settings.h"
#include "helpdesk-customer-settings.h"

#include <fcntl.h>
#include <unistd.h>

const char *const helpdesk_ack_variables[HELPDESK_ACK_VAR_COUNT + 1] = {
	"ticket", "subject", "first_response", "support", NULL
};
const char *const helpdesk_csat_variables[HELPDESK_CSAT_VAR_COUNT + 1] = {
	"ticket", "subject", "support", "rating_links",
	"rating_1", "rating_2", "rating_3", "rating_4", "rating_5", NULL
};

static const char *const customer_default_ack =
	"Subject: [#${ticket}] Re: ${subject}\n"
	"\n"
	"Hello,\n"
	"\n"
	"thank you for writing to us. We have received your request and\n"
	"opened ticket #${ticket} for it. Our first answer: ${first_response}.\n"
	"\n"
	"To add anything, reply to this message and keep [#${ticket}] in the\n"
	"subject.\n"
	"\n"
	"-- \n"
	"${support}\n"
	"(This is an automatic reply.)\n";

static const char *const customer_default_csat =
	"Subject: [#${ticket}] How did we do? ${subject}\n"
	"\n"
	"Hello,\n"
	"\n"
	"your ticket #${ticket} was resolved. How satisfied are you with our\n"
	"help? Click one of the links (each opens a new message in your mail\n"
	"program; just send it):\n"
	"\n"
	"${rating_links}\n"
	"\n"
	"If anything is still open, reply to this message and we will pick\n"
	"it up again.\n"
	"\n"
	"-- \n"
	"${support}\n"
	"(This is an automatic message.)\n";

/* The whole file (data stack), at most HELPDESK_TEMPLATE_MAX_SIZE. */
static int customer_read_file(const char *path, const char **text_r,
			      const char **error_r)
{
	string_t *str = t_str_new(1024);
	unsigned char buf[4096];
	ssize_t ret;
	int fd;

	fd = open(path, O_RDONLY);
	if (fd == -1) {
		*error_r = t_strdup_printf("open(%s) failed: %m", path);
		return -1;
	}
	while ((ret = read(fd, buf, sizeof(buf))) > 0) {
		str_append_data(str, buf, ret);
		if (str_len(str) > HELPDESK_TEMPLATE_MAX_SIZE)
			break;
	}
	if (ret < 0)
		*error_r = t_strdup_printf("read(%s) failed: %m", path);
	i_close_fd(&fd);
	if (ret < 0)
		return -1;
	if (memchr(str_data(str), '\0', str_len(str)) != NULL) {
		*error_r = t_strdup_printf("%s: not a text file", path);
		return -1;
	}
	*text_r = str_c(str);
	return 0;
}

/* The template of setting name (a file), or the default text. */
static int customer_template(pool_t pool, const char *name, const char *path,
			     const char *default_text,
			     const char *const *variables,
			     struct helpdesk_template *tpl_r,
			     const char **error_r)
{
	const char *text = default_text;

	if (path != NULL && *path != '\0') {
		if (*path != '/') {
			*error_r = t_strdup_printf("%s: the path must be "
						   "absolute: %s", name, path);
			return -1;
		}
		if (customer_read_file(path, &text, error_r) < 0) {
			*error_r = t_strdup_printf("%s: %s", name, *error_r);
			return -1;
		}
	}
	if (helpdesk_template_parse(pool, text, variables, tpl_r,
				    error_r) < 0) {
		*error_r = t_strdup_printf("%s: %s%s", name,
			text == default_text ? "" :
			t_strconcat(path, ": ", NULL), *error_r);
		return -1;
	}
	return 0;
}

static int customer_parse_bool(const char *name, const char *value,
			       bool *value_r, const char **error_r)
{
	*value_r = FALSE;
	if (value == NULL || *value == '\0')
		return 0;
	return helpdesk_settings_parse_bool(name, value, value_r, error_r);
}

/* "N/DURATION": at most N in DURATION. */
static int customer_parse_limit(const char *value, unsigned int *limit_r,
				unsigned int *window_r, const char **error_r)
{
	const char *slash = strchr(value, '/');

	if (slash == NULL ||
	    str_to_uint(t_strdup_until(value, slash), limit_r) < 0 ||
	    *limit_r == 0 ||
	    settings_get_time(slash + 1, window_r, error_r) < 0 ||
	    *window_r == 0) {
		*error_r = t_strdup_printf("helpdesk_ack_limit: invalid limit "
			"'%s' (e.g. 3/10m: at most 3 per sender in 10 "
			"minutes)", value);
		return -1;
	}
	return 0;
}

static int customer_parse_support(pool_t pool, const char *address,
				  char delimiter,
				  struct helpdesk_customer_settings *set,
				  const char **error_r)
{
	const char *at;

	if (address == NULL || *address == '\0') {
		*error_r = "helpdesk_support_address is not set (the address "
			"customers write to, e.g. support@example.com)";
		return -1;
	}
	at = strrchr(address, '@');
	if (at == NULL || at == address || at[1] == '\0' ||
	    strchr(address, delimiter) != NULL ||
	    strpbrk(address, " \t\"<>(),;:\\") != NULL) {
		*error_r = t_strdup_printf("helpdesk_support_address: invalid "
			"address '%s' (user@domain, without '%c')", address,
			delimiter);
		return -1;
	}
	set->support_address = p_strdup(pool, t_str_lcase(address));
	set->support_user = p_strdup_until(pool, set->support_address,
				set->support_address + (at - address));
	set->support_domain = p_strdup(pool, set->support_address +
				       (at - address) + 1);
	return 0;
}

void helpdesk_customer_settings_parse(
	pool_t pool, const char *(*getenv)(const char *name, void *context),
	void *context, struct helpdesk_customer_settings *set_r)
{
	const char *value, *error, *support_error = NULL;

	i_zero(set_r);
	set_r->ack_limit = HELPDESK_ACK_DEFAULT_LIMIT;
	set_r->ack_window_secs = HELPDESK_ACK_DEFAULT_WINDOW_SECS;
	set_r->delimiter = '+';
	value = getenv("helpdesk_recipient_delimiter", context);
	if (value != NULL && *value != '\0') {
		if (strlen(value) != 1 || i_isalnum(*value) ||
		    strchr("@. \t\"", *value) != NULL)
			support_error = t_strdup_printf(
				"helpdesk_recipient_delimiter: invalid "
				"delimiter '%s' (one character, e.g. +)",
				value);
		else
			set_r->delimiter = *value;
	}
	if (support_error == NULL)
		(void)customer_parse_support(pool,
			getenv("helpdesk_support_address", context),
			set_r->delimiter, set_r, &support_error);

	/* the acknowledgement */
	if (customer_parse_bool("helpdesk_ack",
				getenv("helpdesk_ack", context),
				&set_r->ack, &error) < 0) {
		set_r->ack_error = p_strdup(pool, error);
	} else if (set_r->ack) {
		value = getenv("helpdesk_ack_limit", context);
		if (support_error != NULL)
			error = support_error;
		if (support_error != NULL ||
		    (value != NULL && *value != '\0' &&
		     customer_parse_limit(value, &set_r->ack_limit,
					  &set_r->ack_window_secs,
					  &error) < 0) ||
		    customer_template(pool, "helpdesk_ack_template",
				      getenv("helpdesk_ack_template", context),
				      customer_default_ack,
				      helpdesk_ack_variables,
				      &set_r->ack_template, &error) < 0)
			set_r->ack_error = p_strdup(pool, error);
	}
	if (set_r->ack_error != NULL)
		set_r->ack = FALSE;

	/* the rating: the secret also checks the ratings that arrive */
	value = getenv("helpdesk_csat_secret", context);
	if (value != NULL && *value != '\0') {
		if (strlen(value) < HELPDESK_CSAT_MIN_SECRET_LEN) {
			set_r->csat_error = p_strdup_printf(pool,
				"helpdesk_csat_secret: too short (at least %u "
				"characters; e.g. openssl rand -hex 32)",
				HELPDESK_CSAT_MIN_SECRET_LEN);
		} else if (support_error == NULL) {
			set_r->csat_secret = p_strdup(pool, value);
		}
	}
	if (customer_parse_bool("helpdesk_csat",
				getenv("helpdesk_csat", context),
				&set_r->csat, &error) < 0) {
		set_r->csat_error = p_strdup(pool, error);
	} else if (set_r->csat && set_r->csat_error == NULL) {
		if (support_error != NULL)
			set_r->csat_error = p_strdup(pool, support_error);
		else if (set_r->csat_secret == NULL)
			set_r->csat_error = "helpdesk_csat needs "
				"helpdesk_csat_secret (a server secret that "
				"signs the rating links; e.g. openssl rand "
				"-hex 32)";
		else if (customer_template(pool, "helpdesk_csat_template",
				getenv("helpdesk_csat_template", context),
				customer_default_csat,
				helpdesk_csat_variables,
				&set_r->csat_template, &error) < 0)
			set_r->csat_error = p_strdup(pool, error);
	}
	if (set_r->csat_error != NULL)
		set_r->csat = FALSE;
}
