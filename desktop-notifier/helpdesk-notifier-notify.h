#ifndef HELPDESK_NOTIFIER_NOTIFY_H
#define HELPDESK_NOTIFIER_NOTIFY_H

/* The notifications (XDG notification spec through libnotify): one per
   ticket, replaced when the ticket changes; new tickets arriving together
   grouped into one; Claim and Open buttons where the server shows
   buttons. */

#include "helpdesk-notifier-config.h"
#include "helpdesk-notifier-tracker.h"

typedef struct _HelpdeskNotify HelpdeskNotify;

/* A button was pressed: action is "claim" or "open". */
typedef void HelpdeskNotifyActionFunc(const gchar *queue, guint64 ticket,
				      guint32 uid, const gchar *action,
				      gpointer user_data);

/* notify_init() must have succeeded. */
HelpdeskNotify *helpdesk_notify_new(const HelpdeskNotifierConfig *config,
				    HelpdeskNotifyActionFunc *action,
				    gpointer user_data);
void helpdesk_notify_free(HelpdeskNotify *notify);

/* Announce an event of a queue (new tickets wait a moment to be grouped
   with others); me: the agent (a claim won by someone else says so). */
void helpdesk_notify_event(HelpdeskNotify *notify, const gchar *queue,
			   const HelpdeskEvent *event, const gchar *me);
/* A claim from a notification was refused: why (the server's words). */
void helpdesk_notify_claim_failed(HelpdeskNotify *notify, const gchar *queue,
				  guint64 ticket, const gchar *why);
/* News of the game: key names the notification that is replaced (one
   for levels, one per badge, one for the rank). */
void helpdesk_notify_game(HelpdeskNotify *notify, const gchar *key,
			  const gchar *summary, const gchar *body);
/* A problem the agent must act on (a refused login or certificate):
   shown once per distinct text. */
void helpdesk_notify_problem(HelpdeskNotify *notify, const gchar *text);
/* Show grouped new tickets now (before exiting). */
void helpdesk_notify_flush(HelpdeskNotify *notify);
/* How many notifications were shown (--once's summary). */
guint helpdesk_notify_count(HelpdeskNotify *notify);

#endif
