/* Copyright (c) 2026 dovecot-helpdesk authors, see the included COPYING file */

/* SLA figures per agent and team (helpdesk-stats.h says what each one
   means): one read of the ledger's events of the period, each with what
   its figure needs (a first reply's ticket creation, a resolution's
   start, the ticket's SLA terms, the actor's team), folded here into
   samples per agent, then per team. */

#include "lib.h"
#include "array.h"
#include "hash.h"
#include "str.h"
#include "strnum.h"
#include "helpdesk-calendar.h"
#include "helpdesk-store.h"
#include "helpdesk-store-private.h"
#include "helpdesk-stats.h"

/* The events of the period that give figures, in no particular order
   (the figures don't depend on it): kind, actor, ticket, time, the
   actor's team, the ticket's team, priority and VIP flag, and the moment
   the figure counts from: for a ticket's first "replied" event ever its
   "created" event, for a "resolved" event the last "created" or
   "reopened" event before it (NULL: none, or no sample). The correlated
   subqueries go by hd_events' ticket_id index (in its order: so SQLite,
   without statistics, does not walk an index on kind instead); the
   period by an index on (kind, created) when there is one, else a scan
   of hd_events. */
#define STATS_EVENTS_QUERY \
	"SELECT e.kind, e.actor, e.ticket_id, e.created, " \
	"COALESCE(a.team, ''), COALESCE(t.team, ''), " \
	"COALESCE(t.priority, ''), COALESCE(t.vip, 0), " \
	"CASE WHEN e.kind = 'replied' AND NOT EXISTS (" \
	"SELECT 1 FROM hd_events p WHERE p.ticket_id = e.ticket_id " \
	"AND p.kind = 'replied' AND p.id < e.id) THEN (" \
	"SELECT c.created FROM hd_events c " \
	"WHERE c.ticket_id = e.ticket_id AND c.id < e.id " \
	"AND c.kind = 'created' ORDER BY c.id LIMIT 1) " \
	"WHEN e.kind = 'resolved' THEN (" \
	"SELECT s.created FROM hd_events s " \
	"WHERE s.ticket_id = e.ticket_id AND s.id < e.id " \
	"AND s.kind IN ('created', 'reopened') ORDER BY s.id DESC LIMIT 1) " \
	"END " \
	"FROM hd_events e " \
	"LEFT JOIN hd_agents a ON a.username = e.actor " \
	"LEFT JOIN hd_tickets t ON t.id = e.ticket_id " \
	"WHERE e.kind IN ('replied', 'resolved', 'sla_met', 'sla_breached') " \
	"AND e.created > CAST(? AS BIGINT) AND e.created <= CAST(? AS BIGINT)"

/* The rating requests in the period, each with its rating if it got one
   (any time): by the owner at the resolution, the agent rated. */
#define STATS_CSAT_QUERY \
	"SELECT e.actor, COALESCE(a.team, ''), r.score " \
	"FROM hd_events e " \
	"LEFT JOIN hd_agents a ON a.username = e.actor " \
	"LEFT JOIN hd_ratings r ON r.ticket_id = e.ticket_id " \
	"AND r.resolution = CAST(e.detail AS BIGINT) " \
	"WHERE e.kind = 'csat-requested' " \
	"AND e.created > CAST(? AS BIGINT) AND e.created <= CAST(? AS BIGINT)"

ARRAY_DEFINE_TYPE(stats_secs, int64_t);

/* An agent's (or a team's) figures while they are collected. */
struct stats_entry {
	const char *name, *team;
	ARRAY_TYPE(uint64_t) tickets;
	/* business seconds */
	ARRAY_TYPE(stats_secs) first_response, resolution;
	unsigned int met, breached;
	unsigned int csat_requests, csat_ratings, csat_score_sum;
};

struct stats_context {
	struct helpdesk_store *store;
	pool_t pool;
	HASH_TABLE(const char *, struct stats_entry *) agents_hash;
	ARRAY(struct stats_entry *) agents;
	ARRAY(struct stats_entry *) teams;
};

