/* Copyright (c) 2026 dovecot-helpdesk authors, see the included COPYING file */

#include "lib.h"
#include "array.h"
#include "strnum.h"
#include "helpdesk-request.h"

struct request_judge {
	const char *prefix;
	const struct helpdesk_actor *actor;
	const struct helpdesk_ticket_row *row;
	const struct helpdesk_change *change;
	ARRAY_TYPE(helpdesk_request) *requests;
	const char *reason;
	bool rewrite;
	/* some request asks for an action: the message must be a ticket's */
	bool wants_ticket;
};

static bool request_str_eq(const char *a, const char *b)
{
	return strcmp(a == NULL ? "" : a, b == NULL ? "" : b) == 0;
}

static void
request_add(struct request_judge *j, bool claim,
	      enum helpdesk_action_kind kind, const char *arg)
{
	struct helpdesk_request *req;

	j->wants_ticket = TRUE;
	req = array_append_space(j->requests);
	req->claim = claim;
	req->kind = kind;
	req->arg = arg == NULL ? "" : arg;
}

static enum helpdesk_refusal
request_refuse(struct request_judge *j, enum helpdesk_refusal refusal,
	     const char *reason)
{
	j->reason = reason;
	return refusal;
}

static enum helpdesk_refusal
request_plugin_owned(struct request_judge *j, const char *kw)
{
	return request_refuse(j, HELPDESK_REFUSAL_CANNOT,
		t_strdup_printf("%s is set by the helpdesk, not by agents",
				kw));
}

/* the keyword's value as the ticket has it now (status, tier) */
static bool request_row_has_status(const struct helpdesk_ticket_row *row,
			   const char *arg)
{
	return row != NULL && strcmp(helpdesk_status_name(row->status),
				     arg) == 0;
}

static bool request_row_has_tier(const struct helpdesk_ticket_row *row,
			 const char *arg)
{
	unsigned int tier;

	return row != NULL && str_to_uint(arg, &tier) == 0 &&
		tier == row->tier;
}

static bool request_row_has_sla(const struct helpdesk_ticket_row *row,
				const char *arg)
{
	enum helpdesk_sla_tag tag = strcmp(arg, "breach") == 0 ?
		HELPDESK_SLA_TAG_BREACH : HELPDESK_SLA_TAG_WARN;

	return row != NULL && row->sla == tag;
}

static bool
request_names_have_class(const char *prefix, const char *const *names,
			 enum helpdesk_kw_class kw_class)
{
	const char *arg;

	for (; *names != NULL; names++) {
		if (helpdesk_keyword_classify(prefix, *names, &arg) == kw_class)
			return TRUE;
	}
	return FALSE;
}

