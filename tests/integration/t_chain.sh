#!/bin/bash
# Upstream CNAME chains into managed names (the "Host rule"). A zone we do
# not control (example.org) says X CNAME M, M managed (under example.com),
# X without a route. Why: Unbound's iterator follows such a CNAME itself
# without asking the module, so the client would get NSD's records for M
# (203.0.113.120 here), and the iterator's fetch of M puts NSD's answer for M
# into the message cache, from where Unbound serves it to clients asking M
# directly (all of them without a validator in the stack, those sending CD
# with one). What is pinned down:
# - X (A, AAAA) gets X CNAME M plus M's steered answer (address pool, or a
#   CNAME pool's CNAME plus its target), never NSD's records for M;
# - the cn pool only for a mainland client when the filing covering X (the
#   asked name; for a chain X1 -> X2 -> M that is X1's) AND the filing
#   covering M are active AND M's cn pool is not empty; else offshore;
# - every TTL of such an answer <= answer-ttl-max (60), NSD's are 3600;
# - ECS echoed, scope = GeoIP prefix when the pool depended on the region,
#   else 0;
# - alternating mainland/US clients of X each get their own answer, and M
#   asked directly after a chain through it (both regions, both orders) gets
#   the direct steered answer, not what the chain fetched: in the harness's
#   stack ("dynlib validator iterator"; the iterator's entry for M is then
#   served to clients sending CD, so those are asked too) and in a stack
#   without the validator ("dynlib iterator", instance noval), where that
#   entry is served to everybody;
# - a CNAME pool whose target is itself managed: the target is steered too
#   (its own filing decides), and the target asked directly afterwards is
#   steered as well;
# - qtype CNAME at X: just X CNAME M.
. "$(dirname "$0")/lib.sh"
it_setup
filing chain.example.com active
filing mrev.chain.example.com revoked
filing trev.chain.example.com revoked
filing filed.example.org active
filing rev.example.org revoked
# (no filing covers example.org itself: the u-* aliases are unfiled)
route ca.chain.example.com "192.0.2.120,2001:db8:c::120" "198.51.100.120,2001:db8::120" 30
route calt.chain.example.com 192.0.2.121 198.51.100.121 30
route mrev.chain.example.com 192.0.2.122 198.51.100.122 30
route nocn.chain.example.com "" 198.51.100.123 30
route cc.chain.example.com cc.cdn-cn.example.net. cc.cdn-global.example.net. 30
route ch.chain.example.com 192.0.2.124 198.51.100.124 30
for i in 1 2 3 4 5 6 7; do route "cd$i.chain.example.com" "192.0.2.13$i" "198.51.100.13$i" 30; done
route cp.chain.example.com tp.chain.example.com. tp.chain.example.com. 30
route tp.chain.example.com 192.0.2.140 198.51.100.140 30
route p1.chain.example.com t1.chain.example.com. p1.cdn-global.example.net. 30
route t1.chain.example.com 192.0.2.141 198.51.100.141 30
route p2.chain.example.com t2.chain.example.com. t2.chain.example.com. 30
route t2.chain.example.com "192.0.2.142,2001:db8:c::142" "198.51.100.142,2001:db8::142" 30
route p3.chain.example.com trev.chain.example.com. trev.chain.example.com. 30
route trev.chain.example.com 192.0.2.143 198.51.100.143 30
it_up main
# the same resolver without the validator module (a valid module stack too)
IT_UNBOUND_SERVER=('module-config: "dynlib iterator"')
it_up noval
IT_UNBOUND_SERVER=()
CN=(--ecs 1.0.1.0/24) US=(--ecs 8.8.8.0/24)
P_CN=$(geo_prefix "$GEOIP_COUNTRY_DB" 1.0.1.0)
P_US=$(geo_prefix "$GEOIP_COUNTRY_DB" 8.8.8.0)
[[ $P_CN =~ ^[1-9][0-9]*$ && $P_US =~ ^[1-9][0-9]*$ ]] || it_bail "mmdblookup gave no prefix for 1.0.1.0 / 8.8.8.0"

# ecs_is DESC NET SCOPE: the last reply echoes ECS NET with scope SCOPE
ecs_is() {
	local addr=${2%/*} len=${2#*/}
	assert_match "$1: reply echoes ECS $2" "^$addr/$len/[0-9]+\$" "$Q_ECS"
	assert_eq "$1: ECS scope" "$3" "$Q_SCOPE"
}
# ttls_capped DESC: every record of the last answer has TTL <= 60 (and there are records)
ttls_capped() { assert_le "$1: every TTL <= answer-ttl-max 60 ($Q_TTLS)" 60 "$(max_ttl)"; }

