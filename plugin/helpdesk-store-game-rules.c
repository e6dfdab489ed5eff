/* Copyright (c) 2026 dovecot-helpdesk authors, see the included COPYING file */

/* The game's rules applied to one ledger event at a time: points by the
   rule table in force (the daily cap, the reopen window, ratings that
   replace ratings), levels, badges and the week's top; the anti-gaming
   exclusions. The fold (helpdesk-store-game.c) gives each event the
   state the events before it left. */

#include "lib.h"
#include "array.h"
#include "hash.h"
#include "str.h"
#include "strnum.h"
#include "helpdesk-calendar.h"
#include "helpdesk-store.h"
#include "helpdesk-store-private.h"
#include "helpdesk-store-game.h"
#include "helpdesk-store-game-private.h"

#include <time.h>

static void game_local_time(struct game_fold *fold, const char *team,
			    int64_t when, struct tm *tm_r)
{
	helpdesk_calendar_localtime(
		helpdesk_store_team_calendar(fold->store, team),
		(time_t)when, tm_r);
}

static int
game_badge(struct game_fold *fold, struct game_agent *agent,
	   enum helpdesk_game_badge badge, const char *period_key,
	   const struct game_event *event, int64_t created)
{
	struct game_badge_new *new_badge;
	const char *key = helpdesk_game_badge_key(badge);
	const char *hkey = t_strconcat(key, "/", period_key, NULL);

	if (hash_table_lookup(agent->badges, hkey) != NULL)
		return 0;
	hkey = p_strdup(fold->pool, hkey);
	hash_table_insert(agent->badges, hkey, POINTER_CAST(1));
	new_badge = array_append_space(&fold->new_badges);
	new_badge->agent = agent->username;
	new_badge->badge = key;
	new_badge->period_key = p_strdup(fold->pool, period_key);
	new_badge->ticket = event == NULL ? 0 : event->ticket;
	new_badge->event_id = event == NULL ? 0 : event->id;
	new_badge->created = created;
	if (fold->watch != NULL && strcmp(agent->username, fold->watch) == 0) {
		const char *text = p_strdup_printf(fold->pool,
			"New badge: %s (%s)", helpdesk_game_badge_title(badge),
			helpdesk_game_badge_description(badge));
		array_push_back(&fold->news, &text);
	}
	return 1;
}

/* Add points (already capped) to the agent's totals, levels included. */
static int game_add_points(struct game_fold *fold, struct game_agent *agent,
			   const struct game_event *event, int points,
			   int resolved, int earned, const char **error_r)
{
	static const enum helpdesk_game_period periods[] = {
		HELPDESK_GAME_PERIOD_DAY, HELPDESK_GAME_PERIOD_WEEK,
		HELPDESK_GAME_PERIOD_MONTH,
	};
	struct game_total *total;
	struct game_levelup *levelup;
	struct tm tm;
	unsigned int i, level;

	game_local_time(fold, agent->team, event->created, &tm);
	for (i = 0; i < N_ELEMENTS(periods); i++) {
		if (helpdesk_game_total_get(fold, agent, periods[i],
				   helpdesk_game_period_key(periods[i], &tm),
				   &total, error_r) < 0)
			return -1;
		total->points += points;
		total->earned += earned;
		total->resolved += resolved;
		total->dirty = TRUE;
	}
	agent->points += points;
	/* A fold that loses the race may have read the agent before the
	   winner's batch and the ticket's awards after it (PostgreSQL reads
	   each statement's own snapshot): what it computes is thrown away by
	   the token guard, but every value must still be one the columns
	   take, or the guarded statement fails before its guard is read. */
	if (resolved < 0 && agent->resolved < (unsigned int)-resolved)
		agent->resolved = 0;
	else
		agent->resolved = (unsigned int)((int)agent->resolved + resolved);
	if (agent->points > agent->peak)
		agent->peak = agent->points;
	level = helpdesk_game_level_for(fold->levels, agent->peak);
	if (level > agent->level) {
		agent->level = level;
		agent->level_at = event->created;
		levelup = array_append_space(&fold->new_levelups);
		levelup->agent = agent->username;
		levelup->level = level;
		levelup->ticket = event->ticket;
		levelup->event_id = event->id;
		levelup->created = event->created;
		if (fold->watch != NULL &&
		    strcmp(agent->username, fold->watch) == 0) {
			const char *text = p_strdup_printf(fold->pool,
				"Level up: you are now level %u, %s", level,
				helpdesk_game_level_name(fold->levels, level));
			array_push_back(&fold->news, &text);
		}
	}
	agent->dirty = TRUE;
	return 0;
}

