#!/bin/bash
# Every cell of {mainland, US, HK, MO, TW, unknown} x {active, revoked,
# cancelled, pending, no filing} x {address pool, CNAME pool}: an A query with
# the region's ECS network, one assertion per cell. Only mainland x active
# gets the cn pool. Regions for one name are asked one after the other, so a
# cached or shared answer would also show up here.
. "$(dirname "$0")/lib.sh"
it_setup
STATES=(active revoked cancelled pending none)
REGIONS=(mainland US HK MO TW unknown)
for s in "${STATES[@]}"; do
	[[ $s == none ]] || filing "f-$s.example.com" "$s"
	route "addr.f-$s.example.com" 192.0.2.1 198.51.100.1 30
	route "cname.f-$s.example.com" "m-$s.cdn-cn.example.net." "m-$s.cdn-global.example.net." 30
done
it_up main

for s in "${STATES[@]}"; do
	for pool in addr cname; do
		for r in "${REGIONS[@]}"; do
			if [[ $r == mainland && $s == active ]]; then side=cn; else side=offshore; fi
			if [[ $pool == addr ]]; then
				if [[ $side == cn ]]; then e=$(res NOERROR A:192.0.2.1); else e=$(res NOERROR A:198.51.100.1); fi
			else
				if [[ $side == cn ]]; then
					e=$(res NOERROR "CNAME:m-$s.cdn-cn.example.net." A:192.0.2.100)
				else
					e=$(res NOERROR "CNAME:m-$s.cdn-global.example.net." A:198.51.100.100)
				fi
			fi
			expect "matrix: $r client (ECS ${REGION_ECS[$r]}) x filing $s x $pool pool -> $side" "$e" \
				--ecs "${REGION_ECS[$r]}" "$pool.f-$s.example.com" A
		done
	done
done
it_done
