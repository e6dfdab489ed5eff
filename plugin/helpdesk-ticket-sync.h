#ifndef HELPDESK_TICKET_SYNC_H
#define HELPDESK_TICKET_SYNC_H

/* Every message of a ticket shows the store's state of the ticket
   (helpdesk-ticket-sync.c). */

struct helpdesk_user;
struct helpdesk_store;
struct helpdesk_ticket_row;

/* Give every message of the ticket in box (found through the store and by
   header), and the extra_uids (may be NULL), the keywords of the ticket's
   state in the store, removing stale state keywords; *written_r (may be
   NULL) is that state. Syncs box first. Returns 0, or -1 with
   *error_r. */
int helpdesk_ticket_sync_keywords(struct mailbox *box,
				  struct helpdesk_user *huser,
				  uint64_t ticket,
				  const ARRAY_TYPE(uint32_t) *extra_uids,
				  const char *const **written_r,
				  const char **error_r);
/* The same for a box the caller has just synced (the sweep syncs the
   queue once for all the tickets it changed). */
int helpdesk_ticket_sync_keywords_synced(struct mailbox *box,
					 struct helpdesk_user *huser,
					 uint64_t ticket,
					 const ARRAY_TYPE(uint32_t) *extra_uids,
					 const char *const **written_r,
					 const char **error_r);

/* The ticket's row and the UIDs the store knows for its messages in box,
   and how many of its messages have no known location (*unknown_r). */
int helpdesk_ticket_uids_known(struct mailbox *box,
			       struct helpdesk_store *store, uint64_t ticket,
			       struct helpdesk_ticket_row *row_r,
			       ARRAY_TYPE(uint32_t) *uids,
			       unsigned int *unknown_r, const char **error_r);

/* The state keywords of row (the returned ones to add), and the other
   state keywords this mailbox knows (*remove_r). */
const char *const *
helpdesk_ticket_state_changes(struct mailbox *box, const char *prefix,
			      const struct helpdesk_ticket_row *row,
			      const char *const **remove_r);

/* Add and remove keywords (either list may be NULL) on the given UIDs in
   transaction t; the caller marks t's helpdesk state internal (not
   checked, not taken for agents' actions). UIDs not in t's view are
   skipped. */
void helpdesk_uids_update_keywords_t(struct mailbox_transaction_context *t,
				     const ARRAY_TYPE(uint32_t) *uids,
				     const char *const *add,
				     const char *const *remove);
/* Append uid unless it is there already (or 0). */
void helpdesk_uids_add_unique(ARRAY_TYPE(uint32_t) *uids, uint32_t uid);
/* Append ticket unless it is there already (or 0). */
void helpdesk_tickets_add_unique(ARRAY_TYPE(uint64_t) *tickets,
				 uint64_t ticket);

#endif
