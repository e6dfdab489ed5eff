/* Where the notifier's password comes from: a command's first output line
   or the Secret Service. */

#include "helpdesk-notifier-password.h"

#include <libsecret/secret.h>
#include <string.h>

static const SecretSchema password_schema = {
	"org.dovecot.helpdesk.Notifier", SECRET_SCHEMA_NONE,
	{
		{ "host", SECRET_SCHEMA_ATTRIBUTE_STRING },
		{ "user", SECRET_SCHEMA_ATTRIBUTE_STRING },
		{ NULL, 0 },
	},
	0, NULL, NULL, NULL, NULL, NULL, NULL, NULL
};

void helpdesk_notifier_password_free(gchar *password)
{
	if (password == NULL)
		return;
	memset(password, 0, strlen(password));
	g_free(password);
}

static gchar *password_from_command(const gchar *command, GError **error)
{
	const gchar *argv[] = { "/bin/sh", "-c", command, NULL };
	gchar *out = NULL, *err = NULL, *nl, *password;
	gint status;

	if (!g_spawn_sync(NULL, (gchar **)argv, NULL, G_SPAWN_DEFAULT, NULL,
			  NULL, &out, &err, &status, error)) {
		g_prefix_error(error, "password_command: ");
		return NULL;
	}
	g_free(err);
	if (!g_spawn_check_wait_status(status, error)) {
		g_prefix_error(error, "password_command '%s' failed: ",
			       command);
		helpdesk_notifier_password_free(out);
		return NULL;
	}
	nl = strpbrk(out, "\r\n");
	if (nl != NULL)
		*nl = '\0';
	if (*out == '\0') {
		g_set_error(error, G_SPAWN_ERROR, G_SPAWN_ERROR_FAILED,
			    "password_command '%s' printed no password",
			    command);
		helpdesk_notifier_password_free(out);
		return NULL;
	}
	password = g_strdup(out);
	helpdesk_notifier_password_free(out);
	return password;
}

gchar *helpdesk_notifier_password_get(const HelpdeskNotifierConfig *config,
				      GError **error)
{
	GError *err = NULL;
	gchar *secret, *password;

	if (config->password_command != NULL)
		return password_from_command(config->password_command, error);
	secret = secret_password_lookup_sync(&password_schema, NULL, &err,
					     "host", config->host,
					     "user", config->user, NULL);
	if (secret == NULL) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
			    "no password for %s@%s: set password_command in "
			    "the configuration, or store one with "
			    "helpdesk-notifier --store-password%s%s%s",
			    config->user, config->host,
			    err != NULL ? " (Secret Service: " : "",
			    err != NULL ? err->message : "",
			    err != NULL ? ")" : "");
		g_clear_error(&err);
		return NULL;
	}
	password = g_strdup(secret);
	secret_password_free(secret);
	return password;
}

gboolean helpdesk_notifier_password_store(const HelpdeskNotifierConfig *config,
					  const gchar *password,
					  GError **error)
{
	g_autofree gchar *label = g_strdup_printf(
		"Helpdesk notifier: %s@%s", config->user, config->host);

	return secret_password_store_sync(&password_schema,
					  SECRET_COLLECTION_DEFAULT, label,
					  password, NULL, error,
					  "host", config->host,
					  "user", config->user, NULL);
}
