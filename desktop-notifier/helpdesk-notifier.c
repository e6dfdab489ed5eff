/* helpdesk-notifier: the agent's desktop notifier. Watches the helpdesk
   queues over IMAP (IDLE, QRESYNC), shows what is news for the agent
   through libnotify, and the game's level, badges and rank from the
   plugin's METADATA entries. See helpdesk-notifier(1). */

#include "helpdesk-notifier-config.h"
#include "helpdesk-notifier-game.h"
#include "helpdesk-notifier-notify.h"
#include "helpdesk-notifier-password.h"
#include "helpdesk-notifier-queue.h"
#include "helpdesk-notifier-state.h"

#include <gio/gio.h>
#include <glib-unix.h>
#include <libnotify/notify.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define EXIT_CONFIG 78		/* EX_CONFIG */
#define EXIT_UNAVAILABLE 69	/* EX_UNAVAILABLE */
#define EXIT_TEMPFAIL 75	/* EX_TEMPFAIL: another one runs */

/* reconnect backoff: 1 s doubling up to 5 minutes, +-25 % jitter */
#define BACKOFF_FIRST_SECS 1
#define BACKOFF_MAX_SECS 300
/* the game is read again this long after the agent acted */
#define GAME_AFTER_ACTION_MSECS 1500
/* quitting waits this long for the away entry and LOGOUT */
#define QUIT_TIMEOUT_SECS 3
#define AWAY_ENTRY "/private/vendor/dovecot-helpdesk/away"

typedef struct _App App;

typedef struct {
	App *app;
	HelpdeskQueue *queue;
	HelpdeskTracker *tracker;
	gchar *state_path;
	guint backoff_secs;
	guint reconnect_id;
	gboolean synced_once;
} Watch;

struct _App {
	HelpdeskNotifierConfig *config;
	gchar *password;
	GMainLoop *loop;
	HelpdeskNotify *notify;
	/* Watch * per queue */
	GPtrArray *watches;
	gboolean once, status;
	int exit_code;
	guint synced;

	gchar *me;
	gchar *game_path;
	HelpdeskGameStats *stats;
	HelpdeskGameBoard *board;
	guint rank;
	gchar *rank_day;
	gboolean game_known;
	guint game_timer, game_soon;
	/* GETMETADATA under way */
	gboolean game_reading;
	gboolean away_known;
	/* "available" was said once this run (a reconnect doesn't undo an
	   away the agent set meanwhile) */
	gboolean availability_said;

	GNetworkMonitor *monitor;
	GDBusConnection *system_bus;
	guint sleep_signal;
	gboolean quitting;
	/* held while running: one notifier per account and state */
	int lock_fd;
};

static void watch_start(Watch *watch);
static void app_quit(App *app, int exit_code);

/* ---------------------------------------------------------------- state */

static void watch_save(Watch *watch)
{
	g_autofree gchar *text = helpdesk_tracker_save(watch->tracker);

	helpdesk_notifier_state_write(watch->state_path, text);
}

static void watch_load(Watch *watch)
{
	g_autofree gchar *text = NULL;

	if (!g_file_get_contents(watch->state_path, &text, NULL, NULL))
		return;
	if (!helpdesk_tracker_load(watch->tracker, text)) {
		g_warning("%s is not a state this notifier wrote: starting "
			  "afresh", watch->state_path);
	}
}

/* ---------------------------------------------------------------- game */

static HelpdeskImapClient *app_client(App *app)
{
	guint i;

	for (i = 0; i < app->watches->len; i++) {
		Watch *watch = g_ptr_array_index(app->watches, i);
		HelpdeskImapClient *client =
			helpdesk_queue_client(watch->queue);

		if (client != NULL)
			return client;
	}
	return NULL;
}

