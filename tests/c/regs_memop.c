/*
 * KVM_GET/SET_ONE_REG (every s390 register id), KVM_GET/SET_FPU and
 * KVM_S390_MEM_OP (VM: absolute read, write, compare-and-exchange; vcpu:
 * logical read through the prefix, SIDA) on a ucontrol VM, as an s390
 * program sends them. The s390 structs and numbers are written out: this
 * file is built for the x86_64 host. Prints "key=value" lines.
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
#include <sys/mman.h>
#include <unistd.h>

#include "show.h"

#define REG_S390 0x5000000000000000ULL
#define U32 0x0020000000000000ULL
#define U64 0x0030000000000000ULL
static const uint64_t reg_ids[9] = {
	REG_S390 | U32 | 1, /* TODPR */
	REG_S390 | U64 | 2, /* EPOCHDIFF */
	REG_S390 | U64 | 3, /* CPU_TIMER */
	REG_S390 | U64 | 4, /* CLOCK_COMP */
	REG_S390 | U64 | 5, /* PFTOKEN */
	REG_S390 | U64 | 6, /* PFCOMPARE */
	REG_S390 | U64 | 7, /* PFSELECT */
	REG_S390 | U64 | 8, /* PP */
	REG_S390 | U64 | 9, /* GBEA */
};
static const char *reg_names[9] = {
	"todpr", "epochdiff", "cpu_timer", "clock_comp", "pftoken",
	"pfcompare", "pfselect", "pp", "gbea",
};

struct s390_fpu {
	uint32_t fpc;
	uint32_t pad;
	uint64_t fprs[16];
};
#define S390_GET_FPU _IOR(KVMIO, 0x8c, struct s390_fpu)
#define S390_SET_FPU _IOW(KVMIO, 0x8d, struct s390_fpu)

struct s390_mem_op {
	uint64_t gaddr;
	uint64_t flags;
	uint32_t size;
	uint32_t op;
	uint64_t buf;
	union {
		struct {
			uint8_t ar;
			uint8_t key;
			uint8_t pad1[6];
			uint64_t old_addr;
		};
		uint32_t sida_offset;
		uint8_t reserved[32];
	};
};
_Static_assert(sizeof(struct s390_mem_op) == 64, "kvm_s390_mem_op");
#define CMPXCHG 6
#define RUN_SYNC_GPRS 328
#define RUN_SYNC_PREFIX 320
#define RUN_DIRTY 312

static long one_reg(int vcpu, unsigned long req, uint64_t id, void *addr)
{
	struct kvm_one_reg r = { .id = id, .addr = (uint64_t)addr };
	return ioctl(vcpu, req, &r);
}

static long memop(int fd, uint32_t op, uint64_t gaddr, uint32_t size, void *buf, uint64_t flags,
		  uint8_t key)
{
	struct s390_mem_op m = {
		.gaddr = gaddr, .flags = flags, .size = size, .op = op, .buf = (uint64_t)buf,
	};
	m.key = key;
	return ioctl(fd, KVM_S390_MEM_OP, &m);
}

