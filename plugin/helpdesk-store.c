/* Copyright (c) 2026 dovecot-helpdesk authors, see the included COPYING file */

#include "lib.h"
#include "array.h"
#include "str.h"
#include "strnum.h"
#include "ioloop.h"
#include "sleep.h"
#include "time-util.h"
#include "helpdesk-store.h"
#include "helpdesk-store-private.h"

#include <sys/stat.h>

/* 1: tickets, messages, participants, events; 2: tickets.owner;
   3: tickets.tier and .vip, agents, teams; 4: SLA clocks (tickets),
   teams' SLA overrides and routing, agents' availability; 5: customers
   (VIPs, acknowledgements, ratings); 6: the game */
#define HELPDESK_SCHEMA_VERSION 6
/* driver-sqlite's busy timeout, which deliveries keep */
#define HELPDESK_STORE_DEFAULT_BUSY_MSECS 1000
/* how long the first processes wait while one creates a new store */
#define HELPDESK_STORE_FRESH_BUSY_MSECS 5000

/* a column in CREATE TABLE, and added by ALTER TABLE (X of the lists) */
#define SCHEMA_COLUMN(col) ", " col
#define SCHEMA_ADD_TICKETS(col) "ALTER TABLE hd_tickets ADD COLUMN " col,
#define SCHEMA_ADD_TEAMS(col) "ALTER TABLE hd_teams ADD COLUMN " col,
#define SCHEMA_ADD_AGENTS(col) "ALTER TABLE hd_agents ADD COLUMN " col,

/* The SLA clocks of a ticket (schema 4, helpdesk-store-sla.c), each
   column through X, for CREATE TABLE and ALTER TABLE. */
#define SCHEMA_TICKET_SLA_COLUMNS(X) \
	X("sla_seen BIGINT NOT NULL DEFAULT 0") \
	X("sla_tag INTEGER NOT NULL DEFAULT 0") \
	X("sla_next BIGINT NOT NULL DEFAULT 0") \
	X("resp_start BIGINT NOT NULL DEFAULT 0") \
	X("resp_used BIGINT NOT NULL DEFAULT 0") \
	X("resp_since BIGINT NOT NULL DEFAULT 0") \
	X("resp_flags INTEGER NOT NULL DEFAULT 0") \
	X("resp_next INTEGER NOT NULL DEFAULT 0") \
	X("res_start BIGINT NOT NULL DEFAULT 0") \
	X("res_used BIGINT NOT NULL DEFAULT 0") \
	X("res_since BIGINT NOT NULL DEFAULT 0") \
	X("res_flags INTEGER NOT NULL DEFAULT 0") \
	X("first_response_at BIGINT NOT NULL DEFAULT 0")
/* the sweep finds the tickets due by this index alone */
#define SCHEMA_TICKET_SLA_INDEX \
	"CREATE INDEX IF NOT EXISTS hd_tickets_sla_next ON hd_tickets " \
	"(sla_next) WHERE sla_next > 0"
/* doveadm helpdesk stats reads a period's events of a few kinds */
#define SCHEMA_EVENTS_KIND_INDEX \
	"CREATE INDEX IF NOT EXISTS hd_events_kind_created ON hd_events " \
	"(kind, created)"
/* teams' overrides of the SLA settings ('': the setting) and routing:
   manual, round-robin or least-open; agents' availability and when each
   was last handed a ticket */
#define SCHEMA_TEAM_COLUMNS(X) \
	X("sla_first_response TEXT NOT NULL DEFAULT ''") \
	X("sla_next_response TEXT NOT NULL DEFAULT ''") \
	X("sla_resolution TEXT NOT NULL DEFAULT ''") \
	X("business_hours TEXT NOT NULL DEFAULT ''") \
	X("timezone TEXT NOT NULL DEFAULT ''") \
	X("holidays TEXT NOT NULL DEFAULT ''") \
	X("routing TEXT NOT NULL DEFAULT 'manual'")
