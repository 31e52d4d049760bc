#!/usr/bin/env bash
# icount.sh - `make bench-icount`: instructions per query, counted by
# callgrind, for the query paths of tests/bench/run.sh. Timings are noisy on a
# shared machine; instruction counts are not.
#
# Copyright (c) 2026, the cnroute authors. BSD-3-Clause, see LICENSE.
#
# Paths (the reference of each cnroute path in brackets):
#   1  plain Unbound ("validator iterator"), cached unmanaged names
#   2  cnroute ("dynlib validator iterator"), the same names          [1]
#   3  cnroute, managed names with address pools (100k+100k table)    [4]
#   4  constant-answer dynlib module (const_module.so), names of 3
#   5  cnroute, managed names with CNAME pools, targets cached        [6]
#   6  plain Unbound, cached upstream CNAME -> A chains (NSD zone)
# Names: ICOUNT_NAMES (100) names per path, cycled; query k asks name
# (k/2) mod ICOUNT_NAMES, with the mainland ECS option (1.0.1.0/24) for
# even k and the US one (8.8.8.0/24) for odd k, as run.sh's two clients do.
#   1, 2: u0..u99.plain.bench           3, 4: www.d1000..d1099.sites.bench
#   5:    www.d0..d99.sites.bench       6:    www.d0..d99.chain.bench (CNAME
#         t<i>.cn.cdn.bench., the target of path 5's mainland answers)
#
# How: one Unbound at a time under valgrind --tool=callgrind (pinned to CPU
# 0; Redis, NSD and the client on CPU 1), instances plain (1, 6), const (4),
# cnroute (2, 3, 5) and, with ICOUNT_COMPARE_SO, cnroute with the other
# module, each with num-threads 1 and 2 (ICOUNT_THREADS). Per instance: wait
# until it answers (and for cnroute until its stats file shows the whole
# table), warm up (every name of its paths, both regions, from 16 source
# ports so that every worker thread's own caches are warm too), check the
# answers with kdig, stop NSD (a query that is not answered from cache or
# table fails instead of being counted), then per path: callgrind_control
# -z, ICOUNT_QUERIES (10000) queries sent strictly one after the other by a
# small Perl client, each only once Unbound's worker threads sleep in
# epoll_wait again (one event-loop wake-up per query: nothing depends on
# timing), each reply checked (id, NOERROR, answer section),
# callgrind_control -d, and the "summary:" lines of the per-thread dumps
# (--separate-threads) summed. Reported: instructions per query in Unbound's
# threads, and in all threads (adds cnroute's Redis thread, which rewrites
# the stats file once a second: its share depends on wall time, not on the
# queries). Note: glibc skips its cancellation-point bookkeeping around
# recvfrom/sendto/epoll_wait in a single-threaded process; plain Unbound and
# the constant module with num-threads 1 are single-threaded, cnroute never
# is (its Redis thread), which alone costs it about 200 instructions per
# query at num-threads 1 (path 2 against path 1, callgrind's own cost per
# function: of the 207 instructions, 124 are __pthread_enable/disable_
# asynccancel and 83 recvfrom, sendto and epoll_wait; other functions
# differ by a few instructions either way; no cnroute code runs for a
# cached name). With num-threads 2 all are multi-threaded.
#
# Knobs (environment): CNROUTE_SO (build/cnroute.so), ICOUNT_COMPARE_SO
# (unset: no comparison), ICOUNT_QUERIES (10000), ICOUNT_NAMES (100),
# ICOUNT_THREADS ("1 2"), ICOUNT_INSTANCES ("plain const cnroute": the
# instances to run, e.g. only "cnroute" while working on the module),
# ICOUNT_SERVER_EXTRA adds a line to every instance's server: clause
# (e.g. "wait-limit: 0", to see what one of Unbound's mechanisms costs).
# ICOUNT_KEEP=1 keeps the work dir. Output: markdown tables (the counts, and
# the targets (2)/(1) <= 1.03 and (5)/(6) <= 1.5 judged) on stdout and in
# build/bench/icount.md.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
HERE=$ROOT/tests/bench
OUT=$ROOT/build/bench
UNBOUND=${UNBOUND:-$ROOT/build/unbound/sbin/unbound}
UB_SRC=${UB_SRC:-$ROOT/build/unbound-src}
CNROUTE_SO=${CNROUTE_SO:-$ROOT/build/cnroute.so}
COMPARE_SO=${ICOUNT_COMPARE_SO:-}
GEOIP_DB=${GEOIP_DB:-$ROOT/build/geoip/geo-whois-asn-country.mmdb}
QUERIES=${ICOUNT_QUERIES:-10000}
NAMES=${ICOUNT_NAMES:-100}
THREADS=${ICOUNT_THREADS:-1 2}
INSTANCES=" ${ICOUNT_INSTANCES:-plain const cnroute} "
TABLE=100000              # filings = routes, as run.sh
CNAME_ROUTES=1000         # routes www.d0..d999 are CNAME pools (gen_redis)
MANAGED_FIRST=1000        # www.d1000..: address pools
PREFIX="cnb:"
ECS_CN=00011800010001     # family 1, source 24, scope 0, 1.0.1.0
ECS_US=00011800080808     # family 1, source 24, scope 0, 8.8.8.0
CPU_DNS=0
CPU_GEN=1

