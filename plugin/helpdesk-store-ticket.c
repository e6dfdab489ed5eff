/* Copyright (c) 2026 dovecot-helpdesk authors, see the included COPYING file */

/* The store's tickets and messages (hd_tickets, hd_messages,
   hd_participants): what a delivery looks up and records, where the
   messages are, and the tickets as doveadm lists them. */

#include "lib.h"
#include "array.h"
#include "str.h"
#include "strnum.h"
#include "helpdesk-store.h"
#include "helpdesk-store-private.h"


static int store_parse_ticket_id(const char *value, uint64_t *ticket_r,
			const char **error_r)
{
	if (value == NULL || str_to_uint64(value, ticket_r) < 0) {
		*error_r = t_strdup_printf("invalid ticket id '%s' in store",
					   value == NULL ? "(null)" : value);
		return -1;
	}
	return 0;
}

/* The ticket columns store_parse_ticket() reads, from "t". */
#define TICKET_COLUMNS \
	"t.id, t.status, t.subject, t.requester, t.priority, t.team, " \
	"t.owner, t.tier, t.vip, t.created, t.updated, t.sla_tag"
#define TICKET_COLUMN_COUNT 12

static const char *
store_field_dup(pool_t pool, struct helpdesk_db_result *result,
		unsigned int idx)
{
	const char *value = helpdesk_db_result_value(result, idx);

	return p_strdup(pool, value == NULL ? "" : value);
}

/* Read TICKET_COLUMNS starting at column first. A NULL id (no ticket)
   leaves row_r->id 0. */
static void store_parse_ticket(struct helpdesk_db_result *result, unsigned int first,
			       pool_t pool, struct helpdesk_ticket_row *row_r)
{
	const char *value;
	unsigned int tier;

	i_zero(row_r);
	row_r->id = helpdesk_db_result_uint64(result, first);
	if (row_r->id == 0)
		return;
	value = helpdesk_db_result_value(result, first + 1);
	if (value == NULL || !helpdesk_status_parse(value, &row_r->status))
		row_r->status = HELPDESK_STATUS_OPEN;
	row_r->subject = store_field_dup(pool, result, first + 2);
	row_r->requester = store_field_dup(pool, result, first + 3);
	row_r->priority = store_field_dup(pool, result, first + 4);
	row_r->team = store_field_dup(pool, result, first + 5);
	row_r->owner = store_field_dup(pool, result, first + 6);
	tier = helpdesk_db_result_uint(result, first + 7);
	row_r->tier = tier < HELPDESK_TIER_MIN || tier > HELPDESK_TIER_MAX ?
		HELPDESK_TIER_MIN : tier;
	value = helpdesk_db_result_value(result, first + 8);
	row_r->vip = value != NULL && strcmp(value, "0") != 0 &&
		*value != '\0';
	row_r->created = helpdesk_db_result_int64(result, first + 9);
	row_r->updated = helpdesk_db_result_int64(result, first + 10);
	switch (helpdesk_db_result_uint(result, first + 11)) {
	case HELPDESK_SLA_TAG_WARN:
		row_r->sla = HELPDESK_SLA_TAG_WARN;
		break;
	case HELPDESK_SLA_TAG_BREACH:
		row_r->sla = HELPDESK_SLA_TAG_BREACH;
		break;
	default:
		row_r->sla = HELPDESK_SLA_TAG_NONE;
		break;
	}
}

/* The ticket's row, and for a follow-up the agent who writes from sender
   and the agent whose reply key was counted as, in one query. */
static int store_ticket_context(struct helpdesk_store *store, uint64_t ticket,
				const char *key, const char *sender,
				pool_t pool, struct helpdesk_store_lookup *lookup,
				struct helpdesk_ticket_row *row_r,
				const char **error_r)
{
	const char *args[] = {
		sender == NULL ? "" : sender,
		helpdesk_reply_event_key(key), t_strdup(dec2str(ticket)),
		NULL
	};
	struct helpdesk_db_result *result;
	int ret;

	result = helpdesk_db_query(store->db,
		"SELECT " TICKET_COLUMNS ", "
		"(" HELPDESK_SQL_AGENT_BY_ADDRESS "), "
		"(" HELPDESK_SQL_REPLY_ACTOR ") "
		"FROM hd_tickets t WHERE t.id = ?", args);
	ret = helpdesk_db_result_next_row(result);
	if (ret < 0)
		*error_r = t_strdup(helpdesk_db_result_error(result));
	else if (ret > 0) {
		store_parse_ticket(result, 0, pool, row_r);
		lookup->sender_agent = p_strdup(pool,
			helpdesk_db_result_value(result,
						   TICKET_COLUMN_COUNT));
		lookup->reply_actor = p_strdup(pool,
			helpdesk_db_result_value(result,
						   TICKET_COLUMN_COUNT + 1));
	}
	helpdesk_db_result_free(&result);
	return ret < 0 ? -1 : 0;
}

