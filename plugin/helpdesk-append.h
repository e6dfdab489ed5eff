#ifndef HELPDESK_APPEND_H
#define HELPDESK_APPEND_H

/* Messages an agent's client saves into a queue itself (APPEND, or a copy
   from a folder that is no queue): they open no ticket, and they carry
   none of the helpdesk's keywords the client sends -- forged state
   (hd-owner-bob hd-resolved on a message that is no ticket) would show in
   the agents' views and counts. A copy of a ticket's own message that a
   client saves back (neomutt rewrites a message to edit its X-Label:
   APPEND of the new copy, EXPUNGE of the old one) keeps the ticket's
   state instead of falling out of it. */

struct helpdesk_user;

/* Drop the helpdesk's keywords from a client's save (before it is
   saved): only the foreign ones stay. */
void helpdesk_append_strip(struct mail_save_context *ctx,
			   const char *prefix);

/* After the commit: the saves (by index in the transaction, save_idxs)
   that are copies of a ticket's message -- its X-Helpdesk-Ticket header
   and a message key the store has for that ticket -- are recorded as the
   ticket's messages and get its state. */
void helpdesk_append_adopt(struct mailbox *box, struct helpdesk_user *huser,
			   const ARRAY_TYPE(uint32_t) *save_idxs,
			   const struct mail_transaction_commit_changes *changes);

#endif
