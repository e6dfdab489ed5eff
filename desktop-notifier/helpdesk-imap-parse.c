/* helpdesk-imap-parse.c: the IMAP response parser of helpdesk-notifier
   (RFC 3501 responses, RFC 7162 VANISHED/MODSEQ, RFC 5464 METADATA,
   RFC 5161 ENABLED) and the small IMAP string helpers. Pure: no I/O.

   The input is untrusted network data. The parser never recurses: list
   nesting is kept on a fixed stack of HELPDESK_IMAP_MAX_DEPTH entries,
   every read is checked against the end of the data, and literal sizes
   are checked for overflow and against the bytes that remain. */

#include <string.h>

#include "helpdesk-imap-parse.h"

G_DEFINE_QUARK(helpdesk-imap-parse-error-quark, helpdesk_imap_parse_error)

/* The largest number helpdesk_imap_arg_number() accepts (RFC 7162's
   mod-sequence-value limit). */
#define IMAP_NUMBER_MAX G_GUINT64_CONSTANT(0x7fffffffffffffff)
/* Longest string helpdesk_imap_quote() returns as a quoted string. */
#define IMAP_QUOTE_MAX 1000

typedef struct {
	const guchar *data;
	gsize len;
	gsize pos;
	GError **error;
} ImapParser;

static void G_GNUC_PRINTF(3, 0)
imap_parser_failv(ImapParser *parser, HelpdeskImapParseError code,
		  const gchar *fmt, va_list args)
{
	gchar *msg = g_strdup_vprintf(fmt, args);

	g_set_error(parser->error, HELPDESK_IMAP_PARSE_ERROR, code,
		    "%s at byte %" G_GSIZE_FORMAT, msg, parser->pos);
	g_free(msg);
}

static void G_GNUC_PRINTF(2, 3)
imap_fail_syntax(ImapParser *parser, const gchar *fmt, ...)
{
	va_list args;

	va_start(args, fmt);
	imap_parser_failv(parser, HELPDESK_IMAP_PARSE_ERROR_SYNTAX, fmt, args);
	va_end(args);
}

static void G_GNUC_PRINTF(2, 3)
imap_fail_limit(ImapParser *parser, const gchar *fmt, ...)
{
	va_list args;

	va_start(args, fmt);
	imap_parser_failv(parser, HELPDESK_IMAP_PARSE_ERROR_LIMIT, fmt, args);
	va_end(args);
}

static void
imap_arg_free(gpointer data)
{
	HelpdeskImapArg *arg = data;

	if (arg == NULL)
		return;
	g_free(arg->str);
	/* a list's elements are freed through it; lists are never nested
	   deeper than HELPDESK_IMAP_MAX_DEPTH, which bounds this */
	if (arg->list != NULL)
		g_ptr_array_unref(arg->list);
	g_free(arg);
}

static GPtrArray *
imap_args_new(void)
{
	return g_ptr_array_new_with_free_func(imap_arg_free);
}

static HelpdeskImapArg *
imap_arg_new(HelpdeskImapArgType type, const guchar *str, gsize len)
{
	HelpdeskImapArg *arg = g_new0(HelpdeskImapArg, 1);

	arg->type = type;
	if (type == HELPDESK_IMAP_ARG_LIST) {
		arg->list = imap_args_new();
	} else if (type != HELPDESK_IMAP_ARG_NIL) {
		arg->str = g_malloc(len + 1);
		if (len > 0)
			memcpy(arg->str, str, len);
		arg->str[len] = '\0';
		arg->len = len;
	}
	return arg;
}

/* ATOM-CHAR of RFC 3501 less '[' handling (the caller decides) and less
   ']'; 8-bit bytes are let through as some servers send them. */
static gboolean
imap_is_atom_char(guchar c)
{
	if (c <= 0x20 || c == 0x7f)
		return FALSE;
	switch (c) {
	case '(': case ')': case '{': case '"': case '\\': case ']':
	case '%': case '*':
		return FALSE;
	default:
		return TRUE;
	}
}

static gboolean
imap_is_status_name(const gchar *name)
{
	return strcmp(name, "OK") == 0 || strcmp(name, "NO") == 0 ||
		strcmp(name, "BAD") == 0 || strcmp(name, "BYE") == 0 ||
		strcmp(name, "PREAUTH") == 0;
}

/* A run of atom characters (no sections) at the parser's position. */
static gsize
imap_parser_skip_atom_chars(ImapParser *parser)
{
	gsize start = parser->pos;

	while (parser->pos < parser->len &&
	       imap_is_atom_char(parser->data[parser->pos]))
		parser->pos++;
	return parser->pos - start;
}

static gboolean
imap_parse_quoted(ImapParser *parser, HelpdeskImapArg **arg_r)
{
	GString *str = g_string_new(NULL);
	guchar c;

	parser->pos++;
	for (;;) {
		if (parser->pos >= parser->len)
			goto unterminated;
		c = parser->data[parser->pos];
		if (c == '"')
			break;
		if (c == '\r' || c == '\n')
			goto unterminated;
		if (c == '\0') {
			imap_fail_syntax(parser, "NUL in quoted string");
			goto fail;
		}
		if (c == '\\') {
			parser->pos++;
			if (parser->pos >= parser->len)
				goto unterminated;
			c = parser->data[parser->pos];
			if (c != '"' && c != '\\') {
				imap_fail_syntax(parser, "invalid escape in "
						 "quoted string");
				goto fail;
			}
		}
		g_string_append_c(str, (gchar)c);
		parser->pos++;
	}
	parser->pos++;
	*arg_r = imap_arg_new(HELPDESK_IMAP_ARG_STRING,
			      (const guchar *)str->str, str->len);
	g_string_free(str, TRUE);
	return TRUE;
unterminated:
	imap_fail_syntax(parser, "unterminated quoted string");
fail:
	g_string_free(str, TRUE);
	return FALSE;
}

