#ifndef HELPDESK_GAME_USER_H
#define HELPDESK_GAME_USER_H

/* The game where the agent is (helpdesk-game-user.c): points are folded
   right after an agent's actions, and two read-only IMAP METADATA
   entries are computed for the logged-in user:

     GETMETADATA "" /private/vendor/vendor.helpdesk/stats
     GETMETADATA "Public/Queue" /shared/vendor/vendor.helpdesk/leaderboard

   (helpdesk-game-json.h has their JSON). Setting them is refused. */

struct helpdesk_user;
struct mail_user;
struct mailbox;

#define HELPDESK_GAME_STATS_KEY "vendor/vendor.helpdesk/stats"
#define HELPDESK_GAME_BOARD_KEY "vendor/vendor.helpdesk/leaderboard"

/* Fold the ledger's new events (after the agent's actions committed): a
   failure is a warning, the actions stand. The agent's level-ups and new
   badges go to the mail client as IMAP ALERTs. */
void helpdesk_game_after_actions(struct helpdesk_user *huser,
				 struct mail_user *user);

/* The entries: stats on the user's INBOX (the server's metadata), the
   leaderboard on a queue. */
void helpdesk_game_mailbox_allocated(struct mailbox *box, bool queue);

#endif
