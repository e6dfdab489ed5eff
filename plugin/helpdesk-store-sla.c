/* Copyright (c) 2026 dovecot-helpdesk authors, see the included COPYING file */

/* The tickets' SLA clocks (hd_tickets' sla_* and resp_/res_ columns):
   brought up to date from the ledger events they have not seen yet
   (helpdesk-sla.c's fold), with the warnings, breaches and met deadlines
   they give written to the ledger once per clock instance (the event key
   names the instance), and the next moment time alone changes them kept
   in sla_next, which the sweep finds by its index. */

#include "lib.h"
#include "array.h"
#include "str.h"
#include "strnum.h"
#include "ioloop.h"
#include "helpdesk-settings.h"
#include "helpdesk-store.h"
#include "helpdesk-store-private.h"

/* a team's overrides are read again after this long */
#define STORE_SLA_TEAM_CACHE_SECS 60
/* a refresh that lost a race with another one tries again, at most */
#define STORE_SLA_REFRESH_TRIES 3
/* the sweep writes this many tickets' clocks per transaction */
#define STORE_SLA_SWEEP_BATCH 250

struct store_sla_team {
	const char *name;
	struct helpdesk_sla_policy policy;
	/* the team's time zone override ("" none), and its calendar of
	   periods when the policy has no calendar (no business hours) */
	const char *timezone;
	const struct helpdesk_calendar *zone;
};

struct helpdesk_store_sla {
	const struct helpdesk_settings *set;
	pool_t pool;
	ARRAY(struct store_sla_team) teams;
	time_t teams_loaded;
	/* the calendar of periods of helpdesk_timezone, when the global
	   policy has none */
	const struct helpdesk_calendar *zone;
	bool zone_done;
};

/* The clock columns, read and written in this order. */
#define SLA_CLOCK_COLUMNS \
	"resp_start, resp_used, resp_since, resp_flags, resp_next, " \
	"res_start, res_used, res_since, res_flags, first_response_at"
#define SLA_TICKET_QUERY \
	"SELECT owner, priority, team, vip, sla_seen, sla_tag, sla_next, " \
	SLA_CLOCK_COLUMNS " FROM hd_tickets WHERE id = ?"
#define SLA_TICKET_UPDATE \
	"UPDATE hd_tickets SET sla_seen = ?, sla_tag = ?, sla_next = ?, " \
	"resp_start = ?, resp_used = ?, resp_since = ?, resp_flags = ?, " \
	"resp_next = ?, res_start = ?, res_used = ?, res_since = ?, " \
	"res_flags = ?, first_response_at = ? WHERE id = ? AND sla_seen = ?"
/* the events that move the clocks, with the kind of the message each
   came with (a customer's, an agent's) */
#define SLA_EVENTS_QUERY \
	"SELECT e.id, e.kind, e.created, e.detail, CASE e.kind " \
	"WHEN 'message' THEN COALESCE((SELECT m.kind FROM hd_messages m " \
	"WHERE m.message_key = e.message_key), '') ELSE '' END " \
	"FROM hd_events e WHERE e.ticket_id = ? AND e.id > ? AND e.kind IN " \
	"('created', 'message', 'replied', 'resolved', 'reopened') " \
	"ORDER BY e.id"
#define SLA_REPORT_INSERT \
	"INSERT INTO hd_events (event_key, ticket_id, kind, actor, " \
	"message_key, detail, created) VALUES (?, ?, ?, ?, '', ?, ?) " \
	"ON CONFLICT DO NOTHING"
#define SLA_DUE_QUERY \
	"SELECT id FROM hd_tickets WHERE sla_next > 0 AND sla_next <= ? " \
	"ORDER BY sla_next LIMIT CAST(? AS BIGINT)"
#define SLA_TEAM_QUERY \
	"SELECT sla_first_response, sla_next_response, sla_resolution, " \
	"business_hours, timezone, holidays FROM hd_teams WHERE name = ?"

