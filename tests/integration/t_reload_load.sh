#!/bin/bash
# Reloads while the sync thread is busy with a large table.
#
# Spec (README "Live changes and Redis outages", redis_sync.c header):
#  - `unbound-control reload` (and stop) complete promptly whatever the sync
#    thread is doing, a full reconciliation of a large table included; the
#    resolver answers afterwards, and once a load completes the answers are
#    right;
#  - the sync thread never touches Unbound's caches (it only asks the
#    workers to purge them, for names that gained a route): a reload that
#    changes msg-cache-size / rrset-cache-size while the thread is busy and
#    routes are being added must not crash, and under the ASan module leaves
#    no sanitizer report.
#
# Parts:
#  1. 800,000 keys in Redis before Unbound starts; Unbound is started without
#     waiting for the load and reloaded three times while the first load
#     has not completed (no "reconciled" line yet at each reload). After the
#     load: every key loaded, a filed name cn for mainland, a revoked one
#     offshore, US offshore.
#  2. resync-interval 1 (a reconciliation of 800,000 keys almost all the
#     time, and a fresh one after every reload, which hands the table
#     over), a loop adding routes for names resolved (and cached) just
#     before, and four reloads that change msg-cache-size and
#     rrset-cache-size: the first with the old instance idle, one right
#     after the previous reload (during the new instance's first, fresh,
#     reconciliation), two while a reconciliation's HGETALL replies are
#     seen being served. Unbound stays up, answers, reports the
#     new cache sizes, and the routes added are in effect (the cached
#     NXDOMAIN of such a name was purged).
#  3. SIGTERM while a reconciliation streams: Unbound exits (10 s bound, only
#     to detect a hang).
. "$(dirname "$0")/lib.sh"
it_setup

NP=400000           # filings lk.rl.example.com (every 97th revoked) + routes www.lk...
NEVER=10000
MAINLAND=1.0.1.0/24 US=8.8.8.0/24
CN=(--ecs $MAINLAND)

# ---- helpers
started_count() { grep -c 'cnroute: started with' "${UB_DIR[main]}/unbound.log"; }
reconciled_count() { grep -c 'cnroute: reconciled with Redis' "${UB_DIR[main]}/unbound.log"; }
reloaded_p() { (($(started_count) > $1)) && unbound_up main; }
hgetalls() { rcli INFO commandstats | sed -n 's/^cmdstat_hgetall:calls=\([0-9]*\),.*/\1/p'; }
# ub_reload: unbound-control reload (20 s timeout), then wait until the new
# module instance logged its start and Unbound answers. Sets RL_OUT,
# RL_CTL_MS, RL_MS (-1: not within 20 s).
ub_reload() {
	local c0 t0
	c0=$(started_count)
	t0=$(now_ms)
	RL_OUT=$(timeout 20 "$UNBOUND_CONTROL" -c "${UB_DIR[main]}/unbound.conf" -s "127.0.0.1@${UB_CPORT[main]}" reload 2>&1)
	RL_CTL_MS=$(($(now_ms) - t0))
	if wait_until 20000 reloaded_p "$c0"; then RL_MS=$(($(now_ms) - t0)); else RL_MS=-1; fi
}
assert_reload() {
	assert_eq "$1: unbound-control reload returns ok (in $RL_CTL_MS ms)" ok "$RL_OUT"
	if ((RL_MS >= 0 && RL_MS <= NEVER)); then
		ok "$1: Unbound answers with the new module instance ($RL_MS ms after the reload command)"
	else
		not_ok "$1: Unbound answers with the new module instance" "within $NEVER ms" "$RL_MS ms (-1: not within 20 s)"
	fi
}
# wait_streaming: until a reconciliation's HGETALLs are seen being served
wait_streaming() {
	local h1 end=$(($(now_ms) + 20000))
	while (($(now_ms) < end)); do
		h1=$(hgetalls)
		sleep 0.05
		(($(hgetalls) > h1)) && return 0
	done
	return 1
}
# set_cache_sizes MSG RRSET: rewrite the sizes in unbound.conf
set_cache_sizes() {
	sed -i -e "s/^\( *msg-cache-size:\).*/\1 $1/" -e "s/^\( *rrset-cache-size:\).*/\1 $2/" "${UB_DIR[main]}/unbound.conf"
	grep -q "msg-cache-size: $1\$" "${UB_DIR[main]}/unbound.conf" || it_bail "msg-cache-size not rewritten"
}

