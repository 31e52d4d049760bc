#!/bin/bash
# cnroute's place in module-config next to dns64, respip and subnetcache:
# one Unbound per documented module stack, each checked for both jobs:
#  - steering still works: a mainland and a US client (ECS) get the cn and
#    the offshore pool, also right after each other for the same name (an
#    answer stored in a shared cache would show), and the managed name has
#    no message cache entry;
#  - the other module still does its job: dns64 synthesises AAAA for an
#    unmanaged A-only name (also when asked again), and for a managed name
#    whose pool has no AAAA from the A of the client's pool; respip's
#    response-ip action applies to resolved answers (not to cnroute's,
#    which respip after cnroute does not see).
# Every stack is one unbound-checkconf knows to work (lib.sh runs it).
# subnetcache is checked only when this Unbound was built with it. dns64
# and respip together are not supported by Unbound (unbound-checkconf:
# "Respip is known to *not* work with dns64").
#
# dns64 and cnroute cannot run in one Unbound: dns64 must be the first
# module (it sets itself up on a query's first event only), and in front of
# cnroute it stores the answers that pass it, cnroute's per-client ones
# included, in the message cache, and asks for the A behind a synthesised
# AAAA in a query without a client. The module refuses both orders at
# start, with one log line.
#
# MODULE_ORDER_PLACE=first puts dynlib in front of every stack instead (to
# see what the documented place avoids).
. "$(dirname "$0")/lib.sh"
it_setup

# managed: both families in both pools; v4 only; an offshore address that
# respip's rule turns into NXDOMAIN
filing mo.example.com active
route www.mo.example.com "192.0.2.41,2001:db8:c::41" "198.51.100.41,2001:db8::41" 30
route v4.mo.example.com 192.0.2.43 198.51.100.43 30
route v4b.mo.example.com 192.0.2.44 198.51.100.44 30
route deny.mo.example.com 192.0.2.42 198.51.100.42 30
route emptyoff.example.com 192.0.2.7 "" 30

# The documented stacks: cnroute first.
stacks=(
	"plain:dynlib validator iterator"
	"respip:dynlib respip validator iterator"
)
if "$UNBOUND" -V 2>/dev/null | grep -q '^Linked modules:.*subnetcache'; then
	stacks+=("subnet:dynlib subnetcache validator iterator"
		"respsubnet:dynlib respip subnetcache validator iterator")
else
	diag "this Unbound has no subnetcache module: its stacks are not checked"
fi

