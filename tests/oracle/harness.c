/*
 * The QEMU side of the differential oracle (tests/tests/emulator_oracle.rs).
 *
 * Built with `s390x-linux-gnu-gcc -static -O2`, run under qemu-s390x-static.
 * Reads test cases from stdin (or the file named by argv[1]), one per line:
 *
 *   r0 r1 ... r15 cc scratch code
 *
 * (registers as hex u64, cc 0-3, scratch as 512 hex digits = 256 bytes,
 * code as hex, at most CODE_MAX bytes). For each case it copies the code
 * to CODE_ADDR followed by `br %r14`, the scratch bytes to SCRATCH_ADDR,
 * sets the condition code with SPM (program mask 0: fixed-point overflow
 * sets CC 3 and never interrupts), loads r0-r13 and runs the code. It
 * then prints one line:
 *
 *   r0 ... r13 cc scratch
 *
 * Convention: the sequence may read and write r0-r13; r14 holds the return
 * address and r15 the stack pointer, and the sequence must not touch them.
 * The caller points r12 at SCRATCH_ADDR and never lets the sequence write
 * it. Code and scratch are at fixed addresses (MAP_FIXED), so the
 * interpreter can put them at the very same addresses and absolute values
 * (LARL, BRAS links, LA of the scratch) compare as they are.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define CODE_ADDR 0x0000001234000000UL
#define SCRATCH_ADDR (CODE_ADDR + 0x1000)
#define SCRATCH_LEN 256
#define CODE_MAX 2048

struct state {
	uint64_t r[16];  /* offset 0 */
	uint32_t cc;     /* offset 128: in: cc << 28; out: IPM result */
	uint32_t pad;
	uint64_t code;   /* offset 136 */
};

/* run_case(struct state *st): r2 = st. */
__asm__(
	".text\n"
	".globl run_case\n"
	".type run_case,@function\n"
	"run_case:\n"
	"	stmg %r6,%r15,48(%r15)\n"
	"	lgr %r1,%r15\n"
	"	aghi %r15,-168\n"
	"	stg %r1,0(%r15)\n"
	"	stg %r2,160(%r15)\n"
	"	l %r1,128(%r2)\n"
	"	spm %r1\n"
	"	lg %r14,136(%r2)\n"
	"	lmg %r0,%r13,0(%r2)\n"
	"	basr %r14,%r14\n"
	"	lg %r14,160(%r15)\n"
	"	stmg %r0,%r13,0(%r14)\n"
	"	ipm %r0\n"
	"	st %r0,128(%r14)\n"
	"	lmg %r6,%r15,168+48(%r15)\n"
	"	br %r14\n"
	".size run_case,.-run_case\n");
void run_case(struct state *st);

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Parses hex bytes from *p up to whitespace; returns the count or -1. */
static int parse_bytes(char **p, uint8_t *out, int max)
{
	char *s = *p;
	int n = 0;
	while (*s == ' ')
		s++;
	while (hexval(s[0]) >= 0) {
		if (hexval(s[1]) < 0 || n >= max)
			return -1;
		out[n++] = (uint8_t)(hexval(s[0]) << 4 | hexval(s[1]));
		s += 2;
	}
	*p = s;
	return n;
}

int main(int argc, char **argv)
{
	FILE *in = stdin;
	if (argc > 1) {
		in = fopen(argv[1], "r");
		if (!in) {
			perror(argv[1]);
			return 2;
		}
	}
	uint8_t *code = mmap((void *)CODE_ADDR, 0x2000,
			     PROT_READ | PROT_WRITE | PROT_EXEC,
			     MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	if (code != (uint8_t *)CODE_ADDR) {
		perror("mmap");
		return 2;
	}
	uint8_t *scratch = (uint8_t *)SCRATCH_ADDR;
	/* Line-buffered: if a case kills QEMU, every earlier result is out. */
	setvbuf(stdout, NULL, _IOLBF, 0);
	static char line[16 * 17 + 8 + 2 * SCRATCH_LEN + 2 * CODE_MAX + 64];
	unsigned long n = 0;
	while (fgets(line, sizeof line, in)) {
		struct state st;
		char *p = line;
		n++;
		for (int i = 0; i < 16; i++)
			st.r[i] = strtoull(p, &p, 16);
		st.cc = (uint32_t)(strtoul(p, &p, 10) & 3) << 28;
		if (parse_bytes(&p, scratch, SCRATCH_LEN) != SCRATCH_LEN) {
			fprintf(stderr, "case %lu: bad scratch\n", n);
			return 2;
		}
		int len = parse_bytes(&p, code, CODE_MAX - 2);
		if (len < 0) {
			fprintf(stderr, "case %lu: bad code\n", n);
			return 2;
		}
		code[len] = 0x07; /* br %r14 */
		code[len + 1] = 0xfe;
		__builtin___clear_cache((char *)code, (char *)code + len + 2);
		st.code = CODE_ADDR;
		run_case(&st);
		for (int i = 0; i < 14; i++)
			printf("%016llx ", (unsigned long long)st.r[i]);
		printf("%u ", (st.cc >> 28) & 3);
		for (int i = 0; i < SCRATCH_LEN; i++)
			printf("%02x", scratch[i]);
		putchar('\n');
	}
	fflush(stdout);
	return 0;
}
