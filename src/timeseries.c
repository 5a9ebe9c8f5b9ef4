/*
 * timeseries.c - the heartbeat over time: window functions that tell a real
 * drop from noise.
 *
 * anomaly_score: robust z-score of the current row against the previous
 * `lookback` rows of its partition (or the rows `season`, 2 x `season`, ...
 * positions earlier): median and MAD x 1.4826; when the MAD is 0, the mean
 * absolute deviation from the median x sqrt(pi/2) (both estimate the
 * standard deviation for normal data); NULL when that is 0 too, and until
 * three previous non-NULL values exist.
 *
 * conversion_zscore: p-chart z-score of the current period's win rate
 * against the pooled rate of the previous `lookback` periods:
 * (p - pbar) / sqrt(pbar (1 - pbar) / n), n the current period's trials.
 */
#include "heartbeat.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "mb/pg_wchar.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "windowapi.h"

static int
cmp_double(const void *a, const void *b)
{
	double		x = *(const double *) a,
				y = *(const double *) b;

	return x < y ? -1 : x > y;
}

/* Median of v[0..n), n >= 1; sorts v. */
static double
median_of(double *v, int n)
{
	qsort(v, n, sizeof(double), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2.0;
}

static int32
positive_arg(WindowObject w, int argno, const char *what, bool *isnull)
{
	Datum		d = WinGetFuncArgCurrent(w, argno, isnull);
	int32		v;

	if (*isnull)
		return 0;
	v = DatumGetInt32(d);
	if (v < 1 || v > 100000)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must be between 1 and 100000, got %d", what, v)));
	return v;
}

static Datum
anomaly_common(FunctionCallInfo fcinfo, bool seasonal)
{
	WindowObject w = PG_WINDOW_OBJECT();
	bool		isnull,
				isout;
	double		x,
				med,
				spread;
	double	   *v,
			   *dev;
	int32		lookback,
				season = 1;
	int			n = 0,
				k;

	x = DatumGetFloat8(WinGetFuncArgCurrent(w, 0, &isnull));
	if (isnull)
		PG_RETURN_NULL();
	lookback = positive_arg(w, 1, "lookback", &isnull);
	if (isnull)
		PG_RETURN_NULL();
	if (seasonal)
	{
		season = positive_arg(w, 2, "season", &isnull);
		if (isnull)
			PG_RETURN_NULL();
	}
	v = palloc(sizeof(double) * lookback);
	for (k = 1; k <= lookback; k++)
	{
		Datum		d = WinGetFuncArgInPartition(w, 0, -k * season, WINDOW_SEEK_CURRENT,
												 false, &isnull, &isout);

		if (isout)
			break;				/* the partition starts here */
		if (!isnull)
			v[n++] = DatumGetFloat8(d);
	}
	if (n < 3)
		PG_RETURN_NULL();
	med = median_of(v, n);
	dev = palloc(sizeof(double) * n);
	for (k = 0; k < n; k++)
		dev[k] = fabs(v[k] - med);
	spread = 1.4826 * median_of(dev, n);
	if (spread == 0.0)
	{
		double		sum = 0.0;

		for (k = 0; k < n; k++)
			sum += dev[k];
		spread = 1.2533141373155 * sum / n;	/* sqrt(pi / 2) */
	}
	if (spread == 0.0 || !isfinite(spread))
		PG_RETURN_NULL();
	PG_RETURN_FLOAT8((x - med) / spread);
}

PG_FUNCTION_INFO_V1(anomaly_score);
Datum
anomaly_score(PG_FUNCTION_ARGS)
{
	return anomaly_common(fcinfo, false);
}

PG_FUNCTION_INFO_V1(anomaly_score_seasonal);
Datum
anomaly_score_seasonal(PG_FUNCTION_ARGS)
{
	return anomaly_common(fcinfo, true);
}

PG_FUNCTION_INFO_V1(conversion_zscore);
Datum
conversion_zscore(PG_FUNCTION_ARGS)
{
	WindowObject w = PG_WINDOW_OBJECT();
	bool		isnull,
				isout;
	Datum		cur = WinGetFuncArgCurrent(w, 0, &isnull);
	int64		conv,
				trials,
				pc = 0,
				pt = 0;
	int32		lookback;
	int			k;
	double		p,
				pbar;

	if (isnull)
		PG_RETURN_NULL();
	conversion_counts(cur, &conv, &trials);
	lookback = positive_arg(w, 1, "lookback", &isnull);
	if (isnull || trials == 0)
		PG_RETURN_NULL();
	for (k = 1; k <= lookback; k++)
	{
		Datum		d = WinGetFuncArgInPartition(w, 0, -k, WINDOW_SEEK_CURRENT, false, &isnull, &isout);
		int64		c,
					t;

		if (isout)
			break;
		if (isnull)
			continue;
		conversion_counts(d, &c, &t);
		pc = hb_count_add(pc, c, "conversion_summary");
		pt = hb_count_add(pt, t, "conversion_summary");
	}
	if (pt == 0)
		PG_RETURN_NULL();
	p = (double) conv / (double) trials;
	pbar = (double) pc / (double) pt;
	if (pbar <= 0.0 || pbar >= 1.0)
		PG_RETURN_NULL();		/* no variance to measure against */
	PG_RETURN_FLOAT8((p - pbar) / sqrt(pbar * (1.0 - pbar) / (double) trials));
}

/*
 * sparkline(double precision[]): one of eight block characters per value,
 * scaled between the series' minimum and maximum; NULL is a space; a
 * constant series is a flat middle line.
 */
PG_FUNCTION_INFO_V1(sparkline_array);
Datum
sparkline_array(PG_FUNCTION_ARGS)
{
	static const char *const bars[8] = {"▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"};
	ArrayType  *a = PG_GETARG_ARRAYTYPE_P(0);
	Datum	   *v;
	bool	   *nulls;
	int			n,
				k;
	double		lo = 0,
				hi = 0,
				range;
	bool		any = false,
				half;
	StringInfoData buf;

	if (GetDatabaseEncoding() != PG_UTF8)
		ereport(ERROR,
				(errcode(ERRCODE_CHARACTER_NOT_IN_REPERTOIRE),
				 errmsg("sparkline needs a UTF8 database"),
				 errdetail("Its block characters (U+2581 to U+2588) exist only in Unicode.")));
	if (ARR_NDIM(a) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("sparkline takes a one-dimensional array")));
	deconstruct_array(a, FLOAT8OID, sizeof(float8), FLOAT8PASSBYVAL, TYPALIGN_DOUBLE, &v, &nulls, &n);
	for (k = 0; k < n; k++)
	{
		double		x;

		if (nulls[k])
			continue;
		x = DatumGetFloat8(v[k]);
		if (isnan(x) || isinf(x))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("sparkline values must be finite, got %g", x)));
		if (!any || x < lo)
			lo = x;
		if (!any || x > hi)
			hi = x;
		any = true;
	}
	/*
	 * hi - lo overflows to infinity for values of opposite sign near
	 * DBL_MAX: then scale by halves, which cannot overflow.
	 */
	range = hi - lo;
	half = isinf(range);
	if (half)
		range = hi * 0.5 - lo * 0.5;
	initStringInfo(&buf);
	for (k = 0; k < n; k++)
	{
		double		x;
		int			bar;

		if (nulls[k])
		{
			appendStringInfoChar(&buf, ' ');
			continue;
		}
		x = DatumGetFloat8(v[k]);
		if (hi == lo)
			bar = 3;
		else
		{
			bar = (int) rint((half ? x * 0.5 - lo * 0.5 : x - lo) / range * 7.0);
			bar = Max(0, Min(7, bar));
		}
		appendStringInfoString(&buf, bars[bar]);
	}
	PG_RETURN_TEXT_P(cstring_to_text_with_len(buf.data, buf.len));
}