say() { printf '== %s\n' "$*" >&2; }
die() { printf 'icount: %s\n' "$*" >&2; exit 1; }
now_ms() { echo $(($(date +%s%N) / 1000000)); }

for t in valgrind callgrind_control redis-server redis-cli nsd kdig perl taskset ss cc; do
	command -v "$t" >/dev/null || die "missing tool: $t"
done
[[ -x $UNBOUND ]] || die "no Unbound at $UNBOUND (make unbound)"
[[ -f $CNROUTE_SO ]] || die "no module at $CNROUTE_SO (make module)"
[[ -z $COMPARE_SO || -f $COMPARE_SO ]] || die "no module at $COMPARE_SO"
[[ -f $UB_SRC/config.h ]] || die "no configured Unbound tree at $UB_SRC"
[[ -r $GEOIP_DB ]] || die "no GeoIP data at $GEOIP_DB (make geoip)"
((NAMES >= 1 && NAMES <= CNAME_ROUTES && QUERIES >= 2)) || die "bad ICOUNT_NAMES/ICOUNT_QUERIES"

# helpers, built as run.sh builds them, only when missing or older than source
mkdir -p "$OUT"
CFLAGS_B="-std=c11 -D_GNU_SOURCE -O2 -g -Wall -Wextra -Werror"
if [[ ! $OUT/const_module.so -nt $HERE/const_module.c ]]; then
	say "building build/bench/const_module.so"
	cc $CFLAGS_B -shared -fPIC -fvisibility=hidden -isystem "$UB_SRC" \
		"$HERE/const_module.c" -o "$OUT/const_module.so"
fi
if [[ ! $OUT/gen_redis -nt $HERE/gen_redis.c ]]; then
	say "building build/bench/gen_redis"
	cc $CFLAGS_B "$HERE/gen_redis.c" -o "$OUT/gen_redis"
fi

