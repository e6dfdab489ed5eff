/* Copyright (c) 2026 dovecot-helpdesk authors, see the included COPYING file */

#include "lib.h"
#include "array.h"
#include "mail-storage-private.h"
#include "helpdesk-plugin.h"
#include "helpdesk-notice.h"

void helpdesk_notice_register(struct mail_user *user,
			      const struct helpdesk_notice_vfuncs *v,
			      void *context)
{
	struct helpdesk_user *huser = HELPDESK_USER_CONTEXT(user);

	if (huser == NULL)
		return;
	huser->notice_v = v;
	huser->notice_context = context;
}

void helpdesk_notice_command(struct mail_user *user)
{
	struct helpdesk_user *huser = HELPDESK_USER_CONTEXT(user);

	if (huser != NULL && ++huser->command_count == 0)
		huser->command_count = 1;
}

void helpdesk_notice_alert(struct mail_user *user, const char *text)
{
	struct helpdesk_user *huser = HELPDESK_USER_CONTEXT(user);

	if (huser != NULL && huser->notice_v != NULL)
		huser->notice_v->alert(huser->notice_context, text);
}

void helpdesk_notice_flags(struct mailbox *box,
			   const ARRAY_TYPE(uint32_t) *uids)
{
	struct helpdesk_user *huser =
		HELPDESK_USER_CONTEXT(box->storage->user);

	if (huser != NULL && huser->notice_v != NULL &&
	    array_count(uids) > 0)
		huser->notice_v->flags(huser->notice_context, box, uids);
}
