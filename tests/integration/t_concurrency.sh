#!/bin/bash
# Concurrent mainland and US clients never get each other's answer
# (num-threads 2), including while the answer waits on a CNAME target that is
# not cached yet. Jobs wait at a barrier and are released at the same moment.
# Round A: kdig + ECS, CNAME pools, 50 names x (CN, US)
# Round B: raw UDP + ECS, CNAME pools, 40 names x (2 CN, 2 US)
# Round C: kdig + PROXYv2 client addresses, CNAME pools, 30 names x (CN, US)
# Round D: raw UDP + ECS, one address-pool name, 40 CN + 40 US
# Round E: raw UDP + ECS, one CNAME-pool name (fresh target), 40 CN + 40 US
# Finally: nothing under the managed names is in Unbound's caches.
. "$(dirname "$0")/lib.sh"
it_setup
filing conc.example.com active
for i in $(seq 50); do route "k$i.conc.example.com" "k$i.cdn-cn.example.net." "k$i.cdn-global.example.net." 30; done
for i in $(seq 40); do route "b$i.conc.example.com" "b$i.cdn-cn.example.net." "b$i.cdn-global.example.net." 30; done
for i in $(seq 30); do route "p$i.conc.example.com" "p$i.cdn-cn.example.net." "p$i.cdn-global.example.net." 30; done
route addr.conc.example.com 192.0.2.130 198.51.100.130 30
route hot.conc.example.com hot.cdn-cn.example.net. hot.cdn-global.example.net. 30
it_up main
PORT=${UB_PORT[main]} PPORT=${UB_PPORT[main]}
OUT=$IT_WORK/conc; mkdir -p "$OUT"
H_CDNCN=$(label_hex cdn-cn) H_CDNGL=$(label_hex cdn-global)

