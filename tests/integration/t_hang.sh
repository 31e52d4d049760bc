#!/bin/bash
# A Redis that stops answering (kill -STOP: the process is there, its
# sockets accept connections, nothing is answered) instead of one that is
# gone.
#
# Spec (README "Live changes and Redis outages", redis_sync.h):
#  - the sync thread hears from Redis at least once a second (PING when
#    idle, also while a full reconciliation streams replies); a Redis that
#    stops answering is detected: with max-stale N the table is stale
#    (stats stale=1, mainland clients of filed names get offshore, counted
#    in fail_closed) within N + 1 s of the SIGSTOP; after SIGCONT the
#    module reconnects, reconciles and stale=0 again (mainland gets cn);
#  - stop (SIGTERM) and `unbound-control reload` complete promptly whatever
#    the thread is doing, Redis stopped included; a reload without
#    snapshot-file hands the table to the new instance in memory, so it
#    keeps steering with Redis stopped (until max-stale, if set).
#
# Parts:
#  A. max-stale 2: SIGSTOP -> stale within 3 s (+ margin), mainland
#     offshore, fail_closed counted; while Redis hangs the thread does not
#     spin (CPU time) and the stats file is still rewritten about once a
#     second (README "Logs and counters"); SIGCONT -> stale 0, cn again,
#     live changes flow.
#  B. max-stale 4: SIGSTOP, reload at once: reload returns, Unbound answers,
#     mainland still cn from the handed-over table (not max-stale yet), then
#     stale (answers and stats file) within 5 s (+ margin) of the SIGSTOP;
#     SIGCONT -> recovers.
#  C. no max-stale: SIGSTOP, reload twice (at once, with the old instance's
#     connections up, and 1.5 s later, while the new instance's thread is
#     connecting to the hung Redis): the table stays in use, mainland keeps
#     cn, never stale, also past the heartbeat's give-up; SIGCONT -> live
#     changes flow.
#  D. SIGTERM to Unbound while Redis is stopped, once with the heartbeat's
#     PING outstanding, once while the thread retries connecting: Unbound
#     exits (10 s bound, only to detect a hang).
#  F. max-stale 1 with a healthy Redis: never stale (mainland always cn);
#     a hang longer than max-stale 2 but shorter than the heartbeat's
#     give-up (3 s without PONG): after SIGCONT, stale 0 and cn again.
#  E. a 300,000-key table, resync-interval 1, max-stale 2: SIGSTOP while a
#     full reconciliation streams replies -> stale within 3 s (+ margin);
#     reload while stopped (prompt; answers; stays fail-closed); SIGCONT ->
#     reconciled, stale 0, cn; then SIGTERM with Redis stopped half-way
#     through a reconciliation: Unbound exits.
# Last, the logs: a hung Redis must not be reported as one refusing CONFIG
# (notify-keyspace-events), and no reply left over from a timed-out command
# may be read as another command's ("unexpected SCAN reply").
# Redis is always given SIGCONT before the end (also by the EXIT trap).
. "$(dirname "$0")/lib.sh"
it_setup
trap 'rc=$?; [[ -n $REDIS_PID ]] && kill -CONT "$REDIS_PID" 2>/dev/null; (exit $rc); it_cleanup' EXIT

MARGIN=750          # ms allowed beyond "max-stale + 1 s" (sanitizer runs, stats file rename)
NEVER=10000         # ms: a bound only meant to tell "slow" from "never"
CN=(--ecs 1.0.1.0/24) US=(--ecs 8.8.8.0/24)
CN_A=$(res NOERROR A:192.0.2.150) OFF_A=$(res NOERROR A:198.51.100.150)

filing hg.example.com active
route www.hg.example.com 192.0.2.150 198.51.100.150 30
filing hg2.example.com active
route www.hg2.example.com 192.0.2.151 198.51.100.151 30

