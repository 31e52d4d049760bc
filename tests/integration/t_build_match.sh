#!/bin/bash
# The module refuses to run inside an Unbound other than the one it was
# built for: init fails, Unbound does not start, and one log line names
# both. Other Unbounds here are copies of the daemon with its release
# string (PACKAGE_STRING) or its configure line (unbound -V) changed in the
# binary, which is all the module compares; with IT_OTHER_BUILD=DIR (another
# build directory, e.g. one made with UNBOUND_SUITE=trixie) also this
# build's module in that daemon and that build's module in this daemon.
# Control: this build's module in this build's daemon starts.
. "$(dirname "$0")/lib.sh"
it_setup

# check_refused INST DESC LOG-ERE: Unbound INST exits non-zero, and exactly
# one cnroute line is logged, matching LOG-ERE.
check_refused() {
	local inst=$1 desc=$2 pat=$3 logs lines
	it_expect_refused "$inst" "$desc"; logs=$REPLY
	lines=$(grep -c 'cnroute' <<<"$logs")
	if grep -qE -- "$pat" <<<"$logs"; then ok "$desc: log line /$pat/"
	else not_ok "$desc: log line" "a line matching /$pat/" "'$(grep -iE 'cnroute|error|fatal' <<<"$logs" | tail -3 | tr '\n' '|')'"; fi
	assert_eq "$desc: one cnroute log line" 1 "$lines"
}

# patched_daemon FILE FROM TO: a copy of this build's daemon at FILE with
# every NUL-terminated string FROM replaced by TO (same length).
patched_daemon() {
	local file=$1 from=$2 to=$3
	((${#from} == ${#to})) || it_bail "patched_daemon: '$from' and '$to' differ in length"
	cp "$UNBOUND" "$file"
	FROM=$from TO=$to perl -0777 -pi -e 's/\Q$ENV{FROM}\E\0/$ENV{TO}\0/g' "$file"
	cmp -s "$UNBOUND" "$file" && it_bail "patched_daemon: '$from' is not in $UNBOUND"
}

# launch_with DAEMON MODULE INST: write INST's configuration and start
# DAEMON with MODULE.
launch_with() {
	local daemon=$1 module=$2 inst=$3
	CNROUTE_SO=$module it_unbound_conf "$inst"
	cnroute_conf "${UB_DIR[$inst]}/cnroute.conf"
	UNBOUND=$daemon it_launch_unbound "$inst"
}

version=$("$UNBOUND" -V | sed -n 's/^Version //p')
confline=$("$UNBOUND" -V | sed -n 's/^Configure line: //p')
[[ -n $version && -n $confline ]] || it_bail "unbound -V names no version or configure line"
diag "this build: unbound $version, configure line: $confline"

# control: the Unbound the module was built for
it_start_unbound main
ok "the module loads into the Unbound it was built for"
grep -q 'cnroute: built for' "${UB_DIR[main]}/unbound.log" &&
	not_ok "no refusal logged by the Unbound it was built for" "" "$(grep 'cnroute: built for' "${UB_DIR[main]}/unbound.log")"
it_stop_unbound main

# another release: the last digit of the version changed
last=${version: -1}
[[ $last == [0-9] ]] || it_bail "version $version does not end in a digit"
other="${version%?}$(((last + 1) % 10))"
patched_daemon "$IT_WORK/unbound-other-release" "unbound $version" "unbound $other"
launch_with "$IT_WORK/unbound-other-release" "$CNROUTE_SO" release
check_refused release "daemon of another release" \
	"cnroute: built for unbound ${version//./\\.} but loaded into unbound ${other//./\\.}"

# the same release configured otherwise: the configure line's last character changed
c=${confline: -1}
[[ $c == X ]] && o=Y || o=X
patched_daemon "$IT_WORK/unbound-other-conf" "$confline" "${confline%?}$o"
launch_with "$IT_WORK/unbound-other-conf" "$CNROUTE_SO" configured
check_refused configured "daemon configured otherwise" \
	"cnroute: built for unbound ${version//./\\.} configured with .* but loaded into unbound ${version//./\\.} configured otherwise"

# a real other build, both ways
if [[ -n ${IT_OTHER_BUILD:-} ]]; then
	other_ub=$IT_OTHER_BUILD/unbound/sbin/unbound other_so=$IT_OTHER_BUILD/cnroute.so
	[[ -x $other_ub && -f $other_so ]] || it_bail "IT_OTHER_BUILD=$IT_OTHER_BUILD holds no unbound/sbin/unbound and cnroute.so"
	other_version=$("$other_ub" -V | sed -n 's/^Version //p')
	diag "other build: unbound $other_version"
	launch_with "$other_ub" "$CNROUTE_SO" this_in_other
	check_refused this_in_other "this module in unbound $other_version" \
		"cnroute: built for unbound ${version//./\\.}.* loaded into unbound ${other_version//./\\.}"
	launch_with "$UNBOUND" "$other_so" other_in_this
	check_refused other_in_this "unbound $other_version's module in this Unbound" \
		"cnroute: built for unbound ${other_version//./\\.}.* loaded into unbound ${version//./\\.}"
fi
it_done