/* "{N}" or "{N+}" (after an optional '~' for a literal8) followed by
   CRLF or LF, then exactly N bytes. */
static gboolean
imap_parse_literal(ImapParser *parser, HelpdeskImapArg **arg_r)
{
	guint64 size = 0;
	gsize digits = 0;

	if (parser->data[parser->pos] == '~')
		parser->pos++;
	/* the '{' */
	parser->pos++;
	while (parser->pos < parser->len &&
	       g_ascii_isdigit(parser->data[parser->pos])) {
		guint d = parser->data[parser->pos] - '0';

		if (size > (G_MAXUINT64 - d) / 10) {
			imap_fail_limit(parser, "literal size overflows");
			return FALSE;
		}
		size = size * 10 + d;
		digits++;
		parser->pos++;
	}
	if (digits == 0) {
		imap_fail_syntax(parser, "literal without a size");
		return FALSE;
	}
	if (parser->pos < parser->len && parser->data[parser->pos] == '+')
		parser->pos++;
	if (parser->pos >= parser->len || parser->data[parser->pos] != '}') {
		imap_fail_syntax(parser, "invalid literal announcement");
		return FALSE;
	}
	parser->pos++;
	if (parser->pos < parser->len && parser->data[parser->pos] == '\r')
		parser->pos++;
	if (parser->pos >= parser->len || parser->data[parser->pos] != '\n') {
		imap_fail_syntax(parser,
				 "literal announcement not followed by CRLF");
		return FALSE;
	}
	parser->pos++;
	if (size > HELPDESK_IMAP_MAX_RESPONSE) {
		imap_fail_limit(parser, "literal of %" G_GUINT64_FORMAT
				" bytes is too large", size);
		return FALSE;
	}
	if (size > parser->len - parser->pos) {
		imap_fail_syntax(parser, "literal shorter than the %"
				 G_GUINT64_FORMAT " bytes announced", size);
		return FALSE;
	}
	*arg_r = imap_arg_new(HELPDESK_IMAP_ARG_STRING,
			      parser->data + parser->pos, (gsize)size);
	parser->pos += (gsize)size;
	return TRUE;
}

/* A section "[...]" to its matching "]", whatever lies between on the
   same line: BODY[HEADER.FIELDS (SUBJECT FROM)]. */
static gboolean
imap_skip_section(ImapParser *parser)
{
	gsize depth = 0;

	do {
		guchar c = parser->data[parser->pos];

		if (c == '\r' || c == '\n' || c == '\0')
			break;
		if (c == '[')
			depth++;
		else if (c == ']')
			depth--;
		parser->pos++;
	} while (depth > 0 && parser->pos < parser->len);
	if (depth > 0) {
		imap_fail_syntax(parser, "unterminated section");
		return FALSE;
	}
	return TRUE;
}

/* An atom, a flag ("\Seen", "\*") or a FETCH item name with its
   section: "[" is read to its matching "]" whatever lies between, on
   the same line. An atom "NIL" gives a NIL. */
static gboolean
imap_parse_atom(ImapParser *parser, HelpdeskImapArg **arg_r)
{
	gsize start = parser->pos;
	gsize len;

	if (parser->data[parser->pos] == '\\') {
		parser->pos++;
		if (parser->pos < parser->len &&
		    parser->data[parser->pos] == '*') {
			parser->pos++;
			goto done;
		}
	}
	while (parser->pos < parser->len) {
		guchar c = parser->data[parser->pos];

		if (c == '[') {
			if (!imap_skip_section(parser))
				return FALSE;
		} else if (imap_is_atom_char(c)) {
			parser->pos++;
		} else {
			break;
		}
	}
done:
	len = parser->pos - start;
	if (len == 0) {
		imap_fail_syntax(parser, "unexpected character 0x%02x",
				 parser->data[parser->pos]);
		return FALSE;
	}
	if (len == 1 && parser->data[start] == '\\') {
		imap_fail_syntax(parser, "flag without a name");
		return FALSE;
	}
	if (len == 3 && g_ascii_strncasecmp((const gchar *)parser->data +
					    start, "NIL", 3) == 0)
		*arg_r = imap_arg_new(HELPDESK_IMAP_ARG_NIL, NULL, 0);
	else
		*arg_r = imap_arg_new(HELPDESK_IMAP_ARG_ATOM,
				      parser->data + start, len);
	return TRUE;
}

/* Arguments into top up to the end of the line (in a response code: up
   to its closing "]"), which is left unread. Iterative: the open lists
   are on a stack of at most HELPDESK_IMAP_MAX_DEPTH. */
