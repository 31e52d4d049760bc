#!/bin/bash
# Decisions from a half-loaded table: the first load at start-up must become
# visible to queries at once, never key by key.
#
# Why: the sync thread reads Redis with SCAN + pipelined HGETALL, in hash
# order. If each key is put into the table as it arrives, a query can be
# decided while the table holds only part of the data. With
#   filing pK.example.com          active
#   filing sub.pK.example.com      revoked
#   route  www.sub.pK.example.com  cn 192.0.2.x  offshore 198.51.100.x
# a mainland client asking www.sub.pK.example.com while the parent filing and
# the route are loaded but the (revoked) sub-filing is not yet, is steered by
# the ACTIVE parent and gets the cn pool of a name whose covering filing is
# revoked. The reverse ("r" triples: parent revoked, sub active) gives the
# offshore pool mid-load to a name that has the cn pool once loaded.
#
# Spec: until the first complete load a managed name is answered as if it were
# unmanaged (resolved normally: NSD has no such names, so NXDOMAIN); from then
# on with the full table. So every answer to a mainland client is, at any time,
#   p triple (active parent, revoked sub): NXDOMAIN or offshore 198.51.100.x
#   r triple (revoked parent, active sub): NXDOMAIN or cn 192.0.2.x
# and NEVER cn for a p triple.
#
# How: Redis is filled BEFORE Unbound starts with 553,000 keys (p, r and
# c = control triples, filler filings, keys outside the prefix). Unbound is
# started without waiting for the load; from the moment it answers until the
# stats file shows full_syncs >= 1 (and for TAIL_MS more), several parallel
# loops ask random p and r names from a mainland client (ECS 1.0.1.0/24), many
# names per kdig process. Every reply is classified afterwards; the count of
# replies received while the load was running is asserted to be large enough
# that the test cannot pass vacuously. After the load, names never asked
# before are checked: p -> offshore, r and c -> cn for mainland (proves the
# data was loaded and that the test can see cn at all).
#
# Assumption (see the fixed module): queries decided before the first
# complete load are counted in the stats file's fail_closed counter.
. "$(dirname "$0")/lib.sh"
it_setup

NP=150000          # p triples: parent active, sub revoked  -> never cn
NR=20000           # r triples: parent revoked, sub active  -> cn once loaded
NC=1000            # c triples: parent active, sub active   -> cn once loaded
NF=30000           # filler filings under the prefix
NO=10000           # filler keys outside the prefix (SCAN walks past them)
FRESH_P=1000       # the last FRESH_P p / FRESH_R r triples are never asked
FRESH_R=100        #   during the load (their answer can't be a cached one)
LOOPS=4            # parallel query loops
BATCH=25           # queries per kdig process
TAIL_MS=1000       # keep asking this long after the load is complete
MIN_DURING=100     # replies required while the load was running
EXP_FILINGS=$((2 * NP + 2 * NR + 2 * NC + NF))
EXP_ROUTES=$((NP + NR + NC))
MAINLAND=1.0.1.0/24 US=8.8.8.0/24

# ---- fill Redis (inline commands through redis-cli --pipe)
t0=$(now_ms)
awk -v p="$IT_PREFIX" -v np=$NP -v nr=$NR -v nc=$NC -v nf=$NF -v no=$NO 'BEGIN {
	for (k = 0; k < np; k++) {
		x = k % 250 + 1
		printf "HSET %sfiling:p%d.example.com status active\n", p, k
		printf "HSET %sfiling:sub.p%d.example.com status revoked\n", p, k
		printf "HSET %sroute:www.sub.p%d.example.com cn 192.0.2.%d offshore 198.51.100.%d ttl 30\n", p, k, x, x
		if (k < nr) {
			printf "HSET %sfiling:r%d.example.com status revoked\n", p, k
			printf "HSET %sfiling:sub.r%d.example.com status active\n", p, k
			printf "HSET %sroute:www.sub.r%d.example.com cn 192.0.2.%d offshore 198.51.100.%d ttl 30\n", p, k, x, x
		}
		if (k < nc) {
			printf "HSET %sfiling:c%d.example.com status active\n", p, k
			printf "HSET %sfiling:sub.c%d.example.com status active\n", p, k
			printf "HSET %sroute:www.sub.c%d.example.com cn 192.0.2.%d offshore 198.51.100.%d ttl 30\n", p, k, x, x
		}
		if (k < nf)
			printf "HSET %sfiling:f%d.filler.example.net status active icp x\n", p, k
		if (k < no)
			printf "SET other:filing:o%d.filler.example.net x\n", k
	}
}' | rcli --pipe >"$IT_WORK/pipe.out" 2>&1 || it_bail "redis-cli --pipe: $(tail -3 "$IT_WORK/pipe.out")"
grep -q 'errors: 0,' "$IT_WORK/pipe.out" || it_bail "redis-cli --pipe: $(tail -3 "$IT_WORK/pipe.out")"
KEYS=$(rcli DBSIZE)
diag "Redis filled with $KEYS keys in $(($(now_ms) - t0)) ms"
((KEYS >= 500000)) || it_bail "only $KEYS keys in Redis"

