/* Unit tests of the notifier's pure parts: the configuration file, the
   tracker's judgement of what is news, and the game's entries. */

#include "helpdesk-notifier-config.h"
#include "helpdesk-notifier-game.h"
#include "helpdesk-notifier-tracker.h"

#include <string.h>

/* ------------------------------------------------------------- config */

static void test_config_minimal(void)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(HelpdeskNotifierConfig) config =
		helpdesk_notifier_config_load_data(
			"[server]\nhost = mail.example.com\nuser = alice\n"
			"password_command = pass show mail\n", "cfg", &error);

	g_assert_no_error(error);
	g_assert_nonnull(config);
	g_assert_cmpstr(config->host, ==, "mail.example.com");
	g_assert_cmpuint(config->port, ==, 993);
	g_assert_cmpint(config->security, ==, HELPDESK_SECURITY_TLS);
	g_assert_cmpstr(config->queues[0], ==, "Public/Queue");
	g_assert_null(config->queues[1]);
	g_assert_cmpstr(config->keyword_prefix, ==, "hd-");
	g_assert_cmpuint(config->burst, ==, 3);
	g_assert_cmpuint(config->game_interval, ==, 300);
	g_assert_true(config->availability);
	g_assert_null(config->open_command);
	g_assert_null(config->ca_file);
}

static void test_config_full(void)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(HelpdeskNotifierConfig) config =
		helpdesk_notifier_config_load_data(
			"[server]\nhost = ::1\nuser = bob\nsecurity = none\n"
			"port = 10143\nqueue = Public/Queue;Public/Billing\n"
			"keyword_prefix = x-\n[notifications]\n"
			"open_command = thunderbird -mail %u\nburst = 10\n"
			"game_interval = 60\navailability = no\n", "cfg", &error);

	g_assert_no_error(error);
	g_assert_cmpint(config->security, ==, HELPDESK_SECURITY_NONE);
	g_assert_cmpuint(config->port, ==, 10143);
	g_assert_cmpstr(config->queues[1], ==, "Public/Billing");
	g_assert_cmpstr(config->keyword_prefix, ==, "x-");
	g_assert_cmpstr(config->open_command, ==, "thunderbird -mail %u");
	g_assert_cmpuint(config->burst, ==, 10);
	g_assert_cmpuint(config->game_interval, ==, 60);
	g_assert_false(config->availability);
}

static void test_config_starttls_port(void)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(HelpdeskNotifierConfig) config =
		helpdesk_notifier_config_load_data(
			"[server]\nhost = h\nuser = u\nsecurity = starttls\n",
			"cfg", &error);

	g_assert_no_error(error);
	g_assert_cmpuint(config->port, ==, 143);
}

static void test_config_refused(void)
{
	static const struct {
		const gchar *text, *expect;
	} cases[] = {
		{ "[server]\nuser = u\n", "[server] host: missing" },
		{ "[server]\nhost = h\n", "[server] user: missing" },
		{ "[server]\nhost = h\nuser = u\nsecurity = ssl\n",
		  "'ssl' is not tls, starttls or none" },
		{ "[server]\nhost = mail.example.com\nuser = u\n"
		  "security = none\n", "only for a loopback host" },
		{ "[server]\nhost = 10.0.0.1\nuser = u\nsecurity = none\n",
		  "only for a loopback host" },
		{ "[server]\nhost = h\nuser = u\nport = 0\n",
		  "'0' is not a number from 1 to 65535" },
		{ "[server]\nhost = h\nuser = u\nport = 99999\n",
		  "is not a number" },
		{ "[server]\nhost = h\nuser = u\nport = 99x\n",
		  "is not a number" },
		{ "[server]\nhost = h\nuser = u\nhots = x\n",
		  "[server] unknown key hots" },
		{ "[server]\nhost = h\nuser = u\n[notify]\n",
		  "unknown group [notify]" },
		{ "[server]\nhost = h\nuser = u\nca_file = /nonexistent\n",
		  "/nonexistent is not a file" },
		{ "[server]\nhost = h\nuser = u\n[notifications]\n"
		  "open_command = thunderbird\n", "has no %u" },
		{ "[server]\nhost = h\nuser = u\n[notifications]\n"
		  "game_interval = 5\n", "from 30 to 86400" },
		{ "[server]\nhost = h\nuser = u\n[notifications]\n"
		  "availability = maybe\n", "'maybe' is not yes or no" },
		{ "[server]\nhost = h\nuser = u\n[notifications]\n"
		  "burst = 0\n", "from 1 to 1000" },
		{ "not a key file", "cfg" },
	};
	guint i;

	for (i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autoptr(GError) error = NULL;
		HelpdeskNotifierConfig *config =
			helpdesk_notifier_config_load_data(cases[i].text,
							   "cfg", &error);

		g_assert_null(config);
		g_assert_nonnull(error);
		if (strstr(error->message, cases[i].expect) == NULL) {
			g_test_message("case %u: '%s' lacks '%s'", i,
				       error->message, cases[i].expect);
			g_test_fail();
		}
		g_assert_true(g_str_has_prefix(error->message, "cfg"));
	}
}

