#ifndef HELPDESK_SUBSCRIBE_H
#define HELPDESK_SUBSCRIBE_H

struct mail_namespace;

/* mail_namespaces_created: in an agent's IMAP session, subscribe each
   queue mailbox and the resolved mailbox the agent can open, once per
   mailbox and user (remembered in ~/.helpdesk-subscribed). Errors are
   logged and never fail the login. */
void helpdesk_subscribe_namespaces_created(struct mail_namespace *namespaces);

#endif
