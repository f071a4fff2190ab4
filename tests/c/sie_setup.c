/*
 * The SIE control block of a new ucontrol vcpu, read through its mmapped
 * page 1, as the kernel's selftest (uc_sie_assertions) and a controller
 * doing its own storage-key handling look at it. Offsets and bits are the
 * kernel's (arch/s390/include/asm/kvm_host.h). Prints "key=value" lines.
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

static __u32 u32_at(const unsigned char *p)
{
	__u32 v;
	memcpy(&v, p, 4);
	return v;
}

int main(void)
{
	int kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	int vm = ioctl(kvm, KVM_CREATE_VM, KVM_VM_S390_UCONTROL);
	int vcpu = ioctl(vm, KVM_CREATE_VCPU, 3UL);
	if (kvm < 0 || vm < 0 || vcpu < 0) {
		printf("fatal=setup/%s\n", strerrorname_np(errno));
		return 1;
	}
	unsigned char *sie = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 4096);
	if (sie == MAP_FAILED) {
		printf("fatal=mmap/%s\n", strerrorname_np(errno));
		return 1;
	}
	__u32 cpuflags = u32_at(sie + 0x00);
	printf("stopped=%d\n", !!(cpuflags & 0x80000000));
	printf("zarch=%d\n", !!(cpuflags & 0x00000800));
	printf("kss=%d\n", !!(cpuflags & 0x00000200));
	__u32 ictl = u32_at(sie + 0x48);
	printf("ictl_keys=%d\n", (ictl & 0x7000) == 0x7000);
	printf("ictl_operexc=%d\n", !!(ictl & 0x80000000));
	printf("ecb_speci=%d\n", !!(sie[0x61] & 0x08));
	__s16 icpua;
	memcpy(&icpua, sie + 0x46, 2);
	printf("icpua=%d\n", icpua);
	return 0;
}
