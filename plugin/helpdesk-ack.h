#ifndef HELPDESK_ACK_H
#define HELPDESK_ACK_H

/* The acknowledgement (helpdesk_ack): a new ticket's customer is told
   its number at once, in a reply to their message. Never for a
   follow-up, automatic mail (the intake's checks: auto-replies, bulk,
   lists, bounces), the help desk's own addresses or agents; at most
   helpdesk_ack_limit per sender, counted in the store. */

struct helpdesk_user;
struct helpdesk_intake;
struct mail_user;

/* What the intake keeps of a message for its acknowledgement. */
struct helpdesk_ack_request {
	/* the address to answer (Reply-To, else From) */
	const char *to;
	const char *subject, *message_id, *references;
	const char *priority, *team;
	bool vip;
};

/* After the delivery's commit: acknowledge the intake's new ticket if it
   gets one. Failures are logged; the delivery is done. */
void helpdesk_ack_committed(struct helpdesk_user *huser,
			    struct mail_user *user,
			    const struct helpdesk_intake *intake);

#endif
