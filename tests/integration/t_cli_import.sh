#!/bin/bash
# cnroutectl filing/route import: all or nothing (every bad row reported with
# its line number, nothing written, no audit entry), --skip-invalid writes
# the good rows and lists the bad ones, CSV columns in any order and JSON
# lines, the onboarding gate on route imports, and check's findings.
. "$(dirname "$0")/lib.sh"
it_begin
it_start_redis
it_cli_conf
F=${IT_PREFIX}filing: R=${IT_PREFIX}route:
d=$IT_WORK

# CSV, columns in any order, with bad rows on lines 3, 5, 6 and 7
cat >"$d/bad.csv" <<'CSV'
status,entity,domain,icp,registrant
active,"Good ""One"" Ltd",one.example.com,京ICP备12345678号-1,"Good ""One"" Ltd"
active,Bad Name,bad..example.com,京ICP备12345678号,Bad Name
,Two Ltd,two.example.com,粤ICP备２０２１００３１５８号,Two Ltd
revoked,Three,three.example.com,京公网安备11010802044671号,Three
unknown,Four,four.example.com,京ICP备12345678号,Four
active,Five,five.example.com
CSV
ctl filing import "$d/bad.csv"
assert_eq "import with bad rows: exit 2" 2 "$CTL_RC"
assert_eq "import with bad rows: no filing written" 0 "$(rcli --scan --pattern "${F}*" | wc -l)"
assert_eq "import with bad rows: no audit entry" 0 "$(rcli XLEN "${IT_PREFIX}audit")"
for l in 3 5 6 7; do
	assert_match "bad row on line $l reported with its line number" "bad\.csv:$l: " "$CTL_ERR"
done
assert_eq "exactly the four bad rows reported" 4 "$(grep -c 'bad\.csv:[0-9]*: ' <<<"$CTL_ERR")"
assert_match "line 5: the public-security number named as such" "bad\.csv:5: icp: .*public-security" "$CTL_ERR"
ctl filing import "$d/bad.csv" --skip-invalid
assert_eq "--skip-invalid: exit 0" 0 "$CTL_RC"
assert_eq "--skip-invalid: the two good rows written" 2 "$(rcli --scan --pattern "${F}*" | wc -l)"
assert_eq "--skip-invalid: quoted entity kept" 'Good "One" Ltd' "$(rcli HGET "${F}one.example.com" entity)"
assert_eq "--skip-invalid: default status active" active "$(rcli HGET "${F}two.example.com" status)"
assert_eq "--skip-invalid: full-width digits normalised" "粤ICP备2021003158号" "$(rcli HGET "${F}two.example.com" icp)"
assert_eq "--skip-invalid: bad rows still listed" 4 "$(grep -c 'bad\.csv:[0-9]*: ' <<<"$CTL_ERR")"
assert_eq "--skip-invalid: one audit entry per written filing" 2 "$(rcli XLEN "${IT_PREFIX}audit")"

# JSON lines, one bad line
cat >"$d/f.jsonl" <<'JSON'
{"domain": "j1.example.org", "icp": "京ICP备12345678号", "entity": "J1", "registrant": "J1"}
{"domain": "j2.example.org", "icp": "京ICP备12345678号", "entity": "J2", "status": "revoked"}

{"domain": "j3.example.org", "icp": "京ICP备12345678号", "entity": "J3", "colour": "red"}
JSON
ctl filing import "$d/f.jsonl"
assert_eq "JSON lines with a bad line: exit 2" 2 "$CTL_RC"
assert_match "JSON lines: bad line 4 reported" "f\.jsonl:4: unknown key 'colour'" "$CTL_ERR"
assert_eq "JSON lines: nothing written" 0 "$(rcli EXISTS "${F}j1.example.org")"
sed -i '$d' "$d/f.jsonl"
ctl filing import "$d/f.jsonl"
assert_eq "JSON lines: exit 0" 0 "$CTL_RC"
assert_eq "JSON lines: status from the file" revoked "$(rcli HGET "${F}j2.example.org" status)"
assert_match "JSON lines: summary" "2 added" "$CTL_OUT"
ctl filing import "$d/f.jsonl"
assert_match "importing again: nothing changes" "0 added, 0 updated, 2 unchanged" "$CTL_OUT"

