#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# /init of the rig's initramfs (busybox ash), run inside the emulated host.
#
# It mounts the usual file systems, loads the KVM modules listed in
# /kvmx/load.list, runs every test of /kvmx/tests.list with its own time
# limit, unloads the modules and checks the kernel log, then powers off.
# Everything it learns goes to the serial console as lines starting with
# "@@KVMX ", which run.sh (parse.awk) turns into results; the tests' own
# output goes there too, between BEGIN and END lines, so that a host that
# dies mid-test still shows how far the test got.
#
# Written for busybox: no bash-isms, no pipefail.

export PATH=/bin:/sbin:/usr/bin:/usr/sbin

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
exec </dev/null >/dev/console 2>&1
mkdir -p /dev/pts /dev/shm /tmp /run
mount -t devpts devpts /dev/pts
mount -t tmpfs tmpfs /dev/shm
mount -t tmpfs tmpfs /tmp
mount -t tmpfs tmpfs /run
mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
ln -sf /proc/self/fd /dev/fd
ln -sf /proc/self/fd/0 /dev/stdin
ln -sf /proc/self/fd/1 /dev/stdout
ln -sf /proc/self/fd/2 /dev/stderr

# RIG_HOST, RIG_MODE, RIG_VENDOR, RIG_UNLOAD, RIG_UNLOAD_TIMEOUT
. /kvmx/config

export KVMX_MODULES="$RIG_MODE"
export KVMX_VENDOR_MODULE="$RIG_VENDOR"
export KVMX_HOST="$RIG_HOST"
export KVMX_KVER="$(uname -r)"
export HOME=/tmp TMPDIR=/tmp

# What the kernel log must never contain.
KLOG_BAD='BUG:|WARNING:|Oops|general protection|Kernel panic|refcount_t:|list_add corruption|list_del corruption|Bad page|sleeping function called from invalid context|stack-protector'

mark() { echo "@@KVMX $*"; }

# Move the kernel log gathered since the last call into /tmp/dmesg.all and
# report the lines matching KLOG_BAD, attributed to $1 (a phase or a test).
klog_check() {
	dmesg -c >/tmp/dmesg.new 2>/dev/null
	cat /tmp/dmesg.new >>/tmp/dmesg.all
	grep -E "$KLOG_BAD" /tmp/dmesg.new | while IFS= read -r line; do
		mark "KLOG $1 $line"
	done
}

# run_limited SECS CMD...: run CMD in a session of its own, with output to
# the current stdout, and kill the whole session (the kselftest harness
# forks a child per test case; killing the parent alone would leave it)
# after SECS seconds, first printing where its threads are (hangdiag.sh).
# Sets RC (the exit status; 137 if killed) and
# TIMED_OUT (1 if the limit was hit).
run_limited() {
	_secs=$1
	shift
	rm -f /tmp/timed_out
	setsid "$@" &
	_pid=$!
	setsid sh -c "sleep $_secs; touch /tmp/timed_out; sh /kvmx/hangdiag.sh $_pid >/dev/console 2>&1; kill -KILL -$_pid" \
		</dev/null >/dev/null 2>&1 &
	_wd=$!
	wait $_pid
	RC=$?
	kill -KILL -$_wd 2>/dev/null
	kill -KILL -$_pid 2>/dev/null
	wait $_wd 2>/dev/null
	TIMED_OUT=0
	[ -e /tmp/timed_out ] && TIMED_OUT=1
}

# Wait until the serial port has sent everything written to the console:
# Bochs' UART runs at its baud rate in guest time, and powering off with
# output still queued loses it.  The port's tx counter stops moving then.
drain_console() {
	_prev=x
	_i=0
	while [ $_i -lt 600 ]; do
		_cur=$(sed -n 's/^0:.* tx:\([0-9]*\).*/\1/p' /proc/tty/driver/serial)
		[ "$_cur" = "$_prev" ] && break
		_prev=$_cur
		sleep 0.3
		_i=$((_i + 1))
	done
	sleep 0.5
}

mark "BOOTED kernel=$(uname -r) cpus=$(grep -c '^processor' /proc/cpuinfo) host=$RIG_HOST mode=$RIG_MODE"
for f in svm npt vmx ept; do
	grep -qw "$f" /proc/cpuinfo && mark "CPUFLAG $f"
done

: >/tmp/dmesg.all
klog_check boot

