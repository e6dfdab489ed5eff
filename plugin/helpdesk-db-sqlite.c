/* Copyright (c) 2026 dovecot-helpdesk authors, see the included COPYING file */

/* SQLite through its own API. One connection per process (a delivery
   process serves many users), every statement prepared once and kept;
   a write transaction takes the write lock at its start (BEGIN
   IMMEDIATE) so that it never has to give up a read snapshot halfway,
   and waits for other writers as long as the busy timeout says. */

#include "lib.h"
#include "hash.h"
#include "str.h"
#include "helpdesk-db.h"

#include <sqlite3.h>

/* Statements kept at most (different texts: IN lists of several lengths);
   beyond, all are finalized and prepared again */
#define HELPDESK_DB_SQLITE_MAX_STATEMENTS 256
/* What a statement waits for another writer by default (deliveries must
   not be delayed) */
#define HELPDESK_DB_SQLITE_DEFAULT_BUSY_MSECS 1000

struct sqlite_statement {
	sqlite3_stmt *stmt;
	/* a result of it is open */
	bool busy;
};

struct sqlite_db {
	struct helpdesk_db db;
	char *path;
	sqlite3 *handle;
	unsigned int busy_msecs;
	HASH_TABLE(char *, struct sqlite_statement *) statements;
};

struct sqlite_result {
	const struct helpdesk_db_vfuncs *v;
	struct sqlite_db *sdb;
	struct sqlite_statement *st;
	/* prepared for this result only (the cached one was in use) */
	bool own;
	char *error;
};

struct sqlite_trans {
	const struct helpdesk_db_vfuncs *v;
	struct sqlite_db *sdb;
	/* the first error; later statements are not run */
	char *error;
	bool begun;
};

static const struct helpdesk_db_vfuncs sqlite_db_vfuncs;

static const char *sqlite_db_error(struct sqlite_db *sdb)
{
	return sdb->handle == NULL ? "database not open" :
		sqlite3_errmsg(sdb->handle);
}

static void sqlite_db_statements_clear(struct sqlite_db *sdb)
{
	struct hash_iterate_context *iter;
	struct sqlite_statement *st;
	char *key;

	if (!hash_table_is_created(sdb->statements))
		return;
	iter = hash_table_iterate_init(sdb->statements);
	while (hash_table_iterate(iter, sdb->statements, &key, &st)) {
		i_assert(!st->busy);
		sqlite3_finalize(st->stmt);
		i_free(st);
		i_free(key);
	}
	hash_table_iterate_deinit(&iter);
	hash_table_clear(sdb->statements, TRUE);
}

static void sqlite_db_close(struct sqlite_db *sdb)
{
	sqlite_db_statements_clear(sdb);
	if (sdb->handle != NULL) {
		(void)sqlite3_close_v2(sdb->handle);
		sdb->handle = NULL;
	}
}

static void sqlite_db_deinit(struct helpdesk_db *db)
{
	struct sqlite_db *sdb = (struct sqlite_db *)db;

	sqlite_db_close(sdb);
	if (hash_table_is_created(sdb->statements))
		hash_table_destroy(&sdb->statements);
	event_unref(&sdb->db.event);
	i_free(sdb->path);
	i_free(sdb);
}

static int
sqlite_db_connect(struct helpdesk_db *db, bool may_create,
		  const char **error_r)
{
	struct sqlite_db *sdb = (struct sqlite_db *)db;
	int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX;
	int ret;

	if (sdb->handle != NULL)
		return 0;
	if (may_create)
		flags |= SQLITE_OPEN_CREATE;
	ret = sqlite3_open_v2(sdb->path, &sdb->handle, flags, NULL);
	if (ret != SQLITE_OK) {
		*error_r = t_strdup_printf("sqlite3_open(%s) failed: %s",
					   sdb->path, sdb->handle == NULL ?
					   sqlite3_errstr(ret) :
					   sqlite3_errmsg(sdb->handle));
		sqlite_db_close(sdb);
		return -1;
	}
	(void)sqlite3_extended_result_codes(sdb->handle, 0);
	(void)sqlite3_busy_timeout(sdb->handle, (int)sdb->busy_msecs);
	return 0;
}

static void sqlite_db_set_busy_timeout(struct helpdesk_db *db,
				       unsigned int msecs)
{
	struct sqlite_db *sdb = (struct sqlite_db *)db;

	sdb->busy_msecs = msecs;
	if (sdb->handle != NULL)
		(void)sqlite3_busy_timeout(sdb->handle, (int)msecs);
}

