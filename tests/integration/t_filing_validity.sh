#!/bin/bash
# Invalid filings. A filing key the module can't read -- not a hash (written
# with SET), an unknown status ("suspended"), no status at all (the field
# misspelt "stauts") -- is an INVALID filing: it is the covering filing of
# the names below it (the walk up the name stops there, the parent's active
# filing is NOT used) and it is not active, so everybody gets the offshore
# pool. Why: falling through to the parent would hand the cn pool to a
# sub-domain whose own filing record is garbage (fail open). For each of the
# three ways: broken -> offshore for mainland and US; repaired (DEL + a proper
# HSET status active) -> cn within ~1 s; broken again -> offshore within ~1 s.
# The skipped key is logged once per change of the key, not at every
# reconciliation (resync-interval 1 here). cnroutectl agrees: explain says
# offshore with filing_status "invalid" naming sub.example.com, check exits 2
# naming the key, and the onboarding gate refuses a cn rule below it (exit 3).
. "$(dirname "$0")/lib.sh"
it_setup
it_cli_conf
LIMIT=2000
FK=${IT_PREFIX}filing:sub.example.com
LOG_WAIT_MS=3200      # after a change, wait this long before counting log lines
LOG_SPAN=3.5          # seconds (several reconciliations) the count must hold

# rmulti CMD...: the commands in one MULTI/EXEC (no intermediate state visible)
rmulti() {
	local out
	out=$(printf '%s\n' MULTI "$@" EXEC | rcli 2>&1)
	[[ $out == *ERR* ]] && it_bail "redis MULTI failed: $out"
	return 0
}
FIELDS='icp "京ICP备12345678号-1" entity "Test Entity Ltd" registrant "Test Entity Ltd"'
# break_key WAY: replace sub.example.com's filing by a broken one, atomically
break_key() {
	case $1 in
	not-a-hash) rmulti "DEL $FK" "SET $FK active" ;;
	unknown-status) rmulti "DEL $FK" "HSET $FK status suspended $FIELDS updated $(date +%s)" ;;
	missing-status) rmulti "DEL $FK" "HSET $FK stauts active $FIELDS updated $(date +%s)" ;;
	*) it_bail "break_key: unknown way $1" ;;
	esac
}
# repair_key: DEL then a proper HSET status active (as the spec says)
repair_key() { rcli DEL "$FK" >/dev/null; filing sub.example.com active; }
# sleep_until T_MS: sleep until now_ms >= T_MS
sleep_until() {
	local rest=$(($1 - $(now_ms)))
	((rest > 0)) && sleep "$(printf '%d.%03d' $((rest / 1000)) $((rest % 1000)))"
	return 0
}
# log_lines: lines of Unbound's log naming the key
log_lines() { grep -cF -- "$FK" "${UB_DIR[main]}/unbound.log"; }

filing example.com active
route www.sub.example.com 192.0.2.1 198.51.100.1 30
route www.ctl.example.com 192.0.2.9 198.51.100.9 30      # control: covered by example.com only
break_key not-a-hash                                     # way 1 is there from the start
it_start_unbound main resync-interval=1
t_start=$(now_ms)
it_wait_loaded main 2 1
CN=(--ecs 1.0.1.0/24) US=(--ecs 8.8.8.0/24)
C=$(res NOERROR A:192.0.2.1) O=$(res NOERROR A:198.51.100.1)

expect "control: www.ctl (covered by active example.com), CN -> cn" "$(res NOERROR A:192.0.2.9)" "${CN[@]}" www.ctl.example.com A

