/* Copyright (c) 2026 dovecot-helpdesk authors, see the included COPYING file */

/* doveadm helpdesk report [-p week] [-t <team>] [-c] [--deliver]

   The weekly report for team leads: one mail per lead (a registered
   agent with role lead, of a team) with the team's board of the last
   complete week in the team's calendar (-c: the week so far) and the
   week before it for comparison, the level-ups and new badges of the
   week and the SLA figures (helpdesk-game-report.h builds the mail).

   Without --deliver the mails are printed (doveadm's pager formatter:
   one after the other); with --deliver each goes into its lead's INBOX
   through Dovecot's LMTP service (so Sieve and quota apply as to any
   mail) and a row per lead says what happened: team, lead, result
   ("delivered" or the error). A lead whose delivery failed makes the
   exit code EX_TEMPFAIL (temporary) or EX_NOUSER; the other leads still
   get theirs. */

#include "lib.h"
#include "array.h"
#include "str.h"
#include "ioloop.h"
#include "hostpid.h"
#include "randgen.h"
#include "doveadm.h"
#include "doveadm-cmd.h"
#include "doveadm-print.h"
#include "helpdesk-settings.h"
#include "helpdesk-store.h"
#include "helpdesk-stats.h"
#include "helpdesk-store-game.h"
#include "helpdesk-game-report.h"
#include "helpdesk-autoreply.h"
#include "helpdesk-lmtp.h"
#include "doveadm-helpdesk.h"

#include <sysexits.h>
#include <unistd.h>

/* how long a delivery may take */
#define REPORT_LMTP_TIMEOUT_MSECS (60 * 1000)

struct report_week {
	const char *key;
	int64_t start, end;
	ARRAY_TYPE(helpdesk_game_board_row) board;
	struct helpdesk_stats_row team_row;
};

static int report_week_load(struct helpdesk_store *store, const char *team,
			    unsigned int weeks_back, pool_t pool,
			    struct report_week *week_r, const char **error_r)
{
	ARRAY_TYPE(helpdesk_stats_row) stats;
	const struct helpdesk_stats_row *row;

	i_zero(week_r);
	helpdesk_store_game_week(store, team, ioloop_time, weeks_back,
				 &week_r->key, &week_r->start, &week_r->end);
	week_r->key = p_strdup(pool, week_r->key);
	p_array_init(&week_r->board, pool, 16);
	if (helpdesk_store_game_board(store, HELPDESK_GAME_PERIOD_WEEK, team,
				      FALSE, ioloop_time, week_r->key, pool,
				      &week_r->board, error_r) < 0)
		return -1;
	/* the stats count (since, until]: the week's first second is in */
	t_array_init(&stats, 16);
	if (helpdesk_store_stats(store, week_r->start - 1, week_r->end - 1,
				 team, pool, &stats, error_r) < 0)
		return -1;
	array_foreach(&stats, row) {
		if (row->scope == HELPDESK_STATS_SCOPE_TEAM &&
		    strcmp(row->name, team) == 0)
			week_r->team_row = *row;
	}
	return 0;
}

