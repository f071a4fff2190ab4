/*
 * KVM_CHECK_EXTENSION as a C program sees it: on /dev/kvm, on a ucontrol
 * VM fd and on a regular VM fd, for capabilities named by <linux/kvm.h>.
 * Prints one "NAME=system/ucontrol/regular" line each; a capability the
 * header does not know (older than the kernel modelled) is given by number.
 * Run as root (a ucontrol VM needs CAP_SYS_ADMIN) under `ucas emulate`.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

static int kvm, uc, regular;

static void cap(const char *name, long nr)
{
	long a = ioctl(kvm, KVM_CHECK_EXTENSION, nr);
	long b = ioctl(uc, KVM_CHECK_EXTENSION, nr);
	long c = ioctl(regular, KVM_CHECK_EXTENSION, nr);
	printf("%s=%ld/%ld/%ld\n", name, a, b, c);
}

#define CAP(name) cap(#name, name)

int main(void)
{
	kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm < 0) {
		printf("fatal=open/%s\n", strerror(errno));
		return 1;
	}
	uc = ioctl(kvm, KVM_CREATE_VM, KVM_VM_S390_UCONTROL);
	regular = ioctl(kvm, KVM_CREATE_VM, 0UL);
	if (uc < 0 || regular < 0) {
		printf("fatal=create_vm/%s\n", strerror(errno));
		return 1;
	}
	CAP(KVM_CAP_USER_MEMORY);
	CAP(KVM_CAP_NR_MEMSLOTS);
	CAP(KVM_CAP_S390_UCONTROL);
	CAP(KVM_CAP_SYNC_REGS);
	CAP(KVM_CAP_MAX_VCPUS);
	CAP(KVM_CAP_MAX_VCPU_ID);
	CAP(KVM_CAP_IMMEDIATE_EXIT);
	CAP(KVM_CAP_S390_HPAGE_1M);
	CAP(KVM_CAP_S390_MEM_OP);
	CAP(KVM_CAP_SET_GUEST_DEBUG2);
	CAP(KVM_CAP_S390_PROTECTED);
	CAP(KVM_CAP_BINARY_STATS_FD);
	CAP(KVM_CAP_COALESCED_MMIO);
	CAP(KVM_CAP_DIRTY_LOG_RING);
	/* Newer than Debian 12's headers (6.1): by number. */
	cap("USER_MEMORY2", 231);
	cap("S390_USER_OPEREXEC", 246);
	cap("S390_KEYOP", 247);
	cap("unknown_250", 250);
	/* Not a VM: a vcpu fd has no KVM_CHECK_EXTENSION. */
	int vcpu = ioctl(uc, KVM_CREATE_VCPU, 0UL);
	long r = ioctl(vcpu, KVM_CHECK_EXTENSION, (long)KVM_CAP_S390_UCONTROL);
	printf("vcpu_check=%ld/%s\n", r, r < 0 ? strerrorname_np(errno) : "-");
	return 0;
}
