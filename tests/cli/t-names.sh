#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# One volume-name rule (lib/volname.c) at every entry point: each name of
# names.list goes through ddraidctl check-name, create --name, assemble
# --name, the online commands' VOLUME, ddraidd --volume and the OCF
# agent's validate-all. A good name must pass each of them (and create
# must store it); a bad one must be refused by each, as a bad argument,
# changing nothing. One test per entry point and verdict, naming every
# name judged wrongly.
# (lib.sh's ctl sets rc)
# shellcheck disable=SC2154
. "${TESTS_SRCDIR:-$(dirname "$0")/..}/cli/lib.sh"

LIST=${TESTS_SRCDIR:-$(dirname "$0")/..}/cli/names.list
AGENT=${TESTS_SRCDIR:-$(dirname "$0")/..}/../ocf/volume
DDRAIDD=${DDRAIDD:-${DDRAIDCTL%/tools/ddraidctl}/cpg-daemon/ddraidd}
export DDRAID_CTL_DIR="$T/ctl"
mkdir -p "$DDRAID_CTL_DIR"

# The names, decoded, one file each (a name may hold a newline).
n=0
while IFS='	' read -r verdict enc; do
	case $verdict in
	good | bad) ;;
	*) continue ;;
	esac
	n=$((n + 1))
	printf '%b' "$enc" >"$T/name.$n"
	echo "$verdict" >"$T/verdict.$n"
	echo "$enc" >"$T/enc.$n"
done <"$LIST"
total=$n
t "names.list has good and bad names ($total)" \
	[ "$(grep -c '^good' "$LIST")" -ge 10 ] && [ "$(grep -c '^bad' "$LIST")" -ge 10 ]

mkfiles 8M m0 m1

# judge ENTRY: runs judge_ENTRY NAME for every name; it returns 0 when
# the entry point treated the name as its verdict says. Two tests.
judge() {
	_entry=$1
	_wrong_good=""
	_wrong_bad=""
	_i=1
	while [ "$_i" -le "$total" ]; do
		_name=$(cat "$T/name.$_i"; echo x)
		_name=${_name%x}
		_v=$(cat "$T/verdict.$_i")
		if ! "judge_$_entry" "$_name" "$_v"; then
			if [ "$_v" = good ]; then
				_wrong_good="$_wrong_good '$(cat "$T/enc.$_i")'"
			else
				_wrong_bad="$_wrong_bad '$(cat "$T/enc.$_i")'"
			fi
		fi
		_i=$((_i + 1))
	done
	if [ -z "$_wrong_good" ]; then
		ok "$_entry: every good name accepted"
	else
		not_ok "$_entry: good names refused:$_wrong_good"
	fi
	if [ -z "$_wrong_bad" ]; then
		ok "$_entry: every bad name refused"
	else
		not_ok "$_entry: bad names accepted:$_wrong_bad"
	fi
}

# ddraidctl check-name: 0 or 1 (a judgement, not a usage error).
judge_check_name() {
	ctl check-name -- "$1"
	if [ "$2" = good ]; then
		[ "$rc" = 0 ] && [ ! -s "$T/err" ]
	else
		[ "$rc" = 1 ] && grep -q "volume name" "$T/err"
	fi
}
judge check_name

# create --name: a good name is stored as given; a bad one is a usage
# error that leaves the members as they were.
# (good names on m0 m1, bad ones on b0 b1)
judge_create() {
	if [ "$2" = good ]; then
		ctl create --force --assume-clean --name "$1" "$T/m0" "$T/m1"
		[ "$rc" = 0 ] && [ "$(jget "$T/m0" name)" = "$1" ]
	else
		ctl create --force --assume-clean --name "$1" "$T/b0" "$T/b1"
		[ "$rc" = 2 ] && grep -q "option '--name'" "$T/err"
	fi
}
mkfiles 8M b0 b1
"$DDRAIDCTL" create --name before "$T/b0" "$T/b1" >/dev/null
before=$(snap "$T/b0" "$T/b1")
judge create
unchanged "create with the bad names" "$before" "$T/b0" "$T/b1"

