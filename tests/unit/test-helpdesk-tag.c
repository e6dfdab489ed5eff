/* Copyright (c) 2026 dovecot-helpdesk authors, see the included COPYING file */

#include "lib.h"
#include "test-common.h"
#include "helpdesk-tag.h"

static void test_helpdesk_tag_parse(void)
{
	static const struct {
		const char *subject;
		bool found;
		uint64_t ticket;
	} tests[] = {
		{ "[#1] Printer on fire", TRUE, 1 },
		{ "Re: [#42] Printer on fire", TRUE, 42 },
		{ "RE: AW: Fwd: [#123456] x", TRUE, 123456 },
		{ "no tag here", FALSE, 0 },
		{ "", FALSE, 0 },
		{ "[#]", FALSE, 0 },
		{ "[#0]", FALSE, 0 },
		{ "[#007]", FALSE, 0 },
		{ "[#12x]", FALSE, 0 },
		{ "[# 12]", FALSE, 0 },
		{ "[#12", FALSE, 0 },
		{ "#12]", FALSE, 0 },
		{ "[[#7]]", TRUE, 7 },
		{ "[#abc] then [#9]", TRUE, 9 },
		{ "[#5] and [#6]", TRUE, 5 },
		{ "[#9007199254740991]", TRUE, 9007199254740991ULL },
		{ "[#9007199254740992]", FALSE, 0 },
		{ "[#99999999999999999999999999] [#3]", TRUE, 3 },
		{ "[#-1]", FALSE, 0 },
		{ "\xc3\xa9t\xc3\xa9 [#77] caf\xc3\xa9", TRUE, 77 },
	};
	unsigned int i;
	uint64_t ticket;
	bool found;

	test_begin("helpdesk tag parse");
	for (i = 0; i < N_ELEMENTS(tests); i++) {
		ticket = 0;
		found = helpdesk_tag_parse(tests[i].subject, &ticket);
		test_assert_idx(found == tests[i].found, i);
		if (found && tests[i].found)
			test_assert_idx(ticket == tests[i].ticket, i);
	}
	test_end();
}

static void test_helpdesk_tag_has(void)
{
	test_begin("helpdesk tag has");
	test_assert(helpdesk_tag_has("Re: [#42] x", 42));
	test_assert(!helpdesk_tag_has("Re: [#42] x", 4));
	test_assert(!helpdesk_tag_has("Re: [#420] x", 42));
	test_assert(helpdesk_tag_has("[#1] [#42]", 42));
	test_assert(!helpdesk_tag_has("", 1));
	test_end();
}

static void test_helpdesk_tag_format(void)
{
	uint64_t ticket;

	test_begin("helpdesk tag format");
	test_assert_strcmp(helpdesk_tag_format(1), "[#1]");
	test_assert_strcmp(helpdesk_tag_format(9007199254740991ULL),
			   "[#9007199254740991]");
	test_assert(helpdesk_tag_parse(helpdesk_tag_format(31337), &ticket) &&
		    ticket == 31337);
	test_end();
}

int main(void)
{
	static void (*const test_functions[])(void) = {
		test_helpdesk_tag_parse,
		test_helpdesk_tag_has,
		test_helpdesk_tag_format,
		NULL
	};
	return test_run(test_functions);
}
