# shellcheck shell=bash
# Integration test harness for cnroute: real Redis, NSD and Unbound on loopback.
#
# Sourced by tests/integration/t_*.sh. A test file looks like:
#
#   . "$(dirname "$0")/lib.sh"
#   it_begin                      # work dir, traps, tool and GeoIP data checks
#   it_start_redis; it_start_nsd  # private daemons on free ports
#   filing f.example.com active; route www.f.example.com 192.0.2.1 198.51.100.1
#   it_start_unbound main         # Unbound + cnroute.so, waits until it answers
#   q --ecs 1.0.1.0/24 www.f.example.com A
#   assert_res "CN client gets cn pool" "NOERROR A:192.0.2.1"
#   it_done
#
# Environment overrides (defaults are the build paths under the repo root):
#   IT_BUILD         the build directory the defaults below are taken from
#                    (default build/; make test-integration BUILD=DIR sets it),
#   UNBOUND, UNBOUND_CONTROL, UNBOUND_CHECKCONF, CNROUTE_SO,
#   GEOIP_COUNTRY_DB (ip-location-db, field country_code),
#   GEOIP_MAXMIND_DB (MaxMind GeoIP2-Country-Test, field country.iso_code),
#   IT_NO_MODULE=1   run Unbound without the module (harness self-check),
#   IT_SUITE_DIR     parent of the per-test work dirs (run.sh sets it),
#   IT_KEEP=1        keep the work dir even on success,
#   IT_VERBOSE=1     print every query's kdig output,
#   IT_UNBOUND_SERVER  array of extra "server:" lines for the next
#                    it_start_unbound (IT_UNBOUND_SERVER=("prefetch: yes")),
#   IT_UNBOUND_CLAUSES extra unbound.conf text appended verbatim.

IT_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
IT_ROOT=$(cd "$IT_LIB_DIR/../.." && pwd)
IT_DATA=$IT_LIB_DIR/data

IT_BUILD=${IT_BUILD:-$IT_ROOT/build}
UNBOUND=${UNBOUND:-$IT_BUILD/unbound/sbin/unbound}
UNBOUND_CONTROL=${UNBOUND_CONTROL:-$(dirname "$UNBOUND")/unbound-control}
UNBOUND_CHECKCONF=${UNBOUND_CHECKCONF:-$(dirname "$UNBOUND")/unbound-checkconf}
CNROUTE_SO=${CNROUTE_SO:-$IT_BUILD/cnroute.so}
GEOIP_COUNTRY_DB=${GEOIP_COUNTRY_DB:-$IT_BUILD/geoip/geo-whois-asn-country.mmdb}
GEOIP_MAXMIND_DB=${GEOIP_MAXMIND_DB:-$IT_BUILD/geoip/GeoIP2-Country-Test.mmdb}
IT_NO_MODULE=${IT_NO_MODULE:-0}
IT_PREFIX=${IT_PREFIX:-cnit:}          # key-prefix used by the tests
IT_PORTDIR=/tmp/cnroute-it-ports       # port reservations shared by concurrent runs
IT_ZONES=(example.com example.net example.org)

# Client addresses (ECS networks) by region, in GEOIP_COUNTRY_DB.
declare -A REGION_ECS=(
	[mainland]=1.0.1.0/24 [US]=8.8.8.0/24 [HK]=1.36.0.0/24
	[MO]=202.175.1.0/24 [TW]=1.160.0.0/24 [unknown]=10.0.0.0/24
)
# The country each address must have in GEOIP_COUNTRY_DB ("" = no record).
declare -A GEO_EXPECT_COUNTRY=(
	[1.0.1.0]=CN [114.114.114.0]=CN [8.8.8.0]=US [1.36.0.0]=HK
	[202.175.1.0]=MO [1.160.0.0]=TW [10.0.0.0]="" [240e::]=CN [2001:4860::]=US
	[1.0.1.1]=CN [8.8.8.8]=US [1.36.0.1]=HK [240e::1]=CN [2001:4860::1]=US
)
declare -A GEO_EXPECT_MAXMIND=(
	[2001:250::]=CN [2001:2e0::]=HK [2001:238::]=TW [2001:218::]=JP
	[216.160.83.56]=US
)

IT_PASS=0
IT_FAIL=0
IT_BAILED=0
IT_WORK=
IT_INST=
IT_PORTS=()
IT_DAEMONS=()          # "name:pid" in start order
declare -A UB_PORT UB_PPORT UB_CPORT UB_DIR UB_PID
RPORT= NSDPORT= REDIS_PID= NSD_PID=

# ---------------------------------------------------------------- output

diag() { local l; while IFS= read -r l; do printf '# %s\n' "$l"; done <<<"$*"; }

ok() { IT_PASS=$((IT_PASS + 1)); printf 'ok - %s\n' "$1"; }

# not_ok DESC EXPECTED GOT
not_ok() {
	IT_FAIL=$((IT_FAIL + 1))
	printf 'not ok - %s (expected %s, got %s)\n' "$1" "$2" "$3"
}

