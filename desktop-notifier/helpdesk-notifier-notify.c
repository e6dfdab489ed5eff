/* helpdesk-notifier's notifications through libnotify. */

#include "helpdesk-notifier-notify.h"

#include <libnotify/notify.h>
#include <string.h>

/* new tickets within this window are grouped (well inside the promised
   second from delivery to popup) */
#define GROUP_WINDOW_MSECS 300
/* a grouped notification lists this many tickets */
#define GROUP_LIST_MAX 5
#define CATEGORY_TICKET "email.arrived"
#define CATEGORY_GAME "x-helpdesk.game"
#define CATEGORY_PROBLEM "network.error"

typedef struct {
	HelpdeskNotify *notify;
	gchar *queue;
	guint64 ticket;
	guint32 uid;
} ActionData;

struct _HelpdeskNotify {
	gchar *open_command;
	guint burst_limit;
	gboolean actions, markup;
	HelpdeskNotifyActionFunc *action;
	gpointer user_data;
	/* "queue\nticket" or a game key -> NotifyNotification */
	GHashTable *shown;
	/* new-ticket events waiting to be grouped, and their queues */
	GPtrArray *waiting;
	GPtrArray *waiting_queues;
	guint group_timeout;
	guint count;
	GHashTable *problems;
};

static void action_data_free(gpointer data)
{
	ActionData *ad = data;

	g_free(ad->queue);
	g_free(ad);
}

static void notify_closed(NotifyNotification *n, gpointer data)
{
	HelpdeskNotify *notify = data;
	const gchar *key = g_object_get_data(G_OBJECT(n), "helpdesk-key");

	if (key != NULL &&
	    g_hash_table_lookup(notify->shown, key) == n)
		g_hash_table_remove(notify->shown, key);
}

HelpdeskNotify *helpdesk_notify_new(const HelpdeskNotifierConfig *config,
				    HelpdeskNotifyActionFunc *action,
				    gpointer user_data)
{
	HelpdeskNotify *notify = g_new0(HelpdeskNotify, 1);
	GList *caps, *l;

	notify->open_command = g_strdup(config->open_command);
	notify->burst_limit = config->burst;
	notify->action = action;
	notify->user_data = user_data;
	notify->shown = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
					      g_object_unref);
	notify->waiting = g_ptr_array_new_with_free_func(
		(GDestroyNotify)helpdesk_event_free);
	notify->waiting_queues = g_ptr_array_new_with_free_func(g_free);
	notify->problems = g_hash_table_new_full(g_str_hash, g_str_equal,
						 g_free, NULL);
	/* ask before relying on buttons or markup (a daemon may have
	   neither) */
	caps = notify_get_server_caps();
	for (l = caps; l != NULL; l = l->next) {
		if (strcmp(l->data, "actions") == 0)
			notify->actions = TRUE;
		else if (strcmp(l->data, "body-markup") == 0)
			notify->markup = TRUE;
	}
	g_list_free_full(caps, g_free);
	return notify;
}

void helpdesk_notify_free(HelpdeskNotify *notify)
{
	if (notify == NULL)
		return;
	if (notify->group_timeout != 0)
		g_source_remove(notify->group_timeout);
	g_hash_table_unref(notify->shown);
	g_ptr_array_unref(notify->waiting);
	g_ptr_array_unref(notify->waiting_queues);
	g_hash_table_unref(notify->problems);
	g_free(notify->open_command);
	g_free(notify);
}

guint helpdesk_notify_count(HelpdeskNotify *notify)
{
	return notify->count;
}

/* Body text as the daemon wants it: escaped when it reads markup. */
static gchar *notify_body(HelpdeskNotify *notify, const gchar *text)
{
	if (!g_utf8_validate(text, -1, NULL))
		return g_utf8_make_valid(text, -1);
	return notify->markup ? g_markup_escape_text(text, -1) :
		g_strdup(text);
}

static void notify_action(NotifyNotification *n G_GNUC_UNUSED,
			  char *action, gpointer data)
{
	ActionData *ad = data;

	ad->notify->action(ad->queue, ad->ticket, ad->uid, action,
			   ad->notify->user_data);
}

