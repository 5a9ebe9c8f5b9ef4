/*
 * ticket.c - the average-ticket family: exact money, percentiles that merge.
 *
 * ticket_summary holds the number of deals, the exact sum, sum of squares,
 * smallest and largest amount, and a relative-error sketch of the amounts
 * (sketch.c).  Exact values are kept as 128-bit integers scaled by 10^scale,
 * scale being the largest display scale seen, as long as they fit; beyond
 * that they are numerics.  Which path ran never shows: the flat form is
 * canonical (int128 whenever the values fit, numerics rounded to the scale
 * otherwise), so equal multisets of amounts give equal bytes.
 *
 * While aggregating, a small state stays the flat summary and a big one is
 * an expanded object (see expandeddatum.h) in the aggregate context that
 * the executor hands back each row, so no transition copies it; its sketch
 * grows from a few sparse buckets to a dense array (see heartbeat.h and
 * sketch.h).  It is flattened only when stored or sent.
 *
 * Two partial summaries serve the one-step aggregates, which need less:
 * "mean-only" (TICKET_MEAN_ONLY) keeps deals and sum, the state of
 * avg_ticket(), whose moving-window inverse must be exact; "sketch-only"
 * (TICKET_SKETCH_ONLY) keeps deals and the sketch, the state of
 * median_ticket().  Merging keeps what both sides have.
 */
#include "heartbeat.h"
#include "sketch.h"

#include <ctype.h>
#include <math.h>

#include "catalog/pg_type.h"
#include "libpq/pqformat.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/expandeddatum.h"
#include "utils/fmgrprotos.h"
#include "utils/memutils.h"
#include "utils/numeric.h"

#define TYPNAME "ticket_summary"

/* numeric's limit on digits before the decimal point (weight 0x7FFF) */
#define NUMERIC_INTEGER_DIGITS_MAX 131072

#define TICKET_MEAN_ONLY	0x0001	/* only deals and sum are kept */
#define TICKET_BIG			0x0002	/* exact values stored as numerics */
#define TICKET_SKETCH_ONLY	0x0004	/* only deals and the sketch are kept */
#define TICKET_PARTS		(TICKET_MEAN_ONLY | TICKET_SKETCH_ONLY)
#define HAS_SKETCH(flags)	(((flags) & TICKET_MEAN_ONLY) == 0)

/* The exact values, in this order: sum, sum of squares, smallest, largest. */
#define NEXACT		4
#define X_SUM		0
#define X_SUMSQ		1
#define X_MIN		2
#define X_MAX		3

typedef struct TicketFlat
{
	HbHeader	hdr;			/* hdr.flags: TICKET_* */
	int64		deals;
	int64		at_scale;		/* how many amounts have the largest scale */
	int32		scale;			/* largest display scale of the amounts */
	int32		reserved;		/* 0 */
	/* then the exact values, then (unless mean-only) the sketch */
} TicketFlat;

#define FLAT_FIXED	sizeof(TicketFlat)

typedef struct TicketState
{
	ExpandedObjectHeader hdr;
	uint16		flags;			/* TICKET_PARTS bits; BIG is `big` */
	bool		big;
	int64		deals;
	int64		at_scale;
	int32		scale;
	int128		x[NEXACT];		/* scaled by 10^scale (sumsq: 10^(2 scale)) */
	Numeric		nx[NEXACT];		/* when big */
	Sketch		sketch;
	/* flatten cache */
	Size		flat_size;
	bool		flat_big;
	int128		flat_x[NEXACT];
} TicketState;

static int	nexact(uint16 flags);
static Size ticket_get_flat_size(ExpandedObjectHeader *eohptr);
static void ticket_flatten_into(ExpandedObjectHeader *eohptr, void *result, Size allocated_size);

static const ExpandedObjectMethods ticket_methods = {
	ticket_get_flat_size,
	ticket_flatten_into
};

/* ---------- powers of ten and int128 helpers ---------- */

/* 10000^e as double for e in [-POW10000_RANGE, POW10000_RANGE]. */
#define POW10000_RANGE 75
static double pow10000_dbl[2 * POW10000_RANGE + 1];

static void
init_pow10000(void)
{
	int			e;

	/* strtod is correctly rounded: the same table on every platform */
	for (e = -POW10000_RANGE; e <= POW10000_RANGE; e++)
		pow10000_dbl[e + POW10000_RANGE] = strtod(psprintf("1e%d", 4 * e), NULL);
}

#define MAX_POW10 38
static int128 pow10_128[MAX_POW10 + 1];

void
ticket_init(void)
{
	int			i;
	int128		p = 1;


	for (i = 1; i <= MAX_POW10; i++)
		pow10_128[i] = (p *= 10);
	init_pow10000();
	pow10_128[0] = 1;
}


/* *v *= 10^e; false on overflow. */
static inline bool
mul_pow10(int128 *v, int e)
{
	if (e == 0)
		return true;
	if (e < 0 || e > MAX_POW10)
		return *v == 0;
	return !__builtin_mul_overflow(*v, pow10_128[e], v);
}



/*
 * Reading a numeric without copying it.  The layout is PostgreSQL's stable
 * on-disk numeric format (src/backend/utils/adt/numeric.c): a 2-byte header
 * (short form) or 4 bytes (long form), then base-10000 digits.
 */
#define NUM_SIGN_MASK	0xC000
#define NUM_NEG			0x4000
#define NUM_SHORT		0x8000
#define NUM_SPECIAL		0xC000
#define NUM_SHORT_SIGN	0x2000
#define NUM_SHORT_DSCALE_MASK	0x1F80
#define NUM_SHORT_DSCALE_SHIFT	7
#define NUM_SHORT_WEIGHT_SIGN	0x0040
#define NUM_SHORT_WEIGHT_MASK	0x003F
#define NUM_DSCALE_MASK	0x3FFF
#define NBASE			10000

typedef struct NumParts
{
	bool		special;		/* NaN or infinity */
	bool		neg;
	int			dscale;
	int			weight;
	int			ndigits;
	const char *digits;			/* unaligned int16s */
} NumParts;

static inline void
num_parts(const struct varlena *v, NumParts *n)
{
	const char *data = VARDATA_ANY(v);
	int			len = VARSIZE_ANY_EXHDR(v);
	uint16		h;

	memcpy(&h, data, sizeof(uint16));
	n->special = (h & NUM_SIGN_MASK) == NUM_SPECIAL;
	if (n->special)
		return;
	if (h & NUM_SHORT)
	{
		n->neg = (h & NUM_SHORT_SIGN) != 0;
		n->dscale = (h & NUM_SHORT_DSCALE_MASK) >> NUM_SHORT_DSCALE_SHIFT;
		n->weight = (h & NUM_SHORT_WEIGHT_SIGN) ? (int) (~NUM_SHORT_WEIGHT_MASK | (h & NUM_SHORT_WEIGHT_MASK))
			: (int) (h & NUM_SHORT_WEIGHT_MASK);
		n->digits = data + 2;
		n->ndigits = (len - 2) / 2;
	}
	else
	{
		int16		w;

		n->neg = (h & NUM_SIGN_MASK) == NUM_NEG;
		n->dscale = h & NUM_DSCALE_MASK;
		memcpy(&w, data + 2, sizeof(int16));
		n->weight = w;
		n->digits = data + 4;
		n->ndigits = (len - 4) / 2;
	}
}

