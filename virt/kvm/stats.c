// SPDX-License-Identifier: GPL-2.0-only
/*
 * KVM_GET_STATS_FD: a VM's or a vCPU's counters as a read-only anon-inode
 * file, in the binary layout in-tree KVM uses (KVM_CAP_BINARY_STATS_FD):
 *
 *   struct kvm_stats_header
 *   the id string ("kvm-<pid>", "kvm-<pid>/vcpu-<id>"), name_size bytes
 *   num_desc times: struct kvm_stats_desc, then its name in name_size bytes
 *   the data: one u64 per descriptor, at the descriptor's offset
 *
 * Everything before the data never changes for the life of the fd, so it
 * is built once when the fd is made; the data is read from the live
 * counters (vm->stat, vcpu->stat) at each read, without a lock, as
 * in-tree does.  Only counters in-tree KVM also has are described, under
 * its names and types, so tools reading in-tree's stats read ours.  The
 * fd holds a reference on the VM (and so on its vCPUs, which live as long
 * as the VM): it stays readable after the VM and vCPU fds are closed.
 */
#include <linux/anon_inodes.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/minmax.h>
#include <linux/overflow.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <kvmx/core_private.h>

/* One described counter: its in-tree name and type, and where it lives. */
struct kvmx_stat_def {
	const char *name;
	u32 flags;
	u32 field;		/* offset in struct kvmx_{vm,vcpu}_stat */
};

#define KVMX_STAT(stype, sname, type)					\
	{								\
		.name = #sname,						\
		.flags = KVM_STATS_TYPE_##type | KVM_STATS_UNIT_NONE |	\
			 KVM_STATS_BASE_POW10,				\
		.field = offsetof(struct stype, sname),			\
	}
#define VM_STAT(name, type)	KVMX_STAT(kvmx_vm_stat, name, type)
#define VCPU_STAT(name, type)	KVMX_STAT(kvmx_vcpu_stat, name, type)

/*
 * In in-tree's order.  mmu_invalidations is left out: in-tree has no
 * counter of that meaning, and a name of our own would be a kvmx-only ABI.
 */
static const struct kvmx_stat_def kvmx_vm_stat_defs[] = {
	VM_STAT(remote_tlb_flush, CUMULATIVE),
	VM_STAT(remote_tlb_flush_requests, CUMULATIVE),
	/* TDP leaves of each size that exist now: they go down too */
	VM_STAT(pages_4k, INSTANT),
	VM_STAT(pages_2m, INSTANT),
	VM_STAT(pages_1g, INSTANT),
};

static const struct kvmx_stat_def kvmx_vcpu_stat_defs[] = {
	VCPU_STAT(pf_taken, CUMULATIVE),
	VCPU_STAT(exits, CUMULATIVE),
	VCPU_STAT(io_exits, CUMULATIVE),
	VCPU_STAT(mmio_exits, CUMULATIVE),
	VCPU_STAT(signal_exits, CUMULATIVE),
	VCPU_STAT(irq_window_exits, CUMULATIVE),
	VCPU_STAT(nmi_window_exits, CUMULATIVE),
	VCPU_STAT(halt_exits, CUMULATIVE),
	VCPU_STAT(halt_attempted_poll, CUMULATIVE),
	VCPU_STAT(halt_successful_poll, CUMULATIVE),
	VCPU_STAT(halt_wakeup, CUMULATIVE),
	VCPU_STAT(irq_exits, CUMULATIVE),
	VCPU_STAT(insn_emulation, CUMULATIVE),
	VCPU_STAT(insn_emulation_fail, CUMULATIVE),
	VCPU_STAT(hypercalls, CUMULATIVE),
};

#define KVMX_STATS_MAX_DESC \
	MAX(ARRAY_SIZE(kvmx_vm_stat_defs), ARRAY_SIZE(kvmx_vcpu_stat_defs))

/* Each descriptor takes its struct and a name of KVM_STATS_NAME_SIZE. */
#define KVMX_STATS_DESC_STRIDE \
	(sizeof(struct kvm_stats_desc) + KVM_STATS_NAME_SIZE)

/* What one stats fd reads. */
struct kvmx_stats_file {
	struct kvmx_vm *vm;		/* the reference the fd holds */
	const u8 *counters;		/* &vm->stat or &vcpu->stat */
	const struct kvmx_stat_def *defs;
	unsigned int nr;
	size_t prefix_size;		/* header, id and descriptors */
	u8 prefix[];
};

/*
 * read() and pread() at any offset and length: the bytes of the layout
 * that [pos, pos + len) covers; 0 at or past the end.
 */
static ssize_t kvmx_stats_read(struct file *file, char __user *buf,
			       size_t len, loff_t *ppos)
{
	struct kvmx_stats_file *sf = file->private_data;
	size_t total = sf->prefix_size + sf->nr * sizeof(u64);
	u64 data[KVMX_STATS_MAX_DESC];
	loff_t pos = *ppos;
	size_t done = 0, n;
	unsigned int i;

	if (pos < 0 || pos >= total)
		return 0;
	len = min_t(size_t, len, total - pos);

	if (pos < sf->prefix_size) {
		n = min_t(size_t, len, sf->prefix_size - pos);
		if (copy_to_user(buf, sf->prefix + pos, n))
			return -EFAULT;
		done = n;
	}
	if (done < len) {
		/* writers use WRITE_ONCE: each u64 is read whole */
		for (i = 0; i < sf->nr; i++)
			data[i] = READ_ONCE(*(const u64 *)(sf->counters +
							   sf->defs[i].field));
		n = pos + done - sf->prefix_size;
		if (copy_to_user(buf + done, (const u8 *)data + n, len - done))
			return -EFAULT;
		done = len;
	}
	*ppos = pos + done;
	return done;
}

