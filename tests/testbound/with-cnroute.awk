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

# The module stack with cnroute at its place: in front of the first of
# subnetcache, validator, cachedb and iterator, i.e. after the modules that
# must see the query first or act on the final answer (dns64, which only
# sets itself up on a query's first event and so must come first; respip,
# whose response-ip actions must apply to cnroute's answers too; ipsecmod,
# ipset, python), and before the ones that must not see cnroute's answers:
# subnetcache (it would echo and cache them per subnet), the validator (it
# would validate a synthetic answer) and the caches and the iterator.
function cnroute_stack(stack,    n, i, m, out, placed) {
	n = split(stack, m, /[ \t]+/)
	out = place == "first" ? "dynlib" : ""
	placed = place == "first"
	for(i = 1; i <= n; i++) {
		if(m[i] == "")
			continue
		if(!placed && (m[i] == "subnetcache" || m[i] == "validator" ||
			m[i] == "cachedb" || m[i] == "iterator")) {
			out = out (out == "" ? "" : " ") "dynlib"
			placed = 1
		}
		out = out (out == "" ? "" : " ") m[i]
	}
	if(!placed)
		out = out (out == "" ? "" : " ") "dynlib"
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
