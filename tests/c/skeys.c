/*
 * Storage keys of a ucontrol VM as an s390 controller meets them: the
 * kernel selftest's uc_skey scenario (SSKE intercepted until the controller
 * clears the ICTL key bits, then SSKE/ISKE/RRBE executed by the machine),
 * the reference and change bits a guest fetch and store set, and the VM
 * ioctls KVM_S390_GET_SKEYS / KVM_S390_SET_SKEYS / KVM_S390_KEYOP (7.0).
 * Prints "key=value" lines; a failed call as "-1/ENAME".
 */
#define _GNU_SOURCE
#define __KVM_S390 /* the s390 layout of struct kvm_run */
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "show.h"

#define MIB (1ULL << 20)
#define VM_MEM (4 * MIB)
#define CODE (3 * MIB)
#define DATA (VM_MEM - MIB / 2)
#define SIE_CPUFLAGS 0x00
#define SIE_ICTL 0x48
#define SIE_IPA 0x56
#define CPUSTAT_STOPPED 0x80000000u
#define CPUSTAT_KSS 0x00000200u
#define ICTL_KEYS 0x00007000u /* ISKE | SSKE | RRBE */

/* Linux 7.0's key operation, absent from older headers. */
struct s390_keyop {
	uint64_t addr;
	uint8_t key;
	uint8_t operation;
	uint8_t pad[6];
};
#define S390_KEYOP _IOWR(KVMIO, 0x53, struct s390_keyop)

/* The selftest's test_skey_asm, byte for byte. */
static const uint8_t skey_asm[] = {
	0xb9, 0x82, 0x00, 0x00, /* xgr  %r0,%r0 */
	0xa7, 0x0a, 0x00, 0x01, /* 0: ahi %r0,1 */
	0x50, 0x15, 0x60, 0x00, /* st   %r1,0(%r5,%r6) */
	0xb2, 0x2b, 0x00, 0x16, /* sske %r1,%r6 */
	0xb9, 0x82, 0x00, 0x11, /* xgr  %r1,%r1 */
	0xb2, 0x29, 0x00, 0x16, /* iske %r1,%r6 */
	0xa7, 0x0a, 0x00, 0x01, /* ahi  %r0,1 */
	0x83, 0x00, 0x00, 0x44, /* diag 0,0,0x44 */
	0xb2, 0x2a, 0x00, 0x16, /* rrbe %r1,%r6 */
	0xb2, 0x29, 0x00, 0x16, /* iske %r1,%r6 */
	0xa7, 0x0a, 0x00, 0x01, /* ahi  %r0,1 */
	0x83, 0x00, 0x00, 0x44, /* diag 0,0,0x44 */
	0xa7, 0xf4, 0xff, 0xea, /* j    0b */
};

/* Reference and change bits: set key r3, then read it after a fetch and
 * after a store. */
static const uint8_t rc_asm[] = {
	0xb2, 0x2b, 0x00, 0x36, /* sske %r3,%r6 */
	0xb2, 0x29, 0x00, 0x46, /* iske %r4,%r6 */
	0x58, 0x10, 0x60, 0x00, /* l    %r1,0(%r6) */
	0xb2, 0x29, 0x00, 0x26, /* iske %r2,%r6 */
	0x50, 0x10, 0x60, 0x00, /* st   %r1,0(%r6) */
	0xb2, 0x29, 0x00, 0x76, /* iske %r7,%r6 */
	0x83, 0x00, 0x00, 0x44, /* diag 0,0,0x44 */
};

static int vcpu;
static struct kvm_run *run;
static uint8_t *sie;

static uint64_t *gprs(void)
{
	return (uint64_t *)(run->s.padding + 8);
}

static uint32_t sie_u32(size_t off)
{
	uint32_t v;
	memcpy(&v, sie + off, 4);
	return v;
}

static void sie_set_u32(size_t off, uint32_t v)
{
	memcpy(sie + off, &v, 4);
}

static uint16_t sie_ipa(void)
{
	uint16_t v;
	memcpy(&v, sie + SIE_IPA, 2);
	return v;
}

static long skeys(int vm, unsigned long req, uint64_t gfn, uint64_t count, void *buf, uint32_t flags)
{
	struct kvm_s390_skeys a = {
		.start_gfn = gfn, .count = count, .skeydata_addr = (uint64_t)buf, .flags = flags,
	};
	return ioctl(vm, req, &a);
}

static long keyop(int vm, uint64_t addr, uint8_t key, uint8_t op, uint8_t *out)
{
	struct s390_keyop k = { .addr = addr, .key = key, .operation = op };
	long r = ioctl(vm, S390_KEYOP, &k);
	*out = k.key;
	return r;
}

