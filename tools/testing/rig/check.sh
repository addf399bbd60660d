#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# check.sh: every test, from a fresh Debian 12 machine (as root): install
# what is needed, then "make check" (build checks, unit tests, selftests on
# the emulated SVM and VMX hosts).  The last line of the output is the
# summary, "N passed, N failed, N skipped"; exit status 0 only if nothing
# failed.
#
#   tools/testing/rig/check.sh [make arguments, e.g. check-ref or TESTS=...]

set -uo pipefail

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)
RESULTS=$TOP/build/check/results.txt

if ! "$TOP/tools/testing/rig/setup.sh"; then
	echo "check: setup failed"
	echo "0 passed, 1 failed, 0 skipped"
	exit 1
fi

rm -f "$RESULTS"
[ $# -gt 0 ] || set -- check
make -C "$TOP" --no-print-directory "$@"
rc=$?

# make adds its own "Error" line after a failed check's summary: repeat
# the summary so that it stays the last line.
if [ "$rc" = 0 ] && [ -s "$RESULTS" ]; then
	:
elif [ -s "$RESULTS" ]; then
	printf '%s passed, %s failed, %s skipped\n' \
		"$(grep -c '^PASS' "$RESULTS")" "$(grep -c '^FAIL' "$RESULTS")" \
		"$(grep -c '^SKIP' "$RESULTS")"
else
	echo "0 passed, 1 failed, 0 skipped"
	rc=1
fi
exit "$rc"
