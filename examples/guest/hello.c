/* hello.c: the smallest `ucas run` guest. */
#include "ucas_guest.h"

int main(void)
{
	static const char msg[] = "hello from an s390x guest\n";
	ucas_guest_write(1, msg, sizeof msg - 1);
	return 0;
}