static void test_config_loopback(void)
{
	g_assert_true(helpdesk_notifier_host_is_loopback("localhost"));
	g_assert_true(helpdesk_notifier_host_is_loopback("LOCALHOST"));
	g_assert_true(helpdesk_notifier_host_is_loopback("127.0.0.1"));
	g_assert_true(helpdesk_notifier_host_is_loopback("127.5.6.7"));
	g_assert_true(helpdesk_notifier_host_is_loopback("::1"));
	g_assert_false(helpdesk_notifier_host_is_loopback("128.0.0.1"));
	g_assert_false(helpdesk_notifier_host_is_loopback("localhost.evil.com"));
	g_assert_false(helpdesk_notifier_host_is_loopback("mail.example.com"));
}

/* ------------------------------------------------------------ tracker */

static GPtrArray *events_new(void)
{
	return g_ptr_array_new_with_free_func(
		(GDestroyNotify)helpdesk_event_free);
}

static void message(HelpdeskTracker *tracker, guint32 uid,
		    const gchar *flags, gboolean header, guint64 ticket,
		    gboolean arrived, GPtrArray *events)
{
	g_auto(GStrv) list = g_strsplit(flags, " ", -1);

	helpdesk_tracker_message(tracker, uid, (const gchar *const *)list,
				 header, ticket, "[#7] Printer on fire",
				 "Customer", arrived, events);
}

static HelpdeskEventKind only_event(GPtrArray *events)
{
	const HelpdeskEvent *event;

	g_assert_cmpuint(events->len, ==, 1);
	event = g_ptr_array_index(events, 0);
	return event->kind;
}

/* a tracker that knows ticket 7 (uid 1), unowned, after its baseline */
static HelpdeskTracker *tracker_with_ticket(void)
{
	HelpdeskTracker *tracker = helpdesk_tracker_new("alice", "hd-");
	g_autoptr(GPtrArray) events = events_new();

	helpdesk_tracker_set_uidvalidity(tracker, 42);
	message(tracker, 1, "hd-new hd-prio-normal", TRUE, 7, FALSE, events);
	helpdesk_tracker_set_baseline(tracker);
	g_assert_cmpuint(events->len, ==, 0);
	return tracker;
}

static void test_tracker_flags(void)
{
	const gchar *flags[] = { "\\Seen", "HD-NEW", "hd-prio-urgent",
		"hd-owner-bob", "hd-owner-carol", "hd-vip", "hd-sla-warn",
		"hd-ownerless", "other", NULL };
	HelpdeskTicketFlags f;

	helpdesk_ticket_flags_parse(flags, "hd-", &f);
	g_assert_cmpint(f.status, ==, HELPDESK_STATUS_NEW);
	g_assert_cmpint(f.prio, ==, HELPDESK_PRIO_URGENT);
	g_assert_cmpstr(f.owner, ==, "bob");
	g_assert_true(f.vip);
	g_assert_true(f.sla_warn);
	g_assert_false(f.sla_breach);
	helpdesk_ticket_flags_clear(&f);
}

static void test_tracker_baseline_silent(void)
{
	HelpdeskTracker *tracker = helpdesk_tracker_new("alice", "hd-");
	g_autoptr(GPtrArray) events = events_new();

	/* before the baseline even an "arrival" is no news */
	message(tracker, 1, "hd-new", TRUE, 7, TRUE, events);
	message(tracker, 2, "hd-open hd-owner-alice", TRUE, 8, TRUE, events);
	g_assert_cmpuint(events->len, ==, 0);
	helpdesk_tracker_free(tracker);
}