static gboolean
imap_parse_args(ImapParser *parser, GPtrArray *top, gboolean in_code)
{
	GPtrArray *stack[HELPDESK_IMAP_MAX_DEPTH + 1];
	guint depth = 0;
	gboolean need_sep = FALSE, after_list = FALSE;

	stack[0] = top;
	for (;;) {
		HelpdeskImapArg *arg = NULL;
		guchar c;

		if (parser->pos >= parser->len) {
			imap_fail_syntax(parser, "%s", depth > 0 ?
					 "unbalanced parentheses" :
					 "missing CRLF");
			return FALSE;
		}
		c = parser->data[parser->pos];
		if (c == ' ') {
			parser->pos++;
			need_sep = FALSE;
			continue;
		}
		if (c == '\r' || c == '\n') {
			if (depth > 0) {
				imap_fail_syntax(parser,
						 "unbalanced parentheses");
				return FALSE;
			}
			if (in_code) {
				imap_fail_syntax(parser,
						 "unterminated response code");
				return FALSE;
			}
			return TRUE;
		}
		if (in_code && c == ']' && depth == 0)
			return TRUE;
		if (c == ')') {
			if (depth == 0) {
				imap_fail_syntax(parser,
						 "unbalanced parentheses");
				return FALSE;
			}
			depth--;
			parser->pos++;
			need_sep = TRUE;
			after_list = TRUE;
			continue;
		}
		/* lists may follow a list directly: ENVELOPE's address
		   lists, BODYSTRUCTURE's parts */
		if (need_sep && !(after_list && c == '(')) {
			imap_fail_syntax(parser, "expected a space");
			return FALSE;
		}
		if (c == '(') {
			if (depth >= HELPDESK_IMAP_MAX_DEPTH) {
				imap_fail_limit(parser,
						"lists nested too deeply");
				return FALSE;
			}
			arg = imap_arg_new(HELPDESK_IMAP_ARG_LIST, NULL, 0);
			g_ptr_array_add(stack[depth], arg);
			depth++;
			stack[depth] = arg->list;
			parser->pos++;
			need_sep = FALSE;
			continue;
		}
		if (c == '"') {
			if (!imap_parse_quoted(parser, &arg))
				return FALSE;
		} else if (c == '{' ||
			   (c == '~' && parser->pos + 1 < parser->len &&
			    parser->data[parser->pos + 1] == '{')) {
			if (in_code) {
				imap_fail_syntax(parser,
						 "literal in a response code");
				return FALSE;
			}
			if (!imap_parse_literal(parser, &arg))
				return FALSE;
		} else {
			if (!imap_parse_atom(parser, &arg))
				return FALSE;
		}
		g_ptr_array_add(stack[depth], arg);
		need_sep = TRUE;
		after_list = FALSE;
	}
}

/* The end of the response: CRLF or LF, and nothing after it. */
static gboolean
imap_parse_eol(ImapParser *parser)
{
	if (parser->pos < parser->len && parser->data[parser->pos] == '\r')
		parser->pos++;
	if (parser->pos >= parser->len || parser->data[parser->pos] != '\n') {
		imap_fail_syntax(parser, "missing CRLF");
		return FALSE;
	}
	parser->pos++;
	if (parser->pos != parser->len) {
		imap_fail_syntax(parser, "data after the final CRLF");
		return FALSE;
	}
	return TRUE;
}

/* A response code's arguments when they do not follow the grammar of
   arguments (RFC 3501 allows any text but "]"): one atom. */
static gboolean
imap_parse_code_raw(ImapParser *parser, GPtrArray *code_args)
{
	gsize start = parser->pos;

	while (parser->pos < parser->len) {
		guchar c = parser->data[parser->pos];

		if (c == ']')
			break;
		if (c == '\r' || c == '\n' || c == '\0')
			goto fail;
		parser->pos++;
	}
	if (parser->pos >= parser->len)
		goto fail;
	if (parser->pos > start)
		g_ptr_array_add(code_args,
				imap_arg_new(HELPDESK_IMAP_ARG_ATOM,
					     parser->data + start,
					     parser->pos - start));
	return TRUE;
fail:
	imap_fail_syntax(parser, "unterminated response code");
	return FALSE;
}

/* resp-text: an optional "[CODE args]" and the text, which is kept as
   it is (it may hold anything but CR, LF and NUL); then the end. */
static gboolean
imap_parse_resp_text(ImapParser *parser, HelpdeskImapResponse *resp)
{
	gsize start;

	if (parser->pos < parser->len && parser->data[parser->pos] == '[') {
		gsize len;

		parser->pos++;
		start = parser->pos;
		len = imap_parser_skip_atom_chars(parser);
		if (len == 0) {
			imap_fail_syntax(parser, "invalid response code");
			return FALSE;
		}
		resp->code = g_ascii_strup((const gchar *)parser->data +
					   start, (gssize)len);
		if (parser->pos < parser->len &&
		    parser->data[parser->pos] == ' ') {
			GError **saved_error = parser->error;
			GError *error = NULL;
			gboolean ok;

			parser->pos++;
			start = parser->pos;
			parser->error = &error;
			ok = imap_parse_args(parser, resp->code_args, TRUE);
			parser->error = saved_error;
			if (!ok && g_error_matches(error,
					HELPDESK_IMAP_PARSE_ERROR,
					HELPDESK_IMAP_PARSE_ERROR_LIMIT)) {
				g_propagate_error(parser->error, error);
				return FALSE;
			}
			if (!ok) {
				/* any text but "]" (RFC 3501) */
				g_clear_error(&error);
				g_ptr_array_set_size(resp->code_args, 0);
				parser->pos = start;
				if (!imap_parse_code_raw(parser,
							 resp->code_args))
					return FALSE;
			}
		}
		if (parser->pos >= parser->len ||
		    parser->data[parser->pos] != ']') {
			imap_fail_syntax(parser, "unterminated response code");
			return FALSE;
		}
		parser->pos++;
		if (parser->pos < parser->len &&
		    parser->data[parser->pos] == ' ')
			parser->pos++;
	}
	start = parser->pos;
	while (parser->pos < parser->len) {
		guchar c = parser->data[parser->pos];

		if (c == '\r' || c == '\n')
			break;
		if (c == '\0') {
			imap_fail_syntax(parser, "NUL in response text");
			return FALSE;
		}
		parser->pos++;
	}
	resp->text = g_strndup((const gchar *)parser->data + start,
			       parser->pos - start);
	return imap_parse_eol(parser);
}

