# helpdesk-route.sieve -- default routing for the dovecot-helpdesk queue.
#
# Installed as a global `sieve_before` script: it runs for every LMTP/LDA
# delivery before the user's own script.  Mail whose *envelope* recipient
# is the support mailbox (support@..., support+<team>@...) is filed into the
# shared queue with keywords; every other message is left alone (implicit
# keep, the user's personal script still runs).
#
# Standard Sieve only (RFC 5228, 5229, 5231 envelope, 5232, 5233, regex).
# After editing: `sievec helpdesk-route.sieve` (see README.md).

require ["envelope", "subaddress", "fileinto", "imap4flags",
         "variables", "regex"];

# =========================================================================
#  EDITABLE SETTINGS
# =========================================================================

# Local part of the support address.  Any detail is accepted:
# support@example.com, support+billing@example.com, ...
set "support_user" "support";

# The shared queue (must match the plugin setting helpdesk_queue).
set "queue" "Public/Queue";

# Keyword prefix (must match the plugin's prefix; default "hd-").
set "p" "hd-";

# Subject words that make a ticket high priority (keyword hd-prio-high).
# Separate words with "|".  Matched case-insensitively as whole words:
# "down" matches "Server down!" but not "Download".
set "urgent_words" "urgent|outage|down|emergency";

# =========================================================================
#  EDITABLE RULES
#  Each rule adds keywords to the variable "hd_flags"; they are attached to
#  the message only when it goes to the queue.
# =========================================================================
set "hd_flags" "";

# --- Team by the address the customer wrote to (To: or Cc: header) -------
# One line per address; keyword = hd-team-<team>.  Copy a line to add one:
#   if address :is ["to", "cc"] "ADDRESS" { addflag "hd_flags" "${p}team-TEAM"; }
if address :is ["to", "cc"] "billing@example.com" { addflag "hd_flags" "${p}team-billing"; }
if address :is ["to", "cc"] "sales@example.com"   { addflag "hd_flags" "${p}team-sales"; }

# --- VIP customers: domains of the From: header -> keyword hd-vip ---------
# "*.example.org" also matches subdomains.
if address :domain :matches "from" [
        "vip.example.net",
        "bigcustomer.example"
    ] {
    addflag "hd_flags" "${p}vip";
}

# =========================================================================
#  ENGINE (no need to edit below this line)
# =========================================================================

# High priority: one of the urgent words in the Subject.
if header :regex :comparator "i;ascii-casemap" "subject"
        "(^|[^[:alnum:]])(${urgent_words})([^[:alnum:]]|$)" {
    addflag "hd_flags" "${p}prio-high";
}

if envelope :user :is "to" "${support_user}" {
    # Team by detail: support+billing@... -> hd-team-billing.  Only short
    # names of letters, digits, "_", "-" and "." are valid keyword parts.
    if envelope :detail :regex :comparator "i;ascii-casemap" "to"
            "^([a-z0-9][a-z0-9._-]{0,39})$" {
        set :lower "team" "${1}";
        addflag "hd_flags" "${p}team-${team}";
    }

    fileinto :flags "${hd_flags}" "${queue}";
    stop;
}

# Anything else: implicit keep (normal delivery, personal script runs).
