# SPDX-License-Identifier: GPL-2.0-only
#
# The benchmarks' tables, from the output of kvmx-bench and kvmx-mmu-bench
# (the tests' logs).
#
#   awk -v title='SVM host ...' -f table.awk LOG...
#
# Reads "@@BENCH-INFO ..." and "@@BENCH LABEL ROW ok CYCLES MIN MAX NS
# RUNS ITERS" / "@@BENCH LABEL ROW n/a REASON" lines (see main.c) and
# prints one line per row: kvmx's median, the distro's, their ratio, and
# the spread (slowest over fastest run) of each; then why rows are n/a.
# "@@BENCH-MMU LABEL ROW ok NS MIN MAX RUNS PAGES HUGE TDP2M" lines (see
# mmu.c) make two more tables, demand paging and dirty logging, in pages
# per second (kvmx/distro > 1: kvmx is faster) and time per page or per
# operation.  Exit status 1 if a distro column is incomplete.

function row_title(r) {
	if (r == "cpuid") return "CPUID (leaf 0)"
	if (r == "hypercall") return "hypercall (" hcall ", unknown nr)"
	if (r == "rdmsr") return "RDMSR EFER (in the kernel)"
	if (r == "pio") return "OUT to userspace (KVM_EXIT_IO)"
	if (r == "immediate_exit") return "KVM_RUN, immediate_exit=1"
	if (r == "ioeventfd_pio") return "OUT to an ioeventfd"
	if (r == "ioeventfd_mmio") return "MMIO write to an ioeventfd"
	if (r == "mmio") return "MMIO write to userspace"
	if (r == "self_ipi") return "self-IPI (ICR) to its handler+EOI"
	if (r == "eoi") return "EOI write (x2APIC MSR)"
	if (r == "tsc_deadline") return "TSC deadline to its handler"
	if (r == "tsc_due") return "due TSC deadline, handler+EOI"
	if (r == "ipi_halted") return "IPI ping-pong, 2 halted vCPUs"
	if (r == "irqfd") return "ioeventfd->VMM->irqfd->handler"
	return r
}

function cell(label, r) {
	if ((label, r) in value) return value[label, r]
	if ((label, r) in why) return "n/a"
	return "-"
}

# Slowest run over fastest, in percent above 1: how repeatable it was.
function spread(label, r) {
	if (!((label, r) in value) || lo[label, r] == 0) return "-"
	return sprintf("%.1f%%", (hi[label, r] / lo[label, r] - 1) * 100)
}

# Pages per second, with a unit prefix.
function rate(pages, ns,   r) {
	if (ns <= 0) return "-"
	r = pages * 1e9 / ns
	if (r >= 1e9) return sprintf("%.2fG", r / 1e9)
	if (r >= 1e6) return sprintf("%.2fM", r / 1e6)
	if (r >= 1e3) return sprintf("%.1fk", r / 1e3)
	return sprintf("%.0f", r)
}

function mmu_title(r,   a) {
	if (r ~ /^demand_/) {
		split(r, a, "_")
		return (a[2] == "thp" ? "THP (2 MiB)" : "4 KiB pages") ", " \
		       a[3] " vCPU" (a[3] == 1 ? "" : "s")
	}
	if (r == "dirty_enable") return "enable logging (write-protect)"
	if (r == "dirty_write1") return "dirty every page, 1st pass"
	if (r == "dirty_write") return "dirty every page, after clear"
	if (r == "dirty_get") return "KVM_GET_DIRTY_LOG"
	if (r == "dirty_clear") return "KVM_CLEAR_DIRTY_LOG (all)"
	return r
}

function mmu_cell(label, r) {
	if ((label, r) in mns) return rate(mpages[label, r], mns[label, r])
	if ((label, r) in mwhy) return "n/a"
	return "-"
}

# Microseconds per page (demand rows) or per operation (dirty log).
function mmu_time(label, r) {
	if (!((label, r) in mns)) return "-"
	if (r ~ /^demand_/)
		return sprintf("%.2f", mns[label, r] / mpages[label, r] / 1000)
	return sprintf("%.1f", mns[label, r] / 1000)
}

function mmu_spread(label, r) {
	if (!((label, r) in mns) || mlo[label, r] == 0) return "-"
	return sprintf("%.1f%%", (mhi[label, r] / mlo[label, r] - 1) * 100)
}

function mmu_ratio(r) {
	if (!(("kvmx", r) in mns) || !(("distro", r) in mns) || mns["kvmx", r] <= 0)
		return "-"
	return sprintf("%.2f", mns["distro", r] / mns["kvmx", r])
}

# Host THP share / KVM's 2 MiB mappings, for a demand row.
function mmu_huge(label, r) {
	if (!((label, r) in mns)) return "-"
	return mhuge[label, r] "/" mtdp[label, r]
}

