/* One watched queue: select and resync (CONDSTORE/QRESYNC, RFC 7162),
   fetch new messages' ticket headers, IDLE, claim. */

#include "helpdesk-notifier-queue.h"
#include "helpdesk-mail-header.h"

#include <string.h>

/* without IDLE the server is asked this often (NOOP) */
#define POLL_SECS 60
#define FETCH_HEADERS "BODY.PEEK[HEADER.FIELDS (X-Helpdesk-Ticket Subject From)]"
/* what a popup shows of a subject */
#define SUBJECT_MAX_CHARS 120

struct _HelpdeskQueue {
	HelpdeskNotifierConfig *config;
	gchar *mailbox;
	gchar *mailbox_quoted;
	HelpdeskTracker *tracker;
	HelpdeskQueueCallbacks callbacks;
	gpointer user_data;

	HelpdeskImapClient *client;
	gboolean idle;
	gboolean selected;
	gboolean qresync;
	/* what SELECT said */
	guint32 uidvalidity, uidnext;
	guint64 highestmodseq;
	/* a fetch of new messages is queued */
	gboolean fetch_queued;
	/* polling a server without IDLE */
	guint poll_id;
	/* events found while handling responses, given out after */
	GPtrArray *events;
};

typedef struct {
	HelpdeskQueue *queue;
	guint64 ticket;
	void (*failed)(HelpdeskQueue *queue, guint64 ticket, const gchar *why,
		       gpointer user_data);
} ClaimData;

static gboolean queue_poll(gpointer data)
{
	HelpdeskQueue *queue = data;

	if (queue->client != NULL && queue->selected)
		helpdesk_imap_client_command(queue->client, "NOOP", NULL, NULL);
	return G_SOURCE_CONTINUE;
}

static void queue_poll_stop(HelpdeskQueue *queue)
{
	if (queue->poll_id != 0) {
		g_source_remove(queue->poll_id);
		queue->poll_id = 0;
	}
}

static void queue_flush_events(HelpdeskQueue *queue)
{
	g_autoptr(GPtrArray) events = NULL;

	if (helpdesk_tracker_take_activity(queue->tracker) &&
	    queue->callbacks.activity != NULL)
		queue->callbacks.activity(queue, queue->user_data);
	if (queue->events->len == 0)
		return;
	events = queue->events;
	queue->events = g_ptr_array_new_with_free_func(
		(GDestroyNotify)helpdesk_event_free);
	queue->callbacks.events(queue, events, queue->user_data);
}

static void queue_fetch(HelpdeskQueue *queue,
			const HelpdeskImapResponse *resp)
{
	g_autoptr(GError) error = NULL;
	HelpdeskImapFetch fetch;
	g_autofree gchar *subject = NULL, *from = NULL, *sender = NULL;
	g_autofree gchar *ticket_str = NULL;
	guint64 ticket = 0;
	gboolean arrived;
	gchar cmd[64];

	if (!helpdesk_imap_fetch_parse(resp, &fetch, &error)) {
		g_warning("%s: %s", queue->mailbox, error->message);
		return;
	}
	if (fetch.uid == 0) {
		/* no UID (a server without CONDSTORE): ask for it */
		g_snprintf(cmd, sizeof(cmd), "FETCH %u (UID FLAGS)",
			   fetch.seq);
		helpdesk_imap_client_command(queue->client, cmd, NULL, NULL);
		helpdesk_imap_fetch_clear(&fetch);
		return;
	}
	if (fetch.modseq != 0)
		helpdesk_tracker_set_modseq(queue->tracker, fetch.modseq);
	if (!fetch.has_flags) {
		helpdesk_imap_fetch_clear(&fetch);
		return;
	}
	if (fetch.body != NULL) {
		ticket_str = helpdesk_mail_header_get(fetch.body,
						      fetch.body_len,
						      "X-Helpdesk-Ticket");
		if (ticket_str == NULL ||
		    !g_ascii_string_to_unsigned(ticket_str, 10, 1,
						G_MAXUINT64, &ticket, NULL))
			ticket = 0;
		subject = helpdesk_mail_header_get(fetch.body, fetch.body_len,
						   "Subject");
		from = helpdesk_mail_header_get(fetch.body, fetch.body_len,
						"From");
		if (from != NULL)
			sender = helpdesk_mail_header_sender(from);
		if (subject != NULL) {
			gchar *cut = helpdesk_mail_header_ellipsize(
				subject, SUBJECT_MAX_CHARS);

			g_free(subject);
			subject = cut;
		}
	}
	/* a message first seen with its header after the baseline */
	arrived = fetch.body != NULL &&
		!helpdesk_tracker_knows_uid(queue->tracker, fetch.uid);
	helpdesk_tracker_message(queue->tracker, fetch.uid,
				 (const gchar *const *)fetch.flags,
				 fetch.body != NULL, ticket,
				 subject != NULL ? subject : "",
				 sender != NULL ? sender : "", arrived,
				 queue->events);
	helpdesk_imap_fetch_clear(&fetch);
}

