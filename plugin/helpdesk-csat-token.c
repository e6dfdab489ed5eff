/* Copyright (c) 2026 dovecot-helpdesk authors, see the included COPYING file */

/* Signed rating addresses (pure: unit-tested and fuzzed). */

#include "lib.h"
#include "str.h"
#include "strnum.h"
#include "hex-binary.h"
#include "hmac.h"
#include "sha2.h"
#include "helpdesk-csat-token.h"

/* 64 bits of the HMAC, in hex */
#define CSAT_SIG_BYTES 8
#define CSAT_SIG_HEX_LEN (CSAT_SIG_BYTES * 2)

static const char *csat_payload(const struct helpdesk_csat_rating *rating)
{
	return t_strdup_printf(HELPDESK_CSAT_DETAIL_PREFIX "%llu-%llu-%u",
			       (unsigned long long)rating->ticket,
			       (unsigned long long)rating->resolution,
			       rating->score);
}

static const unsigned char *csat_signature(const char *secret,
					   const char *payload)
{
	buffer_t *mac = t_hmac_str(&hash_method_sha256,
				   (const unsigned char *)secret,
				   strlen(secret), payload);

	i_assert(mac->used >= CSAT_SIG_BYTES);
	return mac->data;
}

const char *helpdesk_csat_detail(const char *secret,
				 const struct helpdesk_csat_rating *rating)
{
	const char *payload = csat_payload(rating);

	return t_strconcat(payload, "-",
		binary_to_hex(csat_signature(secret, payload), CSAT_SIG_BYTES),
		NULL);
}

int helpdesk_csat_detail_parse(const char *secret, const char *detail,
			       struct helpdesk_csat_rating *rating_r,
			       const char **error_r)
{
	const char *const *parts;
	const char *payload, *sig_hex;
	unsigned char sig[CSAT_SIG_BYTES];
	buffer_t buf;

	i_zero(rating_r);
	if (strncasecmp(detail, HELPDESK_CSAT_DETAIL_PREFIX,
			strlen(HELPDESK_CSAT_DETAIL_PREFIX)) != 0)
		return 0;
	parts = t_strsplit(detail + strlen(HELPDESK_CSAT_DETAIL_PREFIX), "-");
	if (str_array_length(parts) != 4 ||
	    str_to_uint64(parts[0], &rating_r->ticket) < 0 ||
	    str_to_uint64(parts[1], &rating_r->resolution) < 0 ||
	    str_to_uint(parts[2], &rating_r->score) < 0 ||
	    rating_r->ticket == 0 || rating_r->resolution == 0) {
		*error_r = "malformed rating address";
		return -1;
	}
	if (rating_r->score < HELPDESK_CSAT_MIN_SCORE ||
	    rating_r->score > HELPDESK_CSAT_MAX_SCORE) {
		*error_r = t_strdup_printf("score %u out of range",
					   rating_r->score);
		return -1;
	}
	sig_hex = parts[3];
	buffer_create_from_data(&buf, sig, sizeof(sig));
	if (strlen(sig_hex) != CSAT_SIG_HEX_LEN ||
	    hex_to_binary(sig_hex, &buf) < 0 || buf.used != CSAT_SIG_BYTES) {
		*error_r = "malformed signature";
		return -1;
	}
	/* the payload as it was signed: numbers in canonical form */
	payload = csat_payload(rating_r);
	if (!mem_equals_timing_safe(sig, csat_signature(secret, payload),
				    CSAT_SIG_BYTES)) {
		*error_r = "bad signature (forged or altered)";
		return -1;
	}
	return 1;
}