CA=CNAME:ca.chain.example.com.
# ---- filed alias -> filed managed name, address pool
expect "filed alias, CN, A -> CNAME + M's cn address" "$(res NOERROR $CA A:192.0.2.120)" "${CN[@]}" a.filed.example.org A
ttls_capped "filed alias, CN, A"
ecs_is "filed alias, CN, A (region-dependent)" 1.0.1.0/24 "$P_CN"
expect "filed alias, US, A -> CNAME + M's offshore address" "$(res NOERROR $CA A:198.51.100.120)" "${US[@]}" a.filed.example.org A
ttls_capped "filed alias, US, A"
ecs_is "filed alias, US, A (region-dependent)" 8.8.8.0/24 "$P_US"
expect "filed alias, CN, AAAA -> CNAME + M's cn v6" "$(res NOERROR $CA AAAA:2001:db8:c::120)" "${CN[@]}" a.filed.example.org AAAA
ttls_capped "filed alias, CN, AAAA"
expect "filed alias, US, AAAA -> CNAME + M's offshore v6" "$(res NOERROR $CA AAAA:2001:db8::120)" "${US[@]}" a.filed.example.org AAAA
expect "filed alias, client without ECS (loopback, not mainland) -> offshore" "$(res NOERROR $CA A:198.51.100.120)" a.filed.example.org A
expect "filed alias, PROXYv2 CN client -> cn" "$(res NOERROR $CA A:192.0.2.120)" --proxy 1.0.1.1 a.filed.example.org A
expect "filed alias, PROXYv2 US client -> offshore" "$(res NOERROR $CA A:198.51.100.120)" --proxy 8.8.8.8 a.filed.example.org A

# ---- unfiled / revoked alias -> filed managed name: never cn
expect "unfiled alias, CN, A -> offshore (never cn)" "$(res NOERROR $CA A:198.51.100.120)" "${CN[@]}" u-a.example.org A
ttls_capped "unfiled alias, CN"
ecs_is "unfiled alias, CN (not region-dependent)" 1.0.1.0/24 0
expect "unfiled alias, CN, AAAA -> offshore v6" "$(res NOERROR $CA AAAA:2001:db8::120)" "${CN[@]}" u-a.example.org AAAA
expect "unfiled alias, US -> offshore" "$(res NOERROR $CA A:198.51.100.120)" "${US[@]}" u-a.example.org A
expect "unfiled alias, PROXYv2 CN client -> offshore" "$(res NOERROR $CA A:198.51.100.120)" --proxy 1.0.1.1 u-a.example.org A
expect "alias with revoked filing, CN -> offshore (never cn)" "$(res NOERROR $CA A:198.51.100.120)" "${CN[@]}" a.rev.example.org A
ecs_is "alias with revoked filing, CN (not region-dependent)" 1.0.1.0/24 0
expect "alias with revoked filing, US -> offshore" "$(res NOERROR $CA A:198.51.100.120)" "${US[@]}" a.rev.example.org A

# ---- filed alias -> managed name whose own filing is revoked / whose cn pool is empty
expect "filed alias -> M with revoked filing, CN -> M's offshore" \
	"$(res NOERROR CNAME:mrev.chain.example.com. A:198.51.100.122)" "${CN[@]}" b.filed.example.org A
ecs_is "filed alias -> M with revoked filing, CN (not region-dependent)" 1.0.1.0/24 0
expect "filed alias -> M with empty cn pool, CN -> M's offshore" \
	"$(res NOERROR CNAME:nocn.chain.example.com. A:198.51.100.123)" "${CN[@]}" e.filed.example.org A
ecs_is "filed alias -> M with empty cn pool, CN (not region-dependent)" 1.0.1.0/24 0
expect "filed alias -> M with empty cn pool, AAAA (offshore has no v6) -> the CNAME only" \
	"$(res NOERROR CNAME:nocn.chain.example.com.)" "${CN[@]}" e.filed.example.org AAAA

# ---- alternating regions: each client its own region's answer, every time
for round in 1 2 3; do
	expect "alternating, round $round, US -> offshore" "$(res NOERROR CNAME:calt.chain.example.com. A:198.51.100.121)" "${US[@]}" alt.filed.example.org A
	expect "alternating, round $round, CN -> cn" "$(res NOERROR CNAME:calt.chain.example.com. A:192.0.2.121)" "${CN[@]}" alt.filed.example.org A
done
expect "alternating, then a client without ECS -> offshore" "$(res NOERROR CNAME:calt.chain.example.com. A:198.51.100.121)" alt.filed.example.org A
expect "alternating, then CN again -> cn" "$(res NOERROR CNAME:calt.chain.example.com. A:192.0.2.121)" "${CN[@]}" alt.filed.example.org A

