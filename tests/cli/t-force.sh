#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# Forced assembly: two members recorded failed the way it happens (member X
# skipped by a degraded write, then member Y dying in the middle of a later
# write, torn). A normal assembly is refused with the reason and what
# --force would accept, changing nothing; export --force reads the volume
# without writing; rebuild --offline --force-assembly and import --force
# record the assumption so that later assemblies need no force; every block
# written before the second failure reads back, and only the torn write's
# blocks (in the regions the report names) differ. Wrong requests change
# nothing.
. "${TESTS_SRCDIR:-$(dirname "$0")/..}/cli/lib.sh"
: "${FAULT_WRITE:?FAULT_WRITE must name tests/cli/fault-write}"

OFF=8388608	# the torn write: 64 KiB at 8 MiB, inside region 2
CLEN=65536

# blocks_differ A B: the 4 KiB block numbers where files A and B differ.
blocks_differ() {
	cmp -l "$1" "$2" | awk '{ print int(($1 - 1) / 4096) }' | uniq
}

# only_torn_blocks FILE: FILE equals $T/expect except, at most, in the
# blocks of the torn write.
only_torn_blocks() {
	_bad=$(blocks_differ "$1" "$T/expect" |
		awk -v a=$((OFF / 4096)) -v b=$(((OFF + CLEN) / 4096)) \
			'$1 < a || $1 >= b' | head -3)
	[ -z "$_bad" ] || { echo "# blocks outside the torn write differ: $_bad"; return 1; }
}

# events FILE: its superblock's events; state FILE I: member I's state.
events() { jget "$1" events; }
state() {
	"$DDRAIDCTL" examine "$1" | sed -n 's/^ *member states://p' |
		tr ' ' '\n' | sed -n "s/^$2://p"
}

# setup N X Y [--slot S --node N]: a volume of N members p0.., data A
# imported, then B (1 MiB at 0) imported with member X missing (X recorded
# failed), then C written at OFF while member Y dies (Y recorded failed, the
# write torn). Sets M, size, regions, s (a survivor), e1 (X failed), e2
# (Y failed).
setup() {
	_n=$1 x=$2 y=$3
	shift 3
	i=0
	while [ $i -lt "$_n" ]; do mkfiles 8M "p$i"; i=$((i + 1)); done
	M=$(members p "$_n")
	# shellcheck disable=SC2086
	"$DDRAIDCTL" create --name forced $M >/dev/null
	size=$(jget "$T/p0" data_size)
	regions=$(jget "$T/p0" regions)
	random "$T/A" "$size"
	random "$T/B" 1048576
	random "$T/C" $CLEN
	# shellcheck disable=SC2086
	"$DDRAIDCTL" import --input "$T/A" $M >/dev/null
	L=""
	i=0
	while [ $i -lt "$_n" ]; do
		if [ $i = "$x" ]; then L="$L missing"; else L="$L $T/p$i"; fi
		i=$((i + 1))
	done
	# shellcheck disable=SC2086
	"$DDRAIDCTL" import --input "$T/B" $L >/dev/null 2>&1
	cp "$T/A" "$T/expect"
	dd if="$T/B" of="$T/expect" conv=notrunc status=none
	# a member that neither fails: it holds the newest superblock
	s=0
	while [ $s = "$x" ] || [ $s = "$y" ]; do s=$((s + 1)); done
	e1=$(state "$T/p$s" "$x" | sed -n 's/.*@events//p')
	# shellcheck disable=SC2086
	"$FAULT_WRITE" --fail "$y" --offset $OFF --input "$T/C" "$@" $M 2>"$T/fw"
	fwrc=$?
	e2=$(events "$T/p$s")
}

# ---- five members: X = 3 (data) first, then Y = 1 (data) ----
setup 5 3 1
te "5: the write during which member 1 dies fails (never acknowledged)" '[ "$fwrc" = 3 ]'
te "5: member 3 recorded failed first, member 1 after it" \
	'[ "$(state "$T/p0" 3)" = "failed@events$e1" ] && [ "$(state "$T/p0" 1)" = "failed@events$e2" ] && [ "$e2" -gt "$e1" ]'