# ---- fill Redis
t0=$(now_ms)
awk -v p="$IT_PREFIX" -v n=$NP 'BEGIN {
	for (k = 0; k < n; k++) {
		x = k % 250 + 1
		printf "HSET %sfiling:l%d.rl.example.com status %s icp x\n", p, k, (k % 97 == 5) ? "revoked" : "active"
		printf "HSET %sroute:www.l%d.rl.example.com cn 192.0.2.%d offshore 198.51.100.%d ttl 30\n", p, k, x, x
	}
	printf "HSET %sfiling:add.rl.example.com status active\n", p
}' | rcli --pipe >"$IT_WORK/pipe.out" 2>&1 || it_bail "redis-cli --pipe: $(tail -3 "$IT_WORK/pipe.out")"
grep -q 'errors: 0,' "$IT_WORK/pipe.out" || it_bail "redis-cli --pipe: $(tail -3 "$IT_WORK/pipe.out")"
KEYS=$(rcli DBSIZE)
diag "Redis filled with $KEYS keys in $(($(now_ms) - t0)) ms"
((KEYS >= 300000)) || it_bail "only $KEYS keys in Redis"
EXP_FILINGS=$((NP + 1)) EXP_ROUTES=$NP

# ================================================================ 1
IT_UNBOUND_SERVER=("msg-cache-size: 4m" "rrset-cache-size: 8m")
t0=$(now_ms)
it_start_unbound main resync-interval=3600
diag "1: Unbound answered $(($(now_ms) - t0)) ms after its start"
for i in 1 2 3; do
	n=$(reconciled_count)
	assert_eq "1: reload $i is made while the first load has not completed (no 'reconciled' line yet)" 0 "$n"
	ub_reload
	assert_reload "1: reload $i during the first load"
	q "${CN[@]}" www.l0.rl.example.com A
	assert_match "1: after reload $i: a managed name gets NXDOMAIN (not loaded yet) or its cn answer" \
		"^(NXDOMAIN|NOERROR A:192\.0\.2\.1)\$" "$Q_RES"
done
assert_eq "1: the module was started four times" 4 "$(started_count)"
t0=$(now_ms)
wait_until 100000 bash -c '(( $(sed -n "s/^full_syncs=//p" "$1") >= 1 ))' _ "${UB_DIR[main]}/stats" ||
	it_bail "1: load not complete within 100 s after the reloads: $(cat "${UB_DIR[main]}/stats")"
diag "1: $(grep -h 'reconciled with Redis' "${UB_DIR[main]}/unbound.log" | tail -1)"
sleep 1.1   # the stats file is rewritten about once a second
assert_eq "1: after the load: every filing loaded" "$EXP_FILINGS" "$(modstat filings)"
assert_eq "1: after the load: every route loaded" "$EXP_ROUTES" "$(modstat routes)"
k=$((NP - 1)) x=$(((NP - 1) % 250 + 1))
expect "1: after the load: mainland, filed l$k -> cn" "$(res NOERROR A:192.0.2.$x)" "${CN[@]}" "www.l$k.rl.example.com" A
expect "1: after the load: US, filed l$k -> offshore" "$(res NOERROR A:198.51.100.$x)" --ecs $US "www.l$k.rl.example.com" A
k=$((97 * 1000 + 5)) x=$(((97 * 1000 + 5) % 250 + 1))
expect "1: after the load: mainland, revoked l$k -> offshore" "$(res NOERROR A:198.51.100.$x)" "${CN[@]}" "www.l$k.rl.example.com" A
rcli HSET "${IT_PREFIX}filing:l0.rl.example.com" status revoked >/dev/null
eventually "1: after the load: a live revoke within 1 s" 1000 "$(res NOERROR A:198.51.100.1)" "${CN[@]}" www.l0.rl.example.com A

