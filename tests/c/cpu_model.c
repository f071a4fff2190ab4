/*
 * The CPU-model VM attributes of a ucontrol VM, as the kernel's ucontrol
 * selftest fixture and an s390 program use them. The group, attribute
 * numbers and structs are s390's <asm/kvm.h>, written out: this file is
 * built for the x86_64 host. Prints "key=value" lines.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "show.h"

#define CPU_MODEL 3
#define PROCESSOR 0
#define MACHINE 1
#define PROCESSOR_FEAT 2
#define MACHINE_SUBFUNC 5

struct processor {
	__u64 cpuid;
	__u16 ibc;
	__u8 pad[6];
	__u64 fac_list[256];
};
struct machine {
	__u64 cpuid;
	__u32 ibc;
	__u8 pad[4];
	__u64 fac_mask[256];
	__u64 fac_list[256];
};


static long attr(int vm, unsigned long req, __u64 which, void *addr)
{
	struct kvm_device_attr a = { .group = CPU_MODEL, .attr = which, .addr = (__u64)(uintptr_t)addr };
	return ioctl(vm, req, &a);
}

int main(void)
{
	int kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	int vm = ioctl(kvm, KVM_CREATE_VM, KVM_VM_S390_UCONTROL);
	if (kvm < 0 || vm < 0) {
		printf("fatal=setup/%s\n", strerrorname_np(errno));
		return 1;
	}
	static struct processor p;
	static struct machine m;
	show("has_processor", attr(vm, KVM_HAS_DEVICE_ATTR, PROCESSOR, NULL));
	show("get_processor", attr(vm, KVM_GET_DEVICE_ATTR, PROCESSOR, &p));
	printf("cpuid_version=%#llx\n", (unsigned long long)(p.cpuid >> 56));
	printf("cpuid_machine=%#llx\n", (unsigned long long)(p.cpuid >> 16 & 0xffff));
	printf("facility_129=%llu\n", (unsigned long long)(p.fac_list[2] >> 62 & 1));
	show("get_machine", attr(vm, KVM_GET_DEVICE_ATTR, MACHINE, &m));
	printf("machine_version=%#llx\n", (unsigned long long)(m.cpuid >> 56));
	printf("machine_mask_is_list=%d\n", !memcmp(m.fac_mask, m.fac_list, sizeof(m.fac_list)));
	show("set_machine", attr(vm, KVM_SET_DEVICE_ATTR, MACHINE, &m));
	show("set_subfunc_machine", attr(vm, KVM_SET_DEVICE_ATTR, MACHINE_SUBFUNC, &m));
	show("unknown_attr", attr(vm, KVM_GET_DEVICE_ATTR, 99, &p));
	show("has_unknown_attr", attr(vm, KVM_HAS_DEVICE_ATTR, 99, NULL));
	show("get_processor_null", attr(vm, KVM_GET_DEVICE_ATTR, PROCESSOR, NULL));
	__u64 feat[16] = { 1ULL << 63 };
	show("set_feat_unoffered", attr(vm, KVM_SET_DEVICE_ATTR, PROCESSOR_FEAT, feat));
	feat[0] = 0;
	show("set_feat_none", attr(vm, KVM_SET_DEVICE_ATTR, PROCESSOR_FEAT, feat));
	p.cpuid = 0xff00000012340000ULL;
	show("set_processor", attr(vm, KVM_SET_DEVICE_ATTR, PROCESSOR, &p));
	memset(&p, 0, sizeof(p));
	attr(vm, KVM_GET_DEVICE_ATTR, PROCESSOR, &p);
	printf("cpuid_after_set=%#llx\n", (unsigned long long)p.cpuid);
	show("set_processor_null", attr(vm, KVM_SET_DEVICE_ATTR, PROCESSOR, NULL));
	int vcpu = ioctl(vm, KVM_CREATE_VCPU, 0UL);
	show("vcpu", vcpu >= 0 ? 0 : -1);
	show("set_processor_after_vcpu", attr(vm, KVM_SET_DEVICE_ATTR, PROCESSOR, &p));
	show("set_processor_null_after_vcpu", attr(vm, KVM_SET_DEVICE_ATTR, PROCESSOR, NULL));
	show("get_processor_after_vcpu", attr(vm, KVM_GET_DEVICE_ATTR, PROCESSOR, &p));
	return 0;
}
