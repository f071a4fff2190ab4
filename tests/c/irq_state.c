/*
 * KVM_S390_GET_IRQ_STATE and KVM_S390_SET_IRQ_STATE on a ucontrol vcpu:
 * the argument checks, reading the state while nothing is pending, and
 * restoring it (one injection after the other, up to the first refusal;
 * EBUSY while anything is pending); a stop of the vcpu drops a pending
 * SIGP stop. Prints "key=value" lines.
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
	int kvm, vm, vcpu;
	ucontrol_vcpu(&kvm, &vm, &vcpu);
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

	/*
	 * Stopping the vcpu drops a pending SIGP stop: once running again
	 * (CPUSTAT_STOPPED cleared as the selftest does), it takes a new one.
	 */
	ioctl(vcpu, KVM_S390_NORMAL_RESET, 0);
	unsigned char *sie = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 4096);
	if (sie == MAP_FAILED)
		return 1;
	__u32 flags;
	memcpy(&flags, sie, 4);
	flags &= ~0x80000000u;
	memcpy(sie, &flags, 4);
	struct kvm_s390_irq stop = { .type = KVM_S390_SIGP_STOP };
	show("stop_running", ioctl(vcpu, KVM_S390_IRQ, &stop));
	show("stop_pending", ioctl(vcpu, KVM_S390_IRQ, &stop));
	struct kvm_mp_state mp = { .mp_state = KVM_MP_STATE_STOPPED };
	show("mp_stopped", ioctl(vcpu, KVM_SET_MP_STATE, &mp));
	mp.mp_state = KVM_MP_STATE_OPERATING;
	show("mp_operating", ioctl(vcpu, KVM_SET_MP_STATE, &mp));
	show("stop_after_stop", ioctl(vcpu, KVM_S390_IRQ, &stop));
	return 0;
}
