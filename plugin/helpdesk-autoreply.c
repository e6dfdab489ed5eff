/* Copyright (c) 2026 dovecot-helpdesk authors, see the included COPYING file */

/* Automatic responses to customers (pure: unit-tested). */

#include "lib.h"
#include "str.h"
#include "array.h"
#include "message-date.h"
#include "message-header-encode.h"
#include "message-id.h"
#include "qp-encoder.h"
#include "helpdesk-autoreply.h"

/* RFC 2045 allows 76; Dovecot 2.3's encoder may go 2 over its limit
   when a soft break follows an encoded space */
#define AUTOREPLY_QP_LINE_LEN 74
/* the subject is cut to this many bytes (at a character) before it is
   encoded: long ASCII text is not folded by the encoder, and RFC 5322
   allows 998 per line */
#define AUTOREPLY_MAX_SUBJECT_LEN 200
/* a longer Message-ID is left out of In-Reply-To and References */
#define AUTOREPLY_MAX_ID_LEN 250

bool helpdesk_autoreply_address_is_valid(const char *address)
{
	const char *p, *at = NULL;

	for (p = address; *p != '\0'; p++) {
		if ((unsigned char)*p <= ' ' || (unsigned char)*p >= 0x7f ||
		    strchr("\"<>()[],;:\\", *p) != NULL)
			return FALSE;
		if (*p == '@') {
			if (at != NULL)
				return FALSE;
			at = p;
		}
	}
	return at != NULL && at != address && at[1] != '\0' &&
		p - address <= 254;
}

/* A header's text without the controls a hostile one may carry. */
static const char *autoreply_clean(const char *value)
{
	string_t *str = t_str_new(strlen(value));
	const char *p;

	for (p = value; *p != '\0'; p++)
		str_append_c(str, (unsigned char)*p < ' ' ? ' ' : *p);
	return str_c(str);
}

/* The References of a reply: the message's own References and its
   Message-ID, each a valid id, at most HELPDESK_AUTOREPLY_MAX_REFERENCES
   of them (the first and the newest ones). */
static void autoreply_references(string_t *dest, const char *references,
				 const char *msgid)
{
	ARRAY_TYPE(const_string) ids;
	const char *p, *id;
	unsigned int i, count, skip_from, skip_to;

	t_array_init(&ids, 8);
	p = references;
	while (p != NULL && (id = message_id_get_next(&p)) != NULL) {
		if (strlen(id) <= AUTOREPLY_MAX_ID_LEN)
			array_push_back(&ids, &id);
	}
	if (msgid != NULL) {
		p = msgid;
		if ((id = message_id_get_next(&p)) != NULL &&
		    strlen(id) <= AUTOREPLY_MAX_ID_LEN)
			array_push_back(&ids, &id);
	}
	count = array_count(&ids);
	if (count == 0)
		return;
	skip_from = skip_to = 1;
	if (count > HELPDESK_AUTOREPLY_MAX_REFERENCES) {
		skip_to = count - (HELPDESK_AUTOREPLY_MAX_REFERENCES - 1);
	}
	str_append(dest, "References:");
	for (i = 0; i < count; i++) {
		if (i >= skip_from && i < skip_to)
			continue;
		id = array_idx_elem(&ids, i);
		str_printfa(dest, "%s<%s>", i == 0 ? " " : "\r\n\t",
			    autoreply_clean(id));
	}
	str_append(dest, "\r\n");
}

/* The Subject's value: cut, encoded, folded with CRLF (the encoder
   folds with a bare LF). */
static void autoreply_subject(string_t *dest, const char *subject)
{
	string_t *encoded = t_str_new(256);
	size_t len = strlen(subject);
	const char *p;

	if (len > AUTOREPLY_MAX_SUBJECT_LEN) {
		len = AUTOREPLY_MAX_SUBJECT_LEN;
		/* don't cut a UTF-8 sequence */
		while (len > 0 && (subject[len] & 0xc0) == 0x80)
			len--;
		subject = t_strndup(subject, len);
	}
	message_header_encode(autoreply_clean(subject), encoded);
	for (p = str_c(encoded); *p != '\0'; p++) {
		if (*p == '\n' && (p == str_c(encoded) || p[-1] != '\r'))
			str_append_c(dest, '\r');
		str_append_c(dest, *p);
	}
}

void helpdesk_autoreply_write(string_t *dest,
			      const struct helpdesk_autoreply *reply)
{
	struct qp_encoder *qp;
	const char *p, *id = NULL;
	string_t *body;

	str_printfa(dest, "From: <%s>\r\n", reply->from);
	str_printfa(dest, "To: <%s>\r\n", reply->to);
	str_append(dest, "Subject: ");
	autoreply_subject(dest, reply->subject);
	str_append(dest, "\r\n");
	str_printfa(dest, "Date: %s\r\n", message_date_create(reply->date));
	str_printfa(dest, "Message-ID: %s\r\n", reply->message_id);
	if (reply->in_reply_to_id != NULL) {
		p = reply->in_reply_to_id;
		id = message_id_get_next(&p);
	}
	if (id != NULL && strlen(id) <= AUTOREPLY_MAX_ID_LEN)
		str_printfa(dest, "In-Reply-To: <%s>\r\n", autoreply_clean(id));
	autoreply_references(dest, reply->references, reply->in_reply_to_id);
	str_append(dest, "Auto-Submitted: auto-replied\r\n");
	/* Exchange and Outlook answer no auto-reply to this */
	str_append(dest, "X-Auto-Response-Suppress: All\r\n");
	str_append(dest, "MIME-Version: 1.0\r\n"
		   "Content-Type: text/plain; charset=utf-8\r\n"
		   "Content-Transfer-Encoding: quoted-printable\r\n\r\n");
	body = t_str_new(strlen(reply->body) + 64);
	qp = qp_encoder_init(body, AUTOREPLY_QP_LINE_LEN, 0);
	qp_encoder_more(qp, reply->body, strlen(reply->body));
	qp_encoder_finish(qp);
	qp_encoder_deinit(&qp);
	str_append_str(dest, body);
	if (str_len(body) > 0 &&
	    str_data(body)[str_len(body) - 1] != '\n')
		str_append(dest, "\r\n");
}