struct store_sla_ticket {
	const char *owner, *priority, *team;
	bool vip;
	int64_t seen, next;
	enum helpdesk_sla_tag tag;
	struct helpdesk_sla_clocks clocks;
};

struct store_sla_report {
	enum helpdesk_sla_report report;
	enum helpdesk_sla_clock clock;
	int64_t clock_start, when;
};

void helpdesk_store_set_sla(struct helpdesk_store *store,
			    const struct helpdesk_settings *set)
{
	if (store->sla == NULL) {
		store->sla = i_new(struct helpdesk_store_sla, 1);
		store->sla->pool = pool_alloconly_create("helpdesk sla", 1024);
		p_array_init(&store->sla->teams, store->sla->pool, 4);
	}
	if (store->sla->set != set) {
		store->sla->set = set;
		/* the teams' policies are built on the settings */
		array_clear(&store->sla->teams);
		store->sla->teams_loaded = 0;
		store->sla->zone = NULL;
		store->sla->zone_done = FALSE;
	}
}

void helpdesk_store_sla_free(struct helpdesk_store *store)
{
	if (store->sla == NULL)
		return;
	pool_unref(&store->sla->pool);
	i_free(store->sla);
}

static int
store_sla_team_load(struct helpdesk_store *store, const char *team,
		    struct helpdesk_sla_policy *policy_r,
		    const char **timezone_r)
{
	struct helpdesk_store_sla *sla = store->sla;
	struct helpdesk_sla_overrides overrides;
	struct helpdesk_db_result *result;
	const char *args[] = { team, NULL }, *error;
	int ret;

	*policy_r = sla->set->sla;
	i_zero(&overrides);
	result = helpdesk_db_query(store->db, SLA_TEAM_QUERY, args);
	ret = helpdesk_db_result_next_row(result);
	if (ret > 0) {
		overrides.first_response = t_strdup(
			helpdesk_db_result_value(result, 0));
		overrides.next_response = t_strdup(
			helpdesk_db_result_value(result, 1));
		overrides.resolution = t_strdup(
			helpdesk_db_result_value(result, 2));
		overrides.business_hours = t_strdup(
			helpdesk_db_result_value(result, 3));
		overrides.timezone = t_strdup(
			helpdesk_db_result_value(result, 4));
		*timezone_r = p_strdup(sla->pool, overrides.timezone);
		overrides.holidays = t_strdup(
			helpdesk_db_result_value(result, 5));
	}
	if (helpdesk_db_result_finish(&result, ret, &error) < 0) {
		e_error(store->event, "team %s's SLA settings: %s", team,
			error);
		return -1;
	}
	if (ret > 0 &&
	    helpdesk_settings_sla_team(sla->pool, sla->set, &overrides,
				       policy_r, &error) < 0) {
		/* doveadm checks them before they are stored */
		e_error(store->event, "team %s's SLA settings are invalid, "
			"the global ones count: %s", team, error);
		*policy_r = sla->set->sla;
	}
	return 0;
}

/* The policy of a ticket of team (whether clocks are kept or not),
   NULL: no settings known. */
static const struct helpdesk_sla_policy *
store_sla_team_policy(struct helpdesk_store *store, const char *team)
{
	struct helpdesk_store_sla *sla = store->sla;
	struct store_sla_team *entry;

	if (sla == NULL || sla->set == NULL)
		return NULL;
	if (team == NULL || *team == '\0')
		return &sla->set->sla;
	if (ioloop_time - sla->teams_loaded > STORE_SLA_TEAM_CACHE_SECS) {
		array_clear(&sla->teams);
		sla->teams_loaded = ioloop_time;
	}
	array_foreach_modifiable(&sla->teams, entry) {
		if (strcmp(entry->name, team) == 0)
			return &entry->policy;
	}
	entry = array_append_space(&sla->teams);
	entry->name = p_strdup(sla->pool, team);
	entry->timezone = "";
	if (store_sla_team_load(store, team, &entry->policy,
				&entry->timezone) < 0) {
		/* not cached: the store may be back next time */
		array_pop_back(&sla->teams);
		return &sla->set->sla;
	}
	return &entry->policy;
}

