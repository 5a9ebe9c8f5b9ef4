/*
 * retention.c - the retention family: who comes back, period by period and
 * cohort by cohort, and with how much revenue.
 *
 * retention_summary is the set of distinct (customer, active period) pairs,
 * with the revenue of each pair when asked for.  Periods are cut as
 * date_trunc cuts them (timestamptz in the session TimeZone).  Customer keys
 * are bigint (exact) or a 64-bit hash of text or uuid keys (FNV-1a over the
 * bytes, then a splitmix64 finaliser: the same on every platform).
 *
 * While aggregating, a big state is an expanded object holding an array of
 * pairs, appended to and compacted (the new pairs sorted and merged into the
 * sorted ones, duplicates summed) once it holds twice the distinct pairs
 * last counted (see ret_full); a small one stays flat (see heartbeat.h).
 * Flat, the pairs are sorted by customer and period and written as
 * varints: per customer a key delta, a period count, period gaps and, with
 * revenue, the amounts scaled to the largest number of decimals seen.
 * Equal sets of pairs give equal bytes.
 */
#include "heartbeat.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "datatype/timestamp.h"
#include "funcapi.h"
#include "libpq/pqformat.h"
#include "miscadmin.h"
#include "pgtime.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/date.h"
#include "utils/datetime.h"
#include "utils/numeric.h"
#include "utils/timestamp.h"
#include "utils/uuid.h"

#define TYPNAME "retention_summary"

/* Periods from the first to the last: at most 40M (daily for 100,000 years). */
#define MAX_SPAN 40000000

/*
 * Loops over pairs or periods check for interrupts every 64K steps, so
 * statement_timeout and cancel stop them within milliseconds; the test of
 * the step costs nothing measurable.
 */
#define INTERRUPTS_EVERY_64K(i) \
	do { if (((i) & 0xFFFF) == 0) CHECK_FOR_INTERRUPTS(); } while (0)

/*
 * The same test for loops that move pairs in place, whose state is whole
 * only once they put it back: true every 64K steps when an interrupt is
 * pending and would be taken.  The loop then makes its pairs whole, calls
 * CHECK_FOR_INTERRUPTS() and, should that return, goes on.  False while
 * interrupts are held off, so no loop keeps repairing.
 */
#define INTERRUPT_DUE(i) \
	(((i) & 0xFFFF) == 0 && INTERRUPTS_PENDING_CONDITION() && INTERRUPTS_CAN_BE_PROCESSED())

#define RET_REVENUE		0x0001	/* pairs carry revenue */
#define RET_HASHED		0x0002	/* keys are hashes of text or uuid */

enum
{
	G_NONE = 0, G_DAY, G_WEEK, G_MONTH, G_QUARTER, G_YEAR
};
static const char *const gran_names[] = {NULL, "day", "week", "month", "quarter", "year"};

typedef struct RetFlat
{
	HbHeader	hdr;			/* hdr.flags: RET_* */
	int32		granularity;	/* G_*, G_NONE only when empty */
	int32		rev_scale;		/* decimals of the revenue amounts */
	int64		customers;
	int64		pairs;
	int32		first_period;
	int32		last_period;
	/* then the varint stream */
} RetFlat;

typedef struct Pair
{
	int64		key;
	int32		period;
	int32		pad;
} Pair;

typedef struct RetState
{
	ExpandedObjectHeader hdr;
	uint16		flags;
	int32		granularity;
	int32		rev_scale;
	uint64		cap;
	uint64		n;				/* pairs in set[] */
	uint64		sorted;			/* set[0..sorted) is in order; all of it, and
								 * distinct, when sorted == n */
	uint64		limit;			/* compact when this many: 2 x distinct pairs */
	Pair	   *set;
	int64	   *rev;			/* revenue * 10^rev_scale of set[i], or NULL */
} RetState;

/* Pairs a state starts with room for, and below which it is never compacted. */
#define RET_FIRST_CAP	8
#define RET_MIN_LIMIT	8192

static Size ret_get_flat_size(ExpandedObjectHeader *eohptr);
static void ret_flatten_into(ExpandedObjectHeader *eohptr, void *result, Size allocated_size);

static const ExpandedObjectMethods ret_methods = {ret_get_flat_size, ret_flatten_into};

pg_noreturn static void
ret_corrupt(const char *what)
{
	ereport(ERROR,
			(errcode(ERRCODE_DATA_CORRUPTED),
			 errmsg("invalid %s value", TYPNAME),
			 errdetail("%s", what)));
}

/* ---------- periods ---------- */

static int
gran_parse(text *t)
{
	char	   *s = text_to_cstring(t);
	int			g;

	for (g = G_DAY; g <= G_YEAR; g++)
		if (pg_strcasecmp(s, gran_names[g]) == 0)
			return g;
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("unknown retention granularity \"%s\"", s),
			 errhint("Use one of day, week, month, quarter, year.")));
	return G_NONE;
}

static inline int64
floor_div(int64 a, int64 b)
{
	return a >= 0 ? a / b : -((-a + b - 1) / b);
}

/* Period number of a day given as days since 2000-01-01. */
static inline int32
period_of_day(int g, int32 d)
{
	int			y,
				m,
				dd;

	switch (g)
	{
		case G_DAY:
			return d;
		case G_WEEK:
			return (int32) floor_div((int64) d - 2, 7);	/* 2000-01-03 was a Monday */
		default:
			j2date(d + POSTGRES_EPOCH_JDATE, &y, &m, &dd);
			if (g == G_MONTH)
				return y * 12 + (m - 1);
			if (g == G_QUARTER)
				return y * 4 + (m - 1) / 3;
			return y;
	}
}

/* First day of a period, as a date. */
static DateADT
period_start(int g, int32 p)
{
	switch (g)
	{
		case G_DAY:
			return p;
		case G_WEEK:
			return 7 * p + 2;
		case G_MONTH:
			return date2j((int) floor_div(p, 12), (int) (p - 12 * floor_div(p, 12)) + 1, 1) - POSTGRES_EPOCH_JDATE;
		case G_QUARTER:
			return date2j((int) floor_div(p, 4), 3 * (int) (p - 4 * floor_div(p, 4)) + 1, 1) - POSTGRES_EPOCH_JDATE;
		default:
			return date2j(p, 1, 1) - POSTGRES_EPOCH_JDATE;
	}
}

/*
 * timestamptz -> local day in the session TimeZone.  The UTC offset is
 * constant between daylight-saving boundaries: a few cached ranges, found
 * with pg_next_dst_boundary, spare a time zone conversion per row.
 */
