/* Copyright (c) 2026 dovecot-helpdesk authors, see the included COPYING file */

/* The ledger (hd_events): every change of a ticket is recorded with its
   event in one transaction -- an agent's action, a claim -- and the
   events of a ticket, its history. */

#include "lib.h"
#include "array.h"
#include "str.h"
#include "strnum.h"
#include "guid.h"
#include "helpdesk-store.h"
#include "helpdesk-store-private.h"

static const char *const ledger_action_event_names[] = {
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
	i_assert((unsigned int)kind < N_ELEMENTS(ledger_action_event_names) &&
		 ledger_action_event_names[kind] != NULL);
	return ledger_action_event_names[kind];
}

/* Is the action a no-op on this ticket? Then nothing is written. */
static bool
ledger_action_is_noop(enum helpdesk_action_kind kind, const char *arg,
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

/* Does the action move the SLA clocks (or their targets, calendar)? */
static bool ledger_action_moves_clocks(enum helpdesk_action_kind kind)
{
	switch (kind) {
	case HELPDESK_ACTION_UNCLAIM:
	case HELPDESK_ACTION_ASSIGN:
		return FALSE;
	case HELPDESK_ACTION_RESOLVE:
	case HELPDESK_ACTION_REOPEN:
	case HELPDESK_ACTION_ESCALATE:
	case HELPDESK_ACTION_PRIORITY:
	case HELPDESK_ACTION_VIP:
	case HELPDESK_ACTION_UNVIP:
	case HELPDESK_ACTION_TEAM:
	case HELPDESK_ACTION_REPLY:
		break;
	}
	return TRUE;
}

/* The UPDATE of an action: parameters are "now" first, then the ones the
   SET clause names in its text order, then the ticket id. */
static const char *
ledger_action_update(enum helpdesk_action_kind kind, const char **set_arg_r)
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
static const char *ledger_action_guard(enum helpdesk_action_kind kind)
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
		/* from the tier it was read at: two agents escalating at
		   the same moment both meant the next tier, once */
		return " AND tier = ?";
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

/* The UPDATE's parameters: "now", the SET clause's one, the ticket, the
   guard's one (data stack, NULL-terminated). */
static const char *const *
ledger_action_update_args(enum helpdesk_action_kind kind, const char *set_arg,
		   const char *now_str, const char *actor, const char *arg,
		   const char *ticket_str, const char *event_key,
		   const char *tier_str)
{
	ARRAY_TYPE(const_string) args;

	t_array_init(&args, 5);
	array_push_back(&args, &now_str);
	if (set_arg != NULL) {
		array_push_back(&args,
			strcmp(set_arg, "arg") == 0 ? &arg : &actor);
	}
	array_push_back(&args, &ticket_str);
	switch (kind) {
	case HELPDESK_ACTION_UNCLAIM:
	case HELPDESK_ACTION_ASSIGN:
	case HELPDESK_ACTION_PRIORITY:
	case HELPDESK_ACTION_TEAM:
		array_push_back(&args, &arg);
		break;
	case HELPDESK_ACTION_REPLY:
		array_push_back(&args, &event_key);
		break;
	case HELPDESK_ACTION_ESCALATE:
		array_push_back(&args, &tier_str);
		break;
	default:
		break;
	}
	array_append_zero(&args);
	return array_front(&args);
}

void helpdesk_ledger_update_with_event(struct helpdesk_store *store,
				       struct helpdesk_db_trans *trans,
				       const char *update,
				       const char *const *update_args,
				       const char *const *event_args,
				       unsigned int *rows_r)
{
	ARRAY_TYPE(const_string) args;

	if (store->db->driver == HELPDESK_DB_PGSQL) {
		/* one statement: UPDATE ... RETURNING in a CTE */
		t_array_init(&args, 16);
		array_append(&args, update_args,
			     str_array_length(update_args));
		array_append(&args, event_args, str_array_length(event_args));
		array_append_zero(&args);
		helpdesk_db_update(trans, t_strconcat(
			"WITH u AS (", update, " RETURNING id) "
			HELPDESK_SQL_ACTION_EVENT " FROM u "
			"ON CONFLICT DO NOTHING", NULL),
			array_front(&args), rows_r);
	} else {
		/* SQLite: changes() counts what the UPDATE just before in
		   this transaction changed */
		helpdesk_db_update(trans, update, update_args, rows_r);
		helpdesk_db_update(trans, HELPDESK_SQL_ACTION_EVENT
			" WHERE changes() > 0 ON CONFLICT DO NOTHING",
			event_args, NULL);
	}
}

int helpdesk_store_ticket_action(struct helpdesk_store *store,
				 uint64_t ticket,
				 enum helpdesk_action_kind kind,
				 const char *actor, const char *arg,
				 int64_t now, bool *changed_r,
				 const char **error_r)
{
	struct helpdesk_db_trans *trans;
	struct helpdesk_ticket_row row;
	const char *ticket_str = t_strdup(dec2str(ticket));
	const char *now_str = t_strdup(dec2str(now));
	const char *set, *set_arg, *event_key, *detail, *message_key = "";
	const char *update, *owner, *error;
	unsigned int rows = 0;
	bool found;

	*changed_r = FALSE;
	i_zero(&row);
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
		if (!found || ledger_action_is_noop(kind, arg, &row))
			return 0;
		/* every action is an event of its own, even the same one
		   twice in a second */
		event_key = t_strdup_printf("%s:%s:%s:%s:%s",
			helpdesk_action_event_name(kind), ticket_str, actor,
			helpdesk_store_unique_id(), arg);
		detail = kind == HELPDESK_ACTION_ESCALATE ?
			t_strdup_printf("tier %u", row.tier + 1) : arg;
	}

	set = ledger_action_update(kind, &set_arg);
	update = t_strconcat("UPDATE hd_tickets SET updated = ?, ", set,
			     " WHERE id = ?", ledger_action_guard(kind), NULL);
	{
		const char *event_args[] = {
			event_key, ticket_str, helpdesk_action_event_name(kind),
			actor, message_key, detail, now_str, NULL
		};

		trans = helpdesk_db_begin(store->db);
		helpdesk_ledger_update_with_event(store, trans, update,
			ledger_action_update_args(kind, set_arg, now_str,
				actor, arg, ticket_str, event_key,
				t_strdup(dec2str(row.tier))),
			event_args, &rows);
	}
	if (helpdesk_db_commit(&trans, error_r) < 0)
		return -1;
	*changed_r = rows > 0;
	/* the action is committed: what follows it can fail without
	   taking it back */
	if (*changed_r && kind == HELPDESK_ACTION_ESCALATE &&
	    helpdesk_store_route_ticket(store, ticket, now, TRUE, &owner,
					&error) < 0) {
		e_warning(store->event, "ticket %llu: escalated, but routing "
			  "it to the new tier's team failed: %s",
			  (unsigned long long)ticket, error);
	}
	if (*changed_r && ledger_action_moves_clocks(kind))
		helpdesk_store_sla_refresh_after(store, ticket, now);
	return 0;
}