/* After "* " or "TAG ": "[NUMBER SP] NAME", then its arguments or its
   text. */
static gboolean
imap_parse_after_tag(ImapParser *parser, HelpdeskImapResponse *resp)
{
	gsize start, len;

	if (resp->kind == HELPDESK_IMAP_RESPONSE_UNTAGGED &&
	    parser->pos < parser->len &&
	    g_ascii_isdigit(parser->data[parser->pos])) {
		guint64 num = 0;

		while (parser->pos < parser->len &&
		       g_ascii_isdigit(parser->data[parser->pos])) {
			num = num * 10 + (parser->data[parser->pos] - '0');
			if (num > G_MAXUINT32) {
				imap_fail_syntax(parser,
						 "number out of range");
				return FALSE;
			}
			parser->pos++;
		}
		if (parser->pos >= parser->len ||
		    parser->data[parser->pos] != ' ') {
			imap_fail_syntax(parser, "invalid number");
			return FALSE;
		}
		parser->pos++;
		resp->has_number = TRUE;
		resp->number = (guint32)num;
	}
	start = parser->pos;
	len = imap_parser_skip_atom_chars(parser);
	/* names are keywords: "* -1 EXISTS" is not a response "-1" */
	if (len == 0 || !g_ascii_isalpha(parser->data[start])) {
		imap_fail_syntax(parser, "missing response name");
		return FALSE;
	}
	resp->name = g_ascii_strup((const gchar *)parser->data + start,
				   (gssize)len);
	if (parser->pos < parser->len && parser->data[parser->pos] != ' ' &&
	    parser->data[parser->pos] != '\r' &&
	    parser->data[parser->pos] != '\n') {
		imap_fail_syntax(parser, "invalid response name");
		return FALSE;
	}

	if (imap_is_status_name(resp->name)) {
		if (resp->has_number ||
		    (resp->kind == HELPDESK_IMAP_RESPONSE_TAGGED &&
		     (strcmp(resp->name, "BYE") == 0 ||
		      strcmp(resp->name, "PREAUTH") == 0))) {
			imap_fail_syntax(parser, "invalid status response");
			return FALSE;
		}
		if (parser->pos < parser->len &&
		    parser->data[parser->pos] == ' ')
			parser->pos++;
		return imap_parse_resp_text(parser, resp);
	}
	if (resp->kind == HELPDESK_IMAP_RESPONSE_TAGGED) {
		imap_fail_syntax(parser,
				 "tagged response is not OK, NO or BAD");
		return FALSE;
	}
	if (!imap_parse_args(parser, resp->args, FALSE))
		return FALSE;
	if (strcmp(resp->name, "CAPABILITY") == 0 ||
	    strcmp(resp->name, "ENABLED") == 0) {
		guint i;

		for (i = 0; i < resp->args->len; i++) {
			HelpdeskImapArg *arg = resp->args->pdata[i];

			if (arg->type == HELPDESK_IMAP_ARG_NIL) {
				arg->type = HELPDESK_IMAP_ARG_ATOM;
				arg->str = g_strdup("NIL");
				arg->len = 3;
			} else if (arg->type != HELPDESK_IMAP_ARG_ATOM) {
				imap_fail_syntax(parser, "%s holds a non-atom",
						 resp->name);
				return FALSE;
			}
		}
	}
	return imap_parse_eol(parser);
}

HelpdeskImapResponse *
helpdesk_imap_response_parse(const guchar *data, gsize len, GError **error)
{
	ImapParser parser = { data, len, 0, error };
	HelpdeskImapResponse *resp;
	gboolean ret;

	g_return_val_if_fail(data != NULL || len == 0, NULL);
	g_return_val_if_fail(error == NULL || *error == NULL, NULL);

	if (len > HELPDESK_IMAP_MAX_RESPONSE) {
		imap_fail_limit(&parser, "response of %" G_GSIZE_FORMAT
				" bytes is too large", len);
		return NULL;
	}
	if (len == 0) {
		imap_fail_syntax(&parser, "empty response");
		return NULL;
	}

	resp = g_new0(HelpdeskImapResponse, 1);
	resp->args = imap_args_new();
	resp->code_args = imap_args_new();
	if (data[0] == '+') {
		resp->kind = HELPDESK_IMAP_RESPONSE_CONTINUATION;
		parser.pos = 1;
		if (parser.pos < len && data[parser.pos] == ' ') {
			parser.pos++;
		} else if (parser.pos < len && data[parser.pos] != '\r' &&
			   data[parser.pos] != '\n') {
			imap_fail_syntax(&parser,
					 "expected a space after \"+\"");
			goto fail;
		}
		ret = imap_parse_resp_text(&parser, resp);
	} else {
		if (data[0] == '*') {
			resp->kind = HELPDESK_IMAP_RESPONSE_UNTAGGED;
			parser.pos = 1;
		} else {
			resp->kind = HELPDESK_IMAP_RESPONSE_TAGGED;
			if (imap_parser_skip_atom_chars(&parser) == 0) {
				imap_fail_syntax(&parser, "invalid tag");
				goto fail;
			}
			resp->tag = g_strndup((const gchar *)data,
					      parser.pos);
		}
		if (parser.pos >= len || data[parser.pos] != ' ') {
			imap_fail_syntax(&parser,
					 "expected a space after the tag");
			goto fail;
		}
		parser.pos++;
		ret = imap_parse_after_tag(&parser, resp);
	}
	if (ret)
		return resp;
fail:
	helpdesk_imap_response_free(resp);
	return NULL;
}

