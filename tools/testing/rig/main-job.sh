#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# main-job.sh: the project's main job, end to end, from a fresh Debian 12
# machine (as root): install what is needed, build kvmx's modules and the
# tiny VMM, boot the emulated SVM host (QEMU TCG), load kvmx there, run the
# VMM's real-mode guest, show its greeting, unload kvmx and check the
# kernel log.  Exits 0 only if the greeting was seen and every step passed.
#
#   tools/testing/rig/main-job.sh [run.sh options]
#
# run.sh options pass through: --host vmx for the Bochs VMX host, --ref for
# the distro's KVM instead of kvmx (then the modules are not built), -v to
# watch the serial console, --kdir to pick the kernel.

set -euo pipefail

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)
RIG=$TOP/tools/testing/rig
GREETING="Hello from a kvmx guest!"

"$RIG/setup.sh"

ref=0 kdir=()
for a in "$@"; do
	[ "$a" = --ref ] && ref=1
done
args=("$@")
for i in "${!args[@]}"; do
	[ "${args[$i]}" = --kdir ] && kdir=("KDIR=${args[$((i + 1))]}")
done

if [ "$ref" = 0 ]; then
	echo "main-job: building the kvmx modules"
	make -C "$TOP" -j"$(nproc)" "${kdir[@]}" modules
fi
echo "main-job: building the VMM"
make -C "$TOP/tools/vmm"

out=$TOP/build/main-job
status=0
"$RIG/run.sh" --out "$out" "$@" "$TOP/build/vmm/kvmx-vmm" || status=$?

echo
if grep -qF "$GREETING" "$out/logs/1.log" 2>/dev/null; then
	echo "main-job: the guest said: $(grep -F "$GREETING" "$out/logs/1.log" | tr -d '\r')"
else
	echo "main-job: no greeting from the guest (serial log: $out/serial.log)"
	status=1
fi
if [ "$status" = 0 ]; then
	echo "main-job: OK"
else
	echo "main-job: FAILED"
fi
exit "$status"
