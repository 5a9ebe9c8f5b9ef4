/*
 * decimal.h - exact decimals: reading a numeric's digits without a copy,
 * 128-bit integers scaled by a power of ten, and back to numeric.
 *
 * The one place that knows numeric's on-disk layout, which PostgreSQL keeps
 * private to src/backend/utils/adt/numeric.c (NumericShort, NumericLong):
 * a 2-byte header (short form) or 4 bytes (long form: sign and display
 * scale, then the weight), then base-10000 digits, most significant first,
 * normalised (no leading or trailing zero digits).  It is part of the stored
 * format of every numeric, so it cannot change between server versions
 * (unchanged since PostgreSQL 9.1 added the short form); if it ever did,
 * this file alone would change.  Everything else uses the fmgr functions of
 * numeric (numeric_in, numeric_add, ...).
 *
 * The readers are inline: ticket_agg runs them on every row.
 */
#ifndef HEARTBEAT_DECIMAL_H
#define HEARTBEAT_DECIMAL_H

#include "compat.h"

#include "fmgr.h"
#include "utils/fmgrprotos.h"
#include "utils/numeric.h"

/* numeric.c's header bits (NUMERIC_SIGN_MASK, NUMERIC_SHORT_*, ...) */
#define HB_NUMERIC_SIGN_MASK		0xC000
#define HB_NUMERIC_NEG				0x4000
#define HB_NUMERIC_SHORT			0x8000
#define HB_NUMERIC_SPECIAL			0xC000
#define HB_NUMERIC_SHORT_SIGN		0x2000
#define HB_NUMERIC_SHORT_DSCALE_MASK	0x1F80
#define HB_NUMERIC_SHORT_DSCALE_SHIFT	7
#define HB_NUMERIC_SHORT_WEIGHT_SIGN	0x0040
#define HB_NUMERIC_SHORT_WEIGHT_MASK	0x003F
#define HB_NUMERIC_DSCALE_MASK		0x3FFF
#define HB_NBASE					10000

/* numeric's limits: display scale, digits before the point (weight 0x7FFF) */
#define HB_NUMERIC_DSCALE_MAX		HB_NUMERIC_DSCALE_MASK
#define HB_NUMERIC_INTEGER_DIGITS_MAX	131072

/* A numeric's parts, pointing into the value itself. */
typedef struct HbDecParts
{
	bool		special;		/* NaN or infinity */
	bool		neg;
	int			dscale;
	int			weight;
	int			ndigits;
	const char *digits;			/* unaligned int16s */
} HbDecParts;

/* Powers of ten, filled by hb_dec_init() at library load. */
#define HB_DEC_MAX_POW10		38	/* 10^38 is the largest in int128 */
#define HB_DEC_POW10000_RANGE	75	/* 10000^e as double, |e| <= this */
extern int128 hb_dec_pow10[HB_DEC_MAX_POW10 + 1];
extern double hb_dec_pow10000[2 * HB_DEC_POW10000_RANGE + 1];

extern void hb_dec_init(void);

/* Decimal text of v / 10^scale, and the same as numeric, exactly. */
extern char *hb_int128_text(int128 v, int scale);
extern Numeric hb_int128_numeric(int128 v, int scale);

/* numeric's own arithmetic, through fmgr (the exact fallback). */
extern Numeric hb_numeric_call(PGFunction fn, Numeric a, Numeric b);
#define hb_numeric_add(a, b) hb_numeric_call(numeric_add, (a), (b))
#define hb_numeric_sub(a, b) hb_numeric_call(numeric_sub, (a), (b))
#define hb_numeric_mul(a, b) hb_numeric_call(numeric_mul, (a), (b))
#define hb_numeric_div(a, b) hb_numeric_call(numeric_div, (a), (b))
extern int	hb_numeric_cmp(Numeric a, Numeric b);
extern Numeric hb_numeric_round(Numeric a, int scale);
extern double hb_numeric_float8(Numeric n);

/* *v *= 10^e; false on overflow. */
static inline bool
hb_dec_mul_pow10(int128 *v, int e)
{
	if (e == 0)
		return true;
	if (e < 0 || e > HB_DEC_MAX_POW10)
		return *v == 0;
	return !__builtin_mul_overflow(*v, hb_dec_pow10[e], v);
}

/* A numeric datum as stored (short header allowed), without a call when plain. */
static inline struct varlena *
hb_dec_packed(Datum d)
{
	struct varlena *v = (struct varlena *) DatumGetPointer(d);

	if (unlikely(VARATT_IS_EXTERNAL(v) || VARATT_IS_COMPRESSED(v)))
		v = pg_detoast_datum_packed(v);
	return v;
}

/* The parts of a numeric (as hb_dec_packed gives it). */
static inline void
hb_dec_parts(const struct varlena *v, HbDecParts *n)
{
	const char *data = VARDATA_ANY(v);
	int			len = VARSIZE_ANY_EXHDR(v);
	uint16		h;

	memcpy(&h, data, sizeof(uint16));
	n->special = (h & HB_NUMERIC_SIGN_MASK) == HB_NUMERIC_SPECIAL;
	if (n->special)
	{
		/* NaN or infinity: no digits (the other fields are of no use) */
		n->neg = false;
		n->dscale = n->weight = n->ndigits = 0;
		n->digits = NULL;
		return;
	}
	if (h & HB_NUMERIC_SHORT)
	{
		n->neg = (h & HB_NUMERIC_SHORT_SIGN) != 0;
		n->dscale = (h & HB_NUMERIC_SHORT_DSCALE_MASK) >> HB_NUMERIC_SHORT_DSCALE_SHIFT;
		n->weight = (h & HB_NUMERIC_SHORT_WEIGHT_SIGN)
			? (int) (~HB_NUMERIC_SHORT_WEIGHT_MASK | (h & HB_NUMERIC_SHORT_WEIGHT_MASK))
			: (int) (h & HB_NUMERIC_SHORT_WEIGHT_MASK);
		n->digits = data + 2;
		n->ndigits = (len - 2) / 2;
	}
	else
	{
		int16		w;

		n->neg = (h & HB_NUMERIC_SIGN_MASK) == HB_NUMERIC_NEG;
		n->dscale = h & HB_NUMERIC_DSCALE_MASK;
		memcpy(&w, data + 2, sizeof(int16));
		n->weight = w;
		n->digits = data + 4;
		n->ndigits = (len - 4) / 2;
	}
}

