/*
 * The kernel's KVM_S390_KEYOP selftest (Linux 7.0) as a plain C program
 * against <linux/kvm.h> and libc: for each of four key scenarios and each
 * of five points at which the buffer pages are faulted in, a fresh regular
 * VM with one 256-page memory slot at guest address 0 and vcpu 0; the keys
 * of the upper 128 pages (the buffer) are set, read back, and worked on
 * one page at a time with KEYOP's ISKE, RRBE and SSKE.
 *
 * Prints "ok N - scenario (fault-in point F)" per passed run. Exits 0 when
 * all pass, 1 with a message at the first mismatch, and 4 (the kselftest
 * skip code) when the kernel lacks KVM_CAP_S390_KEYOP or
 * KVM_CAP_S390_UCONTROL, after checking that KVM_S390_KEYOP is then an
 * unknown ioctl (ENOTTY) on a regular VM.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "newer_uapi.h"

#define PAGE 4096UL
#define MIB (1UL << 20)
#define SLOT_PAGES 256UL
#define BUF_PAGES 128UL
#define BUF_GFN (SLOT_PAGES - BUF_PAGES)
#define BUF_ADDR (BUF_GFN * PAGE)
#define FAULT_POINTS 5

#define KEY_ACC 0xf0
#define KEY_F 0x08
#define KEY_R 0x04
#define KEY_C 0x02
#define KEY_ALL (KEY_ACC | KEY_F | KEY_R | KEY_C)

#define KSFT_SKIP 4

static int kvm;
static int use_region2;

/* The run under way, for messages. */
static const char *scenario;
static int point;

static void fail(const char *fmt, ...)
{
	va_list ap;

	printf("not ok - %s (fault-in point %d): ", scenario, point);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	exit(1);
}

struct vm {
	int fd;
	int vcpu;
	void *mem;
};

