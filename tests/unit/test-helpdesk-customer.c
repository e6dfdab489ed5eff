/* Copyright (c) 2026 dovecot-helpdesk authors, see the included COPYING file */

/* The pure parts of the mail to customers: templates, rating addresses,
   VIP entries, the auto-reply composer and the settings. */

#include "lib.h"
#include "str.h"
#include "buffer.h"
#include "unichar.h"
#include "message-date.h"
#include "message-header-decode.h"
#include "qp-decoder.h"
#include "test-common.h"
#include "test-message.h"
#include "helpdesk-template.h"
#include "helpdesk-csat-token.h"
#include "helpdesk-vip.h"
#include "helpdesk-autoreply.h"
#include "helpdesk-customer-settings.h"

#include <fcntl.h>
#include <unistd.h>

#define TEST_SECRET "0123456789abcdef0123456789abcdef"

static const char *const test_variables[] = {
	"ticket", "subject", "support", NULL
};

/* n times c (data stack) */
static const char *test_fill(size_t n, char c)
{
	char *str = t_malloc0(n + 1);

	memset(str, c, n);
	return str;
}

/*
 * Templates
 */

static void test_helpdesk_template_parse(void)
{
	static const struct {
		const char *text;
		int ret;
		const char *subject, *body, *error;
	} tests[] = {
		/* no Subject line: all of it is the body */
		{ "Hello ${ticket}\n", 0, NULL, "Hello ${ticket}\n", NULL },
		{ "Subject: [#${ticket}] ${subject}\n\nHello ${support}\n", 0,
		  "[#${ticket}] ${subject}", "Hello ${support}\n", NULL },
		/* the name in any case, the value trimmed */
		{ "subject:  \t x y \t\n\nb", 0, "x y", "b", NULL },
		{ "SUBJECT:x\n\nb\n", 0, "x", "b\n", NULL },
		/* CRLF files */
		{ "Subject: x\r\n\r\nHello\r\n${ticket}\r\n", 0,
		  "x", "Hello\r\n${ticket}\r\n", NULL },
		{ "Subject: x\n\r\nb", 0, "x", "b", NULL },
		/* not a Subject line */
		{ "Subjects are nice\n", 0, NULL, "Subjects are nice\n", NULL },
		{ " Subject: x\n\nb", 0, NULL, " Subject: x\n\nb", NULL },
		/* '$' alone, "$$" and a '$' not followed by '{' */
		{ "Price: $$5, $5, $x, $ and $", 0, NULL,
		  "Price: $$5, $5, $x, $ and $", NULL },
		{ "$${nope} $$${ticket}", 0, NULL, "$${nope} $$${ticket}", NULL },
		{ "caf\xc3\xa9 ${subject}\n", 0, NULL,
		  "caf\xc3\xa9 ${subject}\n", NULL },

		/* unclosed ${ */
		{ "${ticket", -1, NULL, NULL,
		  "line 1: '${' without a closing '}'" },
		{ "a\nb\n${ticket\n}", -1, NULL, NULL,
		  "line 3: '${' without a closing '}'" },
		{ "Subject: ${ticket\n\nbody", -1, NULL, NULL,
		  "line 1: '${' without a closing '}'" },
		/* unknown variables, with their line */
		{ "a\n\n${nope}\n", -1, NULL, NULL,
		  "line 3: unknown variable '${nope}' "
		  "(known: ${ticket} ${subject} ${support})" },
		{ "a\r\nb\r\nc ${Ticket}", -1, NULL, NULL,
		  "line 3: unknown variable '${Ticket}' "
		  "(known: ${ticket} ${subject} ${support})" },
		{ "Subject: x\n\nbody\n${nope}", -1, NULL, NULL,
		  "line 4: unknown variable '${nope}' "
		  "(known: ${ticket} ${subject} ${support})" },
		{ "Subject: x\r\n\r\nbody\r\n${nope}", -1, NULL, NULL,
		  "line 4: unknown variable '${nope}' "
		  "(known: ${ticket} ${subject} ${support})" },
		{ "Subject: ${nope}\n\nbody", -1, NULL, NULL,
		  "line 1: unknown variable '${nope}' "
		  "(known: ${ticket} ${subject} ${support})" },
		{ "${}", -1, NULL, NULL,
		  "line 1: unknown variable '${}' "
		  "(known: ${ticket} ${subject} ${support})" },
		/* a long name is cut at 32 characters in the message */
		{ "${abcdefghijklmnopqrstuvwxyz0123456789}", -1, NULL, NULL,
		  "line 1: unknown variable '${abcdefghijklmnopqrstuvwxyz012345}' "
		  "(known: ${ticket} ${subject} ${support})" },
		/* the Subject line without the empty line */
		{ "Subject: x", -1, NULL, NULL,
		  "line 1: the Subject line must be followed by an empty line "
		  "and the text" },
		{ "Subject: x\nbody\n", -1, NULL, NULL,
		  "line 2: an empty line must follow the Subject line" },
		{ "Subject: x\r\nbody\r\n", -1, NULL, NULL,
		  "line 2: an empty line must follow the Subject line" },
		{ "Subject: x\n", -1, NULL, NULL,
		  "line 2: an empty line must follow the Subject line" },
		/* empty Subject */
		{ "Subject:\n\nbody", -1, NULL, NULL,
		  "line 1: the Subject is empty" },
		{ "Subject: \t \r\n\r\nbody", -1, NULL, NULL,
		  "line 1: the Subject is empty" },
		/* empty body */
		{ "", -1, NULL, NULL, "the text is empty" },
		{ " \r\n\t\n", -1, NULL, NULL, "the text is empty" },
		{ "Subject: x\n\n", -1, NULL, NULL, "the text is empty" },
		{ "Subject: x\r\n\r\n \r\n\t\r\n", -1, NULL, NULL,
		  "the text is empty" },
		/* invalid UTF-8 */
		{ "caf\xe9\n", -1, NULL, NULL, "not valid UTF-8" },
		{ "Subject: \xff\n\nbody", -1, NULL, NULL, "not valid UTF-8" },
		{ "body \xc3", -1, NULL, NULL, "not valid UTF-8" },
	};
	struct helpdesk_template tpl;
	const char *error;
	unsigned int i;
	int ret;

	test_begin("helpdesk template parse");
	for (i = 0; i < N_ELEMENTS(tests); i++) {
		error = NULL;
		ret = helpdesk_template_parse(pool_datastack_create(),
					      tests[i].text, test_variables,
					      &tpl, &error);
		test_assert_idx(ret == tests[i].ret, i);
		if (ret == 0) {
			test_assert_strcmp_idx(tpl.subject, tests[i].subject,
					       i);
			test_assert_strcmp_idx(tpl.body, tests[i].body, i);
		} else {
			test_assert_strcmp_idx(error, tests[i].error, i);
			test_assert_idx(tpl.subject == NULL &&
					tpl.body == NULL, i);
		}
	}
	test_end();
}

static void test_helpdesk_template_size(void)
{
	struct helpdesk_template tpl;
	string_t *text = t_str_new(HELPDESK_TEMPLATE_MAX_SIZE + 2);
	const char *error = NULL;

	test_begin("helpdesk template size");
	str_append(text, "Subject: big\n\n");
	while (str_len(text) < HELPDESK_TEMPLATE_MAX_SIZE)
		str_append_c(text, str_len(text) % 64 == 0 ? '\n' : 'a');
	test_assert(helpdesk_template_parse(pool_datastack_create(),
		str_c(text), test_variables, &tpl, &error) == 0);
	test_assert_strcmp(tpl.subject, "big");
	str_append_c(text, 'a');
	test_assert(helpdesk_template_parse(pool_datastack_create(),
		str_c(text), test_variables, &tpl, &error) == -1);
	test_assert_strcmp(error, "larger than 65536 bytes");
	test_end();
}

