#!/bin/bash
# Harness self-check: the daemons start on free loopback ports and plain
# resolution of the NSD zones through Unbound's stub zones works (over IPv4,
# IPv6, TCP and the PROXYv2 port). Valid with and without the module
# (IT_NO_MODULE=1). IT_SELFTEST_FAIL=1 adds one assertion that must fail.
. "$(dirname "$0")/lib.sh"
it_setup
filing harness.example.com active
route www.harness.example.com 192.0.2.1 198.51.100.1 30
it_up main

# ports
ports="$RPORT $NSDPORT ${UB_PORT[main]} ${UB_PPORT[main]} ${UB_CPORT[main]}"
assert_eq "five distinct ports allocated" 5 "$(tr ' ' '\n' <<<"$ports" | sort -u | wc -l)"
listening=$(ss -Hlntu | awk '{print $5}')
for p in $ports; do
	assert_match "port $p is listening on loopback" "(127\.0\.0\.1|\[::1\]):$p( |\$)" "$(grep -E "[:.]$p\$" <<<"$listening" | tr '\n' ' ')"
done
assert_match "Unbound listens on ::1" "\[::1\]:${UB_PORT[main]}" "$(tr '\n' ' ' <<<"$listening")"

# NSD directly
for z in "${IT_ZONES[@]}"; do
	assert_match "NSD serves $z SOA" "^ns1\.$z\. " "$(kdig @127.0.0.1 -p "$NSDPORT" +short "$z" SOA)"
done

# Redis
rcli SET "${IT_PREFIX}harness-probe" 42 >/dev/null
assert_eq "redis SET/GET roundtrip" 42 "$(rcli GET "${IT_PREFIX}harness-probe")"
rcli DEL "${IT_PREFIX}harness-probe" >/dev/null

# normal resolution through the stub zones
expect "plain A via stub" "$(res NOERROR A:203.0.113.10)" plain.example.com A
assert_le "plain A TTL from NSD zone (<= 3600)" 3600 "$(ttl_of A)"
expect "plain AAAA via stub" "$(res NOERROR AAAA:2001:db8:f::10)" plain.example.com AAAA
expect "plain TXT via stub" "$(res NOERROR 'TXT:"plain"')" plain.example.com TXT
expect "plain A over ::1" "$(res NOERROR A:203.0.113.10)" --v6 plain.example.com A
expect "plain A over TCP" "$(res NOERROR A:203.0.113.10)" --tcp plain.example.com A
expect "plain A with an ECS option" "$(res NOERROR A:203.0.113.10)" --ecs 8.8.8.0/24 plain.example.com A
expect "plain A via PROXYv2 (v4 client)" "$(res NOERROR A:203.0.113.10)" --proxy 8.8.8.8 plain.example.com A
expect "plain A via PROXYv2 (v6 client)" "$(res NOERROR A:203.0.113.10)" --proxy 2001:4860::1 plain.example.com A
expect "plain A via PROXYv2 over TCP" "$(res NOERROR A:203.0.113.10)" --proxy 8.8.8.8 --tcp plain.example.com A
expect "example.org name" "$(res NOERROR A:203.0.113.80)" plain.example.org A
expect "NXDOMAIN passes through" "NXDOMAIN" nope.example.org A
expect "CNAME-target wildcard (cn side)" "$(res NOERROR A:192.0.2.100)" h1.cdn-cn.example.net A
expect "CNAME-target wildcard (global side)" "$(res NOERROR AAAA:2001:db8::100)" h1.cdn-global.example.net AAAA
expect "NODATA target has no A" "NOERROR" nodata.example.net A

# raw UDP packet builder (used by the malformed-ECS and concurrency tests)
h=$(dns_query_hex 4242 plain.example.com 1 "$(ecs_hex 1 24 0 010001)")
r=$(raw_udp "${UB_PORT[main]}" "$h")
assert_eq "raw UDP query with ECS: rcode" NOERROR "$(hex_rcode "$r")"
assert_match "raw UDP reply carries 203.0.113.10" "cb00710a" "$r"
assert_eq "raw UDP reply id (4242)" 1092 "${r:0:4}"

# remote control
assert_match "unbound-control status" "is running" "$(ub_control main status 2>&1)"

# GeoIP helpers
assert_eq "geo_prefix of 1.0.1.0 (IPv4 in IPv6 tree)" 24 "$(geo_prefix "$GEOIP_COUNTRY_DB" 1.0.1.0)"
assert_eq "geo_country of 1.36.0.1" HK "$(geo_country "$GEOIP_COUNTRY_DB" 1.36.0.1 country_code)"

if [[ $IT_NO_MODULE != 1 ]]; then
	for k in redis_connected filings routes records_skipped ecs_formerr; do
		assert_match "stats file has $k" '^[0-9]+$' "$(modstat "$k")"
	done
	assert_eq "stats: redis_connected" 1 "$(modstat redis_connected)"
	expect "module answers a managed name (smoke)" "$(res NOERROR A:192.0.2.1)" --ecs 1.0.1.0/24 www.harness.example.com A
else
	diag "skip - module checks (IT_NO_MODULE=1)"
fi

if [[ ${IT_SELFTEST_FAIL:-0} == 1 ]]; then
	expect "deliberately failing assertion (IT_SELFTEST_FAIL=1)" "$(res NOERROR A:192.0.2.99)" plain.example.com A
fi
it_done