# Free memory with the page cache and reclaimable slabs dropped: taken
# before loading and after unloading, the two show pages the modules (or
# a VM they failed to free) kept.  Free pages parked in the per-CPU lists
# ("count:" of each pageset in /proc/zoneinfo) count as free: since 6.7
# those lists grow to a large share of memory after a memory-heavy test
# and shrink only slowly, which MemFree alone would take for a leak.
mem_free_kb() {
	sync
	echo 3 >/proc/sys/vm/drop_caches
	awk '/^MemFree:/ { free = $2 }
	     FILENAME == "/proc/zoneinfo" && $1 == "count:" { pcp += $2 }
	     END { print free + pcp * 4 }' /proc/meminfo /proc/zoneinfo
}
mark "MEMFREE before $(mem_free_kb)"

# ---- load --------------------------------------------------------------
LOAD_OK=1
while read -r mod args; do
	[ -n "$mod" ] || continue
	if out=$(insmod "/kvmx/modules/$mod" $args 2>&1); then
		mark "INSMOD ok $mod"
	else
		mark "INSMOD fail $mod $(echo $out)"
		LOAD_OK=0
		break
	fi
done </kvmx/load.list
if [ "$LOAD_OK" = 1 ] && [ ! -c /dev/kvm ]; then
	mark "INSMOD fail /dev/kvm did not appear"
	LOAD_OK=0
fi
klog_check load
if [ "$LOAD_OK" = 1 ]; then
	# Where the modules are, to read a hung host's register dump.
	while read -r name size _ _ _ addr _; do
		mark "MODULE $name $size $addr"
	done </proc/modules
	mark "LOAD ok"
else
	mark "LOAD fail"
	dmesg_tail=$(tail -n 20 /tmp/dmesg.all)
	echo "$dmesg_tail"
fi

# ---- tests ---------------------------------------------------------------
if [ "$LOAD_OK" = 1 ]; then
	while IFS='	' read -r idx secs name path; do
		[ -n "$idx" ] || continue
		mark "BEGIN $idx $name"
		t0=$(date +%s)
		rm -f /tmp/fifo /tmp/out
		mkfifo /tmp/fifo
		tee /tmp/out </tmp/fifo &
		tee_pid=$!
		cd "${path%/*}"
		run_limited "$secs" "$path" >/tmp/fifo 2>&1 </dev/null
		cd /
		wait $tee_pid
		t1=$(date +%s)
		# Repeat the TAP lines where no kernel message can split them.
		grep -E '^(not )?ok [0-9]+|^1\.\.[0-9]+' /tmp/out | while IFS= read -r line; do
			mark "TAP $idx $line"
		done
		mark "END $idx rc=$RC timed_out=$TIMED_OUT secs=$((t1 - t0))"
		klog_check "$idx"
		# Bochs' UART is slow: what is still queued would be split by
		# a kernel message of the next test (printk bypasses the tty)
		if [ "$RIG_HOST" = vmx ]; then
			drain_console
		fi
	done </kvmx/tests.list
fi

# ---- unload --------------------------------------------------------------
if [ "$LOAD_OK" = 1 ]; then
	UNLOAD_OK=1
	for mod in $RIG_UNLOAD; do
		run_limited "$RIG_UNLOAD_TIMEOUT" rmmod "$mod" >/tmp/rmmod.out 2>&1
		if [ "$RC" = 0 ]; then
			mark "RMMOD ok $mod"
		elif [ "$TIMED_OUT" = 1 ]; then
			mark "RMMOD fail $mod (hung for ${RIG_UNLOAD_TIMEOUT}s)"
			UNLOAD_OK=0
			break
		else
			mark "RMMOD fail $mod $(cat /tmp/rmmod.out)"
			UNLOAD_OK=0
			break
		fi
	done
	if [ "$UNLOAD_OK" = 1 ]; then mark "UNLOAD ok"; else mark "UNLOAD fail"; lsmod; fi
	[ "$UNLOAD_OK" = 1 ] && mark "MEMFREE after $(mem_free_kb)"
fi
klog_check unload

mark "DMESG-BEGIN"
cat /tmp/dmesg.all
mark "DMESG-END"
mark "DONE"
drain_console
sync
poweroff -f
# Should poweroff fail, do not let the kernel panic on init's exit first.
sleep 5
mark "POWEROFF-FAILED"
while :; do sleep 3600; done
