#!/bin/bash
# cnroutectl fleet status / fleet wait against real resolvers on one Redis:
#  - status: two resolvers with fleet-status: yes are fine (exit 0), one
#    line each with the link, server, table and staleness; --json is
#    valid JSON with those fields; the fleet-resolvers of the config are
#    the default; a resolver without fleet-status, a stopped one and a
#    stale one (max-stale: 1, its Redis killed) make it exit 5 naming it;
#  - wait: after a revocation both resolvers converge (exit 0, the time
#    per resolver); a resolver reading another Redis that lacks the
#    change does not (exit 5, naming it and a name it answers wrongly),
#    and converges once the change reaches its Redis during the wait.
. "$(dirname "$0")/lib.sh"
it_setup
command -v node >/dev/null || it_bail "missing tool: node (JSON checks)"
R1=$RPORT R1_PID=$REDIS_PID

# fleet_data: the same filing and routes in the Redis at RPORT
fleet_data() {
	filing fw.example.com active
	route www.fw.example.com 192.0.2.130,2001:db8:c::130 198.51.100.130,2001:db8:f::130 30
	route cname.fw.example.com w1.cdn-cn.example.net. w1.cdn-global.example.net. 30
	route '*.img.fw.example.com' 192.0.2.131 198.51.100.131 30
	route www.other.example.org 192.0.2.132 198.51.100.132 30
	# no offshore pool: offshore clients get what Unbound resolves
	route nooff.fw.example.com 192.0.2.133 "" 30
}
fleet_data

# a second Redis with the same data, read by resolver e only
it_port
it_start_redis "$REPLY" redis2
R2=$RPORT R2_PID=$REDIS_PID
fleet_data
RPORT=$R1 REDIS_PID=$R1_PID

it_up a fleet-status=yes
it_up b fleet-status=yes
it_up c
it_start_unbound e "redis-server=127.0.0.1:$R2" fleet-status=yes max-stale=1
it_wait_loaded e 5 1
A=127.0.0.1:${UB_PORT[a]} B=127.0.0.1:${UB_PORT[b]} C=127.0.0.1:${UB_PORT[c]} E=127.0.0.1:${UB_PORT[e]}
it_cli_conf "fleet-resolvers=$A $B"

# json_check JSON EXPR: node evaluates EXPR over the parsed value (v);
# prints its value, or "invalid JSON" when the text does not parse
json_check() {
	node -e 'let v; try { v = JSON.parse(process.argv[1]); } catch (e) { console.log("invalid JSON"); process.exit(0); }
		console.log(String(eval(process.argv[2])));' "$1" "$2"
}

# ------------------------------------------------------------- status
ctl fleet status --resolver "$A" --resolver "$B"
assert_eq "status, both fine: exit 0" 0 "$CTL_RC"
assert_eq "status: one line per resolver" 2 "$(grep -c . <<<"$CTL_OUT")"
line_a=$(grep -F "$A " <<<"$CTL_OUT")
assert_match "status a: ok, redis up on the test Redis" "^$A +ok +redis up 127.0.0.1:$R1, changes [a-z]+, contact [0-9]+ s ago" "$line_a"
assert_match "status a: table sizes" "filings 1, routes 5" "$line_a"
assert_match "status a: last change and stale" "last change .*; stale no" "$line_a"
assert_eq "status: nothing on stderr when fine" "" "$CTL_ERR"

ctl fleet status
assert_eq "status from fleet-resolvers of the config: exit 0" 0 "$CTL_RC"
assert_eq "status from fleet-resolvers: both listed" "$A $B" "$(awk '{print $1}' <<<"$CTL_OUT" | tr '\n' ' ' | sed 's/ $//')"

ctl --json fleet status --resolver "$A,$B"
assert_eq "status --json: exit 0" 0 "$CTL_RC"
assert_eq "status --json: valid, an array of 2" 2 "$(json_check "$CTL_OUT" 'v.length')"
assert_eq "status --json: fields" "$A true up 127.0.0.1:$R1 5 1 false true" \
	"$(json_check "$CTL_OUT" '[v[0].resolver, v[0].ok, v[0].redis, v[0].server, v[0].routes, v[0].filings, v[0].stale, v[0].loaded].join(" ")')"
assert_eq "status --json: numbers are numbers" "number number number" \
	"$(json_check "$CTL_OUT" '[typeof v[1].contact_age, typeof v[1].last_change, typeof v[1].now].join(" ")')"

ctl fleet status --resolver "[::1]:${UB_PORT[a]}"
assert_eq "status over IPv6 ([::1]:port): exit 0" 0 "$CTL_RC"
assert_match "status over IPv6: the line names it" "^\[::1\]:${UB_PORT[a]} +ok" "$CTL_OUT"

ctl fleet status --resolver "$A" --resolver "$C"
assert_eq "status with a resolver without fleet-status: exit 5" 5 "$CTL_RC"
assert_match "status: the resolver without fleet-status is named" "$C .*fleet-status" "$CTL_ERR"
assert_match "status: its line says FAIL" "^$C +FAIL" "$(grep -F "$C " <<<"$CTL_OUT")"

