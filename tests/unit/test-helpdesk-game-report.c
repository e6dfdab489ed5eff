/* Copyright (c) 2026 dovecot-helpdesk authors, see the included COPYING file */

/* The weekly report mail: the message is parsed back (headers, the
   multipart/alternative parts, quoted-printable) and its figures
   checked. */

#include "lib.h"
#include "str.h"
#include "array.h"
#include "buffer.h"
#include "unichar.h"
#include "message-date.h"
#include "message-header-decode.h"
#include "qp-decoder.h"
#include "test-common.h"
#include "test-message.h"
#include "helpdesk-game-report.h"

#include <stdlib.h>
#include <time.h>

#define TEST_BAR "background:#3b82f6;width:"
#define TEST_MAX_PARTS 4

/* 2026-11-25 12:00:00 UTC */
#define TEST_WEDNESDAY_NOON 1795608000

struct test_part {
	const char *header, *content_type, *encoding;
	const char *raw;	/* as in the message */
	const char *text;	/* decoded, NULL: bad quoted-printable */
};

struct test_message {
	const char *header, *body, *boundary;
	unsigned int part_count;
	struct test_part parts[TEST_MAX_PARTS];
	/* the boundary's delimiter lines, the closing one included */
	unsigned int delimiters;
	bool closed;
};

/* n times text (data stack) */
static const char *test_repeat(const char *text, unsigned int n)
{
	string_t *str = t_str_new(strlen(text) * n + 1);

	while (n-- > 0)
		str_append(str, text);
	return str_c(str);
}

/* The longest line in octets, without its CRLF. */
static size_t test_max_line_len(const char *text)
{
	size_t len, max = 0;
	const char *end;

	for (;;) {
		end = strstr(text, "\r\n");
		len = end == NULL ? strlen(text) : (size_t)(end - text);
		max = I_MAX(max, len);
		if (end == NULL)
			return max;
		text = end + 2;
	}
}

static bool test_is_ascii(const char *text)
{
	for (; *text != '\0'; text++) {
		if ((unsigned char)*text >= 0x80)
			return FALSE;
	}
	return TRUE;
}

static unsigned int test_count(const char *text, const char *needle)
{
	unsigned int count = 0;

	while ((text = strstr(text, needle)) != NULL) {
		count++;
		text += strlen(needle);
	}
	return count;
}

/* Split msg into its headers and the parts of its multipart body; FALSE
   when it is no multipart message at all. */
static bool test_parse(const char *msg, struct test_message *msg_r)
{
	const char *content_type, *p, *const *lines, *delimiter, *end;
	string_t *part = NULL;
	struct test_part *tp;
	unsigned int i;

	i_zero(msg_r);
	if (!test_split(msg, &msg_r->header, &msg_r->body))
		return FALSE;
	content_type = test_header(msg_r->header, "Content-Type");
	if (content_type == NULL ||
	    (p = strstr(content_type, "boundary=\"")) == NULL)
		return FALSE;
	p += strlen("boundary=\"");
	msg_r->boundary = t_strcut(p, '"');
	delimiter = t_strconcat("--", msg_r->boundary, NULL);
	end = t_strconcat(delimiter, "--", NULL);

	lines = t_strsplit(msg_r->body, "\n");
	for (i = 0; lines[i] != NULL; i++) {
		const char *line = t_strcut(lines[i], '\r');

		if (strcmp(line, delimiter) == 0 || strcmp(line, end) == 0) {
			msg_r->delimiters++;
			if (part != NULL &&
			    msg_r->part_count < TEST_MAX_PARTS) {
				/* the CRLF before a delimiter is its own */
				str_truncate(part, str_len(part) - 2);
				msg_r->parts[msg_r->part_count++].raw =
					str_c(part);
			}
			part = NULL;
			if (strcmp(line, end) == 0) {
				msg_r->closed = TRUE;
				break;
			}
			part = t_str_new(1024);
		} else if (part != NULL) {
			str_printfa(part, "%s\r\n", line);
		}
	}
	for (i = 0; i < msg_r->part_count; i++) {
		tp = &msg_r->parts[i];
		if (!test_split(tp->raw, &tp->header, &p))
			return FALSE;
		tp->content_type = test_header(tp->header, "Content-Type");
		tp->encoding = test_header(tp->header,
					   "Content-Transfer-Encoding");
		tp->text = test_decode_qp(p);
	}
	return TRUE;
}

