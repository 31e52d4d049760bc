#!/bin/bash
# A fleet on one Redis: a primary, two replicas (CONFIG renamed away on
# every server, known only to Sentinel), one Sentinel, two resolvers each
# reading its own replica as an ACL user with only the documented rights.
#  - changes reach both resolvers by client tracking (no CONFIG, no
#    notify-keyspace-events set anywhere);
#  - the fleet status question (CH TXT status.cnroute.) tells the link,
#    the server, the table and staleness; off by default;
#  - a replica stopped: its resolver moves on to the next server listed
#    and keeps following changes; the replica back: nothing lost;
#  - SENTINEL FAILOVER: writes to the new primary reach both resolvers.
. "$(dirname "$0")/lib.sh"
it_begin
it_start_nsd
CFG_SECRET=cfg-$RANDOM$RANDOM
PASS=fleet-pass-$RANDOM
# The documented minimal ACL of a resolver (README, "Running a fleet").
ACL_RULE=(on ">$PASS" resetchannels "&__redis__:invalidate" "~${IT_PREFIX}*"
	-@all +@read +@connection -@dangerous +subscribe)

# fleet_redis NAME [replicaof PORT]: a Redis of the fleet -> PORT_<NAME>
fleet_redis() {
	local n=$1 d=$IT_WORK/redis-$1 port
	it_port; port=$REPLY
	mkdir -p "$d"
	{
		echo "port $port"
		echo "bind 127.0.0.1"
		echo "dir $d"
		echo "save \"\""
		echo "appendonly no"
		echo "logfile $d/redis.log"
		echo "rename-command CONFIG $CFG_SECRET"
		echo "replica-announce-ip 127.0.0.1"
		[[ ${2:-} == replicaof ]] && echo "replicaof 127.0.0.1 $3"
	} >"$d/redis.conf"
	redis-server "$d/redis.conf" >>"$d/stdout" 2>&1 &
	it_track "redis-$n" $!
	eval "PID_$n=$!"
	eval "PORT_$n=$port"
	wait_until 5000 bash -c "[[ \$(redis-cli -p $port ping 2>/dev/null) == PONG ]]" ||
		it_bail "redis $n did not start on $port"
	# ACLs are not replicated: every server gets the resolver's user
	redis-cli -p "$port" ACL SETUSER cnroute-resolver "${ACL_RULE[@]}" >/dev/null ||
		it_bail "ACL SETUSER on $n"
}
fleet_redis primary
fleet_redis r1 replicaof "$PORT_primary"
fleet_redis r2 replicaof "$PORT_primary"
RPORT=$PORT_primary   # filing/route/rcli write to the primary
for p in "$PORT_r1" "$PORT_r2"; do
	wait_until 10000 bash -c "redis-cli -p $p info replication | grep -q 'master_link_status:up'" ||
		it_bail "replica on $p did not link up"
done
got=$(redis-cli -p "$PORT_r1" CONFIG GET notify-keyspace-events 2>&1)
assert_match "CONFIG is renamed away on the replicas" "unknown command" "$got"

# Sentinel, told the renamed CONFIG
it_port; SPORT=$REPLY
mkdir -p "$IT_WORK/sentinel"
cat >"$IT_WORK/sentinel/sentinel.conf" <<EOF
port $SPORT
bind 127.0.0.1
dir $IT_WORK/sentinel
logfile $IT_WORK/sentinel/sentinel.log
sentinel monitor main 127.0.0.1 $PORT_primary 1
sentinel down-after-milliseconds main 2000
sentinel failover-timeout main 10000
sentinel rename-command main CONFIG $CFG_SECRET
EOF
redis-server "$IT_WORK/sentinel/sentinel.conf" --sentinel >>"$IT_WORK/sentinel/stdout" 2>&1 &
it_track sentinel $!
wait_until 5000 bash -c "[[ \$(redis-cli -p $SPORT ping 2>/dev/null) == PONG ]]" || it_bail "sentinel did not start"
primary_port() { redis-cli -p "$SPORT" SENTINEL get-master-addr-by-name main | sed -n 2p; }
wait_until 10000 bash -c "[[ \$(redis-cli -p $SPORT SENTINEL replicas main | grep -c '^ip$') == 2 ]]" ||
	diag "sentinel does not list two replicas yet"

