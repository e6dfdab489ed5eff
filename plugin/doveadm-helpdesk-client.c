/* Copyright (c) 2026 dovecot-helpdesk authors, see the included COPYING file */

/* doveadm helpdesk client-config thunderbird|neomutt: the settings an
   agent's mail client needs for the queue, for the admin to deploy.

   Thunderbird shows a keyword as a tag only when the profile defines it
   (mailnews.tags.KEY.tag/.color/.ordinal): a fresh profile shows none of
   the helpdesk's. The output is a user.js (the same lines with pref()
   serve an AutoConfig file), one tag per state, request, priority, tier,
   registered agent (owner) and team, the agents' requests first so that
   Thunderbird's tag keys 1, 2 and 3 are Claim, Resolved and Escalate.

   neomutt edits IMAP keywords with <modify-tags>, which sends -FLAGS of
   every keyword it knows and then +FLAGS of the new set (the plugin
   carries out the requests in such a rewrite): the snippet binds keys to
   claim, resolve and escalate, shows the tags in the index and keeps
   neomutt's own Old keyword off the shared queue. */

#include "lib.h"
#include "array.h"
#include "str.h"
#include "doveadm.h"
#include "doveadm-cmd.h"
#include "doveadm-settings.h"
#include "helpdesk-settings.h"
#include "helpdesk-state.h"
#include "helpdesk-store.h"
#include "doveadm-helpdesk.h"

#include <stdio.h>
#include <sysexits.h>

/* Thunderbird sorts tags by ordinal; "!" sorts before its own default
   tags ($label1...), so the helpdesk's come first (keys 1-9) */
#define TB_ORDINAL_PREFIX "!"

static void
client_config_thunderbird_tag(string_t *out, const char *prefix,
			      const char *name, const char *label,
			      const char *color, unsigned int ordinal)
{
	/* Thunderbird's tag keys are the keywords in lower case; names
	   and labels are IMAP atoms and fixed texts: nothing to escape */
	const char *key = t_str_lcase(t_strconcat(prefix, name, NULL));

	str_printfa(out, "user_pref(\"mailnews.tags.%s.tag\", \"%s\");\n",
		    key, label);
	str_printfa(out, "user_pref(\"mailnews.tags.%s.color\", \"%s\");\n",
		    key, color);
	str_printfa(out, "user_pref(\"mailnews.tags.%s.ordinal\", "
		    "\""TB_ORDINAL_PREFIX"%03u\");\n", key, ordinal);
}

static void
client_config_thunderbird(string_t *out, const struct helpdesk_settings *set,
			  const ARRAY_TYPE(const_string) *agents,
			  const ARRAY_TYPE(const_string) *teams)
{
	const struct helpdesk_keyword_info *kw;
	const char *name;
	unsigned int ordinal = 1;

	str_printfa(out,
		"// dovecot-helpdesk: Thunderbird tags for the helpdesk's "
		"keywords (prefix %s).\n"
		"// Deploy as (or append to) the agents' profile user.js, or "
		"use the lines\n"
		"// in an AutoConfig file with pref() in place of "
		"user_pref(). Tag keys:\n"
		"// 1 Claim, 2 Resolved, 3 Escalate. Made by `doveadm "
		"helpdesk client-config\n"
		"// thunderbird`: run it again when agents or teams are "
		"added.\n", set->keyword_prefix);
	for (kw = helpdesk_keyword_vocabulary; kw->name != NULL; kw++) {
		client_config_thunderbird_tag(out, set->keyword_prefix,
					      kw->name, kw->label, kw->color,
					      ordinal++);
	}
	array_foreach_elem(agents, name) {
		if (!helpdesk_keyword_name_is_valid(name))
			continue;
		client_config_thunderbird_tag(out, set->keyword_prefix,
				t_strconcat(HELPDESK_KW_OWNER_PREFIX, name,
					    NULL),
				t_strconcat("Owner: ", name, NULL),
				HELPDESK_KW_OWNER_COLOR, ordinal++);
	}
	array_foreach_elem(teams, name) {
		if (!helpdesk_keyword_name_is_valid(name))
			continue;
		client_config_thunderbird_tag(out, set->keyword_prefix,
				t_strconcat(HELPDESK_KW_TEAM_PREFIX, name,
					    NULL),
				t_strconcat("Team: ", name, NULL),
				HELPDESK_KW_TEAM_COLOR, ordinal++);
	}
}

