/* Copyright (c) 2026 dovecot-helpdesk authors, see the included COPYING file */

#include "lib.h"
#include "helpdesk-auto.h"

#include <ctype.h>

/* Subject prefixes of auto-responders that send no Auto-Submitted header.
   Matched case-insensitively at the start of the subject after optional
   whitespace and "[" so that a customer's "Re: auto reply broken" still
   opens a ticket. */
static const char *const auto_subject_prefixes[] = {
	"auto:",
	"auto reply",
	"auto-reply",
	"autoreply",
	"automatic reply",
	"autorespons",		/* AutoResponse, Autoresponse: */
	"auto response",
	"auto-response",
	"automatische antwort",
	"abwesenheitsnotiz",
	"r\xc3\xa9ponse automatique",
	"respuesta autom\xc3\xa1tica",
	"risposta automatica",
	"automatyczna odpowied\xc5\xba",
	"out of office",
	"out of the office",
	"away until",
	"vacation reply",
	"delivery status notification",
	"undeliverable:",
	"undelivered mail returned to sender",
	"mail delivery failed",
	"returned mail:",
	"delivery failure",
	"failure notice",
};

static const char *auto_skip_lwsp(const char *p)
{
	while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
		p++;
	return p;
}

/* Compare the first word of a header value case-insensitively. */
static bool auto_value_word_is(const char *value, const char *word)
{
	size_t len = strlen(word);
	const char *p = auto_skip_lwsp(value);

	if (strncasecmp(p, word, len) != 0)
		return FALSE;
	p += len;
	return *p == '\0' || *p == ';' || *p == ' ' || *p == '\t' ||
		*p == '\r' || *p == '\n' || *p == '(';
}

bool helpdesk_auto_is_null_path(const char *return_path)
{
	const char *p = auto_skip_lwsp(return_path);

	/* "<>" possibly followed by whitespace or a comment; a header that
	   is present but completely empty counts as null too. */
	if (*p == '\0')
		return TRUE;
	if (p[0] != '<')
		return FALSE;
	p = auto_skip_lwsp(p + 1);
	if (*p != '>')
		return FALSE;
	p = auto_skip_lwsp(p + 1);
	return *p == '\0' || *p == '(';
}

static bool auto_localpart_is_daemon(const char *localpart)
{
	if (localpart == NULL)
		return FALSE;
	return strcasecmp(localpart, "mailer-daemon") == 0 ||
		strcasecmp(localpart, "postmaster") == 0;
}

static bool auto_subject_is_auto(const char *subject)
{
	const char *p = subject;
	unsigned int i;

	/* skip leading whitespace and opening brackets: "[Automatyczna ...]" */
	while (*p == ' ' || *p == '\t' || *p == '[')
		p++;
	for (i = 0; i < N_ELEMENTS(auto_subject_prefixes); i++) {
		const char *prefix = auto_subject_prefixes[i];

		if (strncasecmp(p, prefix, strlen(prefix)) == 0)
			return TRUE;
	}
	return FALSE;
}

enum helpdesk_auto_reason
helpdesk_auto_detect(const struct helpdesk_auto_headers *hdr)
{
	if (hdr->auto_submitted != NULL &&
	    !auto_value_word_is(hdr->auto_submitted, "no") &&
	    *auto_skip_lwsp(hdr->auto_submitted) != '\0')
		return HELPDESK_AUTO_SUBMITTED;
	if (hdr->precedence != NULL &&
	    (auto_value_word_is(hdr->precedence, "bulk") ||
	     auto_value_word_is(hdr->precedence, "junk") ||
	     auto_value_word_is(hdr->precedence, "list") ||
	     auto_value_word_is(hdr->precedence, "auto_reply")))
		return HELPDESK_AUTO_PRECEDENCE;
	if (hdr->list_id != NULL || hdr->list_other != NULL)
		return HELPDESK_AUTO_LIST;
	if (hdr->return_path != NULL &&
	    helpdesk_auto_is_null_path(hdr->return_path))
		return HELPDESK_AUTO_NULL_SENDER;
	if (auto_localpart_is_daemon(hdr->return_path_localpart) ||
	    auto_localpart_is_daemon(hdr->from_localpart) ||
	    auto_localpart_is_daemon(hdr->sender_localpart))
		return HELPDESK_AUTO_DAEMON;
	if (hdr->content_type != NULL &&
	    (auto_value_word_is(hdr->content_type, "multipart/report") ||
	     /* bare reports without the multipart/report wrapper */
	     auto_value_word_is(hdr->content_type, "message/delivery-status") ||
	     auto_value_word_is(hdr->content_type,
			   "message/disposition-notification") ||
	     auto_value_word_is(hdr->content_type, "message/feedback-report")))
		return HELPDESK_AUTO_REPORT;
	if (hdr->x_autoreply != NULL || hdr->x_failed_recipients != NULL)
		return HELPDESK_AUTO_RESPONDER;
	if (hdr->subject != NULL && auto_subject_is_auto(hdr->subject))
		return HELPDESK_AUTO_SUBJECT;
	return HELPDESK_AUTO_NONE;
}

const char *helpdesk_auto_reason_name(enum helpdesk_auto_reason reason)
{
	switch (reason) {
	case HELPDESK_AUTO_NONE:
		return "none";
	case HELPDESK_AUTO_SUBMITTED:
		return "auto-submitted";
	case HELPDESK_AUTO_PRECEDENCE:
		return "precedence";
	case HELPDESK_AUTO_LIST:
		return "list-id";
	case HELPDESK_AUTO_NULL_SENDER:
		return "null-sender";
	case HELPDESK_AUTO_DAEMON:
		return "mailer-daemon";
	case HELPDESK_AUTO_REPORT:
		return "report";
	case HELPDESK_AUTO_RESPONDER:
		return "auto-responder";
	case HELPDESK_AUTO_SUBJECT:
		return "auto-subject";
	}
	i_unreached();
}
