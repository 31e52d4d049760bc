#!/bin/bash
# ecs: ignore -> the region comes from the client address (PROXYv2 here) even
# when the query carries ECS. A second instance with ecs: use on the same
# data shows the difference.
. "$(dirname "$0")/lib.sh"
it_setup
filing ig.example.com active
route www.ig.example.com "192.0.2.70,2001:db8:c::70" "198.51.100.70,2001:db8::70" 30
route cname.ig.example.com ig.cdn-cn.example.net. ig.cdn-global.example.net. 30
it_up ign ecs=ignore
it_up use ecs=use
C=$(res NOERROR A:192.0.2.70) O=$(res NOERROR A:198.51.100.70)
W=www.ig.example.com

expect "ecs ignore: PROXYv2 US client with ECS CN -> offshore" "$O" --inst ign --proxy 8.8.8.8 --ecs 1.0.1.0/24 $W A
expect "ecs ignore: PROXYv2 US client with ECS CN v6 -> offshore" "$O" --inst ign --proxy 8.8.8.8 --ecs 240e::/32 $W A
expect "ecs ignore: PROXYv2 CN client with ECS US -> cn" "$C" --inst ign --proxy 1.0.1.1 --ecs 8.8.8.0/24 $W A
expect "ecs ignore: PROXYv2 CN v6 client with ECS US AAAA -> cn" "$(res NOERROR AAAA:2001:db8:c::70)" --inst ign --proxy 240e::1 --ecs 8.8.8.0/24 $W AAAA
expect "ecs ignore: PROXYv2 CN client, no ECS -> cn" "$C" --inst ign --proxy 1.0.1.1 $W A
expect "ecs ignore: 127.0.0.1 client with ECS CN -> offshore" "$O" --inst ign --ecs 1.0.1.0/24 $W A
expect "ecs ignore: ::1 client with ECS CN -> offshore" "$O" --inst ign --v6 --ecs 1.0.1.0/24 $W A
expect "ecs ignore: CNAME pool, PROXYv2 US + ECS CN -> offshore CNAME" \
	"$(res NOERROR CNAME:ig.cdn-global.example.net. A:198.51.100.100)" --inst ign --proxy 8.8.8.8 --ecs 1.0.1.0/24 cname.ig.example.com A
expect "ecs ignore: CNAME pool, PROXYv2 CN + ECS US -> cn CNAME" \
	"$(res NOERROR CNAME:ig.cdn-cn.example.net. A:192.0.2.100)" --inst ign --proxy 1.0.1.1 --ecs 8.8.8.0/24 cname.ig.example.com A
q --inst ign --proxy 1.0.1.1 --ecs 1.0.1.0/24 $W A
assert_res "ecs ignore: PROXYv2 CN client with ECS CN -> cn" "$C"

expect "ecs use (contrast): PROXYv2 US client with ECS CN -> cn" "$C" --inst use --proxy 8.8.8.8 --ecs 1.0.1.0/24 $W A
expect "ecs use (contrast): PROXYv2 CN client with ECS US -> offshore" "$O" --inst use --proxy 1.0.1.1 --ecs 8.8.8.0/24 $W A
it_done
