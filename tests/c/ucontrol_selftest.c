/*
 * ucontrol_selftest: the kernel's ucontrol conformance scenarios "map/unmap"
 * and "gprs" (spec section 6), written against <linux/kvm.h> and libc only,
 * with the same guest code byte for byte, and the VM-level restrictions
 * (huge pages, memory limit, dirty log, memory regions). It runs on an s390x host with
 * CONFIG_KVM_S390_UCONTROL, and anywhere under `ucas emulate`:
 *
 *     ucas emulate --kernel 6.8 ./ucontrol_selftest
 *
 * The scenarios behave the same on every kernel generation, so there is
 * nothing to choose. Output is TAP-like: "ok N - what" or "not ok N - what
 * (...)" per check, then "1..N"; the exit status is 0 only if all passed.
 */
#define _GNU_SOURCE
#define __KVM_S390 /* the s390 layout of struct kvm_run */
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#define MIB (1ULL << 20)
#define PAGE 4096
/* s390 names that a non-s390 <asm/kvm.h> does not provide. */
#define SIE_PAGE_OFFSET 1
#define SYNC_GPRS (1ULL << 1)
#define CPUSTAT_STOPPED 0x80000000u
#define PGM_SEGMENT_TRANSLATION 0x10
#define ICPT_INST 0x04
/* The selftest fixture. */
#define VM_MEM_SIZE (4 * MIB)
#define VM_MEM_EXT_SIZE (2 * MIB)
#define VM_MEM_MAX (VM_MEM_SIZE + VM_MEM_EXT_SIZE)
#define CODE_ADDR (3 * MIB)
#define PSW_MASK_64 0x0000000180000000ULL

/* The start of s390's struct kvm_sync_regs in kvm_run.s. */
struct s390_sync {
	uint64_t prefix;
	uint64_t gprs[16];
};

/* The SIE control block fields a controller uses, by offset. */
#define SIE_CPUFLAGS 0x00
#define SIE_ECB 0x61
#define ECB_SPECI 0x08
/* s390's <asm/kvm.h>: this file is built for the x86_64 host. */
#define S390_VM_CPU_MODEL 3
#define S390_VM_CPU_PROCESSOR 0
struct s390_cpu_processor {
	uint64_t cpuid;
	uint16_t ibc;
	uint8_t pad[6];
	uint64_t fac_list[256];
};
struct s390_regs {
	uint64_t gprs[16];
};
#define S390_GET_REGS _IOR(KVMIO, 0x81, struct s390_regs)
#define SIE_ICPTCODE 0x50
#define SIE_IPA 0x56
#define SIE_IPB 0x58

_Static_assert(offsetof(struct kvm_run, psw_mask) == 32, "s390 kvm_run layout");
_Static_assert(offsetof(struct kvm_run, s390_ucontrol) == 48, "s390 kvm_run layout");
_Static_assert(offsetof(struct kvm_run, kvm_dirty_regs) == 312, "s390 kvm_run layout");
_Static_assert(offsetof(struct kvm_run, s) == 320, "s390 kvm_run layout");

/* map/unmap: store r1 to r5+r6, load it back, DIAG 0x44, loop. */
static const uint8_t test_mem_asm[] = {
	0xb9, 0x82, 0x00, 0x00, /* xgr  %r0,%r0 */
	0xa7, 0x0a, 0x00, 0x01, /* ahi  %r0,1 */
	0x50, 0x15, 0x60, 0x00, /* st   %r1,0(%r5,%r6) */
	0xb9, 0x82, 0x00, 0x11, /* xgr  %r1,%r1 */
	0x58, 0x15, 0x60, 0x00, /* l    %r1,0(%r5,%r6) */
	0xa7, 0x0a, 0x00, 0x01, /* ahi  %r0,1 */
	0x83, 0x00, 0x00, 0x44, /* diag 0,0,0x44 */
	0xa7, 0xf4, 0xff, 0xf4, /* j    (ahi) */
};

