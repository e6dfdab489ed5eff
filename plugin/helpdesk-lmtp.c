/* Copyright (c) 2026 dovecot-helpdesk authors, see the included COPYING file */

/* One message to one local user through Dovecot's LMTP service, waiting
   for the answer (for doveadm commands). */

#include "lib.h"
#include "ioloop.h"
#include "hostpid.h"
#include "istream.h"
#include "istream-concat.h"
#include "master-service.h"
#include "master-service-settings.h"
#include "smtp-address.h"
#include "smtp-reply.h"
#include "smtp-client.h"
#include "smtp-client-connection.h"
#include "smtp-client-transaction.h"
#include "smtp-client-private.h"
#include "helpdesk-lmtp.h"

struct helpdesk_lmtp_context {
	struct ioloop *ioloop;
	/* our reference, kept to read why connecting failed */
	struct smtp_client_connection *conn;
	/* NULL once lib-smtp has finished (and freed) it */
	struct smtp_client_transaction *trans;
	const char *socket_path;
	const char *rcpt;

	/* 1 delivered, 0 refused for good, -1 temporary failure */
	int ret;
	/* the first failure; i_malloc()ed, since callbacks run in data
	   stack frames of their own */
	char *error;
};

static void
helpdesk_lmtp_failed(struct helpdesk_lmtp_context *ctx, const char *command,
		     const struct smtp_reply *reply)
{
	if (ctx->error != NULL)
		return;
	/* lib-smtp reports its own failures (connect, timeout, lost
	   connection) as status >= 560: those are worth a retry */
	ctx->ret = smtp_reply_is_temp_fail(reply) ||
		!smtp_reply_is_remote(reply) ? -1 : 0;
	if (reply->status == SMTP_CLIENT_COMMAND_ERROR_CONNECT_FAILED &&
	    ctx->conn->connect_errno != 0) {
		/* the reply only says "Failed to connect to remote server" */
		ctx->error = i_strdup_printf("lmtp(%s): connect(%s) failed: %s",
			ctx->socket_path, ctx->socket_path,
			strerror(ctx->conn->connect_errno));
		return;
	}
	ctx->error = i_strdup_printf("lmtp(%s): %s for <%s> failed: %s",
				     ctx->socket_path, command, ctx->rcpt,
				     smtp_reply_log(reply));
}

static void
helpdesk_lmtp_rcpt_callback(const struct smtp_reply *reply,
			    struct helpdesk_lmtp_context *ctx)
{
	if (!smtp_reply_is_success(reply))
		helpdesk_lmtp_failed(ctx, "RCPT TO", reply);
}

/* LMTP answers DATA once per recipient: this is our recipient's answer. */
static void
helpdesk_lmtp_rcpt_data_callback(const struct smtp_reply *reply,
				 struct helpdesk_lmtp_context *ctx)
{
	if (!smtp_reply_is_success(reply))
		helpdesk_lmtp_failed(ctx, "DATA", reply);
	else if (ctx->error == NULL)
		ctx->ret = 1;
}

/* The transaction's DATA answer: for LMTP only the last recipient's,
   already seen by helpdesk_lmtp_rcpt_data_callback(). */
static void
helpdesk_lmtp_data_callback(const struct smtp_reply *reply ATTR_UNUSED,
			    struct helpdesk_lmtp_context *ctx ATTR_UNUSED)
{
}

/* Called once, however the transaction ended; lib-smtp frees it after. */
static void helpdesk_lmtp_finished(struct helpdesk_lmtp_context *ctx)
{
	ctx->trans = NULL;
	io_loop_stop(ctx->ioloop);
}

/* lib-smtp 2.3.19 (unchanged up to 2.3.21 and main) panics when
   connecting to a UNIX socket fails: smtp_client_connection_fail() asks
   smtp_client_connection_last_ip(), which asserts prev_connect_idx <
   ips_count, and a UNIX connection has no addresses. One dummy address
   (never used: connecting goes by conn->path) makes the failed connect
   "the last address", ending in an ordinary CONNECT_FAILED reply. The
   connection frees ips. */
static void
helpdesk_lmtp_unix_connect_fix(struct smtp_client_connection *conn)
{
	i_assert(conn->path != NULL);
	if (conn->ips_count == 0) {
		conn->ips_count = 1;
		conn->ips = i_new(struct ip_addr, 1);
		conn->prev_connect_idx = 0;
	}
}

