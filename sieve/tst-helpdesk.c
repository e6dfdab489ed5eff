/* Copyright (c) 2026 dovecot-helpdesk authors, see the included COPYING file */

/* The tests of vnd.dovecot.helpdesk: is a sender a VIP, does a sender have
   an open ticket, by the help desk's store. */

#include "lib.h"
#include "str.h"
#include "str-sanitize.h"
#include "sieve-common.h"
#include "sieve-ast.h"
#include "sieve-code.h"
#include "sieve-commands.h"
#include "sieve-stringlist.h"
#include "sieve-validator.h"
#include "sieve-generator.h"
#include "sieve-interpreter.h"
#include "sieve-dump.h"
#include "helpdesk-customer.h"
#include "ext-helpdesk-common.h"

/*
 * Syntax:
 *   helpdesk_vip [<addresses: string-list>]
 *   helpdesk_open_ticket [<addresses: string-list>]
 *
 * True when one of the addresses (default: the address of the From:
 * header) is listed as a VIP (or its domain is), or has a ticket that is
 * not resolved.
 */

static bool tst_helpdesk_validate(struct sieve_validator *valdtr,
				  struct sieve_command *tst);
static bool tst_helpdesk_generate(const struct sieve_codegen_env *cgenv,
				  struct sieve_command *tst);

const struct sieve_command_def helpdesk_vip_test = {
	.identifier = "helpdesk_vip",
	.type = SCT_TEST,
	/* zero or one: checked by tst_helpdesk_validate */
	.positional_args = -1,
	.subtests = 0,
	.block_allowed = FALSE,
	.block_required = FALSE,
	.validate = tst_helpdesk_validate,
	.generate = tst_helpdesk_generate,
};

const struct sieve_command_def helpdesk_open_ticket_test = {
	.identifier = "helpdesk_open_ticket",
	.type = SCT_TEST,
	.positional_args = -1,
	.subtests = 0,
	.block_allowed = FALSE,
	.block_required = FALSE,
	.validate = tst_helpdesk_validate,
	.generate = tst_helpdesk_generate,
};

/*
 * Operations
 */

static bool tst_helpdesk_operation_dump(const struct sieve_dumptime_env *denv,
					sieve_size_t *address);
static int tst_helpdesk_operation_execute(const struct sieve_runtime_env *renv,
					  sieve_size_t *address);

const struct sieve_operation_def helpdesk_vip_operation = {
	.mnemonic = "HELPDESK_VIP",
	.ext_def = &helpdesk_extension,
	.code = EXT_HELPDESK_OPERATION_VIP,
	.dump = tst_helpdesk_operation_dump,
	.execute = tst_helpdesk_operation_execute,
};

const struct sieve_operation_def helpdesk_open_ticket_operation = {
	.mnemonic = "HELPDESK_OPEN_TICKET",
	.ext_def = &helpdesk_extension,
	.code = EXT_HELPDESK_OPERATION_OPEN_TICKET,
	.dump = tst_helpdesk_operation_dump,
	.execute = tst_helpdesk_operation_execute,
};

/*
 * Validation
 */

struct tst_helpdesk_validate_context {
	struct sieve_validator *valdtr;
	struct sieve_command *tst;
};

static int tst_helpdesk_validate_address(void *context,
					 struct sieve_ast_argument *arg)
{
	struct tst_helpdesk_validate_context *vctx = context;
	const char *address;
	bool valid;

	/* addresses built from variables are checked when the script runs */
	if (!sieve_argument_is_string_literal(arg))
		return 1;
	address = sieve_ast_argument_strc(arg);
	T_BEGIN {
		valid = ext_helpdesk_address_parse(address) != NULL;
	} T_END;
	if (!valid) {
		sieve_argument_validate_error(vctx->valdtr, arg,
			"%s test: invalid address `%s' specified "
			"(expected user@domain)",
			sieve_command_identifier(vctx->tst),
			str_sanitize(address, 80));
		return -1;
	}
	return 1;
}

static bool tst_helpdesk_validate(struct sieve_validator *valdtr,
				  struct sieve_command *tst)
{
	struct sieve_ast_argument *arg = tst->first_positional;
	struct tst_helpdesk_validate_context vctx;

