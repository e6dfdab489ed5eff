/* fuzz-imap-parse.c: libFuzzer target for helpdesk-imap-parse.c and
   helpdesk-mail-header.c. Every input goes to each parser; results are
   checked against the contracts in the headers and freed.

   Built with -DHELPDESK_LIBFUZZER and clang -fsanitize=fuzzer it is a
   fuzzer; without, main() replays the files named on its command line
   (make check replays fuzz-corpus/ that way). */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helpdesk-imap-parse.h"
#include "helpdesk-mail-header.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* not g_assert(): G_DISABLE_ASSERT must not turn the checks off */
#define FUZZ_CHECK(cond) G_STMT_START { \
	if (!(cond)) { \
		fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, \
			__LINE__, #cond); \
		abort(); \
	} \
} G_STMT_END

static void
fuzz_check_args(const GPtrArray *args, guint depth)
{
	guint i;

	FUZZ_CHECK(args != NULL);
	FUZZ_CHECK(depth <= HELPDESK_IMAP_MAX_DEPTH);
	for (i = 0; i < args->len; i++) {
		const HelpdeskImapArg *arg = args->pdata[i];

		switch (arg->type) {
		case HELPDESK_IMAP_ARG_ATOM:
			FUZZ_CHECK(arg->len > 0);
			FUZZ_CHECK(strlen(arg->str) == arg->len);
			break;
		case HELPDESK_IMAP_ARG_STRING:
			FUZZ_CHECK(arg->str != NULL);
			FUZZ_CHECK(arg->str[arg->len] == '\0');
			break;
		case HELPDESK_IMAP_ARG_NIL:
			FUZZ_CHECK(arg->str == NULL && arg->list == NULL);
			break;
		case HELPDESK_IMAP_ARG_LIST:
			FUZZ_CHECK(arg->str == NULL);
			fuzz_check_args(arg->list, depth + 1);
			break;
		default:
			FUZZ_CHECK(!"unknown argument type");
		}
	}
}

/* Valid UTF-8 without the characters helpdesk_mail_header_get()
   replaces. */
static void
fuzz_check_display(const gchar *str)
{
	const gchar *p;

	FUZZ_CHECK(g_utf8_validate(str, -1, NULL));
	for (p = str; *p != '\0'; p = g_utf8_next_char(p)) {
		gunichar c = g_utf8_get_char(p);

		FUZZ_CHECK(c >= 0x20 && !(c >= 0x7f && c <= 0x9f));
		FUZZ_CHECK(!(c >= 0x202a && c <= 0x202e));
		FUZZ_CHECK(!(c >= 0x2066 && c <= 0x2069));
	}
}

static void
fuzz_response(const guchar *data, gsize size)
{
	HelpdeskImapResponse *resp;
	HelpdeskImapFetch fetch;
	GHashTable *entries;
	GArray *ranges;
	GError *error = NULL;
	gboolean earlier;
	gchar *mailbox;

	resp = helpdesk_imap_response_parse(data, size, &error);
	if (resp == NULL) {
		FUZZ_CHECK(error != NULL);
		FUZZ_CHECK(error->domain == HELPDESK_IMAP_PARSE_ERROR);
		g_error_free(error);
		return;
	}
	FUZZ_CHECK(error == NULL);
	FUZZ_CHECK((resp->tag != NULL) ==
		   (resp->kind == HELPDESK_IMAP_RESPONSE_TAGGED));
	FUZZ_CHECK((resp->name == NULL) ==
		   (resp->kind == HELPDESK_IMAP_RESPONSE_CONTINUATION));
	fuzz_check_args(resp->args, 0);
	fuzz_check_args(resp->code_args, 0);

	if (helpdesk_imap_fetch_parse(resp, &fetch, &error)) {
		FUZZ_CHECK(fetch.has_flags == (fetch.flags != NULL));
		FUZZ_CHECK(fetch.body == NULL ||
			   fetch.body[fetch.body_len] == '\0');
		helpdesk_imap_fetch_clear(&fetch);
	} else {
		FUZZ_CHECK(fetch.flags == NULL && fetch.body == NULL);
		g_clear_error(&error);
	}

	ranges = g_array_new(FALSE, FALSE, sizeof(HelpdeskImapRange));
	if (!helpdesk_imap_vanished_parse(resp, &earlier, ranges, &error)) {
		FUZZ_CHECK(ranges->len == 0);
		g_clear_error(&error);
	}
	g_array_unref(ranges);

	entries = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
					g_free);
	if (helpdesk_imap_metadata_parse(resp, &mailbox, entries, &error)) {
		FUZZ_CHECK(mailbox != NULL);
		g_free(mailbox);
	} else {
		FUZZ_CHECK(mailbox == NULL);
		FUZZ_CHECK(g_hash_table_size(entries) == 0);
		g_clear_error(&error);
	}
	g_hash_table_unref(entries);
	helpdesk_imap_response_free(resp);
}

/* A single line that helpdesk_imap_line_literal() says ends in a
   literal can't be a whole response: the two must agree. */