/* The policy of a ticket of team, NULL: no clocks. */
static const struct helpdesk_sla_policy *
store_sla_policy(struct helpdesk_store *store, const char *team)
{
	if (store->sla == NULL || store->sla->set == NULL ||
	    !store->sla->set->sla_enabled)
		return NULL;
	return store_sla_team_policy(store, team);
}

/* A calendar of periods only: every moment counts, in zone tz. NULL (the
   process's zone) for none, or one that does not parse (the settings'
   and teams' zones are checked before they are used, so it does not). */
static const struct helpdesk_calendar *
store_sla_zone(struct helpdesk_store *store, const char *tz)
{
	struct helpdesk_calendar *cal;
	const char *error;

	if (tz == NULL || *tz == '\0' ||
	    helpdesk_calendar_parse(store->sla->pool, NULL, tz, NULL, &cal,
				    &error) < 0)
		return NULL;
	return cal;
}

const struct helpdesk_calendar *
helpdesk_store_team_calendar(struct helpdesk_store *store, const char *team)
{
	struct helpdesk_store_sla *sla = store->sla;
	const struct helpdesk_sla_policy *policy;
	struct store_sla_team *entry;

	policy = store_sla_team_policy(store, team);
	if (policy == NULL)
		return NULL;
	if (policy->calendar != NULL)
		return policy->calendar;
	/* no business hours: the days of the team's zone all the same */
	if (team != NULL && *team != '\0') {
		array_foreach_modifiable(&sla->teams, entry) {
			if (strcmp(entry->name, team) != 0 ||
			    *entry->timezone == '\0')
				continue;
			if (entry->zone == NULL)
				entry->zone = store_sla_zone(store,
							     entry->timezone);
			return entry->zone;
		}
	}
	if (!sla->zone_done) {
		sla->zone = store_sla_zone(store, sla->set->timezone);
		sla->zone_done = TRUE;
	}
	return sla->zone;
}

bool helpdesk_store_sla_terms(struct helpdesk_store *store, const char *team,
			      const char *priority, bool vip,
			      struct helpdesk_sla_terms *terms_r)
{
	const struct helpdesk_sla_policy *policy;

	policy = store_sla_policy(store, team);
	if (policy == NULL) {
		i_zero(terms_r);
		return FALSE;
	}
	helpdesk_sla_terms_init(policy, priority, vip, terms_r);
	return TRUE;
}

bool helpdesk_store_sla_enabled(struct helpdesk_store *store)
{
	return store_sla_policy(store, NULL) != NULL;
}

void helpdesk_store_sla_new_ticket(struct helpdesk_store *store,
				   const char *priority, const char *team,
				   bool vip, int64_t now,
				   const char *columns_r[STORE_SLA_NEW_COLUMNS])
{
	const struct helpdesk_sla_policy *policy;
	struct helpdesk_sla_terms terms;
	struct helpdesk_sla_clocks clocks;
	struct helpdesk_sla_summary summary;
	const char *start;

	policy = store_sla_policy(store, team);
	if (policy == NULL) {
		columns_r[0] = columns_r[1] = columns_r[2] = "0";
		columns_r[3] = columns_r[4] = "0";
		return;
	}
	helpdesk_sla_terms_init(policy, priority, vip, &terms);
	i_zero(&clocks);
	helpdesk_sla_apply(&clocks, &terms, HELPDESK_SLA_INPUT_CREATED, now);
	helpdesk_sla_summarize(&clocks, &terms, now, &summary);
	/* both clocks start with the ticket */
	start = t_strdup(dec2str(clocks.resolution.start));
	columns_r[0] = columns_r[1] = columns_r[2] = columns_r[3] = start;
	columns_r[4] = t_strdup(dec2str(summary.next_check));
}

