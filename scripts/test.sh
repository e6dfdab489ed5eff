#!/bin/sh
# Set up (scripts/setup.sh), run every test, print the summary line:
#  1. make check: unit tests (under valgrind), the parser fuzz replay and
#     the integration tests against private Dovecots (and PostgreSQL);
#  2. make check-valgrind: the integration tests again with every LMTP
#     process (the plugin's whole save path) under valgrind;
#  3. make check-pgsql: the integration tests that concern the store again
#     with the store on PostgreSQL.
set -u
cd "$(dirname "$0")/.."
./scripts/setup.sh || exit 1

status=0
: >check.out
for target in check check-valgrind check-pgsql; do
	echo "== make $target"
	make -j2 $target >check.part 2>&1 || status=1
	grep -E '^(PASS|FAIL|XFAIL|XPASS|ERROR|SKIP):' check.part |
		sed "s/^/[$target] /"
	cat check.part >>check.out
	if grep -qE '^(FAIL|XPASS|ERROR):' check.part; then
		for log in tests/*.log tests/integration/*.log tests/notifier/*.log \
			desktop-notifier/*.log; do
			[ -f "$log" ] || continue
			[ "$(basename "$log")" = test-suite.log ] && continue
			if grep -qE '^(not ok|Bail out!)|^(FAIL|ERROR)' "$log"; then
				echo "----- $log ($target)"
				tail -60 "$log"
			fi
		done
	fi
done
rm -f check.part
# Count the test points automake's drivers report (one per TAP line or
# unit test program), over both runs.
passed=$(grep -cE '^(PASS|XFAIL):' check.out)
failed=$(grep -cE '^(FAIL|XPASS|ERROR):' check.out)
if [ "$passed" -eq 0 ] && [ "$failed" -eq 0 ]; then
	echo "no tests ran" >&2
	failed=1
fi
echo "$passed passed, $failed failed"
[ "$status" -eq 0 ] && [ "$failed" -eq 0 ]
