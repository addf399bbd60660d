// SPDX-License-Identifier: GPL-2.0-only
/*
 * Swapping KVM module sets inside the rig's emulated host, so that one
 * boot measures both kvmx and the distro's KVM.
 *
 * The rig's initramfs has the set it loaded at boot in /kvmx/modules with
 * its load order in /kvmx/load.list, and (run.sh --stage-ref) the distro's
 * set in /kvmx/ref/modules and /kvmx/ref/load.list.  A load list has one
 * module file per line, dependencies first, optionally followed by insmod
 * arguments.  Only the vendor module and kvm are unloaded: irqbypass and
 * ccp, which the distro's modules need, may stay (kvmx uses neither), so
 * modules already present are skipped when loading.
 */
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include "bench.h"

/* delete_module() answers EWOULDBLOCK while the last VM is being torn down. */
#define UNLOAD_TRIES	100
#define UNLOAD_WAIT_US	100000

static int unload_one(const char *name, char *err, size_t len)
{
	int i;

	for (i = 0; i < UNLOAD_TRIES; i++) {
		if (syscall(SYS_delete_module, name, O_NONBLOCK) == 0)
			return 0;
		if (errno == ENOENT)
			return 0;	/* not loaded: nothing to do */
		if (errno != EWOULDBLOCK && errno != EBUSY)
			break;
		usleep(UNLOAD_WAIT_US);
	}
	snprintf(err, len, "rmmod %s: %s", name, strerror(errno));
	return -1;
}

int modset_unload(const char *vendor_module, char *err, size_t len)
{
	if (unload_one(vendor_module, err, len))
		return -1;
	return unload_one("kvm", err, len);
}

/* "kvm-amd.ko" -> "kvm_amd": the name /sys/module knows it by. */
static void module_name(const char *file, char *name, size_t len)
{
	size_t i;

	for (i = 0; i + 1 < len && file[i] && strcmp(file + i, ".ko"); i++)
		name[i] = file[i] == '-' ? '_' : file[i];
	name[i] = '\0';
}

static bool module_loaded(const char *name)
{
	char path[128];
	struct stat st;

	snprintf(path, sizeof(path), "/sys/module/%s/initstate", name);
	return stat(path, &st) == 0;
}

static int load_one(const char *dir, const char *file, const char *args,
		    char *err, size_t len)
{
	char path[256], name[64];
	int fd, r;

	module_name(file, name, sizeof(name));
	if (module_loaded(name))
		return 0;
	snprintf(path, sizeof(path), "%s/modules/%s", dir, file);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, len, "open %s: %s", path, strerror(errno));
		return -1;
	}
	r = syscall(SYS_finit_module, fd, args, 0);
	if (r)
		snprintf(err, len, "insmod %s: %s", path, strerror(errno));
	close(fd);
	return r ? -1 : 0;
}

int modset_load(const char *dir, char *err, size_t len)
{
	char path[256], line[512], *file, *args, *save;
	FILE *f;
	int r = 0;

	snprintf(path, sizeof(path), "%s/load.list", dir);
	f = fopen(path, "r");
	if (!f) {
		snprintf(err, len, "%s: %s", path, strerror(errno));
		return -1;
	}
	while (!r && fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		file = strtok_r(line, " ", &save);
		if (!file)
			continue;
		args = strtok_r(NULL, "", &save);
		r = load_one(dir, file, args ? args : "", err, len);
	}
	fclose(f);
	if (!r && access("/dev/kvm", F_OK)) {
		snprintf(err, len, "%s loaded, but no /dev/kvm", dir);
		r = -1;
	}
	return r;
}
