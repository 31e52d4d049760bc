# shellcheck shell=bash
# Helpers of the snapshot tests (t_snapshot*.sh): the data set they share,
# recording every answer of an instance, reading a snapshot's header,
# restarting an instance with its configuration as it is, and the part of
# its log written since a mark. Sourced after lib.sh (run.sh runs only
# t_*.sh, so this file is not a test of its own).

SNAP_REGIONS=(mainland US HK MO TW unknown)
SNAP_STATES=(active revoked cancelled pending none)
# the names snap_record asks (every one managed by snap_data)
SNAP_NAMES=()
for _s in "${SNAP_STATES[@]}"; do SNAP_NAMES+=("addr.f-$_s.example.com" "cname.f-$_s.example.com"); done
SNAP_NAMES+=(x.w.f-active.example.com www.sub.f-active.example.com www.inv.f-active.example.com
	www.sp.example.org v6.f-active.example.com emptyoff.example.com down.example.com
	www.xn--fsqu00a.example.org big.f-active.example.com)
unset _s

# snap_big cn|off 4|6: the 32 addresses of a family of big.f-active's pools
snap_big() {
	local i out=()
	for ((i = 1; i <= 32; i++)); do
		case $1$2 in
		cn4) out+=("192.0.2.$((200 + i))") ;;
		cn6) out+=("2001:db8:c::$((200 + i))") ;;
		off4) out+=("198.51.100.$((200 + i))") ;;
		off6) out+=("2001:db8::$((200 + i))") ;;
		esac
	done
	echo "${out[*]}"
}

# snap_data: filings of every state, address and CNAME pools (the region x
# filing-state matrix), a wildcard, a revoked sub-filing under an active
# one, an invalid filing (a string key) under an active one, a filing under
# two spellings (one revoked), an IPv6-only CN pool, an empty offshore
# pool, a Unicode filing and route, pools of 32 addresses per family, and a
# managed name NSD also has (down.example.com: NSD says 203.0.113.51).
# Uses filing/route/rcli, so IT_PREFIX and rcli decide where it goes.
snap_data() {
	local s
	for s in "${SNAP_STATES[@]}"; do
		[[ $s == none ]] || filing "f-$s.example.com" "$s"
		route "addr.f-$s.example.com" "192.0.2.1,2001:db8:c::1" "198.51.100.1,2001:db8::1" 30
		route "cname.f-$s.example.com" "m-$s.cdn-cn.example.net." "m-$s.cdn-global.example.net." 30
	done
	route '*.w.f-active.example.com' 192.0.2.2 198.51.100.2
	filing sub.f-active.example.com revoked
	route www.sub.f-active.example.com 192.0.2.3 198.51.100.3 20
	rcli SET "${IT_PREFIX}filing:inv.f-active.example.com" active >/dev/null
	route www.inv.f-active.example.com 192.0.2.4 198.51.100.4 20
	filing sp.example.org active
	filing SP.example.org revoked
	route www.sp.example.org 192.0.2.5 198.51.100.5 20
	route v6.f-active.example.com 2001:db8:c::6 198.51.100.6 20
	filing emptyoff.example.com active
	route emptyoff.example.com 192.0.2.20 "" 20
	filing down.example.com active
	route down.example.com 192.0.2.51 198.51.100.51 30
	filing '例子.example.org' active
	route 'www.例子.example.org' 192.0.2.7 198.51.100.7 40
	local cn off
	cn=$(snap_big cn 4)\ $(snap_big cn 6) off=$(snap_big off 4)\ $(snap_big off 6)
	route big.f-active.example.com "${cn// /,}" "${off// /,}" 50
}

