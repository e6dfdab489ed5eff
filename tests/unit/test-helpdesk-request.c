/* Copyright (c) 2026 dovecot-helpdesk authors, see the included COPYING file */

#include "lib.h"
#include "array.h"
#include "str.h"
#include "test-common.h"
#include "helpdesk-request.h"

#define X HELPDESK_CHANGE_EXPLICIT
#define RW HELPDESK_CHANGE_REWRITE
#define OK HELPDESK_REFUSAL_NONE
#define PERM HELPDESK_REFUSAL_PERM
#define CANNOT HELPDESK_REFUSAL_CANNOT

/* The ticket every case is judged against unless it says "none": new,
   owned by owner, normal priority, tier 1. */
struct test_ticket {
	const char *status, *owner, *prio;
	unsigned int tier;
	bool vip;
	const char *team;
	/* the store's SLA tag (0: none) */
	enum helpdesk_sla_tag sla;
};

static const char *request_str(const struct helpdesk_request *req)
{
	static const char *const names[] = {
		[HELPDESK_ACTION_UNCLAIM] = "unclaim",
		[HELPDESK_ACTION_ASSIGN] = "assign",
		[HELPDESK_ACTION_RESOLVE] = "resolve",
		[HELPDESK_ACTION_REOPEN] = "reopen",
		[HELPDESK_ACTION_ESCALATE] = "escalate",
		[HELPDESK_ACTION_PRIORITY] = "prio",
		[HELPDESK_ACTION_VIP] = "vip",
		[HELPDESK_ACTION_UNVIP] = "unvip",
		[HELPDESK_ACTION_TEAM] = "team",
		[HELPDESK_ACTION_REPLY] = "reply",
	};

	if (req->claim)
		return "claim";
	if (*req->arg == '\0')
		return names[req->kind];
	return t_strconcat(names[req->kind], ":", req->arg, NULL);
}

