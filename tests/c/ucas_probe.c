/*
 * ucas_probe: small scenarios that exercise the emulator's mechanism rather
 * than the kernel rules. Each prints "key=value" lines the Rust tests
 * compare, and exits 0 unless told otherwise.
 *
 *   ucas_probe passthrough [KVM_ALIAS]  files, terminals, foreign KVM fds
 *   ucas_probe exit N                   exit with status N
 *   ucas_probe signal N                 die by signal N
 *   ucas_probe efault                   unreadable ioctl arguments
 *   ucas_probe fds                      dup, dup2, F_DUPFD, fd number reuse
 *   ucas_probe family                   a forked child and a thread use KVM
 *   ucas_probe paths                    spellings of /dev/kvm, openat2
 *   ucas_probe pathrules DIR            opens of /dev/kvm the kernel refuses
 *                                       (RESOLVE_*, O_EXCL, dirfds, open_how);
 *                                       DIR is an empty scratch directory
 *   ucas_probe fdlimit                  KVM_CREATE_VM/VCPU with a full fd
 *                                       table (EMFILE), then retried
 *   ucas_probe starve-parent            the same with the parent's (the
 *                                       supervisor's) fd table full
 *   ucas_probe noadmin                  drop CAP_SYS_ADMIN, then create VMs
 *   ucas_probe enomem                   a fixed sequence of maps
 *   ucas_probe efault-more              more unreadable arguments, on every
 *                                       kind of vcpu; nothing changes
 *   ucas_probe killmid N                N children killed while they loop
 *                                       over emulated ioctls
 *   ucas_probe killself                 a thread loops over ioctls while the
 *                                       process sends itself SIGKILL
 *   ucas_probe fdnumbers                one fd number used, then closed,
 *                                       reused and replaced, seen from the
 *                                       thread that closed it, another
 *                                       thread and a forked child
 *   ucas_probe fdrace                   the vcpu fd closed, reused and
 *                                       replaced while a thread uses it
 *   ucas_probe vmclosed                 vcpu ioctls after the VM fd is closed
 *   ucas_probe lifetime                 a VM's references (VM fd, vcpu fd,
 *                                       its dup, a child's copy, the kvm_run
 *                                       mapping) dropped one by one, each
 *                                       followed by KVM_CHECK_EXTENSION(1000+i)
 *   ucas_probe sigrun                   SIGUSR1 to a thread in KVM_RUN, 5 times
 *   ucas_probe queuedmap                SIGUSR1 to a thread whose UCAS_MAP
 *                                       waits for another thread's run
 *   ucas_probe floor                    KVM_CHECK_EXTENSION and the floor's
 *                                       goodbye on /dev/null
 *   ucas_probe hoard N                  up to N vcpus created and kept, 8 per
 *                                       VM, until a creation fails
 *   ucas_probe cycles N                 N x (create VM and vcpu, map kvm_run,
 *                                       unmap, close both)
 *   ucas_probe truncate                 ftruncate the vcpu fd (its pages are
 *                                       the supervisor's too), then KVM_RUN
 *   ucas_probe execrace VICTIM ADDR     a thread execs VICTIM (exec_victim.c,
 *                                       its page at ADDR) while the main
 *                                       thread's guest stores to ADDR
 *   ucas_probe guestmem WHAT            a guest store into a read-only page
 *                                       (rostore), across into one
 *                                       (straddle), through an alias (alias,
 *                                       aliascode); a load from PROT_NONE
 *                                       (noneload)
 *   ucas_probe killrun                  SIGKILL while a guest counts in
 *                                       KVM_RUN
 *   ucas_probe attrstore                KVM_GET_DEVICE_ATTR into writable,
 *                                       read-only and straddling memory
 *   ucas_probe stall                    a thread's UCAS_MAP argument, then a
 *                                       thread's guest memory, on a
 *                                       userfaultfd page nobody fills, then
 *                                       the page a VCPU_FAULT faults in, then
 *                                       the value of a SET_ONE_REG and of a
 *                                       GET_ONE_REG: the other threads'
 *                                       calls meanwhile
 *   ucas_probe eventfds                 KVM_IRQFD and KVM_IOEVENTFD on two
 *                                       ucontrol VMs: each errno in turn
 *   ucas_probe release                  what 7.1 and 7.2 added: capabilities
 *                                       248 and 236, KVM_PRE_FAULT_MEMORY
 *   ucas_probe bench-ext N              N x KVM_CHECK_EXTENSION
 *   ucas_probe bench-map N              N x (UCAS_MAP + UCAS_UNMAP)
 */
#define _GNU_SOURCE
#define __KVM_S390
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/kvm.h>
#include <linux/openat2.h>
#include <linux/userfaultfd.h>
#include <poll.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#define MIB (1ULL << 20)

/* "ret/errno" of the last call, as one token. */
static void show(const char *key, long ret)
{
	if (ret < 0)
		printf("%s=-1/%s\n", key, strerrorname_np(errno));
	else
		printf("%s=%ld\n", key, ret);
}

static int die(const char *what)
{
	printf("fatal=%s/%s\n", what, strerrorname_np(errno));
	exit(99);
}

static int open_kvm(void)
{
	int kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm < 0)
		die("open /dev/kvm");
	return kvm;
}

static int new_vcpu(int kvm, int *vm_out)
{
	int vm = ioctl(kvm, KVM_CREATE_VM, KVM_VM_S390_UCONTROL);
	if (vm < 0)
		die("KVM_CREATE_VM");
	int vcpu = ioctl(vm, KVM_CREATE_VCPU, 0UL);
	if (vcpu < 0)
		die("KVM_CREATE_VCPU");
	if (vm_out)
		*vm_out = vm;
	return vcpu;
}

/* A new ucontrol vcpu (on a new VM) and its mapped kvm_run. */
static struct kvm_run *vcpu_with_run(int *vcpu_out)
{
	int kvm = open_kvm();
	int vcpu = new_vcpu(kvm, NULL);
	long size = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	struct kvm_run *run = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 0);
	if (run == MAP_FAILED)
		die("mmap kvm_run");
	*vcpu_out = vcpu;
	return run;
}

static uint64_t user_memory(uint64_t size)
{
	uint8_t *p = mmap(NULL, size + MIB, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		die("mmap");
	return ((uint64_t)(uintptr_t)p + MIB - 1) & ~(MIB - 1);
}

static long map(int fd, unsigned long req, uint64_t user, uint64_t vcpu, uint64_t len)
{
	struct kvm_s390_ucas_mapping m = { .user_addr = user, .vcpu_addr = vcpu, .length = len };
	return ioctl(fd, req, &m);
}

static int passthrough(const char *alias)
{
	char buf[256] = { 0 };
	int fd = open("/etc/hostname", O_RDONLY);
	show("hostname_open", fd >= 0 ? 0 : -1);
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	while (n > 0 && (buf[n - 1] == '\n'))
		buf[--n] = 0;
	printf("hostname=%s\n", buf);
	errno = 0;
	show("kvm_ioctl_on_file", ioctl(fd, KVM_GET_API_VERSION, 0));

	int ptm = posix_openpt(O_RDWR | O_NOCTTY);
	if (ptm < 0 || grantpt(ptm) || unlockpt(ptm))
		die("pty");
	int pts = open(ptsname(ptm), O_RDWR | O_NOCTTY);
	struct termios t;
	show("tcgets_pty", ioctl(pts, TCGETS, &t));
	show("tcgets_file", ioctl(fd, TCGETS, &t));
	int kvm = open_kvm();
	show("emulated_cap73", ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_S390_UCONTROL));
	if (alias) {
		/* The same device under another name is not emulated. */
		int real = open(alias, O_RDWR | O_CLOEXEC);
		show("alias_open", real >= 0 ? 0 : -1);
		show("alias_api", ioctl(real, KVM_GET_API_VERSION, 0));
		show("alias_cap73", ioctl(real, KVM_CHECK_EXTENSION, KVM_CAP_S390_UCONTROL));
		show("alias_mmap_size", ioctl(real, KVM_GET_VCPU_MMAP_SIZE, 0));
	}
	return 0;
}

static int efault(void)
{
	int kvm = open_kvm();
	int vcpu = new_vcpu(kvm, NULL);
	show("map_null", ioctl(vcpu, KVM_S390_UCAS_MAP, NULL));
	show("map_low", ioctl(vcpu, KVM_S390_UCAS_MAP, (void *)8));
	show("unmap_kernel", ioctl(vcpu, KVM_S390_UCAS_UNMAP, (void *)0xffffffffff600000UL));
	/* An argument whose last bytes run into an inaccessible page. */
	uint8_t *two = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	mprotect(two + 4096, 4096, PROT_NONE);
	struct kvm_s390_ucas_mapping *straddle = (void *)(two + 4096 - 16);
	straddle->user_addr = 0;
	straddle->vcpu_addr = 0;
	show("map_straddling", ioctl(vcpu, KVM_S390_UCAS_MAP, straddle));
	struct kvm_s390_ucas_mapping *inside = (void *)(two + 4096 - 24);
	inside->user_addr = user_memory(MIB);
	inside->vcpu_addr = 0;
	inside->length = MIB;
	show("map_fitting", ioctl(vcpu, KVM_S390_UCAS_MAP, inside));
	/* VCPU_FAULT takes the address by value: nothing to dereference. */
	show("fault_value", ioctl(vcpu, KVM_S390_VCPU_FAULT, 0UL));
	show("run", ioctl(vcpu, KVM_RUN, 0));
	return 0;
}

static int fds(void)
{
	int kvm = open_kvm();
	int vcpu = new_vcpu(kvm, NULL);
	uint64_t base = user_memory(4 * MIB);
	int d1 = dup(vcpu);
	int d2 = dup2(vcpu, 100);
	int d3 = fcntl(vcpu, F_DUPFD_CLOEXEC, 200);
	printf("dups=%d\n", d1 >= 0 && d2 == 100 && d3 >= 200);
	close(vcpu);
	show("map_via_dup", map(d1, KVM_S390_UCAS_MAP, base, 0, 2 * MIB));
	show("fault_via_dup2", ioctl(d2, KVM_S390_VCPU_FAULT, MIB + 5UL));
	show("unmap_via_dupfd", map(d3, KVM_S390_UCAS_UNMAP, 0, MIB, MIB));
	show("fault_unmapped", ioctl(d1, KVM_S390_VCPU_FAULT, MIB + 5UL));
	/* The old number now names an ordinary file: its ioctls are not ours. */
	int reuse = open("/etc/hostname", O_RDONLY);
	printf("reused_number=%d\n", reuse == vcpu);
	show("map_on_reused_number", map(reuse, KVM_S390_UCAS_MAP, base, 0, MIB));
	/* The kernel reads fd and request as unsigned int: upper bits of the
	 * registers do not matter, to it or to the emulator. */
	show("fd_upper_bits", syscall(SYS_ioctl, (long)kvm | (1L << 40), KVM_CHECK_EXTENSION, 73L));
	show("request_upper_bits",
	     syscall(SYS_ioctl, (long)kvm, (long)KVM_CHECK_EXTENSION | (1L << 40), 73L));
	/* The dup'ed vcpu fd is still mappable. */
	void *run = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, d2, 0);
	printf("mmap_dup=%d\n", run != MAP_FAILED);
	return 0;
}

