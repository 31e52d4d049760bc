#!/bin/bash
# snapshot-file: Unbound restarted while Redis is DOWN answers exactly as
# before the restart, from the snapshot the module wrote; when Redis comes
# back with other data, the table is replaced by Redis's, whole.
#
#  1. Redis holds filings of every state and routes (address pools, CNAME
#     pools, a wildcard, an invalid and a revoked sub-filing under an active
#     one, two spellings of a filing, an IPv6-only and an empty pool, a
#     Unicode name, 32-address pools); Unbound runs with snapshot-file.
#     Every answer (6 regions x every name x A and AAAA: answer, ECS scope,
#     TTLs) is recorded and checked against the data.
#  2. The snapshot is written after the load (file valid, read time after
#     the start, as many filings and routes as the table).
#     While Redis is up, the periodic reconciliation keeps the connection.
#  3. Redis stops; Unbound is stopped and started again with the same
#     configuration: the log says it started from the snapshot, the stats
#     file shows the table (redis_connected=0, stale=0, same counts), and
#     the whole recorded set of answers is identical; nothing was decided
#     "before the first load" (fail_closed=0).
#  4. Redis starts again with CHANGED data (a filing revoked, another made
#     active, routes and a filing deleted, a pool changed, routes added, one
#     for a name resolved and cached by Unbound while it ran from the
#     snapshot): within a few seconds the resolver follows Redis, deletions
#     included (the table is replaced whole), nothing cached meanwhile is
#     served for the new route, and the snapshot file is rewritten with
#     Redis's data.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_snapshot.sh"
it_setup
snap_data
SNAP=$IT_WORK/snap/main.snapshot
mkdir -p "$(dirname "$SNAP")"
CN=(--ecs "${REGION_ECS[mainland]}") US=(--ecs "${REGION_ECS[US]}")

# ---- 1. the answers with Redis up
t_start=$(date +%s)
snap_up main snapshot-file="$SNAP"
snap_record "$IT_WORK/before.txt" main
snap_check_expected "Redis up: every answer as the data says (regions x filing states x pools x A/AAAA)" "$IT_WORK/before.txt"
F=$(modstat filings) R=$(modstat routes)
diag "table: $F filings, $R routes"

# ---- 2. the snapshot is written after the load
if wait_until 3000 snap_valid "$SNAP" "$t_start"; then
	ok "snapshot-file written after the load (valid header, read time >= start)"
else
	not_ok "snapshot-file written after the load" "a valid snapshot read at or after $t_start" \
		"$(ls -l "$SNAP" 2>&1), read time '$(snap_time "$SNAP")'"
fi
assert_eq "snapshot holds the table's filings" "$F" "$(snap_filings "$SNAP")"
assert_eq "snapshot holds the table's routes" "$R" "$(snap_routes "$SNAP")"
mt=$(stat -c %Y "$SNAP" 2>/dev/null)
assert_ge "snapshot file's mtime is after the start" "$t_start" "$mt"

# While Redis is up the module keeps its connection: the periodic full
# reconciliation (resync-interval 5 s here), which writes the snapshot, is
# not a reconnection (a dropped connection counts in redis_errors and logs
# "unreachable").
while (($(date +%s) < t_start + 7)); do sleep 0.2; done
assert_ge "Redis up for > resync-interval: a periodic full reconciliation ran (full_syncs >= 2)" 2 "$(modstat full_syncs)"
assert_eq "Redis up for > resync-interval: the connection was never lost (redis_errors=0)" 0 "$(modstat redis_errors)"
n=$(grep -c "cnroute: Redis at .* unreachable" "${UB_DIR[main]}/unbound.log")
assert_eq "Redis up for > resync-interval: no 'Redis ... unreachable' log line" 0 "$n"

# ---- 3. Redis down, Unbound restarted
it_stop_redis save
wait_stat main redis_connected 0 ||
	diag "stats: $(tr '\n' ' ' <"${UB_DIR[main]}/stats")"
assert_eq "Redis stopped: redis_connected=0" 0 "$(modstat redis_connected)"
mark=$(log_mark main)
if ub_restart main; then ok "Unbound restarted with Redis down answers"; else
	not_ok "Unbound restarted with Redis down answers" "an answer within 10 s" "none ($(unbound_exit_status main))"
fi
n=$(log_count main "$mark" "cnroute: started from $SNAP: $F filings, $R routes, read from Redis")
assert_eq "log: started from the snapshot-file, $F filings, $R routes (once)" 1 "$n"
n=$(log_count main "$mark" "not used")
assert_eq "log: no 'not used' line" 0 "$n"
wait_stats main
assert_eq "restarted: stats redis_connected=0" 0 "$(modstat redis_connected)"
assert_eq "restarted: stats stale=0 (no max-stale)" 0 "$(modstat stale)"
assert_eq "restarted: stats filings as before" "$F" "$(modstat filings)"
assert_eq "restarted: stats routes as before" "$R" "$(modstat routes)"
snap_record "$IT_WORK/after.txt" main
snap_compare "restarted with Redis down: every answer identical to before the restart" \
	"$IT_WORK/before.txt" "$IT_WORK/after.txt"
