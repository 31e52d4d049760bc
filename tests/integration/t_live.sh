#!/bin/bash
# Live changes made with plain redis-cli (no PUBLISH) reach the resolver
# within 1 s: revoke and restore (and the other statuses), HSET of a field,
# HDEL, DEL, EXPIRE of filings and rules, new filings and rules. Finally a
# change whose notification is lost (keyspace events switched off) must be
# picked up by the periodic reconciliation (resync-interval 2 s here).
. "$(dirname "$0")/lib.sh"
it_setup
LIMIT=1000
filing example.com active
filing rv.example.com active
filing ex.example.org active
filing del.example.org active
filing hd.example.org active
filing lost.example.org active
route www.rv.example.com 192.0.2.80 198.51.100.80 30
route cname.rv.example.com lv.cdn-cn.example.net. lv.cdn-global.example.net. 30
route live-del.example.com 192.0.2.81 198.51.100.81 30
route hdel.example.com 192.0.2.82 198.51.100.82 30
route www.ex.example.org 192.0.2.83 198.51.100.83 30
route www.del.example.org 192.0.2.84 198.51.100.84 30
route www.exr.example.com 192.0.2.85 198.51.100.85 30
route chg.example.com 192.0.2.86 198.51.100.86 30
route www.nf.example.org 192.0.2.87 198.51.100.87 30
route www.lost.example.org 192.0.2.88 198.51.100.88 30
route www.hd.example.org 192.0.2.92 198.51.100.92 30
it_up main resync-interval=2
CN=(--ecs 1.0.1.0/24) US=(--ecs 8.8.8.0/24)
F=${IT_PREFIX}filing: R=${IT_PREFIX}route:

# revoke / restore
expect "before: CN gets cn" "$(res NOERROR A:192.0.2.80)" "${CN[@]}" www.rv.example.com A
rcli HSET "${F}rv.example.com" status revoked >/dev/null
eventually "HSET status revoked -> CN offshore within 1 s" $LIMIT "$(res NOERROR A:198.51.100.80)" "${CN[@]}" www.rv.example.com A
expect "revoked: CNAME pool offshore for CN too" "$(res NOERROR CNAME:lv.cdn-global.example.net. A:198.51.100.100)" "${CN[@]}" cname.rv.example.com A
expect "revoked: PROXYv2 CN client offshore too" "$(res NOERROR A:198.51.100.80)" --proxy 1.0.1.1 www.rv.example.com A
rcli HSET "${F}rv.example.com" status active >/dev/null
eventually "HSET status active (restore) -> CN back to cn within 1 s" $LIMIT "$(res NOERROR A:192.0.2.80)" "${CN[@]}" www.rv.example.com A
expect "restored: CNAME pool cn again" "$(res NOERROR CNAME:lv.cdn-cn.example.net. A:192.0.2.100)" "${CN[@]}" cname.rv.example.com A
expect "restored: US still offshore" "$(res NOERROR A:198.51.100.80)" "${US[@]}" www.rv.example.com A
for st in cancelled pending revoked; do
	rcli HSET "${F}rv.example.com" status $st >/dev/null
	eventually "HSET status $st -> CN offshore within 1 s" $LIMIT "$(res NOERROR A:198.51.100.80)" "${CN[@]}" www.rv.example.com A
	rcli HSET "${F}rv.example.com" status active >/dev/null
	eventually "HSET status active after $st -> cn within 1 s" $LIMIT "$(res NOERROR A:192.0.2.80)" "${CN[@]}" www.rv.example.com A
done
# revoking the parent does not matter while the longer filing is active
rcli HSET "${F}example.com" status revoked >/dev/null
sleep 1.2
expect "parent example.com revoked, longer filing rv active -> still cn" "$(res NOERROR A:192.0.2.80)" "${CN[@]}" www.rv.example.com A
expect "parent example.com revoked -> names only it covers go offshore" "$(res NOERROR A:198.51.100.86)" "${CN[@]}" chg.example.com A
rcli HSET "${F}example.com" status active >/dev/null
eventually "parent example.com restored -> cn within 1 s" $LIMIT "$(res NOERROR A:192.0.2.86)" "${CN[@]}" chg.example.com A

# HSET of rule fields
rcli HSET "${R}chg.example.com" cn 192.0.2.186 >/dev/null
eventually "HSET route cn field -> new cn address within 1 s" $LIMIT "$(res NOERROR A:192.0.2.186)" "${CN[@]}" chg.example.com A
rcli HSET "${R}chg.example.com" offshore "198.51.100.186,2001:db8::186" >/dev/null
eventually "HSET route offshore field -> new offshore addresses within 1 s" $LIMIT "$(res NOERROR AAAA:2001:db8::186)" "${US[@]}" chg.example.com AAAA
rcli HSET "${R}chg.example.com" ttl 17 >/dev/null
t0=$(now_ms)
wait_until $LIMIT bash -c 'kdig @127.0.0.1 -p $1 +subnet=1.0.1.0/24 chg.example.com A | grep -qE "^chg\.example\.com\.[[:space:]]+17[[:space:]]"' _ "${UB_PORT[main]}"
q "${CN[@]}" chg.example.com A
assert_eq "HSET route ttl 17 -> TTL 17 within 1 s (after $(($(now_ms) - t0)) ms)" "A:17" "$Q_TTLS"
rcli HSET "${R}chg.example.com" cn chg.cdn-cn.example.net. >/dev/null
eventually "HSET route cn from addresses to a CNAME target within 1 s" $LIMIT "$(res NOERROR CNAME:chg.cdn-cn.example.net. A:192.0.2.100)" "${CN[@]}" chg.example.com A

