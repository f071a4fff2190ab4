/* sieve.c: the primes below 20000 by the sieve of Eratosthenes. */
#include "print.h"

#define LIMIT 20000

static unsigned char composite[LIMIT]; /* .bss: start.c clears it */

int main(void)
{
	unsigned long count = 0, sum = 0;
	unsigned last[8] = { 0 };
	for (unsigned i = 2; i * i < LIMIT; i++)
		if (!composite[i])
			for (unsigned j = i * i; j < LIMIT; j += i)
				composite[j] = 1;
	for (unsigned i = 2; i < LIMIT; i++) {
		if (composite[i])
			continue;
		count++;
		sum += i;
		last[count % 8] = i;
	}
	put_str("primes below ");
	put_dec(LIMIT);
	put_str(": ");
	put_dec((long)count);
	put_str(", sum ");
	put_dec((long)sum);
	put_str("\nthe last eight:");
	for (unsigned long k = 1; k <= 8; k++) {
		put_str(" ");
		put_dec(last[(count + k) % 8]);
	}
	put_str("\n");
	return count == 2262 ? 0 : 1;
}