/* The decoded part of a content type, "" when none. */
static const char *
test_part_text(const struct test_message *msg, const char *content_type)
{
	unsigned int i;

	for (i = 0; i < msg->part_count; i++) {
		if (msg->parts[i].content_type != NULL &&
		    str_begins(msg->parts[i].content_type, content_type))
			return msg->parts[i].text == NULL ? "" :
				msg->parts[i].text;
	}
	return "";
}

/* The line of text that starts with prefix (after leading spaces),
   NULL: none. */
static const char *test_line(const char *text, const char *prefix)
{
	const char *const *lines = t_strsplit(text, "\n");
	unsigned int i;

	for (i = 0; lines[i] != NULL; i++) {
		const char *line = t_strcut(lines[i], '\r');

		if (str_begins(t_str_ltrim(line, " "), prefix))
			return line;
	}
	return NULL;
}

/* The columns of a text table's line: runs of two or more spaces
   between them. */
static const char *const *test_columns(const char *line)
{
	ARRAY_TYPE(const_string) cols;
	const char *p, *start, *col;

	t_array_init(&cols, 8);
	p = t_str_ltrim(line, " ");
	while (*p != '\0') {
		start = p;
		while (*p != '\0' && !(p[0] == ' ' && p[1] == ' '))
			p++;
		col = t_strdup_until(start, p);
		array_push_back(&cols, &col);
		while (*p == ' ')
			p++;
	}
	array_append_zero(&cols);
	return array_front(&cols);
}

/* The HTML line of the board row whose agent cell holds the (escaped)
   agent, NULL: none. */
static const char *test_html_row(const char *html, const char *agent_html)
{
	const char *needle = t_strdup_printf(">%s</td>", agent_html);
	const char *p = strstr(html, needle), *start, *end;

	if (p == NULL)
		return NULL;
	for (start = p; start > html && start[-1] != '\n'; start--) ;
	end = strchr(p, '\n');
	return end == NULL ? t_strdup(start) : t_strdup_until(start, end);
}

/* The width in percent of the one bar in line; 0: no bar, -1: more
   than one. */
static int test_bar_width(const char *line)
{
	const char *p = strstr(line, TEST_BAR);

	if (p == NULL)
		return 0;
	if (strstr(p + 1, TEST_BAR) != NULL)
		return -1;
	return atoi(p + strlen(TEST_BAR));
}

static void test_report_init(struct helpdesk_game_report *report)
{
	i_zero(report);
	report->team = "Support";
	report->period = "2026-W48";
	report->prev_period = "2026-W47";
	report->from = "helpdesk@example.com";
	report->to = "lead@example.com";
	report->message_id = "<hd.report.1@example.com>";
	report->date = TEST_WEDNESDAY_NOON;
}

static const char *test_write(const struct helpdesk_game_report *report)
{
	string_t *str = t_str_new(8192);

	helpdesk_game_report_write(str, report);
	return str_c(str);
}

/* What holds for every message: CRLF, the line lengths, the headers,
   the two parts, a boundary that no part holds. */
static void test_message_valid(const char *msg, struct test_message *parsed,
			       unsigned int idx)
{
	unsigned int i;

	test_assert_idx(test_crlf_only(msg), idx);
	test_assert_idx(test_max_line_len(msg) <= 998, idx);
	test_assert_idx(test_parse(msg, parsed), idx);
	test_assert_idx(test_is_ascii(msg), idx);
	test_assert_strcmp_idx(test_header(parsed->header, "Auto-Submitted"),
			       "auto-generated", idx);
	test_assert_strcmp_idx(test_header(parsed->header, "MIME-Version"),
			       "1.0", idx);
	test_assert_idx(parsed->part_count == 2, idx);
	test_assert_idx(parsed->delimiters == 3 && parsed->closed, idx);
	test_assert_idx(parsed->boundary != NULL &&
			strlen(parsed->boundary) <= 70, idx);
	for (i = 0; i < parsed->part_count; i++) {
		const struct test_part *part = &parsed->parts[i];

		test_assert_strcmp_idx(part->encoding, "quoted-printable",
				       idx);
		test_assert_idx(part->text != NULL, idx);
		/* quoted-printable: at most 76 a line */
		test_assert_idx(test_max_line_len(part->raw) <= 76, idx);
		test_assert_idx(strstr(part->raw, parsed->boundary) == NULL,
				idx);
	}
	test_assert_strcmp_idx(parsed->parts[0].content_type,
			       "text/plain; charset=utf-8", idx);
	test_assert_strcmp_idx(parsed->parts[1].content_type,
			       "text/html; charset=utf-8", idx);
}