/*
 * value * 10^scale as int128, if it fits exactly.  Horner over the base-10000
 * digits; a digit straddling the scale is divided by 10, 100 or 1000
 * (digits past the display scale are zero in a valid numeric).
 */
static pg_attribute_always_inline bool
num_to_int128_dbl(const NumParts *n, int scale, int128 *out, double *dbl);

static pg_attribute_always_inline bool
num_to_int128(const NumParts *n, int scale, int128 *out)
{
	return num_to_int128_dbl(n, scale, out, NULL);
}

/*
 * The same, also giving the value as double (when dbl is not NULL) from the
 * same pass over the digits: see num_parts_to_double for why from digits.
 */
static pg_attribute_always_inline bool
num_to_int128_dbl(const NumParts *n, int scale, int128 *out, double *dbl)
{
	double		dacc = 0.0;
	int128		acc = 0;
	int			k,
				e = 0;

	if (n->ndigits > 12 || scale > MAX_POW10)
		return false;			/* >= 10^41 even after a partial last digit */
	for (k = 0; k < n->ndigits; k++)
	{
		int16		d;

		memcpy(&d, n->digits + 2 * k, sizeof(int16));
		if (dbl)
			dacc = dacc * NBASE + d;
		e = 4 * (n->weight - k) + scale;	/* this digit's unit: 10^e */
		if (e >= 0)
		{
			if (k < 9)
				acc = acc * NBASE + d;	/* < 10^36: cannot overflow */
			else if (__builtin_mul_overflow(acc, NBASE, &acc) ||
					 __builtin_add_overflow(acc, d, &acc))
				return false;
		}
		else if (e > -4)
		{
			/* constant divisors: the compiler multiplies instead of dividing */
			int			q,
						m;

			switch (e)
			{
				case -1:
					q = d / 10, m = 1000;
					if (d % 10 != 0)
						return false;
					break;
				case -2:
					q = d / 100, m = 100;
					if (d % 100 != 0)
						return false;
					break;
				default:
					q = d / 1000, m = 10;
					if (d % 1000 != 0)
						return false;
					break;
			}
			if (k < 9)
				acc = acc * m + q;
			else if (__builtin_mul_overflow(acc, m, &acc) ||
					 __builtin_add_overflow(acc, q, &acc))
				return false;
			e = 0;
		}
		else if (d != 0)
			return false;
		else
			e = Max(e, 0);
	}
	if (e > 0 && !mul_pow10(&acc, e))
		return false;
	*out = n->neg ? -acc : acc;
	if (dbl)
	{
		int			de = n->weight - (n->ndigits - 1);

		if (n->ndigits == 0)
			*dbl = 0.0;
		else if (de < -POW10000_RANGE || de > POW10000_RANGE || n->ndigits > 8)
			return false;		/* let the caller take the general path */
		else
			*dbl = (n->neg ? -dacc : dacc) * pow10000_dbl[de + POW10000_RANGE];
	}
	return true;
}

/*
 * The amount as double for the sketch, from its digits alone: a function of
 * the value (numeric digits are normalised), whatever scale the state is at,
 * so a value lands in the same bucket in every summary.  No division.
 */
static inline double
num_parts_to_double(const NumParts *n, Datum whole)
{
	double		acc = 0.0;
	int			k,
				e = n->weight - (n->ndigits - 1);

	if (n->ndigits == 0)
		return 0.0;
	if (e < -POW10000_RANGE || e > POW10000_RANGE || n->ndigits > 8)
		return DatumGetFloat8(DirectFunctionCall1(numeric_float8_no_overflow, whole));
	for (k = 0; k < n->ndigits; k++)
	{
		int16		d;

		memcpy(&d, n->digits + 2 * k, sizeof(int16));
		acc = acc * NBASE + d;
	}
	acc *= pow10000_dbl[e + POW10000_RANGE];
	return n->neg ? -acc : acc;
}

static double
num_to_double(Numeric n)
{
	return DatumGetFloat8(DirectFunctionCall1(numeric_float8_no_overflow, NumericGetDatum(n)));
}

/* ---------- numeric helpers (the exact fallback) ---------- */

static Numeric
num_add(Numeric a, Numeric b)
{
	return DatumGetNumeric(DirectFunctionCall2(numeric_add, NumericGetDatum(a), NumericGetDatum(b)));
}

static Numeric
num_sub(Numeric a, Numeric b)
{
	return DatumGetNumeric(DirectFunctionCall2(numeric_sub, NumericGetDatum(a), NumericGetDatum(b)));
}

static Numeric
num_mul(Numeric a, Numeric b)
{
	return DatumGetNumeric(DirectFunctionCall2(numeric_mul, NumericGetDatum(a), NumericGetDatum(b)));
}

static int
num_cmp(Numeric a, Numeric b)
{
	return DatumGetInt32(DirectFunctionCall2(numeric_cmp, NumericGetDatum(a), NumericGetDatum(b)));
}

static Numeric
num_round(Numeric a, int scale)
{
	return DatumGetNumeric(DirectFunctionCall2(numeric_round, NumericGetDatum(a), Int32GetDatum(scale)));
}

/* ---------- the expanded state ---------- */

static int
nexact(uint16 flags)
{
	/* the exact values kept are a prefix of sum, sum of squares, min, max */
	return (flags & TICKET_MEAN_ONLY) ? 1 : (flags & TICKET_SKETCH_ONLY) ? 0 : NEXACT;
}

static inline int
exact_scale(const TicketState *t, int k)
{
	return k == X_SUMSQ ? 2 * t->scale : t->scale;
}

static void
set_numeric(TicketState *t, int k, Numeric v)
{
	MemoryContext old = MemoryContextSwitchTo(t->hdr.eoh_context);
	Numeric		copy = (Numeric) palloc(VARSIZE(v));

	memcpy(copy, v, VARSIZE(v));
	MemoryContextSwitchTo(old);
	if (t->nx[k] != NULL)
		pfree(t->nx[k]);
	t->nx[k] = copy;
}

/* Leave the int128 path for good (until the next flatten). */
static void
go_big(TicketState *t)
{
	int			k;

	if (t->big)
		return;
	for (k = 0; k < nexact(t->flags); k++)
		set_numeric(t, k, hb_int128_numeric(t->x[k], exact_scale(t, k)));
	t->big = true;
}

