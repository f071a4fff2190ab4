/*
 * Memory slots of a regular (non-ucontrol) VM as an s390 kernel answers
 * them: KVM_SET_USER_MEMORY_REGION and ..._REGION2 with their checks, slot
 * moves and deletions, KVM_S390_VCPU_FAULT through the slots, storage keys
 * of slot frames, and migration mode, which needs a slot.
 * Prints "key=value" lines; a failed call as "-1/ENAME".
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "newer_uapi.h"
#include "show.h"

#define MIB (1UL << 20)
#define TIB (1UL << 40)

/* s390's VM attribute group for migration mode, and its start. */
#define VM_MIGRATION 4
#define VM_MIGRATION_START 1

static int vm;

/* The first form (v = 1) or the second (v = 2). */
static long region(int v, uint32_t slot, uint32_t flags, uint64_t gpa, uint64_t size,
		   void *user)
{
	struct region2 r = {
		.slot = slot,
		.flags = flags,
		.guest_phys_addr = gpa,
		.memory_size = size,
		.userspace_addr = (uintptr_t)user,
	};
	/* The first form is the second's first 32 bytes. */
	return ioctl(vm, v == 1 ? KVM_SET_USER_MEMORY_REGION : SET_USER_MEMORY_REGION2, &r);
}

static long skeys(unsigned long req, uint64_t gfn, uint8_t *key)
{
	struct kvm_s390_skeys s = {.start_gfn = gfn, .count = 1, .skeydata_addr = (uintptr_t)key};
	return ioctl(vm, req, &s);
}

int main(void)
{
	int kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	vm = ioctl(kvm, KVM_CREATE_VM, 0UL);
	int vcpu = ioctl(vm, KVM_CREATE_VCPU, 0UL);
	if (kvm < 0 || vm < 0 || vcpu < 0) {
		perror("setup");
		return 1;
	}
	/* 4 MiB on a 1 MiB boundary. */
	uint8_t *raw = mmap(NULL, 5 * MIB, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
			    -1, 0);
	uint8_t *mem = (uint8_t *)(((uintptr_t)raw + MIB - 1) & ~(MIB - 1));

	show("get_skeys_first", skeys(KVM_S390_GET_SKEYS, 0, &(uint8_t){0}));
	show("create", region(1, 0, 0, 0, MIB, mem));
	show("create2", region(2, 1, KVM_MEM_LOG_DIRTY_PAGES, 2 * MIB, MIB, mem + 2 * MIB));
	show("unreadable", ioctl(vm, KVM_SET_USER_MEMORY_REGION, NULL));
	show("overlap", region(1, 2, 0, MIB / 2, MIB, mem + 3 * MIB));
	show("user_unaligned", region(1, 2, 0, 8 * MIB, MIB, mem + 4096));
	show("size_unaligned", region(2, 2, 0, 8 * MIB, MIB / 2, mem + 3 * MIB));
	show("gpa_unaligned", region(1, 2, 0, 8 * MIB + 8, MIB, mem + 3 * MIB));
	show("guest_page_aligned", region(1, 2, 0, 8 * MIB + 4096, MIB, mem + 3 * MIB));
	show("readonly", region(1, 3, KVM_MEM_READONLY, 16 * MIB, MIB, mem + 3 * MIB));
	show("address_space_1", region(1, 1 << 16, 0, 16 * MIB, MIB, mem + 3 * MIB));
	show("slot_32766", region(1, 32766, 0, 16 * MIB, MIB, mem + 3 * MIB));
	region(1, 32766, 0, 0, 0, NULL);
	show("slot_32767", region(1, 32767, 0, 16 * MIB, MIB, mem + 3 * MIB));
	/* The modelled host's memory limit is 4 TiB. */
	show("beyond_limit", region(1, 4, 0, 4 * TIB - MIB + 4096, MIB, mem + 3 * MIB));
	show("up_to_limit", region(1, 4, 0, 4 * TIB - MIB, MIB, mem + 3 * MIB));
	show("delete_4", region(1, 4, 0, 0, 0, NULL));
	/* access_ok never fails on s390: a user range up to 2^64 is taken. */
	show("user_top", region(1, 4, 0, 32 * MIB, MIB, (void *)(uintptr_t)-MIB));
	show("delete_top", region(1, 4, 0, 0, 0, NULL));
	show("change_user", region(1, 1, 0, 2 * MIB, MIB, mem + 3 * MIB));
	show("change_size", region(1, 1, 0, 2 * MIB, 2 * MIB, mem + 2 * MIB));
	show("flags_only", region(2, 1, 0, 2 * MIB, MIB, mem + 2 * MIB));
	show("move", region(1, 1, 0, 16 * MIB, MIB, mem + 2 * MIB));
	show("fault_moved", ioctl(vcpu, KVM_S390_VCPU_FAULT, 16 * MIB + 0x123UL));
	show("delete", region(1, 1, 0, 0, 0, NULL));
	show("delete_again", region(1, 1, 0, 0, 0, NULL));

	show("fault_in_slot", ioctl(vcpu, KVM_S390_VCPU_FAULT, 0x1000UL));
	show("fault_outside", ioctl(vcpu, KVM_S390_VCPU_FAULT, 64 * MIB));
	munmap(mem + MIB / 2, 4096);
	show("fault_no_memory", ioctl(vcpu, KVM_S390_VCPU_FAULT, MIB / 2 + 8));

	uint8_t key = 0x30;
	show("set_skeys", skeys(KVM_S390_SET_SKEYS, 1, &key));
	key = 0;
	show("get_skeys", skeys(KVM_S390_GET_SKEYS, 1, &key));
	printf("key=%#x\n", key);
	show("get_skeys_outside", skeys(KVM_S390_GET_SKEYS, 300, &key));

	uint64_t none = 0;
	struct kvm_device_attr start = {
		.group = VM_MIGRATION,
		.attr = VM_MIGRATION_START,
		.addr = (uintptr_t)&none,
	};
	show("migration_start", ioctl(vm, KVM_SET_DEVICE_ATTR, &start));
	return 0;
}
