#ifndef DOVEADM_HELPDESK_H
#define DOVEADM_HELPDESK_H

/* Shared by the doveadm helpdesk commands (one file per command group). */

struct helpdesk_store;
struct doveadm_cmd_ver2;

/* The store of the global helpdesk_db, checked (never created: a lost
   store is rebuilt by reconcile). NULL after an error was printed and
   doveadm_exit_code set. */
struct helpdesk_store *doveadm_helpdesk_store_open(void);
void doveadm_helpdesk_store_close(struct helpdesk_store **store);

struct helpdesk_settings;

/* The global plugin settings (userdb fields don't reach doveadm's own
   commands), for the SLA policy: NULL when they don't configure the
   plugin or are invalid (a warning was printed). */
const struct helpdesk_settings *doveadm_helpdesk_settings(void);

/* FALSE after printing an error (exit code set) when name is no valid
   user or team name; cmd and what name it in the message. */
bool doveadm_helpdesk_check_name(const char *cmd, const char *what,
				 const char *name);

/* One header per name; the last one, expand (may be NULL), takes the
   rest of a table's line. */
void doveadm_helpdesk_print_headers(const char *const *names,
				    const char *expand);

/* doveadm-helpdesk-team.c: team add|list, agent away|back */
extern struct doveadm_cmd_ver2 doveadm_helpdesk_team_commands[];
extern const unsigned int doveadm_helpdesk_team_commands_count;

/* doveadm-helpdesk-vip.c: vip add|remove|list */
extern struct doveadm_cmd_ver2 doveadm_helpdesk_vip_commands[];
extern const unsigned int doveadm_helpdesk_vip_commands_count;

/* doveadm-helpdesk-game.c: leaderboard, agent stats, game ... */
extern struct doveadm_cmd_ver2 doveadm_helpdesk_game_commands[];
extern const unsigned int doveadm_helpdesk_game_commands_count;

/* doveadm-helpdesk-report.c */
extern struct doveadm_cmd_ver2 doveadm_helpdesk_cmd_report;

/* doveadm-helpdesk-client.c */
extern struct doveadm_cmd_ver2 doveadm_helpdesk_cmd_client_config;
/* doveadm-helpdesk-sla.c */
extern struct doveadm_cmd_ver2 doveadm_helpdesk_cmd_sweep;
/* doveadm-helpdesk-stats.c */
extern struct doveadm_cmd_ver2 doveadm_helpdesk_cmd_stats;

#endif
