/*
 * Requests an s390 kernel refuses on a ucontrol VM of a host without
 * protected virtualization or zPCI interpretation, and the one side effect
 * a refused KVM_S390_PV_COMMAND still has: the VM's run state becomes
 * userspace's, so a reset no longer stops its vcpus. Prints "key=value".
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "show.h"
#include "ucontrol_vcpu.h"


int main(void)
{
	int kvm, vm, vcpu;
	ucontrol_vcpu(&kvm, &vm, &vcpu);
	unsigned char *sie = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 4096);
	if (sie == MAP_FAILED)
		return 1;
	struct kvm_clear_dirty_log clear = { .slot = 0 };
	show("clear_dirty_log", ioctl(vm, KVM_CLEAR_DIRTY_LOG, &clear));
	struct kvm_s390_zpci_op zpci = { 0 };
	show("zpci_op", ioctl(vm, KVM_S390_ZPCI_OP, &zpci));
	struct kvm_pv_cmd pv = { .cmd = KVM_PV_ENABLE };
	show("pv_cpu_command", ioctl(vcpu, KVM_S390_PV_CPU_COMMAND, &pv));

	/* Running (CPUSTAT_STOPPED cleared as the selftest does). */
	__u32 flags;
	memcpy(&flags, sie, 4);
	flags &= ~0x80000000u;
	memcpy(sie, &flags, 4);
	show("pv_command", ioctl(vm, KVM_S390_PV_COMMAND, &pv));
	ioctl(vcpu, KVM_S390_NORMAL_RESET, 0);
	struct kvm_mp_state mp;
	show("state_after_reset", ioctl(vcpu, KVM_GET_MP_STATE, &mp));
	return 0;
}
