/*
 * ucas_client: a ucontrol client written against <linux/kvm.h> and libc only.
 *
 * It checks each rule of spec sections 3 and 4 that does not need KVM_RUN,
 * for the kernel generation named on the command line, the way a tool would
 * meet them on a real s390 kernel:
 *
 *     ucas_client A|B|C
 *
 * Output is TAP-like: one "ok N - what" or "not ok N - what (...)" line per
 * check, then "1..N". The exit status is 0 only if every check passed. The
 * last line before the plan, "state ...", describes the mappings left in
 * place, so a caller can compare them with the emulator's --state-out.
 */
#define _GNU_SOURCE
#define __KVM_S390 /* the s390 layout of struct kvm_run */
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#define MIB (1ULL << 20)
#define CPUSTAT_STOPPED 0x80000000u
#define PGM_SEGMENT_TRANSLATION 0x10

static int checks, failures;
static char gen;

static void check(int ok, const char *what, long ret, int err)
{
	checks++;
	if (ok) {
		printf("ok %d - %s\n", checks, what);
	} else {
		failures++;
		printf("not ok %d - %s (returned %ld, errno %d %s)\n", checks, what, ret,
		       err, strerror(err));
	}
}

/* Expect `ret` to be `want` (>= 0) or, for want < 0, -1 with errno -want. */
static void expect(long ret, int err, long want, const char *what)
{
	if (want >= 0)
		check(ret == want, what, ret, err);
	else
		check(ret == -1 && err == -want, what, ret, err);
}

static long ucas(int fd, unsigned long req, uint64_t user, uint64_t vcpu, uint64_t len, int *err)
{
	struct kvm_s390_ucas_mapping m = { .user_addr = user, .vcpu_addr = vcpu, .length = len };
	long r = ioctl(fd, req, &m);
	*err = errno;
	return r;
}

static long fault(int fd, uint64_t addr, int *err)
{
	long r = ioctl(fd, KVM_S390_VCPU_FAULT, (unsigned long)addr);
	*err = errno;
	return r;
}

#define MAP(fd, u, v, l, want, what) \
	do { int e_; long r_ = ucas(fd, KVM_S390_UCAS_MAP, u, v, l, &e_); expect(r_, e_, want, what); } while (0)
#define UNMAP(fd, u, v, l, want, what) \
	do { int e_; long r_ = ucas(fd, KVM_S390_UCAS_UNMAP, u, v, l, &e_); expect(r_, e_, want, what); } while (0)
#define FAULT(fd, a, want, what) \
	do { int e_; long r_ = fault(fd, a, &e_); expect(r_, e_, want, what); } while (0)
#define IOCTL(fd, req, arg, want, what) \
	do { long r_ = ioctl(fd, req, arg); int e_ = errno; expect(r_, e_, want, what); } while (0)

/* The answer to a fault on an unmapped segment, by generation. */
static long unmapped_fault(void)
{
	return gen == 'A' ? -EFAULT : -EREMOTE;
}

static void check_exit(struct kvm_run *run, uint64_t addr, const char *what)
{
	if (gen == 'A')
		return;
	int ok = run->exit_reason == KVM_EXIT_S390_UCONTROL &&
		 run->s390_ucontrol.trans_exc_code == (addr & ~0xfffULL) &&
		 run->s390_ucontrol.pgm_code == PGM_SEGMENT_TRANSLATION;
	check(ok, what, (long)run->exit_reason, 0);
	memset(run, 0, sizeof(*run));
}

