#ifndef HELPDESK_VIEWS_H
#define HELPDESK_VIEWS_H

struct mail_namespace;

/* mail_namespaces_created hook: in an agent's IMAP session, write the
   dovecot-virtual files of the agent views (Mine, Unassigned, Waiting on
   customer) into the virtual namespace whose prefix the helpdesk_views
   setting names. Files are rewritten only when their content changes; a
   view seen for the first time is subscribed. Errors are logged and never
   fail the login. */
void helpdesk_views_namespaces_created(struct mail_namespace *namespaces);

/* helpdesk-view-storage.c: the overrides of a view mailbox (a virtual
   mailbox in the helpdesk_views namespace) and of its messages. */
void helpdesk_view_mailbox_allocated(struct mailbox *box);
void helpdesk_view_mail_allocated(struct mail *mail);

#endif