void
helpdesk_imap_response_free(HelpdeskImapResponse *resp)
{
	if (resp == NULL)
		return;
	g_free(resp->tag);
	g_free(resp->name);
	if (resp->args != NULL)
		g_ptr_array_unref(resp->args);
	g_free(resp->code);
	if (resp->code_args != NULL)
		g_ptr_array_unref(resp->code_args);
	g_free(resp->text);
	g_free(resp);
}

/* Whether a line starts a status response or a continuation request,
   whose text may end in "{N}" without it being a literal. */
static gboolean
imap_line_is_text_response(const gchar *line, gsize len)
{
	ImapParser parser = { (const guchar *)line, len, 0, NULL };
	gsize start, name_len;

	if (len == 0)
		return FALSE;
	if (line[0] == '+')
		return len == 1 || line[1] == ' ';
	if (line[0] == '*')
		parser.pos = 1;
	else if (imap_parser_skip_atom_chars(&parser) == 0)
		return FALSE;
	if (parser.pos >= len || line[parser.pos] != ' ')
		return FALSE;
	parser.pos++;
	start = parser.pos;
	name_len = imap_parser_skip_atom_chars(&parser);
	if (parser.pos < len && line[parser.pos] != ' ')
		return FALSE;
	switch (name_len) {
	case 2:
		return g_ascii_strncasecmp(line + start, "OK", 2) == 0 ||
			g_ascii_strncasecmp(line + start, "NO", 2) == 0;
	case 3:
		return g_ascii_strncasecmp(line + start, "BAD", 3) == 0 ||
			g_ascii_strncasecmp(line + start, "BYE", 3) == 0;
	case 7:
		return g_ascii_strncasecmp(line + start, "PREAUTH", 7) == 0;
	default:
		return FALSE;
	}
}

gboolean
helpdesk_imap_line_literal(const gchar *line, gsize len, guint64 *size_r)
{
	guint64 size = 0;
	gsize end, start, before, i;

	g_return_val_if_fail(line != NULL || len == 0, FALSE);

	/* tolerate the line with its line ending */
	if (len > 0 && line[len - 1] == '\n')
		len--;
	if (len > 0 && line[len - 1] == '\r')
		len--;
	if (len < 3 || line[len - 1] != '}')
		return FALSE;
	end = len - 1;
	if (line[end - 1] == '+')
		end--;
	start = end;
	while (start > 0 && g_ascii_isdigit(line[start - 1]))
		start--;
	if (start == end || start == 0 || line[start - 1] != '{')
		return FALSE;
	/* a literal is an argument of its own: it follows a space or "("
	   (so does the "~" of a literal8) */
	before = start - 1;
	if (before > 0 && line[before - 1] == '~')
		before--;
	if (before == 0 || (line[before - 1] != ' ' &&
			    line[before - 1] != '('))
		return FALSE;
	for (i = start; i < end; i++) {
		guint d = (guint)(line[i] - '0');

		if (size > (G_MAXUINT64 - d) / 10)
			return FALSE;
		size = size * 10 + d;
	}
	if (imap_line_is_text_response(line, len))
		return FALSE;
	if (size_r != NULL)
		*size_r = size;
	return TRUE;
}

/* A number of digits only: at most max, no sign, no leading "+". */
static gboolean
imap_str_number(const gchar *str, gsize len, guint64 max, guint64 *num_r)
{
	guint64 num = 0;
	gsize i;

	if (len == 0)
		return FALSE;
	for (i = 0; i < len; i++) {
		guint d;

		if (!g_ascii_isdigit(str[i]))
			return FALSE;
		d = (guint)(str[i] - '0');
		if (num > (max - d) / 10)
			return FALSE;
		num = num * 10 + d;
	}
	*num_r = num;
	return TRUE;
}

gboolean
helpdesk_imap_arg_number(const HelpdeskImapArg *arg, guint64 *num_r)
{
	guint64 num;

	if (arg == NULL || arg->type != HELPDESK_IMAP_ARG_ATOM ||
	    !imap_str_number(arg->str, arg->len, IMAP_NUMBER_MAX, &num))
		return FALSE;
	if (num_r != NULL)
		*num_r = num;
	return TRUE;
}

gboolean
helpdesk_imap_arg_equals(const HelpdeskImapArg *arg, const gchar *str)
{
	if (arg == NULL || str == NULL ||
	    (arg->type != HELPDESK_IMAP_ARG_ATOM &&
	     arg->type != HELPDESK_IMAP_ARG_STRING))
		return FALSE;
	return arg->len == strlen(str) &&
		g_ascii_strncasecmp(arg->str, str, arg->len) == 0;
}

static gboolean
imap_name_has_prefix(const gchar *name, const gchar *prefix)
{
	return g_ascii_strncasecmp(name, prefix, strlen(prefix)) == 0;
}

