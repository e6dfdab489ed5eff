#!/bin/sh
# imaptest.sh -- Dovecot's imaptest hammering the helpdesk queue with the
# helpdesk keywords, then the invariant check of stress_keywords.py.
#
#   IMAPTEST_SRC=/path/to/imaptest.git  tests/stress/imaptest.sh [SECONDS]
#
# imaptest is not packaged in Debian and CI can't download it: IMAPTEST_SRC
# names a git directory (bare or not) of github.com/dovecot/imaptest; the
# script exits 77 (skip) without it. It builds commit $IMAPTEST_COMMIT
# (default 924f619, the last one for Dovecot 2.3's API) in a temp tree
# (`git archive`, the source repository is not touched), with two changes
# made here by sed:
#   - imap_parser_create() gets a 4th argument NULL when the installed
#     imap-parser.h wants one (Debian's 2.3.19.1 backported it);
#   - the random STORE keywords ($Label1..$Label5, src/mailbox.c) come from
#     the environment variable IMAPTEST_KEYWORDS (space separated).
# The build is kept in $IMAPTEST_BUILD (default /tmp/imaptest-build-COMMIT)
# and reused while its stamp matches; IMAPTEST_REBUILD=1 forces a rebuild.
#
# Then imaptest_run.py starts a private Dovecot with the plugin ($HD_PLUGIN)
# through tests/lib/hdtest.py, files tickets, runs imaptest against
# Public/Queue for SECONDS (default $IMAPTEST_SECS or 60) and checks the
# invariants. Environment (all optional):
#   IMAPTEST_CLIENTS   concurrent imaptest clients (default 6)
#   IMAPTEST_KEYWORDS  the STORE keywords (default: the helpdesk's, see
#                      imaptest_run.py)
#   IMAPTEST_STATES    imaptest's command mix (default: STORE-heavy, no
#                      APPEND/COPY/EXPUNGE; "default" = imaptest's own)
#   IMAPTEST_SEED      imaptest's and the setup's seed
# Exit: 0 invariants hold, 1 violated, 77 skipped, 99 build failure.
# Run as root (the private Dovecot needs it).

set -eu

HERE=$(cd "$(dirname "$0")" && pwd)
SECS=${1:-${IMAPTEST_SECS:-60}}
COMMIT=${IMAPTEST_COMMIT:-924f619}

if [ -z "${IMAPTEST_SRC:-}" ]; then
	echo "SKIP: IMAPTEST_SRC is not set (a git directory of github.com/dovecot/imaptest;"
	echo "      imaptest is not packaged in Debian and is not downloaded by this script)"
	exit 77
fi
if ! git -C "$IMAPTEST_SRC" rev-parse -q --verify "$COMMIT^{commit}" >/dev/null 2>&1; then
	echo "SKIP: $IMAPTEST_SRC is no git directory with commit $COMMIT"
	exit 77
fi
if [ ! -f /usr/lib/dovecot/dovecot-config ]; then
	echo "SKIP: /usr/lib/dovecot/dovecot-config missing (install dovecot-dev)"
	exit 77
fi

BUILD=${IMAPTEST_BUILD:-/tmp/imaptest-build-$COMMIT}
BIN=$BUILD/src/imaptest
# the stamp: commit, this script's sed changes and the Dovecot headers
STAMP=$(
	{
		git -C "$IMAPTEST_SRC" rev-parse "$COMMIT^{commit}"
		sed -n '/^patch_tree()/,/^} # end of patch_tree/p' "$0"
		cat /usr/include/dovecot/imap-parser.h
	} | sha256sum | cut -c1-16)

patch_tree() {
	# 1. imap_parser_create(input, output, max_line_size[, params])
	if grep -q 'imap_parser_params' /usr/include/dovecot/imap-parser.h &&
	   grep -A3 '^imap_parser_create(' /usr/include/dovecot/imap-parser.h |
		grep -q 'params'; then
		for f in src/commands.c src/imap-client.c src/test-parser.c; do
			sed -i 's/imap_parser_create(\([^;]*\), (size_t)-1)/imap_parser_create(\1, (size_t)-1, NULL)/' "$f"
			grep -q 'imap_parser_create(.*, NULL)' "$f" || {
				echo "patch: imap_parser_create not found in $f" >&2; return 1; }
		done
	fi
	# 2. STORE keywords from $IMAPTEST_KEYWORDS
	f=src/mailbox.c
	grep -q '"\$Label1", "\$Label2", "\$Label3", "\$Label4", "\$Label5"' "$f" || {
		echo "patch: the keyword list is not where expected in $f" >&2; return 1; }
	sed -i '/static const char \*keywords\[\] = {/,/};/c\
	unsigned int keywords_count;\
	const char *const *keywords = imaptest_env_keywords(&keywords_count);' "$f"
	sed -i 's/N_ELEMENTS(keywords)/keywords_count/' "$f"
	sed -i '/^const char \*mailbox_view_get_random_flags(/i\
/* helpdesk stress: the STORE keywords from $IMAPTEST_KEYWORDS */\
static const char *const *imaptest_env_keywords(unsigned int *count_r)\
{\
	static const char *const *keywords = NULL;\
	static unsigned int count = 0;\
	const char *env;\
\
	if (keywords == NULL) {\
		env = getenv("IMAPTEST_KEYWORDS");\
		if (env == NULL || env[0] == 0)\
			env = "$Label1 $Label2 $Label3 $Label4 $Label5";\
		keywords = (const char *const *)\
			p_strsplit_spaces(default_pool, env, " ");\
		count = str_array_length(keywords);\
	}\
	*count_r = count;\
	return keywords;\
}\
' "$f"
	grep -q 'imaptest_env_keywords(&keywords_count)' "$f" &&
		! grep -q 'N_ELEMENTS(keywords)' "$f" || {
		echo "patch: keyword change failed in $f" >&2; return 1; }
	# git-version-gen wants .git or a version file
	echo "0.0.0-$COMMIT-helpdesk" > version
} # end of patch_tree

if [ -n "${IMAPTEST_REBUILD:-}" ] || [ ! -x "$BIN" ] ||
   [ "$(cat "$BUILD/.helpdesk-stamp" 2>/dev/null)" != "$STAMP" ]; then
	echo "imaptest: building $COMMIT in $BUILD"
	rm -rf "$BUILD"
	mkdir -p "$BUILD"
	git -C "$IMAPTEST_SRC" archive --format=tar "$COMMIT" | tar -x -C "$BUILD"
	(
		cd "$BUILD"
		patch_tree
		./autogen.sh
		./configure --with-dovecot=/usr/lib/dovecot
		make -j"$(nproc 2>/dev/null || echo 2)"
	) > "$BUILD.log" 2>&1 || {
		echo "imaptest: build failed, see $BUILD.log:"
		tail -30 "$BUILD.log"
		exit 99
	}
	echo "$STAMP" > "$BUILD/.helpdesk-stamp"
	echo "imaptest: built $BIN"
fi

exec python3 "$HERE/imaptest_run.py" --imaptest "$BIN" --seconds "$SECS" \
	${IMAPTEST_CLIENTS:+--clients "$IMAPTEST_CLIENTS"} \
	${IMAPTEST_SEED:+--seed "$IMAPTEST_SEED"}
