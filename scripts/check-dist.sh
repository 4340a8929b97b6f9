#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# check-dist.sh SRCDIR DISTDIR: run by "make dist" (dist-hook) on the tree
# about to be packed. In a git checkout it fails when
#  - a file git tracks is missing (list it in a Makefile.am), except the
#    files below that are not part of a release;
#  - a file ships that is neither a source file (tracked, or new and not
#    ignored) nor made by autoreconf: a build product (*.o, a test's
#    log, the kernel module's objects) that an EXTRA_DIST entry dragged
#    in from a tree that was built.
# Outside a git checkout (a tarball's tree) there is nothing to compare
# with: it says so and succeeds.
set -eu
export LC_ALL=C
src=$1
dist=$2
# The top of a checkout: an unpacked tarball inside one (distcheck's, in
# an ignored build directory) is not.
top=$(git -C "$src" rev-parse --show-toplevel 2>/dev/null) || top=
if [ -z "$top" ] || [ "$(cd "$top" && pwd -P)" != "$(cd "$src" && pwd -P)" ]; then
	echo "check-dist: $src is not a git checkout: contents not checked"
	exit 0
fi
t=$(mktemp -d "${TMPDIR:-/tmp}/ddraid-dist.XXXXXX")
trap 'rm -rf "$t"' EXIT

# Not part of a release: git's and CI's files, the Debian packaging (the
# packages are built from this tarball plus debian/).
not_released='^(\.gitignore|.*/\.gitignore|\.ci/.*|debian/.*)$'
# Made by autoreconf: shipped, never tracked.
generated='^(configure|aclocal\.m4|config\.h\.in|(.*/)?Makefile\.in|build-aux/.*|m4/[^.].*)$'

# (a tracked file deleted but not yet committed is not a source any more)
(cd "$src" && git ls-files | while IFS= read -r f; do
	[ -e "$f" ] && echo "$f"
done) | grep -Ev "$not_released" | sort >"$t/tracked"
(cd "$src" && git ls-files --others --exclude-standard) | sort >"$t/new"
(cd "$dist" && find . -type f | sed 's|^\./||') | sort >"$t/shipped"

comm -23 "$t/tracked" "$t/shipped" >"$t/missing"
grep -Ev "$generated" "$t/shipped" >"$t/notgen" || :
sort -u "$t/tracked" "$t/new" >"$t/sources"
comm -23 "$t/notgen" "$t/sources" >"$t/extra"

rc=0
if [ -s "$t/missing" ]; then
	echo "check-dist: tracked by git but not in the tarball (list them in a Makefile.am):" >&2
	sed 's/^/  /' "$t/missing" >&2
	rc=1
fi
if [ -s "$t/extra" ]; then
	echo "check-dist: in the tarball but not source files (build products?):" >&2
	sed 's/^/  /' "$t/extra" >&2
	rc=1
fi
[ $rc = 0 ] && echo "check-dist: the tarball holds exactly the source files ($(wc -l <"$t/shipped") files)"
exit $rc