/* One fd number seen by a second thread, step by step: each step of the
 * main thread is followed by one call of the thread through the number. */
static sem_t step_go, step_done;
static int step_fd;
static uint64_t step_base;
static long step_result[4];

static void *number_user(void *arg)
{
	(void)arg;
	for (int i = 0; i < 4; i++) {
		sem_wait(&step_go);
		step_result[i] = map(step_fd, KVM_S390_UCAS_MAP, step_base, 0, MIB);
		if (step_result[i] < 0)
			step_result[i] = -errno;
		sem_post(&step_done);
	}
	return NULL;
}

static void step(const char *key)
{
	static int i;
	sem_post(&step_go);
	sem_wait(&step_done);
	long r = step_result[i++];
	if (r < 0) {
		errno = (int)-r;
		r = -1;
	}
	show(key, r);
}

static int fdnumbers(void)
{
	int kvm = open_kvm();
	int vcpu = new_vcpu(kvm, NULL);
	uint64_t base = user_memory(2 * MIB);
	int keep = dup(vcpu);
	step_fd = vcpu;
	step_base = base;
	sem_init(&step_go, 0, 0);
	sem_init(&step_done, 0, 0);
	pthread_t t;
	pthread_create(&t, NULL, number_user, NULL);
	/* Both threads have used the number successfully... */
	show("main_before", map(vcpu, KVM_S390_UCAS_MAP, base, 0, MIB));
	step("thread_before");
	/* ...then it is closed (the file lives on through `keep`)... */
	close(vcpu);
	show("main_closed", map(vcpu, KVM_S390_UCAS_MAP, base, 0, MIB));
	step("thread_closed");
	/* ...taken by an ordinary file... */
	int file = open("/etc/hostname", O_RDONLY);
	printf("file_took_number=%d\n", file == vcpu);
	show("main_file", map(vcpu, KVM_S390_UCAS_MAP, base, 0, MIB));
	step("thread_file");
	/* ...and made the vcpu again. */
	show("dup2_back", dup2(keep, vcpu) == vcpu);
	show("main_back", map(vcpu, KVM_S390_UCAS_MAP, base, 0, MIB));
	step("thread_back");
	pthread_join(t, NULL);
	/* A forked child keeps its copy when the parent closes its own. */
	int go[2], done[2];
	if (pipe(go) || pipe(done))
		return 1;
	pid_t child = fork();
	if (child == 0) {
		char c;
		long r = map(vcpu, KVM_S390_UCAS_MAP, base, 0, MIB);
		if (write(done[1], "x", 1) != 1 || read(go[0], &c, 1) != 1)
			_exit(3);
		long after = map(vcpu, KVM_S390_UCAS_MAP, base, 0, MIB);
		_exit(r == 0 && after == 0 ? 0 : 1);
	}
	char c;
	if (read(done[0], &c, 1) != 1)
		return 1;
	close(vcpu);
	show("parent_closed", map(vcpu, KVM_S390_UCAS_MAP, base, 0, MIB));
	if (write(go[1], "x", 1) != 1)
		return 1;
	int status = 0;
	waitpid(child, &status, 0);
	printf("child_kept=%d\n", WIFEXITED(status) && WEXITSTATUS(status) == 0);
	return 0;
}

static void *thread_main(void *arg)
{
	int kvm = *(int *)arg;
	long v = ioctl(kvm, KVM_GET_API_VERSION, 0);
	return (void *)v;
}

static int family(void)
{
	int kvm = open_kvm();
	pthread_t t;
	void *v;
	pthread_create(&t, NULL, thread_main, &kvm);
	pthread_join(t, &v);
	printf("thread_api=%ld\n", (long)v);
	pid_t child = fork();
	if (child == 0) {
		int own = open("/dev/kvm", O_RDWR);
		long api = ioctl(own, KVM_GET_API_VERSION, 0);
		long inherited = ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_S390_UCONTROL);
		_exit(api == 12 && inherited == 1 ? 42 : 1);
	}
	int st;
	waitpid(child, &st, 0);
	printf("child_status=%d\n", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
	/* A grandchild that outlives us must still be served. */
	if (fork() == 0) {
		if (fork() == 0) {
			usleep(200 * 1000);
			int own = open("/dev/kvm", O_RDWR);
			long api = ioctl(own, KVM_GET_API_VERSION, 0);
			FILE *f = fopen(getenv("UCAS_PROBE_ORPHAN_OUT"), "w");
			if (f) {
				fprintf(f, "orphan_api=%ld\n", api);
				fclose(f);
			}
			_exit(0);
		}
		_exit(0);
	}
	wait(NULL);
	return 0;
}

static int paths(void)
{
	show("dev_dotdot", ioctl(open("/dev/../dev//./kvm", O_RDWR), KVM_CHECK_EXTENSION, 73));
	int dev = open("/dev", O_RDONLY | O_DIRECTORY);
	show("openat_dirfd", ioctl(openat(dev, "kvm", O_RDWR), KVM_CHECK_EXTENSION, 73));
	struct open_how how = { .flags = O_RDWR | O_CLOEXEC };
	long fd = syscall(SYS_openat2, AT_FDCWD, "/dev/kvm", &how, sizeof(how));
	show("openat2", ioctl((int)fd, KVM_CHECK_EXTENSION, 73));
	printf("openat2_cloexec=%d\n", (fcntl((int)fd, F_GETFD) & FD_CLOEXEC) != 0);
	int plain = open("/dev/kvm", O_RDWR);
	printf("plain_cloexec=%d\n", (fcntl(plain, F_GETFD) & FD_CLOEXEC) != 0);
	if (chdir("/dev") == 0)
		show("relative_cwd", ioctl(open("kvm", O_RDWR), KVM_CHECK_EXTENSION, 73));
	show("bad_path_pointer", open((const char *)8, O_RDONLY));
	return 0;
}

static int noadmin(void)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[2];
	if (syscall(SYS_capget, &h, d))
		die("capget");
	d[0].effective &= ~(1u << CAP_SYS_ADMIN);
	if (syscall(SYS_capset, &h, d))
		die("capset");
	int kvm = open_kvm();
	show("ucontrol_vm", ioctl(kvm, KVM_CREATE_VM, KVM_VM_S390_UCONTROL));
	show("regular_vm", ioctl(kvm, KVM_CREATE_VM, 0UL) >= 0 ? 0 : -1);
	show("cap73", ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_S390_UCONTROL));
	return 0;
}

/* The fixed sequence the --enomem-after test replays: 10 segment stores. */
static int enomem(void)
{
	static const uint64_t seq[][3] = {
		/* user offset, vcpu address, length */
		{ 0, 0, 2 * MIB },
		{ 4 * MIB, 16 * MIB, 4 * MIB },
		{ 8 * MIB, 1 * MIB, 3 * MIB },
		{ 0, 32 * MIB, 1 * MIB },
	};
	int kvm = open_kvm();
	int vcpu = new_vcpu(kvm, NULL);
	uint64_t base = user_memory(16 * MIB);
	printf("base=%llu\n", (unsigned long long)base);
	for (unsigned i = 0; i < sizeof(seq) / sizeof(seq[0]); i++) {
		errno = 0;
		long r = map(vcpu, KVM_S390_UCAS_MAP, base + seq[i][0], seq[i][1], seq[i][2]);
		printf("map%u=%s\n", i, r == 0 ? "0" : strerrorname_np(errno));
	}
	return 0;
}

/* More unreadable arguments than `efault`: each must fail with EFAULT before
 * any other check (even on a regular VM's vcpu, where a readable argument
 * gets EINVAL), and none may change the address space. */
static int efault_more(void)
{
	int kvm = open_kvm();
	int vcpu = new_vcpu(kvm, NULL);
	uint64_t base = user_memory(2 * MIB);
	printf("base=%llu\n", (unsigned long long)base);
	show("map_first", map(vcpu, KVM_S390_UCAS_MAP, base, 0, MIB));
	show("unmap_null", ioctl(vcpu, KVM_S390_UCAS_UNMAP, NULL));
	/* The 24 bytes would wrap past the top of the address space. */
	show("map_wrapping_ptr", ioctl(vcpu, KVM_S390_UCAS_MAP, (void *)(~0UL - 7)));
	uint8_t *two = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	mprotect(two + 4096, 4096, PROT_NONE);
	struct kvm_s390_ucas_mapping *straddle = (void *)(two + 4096 - 8);
	straddle->user_addr = 0;
	show("unmap_straddling", ioctl(vcpu, KVM_S390_UCAS_UNMAP, straddle));
	/* Memory that was valid a moment ago. */
	struct kvm_s390_ucas_mapping *freed =
		mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	freed->user_addr = base;
	freed->vcpu_addr = 0;
	freed->length = MIB;
	munmap(freed, 4096);
	show("unmap_freed", ioctl(vcpu, KVM_S390_UCAS_UNMAP, freed));
	/* Readable is enough: a read-only argument works. */
	struct kvm_s390_ucas_mapping *ro =
		mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ro->user_addr = base + MIB;
	ro->vcpu_addr = 4 * MIB;
	ro->length = MIB;
	mprotect(ro, 4096, PROT_READ);
	show("map_readonly", ioctl(vcpu, KVM_S390_UCAS_MAP, ro));
	/* EFAULT comes before "not a ucontrol VM" (EINVAL). */
	int vm0 = ioctl(kvm, KVM_CREATE_VM, 0UL);
	int plain = ioctl(vm0, KVM_CREATE_VCPU, 0UL);
	show("regular_vcpu_null", ioctl(plain, KVM_S390_UCAS_MAP, NULL));
	show("regular_vcpu_readable", map(plain, KVM_S390_UCAS_MAP, base, 0, MIB));
	return 0;
}

/* The loop a killed child runs: emulated ioctls only, back to back. */
static void spin(int kvm, int vcpu, uint64_t base)
{
	for (uint64_t i = 0;; i++) {
		uint64_t v = (i & 63) << 20;
		map(vcpu, KVM_S390_UCAS_MAP, base, v, MIB);
		ioctl(vcpu, KVM_S390_VCPU_FAULT, v);
		map(vcpu, KVM_S390_UCAS_UNMAP, 0, v, MIB);
		ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_S390_UCONTROL);
	}
}

