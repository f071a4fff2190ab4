/*
 * The VM attribute groups TOD, CRYPTO, MIGRATION and CPU_TOPOLOGY,
 * KVM_S390_STORE_STATUS and KVM_SET_GUEST_DEBUG on a ucontrol VM, as an
 * s390 program sends them (s390 structs and numbers written out: this file
 * is built for the x86_64 host). Prints "key=value" lines.
 */
#define _GNU_SOURCE
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "show.h"

#define VM_TOD 1
#define VM_CRYPTO 2
#define VM_MIGRATION 4
#define VM_TOPOLOGY 5
#define CPUSTAT_P 0x400u

struct tod_clock {
	uint8_t epoch_idx;
	uint64_t tod;
};

struct s390_guest_debug {
	uint32_t control;
	uint32_t pad;
	uint32_t nr_hw_bp;
	uint32_t pad2;
	uint64_t hw_bp;
};
#define S390_SET_GUEST_DEBUG _IOW(KVMIO, 0x9b, struct s390_guest_debug)

/* s390's struct kvm_hw_breakpoint (the host header has x86's). */
struct s390_hw_breakpoint {
	uint64_t addr;
	uint64_t phys_addr;
	uint64_t len;
	uint8_t type;
	uint8_t reserved[7];
};
#define S390_HW_BP 1
#define S390_HW_WP_WRITE 2
#define S390_GUESTDBG_USE_HW_BP 0x00010000

/* Guest debugging with hardware breakpoints: the answer, and whether
 * CPUSTAT_P is on afterwards. */
static void debug_bps(int vcpu, const uint8_t *sie, const char *name,
		      struct s390_hw_breakpoint *bps, uint32_t nr)
{
	struct s390_guest_debug dbg = {
		.control = KVM_GUESTDBG_ENABLE | S390_GUESTDBG_USE_HW_BP,
		.nr_hw_bp = nr,
		.hw_bp = (uint64_t)bps,
	};
	uint32_t flags;
	show(name, ioctl(vcpu, S390_SET_GUEST_DEBUG, &dbg));
	memcpy(&flags, sie, 4);
	printf("%s_p=%d\n", name, !!(flags & CPUSTAT_P));
}
#define S390_STORE_STATUS _IOW(KVMIO, 0x95, unsigned long)

static long attr(int fd, unsigned long req, uint32_t group, uint64_t a, void *addr, uint32_t flags)
{
	struct kvm_device_attr d = { .flags = flags, .group = group, .attr = a, .addr = (uint64_t)addr };
	return ioctl(fd, req, &d);
}