# HDEL
rcli HDEL "${R}hdel.example.com" cn >/dev/null
eventually "HDEL route cn -> CN gets offshore within 1 s" $LIMIT "$(res NOERROR A:198.51.100.82)" "${CN[@]}" hdel.example.com A
expect "before HDEL filing status: cn" "$(res NOERROR A:192.0.2.92)" "${CN[@]}" www.hd.example.org A
rcli HDEL "${F}hd.example.org" status >/dev/null
eventually "HDEL filing status (no longer active) -> CN offshore within 1 s" $LIMIT "$(res NOERROR A:198.51.100.92)" "${CN[@]}" www.hd.example.org A
rcli HSET "${F}hd.example.org" status active >/dev/null
eventually "HSET status back after HDEL -> cn within 1 s" $LIMIT "$(res NOERROR A:192.0.2.92)" "${CN[@]}" www.hd.example.org A

# DEL
expect "before DEL filing: cn" "$(res NOERROR A:192.0.2.84)" "${CN[@]}" www.del.example.org A
rcli DEL "${F}del.example.org" >/dev/null
eventually "DEL filing -> CN offshore within 1 s" $LIMIT "$(res NOERROR A:198.51.100.84)" "${CN[@]}" www.del.example.org A
expect "before DEL route: managed" "$(res NOERROR A:192.0.2.81)" "${CN[@]}" live-del.example.com A
rcli DEL "${R}live-del.example.com" >/dev/null
eventually "DEL route -> name resolved normally (NSD) within 1 s" $LIMIT "$(res NOERROR A:203.0.113.60)" "${CN[@]}" live-del.example.com A

# EXPIRE
expect "before PEXPIRE filing: cn" "$(res NOERROR A:192.0.2.83)" "${CN[@]}" www.ex.example.org A
rcli PEXPIRE "${F}ex.example.org" 200 >/dev/null
eventually "PEXPIRE filing 200 ms -> CN offshore within 1.2 s" $((LIMIT + 200)) "$(res NOERROR A:198.51.100.83)" "${CN[@]}" www.ex.example.org A
rcli EXPIRE "${R}www.exr.example.com" 1 >/dev/null
eventually "EXPIRE route 1 s -> unmanaged (NXDOMAIN from NSD) within 2 s" $((LIMIT + 1000)) "NXDOMAIN" "${CN[@]}" www.exr.example.com A

# new filings and rules
expect "no filing for nf.example.org yet: CN offshore" "$(res NOERROR A:198.51.100.87)" "${CN[@]}" www.nf.example.org A
filing nf.example.org active
eventually "new filing nf.example.org -> CN cn within 1 s" $LIMIT "$(res NOERROR A:192.0.2.87)" "${CN[@]}" www.nf.example.org A
route www.fresh.example.com 192.0.2.89 198.51.100.89 30
eventually "new route for a never-queried name -> managed within 1 s" $LIMIT "$(res NOERROR A:192.0.2.89)" "${CN[@]}" www.fresh.example.com A
route '*.fresh.example.com' 192.0.2.90 198.51.100.90 30
eventually "new wildcard route -> managed within 1 s" $LIMIT "$(res NOERROR A:198.51.100.90)" "${US[@]}" a.fresh.example.com A
expect "before the rule exists: live-new resolved normally (and cached by Unbound)" "$(res NOERROR A:203.0.113.61)" "${CN[@]}" live-new.example.com A
route live-new.example.com 192.0.2.91 198.51.100.91 30
eventually "new route for a name already resolved (cached) normally -> managed within 1 s" $LIMIT "$(res NOERROR A:192.0.2.91)" "${CN[@]}" live-new.example.com A

# lost notification: only the periodic reconciliation can see this
# change. A second resolver reads Redis as a user without client tracking
# rights, and keyspace notifications are off: nothing tells it.
printf 'live-pass\n' >"$IT_WORK/live.pass"
rcli ACL SETUSER notrack on '>live-pass' '~*' '&*' +@all -client\|tracking >/dev/null
rcli CONFIG SET notify-keyspace-events "" >/dev/null
it_up lost resync-interval=2 redis-user=notrack "redis-password-file=$IT_WORK/live.pass"
expect "before: www.lost CN gets cn" "$(res NOERROR A:192.0.2.88)" --inst lost "${CN[@]}" www.lost.example.org A
rcli HSET "${F}lost.example.org" status revoked >/dev/null
eventually "change with neither tracking nor notifications -> picked up by resync (interval 2 s) within 3.5 s" 3500 \
	"$(res NOERROR A:198.51.100.88)" --inst lost "${CN[@]}" www.lost.example.org A
if grep -q "refused client tracking" "${UB_DIR[lost]}/unbound.log"; then
	ok "the second resolver had no client tracking (its log says so)"
else
	not_ok "the second resolver had no client tracking" "refused client tracking" "$(grep cnroute "${UB_DIR[lost]}/unbound.log" | tail -3)"
fi
it_done