#define TZ_CACHE 16
typedef struct TzRange
{
	int64		lo;				/* seconds since 1970, inclusive */
	int64		hi;				/* exclusive */
	long		gmtoff;
} TzRange;

typedef struct TzCache
{
	pg_tz	   *tz;
	int			n;
	TzRange		r[TZ_CACHE];
} TzCache;

static int32
local_day(TzCache *c, pg_tz *tz, TimestampTz ts)
{
	int64		secs = floor_div(ts, USECS_PER_SEC) + (int64) (POSTGRES_EPOCH_JDATE - UNIX_EPOCH_JDATE) * SECS_PER_DAY;
	int			k;
	pg_time_t	t = (pg_time_t) secs,
				boundary;
	long		before,
				after;
	int			bdst,
				adst,
				res;

	if (c->tz != tz)
	{
		c->tz = tz;
		c->n = 0;
	}
	for (k = 0; k < c->n; k++)
		if (secs >= c->r[k].lo && secs < c->r[k].hi)
			return (int32) floor_div(ts + (int64) c->r[k].gmtoff * USECS_PER_SEC, USECS_PER_DAY);
	res = pg_next_dst_boundary(&t, &before, &bdst, &boundary, &after, &adst, tz);
	if (res < 0)
	{
		/* no rule information: convert this one the slow way */
		struct pg_tm tm;
		fsec_t		fsec;
		int			tzoff;

		if (timestamp2tm(ts, &tzoff, &tm, &fsec, NULL, tz) != 0)
			ereport(ERROR,
					(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
					 errmsg("timestamp out of range")));
		return date2j(tm.tm_year, tm.tm_mon, tm.tm_mday) - POSTGRES_EPOCH_JDATE;
	}
	/* the offset `before` holds from secs up to the boundary (or forever) */
	for (k = 0; k < c->n; k++)
		if (res == 1 && c->r[k].hi == (int64) boundary)
			break;
	if (k == c->n)
	{
		if (c->n == TZ_CACHE)
			k = (int) (secs & (TZ_CACHE - 1));	/* replace one */
		else
			c->n++;
		c->r[k].hi = res == 1 ? (int64) boundary : PG_INT64_MAX;
		c->r[k].lo = secs;
	}
	c->r[k].lo = Min(c->r[k].lo, secs);
	c->r[k].gmtoff = before;
	return (int32) floor_div(ts + (int64) before * USECS_PER_SEC, USECS_PER_DAY);
}

/* ---------- keys ---------- */

static inline uint64
mix64(uint64 x)
{
	x ^= x >> 30;
	x *= UINT64CONST(0xbf58476d1ce4e5b9);
	x ^= x >> 27;
	x *= UINT64CONST(0x94d049bb133111eb);
	x ^= x >> 31;
	return x;
}

/* FNV-1a, 64 bits, then a finaliser: byte-wise, platform-independent. */
static int64
hash_key(const char *p, int len)
{
	uint64		h = UINT64CONST(0xcbf29ce484222325);
	int			k;

	for (k = 0; k < len; k++)
	{
		h ^= (uint8) p[k];
		h *= UINT64CONST(0x100000001b3);
	}
	return (int64) mix64(h);
}

/* ---------- the pair set ---------- */

/* An empty state with room for `room` pairs. */
static RetState *
ret_new(MemoryContext cxt, uint64 room)
{
	RetState   *t = MemoryContextAllocZero(cxt, sizeof(RetState));

	EOH_init_header(&t->hdr, &ret_methods, cxt);
	t->cap = Max(room, RET_FIRST_CAP);
	t->limit = Max(2 * t->cap, RET_MIN_LIMIT);
	t->set = MemoryContextAllocExtended(cxt, sizeof(Pair) * t->cap, MCXT_ALLOC_HUGE);
	return t;
}

pg_noreturn static void
revenue_overflow(void)
{
	ereport(ERROR,
			(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
			 errmsg("retention revenue out of range"),
			 errdetail("The revenue of one customer in one period, in units of its smallest decimal, must fit in a bigint."),
			 errhint("Round the revenue to fewer decimals.")));
}

/* Sort order of keys and periods as unsigned numbers. */
#define KEY_ORD(k) ((uint64) (k) ^ UINT64CONST(0x8000000000000000))
#define PER_ORD(p) ((uint64) ((uint32) (p) ^ 0x80000000u))

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
#define PAIR_LESS(a, b) (KEY_ORD((a).key) < KEY_ORD((b).key) || \
						 ((a).key == (b).key && PER_ORD((a).period) < PER_ORD((b).period)))
#define PAIR_EQ(a, b) ((a).key == (b).key && (a).period == (b).period)

static void
pairs_copy(Pair *dst, int64 *drev, const Pair *src, const int64 *srev, uint64 n)
{
	memcpy(dst, src, sizeof(Pair) * n);
	if (srev)
		memcpy(drev, srev, sizeof(int64) * n);
}

static void
ret_insertion_sort(RetState *t)
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
ret_sort(RetState *t)
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
		ret_insertion_sort(t);
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
static void
ret_grow(RetState *t)
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
ret_close_gap(RetState *t, uint64 w, uint64 k)
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
static void
ret_dedup(RetState *t)
{
	uint64		k,
				j,
				w = 0;

	ret_sort(t);
	for (k = 0; k < t->n; k = j)
	{
		int64		sum = t->rev ? t->rev[k] : 0;

		for (j = k + 1; j < t->n && PAIR_EQ(t->set[j], t->set[k]); j++)
			if (t->rev && __builtin_add_overflow(sum, t->rev[j], &sum))
			{
				ret_close_gap(t, w, k);
				revenue_overflow();
			}
		t->set[w] = t->set[k];
		if (t->rev)
			t->rev[w] = sum;
		w++;
		if (INTERRUPT_DUE(w))
		{
			ret_close_gap(t, w, j);
			CHECK_FOR_INTERRUPTS();
			j = w;
		}
	}
	t->n = t->sorted = w;
}

/* Sort and merge duplicates; grow if still half full. */
static void
ret_compact(RetState *t)
{
	ret_dedup(t);
	t->limit = Max(2 * t->n, RET_MIN_LIMIT);
	if (t->n * 2 > t->cap)
		ret_grow(t);
}

/*
 * The array is full: compact it once it holds twice the distinct pairs last
 * counted (each compaction sorts at most twice what it keeps, and memory
 * stays linear in the distinct pairs, not in the rows), else just grow it.
 */
