/*
 * KVM_GET_STATS_FD on a ucontrol VM and its vcpu, as the kernel's selftest
 * library uses it: read the header, check its offsets and the id string.
 * Prints "key=value" lines.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

static void header(const char *who, int fd)
{
	struct kvm_stats_header h;
	if (fd < 0) {
		printf("%s_fd=-1/%s\n", who, strerrorname_np(errno));
		return;
	}
	ssize_t n = pread(fd, &h, sizeof(h), 0);
	printf("%s_read=%zd\n", who, n);
	printf("%s_header=%u/%u/%u/%u/%u/%u\n", who, h.flags, h.name_size, h.num_desc, h.id_offset,
	       h.desc_offset, h.data_offset);
	char id[64] = { 0 };
	n = pread(fd, id, h.name_size < sizeof(id) ? h.name_size : sizeof(id) - 1, h.id_offset);
	printf("%s_id=%.*s\n", who, (int)(n > 0 ? n : 0), id);
	printf("%s_write=%s\n", who, write(fd, "x", 1) < 0 ? "refused" : "written");
}

int main(void)
{
	int kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	int vm = ioctl(kvm, KVM_CREATE_VM, KVM_VM_S390_UCONTROL);
	int vcpu = ioctl(vm, KVM_CREATE_VCPU, 7UL);
	if (kvm < 0 || vm < 0 || vcpu < 0) {
		printf("fatal=setup/%s\n", strerrorname_np(errno));
		return 1;
	}
	printf("cap=%d\n", ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_BINARY_STATS_FD));
	int r = ioctl(kvm, KVM_GET_STATS_FD, 0);
	printf("system=%d/%s\n", r, r < 0 ? strerrorname_np(errno) : "-");
	header("vm", ioctl(vm, KVM_GET_STATS_FD, 0));
	header("vcpu", ioctl(vcpu, KVM_GET_STATS_FD, 0));
	return 0;
}