static int
store_sla_read_ticket(struct helpdesk_store *store, uint64_t ticket,
		      struct store_sla_ticket *t_r, bool *found_r,
		      const char **error_r)
{
	const char *args[] = { dec2str(ticket), NULL };
	struct helpdesk_db_result *result;
	struct helpdesk_sla_clocks *c = &t_r->clocks;
	int ret;

	i_zero(t_r);
	result = helpdesk_db_query(store->db, SLA_TICKET_QUERY, args);
	ret = helpdesk_db_result_next_row(result);
	*found_r = ret > 0;
	if (ret > 0) {
		t_r->owner = t_strdup(helpdesk_db_result_value(result, 0));
		t_r->priority = t_strdup(helpdesk_db_result_value(result, 1));
		t_r->team = t_strdup(helpdesk_db_result_value(result, 2));
		t_r->vip = helpdesk_db_result_uint(result, 3) != 0;
		t_r->seen = helpdesk_db_result_int64(result, 4);
		t_r->tag = helpdesk_db_result_uint(result, 5);
		t_r->next = helpdesk_db_result_int64(result, 6);
		c->response.start = helpdesk_db_result_int64(result, 7);
		c->response.used = helpdesk_db_result_int64(result, 8);
		c->response.since = helpdesk_db_result_int64(result, 9);
		c->response.flags = helpdesk_db_result_uint(result, 10);
		c->response_next = helpdesk_db_result_uint(result, 11) != 0;
		c->resolution.start = helpdesk_db_result_int64(result, 12);
		c->resolution.used = helpdesk_db_result_int64(result, 13);
		c->resolution.since = helpdesk_db_result_int64(result, 14);
		c->resolution.flags = helpdesk_db_result_uint(result, 15);
		c->first_response_at = helpdesk_db_result_int64(result, 16);
	}
	return helpdesk_db_result_finish(&result, ret < 0 ? ret : 0, error_r);
}

static bool
store_sla_input(const char *kind, const char *detail, const char *msg_kind,
		enum helpdesk_sla_input *input_r)
{
	if (strcmp(kind, "created") == 0)
		*input_r = HELPDESK_SLA_INPUT_CREATED;
	else if (strcmp(kind, "message") == 0) {
		/* an agent's reply-all is counted by its "replied" event */
		if (strcmp(msg_kind, "customer") != 0)
			return FALSE;
		*input_r = HELPDESK_SLA_INPUT_CUSTOMER_MESSAGE;
	} else if (strcmp(kind, "replied") == 0)
		*input_r = HELPDESK_SLA_INPUT_AGENT_REPLY;
	else if (strcmp(kind, "resolved") == 0)
		*input_r = HELPDESK_SLA_INPUT_RESOLVED;
	else if (strcmp(kind, "reopened") == 0) {
		*input_r = strcmp(detail, HELPDESK_STORE_REOPEN_CUSTOMER) == 0 ?
			HELPDESK_SLA_INPUT_REOPENED_BY_CUSTOMER :
			HELPDESK_SLA_INPUT_REOPENED;
	} else
		return FALSE;
	return TRUE;
}

/* Fold the events after t->seen into t->clocks; *seen_r is the last. */
static int
store_sla_fold(struct helpdesk_store *store, uint64_t ticket,
	       const struct helpdesk_sla_terms *terms,
	       struct store_sla_ticket *t, int64_t *seen_r,
	       const char **error_r)
{
	const char *args[] = {
		t_strdup(dec2str(ticket)), t_strdup(dec2str(t->seen)), NULL
	};
	struct helpdesk_db_result *result;
	enum helpdesk_sla_input input;
	int ret;

	*seen_r = t->seen;
	result = helpdesk_db_query(store->db, SLA_EVENTS_QUERY, args);
	while ((ret = helpdesk_db_result_next_row(result)) > 0) {
		const char *kind = helpdesk_db_result_value(result, 1);
		const char *detail = helpdesk_db_result_value(result, 3);
		const char *msg_kind = helpdesk_db_result_value(result, 4);

		*seen_r = helpdesk_db_result_int64(result, 0);
		if (kind == NULL ||
		    !store_sla_input(kind, detail == NULL ? "" : detail,
				     msg_kind == NULL ? "" : msg_kind,
				     &input))
			continue;
		helpdesk_sla_apply(&t->clocks, terms, input,
				   helpdesk_db_result_int64(result, 2));
	}
	return helpdesk_db_result_finish(&result, ret, error_r);
}

