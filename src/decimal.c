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