filing fl.example.com active
route www.fl.example.com 192.0.2.120 198.51.100.120 30
route www2.fl.example.com 192.0.2.121 198.51.100.121 30
printf '%s\n' "$PASS" >"$IT_WORK/redis.pass"
chmod 600 "$IT_WORK/redis.pass"
for p in "$PORT_r1" "$PORT_r2"; do
	wait_until 5000 bash -c "[[ \$(redis-cli -p $p exists ${IT_PREFIX}route:www2.fl.example.com) == 1 ]]" ||
		it_bail "data did not replicate to $p"
done

# the two resolvers: each its own replica first, the other second
COMMON=(redis-user=cnroute-resolver "redis-password-file=$IT_WORK/redis.pass"
	resync-interval=3600 max-stale=0)
it_start_unbound a "redis-server=127.0.0.1:$PORT_r1 127.0.0.1:$PORT_r2" \
	"${COMMON[@]}" fleet-status=yes
it_start_unbound b "redis-server=127.0.0.1:$PORT_r2 127.0.0.1:$PORT_r1" \
	"${COMMON[@]}" fleet-status=yes
it_wait_loaded a 2 1
it_wait_loaded b 2 1
CN=(--ecs 1.0.1.0/24)
expect "a: CN gets cn from its replica" "$(res NOERROR A:192.0.2.120)" --inst a "${CN[@]}" www.fl.example.com A
expect "b: CN gets cn from its replica" "$(res NOERROR A:192.0.2.120)" --inst b "${CN[@]}" www.fl.example.com A
for n in a b; do
	if grep -q "reach the module by client tracking" "${UB_DIR[$n]}/unbound.log"; then
		ok "$n: changes arrive by client tracking"
	else
		not_ok "$n: changes arrive by client tracking" "tracking" "$(grep cnroute "${UB_DIR[$n]}/unbound.log" | tail -3)"
	fi
done
for p in "$PORT_primary" "$PORT_r1" "$PORT_r2"; do
	got=$(redis-cli -p "$p" "$CFG_SECRET" GET notify-keyspace-events | sed -n 2p)
	assert_eq "notify-keyspace-events left alone on :$p" "" "$got"
done

# status: TXT strings of one record, "key=value"
status() { # INSTANCE -> STATUS (one line of key=value words)
	STATUS=$(kdig @127.0.0.1 -p "${UB_PORT[$1]}" +time=2 +retry=1 +short status.cnroute CH TXT 2>/dev/null | tr -d '"')
}
field() { tr ' ' '\n' <<<"$STATUS" | sed -n "s/^$1=//p"; }
status a
assert_eq "a: status redis=up" up "$(field redis)"
assert_eq "a: status names its replica" "127.0.0.1:$PORT_r1" "$(field server)"
assert_eq "a: status changes=tracking" tracking "$(field changes)"
assert_eq "a: status routes=2" 2 "$(field routes)"
assert_eq "a: status filings=1" 1 "$(field filings)"
assert_eq "a: status stale=no" no "$(field stale)"
assert_le "a: status contact-age <= 2 s (heartbeat every second)" 2 "$(field contact-age)"
status b
assert_eq "b: status names its replica" "127.0.0.1:$PORT_r2" "$(field server)"
ttl=$(kdig @127.0.0.1 -p "${UB_PORT[a]}" +time=2 +noall +answer status.cnroute CH TXT | awk '{print $2}')
assert_eq "status answer TTL is 0" 0 "$ttl"
status a
age1=$(field now)
sleep 1.1
status a
assert_ge "status is not cached: 'now' moves" "$((age1 + 1))" "$(field now)"

# revocation on the primary reaches both resolvers through the replicas
t0=$(now_ms)
filing fl.example.com revoked
for n in a b; do
	eventually "$n: revocation on the primary reaches the resolver within 1 s" 1000 \
		"$(res NOERROR A:198.51.100.120)" --inst "$n" "${CN[@]}" www.fl.example.com A