static void game_stats(App *app, const gchar *json)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) news = NULL;
	g_autoptr(GDateTime) now = g_date_time_new_now_local();
	g_autofree gchar *today = g_date_time_format(now, "%Y-%m-%d");
	HelpdeskGameStats *stats, *old;
	guint i;

	stats = helpdesk_game_stats_parse(json, &error);
	if (stats == NULL) {
		g_warning("%s", error->message);
		return;
	}
	if (*stats->agent != '\0' && g_strcmp0(app->me, stats->agent) != 0) {
		g_free(app->me);
		app->me = g_strdup(stats->agent);
		for (i = 0; i < app->watches->len; i++) {
			Watch *watch = g_ptr_array_index(app->watches, i);

			helpdesk_tracker_set_me(watch->tracker, app->me);
		}
	}
	if (app->status) {
		/* --status only reads: no news, no state */
		helpdesk_game_stats_free(app->stats);
		app->stats = stats;
		return;
	}
	old = app->stats;
	if (old == NULL && !app->game_known)
		old = helpdesk_notifier_state_game_load(app->game_path,
							&app->rank,
							&app->rank_day);
	news = g_ptr_array_new_with_free_func(
		(GDestroyNotify)helpdesk_game_news_free);
	helpdesk_game_news(old, stats, today, &app->rank, &app->rank_day,
			   news);
	helpdesk_game_stats_free(old);
	app->stats = stats;
	app->game_known = TRUE;
	for (i = 0; app->notify != NULL && i < news->len; i++) {
		const HelpdeskGameNews *n = g_ptr_array_index(news, i);

		helpdesk_notify_game(app->notify, n->key, n->summary, n->body);
	}
	helpdesk_notifier_state_game_save(app->game_path, json, app->rank,
					  app->rank_day);
}

static void app_queue_untagged(HelpdeskQueue *queue G_GNUC_UNUSED,
			       const HelpdeskImapResponse *resp, gpointer data)
{
	App *app = data;
	g_autoptr(GHashTable) entries = NULL;
	g_autofree gchar *mailbox = NULL;
	const gchar *value;

	if (strcmp(resp->name, "METADATA") != 0)
		return;
	entries = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
					g_free);
	if (!helpdesk_imap_metadata_parse(resp, &mailbox, entries, NULL))
		return;
	value = g_hash_table_lookup(entries, HELPDESK_GAME_STATS_ENTRY);
	if (value != NULL)
		game_stats(app, value);
	value = g_hash_table_lookup(entries, HELPDESK_GAME_BOARD_ENTRY);
	if (value != NULL) {
		g_autoptr(GError) error = NULL;
		HelpdeskGameBoard *board =
			helpdesk_game_board_parse(value, &error);

		if (board == NULL) {
			g_warning("%s", error->message);
		} else {
			helpdesk_game_board_free(app->board);
			app->board = board;
		}
	}
	if (g_hash_table_contains(entries, AWAY_ENTRY))
		app->away_known = TRUE;
}

static void game_read_done(HelpdeskImapClient *client G_GNUC_UNUSED,
			   const HelpdeskImapResponse *tagged,
			   const GError *error, gpointer data)
{
	App *app = data;

	app->game_reading = FALSE;
	if (tagged == NULL)
		g_info("reading the game failed: %s", error->message);
	else if (strcmp(tagged->name, "OK") != 0) {
		g_autofree gchar *text =
			helpdesk_imap_response_describe(tagged);

		g_info("the server has no game entries: %s", text);
	}
	if (app->once || app->status)
		app_quit(app, app->exit_code);
}

/* GETMETADATA of the agent's stats and the first queue's board; done
   follows the second. */
static void game_request(App *app, HelpdeskImapClient *client,
			 HelpdeskImapDoneFunc *done)
{
	g_autofree gchar *box =
		helpdesk_imap_mailbox_arg(app->config->queues[0]);
	g_autofree gchar *cmd = NULL;

	helpdesk_imap_client_command(client, "GETMETADATA \"\" ("
				     HELPDESK_GAME_STATS_ENTRY ")", NULL, NULL);
	cmd = g_strdup_printf("GETMETADATA %s (" HELPDESK_GAME_BOARD_ENTRY ")",
			      box);
	helpdesk_imap_client_command(client, cmd, done, app);
}

static void game_read(App *app)
{
	HelpdeskImapClient *client = app_client(app);

	if (client == NULL || app->game_reading) {
		if (client == NULL && (app->once || app->status))
			app_quit(app, app->exit_code);
		return;
	}
	app->game_reading = TRUE;
	game_request(app, client, game_read_done);
}

static gboolean game_timer(gpointer data)
{
	App *app = data;

	game_read(app);
	return G_SOURCE_CONTINUE;
}

static gboolean game_soon(gpointer data)
{
	App *app = data;

	app->game_soon = 0;
	game_read(app);
	return G_SOURCE_REMOVE;
}