static void test_helpdesk_request_judge(void)
{
	static const struct {
		/* status NULL: the message is no ticket's */
		struct test_ticket ticket;
		const char *user;
		bool lead;
		enum helpdesk_change_mode mode;
		const char *added, *removed, *current;
		enum helpdesk_refusal refusal;
		/* requests, space separated, or the refusal's text part */
		const char *result;
	} tests[] = {
		/* claims */
		{ { "new", "", "normal", 1, FALSE, "" }, "bob", FALSE, X,
		  "hd-claim", "", "", OK, "claim" },
		{ { "new", "", "normal", 1, FALSE, "" }, "bob", FALSE, X,
		  "hd-owner-bob", "", "", OK, "claim" },
		{ { "open", "bob", "normal", 1, FALSE, "" }, "bob", FALSE, X,
		  "hd-owner-bob", "", "", OK, "" },
		/* a claim is always asked for: the store decides who wins */
		{ { "open", "alice", "normal", 1, FALSE, "" }, "bob", FALSE, X,
		  "hd-claim", "", "", OK, "claim" },
		/* assign and take away: leads only, judged against the owner
		   the ticket has now */
		{ { "new", "", "normal", 1, FALSE, "" }, "bob", FALSE, X,
		  "hd-owner-alice", "", "", PERM, "Only a team lead can assign "
		  "a ticket to alice" },
		{ { "new", "", "normal", 1, FALSE, "" }, "carol", TRUE, X,
		  "hd-owner-alice", "", "", OK, "assign:alice" },
		{ { "open", "alice", "normal", 1, FALSE, "" }, "carol", TRUE, X,
		  "hd-owner-alice", "", "", OK, "" },
		{ { "open", "agent2", "normal", 1, FALSE, "" }, "agent1", FALSE,
		  X, "", "hd-owner-agent2", "", PERM, "Only a team lead can "
		  "take a ticket away from agent2" },
		/* the stale view showed agent2; the ticket is alice's now */
		{ { "open", "alice", "normal", 1, FALSE, "" }, "agent1", FALSE,
		  X, "", "hd-owner-agent2", "hd-owner-agent2", OK, "" },
		{ { "open", "agent2", "normal", 1, FALSE, "" }, "carol", TRUE,
		  X, "", "hd-owner-agent2", "", OK, "unclaim:agent2" },
		{ { "open", "bob", "normal", 1, FALSE, "" }, "bob", FALSE, X,
		  "", "hd-owner-bob", "", OK, "unclaim:bob" },
		/* a lead takes a ticket from its owner with the own owner
		   keyword (an assignment); an unowned one is claimed */
		{ { "open", "alice", "normal", 1, FALSE, "" }, "carol", TRUE,
		  X, "hd-owner-carol", "", "", OK, "assign:carol" },
		{ { "new", "", "normal", 1, FALSE, "" }, "carol", TRUE, X,
		  "hd-owner-carol", "", "", OK, "claim" },
		/* resolve and reopen against the status now */
		{ { "open", "bob", "normal", 1, FALSE, "" }, "bob", FALSE, X,
		  "hd-resolved", "", "", OK, "resolve" },
		{ { "resolved", "bob", "normal", 1, FALSE, "" }, "bob", FALSE,
		  X, "hd-resolved", "", "", OK, "" },
		{ { "resolved", "bob", "normal", 1, FALSE, "" }, "alice",
		  FALSE, X, "", "hd-resolved", "", OK, "reopen" },
		{ { "open", "bob", "normal", 1, FALSE, "" }, "alice", FALSE, X,
		  "", "hd-resolved", "hd-resolved", OK, "" },
		/* the plugin's own keywords */
		{ { "open", "bob", "normal", 1, FALSE, "" }, "bob", FALSE, X,
		  "hd-waiting", "", "", CANNOT, "hd-waiting is set by the "
		  "helpdesk, not by agents" },
		{ { "open", "bob", "normal", 1, FALSE, "" }, "bob", FALSE, X,
		  "hd-open", "", "", OK, "" },
		{ { "new", "", "normal", 1, FALSE, "" }, "bob", FALSE, X,
		  "", "hd-new", "", CANNOT, "hd-new is set by the helpdesk" },
		{ { "open", "", "normal", 1, FALSE, "" }, "bob", FALSE, X,
		  "", "hd-new", "", OK, "" },
		{ { "new", "", "normal", 1, FALSE, "" }, "bob", FALSE, X,
		  "hd-tier-3", "", "", CANNOT, "hd-tier-3 is set by" },
		{ { "new", "", "normal", 3, FALSE, "" }, "bob", FALSE, X,
		  "hd-tier-3", "", "", OK, "" },
		{ { "new", "", "normal", 1, FALSE, "" }, "bob", FALSE, X,
		  "", "hd-tier-1", "", CANNOT, "hd-tier-1 is set by" },
		{ { "new", "", "normal", 1, FALSE, "" }, "bob", FALSE, X,
		  "hd-pending", "", "", CANNOT, "hd-pending is set by" },
		{ { "new", "", "normal", 1, FALSE, "" }, "bob", FALSE, X,
		  "hd-sla-warn", "", "hd-sla-warn", OK, "" },
		{ { "new", "", "normal", 1, FALSE, "" }, "bob", FALSE, X,
		  "", "hd-sla-warn", "hd-sla-warn", CANNOT, "hd-sla-warn is" },
		/* the SLA tags are judged against the store's too: the
		   sweep may have tagged the ticket after the session last
		   saw the message */
		{ { "new", "", "normal", 1, FALSE, "", HELPDESK_SLA_TAG_WARN },
		  "bob", FALSE, X, "hd-sla-warn", "", "", OK, "" },
		{ { "new", "", "normal", 1, FALSE, "", HELPDESK_SLA_TAG_WARN },
		  "bob", FALSE, X, "", "hd-sla-warn", "", CANNOT,
		  "hd-sla-warn is" },
		{ { "new", "", "normal", 1, FALSE, "", HELPDESK_SLA_TAG_WARN },
		  "bob", FALSE, X, "hd-sla-breach", "", "", CANNOT,
		  "hd-sla-breach is" },
		{ { "new", "", "normal", 1, FALSE, "", HELPDESK_SLA_TAG_BREACH },
		  "bob", FALSE, X, "", "hd-sla-breach", "", CANNOT,
		  "hd-sla-breach is" },
		{ { "new", "", "normal", 1, FALSE, "" }, "bob", FALSE, X,
		  "", "hd-sla-breach", "", OK, "" },
		{ { "new", "", "normal", 1, FALSE, "" }, "bob", FALSE, X,
		  "hd-bogus", "", "", CANNOT, "hd-bogus is not a helpdesk "
		  "keyword" },
		{ { "new", "", "normal", 1, FALSE, "" }, "bob", FALSE, X,
		  "", "hd-bogus", "", OK, "" },
		/* priority: always exactly one, judged against the store's */
		{ { "new", "", "normal", 1, FALSE, "" }, "bob", FALSE, X,
		  "hd-prio-high", "", "", OK, "prio:high" },
		{ { "new", "", "high", 1, FALSE, "" }, "bob", FALSE, X,
		  "", "hd-prio-high", "", CANNOT, "a ticket always has a "
		  "priority" },
		{ { "new", "", "normal", 1, FALSE, "" }, "bob", FALSE, X,
		  "", "hd-prio-high", "hd-prio-high", OK, "" },
		{ { "new", "", "high", 1, FALSE, "" }, "bob", FALSE, X,
		  "hd-prio-low", "hd-prio-high", "", OK, "prio:low" },
		/* VIP and team */
		{ { "new", "", "normal", 1, TRUE, "" }, "bob", FALSE, X,
		  "", "hd-vip", "", OK, "unvip" },
		{ { "new", "", "normal", 1, FALSE, "" }, "bob", FALSE, X,
		  "", "hd-vip", "hd-vip", OK, "" },
		{ { "new", "", "normal", 1, FALSE, "" }, "bob", FALSE, X,
		  "hd-vip", "", "hd-vip", OK, "vip" },
		{ { "new", "", "normal", 1, FALSE, "billing" }, "bob", FALSE,
		  X, "", "hd-team-billing", "", OK, "team" },
		{ { "new", "", "normal", 1, FALSE, "billing" }, "bob", FALSE,
		  X, "hd-team-sales", "hd-team-billing", "", OK, "team:sales" },
		{ { "new", "", "normal", 1, FALSE, "" }, "bob", FALSE, X,
		  "hd-escalate", "", "", OK, "escalate" },
		/* several requests in one change */
		{ { "new", "", "normal", 1, FALSE, "" }, "bob", FALSE, X,
		  "hd-claim hd-vip hd-prio-urgent", "", "", OK,
		  "claim vip prio:urgent" },
		{ { "new", "", "normal", 1, FALSE, "" }, "bob", FALSE, X,
		  "hd-vip hd-bogus", "", "", CANNOT, "hd-bogus is not" },
		/* no ticket */
		{ { NULL, NULL, NULL, 0, FALSE, NULL }, "bob", FALSE, X,
		  "hd-claim", "", "", CANNOT, "message UID 7 is not part of a "
		  "ticket" },
		{ { NULL, NULL, NULL, 0, FALSE, NULL }, "bob", FALSE, X,
		  "hd-waiting", "", "", CANNOT, "is set by the helpdesk" },
		{ { NULL, NULL, NULL, 0, FALSE, NULL }, "bob", FALSE, X,
		  "hd-auto", "", "hd-auto", OK, "" },
		/* a whole-set rewrite: the plugin's own keywords are ignored,
		   a priority that disappears stays, requests are carried
		   out */
		{ { "new", "", "normal", 1, FALSE, "" }, "bob", FALSE, RW,
		  "hd-claim", "", "", OK, "claim" },
		{ { "open", "bob", "normal", 1, FALSE, "" }, "bob", FALSE, RW,
		  "hd-waiting hd-tier-2 hd-sla-breach", "hd-open hd-tier-1 "
		  "hd-prio-normal", "", OK, "" },
		{ { "open", "bob", "normal", 1, TRUE, "" }, "bob", FALSE, RW,
		  "", "hd-vip hd-owner-bob", "", OK, "unvip unclaim:bob" },
		{ { "open", "alice", "normal", 1, FALSE, "" }, "bob", FALSE, RW,
		  "", "hd-owner-alice", "", PERM, "Only a team lead" },
		{ { "open", "alice", "normal", 1, FALSE, "" }, "bob", FALSE, RW,
		  "hd-bogus", "", "", CANNOT, "hd-bogus is not" },
		{ { "resolved", "bob", "normal", 1, FALSE, "" }, "bob", FALSE,
		  RW, "hd-escalate", "hd-resolved", "", OK, "escalate reopen" },
	};
	struct helpdesk_ticket_row row;
	struct helpdesk_actor actor;
	struct helpdesk_change change;
	ARRAY_TYPE(helpdesk_request) requests;
	const struct helpdesk_request *req;
	enum helpdesk_refusal refusal;
	const char *reason;
	string_t *got;
	unsigned int i;

	test_begin("helpdesk request judge");
	for (i = 0; i < N_ELEMENTS(tests); i++) T_BEGIN {
		i_zero(&row);
		if (tests[i].ticket.status != NULL) {
			row.id = 42;
			test_assert_idx(helpdesk_status_parse(
				tests[i].ticket.status, &row.status), i);
			row.owner = tests[i].ticket.owner;
			row.priority = tests[i].ticket.prio;
			row.tier = tests[i].ticket.tier;
			row.vip = tests[i].ticket.vip;
			row.team = tests[i].ticket.team;
			row.sla = tests[i].ticket.sla;
		}
		i_zero(&actor);
		actor.user = tests[i].user;
		actor.lead = tests[i].lead;
		i_zero(&change);
		change.mode = tests[i].mode;
		change.added = t_strsplit_spaces(tests[i].added, " ");
		change.removed = t_strsplit_spaces(tests[i].removed, " ");
		change.current = t_strsplit_spaces(tests[i].current, " ");
		change.uid = 7;
		t_array_init(&requests, 4);
		refusal = helpdesk_request_judge("hd-", &actor,
			tests[i].ticket.status == NULL ? NULL : &row,
			&change, &requests, &reason);
		test_assert_idx(refusal == tests[i].refusal, i);
		if (refusal != OK) {
			test_assert_idx(reason != NULL &&
				strstr(reason, tests[i].result) != NULL, i);
		} else {
			got = t_str_new(64);
			array_foreach(&requests, req) {
				if (str_len(got) > 0)
					str_append_c(got, ' ');
				str_append(got, request_str(req));
			}
			test_assert_idx(strcmp(str_c(got),
					       tests[i].result) == 0, i);
			if (strcmp(str_c(got), tests[i].result) != 0)
				i_info("%u: got '%s'", i, str_c(got));
		}
	} T_END;
	test_end();
}

