/* Copyright (c) 2026 dovecot-helpdesk authors, see the included COPYING file */

#include "lib.h"
#include "test-common.h"
#include "helpdesk-state.h"

static void test_helpdesk_keyword_classify(void)
{
	static const struct {
		const char *prefix, *keyword;
		enum helpdesk_kw_class kw_class;
		const char *arg;
	} tests[] = {
		{ "hd-", "hd-new", HELPDESK_KW_CLASS_STATUS, "new" },
		{ "hd-", "hd-open", HELPDESK_KW_CLASS_STATUS, "open" },
		{ "hd-", "hd-waiting", HELPDESK_KW_CLASS_STATUS, "waiting" },
		{ "hd-", "hd-resolved", HELPDESK_KW_CLASS_STATUS, "resolved" },
		{ "hd-", "hd-pending", HELPDESK_KW_CLASS_PENDING, "" },
		{ "hd-", "hd-auto", HELPDESK_KW_CLASS_AUTO, "" },
		{ "hd-", "hd-sla-warn", HELPDESK_KW_CLASS_SLA, "warn" },
		{ "hd-", "hd-sla-breach", HELPDESK_KW_CLASS_SLA, "breach" },
		{ "hd-", "hd-sla-", HELPDESK_KW_CLASS_UNKNOWN, "" },
		{ "hd-", "hd-claim", HELPDESK_KW_CLASS_CLAIM, "" },
		{ "hd-", "hd-escalate", HELPDESK_KW_CLASS_ESCALATE, "" },
		{ "hd-", "hd-vip", HELPDESK_KW_CLASS_VIP, "" },
		{ "hd-", "hd-tier-1", HELPDESK_KW_CLASS_TIER, "1" },
		{ "hd-", "hd-tier-4", HELPDESK_KW_CLASS_TIER, "4" },
		{ "hd-", "hd-tier-0", HELPDESK_KW_CLASS_UNKNOWN, "" },
		{ "hd-", "hd-tier-5", HELPDESK_KW_CLASS_UNKNOWN, "" },
		{ "hd-", "hd-tier-01", HELPDESK_KW_CLASS_UNKNOWN, "" },
		{ "hd-", "hd-tier-", HELPDESK_KW_CLASS_UNKNOWN, "" },
		{ "hd-", "hd-owner-alice", HELPDESK_KW_CLASS_OWNER, "alice" },
		{ "hd-", "hd-owner-a.b+c@d_e-f", HELPDESK_KW_CLASS_OWNER,
		  "a.b+c@d_e-f" },
		{ "hd-", "hd-owner-", HELPDESK_KW_CLASS_UNKNOWN, "" },
		{ "hd-", "hd-owner-a\"b", HELPDESK_KW_CLASS_UNKNOWN, "" },
		{ "hd-", "hd-owner-\xc3\xa9", HELPDESK_KW_CLASS_UNKNOWN, "" },
		{ "hd-", "hd-prio-urgent", HELPDESK_KW_CLASS_PRIORITY, "urgent" },
		{ "hd-", "hd-prio-low", HELPDESK_KW_CLASS_PRIORITY, "low" },
		{ "hd-", "hd-prio-sometime", HELPDESK_KW_CLASS_UNKNOWN, "" },
		{ "hd-", "hd-team-billing", HELPDESK_KW_CLASS_TEAM, "billing" },
		{ "hd-", "hd-team-", HELPDESK_KW_CLASS_UNKNOWN, "" },
		{ "hd-", "hd-bogus", HELPDESK_KW_CLASS_UNKNOWN, "" },
		{ "hd-", "hd-", HELPDESK_KW_CLASS_UNKNOWN, "" },
		{ "hd-", "hd-NEW", HELPDESK_KW_CLASS_UNKNOWN, "" },
		{ "hd-", "$Label1", HELPDESK_KW_CLASS_FOREIGN, "" },
		{ "hd-", "hd_new", HELPDESK_KW_CLASS_FOREIGN, "" },
		{ "hd-", "", HELPDESK_KW_CLASS_FOREIGN, "" },
		{ "sup.", "sup.new", HELPDESK_KW_CLASS_STATUS, "new" },
		{ "sup.", "hd-new", HELPDESK_KW_CLASS_FOREIGN, "" },
		{ "", "new", HELPDESK_KW_CLASS_FOREIGN, "" },
	};
	enum helpdesk_kw_class kw_class;
	const char *arg;
	unsigned int i;

	test_begin("helpdesk keyword classify");
	for (i = 0; i < N_ELEMENTS(tests); i++) {
		arg = NULL;
		kw_class = helpdesk_keyword_classify(tests[i].prefix,
						     tests[i].keyword, &arg);
		test_assert_idx(kw_class == tests[i].kw_class, i);
		test_assert_idx(arg != NULL && strcmp(arg, tests[i].arg) == 0,
				i);
	}
	test_end();
}

static void test_helpdesk_keyword_name(void)
{
	char long_name[66];

	test_begin("helpdesk keyword name");
	test_assert(helpdesk_keyword_name_is_valid("alice"));
	test_assert(helpdesk_keyword_name_is_valid("first.last+x@example.com"));
	test_assert(!helpdesk_keyword_name_is_valid(""));
	test_assert(!helpdesk_keyword_name_is_valid("a b"));
	test_assert(!helpdesk_keyword_name_is_valid("a(b)"));
	test_assert(!helpdesk_keyword_name_is_valid("a%b"));
	test_assert(!helpdesk_keyword_name_is_valid("a*"));
	test_assert(!helpdesk_keyword_name_is_valid("a\\b"));
	memset(long_name, 'x', 64);
	long_name[64] = '\0';
	test_assert(helpdesk_keyword_name_is_valid(long_name));
	long_name[64] = 'x';
	long_name[65] = '\0';
	test_assert(!helpdesk_keyword_name_is_valid(long_name));
	test_end();
}

