#!/bin/bash
# snapshot-file that can't be used: ignored with ONE log line naming the
# file and the reason ("<conf>: snapshot-file <path> not used: <reason>"),
# Unbound starts anyway, and with Redis down nothing is steered from it:
# managed names resolve as unmanaged (NSD's answer or NXDOMAIN), never the
# cn pool. One Unbound start per kind of damage, Redis down:
#   missing file, empty file, shorter than the header, truncated body,
#   one byte appended, a flipped byte in the body, a flipped byte in the
#   header (the read time), not a snapshot at all, format version 2,
#   written with another key-prefix, written for another Redis database.
# Last, Redis up with a damaged snapshot: Unbound loads from Redis and the
# snapshot file is replaced by a good one.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_snapshot.sh"
it_setup
snap_data
mkdir -p "$IT_WORK/snap"
GOOD=$IT_WORK/snap/good.snapshot ALT=$IT_WORK/snap/alt.snapshot DB3=$IT_WORK/snap/db3.snapshot
CN=(--ecs "${REGION_ECS[mainland]}") US=(--ecs "${REGION_ECS[US]}")

# ---- good snapshots of this data: this configuration, another key-prefix,
# another Redis database (the same data written there)
t0=$(date +%s)
snap_up good snapshot-file="$GOOD"
wait_until 3000 snap_valid "$GOOD" "$t0" || it_bail "no snapshot written at $GOOD"
expect "the data steers (good instance): mainland cn" "$(res NOERROR A:192.0.2.51)" --inst good "${CN[@]}" down.example.com A
it_stop_unbound good
(IT_PREFIX=cnalt:; snap_data)
it_start_unbound alt key-prefix=cnalt: snapshot-file="$ALT"
wait_until 5000 snap_valid "$ALT" "$t0" || it_bail "no snapshot written at $ALT"
assert_eq "other key-prefix: its snapshot holds the same routes" "$(snap_routes "$GOOD")" "$(snap_routes "$ALT")"
it_stop_unbound alt
(rcli() { redis-cli -p "$RPORT" -n 3 "$@"; }; snap_data)
it_start_unbound db3 redis-db=3 snapshot-file="$DB3"
wait_until 5000 snap_valid "$DB3" "$t0" || it_bail "no snapshot written at $DB3"
assert_eq "other database: its snapshot holds the same routes" "$(snap_routes "$GOOD")" "$(snap_routes "$DB3")"
it_stop_unbound db3
it_stop_redis save

# ---- the instance that gets the bad files (Redis down)
SNAP=$IT_WORK/snap/bad.snapshot
it_unbound_conf bad
cnroute_conf "${UB_DIR[bad]}/cnroute.conf" snapshot-file="$SNAP"
CONF=${UB_DIR[bad]}/cnroute.conf
GSIZE=$(stat -c %s "$GOOD") GHDR=$(snap_hsize "$GOOD")

# bad_case LABEL REASON-ERE: start with $SNAP as prepared, check, stop
bad_case() {
	local label=$1 reason=$2 mark lines n
	mark=$(log_mark bad)
	rm -f "${UB_DIR[bad]}/stats"
	if ub_relaunch bad; then
		ok "$label: Unbound starts and answers"
	else
		not_ok "$label: Unbound starts and answers" "an answer within 10 s" "none (exit status $(unbound_exit_status bad))"
		it_stop_unbound bad
		return
	fi
	lines=$(log_since bad "$mark" | grep -F "not used")
	n=$(grep -c . <<<"$lines")
	assert_eq "$label: one 'not used' log line" 1 "$n"
	assert_match "$label: the line names the file and the reason" \
		"cnroute: $CONF: snapshot-file $SNAP not used: $reason\$" "$lines"
	n=$(log_count bad "$mark" "cnroute: started from")
	assert_eq "$label: the log does not say it started from a snapshot" 0 "$n"
	expect "$label: mainland, managed name NSD has -> NSD's answer (unmanaged)" \
		"$(res NOERROR A:203.0.113.51)" --inst bad "${CN[@]}" down.example.com A
	expect "$label: mainland, address pool of an active filing -> NXDOMAIN (unmanaged)" \
		NXDOMAIN --inst bad "${CN[@]}" addr.f-active.example.com A
	expect "$label: mainland, CNAME pool of an active filing -> NXDOMAIN (unmanaged)" \
		NXDOMAIN --inst bad "${CN[@]}" cname.f-active.example.com AAAA
	expect "$label: US, address pool -> NXDOMAIN (unmanaged)" \
		NXDOMAIN --inst bad "${US[@]}" addr.f-revoked.example.com A
	wait_stats bad
	assert_eq "$label: stats routes=0 (no table)" 0 "$(modstat routes bad)"
	it_stop_unbound bad
}

