/* Copyright (c) 2026 dovecot-helpdesk authors, see the included COPYING file */

/* The store's customers: VIPs (hd_vips), acknowledgements sent
   (hd_acks, the rate limit) and satisfaction ratings (hd_ratings, with
   the "csat-requested" and "rated" events). */

#include "lib.h"
#include "array.h"
#include "str.h"
#include "strnum.h"
#include "helpdesk-store.h"
#include "helpdesk-store-private.h"
#include "helpdesk-customer.h"

/* The entries that cover an address: itself, its domain and the domain's
   parents (a.b.example.com: b.example.com, example.com, com). */
#define STORE_VIP_MAX_CANDIDATES 8

#define STORE_CSAT_REQUESTED "csat-requested"
#define STORE_CSAT_RATED "rated"

int helpdesk_store_vip_add(struct helpdesk_store *store, const char *entry,
			   const char *note, int64_t now, bool *added_r,
			   const char **error_r)
{
	struct helpdesk_db_trans *trans;
	const char *lentry = t_str_lcase(entry);
	const char *ins_args[] = { lentry, note, dec2str(now), NULL };
	const char *upd_args[] = { note, lentry, NULL };
	unsigned int inserted = 0;

	*added_r = FALSE;
	trans = helpdesk_db_begin(store->db);
	helpdesk_db_update(trans, "INSERT INTO hd_vips (entry, note, created) "
			   "VALUES (?, ?, ?) ON CONFLICT (entry) DO NOTHING",
			   ins_args, &inserted);
	helpdesk_db_update(trans, "UPDATE hd_vips SET note = ? WHERE entry = ?",
			   upd_args, NULL);
	if (helpdesk_db_commit(&trans, error_r) < 0)
		return -1;
	*added_r = inserted > 0;
	return 0;
}

int helpdesk_store_vip_remove(struct helpdesk_store *store,
			      const char *entry, bool *removed_r,
			      const char **error_r)
{
	struct helpdesk_db_trans *trans;
	const char *args[] = { t_str_lcase(entry), NULL };
	unsigned int rows = 0;

	*removed_r = FALSE;
	trans = helpdesk_db_begin(store->db);
	helpdesk_db_update(trans, "DELETE FROM hd_vips WHERE entry = ?", args,
			   &rows);
	if (helpdesk_db_commit(&trans, error_r) < 0)
		return -1;
	*removed_r = rows > 0;
	return 0;
}

int helpdesk_store_vip_list(struct helpdesk_store *store, pool_t pool,
			    ARRAY_TYPE(helpdesk_store_vip) *vips,
			    const char **error_r)
{
	struct helpdesk_db_result *result;
	struct helpdesk_store_vip *vip;
	int ret;

	result = helpdesk_db_query(store->db, "SELECT entry, note, created "
				   "FROM hd_vips ORDER BY entry", NULL);
	while ((ret = helpdesk_db_result_next_row(result)) > 0) {
		vip = array_append_space(vips);
		vip->entry = p_strdup(pool, helpdesk_db_result_value(result, 0));
		vip->note = p_strdup(pool, helpdesk_db_result_value(result, 1));
		vip->created = helpdesk_db_result_int64(result, 2);
	}
	return helpdesk_db_result_finish(&result, ret, error_r);
}

/* The query that finds any of count VIP entries. */
static const char *store_vip_query(unsigned int count)
{
	string_t *query = t_str_new(128);
	unsigned int i;

	str_append(query, "SELECT 1 FROM hd_vips WHERE entry IN (");
	for (i = 0; i < count; i++)
		str_append(query, i == 0 ? "?" : ", ?");
	str_append(query, ") LIMIT 1");
	return str_c(query);
}

