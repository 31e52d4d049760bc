#!/usr/bin/env bash
# run.sh - the demo behind `make run`: Redis with demo filings and routes,
# NSD serving the CDN host names, and Unbound with cnroute, all on loopback.
#
# Copyright (c) 2026, the cnroute authors. BSD-3-Clause, see LICENSE.
#
# Ports: DEMO_DNS_PORT (5300), DEMO_REDIS_PORT (6380), DEMO_NSD_PORT (5301).
# Runs in the foreground; Ctrl-C stops everything.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
here="$root/tools/demo"
dns_port=${DEMO_DNS_PORT:-5300}
redis_port=${DEMO_REDIS_PORT:-6380}
nsd_port=${DEMO_NSD_PORT:-5301}
work="$root/build/demo"
rm -rf "$work"
mkdir -p "$work"

pids=()
stop() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	[ -f "$work/unbound.pid" ] && kill "$(cat "$work/unbound.pid")" 2>/dev/null || true
	[ -f "$work/nsd.pid" ] && kill "$(cat "$work/nsd.pid")" 2>/dev/null || true
	wait 2>/dev/null || true
}
trap stop EXIT
trap 'exit 0' INT TERM

redis-server --port "$redis_port" --bind 127.0.0.1 --save '' --appendonly no \
	--dir "$work" --logfile "$work/redis.log" &
pids+=($!)
for _ in $(seq 50); do redis-cli -p "$redis_port" ping >/dev/null 2>&1 && break; sleep 0.1; done
redis-cli -p "$redis_port" < "$here/demo-data.redis" >/dev/null

cp "$here/example.net.zone" "$work/"
cat > "$work/nsd.conf" <<CONF
server:
	ip-address: 127.0.0.1@$nsd_port
	username: ""
	chroot: ""
	zonesdir: "$work"
	pidfile: "$work/nsd.pid"
	logfile: "$work/nsd.log"
	database: ""
	xfrdfile: "$work/xfrd.state"
	zonelistfile: "$work/zone.list"
	server-count: 1
remote-control:
	control-enable: no
zone:
	name: "example.net"
	zonefile: "example.net.zone"
CONF
nsd -c "$work/nsd.conf"

cat > "$work/cnroute.conf" <<CONF
redis-server: 127.0.0.1:$redis_port
key-prefix: "cnroute:"
geoip-db: "$root/build/geoip/geo-whois-asn-country.mmdb"
geoip-field: country_code
mainland-countries: CN
ecs: use
answer-ttl-max: 60
stats-file: "$work/cnroute.stats"
CONF
cat > "$work/unbound.conf" <<CONF
server:
	username: ""
	chroot: ""
	directory: "$work"
	pidfile: "$work/unbound.pid"
	logfile: "$work/unbound.log"
	use-syslog: no
	verbosity: 1
	num-threads: 2
	interface: 127.0.0.1@$dns_port
	interface: ::1@$dns_port
	access-control: 127.0.0.0/8 allow
	access-control: ::1 allow
	do-not-query-localhost: no
	module-config: "dynlib validator iterator"
	domain-insecure: "example.net"
stub-zone:
	name: "example.net"
	stub-addr: 127.0.0.1@$nsd_port
dynlib:
	dynlib-file: "$root/build/cnroute.so"
CONF
CNROUTE_CONF="$work/cnroute.conf" "$root/build/unbound/sbin/unbound" -c "$work/unbound.conf"
for _ in $(seq 50); do
	dig +time=1 +tries=1 @127.0.0.1 -p "$dns_port" www.example.com A >/dev/null 2>&1 && break
	sleep 0.1
done

cat <<TXT

cnroute demo is running (Unbound on 127.0.0.1:$dns_port and [::1]:$dns_port,
Redis on 127.0.0.1:$redis_port, NSD on 127.0.0.1:$nsd_port; files in $work).

Demo data: example.com has an active filing, example.org a revoked one.
  www.example.com     CN 192.0.2.10 192.0.2.11 2001:db8:c::10 / offshore 198.51.100.10 2001:db8::10
  *.img.example.com   CN CNAME img.cdn-cn.example.net. / offshore CNAME img.cdn-global.example.net.
  www.example.org     CN 192.0.2.20 / offshore 198.51.100.20 (filing revoked: offshore for all)

Try (the client's place comes from the EDNS Client Subnet):
  mainland client:  dig @127.0.0.1 -p $dns_port www.example.com +subnet=1.0.1.0/24
  US client:        dig @127.0.0.1 -p $dns_port www.example.com +subnet=8.8.8.0/24
  Hong Kong client: dig @127.0.0.1 -p $dns_port www.example.com +subnet=1.36.0.0/24
  CNAME pool:       dig @127.0.0.1 -p $dns_port a.img.example.com +subnet=1.0.1.0/24
  revoked filing:   dig @127.0.0.1 -p $dns_port www.example.org +subnet=1.0.1.0/24
  revoke live:      redis-cli -p $redis_port HSET cnroute:filing:example.com status revoked
  or with the CLI:  $root/build/cnroutectl -c $work/cnroute.conf filing revoke example.com
  why this answer:  $root/build/cnroutectl -c $work/cnroute.conf explain www.example.com --client 1.0.1.0/24
  counters:         cat $work/cnroute.stats

Ctrl-C stops the demo.
TXT
while kill -0 "$(cat "$work/unbound.pid")" 2>/dev/null; do sleep 1; done
echo "unbound exited; see $work/unbound.log" >&2
exit 1
