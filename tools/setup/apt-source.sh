#!/bin/sh
# apt-source.sh [--suite SUITE] [--binary] PACKAGE DESTDIR - unpack Debian's
# source package into DESTDIR (with --binary: download the binary package's
# .deb into DESTDIR instead, not installing it).
#
# Copyright (c) 2026, the cnroute authors. BSD-3-Clause, see LICENSE.
#
# The system's apt configuration is left alone: a private sources list is
# derived from the system's own "deb" entries (turned into "deb-src") and
# used with private list and cache directories under DESTDIR/.apt.
#
# --suite SUITE (e.g. trixie) takes the package from another Debian release:
# in the derived entries the suite names bookworm, bookworm-updates and
# bookworm-security become SUITE, SUITE-updates and SUITE-security. Only
# the suite field is rewritten (a repository such as "cloud-sdk-bookworm"
# is another name, not a Debian suite), and only Debian's own suites are.
#
# Either way apt checks what it fetches against the suite's signed indexes.
set -eu
suite=
type=deb-src
while :; do
	case "${1:-}" in
	--suite) suite=$2; shift 2 ;;
	--binary) type=deb; shift ;;
	*) break ;;
	esac
done
pkg=$1
dest=$2
mkdir -p "$dest"
dest=$(cd "$dest" && pwd)
apt="$dest/.apt"
mkdir -p "$apt/sources.list.d" "$apt/lists/partial" "$apt/archives/partial"

: > "$apt/sources.list"
if [ -f /etc/apt/sources.list ]; then
	sed -n "s/^[[:space:]]*deb[[:space:]]/$type /p" /etc/apt/sources.list \
		>> "$apt/sources.list"
fi
for f in /etc/apt/sources.list.d/*.sources; do
	[ -f "$f" ] || continue
	sed "s/^Types:.*deb\\b.*\$/Types: $type/" "$f" \
		> "$apt/sources.list.d/$(basename "$f")"
done
for f in /etc/apt/sources.list.d/*.list; do
	[ -f "$f" ] || continue
	sed -n "s/^[[:space:]]*deb[[:space:]]/$type /p" "$f" \
		> "$apt/sources.list.d/$(basename "$f")"
done

# Another release: the suite field of one-line entries is the third word
# ("deb-src URI SUITE COMPONENT..."), that of deb822 files the Suites: line.
if [ -n "$suite" ]; then
	for f in "$apt/sources.list" "$apt/sources.list.d"/*; do
		[ -f "$f" ] || continue
		sed -i \
			-e "s/^\(${type}[[:space:]]\{1,\}\(\[[^]]*\][[:space:]]\{1,\}\)\{0,1\}[^[:space:]]\{1,\}[[:space:]]\{1,\}\)bookworm\([-[:space:]]\)/\1$suite\3/" \
			-e "/^Suites:/s/\([[:space:]]\)bookworm\b/\1$suite/g" \
			"$f"
	done
fi

opts="-o Dir::Etc::SourceList=$apt/sources.list
 -o Dir::Etc::SourceParts=$apt/sources.list.d
 -o Dir::State::Lists=$apt/lists
 -o Dir::Cache::Archives=$apt/archives
 -o Debug::NoLocking=1 -o APT::Sandbox::User=root"
# shellcheck disable=SC2086
apt-get -q $opts update >"$apt/update.log" 2>&1 || {
	cat "$apt/update.log" >&2; echo "apt-source: apt-get update failed" >&2; exit 1; }
cd "$dest"
if [ "$type" = deb ]; then
	# shellcheck disable=SC2086
	apt-get -q $opts download "$pkg" >"$apt/download-$pkg.log" 2>&1 || {
		cat "$apt/download-$pkg.log" >&2; echo "apt-source: apt-get download $pkg failed" >&2; exit 1; }
	exit 0
fi
# shellcheck disable=SC2086
apt-get -q $opts source "$pkg" >"$apt/source-$pkg.log" 2>&1 || {
	cat "$apt/source-$pkg.log" >&2; echo "apt-source: apt-get source $pkg failed" >&2; exit 1; }
