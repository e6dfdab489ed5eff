/* The notifier's IMAP connection: GSocketClient with TLS from
   glib-networking, a read loop that assembles responses (literals
   included) for helpdesk-imap-parse.c, one command at a time, and IDLE
   in between. */

#include "helpdesk-imap-client.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>

/* how long the connect, the greeting and the login may take */
#define CONNECT_TIMEOUT_SECS 20
/* how long a command may go unanswered */
#define COMMAND_TIMEOUT_SECS 60
/* IDLE is re-issued before the server's 30-minute inactivity timeout */
#define IDLE_RENEW_SECS (25 * 60)
/* ... and after this long without a byte from the server (Dovecot says
   "* OK Still here" every 2 minutes in IDLE): with the command timeout a
   connection that died silently is given up within 210 + 60 s, whatever
   TCP keepalive makes of it */
#define IDLE_SILENCE_SECS 210
/* the tests' hook: both timeouts this many seconds */
#define TEST_TIMEOUT_ENV "HELPDESK_NOTIFIER_TEST_TIMEOUT"
/* TCP keepalive: a silently dropped peer is noticed after
   KEEPIDLE + KEEPINTVL * KEEPCNT = 60 + 20 * 6 = 180 s */
#define KEEPALIVE_IDLE_SECS 60
#define KEEPALIVE_INTERVAL_SECS 20
#define KEEPALIVE_COUNT 6
/* unacknowledged data (a command to a dead peer) fails after this */
#define USER_TIMEOUT_MSECS (120 * 1000)

typedef enum {
	PHASE_NEW,
	PHASE_CONNECTING,
	PHASE_GREETING,
	PHASE_STARTTLS,
	PHASE_LOGIN,
	PHASE_READY,
	PHASE_CLOSED,
} Phase;

typedef struct {
	gchar *tag;
	/* the command line without the tag and CRLF; NULL for IDLE */
	gchar *line;
	/* for the log: LOGIN's line without the password */
	gchar *log_line;
	HelpdeskImapDoneFunc *done;
	gpointer user_data;
	gboolean idle;
} Command;

struct _HelpdeskImapClient {
	gint refcount;
	HelpdeskNotifierConfig *config;
	HelpdeskImapUntaggedFunc *untagged;
	HelpdeskImapClosedFunc *closed;
	gpointer user_data;

	Phase phase;
	GCancellable *cancel;
	GSocketClient *socket_client;
	GSocketConnection *socket_conn;
	GIOStream *stream;
	GDataInputStream *in;
	GOutputStream *out;
	GTlsDatabase *tls_database;
	GTlsCertificateFlags tls_errors;

	/* the response being read */
	GByteArray *response;
	guint8 *literal;
	guint64 literal_size;
	/* don't read on after the current response (STARTTLS) */
	gboolean pause_reading;

	GString *outbuf;
	/* what the write under way sends */
	GBytes *write_bytes;
	gboolean writing;

	GHashTable *capabilities;
	gchar *password;
	HelpdeskImapDoneFunc *connect_done;
	gpointer connect_user_data;

	guint tag_counter;
	Command *current;
	GQueue pending;
	gboolean want_idle;
	/* the server said "+" to our IDLE */
	gboolean idling;
	/* DONE was sent for the current IDLE */
	gboolean idle_done_sent;
	guint timeout_id;
	/* what timeout_id waits */
	guint timeout_secs;
	guint idle_renew_id, idle_silence_id;
	guint command_timeout, idle_silence;
	gchar *bye_text;
};

G_DEFINE_QUARK(helpdesk-imap-client-error-quark, helpdesk_imap_client_error)

static guint client_count;

guint helpdesk_imap_client_count(void)
{
	return client_count;
}

static void client_read_next(HelpdeskImapClient *client);
static void client_send_next(HelpdeskImapClient *client);
static void client_fail(HelpdeskImapClient *client, GError *error);

static HelpdeskImapClient *client_ref(HelpdeskImapClient *client)
{
	client->refcount++;
	return client;
}

static void command_free(Command *cmd)
{
	g_free(cmd->tag);
	if (cmd->line != NULL)
		memset(cmd->line, 0, strlen(cmd->line));
	g_free(cmd->line);
	g_free(cmd->log_line);
	g_free(cmd);
}

static void client_unref(HelpdeskImapClient *client)
{
	g_assert(client->refcount > 0);
	if (--client->refcount > 0)
		return;
	g_assert(client->current == NULL);
	g_assert(g_queue_is_empty(&client->pending));
	g_clear_object(&client->cancel);
	g_clear_object(&client->socket_client);
	g_clear_object(&client->socket_conn);
	g_clear_object(&client->stream);
	g_clear_object(&client->in);
	g_clear_object(&client->out);
	g_clear_object(&client->tls_database);
	g_byte_array_unref(client->response);
	g_free(client->literal);
	g_string_free(client->outbuf, TRUE);
	if (client->write_bytes != NULL)
		g_bytes_unref(client->write_bytes);
	g_hash_table_unref(client->capabilities);
	if (client->password != NULL)
		memset(client->password, 0, strlen(client->password));
	g_free(client->password);
	g_free(client->bye_text);
	helpdesk_notifier_config_free(client->config);
	g_free(client);
	client_count--;
}

