#ifndef HELPDESK_AUTO_H
#define HELPDESK_AUTO_H

/* Why a message was judged machine-generated. Such mail is delivered and
   threaded into its ticket, but never opens a ticket or gets an
   acknowledgement (RFC 3834 section 2). */
enum helpdesk_auto_reason {
	HELPDESK_AUTO_NONE = 0,
	HELPDESK_AUTO_SUBMITTED,	/* Auto-Submitted other than "no" */
	HELPDESK_AUTO_PRECEDENCE,	/* Precedence: bulk, junk or list */
	HELPDESK_AUTO_LIST,		/* List-Id */
	HELPDESK_AUTO_NULL_SENDER,	/* empty Return-Path (<>) */
	HELPDESK_AUTO_DAEMON,		/* mailer-daemon / postmaster sender */
	HELPDESK_AUTO_REPORT,		/* multipart/report or a bare DSN/MDN/ARF */
	HELPDESK_AUTO_RESPONDER,	/* X-Autoreply, X-Autorespond, X-Failed-Recipients */
	HELPDESK_AUTO_SUBJECT,		/* "Automatic reply:", "Out of office", ... */
};

/* The raw header values the decision reads. NULL means the header is
   absent. Values are as found in the message (not decoded), except
   subject, which is the decoded UTF-8 subject. */
struct helpdesk_auto_headers {
	const char *auto_submitted;
	const char *precedence;
	const char *list_id;
	const char *return_path;
	const char *content_type;
	const char *x_autoreply;	/* X-Autoreply or X-Autorespond */
	const char *x_failed_recipients;
	const char *subject;
	/* local parts of From:, Sender: and the envelope sender, lower-cased
	   or not; NULL when absent */
	const char *from_localpart;
	const char *sender_localpart;
	const char *return_path_localpart;
};

/* Decide whether the message is auto-generated. Pure function. */
enum helpdesk_auto_reason
helpdesk_auto_detect(const struct helpdesk_auto_headers *hdr);

/* Short name of a reason for logs and the store ("auto-submitted", ...). */
const char *helpdesk_auto_reason_name(enum helpdesk_auto_reason reason);

/* Returns TRUE if a Return-Path value is the null path "<>" (with optional
   whitespace and comments ignored). */
bool helpdesk_auto_is_null_path(const char *return_path);

#endif