static void
ret_full(RetState *t)
{
	if (t->n >= t->limit)
		ret_compact(t);
	if (t->n == t->cap)
		ret_grow(t);
}

static inline void
ret_insert(RetState *t, int64 key, int32 period, int64 rev)
{
	Pair	   *p;

	if (unlikely(t->n == t->cap))
		ret_full(t);
	if (t->flags & RET_REVENUE)
	{
		if (unlikely(t->rev == NULL))
			t->rev = MemoryContextAllocExtended(t->hdr.eoh_context, sizeof(int64) * t->cap,
												MCXT_ALLOC_HUGE | MCXT_ALLOC_ZERO);
		t->rev[t->n] = rev;
	}
	p = &t->set[t->n++];
	p->key = key;
	p->period = period;
	p->pad = 0;
}

/* Raise the revenue scale of every pair to s. */
static void
ret_rescale(RetState *t, int32 s)
{
	uint64		k;
	int64		f = 1;
	int			e;

	if (s <= t->rev_scale)
		return;
	for (e = t->rev_scale; e < s; e++)
		if (__builtin_mul_overflow(f, 10, &f))
			revenue_overflow();
	/* every amount checked before any is changed: an overflow changes none */
	for (k = 0; k < t->n && t->rev; k++)
	{
		int64		r;

		INTERRUPTS_EVERY_64K(k);
		if (__builtin_mul_overflow(t->rev[k], f, &r))
			revenue_overflow();
	}
	for (k = 0; k < t->n && t->rev; k++)
		t->rev[k] *= f;
	t->rev_scale = s;
}

/* ---------- flat form ---------- */

static inline char *
put_varint(char *p, uint64 v)
{
	while (v >= 0x80)
	{
		*p++ = (char) ((v & 0x7F) | 0x80);
		v >>= 7;
	}
	*p++ = (char) v;
	return p;
}

static inline const char *
get_varint(const char *p, const char *end, uint64 *v)
{
	uint64		r = 0;
	int			shift = 0;

	for (;;)
	{
		uint8		b;

		if (p >= end || shift > 63)
			ret_corrupt("Its pair list is truncated or malformed.");
		b = (uint8) *p++;
		r |= ((uint64) (b & 0x7F)) << shift;
		if (!(b & 0x80))
			break;
		shift += 7;
	}
	*v = r;
	return p;
}

#define ZIGZAG(v) (((uint64) (v) << 1) ^ (uint64) ((int64) (v) >> 63))
#define UNZIGZAG(u) ((int64) ((u) >> 1) ^ -(int64) ((u) & 1))


/*
 * The canonical flat form: its size, and written into dst unless dst is
 * NULL.  The pairs are compacted first (once: a second call finds them so).
 */
static Size
ret_write_flat(RetState *t, char *dst)
{
	Pair	   *v;
	uint64		k,
				n;
	char		buf[10];
	char	   *p = dst ? dst + sizeof(RetFlat) : buf;
	Size		size = sizeof(RetFlat);
	int64		customers = 0;
	int32		lo = 0,
				hi = 0;

#define PUT(v) do { char *e_ = put_varint(p, (v)); size += e_ - p; if (dst) p = e_; } while (0)
	if (t->sorted != t->n)
		ret_dedup(t);			/* no room made for more pairs: most are done */
	v = t->set;
	n = t->n;
	for (k = 0; k < n; k++)
	{
		INTERRUPTS_EVERY_64K(k);
		if (k == 0 || v[k].period < lo)
			lo = v[k].period;
		if (k == 0 || v[k].period > hi)
			hi = v[k].period;
	}
	if (n > 0 && (int64) hi - lo >= MAX_SPAN)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("retention activity spans more than %d periods", MAX_SPAN),
				 errhint("Use a coarser granularity, or filter out dates far from the rest.")));
	for (k = 0; k < n;)
	{
		uint64		j = k;
		int32		prev;

		CHECK_FOR_INTERRUPTS();
		while (j < n && v[j].key == v[k].key)
			j++;
		PUT(customers == 0 ? ZIGZAG(v[k].key) : (uint64) v[k].key - (uint64) v[k - 1].key);
		PUT(j - k);
		prev = lo - 1;
		for (uint64 m = k; m < j; m++)
		{
			PUT((uint64) ((int64) v[m].period - prev - 1));
			prev = v[m].period;
		}
		if (t->flags & RET_REVENUE)
			for (uint64 m = k; m < j; m++)
				PUT(ZIGZAG(t->rev ? t->rev[m] : 0));
		customers++;
		k = j;
	}
#undef PUT
	if (dst)
	{
		RetFlat    *f = (RetFlat *) dst;

		memset(f, 0, sizeof(RetFlat));
		SET_VARSIZE(f, size);
		f->hdr.version = HB_FORMAT_VERSION;
		f->hdr.kind = HB_KIND_RETENTION;
		f->hdr.flags = t->flags;
		f->granularity = t->granularity;
		f->rev_scale = (t->flags & RET_REVENUE) ? t->rev_scale : 0;
		f->customers = customers;
		f->pairs = (int64) n;
		f->first_period = lo;
		f->last_period = hi;
	}
	return size;
}

static Size
ret_get_flat_size(ExpandedObjectHeader *eohptr)
{
	return ret_write_flat((RetState *) eohptr, NULL);
}

static void
ret_flatten_into(ExpandedObjectHeader *eohptr, void *result, Size allocated_size)
{
	PG_USED_FOR_ASSERTS_ONLY Size size = ret_write_flat((RetState *) eohptr, result);

	Assert(size == allocated_size);
}

/*
 * Walks a flat summary customer by customer, checking every bound; calls
 * fn with the customer's periods (ascending) and revenues (or NULL).
 */
typedef void (*customer_fn) (void *arg, int64 key, const int32 *periods, const int64 *revs, int n);