te "5: member 1's own superblock is one update behind its failure" '[ "$(events "$T/p1")" = $((e2 - 1)) ]'
mkfiles 8M new
before=$(snap $M "$T/new")
# shellcheck disable=SC2086
expect 1 "5: export refused" export --output "$T/x" $M
err_has "5: the refusal says what is wrong" "more than one member missing or failed, the data cannot be read: 1 \($T/p1, failed\) 3 \($T/p3, failed\)"
err_has "5: and what forcing would accept" "a forced assembly would accept member 1 \($T/p1, failed at events $e2\) as current, leaving member 3 \($T/p3\) out"
err_has "5: and the option that does it" "export --force does that read-only"
# shellcheck disable=SC2086
expect 1 "5: import refused" import --input "$T/C" $M
err_has "5: import names its option" "import --force does that"
# shellcheck disable=SC2086
expect 1 "5: rebuild of member 3 refused" rebuild --offline --member 3 --new "$T/new" \
	"$T/p0" "$T/p1" "$T/p2" missing "$T/p4"
err_has "5: rebuild says there is no complete source" "cannot rebuild member 3: the other members are no complete source"
err_has "5: and names --force-assembly" "\(--force-assembly does that\)"
# shellcheck disable=SC2086
expect 1 "5: check refused" check $M
err_has "5: check says it needs every member" "check needs every member"
# shellcheck disable=SC2086
expect 2 "5: check --force is a usage error" check --force $M
err_has "5: saying why" "a forced assembly always leaves one out"
unchanged "5: refusals" "$before" $M "$T/new"

# export --force: read-only
# shellcheck disable=SC2086
expect 0 "5: export --force" export --force --output "$T/x" $M
err_has "5: report: the volume and the count" "forced assembly of volume 'forced' .*: 2 of 5 members could not be used"
err_has "5: report: member 1 taken as current" "member 1 \($T/p1\) is taken as current"
err_has "5: report: it failed when member 3 was out" "recorded failed at events $e2, when member 3 was out already"
err_has "5: report: only unacknowledged writes at risk" "\(never acknowledged\) may be missing on it"
err_has "5: report: no write intent (standalone)" "mark 0 of $regions regions.*"
err_has "5: report: so any region" "any region may hold them"
err_has "5: report: member 3 stays out" "member 3 \($T/p3, recorded failed at events $e1\) stays out"
err_has "5: report: read-only" "read-only: nothing was written"
err_has "5: report: next step names the rebuild" "ddraidctl rebuild --offline --force-assembly --member 3 --new NEWDEV $T/p0 $T/p1 $T/p2 missing $T/p4"
unchanged "5: export --force" "$before" $M "$T/new"
t "5: every block written before the second failure reads back" only_torn_blocks "$T/x"
te "5: the torn write's blocks are not the old data (it reached members 0, 2 and 4)" \
	'blocks_differ "$T/x" "$T/expect" | grep -qx $((OFF / 4096))'

# the member to rebuild must be the one left out; NEWDEV is checked first
# shellcheck disable=SC2086
expect 1 "5: rebuild --force-assembly of the accepted member" rebuild --offline --force-assembly \
	--member 1 --new "$T/new" $M
err_has "5: names the member left out" "leave member 3 \($T/p3\) out; only that member can be rebuilt"
mkfiles 8M fs
mkfs.ext4 -q -F "$T/fs" >/dev/null 2>&1
fbefore=$(snap "$T/fs")
# shellcheck disable=SC2086
expect 1 "5: rebuild --force-assembly onto an ext4 file" rebuild --offline --force-assembly \
	--member 3 --new "$T/fs" "$T/p0" "$T/p1" "$T/p2" missing "$T/p4"
unchanged "5: wrong rebuilds" "$before" $M "$T/new"
unchanged "5: the ext4 file" "$fbefore" "$T/fs"

# rebuild --force-assembly onto member 3's own file (given as missing)
# shellcheck disable=SC2086
expect 0 "5: rebuild --offline --force-assembly of member 3" rebuild --offline --force-assembly \
	--member 3 --new "$T/p3" "$T/p0" "$T/p1" "$T/p2" missing "$T/p4"
err_has "5: report: superblocks rewritten on the others" "superblocks rewritten on members 0 1 2 4: events $e2 -> $((e2 + 1))"
te "5: every member active, events forced + rebuilding + active" \
	'for i in 0 1 2 3 4; do [ "$(events "$T/p$i")" = $((e2 + 3)) ] || exit 1; [ "$(jget "$T/p$i" member_index)" = $i ] || exit 1; done; "$DDRAIDCTL" examine "$T/p2" | grep -q "member states: 0:active 1:active 2:active 3:active 4:active"'
# shellcheck disable=SC2086
expect 0 "5: a normal export afterwards" export --output "$T/y" $M
t "5: it reads what the forced export read" cmp -s "$T/x" "$T/y"
# shellcheck disable=SC2086
expect 0 "5: check afterwards" check $M
out_has "5: parity consistent" "0 mismatches"

