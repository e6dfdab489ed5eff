/* Copyright (c) 2026 dovecot-helpdesk authors, see the included COPYING file */

/* The weekly report mail to a team lead (pure: unit-tested). */

#include "lib.h"
#include "str.h"
#include "buffer.h"
#include "hex-binary.h"
#include "md5.h"
#include "unichar.h"
#include "message-date.h"
#include "message-header-encode.h"
#include "qp-encoder.h"
#include "helpdesk-game-report.h"

#include <time.h>

/* RFC 2045 allows 76; Dovecot 2.3's encoder may go 2 over its limit
   when a soft break follows an encoded space (as in
   helpdesk-autoreply.c) */
#define REPORT_QP_LINE_LEN 74
/* the subject is cut to this many bytes (at a character) before it is
   encoded: long ASCII text is not folded by the encoder, and RFC 5322
   allows 998 per line */
#define REPORT_MAX_SUBJECT_LEN 200
/* an address or the Message-ID is cut to this many bytes: its header
   line stays far below 998 */
#define REPORT_MAX_HEADER_VALUE_LEN 500
/* a text column is padded to at most this many characters: a longer
   value is written whole and shifts the rest of its line */
#define REPORT_MAX_COLUMN_WIDTH 32
/* between the text columns */
#define REPORT_COLUMN_GAP "  "

#define REPORT_BAR_COLOR "#3b82f6"
/* the chart's column in the HTML board */
#define REPORT_CHART_WIDTH_PX 200

#define REPORT_HTML_CELL "padding:4px 8px;border-bottom:1px solid #e5e7eb"
#define REPORT_HTML_HEAD \
	"padding:4px 8px;border-bottom:2px solid #d1d5db;font-weight:bold"

/* The columns of the board; the HTML board has the chart before
   REPORT_COL_POINTS. */
enum report_col {
	REPORT_COL_RANK = 0,
	REPORT_COL_AGENT,
	REPORT_COL_POINTS,
	REPORT_COL_CHANGE,
	REPORT_COL_LEVEL,
	REPORT_COL_RESOLVED,

	REPORT_COL_COUNT
};

/* A table of text cells, row 0 the headings. */
struct report_table {
	unsigned int cols, rows;
	const char **cells;		/* rows * cols */
	const bool *right;		/* cols: right-aligned */
};

/* The report's text, cleaned and formatted once for both parts. */
struct report_view {
	const char *title, *period, *prev_period;
	struct report_table board, sla;
	/* per row: the bar's width in percent of the top points, 0: none */
	unsigned int *bar_pct;
	/* per news item: "2026-11-25", "alice", "reached level 3, ...",
	   "ticket #1234" or "" */
	const char **news_date, **news_agent, **news_what, **news_ticket;
};

/* text as one line of valid UTF-8: invalid sequences become U+FFFD,
   controls spaces (data stack) */
static const char *report_clean(const char *text)
{
	buffer_t *valid;
	string_t *str;
	const unsigned char *p;
	size_t len;

	if (text == NULL)
		return "";
	len = strlen(text);
	valid = t_buffer_create(len + 16);
	if (!uni_utf8_get_valid_data((const unsigned char *)text, len, valid))
		text = str_c(valid);
	str = t_str_new(strlen(text) + 1);
	for (p = (const unsigned char *)text; *p != '\0'; p++)
		str_append_c(str, *p < ' ' || *p == 0x7f ? ' ' : (char)*p);
	return str_c(str);
}

/* text cleaned and cut to max_len bytes at a character (data stack) */
static const char *report_clean_cut(const char *text, size_t max_len)
{
	size_t len;

	text = report_clean(text);
	len = strlen(text);
	if (len <= max_len)
		return text;
	len = uni_utf8_data_truncate((const unsigned char *)text, len,
				     max_len);
	return t_strndup(text, len);
}

/* "+N", "-N" or "0": now against before, without overflow */
static const char *report_change(int64_t now, int64_t before)
{
	if (now > before) {
		return t_strdup_printf("+%"PRIu64,
				       (uint64_t)now - (uint64_t)before);
	}
	if (now < before) {
		return t_strdup_printf("-%"PRIu64,
				       (uint64_t)before - (uint64_t)now);
	}
	return "0";
}