# ---- helpers
REDIS_STOPPED=0
redis_stop() {
	kill -STOP "$REDIS_PID" || it_bail "kill -STOP redis"
	T_STOP=$(now_ms) REDIS_STOPPED=1
	[[ $(ps -o stat= -p "$REDIS_PID") == T* ]] || it_bail "redis-server not stopped: $(ps -o stat= -p "$REDIS_PID")"
}
redis_cont() {
	kill -CONT "$REDIS_PID" || it_bail "kill -CONT redis"
	T_CONT=$(now_ms) REDIS_STOPPED=0
}
since_stop() { echo $(($(now_ms) - T_STOP)); }
# stat_is INST KEY VALUE
stat_is() { [[ $(modstat "$2" "$1") == "$3" ]]; }
started_count() { grep -c 'cnroute: started with' "${UB_DIR[$1]}/unbound.log"; }
reconciled_count() { grep -c 'cnroute: reconciled with Redis' "${UB_DIR[$1]}/unbound.log"; }
reloaded_p() { (($(started_count "$1") > $2)) && unbound_up "$1"; }
# cpu_ms PID: user + system CPU time of a process, ms
cpu_ms() { awk -v hz="$(getconf CLK_TCK)" '{ print int(($14 + $15) * 1000 / hz) }' "/proc/$1/stat"; }

# ub_reload INST: unbound-control reload (20 s timeout), then wait until the
# module's new instance logged its start and Unbound answers. Sets RL_OUT
# (unbound-control's output), RL_CTL_MS (until it returned), RL_MS (until
# Unbound answered with the new instance; -1: not within 20 s).
ub_reload() {
	local n=$1 c0 t0
	c0=$(started_count "$n")
	t0=$(now_ms)
	RL_OUT=$(timeout 20 "$UNBOUND_CONTROL" -c "${UB_DIR[$n]}/unbound.conf" -s "127.0.0.1@${UB_CPORT[$n]}" reload 2>&1)
	RL_CTL_MS=$(($(now_ms) - t0))
	if wait_until 20000 reloaded_p "$n" "$c0"; then RL_MS=$(($(now_ms) - t0)); else RL_MS=-1; fi
}
# assert_reload DESC: the assertions for the last ub_reload
assert_reload() {
	assert_eq "$1: unbound-control reload returns ok (in $RL_CTL_MS ms)" ok "$RL_OUT"
	if ((RL_MS >= 0 && RL_MS <= NEVER)); then
		ok "$1: Unbound answers with the new module instance ($RL_MS ms after the reload command)"
	else
		not_ok "$1: Unbound answers with the new module instance" "within $NEVER ms" "$RL_MS ms (-1: not within 20 s)"
	fi
}
# stop_unbound_timed INST: SIGTERM, wait (max 20 s) for the exit. Sets
# TERM_MS (-1: still running after 20 s; then it is killed) and TERM_RC.
stop_unbound_timed() {
	local n=$1 pid=${UB_PID[$1]} t0
	t0=$(now_ms)
	kill -TERM "$pid"
	if wait_until 20000 eval '! kill -0 '"$pid"' 2>/dev/null'; then
		TERM_MS=$(($(now_ms) - t0))
	else
		TERM_MS=-1
		kill -KILL "$pid" 2>/dev/null
	fi
	wait "$pid" 2>/dev/null
	TERM_RC=$?
	it_untrack "$pid"
	UB_PID[$n]=
}
# wait_stale INST DESC [BOUND_MS]: from T_STOP, poll the mainland answer and
# the stats file until both say stale; one assertion for each, with the
# time each took.
wait_stale() {
	local n=$1 d=$2 bound=$3 t_q="" t_s="" t
	while :; do
		t=$(since_stop)
		if [[ -z $t_q ]]; then
			q --inst "$n" "${CN[@]}" www.hg.example.com A
			[[ $Q_RES == "$OFF_A" ]] && t_q=$(since_stop)
		fi
		[[ -z $t_s ]] && stat_is "$n" stale 1 && t_s=$(since_stop)
		[[ -n $t_q && -n $t_s ]] && break
		((t > bound + 5000)) && break
		sleep 0.05
	done
	if [[ -n $t_q ]] && ((t_q <= bound)); then
		ok "$d: mainland gets offshore $t_q ms after SIGSTOP (bound $bound ms)"
	else
		not_ok "$d: mainland gets offshore" "within $bound ms of SIGSTOP" "${t_q:-never (last: $Q_RES)} ms"
	fi
	if [[ -n $t_s ]] && ((t_s <= bound)); then
		ok "$d: stats file stale=1 $t_s ms after SIGSTOP (bound $bound ms)"
	else
		not_ok "$d: stats file stale=1" "within $bound ms of SIGSTOP" "${t_s:-never (stale=$(modstat stale "$n"))} ms"
	fi
}
# wait_recovered INST DESC: after SIGCONT, stale=0 and mainland cn.
wait_recovered() {
	local n=$1 d=$2 bound=${3:-$((2 * NEVER))} t_q="" t_s="" t
	while :; do
		t=$(($(now_ms) - T_CONT))
		if [[ -z $t_q ]]; then
			q --inst "$n" "${CN[@]}" www.hg.example.com A
			[[ $Q_RES == "$CN_A" ]] && t_q=$t
		fi
		[[ -z $t_s ]] && stat_is "$n" stale 0 && stat_is "$n" redis_connected 1 && t_s=$t
		[[ -n $t_q && -n $t_s ]] && break
		((t > bound)) && break
		sleep 0.1
	done
	if [[ -n $t_q ]]; then ok "$d: mainland gets cn again ($t_q ms after SIGCONT)"
	else not_ok "$d: mainland gets cn again" "within $bound ms of SIGCONT" "'$Q_RES'"; fi
	if [[ -n $t_s ]]; then ok "$d: stats stale=0 redis_connected=1 ($t_s ms after SIGCONT)"
	else not_ok "$d: stats stale=0 redis_connected=1" "within $bound ms of SIGCONT" \
		"stale=$(modstat stale "$n") redis_connected=$(modstat redis_connected "$n")"; fi
}

