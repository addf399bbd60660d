# SPDX-License-Identifier: GPL-2.0-only
#
# kvmx test targets, included by the top Makefile (which sets TOP, KDIR).
# The work is done by tools/testing/rig/check-run.sh; see
# Documentation/testing.rst.
#
#   make check          build checks (W=1, sparse, every installed kernel),
#                       unit tests, selftests + VMM on the SVM then VMX host
#   make check-ref      the selftests + VMM on both hosts, with the distro KVM
#   make check-build    the build checks only
#   make check-svm      build the modules, run the selftests on the SVM host
#   make check-vmx      ... on the VMX host (the lean list-vmx list)
#   make check-svm-ref  make check-vmx-ref   the same with the distro KVM
#
# Variables: TESTS=regexp (only matching selftests), RIG_ARGS="-v" (show the
# serial console), SVM_TIMEOUT=, VMX_TIMEOUT= (seconds per test program).

CHECK_RUN := $(TOP)/tools/testing/rig/check-run.sh
CHECK_ENV := TESTS='$(TESTS)' RIG_ARGS='$(RIG_ARGS)' \
	     SVM_TIMEOUT='$(SVM_TIMEOUT)' VMX_TIMEOUT='$(VMX_TIMEOUT)'

.PHONY: check check-ref check-build check-svm check-vmx check-svm-ref check-vmx-ref

check:
	@$(CHECK_ENV) $(CHECK_RUN) --kdir '$(KDIR)' build unit svm vmx

check-ref:
	@$(CHECK_ENV) $(CHECK_RUN) --kdir '$(KDIR)' --ref svm vmx

check-build:
	@$(CHECK_ENV) $(CHECK_RUN) --kdir '$(KDIR)' build

check-svm:
	@$(CHECK_ENV) $(CHECK_RUN) --kdir '$(KDIR)' modules svm

check-vmx:
	@$(CHECK_ENV) $(CHECK_RUN) --kdir '$(KDIR)' modules vmx

check-svm-ref:
	@$(CHECK_ENV) $(CHECK_RUN) --kdir '$(KDIR)' --ref svm

check-vmx-ref:
	@$(CHECK_ENV) $(CHECK_RUN) --kdir '$(KDIR)' --ref vmx