# assert_eq DESC EXPECTED GOT
assert_eq() {
	if [[ "$2" == "$3" ]]; then ok "$1"; else not_ok "$1" "'$2'" "'$3'"; fi
}

# assert_match DESC ERE GOT
assert_match() {
	if [[ "$3" =~ $2 ]]; then ok "$1"; else not_ok "$1" "match /$2/" "'$3'"; fi
}

# assert_le DESC MAX GOT / assert_ge DESC MIN GOT  (integers)
assert_le() {
	if [[ "$3" =~ ^[0-9]+$ ]] && (($3 <= $2)); then ok "$1"; else not_ok "$1" "<= $2" "'$3'"; fi
}
assert_ge() {
	if [[ "$3" =~ ^[0-9]+$ ]] && (($3 >= $2)); then ok "$1"; else not_ok "$1" ">= $2" "'$3'"; fi
}

# Abort the test file (setup failure). Counts as a failure; logs are printed.
it_bail() {
	IT_BAILED=1
	IT_FAIL=$((IT_FAIL + 1))
	printf 'not ok - %s: setup failed: %s\n' "${IT_NAME:-test}" "$*"
	printf 'Bail out! %s\n' "$*"
	exit 2
}

now_ms() { echo $(($(date +%s%N) / 1000000)); }

# ---------------------------------------------------------------- life cycle

it_begin() {
	IT_NAME=${1:-$(basename "$0" .sh)}
	local base=${IT_SUITE_DIR:-/tmp}
	IT_WORK=$(mktemp -d "$base/cnroute-it.$IT_NAME.XXXXXX") || { echo "Bail out! mktemp"; exit 2; }
	trap it_cleanup EXIT
	trap 'diag "interrupted"; exit 130' INT TERM
	diag "$IT_NAME: work dir $IT_WORK"
	local t
	for t in kdig redis-server redis-cli nsd mmdblookup ss timeout od; do
		command -v "$t" >/dev/null || it_bail "missing tool: $t"
	done
	[[ -x $UNBOUND ]] || it_bail "no unbound at $UNBOUND (build it or set UNBOUND=)"
	[[ -x $UNBOUND_CONTROL ]] || it_bail "no unbound-control at $UNBOUND_CONTROL (set UNBOUND_CONTROL=)"
	if [[ $IT_NO_MODULE != 1 ]]; then
		[[ -f $CNROUTE_SO ]] || it_bail "no module at $CNROUTE_SO (run make, set CNROUTE_SO=, or IT_NO_MODULE=1)"
	else
		diag "IT_NO_MODULE=1: Unbound runs WITHOUT cnroute (harness self-check; module assertions fail)"
	fi
	it_check_geo_data "$GEOIP_COUNTRY_DB" country_code GEO_EXPECT_COUNTRY
}

# Verify the GeoIP data has the locations the tests rely on.
# it_check_geo_data DB FIELD ASSOC-ARRAY-NAME
it_check_geo_data() {
	local db=$1 field=$2 a got
	local -n exp=$3
	[[ -r $db ]] || it_bail "GeoIP database not readable: $db"
	for a in "${!exp[@]}"; do
		got=$(geo_country "$db" "$a" "$field")
		[[ $got == "${exp[$a]}" ]] ||
			it_bail "GeoIP data disagrees for $a in $db: expected country '${exp[$a]}', mmdblookup says '$got'"
	done
}

