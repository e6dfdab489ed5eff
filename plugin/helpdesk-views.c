/* Copyright (c) 2026 dovecot-helpdesk authors, see the included COPYING file */

/* Agent views: per-user virtual mailboxes over the queue mailboxes, made
   from Dovecot's virtual plugin. The admin configures one namespace with
   location = virtual:~/DIR for everyone; this file writes each agent's
   definitions (dovecot-virtual files) into it when the agent's IMAP
   session starts, before the first LIST or SELECT can read them. */

#include "lib.h"
#include "str.h"
#include "str-sanitize.h"
#include "hostpid.h"
#include "mkdir-parents.h"
#include "write-full.h"
#include "mail-namespace.h"
#include "mail-storage-settings.h"
#include "mail-storage-private.h"
#include "helpdesk-plugin.h"
#include "helpdesk-viewdef.h"
#include "helpdesk-views.h"

#include <stdio.h>
#include <unistd.h>
#include <fcntl.h>
#include <sys/stat.h>

/* the virtual plugin's storage name and definition file name */
#define HELPDESK_VIRTUAL_STORAGE "virtual"
#define HELPDESK_VIRTUAL_CONFIG_FNAME "dovecot-virtual"

/* Returns 1 when path holds exactly content, 0 when it differs or doesn't
   exist (*exists_r tells), -1 with *error_r on a read error. */
static int
view_file_equals(const char *path, const char *content, bool *exists_r,
		 const char **error_r)
{
	size_t len = strlen(content);
	char *buf;
	ssize_t ret;
	int fd;

	*exists_r = FALSE;
	fd = open(path, O_RDONLY);
	if (fd == -1) {
		if (errno == ENOENT)
			return 0;
		*error_r = t_strdup_printf("open(%s) failed: %m", path);
		return -1;
	}
	*exists_r = TRUE;
	/* one byte more than expected shows a longer file */
	buf = t_malloc_no0(len + 1);
	ret = pread(fd, buf, len + 1, 0);
	if (ret < 0)
		*error_r = t_strdup_printf("read(%s) failed: %m", path);
	i_close_fd(&fd);
	if (ret < 0)
		return -1;
	return (size_t)ret == len && memcmp(buf, content, len) == 0 ? 1 : 0;
}

/* Replace path atomically: a temporary file in the same directory, then
   rename(). */
static int
view_file_write(const char *path, const char *content,
		const struct mailbox_permissions *perm, const char **error_r)
{
	const char *tmp_path;
	int fd;

	tmp_path = t_strdup_printf("%s.%s.%s.tmp", path, my_hostname, my_pid);
	fd = open(tmp_path, O_WRONLY | O_CREAT | O_TRUNC,
		  perm->file_create_mode);
	if (fd == -1) {
		*error_r = t_strdup_printf("open(%s) failed: %m", tmp_path);
		return -1;
	}
	if (perm->file_create_gid != (gid_t)-1 &&
	    fchown(fd, (uid_t)-1, perm->file_create_gid) < 0) {
		*error_r = t_strdup_printf("fchown(%s, -1, %ld) failed: %m",
					   tmp_path,
					   (long)perm->file_create_gid);
	} else if (write_full(fd, content, strlen(content)) < 0) {
		*error_r = t_strdup_printf("write(%s) failed: %m", tmp_path);
	} else if (close(fd) < 0) {
		fd = -1;
		*error_r = t_strdup_printf("close(%s) failed: %m", tmp_path);
	} else if (rename(tmp_path, path) < 0) {
		fd = -1;
		*error_r = t_strdup_printf("rename(%s, %s) failed: %m",
					   tmp_path, path);
	} else {
		return 0;
	}
	if (fd != -1)
		i_close_fd(&fd);
	i_unlink_if_exists(tmp_path);
	return -1;
}

static void view_subscribe(struct helpdesk_user *huser,
			   struct mail_namespace *ns, const char *vname)
{
	struct mailbox *box;
	enum mail_error mail_error;

	box = mailbox_alloc(ns->list, vname, 0);
	if (mailbox_set_subscribed(box, TRUE) < 0) {
		/* the view works anyway: only a warning */
		e_warning(huser->event, "views: subscribing %s failed: %s",
			  vname, mailbox_get_last_error(box, &mail_error));
	}
	mailbox_free(&box);
}

/* Write one view's definition when it changed. Returns 0 or -1 with
   *error_r. */
static int
view_update(struct helpdesk_user *huser, struct mail_namespace *ns,
	    enum helpdesk_view_kind view, const char **error_r)
{
	struct mail_user *user = ns->user;
	const struct mail_storage_settings *mail_set =
		mail_user_set_get_storage_set(user);
	struct mailbox_permissions perm;
	const char *vname, *dir, *path, *content, *error;
	bool exists;
	int ret;