/* Whether task `pid` is blocked in system call `nr` (/proc/PID/syscall). */
static int in_syscall(pid_t pid, long nr)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/syscall", (int)pid);
	FILE *f = fopen(path, "r");
	long current = -1;
	if (f) {
		if (fscanf(f, "%ld", &current) != 1)
			current = -1;
		fclose(f);
	}
	return current == nr;
}

static int killmid(long rounds)
{
	int kvm = open_kvm();
	int vcpu = new_vcpu(kvm, NULL);
	uint64_t base = user_memory(MIB);
	long killed = 0, in_ioctl = 0;
	for (long i = 0; i < rounds; i++) {
		pid_t pid = fork();
		if (pid < 0)
			die("fork");
		if (pid == 0)
			spin(kvm, vcpu, base);
		/* 20 us to 1 ms: the child is inside an emulated call most of
		 * that time, since the round trip dominates its loop. */
		struct timespec ts = { 0, 20000 + (i * 7919) % 980000 };
		nanosleep(&ts, NULL);
		int seen = in_syscall(pid, SYS_ioctl);
		/* Every fourth child is killed only once it is seen inside an
		 * emulated call (waiting up to 5 s): on a loaded machine a
		 * child may not even have started within the sleep. */
		for (int t = 0; i % 4 == 0 && !seen && t < 50000; t++) {
			usleep(100);
			seen = in_syscall(pid, SYS_ioctl);
		}
		in_ioctl += seen;
		kill(pid, SIGKILL);
		int st;
		if (waitpid(pid, &st, 0) != pid)
			die("waitpid");
		killed += WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL;
	}
	printf("killed=%ld\n", killed);
	printf("seen_in_ioctl=%ld\n", in_ioctl);
	/* The emulator still serves the survivor. */
	show("after_api", ioctl(kvm, KVM_GET_API_VERSION, 0));
	show("after_map", map(vcpu, KVM_S390_UCAS_MAP, base, 100 * MIB, MIB));
	return 0;
}

struct spin_args {
	int kvm, vcpu;
	uint64_t base;
};

static void *spin_thread(void *arg)
{
	struct spin_args *a = arg;
	spin(a->kvm, a->vcpu, a->base);
	return NULL;
}

static int killself(void)
{
	static struct spin_args a;
	a.kvm = open_kvm();
	a.vcpu = new_vcpu(a.kvm, NULL);
	a.base = user_memory(MIB);
	pthread_t t;
	pthread_create(&t, NULL, spin_thread, &a);
	usleep(20 * 1000);
	kill(getpid(), SIGKILL);
	pause();
	return 98;
}

/* Results of the maps the race thread made. */
static atomic_long race_ok, race_badf, race_notty, race_other, race_other_errno, race_calls;
static atomic_int race_stop;

static void *race_thread(void *arg)
{
	int fd = *(int *)arg;
	uint64_t base = user_memory(MIB);
	for (uint64_t i = 0; !atomic_load(&race_stop); i++) {
		long r = map(fd, KVM_S390_UCAS_MAP, base, (i & 63) << 20, MIB);
		if (r == 0)
			atomic_fetch_add(&race_ok, 1);
		else if (errno == EBADF)
			atomic_fetch_add(&race_badf, 1);
		else if (errno == ENOTTY)
			atomic_fetch_add(&race_notty, 1);
		else {
			atomic_fetch_add(&race_other, 1);
			atomic_store(&race_other_errno, errno);
		}
		atomic_fetch_add(&race_calls, 1);
	}
	return NULL;
}

/* Waits until the race thread has made two more calls, so at least one
 * started after the fd changed (bounded: 10 s, then the test fails on the
 * missing outcome instead of hanging). */
static void race_settle(void)
{
	long start = atomic_load(&race_calls);
	for (int i = 0; i < 100000 && atomic_load(&race_calls) < start + 2; i++)
		usleep(100);
}

/* While a thread maps through one fd number, that number is closed (EBADF),
 * reused by a plain file (the real kernel's ENOTTY), and made to name a
 * vcpu of a second VM with dup2 (served again, by the other vcpu). */
static int fdrace(void)
{
	int kvm = open_kvm();
	int vcpu = new_vcpu(kvm, NULL);
	int spare = dup(vcpu);
	int other = new_vcpu(kvm, NULL);
	int number = vcpu;
	pthread_t t;
	pthread_create(&t, NULL, race_thread, &number);
	race_settle();
	close(vcpu);
	race_settle();
	int file = open("/etc/hostname", O_RDONLY);
	printf("file_took_number=%d\n", file == number);
	race_settle();
	dup2(other, number);
	race_settle();
	dup2(spare, number);
	race_settle();
	atomic_store(&race_stop, 1);
	pthread_join(t, NULL);
	printf("ok=%d\n", atomic_load(&race_ok) > 0);
	printf("badf=%d\n", atomic_load(&race_badf) > 0);
	printf("notty=%d\n", atomic_load(&race_notty) > 0);
	printf("other=%ld\n", atomic_load(&race_other));
	printf("other_errno=%s\n", atomic_load(&race_other) ? strerrorname_np(atomic_load(&race_other_errno)) : "none");
	return 0;
}

/* A vcpu holds its VM: closing the VM and /dev/kvm fds leaves it working. */
static int vmclosed(void)
{
	int kvm = open_kvm();
	int vm;
	int vcpu = new_vcpu(kvm, &vm);
	uint64_t base = user_memory(4 * MIB);
	printf("base=%llu\n", (unsigned long long)base);
	close(vm);
	close(kvm);
	show("map_after_close", map(vcpu, KVM_S390_UCAS_MAP, base, 0, 2 * MIB));
	show("fault_after_close", ioctl(vcpu, KVM_S390_VCPU_FAULT, 0x1000UL));
	show("unmap_after_close", map(vcpu, KVM_S390_UCAS_UNMAP, 0, MIB, MIB));
	show("fault_unmapped_after_close", ioctl(vcpu, KVM_S390_VCPU_FAULT, MIB));
	show("create_vcpu_on_closed_vm", ioctl(vm, KVM_CREATE_VCPU, 1UL));
	void *run = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 0);
	printf("mmap_after_close=%d\n", run != MAP_FAILED);
	/* A new VM may get the old numbers; it is a different VM. */
	int kvm2 = open_kvm();
	int vm2;
	int vcpu2 = new_vcpu(kvm2, &vm2);
	printf("vm_number_reused=%d\n", vm2 == vm);
	show("second_vm_map", map(vcpu2, KVM_S390_UCAS_MAP, base + 2 * MIB, 16 * MIB, MIB));
	show("first_vcpu_map", map(vcpu, KVM_S390_UCAS_MAP, base + 3 * MIB, 32 * MIB, MIB));
	return 0;
}

/* A numbered KVM_CHECK_EXTENSION: a line in the trace that orders what the
 * emulator did before and after it. */
static void marker(int kvm, unsigned long n)
{
	ioctl(kvm, KVM_CHECK_EXTENSION, 1000 + n);
}

/* A VM dies with its last reference: the VM fd, its vcpu fds (inherited
 * copies too) and the mappings of their kvm_run pages. */
static int lifetime(void)
{
	int kvm = open_kvm();
	int vm;
	int vcpu = new_vcpu(kvm, &vm);
	void *run = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 0);
	printf("mmap=%d\n", run != MAP_FAILED);
	int copy = dup(vcpu);
	marker(kvm, 1);
	close(vm);
	marker(kvm, 2);
	close(vcpu);
	marker(kvm, 3);
	pid_t child = fork();
	if (child == 0) {
		/* The child's inherited copy keeps the VM alive until it exits. */
		close(copy);
		_exit(0);
	}
	waitpid(child, NULL, 0);
	close(copy);
	marker(kvm, 4);
	munmap(run, 4096);
	marker(kvm, 5);
	return 0;
}

/* VMs created and closed over and over: each must be destroyed, or the
 * emulator runs out of memory mappings long before the count. */
static int cycles(long count)
{
	int kvm = open_kvm();
	long done = 0;
	for (; done < count; done++) {
		int vm = ioctl(kvm, KVM_CREATE_VM, KVM_VM_S390_UCONTROL);
		if (vm < 0) {
			show("failed_create_vm", vm);
			break;
		}
		int vcpu = ioctl(vm, KVM_CREATE_VCPU, 0UL);
		if (vcpu < 0) {
			show("failed_create_vcpu", vcpu);
			break;
		}
		void *run = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 0);
		if (run == MAP_FAILED) {
			show("failed_mmap", -1);
			break;
		}
		munmap(run, 4096);
		close(vcpu);
		close(vm);
	}
	printf("cycles=%ld\n", done);
	return 0;
}

/* Under ucas_emulator::floor: a KVM ioctl on /dev/null, then the goodbye
 * _IO(KVMIO, 0xff); natively both are ENOTTY. */
static int floor_calls(void)
{
	int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
	show("check_extension", ioctl(null, KVM_CHECK_EXTENSION, 0UL));
	show("end", ioctl(null, _IO(KVMIO, 0xff), 0UL));
	return 0;
}

/* Vcpus created and kept, 8 per VM, until a creation fails. */
static int hoard(long count)
{
	struct rlimit lim;
	getrlimit(RLIMIT_NOFILE, &lim);
	lim.rlim_cur = lim.rlim_max < 8192 ? lim.rlim_max : 8192;
	setrlimit(RLIMIT_NOFILE, &lim);
	int kvm = open_kvm();
	long vcpus = 0;
	long ret = 0;
	while (vcpus < count) {
		int vm = ioctl(kvm, KVM_CREATE_VM, KVM_VM_S390_UCONTROL);
		if (vm < 0) {
			show("failed_create_vm", vm);
			break;
		}
		for (unsigned long id = 0; id < 8 && vcpus < count; id++, vcpus++) {
			ret = ioctl(vm, KVM_CREATE_VCPU, id);
			if (ret < 0)
				break;
		}
		if (ret < 0)
			break;
	}
	printf("vcpus=%ld\n", vcpus);
	show("last", ret);
	return 0;
}

/* The supervisor maps each vcpu fd's pages: shrinking the file would make
 * its next access SIGBUS and kill the emulator, so the sizes are sealed. */
static int truncate_vcpu(void)
{
	int kvm = open_kvm();
	int vcpu = new_vcpu(kvm, NULL);
	struct stat st;
	show("shrink", ftruncate(vcpu, 0));
	show("size", fstat(vcpu, &st) ? -1 : st.st_size);
	show("run", ioctl(vcpu, KVM_RUN, 0));
	show("grow", ftruncate(vcpu, 64 * 4096));
	show("unseal", fcntl(vcpu, F_ADD_SEALS, F_SEAL_WRITE));
	show("fault", ioctl(vcpu, KVM_S390_VCPU_FAULT, 0UL));
	return 0;
}

