#ifndef HELPDESK_SENT_H
#define HELPDESK_SENT_H

struct helpdesk_user;

/* After the commit of saves into an agent's \\Sent mailbox: each saved
   message that answers a ticket's message counts as the agent's reply
   (once) and the ticket waits on the customer. Whether the user counts
   (an agent) is decided once per session. */
void helpdesk_sent_committed(struct mailbox *committed,
			     struct helpdesk_user *huser,
			     const ARRAY_TYPE(seq_range) *saved_uids);

#endif
