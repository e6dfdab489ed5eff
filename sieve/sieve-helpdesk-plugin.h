#ifndef SIEVE_HELPDESK_PLUGIN_H
#define SIEVE_HELPDESK_PLUGIN_H

/* The Sieve plugin sieve_helpdesk (lib90_sieve_helpdesk_plugin.so, in
   $moduledir/sieve): registers the extension vnd.dovecot.helpdesk, which
   the admin enables with sieve_extensions or sieve_global_extensions. */

struct module;

extern const char *sieve_helpdesk_plugin_version;

/* Called by Pigeonhole for each Sieve instance (sieve_plugins). */
void sieve_helpdesk_plugin_load(struct sieve_instance *svinst,
				void **context);
void sieve_helpdesk_plugin_unload(struct sieve_instance *svinst,
				  void *context);

/* The module interface (module_dir_load); nothing to do. */
void sieve_helpdesk_plugin_init(void);
void sieve_helpdesk_plugin_deinit(void);

#endif
