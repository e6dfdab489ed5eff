/* Copyright (c) 2026 dovecot-helpdesk authors, see the included COPYING file */

#include "lib.h"
#include "test-common.h"
#include "helpdesk-settings.h"

struct test_env {
	const char *queue, *db, *prefix, *tag, *resolved;
};

static const char *test_getenv(const char *name, struct test_env *env)
{
	if (strcmp(name, "helpdesk_queue") == 0)
		return env->queue;
	if (strcmp(name, "helpdesk_db") == 0)
		return env->db;
	if (strcmp(name, "helpdesk_keyword_prefix") == 0)
		return env->prefix;
	if (strcmp(name, "helpdesk_subject_tag") == 0)
		return env->tag;
	if (strcmp(name, "helpdesk_resolved_mailbox") == 0)
		return env->resolved;
	return NULL;
}

static void test_helpdesk_settings_parse(void)
{
	static const struct {
		struct test_env env;
		int ret;
	} tests[] = {
		{ { NULL, NULL, NULL, NULL, NULL }, 0 },
		{ { "", NULL, NULL, NULL, NULL }, 0 },
		{ { "Public/Queue", NULL, NULL, NULL, NULL }, 1 },
		{ { "Public/Queue Public/Billing", "sqlite:/var/x.db", "hd-", "no", NULL }, 1 },
		{ { " , ", NULL, NULL, NULL, NULL }, -1 },
		{ { "Public/*", NULL, NULL, NULL, NULL }, -1 },
		{ { "Q", "mysql:host=x", NULL, NULL, NULL }, -1 },
		{ { "Q", "sqlite:", NULL, NULL, NULL }, -1 },
		{ { "Q", "sqlite:relative.db", NULL, NULL, NULL }, -1 },
		{ { "Q", "pgsql:host=db dbname=helpdesk", NULL, NULL, NULL }, 1 },
		{ { "Q", NULL, "", NULL, NULL }, -1 },
		{ { "Q", NULL, "bad prefix", NULL, NULL }, -1 },
		{ { "Q", NULL, "\\hd", NULL, NULL }, -1 },
		{ { "Q", NULL, "$hd", NULL, NULL }, -1 },
		{ { "Q", NULL, "averyveryverylongprefix-", NULL, NULL }, -1 },
		{ { "Q", NULL, "x.", NULL, NULL }, 1 },
		{ { "Q", NULL, NULL, "maybe", NULL }, -1 },
		{ { "Q", NULL, NULL, NULL, "Public/Resolved" }, 1 },
		{ { "Q", NULL, NULL, NULL, "" }, 1 },
		{ { "Q R", NULL, NULL, NULL, "R" }, -1 },
		{ { "Q", NULL, NULL, NULL, "Public/%" }, -1 },
	};
	struct helpdesk_settings set;
	const char *error;
	unsigned int i;
	int ret;

	test_begin("helpdesk settings parse");
	for (i = 0; i < N_ELEMENTS(tests); i++) {
		error = NULL;
		ret = helpdesk_settings_parse(pool_datastack_create(),
			(helpdesk_settings_getenv_t *)test_getenv,
			(void *)&tests[i].env, &set, &error);
		test_assert_idx(ret == tests[i].ret, i);
		test_assert_idx(ret >= 0 || error != NULL, i);
	}
	test_end();
}

static void test_helpdesk_settings_defaults(void)
{
	struct test_env env = { "Public/Queue Public/Billing", NULL, NULL, NULL, NULL };
	struct helpdesk_settings set;
	const char *error;

	test_begin("helpdesk settings defaults");
	test_assert(helpdesk_settings_parse(pool_datastack_create(),
		(helpdesk_settings_getenv_t *)test_getenv, &env, &set,
		&error) == 1);
	test_assert_strcmp(set.db, HELPDESK_DEFAULT_DB);
	test_assert_strcmp(set.keyword_prefix, "hd-");
	test_assert(set.subject_tag);
	test_assert(helpdesk_settings_is_queue(&set, "Public/Billing"));
	test_assert(!helpdesk_settings_is_queue(&set, "Public/Queue2"));
	test_assert(!helpdesk_settings_is_queue(&set, "INBOX"));
	test_assert_strcmp(helpdesk_keyword(&set, "new"), "hd-new");
	test_end();
}

static const char *const *test_sla_env;

static const char *test_sla_getenv(const char *name,
				   void *context ATTR_UNUSED)
{
	const char *const *p;

	if (strcmp(name, "helpdesk_queue") == 0)
		return "Public/Queue";
	for (p = test_sla_env; p != NULL && *p != NULL; p += 2) {
		if (strcmp(p[0], name) == 0)
			return p[1];
	}
	return NULL;
}

static void test_helpdesk_settings_sla(void)
{
	static const struct {
		const char *env[8];
		bool enabled;
		/* in the error (NULL: none) */
		const char *error;
	} tests[] = {
		/* on by default, with the shipped targets */
		{ { NULL }, TRUE, NULL },
		{ { "helpdesk_sla", "no", NULL }, FALSE, NULL },
		{ { "helpdesk_sla_first_response", "normal=30s", NULL },
		  TRUE, NULL },
		/* a bad setting turns the clocks off, with one clear error,
		   and nothing else */
		{ { "helpdesk_sla_first_response", "normal=soon", NULL },
		  FALSE, "helpdesk_sla_first_response" },
		{ { "helpdesk_sla_resolution", "fast=1h", NULL },
		  FALSE, "helpdesk_sla_resolution" },
		{ { "helpdesk_sla_vip_factor", "2", NULL },
		  FALSE, "helpdesk_sla_vip_factor" },
		{ { "helpdesk_sla_warn", "soon", NULL },
		  FALSE, "helpdesk_sla_warn" },
		{ { "helpdesk_business_hours", "mon-fri 9-17", NULL },
		  FALSE, "business hours" },
		{ { "helpdesk_timezone", "Mars/Olympus", NULL },
		  FALSE, "timezone" },
		{ { "helpdesk_holidays", "2026-12-24 2026-13-01", NULL },
		  FALSE, "holidays" },
		{ { "helpdesk_business_hours", "mon-fri 09:00-17:00",
		    "helpdesk_timezone", "Europe/Berlin",
		    "helpdesk_holidays", "2026-12-24,2026-12-25", NULL },
		  TRUE, NULL },
	};
	struct helpdesk_settings set;
	const char *error;
	unsigned int i;

	test_begin("helpdesk settings sla");
	for (i = 0; i < N_ELEMENTS(tests); i++) {
		test_sla_env = tests[i].env;
		test_assert_idx(helpdesk_settings_parse(pool_datastack_create(),
			test_sla_getenv, NULL, &set, &error) == 1, i);
		test_assert_idx(set.sla_enabled == tests[i].enabled, i);
		if (tests[i].error == NULL)
			test_assert_idx(set.sla_error == NULL, i);
		else {
			test_assert_idx(set.sla_error != NULL &&
				strstr(set.sla_error, tests[i].error) != NULL,
				i);
		}
	}
	test_end();
}

int main(void)
{
	static void (*const test_functions[])(void) = {
		test_helpdesk_settings_parse,
		test_helpdesk_settings_sla,
		test_helpdesk_settings_defaults,
		NULL
	};
	return test_run(test_functions);
}
