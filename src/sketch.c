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

/* Slots of a store: counts[k] is the count of bucket sketch_store_index(st, k). */
static inline int32
sketch_store_slots(const SketchStore *st)
{
	return st->nsparse < 0 ? st->len : st->nsparse;
}

static inline int32
sketch_store_index(const SketchStore *st, int32 k)
{
	return st->nsparse < 0 ? st->offset + k : st->index[k];
}

/* A store's arrays for len slots: counts, then (sparse) the indexes. */
static void
sketch_store_alloc(Sketch *s, SketchStore *st, int32 len, bool sparse)
{
	Size		size = (sizeof(int64) + (sparse ? sizeof(int32) : 0)) * len;

	st->counts = MemoryContextAllocZero(s->cxt, size);
	st->index = sparse ? (int32 *) (st->counts + len) : NULL;
	st->cap = len;
	st->len = sparse ? 0 : len;
}

/* A sparse store's buckets moved into its new, bigger arrays. */
static void
sketch_store_move_sparse(SketchStore *st, SketchStore *old)
{
	if (old->nsparse > 0)
	{
		memcpy(st->counts, old->counts, sizeof(int64) * old->nsparse);
		memcpy(st->index, old->index, sizeof(int32) * old->nsparse);
	}
	if (old->cap > 0)
		pfree(old->counts);
}

/* Room for n buckets in a sparse store: a flat sketch about to be read in. */
static void
sketch_store_reserve_sparse(Sketch *s, SketchStore *st, uint64 n)
{
	SketchStore old = *st;

	if (st->nsparse < 0 || n <= (uint64) st->cap || n > SKETCH_SPARSE_MAX)
		return;
	sketch_store_alloc(s, st, (int32) n, true);
	sketch_store_move_sparse(st, &old);
}

/* Turn a sparse store dense over [lo, hi). */
static void
sketch_store_densify(Sketch *s, SketchStore *st, int32 lo, int32 hi)
{
	SketchStore old = *st;
	int32		k;

	sketch_store_alloc(s, st, hi - lo, false);
	st->offset = lo;
	st->nsparse = -1;
	for (k = 0; k < old.nsparse; k++)
		st->counts[old.index[k] - lo] = old.counts[k];
	if (old.cap > 0)
		pfree(old.counts);
}

/*
 * The count of bucket i, made room for: found or inserted in a sparse
 * store, which turns dense once it is full with 16 buckets or more and a
 * dense array would be no bigger, or at SKETCH_SPARSE_MAX buckets; a dense
 * store grows toward i (by half its length at least).
 */
int64 *
sketch_store_slot(Sketch *s, SketchStore *st, int32 i)
{
	int32		lo,
				hi,
				newlen;

	if (st->nsparse >= 0)
	{
		int32		a = 0,
					b = st->nsparse;

		if (b == 0 || st->index[b - 1] < i)
			a = b;				/* after the last: a flat sketch read in order */
		while (a < b)			/* first slot with index >= i */
		{
			int32		m = (a + b) / 2;

			if (st->index[m] < i)
				a = m + 1;
			else
				b = m;
		}
		if (a < st->nsparse && st->index[a] == i)
			return &st->counts[a];
		if (st->nsparse == st->cap)
		{
			SketchStore old = *st;

			lo = st->nsparse > 0 ? Min(st->index[0], i) : i;
			hi = st->nsparse > 0 ? Max(st->index[st->nsparse - 1], i) + 1 : i + 1;
			newlen = Max(2 * st->cap, 4);
			if ((st->nsparse >= 16 &&
				 (int64) (hi - lo) * sizeof(int64) <= (Size) newlen * (sizeof(int64) + sizeof(int32))) ||
				st->nsparse >= SKETCH_SPARSE_MAX)
			{
				sketch_store_densify(s, st, lo, hi);
				return &st->counts[i - st->offset];
			}
			sketch_store_alloc(s, st, newlen, true);
			sketch_store_move_sparse(st, &old);
		}
		memmove(&st->counts[a + 1], &st->counts[a], sizeof(int64) * (st->nsparse - a));
		memmove(&st->index[a + 1], &st->index[a], sizeof(int32) * (st->nsparse - a));
		st->counts[a] = 0;
		st->index[a] = i;
		st->nsparse++;
		return &st->counts[a];
	}
	if (i >= st->offset && i < st->offset + st->len)
		return &st->counts[i - st->offset];
	{
		SketchStore old = *st;

		lo = Min(st->offset, i);
		hi = Max(st->offset + st->len, i + 1);
		newlen = Max(st->len + st->len / 2, hi - lo);
		/* grow toward the side that needed it */
		if (i < st->offset)
			lo = hi - newlen;
		sketch_store_alloc(s, st, newlen, false);
		st->offset = lo;
		memcpy(st->counts + (old.offset - lo), old.counts, sizeof(int64) * old.len);
		pfree(old.counts);
	}
	return &st->counts[i - st->offset];
}

static void
sketch_store_merge(Sketch *dst, SketchStore *d, const SketchStore *src, const char *typname)
{
	int32		k;

	for (k = 0; k < sketch_store_slots(src); k++)
		if (src->counts[k] != 0)
			sketch_store_add(dst, d, sketch_store_index(src, k), src->counts[k], typname);
}

void
sketch_merge(Sketch *dst, const Sketch *src, const char *typname)
{
	dst->zeros = hb_count_add(dst->zeros, src->zeros, typname);
	sketch_store_merge(dst, &dst->pos, &src->pos, typname);
	sketch_store_merge(dst, &dst->neg, &src->neg, typname);
}

int64
sketch_total(const Sketch *s)
{
	int64		t = s->zeros;
	int32		k;

	for (k = 0; k < sketch_store_slots(&s->pos); k++)
		t += s->pos.counts[k];
	for (k = 0; k < sketch_store_slots(&s->neg); k++)
		t += s->neg.counts[k];
	return t;
}

