#ifndef HELPDESK_REWRITE_H
#define HELPDESK_REWRITE_H

#define HELPDESK_TICKET_HEADER "X-Helpdesk-Ticket"

/* Wrap a message stream so it carries "X-Helpdesk-Ticket: ticket" (ticket
   0: none), "[#ticket] " before its subject when tag_subject (a missing
   Subject becomes "Subject: [#ticket]"), and no X-Helpdesk-Ticket header
   of its own. Folded and encoded subjects keep their rest; CRLF or LF
   line ends are kept. The stream reports no size (mdbox would ask the
   header filter for it, which reads an APPEND's literal ahead). Returns a
   new reference. */
struct istream *
helpdesk_rewrite_stream(struct istream *input, uint64_t ticket,
			bool tag_subject);

#endif
