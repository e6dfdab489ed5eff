/* What is news in a queue for one agent: tickets' keywords as last seen,
   compared with what the server shows now. */

#include "helpdesk-notifier-tracker.h"

#include <string.h>

#define STATE_MAGIC "helpdesk-notifier-state 1"

typedef struct {
	guint64 ticket;
	HelpdeskTicketFlags flags;
	/* the newest message */
	guint32 uid;
	gchar *subject, *from;
} Ticket;

struct _HelpdeskTracker {
	gchar *me;
	gchar *prefix;
	guint32 uidvalidity;
	guint64 modseq;
	guint32 uidnext;
	gboolean baseline;
	/* uid -> ticket number (0: no ticket) */
	GHashTable *messages;
	/* ticket number -> Ticket */
	GHashTable *tickets;
	/* tickets the agent claims from a notification */
	GHashTable *claims;
	/* a ticket of the agent's changed status or owner */
	gboolean activity;
};

void helpdesk_ticket_flags_clear(HelpdeskTicketFlags *flags)
{
	g_clear_pointer(&flags->owner, g_free);
}

void helpdesk_ticket_flags_parse(const gchar *const *flags,
				 const gchar *prefix,
				 HelpdeskTicketFlags *flags_r)
{
	gsize plen = strlen(prefix);
	guint i;

	memset(flags_r, 0, sizeof(*flags_r));
	for (i = 0; flags != NULL && flags[i] != NULL; i++) {
		const gchar *kw = flags[i];

		if (g_ascii_strncasecmp(kw, prefix, plen) != 0)
			continue;
		kw += plen;
		if (g_ascii_strcasecmp(kw, "new") == 0)
			flags_r->status = HELPDESK_STATUS_NEW;
		else if (g_ascii_strcasecmp(kw, "open") == 0)
			flags_r->status = HELPDESK_STATUS_OPEN;
		else if (g_ascii_strcasecmp(kw, "waiting") == 0)
			flags_r->status = HELPDESK_STATUS_WAITING;
		else if (g_ascii_strcasecmp(kw, "resolved") == 0)
			flags_r->status = HELPDESK_STATUS_RESOLVED;
		else if (g_ascii_strcasecmp(kw, "vip") == 0)
			flags_r->vip = TRUE;
		else if (g_ascii_strcasecmp(kw, "sla-warn") == 0)
			flags_r->sla_warn = TRUE;
		else if (g_ascii_strcasecmp(kw, "sla-breach") == 0)
			flags_r->sla_breach = TRUE;
		else if (g_ascii_strcasecmp(kw, "prio-urgent") == 0)
			flags_r->prio = HELPDESK_PRIO_URGENT;
		else if (g_ascii_strcasecmp(kw, "prio-high") == 0)
			flags_r->prio = HELPDESK_PRIO_HIGH;
		else if (g_ascii_strcasecmp(kw, "prio-low") == 0)
			flags_r->prio = HELPDESK_PRIO_LOW;
		else if (g_ascii_strncasecmp(kw, "owner-", 6) == 0 &&
			 kw[6] != '\0' && flags_r->owner == NULL)
			flags_r->owner = g_strdup(kw + 6);
	}
}

void helpdesk_event_free(HelpdeskEvent *event)
{
	g_free(event->owner);
	g_free(event->subject);
	g_free(event->from);
	g_free(event);
}

static void ticket_free(Ticket *ticket)
{
	helpdesk_ticket_flags_clear(&ticket->flags);
	g_free(ticket->subject);
	g_free(ticket->from);
	g_free(ticket);
}

HelpdeskTracker *helpdesk_tracker_new(const gchar *me, const gchar *prefix)
{
	HelpdeskTracker *tracker = g_new0(HelpdeskTracker, 1);

	tracker->me = g_strdup(me);
	tracker->prefix = g_strdup(prefix);
	tracker->messages = g_hash_table_new(g_direct_hash, g_direct_equal);
	tracker->tickets = g_hash_table_new_full(g_int64_hash, g_int64_equal,
		NULL, (GDestroyNotify)ticket_free);
	tracker->claims = g_hash_table_new_full(g_int64_hash, g_int64_equal,
						g_free, NULL);
	return tracker;
}

void helpdesk_tracker_free(HelpdeskTracker *tracker)
{
	if (tracker == NULL)
		return;
	g_hash_table_unref(tracker->messages);
	g_hash_table_unref(tracker->tickets);
	g_hash_table_unref(tracker->claims);
	g_free(tracker->me);
	g_free(tracker->prefix);
	g_free(tracker);
}

void helpdesk_tracker_set_me(HelpdeskTracker *tracker, const gchar *me)
{
	g_free(tracker->me);
	tracker->me = g_strdup(me);
}