static void
ret_walk(const RetFlat *f, customer_fn fn, void *arg)
{
	const char *p = (const char *) f + sizeof(RetFlat);
	const char *end = (const char *) f + VARSIZE(f);
	int64		c,
				pairs = 0,
				key = 0;
	int32	   *periods = NULL;
	int64	   *revs = NULL;
	int			cap = 0;

	for (c = 0; c < f->customers; c++)
	{
		uint64		u,
					cnt,
					m;
		int64		prev = (int64) f->first_period - 1;

		p = get_varint(p, end, &u);
		if (c == 0)
			key = UNZIGZAG(u);
		else
		{
			if (u == 0)
				ret_corrupt("Its customers are not in order.");
			key = (int64) ((uint64) key + u);
		}
		p = get_varint(p, end, &cnt);
		if (cnt == 0 || cnt > (uint64) (f->pairs - pairs) ||
			cnt > (uint64) f->last_period - f->first_period + 1)
			ret_corrupt("A customer's period count is out of range.");
		if ((int) cnt > cap)
		{
			cap = Max((int) cnt, 64);
			periods = periods ? repalloc(periods, sizeof(int32) * cap) : palloc(sizeof(int32) * cap);
			revs = revs ? repalloc(revs, sizeof(int64) * cap) : palloc(sizeof(int64) * cap);
		}
		for (m = 0; m < cnt; m++)
		{
			INTERRUPTS_EVERY_64K(pairs + m);
			p = get_varint(p, end, &u);
			if ((int64) f->last_period - prev - 1 < 0 || u > (uint64) ((int64) f->last_period - prev - 1))
				ret_corrupt("A period is out of range.");
			prev = prev + 1 + (int64) u;
			periods[m] = (int32) prev;
		}
		if (f->hdr.flags & RET_REVENUE)
			for (m = 0; m < cnt; m++)
			{
				p = get_varint(p, end, &u);
				revs[m] = UNZIGZAG(u);
			}
		pairs += cnt;
		if (fn)
			fn(arg, key, periods, (f->hdr.flags & RET_REVENUE) ? revs : NULL, (int) cnt);
	}
	if (p != end || pairs != f->pairs)
		ret_corrupt("Its pair list does not match its counts.");
}

static void
ret_check(const RetFlat *f)
{
	if (VARSIZE(f) < sizeof(RetFlat) || f->hdr.kind != HB_KIND_RETENTION)
		ret_corrupt("It is shorter than its header or of another family.");
	hb_check_version(f->hdr.version, TYPNAME);
	if (f->hdr.flags & ~(RET_REVENUE | RET_HASHED))
		ret_corrupt("It has unknown flags.");
	if (f->granularity < G_NONE || f->granularity > G_YEAR || f->rev_scale < 0 || f->rev_scale > 1000 ||
		f->customers < 0 || f->pairs < f->customers ||
		(f->customers == 0) != (f->pairs == 0) || (f->pairs > 0 && f->first_period > f->last_period) ||
		(f->pairs > 0 && f->granularity == G_NONE) ||
		(f->pairs > 0 && (int64) f->last_period - f->first_period >= MAX_SPAN))
		ret_corrupt("Its header is inconsistent.");
}

static RetFlat *
ret_flat(Datum d)
{
	RetFlat    *f = (RetFlat *) PG_DETOAST_DATUM(d);

	ret_check(f);
	return f;
}

typedef struct MergeArg
{
	RetState   *t;
	int64		factor;			/* revenue scale-up */
} MergeArg;

static void
merge_customer(void *arg, int64 key, const int32 *periods, const int64 *revs, int n)
{
	MergeArg   *m = (MergeArg *) arg;
	int			k;

	for (k = 0; k < n; k++)
	{
		int64		r = 0;

		if (revs && __builtin_mul_overflow(revs[k], m->factor, &r))
			revenue_overflow();
		ret_insert(m->t, key, periods[k], r);
	}
}

pg_noreturn static void
mismatch(const char *what, const char *hint)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("cannot merge retention summaries of different %s", what),
			 errhint("%s", hint)));
}

/* Adopt or check the kind of a summary being merged or a row being added. */
static void
ret_kind(RetState *t, int g, uint16 flags)
{
	bool		empty = t->n == 0 && t->granularity == G_NONE;

	if (g == G_NONE)
		return;
	if (empty)
	{
		t->granularity = g;
		t->flags = flags;
		return;
	}
	if (t->granularity == G_NONE)
		t->granularity = g;
	if (t->granularity != g)
		mismatch("granularity", "Roll up summaries built with the same granularity.");
	if (t->n > 0 && (t->flags & RET_HASHED) != (flags & RET_HASHED))
		mismatch("customer key types", "Use bigint keys everywhere, or text/uuid keys everywhere.");
	if (t->n > 0 && (t->flags & RET_REVENUE) != (flags & RET_REVENUE))
		mismatch("kinds", "Summaries with revenue merge only with summaries with revenue.");
	t->flags = flags;
}

static void
ret_merge_flat(RetState *t, const RetFlat *f)
{
	MergeArg	m = {t, 1};
	int			e;

	if (f->pairs == 0)
	{
		ret_walk(f, NULL, NULL);
		return;
	}
	ret_kind(t, f->granularity, f->hdr.flags);
	if (f->hdr.flags & RET_REVENUE)
	{
		ret_rescale(t, f->rev_scale);
		for (e = f->rev_scale; e < t->rev_scale; e++)
			if (__builtin_mul_overflow(m.factor, 10, &m.factor))
				revenue_overflow();
	}
	ret_walk(f, merge_customer, &m);
	/* read into an empty state, the pairs are sorted when they were in order */
	if (t->sorted == 0)
	{
		uint64		k;

		for (k = 1; k < t->n && PAIR_LESS(t->set[k - 1], t->set[k]); k++)
			INTERRUPTS_EVERY_64K(k);
		if (k >= t->n)
			t->sorted = t->n;
	}
}

static pg_attribute_always_inline RetState *
ret_state(FunctionCallInfo fcinfo)
{
	RetState   *t = (RetState *) hb_rw_state(fcinfo, &ret_methods);
	RetFlat    *f;
	uint64		room;

	if (t != NULL)
		return t;
	if (PG_ARGISNULL(0))		/* called by hand: start empty */
		return ret_new(CurrentMemoryContext, 0);
	f = ret_flat(PG_GETARG_DATUM(0));
	/* room for its pairs and one more (a pair takes a byte at least) */
	room = Min((uint64) f->pairs, VARSIZE(f) - sizeof(RetFlat)) + 1;
	t = ret_new(hb_state_home(fcinfo, VARSIZE(f), (uint64) f->pairs), room);
	ret_merge_flat(t, f);
	return t;
}

/* ---------- transition ---------- */

#define DAY_CACHE 1024
typedef struct TransCache
{
	int32		cday[DAY_CACHE];	/* day -> period, direct-mapped */
	int32		cperiod[DAY_CACHE];
	int			gran;
	text	   *gran_text;		/* the last granularity argument seen */
	Oid			key_type;		/* from the function's own signature */
	Oid			at_type;
	int			revenue_arg;	/* its position, 0 if none */
	text	   *zone_text;		/* timestamptz: the last time zone seen */
	pg_tz	   *zone;
	TzCache		tz;
	/* revenue: 10^factor_scale and the bigint bounds, made once */
	int32		factor_scale;
	Numeric		factor;
	Numeric		int8_max;
	Numeric		int8_min;
} TransCache;

