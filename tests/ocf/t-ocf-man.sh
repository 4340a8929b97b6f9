#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# ocf_ddraid_volume(7), as built, says what the agent's meta-data says: the
# same parameters in the same order, each with its type, required/unique
# flags, short and long description and default; the same actions with
# their timeouts; the agent's description. It renders without warnings.
# A parameter added to ocf/volume without the page being remade fails
# here.
set -u

SRC=${TESTS_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
AGENT=$SRC/../ocf/volume
: "${OCF_MAN:?OCF_MAN must name the built ocf_ddraid_volume.7 (make check sets it)}"
: "${DDRAID_SBINDIR:?DDRAID_SBINDIR must be the configured sbindir (make check sets it)}"

. "$SRC/tap.sh"

for p in xmllint man col; do
	if ! command -v $p >/dev/null; then
		echo "1..0 # SKIP $p is not installed"
		exit 0
	fi
done
T=$(mktemp -d "${TMPDIR:-/tmp}/ddraid-ocfman.XXXXXX") || exit 1
trap 'rm -rf "$T"' EXIT

t "the page exists ($OCF_MAN)" [ -s "$OCF_MAN" ]
# The meta-data as the installed agent prints it.
sed "s|^DDRAID_SBINDIR=.*|DDRAID_SBINDIR=\"$DDRAID_SBINDIR\"|" "$AGENT" >"$T/agent"
OCF_FUNCTIONS_DIR=$T/none sh "$T/agent" meta-data >"$T/meta.xml"
x() { xmllint --xpath "$1" "$T/meta.xml" 2>/dev/null; }
# norm: white space collapsed, as the page's text is once rendered
norm() { tr -s ' \t\n' '   ' | sed 's/^ //; s/ $//'; }

LC_ALL=C MANWIDTH=10000 man --warnings --nh --nj -l "$OCF_MAN" \
	2>"$T/warn" | col -b >"$T/page.txt"
t "the page renders (man -l) without warnings" [ ! -s "$T/warn" ]
sed 's/^/# /' "$T/warn"
norm <"$T/page.txt" >"$T/page.norm"
has() { grep -qF -- "$1" "$T/page.norm"; }

# The roff source's entries of one section (.TP then .B NAME).
entries() {
	sed -n "/^\.SH $1\$/,/^\.SH /p" "$OCF_MAN" |
		awk '/^\.TP$/ { tp = 1; next } tp && /^\.B / { print $2 } { tp = 0 }' |
		sed 's/\\-/-/g'
}

params=$(x '//parameter/@name' | sed 's/ *name="\([^"]*\)"/\1\n/g' | sed '/^$/d')
t "the meta-data has parameters" [ -n "$params" ]
t "the page lists the meta-data's parameters, in its order" \
	[ "$(entries PARAMETERS)" = "$params" ]
bad=""
for p in $params; do
	q="//parameter[@name=\"$p\"]"
	flags="$(x "string($q/content/@type)")"
	[ "$(x "string($q/@required)")" = 1 ] && flags="$flags, required"
	[ "$(x "string($q/@unique)")" = 1 ] && flags="$flags, unique"
	[ "$(x "string($q/@reloadable)")" = 1 ] && flags="$flags, reloadable"
	has "$p ($flags) $(x "string($q/shortdesc)" | norm)" || bad="$bad $p:shortdesc"
	has "$(x "string($q/longdesc)" | norm)" || bad="$bad $p:longdesc"
	def=$(x "string($q/content/@default)")
	if [ -n "$def" ]; then
		has "Default: $def" || bad="$bad $p:default"
	fi
done
t "every parameter's type, flags, descriptions and default are in the page${bad:+ (wrong:$bad)}" \
	[ -z "$bad" ]
t "the installed agent's defaults name $DDRAID_SBINDIR" \
	has "Default: $DDRAID_SBINDIR/ddraidd"

actions=$(x '//action/@name' | sed 's/ *name="\([^"]*\)"/\1\n/g' | sed '/^$/d')
t "the page lists the meta-data's actions, in its order" \
	[ "$(entries ACTIONS)" = "$actions" ]
bad=""
for a in $actions; do
	has "$a timeout $(x "string(//action[@name=\"$a\"]/@timeout)")" ||
		bad="$bad $a"
done
t "every action's timeout is in the page${bad:+ (wrong:$bad)}" [ -z "$bad" ]
t "the synopsis names every action" \
	has "{$(echo $actions | tr ' ' '|')}"

t "NAME: ocf_ddraid_volume - the agent's shortdesc" \
	has "NAME ocf_ddraid_volume - $(x 'string(/resource-agent/shortdesc)' | norm)"
# The description, paragraph by paragraph (a blank line separates them).
x 'string(/resource-agent/longdesc)' >"$T/longdesc"
bad=0
awk 'BEGIN { RS = "" } { gsub(/[ \t\n]+/, " "); sub(/^ /, ""); sub(/ $/, ""); print }' \
	"$T/longdesc" >"$T/paras"
while IFS= read -r para; do
	has "$para" || bad=$((bad + 1))
done <"$T/paras"
t "the agent's description is in the page ($(wc -l <"$T/paras") paragraphs, $bad missing)" \
	[ "$bad" = 0 -a -s "$T/paras" ]
t "the OCF version and the agent's version are in the page" \
	has "OCF API version $(x 'string(/resource-agent/version)'), agent version $(x 'string(/resource-agent/@version)')."

echo "1..$n"
exit $failed