static int sqlite_db_exec(struct helpdesk_db *db, const char *query,
			  const char **error_r)
{
	struct sqlite_db *sdb = (struct sqlite_db *)db;
	char *errmsg = NULL;

	if (sdb->handle == NULL &&
	    sqlite_db_connect(db, FALSE, error_r) < 0)
		return -1;
	if (sqlite3_exec(sdb->handle, query, NULL, NULL, &errmsg) != SQLITE_OK) {
		*error_r = t_strdup(errmsg != NULL ? errmsg :
				    sqlite_db_error(sdb));
		sqlite3_free(errmsg);
		return -1;
	}
	return 0;
}

/* The prepared statement of query (cached), with args bound. NULL with
   *error_r when it can't be prepared. *own_r: prepared for this use only
   (the cached one is busy), to be finalized by the caller. */
static struct sqlite_statement *
sqlite_db_statement(struct sqlite_db *sdb, const char *query,
		    const char *const *args, bool *own_r, const char **error_r)
{
	struct sqlite_statement *st;
	sqlite3_stmt *stmt;
	unsigned int i;
	int ret;

	*own_r = FALSE;
	if (sdb->handle == NULL &&
	    sqlite_db_connect(&sdb->db, FALSE, error_r) < 0)
		return NULL;
	st = hash_table_lookup(sdb->statements, query);
	if (st != NULL && st->busy) {
		/* a result of the same text is still open */
		st = NULL;
		*own_r = TRUE;
	}
	if (st == NULL) {
		ret = sqlite3_prepare_v3(sdb->handle, query, -1,
					 *own_r ? 0 : SQLITE_PREPARE_PERSISTENT,
					 &stmt, NULL);
		if (ret != SQLITE_OK) {
			*error_r = t_strdup(sqlite_db_error(sdb));
			return NULL;
		}
		st = i_new(struct sqlite_statement, 1);
		st->stmt = stmt;
		if (!*own_r) {
			if (hash_table_count(sdb->statements) >=
			    HELPDESK_DB_SQLITE_MAX_STATEMENTS)
				sqlite_db_statements_clear(sdb);
			hash_table_insert(sdb->statements, i_strdup(query),
					  st);
		}
	}
	for (i = 0; args != NULL && args[i] != NULL; i++) {
		/* the parameters may be gone before the statement runs to
		   its end: SQLite copies them */
		if (sqlite3_bind_text(st->stmt, (int)i + 1, args[i], -1,
				      SQLITE_TRANSIENT) != SQLITE_OK) {
			*error_r = t_strdup(sqlite_db_error(sdb));
			(void)sqlite3_reset(st->stmt);
			(void)sqlite3_clear_bindings(st->stmt);
			if (*own_r) {
				sqlite3_finalize(st->stmt);
				i_free(st);
			}
			return NULL;
		}
	}
	return st;
}

static void sqlite_db_statement_done(struct sqlite_statement *st, bool own)
{
	if (own) {
		sqlite3_finalize(st->stmt);
		i_free(st);
		return;
	}
	(void)sqlite3_reset(st->stmt);
	(void)sqlite3_clear_bindings(st->stmt);
	st->busy = FALSE;
}

static struct helpdesk_db_result *
sqlite_db_query(struct helpdesk_db *db, const char *query,
		const char *const *args)
{
	struct sqlite_db *sdb = (struct sqlite_db *)db;
	struct sqlite_result *result;
	const char *error;

	result = i_new(struct sqlite_result, 1);
	result->v = &sqlite_db_vfuncs;
	result->sdb = sdb;
	result->st = sqlite_db_statement(sdb, query, args, &result->own,
					 &error);
	if (result->st == NULL)
		result->error = i_strdup(error);
	else
		result->st->busy = TRUE;
	return (struct helpdesk_db_result *)result;
}

static int sqlite_db_result_next_row(struct helpdesk_db_result *_result)
{
	struct sqlite_result *result = (struct sqlite_result *)_result;
	int ret;

	if (result->error != NULL)
		return -1;
	if (result->st == NULL)
		return 0;
	ret = sqlite3_step(result->st->stmt);
	if (ret == SQLITE_ROW)
		return 1;
	if (ret == SQLITE_DONE)
		return 0;
	result->error = i_strdup(sqlite_db_error(result->sdb));
	return -1;
}

static const char *
sqlite_db_result_value(struct helpdesk_db_result *_result, unsigned int idx)
{
	struct sqlite_result *result = (struct sqlite_result *)_result;

	return (const char *)sqlite3_column_text(result->st->stmt, (int)idx);
}

static const char *sqlite_db_result_error(struct helpdesk_db_result *_result)
{
	struct sqlite_result *result = (struct sqlite_result *)_result;

	return result->error != NULL ? result->error : "no error";
}

static void sqlite_db_result_free(struct helpdesk_db_result *_result)
{
	struct sqlite_result *result = (struct sqlite_result *)_result;

	if (result->st != NULL)
		sqlite_db_statement_done(result->st, result->own);
	i_free(result->error);
	i_free(result);
}

