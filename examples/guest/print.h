/*
 * print.h: the few output helpers the example guests share (header only,
 * so each guest stays one C file). Output goes through ucas_guest_write.
 */
#ifndef UCAS_PRINT_H
#define UCAS_PRINT_H

#include "ucas_guest.h"

static inline unsigned long str_len(const char *s)
{
	unsigned long n = 0;
	while (s[n])
		n++;
	return n;
}

static inline void put_str(const char *s)
{
	ucas_guest_write(1, s, str_len(s));
}

/* v in decimal (signed when is_signed), at least `width` characters. */
static inline void put_num(unsigned long v, int is_signed, int base, int width)
{
	char buf[24];
	int i = sizeof buf;
	int neg = is_signed && (long)v < 0;
	if (neg)
		v = -v;
	do {
		buf[--i] = "0123456789abcdef"[v % (unsigned)base];
		v /= (unsigned)base;
	} while (v);
	if (neg)
		buf[--i] = '-';
	while (i > 0 && (int)sizeof buf - i < width)
		buf[--i] = base == 16 ? '0' : ' ';
	ucas_guest_write(1, buf + i, sizeof buf - (unsigned long)i);
}

static inline void put_dec(long v)
{
	put_num((unsigned long)v, 1, 10, 0);
}

static inline void put_hex(unsigned long v, int digits)
{
	put_num(v, 0, 16, digits);
}

#endif