static void
store_sla_collect(void *context, enum helpdesk_sla_report report,
		  enum helpdesk_sla_clock clock, int64_t clock_start,
		  int64_t when)
{
	ARRAY(struct store_sla_report) *reports = context;
	struct store_sla_report *r = array_append_space(reports);

	r->report = report;
	r->clock = clock;
	r->clock_start = clock_start;
	r->when = when;
}

static const char *
store_sla_int(int64_t value)
{
	return t_strdup(dec2str(value));
}

static void
store_sla_write(struct helpdesk_db_trans *trans,
		uint64_t ticket, const struct store_sla_ticket *t,
		int64_t seen, enum helpdesk_sla_tag tag, int64_t next,
		unsigned int *rows_r)
{
	const struct helpdesk_sla_clocks *c = &t->clocks;
	const char *args[] = {
		store_sla_int(seen), store_sla_int(tag), store_sla_int(next),
		store_sla_int(c->response.start),
		store_sla_int(c->response.used),
		store_sla_int(c->response.since),
		store_sla_int(c->response.flags),
		store_sla_int(c->response_next ? 1 : 0),
		store_sla_int(c->resolution.start),
		store_sla_int(c->resolution.used),
		store_sla_int(c->resolution.since),
		store_sla_int(c->resolution.flags),
		store_sla_int(c->first_response_at),
		t_strdup(dec2str(ticket)), store_sla_int(t->seen), NULL
	};

	helpdesk_db_update(trans, SLA_TICKET_UPDATE, args, rows_r);
}

static void
store_sla_write_report(struct helpdesk_db_trans *trans, uint64_t ticket,
		       const char *owner, const struct store_sla_report *r)
{
	const char *event = helpdesk_sla_report_event(r->report);
	const char *clock = helpdesk_sla_clock_name(r->clock);
	const char *args[] = {
		/* once per clock instance */
		t_strdup_printf("%s:%llu:%s:%lld", event,
				(unsigned long long)ticket, clock,
				(long long)r->clock_start),
		t_strdup(dec2str(ticket)), event, owner, clock,
		store_sla_int(r->when), NULL
	};

	helpdesk_db_update(trans, SLA_REPORT_INSERT, args, NULL);
}

/* What a refresh writes for one ticket (data stack). */
struct store_sla_plan {
	uint64_t ticket;
	struct store_sla_ticket t;
	ARRAY(struct store_sla_report) reports;
	int64_t seen, next;
	enum helpdesk_sla_tag tag;
	/* set by the commit: 0 when another process folded newer events */
	unsigned int rows;
};

/* Bring the ticket's clocks up to now in *plan_r; FALSE when there is
   nothing to write. */
static int
store_sla_prepare(struct helpdesk_store *store, uint64_t ticket, int64_t now,
		  struct store_sla_plan *plan_r, const char **error_r)
{
	const struct helpdesk_sla_policy *policy;
	struct helpdesk_sla_terms terms;
	struct helpdesk_sla_summary summary;
	struct helpdesk_sla_clocks before;
	struct store_sla_ticket *t = &plan_r->t;
	bool found;

	i_zero(plan_r);
	plan_r->ticket = ticket;
	if (store_sla_read_ticket(store, ticket, t, &found, error_r) < 0)
		return -1;
	if (!found)
		return 0;
	policy = store_sla_policy(store, t->team);
	if (policy == NULL)
		return 0;

