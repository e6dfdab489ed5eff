#ifndef HELPDESK_GAME_REPORT_H
#define HELPDESK_GAME_REPORT_H

/* The help desk's weekly report mail to a team lead: the team's points
   board with a bar chart, the SLA figures and the week's level-ups and
   badges, as multipart/alternative (text and HTML, both UTF-8
   quoted-printable) with Auto-Submitted: auto-generated. Pure: no
   storage calls, unit-tested. The caller collects and ranks the data. */

/* One agent's line on the team's board, ranked by the caller. */
struct helpdesk_game_report_row {
	unsigned int rank;
	const char *agent;		/* user name, UTF-8 */
	int64_t points, prev_points;	/* this week, the week before */
	unsigned int level;		/* 1.. */
	const char *level_name;
	unsigned int resolved, prev_resolved;
};

/* A level-up or a new badge in the week. */
struct helpdesk_game_report_news {
	const char *agent;
	/* "reached level 3, Helper" or "earned the badge Night owl": the
	   caller's text, written after the agent's name */
	const char *what;
	int64_t when;		/* unix time, shown as the local date */
	uint64_t ticket;	/* 0: none */
};

struct helpdesk_game_report {
	const char *team;		/* "" = agents without a team: shown as
					   "(no team)" */
	const char *period;		/* "2026-W48", shown in subject and
					   title */
	const char *prev_period;	/* "2026-W47" */
	const char *from;		/* the sender address (user@domain) */
	const char *to;			/* the lead's address */
	const char *message_id;		/* with angle brackets */
	time_t date;
	const struct helpdesk_game_report_row *rows;
	unsigned int row_count;
	const struct helpdesk_game_report_news *news;
	unsigned int news_count;
	/* SLA deadlines met / breached in the week and the week before */
	unsigned int sla_met, sla_breached, prev_sla_met, prev_sla_breached;
	/* business seconds, median first response; has_* FALSE: no
	   sample */
	bool has_first_response, has_prev_first_response;
	int64_t first_response_median, prev_first_response_median;
};

/* Write the whole message with CRLF line ends to dest (appended). The
   caller's strings may hold anything: controls become spaces, invalid
   UTF-8 the replacement character, HTML is escaped; the addresses are
   written as given (less controls), so check them first with
   helpdesk_autoreply_address_is_valid(). Dates are shown in the local
   time zone, like the Date header. No line is longer than 998 octets.
   Scratch memory comes from the caller's data stack frame. */
void helpdesk_game_report_write(string_t *dest,
				const struct helpdesk_game_report *report);

#endif
