/* Copyright (c) 2026 dovecot-helpdesk authors, see the included COPYING file */

/* Agents' actions on tickets, agents and teams: every change goes with its
   event in the ledger, in one transaction. */

#include "lib.h"
#include "array.h"
#include "str.h"
#include "strnum.h"
#include "guid.h"
#include "helpdesk-store.h"
#include "helpdesk-store-private.h"

static const char *const action_event_names[] = {
	[HELPDESK_ACTION_UNCLAIM] = "unclaimed",
	[HELPDESK_ACTION_ASSIGN] = "assigned",
	[HELPDESK_ACTION_RESOLVE] = "resolved",
	[HELPDESK_ACTION_REOPEN] = "reopened",
	[HELPDESK_ACTION_ESCALATE] = "escalated",
	[HELPDESK_ACTION_PRIORITY] = "priority",
	[HELPDESK_ACTION_VIP] = "vip",
	[HELPDESK_ACTION_UNVIP] = "vip-removed",
	[HELPDESK_ACTION_TEAM] = "team",
	[HELPDESK_ACTION_REPLY] = "replied",
};

const char *helpdesk_action_event_name(enum helpdesk_action_kind kind)
{
	i_assert((unsigned int)kind < N_ELEMENTS(action_event_names) &&
		 action_event_names[kind] != NULL);
	return action_event_names[kind];
}

/* Is the action a no-op on this ticket? Then nothing is written. */
static bool action_is_noop(enum helpdesk_action_kind kind, const char *arg,
			   const struct helpdesk_ticket_row *row)
{
	switch (kind) {
	case HELPDESK_ACTION_UNCLAIM:
		return strcmp(row->owner, arg) != 0;
	case HELPDESK_ACTION_ASSIGN:
		return strcmp(row->owner, arg) == 0;
	case HELPDESK_ACTION_RESOLVE:
		return row->status == HELPDESK_STATUS_RESOLVED;
	case HELPDESK_ACTION_REOPEN:
		return row->status != HELPDESK_STATUS_RESOLVED;
	case HELPDESK_ACTION_ESCALATE:
		return row->tier >= HELPDESK_TIER_MAX;
	case HELPDESK_ACTION_PRIORITY:
		return strcmp(row->priority, arg) == 0;
	case HELPDESK_ACTION_VIP:
		return row->vip;
	case HELPDESK_ACTION_UNVIP:
		return !row->vip;
	case HELPDESK_ACTION_TEAM:
		return strcmp(row->team, arg) == 0;
	case HELPDESK_ACTION_REPLY:
		break;
	}
	return FALSE;
}

/* The UPDATE of an action: parameters are "now" first, then the ones the
   SET clause names in its text order, then the ticket id. */
static const char *
action_update(enum helpdesk_action_kind kind, const char **set_arg_r)
{
	*set_arg_r = NULL;
	switch (kind) {
	case HELPDESK_ACTION_UNCLAIM:
		/* back into the unassigned pool */
		return "owner = '', status = CASE status WHEN 'resolved' "
			"THEN status ELSE 'new' END";
	case HELPDESK_ACTION_ASSIGN:
		*set_arg_r = "arg";
		return "owner = ?, status = CASE status WHEN 'new' "
			"THEN 'open' ELSE status END";
	case HELPDESK_ACTION_RESOLVE:
		return "status = 'resolved'";
	case HELPDESK_ACTION_REOPEN:
		return "status = 'open'";
	case HELPDESK_ACTION_ESCALATE:
		/* one tier up, to that tier's team if there is one */
		return "tier = tier + 1, team = COALESCE((SELECT name FROM "
			"hd_teams WHERE hd_teams.tier = hd_tickets.tier + 1 "
			"ORDER BY name LIMIT 1), team)";
	case HELPDESK_ACTION_PRIORITY:
		*set_arg_r = "arg";
		return "priority = ?";
	case HELPDESK_ACTION_VIP:
		return "vip = 1";
	case HELPDESK_ACTION_UNVIP:
		return "vip = 0";
	case HELPDESK_ACTION_TEAM:
		*set_arg_r = "arg";
		return "team = ?";
	case HELPDESK_ACTION_REPLY:
		/* an agent answered: waiting on the customer (a resolved
		   ticket stays resolved); an unowned ticket becomes the
		   replying agent's */
		*set_arg_r = "actor";
		return "status = CASE status WHEN 'resolved' THEN status "
			"ELSE 'waiting' END, owner = CASE owner WHEN '' "
			"THEN ? ELSE owner END";
	}
	i_unreached();
}