/* "ok" for a new fd (closed again), "-1/ERRNO" otherwise. */
static void opened(const char *key, long fd)
{
	if (fd >= 0) {
		printf("%s=ok\n", key);
		close((int)fd);
	} else {
		printf("%s=-1/%s\n", key, strerrorname_np(errno));
	}
}

static long open2(int dirfd, const char *path, uint64_t flags, uint64_t mode, uint64_t resolve)
{
	struct open_how how = { .flags = flags, .mode = mode, .resolve = resolve };
	return syscall(SYS_openat2, dirfd, path, &how, sizeof(how));
}

static int pathrules(const char *dir)
{
	int tmp = open(dir, O_RDONLY | O_DIRECTORY);
	int dev = open("/dev", O_RDONLY | O_DIRECTORY);
	int root = open("/", O_RDONLY | O_DIRECTORY);
	int file = open("/dev/null", O_RDONLY);
	int closed = open("/dev/null", O_RDONLY);
	if (tmp < 0 || dev < 0 || root < 0 || file < 0 || closed < 0)
		die("open a directory");
	close(closed);
	/* The reference: an open the kernel allows. */
	opened("plain", open2(AT_FDCWD, "/dev/kvm", O_RDWR, 0, 0));
	/* RESOLVE_BENEATH: no absolute paths, no ".." above the dirfd. */
	opened("beneath_escape", open2(tmp, "../../dev/kvm", O_RDWR, 0, RESOLVE_BENEATH));
	opened("beneath_abs", open2(AT_FDCWD, "/dev/kvm", O_RDWR, 0, RESOLVE_BENEATH));
	opened("beneath_abs_closed_dirfd", open2(closed, "/dev/kvm", O_RDWR, 0, RESOLVE_BENEATH));
	opened("beneath_inside", open2(dev, "kvm", O_RDWR, 0, RESOLVE_BENEATH));
	opened("beneath_out_and_back", open2(dev, "../dev/kvm", O_RDWR, 0, RESOLVE_BENEATH));
	opened("beneath_root", open2(root, "dev/kvm", O_RDWR, 0, RESOLVE_BENEATH));
	opened("beneath_root_dotdot", open2(root, "../dev/kvm", O_RDWR, 0, RESOLVE_BENEATH));
	opened("beneath_down_up", open2(root, "dev/../dev/./kvm", O_RDWR, 0, RESOLVE_BENEATH));
	/* RESOLVE_IN_ROOT: "/" and ".." stop at the dirfd. */
	opened("in_root_abs", open2(tmp, "/dev/kvm", O_RDWR, 0, RESOLVE_IN_ROOT));
	opened("in_root_dotdot", open2(tmp, "../../dev/kvm", O_RDWR, 0, RESOLVE_IN_ROOT));
	opened("in_root_slash", open2(root, "/dev/kvm", O_RDWR, 0, RESOLVE_IN_ROOT));
	opened("in_root_dev", open2(dev, "/kvm", O_RDWR, 0, RESOLVE_IN_ROOT));
	opened("in_root_closed_dirfd", open2(closed, "/dev/kvm", O_RDWR, 0, RESOLVE_IN_ROOT));
	opened("both_scopes", open2(dev, "kvm", O_RDWR, 0, RESOLVE_BENEATH | RESOLVE_IN_ROOT));
	/* RESOLVE_NO_XDEV: /dev is its own mount on most hosts. */
	opened("no_xdev_abs", open2(AT_FDCWD, "/dev/kvm", O_RDWR, 0, RESOLVE_NO_XDEV));
	opened("no_xdev_root", open2(root, "dev/kvm", O_RDWR, 0, RESOLVE_NO_XDEV));
	opened("no_xdev_inside", open2(dev, "kvm", O_RDWR, 0, RESOLVE_NO_XDEV));
	opened("no_xdev_pts", open2(dev, "pts/../kvm", O_RDWR, 0, RESOLVE_NO_XDEV));
	/* Symlinks: /dev/kvm is none, but the path may pass through one. */
	opened("no_symlinks", open2(AT_FDCWD, "/dev/kvm", O_RDWR, 0, RESOLVE_NO_SYMLINKS));
	opened("no_magiclinks", open2(AT_FDCWD, "/dev/kvm", O_RDWR, 0, RESOLVE_NO_MAGICLINKS));
	opened("cached", open2(AT_FDCWD, "/dev/kvm", O_RDWR, 0, RESOLVE_CACHED));
	opened("cached_trunc", open2(AT_FDCWD, "/dev/kvm", O_RDWR | O_TRUNC, 0, RESOLVE_CACHED));
	char link[4096];
	snprintf(link, sizeof(link), "%s/fd", dir);
	if (symlink("/proc/self/fd", link))
		die("symlink");
	snprintf(link, sizeof(link), "%s/fd/../../../dev/kvm", dir);
	/* Through the link: /proc/self/fd/../../../dev/kvm is /dev/kvm. */
	opened("through_symlink", open(link, O_RDWR));
	opened("through_symlink_nosym", open2(AT_FDCWD, link, O_RDWR, 0, RESOLVE_NO_SYMLINKS));
	/* Lexically /dev/kvm, but ".." follows the link. */
	opened("dotdot_after_symlink", open("/dev/fd/../kvm", O_RDWR));
	opened("dotdot_after_missing", open("/nonexistent-ucas/../dev/kvm", O_RDWR));
	opened("dotdot_after_file", open("/dev/null/../kvm", O_RDWR));
	/* The node exists, and is not a directory. */
	opened("creat", open("/dev/kvm", O_RDWR | O_CREAT, 0600));
	opened("creat_excl", open("/dev/kvm", O_RDWR | O_CREAT | O_EXCL, 0600));
	opened("creat_excl_openat2", open2(AT_FDCWD, "/dev/kvm", O_RDWR | O_CREAT | O_EXCL, 0600, 0));
	opened("directory", open("/dev/kvm", O_RDONLY | O_DIRECTORY));
	opened("tmpfile", open("/dev/kvm", O_RDWR | O_TMPFILE, 0600));
	opened("trailing_slash", open("/dev/kvm/", O_RDWR));
	/* Dirfds. */
	opened("file_dirfd", openat(file, "../kvm", O_RDWR));
	opened("closed_dirfd", openat(closed, "kvm", O_RDWR));
	opened("closed_dirfd_abs", openat(closed, "/dev/kvm", O_RDWR));
	/* struct open_how itself. */
	struct { struct open_how how; uint64_t extra; } big = { { .flags = O_RDWR }, 0 };
	opened("how_small", syscall(SYS_openat2, AT_FDCWD, "/dev/kvm", &big, 16));
	opened("how_ver0", syscall(SYS_openat2, AT_FDCWD, "/dev/kvm", &big, 24));
	opened("how_big_zero", syscall(SYS_openat2, AT_FDCWD, "/dev/kvm", &big, sizeof(big)));
	big.extra = 1;
	opened("how_big_nonzero", syscall(SYS_openat2, AT_FDCWD, "/dev/kvm", &big, sizeof(big)));
	opened("how_huge", syscall(SYS_openat2, AT_FDCWD, "/dev/kvm", &big, 8192));
	opened("how_unreadable", syscall(SYS_openat2, AT_FDCWD, "/dev/kvm", (void *)8, 24));
	opened("unknown_flag", open2(AT_FDCWD, "/dev/kvm", O_RDWR | (1ULL << 23), 0, 0));
	opened("unknown_flag_high", open2(AT_FDCWD, "/dev/kvm", O_RDWR | (1ULL << 40), 0, 0));
	opened("unknown_flag_open", open("/dev/kvm", O_RDWR | (1 << 23)));
	opened("unknown_resolve", open2(AT_FDCWD, "/dev/kvm", O_RDWR, 0, 1ULL << 10));
	opened("mode_without_creat", open2(AT_FDCWD, "/dev/kvm", O_RDWR, 0600, 0));
	opened("mode_bad", open2(AT_FDCWD, "/dev/kvm", O_RDWR | O_CREAT, 010000000, 0));
	opened("path_flags", open2(AT_FDCWD, "/dev/kvm", O_PATH | O_RDWR, 0, 0));
	opened("creat_directory", open2(AT_FDCWD, "/dev/kvm", O_RDWR | O_CREAT | O_DIRECTORY, 0600, 0));
	return 0;
}

/* Sets RLIMIT_NOFILE so that the next new fd is over it (or, with 0, back
 * to what it was). */
static void fd_table_full(int full)
{
	static struct rlimit saved;
	if (full) {
		if (getrlimit(RLIMIT_NOFILE, &saved))
			die("getrlimit");
		int next = dup(0);
		if (next < 0)
			die("dup");
		close(next);
		struct rlimit low = { .rlim_cur = (rlim_t)next, .rlim_max = saved.rlim_max };
		if (setrlimit(RLIMIT_NOFILE, &low))
			die("setrlimit");
	} else if (setrlimit(RLIMIT_NOFILE, &saved)) {
		die("setrlimit");
	}
}

static int fdlimit(void)
{
	int kvm = open_kvm();
	int vm = ioctl(kvm, KVM_CREATE_VM, KVM_VM_S390_UCONTROL);
	if (vm < 0)
		die("KVM_CREATE_VM");
	fd_table_full(1);
	show("vcpu3_full", ioctl(vm, KVM_CREATE_VCPU, 3UL));
	show("vm_full", ioctl(kvm, KVM_CREATE_VM, KVM_VM_S390_UCONTROL));
	fd_table_full(0);
	long vcpu = ioctl(vm, KVM_CREATE_VCPU, 3UL);
	show("vcpu3_retry", vcpu >= 0 ? 0 : -1);
	show("vcpu3_again", ioctl(vm, KVM_CREATE_VCPU, 3UL));
	long vm2 = ioctl(kvm, KVM_CREATE_VM, KVM_VM_S390_UCONTROL);
	show("vm_retry", vm2 >= 0 ? 0 : -1);
	if (vm2 >= 0) {
		long v = ioctl((int)vm2, KVM_CREATE_VCPU, 5UL);
		show("vm_retry_vcpu5", v >= 0 ? 0 : -1);
	}
	return 0;
}

/* The parent is the supervisor (the emulator runs in the process that
 * spawned the probe): with its RLIMIT_NOFILE at 3 it cannot make the memfd
 * of a new VM or vcpu, its fds 0-2 being open (and its poll of two fds
 * still works, which a limit of 0 or 1 would refuse). */