/* Raise the scale of the int128 values to s; goes big on overflow. */
static void
rescale(TicketState *t, int s)
{
	int			k;

	if (s <= t->scale)
		return;
	if (!t->big)
	{
		int128		x[NEXACT];

		memcpy(x, t->x, sizeof(x));
		for (k = 0; k < nexact(t->flags); k++)
			if (!mul_pow10(&x[k], (k == X_SUMSQ ? 2 : 1) * (s - t->scale)))
				break;
		if (k == nexact(t->flags))
			memcpy(t->x, x, sizeof(x));
		else
			go_big(t);
	}
	t->scale = s;
}

static TicketState *
state_new(MemoryContext cxt, uint16 flags)
{
	TicketState *t = MemoryContextAllocZero(cxt, sizeof(TicketState));

	EOH_init_header(&t->hdr, &ticket_methods, cxt);
	t->flags = flags & TICKET_PARTS;
	sketch_init(&t->sketch, cxt);
	return t;
}

/* ---------- flat form ---------- */

pg_noreturn static void
flat_corrupt(const char *what)
{
	ereport(ERROR,
			(errcode(ERRCODE_DATA_CORRUPTED),
			 errmsg("invalid %s value", TYPNAME),
			 errdetail("%s", what)));
}

/*
 * Checks a flat summary's layout and locates its parts: the int128 values
 * (x) or numerics (nx), and the sketch bytes [*sk, *end).
 */
static void
flat_parts(const TicketFlat *f, int128 *x, Numeric *nx, const char **sk, const char **end)
{
	const char *p = (const char *) f + FLAT_FIXED;
	int			k,
				n;

	if (VARSIZE(f) < FLAT_FIXED || f->hdr.kind != HB_KIND_TICKET)
		flat_corrupt("It is shorter than its header or of another family.");
	hb_check_version(f->hdr.version, TYPNAME);
	if ((f->hdr.flags & ~(TICKET_PARTS | TICKET_BIG)) ||
		(f->hdr.flags & TICKET_PARTS) == TICKET_PARTS)
		flat_corrupt("It has unknown flags.");
	if (f->deals < 0 || f->scale < 0 || f->scale > NUM_DSCALE_MASK || f->reserved != 0 ||
		f->at_scale < 0 || f->at_scale > f->deals || (f->deals > 0) != (f->at_scale > 0))
		flat_corrupt("Its counts are inconsistent.");
	*end = (const char *) f + VARSIZE(f);
	n = nexact(f->hdr.flags);
	for (k = 0; k < n; k++)
	{
		if (!(f->hdr.flags & TICKET_BIG))
		{
			if (*end - p < (long) sizeof(int128))
				flat_corrupt("It is truncated.");
			memcpy(&x[k], p, sizeof(int128));
			p += sizeof(int128);
		}
		else
		{
			uint32		len;

			if (*end - p < (long) VARHDRSZ)
				flat_corrupt("It is truncated.");
			len = VARSIZE(p);
			if (len < VARHDRSZ + 2 || len > (uint32) (*end - p) || VARATT_IS_EXTENDED(p))
				flat_corrupt("A stored numeric is malformed.");
			nx[k] = (Numeric) p;
			p += MAXALIGN(len);
			if (p > *end)
				flat_corrupt("It is truncated.");
		}
	}
	*sk = p;
	if ((f->hdr.flags & TICKET_MEAN_ONLY) && p != *end)
		flat_corrupt("A mean-only summary carries extra bytes.");
}

/* Canonical form: int128 when every exact value fits, else rounded numerics. */
static void
flat_plan(TicketState *t)
{
	int			k,
				n = nexact(t->flags);

	t->flat_big = false;
	if (t->big)
	{
		for (k = 0; k < n; k++)
		{
			NumParts np;

			num_parts((struct varlena *) t->nx[k], &np);
			if (np.special || !num_to_int128(&np, exact_scale(t, k), &t->flat_x[k]))
				break;
		}
		if (k < n)
		{
			/* rounded in the state's context (ticket_get_flat_size), kept */
			t->flat_big = true;
			for (k = 0; k < n; k++)
			{
				Numeric		r = num_round(t->nx[k], exact_scale(t, k));

				pfree(t->nx[k]);
				t->nx[k] = r;
			}
		}
	}
	else
		memcpy(t->flat_x, t->x, sizeof(t->x));
	if (t->deals == 0)
		memset(t->flat_x, 0, sizeof(t->flat_x));
}

static Size
ticket_get_flat_size(ExpandedObjectHeader *eohptr)
{
	TicketState *t = (TicketState *) eohptr;
	Size		size = FLAT_FIXED;
	int			k;
	MemoryContext old;

	Assert(t->hdr.eoh_methods == &ticket_methods);

	/*
	 * In the state's own context: the caller's may not free (a tuplesort
	 * flattens into a bump context on PostgreSQL 17+), and numeric_round
	 * frees its working digits.
	 */
	old = MemoryContextSwitchTo(t->hdr.eoh_context);
	flat_plan(t);
	MemoryContextSwitchTo(old);
	for (k = 0; k < nexact(t->flags); k++)
		size += t->flat_big ? MAXALIGN(VARSIZE(t->nx[k])) : sizeof(int128);
	if (!(t->flags & TICKET_MEAN_ONLY))
		size += sketch_flat_size(&t->sketch);
	t->flat_size = size;
	return size;
}

static void
ticket_flatten_into(ExpandedObjectHeader *eohptr, void *result, Size allocated_size)
{
	TicketState *t = (TicketState *) eohptr;
	TicketFlat *f = (TicketFlat *) result;
	char	   *p = (char *) result + FLAT_FIXED;
	int			k;

	Assert(allocated_size == t->flat_size);
	memset(result, 0, allocated_size);
	SET_VARSIZE(f, allocated_size);
	f->hdr.version = HB_FORMAT_VERSION;
	f->hdr.kind = HB_KIND_TICKET;
	f->hdr.flags = t->flags | (t->flat_big ? TICKET_BIG : 0);
	f->deals = t->deals;
	f->scale = t->scale;
	f->at_scale = t->at_scale;
	for (k = 0; k < nexact(t->flags); k++)
	{
		if (t->flat_big)
		{
			memcpy(p, t->nx[k], VARSIZE(t->nx[k]));
			p += MAXALIGN(VARSIZE(t->nx[k]));
		}
		else
		{
			memcpy(p, &t->flat_x[k], sizeof(int128));
			p += sizeof(int128);
		}
	}
	if (!(t->flags & TICKET_MEAN_ONLY))
		p = sketch_flatten(&t->sketch, p);
	Assert(p == (char *) result + allocated_size);
}

