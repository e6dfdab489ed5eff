#ifndef HELPDESK_SUBMIT_H
#define HELPDESK_SUBMIT_H

/* Sending mail to a customer the way Pigeonhole's vacation does: through
   Dovecot's own submission_host or sendmail_path, with the null return
   path (RFC 3834: nothing bounces back to the help desk). */

struct mail_user;
struct event;

/* Can this process send mail (lmtp, lda and imap can; doveadm can't)? */
bool helpdesk_submit_available(struct mail_user *user);

/* Send message (a whole message, CRLF) to rcpt. Returns 1 when it was
   handed on, 0 when it was refused for good, -1 on a temporary failure
   or when this process has no submission settings (doveadm), with
   *error_r. Waits at most submission_timeout. */
int helpdesk_submit(struct mail_user *user, struct event *event,
		    const char *rcpt, const string_t *message,
		    const char **error_r);

#endif
