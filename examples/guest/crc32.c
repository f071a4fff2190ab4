/* crc32.c: CRC-32 (IEEE 802.3, reflected 0xEDB88320) by table and bit by bit. */
#include <stdint.h>

#include "print.h"

static uint32_t table[256];
static uint8_t buffer[16384];

static void make_table(void)
{
	for (uint32_t n = 0; n < 256; n++) {
		uint32_t c = n;
		for (int k = 0; k < 8; k++)
			c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
		table[n] = c;
	}
}

static uint32_t crc_table(const uint8_t *p, unsigned long n)
{
	uint32_t c = 0xFFFFFFFFu;
	while (n--)
		c = table[(c ^ *p++) & 0xFF] ^ (c >> 8);
	return c ^ 0xFFFFFFFFu;
}

static uint32_t crc_bitwise(const uint8_t *p, unsigned long n)
{
	uint32_t c = 0xFFFFFFFFu;
	while (n--) {
		c ^= *p++;
		for (int k = 0; k < 8; k++)
			c = (c >> 1) ^ (0xEDB88320u & -(c & 1));
	}
	return ~c;
}

static void show(const char *what, uint32_t a, uint32_t b)
{
	put_str(what);
	put_str(": ");
	put_hex(a, 8);
	put_str(a == b ? " (both ways)\n" : " MISMATCH\n");
}

int main(void)
{
	static const char check[] = "123456789";
	uint32_t x = 12345;
	make_table();
	for (unsigned long i = 0; i < sizeof buffer; i++) {
		x = x * 1103515245u + 12345u;
		buffer[i] = (uint8_t)(x >> 16);
	}
	uint32_t a = crc_table((const uint8_t *)check, 9);
	show("crc32(\"123456789\")", a, crc_bitwise((const uint8_t *)check, 9));
	uint32_t b = crc_table(buffer, sizeof buffer);
	show("crc32(16 KiB of LCG bytes)", b, crc_bitwise(buffer, sizeof buffer));
	return a == 0xCBF43926u ? 0 : 1;
}