/* A flat summary from any datum of the type (detoasted / flattened). */
static TicketFlat *
ticket_flat(Datum d)
{
	return (TicketFlat *) PG_DETOAST_DATUM(d);
}

/* Merge a flat summary into a state. */
static void
merge_flat(TicketState *t, const TicketFlat *f)
{
	int128		x[NEXACT];
	Numeric		nx[NEXACT];
	const char *sk,
			   *end;
	int			k;
	int64		before;

	flat_parts(f, x, nx, &sk, &end);
	if (f->deals == 0)
	{
		if (HAS_SKETCH(f->hdr.flags))
			(void) sketch_merge_flat(&t->sketch, sk, end, TYPNAME);	/* validates */
		return;
	}
	/* the merge keeps what both sides have */
	t->flags |= f->hdr.flags & TICKET_PARTS;
	if ((t->flags & TICKET_PARTS) == TICKET_PARTS)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("cannot merge a mean-only ticket_summary with a sketch-only one"),
				 errdetail("The first keeps no percentiles, the second no sum: nothing would be left."),
				 errhint("Build both with ticket_agg(amount), which keeps everything.")));

	/* scales: afterwards t->scale >= f->scale */
	if (t->deals == 0)
	{
		t->scale = f->scale;
		t->at_scale = f->at_scale;
	}
	else if (f->scale > t->scale)
	{
		rescale(t, f->scale);
		t->at_scale = f->at_scale;
	}
	else if (f->scale == t->scale)
		t->at_scale += f->at_scale; /* each <= its deals: cannot overflow */

	/* exact values, f's aligned to t->scale */
	if (!t->big && !(f->hdr.flags & TICKET_BIG))
	{
		int128		y[NEXACT];
		int			n = nexact(t->flags);
		bool		ok = true;

		for (k = 0; k < n && ok; k++)
		{
			y[k] = x[k];
			ok = mul_pow10(&y[k], (k == X_SUMSQ ? 2 : 1) * (t->scale - f->scale));
		}
		if (ok && t->deals > 0 && n > 0)	/* a sketch-only state keeps none */
		{
			ok = !__builtin_add_overflow(t->x[X_SUM], y[X_SUM], &y[X_SUM]) &&
				(n == 1 || !__builtin_add_overflow(t->x[X_SUMSQ], y[X_SUMSQ], &y[X_SUMSQ]));
			if (n > 1)
			{
				y[X_MIN] = Min(y[X_MIN], t->x[X_MIN]);
				y[X_MAX] = Max(y[X_MAX], t->x[X_MAX]);
			}
		}
		if (ok)
			memcpy(t->x, y, sizeof(int128) * n);
		else
			go_big(t);
	}
	else
		go_big(t);
	if (t->big)
	{
		Numeric		v[NEXACT];

		for (k = 0; k < nexact(t->flags); k++)
			v[k] = (f->hdr.flags & TICKET_BIG) ? nx[k] : hb_int128_numeric(x[k], k == X_SUMSQ ? 2 * f->scale : f->scale);
		if (t->deals == 0)
			for (k = 0; k < nexact(t->flags); k++)
				set_numeric(t, k, v[k]);
		else if (nexact(t->flags) > 0) /* a sketch-only merge keeps none */
		{
			set_numeric(t, X_SUM, num_add(t->nx[X_SUM], v[X_SUM]));
			if (nexact(t->flags) > 1)
			{
				set_numeric(t, X_SUMSQ, num_add(t->nx[X_SUMSQ], v[X_SUMSQ]));
				if (num_cmp(v[X_MIN], t->nx[X_MIN]) < 0)
					set_numeric(t, X_MIN, v[X_MIN]);
				if (num_cmp(v[X_MAX], t->nx[X_MAX]) > 0)
					set_numeric(t, X_MAX, v[X_MAX]);
			}
		}
	}

	before = sketch_total(&t->sketch);
	if (HAS_SKETCH(t->flags))
	{
		if (!HAS_SKETCH(f->hdr.flags))
			elog(ERROR, "ticket_summary: a summary without sketch reached a sketch merge");
		(void) sketch_merge_flat(&t->sketch, sk, end, TYPNAME);
		if (sketch_total(&t->sketch) - before != f->deals)
			flat_corrupt("Its sketch does not count its deals.");
	}
	t->deals = hb_count_add(t->deals, f->deals, TYPNAME);
}

/* A fresh state holding a flat summary. */
static TicketState *
state_from_flat(const TicketFlat *f, MemoryContext cxt)
{
	TicketState *t = state_new(cxt, f->hdr.flags);

	merge_flat(t, f);
	t->flags = f->hdr.flags & TICKET_PARTS;
	return t;
}

/*
 * The state to update: argument 0 itself when the executor passes our own
 * read-write expanded object, else one read from the flat argument 0, where
 * hb_state_home() says (see heartbeat.h).  Return it with hb_state_return().
 */
static pg_attribute_always_inline TicketState *
ticket_state(FunctionCallInfo fcinfo)
{
	TicketState *t = (TicketState *) hb_rw_state(fcinfo, &ticket_methods);
	TicketFlat *f;

	if (t != NULL)
		return t;
	f = ticket_flat(PG_GETARG_DATUM(0));
	return state_from_flat(f, hb_state_home(fcinfo, VARSIZE(f), (uint64) f->deals));
}

/* ---------- adding one amount ---------- */

pg_noreturn static void
not_finite(void)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("ticket amount must be a finite number"),
			 errdetail("NaN and infinite amounts cannot be summarised."),
			 errhint("Filter them out, for example with WHERE amount NOT IN ('NaN', 'Infinity', '-Infinity').")));
}

/*
 * The exact sum of squares must stay a numeric: amounts below 10^65536 with
 * at most 8191 decimals.  Far beyond money, but typeable: a clear ERROR.
 */
#define MAX_EXACT_SCALE 8191		/* half numeric's largest dscale, 0x3FFF */

pg_noreturn static void
amount_out_of_range(void)
{
	ereport(ERROR,
			(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
			 errmsg("ticket amount out of range"),
			 errdetail("ticket_agg keeps the exact sum of squares, so amounts must stay below 10^65536 with at most %d decimal places.",
					   MAX_EXACT_SCALE),
			 errhint("Round the amounts, or use avg_ticket(), which keeps only the sum.")));
}

static Numeric
square_checked(Numeric n, Numeric sum)
{
	bool		err = false;
	Numeric		r = numeric_mul_opt_error(n, n, &err);

	if (!err && sum != NULL)
		r = numeric_add_opt_error(sum, r, &err);
	if (err)
		amount_out_of_range();
	return r;
}

