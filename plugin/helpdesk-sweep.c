/* Copyright (c) 2026 dovecot-helpdesk authors, see the included COPYING file */

/* The SLA sweep (`doveadm helpdesk sweep`): the time-driven part of the
   clocks. Deliveries and agents' actions move the clocks at once; only
   the passing of time needs this: the store refreshes the tickets whose
   next SLA moment is due, and their messages in the queues get the new
   hd-sla-warn / hd-sla-breach keywords here. */

#include "lib.h"
#include "array.h"
#include "mail-namespace.h"
#include "mail-storage.h"
#include "helpdesk-plugin.h"
#include "helpdesk-store.h"
#include "helpdesk-store-game.h"
#include "helpdesk-ticket-sync.h"

/* at most this many events folded into the game per sweep */
#define HELPDESK_SWEEP_MAX_FOLD 100000
/* at most this many tickets per sweep: a later sweep takes the rest */
#define HELPDESK_SWEEP_MAX_TICKETS 100000

static int
sweep_sync_queue(struct mail_user *user, struct helpdesk_user *huser,
		 const char *queue, const ARRAY_TYPE(uint64_t) *tickets,
		 const char **error_r)
{
	struct mail_namespace *ns;
	struct mailbox *box;
	uint64_t ticket;
	int ret = 0;

	ns = mail_namespace_find(user->namespaces, queue);
	box = mailbox_alloc(ns->list, queue, 0);
	/* once for all the tickets */
	if (mailbox_sync(box, 0) < 0) {
		*error_r = t_strdup_printf("%s: %s", queue,
			mailbox_get_last_internal_error(box, NULL));
		mailbox_free(&box);
		return -1;
	}
	array_foreach_elem(tickets, ticket) {
		T_BEGIN {
			ret = helpdesk_ticket_sync_keywords_synced(box, huser,
				ticket, NULL, NULL, error_r);
		} T_END_PASS_STR_IF(ret < 0, error_r);
		if (ret < 0) {
			*error_r = t_strdup_printf("%s: ticket %llu: %s",
				queue, (unsigned long long)ticket, *error_r);
			break;
		}
	}
	mailbox_free(&box);
	return ret;
}

int helpdesk_sla_sweep_user(struct mail_user *user, time_t now,
			    unsigned int *queues_r, unsigned int *due_r,
			    unsigned int *changed_r, const char **error_r)
{
	struct helpdesk_user *huser = HELPDESK_USER_CONTEXT(user);
	struct helpdesk_store *store;
	ARRAY_TYPE(uint64_t) changed;
	const char *const *queue, *error;
	unsigned int folded;

	*queues_r = *due_r = *changed_r = 0;
	if (huser == NULL)
		return 0;
	if (!huser->set.sla_enabled) {
		*error_r = huser->set.sla_error != NULL ?
			t_strdup_printf("SLA clocks are off: %s",
					huser->set.sla_error) :
			"SLA clocks are off (helpdesk_sla = no)";
		return -1;
	}
	queue = helpdesk_user_queues(user, huser);
	if (*queue == NULL)
		return 0;
	store = helpdesk_user_store(huser, FALSE, NULL, error_r);
	if (store == NULL)
		return -1;
	t_array_init(&changed, 64);
	if (helpdesk_store_sla_sweep(store, now, HELPDESK_SWEEP_MAX_TICKETS,
				     &changed, due_r, error_r) < 0)
		return -1;
	*changed_r = array_count(&changed);
	for (; *queue != NULL; queue++) {
		(*queues_r)++;
		if (array_count(&changed) > 0 &&
		    sweep_sync_queue(user, huser, *queue, &changed,
				     error_r) < 0)
			return -1;
	}
	/* and the game folds what the deadlines and deliveries wrote */
	if (huser->set.game_enabled &&
	    helpdesk_store_game_fold(store, now, HELPDESK_SWEEP_MAX_FOLD,
				     &folded, &error) < 0) {
		e_warning(huser->event, "sweep: folding the game's events "
			  "failed: %s", error);
	}
	return 0;
}
