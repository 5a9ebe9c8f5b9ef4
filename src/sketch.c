/*
 * sketch.c - the relative-error quantile sketch shared by the families that
 * need percentiles (see sketch.h for the design).
 */
#include "sketch.h"

#include <math.h>

#include "common/int.h"

#define M ((double) SKETCH_BUCKETS_PER_OCTAVE)

/* Lower bound of bucket i: 2^e * (1 + j/M) with i = M e + j, 0 <= j < M. */
static inline double
sketch_bound(int32 i)
{
	int32		e = i >= 0 ? i / SKETCH_BUCKETS_PER_OCTAVE : -((-i + SKETCH_BUCKETS_PER_OCTAVE - 1) / SKETCH_BUCKETS_PER_OCTAVE);
	int32		j = i - e * SKETCH_BUCKETS_PER_OCTAVE;

	return ldexp(1.0 + j / M, e);
}

/* Representative of bucket i: equal relative distance to both ends. */
static double
sketch_bucket_value(int32 i)
{
	double		lo = sketch_bound(i);
	double		hi = sketch_bound(i + 1);

	return 2.0 * lo * hi / (lo + hi);
}

void
sketch_init(Sketch *s, MemoryContext cxt)
{
	memset(s, 0, sizeof(Sketch));
	s->cxt = cxt;
}

/* Make room for bucket i in a store. */
void
store_reserve(Sketch *s, SketchStore *st, int32 i)
{
	int32		lo,
				hi,
				newlen;
	int64	   *counts;

	if (st->len > 0 && i >= st->offset && i < st->offset + st->len)
		return;
	if (st->len == 0)
	{
		newlen = 64;
		lo = i - newlen / 2;
	}
	else
	{
		lo = Min(st->offset, i);
		hi = Max(st->offset + st->len, i + 1);
		newlen = Max(st->len * 2, hi - lo);
		/* grow toward the side that needed it */
		if (i < st->offset)
			lo = hi - newlen;
	}
	counts = MemoryContextAllocZero(s->cxt, sizeof(int64) * newlen);
	if (st->len > 0)
	{
		memcpy(counts + (st->offset - lo), st->counts, sizeof(int64) * st->len);
		pfree(st->counts);
	}
	st->counts = counts;
	st->offset = lo;
	st->len = newlen;
}

static void
store_merge(Sketch *dst, SketchStore *d, const SketchStore *src, const char *typname)
{
	int32		k;

	for (k = 0; k < src->len; k++)
		if (src->counts[k] != 0)
			sketch_store_add(dst, d, src->offset + k, src->counts[k], typname);
}

void
sketch_merge(Sketch *dst, const Sketch *src, const char *typname)
{
	dst->zeros = hb_count_add(dst->zeros, src->zeros, typname);
	store_merge(dst, &dst->pos, &src->pos, typname);
	store_merge(dst, &dst->neg, &src->neg, typname);
}

int64
sketch_total(const Sketch *s)
{
	int64		t = s->zeros;
	int32		k;

	for (k = 0; k < s->pos.len; k++)
		t += s->pos.counts[k];
	for (k = 0; k < s->neg.len; k++)
		t += s->neg.counts[k];
	return t;
}

/* ---------- flat form: varints ---------- */

static inline int
varint_size(uint64 v)
{
	int			n = 1;

	while (v >= 0x80)
	{
		v >>= 7;
		n++;
	}
	return n;
}

static inline char *
varint_put(char *p, uint64 v)
{
	while (v >= 0x80)
	{
		*p++ = (char) ((v & 0x7F) | 0x80);
		v >>= 7;
	}
	*p++ = (char) v;
	return p;
}

pg_noreturn static void
sketch_corrupt(const char *typname, const char *what)
{
	ereport(ERROR,
			(errcode(ERRCODE_DATA_CORRUPTED),
			 errmsg("invalid %s value", typname),
			 errdetail("The percentile sketch is malformed: %s.", what)));
}