static void test_tracker_new_ticket(void)
{
	HelpdeskTracker *tracker = tracker_with_ticket();
	g_autoptr(GPtrArray) events = events_new();
	const HelpdeskEvent *event;

	message(tracker, 2, "hd-new hd-prio-high hd-vip", TRUE, 8, TRUE,
		events);
	g_assert_cmpint(only_event(events), ==, HELPDESK_EVENT_NEW_TICKET);
	event = g_ptr_array_index(events, 0);
	g_assert_cmpuint(event->ticket, ==, 8);
	g_assert_cmpuint(event->uid, ==, 2);
	g_assert_cmpint(event->prio, ==, HELPDESK_PRIO_HIGH);
	g_assert_true(event->vip);
	g_assert_cmpstr(event->subject, ==, "[#7] Printer on fire");
	g_assert_cmpuint(helpdesk_tracker_get_uidnext(tracker), ==, 3);
	/* the same message again: nothing */
	g_ptr_array_set_size(events, 0);
	message(tracker, 2, "hd-new hd-prio-high hd-vip", TRUE, 8, TRUE,
		events);
	g_assert_cmpuint(events->len, ==, 0);
	/* a message without a ticket (no header value): nothing */
	message(tracker, 3, "", TRUE, 0, TRUE, events);
	g_assert_cmpuint(events->len, ==, 0);
	/* routed to someone else at once: nothing for alice */
	message(tracker, 4, "hd-open hd-owner-bob", TRUE, 9, TRUE, events);
	g_assert_cmpuint(events->len, ==, 0);
	/* routed to alice at once: assigned */
	message(tracker, 5, "hd-open hd-owner-alice", TRUE, 10, TRUE, events);
	g_assert_cmpint(only_event(events), ==, HELPDESK_EVENT_ASSIGNED);
	helpdesk_tracker_free(tracker);
}

static void test_tracker_unfetched_arrival(void)
{
	HelpdeskTracker *tracker = tracker_with_ticket();
	g_autoptr(GPtrArray) events = events_new();

	/* QRESYNC shows a new message's flags before its header is
	   fetched: UIDNEXT must stay below it */
	message(tracker, 9, "hd-new", FALSE, 0, FALSE, events);
	g_assert_cmpuint(events->len, ==, 0);
	g_assert_cmpuint(helpdesk_tracker_get_uidnext(tracker), ==, 2);
	g_assert_false(helpdesk_tracker_knows_uid(tracker, 9));
	helpdesk_tracker_free(tracker);
}

static void test_tracker_owner_changes(void)
{
	HelpdeskTracker *tracker = tracker_with_ticket();
	g_autoptr(GPtrArray) events = events_new();
	const HelpdeskEvent *event;

	/* bob takes it: TAKEN, naming bob */
	message(tracker, 1, "hd-open hd-owner-bob", FALSE, 0, FALSE, events);
	g_assert_cmpint(only_event(events), ==, HELPDESK_EVENT_TAKEN);
	event = g_ptr_array_index(events, 0);
	g_assert_cmpstr(event->owner, ==, "bob");
	g_assert_false(helpdesk_tracker_take_activity(tracker));
	/* a lead gives it to alice: ASSIGNED */
	g_ptr_array_set_size(events, 0);
	message(tracker, 1, "hd-open hd-owner-alice", FALSE, 0, FALSE, events);
	g_assert_cmpint(only_event(events), ==, HELPDESK_EVENT_ASSIGNED);
	g_assert_true(helpdesk_tracker_take_activity(tracker));
	g_assert_false(helpdesk_tracker_take_activity(tracker));
	helpdesk_tracker_free(tracker);
}

static void test_tracker_claim(void)
{
	HelpdeskTracker *tracker = tracker_with_ticket();
	g_autoptr(GPtrArray) events = events_new();
	const HelpdeskEvent *event;

	helpdesk_tracker_expect_claim(tracker, 7);
	message(tracker, 1, "hd-open hd-owner-alice", FALSE, 0, FALSE, events);
	g_assert_cmpint(only_event(events), ==, HELPDESK_EVENT_CLAIMED);
	event = g_ptr_array_index(events, 0);
	g_assert_cmpstr(event->owner, ==, "alice");
	helpdesk_tracker_free(tracker);

	/* someone was faster: the refusal names them */
	tracker = tracker_with_ticket();
	g_ptr_array_set_size(events, 0);
	helpdesk_tracker_expect_claim(tracker, 7);
	message(tracker, 1, "hd-open hd-owner-bob", FALSE, 0, FALSE, events);
	/* the claim still expected: announced as CLAIMED with bob */
	g_assert_cmpint(only_event(events), ==, HELPDESK_EVENT_CLAIMED);
	g_ptr_array_set_size(events, 0);
	g_assert_true(helpdesk_tracker_claim_refused(tracker, 7, events));
	event = g_ptr_array_index(events, 0);
	g_assert_cmpstr(event->owner, ==, "bob");
	g_ptr_array_set_size(events, 0);
	/* unknown ticket, or no owner: nothing to say */
	g_assert_false(helpdesk_tracker_claim_refused(tracker, 99, events));
	helpdesk_tracker_free(tracker);
	tracker = tracker_with_ticket();
	g_assert_false(helpdesk_tracker_claim_refused(tracker, 7, events));
	g_assert_cmpuint(events->len, ==, 0);
	helpdesk_tracker_free(tracker);
}