static void app_queue_activity(HelpdeskQueue *queue G_GNUC_UNUSED,
			       gpointer data)
{
	App *app = data;

	if (app->game_soon == 0 && !app->once) {
		app->game_soon = g_timeout_add(GAME_AFTER_ACTION_MSECS,
					       game_soon, app);
	}
}

/* ---------------------------------------------------------- availability */

static void away_done(HelpdeskImapClient *client G_GNUC_UNUSED,
		      const HelpdeskImapResponse *tagged,
		      const GError *error G_GNUC_UNUSED, gpointer data)
{
	App *app = data;

	if (tagged != NULL && strcmp(tagged->name, "OK") == 0)
		app->away_known = TRUE;
	else if (tagged != NULL) {
		g_autofree gchar *text =
			helpdesk_imap_response_describe(tagged);

		g_info("not setting availability: %s", text);
	}
}

static void app_set_away(App *app, gboolean away,
			 HelpdeskImapDoneFunc *done, gpointer data)
{
	HelpdeskImapClient *client = app_client(app);
	g_autofree gchar *cmd = NULL;

	if (client == NULL || !app->config->availability)
		return;
	cmd = g_strdup_printf("SETMETADATA \"\" (" AWAY_ENTRY " \"%s\")",
			      away ? "yes" : "no");
	helpdesk_imap_client_command(client, cmd, done, data);
}

/* -------------------------------------------------------------- queues */

static Watch *app_watch(App *app, const gchar *mailbox)
{
	guint i;

	for (i = 0; i < app->watches->len; i++) {
		Watch *watch = g_ptr_array_index(app->watches, i);

		if (strcmp(helpdesk_queue_mailbox(watch->queue), mailbox) == 0)
			return watch;
	}
	return NULL;
}

static void app_queue_events(HelpdeskQueue *queue, GPtrArray *events,
			     gpointer data)
{
	App *app = data;
	Watch *watch = app_watch(app, helpdesk_queue_mailbox(queue));
	guint i;

	for (i = 0; i < events->len; i++) {
		const HelpdeskEvent *event = g_ptr_array_index(events, i);

		helpdesk_notify_event(app->notify,
				      helpdesk_queue_mailbox(queue), event,
				      app->me);
	}
	if (watch != NULL)
		watch_save(watch);
}

static gboolean watch_reconnect(gpointer data)
{
	Watch *watch = data;

	watch->reconnect_id = 0;
	watch_start(watch);
	return G_SOURCE_REMOVE;
}

static void watch_schedule(Watch *watch)
{
	guint secs;

	if (watch->reconnect_id != 0)
		return;
	secs = watch->backoff_secs;
	/* +-25 %: agents whose notifiers lost the same server don't come
	   back in step */
	secs = (guint)(secs * g_random_double_range(0.75, 1.25));
	if (secs == 0)
		secs = 1;
	g_info("%s: reconnecting in %u s", helpdesk_queue_mailbox(watch->queue),
	       secs);
	watch->reconnect_id = g_timeout_add_seconds(secs, watch_reconnect,
						    watch);
	watch->backoff_secs = MIN(watch->backoff_secs * 2, BACKOFF_MAX_SECS);
}

static void app_queue_state(HelpdeskQueue *queue, HelpdeskQueueState state,
			    const GError *error, gpointer data)
{
	App *app = data;
	Watch *watch = app_watch(app, helpdesk_queue_mailbox(queue));

	if (watch == NULL)
		return;
	if (state == HELPDESK_QUEUE_SYNCED) {
		g_info("%s: up to date", helpdesk_queue_mailbox(queue));
		watch->backoff_secs = BACKOFF_FIRST_SECS;
		watch_save(watch);
		if (!watch->synced_once) {
			watch->synced_once = TRUE;
			app->synced++;
		}
		if (app->once && app->synced == app->watches->len) {
			helpdesk_notify_flush(app->notify);
			game_read(app);
		} else if (!app->once && watch == g_ptr_array_index(
				app->watches, 0)) {
			if (!app->availability_said) {
				app->availability_said = TRUE;
				app_set_away(app, FALSE, away_done, app);
			}
			game_read(app);
		}
		return;
	}
	if (app->quitting)
		return;
	if (error != NULL &&
	    (g_error_matches(error, HELPDESK_IMAP_CLIENT_ERROR,
			     HELPDESK_IMAP_CLIENT_ERROR_AUTH) ||
	     g_error_matches(error, HELPDESK_IMAP_CLIENT_ERROR,
			     HELPDESK_IMAP_CLIENT_ERROR_CERTIFICATE))) {
		g_warning("%s", error->message);
		if (app->notify != NULL)
			helpdesk_notify_problem(app->notify, error->message);
		/* the same answer would come at once: wait long */
		watch->backoff_secs = MAX(watch->backoff_secs, 60);
	} else {
		g_message("%s: %s", helpdesk_queue_mailbox(queue),
			  error != NULL ? error->message : "disconnected");
	}
	if (app->once || app->status) {
		if (error != NULL)
			g_printerr("helpdesk-notifier: %s\n", error->message);
		app_quit(app, EXIT_UNAVAILABLE);
		return;
	}
	watch_schedule(watch);
}

