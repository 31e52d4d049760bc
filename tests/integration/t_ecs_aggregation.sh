#!/bin/bash
# Mesh aggregation of queries that carry EDNS Client Subnet (ECS).
#
# Why: Unbound normally lets identical concurrent questions share one mesh
# state (one resolution, every waiting client answered from it). The module
# must keep MANAGED queries out of that (each client's answer depends on its
# region), but only those: unmanaged queries carrying ECS must aggregate as
# they do without the module, whatever their ECS subnet. Registering the ECS
# option with no_aggregation (edns_register_option(8, 0, 1, ...)) gives EVERY
# ECS query a mesh state of its own: a burst of clients behind an ECS-adding
# forwarder asking one popular unmanaged name costs one resolution each.
#
# How: a silent "slow" upstream (a UDP socket that never answers, held by a
# perl one-liner) serves stub zones slow0/slow1/slow2.example., one port and
# zone each, so a timed-out server in one phase can't shorten the next. Mesh
# states for names under them stay open for many seconds, long enough to
# count them with "unbound-control stats_noreset":
#   total.requestlist.current.user = mesh states that have a client waiting
#   (summed over the 2 worker threads).
# Each phase: flush_requestlist (start from an empty mesh), send N identical
# queries at once, wait until Unbound has counted all N (total.num.queries),
# then read total.requestlist.current.user (largest of a few samples).
#   aggregated:     at most one state per worker thread -> <= 2; asserted
#                   <= AGG_MAX (4) to leave room for timing noise.
#   not aggregated: one state per client -> N; asserted >= N - 4.
# Phase A (control, passes today): no ECS, unmanaged name -> aggregated. It
#   shows the counter does see aggregation.
# Phase B: N distinct ECS subnets (mainland, US, HK, TW, other, IPv6),
#   unmanaged name -> aggregated. Today: N states (fails).
# Phase C: N distinct ECS subnets (mainland and US), managed name whose pools
#   are CNAMEs to targets in the slow zone -> NOT aggregated: about N states
#   (plus the targets' internal sub-queries, which current.user does not
#   count). Passes today and must keep passing.
. "$(dirname "$0")/lib.sh"
it_setup
N=20
AGG_MAX=4
UNAGG_MIN=$((N - 4))