# ================================================================ A
it_up main max-stale=2 resync-interval=1
expect "A: before: mainland gets cn" "$CN_A" "${CN[@]}" www.hg.example.com A
assert_eq "A: before: stats stale=0" 0 "$(modstat stale)"
sleep 1.5   # a few heartbeats and reconciliations
fc0=$(modstat fail_closed)
cpu0=$(cpu_ms "${UB_PID[main]}")
STATS_MAIN=${UB_DIR[main]}/stats
redis_stop
# record when the stats file is rewritten (written aside and renamed: a new
# inode each time) during the first 8 s of the hang
(
	last=$(stat -c %i "$STATS_MAIN" 2>/dev/null)
	while (($(now_ms) - T_STOP < 8000)); do
		i=$(stat -c %i "$STATS_MAIN" 2>/dev/null)
		[[ -n $i && $i != "$last" ]] && { echo $(($(now_ms) - T_STOP)); last=$i; }
		sleep 0.05
	done
) >"$IT_WORK/stats_writes" &
MONPID=$!
expect "A: just after SIGSTOP (not max-stale yet): mainland still gets cn" "$CN_A" "${CN[@]}" www.hg.example.com A
wait_stale main "A: max-stale 2" $((3000 + MARGIN))
expect "A: stale: US gets offshore" "$OFF_A" "${US[@]}" www.hg.example.com A
expect "A: stale: unmanaged names still resolve" "$(res NOERROR A:203.0.113.10)" "${CN[@]}" plain.example.com A
wait_until $NEVER bash -c '(( $(sed -n "s/^fail_closed=//p" "$1") > $2 ))' _ "$STATS_MAIN" "$fc0"
assert_ge "A: stale: the offshore answers are counted in fail_closed (was $fc0)" $((fc0 + 1)) "$(modstat fail_closed)"
# The thread waits for Redis in poll(); it should not burn a CPU meanwhile
# (resync-interval 1: the next reconciliation falls due while the
# heartbeat's PING is unanswered).
t=$(since_stop); ((t < 4500)) && sleep "$(((4500 - t) / 1000)).$(((4500 - t) % 1000 / 100))"
cpu1=$(cpu_ms "${UB_PID[main]}")
diag "A: Unbound used $((cpu1 - cpu0)) ms of CPU in the first $(since_stop) ms of the hang"
assert_le "A: waiting for a hung Redis does not spin: Unbound's CPU time in the first 4.5 s of the hang (ms)" 1000 $((cpu1 - cpu0))
wait "$MONPID"
writes=$(tr '\n' ' ' <"$IT_WORK/stats_writes")
gap=$(awk 'BEGIN { p = 0; m = 0 } { if ($1 - p > m) m = $1 - p; p = $1 } END { if (8000 - p > m) m = 8000 - p; print m }' "$IT_WORK/stats_writes")
diag "A: stats file rewritten at (ms after SIGSTOP): $writes"
assert_le "A: the stats file is rewritten about once a second during the hang: longest gap in the first 8 s (ms)" 2000 "$gap"
grep 'cnroute:' "${UB_DIR[main]}/unbound.log" | tail -4 | diag "$(cat)"
wait_until $NEVER stat_is main redis_connected 0
assert_eq "A: stats redis_connected=0 while Redis is stopped (seen $(since_stop) ms after SIGSTOP)" 0 "$(modstat redis_connected)"
redis_cont
wait_recovered main "A: SIGCONT"
rcli HSET "${IT_PREFIX}filing:hg.example.com" status revoked >/dev/null
eventually "A: after SIGCONT: a revoke reaches the resolver within 1 s" 1000 "$OFF_A" "${CN[@]}" www.hg.example.com A
rcli HSET "${IT_PREFIX}filing:hg.example.com" status active >/dev/null
eventually "A: after SIGCONT: restore within 1 s" 1000 "$CN_A" "${CN[@]}" www.hg.example.com A

