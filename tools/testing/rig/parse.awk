# SPDX-License-Identifier: GPL-2.0-only
#
# Turn the serial log of one rig boot into results.
#
#   awk -v host=svm -v tests=tests.list -v logdir=DIR -f parse.awk serial.log
#
# tests.list has one line per test: idx <TAB> timeout <TAB> name <TAB> path.
# Prints one line per result, "STATUS<TAB>name<TAB>detail", STATUS being
# PASS, FAIL or SKIP, in the order: module load, the tests' TAP cases (or
# one result per non-TAP binary), module unload, host memory returned
# (MemFree after unloading against before loading), clean kernel log.
# The offending kernel log lines follow as "KLOG<TAB>line<TAB>", and those
# logged during boot, before any module was loaded (not counted as
# failures), as "NOTE<TAB>line<TAB>".  Writes
# each test's output to logdir/<idx>.log and the kernel log (as the host
# printed it at the end) to logdir/dmesg.txt.
#
# The markers are those of init.sh: "@@KVMX <WORD> ...".

function result(status, name, detail) {
	printf "%s\t%s\t%s\n", status, name, detail
}

# Counted as a finding for "clean kernel log".
function bad_klog(line) {
	return line ~ /BUG:|WARNING:|Oops|general protection|Kernel panic|refcount_t:|list_add corruption|list_del corruption|Bad page|sleeping function called from invalid context|stack-protector/
}

# One TAP result line ("ok 3 name # SKIP why") of test idx.
function tap_case(idx, line,    status, rest, desc, directive, n) {
	status = "PASS"
	if (line ~ /^not ok/) {
		status = "FAIL"
		rest = substr(line, 7)
	} else {
		rest = substr(line, 3)
	}
	sub(/^ +[0-9]+ */, "", rest)
	n = index(rest, "#")
	if (n) {
		directive = substr(rest, n + 1)
		desc = substr(rest, 1, n - 1)
	} else {
		directive = ""
		desc = rest
	}
	sub(/^- */, "", desc)
	sub(/ +$/, "", desc)
	sub(/^ +/, "", directive)
	if (desc == "")
		desc = "#" (ncase[idx] + 1)
	if (toupper(directive) ~ /^SKIP/) {
		status = "SKIP"
		sub(/^[A-Za-z]+ */, "", directive)
	} else if (toupper(directive) ~ /^(XFAIL|TODO)/) {
		# Expected failures are not failures of this run.
		status = status == "FAIL" ? "SKIP" : "PASS"
	} else if (status == "PASS") {
		directive = ""
	}
	ncase[idx]++
	if (status == "FAIL")
		nfail[idx]++
	cases[idx, ncase[idx]] = status "\t" name[idx] ": " desc "\t" directive
}

BEGIN {
	if (logdir == "")
		logdir = "."
	FS = "\t"
	ntests = 0
	while ((getline l < tests) > 0) {
		split(l, f, "\t")
		ntests++
		order[ntests] = f[1]
		name[f[1]] = f[3]
		limit[f[1]] = f[2]
	}
	close(tests)
	FS = " "
	cur = ""
	in_dmesg = 0
	nklog = 0
	nconsole = 0
	booted = load = unload = done = 0
	load_detail = ""
	unload_detail = ""
	dmesgfile = logdir "/dmesg.txt"
	printf "" > dmesgfile
}

# A line of the tests' (or the kernel's) output.
function output(line) {
	if (cur != "")
		print line > (logdir "/" cur ".log")
	# Kept in case the host dies: then these explain why.
	if (bad_klog(line)) {
		nconsole++
		console[nconsole] = line
	}
}

function marker(line,    F, nf, word, idx, i, kv, rest) {
	nf = split(line, F, " ")
	word = F[2]
	if (word == "BOOTED") {
		booted++
	} else if (word == "INSMOD" && F[3] == "fail") {
		load_detail = substr(line, index(line, " fail ") + 6)
	} else if (word == "LOAD") {
		load = (F[3] == "ok") ? 1 : -1
	} else if (word == "BEGIN") {
		cur = F[3]
		started[cur] = 1
		printf "" > (logdir "/" cur ".log")
	} else if (word == "TAP") {
		idx = F[3]
		rest = substr(line, index(line, " " idx " ") + length(idx) + 2)
		if (rest ~ /^1\.\.[0-9]+/)
			plan[idx] = substr(rest, 4) + 0
		else
			tap_case(idx, rest)
	} else if (word == "END") {
		idx = F[3]
		ended[idx] = 1
		for (i = 4; i <= nf; i++) {
			split(F[i], kv, "=")
			endinfo[idx, kv[1]] = kv[2]
		}
		if (cur != "")
			close(logdir "/" cur ".log")
		cur = ""
	} else if (word == "KLOG" && F[3] == "boot") {
		# Before any module is loaded: the emulated host's own
		# business (Bochs' CPU model draws a RETBleed warning).
		nboot++
		bootlog[nboot] = substr(line, 18)
	} else if (word == "KLOG") {
		nklog++
		rest = substr(line, index(line, " " F[3] " ") + length(F[3]) + 2)
		klog[nklog] = "[" ((F[3] in name) ? name[F[3]] : F[3]) "] " rest
	} else if (word == "RMMOD" && F[3] == "fail") {
		unload_detail = substr(line, index(line, " fail ") + 6)
	} else if (word == "UNLOAD") {
		unload = (F[3] == "ok") ? 1 : -1
	} else if (word == "MEMFREE") {
		memfree[F[3]] = F[4] + 0
	} else if (word == "DMESG-BEGIN") {
		in_dmesg = 1
	} else if (word == "DONE") {
		done = 1
	}
}

