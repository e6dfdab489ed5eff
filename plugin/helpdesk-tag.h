#ifndef HELPDESK_TAG_H
#define HELPDESK_TAG_H

/* Ticket numbers are positive and fit in a JavaScript-safe integer so that
   every client and tool (doveadm -f json included) shows them exactly. */
#define HELPDESK_TICKET_MAX 9007199254740991ULL /* 2^53 - 1 */

/* Find the first well-formed ticket tag "[#N]" in a (decoded) subject.
   N is 1..HELPDESK_TICKET_MAX written in decimal without a leading zero.
   Returns TRUE and sets *ticket_r when one is found; a malformed tag
   ("[#]", "[#0]", "[#12x]", overflow) is skipped, not an error. */
bool helpdesk_tag_parse(const char *subject, uint64_t *ticket_r);

/* Returns TRUE when the subject carries the tag of this ticket anywhere. */
bool helpdesk_tag_has(const char *subject, uint64_t ticket);

/* Returns "[#N]" allocated from the data stack. */
const char *helpdesk_tag_format(uint64_t ticket);

#endif
