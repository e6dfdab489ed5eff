#ifndef HELPDESK_MAIL_HEADER_H
#define HELPDESK_MAIL_HEADER_H

/* Header fields of a message as the notifier shows them (pure, no I/O):
   the block FETCH BODY.PEEK[HEADER.FIELDS (...)] returns, unfolded, with
   RFC 2047 encoded words decoded to UTF-8. */

#include <glib.h>

/* The first field called name (ASCII case ignored) in the header block
   (lines ending in CRLF or LF, continuation lines starting with space or
   tab, ends at the first empty line or at len): unfolded, encoded words
   (=?charset?B|Q?...?=, RFC 2047, also RFC 2231's charset*lang) decoded
   to UTF-8 through g_convert(), whitespace between adjacent encoded words
   dropped, leading and trailing whitespace trimmed, every control
   character (C0, DEL, C1 and the bidirectional overrides U+202A..U+202E,
   U+2066..U+2069) replaced by a space, invalid UTF-8 made valid.
   An undecodable encoded word is kept as it was written. NULL when the
   field is absent. */
gchar *helpdesk_mail_header_get(const gchar *block, gsize len,
				const gchar *name);

/* The display form of an address field's first mailbox: its display
   name if it has one ("Alice Example" from "\"Alice Example\"
   <alice@example.com>" or "=?UTF-8?Q?...?= <a@b>"), else the address;
   value is the decoded field as helpdesk_mail_header_get() returns it. */
gchar *helpdesk_mail_header_sender(const gchar *value);

/* At most max_chars characters of a UTF-8 string, "…" appended when it
   was cut (on a character boundary). */
gchar *helpdesk_mail_header_ellipsize(const gchar *utf8, guint max_chars);

#endif
