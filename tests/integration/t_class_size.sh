#!/bin/bash
# Query class and pool size.
# - Only class IN is steered: a CH-class question for a managed name (A,
#   AAAA, address or CNAME pool, mainland or US client) gets a reply without
#   the pool's records in it (any rcode). Why: pool addresses are IN data;
#   answering them in another class is wrong data, not steering.
# - Pools are capped at 32 addresses per family. 32 IPv4 (or 32 IPv6, or 32
#   of each) is a good pool: over UDP without EDNS (512-byte limit) the reply
#   is truncated (TC), over TCP all 32 come back (a mainland client through
#   PROXYv2, since without EDNS there is no ECS; and a no-ECS client, who
#   gets offshore). 33 addresses of a family in a pool make a bad record:
#   skipped with a log line naming the key, so the name is not managed and is
#   resolved normally (NSD's answer); also when a loaded rule grows to 33
#   live. cnroutectl refuses to write 33 (exit 2, the message names the cap
#   32) and accepts 32.
. "$(dirname "$0")/lib.sh"
it_setup
it_cli_conf
LIMIT=2000
R=${IT_PREFIX}route:
CN=(--ecs 1.0.1.0/24) US=(--ecs 8.8.8.0/24)

# seqlist FORMAT FROM TO: comma-separated printf FORMAT of FROM..TO
seqlist() { local i out=""; for ((i = $2; i <= $3; i++)); do out+=$(printf "$1" "$i"),; done; echo "${out%,}"; }
CN4=$(seqlist '192.0.2.%d' 1 32) OFF4=$(seqlist '198.51.100.%d' 1 32)
CN6=$(seqlist '2001:db8:c::%x' 1 32) OFF6=$(seqlist '2001:db8::%x' 1 32)
# tokens TYPE LIST: the res tokens of a comma-separated list
tokens() { local a; local IFS=,; for a in $2; do printf '%s:%s\n' "$1" "$a"; done; }
mapfile -t T_CN4 < <(tokens A "$CN4"); mapfile -t T_OFF4 < <(tokens A "$OFF4")
mapfile -t T_CN6 < <(tokens AAAA "$CN6"); mapfile -t T_OFF6 < <(tokens AAAA "$OFF6")

# qclass CLASS [--ecs NET] NAME TYPE: a question of another class (sets Q_* like q)
qclass() {
	local cls=$1 opts=(); shift
	[[ $1 == --ecs ]] && { opts+=("+subnet=$2"); shift 2; }
	Q_OUT=$(kdig @127.0.0.1 -p "${UB_PORT[$IT_INST]}" +time=2 +retry=1 "${opts[@]}" -c "$cls" "$1" "$2" 2>&1)
	q_parse
	[[ ${IT_VERBOSE:-0} == 1 ]] && diag "$Q_OUT"
	return 0
}
# assert_no_pool DESC ERE: the last reply came, and its answer has no token matching ERE
assert_no_pool() {
	if [[ $Q_RCODE == NOREPLY ]]; then not_ok "$1" "a reply" "none"
	elif [[ " $Q_ANS " =~ $2 ]]; then not_ok "$1" "no pool records in the answer" "'$Q_RES'"
	else ok "$1 ($Q_RCODE)"; fi
}
# assert_tc DESC: the last reply has the TC flag
assert_tc() {
	local flags
	flags=$(sed -n 's/^;; Flags: *\([^;]*\);.*/\1/p' <<<"$Q_OUT" | head -1)
	if [[ " $flags " == *" tc "* ]]; then ok "$1"; else not_ok "$1" "flags with tc" "'$flags' ($Q_RCODE)"; fi
}

