/*
 * exec_victim: what `ucas_probe execrace` execs. Built static (no dynamic
 * loader, whose opens would wait for the busy supervisor), so it runs at
 * once, with its page at the same address every time.
 *
 *   exec_victim where   print the address of its page
 *   exec_victim check   fill the page with a pattern, check for 2 s that
 *                       nothing else writes it; print victim_intact=0|1
 *                       and exit 0 if it stayed intact
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define PATTERN 0xa5

static uint8_t page[4096] __attribute__((aligned(4096)));

int main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "where")) {
		printf("page=%llu\n", (unsigned long long)(uintptr_t)page);
		return 0;
	}
	volatile uint8_t *p = page;
	memset(page, PATTERN, sizeof(page));
	int intact = 1;
	for (int round = 0; round < 200 && intact; round++) {
		usleep(10 * 1000);
		for (size_t i = 0; i < sizeof(page); i++)
			if (p[i] != PATTERN)
				intact = 0;
	}
	printf("victim_first=%02x%02x%02x%02x\n", p[0], p[1], p[2], p[3]);
	printf("victim_intact=%d\n", intact);
	return intact ? 0 : 1;
}
