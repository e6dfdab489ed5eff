#ifndef HELPDESK_STORE_PRIVATE_H
#define HELPDESK_STORE_PRIVATE_H

/* Internals shared by the store's source files (helpdesk-store*.c). */

#include "helpdesk-db.h"

struct store_location {
	const char *key, *guid;
	uint32_t uid;
};

/* Locations kept at most while the store can't be written. */
#define HELPDESK_STORE_MAX_PENDING_LOCATIONS 1000

/* Most Message-IDs from In-Reply-To/References that are looked up. */
#define HELPDESK_STORE_MAX_REFS 64

struct helpdesk_store {
	struct helpdesk_db *db;
	struct event *event;
	/* sqlite: the database file */
	char *path;
	/* sqlite: the file is missing or was created moments ago */
	bool fresh;
	/* sqlite: the file the connection has open */
	dev_t dev;
	ino_t ino;
	/* sqlite: when helpdesk_store_replaced() last looked (the ioloop's
	   time of that event: once per command or delivery) */
	struct timeval replaced_checked;
	/* busy timeout set on the connection, 0 = the default (1 s) */
	unsigned int busy_timeout_msecs;

	/* locations of saved messages not written yet: they go with the
	   next write transaction (or helpdesk_store_flush()) */
	pool_t loc_pool;
	ARRAY(struct store_location) locations;
	/* the SLA policy (helpdesk-store-sla.c), NULL: none set */
	struct helpdesk_store_sla *sla;
	bool schema_ok:1;
};

/* A statement's ticket: its number, or for a ticket opened in the same
   transaction a lookup by its origin message's key. Either way one
   parameter. */
#define HELPDESK_SQL_TICKET_BY_ID "?"
#define HELPDESK_SQL_TICKET_BY_ORIGIN \
	"(SELECT id FROM hd_tickets WHERE origin_key = ?)"

/* The detail of the "reopened" event a customer's message gives. */
#define HELPDESK_STORE_REOPEN_CUSTOMER "customer reply"

/* The SLA columns of a new ticket: resp_start, resp_since, res_start,
   res_since and sla_next, as strings (data stack). */
#define STORE_SLA_NEW_COLUMNS 5
void helpdesk_store_sla_new_ticket(struct helpdesk_store *store,
				   const char *priority, const char *team,
				   bool vip, int64_t now,
				   const char *columns_r[STORE_SLA_NEW_COLUMNS]);
void helpdesk_store_sla_free(struct helpdesk_store *store);
/* The calendar of team's periods and business hours (its time zone), by
   the settings given to helpdesk_store_set_sla() and the team's
   overrides; NULL: the process's zone. */
const struct helpdesk_calendar *
helpdesk_store_team_calendar(struct helpdesk_store *store, const char *team);

/* After a committed change that moves the ticket's clocks: refresh them;
   a failure is logged and leaves the ticket due for the sweep, never an
   error of the change (a delivery or an agent's action) that stands. */
void helpdesk_store_sla_refresh_after(struct helpdesk_store *store,
				      uint64_t ticket, int64_t now);

/* Routing's statements in trans (helpdesk-store-route.c): the ticket
   ticket_arg (its id, or with by_origin its origin message's key) goes to
   the next available agent of its team when the team routes
   automatically; *rows_r (set by the commit) is 1 when it did. */
void helpdesk_store_route_in(struct helpdesk_store *store,
			     struct helpdesk_db_trans *trans,
			     const char *ticket_arg, bool by_origin,
			     int64_t now, bool replace_owner,
			     unsigned int *rows_r);

/* The agent who writes from an address (one parameter); an agent without
   an address is nobody's sender. */
#define HELPDESK_SQL_AGENT_BY_ADDRESS \
	"SELECT username FROM hd_agents WHERE address = ? " \
	"AND address != '' ORDER BY username LIMIT 1"
/* The agent a message was counted as a reply of (one parameter:
   helpdesk_reply_event_key()). */
#define HELPDESK_SQL_REPLY_ACTOR \
	"SELECT actor FROM hd_events WHERE event_key = ?"

/* An action's event, as the INSERT ... SELECT that follows its ticket's
   UPDATE (7 parameters: key, ticket, kind, actor, message key, detail,
   time; casts for PostgreSQL, which does not infer a SELECT list's
   parameter types from the INSERT's columns). */
#define HELPDESK_SQL_ACTION_EVENT \
	"INSERT INTO hd_events (event_key, ticket_id, kind, actor, " \
	"message_key, detail, created) SELECT CAST(? AS TEXT), " \
	"CAST(? AS BIGINT), CAST(? AS TEXT), CAST(? AS TEXT), " \
	"CAST(? AS TEXT), CAST(? AS TEXT), CAST(? AS BIGINT)"

/* A ticket's UPDATE and its event (HELPDESK_SQL_ACTION_EVENT's
   parameters) in trans: the event only when the update changed the
   ticket, decided in the write (another process may have changed the
   ticket since it was read). *rows_r (may be NULL) is set by the commit:
   the tickets changed. */
void helpdesk_ledger_update_with_event(struct helpdesk_store *store,
				       struct helpdesk_db_trans *trans,
				       const char *update,
				       const char *const *update_args,
				       const char *const *event_args,
				       unsigned int *rows_r);

/* The ledger key of an agent's reply: counted once per message. */
const char *helpdesk_reply_event_key(const char *message_key);

/* One write statement in a transaction of its own. */
int helpdesk_sql_exec(struct helpdesk_store *store, const char *query,
		      const char *const *args, const char **error_r);

/* A unique string for event keys of actions that are not idempotent. */
const char *helpdesk_store_unique_id(void);

#endif
