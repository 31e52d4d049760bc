#!/bin/bash
# A bad cnroute.conf stops Unbound from starting (non-zero exit) with a log
# line "FILE:LINE: KEY: ..." naming the file, the line and the key: unknown
# key, bad values, missing geoip-db, GeoIP database that can't be opened,
# missing cnroute.conf. Control: the same setup with a good file starts.
. "$(dirname "$0")/lib.sh"
it_setup
n=0
# badconf DESC LOG-ERE [CONTENT-LINES...]: CONTENT lines form cnroute.conf
badconf() {
	local desc=$1 pat=$2; shift 2
	n=$((n + 1))
	local inst=bad$n
	it_unbound_conf "$inst"
	printf '%s\n' "$@" >"${UB_DIR[$inst]}/cnroute.conf"
	it_launch_unbound "$inst"
	check_refused "$inst" "$desc" "$pat"
}
check_refused() {
	local inst=$1 desc=$2 pat=$3 logs
	it_expect_refused "$inst" "$desc"; logs=$REPLY
	if grep -qE -- "$pat" <<<"$logs"; then ok "$desc: log line /$pat/"
	else not_ok "$desc: log line" "a line matching /$pat/" "'$(grep -iE 'cnroute|error|fatal' <<<"$logs" | tail -3 | tr '\n' '|')'"; fi
}
R="redis-server: 127.0.0.1:$RPORT"
G="geoip-db: $GEOIP_COUNTRY_DB"

badconf "unknown key" 'cnroute\.conf:4: colour:' \
	"# test config" "$R" "$G" "colour: blue" "answer-ttl-max: 60"
badconf "bad number for answer-ttl-max" 'cnroute\.conf:5: answer-ttl-max:' \
	"$R" "" "# comment line" "$G" "answer-ttl-max: soon"
badconf "negative answer-ttl-max" 'cnroute\.conf:3: answer-ttl-max:' \
	"$R" "$G" "answer-ttl-max: -5"
badconf "bad ecs value" 'cnroute\.conf:3: ecs:' \
	"$R" "$G" "ecs: sometimes"
badconf "bad redis-server port" 'cnroute\.conf:1: redis-server:' \
	"redis-server: 127.0.0.1:99999" "$G"
badconf "bad resync-interval" 'cnroute\.conf:3: resync-interval:' \
	"$R" "$G" "resync-interval: often"
badconf "missing geoip-db" 'cnroute\.conf.*geoip-db|geoip-db.*cnroute\.conf' \
	"$R" "geoip-field: country_code"
badconf "geoip-db that does not exist" 'cnroute\.conf:2: geoip-db:' \
	"$R" "geoip-db: $IT_WORK/no-such-file.mmdb"
badconf "geoip-db that is not a MaxMind database" 'cnroute\.conf:3: geoip-db:' \
	"$R" "# next line points at a zone file" "geoip-db: $IT_DATA/zones/example.com.zone"
badconf "line without a colon" 'cnroute\.conf:2: ' \
	"$R" "this line is nonsense" "$G"

# missing cnroute.conf (CNROUTE_CONF names a file that does not exist)
it_unbound_conf nofile
CNROUTE_CONF_OVERRIDE=$IT_WORK/absent/cnroute.conf it_launch_unbound nofile
check_refused nofile "missing cnroute.conf" "absent/cnroute\.conf"

# control: a good file written the same way starts and answers
it_unbound_conf good
printf '%s\n' "# good config" "" "  $R" "$G" "geoip-field: country_code" "stats-file: ${UB_DIR[good]}/stats" \
	"key-prefix: $IT_PREFIX" >"${UB_DIR[good]}/cnroute.conf"
it_launch_unbound good
if wait_until 10000 unbound_up good; then ok "control: a good cnroute.conf (comments, blank line, indentation) starts"
else not_ok "control: a good cnroute.conf starts" "answering" "$(unbound_exit_status good)"; fi
it_done
