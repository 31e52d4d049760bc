#!/bin/bash
# run.sh [SCENARIO...] - Unbound's own replay scenarios (testdata/*.rpl and
# *.crpl of the Unbound tree the module is built against), each run by
# testbound as shipped, and twice with cnroute loaded in the module stack.
#
# Copyright (c) 2026, the cnroute authors. BSD-3-Clause, see LICENSE.
#
# The cnroute copy of a scenario is made by with-cnroute.awk (dynlib at
# cnroute's place in the scenario's module-config, or in Unbound's default
# "validator iterator"; a dynlib: clause naming BUILD/cnroute.so). cnroute
# reads a cnroute.conf whose redis-server is a closed loopback port, so no
# name the scenario asks for is managed, and every scenario must behave
# exactly as without the module. It runs twice:
#  - table empty: nothing was ever loaded (every query is passed on as
#    before the first load);
#  - table loaded: started from a snapshot file (make-snapshot.sh) holding
#    one filing and route under a domain no scenario asks for, so every
#    query is looked up in the table, and every answer that comes back
#    through the module is looked through for chains into managed names.
# A cnroute run only counts as passed when the module did start (its log
# line for the run is in testbound's output).
#
# Every scenario that passes as shipped must pass with cnroute; one that
# does not is a regression and fails the run. Scenarios that fail as
# shipped are listed, not counted. Scenarios that need a feature the tree
# was built without (SHA-2, GOST, ECS, ipsecmod, cachedb: the same checks
# as Unbound's testdata/03-testbound.tdir) are skipped and listed. A
# scenario whose stack has dns64 must show the module refusing that stack
# at start, with its log line (cnroute and dns64 cannot run together; see
# plugin/unbound/cnroute_module.c).
#
# SCENARIO: a file name in testdata with or without .rpl/.crpl, or a path.
# Environment:
#   BUILD          build directory (default: build), relative to the
#                  repository root or absolute; testbound is expected in
#                  BUILD/testbound/testbound (tests/testbound/build.sh)
#   UNBOUND_SUITE  a label for the Unbound build, printed in the summary
#   TB_JOBS        scenarios run at once (default 2)
#   TB_TIMEOUT     seconds one testbound run may take before it counts as
#                  failed (default 300; a scenario takes well under one)
#   TB_KEEP=1      keep the logs of passing runs too
#   TB_PLACE=first put dynlib in front of every module instead of at
#                  cnroute's documented place (shows what that breaks)
# Results and the logs of failing runs: BUILD/testbound/run/.
set -u

root=$(cd "$(dirname "$0")/../.." && pwd)
here=$root/tests/testbound

# ---------------------------------------------------------------- one scenario

# run_cnroute WORK MODE: the cnroute copy of the scenario in WORK, with the
# module's table empty (MODE "empty": never loaded) or loaded from the
# snapshot (MODE "table"); prints "RC STARTED" (STARTED: the module's log
# line for the mode is there).
run_cnroute() {
	local work=$1 mode=$2 conf=$1/cnroute-$2.conf rc started=0
	cp "$TB_OUT/cnroute.conf" "$conf"
	if [[ $mode == table ]]; then
		# a copy each: the module writes the file back when it stops
		cp "$TB_OUT/table.snapshot" "$work/table.snapshot"
		echo "snapshot-file: $work/table.snapshot" >>"$conf"
	fi
	(cd "$work" && CNROUTE_CONF=$conf timeout -k 10 "$TB_TIMEOUT" \
		"$TB_BIN" -p cnroute.rpl >"cnroute-$mode.log" 2>&1)
	rc=$?
	if [[ $mode == table ]]; then
		grep -q 'cnroute: started from .*: 1 filings, 1 routes' "$work/cnroute-$mode.log" && started=1
	else
		grep -q 'cnroute: started with' "$work/cnroute-$mode.log" && started=1
	fi
	echo "$rc $started"
}