static NotifyNotification *notify_get(HelpdeskNotify *notify,
				      const gchar *key)
{
	NotifyNotification *n = g_hash_table_lookup(notify->shown, key);

	if (n != NULL)
		return n;
	n = notify_notification_new("", NULL, NULL);
	notify_notification_set_app_name(n, "helpdesk-notifier");
	g_object_set_data_full(G_OBJECT(n), "helpdesk-key", g_strdup(key),
			       g_free);
	g_signal_connect(n, "closed", G_CALLBACK(notify_closed), notify);
	g_hash_table_insert(notify->shown, g_strdup(key), n);
	return n;
}

static void notify_show(HelpdeskNotify *notify, NotifyNotification *n,
			const gchar *summary, const gchar *body,
			NotifyUrgency urgency, const gchar *category)
{
	g_autofree gchar *text = notify_body(notify, body);
	g_autofree gchar *title = g_utf8_make_valid(summary, -1);
	g_autoptr(GError) error = NULL;

	notify_notification_update(n, title, text, "mail-unread");
	notify_notification_set_urgency(n, urgency);
	notify_notification_set_category(n, category);
	notify_notification_set_hint(n, "desktop-entry",
				     g_variant_new_string("helpdesk-notifier"));
	if (!notify_notification_show(n, &error)) {
		g_warning("cannot show a notification: %s", error->message);
		return;
	}
	notify->count++;
}

static void notify_button(HelpdeskNotify *notify, NotifyNotification *n,
			  const gchar *queue, const HelpdeskEvent *event,
			  const gchar *action, const gchar *label)
{
	ActionData *ad = g_new0(ActionData, 1);

	ad->notify = notify;
	ad->queue = g_strdup(queue);
	ad->ticket = event->ticket;
	ad->uid = event->uid;
	notify_notification_add_action(n, action, label, notify_action, ad,
				       action_data_free);
}

static void notify_buttons(HelpdeskNotify *notify, NotifyNotification *n,
			   const gchar *queue, const HelpdeskEvent *event,
			   gboolean claim)
{
	notify_notification_clear_actions(n);
	if (!notify->actions)
		return;
	if (claim)
		notify_button(notify, n, queue, event, "claim", "Claim");
	if (notify->open_command != NULL)
		notify_button(notify, n, queue, event, "open", "Open");
}

static NotifyUrgency event_urgency(const HelpdeskEvent *event)
{
	if (event->vip || event->prio == HELPDESK_PRIO_URGENT)
		return NOTIFY_URGENCY_CRITICAL;
	if (event->prio == HELPDESK_PRIO_LOW)
		return NOTIFY_URGENCY_LOW;
	return NOTIFY_URGENCY_NORMAL;
}

static gchar *event_key(const gchar *queue, guint64 ticket)
{
	return g_strdup_printf("%s\n%" G_GUINT64_FORMAT, queue, ticket);
}

/* The subject without the plugin's tag "[#N] " (the summary names the
   ticket; helpdesk-notifier-queue.c cut it to what a popup shows). */
static gchar *event_subject(const HelpdeskEvent *event)
{
	g_autofree gchar *tag = g_strdup_printf("[#%" G_GUINT64_FORMAT "]",
						event->ticket);
	const gchar *subject = event->subject;

	if (g_str_has_prefix(subject, tag)) {
		subject += strlen(tag);
		while (*subject == ' ')
			subject++;
	}
	if (*subject == '\0')
		return g_strdup("(no subject)");
	return g_strdup(subject);
}

