#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# run-bench.sh: the benchmarks end to end (make bench).  Installs what is
# missing (the rig's setup.sh), builds kvmx's modules, kvmx-bench and
# kvmx-mmu-bench, then for each host and suite boots the host once with
# the distro's KVM loaded and kvmx's modules staged (run.sh --ref
# --stage-alt): the program measures the distro's KVM, swaps in kvmx,
# measures it, swaps back.  Two suites, one boot each:
#
#   exit  kvmx-bench, the exit and interrupt costs: 1 CPU, so that
#         nothing runs beside the vCPU threads and the VMM's
#   mmu   kvmx-mmu-bench, demand paging from 1..N vCPUs and dirty logging
#         of a large slot: N CPUs (--mmu-cpus, default 2 on SVM)
#
# The tables go to the terminal and to OUT/HOST-SUITE-KVER/table.txt
# (OUT: build/bench; the exit suite's directory is HOST-KVER, as before).
#
#   run-bench.sh [--host svm|vmx]... [--suite exit|mmu]... [--kdir DIR]
#                [--modules DIR] [--out DIR] [--mmu-size MIB]
#                [--mmu-runs N] [--mmu-cpus N] [--mmu-mem MB]
#                [--exit-iters N] [--exit-runs N] [--exit-rows A,B,..]
#                [--distro-only] [-v]
#
# --host and --suite may be repeated (default: svm, both suites);
# --modules takes kvmx's modules from DIR instead of building the tree's;
# --mmu-size/-runs/-cpus/-mem: the MMU slot in MiB (default 1024 on SVM),
# runs per row, emulated CPUs and memory of its boot; --exit-iters/-runs/
# -rows: the exit suite's round trips per run, runs per row and rows (by
# name, comma-separated; default all); --distro-only measures the distro's
# KVM alone (kvmx is neither built nor staged: its column stays empty);
# -v shows the host's console.  Exit status: 0 if every boot produced a table with complete
# distro columns (kvmx's rows may be n/a), 1 otherwise, 2 on usage errors.
# See Documentation/benchmarks.rst.

set -euo pipefail

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)
RIG=$TOP/tools/testing/rig
BENCH=$TOP/tools/testing/bench
BIN=$TOP/build/bench

usage() {
	echo "usage: $0 [--host svm|vmx]... [--suite exit|mmu]... [--kdir DIR] [--modules DIR] [--out DIR]" >&2
	echo "       [--mmu-size MIB] [--mmu-runs N] [--mmu-cpus N] [--mmu-mem MB]" >&2
	echo "       [--exit-iters N] [--exit-runs N] [--exit-rows A,B,..] [--distro-only] [-v]" >&2
	exit 2
}

hosts=() suites=() kdir= moddir= outbase=$TOP/build/bench rig_args=()
mmu_size= mmu_runs= mmu_cpus= mmu_mem=
exit_vars= distro_only=0
while [ $# -gt 0 ]; do
	case $1 in
	--host) hosts+=("${2:?}"); shift ;;
	--suite) suites+=("${2:?}"); shift ;;
	--kdir) kdir=${2:?}; shift ;;
	--modules) moddir=${2:?}; shift ;;
	--out) outbase=${2:?}; shift ;;
	--mmu-size) mmu_size=${2:?}; shift ;;
	--mmu-runs) mmu_runs=${2:?}; shift ;;
	--mmu-cpus) mmu_cpus=${2:?}; shift ;;
	--mmu-mem) mmu_mem=${2:?}; shift ;;
	--exit-iters) exit_vars+=" KVMX_BENCH_ITERS=${2:?}"; shift ;;
	--exit-runs) exit_vars+=" KVMX_BENCH_RUNS=${2:?}"; shift ;;
	--exit-rows) exit_vars+=" KVMX_BENCH_ROWS=${2:?}"; shift ;;
	--distro-only) distro_only=1 ;;
	-v|--verbose) rig_args+=(-v) ;;
	*) usage ;;
	esac
	shift