int helpdesk_store_customer(struct helpdesk_store *store,
			    const char *address, pool_t pool,
			    struct helpdesk_customer_facts *facts_r,
			    const char **error_r)
{
	const char *addr = t_str_lcase(address), *domain, *value;
	const char *cand[STORE_VIP_MAX_CANDIDATES + 1];
	const char *args[] = { addr, NULL };
	unsigned int count = 0;
	int ret;

	i_zero(facts_r);
	domain = strrchr(addr, '@');
	if (domain == NULL || domain == addr || domain[1] == '\0') {
		*error_r = t_strdup_printf("not an address: %s", address);
		return -1;
	}
	cand[count++] = addr;
	for (domain++; domain != NULL && *domain != '\0' &&
	     count < STORE_VIP_MAX_CANDIDATES; ) {
		cand[count++] = domain;
		domain = strchr(domain, '.');
		if (domain != NULL)
			domain++;
	}
	cand[count] = NULL;
	if ((ret = helpdesk_db_get_value(store->db, store_vip_query(count),
					 cand, &value, error_r)) < 0)
		return -1;
	facts_r->vip = ret > 0;

	if ((ret = helpdesk_db_get_value(store->db,
			"SELECT id FROM hd_tickets WHERE requester = ? AND "
			"status != 'resolved' ORDER BY id DESC LIMIT 1",
			args, &value, error_r)) < 0)
		return -1;
	if (ret > 0 && value != NULL &&
	    str_to_uint64(value, &facts_r->open_ticket) < 0)
		facts_r->open_ticket = 0;

	if ((ret = helpdesk_db_get_value(store->db,
			"SELECT team FROM hd_tickets WHERE requester = ? AND "
			"team != '' ORDER BY id DESC LIMIT 1",
			args, &value, error_r)) < 0)
		return -1;
	if (ret > 0 && value != NULL)
		facts_r->last_team = p_strdup(pool, value);
	return 0;
}

int helpdesk_store_ack_allow(struct helpdesk_store *store,
			     const char *address, int64_t now,
			     unsigned int window_secs, unsigned int limit,
			     bool *allowed_r, const char **error_r)
{
	struct helpdesk_db_trans *trans;
	const char *addr = t_str_lcase(address);
	const char *since = dec2str(now - (int64_t)window_secs);
	const char *prune_args[] = { addr, since, NULL };
	const char *ins_args[] = {
		addr, dec2str(now), addr, since, dec2str(limit), NULL
	};
	unsigned int rows = 0;

	*allowed_r = FALSE;
	trans = helpdesk_db_begin(store->db);
	/* what fell out of the window is of no use any more */
	helpdesk_db_update(trans, "DELETE FROM hd_acks WHERE address = ? "
			   "AND sent <= ?", prune_args, NULL);
	helpdesk_db_update(trans, "INSERT INTO hd_acks (address, sent) "
			   "SELECT CAST(? AS TEXT), CAST(? AS BIGINT) WHERE "
			   "(SELECT COUNT(*) FROM hd_acks WHERE address = ? "
			   "AND sent > ?) < CAST(? AS BIGINT)",
			   ins_args, &rows);
	if (helpdesk_db_commit(&trans, error_r) < 0)
		return -1;
	*allowed_r = rows > 0;
	return 0;
}

static const char *store_csat_request_key(uint64_t ticket,
					  uint64_t resolution)
{
	return t_strdup_printf("csat:%llu:%llu", (unsigned long long)ticket,
			       (unsigned long long)resolution);
}

/* The id of the ticket's latest "resolved" event (0: none). */
static int store_csat_resolution(struct helpdesk_store *store,
				 uint64_t ticket, uint64_t *resolution_r,
				 const char **error_r)
{
	const char *args[] = { dec2str(ticket), NULL }, *value;
	int ret;

	*resolution_r = 0;
	ret = helpdesk_db_get_value(store->db, "SELECT MAX(id) FROM hd_events "
				    "WHERE ticket_id = ? AND kind = 'resolved'",
				    args, &value, error_r);
	if (ret < 0)
		return -1;
	if (ret > 0 && value != NULL &&
	    str_to_uint64(value, resolution_r) < 0)
		*resolution_r = 0;
	return 0;
}

int helpdesk_store_csat_request(struct helpdesk_store *store,
				uint64_t ticket, int64_t now,
				uint64_t *resolution_r, bool *first_r,
				const char **error_r)
{
	struct helpdesk_db_trans *trans;
	const char *args[8];
	unsigned int rows = 0;

	*first_r = FALSE;
	if (store_csat_resolution(store, ticket, resolution_r, error_r) < 0)
		return -1;
	if (*resolution_r == 0)
		return 0;
	/* the owner at the resolution is the one rated */
	args[0] = store_csat_request_key(ticket, *resolution_r);
	args[1] = dec2str(*resolution_r);
	args[2] = dec2str(now);
	args[3] = dec2str(ticket);
	args[4] = NULL;
	trans = helpdesk_db_begin(store->db);
	helpdesk_db_update(trans, "INSERT INTO hd_events (event_key, "
		"ticket_id, kind, actor, message_key, detail, created) "
		"SELECT CAST(? AS TEXT), id, '" STORE_CSAT_REQUESTED "', "
		"owner, '', CAST(? AS TEXT), CAST(? AS BIGINT) "
		"FROM hd_tickets WHERE id = CAST(? AS BIGINT) "
		"ON CONFLICT (event_key) DO NOTHING", args, &rows);
	if (helpdesk_db_commit(&trans, error_r) < 0)
		return -1;
	*first_r = rows > 0;
	return 0;
}