# dynlib at the front of a stack (MODULE_ORDER_PLACE=first)
dynlib_first() { local s=" $1 "; s=${s// dynlib / }; s=${s# }; echo "dynlib ${s% }"; }

declare -A STACK
for e in "${stacks[@]}"; do
	n=${e%%:*} s=${e#*:}
	[[ ${MODULE_ORDER_PLACE:-} == first ]] && s=$(dynlib_first "$s")
	STACK[$n]=$s
	IT_UNBOUND_SERVER=("module-config: \"$s\"")
	if [[ $s == *respip* ]]; then
		IT_UNBOUND_SERVER+=("response-ip: 203.0.113.90/32 always_nxdomain"
			"response-ip: 198.51.100.42/32 always_nxdomain")
	fi
	[[ $s == *subnetcache* ]] && IT_UNBOUND_SERVER+=("send-client-subnet: 127.0.0.1")
	it_up "$n"
done
IT_UNBOUND_SERVER=()

for e in "${stacks[@]}"; do
	n=${e%%:*} s=${STACK[${e%%:*}]}
	diag "== $n: module-config \"$s\""
	# the stack in effect is the one asked for (the later module-config wins)
	got=$(sed -n 's/.*init module [0-9]*: \([a-z0-9]*\)$/\1/p' "${UB_DIR[$n]}/unbound.log" | head -n "$(wc -w <<<"$s")" | tr '\n' ' ')
	assert_eq "$n: modules started in the order of module-config" "$s" "${got% }"

	# steering: each client after one of the other region, for the same
	# name, so an answer stored in a shared cache would show up here
	q --inst "$n" --ecs 1.0.1.0/24 www.mo.example.com A
	assert_res "$n: mainland client gets the cn pool" "$(res NOERROR A:192.0.2.41)"
	assert_match "$n: mainland client: ECS echoed with a scope" '^1\.0\.1\.0/24/[1-9][0-9]*$' "$Q_ECS"
	assert_eq "$n: mainland client: one ECS option in the reply" 1 "$(grep -c '^;; CLIENT-SUBNET' <<<"$Q_OUT")"
	q --inst "$n" --ecs 8.8.8.0/24 www.mo.example.com A
	assert_res "$n: US client after a mainland one gets the offshore pool" "$(res NOERROR A:198.51.100.41)"
	q --inst "$n" --ecs 8.8.8.0/24 www.mo.example.com AAAA
	assert_res "$n: US client, AAAA: the offshore pool's" "$(res NOERROR AAAA:2001:db8::41)"
	q --inst "$n" --ecs 1.0.1.0/24 www.mo.example.com AAAA
	assert_res "$n: mainland client after a US one, AAAA: the cn pool's (nothing synthesised)" \
		"$(res NOERROR AAAA:2001:db8:c::41)"
	expect "$n: unmanaged name resolved normally" "$(res NOERROR A:203.0.113.10)" \
		--inst "$n" --ecs 1.0.1.0/24 plain.example.com A
	f=$IT_WORK/cache.$n.dump
	ub_control "$n" dump_cache >"$f" 2>&1
	assert_match "$n: unbound-control dump_cache works" "^START_RRSET_CACHE" "$(head -1 "$f")"
	assert_eq "$n: no message cache entry for the managed name" 0 \
		"$(grep -ciE '^msg www\.mo\.example\.com\. ' "$f")"
	grep -iE '^msg www\.mo\.example\.com\. ' "$f" | while read -r l; do diag "cached: $l"; done

	# no dns64 in any accepted stack
	expect "$n: an A-only name has no AAAA (nothing synthesised)" "$(res NOERROR)" \
		--inst "$n" plain.example.org AAAA

	# respip
	if [[ $s == *respip* ]]; then
		expect "$n: respip's action applies to a resolved answer" "$(res NXDOMAIN)" \
			--inst "$n" over4.size.example.com A
		# respip comes after cnroute: its actions are not applied to
		# cnroute's answers (the pools are the operator's own data)
		expect "$n: cnroute's answer is not rewritten by respip (US client)" \
			"$(res NOERROR A:198.51.100.42)" --inst "$n" --ecs 8.8.8.0/24 deny.mo.example.com A
		expect "$n: cnroute's answer is not rewritten by respip (mainland client)" \
			"$(res NOERROR A:192.0.2.42)" --inst "$n" --ecs 1.0.1.0/24 deny.mo.example.com A
	else
		expect "$n: without respip, the offshore address is answered" \
			"$(res NOERROR A:198.51.100.42)" --inst "$n" --ecs 8.8.8.0/24 deny.mo.example.com A
	fi

	# subnetcache: an unmanaged name asked from two regions is answered
	# for both; a managed name cnroute passes on (its offshore pool is
	# empty) goes through subnetcache too, and both echo ECS: the reply
	# must still carry one option
	if [[ $s == *subnetcache* ]]; then
		expect "$n: unmanaged name, US client, through subnetcache" "$(res NOERROR A:203.0.113.10)" \
			--inst "$n" --ecs 8.8.8.0/24 plain.example.com A
		q --inst "$n" --ecs 8.8.8.0/24 emptyoff.example.com A
		assert_res "$n: managed name with an empty offshore pool, US client: resolved normally" \
			"$(res NOERROR A:203.0.113.20)"
		assert_eq "$n: ... with one ECS option in the reply" 1 "$(grep -c '^;; CLIENT-SUBNET' <<<"$Q_OUT")"
	fi
done
# dns64 with cnroute, in either order: Unbound does not start, and one log
# line says why
check_refused() {
	local inst=$1 desc=$2 pat=$3 logs
	it_expect_refused "$inst" "$desc"; logs=$REPLY
	assert_eq "$desc: one log line says why" 1 "$(grep -cE -- "$pat" <<<"$logs")"
}
for e in "dns64front:dns64 dynlib validator iterator" "dns64behind:dynlib dns64 validator iterator"; do
	n=${e%%:*} s=${e#*:}
	IT_UNBOUND_SERVER=("module-config: \"$s\"" "dns64-prefix: 64:ff9b::/96")
	it_unbound_conf "$n"
	cnroute_conf "${UB_DIR[$n]}/cnroute.conf"
	it_launch_unbound "$n"
	check_refused "$n" "module-config \"$s\"" \
		"cnroute: module-config \"$s\" has dns64: cnroute and dns64 cannot run in one Unbound"
done
IT_UNBOUND_SERVER=()
it_done