static void app_claim_failed(HelpdeskQueue *queue, guint64 ticket,
			     const gchar *why, gpointer data)
{
	App *app = data;

	helpdesk_notify_claim_failed(app->notify,
				     helpdesk_queue_mailbox(queue), ticket,
				     why);
}

static void app_open(App *app, Watch *watch, guint32 uid)
{
	g_autofree gchar *url = helpdesk_queue_message_url(watch->queue, uid);
	g_auto(GStrv) argv = NULL;
	g_autoptr(GError) error = NULL;
	guint i;

	if (!g_shell_parse_argv(app->config->open_command, NULL, &argv,
				&error)) {
		g_warning("open_command: %s", error->message);
		return;
	}
	/* the URL goes into the arguments after splitting: nothing in it
	   is ever read by a shell */
	for (i = 0; argv[i] != NULL; i++) {
		if (strstr(argv[i], "%u") != NULL) {
			g_auto(GStrv) parts = g_strsplit(argv[i], "%u", -1);

			g_free(argv[i]);
			argv[i] = g_strjoinv(url, parts);
		}
	}
	if (!g_spawn_async(NULL, argv, NULL, G_SPAWN_SEARCH_PATH |
			   G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL, NULL,
			   &error))
		g_warning("open_command: %s", error->message);
}

static void app_action(const gchar *queue, guint64 ticket, guint32 uid,
		       const gchar *action, gpointer data)
{
	App *app = data;
	Watch *watch = app_watch(app, queue);

	if (watch == NULL)
		return;
	g_info("%s on ticket %" G_GUINT64_FORMAT, action, ticket);
	if (strcmp(action, "claim") == 0) {
		helpdesk_queue_claim(watch->queue, ticket, uid,
				     app_claim_failed);
		app_queue_activity(watch->queue, app);
	} else if (strcmp(action, "open") == 0) {
		app_open(app, watch, uid);
	}
}

static void watch_start(Watch *watch)
{
	if (watch->reconnect_id != 0) {
		g_source_remove(watch->reconnect_id);
		watch->reconnect_id = 0;
	}
	g_info("%s: connecting to %s:%u", helpdesk_queue_mailbox(watch->queue),
	       watch->app->config->host, watch->app->config->port);
	helpdesk_queue_start(watch->queue, watch->app->password,
			     !watch->app->once && !watch->app->status);
}

static void watch_free(Watch *watch)
{
	if (watch->reconnect_id != 0)
		g_source_remove(watch->reconnect_id);
	helpdesk_queue_free(watch->queue);
	helpdesk_tracker_free(watch->tracker);
	g_free(watch->state_path);
	g_free(watch);
}

/* Reconnect every queue that isn't connected now (or all: after a
   resume their connections are likely dead). */
static void app_reconnect(App *app, gboolean all)
{
	guint i;

	for (i = 0; i < app->watches->len; i++) {
		Watch *watch = g_ptr_array_index(app->watches, i);

		watch->backoff_secs = BACKOFF_FIRST_SECS;
		if (all || !helpdesk_queue_is_connected(watch->queue))
			watch_start(watch);
	}
}

static void app_network_changed(GNetworkMonitor *monitor G_GNUC_UNUSED,
				gboolean available, gpointer data)
{
	App *app = data;
	guint i;

	if (!available)
		return;
	g_info("the network changed");
	for (i = 0; i < app->watches->len; i++) {
		Watch *watch = g_ptr_array_index(app->watches, i);
		HelpdeskImapClient *client =
			helpdesk_queue_client(watch->queue);

		if (!helpdesk_queue_is_connected(watch->queue))
			watch_start(watch);
		else if (client != NULL) {
			/* is the connection still there? A dead one fails
			   the NOOP within the command timeout */
			helpdesk_imap_client_command(client, "NOOP", NULL,
						     NULL);
		}
	}
}