# ---- filed alias -> M with a CNAME pool (target resolved by Unbound, TTL 3600 at NSD)
CC=CNAME:cc.chain.example.com.
expect "filed alias -> CNAME-pool M, CN -> M CNAME cn target + its address" \
	"$(res NOERROR $CC CNAME:cc.cdn-cn.example.net. A:192.0.2.100)" "${CN[@]}" c.filed.example.org A
ttls_capped "filed alias -> CNAME-pool M, CN"
ecs_is "filed alias -> CNAME-pool M, CN" 1.0.1.0/24 "$P_CN"
expect "filed alias -> CNAME-pool M, US -> offshore target" \
	"$(res NOERROR $CC CNAME:cc.cdn-global.example.net. A:198.51.100.100)" "${US[@]}" c.filed.example.org A
ttls_capped "filed alias -> CNAME-pool M, US"
expect "filed alias -> CNAME-pool M, CN again -> cn target" \
	"$(res NOERROR $CC CNAME:cc.cdn-cn.example.net. A:192.0.2.100)" "${CN[@]}" c.filed.example.org A
expect "filed alias -> CNAME-pool M, CN, AAAA" \
	"$(res NOERROR $CC CNAME:cc.cdn-cn.example.net. AAAA:2001:db8:c::100)" "${CN[@]}" c.filed.example.org AAAA
expect "filed alias -> CNAME-pool M whose target is managed, CN -> both steered" \
	"$(res NOERROR CNAME:cp.chain.example.com. CNAME:tp.chain.example.com. A:192.0.2.140)" "${CN[@]}" p.filed.example.org A
expect "filed alias -> CNAME-pool M whose target is managed, US -> offshore" \
	"$(res NOERROR CNAME:cp.chain.example.com. CNAME:tp.chain.example.com. A:198.51.100.140)" "${US[@]}" p.filed.example.org A

# ---- chains of several CNAMEs: the first (asked) name's filing decides
H2=CNAME:h2.filed.example.org. CH=CNAME:ch.chain.example.com.
expect "filed X1 -> filed X2 -> M, CN -> cn" "$(res NOERROR $H2 $CH A:192.0.2.124)" "${CN[@]}" h1.filed.example.org A
ttls_capped "filed X1 -> filed X2 -> M, CN"
ecs_is "filed X1 -> filed X2 -> M, CN" 1.0.1.0/24 "$P_CN"
expect "filed X1 -> filed X2 -> M, US -> offshore" "$(res NOERROR $H2 $CH A:198.51.100.124)" "${US[@]}" h1.filed.example.org A
expect "unfiled X1 -> filed X2 -> M, CN -> offshore (X1 decides)" "$(res NOERROR $H2 $CH A:198.51.100.124)" "${CN[@]}" u-h1.example.org A
ecs_is "unfiled X1 -> filed X2 -> M, CN" 1.0.1.0/24 0
expect "filed X1 -> unfiled X2 -> M, CN -> cn (X1 decides)" \
	"$(res NOERROR CNAME:u-h2.example.org. $CH A:192.0.2.124)" "${CN[@]}" h1u.filed.example.org A
ttls_capped "filed X1 -> unfiled X2 -> M, CN"
expect "filed X1 -> unfiled X2 -> M, US -> offshore" \
	"$(res NOERROR CNAME:u-h2.example.org. $CH A:198.51.100.124)" "${US[@]}" h1u.filed.example.org A
expect "the middle of the chain asked directly (unfiled X2), CN -> offshore" "$(res NOERROR $CH A:198.51.100.124)" "${CN[@]}" u-h2.example.org A

# ---- M asked directly after a chain through it: the direct steered answer.
# With the validator in the stack Unbound does not serve the iterator's
# (unvalidated) entry for M to a client without CD, but it does to a client
# with CD, and to everybody when the stack has no validator (instance noval).
# chain_then_direct INST LABEL I FIRST ORDER [q options for every query]
#   alias dI.filed.example.org -> cdI.chain.example.com (cn 192.0.2.13I,
#   offshore 198.51.100.13I); FIRST region of the chain query, ORDER the
#   regions of the direct queries that follow
chain_then_direct() {
	local inst=$1 label=$2 i=$3 first=$4 order=$5 r
	shift 5
	local cn="--ecs 1.0.1.0/24" us="--ecs 8.8.8.0/24" want reg
	if [[ $first == CN ]]; then want=192.0.2.13$i reg=$cn; else want=198.51.100.13$i reg=$us; fi
	expect "$label: chain through M first, from $first" "$(res NOERROR "CNAME:cd$i.chain.example.com." "A:$want")" \
		--inst "$inst" $reg "$@" "d$i.filed.example.org" A
	for r in $order; do
		if [[ $r == CN ]]; then
			expect "$label: then M directly, CN -> cn" "$(res NOERROR "A:192.0.2.13$i")" --inst "$inst" $cn "$@" "cd$i.chain.example.com" A
		else
			expect "$label: then M directly, US -> offshore" "$(res NOERROR "A:198.51.100.13$i")" --inst "$inst" $us "$@" "cd$i.chain.example.com" A
		fi
	done
}
for inst in main noval; do
	chain_then_direct $inst "$inst d1" 1 CN "CN US"
	chain_then_direct $inst "$inst d2" 2 US "US CN"
	chain_then_direct $inst "$inst d4" 4 CN "US CN"
	chain_then_direct $inst "$inst d5" 5 US "CN US"
	expect "$inst: unfiled chain first, CN -> offshore" "$(res NOERROR CNAME:cd3.chain.example.com. A:198.51.100.133)" --inst $inst "${CN[@]}" u-d3.example.org A
	expect "$inst: then M directly, CN -> cn (M's own filing is active)" "$(res NOERROR A:192.0.2.133)" --inst $inst "${CN[@]}" cd3.chain.example.com A
	expect "$inst: then M directly, US -> offshore" "$(res NOERROR A:198.51.100.133)" --inst $inst "${US[@]}" cd3.chain.example.com A
	expect "$inst: then M directly, client without ECS -> offshore" "$(res NOERROR A:198.51.100.133)" --inst $inst cd3.chain.example.com A