function mmu_table(kind,   i, r, n, unit) {
	unit = kind == "demand" ? "us/page" : "us/op"
	printf "%-32s %9s %9s %7s %9s %9s %7s %7s", \
	       kind == "demand" ? "demand paging (pages/s)" : "dirty log (pages/s)", \
	       "kvmx", "distro", "k/d", unit, unit, "spread", "spread"
	if (kind == "demand") printf " %9s %9s", "THP/2M", "THP/2M"
	printf "\n"
	printf "%-32s %9s %9s %7s %9s %9s %7s %7s", "", "", "", "", "kvmx", \
	       "distro", "kvmx", "distro"
	if (kind == "demand") printf " %9s %9s", "kvmx", "distro"
	printf "\n"
	n = 0
	for (i = 1; i <= nmrows; i++) {
		r = morder[i]
		if ((r ~ /^demand_/) != (kind == "demand")) continue
		n++
		if (!(("distro", r) in mns)) bad = 1
		printf "%-32s %9s %9s %7s %9s %9s %7s %7s", mmu_title(r), \
		       mmu_cell("kvmx", r), mmu_cell("distro", r), mmu_ratio(r), \
		       mmu_time("kvmx", r), mmu_time("distro", r), \
		       mmu_spread("kvmx", r), mmu_spread("distro", r)
		if (kind == "demand")
			printf " %9s %9s", mmu_huge("kvmx", r), mmu_huge("distro", r)
		printf "\n"
	}
	return n
}

{ sub(/\r$/, "") }

$1 == "@@BENCH-INFO" {
	for (i = 2; i <= NF; i++) {
		split($i, kv, "=")
		info[kv[1]] = substr($i, length(kv[1]) + 2)
	}
	# "vendor=AMD (SVM)": the name is split over two fields.
	hcall = $0 ~ /vendor=AMD/ ? "VMMCALL" : "VMCALL"
}

$1 == "@@BENCH-MMU" && NF >= 4 {
	label = $2; r = $3
	if (!(r in mseen)) { mseen[r] = 1; morder[++nmrows] = r }
	if ($4 == "ok") {
		mns[label, r] = $5; mlo[label, r] = $6; mhi[label, r] = $7
		mruns[label, r] = $8; mpages[label, r] = $9
		mhuge[label, r] = $10; mtdp[label, r] = $11
		if (r ~ /^demand_/) druns = $8
		slot_pages = $9
	} else {
		reason = $0
		sub(/^.*@@BENCH-MMU [^ ]+ [^ ]+ n\/a /, "", reason)
		mwhy[label, r] = reason
	}
}

$1 == "@@BENCH" && NF >= 4 {
	label = $2; r = $3
	if (!(r in seen)) { seen[r] = 1; order[++nrows] = r }
	if ($4 == "ok") {
		value[label, r] = $5; lo[label, r] = $6; hi[label, r] = $7
		runs = $9; riters[r] = $10
		if ($10 > iters) iters = $10
	} else {
		reason = $0
		sub(/^.*@@BENCH [^ ]+ [^ ]+ n\/a /, "", reason)
		why[label, r] = reason
	}
}

# A row of fewer round trips per run than the table's header says.
function few(r) {
	return (r in riters) && riters[r] < iters
}

function exit_table(   i, r, ratio, nfew) {
	printf "kernel %s, TSC %s MHz; TSC cycles per round trip, median of %s runs of %s\n\n",
	       info["kernel"], info["tsc_mhz"], runs, iters
	printf "%-34s %8s %8s %12s %8s %8s\n", "round trip", "kvmx", "distro",
	       "kvmx/distro", "spread", "spread"
	printf "%-34s %8s %8s %12s %8s %8s\n", "", "", "", "", "kvmx", "distro"
	for (i = 1; i <= nrows; i++) {
		r = order[i]
		ratio = "-"
		if (((("kvmx", r) in value)) && (("distro", r) in value) &&
		    value["distro", r] > 0)
			ratio = sprintf("%.2f", value["kvmx", r] / value["distro", r])
		if (!(("distro", r) in value)) bad = 1
		if (few(r)) nfew++
		printf "%-34s %8s %8s %12s %8s %8s\n", row_title(r) (few(r) ? " *" : ""),
		       cell("kvmx", r), cell("distro", r), ratio,
		       spread("kvmx", r), spread("distro", r)
	}
	for (i = 1; i <= nrows && nfew; i++)
		if (few(order[i])) {
			printf "\n* median of %s runs of %s\n", runs, riters[order[i]]
			break
		}
	why_lines(nrows, order, why)
}

# Why rows are n/a, kvmx's then the distro's; one line when every row of a
# label failed for the same reason.
function why_lines(nr, ord, w,   first, l, label, same, i, r) {
	first = 1
	for (l = 0; l < 2; l++) {
		label = l ? "distro" : "kvmx"
		same = (label, ord[1]) in w
		for (i = 2; i <= nr && same; i++)
			same = ((label, ord[i]) in w) &&
			       w[label, ord[i]] == w[label, ord[1]]
		for (i = 1; i <= nr; i++) {
			r = ord[i]
			if (!((label, r) in w)) continue
			if (first) { print ""; first = 0 }
			if (same && nr > 1) {
				printf "n/a: every row on %s: %s\n", label, w[label, r]
				break
			}
			printf "n/a: %s on %s: %s\n", r, label, w[label, r]
		}
	}
}

END {
	if (!nrows && !nmrows) {
		print "no benchmark results in the log"
		exit 1
	}
	if (title != "") print title
	bad = 0
	if (nrows) exit_table()
	if (nmrows) {
		if (nrows) print ""
		printf "kernel %s, %s CPUs; slot of %s MiB (%s pages); guest-visible time of the host (CLOCK_MONOTONIC), median of %s runs (demand: fresh VM each)\n\n", \
		       info["kernel"], info["cpus"], info["slot_mib"], slot_pages, druns
		mmu_table("demand")
		print ""
		mmu_table("dirty")
		why_lines(nmrows, morder, mwhy)
	}
	exit bad
}