/* The message as LMTP must get it: lib-smtp turns LF into CRLF, but a
   message without a final line end would be stored without one when the
   server takes BDAT (Dovecot's LMTP does), so add it. */
static struct istream *helpdesk_lmtp_input(const void *data, size_t size)
{
	const unsigned char *p = data;
	struct istream *inputs[3], *input;

	input = i_stream_create_from_data(data, size);
	if (size > 0 && p[size - 1] == '\n')
		return input;

	inputs[0] = input;
	inputs[1] = size > 0 && p[size - 1] == '\r' ?
		i_stream_create_from_data("\n", 1) :
		i_stream_create_from_data("\r\n", 2);
	inputs[2] = NULL;
	input = i_stream_create_concat(inputs);
	i_stream_unref(&inputs[0]);
	i_stream_unref(&inputs[1]);
	return input;
}

int helpdesk_lmtp_deliver(const char *socket_path, const char *rcpt,
			  const void *data, size_t size,
			  unsigned int timeout_msecs, const char **error_r)
{
	struct helpdesk_lmtp_context ctx;
	struct smtp_client_settings smtp_set;
	struct smtp_client *client;
	struct smtp_address *rcpt_addr;
	struct ioloop *prev_ioloop = current_ioloop;
	struct istream *input;
	const char *error;

	if (smtp_address_parse_username(pool_datastack_create(), rcpt,
					&rcpt_addr, &error) < 0) {
		*error_r = t_strdup_printf("lmtp(%s): invalid recipient "
					   "<%s>: %s", socket_path, rcpt, error);
		return 0;
	}

	i_zero(&ctx);
	ctx.socket_path = socket_path;
	ctx.rcpt = rcpt;
	ctx.ret = -1;
	/* everything lib-smtp adds (ios, timeouts) lands in this ioloop,
	   so the caller's loop sees none of it */
	ctx.ioloop = io_loop_create();
	io_loop_set_running(ctx.ioloop);

	i_zero(&smtp_set);
	smtp_set.my_hostname = my_hostname;
	smtp_set.connect_timeout_msecs = timeout_msecs;
	smtp_set.command_timeout_msecs = timeout_msecs;
	client = smtp_client_init(&smtp_set);
	ctx.conn = smtp_client_connection_create_unix(client,
		SMTP_PROTOCOL_LMTP, socket_path, NULL);
	helpdesk_lmtp_unix_connect_fix(ctx.conn);
	/* mail_from NULL: MAIL FROM:<> */
	ctx.trans = smtp_client_transaction_create(ctx.conn, NULL, NULL, 0,
						   helpdesk_lmtp_finished,
						   &ctx);
	/* counts from _send(), so it bounds connecting too */
	if (timeout_msecs > 0)
		smtp_client_transaction_set_timeout(ctx.trans, timeout_msecs);
	smtp_client_transaction_add_rcpt(ctx.trans, rcpt_addr, NULL,
					 helpdesk_lmtp_rcpt_callback,
					 helpdesk_lmtp_rcpt_data_callback,
					 &ctx);
	input = helpdesk_lmtp_input(data, size);
	smtp_client_transaction_send(ctx.trans, input,
				     helpdesk_lmtp_data_callback, &ctx);
	i_stream_unref(&input);

	/* failures found while starting may have finished it already */
	if (io_loop_is_running(ctx.ioloop))
		io_loop_run(ctx.ioloop);

	if (ctx.trans != NULL)
		smtp_client_transaction_destroy(&ctx.trans);
	smtp_client_connection_unref(&ctx.conn);
	smtp_client_deinit(&client);
	io_loop_set_current(ctx.ioloop);
	io_loop_destroy(&ctx.ioloop);
	if (prev_ioloop != NULL)
		io_loop_set_current(prev_ioloop);

	if (ctx.ret > 0) {
		i_assert(ctx.error == NULL);
		*error_r = NULL;
	} else if (ctx.error == NULL) {
		*error_r = t_strdup_printf("lmtp(%s): delivery to <%s> ended "
					   "without an answer", socket_path,
					   rcpt);
	} else {
		*error_r = t_strdup(ctx.error);
	}
	i_free(ctx.error);
	return ctx.ret;
}

const char *helpdesk_lmtp_socket_path(void)
{
	const struct master_service_settings *set =
		master_service_settings_get(master_service);

	return t_strconcat(set->base_dir, "/lmtp", NULL);
}