/*
 * value * 10^scale as int128, if it fits exactly (false otherwise, or when
 * a digit lies below the scale), and (when dbl is not NULL) the value as
 * double as hb_dec_to_double gives it, from the same pass over the digits.
 *
 * Money takes the short path: at most 4 digits, whose integer (below 10^16)
 * an int64 holds, with the last digit's unit between 10^-3 and 10^18 at the
 * scale: the digits but the last in an int64, then the last one divided by
 * 10, 100 or 1000 (when it straddles the scale) or the whole multiplied by
 * 10^0..10^18; no overflow possible.  Other values take
 * hb_dec_to_int128_any().  Both are exact, so they agree wherever both
 * apply.
 */
/* parts by value: the inline caller's copy can then live in registers */
extern bool hb_dec_to_int128_any(HbDecParts parts, int scale, int128 *out, double *dbl);

static pg_attribute_always_inline bool
hb_dec_to_int128_dbl(const HbDecParts *n, int scale, int128 *out, double *dbl)
{
	int			e = 4 * (n->weight - n->ndigits + 1) + scale;	/* last digit's unit: 10^e */
	int64		head = 0;		/* the digits but the last */
	int16		last = 0;
	int64		v;
	int			k;

	if (unlikely(n->ndigits > 4 || e < -3 || e > 18 || scale > HB_DEC_MAX_POW10))
		return hb_dec_to_int128_any(*n, scale, out, dbl);
	for (k = 0; k < n->ndigits - 1; k++)
	{
		int16		d;

		memcpy(&d, n->digits + 2 * k, sizeof(int16));
		head = head * HB_NBASE + d;
	}
	if (n->ndigits > 0)
		memcpy(&last, n->digits + 2 * (n->ndigits - 1), sizeof(int16));
	if (dbl)
	{
		int64		all = head * HB_NBASE + last;

		/*
		 * Below 2^53 every step of hb_dec_to_double's Horner sum is exact:
		 * the same double as (double) all.  Above, it may round: take the
		 * general path, which sums as hb_dec_to_double does.
		 */
		if (unlikely(all >= (INT64CONST(1) << 53)))
			return hb_dec_to_int128_any(*n, scale, out, dbl);
		if (n->ndigits == 0)
			*dbl = 0.0;
		else
			*dbl = (n->neg ? -(double) all : (double) all) *
				hb_dec_pow10000[n->weight - n->ndigits + 1 + HB_DEC_POW10000_RANGE];
	}
	/*
	 * The last digit to the scale: tests, not a jump table (money keeps to
	 * one or two cases); constant divisors of a small number, which the
	 * compiler multiplies.
	 */
	if (e >= 0)
		v = head * HB_NBASE + last;
	else if (e == -2)
	{
		if (last % 100 != 0)
			return false;
		v = head * 100 + last / 100;
	}
	else if (e == -1)
	{
		if (last % 10 != 0)
			return false;
		v = head * 1000 + last / 10;
	}
	else
	{
		if (last % 1000 != 0)
			return false;
		v = head * 10 + last / 1000;
	}
	if (n->neg)
		v = -v;
	*out = e > 0 ? (int128) v * (int64) hb_dec_pow10[e] : (int128) v;
	return true;
}

static pg_attribute_always_inline bool
hb_dec_to_int128(const HbDecParts *n, int scale, int128 *out)
{
	return hb_dec_to_int128_dbl(n, scale, out, NULL);
}

/*
 * The value as double, from its digits alone: a function of the value
 * (numeric digits are normalised), whatever scale it is read at, so a value
 * always lands in the same sketch bucket.  No division.  whole is the
 * numeric the parts come from, for the general path.
 */
static inline double
hb_dec_to_double(const HbDecParts *n, Datum whole)
{
	double		acc = 0.0;
	int			k,
				e = n->weight - (n->ndigits - 1);

	if (n->ndigits == 0)
		return 0.0;
	if (e < -HB_DEC_POW10000_RANGE || e > HB_DEC_POW10000_RANGE || n->ndigits > 8)
		return hb_numeric_float8(DatumGetNumeric(whole));
	for (k = 0; k < n->ndigits; k++)
	{
		int16		d;

		memcpy(&d, n->digits + 2 * k, sizeof(int16));
		acc = acc * HB_NBASE + d;
	}
	acc *= hb_dec_pow10000[e + HB_DEC_POW10000_RANGE];
	return n->neg ? -acc : acc;
}

/*
 * The double hb_dec_to_double gives for the numeric v / 10^scale, from v
 * alone: a value kept as a scaled integer lands where its numeric would.
 */
extern double hb_int64_double(int64 v, int scale);

#endif							/* HEARTBEAT_DECIMAL_H */
