/* Copyright (c) 2026 dovecot-helpdesk authors, see the included COPYING file */

/* imap_helpdesk: the IMAP side of the helpdesk plugin. Agents' clients
   hide a tagged NO to a STORE (Thunderbird only logs it) and show their
   own change optimistically; this plugin lets the helpdesk tell the
   agent, in the command's own response, before its tagged reply:

     * NO [ALERT] ticket 4 is already alice's
     * 3 FETCH (UID 17 FLAGS (\Seen hd-open hd-owner-alice ...))

   RFC 3501 7.1: a client presents [ALERT] texts to the user, and an
   untagged NO is a warning that lets the command complete. Thunderbird
   shows either form as a dialog; neomutt shows only the NO form (on its
   status line). An untagged FETCH of FLAGS replaces what the client
   shows; it is sent again before the session's next command for clients
   (neomutt) that overwrite a message's keywords with their own after
   their STORE. Load it in protocol imap after helpdesk:
   mail_plugins = $mail_plugins imap_helpdesk. */

#include "imap-common.h"
#include "module-context.h"
#include "array.h"
#include "str.h"
#include "str-sanitize.h"
#include "imap-util.h"
#include "mail-storage.h"
#include "helpdesk-notice.h"

/* At most this many messages' flags are sent again before the next
   command (a STORE on a whole folder was answered in full already) */
#define IMAP_HELPDESK_MAX_RESEND 1000
/* An alert longer than this is cut (one line, every client shows it) */
#define IMAP_HELPDESK_ALERT_MAX_LEN 400

#define IMAP_HELPDESK_CONTEXT(obj) \
	MODULE_CONTEXT(obj, imap_helpdesk_imap_module)

struct imap_helpdesk_client {
	union imap_module_context module_ctx;
	struct client *client;
	/* flags sent during a command, sent again before the next one:
	   clients that replace a message's keywords by their own after
	   their STORE completes (neomutt) drop a FETCH that came inside
	   it */
	string_t *resend_vname;
	ARRAY_TYPE(uint32_t) resend_uids;
};

static MODULE_CONTEXT_DEFINE_INIT(imap_helpdesk_imap_module,
				  &imap_module_register);

const char *imap_helpdesk_plugin_version = DOVECOT_ABI_VERSION;
const char imap_helpdesk_plugin_binary_dependency[] = "imap";
const char *imap_helpdesk_plugin_dependencies[] = { "helpdesk", NULL };

void imap_helpdesk_plugin_init(struct module *module);
void imap_helpdesk_plugin_deinit(void);

static imap_client_created_func_t *next_hook_client_created;

static void imap_helpdesk_alert(void *context, const char *text)
{
	struct imap_helpdesk_client *hclient = context;

	if (hclient->client->destroyed)
		return;
	T_BEGIN {
		/* the text is the helpdesk's own, made of keyword and user
		   names; sanitized anyway: one line, printable */
		client_send_line(hclient->client, t_strconcat("* NO [ALERT] ",
			str_sanitize(text, IMAP_HELPDESK_ALERT_MAX_LEN),
			NULL));
	} T_END;
}

static void
imap_helpdesk_flags_send(struct client *client, struct mailbox *box,
			 const ARRAY_TYPE(uint32_t) *uids)
{
	struct mailbox_transaction_context *t;
	struct mail *mail;
	string_t *line;
	uint32_t uid;
	bool modseq = client_has_enabled(client, imap_feature_condstore);

	t = mailbox_transaction_begin(box, 0, "helpdesk flags");
	mail = mail_alloc(t, MAIL_FETCH_FLAGS, NULL);
	line = t_str_new(256);
	array_foreach_elem(uids, uid) {
		/* the flags as this session shows them: what the client
		   may believe, and what Dovecot's own FETCH responses
		   change from */
		if (!mail_set_uid(mail, uid))
			continue;
		str_truncate(line, 0);
		str_printfa(line, "* %u FETCH (UID %u FLAGS (", mail->seq, uid);
		imap_write_flags(line, mail_get_flags(mail),
				 mail_get_keywords(mail));
		str_append_c(line, ')');
		if (modseq) {
			str_printfa(line, " MODSEQ (%llu)",
				    (unsigned long long)mail_get_modseq(mail));
		}
		str_append_c(line, ')');
		client_send_line(client, str_c(line));
	}
	mail_free(&mail);
	mailbox_transaction_rollback(&t);
}

