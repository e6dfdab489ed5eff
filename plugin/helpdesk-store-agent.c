/* Copyright (c) 2026 dovecot-helpdesk authors, see the included COPYING file */

/* The store's agents and teams (hd_agents, hd_teams). */

#include "lib.h"
#include "array.h"
#include "str.h"
#include "strnum.h"
#include "helpdesk-store.h"
#include "helpdesk-store-private.h"


/* The first two columns of a one-row query (data stack; NULL for SQL
   NULL or no row). */
static int store_get_pair(struct helpdesk_store *store, const char *query,
			  const char *const *args, const char **first_r,
			  const char **second_r, const char **error_r)
{
	struct helpdesk_db_result *result;
	int ret;

	*first_r = *second_r = NULL;
	result = helpdesk_db_query(store->db, query, args);
	ret = helpdesk_db_result_next_row(result);
	if (ret < 0)
		*error_r = t_strdup(helpdesk_db_result_error(result));
	else if (ret > 0) {
		*first_r = t_strdup(helpdesk_db_result_value(result, 0));
		*second_r = t_strdup(helpdesk_db_result_value(result, 1));
	}
	helpdesk_db_result_free(&result);
	return ret < 0 ? -1 : 0;
}

static bool store_count_is_nonzero(const char *value)
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
	*any_r = store_count_is_nonzero(count);
	return 0;
}

