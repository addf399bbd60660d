#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# hangdiag.sh SID: run in the emulated host (busybox sh) by /init when a
# test outlives its time limit, just before the test's session is killed.
# Prints every thread of session SID with its state, wait channel and
# kernel stack: where a test stuck in the kernel (in KVM_RUN, or in the
# release of a VM) is stuck.

sid=$1
echo "==== rig: time limit hit; threads of the test (session $sid) and their kernel stacks"
for p in /proc/[0-9]*; do
	# Field 6 of stat is the session; comm (field 2) may hold spaces.
	s=$(sed 's/^.*) //' "$p/stat" 2>/dev/null | cut -d' ' -f4)
	[ "$s" = "$sid" ] || continue
	for t in "$p"/task/[0-9]*; do
		st=$(sed 's/^.*) //' "$t/stat" 2>/dev/null | cut -d' ' -f1)
		echo "-- pid ${p#/proc/} tid ${t##*/} ($(cat "$t/comm" 2>/dev/null)) state $st wchan $(cat "$t/wchan" 2>/dev/null)"
		cat "$t/stack" 2>/dev/null
	done
done
echo "==== rig: end of threads"
