#!/bin/bash
# Several Redis keys for one name ("spellings"). Keys map to one canonical
# name: lower case, no trailing dot, Unicode through IDNA2008/UTS 46
# (例子.中国 is xn--fsqu00a.xn--fiqs8s). Why: otherwise the table holds
# whichever spelling was applied last, so the answer depends on SCAN order
# and flips at every reconciliation -- and a revocation written under a
# second spelling may be undone by the next reconciliation.
# - filings: the filing of a name is active only if EVERY spelling says
#   active (canonical revoked + Example.com / example.com. / EXAMPLE.COM.
#   active -> offshore, and the reverse), checked in >= 12 samples over
#   >= 4 s with resync-interval 1 (several reconciliations); all spellings
#   active -> cn; a revocation written live on a non-canonical spelling only
#   -> offshore within ~1 s, and it stays so;
# - routes: the canonical key wins over another spelling, consistently;
#   deleting the canonical key -> the other spelling's rule within ~1 s;
# - Unicode keys match the A-label query name; a Unicode spelling revoked
#   beside an active A-label spelling -> offshore;
# - cnroutectl check reports every collision (exit 2), naming both keys.
# The non-canonical spellings are written after the resolver started, so
# that "the last one applied wins" would pick them; each mixed pattern is
# set up on three domains (and on example.com itself, as the spec has it).
. "$(dirname "$0")/lib.sh"
it_setup
it_cli_conf
LIMIT=1000   # live changes arrive by notification: within ~1 s
F=${IT_PREFIX}filing: R=${IT_PREFIX}route:
# Unicode names that are not managed must fail fast instead of going to the
# root servers: the TLD is stubbed to NSD (which refuses it).
IT_UNBOUND_CLAUSES=$(printf 'stub-zone:\n    name: "xn--fiqs8s"\n    stub-addr: 127.0.0.1@%s\n' "$NSDPORT")
CN=(--ecs 1.0.1.0/24) US=(--ecs 8.8.8.0/24)

# ---------------------------------------------------------------- helpers
# Sampling: scenarios registered with sc_add are all queried in every round;
# sample_all runs >= MIN rounds spread over >= MIN_MS and asserts that every
# sample of every scenario had the expected answer.
SC_DESC=() SC_EXP=() SC_ARGS=()
sc_add() { SC_DESC+=("$1"); SC_EXP+=("$2"); SC_ARGS+=("${*:3}"); }
sc_clear() { SC_DESC=() SC_EXP=() SC_ARGS=(); }
sample_all() {
	local min=${1:-12} min_ms=${2:-4000} gap=${3:-0.33} i n=0 t0 syncs0 syncs1
	local -a bad=() first=()
	for i in "${!SC_DESC[@]}"; do bad[i]=0 first[i]=""; done
	t0=$(now_ms) syncs0=$(modstat full_syncs)
	while ((n < min || $(now_ms) - t0 < min_ms)); do
		for i in "${!SC_DESC[@]}"; do
			# shellcheck disable=SC2086
			q ${SC_ARGS[i]}
			if [[ $Q_RES != "${SC_EXP[i]}" ]]; then
				bad[i]=$((bad[i] + 1))
				[[ -n ${first[i]} ]] || first[i]="sample $((n + 1)): '$Q_RES'"
			fi
		done
		n=$((n + 1))
		sleep "$gap"
	done
	syncs1=$(modstat full_syncs)
	diag "$n samples over $(($(now_ms) - t0)) ms, full_syncs $syncs0 -> $syncs1"
	for i in "${!SC_DESC[@]}"; do
		if ((bad[i] == 0)); then
			ok "${SC_DESC[i]} (all $n samples)"
		else
			not_ok "${SC_DESC[i]}" "'${SC_EXP[i]}' in all $n samples" "${bad[i]} wrong, first ${first[i]}"
		fi
	done
}
# occurrences HAYSTACK NEEDLE
occurrences() {
	local s=$1 n=0
	while [[ $s == *"$2"* ]]; do s=${s#*"$2"}; n=$((n + 1)); done
	echo "$n"
}
# names_both TEXT KEY1 KEY2: status 0 if one line of TEXT names both keys
# (when one key is a prefix of the other, the shorter must appear on its own too)
names_both() {
	local a=$2 b=$3 t line need
	((${#a} > ${#b})) && { t=$a; a=$b; b=$t; }
	need=$((1 + $(occurrences "$b" "$a")))
	while IFS= read -r line; do
		[[ $line == *"$b"* ]] && (($(occurrences "$line" "$a") >= need)) && return 0
	done <<<"$1"
	return 1
}
assert_collision() {  # DESC KEY1 KEY2   (on the last ctl check)
	if names_both "$CTL_OUT"$'\n'"$CTL_ERR" "$2" "$3"; then ok "$1"; else
		not_ok "$1" "a line naming both '$2' and '$3'" "'$(tr '\n' '|' <<<"$CTL_OUT$CTL_ERR" | cut -c1-600)'"
	fi
}

# ---------------------------------------------------------------- data
# Each mixed pattern is set up on three domains: with "the last key applied
# wins", which spelling is applied last depends on Redis's SCAN order, so one
# domain alone could pass by luck.
#   PATTERN  CANONICAL  LIVE SPELLINGS (written after start)
PATTERNS=(
	"case    revoked  Cap:active"
	"dot     revoked  dot:active"
	"three   revoked  Cap:active UPPERdot:active"
	"rev     active   Cap:revoked"
	"revdot  active   dot:revoked"
)
# spell DOMAIN FORM: Cap (first letter upper case), UPPERdot (upper case with
# a trailing dot), dot (trailing dot)
spell() {
	case $2 in Cap) echo "${1^}" ;; UPPERdot) echo "${1^^}." ;; dot) echo "$1." ;; *) echo "$1" ;; esac
}
LIVE=()     # "spelling status" of the filings to write after start
k=0
for p in "${PATTERNS[@]}"; do
	read -r pat canon forms <<<"$p"
	for i in 1 2 3; do
		d=$pat$i.example.org k=$((k + 1))
		filing "$d" "$canon"
		route "www.$d" "192.0.2.$((100 + k))" "198.51.100.$((100 + k))" 30
		desc="$d $canon"
		for f in $forms; do
			LIVE+=("$(spell "$d" "${f%%:*}") ${f#*:}")
			desc+=" + $(spell "$d" "${f%%:*}") ${f#*:}"
		done
		sc_add "$desc -> CN offshore" "$(res NOERROR "A:198.51.100.$((100 + k))")" "${CN[@]}" "www.$d" A
	done
