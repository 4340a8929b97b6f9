#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# The one command-line parser (tools/cli_parse.c), for every command of
# the table (ddraidctl __table), so that a new command is covered by
# itself: an unknown option, an option without its argument, an argument
# given to an option that takes none, numbers out of range, too few and
# too many operands. Each is exit 2 with a message naming what was wrong
# and the hint, nothing on stdout, and no member touched.
# (lib.sh's ctl sets rc)
# shellcheck disable=SC2154
. "${TESTS_SRCDIR:-$(dirname "$0")/..}/cli/lib.sh"

mkfiles 8M m0 m1 m2
M=$(members m 3)
# shellcheck disable=SC2086
"$DDRAIDCTL" create --name parse $M >/dev/null
before=$(snap $M)
"$DDRAIDCTL" __table >"$T/table"
CMDS=$(awk -F '\t' '$1 == "command" { print $2 }' "$T/table")

# usage_error DESC WANT-ERE ARGS...: exit 2, the message and the hint on
# stderr, nothing on stdout. One test.
usage_error() {
	_d=$1
	_re=$2
	shift 2
	ctl "$@"
	if [ "$rc" = 2 ] && [ ! -s "$T/out" ] &&
	   grep -Eq -- "^ddraidctl: $1: $_re" "$T/err" &&
	   grep -q "^Try 'ddraidctl $1 --help'\.\$" "$T/err"; then
		return 0
	fi
	echo "# $_d: ddraidctl $* -> exit $rc" >&2
	sed 's/^/#   /' "$T/err" >&2
	return 1
}

bad=""
for cmd in $CMDS; do
	# shellcheck disable=SC2086
	usage_error unknown "unknown option '--frobnicate'" "$cmd" --frobnicate $M ||
		bad="$bad $cmd"
done
t "every command: an unknown long option${bad:+ (wrong for$bad)}" [ -z "$bad" ]

bad=""
for cmd in $CMDS; do
	# -Z is no command's short option
	usage_error unknown "unknown option '-Z'" "$cmd" -Z "$T/m0" || bad="$bad $cmd"
done
t "every command: an unknown short option${bad:+ (wrong for$bad)}" [ -z "$bad" ]

# Each option that takes an argument, last on the line without it; each
# flag given one.
awk -F '\t' '$1 == "option" { print $2, $3, ($4 == "" ? "-" : $4), $6 }' \
	"$T/table" >"$T/opts"
bad=""
while read -r cmd long short kind; do
	if [ "$kind" = flag ]; then
		usage_error "=x" "option '$long' takes no argument" \
			"$cmd" "$long=x" "$T/m0" || bad="$bad $cmd$long=x"
	else
		usage_error "no arg" "option '$long' needs an argument" \
			"$cmd" "$T/m0" "$long" || bad="$bad $cmd$long"
		if [ "$short" != - ]; then
			usage_error "no arg" "option '$short' needs an argument" \
				"$cmd" "$T/m0" "$short" || bad="$bad $cmd$short"
		fi
	fi
done <"$T/opts"
t "every option: a missing argument, or one given to a flag${bad:+ (wrong for$bad)}" \
	[ -z "$bad" ]
t "the options checked cover every kind" \
	[ "$(cut -d' ' -f4 "$T/opts" | sort -u | tr '\n' ' ')" = "file flag name number size string " ]

# Numbers: the range is said; the edges are accepted.
bad=""
for v in 9 -1 x "" 1x 99999999999999999999; do
	usage_error "member $v" "option '--member': '$v' is not a member index \(0 to 8\)" \
		fail vol --member "$v" || bad="$bad '$v'"
done
for v in 0 4294967296 x; do
	usage_error "node $v" "option '--node': '$v' is not a corosync node id \(1 to 4294967295\)" \
		fenced vol --node "$v" || bad="$bad node'$v'"
done
t "numbers out of range or not numbers${bad:+ (wrong for$bad)}" [ -z "$bad" ]
export DDRAID_CTL_DIR="$T"
ctl fail vol --member 8
t "--member 8 passes the parser (then: no daemon, exit 1)" \
	[ "$rc" = 1 ] && grep -q "cannot reach ddraidd" "$T/err"
ctl fenced vol --node 4294967295
t "--node 4294967295 passes the parser" \
	[ "$rc" = 1 ] && grep -q "cannot reach ddraidd" "$T/err"

# Operand counts of the commands that take a fixed number.
bad=""
usage_error examine "no member given" examine || bad="$bad examine"
usage_error examine "unexpected argument '$T/m1'" examine "$T/m0" "$T/m1" || bad="$bad examine2"
usage_error stop "no device-mapper name given" stop || bad="$bad stop"
usage_error stop "unexpected argument 'b'" stop a b || bad="$bad stop2"
for cmd in fail scrub fenced; do
	[ "$cmd" = scrub ] ||
		usage_error "$cmd" "no volume name given" "$cmd" || bad="$bad $cmd"
	usage_error "$cmd" "unexpected argument 'b'" "$cmd" a b || bad="$bad ${cmd}2"
done
# status: no volume is every volume
usage_error status "unexpected argument 'b'" status a b || bad="$bad status2"
# scrub takes VOLUME or --all
usage_error scrub "give VOLUME or --all" scrub || bad="$bad scrub"
usage_error check-name "no name given" check-name || bad="$bad check-name"
usage_error erase "no member given" erase || bad="$bad erase"
t "too few and too many operands${bad:+ (wrong for$bad)}" [ -z "$bad" ]

# Prefixes: a unique one is the option, an ambiguous one names the choices.
ctl examine --js "$T/m0"
t "a unique prefix is the option (examine --js)" \
	[ "$rc" = 0 ] && grep -q '"member_index": 0' "$T/out"
usage_error rebuild "option '--f' is ambiguous \(--force, --force-assembly\)" \
	rebuild --f vol
t "an ambiguous prefix names the options it could be" [ "$?" = 0 ]
usage_error rebuild "option '--bitmap' is for the online rebuild" \
	rebuild --offline --bitmap --member 1 --new "$T/x" $M
t "an option of the other form of rebuild is named" [ "$?" = 0 ]
usage_error rebuild "option '--new' is for rebuild --offline" \
	rebuild vol --member 1 --new "$T/x" /dev/x
t "... both ways" [ "$?" = 0 ]

# After --, a word starting with - is an operand.
ctl examine -- -x
t "examine -- -x: -x is the member (no such file)" \
	[ "$rc" = 1 ] && grep -q -- "-x: cannot open" "$T/err"

# The command word itself.
ctl
t "no command: exit 2, the usage on stderr" \
	[ "$rc" = 2 ] && grep -q "^Usage: ddraidctl COMMAND" "$T/err" && [ ! -s "$T/out" ]
ctl frobnicate
t "an unknown command: exit 2 naming it" \
	[ "$rc" = 2 ] && grep -q "unknown command 'frobnicate'" "$T/err"
ctl help frobnicate
t "help of an unknown command: exit 2 naming it" \
	[ "$rc" = 2 ] && grep -q "unknown command 'frobnicate'" "$T/err"
ctl --version
t "--version" [ "$rc" = 0 ] && grep -q "^ddraidctl [0-9]" "$T/out"
unchanged "every refusal above" "$before" $M
done_testing