filing example.com active
route cls.example.com "192.0.2.51,2001:db8:c::51" "198.51.100.51,2001:db8::51" 30
route clsc.example.com cls.cdn-cn.example.net. cls.cdn-global.example.net. 30
route big4.size.example.com "$CN4" "$OFF4" 30
route big6.size.example.com "$CN6" "$OFF6" 30
route mixed.size.example.com "$CN4,$CN6" 198.51.100.1 30
route over4.size.example.com "$CN4,192.0.2.33" 198.51.100.1 30            # 33 IPv4 in cn; NSD: 203.0.113.90
route over6.size.example.com 192.0.2.1 "$OFF6,2001:db8::21" 30            # 33 IPv6 in offshore; NSD: 203.0.113.91
route live.size.example.com "$CN4" 198.51.100.1 30                        # grows to 33 live; NSD: 203.0.113.92
it_start_unbound main
it_wait_loaded main 6 1

# ---------------------------------------------------------------- class
POOL_RE=' (A:(192\.0\.2|198\.51\.100)\.51|AAAA:2001:db8(:c)?::51|CNAME:cls\.cdn-(cn|global)\.example\.net\.) '
expect "class IN, CN -> cn (control)" "$(res NOERROR A:192.0.2.51)" "${CN[@]}" cls.example.com A
declare -A ECS_OF=([CN]=${CN[1]} [US]=${US[1]})
for reg in CN US; do
	ecs=${ECS_OF[$reg]}
	qclass CH --ecs "$ecs" cls.example.com A
	assert_no_pool "CH A, $reg client, address pool: no pool address in the answer" "$POOL_RE"
	qclass CH --ecs "$ecs" cls.example.com AAAA
	assert_no_pool "CH AAAA, $reg client, address pool: no pool address in the answer" "$POOL_RE"
	qclass CH --ecs "$ecs" clsc.example.com A
	assert_no_pool "CH A, $reg client, CNAME pool: no pool CNAME in the answer" "$POOL_RE"
done
qclass CH cls.example.com A
assert_no_pool "CH A, client without ECS: no pool address in the answer" "$POOL_RE"
expect "class IN after the CH questions, CN -> cn" "$(res NOERROR A:192.0.2.51)" "${CN[@]}" cls.example.com A
expect "class IN after the CH questions, US -> offshore" "$(res NOERROR A:198.51.100.51)" "${US[@]}" cls.example.com A

# ---------------------------------------------------------------- 32 addresses
q --proxy 1.0.1.1 +noedns +ignore big4.size.example.com A
assert_tc "32 IPv4, CN client (PROXYv2), UDP without EDNS: TC set"
q --proxy 1.0.1.1 +noedns --tcp big4.size.example.com A
assert_res "32 IPv4, CN client (PROXYv2), TCP: all 32 cn addresses" "$(res NOERROR "${T_CN4[@]}")"
q +noedns +ignore big4.size.example.com A
assert_tc "32 IPv4, client without ECS (offshore), UDP without EDNS: TC set"
q +noedns --tcp big4.size.example.com A
assert_res "32 IPv4, client without ECS, TCP: all 32 offshore addresses" "$(res NOERROR "${T_OFF4[@]}")"
expect "32 IPv4, CN client (ECS), TCP: all 32 cn addresses" "$(res NOERROR "${T_CN4[@]}")" --tcp "${CN[@]}" big4.size.example.com A
expect "32 IPv4, CN client (ECS), UDP with EDNS (fits): all 32 cn addresses" "$(res NOERROR "${T_CN4[@]}")" "${CN[@]}" big4.size.example.com A
expect "32 IPv4, US client (ECS), TCP: all 32 offshore addresses" "$(res NOERROR "${T_OFF4[@]}")" --tcp "${US[@]}" big4.size.example.com A

q --proxy 1.0.1.1 +noedns +ignore big6.size.example.com AAAA
assert_tc "32 IPv6, CN client (PROXYv2), UDP without EDNS: TC set"
q --proxy 1.0.1.1 +noedns --tcp big6.size.example.com AAAA
assert_res "32 IPv6, CN client (PROXYv2), TCP: all 32 cn addresses" "$(res NOERROR "${T_CN6[@]}")"
q +noedns +ignore big6.size.example.com AAAA
assert_tc "32 IPv6, client without ECS, UDP without EDNS: TC set"
q +noedns --tcp big6.size.example.com AAAA
assert_res "32 IPv6, client without ECS, TCP: all 32 offshore addresses" "$(res NOERROR "${T_OFF6[@]}")"
expect "32 IPv6, CN client (ECS), TCP: all 32 cn addresses" "$(res NOERROR "${T_CN6[@]}")" --tcp "${CN[@]}" big6.size.example.com AAAA

