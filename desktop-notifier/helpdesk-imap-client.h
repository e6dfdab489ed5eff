#ifndef HELPDESK_IMAP_CLIENT_H
#define HELPDESK_IMAP_CLIENT_H

/* The notifier's IMAP connection on GIO: connect (TLS checked by default,
   STARTTLS, or plain text to a loopback host), log in, run one command
   at a time, and IDLE whenever there is nothing else to do (re-issued
   before the server's 30-minute timeout). Everything is asynchronous on
   the thread-default main context; a dead peer is noticed by TCP
   keepalive and by commands that get no answer. */

#include "helpdesk-imap-parse.h"
#include "helpdesk-notifier-config.h"

#include <gio/gio.h>

typedef struct _HelpdeskImapClient HelpdeskImapClient;

/* An untagged response that isn't the client's own business (EXISTS,
   FETCH, VANISHED, METADATA, ...). */
typedef void HelpdeskImapUntaggedFunc(HelpdeskImapClient *client,
				      const HelpdeskImapResponse *resp,
				      gpointer user_data);
/* The connection is gone (error says why: BYE, I/O, timeout); called
   once, never after helpdesk_imap_client_close(). */
typedef void HelpdeskImapClosedFunc(HelpdeskImapClient *client,
				    const GError *error, gpointer user_data);
/* A command (or the login) finished: tagged is its tagged response
   (OK, NO or BAD), or NULL with error when the connection failed before
   it. */
typedef void HelpdeskImapDoneFunc(HelpdeskImapClient *client,
				  const HelpdeskImapResponse *tagged,
				  const GError *error, gpointer user_data);

#define HELPDESK_IMAP_CLIENT_ERROR (helpdesk_imap_client_error_quark())
GQuark helpdesk_imap_client_error_quark(void);

typedef enum {
	/* the server said BYE, or closed the connection */
	HELPDESK_IMAP_CLIENT_ERROR_CLOSED,
	/* no answer in time */
	HELPDESK_IMAP_CLIENT_ERROR_TIMEOUT,
	/* the server's certificate was refused */
	HELPDESK_IMAP_CLIENT_ERROR_CERTIFICATE,
	/* the login was refused (NO [AUTHENTICATIONFAILED] ...) */
	HELPDESK_IMAP_CLIENT_ERROR_AUTH,
	/* the server breaks the protocol, or lacks something we need */
	HELPDESK_IMAP_CLIENT_ERROR_PROTOCOL,
} HelpdeskImapClientError;

HelpdeskImapClient *
helpdesk_imap_client_new(const HelpdeskNotifierConfig *config,
			 HelpdeskImapUntaggedFunc *untagged,
			 HelpdeskImapClosedFunc *closed, gpointer user_data);
/* Close without calling back, and release. */
void helpdesk_imap_client_free(HelpdeskImapClient *client);

/* Connect and log in; done gets the LOGIN's tagged OK, or an error. */
void helpdesk_imap_client_connect(HelpdeskImapClient *client,
				  const gchar *password,
				  HelpdeskImapDoneFunc *done, gpointer user_data);
/* Queue a command (without its tag, no CRLF). */
void helpdesk_imap_client_command(HelpdeskImapClient *client,
				  const gchar *command,
				  HelpdeskImapDoneFunc *done, gpointer user_data);
/* Stay in IDLE whenever no command runs (or don't). */
void helpdesk_imap_client_set_idle(HelpdeskImapClient *client, gboolean idle);
/* Close now; pending commands fail, no closed callback. */
void helpdesk_imap_client_close(HelpdeskImapClient *client);

/* How many clients still exist (freed ones whose cancelled operations
   have not called back yet included): exit waits for 0. */
guint helpdesk_imap_client_count(void);

gboolean helpdesk_imap_client_has_capability(HelpdeskImapClient *client,
					     const gchar *capability);
gboolean helpdesk_imap_client_is_ready(HelpdeskImapClient *client);

/* The status text of a tagged response, for messages: "NO [NOPERM]
   Only a team lead can ...". */
gchar *helpdesk_imap_response_describe(const HelpdeskImapResponse *resp);

#endif