/* The exact numeric path for one amount: out of line, it is rare. */
static pg_noinline void
ticket_add_numeric(TicketState *t, Datum amount, const NumParts *np)
{
	bool		full = nexact(t->flags) == NEXACT;
	Numeric		n = (Numeric) PG_DETOAST_DATUM(amount);

	go_big(t);
	if (t->deals == 0)
	{
		set_numeric(t, X_SUM, n);
		if (full)
		{
			set_numeric(t, X_SUMSQ, square_checked(n, NULL));
			set_numeric(t, X_MIN, n);
			set_numeric(t, X_MAX, n);
		}
	}
	else
	{
		set_numeric(t, X_SUM, num_add(t->nx[X_SUM], n));
		if (full)
		{
			set_numeric(t, X_SUMSQ, square_checked(n, t->nx[X_SUMSQ]));
			if (num_cmp(n, t->nx[X_MIN]) < 0)
				set_numeric(t, X_MIN, n);
			if (num_cmp(n, t->nx[X_MAX]) > 0)
				set_numeric(t, X_MAX, n);
		}
	}
	if (full)
		sketch_add(&t->sketch, num_parts_to_double(np, amount), 1, TYPNAME);
}

/* The amount as stored (short header allowed), without a call when plain. */
static inline struct varlena *
amount_bytes(Datum amount)
{
	struct varlena *v = (struct varlena *) DatumGetPointer(amount);

	if (unlikely(VARATT_IS_EXTERNAL(v) || VARATT_IS_COMPRESSED(v)))
		v = pg_detoast_datum_packed(v);
	return v;
}

static pg_attribute_always_inline void
ticket_add(TicketState *t, Datum amount)
{
	struct varlena *v = amount_bytes(amount);
	NumParts	np;
	int128		x;
	double		dbl = 0.0;
	bool		full = nexact(t->flags) == NEXACT;

	num_parts(v, &np);
	if (np.special)
		not_finite();
	if (unlikely(np.dscale > MAX_EXACT_SCALE) && full)
		amount_out_of_range();

	if (t->deals == 0)
	{
		t->scale = np.dscale;
		t->at_scale = 1;
	}
	else if (np.dscale > t->scale)
	{
		rescale(t, np.dscale);
		t->at_scale = 1;
	}
	else if (np.dscale == t->scale)
		t->at_scale++;

	if (t->flags & TICKET_SKETCH_ONLY)
	{
		sketch_add(&t->sketch, num_parts_to_double(&np, amount), 1, TYPNAME);
		goto counted;
	}

	if (!t->big && num_to_int128_dbl(&np, t->scale, &x, full ? &dbl : NULL))
	{
		int128		sum = x,
					sumsq = 0;
		bool		ok = t->deals == 0 || !__builtin_add_overflow(t->x[X_SUM], x, &sum);

		if (ok && full)
		{
			if (x >= PG_INT64_MIN && x <= PG_INT64_MAX)
				sumsq = (int128) (int64) x * (int64) x; /* < 2^126: fits */
			else
				ok = !__builtin_mul_overflow(x, x, &sumsq);
			ok = ok && (t->deals == 0 || !__builtin_add_overflow(t->x[X_SUMSQ], sumsq, &sumsq));
		}
		if (ok)
		{
			t->x[X_SUM] = sum;
			if (full)
			{
				sketch_add(&t->sketch, dbl, 1, TYPNAME);
				t->x[X_SUMSQ] = sumsq;
				if (t->deals == 0 || x < t->x[X_MIN])
					t->x[X_MIN] = x;
				if (t->deals == 0 || x > t->x[X_MAX])
					t->x[X_MAX] = x;
			}
			goto counted;
		}
	}

	ticket_add_numeric(t, amount, &np);

counted:
	t->deals = hb_count_add(t->deals, 1, TYPNAME);
}

PG_FUNCTION_INFO_V1(ticket_trans);
Datum
ticket_trans(PG_FUNCTION_ARGS)
{
	TicketState *t;

	t = ticket_state(fcinfo);
	ticket_add(t, PG_GETARG_DATUM(1));
	PG_RETURN_DATUM(hb_state_return(fcinfo, &t->hdr));
}

/*
 * Inverse for avg_ticket's moving windows: exact on deals and sum.  Returns
 * NULL (the executor then recomputes the frame) when the last amount with
 * the largest scale leaves, as numeric's own inverse does.
 */
PG_FUNCTION_INFO_V1(ticket_inv);
Datum
ticket_inv(PG_FUNCTION_ARGS)
{
	TicketState *t;
	struct varlena *v = amount_bytes(PG_GETARG_DATUM(1));
	NumParts	np;
	int128		x;

	t = ticket_state(fcinfo);
	num_parts(v, &np);
	if (np.special)
		not_finite();
	if (!(t->flags & TICKET_MEAN_ONLY) || t->deals < 1 || np.dscale > t->scale)
		PG_RETURN_NULL();
	if (np.dscale == t->scale)
	{
		if (t->at_scale == 1 && t->deals > 1)
			PG_RETURN_NULL();
		t->at_scale--;
	}
	if (!t->big && num_to_int128(&np, t->scale, &x) &&
		!__builtin_sub_overflow(t->x[X_SUM], x, &x))
		t->x[X_SUM] = x;
	else
	{
		go_big(t);
		set_numeric(t, X_SUM, num_sub(t->nx[X_SUM], (Numeric) PG_DETOAST_DATUM(PG_GETARG_DATUM(1))));
	}
	t->deals--;
	if (t->deals == 0)
	{
		t->scale = 0;
		t->at_scale = 0;
		t->big = false;
		t->x[X_SUM] = 0;
	}
	PG_RETURN_DATUM(hb_state_return(fcinfo, &t->hdr));
}

PG_FUNCTION_INFO_V1(ticket_combine);
Datum
ticket_combine(PG_FUNCTION_ARGS)
{
	TicketState *t;

	t = ticket_state(fcinfo);
	merge_flat(t, ticket_flat(PG_GETARG_DATUM(1)));
	PG_RETURN_DATUM(hb_state_return(fcinfo, &t->hdr));
}

/* ---------- reading a summary ---------- */

typedef struct TicketRead
{
	TicketFlat *f;
	int128		x[NEXACT];
	Numeric		nx[NEXACT];
	const char *sk;
	const char *end;
} TicketRead;

static void
ticket_read(FunctionCallInfo fcinfo, int argno, TicketRead *r)
{
	r->f = ticket_flat(PG_GETARG_DATUM(argno));
	flat_parts(r->f, r->x, r->nx, &r->sk, &r->end);
}

static Numeric
read_numeric(const TicketRead *r, int k)
{
	return (r->f->hdr.flags & TICKET_BIG) ? r->nx[k]
		: hb_int128_numeric(r->x[k], k == X_SUMSQ ? 2 * r->f->scale : r->f->scale);
}