static void
fuzz_line_literal(const gchar *str, gsize size)
{
	const gchar *nl = memchr(str, '\n', size);
	HelpdeskImapResponse *resp;
	gsize line_len;
	guint64 literal;

	(void)helpdesk_imap_line_literal(str, size, &literal);
	if (nl == NULL || (gsize)(nl - str) != size - 1)
		return;
	line_len = size - 1;
	if (line_len > 0 && str[line_len - 1] == '\r')
		line_len--;
	if (!helpdesk_imap_line_literal(str, line_len, &literal))
		return;
	resp = helpdesk_imap_response_parse((const guchar *)str, size, NULL);
	FUZZ_CHECK(resp == NULL);
}

static void
fuzz_header(const gchar *str, gsize size)
{
	static const gchar *const fields[] = {
		"Subject", "From", "X-Helpdesk-Ticket"
	};
	gsize i;

	for (i = 0; i < G_N_ELEMENTS(fields); i++) {
		gchar *value = helpdesk_mail_header_get(str, size, fields[i]);
		gchar *sender, *cut;

		if (value == NULL)
			continue;
		fuzz_check_display(value);
		sender = helpdesk_mail_header_sender(value);
		FUZZ_CHECK(g_utf8_validate(sender, -1, NULL));
		cut = helpdesk_mail_header_ellipsize(sender, 20);
		FUZZ_CHECK(g_utf8_strlen(cut, -1) <= 21);
		g_free(cut);
		g_free(sender);
		g_free(value);
	}
}

static void
fuzz_strings(const gchar *str, gsize size)
{
	GArray *ranges;
	GError *error = NULL;
	gchar *out, *out2;

	ranges = g_array_new(FALSE, FALSE, sizeof(HelpdeskImapRange));
	if (!helpdesk_imap_set_parse(str, 1000, ranges, &error)) {
		FUZZ_CHECK(ranges->len == 0);
		g_clear_error(&error);
	}
	g_array_unref(ranges);

	out = helpdesk_mail_header_sender(str);
	FUZZ_CHECK(g_utf8_validate(out, -1, NULL));
	g_free(out);
	out = helpdesk_mail_header_ellipsize(str, (guint)(size % 64));
	FUZZ_CHECK(g_utf8_validate(out, -1, NULL));
	FUZZ_CHECK(g_utf8_strlen(out, -1) <= (glong)(size % 64) + 1);
	g_free(out);

	/* a quoted string parses back to the string */
	out = helpdesk_imap_quote(str);
	if (out != NULL) {
		gchar *line = g_strconcat("* X ", out, "\r\n", NULL);
		HelpdeskImapResponse *resp;
		HelpdeskImapArg *arg;

		resp = helpdesk_imap_response_parse((const guchar *)line,
						    strlen(line), NULL);
		FUZZ_CHECK(resp != NULL && resp->args->len == 1);
		arg = resp->args->pdata[0];
		FUZZ_CHECK(arg->type == HELPDESK_IMAP_ARG_STRING);
		FUZZ_CHECK(strcmp(arg->str, str) == 0);
		helpdesk_imap_response_free(resp);
		g_free(line);
		g_free(out);
	}

	out = helpdesk_imap_utf7_decode(str);
	if (out != NULL) {
		FUZZ_CHECK(g_utf8_validate(out, -1, NULL));
		out2 = helpdesk_imap_utf7_encode(out);
		FUZZ_CHECK(out2 != NULL);
		g_free(out2);
		g_free(out);
	}
	if (g_utf8_validate(str, (gssize)size, NULL)) {
		/* encoding is total on UTF-8 and decoding undoes it */
		out = helpdesk_imap_utf7_encode(str);
		FUZZ_CHECK(out != NULL);
		out2 = helpdesk_imap_utf7_decode(out);
		FUZZ_CHECK(out2 != NULL && strcmp(out2, str) == 0);
		g_free(out2);
		g_free(out);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	gchar *str;

	if (size > HELPDESK_IMAP_MAX_RESPONSE + 1)
		return 0;
	/* a NUL-terminated copy: the string functions stop at the first
	   NUL, the block and response ones use the length */
	str = g_malloc(size + 1);
	if (size > 0)
		memcpy(str, data, size);
	str[size] = '\0';

	fuzz_line_literal(str, size);
	fuzz_response((const guchar *)str, size);
	fuzz_header(str, size);
	fuzz_strings(str, size);
	g_free(str);
	return 0;
}

#ifndef HELPDESK_LIBFUZZER
int
main(int argc, char **argv)
{
	int i;

	if (argc < 2) {
		g_printerr("usage: %s FILE...\n", argv[0]);
		return 2;
	}
	for (i = 1; i < argc; i++) {
		GError *error = NULL;
		gchar *contents;
		gsize len;

		if (!g_file_get_contents(argv[i], &contents, &len, &error)) {
			g_printerr("%s\n", error->message);
			g_error_free(error);
			return 1;
		}
		LLVMFuzzerTestOneInput((const uint8_t *)contents, len);
		g_free(contents);
	}
	g_print("%d inputs replayed\n", argc - 1);
	return 0;
}
#endif
