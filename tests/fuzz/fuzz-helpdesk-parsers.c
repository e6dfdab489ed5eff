/* Copyright (c) 2026 dovecot-helpdesk authors, see the included COPYING file */

/* Fuzz target for every parser of untrusted input in the plugin: the
   subject tag parser, the auto-mail detector (header values), the
   Message-ID based threading decision, the keyword classifier (IMAP
   clients send any keyword) and the SLA calendar's settings parser.
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
#include "istream.h"
#include "str.h"

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

#ifndef HELPDESK_LIBFUZZER
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
