/* Copyright (c) 2026 dovecot-helpdesk authors, see the included COPYING file */

#include "lib.h"
#include "helpdesk-db.h"

int helpdesk_db_init(const struct helpdesk_db_settings *set,
		     struct helpdesk_db **db_r, const char **error_r)
{
	switch (set->driver) {
	case HELPDESK_DB_SQLITE:
		return helpdesk_db_sqlite_init(set, db_r, error_r);
	case HELPDESK_DB_PGSQL:
		return helpdesk_db_pgsql_init(set, db_r, error_r);
	}
	i_unreached();
}

void helpdesk_db_deinit(struct helpdesk_db **_db)
{
	struct helpdesk_db *db = *_db;

	if (db == NULL)
		return;
	*_db = NULL;
	db->v->deinit(db);
}

void helpdesk_db_drivers_deinit(void)
{
	helpdesk_db_pgsql_drivers_deinit();
}

int helpdesk_db_connect(struct helpdesk_db *db, bool may_create,
			const char **error_r)
{
	return db->v->connect(db, may_create, error_r);
}

void helpdesk_db_set_busy_timeout(struct helpdesk_db *db, unsigned int msecs)
{
	db->v->set_busy_timeout(db, msecs);
}

int helpdesk_db_exec(struct helpdesk_db *db, const char *query,
		     const char **error_r)
{
	return db->v->exec(db, query, error_r);
}

struct helpdesk_db_result *
helpdesk_db_query(struct helpdesk_db *db, const char *query,
		  const char *const *args)
{
	return db->v->query(db, query, args);
}

int helpdesk_db_result_next_row(struct helpdesk_db_result *result)
{
	const struct helpdesk_db_vfuncs **v =
		(const struct helpdesk_db_vfuncs **)result;

	return (*v)->result_next_row(result);
}

const char *helpdesk_db_result_value(struct helpdesk_db_result *result,
				     unsigned int idx)
{
	const struct helpdesk_db_vfuncs **v =
		(const struct helpdesk_db_vfuncs **)result;

	return (*v)->result_value(result, idx);
}

const char *helpdesk_db_result_error(struct helpdesk_db_result *result)
{
	const struct helpdesk_db_vfuncs **v =
		(const struct helpdesk_db_vfuncs **)result;

	return (*v)->result_error(result);
}

void helpdesk_db_result_free(struct helpdesk_db_result **_result)
{
	struct helpdesk_db_result *result = *_result;
	const struct helpdesk_db_vfuncs **v;

	if (result == NULL)
		return;
	*_result = NULL;
	v = (const struct helpdesk_db_vfuncs **)result;
	(*v)->result_free(result);
}

int helpdesk_db_result_finish(struct helpdesk_db_result **result, int ret,
			      const char **error_r)
{
	if (ret < 0)
		*error_r = t_strdup(helpdesk_db_result_error(*result));
	helpdesk_db_result_free(result);
	return ret < 0 ? -1 : 0;
}

uint64_t helpdesk_db_result_uint64(struct helpdesk_db_result *result,
				   unsigned int idx)
{
	const char *value = helpdesk_db_result_value(result, idx);
	uint64_t num;

	return value == NULL || str_to_uint64(value, &num) < 0 ? 0 : num;
}

int64_t helpdesk_db_result_int64(struct helpdesk_db_result *result,
				 unsigned int idx)
{
	const char *value = helpdesk_db_result_value(result, idx);
	int64_t num;

	return value == NULL || str_to_int64(value, &num) < 0 ? 0 : num;
}

unsigned int helpdesk_db_result_uint(struct helpdesk_db_result *result,
				     unsigned int idx)
{
	const char *value = helpdesk_db_result_value(result, idx);
	unsigned int num;

	return value == NULL || str_to_uint(value, &num) < 0 ? 0 : num;
}

int helpdesk_db_get_value(struct helpdesk_db *db, const char *query,
			  const char *const *args, const char **value_r,
			  const char **error_r)
{
	struct helpdesk_db_result *result;
	int ret;

	*value_r = NULL;
	result = helpdesk_db_query(db, query, args);
	ret = helpdesk_db_result_next_row(result);
	if (ret < 0)
		*error_r = t_strdup(helpdesk_db_result_error(result));
	else if (ret > 0)
		*value_r = t_strdup(helpdesk_db_result_value(result, 0));
	helpdesk_db_result_free(&result);
	return ret;
}

struct helpdesk_db_trans *helpdesk_db_begin(struct helpdesk_db *db)
{
	return db->v->begin(db);
}

void helpdesk_db_update(struct helpdesk_db_trans *trans, const char *query,
			const char *const *args, unsigned int *rows_r)
{
	const struct helpdesk_db_vfuncs **v =
		(const struct helpdesk_db_vfuncs **)trans;

	(*v)->update(trans, query, args, rows_r);
}

int helpdesk_db_commit(struct helpdesk_db_trans **_trans, const char **error_r)
{
	struct helpdesk_db_trans *trans = *_trans;
	const struct helpdesk_db_vfuncs **v =
		(const struct helpdesk_db_vfuncs **)trans;

	*_trans = NULL;
	return (*v)->commit(trans, error_r);
}

void helpdesk_db_rollback(struct helpdesk_db_trans **_trans)
{
	struct helpdesk_db_trans *trans = *_trans;
	const struct helpdesk_db_vfuncs **v =
		(const struct helpdesk_db_vfuncs **)trans;

	if (trans == NULL)
		return;
	*_trans = NULL;
	(*v)->rollback(trans);
}
