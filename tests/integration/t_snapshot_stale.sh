#!/bin/bash
# snapshot-file and max-stale: staleness counts from the time of the data
# the snapshot holds, not from the restart.
#
#  s2  (max-stale 2): Redis stops, Unbound is restarted once the snapshot's
#      data is more than 2 s old: the table is stale from the start
#      (stats stale=1, the log says so), mainland clients get the offshore
#      pool of a filed name (address and CNAME pools, counted in
#      fail_closed), US clients too; when Redis is back, mainland gets cn
#      again and stale=0.
#  s12 (max-stale 12, no periodic reconciliation): restarted 4 s into the
#      outage: not stale at start, mainland gets cn;
#      stale about 12 s after the snapshot's time (long before 12 s after
#      the restart); back to cn when Redis returns.
#  s6  (max-stale 6, no periodic reconciliation): Redis up for 8 s after
#      the snapshot was written (the heartbeat keeps the data current),
#      then Redis stops and Unbound is restarted at once. Stopping writes
#      the snapshot, so it records the last contact with Redis: after the
#      restart the table is not stale and mainland clients get cn, as
#      before the restart.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_snapshot.sh"
it_setup
filing st.example.com active
route www.st.example.com "192.0.2.60,2001:db8:c::60" "198.51.100.60,2001:db8::60" 30
route cname.st.example.com st.cdn-cn.example.net. st.cdn-global.example.net. 30
CN=(--ecs "${REGION_ECS[mainland]}") US=(--ecs "${REGION_ECS[US]}")
S2=$IT_WORK/snap/s2.snapshot S12=$IT_WORK/snap/s12.snapshot
mkdir -p "$IT_WORK/snap"
CN_A=$(res NOERROR A:192.0.2.60) OFF_A=$(res NOERROR A:198.51.100.60)
OFF_AAAA=$(res NOERROR AAAA:2001:db8::60)
CN_C=$(res NOERROR CNAME:st.cdn-cn.example.net. A:192.0.2.100)
OFF_C=$(res NOERROR CNAME:st.cdn-global.example.net. A:198.51.100.100)

t0=$(date +%s)
it_up s2 max-stale=2 snapshot-file="$S2"
it_up s12 max-stale=12 resync-interval=300 snapshot-file="$S12"
wait_until 3000 snap_valid "$S2" "$t0" || diag "no valid $S2"
wait_until 3000 snap_valid "$S12" "$t0" || diag "no valid $S12"
expect "s2, Redis up: mainland gets cn" "$CN_A" --inst s2 "${CN[@]}" www.st.example.com A
expect "s12, Redis up: mainland gets cn" "$CN_A" --inst s12 "${CN[@]}" www.st.example.com A

it_stop_redis save
t_stop=$(date +%s)
R2=$(snap_time "$S2") R12=$(snap_time "$S12")
wait_until 5000 stat_is s2 redis_connected 0
assert_eq "Redis stopped: s2 redis_connected=0" 0 "$(modstat redis_connected s2)"
# both snapshots at least 3 s old (older than s2's max-stale of 2 s), and
# Redis gone for 4 s (whatever the snapshots record, the last contact is
# at least that old when the instances restart)
newest=$((R2 > R12 ? R2 : R12))
((newest < t_stop + 1)) && newest=$((t_stop + 1))
while (($(date +%s) < newest + 3)); do sleep 0.1; done

# ---- s12: restarted with a snapshot younger than max-stale
mark=$(log_mark s12)
if ub_restart s12; then ok "s12 restarted with Redis down"; else not_ok "s12 restarted with Redis down" "an answer" "none"; fi
R12=$(snap_time "$S12")   # what the restarted instance read
age=$(($(date +%s) - R12))
diag "s12: snapshot read ${age} s ago at restart (max-stale 12)"
n=$(log_count s12 "$mark" "cnroute: started from $S12: 1 filings, 2 routes, read from Redis")
assert_eq "s12 log: started from the snapshot-file (once)" 1 "$n"
n=$(log_count s12 "$mark" "older than max-stale")
assert_eq "s12 log: not older than max-stale" 0 "$n"
wait_stats s12
assert_eq "s12 restarted: stats stale=0 (snapshot younger than max-stale)" 0 "$(modstat stale s12)"
expect "s12 restarted: mainland gets cn (address pool)" "$CN_A" --inst s12 "${CN[@]}" www.st.example.com A
expect "s12 restarted: mainland gets cn (CNAME pool)" "$CN_C" --inst s12 "${CN[@]}" cname.st.example.com A
expect "s12 restarted: US gets offshore" "$OFF_A" --inst s12 "${US[@]}" www.st.example.com A