static int starve_parent(void)
{
	int kvm = open_kvm();
	int vm = ioctl(kvm, KVM_CREATE_VM, KVM_VM_S390_UCONTROL);
	if (vm < 0)
		die("KVM_CREATE_VM");
	struct rlimit saved;
	if (prlimit(getppid(), RLIMIT_NOFILE, NULL, &saved))
		die("prlimit get");
	struct rlimit none = { .rlim_cur = 3, .rlim_max = saved.rlim_max };
	if (prlimit(getppid(), RLIMIT_NOFILE, &none, NULL))
		die("prlimit set");
	show("vcpu3_starved", ioctl(vm, KVM_CREATE_VCPU, 3UL));
	/* A regular VM: for a ucontrol one the supervisor would first need an
	 * fd to read the caller's capabilities. */
	show("vm_starved", ioctl(kvm, KVM_CREATE_VM, 0UL));
	if (prlimit(getppid(), RLIMIT_NOFILE, &saved, NULL))
		die("prlimit restore");
	long vcpu = ioctl(vm, KVM_CREATE_VCPU, 3UL);
	show("vcpu3_retry", vcpu >= 0 ? 0 : -1);
	long vm2 = ioctl(kvm, KVM_CREATE_VM, KVM_VM_S390_UCONTROL);
	show("vm_retry", vm2 >= 0 ? 0 : -1);
	if (vm2 >= 0) {
		long v = ioctl((int)vm2, KVM_CREATE_VCPU, 5UL);
		show("vm_retry_vcpu5", v >= 0 ? 0 : -1);
	}
	return 0;
}

/* `execrace`: the guest's code and lowcore live at a fixed address. */
#define RACE_BASE 0x200000000000ULL

static atomic_int race_rounds;
static const char *race_victim;

static void *race_exec(void *arg)
{
	(void)arg;
	while (atomic_load(&race_rounds) < 1)
		usleep(1000);
	/* Well inside the next run (a run lasts far longer). */
	usleep(20 * 1000);
	execl(race_victim, "exec_victim", "check", (char *)NULL);
	die("execl");
	return NULL;
}

/* The main thread runs a guest that stores into the page at `target`
 * forever; another thread execs `victim` (tests/c/exec_victim.c), a static
 * program whose own page is at that address. The exec kills the main
 * thread inside KVM_RUN: the guest must not write into the new image. */
