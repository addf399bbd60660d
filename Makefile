# SPDX-License-Identifier: GPL-2.0-only
#
# kvmx top-level Makefile.
#   make            build kvm.ko, kvm-intel.ko, kvm-amd.ko against KDIR
#   make W=1 C=2    extra warnings and sparse, as make check does
#   make check      everything: build checks, unit tests, selftests on the
#                   emulated SVM and VMX hosts (see tools/testing/check.mk)
#   make check-ref  the same selftests against the distro's own KVM
#   make bench      benchmarks (exit costs, MMU), kvmx vs the distro's KVM
#                   (see tools/testing/bench.mk; not part of make check)
#
# KDIR defaults to the newest Debian linux-headers-*-amd64 tree installed,
# which is also the kernel the emulated hosts boot.

KDIR ?= $(shell ls -d /usr/src/linux-headers-*-amd64 2>/dev/null | sort -V | tail -n 1)
KVER ?= $(patsubst linux-headers-%,%,$(notdir $(KDIR)))
TOP := $(abspath $(dir $(lastword $(MAKEFILE_LIST))))

.PHONY: all modules clean

all: modules

modules:
	@test -n "$(KDIR)" || { echo "no kernel headers: run tools/testing/rig/setup.sh or set KDIR=" >&2; exit 1; }
	$(MAKE) -C $(KDIR) M=$(TOP) modules

clean:
	$(MAKE) -C $(KDIR) M=$(TOP) clean

-include $(TOP)/tools/testing/check.mk
-include $(TOP)/tools/testing/bench.mk
