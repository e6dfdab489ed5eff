#ifndef HELPDESK_VIP_H
#define HELPDESK_VIP_H

/* A VIP entry as doveadm helpdesk vip add takes it: an address
   (user@domain) or a domain, which also covers its subdomains. Returns
   TRUE with the entry in lower case (data stack), or FALSE with why. */
bool helpdesk_vip_entry_parse(const char *entry, const char **entry_r,
			      const char **error_r);

#endif