static void test_helpdesk_template_expand(void)
{
	static const struct {
		const char *part;
		const char *values[3];
		const char *expanded;
	} tests[] = {
		{ "#${ticket}: ${subject} (${support})",
		  { "42", "Printer", "Support" }, "#42: Printer (Support)" },
		{ "${ticket}${ticket}", { "4", NULL, NULL }, "44" },
		/* a NULL value is empty */
		{ "[${subject}]", { "42", NULL, NULL }, "[]" },
		{ "${ticket}${subject}${support}", { NULL, NULL, NULL }, "" },
		/* "$$" is "$"; a '$' not followed by '{' stays */
		{ "$$5 for #${ticket}$$", { "42", NULL, NULL }, "$5 for #42$" },
		{ "$5 $ x $x ${ $", { "42", NULL, NULL }, "$5 $ x $x ${ $" },
		{ "$${ticket}", { "42", NULL, NULL }, "${ticket}" },
		{ "$$$${ticket}", { "42", NULL, NULL }, "$${ticket}" },
		{ "$$$${ticket}$$$", { "42", NULL, NULL }, "$${ticket}$$" },
		{ "$$${ticket}$", { "42", NULL, NULL }, "$42$" },
		/* a value is not expanded again */
		{ "${subject}", { "42", "${ticket} $$", NULL },
		  "${ticket} $$" },
		/* what the parser refuses stays as it is */
		{ "${nope} ${ticket", { "42", NULL, NULL }, "${nope} ${ticket" },
		{ "", { "42", "x", "y" }, "" },
		{ "Gr\xc3\xbc\xc3\x9f" "e ${support}\n",
		  { NULL, NULL, "M\xc3\xbcnchen" },
		  "Gr\xc3\xbc\xc3\x9f" "e M\xc3\xbcnchen\n" },
	};
	unsigned int i;

	test_begin("helpdesk template expand");
	for (i = 0; i < N_ELEMENTS(tests); i++) {
		test_assert_strcmp_idx(helpdesk_template_expand(
			tests[i].part, test_variables, tests[i].values),
			tests[i].expanded, i);
	}
	test_end();
}

/*
 * Rating addresses
 */

static void test_helpdesk_csat_round_trip(void)
{
	static const struct helpdesk_csat_rating ratings[] = {
		{ 42, 7, 4 },
		{ 1, 1, HELPDESK_CSAT_MIN_SCORE },
		{ 1, 1, HELPDESK_CSAT_MAX_SCORE },
		{ 18446744073709551615ULL, 18446744073709551615ULL, 3 },
	};
	struct helpdesk_csat_rating rating;
	const char *detail, *prefix, *error;
	unsigned int i;

	test_begin("helpdesk csat round trip");
	for (i = 0; i < N_ELEMENTS(ratings); i++) {
		detail = helpdesk_csat_detail(TEST_SECRET, &ratings[i]);
		prefix = t_strdup_printf("rate-%llu-%llu-%u-",
			(unsigned long long)ratings[i].ticket,
			(unsigned long long)ratings[i].resolution,
			ratings[i].score);
		test_assert_idx(str_begins(detail, prefix), i);
		test_assert_idx(strlen(detail) == strlen(prefix) + 16, i);
		test_assert_idx(strspn(detail + strlen(prefix),
				       "0123456789abcdef") == 16, i);
		error = NULL;
		test_assert_idx(helpdesk_csat_detail_parse(TEST_SECRET, detail,
			&rating, &error) == 1, i);
		test_assert_idx(error == NULL, i);
		test_assert_idx(rating.ticket == ratings[i].ticket &&
				rating.resolution == ratings[i].resolution &&
				rating.score == ratings[i].score, i);
		/* another server's secret */
		test_assert_idx(helpdesk_csat_detail_parse(
			TEST_SECRET "x", detail, &rating, &error) == -1, i);
		test_assert_strcmp_idx(error,
			"bad signature (forged or altered)", i);
	}

	/* the signature is HMAC-SHA256's first 64 bits: links already sent
	   must stay valid */
	rating.ticket = 7;
	rating.resolution = 3;
	rating.score = 5;
	test_assert_strcmp(helpdesk_csat_detail("0123456789abcdef", &rating),
			   "rate-7-3-5-393758a35a74d6f9");
	test_end();
}

static void test_helpdesk_csat_parse(void)
{
	static const struct helpdesk_csat_rating signed_rating = { 42, 7, 4 };
	static const struct helpdesk_csat_rating score0 = { 42, 7, 0 };
	static const struct helpdesk_csat_rating score6 = { 42, 7, 6 };
	/* the signatures: the right one, one with its last digit changed,
	   and correctly signed ones of scores out of range */
	const char *sig = t_strdup(helpdesk_csat_detail(TEST_SECRET,
		&signed_rating) + strlen("rate-42-7-4-"));
	const char *flipped = t_strdup_printf("%.15s%c", sig,
					      sig[15] == '0' ? '1' : '0');
	const char *sig0 = t_strdup(helpdesk_csat_detail(TEST_SECRET,
		&score0) + strlen("rate-42-7-0-"));
	const char *sig6 = t_strdup(helpdesk_csat_detail(TEST_SECRET,
		&score6) + strlen("rate-42-7-6-"));
	const struct {
		const char *detail;
		int ret;
		const char *error;
	} tests[] = {
		{ t_strconcat("rate-42-7-4-", sig, NULL), 1, NULL },
		/* the numbers in any form that parses to the signed ones */
		{ t_strconcat("rate-042-007-04-", sig, NULL), 1, NULL },
		{ t_strconcat("RATE-42-7-4-", t_str_ucase(sig), NULL), 1, NULL },
		/* every field altered */
		{ t_strconcat("rate-43-7-4-", sig, NULL), -1,
		  "bad signature (forged or altered)" },
		{ t_strconcat("rate-42-8-4-", sig, NULL), -1,
		  "bad signature (forged or altered)" },
		{ t_strconcat("rate-42-7-5-", sig, NULL), -1,
		  "bad signature (forged or altered)" },
		{ t_strconcat("rate-42-7-4-", flipped, NULL), -1,
		  "bad signature (forged or altered)" },
		/* scores out of range, even when signed */
		{ t_strconcat("rate-42-7-0-", sig0, NULL), -1,
		  "score 0 out of range" },
		{ t_strconcat("rate-42-7-6-", sig6, NULL), -1,
		  "score 6 out of range" },
		{ t_strconcat("rate-42-7-4294967295-", sig, NULL), -1,
		  "score 4294967295 out of range" },
		/* wrong part counts */
		{ "rate-", -1, "malformed rating address" },
		{ t_strconcat("rate-42-", sig, NULL), -1,
		  "malformed rating address" },
		{ t_strconcat("rate-42-7-", sig, NULL), -1,
		  "malformed rating address" },
		{ t_strconcat("rate-42-7-4-", sig, "-1", NULL), -1,
		  "malformed rating address" },
		{ t_strconcat("rate-42-7-4--", sig, NULL), -1,
		  "malformed rating address" },
		/* numbers that are none */
		{ t_strconcat("rate-0-7-4-", sig, NULL), -1,
		  "malformed rating address" },
		{ t_strconcat("rate-42-0-4-", sig, NULL), -1,
		  "malformed rating address" },
		{ t_strconcat("rate-x-7-4-", sig, NULL), -1,
		  "malformed rating address" },
		{ t_strconcat("rate-+42-7-4-", sig, NULL), -1,
		  "malformed rating address" },
		{ t_strconcat("rate- 42-7-4-", sig, NULL), -1,
		  "malformed rating address" },
		{ t_strconcat("rate-18446744073709551616-7-4-", sig, NULL), -1,
		  "malformed rating address" },
		{ t_strconcat("rate-42-7-4294967296-", sig, NULL), -1,
		  "malformed rating address" },
		{ t_strconcat("rate-42-7--", sig, NULL), -1,
		  "malformed rating address" },
		/* signatures of the wrong form */
		{ "rate-42-7-4-", -1, "malformed signature" },
		{ t_strconcat("rate-42-7-4-", t_strndup(sig, 15), NULL), -1,
		  "malformed signature" },
		{ t_strconcat("rate-42-7-4-", sig, "0", NULL), -1,
		  "malformed signature" },
		{ "rate-42-7-4-0123456789abcdeg", -1, "malformed signature" },
		{ "rate-42-7-4-0123456789abcde ", -1, "malformed signature" },
		/* no rating's */
		{ "", 0, NULL },
		{ "rate", 0, NULL },
		{ "rat-42-7-4-0123456789abcdef", 0, NULL },
		{ "ticket-42", 0, NULL },
		{ t_strconcat("+rate-42-7-4-", sig, NULL), 0, NULL },
		{ t_strconcat(" rate-42-7-4-", sig, NULL), 0, NULL },
	};
	struct helpdesk_csat_rating rating;
	const char *error;
	unsigned int i;
	int ret;

	test_begin("helpdesk csat parse");
	for (i = 0; i < N_ELEMENTS(tests); i++) {
		error = NULL;
		rating.ticket = rating.resolution = 99;
		rating.score = 99;
		ret = helpdesk_csat_detail_parse(TEST_SECRET, tests[i].detail,
						 &rating, &error);
		test_assert_idx(ret == tests[i].ret, i);
		test_assert_strcmp_idx(error, tests[i].error, i);
		if (ret == 1) {
			test_assert_idx(rating.ticket == 42 &&
					rating.resolution == 7 &&
					rating.score == 4, i);
		} else if (ret == 0) {
			test_assert_idx(rating.ticket == 0 &&
					rating.resolution == 0 &&
					rating.score == 0, i);
		}
	}
	test_end();
}

