/* Copyright (c) 2026 dovecot-helpdesk authors, see the included COPYING file */

#include "lib.h"
#include "array.h"
#include "str.h"
#include "strnum.h"
#include "module-dir.h"
#include "ioloop.h"
#include "sleep.h"
#include "sql-api-private.h"
#include "helpdesk-store.h"
#include "helpdesk-store-private.h"

#include <sys/stat.h>

/* 1: tickets, messages, participants, events; 2: tickets.owner;
   3: tickets.tier and .vip, agents, teams */
#define HELPDESK_SCHEMA_VERSION 3
/* Most Message-IDs from In-Reply-To/References that are looked up. */
#define HELPDESK_STORE_MAX_REFS 64
/* driver-sqlite's busy timeout, which deliveries keep */
#define HELPDESK_STORE_DEFAULT_BUSY_MSECS 1000
/* how long the first processes wait while one creates a new store */
#define HELPDESK_STORE_FRESH_BUSY_MSECS 5000

static struct module *helpdesk_sql_modules = NULL;
static bool helpdesk_sql_drivers_inited = FALSE;

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
/* tier: the support tier (1-4) the team serves, 0 = none; an escalation
   to tier N moves the ticket to the team of tier N, if there is one. */
#define SCHEMA_TEAMS \
	"CREATE TABLE IF NOT EXISTS hd_teams (" \
	" name TEXT PRIMARY KEY," \
	" tier INTEGER NOT NULL DEFAULT 0," \
	" description TEXT NOT NULL DEFAULT ''," \
	" created BIGINT NOT NULL)"

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
	SCHEMA_AGENTS,
	"CREATE INDEX IF NOT EXISTS hd_agents_address ON hd_agents (address)",
	SCHEMA_TEAMS,
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
	" updated BIGINT NOT NULL)"
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

static bool sql_driver_is_registered(const char *name)
{
	const struct sql_db *driver;

	array_foreach_elem(&sql_drivers, driver) {
		if (strcmp(driver->name, name) == 0)
			return TRUE;
	}
	return FALSE;
}

static int helpdesk_sql_driver_load(const char *driver, const char *moduledir,
				    const char **error_r)
{
	struct module_dir_load_settings mod_set;
	const char *error;

	if (!array_is_created(&sql_drivers)) {
		sql_drivers_init();
		sql_drivers_register_all();
		helpdesk_sql_drivers_inited = TRUE;
	}
	if (sql_driver_is_registered(driver))
		return 0;

	i_zero(&mod_set);
	mod_set.abi_version = DOVECOT_ABI_VERSION;
	mod_set.require_init_funcs = TRUE;
	if (module_dir_try_load_missing(&helpdesk_sql_modules, moduledir,
					t_strconcat("driver_", driver, NULL),
					&mod_set, &error) < 0) {
		*error_r = t_strdup_printf(
			"cannot load the %s driver of lib-sql from %s: %s",
			driver, moduledir, error);
		return -1;
	}
	module_dir_init(helpdesk_sql_modules);
	if (!sql_driver_is_registered(driver)) {
		*error_r = t_strdup_printf(
			"lib-sql driver %s did not register", driver);
		return -1;
	}
	return 0;
}

void helpdesk_store_drivers_deinit(void)
{
	if (helpdesk_sql_drivers_inited) {
		/* the drivers unregister themselves in their deinit */
		module_dir_unload(&helpdesk_sql_modules);
		sql_drivers_deinit();
		helpdesk_sql_drivers_inited = FALSE;
	} else if (helpdesk_sql_modules != NULL) {
		module_dir_unload(&helpdesk_sql_modules);
	}
}

int helpdesk_store_init(const char *dsn, const char *moduledir,
			struct event *event_parent,
			struct helpdesk_store **store_r, const char **error_r)
{
	struct helpdesk_store *store;
	struct sql_settings sql_set;
	const char *p, *driver, *connect;

	p = strchr(dsn, ':');
	if (p == NULL) {
		*error_r = t_strdup_printf("invalid store '%s'", dsn);
		return -1;
	}
	driver = t_strdup_until(dsn, p);
	connect = p + 1;
	if (strcmp(driver, "sqlite") != 0 && strcmp(driver, "pgsql") != 0) {
		*error_r = t_strdup_printf("unsupported store driver '%s'",
					   driver);
		return -1;
	}
	if (helpdesk_sql_driver_load(driver, moduledir, error_r) < 0)
		return -1;