/* The report's data for team (allocated from pool). */
static int report_build(struct helpdesk_store *store, const char *team,
			bool current, pool_t pool,
			struct helpdesk_game_report *report_r,
			const char **error_r)
{
	struct report_week this_week, prev_week;
	ARRAY(struct helpdesk_game_report_row) rows;
	ARRAY(struct helpdesk_game_report_news) news;
	ARRAY_TYPE(helpdesk_game_badge_row) badges;
	ARRAY_TYPE(helpdesk_game_levelup_row) levelups;
	const struct helpdesk_game_board_row *b, *p;
	const struct helpdesk_game_badge_row *badge;
	const struct helpdesk_game_levelup_row *levelup;
	struct helpdesk_game_report_row *row;
	struct helpdesk_game_report_news *item;
	struct helpdesk_game_rules rules;
	struct helpdesk_game_levels levels;
	const struct helpdesk_stats_row *s;

	i_zero(report_r);
	if (helpdesk_store_game_rules_get(store, pool, &rules, &levels,
					  error_r) < 0 ||
	    report_week_load(store, team, current ? 0 : 1, pool, &this_week,
			     error_r) < 0 ||
	    report_week_load(store, team, current ? 1 : 2, pool, &prev_week,
			     error_r) < 0)
		return -1;
	p_array_init(&rows, pool, 16);
	array_foreach(&this_week.board, b) {
		row = array_append_space(&rows);
		row->rank = b->rank;
		row->agent = b->agent;
		row->points = b->points;
		row->level = b->level;
		row->level_name = b->level_name;
		row->resolved = (unsigned int)b->resolved;
		array_foreach(&prev_week.board, p) {
			if (strcmp(p->agent, b->agent) == 0) {
				row->prev_points = p->points;
				row->prev_resolved = (unsigned int)p->resolved;
			}
		}
	}
	p_array_init(&badges, pool, 16);
	p_array_init(&levelups, pool, 16);
	if (helpdesk_store_game_news(store, team, this_week.start,
				     this_week.end, pool, &badges, &levelups,
				     error_r) < 0)
		return -1;
	p_array_init(&news, pool, 16);
	array_foreach(&levelups, levelup) {
		item = array_append_space(&news);
		item->agent = levelup->agent;
		item->what = p_strdup_printf(pool, "reached level %u, %s",
			levelup->level,
			helpdesk_game_level_name(&levels, levelup->level));
		item->when = levelup->created;
		item->ticket = levelup->ticket;
	}
	array_foreach(&badges, badge) {
		item = array_append_space(&news);
		item->agent = badge->agent;
		item->what = p_strdup_printf(pool, "earned the badge %s",
			helpdesk_game_badge_title(badge->badge));
		item->when = badge->created;
		item->ticket = badge->ticket;
	}
	report_r->team = p_strdup(pool, team);
	report_r->period = this_week.key;
	report_r->prev_period = prev_week.key;
	report_r->rows = array_get(&rows, &report_r->row_count);
	report_r->news = array_get(&news, &report_r->news_count);
	s = &this_week.team_row;
	report_r->sla_met = s->sla_met;
	report_r->sla_breached = s->sla_breached;
	report_r->has_first_response = s->first_response_count > 0;
	report_r->first_response_median = s->first_response_median;
	s = &prev_week.team_row;
	report_r->prev_sla_met = s->sla_met;
	report_r->prev_sla_breached = s->sla_breached;
	report_r->has_prev_first_response = s->first_response_count > 0;
	report_r->prev_first_response_median = s->first_response_median;
	return 0;
}

static const char *report_from(void)
{
	const struct helpdesk_settings *set = doveadm_helpdesk_settings();

	if (set != NULL && set->customer.support_address != NULL)
		return set->customer.support_address;
	return t_strconcat("postmaster@", my_hostname, NULL);
}

/* the lead's address for the To header */
static const char *report_to(const struct helpdesk_store_agent *lead)
{
	if (*lead->address != '\0' &&
	    helpdesk_autoreply_address_is_valid(lead->address))
		return lead->address;
	if (strchr(lead->username, '@') != NULL &&
	    helpdesk_autoreply_address_is_valid(lead->username))
		return lead->username;
	return t_strconcat(lead->username, "@", my_hostname, NULL);
}

static void report_deliver(const struct helpdesk_store_agent *lead,
			   const string_t *mail, const char *socket_path)
{
	const char *error;
	int ret;

	ret = helpdesk_lmtp_deliver(socket_path, lead->username,
				    str_data(mail), str_len(mail),
				    REPORT_LMTP_TIMEOUT_MSECS, &error);
	doveadm_print(lead->team);
	doveadm_print(lead->username);
	if (ret > 0) {
		doveadm_print("delivered");
		return;
	}
	doveadm_print(error);
	i_error("helpdesk report: delivering team %s's report to %s "
		"failed: %s", lead->team, lead->username, error);
	if (ret == 0)
		doveadm_exit_code = EX_NOUSER;
	else if (doveadm_exit_code == 0)
		doveadm_exit_code = EX_TEMPFAIL;
}

