#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# The vendor module for the other CPU vendor (kvm-intel on an AMD host,
# kvm-amd on an Intel host) must refuse to load: a proper errno from
# insmod and a clear message in the kernel log, and /dev/kvm untouched.
# The rig stages that module in /kvmx/extra.  Exit 0 pass, 4 skip, 1 fail.

other=$(ls /kvmx/extra/*.ko 2>/dev/null | head -n 1)
if [ -z "$other" ]; then
	echo "SKIP: no other vendor module staged in /kvmx/extra (run in the rig)"
	exit 4
fi
name=$(basename "$other" .ko)
lines=$(dmesg | wc -l)

if insmod "$other" >/tmp/vendor_refused.out 2>&1; then
	echo "FAIL: $name loaded on a CPU of the other vendor"
	rmmod "$name"
	exit 1
fi
cat /tmp/vendor_refused.out
new_log=$(dmesg | tail -n +"$((lines + 1))")
# In-tree 6.1 refuses any second vendor module before looking at the CPU:
# EEXIST and "kvm: already loaded vendor module 'kvm_amd'".  That is a
# refusal too, with its reason logged.
if grep -q "File exists" /tmp/vendor_refused.out &&
   echo "$new_log" | grep -q "already loaded vendor module"; then
	echo "kernel log: $(echo "$new_log" | grep "already loaded vendor module")"
	[ -c /dev/kvm ] || { echo "FAIL: /dev/kvm vanished"; exit 1; }
	echo "PASS: $name refused to load (another vendor module is loaded)"
	exit 0
fi
# ENODEV (in-tree 6.1 and kvmx) or EOPNOTSUPP (in-tree since 6.4ish)
if ! grep -qE "No such device|Operation not supported" /tmp/vendor_refused.out; then
	echo "FAIL: $name refused with an unexpected error"
	exit 1
fi
msg=$(dmesg | tail -n +"$((lines + 1))" | grep -iE "(VMX|SVM).*not supported|not supported.*(VMX|SVM)|isn't (AMD|Intel)")
if [ -z "$msg" ]; then
	echo "FAIL: no kernel-log message says why $name refused to load"
	dmesg | tail -n +"$((lines + 1))"
	exit 1
fi
echo "kernel log: $msg"
if [ ! -c /dev/kvm ]; then
	echo "FAIL: /dev/kvm vanished"
	exit 1
fi
echo "PASS: $name refused to load"
exit 0