#define SCHEMA_AGENT_COLUMNS(X) \
	X("away INTEGER NOT NULL DEFAULT 0") \
	X("assign_seq BIGINT NOT NULL DEFAULT 0")

/* Agents and teams (schema 3). An empty hd_agents table means every user
   with rights on the queue is an agent; once agents are registered, only
   they may act on tickets. role: "agent" or "lead". */
#define SCHEMA_AGENTS \
	"CREATE TABLE IF NOT EXISTS hd_agents (" \
	" username TEXT PRIMARY KEY," \
	" address TEXT NOT NULL DEFAULT ''," \
	" team TEXT NOT NULL DEFAULT ''," \
	" role TEXT NOT NULL DEFAULT 'agent'," \
	" created BIGINT NOT NULL)"
#define SCHEMA_AGENTS_4 \
	"CREATE TABLE IF NOT EXISTS hd_agents (" \
	" username TEXT PRIMARY KEY," \
	" address TEXT NOT NULL DEFAULT ''," \
	" team TEXT NOT NULL DEFAULT ''," \
	" role TEXT NOT NULL DEFAULT 'agent'," \
	" created BIGINT NOT NULL" \
	SCHEMA_AGENT_COLUMNS(SCHEMA_COLUMN) ")"
/* tier: the support tier (1-4) the team serves, 0 = none; an escalation
   to tier N moves the ticket to the team of tier N, if there is one. */
#define SCHEMA_TEAMS \
	"CREATE TABLE IF NOT EXISTS hd_teams (" \
	" name TEXT PRIMARY KEY," \
	" tier INTEGER NOT NULL DEFAULT 0," \
	" description TEXT NOT NULL DEFAULT ''," \
	" created BIGINT NOT NULL)"
#define SCHEMA_TEAMS_4 \
	"CREATE TABLE IF NOT EXISTS hd_teams (" \
	" name TEXT PRIMARY KEY," \
	" tier INTEGER NOT NULL DEFAULT 0," \
	" description TEXT NOT NULL DEFAULT ''," \
	" created BIGINT NOT NULL" \
	SCHEMA_TEAM_COLUMNS(SCHEMA_COLUMN) ")"

/* Schema 5: customers -- VIPs, acknowledgements sent (the rate limit),
   satisfaction ratings (helpdesk-store-customer.c). */
#define SCHEMA_CUSTOMER_TABLES \
	"CREATE TABLE IF NOT EXISTS hd_vips (" \
	" entry TEXT PRIMARY KEY," \
	" note TEXT NOT NULL DEFAULT ''," \
	" created BIGINT NOT NULL)", \
	"CREATE TABLE IF NOT EXISTS hd_acks (" \
	" address TEXT NOT NULL," \
	" sent BIGINT NOT NULL)", \
	"CREATE INDEX IF NOT EXISTS hd_acks_address ON hd_acks " \
	"(address, sent)", \
	"CREATE TABLE IF NOT EXISTS hd_ratings (" \
	" ticket_id BIGINT NOT NULL," \
	" resolution BIGINT NOT NULL," \
	" score INTEGER NOT NULL," \
	" owner TEXT NOT NULL DEFAULT ''," \
	" team TEXT NOT NULL DEFAULT ''," \
	" message_key TEXT NOT NULL DEFAULT ''," \
	" created BIGINT NOT NULL," \
	" PRIMARY KEY (ticket_id, resolution))", \
	"CREATE INDEX IF NOT EXISTS hd_tickets_requester ON hd_tickets " \
	"(requester)"

/* Schema 6: the game (helpdesk-store-game.c): the rule versions, the fold
   log, the points ledger, and what is derived from it. */
