/*
 * retention_pairs.c - the retention state's set of (customer, period)
 * pairs: an array appended to per row and compacted (the new pairs sorted
 * and merged into the sorted ones, duplicates summed) once it holds twice
 * the distinct pairs last counted, else grown (see retention.h).
 */
#include "retention.h"

void
retention_revenue_overflow(void)
{
	ereport(ERROR,
			(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
			 errmsg("retention revenue out of range"),
			 errdetail("The revenue of one customer in one period, in units of its smallest decimal, must fit in a bigint."),
			 errhint("Round the revenue to fewer decimals.")));
}

/*
 * Compaction sorts only the pairs added since the last one, set[sorted..n),
 * then merges them into the sorted prefix in place from the back: the extra
 * buffer holds the new pairs only.  Few pairs, or pairs nearly in order (a
 * small state read back from its flat form plus one), take an insertion sort
 * of the whole set instead.  Duplicates are then summed in place.
 *
 * The sort of the new pairs is an LSD radix sort, 11 bits a pass (2048
 * buckets: the scatter stays in cache).  One first pass finds which bits
 * vary at all; digits without any are skipped, so customer ids and periods
 * that use few bits cost few passes.
 *
 * An ERROR or interrupt at any point leaves the state holding the same pairs
 * (set[0..sorted) in order, the rest in any order): the steps that move
 * pairs in place check with INTERRUPT_DUE() and make the pairs whole before
 * they take the interrupt, and a revenue overflow is found before anything
 * of its run is written.
 */
#define RADIX_BITS 11
#define RADIX_SIZE (1 << RADIX_BITS)

static void
pairs_copy(Pair *dst, int64 *drev, const Pair *src, const int64 *srev, uint64 n)
{
	memcpy(dst, src, sizeof(Pair) * n);
	if (srev)
		memcpy(drev, srev, sizeof(int64) * n);
}

static void
pairs_insertion_sort(RetState *t)
{
	uint64		k,
				j;

	for (k = Max(t->sorted, 1); k < t->n; k++)
	{
		Pair		p = t->set[k];
		int64		r = t->rev ? t->rev[k] : 0;

		CHECK_FOR_INTERRUPTS(); /* set[0..k) in order, every pair in place */
		for (j = k; j > 0 && PAIR_LESS(p, t->set[j - 1]); j--)
		{
			t->set[j] = t->set[j - 1];
			if (t->rev)
				t->rev[j] = t->rev[j - 1];
		}
		t->set[j] = p;
		if (t->rev)
			t->rev[j] = r;
	}
}

/*
 * Sorts src[0..n) (and srev alongside unless NULL) using dst (and drev) of
 * the same length as the second buffer.  Returns true when the result ended
 * in dst.  src holds the n pairs at every interrupt: a pass that scatters
 * into it copies its input back over it first, and then starts again.
 */
static bool
pairs_radix_sort(Pair *src, int64 *srev, Pair *dst, int64 *drev, uint64 n)
{
	Pair	   *home = src;
	uint64		k;
	uint64		count[RADIX_SIZE];
	uint64		kor = 0,
				kand = ~UINT64CONST(0),
				por = 0,
				pand = ~UINT64CONST(0);
	int			pass;
	bool		swapped = false;

	for (k = 0; k < n; k++)
	{
		INTERRUPTS_EVERY_64K(k);
		kor |= KEY_ORD(src[k].key);
		kand &= KEY_ORD(src[k].key);
		por |= PER_ORD(src[k].period);
		pand &= PER_ORD(src[k].period);
	}
	/* periods: 3 digits of 32 bits, then keys: 6 digits of 64 */
	for (pass = 0; pass < 9; pass++)
	{
		bool		per = pass < 3;
		int			shift = RADIX_BITS * (per ? pass : pass - 3);
		uint64		varying = per ? (por ^ pand) : (kor ^ kand);
		int			d;

		if (((varying >> shift) & (RADIX_SIZE - 1)) == 0)
			continue;			/* this digit is the same everywhere */
#define DIGIT(e) (((per ? PER_ORD((e).period) : KEY_ORD((e).key)) >> shift) & (RADIX_SIZE - 1))
scatter:
		memset(count, 0, sizeof(count));
		for (k = 0; k < n; k++)
		{
			INTERRUPTS_EVERY_64K(k);
			count[DIGIT(src[k])]++;
		}
		for (d = 0, k = 0; d < RADIX_SIZE; d++)
		{
			uint64		c = count[d];

			count[d] = k;
			k += c;
		}
		for (k = 0; k < n; k++)
		{
			uint64		at;

			if (INTERRUPT_DUE(k))
			{
				if (dst == home)
					pairs_copy(dst, drev, src, srev, n);
				CHECK_FOR_INTERRUPTS();
				if (dst == home)
					goto scatter;
			}
			at = count[DIGIT(src[k])]++;
			dst[at] = src[k];
			if (srev)
				drev[at] = srev[k];
		}
#undef DIGIT
		{
			Pair	   *tmp = src;
			int64	   *rtmp = srev;

			src = dst;
			dst = tmp;
			srev = drev;
			drev = rtmp;
			swapped = !swapped;
		}
	}
	return swapped;
}