static void test_helpdesk_request_rewrite_start(void)
{
	static const struct {
		const char *removed, *current;
		bool result;
	} tests[] = {
		/* neomutt: -FLAGS with every keyword it knows */
		{ "hd-new hd-tier-1 hd-prio-normal",
		  "hd-new hd-tier-1 hd-prio-normal Old", TRUE },
		{ "hd-resolved hd-tier-2 hd-prio-high hd-owner-bob",
		  "hd-resolved hd-tier-2 hd-prio-high hd-owner-bob", TRUE },
		{ "hd-auto", "hd-auto", TRUE },
		/* its idea of the keywords may be older than the session's */
		{ "hd-new hd-tier-1 hd-prio-normal",
		  "hd-open hd-tier-1 hd-prio-normal hd-owner-alice", TRUE },
		/* an agent's own removals */
		{ "hd-new", "hd-new hd-tier-1 hd-prio-normal", FALSE },
		{ "hd-tier-1", "hd-new hd-tier-1 hd-prio-normal", FALSE },
		{ "hd-vip", "hd-vip", FALSE },
		{ "hd-resolved hd-prio-normal hd-owner-bob",
		  "hd-resolved hd-prio-normal hd-owner-bob", FALSE },
		{ "hd-owner-alice", "hd-open hd-owner-alice", FALSE },
		{ "", "", FALSE },
	};
	unsigned int i;

	test_begin("helpdesk request rewrite start");
	for (i = 0; i < N_ELEMENTS(tests); i++) {
		test_assert_idx(helpdesk_request_is_rewrite_start("hd-",
			t_strsplit_spaces(tests[i].removed, " "),
			t_strsplit_spaces(tests[i].current, " ")) ==
			tests[i].result, i);
	}
	test_end();
}

int main(void)
{
	static void (*const tests[])(void) = {
		test_helpdesk_request_judge,
		test_helpdesk_request_rewrite_start,
		NULL
	};
	return test_run(tests);
}