#define SCHEMA_GAME_TABLES \
	"CREATE TABLE IF NOT EXISTS hd_game_rules (" \
	" version INTEGER PRIMARY KEY," \
	" from_event BIGINT NOT NULL," \
	" rules TEXT NOT NULL," \
	" levels TEXT NOT NULL," \
	" created BIGINT NOT NULL)", \
	"CREATE TABLE IF NOT EXISTS hd_game_folds (" \
	" start_event BIGINT PRIMARY KEY," \
	" end_event BIGINT NOT NULL," \
	" created BIGINT NOT NULL," \
	" token TEXT NOT NULL DEFAULT '')", \
	"CREATE TABLE IF NOT EXISTS hd_points (" \
	" award_key TEXT PRIMARY KEY," \
	" event_id BIGINT NOT NULL," \
	" ticket_id BIGINT NOT NULL," \
	" agent TEXT NOT NULL," \
	" team TEXT NOT NULL DEFAULT ''," \
	" rule TEXT NOT NULL," \
	" points INTEGER NOT NULL," \
	" created BIGINT NOT NULL)", \
	"CREATE INDEX IF NOT EXISTS hd_points_ticket ON hd_points " \
	"(ticket_id, event_id)", \
	"CREATE INDEX IF NOT EXISTS hd_points_agent ON hd_points " \
	"(agent, created)", \
	"CREATE TABLE IF NOT EXISTS hd_game_agents (" \
	" username TEXT PRIMARY KEY," \
	" team TEXT NOT NULL DEFAULT ''," \
	" points BIGINT NOT NULL DEFAULT 0," \
	" peak BIGINT NOT NULL DEFAULT 0," \
	" level INTEGER NOT NULL DEFAULT 1," \
	" level_at BIGINT NOT NULL DEFAULT 0," \
	" resolved INTEGER NOT NULL DEFAULT 0," \
	" met_streak INTEGER NOT NULL DEFAULT 0," \
	" fast INTEGER NOT NULL DEFAULT 0," \
	" escalated INTEGER NOT NULL DEFAULT 0)", \
	"CREATE TABLE IF NOT EXISTS hd_game_periods (" \
	" period TEXT NOT NULL," \
	" period_key TEXT NOT NULL," \
	" team TEXT NOT NULL," \
	" username TEXT NOT NULL," \
	" points BIGINT NOT NULL DEFAULT 0," \
	" earned BIGINT NOT NULL DEFAULT 0," \
	" resolved INTEGER NOT NULL DEFAULT 0," \
	" PRIMARY KEY (period, period_key, team, username))", \
	"CREATE TABLE IF NOT EXISTS hd_badges (" \
	" username TEXT NOT NULL," \
	" badge TEXT NOT NULL," \
	" period_key TEXT NOT NULL DEFAULT ''," \
	" ticket_id BIGINT NOT NULL DEFAULT 0," \
	" event_id BIGINT NOT NULL DEFAULT 0," \
	" created BIGINT NOT NULL," \
	" PRIMARY KEY (username, badge, period_key))", \
	"CREATE INDEX IF NOT EXISTS hd_badges_created ON hd_badges " \
	"(created)", \
	"CREATE TABLE IF NOT EXISTS hd_game_levelups (" \
	" username TEXT NOT NULL," \
	" level INTEGER NOT NULL," \
	" ticket_id BIGINT NOT NULL DEFAULT 0," \
	" event_id BIGINT NOT NULL DEFAULT 0," \
	" created BIGINT NOT NULL," \
	" PRIMARY KEY (username, level))", \
	"CREATE TABLE IF NOT EXISTS hd_game_teams (" \
	" team TEXT PRIMARY KEY," \
	" last_week TEXT NOT NULL DEFAULT '')"

