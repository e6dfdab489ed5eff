/* Copyright (c) 2026 dovecot-helpdesk authors, see the included COPYING file */

#include "lib.h"
#include "test-common.h"
#include "helpdesk-auto.h"

static void test_helpdesk_auto_detect(void)
{
	static const struct {
		struct helpdesk_auto_headers hdr;
		enum helpdesk_auto_reason reason;
	} tests[] = {
		{ { .subject = "Printer on fire" }, HELPDESK_AUTO_NONE },
		{ { .auto_submitted = "no" }, HELPDESK_AUTO_NONE },
		{ { .auto_submitted = " No (manual)" }, HELPDESK_AUTO_NONE },
		{ { .auto_submitted = "auto-replied" }, HELPDESK_AUTO_SUBMITTED },
		{ { .auto_submitted = "auto-generated (failure)" },
		  HELPDESK_AUTO_SUBMITTED },
		{ { .auto_submitted = "nope" }, HELPDESK_AUTO_SUBMITTED },
		{ { .precedence = "bulk" }, HELPDESK_AUTO_PRECEDENCE },
		{ { .precedence = "JUNK" }, HELPDESK_AUTO_PRECEDENCE },
		{ { .precedence = " list" }, HELPDESK_AUTO_PRECEDENCE },
		{ { .precedence = "first-class" }, HELPDESK_AUTO_NONE },
		{ { .precedence = "bulky" }, HELPDESK_AUTO_NONE },
		{ { .list_id = "<dev.lists.example.org>" }, HELPDESK_AUTO_LIST },
		{ { .list_other = "<mailto:leave@lists.example.org>" },
		  HELPDESK_AUTO_LIST },
		{ { .precedence = "auto_reply" }, HELPDESK_AUTO_PRECEDENCE },
		{ { .return_path = "<>" }, HELPDESK_AUTO_NULL_SENDER },
		{ { .return_path = " < > " }, HELPDESK_AUTO_NULL_SENDER },
		{ { .return_path = "" }, HELPDESK_AUTO_NULL_SENDER },
		{ { .return_path = "<a@example.org>" }, HELPDESK_AUTO_NONE },
		{ { .return_path_localpart = "MAILER-DAEMON" },
		  HELPDESK_AUTO_DAEMON },
		{ { .from_localpart = "postmaster" }, HELPDESK_AUTO_DAEMON },
		{ { .sender_localpart = "Mailer-Daemon" }, HELPDESK_AUTO_DAEMON },
		{ { .from_localpart = "postmaster-team" }, HELPDESK_AUTO_NONE },
		{ { .content_type = "multipart/report; report-type=delivery-status" },
		  HELPDESK_AUTO_REPORT },
		{ { .content_type = "Multipart/Report;" }, HELPDESK_AUTO_REPORT },
		{ { .content_type = "multipart/mixed" }, HELPDESK_AUTO_NONE },
		{ { .content_type = "message/delivery-status" },
		  HELPDESK_AUTO_REPORT },
		{ { .content_type = "message/rfc822" }, HELPDESK_AUTO_NONE },
		{ { .x_autoreply = "yes" }, HELPDESK_AUTO_RESPONDER },
		{ { .x_failed_recipients = "a@example.org" },
		  HELPDESK_AUTO_RESPONDER },
		{ { .subject = "Automatic reply: your ticket" },
		  HELPDESK_AUTO_SUBJECT },
		{ { .subject = "Out of Office: until Monday" },
		  HELPDESK_AUTO_SUBJECT },
		{ { .subject = "[Automatyczna odpowied\xc5\xba] Re: x" },
		  HELPDESK_AUTO_SUBJECT },
		{ { .subject = "AutoRespons :Nyaan?" }, HELPDESK_AUTO_SUBJECT },
		/* a customer writing about auto replies is a customer */
		{ { .subject = "Re: automatic reply is broken" },
		  HELPDESK_AUTO_NONE },
		{ { .subject = "Help: out of office setting" },
		  HELPDESK_AUTO_NONE },
		/* the first matching rule names the reason */
		{ { .auto_submitted = "auto-replied", .list_id = "<x>" },
		  HELPDESK_AUTO_SUBMITTED },
	};
	unsigned int i;

	test_begin("helpdesk auto detect");
	for (i = 0; i < N_ELEMENTS(tests); i++) {
		test_assert_idx(helpdesk_auto_detect(&tests[i].hdr) ==
				tests[i].reason, i);
	}
	test_end();
}

static void test_helpdesk_auto_null_path(void)
{
	test_begin("helpdesk auto null path");
	test_assert(helpdesk_auto_is_null_path("<>"));
	test_assert(helpdesk_auto_is_null_path("<> (bounce)"));
	test_assert(!helpdesk_auto_is_null_path("<x@y>"));
	test_assert(!helpdesk_auto_is_null_path("<>x"));
	test_assert(!helpdesk_auto_is_null_path("x@y"));
	test_end();
}

static void test_helpdesk_auto_names(void)
{
	test_begin("helpdesk auto reason names");
	test_assert_strcmp(helpdesk_auto_reason_name(HELPDESK_AUTO_NONE),
			   "none");
	test_assert_strcmp(helpdesk_auto_reason_name(HELPDESK_AUTO_LIST),
			   "list-id");
	test_end();
}

int main(void)
{
	static void (*const test_functions[])(void) = {
		test_helpdesk_auto_detect,
		test_helpdesk_auto_null_path,
		test_helpdesk_auto_names,
		NULL
	};
	return test_run(test_functions);
}