/* Award points by rule: positive points count against the daily cap. */
static int game_award_full(struct game_fold *fold, struct game_agent *agent,
			   struct game_ticket *ticket,
			   const struct game_event *event, const char *rule,
			   const char *award_key, int points, int resolved,
			   bool capped, const char **error_r)
{
	struct game_entry *entry;
	struct game_total *day;
	struct tm tm;
	int earned = 0;

	if (capped && points > 0 && fold->rules->daily_cap > 0) {
		game_local_time(fold, agent->team, event->created, &tm);
		if (helpdesk_game_total_get(fold, agent, HELPDESK_GAME_PERIOD_DAY,
				   helpdesk_game_period_key(
					HELPDESK_GAME_PERIOD_DAY, &tm),
				   &day, error_r) < 0)
			return -1;
		if (day->earned >= fold->rules->daily_cap)
			points = 0;
		else if (day->earned + points > fold->rules->daily_cap)
			points = (int)(fold->rules->daily_cap - day->earned);
	}
	if (points > 0)
		earned = points;
	entry = array_append_space(&ticket->entries);
	entry->award_key = p_strdup(fold->pool, award_key);
	entry->agent = agent->username;
	entry->team = agent->team;
	entry->rule = rule;
	entry->event_id = event->id;
	entry->ticket = ticket->id;
	entry->points = points;
	entry->created = event->created;
	entry->pending = TRUE;
	array_push_back(&fold->new_entries, entry);
	return game_add_points(fold, agent, event, points, resolved, earned,
			       error_r);
}

static int game_award(struct game_fold *fold, struct game_agent *agent,
		      struct game_ticket *ticket,
		      const struct game_event *event, const char *rule,
		      const char *award_key, int points, int resolved,
		      const char **error_r)
{
	return game_award_full(fold, agent, ticket, event, rule, award_key,
			       points, resolved, TRUE, error_r);
}

static bool game_ticket_has(struct game_ticket *ticket, const char *award_key)
{
	const struct game_entry *entry;

	array_foreach(&ticket->entries, entry) {
		if (strcmp(entry->award_key, award_key) == 0)
			return TRUE;
	}
	return FALSE;
}

/* the agent's resolve award on this ticket that was not taken back */
static const struct game_entry *
game_standing_resolve(struct game_ticket *ticket, const char *agent)
{
	const struct game_entry *entry;
	const char *rule = helpdesk_game_rule_name(HELPDESK_GAME_RULE_RESOLVE);

	array_foreach(&ticket->entries, entry) {
		if (strcmp(entry->rule, rule) != 0 ||
		    (agent != NULL && strcmp(entry->agent, agent) != 0))
			continue;
		if (!game_ticket_has(ticket, t_strconcat("retract:",
					entry->award_key, NULL)))
			return entry;
	}
	return NULL;
}

static int game_on_replied(struct game_fold *fold, struct game_agent *agent,
			   struct game_ticket *ticket,
			   const struct game_event *event,
			   const char **error_r)
{
	const char *key;

	/* one award per ticket, ever: a reply to one's own reply, or the
	   same agent's later replies, earn nothing */
	if (event->replies_before > 0)
		return 0;
	key = t_strdup_printf("first_reply:%llu",
			      (unsigned long long)ticket->id);
	if (game_ticket_has(ticket, key))
		return 0;
	if (game_award(fold, agent, ticket, event,
		       helpdesk_game_rule_name(HELPDESK_GAME_RULE_FIRST_REPLY),
		       key, fold->rules->points[HELPDESK_GAME_RULE_FIRST_REPLY],
		       0, error_r) < 0)
		return -1;
	if (event->ticket_created > 0 &&
	    event->created - event->ticket_created <=
	    (int64_t)fold->rules->fast_within_secs) {
		if (game_award(fold, agent, ticket, event,
			       helpdesk_game_rule_name(
					HELPDESK_GAME_RULE_FAST_REPLY),
			       t_strdup_printf("fast_reply:%llu",
					(unsigned long long)ticket->id),
			       fold->rules->points[
					HELPDESK_GAME_RULE_FAST_REPLY],
			       0, error_r) < 0)
			return -1;
		agent->fast++;
		if (agent->fast == HELPDESK_GAME_SPEEDSTER_COUNT)
			(void)game_badge(fold, agent,
					 HELPDESK_GAME_BADGE_SPEEDSTER, "",
					 event, event->created);
	}
	return 0;
}

