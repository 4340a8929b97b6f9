# SPDX-License-Identifier: GPL-2.0-only
# Sourced by tests/cli/t-*.sh: TAP output, a scratch directory, and helpers
# to make members, read examine --json and prove that nothing changed.
# shellcheck shell=sh

set -u
: "${DDRAIDCTL:?DDRAIDCTL must name the ddraidctl binary}"
T=$(mktemp -d "${TMPDIR:-/tmp}/ddraid-cli.XXXXXX") || exit 1
trap 'rm -rf "$T"' EXIT
tap_n=0

ok() {
	tap_n=$((tap_n + 1))
	echo "ok $tap_n - $*"
}

not_ok() {
	tap_n=$((tap_n + 1))
	echo "not ok $tap_n - $*"
}

# The plan, at the end: the number of tests that ran.
done_testing() {
	echo "1..$tap_n"
}

# t DESC CMD...: one test that passes when CMD succeeds.
t() {
	_d=$1
	shift
	if "$@"; then ok "$_d"; else not_ok "$_d"; fi
}

# Run "ddraidctl ARGS"; keep stdout in $T/out and stderr in $T/err and the
# exit status in $rc.
ctl() {
	"$DDRAIDCTL" "$@" >"$T/out" 2>"$T/err"
	rc=$?
	return 0
}

# expect RC DESC ARGS...: run ddraidctl ARGS, one test on its exit status.
expect() {
	_want=$1
	_d=$2
	shift 2
	ctl "$@"
	# Under --enable-sanitizers a report exits 1, which a refusal test
	# would otherwise take for the refusal it expected.
	if grep -Eq 'Sanitizer|runtime error:' "$T/err"; then
		not_ok "$_d: sanitizer report"
		sed 's/^/# stderr: /' "$T/err"
	elif [ "$rc" = "$_want" ]; then
		ok "$_d (exit $rc)"
	else
		not_ok "$_d (exit $rc, wanted $_want)"
		sed 's/^/# stderr: /' "$T/err"
	fi
}

# err_has DESC REGEX: one test that stderr of the last ctl matches.
err_has() {
	if grep -Eq -- "$2" "$T/err"; then
		ok "$1"
	else
		not_ok "$1: stderr does not match '$2'"
		sed 's/^/# stderr: /' "$T/err"
	fi
}

out_has() {
	if grep -Eq -- "$2" "$T/out"; then
		ok "$1"
	else
		not_ok "$1: stdout does not match '$2'"
		sed 's/^/# stdout: /' "$T/out"
	fi
}

# mkfiles SIZE NAME...: fresh sparse files in $T.
mkfiles() {
	_s=$1
	shift
	for _f in "$@"; do
		rm -f "$T/$_f"
		truncate -s "$_s" "$T/$_f"
	done
}

# members PREFIX N: the paths $T/PREFIX0 ... $T/PREFIX(N-1), space-separated.
members() {
	_i=0
	_l=""
	while [ "$_i" -lt "$2" ]; do
		_l="$_l $T/$1$_i"
		_i=$((_i + 1))
	done
	echo "$_l"
}

# snap FILE...: one line of checksums of the files (of whatever exists).
snap() {
	for _f in "$@"; do
		if [ -e "$_f" ]; then sha256sum <"$_f"; else echo "absent $_f"; fi
	done | sha256sum | cut -d' ' -f1
}

# jget FILE-OR-DEV KEY: a top-level number or string from examine --json.
jget() {
	"$DDRAIDCTL" examine --json "$1" 2>/dev/null |
		sed -n "s/^  \"$2\":\"\{0,1\}\([^\",]*\)\"\{0,1\},\{0,1\}\$/\1/p"
}

# sha FILE: the sha256 of a file.
sha() {
	sha256sum <"$1" | cut -d' ' -f1
}

# random FILE BYTES: that many random bytes.
random() {
	head -c "$2" /dev/urandom >"$1"
}

# unchanged DESC BEFORE FILE...: one test that the files still hash to BEFORE.
unchanged() {
	_d=$1
	_b=$2
	shift 2
	if [ "$(snap "$@")" = "$_b" ]; then
		ok "$_d: members unchanged"
	else
		not_ok "$_d: members changed"
	fi
}

# te DESC 'SHELL EXPRESSION': one test that the expression is true.
te() {
	if eval "$2"; then ok "$1"; else not_ok "$1"; fi
}

# fake_ctl SOCK REPLY [REQS [HOLD]]: a stand-in control socket
# (tests/cli/fake_ctl.py) in the background, its pid in $fake_ctl_pid,
# once the socket exists (5 s at most). The caller kills it.
fake_ctl() {
	_fc_dir=${TESTS_SRCDIR:+$TESTS_SRCDIR/cli}
	python3 "${_fc_dir:-$(dirname "$0")}/fake_ctl.py" "$@" &
	fake_ctl_pid=$!
	_fc_i=0
	while [ ! -S "$1" ] && [ $_fc_i -lt 100 ]; do
		sleep 0.05
		_fc_i=$((_fc_i + 1))
	done
}