	content = helpdesk_view_definition(&huser->set, view, user->username,
					   mail_set->mail_max_keyword_length,
					   &error);
	if (content == NULL) {
		*error_r = t_strdup_printf("%s not written: %s",
					   helpdesk_views[view].name, error);
		return -1;
	}
	vname = t_strconcat(ns->prefix, helpdesk_views[view].name, NULL);
	if (mailbox_list_get_path(ns->list,
			mailbox_list_get_storage_name(ns->list, vname),
			MAILBOX_LIST_PATH_TYPE_MAILBOX, &dir) <= 0) {
		*error_r = t_strdup_printf("%s: no mailbox directory in the "
					   "namespace %s", vname, ns->prefix);
		return -1;
	}
	path = t_strconcat(dir, "/"HELPDESK_VIRTUAL_CONFIG_FNAME, NULL);

	ret = view_file_equals(path, content, &exists, error_r);
	if (ret != 0)
		return ret < 0 ? -1 : 0;

	mailbox_list_get_root_permissions(ns->list, &perm);
	if (mkdir_parents_chgrp(dir, perm.dir_create_mode,
				perm.file_create_gid,
				perm.file_create_gid_origin) < 0 &&
	    errno != EEXIST) {
		*error_r = t_strdup_printf("mkdir(%s) failed: %m", dir);
		return -1;
	}
	if (view_file_write(path, content, &perm, error_r) < 0)
		return -1;
	e_debug(huser->event, "views: %s %s", exists ? "updated" : "created",
		path);
	/* subscribed once, when the view first appears: an agent who
	   unsubscribes it later stays unsubscribed */
	if (!exists)
		view_subscribe(huser, ns, vname);
	return 0;
}

static struct mail_namespace *
views_namespace_find(struct helpdesk_user *huser,
		     struct mail_namespace *namespaces, const char *prefix)
{
	struct mail_namespace *ns;

	ns = mail_namespace_find_prefix(namespaces, prefix);
	if (ns == NULL)
		ns = mail_namespace_find_prefix_nosep(namespaces, prefix);
	if (ns == NULL) {
		e_error(huser->event, "views: "HELPDESK_SETTING_VIEWS" = %s "
			"names no namespace: configure a namespace with "
			"prefix = %s and location = "HELPDESK_VIRTUAL_STORAGE
			":~/helpdesk-views (and the virtual plugin in "
			"mail_plugins), or unset "HELPDESK_SETTING_VIEWS,
			prefix, prefix);
		return NULL;
	}
	if (ns->storage == NULL ||
	    strcmp(ns->storage->name, HELPDESK_VIRTUAL_STORAGE) != 0) {
		e_error(huser->event, "views: "HELPDESK_SETTING_VIEWS" = %s "
			"names a namespace with %s storage, not "
			HELPDESK_VIRTUAL_STORAGE": give that namespace "
			"location = "HELPDESK_VIRTUAL_STORAGE":~/helpdesk-views "
			"(agent views are not written)", prefix,
			ns->storage == NULL ? "no" : ns->storage->name);
		return NULL;
	}
	return ns;
}

void helpdesk_views_namespaces_created(struct mail_namespace *namespaces)
{
	struct mail_user *user = namespaces->user;
	struct helpdesk_user *huser = HELPDESK_USER_CONTEXT(user);
	struct mail_namespace *ns;
	const char *prefix, *home, *error;
	unsigned int i;
	bool failed = FALSE;

	/* agents' own IMAP sessions only: never a delivery, nor the owner
	   of a shared mailbox that an agent's session opens */
	if (huser == NULL || user->autocreated ||
	    strcmp(user->service, "imap") != 0)
		return;
	prefix = huser->set.views;
	if (prefix == NULL)
		return;
	if (mail_user_get_home(user, &home) <= 0) {
		e_debug(huser->event, "views: user has no home, no views");
		return;
	}

	T_BEGIN {
		/* views only for agents: over queues a user can't open, the
		   virtual storage logs errors at each SELECT (and leaks in
		   Dovecot 2.3.19 when a mailbox list opens them) */
		if (*helpdesk_user_queues(user, huser) == NULL) {
			e_debug(huser->event, "views: no queue this user can "
				"open, no views");
			ns = NULL;
		} else {
			ns = views_namespace_find(huser, namespaces, prefix);
		}
		for (i = 0; ns != NULL && i < HELPDESK_VIEW_COUNT; i++) {
			if (view_update(huser, ns, i, &error) == 0)
				;
			else if (!failed) {
				/* one error per session is enough, the other
				   views are still tried */
				e_error(huser->event, "views: %s", error);
				failed = TRUE;
			} else {
				e_debug(huser->event, "views: %s", error);
			}
		}
	} T_END;
}