	t_array_init(&plan_r->reports, 4);
	helpdesk_sla_terms_init(policy, t->priority, t->vip, &terms);
	terms.report = store_sla_collect;
	terms.context = &plan_r->reports;
	before = t->clocks;
	if (store_sla_fold(store, ticket, &terms, t, &plan_r->seen,
			   error_r) < 0)
		return -1;
	helpdesk_sla_advance(&t->clocks, &terms, now);
	helpdesk_sla_summarize(&t->clocks, &terms, now, &summary);
	plan_r->tag = summary.status == HELPDESK_SLA_STATUS_BREACH ?
		HELPDESK_SLA_TAG_BREACH :
		summary.status == HELPDESK_SLA_STATUS_WARN ?
		HELPDESK_SLA_TAG_WARN : HELPDESK_SLA_TAG_NONE;
	plan_r->next = summary.next_check;
	/* nothing to write (sla_seen may lag: folding those events again
	   changes nothing) */
	return array_count(&plan_r->reports) > 0 || plan_r->tag != t->tag ||
		plan_r->next != t->next ||
		memcmp(&before, &t->clocks, sizeof(before)) != 0 ? 1 : 0;
}

static void
store_sla_write_plan(struct helpdesk_db_trans *trans,
		     struct store_sla_plan *plan)
{
	const struct store_sla_report *r;

	store_sla_write(trans, plan->ticket, &plan->t, plan->seen,
			plan->tag, plan->next, &plan->rows);
	array_foreach(&plan->reports, r)
		store_sla_write_report(trans, plan->ticket, plan->t.owner, r);
}

static int
store_sla_refresh_once(struct helpdesk_store *store, uint64_t ticket,
		       int64_t now, bool *done_r, bool *tag_changed_r,
		       const char **error_r)
{
	struct helpdesk_db_trans *trans;
	struct store_sla_plan plan;
	int ret;

	*done_r = TRUE;
	if ((ret = store_sla_prepare(store, ticket, now, &plan, error_r)) <= 0)
		return ret;
	trans = helpdesk_db_begin(store->db);
	store_sla_write_plan(trans, &plan);
	if (helpdesk_db_commit(&trans, error_r) < 0)
		return -1;
	if (plan.rows == 0) {
		/* another process folded newer events meanwhile */
		*done_r = FALSE;
		return 0;
	}
	*tag_changed_r = plan.tag != plan.t.tag;
	return 0;
}

void helpdesk_store_sla_refresh_after(struct helpdesk_store *store,
				     uint64_t ticket, int64_t now)
{
	const char *error, *args[3];
	bool tag_changed;

	if (helpdesk_store_sla_refresh(store, ticket, now, &tag_changed,
				       &error) == 0)
		return;
	/* the change itself is committed: it stands. The sweep brings the
	   clocks up to date: the ticket is due for it now. */
	e_warning(store->event, "ticket %llu: SLA clocks not brought up to "
		  "date (the next sweep does it): %s",
		  (unsigned long long)ticket, error);
	args[0] = dec2str(now);
	args[1] = dec2str(ticket);
	args[2] = NULL;
	if (helpdesk_sql_exec(store, "UPDATE hd_tickets SET sla_next = ? "
			      "WHERE id = ?", args, &error) < 0) {
		e_warning(store->event, "ticket %llu: marking it for the "
			  "sweep failed too: %s", (unsigned long long)ticket,
			  error);
	}
}

int helpdesk_store_sla_refresh(struct helpdesk_store *store, uint64_t ticket,
			       int64_t now, bool *tag_changed_r,
			       const char **error_r)
{
	unsigned int try;
	bool done;
	int ret = 0;

	*tag_changed_r = FALSE;
	for (try = 0; try < STORE_SLA_REFRESH_TRIES; try++) {
		T_BEGIN {
			ret = store_sla_refresh_once(store, ticket, now, &done,
						     tag_changed_r, error_r);
		} T_END_PASS_STR_IF(ret < 0, error_r);
		if (ret < 0 || done)
			break;
	}
	return ret;
}

/* The sweep's tickets, a batch in one write transaction: the commit and
   its locks are paid once per batch, not per ticket. A ticket another
   process changed meanwhile is refreshed again on its own. */
