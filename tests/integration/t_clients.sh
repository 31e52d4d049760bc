#!/bin/bash
# IPv4 and IPv6 clients: ECS family 1 and 2, queries over ::1, TCP, and
# PROXYv2 client addresses (IPv4 and IPv6) without ECS, plus ECS winning over
# the proxied address when ecs is "use".
. "$(dirname "$0")/lib.sh"
it_setup
filing v.example.com active
route www.v.example.com "192.0.2.2,2001:db8:c::2" "198.51.100.2,2001:db8::2" 30
route cn.v.example.com v6.cdn-cn.example.net. v6.cdn-global.example.net. 30
it_up main

CN4=$(res NOERROR A:192.0.2.2) OFF4=$(res NOERROR A:198.51.100.2)
CN6=$(res NOERROR AAAA:2001:db8:c::2) OFF6=$(res NOERROR AAAA:2001:db8::2)
W=www.v.example.com

# ECS, family 2 (IPv6 client subnets)
expect "ECS 240e::/32 (CN, v6) A -> cn" "$CN4" --ecs 240e::/32 $W A
expect "ECS 240e::/32 (CN, v6) AAAA -> cn" "$CN6" --ecs 240e::/32 $W AAAA
expect "ECS 2001:4860::/32 (US, v6) A -> offshore" "$OFF4" --ecs 2001:4860::/32 $W A
expect "ECS 2001:4860::/32 (US, v6) AAAA -> offshore" "$OFF6" --ecs 2001:4860::/32 $W AAAA
expect "ECS 240e::/56 (CN, v6, longer source) AAAA -> cn" "$CN6" --ecs 240e::/56 $W AAAA
# ECS family 1
expect "ECS 114.114.114.0/24 (CN) AAAA -> cn" "$CN6" --ecs 114.114.114.0/24 $W AAAA
expect "ECS 8.8.8.0/24 (US) AAAA -> offshore" "$OFF6" --ecs 8.8.8.0/24 $W AAAA

# transport over ::1
expect "over ::1, ECS 1.0.1.0/24 (CN) -> cn" "$CN4" --v6 --ecs 1.0.1.0/24 $W A
expect "over ::1, ECS 240e::/32 (CN) AAAA -> cn" "$CN6" --v6 --ecs 240e::/32 $W AAAA
expect "over ::1, ECS 8.8.8.0/24 (US) -> offshore" "$OFF4" --v6 --ecs 8.8.8.0/24 $W A
expect "over ::1, no ECS (client ::1, unknown) -> offshore" "$OFF6" --v6 $W AAAA
expect "over 127.0.0.1, no ECS (client unknown) -> offshore" "$OFF4" $W A
expect "over TCP, ECS CN -> cn" "$CN4" --tcp --ecs 1.0.1.0/24 $W A
expect "over TCP on ::1, ECS US -> offshore" "$OFF4" --tcp --v6 --ecs 8.8.8.0/24 $W A

# PROXYv2: the client address is the proxied one, no ECS
expect "PROXYv2 client 1.0.1.1 (CN) -> cn" "$CN4" --proxy 1.0.1.1 $W A
expect "PROXYv2 client 114.114.114.114 (CN) AAAA -> cn" "$CN6" --proxy 114.114.114.114 $W AAAA
expect "PROXYv2 client 8.8.8.8 (US) -> offshore" "$OFF4" --proxy 8.8.8.8 $W A
expect "PROXYv2 client 1.36.0.1 (HK) -> offshore" "$OFF4" --proxy 1.36.0.1 $W A
expect "PROXYv2 client 202.175.1.1 (MO) -> offshore" "$OFF4" --proxy 202.175.1.1 $W A
expect "PROXYv2 client 1.160.0.1 (TW) -> offshore" "$OFF4" --proxy 1.160.0.1 $W A
expect "PROXYv2 client 10.0.0.1 (unknown) -> offshore" "$OFF4" --proxy 10.0.0.1 $W A
expect "PROXYv2 client 240e::1 (CN, v6) AAAA -> cn" "$CN6" --proxy 240e::1 $W AAAA
expect "PROXYv2 client 240e::1 (CN, v6) A -> cn" "$CN4" --proxy 240e::1 $W A
expect "PROXYv2 client 2001:4860::1 (US, v6) AAAA -> offshore" "$OFF6" --proxy 2001:4860::1 $W AAAA
expect "PROXYv2 over TCP client 1.0.1.1 (CN) -> cn" "$CN4" --proxy 1.0.1.1 --tcp $W A
expect "PROXYv2 over TCP client 8.8.8.8 (US) -> offshore" "$OFF4" --proxy 8.8.8.8 --tcp $W A
# CN and US clients alternate on the same name
for i in 1 2 3; do
	expect "PROXYv2 alternating #$i: CN -> cn" "$CN4" --proxy 1.0.1.1 $W A
	expect "PROXYv2 alternating #$i: US -> offshore" "$OFF4" --proxy 8.8.8.8 $W A
done

# ECS beats the client address (ecs: use)
expect "PROXYv2 US client with ECS CN -> cn" "$CN4" --proxy 8.8.8.8 --ecs 1.0.1.0/24 $W A
expect "PROXYv2 CN client with ECS US -> offshore" "$OFF4" --proxy 1.0.1.1 --ecs 8.8.8.0/24 $W A

# CNAME pool from IPv6 clients
expect "CNAME pool, ECS 240e::/32 (CN) AAAA" "$(res NOERROR CNAME:v6.cdn-cn.example.net. AAAA:2001:db8:c::100)" \
	--v6 --ecs 240e::/32 cn.v.example.com AAAA
expect "CNAME pool, PROXYv2 2001:4860::1 (US) AAAA" "$(res NOERROR CNAME:v6.cdn-global.example.net. AAAA:2001:db8::100)" \
	--proxy 2001:4860::1 cn.v.example.com AAAA
expect "CNAME pool, PROXYv2 240e::1 (CN) A" "$(res NOERROR CNAME:v6.cdn-cn.example.net. A:192.0.2.100)" \
	--proxy 240e::1 cn.v.example.com A
it_done