# ================================================================ B
sed -i -e 's/^max-stale:.*/max-stale: 4/' -e 's/^resync-interval:.*/resync-interval: 5/' "${UB_DIR[main]}/cnroute.conf"
ub_reload main
assert_reload "B: reload to max-stale 4 (Redis up)"
wait_until $NEVER loaded_p main 2 2
sleep 1.5
redis_stop
ub_reload main
assert_reload "B: reload while Redis is stopped"
t=$(since_stop)
q "${CN[@]}" www.hg.example.com A
if ((t <= 1500)); then
	# data_time (whole seconds) may be 1 s older than the last contact,
	# itself up to 1.25 s before the SIGSTOP: not stale before 1.75 s
	assert_res "B: after the reload, $t ms after SIGSTOP (< max-stale): mainland still cn (handed-over table)" "$CN_A"
else
	diag "B: the reload took until $t ms after SIGSTOP: too late to require cn (got '$Q_RES')"
	assert_match "B: after the reload: mainland gets cn or offshore (the table was handed over)" \
		"^($CN_A|$OFF_A)\$" "$Q_RES"
fi
expect "B: after the reload: US gets offshore" "$OFF_A" "${US[@]}" www.hg.example.com A
wait_stale main "B: max-stale 4, reloaded while stopped" $((5000 + MARGIN))
redis_cont
wait_recovered main "B: SIGCONT"

# ================================================================ C
sed -i -e '/^max-stale:/d' "${UB_DIR[main]}/cnroute.conf"
ub_reload main
assert_reload "C: reload to no max-stale (Redis up)"
wait_until $NEVER loaded_p main 2 2
sleep 1.5
redis_stop
ub_reload main
assert_reload "C: reload at once after SIGSTOP"
expect "C: after the reload: mainland still cn (table handed over in memory)" "$CN_A" "${CN[@]}" www.hg.example.com A
expect "C: after the reload: hg2 mainland cn" "$(res NOERROR A:192.0.2.151)" "${CN[@]}" www.hg2.example.com A
# the heartbeat gives up after 3 s without a PONG; then connection attempts
# hang on the stopped Redis: reload again while the thread is at that
wait_until $NEVER stat_is main redis_connected 0
diag "C: redis_connected=0 $(since_stop) ms after SIGSTOP"
sleep 1.5
t=$(since_stop)
ub_reload main
assert_reload "C: reload $t ms after SIGSTOP (the thread connecting to the hung Redis)"
expect "C: after the second reload: mainland still cn" "$CN_A" "${CN[@]}" www.hg.example.com A
expect "C: after the second reload: US offshore" "$OFF_A" "${US[@]}" www.hg.example.com A
sleep 4
expect "C: $(since_stop) ms after SIGSTOP, no max-stale: mainland still cn" "$CN_A" "${CN[@]}" www.hg.example.com A
assert_eq "C: no max-stale: stats stale=0" 0 "$(modstat stale)"
assert_eq "C: stats redis_connected=0" 0 "$(modstat redis_connected)"
redis_cont
rcli HSET "${IT_PREFIX}filing:hg2.example.com" status revoked >/dev/null
t0=$(now_ms)
eventually "C: after SIGCONT: a revoke made then reaches the resolver" $((2 * NEVER)) "$(res NOERROR A:198.51.100.151)" \
	"${CN[@]}" www.hg2.example.com A
wait_until $NEVER stat_is main redis_connected 1
assert_eq "C: after SIGCONT: redis_connected=1" 1 "$(modstat redis_connected)"

# ================================================================ D
it_start_unbound d1
it_start_unbound d2
wait_until $NEVER loaded_p d1 2 2 && wait_until $NEVER loaded_p d2 2 2 ||
	it_bail "d1/d2 not loaded: $(cat "${UB_DIR[d1]}/stats" "${UB_DIR[d2]}/stats")"
