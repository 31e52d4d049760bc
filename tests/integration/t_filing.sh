#!/bin/bash
# A filing covers its domain and every name below it; the longest matching
# filing decides; label boundaries; a filing below a name does not cover it.
. "$(dirname "$0")/lib.sh"
it_setup
filing example.org active
filing rv.example.org revoked
filing ok.rv.example.org active
filing fil.example.com active
filing sub.nf.example.com active
filing pend.example.com pending
filing ok.pend.example.com active
for n in example.org www.example.org a.b.c.example.org rv.example.org www.rv.example.org \
	ok.rv.example.org www.ok.rv.example.org x.y.ok.rv.example.org \
	fil.example.com www.fil.example.com www.xfil.example.com nf.example.com www.sub.nf.example.com \
	www.pend.example.com www.ok.pend.example.com; do
	route "$n" 192.0.2.20 198.51.100.20 30
done
it_up main
CN=(--ecs 1.0.1.0/24) US=(--ecs 8.8.8.0/24)
C=$(res NOERROR A:192.0.2.20) O=$(res NOERROR A:198.51.100.20)

expect "filing example.org covers its own name" "$C" "${CN[@]}" example.org A
expect "filing example.org covers www.example.org" "$C" "${CN[@]}" www.example.org A
expect "filing example.org covers a.b.c.example.org" "$C" "${CN[@]}" a.b.c.example.org A
expect "filing example.org covers a name, US still offshore" "$O" "${US[@]}" www.example.org A
expect "longer revoked filing rv.example.org beats active parent (rv itself)" "$O" "${CN[@]}" rv.example.org A
expect "longer revoked filing beats active parent (www.rv)" "$O" "${CN[@]}" www.rv.example.org A
expect "longest filing ok.rv (active) beats revoked rv (ok.rv itself)" "$C" "${CN[@]}" ok.rv.example.org A
expect "longest filing ok.rv (active) beats revoked rv (www.ok.rv)" "$C" "${CN[@]}" www.ok.rv.example.org A
expect "longest filing ok.rv (active) covers x.y.ok.rv" "$C" "${CN[@]}" x.y.ok.rv.example.org A
expect "pending parent, active child filing -> cn below child" "$C" "${CN[@]}" www.ok.pend.example.com A
expect "pending filing -> offshore" "$O" "${CN[@]}" www.pend.example.com A
expect "filing fil.example.com covers fil.example.com" "$C" "${CN[@]}" fil.example.com A
expect "filing fil.example.com covers www.fil.example.com" "$C" "${CN[@]}" www.fil.example.com A
expect "filing fil.example.com does not cover www.xfil.example.com" "$O" "${CN[@]}" www.xfil.example.com A
expect "a filing below a name does not cover it (nf.example.com)" "$O" "${CN[@]}" nf.example.com A
expect "filing sub.nf.example.com covers www.sub.nf.example.com" "$C" "${CN[@]}" www.sub.nf.example.com A
it_done
