#ifndef HELPDESK_NOTICE_H
#define HELPDESK_NOTICE_H

/* What the agent's IMAP client is told at once, before the command's
   tagged reply: a refusal or an action that was overridden (a claim
   someone else won) as an RFC 3501 [ALERT] text, which Thunderbird and
   mutt show to the user where they hide a tagged NO; and the real flags
   of the messages the agent's change touched, so that a client that
   showed its change optimistically snaps back to the truth. The IMAP
   side (imap_helpdesk plugin, imap-helpdesk-plugin.c) registers for the
   user's session; in lmtp, doveadm and sessions without it nothing is
   sent. */

struct mail_user;
struct mailbox;

struct helpdesk_notice_vfuncs {
	/* Send text (one line, no CR/LF) as an untagged NO [ALERT]. */
	void (*alert)(void *context, const char *text);
	/* Send the session's flags of the messages uids of box, when box is
	   the mailbox the client has selected (else nothing). */
	void (*flags)(void *context, struct mailbox *box,
		      const ARRAY_TYPE(uint32_t) *uids);
};

/* Called by the imap_helpdesk plugin for each IMAP session; v and context
   must live as long as the user. No-op when the helpdesk is inactive for
   the user. */
void helpdesk_notice_register(struct mail_user *user,
			      const struct helpdesk_notice_vfuncs *v,
			      void *context);

/* The IMAP session starts a command (a client's second half of a keyword
   rewrite pairs only with the session's next command). */
void helpdesk_notice_command(struct mail_user *user);

/* Tell the user's client, if one is registered. */
void helpdesk_notice_alert(struct mail_user *user, const char *text);
void helpdesk_notice_flags(struct mailbox *box,
			   const ARRAY_TYPE(uint32_t) *uids);

#endif