static const char *const schema_common[] = {
	"CREATE TABLE IF NOT EXISTS hd_schema (version INTEGER NOT NULL)",
	"CREATE TABLE IF NOT EXISTS hd_messages ("
	" message_key TEXT PRIMARY KEY,"
	" ticket_id BIGINT NOT NULL DEFAULT 0,"
	" sender TEXT NOT NULL DEFAULT '',"
	" subject TEXT NOT NULL DEFAULT '',"
	" kind TEXT NOT NULL DEFAULT 'customer',"
	" mailbox_guid TEXT NOT NULL DEFAULT '',"
	" uid BIGINT NOT NULL DEFAULT 0,"
	" created BIGINT NOT NULL)",
	"CREATE INDEX IF NOT EXISTS hd_messages_ticket ON hd_messages (ticket_id)",
	"CREATE TABLE IF NOT EXISTS hd_participants ("
	" ticket_id BIGINT NOT NULL,"
	" address TEXT NOT NULL,"
	" PRIMARY KEY (ticket_id, address))",
	"CREATE INDEX IF NOT EXISTS hd_events_ticket ON hd_events (ticket_id)",
	SCHEMA_AGENTS_4,
	"CREATE INDEX IF NOT EXISTS hd_agents_address ON hd_agents (address)",
	SCHEMA_TEAMS_4,
	SCHEMA_TICKET_SLA_INDEX,
	SCHEMA_EVENTS_KIND_INDEX,
	SCHEMA_CUSTOMER_TABLES,
	SCHEMA_GAME_TABLES,
	NULL
};


/* The only dialect difference is the sequence column. */
#define SCHEMA_TICKETS(id_column) \
	"CREATE TABLE IF NOT EXISTS hd_tickets (" \
	" " id_column "," \
	" origin_key TEXT NOT NULL UNIQUE," \
	" subject TEXT NOT NULL DEFAULT ''," \
	" requester TEXT NOT NULL DEFAULT ''," \
	" status TEXT NOT NULL DEFAULT 'new'," \
	" priority TEXT NOT NULL DEFAULT 'normal'," \
	" team TEXT NOT NULL DEFAULT ''," \
	" owner TEXT NOT NULL DEFAULT ''," \
	" tier INTEGER NOT NULL DEFAULT 1," \
	" vip INTEGER NOT NULL DEFAULT 0," \
	" created BIGINT NOT NULL," \
	" updated BIGINT NOT NULL" \
	SCHEMA_TICKET_SLA_COLUMNS(SCHEMA_COLUMN) ")"
#define SCHEMA_EVENTS(id_column) \
	"CREATE TABLE IF NOT EXISTS hd_events (" \
	" " id_column "," \
	" event_key TEXT NOT NULL UNIQUE," \
	" ticket_id BIGINT NOT NULL," \
	" kind TEXT NOT NULL," \
	" actor TEXT NOT NULL DEFAULT ''," \
	" message_key TEXT NOT NULL DEFAULT ''," \
	" detail TEXT NOT NULL DEFAULT ''," \
	" created BIGINT NOT NULL)"
#define SQLITE_ID_COLUMN "id INTEGER PRIMARY KEY AUTOINCREMENT"
#define PGSQL_ID_COLUMN "id BIGSERIAL PRIMARY KEY"

static const char *const schema_sqlite[] = {
	SCHEMA_TICKETS(SQLITE_ID_COLUMN), SCHEMA_EVENTS(SQLITE_ID_COLUMN), NULL
};
static const char *const schema_pgsql[] = {
	SCHEMA_TICKETS(PGSQL_ID_COLUMN), SCHEMA_EVENTS(PGSQL_ID_COLUMN), NULL
};

int helpdesk_store_init(const char *dsn, const char *moduledir,
			struct event *event_parent,
			struct helpdesk_store **store_r, const char **error_r)
{
	struct helpdesk_store *store;
	struct helpdesk_db_settings db_set;
	const char *p, *driver;

	p = strchr(dsn, ':');
	if (p == NULL) {
		*error_r = t_strdup_printf("invalid store '%s'", dsn);
		return -1;
	}
	driver = t_strdup_until(dsn, p);
	i_zero(&db_set);
	if (strcmp(driver, "sqlite") == 0)
		db_set.driver = HELPDESK_DB_SQLITE;
	else if (strcmp(driver, "pgsql") == 0)
		db_set.driver = HELPDESK_DB_PGSQL;
	else {
		*error_r = t_strdup_printf("unsupported store driver '%s'",
					   driver);
		return -1;
	}
	db_set.connect = p + 1;
	db_set.moduledir = moduledir;