gboolean
helpdesk_imap_fetch_parse(const HelpdeskImapResponse *resp,
			  HelpdeskImapFetch *fetch_r, GError **error)
{
	const HelpdeskImapArg *items;
	gboolean have_body = FALSE;
	const gchar *msg;
	guint i;

	g_return_val_if_fail(resp != NULL, FALSE);
	g_return_val_if_fail(fetch_r != NULL, FALSE);

	memset(fetch_r, 0, sizeof(*fetch_r));
	if (resp->kind != HELPDESK_IMAP_RESPONSE_UNTAGGED ||
	    resp->name == NULL || strcmp(resp->name, "FETCH") != 0 ||
	    !resp->has_number) {
		msg = "not a FETCH response";
		goto fail;
	}
	if (resp->number == 0) {
		msg = "FETCH of sequence number 0";
		goto fail;
	}
	fetch_r->seq = resp->number;
	if (resp->args->len != 1) {
		msg = "FETCH needs one list";
		goto fail;
	}
	items = resp->args->pdata[0];
	if (items->type != HELPDESK_IMAP_ARG_LIST) {
		msg = "FETCH needs one list";
		goto fail;
	}
	if (items->list->len % 2 != 0) {
		msg = "FETCH item without a value";
		goto fail;
	}
	for (i = 0; i < items->list->len; i += 2) {
		const HelpdeskImapArg *name = items->list->pdata[i];
		const HelpdeskImapArg *value = items->list->pdata[i + 1];
		guint64 num;

		if (name->type != HELPDESK_IMAP_ARG_ATOM) {
			msg = "FETCH item name is not an atom";
			goto fail;
		}
		if (helpdesk_imap_arg_equals(name, "UID")) {
			if (!helpdesk_imap_arg_number(value, &num) ||
			    num == 0 || num > G_MAXUINT32) {
				msg = "invalid UID";
				goto fail;
			}
			fetch_r->uid = (guint32)num;
		} else if (helpdesk_imap_arg_equals(name, "FLAGS")) {
			GPtrArray *flags;
			guint j;

			if (value->type != HELPDESK_IMAP_ARG_LIST) {
				msg = "FLAGS is not a list";
				goto fail;
			}
			flags = g_ptr_array_new_with_free_func(g_free);
			for (j = 0; j < value->list->len; j++) {
				const HelpdeskImapArg *flag =
					value->list->pdata[j];

				if (flag->type != HELPDESK_IMAP_ARG_ATOM) {
					g_ptr_array_free(flags, TRUE);
					msg = "flag is not an atom";
					goto fail;
				}
				g_ptr_array_add(flags, g_strdup(flag->str));
			}
			g_ptr_array_add(flags, NULL);
			g_strfreev(fetch_r->flags);
			fetch_r->flags =
				(gchar **)g_ptr_array_free(flags, FALSE);
			fetch_r->has_flags = TRUE;
		} else if (helpdesk_imap_arg_equals(name, "MODSEQ")) {
			if (value->type != HELPDESK_IMAP_ARG_LIST ||
			    value->list->len != 1 ||
			    !helpdesk_imap_arg_number(value->list->pdata[0],
						      &num)) {
				msg = "invalid MODSEQ";
				goto fail;
			}
			fetch_r->modseq = num;
		} else if (imap_name_has_prefix(name->str, "BODY[") ||
			   imap_name_has_prefix(name->str, "BODY.PEEK[") ||
			   imap_name_has_prefix(name->str, "BINARY[") ||
			   imap_name_has_prefix(name->str, "BINARY.PEEK[")) {
			if (value->type != HELPDESK_IMAP_ARG_STRING &&
			    value->type != HELPDESK_IMAP_ARG_NIL) {
				msg = "body section is not a string";
				goto fail;
			}
			if (have_body)
				continue;
			have_body = TRUE;
			if (value->type == HELPDESK_IMAP_ARG_STRING) {
				fetch_r->body = g_malloc(value->len + 1);
				memcpy(fetch_r->body, value->str,
				       value->len + 1);
				fetch_r->body_len = value->len;
			}
		}
	}
	return TRUE;
fail:
	g_set_error_literal(error, HELPDESK_IMAP_PARSE_ERROR,
			    HELPDESK_IMAP_PARSE_ERROR_SYNTAX, msg);
	helpdesk_imap_fetch_clear(fetch_r);
	return FALSE;
}

void
helpdesk_imap_fetch_clear(HelpdeskImapFetch *fetch)
{
	if (fetch == NULL)
		return;
	g_strfreev(fetch->flags);
	g_free(fetch->body);
	memset(fetch, 0, sizeof(*fetch));
}

/* One nz-number or "*" of a set. */
static gboolean
imap_set_parse_value(const gchar **p, const gchar *end, guint32 max_value,
		     gboolean star_ok, guint32 *value_r)
{
	const gchar *start = *p;
	guint64 num;

	if (*p < end && **p == '*') {
		if (!star_ok)
			return FALSE;
		(*p)++;
		*value_r = max_value;
		return TRUE;
	}
	while (*p < end && g_ascii_isdigit(**p))
		(*p)++;
	if (!imap_str_number(start, (gsize)(*p - start), G_MAXUINT32,
			     &num) || num == 0)
		return FALSE;
	*value_r = (guint32)num;
	return TRUE;
}

static gboolean
imap_set_parse(const gchar *str, gsize len, guint32 max_value,
	       gboolean star_ok, GArray *ranges, GError **error)
{
	const gchar *p = str, *end = str + len;
	guint orig_len = ranges->len;

	for (;;) {
		HelpdeskImapRange range;
		guint32 lo, hi;

		if (!imap_set_parse_value(&p, end, max_value, star_ok, &lo))
			goto fail;
		hi = lo;
		if (p < end && *p == ':') {
			p++;
			if (!imap_set_parse_value(&p, end, max_value, star_ok,
						  &hi))
				goto fail;
		}
		range.lo = MIN(lo, hi);
		range.hi = MAX(lo, hi);
		g_array_append_val(ranges, range);
		if (p == end)
			return TRUE;
		if (*p != ',')
			goto fail;
		p++;
	}
fail:
	g_array_set_size(ranges, orig_len);
	g_set_error(error, HELPDESK_IMAP_PARSE_ERROR,
		    HELPDESK_IMAP_PARSE_ERROR_SYNTAX,
		    "invalid sequence set at offset %" G_GSIZE_FORMAT,
		    (gsize)(p - str));
	return FALSE;
}

