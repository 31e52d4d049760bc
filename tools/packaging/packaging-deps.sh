#!/bin/sh
# packaging-deps.sh - the Debian tools `make deb` and `make test-packages`
# use: debhelper and lintian to build and check the packages, debootstrap
# for the test's fresh Debian root.
#
# Copyright (c) 2026, the cnroute authors. BSD-3-Clause, see LICENSE.
#
# Idempotent: apt-get runs only when something is missing. Needs root.
set -eu
PACKAGES="dpkg-dev debhelper dh-apparmor lintian debootstrap knot-dnsutils"
missing=""
for p in $PACKAGES; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "packaging-deps: installing:$missing"
apt-get update -q >/dev/null
# shellcheck disable=SC2086
DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $missing >/dev/null