static enum helpdesk_refusal
request_judge_added(struct request_judge *j, const char *kw)
{
	const struct helpdesk_ticket_row *row = j->row;
	const char *user = j->actor->user, *arg;

	switch (helpdesk_keyword_classify(j->prefix, kw, &arg)) {
	case HELPDESK_KW_CLASS_FOREIGN:
		return HELPDESK_REFUSAL_NONE;
	case HELPDESK_KW_CLASS_UNKNOWN:
		return request_refuse(j, HELPDESK_REFUSAL_CANNOT,
			t_strdup_printf("%s is not a helpdesk keyword", kw));
	case HELPDESK_KW_CLASS_STATUS:
		if (strcmp(arg, "resolved") == 0) {
			if (row == NULL ||
			    row->status != HELPDESK_STATUS_RESOLVED)
				request_add(j, FALSE, HELPDESK_ACTION_RESOLVE,
					      NULL);
			return HELPDESK_REFUSAL_NONE;
		}
		if (j->rewrite || request_row_has_status(row, arg))
			return HELPDESK_REFUSAL_NONE;
		return request_plugin_owned(j, kw);
	case HELPDESK_KW_CLASS_TIER:
		if (j->rewrite || request_row_has_tier(row, arg))
			return HELPDESK_REFUSAL_NONE;
		return request_plugin_owned(j, kw);
	case HELPDESK_KW_CLASS_SLA:
		/* already so: in the store, or on the message */
		if (j->rewrite || request_row_has_sla(row, arg) ||
		    str_array_find(j->change->current, kw))
			return HELPDESK_REFUSAL_NONE;
		return request_plugin_owned(j, kw);
	case HELPDESK_KW_CLASS_PENDING:
	case HELPDESK_KW_CLASS_AUTO:
		if (j->rewrite || str_array_find(j->change->current, kw))
			return HELPDESK_REFUSAL_NONE;
		return request_plugin_owned(j, kw);
	case HELPDESK_KW_CLASS_CLAIM:
		request_add(j, TRUE, 0, NULL);
		return HELPDESK_REFUSAL_NONE;
	case HELPDESK_KW_CLASS_ESCALATE:
		request_add(j, FALSE, HELPDESK_ACTION_ESCALATE, NULL);
		return HELPDESK_REFUSAL_NONE;
	case HELPDESK_KW_CLASS_OWNER:
		if (row != NULL && request_str_eq(row->owner, arg))
			return HELPDESK_REFUSAL_NONE;
		if (strcmp(arg, user) == 0 &&
		    (!j->actor->lead || row == NULL ||
		     request_str_eq(row->owner, NULL))) {
			/* taking it yourself is a claim (a lead takes it
			   from another owner: an assignment) */
			request_add(j, TRUE, 0, NULL);
			return HELPDESK_REFUSAL_NONE;
		}
		if (!j->actor->lead) {
			return request_refuse(j, HELPDESK_REFUSAL_PERM,
				t_strdup_printf("Only a team lead can assign "
						"a ticket to %s", arg));
		}
		request_add(j, FALSE, HELPDESK_ACTION_ASSIGN, arg);
		return HELPDESK_REFUSAL_NONE;
	case HELPDESK_KW_CLASS_PRIORITY:
		if (row == NULL || !request_str_eq(row->priority, arg))
			request_add(j, FALSE, HELPDESK_ACTION_PRIORITY, arg);
		return HELPDESK_REFUSAL_NONE;
	case HELPDESK_KW_CLASS_VIP:
		if (row == NULL || !row->vip)
			request_add(j, FALSE, HELPDESK_ACTION_VIP, NULL);
		return HELPDESK_REFUSAL_NONE;
	case HELPDESK_KW_CLASS_TEAM:
		if (row == NULL || !request_str_eq(row->team, arg))
			request_add(j, FALSE, HELPDESK_ACTION_TEAM, arg);
		return HELPDESK_REFUSAL_NONE;
	}
	i_unreached();
}

static enum helpdesk_refusal
request_judge_removed(struct request_judge *j, const char *kw)
{
	const struct helpdesk_ticket_row *row = j->row;
	const char *prefix = j->prefix, *arg;

	switch (helpdesk_keyword_classify(prefix, kw, &arg)) {
	case HELPDESK_KW_CLASS_FOREIGN:
	case HELPDESK_KW_CLASS_UNKNOWN:
	case HELPDESK_KW_CLASS_CLAIM:
	case HELPDESK_KW_CLASS_ESCALATE:
		/* no state: nothing to do */
		return HELPDESK_REFUSAL_NONE;
	case HELPDESK_KW_CLASS_STATUS:
		if (strcmp(arg, "resolved") == 0) {
			if (row != NULL &&
			    row->status == HELPDESK_STATUS_RESOLVED)
				request_add(j, FALSE, HELPDESK_ACTION_REOPEN,
					      NULL);
			return HELPDESK_REFUSAL_NONE;
		}
		if (j->rewrite || !request_row_has_status(row, arg))
			return HELPDESK_REFUSAL_NONE;
		return request_plugin_owned(j, kw);
	case HELPDESK_KW_CLASS_TIER:
		if (j->rewrite || !request_row_has_tier(row, arg))
			return HELPDESK_REFUSAL_NONE;
		return request_plugin_owned(j, kw);
	case HELPDESK_KW_CLASS_SLA:
		if (j->rewrite || (!request_row_has_sla(row, arg) &&
				   !str_array_find(j->change->current, kw)))
			return HELPDESK_REFUSAL_NONE;
		return request_plugin_owned(j, kw);
	case HELPDESK_KW_CLASS_PENDING:
	case HELPDESK_KW_CLASS_AUTO:
		if (j->rewrite || !str_array_find(j->change->current, kw))
			return HELPDESK_REFUSAL_NONE;
		return request_plugin_owned(j, kw);
	case HELPDESK_KW_CLASS_OWNER:
		/* only the owner the ticket has now can be removed */
		if (row == NULL || !request_str_eq(row->owner, arg))
			return HELPDESK_REFUSAL_NONE;
		if (strcmp(arg, j->actor->user) != 0 && !j->actor->lead) {
			return request_refuse(j, HELPDESK_REFUSAL_PERM,
				t_strdup_printf("Only a team lead can take a "
						"ticket away from %s", arg));
		}
		request_add(j, FALSE, HELPDESK_ACTION_UNCLAIM, arg);
		return HELPDESK_REFUSAL_NONE;
	case HELPDESK_KW_CLASS_PRIORITY:
		/* a rewrite may drop a priority it doesn't know; another
		   priority set in the same change replaces it */
		if (row == NULL || !request_str_eq(row->priority, arg) ||
		    j->rewrite ||
		    request_names_have_class(prefix, j->change->added,
					     HELPDESK_KW_CLASS_PRIORITY))
			return HELPDESK_REFUSAL_NONE;
		return request_refuse(j, HELPDESK_REFUSAL_CANNOT,
			t_strdup_printf("a ticket always has a priority: set "
					"%sprio-urgent, -high, -normal or "
					"-low instead", prefix));
	case HELPDESK_KW_CLASS_VIP:
		if (row != NULL && row->vip)
			request_add(j, FALSE, HELPDESK_ACTION_UNVIP, NULL);
		return HELPDESK_REFUSAL_NONE;
	case HELPDESK_KW_CLASS_TEAM:
		/* a team set in the same change replaces it anyway */
		if (row != NULL && request_str_eq(row->team, arg) &&
		    !request_names_have_class(prefix, j->change->added,
				      HELPDESK_KW_CLASS_TEAM))
			request_add(j, FALSE, HELPDESK_ACTION_TEAM, "");
		return HELPDESK_REFUSAL_NONE;
	}
	i_unreached();
}

