#!/bin/bash
# Both GeoIP databases: MaxMind's GeoIP2-Country-Test (field
# country.iso_code; CN only for IPv6 there) and ip-location-db (country_code,
# used by every other test). mainland-countries is honoured; a geoip-field
# that doesn't exist in the records fails closed (offshore).
. "$(dirname "$0")/lib.sh"
it_setup
it_check_geo_data "$GEOIP_MAXMIND_DB" country.iso_code GEO_EXPECT_MAXMIND
filing g.example.com active
route www.g.example.com "192.0.2.140,2001:db8:c::140" "198.51.100.140,2001:db8::140" 30
route cname.g.example.com g.cdn-cn.example.net. g.cdn-global.example.net. 30
it_up mm geoip-db="$GEOIP_MAXMIND_DB" geoip-field=country.iso_code
it_up mmjp geoip-db="$GEOIP_MAXMIND_DB" geoip-field=country.iso_code mainland-countries="CN JP"
it_up wrongfield geoip-db="$GEOIP_COUNTRY_DB" geoip-field=country.iso_code
W=www.g.example.com
C4=$(res NOERROR A:192.0.2.140) O4=$(res NOERROR A:198.51.100.140)
C6=$(res NOERROR AAAA:2001:db8:c::140) O6=$(res NOERROR AAAA:2001:db8::140)

expect "MaxMind DB: ECS 2001:250::/32 (CN) AAAA -> cn" "$C6" --inst mm --ecs 2001:250::/32 $W AAAA
expect "MaxMind DB: ECS 2001:250::/32 (CN) A -> cn" "$C4" --inst mm --ecs 2001:250::/32 $W A
p=$(geo_prefix "$GEOIP_MAXMIND_DB" 2001:250::)
assert_eq "MaxMind DB: ECS scope for 2001:250::/32 is the database's /$p" "$p" "$Q_SCOPE"
expect "MaxMind DB: ECS 2001:2e0::/32 (HK) -> offshore" "$O6" --inst mm --ecs 2001:2e0::/32 $W AAAA
expect "MaxMind DB: ECS 2001:238::/32 (TW) -> offshore" "$O6" --inst mm --ecs 2001:238::/32 $W AAAA
expect "MaxMind DB: ECS 2001:218::/32 (JP) -> offshore" "$O6" --inst mm --ecs 2001:218::/32 $W AAAA
expect "MaxMind DB: ECS 216.160.83.56/29 (US, IPv4) -> offshore" "$O4" --inst mm --ecs 216.160.83.56/29 $W A
p=$(geo_prefix "$GEOIP_MAXMIND_DB" 216.160.83.56)
assert_eq "MaxMind DB: ECS scope for 216.160.83.56/29 is the database's /$p" "$p" "$Q_SCOPE"
expect "MaxMind DB: ECS 1.0.1.0/24 (CN elsewhere, not in this DB) -> offshore" "$O4" --inst mm --ecs 1.0.1.0/24 $W A
expect "MaxMind DB: PROXYv2 client 2001:250::1 (CN) -> cn" "$C6" --inst mm --proxy 2001:250::1 $W AAAA
expect "MaxMind DB: PROXYv2 client 2001:2e0::1 (HK) -> offshore" "$O6" --inst mm --proxy 2001:2e0::1 $W AAAA
expect "MaxMind DB: CNAME pool, ECS 2001:250::/32 (CN)" "$(res NOERROR CNAME:g.cdn-cn.example.net. AAAA:2001:db8:c::100)" \
	--inst mm --ecs 2001:250::/32 cname.g.example.com AAAA
expect "MaxMind DB: CNAME pool, ECS 2001:218::/32 (JP)" "$(res NOERROR CNAME:g.cdn-global.example.net. AAAA:2001:db8::100)" \
	--inst mm --ecs 2001:218::/32 cname.g.example.com AAAA

expect "mainland-countries CN JP: JP client -> cn" "$C6" --inst mmjp --ecs 2001:218::/32 $W AAAA
expect "mainland-countries CN JP: CN client -> cn" "$C6" --inst mmjp --ecs 2001:250::/32 $W AAAA
expect "mainland-countries CN JP: HK client -> offshore" "$O6" --inst mmjp --ecs 2001:2e0::/32 $W AAAA
expect "mainland-countries CN JP: TW client -> offshore" "$O6" --inst mmjp --ecs 2001:238::/32 $W AAAA

expect "geoip-field not in the records: CN client fails closed (offshore)" "$O4" --inst wrongfield --ecs 1.0.1.0/24 $W A
expect "geoip-field not in the records: CN v6 client offshore" "$O6" --inst wrongfield --ecs 240e::/32 $W AAAA
it_done
