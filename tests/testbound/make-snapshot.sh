#!/bin/bash
# make-snapshot.sh BUILD_DIR OUT - write a cnroute snapshot file (the
# table as cnroute saves it, see snapshot-file) holding one filing and one
# route under a domain no Unbound replay scenario asks for
# (cnroute-tbound.net), for the testbound runs with a loaded table.
#
# Copyright (c) 2026, the cnroute authors. BSD-3-Clause, see LICENSE.
#
# The file is made the way production makes it: a private Redis on a free
# loopback port holds the data, the Unbound of BUILD_DIR runs with the
# module and snapshot-file: OUT until the module has written it, then both
# stop. Nothing else is left behind.
set -u
b=$(cd "$1" && pwd) || exit 2
out=$(cd "$(dirname "$2")" && pwd)/$(basename "$2") || exit 2
unbound=$b/unbound/sbin/unbound
so=$b/cnroute.so
geoip=$b/geoip/geo-whois-asn-country.mmdb
for t in redis-server redis-cli; do
	command -v "$t" >/dev/null || { echo "make-snapshot: missing $t" >&2; exit 2; }
done
for f in "$unbound" "$so" "$geoip"; do
	[[ -e $f ]] || { echo "make-snapshot: missing $f" >&2; exit 2; }
done
work=$(mktemp -d /tmp/cnroute-tbound-snap.XXXXXX) || exit 2
redis_pid=''
unbound_pid=''
cleanup() {
	[[ -n $unbound_pid ]] && kill "$unbound_pid" 2>/dev/null && wait "$unbound_pid" 2>/dev/null
	[[ -n $redis_pid ]] && kill "$redis_pid" 2>/dev/null && wait "$redis_pid" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT

# free_port: a loopback TCP port nothing listens on now
free_port() {
	local p
	for _ in $(seq 1 50); do
		p=$((20000 + RANDOM % 40000))
		(exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return 0; }
	done
	return 1
}
# wait_for SECONDS COMMAND...: poll every 0.1 s
wait_for() {
	local n=$(($1 * 10)); shift
	while ((n-- > 0)); do "$@" && return 0; sleep 0.1; done
	return 1
}

rport=$(free_port) || { echo "make-snapshot: no free port" >&2; exit 2; }
redis-server --port "$rport" --bind 127.0.0.1 --save '' --appendonly no \
	--dir "$work" --logfile "$work/redis.log" --daemonize no >/dev/null 2>&1 &
redis_pid=$!
wait_for 5 sh -c "[ \"\$(redis-cli -p $rport ping 2>/dev/null)\" = PONG ]" ||
	{ echo "make-snapshot: redis-server did not start" >&2; exit 1; }
if ! redis-cli -p "$rport" HSET cnroute:filing:cnroute-tbound.net status active \
	icp "京ICP备00000000号-1" entity "Test Entity Ltd" registrant "Test Entity Ltd" \
	updated "$(date +%s)" >/dev/null ||
	! redis-cli -p "$rport" HSET cnroute:route:www.cnroute-tbound.net \
	cn 192.0.2.1 offshore 198.51.100.1 ttl 60 >/dev/null; then
	echo "make-snapshot: cannot write to Redis" >&2
	exit 1
fi

uport=$(free_port) || { echo "make-snapshot: no free port" >&2; exit 2; }
cat >"$work/unbound.conf" <<EOF
server:
	username: ""
	chroot: ""
	directory: "$work"
	pidfile: "$work/unbound.pid"
	logfile: "$work/unbound.log"
	use-syslog: no
	verbosity: 1
	num-threads: 1
	interface: 127.0.0.1@$uport
	module-config: "dynlib iterator"
dynlib:
	dynlib-file: "$so"
remote-control:
	control-enable: no
EOF
cat >"$work/cnroute.conf" <<EOF
redis-server: 127.0.0.1:$rport
key-prefix: "cnroute:"
geoip-db: $geoip
geoip-field: country_code
mainland-countries: CN
snapshot-file: $out.tmp-make
EOF
rm -f "$out.tmp-make"
CNROUTE_CONF=$work/cnroute.conf "$unbound" -d -c "$work/unbound.conf" >"$work/stdout" 2>&1 &
unbound_pid=$!
# written after the first full reconciliation with Redis
written_or_dead() { [[ -s $out.tmp-make ]] || ! kill -0 "$unbound_pid" 2>/dev/null; }
if ! wait_for 20 written_or_dead || [[ ! -s $out.tmp-make ]]; then
	echo "make-snapshot: no snapshot written; Unbound's log:" >&2
	tail -n 20 "$work/unbound.log" "$work/stdout" >&2
	exit 1
fi
kill "$unbound_pid"; wait "$unbound_pid" 2>/dev/null; unbound_pid=
# written again at the stop, so it is whole now
mv "$out.tmp-make" "$out"
echo "make-snapshot: $out"
