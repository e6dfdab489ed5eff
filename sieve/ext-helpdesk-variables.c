/* Copyright (c) 2026 dovecot-helpdesk authors, see the included COPYING file */

/* The variables namespace of vnd.dovecot.helpdesk: ${helpdesk.NAME},
   facts about the sender (the From: address), read-only.

   Syntax: ${helpdesk.last_team}    the team of the sender's newest
                                    ticket that has one ("" : none)
           ${helpdesk.open_ticket}  the sender's newest ticket that is not
                                    resolved ("0": none)
   Both are "" when the store could not tell.
 */

#include "lib.h"
#include "str.h"
#include "str-sanitize.h"
#include "sieve-common.h"
#include "sieve-ast.h"
#include "sieve-binary.h"
#include "sieve-code.h"
#include "sieve-commands.h"
#include "sieve-validator.h"
#include "sieve-generator.h"
#include "sieve-interpreter.h"
#include "sieve-dump.h"
#include "sieve-ext-variables.h"
#include "helpdesk-customer.h"
#include "ext-helpdesk-common.h"

/* The names are stored in the binary by their code. */
enum ext_helpdesk_variable {
	EXT_HELPDESK_VAR_LAST_TEAM,
	EXT_HELPDESK_VAR_OPEN_TICKET,

	EXT_HELPDESK_VAR_COUNT
};

static const char *const ext_helpdesk_variable_names[] = {
	[EXT_HELPDESK_VAR_LAST_TEAM] = "last_team",
	[EXT_HELPDESK_VAR_OPEN_TICKET] = "open_ticket",
};

static bool
vnspc_helpdesk_validate(struct sieve_validator *valdtr,
			const struct sieve_variables_namespace *nspc,
			struct sieve_ast_argument *arg,
			struct sieve_command *cmd,
			ARRAY_TYPE(sieve_variable_name) *var_name,
			void **var_data, bool assignment);
static bool
vnspc_helpdesk_generate(const struct sieve_codegen_env *cgenv,
			const struct sieve_variables_namespace *nspc,
			struct sieve_ast_argument *arg,
			struct sieve_command *cmd, void *var_data);
static bool
vnspc_helpdesk_dump_variable(const struct sieve_dumptime_env *denv,
			     const struct sieve_variables_namespace *nspc,
			     const struct sieve_operand *oprnd,
			     sieve_size_t *address);
static int
vnspc_helpdesk_read_variable(const struct sieve_runtime_env *renv,
			     const struct sieve_variables_namespace *nspc,
			     const struct sieve_operand *oprnd,
			     sieve_size_t *address, string_t **str_r);

static const struct sieve_variables_namespace_def helpdesk_namespace = {
	SIEVE_OBJECT("helpdesk", &helpdesk_namespace_operand, 0),
	.validate = vnspc_helpdesk_validate,
	.generate = vnspc_helpdesk_generate,
	.dump_variable = vnspc_helpdesk_dump_variable,
	.read_variable = vnspc_helpdesk_read_variable,
};

static const char *ext_helpdesk_variable_name(unsigned int code)
{
	return code < EXT_HELPDESK_VAR_COUNT ?
		ext_helpdesk_variable_names[code] : NULL;
}

/* helpdesk.NAME... as the script wrote it (data stack) */
static const char *
ext_helpdesk_variable_string(const ARRAY_TYPE(sieve_variable_name) *var_name)
{
	const struct sieve_variable_name *element;
	string_t *str = t_str_new(64);

	array_foreach(var_name, element) {
		if (str_len(str) > 0)
			str_append_c(str, '.');
		if (element->num_variable >= 0)
			str_printfa(str, "%d", element->num_variable);
		else
			str_append_str(str, element->identifier);
	}
	return str_c(str);
}

static bool
vnspc_helpdesk_validate(struct sieve_validator *valdtr,
			const struct sieve_variables_namespace *nspc ATTR_UNUSED,
			struct sieve_ast_argument *arg,
			struct sieve_command *cmd ATTR_UNUSED,
			ARRAY_TYPE(sieve_variable_name) *var_name,
			void **var_data, bool assignment)
{
	const struct sieve_variable_name *elements;
	const char *name;
	unsigned int count, code;

	elements = array_get(var_name, &count);
	i_assert(count > 1);
	code = EXT_HELPDESK_VAR_COUNT;
	if (count == 2 && elements[1].num_variable < 0) {
		name = str_c(elements[1].identifier);
		for (code = 0; code < EXT_HELPDESK_VAR_COUNT; code++) {
			if (strcasecmp(name,
				       ext_helpdesk_variable_names[code]) == 0)
				break;
		}
	}
	if (code == EXT_HELPDESK_VAR_COUNT) {
		sieve_argument_validate_error(valdtr, arg,
			"vnd.dovecot.helpdesk: unknown variable `%s' "
			"(expected helpdesk.last_team or "
			"helpdesk.open_ticket)",
			str_sanitize(ext_helpdesk_variable_string(var_name),
				     80));
		/* Pigeonhole 0.5.19 fails the script for this in an
		   assignment; in a string it drops the substitution and
		   compiles the rest (ext-variables-arguments.c), the error
		   still printed */
		return FALSE;
	}
	if (assignment) {
		sieve_argument_validate_error(valdtr, arg,
			"vnd.dovecot.helpdesk: cannot assign to the variable "
			"`helpdesk.%s' (it is read from the help desk's store)",
			ext_helpdesk_variable_names[code]);
		return FALSE;
	}
	*var_data = POINTER_CAST(code + 1);
	return TRUE;
}

