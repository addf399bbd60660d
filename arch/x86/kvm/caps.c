// SPDX-License-Identifier: GPL-2.0-only
/*
 * KVM_CHECK_EXTENSION, on /dev/kvm and on VM fds.  VMMs treat a capability
 * as a promise, so this table lists only what kvmx implements completely;
 * everything else answers 0.
 */
#include <linux/cpumask.h>
#include <linux/minmax.h>
#include <asm/cpufeature.h>
#include <kvmx/core_private.h>
#include <kvmx/irq.h>

long kvmx_check_extension(struct kvmx_vm *vm, long cap)
{
	switch (cap) {
	case KVM_CAP_USER_MEMORY:
	case KVM_CAP_SYNC_MMU:
	case KVM_CAP_READONLY_MEM:
	case KVM_CAP_COALESCED_PIO:
	case KVM_CAP_DESTROY_MEMORY_REGION_WORKS:
	case KVM_CAP_JOIN_MEMORY_REGIONS_WORKS:
	case KVM_CAP_SET_TSS_ADDR:
	case KVM_CAP_SET_IDENTITY_MAP_ADDR:
	case KVM_CAP_HLT:
	case KVM_CAP_IMMEDIATE_EXIT:
	case KVM_CAP_INTERNAL_ERROR_DATA:
	case KVM_CAP_CHECK_EXTENSION_VM:
	case KVM_CAP_EXT_CPUID:
	/* the vCPU state ABI (issue 3) */
	case KVM_CAP_MP_STATE:
	case KVM_CAP_VCPU_EVENTS:
	case KVM_CAP_DEBUGREGS:
	case KVM_CAP_SET_GUEST_DEBUG:
	case KVM_CAP_SREGS2:
	case KVM_CAP_GET_TSC_KHZ:
	case KVM_CAP_GET_MSR_FEATURES:
	case KVM_CAP_X86_USER_SPACE_MSR:
	case KVM_CAP_X86_MSR_FILTER:
	case KVM_CAP_BINARY_STATS_FD:
	case KVM_CAP_EXIT_ON_EMULATION_FAILURE:
	case KVM_CAP_IOEVENTFD:
	case KVM_CAP_IOEVENTFD_ANY_LENGTH:
	case KVM_CAP_IOEVENTFD_NO_LENGTH:
	/* the in-kernel irqchip (arch/x86/kvm/irq/) */
	case KVM_CAP_IRQCHIP:
	case KVM_CAP_IRQ_INJECT_STATUS:
	case KVM_CAP_SIGNAL_MSI:
	case KVM_CAP_SPLIT_IRQCHIP:
	case KVM_CAP_SET_BOOT_CPU_ID:
	case KVM_CAP_TSC_DEADLINE_TIMER:
	case KVM_CAP_IOAPIC_POLARITY_IGNORED:
	case KVM_CAP_USER_NMI:
	/* the in-kernel PIT and irqfds */
	case KVM_CAP_PIT:
	case KVM_CAP_PIT2:
	case KVM_CAP_PIT_STATE2:
	case KVM_CAP_REINJECT_CONTROL:
	case KVM_CAP_IRQFD:
	case KVM_CAP_IRQFD_RESAMPLE:
		return 1;
	case KVM_CAP_IRQ_ROUTING:
		return KVMX_MAX_IRQ_ROUTES;
	case KVM_CAP_X2APIC_API:
		return KVM_X2APIC_API_USE_32BIT_IDS |
		       KVM_X2APIC_API_DISABLE_BROADCAST_QUIRK;
	case KVM_CAP_XSAVE:
	case KVM_CAP_XCRS:	/* XCR0 exists only with XSAVE */
		return boot_cpu_has(X86_FEATURE_XSAVE);
	case KVM_CAP_XSAVE2:
		return kvmx_xsave2_size();
	case KVM_CAP_MCE:
		return KVMX_MCE_MAX_BANKS;
	case KVM_CAP_EXIT_HYPERCALL:
		return kvmx_exit_hypercall_mask();
	case KVM_CAP_GUEST_DEBUG_HW_BPS:
		return 4;
	case KVM_CAP_NR_VCPUS:
		return min_t(unsigned int, num_online_cpus(), KVMX_MAX_VCPUS);
	case KVM_CAP_MAX_VCPUS:
		return KVMX_MAX_VCPUS;
	case KVM_CAP_MAX_VCPU_ID:
		return KVMX_MAX_VCPU_ID;
	case KVM_CAP_NR_MEMSLOTS:
		return KVMX_USER_MEM_SLOTS;
	case KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2:
		return kvmx_manual_dirty_log_caps();
	case KVM_CAP_COALESCED_MMIO:
		return KVM_COALESCED_MMIO_PAGE_OFFSET;
	case KVM_CAP_DIRTY_LOG_RING:
	case KVM_CAP_DIRTY_LOG_RING_ACQ_REL:
		return kvmx_dirty_ring_max_bytes();
	default:
		return 0;
	}
}