static void notify_ticket(HelpdeskNotify *notify, const gchar *queue,
			  const HelpdeskEvent *event)
{
	g_autofree gchar *key = event_key(queue, event->ticket);
	g_autofree gchar *subject = event_subject(event);
	g_autofree gchar *summary = NULL;
	g_autofree gchar *body = NULL;
	NotifyUrgency urgency = event_urgency(event);
	NotifyNotification *n;
	gboolean claim = FALSE;
	const gchar *tag = event->vip ? " (VIP)" :
		event->prio == HELPDESK_PRIO_URGENT ? " (urgent)" :
		event->prio == HELPDESK_PRIO_HIGH ? " (high)" : "";

	switch (event->kind) {
	case HELPDESK_EVENT_NEW_TICKET:
		summary = g_strdup_printf("New ticket #%" G_GUINT64_FORMAT
					  "%s", event->ticket, tag);
		body = *event->from != '\0' ?
			g_strdup_printf("%s\nfrom %s", subject, event->from) :
			g_strdup(subject);
		claim = TRUE;
		break;
	case HELPDESK_EVENT_ASSIGNED:
		summary = g_strdup_printf("Ticket #%" G_GUINT64_FORMAT
					  " assigned to you%s",
					  event->ticket, tag);
		body = g_strdup(subject);
		break;
	case HELPDESK_EVENT_CUSTOMER_REPLY:
		summary = g_strdup_printf("Customer replied on #%"
					  G_GUINT64_FORMAT "%s",
					  event->ticket, tag);
		body = g_strdup(subject);
		break;
	case HELPDESK_EVENT_SLA_WARN:
		summary = g_strdup_printf("SLA warning on #%" G_GUINT64_FORMAT,
					  event->ticket);
		body = g_strdup_printf("%s\nThe deadline is near.", subject);
		if (urgency == NOTIFY_URGENCY_LOW)
			urgency = NOTIFY_URGENCY_NORMAL;
		break;
	case HELPDESK_EVENT_SLA_BREACH:
		summary = g_strdup_printf("SLA breached on #%" G_GUINT64_FORMAT,
					  event->ticket);
		body = g_strdup_printf("%s\nThe deadline has passed.",
				       subject);
		urgency = NOTIFY_URGENCY_CRITICAL;
		break;
	case HELPDESK_EVENT_TAKEN:
		/* only news for a "new ticket" notification still shown */
		if (!g_hash_table_contains(notify->shown, key))
			return;
		summary = g_strdup_printf("Ticket #%" G_GUINT64_FORMAT
					  " taken by %s", event->ticket,
					  event->owner);
		body = g_strdup(subject);
		urgency = NOTIFY_URGENCY_LOW;
		break;
	case HELPDESK_EVENT_CLAIMED:
		summary = g_strdup_printf("Ticket #%" G_GUINT64_FORMAT
					  " is yours", event->ticket);
		body = g_strdup(subject);
		urgency = NOTIFY_URGENCY_LOW;
		break;
	}
	n = notify_get(notify, key);
	notify_buttons(notify, n, queue, event, claim);
	notify_show(notify, n, summary, body, urgency, CATEGORY_TICKET);
}

/* A claim that another agent won: the CLAIMED event says who. */
static void notify_claim_lost(HelpdeskNotify *notify, const gchar *queue,
			      const HelpdeskEvent *event)
{
	g_autofree gchar *key = event_key(queue, event->ticket);
	g_autofree gchar *subject = event_subject(event);
	g_autofree gchar *summary = g_strdup_printf(
		"%s was faster: ticket #%" G_GUINT64_FORMAT, event->owner,
		event->ticket);
	NotifyNotification *n = notify_get(notify, key);

	notify_buttons(notify, n, queue, event, FALSE);
	notify_show(notify, n, summary, subject, NOTIFY_URGENCY_LOW,
		    CATEGORY_TICKET);
}