static void test_tracker_reply_and_sla(void)
{
	HelpdeskTracker *tracker = tracker_with_ticket();
	g_autoptr(GPtrArray) events = events_new();

	message(tracker, 1, "hd-waiting hd-owner-alice", FALSE, 0, FALSE,
		events);
	g_ptr_array_set_size(events, 0);
	/* the customer writes: a new message, the ticket turns open */
	message(tracker, 2, "hd-open hd-owner-alice", TRUE, 7, TRUE, events);
	g_assert_cmpint(only_event(events), ==,
			HELPDESK_EVENT_CUSTOMER_REPLY);
	/* the other message shows the same: nothing */
	g_ptr_array_set_size(events, 0);
	message(tracker, 1, "hd-open hd-owner-alice", FALSE, 0, FALSE, events);
	g_assert_cmpuint(events->len, ==, 0);
	/* warning, then breach, each once */
	message(tracker, 1, "hd-open hd-owner-alice hd-sla-warn", FALSE, 0,
		FALSE, events);
	g_assert_cmpint(only_event(events), ==, HELPDESK_EVENT_SLA_WARN);
	g_ptr_array_set_size(events, 0);
	message(tracker, 2, "hd-open hd-owner-alice hd-sla-warn", FALSE, 0,
		FALSE, events);
	g_assert_cmpuint(events->len, ==, 0);
	message(tracker, 2, "hd-open hd-owner-alice hd-sla-breach", FALSE, 0,
		FALSE, events);
	g_assert_cmpint(only_event(events), ==, HELPDESK_EVENT_SLA_BREACH);
	helpdesk_tracker_free(tracker);

	/* SLA tags on someone else's ticket are not alice's news */
	tracker = tracker_with_ticket();
	g_ptr_array_set_size(events, 0);
	message(tracker, 1, "hd-open hd-owner-bob", FALSE, 0, FALSE, events);
	g_ptr_array_set_size(events, 0);
	message(tracker, 1, "hd-open hd-owner-bob hd-sla-breach", FALSE, 0,
		FALSE, events);
	g_assert_cmpuint(events->len, ==, 0);
	/* nor a reply on it */
	message(tracker, 2, "hd-open hd-owner-bob hd-sla-breach", TRUE, 7,
		TRUE, events);
	g_assert_cmpuint(events->len, ==, 0);
	helpdesk_tracker_free(tracker);
}

static void test_tracker_uidvalidity(void)
{
	HelpdeskTracker *tracker = tracker_with_ticket();

	helpdesk_tracker_set_uidvalidity(tracker, 42);
	g_assert_true(helpdesk_tracker_has_baseline(tracker));
	helpdesk_tracker_set_uidvalidity(tracker, 43);
	g_assert_false(helpdesk_tracker_has_baseline(tracker));
	g_assert_false(helpdesk_tracker_knows_uid(tracker, 1));
	helpdesk_tracker_free(tracker);
}

