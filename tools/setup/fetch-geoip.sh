#!/bin/sh
# fetch-geoip.sh DIR - the GeoIP databases the demo and the tests use.
#
# Copyright (c) 2026, the cnroute authors. BSD-3-Clause, see LICENSE.
#
# - geo-whois-asn-country.mmdb: CC0 country data from the npm package
#   @ip-location-db/geo-whois-asn-country-mmdb (field "country_code").
# - GeoIP2-Country-Test.mmdb: MaxMind's test database from Debian's source
#   package libmaxminddb (field "country.iso_code").
set -eu
here=$(cd "$(dirname "$0")" && pwd)
dir=$1
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

if [ ! -s "$dir/geo-whois-asn-country.mmdb" ]; then
	echo "fetch-geoip: npm pack @ip-location-db/geo-whois-asn-country-mmdb"
	(cd "$tmp" && npm pack --silent @ip-location-db/geo-whois-asn-country-mmdb >/dev/null)
	tar -xzf "$tmp"/ip-location-db-geo-whois-asn-country-mmdb-*.tgz -C "$tmp" \
		package/geo-whois-asn-country.mmdb package/README.md
	cp "$tmp/package/README.md" "$dir/geo-whois-asn-country.README.md"
	mv "$tmp/package/geo-whois-asn-country.mmdb" "$dir/geo-whois-asn-country.mmdb"
fi

if [ ! -s "$dir/GeoIP2-Country-Test.mmdb" ]; then
	echo "fetch-geoip: Debian source package libmaxminddb (GeoIP2-Country-Test.mmdb)"
	"$here/apt-source.sh" libmaxminddb "$tmp/src"
	f=$(find "$tmp/src" -path '*/test-data/GeoIP2-Country-Test.mmdb' | head -n 1)
	[ -n "$f" ] || { echo "fetch-geoip: GeoIP2-Country-Test.mmdb not in the source package" >&2; exit 1; }
	cp "$f" "$dir/GeoIP2-Country-Test.mmdb"
	j=$(find "$tmp/src" -path '*/source-data/GeoIP2-Country-Test.json' | head -n 1)
	[ -z "$j" ] || cp "$j" "$dir/GeoIP2-Country-Test.json"
fi
