/* Copyright (c) 2026 dovecot-helpdesk authors, see the included COPYING file */

/* PostgreSQL through Dovecot's lib-sql (its pgsql driver pools
   connections and runs on Dovecot's ioloop), used synchronously. */

#include "lib.h"
#include "array.h"
#include "module-dir.h"
#include "sql-api-private.h"
#include "helpdesk-db.h"

struct pgsql_db {
	struct helpdesk_db db;
	struct sql_db *sql;
};

struct pgsql_result {
	const struct helpdesk_db_vfuncs *v;
	struct sql_result *result;
	char *error;
};

struct pgsql_trans {
	const struct helpdesk_db_vfuncs *v;
	struct pgsql_db *pdb;
	struct sql_transaction_context *trans;
};

static struct module *helpdesk_sql_modules = NULL;
static bool helpdesk_sql_drivers_inited = FALSE;
static const struct helpdesk_db_vfuncs pgsql_db_vfuncs;

static bool pgsql_driver_is_registered(const char *name)
{
	const struct sql_db *driver;

	array_foreach_elem(&sql_drivers, driver) {
		if (strcmp(driver->name, name) == 0)
			return TRUE;
	}
	return FALSE;
}

/* lib-sql and its pgsql driver module, once per process: imap, lmtp and
   doveadm don't load lib-sql's drivers themselves. */
static int pgsql_driver_load(const char *moduledir, const char **error_r)
{
	struct module_dir_load_settings mod_set;
	const char *error;

	if (!array_is_created(&sql_drivers)) {
		sql_drivers_init();
		sql_drivers_register_all();
		helpdesk_sql_drivers_inited = TRUE;
	}
	if (pgsql_driver_is_registered("pgsql"))
		return 0;

	i_zero(&mod_set);
	mod_set.abi_version = DOVECOT_ABI_VERSION;
	mod_set.require_init_funcs = TRUE;
	if (module_dir_try_load_missing(&helpdesk_sql_modules, moduledir,
					"driver_pgsql", &mod_set,
					&error) < 0) {
		*error_r = t_strdup_printf(
			"cannot load the pgsql driver of lib-sql from %s: %s",
			moduledir, error);
		return -1;
	}
	module_dir_init(helpdesk_sql_modules);
	if (!pgsql_driver_is_registered("pgsql")) {
		*error_r = "lib-sql driver pgsql did not register";
		return -1;
	}
	return 0;
}

void helpdesk_db_pgsql_drivers_deinit(void)
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

static void pgsql_db_deinit(struct helpdesk_db *db)
{
	struct pgsql_db *pdb = (struct pgsql_db *)db;

	sql_unref(&pdb->sql);
	event_unref(&pdb->db.event);
	i_free(pdb);
}

static int
pgsql_db_connect(struct helpdesk_db *db, bool may_create ATTR_UNUSED,
		 const char **error_r)
{
	struct pgsql_db *pdb = (struct pgsql_db *)db;

	/* the synchronous calls wait for a connection that is in progress,
	   but never start one themselves */
	if ((sql_get_flags(pdb->sql) & SQL_DB_FLAG_BLOCKING) == 0 &&
	    sql_connect(pdb->sql) < 0) {
		*error_r = "cannot connect to the database";
		return -1;
	}
	return 0;
}

static void pgsql_db_set_busy_timeout(struct helpdesk_db *db ATTR_UNUSED,
				      unsigned int msecs ATTR_UNUSED)
{
	/* PostgreSQL waits for row locks by itself */
}

static struct sql_statement *
pgsql_db_statement(struct pgsql_db *pdb, const char *query,
		   const char *const *args)
{
	struct sql_statement *stmt;
	unsigned int i;

	stmt = sql_statement_init(pdb->sql, query);
	for (i = 0; args != NULL && args[i] != NULL; i++)
		sql_statement_bind_str(stmt, i, args[i]);
	return stmt;
}

static struct helpdesk_db_result *
pgsql_db_query(struct helpdesk_db *db, const char *query,
	       const char *const *args)
{
	struct pgsql_db *pdb = (struct pgsql_db *)db;
	struct pgsql_result *result;
	struct sql_statement *stmt;

	result = i_new(struct pgsql_result, 1);
	result->v = &pgsql_db_vfuncs;
	if (args == NULL || args[0] == NULL) {
		/* lib-sql's statement emulation can't do without
		   parameters */
		result->result = sql_query_s(pdb->sql, query);
	} else {
		stmt = pgsql_db_statement(pdb, query, args);
		result->result = sql_statement_query_s(&stmt);
	}
	return (struct helpdesk_db_result *)result;
}

