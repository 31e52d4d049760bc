#!/bin/bash
# Changes written while a full reconciliation of a large table runs.
#
# Spec (redis_sync.h, README "Live changes and Redis outages"):
#  - keys named by notifications are read again on a connection of their
#    own ("fetch"), also while a full reconciliation runs, and committed at
#    once: a change never waits for the reconciliation to end;
#  - a value read because of a notification is never overwritten by an
#    older value from the reconciliation's own batches (read before the
#    change): once in effect, the change stays in effect when the
#    reconciliation commits.
#
# How: 600,000 keys (300,000 filings and their routes) plus four groups of
# 250 target names. resync-interval 1, so reconciliations run back to back.
# Round 1 (a reconciliation that updates the table in place): after a
# reconciliation ended ("reconciled with Redis" logged), the next one sent
# its first SCAN and its HGETALLs are seen being served, 250 filings are
# revoked and 250 revoked ones made active (one redis-cli --pipe). A monitor
# asks all 500 names from a mainland client (ECS 1.0.1.0/24) over and over
# until two more reconciliations have ended. Asserted:
#   - every change is in effect (revoked -> offshore, activated -> cn)
#     before the reconciliation that was running ends (no new
#     "reconciled" line when the effect was seen);
#   - once in effect, no name ever goes back to its old answer (in
#     particular not when that reconciliation commits);
#   - afterwards every change is still in effect.
# Round 2: the same right after an `unbound-control reload` (the new
# instance gets the table handed over and its first reconciliation builds
# a fresh table that replaces it whole).
# Last: with a healthy Redis, reconciliations do not drop the connection
# (stats redis_errors=0, no "unreachable" line).
. "$(dirname "$0")/lib.sh"
it_setup

NF=300000           # filler filings (active) and their routes
NT=250              # names per target group
MAINLAND=1.0.1.0/24
NEVER=10000

# ---- fill Redis
t0=$(now_ms)
awk -v p="$IT_PREFIX" -v nf=$NF -v nt=$NT 'BEGIN {
	for (k = 0; k < nf; k++) {
		x = k % 250 + 1
		printf "HSET %sfiling:f%d.fill.example.com status active icp x\n", p, k
		printf "HSET %sroute:www.f%d.fill.example.com cn 192.0.2.%d offshore 198.51.100.%d ttl 30\n", p, k, x, x
	}
	# groups: r1t r2t start active (revoked later), r1u r2u start revoked
	split("r1t r1u r2t r2u", g, " ")
	for (j = 1; j <= 4; j++)
		for (k = 0; k < nt; k++) {
			x = k % 250 + 1
			printf "HSET %sfiling:%s%d.df.example.com status %s icp x\n", p, g[j], k, (g[j] ~ /t$/) ? "active" : "revoked"
			printf "HSET %sroute:www.%s%d.df.example.com cn 192.0.2.%d offshore 198.51.100.%d ttl 30\n", p, g[j], k, x, x
		}
}' | rcli --pipe >"$IT_WORK/pipe.out" 2>&1 || it_bail "redis-cli --pipe: $(tail -3 "$IT_WORK/pipe.out")"
grep -q 'errors: 0,' "$IT_WORK/pipe.out" || it_bail "redis-cli --pipe: $(tail -3 "$IT_WORK/pipe.out")"
KEYS=$(rcli DBSIZE)
diag "Redis filled with $KEYS keys in $(($(now_ms) - t0)) ms"
((KEYS >= 300000)) || it_bail "only $KEYS keys in Redis"

