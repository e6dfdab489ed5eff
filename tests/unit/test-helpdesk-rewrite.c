/* Copyright (c) 2026 dovecot-helpdesk authors, see the included COPYING file */

#include "lib.h"
#include "str.h"
#include "istream.h"
#include "test-common.h"
#include "helpdesk-rewrite.h"

/* The rewritten input, fed step bytes at a time (as a client's literal
   or LMTP's DATA arrives). */
static const char *rewrite(const char *input, uint64_t ticket, bool tag,
			   size_t step)
{
	struct istream *in, *out;
	const unsigned char *data;
	string_t *str = t_str_new(256);
	size_t size, len = strlen(input), avail = 0;
	int ret;

	in = test_istream_create_data(input, len);
	test_istream_set_allow_eof(in, len == 0);
	test_istream_set_size(in, 0);
	out = helpdesk_rewrite_stream(in, ticket, tag);
	for (;;) {
		ret = i_stream_read_more(out, &data, &size);
		if (ret > 0) {
			str_append_data(str, data, size);
			i_stream_skip(out, size);
		} else if (ret == -1) {
			break;
		} else if (avail < len) {
			avail = I_MIN(avail + step, len);
			test_istream_set_size(in, avail);
			if (avail == len)
				test_istream_set_allow_eof(in, TRUE);
		} else {
			/* all there and EOF allowed, yet no progress */
			test_assert(FALSE);
			break;
		}
	}
	test_assert(out->stream_errno == 0);
	i_stream_unref(&out);
	i_stream_unref(&in);
	return str_c(str);
}

static void test_helpdesk_rewrite_stream(void)
{
	static const struct {
		const char *input;
		uint64_t ticket;
		bool tag;
		const char *output;
	} tests[] = {
		{ "From: a@b\r\nSubject: Printer\r\n\r\nbody\r\n", 42, TRUE,
		  "From: a@b\r\nSubject: [#42] Printer\r\n"
		  "X-Helpdesk-Ticket: 42\r\n\r\nbody\r\n" },
		/* no Subject: one is added */
		{ "From: a@b\r\n\r\nbody\r\n", 7, TRUE,
		  "From: a@b\r\nSubject: [#7]\r\nX-Helpdesk-Ticket: 7\r\n"
		  "\r\nbody\r\n" },
		/* a forged header goes, the real one comes */
		{ "X-Helpdesk-Ticket: 999\r\nSubject: x\r\n\r\n", 3, TRUE,
		  "Subject: [#3] x\r\nX-Helpdesk-Ticket: 3\r\n\r\n" },
		{ "X-Helpdesk-Ticket: 999\r\nSubject: x\r\n\r\n", 0, TRUE,
		  "Subject: x\r\n\r\n" },
		/* no subject tag */
		{ "Subject: x\r\n\r\nb", 5, FALSE,
		  "Subject: x\r\nX-Helpdesk-Ticket: 5\r\n\r\nb" },
		/* folded subject: the rest is kept */
		{ "Subject: a long\r\n subject\r\nTo: s@x\r\n\r\n", 12, TRUE,
		  "Subject: [#12] a long\r\n subject\r\nTo: s@x\r\n"
		  "X-Helpdesk-Ticket: 12\r\n\r\n" },
		/* bare LF stays LF */
		{ "Subject: lf\n\nbody\n", 8, TRUE,
		  "Subject: [#8] lf\nX-Helpdesk-Ticket: 8\n\nbody\n" },
		/* only the first Subject is tagged */
		{ "Subject: one\r\nSubject: two\r\n\r\n", 9, TRUE,
		  "Subject: [#9] one\r\nSubject: two\r\n"
		  "X-Helpdesk-Ticket: 9\r\n\r\n" },
		/* no header/body separator at all: the added header ends as
		   the others do (the blank line is the header filter's) */
		{ "Subject: s\r\n", 4, TRUE,
		  "Subject: [#4] s\r\nX-Helpdesk-Ticket: 4\r\n\n" },
		{ "", 4, TRUE, "Subject: [#4]\nX-Helpdesk-Ticket: 4\n\n" },
	};
	static const size_t max_reads[] = { 1, 3, 1024 };
	unsigned int i, j;

	test_begin("helpdesk rewrite stream");
	for (i = 0; i < N_ELEMENTS(tests); i++) {
		for (j = 0; j < N_ELEMENTS(max_reads); j++) T_BEGIN {
			const char *got = rewrite(tests[i].input,
				tests[i].ticket, tests[i].tag, max_reads[j]);

			test_assert_idx(strcmp(got, tests[i].output) == 0,
					i * 10 + j);
			if (strcmp(got, tests[i].output) != 0)
				i_info("%u/%u: got '%s'", i, j, got);
		} T_END;
	}
	test_end();
}

int main(void)
{
	static void (*const tests[])(void) = {
		test_helpdesk_rewrite_stream,
		NULL
	};
	return test_run(tests);
}