/*
 * VIP entries
 */

static void test_helpdesk_vip_entry_parse(void)
{
	const char *local64 = test_fill(64, 'l');
	const char *label63 = test_fill(63, 'd');
	/* 254 and 255 characters: l@ddd.ddd.ddd.d... */
	const char *addr254 = t_strconcat("l@", label63, ".", label63, ".",
					  label63, ".", test_fill(60, 'd'),
					  NULL);
	const char *addr255 = t_strconcat("l@", label63, ".", label63, ".",
					  label63, ".", test_fill(61, 'd'),
					  NULL);
	const struct {
		const char *entry;
		const char *result, *error;
	} tests[] = {
		{ "alice@example.com", "alice@example.com", NULL },
		{ "Alice@Example.COM", "alice@example.com", NULL },
		{ "Example.COM", "example.com", NULL },
		{ "sub.example.co.uk", "sub.example.co.uk", NULL },
		{ "localhost", "localhost", NULL },
		{ "x_y-z.example", "x_y-z.example", NULL },
		{ "First.Last+tag@Example.com", "first.last+tag@example.com",
		  NULL },
		{ "o'brien@example.com", "o'brien@example.com", NULL },
		{ t_strconcat(local64, "@x.com", NULL),
		  t_strconcat(local64, "@x.com", NULL), NULL },
		{ t_strconcat(label63, ".com", NULL),
		  t_strconcat(label63, ".com", NULL), NULL },
		{ addr254, addr254, NULL },

		{ "", NULL, "the domain is empty" },
		{ "alice@", NULL, "the domain is empty" },
		{ "@example.com", NULL, "the address has no local part" },
		{ "alice@example..com", NULL, "a domain has no empty labels" },
		{ ".example.com", NULL, "a domain has no empty labels" },
		{ "example.com.", NULL, "a domain has no empty labels" },
		{ "alice@.", NULL, "a domain has no empty labels" },
		{ "alice@exa mple.com", NULL, "' ' can't be in a domain" },
		{ "a@b@c.com", NULL, "'@' can't be in a domain" },
		{ "example.com/x", NULL, "'/' can't be in a domain" },
		{ "\"a b\"@x.com", NULL,
		  "give the address as user@domain, without quotes or a name" },
		{ "Alice <a@x.com>", NULL,
		  "give the address as user@domain, without quotes or a name" },
		{ "a,b@x.com", NULL,
		  "give the address as user@domain, without quotes or a name" },
		{ "a\tb@x.com", NULL,
		  "give the address as user@domain, without quotes or a name" },
		{ "\xc3\xa4@x.com", NULL,
		  "give the address as user@domain, without quotes or a name" },
		{ t_strconcat(local64, "l@x.com", NULL), NULL,
		  "the local part is at most 64 characters" },
		{ t_strconcat(label63, "d.com", NULL), NULL,
		  "a domain label is at most 63 characters" },
		{ addr255, NULL, "longer than an address can be" },
	};
	const char *result, *error;
	unsigned int i;
	bool ret;

	test_begin("helpdesk vip entry parse");
	i_assert(strlen(addr254) == 254 && strlen(addr255) == 255);
	for (i = 0; i < N_ELEMENTS(tests); i++) {
		result = error = NULL;
		ret = helpdesk_vip_entry_parse(tests[i].entry, &result,
					       &error);
		test_assert_idx(ret == (tests[i].result != NULL), i);
		test_assert_strcmp_idx(result, tests[i].result, i);
		test_assert_strcmp_idx(error, tests[i].error, i);
	}
	test_end();
}

/*
 * Auto-replies
 */

static void test_helpdesk_autoreply_address_is_valid(void)
{
	const struct {
		const char *address;
		bool valid;
	} tests[] = {
		{ "a@b", TRUE },
		{ "first.last+tag@example.com", TRUE },
		{ t_strconcat(test_fill(64, 'l'), "@",
			      test_fill(189, 'd'), NULL), TRUE },
		{ t_strconcat(test_fill(64, 'l'), "@",
			      test_fill(190, 'd'), NULL), FALSE },
		{ "", FALSE },
		{ "a", FALSE },
		{ "@b", FALSE },
		{ "a@", FALSE },
		{ "a@@b", FALSE },
		{ "a@b@c", FALSE },
		{ "a b@c", FALSE },
		{ "<a@b>", FALSE },
		{ "\"a\"@b", FALSE },
		{ "a@b\r\nBcc: x@y", FALSE },
		{ "a@b\n", FALSE },
		{ "a\t@b", FALSE },
		{ "\xc3\xa4@b", FALSE },
		{ "a@b\x7f", FALSE },
		{ "a:b@c", FALSE },
		{ "a;b@c", FALSE },
		{ "a,b@c", FALSE },
		{ "a(b)@c", FALSE },
		{ "a@[127.0.0.1]", FALSE },
		{ "a\\b@c", FALSE },
	};
	unsigned int i;

	test_begin("helpdesk autoreply address is valid");
	for (i = 0; i < N_ELEMENTS(tests); i++) {
		test_assert_idx(helpdesk_autoreply_address_is_valid(
			tests[i].address) == tests[i].valid, i);
	}
	test_end();
}

