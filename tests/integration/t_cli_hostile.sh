#!/bin/bash
# cnroutectl on sloppy and hostile input: a CSV data row whose first field
# starts with '#' is a row, not a comment; JSON lines with invalid UTF-8 or
# non-string values are refused with FILE:LINE; audit --json cannot be
# injected through the stream; a truncated feed cannot revoke the world
# (--max-revoke), and big plans go in chunks; public suffixes and pools
# over the module's cap are refused; values with NUL bytes survive a merge.
. "$(dirname "$0")/lib.sh"
it_begin
it_start_redis
it_cli_conf
F=${IT_PREFIX}filing: R=${IT_PREFIX}route:
d=$IT_WORK
ICP=京ICP备12345678号

# CSV: '#' in the first field of a data row (columns in any order)
cat >"$d/hash.csv" <<CSV
# exported 2026-12-01
entity,domain,icp
#1 Hotel Ltd,hotel.example.com,$ICP
"#2, Quoted",quoted.example.com,$ICP
Plain Ltd,plain.example.com,$ICP
CSV
ctl filing import "$d/hash.csv"
assert_eq "CSV: a row starting with '#' after the header: exit 0" 0 "$CTL_RC"
assert_eq "CSV: the '#1 Hotel Ltd' row is imported" "#1 Hotel Ltd" "$(rcli HGET "${F}hotel.example.com" entity)"
assert_eq "CSV: the quoted '#2' row is imported" "#2, Quoted" "$(rcli HGET "${F}quoted.example.com" entity)"
assert_match "CSV: three rows added" "3 added" "$CTL_OUT"
ctl sync --feed "$d/hash.csv" --dry-run
assert_match "sync of the same file: nothing revoked" "0 to revoke, 3 unchanged" "$CTL_OUT"

# a spreadsheet export: BOM, CRLF, a quoted line break (a control
# character in an entity: reported), '#' in every column that can hold it
# (a '#pending' status is reported too), every row imported or reported
printf '\xef\xbb\xbf# comment before the header\r\nstatus,registrant,entity,icp,domain\r\nactive,R,"#multi\r\nline",%s,multi.example.com\r\n#pending,R,E,%s,badstatus.example.com\r\nactive,#reg,"#1 Co, ""quoted"" #",%s,crlf.example.com\r\n' "$ICP" "$ICP" "$ICP" >"$d/sheet.csv"
ctl filing import "$d/sheet.csv"
assert_eq "spreadsheet CSV with two bad rows: exit 2" 2 "$CTL_RC"
assert_match "the multi-line entity reported with its first line" "sheet\.csv:3: entity: control character" "$CTL_ERR"
assert_match "the '#pending' row reported with its line" "sheet\.csv:5: status: '#pending'" "$CTL_ERR"
ctl filing import "$d/sheet.csv" --skip-invalid
assert_eq "spreadsheet CSV --skip-invalid: exit 0" 0 "$CTL_RC"
assert_eq "'#' as the registrant's first character kept" "#reg" "$(rcli HGET "${F}crlf.example.com" registrant)"
assert_eq "quoted commas, quotes and '#' kept" '#1 Co, "quoted" #' "$(rcli HGET "${F}crlf.example.com" entity)"
rcli DEL "${F}crlf.example.com" >/dev/null

# JSON lines: invalid UTF-8, a number for a string, duplicate keys
printf '{"domain":"u1.example.com","icp":"%s","entity":"U1"}\n{"domain":"u2.example.com","icp":"%s","entity":"Bad \xff\xfe"}\n{"domain":"u3.example.com","icp":12345678,"entity":"U3"}\n{"domain":"u4.example.com","domain":"u5.example.com","icp":"%s","entity":"U4"}\n' "$ICP" "$ICP" "$ICP" >"$d/u.jsonl"
ctl filing import "$d/u.jsonl"
assert_eq "JSON lines with invalid UTF-8: exit 2" 2 "$CTL_RC"
assert_match "invalid UTF-8 reported as u.jsonl:2" "u\.jsonl:2: .*UTF-8" "$CTL_ERR"
assert_match "a number for icp reported as u.jsonl:3" "u\.jsonl:3: .*icp.*string" "$CTL_ERR"
assert_match "duplicate key reported as u.jsonl:4" "u\.jsonl:4: .*domain" "$CTL_ERR"
assert_eq "JSON lines refused: nothing written" 0 "$(rcli EXISTS "${F}u1.example.com")"