/* The condition under which the action changes the ticket (the no-op
   check again, inside the write: another agent may have done it since
   it was read), with its parameters bound by action_bind_update(). */
static const char *action_guard(enum helpdesk_action_kind kind)
{
	switch (kind) {
	case HELPDESK_ACTION_UNCLAIM:
		return " AND owner = ?";
	case HELPDESK_ACTION_ASSIGN:
		return " AND owner != ?";
	case HELPDESK_ACTION_RESOLVE:
		return " AND status != 'resolved'";
	case HELPDESK_ACTION_REOPEN:
		return " AND status = 'resolved'";
	case HELPDESK_ACTION_ESCALATE:
		return " AND tier < 4";
	case HELPDESK_ACTION_PRIORITY:
		return " AND priority != ?";
	case HELPDESK_ACTION_VIP:
		return " AND vip = 0";
	case HELPDESK_ACTION_UNVIP:
		return " AND vip != 0";
	case HELPDESK_ACTION_TEAM:
		return " AND team != ?";
	case HELPDESK_ACTION_REPLY:
		/* counted once */
		return " AND NOT EXISTS (SELECT 1 FROM hd_events "
			"WHERE event_key = ?)";
	}
	i_unreached();
}

/* Bind the UPDATE's parameters: "now", the SET clause's one, the ticket,
   the guard's one. Returns the next index. */
static unsigned int
action_bind_update(struct sql_statement *stmt, enum helpdesk_action_kind kind,
		   const char *set_arg, const char *now_str, const char *actor,
		   const char *arg, const char *ticket_str,
		   const char *event_key)
{
	unsigned int idx = 0;

	sql_statement_bind_str(stmt, idx++, now_str);
	if (set_arg != NULL) {
		sql_statement_bind_str(stmt, idx++,
				       strcmp(set_arg, "arg") == 0 ? arg : actor);
	}
	sql_statement_bind_str(stmt, idx++, ticket_str);
	switch (kind) {
	case HELPDESK_ACTION_UNCLAIM:
	case HELPDESK_ACTION_ASSIGN:
	case HELPDESK_ACTION_PRIORITY:
	case HELPDESK_ACTION_TEAM:
		sql_statement_bind_str(stmt, idx++, arg);
		break;
	case HELPDESK_ACTION_REPLY:
		sql_statement_bind_str(stmt, idx++, event_key);
		break;
	default:
		break;
	}
	return idx;
}