static inline const char *
varint_get(const char *p, const char *end, uint64 *v, const char *typname)
{
	uint64		r = 0;
	int			shift = 0;

	for (;;)
	{
		uint8		b;

		if (p >= end)
			sketch_corrupt(typname, "it is truncated");
		if (shift > 63)
			sketch_corrupt(typname, "a number is too long");
		b = (uint8) *p++;
		r |= ((uint64) (b & 0x7F)) << shift;
		if (!(b & 0x80))
			break;
		shift += 7;
	}
	*v = r;
	return p;
}

static inline uint64
zigzag(int64 v)
{
	return ((uint64) v << 1) ^ (uint64) (v >> 63);
}

static inline int64
unzigzag(uint64 v)
{
	return (int64) (v >> 1) ^ -(int64) (v & 1);
}

/* Store layout: nbuckets, then (first index zigzag | gap - 1, count) pairs. */
static Size
store_flat_size(const SketchStore *st)
{
	Size		size = 0;
	int64		n = 0;
	int32		prev = 0;
	int32		k;

	for (k = 0; k < st->len; k++)
	{
		int32		i = st->offset + k;

		if (st->counts[k] == 0)
			continue;
		size += varint_size(n == 0 ? zigzag(i) : (uint64) (i - prev - 1));
		size += varint_size((uint64) st->counts[k]);
		prev = i;
		n++;
	}
	return size + varint_size((uint64) n);
}

static char *
store_flatten(const SketchStore *st, char *p)
{
	int64		n = 0;
	int32		prev = 0;
	int32		k;

	for (k = 0; k < st->len; k++)
		if (st->counts[k] != 0)
			n++;
	p = varint_put(p, (uint64) n);
	n = 0;
	for (k = 0; k < st->len; k++)
	{
		int32		i = st->offset + k;

		if (st->counts[k] == 0)
			continue;
		p = varint_put(p, n == 0 ? zigzag(i) : (uint64) (i - prev - 1));
		p = varint_put(p, (uint64) st->counts[k]);
		prev = i;
		n++;
	}
	return p;
}

Size
sketch_flat_size(const Sketch *s)
{
	return varint_size((uint64) s->zeros) + store_flat_size(&s->pos) + store_flat_size(&s->neg);
}

char *
sketch_flatten(const Sketch *s, char *dst)
{
	dst = varint_put(dst, (uint64) s->zeros);
	dst = store_flatten(&s->pos, dst);
	return store_flatten(&s->neg, dst);
}

/*
 * Walks one flat store, calling fn for each bucket.  Checks every bound:
 * indexes strictly increasing within the mapping's range, counts >= 1.
 */
typedef void (*bucket_fn) (void *arg, int32 index, int64 count);

static const char *
store_walk(const char *p, const char *end, const char *typname, bucket_fn fn, void *arg)
{
	uint64		n,
				k,
				v,
				c;
	int64		i = 0;
	/* |x| is clamped to [1e-300, 1e300]: indexes stay within +-M * 1000 */
	const int64 lim = (int64) SKETCH_BUCKETS_PER_OCTAVE * 1024;

	p = varint_get(p, end, &n, typname);
	if (n > (uint64) (end - p))
		sketch_corrupt(typname, "the bucket count exceeds its bytes");
	for (k = 0; k < n; k++)
	{
		p = varint_get(p, end, &v, typname);
		if (k == 0)
			i = unzigzag(v);
		else
		{
			if (v > (uint64) (2 * lim))
				sketch_corrupt(typname, "a bucket index is out of range");
			i = i + 1 + (int64) v;
		}
		if (i < -lim || i > lim)
			sketch_corrupt(typname, "a bucket index is out of range");
		p = varint_get(p, end, &c, typname);
		if (c == 0 || c > (uint64) PG_INT64_MAX)
			sketch_corrupt(typname, "a bucket count is out of range");
		fn(arg, (int32) i, (int64) c);
	}
	return p;
}

