/*
 * The vcpu state ioctls of a ucontrol vcpu (registers, run state, initial
 * PSW, resets) and KVM_ENABLE_CAP on its VM, as an s390 program sends them.
 * The register-set structs and their request numbers are s390's, written
 * out here: this file is built for the x86_64 host, whose <asm/kvm.h> has
 * its own. Prints "key=value" lines; ret/errno as "-1/ENAME".
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

struct s390_regs {
	__u64 gprs[16];
};
struct s390_sregs {
	__u32 acrs[16];
	__u64 crs[16];
};
#define S390_GET_REGS _IOR(KVMIO, 0x81, struct s390_regs)
#define S390_SET_REGS _IOW(KVMIO, 0x82, struct s390_regs)
#define S390_GET_SREGS _IOR(KVMIO, 0x83, struct s390_sregs)
/* s390 kvm_run: psw at 32/40, sync gprs at 328. */
#define RUN_PSW_MASK 32
#define RUN_PSW_ADDR 40
#define RUN_GPRS 328


static long enable(int vm, __u32 cap, __u32 flags, __u64 arg0)
{
	struct kvm_enable_cap c = { .cap = cap, .flags = flags, .args = { arg0 } };
	return ioctl(vm, KVM_ENABLE_CAP, &c);
}

int main(void)
{
	int kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	int vm = ioctl(kvm, KVM_CREATE_VM, KVM_VM_S390_UCONTROL);
	show("hpage_before_vcpu", enable(vm, KVM_CAP_S390_HPAGE_1M, 0, 0));
	show("irqchip", enable(vm, KVM_CAP_S390_IRQCHIP, 0, 0));
	show("flags", enable(vm, KVM_CAP_S390_IRQCHIP, 1, 0));
	show("unknown_cap", enable(vm, 9999, 0, 0));
	show("halt_poll", enable(vm, KVM_CAP_HALT_POLL, 0, 100));
	show("halt_poll_big", enable(vm, KVM_CAP_HALT_POLL, 0, 1ULL << 33));
	show("vector_before_vcpu", enable(vm, KVM_CAP_S390_VECTOR_REGISTERS, 0, 0));
	int vcpu = ioctl(vm, KVM_CREATE_VCPU, 0UL);
	if (kvm < 0 || vm < 0 || vcpu < 0) {
		printf("fatal=setup/%s\n", strerrorname_np(errno));
		return 1;
	}
	show("hpage_after_vcpu", enable(vm, KVM_CAP_S390_HPAGE_1M, 0, 0));
	show("vector_after_vcpu", enable(vm, KVM_CAP_S390_VECTOR_REGISTERS, 0, 0));
	unsigned char *run = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 0);
	if (run == MAP_FAILED) {
		printf("fatal=mmap/%s\n", strerrorname_np(errno));
		return 1;
	}

	struct s390_regs regs;
	for (int i = 0; i < 16; i++)
		regs.gprs[i] = 0x1111ULL * (i + 1);
	show("set_regs", ioctl(vcpu, S390_SET_REGS, &regs));
	__u64 r5;
	memcpy(&r5, run + RUN_GPRS + 5 * 8, 8);
	printf("run_r5=%#llx\n", (unsigned long long)r5);
	memset(&regs, 0, sizeof(regs));
	show("get_regs", ioctl(vcpu, S390_GET_REGS, &regs));
	printf("get_r15=%#llx\n", (unsigned long long)regs.gprs[15]);
	show("get_regs_null", ioctl(vcpu, S390_GET_REGS, NULL));

	struct kvm_mp_state mp = { .mp_state = 0xdead };
	show("mp_state_new", ioctl(vcpu, KVM_GET_MP_STATE, &mp));
	printf("mp_struct_untouched=%d\n", mp.mp_state == 0xdead);
	struct kvm_s390_psw psw = { .mask = 0x0000000180000000ULL, .addr = 0x4000 };
	show("initial_psw_stopped", ioctl(vcpu, KVM_S390_SET_INITIAL_PSW, &psw));
	__u64 addr;
	memcpy(&addr, run + RUN_PSW_ADDR, 8);
	printf("run_psw_addr=%#llx\n", (unsigned long long)addr);
	mp.mp_state = KVM_MP_STATE_OPERATING;
	show("set_operating", ioctl(vcpu, KVM_SET_MP_STATE, &mp));
	show("mp_state_operating", ioctl(vcpu, KVM_GET_MP_STATE, &mp));
	show("initial_psw_running", ioctl(vcpu, KVM_S390_SET_INITIAL_PSW, &psw));
	mp.mp_state = KVM_MP_STATE_LOAD;
	show("set_load", ioctl(vcpu, KVM_SET_MP_STATE, &mp));
	mp.mp_state = KVM_MP_STATE_CHECK_STOP;
	show("set_check_stop", ioctl(vcpu, KVM_SET_MP_STATE, &mp));

	/* After KVM_SET_MP_STATE the VM's run state is userspace's: a reset
	 * leaves the vcpu operating. */
	show("initial_reset", ioctl(vcpu, KVM_S390_INITIAL_RESET, 0));
	show("mp_state_after_reset", ioctl(vcpu, KVM_GET_MP_STATE, &mp));
	memcpy(&addr, run + RUN_PSW_ADDR, 8);
	printf("psw_addr_after_reset=%#llx\n", (unsigned long long)addr);
	struct s390_sregs sregs;
	show("get_sregs", ioctl(vcpu, S390_GET_SREGS, &sregs));
	printf("cr0=%#llx cr14=%#llx cr1=%#llx\n", (unsigned long long)sregs.crs[0],
	       (unsigned long long)sregs.crs[14], (unsigned long long)sregs.crs[1]);
	ioctl(vcpu, S390_GET_REGS, &regs);
	printf("r15_after_initial=%#llx\n", (unsigned long long)regs.gprs[15]);
	show("clear_reset", ioctl(vcpu, KVM_S390_CLEAR_RESET, 0));
	ioctl(vcpu, S390_GET_REGS, &regs);
	printf("r15_after_clear=%#llx\n", (unsigned long long)regs.gprs[15]);

	/* A fresh VM without the user-controlled run state: resets stop. */
	int vm2 = ioctl(kvm, KVM_CREATE_VM, KVM_VM_S390_UCONTROL);
	show("vector_fresh_vm", enable(vm2, KVM_CAP_S390_VECTOR_REGISTERS, 0, 0));
	int vcpu2 = ioctl(vm2, KVM_CREATE_VCPU, 0UL);
	unsigned char *sie = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu2, 4096);
	if (sie == MAP_FAILED) {
		printf("fatal=mmap sie/%s\n", strerrorname_np(errno));
		return 1;
	}
	__u32 flags;
	memcpy(&flags, sie, 4);
	flags &= ~0x80000000u; /* clear CPUSTAT_STOPPED as the selftest does */
	memcpy(sie, &flags, 4);
	show("fresh_running", ioctl(vcpu2, KVM_GET_MP_STATE, &mp));
	show("fresh_reset", ioctl(vcpu2, KVM_S390_NORMAL_RESET, 0));
	show("fresh_after_reset", ioctl(vcpu2, KVM_GET_MP_STATE, &mp));
	return 0;
}