static void
client_config_neomutt(string_t *out, const struct helpdesk_settings *set)
{
	const char *p = set->keyword_prefix;

	str_printfa(out,
		"# dovecot-helpdesk for neomutt (20220429 and later): source "
		"it from your\n"
		"# neomuttrc. Made by `doveadm helpdesk client-config "
		"neomutt`.\n"
		"#\n"
		"# The helpdesk's state shows as tags (%%g) in the index. "
		"Keys on a ticket's\n"
		"# message, in the index and the pager:\n"
		"#   y  claim it      X  resolve it      E  escalate it\n"
		"#   `  edit its tags (delete %sowner-YOU to give it back, "
		"%svip to\n"
		"#      remove VIP, %sresolved to reopen; add "
		"%sprio-high ...)\n",
		p, p, p, p);
	if (set->resolved_mailbox != NULL) {
		str_printfa(out, "#   ,m move it to %s (resolves it)\n",
			    set->resolved_mailbox);
	}
	str_printfa(out,
		"#   ,g reload the folder\n"
		"# What the helpdesk refuses (another agent was faster, "
		"a lead-only change)\n"
		"# shows on the status line; M (show-log-messages) has "
		"the history.\n"
		"\n"
		"# neomutt's own \"Old\" keyword would be stored on the "
		"shared queue messages\n"
		"set mark_old = no\n"
		"set index_format = \"%%4C %%Z %%{%%b %%d} %%-15.15L "
		"%%s  [%%g]\"\n"
		"# look for other agents' changes every 30 s, also while "
		"idle\n"
		"set timeout = 30\n"
		"set mail_check = 30\n"
		"set sleep_time = 2\n"
		"macro index,pager y \"<modify-tags> %s%s<enter>\" "
		"\"helpdesk: claim the ticket\"\n"
		"macro index,pager X \"<modify-tags> %s%s<enter>\" "
		"\"helpdesk: resolve the ticket\"\n"
		"macro index,pager E \"<modify-tags> %s%s<enter>\" "
		"\"helpdesk: escalate the ticket\"\n"
		"bind index,pager \\` modify-tags\n",
		p, HELPDESK_KW_CLAIM, p, HELPDESK_KW_RESOLVED,
		p, HELPDESK_KW_ESCALATE);
	if (set->resolved_mailbox != NULL) {
		str_printfa(out,
			"macro index,pager ,m \"<save-message><kill-line>"
			"=%s<enter>y\" \"helpdesk: move to %s\"\n",
			set->resolved_mailbox, set->resolved_mailbox);
	}
	str_append(out, "macro index ,g \"<change-folder>^<enter>\" "
		   "\"helpdesk: reload the folder\"\n");
}

static const char *cmd_client_getenv(const char *name,
				     void *context ATTR_UNUSED)
{
	return doveadm_plugin_getenv(name);
}

static void cmd_helpdesk_client_config(struct doveadm_cmd_context *cctx)
{
	struct helpdesk_settings set;
	struct helpdesk_store *store;
	ARRAY_TYPE(const_string) agents, teams;
	const char *client, *error;
	string_t *out;
	pool_t pool;
	int ret;

	if (!doveadm_cmd_param_str(cctx, "client", &client) ||
	    (strcmp(client, "thunderbird") != 0 &&
	     strcmp(client, "neomutt") != 0)) {
		i_error("helpdesk client-config: name the client: "
			"thunderbird or neomutt");
		doveadm_exit_code = EX_USAGE;
		return;
	}
	pool = pool_alloconly_create("helpdesk client-config", 1024);
	ret = helpdesk_settings_parse(pool, cmd_client_getenv, NULL, &set,
				      &error);
	if (ret <= 0) {
		i_error("helpdesk client-config: %s", ret < 0 ? error :
			"helpdesk_queue is not set in the plugin section");
		doveadm_exit_code = EX_CONFIG;
		pool_unref(&pool);
		return;
	}
	out = t_str_new(4096);
	if (strcmp(client, "neomutt") == 0)
		client_config_neomutt(out, &set);
	else {
		/* the owner and team tags: the registered ones */
		p_array_init(&agents, pool, 16);
		p_array_init(&teams, pool, 8);
		if ((store = doveadm_helpdesk_store_open()) == NULL) {
			pool_unref(&pool);
			return;
		}
		if (helpdesk_store_agent_names(store, pool, &agents,
					       &error) < 0 ||
		    helpdesk_store_team_names(store, pool, &teams,
					      &error) < 0) {
			i_error("helpdesk client-config: %s", error);
			doveadm_exit_code = EX_TEMPFAIL;
		}
		doveadm_helpdesk_store_close(&store);
		client_config_thunderbird(out, &set, &agents, &teams);
	}
	if (doveadm_exit_code == 0) {
		fwrite(str_data(out), 1, str_len(out), stdout);
		fflush(stdout);
	}
	pool_unref(&pool);
}

struct doveadm_cmd_ver2 doveadm_helpdesk_cmd_client_config = {
	.name = "helpdesk client-config",
	.cmd = cmd_helpdesk_client_config,
	.usage = "thunderbird|neomutt",
DOVEADM_CMD_PARAMS_START
DOVEADM_CMD_PARAM('\0', "client", CMD_PARAM_STR, CMD_PARAM_FLAG_POSITIONAL)
DOVEADM_CMD_PARAMS_END
};