	if (arg == NULL)
		return TRUE;
	if (sieve_ast_argument_next(arg) != NULL) {
		sieve_command_validate_error(valdtr, tst,
			"the %s %s takes at most one argument (a string list "
			"of addresses), but more were found",
			sieve_command_identifier(tst),
			sieve_command_type_name(tst));
		return FALSE;
	}
	if (!sieve_validate_positional_argument(valdtr, tst, arg, "addresses",
						1, SAAT_STRING_LIST))
		return FALSE;
	if (!sieve_validator_argument_activate(valdtr, tst, arg, FALSE))
		return FALSE;

	i_zero(&vctx);
	vctx.valdtr = valdtr;
	vctx.tst = tst;
	return sieve_ast_stringlist_map(&arg, &vctx,
					tst_helpdesk_validate_address) >= 0;
}

/*
 * Generation
 */

static bool tst_helpdesk_generate(const struct sieve_codegen_env *cgenv,
				  struct sieve_command *tst)
{
	const struct sieve_operation_def *op =
		tst->def == &helpdesk_vip_test ? &helpdesk_vip_operation :
		&helpdesk_open_ticket_operation;

	sieve_operation_emit(cgenv->sblock, tst->ext, op);
	if (tst->first_positional == NULL) {
		/* the From: address, found when the script runs */
		sieve_opr_omitted_emit(cgenv->sblock);
		return TRUE;
	}
	return sieve_generate_argument(cgenv, tst->first_positional, tst);
}

/*
 * Code dump
 */

static bool tst_helpdesk_operation_dump(const struct sieve_dumptime_env *denv,
					sieve_size_t *address)
{
	sieve_code_dumpf(denv, "%s", sieve_operation_mnemonic(denv->oprtn));
	sieve_code_descend(denv);
	return sieve_opr_stringlist_dump_ex(denv, address, "addresses",
					    "From: address");
}

/*
 * Execution
 */

static bool tst_helpdesk_fact(const struct sieve_operation *oprtn,
			      const struct helpdesk_customer_facts *facts)
{
	if (sieve_operation_is(oprtn, helpdesk_vip_operation))
		return facts->vip;
	return facts->open_ticket != 0;
}

static int tst_helpdesk_match(const struct sieve_runtime_env *renv,
			      const char *address, bool *match_r)
{
	const struct helpdesk_customer_facts *facts;
	int ret;

	if ((ret = ext_helpdesk_facts(renv, renv->oprtn->ext, address,
				      &facts)) <= 0)
		return ret;
	*match_r = facts != NULL && tst_helpdesk_fact(renv->oprtn, facts);
	sieve_runtime_trace(renv, SIEVE_TRLVL_MATCHING,
			    "address `%s': %s", str_sanitize(address, 128),
			    facts == NULL ? "unknown" :
			    (*match_r ? "yes" : "no"));
	return SIEVE_EXEC_OK;
}

static int tst_helpdesk_operation_execute(const struct sieve_runtime_env *renv,
					  sieve_size_t *address)
{
	struct sieve_stringlist *addresses;
	const char *sender;
	string_t *item;
	bool match = FALSE;
	int ret;

	if ((ret = sieve_opr_stringlist_read_ex(renv, address, "addresses",
						TRUE, &addresses)) <= 0)
		return ret;

	sieve_runtime_trace(renv, SIEVE_TRLVL_TESTS, "%s test",
			    sieve_operation_mnemonic(renv->oprtn));
	sieve_runtime_trace_descend(renv);

	if (addresses == NULL) {
		if ((ret = ext_helpdesk_sender(renv, renv->oprtn->ext,
					       &sender)) <= 0)
			return ret;
		if (sender == NULL) {
			sieve_runtime_trace(renv, SIEVE_TRLVL_MATCHING,
					    "no From: address");
		} else if ((ret = tst_helpdesk_match(renv, sender,
						     &match)) <= 0) {
			return ret;
		}
	} else {
		item = NULL;
		while (!match &&
		       (ret = sieve_stringlist_next_item(addresses,
							 &item)) > 0) {
			if ((ret = tst_helpdesk_match(renv, str_c(item),
						      &match)) <= 0)
				return ret;
		}
		if (ret < 0) {
			sieve_runtime_trace_error(renv,
				"invalid addresses item");
			return addresses->exec_status;
		}
	}

	sieve_interpreter_set_test_result(renv->interp, match);
	return SIEVE_EXEC_OK;
}