/* Each header line starts with one of the headers the composer writes,
   or folding whitespace. */
static bool test_headers_known(const char *header)
{
	static const char *const names[] = {
		"From: ", "To: ", "Subject: ", "Date: ", "Message-ID: ",
		"In-Reply-To: ", "References: ", "Auto-Submitted: ",
		"X-Auto-Response-Suppress: ", "MIME-Version: ",
		"Content-Type: ", "Content-Transfer-Encoding: ", NULL
	};
	const char *const *lines = t_strsplit(header, "\n");
	unsigned int i, j;

	for (i = 0; lines[i] != NULL; i++) {
		if (lines[i][0] == '\0' || lines[i][0] == ' ' ||
		    lines[i][0] == '\t')
			continue;
		for (j = 0; names[j] != NULL; j++) {
			if (str_begins(lines[i], names[j]))
				break;
		}
		if (names[j] == NULL)
			return FALSE;
	}
	return TRUE;
}

static unsigned int test_count_header(const char *header, const char *name)
{
	const char *const *lines = t_strsplit(header, "\n");
	unsigned int i, count = 0;

	for (i = 0; lines[i] != NULL; i++) {
		if (str_begins(lines[i], name))
			count++;
	}
	return count;
}

static bool test_has_8bit(const char *text)
{
	for (; *text != '\0'; text++) {
		if ((unsigned char)*text >= 0x80)
			return TRUE;
	}
	return FALSE;
}

static const char *test_decode_subject(const char *header)
{
	const char *value = test_header(header, "Subject");
	buffer_t *buf = t_buffer_create(256);

	if (value == NULL)
		return NULL;
	message_header_decode_utf8((const unsigned char *)value,
				   strlen(value), buf, NULL);
	return str_c(buf);
}

static void test_autoreply_init(struct helpdesk_autoreply *reply)
{
	i_zero(reply);
	reply->from = "support@example.com";
	reply->to = "alice@example.org";
	reply->subject = "[#42] Re: Printer on fire";
	reply->message_id = "<hd.42.1@example.com>";
	reply->body = "Hello,\nwe got it.\n";
	reply->date = 1767225600;
}

static void test_helpdesk_autoreply_write(void)
{
	struct helpdesk_autoreply reply;
	string_t *str = t_str_new(1024);
	const char *date, *header, *body;

	test_begin("helpdesk autoreply write");
	test_autoreply_init(&reply);
	reply.in_reply_to_id = "<m1@example.org>";
	reply.references = "<r0@example.org> <r1@example.org>";
	date = message_date_create(reply.date);
	helpdesk_autoreply_write(str, &reply);
	test_assert_strcmp(str_c(str), t_strconcat(
		"From: <support@example.com>\r\n"
		"To: <alice@example.org>\r\n"
		"Subject: [#42] Re: Printer on fire\r\n"
		"Date: ", date, "\r\n"
		"Message-ID: <hd.42.1@example.com>\r\n"
		"In-Reply-To: <m1@example.org>\r\n"
		"References: <r0@example.org>\r\n"
		"\t<r1@example.org>\r\n"
		"\t<m1@example.org>\r\n"
		"Auto-Submitted: auto-replied\r\n"
		"X-Auto-Response-Suppress: All\r\n"
		"MIME-Version: 1.0\r\n"
		"Content-Type: text/plain; charset=utf-8\r\n"
		"Content-Transfer-Encoding: quoted-printable\r\n"
		"\r\n"
		"Hello,\r\n"
		"we got it.\r\n", NULL));

	/* nothing to reply to: no In-Reply-To or References */
	str_truncate(str, 0);
	test_autoreply_init(&reply);
	helpdesk_autoreply_write(str, &reply);
	test_split(str_c(str), &header, &body);
	test_assert(test_header(header, "In-Reply-To") == NULL);
	test_assert(test_header(header, "References") == NULL);
	test_assert_strcmp(test_header(header, "Auto-Submitted"),
			   "auto-replied");
	test_assert(test_crlf_only(str_c(str)));

	/* a Message-ID that is none: neither */
	str_truncate(str, 0);
	reply.in_reply_to_id = "no id here";
	reply.references = "";
	helpdesk_autoreply_write(str, &reply);
	test_split(str_c(str), &header, &body);
	test_assert(test_header(header, "In-Reply-To") == NULL);
	test_assert(test_header(header, "References") == NULL);

	/* References without a Message-ID */
	str_truncate(str, 0);
	reply.in_reply_to_id = NULL;
	reply.references = "<r0@x> junk (comment) <r1@x>";
	helpdesk_autoreply_write(str, &reply);
	test_split(str_c(str), &header, &body);
	test_assert(test_header(header, "In-Reply-To") == NULL);
	test_assert(strstr(header, "References: <r0@x>\r\n\t<r1@x>\r\n") !=
		    NULL);
	test_end();
}

static void test_helpdesk_autoreply_references(void)
{
	static const struct {
		unsigned int refs;
		bool msgid;
		const char *kept;
	} tests[] = {
		{ 1, FALSE, "1" },
		{ 0, TRUE, "m" },
		{ 9, TRUE, "1 2 3 4 5 6 7 8 9 m" },
		{ 10, FALSE, "1 2 3 4 5 6 7 8 9 10" },
		/* over the cap: the first and the newest */
		{ 10, TRUE, "1 3 4 5 6 7 8 9 10 m" },
		{ 11, FALSE, "1 3 4 5 6 7 8 9 10 11" },
		{ 15, TRUE, "1 8 9 10 11 12 13 14 15 m" },
		{ 200, TRUE, "1 193 194 195 196 197 198 199 200 m" },
	};
	struct helpdesk_autoreply reply;
	string_t *refs, *expected, *str = t_str_new(1024);
	const char *const *kept, *header, *body;
	unsigned int i, j;

	test_begin("helpdesk autoreply references");
	for (i = 0; i < N_ELEMENTS(tests); i++) {
		refs = t_str_new(256);
		for (j = 1; j <= tests[i].refs; j++)
			str_printfa(refs, "%s<r%u@x>", j == 1 ? "" : " ", j);
		expected = t_str_new(256);
		str_append(expected, "References:");
		kept = t_strsplit(tests[i].kept, " ");
		test_assert_idx(str_array_length(kept) <=
				HELPDESK_AUTOREPLY_MAX_REFERENCES, i);
		for (j = 0; kept[j] != NULL; j++) {
			str_printfa(expected, "%s<%s%s@x>",
				    j == 0 ? " " : "\r\n\t",
				    strcmp(kept[j], "m") == 0 ? "" : "r",
				    kept[j]);
		}
		str_append(expected, "\r\n");

		test_autoreply_init(&reply);
		reply.references = str_c(refs);
		reply.in_reply_to_id = tests[i].msgid ? "<m@x>" : NULL;
		str_truncate(str, 0);
		helpdesk_autoreply_write(str, &reply);
		test_split(str_c(str), &header, &body);
		test_assert_idx(strstr(header, str_c(expected)) != NULL, i);
		test_assert_idx(test_count_header(header, "References:") == 1,
				i);
		test_assert_idx(test_crlf_only(str_c(str)), i);
	}
	test_end();
}

