/* Copyright (c) 2026 dovecot-helpdesk authors, see the included COPYING file */

/* An agent's client lists the queue without a manual step: Thunderbird,
   as a fresh install sets it up, shows only subscribed folders, and a
   public queue is subscribed by nobody. At an agent's IMAP login each
   queue mailbox and the resolved mailbox the agent can open is
   subscribed -- once: the names subscribed are remembered in a file in
   the user's home, so an agent who unsubscribes one stays unsubscribed
   (as with the views, helpdesk-views.c). */

#include "lib.h"
#include "str.h"
#include "istream.h"
#include "hostpid.h"
#include "write-full.h"
#include "mail-namespace.h"
#include "mail-storage-private.h"
#include "helpdesk-plugin.h"
#include "helpdesk-subscribe.h"

#include <stdio.h>
#include <unistd.h>
#include <fcntl.h>

#define HELPDESK_SUBSCRIBED_FNAME ".helpdesk-subscribed"
/* a mailbox name is at most this long in the file */
#define HELPDESK_SUBSCRIBED_MAX_LINE 1024

/* The names subscribed before (data stack), or NULL on a read error. */
static const char *const *
subscribe_file_read(const char *path, const char **error_r)
{
	ARRAY_TYPE(const_string) names;
	struct istream *input;
	const char *line;
	int fd;

	t_array_init(&names, 4);
	fd = open(path, O_RDONLY);
	if (fd == -1 && errno != ENOENT) {
		*error_r = t_strdup_printf("open(%s) failed: %m", path);
		return NULL;
	}
	if (fd != -1) {
		input = i_stream_create_fd_autoclose(&fd,
				HELPDESK_SUBSCRIBED_MAX_LINE);
		while ((line = i_stream_read_next_line(input)) != NULL) {
			line = t_strdup(line);
			array_push_back(&names, &line);
		}
		if (input->stream_errno != 0) {
			*error_r = t_strdup_printf("read(%s) failed: %s", path,
						   i_stream_get_error(input));
			i_stream_unref(&input);
			return NULL;
		}
		i_stream_unref(&input);
	}
	array_append_zero(&names);
	return array_front(&names);
}

/* Write the names (atomically: a temporary file, then rename()). */
static int
subscribe_file_write(const char *path, const char *const *names,
		 const char **error_r)
{
	const char *tmp_path;
	string_t *content = t_str_new(128);
	int fd;

	for (; *names != NULL; names++)
		str_printfa(content, "%s\n", *names);
	tmp_path = t_strdup_printf("%s.%s.%s.tmp", path, my_hostname, my_pid);
	fd = open(tmp_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd == -1) {
		*error_r = t_strdup_printf("open(%s) failed: %m", tmp_path);
		return -1;
	}
	if (write_full(fd, str_data(content), str_len(content)) < 0) {
		*error_r = t_strdup_printf("write(%s) failed: %m", tmp_path);
		i_close_fd(&fd);
		i_unlink_if_exists(tmp_path);
		return -1;
	}
	if (close(fd) < 0 || rename(tmp_path, path) < 0) {
		*error_r = t_strdup_printf("writing %s failed: %m", path);
		i_unlink_if_exists(tmp_path);
		return -1;
	}
	return 0;
}

/* Subscribe vname when this user can open it. Returns 1 when subscribed
   (or it was already), 0 when the user can't see it, -1 on error. */
static int
subscribe_one(struct mail_user *user, const char *vname, const char **error_r)
{
	struct mail_namespace *ns;
	struct mailbox *box;
	enum mailbox_existence existence;
	enum mail_error error;
	int ret;

	ns = mail_namespace_find(user->namespaces, vname);
	if (ns == NULL)
		return 0;
	box = mailbox_alloc(ns->list, vname, 0);
	if (mailbox_exists(box, FALSE, &existence) < 0) {
		*error_r = mailbox_get_last_error(box, &error);
		ret = error == MAIL_ERROR_PERM ? 0 : -1;
	} else if (existence != MAILBOX_EXISTENCE_SELECT) {
		ret = 0;
	} else if (mailbox_set_subscribed(box, TRUE) < 0) {
		*error_r = mailbox_get_last_error(box, &error);
		ret = -1;
	} else {
		ret = 1;
	}
	mailbox_free(&box);
	return ret;
}

static void subscribe_user(struct helpdesk_user *huser, struct mail_user *user,
			   const char *home)
{
	ARRAY_TYPE(const_string) wanted, done;
	const char *path, *const *before, *vname, *error = NULL;
	bool changed = FALSE;
	int ret;

	t_array_init(&wanted, 4);
	array_append(&wanted, huser->set.queues,
		     str_array_length(huser->set.queues));
	if (huser->set.resolved_mailbox != NULL)
		array_push_back(&wanted, &huser->set.resolved_mailbox);

	path = t_strconcat(home, "/"HELPDESK_SUBSCRIBED_FNAME, NULL);
	before = subscribe_file_read(path, &error);
	if (before == NULL) {
		e_error(huser->event, "subscriptions: %s", error);
		return;
	}
	t_array_init(&done, 4);
	array_append(&done, before, str_array_length(before));
	array_foreach_elem(&wanted, vname) {
		if (str_array_find(before, vname))
			continue;
		ret = subscribe_one(user, vname, &error);
		if (ret < 0) {
			e_warning(huser->event, "subscriptions: subscribing "
				  "%s failed: %s", vname, error);
		} else if (ret > 0) {
			e_debug(huser->event, "subscriptions: subscribed %s",
				vname);
			array_push_back(&done, &vname);
			changed = TRUE;
		}
	}
	if (!changed)
		return;
	array_append_zero(&done);
	if (subscribe_file_write(path, array_front(&done), &error) < 0)
		e_error(huser->event, "subscriptions: %s", error);
}

void helpdesk_subscribe_namespaces_created(struct mail_namespace *namespaces)
{
	struct mail_user *user = namespaces->user;
	struct helpdesk_user *huser = HELPDESK_USER_CONTEXT(user);
	const char *home;

	/* agents' own IMAP sessions only */
	if (huser == NULL || user->autocreated ||
	    strcmp(user->service, "imap") != 0)
		return;
	if (mail_user_get_home(user, &home) <= 0)
		return;
	T_BEGIN {
		subscribe_user(huser, user, home);
	} T_END;
}