static void test_helpdesk_game_report_headers(void)
{
	struct helpdesk_game_report report;
	struct test_message msg;
	const char *text, *html, *content_type, *boundary;

	test_begin("helpdesk game report headers");
	test_report_init(&report);
	text = test_write(&report);
	test_message_valid(text, &msg, 0);
	test_assert_strcmp(test_header(msg.header, "From"),
			   "<helpdesk@example.com>");
	test_assert_strcmp(test_header(msg.header, "To"),
			   "<lead@example.com>");
	test_assert_strcmp(test_header(msg.header, "Subject"),
			   "Help desk weekly report: Support 2026-W48");
	test_assert_strcmp(test_header(msg.header, "Date"),
			   message_date_create(TEST_WEDNESDAY_NOON));
	test_assert_strcmp(test_header(msg.header, "Message-ID"),
			   "<hd.report.1@example.com>");
	content_type = test_header(msg.header, "Content-Type");
	test_assert(content_type != NULL &&
		    str_begins(content_type, "multipart/alternative;"));
	/* quoted-printable never writes "=_" */
	test_assert(msg.boundary != NULL && str_begins(msg.boundary, "=_"));
	test_assert(test_count(msg.header, "\nSubject:") == 1);

	text = test_part_text(&msg, "text/plain");
	test_assert(str_begins(text, "Help desk weekly report: Support "
			       "2026-W48\r\n"));
	html = test_part_text(&msg, "text/html");
	test_assert(str_begins(html, "<!DOCTYPE html>\r\n<html>"));
	test_assert(strstr(html, "<body") != NULL);
	test_assert(strlen(html) > 18 &&
		    strcmp(html + strlen(html) - 18, "</body>\r\n</html>\r\n") ==
		    0);
	test_assert(strstr(html, "<title>Help desk weekly report: Support "
			   "2026-W48</title>") != NULL);
	/* no scripts, SVG or remote images */
	test_assert(strstr(html, "<script") == NULL &&
		    strstr(html, "<svg") == NULL &&
		    strstr(html, "<img") == NULL);

	/* another id, another boundary */
	boundary = msg.boundary;
	report.message_id = "<hd.report.2@example.com>";
	test_message_valid(test_write(&report), &msg, 1);
	test_assert(boundary != NULL && msg.boundary != NULL &&
		    strcmp(boundary, msg.boundary) != 0);
	test_end();
}

