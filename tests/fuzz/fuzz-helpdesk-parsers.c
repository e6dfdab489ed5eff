/* Copyright (c) 2026 dovecot-helpdesk authors, see the included COPYING file */

/* Fuzz target for every parser of untrusted input in the plugin: the
   subject tag parser, the auto-mail detector (header values), the
   Message-ID based threading decision, the keyword classifier (IMAP
   clients send any keyword), the SLA calendar's settings parser, the
   customer mail's template parser and expander, the signed rating
   address (the detail of a customer's recipient), the VIP entry parser,
   the auto-reply composer (a customer's Subject, text, References
   and Message-ID must not break its CRLF header block) and the game's
   rule table and level curve (doveadm takes them from an admin, the
   store reads them back from its table).
   Built with libFuzzer by `make -C tests fuzz` (clang), and as a plain
   program that replays files (the corpus under ../shared/corpus) in
   `make check`. */

#include "lib.h"
#include "helpdesk-tag.h"
#include "helpdesk-auto.h"
#include "helpdesk-thread.h"
#include "helpdesk-state.h"
#include "array.h"
#include "helpdesk-request.h"
#include "helpdesk-rewrite.h"
#include "helpdesk-calendar.h"
#include "helpdesk-sla.h"
#include "helpdesk-template.h"
#include "helpdesk-csat-token.h"
#include "helpdesk-vip.h"
#include "helpdesk-autoreply.h"
#include "helpdesk-game.h"
#include "istream.h"
#include "str.h"
#include "unichar.h"

#include <ctype.h>
#include <stdio.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The whole input as a message through the header rewrite: it never
   fails, and the ticket's header is in the output. */
static void fuzz_rewrite(const uint8_t *data, size_t size)
{
	struct istream *in, *out;
	const unsigned char *out_data;
	size_t out_size;
	string_t *str;
	uint64_t ticket = size > 0 ? data[0] : 0;

	str = t_str_new(size + 128);
	in = i_stream_create_from_data(data, size);
	out = helpdesk_rewrite_stream(in, ticket, size > 1 && data[1] & 1);
	while (i_stream_read_more(out, &out_data, &out_size) > 0) {
		str_append_data(str, out_data, out_size);
		i_stream_skip(out, out_size);
	}
	if (out->stream_errno != 0)
		abort();
	if (ticket != 0 &&
	    strstr(str_c(str), t_strdup_printf("X-Helpdesk-Ticket: %u",
					       (unsigned int)ticket)) == NULL &&
	    memchr(str_data(str), '\0', str_len(str)) == NULL)
		abort();
	i_stream_unref(&out);
	i_stream_unref(&in);
}

/* The input split at the first two NULs or newlines into business hours,
   time zone and holidays; a calendar that parses must keep
   elapsed(s, add(s, n)) == n and add() monotonic for a few starts and
   targets taken from the input. */
static void fuzz_calendar(const uint8_t *data, size_t size)
{
	struct helpdesk_calendar *cal;
	const char *parts[3] = { "", NULL, NULL }, *error;
	char *copy, *p;
	unsigned int i, n;
	pool_t pool;

	copy = t_malloc0(size + 1);
	memcpy(copy, data, size);
	for (i = 1, p = copy; i < N_ELEMENTS(parts); i++) {
		while (p < copy + size && *p != '\0' && *p != '\n')
			p++;
		if (p == copy + size)
			break;
		*p++ = '\0';
		parts[i] = p;
	}
	pool = pool_alloconly_create("fuzz calendar", 1024);
	if (helpdesk_calendar_parse(pool, parts[0], parts[1], parts[2],
				    &cal, &error) < 0) {
		if (error == NULL || *error == '\0')
			abort();
	} else {
		/* starts from 2000 on, targets up to about 3 weeks */
		time_t base = 946684800, start, prev = base, r;
		int64_t seconds;

		for (n = 0; n < 4; n++) {
			start = base +
				(time_t)(n < size ? data[n] : n) * 86400 * 37 +
				(time_t)(size > n + 4 ? data[n + 4] : 0) * 613;
			seconds = (int64_t)(size > n + 8 ? data[n + 8] : n) *
				7211 + n;
			r = helpdesk_calendar_add(cal, start, seconds);
			if (r < start)
				abort();
			if (helpdesk_calendar_elapsed(cal, start, r) != seconds)
				abort();
			if (helpdesk_calendar_add(cal, start, seconds + 1) < r)
				abort();
			(void)helpdesk_calendar_elapsed(cal, prev, start);
			prev = start;
		}
	}
	pool_unref(&pool);
}

