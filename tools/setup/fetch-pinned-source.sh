#!/bin/sh
# fetch-pinned-source.sh SUITE PINFILE DESTDIR - fetch, verify and unpack
# the Debian source package PINFILE pins for SUITE into DESTDIR.
#
# Copyright (c) 2026, the cnroute authors. BSD-3-Clause, see LICENSE.
#
# The fallback of build-unbound.sh for a suite whose source package the
# mirror lists but does not serve. The pinned .dsc and its files are taken
# from the pool of the system's own Debian mirror (the URI of the entry
# carrying the system's main suite), never from another host. Trust:
#  - the .dsc must have the pinned SHA-256 (apt-helper checks it while
#    downloading) and a valid signature by a key of SUITE's debian-keyring;
#    that keyring package is downloaded through apt from SUITE, so it is
#    checked against the suite's signed indexes, and only unpacked under
#    DESTDIR (the system's own debian-keyring may be too old to hold the
#    uploader's key);
#  - each file is checked against the .dsc's SHA-256 while downloading, and
#    dpkg-source -x checks all of them again before unpacking.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
suite=$1
pinfile=$2
dest=$3
mkdir -p "$dest"
dest=$(cd "$dest" && pwd)

pin=$(awk -v s="$suite" '$1 == s { print $2, $3; exit }' "$pinfile")
[ -n "$pin" ] || { echo "fetch-pinned-source: no pin for $suite in $pinfile" >&2; exit 1; }
dsc=${pin% *}
dsc_sha256=${pin#* }
pkg=${dsc%%_*}
case "$pkg" in
lib?*) pool_dir=$(printf '%s' "$pkg" | cut -c1-4)/$pkg ;;
*) pool_dir=$(printf '%s' "$pkg" | cut -c1)/$pkg ;;
esac
command -v gpgv >/dev/null 2>&1 && command -v dpkg-source >/dev/null 2>&1 || {
	echo "fetch-pinned-source: needs gpgv and dpkg-source (packages gpgv, dpkg-dev)" >&2; exit 1; }

# The system's Debian mirror: the URI of the first entry whose suite is
# the system's main one (bookworm, not -updates or -security).
mirror=$(
	for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
		[ -f "$f" ] || continue
		sed -n 's/^[[:space:]]*deb[[:space:]]\{1,\}\(\[[^]]*\][[:space:]]\{1,\}\)\{0,1\}\([^[:space:]]\{1,\}\)[[:space:]]\{1,\}bookworm[[:space:]].*/\2/p' "$f"
	done
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -f "$f" ] || continue
		awk 'BEGIN { RS = ""; FS = "\n" }
			{ uri = ""; main = 0
			  for (n = 1; n <= NF; n++) {
				if ($n ~ /^URIs:/) { split($n, w, /[[:space:]]+/); uri = w[2] }
				if ($n ~ /^Suites:/) { k = split($n, w, /[[:space:]]+/); for (j = 2; j <= k; j++) if (w[j] == "bookworm") main = 1 }
			  }
			  if (main && uri != "") print uri }' "$f"
	done
)
mirror=$(printf '%s\n' "$mirror" | sed -n '1{s:/*$::;p}')
[ -n "$mirror" ] || { echo "fetch-pinned-source: no Debian mirror with suite bookworm in the apt sources" >&2; exit 1; }
pool="$mirror/pool/main/$pool_dir"

fetch() { # fetch NAME SHA256: download NAME from the pool into DESTDIR, checked
	/usr/lib/apt/apt-helper -q download-file "$pool/$1" "$dest/$1" "SHA256:$2" \
		>"$dest/.fetch-$1.log" 2>&1 || {
		cat "$dest/.fetch-$1.log" >&2; echo "fetch-pinned-source: $pool/$1 could not be fetched or is not the pinned file" >&2; exit 1; }
}

fetch "$dsc" "$dsc_sha256"

"$here/apt-source.sh" --suite "$suite" --binary debian-keyring "$dest/.keyring"
deb=$(find "$dest/.keyring" -maxdepth 1 -name 'debian-keyring_*.deb' | head -n 1)
[ -n "$deb" ] || { echo "fetch-pinned-source: no debian-keyring .deb fetched" >&2; exit 1; }
dpkg-deb -x "$deb" "$dest/.keyring/root"
keyring="$dest/.keyring/root/usr/share/keyrings/debian-keyring.gpg"
gpgv --keyring "$keyring" "$dest/$dsc" >"$dest/.gpgv.log" 2>&1 || {
	cat "$dest/.gpgv.log" >&2
	echo "fetch-pinned-source: $dsc has no valid signature of a Debian developer ($suite's debian-keyring)" >&2; exit 1; }
rm -rf "$dest/.keyring"

# The files the .dsc lists with their SHA-256 (the signed, pinned text).
sed -n '/^Checksums-Sha256:/,/^[^ ]/{/^ /p}' "$dest/$dsc" |
while read -r sha size name; do
	: "$size"
	fetch "$name" "$sha"
done

cd "$dest"
dpkg-source --require-strong-checksums -x "$dsc" >"$dest/.dpkg-source.log" 2>&1 || {
	cat "$dest/.dpkg-source.log" >&2; echo "fetch-pinned-source: dpkg-source -x $dsc failed" >&2; exit 1; }