# audit --json: stream values are data, never pasted into the output
rcli XADD "${IT_PREFIX}audit" '*' time 1 actor x action filing.set key "${F}inj.example.com" \
	old '{"a":"b"},"injected":true,"z":{"c":"d"}' new '{"status":"active"}' >/dev/null
ctl --json audit --domain inj.example.com
assert_eq "audit --json with a hostile entry: exit 0" 0 "$CTL_RC"
assert_eq "audit --json: no injected field" "" "$(grep -o ',"injected":true' <<<"$CTL_OUT")"
assert_match "audit --json: the invalid value shown as a string" '"old":"\{\\"a\\":\\"b\\"\},\\"injected\\":true' "$CTL_OUT"
assert_match "audit --json: a valid JSON value stays an object" '"new":\{"status":"active"\}' "$CTL_OUT"

# public suffixes and pools over the module's cap
for ps in com.cn github.io; do
	ctl filing set "$ps" --icp "$ICP" --entity X
	assert_eq "filing on the public suffix $ps: exit 2" 2 "$CTL_RC"
	assert_match "filing on $ps: says public suffix" "public suffix" "$CTL_ERR"
done
pool=$(for i in $(seq 0 999); do printf '10.%d.%d.1,' $((i / 250)) $((i % 250)); done)
ctl route set www.plain.example.com --cn "${pool%,}" --offshore 198.51.100.1
assert_eq "a pool of 1000 addresses: exit 2" 2 "$CTL_RC"
assert_match "the pool refusal names the cap" "32" "$CTL_ERR"
assert_eq "the big pool is not written" 0 "$(rcli EXISTS "${R}www.plain.example.com")"

printf 'domain,icp,entity\nok.example.org,%s,OK\ngithub.io,%s,GH\n' "$ICP" "$ICP" >"$d/ps.csv"
ctl filing import "$d/ps.csv"
assert_eq "import with a public-suffix row: exit 2" 2 "$CTL_RC"
assert_match "the public-suffix row reported with its line" "ps\.csv:3: domain: github\.io is a public suffix" "$CTL_ERR"
printf 'name,cn,offshore\nwww.ok.example.org,%s,198.51.100.1\n' "\"${pool%,}\"" >"$d/bigpool.csv"
ctl route import "$d/bigpool.csv" --force
assert_eq "route import with a pool over the cap: exit 2" 2 "$CTL_RC"
assert_match "the big pool reported with its line and the cap" "bigpool\.csv:2: .*32" "$CTL_ERR"

# binary-safe: a NUL inside a value survives a merge (filing revoke)
printf 'a\0b' | rcli -x HSET "${F}plain.example.com" note >/dev/null
ctl filing revoke plain.example.com
assert_eq "revoke of a filing with a NUL in a field: exit 0" 0 "$CTL_RC"
assert_eq "the NUL value kept whole (3 bytes)" 3 "$(rcli HSTRLEN "${F}plain.example.com" note)"
ctl filing show plain.example.com
assert_match "filing show: the NUL shown escaped, the rest not cut" 'a\\x00b' "$CTL_OUT"