static void test_helpdesk_autoreply_subject(void)
{
	static const struct {
		const char *subject, *decoded;
	} tests[] = {
		{ "Gr\xc3\xbc\xc3\x9f" "e", NULL },
		{ "[#42] Re: Gr\xc3\xbc\xc3\x9f" "e aus M\xc3\xbcnchen", NULL },
		/* long enough to be folded */
		{ "[#42] Re: Gr\xc3\xbc\xc3\x9f" "e aus M\xc3\xbcnchen, wir "
		  "haben Ihre Anfrage erhalten und bearbeiten sie so schnell "
		  "wie m\xc3\xb6glich, danke sch\xc3\xb6n", NULL },
		{ "\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac"
		  "\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac"
		  "\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac"
		  "\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac"
		  "\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac",
		  NULL },
		{ "=?utf-8?q?looks_encoded?=", NULL },
		/* CR and LF can't start a header: they become spaces */
		{ "Hi\r\nBcc: evil@example.net\nX-Injected: 1",
		  "Hi  Bcc: evil@example.net X-Injected: 1" },
		{ "Hi\r\n\r\nbody", "Hi    body" },
		{ "\xc3\xa4\r\nBcc: evil@example.net",
		  "\xc3\xa4  Bcc: evil@example.net" },
		{ "tab\there", "tab here" },
		{ "", "" },
	};
	struct helpdesk_autoreply reply;
	string_t *str = t_str_new(1024);
	const char *header, *body, *line;
	unsigned int i;

	test_begin("helpdesk autoreply subject");
	for (i = 0; i < N_ELEMENTS(tests); i++) {
		test_autoreply_init(&reply);
		reply.subject = tests[i].subject;
		str_truncate(str, 0);
		helpdesk_autoreply_write(str, &reply);
		test_assert_idx(test_crlf_only(str_c(str)), i);
		test_split(str_c(str), &header, &body);
		test_assert_idx(test_headers_known(header), i);
		test_assert_idx(test_count_header(header, "Subject:") == 1, i);
		test_assert_idx(strstr(header, "\nBcc:") == NULL &&
				strstr(header, "\nX-Injected:") == NULL, i);
		test_assert_strcmp_idx(test_decode_subject(header),
			tests[i].decoded != NULL ? tests[i].decoded :
			tests[i].subject, i);
		/* non-ASCII goes out RFC 2047-encoded */
		line = strstr(header, "Subject:");
		test_assert_idx(line != NULL, i);
		if (line != NULL && test_has_8bit(tests[i].subject)) {
			test_assert_idx(strstr(t_str_lcase(t_strcut(line,
				'\n')), "=?utf-8?") != NULL, i);
		}
		test_assert_idx(strspn(header, "\t\r\n !\"#$%&'()*+,-./"
			"0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`"
			"abcdefghijklmnopqrstuvwxyz{|}~") == strlen(header), i);
	}
	test_end();
}

static void test_helpdesk_autoreply_body(void)
{
	static const struct {
		const char *body, *encoded;
	} tests[] = {
		{ "Hello\nWorld\n", "Hello\r\nWorld\r\n" },
		{ "Hello\r\nWorld\r\n", "Hello\r\nWorld\r\n" },
		/* the last line gets its line end */
		{ "no newline", "no newline\r\n" },
		{ "", "" },
		{ "caf\xc3\xa9 = 100%\n", "caf=C3=A9 =3D 100%\r\n" },
		{ "a\rb\n", "a=0Db\r\n" },
		{ "From here\n.\n", "From here\r\n.\r\n" },
	};
	struct helpdesk_autoreply reply;
	string_t *str = t_str_new(1024), *long_body;
	const char *header, *body, *const *lines, *decoded;
	unsigned int i;

	test_begin("helpdesk autoreply body");
	for (i = 0; i < N_ELEMENTS(tests); i++) {
		test_autoreply_init(&reply);
		reply.body = tests[i].body;
		str_truncate(str, 0);
		helpdesk_autoreply_write(str, &reply);
		test_assert_idx(test_crlf_only(str_c(str)), i);
		test_split(str_c(str), &header, &body);
		test_assert_strcmp_idx(body, tests[i].encoded, i);
	}

	/* long lines and lines with headers in them: soft line breaks, at
	   most 76 characters, decoding gives the text back */
	long_body = t_str_new(2048);
	for (i = 0; i < 300; i++)
		str_append(long_body, i % 3 == 0 ? "\xc3\xbc" : "x");
	str_append(long_body, "\nBcc: evil@example.net\n\n");
	for (i = 0; i < 200; i++)
		str_append_c(long_body, 'a' + i % 26);
	str_append(long_body, "\n");
	test_autoreply_init(&reply);
	reply.body = str_c(long_body);
	str_truncate(str, 0);
	helpdesk_autoreply_write(str, &reply);
	test_assert(test_crlf_only(str_c(str)));
	test_split(str_c(str), &header, &body);
	test_assert(test_headers_known(header));
	lines = t_strsplit(body, "\n");
	for (i = 0; lines[i] != NULL; i++)
		test_assert_idx(strlen(t_strcut(lines[i], '\r')) <= 76, i);
	decoded = test_decode_qp(body);
	test_assert(decoded != NULL);
	test_assert_strcmp(decoded, t_strarray_join(
		t_strsplit(str_c(long_body), "\n"), "\r\n"));

	/* words: a soft line break after a space is still within 76 */
	str_truncate(long_body, 0);
	for (i = 0; i < 60; i++)
		str_append(long_body, i % 7 == 6 ? "caf\xc3\xa9\t" : "word ");
	str_append(long_body, "end\n");
	reply.body = str_c(long_body);
	str_truncate(str, 0);
	helpdesk_autoreply_write(str, &reply);
	test_split(str_c(str), &header, &body);
	lines = t_strsplit(body, "\n");
	for (i = 0; lines[i] != NULL; i++)
		test_assert_idx(strlen(t_strcut(lines[i], '\r')) <= 76, i);
	test_assert_strcmp(test_decode_qp(body), t_strarray_join(
		t_strsplit(str_c(long_body), "\n"), "\r\n"));
	test_end();
}

/*
 * Settings
 */

#define TEST_MAX_SETTINGS 8

struct test_settings {
	struct {
		const char *name, *value;
	} set[TEST_MAX_SETTINGS];
};

static const char *test_customer_getenv(const char *name, void *context)
{
	const struct test_settings *env = context;
	unsigned int i;

	for (i = 0; i < TEST_MAX_SETTINGS && env->set[i].name != NULL; i++) {
		if (strcmp(env->set[i].name, name) == 0)
			return env->set[i].value;
	}
	return NULL;
}

#define SUPPORT { "helpdesk_support_address", "Support@Example.COM" }
#define SECRET { "helpdesk_csat_secret", "0123456789abcdef" }
#define ERR_NO_SUPPORT "helpdesk_support_address is not set (the address " \
	"customers write to, e.g. support@example.com)"
#define ERR_LIMIT(v) "helpdesk_ack_limit: invalid limit '" v "' (e.g. " \
	"3/10m: at most 3 per sender in 10 minutes)"
#define ERR_DELIM(v) "helpdesk_recipient_delimiter: invalid delimiter '" \
	v "' (one character, e.g. +)"
#define ERR_NO_SECRET "helpdesk_csat needs helpdesk_csat_secret (a server " \
	"secret that signs the rating links; e.g. openssl rand -hex 32)"
#define ERR_SHORT_SECRET "helpdesk_csat_secret: too short (at least 16 " \
	"characters; e.g. openssl rand -hex 32)"

