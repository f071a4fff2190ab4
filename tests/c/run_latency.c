/*
 * run_latency: how long one KVM_RUN -> exit round trip takes, measured as the
 * median of many DIAG 0x44 intercepts of a guest that loops over
 * "ahi %r0,1; j diag; diag 0,0,0x44" (the selftest's gprs program). A quick
 * measurement for the emulator, not a benchmark harness:
 *
 *     gcc -O2 -o /tmp/run_latency tests/c/run_latency.c
 *     ucas emulate -- /tmp/run_latency [ROUNDS]
 *
 * For comparison it also times KVM_CHECK_EXTENSION on the same /dev/kvm fd
 * (an ioctl the emulator answers without running a guest). <linux/kvm.h>
 * and libc only; runs on a real s390x ucontrol host too.
 */
#define _GNU_SOURCE
#define __KVM_S390 /* the s390 layout of struct kvm_run */
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define MIB (1ULL << 20)

static const uint8_t guest[] = {
	0xb9, 0x82, 0x00, 0x00,             /* xgr  %r0,%r0 */
	0xc0, 0x11, 0x00, 0x00, 0x00, 0x01, /* lgfi %r1,1 */
	0x83, 0x00, 0x00, 0x44,             /* diag 0,0,0x44 */
	0xa7, 0x0a, 0x00, 0x01,             /* ahi  %r0,1 */
	0xa7, 0xf4, 0xff, 0xfc,             /* j    (diag) */
};

static uint64_t now_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

static int cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

static void report(const char *what, uint64_t *t, int n)
{
	qsort(t, n, sizeof(*t), cmp);
	printf("%-28s median %7.2f us  p10 %7.2f us  p90 %7.2f us  (%d rounds)\n", what,
	       t[n / 2] / 1e3, t[n / 10] / 1e3, t[n * 9 / 10] / 1e3, n);
}

static void die(const char *what)
{
	perror(what);
	exit(1);
}

int main(int argc, char **argv)
{
	int rounds = argc > 1 ? atoi(argv[1]) : 20000;
	if (rounds < 10)
		rounds = 10;
	int kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm < 0)
		die("open /dev/kvm");
	int vm = ioctl(kvm, KVM_CREATE_VM, KVM_VM_S390_UCONTROL);
	if (vm < 0)
		die("KVM_CREATE_VM (run under `ucas emulate`, as root)");
	int vcpu = ioctl(vm, KVM_CREATE_VCPU, 0);
	if (vcpu < 0)
		die("KVM_CREATE_VCPU");
	struct kvm_run *run = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 0);
	uint8_t *sie = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 4096);
	uint8_t *raw = mmap(NULL, 5 * MIB, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
			    -1, 0);
	if (run == MAP_FAILED || sie == MAP_FAILED || raw == MAP_FAILED)
		die("mmap");
	uint8_t *base = (uint8_t *)(((uintptr_t)raw + MIB - 1) & ~(uintptr_t)(MIB - 1));
	struct kvm_s390_ucas_mapping m = { (uintptr_t)base, 0, 4 * MIB };
	if (ioctl(vcpu, KVM_S390_UCAS_MAP, &m))
		die("KVM_S390_UCAS_MAP");
	uint32_t flags; /* cpuflags: clear CPUSTAT_STOPPED */
	memcpy(&flags, sie, sizeof(flags));
	flags &= ~0x80000000u;
	memcpy(sie, &flags, sizeof(flags));
	memcpy(base + 3 * MIB, guest, sizeof(guest));
	run->psw_mask = 0x0000000180000000ULL;
	run->psw_addr = 3 * MIB;

	uint64_t *t = calloc(rounds, sizeof(*t));
	if (!t)
		die("calloc");
	for (int i = 0; i < rounds; i++) {
		uint64_t a = now_ns();
		long r = ioctl(vcpu, KVM_RUN, 0);
		t[i] = now_ns() - a;
		if (r || run->exit_reason != KVM_EXIT_S390_SIEIC || run->s390_sieic.ipa != 0x8300) {
			fprintf(stderr, "round %d: KVM_RUN = %ld, exit_reason %u\n", i, r,
				run->exit_reason);
			return 1;
		}
	}
	report("KVM_RUN -> DIAG intercept", t, rounds);
	for (int i = 0; i < rounds; i++) {
		uint64_t a = now_ns();
		ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_S390_UCONTROL);
		t[i] = now_ns() - a;
	}
	report("KVM_CHECK_EXTENSION", t, rounds);
	return 0;
}