int helpdesk_store_lookup_message(struct helpdesk_store *store,
				  const char *key, const char *sender,
				  const char *const *ref_ids,
				  unsigned int ref_count, pool_t pool,
				  struct helpdesk_store_lookup *lookup_r,
				  const char **error_r)
{
	struct helpdesk_db_result *result;
	ARRAY_TYPE(const_string) args;
	string_t *query;
	const char *mkey, *mticket;
	uint64_t ticket, ref_ticket = 0, known_ticket = 0;
	unsigned int i, best = UINT_MAX;
	int ret;

	i_zero(lookup_r);
	if (ref_count > HELPDESK_STORE_MAX_REFS)
		ref_count = HELPDESK_STORE_MAX_REFS;

	/* the message itself and the messages it refers to, in one query
	   for every delivery (one prepared statement per number of
	   references) */
	query = t_str_new(128);
	str_append(query, "SELECT message_key, ticket_id FROM hd_messages "
		   "WHERE message_key IN (?");
	t_array_init(&args, ref_count + 2);
	array_push_back(&args, &key);
	for (i = 0; i < ref_count; i++) {
		str_append(query, ",?");
		array_push_back(&args, &ref_ids[i]);
	}
	str_append_c(query, ')');
	array_append_zero(&args);
	result = helpdesk_db_query(store->db, str_c(query), array_front(&args));

	while ((ret = helpdesk_db_result_next_row(result)) > 0) {
		mkey = helpdesk_db_result_value(result, 0);
		mticket = helpdesk_db_result_value(result, 1);
		if (mkey == NULL || mticket == NULL ||
		    str_to_uint64(mticket, &ticket) < 0)
			continue;
		if (strcmp(mkey, key) == 0) {
			lookup_r->known = TRUE;
			known_ticket = ticket;
			continue;
		}
		/* the earliest in the list wins */
		for (i = 0; i < ref_count && i < best; i++) {
			if (strcmp(ref_ids[i], mkey) != 0)
				continue;
			if (ticket != 0) {
				ref_ticket = ticket;
				best = i;
			}
			break;
		}
	}
	if (ret < 0)
		*error_r = t_strdup(helpdesk_db_result_error(result));
	helpdesk_db_result_free(&result);
	if (ret < 0)
		return -1;

	if (lookup_r->known) {
		if (known_ticket != 0 &&
		    store_ticket_context(store, known_ticket, key, sender,
					 pool, lookup_r, &lookup_r->known_row,
					 error_r) < 0)
			return -1;
		/* the ticket row is gone: keep the number */
		lookup_r->known_row.id = known_ticket;
	} else if (ref_ticket != 0) {
		if (store_ticket_context(store, ref_ticket, key, sender, pool,
					 lookup_r, &lookup_r->ref_row,
					 error_r) < 0)
			return -1;
	}
	return 0;
}

int helpdesk_store_get_ticket(struct helpdesk_store *store, uint64_t id,
			      pool_t pool, struct helpdesk_ticket_row *row_r,
			      bool *found_r, const char **error_r)
{
	const char *args[] = { dec2str(id), NULL };
	struct helpdesk_db_result *result;
	int ret;

	i_zero(row_r);
	*found_r = FALSE;
	result = helpdesk_db_query(store->db,
		"SELECT " TICKET_COLUMNS " FROM hd_tickets t WHERE t.id = ?",
		args);
	ret = helpdesk_db_result_next_row(result);
	if (ret < 0)
		*error_r = t_strdup(helpdesk_db_result_error(result));
	else if (ret > 0) {
		store_parse_ticket(result, 0, pool, row_r);
		*found_r = row_r->id != 0;
	}
	helpdesk_db_result_free(&result);
	return ret < 0 ? -1 : 0;
}