int helpdesk_store_claim(struct helpdesk_store *store, uint64_t ticket,
			 const char *user, int64_t now, bool *won_r,
			 const char **owner_r, const char **error_r)
{
	struct helpdesk_db_trans *trans;
	const char *ticket_str = t_strdup(dec2str(ticket));
	const char *now_str = t_strdup(dec2str(now));
	const char *args[] = { ticket_str, NULL }, *value;
	const char *update_args[] = { user, now_str, ticket_str, NULL };
	const char *event_args[] = {
		t_strdup_printf("claimed:%s:%s:%s", ticket_str, user,
				helpdesk_store_unique_id()),
		ticket_str, "claimed", user, "", "", now_str, NULL
	};
	unsigned int rows = 0;

	*won_r = FALSE;
	*owner_r = NULL;
	trans = helpdesk_db_begin(store->db);
	/* exactly one owner: only the first claim finds owner = '' */
	helpdesk_ledger_update_with_event(store, trans,
		"UPDATE hd_tickets SET owner = ?, updated = ?, status = "
		"CASE status WHEN 'new' THEN 'open' ELSE status END "
		"WHERE id = ? AND owner = ''", update_args, event_args, &rows);
	if (helpdesk_db_commit(&trans, error_r) < 0)
		return -1;
	*won_r = rows > 0;
	if (*won_r) {
		*owner_r = t_strdup(user);
		return 0;
	}
	if (helpdesk_db_get_value(store->db, "SELECT owner FROM hd_tickets "
				   "WHERE id = ?", args, &value, error_r) < 0)
		return -1;
	*owner_r = value;
	return 0;
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

	return helpdesk_db_get_value(store->db, HELPDESK_SQL_REPLY_ACTOR,
				      args, actor_r, error_r) < 0 ? -1 : 0;
}

const char *helpdesk_store_unique_id(void)
{
	guid_128_t guid;

	guid_128_generate(guid);
	return guid_128_to_string(guid);
}

int helpdesk_store_ticket_events(struct helpdesk_store *store,
				 uint64_t ticket, pool_t pool,
				 ARRAY_TYPE(helpdesk_store_event) *events,
				 const char **error_r)
{
	const char *args[] = { dec2str(ticket), NULL };
	struct helpdesk_store_event *event;
	struct helpdesk_db_result *result;
	int ret;

	result = helpdesk_db_query(store->db,
		"SELECT created, kind, actor, detail FROM hd_events "
		"WHERE ticket_id = ? ORDER BY id", args);
	while ((ret = helpdesk_db_result_next_row(result)) > 0) {
		event = array_append_space(events);
		event->created = helpdesk_db_result_int64(result, 0);
		event->kind = p_strdup(pool,
				       helpdesk_db_result_value(result, 1));
		event->actor = p_strdup(pool,
				helpdesk_db_result_value(result, 2));
		event->detail = p_strdup(pool,
				helpdesk_db_result_value(result, 3));
	}
	return helpdesk_db_result_finish(&result, ret, error_r);
}
