/*
 * Requests an s390 kernel knows but `ucas emulate` does not model yet, on a
 * ucontrol VM and its vcpu: each must fail as an unknown ioctl fails there
 * (ENOTTY), and the emulator must say so once per ioctl. Prints
 * "NAME=-1/ERRNO" lines.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "show.h"
#include "ucontrol_vcpu.h"


/*
 * struct kvm_regs as s390's <asm/kvm.h> has it: this file is built for the
 * x86_64 host, whose own kvm_regs (and so KVM_GET_REGS) differ; a program
 * built for s390x sends this number.
 */
struct s390_kvm_regs {
	__u64 gprs[16];
};
#define S390_KVM_GET_REGS _IOR(KVMIO, 0x81, struct s390_kvm_regs)

int main(void)
{
	int kvm, vm, vcpu;
	ucontrol_vcpu(&kvm, &vm, &vcpu);
	struct s390_kvm_regs regs;
	/* The registers of a regular VM's vcpu (the model runs only ucontrol
	 * vcpus), asked twice: said once. */
	int regular = ioctl(kvm, KVM_CREATE_VM, 0UL);
	int regular_vcpu = ioctl(regular, KVM_CREATE_VCPU, 0UL);
	show("regular_vcpu", regular_vcpu);
	show("regular_regs", ioctl(regular_vcpu, S390_KVM_GET_REGS, &regs));
	show("regular_regs_again", ioctl(regular_vcpu, S390_KVM_GET_REGS, &regs));
	/* Modelled now: the length check. */
	struct kvm_s390_irq_state irq = { .len = 0 };
	show("irq", ioctl(vcpu, KVM_S390_GET_IRQ_STATE, &irq));
	struct kvm_s390_skeys skeys = { .count = 1 };
	show("get_skeys", ioctl(vm, KVM_S390_GET_SKEYS, &skeys));
	show("enable_sie", ioctl(kvm, KVM_S390_ENABLE_SIE, 0));
	/* A vcpu request on the VM fd: unknown there, as in the kernel. */
	show("regs_on_vm", ioctl(vm, S390_KVM_GET_REGS, &regs));
	return 0;
}
