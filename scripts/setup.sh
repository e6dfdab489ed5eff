#!/bin/sh
# Install what a fresh Debian 12 machine lacks, then build and install the
# plugin. Safe to run again: it only installs what is missing.
set -eu
cd "$(dirname "$0")/.."

PACKAGES="build-essential autoconf automake libtool pkg-config \
dovecot-core dovecot-dev dovecot-imapd dovecot-lmtpd dovecot-sieve \
dovecot-pgsql sqlite3 libsqlite3-dev python3 valgrind clang \
postgresql thunderbird xvfb xauth imagemagick neomutt tmux tzdata \
libglib2.0-dev libglib2.0-bin libnotify-dev libsecret-1-dev libjson-glib-dev \
glib-networking dbus-daemon python3-dbusmock openssl"

missing=""
for p in $PACKAGES; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
		missing="$missing $p"
done
if [ -n "$missing" ]; then
	echo "setup: installing:$missing"
	if [ "$(id -u)" != 0 ]; then
		echo "setup: run as root (or install these packages first):$missing" >&2
		exit 1
	fi
	apt-get update -qq
	# Debian's dovecot-core starts the system Dovecot where it can; the
	# tests run their own private instances on other ports either way.
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
		--no-install-recommends $missing >/dev/null
fi

if [ ! -x configure ] || [ configure.ac -nt configure ]; then
	# autoconf 2.71 warns about Dovecot's own m4 macros: keep the log
	autoreconf -fi >autoreconf.log 2>&1 || { cat autoreconf.log; exit 1; }
fi
if [ ! -f Makefile ] || [ configure -nt Makefile ]; then
	./configure --quiet
fi
make -j"$(nproc)" >/dev/null
# The doveadm plugin directory is fixed at Dovecot's compile time: doveadm
# only finds `doveadm helpdesk` when the plugin is installed there.
make install >/dev/null
echo "setup: built and installed lib20_helpdesk_plugin.so and lib10_doveadm_helpdesk_plugin.so"
