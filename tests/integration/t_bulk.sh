#!/bin/bash
# A table larger than one SCAN batch (1000 keys): 4000 filings and 4000
# routes, with broken records, keys of other types and keys outside the
# prefix mixed in. The full reconciliation reads them in several batches,
# two in flight at a time; every valid record must be in effect, every
# broken one skipped and counted. Then keys deleted behind the module's
# back (notifications off) must be swept by the next reconciliation.
. "$(dirname "$0")/lib.sh"
it_setup
N=4000
# i % 500 == 7: revoked; i % 1000 == 3: a broken route; other keys:
# strings under the prefix and hashes outside it.
awk -v n=$N -v p="$IT_PREFIX" 'BEGIN {
	for (i = 0; i < n; i++) {
		printf "HSET %sfiling:b%d.bulk.example status %s icp x\n", p, i, (i % 500 == 7) ? "revoked" : "active"
		if (i % 1000 == 3)
			printf "HSET %sroute:www.b%d.bulk.example cn not-an-address offshore 198.51.100.1\n", p, i
		else
			printf "HSET %sroute:www.b%d.bulk.example cn 10.%d.%d.1 offshore 172.%d.%d.1 ttl 30\n", p, i, int(i / 256), i % 256, int(i / 256), i % 256
	}
	for (i = 0; i < 3; i++) printf "SET %sroute:str%d.bulk.example not-a-hash\n", p, i
	for (i = 0; i < 500; i++) printf "HSET other:route:www.b%d.bulk.example cn 10.9.9.9\n", i
}' | rcli --pipe >/dev/null || it_bail "loading Redis"
BROKEN=$((N / 1000 + 3))   # the broken routes and the strings
it_start_unbound main resync-interval=2
wait_until 10000 loaded_p main $((N - N / 1000)) $N ||
	it_bail "table not loaded: $(cat "${UB_DIR[main]}/stats")"
sleep 0.3
assert_eq "every filing loaded" $N "$(modstat filings)"
assert_eq "every valid route loaded (broken ones skipped)" $((N - N / 1000)) "$(modstat routes)"
assert_eq "broken routes and non-hash keys counted as skipped" $BROKEN "$(modstat records_skipped)"

CN=(--ecs 1.0.1.0/24) US=(--ecs 8.8.8.0/24)
for i in 0 999 1000 2047 3998; do
	expect "b$i CN -> cn" "$(res NOERROR A:10.$((i / 256)).$((i % 256)).1)" \
		"${CN[@]}" www.b$i.bulk.example A
	expect "b$i US -> offshore" "$(res NOERROR A:172.$((i / 256)).$((i % 256)).1)" "${US[@]}" www.b$i.bulk.example A
done
expect "b1507 (revoked filing) CN -> offshore" "$(res NOERROR A:172.5.227.1)" "${CN[@]}" www.b1507.bulk.example A
expect "b3007 (revoked filing) CN -> offshore" "$(res NOERROR A:172.11.191.1)" "${CN[@]}" www.b3007.bulk.example A

# Delete 1500 routes and 700 filings with notifications off: only the
# periodic reconciliation (every 2 s here) can notice.
rcli CONFIG SET notify-keyspace-events "" >/dev/null
awk -v p="$IT_PREFIX" 'BEGIN {
	for (i = 2500; i < 4000; i++) printf "DEL %sroute:www.b%d.bulk.example\n", p, i
	for (i = 3300; i < 4000; i++) printf "DEL %sfiling:b%d.bulk.example\n", p, i
}' | rcli --pipe >/dev/null || it_bail "deleting keys"
syncs=$(modstat full_syncs)
wait_until 6000 bash -c '(( $(sed -n "s/^full_syncs=//p" "$1") >= $2 + 2 ))' _ "${UB_DIR[main]}/stats" "$syncs" ||
	it_bail "no reconciliation after the deletes: $(cat "${UB_DIR[main]}/stats")"
# 2500..3999 gone; of 0..2499, the broken 3, 1003, 2003 were never in
assert_eq "deleted routes swept" $((2500 - 3)) "$(modstat routes)"
assert_eq "deleted filings swept" 3300 "$(modstat filings)"
expect "b2499 (kept) CN -> cn" "$(res NOERROR A:10.9.195.1)" "${CN[@]}" www.b2499.bulk.example A
it_done