ctl fleet status --help
assert_eq "status --help: exit 0" 0 "$CTL_RC"
assert_match "status --help: usage" "usage: cnroutectl fleet status" "$CTL_OUT"
ctl fleet wait --help
assert_eq "wait --help: exit 0" 0 "$CTL_RC"
assert_match "wait --help: usage" "usage: cnroutectl fleet wait" "$CTL_OUT"
ctl fleet wait --resolver "$A"
assert_eq "wait without --client: usage error" 1 "$CTL_RC"
assert_match "wait without --client: says so" "fleet wait needs --client" "$CTL_ERR"
ctl fleet status --resolver 127.0.0.1:notaport
assert_eq "status with a bad address: exit 2" 2 "$CTL_RC"

# ------------------------------------------------------------- wait
CN=1.0.1.0/24
ctl fleet wait --client "$CN" --timeout 5
assert_eq "wait before any change: exit 0" 0 "$CTL_RC"
assert_match "wait: a converged" "$A +ok +converged in [0-9]+ ms \(6 answers right\)" "$CTL_OUT"
assert_match "wait: b converged" "$B +ok +converged in [0-9]+ ms" "$CTL_OUT"

rcli HSET "${IT_PREFIX}filing:fw.example.com" status revoked >/dev/null
ctl fleet wait --domain fw.example.com --client "$CN" --resolver "$A,$B"
assert_eq "wait after a revocation: exit 0" 0 "$CTL_RC"
assert_match "wait after a revocation: 5 answers under the domain, both converged" \
	"$A +ok +converged in [0-9]+ ms \(5 answers right\).*$B +ok +converged" "$(tr '\n' ' ' <<<"$CTL_OUT")"
expect "and the resolver does serve offshore to the CN client" "$(res NOERROR A:198.51.100.130)" \
	--inst a --ecs "$CN" www.fw.example.com A
q --inst a --ecs "$CN" nooff.fw.example.com A
assert_eq "an empty offshore pool: the CN client no longer gets the cn pool" "" "$(grep -o 192.0.2.133 <<<"$Q_ANS")"

# e reads the second Redis, which never saw the revocation
ctl fleet wait --domain fw.example.com --client "$CN" --resolver "$A,$E" --timeout 1.5
assert_eq "wait with a resolver lacking the change: exit 5" 5 "$CTL_RC"
assert_match "wait: names the resolver and a name" "1 of 2 resolvers did not converge: $E \(cname.fw.example.com. A\)" "$CTL_ERR"
assert_match "wait: its line says what it answers and what it must" \
	"$E +FAIL +not converged: 0 of 5 answers right; cname.fw.example.com. A: got .*CNAME w1.cdn-cn.example.net..*, must be CNAME w1.cdn-global.example.net. \(offshore pool\)" "$CTL_OUT"
assert_match "wait: a still converged" "$A +ok +converged" "$CTL_OUT"
ctl --json fleet wait --domain fw.example.com --client "$CN" --resolver "$A,$E" --timeout 1
assert_eq "wait --json: exit 5" 5 "$CTL_RC"
assert_eq "wait --json: valid, per resolver" "true false $E" \
	"$(json_check "$CTL_OUT" '[v[0].converged, v[1].converged, v[1].resolver].join(" ")')"
ctl fleet wait --domain other.example.org --client "$CN" --resolver "$A,$E"
assert_eq "wait on a domain both have: exit 0" 0 "$CTL_RC"

# wait keeps asking: the revocation reaches e's Redis while it waits
( sleep 0.5; redis-cli -p "$R2" HSET "${IT_PREFIX}filing:fw.example.com" status revoked >/dev/null ) &
writer=$!
ctl fleet wait --domain fw.example.com --client "$CN" --resolver "$E" --timeout 10
wait "$writer"
assert_eq "wait while the change arrives: exit 0" 0 "$CTL_RC"
assert_match "wait while the change arrives: e converged" "$E +ok +converged in [0-9]+ ms \(5 answers right\)" "$CTL_OUT"

# ------------------------------------------------------------- stale, stopped
ctl fleet status --resolver "$E"
assert_eq "e, its Redis up: status exit 0" 0 "$CTL_RC"
it_kill_pid "$R2_PID"
it_untrack "$R2_PID"
wait_until 8000 bash -c "kdig @127.0.0.1 -p ${UB_PORT[e]} +time=1 +short status.cnroute CH TXT | grep -q 'stale=yes'" ||
	diag "e did not report stale=yes within 8 s"
ctl fleet status --resolver "$A,$E"
assert_eq "a stale resolver: exit 5" 5 "$CTL_RC"
assert_match "a stale resolver: named" "1 of 2 resolvers not fine: $E \(stale\)" "$CTL_ERR"
assert_match "a stale resolver: its line" "^$E +FAIL +redis down .*stale yes" "$(grep -F "$E " <<<"$CTL_OUT")"

it_stop_unbound b
ctl fleet status
assert_eq "a stopped resolver: exit 5" 5 "$CTL_RC"
assert_match "a stopped resolver: named" "1 of 2 resolvers not fine: $B \(no answer" "$CTL_ERR"
assert_match "a stopped resolver: a still ok" "^$A +ok" "$CTL_OUT"
it_done