static void
imap_helpdesk_flags(void *context, struct mailbox *box,
		    const ARRAY_TYPE(uint32_t) *uids)
{
	struct imap_helpdesk_client *hclient = context;
	struct client *client = hclient->client;

	/* only the selected mailbox has sequence numbers the client knows
	   (a STORE through a view changes the queue: the view tells) */
	if (client->destroyed || client->mailbox != box)
		return;
	T_BEGIN {
		imap_helpdesk_flags_send(client, box, uids);
	} T_END;
	if (strcmp(str_c(hclient->resend_vname),
		   mailbox_get_vname(box)) != 0) {
		str_truncate(hclient->resend_vname, 0);
		str_append(hclient->resend_vname, mailbox_get_vname(box));
		array_clear(&hclient->resend_uids);
	}
	if (array_count(&hclient->resend_uids) + array_count(uids) <=
	    IMAP_HELPDESK_MAX_RESEND)
		array_append_array(&hclient->resend_uids, uids);
}

static void imap_helpdesk_command_pre(struct client_command_context *cmd)
{
	struct client *client = cmd->client;
	struct imap_helpdesk_client *hclient = IMAP_HELPDESK_CONTEXT(client);

	if (hclient == NULL)
		return;
	helpdesk_notice_command(client->user);
	/* not inside a sync that waits for the client to read: its
	   sequence numbers are not the client's yet */
	if (array_count(&hclient->resend_uids) == 0 || client->syncing)
		return;
	/* the messages' flags as they are now, once, if the client still
	   has their mailbox selected */
	if (client->mailbox != NULL && !client->destroyed &&
	    strcmp(mailbox_get_vname(client->mailbox),
		   str_c(hclient->resend_vname)) == 0) T_BEGIN {
		imap_helpdesk_flags_send(client, client->mailbox,
					 &hclient->resend_uids);
	} T_END;
	str_truncate(hclient->resend_vname, 0);
	array_clear(&hclient->resend_uids);
}

static void
imap_helpdesk_command_post(struct client_command_context *cmd ATTR_UNUSED)
{
	/* imap calls both hooks unchecked */
}

static const struct helpdesk_notice_vfuncs imap_helpdesk_notice_vfuncs = {
	.alert = imap_helpdesk_alert,
	.flags = imap_helpdesk_flags,
};

static void imap_helpdesk_client_created(struct client **clientp)
{
	struct client *client = *clientp;
	struct imap_helpdesk_client *hclient;

	hclient = p_new(client->pool, struct imap_helpdesk_client, 1);
	hclient->client = client;
	hclient->resend_vname = str_new(client->pool, 64);
	p_array_init(&hclient->resend_uids, client->pool, 8);
	MODULE_CONTEXT_SET(client, imap_helpdesk_imap_module, hclient);
	helpdesk_notice_register(client->user, &imap_helpdesk_notice_vfuncs,
				 hclient);
	if (next_hook_client_created != NULL)
		next_hook_client_created(clientp);
}

void imap_helpdesk_plugin_init(struct module *module ATTR_UNUSED)
{
	next_hook_client_created =
		imap_client_created_hook_set(imap_helpdesk_client_created);
	command_hook_register(imap_helpdesk_command_pre,
			      imap_helpdesk_command_post);
}

void imap_helpdesk_plugin_deinit(void)
{
	command_hook_unregister(imap_helpdesk_command_pre,
				imap_helpdesk_command_post);
	imap_client_created_hook_set(next_hook_client_created);
}
