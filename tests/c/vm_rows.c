/*
 * Rows of emulator/KERNEL-INTERFACE.md tables V1, V3 and P1 that answer
 * from a few checks, on a ucontrol VM ("uc_") and a regular one ("reg_"):
 * KVM_CREATE_IRQCHIP before and after KVM_CAP_S390_IRQCHIP, the CMMA
 * attributes and ioctls of a host without CMMA, KVM_RESET_DIRTY_RINGS
 * without a dirty ring, the generic requests s390 does not build, an
 * ioctl of another type, x86 requests on /dev/kvm, and the vcpu fd's
 * pages. Prints
 * "key=value" lines.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "newer_uapi.h"
#include "show.h"

/* s390's <asm/kvm.h>: the build host's header is another architecture's. */
#define VM_MEM_CTRL 0
#define VM_MEM_ENABLE_CMMA 0
#define VM_MEM_CLR_CMMA 1

static void vm_rows(const char *kind, int vm)
{
	char key[64];
#define SHOW(name, r)                                              \
	do {                                                       \
		snprintf(key, sizeof(key), "%s_%s", kind, name);   \
		show(key, r);                                      \
	} while (0)

	SHOW("irqchip_before", ioctl(vm, KVM_CREATE_IRQCHIP, 0));
	struct kvm_enable_cap cap = { .cap = KVM_CAP_S390_IRQCHIP };
	SHOW("enable_irqchip", ioctl(vm, KVM_ENABLE_CAP, &cap));
	SHOW("irqchip_after", ioctl(vm, KVM_CREATE_IRQCHIP, 0));
	SHOW("irqchip_again", ioctl(vm, KVM_CREATE_IRQCHIP, 0));

	__u64 value = 0;
	struct kvm_device_attr enable = {
		.group = VM_MEM_CTRL,
		.attr = VM_MEM_ENABLE_CMMA,
		.addr = (__u64)(unsigned long)&value,
	};
	struct kvm_device_attr clear = enable;
	clear.attr = VM_MEM_CLR_CMMA;
	SHOW("has_enable_cmma", ioctl(vm, KVM_HAS_DEVICE_ATTR, &enable));
	SHOW("has_clr_cmma", ioctl(vm, KVM_HAS_DEVICE_ATTR, &clear));
	SHOW("set_enable_cmma", ioctl(vm, KVM_SET_DEVICE_ATTR, &enable));
	SHOW("set_clr_cmma", ioctl(vm, KVM_SET_DEVICE_ATTR, &clear));
	SHOW("get_enable_cmma", ioctl(vm, KVM_GET_DEVICE_ATTR, &enable));
	__u8 values[16];
	struct kvm_s390_cmma_log log = {
		.count = sizeof(values),
		.flags = KVM_S390_CMMA_PEEK,
		.values = (__u64)(unsigned long)values,
	};
	SHOW("get_cmma_bits", ioctl(vm, KVM_S390_GET_CMMA_BITS, &log));
	SHOW("get_cmma_bits_fault", ioctl(vm, KVM_S390_GET_CMMA_BITS, NULL));
	log.flags = 0;
	SHOW("set_cmma_bits", ioctl(vm, KVM_S390_SET_CMMA_BITS, &log));
	SHOW("set_cmma_bits_fault", ioctl(vm, KVM_S390_SET_CMMA_BITS, NULL));

	SHOW("reset_dirty_rings", ioctl(vm, KVM_RESET_DIRTY_RINGS, 0));
	struct memory_attributes attrs = { .size = 4096 };
	SHOW("memory_attributes", ioctl(vm, SET_MEMORY_ATTRIBUTES, &attrs));
	struct create_guest_memfd gmem = { .size = 4096 };
	SHOW("guest_memfd", ioctl(vm, CREATE_GUEST_MEMFD, &gmem));
	struct kvm_irq_level level = { 0 };
	SHOW("irq_line", ioctl(vm, KVM_IRQ_LINE, &level));
	struct kvm_msi msi = { 0 };
	SHOW("signal_msi", ioctl(vm, KVM_SIGNAL_MSI, &msi));
	struct kvm_coalesced_mmio_zone zone = { .size = 8 };
	SHOW("coalesced_mmio", ioctl(vm, KVM_REGISTER_COALESCED_MMIO, &zone));
	SHOW("uncoalesced_mmio", ioctl(vm, KVM_UNREGISTER_COALESCED_MMIO, &zone));
	/* A request of another type: unknown on a VM fd. */
	SHOW("foreign_type", ioctl(vm, _IO('X', 1), 0));
#undef SHOW
}

static sigjmp_buf bus_jump;

static void on_bus(int sig)
{
	(void)sig;
	siglongjmp(bus_jump, 1);
}

/* Whether the byte at p reads (1) or raises SIGBUS (0). */
static int readable(volatile unsigned char *p)
{
	if (sigsetjmp(bus_jump, 1))
		return 0;
	(void)*p;
	return 1;
}

static void vcpu_rows(const char *kind, int vcpu)
{
	char key[64];
	snprintf(key, sizeof(key), "%s_vcpu_foreign_type", kind);
	show(key, ioctl(vcpu, _IO('X', 1), 0));
	unsigned char *pages = mmap(NULL, 3 * 4096, PROT_READ, MAP_SHARED, vcpu, 0);
	if (pages == MAP_FAILED) {
		printf("%s_vcpu_mmap=-1/%s\n", kind, strerrorname_np(errno));
		return;
	}
	printf("%s_vcpu_pages=%d%d%d\n", kind, readable(pages), readable(pages + 4096),
	       readable(pages + 2 * 4096));
	munmap(pages, 3 * 4096);
}

int main(void)
{
	struct sigaction sa = { .sa_handler = on_bus };
	sigaction(SIGBUS, &sa, NULL);
	int kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	int uc = ioctl(kvm, KVM_CREATE_VM, KVM_VM_S390_UCONTROL);
	int reg = ioctl(kvm, KVM_CREATE_VM, 0UL);
	if (kvm < 0 || uc < 0 || reg < 0) {
		printf("fatal=setup/%s\n", strerrorname_np(errno));
		return 1;
	}
	/* x86 requests: /dev/kvm refuses what it does not know with EINVAL. */
	struct kvm_msr_list msrs = { .nmsrs = 0 };
	show("dev_msr_index_list", ioctl(kvm, KVM_GET_MSR_INDEX_LIST, &msrs));
	struct kvm_cpuid2 cpuid = { .nent = 0 };
	show("dev_supported_cpuid", ioctl(kvm, KVM_GET_SUPPORTED_CPUID, &cpuid));
	vm_rows("uc", uc);
	vm_rows("reg", reg);
	int uc_vcpu = ioctl(uc, KVM_CREATE_VCPU, 0UL);
	int reg_vcpu = ioctl(reg, KVM_CREATE_VCPU, 0UL);
	if (uc_vcpu < 0 || reg_vcpu < 0) {
		printf("fatal=vcpu/%s\n", strerrorname_np(errno));
		return 1;
	}
	vcpu_rows("uc", uc_vcpu);
	vcpu_rows("reg", reg_vcpu);
	return 0;
}
