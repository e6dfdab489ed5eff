#ifndef EXT_HELPDESK_COMMON_H
#define EXT_HELPDESK_COMMON_H

/* Shared by the files of the Sieve extension vnd.dovecot.helpdesk. */

#include "sieve-common.h"

struct helpdesk_customer_facts;

/* The extension's context (ext->context), made by its load(). */
struct ext_helpdesk_context {
	/* the variables extension, for the helpdesk. namespace */
	const struct sieve_extension *var_ext;
};

extern const struct sieve_extension_def helpdesk_extension;

/* Tests (tst-helpdesk.c) */
extern const struct sieve_command_def helpdesk_vip_test;
extern const struct sieve_command_def helpdesk_open_ticket_test;

/* Operations: the code is the index in the extension's list */
enum ext_helpdesk_opcode {
	EXT_HELPDESK_OPERATION_VIP,
	EXT_HELPDESK_OPERATION_OPEN_TICKET,
};
extern const struct sieve_operation_def helpdesk_vip_operation;
extern const struct sieve_operation_def helpdesk_open_ticket_operation;

/* The ${helpdesk.NAME} variables namespace (ext-helpdesk-variables.c) */
extern const struct sieve_operand_def helpdesk_namespace_operand;
void ext_helpdesk_variables_init(const struct sieve_extension *ext,
				 struct sieve_validator *valdtr);

/* user@domain in lower case (data stack) from an address as a script
   writes it (user@domain or "Name <user@domain>"), or NULL when it is
   none. The validator checks literal addresses with it. */
const char *ext_helpdesk_address_parse(const char *value);

/* The address of the message's From: header into *address_r (lower case),
   or NULL when it has none that parses. Returns a SIEVE_EXEC_* status:
   SIEVE_EXEC_OK unless the message could not be read. Read once per
   message. */
int ext_helpdesk_sender(const struct sieve_runtime_env *renv,
			const struct sieve_extension *ext,
			const char **address_r);

/* What the help desk's store knows about address (an address as a script
   gives it: user@domain or "Name <user@domain>"). *facts_r is NULL when
   that is unknown: an invalid address (a runtime warning for the script's
   author), no helpdesk mail plugin in this process or a store failure
   (warnings for the admin, once per message). The store is asked once per
   address and message; the result lives as long as the message context.
   ext is this extension (the cache is its message context). Returns
   SIEVE_EXEC_OK. */
int ext_helpdesk_facts(const struct sieve_runtime_env *renv,
		       const struct sieve_extension *ext, const char *address,
		       const struct helpdesk_customer_facts **facts_r);

#endif