# ---- helpers
LOG=
reconciled_count() { grep -c 'cnroute: reconciled with Redis' "$LOG"; }
started_count() { grep -c 'cnroute: started with' "$LOG"; }
scans() { rcli INFO commandstats | sed -n 's/^cmdstat_scan:calls=\([0-9]*\),.*/\1/p'; }
hgetalls() { rcli INFO commandstats | sed -n 's/^cmdstat_hgetall:calls=\([0-9]*\),.*/\1/p'; }
# wait_next_full: after a reconciliation ended, wait until the next one sent
# its SCAN and its HGETALLs are being served. Sets R0 (reconciled lines
# before it). Status 1 if not seen within 30 s.
wait_next_full() {
	local n s0 h1 end=$(($(now_ms) + 30000))
	n=$(reconciled_count)
	wait_until 30000 eval '(( $(reconciled_count) > '"$n"' ))' || return 1
	s0=$(scans)
	wait_until 30000 eval '(( $(scans) > '"$s0"' ))' || return 1
	R0=$(reconciled_count)
	while (($(now_ms) < end)); do
		h1=$(hgetalls)
		sleep 0.05
		(($(hgetalls) > h1)) && return 0
	done
	return 1
}
# ask NAME...: one kdig, mainland client; prints "name cn|off|other" per reply
ask() {
	local args=() n
	for n in "$@"; do args+=("$n" A); done
	kdig @127.0.0.1 -p "$PORT" +time=2 +retry=1 +subnet=$MAINLAND "${args[@]}" 2>&1 | awk '
	function flush() { if (qn != "") print qn, v; qn = "" }
	/^;; ->>HEADER<<-/ { flush(); v = "other"; sec = ""; next }
	/^;; QUESTION SECTION:/ { sec = "q"; next }
	/^;; ANSWER SECTION:/ { sec = "a"; next }
	sec == "q" && /^;; [^ ]/ { qn = tolower($2); sub(/\.$/, "", qn); sec = ""; next }
	/^;;/ || /^$/ { sec = ""; next }
	sec == "a" && $4 == "A" { v = ($5 ~ /^192\.0\.2\./) ? "cn" : ($5 ~ /^198\.51\.100\./) ? "off" : "other" }
	END { flush() }'
}
group_names() { local k; for ((k = 0; k < NT; k++)); do echo "www.$1$k.df.example.com"; done; }

# round NAME DESC: revoke group NAMEt and activate group NAMEu while a
# reconciliation runs; the assertions described at the top.
round() {
	local g=$1 d=$2 mon=$IT_WORK/mon.$1 stop=$IT_WORK/mon.$1.stop t_w t_eff="" r_eff n bad line
	local -a names
	mapfile -t names < <(group_names "${g}t"; group_names "${g}u")
	# before: t -> cn, u -> off
	bad=$(ask "${names[@]}" | awk -v g="$g" '($1 ~ "^www\\." g "t" && $2 != "cn") || ($1 ~ "^www\\." g "u" && $2 != "off")' | wc -l)
	assert_eq "$d: before: ${g}t names cn, ${g}u names offshore for mainland" 0 "$bad"
	wait_next_full || it_bail "$d: no running reconciliation seen: $(tail -3 "$LOG")"
	# the changes, at once
	awk -v p="$IT_PREFIX" -v g="$g" -v nt=$NT 'BEGIN {
		for (k = 0; k < nt; k++) {
			printf "HSET %sfiling:%st%d.df.example.com status revoked\n", p, g, k
			printf "HSET %sfiling:%su%d.df.example.com status active\n", p, g, k
		}
	}' | rcli --pipe >"$IT_WORK/pipe.$g" 2>&1
	t_w=$(now_ms)
	grep -q 'errors: 0,' "$IT_WORK/pipe.$g" || it_bail "$d: redis-cli --pipe: $(tail -3 "$IT_WORK/pipe.$g")"
	# monitor: every pass asks all names; one line per pass:
	# "ms-after-write reconciled-lines n-old n-new n-other"
	rm -f "$stop"
	(
		while [[ ! -e $stop ]]; do
			r=$(reconciled_count)
			c=$(ask "${names[@]}" | awk -v g="$g" '
				{ t = ($1 ~ "^www\\." g "t"); u = ($1 ~ "^www\\." g "u") }
				(t && $2 == "cn") || (u && $2 == "off") { old++; next }
				(t && $2 == "off") || (u && $2 == "cn") { new++; next }
				{ other++ }
				END { printf "%d %d %d", old, new, other }')
			echo "$(($(now_ms) - t_w)) $r $c"
		done >"$mon"
	) &
	local monpid=$!
	# until the reconciliation running at the write and the next one ended
	wait_until 60000 eval '(( $(reconciled_count) >= '"$((R0 + 2))"' ))' ||
		diag "$d: fewer than two reconciliations ended within 60 s of the write"
	sleep 0.5
	touch "$stop"
	wait "$monpid"
	diag "$d: monitor passes: $(wc -l <"$mon"), first: $(head -1 "$mon"), last: $(tail -1 "$mon"); reconciled lines at the write: $R0"
	# first pass with every name changed
	line=$(awk -v n=$((2 * NT)) '$4 == n { print; exit }' "$mon")
	if [[ -z $line ]]; then
		not_ok "$d: every change in effect" "all $((2 * NT)) names with their new answer" "never in $(wc -l <"$mon") passes; last: $(tail -1 "$mon")"
	else
		read -r t_eff r_eff _ <<<"$line"
		if ((r_eff == R0)); then
			ok "$d: every change in effect $t_eff ms after the write, before the running reconciliation ended"
		else
			not_ok "$d: every change in effect before the running reconciliation ended" \
				"no new 'reconciled' line ($R0)" "$r_eff 'reconciled' lines when first seen, $t_eff ms after the write"
			grep 'cnroute: reconciled with Redis' "$LOG" | tail -3 | diag "$(cat)"
		fi
		# after that pass: never an old answer again
		bad=$(awk -v t="$t_eff" '$1 > t && ($3 > 0 || $5 > 0)' "$mon")
		if [[ -z $bad ]]; then
			ok "$d: once in effect, no change reverted, also across the commit of that reconciliation (passes until $(tail -1 "$mon" | cut -d' ' -f1) ms, $(tail -1 "$mon" | cut -d' ' -f2) reconciled lines)"
		else
			not_ok "$d: once in effect, no change reverted" "no old answer after $t_eff ms" \
				"$(wc -l <<<"$bad") passes with old (or other) answers, e.g. [ms reconciled old new other] $(head -3 <<<"$bad" | tr '\n' ';')"
		fi
	fi
	bad=$(ask "${names[@]}" | awk -v g="$g" '($1 ~ "^www\\." g "t" && $2 != "off") || ($1 ~ "^www\\." g "u" && $2 != "cn")')
	assert_eq "$d: afterwards: ${g}t names offshore, ${g}u names cn for mainland (names otherwise, e.g.)" "" "$(head -3 <<<"$bad" | tr '\n' ' ' | sed 's/ *$//')"
}

