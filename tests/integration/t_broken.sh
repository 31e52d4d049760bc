#!/bin/bash
# Records that can't be parsed are logged and counted in records_skipped;
# the good records load. A skipped rule leaves its name unmanaged (resolved
# normally); a filing that can't be read is an invalid filing: kept in the
# table (it ends the walk up the name) and never active (offshore: fail
# closed). Also a broken record added live.
. "$(dirname "$0")/lib.sh"
it_setup
filing br.example.com active
filing bogus.example.com bogus                                   # unknown status
route good1.br.example.com 192.0.2.100 198.51.100.101 30
route good2.br.example.com good2.cdn-cn.example.net. good2.cdn-global.example.net. 30
route www.bogus.example.com 192.0.2.102 198.51.100.102 30
# broken rules (names exist in NSD where noted)
route bad-addr.broken.example.com 192.0.2.300 198.51.100.103 30  # NSD: 203.0.113.70
route bad-mix.broken.example.com "bmix.cdn-cn.example.net.,192.0.2.104" 198.51.100.104 30  # NSD: 203.0.113.71
route bad-rel.broken.example.com 192.0.2.105 rel.cdn-global.example.net 30  # relative name
route bad-2cname.broken.example.com "a.cdn-cn.example.net.,b.cdn-cn.example.net." 198.51.100.106 30
route bad-junk.broken.example.com "192.0.2.107,not an address" 198.51.100.107 30
BROKEN=("${IT_PREFIX}filing:bogus.example.com" bad-addr.broken.example.com bad-mix.broken.example.com
	bad-rel.broken.example.com bad-2cname.broken.example.com bad-junk.broken.example.com)
GOOD_FILINGS=1 GOOD_ROUTES=3
it_start_unbound main
it_wait_loaded main $GOOD_ROUTES $GOOD_FILINGS
sleep 1.1   # one more stats rewrite
CN=(--ecs 1.0.1.0/24) US=(--ecs 8.8.8.0/24)

expect "good address rule loads (CN)" "$(res NOERROR A:192.0.2.100)" "${CN[@]}" good1.br.example.com A
expect "good address rule loads (US)" "$(res NOERROR A:198.51.100.101)" "${US[@]}" good1.br.example.com A
expect "good CNAME rule loads" "$(res NOERROR CNAME:good2.cdn-cn.example.net. A:192.0.2.100)" "${CN[@]}" good2.br.example.com A
expect "filing with unknown status is invalid -> CN offshore" "$(res NOERROR A:198.51.100.102)" "${CN[@]}" www.bogus.example.com A
expect "rule with a bad address skipped -> resolved normally" "$(res NOERROR A:203.0.113.70)" "${CN[@]}" bad-addr.broken.example.com A
expect "rule mixing CNAME and address skipped -> resolved normally" "$(res NOERROR A:203.0.113.71)" "${US[@]}" bad-mix.broken.example.com A
expect "rule with a relative CNAME target skipped -> resolved normally (NXDOMAIN)" "NXDOMAIN" "${US[@]}" bad-rel.broken.example.com A
expect "rule with two CNAME targets skipped -> resolved normally (NXDOMAIN)" "NXDOMAIN" "${CN[@]}" bad-2cname.broken.example.com A
expect "rule with junk in the address list skipped -> resolved normally (NXDOMAIN)" "NXDOMAIN" "${CN[@]}" bad-junk.broken.example.com A

assert_ge "stats records_skipped counts the ${#BROKEN[@]} broken records" ${#BROKEN[@]} "$(modstat records_skipped)"
assert_eq "stats routes = the good rules only" $GOOD_ROUTES "$(modstat routes)"
assert_eq "stats filings = the good filings and the invalid one" $((GOOD_FILINGS + 1)) "$(modstat filings)"
log=${UB_DIR[main]}/unbound.log
for b in "${BROKEN[@]}"; do
	n=$(grep -ciF -- "$b" "$log")
	assert_ge "a log line names the skipped record $b" 1 "$n"
done

# a broken record added live: counted, and the rest keeps working
before=$(modstat records_skipped)
route bad-live.broken.example.com 192.0.2.999 198.51.100.108 30
if [[ $before =~ ^[0-9]+$ ]]; then
	wait_until 2500 bash -c '(( $(sed -n "s/^records_skipped=//p" "$1") > $2 ))' _ "${UB_DIR[main]}/stats" "$before"
fi
assert_ge "broken record added live: records_skipped grows" $((before + 1)) "$(modstat records_skipped)"
assert_ge "broken record added live: logged" 1 "$(grep -ciF bad-live.broken.example.com "$log")"
expect "broken record added live: good rule still answers" "$(res NOERROR A:192.0.2.100)" "${CN[@]}" good1.br.example.com A
it_done