# ================================================================ 2
sed -i 's/^resync-interval:.*/resync-interval: 1/' "${UB_DIR[main]}/cnroute.conf"
STOP=$IT_WORK/adder.stop LOG_ADD=$IT_WORK/adder.log
# adder: resolve a name (NXDOMAIN, cached), then give it a route: the commit
# asks the workers to purge the cached answers; also keep unrelated names
# in the caches
(
	i=0
	while [[ ! -e $STOP ]] && ((i < 2000)); do
		q "${CN[@]}" "a$i.add.rl.example.com" A
		q plain.example.com A
		rcli HSET "${IT_PREFIX}route:a$i.add.rl.example.com" cn 192.0.2.77 offshore 198.51.100.77 ttl 30 >/dev/null
		echo "$i $(now_ms)"
		i=$((i + 1))
		sleep 0.02
	done >"$LOG_ADD"
) &
ADDER=$!
sleep 0.5
sizes=("8m 16m" "16m 4m" "6m 12m" "4m 6m" "10m 20m" "12m 24m")
RC_PART2=$(reconciled_count)
RC_AT_START=
for r in 0 1 2 3 4 5; do
	read -r msg rrset <<<"${sizes[r]}"
	set_cache_sizes "$msg" "$rrset"
	case $r in
	0) what="(old instance idle)" ;;
	1 | 3 | 5) wait_streaming || diag "2: no HGETALL stream seen before reload $r"
		what="while a reconciliation streams" ;;
	2 | 4) what="at once after the previous reload"
		n=$(reconciled_count)
		assert_eq "2: reload $r comes before the instance reloaded last finished its first reconciliation" "$RC_AT_START" "$n" ;;
	esac
	t_rl=$(now_ms)
	ub_reload
	echo "$t_rl $(now_ms)" >>"$IT_WORK/reloads"
	assert_reload "2: reload $r $what, msg-cache-size $msg rrset-cache-size $rrset, routes being added"
	RC_AT_START=$(reconciled_count)
	kill -0 "${UB_PID[main]}" 2>/dev/null || it_bail "2: Unbound died after reload $r (exit status $(unbound_exit_status main))"
	# odd reloads are followed at once by the next; after even ones, give
	# the thread time for a reconciliation, routes and purges
	if ((r % 2 == 0)); then
		wait_until 30000 eval '(( $(reconciled_count) > '"$RC_AT_START"' ))' ||
			diag "2: no reconciliation completed within 30 s after reload $r"
		sleep 0.5
	fi
done
sleep 2
touch "$STOP"
wait "$ADDER"
added=$(tail -1 "$LOG_ADD" | cut -d' ' -f1)
diag "2: $((added + 1)) routes added during the reloads; $(grep -c 'cnroute: reconciled with Redis' "${UB_DIR[main]}/unbound.log") reconciliations completed in all; cache purges logged: $(grep -c 'cnroute: [0-9]* cached entries' "${UB_DIR[main]}/unbound.log")"
assert_eq "2: Unbound is still running" running "$(unbound_exit_status main)"
assert_ge "2: reconciliations completed meanwhile" 3 $(($(reconciled_count) - RC_PART2))
expect "2: Unbound answers an unmanaged name" "$(res NOERROR A:203.0.113.10)" plain.example.com A
out=$(ub_control main get_option msg-cache-size 2>&1)
assert_eq "2: the last msg-cache-size is in effect" $((12 * 1024 * 1024)) "$out"
out=$(ub_control main get_option rrset-cache-size 2>&1)
assert_eq "2: the last rrset-cache-size is in effect" $((24 * 1024 * 1024)) "$out"
eventually "2: the last route added (a$added, resolved as NXDOMAIN just before) is in effect: mainland cn" 5000 \
	"$(res NOERROR A:192.0.2.77)" "${CN[@]}" "a$added.add.rl.example.com" A