/* Sorts set[0..n): the new pairs apart, then merged into the sorted ones. */
static void
pairs_sort(RetState *t)
{
	uint64		p = t->sorted,
				m = t->n - p,
				k,
				w;
	Pair	   *b,
			   *set = t->set;
	int64	   *brev = NULL,
			   *rev = t->rev;

	if (m == 0)
		return;
	if (t->n <= 64 || (m <= 16 && t->n <= 4096))
	{
		pairs_insertion_sort(t);
		return;
	}
	b = MemoryContextAllocExtended(t->hdr.eoh_context, sizeof(Pair) * m, MCXT_ALLOC_HUGE);
	if (rev)
		brev = MemoryContextAllocExtended(t->hdr.eoh_context, sizeof(int64) * m, MCXT_ALLOC_HUGE);
	/* the new pairs, sorted, into b */
	if (!pairs_radix_sort(set + p, rev ? rev + p : NULL, b, brev, m))
		pairs_copy(b, brev, set + p, rev ? rev + p : NULL, m);
	/* merge from the back: the write position never passes an unread pair */
	w = t->n;
	k = m;
	while (k > 0)
	{
		if (INTERRUPT_DUE(w))
		{
			/*
			 * set[p..w), k slots, is free: the new pairs still unread go
			 * there, and set[0..p), untouched, is the part in order.
			 */
			pairs_copy(set + p, rev ? rev + p : NULL, b, brev, k);
			t->sorted = p;
			CHECK_FOR_INTERRUPTS();
		}
		if (p > 0 && PAIR_LESS(b[k - 1], set[p - 1]))
		{
			p--;
			set[--w] = set[p];
			if (rev)
				rev[w] = rev[p];
		}
		else
		{
			k--;
			set[--w] = b[k];
			if (rev)
				rev[w] = brev[k];
		}
	}
	pfree(b);
	if (brev)
		pfree(brev);
}

/* Half as much room again (arrays copied by repalloc peak at 2.5 times). */
void
retention_pairs_grow(RetState *t)
{
	CHECK_FOR_INTERRUPTS();
	t->cap += Max(t->cap / 2, RET_FIRST_CAP);
	t->set = repalloc_huge(t->set, sizeof(Pair) * t->cap);
	if (t->rev)
		t->rev = repalloc_huge(t->rev, sizeof(int64) * t->cap);
}

/*
 * A merge of duplicates in place stopped with set[0..w) done and set[k..n)
 * still to do: close the gap between them, so the pairs are whole again.
 */
static void
pairs_close_gap(RetState *t, uint64 w, uint64 k)
{
	if (k > w)
	{
		memmove(t->set + w, t->set + k, sizeof(Pair) * (t->n - k));
		if (t->rev)
			memmove(t->rev + w, t->rev + k, sizeof(int64) * (t->n - k));
		t->n -= k - w;
	}
	t->sorted = w;
}

/*
 * Sort, and merge duplicates in place (summing their revenue).  Each run of
 * equal pairs is summed before any of it is written, so a revenue overflow
 * leaves the pairs whole (the runs merged before it stay merged).
 */
void
retention_pairs_dedup(RetState *t)
{
	uint64		k,
				j,
				w = 0;

	pairs_sort(t);
	for (k = 0; k < t->n; k = j)
	{
		int64		sum = t->rev ? t->rev[k] : 0;

		for (j = k + 1; j < t->n && PAIR_EQ(t->set[j], t->set[k]); j++)
			if (t->rev && __builtin_add_overflow(sum, t->rev[j], &sum))
			{
				pairs_close_gap(t, w, k);
				retention_revenue_overflow();
			}
		t->set[w] = t->set[k];
		if (t->rev)
			t->rev[w] = sum;
		w++;
		if (INTERRUPT_DUE(w))
		{
			pairs_close_gap(t, w, j);
			CHECK_FOR_INTERRUPTS();
			j = w;
		}
	}
	t->n = t->sorted = w;
}

/* Sort and merge duplicates; grow if still half full. */
static void
pairs_compact(RetState *t)
{
	retention_pairs_dedup(t);
	t->limit = Max(2 * t->n, RET_MIN_LIMIT);
	if (t->n * 2 > t->cap)
		retention_pairs_grow(t);
}

/*
 * The array is full: compact it once it holds twice the distinct pairs last
 * counted (each compaction sorts at most twice what it keeps, and memory
 * stays linear in the distinct pairs, not in the rows), else just grow it.
 */
void
retention_pairs_full(RetState *t)
{
	if (t->n >= t->limit)
		pairs_compact(t);
	if (t->n == t->cap)
		retention_pairs_grow(t);
}

/* Raise the revenue scale of every pair to s. */
void
retention_pairs_rescale(RetState *t, int32 s)
{
	uint64		k;
	int64		f = 1;
	int			e;

	if (s <= t->rev_scale)
		return;
	for (e = t->rev_scale; e < s; e++)
		if (__builtin_mul_overflow(f, 10, &f))
			retention_revenue_overflow();
	/* every amount checked before any is changed: an overflow changes none */
	for (k = 0; k < t->n && t->rev; k++)
	{
		int64		r;

		INTERRUPTS_EVERY_64K(k);
		if (__builtin_mul_overflow(t->rev[k], f, &r))
			retention_revenue_overflow();
	}
	for (k = 0; k < t->n && t->rev; k++)
		t->rev[k] *= f;
	t->rev_scale = s;
}
