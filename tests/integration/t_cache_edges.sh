#!/bin/bash
# Nothing Unbound stored before a name became managed is served after it
# did, and a chain through a managed name leaves nothing of that name in the
# caches. Why: Unbound answers from its message cache before any module
# runs. The module only marks the cached entries of a name expired when its
# route appears, which "serve-expired: yes" serves anyway; and an entry
# cached under another name (an upstream alias Y CNAME N) is not touched at
# all. Four Unbound instances, one per configuration: plain (the harness's
# defaults), se (serve-expired: yes), sett (serve-expired: yes,
# serve-expired-ttl: 86400), pf (prefetch: yes). In each, with the filings
# of ce.example.com and filed.example.org active from the start:
# - n.INST.ce.example.com, a.w2.INST.ce.example.com and the chain
#   y-INST.filed.example.org CNAME n2.INST.ce.example.com are resolved
#   normally (NSD's 203.0.113.110, zone TTL 3600) and so cached;
# - then routes for n, *.w2 and n2 are written, one after the other; from
#   about a second after each write (within 2000 ms of it) mainland clients get the cn pool and US /
#   no-ECS clients the offshore pool, every time, never NSD's cached answer
#   (for the alias: Y CNAME N2 plus N2's steered address, the Host rule);
# - finally a chain dc-INST.filed.example.org CNAME dc.INST.ce.example.com
#   (managed from the start) is asked, and `unbound-control dump_cache` must
#   show no message entry for dc.INST.ce.example.com and no RRset of it with
#   NSD's addresses.
. "$(dirname "$0")/lib.sh"
it_setup
filing ce.example.com active
filing filed.example.org active
INSTS=(plain se sett pf)
declare -A K=([plain]=1 [se]=2 [sett]=3 [pf]=4)   # last digit of each instance's addresses
declare -A CONF=(
	[plain]=""
	[se]="serve-expired: yes"
	[sett]="serve-expired: yes|serve-expired-ttl: 86400"
	[pf]="prefetch: yes"
)
for i in "${INSTS[@]}"; do
	route "dc.$i.ce.example.com" "192.0.2.18${K[$i]}" "198.51.100.18${K[$i]}" 30
done
for i in "${INSTS[@]}"; do
	IT_UNBOUND_SERVER=()
	[[ -n ${CONF[$i]} ]] && IFS='|' read -r -a IT_UNBOUND_SERVER <<<"${CONF[$i]}"
	it_up "$i"
	diag "instance $i: extra server lines: ${IT_UNBOUND_SERVER[*]:-(none)}"
done
IT_UNBOUND_SERVER=()
CN=(--ecs 1.0.1.0/24) US=(--ecs 8.8.8.0/24)
NSD_A=A:203.0.113.110 NSD_AAAA=AAAA:2001:db8:f::110

# since T0 MAX_MS DESC EXPECTED q-ARGS...: eventually, with MAX_MS counted
# from T0 (the moment the route was written), not from this call
since() {
	local t0=$1 max=$2 d=$3 e=$4 left
	shift 4
	left=$((t0 + max - $(now_ms)))
	((left < 0)) && left=0
	eventually "$d (limit: $max ms after the route was written)" "$left" "$e" "$@"
}

# ---- before the routes: resolved normally, and so cached by each instance
for i in "${INSTS[@]}"; do
	expect "$i: before its route, n resolved normally (A)" "$(res NOERROR $NSD_A)" --inst "$i" "${CN[@]}" "n.$i.ce.example.com" A
	expect "$i: before its route, n resolved normally (AAAA)" "$(res NOERROR $NSD_AAAA)" --inst "$i" "${US[@]}" "n.$i.ce.example.com" AAAA
	expect "$i: before the wildcard route, a.w2 resolved normally" "$(res NOERROR $NSD_A)" --inst "$i" "${CN[@]}" "a.w2.$i.ce.example.com" A
	expect "$i: before n2's route, the chain y -> n2 resolved normally" \
		"$(res NOERROR "CNAME:n2.$i.ce.example.com." $NSD_A)" --inst "$i" "${CN[@]}" "y-$i.filed.example.org" A
done