# ---- local helpers
# full_syncs from the stats file without a fork ("" while there is none)
stats_full_syncs() {
	local k v
	[[ -r $STATS ]] || return 0
	while IFS='=' read -r k v; do
		[[ $k == full_syncs ]] && { echo "$v"; return 0; }
	done <"$STATS"
}
# qloop J: ask BATCH random p/r names per kdig; each batch's output is saved
# as J.N.during when the stats file still showed no complete load after the
# batch (so every query of it was sent while loading), else J.N.after.
qloop() {
	local j=$1 n=0 i k r fs end=0 args out
	while :; do
		args=()
		for ((i = 0; i < BATCH; i++)); do
			r=$((RANDOM * 32768 + RANDOM))
			if ((r % 5 == 0)); then
				k=$((r / 5 % (NR - FRESH_R))); args+=("www.sub.r$k.example.com" A)
			else
				k=$((r / 5 % (NP - FRESH_P))); args+=("www.sub.p$k.example.com" A)
			fi
		done
		out=$QDIR/$j.$n
		kdig @127.0.0.1 -p "$PORT" +time=2 +retry=0 +subnet=$MAINLAND "${args[@]}" >"$out" 2>&1
		fs=$(stats_full_syncs)
		if [[ $fs =~ ^[0-9]+$ ]] && ((fs >= 1)); then
			mv "$out" "$out.after"
			((end == 0)) && end=$(($(now_ms) + TAIL_MS))
			(($(now_ms) >= end)) && break
		else
			mv "$out" "$out.during"
			[[ -e $QDIR/stop ]] && break
		fi
		n=$((n + 1))
	done
}
# classify FILES...: one line per reply "phase kind ok|bad|cn qname status answer",
# then the caller counts. kind p/r from the name; ok per the rules above.
classify() {
	awk '
	function flush() {
		if (st == "") return
		kind = "?"; k = -1
		if (qn ~ /^www\.sub\.[pr][0-9]+\.example\.com\.$/) {
			kind = substr(qn, 9, 1); k = substr(qn, 10) + 0
		}
		x = k % 250 + 1
		verdict = "bad"
		if (st == "NXDOMAIN" && ans == "") verdict = "ok"
		else if (kind == "p" && st == "NOERROR" && ans == "A:198.51.100." x) verdict = "ok"
		else if (kind == "r" && st == "NOERROR" && ans == "A:192.0.2." x) verdict = "ok"
		cn = (ans ~ /A:192\.0\.2\./) ? "cn" : "-"
		printf "%s %s %s %s %s %s %s\n", ph, kind, verdict, cn, qn, st, (ans == "" ? "(none)" : ans)
		st = ""
	}
	/^;; ->>HEADER<<-/ {
		flush()
		ph = FILENAME ~ /during$/ ? "during" : "after"
		st = $0; sub(/.*status: /, "", st); sub(/[;,].*/, "", st)
		qn = ""; ans = ""; sec = ""; next
	}
	/^;; QUESTION SECTION:/ { sec = "q"; next }
	/^;; ANSWER SECTION:/ { sec = "a"; next }
	sec == "q" && /^;; [^ ]/ { qn = tolower($2); sec = ""; next }
	/^;;/ || /^$/ { sec = ""; next }
	sec == "a" && NF >= 5 { ans = ans (ans == "" ? "" : ",") toupper($4) ":" tolower($5) }
	END { flush() }
	' "$@"
}

# ---- start Unbound, do not wait for the load
# Before the load completes every name here is resolved normally, i.e. sent
# to NSD, hundreds of NXDOMAINs a second: NSD's response rate limiting would
# drop or truncate UDP answers (and some would end as SERVFAIL). RRL does not
# apply to TCP, so Unbound asks NSD over TCP.
IT_UNBOUND_SERVER=("tcp-upstream: yes")
it_start_unbound main resync-interval=3600
PORT=${UB_PORT[main]} STATS=${UB_DIR[main]}/stats
QDIR=$IT_WORK/q; mkdir -p "$QDIR"
t_up=$(now_ms)
fs=$(stats_full_syncs)
[[ $fs == 0 || -z $fs ]] || diag "warning: the load was complete before Unbound answered (full_syncs=$fs)"
pids=()
for ((j = 0; j < LOOPS; j++)); do qloop "$j" & pids+=($!); done
if wait_until 100000 bash -c '(( $(sed -n "s/^full_syncs=//p" "$1") >= 1 ))' _ "$STATS"; then
	load_ms=$(($(now_ms) - t_up))
else
	touch "$QDIR/stop"
	wait "${pids[@]}"
	it_bail "first load not complete within 100 s: $(cat "$STATS")"
fi
wait "${pids[@]}"
diag "load complete ${load_ms} ms after Unbound answered: $(grep -h 'reconciled with Redis' "${UB_DIR[main]}/unbound.log" | tail -1)"

