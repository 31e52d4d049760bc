#!/bin/bash
# cnroutectl sync --feed: the automated failover. A feed that drops a domain
# (or lists it as cancelled) revokes its filing, and the running resolver
# moves mainland clients of that domain's rules offshore within 1 s; the
# feed's new and changed filings are written; --dry-run writes nothing; an
# empty feed is refused; a feed with a bad row changes nothing.
. "$(dirname "$0")/lib.sh"
it_setup
it_cli_conf
F=${IT_PREFIX}filing:
export CNROUTE_ACTOR=cron-sync
filing keep.example.com active
filing drop.example.com active
filing canc.example.com active
filing old.example.com pending
route www.keep.example.com 192.0.2.61 198.51.100.61 30
route www.drop.example.com 192.0.2.62 198.51.100.62 30
route cname.drop.example.com sy.cdn-cn.example.net. sy.cdn-global.example.net. 30
route www.canc.example.com 192.0.2.63 198.51.100.63 30
route www.new.example.com 192.0.2.64 198.51.100.64 30
it_up main
CN=(--ecs 1.0.1.0/24)

cat >"$IT_WORK/feed.csv" <<'CSV'
domain,icp,entity,registrant,status
keep.example.com,京ICP备12345678号-2,Test Entity Ltd,Test Entity Ltd,active
canc.example.com,京ICP备12345678号-1,Test Entity Ltd,Test Entity Ltd,cancelled
new.example.com,沪ICP备2024000001号,New Ltd,New Ltd,
CSV
expect "before: drop.example.com's rule gives CN the cn pool" "$(res NOERROR A:192.0.2.62)" "${CN[@]}" www.drop.example.com A
audit0=$(rcli XLEN "${IT_PREFIX}audit")

ctl --json sync --feed "$IT_WORK/feed.csv" --dry-run
assert_eq "dry run: exit 0" 0 "$CTL_RC"
plan=$CTL_OUT
assert_match "dry run: new.example.com to add" '"action":"add","domain":"new\.example\.com"' "$plan"
assert_match "dry run: drop.example.com to revoke (missing)" '"action":"revoke","domain":"drop\.example\.com","reason":"missing from the feed"' "$plan"
assert_match "dry run: canc.example.com to revoke (cancelled)" '"action":"revoke","domain":"canc\.example\.com","reason":"listed as cancelled' "$plan"
assert_match "dry run: keep.example.com updated (number changed)" '"action":"update","domain":"keep\.example\.com"' "$plan"
assert_eq "dry run: the pending filing missing from the feed is left alone" "" "$(grep -o 'old\.example\.com' <<<"$plan")"
assert_eq "dry run: applied false" false "$(json_get "$(head -1 <<<"$plan")" applied)"
assert_eq "dry run: nothing written" active "$(rcli HGET "${F}drop.example.com" status)"
assert_eq "dry run: no audit entry" "$audit0" "$(rcli XLEN "${IT_PREFIX}audit")"
expect "dry run: resolver still gives cn" "$(res NOERROR A:192.0.2.62)" "${CN[@]}" www.drop.example.com A

# a feed with a bad row changes nothing
cp "$IT_WORK/feed.csv" "$IT_WORK/bad.csv"
echo 'bad..example.com,京ICP备12345678号,X,X,active' >>"$IT_WORK/bad.csv"
ctl sync --feed "$IT_WORK/bad.csv"
assert_eq "feed with a bad row: exit 2" 2 "$CTL_RC"
assert_match "feed with a bad row: line reported" "bad\.csv:5: " "$CTL_ERR"
assert_eq "feed with a bad row: nothing revoked" active "$(rcli HGET "${F}drop.example.com" status)"
printf 'domain,icp,entity\n' >"$IT_WORK/empty.csv"
ctl sync --feed "$IT_WORK/empty.csv"
assert_eq "empty feed: refused, exit 3" 3 "$CTL_RC"
assert_eq "empty feed: nothing revoked" active "$(rcli HGET "${F}keep.example.com" status)"

# the real run: revocation reaches the resolver within 1 s
ctl sync --feed "$IT_WORK/feed.csv"
assert_eq "sync: exit 0" 0 "$CTL_RC"
eventually "sync revoked drop.example.com -> CN client offshore within 1 s" 1000 \
	"$(res NOERROR A:198.51.100.62)" "${CN[@]}" www.drop.example.com A
expect "sync revoked drop.example.com -> CNAME pool offshore too" \
	"$(res NOERROR CNAME:sy.cdn-global.example.net. A:198.51.100.100)" "${CN[@]}" cname.drop.example.com A
eventually "sync: cancelled in the feed -> CN client offshore" 1000 "$(res NOERROR A:198.51.100.63)" "${CN[@]}" www.canc.example.com A
eventually "sync: new filing in the feed -> CN client gets cn" 1000 "$(res NOERROR A:192.0.2.64)" "${CN[@]}" www.new.example.com A
expect "sync: kept filing still cn" "$(res NOERROR A:192.0.2.61)" "${CN[@]}" www.keep.example.com A
assert_eq "sync: drop.example.com revoked in Redis" revoked "$(rcli HGET "${F}drop.example.com" status)"
assert_eq "sync: revocation keeps the filing's other fields" "Test Entity Ltd" "$(rcli HGET "${F}drop.example.com" entity)"
assert_eq "sync: canc.example.com revoked, not cancelled" revoked "$(rcli HGET "${F}canc.example.com" status)"
assert_eq "sync: pending filing untouched" pending "$(rcli HGET "${F}old.example.com" status)"
ctl --json audit --domain drop.example.com
assert_match "sync: audit entry for the revocation, by the cron actor" '"actor":"cron-sync","action":"sync.revoke"' "$CTL_OUT"
ctl sync --feed "$IT_WORK/feed.csv"
assert_match "sync again: nothing to do" "0 to add, 0 to update, 0 to revoke, 3 unchanged" "$CTL_OUT"
it_done
