#!/bin/bash
# Filings on public suffixes. A filing whose name is a public suffix (Public
# Suffix List, ICANN and private sections: com.cn, a TLD such as com,
# github.io) is an INVALID filing: not active, and (being the covering
# filing) it stops the walk. Why: an ICP filing belongs to a registrable
# domain; a filing on com.cn would hand the cn pool to every shop under
# com.cn that never filed. A registrable domain below a suffix (foo2.com.cn)
# is an ordinary filing. Checked at start and with a suffix filing written
# live. cnroutectl refuses to write a public-suffix filing (message says
# "public suffix"), its onboarding gate does not accept one as the covering
# filing, and check reports one (exit 2).
. "$(dirname "$0")/lib.sh"
it_setup
it_cli_conf
LIMIT=2000
F=${IT_PREFIX}filing:
CN=(--ecs 1.0.1.0/24) US=(--ecs 8.8.8.0/24)

# ---- cnroutectl refuses public suffixes, accepts a registrable domain below one
for d in com.cn com github.io; do
	ctl filing set "$d" --icp '京ICP备12345678号' --entity 'X Ltd' --registrant 'X Ltd'
	if ((CTL_RC != 0)); then ok "ctl filing set $d (public suffix): refused (exit $CTL_RC)"; else
		not_ok "ctl filing set $d (public suffix): refused" "non-zero exit" "exit 0: $CTL_OUT"
	fi
	assert_match "ctl filing set $d: the message says public suffix" "[Pp]ublic[ -][Ss]uffix" "$CTL_ERR $CTL_OUT"
	assert_eq "ctl filing set $d: nothing written" 0 "$(rcli EXISTS "${F}$d")"
	rcli DEL "${F}$d" >/dev/null     # (if it was written) the rest of the file writes its own
done
ctl filing set foo2.com.cn --icp '京ICP备12345678号' --entity 'Foo2 Ltd' --registrant 'Foo2 Ltd'
assert_eq "ctl filing set foo2.com.cn (registrable domain below com.cn): exit 0" 0 "$CTL_RC"
assert_eq "ctl filing set foo2.com.cn: written active" active "$(rcli HGET "${F}foo2.com.cn" status)"
ctl check
assert_eq "ctl check with only foo2.com.cn: exit 0" 0 "$CTL_RC"

# ---- filings on public suffixes (written by hand) and the routes below them
filing com.cn active
ctl check
assert_eq "ctl check with a filing on com.cn: exit 2" 2 "$CTL_RC"
assert_match "ctl check names the com.cn filing" "(^|[^a-zA-Z0-9.-])(${F})?com\.cn\.?([^a-zA-Z0-9.-]|\$)" "$CTL_OUT $CTL_ERR"
filing com active
filing github.io active
route www.foo.com.cn 192.0.2.41 198.51.100.41 30
route www.unfiled-shop.com 192.0.2.42 198.51.100.42 30
route someone.github.io 192.0.2.43 198.51.100.43 30
route www.foo2.com.cn 192.0.2.44 198.51.100.44 30
route www.shop.net.cn 192.0.2.45 198.51.100.45 30          # net.cn filed live below
ctl route set www.bar.com.cn --cn 192.0.2.46 --offshore 198.51.100.46
assert_eq "ctl route set --cn under com.cn (only a public-suffix filing covers it): gate refuses (exit 3)" 3 "$CTL_RC"
assert_eq "gate: nothing written" 0 "$(rcli EXISTS "${IT_PREFIX}route:www.bar.com.cn")"
rcli DEL "${IT_PREFIX}route:www.bar.com.cn" >/dev/null
ctl route set www2.foo2.com.cn --cn 192.0.2.47 --offshore 198.51.100.47
assert_eq "ctl route set --cn under foo2.com.cn (active, registrable): exit 0" 0 "$CTL_RC"

it_start_unbound main resync-interval=1
it_wait_loaded main 6 1

expect "filing com.cn active, www.foo.com.cn: CN -> offshore" "$(res NOERROR A:198.51.100.41)" "${CN[@]}" www.foo.com.cn A
expect "filing com.cn active, www.foo.com.cn: US -> offshore" "$(res NOERROR A:198.51.100.41)" "${US[@]}" www.foo.com.cn A
expect "filing com (a TLD) active, www.unfiled-shop.com: CN -> offshore" "$(res NOERROR A:198.51.100.42)" "${CN[@]}" www.unfiled-shop.com A
expect "filing github.io (private section) active, someone.github.io: CN -> offshore" "$(res NOERROR A:198.51.100.43)" "${CN[@]}" someone.github.io A
expect "filing foo2.com.cn (registrable) active, www.foo2.com.cn: CN -> cn" "$(res NOERROR A:192.0.2.44)" "${CN[@]}" www.foo2.com.cn A
expect "filing foo2.com.cn active, www.foo2.com.cn: US -> offshore" "$(res NOERROR A:198.51.100.44)" "${US[@]}" www.foo2.com.cn A
expect "rule written by ctl below foo2.com.cn: CN -> cn" "$(res NOERROR A:192.0.2.47)" "${CN[@]}" www2.foo2.com.cn A
ctl --json explain www.foo.com.cn --client 1.0.1.0/24
assert_eq "explain www.foo.com.cn for a CN client: offshore" offshore "$(json_get "$CTL_OUT" pool)"

# ---- a public-suffix filing written live
expect "no filing covers www.shop.net.cn: CN -> offshore" "$(res NOERROR A:198.51.100.45)" "${CN[@]}" www.shop.net.cn A
filing net.cn active
sleep 1.5     # notification and at least one reconciliation
n=0 bad=""
for i in 1 2 3 4 5 6; do
	q "${CN[@]}" www.shop.net.cn A
	[[ $Q_RES == "$(res NOERROR A:198.51.100.45)" ]] && n=$((n + 1)) || bad=$Q_RES
	sleep 0.3
done
assert_eq "filing net.cn written live: CN still offshore (6 samples over 1.8 s)${bad:+, got '$bad'}" 6 "$n"
filing shop.net.cn active
eventually "then filing shop.net.cn (registrable) active -> CN cn" $LIMIT "$(res NOERROR A:192.0.2.45)" "${CN[@]}" www.shop.net.cn A
it_done