int helpdesk_store_ticket_action(struct helpdesk_store *store,
				 uint64_t ticket,
				 enum helpdesk_action_kind kind,
				 const char *actor, const char *arg,
				 int64_t now, bool *changed_r,
				 const char **error_r)
{
	struct sql_transaction_context *trans;
	struct sql_statement *stmt;
	struct helpdesk_ticket_row row;
	const char *ticket_str = t_strdup(dec2str(ticket));
	const char *now_str = t_strdup(dec2str(now));
	const char *set, *set_arg, *event_key, *detail, *message_key = "";
	const char *update;
	unsigned int rows = 0, idx;
	bool found;

	*changed_r = FALSE;
	if (arg == NULL)
		arg = "";
	if (kind == HELPDESK_ACTION_REPLY) {
		/* counted once, however often the reply is seen */
		message_key = arg;
		event_key = helpdesk_reply_event_key(arg);
		detail = "";
	} else {
		if (helpdesk_store_get_ticket(store, ticket,
					      pool_datastack_create(), &row,
					      &found, error_r) < 0)
			return -1;
		if (!found || action_is_noop(kind, arg, &row))
			return 0;
		/* every action is an event of its own, even the same one
		   twice in a second */
		event_key = t_strdup_printf("%s:%s:%s:%s:%s",
			helpdesk_action_event_name(kind), ticket_str, actor,
			helpdesk_store_unique_id(), arg);
		detail = kind == HELPDESK_ACTION_ESCALATE ?
			t_strdup_printf("tier %u", row.tier + 1) : arg;
	}

	set = action_update(kind, &set_arg);
	update = t_strconcat("UPDATE hd_tickets SET updated = ?, ", set,
			     " WHERE id = ?", action_guard(kind), NULL);
	trans = sql_transaction_begin(store->db);
	if (strcmp(store->driver, "pgsql") == 0) {
		/* one statement: the event only when the update changed the
		   ticket (concurrent agents: the second finds it done) */
		stmt = sql_statement_init(store->db, t_strconcat(
			"WITH u AS (", update, " RETURNING id) "
			HELPDESK_SQL_ACTION_EVENT " FROM u "
			"ON CONFLICT DO NOTHING", NULL));
	} else {
		stmt = sql_statement_init(store->db, update);
	}
	idx = action_bind_update(stmt, kind, set_arg, now_str, actor, arg,
				 ticket_str, event_key);
	if (strcmp(store->driver, "pgsql") != 0) {
		sql_update_stmt_get_rows(trans, &stmt, &rows);
		/* SQLite: changes() is what the UPDATE just before in this
		   transaction changed */
		stmt = sql_statement_init(store->db,
			HELPDESK_SQL_ACTION_EVENT " WHERE changes() > 0 "
			"ON CONFLICT DO NOTHING");
		idx = 0;
	}
	sql_statement_bind_str(stmt, idx++, event_key);
	sql_statement_bind_str(stmt, idx++, ticket_str);
	sql_statement_bind_str(stmt, idx++, helpdesk_action_event_name(kind));
	sql_statement_bind_str(stmt, idx++, actor);
	sql_statement_bind_str(stmt, idx++, message_key);
	sql_statement_bind_str(stmt, idx++, detail);
	sql_statement_bind_str(stmt, idx++, now_str);
	if (strcmp(store->driver, "pgsql") == 0)
		sql_update_stmt_get_rows(trans, &stmt, &rows);
	else
		sql_update_stmt(trans, &stmt);
	if (helpdesk_sql_commit(store, &trans, error_r) < 0)
		return -1;
	*changed_r = rows > 0;
	return 0;
}

/* The first two columns of a one-row query (data stack; NULL for SQL
   NULL or no row). */
static int store_get_pair(struct helpdesk_store *store, const char *query,
			  const char *const *args, const char **first_r,
			  const char **second_r, const char **error_r)
{
	struct sql_result *result;
	int ret;

	*first_r = *second_r = NULL;
	result = helpdesk_sql_query(store, query, args);
	ret = sql_result_next_row(result);
	if (ret < 0)
		*error_r = t_strdup(sql_result_get_error(result));
	else if (ret > 0) {
		*first_r = t_strdup(sql_result_get_field_value(result, 0));
		*second_r = t_strdup(sql_result_get_field_value(result, 1));
	}
	sql_result_unref(result);
	return ret < 0 ? -1 : 0;
}

static bool count_is_nonzero(const char *value)
{
	return value != NULL && strcmp(value, "0") != 0;
}

int helpdesk_store_agent_get(struct helpdesk_store *store,
			     const char *username, const char **role_r,
			     bool *any_r, const char **error_r)
{
	const char *args[] = { username, NULL }, *count;

	if (store_get_pair(store, "SELECT (SELECT COUNT(*) FROM hd_agents), "
			   "(SELECT role FROM hd_agents WHERE username = ?)",
			   args, &count, role_r, error_r) < 0)
		return -1;
	*any_r = count_is_nonzero(count);
	return 0;
}