bool helpdesk_stats_percentile(const int64_t *sorted, unsigned int count,
			       unsigned int percent, int64_t *value_r)
{
	uint64_t rank;

	i_assert(percent >= 1 && percent <= 100);

	if (count == 0) {
		*value_r = 0;
		return FALSE;
	}
	/* ceil(percent * count / 100): at least 1 for percent >= 1 */
	rank = ((uint64_t)percent * count + 99) / 100;
	*value_r = sorted[rank - 1];
	return TRUE;
}

const char *helpdesk_stats_compliance(unsigned int met,
				      unsigned int breached)
{
	uint64_t total = (uint64_t)met + breached, tenths;

	if (total == 0)
		return "";
	/* met * 1000 / total, rounded half up */
	tenths = ((uint64_t)met * 2000 + total) / (2 * total);
	return t_strdup_printf("%llu.%llu", (unsigned long long)(tenths / 10),
			       (unsigned long long)(tenths % 10));
}

const char *helpdesk_stats_average(unsigned int sum, unsigned int count)
{
	uint64_t hundredths;

	if (count == 0)
		return "";
	/* sum * 100 / count, rounded half up */
	hundredths = ((uint64_t)sum * 200 + count) / (2 * (uint64_t)count);
	return t_strdup_printf("%llu.%02llu",
			       (unsigned long long)(hundredths / 100),
			       (unsigned long long)(hundredths % 100));
}

static struct stats_entry *
stats_entry_new(pool_t pool, const char *name, const char *team)
{
	struct stats_entry *entry;

	entry = p_new(pool, struct stats_entry, 1);
	entry->name = p_strdup(pool, name);
	entry->team = p_strdup(pool, team);
	p_array_init(&entry->tickets, pool, 16);
	p_array_init(&entry->first_response, pool, 16);
	p_array_init(&entry->resolution, pool, 16);
	return entry;
}

static struct stats_entry *
stats_agent(struct stats_context *ctx, const char *actor, const char *team)
{
	struct stats_entry *entry;

	entry = hash_table_lookup(ctx->agents_hash, actor);
	if (entry == NULL) {
		entry = stats_entry_new(ctx->pool, actor, team);
		hash_table_insert(ctx->agents_hash, entry->name, entry);
		array_push_back(&ctx->agents, &entry);
	}
	return entry;
}

/* The business seconds from start to end for a ticket of team with
   priority and VIP flag: its SLA calendar, or plain seconds when it has
   none or the SLA is off. */
static int64_t
stats_business_time(struct helpdesk_store *store, const char *team,
		    const char *priority, bool vip, int64_t start,
		    int64_t end)
{
	struct helpdesk_sla_terms terms;

	if (end <= start)
		return 0;
	if (!helpdesk_store_sla_terms(store, team, priority, vip, &terms) ||
	    terms.calendar == NULL)
		return end - start;
	return helpdesk_calendar_elapsed(terms.calendar, (time_t)start,
					 (time_t)end);
}

/* An event as read: the business time is worked out once the result is
   done (a team's SLA terms may need a query of their own). */
struct stats_event {
	const char *kind, *actor, *agent_team, *ticket_team, *priority;
	uint64_t ticket;
	int64_t created, start;
	bool vip, have_start;
};

static void
stats_read_event(pool_t pool, struct helpdesk_db_result *result,
		 struct stats_event *event_r)
{
	const char *value;

	event_r->kind = p_strdup(pool, helpdesk_db_result_value(result, 0));
	value = helpdesk_db_result_value(result, 1);
	event_r->actor = p_strdup(pool, value == NULL ? "" : value);
	event_r->ticket = helpdesk_db_result_uint64(result, 2);
	event_r->created = helpdesk_db_result_int64(result, 3);
	event_r->agent_team = p_strdup(pool,
				       helpdesk_db_result_value(result, 4));
	event_r->ticket_team = p_strdup(pool,
					helpdesk_db_result_value(result, 5));
	event_r->priority = p_strdup(pool,
				     helpdesk_db_result_value(result, 6));
	event_r->vip = helpdesk_db_result_uint(result, 7) != 0;
	event_r->have_start = helpdesk_db_result_value(result, 8) != NULL;
	event_r->start = helpdesk_db_result_int64(result, 8);
}