/* The SLA settings' parsers (targets, VIP factor, warning rule) on the
   input as one string: a refusal has its reason and changes nothing, an
   accepted value gives terms whose warning point is within reach. */
static void fuzz_sla(const uint8_t *data, size_t size)
{
	struct helpdesk_sla_policy policy, before;
	struct helpdesk_sla_terms terms;
	const char *value = t_strndup(data, I_MIN(size, 4096)), *error;
	unsigned int clock;

	helpdesk_sla_policy_defaults(&policy);
	before = policy;
	error = NULL;
	if (helpdesk_sla_targets_parse(value,
			policy.target[HELPDESK_SLA_RESOLUTION], &error) < 0) {
		i_assert(error != NULL && *error != '\0');
		i_assert(memcmp(&policy, &before, sizeof(policy)) == 0);
	}
	if (helpdesk_sla_vip_factor_parse(value, &policy.vip_permille,
					  &error) == 0)
		i_assert(policy.vip_permille > 0 && policy.vip_permille <= 1000);
	else
		policy.vip_permille = before.vip_permille;
	if (helpdesk_sla_warn_parse(value, &policy.warn_before_secs,
				    &policy.warn_percent, &error) == 0)
		i_assert(policy.warn_percent < 100);
	helpdesk_sla_terms_init(&policy, "normal", TRUE, &terms);
	for (clock = 0; clock < HELPDESK_SLA_CLOCK_COUNT; clock++)
		i_assert(terms.target[clock] >= 1 && terms.warn[clock] >= 0);
}

/* The input (up to a NUL) as a template with the acknowledgement's
   variables: a refusal says why; an accepted template has a non-empty
   Subject (if any) and text, and expanding its parts gives valid UTF-8
   that with empty values is never longer than the part. */
static void fuzz_template(const uint8_t *data, size_t size)
{
	static const char *const variables[] = {
		"ticket", "subject", "first_response", "support", NULL
	};
	static const char *const values[] = {
		"42", "${ticket} $$ caf\xc3\xa9", NULL, "support@example.com",
		NULL
	};
	static const char *const no_values[] = {
		NULL, NULL, NULL, NULL, NULL
	};
	struct helpdesk_template tpl;
	const char *text = t_strndup(data, size), *error = NULL;
	const char *part, *expanded;
	unsigned int i;
	pool_t pool;

	/* the expander takes anything, parsed or not */
	(void)helpdesk_template_expand(text, variables, values);

	pool = pool_alloconly_create("fuzz template", 1024);
	if (helpdesk_template_parse(pool, text, variables, &tpl,
				    &error) < 0) {
		if (error == NULL || *error == '\0' || tpl.body != NULL ||
		    tpl.subject != NULL)
			abort();
	} else {
		if (tpl.body == NULL ||
		    *t_str_trim(tpl.body, " \t\r\n") == '\0' ||
		    (tpl.subject != NULL && *tpl.subject == '\0') ||
		    !uni_utf8_str_is_valid(text))
			abort();
		for (i = 0; i < 2; i++) {
			part = i == 0 ? tpl.body : tpl.subject;
			if (part == NULL)
				continue;
			expanded = helpdesk_template_expand(part, variables,
							    values);
			if (!uni_utf8_str_is_valid(expanded))
				abort();
			expanded = helpdesk_template_expand(part, variables,
							    no_values);
			if (strlen(expanded) > strlen(part) ||
			    !uni_utf8_str_is_valid(expanded))
				abort();
		}
	}
	pool_unref(&pool);
}

#define FUZZ_CSAT_SECRET "fuzz-secret-0123456789abcdef"

