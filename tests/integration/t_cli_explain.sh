#!/bin/bash
# cnroutectl explain agrees with the running resolver over the whole matrix
# {mainland, US, HK, MO, TW, unknown} x {active, revoked, cancelled, pending,
# no filing} x {address pool, CNAME pool}: the records (addresses, or the
# CNAME target), the TTL and the ECS scope of `explain --json` equal those
# of a real kdig +subnet answer, and explain's pool is the one the rules
# require. Then probe against the resolver: the answer, the scope, the pool.
. "$(dirname "$0")/lib.sh"
it_setup
it_cli_conf
STATES=(active revoked cancelled pending none)
REGIONS=(mainland US HK MO TW unknown)
for s in "${STATES[@]}"; do
	[[ $s == none ]] || filing "f-$s.example.com" "$s"
	route "addr.f-$s.example.com" 192.0.2.1,192.0.2.2 198.51.100.1 30
	route "cname.f-$s.example.com" "e-$s.cdn-cn.example.net." "e-$s.cdn-global.example.net." 40
done
it_up main

# kdig_view: "records=... ttl=... scope=..." of the last q (CNAME target
# when the answer has a CNAME, else the A addresses)
kdig_view() {
	local t recs="" cname=""
	for t in $Q_ANS; do
		case $t in CNAME:*) cname+="${t#CNAME:} " ;; A:*) recs+="${t#A:} " ;; esac
	done
	[[ -n $cname ]] && recs=$cname
	recs=$(tr ' ' '\n' <<<"$recs" | grep . | sort | tr '\n' ' ')
	local ttl=${Q_TTLS%% *}
	echo "records=${recs% } ttl=${ttl#*:} scope=$Q_SCOPE"
}
# explain_view JSON: the same from explain --json
explain_view() {
	local recs
	recs=$(json_get "$1" records | tr ' ' '\n' | grep . | sort | tr '\n' ' ')
	echo "records=${recs% } ttl=$(json_get "$1" ttl) scope=$(json_get "$1" ecs_scope)"
}

for s in "${STATES[@]}"; do
	for pool in addr cname; do
		for r in "${REGIONS[@]}"; do
			net=${REGION_ECS[$r]}
			if [[ $r == mainland && $s == active ]]; then side=cn; else side=offshore; fi
			ctl --json explain "$pool.f-$s.example.com" --client "$net"
			ex=$CTL_OUT
			q --ecs "$net" "$pool.f-$s.example.com" A
			assert_eq "explain = kdig: $r ($net) x $s x $pool" "$(kdig_view)" "$(explain_view "$ex")"
			assert_eq "explain pool: $r x $s x $pool -> $side" "$side" "$(json_get "$ex" pool)"
		done
	done
done

# the steps explain shows
ctl --json explain addr.f-active.example.com --client 1.0.1.0/24
ex=$CTL_OUT
assert_eq "explain: exact rule" "exact" "$(json_get "$ex" rule_kind)"
assert_eq "explain: covering filing" "f-active.example.com" "$(json_get "$ex" filing)"
assert_eq "explain: filing status" "active" "$(json_get "$ex" filing_status)"
assert_eq "explain: country" "CN" "$(json_get "$ex" country)"
assert_eq "explain: mainland" "true" "$(json_get "$ex" mainland)"
assert_eq "explain: GeoIP network" "${REGION_ECS[mainland]%/*}/$(geo_prefix "$GEOIP_COUNTRY_DB" 1.0.1.0)" \
	"$(json_get "$ex" network)"
ctl explain addr.f-revoked.example.com --client 1.0.1.0/24
assert_match "explain text: says why offshore" "no active filing" "$CTL_OUT"
ctl --json explain addr.f-active.example.com --client 1.0.1.1
assert_eq "explain with a bare address: no ECS scope" "" "$(json_get "$CTL_OUT" ecs_scope)"
assert_eq "explain with a bare address: located, cn" "cn" "$(json_get "$CTL_OUT" pool)"
q --proxy 1.0.1.1 addr.f-active.example.com A
assert_eq "explain with a bare address = a PROXYv2 client without ECS" "$(kdig_view)" \
	"records=$(json_get "$CTL_OUT" records | tr ' ' '\n' | sort | tr '\n' ' ' | sed 's/ $//') ttl=$(json_get "$CTL_OUT" ttl) scope="
ctl --json explain other.example.com --client 1.0.1.0/24
assert_eq "explain of an unmanaged name" "unmanaged" "$(json_get "$CTL_OUT" action)"

# probe against the running resolver
P="127.0.0.1:${UB_PORT[main]}"
ctl --json probe addr.f-active.example.com --server "$P" --client 1.0.1.0/24
assert_eq "probe: exit 0" 0 "$CTL_RC"
assert_eq "probe CN client: answer matches the cn pool" cn "$(json_get "$CTL_OUT" pool)"
assert_eq "probe CN client: ECS scope = GeoIP prefix" "$(geo_prefix "$GEOIP_COUNTRY_DB" 1.0.1.0)" "$(json_get "$CTL_OUT" ecs_scope)"
assert_eq "probe: rule named" "addr.f-active.example.com." "$(json_get "$CTL_OUT" rule)"
ctl --json probe addr.f-active.example.com --server "$P" --client 8.8.8.0/24
assert_eq "probe US client: offshore pool" offshore "$(json_get "$CTL_OUT" pool)"
ctl --json probe cname.f-active.example.com --server "$P" --client 1.0.1.0/24
assert_eq "probe CNAME pool, CN client: cn" cn "$(json_get "$CTL_OUT" pool)"
ctl --json probe addr.f-revoked.example.com --server "$P" --client 1.0.1.0/24
assert_eq "probe revoked filing, CN client: offshore" offshore "$(json_get "$CTL_OUT" pool)"
assert_eq "probe revoked filing: ECS scope 0" 0 "$(json_get "$CTL_OUT" ecs_scope)"
rcli HSET "${IT_PREFIX}route:addr.f-active.example.com" cn 192.0.2.9 >/dev/null
ctl --json probe addr.f-active.example.com --server "$P" --client 8.8.8.0/24
assert_eq "probe: still offshore after the cn pool changed" offshore "$(json_get "$CTL_OUT" pool)"
ctl probe addr.f-active.example.com --server "$P" --client 1.0.1.0/24
assert_match "probe text output: answer and scope" "answer: .*A.*ecs scope: [0-9]+" "$(tr '\n' ' ' <<<"$CTL_OUT")"
ctl probe addr.f-active.example.com --server 'not-an-address' --client 1.0.1.0/24
assert_eq "probe with a bad server: exit 2" 2 "$CTL_RC"
it_done