static const char *join(const char *const *list)
{
	return t_strarray_join(list, " ");
}

static void test_helpdesk_ticket_state_keywords(void)
{
	struct helpdesk_ticket_row row;

	test_begin("helpdesk ticket state keywords");
	i_zero(&row);
	/* defaults: new, tier 1, normal priority */
	test_assert_strcmp(join(helpdesk_ticket_state_keywords("hd-", &row)),
			   "hd-new hd-tier-1 hd-prio-normal");
	row.status = HELPDESK_STATUS_WAITING;
	row.owner = "alice";
	row.tier = 3;
	row.priority = "urgent";
	row.vip = TRUE;
	row.team = "billing";
	test_assert_strcmp(join(helpdesk_ticket_state_keywords("hd-", &row)),
		"hd-waiting hd-owner-alice hd-tier-3 hd-prio-urgent hd-vip "
		"hd-team-billing");
	row.sla = HELPDESK_SLA_TAG_WARN;
	test_assert_strcmp(join(helpdesk_ticket_state_keywords("hd-", &row)),
		"hd-waiting hd-owner-alice hd-tier-3 hd-prio-urgent hd-vip "
		"hd-team-billing hd-sla-warn");
	row.sla = HELPDESK_SLA_TAG_BREACH;
	test_assert_strcmp(join(helpdesk_ticket_state_keywords("hd-", &row)),
		"hd-waiting hd-owner-alice hd-tier-3 hd-prio-urgent hd-vip "
		"hd-team-billing hd-sla-breach");
	row.sla = HELPDESK_SLA_TAG_NONE;
	/* values that can't be keywords are left out or defaulted */
	row.owner = "";
	row.team = "two words";
	row.tier = 9;
	row.priority = "whenever";
	row.vip = FALSE;
	test_assert_strcmp(join(helpdesk_ticket_state_keywords("x.", &row)),
			   "x.waiting x.tier-1 x.prio-normal");
	/* everything the state gives back is classified as state */
	row.owner = "bob";
	row.team = "ops";
	row.vip = TRUE;
	{
		const char *const *kw = helpdesk_ticket_state_keywords("hd-",
								       &row);
		const char *arg;

		for (; *kw != NULL; kw++) {
			test_assert(helpdesk_keyword_class_is_state(
				helpdesk_keyword_classify("hd-", *kw, &arg)));
		}
	}
	test_end();
}

static void test_helpdesk_status_names(void)
{
	enum helpdesk_ticket_status status;

	test_begin("helpdesk status names");
	test_assert(helpdesk_status_parse("waiting", &status) &&
		    status == HELPDESK_STATUS_WAITING);
	test_assert_strcmp(helpdesk_status_name(HELPDESK_STATUS_RESOLVED),
			   "resolved");
	test_assert(!helpdesk_status_parse("closed", &status));
	test_assert(!helpdesk_status_parse("", &status));
	test_assert(helpdesk_priority_is_valid("high"));
	test_assert(!helpdesk_priority_is_valid("HIGH"));
	test_end();
}

static void test_helpdesk_keyword_vocabulary(void)
{
	const struct helpdesk_keyword_info *kw;
	enum helpdesk_kw_class kw_class;
	const char *arg;
	unsigned int i = 0;

	test_begin("helpdesk keyword vocabulary");
	/* every keyword a client gets a tag for is one the protocol
	   knows, and the agents' ones are those agents may set */
	for (kw = helpdesk_keyword_vocabulary; kw->name != NULL; kw++, i++) {
		kw_class = helpdesk_keyword_classify("hd-",
			t_strconcat("hd-", kw->name, NULL), &arg);
		test_assert_idx(kw_class != HELPDESK_KW_CLASS_UNKNOWN &&
				kw_class != HELPDESK_KW_CLASS_FOREIGN, i);
		test_assert_idx(kw->label != NULL && *kw->label != '\0', i);
		test_assert_idx(kw->agent_sets ==
			(kw_class == HELPDESK_KW_CLASS_CLAIM ||
			 kw_class == HELPDESK_KW_CLASS_ESCALATE ||
			 kw_class == HELPDESK_KW_CLASS_PRIORITY ||
			 kw_class == HELPDESK_KW_CLASS_VIP ||
			 (kw_class == HELPDESK_KW_CLASS_STATUS &&
			  strcmp(arg, "resolved") == 0)), i);
	}
	/* the agents' requests come first (Thunderbird's keys 1-3) */
	test_assert(strcmp(helpdesk_keyword_vocabulary[0].name, "claim") == 0);
	test_assert(strcmp(helpdesk_keyword_vocabulary[1].name, "resolved") == 0);
	test_assert(strcmp(helpdesk_keyword_vocabulary[2].name, "escalate") == 0);
	test_end();
}

int main(void)
{
	static void (*const test_functions[])(void) = {
		test_helpdesk_keyword_classify,
		test_helpdesk_keyword_name,
		test_helpdesk_ticket_state_keywords,
		test_helpdesk_status_names,
		test_helpdesk_keyword_vocabulary,
		NULL
	};
	return test_run(test_functions);
}