/* Run a statement without result rows (in a transaction). */
static int
sqlite_db_run(struct sqlite_db *sdb, const char *query,
	      const char *const *args, unsigned int *rows_r,
	      const char **error_r)
{
	struct sqlite_statement *st;
	bool own;
	int ret;

	st = sqlite_db_statement(sdb, query, args, &own, error_r);
	if (st == NULL)
		return -1;
	while ((ret = sqlite3_step(st->stmt)) == SQLITE_ROW) ;
	if (ret != SQLITE_DONE)
		*error_r = t_strdup(sqlite_db_error(sdb));
	else if (rows_r != NULL)
		*rows_r = (unsigned int)sqlite3_changes(sdb->handle);
	sqlite_db_statement_done(st, own);
	return ret == SQLITE_DONE ? 0 : -1;
}

static struct helpdesk_db_trans *sqlite_db_begin(struct helpdesk_db *db)
{
	struct sqlite_db *sdb = (struct sqlite_db *)db;
	struct sqlite_trans *trans;
	const char *error;

	trans = i_new(struct sqlite_trans, 1);
	trans->v = &sqlite_db_vfuncs;
	trans->sdb = sdb;
	/* the write lock now: a transaction that read first could not be
	   upgraded while another process writes */
	if (sqlite_db_run(sdb, "BEGIN IMMEDIATE", NULL, NULL, &error) < 0)
		trans->error = i_strdup(error);
	else
		trans->begun = TRUE;
	return (struct helpdesk_db_trans *)trans;
}

static void
sqlite_db_update(struct helpdesk_db_trans *_trans, const char *query,
		 const char *const *args, unsigned int *rows_r)
{
	struct sqlite_trans *trans = (struct sqlite_trans *)_trans;
	const char *error;

	if (rows_r != NULL)
		*rows_r = 0;
	if (trans->error != NULL)
		return;
	if (sqlite_db_run(trans->sdb, query, args, rows_r, &error) < 0)
		trans->error = i_strdup(error);
}

static void sqlite_db_trans_free(struct sqlite_trans *trans)
{
	i_free(trans->error);
	i_free(trans);
}

static void sqlite_db_rollback(struct helpdesk_db_trans *_trans)
{
	struct sqlite_trans *trans = (struct sqlite_trans *)_trans;
	const char *error;

	if (trans->begun &&
	    sqlite_db_run(trans->sdb, "ROLLBACK", NULL, NULL, &error) < 0) {
		e_error(trans->sdb->db.event, "ROLLBACK failed: %s", error);
	}
	sqlite_db_trans_free(trans);
}

static int
sqlite_db_commit(struct helpdesk_db_trans *_trans, const char **error_r)
{
	struct sqlite_trans *trans = (struct sqlite_trans *)_trans;
	const char *error;

	if (trans->error == NULL &&
	    sqlite_db_run(trans->sdb, "COMMIT", NULL, NULL, &error) < 0)
		trans->error = i_strdup(error);
	if (trans->error == NULL) {
		sqlite_db_trans_free(trans);
		return 0;
	}
	*error_r = t_strdup(trans->error);
	/* nothing of it stays (a failed COMMIT leaves it open) */
	if (trans->begun && sqlite3_get_autocommit(trans->sdb->handle) == 0)
		(void)sqlite_db_run(trans->sdb, "ROLLBACK", NULL, NULL, &error);
	trans->begun = FALSE;
	sqlite_db_trans_free(trans);
	return -1;
}

static const struct helpdesk_db_vfuncs sqlite_db_vfuncs = {
	.deinit = sqlite_db_deinit,
	.connect = sqlite_db_connect,
	.set_busy_timeout = sqlite_db_set_busy_timeout,
	.exec = sqlite_db_exec,
	.query = sqlite_db_query,
	.result_next_row = sqlite_db_result_next_row,
	.result_value = sqlite_db_result_value,
	.result_error = sqlite_db_result_error,
	.result_free = sqlite_db_result_free,
	.begin = sqlite_db_begin,
	.update = sqlite_db_update,
	.commit = sqlite_db_commit,
	.rollback = sqlite_db_rollback,
};

int helpdesk_db_sqlite_init(const struct helpdesk_db_settings *set,
			    struct helpdesk_db **db_r,
			    const char **error_r ATTR_UNUSED)
{
	struct sqlite_db *sdb;

	sdb = i_new(struct sqlite_db, 1);
	sdb->db.v = &sqlite_db_vfuncs;
	sdb->db.driver = HELPDESK_DB_SQLITE;
	sdb->db.event = event_create(set->event_parent);
	sdb->path = i_strdup(set->connect);
	sdb->busy_msecs = HELPDESK_DB_SQLITE_DEFAULT_BUSY_MSECS;
	hash_table_create(&sdb->statements, default_pool, 32, str_hash,
			  strcmp);
	*db_r = &sdb->db;
	return 0;
}
