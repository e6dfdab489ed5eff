/* Copyright (c) 2026 dovecot-helpdesk authors, see the included COPYING file */

#include "lib.h"
#include "test-common.h"
#include "helpdesk-thread.h"

static void test_helpdesk_thread_decide(void)
{
	static const struct {
		struct helpdesk_thread_input in;
		enum helpdesk_thread_action action;
		uint64_t ticket;
		bool reopen;
	} tests[] = {
		/* a first message */
		{ { .is_auto = FALSE }, HELPDESK_THREAD_NEW, 0, FALSE },
		/* auto mail naming nothing */
		{ { .is_auto = TRUE }, HELPDESK_THREAD_NONE, 0, FALSE },
		/* reply by References */
		{ { .ref_ticket = 7 }, HELPDESK_THREAD_FOLLOWUP, 7, FALSE },
		/* reply to a resolved ticket reopens it */
		{ { .ref_ticket = 7, .ref_ticket_resolved = TRUE },
		  HELPDESK_THREAD_FOLLOWUP, 7, TRUE },
		/* a bounce about a resolved ticket is threaded, no reopen */
		{ { .ref_ticket = 7, .ref_ticket_resolved = TRUE,
		    .is_auto = TRUE }, HELPDESK_THREAD_FOLLOWUP, 7, FALSE },
		/* subject tag from a participant */
		{ { .tag_ticket = 9, .tag_sender_is_participant = TRUE },
		  HELPDESK_THREAD_FOLLOWUP, 9, FALSE },
		{ { .tag_ticket = 9, .tag_sender_is_participant = TRUE,
		    .tag_ticket_resolved = TRUE },
		  HELPDESK_THREAD_FOLLOWUP, 9, TRUE },
		/* subject tag from a stranger: a new ticket */
		{ { .tag_ticket = 9 }, HELPDESK_THREAD_NEW, 0, FALSE },
		/* stranger's tag on auto mail: nothing */
		{ { .tag_ticket = 9, .is_auto = TRUE },
		  HELPDESK_THREAD_NONE, 0, FALSE },
		/* References win over the tag */
		{ { .ref_ticket = 3, .tag_ticket = 9,
		    .tag_sender_is_participant = TRUE },
		  HELPDESK_THREAD_FOLLOWUP, 3, FALSE },
		/* a replay is never a second ticket or a second reopen */
		{ { .known_message = TRUE, .known_ticket = 5, .ref_ticket = 5,
		    .ref_ticket_resolved = TRUE },
		  HELPDESK_THREAD_REPLAY, 5, FALSE },
		{ { .known_message = TRUE, .known_ticket = 0, .is_auto = TRUE },
		  HELPDESK_THREAD_NONE, 0, FALSE },
		/* an agent's reply to a resolved ticket doesn't reopen it */
		{ { .ref_ticket = 7, .ref_ticket_resolved = TRUE,
		    .from_agent = TRUE }, HELPDESK_THREAD_FOLLOWUP, 7, FALSE },
		{ { .tag_ticket = 9, .tag_sender_is_participant = TRUE,
		    .tag_ticket_resolved = TRUE, .from_agent = TRUE },
		  HELPDESK_THREAD_FOLLOWUP, 9, FALSE },
		/* an agent's address (a From can be forged) joins a ticket by
		   its number only as a participant */
		{ { .tag_ticket = 9, .from_agent = TRUE },
		  HELPDESK_THREAD_NEW, 0, FALSE },
	};
	struct helpdesk_thread_decision d;
	unsigned int i;

	test_begin("helpdesk thread decide");
	for (i = 0; i < N_ELEMENTS(tests); i++) {
		helpdesk_thread_decide(&tests[i].in, &d);
		test_assert_idx(d.action == tests[i].action, i);
		test_assert_idx(d.ticket == tests[i].ticket, i);
		test_assert_idx(d.reopen == tests[i].reopen, i);
		test_assert_idx(d.reason != NULL, i);
	}
	test_end();
}

static void test_helpdesk_thread_names(void)
{
	test_begin("helpdesk thread action names");
	test_assert_strcmp(helpdesk_thread_action_name(HELPDESK_THREAD_NEW),
			   "new");
	test_assert_strcmp(helpdesk_thread_action_name(HELPDESK_THREAD_NONE),
			   "none");
	test_end();
}

int main(void)
{
	static void (*const test_functions[])(void) = {
		test_helpdesk_thread_decide,
		test_helpdesk_thread_names,
		NULL
	};
	return test_run(test_functions);
}
