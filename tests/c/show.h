/*
 * The output convention of the small C test programs: one "key=value" line
 * per result, a failed call as "-1/ENAME".
 */
#ifndef UCAS_TEST_SHOW_H
#define UCAS_TEST_SHOW_H

#include <errno.h>
#include <stdio.h>
#include <string.h>

static void show(const char *key, long r)
{
	if (r < 0)
		printf("%s=-1/%s\n", key, strerrorname_np(errno));
	else
		printf("%s=%ld\n", key, r);
}

#endif
