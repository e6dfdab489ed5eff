#ifndef HELPDESK_NOTIFIER_PASSWORD_H
#define HELPDESK_NOTIFIER_PASSWORD_H

/* The agent's IMAP password: from password_command, or from the Secret
   Service (libsecret), never from the configuration file. */

#include "helpdesk-notifier-config.h"

/* The password, or NULL with *error saying where it was looked for. */
gchar *helpdesk_notifier_password_get(const HelpdeskNotifierConfig *config,
				      GError **error);
/* Store a password in the Secret Service for this server and user. */
gboolean helpdesk_notifier_password_store(const HelpdeskNotifierConfig *config,
					  const gchar *password,
					  GError **error);
/* Wipe and free. */
void helpdesk_notifier_password_free(gchar *password);

#endif
