#!/bin/bash
# Names in Redis keys and in queries match case-insensitively, with or
# without a trailing dot; CNAME targets given in upper case work.
. "$(dirname "$0")/lib.sh"
it_setup
filing CASE.Example.COM. active           # upper case + trailing dot
filing lower.example.com active           # lower case, no dot
filing 'DoT.example.com.' active
route 'MiXeD.Case.Example.COM.' 192.0.2.30 198.51.100.30 30
route 'www.lower.example.com' 192.0.2.31 198.51.100.31 30
route 'Www.DoT.example.com' 192.0.2.32 198.51.100.32 30
route '*.WiLD.Case.Example.Com.' 192.0.2.33 198.51.100.33 30
route 'cn.case.example.com.' UPPER.CDN-CN.Example.NET. UPPER.CDN-GLOBAL.Example.NET. 30
rcli HSET "other:route:otherprefix.case.example.com" cn 192.0.2.39 offshore 198.51.100.39 >/dev/null
it_up main
CN=(--ecs 1.0.1.0/24) US=(--ecs 8.8.8.0/24)

expect "mixed-case key with dot, query lower case" "$(res NOERROR A:192.0.2.30)" "${CN[@]}" mixed.case.example.com A
expect "mixed-case key with dot, query upper case" "$(res NOERROR A:192.0.2.30)" "${CN[@]}" MIXED.CASE.EXAMPLE.COM A
expect "mixed-case key with dot, query mixed case with dot" "$(res NOERROR A:192.0.2.30)" "${CN[@]}" mIxEd.cAsE.eXaMpLe.cOm. A
expect "mixed-case key, US -> offshore" "$(res NOERROR A:198.51.100.30)" "${US[@]}" Mixed.Case.Example.Com A
expect "lower-case key without dot, query upper case with dot" "$(res NOERROR A:192.0.2.31)" "${CN[@]}" WWW.LOWER.EXAMPLE.COM. A
expect "lower-case key without dot, query mixed case" "$(res NOERROR A:192.0.2.31)" "${CN[@]}" Www.Lower.Example.Com A
expect "filing key with dot (DoT.example.com.) covers Www.DoT key" "$(res NOERROR A:192.0.2.32)" "${CN[@]}" www.dot.example.com A
expect "mixed-case wildcard key, query lower case" "$(res NOERROR A:192.0.2.33)" "${CN[@]}" x.wild.case.example.com A
expect "mixed-case wildcard key, query upper case" "$(res NOERROR A:192.0.2.33)" "${CN[@]}" X.Y.WILD.CASE.EXAMPLE.COM A
expect "upper-case CNAME target, CN" "$(res NOERROR CNAME:upper.cdn-cn.example.net. A:192.0.2.100)" "${CN[@]}" CN.Case.example.com A
expect "upper-case CNAME target, US" "$(res NOERROR CNAME:upper.cdn-global.example.net. A:198.51.100.100)" "${US[@]}" cn.case.example.com. A
expect "a key under another prefix is ignored (key-prefix $IT_PREFIX)" "NXDOMAIN" "${CN[@]}" otherprefix.case.example.com A
it_done
