#!/bin/bash
# metrics-file: the Prometheus text the module writes for node_exporter's
# textfile collector. After N mainland and M offshore queries the answer
# counters moved by exactly N and M (each answer counted once, in the
# worker's own slot, summed at write time: Unbound runs 2 threads here);
# promtool accepts the file and the shipped alert rules; the change-apply
# histogram counts a change; build_info names the release; cnroutectl
# stats shows the file.
. "$(dirname "$0")/lib.sh"
it_setup
command -v promtool >/dev/null || it_bail "missing tool: promtool (Debian package prometheus, tools/setup/install-deps.sh)"
filing mt.example.com active
route www.mt.example.com 192.0.2.70 198.51.100.70 30
M_FILE=$IT_WORK/ub-main/cnroute.prom
it_up main metrics-file="$M_FILE"

# metric NAME [LABELS]: the value of one sample of the metrics file
metric() {
	local k=$1
	[[ -n ${2:-} ]] && k+="{$2}"
	awk -v k="$k" '$1 == k { print $2 }' "$M_FILE" 2>/dev/null
}
# rewritten: wait until the file is newer than it is now (one more write)
rewritten() {
	local before
	before=$(stat -c %Y.%y "$M_FILE" 2>/dev/null)
	wait_until 3000 bash -c '[[ $(stat -c %Y.%y "$1" 2>/dev/null) != "$2" ]]' _ "$M_FILE" "$before"
}

wait_until 3000 test -s "$M_FILE" || it_bail "no metrics file $M_FILE after 3 s"
rewritten
out=$(promtool check metrics <"$M_FILE" 2>&1); rc=$?
assert_eq "promtool check metrics accepts the file ($out)" 0 "$rc"
out=$(promtool check rules "$IT_ROOT/conf/cnroute-alerts.yml" 2>&1); rc=$?
assert_eq "promtool check rules accepts conf/cnroute-alerts.yml" 0 "$rc"
assert_match "build_info names the release of include/cnroute/version.h and Unbound" \
	"^cnroute_build_info\{version=\"$(sed -n 's/^#define CNROUTE_VERSION "\(.*\)"/\1/p' "$IT_ROOT/include/cnroute/version.h")\",unbound=\"1\.[0-9.]+\"\} 1$" \
	"$(grep '^cnroute_build_info' "$M_FILE")"
assert_eq "redis_up 1" 1 "$(metric cnroute_redis_up)"
assert_eq "stale 0" 0 "$(metric cnroute_stale)"
assert_eq "table entries: 1 route" 1 "$(metric cnroute_table_entries 'kind="route"')"
assert_eq "table entries: 1 filing" 1 "$(metric cnroute_table_entries 'kind="filing"')"
assert_ge "full syncs counted" 1 "$(metric cnroute_full_syncs_total)"

cn0=$(metric cnroute_answers_total 'pool="cn"')
off0=$(metric cnroute_answers_total 'pool="offshore"')
dh0=$(metric cnroute_decision_cache_hits_total) dm0=$(metric cnroute_decision_cache_misses_total)
gh0=$(metric cnroute_geoip_cache_hits_total) gm0=$(metric cnroute_geoip_cache_misses_total)
N=7 M=5
for ((i = 0; i < N; i++)); do q --ecs 1.0.1.0/24 www.mt.example.com A; done
assert_res "mainland client: cn pool" "$(res NOERROR A:192.0.2.70)"
for ((i = 0; i < M; i++)); do q --ecs 8.8.8.0/24 www.mt.example.com A; done
assert_res "US client: offshore pool" "$(res NOERROR A:198.51.100.70)"
rewritten; rewritten
cn1=$(metric cnroute_answers_total 'pool="cn"')
off1=$(metric cnroute_answers_total 'pool="offshore"')
assert_eq "answers{pool=cn} moved by exactly N=$N" "$N" "$((cn1 - cn0))"
assert_eq "answers{pool=offshore} moved by exactly M=$M" "$M" "$((off1 - off0))"
# every decision is a hit or a miss of its thread's cache: the first of a
# name in each of the 2 threads misses, the others hit; the same for the
# GeoIP cache, per client subnet
dh=$(($(metric cnroute_decision_cache_hits_total) - dh0)) dm=$(($(metric cnroute_decision_cache_misses_total) - dm0))
gh=$(($(metric cnroute_geoip_cache_hits_total) - gh0)) gm=$(($(metric cnroute_geoip_cache_misses_total) - gm0))
assert_eq "decision cache: hits + misses = the $((N + M)) decisions" $((N + M)) $((dh + dm))
assert_le "decision cache: at most one miss per thread ($dm)" 2 "$dm"
assert_eq "GeoIP cache: hits + misses = the $((N + M)) locations" $((N + M)) $((gh + gm))
assert_le "GeoIP cache: at most one miss per subnet and thread ($gm)" 4 "$gm"