/* gprs: r0 = 0, r1..r7 = 1..7, DIAG 0x44; then r0 += 1 and DIAG again. */
static const uint8_t test_gprs_asm[] = {
	0xb9, 0x82, 0x00, 0x00,             /* xgr  %r0,%r0 */
	0xc0, 0x11, 0x00, 0x00, 0x00, 0x01, /* lgfi %r1,1 */
	0xc0, 0x21, 0x00, 0x00, 0x00, 0x02, /* lgfi %r2,2 */
	0xc0, 0x31, 0x00, 0x00, 0x00, 0x03, /* lgfi %r3,3 */
	0xc0, 0x41, 0x00, 0x00, 0x00, 0x04, /* lgfi %r4,4 */
	0xc0, 0x51, 0x00, 0x00, 0x00, 0x05, /* lgfi %r5,5 */
	0xc0, 0x61, 0x00, 0x00, 0x00, 0x06, /* lgfi %r6,6 */
	0xc0, 0x71, 0x00, 0x00, 0x00, 0x07, /* lgfi %r7,7 */
	0x83, 0x00, 0x00, 0x44,             /* diag 0,0,0x44 */
	0xa7, 0x0a, 0x00, 0x01,             /* ahi  %r0,1 */
	0xa7, 0xf4, 0xff, 0xfc,             /* j    (diag) */
};

static int checks, failures;

static void check(int ok, const char *what, long got)
{
	checks++;
	if (ok) {
		printf("ok %d - %s\n", checks, what);
	} else {
		failures++;
		printf("not ok %d - %s (got %ld = %#lx, errno %d %s)\n", checks, what, got,
		       (unsigned long)got, errno, strerror(errno));
	}
}

/* Stops the program when a fixture step fails: the rest cannot run. */
static void need(int ok, const char *what, long got)
{
	check(ok, what, got);
	if (!ok) {
		printf("1..%d\n", checks);
		exit(1);
	}
}

struct fixture {
	int kvm_fd, vm_fd, vcpu_fd;
	struct kvm_run *run;
	uint8_t *sie;
	uint8_t *base; /* 1 MiB-aligned user memory of VM_MEM_MAX bytes */
};

static struct s390_sync *sync_regs(struct fixture *f)
{
	return (struct s390_sync *)f->run->s.padding;
}

static uint32_t sie_u32(struct fixture *f, size_t off)
{
	uint32_t v;
	memcpy(&v, f->sie + off, sizeof(v));
	return v;
}

static long ucas(struct fixture *f, unsigned long req, uint64_t user, uint64_t vcpu, uint64_t len)
{
	struct kvm_s390_ucas_mapping m = { .user_addr = user, .vcpu_addr = vcpu, .length = len };
	return ioctl(f->vcpu_fd, req, &m);
}

static void setup(struct fixture *f)
{
	f->kvm_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	need(f->kvm_fd >= 0, "open /dev/kvm", f->kvm_fd);
	f->vm_fd = ioctl(f->kvm_fd, KVM_CREATE_VM, KVM_VM_S390_UCONTROL);
	need(f->vm_fd >= 0, "KVM_CREATE_VM(KVM_VM_S390_UCONTROL)", f->vm_fd);
	/* The kernel selftest's fixture reads the CPU model first. */
	static struct s390_cpu_processor proc;
	struct kvm_device_attr cpu_attr = {
		.group = S390_VM_CPU_MODEL,
		.attr = S390_VM_CPU_PROCESSOR,
		.addr = (uintptr_t)&proc,
	};
	long got = ioctl(f->vm_fd, KVM_GET_DEVICE_ATTR, &cpu_attr);
	need(got == 0, "KVM_GET_DEVICE_ATTR(CPU_MODEL, PROCESSOR)", got);
	f->vcpu_fd = ioctl(f->vm_fd, KVM_CREATE_VCPU, 0);
	need(f->vcpu_fd >= 0, "KVM_CREATE_VCPU(0)", f->vcpu_fd);
	long size = ioctl(f->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	need(size >= (long)sizeof(struct kvm_run), "KVM_GET_VCPU_MMAP_SIZE covers kvm_run", size);
	f->run = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, f->vcpu_fd, 0);
	need(f->run != MAP_FAILED, "mmap kvm_run", 0);
	f->sie = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, f->vcpu_fd,
		      PAGE * SIE_PAGE_OFFSET);
	need(f->sie != MAP_FAILED, "mmap the SIE page", 0);
	/* 1 MiB-aligned memory: over-allocate and round up. */
	uint8_t *raw = mmap(NULL, VM_MEM_MAX + MIB, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	need(raw != MAP_FAILED, "allocate user memory", 0);
	f->base = (uint8_t *)(((uintptr_t)raw + MIB - 1) & ~(uintptr_t)(MIB - 1));
	long r = ucas(f, KVM_S390_UCAS_MAP, (uintptr_t)f->base, 0, VM_MEM_SIZE);
	need(r == 0, "map 4 MiB at vcpu address 0", r);
	r = ioctl(f->vcpu_fd, KVM_S390_VCPU_FAULT, 0UL);
	need(r == 0, "KVM_S390_VCPU_FAULT(0)", r);
	need(sie_u32(f, SIE_CPUFLAGS) & CPUSTAT_STOPPED, "a new vcpu is stopped",
	     sie_u32(f, SIE_CPUFLAGS));
	uint32_t flags = sie_u32(f, SIE_CPUFLAGS) & ~CPUSTAT_STOPPED;
	memcpy(f->sie + SIE_CPUFLAGS, &flags, sizeof(flags));
}