done
filing example.com revoked                    # + Example.com active (live): the spec's own example
filing all.example.org active                 # + All.Example.Org, all.example.org. active (live)
filing '例子.中国' active                       # Unicode key
route f1.example.com 192.0.2.11 198.51.100.11 30
route www.all.example.org 192.0.2.16 198.51.100.16 30
route www.example.com 192.0.2.1 198.51.100.1 30          # A1; WWW.Example.com (A2) live
route 'www.例子.中国' 192.0.2.31 198.51.100.31 30
it_start_unbound main resync-interval=1
it_wait_loaded main $((k + 3)) $((k + 2))

# non-canonical spellings, live
for l in "${LIVE[@]}"; do filing $l; done
filing Example.com active
filing All.Example.Org active
filing all.example.org. active
route WWW.Example.com 192.0.2.2 198.51.100.2 30          # A2
sleep 1.2

# ---- filings: active only if every spelling is active
sc_add "example.com revoked + Example.com active -> CN offshore" "$(res NOERROR A:198.51.100.11)" "${CN[@]}" f1.example.com A
sc_add "all.example.org: three spellings, all active -> CN cn" "$(res NOERROR A:192.0.2.16)" "${CN[@]}" www.all.example.org A
sc_add "all spellings active, US -> offshore" "$(res NOERROR A:198.51.100.16)" "${US[@]}" www.all.example.org A
sc_add "routes www.example.com + WWW.Example.com: canonical wins, US -> its offshore" "$(res NOERROR A:198.51.100.1)" "${US[@]}" www.example.com A
sc_add "routes: canonical wins, CN (filing not active) -> its offshore" "$(res NOERROR A:198.51.100.1)" "${CN[@]}" www.example.com A
sample_all 12 4000