static int pgsql_db_result_next_row(struct helpdesk_db_result *_result)
{
	struct pgsql_result *result = (struct pgsql_result *)_result;
	int ret;

	ret = sql_result_next_row(result->result);
	if (ret < 0 && result->error == NULL)
		result->error = i_strdup(sql_result_get_error(result->result));
	return ret < 0 ? -1 : (ret > 0 ? 1 : 0);
}

static const char *
pgsql_db_result_value(struct helpdesk_db_result *_result, unsigned int idx)
{
	struct pgsql_result *result = (struct pgsql_result *)_result;

	return sql_result_get_field_value(result->result, idx);
}

static const char *pgsql_db_result_error(struct helpdesk_db_result *_result)
{
	struct pgsql_result *result = (struct pgsql_result *)_result;

	return result->error != NULL ? result->error : "no error";
}

static void pgsql_db_result_free(struct helpdesk_db_result *_result)
{
	struct pgsql_result *result = (struct pgsql_result *)_result;

	sql_result_unref(result->result);
	i_free(result->error);
	i_free(result);
}

static int pgsql_db_exec(struct helpdesk_db *db, const char *query,
			 const char **error_r)
{
	struct helpdesk_db_trans *trans;

	trans = helpdesk_db_begin(db);
	helpdesk_db_update(trans, query, NULL, NULL);
	return helpdesk_db_commit(&trans, error_r);
}

static struct helpdesk_db_trans *pgsql_db_begin(struct helpdesk_db *db)
{
	struct pgsql_db *pdb = (struct pgsql_db *)db;
	struct pgsql_trans *trans;

	trans = i_new(struct pgsql_trans, 1);
	trans->v = &pgsql_db_vfuncs;
	trans->pdb = pdb;
	trans->trans = sql_transaction_begin(pdb->sql);
	return (struct helpdesk_db_trans *)trans;
}

static void
pgsql_db_update(struct helpdesk_db_trans *_trans, const char *query,
		const char *const *args, unsigned int *rows_r)
{
	struct pgsql_trans *trans = (struct pgsql_trans *)_trans;
	struct sql_statement *stmt;

	if (rows_r != NULL)
		*rows_r = 0;
	stmt = pgsql_db_statement(trans->pdb, query, args);
	if (rows_r != NULL)
		sql_update_stmt_get_rows(trans->trans, &stmt, rows_r);
	else
		sql_update_stmt(trans->trans, &stmt);
}

static int
pgsql_db_commit(struct helpdesk_db_trans *_trans, const char **error_r)
{
	struct pgsql_trans *trans = (struct pgsql_trans *)_trans;
	int ret;

	ret = sql_transaction_commit_s(&trans->trans, error_r);
	i_free(trans);
	return ret;
}

static void pgsql_db_rollback(struct helpdesk_db_trans *_trans)
{
	struct pgsql_trans *trans = (struct pgsql_trans *)_trans;

	sql_transaction_rollback(&trans->trans);
	i_free(trans);
}

static const struct helpdesk_db_vfuncs pgsql_db_vfuncs = {
	.deinit = pgsql_db_deinit,
	.connect = pgsql_db_connect,
	.set_busy_timeout = pgsql_db_set_busy_timeout,
	.exec = pgsql_db_exec,
	.query = pgsql_db_query,
	.result_next_row = pgsql_db_result_next_row,
	.result_value = pgsql_db_result_value,
	.result_error = pgsql_db_result_error,
	.result_free = pgsql_db_result_free,
	.begin = pgsql_db_begin,
	.update = pgsql_db_update,
	.commit = pgsql_db_commit,
	.rollback = pgsql_db_rollback,
};

int helpdesk_db_pgsql_init(const struct helpdesk_db_settings *set,
			   struct helpdesk_db **db_r, const char **error_r)
{
	struct pgsql_db *pdb;
	struct sql_settings sql_set;

	if (pgsql_driver_load(set->moduledir, error_r) < 0)
		return -1;
	pdb = i_new(struct pgsql_db, 1);
	pdb->db.v = &pgsql_db_vfuncs;
	pdb->db.driver = HELPDESK_DB_PGSQL;
	pdb->db.event = event_create(set->event_parent);

	i_zero(&sql_set);
	sql_set.driver = "pgsql";
	sql_set.connect_string = set->connect;
	sql_set.event_parent = pdb->db.event;
	if (sql_init_full(&sql_set, &pdb->sql, error_r) < 0) {
		event_unref(&pdb->db.event);
		i_free(pdb);
		return -1;
	}
	*db_r = &pdb->db;
	return 0;
}