# assemble --name: a good name gets past the arguments (then fails here:
# files are no block devices); a bad one is a usage error.
judge_assemble() {
	ctl assemble --name "$1" "$T/m0" "$T/m1"
	if [ "$2" = good ]; then
		[ "$rc" = 1 ] && ! grep -q "volume name" "$T/err"
	else
		[ "$rc" = 2 ] && grep -q "option '--name'" "$T/err"
	fi
}
judge assemble

# The online commands: a good name is looked for on the control socket
# (nobody there: exit 1 naming it), a bad one never.
online() {
	_cmd=$1
	shift
	ctl "$_cmd" "$@"
	if [ "$want" = good ]; then
		[ "$rc" = 1 ] && grep -q "cannot reach ddraidd" "$T/err"
	else
		[ "$rc" = 2 ] && grep -q "volume name" "$T/err"
	fi
}
judge_scrub() { want=$2; online scrub -- "$1"; }
judge_fail() { want=$2; online fail --member 1 -- "$1"; }
judge_fenced() { want=$2; online fenced --node 2 -- "$1"; }
judge_rebuild() { want=$2; online rebuild --member 1 -- "$1" /dev/new; }
judge scrub
judge fail
judge fenced
judge rebuild

# The watching commands and status: a good name is looked for (no socket,
# no dm device: exit 1 saying so), a bad one never.
watching() {
	_cmd=$1
	shift
	ctl "$_cmd" "$@"
	if [ "$want" = good ]; then
		[ "$rc" = 1 ] && grep -q "no ddraidd control socket" "$T/err"
	else
		[ "$rc" = 2 ] && grep -q "volume name" "$T/err"
	fi
}
judge_events() { want=$2; watching events --timeout 1 -- "$1"; }
judge_monitor() { want=$2; watching monitor --oneshot -- "$1"; }
judge_metrics() { want=$2; watching metrics -- "$1"; }
judge_status() { want=$2; watching status -- "$1"; }
judge events
judge monitor
judge metrics
judge status

# ddraidd --volume: a good name passes (the next complaint is the missing
# --members), a bad one is refused with exit 2 before anything starts.
judge_ddraidd() {
	"$DDRAIDD" --volume "$1" >"$T/out" 2>"$T/err"
	_rc=$?
	if [ "$2" = good ]; then
		[ "$_rc" = 2 ] && grep -q -- "--members" "$T/err"
	else
		[ "$_rc" = 2 ] && grep -q -- "--volume" "$T/err"
	fi
}
if [ -x "$DDRAIDD" ]; then
	judge ddraidd
else
	ok "ddraidd # SKIP not built (no corosync development files)"
	ok "ddraidd # SKIP not built (no corosync development files)"
fi

# The OCF agent's validate-all (its own fallbacks, no Pacemaker needed):
# a bad name is OCF_ERR_CONFIGURED with ddraidctl's reason; a good one
# gets past the name (the next complaint is about the absent members).
judge_ocf() {
	env HA_RSCTMP="$T/rsctmp" OCF_RESOURCE_INSTANCE=names \
		OCF_FUNCTIONS_DIR="$T/none" OCF_ROOT=/usr/lib/ocf \
		OCF_RESKEY_ddraidctl_binary="$DDRAIDCTL" \
		OCF_RESKEY_ddraidd_binary="$DDRAIDD" \
		OCF_RESKEY_name="$1" \
		OCF_RESKEY_members="$T/absent0,$T/absent1" \
		"$AGENT" validate-all >"$T/out" 2>"$T/err"
	_rc=$?
	_reason=$(sed -n 's/^ocf-exit-reason://p' "$T/err" | head -n 1)
	if [ "$2" = good ]; then
		[ "$_rc" != 0 ] && [ "$_rc" != 6 ] &&
			! echo "$_reason" | grep -q "name"
	elif [ -z "$1" ]; then
		[ "$_rc" = 6 ] && echo "$_reason" | grep -q "name is required"
	else
		[ "$_rc" = 6 ] && echo "$_reason" | grep -q "^volume name '"
	fi
}
mkdir -p "$T/rsctmp"
judge ocf
done_testing
