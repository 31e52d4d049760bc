#!/bin/bash
# unbound-control reload while Redis is DOWN: the new instance of the
# module starts from the table the old one held, so the resolver steers
# exactly as before the reload.
#
#  main (no snapshot-file): the table is handed over in memory. Every
#       answer (6 regions x every name x A/AAAA, with ECS scope and TTLs)
#       is recorded with Redis up, then compared after one reload and
#       after three reloads in a row with Redis down; the log says where
#       the table came from; no handover file descriptor is left open.
#  ms   (no snapshot-file, max-stale 5): reloaded within a second of Redis
#       stopping: not stale, mainland cn as before; once stale, a reload
#       keeps it stale (the staleness clock is handed over too).
#  sf   (snapshot-file): the reload starts from the file; every answer
#       identical.
#  main again: a reload that turns snapshot-file on (the file does not
#       exist yet), then another reload, Redis still down: the table
#       survives both.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_snapshot.sh"
it_setup
snap_data
CN=(--ecs "${REGION_ECS[mainland]}") US=(--ecs "${REGION_ECS[US]}")
SF=$IT_WORK/snap/sf.snapshot
mkdir -p "$IT_WORK/snap"
HANDED="cnroute: started from the table handed over by the previous instance"

# reload NAME DESC: unbound-control reload, then wait until it answers
reload() {
	local out
	out=$(ub_control "$1" reload 2>&1)
	assert_eq "$2: unbound-control reload succeeds" ok "$out"
	wait_until 10000 unbound_up "$1" || not_ok "$2: Unbound answers after the reload" "an answer" "none"
}

snap_up main
snap_up ms max-stale=5
t0=$(date +%s)
snap_up sf snapshot-file="$SF"
wait_until 3000 snap_valid "$SF" "$t0" || diag "no valid $SF"
F=$(modstat filings main) R=$(modstat routes main)
snap_record "$IT_WORK/main.before" main
snap_check_expected "main, Redis up: every answer as the data says" "$IT_WORK/main.before"
snap_record "$IT_WORK/sf.before" sf
snap_compare "sf, Redis up: the same answers as main" "$IT_WORK/main.before" "$IT_WORK/sf.before"
CN_A=$(res NOERROR A:192.0.2.51) OFF_A=$(res NOERROR A:198.51.100.51)
expect "ms, Redis up: mainland cn" "$CN_A" --inst ms "${CN[@]}" down.example.com A

it_stop_redis
t_stop=$(now_ms)

# ---- ms: reloaded at once (not stale yet)
wait_until 2000 stat_is ms redis_connected 0
mark=$(log_mark ms)
reload ms "ms, Redis down 1 s"
diag "ms reloaded $(($(now_ms) - t_stop)) ms after Redis stopped"
assert_eq "ms log: started from the table handed over" 1 "$(log_count ms "$mark" "$HANDED")"
expect "ms, reloaded before max-stale: mainland cn, as before" "$CN_A" --inst ms "${CN[@]}" down.example.com A

# ---- main: one reload
wait_until 5000 stat_is main redis_connected 0
assert_eq "main: Redis stopped, redis_connected=0" 0 "$(modstat redis_connected main)"
mark=$(log_mark main)
rm -f "${UB_DIR[main]}/stats"
reload main "main, Redis down"
assert_eq "main log: started from the table handed over, $F filings, $R routes (once)" 1 \
	"$(log_count main "$mark" "$HANDED: $F filings, $R routes")"
assert_eq "main log: no 'not used' line" 0 "$(log_count main "$mark" "not used")"
wait_stats main
assert_eq "main after reload: stats filings as before" "$F" "$(modstat filings main)"
assert_eq "main after reload: stats routes as before" "$R" "$(modstat routes main)"
assert_eq "main after reload: stats stale=0" 0 "$(modstat stale main)"
snap_record "$IT_WORK/main.after1" main
snap_compare "main, Redis down, after a reload: every answer identical" "$IT_WORK/main.before" "$IT_WORK/main.after1"
sleep 1.2
assert_eq "main after reload: nothing decided without a table (fail_closed=0)" 0 "$(modstat fail_closed main)"

# ---- main: three reloads in a row
mark=$(log_mark main)
for i in 1 2 3; do
	out=$(ub_control main reload 2>&1)
	assert_eq "main, reload $i of 3 in a row succeeds" ok "$out"
done
wait_until 10000 unbound_up main || not_ok "main answers after 3 reloads" "an answer" "none"
assert_eq "main log: 3 more starts from the table handed over" 3 "$(log_count main "$mark" "$HANDED: $F filings, $R routes")"
snap_record "$IT_WORK/main.after3" main
snap_compare "main, Redis down, after three reloads in a row: every answer identical" \
	"$IT_WORK/main.before" "$IT_WORK/main.after3"
n=0
for fd in "/proc/${UB_PID[main]}"/fd/*; do [[ $(readlink "$fd") == *cnroute-handoff* ]] && n=$((n + 1)); done
assert_eq "main: no handover file descriptor left open after 4 reloads" 0 "$n"

# ---- sf: the reload uses the snapshot file
mark=$(log_mark sf)
reload sf "sf, Redis down"
assert_eq "sf log: started from the snapshot-file (once)" 1 "$(log_count sf "$mark" "cnroute: started from $SF: $F filings, $R routes")"
assert_eq "sf log: not from a handover" 0 "$(log_count sf "$mark" "$HANDED")"
snap_record "$IT_WORK/sf.after" sf
snap_compare "sf, Redis down, after a reload: every answer identical" "$IT_WORK/main.before" "$IT_WORK/sf.after"

# ---- ms: stale before the reload, stale after it
eventually "ms: stale once Redis is gone longer than max-stale (5 s): mainland offshore" 7000 "$OFF_A" \
	--inst ms "${CN[@]}" down.example.com A
mark=$(log_mark ms)
rm -f "${UB_DIR[ms]}/stats"
reload ms "ms, stale"
n=$(log_count ms "$mark" "(older than max-stale: stale until Redis is reached)")
assert_eq "ms log: the table handed over is older than max-stale" 1 "$n"
expect "ms, stale, after a reload: mainland still offshore" "$OFF_A" --inst ms "${CN[@]}" down.example.com A
wait_stats ms
assert_eq "ms, stale, after a reload: stats stale=1" 1 "$(modstat stale ms)"

# ---- main: a reload that turns snapshot-file on, then one more
NEWSF=$IT_WORK/snap/main.snapshot
echo "snapshot-file: $NEWSF" >>"${UB_DIR[main]}/cnroute.conf"
mark=$(log_mark main)
reload main "main, snapshot-file turned on"
expect "main, snapshot-file turned on by the reload: mainland cn as before" "$CN_A" --inst main "${CN[@]}" down.example.com A
reload main "main, one more reload"
log_since main "$mark" | grep -E "cnroute: (started from|.*not used)" | while IFS= read -r l; do diag "main log: ${l#*cnroute: }"; done
snap_record "$IT_WORK/main.after5" main
snap_compare "main, snapshot-file turned on by a reload, then another reload, Redis down: every answer identical" \
	"$IT_WORK/main.before" "$IT_WORK/main.after5"
it_done