static void teardown(struct fixture *f)
{
	munmap(f->sie, PAGE);
	close(f->vcpu_fd);
	close(f->vm_fd);
	close(f->kvm_fd);
}

static void load_code(struct fixture *f, const uint8_t *code, size_t len)
{
	memcpy(f->base + CODE_ADDR, code, len);
	f->run->psw_mask = PSW_MASK_64;
	f->run->psw_addr = CODE_ADDR;
}

static int is_ucontrol_exit(struct fixture *f, uint64_t addr)
{
	return f->run->exit_reason == KVM_EXIT_S390_UCONTROL &&
	       f->run->s390_ucontrol.trans_exc_code == addr &&
	       f->run->s390_ucontrol.pgm_code == PGM_SEGMENT_TRANSLATION;
}

static int is_diag44(struct fixture *f)
{
	return f->run->exit_reason == KVM_EXIT_S390_SIEIC &&
	       f->run->s390_sieic.icptcode == ICPT_INST && f->run->s390_sieic.ipa == 0x8300 &&
	       f->run->s390_sieic.ipb == 0x00440000 && f->sie[SIE_ICPTCODE] == ICPT_INST;
}

static void test_map_unmap(void)
{
	struct fixture f;
	setup(&f);
	load_code(&f, test_mem_asm, sizeof(test_mem_asm));
	struct s390_sync *s = sync_regs(&f);
	s->gprs[1] = 0x55;
	s->gprs[5] = 0;
	s->gprs[6] = VM_MEM_SIZE + 1;
	f.run->kvm_dirty_regs |= SYNC_GPRS;

	long r = ioctl(f.vcpu_fd, KVM_RUN, 0);
	check(r == 0, "map/unmap: 1st KVM_RUN returns 0", r);
	check(is_ucontrol_exit(&f, VM_MEM_SIZE),
	      "map/unmap: 1st run is a ucontrol exit at 4 MiB, pgm_code 0x10", f.run->exit_reason);
	check(s->gprs[0] == 1, "map/unmap: r0 == 1", (long)s->gprs[0]);
	check(f.run->psw_addr == CODE_ADDR + 8, "map/unmap: PSW still at the store",
	      (long)f.run->psw_addr);

	r = ucas(&f, KVM_S390_UCAS_MAP, (uintptr_t)f.base + VM_MEM_SIZE, VM_MEM_SIZE + 1,
		 VM_MEM_EXT_SIZE);
	check(r == -1 && errno == EINVAL, "map/unmap: MAP at 4 MiB + 1 fails with EINVAL", r);
	r = ucas(&f, KVM_S390_UCAS_MAP, (uintptr_t)f.base + VM_MEM_SIZE, VM_MEM_SIZE,
		 VM_MEM_EXT_SIZE);
	check(r == 0, "map/unmap: MAP 2 MiB at 4 MiB", r);

	r = ioctl(f.vcpu_fd, KVM_RUN, 0);
	check(r == 0, "map/unmap: 2nd KVM_RUN returns 0", r);
	check(is_diag44(&f), "map/unmap: 2nd run is the DIAG 0x44 intercept", f.run->exit_reason);
	check(s->gprs[0] == 2, "map/unmap: r0 == 2", (long)s->gprs[0]);
	check(s->gprs[1] == 0x55, "map/unmap: r1 == 0x55", (long)s->gprs[1]);
	uint32_t stored;
	memcpy(&stored, f.base + VM_MEM_SIZE + 1, sizeof(stored));
	check(stored == htobe32(0x55), "map/unmap: the guest stored 0x55 at user base + 4 MiB + 1",
	      (long)stored);
	check(f.run->psw_addr == CODE_ADDR + 28, "map/unmap: PSW past the DIAG",
	      (long)f.run->psw_addr);

	r = ucas(&f, KVM_S390_UCAS_UNMAP, (uintptr_t)f.base + VM_MEM_SIZE, VM_MEM_SIZE,
		 VM_MEM_EXT_SIZE);
	check(r == 0, "map/unmap: UNMAP 2 MiB at 4 MiB", r);

	r = ioctl(f.vcpu_fd, KVM_RUN, 0);
	check(r == 0, "map/unmap: 3rd KVM_RUN returns 0", r);
	check(is_ucontrol_exit(&f, VM_MEM_SIZE), "map/unmap: 3rd run is a ucontrol exit again",
	      f.run->exit_reason);
	check(s->gprs[0] == 3, "map/unmap: r0 == 3", (long)s->gprs[0]);

	/* The exit handler maps the faulting segment and runs on. */
	uint64_t seg = f.run->s390_ucontrol.trans_exc_code & ~(MIB - 1);
	r = ucas(&f, KVM_S390_UCAS_MAP, (uintptr_t)f.base + VM_MEM_SIZE, seg, MIB);
	check(r == 0, "map/unmap: mapping the faulting segment from the exit handler", r);
	r = ioctl(f.vcpu_fd, KVM_RUN, 0);
	check(r == 0 && is_diag44(&f), "map/unmap: 4th run reaches the DIAG", r);
	check(s->gprs[0] == 4, "map/unmap: r0 == 4", (long)s->gprs[0]);
	teardown(&f);
}