int helpdesk_store_is_participant(struct helpdesk_store *store,
				  uint64_t ticket, const char *address,
				  bool *result_r, const char **error_r)
{
	const char *args[] = { dec2str(ticket), address, NULL }, *value;
	int ret;

	ret = helpdesk_db_get_value(store->db,
		"SELECT 1 FROM hd_participants "
		"WHERE ticket_id = ? AND address = ?", args, &value, error_r);
	*result_r = ret > 0;
	return ret < 0 ? -1 : 0;
}

int helpdesk_store_adopt_ticket(struct helpdesk_store *store,
				const struct helpdesk_ticket_row *row,
				const char *origin_key, const char **error_r)
{
	const char *created = t_strdup(dec2str(row->created));
	const char *sla[STORE_SLA_NEW_COLUMNS];
	unsigned int i;

	if (row->status == HELPDESK_STATUS_NEW ||
	    row->status == HELPDESK_STATUS_OPEN) {
		/* the rebuilt ledger has no "created" event to fold: the
		   clocks start as for a new ticket at its start (a waiting
		   or resolved ticket gets them with the customer's next
		   message) */
		helpdesk_store_sla_new_ticket(store, row->priority, row->team,
					      row->vip, row->created, sla);
	} else {
		for (i = 0; i < STORE_SLA_NEW_COLUMNS; i++)
			sla[i] = "0";
	}
	{
		const char *args[] = {
			t_strdup(dec2str(row->id)), origin_key,
			row->subject == NULL ? "" : row->subject,
			row->requester == NULL ? "" : row->requester,
			helpdesk_status_name(row->status),
			row->priority == NULL ? "normal" : row->priority,
			row->team == NULL ? "" : row->team,
			row->owner == NULL ? "" : row->owner,
			t_strdup(dec2str(row->tier)), row->vip ? "1" : "0",
			created, created, sla[0], sla[1], sla[2], sla[3],
			sla[4], NULL
		};

		return helpdesk_sql_exec(store,
			"INSERT INTO hd_tickets (id, origin_key, subject, "
			"requester, status, priority, team, owner, tier, vip, "
			"created, updated, resp_start, resp_since, res_start, "
			"res_since, sla_next) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, "
			"?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING", args,
			error_r);
	}
}

int helpdesk_store_sync_sequence(struct helpdesk_store *store,
				 const char **error_r)
{
	const char *value;

	/* SQLite's AUTOINCREMENT follows explicit ids by itself */
	if (store->path != NULL)
		return 0;
	return helpdesk_db_get_value(store->db,
		"SELECT setval(pg_get_serial_sequence('hd_tickets', 'id'), "
		"(SELECT COALESCE(MAX(id), 0) + 1 FROM hd_tickets), false)",
		NULL, &value, error_r) < 0 ? -1 : 0;
}

static void store_add_locations(struct helpdesk_store *store,
				struct helpdesk_db_trans *trans)
{
	const struct store_location *loc;

	array_foreach(&store->locations, loc) {
		const char *args[] = {
			loc->guid, t_strdup(dec2str(loc->uid)), loc->key, NULL
		};
		helpdesk_db_update(trans,
			"UPDATE hd_messages SET mailbox_guid = ?, uid = ? "
			"WHERE message_key = ? AND uid = 0", args, NULL);
	}
}

static void store_clear_locations(struct helpdesk_store *store)
{
	array_clear(&store->locations);
	p_clear(store->loc_pool);
}

#define TICKET_BY_ID HELPDESK_SQL_TICKET_BY_ID
#define TICKET_BY_ORIGIN HELPDESK_SQL_TICKET_BY_ORIGIN

static void
store_add_event(struct helpdesk_db_trans *trans, bool by_origin,
		const char *kind, const char *ticket_arg, const char *actor,
		const char *message_key, const char *detail, const char *now)
{
	const char *args[] = {
		t_strconcat(kind, ":", message_key, NULL), ticket_arg,
		kind, actor, message_key, detail, now, NULL
	};

	helpdesk_db_update(trans, t_strconcat(
		"INSERT INTO hd_events (event_key, ticket_id, kind, actor, "
		"message_key, detail, created) VALUES (?, ",
		by_origin ? TICKET_BY_ORIGIN : TICKET_BY_ID,
		", ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING", NULL), args, NULL);
}