/* met / (met + breached) in percent with one decimal, rounded half up;
   "n/a" without deadlines */
static const char *report_compliance(unsigned int met, unsigned int breached)
{
	uint64_t total = (uint64_t)met + breached, tenths;

	if (total == 0)
		return "n/a";
	tenths = ((uint64_t)met * 2000 + total) / (2 * total);
	return t_strdup_printf("%"PRIu64".%"PRIu64"%%",
			       tenths / 10, tenths % 10);
}

/* "1h 05m", rounded to the minute (a negative duration as 0); "n/a"
   without a sample */
static const char *report_duration(bool has_sample, int64_t secs)
{
	uint64_t mins;

	if (!has_sample)
		return "n/a";
	if (secs < 0)
		secs = 0;
	mins = ((uint64_t)secs + 30) / 60;
	return t_strdup_printf("%"PRIu64"h %02um", mins / 60,
			       (unsigned int)(mins % 60));
}

/* The local date of t, "YYYY-MM-DD" ("?" beyond what struct tm holds). */
static const char *report_date(int64_t t)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if ((int64_t)tt != t || localtime_r(&tt, &tm) == NULL)
		return "?";
	return t_strdup_printf("%04d-%02d-%02d", tm.tm_year + 1900,
			       tm.tm_mon + 1, tm.tm_mday);
}

/* points as a bar width in percent of top (the highest points, > 0):
   1..100 for positive points, 0 (no bar) for zero or negative */
static unsigned int report_bar_pct(int64_t points, int64_t top)
{
	double pct;

	if (points <= 0 || top <= 0)
		return 0;
	if (points >= top)
		return 100;
	pct = (double)points * 100.0 / (double)top + 0.5;
	if (pct < 1.0)
		return 1;
	if (pct > 100.0)
		return 100;
	return (unsigned int)pct;
}

static void report_table_init(struct report_table *table, unsigned int cols,
			      unsigned int rows, const bool *right)
{
	table->cols = cols;
	table->rows = rows;
	table->cells = t_new(const char *, (size_t)cols * rows);
	table->right = right;
}

static void report_table_set(struct report_table *table, unsigned int row,
			     unsigned int col, const char *text)
{
	i_assert(row < table->rows && col < table->cols);
	table->cells[row * table->cols + col] = text;
}

static const char *
report_table_get(const struct report_table *table, unsigned int row,
		 unsigned int col)
{
	const char *text = table->cells[row * table->cols + col];

	return text == NULL ? "" : text;
}