kjob() { local out=$1; shift; barrier_wait; kdig +time=3 +retry=0 "$@" >"$out" 2>&1; }
rjob() {
	exec 3<>/dev/udp/127.0.0.1/"$PORT"
	barrier_wait
	cat "$2" >&3
	timeout 3 dd bs=65535 count=1 <&3 2>/dev/null | od -An -v -tx1 | tr -d ' \n' >"$1"
}
# run_round: release the jobs started since barrier_init, wait for them
JOBS=()
run_round() {
	sleep 1
	barrier_release "$1"
	wait "${JOBS[@]}"
	JOBS=()
	barrier_done
}
# kcheck DESC FILE-GLOB-PREFIX EXPECTED-FUNCTION
# report one assertion for a set of kdig outputs
report() {
	local desc=$1 n=$2 bad=$3 examples=$4
	if ((n > 0 && bad == 0)); then ok "$desc ($n replies)"
	else not_ok "$desc" "all $n right" "$bad wrong/missing${examples:+: $examples}"; fi
}
kcheck() {   # kcheck DESC REGION-TAG PREFIX POOLWORD ADDR
	local desc=$1 tag=$2 pre=$3 pool=$4 addr=$5 f i n=0 bad=0 ex="" e
	for f in "$OUT"/"$pre"*."$tag"; do
		n=$((n + 1)); i=${f##*/}; i=${i%%.*}; i=${i#"$pre"}
		Q_OUT=$(<"$f"); q_parse
		e=$(res NOERROR "CNAME:$pre$i.$pool.example.net." "A:$addr")
		if [[ $Q_RES != "$e" ]]; then bad=$((bad + 1)); ((bad <= 3)) && ex+="[$pre$i: $Q_RES] "; fi
	done
	report "$desc" "$n" "$bad" "$ex"
}
rcheck() {   # rcheck DESC GLOB GOOD-HEX... -- BAD-HEX...
	local desc=$1 glob=$2 f n=0 bad=0 ex="" h x want=() unwant=() side=want
	shift 2
	for x in "$@"; do [[ $x == -- ]] && { side=unwant; continue; }; [[ $side == want ]] && want+=("$x") || unwant+=("$x"); done
	for f in $glob; do
		n=$((n + 1)); h=$(<"$f"); local fail=""
		[[ $(hex_rcode "$h") == NOERROR ]] || fail="rcode $(hex_rcode "$h")"
		for x in "${want[@]}"; do [[ $h == *"$x"* ]] || fail+=" lacks $x"; done
		for x in "${unwant[@]}"; do [[ $h == *"$x"* ]] && fail+=" has $x"; done
		if [[ -n $fail ]]; then bad=$((bad + 1)); ((bad <= 3)) && ex+="[${f##*/}:$fail] "; fi
	done
	report "$desc" "$n" "$bad" "$ex"
}

# ---- Round A
barrier_init
for i in $(seq 50); do
	kjob "$OUT/k$i.cn" @127.0.0.1 -p "$PORT" +subnet=1.0.1.0/24 "k$i.conc.example.com" A & JOBS+=($!)
	kjob "$OUT/k$i.us" @127.0.0.1 -p "$PORT" +subnet=8.8.8.0/24 "k$i.conc.example.com" A & JOBS+=($!)
done
run_round 100
kcheck "round A (kdig, ECS): every CN client got its cn CNAME + target" cn k cdn-cn 192.0.2.100
kcheck "round A (kdig, ECS): every US client got its offshore CNAME + target" us k cdn-global 198.51.100.100

# ---- Round B
barrier_init
for i in $(seq 40); do
	hex_to_file "$(dns_query_hex $((i * 4)) "b$i.conc.example.com" 1 "$(ecs_hex 1 24 0 010001)")" "$OUT/b$i.cn.bin"
	hex_to_file "$(dns_query_hex $((i * 4 + 1)) "b$i.conc.example.com" 1 "$(ecs_hex 1 24 0 080808)")" "$OUT/b$i.us.bin"
	for j in 1 2; do
		rjob "$OUT/b$i.cn$j.reply" "$OUT/b$i.cn.bin" & JOBS+=($!)
		rjob "$OUT/b$i.us$j.reply" "$OUT/b$i.us.bin" & JOBS+=($!)
	done
done
run_round 160
rcheck "round B (raw UDP, ECS): every CN client got the cn CNAME + 192.0.2.100" "$OUT/b*.cn?.reply" "$H_CDNCN" c0000264 -- "$H_CDNGL" c6336464
rcheck "round B (raw UDP, ECS): every US client got the offshore CNAME + 198.51.100.100" "$OUT/b*.us?.reply" "$H_CDNGL" c6336464 -- "$H_CDNCN" c0000264

# ---- Round C
barrier_init
for i in $(seq 30); do
	kjob "$OUT/p$i.cn" @127.0.0.1 -p "$PPORT" +proxy=1.0.1.1-127.0.0.1 "p$i.conc.example.com" A & JOBS+=($!)
	kjob "$OUT/p$i.us" @127.0.0.1 -p "$PPORT" +proxy=8.8.8.8-127.0.0.1 "p$i.conc.example.com" A & JOBS+=($!)
done
run_round 60
kcheck "round C (kdig, PROXYv2): every CN client got its cn CNAME + target" cn p cdn-cn 192.0.2.100
kcheck "round C (kdig, PROXYv2): every US client got its offshore CNAME + target" us p cdn-global 198.51.100.100

# ---- Round D and E: one name, many clients
for name in addr hot; do
	ub_control main stats >/dev/null   # reset the counters
	barrier_init
	hex_to_file "$(dns_query_hex 7 "$name.conc.example.com" 1 "$(ecs_hex 1 24 0 010001)")" "$OUT/$name.cn.bin"
	hex_to_file "$(dns_query_hex 8 "$name.conc.example.com" 1 "$(ecs_hex 1 24 0 080808)")" "$OUT/$name.us.bin"
	for j in $(seq 40); do
		rjob "$OUT/$name.cn$j.reply1" "$OUT/$name.cn.bin" & JOBS+=($!)
		rjob "$OUT/$name.us$j.reply1" "$OUT/$name.us.bin" & JOBS+=($!)
	done
	run_round 80
	diag "round $name: Unbound stats: $(ub_control main stats | grep -E '^total\.(num\.queries|num\.cachemiss|requestlist\.max)=' | tr '\n' ' ')"
done
rcheck "round D (one address-pool name, 40+40 at once): CN clients got cn" "$OUT/addr.cn*.reply1" c0000282 -- c6336482
rcheck "round D: US clients got offshore" "$OUT/addr.us*.reply1" c6336482 -- c0000282
rcheck "round E (one CNAME-pool name, fresh target, 40+40 at once): CN clients got cn" "$OUT/hot.cn*.reply1" "$H_CDNCN" c0000264 -- "$H_CDNGL" c6336464
rcheck "round E: US clients got offshore" "$OUT/hot.us*.reply1" "$H_CDNGL" c6336464 -- "$H_CDNCN" c0000264

# ---- afterwards, sequentially: nothing leaked into the caches
expect "after the rounds: CN gets cn" "$(res NOERROR CNAME:k1.cdn-cn.example.net. A:192.0.2.100)" --ecs 1.0.1.0/24 k1.conc.example.com A
expect "after the rounds: US gets offshore" "$(res NOERROR CNAME:k1.cdn-global.example.net. A:198.51.100.100)" --ecs 8.8.8.0/24 k1.conc.example.com A
expect "after the rounds: plain client offshore" "$(res NOERROR A:198.51.100.130)" addr.conc.example.com A
ub_control main dump_cache >"$IT_WORK/cache.dump" 2>&1
assert_match "unbound-control dump_cache works" "^(START_RRSET_CACHE|;rrset)" "$(head -1 "$IT_WORK/cache.dump")"
n=$(grep -ciE '(^|[[:space:]])[a-z0-9-]+\.conc\.example\.com\.' "$IT_WORK/cache.dump")
assert_eq "no message or RRset for a managed name in Unbound's caches" 0 "$n"
grep -iE '(^|[[:space:]])[a-z0-9-]+\.conc\.example\.com\.' "$IT_WORK/cache.dump" | head -3 | while read -r l; do diag "cached: $l"; done
it_done