done
status a
assert_ge "a: status last-change is the revocation's time" $((t0 / 1000)) "$(field last-change)"
filing fl.example.com active
for n in a b; do
	eventually "$n: restore reaches the resolver within 1 s" 1000 \
		"$(res NOERROR A:192.0.2.120)" --inst "$n" "${CN[@]}" www.fl.example.com A
done

# a replica stopped: a moves on to r2 and keeps following
it_kill_pid "$PID_r1"
it_untrack "$PID_r1"
wait_until 8000 bash -c "kdig @127.0.0.1 -p ${UB_PORT[a]} +short status.cnroute CH TXT | grep -q 'server=127.0.0.1:$PORT_r2'"
status a
assert_eq "r1 stopped: a reads r2" "127.0.0.1:$PORT_r2" "$(field server)"
assert_eq "r1 stopped: a's link is up" up "$(field redis)"
filing fl.example.com revoked
eventually "r1 stopped: revocation reaches a (via r2) within 1 s" 1000 \
	"$(res NOERROR A:198.51.100.120)" --inst a "${CN[@]}" www.fl.example.com A
fleet_redis r1b replicaof "$PORT_primary"   # the replica back (a new one)
filing fl.example.com active
eventually "replica back: restore reaches a within 1 s" 1000 \
	"$(res NOERROR A:192.0.2.120)" --inst a "${CN[@]}" www.fl.example.com A

# failover: the primary moves to a replica; writes to it reach both
old=$(primary_port)
assert_eq "Sentinel names the primary" "$PORT_primary" "$old"
redis-cli -p "$SPORT" SENTINEL FAILOVER main >/dev/null
wait_until 20000 bash -c "[[ \$(redis-cli -p $SPORT SENTINEL get-master-addr-by-name main | sed -n 2p) != $old ]]"
new=$(primary_port)
if [[ $new != "$old" && -n $new ]]; then ok "failover moved the primary ($old -> $new)"; else not_ok "failover moved the primary" "not $old" "$new"; fi
wait_until 20000 bash -c "[[ \$(redis-cli -p $new role | head -1) == master ]]"
RPORT=$new
wait_until 20000 bash -c "redis-cli -p $new HSET ${IT_PREFIX}probe:x v 1 >/dev/null 2>&1 && [[ \$(redis-cli -p $PORT_r2 info replication | grep -c 'master_link_status:up') == 1 || $new == $PORT_r2 ]]"
sleep 1
filing fl.example.com revoked
for n in a b; do
	eventually "after failover: revocation on the new primary reaches $n within 2 s" 2000 \
		"$(res NOERROR A:198.51.100.120)" --inst "$n" "${CN[@]}" www.fl.example.com A
done

# fleet-status is off by default: the question is not the module's
it_start_unbound c "redis-server=127.0.0.1:$PORT_r2" "${COMMON[@]}"
status c
if [[ $STATUS == *cnroute-status=* ]]; then not_ok "fleet-status off: no status answer" "" "$STATUS"; else ok "fleet-status off: no status answer"; fi

# an ACL user without client tracking: keyspace notifications, not CONFIG
redis-cli -p "$PORT_r2" ACL SETUSER cnroute-old on ">$PASS" resetchannels "&__keyspace@0__:${IT_PREFIX}*" "&__redis__:invalidate" \
	"~${IT_PREFIX}*" -@all +@read +ping +client\|id +subscribe +psubscribe >/dev/null
it_start_unbound d "redis-server=127.0.0.1:$PORT_r2" redis-user=cnroute-old \
	"redis-password-file=$IT_WORK/redis.pass" resync-interval=3600
it_wait_loaded d 2 1
if grep -q "refused client tracking" "${UB_DIR[d]}/unbound.log" &&
	grep -q "neither client tracking nor keyspace notifications\|cannot read Redis notify-keyspace-events" "${UB_DIR[d]}/unbound.log"; then
	ok "without tracking rights: falls back, says changes wait for the reconciliation"
else
	not_ok "without tracking rights: falls back, says so" "fallback lines" "$(grep cnroute "${UB_DIR[d]}/unbound.log" | tail -4)"
fi
got=$(redis-cli -p "$PORT_r2" "$CFG_SECRET" GET notify-keyspace-events | sed -n 2p)
assert_eq "fallback: notify-keyspace-events not changed (redis-notify-config: no)" "" "$got"
it_done
