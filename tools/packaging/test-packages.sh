#!/bin/bash
# test-packages.sh DEBDIR ROOT - the packages of `make deb`, installed the way
# an operator installs them and asked steered questions.
#
# Copyright (c) 2026, the cnroute authors. BSD-3-Clause, see LICENSE.
#
# Creates a fresh Debian 12 root in ROOT with debootstrap (minbase, from the
# system's mirror), installs DEBDIR/*.deb and redis-server there with apt-get,
# starts Redis and the packaged Unbound with their init scripts and the
# packaged configuration, seeds a filing and a route with the packaged
# cnroutectl and asks from outside the root (this system's kdig) with ECS:
# a mainland subnet gets the CN pool, a US one the offshore pool, and
# `cnroutectl explain` in the root says the same. Then removing cnroute must
# leave an Unbound that starts, and purging it must take what it added.
#
# The script runs in a mount namespace of its own (its mounts are private to
# it), and the daemons and the questions in a network namespace of their own
# whose only interface is loopback: the packaged defaults (Unbound on
# 127.0.0.1:53, Redis on 127.0.0.1:6379) are used unchanged without meeting
# this system's daemons, and nothing is reachable there but loopback. The one
# test-only drop-in in unbound.conf.d sends Unbound's log to a file instead
# of syslog (there is no syslog daemon in the root), shown when a check fails.
#
# Daemons started are stopped and mounts unmounted on every exit (traps).
# Output: TAP-like "ok"/"not ok" lines; exit status 0 when all passed.
set -euo pipefail