/* ERROR if the summary is one of the partial kinds in `forbidden`. */
static void
need(const TicketRead *r, uint16 forbidden, const char *what)
{
	if (r->f->hdr.flags & forbidden)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("this ticket_summary keeps only deals and %s, not %s",
						(r->f->hdr.flags & TICKET_MEAN_ONLY) ? "sum" : "percentiles", what),
				 errdetail("avg_ticket and median_ticket keep only what they need."),
				 errhint("Build the summary with ticket_agg(amount).")));
}

static Numeric
ticket_mean_of(const TicketRead *r)
{
	return DatumGetNumeric(DirectFunctionCall2(numeric_div, NumericGetDatum(read_numeric(r, X_SUM)),
											   NumericGetDatum(int64_to_numeric(r->f->deals))));
}

PG_FUNCTION_INFO_V1(ticket_mean);
Datum
ticket_mean(PG_FUNCTION_ARGS)
{
	TicketRead	r;

	ticket_read(fcinfo, 0, &r);
	need(&r, TICKET_SKETCH_ONLY, "the mean");
	if (r.f->deals == 0)
		PG_RETURN_NULL();
	PG_RETURN_NUMERIC(ticket_mean_of(&r));
}

PG_FUNCTION_INFO_V1(ticket_total);
Datum
ticket_total(PG_FUNCTION_ARGS)
{
	TicketRead	r;

	ticket_read(fcinfo, 0, &r);
	need(&r, TICKET_SKETCH_ONLY, "the total");
	if (r.f->deals == 0)
		PG_RETURN_NULL();
	PG_RETURN_NUMERIC(read_numeric(&r, X_SUM));
}

PG_FUNCTION_INFO_V1(ticket_deals);
Datum
ticket_deals(PG_FUNCTION_ARGS)
{
	TicketRead	r;

	ticket_read(fcinfo, 0, &r);
	PG_RETURN_INT64(r.f->deals);
}

static Datum
ticket_extreme(FunctionCallInfo fcinfo, int k, const char *what)
{
	TicketRead	r;

	ticket_read(fcinfo, 0, &r);
	need(&r, TICKET_PARTS, what);
	if (r.f->deals == 0)
		PG_RETURN_NULL();
	PG_RETURN_NUMERIC(read_numeric(&r, k));
}

PG_FUNCTION_INFO_V1(ticket_smallest);
Datum
ticket_smallest(PG_FUNCTION_ARGS)
{
	return ticket_extreme(fcinfo, X_MIN, "the smallest amount");
}

PG_FUNCTION_INFO_V1(ticket_largest);
Datum
ticket_largest(PG_FUNCTION_ARGS)
{
	return ticket_extreme(fcinfo, X_MAX, "the largest amount");
}

/* Sample standard deviation: sqrt((n * sumsq - sum^2) / (n (n - 1))), exact until the root. */
PG_FUNCTION_INFO_V1(ticket_stddev);
Datum
ticket_stddev(PG_FUNCTION_ARGS)
{
	TicketRead	r;
	Numeric		n,
				num,
				den;

	ticket_read(fcinfo, 0, &r);
	need(&r, TICKET_PARTS, "the sum of squares");
	if (r.f->deals < 2)
		PG_RETURN_NULL();
	n = int64_to_numeric(r.f->deals);
	num = num_sub(num_mul(n, read_numeric(&r, X_SUMSQ)),
				  num_mul(read_numeric(&r, X_SUM), read_numeric(&r, X_SUM)));
	den = num_mul(n, int64_to_numeric(r.f->deals - 1));
	PG_RETURN_FLOAT8(sqrt(Max(0.0, num_to_double(DatumGetNumeric(
		DirectFunctionCall2(numeric_div, NumericGetDatum(num), NumericGetDatum(den)))))));
}

/* A percentile's estimate as numeric, clamped to [smallest, largest]. */
static Numeric
estimate_numeric(const TicketRead *r, double v)
{
	Numeric		n = DatumGetNumeric(DirectFunctionCall1(float8_numeric, Float8GetDatum(v)));
	Numeric		lo,
				hi;

	/*
	 * Round to the amounts' scale when that costs under 0.05%, else to six
	 * significant digits (under 0.0005%): the sketch is good to 0.4%, and
	 * 89.8552706552707 reads worse than 89.8553.
	 */
	if (v != 0.0)
	{
		if (0.5 * pow(10.0, -r->f->scale) <= 0.0005 * fabs(v))
			n = num_round(n, r->f->scale);
		else
			n = num_round(n, 5 - (int) floor(log10(fabs(v))));
	}
	if (nexact(r->f->hdr.flags) < NEXACT)
		return n;				/* sketch-only: no exact ends to clamp to */
	lo = read_numeric(r, X_MIN);
	hi = read_numeric(r, X_MAX);
	if (num_cmp(n, lo) < 0)
		return lo;
	if (num_cmp(n, hi) > 0)
		return hi;
	return n;
}

/* Percentile p: exact at the ends (ranks 1 and N are smallest and largest). */
static Numeric
ticket_quantile(const TicketRead *r, const SketchView *v, double p)
{
	double		rank = ceil(p * (double) r->f->deals);

	if (nexact(r->f->hdr.flags) < NEXACT)
		return estimate_numeric(r, sketch_view_quantile(v, p));
	if (rank <= 1.0)
		return read_numeric(r, X_MIN);
	if (rank >= (double) r->f->deals)
		return read_numeric(r, X_MAX);
	return estimate_numeric(r, sketch_view_quantile(v, p));
}


static bool
ticket_view(FunctionCallInfo fcinfo, TicketRead *r, SketchView *v)
{
	ticket_read(fcinfo, 0, r);
	need(r, TICKET_MEAN_ONLY, "percentiles");
	if (sketch_view(v, r->sk, r->end, TYPNAME) != r->end)
		flat_corrupt("Unexpected bytes after its sketch.");
	if (v->total != r->f->deals)
		flat_corrupt("Its sketch does not count its deals.");
	return r->f->deals > 0;
}

PG_FUNCTION_INFO_V1(ticket_percentile);
Datum
ticket_percentile(PG_FUNCTION_ARGS)
{
	TicketRead	r;
	SketchView	v;
	double		p = PG_GETARG_FLOAT8(1);

	hb_check_percentile(p);
	if (!ticket_view(fcinfo, &r, &v))
		PG_RETURN_NULL();
	PG_RETURN_NUMERIC(ticket_quantile(&r, &v, p));
}

PG_FUNCTION_INFO_V1(ticket_median);
Datum
ticket_median(PG_FUNCTION_ARGS)
{
	TicketRead	r;
	SketchView	v;

	if (!ticket_view(fcinfo, &r, &v))
		PG_RETURN_NULL();
	PG_RETURN_NUMERIC(ticket_quantile(&r, &v, 0.5));
}