# ---- check reports every collision, naming both keys
ctl check
assert_eq "check with colliding spellings: exit 2" 2 "$CTL_RC"
assert_collision "check: ${F}example.com / ${F}Example.com" "${F}example.com" "${F}Example.com"
assert_collision "check: ${F}case1.example.org / ${F}Case1.example.org" "${F}case1.example.org" "${F}Case1.example.org"
assert_collision "check: ${F}dot1.example.org / ${F}dot1.example.org." "${F}dot1.example.org" "${F}dot1.example.org."
assert_collision "check: ${F}three1.example.org / ${F}Three1.example.org" "${F}three1.example.org" "${F}Three1.example.org"
assert_collision "check: ${F}three1.example.org / ${F}THREE1.EXAMPLE.ORG." "${F}three1.example.org" "${F}THREE1.EXAMPLE.ORG."
assert_collision "check: ${F}rev1.example.org / ${F}Rev1.example.org" "${F}rev1.example.org" "${F}Rev1.example.org"
assert_collision "check: ${F}revdot1.example.org / ${F}revdot1.example.org." "${F}revdot1.example.org" "${F}revdot1.example.org."
assert_collision "check: ${F}all.example.org / ${F}All.Example.Org" "${F}all.example.org" "${F}All.Example.Org"
assert_collision "check: ${F}all.example.org / ${F}all.example.org." "${F}all.example.org" "${F}all.example.org."
assert_collision "check: ${R}www.example.com / ${R}WWW.Example.com" "${R}www.example.com" "${R}WWW.Example.com"

# ---- example.com: the last spelling made active -> cn; routes: the canonical key's cn pool
rcli HSET "${F}example.com" status active >/dev/null
eventually "example.com: now every spelling active -> CN cn" $LIMIT "$(res NOERROR A:192.0.2.11)" "${CN[@]}" f1.example.com A
sc_clear
sc_add "example.com, every spelling active -> CN cn" "$(res NOERROR A:192.0.2.11)" "${CN[@]}" f1.example.com A
sc_add "routes www.example.com (A1) + WWW.Example.com (A2): canonical wins, CN -> A1" "$(res NOERROR A:192.0.2.1)" "${CN[@]}" www.example.com A
sample_all 12 4000
rcli DEL "${R}www.example.com" >/dev/null
eventually "route: DEL the canonical key -> WWW.Example.com's rule (A2)" $LIMIT "$(res NOERROR A:192.0.2.2)" "${CN[@]}" www.example.com A

# ---- a live revocation on a non-canonical spelling only
rcli HSET "${F}Example.com" status revoked >/dev/null
eventually "live: HSET ${F}Example.com status revoked (non-canonical only) -> CN offshore" $LIMIT "$(res NOERROR A:198.51.100.11)" "${CN[@]}" f1.example.com A
sc_clear
sc_add "after the live revocation on Example.com, CN stays offshore" "$(res NOERROR A:198.51.100.11)" "${CN[@]}" f1.example.com A
sample_all 8 2500

# ---- Unicode keys
expect "Unicode keys (filing 例子.中国 active, route www.例子.中国): CN -> cn" "$(res NOERROR A:192.0.2.31)" "${CN[@]}" www.xn--fsqu00a.xn--fiqs8s A
expect "Unicode keys: US -> offshore" "$(res NOERROR A:198.51.100.31)" "${US[@]}" www.xn--fsqu00a.xn--fiqs8s A
rcli HSET "${F}例子.中国" status revoked >/dev/null
eventually "live: HSET ${F}例子.中国 status revoked -> CN offshore" $LIMIT "$(res NOERROR A:198.51.100.31)" "${CN[@]}" www.xn--fsqu00a.xn--fiqs8s A
filing xn--fsqu00a.xn--fiqs8s active
sleep 1.2
sc_clear
sc_add "A-label spelling active + Unicode spelling revoked -> CN offshore" "$(res NOERROR A:198.51.100.31)" "${CN[@]}" www.xn--fsqu00a.xn--fiqs8s A
sample_all 12 4000
ctl check
assert_eq "check with a Unicode and an A-label spelling: exit 2" 2 "$CTL_RC"
assert_collision "check: ${F}例子.中国 / ${F}xn--fsqu00a.xn--fiqs8s" "${F}例子.中国" "${F}xn--fsqu00a.xn--fiqs8s"
rcli HSET "${F}例子.中国" status active >/dev/null
eventually "Unicode spelling active again (both spellings active) -> CN cn" $LIMIT "$(res NOERROR A:192.0.2.31)" "${CN[@]}" www.xn--fsqu00a.xn--fiqs8s A
it_done
