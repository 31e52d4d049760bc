#!/bin/bash
# cnroutectl basics against a real Redis and the resolver: --help of every
# command exits 0, usage errors exit 1, the onboarding gate (exit 3 and
# nothing written; --force stages the rule, which is served offshore),
# Unicode names stored as A-labels and answered by the resolver, the audit
# trail of every change, and exit 4 when Redis is down.
. "$(dirname "$0")/lib.sh"
it_setup
it_cli_conf
export CNROUTE_ACTOR=it-operator

# --help of each command and sub-command: exit 0 and a usage line
for args in "--help" "filing --help" "filing set --help" "filing show --help" \
	"filing list --help" "filing revoke --help" "filing import --help" \
	"route --help" "route set --help" "route show --help" "route list --help" \
	"route del --help" "route import --help" "explain --help" "check --help" \
	"sync --help" "audit --help" "probe --help"; do
	ctl $args
	assert_eq "cnroutectl $args exits 0" 0 "$CTL_RC"
	assert_match "cnroutectl $args prints a usage" "^usage: cnroutectl" "$CTL_OUT"
done
ctl nonsense
assert_eq "unknown command: exit 1 (usage)" 1 "$CTL_RC"
ctl route set www.example.com --cn
assert_eq "option without its value: exit 1" 1 "$CTL_RC"
ctl filing set bad..example.com --icp 京ICP备12345678号 --entity X
assert_eq "malformed domain: exit 2" 2 "$CTL_RC"
ctl filing set example.com --icp 京公网安备11010802044671号 --entity X
assert_eq "public-security number: exit 2" 2 "$CTL_RC"
assert_match "public-security number: the message says so" "public-security" "$CTL_ERR"
assert_eq "public-security number: nothing written" 0 "$(rcli EXISTS "${IT_PREFIX}filing:example.com")"

# onboarding gate
ctl route set www.gate.example.com --cn 192.0.2.31 --offshore 198.51.100.31 --ttl 30
assert_eq "gate: CN pool without any filing: exit 3" 3 "$CTL_RC"
assert_match "gate: the message names the gate" "onboarding gate" "$CTL_ERR"
assert_eq "gate: nothing written" 0 "$(rcli EXISTS "${IT_PREFIX}route:www.gate.example.com")"
assert_eq "gate: no audit entry" 0 "$(rcli XLEN "${IT_PREFIX}audit")"
ctl filing set gate.example.com --icp '京ICP备 1234 5678 号' --entity 'Gate Co' --registrant 'Gate Co' --status pending
assert_eq "filing set pending: exit 0" 0 "$CTL_RC"
assert_eq "filing number stored normalised" "京ICP备12345678号" "$(rcli HGET "${IT_PREFIX}filing:gate.example.com" icp)"
assert_match "filing has an updated time" "^[0-9]{10}$" "$(rcli HGET "${IT_PREFIX}filing:gate.example.com" updated)"
ctl route set www.gate.example.com --cn 192.0.2.31 --offshore 198.51.100.31 --ttl 30
assert_eq "gate: covering filing pending: exit 3" 3 "$CTL_RC"
assert_match "gate: message names the covering filing and its status" "gate\.example\.com is pending" "$CTL_ERR"
ctl route set www.gate.example.com --offshore 198.51.100.31 --ttl 30
assert_eq "gate: no CN pool needs no filing: exit 0" 0 "$CTL_RC"
ctl route set www.gate.example.com --cn 192.0.2.31 --offshore 198.51.100.31 --ttl 30 --force
assert_eq "gate --force: exit 0" 0 "$CTL_RC"
assert_match "gate --force: says it is served offshore until filed" "offshore until" "$CTL_ERR$CTL_OUT"
assert_eq "gate --force: rule written" "192.0.2.31" "$(rcli HGET "${IT_PREFIX}route:www.gate.example.com" cn)"

# Unicode names
ctl filing set 例子.中国 --icp 京ICP备2021003158号-1 --entity 'Li Co' --registrant 'Li Co'
assert_eq "Unicode domain: exit 0" 0 "$CTL_RC"
assert_eq "Unicode domain stored as A-labels" active "$(rcli HGET "${IT_PREFIX}filing:xn--fsqu00a.xn--fiqs8s" status)"
ctl route set 'WWW.例子.中国.' --cn 192.0.2.32 --offshore 198.51.100.32 --ttl 30
assert_eq "Unicode route name: exit 0 (filing active)" 0 "$CTL_RC"
assert_eq "Unicode route stored lower-case A-labels" "192.0.2.32" "$(rcli HGET "${IT_PREFIX}route:www.xn--fsqu00a.xn--fiqs8s" cn)"
ctl --json filing show 例子.中国
assert_eq "filing show by Unicode name finds the A-label key" "xn--fsqu00a.xn--fiqs8s" "$(json_get "$CTL_OUT" domain)"
ctl route set '*.img.example.com' --cn '图片.例子.中国.' --offshore img.cdn-global.example.net.
assert_eq "wildcard rule, Unicode CNAME target: refused without a filing (exit 3)" 3 "$CTL_RC"
ctl filing set example.com --icp 京ICP备12345678号 --entity 'Ex Co' --registrant 'Ex Co'
ctl route set '*.img.example.com' --cn '图片.例子.中国.' --offshore img.cdn-global.example.net.
assert_eq "wildcard rule with a filing: exit 0" 0 "$CTL_RC"
assert_eq "CNAME target stored as A-labels" "xn--wcsw84d.xn--fsqu00a.xn--fiqs8s." "$(rcli HGET "${IT_PREFIX}route:*.img.example.com" cn)"

