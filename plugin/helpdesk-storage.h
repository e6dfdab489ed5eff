#ifndef HELPDESK_STORAGE_H
#define HELPDESK_STORAGE_H

/* The storage hooks of the helpdesk (helpdesk-storage.c): which mailboxes
   and messages get the helpdesk's overrides. */

/* mailbox_allocated hook: queues, the resolved mailbox, the agents' \\Sent
   mailboxes and views. */
void helpdesk_mailbox_allocated(struct mailbox *box);

/* mail_allocated hook: the keyword protocol on queue messages
   (helpdesk-mail.c) and on the agents' views' messages. */
void helpdesk_mail_allocated(struct mail *mail);

#endif
