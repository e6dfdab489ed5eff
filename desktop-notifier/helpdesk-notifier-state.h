#ifndef HELPDESK_NOTIFIER_STATE_H
#define HELPDESK_NOTIFIER_STATE_H

/* Where the notifier keeps what it has announced, between runs:
   $XDG_STATE_HOME/helpdesk-notifier/USER@HOST/ (escaped) with one
   QUEUE.state per queue (the tracker's text), game.state, and the lock
   that keeps a second notifier of the same account out. */

#include "helpdesk-notifier-config.h"
#include "helpdesk-notifier-game.h"

/* The account's directory. */
gchar *helpdesk_notifier_state_dir(const HelpdeskNotifierConfig *config);
/* A queue's state file in dir. */
gchar *helpdesk_notifier_state_path(const gchar *dir, const gchar *mailbox);
/* Write a state file whole or not at all, readable by the agent only (a
   failure is logged: the notifier goes on). */
void helpdesk_notifier_state_write(const gchar *path, const gchar *text);

/* The game as last seen: its stats entry, the weekly rank last
   announced and the day it was. */
void helpdesk_notifier_state_game_save(const gchar *path,
				       const gchar *stats_json, guint rank,
				       const gchar *rank_day);
/* NULL when nothing was saved; *rank_r and *rank_day_r (g_free) set
   from the file when it exists. */
HelpdeskGameStats *helpdesk_notifier_state_game_load(const gchar *path,
						     guint *rank_r,
						     gchar **rank_day_r);

/* Hold the account's lock (a second notifier -- the autostart entry and
   the systemd unit both enabled, or --once beside a running one --
   would announce everything twice and share the files). Returns the
   locked file descriptor, kept open while running, or -1 with *error. */
int helpdesk_notifier_state_lock(const gchar *dir,
				 const HelpdeskNotifierConfig *config,
				 GError **error);

#endif