/*
 * True when a text argument differs from the copy kept in *kept (NULL at
 * first), which then becomes a copy of it in cxt.
 */
static bool
text_arg_changed(text *arg, text **kept, MemoryContext cxt)
{
	Size		len = VARSIZE_ANY_EXHDR(arg);

	if (*kept != NULL && VARSIZE_ANY_EXHDR(*kept) == len &&
		memcmp(VARDATA_ANY(*kept), VARDATA_ANY(arg), len) == 0)
		return false;
	if (*kept != NULL)
		pfree(*kept);
	*kept = (text *) MemoryContextAlloc(cxt, VARSIZE_ANY(arg));
	memcpy(*kept, arg, VARSIZE_ANY(arg));
	return true;
}

/* The time zone argument of a timestamptz overload, looked up when it changes. */
static pg_tz *
retention_zone(FunctionCallInfo fcinfo, TransCache *c)
{
	text	   *z;

	if (PG_ARGISNULL(4))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("retention time zone must not be NULL"),
				 errhint("Name the zone whose calendar cuts the periods, for example 'UTC' or 'America/Sao_Paulo'.")));
	z = PG_GETARG_TEXT_PP(4);
	if (text_arg_changed(z, &c->zone_text, fcinfo->flinfo->fn_mcxt))
	{
		char	   *name = text_to_cstring(z);

		c->zone = pg_tzset(name);
		if (c->zone == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("time zone \"%s\" not recognized", name),
					 errhint("Use a name from pg_timezone_names, for example 'UTC' or 'America/Sao_Paulo'.")));
	}
	return c->zone;
}

/*
 * retention_trans(state, granularity, customer, active_at [, time_zone]
 * [, revenue]): every overload.  The argument types come from the
 * function's own declaration (fn_oid), never from the call site, which
 * callers such as Citus's worker_partial_agg do not pass; a timestamptz
 * is cut into days in the time zone given as an argument, never the
 * session's, so the result is the same wherever the call runs.
 */
PG_FUNCTION_INFO_V1(retention_trans);
Datum
retention_trans(PG_FUNCTION_ARGS)
{
	RetState   *t = ret_state(fcinfo);
	TransCache *c = (TransCache *) fcinfo->flinfo->fn_extra;
	bool		with_rev;
	int64		key;
	int32		day;
	int64		rev = 0;
	text	   *g;
	uint16		flags;

	if (c == NULL)
	{
		Oid		   *argtypes;
		int			nargs;

		c = MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt, sizeof(TransCache));
		get_func_signature(fcinfo->flinfo->fn_oid, &argtypes, &nargs);
		c->key_type = argtypes[2];
		c->at_type = argtypes[3];
		c->revenue_arg = argtypes[nargs - 1] == NUMERICOID ? nargs - 1 : 0;
		if (c->at_type == TIMESTAMPTZOID && !(nargs > 4 && argtypes[4] == TEXTOID))
			ereport(ERROR,
					(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
					 errmsg("retention_agg over timestamptz without a time zone is no longer supported"),
					 errdetail("This database's heartbeat objects are older than the heartbeat library."),
					 errhint("Run ALTER EXTENSION heartbeat UPDATE, then name the zone: retention_agg(granularity, customer, active_at, 'UTC').")));
		fcinfo->flinfo->fn_extra = c;
	}
	with_rev = c->revenue_arg != 0;
	if (PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("retention granularity must not be NULL"),
				 errhint("Use one of day, week, month, quarter, year.")));
	g = PG_GETARG_TEXT_PP(1);
	if (text_arg_changed(g, &c->gran_text, fcinfo->flinfo->fn_mcxt))
	{
		c->gran = gran_parse(g);
		for (int i = 0; i < DAY_CACHE; i++)
			c->cperiod[i] = PG_INT32_MIN;	/* empty */
	}
	if (PG_ARGISNULL(2) || PG_ARGISNULL(3))
		PG_RETURN_DATUM(hb_state_return(fcinfo, &t->hdr));	/* NULL customer or time: ignored */

	/* the key */
	if (c->key_type == INT8OID)
		key = PG_GETARG_INT64(2);
	else if (c->key_type == UUIDOID)
		key = hash_key((const char *) PG_GETARG_UUID_P(2)->data, UUID_LEN);
	else
	{
		text	   *k = PG_GETARG_TEXT_PP(2);

		key = hash_key(VARDATA_ANY(k), VARSIZE_ANY_EXHDR(k));
	}

	/* the day */
	if (c->at_type == DATEOID)
	{
		DateADT		d = PG_GETARG_DATEADT(3);

		if (DATE_NOT_FINITE(d))
			goto infinite;
		day = d;
	}
	else
	{
		Timestamp	ts = PG_GETARG_TIMESTAMP(3);

		if (TIMESTAMP_NOT_FINITE(ts))
			goto infinite;
		day = c->at_type == TIMESTAMPTZOID ? local_day(&c->tz, retention_zone(fcinfo, c), ts)
			: (int32) floor_div(ts, USECS_PER_DAY);
	}

	flags = (c->key_type == INT8OID ? 0 : RET_HASHED) | (with_rev ? RET_REVENUE : 0);
	if (unlikely(t->granularity != c->gran || t->flags != flags || t->n == 0))
		ret_kind(t, c->gran, flags);

	if (with_rev && !PG_ARGISNULL(c->revenue_arg))
	{
		Numeric		n = PG_GETARG_NUMERIC(c->revenue_arg);
		int32		s;
		Numeric		scaled;

		if (numeric_is_nan(n) || numeric_is_inf(n))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("retention revenue must be a finite number")));
		s = DatumGetInt32(DirectFunctionCall1(numeric_scale, NumericGetDatum(n)));
		ret_rescale(t, s);
		if (c->factor == NULL || c->factor_scale != t->rev_scale)
		{
			MemoryContext old = MemoryContextSwitchTo(fcinfo->flinfo->fn_mcxt);

			c->factor = DatumGetNumeric(DirectFunctionCall2(numeric_power,
															NumericGetDatum(int64_to_numeric(10)),
															NumericGetDatum(int64_to_numeric(t->rev_scale))));
			c->factor_scale = t->rev_scale;
			if (c->int8_max == NULL)
			{
				c->int8_max = int64_to_numeric(PG_INT64_MAX);
				c->int8_min = int64_to_numeric(PG_INT64_MIN);
			}
			MemoryContextSwitchTo(old);
		}
		scaled = DatumGetNumeric(DirectFunctionCall2(numeric_mul, NumericGetDatum(n), NumericGetDatum(c->factor)));
		if (DatumGetInt32(DirectFunctionCall2(numeric_cmp, NumericGetDatum(scaled), NumericGetDatum(c->int8_max))) > 0 ||
			DatumGetInt32(DirectFunctionCall2(numeric_cmp, NumericGetDatum(scaled), NumericGetDatum(c->int8_min))) < 0)
			revenue_overflow();
		rev = DatumGetInt64(DirectFunctionCall1(numeric_int8, NumericGetDatum(scaled)));
	}
	{
		int			slot = day & (DAY_CACHE - 1);

		if (c->cday[slot] != day || c->cperiod[slot] == PG_INT32_MIN)
		{
			c->cday[slot] = day;
			c->cperiod[slot] = period_of_day(c->gran, day);
		}
		ret_insert(t, key, c->cperiod[slot], rev);
	}
	PG_RETURN_DATUM(hb_state_return(fcinfo, &t->hdr));

