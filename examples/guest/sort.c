/* sort.c: quicksort, merge sort and insertion sort, checked against each other. */
#include <stdint.h>

#include "print.h"

#define N 500

static int32_t data[N], quick[N], merged[N], scratch[N];

static uint32_t seed = 2463534242u;

static uint32_t xorshift(void)
{
	seed ^= seed << 13;
	seed ^= seed >> 17;
	seed ^= seed << 5;
	return seed;
}

static void quicksort(int32_t *a, long lo, long hi)
{
	while (lo < hi) {
		int32_t pivot = a[lo + (hi - lo) / 2];
		long i = lo, j = hi;
		while (i <= j) {
			while (a[i] < pivot)
				i++;
			while (a[j] > pivot)
				j--;
			if (i <= j) {
				int32_t t = a[i];
				a[i++] = a[j];
				a[j--] = t;
			}
		}
		/* Recurse into the smaller half, loop on the larger. */
		if (j - lo < hi - i) {
			quicksort(a, lo, j);
			lo = i;
		} else {
			quicksort(a, i, hi);
			hi = j;
		}
	}
}

static void mergesort(int32_t *a, int32_t *tmp, unsigned long n)
{
	if (n < 2)
		return;
	unsigned long h = n / 2;
	mergesort(a, tmp, h);
	mergesort(a + h, tmp, n - h);
	unsigned long i = 0, j = h, k = 0;
	while (i < h && j < n)
		tmp[k++] = a[j] < a[i] ? a[j++] : a[i++];
	while (i < h)
		tmp[k++] = a[i++];
	while (j < n)
		tmp[k++] = a[j++];
	for (k = 0; k < n; k++)
		a[k] = tmp[k];
}

struct word {
	const char *text;
	unsigned len;
};

static int word_cmp(const struct word *a, const struct word *b)
{
	unsigned n = a->len < b->len ? a->len : b->len;
	for (unsigned i = 0; i < n; i++)
		if (a->text[i] != b->text[i])
			return (unsigned char)a->text[i] - (unsigned char)b->text[i];
	return (int)a->len - (int)b->len;
}

int main(void)
{
	struct word words[] = {
		{ "zeta", 4 }, { "alpha", 5 }, { "mu", 2 }, { "omega", 5 }, { "beta", 4 },
		{ "pi", 2 }, { "alphabet", 8 }, { "epsilon", 7 }, { "gamma", 5 }, { "al", 2 },
	};
	unsigned nwords = sizeof words / sizeof words[0];
	for (unsigned i = 1; i < nwords; i++) {
		struct word w = words[i]; /* a struct copy: MVC */
		unsigned j = i;
		while (j > 0 && word_cmp(&words[j - 1], &w) > 0) {
			words[j] = words[j - 1];
			j--;
		}
		words[j] = w;
	}
	put_str("words:");
	for (unsigned i = 0; i < nwords; i++) {
		put_str(" ");
		put_str(words[i].text);
	}
	put_str("\n");

	int64_t sum = 0;
	for (int i = 0; i < N; i++) {
		data[i] = (int32_t)(xorshift() % 200001) - 100000;
		sum += data[i];
	}
	__builtin_memcpy(quick, data, sizeof data);
	__builtin_memcpy(merged, data, sizeof data);
	quicksort(quick, 0, N - 1);
	mergesort(merged, scratch, N);
	int ordered = 1, same = 1;
	uint32_t hash = 0;
	for (int i = 0; i < N; i++) {
		if (i && quick[i - 1] > quick[i])
			ordered = 0;
		if (quick[i] != merged[i])
			same = 0;
		hash = hash * 31 + (uint32_t)quick[i];
	}
	put_str("numbers: ");
	put_dec(N);
	put_str(", sum ");
	put_dec((long)sum);
	put_str(", min ");
	put_dec(quick[0]);
	put_str(", median ");
	put_dec(quick[N / 2]);
	put_str(", max ");
	put_dec(quick[N - 1]);
	put_str(", hash ");
	put_hex(hash, 8);
	put_str(ordered ? ", ordered" : ", NOT ordered");
	put_str(same ? ", quicksort = merge sort\n" : ", quicksort != merge sort\n");
	return ordered && same ? 0 : 1;
}