int helpdesk_store_agent_by_address(struct helpdesk_store *store,
				    const char *address,
				    const char **username_r,
				    const char **error_r)
{
	const char *args[] = { address, NULL };

	return helpdesk_db_get_value(store->db, HELPDESK_SQL_AGENT_BY_ADDRESS,
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
	*any_r = store_count_is_nonzero(count);
	*found_r = store_count_is_nonzero(found);
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
	struct helpdesk_db_trans *trans;
	const char *args[] = { username, NULL };
	unsigned int rows = 0;

	trans = helpdesk_db_begin(store->db);
	helpdesk_db_update(trans, "DELETE FROM hd_agents WHERE username = ?",
			   args, &rows);
	if (helpdesk_db_commit(&trans, error_r) < 0)
		return -1;
	*removed_r = rows > 0;
	return 0;
}

bool helpdesk_routing_is_valid(const char *mode)
{
	return strcmp(mode, HELPDESK_ROUTING_MANUAL) == 0 ||
		strcmp(mode, HELPDESK_ROUTING_ROUND_ROBIN) == 0 ||
		strcmp(mode, HELPDESK_ROUTING_LEAST_OPEN) == 0;
}

/* A team column to set: in the INSERT's list, and in its update. */
static void
store_team_column(string_t *columns, string_t *values, string_t *update,
		  ARRAY_TYPE(const_string) *insert_args,
		  ARRAY_TYPE(const_string) *update_args, const char *column,
		  const char *value)
{
	if (value == NULL)
		return;
	str_printfa(columns, ", %s", column);
	str_append(values, ", ?");
	str_printfa(update, ", %s = ?", column);
	array_push_back(insert_args, &value);
	array_push_back(update_args, &value);
}

int helpdesk_store_team_set(struct helpdesk_store *store, const char *name,
			    const struct helpdesk_store_team_settings *set,
			    int64_t now, const char **error_r)
{
	const char *now_str = t_strdup(dec2str(now));
	ARRAY_TYPE(const_string) insert_args, update_args;
	string_t *columns = t_str_new(128), *values = t_str_new(64);
	string_t *update = t_str_new(128);

	t_array_init(&insert_args, 16);
	t_array_init(&update_args, 8);
	array_push_back(&insert_args, &name);
	array_push_back(&insert_args, &now_str);
	/* only what is given: a team added again keeps the rest */
#define TEAM_COLUMN(column, value) \
	store_team_column(columns, values, update, &insert_args, \
			  &update_args, column, value)
	TEAM_COLUMN("tier", set->tier == NULL ? NULL :
		    t_strdup(dec2str(*set->tier)));
	TEAM_COLUMN("description", set->description);
	TEAM_COLUMN("routing", set->routing);
	TEAM_COLUMN("sla_first_response", set->sla.first_response);
	TEAM_COLUMN("sla_next_response", set->sla.next_response);
	TEAM_COLUMN("sla_resolution", set->sla.resolution);
	TEAM_COLUMN("business_hours", set->sla.business_hours);
	TEAM_COLUMN("timezone", set->sla.timezone);
	TEAM_COLUMN("holidays", set->sla.holidays);
#undef TEAM_COLUMN
	array_append_array(&insert_args, &update_args);
	array_append_zero(&insert_args);
	return helpdesk_sql_exec(store, t_strdup_printf(
		"INSERT INTO hd_teams (name, created%s) VALUES (?, ?%s) "
		"ON CONFLICT (name) DO %s%s", str_c(columns), str_c(values),
		str_len(update) == 0 ? "NOTHING" : "UPDATE SET ",
		str_len(update) == 0 ? "" : str_c(update) + 2),
		array_front(&insert_args), error_r);
}

int helpdesk_store_agent_get_away(struct helpdesk_store *store,
				  const char *username, bool *away_r,
				  bool *found_r, const char **error_r)
{
	const char *args[] = { username, NULL }, *value;
	int ret;

	ret = helpdesk_db_get_value(store->db, "SELECT away FROM hd_agents "
				    "WHERE username = ?", args, &value,
				    error_r);
	if (ret < 0)
		return -1;
	*found_r = ret > 0 && value != NULL;
	*away_r = *found_r && strcmp(value, "0") != 0;
	return 0;
}

int helpdesk_store_agent_set_away(struct helpdesk_store *store,
				  const char *username, bool away,
				  bool *found_r, const char **error_r)
{
	struct helpdesk_db_trans *trans;
	const char *args[] = { away ? "1" : "0", username, NULL };
	unsigned int rows = 0;

	*found_r = FALSE;
	trans = helpdesk_db_begin(store->db);
	helpdesk_db_update(trans, "UPDATE hd_agents SET away = ? "
			   "WHERE username = ?", args, &rows);
	if (helpdesk_db_commit(&trans, error_r) < 0)
		return -1;
	*found_r = rows > 0;
	return 0;
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
		if (helpdesk_db_get_value(store->db,
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
	struct helpdesk_db_result *result;
	ARRAY_TYPE(const_string) args;
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
	t_array_init(&args, count + 2);
	array_push_back(&args, &username);
	array_foreach_elem(tickets, ticket) {
		value = t_strdup(dec2str(ticket));
		array_push_back(&args, &value);
	}
	array_append_zero(&args);
	result = helpdesk_db_query(store->db, str_c(query), array_front(&args));
	ret = helpdesk_db_result_next_row(result);
	if (ret < 0)
		*error_r = t_strdup(helpdesk_db_result_error(result));
	else if (ret > 0) {
		value = helpdesk_db_result_value(result, 0);
		*any_r = store_count_is_nonzero(value);
		value = helpdesk_db_result_value(result, 1);
		*role_r = value == NULL ? NULL : t_strdup(value);
		found = helpdesk_db_result_uint64(result, 2);
	}
	helpdesk_db_result_free(&result);
	if (ret < 0)
		return -1;
	/* tickets are distinct: fewer found means one is missing (rare:
	   look for which) */
	if (found < count)
		return store_find_missing(store, tickets, missing_r, error_r);
	return 0;
}

/* The first column of every row of a query, in order. */
static int store_get_column(struct helpdesk_store *store, const char *query,
			    pool_t pool, ARRAY_TYPE(const_string) *values,
			    const char **error_r)
{
	struct helpdesk_db_result *result;
	const char *value;
	int ret;

	result = helpdesk_db_query(store->db, query, NULL);
	while ((ret = helpdesk_db_result_next_row(result)) > 0) {
		value = p_strdup(pool, helpdesk_db_result_value(result, 0));
		array_push_back(values, &value);
	}
	return helpdesk_db_result_finish(&result, ret, error_r);
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

int helpdesk_store_agent_list(struct helpdesk_store *store, pool_t pool,
			      ARRAY_TYPE(helpdesk_store_agent) *agents,
			      const char **error_r)
{
	struct helpdesk_store_agent *agent;
	struct helpdesk_db_result *result;
	int ret;

	result = helpdesk_db_query(store->db,
		"SELECT a.username, a.address, a.team, a.role, "
		"(SELECT COUNT(*) FROM hd_tickets t WHERE t.owner = a.username "
		"AND t.status != 'resolved'), a.created, a.away "
		"FROM hd_agents a ORDER BY a.username", NULL);
	while ((ret = helpdesk_db_result_next_row(result)) > 0) {
		agent = array_append_space(agents);
		agent->username = p_strdup(pool,
			helpdesk_db_result_value(result, 0));
		agent->address = p_strdup(pool,
			helpdesk_db_result_value(result, 1));
		agent->team = p_strdup(pool,
			helpdesk_db_result_value(result, 2));
		agent->role = p_strdup(pool,
			helpdesk_db_result_value(result, 3));
		agent->open_tickets =
			helpdesk_db_result_uint(result, 4);
		agent->created = helpdesk_db_result_int64(result, 5);
		agent->away = helpdesk_db_result_uint(result, 6) != 0;
	}
	return helpdesk_db_result_finish(&result, ret, error_r);
}

int helpdesk_store_team_list(struct helpdesk_store *store, pool_t pool,
			     ARRAY_TYPE(helpdesk_store_team) *teams,
			     const char **error_r)
{
	struct helpdesk_store_team *team;
	struct helpdesk_db_result *result;
	int ret;

	result = helpdesk_db_query(store->db,
		"SELECT m.name, m.tier, "
		"(SELECT COUNT(*) FROM hd_agents a WHERE a.team = m.name), "
		"(SELECT COUNT(*) FROM hd_tickets t WHERE t.team = m.name "
		"AND t.status != 'resolved'), m.description, m.routing, "
		"m.sla_first_response, m.sla_next_response, "
		"m.sla_resolution, m.business_hours, m.timezone, m.holidays "
		"FROM hd_teams m ORDER BY m.name", NULL);
	while ((ret = helpdesk_db_result_next_row(result)) > 0) {
		team = array_append_space(teams);
		team->name = p_strdup(pool, helpdesk_db_result_value(result, 0));
		team->tier = helpdesk_db_result_uint(result, 1);
		team->agents = helpdesk_db_result_uint(result, 2);
		team->open_tickets =
			helpdesk_db_result_uint(result, 3);
		team->description = p_strdup(pool,
			helpdesk_db_result_value(result, 4));
		team->routing = p_strdup(pool,
			helpdesk_db_result_value(result, 5));
		team->sla.first_response = p_strdup(pool,
			helpdesk_db_result_value(result, 6));
		team->sla.next_response = p_strdup(pool,
			helpdesk_db_result_value(result, 7));
		team->sla.resolution = p_strdup(pool,
			helpdesk_db_result_value(result, 8));
		team->sla.business_hours = p_strdup(pool,
			helpdesk_db_result_value(result, 9));
		team->sla.timezone = p_strdup(pool,
			helpdesk_db_result_value(result, 10));
		team->sla.holidays = p_strdup(pool,
			helpdesk_db_result_value(result, 11));
	}
	return helpdesk_db_result_finish(&result, ret, error_r);
}
