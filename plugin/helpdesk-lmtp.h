#ifndef HELPDESK_LMTP_H
#define HELPDESK_LMTP_H

/* Delivering a message to a local user through Dovecot's own LMTP
   service, for doveadm commands (doveadm has no submission settings and
   no delivery context of its own). */

/* Deliver the message (data, size: CRLF or LF line ends, a complete
   message; a missing final line end is added) to rcpt (user@domain or a
   user name LMTP accepts) through Dovecot's LMTP service listening on the
   UNIX socket socket_path, with the null return path (MAIL FROM:<>),
   waiting at most timeout_msecs (0: lib-smtp's defaults). Runs its own
   ioloop and restores the current one before returning. The caller keeps
   data. Returns 1 when LMTP accepted the message for delivery, 0 when the
   recipient was refused permanently (5xx, or an unusable rcpt) with
   *error_r, -1 on a temporary failure (connect failed, 4xx, timeout, lost
   connection) with *error_r (data stack; NULL on success). */
int helpdesk_lmtp_deliver(const char *socket_path, const char *rcpt,
			  const void *data, size_t size,
			  unsigned int timeout_msecs, const char **error_r);

/* The LMTP socket of this Dovecot instance: base_dir/lmtp, base_dir from
   master_service's settings (in doveadm: the configuration it read, so
   -c CONF gives that instance's socket). Needs master_service with its
   settings read. Allocated from the data stack. */
const char *helpdesk_lmtp_socket_path(void);

#endif