	store = i_new(struct helpdesk_store, 1);
	store->driver = i_strdup(driver);
	if (strcmp(driver, "sqlite") == 0)
		store->path = i_strdup(connect);
	store->event = event_create(event_parent);
	event_set_append_log_prefix(store->event, "store: ");
	store->loc_pool = pool_alloconly_create("helpdesk locations", 1024);
	i_array_init(&store->locations, 16);

	i_zero(&sql_set);
	sql_set.driver = driver;
	sql_set.connect_string = connect;
	sql_set.event_parent = store->event;
	if (sql_init_full(&sql_set, &store->db, error_r) < 0) {
		array_free(&store->locations);
		pool_unref(&store->loc_pool);
		event_unref(&store->event);
		i_free(store->path);
		i_free(store->driver);
		i_free(store);
		return -1;
	}
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
	sql_unref(&store->db);
	event_unref(&store->event);
	i_free(store->path);
	i_free(store->driver);
	i_free(store);
}

struct sql_result *
helpdesk_sql_query(struct helpdesk_store *store, const char *query,
	    const char *const *args)
{
	struct sql_statement *stmt;
	unsigned int i;

	/* lib-sql's statement emulation can't handle zero parameters */
	if (args == NULL || args[0] == NULL)
		return sql_query_s(store->db, query);
	stmt = sql_statement_init(store->db, query);
	for (i = 0; args[i] != NULL; i++)
		sql_statement_bind_str(stmt, i, args[i]);
	return sql_statement_query_s(&stmt);
}

/* Fetch the first column of the first row: 1 with *value_r (data stack),
   0 when there is no row, -1 on error. */
int helpdesk_sql_get_value(struct helpdesk_store *store, const char *query,
			   const char *const *args, const char **value_r,
			   const char **error_r)
{
	struct sql_result *result;
	int ret;

	*value_r = NULL;
	result = helpdesk_sql_query(store, query, args);
	ret = sql_result_next_row(result);
	if (ret < 0) {
		*error_r = t_strdup_printf("%s (query: %.60s)",
					   sql_result_get_error(result), query);
	} else if (ret > 0) {
		*value_r = t_strdup(sql_result_get_field_value(result, 0));
		ret = 1;
	}
	sql_result_unref(result);
	return ret < 0 ? -1 : ret;
}

struct store_commit_ctx {
	bool done;
	const char *error;
};

static void store_commit_callback(const struct sql_commit_result *result,
				  struct store_commit_ctx *ctx)
{
	ctx->done = TRUE;
	if (result->error != NULL)
		ctx->error = t_strdup(result->error);
}

int helpdesk_sql_commit(struct helpdesk_store *store,
			struct sql_transaction_context **trans,
			const char **error_r)
{
	struct store_commit_ctx ctx;

	if ((sql_get_flags(store->db) & SQL_DB_FLAG_BLOCKING) == 0)
		return sql_transaction_commit_s(trans, error_r);

	/* driver-sqlite's commit_s ignores COMMIT errors (2.3.19-2.3.21);
	   its callback form is synchronous and reports them. */
	i_zero(&ctx);
	sql_transaction_commit(trans, store_commit_callback, &ctx);
	i_assert(ctx.done);
	if (ctx.error != NULL) {
		*error_r = ctx.error;
		return -1;
	}
	return 0;
}

void helpdesk_sql_update(struct sql_transaction_context *trans,
			 const char *query, const char *const *args)
{
	struct sql_statement *stmt;
	unsigned int i;

	if (args == NULL || args[0] == NULL) {
		sql_update(trans, query);
		return;
	}
	stmt = sql_statement_init(trans->db, query);
	for (i = 0; args[i] != NULL; i++)
		sql_statement_bind_str(stmt, i, args[i]);
	sql_update_stmt(trans, &stmt);
}

/* Run one statement that returns no rows in a transaction of its own.
   (driver-sqlite's sql_query_s() panics on statements without result
   columns, so writes always go through transactions.) */