static void report_view_init(struct report_view *view,
			     const struct helpdesk_game_report *report)
{
	static const bool board_right[REPORT_COL_COUNT] = {
		[REPORT_COL_RANK] = TRUE,
		[REPORT_COL_POINTS] = TRUE,
		[REPORT_COL_CHANGE] = TRUE,
		[REPORT_COL_RESOLVED] = TRUE,
	};
	static const bool sla_right[3] = { FALSE, TRUE, TRUE };
	static const char *const board_headings[REPORT_COL_COUNT] = {
		"Rank", "Agent", "Points", "Change", "Level", "Resolved"
	};
	const struct helpdesk_game_report_row *row;
	const struct helpdesk_game_report_news *news;
	const char *team, *level_name;
	int64_t top = 0;
	unsigned int i;

	i_zero(view);
	team = report->team == NULL || report->team[0] == '\0' ?
		"(no team)" : report->team;
	view->period = report_clean(report->period);
	view->prev_period = report_clean(report->prev_period);
	view->title = report_clean(t_strdup_printf(
		"Help desk weekly report: %s %s", team,
		report->period == NULL ? "" : report->period));

	report_table_init(&view->board, REPORT_COL_COUNT,
			  report->row_count + 1, board_right);
	for (i = 0; i < REPORT_COL_COUNT; i++)
		report_table_set(&view->board, 0, i, board_headings[i]);
	view->bar_pct = t_new(unsigned int, report->row_count + 1);
	for (i = 0; i < report->row_count; i++) {
		if (report->rows[i].points > top)
			top = report->rows[i].points;
	}
	for (i = 0; i < report->row_count; i++) {
		row = &report->rows[i];
		report_table_set(&view->board, i + 1, REPORT_COL_RANK,
				 t_strdup_printf("%u", row->rank));
		report_table_set(&view->board, i + 1, REPORT_COL_AGENT,
				 report_clean(row->agent));
		report_table_set(&view->board, i + 1, REPORT_COL_POINTS,
				 t_strdup_printf("%"PRId64, row->points));
		report_table_set(&view->board, i + 1, REPORT_COL_CHANGE,
				 report_change(row->points, row->prev_points));
		level_name = report_clean(row->level_name);
		report_table_set(&view->board, i + 1, REPORT_COL_LEVEL,
				 level_name[0] == '\0' ?
				 t_strdup_printf("%u", row->level) :
				 t_strdup_printf("%u %s", row->level,
						 level_name));
		report_table_set(&view->board, i + 1, REPORT_COL_RESOLVED,
				 t_strdup_printf("%u (%s)", row->resolved,
						 report_change(row->resolved,
							row->prev_resolved)));
		view->bar_pct[i + 1] = report_bar_pct(row->points, top);
	}

	report_table_init(&view->sla, 3, 5, sla_right);
	report_table_set(&view->sla, 0, 1, view->period);
	report_table_set(&view->sla, 0, 2, view->prev_period);
	report_table_set(&view->sla, 1, 0, "SLA deadlines met");
	report_table_set(&view->sla, 1, 1,
			 t_strdup_printf("%u", report->sla_met));
	report_table_set(&view->sla, 1, 2,
			 t_strdup_printf("%u", report->prev_sla_met));
	report_table_set(&view->sla, 2, 0, "SLA deadlines breached");
	report_table_set(&view->sla, 2, 1,
			 t_strdup_printf("%u", report->sla_breached));
	report_table_set(&view->sla, 2, 2,
			 t_strdup_printf("%u", report->prev_sla_breached));
	report_table_set(&view->sla, 3, 0, "SLA compliance");
	report_table_set(&view->sla, 3, 1,
			 report_compliance(report->sla_met,
					   report->sla_breached));
	report_table_set(&view->sla, 3, 2,
			 report_compliance(report->prev_sla_met,
					   report->prev_sla_breached));
	report_table_set(&view->sla, 4, 0, "First response (median)");
	report_table_set(&view->sla, 4, 1,
			 report_duration(report->has_first_response,
					 report->first_response_median));
	report_table_set(&view->sla, 4, 2,
			 report_duration(report->has_prev_first_response,
					 report->prev_first_response_median));

	view->news_date = t_new(const char *, report->news_count + 1);
	view->news_agent = t_new(const char *, report->news_count + 1);
	view->news_what = t_new(const char *, report->news_count + 1);
	view->news_ticket = t_new(const char *, report->news_count + 1);
	for (i = 0; i < report->news_count; i++) {
		news = &report->news[i];
		view->news_date[i] = report_date(news->when);
		view->news_agent[i] = report_clean(news->agent);
		view->news_what[i] = report_clean(news->what);
		view->news_ticket[i] = news->ticket == 0 ? "" :
			t_strdup_printf("ticket #%"PRIu64, news->ticket);
	}
}

/*
 * The text part
 */

static void report_text_spaces(string_t *dest, unsigned int count)
{
	while (count-- > 0)
		str_append_c(dest, ' ');
}

/* The table as aligned columns, one line each, without trailing
   spaces. */