static int game_on_resolved(struct game_fold *fold, struct game_agent *agent,
			    struct game_ticket *ticket,
			    const struct game_event *event,
			    const char **error_r)
{
	enum helpdesk_game_badge badge;
	struct game_agent *escalator;
	const char *key;
	struct tm tm;

	if (game_standing_resolve(ticket, agent->username) != NULL)
		return 0;
	key = t_strdup_printf("resolve:%llu", (unsigned long long)event->id);
	if (game_award(fold, agent, ticket, event,
		       helpdesk_game_rule_name(HELPDESK_GAME_RULE_RESOLVE),
		       key, fold->rules->points[HELPDESK_GAME_RULE_RESOLVE],
		       1, error_r) < 0)
		return -1;
	if (helpdesk_game_badge_for_resolved(agent->resolved, &badge))
		(void)game_badge(fold, agent, badge, "", event,
				 event->created);
	if (event->replies_before == 1 && event->reopens_before == 0) {
		(void)game_badge(fold, agent,
				 HELPDESK_GAME_BADGE_FIRST_CONTACT, "",
				 event, event->created);
	}
	if (event->vip) {
		(void)game_badge(fold, agent, HELPDESK_GAME_BADGE_VIP_CARE, "",
				 event, event->created);
	}
	game_local_time(fold, agent->team, event->created, &tm);
	if (helpdesk_game_is_night(&tm)) {
		(void)game_badge(fold, agent, HELPDESK_GAME_BADGE_NIGHT_OWL, "",
				 event, event->created);
	}
	if (helpdesk_game_is_weekend(&tm)) {
		(void)game_badge(fold, agent,
				 HELPDESK_GAME_BADGE_WEEKEND_HERO, "",
				 event, event->created);
	}
	/* handling a ticket someone else escalated: once per ticket and
	   agent (escalating one's own ticket to resolve it earns nothing) */
	if (event->escalator == NULL ||
	    strcmp(event->escalator, agent->username) == 0)
		return 0;
	key = t_strdup_printf("escalation:%llu:%s",
			      (unsigned long long)ticket->id, agent->username);
	if (!game_ticket_has(ticket, key)) {
		if (game_award(fold, agent, ticket, event,
			       helpdesk_game_rule_name(
					HELPDESK_GAME_RULE_ESCALATION), key,
			       fold->rules->points[
					HELPDESK_GAME_RULE_ESCALATION],
			       0, error_r) < 0)
			return -1;
		agent->escalated++;
		if (agent->escalated == HELPDESK_GAME_FIREFIGHTER_COUNT) {
			(void)game_badge(fold, agent,
					 HELPDESK_GAME_BADGE_FIREFIGHTER, "",
					 event, event->created);
		}
	}
	escalator = hash_table_lookup(fold->agents, event->escalator);
	if (escalator != NULL && escalator != agent &&
	    *agent->team != '\0' && strcmp(escalator->team, agent->team) == 0) {
		(void)game_badge(fold, agent, HELPDESK_GAME_BADGE_TEAM_PLAYER,
				 "", event, event->created);
	}
	return 0;
}

/* A reopening within the window takes back the resolutions' points, of
   whoever resolved. */