int main(void)
{
	int kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	int vm = ioctl(kvm, KVM_CREATE_VM, KVM_VM_S390_UCONTROL);
	int vcpu = ioctl(vm, KVM_CREATE_VCPU, 0UL);
	/* Below 2 GiB, where a prefix can point. */
	uint8_t *mem = mmap((void *)0x70000000, 1 << 20, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	if (kvm < 0 || vm < 0 || vcpu < 0 || mem == MAP_FAILED) {
		printf("fatal=setup/%s\n", strerrorname_np(errno));
		return 1;
	}
	uint8_t *run = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 0);
	if (run == MAP_FAILED) {
		printf("fatal=mmap/%s\n", strerrorname_np(errno));
		return 1;
	}

	/* ONE_REG: initial values, then each set and read back. */
	for (int i = 0; i < 9; i++) {
		uint64_t v = 0;
		char key[32];
		snprintf(key, sizeof(key), "get_%s", reg_names[i]);
		show(key, one_reg(vcpu, KVM_GET_ONE_REG, reg_ids[i], &v));
		printf("initial_%s=%#llx\n", reg_names[i], (unsigned long long)v);
		v = 0x1122334455667700ULL + i;
		snprintf(key, sizeof(key), "set_%s", reg_names[i]);
		show(key, one_reg(vcpu, KVM_SET_ONE_REG, reg_ids[i], &v));
		v = 0;
		one_reg(vcpu, KVM_GET_ONE_REG, reg_ids[i], &v);
		printf("back_%s=%#llx\n", reg_names[i], (unsigned long long)v);
	}
	uint64_t v = 0;
	show("get_unknown_id", one_reg(vcpu, KVM_GET_ONE_REG, REG_S390 | U64 | 10, &v));
	show("set_unknown_id", one_reg(vcpu, KVM_SET_ONE_REG, REG_S390 | U64 | 10, &v));
	show("get_null_addr", one_reg(vcpu, KVM_GET_ONE_REG, reg_ids[1], NULL));
	show("set_null_addr", one_reg(vcpu, KVM_SET_ONE_REG, reg_ids[1], NULL));
	show("get_null_struct", ioctl(vcpu, KVM_GET_ONE_REG, NULL));
	show("initial_reset", ioctl(vcpu, KVM_S390_INITIAL_RESET, 0));
	one_reg(vcpu, KVM_GET_ONE_REG, reg_ids[8], &v);
	printf("gbea_after_reset=%#llx\n", (unsigned long long)v);
	one_reg(vcpu, KVM_GET_ONE_REG, reg_ids[4], &v);
	printf("pftoken_after_reset=%#llx\n", (unsigned long long)v);
	one_reg(vcpu, KVM_GET_ONE_REG, reg_ids[5], &v);
	printf("pfcompare_after_reset=%#llx\n", (unsigned long long)v);

	/* FPU */
	struct s390_fpu fpu = { .fpc = 0x00000003 };
	for (int i = 0; i < 16; i++)
		fpu.fprs[i] = 0x4000000000000000ULL + i;
	show("set_fpu", ioctl(vcpu, S390_SET_FPU, &fpu));
	memset(&fpu, 0, sizeof(fpu));
	show("get_fpu", ioctl(vcpu, S390_GET_FPU, &fpu));
	printf("fpc=%#x f15=%#llx\n", fpu.fpc, (unsigned long long)fpu.fprs[15]);
	show("get_fpu_null", ioctl(vcpu, S390_GET_FPU, NULL));
	show("set_fpu_null", ioctl(vcpu, S390_SET_FPU, NULL));
	show("clear_reset", ioctl(vcpu, KVM_S390_CLEAR_RESET, 0));
	ioctl(vcpu, S390_GET_FPU, &fpu);
	printf("fpc_after_clear=%#x f15_after_clear=%#llx\n", fpu.fpc,
	       (unsigned long long)fpu.fprs[15]);

	/* MEM_OP on the VM: absolute addresses are the caller's own. */
	uint64_t abs = (uint64_t)mem + 0x1000;
	uint8_t buf[16];
	memcpy(mem + 0x1000, "guestmem", 8);
	memset(buf, 0, sizeof(buf));
	show("abs_read", memop(vm, KVM_S390_MEMOP_ABSOLUTE_READ, abs, 8, buf, 0, 0));
	printf("abs_read_data=%.8s\n", buf);
	memcpy(buf, "written!", 8);
	show("abs_write", memop(vm, KVM_S390_MEMOP_ABSOLUTE_WRITE, abs + 8, 8, buf, 0, 0));
	printf("abs_written=%.8s\n", (char *)mem + 0x1008);
	show("abs_check_only", memop(vm, KVM_S390_MEMOP_ABSOLUTE_READ, abs, 8, NULL,
				     KVM_S390_MEMOP_F_CHECK_ONLY, 0));
	show("abs_size_0", memop(vm, KVM_S390_MEMOP_ABSOLUTE_READ, abs, 0, buf, 0, 0));
	show("abs_too_big", memop(vm, KVM_S390_MEMOP_ABSOLUTE_READ, abs, 65537, buf, 0, 0));
	show("abs_bad_flag", memop(vm, KVM_S390_MEMOP_ABSOLUTE_READ, abs, 8, buf,
				   KVM_S390_MEMOP_F_INJECT_EXCEPTION, 0));
	show("abs_bad_key", memop(vm, KVM_S390_MEMOP_ABSOLUTE_READ, abs, 8, buf,
				  KVM_S390_MEMOP_F_SKEY_PROTECTION, 16));
	show("abs_key_3_to_key_0_page", memop(vm, KVM_S390_MEMOP_ABSOLUTE_WRITE, abs, 8, buf,
					      KVM_S390_MEMOP_F_SKEY_PROTECTION, 3));
	show("abs_logical_op", memop(vm, KVM_S390_MEMOP_LOGICAL_READ, abs, 8, buf, 0, 0));
	show("abs_unreadable_buf", memop(vm, KVM_S390_MEMOP_ABSOLUTE_WRITE, abs, 8, NULL, 0, 0));
	show("mem_op_null", ioctl(vm, KVM_S390_MEM_OP, NULL));
	uint64_t newv = 0x99, oldv = 0x7473657774736575ULL; /* "guestmem" differs */
	struct s390_mem_op x = {
		.gaddr = abs, .size = 8, .op = CMPXCHG, .buf = (uint64_t)&newv,
	};
	x.old_addr = (uint64_t)&oldv;
	memcpy(&oldv, "guestmem", 8);
	show("cmpxchg", ioctl(vm, KVM_S390_MEM_OP, &x));
	uint64_t now;
	memcpy(&now, mem + 0x1000, 8);
	printf("cmpxchg_now=%#llx\n", (unsigned long long)now);
	oldv = 1;
	show("cmpxchg_miss", ioctl(vm, KVM_S390_MEM_OP, &x));
	printf("cmpxchg_old=%#llx\n", (unsigned long long)oldv);
	x.gaddr = abs + 4;
	show("cmpxchg_unaligned", ioctl(vm, KVM_S390_MEM_OP, &x));

	/* MEM_OP on the vcpu: a real address goes through the prefix. */
	uint64_t prefix = (uint64_t)mem + 0x4000;
	memcpy(run + RUN_SYNC_PREFIX, &prefix, 8);
	uint64_t dirty = 1; /* KVM_SYNC_PREFIX */
	memcpy(run + RUN_DIRTY, &dirty, 8);
	/* KVM_RUN takes the prefix in; no vcpu memory is mapped, so it ends
	 * at once with the prefix exit or EFAULT. */
	ioctl(vcpu, KVM_RUN, 0);
	memcpy(mem + 0x4010, "lowcore!", 8);
	memset(buf, 0, sizeof(buf));
	show("logical_read", memop(vcpu, KVM_S390_MEMOP_LOGICAL_READ, 0x10, 8, buf, 0, 0));
	printf("logical_read_data=%.8s\n", buf);
	show("logical_absolute_op", memop(vcpu, KVM_S390_MEMOP_ABSOLUTE_READ, 0x10, 8, buf, 0, 0));
	struct s390_mem_op ar = { .gaddr = 0x10, .size = 8, .op = KVM_S390_MEMOP_LOGICAL_READ,
				  .buf = (uint64_t)buf };
	ar.ar = 16;
	show("logical_bad_ar", ioctl(vcpu, KVM_S390_MEM_OP, &ar));
	show("sida_read", memop(vcpu, KVM_S390_MEMOP_SIDA_READ, 0, 8, buf, 0, 0));
	show("sida_too_big", memop(vcpu, KVM_S390_MEMOP_SIDA_READ, 0, 4097, buf, 0, 0));
	return 0;
}
