#!/bin/bash
# CNAME pools answered from Unbound's cache, and their targets leaving it.
# Why: when a CNAME pool's target is fresh in Unbound's message cache, the
# module builds the answer from there instead of resolving the target with
# a sub-query. That is only right while the cached answer is what a
# sub-query would get: once the target's TTL has run out, or its entry was
# removed (unbound-control flush), the next question must resolve it again
# and carry the authority's current data, never the old records.
# A zone of the test's own (mv.example., its own NSD, so that its data can
# change under the resolver) holds the targets:
# - exp-*: TTL 2. Asked (the target is cached), the zone changes, asked
#   again within the TTL (still the cached records, TTL <= 2), then after
#   the TTL has run out: the new records, for both regions; also in an
#   instance with serve-expired: yes (instance se);
# - fl-*: TTL 3600. Asked, the zone changes, `unbound-control flush` of the
#   target: the new records at once;
# - a target that is NXDOMAIN, one that is NODATA and one whose zone does
#   answer for it (REFUSED: SERVFAIL), each asked twice (the second time the target's
#   answer is cached where Unbound caches it): the same answer both times;
# - every answer: TTLs <= answer-ttl-max (60), the target's <= its own, ECS
#   scope as for a direct answer (the GeoIP prefix; 0 when no filing);
# - the decision a worker remembers for a pool (and whether its target is
#   managed) never outlives a table change: the filing revoked and active
#   again, the target gaining and losing a route of its own, each seen by
#   the pool's very next answer once a probe shows it is in the table.
. "$(dirname "$0")/lib.sh"
it_setup
filing mv.example.com active
route exp.mv.example.com exp-cn.mv.example. exp-gl.mv.example. 300
route fl.mv.example.com fl-cn.mv.example. fl-gl.mv.example. 300
route nx.mv.example.com nx-cn.mv.example. nx-gl.mv.example. 300
route nd.mv.example.com nd.mv.example. nd.mv.example. 300
route sf.mv.example.com x.dead.example. x.dead.example. 300
route unf.mv.example.org exp-cn.mv.example. exp-gl.mv.example. 300
route pr.mv.example.com 192.0.2.50 198.51.100.50 300

# mv_zone GEN: write the zone mv.example. with addresses of generation GEN
MVDIR=$IT_WORK/nsd-mv
mkdir -p "$MVDIR"
mv_zone() {
	cat >"$MVDIR/mv.example.zone.new" <<-EOF
	\$ORIGIN mv.example.
	\$TTL 3600
	@       SOA  ns.mv.example. hostmaster.mv.example. $1 3600 600 86400 300
	@       NS   ns.mv.example.
	ns      A    127.0.0.1
	exp-cn  2    A     192.0.2.2$1
	exp-gl  2    A     198.51.100.2$1
	fl-cn   A    192.0.2.3$1
	fl-cn   AAAA 2001:db8:c::3$1
	fl-gl   A    198.51.100.3$1
	nd      TXT  "no addresses"
	EOF
	mv "$MVDIR/mv.example.zone.new" "$MVDIR/mv.example.zone"
}
it_port; MVPORT=$REPLY
cat >"$MVDIR/nsd.conf" <<EOF
server:
    ip-address: 127.0.0.1
    port: $MVPORT
    do-ip6: no
    server-count: 1
    username: ""
    chroot: ""
    zonesdir: "$MVDIR"
    database: ""
    zonelistfile: "$MVDIR/zone.list"
    xfrdfile: "$MVDIR/xfrd.state"
    xfrdir: "$MVDIR"
    pidfile: "$MVDIR/nsd.pid"
    logfile: "$MVDIR/nsd.log"
    verbosity: 1
remote-control:
    control-enable: no
zone:
    name: "mv.example."
    zonefile: "mv.example.zone"
