# SPDX-License-Identifier: GPL-2.0-only
#
# The benchmarks, included by the top Makefile (which sets TOP, KDIR):
# exit costs (kvmx-bench) and the MMU's demand paging and dirty logging
# (kvmx-mmu-bench), each in one boot of the emulated host, the distro's
# KVM then kvmx.  Not part of make check.  The work is done by
# tools/testing/bench/run-bench.sh; see Documentation/benchmarks.rst.
#
#   make bench          build, boot the SVM host (QEMU TCG, -icount) once
#                       per suite; print the tables
#   make bench-vmx      the same on the VMX host (Bochs: tens of minutes)
#   make bench-all      both hosts
#
# Variables: BENCH_ARGS="-v" (show the emulated console),
# BENCH_ARGS="--modules DIR" (kvmx's modules from DIR, not built here),
# BENCH_ARGS="--suite exit|mmu" (one suite), "--mmu-size MiB".

BENCH_RUN := $(TOP)/tools/testing/bench/run-bench.sh

.PHONY: bench bench-vmx bench-all

bench:
	@$(BENCH_RUN) --kdir '$(KDIR)' --host svm $(BENCH_ARGS)

bench-vmx:
	@$(BENCH_RUN) --kdir '$(KDIR)' --host vmx $(BENCH_ARGS)

bench-all:
	@$(BENCH_RUN) --kdir '$(KDIR)' --host svm --host vmx $(BENCH_ARGS)