static void
stats_add_event(struct stats_context *ctx, const struct stats_event *event)
{
	struct stats_entry *entry;
	int64_t secs;

	if (event->kind == NULL)
		return;
	entry = stats_agent(ctx, event->actor,
			    event->agent_team == NULL ? "" : event->agent_team);
	if (strcmp(event->kind, "sla_met") == 0) {
		entry->met++;
		return;
	}
	if (strcmp(event->kind, "sla_breached") == 0) {
		entry->breached++;
		return;
	}
	/* "replied" or "resolved": the ticket was handled */
	array_push_back(&entry->tickets, &event->ticket);
	if (!event->have_start)
		return;
	secs = stats_business_time(ctx->store,
		event->ticket_team == NULL ? "" : event->ticket_team,
		event->priority == NULL ? "" : event->priority, event->vip,
		event->start, event->created);
	if (strcmp(event->kind, "replied") == 0)
		array_push_back(&entry->first_response, &secs);
	else
		array_push_back(&entry->resolution, &secs);
}

/* The rating requests and their ratings. */
static int stats_add_csat(struct stats_context *ctx, const char *const *args,
			  const char **error_r)
{
	struct helpdesk_db_result *result;
	struct stats_entry *entry;
	const char *actor, *team, *score;
	int ret;

	result = helpdesk_db_query(ctx->store->db, STATS_CSAT_QUERY, args);
	while ((ret = helpdesk_db_result_next_row(result)) > 0) {
		actor = helpdesk_db_result_value(result, 0);
		team = helpdesk_db_result_value(result, 1);
		score = helpdesk_db_result_value(result, 2);
		entry = stats_agent(ctx, actor == NULL ? "" : actor,
				    team == NULL ? "" : team);
		entry->csat_requests++;
		if (score != NULL) {
			entry->csat_ratings++;
			entry->csat_score_sum +=
				helpdesk_db_result_uint(result, 2);
		}
	}
	return helpdesk_db_result_finish(&result, ret, error_r);
}

static int stats_int64_cmp(const int64_t *a, const int64_t *b)
{
	return *a < *b ? -1 : (*a > *b ? 1 : 0);
}

static int stats_uint64_cmp(const uint64_t *a, const uint64_t *b)
{
	return *a < *b ? -1 : (*a > *b ? 1 : 0);
}

static int
stats_entry_cmp(struct stats_entry *const *a, struct stats_entry *const *b)
{
	return strcmp((*a)->name, (*b)->name);
}

/* The number of distinct ticket numbers (sorts them). */
static unsigned int stats_distinct(ARRAY_TYPE(uint64_t) *tickets)
{
	const uint64_t *ids;
	unsigned int i, count, distinct = 0;

	array_sort(tickets, stats_uint64_cmp);
	ids = array_get(tickets, &count);
	for (i = 0; i < count; i++) {
		if (i == 0 || ids[i] != ids[i - 1])
			distinct++;
	}
	return distinct;
}

static void
stats_percentiles(ARRAY_TYPE(stats_secs) *samples, unsigned int *count_r,
		  int64_t *median_r, int64_t *p90_r)
{
	const int64_t *sorted;

	array_sort(samples, stats_int64_cmp);
	sorted = array_get(samples, count_r);
	(void)helpdesk_stats_percentile(sorted, *count_r, 50, median_r);
	(void)helpdesk_stats_percentile(sorted, *count_r, 90, p90_r);
}