static void test_helpdesk_game_report_board(void)
{
	static const struct {
		const char *agent, *agent_html;
		int64_t points, prev_points;
		unsigned int level;
		const char *level_name;
		unsigned int resolved, prev_resolved;
		/* in the text board */
		const char *points_text, *change, *level_text, *resolved_text;
		int bar;
	} tests[] = {
		{ "alice", "alice", 100, 80, 3, "Helper", 12, 9,
		  "100", "+20", "3 Helper", "12 (+3)", 100 },
		{ "bob", "bob", 50, 70, 2, "Apprentice", 5, 6,
		  "50", "-20", "2 Apprentice", "5 (-1)", 50 },
		{ "zo\xc3\xab", "zo\xc3\xab", 25, 25, 2, "Apprentice", 3, 3,
		  "25", "0", "2 Apprentice", "3 (0)", 25 },
		{ "carol", "carol", 2, 0, 1, "Novice", 1, 0,
		  "2", "+2", "1 Novice", "1 (+1)", 2 },
		/* a sliver still shows: at least 1% */
		{ "dan", "dan", 1, 1, 1, "Novice", 0, 0,
		  "1", "0", "1 Novice", "0 (0)", 1 },
		{ "<b>&\"x'", "&lt;b&gt;&amp;&quot;x&#39;", 0, 5, 1, "Novice",
		  0, 2, "0", "-5", "1 Novice", "0 (-2)", 0 },
		{ "erin", "erin", -5, 0, 1, "", 0, 0,
		  "-5", "-5", "1", "0 (0)", 0 },
		/* no overflow in the change */
		{ "frank", "frank", -9223372036854775807LL - 1,
		  9223372036854775807LL, 1, "Novice", 0, 0,
		  "-9223372036854775808", "-18446744073709551615",
		  "1 Novice", "0 (0)", 0 },
	};
	struct helpdesk_game_report_row rows[N_ELEMENTS(tests)];
	struct helpdesk_game_report report;
	struct test_message msg;
	const char *text, *html, *line, *const *cols, *head;
	unsigned int i, width, positive = 0;
	int last_pos = -1, pos;

	test_begin("helpdesk game report board");
	for (i = 0; i < N_ELEMENTS(tests); i++) {
		i_zero(&rows[i]);
		rows[i].rank = i + 1;
		rows[i].agent = tests[i].agent;
		rows[i].points = tests[i].points;
		rows[i].prev_points = tests[i].prev_points;
		rows[i].level = tests[i].level;
		rows[i].level_name = tests[i].level_name;
		rows[i].resolved = tests[i].resolved;
		rows[i].prev_resolved = tests[i].prev_resolved;
		if (tests[i].bar > 0)
			positive++;
	}
	test_report_init(&report);
	report.rows = rows;
	report.row_count = N_ELEMENTS(rows);
	test_message_valid(test_write(&report), &msg, 0);
	text = test_part_text(&msg, "text/plain");
	html = test_part_text(&msg, "text/html");
	test_assert(strstr(text, "No points were earned") == NULL);

	/* the headings, then the rows in rank order, every line as wide
	   as the others (the last column is right-aligned) */
	head = test_line(text, "Rank");
	test_assert(head != NULL);
	if (head != NULL) {
		cols = test_columns(head);
		test_assert(str_array_length(cols) == 6 &&
			    strcmp(cols[0], "Rank") == 0 &&
			    strcmp(cols[1], "Agent") == 0 &&
			    strcmp(cols[2], "Points") == 0 &&
			    strcmp(cols[3], "Change") == 0 &&
			    strcmp(cols[4], "Level") == 0 &&
			    strcmp(cols[5], "Resolved") == 0);
		last_pos = strstr(text, head) - text;
	}
	width = head == NULL ? 0 : uni_utf8_strlen(head);
	for (i = 0; i < N_ELEMENTS(tests); i++) {
		line = test_line(text, t_strdup_printf("%u  %s  ", i + 1,
						       tests[i].agent));
		test_assert_idx(line != NULL, i);
		if (line == NULL)
			continue;
		pos = strstr(text, line) - text;
		test_assert_idx(pos > last_pos, i);
		last_pos = pos;
		test_assert_idx(uni_utf8_strlen(line) == width, i);
		cols = test_columns(line);
		test_assert_idx(str_array_length(cols) == 6, i);
		if (str_array_length(cols) != 6)
			continue;
		test_assert_strcmp_idx(cols[0], dec2str(i + 1), i);
		test_assert_strcmp_idx(cols[1], tests[i].agent, i);
		test_assert_strcmp_idx(cols[2], tests[i].points_text, i);
		test_assert_strcmp_idx(cols[3], tests[i].change, i);
		test_assert_strcmp_idx(cols[4], tests[i].level_text, i);
		test_assert_strcmp_idx(cols[5], tests[i].resolved_text, i);
	}
	test_assert(strstr(text, "Changes are against 2026-W47.") != NULL);

	/* one bar per agent with points, as wide as its share of the top */
	test_assert(test_count(html, TEST_BAR) == positive);
	for (i = 0; i < N_ELEMENTS(tests); i++) {
		line = test_html_row(html, tests[i].agent_html);
		test_assert_idx(line != NULL, i);
		if (line == NULL)
			continue;
		test_assert_idx(test_count(line, "<table") == 1, i);
		test_assert_idx(test_bar_width(line) == tests[i].bar, i);
		test_assert_idx(strstr(line, t_strdup_printf(">%s</td>",
				tests[i].points_text)) != NULL, i);
		test_assert_idx(strstr(line, t_strdup_printf(">%s</td>",
				tests[i].change)) != NULL, i);
		/* the spacer fills the rest; none beside a full bar */
		test_assert_idx(strstr(line, t_strdup_printf(
			"width:%d%%;height", 100 - tests[i].bar)) != NULL ||
			tests[i].bar == 100, i);
		test_assert_idx(strstr(line, "width:0%") == NULL, i);
	}
	/* the hostile name only escaped */
	test_assert(strstr(html, "<b>") == NULL);
	test_assert(strstr(html, "&\"x'") == NULL);
	test_assert(strstr(html, "&lt;b&gt;&amp;&quot;x&#39;") != NULL);
	test_end();
}

