/* Copyright (c) 2026 dovecot-helpdesk authors, see the included COPYING file */

/* The Sieve plugin: registers vnd.dovecot.helpdesk with each Sieve
   instance. Loaded by `sieve_plugins = sieve_helpdesk`. */

#include "lib.h"
#include "sieve-common.h"
#include "sieve-extensions.h"
#include "ext-helpdesk-common.h"
#include "sieve-helpdesk-plugin.h"

const char *sieve_helpdesk_plugin_version = PIGEONHOLE_ABI_VERSION;

void sieve_helpdesk_plugin_load(struct sieve_instance *svinst,
				void **context)
{
	/* not enabled by itself: the admin names it in sieve_extensions or
	   sieve_global_extensions, as for vnd.dovecot.pipe */
	*context = (void *)sieve_extension_register(svinst,
						    &helpdesk_extension,
						    FALSE);
}

void sieve_helpdesk_plugin_unload(struct sieve_instance *svinst ATTR_UNUSED,
				  void *context)
{
	const struct sieve_extension *ext = context;

	if (ext != NULL)
		sieve_extension_unregister(ext);
}

void sieve_helpdesk_plugin_init(void)
{
}

void sieve_helpdesk_plugin_deinit(void)
{
}