static int execrace(const char *victim, uint64_t target)
{
	race_victim = victim;
	uint8_t *mem = mmap((void *)RACE_BASE, MIB, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	if (mem == MAP_FAILED || (uint64_t)(uintptr_t)mem != RACE_BASE)
		die("mmap fixed");
	/* This image's page at the victim's address, for the stores before
	 * the exec. */
	void *page = mmap((void *)(uintptr_t)target, 4096, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	if (page == MAP_FAILED || (uint64_t)(uintptr_t)page != target)
		die("mmap target");
	uint64_t segment = target & ~(MIB - 1);
	int vcpu;
	struct kvm_run *run = vcpu_with_run(&vcpu);
	if (map(vcpu, KVM_S390_UCAS_MAP, RACE_BASE, 0, MIB) ||
	    map(vcpu, KVM_S390_UCAS_MAP, segment, MIB, MIB))
		die("KVM_S390_UCAS_MAP");
	ioctl(vcpu, KVM_S390_VCPU_FAULT, 0UL);
	/* Stores r1, then counts r2 down from 100000 (no memory access), and
	 * again: the exec, during which a store finds no memory and ends the
	 * run, most likely falls in the count, and the guest then stores on.
	 *   st %r1,0(%r6); lgfi %r2,100000; brct %r2,.; j .-14 */
	static const uint8_t loop[] = { 0x50, 0x10, 0x60, 0x00, 0xc0, 0x21, 0x00, 0x01, 0x86, 0xa0,
					0xa7, 0x26, 0x00, 0x00, 0xa7, 0xf4, 0xff, 0xf9 };
	memcpy(mem + 0x10000, loop, sizeof(loop));
	run->psw_mask = 0x0000000180000000ULL;
	run->psw_addr = 0x10000;
	uint64_t *gprs = (uint64_t *)(run->s.padding + 8);
	gprs[1] = 0x5a5a5a5a;
	gprs[6] = MIB + (target - segment);
	run->kvm_dirty_regs |= 1ULL << 1;
	pthread_t t;
	if (pthread_create(&t, NULL, race_exec, NULL))
		die("pthread_create");
	for (;;) {
		long r = ioctl(vcpu, KVM_RUN, 0);
		if (r == 0 || errno != EINTR)
			die("KVM_RUN did not run out of budget");
		atomic_fetch_add(&race_rounds, 1);
	}
	return 0;
}

/* `guestmem`: one guest program run once on a fresh vcpu. User memory U
 * (2 MiB) holds the lowcore and code (vcpu segment 0) and the data pages
 * D = U + 1 MiB (vcpu segment 1 MiB, and its alias at vcpu 2 MiB); D's
 * first page is filled with 0x11, its second (0x22) made read-only.
 *   rostore   st  r1 into the read-only page
 *   straddle  stg r1 at the last 4 bytes of the first page
 *   alias     l r2 through the alias, st r1 through segment 1 MiB, l r3
 *             through the alias again
 *   noneload  l r2 from the second page, made PROT_NONE instead
 *   aliascode l r2 through the alias, st r1 (a diag 0x44) through segment
 *             1 MiB, then branch to it through the alias
 * Then diag 0x44. Prints the run's result, exit, PSW address, r2, r3 and
 * the data bytes around the page boundary. */
static int guestmem(const char *what)
{
	static const uint8_t rostore[] = { 0x50, 0x10, 0x60, 0x00, 0x83, 0x00, 0x00, 0x44 };
	static const uint8_t straddle[] = { 0xe3, 0x10, 0x60, 0x00, 0x00, 0x24,
					    0x83, 0x00, 0x00, 0x44 };
	static const uint8_t alias[] = { 0x58, 0x20, 0x70, 0x00, 0x50, 0x10, 0x60, 0x00,
					 0x58, 0x30, 0x70, 0x00, 0x83, 0x00, 0x00, 0x44 };
	const uint8_t *code;
	size_t len;
	static const uint8_t aliascode[] = { 0x58, 0x20, 0x70, 0x00, 0x50, 0x10, 0x60, 0x00,
					     0x07, 0xf7 };
	uint64_t r1 = 0x3333333333333333ULL, r6, r7 = 2 * MIB + 0x800;
	if (!strcmp(what, "rostore")) {
		code = rostore, len = sizeof(rostore), r6 = MIB + 4096;
	} else if (!strcmp(what, "straddle")) {
		code = straddle, len = sizeof(straddle), r6 = MIB + 4096 - 4;
	} else if (!strcmp(what, "alias")) {
		code = alias, len = sizeof(alias), r6 = MIB + 0x800;
	} else if (!strcmp(what, "noneload")) {
		code = alias, len = 4, r6 = 0, r7 = MIB + 4096;
	} else if (!strcmp(what, "aliascode")) {
		code = aliascode, len = sizeof(aliascode), r6 = MIB + 0x800, r1 = 0x83000044;
	} else {
		return 2;
	}
	int vcpu;
	struct kvm_run *run = vcpu_with_run(&vcpu);
	uint64_t base = user_memory(2 * MIB);
	uint8_t *mem = (uint8_t *)(uintptr_t)base;
	uint8_t *data = mem + MIB;
	if (map(vcpu, KVM_S390_UCAS_MAP, base, 0, MIB) ||
	    map(vcpu, KVM_S390_UCAS_MAP, base + MIB, MIB, MIB) ||
	    map(vcpu, KVM_S390_UCAS_MAP, base + MIB, 2 * MIB, MIB))
		die("KVM_S390_UCAS_MAP");
	ioctl(vcpu, KVM_S390_VCPU_FAULT, 0UL);
	memcpy(mem + 0x10000, code, len);
	memset(data, 0x11, 4096);
	memset(data + 4096, 0x22, 4096);
	int none = !strcmp(what, "noneload");
	if (mprotect(data + 4096, 4096, none ? PROT_NONE : PROT_READ))
		die("mprotect");
	run->psw_mask = 0x0000000180000000ULL;
	run->psw_addr = 0x10000;
	uint64_t *gprs = (uint64_t *)(run->s.padding + 8);
	gprs[1] = r1;
	gprs[6] = r6;
	gprs[7] = r7;
	run->kvm_dirty_regs |= 1ULL << 1;
	show("run", ioctl(vcpu, KVM_RUN, 0));
	if (none && mprotect(data + 4096, 4096, PROT_READ))
		die("mprotect");
	printf("exit_reason=%u\n", run->exit_reason);
	if (run->exit_reason == KVM_EXIT_S390_UCONTROL)
		printf("trans_exc_code=%#llx\n", (unsigned long long)run->s390_ucontrol.trans_exc_code);
	if (run->exit_reason == KVM_EXIT_S390_SIEIC)
		printf("ipa=%#x\n", run->s390_sieic.ipa);
	printf("psw_addr=%#llx\n", (unsigned long long)run->psw_addr);
	printf("r2=%#llx\nr3=%#llx\n", (unsigned long long)gprs[2], (unsigned long long)gprs[3]);
	printf("data_0x800=%02x%02x%02x%02x\n", data[0x800], data[0x801], data[0x802], data[0x803]);
	printf("data_0xffc=%02x%02x%02x%02x\n", data[4092], data[4093], data[4094], data[4095]);
	printf("data_0x1000=%02x%02x%02x%02x\n", data[4096], data[4097], data[4098], data[4099]);
	return 0;
}

/* `attrstore`: KVM_GET_DEVICE_ATTR stores the memory limit where the
 * caller says: into a writable page, into a read-only one (nothing may
 * change: put_user fails), and across from the first into the second. */
static int attrstore(void)
{
	int kvm = open_kvm();
	int vm;
	new_vcpu(kvm, &vm);
	uint8_t *two = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (two == MAP_FAILED)
		die("mmap");
	memset(two, 0x11, 8192);
	if (mprotect(two + 4096, 4096, PROT_READ))
		die("mprotect");
	struct kvm_device_attr attr = { .group = 0, .attr = 2 };
	attr.addr = (uintptr_t)two;
	show("get_writable", ioctl(vm, KVM_GET_DEVICE_ATTR, &attr));
	attr.addr = (uintptr_t)(two + 4096);
	show("get_readonly", ioctl(vm, KVM_GET_DEVICE_ATTR, &attr));
	attr.addr = (uintptr_t)(two + 4096 - 4);
	show("get_straddling", ioctl(vm, KVM_GET_DEVICE_ATTR, &attr));
	printf("at_0=%02x%02x%02x%02x\n", two[0], two[1], two[2], two[3]);
	printf("at_0xffc=%02x%02x%02x%02x\n", two[4092], two[4093], two[4094], two[4095]);
	printf("at_0x1000=%02x%02x%02x%02x\n", two[4096], two[4097], two[4098], two[4099]);
	return 0;
}

/* `killrun`: the main thread runs a guest that only counts (brct on
 * itself, no memory access after the first fetch) in KVM_RUN after
 * KVM_RUN; another thread kills the process with SIGKILL during the second
 * run. The trace then tells how long that run went on. */
static atomic_int kill_rounds;
static double kill_first_run;
static double now(void);

static void *kill_later(void *arg)
{
	(void)arg;
	while (atomic_load(&kill_rounds) < 1)
		usleep(100);
	/* A third into the second run, which lasts as long as the first: far
	 * from its end, whatever the interpreter's speed. */
	usleep((useconds_t)(kill_first_run / 3 * 1e6));
	kill(getpid(), SIGKILL);
	return NULL;
}

/* A vcpu with 1 MiB mapped at 0 and `code` at 0x10000 under its PSW
 * (64-bit supervisor state); returns its mapped kvm_run. */
static struct kvm_run *looping_vcpu(int *vcpu_out, const uint8_t *code, size_t len)
{
	int vcpu;
	struct kvm_run *run = vcpu_with_run(&vcpu);
	uint64_t base = user_memory(MIB);
	uint8_t *mem = (uint8_t *)(uintptr_t)base;
	if (map(vcpu, KVM_S390_UCAS_MAP, base, 0, MIB))
		die("KVM_S390_UCAS_MAP");
	ioctl(vcpu, KVM_S390_VCPU_FAULT, 0UL);
	memcpy(mem + 0x10000, code, len);
	run->psw_mask = 0x0000000180000000ULL;
	run->psw_addr = 0x10000;
	*vcpu_out = vcpu;
	return run;
}

/* A signal for a thread in KVM_RUN ends the run with EINTR and
 * KVM_EXIT_INTR, as the kernel's signal_pending() check does; a budget end
 * comes after exactly 500,000 rounds of the two-instruction loop, a
 * signal's before (unless it lands in the last slice). */
static atomic_int sig_seen;
static atomic_int sig_target_ready;
static pid_t sig_target;

static void on_usr1(int sig)
{
	(void)sig;
	atomic_fetch_add(&sig_seen, 1);
}

static void *signal_later(void *arg)
{
	pthread_t target = *(pthread_t *)arg;
	while (!atomic_load(&sig_target_ready))
		usleep(100);
	for (int i = 0; i < 5; i++) {
		while (!in_syscall(sig_target, SYS_ioctl))
			usleep(100);
		usleep(1000 + 1500 * i);
		int before = atomic_load(&sig_seen);
		pthread_kill(target, SIGUSR1);
		while (atomic_load(&sig_seen) == before)
			usleep(100);
	}
	return NULL;
}

static int sigrun(void)
{
	int vcpu;
	/* aghi %r1,1; j .-4 */
	static const uint8_t loop[] = { 0xa7, 0x1b, 0x00, 0x01, 0xa7, 0xf4, 0xff, 0xfe };
	struct kvm_run *run = looping_vcpu(&vcpu, loop, sizeof(loop));
	struct sigaction sa = { 0 };
	sa.sa_handler = on_usr1;
	sigaction(SIGUSR1, &sa, NULL);
	sig_target = (pid_t)syscall(SYS_gettid);
	pthread_t self = pthread_self(), t;
	if (pthread_create(&t, NULL, signal_later, &self))
		die("pthread_create");
	atomic_store(&sig_target_ready, 1);
	int signalled = 0, short_runs = 0, intr_exits = 0, other = 0;
	for (int i = 0; i < 10000 && signalled < 5; i++) {
		/* The s390 sync regs: prefix, then gprs[16] (this file may be built
		 * against another architecture's <asm/kvm.h>). */
		volatile uint64_t *gprs = (volatile uint64_t *)&run->s + 1;
		uint64_t r1 = gprs[1];
		int seen = atomic_load(&sig_seen);
		long r = ioctl(vcpu, KVM_RUN, 0);
		if (r == 0 || errno != EINTR) {
			other++;
			break;
		}
		if (atomic_load(&sig_seen) == seen)
			continue;
		signalled++;
		if (gprs[1] - r1 < 500000)
			short_runs++;
		if (run->exit_reason == KVM_EXIT_INTR)
			intr_exits++;
	}
	pthread_join(t, NULL);
	printf("signalled=%d\nshort=%d\nexit_intr=%d\nother=%d\n", signalled, short_runs,
	       intr_exits, other);
	return 0;
}

static int killrun(void)
{
	int vcpu;
	/* brct %r2,. with r2 = 0: four billion rounds. */
	static const uint8_t loop[] = { 0xa7, 0x26, 0x00, 0x00 };
	looping_vcpu(&vcpu, loop, sizeof(loop));
	pthread_t t;
	if (pthread_create(&t, NULL, kill_later, NULL))
		die("pthread_create");
	for (;;) {
		double t0 = now();
		long r = ioctl(vcpu, KVM_RUN, 0);
		if (r == 0 || errno != EINTR)
			die("KVM_RUN did not run out of budget");
		if (!atomic_load(&kill_rounds))
			kill_first_run = now() - t0;
		atomic_fetch_add(&kill_rounds, 1);
	}
	return 0;
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}



/* One thread blocks in an emulated call on its own memory: a userfaultfd
 * page nobody has filled yet, under a UCAS_MAP argument (part "arg") or
 * under the code a vcpu's KVM_RUN executes (part "run"). Once the fault
 * reaches the userfaultfd (the reader is inside the read), the main thread
 * makes calls the kernel serves meanwhile (the kvm fd, another vcpu; its
 * locks are per object), then fills the page. A call that waits for the
 * blocked one never returns: the alarm ends the program. */
static int stall_uffd;
static int stall_vcpu;
static long stall_ret;
static int stall_errno;
static struct kvm_run *stall_run;

static void *stall_map(void *arg)
{
	stall_ret = ioctl(stall_vcpu, KVM_S390_UCAS_MAP, arg);
	stall_errno = errno;
	return NULL;
}

static void *stall_vcpu_fault(void *arg)
{
	stall_ret = ioctl(stall_vcpu, KVM_S390_VCPU_FAULT, (unsigned long)(uintptr_t)arg);
	stall_errno = errno;
	return NULL;
}

/* From the s390 <asm/kvm.h>; this probe is built with the host's. */
#ifndef KVM_REG_S390_CPU_TIMER
#define KVM_REG_S390_CPU_TIMER (KVM_REG_S390 | KVM_REG_SIZE_U64 | 0x3)
#endif

static unsigned long stall_request;

static void *stall_one_reg(void *arg)
{
	stall_ret = ioctl(stall_vcpu, stall_request, arg);
	stall_errno = errno;
	return NULL;
}

static void *stall_kvm_run(void *arg)
{
	(void)arg;
	stall_ret = ioctl(stall_vcpu, KVM_RUN, 0);
	stall_errno = errno;
	return NULL;
}

/* Opens stall_uffd and prints uffd=0, or uffd=-1/ERRNO and returns 0
 * where userfaultfd is not allowed. */
static int open_uffd(void)
{
	stall_uffd = (int)syscall(SYS_userfaultfd, O_CLOEXEC);
	if (stall_uffd < 0) {
		show("uffd", -1);
		return 0;
	}
	struct uffdio_api api = { .api = UFFD_API };
	if (ioctl(stall_uffd, UFFDIO_API, &api))
		die("UFFDIO_API");
	show("uffd", 0);
	return 1;
}

/* A 4 KiB page at `page`, registered for missing faults with stall_uffd;
 * 0 if userfaultfd is not available (printed as uffd=...). */
static int stall_register(void *page)
{
	struct uffdio_register reg = {
		.range = { .start = (uint64_t)(uintptr_t)page, .len = 4096 },
		.mode = UFFDIO_REGISTER_MODE_MISSING,
	};
	if (ioctl(stall_uffd, UFFDIO_REGISTER, &reg))
		die("UFFDIO_REGISTER");
	return 1;
}

/* Waits (10 s at most) for the fault at `page`; 1 if it came. */
static int stall_fault_at(void *page)
{
	struct pollfd p = { .fd = stall_uffd, .events = POLLIN };
	if (poll(&p, 1, 10000) != 1)
		return 0;
	struct uffd_msg msg;
	if (read(stall_uffd, &msg, sizeof(msg)) != sizeof(msg))
		return 0;
	return msg.event == UFFD_EVENT_PAGEFAULT &&
	       (msg.arg.pagefault.address & ~4095ULL) == (uint64_t)(uintptr_t)page;
}

static void stall_fill(void *page, const void *with)
{
	struct uffdio_copy copy = {
		.dst = (uint64_t)(uintptr_t)page,
		.src = (uint64_t)(uintptr_t)with,
		.len = 4096,
	};
	if (ioctl(stall_uffd, UFFDIO_COPY, &copy))
		die("UFFDIO_COPY");
}

/* Starts thread `t` in KVM_RUN of stall_vcpu (segment 0 mapped to `base`)
 * with its code at 0x10000 on a userfaultfd page nobody has filled: the
 * run is held up until stall_fill. Prints run_fault=1 once the read of the
 * code has reached the userfaultfd. Returns the code page. */
static void *held_run(int kvm, uint64_t base, pthread_t *t)
{
	int size = (int)ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	stall_run = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, stall_vcpu, 0);
	if (stall_run == MAP_FAILED)
		die("mmap kvm_run");
	/* The prefix pages first. */
	memset((void *)(uintptr_t)base, 0, 0x2000);
	ioctl(stall_vcpu, KVM_S390_VCPU_FAULT, 0UL);
	void *code = (void *)(uintptr_t)(base + 0x10000);
	if (munmap(code, 4096) ||
	    mmap(code, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) != code)
		die("remap the code page");
	stall_register(code);
	stall_run->psw_mask = 0x0000000180000000ULL;
	stall_run->psw_addr = 0x10000;
	if (pthread_create(t, NULL, stall_kvm_run, NULL))
		die("pthread_create");
	printf("run_fault=%d\n", stall_fault_at(code));
	return code;
}

/* The calls made while the other thread is blocked. */
static void stall_others(const char *part, int kvm, int other_vcpu, uint64_t base)
{
	char key[64];
	snprintf(key, sizeof(key), "%s_check_extension", part);
	show(key, ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_S390_UCONTROL));
	snprintf(key, sizeof(key), "%s_other_map", part);
	show(key, map(other_vcpu, KVM_S390_UCAS_MAP, base, 0, MIB));
	snprintf(key, sizeof(key), "%s_other_unmap", part);
	show(key, map(other_vcpu, KVM_S390_UCAS_UNMAP, 0, 0, MIB));
}