# a truncated feed: 50 active filings, a feed of 5
rcli DEL "${F}hotel.example.com" "${F}quoted.example.com" "${F}plain.example.com" >/dev/null
for i in $(seq 1 50); do echo "HSET ${F}d$i.example.net status active icp $ICP entity E$i"; done | rcli >/dev/null
{ echo "domain,icp,entity"; for i in $(seq 1 5); do echo "d$i.example.net,$ICP,E$i"; done; } >"$d/cut.csv"
audit0=$(rcli XLEN "${IT_PREFIX}audit")
ctl sync --feed "$d/cut.csv"
assert_eq "a feed revoking 45 of 50 active: refused, exit 3" 3 "$CTL_RC"
assert_match "the refusal names the count and the limit" "45 .*--max-revoke" "$CTL_ERR"
assert_eq "refused: nothing revoked" active "$(rcli HGET "${F}d50.example.net" status)"
assert_eq "refused: no audit entry" "$audit0" "$(rcli XLEN "${IT_PREFIX}audit")"
ctl sync --feed "$d/cut.csv" --max-revoke 10%
assert_eq "--max-revoke 10%: still refused" 3 "$CTL_RC"
ctl sync --feed "$d/cut.csv" --max-revoke 44
assert_eq "--max-revoke 44: still refused" 3 "$CTL_RC"
ctl sync --feed "$d/cut.csv" --max-revoke nonsense
assert_eq "--max-revoke nonsense: usage error" 1 "$CTL_RC"
ctl --json sync --feed "$d/cut.csv" --max-revoke 90% --chunk-size 10 --dry-run
assert_eq "--max-revoke 90% --dry-run: exit 0" 0 "$CTL_RC"
assert_match "dry run: nothing applied" '"applied":false,"applied_changes":0' "$CTL_OUT"
ctl sync --feed "$d/cut.csv" --max-revoke 45 --chunk-size 10
assert_eq "--max-revoke 45: exit 0" 0 "$CTL_RC"
assert_match "the plan says what was applied, in how many transactions" "applied 45 of 45 changes in 5 transactions" "$CTL_OUT"
assert_eq "45 revoked" 45 "$(for i in $(seq 6 50); do rcli HGET "${F}d$i.example.net" status; done | grep -c revoked)"
assert_eq "the feed's filings kept" active "$(rcli HGET "${F}d5.example.net" status)"
assert_eq "one audit entry per change" $((audit0 + 45)) "$(rcli XLEN "${IT_PREFIX}audit")"

# a change made while the sync runs is never overwritten: Redis pauses
# writes, the sync plans (reads) and blocks in its first chunk's EXEC; the
# last domain of the plan is then changed (that write waits behind the
# EXEC); its chunk re-reads it under its own WATCH and skips it
rcli DEL $(rcli --scan --pattern "${F}*") >/dev/null
for i in $(seq -w 1 20); do echo "HSET ${F}c$i.example.net status active icp $ICP entity E$i"; done | rcli >/dev/null
{ echo "domain,icp,entity"; echo "c01.example.net,$ICP,E01"; } >"$d/one.csv"
in_multi() { rcli CLIENT LIST | grep -q 'flags=x'; }
rcli CLIENT PAUSE 1500 WRITE >/dev/null
"$CNROUTECTL" -c "$IT_WORK/cli.conf" sync --feed "$d/one.csv" --max-revoke 100% \
	--chunk-size 1 >"$d/conc.out" 2>&1 &
cpid=$!
wait_until 1200 in_multi || diag "the sync was not seen in a transaction"
rcli HSET "${F}c20.example.net" status pending >/dev/null
wait $cpid
crc=$? out=$(cat "$d/conc.out")
assert_eq "concurrent change: the sync exits 0" 0 "$crc"
assert_match "concurrent change: the plan says one change was skipped" "applied 18 of 19 changes in 18 transactions; skipped" "$out"
assert_match "concurrent change: c20 listed as skipped" "revoke +c20\.example\.net +revoked +skipped" "$out"
assert_eq "concurrent change: the filing changed during the sync is kept" pending "$(rcli HGET "${F}c20.example.net" status)"
assert_eq "concurrent change: the others revoked" 18 "$(for i in $(seq -w 2 19); do rcli HGET "${F}c$i.example.net" status; done | grep -c revoked)"
it_done
