#!/bin/bash
# Redis reached over a unix socket with a password from redis-password-file;
# a wrong password leaves the table empty (offshore for all) and says why;
# max-stale: Redis gone for longer than that gives mainland clients the
# offshore pool until Redis is back.
. "$(dirname "$0")/lib.sh"
it_begin
it_start_nsd

# Redis with a password, listening on a unix socket (and loopback TCP for
# the test's own redis-cli).
it_port; RPORT=$REPLY
RDIR=$IT_WORK/redis-auth
SOCK=$RDIR/redis.sock
mkdir -p "$RDIR"
echo 's3cret-pass' >"$RDIR/password"
echo 'wrong-pass' >"$RDIR/wrong"
start_auth_redis() {
	redis-server --port "$RPORT" --bind 127.0.0.1 --unixsocket "$SOCK" \
		--unixsocketperm 700 --requirepass s3cret-pass --save '' \
		--appendonly no --dir "$RDIR" --dbfilename dump.rdb \
		--logfile "$RDIR/redis.log" --daemonize no >>"$RDIR/stdout" 2>&1 &
	REDIS_PID=$!
	it_track redis "$REDIS_PID"
	wait_until 5000 redis_up || it_bail "redis-server did not start with a password"
}
export REDISCLI_AUTH=s3cret-pass
start_auth_redis

filing auth.example.com active
route www.auth.example.com 192.0.2.130 198.51.100.130 30

# 1. unix socket + password file
it_start_unbound main redis-server="unix:$SOCK" redis-password-file="$RDIR/password" max-stale=2
it_wait_loaded main 1 1
assert_eq "unix socket + password file: redis_connected=1" 1 "$(modstat redis_connected)"
expect "unix socket + password: CN client gets cn" "$(res NOERROR A:192.0.2.130)" --ecs 1.0.1.0/24 www.auth.example.com A
expect "unix socket + password: US client gets offshore" "$(res NOERROR A:198.51.100.130)" --ecs 8.8.8.0/24 www.auth.example.com A
rcli HSET "${IT_PREFIX}filing:auth.example.com" status revoked >/dev/null
eventually "unix socket + password: live revoke within 1 s" 1000 "$(res NOERROR A:198.51.100.130)" --ecs 1.0.1.0/24 www.auth.example.com A
rcli HSET "${IT_PREFIX}filing:auth.example.com" status active >/dev/null
eventually "unix socket + password: restore within 1 s" 1000 "$(res NOERROR A:192.0.2.130)" --ecs 1.0.1.0/24 www.auth.example.com A

# 2. max-stale: Redis gone for more than 2 s -> offshore for all, stale=1;
#    back -> cn again, stale=0. Before max-stale runs out the table held
#    still answers.
it_stop_redis save
expect "Redis just stopped: the table held still answers cn" "$(res NOERROR A:192.0.2.130)" --ecs 1.0.1.0/24 www.auth.example.com A
eventually "Redis gone longer than max-stale (2 s): CN client offshore" 6000 "$(res NOERROR A:198.51.100.130)" --ecs 1.0.1.0/24 www.auth.example.com A
wait_until 3000 bash -c '[[ $(sed -n "s/^stale=//p" "$1") == 1 ]]' _ "${UB_DIR[main]}/stats"
assert_eq "stale table: stats stale=1" 1 "$(modstat stale)"
expect "stale table: US client still offshore (no SERVFAIL)" "$(res NOERROR A:198.51.100.130)" --ecs 8.8.8.0/24 www.auth.example.com A
if grep -q "max-stale" "${UB_DIR[main]}/unbound.log"; then ok "stale table: a log line names max-stale"; else not_ok "stale table: a log line names max-stale" "a line" "none"; fi
start_auth_redis
eventually "Redis back: CN client gets cn again" 8000 "$(res NOERROR A:192.0.2.130)" --ecs 1.0.1.0/24 www.auth.example.com A
wait_until 3000 bash -c '[[ $(sed -n "s/^stale=//p" "$1") == 0 ]]' _ "${UB_DIR[main]}/stats"
assert_eq "Redis back: stats stale=0" 0 "$(modstat stale)"

# 3. a wrong password: Unbound starts, answers offshore, says why
it_start_unbound wrong redis-server="unix:$SOCK" redis-password-file="$RDIR/wrong"
wait_until 3000 bash -c '[[ -n $(sed -n "s/^redis_connected=//p" "$1") ]]' _ "${UB_DIR[wrong]}/stats"
assert_eq "wrong password: redis_connected=0" 0 "$(modstat redis_connected wrong)"
# an empty table manages nothing: the name resolves normally (NSD has no
# such name), and the CN pool is given to nobody
expect "wrong password: the name resolves normally (empty table), not cn" "$(res NXDOMAIN)" --inst wrong --ecs 1.0.1.0/24 www.auth.example.com A
if grep -Eq "cnroute: Redis at unix:.*unreachable: .*(WRONGPASS|invalid|password)" "${UB_DIR[wrong]}/unbound.log"; then
	ok "wrong password: the log line says why"
else
	not_ok "wrong password: the log line says why" "a line naming the password error" "$(grep cnroute "${UB_DIR[wrong]}/unbound.log" | tail -2)"
fi
it_done