infinite:
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("retention activity time must be finite"),
			 errhint("Filter out rows whose active_at is infinity or -infinity.")));
	PG_RETURN_NULL();
}

PG_FUNCTION_INFO_V1(retention_combine);
Datum
retention_combine(PG_FUNCTION_ARGS)
{
	RetState   *t = ret_state(fcinfo);

	ret_merge_flat(t, ret_flat(PG_GETARG_DATUM(1)));
	PG_RETURN_DATUM(hb_state_return(fcinfo, &t->hdr));
}

/* ---------- accessors ---------- */

PG_FUNCTION_INFO_V1(retention_customers);
Datum
retention_customers(PG_FUNCTION_ARGS)
{
	PG_RETURN_INT64(ret_flat(PG_GETARG_DATUM(0))->customers);
}

/*
 * n zeroed elements of elem_size bytes, for the per-period counters (a
 * span of 40M periods makes hundreds of MB): cleared 64 MB at a time,
 * checking for interrupts in between.
 */
static void *
zeroed_array(int32 n, Size elem_size)
{
	Size		size = (Size) n * elem_size;
	char	   *p;

	CHECK_FOR_INTERRUPTS();
	p = MemoryContextAllocExtended(CurrentMemoryContext, size, MCXT_ALLOC_HUGE);
	for (Size done = 0; done < size; done += (Size) 1 << 26)
	{
		CHECK_FOR_INTERRUPTS();
		memset(p + done, 0, Min((Size) 1 << 26, size - done));
	}
	return p;
}

typedef struct PeriodAcc
{
	int32		first;
	int32		span;
	int64	   *active,
			   *newc,
			   *returning,
			   *retained,
			   *churned;
} PeriodAcc;

static void
period_customer(void *arg, int64 key, const int32 *p, const int64 *revs, int n)
{
	PeriodAcc  *a = (PeriodAcc *) arg;
	int			k;

	for (k = 0; k < n; k++)
	{
		int32		i = p[k] - a->first;

		a->active[i]++;
		if (k == 0)
			a->newc[i]++;
		else if (p[k - 1] == p[k] - 1)
			a->retained[i]++;
		else
			a->returning[i]++;
		/* gone the period after, unless active again then */
		if ((k == n - 1 || p[k + 1] != p[k] + 1) && i + 1 < a->span)
			a->churned[i + 1]++;
	}
}

static Datum
rate_or_null(int64 num, int64 den, bool *isnull)
{
	*isnull = den == 0;
	return Float8GetDatum(den == 0 ? 0.0 : (double) num / (double) den);
}

/* retention(s): one row per period from the first to the last. */
PG_FUNCTION_INFO_V1(retention_periods);
Datum
retention_periods(PG_FUNCTION_ARGS)
{
	RetFlat    *f = ret_flat(PG_GETARG_DATUM(0));
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	PeriodAcc	a;
	int32		i;

	InitMaterializedSRF(fcinfo, 0);
	if (f->pairs == 0)
		return (Datum) 0;
	a.first = f->first_period;
	a.span = f->last_period - f->first_period + 1;
	a.active = zeroed_array(a.span, sizeof(int64));
	a.newc = zeroed_array(a.span, sizeof(int64));
	a.returning = zeroed_array(a.span, sizeof(int64));
	a.retained = zeroed_array(a.span, sizeof(int64));
	a.churned = zeroed_array(a.span, sizeof(int64));
	ret_walk(f, period_customer, &a);
	for (i = 0; i < a.span; i++)
	{
		Datum		v[9];
		bool		nulls[9] = {false};
		int64		prev = i > 0 ? a.active[i - 1] : 0;

		CHECK_FOR_INTERRUPTS();
		v[0] = DateADTGetDatum(period_start(f->granularity, a.first + i));
		v[1] = Int64GetDatum(a.active[i]);
		v[2] = Int64GetDatum(a.newc[i]);
		v[3] = Int64GetDatum(a.returning[i]);
		v[4] = Int64GetDatum(a.retained[i]);
		v[5] = Int64GetDatum(a.churned[i]);
		v[6] = rate_or_null(a.retained[i], prev, &nulls[6]);
		v[7] = rate_or_null(a.churned[i], prev, &nulls[7]);
		v[8] = rate_or_null(a.active[i] - a.newc[i], prev, &nulls[8]);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, v, nulls);
	}
	return (Datum) 0;
}

/*
 * The cohort triangle is counted sparsely, in a pair set of its own: key =
 * cohort (first period, from 0), period = offset, revenue = customers.  It
 * is compacted whenever full and grown by half when still half full, so
 * it holds at most three times the cells with activity, whatever the span.
 * Past COHORT_MAX_CELLS cells it is an ERROR: up to there the set holds at
 * most 19M entries of 24 bytes and a compaction sorts at most 13M of them
 * apart, about 800 MB in all.
 */
#define COHORT_MAX_CELLS (1 << 23)

typedef struct CohortAcc
{
	int32		first;
	RetState   *cells;
} CohortAcc;

static void
cohort_cells_dedup(RetState *cells)
{
	ret_dedup(cells);
	if (cells->n > COHORT_MAX_CELLS)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("cohort triangle has more than %d cells with activity", COHORT_MAX_CELLS),
				 errdetail("cohorts() keeps a count for each (cohort, period_offset) cell with activity, in up to 800 MB of memory."),
				 errhint("Use a coarser granularity, or filter the activity to a shorter span.")));
}