/* One detail: 0 only without the "rate-" prefix, a refusal says why, an
   accepted one has values in range; the detail made for its values (or
   for values from the input's bytes) parses back to them, and only with
   the secret that made it. */
static void fuzz_csat_detail(const char *detail, const uint8_t *data,
			     size_t size)
{
	struct helpdesk_csat_rating rating, again;
	const char *made, *error = NULL;
	unsigned int i;
	int ret;

	ret = helpdesk_csat_detail_parse(FUZZ_CSAT_SECRET, detail, &rating,
					 &error);
	if (ret < 0 && (error == NULL || *error == '\0'))
		abort();
	if ((ret == 0) != (strncasecmp(detail, HELPDESK_CSAT_DETAIL_PREFIX,
				       strlen(HELPDESK_CSAT_DETAIL_PREFIX)) != 0))
		abort();
	if (ret == 1 && (rating.ticket == 0 || rating.resolution == 0 ||
			 rating.score < HELPDESK_CSAT_MIN_SCORE ||
			 rating.score > HELPDESK_CSAT_MAX_SCORE))
		abort();
	if (ret != 1) {
		i_zero(&rating);
		for (i = 0; i < 8 && i < size; i++)
			rating.ticket = (rating.ticket << 8) | data[i];
		for (; i < 16 && i < size; i++)
			rating.resolution = (rating.resolution << 8) | data[i];
		rating.ticket |= 1;
		rating.resolution |= 1;
		rating.score = HELPDESK_CSAT_MIN_SCORE +
			(size > 16 ? data[16] : size) %
			(HELPDESK_CSAT_MAX_SCORE - HELPDESK_CSAT_MIN_SCORE + 1);
	}
	made = helpdesk_csat_detail(FUZZ_CSAT_SECRET, &rating);
	if (helpdesk_csat_detail_parse(FUZZ_CSAT_SECRET, made, &again,
				       &error) != 1 ||
	    again.ticket != rating.ticket ||
	    again.resolution != rating.resolution ||
	    again.score != rating.score)
		abort();
	if (helpdesk_csat_detail_parse(FUZZ_CSAT_SECRET "x", made, &again,
				       &error) != -1)
		abort();
}

/* The input (up to a NUL), its first line, and both behind "rate-" (to
   reach the checks past the prefix) as rating details. */
static void fuzz_csat(const uint8_t *data, size_t size)
{
	const char *text = t_strndup(data, size);
	const char *line = t_strndup(text, strcspn(text, "\r\n"));

	fuzz_csat_detail(text, data, size);
	fuzz_csat_detail(line, data, size);
	fuzz_csat_detail(t_strconcat(HELPDESK_CSAT_DETAIL_PREFIX, text, NULL),
			 data, size);
	fuzz_csat_detail(t_strconcat(HELPDESK_CSAT_DETAIL_PREFIX, line, NULL),
			 data, size);
}

/* One VIP entry: a refusal says why; an accepted entry comes back in
   lower case, equal to the input but for case, and is accepted again
   as it is. */
static void fuzz_vip_entry(const char *entry)
{
	const char *result = NULL, *again = NULL, *error = NULL;

	if (!helpdesk_vip_entry_parse(entry, &result, &error)) {
		if (error == NULL || *error == '\0')
			abort();
		return;
	}
	if (result == NULL || strcasecmp(result, entry) != 0 ||
	    strcmp(result, t_str_lcase(result)) != 0)
		abort();
	if (!helpdesk_vip_entry_parse(result, &again, &error) ||
	    strcmp(again, result) != 0)
		abort();
}

static void fuzz_vip(const uint8_t *data, size_t size)
{
	const char *text = t_strndup(data, size);

	fuzz_vip_entry(text);
	fuzz_vip_entry(t_strndup(text, strcspn(text, "\r\n")));
}