# the resolver serves what the CLI wrote
it_up main
CN=(--ecs 1.0.1.0/24) US=(--ecs 8.8.8.0/24)
expect "resolver: Unicode-named rule, CN client gets cn" "$(res NOERROR A:192.0.2.32)" "${CN[@]}" www.xn--fsqu00a.xn--fiqs8s A
expect "resolver: Unicode-named rule, US client gets offshore" "$(res NOERROR A:198.51.100.32)" "${US[@]}" www.xn--fsqu00a.xn--fiqs8s A
expect "resolver: forced rule (filing pending) served offshore to CN" "$(res NOERROR A:198.51.100.31)" "${CN[@]}" www.gate.example.com A
ctl filing set gate.example.com --icp 京ICP备12345678号 --entity 'Gate Co' --registrant 'Gate Co'
eventually "resolver: filing set active -> forced rule now cn within 1 s" 1000 "$(res NOERROR A:192.0.2.31)" "${CN[@]}" www.gate.example.com A
ctl filing revoke gate.example.com
assert_eq "filing revoke: exit 0" 0 "$CTL_RC"
eventually "resolver: filing revoke -> CN offshore within 1 s" 1000 "$(res NOERROR A:198.51.100.31)" "${CN[@]}" www.gate.example.com A
ctl filing revoke gate.example.com
assert_match "revoking twice: nothing written" "already revoked" "$CTL_OUT"
ctl filing restore gate.example.com
eventually "resolver: filing restore -> CN cn within 1 s" 1000 "$(res NOERROR A:192.0.2.31)" "${CN[@]}" www.gate.example.com A
ctl filing cancel gate.example.com
assert_eq "filing cancel: status cancelled" cancelled "$(rcli HGET "${IT_PREFIX}filing:gate.example.com" status)"
ctl filing revoke nothere.example.com
assert_eq "revoking a domain without filing: exit 2" 2 "$CTL_RC"
ctl route del www.gate.example.com
assert_eq "route del: exit 0" 0 "$CTL_RC"
assert_eq "route del: key gone" 0 "$(rcli EXISTS "${IT_PREFIX}route:www.gate.example.com")"
ctl route del www.gate.example.com
assert_eq "route del of a missing rule: exit 2" 2 "$CTL_RC"

# the audit trail
ctl --json audit --domain gate.example.com
a=$CTL_OUT
assert_eq "audit --json: exit 0" 0 "$CTL_RC"
actions=$(grep -o '"action":"[a-z.]*"' <<<"$a" | cut -d'"' -f4 | tr '\n' ' ')
assert_eq "audit: actions on gate.example.com, in order" \
	"filing.set route.set route.set filing.set filing.revoke filing.restore filing.cancel route.del " "$actions"
assert_eq "audit: every entry has the actor from CNROUTE_ACTOR" "$(grep -c '"action"' <<<"$a")" "$(grep -c '"actor":"it-operator"' <<<"$a")"
rev=$(grep '"action":"filing.revoke"' <<<"$a")
assert_eq "audit: revoke entry names the key" "${IT_PREFIX}filing:gate.example.com" "$(json_get "$rev" key)"
assert_match "audit: revoke entry old value is active" '"old":\{[^}]*"status":"active"' "$rev"
assert_match "audit: revoke entry new value is revoked" '"new":\{[^}]*"status":"revoked"' "$rev"
assert_match "audit: time is unix seconds" '"time":[0-9]{10}' "$rev"
del=$(grep '"action":"route.del"' <<<"$a")
assert_match "audit: route.del has the old rule and no new" '"old":\{"cn":"192.0.2.31".*"new":null' "$del"
first=$(grep '"action":"filing.set"' <<<"$a" | head -1)
assert_match "audit: the first filing.set had no old value" '"old":null' "$first"
ctl audit --since 1h --domain example.org
assert_eq "audit of a domain without changes: nothing" "" "$CTL_OUT"
ctl audit --since 'not a time'
assert_eq "audit --since garbage: exit 2" 2 "$CTL_RC"
total=$(rcli XLEN "${IT_PREFIX}audit")
ctl --json audit
assert_eq "audit without filter lists every entry" "$total" "$(grep -c '"action"' <<<"$CTL_OUT")"

# Redis down: exit 4, for reads and writes
it_port
CTL_CONF=$IT_WORK/down.conf
cnroute_conf "$CTL_CONF" redis-server=127.0.0.1:$REPLY
ctl filing list
assert_eq "Redis unreachable: filing list exits 4" 4 "$CTL_RC"
assert_match "Redis unreachable: the message says so" "redis unreachable" "$CTL_ERR"
ctl route set www.example.com --offshore 198.51.100.1
assert_eq "Redis unreachable: route set exits 4" 4 "$CTL_RC"
ctl check
assert_eq "Redis unreachable: check exits 4" 4 "$CTL_RC"
unset CTL_CONF
it_done