static void
cohort_customer(void *arg, int64 key, const int32 *p, const int64 *revs, int n)
{
	CohortAcc  *a = (CohortAcc *) arg;
	RetState   *cells = a->cells;
	int			k;

	for (k = 0; k < n; k++)
	{
		if (cells->n == cells->cap)
		{
			cohort_cells_dedup(cells);
			if (cells->n * 2 > cells->cap)
				ret_grow(cells);
		}
		ret_insert(cells, p[0] - a->first, p[k] - p[0], 1);
	}
}

/* cohorts(s): cohort, period_offset, cohort_size, active, retention. */
PG_FUNCTION_INFO_V1(retention_cohorts);
Datum
retention_cohorts(PG_FUNCTION_ARGS)
{
	RetFlat    *f = ret_flat(PG_GETARG_DATUM(0));
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	CohortAcc	a;
	int32		span;
	uint64		i = 0;

	InitMaterializedSRF(fcinfo, 0);
	if (f->pairs == 0)
		return (Datum) 0;
	a.first = f->first_period;
	span = f->last_period - f->first_period + 1;
	a.cells = ret_new(CurrentMemoryContext, 1 << 16);	/* few sorts when cells are few */
	a.cells->flags = RET_REVENUE;
	ret_walk(f, cohort_customer, &a);
	cohort_cells_dedup(a.cells);

	/*
	 * Cells sorted by cohort and offset; each cohort starts with offset 0,
	 * its size.  Every offset up to the last period is listed, zeros too.
	 */
	while (i < a.cells->n)
	{
		int32		c = (int32) a.cells->set[i].key;
		int64		size = a.cells->rev[i];

		Assert(a.cells->set[i].period == 0);
		for (int32 o = 0; c + o < span; o++)
		{
			Datum		v[5];
			bool		nulls[5] = {false};
			int64		act = 0;

			INTERRUPTS_EVERY_64K(o);
			if (i < a.cells->n && a.cells->set[i].key == c && a.cells->set[i].period == o)
				act = a.cells->rev[i++];
			v[0] = DateADTGetDatum(period_start(f->granularity, a.first + c));
			v[1] = Int32GetDatum(o);
			v[2] = Int64GetDatum(size);
			v[3] = Int64GetDatum(act);
			v[4] = Float8GetDatum((double) act / (double) size);
			tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, v, nulls);
		}
	}
	pfree(a.cells->set);			/* up to 800 MB: not left to the call's end */
	if (a.cells->rev)
		pfree(a.cells->rev);
	pfree(a.cells);
	return (Datum) 0;
}

typedef struct RevAcc
{
	int32		first;
	int32		span;
	int128	   *start,
			   *expansion,
			   *contraction,
			   *churned,
			   *kept;			/* sum of min(now, before) */
} RevAcc;

static void
revenue_customer(void *arg, int64 key, const int32 *p, const int64 *r, int n)
{
	RevAcc	   *a = (RevAcc *) arg;
	int			k;

	for (k = 0; k < n; k++)
	{
		int32		next = p[k] + 1 - a->first;
		int64		before = r[k],
					now;

		if (next >= a->span)
			continue;
		now = (k + 1 < n && p[k + 1] == p[k] + 1) ? r[k + 1] : 0;
		a->start[next] += before;
		if (k + 1 < n && p[k + 1] == p[k] + 1)
		{
			if (now > before)
				a->expansion[next] += now - before;
			else
				a->contraction[next] += before - now;
		}
		else
			a->churned[next] += before;
		a->kept[next] += Min(now, before);
	}
}


/* revenue_retention(s): per period, over the customers active the period before. */
PG_FUNCTION_INFO_V1(retention_revenue);
Datum
retention_revenue(PG_FUNCTION_ARGS)
{
	RetFlat    *f = ret_flat(PG_GETARG_DATUM(0));
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	RevAcc		a;
	int32		i;

	if (f->pairs > 0 && !(f->hdr.flags & RET_REVENUE))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("this retention_summary carries no revenue"),
				 errhint("Build it with retention_agg(granularity, customer, active_at, revenue).")));
	InitMaterializedSRF(fcinfo, 0);
	if (f->pairs == 0)
		return (Datum) 0;
	a.first = f->first_period;
	a.span = f->last_period - f->first_period + 1;
	a.start = zeroed_array(a.span, sizeof(int128));
	a.expansion = zeroed_array(a.span, sizeof(int128));
	a.contraction = zeroed_array(a.span, sizeof(int128));
	a.churned = zeroed_array(a.span, sizeof(int128));
	a.kept = zeroed_array(a.span, sizeof(int128));
	ret_walk(f, revenue_customer, &a);
	for (i = 1; i < a.span; i++)
	{
		Datum		v[7];
		bool		nulls[7] = {false};
		int128		now = a.start[i] + a.expansion[i] - a.contraction[i] - a.churned[i];

		CHECK_FOR_INTERRUPTS();
		v[0] = DateADTGetDatum(period_start(f->granularity, a.first + i));
		v[1] = NumericGetDatum(hb_int128_numeric(a.start[i], f->rev_scale));
		v[2] = NumericGetDatum(hb_int128_numeric(a.expansion[i], f->rev_scale));
		v[3] = NumericGetDatum(hb_int128_numeric(a.contraction[i], f->rev_scale));
		v[4] = NumericGetDatum(hb_int128_numeric(a.churned[i], f->rev_scale));
		nulls[5] = nulls[6] = a.start[i] == 0;
		v[5] = Float8GetDatum(a.start[i] == 0 ? 0.0 : (double) now / (double) a.start[i]);
		v[6] = Float8GetDatum(a.start[i] == 0 ? 0.0 : (double) a.kept[i] / (double) a.start[i]);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, v, nulls);
	}
	return (Datum) 0;
}

/* ---------- text and binary I/O ---------- */

/* Re-derives the canonical flat form through a state: checks everything. */
static Datum
ret_from_flat_bytes(RetFlat *f)
{
	RetState   *t;
	RetFlat    *g;

	ret_check(f);
	t = ret_new(CurrentMemoryContext, 0);
	t->granularity = f->granularity;
	t->flags = f->hdr.flags;
	t->rev_scale = f->rev_scale;
	ret_merge_flat(t, f);
	g = (RetFlat *) PG_DETOAST_DATUM(EOHPGetRWDatum(&t->hdr));
	if (g->pairs != f->pairs)
		ret_corrupt("It lists a customer-period pair twice.");
	if (g->customers != f->customers ||
		(f->pairs > 0 && (g->first_period != f->first_period || g->last_period != f->last_period)))
		ret_corrupt("Its customer count or period range does not match its pairs.");
	return PointerGetDatum(g);
}

