#!/bin/bash
# Runs the cnroute integration tests: every tests/integration/t_*.sh, or the
# ones named (t_matrix, matrix, t_matrix.sh all work). Each test file starts
# its own Redis, NSD and Unbound on free loopback ports and stops them.
# Prints every assertion, then a per-file summary, and as the last line
# "N passed, N failed". Exits non-zero if an assertion failed or a test
# file crashed (non-zero exit without a failed assertion, no completion
# marker, or timeout).
#
# Environment: see lib.sh (IT_BUILD, UNBOUND, CNROUTE_SO, GEOIP_COUNTRY_DB,
# GEOIP_MAXMIND_DB, IT_NO_MODULE=1, IT_KEEP=1, IT_VERBOSE=1);
# IT_TEST_TIMEOUT (seconds per test file, default 240).
dir=$(cd "$(dirname "$0")" && pwd)
tests=()
if (($#)); then
	for a in "$@"; do
		a=$(basename "$a" .sh); [[ $a == t_* ]] || a=t_$a
		[[ -f $dir/$a.sh ]] || { echo "no such test: $dir/$a.sh" >&2; echo "0 passed, 1 failed"; exit 2; }
		tests+=("$a")
	done
else
	tests=(t_harness)
	for f in "$dir"/t_*.sh; do
		a=$(basename "$f" .sh); [[ $a == t_harness ]] || tests+=("$a")
	done
fi

export IT_SUITE_DIR
IT_SUITE_DIR=$(mktemp -d /tmp/cnroute-it.XXXXXX) || exit 2
# reap_leftovers: stop daemons a dead test file left running (listed by pid in
# its work dir; only if the process still runs with that work dir in its
# command line, so a recycled pid is never hit).
owned() {   # owned PID WORKDIR
	[[ -r /proc/$1/cmdline ]] || return 1
	# nsd/unbound: -c WORKDIR/...; redis rewrites its argv but runs in WORKDIR/redis
	tr '\0' ' ' <"/proc/$1/cmdline" | grep -qF "$2" || [[ $(readlink "/proc/$1/cwd") == "$2"* ]]
}
reap_leftovers() {
	local f pid d
	for f in "$IT_SUITE_DIR"/cnroute-it.*/daemons.pids; do
		[[ -f $f ]] || continue
		d=$(dirname "$f")
		while read -r pid; do
			if owned "$pid" "$d"; then
				echo "# reaping leftover daemon $pid ($(tr '\0' ' ' <"/proc/$pid/cmdline" | cut -c1-60))"
				kill -TERM "$pid" 2>/dev/null
				for _ in 1 2 3 4 5 6 7 8 9 10; do owned "$pid" "$d" || break; sleep 0.2; done
				owned "$pid" "$d" && kill -KILL "$pid" 2>/dev/null
			fi
		done <"$f"
	done
}
trap 'reap_leftovers; exit 130' INT TERM
total_p=0 total_f=0 summary=()
suite_t0=$(date +%s)
for t in "${tests[@]}"; do
	out=$IT_SUITE_DIR/$t.out
	t0=$(date +%s)
	echo "# ===== $t"
	timeout -k 15 "${IT_TEST_TIMEOUT:-240}" bash "$dir/$t.sh" </dev/null 2>&1 | tee "$out"
	rc=${PIPESTATUS[0]}
	p=$(grep -c '^ok - ' "$out") f=$(grep -c '^not ok - ' "$out")
	note=""
	reap_leftovers
	if ((rc == 124 || (rc == 137 && $(date +%s) - t0 >= ${IT_TEST_TIMEOUT:-240}))); then
		echo "not ok - $t timed out after ${IT_TEST_TIMEOUT:-240} s"; f=$((f + 1)); note=" TIMEOUT"
	elif ! grep -q '^# it_done$' "$out" && ! grep -q '^Bail out!' "$out"; then
		echo "not ok - $t crashed (exit $rc, no completion marker)"; f=$((f + 1)); note=" CRASHED"
	elif ((rc != 0 && f == 0)); then
		echo "not ok - $t exited $rc without a failed assertion"; f=$((f + 1)); note=" CRASHED"
	elif ((p + f == 0)); then
		echo "not ok - $t ran no assertion"; f=$((f + 1)); note=" EMPTY"
	fi
	summary+=("# $t: $p passed, $f failed ($(($(date +%s) - t0)) s)$note")
	total_p=$((total_p + p)) total_f=$((total_f + f))
	((f == 0)) && rm -f "$out"
done
echo "# ===== summary ($(($(date +%s) - suite_t0)) s)"
printf '%s\n' "${summary[@]}"
if rmdir "$IT_SUITE_DIR" 2>/dev/null; then :; else echo "# kept: $IT_SUITE_DIR"; fi
echo "$total_p passed, $total_f failed"
((total_f == 0))
