#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# check-run.sh: the steps behind "make check" and friends (see
# tools/testing/check.mk, which calls this with the top Makefile's KDIR).
#
#   check-run.sh [--kdir DIR] [--ref] STEP...
#
# Steps, run in the order given:
#   build     build the modules with W=1 C=2 (sparse) against every installed
#             /usr/src/linux-headers-*-amd64 (and KDIR), each in a fresh copy
#             under build/check/; any warning fails.  Then "modules".
#   modules   plain build of the modules against KDIR (when "build" is not run)
#   unit      make -C tools/testing/unit check and tools/testing/unit/dev
#   svm, vmx  build the selftests and the VMM, and run them in the emulated
#             SVM (QEMU) or VMX (Bochs) host, against kvmx (or with --ref
#             the distro's KVM)
# Every build and every test is one result.  The last line of the output is
# "N passed, N failed, N skipped"; the exit status is non-zero if anything
# failed.  All results also go to build/check/results.txt.
#
# Environment: TESTS (an extended regexp: only the selftests whose path
# matches), RIG_ARGS (more run.sh options, e.g. "-v"), SVM_TIMEOUT and
# VMX_TIMEOUT (per-test limits in seconds), SELFTESTS (selftests directory).

set -uo pipefail

# The whole script is one compound command, read before it runs: editing
# this file cannot derail runs in progress.
{

RIG=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TOP=$(cd "$RIG/../../.." && pwd)
OUT=$TOP/build/check
SELFTESTS=${SELFTESTS:-$TOP/tools/testing/selftests/kvm}
JOBS=$(nproc 2>/dev/null || echo 2)

kdir= ref=
steps=()
while [ $# -gt 0 ]; do
	case $1 in
	--kdir) kdir=$2; shift ;;
	--ref) ref=--ref ;;
	-*) echo "check-run.sh: unknown option $1" >&2; exit 2 ;;
	*) steps+=("$1") ;;
	esac
	shift
done
[ -n "$kdir" ] || kdir=$(ls -d /usr/src/linux-headers-*-amd64 2>/dev/null | sort -V | tail -n 1)
kdir=${kdir%/}

mkdir -p "$OUT"
# One check at a time per tree: they share build/check and the modules.
exec 8>"$OUT.lock"
if ! flock -n 8; then
	echo "check: waiting for another check in this tree to finish"
	flock 8
fi
RESULTS=$OUT/results.txt
: >"$RESULTS"
t_start=$(date +%s)

# result STATUS WHAT NAME [DETAIL]
result() {
	result_quiet "$@"
	printf '%-4s %s %s%s\n' "$1" "$2" "$3" "${4:+ ($4)}"
}
result_quiet() {
	printf '%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "${4:-}" >>"$RESULTS"
}

section() { printf '\n==== %s\n' "$*"; }

# kbuild output lines that make a build check fail: compiler, sparse,
# objtool and modpost warnings, and errors.
bad_build_lines() {
	grep -iE '(warning|error):|^WARNING: ' "$1" || true
}

