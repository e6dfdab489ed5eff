#ifndef HELPDESK_NOTIFIER_TRACKER_H
#define HELPDESK_NOTIFIER_TRACKER_H

/* What the notifier knows about one queue and what is news (pure, no
   I/O): each message's ticket, each ticket's keywords as last seen, and
   the events a change means for this agent. The plugin mirrors a
   ticket's state onto all its messages, so a change is judged per ticket:
   the second message showing the same keywords is no news. The state is
   saved between runs so that nothing is announced twice. */

#include <glib.h>

typedef enum {
	HELPDESK_STATUS_UNKNOWN,
	HELPDESK_STATUS_NEW,
	HELPDESK_STATUS_OPEN,
	HELPDESK_STATUS_WAITING,
	HELPDESK_STATUS_RESOLVED,
} HelpdeskTicketStatus;

typedef enum {
	HELPDESK_PRIO_NORMAL,
	HELPDESK_PRIO_LOW,
	HELPDESK_PRIO_HIGH,
	HELPDESK_PRIO_URGENT,
} HelpdeskTicketPrio;

/* A ticket's state as its keywords say. */
typedef struct {
	HelpdeskTicketStatus status;
	HelpdeskTicketPrio prio;
	/* NULL: nobody */
	gchar *owner;
	gboolean vip, sla_warn, sla_breach;
} HelpdeskTicketFlags;

void helpdesk_ticket_flags_parse(const gchar *const *flags,
				 const gchar *prefix,
				 HelpdeskTicketFlags *flags_r);
void helpdesk_ticket_flags_clear(HelpdeskTicketFlags *flags);

typedef enum {
	/* a new, unowned ticket */
	HELPDESK_EVENT_NEW_TICKET,
	/* a ticket became this agent's without the agent claiming it here */
	HELPDESK_EVENT_ASSIGNED,
	/* the customer wrote again on this agent's ticket */
	HELPDESK_EVENT_CUSTOMER_REPLY,
	HELPDESK_EVENT_SLA_WARN,
	HELPDESK_EVENT_SLA_BREACH,
	/* someone else took a ticket that had no owner (a shown "new
	   ticket" notification is out of date) */
	HELPDESK_EVENT_TAKEN,
	/* the agent's own claim from a notification came through (owner
	   says who won) */
	HELPDESK_EVENT_CLAIMED,
} HelpdeskEventKind;

typedef struct {
	HelpdeskEventKind kind;
	guint64 ticket;
	/* the message the event is about (the newest of the ticket) */
	guint32 uid;
	HelpdeskTicketPrio prio;
	gboolean vip;
	/* the owner now (NULL: none) */
	gchar *owner;
	/* from the ticket's first message seen: decoded, may be "" */
	gchar *subject;
	gchar *from;
} HelpdeskEvent;

void helpdesk_event_free(HelpdeskEvent *event);

typedef struct _HelpdeskTracker HelpdeskTracker;

/* me: the agent's user name as in the owner keyword */
HelpdeskTracker *helpdesk_tracker_new(const gchar *me, const gchar *prefix);
void helpdesk_tracker_free(HelpdeskTracker *tracker);
void helpdesk_tracker_set_me(HelpdeskTracker *tracker, const gchar *me);

/* The mailbox's UIDVALIDITY: a different one forgets everything. */
void helpdesk_tracker_set_uidvalidity(HelpdeskTracker *tracker,
				      guint32 uidvalidity);
guint32 helpdesk_tracker_get_uidvalidity(HelpdeskTracker *tracker);
/* The highest MODSEQ seen (for QRESYNC) and the next UID expected. */
guint64 helpdesk_tracker_get_modseq(HelpdeskTracker *tracker);
void helpdesk_tracker_set_modseq(HelpdeskTracker *tracker, guint64 modseq);
guint32 helpdesk_tracker_get_uidnext(HelpdeskTracker *tracker);
/* Whether anything is known (a saved state or a finished baseline). */
gboolean helpdesk_tracker_has_baseline(HelpdeskTracker *tracker);
void helpdesk_tracker_set_baseline(HelpdeskTracker *tracker);
gboolean helpdesk_tracker_knows_uid(HelpdeskTracker *tracker, guint32 uid);
/* The newest message of a ticket (0: unknown). */
guint32 helpdesk_tracker_ticket_uid(HelpdeskTracker *tracker,
				    guint64 ticket);

/* A message's flags (and, when its header was fetched, has_header with
   its ticket number, 0 for none, subject and from). arrived: it came
   after what the tracker knew (above the old UIDNEXT), so it may be a
   new ticket or a reply; otherwise only its ticket's keywords can be
   news. Before the baseline nothing is news. Events are appended to
   events (HelpdeskEvent *, helpdesk_event_free). */
void helpdesk_tracker_message(HelpdeskTracker *tracker, guint32 uid,
			      const gchar *const *flags, gboolean has_header,
			      guint64 ticket, const gchar *subject,
			      const gchar *from, gboolean arrived,
			      GPtrArray *events);
void helpdesk_tracker_expunge(HelpdeskTracker *tracker, guint32 uid);
/* Whether one of the agent's tickets changed status or owner since the
   last call (the game may have moved). */
gboolean helpdesk_tracker_take_activity(HelpdeskTracker *tracker);

/* The agent claims ticket from a notification: the owner that follows is
   announced as CLAIMED, not ASSIGNED or TAKEN. */
void helpdesk_tracker_expect_claim(HelpdeskTracker *tracker, guint64 ticket);

/* The agent's claim of ticket was refused: when someone else owns it,
   append a CLAIMED event naming them and return TRUE. */
gboolean helpdesk_tracker_claim_refused(HelpdeskTracker *tracker,
					guint64 ticket, GPtrArray *events);

/* The claim came through (or the connection failed): forget it. */
void helpdesk_tracker_claim_done(HelpdeskTracker *tracker, guint64 ticket);

/* The state as text and back (the state file). FALSE on a text that
   isn't one (the tracker is then empty). */
gchar *helpdesk_tracker_save(HelpdeskTracker *tracker);
gboolean helpdesk_tracker_load(HelpdeskTracker *tracker, const gchar *text);

#endif
