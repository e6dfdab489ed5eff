#ifndef TEST_MESSAGE_H
#define TEST_MESSAGE_H

/* Reading back the messages the composers write (shared by the unit
   tests of helpdesk-autoreply.c and helpdesk-game-report.c). */

/* The value of a header in header (CRLF lines), unfolded (CRLF and the
   folding whitespace removed) and trimmed, or NULL. Data stack. */
const char *test_header(const char *header, const char *name);

/* The header block (up to the empty line, with its CRLF) and the body of
   msg; FALSE when it has no empty line. */
bool test_split(const char *msg, const char **header_r, const char **body_r);

/* body decoded from quoted-printable, NULL when it is not valid QP. Data
   stack. */
const char *test_decode_qp(const char *body);

/* Every line ends with CRLF: no bare CR or LF anywhere. */
bool test_crlf_only(const char *text);

#endif