const char *helpdesk_csat_result_name(enum helpdesk_csat_result result)
{
	switch (result) {
	case HELPDESK_CSAT_RECORDED:
		return "recorded";
	case HELPDESK_CSAT_REPLACED:
		return "replaced an earlier rating";
	case HELPDESK_CSAT_DUPLICATE:
		return "already recorded";
	case HELPDESK_CSAT_STALE:
		return "not the ticket's latest resolution";
	case HELPDESK_CSAT_UNKNOWN:
		return "no rating was asked for this resolution";
	}
	i_unreached();
}

int helpdesk_store_csat_record(struct helpdesk_store *store, uint64_t ticket,
			       uint64_t resolution, unsigned int score,
			       const char *message_key, int64_t now,
			       enum helpdesk_csat_result *result_r,
			       const char **error_r)
{
	struct helpdesk_db_trans *trans;
	const char *key_args[2], *args[8], *owner, *old_score;
	const char *event_key = t_strconcat("rated:", message_key, NULL);
	uint64_t latest;
	int ret;

	/* asked for, with the owner then */
	key_args[0] = store_csat_request_key(ticket, resolution);
	key_args[1] = NULL;
	if ((ret = helpdesk_db_get_value(store->db, "SELECT actor FROM "
			"hd_events WHERE event_key = ?", key_args, &owner,
			error_r)) < 0)
		return -1;
	if (ret == 0) {
		*result_r = HELPDESK_CSAT_UNKNOWN;
		return 0;
	}
	owner = t_strdup(owner == NULL ? "" : owner);
	if (store_csat_resolution(store, ticket, &latest, error_r) < 0)
		return -1;
	if (latest != resolution) {
		*result_r = HELPDESK_CSAT_STALE;
		return 0;
	}
	key_args[0] = event_key;
	if ((ret = helpdesk_db_get_value(store->db, "SELECT 1 FROM hd_events "
			"WHERE event_key = ?", key_args, &old_score,
			error_r)) < 0)
		return -1;
	if (ret > 0) {
		*result_r = HELPDESK_CSAT_DUPLICATE;
		return 0;
	}
	args[0] = dec2str(ticket);
	args[1] = dec2str(resolution);
	args[2] = NULL;
	if ((ret = helpdesk_db_get_value(store->db, "SELECT score FROM "
			"hd_ratings WHERE ticket_id = ? AND resolution = ?",
			args, &old_score, error_r)) < 0)
		return -1;
	*result_r = ret > 0 ? HELPDESK_CSAT_REPLACED : HELPDESK_CSAT_RECORDED;

	trans = helpdesk_db_begin(store->db);
	args[0] = dec2str(ticket);
	args[1] = dec2str(resolution);
	args[2] = dec2str(score);
	args[3] = owner;
	args[4] = message_key;
	args[5] = dec2str(now);
	args[6] = dec2str(ticket);
	args[7] = NULL;
	helpdesk_db_update(trans, "INSERT INTO hd_ratings (ticket_id, "
		"resolution, score, owner, team, message_key, created) "
		"SELECT CAST(? AS BIGINT), CAST(? AS BIGINT), "
		"CAST(? AS INTEGER), CAST(? AS TEXT), team, CAST(? AS TEXT), "
		"CAST(? AS BIGINT) FROM hd_tickets WHERE id = CAST(? AS BIGINT) "
		"ON CONFLICT (ticket_id, resolution) DO UPDATE SET "
		"score = excluded.score, message_key = excluded.message_key, "
		"created = excluded.created", args, NULL);
	{
		const char *ev_args[] = {
			event_key, dec2str(ticket), STORE_CSAT_RATED, owner,
			message_key, dec2str(score), dec2str(now), NULL
		};
		helpdesk_db_update(trans, HELPDESK_SQL_ACTION_EVENT, ev_args,
				   NULL);
	}
	return helpdesk_db_commit(&trans, error_r);
}

int helpdesk_store_csat_score(struct helpdesk_store *store, uint64_t ticket,
			      unsigned int *score_r, const char **error_r)
{
	const char *args[] = { dec2str(ticket), NULL }, *value;
	int ret;

	*score_r = 0;
	ret = helpdesk_db_get_value(store->db, "SELECT score FROM hd_ratings "
				    "WHERE ticket_id = ? ORDER BY resolution "
				    "DESC LIMIT 1", args, &value, error_r);
	if (ret < 0)
		return -1;
	if (ret > 0 && value != NULL && str_to_uint(value, score_r) < 0)
		*score_r = 0;
	return 0;
}