static int game_on_reopened(struct game_fold *fold, struct game_ticket *ticket,
			    const struct game_event *event,
			    const char **error_r)
{
	const char *rule = helpdesk_game_rule_name(HELPDESK_GAME_RULE_RESOLVE);
	const struct game_entry *entry;
	struct game_agent *agent;
	unsigned int i, count = array_count(&ticket->entries);

	for (i = 0; i < count; i++) {
		const char *retract_key;

		entry = array_idx(&ticket->entries, i);
		if (strcmp(entry->rule, rule) != 0 ||
		    event->created - entry->created >
		    (int64_t)fold->rules->reopen_window_secs)
			continue;
		retract_key = t_strconcat("retract:", entry->award_key, NULL);
		if (game_ticket_has(ticket, retract_key))
			continue;
		if (helpdesk_game_agent_get(fold, entry->agent, &agent, error_r) < 0)
			return -1;
		if (agent == NULL)
			continue;
		if (game_award(fold, agent, ticket, event,
			       HELPDESK_GAME_RETRACT_NAME, retract_key,
			       -entry->points, -1, error_r) < 0)
			return -1;
		/* the array may have moved */
		count = array_count(&ticket->entries);
	}
	return 0;
}

static int game_on_sla(struct game_fold *fold, struct game_agent *agent,
		       struct game_ticket *ticket,
		       const struct game_event *event, bool met,
		       const char **error_r)
{
	enum helpdesk_game_rule rule = met ? HELPDESK_GAME_RULE_SLA_MET :
		HELPDESK_GAME_RULE_SLA_BREACHED;

	if (met) {
		agent->met_streak++;
		if (agent->met_streak == HELPDESK_GAME_SLA_STREAK) {
			(void)game_badge(fold, agent,
					 HELPDESK_GAME_BADGE_SLA_STREAK, "",
					 event, event->created);
		}
	} else {
		agent->met_streak = 0;
	}
	agent->dirty = TRUE;
	return game_award(fold, agent, ticket, event,
			  helpdesk_game_rule_name(rule),
			  t_strdup_printf("%s:%llu", helpdesk_game_rule_name(rule),
					  (unsigned long long)event->id),
			  fold->rules->points[rule], 0, error_r);
}

/* A rating: its points replace those of an earlier rating of the same
   resolution. */
static int game_on_rated(struct game_fold *fold, struct game_agent *agent,
			 struct game_ticket *ticket,
			 const struct game_event *event, const char **error_r)
{
	const char *good = helpdesk_game_rule_name(
		HELPDESK_GAME_RULE_RATING_GOOD);
	const char *bad = helpdesk_game_rule_name(
		HELPDESK_GAME_RULE_RATING_BAD);
	const struct game_entry *entry;
	unsigned int score;
	int target = 0, before = 0;
	const char *rule;

	if (str_to_uint(event->detail, &score) < 0 || score < 1 || score > 5)
		return 0;
	if (score >= 4)
		target = fold->rules->points[HELPDESK_GAME_RULE_RATING_GOOD];
	else if (score <= 2)
		target = fold->rules->points[HELPDESK_GAME_RULE_RATING_BAD];
	rule = score >= 3 ? good : bad;
	array_foreach(&ticket->entries, entry) {
		if ((strcmp(entry->rule, good) == 0 ||
		     strcmp(entry->rule, bad) == 0) &&
		    strcmp(entry->agent, agent->username) == 0 &&
		    entry->event_id > event->last_resolution)
			before += entry->points;
	}
	if (score == 5) {
		(void)game_badge(fold, agent, HELPDESK_GAME_BADGE_FIVE_STAR, "",
				 event, event->created);
	}
	if (target == before)
		return 0;
	/* a rating that replaces a bad one undoes an (uncapped) penalty:
	   no new earning, so not against the cap */
	return game_award_full(fold, agent, ticket, event, rule,
			       t_strdup_printf("rating:%llu",
					       (unsigned long long)event->id),
			       target - before, 0, before >= 0, error_r);
}

/* Top of the week: when a team's first event of a new week comes, its
   best agent of the week before gets the badge. */
