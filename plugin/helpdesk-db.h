#ifndef HELPDESK_DB_H
#define HELPDESK_DB_H

/* The database under the store (helpdesk-store*.c only): SQLite through
   its own API, every statement prepared once per process and kept
   (helpdesk-db-sqlite.c), or PostgreSQL through Dovecot's lib-sql, which
   pools connections for several servers (helpdesk-db-pgsql.c). Dovecot
   2.3's lib-sql has no prepared statements for SQLite: it builds the SQL
   text of every statement and SQLite parses it each time, which was the
   largest part of what the plugin added to a delivery.

   Statements are SQL text with ? placeholders and string parameters
   (NULL-terminated arrays, NULL for none). The same text is the same
   prepared statement. */

struct event;
struct helpdesk_db;
struct helpdesk_db_result;
struct helpdesk_db_trans;

enum helpdesk_db_driver {
	HELPDESK_DB_SQLITE = 0,
	HELPDESK_DB_PGSQL,
};

struct helpdesk_db_settings {
	enum helpdesk_db_driver driver;
	/* sqlite: the file's absolute path; pgsql: lib-sql's connect
	   string */
	const char *connect;
	/* pgsql: where lib-sql's driver module is */
	const char *moduledir;
	struct event *event_parent;
};

struct helpdesk_db_vfuncs {
	void (*deinit)(struct helpdesk_db *db);
	int (*connect)(struct helpdesk_db *db, bool may_create,
		       const char **error_r);
	void (*set_busy_timeout)(struct helpdesk_db *db, unsigned int msecs);
	int (*exec)(struct helpdesk_db *db, const char *query,
		    const char **error_r);

	struct helpdesk_db_result *(*query)(struct helpdesk_db *db,
					    const char *query,
					    const char *const *args);
	int (*result_next_row)(struct helpdesk_db_result *result);
	const char *(*result_value)(struct helpdesk_db_result *result,
				    unsigned int idx);
	const char *(*result_error)(struct helpdesk_db_result *result);
	void (*result_free)(struct helpdesk_db_result *result);

	struct helpdesk_db_trans *(*begin)(struct helpdesk_db *db);
	void (*update)(struct helpdesk_db_trans *trans, const char *query,
		       const char *const *args, unsigned int *rows_r);
	int (*commit)(struct helpdesk_db_trans *trans, const char **error_r);
	void (*rollback)(struct helpdesk_db_trans *trans);
};

struct helpdesk_db {
	const struct helpdesk_db_vfuncs *v;
	enum helpdesk_db_driver driver;
	struct event *event;
};

/* Create a handle; nothing is opened or connected yet. */
int helpdesk_db_init(const struct helpdesk_db_settings *set,
		     struct helpdesk_db **db_r, const char **error_r);
void helpdesk_db_deinit(struct helpdesk_db **db);
/* Unload the lib-sql driver modules loaded for PostgreSQL. */
void helpdesk_db_drivers_deinit(void);

/* Open (SQLite: the file, created only when may_create) or connect
   (PostgreSQL) now, if not yet. Returns 0 or -1 with *error_r. */
int helpdesk_db_connect(struct helpdesk_db *db, bool may_create,
			const char **error_r);
/* How long a statement waits for another writer (SQLite; no-op for
   PostgreSQL). */
void helpdesk_db_set_busy_timeout(struct helpdesk_db *db,
				  unsigned int msecs);
/* One statement without parameters or result rows, outside any
   transaction (PRAGMAs). */
int helpdesk_db_exec(struct helpdesk_db *db, const char *query,
		     const char **error_r);

/* A query: its rows with next_row() (1 a row, 0 the end, -1 an error,
   then result_error()), the columns of the current row as strings (NULL
   for SQL NULL, valid until the next row). Only one result of the same
   statement text may be open at a time. */
struct helpdesk_db_result *
helpdesk_db_query(struct helpdesk_db *db, const char *query,
		  const char *const *args);
int helpdesk_db_result_next_row(struct helpdesk_db_result *result);
const char *helpdesk_db_result_value(struct helpdesk_db_result *result,
				     unsigned int idx);
const char *helpdesk_db_result_error(struct helpdesk_db_result *result);
void helpdesk_db_result_free(struct helpdesk_db_result **result);
/* After the last next_row() (its return value ret): free the result and
   return 0, or -1 with *error_r when ret < 0. */
int helpdesk_db_result_finish(struct helpdesk_db_result **result, int ret,
			      const char **error_r);
/* A column of the current row as a number: 0 for SQL NULL or a value
   that is not one (counts, ids and times are never negative text). */
uint64_t helpdesk_db_result_uint64(struct helpdesk_db_result *result,
				   unsigned int idx);
int64_t helpdesk_db_result_int64(struct helpdesk_db_result *result,
				 unsigned int idx);
unsigned int helpdesk_db_result_uint(struct helpdesk_db_result *result,
				     unsigned int idx);

/* The first column of the first row: 1 with *value_r (data stack, NULL
   for SQL NULL), 0 when there is no row, -1 with *error_r. */
int helpdesk_db_get_value(struct helpdesk_db *db, const char *query,
			  const char *const *args, const char **value_r,
			  const char **error_r);

/* A write transaction: its statements are carried out in order (SQLite:
   at once, PostgreSQL: at the commit); *rows_r (may be NULL) is the
   number of rows a statement changed, set by the commit at the latest.
   The first failing statement fails the commit, which then applies
   nothing. */
struct helpdesk_db_trans *helpdesk_db_begin(struct helpdesk_db *db);
void helpdesk_db_update(struct helpdesk_db_trans *trans, const char *query,
			const char *const *args, unsigned int *rows_r);
int helpdesk_db_commit(struct helpdesk_db_trans **trans,
		       const char **error_r);
void helpdesk_db_rollback(struct helpdesk_db_trans **trans);

/* helpdesk-db-sqlite.c, helpdesk-db-pgsql.c */
int helpdesk_db_sqlite_init(const struct helpdesk_db_settings *set,
			    struct helpdesk_db **db_r, const char **error_r);
int helpdesk_db_pgsql_init(const struct helpdesk_db_settings *set,
			   struct helpdesk_db **db_r, const char **error_r);
void helpdesk_db_pgsql_drivers_deinit(void);

#endif