static void test_helpdesk_game_report_bars(void)
{
	static const struct {
		int64_t points[3];
		int bars[3];
	} tests[] = {
		{ { 100, 50, 0 }, { 100, 50, 0 } },
		/* the top needn't come first */
		{ { 10, 40, 20 }, { 25, 100, 50 } },
		{ { 3, 2, 1 }, { 100, 67, 33 } },
		{ { 0, 0, 0 }, { 0, 0, 0 } },
		{ { -1, -10, 0 }, { 0, 0, 0 } },
		{ { 1000, 4, 5 }, { 100, 1, 1 } },
		{ { 1000, 5, -5 }, { 100, 1, 0 } },
		{ { 9223372036854775807LL, 4611686018427387904LL, 1 },
		  { 100, 50, 1 } },
	};
	static const char *const agents[3] = { "a1", "a2", "a3" };
	struct helpdesk_game_report_row rows[3];
	struct helpdesk_game_report report;
	struct test_message msg;
	const char *html, *line;
	unsigned int i, j;

	test_begin("helpdesk game report bars");
	for (i = 0; i < N_ELEMENTS(tests); i++) {
		for (j = 0; j < 3; j++) {
			i_zero(&rows[j]);
			rows[j].rank = j + 1;
			rows[j].agent = agents[j];
			rows[j].points = tests[i].points[j];
			rows[j].level = 1;
			rows[j].level_name = "Novice";
		}
		test_report_init(&report);
		report.rows = rows;
		report.row_count = 3;
		test_message_valid(test_write(&report), &msg, i);
		html = test_part_text(&msg, "text/html");
		for (j = 0; j < 3; j++) {
			line = test_html_row(html, agents[j]);
			test_assert_idx(line != NULL, i * 10 + j);
			if (line != NULL) {
				test_assert_idx(test_bar_width(line) ==
						tests[i].bars[j], i * 10 + j);
			}
		}
	}
	test_end();
}

