#!/bin/bash
# snapshot-file and live changes (no periodic reconciliation during the
# test: resync-interval 300 s, so only the change-driven and stop-time
# writes are seen):
#  1. a change that reaches the table through a notification is written to
#     the snapshot at once when none was written in the last 2 s (routes
#     count and read time in the header), and a burst of changes is
#     written at most once per 2 s;
#  2. changes made just before Unbound stops (a revocation, a route
#     deleted, a filing made active: all in effect, less than 2 s before
#     the stop) are in the snapshot it starts from when restarted with
#     Redis down: the revoked filing gives mainland clients the offshore
#     pool, never the cn pool, the deleted route is unmanaged, the new
#     filing gives cn.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_snapshot.sh"
it_setup
filing lv.example.com active
filing rv.example.com active
filing nf.example.com pending
route www.lv.example.com 192.0.2.70 198.51.100.70 30
route www.rv.example.com 192.0.2.71 198.51.100.71 30
route www.nf.example.com 192.0.2.72 198.51.100.72 30
route down.example.com 192.0.2.73 198.51.100.73 30
CN=(--ecs "${REGION_ECS[mainland]}") US=(--ecs "${REGION_ECS[US]}")
SNAP=$IT_WORK/snap/lv.snapshot
mkdir -p "$IT_WORK/snap"

t0=$(date +%s)
it_up main resync-interval=300 snapshot-file="$SNAP"
wait_until 3000 snap_valid "$SNAP" "$t0" || diag "no valid $SNAP"
assert_eq "snapshot after the load: 4 routes" 4 "$(snap_routes "$SNAP")"
sleep 1

# ---- 1. written after a change (at once: the last write is > 2 s old)
route www2.lv.example.com 192.0.2.74 198.51.100.74 30
t_change=$(now_ms)
eventually "new route in effect" 1000 "$(res NOERROR A:192.0.2.74)" "${CN[@]}" www2.lv.example.com A
wait_until 6000 bash -c '[[ $(od -An --endian=little -t u8 -j 40 -N 8 "$1" | tr -d " ") == 5 ]]' _ "$SNAP"
dt=$(($(now_ms) - t_change))
assert_eq "snapshot rewritten after the change: 5 routes" 5 "$(snap_routes "$SNAP")"
assert_le "snapshot rewritten within 4 s of the change (${dt} ms)" 4000 "$dt"
assert_ge "the rewritten snapshot's read time is the change's" $((t_change / 1000 - 1)) "$(snap_time "$SNAP")"
# a burst: five routes in a row; the last reaches the file too, though
# writes come at most once per 2 s
for i in 1 2 3 4 5; do route "b$i.lv.example.com" 192.0.2.75 198.51.100.75 30; sleep 0.1; done
wait_until 6000 bash -c '[[ $(od -An --endian=little -t u8 -j 40 -N 8 "$1" | tr -d " ") == 10 ]]' _ "$SNAP"
assert_eq "after a burst of changes the snapshot has them all: 10 routes" 10 "$(snap_routes "$SNAP")"
for i in 1 2 3 4 5; do rcli DEL "${IT_PREFIX}route:b$i.lv.example.com" >/dev/null; done
wait_until 6000 bash -c '[[ $(od -An --endian=little -t u8 -j 40 -N 8 "$1" | tr -d " ") == 5 ]]' _ "$SNAP"
sleep 2.5   # nothing pending

# ---- 2. changes just before the stop are in the snapshot
rcli HSET "${IT_PREFIX}filing:rv.example.com" status revoked >/dev/null
rcli DEL "${IT_PREFIX}route:down.example.com" >/dev/null
rcli HSET "${IT_PREFIX}filing:nf.example.com" status active >/dev/null
t_change=$(now_ms)
eventually "revocation in effect" 1000 "$(res NOERROR A:198.51.100.71)" "${CN[@]}" www.rv.example.com A
eventually "route deletion in effect" 1000 "$(res NOERROR A:203.0.113.51)" "${CN[@]}" down.example.com A
eventually "activation in effect" 1000 "$(res NOERROR A:192.0.2.72)" "${CN[@]}" www.nf.example.com A
it_stop_redis
mark=$(log_mark main)
it_stop_unbound main
diag "Unbound stopped $(($(now_ms) - t_change)) ms after the changes"
assert_eq "the snapshot written at stop has 4 routes (one deleted)" 4 "$(snap_routes "$SNAP")"
rm -f "${UB_DIR[main]}/stats"
if ub_relaunch main; then ok "restarted with Redis down"; else not_ok "restarted with Redis down" "an answer" "none"; fi
assert_eq "log: started from the snapshot-file (once)" 1 "$(log_count main "$mark" "cnroute: started from $SNAP: 3 filings, 4 routes")"
expect "restarted: filing revoked just before the stop -> mainland offshore (never cn)" "$(res NOERROR A:198.51.100.71)" \
	"${CN[@]}" www.rv.example.com A
expect "restarted: route deleted just before the stop -> unmanaged (NSD's answer)" "$(res NOERROR A:203.0.113.51)" \
	"${CN[@]}" down.example.com A
expect "restarted: filing made active just before the stop -> mainland cn" "$(res NOERROR A:192.0.2.72)" \
	"${CN[@]}" www.nf.example.com A
expect "restarted: unchanged filing -> mainland cn" "$(res NOERROR A:192.0.2.70)" "${CN[@]}" www.lv.example.com A
expect "restarted: route added earlier -> mainland cn" "$(res NOERROR A:192.0.2.74)" "${CN[@]}" www2.lv.example.com A
expect "restarted: US offshore" "$(res NOERROR A:198.51.100.72)" "${US[@]}" www.nf.example.com A
it_done