# a change: the histogram counts it from notice to table
c0=$(metric cnroute_change_apply_seconds_count)
ch0=$(metric cnroute_changes_total)
rcli HSET "${IT_PREFIX}route:www.mt.example.com" offshore 198.51.100.71 >/dev/null
eventually "the change reaches the table" 2000 "$(res NOERROR A:198.51.100.71)" --ecs 8.8.8.0/24 www.mt.example.com A
rewritten; rewritten
assert_ge "change_apply_seconds_count grew after a change ($c0 -> $(metric cnroute_change_apply_seconds_count))" \
	$((c0 + 1)) "$(metric cnroute_change_apply_seconds_count)"
assert_ge "changes_total grew" $((ch0 + 1)) "$(metric cnroute_changes_total)"
assert_eq "+Inf bucket equals the count" "$(metric cnroute_change_apply_seconds_count)" \
	"$(metric cnroute_change_apply_seconds_bucket 'le="+Inf"')"
out=$(promtool check metrics <"$M_FILE" 2>&1); rc=$?
assert_eq "promtool check metrics still accepts the file after a change ($out)" 0 "$rc"

# a CNAME chain through two managed names is one answer, counted by its
# first decision (it used to count once per managed name)
route www2.mt.example.com www.mt.example.com. www.mt.example.com. 30
eventually "chain through two managed names" 2000 "$(res NOERROR CNAME:www.mt.example.com. A:198.51.100.71)" \
	--ecs 8.8.8.0/24 www2.mt.example.com A
rewritten; rewritten
o0=$(metric cnroute_answers_total 'pool="offshore"') l0=$(modstat answers_offshore)
q --ecs 8.8.8.0/24 www2.mt.example.com A
assert_res "chain, US client: offshore all the way" "$(res NOERROR CNAME:www.mt.example.com. A:198.51.100.71)"
rewritten; rewritten
assert_eq "one chained answer: answers{pool=offshore} +1" 1 $(($(metric cnroute_answers_total 'pool="offshore"') - o0))
assert_eq "one chained answer: stats-file answers_offshore +1" 1 $(($(modstat answers_offshore) - l0))

# cnroutectl stats reads the metrics-file named in the same cnroute.conf
CTL_CONF=$IT_WORK/ub-main/cnroute.conf
ctl stats
assert_eq "cnroutectl stats: exit 0 ($CTL_ERR)" 0 "$CTL_RC"
assert_match "cnroutectl stats: answers by pool" "answers: +cn $cn1, offshore [0-9]+, resolved 0" "$CTL_OUT"
assert_match "cnroutectl stats: Redis up" "Redis: +up" "$CTL_OUT"
assert_match "cnroutectl stats: table sizes" "table: +1 filings, 2 routes" "$CTL_OUT"
assert_match "cnroutectl stats: change-apply p50/p99 in ms" "apply p50 [0-9.e+-]+ ms, p99 [0-9.e+-]+ ms" "$CTL_OUT"
ctl stats --json
assert_eq "cnroutectl stats --json: exit 0" 0 "$CTL_RC"
assert_match "cnroutectl stats --json: answers" "\"answers\":\\{\"cn\":$cn1," "$CTL_OUT"
assert_match "cnroutectl stats --json: p99 a number" "\"p99_seconds\":[0-9]" "$CTL_OUT"
# Redis gone: the gauge drops and the error counter moves
e0=$(metric cnroute_redis_errors_total)
it_stop_redis
wait_until 5000 bash -c '[[ $(awk '"'"'$1 == "cnroute_redis_up" { print $2 }'"'"' "$1") == 0 ]]' _ "$M_FILE"
assert_eq "Redis stopped: cnroute_redis_up 0" 0 "$(metric cnroute_redis_up)"
assert_ge "Redis stopped: cnroute_redis_errors_total moved" $((e0 + 1)) "$(metric cnroute_redis_errors_total)"
ctl stats
assert_match "cnroutectl stats: Redis DOWN" "Redis: +DOWN" "$CTL_OUT"

version=$("$CNROUTECTL" --version)
assert_match "cnroutectl --version is the release in build_info" "^cnroutectl [0-9]" "$version"
assert_match "… the same string" "version=\"${version#cnroutectl }\"" "$(grep '^cnroute_build_info' "$M_FILE")"
it_done