/* The header names helpdesk_autoreply_write() writes. */
static bool fuzz_autoreply_header_known(const char *line)
{
	static const char *const names[] = {
		"From: ", "To: ", "Subject: ", "Date: ", "Message-ID: ",
		"In-Reply-To: ", "References: ", "Auto-Submitted: ",
		"X-Auto-Response-Suppress: ", "MIME-Version: ",
		"Content-Type: ", "Content-Transfer-Encoding: ", NULL
	};
	unsigned int i;

	if (*line == ' ' || *line == '\t')
		return TRUE;
	for (i = 0; names[i] != NULL; i++) {
		if (strncmp(line, names[i], strlen(names[i])) == 0)
			return TRUE;
	}
	return FALSE;
}

/* The input split at NULs into the customer's Subject, text, References
   and Message-ID (without NULs each is the whole input): the message has
   CRLF line ends only, a header block of the composer's headers (one
   Subject) and folding lines, however hostile the input, and its text's
   lines are at most 76 characters (quoted-printable). */
static void fuzz_autoreply(const uint8_t *data, size_t size)
{
	struct helpdesk_autoreply reply;
	const char *fields[4], *text, *msg, *p, *line_end, *hdr_end;
	string_t *str;
	unsigned int i, subjects = 0;
	size_t pos = 0, len;

	text = t_strndup(data, size);
	for (i = 0; i < N_ELEMENTS(fields); i++) {
		if (memchr(data, '\0', size) == NULL) {
			fields[i] = text;
			continue;
		}
		fields[i] = pos < size ? t_strndup(data + pos, size - pos) : "";
		pos += strlen(fields[i]) + 1;
	}
	i_zero(&reply);
	reply.from = "support@example.com";
	reply.to = "alice@example.org";
	reply.subject = fields[0];
	reply.body = fields[1];
	reply.references = fields[2];
	reply.in_reply_to_id = fields[3];
	reply.message_id = "<hd.1.2@example.com>";
	reply.date = 1767225600 + (time_t)(size > 0 ? data[0] : 0) * 86400;

	str = t_str_new(size * 4 + 1024);
	helpdesk_autoreply_write(str, &reply);
	msg = str_c(str);
	len = str_len(str);
	/* CRLF only: no bare LF and no bare CR */
	for (p = msg; p < msg + len; p++) {
		if (*p == '\n' && (p == msg || p[-1] != '\r'))
			abort();
		if (*p == '\r' && p[1] != '\n')
			abort();
	}
	hdr_end = strstr(msg, "\r\n\r\n");
	if (hdr_end == NULL)
		abort();
	/* the header lines, up to the first empty line */
	for (p = msg; p <= hdr_end; p = line_end + 2) {
		line_end = strstr(p, "\r\n");
		if (!fuzz_autoreply_header_known(p))
			abort();
		if (strncmp(p, "Subject: ", 9) == 0)
			subjects++;
	}
	if (subjects != 1 ||
	    strstr(msg, "\r\nAuto-Submitted: auto-replied\r\n") == NULL)
		abort();
	/* the text's lines */
	for (p = hdr_end + 4; *p != '\0'; p = line_end + 2) {
		line_end = strstr(p, "\r\n");
		if (line_end == NULL || line_end - p > 76)
			abort();
	}
}

static bool fuzz_game_rules_equal(const struct helpdesk_game_rules *a,
				  const struct helpdesk_game_rules *b)
{
	unsigned int i;

	for (i = 0; i < HELPDESK_GAME_RULE_COUNT; i++) {
		if (a->points[i] != b->points[i])
			return FALSE;
	}
	return a->daily_cap == b->daily_cap &&
		a->reopen_window_secs == b->reopen_window_secs &&
		a->fast_within_secs == b->fast_within_secs;
}

/* One rule table over the defaults: a refusal says why and leaves the
   result alone; an accepted table has its values in range, and its
   format parses back (over any base) to the same rules and text. */
