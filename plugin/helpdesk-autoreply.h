#ifndef HELPDESK_AUTOREPLY_H
#define HELPDESK_AUTOREPLY_H

/* The mail the help desk writes to a customer by itself (the
   acknowledgement, the rating request), as RFC 3834 wants an automatic
   response: Auto-Submitted: auto-replied, threaded to the customer's
   message, sent with the null return path. Pure: unit-tested. */

/* Most Message-IDs carried over into References (the oldest and the
   newest are kept): a hostile References header stays out. */
#define HELPDESK_AUTOREPLY_MAX_REFERENCES 10

struct helpdesk_autoreply {
	const char *from;		/* the support address */
	const char *to;			/* the customer's address */
	const char *subject;		/* UTF-8 */
	/* the customer's message: its Message-ID and References headers as
	   they came (may be NULL) */
	const char *in_reply_to_id, *references;
	/* this message's Message-ID, with the angle brackets */
	const char *message_id;
	const char *body;		/* UTF-8 text, LF or CRLF */
	time_t date;
};

/* Is address fit for a header (user@domain, no spaces, quotes, angle
   brackets or controls)? */
bool helpdesk_autoreply_address_is_valid(const char *address);

/* Write the whole message with CRLF line ends to dest. The text goes out
   quoted-printable (any line length, any UTF-8). */
void helpdesk_autoreply_write(string_t *dest,
			      const struct helpdesk_autoreply *reply);

#endif
