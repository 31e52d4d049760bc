#!/usr/bin/env bash
# run.sh - `make bench`: cnroute side by side with plain Unbound, static
# views and a trivial module, on loopback, with dnsperf as load generator.
#
# Copyright (c) 2026, the cnroute authors. BSD-3-Clause, see LICENSE.
#
# What it does (details and the figures measured: tests/bench/RESULTS.md):
#   - builds its helpers into build/bench/ (the constant-answer module, the
#     Redis data generator, the revocation prober, the lookup micro-benchmark);
#   - starts Redis (100k filings + 100k routes), NSD (zone bench.) and four
#     Unbound instances from the same build, each num-threads: 1 and pinned
#     to CPU 0 (the load generators, Redis and NSD run on CPU 1):
#       plain   module-config "validator iterator"            -> (1) (7)
#       cnroute "dynlib validator iterator" + cnroute.so      -> (2) (3) (5)
#       views   "validator iterator" + one view per region    -> (4)
#       const   "dynlib validator iterator" + const_module.so -> (6)
#   - runs the seven configurations in alternation (1..7, 1..7, ...) for
#     BENCH_ROUNDS rounds: a saturating dnsperf run (qps, mean latency) and a
#     paced run at BENCH_LAT_QPS with dnsperf -v (mean, p50, p99 latency);
#   - revocation-to-effect (revoke_probe), idle and under load;
#   - a fleet: two replicas of that Redis, a resolver on each, and the
#     revocation written to the primary until the last resolver serves it
#     (from the write's acknowledgement);
#   - lookup cost vs table size (lookup_bench);
#   - instructions per query under callgrind (tests/bench/icount.sh: the
#     query paths above, num-threads 1 and 2; needs valgrind);
#   - start-up with 1,000,000 filings + 1,000,000 routes (time, RSS);
#   - prints one markdown summary, writes it to build/bench/results.md and
#     into tests/bench/RESULTS.md between the bench:begin/end markers
#     (BENCH_UPDATE_RESULTS=0 leaves RESULTS.md alone).
#
# Regions: every configuration gets the same load, two dnsperf processes in
# parallel: a "mainland" client (source 127.0.0.2, ECS option 1.0.1.0/24, CN
# in the GeoIP data) and a "US" client (source 127.0.0.3, ECS 8.8.8.0/24).
# cnroute locates clients by the ECS option; the views instance by source
# address (access-control-view), since Unbound views can't use ECS.
#
# Knobs (environment): BENCH_ROUNDS (5), BENCH_SECONDS (8), BENCH_CLIENTS
# (per dnsperf, 8), BENCH_OUTSTANDING (per dnsperf, 50), BENCH_LAT_QPS
# (total, 20000), BENCH_LAT_SECONDS (4), BENCH_TABLE (100000),
# BENCH_REVOCATIONS (120), BENCH_BIG (1000000), BENCH_SKIP (space-separated:
# throughput latency revoke fleet lookup startup), BENCH_KEEP=1 keeps the
# work dir.
set -euo pipefail
# (BENCH_SKIP also takes icount, the instruction counts; icount.sh's ICOUNT_*
# knobs apply to them.)

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
HERE=$ROOT/tests/bench
OUT=$ROOT/build/bench
UNBOUND=${UNBOUND:-$ROOT/build/unbound/sbin/unbound}
UB_SRC=${UB_SRC:-$ROOT/build/unbound-src}
CNROUTE_SO=${CNROUTE_SO:-$ROOT/build/cnroute.so}
GEOIP_DB=${GEOIP_DB:-$ROOT/build/geoip/geo-whois-asn-country.mmdb}

ROUNDS=${BENCH_ROUNDS:-5}
SECONDS_RUN=${BENCH_SECONDS:-8}
CLIENTS=${BENCH_CLIENTS:-8}
OUTSTANDING=${BENCH_OUTSTANDING:-50}
LAT_QPS=${BENCH_LAT_QPS:-20000}
LAT_SECONDS=${BENCH_LAT_SECONDS:-4}
TABLE=${BENCH_TABLE:-100000}
REVOCATIONS=${BENCH_REVOCATIONS:-120}
BIG=${BENCH_BIG:-1000000}
SKIP=" ${BENCH_SKIP:-} "
CNAME_ROUTES=1000         # www.d0..d999: CNAME pools (configuration 5)
MANAGED_FIRST=1000        # www.d1000..: address pools, the names of (3) (4) (6)
MANAGED_COUNT=10000
PLAIN_COUNT=1000          # u0..u999.plain.bench: unmanaged, cached (1) (2)
PREFIX="cnb:"
ECS_CN=00011800010001     # family 1, source 24, scope 0, 1.0.1.0
ECS_US=00011800080808     # family 1, source 24, scope 0, 8.8.8.0
CPU_DNS=0                 # the resolvers
CPU_GEN=1                 # dnsperf, Redis, NSD, probes

skipped() { [[ $SKIP == *" $1 "* ]]; }
say() { printf '== %s\n' "$*" >&2; }
die() { printf 'bench: %s\n' "$*" >&2; exit 1; }
now_ms() { echo $(($(date +%s%N) / 1000000)); }

for t in dnsperf redis-server redis-cli nsd kdig taskset ss awk cc; do
	command -v "$t" >/dev/null || die "missing tool: $t (make bench installs dnsperf)"
done
[[ -x $UNBOUND ]] || die "no Unbound at $UNBOUND (make unbound)"
[[ -f $CNROUTE_SO ]] || die "no module at $CNROUTE_SO (make module)"
[[ -f $UB_SRC/config.h ]] || die "no configured Unbound tree at $UB_SRC"
[[ -r $GEOIP_DB ]] || die "no GeoIP data at $GEOIP_DB (make geoip)"
(($(nproc) >= 2)) || die "needs 2 CPUs (resolver on one, load generator on the other)"

# ------------------------------------------------------------------ build
say "building helpers into build/bench/"
mkdir -p "$OUT"
CFLAGS_B="-std=c11 -D_GNU_SOURCE -O2 -g -Wall -Wextra -Werror"
cc $CFLAGS_B -shared -fPIC -fvisibility=hidden -isystem "$UB_SRC" \
	"$HERE/const_module.c" -o "$OUT/const_module.so"