# cli_checks WAY: what cnroutectl says while the key is broken
cli_checks() {
	local w=$1 ex
	ctl --json explain www.sub.example.com --client 1.0.1.0/24
	ex=$CTL_OUT
	assert_eq "$w: explain --json exits 0" 0 "$CTL_RC"
	assert_eq "$w: explain pool offshore" offshore "$(json_get "$ex" pool)"
	assert_eq "$w: explain filing_status invalid" invalid "$(json_get "$ex" filing_status)"
	assert_match "$w: explain filing names sub.example.com" '^sub\.example\.com\.?$' "$(json_get "$ex" filing)"
	ctl check
	assert_eq "$w: check exits 2" 2 "$CTL_RC"
	assert_match "$w: check names the broken key $FK" "$FK([^a-zA-Z0-9.-]|\$)" "$CTL_OUT $CTL_ERR"
	ctl route set www2.sub.example.com --cn 192.0.2.1 --offshore 198.51.100.1
	assert_eq "$w: route set with --cn below the invalid filing refused by the gate (exit 3)" 3 "$CTL_RC"
	assert_eq "$w: gate: nothing written" 0 "$(rcli EXISTS "${IT_PREFIX}route:www2.sub.example.com")"
	rcli DEL "${IT_PREFIX}route:www2.sub.example.com" >/dev/null   # keep the next steps clean
}

# ---- way 1: not a hash, present since start (loaded by the first full sync)
W=not-a-hash
expect "$W (at start): CN -> offshore (parent example.com not used)" "$O" "${CN[@]}" www.sub.example.com A
expect "$W (at start): US -> offshore" "$O" "${US[@]}" www.sub.example.com A
cli_checks "$W (at start)"
sleep_until $((t_start + LOG_WAIT_MS))
n1=$(log_lines)
assert_ge "$W (at start): a log line names $FK" 1 "$n1"
sleep "$LOG_SPAN"
assert_eq "$W (at start): no new log line naming the key over $LOG_SPAN s of reconciliations" "$n1" "$(log_lines)"

repair_key
ctl check
assert_eq "repaired: check exits 0 (nothing else is wrong)" 0 "$CTL_RC"
eventually "$W: repaired (DEL + HSET status active) -> CN cn" $LIMIT "$C" "${CN[@]}" www.sub.example.com A

# ---- every way, written live: break, repair, break again
for W in not-a-hash unknown-status missing-status; do
	before=$(log_lines)
	break_key "$W"
	t_break=$(now_ms)
	eventually "$W (live): CN -> offshore" $LIMIT "$O" "${CN[@]}" www.sub.example.com A
	expect "$W (live): US -> offshore" "$O" "${US[@]}" www.sub.example.com A
	expect "$W (live): control www.ctl still cn (example.com untouched)" "$(res NOERROR A:192.0.2.9)" "${CN[@]}" www.ctl.example.com A
	cli_checks "$W (live)"
	repair_key
	eventually "$W: repaired -> CN cn" $LIMIT "$C" "${CN[@]}" www.sub.example.com A
	break_key "$W"
	t_break=$(now_ms)
	eventually "$W: broken again -> CN offshore" $LIMIT "$O" "${CN[@]}" www.sub.example.com A

	# logged once per change, not at every reconciliation
	sleep_until $((t_break + LOG_WAIT_MS))
	n1=$(log_lines)
	assert_ge "$W: the change is logged (a line names $FK)" $((before + 1)) "$n1"
	sleep "$LOG_SPAN"
	n2=$(log_lines)
	assert_eq "$W: no new log line naming the key over $LOG_SPAN s of reconciliations" "$n1" "$n2"
	if [[ $W == unknown-status ]]; then
		rcli HSET "$FK" status frozen >/dev/null
		t_break=$(now_ms)
		eventually "$W: suspended -> frozen: CN still offshore" $LIMIT "$O" "${CN[@]}" www.sub.example.com A
		sleep_until $((t_break + LOG_WAIT_MS))
		n3=$(log_lines)
		assert_ge "$W: changing the bad value (suspended -> frozen) is logged again" $((n2 + 1)) "$n3"
		sleep "$LOG_SPAN"
		assert_eq "$W: after the change, no new log line over $LOG_SPAN s of reconciliations" "$n3" "$(log_lines)"
	fi
	repair_key
	eventually "$W: repaired for the next step -> CN cn" $LIMIT "$C" "${CN[@]}" www.sub.example.com A
done
it_done
