#!/bin/sh
# Set up (scripts/setup.sh), run every test (make check: unit tests,
# integration tests against private Dovecots), print the summary line.
set -u
cd "$(dirname "$0")/.."
./scripts/setup.sh || exit 1

make -j2 check >check.out 2>&1
status=$?
grep -E '^(PASS|FAIL|XFAIL|XPASS|ERROR|SKIP):' check.out || true
if [ $status -ne 0 ]; then
	for log in tests/*.log tests/integration/*.log; do
		[ -f "$log" ] || continue
		if grep -qE '^(FAIL|ERROR)' "$log" 2>/dev/null ||
		   grep -q '^not ok' "$log" 2>/dev/null; then
			echo "----- $log"
			tail -60 "$log"
		fi
	done
fi
# Count the test points automake's drivers report (one per TAP line or
# unit test program).
passed=$(grep -cE '^(PASS|XFAIL):' check.out)
failed=$(grep -cE '^(FAIL|XPASS|ERROR):' check.out)
if [ "$passed" -eq 0 ] && [ "$failed" -eq 0 ]; then
	echo "no tests ran" >&2
	failed=1
fi
echo "$passed passed, $failed failed"
[ "$status" -eq 0 ] && [ "$failed" -eq 0 ]