int helpdesk_store_record_message(struct helpdesk_store *store,
				  const struct helpdesk_store_message *msg,
				  uint64_t *ticket_r, bool *reopened_r,
				  const char **owner_r, const char **error_r)
{
	struct helpdesk_db_trans *trans;
	const char *now = t_strdup(dec2str(msg->now));
	const char *sender = msg->sender == NULL ? "" : msg->sender;
	const char *subject = msg->subject == NULL ? "" : msg->subject;
	const char *ticket_col, *ticket_arg, *value = NULL;
	const char *const *p;
	bool by_origin = msg->ev_created;
	bool has_ticket = msg->ticket != 0 || by_origin;
	unsigned int reopened = 0, resumed = 0, routed = 0;
	int ret;

	*ticket_r = msg->ticket;
	if (reopened_r != NULL)
		*reopened_r = FALSE;
	if (owner_r != NULL)
		*owner_r = NULL;
	ticket_col = by_origin ? TICKET_BY_ORIGIN : TICKET_BY_ID;
	ticket_arg = by_origin ? msg->key : t_strdup(dec2str(msg->ticket));

	trans = helpdesk_db_begin(store->db);
	if (by_origin) {
		const char *args[] = {
			msg->key,
			msg->ticket_subject == NULL ? "" : msg->ticket_subject,
			msg->ticket_requester == NULL ? "" :
			msg->ticket_requester,
			msg->ticket_priority == NULL ? "normal" :
			msg->ticket_priority,
			msg->ticket_team == NULL ? "" : msg->ticket_team,
			msg->ticket_vip ? "1" : "0", now, now, NULL
		};
		const char *sla[STORE_SLA_NEW_COLUMNS];
		ARRAY_TYPE(const_string) all;

		/* the clocks start with the ticket */
		helpdesk_store_sla_new_ticket(store, args[3], args[4],
					      msg->ticket_vip, msg->now, sla);
		t_array_init(&all, N_ELEMENTS(args) + STORE_SLA_NEW_COLUMNS);
		array_append(&all, args, N_ELEMENTS(args) - 1);
		array_append(&all, sla, STORE_SLA_NEW_COLUMNS);
		array_append_zero(&all);
		/* idempotent: a replay finds the ticket it opened before */
		helpdesk_db_update(trans,
			"INSERT INTO hd_tickets (origin_key, subject, "
			"requester, status, priority, team, vip, created, "
			"updated, resp_start, resp_since, res_start, res_since, "
			"sla_next) VALUES (?, ?, ?, 'new', ?, ?, ?, ?, ?, "
			"?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
			array_front(&all), NULL);
	}
	{
		const char *args[] = {
			msg->key, has_ticket ? ticket_arg : "0", sender,
			subject, msg->kind, now, NULL
		};
		helpdesk_db_update(trans, t_strconcat(
			"INSERT INTO hd_messages (message_key, ticket_id, "
			"sender, subject, kind, created) VALUES (?, ",
			has_ticket ? ticket_col : TICKET_BY_ID,
			", ?, ?, ?, ?) ON CONFLICT DO NOTHING", NULL), args, NULL);
	}
	if (has_ticket && msg->participants != NULL) {
		for (p = msg->participants; *p != NULL; p++) {
			const char *args[] = { ticket_arg, *p, NULL };

			helpdesk_db_update(trans, t_strconcat(
				"INSERT INTO hd_participants (ticket_id, "
				"address) VALUES (", ticket_col,
				", ?) ON CONFLICT DO NOTHING", NULL), args, NULL);
		}
	}
	if (has_ticket) {
		store_add_event(trans, by_origin,
				by_origin ? "created" : "message", ticket_arg,
				sender, msg->key, msg->auto_reason == NULL ? "" :
				msg->auto_reason, now);
	}
	if (msg->ticket != 0 && !by_origin) {
		const char *args[] = { now, ticket_arg, NULL };

		if (msg->customer_reply) {
			/* a resolved ticket is reopened by the state it has
			   now, not the one read before: an agent may have
			   resolved it meanwhile */
			const char *event_args[] = {
				t_strconcat("reopened:", msg->key, NULL),
				ticket_arg, "reopened", sender, msg->key,
				HELPDESK_STORE_REOPEN_CUSTOMER, now, NULL
			};

			helpdesk_ledger_update_with_event(store, trans,
				"UPDATE hd_tickets SET updated = ?, "
				"status = 'open' WHERE id = ? "
				"AND status = 'resolved'", args, event_args,
				&reopened);
		}
		if (msg->customer_reply) {
			/* the customer answered: the agent's turn again */
			helpdesk_db_update(trans, "UPDATE hd_tickets SET "
				"updated = ?, status = 'open' WHERE id = ? "
				"AND status = 'waiting'", args, &resumed);
		}
		helpdesk_db_update(trans,
			"UPDATE hd_tickets SET updated = ? WHERE id = ?",
			args, NULL);
	} else if (!has_ticket && msg->auto_reason != NULL) {
		store_add_event(trans, FALSE, "auto", "0", sender, msg->key,
				msg->auto_reason, now);
	}
	if (by_origin && msg->ticket_route) {
		/* to an agent of the team, with the ticket's own write */
		helpdesk_store_route_in(store, trans, msg->key, TRUE, msg->now,
					FALSE, &routed);
	}
	/* earlier deliveries' locations ride along */
	store_add_locations(store, trans);
	if (helpdesk_db_commit(&trans, error_r) < 0)
		return -1;
	store_clear_locations(store);
	if (reopened_r != NULL)
		*reopened_r = reopened > 0;
	if (reopened > 0 || resumed > 0)
		helpdesk_store_sla_refresh_after(store, msg->ticket, msg->now);
	if (!by_origin)
		return 0;

	{
		const char *args[] = { msg->key, NULL };
		struct helpdesk_db_result *result;

		/* the number, and the agent routing gave it to */
		result = helpdesk_db_query(store->db, "SELECT id, owner FROM "
					   "hd_tickets WHERE origin_key = ?",
					   args);
		ret = helpdesk_db_result_next_row(result);
		if (ret > 0) {
			value = t_strdup(helpdesk_db_result_value(result, 0));
			if (routed > 0 && owner_r != NULL) {
				*owner_r = t_strdup(
					helpdesk_db_result_value(result, 1));
			}
		}
		if (helpdesk_db_result_finish(&result, ret < 0 ? ret : 0,
					      error_r) < 0)
			return -1;
	}
	if (ret == 0) {
		*error_r = "ticket vanished right after it was created";
		return -1;
	}
	return store_parse_ticket_id(value, ticket_r, error_r);
}