static void tracker_forget(HelpdeskTracker *tracker)
{
	g_hash_table_remove_all(tracker->messages);
	g_hash_table_remove_all(tracker->tickets);
	g_hash_table_remove_all(tracker->claims);
	tracker->modseq = 0;
	tracker->uidnext = 0;
	tracker->baseline = FALSE;
}

void helpdesk_tracker_set_uidvalidity(HelpdeskTracker *tracker,
				      guint32 uidvalidity)
{
	if (tracker->uidvalidity != uidvalidity)
		tracker_forget(tracker);
	tracker->uidvalidity = uidvalidity;
}

guint32 helpdesk_tracker_get_uidvalidity(HelpdeskTracker *tracker)
{
	return tracker->uidvalidity;
}

guint64 helpdesk_tracker_get_modseq(HelpdeskTracker *tracker)
{
	return tracker->modseq;
}

void helpdesk_tracker_set_modseq(HelpdeskTracker *tracker, guint64 modseq)
{
	if (modseq > tracker->modseq)
		tracker->modseq = modseq;
}

guint32 helpdesk_tracker_get_uidnext(HelpdeskTracker *tracker)
{
	return tracker->uidnext;
}

gboolean helpdesk_tracker_has_baseline(HelpdeskTracker *tracker)
{
	return tracker->baseline;
}

void helpdesk_tracker_set_baseline(HelpdeskTracker *tracker)
{
	tracker->baseline = TRUE;
}

gboolean helpdesk_tracker_knows_uid(HelpdeskTracker *tracker, guint32 uid)
{
	return g_hash_table_contains(tracker->messages, GUINT_TO_POINTER(uid));
}

guint32 helpdesk_tracker_ticket_uid(HelpdeskTracker *tracker,
				    guint64 ticket)
{
	Ticket *t = g_hash_table_lookup(tracker->tickets, &ticket);

	return t == NULL ? 0 : t->uid;
}

void helpdesk_tracker_expect_claim(HelpdeskTracker *tracker, guint64 ticket)
{
	g_hash_table_add(tracker->claims, g_memdup2(&ticket, sizeof(ticket)));
}

static gboolean owner_is(const gchar *owner, const gchar *who)
{
	return owner != NULL && who != NULL && g_ascii_strcasecmp(owner, who) == 0;
}

static void tracker_event(Ticket *ticket, HelpdeskEventKind kind,
			  GPtrArray *events)
{
	HelpdeskEvent *event = g_new0(HelpdeskEvent, 1);

	event->kind = kind;
	event->ticket = ticket->ticket;
	event->uid = ticket->uid;
	event->prio = ticket->flags.prio;
	event->vip = ticket->flags.vip;
	event->owner = g_strdup(ticket->flags.owner);
	event->subject = g_strdup(ticket->subject != NULL ?
				  ticket->subject : "");
	event->from = g_strdup(ticket->from != NULL ? ticket->from : "");
	g_ptr_array_add(events, event);
}

/* What changed between a ticket's old keywords and the new ones. */
static void tracker_changes(HelpdeskTracker *tracker, Ticket *ticket,
			    const HelpdeskTicketFlags *old,
			    GPtrArray *events)
{
	const HelpdeskTicketFlags *cur = &ticket->flags;
	gboolean mine = owner_is(cur->owner, tracker->me);
	gboolean claimed;

	if ((mine || owner_is(old->owner, tracker->me)) &&
	    (old->status != cur->status || !owner_is(old->owner, cur->owner)))
		tracker->activity = TRUE;

	if (!owner_is(old->owner, cur->owner) &&
	    !(old->owner == NULL && cur->owner == NULL)) {
		claimed = g_hash_table_remove(tracker->claims,
					      &ticket->ticket);
		if (claimed && cur->owner != NULL)
			tracker_event(ticket, HELPDESK_EVENT_CLAIMED, events);
		else if (mine)
			tracker_event(ticket, HELPDESK_EVENT_ASSIGNED, events);
		else if (old->owner == NULL && cur->owner != NULL)
			tracker_event(ticket, HELPDESK_EVENT_TAKEN, events);
	}
	if (!mine || cur->status == HELPDESK_STATUS_RESOLVED)
		return;
	if (cur->sla_breach && !old->sla_breach)
		tracker_event(ticket, HELPDESK_EVENT_SLA_BREACH, events);
	else if (cur->sla_warn && !old->sla_warn && !cur->sla_breach)
		tracker_event(ticket, HELPDESK_EVENT_SLA_WARN, events);
}

