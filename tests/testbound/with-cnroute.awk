# with-cnroute.awk - rewrite a testbound scenario (.rpl) so that cnroute is
# loaded in its module stack.
#
# Copyright (c) 2026, the cnroute authors. BSD-3-Clause, see LICENSE.
#
#   awk -v so=/abs/path/cnroute.so [-v place=first] -f with-cnroute.awk \
#       in.rpl > out.rpl
#
# place=first puts dynlib in front of every other module instead, to see
# what a wrong place breaks (dns64 does not work behind another module).
#
# Only the config section (up to the first CONFIG_END) changes:
#  - every "module-config:" gets "dynlib" at cnroute's place (see
#    cnroute_stack); a scenario without one gets Unbound's default
#    "validator iterator" with dynlib at its place, in a "server:" clause
#    of its own (clauses may be reopened);
#  - a "dynlib:" clause naming the module is added.
# The rest of the scenario (the replay, the checks) is kept as it is.

# The module stack with cnroute at its place: right after dns64 when the
# stack has it, else first. dns64 sets its per-query state up only on a
# query's first event, which only the first module gets: behind another
# module it does not map ip6.arpa PTR queries and lets its AAAA NODATA
# answers be cached (Unbound's dns64_lookup scenario fails). Everything
# else comes after cnroute: it sees the client first, answers managed
# names itself, and keeps its answers away from subnetcache (which would
# echo and cache them per subnet), the validator (which would validate a
# synthetic answer) and the caches. respip after cnroute means response-ip
# actions do not apply to cnroute's answers; unbound-checkconf knows
# "dynlib respip validator iterator" and not the other way round.
function cnroute_stack(stack,    n, i, m, out, placed, at_front) {
	n = split(stack, m, /[ \t]+/)
	at_front = place == "first" || stack !~ /(^|[ \t])dns64([ \t]|$)/
	out = at_front ? "dynlib" : ""
	placed = at_front
	for(i = 1; i <= n; i++) {
		if(m[i] == "")
			continue
		out = out (out == "" ? "" : " ") m[i]
		if(!placed && m[i] == "dns64") {
			out = out " dynlib"
			placed = 1
		}
	}
	return out
}

BEGIN {
	if(so == "") {
		print "with-cnroute.awk: -v so=PATH is required" > "/dev/stderr"
		exit 2
	}
	in_config = 1
	had_module_config = 0
}

in_config && /^[ \t]*(server:[ \t]*)?module-config:/ {
	line = $0
	indent = line
	sub(/module-config:.*/, "", indent)
	value = line
	sub(/^[ \t]*(server:[ \t]*)?module-config:[ \t]*/, "", value)
	if(value ~ /^"/) {
		sub(/^"/, "", value)
		sub(/".*/, "", value)
	} else {
		sub(/[ \t#].*/, "", value)
	}
	print indent "module-config: \"" cnroute_stack(value) "\""
	had_module_config = 1
	next
}

in_config && /^[ \t]*CONFIG_END/ {
	if(!had_module_config) {
		print "server:"
		print "\tmodule-config: \"" cnroute_stack("validator iterator") "\""
	}
	print "dynlib:"
	print "\tdynlib-file: \"" so "\""
	in_config = 0
}

{ print }
