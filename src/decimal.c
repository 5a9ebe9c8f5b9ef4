/*
 * decimal.c - exact decimals (see decimal.h): the powers-of-ten tables,
 * int128 to text and numeric, and numeric's arithmetic through fmgr.
 */
#include "decimal.h"

#include "utils/builtins.h"

int128		hb_dec_pow10[HB_DEC_MAX_POW10 + 1];
double		hb_dec_pow10000[2 * HB_DEC_POW10000_RANGE + 1];

void
hb_dec_init(void)
{
	int			e;
	int128		p = 1;

	hb_dec_pow10[0] = 1;
	for (e = 1; e <= HB_DEC_MAX_POW10; e++)
		hb_dec_pow10[e] = (p *= 10);
	/* strtod is correctly rounded: the same table on every platform */
	for (e = -HB_DEC_POW10000_RANGE; e <= HB_DEC_POW10000_RANGE; e++)
		hb_dec_pow10000[e + HB_DEC_POW10000_RANGE] = strtod(psprintf("1e%d", 4 * e), NULL);
}

/*
 * The general path of hb_dec_to_int128_dbl: Horner over the base-10000
 * digits in int128; a digit straddling the scale is divided by 10, 100 or
 * 1000 (digits past the display scale are zero in a valid numeric).
 */
bool
hb_dec_to_int128_any(HbDecParts parts, int scale, int128 *out, double *dbl)
{
	const HbDecParts *n = &parts;
	double		dacc = 0.0;
	int128		acc = 0;
	int			k,
				e = 0;

	if (n->ndigits > 12 || scale > HB_DEC_MAX_POW10)
		return false;			/* >= 10^41 even after a partial last digit */
	for (k = 0; k < n->ndigits; k++)
	{
		int16		d;

		memcpy(&d, n->digits + 2 * k, sizeof(int16));
		if (dbl)
			dacc = dacc * HB_NBASE + d;
		e = 4 * (n->weight - k) + scale;	/* this digit's unit: 10^e */
		if (e >= 0)
		{
			if (k < 9)
				acc = acc * HB_NBASE + d;	/* < 10^36: cannot overflow */
			else if (__builtin_mul_overflow(acc, HB_NBASE, &acc) ||
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
	if (e > 0 && !hb_dec_mul_pow10(&acc, e))
		return false;
	*out = n->neg ? -acc : acc;
	if (dbl)
	{
		int			de = n->weight - (n->ndigits - 1);

		if (n->ndigits == 0)
			*dbl = 0.0;
		else if (de < -HB_DEC_POW10000_RANGE || de > HB_DEC_POW10000_RANGE || n->ndigits > 8)
			return false;		/* let the caller take the general path */
		else
			*dbl = (n->neg ? -dacc : dacc) * hb_dec_pow10000[de + HB_DEC_POW10000_RANGE];
	}
	return true;
}

/*
 * hb_dec_to_double of the numeric v / 10^scale: the numeric's own digits,
 * base 10000 aligned to the decimal point with the zero digits at either
 * end dropped (as a numeric keeps them), summed the same way.
 */
double
hb_int64_double(int64 v, int scale)
{
	uint128		u = v < 0 ? -(uint128) v : (uint128) v;
	int16		rev[8],
				digits[8];
	int			n = 0,
				e = -((scale + 3) / 4), /* the last digit's unit: 10000^e */
				k;
	HbDecParts	parts;

	if (v == 0)
		return 0.0;
	for (k = scale; k % 4 != 0; k++)
		u *= 10;				/* below 2^73: no overflow */
	while (u % HB_NBASE == 0)
	{
		u /= HB_NBASE;
		e++;
	}
	while (u > 0)				/* at most 6 digits */
	{
		rev[n++] = (int16) (u % HB_NBASE);
		u /= HB_NBASE;
	}
	for (k = 0; k < n; k++)
		digits[k] = rev[n - 1 - k];
	parts.special = false;
	parts.neg = v < 0;
	parts.dscale = scale;
	parts.ndigits = n;
	parts.weight = e + n - 1;
	parts.digits = (const char *) digits;
	/* the numeric itself only where hb_dec_to_double's table ends */
	return hb_dec_to_double(&parts, e < -HB_DEC_POW10000_RANGE || e > HB_DEC_POW10000_RANGE
							? NumericGetDatum(hb_int128_numeric(v, scale)) : (Datum) 0);
}

/* Decimal text of v / 10^scale. */
char *
hb_int128_text(int128 v, int scale)
{
	/* 39 digits at most, then zeros up to the scale, a point and a sign */
	char	   *digits = palloc(Max(scale, 0) + 41);
	char	   *out = palloc(Max(scale, 0) + 44);
	int			n = 0,
				o = 0,
				k;
	bool		neg = v < 0;
	uint128		u = neg ? -(uint128) v : (uint128) v;

	do
	{
		digits[n++] = '0' + (int) (u % 10);
		u /= 10;
	} while (u > 0);
	while (n <= scale)
		digits[n++] = '0';
	if (neg)
		out[o++] = '-';
	for (k = n - 1; k >= 0; k--)
	{
		out[o++] = digits[k];
		if (k == scale && scale > 0)
			out[o++] = '.';
	}
	out[o] = '\0';
	pfree(digits);
	return out;
}

Numeric
hb_int128_numeric(int128 v, int scale)
{
	return DatumGetNumeric(DirectFunctionCall3(numeric_in, CStringGetDatum(hb_int128_text(v, scale)),
											   ObjectIdGetDatum(InvalidOid), Int32GetDatum(-1)));
}

/* ---------- numeric's arithmetic ---------- */

/* fn(a, b) for one of numeric's two-argument functions returning numeric. */
Numeric
hb_numeric_call(PGFunction fn, Numeric a, Numeric b)
{
	return DatumGetNumeric(DirectFunctionCall2(fn, NumericGetDatum(a), NumericGetDatum(b)));
}

int
hb_numeric_cmp(Numeric a, Numeric b)
{
	return DatumGetInt32(DirectFunctionCall2(numeric_cmp, NumericGetDatum(a), NumericGetDatum(b)));
}

Numeric
hb_numeric_round(Numeric a, int scale)
{
	return DatumGetNumeric(DirectFunctionCall2(numeric_round, NumericGetDatum(a), Int32GetDatum(scale)));
}

double
hb_numeric_float8(Numeric n)
{
	return DatumGetFloat8(DirectFunctionCall1(numeric_float8_no_overflow, NumericGetDatum(n)));
}