# snap_expect REGION NAME TYPE: the answer (as Q_RES) snap_data gives
snap_expect() {
	local r=$1 n=$2 t=$3 s active=0 cn4="" cn6="" off4="" off6="" v
	case $n in
	addr.f-*)
		s=${n#addr.f-} s=${s%%.*}
		cn4=A:192.0.2.1 cn6=AAAA:2001:db8:c::1 off4=A:198.51.100.1 off6=AAAA:2001:db8::1 ;;
	cname.f-*)
		s=${n#cname.f-} s=${s%%.*}
		cn4="CNAME:m-$s.cdn-cn.example.net. A:192.0.2.100"
		cn6="CNAME:m-$s.cdn-cn.example.net. AAAA:2001:db8:c::100"
		off4="CNAME:m-$s.cdn-global.example.net. A:198.51.100.100"
		off6="CNAME:m-$s.cdn-global.example.net. AAAA:2001:db8::100" ;;
	x.w.f-active.example.com) s=active cn4=A:192.0.2.2 off4=A:198.51.100.2 ;;
	www.sub.f-active.example.com) s=revoked off4=A:198.51.100.3 ;;
	www.inv.f-active.example.com) s=invalid off4=A:198.51.100.4 ;;
	www.sp.example.org) s=revoked off4=A:198.51.100.5 ;;
	v6.f-active.example.com) s=active cn6=AAAA:2001:db8:c::6 off4=A:198.51.100.6 ;;
	emptyoff.example.com) s=active cn4=A:192.0.2.20 off4=A:203.0.113.20 off6=AAAA:2001:db8:f::20 ;;
	down.example.com) s=active cn4=A:192.0.2.51 off4=A:198.51.100.51 ;;
	www.xn--fsqu00a.example.org) s=active cn4=A:192.0.2.7 off4=A:198.51.100.7 ;;
	big.f-active.example.com)
		s=active
		cn4=$(printf 'A:%s ' $(snap_big cn 4)) cn6=$(printf 'AAAA:%s ' $(snap_big cn 6))
		off4=$(printf 'A:%s ' $(snap_big off 4)) off6=$(printf 'AAAA:%s ' $(snap_big off 6)) ;;
	*) echo "snap_expect: unknown name $n"; return ;;
	esac
	[[ $s == active ]] && active=1
	if [[ $r == mainland && $active == 1 ]]; then v=cn; else v=off; fi
	if [[ $t == A ]]; then v=${v}4; else v=${v}6; fi
	# shellcheck disable=SC2086
	res NOERROR ${!v}
}

# snap_record FILE [INSTANCE]: every region x every name of SNAP_NAMES x A
# and AAAA, one line each: the answer, the ECS scope, and (for address
# pools, whose TTL is the rule's) the TTLs.
snap_record() {
	local file=$1 inst=${2:-$IT_INST} r n t ttl
	: >"$file"
	for r in "${SNAP_REGIONS[@]}"; do
		for n in "${SNAP_NAMES[@]}"; do
			for t in A AAAA; do
				q --inst "$inst" --ecs "${REGION_ECS[$r]}" "$n" "$t"
				ttl=""
				[[ $n == cname.* || $n == emptyoff.* ]] || ttl=" ttl=[$Q_TTLS]"
				printf '%s %s %s -> %s | scope=%s%s\n' "$r" "$n" "$t" "$Q_RES" "$Q_SCOPE" "$ttl" >>"$file"
			done
		done
	done
}

# snap_check_expected DESC FILE: every answer recorded in FILE is the one
# snap_expect gives (one assertion; the differences are printed)
snap_check_expected() {
	local desc=$1 file=$2 r n t arrow rest got want bad=0 total=0 shown=0
	while read -r r n t arrow rest; do
		got=${rest%% | scope=*}
		want=$(snap_expect "$r" "$n" "$t")
		total=$((total + 1))
		if [[ $got != "$want" ]]; then
			bad=$((bad + 1))
			((shown++ < 15)) && diag "  $r $n $t: expected '$want', got '$got'"
		fi
	done <"$file"
	if ((bad == 0 && total > 0)); then ok "$desc ($total answers)"; else not_ok "$desc" "all $total answers as the data says" "$bad differ"; fi
}

# snap_compare DESC FILE-BEFORE FILE-AFTER: the two recordings (same
# questions in the same order) are the same; the first differences are
# printed as before/after pairs
snap_compare() {
	local n bad
	n=$(wc -l <"$2")
	bad=$(awk 'NR == FNR { a[FNR] = $0; n = FNR; next } a[FNR] != $0 { d++ } END { if (FNR != n) d++; print d + 0 }' "$2" "$3")
	if ((bad == 0 && n > 0)); then
		ok "$1 ($n answers identical)"
	else
		not_ok "$1" "the $n answers recorded before" "$bad differ"
		awk 'NR == FNR { a[FNR] = $0; next } a[FNR] != $0 { print "  before: " a[FNR]; print "  after:  " $0 }' "$2" "$3" |
			head -20 | diag "$(cat)"
	fi
}