# run_one NAME FILE: all runs of one scenario; writes results/NAME ("skip
# REASON", or "SHIPPED_RC EMPTY_RC EMPTY_STARTED TABLE_RC TABLE_STARTED")
# and prints one line.
run_one() {
	local name=$1 file=$2 work rc_s e t why
	work=$TB_OUT/work/$name
	if why=$(needs_missing_feature "$name"); then
		echo "skip $why" >"$TB_OUT/results/$name"
		printf 'skip   %s (%s)\n' "$name" "$why"
		return 0
	fi
	mkdir -p "$work"
	cp "$file" "$work/shipped.rpl"
	awk -v so="$TB_SO" -v place="${TB_PLACE:-}" -f "$here/with-cnroute.awk" "$file" >"$work/cnroute.rpl" || {
		echo "2 2 0 2 0" >"$TB_OUT/results/$name"
		printf 'ERROR  %s: cannot rewrite the scenario\n' "$name"
		return 0; }
	# testbound writes its temporary files into the working directory
	(cd "$work" && timeout -k 10 "$TB_TIMEOUT" "$TB_BIN" -p shipped.rpl \
		>shipped.log 2>&1)
	rc_s=$?
	if grep -qE '^[[:space:]]*module-config:.*dns64' "$work/cnroute.rpl"; then
		# cnroute refuses a stack with dns64 at start: that refusal,
		# with its log line, is what this scenario must show
		e=$(run_cnroute "$work" empty)
		if [[ ${e%% *} != 0 ]] && grep -q 'has dns64: cnroute and dns64 cannot run' "$work/cnroute-empty.log"; then
			echo "refused" >"$TB_OUT/results/$name"
			printf 'refused %s (dns64 in the stack: the module refuses it, as documented)\n' "$name"
			[[ ${TB_KEEP:-0} == 1 ]] || rm -rf "$work"
		else
			echo "$rc_s 1 0 1 0" >"$TB_OUT/results/$name"
			printf 'REGRESSION %s (dns64 in the stack, but the module did not refuse it), logs: %s\n' \
				"$name" "$work"
		fi
		return 0
	fi
	e=$(run_cnroute "$work" empty)
	t=$(run_cnroute "$work" table)
	echo "$rc_s $e $t" >"$TB_OUT/results/$name"
	if [[ "$rc_s $e $t" == "0 0 1 0 1" ]]; then
		printf 'ok     %s\n' "$name"
		[[ ${TB_KEEP:-0} == 1 ]] || rm -rf "$work"
	elif [[ $rc_s != 0 ]]; then
		printf 'shipped-fails %s (shipped rc %s; with cnroute: rc/started %s, %s)\n' \
			"$name" "$rc_s" "${e/ //}" "${t/ //}"
	else
		printf 'REGRESSION %s (with cnroute, rc/started: table empty %s, table loaded %s), logs: %s\n' \
			"$name" "${e/ //}" "${t/ //}" "$work"
	fi
}

# needs_missing_feature NAME: print the feature and succeed when the
# scenario needs one this testbound lacks (as 03-testbound.tdir decides).
needs_missing_feature() {
	case $1 in *sha2*) "$TB_BIN" -2 >/dev/null 2>&1 || { echo "no SHA-2"; return 0; } ;; esac
	case $1 in *gost*) "$TB_BIN" -g >/dev/null 2>&1 || { echo "no GOST"; return 0; } ;; esac
	case $1 in *subnet*) "$TB_BIN" -c >/dev/null 2>&1 || { echo "no subnetcache"; return 0; } ;; esac
	case $1 in *ipsecmod*) "$TB_BIN" -i >/dev/null 2>&1 || { echo "no ipsecmod"; return 0; } ;; esac
	case $1 in *cachedb*) grep -q 'define USE_CACHEDB 1' "$TB_SRC/config.h" || { echo "no cachedb"; return 0; } ;; esac
	return 1
}