# ---- s2: restarted with a snapshot older than max-stale
R2=$(snap_time "$S2")
mark=$(log_mark s2)
if ub_restart s2; then ok "s2 restarted with Redis down"; else not_ok "s2 restarted with Redis down" "an answer" "none"; fi
diag "s2: snapshot read $(($(date +%s) - R2)) s ago at restart (max-stale 2)"
n=$(log_count s2 "$mark" "cnroute: started from $S2: 1 filings, 2 routes, read from Redis")
assert_eq "s2 log: started from the snapshot-file (once)" 1 "$n"
n=$(log_count s2 "$mark" "(older than max-stale: stale until Redis is reached)")
assert_eq "s2 log: the snapshot is older than max-stale" 1 "$n"
wait_stats s2
assert_eq "s2 restarted: stats stale=1 from the start" 1 "$(modstat stale s2)"
expect "s2 stale: mainland gets offshore (address pool, A)" "$OFF_A" --inst s2 "${CN[@]}" www.st.example.com A
expect "s2 stale: mainland gets offshore (address pool, AAAA)" "$OFF_AAAA" --inst s2 "${CN[@]}" www.st.example.com AAAA
expect "s2 stale: mainland gets offshore (CNAME pool)" "$OFF_C" --inst s2 "${CN[@]}" cname.st.example.com A
expect "s2 stale: PROXYv2 mainland client offshore too" "$OFF_A" --inst s2 --proxy 1.0.1.1 www.st.example.com A
expect "s2 stale: US gets offshore" "$OFF_A" --inst s2 "${US[@]}" www.st.example.com A
expect "s2 stale: unmanaged names resolve" "$(res NOERROR A:203.0.113.10)" --inst s2 "${CN[@]}" plain.example.com A
sleep 1.2
assert_ge "s2 stale: the offshore answers count in fail_closed" 3 "$(modstat fail_closed s2)"
assert_eq "s2 stale: answers_cn=0" 0 "$(modstat answers_cn s2)"

# ---- s12 goes stale about 12 s after its snapshot's time (the answers
# show it at once; the stats file within a second)
t=$(now_ms)
wait_until 15000 bash -c '[[ $(kdig @127.0.0.1 -p "$1" +time=1 +retry=0 +short +subnet=1.0.1.0/24 www.st.example.com A) == 198.51.100.60 ]]' _ "${UB_PORT[s12]}"
t_stale=$(now_ms)
since=$((t_stale - R12 * 1000))
diag "s12: mainland offshore ${since} ms after the snapshot's read time, $((t_stale - t)) ms after polling began"
if ((since >= 11000 && since <= 14000)); then
	ok "s12: staleness counts from the snapshot's time (mainland offshore ${since} ms after it; max-stale 12 s)"
else
	not_ok "s12: staleness counts from the snapshot's time" "mainland offshore 11000..14000 ms after the snapshot's read time" "${since} ms"
fi
expect "s12 stale: mainland gets offshore" "$OFF_A" --inst s12 "${CN[@]}" www.st.example.com A
wait_stat s12 stale 1 2000
assert_eq "s12: stats stale=1" 1 "$(modstat stale s12)"
n=$(grep -c "no answer from Redis for 12 s (max-stale)" "${UB_DIR[s12]}/unbound.log")
assert_eq "s12 log: one line says the table is stale (max-stale)" 1 "$n"

# ---- Redis back: current again
it_start_redis "$RPORT"
eventually "Redis back: s2 mainland gets cn again" 10000 "$CN_A" --inst s2 "${CN[@]}" www.st.example.com A
wait_stat s2 stale 0 3000
assert_eq "Redis back: s2 stats stale=0" 0 "$(modstat stale s2)"
assert_eq "Redis back: s2 stats redis_connected=1" 1 "$(modstat redis_connected s2)"
expect "Redis back: s2 CNAME pool cn again" "$CN_C" --inst s2 "${CN[@]}" cname.st.example.com A
eventually "Redis back: s12 mainland gets cn again" 10000 "$CN_A" --inst s12 "${CN[@]}" www.st.example.com A
wait_stat s12 stale 0 3000
assert_eq "Redis back: s12 stats stale=0" 0 "$(modstat stale s12)"
n=$(grep -c "cnroute: the table is current again" "${UB_DIR[s2]}/unbound.log")
assert_ge "s2 log: the table is current again" 1 "$n"

# ---- s6: the snapshot written at stop records the last contact
S6=$IT_WORK/snap/s6.snapshot
t0=$(date +%s)
it_up s6 max-stale=6 resync-interval=300 snapshot-file="$S6"
wait_until 3000 snap_valid "$S6" "$t0" || diag "no valid $S6"
R6=$(snap_time "$S6")
while (($(date +%s) < R6 + 8)); do sleep 0.1; done
expect "s6, Redis up 8 s after the snapshot: mainland gets cn" "$CN_A" --inst s6 "${CN[@]}" www.st.example.com A
assert_eq "s6, Redis up: stale=0" 0 "$(modstat stale s6)"
it_stop_redis
t_down=$(date +%s)
mark=$(log_mark s6)
if ub_restart s6; then ok "s6 restarted right after Redis stopped"; else not_ok "s6 restarted right after Redis stopped" "an answer" "none"; fi
R6b=$(snap_time "$S6")
diag "s6: snapshot read time $R6 before the stop, $R6b after; Redis stopped at $t_down"
assert_ge "s6: stopping Unbound wrote the snapshot with the last contact's time (>= Redis stop - 2 s)" \
	$((t_down - 2)) "$R6b"
n=$(log_count s6 "$mark" "older than max-stale")
assert_eq "s6 log: the snapshot is not older than max-stale" 0 "$n"
expect "s6 restarted at once into the outage (max-stale 6): mainland gets cn, as before the restart" \
	"$CN_A" --inst s6 "${CN[@]}" www.st.example.com A
wait_stats s6
assert_eq "s6 restarted: stats stale=0" 0 "$(modstat stale s6)"
it_done