# ---- the silent upstream: three UDP ports bound, never read
it_port; SLOW0=$REPLY
it_port; SLOW1=$REPLY
it_port; SLOW2=$REPLY
perl -MIO::Socket::INET -e '
	my @s;
	for my $p (@ARGV[1 .. $#ARGV]) {
		push @s, IO::Socket::INET->new(LocalAddr => "127.0.0.1", LocalPort => $p,
			Proto => "udp") or die "bind 127.0.0.1:$p: $!\n";
	}
	open(my $f, ">", $ARGV[0]) or die; close($f);
	sleep 600;' "$IT_WORK/silent.ready" "$SLOW0" "$SLOW1" "$SLOW2" >"$IT_WORK/silent.log" 2>&1 &
it_track silent $!
wait_until 5000 test -e "$IT_WORK/silent.ready" || it_bail "silent upstream did not start: $(cat "$IT_WORK/silent.log")"

IT_UNBOUND_SERVER=('domain-insecure: "slow0.example."' 'domain-insecure: "slow1.example."'
	'domain-insecure: "slow2.example."')
IT_UNBOUND_CLAUSES=""
for z in 0 1 2; do
	p=SLOW$z
	IT_UNBOUND_CLAUSES+="stub-zone:
    name: \"slow$z.example.\"
    stub-addr: 127.0.0.1@${!p}
"
done
filing agg.example.com active
route m.agg.example.com t-cn.slow2.example. t-off.slow2.example. 30
it_up main
PORT=${UB_PORT[main]}

# ---- local helpers
# ubstat NAME: one counter of "unbound-control stats_noreset"
ubstat() { ub_control main stats_noreset 2>/dev/null | sed -n "s/^$1=//p"; }
mesh_empty() { [[ $(ubstat total.requestlist.current.all) == 0 ]]; }
arrived() { local n; n=$(ubstat total.num.queries); [[ $n =~ ^[0-9]+$ ]] && ((n >= $1)); }
# burst NAME ECS...: send N identical queries for NAME at once, the i-th with
# the i-th ECS subnet ("none": without ECS); once Unbound has counted all of
# them, BURST_USER/BURST_ALL are the largest requestlist.current.user/.all
# seen over 5 samples 100 ms apart.
burst() {
	local name=$1 base i e u a pids=()
	shift
	ub_control main flush_requestlist >/dev/null 2>&1
	ub_control main flush_infra all >/dev/null 2>&1
	wait_until 3000 mesh_empty || diag "mesh not empty before the burst: $(ubstat total.requestlist.current.all) states"
	base=$(ubstat total.num.queries)
	barrier_init
	for ((i = 0; i < N; i++)); do
		e=$1; shift
		if [[ $e == none ]]; then
			(barrier_wait; exec kdig @127.0.0.1 -p "$PORT" +time=15 +retry=0 "$name" A) >/dev/null 2>&1 &
		else
			(barrier_wait; exec kdig @127.0.0.1 -p "$PORT" +time=15 +retry=0 +subnet="$e" "$name" A) >/dev/null 2>&1 &
		fi
		pids+=($!)
	done
	sleep 0.5
	barrier_release "$N"
	wait_until 5000 arrived $((base + N)) || diag "only $(($(ubstat total.num.queries) - base)) of $N queries reached Unbound"
	barrier_done
	BURST_USER=0 BURST_ALL=0
	for i in 1 2 3 4 5; do
		u=$(ubstat total.requestlist.current.user) a=$(ubstat total.requestlist.current.all)
		[[ $u =~ ^[0-9]+$ ]] && ((u > BURST_USER)) && BURST_USER=$u
		[[ $a =~ ^[0-9]+$ ]] && ((a > BURST_ALL)) && BURST_ALL=$a
		sleep 0.1
	done
	diag "burst of $N for $name: requestlist.current.user=$BURST_USER current.all=$BURST_ALL"
	kill "${pids[@]}" 2>/dev/null
	wait "${pids[@]}" 2>/dev/null
	return 0
}

# ECS subnets, all different: mainland, US, HK, MO, TW, no GeoIP record, IPv6
ECS_MIXED=(1.0.1.0/24 8.8.8.0/24 1.36.0.0/24 202.175.1.0/24 1.160.0.0/24 10.0.0.0/24
	114.114.114.0/24 8.8.4.0/24 1.0.2.0/24 10.0.1.0/24 10.0.2.0/24 10.0.3.0/24
	240e::/32 2001:4860::/32 2001:db8:1::/48 2001:db8:2::/48 198.51.100.0/24
	203.0.113.0/24 192.0.2.0/24 10.0.4.0/24)
ECS_CN_US=()
for ((i = 0; i < N / 2; i++)); do ECS_CN_US+=(1.0.$((i + 1)).0/24 8.8.$((i + 1)).0/24); done
NONE=(); for ((i = 0; i < N; i++)); do NONE+=(none); done
((${#ECS_MIXED[@]} == N && ${#ECS_CN_US[@]} == N)) || it_bail "ECS lists must have $N entries"

# ---- Phase A (control): no ECS, unmanaged -> one state per worker thread
burst u.slow0.example. "${NONE[@]}"
assert_le "A (control): $N identical unmanaged queries without ECS share mesh states (current.user=$BURST_USER)" "$AGG_MAX" "$BURST_USER"

# ---- Phase B: distinct ECS subnets, unmanaged -> still aggregated
burst u.slow1.example. "${ECS_MIXED[@]}"
assert_le "B: $N identical unmanaged queries with $N different ECS subnets share mesh states (current.user=$BURST_USER)" "$AGG_MAX" "$BURST_USER"

# ---- Phase C: distinct ECS subnets, managed (CNAME pools into the slow zone)
# -> one state per client
burst m.agg.example.com "${ECS_CN_US[@]}"
assert_ge "C: $N identical managed queries with different ECS subnets are not aggregated (current.user=$BURST_USER)" "$UNAGG_MIN" "$BURST_USER"
wait_until 2000 bash -c '(( $(sed -n "s/^queries_managed=//p" "$1") >= $2 ))' _ "${UB_DIR[main]}/stats" "$N"
assert_ge "C: the module counted the $N managed queries (stats queries_managed)" "$N" "$(modstat queries_managed)"

# ---- afterwards: ordinary answers still right (ECS or not)
ub_control main flush_requestlist >/dev/null 2>&1
expect "afterwards: unmanaged name with ECS resolves normally" "$(res NOERROR A:203.0.113.10)" --ecs 8.8.8.0/24 plain.example.com A
it_done