static void notify_group_show(HelpdeskNotify *notify)
{
	guint i, count = notify->waiting->len;

	if (count == 0)
		return;
	if (count <= notify->burst_limit) {
		for (i = 0; i < count; i++) {
			notify_ticket(notify,
				      g_ptr_array_index(notify->waiting_queues,
							i),
				      g_ptr_array_index(notify->waiting, i));
		}
	} else {
		GString *body = g_string_new(NULL);
		NotifyUrgency urgency = NOTIFY_URGENCY_LOW;
		g_autofree gchar *summary = g_strdup_printf("%u new tickets",
							    count);
		NotifyNotification *n = notify_get(notify, "group");

		for (i = 0; i < count; i++) {
			const HelpdeskEvent *event =
				g_ptr_array_index(notify->waiting, i);
			g_autofree gchar *subject = event_subject(event);
			NotifyUrgency u = event_urgency(event);

			if (u > urgency)
				urgency = u;
			if (i < GROUP_LIST_MAX) {
				g_string_append_printf(body, "%s#%"
					G_GUINT64_FORMAT " %s",
					i == 0 ? "" : "\n", event->ticket,
					subject);
			}
		}
		if (count > GROUP_LIST_MAX) {
			g_string_append_printf(body, "\nand %u more",
					       count - GROUP_LIST_MAX);
		}
		notify_notification_clear_actions(n);
		notify_show(notify, n, summary, body->str, urgency,
			    CATEGORY_TICKET);
		g_string_free(body, TRUE);
	}
	g_ptr_array_set_size(notify->waiting, 0);
	g_ptr_array_set_size(notify->waiting_queues, 0);
}

static gboolean notify_group_timeout(gpointer data)
{
	HelpdeskNotify *notify = data;

	notify->group_timeout = 0;
	notify_group_show(notify);
	return G_SOURCE_REMOVE;
}

void helpdesk_notify_flush(HelpdeskNotify *notify)
{
	if (notify->group_timeout != 0) {
		g_source_remove(notify->group_timeout);
		notify->group_timeout = 0;
	}
	notify_group_show(notify);
}

static HelpdeskEvent *event_copy(const HelpdeskEvent *event)
{
	HelpdeskEvent *copy = g_new0(HelpdeskEvent, 1);

	*copy = *event;
	copy->owner = g_strdup(event->owner);
	copy->subject = g_strdup(event->subject);
	copy->from = g_strdup(event->from);
	return copy;
}

void helpdesk_notify_event(HelpdeskNotify *notify, const gchar *queue,
			   const HelpdeskEvent *event, const gchar *me)
{
	if (event->kind == HELPDESK_EVENT_NEW_TICKET) {
		g_ptr_array_add(notify->waiting, event_copy(event));
		g_ptr_array_add(notify->waiting_queues, g_strdup(queue));
		if (notify->group_timeout == 0) {
			notify->group_timeout = g_timeout_add(
				GROUP_WINDOW_MSECS, notify_group_timeout,
				notify);
		}
		return;
	}
	/* anything else about tickets waiting to be shown goes after them */
	if (notify->waiting->len > 0)
		helpdesk_notify_flush(notify);
	if (event->kind == HELPDESK_EVENT_CLAIMED &&
	    g_ascii_strcasecmp(event->owner, me) != 0)
		notify_claim_lost(notify, queue, event);
	else
		notify_ticket(notify, queue, event);
}

void helpdesk_notify_claim_failed(HelpdeskNotify *notify, const gchar *queue,
				  guint64 ticket, const gchar *why)
{
	g_autofree gchar *key = event_key(queue, ticket);
	g_autofree gchar *summary = g_strdup_printf(
		"Could not claim ticket #%" G_GUINT64_FORMAT, ticket);
	NotifyNotification *n = notify_get(notify, key);

	notify_notification_clear_actions(n);
	notify_show(notify, n, summary, why, NOTIFY_URGENCY_NORMAL,
		    CATEGORY_TICKET);
}

void helpdesk_notify_game(HelpdeskNotify *notify, const gchar *key,
			  const gchar *summary, const gchar *body)
{
	g_autofree gchar *full_key = g_strconcat("game\n", key, NULL);
	NotifyNotification *n = notify_get(notify, full_key);

	notify_notification_clear_actions(n);
	notify_show(notify, n, summary, body, NOTIFY_URGENCY_NORMAL,
		    CATEGORY_GAME);
}

void helpdesk_notify_problem(HelpdeskNotify *notify, const gchar *text)
{
	NotifyNotification *n;

	if (!g_hash_table_add(notify->problems, g_strdup(text)))
		return;
	n = notify_get(notify, "problem");
	notify_notification_clear_actions(n);
	notify_show(notify, n, "Helpdesk notifier", text,
		    NOTIFY_URGENCY_NORMAL, CATEGORY_PROBLEM);
}
