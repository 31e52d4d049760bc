#!/bin/bash
# TTL = the rule's ttl capped by answer-ttl-max, on every record of a steered
# answer (CNAME and the target records of a CNAME pool, whose NSD TTL is 3600).
. "$(dirname "$0")/lib.sh"
it_setup
filing example.com active
route ttl30.example.com 192.0.2.40 198.51.100.40 30
route ttl3600.example.com "192.0.2.41,2001:db8:c::41" "198.51.100.41,2001:db8::41" 3600
route nottl.example.com 192.0.2.42 198.51.100.42
route cn3600.example.com t3600.cdn-cn.example.net. t3600.cdn-global.example.net. 3600
route cn10.example.com t10.cdn-cn.example.net. t10.cdn-global.example.net. 10
it_up main answer-ttl-max=60
it_up small answer-ttl-max=5
CN=(--ecs 1.0.1.0/24) US=(--ecs 8.8.8.0/24)

q "${CN[@]}" ttl30.example.com A
assert_eq "ttl 30 under cap 60, CN: TTL is 30" "A:30" "$Q_TTLS"
q "${US[@]}" ttl30.example.com A
assert_eq "ttl 30 under cap 60, US: TTL is 30" "A:30" "$Q_TTLS"
q "${CN[@]}" ttl3600.example.com A
assert_eq "ttl 3600 capped to 60, CN A" "A:60" "$Q_TTLS"
q "${US[@]}" ttl3600.example.com AAAA
assert_eq "ttl 3600 capped to 60, US AAAA" "AAAA:60" "$Q_TTLS"
q "${CN[@]}" nottl.example.com A
assert_res "no ttl field: answered" "$(res NOERROR A:192.0.2.42)"
assert_le "no ttl field: TTL <= cap 60" 60 "$(max_ttl)"
q "${CN[@]}" cn3600.example.com A
assert_res "CNAME pool ttl 3600, CN: answer" "$(res NOERROR CNAME:t3600.cdn-cn.example.net. A:192.0.2.100)"
assert_eq "CNAME pool ttl 3600, CN: CNAME TTL capped to 60" 60 "$(ttl_of CNAME)"
assert_le "CNAME pool ttl 3600, CN: target A TTL (3600 at NSD) capped" 60 "$(ttl_of A)"
q "${US[@]}" cn3600.example.com A
assert_le "CNAME pool ttl 3600, US: every TTL <= 60 ($Q_TTLS)" 60 "$(max_ttl)"
q "${CN[@]}" cn10.example.com AAAA
assert_eq "CNAME pool ttl 10: CNAME TTL 10" 10 "$(ttl_of CNAME)"
assert_le "CNAME pool ttl 10: target AAAA TTL <= 60" 60 "$(ttl_of AAAA)"
q "${CN[@]}" cn10.example.com AAAA
assert_le "CNAME pool, target now from cache: TTL still <= 60" 60 "$(max_ttl)"

# instance "small": answer-ttl-max 5
q --inst small "${CN[@]}" ttl30.example.com A
assert_eq "answer-ttl-max 5: ttl 30 -> 5 (CN)" "A:5" "$Q_TTLS"
q --inst small "${US[@]}" ttl3600.example.com A
assert_eq "answer-ttl-max 5: ttl 3600 -> 5 (US)" "A:5" "$Q_TTLS"
q --inst small "${CN[@]}" cn3600.example.com A
assert_res "answer-ttl-max 5: CNAME pool answer" "$(res NOERROR CNAME:t3600.cdn-cn.example.net. A:192.0.2.100)"
assert_le "answer-ttl-max 5: every record of the CNAME answer <= 5 ($Q_TTLS)" 5 "$(max_ttl)"
q --inst small --proxy 8.8.8.8 cn10.example.com A
assert_le "answer-ttl-max 5: offshore CNAME answer (PROXYv2 US) <= 5 ($Q_TTLS)" 5 "$(max_ttl)"
it_done
