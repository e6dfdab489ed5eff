/* Copyright (c) 2026 dovecot-helpdesk authors, see the included COPYING file */

#include "lib.h"
#include "test-common.h"
#include "helpdesk-settings.h"
#include "helpdesk-viewdef.h"

#define MAX_KW_LEN 50

static void test_set(struct helpdesk_settings *set,
		     const char *const *queues)
{
	i_zero(set);
	set->queues = queues;
	set->keyword_prefix = "hd-";
}

static void test_helpdesk_view_definition(void)
{
	static const char *const queues[] = {
		"Public/Queue", "Public/Billing dept", NULL
	};
	struct helpdesk_settings set;
	const char *error;

	test_begin("helpdesk view definitions");
	test_set(&set, queues);
	test_assert_strcmp(helpdesk_view_definition(&set, HELPDESK_VIEW_MINE,
		"alice", MAX_KW_LEN, &error),
		"# Mine: written by the helpdesk plugin at each IMAP login, "
		"edits are lost\n"
		"Public/Queue\nPublic/Billing dept\n"
		"  KEYWORD hd-owner-alice UNKEYWORD hd-resolved UNDELETED\n");
	test_assert_strcmp(helpdesk_view_definition(&set,
		HELPDESK_VIEW_UNASSIGNED, "alice", MAX_KW_LEN, &error),
		"# Unassigned: written by the helpdesk plugin at each IMAP "
		"login, edits are lost\n"
		"Public/Queue\nPublic/Billing dept\n"
		"  KEYWORD hd-new UNDELETED\n");
	test_assert_strcmp(helpdesk_view_definition(&set,
		HELPDESK_VIEW_WAITING, "bob.smith", MAX_KW_LEN, &error),
		"# Waiting on customer: written by the helpdesk plugin at each "
		"IMAP login, edits are lost\n"
		"Public/Queue\nPublic/Billing dept\n"
		"  KEYWORD hd-owner-bob.smith KEYWORD hd-waiting UNDELETED\n");
	test_assert_strcmp(helpdesk_view_definition(&set,
		HELPDESK_VIEW_AT_RISK, "alice", MAX_KW_LEN, &error),
		"# At risk: written by the helpdesk plugin at each IMAP "
		"login, edits are lost\n"
		"Public/Queue\nPublic/Billing dept\n"
		"  OR KEYWORD hd-sla-warn KEYWORD hd-sla-breach "
		"OR KEYWORD hd-owner-alice KEYWORD hd-new "
		"UNKEYWORD hd-resolved UNDELETED\n");

	set.keyword_prefix = "x.";
	test_assert_strcmp(helpdesk_view_definition(&set,
		HELPDESK_VIEW_UNASSIGNED, "alice", MAX_KW_LEN, &error),
		"# Unassigned: written by the helpdesk plugin at each IMAP "
		"login, edits are lost\n"
		"Public/Queue\nPublic/Billing dept\n"
		"  KEYWORD x.new UNDELETED\n");
	test_end();
}

static void test_helpdesk_view_hostile_user(void)
{
	static const char *const queues[] = { "Public/Queue", NULL };
	/* none of these can be in a keyword or in the search line */
	static const char *const bad[] = {
		"", "a b", "a)", "a(", "a{1}", "a\"", "a\\b", "a]", "a%", "a*",
		"x\nPublic/Secret", "x\r", "x\tUNDELETED", "\x7f", "j\xc3\xa9r\xc3\xb4me",
		/* "hd-owner-" + 42 characters: 51 > 50 */
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
	};
	static const char *const good[] = {
		"alice", "a", "bob.smith", "b_b-b", "x@example.com", "a+b", "a&b",
		/* "hd-owner-" + 41 characters: 50 */
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
	};
	struct helpdesk_settings set;
	const char *error, *def;
	unsigned int i;

	test_begin("helpdesk view hostile user names");
	test_set(&set, queues);
	for (i = 0; i < N_ELEMENTS(bad); i++) {
		error = NULL;
		test_assert_idx(helpdesk_view_definition(&set,
			HELPDESK_VIEW_MINE, bad[i], MAX_KW_LEN,
			&error) == NULL && error != NULL, i);
		test_assert_idx(helpdesk_view_definition(&set,
			HELPDESK_VIEW_WAITING, bad[i], MAX_KW_LEN,
			&error) == NULL, i);
		/* the shared view doesn't depend on the name */
		test_assert_idx(helpdesk_view_definition(&set,
			HELPDESK_VIEW_UNASSIGNED, bad[i], MAX_KW_LEN,
			&error) != NULL, i);
	}
	for (i = 0; i < N_ELEMENTS(good); i++) {
		def = helpdesk_view_definition(&set, HELPDESK_VIEW_MINE,
					       good[i], MAX_KW_LEN, &error);
		test_assert_idx(def != NULL &&
			strstr(def, t_strdup_printf("KEYWORD hd-owner-%s ",
						    good[i])) != NULL, i);
	}
	test_end();
}

static void test_helpdesk_view_bad_queue(void)
{
	/* names dovecot-virtual reads as something else */
	static const char *const bad[] = {
		"-Public/Queue", "+Queue", "!Queue", "/private/x:y", "#Queue",
		" Queue", "Pub\nlic", "Queue*", "Que%ue", "Pub\xff",
	};
	const char *queues[3] = { "Public/Queue", NULL, NULL };
	struct helpdesk_settings set;
	const char *error;
	unsigned int i;

	test_begin("helpdesk view queue names");
	test_set(&set, queues);
	for (i = 0; i < N_ELEMENTS(bad); i++) {
		queues[1] = bad[i];
		error = NULL;
		test_assert_idx(helpdesk_view_definition(&set,
			HELPDESK_VIEW_UNASSIGNED, "alice", MAX_KW_LEN,
			&error) == NULL && error != NULL, i);
	}
	queues[1] = "Public/Queue-2 (EU)";
	test_assert(helpdesk_view_definition(&set, HELPDESK_VIEW_UNASSIGNED,
					     "alice", MAX_KW_LEN,
					     &error) != NULL);
	test_end();
}

int main(void)
{
	static void (*const test_functions[])(void) = {
		test_helpdesk_view_definition,
		test_helpdesk_view_hostile_user,
		test_helpdesk_view_bad_queue,
		NULL
	};
	return test_run(test_functions);
}
