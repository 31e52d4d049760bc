#!/bin/sh
# build.sh BUILD_DIR - build Unbound's replay test program (testbound) from
# the configured Unbound tree BUILD_DIR/unbound-src, into
# BUILD_DIR/testbound/testbound.
#
# Copyright (c) 2026, the cnroute authors. BSD-3-Clause, see LICENSE.
#
# Unbound's own Makefile links testbound without -export-dynamic (only the
# daemon gets it, and only when built --with-dynlibmodule). cnroute.so calls
# Unbound's functions (log_err, regional_alloc, ...) and expects the program
# that dlopens it to provide them, so testbound is linked here with
# -export-dynamic added to the tree's own LIBS. The program is relinked
# every time (make would call an existing one up to date whatever LIBS
# was), then copied out of the tree; the installed daemon is not touched.
set -eu
build=$1
src="$build/unbound-src"
out="$build/testbound"
if [ ! -f "$src/Makefile" ] || [ ! -f "$src/testcode/testbound.c" ]; then
	echo "testbound: $src is not a configured Unbound tree (run make first)" >&2
	exit 1
fi
mkdir -p "$out"
libs=$(sed -n 's/^LIBS=//p' "$src/Makefile" | head -n 1)
rm -f "$src/testbound"
echo "testbound: building in $src (log: $out/build.log)"
make -C "$src" -j2 testbound LIBS="$libs -export-dynamic" >"$out/build.log" 2>&1 || {
	tail -n 30 "$out/build.log" >&2; exit 1; }
# the module resolves Unbound's symbols against the program: make sure
# they are in its dynamic symbol table
if ! nm -D --defined-only "$src/testbound" | grep -q ' T regional_alloc$'; then
	echo "testbound: $src/testbound does not export Unbound's symbols" >&2
	exit 1
fi
cp "$src/testbound" "$out/testbound.new"
mv "$out/testbound.new" "$out/testbound"
"$out/testbound" -s >/dev/null 2>&1 || {
	echo "testbound: $out/testbound fails its self-test (testbound -s)" >&2
	exit 1; }
echo "testbound: $out/testbound"