static HelpdeskNotifierConfig *
config_copy(const HelpdeskNotifierConfig *src)
{
	HelpdeskNotifierConfig *dst = g_new0(HelpdeskNotifierConfig, 1);

	dst->host = g_strdup(src->host);
	dst->port = src->port;
	dst->user = g_strdup(src->user);
	dst->security = src->security;
	dst->ca_file = g_strdup(src->ca_file);
	dst->queues = g_strdupv(src->queues);
	dst->keyword_prefix = g_strdup(src->keyword_prefix);
	return dst;
}

HelpdeskImapClient *
helpdesk_imap_client_new(const HelpdeskNotifierConfig *config,
			 HelpdeskImapUntaggedFunc *untagged,
			 HelpdeskImapClosedFunc *closed, gpointer user_data)
{
	HelpdeskImapClient *client = g_new0(HelpdeskImapClient, 1);

	client_count++;
	client->refcount = 1;
	client->command_timeout = COMMAND_TIMEOUT_SECS;
	client->idle_silence = IDLE_SILENCE_SECS;
	if (g_getenv(TEST_TIMEOUT_ENV) != NULL) {
		guint64 secs;

		if (g_ascii_string_to_unsigned(g_getenv(TEST_TIMEOUT_ENV), 10,
					       1, 3600, &secs, NULL)) {
			client->command_timeout = (guint)secs;
			client->idle_silence = (guint)secs;
		}
	}
	client->config = config_copy(config);
	client->untagged = untagged;
	client->closed = closed;
	client->user_data = user_data;
	client->cancel = g_cancellable_new();
	client->response = g_byte_array_new();
	client->outbuf = g_string_new(NULL);
	client->capabilities = g_hash_table_new_full(g_str_hash, g_str_equal,
						     g_free, NULL);
	g_queue_init(&client->pending);
	return client;
}

gboolean helpdesk_imap_client_has_capability(HelpdeskImapClient *client,
					     const gchar *capability)
{
	g_autofree gchar *up = g_ascii_strup(capability, -1);

	return g_hash_table_contains(client->capabilities, up);
}

gboolean helpdesk_imap_client_is_ready(HelpdeskImapClient *client)
{
	return client->phase == PHASE_READY;
}

gchar *helpdesk_imap_response_describe(const HelpdeskImapResponse *resp)
{
	GString *str = g_string_new(resp->name);

	if (resp->code != NULL)
		g_string_append_printf(str, " [%s]", resp->code);
	if (resp->text != NULL && *resp->text != '\0')
		g_string_append_printf(str, " %s", resp->text);
	return g_string_free(str, FALSE);
}

/* ------------------------------------------------------------ timers */

static gboolean client_timeout(gpointer data)
{
	HelpdeskImapClient *client = data;

	client->timeout_id = 0;
	client_fail(client, g_error_new(HELPDESK_IMAP_CLIENT_ERROR,
			HELPDESK_IMAP_CLIENT_ERROR_TIMEOUT,
			"%s:%u gave no answer within %u seconds",
			client->config->host, client->config->port,
			client->timeout_secs));
	return G_SOURCE_REMOVE;
}

static void client_timeout_set(HelpdeskImapClient *client, guint secs)
{
	if (client->timeout_id != 0)
		g_source_remove(client->timeout_id);
	client->timeout_secs = secs;
	client->timeout_id = secs == 0 ? 0 :
		g_timeout_add_seconds(secs, client_timeout, client);
}

static void client_idle_timers_stop(HelpdeskImapClient *client)
{
	if (client->idle_renew_id != 0) {
		g_source_remove(client->idle_renew_id);
		client->idle_renew_id = 0;
	}
	if (client->idle_silence_id != 0) {
		g_source_remove(client->idle_silence_id);
		client->idle_silence_id = 0;
	}
}

/* ------------------------------------------------------------ writing */

static void client_flush(HelpdeskImapClient *client);