static int
store_sla_sweep_batch(struct helpdesk_store *store, const uint64_t *tickets,
		      unsigned int count, int64_t now,
		      ARRAY_TYPE(uint64_t) *changed, const char **error_r)
{
	struct helpdesk_db_trans *trans;
	ARRAY(struct store_sla_plan) plans;
	struct store_sla_plan *plan;
	unsigned int i;
	bool tag_changed;
	int ret;

	t_array_init(&plans, count);
	for (i = 0; i < count; i++) {
		plan = array_append_space(&plans);
		if ((ret = store_sla_prepare(store, tickets[i], now, plan,
					     error_r)) < 0)
			return -1;
		if (ret == 0)
			array_pop_back(&plans);
	}
	if (array_count(&plans) == 0)
		return 0;
	trans = helpdesk_db_begin(store->db);
	array_foreach_modifiable(&plans, plan)
		store_sla_write_plan(trans, plan);
	if (helpdesk_db_commit(&trans, error_r) < 0)
		return -1;
	array_foreach_modifiable(&plans, plan) {
		if (plan->rows == 0) {
			if (helpdesk_store_sla_refresh(store, plan->ticket, now,
						       &tag_changed,
						       error_r) < 0)
				return -1;
		} else {
			tag_changed = plan->tag != plan->t.tag;
		}
		if (tag_changed)
			array_push_back(changed, &plan->ticket);
	}
	return 0;
}

int helpdesk_store_sla_sweep(struct helpdesk_store *store, int64_t now,
			     unsigned int limit,
			     ARRAY_TYPE(uint64_t) *changed,
			     unsigned int *due_r, const char **error_r)
{
	const char *args[] = {
		t_strdup(dec2str(now)), t_strdup(dec2str(limit)), NULL
	};
	struct helpdesk_db_result *result;
	ARRAY_TYPE(uint64_t) due, batch_changed;
	const uint64_t *tickets;
	uint64_t ticket;
	unsigned int i, count;
	int ret;

	*due_r = 0;
	if (!helpdesk_store_sla_enabled(store))
		return 0;
	t_array_init(&due, 64);
	result = helpdesk_db_query(store->db, SLA_DUE_QUERY, args);
	while ((ret = helpdesk_db_result_next_row(result)) > 0) {
		ticket = helpdesk_db_result_uint64(result, 0);
		array_push_back(&due, &ticket);
	}
	if (helpdesk_db_result_finish(&result, ret, error_r) < 0)
		return -1;
	ret = 0;
	*due_r = array_count(&due);
	tickets = array_get(&due, &count);
	/* not on the data stack: it grows inside the batches' frames */
	i_array_init(&batch_changed, 64);
	for (i = 0; i < count && ret == 0; i += STORE_SLA_SWEEP_BATCH) {
		T_BEGIN {
			ret = store_sla_sweep_batch(store, tickets + i,
				I_MIN(count - i, STORE_SLA_SWEEP_BATCH), now,
				&batch_changed, error_r);
		} T_END_PASS_STR_IF(ret < 0, error_r);
	}
	if (ret == 0)
		array_append_array(changed, &batch_changed);
	array_free(&batch_changed);
	return ret;
}

int helpdesk_store_ticket_sla(struct helpdesk_store *store, uint64_t ticket,
			      int64_t now, struct helpdesk_store_sla_info *info_r,
			      const char **error_r)
{
	const struct helpdesk_sla_policy *policy;
	struct helpdesk_sla_terms terms;
	struct helpdesk_sla_summary summary;
	struct store_sla_ticket t;
	bool found;

	i_zero(info_r);
	if (store_sla_read_ticket(store, ticket, &t, &found, error_r) < 0)
		return -1;
	if (!found)
		return 0;
	info_r->first_response_at = t.clocks.first_response_at;
	policy = store_sla_policy(store, t.team);
	if (policy == NULL)
		return 0;
	helpdesk_sla_terms_init(policy, t.priority, t.vip, &terms);
	helpdesk_sla_summarize(&t.clocks, &terms, now, &summary);
	info_r->status = summary.status;
	memcpy(info_r->due, summary.due, sizeof(info_r->due));
	return 0;
}
