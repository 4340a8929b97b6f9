# SPDX-License-Identifier: GPL-2.0-only
# Sourced by the shell tests that print TAP themselves: numbered points in
# $n, $failed set to 1 by any failure. A test ends with
#     echo "1..$n"; exit $failed
# shellcheck shell=sh disable=SC2034 # $failed is read by the test that sources this

n=0
failed=0
ok() { n=$((n + 1)); echo "ok $n - $*"; }
not_ok() { n=$((n + 1)); failed=1; echo "not ok $n - $*"; }
# t DESC CMD...: one point that passes when CMD succeeds.
t() {
	_d=$1
	shift
	if "$@"; then ok "$_d"; else not_ok "$_d"; fi
}