int helpdesk_sql_exec(struct helpdesk_store *store, const char *query,
		      const char *const *args, const char **error_r)
{
	struct sql_transaction_context *trans;

	trans = sql_transaction_begin(store->db);
	helpdesk_sql_update(trans, query, args);
	return helpdesk_sql_commit(store, &trans, error_r);
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
	struct sql_transaction_context *trans;
	const char *args[] = { dec2str(HELPDESK_SCHEMA_VERSION), NULL };

	trans = sql_transaction_begin(store->db);
	if (version < 2) {
		sql_update(trans, "ALTER TABLE hd_tickets ADD COLUMN "
			   "owner TEXT NOT NULL DEFAULT ''");
	}
	if (version < 3) {
		sql_update(trans, "ALTER TABLE hd_tickets ADD COLUMN "
			   "tier INTEGER NOT NULL DEFAULT 1");
		sql_update(trans, "ALTER TABLE hd_tickets ADD COLUMN "
			   "vip INTEGER NOT NULL DEFAULT 0");
		sql_update(trans, SCHEMA_AGENTS);
		sql_update(trans, "CREATE INDEX IF NOT EXISTS hd_agents_address "
			   "ON hd_agents (address)");
		sql_update(trans, SCHEMA_TEAMS);
	}
	sql_update(trans, "DELETE FROM hd_schema");
	helpdesk_sql_update(trans, "INSERT INTO hd_schema (version) VALUES (?)",
		     args);
	if (helpdesk_sql_commit(store, &trans, error_r) < 0) {
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
	struct sql_transaction_context *trans;
	const char *const *dialect, *value, *args[2];
	bool sqlite = strcmp(store->driver, "sqlite") == 0;
	unsigned int i;
	unsigned int version;

	if (sqlite) {
		/* WAL lets readers (doveadm, other deliveries) run while a
		   delivery writes; NORMAL sync is durable across crashes of
		   the process and costs no fsync per delivery. */
		if (helpdesk_sql_get_value(store, "PRAGMA journal_mode=WAL", NULL,
				    &value, error_r) < 0)
			return -1;
		sql_exec(store->db, "PRAGMA synchronous=NORMAL");
	}
	/* Look before selecting: with lib-sql's pgsql pool a failed query
	   ("relation does not exist") leaves no connection for the
	   synchronous transaction that follows. */
	if (helpdesk_sql_get_value(store, sqlite ?
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
	} else if (helpdesk_sql_get_value(store, "SELECT MAX(version) FROM hd_schema",
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
	trans = sql_transaction_begin(store->db);
	for (i = 0; dialect[i] != NULL; i++)
		sql_update(trans, dialect[i]);
	for (i = 0; schema_common[i] != NULL; i++)
		sql_update(trans, schema_common[i]);
	args[0] = dec2str(HELPDESK_SCHEMA_VERSION);
	args[1] = NULL;
	sql_update(trans, "DELETE FROM hd_schema");
	helpdesk_sql_update(trans, "INSERT INTO hd_schema (version) VALUES (?)",
		     args);
	if (helpdesk_sql_commit(store, &trans, error_r) < 0) {
		*error_r = t_strdup_printf("creating the schema failed: %s",
					   *error_r);
		return -1;
	}
	return 0;
}

void helpdesk_store_set_busy_timeout(struct helpdesk_store *store,
				     unsigned int msecs)
{
	if (store->path == NULL || store->busy_timeout_msecs == msecs)
		return;
	/* driver-sqlite fixes 1 s at connect; the connection stays open */
	sql_exec(store->db, t_strdup_printf("PRAGMA busy_timeout = %u",
					    msecs));
	store->busy_timeout_msecs = msecs;
}

bool helpdesk_store_replaced(struct helpdesk_store *store)
{
	struct stat st;

	if (store->path == NULL || store->ino == 0)
		return FALSE;
	if (stat(store->path, &st) < 0)
		return errno == ENOENT;
	return st.st_ino != store->ino || st.st_dev != store->dev;
}

int helpdesk_store_check(struct helpdesk_store *store, bool may_create,
			 bool *created_r, const char **error_r)
{
	unsigned int try, previous_msecs = 0;
	int ret;

	*created_r = FALSE;
	if (store->path != NULL &&
	    store_sqlite_precheck(store, may_create, error_r) < 0)
		return -1;
	if ((sql_get_flags(store->db) & SQL_DB_FLAG_BLOCKING) == 0 &&
	    sql_connect(store->db) < 0) {
		/* pgsql: the synchronous calls below wait for a connection
		   that is in progress, but never start one themselves */
		*error_r = "cannot connect to the database";
		return -1;
	}
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
	return 0;
}

static int parse_ticket(const char *value, uint64_t *ticket_r,
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
	"t.owner, t.tier, t.vip, t.created, t.updated"
#define TICKET_COLUMN_COUNT 11

static const char *field_dup(pool_t pool, struct sql_result *result,
			     unsigned int idx)
{
	const char *value = sql_result_get_field_value(result, idx);

	return p_strdup(pool, value == NULL ? "" : value);
}

/* Read TICKET_COLUMNS starting at column first. A NULL id (no ticket)
   leaves row_r->id 0. */
static void store_parse_ticket(struct sql_result *result, unsigned int first,
			       pool_t pool, struct helpdesk_ticket_row *row_r)
{
	const char *value;
	unsigned int tier;

	i_zero(row_r);
	value = sql_result_get_field_value(result, first);
	if (value == NULL || str_to_uint64(value, &row_r->id) < 0) {
		row_r->id = 0;
		return;
	}
	value = sql_result_get_field_value(result, first + 1);
	if (value == NULL || !helpdesk_status_parse(value, &row_r->status))
		row_r->status = HELPDESK_STATUS_OPEN;
	row_r->subject = field_dup(pool, result, first + 2);
	row_r->requester = field_dup(pool, result, first + 3);
	row_r->priority = field_dup(pool, result, first + 4);
	row_r->team = field_dup(pool, result, first + 5);
	row_r->owner = field_dup(pool, result, first + 6);
	value = sql_result_get_field_value(result, first + 7);
	if (value == NULL || str_to_uint(value, &tier) < 0 ||
	    tier < HELPDESK_TIER_MIN || tier > HELPDESK_TIER_MAX)
		tier = HELPDESK_TIER_MIN;
	row_r->tier = tier;
	value = sql_result_get_field_value(result, first + 8);
	row_r->vip = value != NULL && strcmp(value, "0") != 0 &&
		*value != '\0';
	value = sql_result_get_field_value(result, first + 9);
	if (value == NULL || str_to_int64(value, &row_r->created) < 0)
		row_r->created = 0;
	value = sql_result_get_field_value(result, first + 10);
	if (value == NULL || str_to_int64(value, &row_r->updated) < 0)
		row_r->updated = 0;
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
	struct sql_result *result;
	int ret;

	result = helpdesk_sql_query(store,
		"SELECT " TICKET_COLUMNS ", "
		"(" HELPDESK_SQL_AGENT_BY_ADDRESS "), "
		"(" HELPDESK_SQL_REPLY_ACTOR ") "
		"FROM hd_tickets t WHERE t.id = ?", args);
	ret = sql_result_next_row(result);
	if (ret < 0)
		*error_r = t_strdup(sql_result_get_error(result));
	else if (ret > 0) {
		store_parse_ticket(result, 0, pool, row_r);
		lookup->sender_agent = p_strdup(pool,
			sql_result_get_field_value(result,
						   TICKET_COLUMN_COUNT));
		lookup->reply_actor = p_strdup(pool,
			sql_result_get_field_value(result,
						   TICKET_COLUMN_COUNT + 1));
	}
	sql_result_unref(result);
	return ret < 0 ? -1 : 0;
}

int helpdesk_store_lookup_message(struct helpdesk_store *store,
				  const char *key, const char *sender,
				  const char *const *ref_ids,
				  unsigned int ref_count, pool_t pool,
				  struct helpdesk_store_lookup *lookup_r,
				  const char **error_r)
{
	struct sql_statement *stmt;
	struct sql_result *result;
	string_t *query;
	const char *mkey, *mticket;
	uint64_t ticket, ref_ticket = 0, known_ticket = 0;
	unsigned int i, best = UINT_MAX;
	int ret;

	i_zero(lookup_r);
	if (ref_count > HELPDESK_STORE_MAX_REFS)
		ref_count = HELPDESK_STORE_MAX_REFS;

	/* the message itself and the messages it refers to, in one short
	   query: this runs for every delivery (SQLite parses every statement
	   again, so its length counts) */
	query = t_str_new(128);
	str_append(query, "SELECT message_key, ticket_id FROM hd_messages "
		   "WHERE message_key IN (?");
	for (i = 0; i < ref_count; i++)
		str_append(query, ",?");
	str_append_c(query, ')');
	stmt = sql_statement_init(store->db, str_c(query));
	sql_statement_bind_str(stmt, 0, key);
	for (i = 0; i < ref_count; i++)
		sql_statement_bind_str(stmt, i + 1, ref_ids[i]);
	result = sql_statement_query_s(&stmt);

	while ((ret = sql_result_next_row(result)) > 0) {
		mkey = sql_result_get_field_value(result, 0);
		mticket = sql_result_get_field_value(result, 1);
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
		*error_r = t_strdup(sql_result_get_error(result));
	sql_result_unref(result);
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
	struct sql_result *result;
	int ret;

	i_zero(row_r);
	*found_r = FALSE;
	result = helpdesk_sql_query(store,
		"SELECT " TICKET_COLUMNS " FROM hd_tickets t WHERE t.id = ?",
		args);
	ret = sql_result_next_row(result);
	if (ret < 0)
		*error_r = t_strdup(sql_result_get_error(result));
	else if (ret > 0) {
		store_parse_ticket(result, 0, pool, row_r);
		*found_r = row_r->id != 0;
	}
	sql_result_unref(result);
	return ret < 0 ? -1 : 0;
}

int helpdesk_store_is_participant(struct helpdesk_store *store,
				  uint64_t ticket, const char *address,
				  bool *result_r, const char **error_r)
{
	const char *args[] = { dec2str(ticket), address, NULL }, *value;
	int ret;

	ret = helpdesk_sql_get_value(store,
		"SELECT 1 FROM hd_participants "
		"WHERE ticket_id = ? AND address = ?", args, &value, error_r);
	*result_r = ret > 0;
	return ret < 0 ? -1 : 0;
}

int helpdesk_store_claim(struct helpdesk_store *store, uint64_t ticket,
			 const char *user, int64_t now, bool *won_r,
			 const char **owner_r, const char **error_r)
{
	struct sql_transaction_context *trans;
	struct sql_statement *stmt;
	const char *ticket_str = t_strdup(dec2str(ticket));
	const char *now_str = t_strdup(dec2str(now));
	const char *args[] = { ticket_str, NULL }, *value;
	unsigned int rows = 0;

	*won_r = FALSE;
	*owner_r = NULL;
	trans = sql_transaction_begin(store->db);
	/* exactly one owner: only the first claim finds owner = '' */
	stmt = sql_statement_init(store->db,
		"UPDATE hd_tickets SET owner = ?, updated = ?, status = "
		"CASE status WHEN 'new' THEN 'open' ELSE status END "
		"WHERE id = ? AND owner = ''");
	sql_statement_bind_str(stmt, 0, user);
	sql_statement_bind_str(stmt, 1, now_str);
	sql_statement_bind_str(stmt, 2, ticket_str);
	sql_update_stmt_get_rows(trans, &stmt, &rows);
	{
		const char *ev_args[] = {
			t_strdup_printf("claimed:%s:%s:%s", ticket_str, user,
					helpdesk_store_unique_id()),
			ticket_str, user, now_str, ticket_str, user, NULL
		};
		helpdesk_sql_update(trans,
			"INSERT INTO hd_events (event_key, ticket_id, kind, "
			"actor, message_key, detail, created) "
			"SELECT ?, ?, 'claimed', ?, '', '', ? "
			"WHERE EXISTS (SELECT 1 FROM hd_tickets "
			"WHERE id = ? AND owner = ?) ON CONFLICT DO NOTHING",
			ev_args);
	}
	if (helpdesk_sql_commit(store, &trans, error_r) < 0)
		return -1;
	*won_r = rows > 0;
	if (*won_r) {
		*owner_r = t_strdup(user);
		return 0;
	}
	if (helpdesk_sql_get_value(store, "SELECT owner FROM hd_tickets "
				   "WHERE id = ?", args, &value, error_r) < 0)
		return -1;
	*owner_r = value;
	return 0;
}

int helpdesk_store_adopt_ticket(struct helpdesk_store *store,
				const struct helpdesk_ticket_row *row,
				const char *origin_key, const char **error_r)
{
	const char *created = t_strdup(dec2str(row->created));
	const char *args[] = {
		t_strdup(dec2str(row->id)), origin_key,
		row->subject == NULL ? "" : row->subject,
		row->requester == NULL ? "" : row->requester,
		helpdesk_status_name(row->status),
		row->priority == NULL ? "normal" : row->priority,
		row->team == NULL ? "" : row->team, created, created, NULL
	};

	return helpdesk_sql_exec(store,
		"INSERT INTO hd_tickets (id, origin_key, subject, requester, "
		"status, priority, team, created, updated) "
		"VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
		args, error_r);
}

int helpdesk_store_sync_sequence(struct helpdesk_store *store,
				 const char **error_r)
{
	const char *value;

	/* SQLite's AUTOINCREMENT follows explicit ids by itself */
	if (store->path != NULL)
		return 0;
	return helpdesk_sql_get_value(store,
		"SELECT setval(pg_get_serial_sequence('hd_tickets', 'id'), "
		"(SELECT COALESCE(MAX(id), 0) + 1 FROM hd_tickets), false)",
		NULL, &value, error_r) < 0 ? -1 : 0;
}

static void store_add_locations(struct helpdesk_store *store,
				struct sql_transaction_context *trans)
{
	const struct store_location *loc;

	array_foreach(&store->locations, loc) {
		const char *args[] = {
			loc->guid, t_strdup(dec2str(loc->uid)), loc->key, NULL
		};
		helpdesk_sql_update(trans,
			"UPDATE hd_messages SET mailbox_guid = ?, uid = ? "
			"WHERE message_key = ? AND uid = 0", args);
	}
}

static void store_clear_locations(struct helpdesk_store *store)
{
	array_clear(&store->locations);
	p_clear(store->loc_pool);
}

/* The ticket column of a statement: the number itself, or for a ticket
   opened in the same transaction a lookup by its origin key. Either way
   one parameter, bound to ticket_arg. */
#define TICKET_BY_ID "?"
#define TICKET_BY_ORIGIN "(SELECT id FROM hd_tickets WHERE origin_key = ?)"

static void
store_add_event(struct sql_transaction_context *trans, bool by_origin,
		const char *kind, const char *ticket_arg, const char *actor,
		const char *message_key, const char *detail, const char *now)
{
	const char *args[] = {
		t_strconcat(kind, ":", message_key, NULL), ticket_arg,
		kind, actor, message_key, detail, now, NULL
	};

	helpdesk_sql_update(trans, t_strconcat(
		"INSERT INTO hd_events (event_key, ticket_id, kind, actor, "
		"message_key, detail, created) VALUES (?, ",
		by_origin ? TICKET_BY_ORIGIN : TICKET_BY_ID,
		", ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING", NULL), args);
}

int helpdesk_store_record_message(struct helpdesk_store *store,
				  const struct helpdesk_store_message *msg,
				  uint64_t *ticket_r, const char **error_r)
{
	struct sql_transaction_context *trans;
	const char *now = t_strdup(dec2str(msg->now));
	const char *sender = msg->sender == NULL ? "" : msg->sender;
	const char *subject = msg->subject == NULL ? "" : msg->subject;
	const char *ticket_col, *ticket_arg, *value;
	const char *const *p;
	bool by_origin = msg->ev_created;
	bool has_ticket = msg->ticket != 0 || by_origin;
	int ret;

	*ticket_r = msg->ticket;
	ticket_col = by_origin ? TICKET_BY_ORIGIN : TICKET_BY_ID;
	ticket_arg = by_origin ? msg->key : t_strdup(dec2str(msg->ticket));

	trans = sql_transaction_begin(store->db);
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
		/* idempotent: a replay finds the ticket it opened before */
		helpdesk_sql_update(trans,
			"INSERT INTO hd_tickets (origin_key, subject, "
			"requester, status, priority, team, vip, created, "
			"updated) VALUES (?, ?, ?, 'new', ?, ?, ?, ?, ?) "
			"ON CONFLICT DO NOTHING", args);
	}
	{
		const char *args[] = {
			msg->key, has_ticket ? ticket_arg : "0", sender,
			subject, msg->kind, now, NULL
		};
		helpdesk_sql_update(trans, t_strconcat(
			"INSERT INTO hd_messages (message_key, ticket_id, "
			"sender, subject, kind, created) VALUES (?, ",
			has_ticket ? ticket_col : TICKET_BY_ID,
			", ?, ?, ?, ?) ON CONFLICT DO NOTHING", NULL), args);
	}
	if (has_ticket && msg->participants != NULL) {
		for (p = msg->participants; *p != NULL; p++) {
			const char *args[] = { ticket_arg, *p, NULL };

			helpdesk_sql_update(trans, t_strconcat(
				"INSERT INTO hd_participants (ticket_id, "
				"address) VALUES (", ticket_col,
				", ?) ON CONFLICT DO NOTHING", NULL), args);
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

		if (msg->ev_reopened) {
			store_add_event(trans, FALSE, "reopened", ticket_arg,
					sender, msg->key, "customer reply",
					now);
		}
		helpdesk_sql_update(trans,
			msg->ev_reopened || msg->customer_reply ?
			"UPDATE hd_tickets SET updated = ?, status = "
			"CASE status WHEN 'resolved' THEN 'open' "
			"WHEN 'waiting' THEN 'open' ELSE status END "
			"WHERE id = ?" :
			"UPDATE hd_tickets SET updated = ? WHERE id = ?",
			args);
	} else if (!has_ticket && msg->auto_reason != NULL) {
		store_add_event(trans, FALSE, "auto", "0", sender, msg->key,
				msg->auto_reason, now);
	}
	/* earlier deliveries' locations ride along */
	store_add_locations(store, trans);
	if (helpdesk_sql_commit(store, &trans, error_r) < 0)
		return -1;
	store_clear_locations(store);
	if (!by_origin)
		return 0;

	{
		const char *args[] = { msg->key, NULL };

		ret = helpdesk_sql_get_value(store,
			"SELECT id FROM hd_tickets WHERE origin_key = ?",
			args, &value, error_r);
	}
	if (ret < 0)
		return -1;
	if (ret == 0) {
		*error_r = "ticket vanished right after it was created";
		return -1;
	}
	return parse_ticket(value, ticket_r, error_r);
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
	struct sql_transaction_context *trans;

	if (array_count(&store->locations) == 0)
		return 0;
	trans = sql_transaction_begin(store->db);
	store_add_locations(store, trans);
	if (helpdesk_sql_commit(store, &trans, error_r) < 0)
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
	struct sql_result *result;
	const char *value;
	uint32_t uid;
	int ret;

	if (helpdesk_store_flush(store, error_r) < 0)
		return -1;
	i_zero(row_r);
	*unknown_r = 0;
	/* the ticket and where its messages are, in one query */
	result = helpdesk_sql_query(store,
		"SELECT " TICKET_COLUMNS ", m.uid FROM hd_tickets t "
		"LEFT JOIN hd_messages m ON m.ticket_id = t.id "
		"AND (m.mailbox_guid = ? OR m.uid = 0) WHERE t.id = ?", args);
	while ((ret = sql_result_next_row(result)) > 0) {
		if (row_r->id == 0)
			store_parse_ticket(result, 0, pool, row_r);
		value = sql_result_get_field_value(result,
						   TICKET_COLUMN_COUNT);
		if (value == NULL || str_to_uint32(value, &uid) < 0)
			continue;
		if (uid == 0)
			(*unknown_r)++;
		else
			array_push_back(uids, &uid);
	}
	if (ret < 0)
		*error_r = t_strdup(sql_result_get_error(result));
	sql_result_unref(result);
	return ret < 0 ? -1 : 0;
}

int helpdesk_store_select(struct helpdesk_store *store, const char *query,
			  const char *const *args,
			  helpdesk_store_row_callback_t *callback,
			  void *context, const char **error_r)
{
	struct sql_result *result;
	int ret;

	result = helpdesk_sql_query(store, query, args);
	while ((ret = sql_result_next_row(result)) > 0)
		callback(result, context);
	if (ret < 0)
		*error_r = t_strdup(sql_result_get_error(result));
	sql_result_unref(result);
	return ret < 0 ? -1 : 0;
}
