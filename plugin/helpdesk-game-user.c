/* Copyright (c) 2026 dovecot-helpdesk authors, see the included COPYING file */

#include "lib.h"
#include "array.h"
#include "str.h"
#include "ioloop.h"
#include "mail-storage-private.h"
#include "mailbox-attribute.h"
#include "helpdesk-plugin.h"
#include "helpdesk-store.h"
#include "helpdesk-store-game.h"
#include "helpdesk-game-json.h"
#include "helpdesk-notice.h"
#include "helpdesk-game-user.h"

/* events folded at most in an agent's action or a METADATA read: the
   sweep and doveadm fold any backlog */
#define GAME_USER_FOLD_MAX 2000

#define HELPDESK_GAME_CONTEXT(obj) \
	MODULE_CONTEXT_REQUIRE(obj, helpdesk_game_module)

struct helpdesk_game_mailbox {
	union mailbox_module_context module_ctx;
	bool queue;
};

static MODULE_CONTEXT_DEFINE_INIT(helpdesk_game_module,
				  &mail_storage_module_register);

static struct helpdesk_store *
game_user_fold(struct helpdesk_user *huser, const char **error_r)
{
	struct helpdesk_store *store;
	unsigned int folded;

	store = helpdesk_user_store(huser, FALSE, NULL, error_r);
	if (store == NULL ||
	    helpdesk_store_game_fold(store, ioloop_time, GAME_USER_FOLD_MAX,
				     &folded, error_r) < 0)
		return NULL;
	return store;
}

void helpdesk_game_after_actions(struct helpdesk_user *huser,
				 struct mail_user *user)
{
	struct helpdesk_store *store;
	ARRAY_TYPE(const_string) news;
	const char *error, *text;
	unsigned int folded;

	if (!huser->set.game_enabled)
		return;
	T_BEGIN {
		t_array_init(&news, 4);
		store = helpdesk_user_store(huser, FALSE, NULL, &error);
		if (store == NULL ||
		    helpdesk_store_game_fold_news(store, ioloop_time,
				GAME_USER_FOLD_MAX, user->username,
				pool_datastack_create(), &news, &folded,
				&error) < 0) {
			e_warning(huser->event, "game: folding the new events "
				  "failed (the next action or sweep folds "
				  "them): %s", error);
		}
		/* the agent's own news, shown by the mail client */
		array_foreach_elem(&news, text)
			helpdesk_notice_alert(user, text);
	} T_END;
}

/* which entry key is: 1 stats, 2 leaderboard, 0 none of ours */
static int game_key(struct helpdesk_game_mailbox *gbox,
		    enum mail_attribute_type type_flags, const char *key)
{
	enum mail_attribute_type type = type_flags & MAIL_ATTRIBUTE_TYPE_MASK;

	if (type == MAIL_ATTRIBUTE_TYPE_PRIVATE && !gbox->queue) {
		if (str_begins(key, MAILBOX_ATTRIBUTE_PREFIX_DOVECOT_PVT_SERVER))
			key += strlen(MAILBOX_ATTRIBUTE_PREFIX_DOVECOT_PVT_SERVER);
		return strcmp(key, HELPDESK_GAME_STATS_KEY) == 0 ? 1 : 0;
	}
	if (type == MAIL_ATTRIBUTE_TYPE_SHARED && gbox->queue)
		return strcmp(key, HELPDESK_GAME_BOARD_KEY) == 0 ? 2 : 0;
	return 0;
}

static int
game_attribute_set(struct mailbox_transaction_context *t,
		   enum mail_attribute_type type_flags, const char *key,
		   const struct mail_attribute_value *value)
{
	struct helpdesk_game_mailbox *gbox = HELPDESK_GAME_CONTEXT(t->box);

	if (game_key(gbox, type_flags, key) == 0) {
		return gbox->module_ctx.super.attribute_set(t, type_flags,
							     key, value);
	}
	mail_storage_set_error(t->box->storage, MAIL_ERROR_PERM,
		"This entry is computed by the help desk and read-only");
	return -1;
}

static int game_compute(struct mailbox *box, struct helpdesk_user *huser,
			int which, string_t *dest, const char **error_r)
{
	struct mail_user *user = box->storage->user;
	struct helpdesk_game_agent_stats stats;
	ARRAY_TYPE(helpdesk_game_board_row) rows;
	struct helpdesk_store *store;
	const char *team, *key;
	bool found;

	if ((store = game_user_fold(huser, error_r)) == NULL)
		return -1;
	if (helpdesk_store_game_agent_stats(store, user->username,
					    ioloop_time,
					    pool_datastack_create(), &stats,
					    &found, error_r) < 0)
		return -1;
	if (which == 1) {
		helpdesk_game_json_stats(dest, &stats);
		return 0;
	}
	/* the agent's team's board; without a team, everybody's */
	team = *stats.team == '\0' ? NULL : stats.team;
	t_array_init(&rows, 16);
	if (helpdesk_store_game_board(store, HELPDESK_GAME_PERIOD_WEEK, team,
				      FALSE, ioloop_time, NULL,
				      pool_datastack_create(), &rows,
				      error_r) < 0)
		return -1;
	helpdesk_store_game_period_key(store, stats.team,
				       HELPDESK_GAME_PERIOD_WEEK, ioloop_time,
				       &key, NULL);
	helpdesk_game_json_board(dest, stats.team, key, &rows);
	return 0;
}

static int
game_attribute_get(struct mailbox *box, enum mail_attribute_type type_flags,
		   const char *key, struct mail_attribute_value *value_r)
{
	struct helpdesk_game_mailbox *gbox = HELPDESK_GAME_CONTEXT(box);
	struct helpdesk_user *huser =
		HELPDESK_USER_CONTEXT(box->storage->user);
	const char *error;
	int which, ret;

	which = game_key(gbox, type_flags, key);
	if (which == 0) {
		return gbox->module_ctx.super.attribute_get(box, type_flags,
							     key, value_r);
	}
	i_zero(value_r);
	if (!huser->set.game_enabled)
		return 0;
	T_BEGIN {
		string_t *json = t_str_new(512);

		ret = game_compute(box, huser, which, json, &error);
		if (ret == 0)
			value_r->value = p_strdup(box->pool, str_c(json));
		else {
			helpdesk_store_failed(huser, error);
			mail_storage_set_error(box->storage, MAIL_ERROR_TEMP,
				"The helpdesk store is unavailable, try "
				"again later");
		}
	} T_END;
	if (ret < 0)
		return -1;
	(void)helpdesk_store_succeeded(huser);
	value_r->last_change = ioloop_time;
	return 1;
}

void helpdesk_game_mailbox_allocated(struct mailbox *box, bool queue)
{
	struct mailbox_vfuncs *v = box->vlast;
	struct helpdesk_game_mailbox *gbox;

	gbox = p_new(box->pool, struct helpdesk_game_mailbox, 1);
	gbox->module_ctx.super = *v;
	gbox->queue = queue;
	box->vlast = &gbox->module_ctx.super;
	v->attribute_set = game_attribute_set;
	v->attribute_get = game_attribute_get;
	MODULE_CONTEXT_SET(box, helpdesk_game_module, gbox);
}