static void test_tracker_state(void)
{
	HelpdeskTracker *tracker = tracker_with_ticket();
	HelpdeskTracker *copy = helpdesk_tracker_new("alice", "hd-");
	g_autoptr(GPtrArray) events = events_new();
	g_autofree gchar *text = NULL, *text2 = NULL;

	helpdesk_tracker_set_modseq(tracker, 1234);
	message(tracker, 1, "hd-open hd-owner-alice hd-vip", FALSE, 0, FALSE,
		events);
	g_ptr_array_set_size(events, 0);
	text = helpdesk_tracker_save(tracker);
	g_assert_true(helpdesk_tracker_load(copy, text));
	text2 = helpdesk_tracker_save(copy);
	g_assert_cmpstr(text, ==, text2);
	g_assert_cmpuint(helpdesk_tracker_get_uidvalidity(copy), ==, 42);
	g_assert_cmpuint(helpdesk_tracker_get_modseq(copy), ==, 1234);
	g_assert_true(helpdesk_tracker_has_baseline(copy));
	g_assert_true(helpdesk_tracker_knows_uid(copy, 1));
	g_assert_cmpuint(helpdesk_tracker_ticket_uid(copy, 7), ==, 1);
	/* what was announced before is not news after a reload */
	message(copy, 1, "hd-open hd-owner-alice hd-vip", FALSE, 0, FALSE,
		events);
	g_assert_cmpuint(events->len, ==, 0);
	/* a damaged state is refused and leaves nothing */
	g_assert_false(helpdesk_tracker_load(copy, "helpdesk-notifier-state 1\n"
					     "t\t7\tx\n"));
	g_assert_false(helpdesk_tracker_has_baseline(copy));
	g_assert_false(helpdesk_tracker_knows_uid(copy, 1));
	g_assert_false(helpdesk_tracker_load(copy, "something else"));
	helpdesk_tracker_free(copy);
	helpdesk_tracker_free(tracker);
}

/* --------------------------------------------------------------- game */

#define STATS_V1 \
	"{\"version\":1,\"agent\":\"alice\",\"team\":\"billing\"," \
	"\"points\":55,\"level\":2,\"level_name\":\"Apprentice\"," \
	"\"progress\":5,\"points_to_next_level\":95,\"week_points\":55," \
	"\"rank_in_team\":1,\"team_size\":2,\"resolved\":3,\"future\":[1]," \
	"\"badges\":[{\"badge\":\"first_ticket\",\"title\":\"First ticket\"," \
	"\"earned\":\"2026-11-30T22:41:47Z\",\"ticket\":2,\"period\":\"\"}]}"

static void test_game_parse(void)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(HelpdeskGameStats) stats =
		helpdesk_game_stats_parse(STATS_V1, &error);
	g_autoptr(HelpdeskGameBoard) board = NULL;
	const HelpdeskGameBadge *badge;
	const HelpdeskGameRow *row;

	g_assert_no_error(error);
	g_assert_cmpstr(stats->agent, ==, "alice");
	g_assert_cmpint(stats->points, ==, 55);
	g_assert_cmpuint(stats->level, ==, 2);
	g_assert_cmpuint(stats->rank, ==, 1);
	g_assert_cmpuint(stats->badges->len, ==, 1);
	badge = g_ptr_array_index(stats->badges, 0);
	g_assert_cmpstr(badge->title, ==, "First ticket");
	g_assert_cmpuint(badge->ticket, ==, 2);

	board = helpdesk_game_board_parse(
		"{\"version\":1,\"team\":\"billing\",\"period\":\"week\","
		"\"key\":\"2026-W49\",\"rows\":[{\"rank\":1,\"agent\":\"alice\","
		"\"team\":\"billing\",\"points\":-5,\"level\":1,"
		"\"level_name\":\"Novice\",\"resolved\":0}]}", &error);
	g_assert_no_error(error);
	g_assert_cmpstr(board->key, ==, "2026-W49");
	row = g_ptr_array_index(board->rows, 0);
	g_assert_cmpint(row->points, ==, -5);
	g_assert_cmpstr(row->level_name, ==, "Novice");
}

static void test_game_refused(void)
{
	static const gchar *const bad[] = {
		"", "[]", "{", "{\"version\":2}", "{\"version\":\"1\"}", "null",
	};
	guint i;

	for (i = 0; i < G_N_ELEMENTS(bad); i++) {
		g_autoptr(GError) error = NULL;

		g_assert_null(helpdesk_game_stats_parse(bad[i], &error));
		g_assert_nonnull(error);
		g_clear_error(&error);
		g_assert_null(helpdesk_game_board_parse(bad[i], &error));
		g_assert_nonnull(error);
	}
}

static void test_game_status_text(void)
{
	g_autoptr(HelpdeskGameStats) stats =
		helpdesk_game_stats_parse(STATS_V1, NULL);
	g_autofree gchar *text = helpdesk_game_format_status(stats, NULL);

	g_assert_cmpstr(text, ==,
		"alice (team billing)\n"
		"Level 2, Apprentice: 55 points, 95 to level 3 (5%)\n"
		"This week: 55 points, rank 1 of 2; 3 resolved in all\n"
		"Badges (1):\n"
		"  First ticket, 2026-11-30, ticket #2\n");
}