# ------------------------------------------------------------------ life cycle
WORK=$(mktemp -d /tmp/cnroute-icount.XXXXXX)
PIDS=()
cleanup() {
	local rc=$? i
	trap - EXIT INT TERM
	for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do kill_pid "${PIDS[i]}"; done
	if ((rc != 0)) || [[ ${ICOUNT_KEEP:-0} == 1 ]]; then
		echo "icount: work dir kept: $WORK" >&2
	else
		rm -rf "$WORK"
	fi
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
say "work dir $WORK"

# private copies: a rebuild elsewhere during the run does not change them
cp "$CNROUTE_SO" "$WORK/module-cur.so"
cp "$OUT/const_module.so" "$WORK/const_module.so"
MODS=(cur)
declare -A MOD_SO MOD_NAME
MOD_SO[cur]=$WORK/module-cur.so
MOD_NAME[cur]=$(basename "$CNROUTE_SO")
if [[ -n $COMPARE_SO ]]; then
	cp "$COMPARE_SO" "$WORK/module-cmp.so"
	MODS=(cmp cur)         # the other build (e.g. the previous main) first
	MOD_SO[cmp]=$WORK/module-cmp.so
	MOD_NAME[cmp]=$(basename "$COMPARE_SO")
	[[ ${MOD_NAME[cmp]} == "${MOD_NAME[cur]}" ]] && MOD_NAME[cmp]="$COMPARE_SO"
fi

# kill_pid PID: stop one process we started, wait for it (valgrind needs time)
kill_pid() {
	local n=0
	kill -TERM "$1" 2>/dev/null || return 0
	while kill -0 "$1" 2>/dev/null && ((n < 1200)); do sleep 0.1; n=$((n + 1)); done
	kill -KILL "$1" 2>/dev/null || true
	wait "$1" 2>/dev/null || true
}
forget_pid() { local i; for i in "${!PIDS[@]}"; do [[ ${PIDS[i]} == "$1" ]] && unset 'PIDS[i]'; done; PIDS=("${PIDS[@]}"); }

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
# wait_until TIMEOUT_MS CMD...: poll every 100 ms
wait_until() {
	local end=$(($(now_ms) + $1)); shift
	until "$@"; do
		(($(now_ms) >= end)) && return 1
		sleep 0.1
	done
}

# ------------------------------------------------------------------ Redis (as run.sh)
free_port; REDIS_PORT=$REPLY
mkdir -p "$WORK/redis"
taskset -c $CPU_GEN redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' \
	--appendonly no --dir "$WORK/redis" --logfile "$WORK/redis/redis.log" \
	--daemonize no >"$WORK/redis/stdout" 2>&1 &
PIDS+=($!)
redis_up() { [[ $(redis-cli -p "$REDIS_PORT" ping 2>/dev/null) == PONG ]]; }
wait_until 5000 redis_up || die "redis-server did not start"
say "Redis: $TABLE filings + $TABLE routes ($CNAME_ROUTES CNAME pools)"
out=$("$OUT/gen_redis" "$PREFIX" "$TABLE" "$TABLE" "$CNAME_ROUTES" | redis-cli -p "$REDIS_PORT" --pipe 2>&1)
grep -q 'errors: 0' <<<"$out" || die "redis-cli --pipe: $out"

# ------------------------------------------------------------------ NSD
# zone bench. as in run.sh, only the names used here, plus the CNAME chains
# of path 6. NSD runs only while an instance warms up: during the counted
# runs every answer must come from Unbound's cache or from the module.
free_port; NSD_PORT=$REPLY
NSD_DIR=$WORK/nsd
mkdir -p "$NSD_DIR"
{
	printf '$ORIGIN bench.\n$TTL 86400\n'
	printf '@ SOA ns.bench. hostmaster.bench. 1 3600 600 864000 86400\n'
	printf '@ NS ns.bench.\nns A 127.0.0.1\n'
	for ((i = 0; i < NAMES; i++)); do
		printf 'u%d.plain A 192.0.2.%d\n' "$i" $((i % 250 + 1))
		printf 't%d.cn.cdn A 10.255.%d.%d\n' "$i" $((i / 250)) $((i % 250 + 1))
		printf 't%d.gl.cdn A 172.31.%d.%d\n' "$i" $((i / 250)) $((i % 250 + 1))
		printf 'www.d%d.chain CNAME t%d.cn.cdn.bench.\n' "$i" "$i"
	done
} >"$NSD_DIR/bench.zone"
cat >"$NSD_DIR/nsd.conf" <<EOF
server:
    ip-address: 127.0.0.1@$NSD_PORT
    do-ip6: no
    server-count: 1
    username: ""
    chroot: ""
    zonesdir: "$NSD_DIR"
    database: ""
    zonelistfile: "$NSD_DIR/zone.list"
    xfrdfile: "$NSD_DIR/xfrd.state"
    xfrdir: "$NSD_DIR"
    pidfile: "$NSD_DIR/nsd.pid"
    logfile: "$NSD_DIR/nsd.log"
    verbosity: 1
remote-control:
    control-enable: no
zone:
    name: "bench."
    zonefile: "bench.zone"
EOF
NSD_PID=""
nsd_up() { kdig @127.0.0.1 -p "$NSD_PORT" +time=1 +retry=0 +short u0.plain.bench A 2>/dev/null | grep -q 192.0.2; }
start_nsd() {
	taskset -c $CPU_GEN nsd -d -c "$NSD_DIR/nsd.conf" >>"$NSD_DIR/stdout" 2>&1 &
	NSD_PID=$!
	PIDS+=("$NSD_PID")
	wait_until 20000 nsd_up || die "nsd did not start (see $NSD_DIR)"
}
stop_nsd() { kill_pid "$NSD_PID"; forget_pid "$NSD_PID"; NSD_PID=""; }

# ------------------------------------------------------------------ queries
Q=$WORK/queries
mkdir -p "$Q"
for ((i = 0; i < NAMES; i++)); do
	echo "u$i.plain.bench" >&3
	echo "www.d$((MANAGED_FIRST + i)).sites.bench" >&4
	echo "www.d$i.sites.bench" >&5
	echo "www.d$i.chain.bench" >&6
	printf 't%d.cn.cdn.bench\nt%d.gl.cdn.bench\n' "$i" "$i" >&7
done 3>"$Q/plain" 4>"$Q/managed" 5>"$Q/cname" 6>"$Q/chain" 7>"$Q/targets"
PATH_FILE=([1]=plain [2]=plain [3]=managed [4]=managed [5]=cname [6]=chain)
PATH_LABEL=(
	[1]="plain Unbound, cached unmanaged name"
	[2]="cnroute, cached unmanaged name"
	[3]="cnroute, managed name, address pool"
	[4]="constant-answer module, managed name"
	[5]="cnroute, managed name, CNAME pool (target cached)"
	[6]="plain Unbound, cached upstream CNAME -> A"
)
PATH_REF=([2]=1 [3]=4 [5]=6)

# The client: COUNT queries of type A, strictly one after the other, query
# k for name (k/2) mod N of NAMEFILE, ECS mainland for even k and US for odd
# k, rotating over SOCKETS source ports. A reply counts when its id and
# question match, it is NOERROR and has an answer; anything else fails the
# run (after TIMEOUT seconds of silence for a lost one). With PID (the
# counted runs), each query is sent only once every worker thread of PID
# sleeps in epoll_wait again (/proc/PID/task/TID/syscall and stat): one
# event-loop wake-up per query, whatever the timing. (Sent as soon as the
# reply is in, the next query sometimes reached Unbound before it had gone
# back to epoll_wait and was read in the same wake-up: 0.4-1.7 % fewer
# instructions, varying from run to run.) Prints "sent=.. answered=..".
cat >"$WORK/client.pl" <<'EOF'
use strict; use warnings; use Socket; use Time::HiRes qw(time);
my ($port, $count, $namefile, $nsock, $timeout, $ecs_cn, $ecs_us, $pid, $nworkers) = @ARGV;
open(my $fh, '<', $namefile) or die "$namefile: $!";
chomp(my @names = <$fh>);
my @ecs = (pack('H*', $ecs_cn), pack('H*', $ecs_us));
my @socks;
for (1 .. $nsock) {
	socket(my $s, PF_INET, SOCK_DGRAM, 0) or die "socket: $!";
	connect($s, sockaddr_in($port, inet_aton('127.0.0.1'))) or die "connect: $!";
	push @socks, $s;
}
# a thread sleeping in epoll_wait (232) or epoll_pwait (281)
sub waiting {
	my $tid = shift;
	open(my $f, '<', "/proc/$pid/task/$tid/syscall") or die "/proc/$pid/task/$tid/syscall: $!";
	my ($nr) = split ' ', (<$f> // '');
	return 0 unless defined $nr && ($nr eq '232' || $nr eq '281');
	open($f, '<', "/proc/$pid/task/$tid/stat") or die "/proc/$pid/task/$tid/stat: $!";
	return (<$f> // '') =~ /\) S /;
}
# the worker threads: the NWORKERS threads of PID found in epoll_wait
my @workers;
for (my $t0 = time; $pid && @workers != $nworkers; select(undef, undef, undef, 0.01)) {
	die "not $nworkers threads of $pid in epoll_wait\n" if time - $t0 > $timeout;
	opendir(my $d, "/proc/$pid/task") or die "/proc/$pid/task: $!";
	@workers = grep { /^\d+$/ && waiting($_) } readdir $d;
}
sub idle {
	my $t0 = time;
	while (grep { !waiting($_) } @workers) {
		die "worker threads not idle after $timeout s\n" if time - $t0 > $timeout;
		select(undef, undef, undef, 0.0001);
	}
}
my ($ok, $bad, $t0) = (0, 0, time);
for my $k (0 .. $count - 1) {
	my $name = $names[int($k / 2) % @names];
	my $id = $k & 0xffff;
	my $qname = join('', map { chr(length $_) . $_ } split /\./, $name) . "\0";
	my $opt = pack('nn', 8, length $ecs[$k % 2]) . $ecs[$k % 2];
	my $q = pack('n6', $id, 0x0100, 1, 0, 0, 1) . $qname . pack('nn', 1, 1)
		. "\0" . pack('nnNn', 41, 1232, 0, length $opt) . $opt;
	my $s = $socks[$k % @socks];
	idle() if $pid;
	send($s, $q, 0) or die "send: $!";
	while (1) {
		my $rin = ''; vec($rin, fileno($s), 1) = 1;
		if (!select($rin, undef, undef, $timeout)) {
			print STDERR "query $k ($name): no reply in $timeout s\n"; $bad++; last;
		}
		my $r; recv($s, $r, 65535, 0);
		next if length($r) < 12 || unpack('n', $r) != $id
			|| substr($r, 12, length $qname) ne $qname;
		my ($flags, $an) = (unpack('n6', $r))[1, 3];
		if (($flags & 0x800f) == 0x8000 && $an > 0) { $ok++; }
		else { printf STDERR "query %d (%s): rcode %d, %d answers\n", $k, $name, $flags & 15, $an; $bad++; }
		last;
	}
}
idle() if $pid;
printf "sent=%d answered=%d failed=%d seconds=%.1f workers=%d\n", $count, $ok, $bad, time - $t0, scalar @workers;
exit($bad ? 1 : 0);
EOF
# client PORT COUNT NAMEFILE SOCKETS [PID NWORKERS]: run it on the generator CPU
client() {
	taskset -c $CPU_GEN perl "$WORK/client.pl" "$1" "$2" "$3" "$4" 120 "$ECS_CN" "$ECS_US" "${5:-0}" "${6:-0}"
}

# ------------------------------------------------------------------ Unbound under callgrind
# start_unbound NAME THREADS MODULE-CONFIG DYNLIB-FILE|"" -> UB_PORT UB_PID UB_DIR
start_unbound() {
	local n=$1 threads=$2 mods=$3 so=$4
	UB_DIR=$WORK/ub-$n-$threads
	mkdir -p "$UB_DIR/cg"
	free_port; UB_PORT=$REPLY
	{
		cat <<-EOF
		server:
		    username: ""
		    chroot: ""
		    directory: "$UB_DIR"
		    pidfile: "$UB_DIR/unbound.pid"
		    logfile: "$UB_DIR/unbound.log"
		    use-syslog: no
		    verbosity: 1
		    num-threads: $threads
		    so-reuseport: yes
		    interface: 127.0.0.1@$UB_PORT
		    do-ip6: no
		    access-control: 127.0.0.0/8 allow
		    do-not-query-localhost: no
		    msg-cache-size: 64m
		    rrset-cache-size: 128m
		    domain-insecure: "bench."
		    module-config: "$mods"
		    ${ICOUNT_SERVER_EXTRA:-}
		EOF
		if [[ -n $so ]]; then printf 'dynlib:\n    dynlib-file: "%s"\n' "$so"; fi
		printf 'remote-control:\n    control-enable: no\n'
		printf 'stub-zone:\n    name: "bench."\n    stub-addr: 127.0.0.1@%s\n' "$NSD_PORT"
	} >"$UB_DIR/unbound.conf"
	cat >"$UB_DIR/cnroute.conf" <<-EOF
	redis-server: 127.0.0.1:$REDIS_PORT
	key-prefix: "$PREFIX"
	geoip-db: "$GEOIP_DB"
	geoip-field: country_code
	mainland-countries: CN
	ecs: use
	answer-ttl-max: 60
	resync-interval: 3600
	stats-file: "$UB_DIR/stats"
	EOF
	# --separate-threads: one dump per thread, to tell Unbound's threads
	# from cnroute's Redis thread; a private vgdb prefix for callgrind_control
	CNROUTE_CONF=$UB_DIR/cnroute.conf taskset -c $CPU_DNS valgrind --tool=callgrind \
		--instr-atstart=yes --separate-threads=yes --vgdb=yes \
		--vgdb-prefix="$UB_DIR/vgdb" --callgrind-out-file="$UB_DIR/cg/out.%p" \
		"$UNBOUND" -d -c "$UB_DIR/unbound.conf" >"$UB_DIR/stdout" 2>&1 &
	UB_PID=$!
	PIDS+=("$UB_PID")
	DUMPS=0
	wait_until 600000 ub_up || die "unbound $n did not start: $(tail -5 "$UB_DIR/unbound.log" "$UB_DIR/stdout")"
}
ub_up() { kill -0 "$UB_PID" 2>/dev/null &&
	kdig @127.0.0.1 -p "$UB_PORT" +time=5 +retry=0 version.server CH TXT 2>/dev/null | grep -q 'status: '; }
stop_unbound() { kill_pid "$UB_PID"; forget_pid "$UB_PID"; }
modstat() { sed -n "s/^$1=//p" "$UB_DIR/stats" 2>/dev/null | tail -1; }
loaded() { [[ $(modstat full_syncs) =~ ^[1-9] && $(modstat filings) == "$TABLE" && $(modstat routes) == "$TABLE" ]]; }
cgctl() { callgrind_control --vgdb-prefix="$UB_DIR/vgdb" "$@" "$UB_PID" >>"$UB_DIR/cgctl.log" 2>&1; }

# check DESC REGEX kdig-args...: the answer (sorted, +short) must match
check() {
	local desc=$1 re=$2 got; shift 2
	got=$(kdig @127.0.0.1 -p "$UB_PORT" +time=20 +retry=1 +short "$@" 2>&1 | sort | tr '\n' ' ')
	[[ $got =~ $re ]] || die "check failed: $desc: expected /$re/, got '$got'"
	echo "   ok: $desc: $got" >&2
}
# warm NAMEFILE: every name, both regions, twice, from 16 source ports
warm() {
	client "$UB_PORT" $((4 * $(wc -l <"$1"))) "$1" 16 >/dev/null ||
		die "warm-up with $1 failed"
}

# measure PATH MODULE THREADS: zero, send, dump, sum -> line in $WORK/counts.tsv
#   path module threads queries ir_unbound_threads ir_all_threads seconds
measure() {
	local p=$1 m=$2 t=$3 res f s unbound=0 all=0
	cgctl -z || die "callgrind_control -z failed: $(tail -3 "$UB_DIR/cgctl.log")"
	res=$(client "$UB_PORT" "$QUERIES" "$Q/${PATH_FILE[$p]}" 1 "$UB_PID" "$t") ||
		die "path $p: not every query answered: $res"
	[[ $res == *"answered=$QUERIES "* ]] || die "path $p: $res"
	cgctl -d "path$p" || die "callgrind_control -d failed: $(tail -3 "$UB_DIR/cgctl.log")"
	DUMPS=$((DUMPS + 1))
	for f in "$UB_DIR"/cg/out.*."$DUMPS"-*; do
		[[ -f $f ]] || die "no callgrind dump $DUMPS in $UB_DIR/cg"
		s=$(sed -n 's/^summary: *\([0-9]*\).*/\1/p' "$f")
		all=$((all + s))
		# cnroute's Redis thread runs sync_main; every other thread is Unbound's
		grep -q 'sync_main' "$f" || unbound=$((unbound + s))
	done
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$p" "$m" "$t" "$QUERIES" "$unbound" "$all" \
		"$(sed 's/.*seconds=\([0-9.]*\).*/\1/' <<<"$res")" >>"$WORK/counts.tsv"
	awk -v p="$p" -v m="$m" -v t="$t" -v q="$QUERIES" -v u="$unbound" -v a="$all" -v r="$res" \
		'BEGIN { printf "   (%d) %s, %d thread(s): %.1f instr/query in Unbound threads, %.1f in all (%s)\n", p, m, t, u / q, a / q, r }' >&2
}

# ================================================================== main
RUN_START=$(now_ms)
: >"$WORK/counts.tsv"
for t in $THREADS; do
	# plain Unbound: paths 1 and 6
	if [[ $INSTANCES == *" plain "* ]]; then
		say "plain Unbound, num-threads $t (paths 1, 6)"
		start_nsd
		start_unbound plain "$t" "validator iterator" ""
		warm "$Q/plain"; warm "$Q/chain"
		check "(1) plain name" '^192\.0\.2\.6 $' u5.plain.bench A +subnet=1.0.1.0/24
		check "(6) upstream chain" '^10\.255\.0\.6 t5\.cn\.cdn\.bench\. $' www.d5.chain.bench A +subnet=8.8.8.0/24
		stop_nsd
		measure 1 - "$t"; measure 6 - "$t"
		stop_unbound
	fi

	if [[ $INSTANCES == *" const "* ]]; then
		say "constant-answer module, num-threads $t (path 4)"
		start_nsd
		start_unbound const "$t" "dynlib validator iterator" "$WORK/const_module.so"
		warm "$Q/managed"
		check "(4) constant answer" '^192\.0\.2\.1 $' www.d5000.sites.bench A +subnet=1.0.1.0/24
		stop_nsd
		measure 4 - "$t"
		stop_unbound
	fi

	[[ $INSTANCES == *" cnroute "* ]] || continue
	for m in "${MODS[@]}"; do
		say "cnroute ${MOD_NAME[$m]}, num-threads $t (paths 2, 3, 5)"
		start_nsd
		start_unbound "cnroute-$m" "$t" "dynlib validator iterator" "${MOD_SO[$m]}"
		wait_until 900000 loaded ||
			die "cnroute did not load the table: $(cat "$UB_DIR/stats" 2>/dev/null)"
		warm "$Q/plain"; warm "$Q/targets"; warm "$Q/managed"; warm "$Q/cname"
		check "(2) plain name via cnroute" '^192\.0\.2\.6 $' u5.plain.bench A +subnet=1.0.1.0/24
		check "(3) mainland client, CN pool" '^10\.0\.15\.81 10\.0\.15\.82 $' www.d1000.sites.bench A +subnet=1.0.1.0/24
		check "(3) US client, offshore pool" '^172\.0\.15\.81 172\.0\.15\.82 $' www.d1000.sites.bench A +subnet=8.8.8.0/24
		check "(5) mainland client, CNAME pool" '^10\.255\.0\.6 t5\.cn\.cdn\.bench\. $' www.d5.sites.bench A +subnet=1.0.1.0/24
		check "(5) US client, CNAME pool" '^172\.31\.0\.6 t5\.gl\.cdn\.bench\. $' www.d5.sites.bench A +subnet=8.8.8.0/24
		stop_nsd
		measure 2 "$m" "$t"; measure 3 "$m" "$t"; measure 5 "$m" "$t"
		stop_unbound
	done
done
TOTAL_S=$((($(now_ms) - RUN_START) / 1000))

# ================================================================== report
# ipq PATH MODULE THREADS [all]: instructions per query ("-" if not measured)
ipq() {
	awk -F'\t' -v p="$1" -v m="$2" -v t="$3" -v col="${4:+6}" '
		$1 == p && $2 == m && $3 == t { printf "%.0f", $(col ? col : 5) / $4; f = 1 }
		END { if (!f) printf "-" }' "$WORK/counts.tsv"
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "-" || b == "-" || b == 0) print "-"; else printf "%.3f", a / b }'; }
commas() { sed -e ':a' -e 's/\([0-9]\)\([0-9]\{3\}\)\($\|[^0-9]\)/\1,\2\3/; ta' <<<"$1"; }

{
	echo "Instructions per query (callgrind Ir), $QUERIES queries per path after warm-up, $NAMES names per path"
	echo "cycled, mainland and US ECS alternating; Unbound threads only (all threads incl. cnroute's Redis"
	echo "thread in brackets). Ratio: to the path's reference ((2)/(1), (3)/(4), (5)/(6))."
	echo
	hdr="| # | path | threads |"
	sep="|---|---|---:|"
	for m in "${MODS[@]}"; do
		hdr+=" ${MOD_NAME[$m]}: instr/query | ratio |"
		sep+="---:|---:|"
	done
	if [[ -n $COMPARE_SO ]]; then
		hdr+=" ${MOD_NAME[cur]} / ${MOD_NAME[cmp]} |"
		sep+="---:|"
	fi
	echo "$hdr"
	echo "$sep"
	for t in $THREADS; do
		for p in 1 2 3 4 5 6; do
			row="| $p | ${PATH_LABEL[$p]} | $t |"
			for m in "${MODS[@]}"; do
				if [[ -n ${PATH_REF[$p]:-} ]]; then
					v=$(ipq "$p" "$m" "$t") a=$(ipq "$p" "$m" "$t" all)
					r=$(ratio "$v" "$(ipq "${PATH_REF[$p]}" - "$t")")
					row+=" $(commas "$v") ($(commas "$a")) | $r |"
				else
					v=$(ipq "$p" - "$t")
					row+=" $(commas "$v") | |"
				fi
			done
			if [[ -n $COMPARE_SO ]]; then
				if [[ -n ${PATH_REF[$p]:-} ]]; then
					row+=" $(ratio "$(ipq "$p" cur "$t")" "$(ipq "$p" cmp "$t")") |"
				else
					row+=" |"
				fi
			fi
			echo "$row"
		done
	done
	echo
	echo "| target ($(basename "$CNROUTE_SO")) | threads | value | target | verdict |"
	echo "|---|---:|---:|---:|---|"
	for t in $THREADS; do
		for pr in "2 1 1.03 unmanaged name: cnroute / plain Unbound" \
			"3 4 - address pool: cnroute / constant-answer module" \
			"5 6 1.5 CNAME pool: cnroute / plain Unbound's cached chain"; do
			read -r a b lim label <<<"$pr"
			r=$(ratio "$(ipq "$a" cur "$t")" "$(ipq "$b" - "$t")")
			v=""
			[[ $lim != - && $r != - ]] && v=$(awk -v r="$r" -v l="$lim" 'BEGIN { print (r <= l) ? "met" : "**missed**" }')
			echo "| ($a)/($b) $label | $t | $r | $([[ $lim == - ]] && echo "(none)" || echo "<= $lim") | $v |"
		done
	done
	echo
	echo "Modules: ${MOD_NAME[cur]} = $CNROUTE_SO (sha256 $(sha256sum <"$WORK/module-cur.so" | cut -c1-12))$(
		[[ -n $COMPARE_SO ]] && echo "; ${MOD_NAME[cmp]} = $COMPARE_SO (sha256 $(sha256sum <"$WORK/module-cmp.so" | cut -c1-12))")."
	echo "$(valgrind --version), Unbound $("$UNBOUND" -V | sed -n 's/^Version //p'), $(nproc) CPUs, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1); whole run $TOTAL_S s."
	echo
	echo "Raw counts (path, module, threads, queries, Ir in Unbound threads, Ir in all threads, client seconds):"
	echo
	echo '```'
	cat "$WORK/counts.tsv"
	echo '```'
} >"$OUT/icount.md"
echo
cat "$OUT/icount.md"