static void vm_open(struct vm *vm)
{
	/* 1 MiB of memory on a 1 MiB boundary, as s390 wants for a slot. */
	uint8_t *raw = mmap(NULL, 2 * MIB, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (raw == MAP_FAILED)
		fail("mmap: %s", strerror(errno));
	uint8_t *mem = (uint8_t *)(((uintptr_t)raw + MIB - 1) & ~(MIB - 1));
	if (mem > raw)
		munmap(raw, mem - raw);
	munmap(mem + MIB, raw + 2 * MIB - (mem + MIB));
	vm->mem = mem;

	vm->fd = ioctl(kvm, KVM_CREATE_VM, 0UL);
	if (vm->fd < 0)
		fail("KVM_CREATE_VM(0): %s", strerrorname_np(errno));
	/* The first form reads the second's first 32 bytes. */
	struct region2 region = {
		.slot = 0,
		.guest_phys_addr = 0,
		.memory_size = SLOT_PAGES * PAGE,
		.userspace_addr = (uintptr_t)mem,
	};
	long r = ioctl(vm->fd, use_region2 ? SET_USER_MEMORY_REGION2 : KVM_SET_USER_MEMORY_REGION,
		       &region);
	if (r != 0)
		fail("the 256-page memory slot: %ld/%s", r, strerrorname_np(errno));
	vm->vcpu = ioctl(vm->fd, KVM_CREATE_VCPU, 0UL);
	if (vm->vcpu < 0)
		fail("KVM_CREATE_VCPU(0): %s", strerrorname_np(errno));
}

static void vm_close(struct vm *vm)
{
	close(vm->vcpu);
	close(vm->fd);
	munmap(vm->mem, MIB);
}

static long skeys_call(struct vm *vm, unsigned long req, uint8_t *keys)
{
	struct kvm_s390_skeys args = {
		.start_gfn = BUF_GFN,
		.count = BUF_PAGES,
		.skeydata_addr = (uintptr_t)keys,
	};
	return ioctl(vm->fd, req, &args);
}

static void get_keys(struct vm *vm, uint8_t *keys)
{
	long r = skeys_call(vm, KVM_S390_GET_SKEYS, keys);
	if (r != 0)
		fail("KVM_S390_GET_SKEYS: %ld/%s", r, r < 0 ? strerrorname_np(errno) : "-");
}

static void set_keys(struct vm *vm, uint8_t *keys)
{
	long r = skeys_call(vm, KVM_S390_SET_SKEYS, keys);
	if (r != 0)
		fail("KVM_S390_SET_SKEYS: %ld/%s", r, r < 0 ? strerrorname_np(errno) : "-");
}

/* One key operation on buffer page `page`; the key it answers. */
static uint8_t keyop(struct vm *vm, uint8_t op, unsigned long page, uint8_t key)
{
	struct keyop k = {
		.guest_addr = BUF_ADDR + page * PAGE,
		.key = key,
		.operation = op,
	};
	long r = ioctl(vm->fd, S390_KEYOP, &k);
	if (r != 0)
		fail("KVM_S390_KEYOP op %u page %lu: %ld/%s", op, page, r,
		     r < 0 ? strerrorname_np(errno) : "-");
	if (k.key & 1)
		fail("KEYOP op %u page %lu answered key %#x with its last bit set", op, page, k.key);
	return k.key;
}

/* Faults every buffer page in when the run's point is `here`. */
static void fault_in(struct vm *vm, int here)
{
	if (here != point)
		return;
	for (unsigned long i = 0; i < BUF_PAGES; i++) {
		long r = ioctl(vm->vcpu, KVM_S390_VCPU_FAULT, BUF_ADDR + i * PAGE);
		if (r != 0)
			fail("KVM_S390_VCPU_FAULT of buffer page %lu: %ld/%s", i, r,
			     strerrorname_np(errno));
	}
}

static void pattern(uint8_t *keys)
{
	for (unsigned long i = 0; i < BUF_PAGES; i++)
		keys[i] = (uint8_t)(i << 1);
}

static void same(const uint8_t *got, const uint8_t *want, const char *what)
{
	for (unsigned long i = 0; i < BUF_PAGES; i++)
		if (got[i] != want[i])
			fail("%s: page %lu has key %#x, want %#x", what, i, got[i], want[i]);
}

/* At fault-in point 4, the buffer's keys read back must be `want`. */
static void read_back(struct vm *vm, const uint8_t *want, const char *what)
{
	uint8_t got[BUF_PAGES];

	fault_in(vm, 4);
	get_keys(vm, got);
	same(got, want, what);
}

static void keys_set_and_read_back(struct vm *vm)
{
	uint8_t want[BUF_PAGES] = {0}, got[BUF_PAGES];

	fault_in(vm, 1);
	set_keys(vm, want);
	fault_in(vm, 2);
	get_keys(vm, got);
	same(got, want, "keys set to zero");
	fault_in(vm, 3);
	pattern(want);
	set_keys(vm, want);
	read_back(vm, want, "keys set to the pattern");
}

static uint8_t all_ones(uint8_t old)
{
	(void)old;
	return 0xff;
}

/* Every bit of the old key inverted, and bit 7 set (to be ignored). */
static uint8_t inverted(uint8_t old)
{
	return (~old & KEY_ALL) | 1;
}

/*
 * What the three key-operation scenarios share: the pattern set at point
 * 1 (into `before`), then from point 2 operation `op` with key
 * `key(old key)` on every buffer page, point 3 halfway; its answers.
 */
static void per_page(struct vm *vm, uint8_t op, uint8_t (*key)(uint8_t), uint8_t *before,
		     uint8_t *answers)
{
	fault_in(vm, 1);
	pattern(before);
	set_keys(vm, before);
	fault_in(vm, 2);
	for (unsigned long i = 0; i < BUF_PAGES; i++) {
		answers[i] = keyop(vm, op, i, key(before[i]));
		if (i == BUF_PAGES / 2)
			fault_in(vm, 3);
	}
}

static void rrbe(struct vm *vm)
{
	uint8_t before[BUF_PAGES], rc[BUF_PAGES], want[BUF_PAGES];

	per_page(vm, KEYOP_RRBE, all_ones, before, rc);
	for (unsigned long i = 0; i < BUF_PAGES; i++) {
		want[i] = before[i] & (KEY_R | KEY_C);
		if (rc[i] != want[i])
			fail("RRBE of page %lu answered %#x, want the old R and C %#x", i, rc[i],
			     want[i]);
		want[i] = before[i] & ~KEY_R;
	}
	read_back(vm, want, "keys after RRBE (only R cleared)");
}

static void iske(struct vm *vm)
{
	uint8_t before[BUF_PAGES], got[BUF_PAGES];

	per_page(vm, KEYOP_ISKE, all_ones, before, got);
	same(got, before, "keys ISKE answered");
	read_back(vm, before, "keys after ISKE (unchanged)");
}

static void sske(struct vm *vm)
{
	uint8_t before[BUF_PAGES], old[BUF_PAGES], want[BUF_PAGES];

	per_page(vm, KEYOP_SSKE, inverted, before, old);
	same(old, before, "keys SSKE answered (the old ones)");
	for (unsigned long i = 0; i < BUF_PAGES; i++)
		want[i] = inverted(before[i]) & ~1;
	read_back(vm, want, "keys after SSKE");
}

static const struct {
	const char *name;
	void (*run)(struct vm *);
} scenarios[] = {
	{"Initialization", keys_set_and_read_back},
	{"RRBE", rrbe},
	{"ISKE", iske},
	{"SSKE", sske},
};

/* Without the capability, KEYOP must be unknown to a regular VM. */
static int skip(const char *why)
{
	scenario = "skip check";
	int vm = ioctl(kvm, KVM_CREATE_VM, 0UL);
	if (vm < 0)
		fail("KVM_CREATE_VM(0): %s", strerrorname_np(errno));
	struct keyop k = {.guest_addr = BUF_ADDR, .operation = KEYOP_ISKE};
	long r = ioctl(vm, S390_KEYOP, &k);
	if (r != -1 || errno != ENOTTY)
		fail("%s, yet KVM_S390_KEYOP answered %ld/%s, not ENOTTY", why, r,
		     r < 0 ? strerrorname_np(errno) : "-");
	close(vm);
	printf("1..0 # SKIP %s (KVM_S390_KEYOP: ENOTTY)\n", why);
	return KSFT_SKIP;
}

int main(void)
{
	kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm < 0) {
		printf("not ok - /dev/kvm: %s\n", strerror(errno));
		return 1;
	}
	if (ioctl(kvm, KVM_CHECK_EXTENSION, CAP_S390_KEYOP) <= 0)
		return skip("no KVM_CAP_S390_KEYOP");
	if (ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_S390_UCONTROL) <= 0)
		return skip("no KVM_CAP_S390_UCONTROL");
	use_region2 = ioctl(kvm, KVM_CHECK_EXTENSION, CAP_USER_MEMORY2) > 0;

	unsigned n = sizeof(scenarios) / sizeof(scenarios[0]);
	printf("1..%u\n", n * FAULT_POINTS);
	unsigned done = 0;
	for (unsigned s = 0; s < n; s++) {
		for (point = 0; point < FAULT_POINTS; point++) {
			scenario = scenarios[s].name;
			struct vm vm;
			vm_open(&vm);
			uint8_t keys[BUF_PAGES];
			long r = skeys_call(&vm, KVM_S390_GET_SKEYS, keys);
			if (r != KVM_S390_GET_SKEYS_NONE)
				fail("a new VM's GET_SKEYS answered %ld, not %d (keys unused)", r,
				     KVM_S390_GET_SKEYS_NONE);
			scenarios[s].run(&vm);
			vm_close(&vm);
			printf("ok %u - %s (fault-in point %d)\n", ++done, scenario, point);
		}
	}
	return 0;
}