static void queue_fetch_new_done(HelpdeskImapClient *client G_GNUC_UNUSED,
				 const HelpdeskImapResponse *tagged,
				 const GError *error G_GNUC_UNUSED,
				 gpointer data)
{
	HelpdeskQueue *queue = data;

	if (tagged == NULL)
		return;
	queue->fetch_queued = FALSE;
	queue_flush_events(queue);
}

/* Fetch the messages above the highest UID known, with their header. */
static void queue_fetch_new(HelpdeskQueue *queue)
{
	g_autofree gchar *cmd = NULL;
	guint32 next = helpdesk_tracker_get_uidnext(queue->tracker);

	if (queue->fetch_queued)
		return;
	queue->fetch_queued = TRUE;
	cmd = g_strdup_printf("UID FETCH %u:* (UID FLAGS%s " FETCH_HEADERS
			      ")", MAX(next, 1),
			      queue->qresync ? " MODSEQ" : "");
	helpdesk_imap_client_command(queue->client, cmd,
				     queue_fetch_new_done, queue);
}

static void queue_untagged(HelpdeskImapClient *client G_GNUC_UNUSED,
			   const HelpdeskImapResponse *resp, gpointer data)
{
	HelpdeskQueue *queue = data;
	guint64 num;

	if (resp->code != NULL && resp->code_args->len > 0 &&
	    helpdesk_imap_arg_number(g_ptr_array_index(resp->code_args, 0),
				     &num)) {
		if (strcmp(resp->code, "UIDVALIDITY") == 0)
			queue->uidvalidity = (guint32)num;
		else if (strcmp(resp->code, "UIDNEXT") == 0)
			queue->uidnext = (guint32)num;
		else if (strcmp(resp->code, "HIGHESTMODSEQ") == 0)
			queue->highestmodseq = num;
	}
	if (strcmp(resp->name, "FETCH") == 0) {
		queue_fetch(queue, resp);
	} else if (strcmp(resp->name, "VANISHED") == 0) {
		g_autoptr(GArray) ranges = g_array_new(FALSE, FALSE,
			sizeof(HelpdeskImapRange));
		gboolean earlier;
		guint i;
		guint32 uid;

		if (helpdesk_imap_vanished_parse(resp, &earlier, ranges,
						 NULL)) {
			for (i = 0; i < ranges->len; i++) {
				HelpdeskImapRange *r = &g_array_index(ranges,
					HelpdeskImapRange, i);

				for (uid = r->lo; uid <= r->hi && uid != 0;
				     uid++) {
					helpdesk_tracker_expunge(queue->tracker,
								 uid);
					if (uid == G_MAXUINT32)
						break;
				}
			}
		}
	} else if (strcmp(resp->name, "EXISTS") == 0) {
		if (queue->selected)
			queue_fetch_new(queue);
	} else if (queue->callbacks.untagged != NULL) {
		queue->callbacks.untagged(queue, resp, queue->user_data);
	}
	if (queue->selected && !queue->fetch_queued)
		queue_flush_events(queue);
}

static void queue_closed(HelpdeskImapClient *client G_GNUC_UNUSED,
			 const GError *error, gpointer data)
{
	HelpdeskQueue *queue = data;

	queue->selected = FALSE;
	queue->fetch_queued = FALSE;
	queue_poll_stop(queue);
	queue->callbacks.state(queue, HELPDESK_QUEUE_CLOSED, error,
			       queue->user_data);
}