void helpdesk_tracker_message(HelpdeskTracker *tracker, guint32 uid,
			      const gchar *const *flags, gboolean has_header,
			      guint64 ticket_no, const gchar *subject,
			      const gchar *from, gboolean arrived,
			      GPtrArray *events)
{
	HelpdeskTicketFlags old;
	gpointer value;
	Ticket *ticket;
	gboolean known;

	known = g_hash_table_lookup_extended(tracker->messages,
					     GUINT_TO_POINTER(uid), NULL,
					     &value);
	if (known)
		ticket_no = (guint64)GPOINTER_TO_SIZE(value);
	else if (!has_header) {
		/* arrived, but not fetched yet: UIDNEXT stays below it so
		   that the fetch of new messages includes it */
		return;
	} else {
		g_hash_table_insert(tracker->messages, GUINT_TO_POINTER(uid),
				    GSIZE_TO_POINTER((gsize)ticket_no));
	}
	if (uid >= tracker->uidnext)
		tracker->uidnext = uid + 1;
	if (ticket_no == 0)
		return;
	if (!tracker->baseline)
		arrived = FALSE;

	ticket = g_hash_table_lookup(tracker->tickets, &ticket_no);
	if (ticket == NULL) {
		ticket = g_new0(Ticket, 1);
		ticket->ticket = ticket_no;
		ticket->uid = uid;
		ticket->subject = g_strdup(subject);
		ticket->from = g_strdup(from);
		helpdesk_ticket_flags_parse(flags, tracker->prefix,
					    &ticket->flags);
		g_hash_table_insert(tracker->tickets, &ticket->ticket, ticket);
		if (!arrived)
			return;
		if (ticket->flags.owner == NULL &&
		    ticket->flags.status != HELPDESK_STATUS_RESOLVED)
			tracker_event(ticket, HELPDESK_EVENT_NEW_TICKET, events);
		else if (owner_is(ticket->flags.owner, tracker->me))
			tracker_event(ticket, HELPDESK_EVENT_ASSIGNED, events);
		return;
	}
	if (uid > ticket->uid)
		ticket->uid = uid;
	if (ticket->subject == NULL && subject != NULL) {
		ticket->subject = g_strdup(subject);
		ticket->from = g_strdup(from);
	}
	old = ticket->flags;
	helpdesk_ticket_flags_parse(flags, tracker->prefix, &ticket->flags);
	if (arrived && ticket->flags.status == HELPDESK_STATUS_OPEN &&
	    owner_is(ticket->flags.owner, tracker->me) &&
	    owner_is(old.owner, tracker->me))
		tracker_event(ticket, HELPDESK_EVENT_CUSTOMER_REPLY, events);
	if (tracker->baseline)
		tracker_changes(tracker, ticket, &old, events);
	helpdesk_ticket_flags_clear(&old);
}

gboolean helpdesk_tracker_claim_refused(HelpdeskTracker *tracker,
					guint64 ticket_no, GPtrArray *events)
{
	Ticket *ticket = g_hash_table_lookup(tracker->tickets, &ticket_no);

	(void)g_hash_table_remove(tracker->claims, &ticket_no);
	if (ticket == NULL || ticket->flags.owner == NULL ||
	    owner_is(ticket->flags.owner, tracker->me))
		return FALSE;
	tracker_event(ticket, HELPDESK_EVENT_CLAIMED, events);
	return TRUE;
}

void helpdesk_tracker_claim_done(HelpdeskTracker *tracker, guint64 ticket)
{
	(void)g_hash_table_remove(tracker->claims, &ticket);
}

gboolean helpdesk_tracker_take_activity(HelpdeskTracker *tracker)
{
	gboolean activity = tracker->activity;

	tracker->activity = FALSE;
	return activity;
}

void helpdesk_tracker_expunge(HelpdeskTracker *tracker, guint32 uid)
{
	(void)g_hash_table_remove(tracker->messages, GUINT_TO_POINTER(uid));
}

/* ---------------------------------------------------------------- state */

static const gchar *const status_names[] = {
	"-", "new", "open", "waiting", "resolved"
};
static const gchar *const prio_names[] = {
	"normal", "low", "high", "urgent"
};

static gint name_index(const gchar *const *names, guint count,
		       const gchar *name)
{
	guint i;

	for (i = 0; i < count; i++) {
		if (strcmp(names[i], name) == 0)
			return (gint)i;
	}
	return -1;
}

