/* helpdesk-notifier's configuration file: a GKeyFile with [server] and
   [notifications]; every key, its default and its check live here. */

#include "helpdesk-notifier-config.h"

#include <gio/gio.h>
#include <string.h>

#define DEFAULT_QUEUE "Public/Queue"
#define DEFAULT_PREFIX "hd-"
#define DEFAULT_BURST 3
#define DEFAULT_GAME_INTERVAL 300
#define MIN_GAME_INTERVAL 30

gchar *helpdesk_notifier_config_default_path(void)
{
	return g_build_filename(g_get_user_config_dir(), "helpdesk-notifier",
				"config", NULL);
}

gboolean helpdesk_notifier_host_is_loopback(const gchar *host)
{
	g_autoptr(GInetAddress) addr = NULL;

	if (g_ascii_strcasecmp(host, "localhost") == 0 ||
	    g_str_has_suffix(host, ".localhost"))
		return TRUE;
	addr = g_inet_address_new_from_string(host);
	return addr != NULL && g_inet_address_get_is_loopback(addr);
}

static gboolean config_error(GError **error, const gchar *name,
			     const gchar *group, const gchar *key,
			     const gchar *fmt, ...) G_GNUC_PRINTF(5, 6);

static gboolean config_error(GError **error, const gchar *name,
			     const gchar *group, const gchar *key,
			     const gchar *fmt, ...)
{
	g_autofree gchar *msg = NULL;
	va_list args;

	va_start(args, fmt);
	msg = g_strdup_vprintf(fmt, args);
	va_end(args);
	g_set_error(error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
		    "%s: [%s] %s: %s", name, group, key, msg);
	return FALSE;
}

/* A string key: NULL when absent or empty; FALSE on another error. */
static gboolean config_string(GKeyFile *kf, const gchar *name,
			      const gchar *group, const gchar *key,
			      gchar **value_r, GError **error)
{
	g_autoptr(GError) err = NULL;
	gchar *value;

	*value_r = NULL;
	value = g_key_file_get_string(kf, group, key, &err);
	if (value == NULL) {
		if (g_error_matches(err, G_KEY_FILE_ERROR,
				    G_KEY_FILE_ERROR_KEY_NOT_FOUND) ||
		    g_error_matches(err, G_KEY_FILE_ERROR,
				    G_KEY_FILE_ERROR_GROUP_NOT_FOUND))
			return TRUE;
		return config_error(error, name, group, key, "%s",
				    err->message);
	}
	g_strstrip(value);
	if (*value == '\0') {
		g_free(value);
		return TRUE;
	}
	*value_r = value;
	return TRUE;
}

/* An unsigned key within [min, max], def when absent. */
static gboolean config_uint(GKeyFile *kf, const gchar *name,
			    const gchar *group, const gchar *key, guint def,
			    guint min, guint max, guint *value_r,
			    GError **error)
{
	g_autofree gchar *str = NULL;
	guint64 value;

	if (!config_string(kf, name, group, key, &str, error))
		return FALSE;
	if (str == NULL) {
		*value_r = def;
		return TRUE;
	}
	if (!g_ascii_string_to_unsigned(str, 10, min, max, &value, NULL)) {
		return config_error(error, name, group, key,
				    "'%s' is not a number from %u to %u", str,
				    min, max);
	}
	*value_r = (guint)value;
	return TRUE;
}

static gboolean config_check_keys(GKeyFile *kf, const gchar *name,
				  GError **error)
{
	static const gchar *const server_keys[] = {
		"host", "port", "user", "security", "password_command",
		"ca_file", "queue", "keyword_prefix", NULL
	};
	static const gchar *const notify_keys[] = {
		"open_command", "burst", "game_interval", "availability", NULL
	};
	g_auto(GStrv) groups = g_key_file_get_groups(kf, NULL);
	guint i, j;

	for (i = 0; groups[i] != NULL; i++) {
		const gchar *const *known;
		g_auto(GStrv) keys = NULL;

		if (strcmp(groups[i], "server") == 0)
			known = server_keys;
		else if (strcmp(groups[i], "notifications") == 0)
			known = notify_keys;
		else {
			g_set_error(error, G_KEY_FILE_ERROR,
				    G_KEY_FILE_ERROR_GROUP_NOT_FOUND,
				    "%s: unknown group [%s] (known: [server], "
				    "[notifications])", name, groups[i]);
			return FALSE;
		}
		keys = g_key_file_get_keys(kf, groups[i], NULL, NULL);
		for (j = 0; keys != NULL && keys[j] != NULL; j++) {
			if (!g_strv_contains(known, keys[j])) {
				g_set_error(error, G_KEY_FILE_ERROR,
					    G_KEY_FILE_ERROR_KEY_NOT_FOUND,
					    "%s: [%s] unknown key %s", name,
					    groups[i], keys[j]);
				return FALSE;
			}
		}
	}
	return TRUE;
}

