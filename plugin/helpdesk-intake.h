#ifndef HELPDESK_INTAKE_H
#define HELPDESK_INTAKE_H

#include "helpdesk-thread.h"
#include "helpdesk-auto.h"

struct helpdesk_user;

/* The plugin's decision for one message saved into a queue mailbox. */
struct helpdesk_intake {
	enum helpdesk_thread_action action;
	uint64_t ticket;
	enum helpdesk_auto_reason auto_reason;
	/* the store was unavailable: delivered as hd-pending */
	bool pending;
	/* this customer's follow-up reopened a resolved ticket (the store's
	   write decides, by the state the ticket has then) */
	bool reopen;
	/* the ticket's state changed (reopened, waiting, answered): its
	   other messages get the new keywords after the commit */
	bool propagate;
	/* prefix the subject with [#N] */
	bool tag_subject;
	/* message key (Message-ID or content hash) */
	const char *key;
	/* the keywords the saved message gets (full names) */
	const char *const *keywords;
	/* why (for the log) */
	const char *reason;
	/* index of this save in its mailbox transaction, for the UID */
	unsigned int save_idx;
	/* a customer's rating (helpdesk-csat.h): no ticket */
	bool rating;
	/* a new ticket's acknowledgement, sent after the commit
	   (helpdesk-ack.h); NULL: none */
	struct helpdesk_ack_request *ack;
};

/* Decide what the message becomes and record it in the store. Never fails:
   when the store is unavailable the result is a pending intake. The
   existing keywords (e.g. set by Sieve) are given as names; the resulting
   keyword list keeps the ones that are not the plugin's own state. A
   missing store is created only while queue_box is empty. All memory
   comes from pool. */
struct helpdesk_intake *
helpdesk_intake_run(struct helpdesk_user *huser, struct mailbox *queue_box,
		    struct mail *mail, const char *const *existing_keywords,
		    pool_t pool);

/* The store key of a Message-ID (as returned by message_id_get_next()).
   Overlong ids are hashed so hostile headers stay small in the store. */
const char *helpdesk_message_key_from_id(const char *id);

/* The store key of a message: its Message-ID, or a hash of its content
   (without trace headers) when it has none. Returns 0 or -1 on a mail
   error. The key is allocated from the data stack. */
int helpdesk_message_key(struct mail *mail, const char **key_r);

/* The store key of a message an agent sent (NULL when it has no
   Message-ID) and the keys of the messages it refers to, newest first
   (data stack). Returns 0, or -1 on a mail error. */
int helpdesk_intake_read_refs(struct mail *mail, const char **key_r,
			      const char *const **refs_r,
			      unsigned int *count_r);

#endif
