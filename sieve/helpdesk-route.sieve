# helpdesk-route.sieve -- default routing for the dovecot-helpdesk queue.
#
# Installed as a global `sieve_before` script: it runs for every LMTP/LDA
# delivery before the user's own script.  Mail whose *envelope* recipient
# is the support mailbox (support@..., support+<team>@...) is filed into the
# shared queue with keywords; every other message is left alone (implicit
# keep, the user's personal script still runs).
#
# Standard Sieve: RFC 5228 (base, envelope, fileinto), RFC 5229
# (variables), RFC 5232 (imap4flags), RFC 5233 (subaddress), RFC 5463
# (ihave).  The rules "from the help desk's store" use the extension
# vnd.dovecot.helpdesk when the Sieve plugin sieve_helpdesk is loaded, and
# are skipped when it is not.
# After editing: `sievec helpdesk-route.sieve` (see README.md).

require ["envelope", "subaddress", "fileinto", "imap4flags", "variables",
         "ihave"];

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

# =========================================================================
#  EDITABLE RULES
#  Each rule adds keywords to the variable "hd_flags"; they are attached to
#  the message only when it goes to the queue.
# =========================================================================
set "hd_flags" "";

# --- Team by the address the customer wrote to ---------------------------
# support+TEAM@... (the envelope detail, any case) or a team address in
# To:/Cc:.  One line per team; keyword = hd-team-<team>.  Teams are listed
# here on purpose: a customer cannot invent keywords by writing to
# support+anything@.
if anyof (envelope :detail :comparator "i;ascii-casemap" :is "to" "billing",
          address :is ["to", "cc"] "billing@example.com") {
    addflag "hd_flags" "${p}team-billing";
}
if anyof (envelope :detail :comparator "i;ascii-casemap" :is "to" "sales",
          address :is ["to", "cc"] "sales@example.com") {
    addflag "hd_flags" "${p}team-sales";
}
if envelope :detail :comparator "i;ascii-casemap" :is "to" "network" {
    addflag "hd_flags" "${p}team-network";
}

# --- High priority: urgent words in the Subject --------------------------
# Whole words, any case: "Server down!" matches, "Download" does not.  Add
# a word by copying one block of patterns.
if header :matches "subject" "*" {
    # pad with spaces so a word at either end is "between" separators
    set :lower "subj" " ${1} ";
}
if string :contains "${subj}" [
        " urgent ", " urgent:", " urgent!", " urgent,", " urgent.",
        "[urgent]", "(urgent)",
        " outage ", " outage:", " outage!", " outage,", " outage.",
        " down ", " down:", " down!", " down,", " down.", " down?",
        " emergency ", " emergency:", " emergency!", " emergency,",
        " emergency."] {
    addflag "hd_flags" "${p}prio-high";
}

# --- VIP customers: domains of the From: header -> keyword hd-vip ---------
# "*.example.org" also matches subdomains.
if address :domain :comparator "i;ascii-casemap" :matches "from" [
        "vip.example.net",
        "bigcustomer.example"
    ] {
    addflag "hd_flags" "${p}vip";
}

# --- From the help desk's store (vnd.dovecot.helpdesk) -------------------
# Only for mail to support (a store lookup per delivery to it), and only
# when the extension is loaded (sieve/README.md); otherwise skipped.
if envelope :user :comparator "i;ascii-casemap" :is "to" "${support_user}" {
    if ihave "vnd.dovecot.helpdesk" {
        # the From: address, its domain or a parent domain is listed by
        # `doveadm helpdesk vip add`
        if helpdesk_vip {
            addflag "hd_flags" "${p}vip";
        }
        # no team from the address the customer wrote to: the team of the
        # sender's newest ticket that has one
        if not string :contains "${hd_flags}" "${p}team-" {
            set "last_team" "${helpdesk.last_team}";
            if string :matches "${last_team}" "?*" {
                addflag "hd_flags" "${p}team-${last_team}";
            }
        }
    }
}

# =========================================================================
#  ENGINE (no need to edit below this line)
# =========================================================================

if envelope :user :comparator "i;ascii-casemap" :is "to"
        "${support_user}" {
    fileinto :flags "${hd_flags}" "${queue}";
    stop;
}

# Anything else: implicit keep (normal delivery, personal script runs).