static void queue_fail(HelpdeskQueue *queue, const gchar *fmt, ...)
	G_GNUC_PRINTF(2, 3);

static void queue_fail(HelpdeskQueue *queue, const gchar *fmt, ...)
{
	g_autoptr(GError) error = NULL;
	va_list args;
	gchar *msg;

	va_start(args, fmt);
	msg = g_strdup_vprintf(fmt, args);
	va_end(args);
	error = g_error_new_literal(HELPDESK_IMAP_CLIENT_ERROR,
				    HELPDESK_IMAP_CLIENT_ERROR_PROTOCOL, msg);
	g_free(msg);
	helpdesk_imap_client_close(queue->client);
	queue->selected = FALSE;
	queue_poll_stop(queue);
	queue->callbacks.state(queue, HELPDESK_QUEUE_CLOSED, error,
			       queue->user_data);
}

static void queue_synced(HelpdeskImapClient *client G_GNUC_UNUSED,
			 const HelpdeskImapResponse *tagged,
			 const GError *error G_GNUC_UNUSED, gpointer data)
{
	HelpdeskQueue *queue = data;

	if (tagged == NULL)
		return;
	queue->fetch_queued = FALSE;
	if (strcmp(tagged->name, "OK") != 0) {
		g_autofree gchar *text =
			helpdesk_imap_response_describe(tagged);

		queue_fail(queue, "%s: fetching failed: %s", queue->mailbox,
			   text);
		return;
	}
	helpdesk_tracker_set_baseline(queue->tracker);
	helpdesk_tracker_set_modseq(queue->tracker, queue->highestmodseq);
	queue->selected = TRUE;
	queue_flush_events(queue);
	queue->callbacks.state(queue, HELPDESK_QUEUE_SYNCED, NULL,
			       queue->user_data);
	if (!queue->idle)
		return;
	if (helpdesk_imap_client_has_capability(queue->client, "IDLE"))
		helpdesk_imap_client_set_idle(queue->client, TRUE);
	else if (queue->poll_id == 0)
		queue->poll_id = g_timeout_add_seconds(POLL_SECS, queue_poll,
						       queue);
}

static void queue_selected(HelpdeskImapClient *client G_GNUC_UNUSED,
			   const HelpdeskImapResponse *tagged,
			   const GError *error G_GNUC_UNUSED, gpointer data)
{
	HelpdeskQueue *queue = data;
	g_autofree gchar *cmd = NULL;
	guint32 next;

	if (tagged == NULL)
		return;
	if (strcmp(tagged->name, "OK") != 0) {
		g_autofree gchar *text =
			helpdesk_imap_response_describe(tagged);

		queue_fail(queue, "cannot watch %s: %s", queue->mailbox, text);
		return;
	}
	if (queue->uidvalidity !=
	    helpdesk_tracker_get_uidvalidity(queue->tracker)) {
		/* a new mailbox, or never seen: a silent baseline */
		helpdesk_tracker_set_uidvalidity(queue->tracker,
						 queue->uidvalidity);
	}
	next = helpdesk_tracker_get_uidnext(queue->tracker);
	if (!helpdesk_tracker_has_baseline(queue->tracker)) {
		cmd = g_strdup_printf("UID FETCH 1:* (UID FLAGS " FETCH_HEADERS
				      ")");
	} else if (queue->qresync) {
		/* the changes came with SELECT: only what arrived */
		cmd = g_strdup_printf("UID FETCH %u:* (UID FLAGS MODSEQ "
				      FETCH_HEADERS ")", MAX(next, 1));
	} else {
		/* no QRESYNC: every message's flags, then what arrived */
		if (next > 1) {
			cmd = g_strdup_printf("UID FETCH 1:%u (UID FLAGS)",
					      next - 1);
			helpdesk_imap_client_command(queue->client, cmd, NULL,
						     NULL);
			g_free(cmd);
		}
		cmd = g_strdup_printf("UID FETCH %u:* (UID FLAGS "
				      FETCH_HEADERS ")", MAX(next, 1));
	}
	queue->fetch_queued = TRUE;
	helpdesk_imap_client_command(queue->client, cmd, queue_synced, queue);
}