static void report_text_table(string_t *dest, const struct report_table *table)
{
	unsigned int *widths = t_new(unsigned int, table->cols);
	unsigned int row, col, width;
	const char *text;
	size_t line_start;

	for (row = 0; row < table->rows; row++) {
		for (col = 0; col < table->cols; col++) {
			width = uni_utf8_strlen(report_table_get(table, row,
								 col));
			width = I_MIN(width, REPORT_MAX_COLUMN_WIDTH);
			widths[col] = I_MAX(widths[col], width);
		}
	}
	for (row = 0; row < table->rows; row++) {
		line_start = str_len(dest);
		for (col = 0; col < table->cols; col++) {
			text = report_table_get(table, row, col);
			width = uni_utf8_strlen(text);
			width = width < widths[col] ? widths[col] - width : 0;
			if (col > 0)
				str_append(dest, REPORT_COLUMN_GAP);
			if (table->right[col])
				report_text_spaces(dest, width);
			str_append(dest, text);
			if (!table->right[col])
				report_text_spaces(dest, width);
		}
		/* the QP encoder would keep trailing spaces as "=20" */
		while (str_len(dest) > line_start &&
		       str_data(dest)[str_len(dest) - 1] == ' ')
			str_truncate(dest, str_len(dest) - 1);
		str_append_c(dest, '\n');
	}
}

static void report_text(string_t *dest, const struct report_view *view,
			const struct helpdesk_game_report *report)
{
	unsigned int i;

	str_printfa(dest, "%s\n\n", view->title);

	str_append(dest, "Points board\n\n");
	if (report->row_count == 0)
		str_append(dest, "No points were earned this week.\n");
	else {
		report_text_table(dest, &view->board);
		str_printfa(dest, "\nChanges are against %s.\n",
			    view->prev_period);
	}

	str_append(dest, "\nService levels\n\n");
	report_text_table(dest, &view->sla);

	str_append(dest, "\nLevel-ups and new badges\n\n");
	if (report->news_count == 0)
		str_append(dest, "None this week.\n");
	for (i = 0; i < report->news_count; i++) {
		str_printfa(dest, "%s  %s %s", view->news_date[i],
			    view->news_agent[i], view->news_what[i]);
		if (view->news_ticket[i][0] != '\0')
			str_printfa(dest, " (%s)", view->news_ticket[i]);
		str_append_c(dest, '\n');
	}
}

/*
 * The HTML part
 */

static void report_html_escape(string_t *dest, const char *text)
{
	for (; *text != '\0'; text++) {
		switch (*text) {
		case '&':
			str_append(dest, "&amp;");
			break;
		case '<':
			str_append(dest, "&lt;");
			break;
		case '>':
			str_append(dest, "&gt;");
			break;
		case '"':
			str_append(dest, "&quot;");
			break;
		case '\'':
			str_append(dest, "&#39;");
			break;
		default:
			str_append_c(dest, *text);
			break;
		}
	}
}

/* A table cell with the escaped text. */
static void report_html_cell(string_t *dest, const char *tag, bool right,
			     const char *style, const char *text)
{
	str_printfa(dest, "<%s align=\"%s\" style=\"%s;text-align:%s\">",
		    tag, right ? "right" : "left", style,
		    right ? "right" : "left");
	report_html_escape(dest, text);
	str_printfa(dest, "</%s>", tag);
}

/* The bar of one agent: a table as wide as the chart's column with a
   colored cell pct% wide and a spacer cell for the rest (no bar cell at
   0%). Table cells with a background render in mail clients that take
   neither scripts, SVG nor remote images; the width and bgcolor
   attributes are for the clients that ignore CSS. */
static void report_html_bar(string_t *dest, unsigned int pct)
{
	str_printfa(dest, "<td width=\"%u\" style=\"%s;width:%upx\">",
		    REPORT_CHART_WIDTH_PX, REPORT_HTML_CELL,
		    REPORT_CHART_WIDTH_PX);
	str_append(dest, "<table width=\"100%\" cellpadding=\"0\" "
		   "cellspacing=\"0\" border=\"0\" "
		   "style=\"width:100%;border-collapse:collapse\"><tr>");
	if (pct > 0) {
		str_printfa(dest, "<td width=\"%u%%\" height=\"14\" "
			    "bgcolor=\""REPORT_BAR_COLOR"\" "
			    "style=\"background:"REPORT_BAR_COLOR";"
			    "width:%u%%;height:14px;font-size:0;"
			    "line-height:0\">&nbsp;</td>", pct, pct);
	}
	if (pct < 100) {
		str_printfa(dest, "<td width=\"%u%%\" height=\"14\" "
			    "style=\"width:%u%%;height:14px;font-size:0;"
			    "line-height:0\">&nbsp;</td>",
			    100 - pct, 100 - pct);
	}
	str_append(dest, "</tr></table></td>");
}

