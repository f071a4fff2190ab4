/*
 * The QEMU side of the `guest` benchmark: runs one loop of loops.S as a
 * user-mode s390x process and prints the nanoseconds it took, measured
 * inside the process (so qemu's start-up does not count).
 *
 *   qemu-s390x-static ./qemu_loops NAME N
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

void reg_loop(long n, uint64_t *scratch);
void mem_loop(long n, uint64_t *scratch);
void branch_loop(long n, uint64_t *scratch);

static uint64_t scratch[8192];

int main(int argc, char **argv)
{
	if (argc != 3)
		return 2;
	void (*loop)(long, uint64_t *) = !strcmp(argv[1], "reg") ? reg_loop
		: !strcmp(argv[1], "mem") ? mem_loop
		: !strcmp(argv[1], "branch") ? branch_loop : NULL;
	if (!loop)
		return 2;
	long n = atol(argv[2]);
	struct timespec a, b;
	clock_gettime(CLOCK_MONOTONIC, &a);
	loop(n, scratch);
	clock_gettime(CLOCK_MONOTONIC, &b);
	printf("%lld\n", (long long)(b.tv_sec - a.tv_sec) * 1000000000LL + (b.tv_nsec - a.tv_nsec));
	return 0;
}
