#ifndef HELPDESK_STORE_GAME_PRIVATE_H
#define HELPDESK_STORE_GAME_PRIVATE_H

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

#endif
