#ifndef HELPDESK_ACTIONS_H
#define HELPDESK_ACTIONS_H

/* The agents' actions at the commit of their transaction on a queue (or
   the resolved mailbox): keyword changes are judged against the store
   (helpdesk-request.h), the agent is checked, the actions are carried out
   in the store (a claim atomically) and every message of each ticket
   gets the store's state -- in the agent's own transaction when its view
   has them all, else after the commit. */

struct helpdesk_user;
struct helpdesk_transaction;

/* An action asked for by a move (resolve into the resolved mailbox,
   reopen by moving back); uid 0: the message has no UID here yet. */
void helpdesk_action_add(struct helpdesk_transaction *ht, uint32_t uid,
			 uint64_t ticket, bool claim,
			 enum helpdesk_action_kind kind, const char *arg);

/* Judge ht's changes against the store and check the agent and the
   actions, once per transaction, with no other effect: TRUE when refused
   (ht->refused, ht->refused_error). A view judges the transactions of
   all its queues before any of them commits. */
bool helpdesk_actions_judge(struct mailbox_transaction_context *t,
			    struct helpdesk_transaction *ht,
			    struct helpdesk_user *huser);

/* Before the commit: judge, check and carry out ht's changes and actions.
   On a refusal ht->refused and ht->refused_error are set and nothing is
   done. in_queue: t is on a queue (else on the resolved mailbox). */
void helpdesk_actions_prepare(struct mailbox_transaction_context *t,
			      struct helpdesk_transaction *ht,
			      struct helpdesk_user *huser, bool in_queue);

/* After the commit: update the tickets' messages that could not be
   updated in the transaction (all of them when the commit failed: the
   store has the actions anyway), and check that what was written is
   still the store's state (another agent may have acted meanwhile and
   committed in the other order); tell the agent what was refused or
   overridden. committed is the committed transaction's mailbox. */
void helpdesk_actions_finish(struct mailbox *committed,
			     struct helpdesk_transaction *ht,
			     struct helpdesk_user *huser, bool in_queue,
			     bool commit_failed);

/* Tell the agent's client about a refused transaction: the reason as an
   alert and the messages' real flags. */
void helpdesk_actions_refused(struct mailbox *box,
			      struct helpdesk_transaction *ht);

#endif