if [[ ${1:-} == --one ]]; then
	run_one "$(basename "$2" | sed 's/\.c\{0,1\}rpl$//')" "$2"
	exit 0
fi

# ---------------------------------------------------------------- setup

BUILD=${BUILD:-build}
case $BUILD in /*) b=$BUILD ;; *) b=$root/$BUILD ;; esac
export TB_SRC=$b/unbound-src
export TB_BIN=$b/testbound/testbound
export TB_SO=$b/cnroute.so
export TB_OUT=$b/testbound/run
export TB_TIMEOUT=${TB_TIMEOUT:-300}
geoip=$b/geoip/geo-whois-asn-country.mmdb
jobs=${TB_JOBS:-2}
suite=${UNBOUND_SUITE:-default}

for f in "$TB_BIN" "$TB_SO" "$geoip" "$TB_SRC/testdata"; do
	[[ -e $f ]] || { echo "test-testbound: missing $f (BUILD=$BUILD)" >&2; exit 2; }
done

# a loopback port nothing listens on: cnroute's Redis connection is refused
# (here, and for the loaded-table runs a Redis of make-snapshot.sh's own
# for a moment, gone before the scenarios run)
redis_port=
for p in 1 9 13 19 37; do
	if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then redis_port=$p; break; fi
done
[[ -n $redis_port ]] || { echo "test-testbound: no closed loopback port found" >&2; exit 2; }

rm -rf "$TB_OUT"
mkdir -p "$TB_OUT/results" "$TB_OUT/work"
cat >"$TB_OUT/cnroute.conf" <<EOF
# written by tests/testbound/run.sh: nothing listens on this port, so no
# name is managed
redis-server: 127.0.0.1:$redis_port
key-prefix: "cnroute:"
geoip-db: $geoip
geoip-field: country_code
mainland-countries: CN
ecs: use
EOF

"$here/make-snapshot.sh" "$b" "$TB_OUT/table.snapshot" >/dev/null ||
	{ echo "test-testbound: cannot make the snapshot for the loaded-table runs" >&2; exit 2; }

files=()
if (($#)); then
	for a in "$@"; do
		if [[ -f $a ]]; then files+=("$(cd "$(dirname "$a")" && pwd)/$(basename "$a")")
		elif [[ -f $TB_SRC/testdata/$a ]]; then files+=("$TB_SRC/testdata/$a")
		elif [[ -f $TB_SRC/testdata/$a.rpl ]]; then files+=("$TB_SRC/testdata/$a.rpl")
		elif [[ -f $TB_SRC/testdata/$a.crpl ]]; then files+=("$TB_SRC/testdata/$a.crpl")
		else echo "test-testbound: no scenario $a" >&2; exit 2; fi
	done
else
	for f in "$TB_SRC"/testdata/*.rpl "$TB_SRC"/testdata/*.crpl; do
		[[ -f $f ]] && files+=("$f")
	done
fi

# Every module stack the cnroute copies run must be one unbound-checkconf
# accepts (it has a list of the stacks known to work): an operator's
# configuration with cnroute at its place must pass it.
checkconf=$b/unbound/sbin/unbound-checkconf
stack_fail=()
if [[ -x $checkconf ]]; then
	while IFS= read -r stack; do
		printf 'server:\n\tusername: ""\n\tchroot: ""\n\tmodule-config: "%s"\ndynlib:\n\tdynlib-file: "%s"\n' \
			"$stack" "$TB_SO" >"$TB_OUT/checkconf.conf"
		if "$checkconf" "$TB_OUT/checkconf.conf" >"$TB_OUT/checkconf.out" 2>&1; then
			echo "# unbound-checkconf accepts module-config \"$stack\""
		else
			echo "# unbound-checkconf REJECTS module-config \"$stack\": $(tail -n 1 "$TB_OUT/checkconf.out")"
			stack_fail+=("$stack")
		fi
	done < <(for f in "${files[@]}"; do
			needs_missing_feature "$(basename "$f" | sed 's/\.c\{0,1\}rpl$//')" >/dev/null && continue
			awk -v so="$TB_SO" -v place="${TB_PLACE:-}" -f "$here/with-cnroute.awk" "$f" |
				sed -n '/^[ \t]*CONFIG_END/q; s/^.*module-config:[ \t]*"\(.*\)".*$/\1/p'
		done | grep -v dns64 | sort -u)
else
	echo "# no $checkconf: module stacks not checked"
fi

version=$("$b/unbound/sbin/unbound" -V 2>/dev/null | head -n 1)
echo "# testbound: ${#files[@]} scenarios of $TB_SRC (${version:-Unbound version unknown}, suite $suite), $jobs at a time"
echo "# cnroute: $TB_SO, Redis 127.0.0.1:$redis_port (closed), placed ${TB_PLACE:-as documented}"
t0=$(date +%s)
printf '%s\n' "${files[@]}" | xargs -d '\n' -P "$jobs" -n 1 "$0" --one
t1=$(date +%s)

# ---------------------------------------------------------------- summary

total=0 skipped=0 s_pass=0 s_fail=0 e_pass=0 e_fail=0 t_pass=0 t_fail=0
regressions=() shipped_fail=() skips=() refused=()
for f in "${files[@]}"; do
	name=$(basename "$f" | sed 's/\.c\{0,1\}rpl$//')
	total=$((total + 1))
	r=$(cat "$TB_OUT/results/$name" 2>/dev/null) || r="3 3 0 3 0"
	if [[ $r == skip* ]]; then
		skipped=$((skipped + 1)); skips+=("$name (${r#skip })"); continue
	fi
	if [[ $r == refused ]]; then
		refused+=("$name"); continue
	fi
	read -r rc_s rc_e st_e rc_t st_t <<<"$r"
	if [[ $rc_s == 0 ]]; then s_pass=$((s_pass + 1)); else s_fail=$((s_fail + 1)); fi
	if [[ $rc_e == 0 && $st_e == 1 ]]; then e_pass=$((e_pass + 1)); else e_fail=$((e_fail + 1)); fi
	if [[ $rc_t == 0 && $st_t == 1 ]]; then t_pass=$((t_pass + 1)); else t_fail=$((t_fail + 1)); fi
	if [[ $rc_s != 0 ]]; then
		shipped_fail+=("$name")
	elif [[ "$rc_e $st_e $rc_t $st_t" != "0 1 0 1" ]]; then
		regressions+=("$name")
	fi
done
ran=$((total - skipped - ${#refused[@]}))
echo "# ===== testbound summary (suite $suite, ${version:-?})"
echo "scenarios: $total, run: $ran, skipped: $skipped; took $((t1 - t0)) s with $jobs at a time"
echo "as shipped:   $s_pass passed, $s_fail failed"
echo "with cnroute, table empty:  $e_pass passed, $e_fail failed"
echo "with cnroute, table loaded: $t_pass passed, $t_fail failed"
((${#skips[@]})) && printf 'skipped: %s\n' "${skips[*]}"
((${#refused[@]})) && printf 'stack with dns64, refused by the module at start as documented (checked): %s\n' "${refused[*]}"
((${#shipped_fail[@]})) && printf 'failing as shipped (not counted): %s\n' "${shipped_fail[*]}"
if ((${#stack_fail[@]})); then
	echo "module stacks unbound-checkconf rejects (${#stack_fail[@]}): ${stack_fail[*]}"
fi
if ((${#regressions[@]})); then
	echo "regressions (${#regressions[@]}): ${regressions[*]}"
	echo "logs: $TB_OUT/work/<scenario>/{shipped,cnroute-empty,cnroute-table}.log"
	exit 1
fi
if ((ran == 0)); then
	echo "test-testbound: no scenario ran" >&2
	exit 1
fi
echo "regressions: none"
((${#stack_fail[@]} == 0)) || exit 1
exit 0
