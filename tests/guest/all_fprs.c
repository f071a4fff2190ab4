/* all_fprs.c: a guest that moves a value through every floating-point
 * register, as gcc's spills of general registers may (LDGR, LGDR). FPRs
 * other than 0, 2, 4 and 6 need CR0's AFP-register control, which
 * `ucas run` turns on; without it the first LDGR to %f1 is a data
 * exception (DXC 1) and start.c's handler exits with 119. */
#include "ucas_guest.h"

/* Through FPR `n` and back; `n` must be a constant. */
#define THROUGH(n, v)                                                       \
	__asm__ volatile("ldgr %%f" #n ",%0\n\tlgdr %0,%%f" #n                  \
			 : "+d"(v) : : "f" #n)

int main(void)
{
	static const char ok[] = "16 FPRs carried the value\n";
	unsigned long v = 0x0123456789abcdefUL, w = v;
	THROUGH(0, v); THROUGH(1, v); THROUGH(2, v); THROUGH(3, v);
	THROUGH(4, v); THROUGH(5, v); THROUGH(6, v); THROUGH(7, v);
	THROUGH(8, v); THROUGH(9, v); THROUGH(10, v); THROUGH(11, v);
	THROUGH(12, v); THROUGH(13, v); THROUGH(14, v); THROUGH(15, v);
	if (v != w)
		return 1;
	ucas_guest_write(1, ok, sizeof ok - 1);
	return 0;
}