# ---- the snapshot file's header (see include/cnroute/snapshot.h)
snap_u32() { od -An --endian=little -t u4 -j "$2" -N 4 "$1" 2>/dev/null | tr -d ' '; }
snap_u64() { od -An --endian=little -t u8 -j "$2" -N 8 "$1" 2>/dev/null | tr -d ' '; }
snap_time() { snap_u64 "$1" 16; }
snap_filings() { snap_u64 "$1" 32; }
snap_routes() { snap_u64 "$1" 40; }
snap_hsize() { snap_u32 "$1" 12; }

# snap_valid FILE [MIN_TIME]: a whole snapshot of format version 1 (sizes
# agree with the file's) whose data was read at MIN_TIME or later
snap_valid() {
	local f=$1 min=${2:-0} size h b tm
	[[ -s $f && $(head -c 8 "$f" 2>/dev/null) == CNRTSNAP && $(snap_u32 "$f" 8) == 1 ]] || return 1
	size=$(stat -c %s "$f") h=$(snap_hsize "$f") b=$(snap_u64 "$f" 48) tm=$(snap_time "$f")
	[[ $h =~ ^[0-9]+$ && $b =~ ^[0-9]+$ && $tm =~ ^[0-9]+$ ]] || return 1
	((h + b == size && tm >= min))
}

# snap_flip FILE OFFSET: invert the bits of one byte
snap_flip() {
	local b
	b=$(od -An -t u1 -j "$2" -N 1 "$1" | tr -d ' ')
	# shellcheck disable=SC2059
	printf "$(printf '\\x%02x' $((b ^ 0xff)))" | dd of="$1" bs=1 seek="$2" conv=notrunc status=none
}

# snap_set_u32 FILE OFFSET VALUE: write a little-endian u32
snap_set_u32() {
	# shellcheck disable=SC2059
	printf "$(printf '\\x%02x\\x%02x\\x%02x\\x%02x' $(($3 & 255)) $(($3 >> 8 & 255)) $(($3 >> 16 & 255)) $(($3 >> 24 & 255)))" |
		dd of="$1" bs=1 seek="$2" conv=notrunc status=none
}

# ---- instances
# snap_up NAME [cnroute.conf key=value ...]: it_up for snap_data (whose two
# spellings of sp.example.org are one filing of the table)
snap_up() {
	it_start_unbound "$@"
	it_wait_loaded "$1" "$(n_routes)" "$(($(n_filings) - 1))"
}

# ub_relaunch NAME: start instance NAME again with its unbound.conf and
# cnroute.conf as they are (same ports, same files); status 0 when it
# answers within 10 s.
ub_relaunch() {
	it_launch_unbound "$1"
	wait_until 10000 unbound_up "$1"
}

# ub_restart NAME: stop instance NAME and start it again (ub_relaunch);
# its stats file is removed in between, so that what modstat reads next
# is the new process's.
ub_restart() {
	it_stop_unbound "$1"
	rm -f "${UB_DIR[$1]}/stats"
	ub_relaunch "$1"
}

# wait_stats NAME: until the instance's stats file exists (max 3 s)
wait_stats() { wait_until 3000 test -s "${UB_DIR[$1]}/stats"; }

# wait_stat NAME KEY VALUE [MS]: until the stats file says KEY=VALUE
wait_stat() { wait_until "${4:-5000}" stat_is "$1" "$2" "$3"; }
stat_is() { [[ $(modstat "$2" "$1") == "$3" ]]; }

# log_mark NAME: the number of lines of the instance's unbound.log now
log_mark() { if [[ -f ${UB_DIR[$1]}/unbound.log ]]; then wc -l <"${UB_DIR[$1]}/unbound.log"; else echo 0; fi; }
# log_since NAME MARK: what the log got since log_mark said MARK
log_since() { tail -n +"$(($2 + 1))" "${UB_DIR[$1]}/unbound.log" 2>/dev/null; }
# log_count NAME MARK FIXED-STRING: lines since MARK that contain the string
log_count() { log_since "$1" "$2" | grep -cF -- "$3"; }