static void app_prepare_for_sleep(GDBusConnection *bus G_GNUC_UNUSED,
				  const gchar *sender G_GNUC_UNUSED,
				  const gchar *path G_GNUC_UNUSED,
				  const gchar *iface G_GNUC_UNUSED,
				  const gchar *signal G_GNUC_UNUSED,
				  GVariant *params, gpointer data)
{
	App *app = data;
	gboolean sleeping;

	if (!g_variant_is_of_type(params, G_VARIANT_TYPE("(b)")))
		return;
	g_variant_get(params, "(b)", &sleeping);
	if (!sleeping) {
		g_info("resumed from suspend: reconnecting");
		app_reconnect(app, TRUE);
	}
}

static void app_watch_system(App *app)
{
	app->monitor = g_network_monitor_get_default();
	g_signal_connect(app->monitor, "network-changed",
			 G_CALLBACK(app_network_changed), app);
	app->system_bus = g_bus_get_sync(G_BUS_TYPE_SYSTEM, NULL, NULL);
	if (app->system_bus != NULL) {
		/* a restarted system bus must not take the notifier along
		   (GDBus raises SIGTERM on close by default) */
		g_dbus_connection_set_exit_on_close(app->system_bus, FALSE);
		app->sleep_signal = g_dbus_connection_signal_subscribe(
			app->system_bus, "org.freedesktop.login1",
			"org.freedesktop.login1.Manager", "PrepareForSleep",
			"/org/freedesktop/login1", NULL,
			G_DBUS_SIGNAL_FLAGS_NONE, app_prepare_for_sleep, app,
			NULL);
	}
}

/* ---------------------------------------------------------------- quit */

static gboolean app_quit_timeout(gpointer data)
{
	App *app = data;

	g_main_loop_quit(app->loop);
	return G_SOURCE_REMOVE;
}

static void app_logout_all(App *app)
{
	guint i;

	for (i = 0; i < app->watches->len; i++) {
		Watch *watch = g_ptr_array_index(app->watches, i);

		watch_save(watch);
		helpdesk_queue_stop(watch->queue);
	}
	g_timeout_add(200, app_quit_timeout, app);
}

static void quit_away_done(HelpdeskImapClient *client G_GNUC_UNUSED,
			   const HelpdeskImapResponse *tagged G_GNUC_UNUSED,
			   const GError *error G_GNUC_UNUSED, gpointer data)
{
	app_logout_all(data);
}

static void app_quit(App *app, int exit_code)
{
	if (app->quitting)
		return;
	app->quitting = TRUE;
	app->exit_code = exit_code;
	g_timeout_add_seconds(QUIT_TIMEOUT_SECS, app_quit_timeout, app);
	if (app->notify != NULL)
		helpdesk_notify_flush(app->notify);
	if (!app->once && !app->status && app->away_known &&
	    app_client(app) != NULL) {
		app_set_away(app, TRUE, quit_away_done, app);
		return;
	}
	app_logout_all(app);
}

static gboolean app_signal(gpointer data)
{
	App *app = data;

	g_info("quitting");
	app_quit(app, 0);
	return G_SOURCE_CONTINUE;
}

/* -------------------------------------------------------------- status */

static void status_done(HelpdeskImapClient *client,
			const HelpdeskImapResponse *tagged,
			const GError *error, gpointer data)
{
	App *app = data;
	g_autofree gchar *text = NULL;

	if (tagged == NULL) {
		g_printerr("helpdesk-notifier: %s\n", error->message);
		app_quit(app, EXIT_UNAVAILABLE);
		return;
	}
	if (app->stats == NULL && app->board == NULL) {
		g_printerr("helpdesk-notifier: %s has no helpdesk game entries "
			   "for %s (is the helpdesk plugin on, with "
			   "imap_metadata = yes?)\n", app->config->host,
			   app->config->user);
		app->exit_code = EXIT_UNAVAILABLE;
	} else {
		text = helpdesk_game_format_status(app->stats, app->board);
		fputs(text, stdout);
	}
	helpdesk_imap_client_command(client, "LOGOUT", NULL, NULL);
	g_timeout_add(100, app_quit_timeout, app);
}

