#!/bin/bash
# ECS echoed with the query's address and source prefix, and a scope prefix
# equal to the GeoIP network's prefix length (from mmdblookup, IPv4 in an
# IPv6 tree: minus 96) when the answer depends on the region (active filing
# and a cn pool), 0 when it does not. No ECS in, no ECS out.
. "$(dirname "$0")/lib.sh"
it_setup
filing dep.example.com active
filing rev.example.com revoked
route www.dep.example.com 192.0.2.50 198.51.100.50 30
route cname.dep.example.com sc.cdn-cn.example.net. sc.cdn-global.example.net. 30
route nocn.dep.example.com "" 198.51.100.51 30
route www.rev.example.com 192.0.2.52 198.51.100.52 30
route www.nofiling.example.com 192.0.2.53 198.51.100.53 30
it_up main

# check_scope DESC NAME NET/LEN EXPECTED-SCOPE [TYPE]
check_scope() {
	q --ecs "$3" "$2" "${5:-A}"
	local addr=${3%/*} len=${3#*/}
	assert_match "$1: reply echoes ECS $3" "^$addr/$len/[0-9]+\$" "$Q_ECS"
	assert_eq "$1: scope of ECS $3" "$4" "$Q_SCOPE"
}

for net in 1.0.1.0/24 114.114.114.0/24 8.8.8.0/24 1.36.0.0/24 202.175.1.0/24 1.160.0.0/24 10.0.0.0/24 240e::/32 2001:4860::/32; do
	p=$(geo_prefix "$GEOIP_COUNTRY_DB" "${net%/*}")
	[[ $p =~ ^[0-9]+$ ]] || it_bail "mmdblookup gave no prefix length for ${net%/*}"
	check_scope "active filing, cn pool (region-dependent), GeoIP /$p" www.dep.example.com "$net" "$p"
done
p=$(geo_prefix "$GEOIP_COUNTRY_DB" 1.0.1.0)
check_scope "CNAME pool, active filing (region-dependent), CN" cname.dep.example.com 1.0.1.0/24 "$p"
p=$(geo_prefix "$GEOIP_COUNTRY_DB" 8.8.8.0)
check_scope "CNAME pool, active filing (region-dependent), US" cname.dep.example.com 8.8.8.0/24 "$p"
p=$(geo_prefix "$GEOIP_COUNTRY_DB" 240e::)
check_scope "AAAA, active filing, CN v6" www.dep.example.com 240e::/32 "$p" AAAA

check_scope "revoked filing (not region-dependent), CN" www.rev.example.com 1.0.1.0/24 0
check_scope "revoked filing, US" www.rev.example.com 8.8.8.0/24 0
check_scope "no filing, CN" www.nofiling.example.com 1.0.1.0/24 0
check_scope "no filing, v6 CN" www.nofiling.example.com 240e::/32 0
check_scope "active filing but empty cn pool, CN" nocn.dep.example.com 1.0.1.0/24 0
check_scope "active filing but empty cn pool, US" nocn.dep.example.com 8.8.8.0/24 0

q +edns www.dep.example.com A
assert_eq "query with EDNS but no ECS: no ECS in the reply" "" "$Q_ECS"
assert_res "query with EDNS but no ECS: answered offshore (client unknown)" "$(res NOERROR A:198.51.100.50)"
q --proxy 1.0.1.1 +edns www.dep.example.com A
assert_eq "PROXYv2 CN client, EDNS without ECS: no ECS in the reply" "" "$Q_ECS"
assert_res "PROXYv2 CN client, EDNS without ECS: cn" "$(res NOERROR A:192.0.2.50)"
it_done