void helpdesk_store_set_location(struct helpdesk_store *store,
				 const char *key, const char *mailbox_guid,
				 uint32_t uid)
{
	struct store_location *loc;

	if (array_count(&store->locations) >=
	    HELPDESK_STORE_MAX_PENDING_LOCATIONS) {
		/* the store has been unwritable for long: the ticket still
		   finds these messages by their header */
		array_clear(&store->locations);
		p_clear(store->loc_pool);
	}
	loc = array_append_space(&store->locations);
	loc->key = p_strdup(store->loc_pool, key);
	loc->guid = p_strdup(store->loc_pool, mailbox_guid);
	loc->uid = uid;
}

bool helpdesk_store_have_pending(struct helpdesk_store *store)
{
	return array_count(&store->locations) > 0;
}

int helpdesk_store_flush(struct helpdesk_store *store, const char **error_r)
{
	struct helpdesk_db_trans *trans;

	if (array_count(&store->locations) == 0)
		return 0;
	trans = helpdesk_db_begin(store->db);
	store_add_locations(store, trans);
	if (helpdesk_db_commit(&trans, error_r) < 0)
		return -1;
	store_clear_locations(store);
	return 0;
}

int helpdesk_store_ticket_uids(struct helpdesk_store *store, uint64_t ticket,
			       const char *mailbox_guid, pool_t pool,
			       struct helpdesk_ticket_row *row_r,
			       ARRAY_TYPE(uint32_t) *uids,
			       unsigned int *unknown_r, const char **error_r)
{
	const char *args[] = { mailbox_guid, t_strdup(dec2str(ticket)), NULL };
	struct helpdesk_db_result *result;
	const char *value;
	uint32_t uid;
	int ret;

	if (helpdesk_store_flush(store, error_r) < 0)
		return -1;
	i_zero(row_r);
	*unknown_r = 0;
	/* the ticket and where its messages are, in one query */
	result = helpdesk_db_query(store->db,
		"SELECT " TICKET_COLUMNS ", m.uid FROM hd_tickets t "
		"LEFT JOIN hd_messages m ON m.ticket_id = t.id "
		"AND (m.mailbox_guid = ? OR m.uid = 0) WHERE t.id = ?", args);
	while ((ret = helpdesk_db_result_next_row(result)) > 0) {
		if (row_r->id == 0)
			store_parse_ticket(result, 0, pool, row_r);
		value = helpdesk_db_result_value(result,
						   TICKET_COLUMN_COUNT);
		if (value == NULL || str_to_uint32(value, &uid) < 0)
			continue;
		if (uid == 0)
			(*unknown_r)++;
		else
			array_push_back(uids, &uid);
	}
	return helpdesk_db_result_finish(&result, ret, error_r);
}

