#!/bin/bash
# Redis stopped and restarted while queries flow: managed names never get
# SERVFAIL (or no answer); mainland clients get cn (the table kept) or
# offshore, US clients always offshore; redis_connected follows; after the
# restart, changes flow again within 1 s.
. "$(dirname "$0")/lib.sh"
it_setup
filing rs.example.com active
route www.rs.example.com "192.0.2.110,2001:db8:c::110" "198.51.100.110,2001:db8::110" 30
route cname.rs.example.com rs.cdn-cn.example.net. rs.cdn-global.example.net. 30
it_up main
CN=(--ecs 1.0.1.0/24) US=(--ecs 8.8.8.0/24)
expect "before: CN gets cn" "$(res NOERROR A:192.0.2.110)" "${CN[@]}" www.rs.example.com A

# background query load: CN and US clients, address and CNAME pool
LOAD=$IT_WORK/load.txt STOP=$IT_WORK/load.stop
(
	end=$(($(now_ms) + 30000))
	while [[ ! -e $STOP ]] && (($(now_ms) < end)); do
		q "${CN[@]}" www.rs.example.com A;   echo "CN-A $Q_RES"
		q "${US[@]}" www.rs.example.com A;   echo "US-A $Q_RES"
		q "${CN[@]}" cname.rs.example.com A; echo "CN-C $Q_RES"
		q --proxy 8.8.8.8 cname.rs.example.com AAAA; echo "US-C $Q_RES"
	done >"$LOAD"
) &
LOADPID=$!
sleep 0.7

rcli SAVE >/dev/null   # so the restarted Redis has the same data (dump.rdb)
it_stop_redis
t0=$(now_ms)
wait_until 5000 bash -c '[[ $(sed -n "s/^redis_connected=//p" "$1") == 0 ]]' _ "${UB_DIR[main]}/stats"
assert_eq "Redis stopped: stats redis_connected becomes 0 (after $(($(now_ms) - t0)) ms)" 0 "$(modstat redis_connected)"
sleep 1
expect "Redis down: CN still gets cn (table kept)" "$(res NOERROR A:192.0.2.110)" "${CN[@]}" www.rs.example.com A
expect "Redis down: US offshore" "$(res NOERROR A:198.51.100.110)" "${US[@]}" www.rs.example.com A
expect "Redis down: unmanaged names still resolve" "$(res NOERROR A:203.0.113.10)" plain.example.com A
sleep 1
it_start_redis "$RPORT"
t0=$(now_ms)
wait_until 20000 bash -c '[[ $(sed -n "s/^redis_connected=//p" "$1") == 1 ]]' _ "${UB_DIR[main]}/stats"
assert_eq "Redis back: stats redis_connected becomes 1 (after $(($(now_ms) - t0)) ms)" 1 "$(modstat redis_connected)"
sleep 1
touch "$STOP"
wait "$LOADPID"

total=$(wc -l <"$LOAD")
assert_ge "queries made during the outage" 20 "$total"
bad=$(grep -vcE '^(CN-A|US-A|CN-C|US-C) NOERROR' "$LOAD")
assert_eq "no SERVFAIL / error / missing reply for managed names during stop+restart ($total queries)" 0 "$bad"
CA="NOERROR A:192.0.2.110|NOERROR A:198.51.100.110"
n=$(grep '^CN-A ' "$LOAD" | grep -vcE "^CN-A ($CA)\$")
assert_eq "CN address answers were always cn or offshore" 0 "$n"
n=$(grep '^US-A ' "$LOAD" | grep -vcxF "US-A NOERROR A:198.51.100.110")
assert_eq "US address answers were always offshore (never cn)" 0 "$n"
n=$(grep '^CN-C ' "$LOAD" | grep -vcE '^CN-C NOERROR (A:192\.0\.2\.100 CNAME:rs\.cdn-cn|A:198\.51\.100\.100 CNAME:rs\.cdn-global)\.example\.net\.$')
assert_eq "CN CNAME answers were always the cn or offshore CNAME" 0 "$n"
n=$(grep '^US-C ' "$LOAD" | grep -vcxF "US-C NOERROR AAAA:2001:db8::100 CNAME:rs.cdn-global.example.net.")
assert_eq "US CNAME answers were always offshore" 0 "$n"
grep -vE '^(CN-A|US-A|CN-C|US-C) NOERROR' "$LOAD" | head -5 | while read -r l; do diag "unexpected: $l"; done

# changes flow again
expect "after restart: CN gets cn" "$(res NOERROR A:192.0.2.110)" "${CN[@]}" www.rs.example.com A
rcli HSET "${IT_PREFIX}filing:rs.example.com" status revoked >/dev/null
eventually "after restart: revoke reaches the resolver within 1 s" 1000 "$(res NOERROR A:198.51.100.110)" "${CN[@]}" www.rs.example.com A
rcli HSET "${IT_PREFIX}filing:rs.example.com" status active >/dev/null
eventually "after restart: restore within 1 s" 1000 "$(res NOERROR A:192.0.2.110)" "${CN[@]}" www.rs.example.com A
route www2.rs.example.com 192.0.2.111 198.51.100.111 30
eventually "after restart: a new rule within 1 s" 1000 "$(res NOERROR A:192.0.2.111)" "${CN[@]}" www2.rs.example.com A

# restarted empty (data lost): the module resynchronises to the empty table
it_stop_redis
rm -f "$IT_WORK/redis/dump.rdb"
it_start_redis "$RPORT"
wait_until 20000 bash -c '[[ $(sed -n "s/^redis_connected=//p" "$1") == 1 ]]' _ "${UB_DIR[main]}/stats"
t0=$(now_ms)
wait_until 5000 bash -c '[[ $(sed -n "s/^routes=//p" "$1") == 0 ]]' _ "${UB_DIR[main]}/stats"
assert_eq "Redis restarted empty: routes resynchronised to 0 (after $(($(now_ms) - t0)) ms)" 0 "$(modstat routes)"
expect "Redis restarted empty: the rule is gone, name resolved normally (NXDOMAIN)" "NXDOMAIN" "${CN[@]}" www2.rs.example.com A
it_done