# ---- five members as a cluster volume: the torn write's region marked ----
setup 5 0 4 --slot 3 --node 7
te "5c: the write during which member 4 (parity) dies fails" '[ "$fwrc" = 3 ]'
before=$(snap $M)
# shellcheck disable=SC2086
expect 0 "5c: export --force" export --force --output "$T/x" $M
err_has "5c: report: member 4 taken as current" "member 4 \($T/p4\) is taken as current"
err_has "5c: report: the marked region counted" "mark 1 of $regions regions of 4.0 MiB \(region 2;"
err_has "5c: report: a cluster volume" "This is a cluster volume \(1 node slot in use\)"
unchanged "5c: export --force" "$before" $M
t "5c: every block written before the second failure reads back" only_torn_blocks "$T/x"
te "5c: blocks that differ lie only in the named region 2" \
	'[ "$(blocks_differ "$T/x" "$T/expect" | awk "{ print int(\$1 * 4096 / 4194304) }" | sort -u)" = 2 ]'

# ---- three members: import --force records the assumption ----
setup 3 2 0
te "3: the write during which member 0 dies fails" '[ "$fwrc" = 3 ]'
before=$(snap $M)
# shellcheck disable=SC2086
expect 1 "3: export refused" export --output "$T/x" $M
err_has "3: naming what forcing would accept" "would accept member 0 \($T/p0, failed at events $e2\) as current, leaving member 2 \($T/p2\) out"
unchanged "3: refusal" "$before" $M
random "$T/D" 8192
# shellcheck disable=SC2086
expect 0 "3: import --force" import --force --input "$T/D" $M
err_has "3: report: member 0 taken as current" "member 0 \($T/p0\) is taken as current"
err_has "3: report: rewritten" "superblocks rewritten on members 0 1: events $e2 -> $((e2 + 1)), accepted members active, member 2 failed"
te "3: examine: forced events on members 0 and 1, member 0 active, member 2 still failed at its own events" \
	'[ "$(events "$T/p0")" = $((e2 + 1)) ] && [ "$(events "$T/p1")" = $((e2 + 1)) ] && [ "$(state "$T/p1" 0)" = active ] && [ "$(state "$T/p0" 2)" = "failed@events$e1" ] && [ "$(events "$T/p2")" = $((e1 - 1)) ]'
dd if="$T/D" of="$T/expect" conv=notrunc status=none
# shellcheck disable=SC2086
expect 0 "3: a normal export afterwards, no --force" export --output "$T/y" $M
err_has "3: member 2 named as not used" "member 2 \($T/p2\) is recorded failed \(stale\): not used"
t "3: every block but the torn ones reads back" only_torn_blocks "$T/y"
before=$(snap $M)
# shellcheck disable=SC2086
expect 1 "3: --force where nothing needs forcing" export --force --output "$T/z" $M
err_has "3: says so" "nothing to force: the members assemble without --force"
# shellcheck disable=SC2086
expect 1 "3: import --force where nothing needs forcing" import --force --input "$T/D" $M
unchanged "3: nothing to force" "$before" $M

# ---- bad input ----
mkfiles 8M h0 h1 h2 o0 o1 o2
H=$(members h 3)
# shellcheck disable=SC2086
"$DDRAIDCTL" create $H >/dev/null
# shellcheck disable=SC2086
"$DDRAIDCTL" create $(members o 3) >/dev/null
before=$(snap $H $M "$T/o1")
# shellcheck disable=SC2086
expect 1 "healthy volume: export --force" export --force --output "$T/z" $H
err_has "healthy: nothing to force" "nothing to force"
expect 1 "one member missing: export --force" export --force --output "$T/z" "$T/h0" missing "$T/h2"
err_has "one missing: nothing to force" "nothing to force"
expect 1 "two members truly absent: export --force" export --force --output "$T/z" "$T/h0" missing missing
err_has "two absent: forcing cannot help" "a forced assembly cannot help: more than one member is absent"
expect 1 "two absent: import --force" import --force --input "$T/D" missing "$T/h1" missing
expect 1 "a foreign member: export --force" export --force --output "$T/z" "$T/p0" "$T/o1" "$T/p2"
err_has "foreign: names it" "member 1 \($T/o1\) is foreign"
expect 1 "a foreign member: import --force" import --force --input "$T/D" "$T/p0" "$T/o1" "$T/p2"
expect 1 "wrong order: export --force" export --force --output "$T/z" "$T/h1" "$T/h0" "$T/h2"
unchanged "bad input with --force" "$before" $H $M "$T/o1"
done_testing
