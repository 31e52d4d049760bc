#!/bin/sh
# install-deps.sh - install the Debian packages cnroute builds and tests with.
#
# Copyright (c) 2026, the cnroute authors. BSD-3-Clause, see LICENSE.
#
# Idempotent and quick when everything is there: dpkg is asked first and
# apt-get only runs for what is missing. Needs root (or sudo) to install.
set -eu

PACKAGES="
gcc make pkg-config dpkg-dev bison flex ca-certificates
libhiredis-dev libmaxminddb-dev libldns-dev libevent-dev libssl-dev
libexpat1-dev libnghttp2-dev libcmocka-dev libidn2-dev libpsl-dev publicsuffix zlib1g-dev libjansson-dev
redis-server redis-tools nsd dnsutils knot-dnsutils mmdb-bin
prometheus
nodejs npm
"
# Another release's Unbound (UNBOUND_SUITE) may come from a pinned source
# package whose signature is checked with gpgv (fetch-pinned-source.sh).
if [ -n "${UNBOUND_SUITE:-}" ]; then
	PACKAGES="$PACKAGES gpgv"
fi
if [ "${1:-}" = "--bench" ]; then
	PACKAGES="$PACKAGES dnsperf valgrind"
fi

missing=""
for p in $PACKAGES; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed"; then
		# npm may come from a vendor package of node instead of Debian's
		if [ "$p" = npm ] && command -v npm >/dev/null 2>&1; then continue; fi
		if [ "$p" = nodejs ] && command -v node >/dev/null 2>&1; then continue; fi
		missing="$missing $p"
	fi
done
[ -z "$missing" ] && exit 0

echo "install-deps: installing:$missing"
SUDO=""
if [ "$(id -u)" != 0 ]; then
	command -v sudo >/dev/null 2>&1 || {
		echo "install-deps: need root to install:$missing" >&2; exit 1; }
	SUDO=sudo
fi
$SUDO apt-get update -q >/dev/null
# shellcheck disable=SC2086
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends $missing >/dev/null
# redis and nsd are started by the tests themselves, on their own ports;
# the packaged services are not needed and must not hold the default ports.
# prometheus is there for its promtool (the metrics tests), not its server.
for svc in redis-server nsd prometheus; do
	$SUDO systemctl disable --now "$svc" >/dev/null 2>&1 || true
done
exit 0