expect "32 IPv4 + 32 IPv6 in one pool (cap is per family), CN, TCP A: all 32" "$(res NOERROR "${T_CN4[@]}")" --tcp "${CN[@]}" mixed.size.example.com A
expect "32 IPv4 + 32 IPv6 in one pool, CN, TCP AAAA: all 32" "$(res NOERROR "${T_CN6[@]}")" --tcp "${CN[@]}" mixed.size.example.com AAAA

# ---------------------------------------------------------------- 33 addresses
log=${UB_DIR[main]}/unbound.log
expect "33 IPv4 in the cn pool: rule skipped, CN -> resolved normally (NSD)" "$(res NOERROR A:203.0.113.90)" --tcp "${CN[@]}" over4.size.example.com A
expect "33 IPv4 in the cn pool: rule skipped, US -> resolved normally (NSD)" "$(res NOERROR A:203.0.113.90)" --tcp "${US[@]}" over4.size.example.com A
assert_ge "33 IPv4: a log line names ${R}over4.size.example.com" 1 "$(grep -cF "${R}over4.size.example.com" "$log")"
expect "33 IPv6 in the offshore pool: rule skipped, CN -> resolved normally (NSD)" "$(res NOERROR A:203.0.113.91)" --tcp "${CN[@]}" over6.size.example.com A
expect "33 IPv6 in the offshore pool: rule skipped, US AAAA -> resolved normally (NSD: none)" "NOERROR" --tcp "${US[@]}" over6.size.example.com AAAA
assert_ge "33 IPv6: a log line names ${R}over6.size.example.com" 1 "$(grep -cF "${R}over6.size.example.com" "$log")"

expect "live.size with 32: CN -> all 32 cn addresses" "$(res NOERROR "${T_CN4[@]}")" --tcp "${CN[@]}" live.size.example.com A
rcli HSET "${R}live.size.example.com" cn "$CN4,192.0.2.33" >/dev/null
eventually "live.size grows to 33 live: rule dropped, CN -> resolved normally (NSD)" $LIMIT "$(res NOERROR A:203.0.113.92)" --tcp "${CN[@]}" live.size.example.com A
assert_ge "live.size with 33: a log line names ${R}live.size.example.com" 1 "$(grep -cF "${R}live.size.example.com" "$log")"
rcli HSET "${R}live.size.example.com" cn "$CN4" >/dev/null
eventually "live.size back to 32: CN -> all 32 cn addresses" $LIMIT "$(res NOERROR "${T_CN4[@]}")" --tcp "${CN[@]}" live.size.example.com A

# ---------------------------------------------------------------- cnroutectl
ctl route set x.size.example.com --cn "$CN4,192.0.2.33" --offshore 198.51.100.1
assert_eq "ctl route set with 33 IPv4 in --cn: exit 2" 2 "$CTL_RC"
assert_match "ctl route set with 33: the message names the cap (32)" "(^|[^0-9])32([^0-9]|\$)" "$CTL_ERR $CTL_OUT"
assert_eq "ctl route set with 33: nothing written" 0 "$(rcli EXISTS "${R}x.size.example.com")"
ctl route set x6.size.example.com --cn 192.0.2.1 --offshore "$OFF6,2001:db8::21"
assert_eq "ctl route set with 33 IPv6 in --offshore: exit 2" 2 "$CTL_RC"
assert_match "ctl route set with 33 IPv6: the message names the cap (32)" "(^|[^0-9])32([^0-9]|\$)" "$CTL_ERR $CTL_OUT"
assert_eq "ctl route set with 33 IPv6: nothing written" 0 "$(rcli EXISTS "${R}x6.size.example.com")"
ctl route set y.size.example.com --cn "$CN4,$CN6" --offshore "$OFF4"
assert_eq "ctl route set with 32 IPv4 + 32 IPv6: exit 0" 0 "$CTL_RC"
it_done
