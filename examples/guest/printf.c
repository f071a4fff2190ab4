/* printf.c: a small printf (%d %i %u %x %X %o %c %s %%, l and ll, width,
 * precision, flags - 0 + space #) over varargs, printing a table. */
#include <stdarg.h>
#include <stdint.h>

#include "ucas_guest.h"

struct out {
	char buf[256];
	unsigned len;
	unsigned long total;
};

static void flush(struct out *o)
{
	ucas_guest_write(1, o->buf, o->len);
	o->len = 0;
}

static void emit(struct out *o, char c)
{
	if (o->len == sizeof o->buf)
		flush(o);
	o->buf[o->len++] = c;
	o->total++;
}

static void pad(struct out *o, char c, int n)
{
	while (n-- > 0)
		emit(o, c);
}

struct spec {
	int left, zero, plus, space, alt, width, prec;
};

static void field(struct out *o, const struct spec *s, const char *prefix, const char *body,
		  int len)
{
	int plen = 0;
	while (prefix[plen])
		plen++;
	int zeros = s->prec > len ? s->prec - len : 0;
	int fill = s->width - plen - zeros - len;
	if (s->zero && !s->left && s->prec < 0) {
		zeros += fill > 0 ? fill : 0;
		fill = 0;
	}
	if (!s->left)
		pad(o, ' ', fill);
	for (int i = 0; i < plen; i++)
		emit(o, prefix[i]);
	pad(o, '0', zeros);
	for (int i = 0; i < len; i++)
		emit(o, body[i]);
	if (s->left)
		pad(o, ' ', fill);
}

static void number(struct out *o, const struct spec *s, unsigned long long v, int neg,
		   unsigned base, int upper)
{
	const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	char body[24];
	int i = sizeof body;
	int nonzero = v != 0;
	while (v) {
		body[--i] = digits[v % base];
		v /= base;
	}
	if (i == (int)sizeof body && s->prec != 0)
		body[--i] = '0';
	const char *prefix = neg ? "-" : s->plus ? "+" : s->space ? " " : "";
	if (s->alt && base == 16 && nonzero)
		prefix = upper ? "0X" : "0x";
	if (s->alt && base == 8 && body[i] != '0')
		body[--i] = '0';
	field(o, s, prefix, body + i, (int)sizeof body - i);
}

static unsigned long vformat(const char *f, va_list ap)
{
	struct out o = { .len = 0, .total = 0 };
	for (; *f; f++) {
		if (*f != '%') {
			emit(&o, *f);
			continue;
		}
		struct spec s = { 0, 0, 0, 0, 0, 0, -1 };
		for (;; f++) {
			char c = f[1];
			if (c == '-')
				s.left = 1;
			else if (c == '0')
				s.zero = 1;
			else if (c == '+')
				s.plus = 1;
			else if (c == ' ')
				s.space = 1;
			else if (c == '#')
				s.alt = 1;
			else
				break;
		}
		f++;
		if (*f == '*') {
			s.width = va_arg(ap, int);
			if (s.width < 0) {
				s.left = 1;
				s.width = -s.width;
			}
			f++;
		}
		while (*f >= '0' && *f <= '9')
			s.width = s.width * 10 + (*f++ - '0');
		if (*f == '.') {
			s.prec = 0;
			f++;
			while (*f >= '0' && *f <= '9')
				s.prec = s.prec * 10 + (*f++ - '0');
		}
		int longs = 0;
		while (*f == 'l') {
			longs++;
			f++;
		}
		switch (*f) {
		case 'd':
		case 'i': {
			long long v = longs ? va_arg(ap, long long) : va_arg(ap, int);
			number(&o, &s, v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v,
			       v < 0, 10, 0);
			break;
		}
		case 'u':
		case 'x':
		case 'X':
		case 'o': {
			unsigned long long v = longs ? va_arg(ap, unsigned long long)
						     : va_arg(ap, unsigned);
			unsigned base = *f == 'u' ? 10 : *f == 'o' ? 8 : 16;
			number(&o, &s, v, 0, base, *f == 'X');
			break;
		}
		case 'c': {
			char c = (char)va_arg(ap, int);
			field(&o, &s, "", &c, 1);
			break;
		}
		case 's': {
			const char *str = va_arg(ap, const char *);
			int n = 0;
			while (str[n] && (s.prec < 0 || n < s.prec))
				n++;
			field(&o, &s, "", str, n);
			break;
		}
		case '%':
			emit(&o, '%');
			break;
		default:
			emit(&o, '?');
			if (!*f)
				f--;
		}
	}
	flush(&o);
	return o.total;
}

static unsigned long print(const char *f, ...)
{
	va_list ap;
	va_start(ap, f);
	unsigned long n = vformat(f, ap);
	va_end(ap);
	return n;
}

struct planet {
	const char *name;
	unsigned moons;
	long long km;
	int temp;
};

int main(void)
{
	static const struct planet planets[] = {
		{ "Mercury", 0, 57909227LL, 167 },  { "Venus", 0, 108209475LL, 464 },
		{ "Earth", 1, 149598262LL, 15 },    { "Mars", 2, 227943824LL, -65 },
		{ "Jupiter", 95, 778340821LL, -110 }, { "Saturn", 146, 1426666422LL, -140 },
		{ "Uranus", 28, 2870658186LL, -195 }, { "Neptune", 16, 4498396441LL, -200 },
	};
	unsigned long total = 0;
	total += print("%-8s|%6s|%14s|%6s|%s\n", "planet", "moons", "km from Sun", "temp", "hex km");
	total += print("%.8s+%.6s+%.14s+%.6s+%.10s\n", "----------------", "--------------",
		       "----------------", "--------", "------------");
	for (unsigned i = 0; i < sizeof planets / sizeof planets[0]; i++) {
		const struct planet *p = &planets[i];
		total += print("%-8s|%6u|%14lld|%+6d|%#llx\n", p->name, p->moons, p->km, p->temp,
			       p->km);
	}
	total += print("[%5d] [%-5d] [%05d] [% d] [%.3d] [%*d] [%-*d]\n", 42, 42, 42, 42, 7, 6, -3,
		       4, 9);
	total += print("[%x] [%X] [%#o] [%o] [%c%c%c] [%.2s] [%%] [%lu]\n", 0xbeefu, 0xcafeu, 8u, 0u,
		       'a', 'b', 'c', "xyz", 18446744073709551615UL);
	total += print("[%lld] [%llu] [%i] [%d]\n", -9223372036854775807LL - 1,
		       12345678901234567890ULL, -1, 0);
	print("%lu characters printed before this line\n", total);
	return 0;
}