static void test_helpdesk_customer_settings_defaults(void)
{
	struct test_settings env;
	struct helpdesk_customer_settings set;

	test_begin("helpdesk customer settings defaults");
	i_zero(&env);
	helpdesk_customer_settings_parse(pool_datastack_create(),
		test_customer_getenv, &env, &set);
	test_assert(!set.ack && !set.csat);
	test_assert(set.ack_error == NULL && set.csat_error == NULL);
	test_assert(set.support_address == NULL);
	test_assert(set.delimiter == '+');
	test_assert(set.ack_limit == HELPDESK_ACK_DEFAULT_LIMIT);
	test_assert(set.ack_window_secs == HELPDESK_ACK_DEFAULT_WINDOW_SECS);
	test_assert(set.csat_secret == NULL);
	test_assert(set.ack_template.body == NULL);

	/* both on, with the default texts */
	env.set[0].name = "helpdesk_support_address";
	env.set[0].value = "Support@Example.COM";
	env.set[1].name = "helpdesk_ack";
	env.set[1].value = "yes";
	env.set[2].name = "helpdesk_csat";
	env.set[2].value = "YES";
	env.set[3].name = "helpdesk_csat_secret";
	env.set[3].value = TEST_SECRET;
	helpdesk_customer_settings_parse(pool_datastack_create(),
		test_customer_getenv, &env, &set);
	test_assert(set.ack && set.csat);
	test_assert(set.ack_error == NULL && set.csat_error == NULL);
	test_assert_strcmp(set.support_address, "support@example.com");
	test_assert_strcmp(set.support_user, "support");
	test_assert_strcmp(set.support_domain, "example.com");
	test_assert_strcmp(set.csat_secret, TEST_SECRET);
	test_assert_strcmp(set.ack_template.subject,
			   "[#${ticket}] Re: ${subject}");
	test_assert(set.ack_template.body != NULL &&
		    strstr(set.ack_template.body, "${first_response}") != NULL);
	test_assert_strcmp(set.csat_template.subject,
			   "[#${ticket}] How did we do? ${subject}");
	test_assert(set.csat_template.body != NULL &&
		    strstr(set.csat_template.body, "${rating_links}") != NULL);
	test_end();
}

