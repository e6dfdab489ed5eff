/* Copyright (c) 2026 dovecot-helpdesk authors, see the included COPYING file */

/* The message stream of a delivered ticket message: the ticket's header
   and subject tag, no forged X-Helpdesk-Ticket header. Pure istream code
   (no storage): unit-tested and fuzzed. */

#include "lib.h"
#include "istream.h"
#include "istream-chain.h"
#include "istream-header-filter.h"
#include "message-header-parser.h"
#include "helpdesk-rewrite.h"

static const char *const helpdesk_rewrite_exclude_headers[] = {
	HELPDESK_TICKET_HEADER
};

struct helpdesk_rewrite_state {
	uint64_t ticket;
	bool tag_subject;
	bool seen_subject;
	bool in_subject;
	/* the header lines so far end in CRLF */
	bool crlf;
};

static void
helpdesk_rewrite_header_callback(struct header_filter_istream *input,
				 struct message_header_line *hdr,
				 bool *matched,
				 struct helpdesk_rewrite_state *rw)
{
	const char *line;

	if (hdr == NULL) {
		/* end of headers: the stream may be parsed again */
		rw->seen_subject = FALSE;
		rw->in_subject = FALSE;
		rw->crlf = FALSE;
		return;
	}
	if (hdr->eoh) {
		/* (a missing blank line says nothing: the headers do) */
		const char *eol = hdr->crlf_newline || rw->crlf ?
			"\r\n" : "\n";

		if (rw->ticket == 0)
			return;
		if (rw->tag_subject && !rw->seen_subject) {
			line = t_strdup_printf("Subject: [#%llu]%s",
				(unsigned long long)rw->ticket, eol);
			i_stream_header_filter_add(input, line, strlen(line));
		}
		line = t_strdup_printf(HELPDESK_TICKET_HEADER": %llu%s",
				       (unsigned long long)rw->ticket, eol);
		i_stream_header_filter_add(input, line, strlen(line));
		return;
	}
	rw->crlf = hdr->crlf_newline;
	if (strcasecmp(hdr->name, "Subject") != 0) {
		if (!hdr->continued)
			rw->in_subject = FALSE;
		return;
	}
	if (hdr->continued) {
		/* folded or overlong subject: keep the rest as it was */
		if (rw->in_subject)
			*matched = FALSE;
		return;
	}
	if (rw->seen_subject || !rw->tag_subject || rw->ticket == 0) {
		rw->seen_subject = TRUE;
		return;
	}
	rw->seen_subject = TRUE;
	rw->in_subject = TRUE;
	*matched = TRUE;
	line = t_strdup_printf("Subject: [#%llu] ",
			       (unsigned long long)rw->ticket);
	i_stream_header_filter_add(input, line, strlen(line));
	i_stream_header_filter_add(input, hdr->value, hdr->value_len);
	if (!hdr->no_newline) {
		if (hdr->crlf_newline)
			i_stream_header_filter_add(input, "\r\n", 2);
		else
			i_stream_header_filter_add(input, "\n", 1);
	}
}

static void helpdesk_rewrite_free(struct helpdesk_rewrite_state *rw)
{
	i_free(rw);
}

struct istream *
helpdesk_rewrite_stream(struct istream *input, uint64_t ticket,
			bool tag_subject)
{
	struct helpdesk_rewrite_state *rw;
	struct istream *filter, *chain;
	struct istream_chain *chain_ctx;

	rw = i_new(struct helpdesk_rewrite_state, 1);
	rw->ticket = ticket;
	rw->tag_subject = tag_subject;
	filter = i_stream_create_header_filter(input,
		HEADER_FILTER_EXCLUDE | HEADER_FILTER_CRLF_PRESERVE |
		HEADER_FILTER_ADD_MISSING_EOH, helpdesk_rewrite_exclude_headers,
		N_ELEMENTS(helpdesk_rewrite_exclude_headers),
		helpdesk_rewrite_header_callback, rw);
	i_stream_add_destroy_callback(filter, helpdesk_rewrite_free, rw);
	/* The chain reports no size: mdbox would otherwise ask the header
	   filter for its exact size, which makes APPEND read ahead of the
	   client's literal. */
	chain = i_stream_create_chain(&chain_ctx,
				      i_stream_get_max_buffer_size(input));
	i_stream_chain_append(chain_ctx, filter);
	i_stream_chain_append_eof(chain_ctx);
	i_stream_unref(&filter);
	return chain;
}