static void cmd_helpdesk_report(struct doveadm_cmd_context *cctx)
{
	ARRAY_TYPE(helpdesk_store_agent) agents;
	const struct helpdesk_store_agent *lead;
	struct helpdesk_store *store;
	struct helpdesk_game_report report;
	const char *period = "week", *team = NULL, *error, *socket_path = NULL;
	bool deliver = FALSE, current = FALSE, found, any;
	unsigned int folded, leads = 0;
	pool_t pool;

	(void)doveadm_cmd_param_str(cctx, "period", &period);
	(void)doveadm_cmd_param_str(cctx, "team", &team);
	(void)doveadm_cmd_param_bool(cctx, "deliver", &deliver);
	(void)doveadm_cmd_param_bool(cctx, "current", &current);
	if (strcmp(period, "week") != 0) {
		i_error("helpdesk report: -p: only week reports are made, "
			"not '%s'", period);
		doveadm_exit_code = EX_USAGE;
		return;
	}
	if ((store = doveadm_helpdesk_store_open()) == NULL)
		return;
	pool = pool_alloconly_create("helpdesk report", 16384);
	p_array_init(&agents, pool, 16);
	if (helpdesk_store_game_fold(store, ioloop_time, 0, &folded,
				     &error) < 0 ||
	    (team != NULL && helpdesk_store_team_get(store, team, &found,
						     &any, &error) < 0) ||
	    helpdesk_store_agent_list(store, pool, &agents, &error) < 0) {
		i_error("helpdesk report: %s", error);
		doveadm_exit_code = EX_TEMPFAIL;
		goto out;
	}
	if (team != NULL && !found) {
		i_error("helpdesk report: there is no team %s "
			"(doveadm helpdesk team list)", team);
		doveadm_exit_code = DOVEADM_EX_NOTFOUND;
		goto out;
	}
	if (deliver) {
		socket_path = p_strdup(pool, helpdesk_lmtp_socket_path());
		doveadm_print_init(DOVEADM_PRINT_TYPE_TABLE);
		doveadm_helpdesk_print_headers((const char *const []){
			"team", "lead", NULL }, "result");
	} else {
		doveadm_print_init(DOVEADM_PRINT_TYPE_PAGER);
		doveadm_print_header("mail", "mail",
				     DOVEADM_PRINT_HEADER_FLAG_HIDE_TITLE);
	}
	array_foreach(&agents, lead) {
		if (strcmp(lead->role, "lead") != 0 || *lead->team == '\0' ||
		    (team != NULL && strcmp(lead->team, team) != 0))
			continue;
		leads++;
		T_BEGIN {
			string_t *mail = t_str_new(8192);
			int ret;

			ret = report_build(store, lead->team, current,
					   pool_datastack_create(), &report,
					   &error);
			if (ret < 0) {
				i_error("helpdesk report: team %s: %s",
					lead->team, error);
				doveadm_exit_code = EX_TEMPFAIL;
			} else {
				report.from = report_from();
				report.to = report_to(lead);
				report.date = ioloop_time;
				report.message_id = t_strdup_printf(
					"<helpdesk-report.%s.%s.%x%x@%s>",
					report.period, my_pid, i_rand(),
					(unsigned int)ioloop_time,
					my_hostname);
				helpdesk_game_report_write(mail, &report);
				if (deliver)
					report_deliver(lead, mail, socket_path);
				else
					doveadm_print(str_c(mail));
			}
		} T_END;
	}
	if (leads == 0) {
		i_warning("helpdesk report: no team lead%s to report to "
			  "(doveadm helpdesk agent add -l -t <team> <user>)",
			  team == NULL ? "" : t_strdup_printf(" of team %s",
							      team));
	}
out:
	pool_unref(&pool);
	doveadm_helpdesk_store_close(&store);
}

struct doveadm_cmd_ver2 doveadm_helpdesk_cmd_report = {
	.name = "helpdesk report",
	.cmd = cmd_helpdesk_report,
	.usage = "[-p week] [-t <team>] [-c] [--deliver]",
DOVEADM_CMD_PARAMS_START
DOVEADM_CMD_PARAM('p', "period", CMD_PARAM_STR, 0)
DOVEADM_CMD_PARAM('t', "team", CMD_PARAM_STR, 0)
DOVEADM_CMD_PARAM('c', "current", CMD_PARAM_BOOL, 0)
DOVEADM_CMD_PARAM('\0', "deliver", CMD_PARAM_BOOL, 0)
DOVEADM_CMD_PARAMS_END
};
