/* Copyright (c) 2026 dovecot-helpdesk authors, see the included COPYING file */

/* Routing: a team that hands out its tickets (hd_teams.routing
   round-robin or least-open) gives each new or escalated ticket to the
   next available agent of the team (hd_agents.away = 0): round-robin by
   the agents' assign_seq (a counter, not a time: two tickets in one second
   still go to two agents), least-open by the unresolved tickets they own,
   then assign_seq. The choice is made inside the write, and the routings
   of one team are serialized by a lock on its row (SQLite: the write
   transaction itself), so concurrent deliveries never pick from the same
   view of the team. */

#include "lib.h"
#include "array.h"
#include "str.h"
#include "strnum.h"
#include "helpdesk-store.h"
#include "helpdesk-store-private.h"

/* the next agent of the ticket's team, by the team's routing (NULL: none
   available, or a manual team) */
#define ROUTE_PICK \
	"(SELECT a.username FROM hd_agents a JOIN hd_teams m " \
	"ON m.name = a.team WHERE m.name = hd_tickets.team " \
	"AND m.routing IN ('" HELPDESK_ROUTING_ROUND_ROBIN "', '" \
	HELPDESK_ROUTING_LEAST_OPEN "') AND a.away = 0 " \
	"AND a.username != hd_tickets.owner " \
	"ORDER BY CASE m.routing WHEN '" HELPDESK_ROUTING_LEAST_OPEN "' " \
	"THEN (SELECT COUNT(*) FROM hd_tickets o WHERE o.owner = a.username " \
	"AND o.status != 'resolved') ELSE 0 END, a.assign_seq, a.username " \
	"LIMIT 1)"
/* two parameters: now, then the ticket (as ticket_sql names it) */
#define ROUTE_UPDATE(ticket_sql) \
	"UPDATE hd_tickets SET owner = " ROUTE_PICK ", updated = ?, " \
	"status = CASE status WHEN 'new' THEN 'open' ELSE status END " \
	"WHERE id = " ticket_sql " AND status != 'resolved' AND " \
	ROUTE_PICK " IS NOT NULL"
#define ROUTE_UNOWNED " AND owner = ''"
/* the agent goes to the end of the round */
#define ROUTE_NEXT_SEQ \
	"(SELECT COALESCE(MAX(assign_seq), 0) + 1 FROM hd_agents)"
/* hold the team's row until the commit (PostgreSQL; SQLite's write
   transactions are serialized anyway) */
#define ROUTE_LOCK_TEAM(ticket_sql) \
	"UPDATE hd_teams SET routing = routing WHERE name = " \
	"(SELECT team FROM hd_tickets WHERE id = " ticket_sql ")"
#define ROUTE_BY_ID HELPDESK_SQL_TICKET_BY_ID
#define ROUTE_BY_ORIGIN HELPDESK_SQL_TICKET_BY_ORIGIN

static bool store_route_mode_is_automatic(const char *mode)
{
	return mode != NULL && strcmp(mode, HELPDESK_ROUTING_MANUAL) != 0;
}

int helpdesk_store_team_routes(struct helpdesk_store *store, const char *team,
			       bool *automatic_r, const char **error_r)
{
	const char *args[] = { team, NULL }, *mode;

	*automatic_r = FALSE;
	if (team == NULL || *team == '\0')
		return 0;
	if (helpdesk_db_get_value(store->db, "SELECT routing FROM hd_teams "
				  "WHERE name = ?", args, &mode, error_r) < 0)
		return -1;
	*automatic_r = store_route_mode_is_automatic(mode);
	return 0;
}

