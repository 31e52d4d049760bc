#!/bin/bash
# A and AAAA from address pools (NOERROR with an empty answer when the pool
# has no address of the asked type), CNAME pools for any type with the rcode
# of the target, an empty cn pool (offshore) and an empty offshore pool
# (resolved normally, and that normal answer must not be served to a
# mainland client afterwards), other types at managed names and unmanaged
# names resolved normally.
. "$(dirname "$0")/lib.sh"
it_setup
filing example.com active
route both.ab.example.com "192.0.2.3,2001:db8:c::3" "198.51.100.3,2001:db8::3" 30
route v4only.example.com 192.0.2.4 198.51.100.4 30
route v6only.example.com 2001:db8:c::6 2001:db8::6 30
route multi.example.com "192.0.2.5,192.0.2.6,2001:db8:c::5" "198.51.100.5,198.51.100.6" 30
route cname.example.com ty.cdn-cn.example.net. ty.cdn-global.example.net. 30
route emptyoff.example.com 192.0.2.7 "" 30
route nocn.example.com "" 198.51.100.8 30
route nxt.example.com nx.nodata.example.net. nx.nodata.example.net. 30
route nod.example.com nodata.example.net. nodata.example.net. 30
it_up main
CN=(--ecs 1.0.1.0/24) US=(--ecs 8.8.8.0/24)

# address pools
expect "A, CN -> cn v4" "$(res NOERROR A:192.0.2.3)" "${CN[@]}" both.ab.example.com A
expect "AAAA, CN -> cn v6" "$(res NOERROR AAAA:2001:db8:c::3)" "${CN[@]}" both.ab.example.com AAAA
expect "A, US -> offshore v4" "$(res NOERROR A:198.51.100.3)" "${US[@]}" both.ab.example.com A
expect "AAAA, US -> offshore v6" "$(res NOERROR AAAA:2001:db8::3)" "${US[@]}" both.ab.example.com AAAA
expect "AAAA at v4-only pool, CN -> NOERROR, empty" "NOERROR" "${CN[@]}" v4only.example.com AAAA
expect "AAAA at v4-only pool, US -> NOERROR, empty" "NOERROR" "${US[@]}" v4only.example.com AAAA
expect "A at v6-only pool, CN -> NOERROR, empty" "NOERROR" "${CN[@]}" v6only.example.com A
expect "AAAA at v6-only pool, CN -> cn v6" "$(res NOERROR AAAA:2001:db8:c::6)" "${CN[@]}" v6only.example.com AAAA
expect "A with two cn addresses, CN -> both" "$(res NOERROR A:192.0.2.5 A:192.0.2.6)" "${CN[@]}" multi.example.com A
expect "AAAA, CN -> the one cn v6" "$(res NOERROR AAAA:2001:db8:c::5)" "${CN[@]}" multi.example.com AAAA
expect "A with two offshore addresses, US -> both" "$(res NOERROR A:198.51.100.5 A:198.51.100.6)" "${US[@]}" multi.example.com A
expect "AAAA, US, offshore has no v6 -> NOERROR, empty" "NOERROR" "${US[@]}" multi.example.com AAAA
expect "qtype CNAME at an address pool -> NOERROR, empty" "NOERROR" "${CN[@]}" both.ab.example.com CNAME

# other types at a managed name, and unmanaged names: resolved normally
expect "TXT at a managed address-pool name, CN -> from NSD" "$(res NOERROR 'TXT:"from-nsd"')" "${CN[@]}" both.ab.example.com TXT
expect "TXT at a managed address-pool name, US -> from NSD" "$(res NOERROR 'TXT:"from-nsd"')" "${US[@]}" both.ab.example.com TXT
expect "unmanaged A, CN -> from NSD" "$(res NOERROR A:203.0.113.10)" "${CN[@]}" plain.example.com A
expect "unmanaged AAAA, US -> from NSD" "$(res NOERROR AAAA:2001:db8:f::10)" "${US[@]}" plain.example.com AAAA
expect "unmanaged nonexistent name under a filing -> NXDOMAIN" "NXDOMAIN" "${CN[@]}" nothing-here.example.com A

# CNAME pools, any type
expect "CNAME pool A, CN" "$(res NOERROR CNAME:ty.cdn-cn.example.net. A:192.0.2.100)" "${CN[@]}" cname.example.com A
expect "CNAME pool AAAA, CN" "$(res NOERROR CNAME:ty.cdn-cn.example.net. AAAA:2001:db8:c::100)" "${CN[@]}" cname.example.com AAAA
expect "CNAME pool AAAA, US" "$(res NOERROR CNAME:ty.cdn-global.example.net. AAAA:2001:db8::100)" "${US[@]}" cname.example.com AAAA
expect "CNAME pool TXT, CN (target's TXT)" "$(res NOERROR CNAME:ty.cdn-cn.example.net. 'TXT:"cdn-cn"')" "${CN[@]}" cname.example.com TXT
expect "CNAME pool TXT, US (target's TXT)" "$(res NOERROR CNAME:ty.cdn-global.example.net. 'TXT:"cdn-global"')" "${US[@]}" cname.example.com TXT
q "${US[@]}" cname.example.com CNAME
assert_match "CNAME pool, qtype CNAME, US -> the offshore CNAME" "^NOERROR .*CNAME:ty\.cdn-global\.example\.net\." "$Q_RES"
q "${CN[@]}" cname.example.com CNAME
assert_match "CNAME pool, qtype CNAME, CN -> the cn CNAME" "^NOERROR .*CNAME:ty\.cdn-cn\.example\.net\." "$Q_RES"
expect "CNAME pool, target NXDOMAIN -> NXDOMAIN with the CNAME" "$(res NXDOMAIN CNAME:nx.nodata.example.net.)" "${CN[@]}" nxt.example.com A
expect "CNAME pool, target NODATA -> NOERROR with the CNAME only" "$(res NOERROR CNAME:nodata.example.net.)" "${US[@]}" nod.example.com A

# empty cn pool: offshore for everyone
expect "empty cn pool, CN -> offshore" "$(res NOERROR A:198.51.100.8)" "${CN[@]}" nocn.example.com A
expect "empty cn pool, US -> offshore" "$(res NOERROR A:198.51.100.8)" "${US[@]}" nocn.example.com A

# empty offshore pool: resolved normally; the normal answer is not cached for mainland clients
expect "empty offshore, US A -> resolved normally" "$(res NOERROR A:203.0.113.20)" "${US[@]}" emptyoff.example.com A
expect "empty offshore, then CN A -> cn (normal answer not served from cache)" "$(res NOERROR A:192.0.2.7)" "${CN[@]}" emptyoff.example.com A
expect "empty offshore, US AAAA -> resolved normally" "$(res NOERROR AAAA:2001:db8:f::20)" "${US[@]}" emptyoff.example.com AAAA
expect "empty offshore, CN AAAA (cn has no v6) -> NOERROR, empty" "NOERROR" "${CN[@]}" emptyoff.example.com AAAA
expect "empty offshore, HK A -> resolved normally" "$(res NOERROR A:203.0.113.20)" --ecs 1.36.0.0/24 emptyoff.example.com A
expect "empty offshore, no-ECS client A -> resolved normally" "$(res NOERROR A:203.0.113.20)" emptyoff.example.com A
expect "empty offshore, CN A again -> cn" "$(res NOERROR A:192.0.2.7)" "${CN[@]}" emptyoff.example.com A
expect "empty offshore, PROXYv2 CN client -> cn" "$(res NOERROR A:192.0.2.7)" --proxy 1.0.1.1 emptyoff.example.com A
it_done
