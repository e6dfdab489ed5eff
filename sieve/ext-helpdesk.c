/* Copyright (c) 2026 dovecot-helpdesk authors, see the included COPYING file */

/* Extension vnd.dovecot.helpdesk
   ------------------------------

   Specification: vendor-defined; sieve/README.md
   Implementation: the tests helpdesk_vip and helpdesk_open_ticket, the
     variables ${helpdesk.last_team} and ${helpdesk.open_ticket}
   Status: experimental

   What the help desk's store knows about a sender, asked through the
   helpdesk mail plugin (helpdesk_customer_lookup) in the same process.
 */

#include "lib.h"
#include "sieve-common.h"
#include "sieve-extensions.h"
#include "sieve-validator.h"
#include "sieve-ext-variables.h"
#include "ext-helpdesk-common.h"

static bool ext_helpdesk_load(const struct sieve_extension *ext,
			      void **context);
static void ext_helpdesk_unload(const struct sieve_extension *ext);
static bool ext_helpdesk_validator_load(const struct sieve_extension *ext,
					struct sieve_validator *valdtr);

static const struct sieve_operation_def *const ext_helpdesk_operations[] = {
	&helpdesk_vip_operation,
	&helpdesk_open_ticket_operation,
};

const struct sieve_extension_def helpdesk_extension = {
	.name = "vnd.dovecot.helpdesk",
	.load = ext_helpdesk_load,
	.unload = ext_helpdesk_unload,
	.validator_load = ext_helpdesk_validator_load,
	SIEVE_EXT_DEFINE_OPERATIONS(ext_helpdesk_operations),
	SIEVE_EXT_DEFINE_OPERAND(helpdesk_namespace_operand)
};

static bool ext_helpdesk_load(const struct sieve_extension *ext,
			      void **context)
{
	struct ext_helpdesk_context *ectx;

	if (*context != NULL)
		ext_helpdesk_unload(ext);
	ectx = i_new(struct ext_helpdesk_context, 1);
	ectx->var_ext = sieve_ext_variables_get_extension(ext->svinst);
	*context = ectx;
	return TRUE;
}

static void ext_helpdesk_unload(const struct sieve_extension *ext)
{
	struct ext_helpdesk_context *ectx = ext->context;

	i_free(ectx);
}

static bool ext_helpdesk_validator_load(const struct sieve_extension *ext,
					struct sieve_validator *valdtr)
{
	sieve_validator_register_command(valdtr, ext, &helpdesk_vip_test);
	sieve_validator_register_command(valdtr, ext,
					 &helpdesk_open_ticket_test);
	ext_helpdesk_variables_init(ext, valdtr);
	return TRUE;
}