void helpdesk_store_route_in(struct helpdesk_store *store,
			     struct helpdesk_db_trans *trans,
			     const char *ticket_arg, bool by_origin,
			     int64_t now, bool replace_owner,
			     unsigned int *rows_r)
{
	const char *now_str = t_strdup(dec2str(now));
	const char *event_key = t_strdup_printf("assigned:%s:auto:%s",
		ticket_arg, helpdesk_store_unique_id());
	const char *update, *args[2] = { ticket_arg, NULL };

	update = by_origin ?
		(replace_owner ? ROUTE_UPDATE(ROUTE_BY_ORIGIN) :
		 ROUTE_UPDATE(ROUTE_BY_ORIGIN) ROUTE_UNOWNED) :
		(replace_owner ? ROUTE_UPDATE(ROUTE_BY_ID) :
		 ROUTE_UPDATE(ROUTE_BY_ID) ROUTE_UNOWNED);
	helpdesk_db_update(trans, by_origin ? ROUTE_LOCK_TEAM(ROUTE_BY_ORIGIN) :
			   ROUTE_LOCK_TEAM(ROUTE_BY_ID), args, NULL);
	if (store->db->driver == HELPDESK_DB_PGSQL) {
		const char *all[] = {
			now_str, ticket_arg, event_key, now_str, NULL
		};

		helpdesk_db_update(trans, t_strconcat(
			"WITH u AS (", update, " RETURNING id, owner), "
			"a AS (UPDATE hd_agents SET assign_seq = "
			ROUTE_NEXT_SEQ " WHERE username IN "
			"(SELECT owner FROM u) RETURNING username) "
			"INSERT INTO hd_events (event_key, ticket_id, kind, "
			"actor, message_key, detail, created) SELECT "
			"CAST(? AS TEXT), u.id, 'assigned', 'auto', '', "
			"u.owner, CAST(? AS BIGINT) FROM u "
			"ON CONFLICT DO NOTHING", NULL), all, rows_r);
	} else {
		const char *update_args[] = { now_str, ticket_arg, NULL };
		const char *event_args[] = {
			event_key, now_str, ticket_arg, NULL
		};

		/* each changes() counts what the statement before did */
		helpdesk_db_update(trans, update, update_args, rows_r);
		helpdesk_db_update(trans, t_strconcat(
			"UPDATE hd_agents SET assign_seq = " ROUTE_NEXT_SEQ
			" WHERE username = (SELECT owner FROM hd_tickets WHERE "
			"id = ", by_origin ? ROUTE_BY_ORIGIN : ROUTE_BY_ID,
			") AND changes() > 0", NULL), args, NULL);
		helpdesk_db_update(trans, t_strconcat(
			"INSERT INTO hd_events (event_key, ticket_id, kind, "
			"actor, message_key, detail, created) SELECT ?, id, "
			"'assigned', 'auto', '', owner, ? FROM hd_tickets "
			"WHERE id = ", by_origin ? ROUTE_BY_ORIGIN : ROUTE_BY_ID,
			" AND changes() > 0 ON CONFLICT DO NOTHING", NULL),
			event_args, NULL);
	}
}

int helpdesk_store_route_ticket(struct helpdesk_store *store, uint64_t ticket,
				int64_t now, bool replace_owner,
				const char **owner_r, const char **error_r)
{
	struct helpdesk_db_trans *trans;
	const char *ticket_str = t_strdup(dec2str(ticket));
	const char *args[] = { ticket_str, NULL }, *mode;
	unsigned int rows = 0;

	*owner_r = NULL;
	/* most teams route by hand: no write for them */
	if (helpdesk_db_get_value(store->db, "SELECT m.routing FROM hd_teams m "
				  "JOIN hd_tickets t ON t.team = m.name "
				  "WHERE t.id = ?", args, &mode, error_r) < 0)
		return -1;
	if (!store_route_mode_is_automatic(mode))
		return 0;

	trans = helpdesk_db_begin(store->db);
	helpdesk_store_route_in(store, trans, ticket_str, FALSE, now,
				replace_owner, &rows);
	if (helpdesk_db_commit(&trans, error_r) < 0)
		return -1;
	if (rows == 0)
		return 0;
	return helpdesk_db_get_value(store->db,
		"SELECT owner FROM hd_tickets WHERE id = ?", args, owner_r,
		error_r) < 0 ? -1 : 0;
}