static int stall(void)
{
	if (!open_uffd())
		return 0;
	alarm(20);
	int kvm = open_kvm();
	int vm;
	int vcpu = new_vcpu(kvm, &vm);
	int other = ioctl(vm, KVM_CREATE_VCPU, 1UL);
	if (other < 0)
		die("KVM_CREATE_VCPU 1");
	uint64_t base = user_memory(MIB);
	uint8_t *fill = aligned_alloc(4096, 4096);
	memset(fill, 0, 4096);
	pthread_t t;

	/* Part 1: the UCAS_MAP argument. */
	uint8_t *arg = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (arg == MAP_FAILED)
		die("mmap");
	stall_register(arg);
	stall_vcpu = vcpu;
	if (pthread_create(&t, NULL, stall_map, arg))
		die("pthread_create");
	printf("arg_fault=%d\n", stall_fault_at(arg));
	fflush(stdout);
	stall_others("arg", kvm, other, base);
	struct kvm_s390_ucas_mapping m = { .user_addr = base, .vcpu_addr = 0, .length = MIB };
	memcpy(fill, &m, sizeof(m));
	stall_fill(arg, fill);
	pthread_join(t, NULL);
	errno = stall_errno;
	show("arg_map", stall_ret);

	/* Part 2: the code a run executes, on vcpu 0 (segment 0 is mapped to
	 * base by part 1). */
	void *code = held_run(kvm, base, &t);
	fflush(stdout);
	stall_others("run", kvm, other, base);
	/* j . : the run then ends with its budget. */
	static const uint8_t loop[] = { 0xa7, 0xf4, 0x00, 0x00 };
	memset(fill, 0, 4096);
	memcpy(fill, loop, sizeof(loop));
	stall_fill(code, fill);
	pthread_join(t, NULL);
	errno = stall_errno;
	show("run", stall_ret);

	/* Part 3: the page a VCPU_FAULT faults in (vcpu 0's segment 2, mapped
	 * to a fresh megabyte whose fourth page nobody has touched). */
	uint64_t seg = user_memory(MIB);
	void *target = (void *)(uintptr_t)(seg + 0x3000);
	if (munmap(target, 4096) ||
	    mmap(target, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) != target)
		die("remap the target page");
	stall_register(target);
	show("fault_map", map(vcpu, KVM_S390_UCAS_MAP, seg, 2 * MIB, MIB));
	if (pthread_create(&t, NULL, stall_vcpu_fault, (void *)(uintptr_t)(2 * MIB + 0x3000)))
		die("pthread_create");
	printf("fault_fault=%d\n", stall_fault_at(target));
	fflush(stdout);
	stall_others("fault", kvm, other, base);
	memset(fill, 0, 4096);
	stall_fill(target, fill);
	pthread_join(t, NULL);
	errno = stall_errno;
	show("fault", stall_ret);

	/* Parts 4 and 5: the value KVM_SET_ONE_REG reads and the one
	 * KVM_GET_ONE_REG writes, on a page nobody has filled (the struct
	 * itself on ordinary memory). */
	static const struct {
		const char *part;
		unsigned long request;
	} one[] = { { "oneset", KVM_SET_ONE_REG }, { "oneget", KVM_GET_ONE_REG } };
	for (size_t i = 0; i < sizeof(one) / sizeof(one[0]); i++) {
		uint64_t *value = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
				       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (value == MAP_FAILED)
			die("mmap");
		stall_register(value);
		static struct kvm_one_reg reg;
		reg.id = KVM_REG_S390_CPU_TIMER;
		reg.addr = (uint64_t)(uintptr_t)value;
		stall_request = one[i].request;
		if (pthread_create(&t, NULL, stall_one_reg, &reg))
			die("pthread_create");
		char key[64];
		snprintf(key, sizeof(key), "%s_fault", one[i].part);
		printf("%s=%d\n", key, stall_fault_at(value));
		fflush(stdout);
		stall_others(one[i].part, kvm, other, base);
		memset(fill, 0, 4096);
		/* Set: the timer; get: a value the answer must overwrite. */
		uint64_t timer = i == 0 ? 0x1234 : 0xdead;
		memcpy(fill, &timer, sizeof(timer));
		stall_fill(value, fill);
		pthread_join(t, NULL);
		errno = stall_errno;
		show(one[i].part, stall_ret);
		snprintf(key, sizeof(key), "%s_value", one[i].part);
		printf("%s=%#llx\n", key, (unsigned long long)*value);
	}
	return 0;
}
/* `queuedmap`: a UCAS_MAP queued behind another thread's KVM_RUN of the
 * same vcpu, with that run held up as long as the probe wants (its code on
 * a userfaultfd page nobody has filled). Once the map has waited 300 ms
 * (long received by the supervisor on any machine), SIGUSR1 (a handler
 * without SA_RESTART) reaches its thread three times, 100 ms apart; then
 * the page is filled. The kernel waits for the vcpu mutex killably: the
 * map finishes after the run, with 0, never EINTR. */
static long queued_ret;
static int queued_errno;
static pid_t queued_tid;

static void *queued_map(void *arg)
{
	queued_tid = (pid_t)syscall(SYS_gettid);
	queued_ret = map(stall_vcpu, KVM_S390_UCAS_MAP, *(uint64_t *)arg, 16 * MIB, MIB);
	queued_errno = errno;
	return NULL;
}

static int queuedmap(void)
{
	if (!open_uffd())
		return 0;
	alarm(30);
	struct sigaction sa = { 0 };
	sa.sa_handler = on_usr1;
	sigaction(SIGUSR1, &sa, NULL);
	int kvm = open_kvm();
	stall_vcpu = new_vcpu(kvm, NULL);
	uint64_t base = user_memory(MIB);
	if (map(stall_vcpu, KVM_S390_UCAS_MAP, base, 0, MIB))
		die("UCAS_MAP");
	pthread_t run, mapper;
	void *code = held_run(kvm, base, &run);
	uint64_t other = user_memory(MIB);
	if (pthread_create(&mapper, NULL, queued_map, &other))
		die("pthread_create");
	while (!queued_tid || !in_syscall(queued_tid, SYS_ioctl))
		usleep(1000);
	usleep(300000);
	int sent = 0;
	for (int i = 0; i < 3; i++) {
		if (!in_syscall(queued_tid, SYS_ioctl))
			break;
		pthread_kill(mapper, SIGUSR1);
		sent++;
		usleep(100000);
	}
	/* j . : the run then ends with its budget, and the map goes. */
	static const uint8_t loop[] = { 0xa7, 0xf4, 0x00, 0x00 };
	uint8_t *fill = aligned_alloc(4096, 4096);
	memset(fill, 0, 4096);
	memcpy(fill, loop, sizeof(loop));
	stall_fill(code, fill);
	pthread_join(run, NULL);
	pthread_join(mapper, NULL);
	errno = stall_errno;
	show("run", stall_ret);
	errno = queued_errno;
	show("map", queued_ret);
	printf("signals=%d\nhandled=%d\n", sent, atomic_load(&sig_seen) > 0);
	return 0;
}

/* KVM_IRQFD and KVM_IOEVENTFD, each check the kernel makes in its order,
 * on ucontrol VMs (neither ioctl has a ucontrol check). */
static long irqfd(int vm, unsigned fd, unsigned gsi, unsigned flags, unsigned resamplefd)
{
	struct kvm_irqfd a = { .fd = fd, .gsi = gsi, .flags = flags, .resamplefd = resamplefd };
	return ioctl(vm, KVM_IRQFD, &a);
}

static long ioeventfd(int vm, int fd, uint64_t addr, unsigned len, unsigned flags, uint64_t datamatch)
{
	struct kvm_ioeventfd a = {
		.datamatch = datamatch, .addr = addr, .len = len, .fd = fd, .flags = flags,
	};
	return ioctl(vm, KVM_IOEVENTFD, &a);
}

static int eventfds(void)
{
	int kvm = open_kvm();
	int vm = ioctl(kvm, KVM_CREATE_VM, KVM_VM_S390_UCONTROL);
	int vm2 = ioctl(kvm, KVM_CREATE_VM, KVM_VM_S390_UCONTROL);
	if (vm < 0 || vm2 < 0)
		die("KVM_CREATE_VM");
	int e1 = eventfd(0, EFD_CLOEXEC), e2 = eventfd(0, EFD_CLOEXEC);
	int file = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (e1 < 0 || e2 < 0 || file < 0)
		die("eventfd");
	const unsigned closed = 1000, deassign = KVM_IRQFD_FLAG_DEASSIGN, resample = KVM_IRQFD_FLAG_RESAMPLE;
	show("irqfd_bad_flags", irqfd(vm, closed, 0, 4, 0));
	show("irqfd_closed", irqfd(vm, closed, 0, 0, 0));
	show("irqfd_not_eventfd", irqfd(vm, file, 0, 0, 0));
	show("irqfd_bad_resample", irqfd(vm, e1, 0, resample, closed));
	show("irqfd", irqfd(vm, e1, 0, 0, 0));
	show("irqfd_again", irqfd(vm, e1, 1, 0, 0));
	show("irqfd_again_bad_resample", irqfd(vm, e1, 1, resample, closed));
	show("irqfd_other_vm", irqfd(vm2, e1, 0, 0, 0));
	show("irqfd_detach_other_gsi", irqfd(vm, e1, 5, deassign, 0));
	show("irqfd_still", irqfd(vm, e1, 2, 0, 0));
	show("irqfd_detach", irqfd(vm, e1, 0, deassign | resample, closed));
	show("irqfd_after_detach", irqfd(vm, e1, 2, 0, 0));
	show("irqfd_detach_closed", irqfd(vm, closed, 0, deassign, 0));
	show("irqfd_detach_not_eventfd", irqfd(vm, file, 0, deassign, 0));
	/* Closed while attached: a new eventfd is another one. */
	show("irqfd_e2", irqfd(vm, e2, 7, resample, e1));
	close(e2);
	int e3 = eventfd(0, EFD_CLOEXEC);
	show("irqfd_new_eventfd", irqfd(vm, e3, 7, 0, 0));

	const unsigned dm = KVM_IOEVENTFD_FLAG_DATAMATCH, ccw = KVM_IOEVENTFD_FLAG_VIRTIO_CCW_NOTIFY,
		       pio = KVM_IOEVENTFD_FLAG_PIO, de = KVM_IOEVENTFD_FLAG_DEASSIGN;
	show("io_bad_len", ioeventfd(vm, closed, 0, 3, 0, 0));
	show("io_wraps", ioeventfd(vm, closed, ~0ULL, 2, 0, 0));
	show("io_bad_flags", ioeventfd(vm, closed, 0, 8, 0x20, 0));
	show("io_len0_datamatch", ioeventfd(vm, closed, 0, 0, dm, 0));
	show("io_closed", ioeventfd(vm, closed, 0, 8, 0x10, 0));
	show("io_not_eventfd", ioeventfd(vm, file, 0, 8, 0, 0));
	show("io_dm1", ioeventfd(vm, e1, 0x40, 8, ccw | dm, 1));
	show("io_dm2", ioeventfd(vm, e1, 0x40, 8, ccw | dm, 2));
	show("io_wildcard", ioeventfd(vm, e3, 0x40, 8, ccw, 0));
	show("io_len0", ioeventfd(vm, e3, 0x40, 0, ccw, 0));
	show("io_len4", ioeventfd(vm, e3, 0x40, 4, ccw, 0));
	show("io_pio", ioeventfd(vm, e3, 0x40, 0, pio | ccw, 0));
	show("io_mmio", ioeventfd(vm, e3, 0x40, 8, 0, 0));
	show("io_fast_mmio_bit", ioeventfd(vm, e3, 0x80, 8, ccw | 0x10, 0));
	show("io_other_vm", ioeventfd(vm2, e1, 0x40, 8, ccw, 0));
	show("io_detach_other_eventfd", ioeventfd(vm, e3, 0x40, 8, ccw | dm | de, 1));
	show("io_detach_unchecked", ioeventfd(vm, e1, 0x40, 3, de | 0x100, 1));
	show("io_detach_closed", ioeventfd(vm, closed, 0x40, 8, ccw | dm | de, 1));
	show("io_detach", ioeventfd(vm, e1, 0x40, 8, ccw | dm | de, 1));
	show("io_detach_again", ioeventfd(vm, e1, 0x40, 8, ccw | dm | de, 1));
	return 0;
}