static void
stats_row_add(struct stats_entry *entry, enum helpdesk_stats_scope scope,
	      pool_t pool, ARRAY_TYPE(helpdesk_stats_row) *rows)
{
	struct helpdesk_stats_row *row;

	row = array_append_space(rows);
	row->scope = scope;
	row->name = p_strdup(pool, entry->name);
	row->team = p_strdup(pool, entry->team);
	row->handled = stats_distinct(&entry->tickets);
	stats_percentiles(&entry->first_response, &row->first_response_count,
			  &row->first_response_median,
			  &row->first_response_p90);
	stats_percentiles(&entry->resolution, &row->resolution_count,
			  &row->resolution_median, &row->resolution_p90);
	row->sla_met = entry->met;
	row->sla_breached = entry->breached;
	row->csat_requests = entry->csat_requests;
	row->csat_ratings = entry->csat_ratings;
	row->csat_score_sum = entry->csat_score_sum;
}

static struct stats_entry *
stats_team(struct stats_context *ctx, const char *team)
{
	struct stats_entry *entry;

	array_foreach_elem(&ctx->teams, entry) {
		if (strcmp(entry->name, team) == 0)
			return entry;
	}
	entry = stats_entry_new(ctx->pool, team, team);
	array_push_back(&ctx->teams, &entry);
	return entry;
}

static void
stats_rows(struct stats_context *ctx, const char *team, pool_t pool,
	   ARRAY_TYPE(helpdesk_stats_row) *rows)
{
	struct stats_entry *agent, *entry;

	array_sort(&ctx->agents, stats_entry_cmp);
	array_foreach_elem(&ctx->agents, agent) {
		if (team != NULL && strcmp(agent->team, team) != 0)
			continue;
		/* before the agent's row sorts them */
		entry = stats_team(ctx, agent->team);
		array_append_array(&entry->tickets, &agent->tickets);
		array_append_array(&entry->first_response,
				   &agent->first_response);
		array_append_array(&entry->resolution, &agent->resolution);
		entry->met += agent->met;
		entry->breached += agent->breached;
		entry->csat_requests += agent->csat_requests;
		entry->csat_ratings += agent->csat_ratings;
		entry->csat_score_sum += agent->csat_score_sum;
		/* a deadline of a ticket without an owner is nobody's */
		if (*agent->name != '\0')
			stats_row_add(agent, HELPDESK_STATS_SCOPE_AGENT,
				      pool, rows);
	}
	array_sort(&ctx->teams, stats_entry_cmp);
	array_foreach_elem(&ctx->teams, entry)
		stats_row_add(entry, HELPDESK_STATS_SCOPE_TEAM, pool, rows);
}

int helpdesk_store_stats(struct helpdesk_store *store, int64_t since,
			 int64_t until, const char *team, pool_t pool,
			 ARRAY_TYPE(helpdesk_stats_row) *rows,
			 const char **error_r)
{
	const char *args[] = {
		t_strdup(dec2str(since)), t_strdup(dec2str(until)), NULL
	};
	struct stats_context ctx;
	struct helpdesk_db_result *result;
	ARRAY(struct stats_event) events;
	const struct stats_event *event;
	int ret;

	i_zero(&ctx);
	ctx.store = store;
	ctx.pool = pool_alloconly_create("helpdesk stats", 4096);
	hash_table_create(&ctx.agents_hash, default_pool, 0, str_hash, strcmp);
	p_array_init(&ctx.agents, ctx.pool, 16);
	p_array_init(&ctx.teams, ctx.pool, 8);
	p_array_init(&events, ctx.pool, 128);

	result = helpdesk_db_query(store->db, STATS_EVENTS_QUERY, args);
	while ((ret = helpdesk_db_result_next_row(result)) > 0)
		stats_read_event(ctx.pool, result,
				 array_append_space(&events));
	ret = helpdesk_db_result_finish(&result, ret, error_r);
	if (ret == 0) {
		array_foreach(&events, event)
			stats_add_event(&ctx, event);
		ret = stats_add_csat(&ctx, args, error_r);
	}
	if (ret == 0)
		stats_rows(&ctx, team, pool, rows);

	hash_table_destroy(&ctx.agents_hash);
	pool_unref(&ctx.pool);
	return ret;
}
