#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# man/ddraidctl.8 against the command table (ddraidctl __table): the same
# commands and, command by command, the same options in the SYNOPSIS; an
# OPTIONS entry for every option (with its short form) and none for an
# option no command has; a COMMANDS entry for every command. And the
# table against itself: each command's usage shows each of its options.
. "${TESTS_SRCDIR:-$(dirname "$0")/..}/cli/lib.sh"

MAN=${TESTS_SRCDIR:-$(dirname "$0")/..}/../man/ddraidctl.8
"$DDRAIDCTL" __table >"$T/table"
t "the table lists commands and options" \
	[ "$(grep -c '^command' "$T/table")" -ge 15 ] && [ "$(grep -c '^option' "$T/table")" -ge 25 ]

# roff to text: \- is -, font escapes go.
unroff() {
	sed -e 's/\\-/-/g' -e 's/\\f[BIRP]//g' -e 's/\\e/\\/g'
}
section() {
	sed -n "/^\\.SH $1\$/,/^\\.SH /p" "$MAN" | sed '1d;$d'
}

# ---- SYNOPSIS: "command --option" pairs, both ways ----
section SYNOPSIS | unroff | awk '
	/^\.B ddraidctl [a-z]/ { cmd = $3; print "command " cmd; next }
	/^\.br/ { cmd = ""; next }
	cmd != "" {
		line = $0
		while (match(line, /--[a-z][a-z-]*/)) {
			print "option " cmd " " substr(line, RSTART, RLENGTH)
			line = substr(line, RSTART + RLENGTH)
		}
	}' | sort -u >"$T/man-syn"
awk -F '\t' '$1 == "command" { print "command " $2 }
	$1 == "option" { print "option " $2 " " $3 }' "$T/table" |
	sort -u >"$T/table-syn"
comm -23 "$T/table-syn" "$T/man-syn" >"$T/not-in-man"
comm -13 "$T/table-syn" "$T/man-syn" >"$T/not-in-table"
t "every command and option of the table is in the man page's SYNOPSIS" \
	[ ! -s "$T/not-in-man" ]
sed 's/^/# missing from the man page: /' "$T/not-in-man"
t "the SYNOPSIS has no command or option the table lacks" \
	[ ! -s "$T/not-in-table" ]
sed 's/^/# not in the table: /' "$T/not-in-table"

# ---- OPTIONS: an entry (a .TP header) for each option ----
section OPTIONS | unroff | awk '/^\.TP/ { getline; print }' >"$T/man-opts"
awk -F '\t' '$1 == "option" { print $3 " " $4 }' "$T/table" | sort -u |
	while read -r long short; do
		# The header that names --long must name its short form too.
		if ! grep -Eq -- "$long([^a-z-]|\$)" "$T/man-opts"; then
			echo "$long"
		elif [ -n "$short" ] &&
		     ! grep -E -- "$long([^a-z-]|\$)" "$T/man-opts" |
			grep -Eq -- "$short([^a-z-]|\$)"; then
			echo "$short, $long"
		fi
	done >"$T/opts-missing"
t "OPTIONS describes every option of the table, with its short form" \
	[ ! -s "$T/opts-missing" ]
sed 's/^/# no OPTIONS entry: /' "$T/opts-missing"
grep -o -- '--[a-z][a-z-]*' "$T/man-opts" | sort -u >"$T/man-optnames"
{ awk -F '\t' '$1 == "option" { print $3 }' "$T/table"; echo --help; } |
	sort -u >"$T/table-optnames"
t "OPTIONS describes no option that no command has" \
	[ -z "$(comm -23 "$T/man-optnames" "$T/table-optnames")" ]
comm -23 "$T/man-optnames" "$T/table-optnames" | sed 's/^/# extra: /'

# ---- COMMANDS: an entry for each command ----
section COMMANDS | unroff | awk '/^\.TP/ { getline; print $2 }' |
	sort -u >"$T/man-cmds"
awk -F '\t' '$1 == "command" { print $2 }' "$T/table" | sort -u >"$T/table-cmds"
t "COMMANDS has an entry for every command, and for no other" \
	[ "$(cat "$T/man-cmds")" = "$(cat "$T/table-cmds")" ]
diff "$T/table-cmds" "$T/man-cmds" | sed -n 's/^[<>]/# &/p'

# ---- the table's own usage lines show every option ----
awk -F '\t' '$1 == "option" { print $2 " " $3 }' "$T/table" |
	while read -r cmd long; do
		grep "^synopsis	$cmd	" "$T/table" |
			grep -Eq -- "$long([^a-z-]|\$)" || echo "$cmd $long"
	done >"$T/syn-missing"
t "each command's usage shows each of its options" [ ! -s "$T/syn-missing" ]
sed 's/^/# not in its usage: /' "$T/syn-missing"

# ---- and --help prints them from the table ----
bad=""
for cmd in $(cat "$T/table-cmds"); do
	"$DDRAIDCTL" "$cmd" --help >"$T/help" 2>&1 || bad="$bad $cmd(exit)"
	head -n 1 "$T/help" | grep -q "^Usage: ddraidctl $cmd " || bad="$bad $cmd(usage)"
	for long in $(awk -F '\t' -v c="$cmd" '$1 == "option" && $2 == c { print $3 }' "$T/table"); do
		grep -Eq -- "^  (-[a-z0-9], |    )$long( |\$)" "$T/help" || bad="$bad $cmd$long"
	done
	"$DDRAIDCTL" help "$cmd" >"$T/help2" 2>&1
	cmp -s "$T/help" "$T/help2" || bad="$bad $cmd(help CMD)"
done
t "CMD --help (and help CMD) shows the usage and every option of each command${bad:+: wrong:$bad}" \
	[ -z "$bad" ]
"$DDRAIDCTL" --help >"$T/help"
bad=""
for cmd in $(cat "$T/table-cmds"); do
	grep -q "^  $cmd " "$T/help" || bad="$bad $cmd"
done
t "ddraidctl --help lists every command${bad:+: missing$bad}" [ -z "$bad" ]
done_testing