static void test_helpdesk_game_report_sla(void)
{
	static const struct {
		unsigned int met, breached, prev_met, prev_breached;
		bool has, prev_has;
		int64_t median, prev_median;
		const char *met_text, *compliance, *prev_compliance;
		const char *response, *prev_response;
	} tests[] = {
		{ 7, 1, 3, 1, TRUE, TRUE, 3900, 7200,
		  "7", "87.5%", "75.0%", "1h 05m", "2h 00m" },
		{ 0, 0, 0, 0, FALSE, FALSE, 3900, 0,
		  "0", "n/a", "n/a", "n/a", "n/a" },
		{ 2, 1, 1, 2, TRUE, FALSE, 29, 60,
		  "2", "66.7%", "33.3%", "0h 00m", "n/a" },
		{ 0, 5, 5, 0, TRUE, TRUE, 30, 89,
		  "0", "0.0%", "100.0%", "0h 01m", "0h 01m" },
		/* rounded half up at the first decimal */
		{ 1999, 1, 1, 1999, TRUE, TRUE, 90000 + 59 * 60 + 29, -10,
		  "1999", "100.0%", "0.1%", "25h 59m", "0h 00m" },
		{ 4294967295U, 4294967295U, 1, 0, FALSE, TRUE, 0, 59 * 60 + 30,
		  "4294967295", "50.0%", "100.0%", "n/a", "1h 00m" },
	};
	struct helpdesk_game_report report;
	struct test_message msg;
	const char *text, *html, *line, *const *cols;
	unsigned int i;

	test_begin("helpdesk game report sla");
	for (i = 0; i < N_ELEMENTS(tests); i++) {
		test_report_init(&report);
		report.sla_met = tests[i].met;
		report.sla_breached = tests[i].breached;
		report.prev_sla_met = tests[i].prev_met;
		report.prev_sla_breached = tests[i].prev_breached;
		report.has_first_response = tests[i].has;
		report.has_prev_first_response = tests[i].prev_has;
		report.first_response_median = tests[i].median;
		report.prev_first_response_median = tests[i].prev_median;
		test_message_valid(test_write(&report), &msg, i);
		text = test_part_text(&msg, "text/plain");
		html = test_part_text(&msg, "text/html");

		line = test_line(text, "2026-W48");
		test_assert_idx(line != NULL &&
				strstr(line, "2026-W47") != NULL, i);
		line = test_line(text, "SLA deadlines met");
		cols = line == NULL ? NULL : test_columns(line);
		test_assert_idx(cols != NULL &&
				str_array_length(cols) == 3 &&
				strcmp(cols[1], tests[i].met_text) == 0 &&
				strcmp(cols[2], dec2str(tests[i].prev_met)) ==
				0, i);
		line = test_line(text, "SLA deadlines breached");
		cols = line == NULL ? NULL : test_columns(line);
		test_assert_idx(cols != NULL &&
				str_array_length(cols) == 3 &&
				strcmp(cols[1], dec2str(tests[i].breached)) ==
				0 &&
				strcmp(cols[2],
				       dec2str(tests[i].prev_breached)) == 0,
				i);
		line = test_line(text, "SLA compliance");
		cols = line == NULL ? NULL : test_columns(line);
		test_assert_idx(cols != NULL && str_array_length(cols) == 3, i);
		if (cols != NULL && str_array_length(cols) == 3) {
			test_assert_strcmp_idx(cols[1], tests[i].compliance,
					       i);
			test_assert_strcmp_idx(cols[2],
					       tests[i].prev_compliance, i);
		}
		line = test_line(text, "First response (median)");
		cols = line == NULL ? NULL : test_columns(line);
		test_assert_idx(cols != NULL && str_array_length(cols) == 3, i);
		if (cols != NULL && str_array_length(cols) == 3) {
			test_assert_strcmp_idx(cols[1], tests[i].response, i);
			test_assert_strcmp_idx(cols[2], tests[i].prev_response,
					       i);
		}
		/* the same figures in the HTML part */
		test_assert_idx(strstr(html, t_strdup_printf(">%s</td>",
				tests[i].compliance)) != NULL, i);
		test_assert_idx(strstr(html, t_strdup_printf(">%s</td>",
				tests[i].prev_compliance)) != NULL, i);
		test_assert_idx(strstr(html, t_strdup_printf(">%s</td>",
				tests[i].response)) != NULL, i);
	}
	test_end();
}

static void test_helpdesk_game_report_subject(void)
{
	static const struct {
		const char *team, *subject;
		bool encoded;
	} tests[] = {
		{ "Support", "Help desk weekly report: Support 2026-W48",
		  FALSE },
		{ "", "Help desk weekly report: (no team) 2026-W48", FALSE },
		{ NULL, "Help desk weekly report: (no team) 2026-W48", FALSE },
		{ "K\xc3\xbcnden-Team", "Help desk weekly report: "
		  "K\xc3\xbcnden-Team 2026-W48", TRUE },
		{ "\xe6\x94\xaf\xe6\x8f\xb4", "Help desk weekly report: "
		  "\xe6\x94\xaf\xe6\x8f\xb4 2026-W48", TRUE },
		/* CR and LF can't start a header: they become spaces */
		{ "Team\r\nBcc: evil@example.net",
		  "Help desk weekly report: Team  Bcc: evil@example.net "
		  "2026-W48", FALSE },
		/* invalid UTF-8: the replacement character */
		{ "caf\xe9", "Help desk weekly report: caf\xef\xbf\xbd "
		  "2026-W48", TRUE },
	};
	struct helpdesk_game_report report;
	struct test_message msg;
	const char *value, *long_team, *expected;
	buffer_t *decoded;
	unsigned int i;

	test_begin("helpdesk game report subject");
	for (i = 0; i <= N_ELEMENTS(tests); i++) {
		test_report_init(&report);
		if (i < N_ELEMENTS(tests)) {
			report.team = tests[i].team;
			expected = tests[i].subject;
		} else {
			/* long: folded, and cut at a character to 200
			   bytes before it is encoded */
			long_team = test_repeat("\xc3\xa4", 150);
			report.team = long_team;
			expected = t_strconcat("Help desk weekly report: ",
					       test_repeat("\xc3\xa4", 87),
					       NULL);
		}
		test_message_valid(test_write(&report), &msg, i);
		test_assert_idx(test_count(msg.header, "\nBcc:") == 0, i);
		test_assert_idx(test_count(msg.header, "Subject:") == 1, i);
		value = test_header(msg.header, "Subject");
		test_assert_idx(value != NULL, i);
		if (value == NULL)
			continue;
		if (i == N_ELEMENTS(tests) || tests[i].encoded)
			test_assert_idx(strstr(value, "=?utf-8?") != NULL, i);
		else
			test_assert_strcmp_idx(value, expected, i);
		decoded = t_buffer_create(256);
		message_header_decode_utf8((const unsigned char *)value,
					   strlen(value), decoded, NULL);
		test_assert_strcmp_idx(str_c(decoded), expected, i);
	}
	/* the long one went over lines */
	test_assert(test_count(strstr(msg.header, "Subject:"), "\r\n\t") +
		    test_count(strstr(msg.header, "Subject:"), "\r\n ") > 1);
	test_end();
}

