/*
 * The setup most of the C test programs share: /dev/kvm, a ucontrol VM and
 * its vcpu 0. Include it after <linux/kvm.h>.
 */
#ifndef UCAS_TEST_UCONTROL_VCPU_H
#define UCAS_TEST_UCONTROL_VCPU_H

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

/* Opens /dev/kvm, creates a ucontrol VM and its vcpu 0 into the three
 * fds; on any failure prints "fatal=setup/ENAME" and exits with 1. */
static inline void ucontrol_vcpu(int *kvm, int *vm, int *vcpu)
{
	*kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	*vm = ioctl(*kvm, KVM_CREATE_VM, KVM_VM_S390_UCONTROL);
	*vcpu = ioctl(*vm, KVM_CREATE_VCPU, 0UL);
	if (*kvm < 0 || *vm < 0 || *vcpu < 0) {
		printf("fatal=setup/%s\n", strerrorname_np(errno));
		exit(1);
	}
}

#endif