/* What releases after 7.0 added (newer than some supported headers, so
 * the numbers are spelt out where the header lacks them). */
#ifndef KVM_CAP_S390_VSIE_ESAMODE
#define KVM_CAP_S390_VSIE_ESAMODE 248
#endif
#ifndef KVM_CAP_PRE_FAULT_MEMORY
#define KVM_CAP_PRE_FAULT_MEMORY 236
struct kvm_pre_fault_memory {
	__u64 gpa;
	__u64 size;
	__u64 flags;
	__u64 padding[5];
};
#define KVM_PRE_FAULT_MEMORY _IOWR(KVMIO, 0xd5, struct kvm_pre_fault_memory)
#endif
#ifndef KVM_CAP_S390_HPAGE_2G
#define KVM_CAP_S390_HPAGE_2G 249
#endif
#ifndef KVM_S390_KEYOP
struct kvm_s390_keyop {
	__u64 guest_addr;
	__u8 key;
	__u8 operation;
	__u8 pad[6];
};
#define KVM_S390_KEYOP_ISKE 1
#define KVM_S390_KEYOP_RRBE 2
#define KVM_S390_KEYOP_SSKE 3
#define KVM_S390_KEYOP _IOWR(KVMIO, 0x53, struct kvm_s390_keyop)
#endif

/* Storage keys of a regular VM with one 1 MiB slot at guest address 0,
 * for frames in it and past it, and KEYOP past it (its key printed). */
static void keys_past_the_slot(int kvm)
{
	int vm = ioctl(kvm, KVM_CREATE_VM, 0UL);
	if (vm < 0)
		die("KVM_CREATE_VM(0)");
	struct kvm_userspace_memory_region slot = {
		.memory_size = MIB,
		.userspace_addr = user_memory(MIB),
	};
	if (ioctl(vm, KVM_SET_USER_MEMORY_REGION, &slot))
		die("KVM_SET_USER_MEMORY_REGION");
	uint8_t keys[2] = { 0x30, 0x30 };
	struct kvm_s390_skeys in = { .start_gfn = 255, .count = 1, .skeydata_addr = (uintptr_t)keys };
	show("skeys_in_slot", ioctl(vm, KVM_S390_SET_SKEYS, &in));
	struct kvm_s390_skeys past = { .start_gfn = 255, .count = 2, .skeydata_addr = (uintptr_t)keys };
	show("set_skeys_past", ioctl(vm, KVM_S390_SET_SKEYS, &past));
	keys[0] = keys[1] = 0xee;
	show("get_skeys_past", ioctl(vm, KVM_S390_GET_SKEYS, &past));
	printf("get_skeys_past_copied=%#x\n", keys[0]);
	struct kvm_s390_keyop op = { .guest_addr = MIB, .key = 0x40, .operation = KVM_S390_KEYOP_ISKE };
	show("iske_past", ioctl(vm, KVM_S390_KEYOP, &op));
	printf("iske_past_key=%#x\n", op.key);
	op = (struct kvm_s390_keyop){ .guest_addr = MIB, .key = 0x40, .operation = KVM_S390_KEYOP_SSKE };
	show("sske_past", ioctl(vm, KVM_S390_KEYOP, &op));
	printf("sske_past_key=%#x\n", op.key);
	close(vm);
}

static int release(void)
{
	int kvm = open_kvm();
	int vm;
	int vcpu = new_vcpu(kvm, &vm);
	show("kvm_esamode", ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_S390_VSIE_ESAMODE));
	show("vm_esamode", ioctl(vm, KVM_CHECK_EXTENSION, KVM_CAP_S390_VSIE_ESAMODE));
	show("kvm_prefault", ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_PRE_FAULT_MEMORY));
	show("vm_prefault", ioctl(vm, KVM_CHECK_EXTENSION, KVM_CAP_PRE_FAULT_MEMORY));
	struct kvm_enable_cap cap = { .cap = KVM_CAP_S390_VSIE_ESAMODE };
	show("enable_esamode", ioctl(vm, KVM_ENABLE_CAP, &cap));
	struct kvm_pre_fault_memory range = { .gpa = 0, .size = 4096 };
	show("prefault", ioctl(vcpu, KVM_PRE_FAULT_MEMORY, &range));
	printf("prefault_left=%llu\n", (unsigned long long)range.size);
	show("kvm_hpage_2g", ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_S390_HPAGE_2G));
	show("vm_hpage_2g", ioctl(vm, KVM_CHECK_EXTENSION, KVM_CAP_S390_HPAGE_2G));
	cap = (struct kvm_enable_cap){ .cap = KVM_CAP_S390_HPAGE_2G };
	show("enable_hpage_2g_with_vcpu", ioctl(vm, KVM_ENABLE_CAP, &cap));
	int bare = ioctl(kvm, KVM_CREATE_VM, KVM_VM_S390_UCONTROL);
	show("enable_hpage_2g", ioctl(bare, KVM_ENABLE_CAP, &cap));
	keys_past_the_slot(kvm);
	return 0;
}

static int bench(const char *what, long n)
{
	int kvm = open_kvm();
	if (!strcmp(what, "bench-ext")) {
		double t0 = now();
		for (long i = 0; i < n; i++)
			if (ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_S390_UCONTROL) != 1)
				die("KVM_CHECK_EXTENSION");
		double t = now() - t0;
		printf("calls=%ld seconds=%.3f us_per_call=%.2f\n", n, t, t / n * 1e6);
		return 0;
	}
	int vcpu = new_vcpu(kvm, NULL);
	uint64_t base = user_memory(MIB);
	double t0 = now();
	for (long i = 0; i < n; i++) {
		uint64_t v = (uint64_t)(i & 1023) << 20;
		if (map(vcpu, KVM_S390_UCAS_MAP, base, v, MIB) || map(vcpu, KVM_S390_UCAS_UNMAP, 0, v, MIB))
			die("map/unmap");
	}
	double t = now() - t0;
	printf("calls=%ld seconds=%.3f us_per_call=%.2f\n", 2 * n, t, t / (2 * n) * 1e6);
	return 0;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	const char *cmd = argc > 1 ? argv[1] : "";
	if (!strcmp(cmd, "passthrough"))
		return passthrough(argc > 2 ? argv[2] : NULL);
	if (!strcmp(cmd, "exit") && argc > 2)
		return atoi(argv[2]);
	if (!strcmp(cmd, "signal") && argc > 2) {
		signal(atoi(argv[2]), SIG_DFL);
		raise(atoi(argv[2]));
		return 98;
	}
	if (!strcmp(cmd, "efault"))
		return efault();
	if (!strcmp(cmd, "fds"))
		return fds();
	if (!strcmp(cmd, "family"))
		return family();
	if (!strcmp(cmd, "paths"))
		return paths();
	if (!strcmp(cmd, "pathrules") && argc > 2)
		return pathrules(argv[2]);
	if (!strcmp(cmd, "fdlimit"))
		return fdlimit();
	if (!strcmp(cmd, "starve-parent"))
		return starve_parent();
	if (!strcmp(cmd, "noadmin"))
		return noadmin();
	if (!strcmp(cmd, "enomem"))
		return enomem();
	if (!strcmp(cmd, "efault-more"))
		return efault_more();
	if (!strcmp(cmd, "killmid") && argc > 2)
		return killmid(atol(argv[2]));
	if (!strcmp(cmd, "killself"))
		return killself();
	if (!strcmp(cmd, "fdnumbers"))
		return fdnumbers();
	if (!strcmp(cmd, "fdrace"))
		return fdrace();
	if (!strcmp(cmd, "lifetime"))
		return lifetime();
	if (!strcmp(cmd, "cycles") && argc > 2)
		return cycles(atol(argv[2]));
	if (!strcmp(cmd, "sigrun"))
		return sigrun();
	if (!strcmp(cmd, "queuedmap"))
		return queuedmap();
	if (!strcmp(cmd, "floor"))
		return floor_calls();
	if (!strcmp(cmd, "hoard") && argc > 2)
		return hoard(atol(argv[2]));
	if (!strcmp(cmd, "vmclosed"))
		return vmclosed();
	if (!strcmp(cmd, "truncate"))
		return truncate_vcpu();
	if (!strcmp(cmd, "killrun"))
		return killrun();
	if (!strcmp(cmd, "attrstore"))
		return attrstore();
	if (!strcmp(cmd, "guestmem") && argc > 2)
		return guestmem(argv[2]);
	if (!strcmp(cmd, "execrace") && argc > 3)
		return execrace(argv[2], strtoull(argv[3], NULL, 0));
	if (!strcmp(cmd, "stall"))
		return stall();
	if (!strcmp(cmd, "eventfds"))
		return eventfds();
	if (!strcmp(cmd, "release"))
		return release();
	if (!strncmp(cmd, "bench-", 6) && argc > 2)
		return bench(cmd, atol(argv[2]));
	fprintf(stderr, "usage: see the comment at the top of ucas_probe.c\n");
	return 2;
}