static void queue_select(HelpdeskQueue *queue)
{
	g_autofree gchar *cmd = NULL;
	HelpdeskTracker *tracker = queue->tracker;

	queue->uidvalidity = 0;
	queue->uidnext = 0;
	queue->highestmodseq = 0;
	if (queue->qresync && helpdesk_tracker_has_baseline(tracker) &&
	    helpdesk_tracker_get_modseq(tracker) != 0) {
		cmd = g_strdup_printf("SELECT %s (QRESYNC (%u %"
				      G_GUINT64_FORMAT "))",
				      queue->mailbox_quoted,
				      helpdesk_tracker_get_uidvalidity(tracker),
				      helpdesk_tracker_get_modseq(tracker));
	} else if (helpdesk_imap_client_has_capability(queue->client,
						       "CONDSTORE")) {
		cmd = g_strdup_printf("SELECT %s (CONDSTORE)",
				      queue->mailbox_quoted);
	} else {
		cmd = g_strdup_printf("SELECT %s", queue->mailbox_quoted);
	}
	helpdesk_imap_client_command(queue->client, cmd, queue_selected,
				     queue);
}

static void queue_enabled(HelpdeskImapClient *client G_GNUC_UNUSED,
			  const HelpdeskImapResponse *tagged,
			  const GError *error G_GNUC_UNUSED, gpointer data)
{
	HelpdeskQueue *queue = data;

	if (tagged == NULL)
		return;
	queue->qresync = strcmp(tagged->name, "OK") == 0;
	queue_select(queue);
}

static void queue_logged_in(HelpdeskImapClient *client,
			    const HelpdeskImapResponse *tagged,
			    const GError *error, gpointer data)
{
	HelpdeskQueue *queue = data;

	if (tagged == NULL) {
		queue->callbacks.state(queue, HELPDESK_QUEUE_CLOSED, error,
				       queue->user_data);
		return;
	}
	if (helpdesk_imap_client_has_capability(client, "QRESYNC") &&
	    helpdesk_imap_client_has_capability(client, "ENABLE")) {
		helpdesk_imap_client_command(client, "ENABLE QRESYNC",
					     queue_enabled, queue);
	} else {
		queue->qresync = FALSE;
		queue_select(queue);
	}
}

HelpdeskQueue *helpdesk_queue_new(const HelpdeskNotifierConfig *config,
				  const gchar *mailbox,
				  HelpdeskTracker *tracker,
				  const HelpdeskQueueCallbacks *callbacks,
				  gpointer user_data)
{
	HelpdeskQueue *queue = g_new0(HelpdeskQueue, 1);

	queue->config = (HelpdeskNotifierConfig *)config;
	queue->mailbox = g_strdup(mailbox);
	queue->mailbox_quoted = helpdesk_imap_mailbox_arg(mailbox);
	queue->tracker = tracker;
	queue->callbacks = *callbacks;
	queue->user_data = user_data;
	queue->events = g_ptr_array_new_with_free_func(
		(GDestroyNotify)helpdesk_event_free);
	return queue;
}

void helpdesk_queue_free(HelpdeskQueue *queue)
{
	if (queue == NULL)
		return;
	queue_poll_stop(queue);
	helpdesk_imap_client_free(queue->client);
	g_ptr_array_unref(queue->events);
	g_free(queue->mailbox);
	g_free(queue->mailbox_quoted);
	g_free(queue);
}

void helpdesk_queue_start(HelpdeskQueue *queue, const gchar *password,
			  gboolean idle)
{
	queue_poll_stop(queue);
	helpdesk_imap_client_free(queue->client);
	queue->selected = FALSE;
	queue->fetch_queued = FALSE;
	queue->idle = idle;
	queue->client = helpdesk_imap_client_new(queue->config, queue_untagged,
						 queue_closed, queue);
	helpdesk_imap_client_connect(queue->client, password, queue_logged_in,
				     queue);
}

static void queue_logout_done(HelpdeskImapClient *client,
			      const HelpdeskImapResponse *tagged G_GNUC_UNUSED,
			      const GError *error G_GNUC_UNUSED,
			      gpointer data G_GNUC_UNUSED)
{
	helpdesk_imap_client_close(client);
}

