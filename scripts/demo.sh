#!/bin/sh
# Set up, then start a private demo Dovecot with the helpdesk plugin on
# 127.0.0.1, file sample support mail and show what agents see.
# Pass --keep to leave it running until Ctrl-C.
set -eu
cd "$(dirname "$0")/.."
./scripts/setup.sh
HD_PLUGIN="$(pwd)/plugin/.libs/lib20_helpdesk_plugin.so" HD_SRCDIR="$(pwd)" \
	exec /usr/bin/python3 scripts/demo.py "$@"