done
[ ${#hosts[@]} -gt 0 ] || hosts=(svm)
[ ${#suites[@]} -gt 0 ] || suites=(exit mmu)
for s in "${suites[@]}"; do
	case $s in exit|mmu) ;; *) echo "bench: --suite must be exit or mmu" >&2; exit 2 ;; esac
done
for h in "${hosts[@]}"; do
	case $h in svm|vmx) ;; *) echo "bench: --host must be svm or vmx" >&2; exit 2 ;; esac
done

"$RIG/setup.sh"
[ -n "$kdir" ] || kdir=$(ls -d /usr/src/linux-headers-*-amd64 2>/dev/null | sort -V | tail -n 1)
kdir=${kdir%/}
kver=$(basename "$kdir")
kver=${kver#linux-headers-}
if [ "$distro_only" = 1 ]; then
	moddir=$TOP
elif [ -z "$moddir" ]; then
	echo "bench: building the kvmx modules"
	make -C "$TOP" -j"$(nproc)" KDIR="$kdir" modules
	moddir=$TOP
fi
echo "bench: building kvmx-bench and kvmx-mmu-bench"
make -C "$BENCH"

status=0
for host in "${hosts[@]}"; do
	for suite in "${suites[@]}"; do
		case $host-$suite in
		svm-exit)
			title="SVM host: QEMU TCG -cpu max, 1 CPU, -icount shift=0,sleep=off (1 TSC cycle = 1 instruction = 1 ns of guest time)"
			limit=900 cpus=1 ;;
		vmx-exit)
			title="VMX host: Bochs corei7_skylake_x, 1 CPU, ips=200000000, clock sync=none (1 TSC cycle = 1 instruction)"
			limit=3600 cpus=1 ;;
		svm-mmu)
			cpus=${mmu_cpus:-2} size=${mmu_size:-1024}
			# The host's 2 GiB hold a 1 GiB slot; more needs more.
			mem=${mmu_mem:-$(( size + 1024 > 2048 ? size + 1024 : 2048 ))}
			title="SVM host: QEMU TCG -cpu max, $cpus CPUs, ${mem} MiB, -icount shift=0,sleep=off (1 ns of the host's clock = 1 instruction)"
			limit=3000 ;;
		vmx-mmu)
			# Bochs: a few million instructions a second, 1 GiB of
			# RAM by default: a small slot.
			cpus=${mmu_cpus:-1} size=${mmu_size:-128}
			mem=${mmu_mem:-$(( size + 768 > 1024 ? size + 768 : 1024 ))}
			title="VMX host: Bochs corei7_skylake_x, $cpus CPU(s), ${mem} MiB, ips=200000000, clock sync=none (1 ns = 1 instruction)"
			limit=7200 ;;
		esac
		rig=(--cpus "$cpus")
		[ "$distro_only" = 1 ] || rig+=(--stage-alt)
		if [ "$suite" = exit ]; then
			out=$outbase/$host-$kver
			prog=$BIN/kvmx-bench
			[ -z "$exit_vars" ] || rig+=(--append "${exit_vars# }")
		else
			out=$outbase/$host-mmu-$kver
			prog=$BIN/kvmx-mmu-bench
			rig+=(--mem "$mem")
			# Programs run without arguments: the kernel passes
			# unknown NAME=VALUE parameters to /init as environment.
			vars="KVMX_MMU_SIZE_MIB=$size KVMX_MMU_VCPUS=$cpus"
			[ -z "$mmu_runs" ] || vars+=" KVMX_MMU_RUNS=$mmu_runs"
			rig+=(--append "$vars")
		fi
		echo
		if [ "$distro_only" = 1 ]; then
			echo "bench: $host host, $suite suite, the distro's KVM only"
		else
			echo "bench: $host host, $suite suite, distro KVM then kvmx, one boot"
		fi
		start=$(date +%s)
		"$RIG/run.sh" --host "$host" --ref --icount \
			"${rig[@]}" --kdir "$kdir" --modules "$moddir" \
			--timeout "$limit" --out "$out" "${rig_args[@]}" \
			"$prog" || status=1
		echo
		if ! awk -v title="$title" -f "$BENCH/table.awk" "$out/logs/1.log" >"$out/table.txt"; then
			status=1
		fi
		cat "$out/table.txt"
		echo "bench: $out/table.txt; raw figures in $out/logs/1.log; the boot took $(( $(date +%s) - start )) s"
	done
done
exit $status