static gboolean config_server(GKeyFile *kf, const gchar *name,
			      HelpdeskNotifierConfig *config, GError **error)
{
	g_autofree gchar *security = NULL;
	g_auto(GStrv) queues = NULL;
	guint port, i;

	if (!config_string(kf, name, "server", "host", &config->host, error) ||
	    !config_string(kf, name, "server", "user", &config->user, error) ||
	    !config_string(kf, name, "server", "security", &security, error) ||
	    !config_string(kf, name, "server", "password_command",
			   &config->password_command, error) ||
	    !config_string(kf, name, "server", "ca_file", &config->ca_file,
			   error) ||
	    !config_string(kf, name, "server", "keyword_prefix",
			   &config->keyword_prefix, error))
		return FALSE;
	if (config->host == NULL)
		return config_error(error, name, "server", "host",
				    "missing (the IMAP server's name)");
	if (config->user == NULL)
		return config_error(error, name, "server", "user",
				    "missing (the agent's IMAP login)");
	if (security == NULL || strcmp(security, "tls") == 0)
		config->security = HELPDESK_SECURITY_TLS;
	else if (strcmp(security, "starttls") == 0)
		config->security = HELPDESK_SECURITY_STARTTLS;
	else if (strcmp(security, "none") == 0) {
		if (!helpdesk_notifier_host_is_loopback(config->host)) {
			return config_error(error, name, "server", "security",
				"'none' sends the password in clear text: it "
				"is accepted only for a loopback host, not %s",
				config->host);
		}
		config->security = HELPDESK_SECURITY_NONE;
	} else {
		return config_error(error, name, "server", "security",
				    "'%s' is not tls, starttls or none",
				    security);
	}
	if (!config_uint(kf, name, "server", "port",
			 config->security == HELPDESK_SECURITY_TLS ? 993 : 143,
			 1, 65535, &port, error))
		return FALSE;
	config->port = (guint16)port;
	if (config->ca_file != NULL &&
	    !g_file_test(config->ca_file, G_FILE_TEST_IS_REGULAR)) {
		return config_error(error, name, "server", "ca_file",
				    "%s is not a file", config->ca_file);
	}
	if (config->keyword_prefix == NULL)
		config->keyword_prefix = g_strdup(DEFAULT_PREFIX);

	queues = g_key_file_get_string_list(kf, "server", "queue", NULL, NULL);
	if (queues == NULL || queues[0] == NULL) {
		config->queues = g_new0(gchar *, 2);
		config->queues[0] = g_strdup(DEFAULT_QUEUE);
		return TRUE;
	}
	for (i = 0; queues[i] != NULL; i++) {
		g_strstrip(queues[i]);
		if (*queues[i] == '\0' || !g_utf8_validate(queues[i], -1, NULL))
			return config_error(error, name, "server", "queue",
					    "an empty or invalid mailbox name");
	}
	config->queues = g_steal_pointer(&queues);
	return TRUE;
}

static gboolean config_notifications(GKeyFile *kf, const gchar *name,
				     HelpdeskNotifierConfig *config,
				     GError **error)
{
	g_autofree gchar *avail = NULL;

	if (!config_string(kf, name, "notifications", "open_command",
			   &config->open_command, error) ||
	    !config_uint(kf, name, "notifications", "burst", DEFAULT_BURST,
			 1, 1000, &config->burst, error) ||
	    !config_uint(kf, name, "notifications", "game_interval",
			 DEFAULT_GAME_INTERVAL, MIN_GAME_INTERVAL, 86400,
			 &config->game_interval, error) ||
	    !config_string(kf, name, "notifications", "availability", &avail,
			   error))
		return FALSE;
	if (config->open_command != NULL &&
	    strstr(config->open_command, "%u") == NULL) {
		return config_error(error, name, "notifications",
				    "open_command",
				    "'%s' has no %%u for the message's URL",
				    config->open_command);
	}
	if (avail == NULL || g_ascii_strcasecmp(avail, "yes") == 0 ||
	    g_ascii_strcasecmp(avail, "true") == 0)
		config->availability = TRUE;
	else if (g_ascii_strcasecmp(avail, "no") == 0 ||
		 g_ascii_strcasecmp(avail, "false") == 0)
		config->availability = FALSE;
	else
		return config_error(error, name, "notifications",
				    "availability", "'%s' is not yes or no",
				    avail);
	return TRUE;
}

HelpdeskNotifierConfig *
helpdesk_notifier_config_load_data(const gchar *data, const gchar *name,
				   GError **error)
{
	g_autoptr(GKeyFile) kf = g_key_file_new();
	g_autoptr(HelpdeskNotifierConfig) config = NULL;
	g_autoptr(GError) err = NULL;

	if (!g_key_file_load_from_data(kf, data, (gsize)-1, G_KEY_FILE_NONE,
				       &err)) {
		g_set_error(error, G_KEY_FILE_ERROR, err->code, "%s: %s",
			    name, err->message);
		return NULL;
	}
	config = g_new0(HelpdeskNotifierConfig, 1);
	if (!config_check_keys(kf, name, error) ||
	    !config_server(kf, name, config, error) ||
	    !config_notifications(kf, name, config, error))
		return NULL;
	config->state_dir = g_build_filename(g_get_user_state_dir(),
					     "helpdesk-notifier", NULL);
	return g_steal_pointer(&config);
}

HelpdeskNotifierConfig *helpdesk_notifier_config_load(const gchar *path,
						      GError **error)
{
	g_autofree gchar *data = NULL;
	g_autoptr(GError) err = NULL;

	if (!g_file_get_contents(path, &data, NULL, &err)) {
		g_set_error(error, G_FILE_ERROR, err->code,
			    "%s (write one with [server] host=, user=; see "
			    "helpdesk-notifier(1))", err->message);
		return NULL;
	}
	return helpdesk_notifier_config_load_data(data, path, error);
}

void helpdesk_notifier_config_free(HelpdeskNotifierConfig *config)
{
	if (config == NULL)
		return;
	g_free(config->host);
	g_free(config->user);
	g_free(config->password_command);
	g_free(config->ca_file);
	g_strfreev(config->queues);
	g_free(config->keyword_prefix);
	g_free(config->open_command);
	g_free(config->state_dir);
	g_free(config);
}
