#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# run-bench.sh: the exit-cost benchmark end to end (make bench).  Installs
# what is missing (the rig's setup.sh), builds kvmx's modules and
# kvmx-bench, then for each host boots it once with the distro's KVM
# loaded and kvmx's modules staged (run.sh --ref --stage-alt): kvmx-bench
# measures the distro's KVM, swaps in kvmx, measures it, swaps back.  The
# table goes to the terminal and to build/bench/HOST-KVER/table.txt.
#
#   run-bench.sh [--host svm|vmx]... [--kdir DIR] [--modules DIR] [-v]
#
# --host may be repeated (default: svm); --modules takes kvmx's modules
# from DIR instead of building the tree's; -v shows the host's console.
# Exit status: 0 if every host produced a table with a complete distro
# column (kvmx's rows may be n/a), 1 otherwise, 2 on usage errors.
# See Documentation/benchmarks.rst.

set -euo pipefail

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)
RIG=$TOP/tools/testing/rig
BENCH=$TOP/tools/testing/bench
BIN=$TOP/build/bench/kvmx-bench

hosts=() kdir= moddir= rig_args=()
while [ $# -gt 0 ]; do
	case $1 in
	--host) hosts+=("${2:?}"); shift ;;
	--kdir) kdir=${2:?}; shift ;;
	--modules) moddir=${2:?}; shift ;;
	-v|--verbose) rig_args+=(-v) ;;
	*) echo "usage: $0 [--host svm|vmx]... [--kdir DIR] [--modules DIR] [-v]" >&2
	   exit 2 ;;
	esac
	shift
done
[ ${#hosts[@]} -gt 0 ] || hosts=(svm)

"$RIG/setup.sh"
[ -n "$kdir" ] || kdir=$(ls -d /usr/src/linux-headers-*-amd64 2>/dev/null | sort -V | tail -n 1)
kdir=${kdir%/}
kver=$(basename "$kdir")
kver=${kver#linux-headers-}
if [ -z "$moddir" ]; then
	echo "bench: building the kvmx modules"
	make -C "$TOP" -j"$(nproc)" KDIR="$kdir" modules
	moddir=$TOP
fi
echo "bench: building kvmx-bench"
make -C "$BENCH"

status=0
for host in "${hosts[@]}"; do
	case $host in
	svm) title="SVM host: QEMU TCG -cpu max, 1 CPU, -icount shift=0,sleep=off (1 TSC cycle = 1 instruction = 1 ns of guest time)"
	     limit=900 ;;
	vmx) title="VMX host: Bochs corei7_skylake_x, 1 CPU, ips=200000000, clock sync=none (1 TSC cycle = 1 instruction)"
	     limit=3600 ;;
	*) echo "bench: --host must be svm or vmx" >&2; exit 2 ;;
	esac
	out=$TOP/build/bench/$host-$kver
	echo
	echo "bench: $host host, distro KVM then kvmx, one boot"
	# One CPU: nothing else runs beside the benchmark's vCPU thread.
	"$RIG/run.sh" --host "$host" --ref --stage-alt --icount --cpus 1 \
		--kdir "$kdir" --modules "$moddir" --timeout "$limit" \
		--out "$out" "${rig_args[@]}" "$BIN" || status=1
	echo
	if ! awk -v title="$title" -f "$BENCH/table.awk" "$out/logs/1.log" >"$out/table.txt"; then
		status=1
	fi
	cat "$out/table.txt"
	echo "bench: $out/table.txt; raw figures in $out/logs/1.log"
done
exit $status
