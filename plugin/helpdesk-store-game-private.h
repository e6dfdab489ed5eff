#ifndef HELPDESK_STORE_GAME_PRIVATE_H
#define HELPDESK_STORE_GAME_PRIVATE_H

#include "hash.h"

/* Shared by helpdesk-store-game.c (the fold) and -game-read.c. */

/* A rule table and level curve, in force for the events after
   from_event. */
struct helpdesk_game_version {
	uint64_t from_event;
	struct helpdesk_game_rules rules;
	struct helpdesk_game_levels levels;
};

/* Every version set, oldest first, and the defaults before them. */
struct helpdesk_game_versions {
	struct helpdesk_game_version defaults;
	ARRAY(struct helpdesk_game_version) list;
};

int helpdesk_game_versions_load(struct helpdesk_store *store, pool_t pool,
				struct helpdesk_game_versions *versions_r,
				const char **error_r);
/* The version in force for the event event_id. */
void helpdesk_game_versions_at(const struct helpdesk_game_versions *versions,
			       uint64_t event_id,
			       const struct helpdesk_game_rules **rules_r,
			       const struct helpdesk_game_levels **levels_r);

/* A fold in progress (helpdesk-store-game.c loads the state and writes
   it, helpdesk-store-game-rules.c applies the rules to each event). */
struct game_event {
	uint64_t id, ticket;
	const char *kind, *actor, *detail, *requester, *escalator;
	int64_t created, ticket_created;
	unsigned int replies_before, reopens_before;
	uint64_t last_resolution;
	bool vip, self_assigned;
};

/* points of a ticket, committed or of this batch */
struct game_entry {
	const char *award_key, *agent, *team, *rule;
	uint64_t event_id, ticket;
	int points;
	int64_t created;
	bool pending;
};

struct game_ticket {
	uint64_t id;
	ARRAY(struct game_entry) entries;
};

struct game_agent {
	const char *username, *team, *role, *address;
	int64_t points, peak, level_at;
	unsigned int level, resolved, met_streak, fast, escalated;
	/* loaded from hd_game_agents (or known to be new) */
	bool loaded, dirty;
	/* badges: "key/period" of every badge the agent has */
	HASH_TABLE(const char *, void *) badges;
};

struct game_total {
	const char *agent, *team, *period_key;
	enum helpdesk_game_period period;
	int64_t points, earned;
	int resolved;
	bool dirty;
};

struct game_team {
	const char *name, *last_week;
	bool dirty;
};

struct game_badge_new {
	const char *agent, *badge, *period_key;
	uint64_t ticket, event_id;
	int64_t created;
};

struct game_levelup {
	const char *agent;
	unsigned int level;
	uint64_t ticket, event_id;
	int64_t created;
};

struct game_fold {
	struct helpdesk_store *store;
	pool_t pool;
	struct helpdesk_game_versions versions;
	/* registered agents (none: everybody plays, without a team) */
	HASH_TABLE(const char *, struct game_agent *) agents;
	/* their addresses, lower-case */
	HASH_TABLE(const char *, void *) addresses;
	HASH_TABLE(const char *, struct game_total *) totals;
	HASH_TABLE(const char *, struct game_team *) teams;
	HASH_TABLE(void *, struct game_ticket *) tickets;
	ARRAY(struct game_event) events;
	ARRAY(struct game_entry) new_entries;
	ARRAY(struct game_badge_new) new_badges;
	ARRAY(struct game_levelup) new_levelups;
	bool registered_agents;
	/* the agent whose level-ups and badges are told (NULL: nobody),
	   and what to tell */
	const char *watch;
	ARRAY_TYPE(const_string) news;
	/* the rules and curve of the event at hand */
	const struct helpdesk_game_rules *rules;
	const struct helpdesk_game_levels *levels;
};

/* The state the rules read, loaded at its first use in a batch
   (helpdesk-store-game.c). *agent_r NULL: the actor does not play. */
int helpdesk_game_agent_get(struct game_fold *fold, const char *username,
			    struct game_agent **agent_r, const char **error_r);
int helpdesk_game_ticket_get(struct game_fold *fold, uint64_t id,
			     struct game_ticket **ticket_r,
			     const char **error_r);
int helpdesk_game_team_get(struct game_fold *fold, const char *name,
			   struct game_team **team_r, const char **error_r);
int helpdesk_game_total_get(struct game_fold *fold,
			    const struct game_agent *agent,
			    enum helpdesk_game_period period,
			    const char *period_key,
			    struct game_total **total_r, const char **error_r);
/* Is requester a registered agent's address? */
bool helpdesk_game_requester_is_agent(struct game_fold *fold,
				      const char *requester);

/* Apply the rules in force to one event (helpdesk-store-game-rules.c). */
int helpdesk_game_fold_event(struct game_fold *fold,
			     const struct game_event *event,
			     const char **error_r);

#endif
