#ifndef HELPDESK_AVAILABILITY_H
#define HELPDESK_AVAILABILITY_H

/* The agent's availability as IMAP METADATA on INBOX (the server's
   metadata lives there too): /private/vendor/dovecot-helpdesk/away. */
void helpdesk_availability_mailbox_allocated(struct mailbox *box);

#endif
