#!/bin/sh
# build-unbound.sh BUILD_DIR - configure, build and install the Unbound the
# module is built against and tested with.
#
# Copyright (c) 2026, the cnroute authors. BSD-3-Clause, see LICENSE.
#
# Source: $UNBOUND_SRC (an unpacked Unbound tree, copied so it stays
# untouched) or else Debian's source package, from the system's release or,
# with $UNBOUND_SUITE (e.g. trixie), from that Debian release; where the
# mirror does not serve that release's package, the one pinned for the
# suite in unbound-fallback.pin (fetch-pinned-source.sh). The configured tree stays in
# BUILD_DIR/unbound-src (its config.h and headers build the module); the
# daemon is installed under BUILD_DIR/unbound.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
build=$1
mkdir -p "$build"
build=$(cd "$build" && pwd)
src="$build/unbound-src"

rm -rf "$src" "$build/unbound"
if [ -n "${UNBOUND_SRC:-}" ]; then
	[ -f "$UNBOUND_SRC/util/module.h" ] || {
		echo "build-unbound: UNBOUND_SRC=$UNBOUND_SRC is not an Unbound source tree" >&2
		exit 1; }
	echo "build-unbound: using $UNBOUND_SRC"
	cp -a "$UNBOUND_SRC" "$src"
	(cd "$src" && { [ ! -f Makefile ] || make distclean >/dev/null 2>&1 || true; })
else
	suite=${UNBOUND_SUITE:-}
	echo "build-unbound: fetching Debian's source package unbound${suite:+ ($suite)}"
	rm -rf "$build/debsrc"
	if ! "$here/apt-source.sh" ${suite:+--suite "$suite"} unbound "$build/debsrc"; then
		pinned=$(awk -v s="$suite" '$1 == s && s != "" { print $2; exit }' "$here/unbound-fallback.pin")
		[ -n "$pinned" ] || {
			echo "build-unbound: Debian's unbound source package${suite:+ for $suite} could not be fetched;" \
				"UNBOUND_SRC=DIR builds from an unpacked Unbound source tree instead" >&2
			exit 1; }
		echo "build-unbound: $suite's unbound source package could not be fetched (see above);" \
			"falling back to the pinned $pinned (tools/setup/unbound-fallback.pin)" >&2
		rm -rf "$build/debsrc"
		"$here/fetch-pinned-source.sh" "$suite" "$here/unbound-fallback.pin" "$build/debsrc"
	fi
	dir=$(find "$build/debsrc" -maxdepth 1 -type d -name 'unbound-[0-9]*' | head -n 1)
	[ -n "$dir" ] || { echo "build-unbound: no unbound-* tree unpacked" >&2; exit 1; }
	mv "$dir" "$src"
fi

cd "$src"
echo "build-unbound: configuring (log: $src/cnroute-configure.log)"
./configure --prefix="$build/unbound" --with-dynlibmodule --with-libevent \
	--disable-flto --without-pythonmodule --without-pyunbound \
	--disable-static >cnroute-configure.log 2>&1 || {
	tail -n 30 cnroute-configure.log >&2; exit 1; }
echo "build-unbound: compiling (log: $src/cnroute-make.log)"
make -j"$(nproc)" >cnroute-make.log 2>&1 || { tail -n 30 cnroute-make.log >&2; exit 1; }
make install >>cnroute-make.log 2>&1 || { tail -n 30 cnroute-make.log >&2; exit 1; }
"$build/unbound/sbin/unbound" -V | head -n 1