eventually "2: the first route added (a0) is in effect: mainland cn" 5000 "$(res NOERROR A:192.0.2.77)" "${CN[@]}" a0.add.rl.example.com A
k=$((NP - 2)) x=$(((NP - 2) % 250 + 1))
expect "2: the large table still steers: mainland l$k -> cn" "$(res NOERROR A:192.0.2.$x)" "${CN[@]}" "www.l$k.rl.example.com" A
# names of the added routes not in effect (mainland not cn), one kdig
not_in_effect() {
	local args=() i
	for ((i = 0; i <= added; i++)); do args+=("a$i.add.rl.example.com" A); done
	kdig @127.0.0.1 -p "${UB_PORT[main]}" +time=2 +retry=1 +subnet=$MAINLAND "${args[@]}" 2>&1 |
		awk '/^;; QUESTION SECTION:/ { getline; q = $1; sub(/^;/, "", q); seen[q] = 0; next }
			$4 == "A" && $5 == "192.0.2.77" { seen[$1] = 1 }
			END { for (n in seen) if (!seen[n]) print n }' | sed -n 's/^a\([0-9]*\)\..*/\1/p' | sort -n | tr '\n' ' '
}
missing=$(not_in_effect)
if [[ -n $missing ]]; then
	# when were they written: in a reload's window (from the reload command
	# until the new instance answered), or else?
	for i in $missing; do
		t=$(awk -v i="$i" '$1 == i { print $2 }' "$LOG_ADD")
		w=$(awk -v t="$t" '$1 - 200 <= t && t <= $2 { print "in a reload window" }' "$IT_WORK/reloads" | head -1)
		diag "2: route a$i (written at $t) not in effect right after the adder stopped; ${w:-written outside the reload windows}"
	done
	diag "2: reconciliation running then; waiting for one to complete"
	n=$(reconciled_count)
	wait_until 30000 eval '(( $(reconciled_count) > '"$n"' ))'
fi
missing=$(not_in_effect)
assert_eq "2: every one of the $((added + 1)) routes added is in effect (mainland cn), at the latest after the reconciliation running when the adder stopped" "" "$missing"
wait_until 5000 bash -c '[[ $(sed -n "s/^routes=//p" "$1") == $2 ]]' _ "${UB_DIR[main]}/stats" $((EXP_ROUTES + added + 1))
assert_eq "2: stats: every filing still loaded" "$EXP_FILINGS" "$(modstat filings)"
assert_eq "2: stats: every route loaded, the added ones too" $((EXP_ROUTES + added + 1)) "$(modstat routes)"
expect "2: revoked l0 -> offshore" "$(res NOERROR A:198.51.100.1)" "${CN[@]}" www.l0.rl.example.com A

# ================================================================ 3
wait_streaming || diag "3: no HGETALL stream seen"
pid=${UB_PID[main]}
t0=$(now_ms)
kill -TERM "$pid"
if wait_until 20000 eval '! kill -0 '"$pid"' 2>/dev/null'; then
	t=$(($(now_ms) - t0))
	wait "$pid"; rc=$?
	assert_le "3: SIGTERM while a reconciliation streams: Unbound exits (in $t ms, status $rc)" $NEVER "$t"
else
	not_ok "3: SIGTERM while a reconciliation streams: Unbound exits" "within 20 s" "still running; killed"
	kill -KILL "$pid" 2>/dev/null
	wait "$pid"
fi
it_untrack "$pid"
UB_PID[main]=
it_done