sleep 1.5
redis_stop
sleep 0.5
t=$(since_stop)
stop_unbound_timed d1
if ((TERM_MS >= 0 && TERM_MS <= NEVER)); then
	ok "D: SIGTERM $t ms after SIGSTOP (PING outstanding): Unbound exits in $TERM_MS ms (status $TERM_RC)"
else
	not_ok "D: SIGTERM $t ms after SIGSTOP: Unbound exits" "within $NEVER ms" "$TERM_MS ms (-1: not in 20 s, killed)"
fi
wait_until $NEVER grep -q 'cnroute: Redis at .* unreachable' "${UB_DIR[d2]}/unbound.log"
sleep 0.5
t=$(since_stop)
stop_unbound_timed d2
if ((TERM_MS >= 0 && TERM_MS <= NEVER)); then
	ok "D: SIGTERM $t ms after SIGSTOP (thread reconnecting): Unbound exits in $TERM_MS ms (status $TERM_RC)"
else
	not_ok "D: SIGTERM $t ms after SIGSTOP: Unbound exits" "within $NEVER ms" "$TERM_MS ms (-1: not in 20 s, killed)"
fi
expect "D: the other instance (main) still answers and steers" "$(res NOERROR A:192.0.2.150)" "${CN[@]}" www.hg.example.com A
redis_cont

# ================================================================ F
# max-stale 1 with a healthy Redis: Redis is never unreachable, so the
# table must never count as stale.
it_up f1 max-stale=1 resync-interval=3600
n=0 off=0
for ((i = 0; i < 30; i++)); do
	q --inst f1 "${CN[@]}" www.hg.example.com A
	n=$((n + 1)); [[ $Q_RES == "$CN_A" ]] || off=$((off + 1))
	sleep 0.1
done
assert_eq "F: max-stale 1, Redis healthy: mainland answers that were not cn (of $n over 3 s)" 0 "$off"
sleep 1.1
assert_eq "F: max-stale 1, Redis healthy: stats stale=0" 0 "$(modstat stale f1)"
grep 'cnroute: .*stale' "${UB_DIR[f1]}/unbound.log" | head -2 | diag "$(cat)"
it_stop_unbound f1; UB_PID[f1]=
# A hang just longer than max-stale 2 but shorter than the heartbeat's 3 s
# without a PONG: the connection survives; once Redis answers again the
# table is current and must not stay stale.
it_up f2 max-stale=2 resync-interval=3600
sleep 1.5
redis_stop
wait_stale f2 "F: short hang, max-stale 2" $((3000 + MARGIN))
redis_cont
wait_recovered f2 "F: SIGCONT $(($(now_ms) - T_STOP)) ms after SIGSTOP (before the heartbeat gives up)" $NEVER
n=$(grep -c 'cnroute: Redis at .* unreachable' "${UB_DIR[f2]}/unbound.log")
diag "F: 'unreachable' lines of f2 (the connection was $( ((n == 0)) && echo kept || echo dropped)): $n"
grep 'cnroute:' "${UB_DIR[f2]}/unbound.log" | tail -3 | diag "$(cat)"
it_stop_unbound f2; UB_PID[f2]=

# ================================================================ E
it_stop_unbound main
UB_PID[main]=
NB=150000
t0=$(now_ms)
awk -v p="$IT_PREFIX" -v n=$NB 'BEGIN {
	for (k = 0; k < n; k++) {
		x = k % 250 + 1
		printf "HSET %sfiling:e%d.hang.example.com status active icp x\n", p, k
		printf "HSET %sroute:www.e%d.hang.example.com cn 192.0.2.%d offshore 198.51.100.%d ttl 30\n", p, k, x, x
	}
}' | rcli --pipe >"$IT_WORK/pipe.out" 2>&1 || it_bail "redis-cli --pipe: $(tail -3 "$IT_WORK/pipe.out")"
grep -q 'errors: 0,' "$IT_WORK/pipe.out" || it_bail "redis-cli --pipe: $(tail -3 "$IT_WORK/pipe.out")"
KEYS=$(rcli DBSIZE)
diag "E: Redis filled with $KEYS keys in $(($(now_ms) - t0)) ms"
it_start_unbound big max-stale=2 resync-interval=1
IT_INST=big
wait_until 100000 bash -c '(( $(sed -n "s/^full_syncs=//p" "$1") >= 1 ))' _ "${UB_DIR[big]}/stats" ||
	it_bail "E: load not complete within 100 s: $(cat "${UB_DIR[big]}/stats")"