done
chain_then_direct main "CD flag d6" 6 CN "US CN" +cdflag
expect "CD flag d6: then M directly without CD, US -> offshore" "$(res NOERROR A:198.51.100.136)" "${US[@]}" cd6.chain.example.com A
chain_then_direct main "CD flag d7" 7 US "CN US" +cdflag

# ---- a CNAME pool whose target is itself managed
expect "M1 -> managed M2 (both filed), CN -> M1 CNAME M2 + M2's cn" \
	"$(res NOERROR CNAME:t1.chain.example.com. A:192.0.2.141)" "${CN[@]}" p1.chain.example.com A
ttls_capped "M1 -> managed M2, CN"
ecs_is "M1 -> managed M2, CN" 1.0.1.0/24 "$P_CN"
expect "M1 -> managed M2, US -> M1's offshore chain" \
	"$(res NOERROR CNAME:p1.cdn-global.example.net. A:198.51.100.100)" "${US[@]}" p1.chain.example.com A
expect "M2 directly after, US -> M2's offshore" "$(res NOERROR A:198.51.100.141)" "${US[@]}" t1.chain.example.com A
expect "M2 directly after, CN -> M2's cn" "$(res NOERROR A:192.0.2.141)" "${CN[@]}" t1.chain.example.com A
expect "M1 (both pools -> M2), US first -> M2's offshore" \
	"$(res NOERROR CNAME:t2.chain.example.com. A:198.51.100.142)" "${US[@]}" p2.chain.example.com A
expect "M1 (both pools -> M2), then CN -> M2's cn" \
	"$(res NOERROR CNAME:t2.chain.example.com. A:192.0.2.142)" "${CN[@]}" p2.chain.example.com A
ecs_is "M1 (both pools -> M2), CN" 1.0.1.0/24 "$P_CN"
expect "M1 (both pools -> M2), CN AAAA -> M2's cn v6" \
	"$(res NOERROR CNAME:t2.chain.example.com. AAAA:2001:db8:c::142)" "${CN[@]}" p2.chain.example.com AAAA
expect "M1 (both pools -> M2), US again -> M2's offshore" \
	"$(res NOERROR CNAME:t2.chain.example.com. A:198.51.100.142)" "${US[@]}" p2.chain.example.com A
expect "M2 directly after, CN -> cn" "$(res NOERROR A:192.0.2.142)" "${CN[@]}" t2.chain.example.com A
expect "M2 directly after, US -> offshore" "$(res NOERROR A:198.51.100.142)" "${US[@]}" t2.chain.example.com A
expect "M1 -> managed M2 whose filing is revoked, CN -> M2's offshore" \
	"$(res NOERROR CNAME:trev.chain.example.com. A:198.51.100.143)" "${CN[@]}" p3.chain.example.com A
expect "M1 -> managed M2 whose filing is revoked, US -> M2's offshore" \
	"$(res NOERROR CNAME:trev.chain.example.com. A:198.51.100.143)" "${US[@]}" p3.chain.example.com A

# ---- qtype CNAME at the alias: just the upstream CNAME
expect "qtype CNAME at a filed alias, CN -> X CNAME M only" "$(res NOERROR $CA)" "${CN[@]}" a.filed.example.org CNAME
expect "qtype CNAME at a filed alias, US -> X CNAME M only" "$(res NOERROR $CA)" "${US[@]}" a.filed.example.org CNAME
expect "qtype CNAME at an unfiled alias, CN -> X CNAME M only" "$(res NOERROR $CA)" "${CN[@]}" u-a.example.org CNAME
it_done
