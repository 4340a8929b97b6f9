# SPDX-License-Identifier: GPL-2.0-only
#
# Helpers sourced by the tests/vm/t-*.sh scripts, inside the VM and on the
# host. A test prints TAP sub-points without numbers ("ok - what",
# "not ok - what"); run-vm-tests.sh numbers and prefixes them. The test's
# exit status is non-zero if any point failed.

VM_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
VM_SRCDIR=$(cd "$VM_LIB_DIR/../.." && pwd)
VM_SHARE=${VM_SHARE:-/vmshare}
export DM_DISABLE_UDEV=1

tap_failed=0

# children_cpu: CHILDREN_CPU, the CPU seconds (user + system, one decimal)
# that the commands this shell ran and waited for took so far ("?" if
# unknown). Without a subshell (a forked one counts from zero) and without
# a process: bash's "times" into a file that is open and already deleted.
children_cpu() {
	local shell_u shell_s u s ms=0 t m sec
	CHILDREN_CPU='?'
	if [ -z "${TIMES_FD:-}" ]; then
		exec {TIMES_FD}<>"/tmp/.times.$BASHPID" || return 0
		rm -f "/tmp/.times.$BASHPID"
	fi
	times >"/dev/fd/$TIMES_FD" || return 0
	{ read -r shell_u shell_s; read -r u s; } <"/dev/fd/$TIMES_FD"
	for t in "$u" "$s"; do	# "1m2.345s"
		[[ $t =~ ^([0-9]+)m([0-9]+)\.([0-9]{3})s$ ]] || return 0
		m=${BASH_REMATCH[1]} sec=${BASH_REMATCH[2]}
		ms=$((ms + 10#$m * 60000 + 10#$sec * 1000 + 10#${BASH_REMATCH[3]}))
	done
	CHILDREN_CPU=$((ms / 1000)).$((ms % 1000 / 100))
}

# Each point also goes to stderr (the log) with the seconds since start
# and the CPU its commands took so far (under TCG, where the time goes).
ok() {
	echo "ok - $*"
	children_cpu
	echo "[${SECONDS}s cpu=${CHILDREN_CPU}] ok - $*" >&2
}
not_ok() {
	echo "not ok - $*"
	children_cpu
	echo "[${SECONDS}s cpu=${CHILDREN_CPU}] not ok - $*" >&2
	tap_failed=1
}
skip() { echo "ok - $1 # SKIP ${2:-}"; }
diag() { echo "# $*"; }

# check DESCRIPTION COMMAND...: one test point from a command's status;
# the command's output goes to stderr (the log) so it cannot break the TAP.
check() {
	local desc=$1
	shift
	if "$@" >&2; then
		ok "$desc"
	else
		not_ok "$desc (status $?: $*)"
	fi
}

# check_fails DESCRIPTION COMMAND...: the command must fail.
check_fails() {
	local desc=$1
	shift
	if "$@" >&2; then
		not_ok "$desc (unexpectedly succeeded: $*)"
	else
		ok "$desc"
	fi
}

# bail MESSAGE: a failure that makes the rest of the test meaningless.
bail() {
	not_ok "$*"
	exit 1
}

finish() {
	exit "$tap_failed"
}

# host_check_images OUT: the host part of a test after its VM ran: the
# five member images in OUT pass "ddraidctl check", and their export is
# what the VM wrote (the checksum it left in share/expect.sha256). Sets
# IMGS and WANT for the caller's own checks.
host_check_images() {
	local got
	IMGS=("$1"/disk{0,1,2,3,4}.img)
	WANT=$(cat "$1/share/expect.sha256" 2>/dev/null)
	[ -n "$WANT" ] || bail "host: the VM left no expected checksum"
	check "host: ddraidctl check of the member images" \
		"$DDRAIDCTL" check "${IMGS[@]}"
	got=$("$DDRAIDCTL" export "${IMGS[@]}" | sha256sum | cut -d' ' -f1)
	check "host: export of the member images equals what the VM wrote" \
		test "$got" = "$WANT"
}

# The n-th member disk (0-based), /dev/vda...
vm_disk() {
	local letters=abcdefghijklmnopqrst
	echo "/dev/vd${letters:$1:1}"
}

# sha256 of LEN bytes of FILE starting at byte OFFSET (both multiples of 4096).
sha_range() {
	dd if="$1" bs=4096 skip=$(($2 / 4096)) count=$(($3 / 4096)) \
		iflag=direct status=none 2>/dev/null | sha256sum | cut -d' ' -f1
}

# Find the build tree: $DDRAID_BUILD, else the first argument given as
# --build DIR by run-vm-tests.sh (exported as DDRAID_BUILD there).
vm_need_build() {
	[ -n "${DDRAID_BUILD:-}" ] || bail "DDRAID_BUILD not set"
	DDRAIDCTL=$DDRAID_BUILD/tools/ddraidctl
	[ -x "$DDRAIDCTL" ] || bail "no ddraidctl at $DDRAIDCTL"
}

# Load dm-ddraid.ko from the source tree (built there by dmtarget/Makefile).
vm_load_module() {
	local ko=${DDRAID_KO:-$VM_SRCDIR/dmtarget/dm-ddraid.ko}
	modprobe dm-mod || bail "modprobe dm-mod"
	[ -f "$ko" ] || bail "module not built: $ko"
	# insmod does not load what the module depends on (xor, libcrc32c).
	modprobe -a $(modinfo -F depends "$ko" | tr ',' ' ') ||
		bail "modprobe the dependencies of $ko"
	insmod "$ko" || bail "insmod $ko"
}

# The first n member disks, /dev/vda /dev/vdb ...
vm_disks() {
	local i
	for ((i = 0; i < $1; i++)); do
		vm_disk "$i"
	done
}

# A value from "ddraidctl examine --json DEV" (an object or an array of them).
examine_field() {
	"$DDRAIDCTL" examine --json "$1" 2>/dev/null |
		jq -r "[.. | objects | .$2? // empty] | first // empty"
}

# Drop the VM's page cache so that reads really go to the devices.
drop_caches() {
	sync
	echo 3 >/proc/sys/vm/drop_caches
}

# Make FILE a sparse file of SIZE bytes: the expected image of a volume.
new_expect() {
	rm -f "$1"
	truncate -s "$2" "$1"
}

# write_both SRC DEV EXPECT BLOCK4K [BS]: write SRC into DEV (O_DIRECT,
# IOs of BS bytes, default 4096) and into the expected image, both at
# 4 KiB block BLOCK4K.
write_both() {
	dd if="$1" of="$2" bs="${5:-4096}" seek=$(($4 * 4096)) \
		oflag=direct,seek_bytes conv=notrunc status=none || return 1
	dd if="$1" of="$3" bs=4096 seek="$4" conv=notrunc status=none
}

# member_state DEV IDX: what DEV's superblock says of member IDX
# (active, failed, rebuilding).
member_state() {
	# The kernel wrote the superblock behind the page cache's back.
	drop_caches
	"$DDRAIDCTL" examine --json "$1" 2>/dev/null |
		jq -r "[.. | objects | .member_states? // empty] | first |
			.[] | select(.index == $2) | .state"
}

# linear_over NAME DEV: a dm-linear device /dev/mapper/NAME over all of DEV,
# whose table can later be swapped to "error" (fail_linear).
linear_over() {
	local sectors
	sectors=$(blockdev --getsz "$2") || return 1
	dmsetup create "$1" --table "0 $sectors linear $2 0"
}

# fail_linear NAME: from now on every IO to /dev/mapper/NAME fails.
fail_linear() {
	local sectors
	sectors=$(blockdev --getsz "/dev/mapper/$1") || return 1
	dmsetup suspend "$1" &&
		dmsetup load "$1" --table "0 $sectors error" &&
		dmsetup resume "$1"
}

# heal_linear NAME DEV: back to a working linear map over DEV.
heal_linear() {
	local sectors
	sectors=$(blockdev --getsz "$2") || return 1
	dmsetup suspend "$1" &&
		dmsetup load "$1" --table "0 $sectors linear $2 0" &&
		dmsetup resume "$1"
}

# sectors_written DEV: 512-byte sectors written to DEV so far (its stat).
sectors_written() {
	local maj min
	# Without udev, /dev/mapper/X is a node, not a link to dm-N: go by
	# the device number.
	read -r maj min < <(stat -L -c '%t %T' "$1") || return 1
	awk '{ print $7 }' "/sys/dev/block/$((16#$maj)):$((16#$min))/stat"
}

# status_failed NAME: the member indexes that "dmsetup status NAME" reports
# as failed, one per line. Parses the health string documented in
# docs/dm-target.md (one character per member, 'A' alive, 'D' down).
status_failed() {
	dmsetup status "$1" | awk '{
		for (i = 4; i <= NF; i++)
			if ($i ~ /^[AaDd-]+$/ && length($i) >= 2) {
				for (j = 1; j <= length($i); j++)
					if (substr($i, j, 1) != "A")
						print j - 1
				exit
			}
	}'
}

# vol_table DEV...: the table line of the volume on these members
# (docs/dm-target.md), "missing" given as "-". Used for hand-made tables.
vol_table() {
	local d size=
	local args=()
	for d in "$@"; do
		if [ "$d" = missing ]; then
			args+=(-)
		else
			args+=("$d")
			[ -n "$size" ] || size=$(examine_field "$d" data_size)
		fi
	done
	[ -n "$size" ] || return 1
	echo "0 $((size / 512)) ddraid $# ${args[*]} 1 standalone"
}

# vol_assemble NAME DEV...: "ddraidctl assemble"; until ddraidctl has that
# command, the documented table line through dmsetup (said in a diag).
vol_assemble() {
	local name=$1
	shift
	if "$DDRAIDCTL" help 2>&1 | grep -q '^  assemble'; then
		"$DDRAIDCTL" assemble --name "$name" "$@"
	else
		diag "ddraidctl has no assemble yet: dmsetup create $name"
		dmsetup create "$name" --table "$(vol_table "$@")"
	fi
}

# vol_stop NAME: "ddraidctl stop", or dmsetup remove until it exists.
vol_stop() {
	if "$DDRAIDCTL" help 2>&1 | grep -q '^  stop'; then
		"$DDRAIDCTL" stop "$1"
	else
		dmsetup remove "$1"
	fi
}

# cpu_report LABEL FILE: where this VM's CPU time went since it booted,
# appended to FILE (the VMs of a multi-VM test share the host's cores, so
# every second one of them burns, all of them wait for): the busy and
# idle totals of /proc/stat, then every process with its own time and its
# children's (a daemon's children are the commands it ran: an agent's
# monitors are pacemaker-execd's, a test's commands its script's), the
# busiest first. One "cpu LABEL: ..." summary line on stdout.
cpu_report() {
	local hz
	hz=$(getconf CLK_TCK)
	echo "== $1 (uptime $(cut -d' ' -f1 /proc/uptime) s)" >>"$2"
	# The totals: in FILE, and the summary line on stdout.
	awk -v hz="$hz" -v l="$1" -v f="$2" '$1 == "cpu" {
		busy = ($2 + $3 + $4 + $7 + $8) / hz
		idle = ($5 + $6) / hz
		printf "busy %.1f s (user %.1f, system %.1f, irq+softirq %.1f), idle %.1f s\n",
			busy, ($2 + $3) / hz, $4 / hz, ($7 + $8) / hz, idle >>f
		printf "cpu %s: busy %.0f s, idle %.0f s\n", l, busy, idle
	}' /proc/stat
	{
		echo "   total      own children  pid command"
		# One awk for every process: under TCG a process per line
		# would cost more than what it measures.
		awk -v hz="$hz" 'FNR == 1 {
			# The command name is in parentheses and may hold
			# spaces: the fields after it start at the last ")".
			i = length($0)
			while (i > 0 && substr($0, i, 1) != ")")
				i--
			head = substr($0, 1, i)
			split(substr($0, i + 2), f, " ")	# f[12]: field 14
			own = (f[12] + f[13]) / hz
			kids = (f[14] + f[15]) / hz
			sub(/ \(/, " ", head)
			sub(/\)$/, "", head)
			if (own + kids >= 0.05)
				printf "%8.1f %8.1f %8.1f  %s\n", own + kids, own, kids, head
			nextfile
		}' /proc/[0-9]*/stat 2>/dev/null | sort -g -r | head -n 25
	} >>"$2"
}

# nap SECONDS: sleep in the shell itself. Under TCG a process costs
# milliseconds of emulated CPU, and the VMs of a multi-VM test share the
# host's cores: a loop that polls ten times a second must not also start
# a sleep(1) each time. A read that times out on a pipe this shell holds
# both ends of (nothing is ever written to it).
nap() {
	[ -n "${NAP_FD:-}" ] || exec {NAP_FD}<> <(:)
	read -r -t "$1" -u "$NAP_FD" _ || :
}

# wait_until SECONDS COMMAND...: poll every $WAIT_STEP s (0.1) until
# COMMAND succeeds.
wait_until() {
	local end=$((SECONDS + $1))
	shift
	until "$@" >/dev/null 2>&1; do
		[ "$SECONDS" -lt "$end" ] || return 1
		nap "${WAIT_STEP:-0.1}"
	done
}
