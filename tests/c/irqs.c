/*
 * Interrupt injection on a ucontrol VM: KVM_S390_IRQ and KVM_S390_INTERRUPT
 * on a vcpu (local interrupts) and KVM_S390_INTERRUPT on the VM (floating
 * ones). A ucontrol vcpu never delivers them; the checks and the pending
 * state that refuses a second stop or external call are what a program
 * sees. Prints "key=value" lines.
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

#include "show.h"

static long irq(int vcpu, uint64_t type, uint32_t word)
{
	struct kvm_s390_irq i;
	memset(&i, 0, sizeof(i));
	i.type = type;
	memcpy(&i.u, &word, 4);
	return ioctl(vcpu, KVM_S390_IRQ, &i);
}

static long interrupt(int fd, uint32_t type, uint32_t parm)
{
	struct kvm_s390_interrupt i = { .type = type, .parm = parm };
	return ioctl(fd, KVM_S390_INTERRUPT, &i);
}

int main(void)
{
	int kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	int vm = ioctl(kvm, KVM_CREATE_VM, KVM_VM_S390_UCONTROL);
	int vcpu = ioctl(vm, KVM_CREATE_VCPU, 0UL);
	uint8_t *sie = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 4096);
	if (kvm < 0 || vm < 0 || vcpu < 0 || sie == MAP_FAILED) {
		printf("fatal=setup/%s\n", strerrorname_np(errno));
		return 1;
	}
	/* A new vcpu is stopped. */
	show("set_prefix_stopped", irq(vcpu, KVM_S390_SIGP_SET_PREFIX, 0x2000));
	show("stop_stopped", irq(vcpu, KVM_S390_SIGP_STOP, 0));
	show("stop_store_stopped", irq(vcpu, KVM_S390_SIGP_STOP, KVM_S390_STOP_FLAG_STORE_STATUS));
	uint32_t flags;
	memcpy(&flags, sie, 4);
	flags &= ~0x80000000u;
	memcpy(sie, &flags, 4);
	show("set_prefix_running", irq(vcpu, KVM_S390_SIGP_SET_PREFIX, 0x2000));
	show("stop_bad_flags", irq(vcpu, KVM_S390_SIGP_STOP, 2));
	show("stop", irq(vcpu, KVM_S390_SIGP_STOP, 0));
	show("stop_again", irq(vcpu, KVM_S390_SIGP_STOP, 0));
	show("program", irq(vcpu, KVM_S390_PROGRAM_INT, 0x11));
	show("restart", irq(vcpu, KVM_S390_RESTART, 0));
	show("ckc", irq(vcpu, KVM_S390_INT_CLOCK_COMP, 0));
	show("cpu_timer", irq(vcpu, KVM_S390_INT_CPU_TIMER, 0));
	show("mchk", irq(vcpu, KVM_S390_MCHK, 0));
	show("pfault_init", irq(vcpu, KVM_S390_INT_PFAULT_INIT, 0));
	show("emergency_from_0", irq(vcpu, KVM_S390_INT_EMERGENCY, 0));
	show("emergency_from_9", irq(vcpu, KVM_S390_INT_EMERGENCY, 9));
	show("extcall", irq(vcpu, KVM_S390_INT_EXTERNAL_CALL, 0));
	show("extcall_again", irq(vcpu, KVM_S390_INT_EXTERNAL_CALL, 0));
	show("virtio_local", irq(vcpu, KVM_S390_INT_VIRTIO, 0));
	show("irq_null", ioctl(vcpu, KVM_S390_IRQ, NULL));
	show("reset", ioctl(vcpu, KVM_S390_NORMAL_RESET, 0));
	memcpy(&flags, sie, 4);
	flags &= ~0x80000000u;
	memcpy(sie, &flags, 4);
	show("extcall_after_reset", irq(vcpu, KVM_S390_INT_EXTERNAL_CALL, 0));
	show("interrupt_program", interrupt(vcpu, KVM_S390_PROGRAM_INT, 0x11));
	show("interrupt_program_big", interrupt(vcpu, KVM_S390_PROGRAM_INT, 0x10000));
	show("interrupt_unknown", interrupt(vcpu, KVM_S390_INT_SERVICE, 0));
	show("interrupt_null", ioctl(vcpu, KVM_S390_INTERRUPT, NULL));
	/* Floating interrupts on the VM. */
	show("vm_service", interrupt(vm, KVM_S390_INT_SERVICE, 8));
	show("vm_virtio", interrupt(vm, KVM_S390_INT_VIRTIO, 0));
	show("vm_io", interrupt(vm, 0x00010001, 0));
	show("vm_program", interrupt(vm, KVM_S390_PROGRAM_INT, 0));
	show("vm_emergency", interrupt(vm, KVM_S390_INT_EMERGENCY, 0));
	show("vm_null", ioctl(vm, KVM_S390_INTERRUPT, NULL));

	/* The generic vcpu requests whose answer needs no vcpu state. */
	struct kvm_enable_cap cap = { .cap = KVM_CAP_S390_CSS_SUPPORT };
	show("vcpu_cap_css", ioctl(vcpu, KVM_ENABLE_CAP, &cap));
	cap.flags = 1;
	show("vcpu_cap_flags", ioctl(vcpu, KVM_ENABLE_CAP, &cap));
	cap.flags = 0;
	cap.cap = KVM_CAP_S390_IRQCHIP;
	show("vcpu_cap_other", ioctl(vcpu, KVM_ENABLE_CAP, &cap));
	show("vcpu_cap_null", ioctl(vcpu, KVM_ENABLE_CAP, NULL));
	struct kvm_translation tr = { .linear_address = 0x1000 };
	show("translate", ioctl(vcpu, KVM_TRANSLATE, &tr));
	show("translate_null", ioctl(vcpu, KVM_TRANSLATE, NULL));
	struct {
		uint32_t len;
		uint8_t set[8];
	} mask = { .len = 8 };
	show("sigmask", ioctl(vcpu, KVM_SET_SIGNAL_MASK, &mask));
	mask.len = 4;
	show("sigmask_len", ioctl(vcpu, KVM_SET_SIGNAL_MASK, &mask));
	show("sigmask_clear", ioctl(vcpu, KVM_SET_SIGNAL_MASK, NULL));
	return 0;
}