static void status_untagged(HelpdeskImapClient *client G_GNUC_UNUSED,
			    const HelpdeskImapResponse *resp, gpointer data)
{
	app_queue_untagged(NULL, resp, data);
}

static void status_logged_in(HelpdeskImapClient *client,
			     const HelpdeskImapResponse *tagged,
			     const GError *error, gpointer data)
{
	App *app = data;

	if (tagged == NULL) {
		g_printerr("helpdesk-notifier: %s\n", error->message);
		app->exit_code = EXIT_UNAVAILABLE;
		g_main_loop_quit(app->loop);
		return;
	}
	game_request(app, client, status_done);
}

/* Let cancelled operations finish (their callbacks hold references;
   a TLS read ends in a worker thread): nothing is left behind at exit. */
static void app_drain(void)
{
	gint64 deadline = g_get_monotonic_time() + 2 * G_USEC_PER_SEC;

	while (helpdesk_imap_client_count() > 0 &&
	       g_get_monotonic_time() < deadline) {
		if (!g_main_context_iteration(NULL, FALSE))
			g_usleep(5000);
	}
	while (g_main_context_iteration(NULL, FALSE))
		;
}

static int app_run_status(App *app)
{
	HelpdeskImapClient *client;

	app->stats = NULL;
	client = helpdesk_imap_client_new(app->config, status_untagged, NULL,
					  app);
	helpdesk_imap_client_connect(client, app->password, status_logged_in,
				     app);
	g_main_loop_run(app->loop);
	helpdesk_imap_client_free(client);
	app_drain();
	return app->exit_code;
}

/* ---------------------------------------------------------------- main */

static int app_run(App *app)
{
	g_autofree gchar *dir = helpdesk_notifier_state_dir(app->config);
	g_autoptr(GError) error = NULL;
	HelpdeskQueueCallbacks callbacks = {
		app_queue_events, app_queue_state, app_queue_activity,
		app_queue_untagged,
	};
	guint i;

	app->lock_fd = helpdesk_notifier_state_lock(dir, app->config, &error);
	if (app->lock_fd < 0) {
		g_printerr("helpdesk-notifier: %s\n", error->message);
		return EXIT_TEMPFAIL;
	}
	app->notify = helpdesk_notify_new(app->config, app_action, app);
	app->game_path = g_build_filename(dir, "game.state", NULL);
	for (i = 0; app->config->queues[i] != NULL; i++) {
		Watch *watch = g_new0(Watch, 1);

		watch->app = app;
		watch->backoff_secs = BACKOFF_FIRST_SECS;
		watch->tracker = helpdesk_tracker_new(app->me,
			app->config->keyword_prefix);
		watch->state_path = helpdesk_notifier_state_path(dir,
			app->config->queues[i]);
		watch_load(watch);
		watch->queue = helpdesk_queue_new(app->config,
						  app->config->queues[i],
						  watch->tracker, &callbacks,
						  app);
		g_ptr_array_add(app->watches, watch);
	}
	if (!app->once) {
		app_watch_system(app);
		app->game_timer = g_timeout_add_seconds(
			app->config->game_interval, game_timer, app);
		g_unix_signal_add(SIGINT, app_signal, app);
		g_unix_signal_add(SIGTERM, app_signal, app);
	}
	for (i = 0; i < app->watches->len; i++)
		watch_start(g_ptr_array_index(app->watches, i));
	g_main_loop_run(app->loop);

	if (app->once) {
		g_print("%u notification%s\n",
			helpdesk_notify_count(app->notify),
			helpdesk_notify_count(app->notify) == 1 ? "" : "s");
	}
	return app->exit_code;
}

static void app_free(App *app)
{
	if (app->game_timer != 0)
		g_source_remove(app->game_timer);
	if (app->game_soon != 0)
		g_source_remove(app->game_soon);
	g_ptr_array_unref(app->watches);
	helpdesk_notify_free(app->notify);
	if (app->sleep_signal != 0)
		g_dbus_connection_signal_unsubscribe(app->system_bus,
						     app->sleep_signal);
	g_clear_object(&app->system_bus);
	if (app->monitor != NULL)
		g_signal_handlers_disconnect_by_data(app->monitor, app);
	helpdesk_game_stats_free(app->stats);
	helpdesk_game_board_free(app->board);
	helpdesk_notifier_password_free(app->password);
	helpdesk_notifier_config_free(app->config);
	g_main_loop_unref(app->loop);
	g_free(app->me);
	g_free(app->rank_day);
	g_free(app->game_path);
	if (app->lock_fd > 0)
		(void)close(app->lock_fd);
	g_free(app);
}

