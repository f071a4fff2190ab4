/*
 * start.c: what a `ucas run` guest needs around its main():
 *
 * - _start: sets up a 64 KiB stack of its own (r15, with the 160-byte
 *   register save area the s390x ABI reserves), clears .bss, points the
 *   program-new PSW (lowcore 0x1D0) at a handler, calls main() and exits
 *   with its return value.
 * - the two hypercalls of ucas_guest.h (DIAGNOSE 0x500);
 * - memcpy, memset, memmove, memcmp, which gcc may call on its own;
 * - the program-interruption handler: it reports the interruption code,
 *   the instruction length and the old PSW the machine stored (ILC at
 *   0x8C-0x8D, code at 0x8E, program old PSW at 0x150) on stderr and exits
 *   with status 119.
 */
#include "ucas_guest.h"

typedef unsigned long size_t;

/* The program-interruption handler runs with this PSW: 64-bit addressing,
 * DAT off, interruptions disabled, supervisor state. */
#define PSW_MASK_64 0x0000000180000000UL

/* Exit status of a guest stopped by a program interruption. */
#define PROGRAM_CHECK_STATUS 119

int main(void);

long ucas_guest_write(int fd, const void *buf, unsigned long len)
{
	register unsigned long r1 __asm__("1") = UCAS_HC_WRITE;
	register long r2 __asm__("2") = fd;
	register const void *r3 __asm__("3") = buf;
	register unsigned long r4 __asm__("4") = len;
	__asm__ volatile("diag 2,4,0x500"
			 : "+d"(r2)
			 : "d"(r1), "d"(r3), "d"(r4)
			 : "memory", "cc");
	return r2;
}

void ucas_guest_exit(int status)
{
	register unsigned long r1 __asm__("1") = UCAS_HC_EXIT;
	register long r2 __asm__("2") = status;
	for (;;)
		__asm__ volatile("diag 2,2,0x500" : : "d"(r1), "d"(r2) : "memory");
}

void *memcpy(void *dst, const void *src, size_t n)
{
	unsigned char *d = dst;
	const unsigned char *s = src;
	while (n--)
		*d++ = *s++;
	return dst;
}

void *memmove(void *dst, const void *src, size_t n)
{
	unsigned char *d = dst;
	const unsigned char *s = src;
	if (d < s) {
		while (n--)
			*d++ = *s++;
	} else {
		while (n--)
			d[n] = s[n];
	}
	return dst;
}

void *memset(void *dst, int c, size_t n)
{
	unsigned char *d = dst;
	while (n--)
		*d++ = (unsigned char)c;
	return dst;
}

int memcmp(const void *a, const void *b, size_t n)
{
	const unsigned char *x = a, *y = b;
	for (; n; n--, x++, y++)
		if (*x != *y)
			return *x < *y ? -1 : 1;
	return 0;
}

static void put_hex(char *out, unsigned long v, int digits)
{
	for (int i = digits - 1; i >= 0; i--) {
		out[i] = "0123456789abcdef"[v & 15];
		v >>= 4;
	}
}

/* Lowcore fields, at real addresses (prefix 0 for a `ucas run` guest). */
#define LC_PGM_ILC 0x8c
#define LC_PGM_CODE 0x8e
#define LC_PGM_OLD_PSW 0x150
#define LC_PGM_NEW_PSW 0x1d0

/* Called by the handler below on its own stack. */
void __ucas_program_check(void)
{
	volatile unsigned short *ilc = (volatile unsigned short *)LC_PGM_ILC;
	volatile unsigned short *code = (volatile unsigned short *)LC_PGM_CODE;
	volatile unsigned long *old = (volatile unsigned long *)LC_PGM_OLD_PSW;
	/* "program interruption code 0x0001 ilc 2 at 0x0000000000012345\n" */
	char msg[] = "program interruption code 0x____ ilc _ at 0x________________\n";
	put_hex(msg + 28, *code, 4);
	msg[37] = (char)('0' + ((*ilc >> 1) & 7));
	put_hex(msg + 44, old[1], 16);
	ucas_guest_write(2, msg, sizeof msg - 1);
	ucas_guest_exit(PROGRAM_CHECK_STATUS);
}

void __ucas_start_c(void);
void __ucas_start_c(void)
{
	extern char __bss_start[], __bss_end[];
	memset(__bss_start, 0, (size_t)(__bss_end - __bss_start));
	ucas_guest_exit(main());
}

/*
 * The entry point (ENTRY in guest.ld). The stack and the handler's stack
 * are guest.ld's; the program-new PSW is written before anything else can
 * fault. 160 bytes below each stack top is the ABI's register save area.
 */
__asm__(
	".section .text.start,\"ax\",@progbits\n"
	".globl _start\n"
	"_start:\n"
	"	larl	%r15,__stack_top\n"
	"	aghi	%r15,-160\n"
	"	xc	0(8,%r15),0(%r15)\n"
	"	larl	%r1,__ucas_pgm_new_psw\n"
	"	mvc	0x1d0(16,%r0),0(%r1)\n"
	"	brasl	%r14,__ucas_start_c\n"
	"0:	j	0b\n"
	"__ucas_pgm_handler:\n"
	"	larl	%r15,__handler_stack_top\n"
	"	aghi	%r15,-160\n"
	"	xc	0(8,%r15),0(%r15)\n"
	"	brasl	%r14,__ucas_program_check\n"
	"1:	j	1b\n"
	".section .rodata.start,\"a\",@progbits\n"
	".balign 8\n"
	"__ucas_pgm_new_psw:\n"
	"	.quad	0x0000000180000000\n"
	"	.quad	__ucas_pgm_handler\n"
	".previous\n");