/* The table in HTML; board: with the chart's column before the
   points. */
static void report_html_table(string_t *dest, const struct report_table *table,
			      const unsigned int *bar_pct)
{
	unsigned int row, col;
	bool head;

	str_append(dest, "<table cellpadding=\"0\" cellspacing=\"0\" "
		   "border=\"0\" style=\"border-collapse:collapse\">\n");
	for (row = 0; row < table->rows; row++) {
		head = row == 0;
		str_append(dest, "<tr>");
		for (col = 0; col < table->cols; col++) {
			if (bar_pct != NULL && col == REPORT_COL_POINTS) {
				if (head) {
					str_printfa(dest, "<th width=\"%u\" "
						"style=\"%s;text-align:left\">"
						"Chart</th>",
						REPORT_CHART_WIDTH_PX,
						REPORT_HTML_HEAD);
				} else {
					report_html_bar(dest, bar_pct[row]);
				}
			}
			report_html_cell(dest, head ? "th" : "td",
					 table->right[col],
					 head ? REPORT_HTML_HEAD :
					 REPORT_HTML_CELL,
					 report_table_get(table, row, col));
		}
		str_append(dest, "</tr>\n");
	}
	str_append(dest, "</table>\n");
}

static void report_html(string_t *dest, const struct report_view *view,
			const struct helpdesk_game_report *report)
{
	unsigned int i;

	str_append(dest, "<!DOCTYPE html>\n<html>\n<head>\n"
		   "<meta http-equiv=\"Content-Type\" "
		   "content=\"text/html; charset=utf-8\">\n<title>");
	report_html_escape(dest, view->title);
	str_append(dest, "</title>\n</head>\n"
		   "<body style=\"margin:0;padding:16px;"
		   "font-family:Arial,Helvetica,sans-serif;font-size:14px;"
		   "color:#1f2937;background:#ffffff\">\n"
		   "<h1 style=\"font-size:20px;margin:0 0 16px 0\">");
	report_html_escape(dest, view->title);
	str_append(dest, "</h1>\n");

	str_append(dest, "<h2 style=\"font-size:16px;margin:16px 0 8px 0\">"
		   "Points board</h2>\n");
	if (report->row_count == 0) {
		str_append(dest, "<p>No points were earned this week.</p>\n");
	} else {
		report_html_table(dest, &view->board, view->bar_pct);
		str_append(dest, "<p style=\"color:#6b7280\">"
			   "Changes are against ");
		report_html_escape(dest, view->prev_period);
		str_append(dest, ".</p>\n");
	}

	str_append(dest, "<h2 style=\"font-size:16px;margin:16px 0 8px 0\">"
		   "Service levels</h2>\n");
	report_html_table(dest, &view->sla, NULL);

	str_append(dest, "<h2 style=\"font-size:16px;margin:16px 0 8px 0\">"
		   "Level-ups and new badges</h2>\n");
	if (report->news_count == 0)
		str_append(dest, "<p>None this week.</p>\n");
	else
		str_append(dest, "<ul>\n");
	for (i = 0; i < report->news_count; i++) {
		str_append(dest, "<li>");
		report_html_escape(dest, view->news_date[i]);
		str_append(dest, " <strong>");
		report_html_escape(dest, view->news_agent[i]);
		str_append(dest, "</strong> ");
		report_html_escape(dest, view->news_what[i]);
		if (view->news_ticket[i][0] != '\0') {
			str_append(dest, " (");
			report_html_escape(dest, view->news_ticket[i]);
			str_append(dest, ")");
		}
		str_append(dest, "</li>\n");
	}
	if (report->news_count > 0)
		str_append(dest, "</ul>\n");
	str_append(dest, "</body>\n</html>\n");
}