void helpdesk_queue_stop(HelpdeskQueue *queue)
{
	queue_poll_stop(queue);
	if (queue->client == NULL ||
	    !helpdesk_imap_client_is_ready(queue->client))
		return;
	helpdesk_imap_client_set_idle(queue->client, FALSE);
	helpdesk_imap_client_command(queue->client, "LOGOUT",
				     queue_logout_done, queue);
}

gboolean helpdesk_queue_is_connected(HelpdeskQueue *queue)
{
	return queue->client != NULL && queue->selected &&
		helpdesk_imap_client_is_ready(queue->client);
}

const gchar *helpdesk_queue_mailbox(HelpdeskQueue *queue)
{
	return queue->mailbox;
}

HelpdeskImapClient *helpdesk_queue_client(HelpdeskQueue *queue)
{
	if (queue->client == NULL ||
	    !helpdesk_imap_client_is_ready(queue->client))
		return NULL;
	return queue->client;
}

static void queue_claim_done(HelpdeskImapClient *client G_GNUC_UNUSED,
			     const HelpdeskImapResponse *tagged,
			     const GError *error, gpointer data)
{
	ClaimData *cd = data;
	HelpdeskQueue *queue = cd->queue;

	if (tagged == NULL) {
		helpdesk_tracker_claim_done(queue->tracker, cd->ticket);
		cd->failed(queue, cd->ticket, error->message,
			   queue->user_data);
	} else if (strcmp(tagged->name, "OK") != 0) {
		g_autofree gchar *text =
			helpdesk_imap_response_describe(tagged);

		/* refused because someone was faster: say who */
		if (helpdesk_tracker_claim_refused(queue->tracker, cd->ticket,
						   queue->events))
			queue_flush_events(queue);
		else
			cd->failed(queue, cd->ticket, text, queue->user_data);
	} else {
		/* the owner came with the STORE's FETCH (or didn't change:
		   it was already ours) */
		helpdesk_tracker_claim_done(queue->tracker, cd->ticket);
		queue_flush_events(queue);
		if (queue->callbacks.activity != NULL)
			queue->callbacks.activity(queue, queue->user_data);
	}
	g_free(cd);
}

void helpdesk_queue_claim(HelpdeskQueue *queue, guint64 ticket,
			  guint32 uid,
			  void (*failed)(HelpdeskQueue *queue, guint64 ticket,
					 const gchar *why, gpointer user_data))
{
	ClaimData *cd = g_new0(ClaimData, 1);
	g_autofree gchar *cmd = NULL;
	guint32 newest = helpdesk_tracker_ticket_uid(queue->tracker, ticket);

	cd->queue = queue;
	cd->ticket = ticket;
	cd->failed = failed;
	if (queue->client == NULL) {
		failed(queue, ticket, "not connected", queue->user_data);
		g_free(cd);
		return;
	}
	helpdesk_tracker_expect_claim(queue->tracker, ticket);
	cmd = g_strdup_printf("UID STORE %u +FLAGS (%sclaim)",
			      newest != 0 ? newest : uid,
			      queue->config->keyword_prefix);
	helpdesk_imap_client_command(queue->client, cmd, queue_claim_done,
				     cd);
}

gchar *helpdesk_queue_message_url(HelpdeskQueue *queue, guint32 uid)
{
	g_autofree gchar *utf7 = helpdesk_imap_utf7_encode(queue->mailbox);
	g_autofree gchar *user = g_uri_escape_string(queue->config->user,
						     NULL, FALSE);
	g_autofree gchar *box = g_uri_escape_string(utf7 != NULL ? utf7 :
						    queue->mailbox, "/",
						    FALSE);
	g_autofree gchar *host = strchr(queue->config->host, ':') != NULL ?
		g_strdup_printf("[%s]", queue->config->host) :
		g_strdup(queue->config->host);

	return g_strdup_printf("imap://%s@%s:%u/%s;UIDVALIDITY=%u/;UID=%u",
			       user, host, queue->config->port, box,
			       helpdesk_tracker_get_uidvalidity(queue->tracker),
			       uid);
}