# ---- start, first load
it_start_unbound main resync-interval=1
PORT=${UB_PORT[main]} LOG=${UB_DIR[main]}/unbound.log
wait_until 100000 bash -c '(( $(sed -n "s/^full_syncs=//p" "$1") >= 1 ))' _ "${UB_DIR[main]}/stats" ||
	it_bail "first load not complete within 100 s: $(cat "${UB_DIR[main]}/stats")"
diag "first load: $(grep -h 'reconciled with Redis' "$LOG" | tail -1)"
expect "loaded: a filler name, mainland -> cn" "$(res NOERROR A:192.0.2.1)" --ecs $MAINLAND www.f0.fill.example.com A

# ---- round 1: a reconciliation on a table already loaded (in-place update)
round r1 "round 1 (reconciliation in place)"

# ---- round 2: right after a reload (fresh reconciliation replacing the handed-over table)
c0=$(started_count)
out=$(ub_control main reload 2>&1)
assert_eq "round 2: unbound-control reload" ok "$out"
wait_until 20000 eval '(( $(started_count) > '"$c0"' ))' && wait_until 20000 unbound_up main ||
	it_bail "round 2: Unbound not back after the reload"
assert_match "round 2: the new instance started from the handed-over table" "handed over" "$(grep 'cnroute: started from' "$LOG" | tail -1)"
round r2 "round 2 (fresh reconciliation after a reload)"

# ---- healthy Redis: no reconciliation dropped the connection
n=$(grep -c 'cnroute: Redis at .* unreachable' "$LOG")
assert_eq "Redis healthy all along: no 'unreachable' line in the log" 0 "$n"
grep 'cnroute: Redis at .* unreachable' "$LOG" | head -3 | diag "$(cat)"
assert_eq "Redis healthy all along: stats redis_errors=0" 0 "$(modstat redis_errors)"
it_done