sleep 1.2   # the stats file is rewritten about once a second
assert_eq "restarted: no decision made without a table (fail_closed=0)" 0 "$(modstat fail_closed)"
assert_eq "restarted: no full reconciliation yet (full_syncs=0)" 0 "$(modstat full_syncs)"
# a name the snapshot does not manage is resolved normally (and cached by
# Unbound); Redis will bring a route for it
expect "restarted: a name not in the snapshot is resolved normally (NSD)" "$(res NOERROR A:203.0.113.61)" \
	"${CN[@]}" live-new.example.com A
expect "restarted: ... for the US client too" "$(res NOERROR A:203.0.113.61)" "${US[@]}" live-new.example.com A

# ---- 4. Redis back with changed data: the table follows Redis, whole
# The changed data is prepared in a Redis of its own (the module can't see
# it) from the saved dump, and its dump becomes the real Redis's.
MAINPORT=$RPORT
mkdir -p "$IT_WORK/redis-side"
cp "$IT_WORK/redis/dump.rdb" "$IT_WORK/redis-side/dump.rdb" || it_bail "no dump.rdb"
it_start_redis "" redis-side
rcli HSET "${IT_PREFIX}filing:f-active.example.com" status revoked >/dev/null
rcli HSET "${IT_PREFIX}filing:f-pending.example.com" status active >/dev/null
rcli DEL "${IT_PREFIX}route:down.example.com" >/dev/null
rcli DEL "${IT_PREFIX}route:cname.f-revoked.example.com" >/dev/null
rcli DEL "${IT_PREFIX}filing:例子.example.org" >/dev/null
rcli HSET "${IT_PREFIX}route:addr.f-none.example.com" offshore 198.51.100.9 >/dev/null
route new.f-pending.example.com 192.0.2.9 198.51.100.19 30
filing live-new.example.com active
route live-new.example.com 192.0.2.61 198.51.100.61 30
it_stop_redis save
cp "$IT_WORK/redis-side/dump.rdb" "$IT_WORK/redis/dump.rdb"
it_start_redis "$MAINPORT"
NF=$(n_filings) NR=$(n_routes)
t_back=$(date +%s)
eventually "Redis back with a revocation: mainland offshore for the revoked filing" 10000 \
	"$(res NOERROR A:198.51.100.1)" "${CN[@]}" addr.f-active.example.com A
wait_stat main full_syncs 1 3000
assert_eq "Redis back: redis_connected=1" 1 "$(modstat redis_connected)"
expect "Redis back: filing made active -> mainland cn" "$(res NOERROR A:192.0.2.1)" "${CN[@]}" addr.f-pending.example.com A
expect "Redis back: route deleted while down -> unmanaged (NSD's answer)" "$(res NOERROR A:203.0.113.51)" "${CN[@]}" down.example.com A
expect "Redis back: CNAME route deleted while down -> unmanaged (NXDOMAIN)" NXDOMAIN "${US[@]}" cname.f-revoked.example.com A
expect "Redis back: filing deleted while down -> mainland offshore" "$(res NOERROR A:198.51.100.7)" "${CN[@]}" www.xn--fsqu00a.example.org A
expect "Redis back: changed offshore pool" "$(res NOERROR A:198.51.100.9)" "${US[@]}" addr.f-none.example.com A
expect "Redis back: new route" "$(res NOERROR A:192.0.2.9)" "${CN[@]}" new.f-pending.example.com A
eventually "Redis back: new route for a name cached while running from the snapshot -> mainland cn, not the cached answer" 2000 \
	"$(res NOERROR A:192.0.2.61)" "${CN[@]}" live-new.example.com A
expect "Redis back: ... US offshore, not the cached answer" "$(res NOERROR A:198.51.100.61)" "${US[@]}" live-new.example.com A
expect "Redis back: revoked CNAME pool offshore for mainland" \
	"$(res NOERROR CNAME:m-active.cdn-global.example.net. A:198.51.100.100)" "${CN[@]}" cname.f-active.example.com A
expect "Redis back: unchanged names still steered (sub-filing revoked)" "$(res NOERROR A:198.51.100.3)" "${CN[@]}" www.sub.f-active.example.com A
# the spellings: Redis has 2 keys for one name
assert_eq "Redis back: stats routes = Redis's" "$NR" "$(modstat routes)"
assert_eq "Redis back: stats filings = Redis's keys minus one duplicate spelling" "$((NF - 1))" "$(modstat filings)"
if wait_until 4000 snap_valid "$SNAP" "$t_back"; then
	ok "snapshot-file rewritten after the reconciliation"
else
	not_ok "snapshot-file rewritten after the reconciliation" "read time >= $t_back" "'$(snap_time "$SNAP")'"
fi
assert_eq "rewritten snapshot holds Redis's routes" "$NR" "$(snap_routes "$SNAP")"
assert_eq "rewritten snapshot holds Redis's filings" "$((NF - 1))" "$(snap_filings "$SNAP")"
it_done