static void test_game_news(void)
{
	g_autoptr(HelpdeskGameStats) old =
		helpdesk_game_stats_parse(STATS_V1, NULL);
	g_autoptr(HelpdeskGameStats) cur = helpdesk_game_stats_parse(
		"{\"version\":1,\"agent\":\"alice\",\"team\":\"billing\","
		"\"points\":160,\"level\":3,\"level_name\":\"Helper\","
		"\"points_to_next_level\":40,\"rank_in_team\":2,"
		"\"team_size\":3,\"badges\":[{\"badge\":\"first_ticket\","
		"\"title\":\"First ticket\",\"ticket\":2,\"period\":\"\"},"
		"{\"badge\":\"top_week\",\"title\":\"Top of the week\","
		"\"ticket\":0,\"period\":\"2026-W49\"}]}", NULL);
	g_autoptr(GPtrArray) news = g_ptr_array_new_with_free_func(
		(GDestroyNotify)helpdesk_game_news_free);
	g_autofree gchar *day = NULL;
	const HelpdeskGameNews *n;
	guint rank = 1;

	/* nothing seen before: nothing is news, the rank is remembered */
	helpdesk_game_news(NULL, cur, "2026-12-01", &rank, &day, news);
	g_assert_cmpuint(news->len, ==, 0);
	g_assert_cmpuint(rank, ==, 2);

	rank = 1;
	helpdesk_game_news(old, cur, "2026-12-01", &rank, &day, news);
	g_assert_cmpuint(news->len, ==, 3);
	n = g_ptr_array_index(news, 0);
	g_assert_cmpstr(n->key, ==, "level");
	g_assert_cmpstr(n->summary, ==, "Level up: you are now level 3, Helper");
	g_assert_cmpstr(n->body, ==, "160 points; 40 more to level 4");
	n = g_ptr_array_index(news, 1);
	g_assert_cmpstr(n->summary, ==, "New badge: Top of the week");
	g_assert_cmpstr(n->body, ==, "Earned this week");
	n = g_ptr_array_index(news, 2);
	g_assert_cmpstr(n->summary, ==, "You are #2 of 3 in billing this week");
	g_assert_cmpstr(n->body, ==, "Down from #1");
	g_assert_cmpstr(day, ==, "2026-12-01");

	/* the rank again the same day: not news; the next day it is */
	g_ptr_array_set_size(news, 0);
	rank = 1;
	helpdesk_game_news(cur, cur, "2026-12-01", &rank, &day, news);
	g_assert_cmpuint(news->len, ==, 0);
	helpdesk_game_news(cur, cur, "2026-12-02", &rank, &day, news);
	g_assert_cmpuint(news->len, ==, 1);
	/* a lower level is no news (the plugin never lowers one) */
	g_ptr_array_set_size(news, 0);
	helpdesk_game_news(cur, old, "2026-12-03", &rank, &day, news);
	g_assert_cmpuint(news->len, ==, 1);
	n = g_ptr_array_index(news, 0);
	g_assert_cmpstr(n->key, ==, "rank");
}

int main(int argc, char *argv[])
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/config/minimal", test_config_minimal);
	g_test_add_func("/config/full", test_config_full);
	g_test_add_func("/config/starttls-port", test_config_starttls_port);
	g_test_add_func("/config/refused", test_config_refused);
	g_test_add_func("/config/loopback", test_config_loopback);
	g_test_add_func("/tracker/flags", test_tracker_flags);
	g_test_add_func("/tracker/baseline-silent",
			test_tracker_baseline_silent);
	g_test_add_func("/tracker/new-ticket", test_tracker_new_ticket);
	g_test_add_func("/tracker/unfetched-arrival",
			test_tracker_unfetched_arrival);
	g_test_add_func("/tracker/owner-changes", test_tracker_owner_changes);
	g_test_add_func("/tracker/claim", test_tracker_claim);
	g_test_add_func("/tracker/reply-and-sla", test_tracker_reply_and_sla);
	g_test_add_func("/tracker/uidvalidity", test_tracker_uidvalidity);
	g_test_add_func("/tracker/state", test_tracker_state);
	g_test_add_func("/game/parse", test_game_parse);
	g_test_add_func("/game/refused", test_game_refused);
	g_test_add_func("/game/status-text", test_game_status_text);
	g_test_add_func("/game/news", test_game_news);
	return g_test_run();
}