static void fuzz_game_rules_text(const char *text)
{
	struct helpdesk_game_rules base, rules, sentinel, again, other;
	const char *error = NULL, *formatted;
	unsigned int i;

	helpdesk_game_rules_default(&base);
	memset(&sentinel, 0x5a, sizeof(sentinel));
	rules = sentinel;
	if (helpdesk_game_rules_parse(text, &base, &rules, &error) < 0) {
		if (error == NULL || *error == '\0' ||
		    !fuzz_game_rules_equal(&rules, &sentinel))
			abort();
		return;
	}
	for (i = 0; i < HELPDESK_GAME_RULE_COUNT; i++) {
		if (rules.points[i] < -1000 || rules.points[i] > 1000)
			abort();
	}
	if (rules.daily_cap > 100000 ||
	    rules.reopen_window_secs > 365U * 86400 ||
	    rules.fast_within_secs < 1 ||
	    rules.fast_within_secs > 30U * 86400)
		abort();
	formatted = helpdesk_game_rules_format(&rules);
	other = base;
	other.points[0] = -other.points[0];
	other.daily_cap++;
	if (helpdesk_game_rules_parse(formatted, &other, &again, &error) < 0 ||
	    !fuzz_game_rules_equal(&rules, &again) ||
	    strcmp(helpdesk_game_rules_format(&again), formatted) != 0)
		abort();
}

/* One level curve: a refusal says why and leaves the result alone; an
   accepted curve has 2-50 levels from 0 points, strictly rising, with
   unique names, level_for() agrees with the thresholds, and its format
   parses back to the same curve and text. */
static void fuzz_game_levels_text(const char *text)
{
	struct helpdesk_game_levels levels, sentinel, again;
	const char *error = NULL, *formatted;
	unsigned int i, j;
	pool_t pool;

	pool = pool_alloconly_create("fuzz game levels", 1024);
	i_zero(&sentinel);
	sentinel.count = 12345;
	levels = sentinel;
	if (helpdesk_game_levels_parse(pool, text, &levels, &error) < 0) {
		if (error == NULL || *error == '\0' ||
		    levels.count != sentinel.count ||
		    memcmp(levels.names, sentinel.names,
			   sizeof(levels.names)) != 0 ||
		    memcmp(levels.thresholds, sentinel.thresholds,
			   sizeof(levels.thresholds)) != 0)
			abort();
		pool_unref(&pool);
		return;
	}
	if (levels.count < HELPDESK_GAME_MIN_LEVELS ||
	    levels.count > HELPDESK_GAME_MAX_LEVELS ||
	    levels.thresholds[0] != 0)
		abort();
	for (i = 0; i < levels.count; i++) {
		const char *p = levels.names[i];
		size_t len = strlen(p);

		/* ASCII: letters, digits, spaces inside, '-' and '\'' */
		for (; *p != '\0'; p++) {
			if ((unsigned char)*p < 0x80 && !i_isalnum(*p) &&
			    *p != ' ' && *p != '-' && *p != '\'')
				abort();
		}
		if (len == 0 || len > 32 ||
		    !uni_utf8_str_is_valid(levels.names[i]) ||
		    levels.names[i][0] == ' ' ||
		    levels.names[i][len - 1] == ' ' ||
		    levels.thresholds[i] > 100000000 ||
		    (i > 0 &&
		     levels.thresholds[i] <= levels.thresholds[i - 1]))
			abort();
		for (j = 0; j < i; j++) {
			if (strcasecmp(levels.names[i], levels.names[j]) == 0)
				abort();
		}
		if (helpdesk_game_level_for(&levels, levels.thresholds[i]) !=
		    i + 1 ||
		    (i > 0 && helpdesk_game_level_for(&levels,
				levels.thresholds[i] - 1) != i) ||
		    helpdesk_game_points_to_next(&levels, i + 1,
				levels.thresholds[i]) !=
		    (i + 1 < levels.count ? levels.thresholds[i + 1] -
		     levels.thresholds[i] : 0) ||
		    strcmp(helpdesk_game_level_name(&levels, i + 1),
			   levels.names[i]) != 0)
			abort();
	}
	if (helpdesk_game_level_for(&levels, -1) != 1 ||
	    helpdesk_game_level_for(&levels, INT64_MAX) != levels.count ||
	    strcmp(helpdesk_game_level_name(&levels, levels.count + 1),
		   levels.names[levels.count - 1]) != 0)
		abort();
	formatted = helpdesk_game_levels_format(&levels);
	if (helpdesk_game_levels_parse(pool, formatted, &again, &error) < 0 ||
	    again.count != levels.count ||
	    strcmp(helpdesk_game_levels_format(&again), formatted) != 0)
		abort();
	for (i = 0; i < levels.count; i++) {
		if (strcmp(again.names[i], levels.names[i]) != 0 ||
		    again.thresholds[i] != levels.thresholds[i])
			abort();
	}
	pool_unref(&pool);
}

