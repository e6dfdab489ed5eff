#!/usr/bin/python3
"""The built plugins link as Dovecot loads them: a plugin module is a
shared object whose missing symbols the host binary provides, so the
linker never complains about a helpdesk function that no longer exists
-- Dovecot would refuse the module at dlopen() (RTLD_NOW). Every
undefined helpdesk_* symbol must be one the mail plugin exports, and the
mail plugin exports only its entry points.

TAP output."""

import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
from tap import Tap  # noqa: E402

BUILD = os.environ.get("HD_BUILDDIR") or os.path.normpath(os.path.join(HERE, "..", ".."))
LIBS = os.path.join(BUILD, "plugin", ".libs")

MAIL = "lib20_helpdesk_plugin.so"
# what other modules may use of the mail plugin
EXPORTS = {"helpdesk_plugin_init", "helpdesk_plugin_deinit",
           "helpdesk_plugin_version", "helpdesk_plugin_dependencies",
           "helpdesk_reconcile_user", "helpdesk_ticket_sync_user",
           "helpdesk_sla_sweep_user",
           "helpdesk_notice_register", "helpdesk_notice_command",
           # for the Sieve extension (sieve/), a weak reference there
           "helpdesk_customer_lookup"}
# the Sieve plugin: its weak reference to the mail plugin resolves to
# nothing, silently, if the name drifts
SIEVE_LIBS = os.path.join(BUILD, "sieve", ".libs")
SIEVE = "lib90_sieve_helpdesk_plugin.so"


def symbols(path):
    out = subprocess.run(["nm", "-D", "--defined-only", path], capture_output=True,
                         text=True, check=True).stdout
    defined = {l.split()[-1] for l in out.splitlines() if l.strip()}
    out = subprocess.run(["nm", "-D", "--undefined-only", path], capture_output=True,
                         text=True, check=True).stdout
    undefined = {l.split()[-1] for l in out.splitlines() if l.strip()}
    return defined, undefined


def main():
    t = Tap()
    mail = os.path.join(LIBS, MAIL)
    if not os.path.isfile(mail):
        t.skip("plugin symbols", "%s not built" % mail)
        return t.done()
    defined, undefined = symbols(mail)
    ours = {s for s in defined if s.startswith("helpdesk_")}
    t.eq(sorted(ours), sorted(EXPORTS), "%s exports exactly its entry points" % MAIL)
    t.eq(sorted(s for s in undefined if re.match(r"helpdesk_|imap_helpdesk_", s)), [],
         "%s needs no helpdesk symbol from elsewhere" % MAIL)
    for name in sorted(os.listdir(LIBS)):
        if not name.endswith(".so") or name == MAIL or os.path.islink(os.path.join(LIBS, name)):
            continue
        _, undefined = symbols(os.path.join(LIBS, name))
        missing = sorted(s for s in undefined if s.startswith("helpdesk_") and s not in EXPORTS)
        t.eq(missing, [], "%s: every helpdesk symbol it needs is exported by %s"
             % (name, MAIL))
    sieve = os.path.join(SIEVE_LIBS, SIEVE)
    if not os.path.isfile(sieve):
        t.skip("Sieve plugin symbols", "%s not built" % sieve)
        return t.done()
    defined, undefined = symbols(sieve)
    t.eq(sorted(s for s in undefined if s.startswith("helpdesk_")),
         ["helpdesk_customer_lookup"],
         "%s needs helpdesk_customer_lookup of %s, nothing else" % (SIEVE, MAIL))
    t.eq(sorted(s for s in defined if "helpdesk" in s),
         ["sieve_helpdesk_plugin_deinit", "sieve_helpdesk_plugin_init",
          "sieve_helpdesk_plugin_load", "sieve_helpdesk_plugin_unload",
          "sieve_helpdesk_plugin_version"],
         "%s exports only its entry points" % SIEVE)
    return t.done()


if __name__ == "__main__":
    sys.exit(main())