	store = i_new(struct helpdesk_store, 1);
	if (db_set.driver == HELPDESK_DB_SQLITE)
		store->path = i_strdup(db_set.connect);
	store->event = event_create(event_parent);
	event_set_append_log_prefix(store->event, "store: ");
	db_set.event_parent = store->event;
	if (helpdesk_db_init(&db_set, &store->db, error_r) < 0) {
		event_unref(&store->event);
		i_free(store->path);
		i_free(store);
		return -1;
	}
	store->loc_pool = pool_alloconly_create("helpdesk locations", 1024);
	i_array_init(&store->locations, 16);
	*store_r = store;
	return 0;
}

void helpdesk_store_deinit(struct helpdesk_store **_store)
{
	struct helpdesk_store *store = *_store;
	const char *error;

	if (store == NULL)
		return;
	*_store = NULL;
	if (array_count(&store->locations) > 0 &&
	    helpdesk_store_flush(store, &error) < 0) {
		e_warning(store->event, "%u message location(s) not "
			  "recorded: %s", array_count(&store->locations),
			  error);
	}
	array_free(&store->locations);
	pool_unref(&store->loc_pool);
	helpdesk_store_sla_free(store);
	helpdesk_db_deinit(&store->db);
	event_unref(&store->event);
	i_free(store->path);
	i_free(store);
}

void helpdesk_store_drivers_deinit(void)
{
	helpdesk_db_drivers_deinit();
}

int helpdesk_sql_exec(struct helpdesk_store *store, const char *query,
		      const char *const *args, const char **error_r)
{
	struct helpdesk_db_trans *trans;

	trans = helpdesk_db_begin(store->db);
	helpdesk_db_update(trans, query, args, NULL);
	return helpdesk_db_commit(&trans, error_r);
}

static int store_sqlite_precheck(struct helpdesk_store *store,
				 bool may_create, const char **error_r)
{
	const char *dir, *p;
	struct stat st;

	p = strrchr(store->path, '/');
	dir = p == store->path ? "/" : t_strdup_until(store->path, p);
	if (stat(dir, &st) < 0) {
		*error_r = t_strdup_printf("sqlite store directory %s: %m",
					   dir);
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		*error_r = t_strdup_printf(
			"sqlite store directory %s is not a directory", dir);
		return -1;
	}
	store->fresh = FALSE;
	if (stat(store->path, &st) < 0) {
		if (errno != ENOENT) {
			*error_r = t_strdup_printf("stat(%s) failed: %m",
						   store->path);
			return -1;
		}
		if (!may_create) {
			*error_r = t_strdup_printf("%s does not exist",
						   store->path);
			return -1;
		}
		e_info(store->event, "creating a new store in %s",
		       store->path);
		store->fresh = TRUE;
	} else if (!S_ISREG(st.st_mode)) {
		*error_r = t_strdup_printf("%s is not a regular file",
					   store->path);
		return -1;
	} else if (st.st_size == 0 || ioloop_time - st.st_mtime < 2) {
		/* another process is creating it right now */
		store->fresh = TRUE;
	}
	if (store->ino == 0 && !store->fresh) {
		store->dev = st.st_dev;
		store->ino = st.st_ino;
	}
	return 0;
}