static int kvmx_stats_release(struct inode *inode, struct file *file)
{
	struct kvmx_stats_file *sf = file->private_data;

	kvmx_vm_put(sf->vm);
	kfree(sf);
	return 0;
}

/*
 * .owner is the vendor module, set before each fd is made: the fd keeps
 * the VM alive, and freeing a VM calls into the backend, so an open stats
 * fd must pin the vendor module as the VM and vCPU fds do.
 */
static struct file_operations kvmx_stats_fops = {
	.read		= kvmx_stats_read,
	.release	= kvmx_stats_release,
	.llseek		= noop_llseek,
};

/* Header, id and descriptors, as in-tree lays them out. */
static void kvmx_stats_fill_prefix(struct kvmx_stats_file *sf, const char *id)
{
	struct kvm_stats_header *hdr = (struct kvm_stats_header *)sf->prefix;
	unsigned int i;

	hdr->flags = 0;
	hdr->name_size = KVM_STATS_NAME_SIZE;
	hdr->num_desc = sf->nr;
	hdr->id_offset = sizeof(*hdr);
	hdr->desc_offset = hdr->id_offset + KVM_STATS_NAME_SIZE;
	hdr->data_offset = hdr->desc_offset + sf->nr * KVMX_STATS_DESC_STRIDE;
	strscpy((char *)sf->prefix + hdr->id_offset, id, KVM_STATS_NAME_SIZE);

	for (i = 0; i < sf->nr; i++) {
		struct kvm_stats_desc *d = (struct kvm_stats_desc *)
			(sf->prefix + hdr->desc_offset +
			 i * KVMX_STATS_DESC_STRIDE);

		d->flags = sf->defs[i].flags;
		d->exponent = 0;
		d->size = 1;			/* one u64: no histograms */
		d->offset = i * sizeof(u64);	/* from data_offset */
		d->bucket_size = 0;
		/* the rest of the name field stays zero (kzalloc) */
		strscpy((char *)(d + 1), sf->defs[i].name, KVM_STATS_NAME_SIZE);
	}
}

static int kvmx_stats_fd(struct kvmx_vm *vm, const char *fname,
			 const void *counters,
			 const struct kvmx_stat_def *defs, unsigned int nr,
			 const char *id)
{
	struct kvmx_stats_file *sf;
	struct file *file;
	size_t prefix;
	int fd;

	prefix = sizeof(struct kvm_stats_header) + KVM_STATS_NAME_SIZE +
		 nr * KVMX_STATS_DESC_STRIDE;
	sf = kzalloc(struct_size(sf, prefix, prefix), GFP_KERNEL_ACCOUNT);
	if (!sf)
		return -ENOMEM;
	sf->vm = vm;
	sf->counters = counters;
	sf->defs = defs;
	sf->nr = nr;
	sf->prefix_size = prefix;
	kvmx_stats_fill_prefix(sf, id);

	fd = get_unused_fd_flags(O_CLOEXEC);
	if (fd < 0) {
		kfree(sf);
		return fd;
	}
	/* the backend is fixed while any VM exists: the same value each time */
	WRITE_ONCE(kvmx_stats_fops.owner, kvmx_backend->owner);
	file = anon_inode_getfile(fname, &kvmx_stats_fops, sf, O_RDONLY);
	if (IS_ERR(file)) {
		put_unused_fd(fd);
		kfree(sf);
		return PTR_ERR(file);
	}
	/* anon-inode files are not positional by default; ours are */
	file->f_mode |= FMODE_PREAD;
	kvmx_vm_get(vm);
	fd_install(fd, file);
	return fd;
}

/*
 * The ids name the calling task, which for a VMM that asks from the
 * thread that created the VM (or vCPU) is the one in-tree records at
 * creation.
 */
int kvmx_vm_stats_fd(struct kvmx_vm *vm)
{
	char id[KVM_STATS_NAME_SIZE];

	snprintf(id, sizeof(id), "kvm-%d", task_pid_nr(current));
	return kvmx_stats_fd(vm, "kvm-vm-stats", &vm->stat, kvmx_vm_stat_defs,
			     ARRAY_SIZE(kvmx_vm_stat_defs), id);
}

int kvmx_vcpu_stats_fd(struct kvmx_vcpu *vcpu)
{
	char id[KVM_STATS_NAME_SIZE];

	snprintf(id, sizeof(id), "kvm-%d/vcpu-%u", task_pid_nr(current),
		 vcpu->id);
	return kvmx_stats_fd(vcpu->vm, "kvm-vcpu-stats", &vcpu->stat,
			     kvmx_vcpu_stat_defs,
			     ARRAY_SIZE(kvmx_vcpu_stat_defs), id);
}