/* A flat summary from its header fields and pair list, checked and canonical. */
static Datum
ret_from_parts(uint16 flags, int32 g, int32 rev_scale, int64 customers, int64 pairs,
			   int32 first, int32 last, const char *bytes, int len)
{
	RetFlat    *f = palloc(sizeof(RetFlat) + len);	/* all written below */

	memset(f, 0, sizeof(RetFlat));
	SET_VARSIZE(f, sizeof(RetFlat) + len);
	f->hdr.version = HB_FORMAT_VERSION;
	f->hdr.kind = HB_KIND_RETENTION;
	f->hdr.flags = flags;
	f->granularity = g;
	f->rev_scale = rev_scale;
	f->customers = customers;
	f->pairs = pairs;
	f->first_period = first;
	f->last_period = last;
	memcpy((char *) f + sizeof(RetFlat), bytes, len);
	return ret_from_flat_bytes(f);
}

PG_FUNCTION_INFO_V1(retention_summary_out);
Datum
retention_summary_out(PG_FUNCTION_ARGS)
{
	RetFlat    *f = ret_flat(PG_GETARG_DATUM(0));
	StringInfoData buf;

	hb_text_out_begin(&buf);
	hb_text_out_raw(&buf, "granularity", gran_names[f->granularity], true);
	hb_text_out_raw(&buf, "keys", (f->hdr.flags & RET_HASHED) ? "hash" : "bigint", true);
	hb_text_out_raw(&buf, "revenue_scale", (f->hdr.flags & RET_REVENUE) ? psprintf("%d", f->rev_scale) : NULL, false);
	hb_text_out_int64(&buf, "customers", f->customers);
	hb_text_out_int64(&buf, "pairs", f->pairs);
	hb_text_out_int64(&buf, "first_period", f->first_period);
	hb_text_out_int64(&buf, "last_period", f->last_period);
	hb_text_out_raw(&buf, "data", hb_base64((const char *) f + sizeof(RetFlat), VARSIZE(f) - sizeof(RetFlat)), true);
	hb_text_out_end(&buf);
	PG_RETURN_CSTRING(buf.data);
}

static Datum
retention_summary_in_checked(PG_FUNCTION_ARGS)
{
	HbTextReader r;
	char	   *gran,
			   *keys,
			   *scale,
			   *data;
	int64		customers,
				pairs,
				first,
				last;
	int			g,
				len;
	char	   *bytes;

	hb_text_begin(&r, PG_GETARG_CSTRING(0), TYPNAME);
	gran = hb_text_value_field(&r, "granularity");
	keys = hb_text_value_field(&r, "keys");
	scale = hb_text_value_field(&r, "revenue_scale");
	customers = hb_text_int64_field(&r, "customers");
	pairs = hb_text_int64_field(&r, "pairs");
	first = hb_text_int64_field(&r, "first_period");
	last = hb_text_int64_field(&r, "last_period");
	data = hb_text_value_field(&r, "data");
	hb_text_end(&r);
	for (g = G_DAY; g <= G_YEAR && gran; g++)
		if (strcmp(gran, gran_names[g]) == 0)
			break;
	if (gran == NULL)
		g = G_NONE;
	else if (g > G_YEAR)
		hb_text_bad(&r, "Unknown granularity: use day, week, month, quarter or year.");
	if (keys == NULL || (strcmp(keys, "bigint") != 0 && strcmp(keys, "hash") != 0))
		hb_text_bad(&r, "\"keys\" must be \"bigint\" or \"hash\".");
	if (first < PG_INT32_MIN || first > PG_INT32_MAX || last < PG_INT32_MIN || last > PG_INT32_MAX)
		hb_text_bad(&r, "A period number is out of range.");
	bytes = hb_unbase64(&r, data ? data : "", &len);
	PG_RETURN_DATUM(ret_from_parts((strcmp(keys, "hash") == 0 ? RET_HASHED : 0) | (scale ? RET_REVENUE : 0),
								   g, scale ? pg_strtoint32(scale) : 0, customers, pairs,
								   (int32) first, (int32) last, bytes, len));
}
HB_INPUT_FUNCTION(retention_summary_in, retention_summary_in_checked, ERRCODE_INVALID_TEXT_REPRESENTATION)

PG_FUNCTION_INFO_V1(retention_summary_send);
Datum
retention_summary_send(PG_FUNCTION_ARGS)
{
	RetFlat    *f = ret_flat(PG_GETARG_DATUM(0));
	StringInfoData buf;

	pq_begintypsend(&buf);
	hb_send_header(&buf, HB_KIND_RETENTION);
	pq_sendint16(&buf, f->hdr.flags);
	pq_sendint32(&buf, f->granularity);
	pq_sendint32(&buf, f->rev_scale);
	pq_sendint64(&buf, f->customers);
	pq_sendint64(&buf, f->pairs);
	pq_sendint32(&buf, f->first_period);
	pq_sendint32(&buf, f->last_period);
	pq_sendbytes(&buf, (const char *) f + sizeof(RetFlat), VARSIZE(f) - sizeof(RetFlat));
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

static Datum
retention_summary_recv_checked(PG_FUNCTION_ARGS)
{
	StringInfo	buf = (StringInfo) PG_GETARG_POINTER(0);
	int			len;
	uint16		flags;
	int32		g,
				s,
				first,
				last;
	int64		customers,
				pairs;

	hb_recv_header(buf, HB_KIND_RETENTION, TYPNAME);
	if (buf->len - buf->cursor < 2 + 4 + 4 + 8 + 8 + 4 + 4)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("invalid binary %s value", TYPNAME),
				 errdetail("The value is truncated.")));
	flags = pq_getmsgint(buf, 2);
	g = pq_getmsgint(buf, 4);
	s = pq_getmsgint(buf, 4);
	customers = pq_getmsgint64(buf);
	pairs = pq_getmsgint64(buf);
	first = pq_getmsgint(buf, 4);
	last = pq_getmsgint(buf, 4);
	len = buf->len - buf->cursor;
	PG_RETURN_DATUM(ret_from_parts(flags, g, s, customers, pairs, first, last,
								   pq_getmsgbytes(buf, len), len));
}
HB_INPUT_FUNCTION(retention_summary_recv, retention_summary_recv_checked, ERRCODE_INVALID_BINARY_REPRESENTATION)