PG_FUNCTION_INFO_V1(ticket_percentiles);
Datum
ticket_percentiles(PG_FUNCTION_ARGS)
{
	TicketRead	r;
	SketchView	v;
	ArrayType  *ps = PG_GETARG_ARRAYTYPE_P(1);
	Datum	   *pv;
	bool	   *pnull;
	int			n,
				k;
	Datum	   *out;
	int			dims[1];
	int			lbs[1] = {1};

	if (ARR_NDIM(ps) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("percentiles must be a one-dimensional array")));
	deconstruct_array(ps, FLOAT8OID, sizeof(float8), FLOAT8PASSBYVAL, TYPALIGN_DOUBLE, &pv, &pnull, &n);
	for (k = 0; k < n; k++)
		if (!pnull[k])
			hb_check_percentile(DatumGetFloat8(pv[k]));
	if (!ticket_view(fcinfo, &r, &v))
		PG_RETURN_NULL();
	out = palloc(sizeof(Datum) * Max(n, 1));
	for (k = 0; k < n; k++)
		if (!pnull[k])
			out[k] = NumericGetDatum(ticket_quantile(&r, &v, DatumGetFloat8(pv[k])));
	dims[0] = n;
	if (n == 0)
		PG_RETURN_ARRAYTYPE_P(construct_empty_array(NUMERICOID));
	PG_RETURN_ARRAYTYPE_P(construct_md_array(out, pnull, 1, dims, lbs, NUMERICOID, -1, false, TYPALIGN_INT));
}

/* ---------- text and binary I/O ---------- */

static const char *const exact_keys[NEXACT] = {"sum", "sum_squares", "smallest", "largest"};

PG_FUNCTION_INFO_V1(ticket_summary_out);
Datum
ticket_summary_out(PG_FUNCTION_ARGS)
{
	TicketRead	r;
	StringInfoData buf;
	int			k;

	ticket_read(fcinfo, 0, &r);
	hb_text_out_begin(&buf);
	hb_text_out_int64(&buf, "deals", r.f->deals);
	hb_text_out_int64(&buf, "scale", r.f->scale);
	hb_text_out_int64(&buf, "at_scale", r.f->at_scale);
	for (k = 0; k < NEXACT; k++)
		hb_text_out_raw(&buf, exact_keys[k],
						k < nexact(r.f->hdr.flags) && (r.f->deals > 0 || k < X_MIN)
						? DatumGetCString(DirectFunctionCall1(numeric_out, NumericGetDatum(read_numeric(&r, k))))
						: NULL, false);
	if (!HAS_SKETCH(r.f->hdr.flags))
		hb_text_out_raw(&buf, "sketch", NULL, false);
	else
		hb_text_out_raw(&buf, "sketch", hb_base64(r.sk, r.end - r.sk), true);
	hb_text_out_end(&buf);
	PG_RETURN_CSTRING(buf.data);
}

/*
 * Builds a flat summary from parts given by a user (text or binary input)
 * and checks that they agree: the flat form is re-derived through a state,
 * so it is canonical whatever the input looked like.
 */
static Datum
ticket_from_parts(int64 deals, int64 scale, int64 at_scale, Numeric *nx, uint16 parts,
				  const char *sketch, int sketch_len, int errcode_)
{
	TicketState *t;
	Sketch		probe;
	int			k;

#define BAD(...) ereport(ERROR, (errcode(errcode_), errmsg("invalid %s value", TYPNAME), errdetail(__VA_ARGS__)))
	if (deals < 0)
		BAD("The number of deals is negative.");
	if (scale < 0 || scale > NUM_DSCALE_MASK)
		BAD("The scale must be between 0 and %d.", NUM_DSCALE_MASK);
	if (deals == 0 ? at_scale != 0 : (at_scale < 1 || at_scale > deals))
		BAD("at_scale must be between 1 and the number of deals (0 without deals).");
	t = state_new(CurrentMemoryContext, parts);
	t->deals = deals;
	t->scale = (int32) scale;
	t->at_scale = at_scale;
	t->big = true;
	for (k = 0; k < nexact(t->flags); k++)
	{
		NumParts	np;

		if (deals == 0)
		{
			if (nx[k] != NULL && num_cmp(nx[k], int64_to_numeric(0)) != 0)
				BAD("A summary without deals has no sum, smallest or largest.");
			set_numeric(t, k, int64_to_numeric(0));
			continue;
		}
		if (nx[k] == NULL)
			BAD("\"%s\" is missing.", exact_keys[k]);
		num_parts((struct varlena *) nx[k], &np);
		if (np.special)
			BAD("\"%s\" must be a finite number.", exact_keys[k]);
		if (np.dscale > exact_scale(t, k))
			BAD("\"%s\" has more decimals than the scale allows.", exact_keys[k]);
		set_numeric(t, k, nx[k]);
	}
	if (nexact(parts) == NEXACT && deals > 0)
	{
		Numeric		lo = t->nx[X_MIN],
					hi = t->nx[X_MAX],
					n = int64_to_numeric(deals);

		if (num_cmp(lo, hi) > 0 ||
			num_cmp(t->nx[X_SUM], num_mul(lo, n)) < 0 || num_cmp(t->nx[X_SUM], num_mul(hi, n)) > 0)
			BAD("The sum must lie between deals * smallest and deals * largest, and smallest <= largest.");
		if (num_cmp(t->nx[X_SUMSQ], int64_to_numeric(0)) < 0)
			BAD("The sum of squares is negative.");
	}
	if (HAS_SKETCH(parts))
	{
		sketch_init(&probe, CurrentMemoryContext);
		if (sketch_merge_flat(&probe, sketch, sketch + sketch_len, TYPNAME) != sketch + sketch_len)
			BAD("The sketch has trailing bytes.");
		if (sketch_total(&probe) != deals)
			BAD("The sketch counts %lld amounts, not %lld.", (long long) sketch_total(&probe), (long long) deals);
		sketch_merge(&t->sketch, &probe, TYPNAME);
	}
#undef BAD
	/* detoasting an expanded object flattens it: the canonical bytes */
	return PointerGetDatum(PG_DETOAST_DATUM(EOHPGetRWDatum(&t->hdr)));
}

/*
 * An exact value of the text form, as ticket_summary_out writes it: an
 * optional minus, digits, optionally a point and digits, within numeric's
 * range.  Anything else is refused here, naming ticket_summary, before
 * numeric_in could refuse it naming numeric.
 */
