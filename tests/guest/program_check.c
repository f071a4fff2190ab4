/* program_check.c: a guest that divides by zero. The fixed-point-divide
 * exception (code 0x0009) goes through the lowcore to start.c's handler,
 * which reports it on stderr and exits with 119. */
#include "ucas_guest.h"

int main(void)
{
	static const char msg[] = "dividing by zero\n";
	volatile int zero = 0;
	ucas_guest_write(1, msg, sizeof msg - 1);
	return 10 / zero;
}