# geo_country DB ADDR FIELD  -> country code, "" when no record
geo_country() {
	local path=(${3//./ })
	mmdblookup -f "$1" -i "$2" "${path[@]}" 2>/dev/null | sed -n 's/^ *"\([^"]*\)" <utf8_string>.*/\1/p' | head -1
}

# geo_prefix DB ADDR -> prefix length of the network ADDR falls in, in ADDR's
# own family (IPv4 in an IPv6 tree: minus 96), as libmaxminddb reports it.
geo_prefix() {
	local out p
	out=$(mmdblookup -v -f "$1" -i "$2" 2>&1)
	p=$(sed -n 's/^ *Record prefix length: *\([0-9]*\).*/\1/p' <<<"$out" | head -1)
	if [[ $2 != *:* ]] && grep -q 'IP version: *IPv6' <<<"$out" && ((p >= 96)); then
		p=$((p - 96))
	fi
	echo "$p"
}

it_cleanup() {
	local rc=$? i entry name pid
	trap - EXIT INT TERM
	# stop daemons, newest first
	for ((i = ${#IT_DAEMONS[@]} - 1; i >= 0; i--)); do
		entry=${IT_DAEMONS[i]}
		name=${entry%%:*} pid=${entry##*:}
		it_kill_pid "$pid"
	done
	for i in "${IT_PORTS[@]}"; do
		[[ $(cat "$IT_PORTDIR/$i" 2>/dev/null) == "$$" ]] && rm -f "$IT_PORTDIR/$i"
	done
	if ((IT_FAIL > 0)) || ((rc != 0 && rc != 1)); then
		it_dump_logs
		diag "work dir kept: $IT_WORK"
	elif [[ -n $IT_WORK && ${IT_KEEP:-0} != 1 ]]; then
		rm -rf "$IT_WORK"
	else
		diag "work dir kept: $IT_WORK"
	fi
	exit "$rc"
}

it_dump_logs() {
	local f
	[[ -d $IT_WORK ]] || return 0
	while IFS= read -r f; do
		[[ -s $f ]] || continue
		diag "----- tail of ${f#"$IT_WORK"/}"
		tail -n 25 "$f" | diag "$(cat)"
	done < <(find "$IT_WORK" -maxdepth 3 -type f \( -name '*.log' -o -name 'stdout' \) | sort)
}

it_done() {
	it_check_sanitizers
	diag "$IT_NAME: $IT_PASS passed, $IT_FAIL failed"
	echo "# it_done"
	((IT_FAIL == 0)) && exit 0
	exit 1
}

# it_check_sanitizers: every sanitizer report left by an Unbound instance
# (see it_launch_unbound) is a failure, printed in full.
it_check_sanitizers() {
	local f
	[[ -n ${UNBOUND_PRELOAD:-} && -n $IT_WORK ]] || return 0
	it_stop_all_unbound
	for f in "$IT_WORK"/*/sanitizer.*; do
		[[ -e $f ]] || continue
		not_ok "no sanitizer report from Unbound" "none" "$f"
		diag "$(head -n 60 "$f")"
	done
}

# it_stop_all_unbound: stop every Unbound instance (so sanitizers report).
it_stop_all_unbound() {
	local n
	for n in "${!UB_PID[@]}"; do
		[[ -n ${UB_PID[$n]} ]] && it_stop_unbound "$n"
	done
	return 0
}

# it_kill_pid PID: TERM, wait up to 5 s, then KILL (and the children it left).
it_kill_pid() {
	local pid=$1 n kids
	kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null; return 0; }
	kids=$(ps -o pid= --ppid "$pid" 2>/dev/null)
	kill -TERM "$pid" 2>/dev/null
	for ((n = 0; n < 100; n++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.05
	done
	if kill -0 "$pid" 2>/dev/null; then
		diag "pid $pid ignored TERM, killing"
		kill -KILL "$pid" 2>/dev/null
	fi
	wait "$pid" 2>/dev/null
	for n in $kids; do kill -0 "$n" 2>/dev/null && kill -KILL "$n" 2>/dev/null; done
	return 0
}

# Daemons are also listed in WORK/daemons.pids so that run.sh can stop them
# if a test file dies without running its EXIT trap (e.g. SIGKILL).
it_track() { IT_DAEMONS+=("$1:$2"); echo "$2" >>"$IT_WORK/daemons.pids"; }
it_untrack() {
	local i
	for i in "${!IT_DAEMONS[@]}"; do
		[[ ${IT_DAEMONS[i]##*:} == "$1" ]] && unset 'IT_DAEMONS[i]'
	done
	IT_DAEMONS=("${IT_DAEMONS[@]}")
}

# it_port: reserve a free TCP+UDP port on loopback; result in REPLY.
it_port() {
	local p n owner used
	mkdir -p "$IT_PORTDIR" 2>/dev/null
	used=$(ss -Hlntua 2>/dev/null | awk '{print $5}')
	for ((n = 0; n < 500; n++)); do
		p=$((20000 + (RANDOM * 32768 + RANDOM) % 40000))
		if [[ -e $IT_PORTDIR/$p ]]; then
			owner=$(cat "$IT_PORTDIR/$p" 2>/dev/null)
			[[ -n $owner ]] && kill -0 "$owner" 2>/dev/null && continue
			rm -f "$IT_PORTDIR/$p"
		fi
		grep -qE "[:.]$p\$" <<<"$used" && continue
		(set -C; echo "$$" >"$IT_PORTDIR/$p") 2>/dev/null || continue
		IT_PORTS+=("$p")
		REPLY=$p
		return 0
	done
	it_bail "no free port found"
}

# wait_until TIMEOUT_MS COMMAND...: poll every 50 ms; status 0 when COMMAND succeeded.
wait_until() {
	local end=$(($(now_ms) + $1)); shift
	while :; do
		"$@" && return 0
		(($(now_ms) >= end)) && return 1
		sleep 0.05
	done
}

# ---------------------------------------------------------------- Redis

# it_start_redis [PORT] [DIRNAME]: start a private Redis (RPORT, REDIS_PID).
# With PORT: (re)start on that port; DIRNAME (default "redis") is its --dir
# under the work dir, so a restart in the same dir reloads a SAVEd dump.rdb.
it_start_redis() {
	if [[ -n ${1:-} ]]; then RPORT=$1; else it_port; RPORT=$REPLY; fi
	local d=$IT_WORK/${2:-redis}
	mkdir -p "$d"
	redis-server --port "$RPORT" --bind 127.0.0.1 --save '' --appendonly no \
		--dir "$d" --logfile "$d/redis.log" --daemonize no >>"$d/stdout" 2>&1 &
	REDIS_PID=$!
	it_track redis "$REDIS_PID"
	wait_until 5000 redis_up || it_bail "redis-server did not start on 127.0.0.1:$RPORT"
}
redis_up() { [[ $(redis-cli -p "$RPORT" ping 2>/dev/null) == PONG ]]; }

# it_stop_redis [save]: stop Redis (optionally SAVE first so a restart keeps the data).
it_stop_redis() {
	[[ ${1:-} == save ]] && rcli SAVE >/dev/null
	it_kill_pid "$REDIS_PID"
	it_untrack "$REDIS_PID"
	REDIS_PID=
}

rcli() { redis-cli -p "$RPORT" "$@"; }

# filing DOMAIN STATUS [extra field value...]
filing() {
	local d=$1 s=$2; shift 2
	rcli HSET "${IT_PREFIX}filing:$d" status "$s" icp "京ICP备12345678号-1" \
		entity "Test Entity Ltd" registrant "Test Entity Ltd" updated "$(date +%s)" "$@" >/dev/null ||
		it_bail "redis HSET filing $d"
}

# route NAME CN OFFSHORE [TTL]   ("" leaves the field out)
route() {
	(($# >= 3 && $# <= 4)) || it_bail "route: expected NAME CN OFFSHORE [TTL], got: $*"
	local args=()
	[[ -n $2 ]] && args+=(cn "$2")
	[[ -n $3 ]] && args+=(offshore "$3")
	[[ -n ${4:-} ]] && args+=(ttl "$4")
	((${#args[@]})) || args=(ttl 60)
	rcli HSET "${IT_PREFIX}route:$1" "${args[@]}" >/dev/null || it_bail "redis HSET route $1"
}

# ---------------------------------------------------------------- NSD

it_start_nsd() {
	it_port; NSDPORT=$REPLY
	local d=$IT_WORK/nsd z
	mkdir -p "$d"
	{
		cat <<-EOF
		server:
		    ip-address: 127.0.0.1
		    port: $NSDPORT
		    do-ip6: no
		    server-count: 1
		    username: ""
		    chroot: ""
		    zonesdir: "$IT_DATA/zones"
		    database: ""
		    zonelistfile: "$d/zone.list"
		    xfrdfile: "$d/xfrd.state"
		    xfrdir: "$d"
		    pidfile: "$d/nsd.pid"
		    logfile: "$d/nsd.log"
		    verbosity: 1
		    hide-version: yes
		remote-control:
		    control-enable: no
		EOF
		for z in "${IT_ZONES[@]}"; do
			printf 'zone:\n    name: "%s"\n    zonefile: "%s.zone"\n' "$z" "$z"
		done
	} >"$d/nsd.conf"
	nsd -d -c "$d/nsd.conf" >>"$d/stdout" 2>&1 &
	NSD_PID=$!
	it_track nsd "$NSD_PID"
	wait_until 5000 nsd_up || it_bail "nsd did not start on 127.0.0.1:$NSDPORT"
}
nsd_up() {
	local z
	kill -0 "$NSD_PID" 2>/dev/null || return 1
	for z in "${IT_ZONES[@]}"; do
		kdig @127.0.0.1 -p "$NSDPORT" +time=1 +retry=0 +short "$z" SOA 2>/dev/null | grep -q . || return 1
	done
}

# ---------------------------------------------------------------- cnroute.conf

# cnroute_conf FILE [key=value ...]: write a cnroute.conf; key=value overrides
# a default (value "@omit" drops the key), unknown keys are appended in order.
cnroute_conf() {
	local file=$1; shift
	local -A v=(
		[redis-server]=127.0.0.1:$RPORT [key-prefix]=$IT_PREFIX
		[geoip-db]=$GEOIP_COUNTRY_DB [geoip-field]=country_code
		[mainland-countries]=CN [ecs]=use [answer-ttl-max]=60
		[resync-interval]=5 [stats-file]=$(dirname "$file")/stats
	)
	local order=(redis-server key-prefix geoip-db geoip-field mainland-countries ecs answer-ttl-max resync-interval stats-file)
	local kv k
	for kv in "$@"; do
		k=${kv%%=*}
		[[ -v "v[$k]" ]] || order+=("$k")
		v[$k]=${kv#*=}
	done
	{
		echo "# cnroute.conf written by tests/integration/lib.sh"
		for k in "${order[@]}"; do
			[[ ${v[$k]} == @omit ]] && continue
			printf '%s: %s\n' "$k" "${v[$k]}"
		done
	} >"$file"
}

# ---------------------------------------------------------------- Unbound

# it_unbound_conf NAME: allocate ports and write DIR/unbound.conf for instance NAME.
it_unbound_conf() {
	local n=$1 d=$IT_WORK/ub-$1 z
	mkdir -p "$d"
	UB_DIR[$n]=$d
	it_port; UB_PORT[$n]=$REPLY
	it_port; UB_PPORT[$n]=$REPLY
	it_port; UB_CPORT[$n]=$REPLY
	{
		cat <<-EOF
		server:
		    username: ""
		    chroot: ""
		    directory: "$d"
		    pidfile: "$d/unbound.pid"
		    logfile: "$d/unbound.log"
		    use-syslog: no
		    log-time-ascii: yes
		    verbosity: 1
		    num-threads: 2
		    interface: 127.0.0.1@${UB_PORT[$n]}
		    interface: ::1@${UB_PORT[$n]}
		    interface: 127.0.0.1@${UB_PPORT[$n]}
		    proxy-protocol-port: ${UB_PPORT[$n]}
		    access-control: 127.0.0.0/8 allow
		    access-control: ::1 allow
		    # PROXYv2 clients are checked against access-control by their
		    # proxied address; only loopback interfaces exist, so allow all.
		    access-control: 0.0.0.0/0 allow
		    access-control: ::/0 allow
		    do-not-query-localhost: no
		EOF
		if [[ $IT_NO_MODULE == 1 ]]; then
			echo '    module-config: "validator iterator"'
		else
			echo '    module-config: "dynlib validator iterator"'
		fi
		for z in "${IT_ZONES[@]}"; do echo "    domain-insecure: \"$z\""; done
		# extra server: lines a test asks for (e.g. "serve-expired: yes")
		if [[ -n ${IT_UNBOUND_SERVER:-} ]]; then printf '    %s\n' "${IT_UNBOUND_SERVER[@]}"; fi
		if [[ $IT_NO_MODULE != 1 ]]; then
			printf 'dynlib:\n    dynlib-file: "%s"\n' "$CNROUTE_SO"
		fi
		cat <<-EOF
		remote-control:
		    control-enable: yes
		    control-interface: 127.0.0.1
		    control-port: ${UB_CPORT[$n]}
		    control-use-cert: no
		EOF
		for z in "${IT_ZONES[@]}"; do
			printf 'stub-zone:\n    name: "%s"\n    stub-addr: 127.0.0.1@%s\n' "$z" "$NSDPORT"
		done
		# extra clauses a test asks for, verbatim (e.g. another stub-zone)
		if [[ -n ${IT_UNBOUND_CLAUSES:-} ]]; then printf '%s\n' "$IT_UNBOUND_CLAUSES"; fi
	} >"$d/unbound.conf"
	if [[ -x $UNBOUND_CHECKCONF ]]; then
		"$UNBOUND_CHECKCONF" "$d/unbound.conf" >"$d/checkconf.out" 2>&1 ||
			it_bail "unbound-checkconf rejected $d/unbound.conf: $(cat "$d/checkconf.out")"
	fi
}

# it_expect_refused INST DESC: Unbound INST, launched with
# it_launch_unbound, must exit non-zero by itself within 10 s (it is
# stopped otherwise); asserts that, and leaves its log and stdout in REPLY.
it_expect_refused() {
	local inst=$1 desc=$2 st
	if wait_until 10000 bash -c '! kill -0 "$1" 2>/dev/null' _ "${UB_PID[$inst]}"; then
		wait "${UB_PID[$inst]}"; st=$?
	else
		st=running
		it_stop_unbound "$inst"
	fi
	it_untrack "${UB_PID[$inst]}"
	assert_match "$desc: Unbound refuses to start (exit status)" '^[1-9][0-9]*$' "$st"
	REPLY=$(cat "${UB_DIR[$inst]}/unbound.log" "${UB_DIR[$inst]}/stdout" 2>/dev/null)
}

# it_launch_unbound NAME: start it in the background (-d), CNROUTE_CONF=DIR/cnroute.conf.
# With UNBOUND_PRELOAD (the sanitizer runtimes, for a module built with
# AddressSanitizer/UBSan), the runtimes are preloaded into Unbound only and
# their reports go to DIR/sanitizer.*, which it_done turns into failures.
it_launch_unbound() {
	local n=$1 d=${UB_DIR[$1]}
	local -a san_env=()
	if [[ -n ${UNBOUND_PRELOAD:-} ]]; then
		san_env=("LD_PRELOAD=$UNBOUND_PRELOAD"
			"ASAN_OPTIONS=detect_leaks=1:log_path=$d/sanitizer.asan"
			"UBSAN_OPTIONS=print_stacktrace=1:log_path=$d/sanitizer.ubsan")
	fi
	env "${san_env[@]}" CNROUTE_CONF="${CNROUTE_CONF_OVERRIDE:-$d/cnroute.conf}" \
		"$UNBOUND" -d -c "$d/unbound.conf" >>"$d/stdout" 2>&1 &
	UB_PID[$n]=$!
	it_track "unbound-$n" "${UB_PID[$n]}"
}

# it_start_unbound NAME [cnroute.conf key=value ...]
# Starts instance NAME (first one becomes the default for q) and waits until
# it answers and, with the module, until the stats file reports Redis loaded.
it_start_unbound() {
	local n=$1; shift
	[[ -n $NSDPORT ]] || it_bail "start NSD before Unbound"
	it_unbound_conf "$n"
	cnroute_conf "${UB_DIR[$n]}/cnroute.conf" "$@"
	it_launch_unbound "$n"
	[[ -n $IT_INST ]] || IT_INST=$n
	wait_until 10000 unbound_up "$n" ||
		it_bail "unbound '$n' did not answer on 127.0.0.1@${UB_PORT[$n]} (exit status: $(unbound_exit_status "$n"))"
	if [[ -n ${UNBOUND_PRELOAD:-} ]] && ! grep -q libasan "/proc/${UB_PID[$n]}/maps"; then
		it_bail "UNBOUND_PRELOAD set but unbound '$n' runs without the ASan runtime"
	fi
}

unbound_up() {
	kill -0 "${UB_PID[$1]}" 2>/dev/null || return 1
	kdig @127.0.0.1 -p "${UB_PORT[$1]}" +time=1 +retry=0 version.server CH TXT 2>/dev/null | grep -q 'status: '
}

unbound_exit_status() {
	if kill -0 "${UB_PID[$1]}" 2>/dev/null; then echo running; else wait "${UB_PID[$1]}"; echo $?; fi
}

it_stop_unbound() {
	it_kill_pid "${UB_PID[$1]}"
	it_untrack "${UB_PID[$1]}"
}

# ub_control NAME ARGS...
ub_control() { "$UNBOUND_CONTROL" -c "${UB_DIR[$1]}/unbound.conf" -s "127.0.0.1@${UB_CPORT[$1]}" "${@:2}"; }

# modstat NAME [INSTANCE]: value from the module's stats file ("" if absent)
modstat() {
	local f=${UB_DIR[${2:-$IT_INST}]}/stats
	[[ -r $f ]] && sed -n "s/^$1=//p" "$f" | tail -1
}

# it_wait_loaded [INSTANCE] [ROUTES] [FILINGS]: wait (max 5 s) until the stats
# file says redis_connected=1 and at least ROUTES/FILINGS are loaded.
it_wait_loaded() {
	local n=${1:-$IT_INST} r=${2:-0} f=${3:-0}
	[[ $IT_NO_MODULE == 1 ]] && return 0
	if ! wait_until 5000 loaded_p "$n" "$r" "$f"; then
		diag "warning: '$n' stats file does not show the data loaded after 5 s:"
		diag "$(cat "${UB_DIR[$n]}/stats" 2>&1)"
		return 1
	fi
	sleep 0.1
}
loaded_p() {
	local c ro fi
	c=$(modstat redis_connected "$1") ro=$(modstat routes "$1") fi=$(modstat filings "$1")
	[[ $c == 1 && $ro =~ ^[0-9]+$ && $fi =~ ^[0-9]+$ ]] && ((ro >= $2 && fi >= $3))
}

# Count route / filing keys currently in Redis (for it_wait_loaded).
n_routes() { rcli --scan --pattern "${IT_PREFIX}route:*" | wc -l; }
n_filings() { rcli --scan --pattern "${IT_PREFIX}filing:*" | wc -l; }

# it_setup: it_begin + Redis + NSD (the usual start of a test file)
it_setup() { it_begin "$@"; it_start_redis; it_start_nsd; }

# it_up NAME [cnroute.conf key=value ...]: start Unbound instance NAME and wait
# until its stats file shows every route and filing now in Redis loaded.
it_up() {
	it_start_unbound "$@"
	it_wait_loaded "$1" "$(n_routes)" "$(n_filings)"
}

# ---------------------------------------------------------------- queries

# q [--inst N] [--v6] [--ecs NET/LEN] [--proxy CLIENTADDR] [--tcp] [+kdigopt...] NAME [TYPE]
# Sets:
#   Q_OUT    kdig's full output
#   Q_RCODE  NOERROR / NXDOMAIN / FORMERR / SERVFAIL / ... ; NOREPLY when none
#   Q_ANS    answer section as sorted "TYPE:rdata" tokens, names lower-cased,
#            e.g. "A:192.0.2.100 CNAME:t1.cdn-cn.example.net."
#   Q_RES    "$Q_RCODE $Q_ANS" (what assert_res compares)
#   Q_TTLS   "TYPE:ttl" tokens in answer order
#   Q_ECS    the CLIENT-SUBNET of the reply ("addr/source/scope"), "" if none
#   Q_SCOPE  the scope prefix length of that option, "" if none
q() {
	local inst=$IT_INST server=127.0.0.1 port proxy="" opts=()
	while (($#)); do
		case $1 in
		--inst) inst=$2; shift 2 ;;
		--v6) server=::1; shift ;;
		--ecs) opts+=("+subnet=$2"); shift 2 ;;
		--proxy) proxy=$2; shift 2 ;;
		--tcp) opts+=(+tcp); shift ;;
		+*) opts+=("$1"); shift ;;
		*) break ;;
		esac
	done
	local name=$1 type=${2:-A}
	port=${UB_PORT[$inst]}
	if [[ -n $proxy ]]; then
		port=${UB_PPORT[$inst]}
		if [[ $proxy == *:* ]]; then opts+=("+proxy=$proxy-::1"); else opts+=("+proxy=$proxy-127.0.0.1"); fi
	fi
	Q_CMD="kdig @$server -p $port +time=2 +retry=1 ${opts[*]} $name $type"
	Q_OUT=$(kdig "@$server" -p "$port" +time=2 +retry=1 "${opts[@]}" "$name" "$type" 2>&1)
	q_parse
	[[ ${IT_VERBOSE:-0} == 1 ]] && diag "$Q_CMD" && diag "$Q_OUT"
	return 0
}

q_parse() {
	Q_RCODE=$(sed -n 's/^;; ->>HEADER<<- .*status: \([A-Z0-9]*\).*/\1/p' <<<"$Q_OUT" | head -1)
	[[ -n $Q_RCODE ]] || Q_RCODE=NOREPLY
	Q_ECS=$(sed -n 's/^;; CLIENT-SUBNET: *\([^ ]*\).*/\1/p' <<<"$Q_OUT" | head -1)
	Q_SCOPE=""
	[[ -n $Q_ECS ]] && Q_SCOPE=${Q_ECS##*/}
	local lines
	lines=$(awk '/^;; ANSWER SECTION:/{f=1; next} /^;;/ || /^$/ {f=0} f' <<<"$Q_OUT")
	Q_ANS=$(awk 'NF>=5 { r=""; for (i=5;i<=NF;i++) r = r (i>5?"_":"") $i; printf "%s:%s\n", toupper($4), tolower(r) }' <<<"$lines" | sort | tr '\n' ' ')
	Q_ANS=${Q_ANS% }
	Q_TTLS=$(awk 'NF>=5 { printf "%s:%s ", toupper($4), $2 }' <<<"$lines")
	Q_TTLS=${Q_TTLS% }
	Q_RES="$Q_RCODE${Q_ANS:+ $Q_ANS}"
}

# res RCODE [TOKEN...]: the expected Q_RES for an answer (tokens sorted like q does)
res() {
	local rc=$1; shift
	local t
	t=$(printf '%s\n' "$@" | grep . | tr 'A-Z' 'a-z' | sed 's/^\([a-z0-9]*\):/\U\1:/' | sort | tr '\n' ' ')
	t=${t% }
	echo "$rc${t:+ $t}"
}

# assert_res DESC EXPECTED  (compares the last q's Q_RES)
assert_res() {
	if [[ "$Q_RES" == "$2" ]]; then ok "$1"; else not_ok "$1" "'$2'" "'$Q_RES'"; fi
}

# expect DESC EXPECTED q-ARGS...   one query, one assertion
expect() {
	local d=$1 e=$2; shift 2
	q "$@"
	assert_res "$d" "$e"
}

# eventually DESC MAX_MS EXPECTED q-ARGS...: repeat the query every 50 ms until
# Q_RES == EXPECTED; fails if not reached within MAX_MS of the call. The
# caller starts the clock right after the change it waits for.
eventually() {
	local d=$1 max=$2 e=$3; shift 3
	local t0 t
	t0=$(now_ms)
	while :; do
		q "$@"
		t=$(($(now_ms) - t0))
		if [[ $Q_RES == "$e" ]]; then ok "$d (after ${t} ms)"; return 0; fi
		if ((t >= max)); then not_ok "$d" "'$e' within $max ms" "'$Q_RES' after $t ms"; return 1; fi
		sleep 0.05
	done
}

# ---------------------------------------------------------------- raw DNS over UDP

# dns_name_hex NAME -> wire format of NAME in hex
dns_name_hex() {
	local n=${1%.} l out=""
	local IFS=.
	for l in $n; do
		out+=$(printf '%02x' "${#l}")$(printf '%s' "$l" | od -An -v -tx1 | tr -d ' \n')
	done
	echo "${out}00"
}

# dns_query_hex ID NAME QTYPE-NUM [ECS-OPTION-DATA-HEX | "" | none]
# A query with RD and an OPT RR carrying option 8 with the given data
# (any bytes, so malformed options can be built); "none" = no OPT RR.
dns_query_hex() {
	local id=$1 name=$2 qt=$3 ecs=${4-none} ar=0 h
	[[ $ecs != none ]] && ar=1
	h=$(printf '%04x' "$id")0100000100000000$(printf '%04x' "$ar")
	h+=$(dns_name_hex "$name")$(printf '%04x' "$qt")0001
	if [[ $ecs != none ]]; then
		local olen=$((${#ecs} / 2))
		h+=000029100000000000$(printf '%04x' $((olen + 4)))0008$(printf '%04x' "$olen")$ecs
	fi
	echo "$h"
}

# ecs_hex FAMILY SOURCE SCOPE ADDR-HEX -> option data hex
ecs_hex() { printf '%04x%02x%02x%s' "$1" "$2" "$3" "$4"; }

# hex_fmt HEX -> printf format with \xHH escapes
hex_fmt() { sed 's/../\\x&/g' <<<"$1"; }

# hex_to_file HEX FILE: write the bytes (a file, so that one write(2) sends
# the whole datagram: bash's printf splits its output at newline bytes)
hex_to_file() { printf "$(hex_fmt "$1")" >"$2"; }

# raw_udp PORT HEX [TIMEOUT]: send one datagram to 127.0.0.1:PORT, print the
# reply in hex ("" when none came).
raw_udp() {
	local f=$IT_WORK/raw.$BASHPID.$RANDOM.bin
	hex_to_file "$2" "$f"
	timeout "${3:-3}" bash -c 'exec 3<>/dev/udp/127.0.0.1/$1 || exit 1; cat "$2" >&3
		dd bs=65535 count=1 <&3 2>/dev/null | od -An -v -tx1 | tr -d " \n"' _ "$1" "$f" 2>/dev/null
	rm -f "$f"
}

# rcode of a reply in hex (low nibble of byte 3), as a name
hex_rcode() {
	local h=$1
	[[ ${#h} -ge 24 ]] || { echo NOREPLY; return; }
	case $((16#${h:7:1})) in
	0) echo NOERROR ;; 1) echo FORMERR ;; 2) echo SERVFAIL ;; 3) echo NXDOMAIN ;;
	4) echo NOTIMP ;; 5) echo REFUSED ;; *) echo "RCODE$((16#${h:7:1}))" ;;
	esac
}
# str_hex STRING -> hex of a length-prefixed label
label_hex() { printf '%02x' "${#1}"; printf '%s' "$1" | od -An -v -tx1 | tr -d ' \n'; }
ip4_hex() { local IFS=.; printf '%02x' $1; }

# ttl_of TYPE: TTL of the first TYPE record of the last answer ("" if none)
ttl_of() { local t; for t in $Q_TTLS; do [[ ${t%%:*} == "$1" ]] && { echo "${t#*:}"; return; }; done; }
# max_ttl: largest TTL in the last answer ("" if no records)
max_ttl() { local t m=""; for t in $Q_TTLS; do t=${t#*:}; [[ -z $m ]] || ((t > m)) && m=$t; done; echo "$m"; }

# ---------------------------------------------------------------- start barrier
# Jobs started with barrier_wait block until barrier_release lets them all go
# at once (one byte each through a FIFO that everyone holds open read-write).
barrier_init() {
	IT_FIFO=$IT_WORK/barrier.$RANDOM
	mkfifo "$IT_FIFO" || it_bail "mkfifo"
	exec {IT_FIFO_FD}<>"$IT_FIFO"
}
barrier_wait() { local b; exec {b}<>"$IT_FIFO"; read -r -N 1 -t 20 -u "$b" _; exec {b}>&-; }
# barrier_release N
barrier_release() { head -c "$1" /dev/zero | tr '\0' x >&"$IT_FIFO_FD"; }
barrier_done() { exec {IT_FIFO_FD}>&-; rm -f "$IT_FIFO"; }

# ---------------------------------------------------------------- cnroutectl
# Helpers for the CLI tests (t_cli_*.sh). CNROUTECTL overrides the binary.

CNROUTECTL=${CNROUTECTL:-$IT_BUILD/cnroutectl}

# it_cli_conf [key=value ...]: write WORK/cli.conf for cnroutectl (the same
# keys as an Unbound instance's cnroute.conf; needs RPORT) and check that
# the binary is there.
it_cli_conf() {
	[[ -x $CNROUTECTL ]] || it_bail "no cnroutectl at $CNROUTECTL (run make cli, or set CNROUTECTL=)"
	CTL_CONF=$IT_WORK/cli.conf
	cnroute_conf "$CTL_CONF" "$@"
}

# ctl ARGS...: run cnroutectl with WORK/cli.conf (or $CTL_CONF). Sets
# CTL_OUT (stdout), CTL_ERR (stderr), CTL_RC (exit status).
ctl() {
	local errf=$IT_WORK/ctl.err.$BASHPID
	CTL_OUT=$("$CNROUTECTL" -c "${CTL_CONF:-$IT_WORK/cli.conf}" "$@" 2>"$errf")
	CTL_RC=$?
	CTL_ERR=$(cat "$errf")
	rm -f "$errf"
	[[ ${IT_VERBOSE:-0} == 1 ]] && diag "cnroutectl $* -> $CTL_RC" && diag "$CTL_OUT" && diag "$CTL_ERR"
	return 0
}

# json_get JSON KEY: a top-level value of a one-line JSON object: strings
# without quotes, arrays as their items joined by spaces, null as "".
json_get() {
	local j=$1 k=$2 v re
	re="\"$k\":(\"([^\"\\\\]|\\\\.)*\"|\\[[^]]*\\]|[^,}]*)"
	[[ $j =~ $re ]] || { echo ""; return; }
	v=${BASH_REMATCH[1]}
	case $v in
	\"*) v=${v#\"}; v=${v%\"} ;;
	\[*) v=${v#[}; v=${v%]}; v=${v//\"/}; v=${v//,/ } ;;
	null) v="" ;;
	esac
	echo "$v"
}