# build_check KDIR DIR: build the modules found in DIR (a copy of the
# tree) with W=1 C=2.
build_check() {
	local kd=$1 dir=$2 kver log bad t0 rc
	kver=$(basename "$kd"); kver=${kver#linux-headers-}
	log=$OUT/build-$kver.log
	t0=$(date +%s)
	make -C "$dir" -j"$JOBS" KDIR="$kd" W=1 C=2 modules >"$log" 2>&1
	rc=$?
	bad=$(bad_build_lines "$log")
	if [ $rc -ne 0 ]; then
		result FAIL build "modules W=1 C=2 ($kver)" "make failed, status $rc; log: $log"
		tail -n 30 "$log"
	elif [ -n "$bad" ]; then
		result FAIL build "modules W=1 C=2 ($kver)" "$(grep -c . <<<"$bad") warning line(s); log: $log"
		head -n 40 <<<"$bad"
	else
		result PASS build "modules W=1 C=2 ($kver)" "$(($(date +%s) - t0))s"
	fi
	return $rc
}

# A copy of the module sources (no build products) to build against
# another kernel without disturbing the tree's own build.
copy_tree() {
	local dest=$1
	rm -rf "$dest"
	mkdir -p "$dest"
	tar -C "$TOP" --exclude=./build --exclude=./.git --exclude=./tools \
		--exclude='*.o' --exclude='*.ko' --exclude='*.cmd' --exclude='*.mod' \
		--exclude='*.mod.c' --exclude=Module.symvers --exclude=modules.order \
		-cf - . | tar -C "$dest" -xf -
}

MODULES_OK=
step_build() {
	local kd kver all=()
	section "build checks"
	# Fresh copies, so that every file is compiled (kbuild would not
	# recompile, and so not warn about, an object already up to date).
	all=($(ls -d /usr/src/linux-headers-*-amd64 2>/dev/null | sort -V))
	for kd in "${all[@]}"; do
		[ "$(readlink -f "$kd")" != "$(readlink -f "$kdir")" ] || kdir_listed=1
	done
	[ -n "${kdir_listed:-}" ] || all+=("$kdir")
	for kd in "${all[@]}"; do
		kver=$(basename "$kd"); kver=${kver#linux-headers-}
		copy_tree "$OUT/tree-$kver"
		build_check "$kd" "$OUT/tree-$kver"
	done
	# The modules the hosts load: the tree's own build, against KDIR.
	step_modules
}

step_modules() {
	local log=$OUT/modules.log kver
	kver=$(basename "$kdir"); kver=${kver#linux-headers-}
	section "build the modules to test ($kver)"
	if make -C "$TOP" -j"$JOBS" KDIR="$kdir" modules >"$log" 2>&1; then
		MODULES_OK=1
		result PASS build "modules ($kver)"
	else
		MODULES_OK=0
		result FAIL build "modules ($kver)" "log: $log"
		tail -n 30 "$log"
	fi
}

# unit_dir DIR: run one userspace unit-test directory's "make check".
unit_dir() {
	local dir=$1 log=$OUT/unit-$(basename "$1").log n
	make -C "$TOP/$dir" check >"$log" 2>&1
	local rc=$?
	# Take its own PASS/FAIL/SKIP lines as results if it prints any.
	n=$(grep -cE '^(PASS|FAIL|SKIP) ' "$log")
	if [ "$n" -gt 0 ]; then
		grep -E '^(PASS|FAIL|SKIP) ' "$log" | while read -r status name; do
			result "$status" unit "$name"
		done
		if [ $rc -ne 0 ] && ! grep -q '^FAIL ' "$log"; then
			result FAIL unit "make -C $dir check" "status $rc; log: $log"
		fi
	elif [ $rc -eq 0 ]; then
		result PASS unit "make -C $dir check"
	else
		result FAIL unit "make -C $dir check" "status $rc; log: $log"
	fi
	if [ $rc -ne 0 ]; then
		tail -n 30 "$log"
	fi
}

# The emulator's tests (and fuzzers), then the device models'.
step_unit() {
	local dir
	section "unit tests"
	if [ ! -d "$TOP/tools/testing/unit" ]; then
		result SKIP unit "unit tests" "no tools/testing/unit yet"
		return
	fi
	for dir in tools/testing/unit tools/testing/unit/dev; do
		if [ -f "$TOP/$dir/Makefile" ]; then
			unit_dir "$dir"
		fi
	done
}

# The selftests and the VMM are built once, for both hosts.
TESTS_BUILT= TEST_LIST=$OUT/tests.list TEST_LIST_VMX=$OUT/tests-vmx.list
VMM=$TOP/build/vmm/kvmx-vmm

# list_tests TARGET FILE: the selftests Makefile's list of test programs
# (one path per line, optionally followed by a time limit), made absolute.
list_tests() {
	local target=$1 file=$2 path rest
	: >"$file"
	make -s --no-print-directory -C "$SELFTESTS" "$target" 2>/dev/null >"$file.raw" || return 1
	while read -r path rest; do
		case $path in ''|'#'*) continue ;; esac
		if [ -n "${TESTS:-}" ] && ! grep -qE -- "$TESTS" <<<"$path"; then
			continue
		fi
		case $path in
		/*) ;;
		*) if [ -e "$SELFTESTS/$path" ]; then path=$SELFTESTS/$path; else path=$TOP/$path; fi ;;
		esac
		if [ ! -x "$path" ] || [ ! -f "$path" ]; then
			result FAIL build "selftests $target" "$path is not an executable file"
			continue
		fi
		echo "$path${rest:+ $rest}" >>"$file"
	done <"$file.raw"
	rm -f "$file.raw"
}

build_tests() {
	[ -z "$TESTS_BUILT" ] || return 0
	TESTS_BUILT=1
	section "build the VMM and the selftests"
	if make -C "$TOP/tools/vmm" >"$OUT/vmm.log" 2>&1; then
		result PASS build "tools/vmm"
	else
		result FAIL build "tools/vmm" "log: $OUT/vmm.log"
		tail -n 20 "$OUT/vmm.log"
	fi
	: >"$TEST_LIST"
	: >"$TEST_LIST_VMX"
	if [ ! -f "$SELFTESTS/Makefile" ]; then
		result SKIP build "selftests" "no $SELFTESTS/Makefile yet"
		return 0
	fi
	if make -C "$SELFTESTS" -j"$JOBS" >"$OUT/selftests.log" 2>&1; then
		result PASS build "selftests"
	else
		result FAIL build "selftests" "log: $OUT/selftests.log"
		tail -n 30 "$OUT/selftests.log"
		return 0
	fi
	# Against the distro KVM, also the cases kvmx implements only in later
	# issues (built with KVMX_TEST_LATER_ISSUES): they must pass there.
	local all=list vmx=list-vmx
	if [ -n "${ref:-}" ]; then all=list-ref vmx=list-vmx-ref; fi
	if ! list_tests $all "$TEST_LIST"; then
		result FAIL build "selftests list" "make -C $SELFTESTS $all failed"
		return 0
	fi
	# A lean list for the slow VMX host, if the selftests offer one.
	list_tests $vmx "$TEST_LIST_VMX" || cp "$TEST_LIST" "$TEST_LIST_VMX"
}

# A common parent directory of the listed tests, so that names keep their
# subdirectory (x86/foo_test).
name_base() {
	local list=$1 base p
	base=$(head -n 1 "$list" | awk '{print $1}')
	base=$(dirname "${base:-/}")
	while read -r p _; do
		while [ "$base" != / ] && [ "${p#"$base"/}" = "$p" ]; do
			base=$(dirname "$base")
		done
	done <"$list"
	echo "$base"
}

step_host() {
	local host=$1 list limit label out base tests=() rc
	label=$host${ref:+-ref}
	build_tests
	section "$label: selftests in the emulated ${host^^} host"
	if [ -z "$ref" ] && [ "$MODULES_OK" != 1 ]; then
		if [ -z "$MODULES_OK" ]; then
			step_modules
		fi
		if [ "$MODULES_OK" != 1 ]; then
			result FAIL "$label" "all tests" "not run: the modules did not build"
			return
		fi
	fi
	if [ "$host" = svm ]; then
		list=$TEST_LIST limit=${SVM_TIMEOUT:-}
	else
		list=$TEST_LIST_VMX limit=${VMX_TIMEOUT:-}
	fi
	[ -x "$VMM" ] && tests+=("$VMM")
	base=/
	[ -s "$list" ] && base=$(name_base "$list")
	# Names relative to the selftests' output directory if they are there
	# (x86/foo, not build/x86/foo), else to the selftests' sources.
	out=$OUT/$label
	rm -f "$out/results.txt"
	# The rig's report as it comes (without its own summary line), then
	# its results into ours.
	# shellcheck disable=SC2086 # RIG_ARGS is a list of options
	"$RIG/run.sh" --host "$host" $ref --kdir "$kdir" --out "$out" \
		--list "$list" --name-base "$SELFTESTS/build" --name-base "$SELFTESTS" \
		--name-base "$base" ${limit:+--timeout "$limit"} \
		${RIG_ARGS:-} "${tests[@]}" 2>&1 | tee "$OUT/$label.log" |
		grep --line-buffered -vE '^[0-9]+ passed, [0-9]+ failed'
	rc=${PIPESTATUS[0]}
	if [ "$rc" -le 1 ] && [ -s "$out/results.txt" ]; then
		while IFS=$'\t' read -r status host_label name detail; do
			result_quiet "$status" "$host_label" "$name" "$detail"
		done <"$out/results.txt"
	else
		result FAIL "$label" "rig" "run.sh failed (status $rc): see $OUT/$label.log"
	fi
}

for step in "${steps[@]}"; do
	case $step in
	build) step_build ;;
	modules) step_modules ;;
	unit) step_unit ;;
	svm|vmx) step_host "$step" ;;
	*) echo "check-run.sh: unknown step $step" >&2; exit 2 ;;
	esac
done

npass=$(grep -c '^PASS' "$RESULTS")
nfail=$(grep -c '^FAIL' "$RESULTS")
nskip=$(grep -c '^SKIP' "$RESULTS")
section "summary (${steps[*]}${ref:+, distro KVM}): $(($(date +%s) - t_start))s; results in $RESULTS"
if [ "$nfail" -gt 0 ]; then
	echo "failed:"
	grep '^FAIL' "$RESULTS" | awk -F'\t' '{ printf "  %s %s%s\n", $2, $3, ($4 != "" ? " (" $4 ")" : "") }'
fi
echo "$npass passed, $nfail failed, $nskip skipped"
[ "$nfail" -eq 0 ]
exit
}