typedef struct MergeArg
{
	Sketch	   *s;
	SketchStore *st;
	const char *typname;
} MergeArg;

static void
merge_bucket(void *arg, int32 index, int64 count)
{
	MergeArg   *m = (MergeArg *) arg;

	sketch_store_add(m->s, m->st, index, count, m->typname);
}

const char *
sketch_merge_flat(Sketch *s, const char *p, const char *end, const char *typname)
{
	uint64		zeros;
	MergeArg	m = {s, &s->pos, typname};

	p = varint_get(p, end, &zeros, typname);
	if (zeros > (uint64) PG_INT64_MAX)
		sketch_corrupt(typname, "the zero count is out of range");
	s->zeros = hb_count_add(s->zeros, (int64) zeros, typname);
	p = store_walk(p, end, typname, merge_bucket, &m);
	m.st = &s->neg;
	return store_walk(p, end, typname, merge_bucket, &m);
}

typedef struct ViewArg
{
	SketchView *v;
	int			cap;
	double		sign;
	const char *typname;
} ViewArg;

static void
view_bucket(void *arg, int32 index, int64 count)
{
	ViewArg    *a = (ViewArg *) arg;
	SketchView *v = a->v;

	if (v->nbuckets == a->cap)
	{
		a->cap *= 2;
		v->value = repalloc(v->value, sizeof(double) * a->cap);
		v->count = repalloc(v->count, sizeof(int64) * a->cap);
	}
	v->value[v->nbuckets] = a->sign * sketch_bucket_value(index);
	v->count[v->nbuckets] = count;
	v->total = hb_count_add(v->total, count, a->typname);
	v->nbuckets++;
}

const char *
sketch_view(SketchView *v, const char *p, const char *end, const char *typname)
{
	uint64		zeros;
	ViewArg		a = {v, 64, 1.0, typname};
	int			npos,
				k;

	v->nbuckets = 0;
	v->total = 0;
	v->value = palloc(sizeof(double) * a.cap);
	v->count = palloc(sizeof(int64) * a.cap);
	p = varint_get(p, end, &zeros, typname);
	if (zeros > (uint64) PG_INT64_MAX)
		sketch_corrupt(typname, "the zero count is out of range");
	p = store_walk(p, end, typname, view_bucket, &a);
	npos = v->nbuckets;
	a.sign = -1.0;
	p = store_walk(p, end, typname, view_bucket, &a);
	/* order: negatives (by |x| descending), zero, positives ascending */
	{
		int			nneg = v->nbuckets - npos;
		int			n = v->nbuckets + (zeros > 0 ? 1 : 0);
		double	   *value = palloc(sizeof(double) * Max(n, 1));
		int64	   *count = palloc(sizeof(int64) * Max(n, 1));
		int			j = 0;

		for (k = nneg - 1; k >= 0; k--, j++)
		{
			value[j] = v->value[npos + k];
			count[j] = v->count[npos + k];
		}
		if (zeros > 0)
		{
			value[j] = 0.0;
			count[j++] = (int64) zeros;
			v->total = hb_count_add(v->total, (int64) zeros, typname);
		}
		for (k = 0; k < npos; k++, j++)
		{
			value[j] = v->value[k];
			count[j] = v->count[k];
		}
		pfree(v->value);
		pfree(v->count);
		v->value = value;
		v->count = count;
		v->nbuckets = n;
	}
	return p;
}

double
sketch_view_quantile(const SketchView *v, double q)
{
	/* percentile_disc: the first value whose cumulative count reaches q * N */
	double		target = ceil(q * (double) v->total);
	int64		rank = target < 1.0 ? 1 : (int64) target;
	int64		seen = 0;
	int			k;

	Assert(v->nbuckets > 0);
	for (k = 0; k < v->nbuckets; k++)
	{
		seen += v->count[k];
		if (seen >= rank)
			return v->value[k];
	}
	return v->value[v->nbuckets - 1];
}