/*
 * The message
 */

/* The Subject's value: cut, encoded, folded with CRLF (the encoder
   folds with a bare LF). */
static void report_subject(string_t *dest, const char *subject)
{
	string_t *encoded = t_str_new(256);
	const char *p;

	subject = report_clean_cut(subject, REPORT_MAX_SUBJECT_LEN);
	message_header_encode(subject, encoded);
	for (p = str_c(encoded); *p != '\0'; p++) {
		if (*p == '\n' && (p == str_c(encoded) || p[-1] != '\r'))
			str_append_c(dest, '\r');
		str_append_c(dest, *p);
	}
}

/* One body part: its headers and text quoted-printable with CRLF. */
static void report_part(string_t *dest, const char *boundary,
			const char *content_type, const char *text)
{
	struct qp_encoder *qp;
	size_t start;

	str_printfa(dest, "--%s\r\n"
		    "Content-Type: %s; charset=utf-8\r\n"
		    "Content-Transfer-Encoding: quoted-printable\r\n\r\n",
		    boundary, content_type);
	start = str_len(dest);
	qp = qp_encoder_init(dest, REPORT_QP_LINE_LEN, 0);
	qp_encoder_more(qp, text, strlen(text));
	qp_encoder_finish(qp);
	qp_encoder_deinit(&qp);
	if (str_len(dest) > start && str_data(dest)[str_len(dest) - 1] != '\n')
		str_append(dest, "\r\n");
	/* the CRLF before the next boundary belongs to the boundary: this
	   one keeps the text's last line end */
	str_append(dest, "\r\n");
}

void helpdesk_game_report_write(string_t *dest,
				const struct helpdesk_game_report *report)
{
	struct report_view view;
	unsigned char digest[MD5_RESULTLEN];
	const char *message_id, *boundary;
	string_t *text;

	report_view_init(&view, report);
	message_id = report_clean_cut(report->message_id,
				      REPORT_MAX_HEADER_VALUE_LEN);
	/* A quoted-printable body never holds "=_": '=' starts only "=XX"
	   and the soft line break "=\r\n". So no line of either part can
	   be this boundary, whatever the caller's text; the part headers
	   are ours. The id's digest only tells reports apart. */
	md5_get_digest(message_id, strlen(message_id), digest);
	boundary = t_strconcat("=_helpdesk-report-",
			       binary_to_hex(digest, 8), NULL);

	str_printfa(dest, "From: <%s>\r\n",
		    report_clean_cut(report->from,
				     REPORT_MAX_HEADER_VALUE_LEN));
	str_printfa(dest, "To: <%s>\r\n",
		    report_clean_cut(report->to,
				     REPORT_MAX_HEADER_VALUE_LEN));
	str_append(dest, "Subject: ");
	report_subject(dest, view.title);
	str_append(dest, "\r\n");
	str_printfa(dest, "Date: %s\r\n",
		    message_date_create(report->date));
	str_printfa(dest, "Message-ID: %s\r\n", message_id);
	/* RFC 3834: no automatic answers to it */
	str_append(dest, "Auto-Submitted: auto-generated\r\n");
	/* Exchange and Outlook send no out-of-office reply to it */
	str_append(dest, "X-Auto-Response-Suppress: All\r\n");
	str_printfa(dest, "MIME-Version: 1.0\r\n"
		    "Content-Type: multipart/alternative;\r\n"
		    "\tboundary=\"%s\"\r\n\r\n"
		    "This is a multi-part message in MIME format.\r\n"
		    "\r\n", boundary);

	text = t_str_new(4096);
	report_text(text, &view, report);
	report_part(dest, boundary, "text/plain", str_c(text));
	str_truncate(text, 0);
	report_html(text, &view, report);
	report_part(dest, boundary, "text/html", str_c(text));
	str_printfa(dest, "--%s--\r\n", boundary);
}
