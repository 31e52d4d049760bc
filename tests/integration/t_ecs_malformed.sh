#!/bin/bash
# A malformed ECS option gets FORMERR (RFC 7871 7.1.1 / 6): raw UDP queries
# built byte by byte; a well-formed control query proves the packet builder.
# Also one malformed option sent with kdig +ednsopt, and the ecs_formerr
# counter in the stats file.
. "$(dirname "$0")/lib.sh"
it_setup
filing mf.example.com active
route www.mf.example.com 192.0.2.60 198.51.100.60 30
it_up main
P=${UB_PORT[main]} N=www.mf.example.com
before=$(modstat ecs_formerr)

r=$(raw_udp "$P" "$(dns_query_hex 1001 $N 1 "$(ecs_hex 1 24 0 010001)")")
assert_eq "control: well-formed ECS 1.0.1.0/24 -> NOERROR" NOERROR "$(hex_rcode "$r")"
assert_match "control: well-formed ECS CN -> cn address 192.0.2.60 in the reply" "c000023c" "$r"
r=$(raw_udp "$P" "$(dns_query_hex 1002 $N 1 "$(ecs_hex 2 32 0 240e0000)")")
assert_eq "control: well-formed ECS 240e::/32 -> NOERROR" NOERROR "$(hex_rcode "$r")"
r=$(raw_udp "$P" "$(dns_query_hex 1003 $N 1 "$(ecs_hex 1 0 0 "")")")
assert_eq "control: well-formed ECS 0.0.0.0/0 (source 0, no address) -> NOERROR" NOERROR "$(hex_rcode "$r")"

sent=0
# formerr DESC OPTION-DATA-HEX
formerr() {
	local r
	r=$(raw_udp "$P" "$(dns_query_hex $((2000 + sent)) $N 1 "$2")")
	sent=$((sent + 1))
	assert_eq "malformed ECS: $1 -> FORMERR" FORMERR "$(hex_rcode "$r")"
}
formerr "unknown family 3" "$(ecs_hex 3 24 0 010001)"
formerr "family 0" "$(ecs_hex 0 24 0 010001)"
formerr "IPv4 source prefix 33" "$(ecs_hex 1 33 0 0100010000)"
formerr "IPv6 source prefix 129" "$(ecs_hex 2 129 0 240e000000000000000000000000000000)"
formerr "IPv4 /24 with 4 address octets (too many)" "$(ecs_hex 1 24 0 01000100)"
formerr "IPv4 /24 with 2 address octets (too few)" "$(ecs_hex 1 24 0 0100)"
formerr "IPv6 /32 with 6 address octets (too many)" "$(ecs_hex 2 32 0 240e00000000)"
formerr "IPv4 /20 with bits set beyond the prefix" "$(ecs_hex 1 20 0 01001f)"
formerr "option of 2 bytes (truncated before source prefix)" "0001"
formerr "option of 3 bytes (truncated before scope)" "000118"
formerr "empty option (0 bytes)" ""

q +ednsopt=8:00031800010001 $N A
assert_eq "malformed ECS via kdig +ednsopt (family 3) -> FORMERR" FORMERR "$Q_RCODE"
sent=$((sent + 1))

# still serving normally afterwards
expect "after the malformed queries, a CN query still gets cn" "$(res NOERROR A:192.0.2.60)" --ecs 1.0.1.0/24 $N A
if [[ $before =~ ^[0-9]+$ ]]; then
	wait_until 2500 bash -c '[[ $(sed -n "s/^ecs_formerr=//p" "$1") -ge $2 ]]' _ "${UB_DIR[main]}/stats" $((before + sent))
	assert_ge "stats ecs_formerr counts the $sent malformed queries" $((before + sent)) "$(modstat ecs_formerr)"
else
	not_ok "stats ecs_formerr present" "a number" "'$before'"
fi
it_done
