#ifndef HELPDESK_NOTIFIER_CONFIG_H
#define HELPDESK_NOTIFIER_CONFIG_H

/* helpdesk-notifier's configuration: one GKeyFile, every key with its
   default here and in helpdesk-notifier(1). */

#include <glib.h>

typedef enum {
	HELPDESK_SECURITY_TLS,
	HELPDESK_SECURITY_STARTTLS,
	/* plain text: accepted only for a loopback host */
	HELPDESK_SECURITY_NONE,
} HelpdeskSecurity;

typedef struct {
	/* [server] */
	gchar *host;
	guint16 port;
	gchar *user;
	HelpdeskSecurity security;
	/* the first line of its output is the password; NULL: the Secret
	   Service */
	gchar *password_command;
	/* a PEM file of CA certificates to trust instead of the system's
	   (a private CA); NULL: the system's */
	gchar *ca_file;
	/* the queue mailboxes (UTF-8 names), at least one */
	gchar **queues;
	/* the plugin's helpdesk_keyword_prefix */
	gchar *keyword_prefix;

	/* [notifications] */
	/* run by "Open" with %u replaced by the message's imap:// URL;
	   NULL: no Open button */
	gchar *open_command;
	/* more new tickets than this within the grouping window make one
	   notification "N new tickets" */
	guint burst;
	/* how often the game's METADATA is read besides after the agent's
	   own actions, seconds */
	guint game_interval;
	/* set the agent available while running, away on quit */
	gboolean availability;

	/* where the state lives (what was already announced) */
	gchar *state_dir;
} HelpdeskNotifierConfig;

/* The default file: $XDG_CONFIG_HOME/helpdesk-notifier/config. */
gchar *helpdesk_notifier_config_default_path(void);

/* Load and check the file. Returns NULL with *error naming the file, the
   group and the key on anything missing or invalid. */
HelpdeskNotifierConfig *helpdesk_notifier_config_load(const gchar *path,
						      GError **error);
/* The same from a string (the unit tests). */
HelpdeskNotifierConfig *
helpdesk_notifier_config_load_data(const gchar *data, const gchar *name,
				   GError **error);
void helpdesk_notifier_config_free(HelpdeskNotifierConfig *config);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(HelpdeskNotifierConfig,
			      helpdesk_notifier_config_free)

/* Whether host names this machine (localhost, 127.0.0.0/8, ::1). */
gboolean helpdesk_notifier_host_is_loopback(const gchar *host);

#endif