gboolean
helpdesk_imap_set_parse(const gchar *str, guint32 max_value,
			GArray *ranges, GError **error)
{
	g_return_val_if_fail(str != NULL, FALSE);
	g_return_val_if_fail(ranges != NULL, FALSE);
	g_return_val_if_fail(g_array_get_element_size(ranges) ==
			     sizeof(HelpdeskImapRange), FALSE);

	return imap_set_parse(str, strlen(str), max_value, TRUE, ranges,
			      error);
}

gboolean
helpdesk_imap_vanished_parse(const HelpdeskImapResponse *resp,
			     gboolean *earlier_r, GArray *ranges,
			     GError **error)
{
	const HelpdeskImapArg *arg;
	gboolean earlier = FALSE;
	guint i = 0;

	g_return_val_if_fail(resp != NULL, FALSE);
	g_return_val_if_fail(ranges != NULL, FALSE);
	g_return_val_if_fail(g_array_get_element_size(ranges) ==
			     sizeof(HelpdeskImapRange), FALSE);

	if (resp->kind != HELPDESK_IMAP_RESPONSE_UNTAGGED ||
	    resp->name == NULL || strcmp(resp->name, "VANISHED") != 0 ||
	    resp->has_number)
		goto fail;
	if (resp->args->len > 0) {
		arg = resp->args->pdata[0];
		if (arg->type == HELPDESK_IMAP_ARG_LIST) {
			guint j;

			for (j = 0; j < arg->list->len; j++) {
				/* other tags than EARLIER are ignored */
				if (helpdesk_imap_arg_equals(
					    arg->list->pdata[j], "EARLIER"))
					earlier = TRUE;
			}
			i++;
		}
	}
	if (resp->args->len != i + 1)
		goto fail;
	arg = resp->args->pdata[i];
	if (arg->type != HELPDESK_IMAP_ARG_ATOM)
		goto fail;
	/* VANISHED names UIDs that existed: no "*" */
	if (!imap_set_parse(arg->str, arg->len, 0, FALSE, ranges, error))
		return FALSE;
	if (earlier_r != NULL)
		*earlier_r = earlier;
	return TRUE;
fail:
	g_set_error_literal(error, HELPDESK_IMAP_PARSE_ERROR,
			    HELPDESK_IMAP_PARSE_ERROR_SYNTAX,
			    "invalid VANISHED response");
	return FALSE;
}

/* An astring without NULs, as METADATA's mailbox and entry names. */
static gboolean
imap_arg_is_name(const HelpdeskImapArg *arg)
{
	return (arg->type == HELPDESK_IMAP_ARG_ATOM ||
		arg->type == HELPDESK_IMAP_ARG_STRING) &&
		memchr(arg->str, '\0', arg->len) == NULL;
}

gboolean
helpdesk_imap_metadata_parse(const HelpdeskImapResponse *resp,
			     gchar **mailbox_r, GHashTable *entries,
			     GError **error)
{
	const HelpdeskImapArg *mailbox, *arg;
	const gchar *msg = "invalid METADATA response";
	guint i;

	g_return_val_if_fail(resp != NULL, FALSE);
	g_return_val_if_fail(entries != NULL, FALSE);

	if (mailbox_r != NULL)
		*mailbox_r = NULL;
	if (resp->kind != HELPDESK_IMAP_RESPONSE_UNTAGGED ||
	    resp->name == NULL || strcmp(resp->name, "METADATA") != 0 ||
	    resp->has_number || resp->args->len < 2)
		goto fail;
	mailbox = resp->args->pdata[0];
	if (!imap_arg_is_name(mailbox)) {
		msg = "invalid METADATA mailbox";
		goto fail;
	}
	arg = resp->args->pdata[1];
	if (arg->type == HELPDESK_IMAP_ARG_LIST) {
		GPtrArray *list = arg->list;

		if (resp->args->len != 2 || list->len % 2 != 0)
			goto fail;
		/* check everything before changing entries */
		for (i = 0; i < list->len; i += 2) {
			const HelpdeskImapArg *entry = list->pdata[i];
			const HelpdeskImapArg *value = list->pdata[i + 1];

			if (!imap_arg_is_name(entry)) {
				msg = "invalid METADATA entry name";
				goto fail;
			}
			/* the table holds C strings: a value with NULs
			   can't be told apart from a shorter one */
			if (value->type != HELPDESK_IMAP_ARG_NIL &&
			    !imap_arg_is_name(value)) {
				msg = "invalid METADATA value";
				goto fail;
			}
		}
		for (i = 0; i < list->len; i += 2) {
			const HelpdeskImapArg *entry = list->pdata[i];
			const HelpdeskImapArg *value = list->pdata[i + 1];

			g_hash_table_replace(entries, g_strdup(entry->str),
					     g_strdup(value->str));
		}
	} else {
		for (i = 1; i < resp->args->len; i++) {
			if (!imap_arg_is_name(resp->args->pdata[i])) {
				msg = "invalid METADATA entry name";
				goto fail;
			}
		}
		for (i = 1; i < resp->args->len; i++) {
			arg = resp->args->pdata[i];
			g_hash_table_replace(entries, g_strdup(arg->str),
					     NULL);
		}
	}
	if (mailbox_r != NULL)
		*mailbox_r = g_strdup(mailbox->str);
	return TRUE;
fail:
	g_set_error_literal(error, HELPDESK_IMAP_PARSE_ERROR,
			    HELPDESK_IMAP_PARSE_ERROR_SYNTAX, msg);
	return FALSE;
}