# ---- the answers given while loading and just after
shopt -s nullglob; during_files=("$QDIR"/*.during) after_files=("$QDIR"/*.after); shopt -u nullglob
: >"$IT_WORK/replies"
((${#during_files[@]} + ${#after_files[@]})) && classify "${during_files[@]}" "${after_files[@]}" >"$IT_WORK/replies"
sent_during=$((${#during_files[@]} * BATCH))
n_during=$(grep -c '^during ' "$IT_WORK/replies")
n_after=$(grep -c '^after ' "$IT_WORK/replies")
diag "queries while loading: $sent_during sent, $n_during replies; after the load: $n_after replies"
diag "replies while loading by verdict: $(awk '$1 == "during" { c[$2 " " $6 " " ($7 ~ /^A:192/ ? "cn" : $7 ~ /^A:198/ ? "offshore" : $7)]++ } END { for (x in c) printf "[%s: %d] ", x, c[x] }' "$IT_WORK/replies")"
assert_ge "replies to mainland clients while the first load was running: $n_during (at least $MIN_DURING)" "$MIN_DURING" "$n_during"

bad=$(awk '$2 == "p" && $4 == "cn"' "$IT_WORK/replies")
n_bad=$(grep -c . <<<"$bad")
if [[ -z $bad ]]; then
	ok "no cn pool for a name whose covering filing is revoked (p triples, $(grep -c '^[a-z]* p ' "$IT_WORK/replies") replies during+after the load)"
else
	not_ok "no cn pool for a name whose covering filing is revoked (p triples)" "0 cn answers" \
		"$n_bad cn answers ($(grep -c '^during p .* cn ' <<<"$bad") while loading), e.g. $(head -3 <<<"$bad" | awk '{printf "[%s %s %s %s] ", $1, $5, $6, $7}')"
fi
bad=$(awk '$2 == "p" && $3 != "ok"' "$IT_WORK/replies")
if [[ -z $bad ]]; then
	ok "p triples: every reply is 'not loaded' (NXDOMAIN) or the full-table answer (offshore)"
else
	not_ok "p triples: every reply is 'not loaded' (NXDOMAIN) or the full-table answer (offshore)" "0 other" \
		"$(grep -c . <<<"$bad") other, e.g. $(head -3 <<<"$bad" | awk '{printf "[%s %s %s %s] ", $1, $5, $6, $7}')"
fi
bad=$(awk '$2 == "r" && $3 != "ok"' "$IT_WORK/replies")
if [[ -z $bad ]]; then
	ok "r triples (revoked parent, active sub): every reply is NXDOMAIN or the full-table cn answer, never piecemeal offshore ($(grep -c '^[a-z]* r ' "$IT_WORK/replies") replies)"
else
	not_ok "r triples (revoked parent, active sub): every reply is NXDOMAIN or the full-table cn answer, never piecemeal offshore" "0 other" \
		"$(grep -c . <<<"$bad") other ($(grep -c '^during ' <<<"$bad") while loading), e.g. $(head -3 <<<"$bad" | awk '{printf "[%s %s %s %s] ", $1, $5, $6, $7}')"
fi
other=$(awk '$2 == "?"' "$IT_WORK/replies" | head -3)
assert_eq "every reply parsed to a p or r name" "" "$other"

# ---- after the load: the full table, seen through names never asked before
assert_eq "after the load: every filing loaded" "$EXP_FILINGS" "$(modstat filings)"
assert_eq "after the load: every route loaded" "$EXP_ROUTES" "$(modstat routes)"
k=$((NP - 1)); x=$((k % 250 + 1))
expect "after the load: mainland, p$k (active parent, revoked sub) -> offshore" "$(res NOERROR A:198.51.100.$x)" \
	--ecs $MAINLAND "www.sub.p$k.example.com" A
k=$((NP - 2)); x=$((k % 250 + 1))
expect "after the load: US, p$k -> offshore" "$(res NOERROR A:198.51.100.$x)" --ecs $US "www.sub.p$k.example.com" A
k=$((NR - 1)); x=$((k % 250 + 1))
expect "after the load: mainland, r$k (revoked parent, active sub) -> cn" "$(res NOERROR A:192.0.2.$x)" \
	--ecs $MAINLAND "www.sub.r$k.example.com" A
k=$((NC - 1)); x=$((k % 250 + 1))
expect "after the load: mainland, control c$k (active parent and sub) -> cn" "$(res NOERROR A:192.0.2.$x)" \
	--ecs $MAINLAND "www.sub.c$k.example.com" A
expect "after the load: US, control c$k -> offshore" "$(res NOERROR A:198.51.100.$x)" --ecs $US "www.sub.c$k.example.com" A

# ---- assumption: decisions made before the first complete load are counted
# as fail_closed (the stats file is rewritten about once a second)
if ((n_during > 0)); then
	wait_until 3000 bash -c '(( $(sed -n "s/^fail_closed=//p" "$1") >= 1 ))' _ "$STATS"
	assert_ge "stats: fail_closed counts the $n_during queries decided before the first complete load" 1 "$(modstat fail_closed)"
fi
it_done