{
	sub(/\r+$/, "")
	line = $0
	# Output without a final newline runs into the next marker: split.
	p = index(line, "@@KVMX ")
	if (p > 1) {
		if (!in_dmesg)
			output(substr(line, 1, p - 1))
		else
			print substr(line, 1, p - 1) > dmesgfile
		line = substr(line, p)
	}
	if (in_dmesg) {
		if (line == "@@KVMX DMESG-END")
			in_dmesg = 0
		else
			print line > dmesgfile
	} else if (p) {
		marker(line)
	} else {
		output(line)
	}
}

END {
	close(dmesgfile)
	if (booted > 1)
		result("FAIL", "boot", "the host rebooted (" booted " boots): see the serial log")

	if (load == 1)
		result("PASS", "module load", "")
	else if (!booted)
		result("FAIL", "module load", "the host did not boot")
	else if (load == 0)
		result("FAIL", "module load", "the host died while loading the modules")
	else
		result("FAIL", "module load", load_detail)

	for (t = 1; t <= ntests; t++) {
		idx = order[t]
		if (load != 1) {
			result("FAIL", name[idx], "not run: module load failed")
			continue
		}
		if (!(idx in started)) {
			result("FAIL", name[idx], "not run: the host died before it")
			continue
		}
		for (c = 1; c <= ncase[idx]; c++)
			print cases[idx, c]
		if (!(idx in ended)) {
			result("FAIL", name[idx], "the host died or hung during this test")
			continue
		}
		rc = endinfo[idx, "rc"]
		if (endinfo[idx, "timed_out"] == 1) {
			result("FAIL", name[idx], "timed out after " limit[idx] "s")
		} else if (ncase[idx] == 0) {
			# Not a TAP program: its exit status is its one result.
			if (rc == 0)
				result("PASS", name[idx], "")
			else if (rc == 4)
				result("SKIP", name[idx], "exit status 4 (KSFT_SKIP)")
			else if (rc > 128)
				result("FAIL", name[idx], "killed by signal " (rc - 128))
			else
				result("FAIL", name[idx], "exit status " rc)
		} else if (rc > 128) {
			result("FAIL", name[idx], "killed by signal " (rc - 128))
		} else if (rc != 0 && rc != 1 && rc != 4) {
			result("FAIL", name[idx], "exit status " rc)
		} else if (rc == 1 && !nfail[idx]) {
			result("FAIL", name[idx], "exit status 1 but no failed test case")
		} else if ((idx in plan) && plan[idx] > ncase[idx]) {
			result("FAIL", name[idx], "only " ncase[idx] " of " plan[idx] " planned test cases reported")
		}
	}

	if (load != 1)
		result("FAIL", "module unload", "not run: module load failed")
	else if (unload == 1)
		result("PASS", "module unload", "")
	else if (unload == -1)
		result("FAIL", "module unload", unload_detail)
	else
		result("FAIL", "module unload", "not reached: the host died before it")

	# Guest pages still referenced after every VM and the modules are
	# gone would show here; 32 MiB allows for the kernel's own growth.
	if (("before" in memfree) && ("after" in memfree)) {
		lost = memfree["before"] - memfree["after"]
		if (lost > 32768)
			result("FAIL", "host memory returned", lost " kB less free than before the modules were loaded")
		else
			result("PASS", "host memory returned", "")
	} else if (load == 1) {
		result("FAIL", "host memory returned", "not measured: the modules did not unload")
	}

	for (i = 1; i <= nboot; i++)
		printf "NOTE\t[boot, not counted] %s\t\n", bootlog[i]
	if (done && !nklog) {
		result("PASS", "clean kernel log", "")
	} else {
		detail = done ? nklog " bad line(s)" : "the host died before the final check"
		result("FAIL", "clean kernel log", detail)
		for (i = 1; i <= nklog; i++)
			printf "KLOG\t%s\t\n", klog[i]
		if (!done)
			for (i = 1; i <= nconsole; i++)
				printf "KLOG\t[console] %s\t\n", console[i]
	}
}