static void test_gprs(void)
{
	struct fixture f;
	setup(&f);
	load_code(&f, test_gprs_asm, sizeof(test_gprs_asm));
	struct s390_sync *s = sync_regs(&f);
	for (int i = 0; i < 8; i++)
		s->gprs[i] = 8;
	f.run->kvm_dirty_regs |= SYNC_GPRS;

	long r = ioctl(f.vcpu_fd, KVM_RUN, 0);
	check(r == 0, "gprs: 1st KVM_RUN returns 0", r);
	check(is_diag44(&f), "gprs: 1st run is the DIAG 0x44 intercept", f.run->exit_reason);
	int all = 1;
	for (int i = 0; i < 8; i++)
		all &= s->gprs[i] == (uint64_t)i;
	check(all, "gprs: gprs[i] == i for i = 0..7", (long)s->gprs[0]);

	struct s390_regs regs;
	r = ioctl(f.vcpu_fd, S390_GET_REGS, &regs);
	check(r == 0, "gprs: KVM_GET_REGS returns 0", r);
	all = 1;
	for (int i = 0; i < 8; i++)
		all &= regs.gprs[i] == (uint64_t)i;
	check(all, "gprs: KVM_GET_REGS has gprs[i] == i", (long)regs.gprs[0]);

	r = ioctl(f.vcpu_fd, KVM_RUN, 0);
	check(r == 0 && is_diag44(&f), "gprs: 2nd run is the DIAG 0x44 intercept", r);
	check(s->gprs[0] == 1, "gprs: r0 == 1", (long)s->gprs[0]);
	r = ioctl(f.vcpu_fd, S390_GET_REGS, &regs);
	check(r == 0 && regs.gprs[0] == 1, "gprs: KVM_GET_REGS has r0 == 1", (long)regs.gprs[0]);
	teardown(&f);
}