static bool
vnspc_helpdesk_generate(const struct sieve_codegen_env *cgenv,
			const struct sieve_variables_namespace *nspc,
			struct sieve_ast_argument *arg ATTR_UNUSED,
			struct sieve_command *cmd ATTR_UNUSED, void *var_data)
{
	const struct sieve_extension *this_ext = SIEVE_OBJECT_EXTENSION(nspc);
	const struct ext_helpdesk_context *ectx;
	unsigned int code;

	if (this_ext == NULL || var_data == NULL)
		return FALSE;
	code = POINTER_CAST_TO(var_data, unsigned int) - 1;
	ectx = this_ext->context;
	sieve_variables_opr_namespace_variable_emit(cgenv->sblock,
		ectx->var_ext, this_ext, &helpdesk_namespace);
	(void)sieve_binary_emit_unsigned(cgenv->sblock, code);
	return TRUE;
}

static bool
vnspc_helpdesk_dump_variable(const struct sieve_dumptime_env *denv,
			     const struct sieve_variables_namespace *nspc ATTR_UNUSED,
			     const struct sieve_operand *oprnd,
			     sieve_size_t *address)
{
	unsigned int code;
	const char *name;

	if (!sieve_binary_read_unsigned(denv->sblock, address, &code) ||
	    (name = ext_helpdesk_variable_name(code)) == NULL)
		return FALSE;
	if (oprnd->field_name != NULL) {
		sieve_code_dumpf(denv, "%s: VAR ${helpdesk.%s}",
				 oprnd->field_name, name);
	} else {
		sieve_code_dumpf(denv, "VAR ${helpdesk.%s}", name);
	}
	return TRUE;
}

static int
vnspc_helpdesk_read_variable(const struct sieve_runtime_env *renv,
			     const struct sieve_variables_namespace *nspc,
			     const struct sieve_operand *oprnd,
			     sieve_size_t *address, string_t **str_r)
{
	const struct sieve_extension *this_ext = SIEVE_OBJECT_EXTENSION(nspc);
	const struct helpdesk_customer_facts *facts = NULL;
	const char *sender, *value = "";
	unsigned int code;
	int ret;

	if (!sieve_binary_read_unsigned(renv->sblock, address, &code) ||
	    ext_helpdesk_variable_name(code) == NULL) {
		sieve_runtime_trace_operand_error(renv, oprnd,
			"helpdesk variable operand corrupt: invalid name");
		return SIEVE_EXEC_BIN_CORRUPT;
	}
	if (str_r == NULL)
		return SIEVE_EXEC_OK;

	if ((ret = ext_helpdesk_sender(renv, this_ext, &sender)) <= 0)
		return ret;
	if (sender != NULL &&
	    (ret = ext_helpdesk_facts(renv, this_ext, sender,
				      &facts)) <= 0)
		return ret;
	if (facts != NULL) {
		switch ((enum ext_helpdesk_variable)code) {
		case EXT_HELPDESK_VAR_LAST_TEAM:
			if (facts->last_team != NULL)
				value = facts->last_team;
			break;
		case EXT_HELPDESK_VAR_OPEN_TICKET:
			value = dec2str(facts->open_ticket);
			break;
		case EXT_HELPDESK_VAR_COUNT:
			i_unreached();
		}
	}
	*str_r = t_str_new_const(value, strlen(value));
	return SIEVE_EXEC_OK;
}

/*
 * Registration
 */

static const struct sieve_extension_objects helpdesk_namespaces =
	SIEVE_VARIABLES_DEFINE_NAMESPACE(helpdesk_namespace);

const struct sieve_operand_def helpdesk_namespace_operand = {
	.name = "helpdesk-namespace",
	.ext_def = &helpdesk_extension,
	.class = &sieve_variables_namespace_operand_class,
	.interface = &helpdesk_namespaces,
};

void ext_helpdesk_variables_init(const struct sieve_extension *ext,
				 struct sieve_validator *valdtr)
{
	const struct ext_helpdesk_context *ectx = ext->context;

	sieve_variables_namespace_register(ectx->var_ext, valdtr, ext,
					   &helpdesk_namespace);
}