static Numeric
text_numeric(HbTextReader *r, const char *s, const char *key)
{
	const char *p = s,
			   *digits;
	bool		ok;

	if (s == NULL)
		return NULL;
	if (*p == '-')
		p++;
	for (digits = p; isdigit((unsigned char) *p); p++)
		;
	ok = p > digits && p - digits <= NUMERIC_INTEGER_DIGITS_MAX;
	if (*p == '.')
	{
		for (digits = ++p; isdigit((unsigned char) *p); p++)
			;
		ok = ok && p > digits && p - digits <= NUM_DSCALE_MASK;
	}
	if (!ok || *p != '\0')
		hb_text_bad(r, psprintf("\"%s\" must be a plain decimal number.", key));
	return DatumGetNumeric(DirectFunctionCall3(numeric_in, CStringGetDatum(s),
											   ObjectIdGetDatum(InvalidOid), Int32GetDatum(-1)));
}

static Datum
ticket_summary_in_checked(PG_FUNCTION_ARGS)
{
	char	   *str = PG_GETARG_CSTRING(0);
	HbTextReader r;
	int64		deals,
				scale,
				at_scale;
	Numeric		nx[NEXACT];
	char	   *sketch;
	char	   *bytes = NULL;
	int			len = 0,
				k;
	uint16		parts;

	hb_text_begin(&r, str, TYPNAME);
	deals = hb_text_int64_field(&r, "deals");
	scale = hb_text_int64_field(&r, "scale");
	at_scale = hb_text_int64_field(&r, "at_scale");
	for (k = 0; k < NEXACT; k++)
		nx[k] = text_numeric(&r, hb_text_value_field(&r, exact_keys[k]), exact_keys[k]);
	sketch = hb_text_value_field(&r, "sketch");
	hb_text_end(&r);
	if (sketch != NULL)
		bytes = hb_unbase64(&r, sketch, &len);
	/* which parts: no sketch = mean-only, no sum = sketch-only */
	parts = sketch == NULL ? TICKET_MEAN_ONLY : nx[X_SUM] == NULL ? TICKET_SKETCH_ONLY : 0;
	if (sketch == NULL && nx[X_SUM] == NULL)
		hb_text_bad(&r, "A summary needs a sum, a sketch or both.");
	for (k = nexact(parts); k < NEXACT; k++)
		if (nx[k] != NULL)
			hb_text_bad(&r, parts == TICKET_MEAN_ONLY
						? "A summary without a sketch keeps only deals and sum: the other values must be null."
						: "A summary without a sum keeps only deals and the sketch: the other values must be null.");
	PG_RETURN_DATUM(ticket_from_parts(deals, scale, at_scale, nx, parts, bytes, len,
									  ERRCODE_INVALID_TEXT_REPRESENTATION));
}
HB_INPUT_FUNCTION(ticket_summary_in, ticket_summary_in_checked, ERRCODE_INVALID_TEXT_REPRESENTATION)

PG_FUNCTION_INFO_V1(ticket_summary_send);
Datum
ticket_summary_send(PG_FUNCTION_ARGS)
{
	TicketRead	r;
	StringInfoData buf;
	int			k;

	ticket_read(fcinfo, 0, &r);
	pq_begintypsend(&buf);
	hb_send_header(&buf, HB_KIND_TICKET);
	pq_sendbyte(&buf, r.f->hdr.flags & TICKET_PARTS);
	pq_sendint64(&buf, r.f->deals);
	pq_sendint64(&buf, r.f->at_scale);
	pq_sendint32(&buf, r.f->scale);
	for (k = 0; k < nexact(r.f->hdr.flags); k++)
	{
		bytea	   *b = DatumGetByteaPP(DirectFunctionCall1(numeric_send, NumericGetDatum(read_numeric(&r, k))));

		pq_sendint32(&buf, VARSIZE_ANY_EXHDR(b));
		pq_sendbytes(&buf, VARDATA_ANY(b), VARSIZE_ANY_EXHDR(b));
	}
	pq_sendint32(&buf, r.end - r.sk);
	pq_sendbytes(&buf, r.sk, r.end - r.sk);
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

static int32
recv_int32(StringInfo buf)
{
	if (buf->len - buf->cursor < 4)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("invalid binary %s value", TYPNAME),
				 errdetail("The value is truncated.")));
	return pq_getmsgint(buf, 4);
}

static Datum
ticket_summary_recv_checked(PG_FUNCTION_ARGS)
{
	StringInfo	buf = (StringInfo) PG_GETARG_POINTER(0);
	Numeric		nx[NEXACT] = {NULL, NULL, NULL, NULL};
	uint16		parts;
	int64		deals;
	int64		at_scale;
	int32		scale,
				len;
	const char *sk;
	int			k;

	hb_recv_header(buf, HB_KIND_TICKET, TYPNAME);
	if (buf->cursor >= buf->len)
		recv_int32(buf);		/* reports truncation */
	parts = pq_getmsgbyte(buf);
	if (parts != 0 && parts != TICKET_MEAN_ONLY && parts != TICKET_SKETCH_ONLY)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("invalid binary %s value", TYPNAME),
				 errdetail("Unknown summary parts %d.", parts)));
	deals = hb_recv_int64(buf, TYPNAME);
	at_scale = hb_recv_int64(buf, TYPNAME);
	scale = recv_int32(buf);
	for (k = 0; k < nexact(parts); k++)
	{
		StringInfoData nb;

		len = recv_int32(buf);
		if (len < 0 || len > buf->len - buf->cursor)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
					 errmsg("invalid binary %s value", TYPNAME),
					 errdetail("A numeric's length is out of range.")));
		nb.data = (char *) pq_getmsgbytes(buf, len);
		/* numeric_recv trusts its digit count: check it against the length */
		if (len < 8 || len != 8 + 2 * (((unsigned char) nb.data[0] << 8) | (unsigned char) nb.data[1]))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
					 errmsg("invalid binary %s value", TYPNAME),
					 errdetail("A numeric's digit count does not match its length.")));
		nb.len = nb.maxlen = len;
		nb.cursor = 0;
		nx[k] = DatumGetNumeric(DirectFunctionCall3(numeric_recv, PointerGetDatum(&nb),
													ObjectIdGetDatum(InvalidOid), Int32GetDatum(-1)));
	}
	len = recv_int32(buf);
	if (len < 0 || len > buf->len - buf->cursor)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("invalid binary %s value", TYPNAME),
				 errdetail("The sketch's length is out of range.")));
	sk = pq_getmsgbytes(buf, len);
	hb_recv_end(buf, TYPNAME);
	if (!HAS_SKETCH(parts) && len != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("invalid binary %s value", TYPNAME),
				 errdetail("A summary without a sketch carries sketch bytes.")));
	PG_RETURN_DATUM(ticket_from_parts(deals, scale, at_scale, nx, parts, sk, len,
									  ERRCODE_INVALID_BINARY_REPRESENTATION));
}
HB_INPUT_FUNCTION(ticket_summary_recv, ticket_summary_recv_checked, ERRCODE_INVALID_BINARY_REPRESENTATION)