static void test_helpdesk_customer_settings_errors(void)
{
	static const struct {
		struct test_settings env;
		bool ack, csat, secret;
		const char *ack_error, *csat_error;
		unsigned int ack_limit, ack_window_secs;
		char delimiter;
	} tests[] = {
		/* nothing on */
		{ { { SUPPORT } }, FALSE, FALSE, FALSE, NULL, NULL, 3, 600, '+' },
		{ { { SUPPORT, { "helpdesk_ack", "no" },
		      { "helpdesk_ack_limit", "x" } } },
		  FALSE, FALSE, FALSE, NULL, NULL, 3, 600, '+' },
		{ { { SUPPORT, { "helpdesk_ack", "" } } },
		  FALSE, FALSE, FALSE, NULL, NULL, 3, 600, '+' },
		{ { { SUPPORT, { "helpdesk_ack", "0" } } },
		  FALSE, FALSE, FALSE, NULL, NULL, 3, 600, '+' },
		/* the acknowledgement */
		{ { { SUPPORT, { "helpdesk_ack", "1" } } },
		  TRUE, FALSE, FALSE, NULL, NULL, 3, 600, '+' },
		{ { { { "helpdesk_ack", "yes" } } },
		  FALSE, FALSE, FALSE, ERR_NO_SUPPORT, NULL, 3, 600, '+' },
		{ { { { "helpdesk_ack", "yes" },
		      { "helpdesk_support_address", "" } } },
		  FALSE, FALSE, FALSE, ERR_NO_SUPPORT, NULL, 3, 600, '+' },
		{ { { { "helpdesk_ack", "maybe" } } },
		  FALSE, FALSE, FALSE, "helpdesk_ack: invalid boolean 'maybe' "
		  "(use yes or no)", NULL, 3, 600, '+' },
		{ { { SUPPORT, { "helpdesk_ack", "yes" },
		      { "helpdesk_ack_limit", "5/1h" } } },
		  TRUE, FALSE, FALSE, NULL, NULL, 5, 3600, '+' },
		{ { { SUPPORT, { "helpdesk_ack", "yes" },
		      { "helpdesk_ack_limit", "1/30s" } } },
		  TRUE, FALSE, FALSE, NULL, NULL, 1, 30, '+' },
		{ { { SUPPORT, { "helpdesk_ack", "yes" },
		      { "helpdesk_ack_limit", "" } } },
		  TRUE, FALSE, FALSE, NULL, NULL, 3, 600, '+' },
		{ { { SUPPORT, { "helpdesk_ack", "yes" },
		      { "helpdesk_ack_limit", "3" } } },
		  FALSE, FALSE, FALSE, ERR_LIMIT("3"), NULL, 0, 0, '+' },
		{ { { SUPPORT, { "helpdesk_ack", "yes" },
		      { "helpdesk_ack_limit", "0/10m" } } },
		  FALSE, FALSE, FALSE, ERR_LIMIT("0/10m"), NULL, 0, 0, '+' },
		{ { { SUPPORT, { "helpdesk_ack", "yes" },
		      { "helpdesk_ack_limit", "x/10m" } } },
		  FALSE, FALSE, FALSE, ERR_LIMIT("x/10m"), NULL, 0, 0, '+' },
		{ { { SUPPORT, { "helpdesk_ack", "yes" },
		      { "helpdesk_ack_limit", "/10m" } } },
		  FALSE, FALSE, FALSE, ERR_LIMIT("/10m"), NULL, 0, 0, '+' },
		{ { { SUPPORT, { "helpdesk_ack", "yes" },
		      { "helpdesk_ack_limit", "3/0" } } },
		  FALSE, FALSE, FALSE, ERR_LIMIT("3/0"), NULL, 0, 0, '+' },
		{ { { SUPPORT, { "helpdesk_ack", "yes" },
		      { "helpdesk_ack_limit", "3/soon" } } },
		  FALSE, FALSE, FALSE, ERR_LIMIT("3/soon"), NULL, 0, 0, '+' },
		{ { { SUPPORT, { "helpdesk_ack", "yes" },
		      { "helpdesk_ack_limit", "-1/10m" } } },
		  FALSE, FALSE, FALSE, ERR_LIMIT("-1/10m"), NULL, 0, 0, '+' },
		/* the support address and the delimiter */
		{ { { { "helpdesk_ack", "yes" },
		      { "helpdesk_support_address", "support+x@example.com" } } },
		  FALSE, FALSE, FALSE, "helpdesk_support_address: invalid "
		  "address 'support+x@example.com' (user@domain, without '+')",
		  NULL, 3, 600, '+' },
		{ { { { "helpdesk_ack", "yes" },
		      { "helpdesk_recipient_delimiter", "-" },
		      { "helpdesk_support_address", "help-desk@example.com" } } },
		  FALSE, FALSE, FALSE, "helpdesk_support_address: invalid "
		  "address 'help-desk@example.com' (user@domain, without '-')",
		  NULL, 3, 600, '-' },
		{ { { { "helpdesk_ack", "yes" },
		      { "helpdesk_recipient_delimiter", "-" },
		      { "helpdesk_support_address", "support+x@example.com" } } },
		  TRUE, FALSE, FALSE, NULL, NULL, 3, 600, '-' },
		{ { { { "helpdesk_ack", "yes" },
		      { "helpdesk_support_address", "example.com" } } },
		  FALSE, FALSE, FALSE, "helpdesk_support_address: invalid "
		  "address 'example.com' (user@domain, without '+')",
		  NULL, 3, 600, '+' },
		{ { { { "helpdesk_ack", "yes" },
		      { "helpdesk_support_address", "@example.com" } } },
		  FALSE, FALSE, FALSE, "helpdesk_support_address: invalid "
		  "address '@example.com' (user@domain, without '+')",
		  NULL, 3, 600, '+' },
		{ { { { "helpdesk_ack", "yes" },
		      { "helpdesk_support_address", "support@" } } },
		  FALSE, FALSE, FALSE, "helpdesk_support_address: invalid "
		  "address 'support@' (user@domain, without '+')",
		  NULL, 3, 600, '+' },
		{ { { { "helpdesk_ack", "yes" },
		      { "helpdesk_support_address", "Support <s@example.com>" } } },
		  FALSE, FALSE, FALSE, "helpdesk_support_address: invalid "
		  "address 'Support <s@example.com>' (user@domain, without '+')",
		  NULL, 3, 600, '+' },
		/* what can't be the From of a message */
		{ { { { "helpdesk_ack", "yes" },
		      { "helpdesk_support_address", "a@b@example.com" } } },
		  FALSE, FALSE, FALSE, "helpdesk_support_address: invalid "
		  "address 'a@b@example.com' (user@domain, without '+')",
		  NULL, 3, 600, '+' },
		{ { { { "helpdesk_ack", "yes" },
		      { "helpdesk_support_address", "sup\rport@example.com" } } },
		  FALSE, FALSE, FALSE, "helpdesk_support_address: invalid "
		  "address 'sup?port@example.com' (user@domain, without '+')",
		  NULL, 3, 600, '+' },
		{ { { SUPPORT, { "helpdesk_ack", "yes" },
		      { "helpdesk_recipient_delimiter", "++" } } },
		  FALSE, FALSE, FALSE, ERR_DELIM("++"), NULL, 3, 600, '+' },
		{ { { SUPPORT, { "helpdesk_ack", "yes" },
		      { "helpdesk_recipient_delimiter", "a" } } },
		  FALSE, FALSE, FALSE, ERR_DELIM("a"), NULL, 3, 600, '+' },
		{ { { SUPPORT, { "helpdesk_ack", "yes" },
		      { "helpdesk_recipient_delimiter", "7" } } },
		  FALSE, FALSE, FALSE, ERR_DELIM("7"), NULL, 3, 600, '+' },
		{ { { SUPPORT, { "helpdesk_ack", "yes" },
		      { "helpdesk_recipient_delimiter", "@" } } },
		  FALSE, FALSE, FALSE, ERR_DELIM("@"), NULL, 3, 600, '+' },
		{ { { SUPPORT, { "helpdesk_ack", "yes" },
		      { "helpdesk_recipient_delimiter", "." } } },
		  FALSE, FALSE, FALSE, ERR_DELIM("."), NULL, 3, 600, '+' },
		{ { { SUPPORT, { "helpdesk_ack", "yes" },
		      { "helpdesk_recipient_delimiter", " " } } },
		  FALSE, FALSE, FALSE, ERR_DELIM(" "), NULL, 3, 600, '+' },
		{ { { SUPPORT, { "helpdesk_csat", "yes" }, SECRET,
		      { "helpdesk_recipient_delimiter", "++" } } },
		  FALSE, FALSE, FALSE, NULL, ERR_DELIM("++"), 3, 600, '+' },
		{ { { SUPPORT, { "helpdesk_ack", "yes" },
		      { "helpdesk_recipient_delimiter", "" } } },
		  TRUE, FALSE, FALSE, NULL, NULL, 3, 600, '+' },
		/* the rating */
		{ { { SUPPORT, { "helpdesk_csat", "yes" } } },
		  FALSE, FALSE, FALSE, NULL, ERR_NO_SECRET, 3, 600, '+' },
		{ { { SUPPORT, { "helpdesk_csat", "yes" },
		      { "helpdesk_csat_secret", "" } } },
		  FALSE, FALSE, FALSE, NULL, ERR_NO_SECRET, 3, 600, '+' },
		{ { { SUPPORT, { "helpdesk_csat", "yes" },
		      { "helpdesk_csat_secret", "0123456789abcde" } } },
		  FALSE, FALSE, FALSE, NULL, ERR_SHORT_SECRET, 3, 600, '+' },
		{ { { SUPPORT, { "helpdesk_csat", "yes" }, SECRET } },
		  FALSE, TRUE, TRUE, NULL, NULL, 3, 600, '+' },
		{ { { { "helpdesk_csat", "yes" }, SECRET } },
		  FALSE, FALSE, FALSE, NULL, ERR_NO_SUPPORT, 3, 600, '+' },
		{ { { SUPPORT, { "helpdesk_csat", "2" }, SECRET } },
		  FALSE, FALSE, TRUE, NULL, "helpdesk_csat: invalid boolean "
		  "'2' (use yes or no)", 3, 600, '+' },
		/* the secret also verifies with the request mail off */
		{ { { SUPPORT, { "helpdesk_csat", "no" }, SECRET } },
		  FALSE, FALSE, TRUE, NULL, NULL, 3, 600, '+' },
		{ { { SUPPORT, SECRET } },
		  FALSE, FALSE, TRUE, NULL, NULL, 3, 600, '+' },
		{ { { SUPPORT, { "helpdesk_csat_secret", "short" } } },
		  FALSE, FALSE, FALSE, NULL, ERR_SHORT_SECRET, 3, 600, '+' },
		/* one feature's error leaves the other on */
		{ { { SUPPORT, { "helpdesk_ack", "yes" },
		      { "helpdesk_ack_limit", "3" },
		      { "helpdesk_csat", "yes" }, SECRET } },
		  FALSE, TRUE, TRUE, ERR_LIMIT("3"), NULL, 0, 0, '+' },
		{ { { SUPPORT, { "helpdesk_ack", "yes" },
		      { "helpdesk_csat", "yes" } } },
		  TRUE, FALSE, FALSE, NULL, ERR_NO_SECRET, 3, 600, '+' },
	};
	struct helpdesk_customer_settings set;
	unsigned int i;

	test_begin("helpdesk customer settings errors");
	for (i = 0; i < N_ELEMENTS(tests); i++) {
		helpdesk_customer_settings_parse(pool_datastack_create(),
			test_customer_getenv, (void *)&tests[i].env, &set);
		test_assert_idx(set.ack == tests[i].ack, i);
		test_assert_idx(set.csat == tests[i].csat, i);
		test_assert_idx((set.csat_secret != NULL) == tests[i].secret,
				i);
		test_assert_strcmp_idx(set.ack_error, tests[i].ack_error, i);
		test_assert_strcmp_idx(set.csat_error, tests[i].csat_error, i);
		test_assert_idx(set.delimiter == tests[i].delimiter, i);
		/* the limit counts only when the acknowledgement is on */
		if (set.ack) {
			test_assert_idx(set.ack_limit == tests[i].ack_limit &&
				set.ack_window_secs == tests[i].ack_window_secs,
				i);
			test_assert_idx(set.ack_template.body != NULL, i);
		}
		if (set.csat)
			test_assert_idx(set.csat_template.body != NULL, i);
	}
	test_end();
}

