#ifndef HELPDESK_THREAD_H
#define HELPDESK_THREAD_H

/* What the store knows about an incoming message, gathered before the
   decision. Ticket number 0 means "none". */
struct helpdesk_thread_input {
	/* the message (by Message-ID or content key) was recorded before:
	   a retried or replayed delivery */
	bool known_message;
	uint64_t known_ticket;

	/* a ticket that owns a message named by In-Reply-To/References */
	uint64_t ref_ticket;
	bool ref_ticket_resolved;

	/* a ticket named by a subject tag that exists in the store */
	uint64_t tag_ticket;
	bool tag_ticket_resolved;
	/* the sender is a participant of tag_ticket */
	bool tag_sender_is_participant;

	/* the message is auto-generated (bounce, auto-reply, list) */
	bool is_auto;
	/* the sender is a registered agent: never reopens the ticket */
	bool from_agent;
};

enum helpdesk_thread_action {
	/* open a new ticket */
	HELPDESK_THREAD_NEW,
	/* add to an existing ticket */
	HELPDESK_THREAD_FOLLOWUP,
	/* seen before: same ticket again, record nothing new */
	HELPDESK_THREAD_REPLAY,
	/* auto-generated mail that names no ticket: no ticket at all */
	HELPDESK_THREAD_NONE,
};

struct helpdesk_thread_decision {
	enum helpdesk_thread_action action;
	uint64_t ticket;
	/* the follow-up reopens a resolved ticket, by the state looked up
	   (the store's write decides in the end: an agent may resolve the
	   ticket meanwhile, helpdesk_store_record_message()) */
	bool reopen;
	/* why, for the log and the event ledger */
	const char *reason;
};

/* Decide what an incoming queue message is. Pure function: the caller
   looked up everything in the input beforehand. */
void helpdesk_thread_decide(const struct helpdesk_thread_input *in,
			    struct helpdesk_thread_decision *decision_r);

const char *helpdesk_thread_action_name(enum helpdesk_thread_action action);

#endif