int main(void)
{
	int kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	int vm = ioctl(kvm, KVM_CREATE_VM, KVM_VM_S390_UCONTROL);
	vcpu = ioctl(vm, KVM_CREATE_VCPU, 0UL);
	uint8_t *mem = aligned_alloc(MIB, VM_MEM);
	if (kvm < 0 || vm < 0 || vcpu < 0 || !mem) {
		printf("fatal=setup/%s\n", strerrorname_np(errno));
		return 1;
	}
	memset(mem, 0, VM_MEM);
	run = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 0);
	sie = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 4096);
	struct kvm_s390_ucas_mapping map = { (uint64_t)mem, 0, VM_MEM };
	if (run == MAP_FAILED || sie == MAP_FAILED || ioctl(vcpu, KVM_S390_UCAS_MAP, &map) ||
	    ioctl(vcpu, KVM_S390_VCPU_FAULT, 0UL)) {
		printf("fatal=map/%s\n", strerrorname_np(errno));
		return 1;
	}
	sie_set_u32(SIE_CPUFLAGS, sie_u32(SIE_CPUFLAGS) & ~CPUSTAT_STOPPED);
	uint8_t key[4] = { 0 };
	show("get_before_set", skeys(vm, KVM_S390_GET_SKEYS, 0, 1, key, 0));
	show("get_flags", skeys(vm, KVM_S390_GET_SKEYS, 0, 1, key, 1));

	/* uc_skey */
	memcpy(mem + CODE, skey_asm, sizeof(skey_asm));
	gprs()[1] = 0x34;
	gprs()[5] = 0;
	gprs()[6] = DATA;
	run->psw_mask = 0x0000000180000000ULL;
	run->psw_addr = CODE;
	printf("ictl_keys_new=%#x\n", sie_u32(SIE_ICTL) & ICTL_KEYS);
	show("run1", ioctl(vcpu, KVM_RUN, 0));
	printf("run1_exit=%u ipa=%#x r0=%llu\n", run->exit_reason, sie_ipa(),
	       (unsigned long long)gprs()[0]);
	/* The controller takes the key instructions away from itself. */
	sie_set_u32(SIE_CPUFLAGS, sie_u32(SIE_CPUFLAGS) & ~CPUSTAT_KSS);
	sie_set_u32(SIE_ICTL, sie_u32(SIE_ICTL) & ~ICTL_KEYS);
	run->psw_addr -= 4;
	gprs()[1] = 0x34;
	show("run2", ioctl(vcpu, KVM_RUN, 0));
	printf("run2_ipa=%#x r0=%llu r1=%#llx\n", sie_ipa(), (unsigned long long)gprs()[0],
	       (unsigned long long)gprs()[1]);
	gprs()[1] = 0x34;
	show("run3", ioctl(vcpu, KVM_RUN, 0));
	printf("run3_ipa=%#x r0=%llu r1=%#llx cc=%llu\n", sie_ipa(), (unsigned long long)gprs()[0],
	       (unsigned long long)gprs()[1], (unsigned long long)(run->psw_mask >> 44) & 3);

	/* Fetches set the reference bit, stores the change bit too. */
	memcpy(mem + CODE, rc_asm, sizeof(rc_asm));
	gprs()[3] = 0x50;
	gprs()[6] = DATA + 0x1000;
	run->psw_addr = CODE;
	show("run_rc", ioctl(vcpu, KVM_RUN, 0));
	printf("rc_set=%#llx rc_fetch=%#llx rc_store=%#llx\n", (unsigned long long)gprs()[4],
	       (unsigned long long)gprs()[2], (unsigned long long)gprs()[7]);

	/* The VM's key ioctls name frames of user memory (B, C). */
	uint64_t gfn = ((uint64_t)mem + DATA) >> 12;
	show("get_after_guest", skeys(vm, KVM_S390_GET_SKEYS, gfn, 2, key, 0));
	key[0] = 0x52;
	key[1] = 0x60;
	show("set", skeys(vm, KVM_S390_SET_SKEYS, gfn, 2, key, 0));
	memset(key, 0xff, sizeof(key));
	show("get", skeys(vm, KVM_S390_GET_SKEYS, gfn, 2, key, 0));
	printf("got=%#x,%#x\n", key[0], key[1]);
	key[0] = 0x20;
	key[1] = 0x41;
	show("set_reserved_bit", skeys(vm, KVM_S390_SET_SKEYS, gfn, 2, key, 0));
	skeys(vm, KVM_S390_GET_SKEYS, gfn, 1, key, 0);
	printf("first_after_reserved=%#x\n", key[0]);
	show("set_count_0", skeys(vm, KVM_S390_SET_SKEYS, gfn, 0, key, 0));
	show("set_flags", skeys(vm, KVM_S390_SET_SKEYS, gfn, 1, key, 1));
	show("set_unreadable", skeys(vm, KVM_S390_SET_SKEYS, gfn, 1, NULL, 0));
	show("get_unwritable", skeys(vm, KVM_S390_GET_SKEYS, gfn, 1, NULL, 0));
	show("get_too_many", skeys(vm, KVM_S390_GET_SKEYS, gfn, (1 << 20) + 1, key, 0));

	/* KVM_S390_KEYOP: 1 ISKE, 2 RRBE, 3 SSKE (answers the old key). */
	uint64_t addr = (uint64_t)mem + DATA + 0x1000;
	uint8_t out = 0;
	show("keyop_iske", keyop(vm, addr, 0, 1, &out));
	printf("keyop_iske_key=%#x\n", out);
	show("keyop_sske", keyop(vm, addr, 0x76, 3, &out));
	printf("keyop_sske_key=%#x\n", out);
	show("keyop_rrbe", keyop(vm, addr, 0, 2, &out));
	printf("keyop_rrbe_key=%#x\n", out);
	show("keyop_bad_op", keyop(vm, addr, 0, 4, &out));
	show("keyop_null", ioctl(vm, S390_KEYOP, NULL));
	return 0;
}