int helpdesk_store_agent_by_address(struct helpdesk_store *store,
				    const char *address,
				    const char **username_r,
				    const char **error_r)
{
	const char *args[] = { address, NULL };

	return helpdesk_sql_get_value(store, HELPDESK_SQL_AGENT_BY_ADDRESS,
				      args, username_r, error_r) < 0 ? -1 : 0;
}

int helpdesk_store_team_get(struct helpdesk_store *store, const char *name,
			    bool *found_r, bool *any_r, const char **error_r)
{
	const char *args[] = { name, NULL }, *count, *found;

	if (store_get_pair(store, "SELECT (SELECT COUNT(*) FROM hd_teams), "
			   "(SELECT COUNT(*) FROM hd_teams WHERE name = ?)",
			   args, &count, &found, error_r) < 0)
		return -1;
	*any_r = count_is_nonzero(count);
	*found_r = count_is_nonzero(found);
	return 0;
}

int helpdesk_store_agent_set(struct helpdesk_store *store,
			     const char *username, const char *address,
			     const char *team, bool lead, int64_t now,
			     const char **error_r)
{
	const char *now_str = t_strdup(dec2str(now));
	const char *role = lead ? "lead" : "agent";
	const char *args[] = {
		username, address, team, role, now_str,
		address, team, role, NULL
	};

	return helpdesk_sql_exec(store,
		"INSERT INTO hd_agents (username, address, team, role, created) "
		"VALUES (?, ?, ?, ?, ?) ON CONFLICT (username) DO UPDATE SET "
		"address = ?, team = ?, role = ?", args, error_r);
}

int helpdesk_store_agent_remove(struct helpdesk_store *store,
				const char *username, bool *removed_r,
				const char **error_r)
{
	struct sql_transaction_context *trans;
	struct sql_statement *stmt;
	unsigned int rows = 0;

	trans = sql_transaction_begin(store->db);
	stmt = sql_statement_init(store->db,
				  "DELETE FROM hd_agents WHERE username = ?");
	sql_statement_bind_str(stmt, 0, username);
	sql_update_stmt_get_rows(trans, &stmt, &rows);
	if (helpdesk_sql_commit(store, &trans, error_r) < 0)
		return -1;
	*removed_r = rows > 0;
	return 0;
}

int helpdesk_store_team_set(struct helpdesk_store *store, const char *name,
			    unsigned int tier, const char *description,
			    int64_t now, const char **error_r)
{
	const char *tier_str = t_strdup(dec2str(tier));
	const char *args[] = {
		name, tier_str, description, t_strdup(dec2str(now)),
		tier_str, description, NULL
	};

	return helpdesk_sql_exec(store,
		"INSERT INTO hd_teams (name, tier, description, created) "
		"VALUES (?, ?, ?, ?) ON CONFLICT (name) DO UPDATE SET "
		"tier = ?, description = ?", args, error_r);
}

const char *helpdesk_reply_event_key(const char *message_key)
{
	return t_strconcat("replied:", message_key, NULL);
}

int helpdesk_store_reply_actor(struct helpdesk_store *store,
			       const char *message_key, const char **actor_r,
			       const char **error_r)
{
	const char *args[] = { helpdesk_reply_event_key(message_key), NULL };

	return helpdesk_sql_get_value(store, HELPDESK_SQL_REPLY_ACTOR,
				      args, actor_r, error_r) < 0 ? -1 : 0;
}