static void client_write_done(GObject *source, GAsyncResult *res,
			      gpointer data)
{
	HelpdeskImapClient *client = data;
	GError *error = NULL;

	client->writing = FALSE;
	g_clear_pointer(&client->write_bytes, g_bytes_unref);
	if (!g_output_stream_write_all_finish(G_OUTPUT_STREAM(source), res,
					      NULL, &error)) {
		if (!g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
			client_fail(client, error);
		else
			g_error_free(error);
	} else {
		client_flush(client);
	}
	client_unref(client);
}

/* Send what is buffered, unless a write is under way (its end sends the
   rest). */
static void client_flush(HelpdeskImapClient *client)
{
	gsize len;
	gconstpointer ptr;

	if (client->writing || client->outbuf->len == 0 ||
	    client->out == NULL || client->phase == PHASE_CLOSED)
		return;
	client->write_bytes = g_string_free_to_bytes(client->outbuf);
	client->outbuf = g_string_new(NULL);
	client->writing = TRUE;
	ptr = g_bytes_get_data(client->write_bytes, &len);
	g_output_stream_write_all_async(client->out, ptr, len,
					G_PRIORITY_DEFAULT, client->cancel,
					client_write_done, client_ref(client));
}

static void client_write(HelpdeskImapClient *client, const gchar *data)
{
	g_string_append(client->outbuf, data);
	client_flush(client);
}

/* ------------------------------------------------------------ closing */

static void client_fail_commands(HelpdeskImapClient *client,
				 const GError *error)
{
	Command *cmd;

	while ((cmd = client->current) != NULL ||
	       (cmd = g_queue_pop_head(&client->pending)) != NULL) {
		client->current = NULL;
		if (cmd->done != NULL)
			cmd->done(client, NULL, error, cmd->user_data);
		command_free(cmd);
	}
}

static void client_shutdown(HelpdeskImapClient *client)
{
	client->phase = PHASE_CLOSED;
	client_timeout_set(client, 0);
	client_idle_timers_stop(client);
	g_cancellable_cancel(client->cancel);
	/* the socket itself: a TLS close would write to a peer that may
	   be gone (a polite LOGOUT is the caller's) */
	if (client->socket_conn != NULL) {
		(void)g_socket_close(g_socket_connection_get_socket(
			client->socket_conn), NULL);
	}
}

static void client_fail(HelpdeskImapClient *client, GError *error)
{
	HelpdeskImapDoneFunc *connect_done = client->connect_done;

	if (client->phase == PHASE_CLOSED) {
		g_error_free(error);
		return;
	}
	client_ref(client);
	client_shutdown(client);
	client->connect_done = NULL;
	client_fail_commands(client, error);
	if (connect_done != NULL)
		connect_done(client, NULL, error, client->connect_user_data);
	else if (client->closed != NULL)
		client->closed(client, error, client->user_data);
	g_error_free(error);
	client_unref(client);
}

void helpdesk_imap_client_close(HelpdeskImapClient *client)
{
	GError *error;

	if (client->phase == PHASE_CLOSED)
		return;
	client_ref(client);
	client_shutdown(client);
	client->connect_done = NULL;
	error = g_error_new(G_IO_ERROR, G_IO_ERROR_CANCELLED,
			    "the connection was closed");
	client_fail_commands(client, error);
	g_error_free(error);
	client_unref(client);
}

void helpdesk_imap_client_free(HelpdeskImapClient *client)
{
	if (client == NULL)
		return;
	client->closed = NULL;
	client->untagged = NULL;
	helpdesk_imap_client_close(client);
	client_unref(client);
}

/* ------------------------------------------------------------ commands */

/* End the IDLE (DONE): the server must answer within the command
   timeout, and the IDLE starts again. */
static void client_idle_end(HelpdeskImapClient *client)
{
	client_idle_timers_stop(client);
	if (client->current != NULL && client->current->idle &&
	    client->idling && !client->idle_done_sent) {
		client->idle_done_sent = TRUE;
		client_write(client, "DONE\r\n");
		client_timeout_set(client, client->command_timeout);
	}
}

static gboolean client_idle_renew(gpointer data)
{
	HelpdeskImapClient *client = data;

	client->idle_renew_id = 0;
	client_idle_end(client);
	return G_SOURCE_REMOVE;
}

static gboolean client_idle_silence(gpointer data)
{
	HelpdeskImapClient *client = data;

	client->idle_silence_id = 0;
	g_debug("%s said nothing for %u s: is it there?", client->config->host,
		client->idle_silence);
	client_idle_end(client);
	return G_SOURCE_REMOVE;
}

static void client_send_next(HelpdeskImapClient *client)
{
	Command *cmd;
	gchar *line;

	if (client->phase == PHASE_CLOSED)
		return;
	if (client->current != NULL) {
		/* a command waits: end the IDLE once the server is in it */
		if (client->current->idle && client->idling &&
		    !client->idle_done_sent &&
		    !g_queue_is_empty(&client->pending)) {
			client->idle_done_sent = TRUE;
			client_write(client, "DONE\r\n");
			client_timeout_set(client, client->command_timeout);
		}
		return;
	}
	cmd = g_queue_pop_head(&client->pending);
	if (cmd == NULL) {
		if (!client->want_idle || client->phase != PHASE_READY ||
		    !helpdesk_imap_client_has_capability(client, "IDLE"))
			return;
		cmd = g_new0(Command, 1);
		cmd->idle = TRUE;
	}
	cmd->tag = g_strdup_printf("n%u", ++client->tag_counter);
	client->current = cmd;
	client->idling = FALSE;
	client->idle_done_sent = FALSE;
	line = g_strdup_printf("%s %s\r\n", cmd->tag,
			       cmd->idle ? "IDLE" : cmd->line);
	g_debug("C: %s %s", cmd->tag, cmd->idle ? "IDLE" :
		cmd->log_line != NULL ? cmd->log_line : cmd->line);
	client_write(client, line);
	memset(line, 0, strlen(line));
	g_free(line);
	client_timeout_set(client, client->phase == PHASE_READY ?
			   client->command_timeout : CONNECT_TIMEOUT_SECS);
}

static void client_queue(HelpdeskImapClient *client, Command *cmd)
{
	g_queue_push_tail(&client->pending, cmd);
	client_send_next(client);
}

void helpdesk_imap_client_command(HelpdeskImapClient *client,
				  const gchar *command,
				  HelpdeskImapDoneFunc *done, gpointer user_data)
{
	Command *cmd = g_new0(Command, 1);

	cmd->line = g_strdup(command);
	cmd->done = done;
	cmd->user_data = user_data;
	if (client->phase == PHASE_CLOSED) {
		GError *error = g_error_new(HELPDESK_IMAP_CLIENT_ERROR,
			HELPDESK_IMAP_CLIENT_ERROR_CLOSED,
			"not connected to %s", client->config->host);

		if (done != NULL)
			done(client, NULL, error, user_data);
		g_error_free(error);
		command_free(cmd);
		return;
	}
	client_queue(client, cmd);
}

void helpdesk_imap_client_set_idle(HelpdeskImapClient *client, gboolean idle)
{
	client->want_idle = idle;
	client_send_next(client);
}

/* ------------------------------------------------------------ login */

static void client_capabilities(HelpdeskImapClient *client,
				GPtrArray *args)
{
	guint i;

	g_hash_table_remove_all(client->capabilities);
	for (i = 0; i < args->len; i++) {
		const HelpdeskImapArg *arg = g_ptr_array_index(args, i);

		if (arg->type == HELPDESK_IMAP_ARG_ATOM) {
			g_hash_table_add(client->capabilities,
					 g_ascii_strup(arg->str, -1));
		}
	}
}

/* The server said NO or BAD to a step of the login: fail with its
   words. */
static void client_refused(HelpdeskImapClient *client,
			   HelpdeskImapClientError code,
			   const HelpdeskImapResponse *tagged, const gchar *what)
{
	g_autofree gchar *text = helpdesk_imap_response_describe(tagged);

	client_fail(client, g_error_new(HELPDESK_IMAP_CLIENT_ERROR, code,
					"%s refused %s: %s",
					client->config->host, what, text));
}

static void client_login_done(HelpdeskImapClient *client,
			      const HelpdeskImapResponse *tagged,
			      const GError *error, gpointer user_data);

static void client_login(HelpdeskImapClient *client)
{
	Command *cmd;
	g_autofree gchar *user = helpdesk_imap_quote(client->config->user);
	g_autofree gchar *pass = helpdesk_imap_quote(client->password);

	if (helpdesk_imap_client_has_capability(client, "LOGINDISABLED")) {
		client_fail(client, g_error_new(HELPDESK_IMAP_CLIENT_ERROR,
			HELPDESK_IMAP_CLIENT_ERROR_PROTOCOL,
			"%s refuses LOGIN on this connection (LOGINDISABLED):"
			" use security=tls or starttls",
			client->config->host));
		return;
	}
	if (user == NULL || pass == NULL) {
		client_fail(client, g_error_new(HELPDESK_IMAP_CLIENT_ERROR,
			HELPDESK_IMAP_CLIENT_ERROR_AUTH,
			"the user name or password contains a line break"));
		return;
	}
	client->phase = PHASE_LOGIN;
	cmd = g_new0(Command, 1);
	cmd->line = g_strdup_printf("LOGIN %s %s", user, pass);
	cmd->log_line = g_strdup_printf("LOGIN %s <password>", user);
	cmd->done = client_login_done;
	memset(pass, 0, strlen(pass));
	memset(client->password, 0, strlen(client->password));
	g_clear_pointer(&client->password, g_free);
	client_queue(client, cmd);
}

/* Logged in with the capabilities known: tell the caller, run what
   waits. */
static void client_ready(HelpdeskImapClient *client,
			 const HelpdeskImapResponse *tagged)
{
	HelpdeskImapDoneFunc *done = client->connect_done;

	client->phase = PHASE_READY;
	client_timeout_set(client, 0);
	client->connect_done = NULL;
	if (done != NULL)
		done(client, tagged, NULL, client->connect_user_data);
	client_send_next(client);
}

static void client_capability_done(HelpdeskImapClient *client,
				   const HelpdeskImapResponse *tagged,
				   const GError *error G_GNUC_UNUSED,
				   gpointer user_data G_GNUC_UNUSED)
{
	if (tagged == NULL)
		return;
	if (client->phase == PHASE_LOGIN)
		client_ready(client, tagged);
	else
		client_login(client);
}

static void client_login_done(HelpdeskImapClient *client,
			      const HelpdeskImapResponse *tagged,
			      const GError *error G_GNUC_UNUSED,
			      gpointer user_data G_GNUC_UNUSED)
{
	g_autofree gchar *what = NULL;

	if (tagged == NULL)
		return;
	if (strcmp(tagged->name, "OK") != 0) {
		what = g_strdup_printf("the login of %s",
				       client->config->user);
		client_refused(client, HELPDESK_IMAP_CLIENT_ERROR_AUTH, tagged,
			       what);
		return;
	}
	if (tagged->code != NULL && strcmp(tagged->code, "CAPABILITY") == 0) {
		client_capabilities(client, tagged->code_args);
		client_ready(client, tagged);
	} else {
		helpdesk_imap_client_command(client, "CAPABILITY",
					     client_capability_done, NULL);
	}
}

static void client_set_streams(HelpdeskImapClient *client, GIOStream *stream)
{
	g_clear_object(&client->in);
	g_clear_object(&client->out);
	g_clear_object(&client->stream);
	client->stream = g_object_ref(stream);
	client->in = g_data_input_stream_new(
		g_io_stream_get_input_stream(stream));
	g_data_input_stream_set_newline_type(client->in,
					     G_DATA_STREAM_NEWLINE_TYPE_LF);
	g_filter_input_stream_set_close_base_stream(
		G_FILTER_INPUT_STREAM(client->in), FALSE);
	client->out = g_object_ref(g_io_stream_get_output_stream(stream));
}

static gboolean client_accept_certificate(GTlsConnection *conn G_GNUC_UNUSED,
					  GTlsCertificate *cert G_GNUC_UNUSED,
					  GTlsCertificateFlags errors,
					  gpointer data)
{
	HelpdeskImapClient *client = data;

	/* never accepted: only remembered, for a clear error */
	client->tls_errors = errors;
	return FALSE;
}

static void client_prepare_tls(HelpdeskImapClient *client,
			       GTlsConnection *tls)
{
	if (client->tls_database != NULL)
		g_tls_connection_set_database(tls, client->tls_database);
	g_signal_connect(tls, "accept-certificate",
			 G_CALLBACK(client_accept_certificate), client);
}

static GError *client_tls_error(HelpdeskImapClient *client, GError *error)
{
	GString *why;
	GError *ret;

	if (client->tls_errors == 0)
		return error;
	why = g_string_new(NULL);
	if ((client->tls_errors & G_TLS_CERTIFICATE_UNKNOWN_CA) != 0)
		g_string_append(why, ", signed by an authority not trusted");
	if ((client->tls_errors & G_TLS_CERTIFICATE_BAD_IDENTITY) != 0)
		g_string_append_printf(why, ", not issued for %s",
				       client->config->host);
	if ((client->tls_errors & G_TLS_CERTIFICATE_NOT_ACTIVATED) != 0)
		g_string_append(why, ", not valid yet");
	if ((client->tls_errors & G_TLS_CERTIFICATE_EXPIRED) != 0)
		g_string_append(why, ", expired");
	if ((client->tls_errors & G_TLS_CERTIFICATE_REVOKED) != 0)
		g_string_append(why, ", revoked");
	if ((client->tls_errors & G_TLS_CERTIFICATE_INSECURE) != 0)
		g_string_append(why, ", insecure");
	if (why->len == 0)
		g_string_append(why, ", not valid");
	ret = g_error_new(HELPDESK_IMAP_CLIENT_ERROR,
			  HELPDESK_IMAP_CLIENT_ERROR_CERTIFICATE,
			  "refusing %s:%u: its TLS certificate is %s "
			  "(set ca_file for a private CA)",
			  client->config->host, client->config->port,
			  why->str + 2);
	g_string_free(why, TRUE);
	g_error_free(error);
	return ret;
}

static void client_socket_options(HelpdeskImapClient *client)
{
	GSocket *sock = g_socket_connection_get_socket(client->socket_conn);

	g_socket_set_keepalive(sock, TRUE);
	(void)g_socket_set_option(sock, IPPROTO_TCP, TCP_KEEPIDLE,
				  KEEPALIVE_IDLE_SECS, NULL);
	(void)g_socket_set_option(sock, IPPROTO_TCP, TCP_KEEPINTVL,
				  KEEPALIVE_INTERVAL_SECS, NULL);
	(void)g_socket_set_option(sock, IPPROTO_TCP, TCP_KEEPCNT,
				  KEEPALIVE_COUNT, NULL);
	(void)g_socket_set_option(sock, IPPROTO_TCP, TCP_USER_TIMEOUT,
				  USER_TIMEOUT_MSECS, NULL);
	/* the connect timeout must not apply to reads: IDLE is quiet */
	g_socket_set_timeout(sock, 0);
}

static void client_handshake_done(GObject *source, GAsyncResult *res,
				  gpointer data)
{
	HelpdeskImapClient *client = data;
	GError *error = NULL;

	if (!g_tls_connection_handshake_finish(G_TLS_CONNECTION(source), res,
					       &error)) {
		if (!g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
			client_fail(client, client_tls_error(client, error));
		else
			g_error_free(error);
		client_unref(client);
		return;
	}
	client_set_streams(client, G_IO_STREAM(source));
	g_object_unref(source);
	client->pause_reading = FALSE;
	client_read_next(client);
	/* capabilities may differ after STARTTLS (RFC 3501 6.2.1) */
	helpdesk_imap_client_command(client, "CAPABILITY",
				     client_capability_done, NULL);
	client_unref(client);
}

static void client_starttls_done(HelpdeskImapClient *client,
				 const HelpdeskImapResponse *tagged,
				 const GError *error G_GNUC_UNUSED,
				 gpointer user_data G_GNUC_UNUSED)
{
	GIOStream *tls;
	GError *err = NULL;
	GSocketConnectable *identity;

	if (tagged == NULL)
		return;
	if (strcmp(tagged->name, "OK") != 0) {
		client_refused(client, HELPDESK_IMAP_CLIENT_ERROR_PROTOCOL,
			       tagged, "STARTTLS");
		return;
	}
	identity = g_network_address_new(client->config->host,
					 client->config->port);
	tls = g_tls_client_connection_new(G_IO_STREAM(client->socket_conn),
					  identity, &err);
	g_object_unref(identity);
	if (tls == NULL) {
		client_fail(client, err);
		return;
	}
	client_prepare_tls(client, G_TLS_CONNECTION(tls));
	g_tls_connection_handshake_async(G_TLS_CONNECTION(tls),
					 G_PRIORITY_DEFAULT, client->cancel,
					 client_handshake_done,
					 client_ref(client));
}

static void client_greeting(HelpdeskImapClient *client,
			    const HelpdeskImapResponse *resp)
{
	g_autofree gchar *text = NULL;

	if (resp->kind != HELPDESK_IMAP_RESPONSE_UNTAGGED ||
	    (strcmp(resp->name, "OK") != 0 &&
	     strcmp(resp->name, "PREAUTH") != 0)) {
		text = helpdesk_imap_response_describe(resp);
		client_fail(client, g_error_new(HELPDESK_IMAP_CLIENT_ERROR,
			HELPDESK_IMAP_CLIENT_ERROR_PROTOCOL,
			"%s:%u is no IMAP server that takes us: %s",
			client->config->host, client->config->port, text));
		return;
	}
	if (resp->code != NULL && strcmp(resp->code, "CAPABILITY") == 0)
		client_capabilities(client, resp->code_args);
	if (client->config->security == HELPDESK_SECURITY_STARTTLS) {
		Command *cmd = g_new0(Command, 1);

		client->phase = PHASE_STARTTLS;
		client->pause_reading = TRUE;
		cmd->line = g_strdup("STARTTLS");
		cmd->done = client_starttls_done;
		client_queue(client, cmd);
		return;
	}
	client->phase = PHASE_LOGIN;
	if (g_hash_table_size(client->capabilities) == 0) {
		helpdesk_imap_client_command(client, "CAPABILITY",
					     client_capability_done, NULL);
		client->phase = PHASE_GREETING;
		return;
	}
	client_login(client);
}

/* ------------------------------------------------------------ reading */

static void client_dispatch(HelpdeskImapClient *client,
			    const HelpdeskImapResponse *resp)
{
	Command *cmd;

	switch (resp->kind) {
	case HELPDESK_IMAP_RESPONSE_CONTINUATION:
		cmd = client->current;
		if (cmd != NULL && cmd->idle) {
			client->idling = TRUE;
			client_timeout_set(client, 0);
			client_idle_timers_stop(client);
			client->idle_renew_id = g_timeout_add_seconds(
				IDLE_RENEW_SECS, client_idle_renew, client);
			client->idle_silence_id = g_timeout_add_seconds(
				client->idle_silence, client_idle_silence,
				client);
			client_send_next(client);
		}
		return;
	case HELPDESK_IMAP_RESPONSE_TAGGED:
		cmd = client->current;
		if (cmd == NULL || strcmp(cmd->tag, resp->tag) != 0) {
			client_fail(client, g_error_new(
				HELPDESK_IMAP_CLIENT_ERROR,
				HELPDESK_IMAP_CLIENT_ERROR_PROTOCOL,
				"%s answered an unknown command tag %s",
				client->config->host, resp->tag));
			return;
		}
		g_debug("S: %s %s%s%s%s %s", resp->tag, resp->name,
			resp->code != NULL ? " [" : "",
			resp->code != NULL ? resp->code : "",
			resp->code != NULL ? "]" : "", resp->text);
		client->current = NULL;
		client_timeout_set(client, 0);
		client_idle_timers_stop(client);
		if (resp->code != NULL &&
		    strcmp(resp->code, "CAPABILITY") == 0)
			client_capabilities(client, resp->code_args);
		if (cmd->done != NULL)
			cmd->done(client, resp, NULL, cmd->user_data);
		command_free(cmd);
		client_send_next(client);
		return;
	case HELPDESK_IMAP_RESPONSE_UNTAGGED:
		break;
	}
	if (client->phase == PHASE_CONNECTING) {
		/* the first response is the greeting */
		client->phase = PHASE_GREETING;
		client_greeting(client, resp);
		return;
	}
	if (strcmp(resp->name, "BYE") == 0) {
		g_free(client->bye_text);
		client->bye_text = g_strdup(resp->text);
		return;
	}
	if (strcmp(resp->name, "CAPABILITY") == 0) {
		client_capabilities(client, resp->args);
		return;
	}
	if (resp->code != NULL && strcmp(resp->code, "CAPABILITY") == 0)
		client_capabilities(client, resp->code_args);
	if (client->untagged != NULL)
		client->untagged(client, resp, client->user_data);
}

static void client_response_done(HelpdeskImapClient *client)
{
	GError *error = NULL;
	HelpdeskImapResponse *resp;

	resp = helpdesk_imap_response_parse(client->response->data,
					    client->response->len, &error);
	g_byte_array_set_size(client->response, 0);
	if (resp == NULL) {
		client_fail(client, g_error_new(HELPDESK_IMAP_CLIENT_ERROR,
			HELPDESK_IMAP_CLIENT_ERROR_PROTOCOL,
			"%s sent a response we can't read: %s",
			client->config->host, error->message));
		g_error_free(error);
		return;
	}
	client_dispatch(client, resp);
	helpdesk_imap_response_free(resp);
}

static void client_literal_done(GObject *source, GAsyncResult *res,
				gpointer data)
{
	HelpdeskImapClient *client = data;
	GError *error = NULL;
	gsize got = 0;

	if (!g_input_stream_read_all_finish(G_INPUT_STREAM(source), res, &got,
					    &error) ||
	    got != client->literal_size) {
		if (error == NULL) {
			error = g_error_new(HELPDESK_IMAP_CLIENT_ERROR,
				HELPDESK_IMAP_CLIENT_ERROR_CLOSED,
				"%s closed the connection",
				client->config->host);
		}
		if (!g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
			client_fail(client, error);
		else
			g_error_free(error);
		client_unref(client);
		return;
	}
	g_byte_array_append(client->response, client->literal, (guint)got);
	g_clear_pointer(&client->literal, g_free);
	client_read_next(client);
	client_unref(client);
}

static void client_line_done(GObject *source, GAsyncResult *res,
			     gpointer data)
{
	HelpdeskImapClient *client = data;
	GError *error = NULL;
	gsize len;
	gchar *line;
	guint64 literal;

	line = g_data_input_stream_read_line_finish(G_DATA_INPUT_STREAM(source),
						    res, &len, &error);
	if (line == NULL) {
		if (error == NULL) {
			error = g_error_new(HELPDESK_IMAP_CLIENT_ERROR,
				HELPDESK_IMAP_CLIENT_ERROR_CLOSED,
				"%s closed the connection%s%s",
				client->config->host,
				client->bye_text != NULL ? ": " : "",
				client->bye_text != NULL ?
				client->bye_text : "");
		}
		if (!g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
			client_fail(client, error);
		else
			g_error_free(error);
		client_unref(client);
		return;
	}
	if (len > 0 && line[len - 1] == '\r')
		len--;
	if (client->idle_silence_id != 0) {
		/* the server is there: the silence starts again */
		g_source_remove(client->idle_silence_id);
		client->idle_silence_id = g_timeout_add_seconds(
			client->idle_silence, client_idle_silence, client);
	}
	if (client->response->len + len + 2 > HELPDESK_IMAP_MAX_RESPONSE) {
		g_free(line);
		client_fail(client, g_error_new(HELPDESK_IMAP_CLIENT_ERROR,
			HELPDESK_IMAP_CLIENT_ERROR_PROTOCOL,
			"%s sent a response of more than %u bytes",
			client->config->host, HELPDESK_IMAP_MAX_RESPONSE));
		client_unref(client);
		return;
	}
	g_byte_array_append(client->response, (const guint8 *)line,
			    (guint)len);
	g_byte_array_append(client->response, (const guint8 *)"\r\n", 2);
	if (helpdesk_imap_line_literal(line, len, &literal)) {
		g_free(line);
		if (literal > HELPDESK_IMAP_MAX_RESPONSE -
		    client->response->len) {
			client_fail(client, g_error_new(
				HELPDESK_IMAP_CLIENT_ERROR,
				HELPDESK_IMAP_CLIENT_ERROR_PROTOCOL,
				"%s sent a literal of %" G_GUINT64_FORMAT
				" bytes", client->config->host, literal));
			client_unref(client);
			return;
		}
		client->literal_size = literal;
		client->literal = g_malloc(literal + 1);
		g_input_stream_read_all_async(G_INPUT_STREAM(client->in),
					      client->literal, literal,
					      G_PRIORITY_DEFAULT,
					      client->cancel,
					      client_literal_done,
					      client_ref(client));
		client_unref(client);
		return;
	}
	g_free(line);
	client_response_done(client);
	client_read_next(client);
	client_unref(client);
}

static void client_read_next(HelpdeskImapClient *client)
{
	if (client->phase == PHASE_CLOSED ||
	    (client->pause_reading && client->response->len == 0 &&
	     client->current == NULL))
		return;
	g_data_input_stream_read_line_async(client->in, G_PRIORITY_DEFAULT,
					    client->cancel, client_line_done,
					    client_ref(client));
}

/* ------------------------------------------------------------ connect */

static void client_socket_event(GSocketClient *socket_client G_GNUC_UNUSED,
				GSocketClientEvent event,
				GSocketConnectable *connectable G_GNUC_UNUSED,
				GIOStream *connection, gpointer data)
{
	if (event == G_SOCKET_CLIENT_TLS_HANDSHAKING)
		client_prepare_tls(data, G_TLS_CONNECTION(connection));
}

static void client_connected(GObject *source, GAsyncResult *res,
			     gpointer data)
{
	HelpdeskImapClient *client = data;
	GError *error = NULL;
	GSocketConnection *conn;

	conn = g_socket_client_connect_to_host_finish(G_SOCKET_CLIENT(source),
						      res, &error);
	if (conn == NULL) {
		if (!g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
			if (client->tls_errors != 0) {
				error = client_tls_error(client, error);
			} else {
				g_prefix_error(&error, "%s:%u: ",
					       client->config->host,
					       client->config->port);
			}
			client_fail(client, error);
		} else {
			g_error_free(error);
		}
		client_unref(client);
		return;
	}
	/* with TLS it wraps the TLS connection, the socket is the same */
	client->socket_conn = conn;
	client_socket_options(client);
	client_set_streams(client, G_IO_STREAM(conn));
	client_read_next(client);
	client_unref(client);
}

void helpdesk_imap_client_connect(HelpdeskImapClient *client,
				  const gchar *password,
				  HelpdeskImapDoneFunc *done, gpointer user_data)
{
	GError *error = NULL;

	g_return_if_fail(client->phase == PHASE_NEW);
	client->phase = PHASE_CONNECTING;
	client->password = g_strdup(password);
	client->connect_done = done;
	client->connect_user_data = user_data;
	if (client->config->ca_file != NULL) {
		client->tls_database =
			g_tls_file_database_new(client->config->ca_file,
						&error);
		if (client->tls_database == NULL) {
			client_fail(client, g_error_new(
				HELPDESK_IMAP_CLIENT_ERROR,
				HELPDESK_IMAP_CLIENT_ERROR_CERTIFICATE,
				"ca_file %s: %s", client->config->ca_file,
				error->message));
			g_error_free(error);
			return;
		}
	}
	client->socket_client = g_socket_client_new();
	g_socket_client_set_timeout(client->socket_client,
				    CONNECT_TIMEOUT_SECS);
	if (client->config->security == HELPDESK_SECURITY_TLS) {
		g_socket_client_set_tls(client->socket_client, TRUE);
		g_signal_connect(client->socket_client, "event",
				 G_CALLBACK(client_socket_event), client);
	}
	client_timeout_set(client, CONNECT_TIMEOUT_SECS);
	g_socket_client_connect_to_host_async(client->socket_client,
					      client->config->host,
					      client->config->port,
					      client->cancel,
					      client_connected,
					      client_ref(client));
}