/* ---------- flat form: varints (heartbeat.h) ---------- */

/* The sketch bytes at p, up to end: the next varint. */
#define sketch_varint(p, end, v, typname) \
	hb_varint_read((p), (end), (v), (typname), "Its percentile sketch is truncated or holds a malformed number.")

/* Store layout: nbuckets, then (first index zigzag | gap - 1, count) pairs. */
static Size
sketch_store_flat_size(const SketchStore *st)
{
	Size		size = 0;
	int64		n = 0;
	int32		prev = 0;
	int32		k;

	for (k = 0; k < sketch_store_slots(st); k++)
	{
		int32		i = sketch_store_index(st, k);

		if (st->counts[k] == 0)
			continue;
		size += hb_varint_size(n == 0 ? hb_zigzag(i) : (uint64) (i - prev - 1));
		size += hb_varint_size((uint64) st->counts[k]);
		prev = i;
		n++;
	}
	return size + hb_varint_size((uint64) n);
}

static char *
sketch_store_flatten(const SketchStore *st, char *p)
{
	int64		n = 0;
	int32		prev = 0;
	int32		k;

	for (k = 0; k < sketch_store_slots(st); k++)
		if (st->counts[k] != 0)
			n++;
	p = hb_varint_put(p, (uint64) n);
	n = 0;
	for (k = 0; k < sketch_store_slots(st); k++)
	{
		int32		i = sketch_store_index(st, k);

		if (st->counts[k] == 0)
			continue;
		p = hb_varint_put(p, n == 0 ? hb_zigzag(i) : (uint64) (i - prev - 1));
		p = hb_varint_put(p, (uint64) st->counts[k]);
		prev = i;
		n++;
	}
	return p;
}

Size
sketch_flat_size(const Sketch *s)
{
	return hb_varint_size((uint64) s->zeros) + sketch_store_flat_size(&s->pos) + sketch_store_flat_size(&s->neg);
}

char *
sketch_flatten(const Sketch *s, char *dst)
{
	dst = hb_varint_put(dst, (uint64) s->zeros);
	dst = sketch_store_flatten(&s->pos, dst);
	return sketch_store_flatten(&s->neg, dst);
}

/*
 * Walks one flat store, calling fn for each bucket.  Checks every bound:
 * indexes strictly increasing within the mapping's range, counts >= 1.
 */
typedef void (*bucket_fn) (void *arg, int32 index, int64 count);

static const char *
sketch_store_walk(const char *p, const char *end, const char *typname, bucket_fn fn, void *arg)
{
	uint64		n,
				k,
				v,
				c;
	int64		i = 0;
	/* |x| is clamped to [1e-300, 1e300]: indexes stay within +-M * 1000 */
	const int64 lim = (int64) SKETCH_BUCKETS_PER_OCTAVE * 1024;

	p = sketch_varint(p, end, &n, typname);
	if (n > (uint64) (end - p))
		hb_invalid(typname, "Its percentile sketch has more buckets than bytes.");
	for (k = 0; k < n; k++)
	{
		p = sketch_varint(p, end, &v, typname);
		if (k == 0)
			i = hb_unzigzag(v);
		else
		{
			if (v > (uint64) (2 * lim))
				hb_invalid(typname, "Its percentile sketch has a bucket index out of range.");
			i = i + 1 + (int64) v;
		}
		if (i < -lim || i > lim)
			hb_invalid(typname, "Its percentile sketch has a bucket index out of range.");
		p = sketch_varint(p, end, &c, typname);
		if (c == 0 || c > (uint64) PG_INT64_MAX)
			hb_invalid(typname, "Its percentile sketch has a bucket count out of range.");
		fn(arg, (int32) i, (int64) c);
	}
	return p;
}

typedef struct SketchMergeArg
{
	Sketch	   *s;
	SketchStore *st;
	const char *typname;
} SketchMergeArg;

static void
merge_bucket(void *arg, int32 index, int64 count)
{
	SketchMergeArg   *m = (SketchMergeArg *) arg;

	sketch_store_add(m->s, m->st, index, count, m->typname);
}

/* Adds the flat store at p into st; returns its end. */
static const char *
sketch_store_merge_flat(SketchMergeArg *m, SketchStore *st, const char *p, const char *end)
{
	uint64		n;

	/* a sparse store makes room for all the buckets at once */
	(void) sketch_varint(p, end, &n, m->typname);
	sketch_store_reserve_sparse(m->s, st, (uint64) Max(st->nsparse, 0) + n);
	m->st = st;
	return sketch_store_walk(p, end, m->typname, merge_bucket, m);
}

const char *
sketch_merge_flat(Sketch *s, const char *p, const char *end, const char *typname)
{
	uint64		zeros;
	SketchMergeArg	m = {s, &s->pos, typname};

	p = sketch_varint(p, end, &zeros, typname);
	if (zeros > (uint64) PG_INT64_MAX)
		hb_invalid(typname, "Its percentile sketch has a zero count out of range.");
	s->zeros = hb_count_add(s->zeros, (int64) zeros, typname);
	p = sketch_store_merge_flat(&m, &s->pos, p, end);
	return sketch_store_merge_flat(&m, &s->neg, p, end);
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
	p = sketch_varint(p, end, &zeros, typname);
	if (zeros > (uint64) PG_INT64_MAX)
		hb_invalid(typname, "Its percentile sketch has a zero count out of range.");
	p = sketch_store_walk(p, end, typname, view_bucket, &a);
	npos = v->nbuckets;
	a.sign = -1.0;
	p = sketch_store_walk(p, end, typname, view_bucket, &a);
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
