/* The notifier's state files and its lock. */

#include "helpdesk-notifier-state.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

/* name with everything but letters, digits, - and _ as %XX */
static gchar *state_escape(const gchar *name)
{
	GString *str = g_string_new(NULL);
	const gchar *p;

	for (p = name; *p != '\0'; p++) {
		if (g_ascii_isalnum(*p) || *p == '-' || *p == '_')
			g_string_append_c(str, *p);
		else
			g_string_append_printf(str, "%%%02X", (guchar)*p);
	}
	return g_string_free(str, FALSE);
}

gchar *helpdesk_notifier_state_dir(const HelpdeskNotifierConfig *config)
{
	g_autofree gchar *account = g_strdup_printf("%s@%s", config->user,
						    config->host);
	g_autofree gchar *safe = state_escape(account);

	return g_build_filename(config->state_dir, safe, NULL);
}

gchar *helpdesk_notifier_state_path(const gchar *dir, const gchar *mailbox)
{
	g_autofree gchar *safe = state_escape(mailbox);
	g_autofree gchar *file = g_strconcat(safe, ".state", NULL);

	return g_build_filename(dir, file, NULL);
}

void helpdesk_notifier_state_write(const gchar *path, const gchar *text)
{
	g_autofree gchar *dir = g_path_get_dirname(path);
	g_autoptr(GError) error = NULL;

	if (g_mkdir_with_parents(dir, 0700) < 0 ||
	    !g_file_set_contents_full(path, text, -1,
				      G_FILE_SET_CONTENTS_CONSISTENT, 0600,
				      &error)) {
		g_warning("cannot save %s: %s", path,
			  error != NULL ? error->message : g_strerror(errno));
	}
}

void helpdesk_notifier_state_game_save(const gchar *path,
				       const gchar *stats_json, guint rank,
				       const gchar *rank_day)
{
	g_autoptr(GKeyFile) kf = g_key_file_new();
	g_autofree gchar *data = NULL;

	g_key_file_set_string(kf, "game", "stats", stats_json);
	g_key_file_set_integer(kf, "game", "rank", (gint)rank);
	g_key_file_set_string(kf, "game", "rank_day",
			      rank_day != NULL ? rank_day : "");
	data = g_key_file_to_data(kf, NULL, NULL);
	helpdesk_notifier_state_write(path, data);
}

HelpdeskGameStats *helpdesk_notifier_state_game_load(const gchar *path,
						     guint *rank_r,
						     gchar **rank_day_r)
{
	g_autoptr(GKeyFile) kf = g_key_file_new();
	g_autofree gchar *json = NULL;

	if (!g_key_file_load_from_file(kf, path, G_KEY_FILE_NONE, NULL))
		return NULL;
	json = g_key_file_get_string(kf, "game", "stats", NULL);
	*rank_r = (guint)MAX(g_key_file_get_integer(kf, "game", "rank", NULL),
			     0);
	g_free(*rank_day_r);
	*rank_day_r = g_key_file_get_string(kf, "game", "rank_day", NULL);
	return json == NULL ? NULL : helpdesk_game_stats_parse(json, NULL);
}

int helpdesk_notifier_state_lock(const gchar *dir,
				 const HelpdeskNotifierConfig *config,
				 GError **error)
{
	g_autofree gchar *path = g_build_filename(dir, "lock", NULL);
	int fd;

	if (g_mkdir_with_parents(dir, 0700) < 0) {
		g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno),
			    "%s: %s", dir, g_strerror(errno));
		return -1;
	}
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0) {
		g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno),
			    "%s: %s", path, g_strerror(errno));
		return -1;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_EXIST,
			    "another helpdesk-notifier runs for %s@%s (%s is "
			    "locked)", config->user, config->host, path);
		(void)close(fd);
		return -1;
	}
	return fd;
}
