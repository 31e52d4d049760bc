#!/bin/bash
# Redis unreachable when Unbound starts: Unbound starts and answers anyway
# (empty table), reports redis_connected=0, and loads the data once Redis
# comes up.
. "$(dirname "$0")/lib.sh"
it_begin
it_start_nsd
it_port; LATE=$REPLY
RPORT=$LATE        # nothing listens there yet
it_start_unbound main
expect "Redis down at start: Unbound answers (unmanaged name)" "$(res NOERROR A:203.0.113.10)" --ecs 1.0.1.0/24 plain.example.com A
wait_until 3000 bash -c '[[ -n $(sed -n "s/^redis_connected=//p" "$1") ]]' _ "${UB_DIR[main]}/stats"
assert_eq "Redis down at start: stats redis_connected=0" 0 "$(modstat redis_connected)"
it_start_redis "$LATE"
filing late.example.com active
route www.late.example.com 192.0.2.120 198.51.100.120 30
t0=$(now_ms)
wait_until 20000 bash -c '[[ $(sed -n "s/^redis_connected=//p" "$1") == 1 ]]' _ "${UB_DIR[main]}/stats"
assert_eq "Redis up later: redis_connected=1 (after $(($(now_ms) - t0)) ms)" 1 "$(modstat redis_connected)"
eventually "Redis up later: its data is in effect (CN cn)" 2000 "$(res NOERROR A:192.0.2.120)" --ecs 1.0.1.0/24 www.late.example.com A
expect "Redis up later: US offshore" "$(res NOERROR A:198.51.100.120)" --ecs 8.8.8.0/24 www.late.example.com A
rcli HSET "${IT_PREFIX}filing:late.example.com" status revoked >/dev/null
eventually "Redis up later: live changes within 1 s" 1000 "$(res NOERROR A:198.51.100.120)" --ecs 1.0.1.0/24 www.late.example.com A
it_done