static int store_upgrade_schema(struct helpdesk_store *store,
				unsigned int version, const char **error_r)
{
	struct helpdesk_db_trans *trans;
	const char *args[] = { dec2str(HELPDESK_SCHEMA_VERSION), NULL };

	trans = helpdesk_db_begin(store->db);
	if (version < 2) {
		helpdesk_db_update(trans, "ALTER TABLE hd_tickets ADD COLUMN "
			   "owner TEXT NOT NULL DEFAULT ''", NULL, NULL);
	}
	if (version < 3) {
		helpdesk_db_update(trans, "ALTER TABLE hd_tickets ADD COLUMN "
			   "tier INTEGER NOT NULL DEFAULT 1", NULL, NULL);
		helpdesk_db_update(trans, "ALTER TABLE hd_tickets ADD COLUMN "
			   "vip INTEGER NOT NULL DEFAULT 0", NULL, NULL);
		helpdesk_db_update(trans, SCHEMA_AGENTS, NULL, NULL);
		helpdesk_db_update(trans, "CREATE INDEX IF NOT EXISTS hd_agents_address "
			   "ON hd_agents (address)", NULL, NULL);
		helpdesk_db_update(trans, SCHEMA_TEAMS, NULL, NULL);
	}
	if (version < 4) {
		static const char *const columns[] = {
			SCHEMA_TICKET_SLA_COLUMNS(SCHEMA_ADD_TICKETS)
			SCHEMA_TEAM_COLUMNS(SCHEMA_ADD_TEAMS)
			SCHEMA_AGENT_COLUMNS(SCHEMA_ADD_AGENTS)
			SCHEMA_TICKET_SLA_INDEX, SCHEMA_EVENTS_KIND_INDEX, NULL
		};
		unsigned int i;

		for (i = 0; columns[i] != NULL; i++)
			helpdesk_db_update(trans, columns[i], NULL, NULL);
	}
	if (version < 5) {
		static const char *const tables[] = {
			SCHEMA_CUSTOMER_TABLES, NULL
		};
		unsigned int i;

		for (i = 0; tables[i] != NULL; i++)
			helpdesk_db_update(trans, tables[i], NULL, NULL);
	}
	if (version < 6) {
		static const char *const tables[] = {
			SCHEMA_GAME_TABLES, NULL
		};
		unsigned int i;

		for (i = 0; tables[i] != NULL; i++)
			helpdesk_db_update(trans, tables[i], NULL, NULL);
	}
	helpdesk_db_update(trans, "DELETE FROM hd_schema", NULL, NULL);
	helpdesk_db_update(trans, "INSERT INTO hd_schema (version) VALUES (?)",
			   args, NULL);
	if (helpdesk_db_commit(&trans, error_r) < 0) {
		*error_r = t_strdup_printf("upgrading the schema from version "
					   "%u failed: %s", version, *error_r);
		return -1;
	}
	e_info(store->event, "schema upgraded from version %u to %u",
	       version, HELPDESK_SCHEMA_VERSION);
	return 0;
}

static int store_create_schema(struct helpdesk_store *store, bool may_create,
			       bool *created_r, const char **error_r)
{
	struct helpdesk_db_trans *trans;
	const char *const *dialect, *value, *args[2];
	bool sqlite = store->db->driver == HELPDESK_DB_SQLITE;
	unsigned int i;
	unsigned int version;

	if (sqlite) {
		/* WAL lets readers (doveadm, other deliveries) run while a
		   delivery writes; NORMAL sync is durable across crashes of
		   the process and costs no fsync per delivery. */
		if (helpdesk_db_get_value(store->db, "PRAGMA journal_mode=WAL",
					  NULL, &value, error_r) < 0 ||
		    helpdesk_db_exec(store->db, "PRAGMA synchronous=NORMAL",
				     error_r) < 0)
			return -1;
	}
	/* Look before selecting: with lib-sql's pgsql pool a failed query
	   ("relation does not exist") leaves no connection for the
	   synchronous transaction that follows. */
	if (helpdesk_db_get_value(store->db, sqlite ?
			"SELECT COUNT(*) FROM sqlite_master "
			"WHERE type = 'table' AND name = 'hd_schema'" :
			"SELECT COUNT(*) FROM information_schema.tables "
			"WHERE table_name = 'hd_schema' "
			"AND table_schema = current_schema()",
			NULL, &value, error_r) < 0)
		return -1;
	if (value == NULL || strcmp(value, "0") == 0) {
		if (!may_create) {
			*error_r = "the database has no helpdesk tables";
			return -1;
		}
		*created_r = TRUE;
	} else if (helpdesk_db_get_value(store->db, "SELECT MAX(version) FROM hd_schema",
				   NULL, &value, error_r) > 0 &&
		   value != NULL && str_to_uint(value, &version) == 0) {
		if (version > HELPDESK_SCHEMA_VERSION) {
			*error_r = t_strdup_printf(
				"store schema version %u is newer than this "
				"plugin's (%u): upgrade the plugin", version,
				HELPDESK_SCHEMA_VERSION);
			return -1;
		}
		if (version == HELPDESK_SCHEMA_VERSION)
			return 0;
		if (store_upgrade_schema(store, version, error_r) < 0)
			return -1;
		return 0;
	}

	dialect = sqlite ? schema_sqlite : schema_pgsql;
	trans = helpdesk_db_begin(store->db);
	for (i = 0; dialect[i] != NULL; i++)
		helpdesk_db_update(trans, dialect[i], NULL, NULL);
	for (i = 0; schema_common[i] != NULL; i++)
		helpdesk_db_update(trans, schema_common[i], NULL, NULL);
	args[0] = dec2str(HELPDESK_SCHEMA_VERSION);
	args[1] = NULL;
	helpdesk_db_update(trans, "DELETE FROM hd_schema", NULL, NULL);
	helpdesk_db_update(trans, "INSERT INTO hd_schema (version) VALUES (?)",
			   args, NULL);
	if (helpdesk_db_commit(&trans, error_r) < 0) {
		*error_r = t_strdup_printf("creating the schema failed: %s",
					   *error_r);
		return -1;
	}
	return 0;
}