rm -f "$SNAP"
bad_case "missing file" "No such file or directory"

: >"$SNAP"
bad_case "empty file" "empty file"

head -c 40 "$GOOD" >"$SNAP"
bad_case "40 bytes (shorter than the header)" "truncated \(40 bytes, shorter than the header\)"

head -c $((GSIZE - 9)) "$GOOD" >"$SNAP"
bad_case "truncated body (9 bytes missing)" \
	"truncated or padded \($((GSIZE - 9 - GHDR)) bytes of body, the header says $((GSIZE - GHDR))\)"

cp "$GOOD" "$SNAP"; printf 'x' >>"$SNAP"
bad_case "one byte appended" \
	"truncated or padded \($((GSIZE + 1 - GHDR)) bytes of body, the header says $((GSIZE - GHDR))\)"

cp "$GOOD" "$SNAP"; snap_flip "$SNAP" $(((GHDR + GSIZE) / 2))
bad_case "a flipped byte in the body" "damaged \(checksum mismatch\)"

cp "$GOOD" "$SNAP"; snap_flip "$SNAP" 20
bad_case "a flipped byte in the header's read time" "damaged header \(checksum mismatch\)"

head -c "$GSIZE" /dev/urandom >"$SNAP"
bad_case "random bytes" "not a cnroute snapshot"

cp "$GOOD" "$SNAP"; snap_set_u32 "$SNAP" 8 2
assert_eq "version patched to 2" 2 "$(snap_u32 "$SNAP" 8)"
bad_case "format version 2" "format version 2, this module reads version 1"

cp "$ALT" "$SNAP"
bad_case "another key-prefix (cnalt:)" "written for key prefix 'cnalt:', the key prefix is 'cnit:'"

cp "$DB3" "$SNAP"
bad_case "another Redis database (3)" "written for Redis database 3, the database is 0"

# ---- a damaged snapshot with Redis up: loaded from Redis, file replaced
it_start_redis "$RPORT"
cp "$GOOD" "$SNAP"; snap_flip "$SNAP" $(((GHDR + GSIZE) / 2))
t1=$(date +%s)
mark=$(log_mark bad)
rm -f "${UB_DIR[bad]}/stats"
if ub_relaunch bad; then ok "damaged snapshot, Redis up: Unbound starts"; else not_ok "damaged snapshot, Redis up: Unbound starts" "an answer" "none"; fi
n=$(log_count bad "$mark" "snapshot-file $SNAP not used: damaged (checksum mismatch)")
assert_eq "damaged snapshot, Redis up: one 'not used' line" 1 "$n"
it_wait_loaded bad "$(n_routes)" "$(($(n_filings) - 1))"
eventually "damaged snapshot, Redis up: loaded from Redis, mainland cn" 5000 \
	"$(res NOERROR A:192.0.2.51)" --inst bad "${CN[@]}" down.example.com A
expect "damaged snapshot, Redis up: US offshore" "$(res NOERROR A:198.51.100.1)" --inst bad "${US[@]}" addr.f-active.example.com A
if wait_until 3000 snap_valid "$SNAP" "$t1"; then ok "damaged snapshot, Redis up: the file is replaced by a good one"; else
	not_ok "damaged snapshot, Redis up: the file is replaced by a good one" "a valid snapshot read at or after $t1" "$(ls -l "$SNAP")"
fi
assert_eq "the new snapshot holds the table's routes" "$(modstat routes bad)" "$(snap_routes "$SNAP")"
it_done
