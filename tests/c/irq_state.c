/*
 * KVM_S390_GET_IRQ_STATE and KVM_S390_SET_IRQ_STATE on a ucontrol vcpu:
 * the argument checks, reading the state while nothing is pending, and
 * restoring it (one injection after the other, up to the first refusal;
 * EBUSY while anything is pending). Prints "key=value" lines.
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

static struct kvm_s390_irq buf[4];

static long set_state(int vcpu, unsigned int count)
{
	struct kvm_s390_irq_state state = {
		.buf = (__u64)(unsigned long)buf,
		.len = count * sizeof(buf[0]),
	};
	return ioctl(vcpu, KVM_S390_SET_IRQ_STATE, &state);
}

int main(void)
{
	int kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	int vm = ioctl(kvm, KVM_CREATE_VM, KVM_VM_S390_UCONTROL);
	int vcpu = ioctl(vm, KVM_CREATE_VCPU, 0UL);
	if (kvm < 0 || vm < 0 || vcpu < 0) {
		printf("fatal=setup/%s\n", strerrorname_np(errno));
		return 1;
	}
	struct kvm_s390_irq_state state = { .buf = (__u64)(unsigned long)buf };
	show("get_unreadable", ioctl(vcpu, KVM_S390_GET_IRQ_STATE, NULL));
	show("get_len_0", ioctl(vcpu, KVM_S390_GET_IRQ_STATE, &state));
	state.len = sizeof(buf);
	show("get_empty", ioctl(vcpu, KVM_S390_GET_IRQ_STATE, &state));

	show("set_unreadable", ioctl(vcpu, KVM_S390_SET_IRQ_STATE, NULL));
	state.len = 0;
	show("set_len_0", ioctl(vcpu, KVM_S390_SET_IRQ_STATE, &state));
	state.len = sizeof(buf[0]) - 1;
	show("set_len_odd", ioctl(vcpu, KVM_S390_SET_IRQ_STATE, &state));
	state.len = (255 + 32 + 1) * sizeof(buf[0]);
	show("set_too_long", ioctl(vcpu, KVM_S390_SET_IRQ_STATE, &state));
	state.len = sizeof(buf[0]);
	state.buf = 0;
	show("set_buf_unreadable", ioctl(vcpu, KVM_S390_SET_IRQ_STATE, &state));

	/* A stop of a stopped vcpu queues nothing. */
	memset(buf, 0, sizeof(buf));
	buf[0].type = KVM_S390_SIGP_STOP;
	show("set_stop_stopped", set_state(vcpu, 1));
	show("set_stop_again", set_state(vcpu, 1));

	/* An emergency signal from a cpu that is not a vcpu of the VM. */
	buf[0].type = KVM_S390_INT_EMERGENCY;
	buf[0].u.emerg.code = 5;
	show("set_bad_emergency", set_state(vcpu, 1));

	/* Up to the first refusal: the restart stays pending. */
	buf[0].type = KVM_S390_RESTART;
	buf[1].type = KVM_S390_INT_VIRTIO;
	show("set_partial", set_state(vcpu, 2));
	buf[1].type = KVM_S390_INT_EXTERNAL_CALL;
	buf[1].u.extcall.code = 0;
	show("set_busy", set_state(vcpu, 2));

	/* A reset clears the local interrupts. */
	show("reset", ioctl(vcpu, KVM_S390_NORMAL_RESET, 0));
	show("set_two", set_state(vcpu, 2));
	show("set_two_again", set_state(vcpu, 2));
	return 0;
}