/* The input (up to a NUL) and its first line as a rule table and as a
   level curve. */
static void fuzz_game(const uint8_t *data, size_t size)
{
	const char *text = t_strndup(data, size);
	const char *line = t_strndup(text, strcspn(text, "\r\n"));

	fuzz_game_rules_text(text);
	fuzz_game_rules_text(line);
	fuzz_game_levels_text(text);
	fuzz_game_levels_text(line);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct helpdesk_auto_headers hdr;
	struct helpdesk_thread_input in;
	struct helpdesk_thread_decision decision;
	const char *fields[11];
	char *copy, *p;
	unsigned int i;
	uint64_t ticket;

	T_BEGIN {
		fuzz_rewrite(data, size);
	} T_END;
	T_BEGIN {
		fuzz_calendar(data, size);
	} T_END;
	T_BEGIN {
		fuzz_sla(data, size);
	} T_END;
	T_BEGIN {
		fuzz_template(data, size);
	} T_END;
	T_BEGIN {
		fuzz_csat(data, size);
	} T_END;
	T_BEGIN {
		fuzz_vip(data, size);
	} T_END;
	T_BEGIN {
		fuzz_autoreply(data, size);
	} T_END;
	T_BEGIN {
		fuzz_game(data, size);
	} T_END;

	/* split the input into NUL-terminated header values at '\n' */
	copy = malloc(size + 1);
	if (copy == NULL)
		return 0;
	memcpy(copy, data, size);
	copy[size] = '\0';
	for (i = 0, p = copy; i < N_ELEMENTS(fields); i++) {
		fields[i] = p;
		p = strchr(p, '\n');
		if (p == NULL) {
			for (i++; i < N_ELEMENTS(fields); i++)
				fields[i] = NULL;
			break;
		}
		*p++ = '\0';
	}

	if (helpdesk_tag_parse(fields[0], &ticket)) {
		if (ticket == 0 || ticket > HELPDESK_TICKET_MAX ||
		    !helpdesk_tag_has(fields[0], ticket))
			abort();
	}
	memset(&hdr, 0, sizeof(hdr));
	hdr.subject = fields[0];
	hdr.auto_submitted = fields[1];
	hdr.precedence = fields[2];
	hdr.list_id = fields[3];
	hdr.return_path = fields[4];
	hdr.content_type = fields[5];
	hdr.x_autoreply = fields[6];
	hdr.x_failed_recipients = fields[7];
	hdr.from_localpart = fields[8];
	hdr.sender_localpart = fields[9];
	hdr.return_path_localpart = fields[10];
	(void)helpdesk_auto_reason_name(helpdesk_auto_detect(&hdr));

	memset(&in, 0, sizeof(in));
	in.is_auto = size > 0 && (data[0] & 1) != 0;
	in.known_message = size > 1 && (data[1] & 1) != 0;
	in.ref_ticket = size > 2 ? data[2] : 0;
	in.tag_ticket = size > 3 ? data[3] : 0;
	in.tag_sender_is_participant = size > 4 && (data[4] & 1) != 0;
	in.from_agent = size > 5 && (data[5] & 1) != 0;
	helpdesk_thread_decide(&in, &decision);
	if (decision.action == HELPDESK_THREAD_NEW && in.is_auto)
		abort();
	if (decision.reopen && in.from_agent)
		abort();

	/* every line as a keyword: an owner, team or priority keyword the
	   classifier accepts makes a state keyword that classifies the same */
	for (i = 0; i < N_ELEMENTS(fields) && fields[i] != NULL; i++) {
		struct helpdesk_ticket_row row;
		enum helpdesk_kw_class kw_class;
		const char *arg, *const *kw;

		kw_class = helpdesk_keyword_classify("hd-", fields[i], &arg);
		if (arg == NULL)
			abort();
		memset(&row, 0, sizeof(row));
		if (kw_class == HELPDESK_KW_CLASS_OWNER)
			row.owner = arg;
		else if (kw_class == HELPDESK_KW_CLASS_TEAM)
			row.team = arg;
		else if (kw_class == HELPDESK_KW_CLASS_PRIORITY)
			row.priority = arg;
		else
			continue;
		T_BEGIN {
			for (kw = helpdesk_ticket_state_keywords("hd-", &row);
			     *kw != NULL; kw++) {
				if (!helpdesk_keyword_class_is_state(
					helpdesk_keyword_classify("hd-", *kw,
								  &arg)))
					abort();
			}
		} T_END;
	}
	/* the lines as an agent's keyword change on a ticket in a state the
	   first bytes choose: a refusal always says why, a message that is
	   no ticket's never gets requests, arguments come from the change */
	if (fields[0] != NULL) {
	T_BEGIN {
		struct helpdesk_ticket_row row;
		struct helpdesk_actor actor;
		struct helpdesk_change change;
		ARRAY_TYPE(helpdesk_request) requests;
		const struct helpdesk_request *req;
		const char *reason;
		enum helpdesk_refusal refusal;
		bool ticket = size > 6 && (data[6] & 1) != 0;

		memset(&row, 0, sizeof(row));
		row.status = size > 7 ? data[7] % 4 : 0;
		row.tier = size > 8 ? data[8] % 6 : 1;
		row.vip = size > 9 && (data[9] & 1) != 0;
		row.owner = fields[1] != NULL ? fields[1] : "";
		row.priority = "normal";
		row.team = "";
		memset(&actor, 0, sizeof(actor));
		actor.user = "bob";
		actor.lead = size > 10 && (data[10] & 1) != 0;
		memset(&change, 0, sizeof(change));
		change.mode = size > 11 && (data[11] & 1) != 0 ?
			HELPDESK_CHANGE_REWRITE : HELPDESK_CHANGE_EXPLICIT;
		change.added = t_strsplit_spaces(fields[0], " ");
		change.removed = t_strsplit_spaces(fields[1] == NULL ? "" :
						   fields[1], " ");
		change.current = t_strsplit_spaces(fields[2] == NULL ? "" :
						   fields[2], " ");
		t_array_init(&requests, 4);
		refusal = helpdesk_request_judge("hd-", &actor,
			ticket ? &row : NULL, &change, &requests, &reason);
		if (refusal != HELPDESK_REFUSAL_NONE && reason == NULL)
			abort();
		if (refusal == HELPDESK_REFUSAL_NONE && !ticket &&
		    array_count(&requests) > 0)
			abort();
		array_foreach(&requests, req) {
			if (req->arg == NULL ||
			    (unsigned int)req->kind > HELPDESK_ACTION_REPLY)
				abort();
		}
		(void)helpdesk_request_is_rewrite_start("hd-", change.removed,
							change.current);
	} T_END;
	}
	free(copy);
	return 0;
}

#ifdef HELPDESK_LIBFUZZER
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* libFuzzer has its own main: a data stack that grows past its first
   block emits an event, which needs lib_init() */
int LLVMFuzzerInitialize(int *argc ATTR_UNUSED, char ***argv ATTR_UNUSED)
{
	lib_init();
	return 0;
}
#else
/* Replay mode: each argument is a file fed to the target whole and line
   by line. */
int main(int argc, char *argv[])
{
	unsigned char buf[65536];
	size_t n;
	int i, count = 0;

	lib_init();
	for (i = 1; i < argc; i++) {
		FILE *f = fopen(argv[i], "rb");

		if (f == NULL) {
			perror(argv[i]);
			return 1;
		}
		n = fread(buf, 1, sizeof(buf), f);
		fclose(f);
		(void)LLVMFuzzerTestOneInput(buf, n);
		count++;
	}
	printf("replayed %d inputs\n", count);
	lib_deinit();
	return 0;
}
#endif