void helpdesk_store_set_busy_timeout(struct helpdesk_store *store,
				     unsigned int msecs)
{
	if (store->busy_timeout_msecs == msecs)
		return;
	helpdesk_db_set_busy_timeout(store->db, msecs);
	store->busy_timeout_msecs = msecs;
}

bool helpdesk_store_replaced(struct helpdesk_store *store)
{
	struct stat st;

	if (store->path == NULL || store->ino == 0)
		return FALSE;
	/* a command or a delivery asks several times, within one event of
	   the ioloop: the file is looked at once */
	if (timeval_cmp(&store->replaced_checked, &ioloop_timeval) == 0)
		return FALSE;
	store->replaced_checked = ioloop_timeval;
	if (stat(store->path, &st) < 0)
		return errno == ENOENT;
	return st.st_ino != store->ino || st.st_dev != store->dev;
}

int helpdesk_store_check(struct helpdesk_store *store, bool may_create,
			 bool *created_r, const char **error_r)
{
	unsigned int try, previous_msecs = 0;
	struct stat st;
	int ret;

	*created_r = FALSE;
	/* SQLite: the file is open with the current schema (the caller
	   asks helpdesk_store_replaced() whether it is still the file at
	   the path); PostgreSQL: lib-sql may have to connect again */
	if (store->path != NULL && store->schema_ok)
		return 0;
	if (store->path != NULL &&
	    store_sqlite_precheck(store, may_create, error_r) < 0)
		return -1;
	if (helpdesk_db_connect(store->db, may_create, error_r) < 0)
		return -1;
	if (store->schema_ok)
		return 0;
	/* Processes that open a brand-new SQLite store at the same moment
	   race on the switch to WAL and the schema ("SQL logic error", or
	   a lock held longer than a delivery waits): the losers wait
	   longer, once, and try again once the winner is done. */
	if (store->fresh) {
		previous_msecs = store->busy_timeout_msecs;
		helpdesk_store_set_busy_timeout(store,
			HELPDESK_STORE_FRESH_BUSY_MSECS);
	}
	for (try = 0;; try++) {
		ret = store_create_schema(store, may_create, created_r,
					  error_r);
		if (ret == 0 || try == 2 || !store->fresh)
			break;
		i_sleep_msecs(20 + try * 50);
	}
	if (store->fresh) {
		helpdesk_store_set_busy_timeout(store, previous_msecs == 0 ?
			HELPDESK_STORE_DEFAULT_BUSY_MSECS : previous_msecs);
	}
	if (ret < 0)
		return -1;
	store->schema_ok = TRUE;
	/* the file the connection has open, from now on the one that
	   helpdesk_store_replaced() compares with */
	if (store->path != NULL && store->ino == 0 &&
	    stat(store->path, &st) == 0) {
		store->dev = st.st_dev;
		store->ino = st.st_ino;
	}
	return 0;
}
