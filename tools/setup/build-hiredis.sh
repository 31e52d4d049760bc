#!/bin/sh
# build-hiredis.sh SUITE DIR - build Debian SUITE's hiredis into DIR
# (DIR/include/hiredis, DIR/lib/libhiredis.a), to check that cnroute builds
# against that release of hiredis too.
#
# Copyright (c) 2026, the cnroute authors. BSD-3-Clause, see LICENSE.
#
# The source comes from Debian's source package of that suite, fetched
# with apt-source.sh --suite (the system's apt configuration stays as it
# is). Only the plain library is built (no TLS, no tests); nothing is
# installed outside DIR.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
suite=$1
dir=$2
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
src="$dir/src"

rm -rf "$src" "$dir/include" "$dir/lib" "$dir/debsrc"
echo "build-hiredis: fetching Debian's source package hiredis ($suite)"
"$here/apt-source.sh" --suite "$suite" hiredis "$dir/debsrc"
tree=$(find "$dir/debsrc" -maxdepth 1 -type d -name 'hiredis-[0-9]*' | head -n 1)
[ -n "$tree" ] || { echo "build-hiredis: no hiredis-* tree unpacked" >&2; exit 1; }
mv "$tree" "$src"
echo "build-hiredis: compiling (log: $src/cnroute-make.log)"
# hiredis's Makefile compiles position-independent objects, so the static
# library can go into the module too.
make -C "$src" PREFIX="$dir" USE_SSL=0 libhiredis.a hiredis.pc \
	>"$src/cnroute-make.log" 2>&1 || { tail -n 30 "$src/cnroute-make.log" >&2; exit 1; }
mkdir -p "$dir/include/hiredis/adapters" "$dir/lib"
cp "$src"/hiredis.h "$src"/async.h "$src"/read.h "$src"/sds.h "$src"/alloc.h \
	"$dir/include/hiredis/"
cp "$src"/adapters/*.h "$dir/include/hiredis/adapters/"
cp "$src/libhiredis.a" "$dir/lib/"
sed -n 's/^#define HIREDIS_\(MAJOR\|MINOR\|PATCH\) \(.*\)/\2/p' "$src/hiredis.h" |
	paste -sd. | sed 's/^/build-hiredis: hiredis /'
