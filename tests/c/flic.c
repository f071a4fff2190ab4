/*
 * The FLIC of a ucontrol VM and KVM_SET_GSI_ROUTING, with the arguments
 * the kernel's ucontrol selftest uses (uc_flic_attrs, uc_set_gsi_routing).
 * The FLIC groups and adapter structs are s390's <asm/kvm.h>, written out:
 * this file is built for the x86_64 host. Prints "key=value" lines.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "show.h"

struct io_adapter {
	__u32 id;
	__u8 isc, maskable, swap, flags;
};
struct io_adapter_req {
	__u32 id;
	__u8 type, mask;
	__u16 pad;
	__u64 addr;
};
struct ais_req {
	__u8 isc;
	__u16 mode;
};


int main(void)
{
	int kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	int vm = ioctl(kvm, KVM_CREATE_VM, KVM_VM_S390_UCONTROL);
	if (kvm < 0 || vm < 0) {
		printf("fatal=setup/%s\n", strerrorname_np(errno));
		return 1;
	}
	struct kvm_create_device test = { .type = KVM_DEV_TYPE_FLIC, .flags = KVM_CREATE_DEVICE_TEST };
	show("create_test", ioctl(vm, KVM_CREATE_DEVICE, &test));
	struct kvm_create_device cd = { .type = KVM_DEV_TYPE_FLIC, .fd = 12345 };
	show("create", ioctl(vm, KVM_CREATE_DEVICE, &cd));
	int flic = cd.fd;
	printf("fd_written=%d\n", flic != 12345 && fcntl(flic, F_GETFD) >= 0);
	show("create_second", ioctl(vm, KVM_CREATE_DEVICE, &cd));

	static char buf[4096];
	struct io_adapter adapter = { .id = 0 };
	struct io_adapter_req req = { .id = 0, .type = 0 };
	struct ais_req ais = { .isc = 0 };
	__u32 schid = 0;
	struct {
		const char *name;
		__u32 group;
		__u64 attr;
		void *addr;
	} groups[] = {
		{ "get_all_irqs", 1, 4096, buf },
		{ "enqueue", 2, 0, buf },
		{ "clear_irqs", 3, 0, NULL },
		{ "apf_enable", 4, 0, NULL },
		{ "apf_disable_wait", 5, 0, NULL },
		{ "adapter_register", 6, 0, &adapter },
		{ "adapter_modify", 7, 0, &req },
		{ "clear_io_irq", 8, 32, &schid },
		{ "aism", 9, 0, &ais },
		{ "airq_inject", 10, 0, NULL },
		{ "aism_all", 11, 2, buf },
	};
	for (size_t i = 0; i < sizeof(groups) / sizeof(groups[0]); i++) {
		struct kvm_device_attr a = {
			.group = groups[i].group,
			.attr = groups[i].attr,
			.addr = (__u64)(uintptr_t)groups[i].addr,
		};
		char key[64];
		snprintf(key, sizeof(key), "%s_has", groups[i].name);
		show(key, ioctl(flic, KVM_HAS_DEVICE_ATTR, &a));
		snprintf(key, sizeof(key), "%s_get", groups[i].name);
		show(key, ioctl(flic, KVM_GET_DEVICE_ATTR, &a));
		snprintf(key, sizeof(key), "%s_set", groups[i].name);
		show(key, ioctl(flic, KVM_SET_DEVICE_ATTR, &a));
	}
	struct kvm_device_attr unknown = { .group = 99 };
	show("unknown_has", ioctl(flic, KVM_HAS_DEVICE_ATTR, &unknown));
	show("unknown_get", ioctl(flic, KVM_GET_DEVICE_ATTR, &unknown));
	show("flic_other_ioctl", ioctl(flic, KVM_CHECK_EXTENSION, 0));

	struct kvm_irq_routing *routing = calloc(1, sizeof(*routing) + sizeof(routing->entries[0]));
	routing->nr = 1;
	routing->entries[0].gsi = 1;
	routing->entries[0].type = KVM_IRQ_ROUTING_S390_ADAPTER;
	show("gsi_routing_adapter", ioctl(vm, KVM_SET_GSI_ROUTING, routing));
	routing->nr = 0;
	show("gsi_routing_empty", ioctl(vm, KVM_SET_GSI_ROUTING, routing));
	routing->nr = 5000;
	show("gsi_routing_too_many", ioctl(vm, KVM_SET_GSI_ROUTING, routing));
	return 0;
}