cc $CFLAGS_B "$HERE/gen_redis.c" -o "$OUT/gen_redis"
cc $CFLAGS_B "$HERE/revoke_probe.c" -lhiredis -o "$OUT/revoke_probe"
cc $CFLAGS_B -I"$ROOT/include" "$HERE/lookup_bench.c" "$ROOT"/plugin/policy/*.c \
	-lmaxminddb -lidn2 -lpsl -lz -lpthread -o "$OUT/lookup_bench"

# ------------------------------------------------------------------ life cycle
WORK=$(mktemp -d /tmp/cnroute-bench.XXXXXX)
PIDS=()
cleanup() {
	local rc=$? i
	trap - EXIT INT TERM
	for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do
		kill -TERM "${PIDS[i]}" 2>/dev/null || true
	done
	for i in "${PIDS[@]}"; do
		local n=0
		while kill -0 "$i" 2>/dev/null && ((n < 100)); do sleep 0.1; n=$((n + 1)); done
		kill -KILL "$i" 2>/dev/null || true
		wait "$i" 2>/dev/null || true
	done
	if ((rc != 0)) || [[ ${BENCH_KEEP:-0} == 1 ]]; then
		echo "bench: work dir kept: $WORK" >&2
	else
		rm -rf "$WORK"
	fi
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
say "work dir $WORK"

# kill_pid PID: stop one daemon we started, wait for it
kill_pid() {
	local n=0
	kill -TERM "$1" 2>/dev/null || return 0
	while kill -0 "$1" 2>/dev/null && ((n < 300)); do sleep 0.1; n=$((n + 1)); done
	kill -KILL "$1" 2>/dev/null || true
	wait "$1" 2>/dev/null || true
}

# free_port: a TCP+UDP port nobody listens on (result in REPLY)
USED_PORTS=" "
free_port() {
	local p n used
	used=$(ss -Hlntua 2>/dev/null | awk '{print $5}')
	for ((n = 0; n < 500; n++)); do
		p=$((20000 + (RANDOM * 32768 + RANDOM) % 40000))
		[[ $USED_PORTS == *" $p "* ]] && continue
		grep -qE "[:.]$p\$" <<<"$used" && continue
		USED_PORTS+="$p "
		REPLY=$p
		return 0
	done
	die "no free port"
}

# wait_until TIMEOUT_MS CMD...: poll every 20 ms
wait_until() {
	local end=$(($(now_ms) + $1)); shift
	until "$@"; do
		(($(now_ms) >= end)) && return 1
		sleep 0.02
	done
}

# ------------------------------------------------------------------ Redis
start_redis() { # DIR -> REDIS_PORT, REDIS_PID
	free_port; REDIS_PORT=$REPLY
	mkdir -p "$1"
	taskset -c $CPU_GEN redis-server --port "$REDIS_PORT" --bind 127.0.0.1 \
		--save '' --appendonly no --dir "$1" --logfile "$1/redis.log" \
		--daemonize no >"$1/stdout" 2>&1 &
	REDIS_PID=$!
	PIDS+=("$REDIS_PID")
	wait_until 5000 redis_up || die "redis-server did not start"
}
redis_up() { [[ $(redis-cli -p "$REDIS_PORT" ping 2>/dev/null) == PONG ]]; }

load_redis() { # FILINGS ROUTES CNAMES
	local out
	out=$("$OUT/gen_redis" "$PREFIX" "$1" "$2" "$3" | redis-cli -p "$REDIS_PORT" --pipe 2>&1)
	grep -q 'errors: 0' <<<"$out" || die "redis-cli --pipe: $out"
}

# ------------------------------------------------------------------ NSD
start_nsd() {
	free_port; NSD_PORT=$REPLY
	local d=$WORK/nsd i
	mkdir -p "$d"
	{
		printf '$ORIGIN bench.\n$TTL 86400\n'
		printf '@ SOA ns.bench. hostmaster.bench. 1 3600 600 864000 86400\n'
		printf '@ NS ns.bench.\nns A 127.0.0.1\n'
		for ((i = 0; i < PLAIN_COUNT; i++)); do
			printf 'u%d.plain A 192.0.2.%d\n' "$i" $((i % 250 + 1))
		done
		for ((i = 0; i < CNAME_ROUTES; i++)); do
			printf 't%d.cn.cdn A 10.255.%d.%d\n' "$i" $((i / 250)) $((i % 250 + 1))
			printf 't%d.gl.cdn A 172.31.%d.%d\n' "$i" $((i / 250)) $((i % 250 + 1))
			# (7): the chain plain Unbound answers from its cache
			printf 'www.d%d.chain CNAME t%d.cn.cdn.bench.\n' "$i" "$i"
		done
	} >"$d/bench.zone"
	cat >"$d/nsd.conf" <<-EOF
	server:
	    ip-address: 127.0.0.1@$NSD_PORT
	    do-ip6: no
	    server-count: 1
	    username: ""
	    chroot: ""
	    zonesdir: "$d"
	    database: ""
	    zonelistfile: "$d/zone.list"
	    xfrdfile: "$d/xfrd.state"
	    xfrdir: "$d"
	    pidfile: "$d/nsd.pid"
	    logfile: "$d/nsd.log"
	    verbosity: 1
	remote-control:
	    control-enable: no
	zone:
	    name: "bench."
	    zonefile: "bench.zone"
	EOF
	taskset -c $CPU_GEN nsd -d -c "$d/nsd.conf" >"$d/stdout" 2>&1 &
	NSD_PID=$!
	PIDS+=("$NSD_PID")
	wait_until 10000 nsd_up || die "nsd did not start (see $d)"
}
nsd_up() { kdig @127.0.0.1 -p "$NSD_PORT" +time=1 +retry=0 +short u1.plain.bench A 2>/dev/null | grep -q 192.0.2; }

# ------------------------------------------------------------------ Unbound
declare -A UB_PORT UB_PID UB_DIR
# start_unbound NAME MODULE-CONFIG DYNLIB-FILE|"" [EXTRA-CONF-FILE]
start_unbound() {
	local n=$1 mods=$2 so=$3 extra=${4:-} d=$WORK/ub-$1
	mkdir -p "$d"
	free_port; UB_PORT[$n]=$REPLY
	UB_DIR[$n]=$d
	{
		cat <<-EOF
		server:
		    username: ""
		    chroot: ""
		    directory: "$d"
		    pidfile: "$d/unbound.pid"
		    logfile: "$d/unbound.log"
		    use-syslog: no
		    verbosity: 1
		    num-threads: 1
		    interface: 127.0.0.1@${UB_PORT[$n]}
		    do-ip6: no
		    access-control: 127.0.0.0/8 allow
		    do-not-query-localhost: no
		    msg-cache-size: 64m
		    rrset-cache-size: 128m
		    domain-insecure: "bench."
		    module-config: "$mods"
		EOF
		[[ -n $extra ]] && cat "$extra"
		if [[ -n $so ]]; then printf 'dynlib:\n    dynlib-file: "%s"\n' "$so"; fi
		if [[ -n ${UB_CONTROL_PORT:-} ]]; then
			printf 'remote-control:\n    control-enable: yes\n    control-interface: 127.0.0.1\n'
			printf '    control-port: %s\n    control-use-cert: no\n' "$UB_CONTROL_PORT"
		else
			printf 'remote-control:\n    control-enable: no\n'
		fi
		printf 'stub-zone:\n    name: "bench."\n    stub-addr: 127.0.0.1@%s\n' "$NSD_PORT"
	} >"$d/unbound.conf"
	cat >"$d/cnroute.conf" <<-EOF
	redis-server: 127.0.0.1:$REDIS_PORT
	key-prefix: "$PREFIX"
	geoip-db: "$GEOIP_DB"
	geoip-field: country_code
	mainland-countries: CN
	ecs: use
	answer-ttl-max: 60
	# full reconciliations would run on the resolver's CPU in the middle
	# of other configurations' runs; changes arrive by notification
	resync-interval: ${UB_RESYNC:-3600}
	stats-file: "$d/stats"
	${UB_CNROUTE_EXTRA:-}
	EOF
	CNROUTE_CONF=$d/cnroute.conf taskset -c $CPU_DNS "$UNBOUND" -d -c "$d/unbound.conf" \
		>"$d/stdout" 2>&1 &
	UB_PID[$n]=$!
	PIDS+=("${UB_PID[$n]}")
}
ub_up() { kill -0 "${UB_PID[$1]}" 2>/dev/null &&
	kdig @127.0.0.1 -p "${UB_PORT[$1]}" +time=1 +retry=0 version.server CH TXT 2>/dev/null | grep -q 'status: '; }
modstat() { sed -n "s/^$2=//p" "${UB_DIR[$1]}/stats" 2>/dev/null | tail -1; }
loaded() { # NAME FILINGS ROUTES
	local f r
	f=$(modstat "$1" filings) r=$(modstat "$1" routes)
	[[ $(modstat "$1" full_syncs) =~ ^[1-9] && $f == "$2" && $r == "$3" ]]
}

# views.conf for the peer: the same names and answers as cnroute's routes
views_conf() {
	awk -v first=$MANAGED_FIRST -v n="$TABLE" '
	function pool(base, i,   a, b, c) {
		a = int(i / 16384) % 256; b = int(i / 64) % 256; c = 2 * (i % 64) + 1
		return base "." a "." b "." c " " base "." a "." b "." (c + 1)
	}
	BEGIN {
		print "    access-control-view: 127.0.0.2/32 cn"
		print "    access-control-view: 127.0.0.3/32 us"
		for (v = 0; v < 2; v++) {
			base = v == 0 ? 10 : 172
			printf "view:\n    name: \"%s\"\n", v == 0 ? "cn" : "us"
			for (i = first; i < n; i++) {
				split(pool(base, i), x, " ")
				printf "    local-data: \"www.d%d.sites.bench. 60 IN A %s\"\n", i, x[1]
				printf "    local-data: \"www.d%d.sites.bench. 60 IN A %s\"\n", i, x[2]
			}
		}
	}'
}

# ------------------------------------------------------------------ queries
Q=$WORK/queries
mkdir -p "$Q"
for ((i = 0; i < PLAIN_COUNT; i++)); do echo "u$i.plain.bench A"; done >"$Q/plain.txt"
for ((i = MANAGED_FIRST; i < MANAGED_FIRST + MANAGED_COUNT; i++)); do
	echo "www.d$i.sites.bench A"; done >"$Q/managed.txt"
for ((i = 0; i < CNAME_ROUTES; i++)); do echo "www.d$i.sites.bench A"; done >"$Q/cname.txt"
for ((i = 0; i < CNAME_ROUTES; i++)); do echo "www.d$i.chain.bench A"; done >"$Q/chain.txt"
for ((i = 0; i < CNAME_ROUTES; i++)); do
	echo "t$i.cn.cdn.bench A"; echo "t$i.gl.cdn.bench A"; done >"$Q/targets.txt"

# configuration -> instance, query file, label
CFG_INST=([1]=plain [2]=cnroute [3]=cnroute [4]=views [5]=cnroute [6]=const [7]=plain)
CFG_FILE=([1]=plain [2]=plain [3]=managed [4]=managed [5]=cname [6]=managed [7]=chain)
CFGS="1 2 3 4 5 6 7"
CFG_LABEL=(
	[1]="plain Unbound, cached names"
	[2]="cnroute, cached unmanaged names"
	[3]="cnroute, managed names, address pools"
	[4]="peer: static views (access-control-view + local-data)"
	[5]="cnroute, managed names, CNAME pools (targets cached)"
	[6]="floor: constant-answer dynlib module"
	[7]="plain Unbound, cached upstream CNAME -> A chains"
)

# cpu_ticks PID: utime+stime of a process
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
# cpu_busy N: "busy total" jiffies of CPU N since boot (from /proc/stat)
cpu_busy() { awk -v c="cpu$1" '$1 == c { t = 0; for (i = 2; i <= NF; i++) t += $i; print t - $5 - $6, t }' /proc/stat; }

# dnsperf_start PORT FILE OUTBASE [extra dnsperf args...]: the mainland and
# the US client in parallel, on the generator CPU (pids in LOAD_PIDS)
dnsperf_start() {
	local port=$1 file=$2 out=$3; shift 3
	LOAD_OUT=$out
	taskset -c $CPU_GEN dnsperf -s 127.0.0.1 -p "$port" -d "$file" -a 127.0.0.2 \
		-E "8:$ECS_CN" -t 2 "$@" >"$out.cn" 2>&1 &
	LOAD_PIDS=($!)
	taskset -c $CPU_GEN dnsperf -s 127.0.0.1 -p "$port" -d "$file" -a 127.0.0.3 \
		-E "8:$ECS_US" -t 2 "$@" >"$out.us" 2>&1 &
	LOAD_PIDS+=($!)
	PIDS+=("${LOAD_PIDS[@]}")
}
dnsperf_wait() {
	wait "${LOAD_PIDS[0]}" || die "dnsperf failed: $(tail -3 "$LOAD_OUT.cn")"
	wait "${LOAD_PIDS[1]}" || die "dnsperf failed: $(tail -3 "$LOAD_OUT.us")"
}
dnsperf_pair() { dnsperf_start "$@"; dnsperf_wait; }

# throughput CFG ROUND: saturating run -> one line in $WORK/tput.tsv:
#   cfg round qps mean_ms lost nonnoerror ub_cpu_pct cpu0_busy_pct cpu1_busy_pct
# (resolver CPU well under 100% with CPU 0 busy: something else ran there;
# CPU 1 near 100%: the load generator may be the limit)
throughput() {
	local c=$1 r=$2 inst=${CFG_INST[$1]} out=$WORK/runs/tput.$1.$2 t0 t1 c0 c1 hz a0 a1 b0 b1
	hz=$(getconf CLK_TCK)
	c0=$(cpu_ticks "${UB_PID[$inst]}"); t0=$(date +%s%N)
	a0=$(cpu_busy $CPU_DNS); b0=$(cpu_busy $CPU_GEN)
	dnsperf_pair "${UB_PORT[$inst]}" "$Q/${CFG_FILE[$c]}.txt" "$out" \
		-l "$SECONDS_RUN" -c "$CLIENTS" -q "$OUTSTANDING"
	c1=$(cpu_ticks "${UB_PID[$inst]}"); t1=$(date +%s%N)
	a1=$(cpu_busy $CPU_DNS); b1=$(cpu_busy $CPU_GEN)
	awk -v c="$c" -v r="$r" -v cpu="$(((c1 - c0) * 100 * 1000000000 / hz / (t1 - t0)))" \
		-v a="$a0 $a1" -v b="$b0 $b1" '
		/Queries completed:/ { done += $3 }
		/Queries lost:/ { lost += $3 }
		/Response codes:/ { for (i = 3; i <= NF; i += 3) if ($i != "NOERROR") bad += $(i + 1) }
		/Queries per second:/ { qps += $4 }
		/Average Latency \(s\):/ { lat[FILENAME] = $4 }
		/Queries per second:/ { q[FILENAME] = $4 }
		END {
			for (f in q) { w += q[f]; m += q[f] * lat[f] }
			split(a, x, " "); split(b, y, " ")
			printf "%d\t%d\t%.0f\t%.3f\t%d\t%d\t%d\t%.0f\t%.0f\n", c, r, qps, 1000 * m / w, lost, bad, cpu,
				100 * (x[3] - x[1]) / (x[4] - x[2]), 100 * (y[3] - y[1]) / (y[4] - y[2])
		}' "$out.cn" "$out.us" >>"$WORK/tput.tsv"
	tail -1 "$WORK/tput.tsv" | awk -F'\t' '{printf "   (%d) round %d: %s qps, mean %s ms, lost %s, non-NOERROR %s, resolver CPU %s%%, CPU0 busy %s%%, CPU1 busy %s%%\n", $1, $2, $3, $4, $5, $6, $7, $8, $9}' >&2
}

# latency CFG ROUND: paced run with -v -> $WORK/lat.$CFG (one latency in s per line)
latency() {
	local c=$1 r=$2 inst=${CFG_INST[$1]} out=$WORK/runs/lat.$1.$2
	dnsperf_pair "${UB_PORT[$inst]}" "$Q/${CFG_FILE[$c]}.txt" "$out" \
		-l "$LAT_SECONDS" -c "$CLIENTS" -q "$OUTSTANDING" -Q $((LAT_QPS / 2)) -v
	awk '/^> / { if ($2 == "NOERROR") print $NF; else bad++ } END { if (bad) print "non-NOERROR " bad > "/dev/stderr" }' \
		"$out.cn" "$out.us" >>"$WORK/lat.$c"
	rm -f "$out.cn" "$out.us"
}

# ------------------------------------------------------------------ checks
# check NAME DESC EXPECTED-REGEX kdig-args...
check() {
	local n=$1 desc=$2 re=$3 got; shift 3
	got=$(kdig @127.0.0.1 -p "${UB_PORT[$n]}" +time=2 +retry=1 +short "$@" 2>&1 | sort | tr '\n' ' ')
	[[ $got =~ $re ]] || die "check failed: $desc: expected /$re/, got '$got'"
	echo "   ok: $desc: $got" >&2
}

# ================================================================== main
mkdir -p "$WORK/runs"
RUN_START=$(now_ms)
say "Redis with $TABLE filings + $TABLE routes ($CNAME_ROUTES of them CNAME pools)"
start_redis "$WORK/redis"
load_redis "$TABLE" "$TABLE" "$CNAME_ROUTES"
say "NSD serving bench. ($PLAIN_COUNT plain names, $((2 * CNAME_ROUTES)) CNAME targets)"
start_nsd
say "Unbound instances (num-threads 1, CPU $CPU_DNS)"
views_conf >"$WORK/views.conf"
start_unbound plain "validator iterator" ""
start_unbound cnroute "dynlib validator iterator" "$CNROUTE_SO"
start_unbound views "validator iterator" "" "$WORK/views.conf"
start_unbound const "dynlib validator iterator" "$OUT/const_module.so"
for n in plain cnroute views const; do
	wait_until 60000 ub_up "$n" || die "unbound $n did not start: $(tail -5 "${UB_DIR[$n]}/unbound.log" "${UB_DIR[$n]}/stdout")"
done
wait_until 60000 loaded cnroute "$TABLE" "$TABLE" ||
	die "cnroute did not load the table: $(cat "${UB_DIR[cnroute]}/stats")"

say "warming caches and checking answers"
for n in plain cnroute; do
	taskset -c $CPU_GEN dnsperf -s 127.0.0.1 -p "${UB_PORT[$n]}" -d "$Q/plain.txt" -n 1 -q 10 >/dev/null 2>&1
done
taskset -c $CPU_GEN dnsperf -s 127.0.0.1 -p "${UB_PORT[plain]}" -d "$Q/chain.txt" -n 1 -q 10 >/dev/null 2>&1
taskset -c $CPU_GEN dnsperf -s 127.0.0.1 -p "${UB_PORT[cnroute]}" -d "$Q/targets.txt" -n 1 -q 10 >/dev/null 2>&1
check plain "(1) plain name" '^192\.0\.2\.6 $' u5.plain.bench A
check cnroute "(2) plain name via cnroute" '^192\.0\.2\.6 $' u5.plain.bench A +subnet=1.0.1.0/24
check cnroute "(3) mainland client, CN pool" '^10\.0\.78\.17 10\.0\.78\.18 $' www.d5000.sites.bench A +subnet=1.0.1.0/24
check cnroute "(3) US client, offshore pool" '^172\.0\.78\.17 172\.0\.78\.18 $' www.d5000.sites.bench A +subnet=8.8.8.0/24
check views "(4) view cn (source 127.0.0.2)" '^10\.0\.78\.17 10\.0\.78\.18 $' www.d5000.sites.bench A -b 127.0.0.2
check views "(4) view us (source 127.0.0.3)" '^172\.0\.78\.17 172\.0\.78\.18 $' www.d5000.sites.bench A -b 127.0.0.3
check cnroute "(5) mainland client, CNAME pool" '^10\.255\.0\.6 t5\.cn\.cdn\.bench\. $' www.d5.sites.bench A +subnet=1.0.1.0/24
check cnroute "(5) US client, CNAME pool" '^172\.31\.0\.6 t5\.gl\.cdn\.bench\. $' www.d5.sites.bench A +subnet=8.8.8.0/24
check const "(6) constant answer" '^192\.0\.2\.1 $' www.d5000.sites.bench A
check plain "(7) upstream chain" '^10\.255\.0\.6 t5\.cn\.cdn\.bench\. $' www.d5.chain.bench A
SETUP_MS=$(($(now_ms) - RUN_START))

: >"$WORK/tput.tsv"
if ! skipped throughput; then
	say "throughput: $ROUNDS rounds of (1)..(7), ${SECONDS_RUN} s each, 2 dnsperf x -c $CLIENTS -q $OUTSTANDING"
	for ((r = 1; r <= ROUNDS; r++)); do
		for c in $CFGS; do throughput "$c" "$r"; done
	done
fi
if ! skipped latency; then
	say "latency: $ROUNDS rounds of (1)..(7), ${LAT_SECONDS} s each at $LAT_QPS qps (dnsperf -v)"
	for c in $CFGS; do : >"$WORK/lat.$c"; done
	for ((r = 1; r <= ROUNDS; r++)); do
		for c in $CFGS; do latency "$c" "$r"; done
	done
fi

REVOKE_IDLE="" REVOKE_LOAD="" REVOKE_LOAD_QPS="" RESYNC_LOG=""
if ! skipped revoke; then
	say "revocation-to-effect: $REVOCATIONS revocations, resolver idle"
	taskset -c $CPU_GEN "$OUT/revoke_probe" "${UB_PORT[cnroute]}" "$REDIS_PORT" "$PREFIX" \
		20000 "$REVOCATIONS" >"$WORK/revoke.idle" || die "revoke_probe: $(tail -3 "$WORK/revoke.idle")"
	REVOKE_IDLE=$(grep '^SUMMARY' "$WORK/revoke.idle")
	echo "   $REVOKE_IDLE" >&2
	say "revocation-to-effect: $REVOCATIONS revocations under load (3)"
	dnsperf_start "${UB_PORT[cnroute]}" "$Q/managed.txt" "$WORK/runs/revload" \
		-l 600 -c "$CLIENTS" -q "$OUTSTANDING"
	sleep 1
	taskset -c $CPU_GEN "$OUT/revoke_probe" "${UB_PORT[cnroute]}" "$REDIS_PORT" "$PREFIX" \
		30000 "$REVOCATIONS" >"$WORK/revoke.load" || die "revoke_probe: $(tail -3 "$WORK/revoke.load")"
	# stop the two dnsperf processes: they print their statistics on SIGINT
	kill -INT "${LOAD_PIDS[@]}" 2>/dev/null || true
	wait "${LOAD_PIDS[@]}" 2>/dev/null || true
	REVOKE_LOAD_QPS=$(awk '/Queries per second:/ { q += $4 } END { printf "%.0f", q }' \
		"$WORK/runs/revload.cn" "$WORK/runs/revload.us")
	REVOKE_LOAD=$(grep '^SUMMARY' "$WORK/revoke.load")
	echo "   $REVOKE_LOAD" >&2
	RESYNC_LOG=$(grep -o 'reconciled with Redis.*' "${UB_DIR[cnroute]}/unbound.log" | tail -1)
fi

REVOKE_FLEET=""
if ! skipped fleet; then
	say "fleet: $REVOCATIONS revocations on the primary, two resolvers on two replicas"
	PRIMARY_PORT=$REDIS_PORT
	FLEET_PORTS=()
	for r in 1 2; do
		free_port; rp=$REPLY
		mkdir -p "$WORK/replica$r"
		taskset -c $CPU_GEN redis-server --port "$rp" --bind 127.0.0.1 \
			--save '' --appendonly no --dir "$WORK/replica$r" \
			--logfile "$WORK/replica$r/redis.log" --replicaof 127.0.0.1 "$PRIMARY_PORT" \
			--daemonize no >"$WORK/replica$r/stdout" 2>&1 &
		PIDS+=("$!")
		wait_until 60000 bash -c "redis-cli -p $rp info replication | grep -q master_link_status:up" ||
			die "replica $r did not link up"
		# the resolver reads its replica (start_unbound writes REDIS_PORT)
		REDIS_PORT=$rp start_unbound "fleet$r" "dynlib validator iterator" "$CNROUTE_SO"
		wait_until 60000 loaded "fleet$r" "$TABLE" "$TABLE" || die "fleet$r did not load"
		FLEET_PORTS+=("${UB_PORT[fleet$r]}")
	done
	REDIS_PORT=$PRIMARY_PORT
	REVOKE_PROBE_WRITE=ack taskset -c $CPU_GEN "$OUT/revoke_probe" \
		"$(IFS=,; echo "${FLEET_PORTS[*]}")" "$PRIMARY_PORT" "$PREFIX" \
		50000 "$REVOCATIONS" >"$WORK/revoke.fleet" || die "revoke_probe: $(tail -3 "$WORK/revoke.fleet")"
	REVOKE_FLEET=$(grep '^SUMMARY' "$WORK/revoke.fleet")
	echo "   $REVOKE_FLEET" >&2
	for r in 1 2; do kill "${UB_PID[fleet$r]}" 2>/dev/null || true; done
fi

declare -A UB_RSS_KB
for n in plain cnroute views const; do
	UB_RSS_KB[$n]=$(awk '/VmRSS/ {print $2}' "/proc/${UB_PID[$n]}/status")
	kill_pid "${UB_PID[$n]}"
done
kill_pid "$REDIS_PID"

ICOUNT_OUT=""
if ! skipped icount; then
	if command -v valgrind >/dev/null && command -v callgrind_control >/dev/null; then
		say "instructions per query (tests/bench/icount.sh, callgrind)"
		"$HERE/icount.sh" >"$WORK/icount.out" || die "icount.sh failed"
		ICOUNT_OUT=$(cat "$OUT/icount.md")
	else
		ICOUNT_OUT="(not measured: valgrind is not installed; apt-get install valgrind)"
		echo "   $ICOUNT_OUT" >&2
	fi
fi

LOOKUP_OUT=""
if ! skipped lookup; then
	say "lookup cost vs table size (lookup_bench, CPU $CPU_GEN)"
	LOOKUP_OUT=$(taskset -c $CPU_GEN "$OUT/lookup_bench" 2000000)
	echo "$LOOKUP_OUT" | sed 's/^/   /' >&2
fi

# sync_cpu_ms NAME: CPU time (user + system) of the module's sync thread
sync_cpu_ms() {
	local t tick
	tick=$(getconf CLK_TCK)
	for t in /proc/"${UB_PID[$1]}"/task/*; do
		[[ $(cat "$t/comm" 2>/dev/null) == cnroute-sync ]] || continue
		awk -v k="$tick" '{ printf "%d\n", ($14 + $15) * 1000 / k }' "$t/stat"
		return
	done
	echo 0
}
# redis_cpu_ms: CPU time Redis used so far
redis_cpu_ms() {
	redis-cli -p "$REDIS_PORT" info cpu | tr -d '\r' |
		awk -F: '/^used_cpu_(sys|user):/ { s += $2 } END { printf "%d\n", s * 1000 }'
}
big_answers() { # NAME: the big table's last name answers CN for a mainland client
	kdig @127.0.0.1 -p "${UB_PORT[$1]}" +time=1 +retry=0 +short \
		"www.d$((BIG - 1)).sites.bench" A +subnet=1.0.1.0/24 2>/dev/null | grep -q '^10\.'
}
# reload_ms NAME CONTROL-PORT: time of `unbound-control reload` (in
# RELOAD_MS), and until the big table answers again (in RELOAD_BACK_MS)
reload_ms() {
	local t0 t1
	t0=$(now_ms)
	"$(dirname "$UNBOUND")/unbound-control" -c "${UB_DIR[$1]}/unbound.conf" \
		-s "127.0.0.1@$2" reload >/dev/null || die "unbound-control reload failed"
	t1=$(now_ms)
	wait_until 60000 big_answers "$1" || die "no answer after the reload"
	RELOAD_BACK_MS=$(($(now_ms) - t0))
	RELOAD_MS=$((t1 - t0))
}

START_MS="" START_RSS="" START_LOG="" BIG_LOAD_MS="" REDIS_MEM=""
SNAP_MS="" SNAP_RSS="" SNAP_BYTES="" SNAP_LOG="" FULL_MS="" FULL_SYNC_CPU="" FULL_REDIS_CPU=""
REVOKE_FULL="" RELOAD_SNAP_MS="" RELOAD_SNAP_BACK="" RELOAD_MEM_MS="" RELOAD_MEM_BACK=""
if ! skipped startup; then
	say "start-up: $BIG filings + $BIG routes"
	start_redis "$WORK/redis-big"
	t0=$(now_ms)
	load_redis "$BIG" "$BIG" "$CNAME_ROUTES"
	BIG_LOAD_MS=$(($(now_ms) - t0))
	REDIS_MEM=$(redis-cli -p "$REDIS_PORT" info memory | sed -n 's/^used_memory_human:\(.*\)\r$/\1/p')
	free_port; CTL_PORT=$REPLY
	SNAP=$WORK/big.snap
	t0=$(now_ms)
	UB_CONTROL_PORT=$CTL_PORT UB_CNROUTE_EXTRA="snapshot-file: \"$SNAP\"" \
		start_unbound big "dynlib validator iterator" "$CNROUTE_SO"
	wait_until 600000 loaded big "$BIG" "$BIG" ||
		die "the big table did not load: $(cat "${UB_DIR[big]}/stats")"
	START_MS=$(($(now_ms) - t0))
	START_RSS=$(awk '/VmRSS/ {print $2}' "/proc/${UB_PID[big]}/status")
	START_LOG=$(grep -o 'reconciled with Redis.*' "${UB_DIR[big]}/unbound.log" | head -1)
	check big "big table answers" '^10\.' "www.d$((BIG - 1)).sites.bench" A +subnet=1.0.1.0/24
	echo "   table complete after $START_MS ms, VmRSS $START_RSS kB ($START_LOG)" >&2
	wait_until 60000 test -s "$SNAP" || die "no snapshot written"
	SNAP_BYTES=$(stat -c %s "$SNAP")

	say "full reconciliation at $BIG + $BIG, with revocations meanwhile"
	# drop the module's connections: it reconnects and reconciles fully
	c0=$(sync_cpu_ms big) r0=$(redis_cpu_ms) f0=$(modstat big full_syncs) t0=$(now_ms)
	redis-cli -p "$REDIS_PORT" client kill type normal >/dev/null
	redis-cli -p "$REDIS_PORT" client kill type pubsub >/dev/null
	# the revocations start once it has reconnected and is reconciling
	# (changes made while it is cut off are only seen by the SCAN)
	wait_until 10000 test "$(modstat big redis_connected)" = 0 || true
	sleep 1
	taskset -c $CPU_GEN "$OUT/revoke_probe" "${UB_PORT[big]}" "$REDIS_PORT" "$PREFIX" \
		40000 100 >"$WORK/revoke.full" || die "revoke_probe: $(tail -3 "$WORK/revoke.full")"
	wait_until 600000 test "$(modstat big full_syncs)" -gt "$f0" ||
		die "no second reconciliation (full_syncs was '$f0', now '$(modstat big full_syncs)')"
	FULL_MS=$(grep -o 'reconciled with Redis.*in [0-9]* ms' "${UB_DIR[big]}/unbound.log" |
		tail -1 | sed 's/.*in \([0-9]*\) ms/\1/')
	FULL_SYNC_CPU=$(($(sync_cpu_ms big) - c0)) FULL_REDIS_CPU=$(($(redis_cpu_ms) - r0))
	REVOKE_FULL=$(grep '^SUMMARY' "$WORK/revoke.full")
	echo "   reconciliation $FULL_MS ms; sync thread CPU $FULL_SYNC_CPU ms, Redis CPU $FULL_REDIS_CPU ms (revocations included)" >&2
	echo "   revocations meanwhile: $REVOKE_FULL" >&2

	say "reload at $BIG + $BIG (snapshot-file)"
	reload_ms big "$CTL_PORT"
	RELOAD_SNAP_MS=$RELOAD_MS RELOAD_SNAP_BACK=$RELOAD_BACK_MS
	echo "   unbound-control reload $RELOAD_SNAP_MS ms, steering again after $RELOAD_SNAP_BACK ms" >&2

	say "restart from the snapshot, Redis down"
	kill_pid "${UB_PID[big]}"
	redis-cli -p "$REDIS_PORT" shutdown nosave >/dev/null 2>&1 || kill_pid "$REDIS_PID"
	t0=$(now_ms)
	UB_CNROUTE_EXTRA="snapshot-file: \"$SNAP\"" \
		start_unbound big "dynlib validator iterator" "$CNROUTE_SO"
	wait_until 60000 big_answers big || die "no answer from the snapshot"
	SNAP_MS=$(($(now_ms) - t0))
	SNAP_RSS=$(awk '/VmRSS/ {print $2}' "/proc/${UB_PID[big]}/status")
	SNAP_LOG=$(grep -o 'started from .*' "${UB_DIR[big]}/unbound.log" | tail -1)
	echo "   steering from the snapshot after $SNAP_MS ms, VmRSS $SNAP_RSS kB ($SNAP_LOG)" >&2
	kill_pid "${UB_PID[big]}"

	say "reload at $BIG + $BIG without snapshot-file (the table handed over in memory)"
	start_redis "$WORK/redis-big2"
	load_redis "$BIG" "$BIG" "$CNAME_ROUTES"
	free_port; CTL_PORT=$REPLY
	UB_CONTROL_PORT=$CTL_PORT start_unbound big "dynlib validator iterator" "$CNROUTE_SO"
	wait_until 600000 loaded big "$BIG" "$BIG" || die "the big table did not load (2)"
	reload_ms big "$CTL_PORT"
	RELOAD_MEM_MS=$RELOAD_MS RELOAD_MEM_BACK=$RELOAD_BACK_MS
	echo "   unbound-control reload $RELOAD_MEM_MS ms, steering again after $RELOAD_MEM_BACK ms" >&2
	kill_pid "${UB_PID[big]}"
	kill_pid "$REDIS_PID"
fi
TOTAL_S=$((($(now_ms) - RUN_START) / 1000))

# ================================================================== report
# per configuration: median over rounds of qps and mean latency
stat_cfg() { # CFG -> "qps_median qps_min qps_max mean_ms_median cpu_median lost bad us_per_query_median"
	awk -F'\t' -v c="$1" '$1 == c { n++; q[n] = $3; m[n] = $4; cpu[n] = $7; u[n] = $7 * 10000 / $3; lost += $5; bad += $6 }
	function med(a, n,   i, j, t) { for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
		return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2 }
	END { if (!n) { print "- - - - - - -"; exit }
		lo = q[1]; hi = q[1]; for (i = 1; i <= n; i++) { if (q[i] < lo) lo = q[i]; if (q[i] > hi) hi = q[i] }
		printf "%.0f %.0f %.0f %.3f %.0f %d %d %.2f\n", med(q, n), lo, hi, med(m, n), med(cpu, n), lost, bad, med(u, n) }' "$WORK/tput.tsv"
}
lat_cfg() { # CFG -> "mean_ms p50_ms p99_ms n"
	[[ -s $WORK/lat.$1 ]] || { echo "- - - 0"; return; }
	sort -g "$WORK/lat.$1" | awk '{ a[NR] = $1; s += $1 }
	function p(q,   k) { k = int(q * NR + 0.999999); if (k < 1) k = 1; return a[k] }
	END { printf "%.3f %.3f %.3f %d\n", 1000 * s / NR, 1000 * p(0.5), 1000 * p(0.99), NR }'
}
# ratio of per-round qps, median over rounds (pairs from the same round)
# (norm=1: queries per resolver CPU-second instead of queries per second)
ratio() { # A B [norm]
	awk -F'\t' -v a="$1" -v b="$2" -v norm="${3:-0}" '
	$1 == a { qa[$2] = norm ? $3 / $7 : $3 } $1 == b { qb[$2] = norm ? $3 / $7 : $3 }
	END { n = 0; for (r in qa) if (qb[r] > 0) { n++; x[n] = qa[r] / qb[r] }
		if (!n) { print "-"; exit }
		for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (x[j] < x[i]) { t = x[i]; x[i] = x[j]; x[j] = t }
		lo = x[1]; hi = x[n]; m = n % 2 ? x[(n + 1) / 2] : (x[n / 2] + x[n / 2 + 1]) / 2
		printf "%.3f (rounds %.3f..%.3f)\n", m, lo, hi }' "$WORK/tput.tsv"
}
verdict() { # VALUE OP TARGET
	awk -v v="$1" -v op="$2" -v t="$3" 'BEGIN { if (v == "" || v == "-") { print "n/a"; exit }
		ok = (op == ">=") ? (v + 0 >= t) : (v + 0 <= t); print ok ? "met" : "**missed**" }'
}
kv() { sed -n "s/.*\b$2=\([0-9.]*\).*/\1/p" <<<"$1"; }

