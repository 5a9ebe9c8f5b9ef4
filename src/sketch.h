/*
 * sketch.h - a mergeable relative-error quantile sketch (DDSketch-style).
 *
 * Values are counted in logarithmic buckets: bucket i of |x| covers
 * approximate-log2 values [i/M, (i+1)/M), where approximate log2 is the
 * binary exponent plus the linear fraction of the significand.  That mapping
 * is exact IEEE arithmetic (frexp, a multiply, a floor), so the bucket of a
 * value is the same on every platform, and the sketch's content depends only
 * on the multiset of values: merging is adding counts.  Each bucket spans at
 * most a ratio e^(1/M) in value, so its representative is within
 * (e^(1/M) - 1) / (e^(1/M) + 1) = 0.39998% of any value in it.  Zeros are
 * counted apart; negative values use a second store of |x|.
 *
 * In memory a store starts sparse: its buckets' indexes in ascending order
 * beside their counts, few and small for a few values.  It turns dense, a
 * growing array of counts over a range of indexes, once that array would
 * take no more than the sparse lists (16 buckets on), or at
 * SKETCH_SPARSE_MAX buckets.
 * Flat (on disk) the sketch is a byte stream of varints holding only
 * non-empty buckets.
 */
#ifndef HEARTBEAT_SKETCH_H
#define HEARTBEAT_SKETCH_H

#include "heartbeat.h"

#include <math.h>

#define SKETCH_BUCKETS_PER_OCTAVE	125 /* M: part of the flat format */
#define SKETCH_RELATIVE_ERROR		0.0039999	/* (e^(1/M)-1)/(e^(1/M)+1) */
/* |x| is clamped to this range before bucketing (documented limit). */
#define SKETCH_MIN_ABS				1e-300
#define SKETCH_MAX_ABS				1e300

/* Buckets a store keeps sparse at most. */
#define SKETCH_SPARSE_MAX			256

typedef struct SketchStore
{
	int32		nsparse;		/* sparse: buckets in use; dense: -1 */
	int32		cap;			/* allocated length of counts (and index) */
	int32		offset;			/* dense: bucket index of counts[0] */
	int32		len;			/* dense: cap; sparse: 0 (no index is in range) */
	int32	   *index;			/* sparse: index of counts[k], ascending */
	int64	   *counts;
} SketchStore;

typedef struct Sketch
{
	int64		zeros;
	SketchStore pos;			/* x > 0 */
	SketchStore neg;			/* x < 0, by |x| */
	MemoryContext cxt;			/* where counts live */
} Sketch;

/* A flat sketch decoded for reading: buckets in ascending value order. */
typedef struct SketchView
{
	int			nbuckets;
	double	   *value;			/* representative value */
	int64	   *count;
	int64		total;
} SketchView;

extern void sketch_init(Sketch *s, MemoryContext cxt);
extern int64 *sketch_store_slot(Sketch *s, SketchStore *st, int32 i);
/*
 * Bucket of |x| > 0: floor(M * (exponent + fraction of significand)),
 * computed on the IEEE 754 bits in integers: M * exponent + the top of
 * M * fraction.  |x| is clamped to [SKETCH_MIN_ABS, SKETCH_MAX_ABS].
 */
static inline int32
sketch_index(double a)
{
	uint64		bits;
	uint64		lo_bits,
				hi_bits;
	const double lo = SKETCH_MIN_ABS,
				hi = SKETCH_MAX_ABS;

	memcpy(&bits, &a, sizeof(bits));
	memcpy(&lo_bits, &lo, sizeof(lo_bits));
	memcpy(&hi_bits, &hi, sizeof(hi_bits));
	/* positive doubles order like their bits */
	if (bits < lo_bits)
		bits = lo_bits;
	else if (bits > hi_bits)
		bits = hi_bits;
	return SKETCH_BUCKETS_PER_OCTAVE * ((int32) (bits >> 52) - 1023) +
		(int32) ((SKETCH_BUCKETS_PER_OCTAVE * (bits & UINT64CONST(0xFFFFFFFFFFFFF))) >> 52);
}

/* Add n to bucket i of a store (dense and in range: inline). */
static inline void
sketch_store_add(Sketch *s, SketchStore *st, int32 i, int64 n, const char *typname)
{
	int64	   *c;

	if (likely((uint32) (i - st->offset) < (uint32) st->len))
		c = &st->counts[i - st->offset];
	else
		c = sketch_store_slot(s, st, i);
	*c = hb_count_add(*c, n, typname);
}

/* Count x (finite) n times.  Inline: the common case is one increment. */
static inline void
sketch_add(Sketch *s, double x, int64 n, const char *typname)
{
	if (unlikely(x == 0.0))
		s->zeros = hb_count_add(s->zeros, n, typname);
	else
		sketch_store_add(s, x > 0.0 ? &s->pos : &s->neg, sketch_index(fabs(x)), n, typname);
}
extern void sketch_merge(Sketch *dst, const Sketch *src, const char *typname);
extern int64 sketch_total(const Sketch *s);

/* Flat form. */
extern Size sketch_flat_size(const Sketch *s);
extern char *sketch_flatten(const Sketch *s, char *dst);
/* Adds a flat sketch [p, end) into s; ERROR if malformed. Returns the end. */
extern const char *sketch_merge_flat(Sketch *s, const char *p, const char *end,
									 const char *typname);
/* Decodes the flat sketch at p for quantiles; ERROR if malformed.  Returns
 * the end of that sketch (another may follow). */
extern const char *sketch_view(SketchView *v, const char *p, const char *end,
							   const char *typname);
/* Value at rank ceil(q * total) (as percentile_disc), q in [0, 1]. */
extern double sketch_view_quantile(const SketchView *v, double q);

#endif							/* HEARTBEAT_SKETCH_H */