# ---- the routes appear; the cached answers must not be served any more
for i in "${INSTS[@]}"; do
	k=${K[$i]}
	N=n.$i.ce.example.com
	t0=$(now_ms)
	route "$N" "192.0.2.15$k,2001:db8:c::15$k" "198.51.100.15$k,2001:db8::15$k" 30
	since "$t0" 2000 "$i: route for a cached name, CN -> cn" "$(res NOERROR A:192.0.2.15$k)" --inst "$i" "${CN[@]}" "$N" A
	expect "$i: route for a cached name, then US -> offshore" "$(res NOERROR A:198.51.100.15$k)" --inst "$i" "${US[@]}" "$N" A
	expect "$i: route for a cached name, CN again -> cn" "$(res NOERROR A:192.0.2.15$k)" --inst "$i" "${CN[@]}" "$N" A
	expect "$i: route for a cached name, client without ECS -> offshore" "$(res NOERROR A:198.51.100.15$k)" --inst "$i" "$N" A
	expect "$i: route for a cached name, US again -> offshore" "$(res NOERROR A:198.51.100.15$k)" --inst "$i" "${US[@]}" "$N" A
	expect "$i: route for a cached name, AAAA (cached too), CN -> cn v6" "$(res NOERROR AAAA:2001:db8:c::15$k)" --inst "$i" "${CN[@]}" "$N" AAAA
	expect "$i: route for a cached name, AAAA, US -> offshore v6" "$(res NOERROR AAAA:2001:db8::15$k)" --inst "$i" "${US[@]}" "$N" AAAA

	W=a.w2.$i.ce.example.com
	t0=$(now_ms)
	route "*.w2.$i.ce.example.com" "192.0.2.16$k" "198.51.100.16$k" 30
	since "$t0" 2000 "$i: wildcard route over a cached name, CN -> cn" "$(res NOERROR A:192.0.2.16$k)" --inst "$i" "${CN[@]}" "$W" A
	expect "$i: wildcard route over a cached name, US -> offshore" "$(res NOERROR A:198.51.100.16$k)" --inst "$i" "${US[@]}" "$W" A
	expect "$i: wildcard route over a cached name, CN again -> cn" "$(res NOERROR A:192.0.2.16$k)" --inst "$i" "${CN[@]}" "$W" A

	Y=y-$i.filed.example.org C2="CNAME:n2.$i.ce.example.com."
	t0=$(now_ms)
	route "n2.$i.ce.example.com" "192.0.2.17$k" "198.51.100.17$k" 30
	since "$t0" 2000 "$i: cached chain whose target became managed, CN -> Host rule, cn" \
		"$(res NOERROR "$C2" A:192.0.2.17$k)" --inst "$i" "${CN[@]}" "$Y" A
	expect "$i: cached chain whose target became managed, US -> offshore" \
		"$(res NOERROR "$C2" A:198.51.100.17$k)" --inst "$i" "${US[@]}" "$Y" A
	expect "$i: cached chain whose target became managed, CN again -> cn" \
		"$(res NOERROR "$C2" A:192.0.2.17$k)" --inst "$i" "${CN[@]}" "$Y" A
	assert_le "$i: cached chain whose target became managed: every TTL <= 60 ($Q_TTLS)" 60 "$(max_ttl)"
	expect "$i: the chain's target asked directly, US -> offshore" \
		"$(res NOERROR A:198.51.100.17$k)" --inst "$i" "${US[@]}" "n2.$i.ce.example.com" A
	expect "$i: the chain's target asked directly, CN -> cn" \
		"$(res NOERROR A:192.0.2.17$k)" --inst "$i" "${CN[@]}" "n2.$i.ce.example.com" A
done

# ---- a chain through a managed name leaves nothing of it in the caches
for i in "${INSTS[@]}"; do
	k=${K[$i]} D=dc.$i.ce.example.com
	expect "$i: chain through managed dc, CN -> cn" "$(res NOERROR "CNAME:$D." A:192.0.2.18$k)" --inst "$i" "${CN[@]}" "dc-$i.filed.example.org" A
	expect "$i: chain through managed dc, US -> offshore" "$(res NOERROR "CNAME:$D." A:198.51.100.18$k)" --inst "$i" "${US[@]}" "dc-$i.filed.example.org" A
	q --inst "$i" "${CN[@]}" "dc-$i.filed.example.org" AAAA
	f=$IT_WORK/cache.$i.dump
	ub_control "$i" dump_cache >"$f" 2>&1
	assert_match "$i: unbound-control dump_cache works" "^START_RRSET_CACHE" "$(head -1 "$f")"
	re_d=${D//./\\.}
	n=$(grep -ciE "^msg $re_d\. " "$f")
	assert_eq "$i: after chains through dc, no message cache entry for dc" 0 "$n"
	grep -iE "^msg $re_d\. " "$f" | head -3 | while read -r l; do diag "cached: $l"; done
	n=$(grep -ciE "^$re_d\.[[:space:]]+[0-9]+[[:space:]]+IN[[:space:]]+(A[[:space:]]+203\.0\.113\.|AAAA[[:space:]]+2001:db8:f:)" "$f")
	assert_eq "$i: after chains through dc, no RRset of dc with NSD's addresses" 0 "$n"
	grep -iE "^$re_d\.[[:space:]]" "$f" | head -3 | while read -r l; do diag "cached: $l"; done
done
it_done