{
	echo "### Throughput and latency (median of $ROUNDS alternating rounds)"
	echo
	echo "Unbound 1 thread on CPU $CPU_DNS; 2 dnsperf (mainland + US client) on CPU $CPU_GEN, each -c $CLIENTS -q $OUTSTANDING, ${SECONDS_RUN} s per run; latency columns from paced runs at $LAT_QPS qps total with dnsperf -v (${LAT_SECONDS} s per round)."
	echo
	echo "| # | configuration | qps (median) | qps min..max | resolver CPU | resolver CPU per query | mean latency at saturation | mean / p50 / p99 latency at $LAT_QPS qps | lost / non-NOERROR |"
	echo "|---|---|---:|---:|---:|---:|---:|---:|---:|"
	for c in $CFGS; do
		read -r qm qlo qhi mm cpu lost bad us <<<"$(stat_cfg "$c")"
		read -r lm l50 l99 ln <<<"$(lat_cfg "$c")"
		echo "| $c | ${CFG_LABEL[$c]} | $qm | $qlo..$qhi | $cpu% | $us µs | $mm ms | $lm / $l50 / $l99 ms | $lost / $bad |"
	done
	echo
	echo "### Targets"
	echo
	echo "| measure | value | target | verdict |"
	echo "|---|---:|---:|---|"
	r21=$(ratio 2 1) r36=$(ratio 3 6) r34=$(ratio 3 4) r51=$(ratio 5 1)
	echo "| (2)/(1) qps | $r21 | >= 0.95 | $(verdict "${r21%% *}" ">=" 0.95) |"
	echo "| (3)/(6) qps | $r36 | >= 0.95 | $(verdict "${r36%% *}" ">=" 0.95) |"
	echo "| (3)/(4) qps | $r34 | >= 0.9 | $(verdict "${r34%% *}" ">=" 0.9) |"
	r57=$(ratio 5 7)
	echo "| (5)/(1) qps | $r51 | >= 0.85 | $(verdict "${r51%% *}" ">=" 0.85) |"
	echo "| (5)/(7) qps (CNAME pool / plain Unbound's cached chain) | $r57 | (no target) | |"
	n21=$(ratio 2 1 1) n36=$(ratio 3 6 1) n34=$(ratio 3 4 1) n51=$(ratio 5 1 1)
	echo "| (2)/(1) queries per resolver CPU-second | $n21 | >= 0.95 | $(verdict "${n21%% *}" ">=" 0.95) |"
	echo "| (3)/(6) queries per resolver CPU-second | $n36 | >= 0.95 | $(verdict "${n36%% *}" ">=" 0.95) |"
	echo "| (3)/(4) queries per resolver CPU-second | $n34 | >= 0.9 | $(verdict "${n34%% *}" ">=" 0.9) |"
	n57=$(ratio 5 7 1)
	echo "| (5)/(1) queries per resolver CPU-second | $n51 | >= 0.85 | $(verdict "${n51%% *}" ">=" 0.85) |"
	echo "| (5)/(7) queries per resolver CPU-second | $n57 | (no target) | |"
	if [[ -n $REVOKE_IDLE ]]; then
		echo "| revocation-to-effect, idle: p50 / p99 / max (n=$(kv "$REVOKE_IDLE" n)) | $(kv "$REVOKE_IDLE" revoke_p50_ms) / $(kv "$REVOKE_IDLE" revoke_p99_ms) / $(kv "$REVOKE_IDLE" revoke_max_ms) ms | p99 <= 200 ms | $(verdict "$(kv "$REVOKE_IDLE" revoke_p99_ms)" "<=" 200) |"
		echo "| revocation-to-effect, under load (3) at ${REVOKE_LOAD_QPS} qps: p50 / p99 / max (n=$(kv "$REVOKE_LOAD" n)) | $(kv "$REVOKE_LOAD" revoke_p50_ms) / $(kv "$REVOKE_LOAD" revoke_p99_ms) / $(kv "$REVOKE_LOAD" revoke_max_ms) ms | p99 <= 200 ms | $(verdict "$(kv "$REVOKE_LOAD" revoke_p99_ms)" "<=" 200) |"
		echo "| restore-to-effect (active again), idle: p50 / p99 | $(kv "$REVOKE_IDLE" restore_p50_ms) / $(kv "$REVOKE_IDLE" restore_p99_ms) ms | | |"
		echo "| redis-cli run time alone (included above), idle p50 | $(kv "$REVOKE_IDLE" cli_p50_ms) ms | | |"
	fi
	if [[ -n $REVOKE_FLEET ]]; then
		echo "| fleet: revocation on the primary to effect on the last of two resolvers reading two replicas, from the write's acknowledgement: p50 / p99 / max (n=$(kv "$REVOKE_FLEET" n)) | $(kv "$REVOKE_FLEET" revoke_p50_ms) / $(kv "$REVOKE_FLEET" revoke_p99_ms) / $(kv "$REVOKE_FLEET" revoke_max_ms) ms | p99 <= 50 ms | $(verdict "$(kv "$REVOKE_FLEET" revoke_p99_ms)" "<=" 50) |"
		echo "| fleet: the write's round trip (MULTI/HSET/XADD/EXEC), p50 | $(kv "$REVOKE_FLEET" cli_p50_ms) ms | | |"
	fi
	if [[ -n $START_MS ]]; then
		echo "| start-up, $BIG filings + $BIG routes: time until complete | $START_MS ms | <= 10000 ms | $(verdict "$START_MS" "<=" 10000) |"
		echo "| start-up from the snapshot ($((SNAP_BYTES / 1048576)) MB), Redis down: time until steering | $SNAP_MS ms | <= 1000 ms (load) | see the log: ${SNAP_LOG##*loaded in } |"
		echo "| resolver RSS after the snapshot start / after the Redis start | $((SNAP_RSS / 1024)) / $((START_RSS / 1024)) MB | not more | $( ((SNAP_RSS <= START_RSS)) && echo met || echo '**missed**') |"
		echo "| revocation-to-effect during a full reconciliation (n=100) | $(sed 's/.*revoke_p50_ms=\([^ ]*\).*revoke_p99_ms=\([^ ]*\).*revoke_max_ms=\([^ ]*\).*/\1 \/ \2 \/ \3/' <<<"$REVOKE_FULL") ms | p99 <= 1000 ms | |"
		echo "| full reconciliation at $BIG + $BIG: time, sync thread CPU, Redis CPU | $FULL_MS ms, $FULL_SYNC_CPU ms, $FULL_REDIS_CPU ms | | |"
		echo "| unbound-control reload at $BIG + $BIG: command / steering again (snapshot-file) | $RELOAD_SNAP_MS / $RELOAD_SNAP_BACK ms | | |"
		echo "| unbound-control reload at $BIG + $BIG: command / steering again (in-memory hand-over) | $RELOAD_MEM_MS / $RELOAD_MEM_BACK ms | | |"
		echo "| resolver RSS then | $((START_RSS / 1024)) MB | <= 400 MB | $(verdict $((START_RSS / 1024)) "<=" 400) |"
	fi
	echo
	if [[ -n $ICOUNT_OUT ]]; then
		echo "### Instructions per query (callgrind, tests/bench/icount.sh)"
		echo
		echo "$ICOUNT_OUT"
		echo
	fi
	if [[ -n $LOOKUP_OUT ]]; then
		echo "### Lookup cost vs table size (steering_table_answer, the resolver's decision, ns per call, random order)"
		echo
		echo "| routes (= filings) | hit (managed, A) | miss (unmanaged) | harness base | table build |"
		echo "|---:|---:|---:|---:|---:|"
		tail -n +2 <<<"$LOOKUP_OUT" | awk '{printf "| %s | %s ns | %s ns | %s ns | %s ms |\n", $1, $2, $3, $4, $5}'
		echo
	fi
	echo "### Other figures of this run"
	echo
	echo "- resolver RSS after the runs: plain $((${UB_RSS_KB[plain]:-0} / 1024)) MB, cnroute (100k+100k) $((${UB_RSS_KB[cnroute]:-0} / 1024)) MB, views $((${UB_RSS_KB[views]:-0} / 1024)) MB, const $((${UB_RSS_KB[const]:-0} / 1024)) MB"
	[[ -n ${RESYNC_LOG:-} ]] && echo "- cnroute ($TABLE+$TABLE) $RESYNC_LOG"
	[[ -n $START_LOG ]] && echo "- start-up: cnroute $START_LOG; Redis loaded with redis-cli --pipe in $BIG_LOAD_MS ms, Redis used_memory $REDIS_MEM"
	echo "- set-up (Redis, NSD, 4 resolvers, warm-up) $((SETUP_MS / 1000)) s; whole run $TOTAL_S s"
	echo "- per-round throughput (cfg, round, qps, mean ms, lost, non-NOERROR, resolver CPU %, CPU 0 busy %, CPU 1 busy %):"
	echo
	echo '```'
	cat "$WORK/tput.tsv"
	echo '```'
} >"$OUT/results.md"

echo
cat "$OUT/results.md"

if [[ ${BENCH_UPDATE_RESULTS:-1} == 1 && -f $HERE/RESULTS.md ]] &&
	grep -q '<!-- bench:begin -->' "$HERE/RESULTS.md"; then
	{
		sed '/<!-- bench:begin -->/q' "$HERE/RESULTS.md"
		echo
		echo "Generated by \`tests/bench/run.sh\` on $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) CPUs, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)."
		echo
		cat "$OUT/results.md"
		echo
		sed -n '/<!-- bench:end -->/,$p' "$HERE/RESULTS.md"
	} >"$OUT/RESULTS.md.new"
	mv "$OUT/RESULTS.md.new" "$HERE/RESULTS.md"
	echo "bench: results written to tests/bench/RESULTS.md (generated block)" >&2
fi