static void test_helpdesk_game_report_empty(void)
{
	struct helpdesk_game_report report;
	struct test_message msg;
	const char *text, *html, *const *cols;

	test_begin("helpdesk game report empty");
	test_report_init(&report);
	test_message_valid(test_write(&report), &msg, 0);
	text = test_part_text(&msg, "text/plain");
	html = test_part_text(&msg, "text/html");
	test_assert(strstr(text, "\r\nNo points were earned this week.\r\n") !=
		    NULL);
	test_assert(test_line(text, "Rank") == NULL);
	test_assert(strstr(html, "No points were earned this week.") != NULL);
	test_assert(strstr(html, TEST_BAR) == NULL);
	test_assert(strstr(text, "Level-ups and new badges\r\n\r\n"
			   "None this week.\r\n") != NULL);
	/* the SLA figures are there all the same */
	test_assert(test_line(text, "SLA compliance") != NULL);

	/* a board of agents without points is no empty board */
	{
		struct helpdesk_game_report_row row = {
			.rank = 1, .agent = "alice", .level = 1,
			.level_name = "Novice",
		};

		report.rows = &row;
		report.row_count = 1;
		test_message_valid(test_write(&report), &msg, 1);
		text = test_part_text(&msg, "text/plain");
		html = test_part_text(&msg, "text/html");
		test_assert(strstr(text, "No points were earned") == NULL);
		cols = test_line(text, "1  alice") == NULL ? NULL :
			test_columns(test_line(text, "1  alice"));
		test_assert(cols != NULL && str_array_length(cols) == 6 &&
			    strcmp(cols[2], "0") == 0 &&
			    strcmp(cols[3], "0") == 0);
		test_assert(strstr(html, TEST_BAR) == NULL);
	}
	test_end();
}

static void test_helpdesk_game_report_news(void)
{
	static const struct {
		const char *tz;
		const char *agent, *what;
		int64_t when;
		uint64_t ticket;
		const char *line, *html;
	} tests[] = {
		{ "UTC0", "alice", "reached level 3, Helper",
		  TEST_WEDNESDAY_NOON, 1234,
		  "2026-11-25  alice reached level 3, Helper (ticket #1234)",
		  "<li>2026-11-25 <strong>alice</strong> reached level 3, "
		  "Helper (ticket #1234)</li>" },
		{ "UTC0", "bob", "earned the badge Night owl",
		  TEST_WEDNESDAY_NOON + 35 * 3600 + 1800, 0,
		  "2026-11-26  bob earned the badge Night owl",
		  "<li>2026-11-26 <strong>bob</strong> earned the badge "
		  "Night owl</li>" },
		/* the local date: 02:00 the next day at UTC+14 */
		{ "XYZ-14", "carol", "earned the badge First ticket",
		  TEST_WEDNESDAY_NOON, 18446744073709551615ULL,
		  "2026-11-26  carol earned the badge First ticket "
		  "(ticket #18446744073709551615)",
		  "<li>2026-11-26 <strong>carol</strong> earned the badge "
		  "First ticket (ticket #18446744073709551615)</li>" },
		{ "UTC0", "<b>&\"x'", "earned <i>it</i> & more", 0, 7,
		  "1970-01-01  <b>&\"x' earned <i>it</i> & more (ticket #7)",
		  "<li>1970-01-01 <strong>&lt;b&gt;&amp;&quot;x&#39;</strong> "
		  "earned &lt;i&gt;it&lt;/i&gt; &amp; more (ticket #7)</li>" },
	};
	struct helpdesk_game_report_news news;
	struct helpdesk_game_report report;
	struct test_message msg;
	const char *text, *html, *old_tz = getenv("TZ");
	unsigned int i;

	test_begin("helpdesk game report news");
	for (i = 0; i < N_ELEMENTS(tests); i++) {
		if (setenv("TZ", tests[i].tz, 1) < 0)
			i_fatal("setenv(TZ) failed: %m");
		tzset();
		i_zero(&news);
		news.agent = tests[i].agent;
		news.what = tests[i].what;
		news.when = tests[i].when;
		news.ticket = tests[i].ticket;
		test_report_init(&report);
		report.news = &news;
		report.news_count = 1;
		test_message_valid(test_write(&report), &msg, i);
		text = test_part_text(&msg, "text/plain");
		html = test_part_text(&msg, "text/html");
		test_assert_idx(strstr(text, t_strconcat(
			"Level-ups and new badges\r\n\r\n", tests[i].line,
			"\r\n", NULL)) != NULL, i);
		test_assert_idx(strstr(html, tests[i].html) != NULL, i);
		test_assert_idx(strstr(text, "None this week.") == NULL, i);
		test_assert_idx(strstr(html, "<i>") == NULL, i);
	}
	if (old_tz == NULL)
		i_assert(unsetenv("TZ") == 0);
	else
		i_assert(setenv("TZ", old_tz, 1) == 0);
	tzset();
	test_end();
}