diag "E: $(grep -h 'reconciled with Redis' "${UB_DIR[big]}/unbound.log" | tail -1)"
expect "E: loaded: mainland cn" "$CN_A" "${CN[@]}" www.hg.example.com A
expect "E: loaded: e$((NB - 1)) mainland cn" "$(res NOERROR A:192.0.2.$(((NB - 1) % 250 + 1)))" "${CN[@]}" "www.e$((NB - 1)).hang.example.com" A

scans() { rcli INFO commandstats | sed -n 's/^cmdstat_scan:calls=\([0-9]*\),.*/\1/p'; }
hgetalls() { rcli INFO commandstats | sed -n 's/^cmdstat_hgetall:calls=\([0-9]*\),.*/\1/p'; }
# stop_mid_full: SIGSTOP Redis while the thread streams a reconciliation's
# HGETALL replies: after a reconciliation ended, once the next one sent its
# first SCAN and HGETALLs are seen being served. Sets R0, the reconciled
# lines logged before it began.
stop_mid_full() {
	local s0 n h1 try
	wait_until $NEVER bash -c '(( $(sed -n "s/^full_syncs=//p" "$1") >= 1 ))' _ "${UB_DIR[big]}/stats"
	for ((try = 0; try < 10; try++)); do
		n=$(reconciled_count big)
		wait_until $NEVER eval '(( $(reconciled_count big) > '"$n"' ))'   # a reconciliation ends ...
		s0=$(scans)
		wait_until $NEVER eval '(( $(scans) > '"$s0"' ))'                 # ... the next one begins
		R0=$(reconciled_count big)
		sleep 0.1
		h1=$(hgetalls)
		sleep 0.05
		(($(hgetalls) > h1)) && break
		diag "E: no HGETALL stream seen 150 ms after a SCAN (try $try)"
	done
	redis_stop
}
stop_mid_full
wait_stale big "E: SIGSTOP during a full reconciliation, max-stale 2" $((3000 + MARGIN))
assert_eq "E: the reconciliation running at the SIGSTOP never completed (no new 'reconciled' line)" "$R0" "$(reconciled_count big)"
grep 'cnroute:' "${UB_DIR[big]}/unbound.log" | tail -3 | diag "$(cat)"
ub_reload big
assert_reload "E: reload with Redis stopped during a reconciliation"
expect "E: after that reload: still fail-closed (stale table handed over): mainland offshore" "$OFF_A" "${CN[@]}" www.hg.example.com A
expect "E: after that reload: US offshore" "$OFF_A" "${US[@]}" www.hg.example.com A
redis_cont
wait_recovered big "E: SIGCONT"
assert_ge "E: after SIGCONT: reconciled again" 1 "$(modstat full_syncs)"
expect "E: after SIGCONT: e0 mainland cn" "$(res NOERROR A:192.0.2.1)" "${CN[@]}" www.e0.hang.example.com A

stop_mid_full
t=$(since_stop)
stop_unbound_timed big
if ((TERM_MS >= 0 && TERM_MS <= NEVER)); then
	ok "E: SIGTERM with Redis stopped half-way through a reconciliation: Unbound exits in $TERM_MS ms (status $TERM_RC)"
else
	not_ok "E: SIGTERM with Redis stopped half-way through a reconciliation: Unbound exits" "within $NEVER ms" "$TERM_MS ms (-1: not in 20 s, killed)"
fi
redis_cont

# ================================================================ logs
# A Redis that does not answer is not a Redis that refuses CONFIG: the
# connection attempt should fail, not go on with a reply outstanding.
n=$(cat "$IT_WORK"/ub-*/unbound.log | grep -c 'cnroute: cannot \(read\|enable\) Redis notify-keyspace-events\|cnroute: cannot enable Redis keyspace')
assert_eq "logs: no claim that keyspace notifications cannot be enabled (CONFIG works on this Redis; it only hung)" 0 "$n"
grep -h 'cnroute: cannot \(read\|enable\) Redis' "$IT_WORK"/ub-*/unbound.log | head -2 | diag "$(cat)"
n=$(cat "$IT_WORK"/ub-*/unbound.log | grep -c 'unexpected SCAN reply')
assert_eq "logs: no 'unexpected SCAN reply' (a reply left over from a timed-out command read as the SCAN's)" 0 "$n"
grep -h 'unexpected SCAN reply' "$IT_WORK"/ub-*/unbound.log | head -2 | diag "$(cat)"
it_done
