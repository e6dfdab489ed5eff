#ifndef HELPDESK_NOTIFIER_QUEUE_H
#define HELPDESK_NOTIFIER_QUEUE_H

/* One queue mailbox watched over its own IMAP connection: log in, select
   with QRESYNC from what the tracker knew (or take a silent baseline),
   fetch what arrived, then IDLE; every change goes through the tracker,
   whose events go to the caller. */

#include "helpdesk-imap-client.h"
#include "helpdesk-notifier-tracker.h"

typedef struct _HelpdeskQueue HelpdeskQueue;

typedef enum {
	/* caught up with the server (after each resync) */
	HELPDESK_QUEUE_SYNCED,
	/* the connection is gone (error says why) */
	HELPDESK_QUEUE_CLOSED,
} HelpdeskQueueState;

typedef struct {
	/* events (HelpdeskEvent *) the tracker found */
	void (*events)(HelpdeskQueue *queue, GPtrArray *events,
		       gpointer user_data);
	void (*state)(HelpdeskQueue *queue, HelpdeskQueueState state,
		      const GError *error, gpointer user_data);
	/* the agent acted (the game may have moved) */
	void (*activity)(HelpdeskQueue *queue, gpointer user_data);
	/* an untagged response the queue doesn't use (METADATA) */
	void (*untagged)(HelpdeskQueue *queue,
			 const HelpdeskImapResponse *resp, gpointer user_data);
} HelpdeskQueueCallbacks;

/* mailbox: UTF-8; the tracker stays the caller's. */
HelpdeskQueue *helpdesk_queue_new(const HelpdeskNotifierConfig *config,
				  const gchar *mailbox,
				  HelpdeskTracker *tracker,
				  const HelpdeskQueueCallbacks *callbacks,
				  gpointer user_data);
void helpdesk_queue_free(HelpdeskQueue *queue);

/* Connect and sync; idle: stay connected in IDLE afterwards. */
void helpdesk_queue_start(HelpdeskQueue *queue, const gchar *password,
			  gboolean idle);
/* Log out (and close). */
void helpdesk_queue_stop(HelpdeskQueue *queue);
gboolean helpdesk_queue_is_connected(HelpdeskQueue *queue);

const gchar *helpdesk_queue_mailbox(HelpdeskQueue *queue);
/* the connection, for METADATA (NULL when not logged in) */
HelpdeskImapClient *helpdesk_queue_client(HelpdeskQueue *queue);

/* Claim a ticket (hd-claim on its newest message); the result comes as a
   CLAIMED event, or failed is called with the server's words. */
void helpdesk_queue_claim(HelpdeskQueue *queue, guint64 ticket,
			  guint32 uid,
			  void (*failed)(HelpdeskQueue *queue, guint64 ticket,
					 const gchar *why, gpointer user_data));

/* The imap:// URL of a message (RFC 5092). */
gchar *helpdesk_queue_message_url(HelpdeskQueue *queue, guint32 uid);

#endif