/* Hostile and huge input: still CRLF only, short lines, no injected
   header or part. */
static void test_helpdesk_game_report_limits(void)
{
	static const char *const texts[] = {
		"\r\n--=_helpdesk-report-0000000000000000--\r\n",
		"line\nBcc: evil@example.net\r\n\r\n<script>x</script>",
		"\x01\x02\x7f\t\x1b[0m",
		"=_ =3D =\r\n=",
	};
	struct helpdesk_game_report_row rows[3];
	struct helpdesk_game_report_news news[2];
	struct helpdesk_game_report report;
	struct test_message msg;
	const char *long_text, *msgtext;
	unsigned int i;

	test_begin("helpdesk game report limits");
	long_text = t_strconcat(test_repeat("x", 3000), " ",
				test_repeat("\xc3\xa4 ", 1500), NULL);
	/* each text, then the long one, then NULL everywhere */
	for (i = 0; i < N_ELEMENTS(texts) + 2; i++) {
		const char *hostile = i < N_ELEMENTS(texts) ? texts[i] :
			i == N_ELEMENTS(texts) ? long_text : NULL;

		i_zero(&rows);
		i_zero(&news);
		rows[0].rank = 1;
		rows[0].agent = hostile;
		rows[0].points = 10;
		rows[0].level_name = hostile;
		rows[1].rank = 2;
		rows[1].agent = long_text;
		rows[1].points = 5;
		rows[2].rank = 3;
		rows[2].agent = "bob";
		news[0].agent = hostile;
		news[0].what = hostile;
		news[1].agent = long_text;
		news[1].what = long_text;
		test_report_init(&report);
		report.team = hostile;
		report.period = hostile;
		report.prev_period = hostile;
		report.from = i == 0 ? long_text : "helpdesk@example.com";
		report.to = hostile;
		report.message_id = hostile;
		report.rows = rows;
		report.row_count = N_ELEMENTS(rows);
		report.news = news;
		report.news_count = N_ELEMENTS(news);
		msgtext = test_write(&report);
		test_message_valid(msgtext, &msg, i);
		test_assert_idx(strstr(msg.header, "\nBcc:") == NULL, i);
		test_assert_idx(strstr(test_part_text(&msg, "text/html"),
				       "<script>") == NULL, i);
		test_assert_idx(strstr(test_part_text(&msg, "text/plain"),
				       "\r\nBcc:") == NULL, i);
	}
	test_end();
}

int main(void)
{
	static void (*const test_functions[])(void) = {
		test_helpdesk_game_report_headers,
		test_helpdesk_game_report_board,
		test_helpdesk_game_report_bars,
		test_helpdesk_game_report_sla,
		test_helpdesk_game_report_subject,
		test_helpdesk_game_report_empty,
		test_helpdesk_game_report_news,
		test_helpdesk_game_report_limits,
		NULL
	};
	return test_run(test_functions);
}
