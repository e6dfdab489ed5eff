/* Copyright (c) 2026 dovecot-helpdesk authors, see the included COPYING file */

#include "lib.h"
#include "helpdesk-thread.h"

void helpdesk_thread_decide(const struct helpdesk_thread_input *in,
			    struct helpdesk_thread_decision *decision_r)
{
	i_zero(decision_r);

	if (in->known_message) {
		/* Never a second ticket, never a second state change for the
		   same message. */
		decision_r->action = in->known_ticket != 0 ?
			HELPDESK_THREAD_REPLAY : HELPDESK_THREAD_NONE;
		decision_r->ticket = in->known_ticket;
		decision_r->reason = "replayed delivery";
		return;
	}
	if (in->ref_ticket != 0) {
		decision_r->action = HELPDESK_THREAD_FOLLOWUP;
		decision_r->ticket = in->ref_ticket;
		decision_r->reopen = in->ref_ticket_resolved &&
			!in->is_auto && !in->from_agent;
		decision_r->reason = "references";
		return;
	}
	/* a From header can be forged: an agent's address joins a ticket by
	   its number only as a participant, like anyone else */
	if (in->tag_ticket != 0 && in->tag_sender_is_participant) {
		decision_r->action = HELPDESK_THREAD_FOLLOWUP;
		decision_r->ticket = in->tag_ticket;
		decision_r->reopen = in->tag_ticket_resolved &&
			!in->is_auto && !in->from_agent;
		decision_r->reason = "subject tag";
		return;
	}
	if (in->is_auto) {
		decision_r->action = HELPDESK_THREAD_NONE;
		decision_r->reason = "auto-generated";
		return;
	}
	decision_r->action = HELPDESK_THREAD_NEW;
	decision_r->reason = in->tag_ticket != 0 ?
		"subject tag from a non-participant" : "new conversation";
}

const char *helpdesk_thread_action_name(enum helpdesk_thread_action action)
{
	switch (action) {
	case HELPDESK_THREAD_NEW:
		return "new";
	case HELPDESK_THREAD_FOLLOWUP:
		return "followup";
	case HELPDESK_THREAD_REPLAY:
		return "replay";
	case HELPDESK_THREAD_NONE:
		return "none";
	}
	i_unreached();
}
