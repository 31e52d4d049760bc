#!/bin/bash
# make install DESTDIR=... PREFIX=/usr installs exactly the files the
# README lists (between its install:begin/end markers), with the paths the
# configuration needs: geoip-db and dynlib-file point at installed files,
# and the installed cnroute.conf is one cnroutectl reads.
. "$(dirname "$0")/lib.sh"
it_begin
ROOT_DIR=$IT_WORK/root
out=$(make -s -C "$IT_ROOT" install BUILD="$IT_BUILD" DESTDIR="$ROOT_DIR" PREFIX=/usr 2>&1); rc=$?
assert_eq "make install exits 0 ($(tail -3 <<<"$out"))" 0 "$rc"
ma=$(${CC:-cc} -print-multiarch)
want=$(sed -n '/<!-- install:begin -->/,/<!-- install:end -->/p' "$IT_ROOT/README.md" |
	grep '^/' | sed "s|MULTIARCH|$ma|" | sort)
got=$(cd "$ROOT_DIR" && find . -type f -o -type l | sed 's|^\.||' | sort)
[[ -n $want ]] || it_bail "no install list in README.md"
if [[ $want == "$got" ]]; then
	ok "installed files are exactly the README's list ($(wc -l <<<"$got") files)"
else
	not_ok "installed files are exactly the README's list" "$(tr '\n' ' ' <<<"$want")" "$(tr '\n' ' ' <<<"$got")"
	diag "$(diff <(echo "$want") <(echo "$got"))"
fi
conf=$ROOT_DIR/etc/unbound/cnroute.conf
db=$(sed -n 's/^geoip-db: *//p' "$conf")
assert_eq "installed cnroute.conf: geoip-db is the installed database" "/usr/share/cnroute/geo-whois-asn-country.mmdb" "$db"
[[ -s $ROOT_DIR$db ]] && ok "the database is there" || not_ok "the database is there" "$ROOT_DIR$db" "missing"
so=$(sed -n 's/^[[:space:]]*dynlib-file: *"\(.*\)"/\1/p' "$ROOT_DIR/etc/unbound/unbound.conf.d/cnroute.conf")
assert_eq "unbound.conf.d snippet loads the installed module" "/usr/lib/$ma/cnroute/cnroute.so" "$so"
cmp -s "$ROOT_DIR$so" "$IT_BUILD/cnroute.so" && ok "the installed module is the one built" ||
	not_ok "the installed module is the one built" "build/cnroute.so" "$ROOT_DIR$so"
# the installed configuration is valid: a command that reads it and then
# needs something else (fleet-resolvers) fails for that, not the file
"$ROOT_DIR/usr/bin/cnroutectl" -c "$conf" fleet status >"$IT_WORK/ctl.out" 2>&1; rc=$?
assert_eq "installed cnroutectl reads the installed cnroute.conf (exit 1: no fleet-resolvers, not 2: bad file)" 1 "$rc"
assert_match "... and says why" "fleet-resolvers" "$(cat "$IT_WORK/ctl.out")"
assert_match "installed cnroutectl --version" "^cnroutectl [0-9]" "$("$ROOT_DIR/usr/bin/cnroutectl" --version 2>&1)"
for f in usr/bin/cnroutectl; do
	assert_eq "$f is executable" 1 "$([[ -x $ROOT_DIR/$f ]] && echo 1 || echo 0)"
done
assert_eq "cnroute.conf mode 0644" 644 "$(stat -c %a "$conf")"
it_done
