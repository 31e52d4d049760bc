#!/bin/bash
# unbound-control reload: the module is unloaded and loaded again (deinit,
# dlclose, dlopen, init). Steering goes on, the new cnroute.conf is read,
# live changes flow through the new sync thread, and the cache holds no
# steered answer afterwards.
. "$(dirname "$0")/lib.sh"
it_setup
filing rl.example.com active
route www.rl.example.com 192.0.2.140 198.51.100.140 300
it_up main answer-ttl-max=60
CN=(--ecs 1.0.1.0/24) US=(--ecs 8.8.8.0/24)

expect "before reload: CN gets cn" "$(res NOERROR A:192.0.2.140)" "${CN[@]}" www.rl.example.com A
q "${CN[@]}" www.rl.example.com A
assert_eq "before reload: TTL capped at 60" "A:60" "$Q_TTLS"

# a new cap in cnroute.conf, picked up by the reload
sed -i 's/^answer-ttl-max:.*/answer-ttl-max: 25/' "${UB_DIR[main]}/cnroute.conf"
out=$(ub_control main reload 2>&1)
assert_eq "unbound-control reload succeeds" ok "$out"
eventually "after reload: CN still gets cn" 3000 "$(res NOERROR A:192.0.2.140)" "${CN[@]}" www.rl.example.com A
q "${CN[@]}" www.rl.example.com A
assert_eq "after reload: the new answer-ttl-max (25) applies" "A:25" "$Q_TTLS"
expect "after reload: US gets offshore" "$(res NOERROR A:198.51.100.140)" "${US[@]}" www.rl.example.com A
rcli HSET "${IT_PREFIX}filing:rl.example.com" status revoked >/dev/null
eventually "after reload: live revoke within 1 s" 1000 "$(res NOERROR A:198.51.100.140)" "${CN[@]}" www.rl.example.com A

# a second reload, then a clean stop: no crash, no leak report (under ASan)
out=$(ub_control main reload 2>&1)
assert_eq "second reload succeeds" ok "$out"
eventually "after a second reload: revoked stays offshore" 3000 "$(res NOERROR A:198.51.100.140)" "${CN[@]}" www.rl.example.com A

# another GeoIP database: after the reload, clients are located in the new
# one (nothing remembered from the old one answers)
rcli HSET "${IT_PREFIX}filing:rl.example.com" status active >/dev/null
eventually "before the database change: CN (1.0.1.0/24) gets cn" 1000 "$(res NOERROR A:192.0.2.140)" "${CN[@]}" www.rl.example.com A
sed -i -e "s|^geoip-db:.*|geoip-db: $GEOIP_MAXMIND_DB|" -e 's/^geoip-field:.*/geoip-field: country.iso_code/' \
	"${UB_DIR[main]}/cnroute.conf"
out=$(ub_control main reload 2>&1)
assert_eq "third reload (other GeoIP database) succeeds" ok "$out"
eventually "new database: 1.0.1.0/24 (not in it) is not mainland -> offshore" 3000 "$(res NOERROR A:198.51.100.140)" \
	"${CN[@]}" www.rl.example.com A
expect "new database: 2001:250::/32 (CN in it) -> cn" "$(res NOERROR A:192.0.2.140)" --ecs 2001:250::/32 www.rl.example.com A
n=$(grep -c "cnroute: started with" "${UB_DIR[main]}/unbound.log")
assert_eq "the module was initialised four times" 4 "$n"
it_done
