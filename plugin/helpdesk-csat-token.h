#ifndef HELPDESK_CSAT_TOKEN_H
#define HELPDESK_CSAT_TOKEN_H

/* The signed sub-address of a rating link:
   SUPPORT-USER+rate-TICKET-RESOLUTION-SCORE-SIGNATURE@SUPPORT-DOMAIN,
   the signature an HMAC-SHA256 over "rate-TICKET-RESOLUTION-SCORE" with
   the server's secret (helpdesk_csat_secret), its first 64 bits in hex,
   so the address stays under SMTP's 64 characters of a local part. Pure:
   unit-tested and fuzzed. */

#define HELPDESK_CSAT_DETAIL_PREFIX "rate-"
#define HELPDESK_CSAT_MIN_SCORE 1
#define HELPDESK_CSAT_MAX_SCORE 5
/* the shortest secret helpdesk_csat_secret takes */
#define HELPDESK_CSAT_MIN_SECRET_LEN 16

struct helpdesk_csat_rating {
	uint64_t ticket, resolution;
	unsigned int score;
};

/* The detail (without the delimiter) of the link for this rating. */
const char *helpdesk_csat_detail(const char *secret,
				 const struct helpdesk_csat_rating *rating);

/* Parse and verify a detail. Returns 1 with *rating_r for a correctly
   signed one, 0 when detail is no rating's (no "rate-" prefix), -1 with
   *error_r for one that is malformed or not signed by secret. */
int helpdesk_csat_detail_parse(const char *secret, const char *detail,
			       struct helpdesk_csat_rating *rating_r,
			       const char **error_r);

#endif
