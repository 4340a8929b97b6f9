#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# The bash completion (tools/ddraidctl.bash-completion): it loads in a
# plain bash (no bash-completion package), and what it offers comes from
# the command table: command names, each command's options (hidden ones
# not), nothing for a value that cannot be guessed, files and "missing"
# for members, running volumes (their control sockets) for VOLUME.
. "${TESTS_SRCDIR:-$(dirname "$0")/..}/cli/lib.sh"

COMPLETION=$(cd "${TESTS_SRCDIR:-$(dirname "$0")/..}/../tools" && pwd)/ddraidctl.bash-completion
if ! command -v bash >/dev/null 2>&1; then
	echo "1..0 # SKIP bash is not installed"
	exit 0
fi
mkdir -p "$T/ctl"
export DDRAID_CTL_DIR="$T/ctl"
mkfiles 1M m0 m1 out.img

# complete WORD...: what bash offers for the last WORD after "ddraidctl",
# sorted, one per line, in $T/got.
complete_words() {
	# From the scratch directory: files are completed relative to it.
	(cd "$T" && bash -c '
		. "$1" || exit 3
		complete -p ddraidctl >/dev/null || exit 4
		shift
		COMP_WORDS=("$DDRAIDCTL" "$@")
		COMP_CWORD=$#
		_ddraidctl
		printf "%s\n" "${COMPREPLY[@]}"
	' complete "$COMPLETION" "$@") | sed '/^$/d' | sort >"$T/got"
}

# got_is DESC WORD... -- the complete list expected (one argument each)
got_is() {
	_d=$1
	shift
	printf '%s\n' "$@" | sed '/^$/d' | sort >"$T/want"
	if cmp -s "$T/got" "$T/want"; then
		ok "$_d"
	else
		not_ok "$_d"
		diff "$T/want" "$T/got" | sed -n 's/^[<>]/# want<, got>: &/p'
	fi
}

complete_words ""
t "the completion loads in bash and registers for ddraidctl" [ -s "$T/got" ]
# shellcheck disable=SC2046
got_is "ddraidctl <TAB>: every command of the table, and help" \
	$("$DDRAIDCTL" __table | awk -F '\t' '$1 == "command" { print $2 }') help
complete_words cr
got_is "ddraidctl cr<TAB>: create" create
complete_words help ex
got_is "ddraidctl help ex<TAB>: the commands that start so" examine export export-disk

# Every command's options, as the table has them.
bad=""
for cmd in $("$DDRAIDCTL" __table | awk -F '\t' '$1 == "command" { print $2 }'); do
	complete_words "$cmd" --
	"$DDRAIDCTL" __table |
		awk -F '\t' -v c="$cmd" '$1 == "option" && $2 == c { print $3 }
			END { print "--help" }' | sort >"$T/want"
	cmp -s "$T/got" "$T/want" || bad="$bad $cmd"
done
t "CMD --<TAB>: exactly the command's options from the table${bad:+ (wrong for$bad)}" \
	[ -z "$bad" ]
complete_words check --
t "a hidden option (check --force) is not offered" \
	sh -c "! grep -q -- '^--force\$' '$T/got'"

complete_words create --name ""
got_is "create --name <TAB>: a new name cannot be guessed" ""
complete_words create --region-size ""
got_is "create --region-size <TAB>: nor a size" ""
complete_words export --output "$T/ou"
got_is "export --output FILE<TAB>: files" "$T/out.img"
complete_words export -o "$T/ou"
got_is "... after the short option too" "$T/out.img"
complete_words check --repair "$T/m"
got_is "check DEV<TAB>: member files" "$T/m0" "$T/m1"
complete_words check "$T/m0" mi
got_is "check ... mi<TAB>: missing" missing

# Running volumes: those whose ddraidd has a control socket.
python3 -c 'import socket, sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])' \
	"$T/ctl/vol1.sock" 2>/dev/null
: >"$T/ctl/notasocket.sock"
if [ -S "$T/ctl/vol1.sock" ]; then
	complete_words status ""
	got_is "status <TAB>: the running volumes (sockets only) and the options" \
		vol1 --json --watch --interval --count --help
	complete_words scrub -- ""
	got_is "scrub -- <TAB>: after --, operands only" vol1
	complete_words status vol1 ""
	got_is "status VOLUME <TAB>: one volume only, options left" \
		--json --watch --interval --count --help
	complete_words status --interval ""
	got_is "status --interval <TAB>: seconds cannot be guessed" ""
	complete_words fenced vol1 --node ""
	got_is "fenced --node <TAB>: a node id cannot be guessed" ""
	complete_words rebuild --member 1 v
	got_is "rebuild --member 1 v<TAB>: a volume (or a member)" vol1
	complete_words set -- ""
	got_is "set -- <TAB>: the volume first" vol1
	complete_words set vol1 -- ""
	got_is "set VOLUME -- <TAB>: the keys, each with its =" \
		rebuild-rate= scrub-rate= sync-speed-min=
	complete_words set vol1 rebuild-rate=5 -- s
	got_is "set VOLUME KEY=VALUE -- s<TAB>: more keys" \
		scrub-rate= sync-speed-min=
else
	ok "volumes # SKIP cannot make a UNIX socket (no python3)"
fi
complete_words frobnicate ""
got_is "an unknown command: nothing" ""
done_testing