EOF
mv_up() { kdig @127.0.0.1 -p "$MVPORT" +time=1 +retry=0 +short SOA mv.example 2>/dev/null | grep -q " $1 "; }
# mv_start GEN: (re)start the zone's NSD serving generation GEN
mv_start() {
	if [[ -n ${MV_PID:-} ]]; then it_kill_pid "$MV_PID"; it_untrack "$MV_PID"; fi
	mv_zone "$1"
	nsd -d -c "$MVDIR/nsd.conf" >>"$MVDIR/stdout" 2>&1 &
	MV_PID=$!
	it_track nsd-mv "$MV_PID"
	wait_until 5000 mv_up "$1" || it_bail "NSD for mv.example. did not serve generation $1"
}
mv_start 1
# dead.example.: a stub to a server that refuses it (the target's SERVFAIL)
IT_UNBOUND_SERVER=('domain-insecure: "mv.example."' 'domain-insecure: "dead.example."')
IT_UNBOUND_CLAUSES=$(printf 'stub-zone:\n    name: "mv.example."\n    stub-addr: 127.0.0.1@%s\nstub-zone:\n    name: "dead.example."\n    stub-addr: 127.0.0.1@%s\n' "$MVPORT" "$MVPORT")
it_up main
# the same with serve-expired: Unbound serves expired entries to clients
# asking the target itself, never to a CNAME pool's answer
IT_UNBOUND_SERVER+=('serve-expired: yes')
it_up se
IT_UNBOUND_SERVER=() IT_UNBOUND_CLAUSES=""
CN=(--ecs 1.0.1.0/24) US=(--ecs 8.8.8.0/24)
P_CN=$(geo_prefix "$GEOIP_COUNTRY_DB" 1.0.1.0)
P_US=$(geo_prefix "$GEOIP_COUNTRY_DB" 8.8.8.0)
[[ $P_CN =~ ^[1-9][0-9]*$ && $P_US =~ ^[1-9][0-9]*$ ]] || it_bail "mmdblookup gave no prefix for 1.0.1.0 / 8.8.8.0"