int main(int argc, char **argv)
{
	if (argc != 2 || !strchr("ABC", argv[1][0]) || argv[1][1]) {
		fprintf(stderr, "usage: %s A|B|C\n", argv[0]);
		return 2;
	}
	gen = argv[1][0];
	const int c = gen == 'C';

	/* ---- section 3: /dev/kvm, VM and vcpu creation ---- */
	int kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	check(kvm >= 0, "open /dev/kvm", kvm, errno);
	if (kvm < 0)
		return 1;
	IOCTL(kvm, KVM_GET_API_VERSION, 0, KVM_API_VERSION, "KVM_GET_API_VERSION is 12");
	IOCTL(kvm, KVM_CHECK_EXTENSION, KVM_CAP_S390_UCONTROL, 1, "KVM_CAP_S390_UCONTROL is 1");
	IOCTL(kvm, KVM_CHECK_EXTENSION, KVM_CAP_S390_HPAGE_1M, 0, "KVM_CAP_S390_HPAGE_1M is 0");
	long mmap_size = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	expect(mmap_size, errno, 4096, "KVM_GET_VCPU_MMAP_SIZE is one page");
	IOCTL(kvm, KVM_CREATE_VM, 2UL, -EINVAL, "KVM_CREATE_VM with unknown type bits: EINVAL");
	IOCTL(kvm, KVM_CREATE_VM, 3UL, -EINVAL, "KVM_CREATE_VM ucontrol|unknown bit: EINVAL");
	IOCTL(kvm, KVM_S390_UCAS_MAP, 0, -EINVAL, "vcpu ioctl on /dev/kvm: EINVAL");

	int vm = ioctl(kvm, KVM_CREATE_VM, KVM_VM_S390_UCONTROL);
	check(vm >= 0, "KVM_CREATE_VM(KVM_VM_S390_UCONTROL)", vm, errno);
	if (vm < 0)
		return 1;
	IOCTL(vm, KVM_CHECK_EXTENSION, KVM_CAP_S390_UCONTROL, 1, "KVM_CHECK_EXTENSION on the VM fd");
	struct kvm_userspace_memory_region region = {
		.slot = 0, .guest_phys_addr = 0, .memory_size = MIB, .userspace_addr = 0x10000000,
	};
	long r = ioctl(vm, KVM_SET_USER_MEMORY_REGION, &region);
	check(r == -1 && (errno == EINVAL || errno == EEXIST),
	      "KVM_SET_USER_MEMORY_REGION on a ucontrol VM: EINVAL or EEXIST", r, errno);
	struct kvm_dirty_log log = { .slot = 0 };
	IOCTL(vm, KVM_GET_DIRTY_LOG, &log, -EINVAL, "KVM_GET_DIRTY_LOG on a ucontrol VM: EINVAL");

	int vcpu = ioctl(vm, KVM_CREATE_VCPU, 0UL);
	check(vcpu >= 0, "KVM_CREATE_VCPU(0)", vcpu, errno);
	if (vcpu < 0)
		return 1;
	IOCTL(vm, KVM_CREATE_VCPU, 0UL, -EEXIST, "KVM_CREATE_VCPU(0) again: EEXIST");
	IOCTL(vm, KVM_CREATE_VCPU, 256UL, -EINVAL, "KVM_CREATE_VCPU(256): EINVAL");
	/* ids stop below KVM_MAX_VCPU_IDS, which is s390's KVM_MAX_VCPUS (255) */
	IOCTL(vm, KVM_CREATE_VCPU, 255UL, -EINVAL, "KVM_CREATE_VCPU(255): EINVAL");
	int vcpu254 = ioctl(vm, KVM_CREATE_VCPU, 254UL);
	check(vcpu254 >= 0, "KVM_CREATE_VCPU(254)", vcpu254, errno);
	MAP(vm, 0, 0, MIB, -ENOTTY, "UCAS_MAP on the VM fd: ENOTTY");
	IOCTL(vm, KVM_S390_VCPU_FAULT, 0UL, -ENOTTY, "VCPU_FAULT on the VM fd: ENOTTY");
	IOCTL(vcpu, KVM_CREATE_VCPU, 1UL, -ENOTTY, "VM ioctl on a vcpu fd: ENOTTY");

	struct kvm_run *run = mmap(NULL, mmap_size, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 0);
	check(run != MAP_FAILED, "mmap kvm_run at offset 0", 0, errno);
	uint8_t *sie = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu,
			    KVM_S390_SIE_PAGE_OFFSET * 4096);
	check(sie != MAP_FAILED, "mmap the SIE page at offset 4096", 0, errno);
	if (run == MAP_FAILED || sie == MAP_FAILED)
		return 1;
	uint32_t cpuflags;
	memcpy(&cpuflags, sie, 4);
	check(cpuflags & CPUSTAT_STOPPED, "a new vcpu is stopped (CPUSTAT_STOPPED)", cpuflags, 0);
	cpuflags &= ~CPUSTAT_STOPPED;
	memcpy(sie, &cpuflags, 4);

	/* User memory: 6 MiB, 1 MiB-aligned, and a 1 MiB hole right after it. */
	uint8_t *raw = mmap(NULL, 8 * MIB, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	check(raw != MAP_FAILED, "allocate user memory", 0, errno);
	uint64_t base = ((uint64_t)(uintptr_t)raw + MIB - 1) & ~(MIB - 1);
	uint64_t hole = base + 6 * MIB;
	munmap((void *)(uintptr_t)hole, MIB);

	/* ---- section 4: UCAS_MAP / UCAS_UNMAP ---- */
	MAP(vcpu, base + 1, 0, MIB, -EINVAL, "MAP: misaligned user_addr: EINVAL");
	MAP(vcpu, base, 4 * MIB + 1, 2 * MIB, -EINVAL, "MAP: misaligned vcpu_addr: EINVAL");
	MAP(vcpu, base, 0, MIB + 4096, -EINVAL, "MAP: misaligned length: EINVAL");
	MAP(vcpu, base, 0, 0, c ? 0 : -EINVAL, c ? "MAP: length 0 returns 0 (C)" : "MAP: length 0: EINVAL (A, B)");
	FAULT(vcpu, 0, unmapped_fault(), "MAP of length 0 mapped nothing");
	check_exit(run, 0, "  ... and the ucontrol exit names vcpu address 0");

	uint64_t top = 0ULL - MIB;
	MAP(vcpu, base, top, 2 * MIB, c ? 0 : -EINVAL,
	    c ? "MAP: vcpu_addr+length past 2^64 is not checked (C)" : "MAP: vcpu_addr+length past 2^64: EINVAL (A, B)");
	MAP(vcpu, base, top, MIB, c ? 0 : -EINVAL,
	    c ? "MAP: a range ending exactly at 2^64 is fine (C)" : "MAP: a range ending exactly at 2^64 wraps: EINVAL (A, B)");
	UNMAP(vcpu, 0, top, MIB, c ? 0 : -EINVAL,
	      c ? "UNMAP the top segment (C)" : "UNMAP: a range ending exactly at 2^64 wraps: EINVAL (A, B)");
	FAULT(vcpu, top, unmapped_fault(), "the top segment is unmapped");
	check_exit(run, top, "  ... and the ucontrol exit names it");
	UNMAP(vcpu, 0, 0, MIB, 0, "UNMAP segment 0");
	MAP(vcpu, top, 0, 2 * MIB, c ? 0 : -EINVAL,
	    c ? "MAP: user_addr+length past 2^64 is not checked (C)" : "MAP: user_addr+length past 2^64: EINVAL (A, B)");
	UNMAP(vcpu, 0, 0, 2 * MIB, 0, "UNMAP it again");

	MAP(vcpu, base, 0, 4 * MIB, 0, "MAP 4 MiB at vcpu 0");
	FAULT(vcpu, 0, 0, "VCPU_FAULT at vcpu 0: 0");
	FAULT(vcpu, 3 * MIB + 0x123, 0, "VCPU_FAULT inside the mapping: 0");
	FAULT(vcpu, 5 * MIB + 0x1234, unmapped_fault(),
	      gen == 'A' ? "VCPU_FAULT on an unmapped segment: EFAULT (A)" : "VCPU_FAULT on an unmapped segment: EREMOTE (B, C)");
	check_exit(run, 5 * MIB + 0x1234, "  ... with exit_reason 20, trans_exc_code rounded to 4 KiB, pgm_code 0x10");
	struct kvm_run *run254 = mmap(NULL, mmap_size, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu254, 0);
	check(run254 != MAP_FAILED, "mmap vcpu 254's kvm_run", 0, errno);
	if (run254 == MAP_FAILED)
		return 1;
	FAULT(vcpu254, 0, unmapped_fault(), "another vcpu's address space is separate");
	check_exit(run254, 0, "  ... and the exit went to that vcpu's kvm_run");
	check(run->exit_reason == 0, "  ... not to this one's", (long)run->exit_reason, 0);

	UNMAP(vcpu, base + 1, 4 * MIB + 1, MIB, -EINVAL, "UNMAP: misaligned vcpu_addr: EINVAL");
	UNMAP(vcpu, base, 4 * MIB, MIB + 1, -EINVAL, "UNMAP: misaligned length: EINVAL");
	UNMAP(vcpu, 12345, 4 * MIB, MIB, 0, "UNMAP: user_addr is ignored (misaligned, unmapped hole)");
	UNMAP(vcpu, 0, 4 * MIB, 0, c ? 0 : -EINVAL, c ? "UNMAP: length 0 returns 0 (C)" : "UNMAP: length 0: EINVAL (A, B)");
	UNMAP(vcpu, 0, 64 * MIB, 16 * MIB, 0, "UNMAP of segments that are not mapped: 0");

	MAP(vcpu, hole, 8 * MIB, MIB, 0, "MAP onto user memory that does not exist (not checked)");
	FAULT(vcpu, 8 * MIB, -EFAULT, "VCPU_FAULT, segment mapped but user memory missing: EFAULT");
	MAP(vcpu, base + 5 * MIB, 8 * MIB, MIB, 0, "MAP over an already-mapped segment");
	FAULT(vcpu, 8 * MIB, 0, "  ... replaced it: VCPU_FAULT now finds memory");
	UNMAP(vcpu, 0, 8 * MIB, MIB, 0, "UNMAP it");
	FAULT(vcpu, 8 * MIB, unmapped_fault(), "  ... and the segment is unmapped again");
	check_exit(run, 8 * MIB, "  ... with a fresh ucontrol exit");

	/* Two vcpu segments of one vcpu on the same user segment. */
	MAP(vcpu, base + 4 * MIB, 16 * MIB, MIB, 0, "MAP vcpu 16 MiB -> user segment S");
	MAP(vcpu, base + 4 * MIB, 32 * MIB, MIB, 0, "MAP vcpu 32 MiB -> the same user segment S: accepted");
	FAULT(vcpu, 16 * MIB, 0, "VCPU_FAULT on the first: 0");
	FAULT(vcpu, 32 * MIB, c ? 0 : -EEXIST,
	      c ? "VCPU_FAULT on the second works (C)" : "VCPU_FAULT on the second: EEXIST (A, B)");
	UNMAP(vcpu, 0, 16 * MIB, 32 * MIB, 0, "UNMAP both");

	/* Argument pointers. */
	errno = 0;
	r = ioctl(vcpu, KVM_S390_UCAS_MAP, (void *)8);
	expect(r, errno, -EFAULT, "MAP with an unreadable argument: EFAULT");
	r = ioctl(vcpu, KVM_S390_UCAS_UNMAP, (void *)8);
	expect(r, errno, -EFAULT, "UNMAP with an unreadable argument: EFAULT");

	/* A regular VM's vcpus refuse UCAS ioctls. */
	int vm0 = ioctl(kvm, KVM_CREATE_VM, 0UL);
	check(vm0 >= 0, "KVM_CREATE_VM(0): a regular VM", vm0, errno);
	int rv = ioctl(vm0, KVM_CREATE_VCPU, 0UL);
	check(rv >= 0, "  ... KVM_CREATE_VCPU(0)", rv, errno);
	MAP(rv, base, 0, MIB, -EINVAL, "  ... UCAS_MAP on its vcpu: EINVAL");
	r = ioctl(rv, KVM_S390_UCAS_MAP, (void *)8);
	expect(r, errno, -EFAULT, "  ... but an unreadable argument is EFAULT first");
	close(rv);
	close(vm0);

	/* Leave a known state for --state-out. */
	MAP(vcpu, base, 0, 4 * MIB, 0, "final: vcpu 0 maps 4 MiB at 0");
	MAP(vcpu254, base + 5 * MIB, 0x7ff00000ULL, MIB, 0, "final: vcpu 254 maps 1 MiB at 0x7ff00000");
	printf("state base=%llu\n", (unsigned long long)base);
	printf("1..%d\n", checks);
	return failures ? 1 : 0;
}
