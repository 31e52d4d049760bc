#!/bin/bash
# "*." rules: cover every name below (one or more labels) but not the name
# itself; an exact rule beats a wildcard; the closest wildcard beats a
# farther one; label boundaries are respected.
. "$(dirname "$0")/lib.sh"
it_setup
filing wild.example.com active
filing cw.example.com active
route '*.wild.example.com' 192.0.2.10 198.51.100.10 30
route exact.wild.example.com 192.0.2.11 198.51.100.11 30
route '*.deep.wild.example.com' 192.0.2.12 198.51.100.12 30
route '*.cw.example.com' wc.cdn-cn.example.net. wc.cdn-global.example.net. 30
it_up main
CN=(--ecs 1.0.1.0/24) US=(--ecs 8.8.8.0/24)
W10=$(res NOERROR A:192.0.2.10) W11=$(res NOERROR A:192.0.2.11) W12=$(res NOERROR A:192.0.2.12)

expect "one label below *.wild, CN -> wildcard cn" "$W10" "${CN[@]}" a.wild.example.com A
expect "one label below *.wild, US -> wildcard offshore" "$(res NOERROR A:198.51.100.10)" "${US[@]}" a.wild.example.com A
expect "two labels below *.wild, CN -> wildcard cn" "$W10" "${CN[@]}" a.b.wild.example.com A
expect "five labels below *.wild, CN -> wildcard cn" "$W10" "${CN[@]}" a.b.c.d.e.wild.example.com A
expect "the wildcard's own name is not covered (resolved normally)" "$(res NOERROR A:203.0.113.30)" "${CN[@]}" wild.example.com A
expect "a label merely ending in 'wild' is not covered (NXDOMAIN)" "NXDOMAIN" "${CN[@]}" xwild.example.com A
expect "exact rule beats the wildcard, CN" "$W11" "${CN[@]}" exact.wild.example.com A
expect "exact rule beats the wildcard, US" "$(res NOERROR A:198.51.100.11)" "${US[@]}" exact.wild.example.com A
expect "below an exact rule: the wildcard applies" "$W10" "${CN[@]}" sub.exact.wild.example.com A
expect "closest wildcard wins (*.deep over *.wild), CN" "$W12" "${CN[@]}" x.deep.wild.example.com A
expect "closest wildcard wins, US" "$(res NOERROR A:198.51.100.12)" "${US[@]}" x.deep.wild.example.com A
expect "closest wildcard wins, two labels below" "$W12" "${CN[@]}" x.y.deep.wild.example.com A
expect "*.deep does not cover deep itself; *.wild does" "$W10" "${CN[@]}" deep.wild.example.com A
expect "TXT at a wildcard-managed name resolved normally" "$(res NOERROR 'TXT:"deep"')" "${CN[@]}" deep.wild.example.com TXT
expect "wildcard CNAME pool, CN" "$(res NOERROR CNAME:wc.cdn-cn.example.net. A:192.0.2.100)" "${CN[@]}" foo.cw.example.com A
expect "wildcard CNAME pool, US" "$(res NOERROR CNAME:wc.cdn-global.example.net. A:198.51.100.100)" "${US[@]}" foo.cw.example.com A
expect "wildcard CNAME pool, deeper name, CN AAAA" "$(res NOERROR CNAME:wc.cdn-cn.example.net. AAAA:2001:db8:c::100)" "${CN[@]}" a.b.cw.example.com AAAA
it_done