int helpdesk_store_add_copy(struct helpdesk_store *store, const char *key,
			    uint64_t ticket, const char *mailbox_guid,
			    uint32_t uid, int64_t now, const char **error_r)
{
	const char *uid_str = t_strdup(dec2str(uid));
	const char *args[] = {
		t_strdup_printf("%s\x01%s:%s", key, mailbox_guid, uid_str),
		t_strdup(dec2str(ticket)), mailbox_guid, uid_str,
		t_strdup(dec2str(now)), NULL
	};

	/* Never the first copy's row, even when its place is still unknown:
	   another process may be about to write it. (One that was lost
	   keeps uid 0, and the ticket's messages are then also found by
	   their header.) */
	return helpdesk_sql_exec(store,
		"INSERT INTO hd_messages (message_key, ticket_id, kind, "
		"mailbox_guid, uid, created) VALUES (?, ?, 'copy', ?, ?, ?) "
		"ON CONFLICT DO NOTHING", args, error_r);
}

int helpdesk_store_move_location(struct helpdesk_store *store,
				 const char *key, const char *mailbox_guid,
				 uint32_t uid, const char **error_r)
{
	const char *args[] = {
		mailbox_guid, t_strdup(dec2str(uid)), key, NULL
	};

	return helpdesk_sql_exec(store,
		"UPDATE hd_messages SET mailbox_guid = ?, uid = ? "
		"WHERE message_key = ?", args, error_r);
}

int helpdesk_store_ticket_list(struct helpdesk_store *store,
			       const char *status, uint64_t id,
			       unsigned int limit, pool_t pool,
			       ARRAY_TYPE(helpdesk_store_ticket_summary) *list,
			       const char **error_r)
{
	const char *args[] = {
		status == NULL ? "" : status, status == NULL ? "" : status,
		status == NULL ? "" : status, status == NULL ? "" : status,
		t_strdup(dec2str(id)), t_strdup(dec2str(id)),
		t_strdup(dec2str(limit)), NULL
	};
	struct helpdesk_store_ticket_summary *summary;
	struct helpdesk_db_result *result;
	int ret;

	result = helpdesk_db_query(store->db,
		"SELECT " TICKET_COLUMNS ", (SELECT COUNT(*) FROM hd_messages m "
		"WHERE m.ticket_id = t.id AND m.kind != 'copy') "
		"FROM hd_tickets t WHERE (? = '' OR t.status = ? "
		"OR (? = 'warn' AND t.sla_tag = 1) "
		"OR (? = 'breach' AND t.sla_tag = 2)) "
		"AND (CAST(? AS BIGINT) = 0 OR t.id = CAST(? AS BIGINT)) "
		"ORDER BY t.id LIMIT CAST(? AS BIGINT)", args);
	while ((ret = helpdesk_db_result_next_row(result)) > 0) {
		summary = array_append_space(list);
		store_parse_ticket(result, 0, pool, &summary->row);
		summary->messages = helpdesk_db_result_uint(result,
			TICKET_COLUMN_COUNT);
	}
	return helpdesk_db_result_finish(&result, ret, error_r);
}
