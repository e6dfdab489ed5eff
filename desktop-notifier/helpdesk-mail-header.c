/* helpdesk-mail-header.c: header fields as the notifier shows them: the
   field found in a fetched header block, unfolded, RFC 2047 encoded words
   decoded to UTF-8, control and bidirectional override characters
   replaced; the display name of a sender; ellipsizing. Pure: no I/O.

   The header block comes from the message, so from anyone who can send
   mail: every read is bounded by the block's length and nothing here
   recurses. */

#include <string.h>

#include "helpdesk-mail-header.h"

/* Longest charset name passed to g_convert(). */
#define MAIL_CHARSET_MAX 64

static gboolean
mail_is_wsp(gchar c)
{
	return c == ' ' || c == '\t';
}

static gint
mail_base64_value(gchar c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

static gboolean
mail_decode_b(const gchar *text, gsize len, GString *out)
{
	guint32 bits = 0;
	guint nbits = 0, pad = 0;
	gsize i;

	for (i = 0; i < len; i++) {
		gint value;

		if (text[i] == '=') {
			pad++;
			continue;
		}
		value = mail_base64_value(text[i]);
		if (value < 0 || pad > 0)
			return FALSE;
		bits = (bits << 6) | (guint32)value;
		nbits += 6;
		if (nbits >= 8) {
			nbits -= 8;
			g_string_append_c(out,
					  (gchar)((bits >> nbits) & 0xff));
			bits &= (1U << nbits) - 1;
		}
	}
	/* missing padding is common and harmless */
	return pad <= 2;
}

static gboolean
mail_decode_q(const gchar *text, gsize len, GString *out)
{
	gsize i;

	for (i = 0; i < len; i++) {
		if (text[i] == '_') {
			g_string_append_c(out, ' ');
		} else if (text[i] == '=') {
			gint hi, lo;

			if (len - i < 3)
				return FALSE;
			hi = g_ascii_xdigit_value(text[i + 1]);
			lo = g_ascii_xdigit_value(text[i + 2]);
			if (hi < 0 || lo < 0)
				return FALSE;
			g_string_append_c(out, (gchar)(hi * 16 + lo));
			i += 2;
		} else {
			g_string_append_c(out, text[i]);
		}
	}
	return TRUE;
}

/* RFC 2047 token characters that charset names use; no "/" so that no
   iconv suffix ("//TRANSLIT") can be smuggled in. */
static gboolean
mail_is_charset_char(gchar c)
{
	return g_ascii_isalnum(c) || (c != '\0' && strchr("!#$%&'+^_`{|}~-.:",
							   c) != NULL);
}

/* An encoded word at s ("=?charset[*lang]?B|Q?text?="): its length in
   *len_r and its text as UTF-8 (possibly invalid, from a UTF-8 word)
   appended to out. FALSE when it is not one or can't be decoded. */
static gboolean
mail_encoded_word(const gchar *s, gsize n, gsize *len_r, GString *out)
{
	gsize i = 2, charset_start = 2, charset_len, text_start;
	gchar encoding;
	gchar *charset;
	GString *bytes;
	gboolean ok;

	while (i < n && mail_is_charset_char(s[i]))
		i++;
	charset_len = i - charset_start;
	if (i < n && s[i] == '*') {
		/* RFC 2231 language */
		i++;
		while (i < n && (g_ascii_isalnum(s[i]) || s[i] == '-'))
			i++;
	}
	if (charset_len == 0 || charset_len > MAIL_CHARSET_MAX ||
	    n - i < 3 || s[i] != '?' || s[i + 2] != '?')
		return FALSE;
	encoding = g_ascii_toupper(s[i + 1]);
	if (encoding != 'B' && encoding != 'Q')
		return FALSE;
	i += 3;
	text_start = i;
	while (i < n && s[i] > ' ' && s[i] < 0x7f && s[i] != '?')
		i++;
	if (n - i < 2 || s[i] != '?' || s[i + 1] != '=')
		return FALSE;

	bytes = g_string_new(NULL);
	if (encoding == 'B')
		ok = mail_decode_b(s + text_start, i - text_start, bytes);
	else
		ok = mail_decode_q(s + text_start, i - text_start, bytes);
	charset = g_strndup(s + charset_start, charset_len);
	if (ok) {
		if (g_ascii_strcasecmp(charset, "UTF-8") == 0 ||
		    g_ascii_strcasecmp(charset, "UTF8") == 0 ||
		    g_ascii_strcasecmp(charset, "US-ASCII") == 0) {
			/* made valid later, byte by byte */
			g_string_append_len(out, bytes->str,
					    (gssize)bytes->len);
		} else {
			gchar *utf8;
			gsize written = 0;

			utf8 = g_convert(bytes->str, (gssize)bytes->len,
					 "UTF-8", charset, NULL, &written,
					 NULL);
			if (utf8 != NULL)
				g_string_append_len(out, utf8,
						    (gssize)written);
			else
				ok = FALSE;
			g_free(utf8);
		}
	}
	g_free(charset);
	g_string_free(bytes, TRUE);
	*len_r = i + 2;
	return ok;
}

static gboolean
mail_all_wsp(const gchar *s, gsize len)
{
	gsize i;

	for (i = 0; i < len; i++) {
		if (!mail_is_wsp(s[i]) && s[i] != '\r' && s[i] != '\n')
			return FALSE;
	}
	return TRUE;
}

/* Encoded words decoded; the text between two of them dropped when it
   is only whitespace (RFC 2047 6.2). */
static GString *
mail_decode_words(const gchar *s, gsize n)
{
	GString *out = g_string_sized_new(n);
	gsize pos = 0, text_start = 0;
	gboolean after_word = FALSE;

	while (pos + 1 < n) {
		gsize start, word_len;

		if (s[pos] != '=' || s[pos + 1] != '?') {
			pos++;
			continue;
		}
		/* the text before the word goes first */
		if (!after_word || !mail_all_wsp(s + text_start,
						 pos - text_start))
			g_string_append_len(out, s + text_start,
					    (gssize)(pos - text_start));
		start = out->len;
		if (!mail_encoded_word(s + pos, n - pos, &word_len, out)) {
			/* kept as written: it is text */
			g_string_truncate(out, start);
			g_string_append_len(out, s + pos, 2);
			pos += 2;
			text_start = pos;
			after_word = FALSE;
			continue;
		}
		pos += word_len;
		text_start = pos;
		after_word = TRUE;
	}
	g_string_append_len(out, s + text_start, (gssize)(n - text_start));
	return out;
}

static gboolean
mail_is_unsafe_char(gunichar c)
{
	return c < 0x20 || (c >= 0x7f && c <= 0x9f) ||
		(c >= 0x202a && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069);
}

/* Valid UTF-8 with control characters and bidirectional overrides
   replaced by spaces; invalid bytes become U+FFFD. */
static gchar *
mail_sanitize(const gchar *s, gsize n)
{
	GString *out = g_string_sized_new(n + 1);
	gsize pos = 0;

	while (pos < n) {
		guchar b = (guchar)s[pos];
		gunichar c;

		if (b < 0x80) {
			g_string_append_c(out, mail_is_unsafe_char(b) ?
					  ' ' : (gchar)b);
			pos++;
			continue;
		}
		c = g_utf8_get_char_validated(s + pos, (gssize)(n - pos));
		if (c == (gunichar)-1 || c == (gunichar)-2 ||
		    !g_unichar_validate(c)) {
			g_string_append_unichar(out, 0xfffd);
			pos++;
			continue;
		}
		g_string_append_unichar(out, mail_is_unsafe_char(c) ?
					' ' : c);
		pos += (gsize)(g_utf8_next_char(s + pos) - (s + pos));
	}
	return g_string_free(out, FALSE);
}

gchar *
helpdesk_mail_header_get(const gchar *block, gsize len, const gchar *name)
{
	GString *raw = NULL, *decoded;
	gsize pos = 0, name_len;
	gchar *value;

	g_return_val_if_fail(block != NULL || len == 0, NULL);
	g_return_val_if_fail(name != NULL, NULL);

	name_len = strlen(name);
	if (name_len == 0)
		return NULL;
	while (pos < len) {
		const gchar *nl = memchr(block + pos, '\n', len - pos);
		gsize end = nl != NULL ? (gsize)(nl - block) : len;
		gsize next = nl != NULL ? end + 1 : len;
		gsize i;

		if (end > pos && block[end - 1] == '\r')
			end--;
		if (end == pos)
			break;
		if (raw != NULL) {
			if (!mail_is_wsp(block[pos]))
				break;
			/* unfolding: the line break goes, the
			   whitespace stays */
			g_string_append_len(raw, block + pos,
					    (gssize)(end - pos));
		} else if (end - pos > name_len &&
			   g_ascii_strncasecmp(block + pos, name,
					       name_len) == 0) {
			i = pos + name_len;
			while (i < end && mail_is_wsp(block[i]))
				i++;
			if (i < end && block[i] == ':' &&
			    memchr(block + pos, '\0', name_len) == NULL)
				raw = g_string_new_len(block + i + 1,
						       (gssize)(end - i - 1));
		}
		pos = next;
	}
	if (raw == NULL)
		return NULL;
	decoded = mail_decode_words(raw->str, raw->len);
	value = mail_sanitize(decoded->str, decoded->len);
	g_string_free(decoded, TRUE);
	g_string_free(raw, TRUE);
	return g_strstrip(value);
}

/* The text with quoted strings unquoted, trimmed. */
static gchar *
mail_unquote(const gchar *s, gsize n)
{
	GString *out = g_string_sized_new(n);
	gboolean quoted = FALSE;
	gsize i;

	for (i = 0; i < n; i++) {
		if (s[i] == '"') {
			quoted = !quoted;
		} else if (quoted && s[i] == '\\' && i + 1 < n) {
			i++;
			g_string_append_c(out, s[i]);
		} else {
			g_string_append_c(out, s[i]);
		}
	}
	return g_strstrip(g_string_free(out, FALSE));
}

/* An address without angle brackets ("carol@example.net (Carol)"): its
   first comment if that is not empty, else the address. */
static gchar *
mail_addr_spec_display(const gchar *s, gsize n)
{
	GString *addr = g_string_sized_new(n), *comment = NULL;
	gboolean quoted = FALSE, in_first = FALSE;
	guint depth = 0;
	gchar *ret;
	gsize i;

	for (i = 0; i < n; i++) {
		gchar c = s[i];

		if (depth > 0) {
			if (c == '\\' && i + 1 < n) {
				c = s[++i];
			} else if (c == '(') {
				depth++;
			} else if (c == ')' && --depth == 0) {
				in_first = FALSE;
				continue;
			}
			if (in_first)
				g_string_append_c(comment, c);
		} else if (c == '(' && !quoted) {
			depth = 1;
			if (comment == NULL) {
				comment = g_string_new(NULL);
				in_first = TRUE;
			}
		} else {
			if (quoted && c == '\\' && i + 1 < n)
				g_string_append_c(addr, s[i++]);
			else if (c == '"')
				quoted = !quoted;
			g_string_append_c(addr, s[i]);
		}
	}
	if (comment != NULL) {
		ret = g_strstrip(g_string_free(comment, FALSE));
		if (*ret != '\0') {
			g_string_free(addr, TRUE);
			return ret;
		}
		g_free(ret);
	}
	return g_strstrip(g_string_free(addr, FALSE));
}

gchar *
helpdesk_mail_header_sender(const gchar *value)
{
	gchar *valid, *display, *ret;
	gsize n, i, end, angle = 0, first_comma = 0;
	gboolean quoted = FALSE, have_angle = FALSE, have_comma = FALSE;
	gboolean seen_at = FALSE;
	guint depth = 0;

	if (value == NULL)
		return NULL;
	valid = g_utf8_make_valid(value, -1);
	n = strlen(valid);
	end = n;
	for (i = 0; i < n; i++) {
		gchar c = valid[i];

		if (quoted || depth > 0) {
			if (c == '\\' && i + 1 < n)
				i++;
			else if (quoted && c == '"')
				quoted = FALSE;
			else if (!quoted && c == '(')
				depth++;
			else if (!quoted && c == ')')
				depth--;
			continue;
		}
		if (c == '"') {
			quoted = TRUE;
		} else if (c == '(') {
			depth = 1;
		} else if (c == '@') {
			seen_at = TRUE;
		} else if (c == '<') {
			have_angle = TRUE;
			angle = i;
			break;
		} else if (c == ',') {
			/* "a@b, c@d": the first mailbox ends here; without
			   an "@" the comma may be in a decoded name */
			if (seen_at) {
				end = i;
				break;
			}
			if (!have_comma) {
				have_comma = TRUE;
				first_comma = i;
			}
		}
	}
	if (!have_angle) {
		if (end == n && have_comma)
			end = first_comma;
		ret = mail_addr_spec_display(valid, end);
		g_free(valid);
		return ret;
	}
	display = mail_unquote(valid, angle);
	if (*display != '\0') {
		g_free(valid);
		return display;
	}
	g_free(display);
	for (end = angle + 1; end < n; end++) {
		if (valid[end] == '>' || valid[end] == ',')
			break;
	}
	ret = g_strndup(valid + angle + 1, end - angle - 1);
	g_free(valid);
	return g_strstrip(ret);
}

gchar *
helpdesk_mail_header_ellipsize(const gchar *utf8, guint max_chars)
{
	gchar *valid, *cut, *ret;
	const gchar *end;

	if (utf8 == NULL)
		return NULL;
	valid = g_utf8_make_valid(utf8, -1);
	if (g_utf8_strlen(valid, -1) <= (glong)max_chars)
		return valid;
	end = g_utf8_offset_to_pointer(valid, (glong)max_chars);
	cut = g_strndup(valid, (gsize)(end - valid));
	g_free(valid);
	/* "Drucker im…", not "Drucker im …" */
	ret = g_strconcat(g_strchomp(cut), "\u2026", NULL);
	g_free(cut);
	return ret;
}