static int store_password(const HelpdeskNotifierConfig *config)
{
	g_autoptr(GError) error = NULL;
	gchar line[1024];
	gsize len;

	if (isatty(0))
		g_print("Password for %s@%s: ", config->user, config->host);
	if (fgets(line, sizeof(line), stdin) == NULL) {
		g_printerr("helpdesk-notifier: no password given\n");
		return 1;
	}
	len = strcspn(line, "\r\n");
	line[len] = '\0';
	if (!helpdesk_notifier_password_store(config, line, &error)) {
		memset(line, 0, sizeof(line));
		g_printerr("helpdesk-notifier: storing the password failed: "
			   "%s\n", error->message);
		return 1;
	}
	memset(line, 0, sizeof(line));
	g_print("stored in the Secret Service\n");
	return 0;
}

int main(int argc, char *argv[])
{
	gboolean once = FALSE, status = FALSE, verbose = FALSE;
	gboolean store = FALSE, version = FALSE;
	g_autofree gchar *config_path = NULL;
	GOptionEntry entries[] = {
		{ "config", 'c', 0, G_OPTION_ARG_FILENAME, &config_path,
		  "Read FILE instead of $XDG_CONFIG_HOME/helpdesk-notifier/"
		  "config",
		  "FILE" },
		{ "status", 's', 0, G_OPTION_ARG_NONE, &status,
		  "Print points, level, badges and the team's board, then "
		  "exit", NULL },
		{ "once", '1', 0, G_OPTION_ARG_NONE, &once,
		  "Announce what is new since the last run, then exit", NULL },
		{ "store-password", 0, 0, G_OPTION_ARG_NONE, &store,
		  "Read the password from standard input into the Secret "
		  "Service", NULL },
		{ "verbose", 'v', 0, G_OPTION_ARG_NONE, &verbose,
		  "Log what happens (connections, the IMAP dialogue)", NULL },
		{ "version", 0, 0, G_OPTION_ARG_NONE, &version,
		  "Print the version", NULL },
		G_OPTION_ENTRY_NULL
	};
	g_autoptr(GOptionContext) context = NULL;
	g_autoptr(GError) error = NULL;
	App *app;
	int ret;

	context = g_option_context_new("- the helpdesk's desktop notifier");
	g_option_context_add_main_entries(context, entries, NULL);
	if (!g_option_context_parse(context, &argc, &argv, &error)) {
		g_printerr("helpdesk-notifier: %s\n", error->message);
		return 64;
	}
	if (argc > 1) {
		g_printerr("helpdesk-notifier: unexpected argument '%s' (see "
			   "--help)\n", argv[1]);
		return 64;
	}
	if (version) {
		g_print("helpdesk-notifier %s\n", PACKAGE_VERSION);
		return 0;
	}
	if (verbose)
		g_log_set_debug_enabled(TRUE);
	if (config_path == NULL)
		config_path = helpdesk_notifier_config_default_path();

	app = g_new0(App, 1);
	app->once = once;
	app->status = status;
	app->loop = g_main_loop_new(NULL, FALSE);
	app->watches = g_ptr_array_new_with_free_func(
		(GDestroyNotify)watch_free);
	app->config = helpdesk_notifier_config_load(config_path, &error);
	if (app->config == NULL) {
		g_printerr("helpdesk-notifier: %s\n", error->message);
		app_free(app);
		return EXIT_CONFIG;
	}
	if (store) {
		ret = store_password(app->config);
		app_free(app);
		return ret;
	}
	app->me = g_strdup(app->config->user);
	app->password = helpdesk_notifier_password_get(app->config, &error);
	if (app->password == NULL) {
		g_printerr("helpdesk-notifier: %s\n", error->message);
		app_free(app);
		return EXIT_CONFIG;
	}
	if (status) {
		ret = app_run_status(app);
		app_free(app);
		return ret;
	}
	if (!notify_init("helpdesk-notifier")) {
		g_printerr("helpdesk-notifier: cannot reach the desktop's "
			   "notification service (no session bus?)\n");
		app_free(app);
		return EXIT_UNAVAILABLE;
	}
	ret = app_run(app);
	app_free(app);
	app_drain();
	notify_uninit();
	return ret;
}
