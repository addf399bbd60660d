# SPDX-License-Identifier: GPL-2.0-only
#
# The benchmark's table, from kvmx-bench's output (the test's log).
#
#   awk -v title='SVM host ...' -f table.awk LOG
#
# Reads "@@BENCH-INFO ..." and "@@BENCH LABEL ROW ok CYCLES MIN MAX NS
# RUNS ITERS" / "@@BENCH LABEL ROW n/a REASON" lines (see main.c) and
# prints one line per row: kvmx's median, the distro's, their ratio, and
# the spread (slowest over fastest run) of each; then why rows are n/a.
# Exit status 1 if the distro column is incomplete.

function row_title(r) {
	if (r == "cpuid") return "CPUID (leaf 0)"
	if (r == "hypercall") return "hypercall (" hcall ", unknown nr)"
	if (r == "rdmsr") return "RDMSR EFER (in the kernel)"
	if (r == "pio") return "OUT to userspace (KVM_EXIT_IO)"
	if (r == "immediate_exit") return "KVM_RUN, immediate_exit=1"
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

{ sub(/\r$/, "") }

$1 == "@@BENCH-INFO" {
	for (i = 2; i <= NF; i++) {
		split($i, kv, "=")
		info[kv[1]] = substr($i, length(kv[1]) + 2)
	}
	# "vendor=AMD (SVM)": the name is split over two fields.
	hcall = $0 ~ /vendor=AMD/ ? "VMMCALL" : "VMCALL"
}

$1 == "@@BENCH" && NF >= 4 {
	label = $2; r = $3
	if (!(r in seen)) { seen[r] = 1; order[++nrows] = r }
	if ($4 == "ok") {
		value[label, r] = $5; lo[label, r] = $6; hi[label, r] = $7
		runs = $9; iters = $10
	} else {
		reason = $0
		sub(/^.*@@BENCH [^ ]+ [^ ]+ n\/a /, "", reason)
		why[label, r] = reason
	}
}

END {
	if (!nrows) {
		print "no benchmark results in the log"
		exit 1
	}
	if (title != "") print title
	printf "kernel %s, TSC %s MHz; TSC cycles per round trip, median of %s runs of %s\n\n",
	       info["kernel"], info["tsc_mhz"], runs, iters
	printf "%-34s %8s %8s %12s %8s %8s\n", "round trip", "kvmx", "distro",
	       "kvmx/distro", "spread", "spread"
	printf "%-34s %8s %8s %12s %8s %8s\n", "", "", "", "", "kvmx", "distro"
	bad = 0
	for (i = 1; i <= nrows; i++) {
		r = order[i]
		ratio = "-"
		if (((("kvmx", r) in value)) && (("distro", r) in value) &&
		    value["distro", r] > 0)
			ratio = sprintf("%.2f", value["kvmx", r] / value["distro", r])
		if (!(("distro", r) in value)) bad = 1
		printf "%-34s %8s %8s %12s %8s %8s\n", row_title(r),
		       cell("kvmx", r), cell("distro", r), ratio,
		       spread("kvmx", r), spread("distro", r)
	}
	first = 1
	for (l = 0; l < 2; l++) {
		label = l ? "distro" : "kvmx"
		# One line when every row failed for the same reason.
		same = (label, order[1]) in why
		for (i = 2; i <= nrows && same; i++)
			same = ((label, order[i]) in why) &&
			       why[label, order[i]] == why[label, order[1]]
		for (i = 1; i <= nrows; i++) {
			r = order[i]
			if (!((label, r) in why)) continue
			if (first) { print ""; first = 0 }
			if (same && nrows > 1) {
				printf "n/a: every row on %s: %s\n", label, why[label, r]
				break
			}
			printf "n/a: %s on %s: %s\n", r, label, why[label, r]
		}
	}
	exit bad
}