/* A ucontrol vcpu's program interruptions go to userspace: SIE must not
 * interpret specification exceptions. */
static void test_sie_assertions(void)
{
	struct fixture f;
	setup(&f);
	check(!(f.sie[SIE_ECB] & ECB_SPECI), "sie: ECB_SPECI is off", f.sie[SIE_ECB]);
	teardown(&f);
}

/* Huge pages are refused to a ucontrol VM: EINVAL before a vcpu exists,
 * EBUSY after (the vcpu check comes first). */
static void test_cap_hpage(void)
{
	int kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	int vm = ioctl(kvm, KVM_CREATE_VM, KVM_VM_S390_UCONTROL);
	need(vm >= 0, "hpage: KVM_CREATE_VM", vm);
	long r = ioctl(vm, KVM_CHECK_EXTENSION, KVM_CAP_S390_HPAGE_1M);
	check(r == 0, "hpage: KVM_CAP_S390_HPAGE_1M is 0 on the VM", r);
	struct kvm_enable_cap cap = { .cap = KVM_CAP_S390_HPAGE_1M };
	r = ioctl(vm, KVM_ENABLE_CAP, &cap);
	check(r == -1 && errno == EINVAL, "hpage: enabling it fails with EINVAL", r);
	int vcpu = ioctl(vm, KVM_CREATE_VCPU, 0);
	need(vcpu >= 0, "hpage: KVM_CREATE_VCPU", vcpu);
	r = ioctl(vm, KVM_ENABLE_CAP, &cap);
	check(r == -1 && errno == EBUSY, "hpage: with a vcpu, EBUSY", r);
	close(vcpu);
	close(vm);
	close(kvm);
}

/* The VM-level restrictions of a ucontrol VM. */
static void test_restrictions(void)
{
	struct fixture f;
	setup(&f);
	long r = ioctl(f.vm_fd, KVM_CHECK_EXTENSION, KVM_CAP_S390_HPAGE_1M);
	check(r == 0, "restrictions: KVM_CAP_S390_HPAGE_1M is 0", r);

	uint64_t limit = 0;
	struct kvm_device_attr attr = {
		.group = 0, /* KVM_S390_VM_MEM_CTRL */
		.attr = 2,  /* KVM_S390_VM_MEM_LIMIT_SIZE */
		.addr = (uintptr_t)&limit,
	};
	r = ioctl(f.vm_fd, KVM_HAS_DEVICE_ATTR, &attr);
	check(r == 0, "restrictions: the memory-limit attribute exists", r);
	r = ioctl(f.vm_fd, KVM_GET_DEVICE_ATTR, &attr);
	check(r == 0 && limit == ~0ULL, "restrictions: the memory limit reads ~0", (long)limit);
	r = ioctl(f.vm_fd, KVM_SET_DEVICE_ATTR, &attr);
	check(r == -1 && errno == EINVAL, "restrictions: setting the memory limit fails with EINVAL",
	      r);

	struct kvm_dirty_log log = { .slot = 0 };
	r = ioctl(f.vm_fd, KVM_GET_DIRTY_LOG, &log);
	check(r == -1 && errno == EINVAL, "restrictions: KVM_GET_DIRTY_LOG fails with EINVAL", r);

	struct kvm_userspace_memory_region region = {
		.slot = 1,
		.guest_phys_addr = 0,
		.memory_size = VM_MEM_SIZE,
		.userspace_addr = (uintptr_t)f.base,
	};
	r = ioctl(f.vm_fd, KVM_SET_USER_MEMORY_REGION, &region);
	check(r == -1 && (errno == EINVAL || errno == EEXIST),
	      "restrictions: KVM_SET_USER_MEMORY_REGION fails with EINVAL or EEXIST", r);
	teardown(&f);
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	test_map_unmap();
	test_gprs();
	test_restrictions();
	test_sie_assertions();
	test_cap_hpage();
	printf("1..%d\n", checks);
	return failures ? 1 : 0;
}