gchar *
helpdesk_imap_quote(const gchar *str)
{
	GString *quoted;
	const gchar *p;

	if (str == NULL || strlen(str) > IMAP_QUOTE_MAX ||
	    strpbrk(str, "\r\n") != NULL)
		return NULL;
	quoted = g_string_sized_new(strlen(str) + 2);
	g_string_append_c(quoted, '"');
	for (p = str; *p != '\0'; p++) {
		if (*p == '"' || *p == '\\')
			g_string_append_c(quoted, '\\');
		g_string_append_c(quoted, *p);
	}
	g_string_append_c(quoted, '"');
	return g_string_free(quoted, FALSE);
}

/* RFC 3501 5.1.3: base64 with "," for "/", no padding. */
static const gchar imap_utf7_alphabet[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,";

static gint
imap_utf7_value(gchar c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == ',')
		return 63;
	return -1;
}

static void
imap_utf7_put16(GString *out, guint16 unit, guint32 *bits, guint *nbits)
{
	*bits = (*bits << 16) | unit;
	*nbits += 16;
	while (*nbits >= 6) {
		*nbits -= 6;
		g_string_append_c(out, imap_utf7_alphabet[
					  (*bits >> *nbits) & 0x3f]);
	}
	/* keep only the bits not written yet */
	*bits &= (1U << *nbits) - 1;
}

gchar *
helpdesk_imap_utf7_encode(const gchar *utf8)
{
	GString *out;
	const gchar *p;

	if (utf8 == NULL || !g_utf8_validate(utf8, -1, NULL))
		return NULL;
	out = g_string_new(NULL);
	p = utf8;
	while (*p != '\0') {
		guint32 bits = 0;
		guint nbits = 0;
		gunichar c = g_utf8_get_char(p);

		if (c >= 0x20 && c <= 0x7e) {
			g_string_append_c(out, (gchar)c);
			if (c == '&')
				g_string_append_c(out, '-');
			p++;
			continue;
		}
		g_string_append_c(out, '&');
		while (*p != '\0') {
			c = g_utf8_get_char(p);
			if (c >= 0x20 && c <= 0x7e)
				break;
			if (c >= 0x10000) {
				c -= 0x10000;
				imap_utf7_put16(out,
						(guint16)(0xd800 + (c >> 10)),
						&bits, &nbits);
				imap_utf7_put16(out,
						(guint16)(0xdc00 +
							  (c & 0x3ff)),
						&bits, &nbits);
			} else {
				imap_utf7_put16(out, (guint16)c, &bits,
						&nbits);
			}
			p = g_utf8_next_char(p);
		}
		if (nbits > 0)
			g_string_append_c(out, imap_utf7_alphabet[
				(bits << (6 - nbits)) & 0x3f]);
		g_string_append_c(out, '-');
	}
	return g_string_free(out, FALSE);
}

/* One "&...-" section (p after the "&"): appends its characters, sets
   *p after the "-". FALSE when it is not in canonical form. */
static gboolean
imap_utf7_decode_section(const gchar **p, GString *out)
{
	guint32 bits = 0;
	guint nbits = 0;
	gunichar high = 0;
	gboolean any = FALSE;
	gint value;

	while ((value = imap_utf7_value(**p)) >= 0) {
		(*p)++;
		bits = (bits << 6) | (guint32)value;
		nbits += 6;
		if (nbits < 16)
			continue;
		nbits -= 16;
		{
			gunichar unit = (bits >> nbits) & 0xffff;

			bits &= (1U << nbits) - 1;
			any = TRUE;
			if (high != 0) {
				if (unit < 0xdc00 || unit > 0xdfff)
					return FALSE;
				g_string_append_unichar(out, 0x10000 +
					((high - 0xd800) << 10) +
					(unit - 0xdc00));
				high = 0;
			} else if (unit >= 0xd800 && unit <= 0xdbff) {
				high = unit;
			} else if ((unit >= 0xdc00 && unit <= 0xdfff) ||
				   (unit >= 0x20 && unit <= 0x7e) ||
				   unit == 0) {
				/* a lone low surrogate; printable ASCII
				   must stand for itself; no NULs */
				return FALSE;
			} else {
				g_string_append_unichar(out, unit);
			}
		}
	}
	/* the padding is under 6 bits, all zero; the section is closed */
	if (**p != '-' || !any || high != 0 || nbits >= 6 || bits != 0)
		return FALSE;
	(*p)++;
	return TRUE;
}

gchar *
helpdesk_imap_utf7_decode(const gchar *utf7)
{
	GString *out;
	const gchar *p;

	if (utf7 == NULL)
		return NULL;
	out = g_string_new(NULL);
	p = utf7;
	while (*p != '\0') {
		guchar c = (guchar)*p;

		if (c < 0x20 || c > 0x7e)
			goto fail;
		if (c != '&') {
			g_string_append_c(out, (gchar)c);
			p++;
		} else if (p[1] == '-') {
			g_string_append_c(out, '&');
			p += 2;
		} else {
			p++;
			if (!imap_utf7_decode_section(&p, out))
				goto fail;
		}
	}
	return g_string_free(out, FALSE);
fail:
	g_string_free(out, TRUE);
	return NULL;
}

gchar *helpdesk_imap_mailbox_arg(const gchar *utf8)
{
	g_autofree gchar *utf7 = helpdesk_imap_utf7_encode(utf8);

	return helpdesk_imap_quote(utf7 != NULL ? utf7 : utf8);
}