const char *helpdesk_store_unique_id(void)
{
	guid_128_t guid;

	guid_128_generate(guid);
	return guid_128_to_string(guid);
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

/* The first of tickets that is not in the store (0: all are). */
static int store_find_missing(struct helpdesk_store *store,
			      const ARRAY_TYPE(uint64_t) *tickets,
			      uint64_t *missing_r, const char **error_r)
{
	const char *args[2] = { NULL, NULL }, *value;
	uint64_t ticket;

	*missing_r = 0;
	array_foreach_elem(tickets, ticket) {
		args[0] = dec2str(ticket);
		if (helpdesk_sql_get_value(store,
				"SELECT 1 FROM hd_tickets WHERE id = ?", args,
				&value, error_r) < 0)
			return -1;
		if (value == NULL) {
			*missing_r = ticket;
			break;
		}
	}
	return 0;
}

int helpdesk_store_check_actor(struct helpdesk_store *store,
			       const char *username,
			       const ARRAY_TYPE(uint64_t) *tickets,
			       const char **role_r, bool *any_r,
			       uint64_t *missing_r, const char **error_r)
{
	struct sql_statement *stmt;
	struct sql_result *result;
	string_t *query;
	const char *value;
	uint64_t ticket, found = 0;
	unsigned int idx = 0, count = array_count(tickets);
	int ret;

	*role_r = NULL;
	*any_r = FALSE;
	*missing_r = 0;
	/* the agent, and how many of the tickets exist, in one query */
	query = t_str_new(256);
	str_append(query, "SELECT (SELECT COUNT(*) FROM hd_agents), "
		   "(SELECT role FROM hd_agents WHERE username = ?), "
		   "(SELECT COUNT(*) FROM hd_tickets WHERE id IN (");
	for (idx = 0; idx < count; idx++)
		str_append(query, idx == 0 ? "?" : ",?");
	str_append(query, count == 0 ? "0))" : "))");
	stmt = sql_statement_init(store->db, str_c(query));
	idx = 0;
	sql_statement_bind_str(stmt, idx++, username);
	array_foreach_elem(tickets, ticket)
		sql_statement_bind_str(stmt, idx++, t_strdup(dec2str(ticket)));
	result = sql_statement_query_s(&stmt);
	ret = sql_result_next_row(result);
	if (ret < 0)
		*error_r = t_strdup(sql_result_get_error(result));
	else if (ret > 0) {
		value = sql_result_get_field_value(result, 0);
		*any_r = count_is_nonzero(value);
		value = sql_result_get_field_value(result, 1);
		*role_r = value == NULL ? NULL : t_strdup(value);
		value = sql_result_get_field_value(result, 2);
		if (value == NULL || str_to_uint64(value, &found) < 0)
			found = 0;
	}
	sql_result_unref(result);
	if (ret < 0)
		return -1;
	/* tickets are distinct: fewer found means one is missing (rare:
	   look for which) */
	if (found < count)
		return store_find_missing(store, tickets, missing_r, error_r);
	return 0;
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

/* The first column of every row of a query, in order. */
static int store_get_column(struct helpdesk_store *store, const char *query,
			    pool_t pool, ARRAY_TYPE(const_string) *values,
			    const char **error_r)
{
	struct sql_result *result;
	const char *value;
	int ret;

	result = helpdesk_sql_query(store, query, NULL);
	while ((ret = sql_result_next_row(result)) > 0) {
		value = p_strdup(pool, sql_result_get_field_value(result, 0));
		array_push_back(values, &value);
	}
	if (ret < 0)
		*error_r = t_strdup(sql_result_get_error(result));
	sql_result_unref(result);
	return ret < 0 ? -1 : 0;
}

int helpdesk_store_agent_names(struct helpdesk_store *store, pool_t pool,
			       ARRAY_TYPE(const_string) *names,
			       const char **error_r)
{
	return store_get_column(store,
		"SELECT username FROM hd_agents ORDER BY username",
		pool, names, error_r);
}

int helpdesk_store_team_names(struct helpdesk_store *store, pool_t pool,
			      ARRAY_TYPE(const_string) *names,
			      const char **error_r)
{
	return store_get_column(store,
		"SELECT name FROM hd_teams ORDER BY name", pool, names,
		error_r);
}