/*
 * sparkline_trans(double precision[], double precision): the transition of
 * the sparkline aggregate, appending in place to an expanded array in the
 * aggregate context.  The built-in array_append would learn its element
 * type from the call site when the state is NULL, which callers such as
 * Citus's worker_partial_agg do not pass: this one knows its types.
 */
PG_FUNCTION_INFO_V1(sparkline_trans);
Datum
sparkline_trans(PG_FUNCTION_ARGS)
{
	MemoryContext aggcxt,
				old;
	ExpandedArrayHeader *eah;
	Datum		result;
	int			idx = 1;

	if (!AggCheckCallContext(fcinfo, &aggcxt))
		aggcxt = CurrentMemoryContext;
	old = MemoryContextSwitchTo(aggcxt);
	if (PG_ARGISNULL(0))
		eah = construct_empty_expanded_array(FLOAT8OID, aggcxt, NULL);
	else
		eah = DatumGetExpandedArray(PG_GETARG_DATUM(0));
	if (eah->ndims > 1)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("sparkline takes a one-dimensional array")));
	if (eah->ndims == 1 && pg_add_s32_overflow(eah->lbound[0], eah->dims[0], &idx))
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("sparkline array is too long")));
	result = array_set_element(EOHPGetRWDatum(&eah->hdr), 1, &idx,
							   PG_ARGISNULL(1) ? (Datum) 0 : PG_GETARG_DATUM(1), PG_ARGISNULL(1),
							   -1, sizeof(float8), FLOAT8PASSBYVAL, TYPALIGN_DOUBLE);
	MemoryContextSwitchTo(old);
	PG_RETURN_DATUM(result);
}