enum helpdesk_refusal
helpdesk_request_judge(const char *prefix, const struct helpdesk_actor *actor,
		       const struct helpdesk_ticket_row *row,
		       const struct helpdesk_change *change,
		       ARRAY_TYPE(helpdesk_request) *requests,
		       const char **reason_r)
{
	struct request_judge j;
	enum helpdesk_refusal refusal = HELPDESK_REFUSAL_NONE;
	const char *const *kw;

	i_zero(&j);
	j.prefix = prefix;
	j.actor = actor;
	j.row = row;
	j.change = change;
	j.requests = requests;
	j.rewrite = change->mode == HELPDESK_CHANGE_REWRITE;
	*reason_r = NULL;

	for (kw = change->added; *kw != NULL; kw++) {
		if ((refusal = request_judge_added(&j, *kw)) !=
		    HELPDESK_REFUSAL_NONE)
			break;
	}
	for (kw = change->removed;
	     *kw != NULL && refusal == HELPDESK_REFUSAL_NONE; kw++)
		refusal = request_judge_removed(&j, *kw);
	if (refusal == HELPDESK_REFUSAL_NONE && row == NULL &&
	    j.wants_ticket) {
		refusal = request_refuse(&j, HELPDESK_REFUSAL_CANNOT,
			t_strdup_printf("message UID %u is not part of a "
					"ticket", change->uid));
	}
	*reason_r = j.reason;
	return refusal;
}

bool helpdesk_request_is_rewrite_start(const char *prefix,
				       const char *const *removed,
				       const char *const *current)
{
	const char *const *kw, *arg;
	bool plugin_owned = FALSE, covers = TRUE, ours = FALSE;
	bool status = FALSE, tier = FALSE;

	for (kw = current; *kw != NULL; kw++) {
		if (helpdesk_keyword_classify(prefix, *kw, &arg) ==
		    HELPDESK_KW_CLASS_FOREIGN)
			continue;
		ours = TRUE;
		if (!str_array_find(removed, *kw))
			covers = FALSE;
	}
	for (kw = removed; *kw != NULL; kw++) {
		switch (helpdesk_keyword_classify(prefix, *kw, &arg)) {
		case HELPDESK_KW_CLASS_STATUS:
			status = TRUE;
			if (strcmp(arg, "resolved") != 0)
				plugin_owned = TRUE;
			break;
		case HELPDESK_KW_CLASS_TIER:
			tier = TRUE;
			plugin_owned = TRUE;
			break;
		case HELPDESK_KW_CLASS_PENDING:
		case HELPDESK_KW_CLASS_AUTO:
		case HELPDESK_KW_CLASS_SLA:
			plugin_owned = TRUE;
			break;
		default:
			break;
		}
	}
	/* a status and a tier together: the client's own idea of the
	   message's keywords may be older than this session's */
	return plugin_owned && ((ours && covers) || (status && tier));
}