int main(void)
{
	int kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	int vm = ioctl(kvm, KVM_CREATE_VM, KVM_VM_S390_UCONTROL);
	/* Below 2 GiB, where a prefix can point. */
	uint8_t *mem = mmap((void *)0x70000000, 1 << 20, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	if (kvm < 0 || vm < 0 || mem == MAP_FAILED) {
		printf("fatal=setup/%s\n", strerrorname_np(errno));
		return 1;
	}
	uint64_t v64 = 0;
	uint8_t v8 = 0xff;
	struct tod_clock ext = { 0 };

	show("has_tod_low", attr(vm, KVM_HAS_DEVICE_ATTR, VM_TOD, 0, NULL, 0));
	show("has_tod_high", attr(vm, KVM_HAS_DEVICE_ATTR, VM_TOD, 1, NULL, 0));
	show("has_tod_ext", attr(vm, KVM_HAS_DEVICE_ATTR, VM_TOD, 2, NULL, 0));
	show("get_tod_low", attr(vm, KVM_GET_DEVICE_ATTR, VM_TOD, 0, &v64, 0));
	printf("tod_after_2000=%d\n", v64 > 0xB1962F9305180000ULL);
	v64 = 0x1000000000000000ULL;
	show("set_tod_low", attr(vm, KVM_SET_DEVICE_ATTR, VM_TOD, 0, &v64, 0));
	attr(vm, KVM_GET_DEVICE_ATTR, VM_TOD, 0, &v64, 0);
	printf("tod_follows_set=%d\n", v64 - 0x1000000000000000ULL < (1ULL << 40));
	show("get_tod_high", attr(vm, KVM_GET_DEVICE_ATTR, VM_TOD, 1, &v8, 0));
	printf("tod_high=%u\n", v8);
	v8 = 1;
	show("set_tod_high_1", attr(vm, KVM_SET_DEVICE_ATTR, VM_TOD, 1, &v8, 0));
	show("get_tod_ext", attr(vm, KVM_GET_DEVICE_ATTR, VM_TOD, 2, &ext, 0));
	printf("ext_follows_set=%d\n", ext.tod - 0x1000000000000000ULL < (1ULL << 40));
	ext.epoch_idx = 1;
	show("set_tod_ext_epoch", attr(vm, KVM_SET_DEVICE_ATTR, VM_TOD, 2, &ext, 0));
	show("tod_flags", attr(vm, KVM_GET_DEVICE_ATTR, VM_TOD, 0, &v64, 1));
	show("tod_unknown", attr(vm, KVM_GET_DEVICE_ATTR, VM_TOD, 3, &v64, 0));
	show("tod_null", attr(vm, KVM_GET_DEVICE_ATTR, VM_TOD, 0, NULL, 0));

	show("has_crypto_aes", attr(vm, KVM_HAS_DEVICE_ATTR, VM_CRYPTO, 0, NULL, 0));
	show("has_crypto_apie", attr(vm, KVM_HAS_DEVICE_ATTR, VM_CRYPTO, 4, NULL, 0));
	show("set_crypto_disable_aes", attr(vm, KVM_SET_DEVICE_ATTR, VM_CRYPTO, 2, NULL, 0));
	show("set_crypto_apie", attr(vm, KVM_SET_DEVICE_ATTR, VM_CRYPTO, 4, NULL, 0));
	show("set_crypto_unknown", attr(vm, KVM_SET_DEVICE_ATTR, VM_CRYPTO, 6, NULL, 0));
	show("get_crypto", attr(vm, KVM_GET_DEVICE_ATTR, VM_CRYPTO, 0, &v64, 0));

	show("has_migration", attr(vm, KVM_HAS_DEVICE_ATTR, VM_MIGRATION, 7, NULL, 0));
	show("migration_start", attr(vm, KVM_SET_DEVICE_ATTR, VM_MIGRATION, 1, NULL, 0));
	v64 = 9;
	show("migration_status", attr(vm, KVM_GET_DEVICE_ATTR, VM_MIGRATION, 2, &v64, 0));
	printf("migration_mode=%llu\n", (unsigned long long)v64);
	show("migration_stop", attr(vm, KVM_SET_DEVICE_ATTR, VM_MIGRATION, 0, NULL, 0));
	show("migration_get_start", attr(vm, KVM_GET_DEVICE_ATTR, VM_MIGRATION, 1, &v64, 0));

	show("has_topology", attr(vm, KVM_HAS_DEVICE_ATTR, VM_TOPOLOGY, 0, NULL, 0));
	show("set_topology", attr(vm, KVM_SET_DEVICE_ATTR, VM_TOPOLOGY, 1, NULL, 0));
	v8 = 0;
	show("get_topology", attr(vm, KVM_GET_DEVICE_ATTR, VM_TOPOLOGY, 0, &v8, 0));
	printf("topology_mtcr=%u\n", v8);

	/* STORE_STATUS and guest debugging on a vcpu. */
	int vcpu = ioctl(vm, KVM_CREATE_VCPU, 0UL);
	uint8_t *run = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 0);
	uint8_t *sie = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 4096);
	if (vcpu < 0 || run == MAP_FAILED || sie == MAP_FAILED) {
		printf("fatal=vcpu/%s\n", strerrorname_np(errno));
		return 1;
	}
	uint64_t r7 = 0x0706050403020100ULL;
	memcpy(run + 328 + 7 * 8, &r7, 8);
	uint64_t area = (uint64_t)mem + 0x1200;
	show("store_status", ioctl(vcpu, S390_STORE_STATUS, area));
	uint64_t stored;
	memcpy(&stored, mem + 0x1280 + 7 * 8, 8);
	printf("stored_r7_be=%#llx\n", (unsigned long long)be64toh(stored));
	show("store_status_noaddr", ioctl(vcpu, S390_STORE_STATUS, -1UL));
	show("store_status_unmapped", ioctl(vcpu, S390_STORE_STATUS, 0x1200UL));

	uint32_t flags;
	struct s390_guest_debug dbg = { .control = KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_SINGLESTEP };
	show("guest_debug_on", ioctl(vcpu, S390_SET_GUEST_DEBUG, &dbg));
	memcpy(&flags, sie, 4);
	printf("cpustat_p=%d\n", !!(flags & CPUSTAT_P));
	dbg.control = 0x4;
	show("guest_debug_bad", ioctl(vcpu, S390_SET_GUEST_DEBUG, &dbg));
	dbg.control = 0;
	show("guest_debug_off", ioctl(vcpu, S390_SET_GUEST_DEBUG, &dbg));
	memcpy(&flags, sie, 4);
	printf("cpustat_p_off=%d\n", !!(flags & CPUSTAT_P));
	show("guest_debug_null", ioctl(vcpu, S390_SET_GUEST_DEBUG, NULL));

	static struct s390_hw_breakpoint bps[51];
	bps[0] = (struct s390_hw_breakpoint){ .addr = 0x2000, .len = 2, .type = S390_HW_BP };
	debug_bps(vcpu, sie, "bp_one", bps, 1);
	debug_bps(vcpu, sie, "bp_51", bps, 51);
	debug_bps(vcpu, sie, "bp_unreadable", (void *)8, 2);
	/* A write watchpoint reads the guest absolute memory it watches. */
	bps[1] = (struct s390_hw_breakpoint){ .phys_addr = (uint64_t)mem, .len = 8, .type = S390_HW_WP_WRITE };
	debug_bps(vcpu, sie, "wp_mem", bps, 2);
	bps[1].len = 101;
	debug_bps(vcpu, sie, "wp_101", bps, 2);
	bps[1].len = 0x100000000ULL; /* 0 as the kernel's int */
	debug_bps(vcpu, sie, "wp_len_wraps", bps, 2);
	bps[1] = (struct s390_hw_breakpoint){ .phys_addr = 0x1000, .len = 8, .type = S390_HW_WP_WRITE };
	debug_bps(vcpu, sie, "wp_unmapped", bps, 2);
	bps[1].type = 7; /* ignored */
	debug_bps(vcpu, sie, "bp_other_type", bps, 2);
	return 0;
}
