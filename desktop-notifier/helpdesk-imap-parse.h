#ifndef HELPDESK_IMAP_PARSE_H
#define HELPDESK_IMAP_PARSE_H

/* The IMAP response parser of helpdesk-notifier: pure (no I/O), so its
   unit tests feed it recorded Dovecot transcripts and a fuzz target feeds
   it anything.

   A response is given as the raw bytes the server sent for it: its
   line(s) including the final CRLF, where each literal announcement
   "{N}\r\n" (or "{N+}\r\n") is followed by exactly N bytes. The
   connection reads a line, asks helpdesk_imap_line_literal() whether a
   literal follows, reads it and the rest of the line, and hands the
   whole to helpdesk_imap_response_parse().

   Covered: RFC 3501 responses (status responses with response codes,
   CAPABILITY, FLAGS, EXISTS, EXPUNGE, FETCH, SEARCH, LIST, STATUS,
   continuation requests), RFC 7162 VANISHED and MODSEQ, RFC 5464
   METADATA, RFC 5161 ENABLED. */

#include <glib.h>

#define HELPDESK_IMAP_PARSE_ERROR (helpdesk_imap_parse_error_quark())
GQuark helpdesk_imap_parse_error_quark(void);

typedef enum {
	/* the response does not follow the grammar */
	HELPDESK_IMAP_PARSE_ERROR_SYNTAX,
	/* nesting, literal or line beyond the limits below */
	HELPDESK_IMAP_PARSE_ERROR_LIMIT,
} HelpdeskImapParseError;

/* Limits: a response larger than this is refused (the notifier fetches
   only headers it names and METADATA entries it knows; a parsed response
   takes up to ~50 times its size). */
#define HELPDESK_IMAP_MAX_RESPONSE (1024 * 1024)
#define HELPDESK_IMAP_MAX_DEPTH 16

typedef enum {
	/* atom or number; also a flag (\Seen), and a FETCH data item name
	   with its section, e.g. BODY[HEADER.FIELDS (SUBJECT FROM)] or
	   BINARY[1]<0> (brackets read up to their match, spaces and
	   parentheses included) */
	HELPDESK_IMAP_ARG_ATOM,
	/* quoted string (unescaped) or literal; may contain NUL bytes */
	HELPDESK_IMAP_ARG_STRING,
	HELPDESK_IMAP_ARG_NIL,
	/* a parenthesized list */
	HELPDESK_IMAP_ARG_LIST,
} HelpdeskImapArgType;

typedef struct _HelpdeskImapArg HelpdeskImapArg;
struct _HelpdeskImapArg {
	HelpdeskImapArgType type;
	/* ATOM and STRING: NUL-terminated copy, len bytes (the string may
	   hold NULs); NIL and LIST: NULL */
	gchar *str;
	gsize len;
	/* LIST: the elements (HelpdeskImapArg *) */
	GPtrArray *list;
};

typedef enum {
	HELPDESK_IMAP_RESPONSE_UNTAGGED,
	HELPDESK_IMAP_RESPONSE_TAGGED,
	/* "+ text" */
	HELPDESK_IMAP_RESPONSE_CONTINUATION,
} HelpdeskImapResponseKind;

typedef struct {
	HelpdeskImapResponseKind kind;
	/* TAGGED: the tag */
	gchar *tag;
	/* "* 12 EXISTS", "* 3 FETCH (...)", "* 4 EXPUNGE": the number */
	gboolean has_number;
	guint32 number;
	/* the response's name, upper-cased: OK NO BAD BYE PREAUTH
	   CAPABILITY FLAGS EXISTS RECENT EXPUNGE FETCH VANISHED METADATA
	   ENABLED SEARCH ESEARCH LIST STATUS ...; NULL for CONTINUATION */
	gchar *name;
	/* data responses (all but OK NO BAD BYE PREAUTH): the arguments
	   after the name (for CAPABILITY and ENABLED: each an atom) */
	GPtrArray *args;
	/* status responses and CONTINUATION: the response code in brackets
	   upper-cased (UIDVALIDITY, HIGHESTMODSEQ, UIDNEXT, CAPABILITY,
	   PERMANENTFLAGS, CLOSED, NOMODSEQ, ALERT, AUTHENTICATIONFAILED,
	   ...) or NULL, its arguments (code_args, never NULL, maybe
	   empty: "[UIDVALIDITY 5]" gives one atom "5", "[PERMANENTFLAGS (\Seen
	   $X)]" one list, "[CAPABILITY IMAP4rev1 IDLE]" two atoms) and the
	   human-readable text after it ("" when none) */
	gchar *code;
	GPtrArray *code_args;
	gchar *text;
} HelpdeskImapResponse;