gchar *helpdesk_tracker_save(HelpdeskTracker *tracker)
{
	GString *str = g_string_new(STATE_MAGIC "\n");
	GHashTableIter iter;
	gpointer key, value;

	g_string_append_printf(str, "q\t%u\t%" G_GUINT64_FORMAT "\t%u\t%d\n",
			       tracker->uidvalidity, tracker->modseq,
			       tracker->uidnext, tracker->baseline ? 1 : 0);
	g_hash_table_iter_init(&iter, tracker->messages);
	while (g_hash_table_iter_next(&iter, &key, &value)) {
		g_string_append_printf(str, "m\t%u\t%" G_GSIZE_FORMAT "\n",
				       GPOINTER_TO_UINT(key),
				       GPOINTER_TO_SIZE(value));
	}
	g_hash_table_iter_init(&iter, tracker->tickets);
	while (g_hash_table_iter_next(&iter, NULL, &value)) {
		const Ticket *t = value;
		g_autofree gchar *subject = g_strescape(
			t->subject != NULL ? t->subject : "", "");
		g_autofree gchar *from = g_strescape(
			t->from != NULL ? t->from : "", "");
		g_autofree gchar *owner = g_strescape(
			t->flags.owner != NULL ? t->flags.owner : "", "");

		g_string_append_printf(str,
			"t\t%" G_GUINT64_FORMAT "\t%u\t%s\t%s\t%s\t%d%d%d\t"
			"%s\t%s\n", t->ticket, t->uid,
			status_names[t->flags.status],
			prio_names[t->flags.prio], owner,
			t->flags.vip ? 1 : 0, t->flags.sla_warn ? 1 : 0,
			t->flags.sla_breach ? 1 : 0, subject, from);
	}
	return g_string_free(str, FALSE);
}

static gboolean tracker_load_ticket(HelpdeskTracker *tracker,
				    gchar **fields)
{
	Ticket *t;
	guint64 num, uid;
	gint status, prio;

	if (g_strv_length(fields) != 9 ||
	    !g_ascii_string_to_unsigned(fields[1], 10, 1, G_MAXUINT64, &num,
					NULL) ||
	    !g_ascii_string_to_unsigned(fields[2], 10, 0, G_MAXUINT32, &uid,
					NULL) ||
	    (status = name_index(status_names, G_N_ELEMENTS(status_names),
				 fields[3])) < 0 ||
	    (prio = name_index(prio_names, G_N_ELEMENTS(prio_names),
			       fields[4])) < 0 ||
	    strlen(fields[6]) != 3)
		return FALSE;
	t = g_new0(Ticket, 1);
	t->ticket = num;
	t->uid = (guint32)uid;
	t->flags.status = (HelpdeskTicketStatus)status;
	t->flags.prio = (HelpdeskTicketPrio)prio;
	t->flags.owner = *fields[5] == '\0' ? NULL : g_strcompress(fields[5]);
	t->flags.vip = fields[6][0] == '1';
	t->flags.sla_warn = fields[6][1] == '1';
	t->flags.sla_breach = fields[6][2] == '1';
	t->subject = g_strcompress(fields[7]);
	t->from = g_strcompress(fields[8]);
	g_hash_table_replace(tracker->tickets, &t->ticket, t);
	return TRUE;
}

gboolean helpdesk_tracker_load(HelpdeskTracker *tracker, const gchar *text)
{
	g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
	guint64 a, b, c, d;
	guint i;

	tracker_forget(tracker);
	if (lines[0] == NULL || strcmp(lines[0], STATE_MAGIC) != 0)
		return FALSE;
	for (i = 1; lines[i] != NULL; i++) {
		g_auto(GStrv) f = NULL;

		if (*lines[i] == '\0')
			continue;
		f = g_strsplit(lines[i], "\t", -1);
		if (strcmp(f[0], "q") == 0 && g_strv_length(f) == 5 &&
		    g_ascii_string_to_unsigned(f[1], 10, 0, G_MAXUINT32, &a,
					       NULL) &&
		    g_ascii_string_to_unsigned(f[2], 10, 0, G_MAXUINT64, &b,
					       NULL) &&
		    g_ascii_string_to_unsigned(f[3], 10, 0, G_MAXUINT32, &c,
					       NULL) &&
		    g_ascii_string_to_unsigned(f[4], 10, 0, 1, &d, NULL)) {
			tracker->uidvalidity = (guint32)a;
			tracker->modseq = b;
			tracker->uidnext = (guint32)c;
			tracker->baseline = d == 1;
		} else if (strcmp(f[0], "m") == 0 && g_strv_length(f) == 3 &&
			   g_ascii_string_to_unsigned(f[1], 10, 1, G_MAXUINT32,
						      &a, NULL) &&
			   g_ascii_string_to_unsigned(f[2], 10, 0,
						      G_MAXSIZE, &b, NULL)) {
			g_hash_table_insert(tracker->messages,
					    GUINT_TO_POINTER((guint)a),
					    GSIZE_TO_POINTER((gsize)b));
		} else if (strcmp(f[0], "t") != 0 ||
			   !tracker_load_ticket(tracker, f)) {
			tracker_forget(tracker);
			tracker->uidvalidity = 0;
			return FALSE;
		}
	}
	return TRUE;
}
