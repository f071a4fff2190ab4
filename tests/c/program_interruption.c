/*
 * program_interruption: a ucontrol guest divides by zero and lands in its
 * program-interruption handler through its lowcore, as the machine does
 * under SIE (no exit for the interruption itself); then a specification
 * exception, which SIE intercepts for a ucontrol guest (no ECB_SPECI):
 * KVM_EXIT_S390_SIEIC with intercept code 8 and the code in the SIE
 * block's iprcc. The prefix is moved to 64 KiB first, so the lowcore the
 * machine uses is the prefix area. Prints "key=value" lines.
 *
 *     ucas emulate ./program_interruption
 */
#define _GNU_SOURCE
#define __KVM_S390 /* the s390 layout of struct kvm_run */
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#define MIB (1UL << 20)
#define PREFIX 0x10000UL
#define CODE 0x4000UL
#define HANDLER 0x5000UL
#define PSW_MASK_64 0x0000000180000000ULL
#define SYNC_PREFIX (1ULL << 0)

/* lghi r1,0; lghi r3,7; dr r2,r1 (divide by zero); diag 0,0,0x44 */
static const uint8_t divide[] = {
	0xa7, 0x19, 0x00, 0x00, 0xa7, 0x39, 0x00, 0x07, 0x1d, 0x21, 0x83, 0x00, 0x00, 0x44,
};
/* the handler: diag 0,0,0x44 */
static const uint8_t handler[] = { 0x83, 0x00, 0x00, 0x44 };
/* dr r3,r1: an odd register pair, a specification exception */
static const uint8_t odd_pair[] = { 0x1d, 0x31 };

static void put64(uint8_t *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--, v >>= 8)
		p[i] = (uint8_t)v;
}

static uint64_t get64(const uint8_t *p)
{
	uint64_t v = 0;
	for (int i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

static unsigned get16(const uint8_t *p)
{
	return (unsigned)p[0] << 8 | p[1];
}

int main(void)
{
	int kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	int vm = ioctl(kvm, KVM_CREATE_VM, KVM_VM_S390_UCONTROL);
	int vcpu = ioctl(vm, KVM_CREATE_VCPU, 0UL);
	long size = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (kvm < 0 || vm < 0 || vcpu < 0 || size <= 0) {
		printf("fatal=setup/%s\n", strerrorname_np(errno));
		return 1;
	}
	struct kvm_run *run = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 0);
	uint8_t *sie = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 4096);
	uint8_t *raw = mmap(NULL, 2 * MIB, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (run == MAP_FAILED || sie == MAP_FAILED || raw == MAP_FAILED) {
		printf("fatal=mmap/%s\n", strerrorname_np(errno));
		return 1;
	}
	uint8_t *mem = (uint8_t *)(((uintptr_t)raw + MIB - 1) & ~(MIB - 1));
	struct kvm_s390_ucas_mapping map = { (uintptr_t)mem, 0, MIB };
	if (ioctl(vcpu, KVM_S390_UCAS_MAP, &map) != 0) {
		printf("fatal=map/%s\n", strerrorname_np(errno));
		return 1;
	}
	memcpy(mem + CODE, divide, sizeof divide);
	memcpy(mem + HANDLER, handler, sizeof handler);
	/* The program new PSW at real 0x1d0: in the prefix area. */
	put64(mem + PREFIX + 0x1d0, PSW_MASK_64);
	put64(mem + PREFIX + 0x1d8, HANDLER);

	uint64_t *prefix = (uint64_t *)run->s.padding;
	*prefix = PREFIX;
	run->kvm_dirty_regs = SYNC_PREFIX;
	run->psw_mask = PSW_MASK_64;
	run->psw_addr = CODE;
	printf("run=%d\n", ioctl(vcpu, KVM_RUN, 0));
	printf("exit_reason=%u\n", run->exit_reason);
	printf("icptcode=%u\n", run->s390_sieic.icptcode);
	printf("ipa=%#x\n", run->s390_sieic.ipa);
	printf("psw_addr=%#llx\n", (unsigned long long)run->psw_addr);
	printf("old_psw_mask=%#llx\n", (unsigned long long)get64(mem + PREFIX + 0x150));
	printf("old_psw_addr=%#llx\n", (unsigned long long)get64(mem + PREFIX + 0x158));
	printf("ilc_bytes=%u\n", get16(mem + PREFIX + 0x8c));
	printf("code=%#x\n", get16(mem + PREFIX + 0x8e));
	printf("absolute_0x150_untouched=%d\n", get64(mem + 0x150) == 0);

	memcpy(mem + CODE, odd_pair, sizeof odd_pair);
	run->kvm_dirty_regs = 0;
	run->psw_mask = PSW_MASK_64;
	run->psw_addr = CODE;
	printf("spec_run=%d\n", ioctl(vcpu, KVM_RUN, 0));
	printf("spec_exit_reason=%u\n", run->exit_reason);
	printf("spec_icptcode=%u\n", run->s390_sieic.icptcode);
	printf("spec_psw_addr=%#llx\n", (unsigned long long)run->psw_addr);
	uint16_t iprcc, pgmilc;
	memcpy(&pgmilc, sie + 0xcc, 2);
	memcpy(&iprcc, sie + 0xce, 2);
	printf("spec_iprcc=%u\n", iprcc);
	printf("spec_pgmilc=%u\n", pgmilc);
	return 0;
}