# route import: gate and bad rows
cat >"$d/r.csv" <<'CSV'
ttl,offshore,name,cn
30,198.51.100.1,www.one.example.com,192.0.2.1
30,198.51.100.2,www.j2.example.org,192.0.2.2
,198.51.100.3,www.nofiling.example.net,
60,198.51.100.4,*.img.one.example.com,img.cdn-cn.example.net.
CSV
ctl route import "$d/r.csv"
assert_eq "route import with a row refused by the gate: exit 3" 3 "$CTL_RC"
assert_match "the refused row named with its line" "r\.csv:3: route www\.j2\.example\.org: refused" "$CTL_ERR"
assert_eq "route import refused: nothing written" 0 "$(rcli --scan --pattern "${R}*" | wc -l)"
ctl route import "$d/r.csv" --skip-invalid
assert_eq "route import --skip-invalid: exit 0" 0 "$CTL_RC"
assert_eq "route import --skip-invalid: three rules written" 3 "$(rcli --scan --pattern "${R}*" | wc -l)"
assert_eq "route import --skip-invalid: the gated one skipped" 0 "$(rcli EXISTS "${R}www.j2.example.org")"
echo '30,198.51.100.9,www.bad.example.com,1.2.3.999' >>"$d/r.csv"
ctl route import "$d/r.csv" --force
assert_eq "route import with a pool the module would skip: exit 2" 2 "$CTL_RC"
assert_match "the bad pool reported with its line" "r\.csv:6: www\.bad\.example\.com: cn: " "$CTL_ERR"
sed -i '$d' "$d/r.csv"
ctl route import "$d/r.csv" --force
assert_eq "route import --force: exit 0" 0 "$CTL_RC"
assert_match "route import --force: warns the forced row is served offshore" "r\.csv:3: .*offshore until" "$CTL_ERR"
assert_eq "route import --force: the gated rule written" 192.0.2.2 "$(rcli HGET "${R}www.j2.example.org" cn)"
ctl --json route list
assert_eq "route list --json: four rules" 4 "$(grep -c '"name"' <<<"$CTL_OUT")"
ctl --json filing list --status revoked
assert_eq "filing list --status revoked" "j2.example.org" "$(json_get "$(grep '"domain"' <<<"$CTL_OUT")" domain)"

# check: the forced rule, a registrant mismatch, a bad number, records the
# module skips, a non-canonical key
rcli HSET "${F}mismatch.example.com" status active icp 京ICP备12345678号 entity A registrant B >/dev/null
rcli HSET "${F}badnum.example.com" status active icp 'ICP 123' entity C registrant C >/dev/null
rcli HSET "${R}skip.example.com" cn 192.0.2.999 >/dev/null
rcli SET "${R}string.example.com" x >/dev/null
rcli HSET "${F}Upper.Example.com" status active icp 京ICP备12345678号 entity U registrant U >/dev/null
ctl --json check
assert_eq "check with findings: exit 2" 2 "$CTL_RC"
c=$CTL_OUT
assert_match "check: forced rule served offshore" '"kind":"served-offshore","key":"[^"]*route:www\.j2\.example\.org"' "$c"
assert_match "check: registrant differs from entity" '"kind":"registrant","key":"[^"]*filing:mismatch\.example\.com"' "$c"
assert_match "check: malformed filing number" '"kind":"icp","key":"[^"]*filing:badnum\.example\.com"' "$c"
assert_match "check: bad pool the module skips" '"kind":"skipped","key":"[^"]*route:skip\.example\.com"' "$c"
assert_match "check: key that is not a hash" '"kind":"skipped","key":"[^"]*route:string\.example\.com"' "$c"
assert_match "check: non-canonical key" '"kind":"not-canonical","key":"[^"]*filing:Upper\.Example\.com"' "$c"
assert_eq "check: nothing about the clean filing one.example.com" "" "$(grep 'filing:one\.example\.com"' <<<"$c")"
rcli DEL "${F}mismatch.example.com" "${F}badnum.example.com" "${R}skip.example.com" \
	"${R}string.example.com" "${F}Upper.Example.com" "${R}www.j2.example.org" "${F}j2.example.org" >/dev/null
rcli HSET "${F}j1.example.org" registrant J1 >/dev/null
ctl check
assert_eq "check on clean data: exit 0" 0 "$CTL_RC"
assert_match "check on clean data: no findings" "^0 findings" "$CTL_OUT"
it_done