# ttls_le DESC MAX: every TTL of the last answer <= MAX
ttls_le() {
	local t worst=0
	for t in $Q_TTLS; do ((${t##*:} > worst)) && worst=${t##*:}; done
	if [[ -n $Q_TTLS ]] && ((worst <= $2)); then ok "$1 (TTLs $Q_TTLS)"; else not_ok "$1" "every TTL <= $2" "'$Q_TTLS'"; fi
}
# ask DESC EXPECTED SCOPE TARGET-TTL-MAX q-ARGS...: answer, ECS scope, every
# TTL <= 60 (answer-ttl-max) and the target's records' <= TARGET-TTL-MAX
ask() {
	local d=$1 e=$2 s=$3 m=$4 t worst=0; shift 4
	expect "$d" "$e" "$@"
	assert_eq "$d: ECS scope" "$s" "$Q_SCOPE"
	ttls_le "$d: TTLs" 60
	for t in $Q_TTLS; do [[ $t == CNAME:* ]] || ((${t##*:} <= worst)) || worst=${t##*:}; done
	assert_le "$d: target's TTL <= $m" "$m" "$worst"
}

# ---- expiry: the target's TTL runs out between two questions
for i in main se; do
	ask "$i: exp, CN, first (target resolved)" "$(res NOERROR CNAME:exp-cn.mv.example. A:192.0.2.21)" "$P_CN" 2 --inst "$i" "${CN[@]}" exp.mv.example.com A
	ask "$i: exp, US, first (target resolved)" "$(res NOERROR CNAME:exp-gl.mv.example. A:198.51.100.21)" "$P_US" 2 --inst "$i" "${US[@]}" exp.mv.example.com A
done
T_CACHED=$(now_ms)
mv_start 2
if (($(now_ms) - T_CACHED < 1000)); then
	ask "exp, CN, within the target's TTL (cached)" "$(res NOERROR CNAME:exp-cn.mv.example. A:192.0.2.21)" "$P_CN" 2 "${CN[@]}" exp.mv.example.com A
else
	diag "NSD restart took $(($(now_ms) - T_CACHED)) ms: no question within the TTL"
fi
# the TTL (2 s) has run out 3 s after the first question
sleep "$(awk -v ms=$((3200 - ($(now_ms) - T_CACHED))) 'BEGIN { print (ms > 0 ? ms / 1000 : 0) }')"
for i in main se; do
	ask "$i: exp, CN, after the target's TTL -> resolved again, new data" "$(res NOERROR CNAME:exp-cn.mv.example. A:192.0.2.22)" "$P_CN" 2 --inst "$i" "${CN[@]}" exp.mv.example.com A
	ask "$i: exp, US, after the target's TTL -> resolved again, new data" "$(res NOERROR CNAME:exp-gl.mv.example. A:198.51.100.22)" "$P_US" 2 --inst "$i" "${US[@]}" exp.mv.example.com A
	ask "$i: exp, CN, again (cached again)" "$(res NOERROR CNAME:exp-cn.mv.example. A:192.0.2.22)" "$P_CN" 2 --inst "$i" "${CN[@]}" exp.mv.example.com A
done
# an unfiled name with a CNAME pool to the same targets: offshore, scope 0
ask "unfiled, CN -> offshore target, scope 0" "$(res NOERROR CNAME:exp-gl.mv.example. A:198.51.100.22)" 0 2 "${CN[@]}" unf.mv.example.org A

# ---- flush: the target's entry removed between two questions
ask "fl, CN, first (target resolved)" "$(res NOERROR CNAME:fl-cn.mv.example. A:192.0.2.32)" "$P_CN" 60 "${CN[@]}" fl.mv.example.com A
ask "fl, CN, AAAA, first" "$(res NOERROR CNAME:fl-cn.mv.example. AAAA:2001:db8:c::32)" "$P_CN" 60 "${CN[@]}" fl.mv.example.com AAAA
ask "fl, US, first" "$(res NOERROR CNAME:fl-gl.mv.example. A:198.51.100.32)" "$P_US" 60 "${US[@]}" fl.mv.example.com A
ask "fl, CN, second (cached, TTL capped at 60)" "$(res NOERROR CNAME:fl-cn.mv.example. A:192.0.2.32)" "$P_CN" 60 "${CN[@]}" fl.mv.example.com A
mv_start 3
ask "fl, CN, zone changed, not flushed (cached)" "$(res NOERROR CNAME:fl-cn.mv.example. A:192.0.2.32)" "$P_CN" 60 "${CN[@]}" fl.mv.example.com A
ub_control main flush fl-cn.mv.example >/dev/null || it_bail "unbound-control flush failed"
ub_control main flush fl-gl.mv.example >/dev/null || it_bail "unbound-control flush failed"
ask "fl, CN, after flush -> new data" "$(res NOERROR CNAME:fl-cn.mv.example. A:192.0.2.33)" "$P_CN" 60 "${CN[@]}" fl.mv.example.com A
ask "fl, CN, AAAA, after flush -> new data" "$(res NOERROR CNAME:fl-cn.mv.example. AAAA:2001:db8:c::33)" "$P_CN" 60 "${CN[@]}" fl.mv.example.com AAAA
ask "fl, US, after flush -> new data" "$(res NOERROR CNAME:fl-gl.mv.example. A:198.51.100.33)" "$P_US" 60 "${US[@]}" fl.mv.example.com A

# ---- the pool's remembered decision never outlives a table change: each
# worker keeps a CNAME pool's decision, and whether its target is managed,
# until the table changes. A probe shows when a change is in the table;
# the pool's very next answer must show it too.
ask "fl, CN, asked again (decision remembered)" "$(res NOERROR CNAME:fl-cn.mv.example. A:192.0.2.33)" "$P_CN" 60 "${CN[@]}" fl.mv.example.com A
filing mv.example.com revoked
eventually "filing revoked: in the table (probe offshore)" 20000 "$(res NOERROR A:198.51.100.50)" "${CN[@]}" pr.mv.example.com A
ask "fl, CN, filing revoked -> offshore target at once, scope 0" "$(res NOERROR CNAME:fl-gl.mv.example. A:198.51.100.33)" 0 60 "${CN[@]}" fl.mv.example.com A
filing mv.example.com active
eventually "filing active again: in the table (probe CN)" 20000 "$(res NOERROR A:192.0.2.50)" "${CN[@]}" pr.mv.example.com A
ask "fl, CN, filing active again -> CN target at once" "$(res NOERROR CNAME:fl-cn.mv.example. A:192.0.2.33)" "$P_CN" 60 "${CN[@]}" fl.mv.example.com A
# the target gets a route of its own (no filing covers it: offshore)
route fl-cn.mv.example 192.0.2.60 198.51.100.60 30
eventually "the target's route: in the table (target asked directly)" 20000 "$(res NOERROR A:198.51.100.60)" "${CN[@]}" fl-cn.mv.example A
ask "fl, CN, target now managed -> its own answer at once" "$(res NOERROR CNAME:fl-cn.mv.example. A:198.51.100.60)" "$P_CN" 30 "${CN[@]}" fl.mv.example.com A
rcli DEL "${IT_PREFIX}route:fl-cn.mv.example" >/dev/null
eventually "the target's route gone: in the table (target asked directly)" 20000 "$(res NOERROR A:192.0.2.33)" "${CN[@]}" fl-cn.mv.example A
ask "fl, CN, target unmanaged again -> the zone's records" "$(res NOERROR CNAME:fl-cn.mv.example. A:192.0.2.33)" "$P_CN" 60 "${CN[@]}" fl.mv.example.com A

# ---- NXDOMAIN, NODATA and SERVFAIL targets, twice each
for n in 1 2; do
	expect "NXDOMAIN target, CN, question $n" "$(res NXDOMAIN CNAME:nx-cn.mv.example.)" "${CN[@]}" nx.mv.example.com A
	assert_eq "NXDOMAIN target, CN, question $n: ECS scope" "$P_CN" "$Q_SCOPE"
	expect "NXDOMAIN target, US, question $n" "$(res NXDOMAIN CNAME:nx-gl.mv.example.)" "${US[@]}" nx.mv.example.com A
	expect "NODATA target, CN, question $n" "$(res NOERROR CNAME:nd.mv.example.)" "${CN[@]}" nd.mv.example.com A
	expect "SERVFAIL target, CN, question $n" "SERVFAIL" "${CN[@]}" sf.mv.example.com A
done
it_done
