#!/bin/sh
# cnroute-deb.sh WORKDIR OUTDIR - the cnroute Debian package, built with
# debhelper and dpkg-buildpackage, and checked with lintian.
#
# Copyright (c) 2026, the cnroute authors. BSD-3-Clause, see LICENSE.
#
# Needs WORKDIR/unbound/unbound-headers and WORKDIR/unbound/unbound-version
# from unbound-deb.sh (the Unbound build the module is compiled against and
# pinned to) and the GeoIP database in $GEOIP_DIR (default build/geoip).
# Assembles the package source tree WORKDIR/cnroute-<version>/ from the
# project's files (those git tracks or would track, as they are in the work
# tree), tools/packaging/debian/, that Unbound tree and the database, builds
# it and puts cnroute_<version>_<arch>.deb into OUTDIR. lintian errors fail
# the build; its other findings are printed (the kept ones are explained in
# debian/cnroute.lintian-overrides).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
work=$1
out=$2
geoip=${GEOIP_DIR:-$top/build/geoip}
mkdir -p "$work" "$out"
work=$(cd "$work" && pwd)
out=$(cd "$out" && pwd)

"$here/packaging-deps.sh"

version=$(sed -n 's/^#define CNROUTE_VERSION "\(.*\)"/\1/p' "$top/include/cnroute/version.h")
[ -n "$version" ] || { echo "cnroute-deb: no CNROUTE_VERSION in include/cnroute/version.h" >&2; exit 1; }
for f in "$work/unbound/unbound-headers/config.h" "$work/unbound/unbound-version" \
	"$geoip/geo-whois-asn-country.mmdb" "$geoip/geo-whois-asn-country.README.md"; do
	[ -s "$f" ] || { echo "cnroute-deb: missing $f" >&2; exit 1; }
done

git -C "$top" rev-parse --git-dir >/dev/null 2>&1 || {
	echo "cnroute-deb: $top is not a git work tree (the package takes the files git tracks)" >&2; exit 1; }
tree="$work/cnroute-$version"
rm -rf "$tree"
mkdir -p "$tree"
(cd "$top" && git ls-files -z --cached --others --exclude-standard |
	xargs -0 sh -c 'for f; do [ -e "$f" ] && cp --parents -p -- "$f" "$0"; done' "$tree")
rm -rf "$tree/debian"
cp -a "$here/debian" "$tree/debian"
cp -a "$work/unbound/unbound-headers" "$tree/unbound-headers"
cp "$work/unbound/unbound-version" "$tree/unbound-version"
mkdir -p "$tree/geoip"
cp "$geoip/geo-whois-asn-country.mmdb" "$geoip/geo-whois-asn-country.README.md" "$tree/geoip/"
# newer than the Makefile's recipe for them, which fetches them
touch "$tree/geoip"/*

# The changelog carries the version of include/cnroute/version.h.
# shellcheck source=/dev/null
. /etc/os-release
{
	printf 'cnroute (%s) %s; urgency=medium\n\n' "$version" "${VERSION_CODENAME:-unstable}"
	printf '  * Release %s (README.md, "Changes").\n\n' "$version"
	printf ' -- %s  %s\n' "cnroute packagers <packagers@cnroute.example.org>" "$(date -R)"
} >"$tree/debian/changelog"

cd "$tree"
echo "cnroute-deb: installing the build dependencies"
DEBIAN_FRONTEND=noninteractive apt-get build-dep -y -q ./ >"$work/cnroute-build-dep.log" 2>&1 || {
	tail -n 30 "$work/cnroute-build-dep.log" >&2; exit 1; }
echo "cnroute-deb: building $version against unbound $(cat unbound-version) (log: $work/cnroute-build.log)"
dpkg-buildpackage -b -us -uc >"$work/cnroute-build.log" 2>&1 || {
	tail -n 40 "$work/cnroute-build.log" >&2; exit 1; }

arch=$(dpkg --print-architecture)
deb="$work/cnroute_${version}_${arch}.deb"
echo "cnroute-deb: lintian $(basename "$deb")"
lintian --fail-on error --display-info --tag-display-limit 0 "$deb" | tee "$work/lintian.log" || {
	echo "cnroute-deb: lintian reports errors" >&2; exit 1; }
rm -f "$out"/cnroute_*.deb
cp "$deb" "$out/"
echo "cnroute-deb: $out/$(basename "$deb")"