static int game_week_turn(struct game_fold *fold, struct game_agent *agent,
			  const struct game_event *event,
			  const char **error_r)
{
	struct game_team *team;
	struct game_total *total, *best = NULL;
	struct game_agent *best_agent;
	struct hash_iterate_context *iter;
	struct helpdesk_db_result *result;
	const char *week, *key, *args[4];
	struct tm tm;
	int ret;

	if (*agent->team == '\0')
		return 0;
	game_local_time(fold, agent->team, event->created, &tm);
	week = helpdesk_game_period_key(HELPDESK_GAME_PERIOD_WEEK, &tm);
	if (helpdesk_game_team_get(fold, agent->team, &team, error_r) < 0)
		return -1;
	if (strcmp(team->last_week, week) >= 0)
		return 0;
	if (*team->last_week != '\0') {
		/* load the week's committed totals of the team, then pick
		   the best of them and of this batch's */
		args[0] = helpdesk_game_period_name(HELPDESK_GAME_PERIOD_WEEK);
		args[1] = team->last_week;
		args[2] = team->name;
		args[3] = NULL;
		result = helpdesk_db_query(fold->store->db, "SELECT username "
			"FROM hd_game_periods WHERE period = ? AND "
			"period_key = ? AND team = ?", args);
		while ((ret = helpdesk_db_result_next_row(result)) > 0) {
			struct game_agent *member;
			const char *name = t_strdup(
				helpdesk_db_result_value(result, 0));

			member = hash_table_lookup(fold->agents, name);
			if (member == NULL ||
			    strcmp(member->team, team->name) != 0)
				continue;
			if (helpdesk_game_total_get(fold, member,
					   HELPDESK_GAME_PERIOD_WEEK,
					   team->last_week, &total,
					   error_r) < 0) {
				helpdesk_db_result_free(&result);
				return -1;
			}
		}
		if (helpdesk_db_result_finish(&result, ret, error_r) < 0)
			return -1;
		iter = hash_table_iterate_init(fold->totals);
		while (hash_table_iterate(iter, fold->totals, &key, &total)) {
			if (total->period != HELPDESK_GAME_PERIOD_WEEK ||
			    strcmp(total->period_key, team->last_week) != 0 ||
			    strcmp(total->team, team->name) != 0 ||
			    total->points <= 0)
				continue;
			if (best == NULL || total->points > best->points ||
			    (total->points == best->points &&
			     strcmp(total->agent, best->agent) < 0))
				best = total;
		}
		hash_table_iterate_deinit(&iter);
		if (best != NULL) {
			if (helpdesk_game_agent_get(fold, best->agent, &best_agent,
					   error_r) < 0)
				return -1;
			if (best_agent != NULL) {
				(void)game_badge(fold, best_agent,
					HELPDESK_GAME_BADGE_TOP_OF_WEEK,
					team->last_week, NULL, event->created);
			}
		}
	}
	team->last_week = p_strdup(fold->pool, week);
	team->dirty = TRUE;
	return 0;
}

int helpdesk_game_fold_event(struct game_fold *fold,
			   const struct game_event *event,
			   const char **error_r)
{
	struct game_agent *agent;
	struct game_ticket *ticket;

	if (helpdesk_game_agent_get(fold, event->actor, &agent, error_r) < 0)
		return -1;
	if (agent != NULL && game_week_turn(fold, agent, event, error_r) < 0)
		return -1;
	if (helpdesk_game_ticket_get(fold, event->ticket, &ticket, error_r) < 0)
		return -1;
	if (strcmp(event->kind, "reopened") == 0)
		return game_on_reopened(fold, ticket, event, error_r);
	if (agent == NULL)
		return 0;
	/* an agent's own mail to the queue is no customer's: nobody earns
	   anything on it; a lead who assigned the ticket to themselves
	   earns nothing on it */
	if (helpdesk_game_requester_is_agent(fold, event->requester))
		return 0;
	if (event->self_assigned && strcmp(agent->role, "lead") == 0)
		return 0;
	if (strcmp(event->kind, "replied") == 0)
		return game_on_replied(fold, agent, ticket, event, error_r);
	if (strcmp(event->kind, "resolved") == 0)
		return game_on_resolved(fold, agent, ticket, event, error_r);
	if (strcmp(event->kind, "sla_met") == 0)
		return game_on_sla(fold, agent, ticket, event, TRUE, error_r);
	if (strcmp(event->kind, "sla_breached") == 0)
		return game_on_sla(fold, agent, ticket, event, FALSE, error_r);
	if (strcmp(event->kind, "rated") == 0)
		return game_on_rated(fold, agent, ticket, event, error_r);
	return 0;
}