static const char *test_write_file(const char *name, const void *data,
				   size_t size)
{
	const char *path = t_strdup_printf("/tmp/test-helpdesk-customer.%s.%s",
					   dec2str(getpid()), name);
	int fd;

	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd == -1)
		i_fatal("open(%s) failed: %m", path);
	if (write(fd, data, size) != (ssize_t)size)
		i_fatal("write(%s) failed: %m", path);
	i_close_fd(&fd);
	return path;
}

static void test_helpdesk_customer_settings_templates(void)
{
	static const char ack_text[] =
		"Subject: Re: ${subject} [#${ticket}]\n\nDear customer,\n"
		"first answer ${first_response}\n-- \n${support}\n";
	static const char crlf_text[] =
		"Subject: Re: ${subject}\r\n\r\nHello\r\n${support}\r\n";
	static const char csat_text[] =
		"How did we do?\n${rating_links}\n${rating_1} ${rating_5}\n";
	static const char nul_text[] = "Hello\0world\n";
	const char *ack_path, *crlf_path, *csat_path, *nul_path, *empty_path;
	const char *big_path, *missing_path;
	struct test_settings env;
	struct helpdesk_customer_settings set;
	string_t *big;

	test_begin("helpdesk customer settings templates");
	ack_path = test_write_file("ack", ack_text, strlen(ack_text));
	crlf_path = test_write_file("crlf", crlf_text, strlen(crlf_text));
	csat_path = test_write_file("csat", csat_text, strlen(csat_text));
	nul_path = test_write_file("nul", nul_text, sizeof(nul_text) - 1);
	empty_path = test_write_file("empty", "", 0);
	big = t_str_new(HELPDESK_TEMPLATE_MAX_SIZE + 8192);
	while (str_len(big) <= HELPDESK_TEMPLATE_MAX_SIZE + 4096)
		str_append(big, "The quick brown fox ${ticket}.\n");
	big_path = test_write_file("big", str_data(big), str_len(big));
	missing_path = t_strdup_printf("/tmp/test-helpdesk-customer.%s.missing",
				       dec2str(getpid()));

	i_zero(&env);
	env.set[0].name = "helpdesk_support_address";
	env.set[0].value = "support@example.com";
	env.set[1].name = "helpdesk_ack";
	env.set[1].value = "yes";
	env.set[2].name = "helpdesk_csat";
	env.set[2].value = "yes";
	env.set[3].name = "helpdesk_csat_secret";
	env.set[3].value = TEST_SECRET;
	env.set[4].name = "helpdesk_ack_template";
	env.set[5].name = "helpdesk_csat_template";

	/* the files' texts */
	env.set[4].value = ack_path;
	env.set[5].value = csat_path;
	helpdesk_customer_settings_parse(pool_datastack_create(),
		test_customer_getenv, &env, &set);
	test_assert(set.ack && set.csat);
	test_assert(set.ack_error == NULL && set.csat_error == NULL);
	test_assert_strcmp(set.ack_template.subject,
			   "Re: ${subject} [#${ticket}]");
	test_assert_strcmp(set.ack_template.body, "Dear customer,\n"
			   "first answer ${first_response}\n-- \n${support}\n");
	test_assert(set.csat_template.subject == NULL);
	test_assert_strcmp(set.csat_template.body, csat_text);

	/* a CRLF file; "" is the default */
	env.set[4].value = crlf_path;
	env.set[5].value = "";
	helpdesk_customer_settings_parse(pool_datastack_create(),
		test_customer_getenv, &env, &set);
	test_assert(set.ack && set.csat);
	test_assert_strcmp(set.ack_template.subject, "Re: ${subject}");
	test_assert_strcmp(set.ack_template.body, "Hello\r\n${support}\r\n");
	test_assert_strcmp(set.csat_template.subject,
			   "[#${ticket}] How did we do? ${subject}");

	/* each template knows only its own variables */
	env.set[4].value = csat_path;
	env.set[5].value = ack_path;
	helpdesk_customer_settings_parse(pool_datastack_create(),
		test_customer_getenv, &env, &set);
	test_assert(!set.ack && !set.csat);
	test_assert_strcmp(set.ack_error, t_strdup_printf(
		"helpdesk_ack_template: %s: line 2: unknown variable "
		"'${rating_links}' (known: ${ticket} ${subject} "
		"${first_response} ${support})", csat_path));
	test_assert_strcmp(set.csat_error, t_strdup_printf(
		"helpdesk_csat_template: %s: line 4: unknown variable "
		"'${first_response}' (known: ${ticket} ${subject} ${support} "
		"${rating_links} ${rating_1} ${rating_2} ${rating_3} "
		"${rating_4} ${rating_5})", ack_path));

	/* relative and missing paths */
	env.set[4].value = "templates/ack.txt";
	env.set[5].value = missing_path;
	helpdesk_customer_settings_parse(pool_datastack_create(),
		test_customer_getenv, &env, &set);
	test_assert(!set.ack && !set.csat);
	test_assert_strcmp(set.ack_error, "helpdesk_ack_template: the path "
			   "must be absolute: templates/ack.txt");
	test_assert_strcmp(set.csat_error, t_strdup_printf(
		"helpdesk_csat_template: open(%s) failed: No such file or "
		"directory", missing_path));

	/* not a text file, empty, a directory, too large */
	env.set[4].value = nul_path;
	env.set[5].value = empty_path;
	helpdesk_customer_settings_parse(pool_datastack_create(),
		test_customer_getenv, &env, &set);
	test_assert(!set.ack && !set.csat);
	test_assert_strcmp(set.ack_error, t_strdup_printf(
		"helpdesk_ack_template: %s: not a text file", nul_path));
	test_assert_strcmp(set.csat_error, t_strdup_printf(
		"helpdesk_csat_template: %s: the text is empty", empty_path));

	env.set[4].value = "/tmp";
	env.set[5].value = big_path;
	helpdesk_customer_settings_parse(pool_datastack_create(),
		test_customer_getenv, &env, &set);
	test_assert(!set.ack && !set.csat);
	test_assert_strcmp(set.ack_error, "helpdesk_ack_template: "
			   "read(/tmp) failed: Is a directory");
	test_assert_strcmp(set.csat_error, t_strdup_printf(
		"helpdesk_csat_template: %s: larger than 65536 bytes",
		big_path));

	/* the template is not read while its feature is off */
	env.set[1].value = "no";
	env.set[2].value = "no";
	env.set[4].value = missing_path;
	env.set[5].value = "relative";
	helpdesk_customer_settings_parse(pool_datastack_create(),
		test_customer_getenv, &env, &set);
	test_assert(set.ack_error == NULL && set.csat_error == NULL);
	test_assert_strcmp(set.csat_secret, TEST_SECRET);

	i_unlink(ack_path);
	i_unlink(crlf_path);
	i_unlink(csat_path);
	i_unlink(nul_path);
	i_unlink(empty_path);
	i_unlink(big_path);
	test_end();
}

int main(void)
{
	static void (*const test_functions[])(void) = {
		test_helpdesk_template_parse,
		test_helpdesk_template_size,
		test_helpdesk_template_expand,
		test_helpdesk_csat_round_trip,
		test_helpdesk_csat_parse,
		test_helpdesk_vip_entry_parse,
		test_helpdesk_autoreply_address_is_valid,
		test_helpdesk_autoreply_write,
		test_helpdesk_autoreply_references,
		test_helpdesk_autoreply_subject,
		test_helpdesk_autoreply_body,
		test_helpdesk_customer_settings_defaults,
		test_helpdesk_customer_settings_errors,
		test_helpdesk_customer_settings_templates,
		NULL
	};
	return test_run(test_functions);
}