/* Whether the line (the bytes before its CRLF) ends in a literal
   announcement "{N}" or "{N+}": returns TRUE and N in *size_r. */
gboolean helpdesk_imap_line_literal(const gchar *line, gsize len,
				    guint64 *size_r);

/* Parse one whole response. Returns NULL with *error set (domain
   HELPDESK_IMAP_PARSE_ERROR) when it is malformed or too large. */
HelpdeskImapResponse *
helpdesk_imap_response_parse(const guchar *data, gsize len, GError **error);
void helpdesk_imap_response_free(HelpdeskImapResponse *resp);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(HelpdeskImapResponse, helpdesk_imap_response_free)

/* ATOM holding a number (at most 2^63-1; no sign, no leading "+"). */
gboolean helpdesk_imap_arg_number(const HelpdeskImapArg *arg,
				  guint64 *num_r);
/* ATOM or STRING equal to str, ignoring ASCII case. */
gboolean helpdesk_imap_arg_equals(const HelpdeskImapArg *arg,
				  const gchar *str);

/* One FETCH response: "* SEQ FETCH (UID n FLAGS (...) MODSEQ (n)
   BODY[HEADER.FIELDS (...)] {n}...)". Items not present are 0/NULL;
   unknown items are skipped. */
typedef struct {
	guint32 seq;
	guint32 uid;
	guint64 modseq;
	/* FLAGS was present: flags holds them as sent (NULL-terminated) */
	gboolean has_flags;
	gchar **flags;
	/* the first BODY[...] / BODY.PEEK[...] / BINARY[...] item's value
	   (NULL for NIL) */
	gchar *body;
	gsize body_len;
} HelpdeskImapFetch;

gboolean helpdesk_imap_fetch_parse(const HelpdeskImapResponse *resp,
				   HelpdeskImapFetch *fetch_r,
				   GError **error);
void helpdesk_imap_fetch_clear(HelpdeskImapFetch *fetch);

/* A sequence/UID set ("1:3,7,9:*" where * is max_value) as ranges, each
   lo <= hi; appended to ranges. */
typedef struct {
	guint32 lo, hi;
} HelpdeskImapRange;

gboolean helpdesk_imap_set_parse(const gchar *str, guint32 max_value,
				 GArray *ranges, GError **error);
/* "* VANISHED (EARLIER) 1:3,5": earlier_r, the UIDs appended to ranges */
gboolean helpdesk_imap_vanished_parse(const HelpdeskImapResponse *resp,
				      gboolean *earlier_r, GArray *ranges,
				      GError **error);

/* "* METADATA mailbox (entry value entry value ...)": the mailbox
   (NULL-terminated copy, "" for the server) and each entry inserted into
   entries (gchar * -> gchar *, g_free both; a NIL value as NULL). The
   unsolicited form "* METADATA mailbox entry entry" inserts the names
   with NULL values. */
gboolean helpdesk_imap_metadata_parse(const HelpdeskImapResponse *resp,
				      gchar **mailbox_r, GHashTable *entries,
				      GError **error);

/* A string as an IMAP quoted string ("..." with \\ and \" escaped), or
   NULL when it can't be one (CR, LF, NUL or more than 1000 bytes: send a
   literal then). */
gchar *helpdesk_imap_quote(const gchar *str);

/* A UTF-8 mailbox name as a command argument: modified UTF-7, quoted
   (NULL when it can't be quoted). */
gchar *helpdesk_imap_mailbox_arg(const gchar *utf8);

/* UTF-8 mailbox name to modified UTF-7 (RFC 3501 5.1.3) and back; NULL
   for invalid input. */
gchar *helpdesk_imap_utf7_encode(const gchar *utf8);
gchar *helpdesk_imap_utf7_decode(const gchar *utf7);

#endif
