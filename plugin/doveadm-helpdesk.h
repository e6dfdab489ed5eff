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

/* doveadm-helpdesk-client.c */
extern struct doveadm_cmd_ver2 doveadm_helpdesk_cmd_client_config;

#endif