mode=${1:-}
if [[ $mode != --in-mountns && $mode != --in-netns ]]; then
	(($# == 2)) || { echo "usage: $0 DEBDIR ROOT" >&2; exit 1; }
	here=$(cd "$(dirname "$0")" && pwd)
	"$here/packaging-deps.sh"
	mkdir -p "$2"
	exec unshare --mount --fork -- "$0" --in-mountns "$(cd "$1" && pwd)" "$(cd "$2" && pwd)"
fi
debdir=$2
root=$3
work=$root.work
results=$work/results
NAME=www.shop.example.com

ok() { echo "ok - $1" | tee -a "$results"; }
not_ok() {
	echo "not ok - $1" | tee -a "$results"
	echo "#   expected: $2"
	echo "#   got:      $3"
}
check_eq() { if [[ $3 == "$2" ]]; then ok "$1"; else not_ok "$1" "$2" "$3"; fi; }
bail() { echo "Bail out! $*" | tee -a "$results"; exit 1; }
in_root() { chroot "$root" "$@"; }

# stop_daemons: the init scripts first, then whatever still runs inside the
# root (a daemon that would not stop), by process id
stop_daemons() {
	local p
	[[ -x $root/etc/init.d/unbound ]] && in_root /etc/init.d/unbound stop >/dev/null 2>&1
	[[ -x $root/etc/init.d/redis-server ]] && in_root /etc/init.d/redis-server stop >/dev/null 2>&1
	for p in /proc/[0-9]*; do
		[[ $(readlink "$p/root" 2>/dev/null) == "$root" ]] || continue
		kill -KILL "${p#/proc/}" 2>/dev/null
	done
	return 0
}

# ------------------------------------------------ daemons and questions
if [[ $mode == --in-netns ]]; then
	trap 'stop_daemons' EXIT
	ip link set lo up

	# the one test-only drop-in: Unbound's log into a file
	mkdir -p "$root/var/log/unbound"
	in_root chown unbound:unbound /var/log/unbound
	cat >"$root/etc/unbound/unbound.conf.d/zz-test-log.conf" <<-'EOF'
	# test-packages only: no syslog daemon in this root
	server:
	    use-syslog: no
	    logfile: "/var/log/unbound/unbound.log"
	EOF

	# Redis, then the data, then Unbound (which loads it all at start)
	in_root /etc/init.d/redis-server start >"$work/redis-start.log" 2>&1 || {
		cat "$work/redis-start.log"; bail "redis-server did not start"; }
	for _ in $(seq 1 100); do
		[[ $(in_root redis-cli -p 6379 ping 2>/dev/null) == PONG ]] && break
		sleep 0.1
	done
	[[ $(in_root redis-cli -p 6379 ping 2>/dev/null) == PONG ]] || bail "redis-server does not answer"
	ok "the packaged redis-server runs"

	if in_root cnroutectl filing set shop.example.com --icp "京ICP备12345678号-1" \
		--entity "Test Entity Ltd" --status active >"$work/ctl.out" 2>&1; then
		ok "cnroutectl filing set (the packaged cnroutectl and cnroute.conf)"
	else
		not_ok "cnroutectl filing set" "exit 0" "$(cat "$work/ctl.out")"
	fi
	if in_root cnroutectl route set "$NAME" --cn 192.0.2.10,192.0.2.11 \
		--offshore 198.51.100.10 --ttl 60 >"$work/ctl.out" 2>&1; then
		ok "cnroutectl route set"
	else
		not_ok "cnroutectl route set" "exit 0" "$(cat "$work/ctl.out")"
	fi

	in_root /etc/init.d/unbound start >"$work/unbound-start.log" 2>&1 || {
		cat "$work/unbound-start.log"; bail "unbound did not start"; }
	for _ in $(seq 1 100); do
		in_root unbound-control status >"$work/status.out" 2>&1 && break
		sleep 0.1
	done
	# (the init script has put the trust anchor in place by now)
	if in_root unbound-checkconf >"$work/checkconf.out" 2>&1; then
		ok "unbound-checkconf accepts the packaged configuration"
	else
		not_ok "unbound-checkconf accepts the packaged configuration" "exit 0" "$(tail -n 3 "$work/checkconf.out")"
	fi
	modules=$(sed -n 's/^modules: *[0-9]* *\[ *\(.*\) *\]$/\1/p' "$work/status.out")
	check_eq "the packaged Unbound runs with the module loaded" "dynlib validator iterator" "${modules% }"

	# answer SUBNET: the A records of NAME for a client behind SUBNET, sorted
	answer() {
		kdig @127.0.0.1 -p 53 +time=2 +retry=0 +subnet="$1" +noall +answer "$NAME" A 2>/dev/null |
			awk '$4 == "A" { print $5 }' | sort | tr '\n' ' ' | sed 's/ $//'
	}
	# ask SUBNET: the answer, asked again while none comes (the module may
	# still be reading Redis) - 50 times at most
	ask() {
		local got="" i
		for i in $(seq 1 50); do
			got=$(answer "$1")
			[[ -n $got ]] && break
			sleep 0.2
		done
		echo "$got"
	}
	check_eq "mainland client subnet (1.0.1.0/24) gets the CN pool" "192.0.2.10 192.0.2.11" "$(ask 1.0.1.0/24)"
	check_eq "US client subnet (8.8.8.0/24) gets the offshore pool" "198.51.100.10" "$(ask 8.8.8.0/24)"

	# explain in the root agrees
	explain() {
		in_root cnroutectl --json explain "$NAME" --client "$1" 2>&1 |
			python3 -c 'import json, sys
d = json.load(sys.stdin)
print(d["pool"], " ".join(sorted(d["records"])))' 2>&1
	}
	check_eq "cnroutectl explain: mainland -> cn pool, the same records" "cn 192.0.2.10 192.0.2.11" "$(explain 1.0.1.0/24)"
	check_eq "cnroutectl explain: US -> offshore pool, the same records" "offshore 198.51.100.10" "$(explain 8.8.8.0/24)"

	if in_root /etc/init.d/unbound stop >/dev/null 2>&1 && ! in_root unbound-control status >/dev/null 2>&1; then
		ok "the packaged Unbound stops"
	else
		not_ok "the packaged Unbound stops" "stopped" "still running"
	fi
	touch "$work/netns.done"
	exit 0
fi

# ------------------------------------------------ the root and the packages
t0=$(date +%s)
MOUNTS=()
cleanup() {
	local rc=$? i
	set +e
	stop_daemons
	for ((i = ${#MOUNTS[@]} - 1; i >= 0; i--)); do
		umount "${MOUNTS[$i]}" || umount -l "${MOUNTS[$i]}" || rc=1
	done
	local passed failed
	passed=$(grep -c '^ok ' "$results" 2>/dev/null)
	failed=$(grep -c -e '^not ok ' -e '^Bail out' "$results" 2>/dev/null)
	((failed == 0)) || rc=1
	if ((rc != 0)) && [[ -f $root/var/log/unbound/unbound.log ]]; then
		echo "# unbound's log (last 30 lines):"
		tail -n 30 "$root/var/log/unbound/unbound.log" | sed 's/^/#   /'
	fi
	echo "# test-packages: ${passed:-0} passed, ${failed:-0} failed, $(($(date +%s) - t0)) s"
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

rm -rf "$root" "$work"
mkdir -p "$work"
: >"$results"
mirror=$(sed -n 's/^URIs: *//p' /etc/apt/sources.list.d/debian.sources 2>/dev/null | head -n 1)
mirror=${mirror:-http://deb.debian.org/debian}
echo "# debootstrap --variant=minbase bookworm $root $mirror (log: $work/debootstrap.log)"
debootstrap --variant=minbase bookworm "$root" "$mirror" >"$work/debootstrap.log" 2>&1 || {
	tail -n 20 "$work/debootstrap.log"; bail "debootstrap failed"; }

mount -t proc proc "$root/proc"
MOUNTS+=("$root/proc")
if [[ ! -c $root/dev/null ]]; then
	# debootstrap could not create device nodes here
	mount --bind /dev "$root/dev"
	MOUNTS+=("$root/dev")
fi
# as in any image build: maintainer scripts must not start daemons
printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d"
chmod 0755 "$root/usr/sbin/policy-rc.d"
# the same archive as this system's: its updates and security suites too
if [[ -f /etc/apt/sources.list.d/debian.sources ]]; then
	cp /etc/apt/sources.list.d/debian.sources "$root/etc/apt/sources.list.d/"
	rm -f "$root/etc/apt/sources.list"
fi

mkdir -p "$root/tmp/debs"
cp "$debdir"/*.deb "$root/tmp/debs/"
debs=$(cd "$root" && ls tmp/debs/*.deb | sed 's|^|./|' | tr '\n' ' ')
echo "# apt-get install ${debs}redis-server (log: $work/apt.log)"
in_root apt-get update -q >"$work/apt.log" 2>&1 || { tail -n 20 "$work/apt.log"; bail "apt-get update failed"; }
in_root env DEBIAN_FRONTEND=noninteractive sh -c "cd / && apt-get install -y -q ${debs}redis-server" \
	>>"$work/apt.log" 2>&1 || { tail -n 30 "$work/apt.log"; bail "apt-get install failed"; }
ok "apt-get install of the packages and redis-server"

# what the packages installed
ma=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
ubver=$(in_root dpkg-query -W -f='${Version}' unbound)
check_eq "the installed unbound is the rebuilt one" "+cnroute" "$(grep -o '+cnroute' <<<"$ubver" | head -n 1)"
dep=$(in_root dpkg-query -W -f='${Depends}' cnroute | tr ',' '\n' | sed -n 's/^ *\(unbound (= .*)\)$/\1/p')
check_eq "cnroute depends on exactly that unbound" "unbound (= $ubver)" "$dep"
check_eq "the unbound.conf.d snippet loads the packaged module" \
	"\"/usr/lib/$ma/cnroute/cnroute.so\"" \
	"$(sed -n 's/^[[:space:]]*dynlib-file: *//p' "$root/etc/unbound/unbound.conf.d/cnroute.conf")"
check_eq "cnroute.conf points at the packaged GeoIP database" \
	"/usr/share/cnroute/geo-whois-asn-country.mmdb" \
	"$(sed -n 's/^geoip-db: *//p' "$root/etc/unbound/cnroute.conf")"
for f in "/usr/lib/$ma/cnroute/cnroute.so" /usr/share/cnroute/geo-whois-asn-country.mmdb \
	/etc/unbound/cnroute.conf /etc/unbound/unbound.conf.d/cnroute.conf; do
	if in_root setpriv --reuid=unbound --regid=unbound --clear-groups test -r "$f"; then
		ok "readable by the unbound user: $f"
	else
		not_ok "readable by the unbound user: $f" readable "not readable"
	fi
done
check_eq "Unbound's AppArmor local additions include the cnroute rules" \
	"include if exists <abstractions/cnroute>" \
	"$(grep -x 'include if exists <abstractions/cnroute>' "$root/etc/apparmor.d/local/usr.sbin.unbound" || true)"
# Unbound's AppArmor profile still compiles with the cnroute rules in it
# (parsed only: whether AppArmor confines anything here does not matter)
in_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends apparmor \
	>>"$work/apt.log" 2>&1 || { tail -n 30 "$work/apt.log"; bail "apt-get install apparmor failed"; }
if in_root apparmor_parser -Q -K -d /etc/apparmor.d/usr.sbin.unbound >"$work/apparmor.dump" 2>&1; then
	ok "Unbound's AppArmor profile compiles with the cnroute rules"
else
	not_ok "Unbound's AppArmor profile compiles with the cnroute rules" "exit 0" "$(tail -n 3 "$work/apparmor.dump")"
fi
check_eq "... and allows reading the GeoIP database" "(/usr/share/cnroute/**)" \
	"$(sed -n 's|^Mode:[[:space:]]*r:r[[:space:]]*Name:[[:space:]]*\((/usr/share/cnroute/\*\*)\)$|\1|p' "$work/apparmor.dump")"

# the daemons, in a network namespace of their own
unshare --net --fork -- "$0" --in-netns "$debdir" "$root" || true
[[ -f $work/netns.done ]] || bail "the part with the daemons stopped before its end"

# Removing cnroute leaves an Unbound that starts: the link that loads the
# module goes with it (the conffile it pointed to stays until purge).
in_root env DEBIAN_FRONTEND=noninteractive apt-get remove -y -q cnroute >>"$work/apt.log" 2>&1 || {
	tail -n 20 "$work/apt.log"; bail "apt-get remove cnroute failed"; }
link=$root/etc/unbound/unbound.conf.d/cnroute.conf
if [[ ! -e $link && ! -L $link ]]; then
	ok "apt-get remove cnroute: Unbound is no longer told to load the module"
else
	not_ok "apt-get remove cnroute: Unbound is no longer told to load the module" "no $link" "$(ls -l "$link")"
fi
if in_root unbound-checkconf >"$work/checkconf.out" 2>&1; then
	ok "... and unbound-checkconf accepts what is left"
else
	not_ok "... and unbound-checkconf accepts what is left" "exit 0" "$(tail -n 3 "$work/checkconf.out")"
fi
in_root env DEBIAN_FRONTEND=noninteractive apt-get purge -y -q cnroute >>"$work/apt.log" 2>&1 || {
	tail -n 20 "$work/apt.log"; bail "apt-get purge cnroute failed"; }
check_eq "apt-get purge cnroute: its line in Unbound's AppArmor local additions is gone" "" \
	"$(grep -e cnroute "$root/etc/apparmor.d/local/usr.sbin.unbound" || true)"
check_eq "... and so are its conffiles" "" \
	"$(ls "$root/etc/unbound/cnroute.conf" "$root/etc/unbound/cnroute-load.conf" \
		"$root/etc/apparmor.d/abstractions/cnroute" 2>/dev/null || true)"
