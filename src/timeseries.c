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
 *
 * Both are written as core's window functions are (windowfuncs.c): the
 * executor calls them for every row of a partition in order, so each keeps
 * what it needs of the rows before in its partition-local memory and reads
 * only the current row.  `lookback` and `season` are read once, at the
 * partition's first row (as ntile reads its bucket count).  The window's
 * mark is set at the current row, so the window's storage drops every row
 * before it: a long partition takes memory for its lookback, not for its
 * rows.  anomaly_score keeps the finite values of its lookback sorted,
 * updated as a value comes and one leaves, and gives the same bits as
 * sorting the lookback at every row did; conversion_zscore keeps the pooled
 * counts as running sums.
 */
#include "heartbeat.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "mb/pg_wchar.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/memutils.h"
#include "windowapi.h"

/*
 * The beginning of both functions' partition-local state: the constant
 * arguments, read at the partition's first row, and the rows seen.
 */
typedef struct WinHead
{
	int64		rows;			/* rows of the partition seen so far */
	int32		lookback;
	int32		season;			/* 1 without a season */
	bool		lookback_null;
	bool		season_null;
	bool		keep;			/* both valid: the rows before are kept */
} WinHead;

static bool
arg_in_range(int32 v, bool isnull)
{
	return !isnull && v >= 1 && v <= 100000;
}

/*
 * The partition's state, `size` bytes that start with a WinHead, at the
 * current row: zeroed by the executor for each partition, which is when
 * the constant arguments are read (season from argument season_argno, or
 * none when 0).  Checks that rows come one by one in order, and sets the
 * mark at the current row: no row before it is read again.
 */
static void *
win_state(WindowObject w, Size size, int season_argno, int64 *pos)
{
	WinHead    *h = WinGetPartitionLocalMemory(w, size);

	*pos = WinGetCurrentPosition(w);
	if (*pos != h->rows)
		elog(ERROR, "window function called at row " INT64_FORMAT " of its partition after " INT64_FORMAT " rows",
			 *pos, h->rows);
	if (h->rows == 0)
	{
		h->lookback = DatumGetInt32(WinGetFuncArgCurrent(w, 1, &h->lookback_null));
		h->season = 1;
		if (season_argno > 0)
			h->season = DatumGetInt32(WinGetFuncArgCurrent(w, season_argno, &h->season_null));
		h->keep = arg_in_range(h->lookback, h->lookback_null) &&
			arg_in_range(h->season, h->season_null);
	}
	h->rows++;
	WinSetMarkPosition(w, *pos);
	return h;
}

/* A constant argument as every row with a value checks it: false when NULL. */
static bool
positive_arg(int32 v, bool isnull, const char *what)
{
	if (isnull)
		return false;
	if (!arg_in_range(v, false))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must be between 1 and 100000, got %d", what, v)));
	return true;
}

/*
 * The length, at least `need` (<= max), of an array of `have` to grow to:
 * doubled, at most max.
 */
static int
grown_length(int have, int need, int max)
{
	int			n = Max(8, have);

	while (n < need)
		n *= 2;
	return Min(n, max);
}

/* p (NULL at first) grown to n elements of `size` bytes, in the context of the state st. */
static void *
grown(void *p, int n, Size size, void *st)
{
	return p ? repalloc(p, n * size) : MemoryContextAlloc(GetMemoryChunkContext(st), n * size);
}

/* ---------- anomaly_score ---------- */

static int
cmp_double(const void *a, const void *b)
{
	double		x = *(const double *) a,
				y = *(const double *) b;

	return x < y ? -1 : x > y;
}

/* Median of the ascending v[0..n), n >= 1. */
static double
median_sorted(const double *v, int n)
{
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2.0;
}

/*
 * 1.4826 x the median of dev[0..n) (ascending, n >= 1); when that is 0, the
 * mean of dev, summed in ascending order, x sqrt(pi/2).
 */
static double
spread_of(const double *dev, int n)
{
	double		spread = 1.4826 * median_sorted(dev, n);

	if (spread == 0.0)
	{
		double		sum = 0.0;
		int			k;

		for (k = 0; k < n; k++)
			sum += dev[k];
		spread = 1.2533141373155 * sum / n; /* sqrt(pi / 2) */
	}
	return spread;
}

/* The first index of the ascending s[0..n) whose value is >= x (> x when after). */
static int
bound_of(const double *s, int n, double x, bool after)
{
	int			lo = 0,
				hi = n;

	while (lo < hi)
	{
		int			mid = lo + (hi - lo) / 2;

		if (s[mid] < x || (after && s[mid] == x))
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/*
 * The previous values of one season phase (of every row, without a season):
 * value i of the phase (its i-th row) is kept at i % lookback.  Its finite
 * values are also kept ascending, equal ones newest first, so that the one
 * that leaves is the last of its equals.
 */
typedef struct AnomalyPhase
{
	double	   *ring;
	bool	   *ringnull;
	double	   *sorted;
	int			nsorted;
	int			nonfinite;		/* its infinities and NaNs (not in sorted) */
	int			negzero;		/* its -0s */
	int			poszero;		/* its +0s */
	int			len;			/* allocated length of the three arrays */
} AnomalyPhase;

typedef struct AnomalyState
{
	WinHead		head;
	AnomalyPhase *phases;		/* by phase, allocated as rows reach them */
	int			nphases;
	double	   *dev;			/* scratch for the deviations */
	int			devlen;
} AnomalyState;

static AnomalyPhase *
anomaly_phase(AnomalyState *st, int phase)
{
	if (phase >= st->nphases)
	{
		int			n = grown_length(st->nphases, phase + 1, st->head.season);

		st->phases = grown(st->phases, n, sizeof(AnomalyPhase), st);
		memset(st->phases + st->nphases, 0, (n - st->nphases) * sizeof(AnomalyPhase));
		st->nphases = n;
	}
	return &st->phases[phase];
}

/*
 * Counts x in (delta 1) or out (-1) of the phase's values that are equal to
 * others without being the same bits; false when x is not kept sorted.
 */
static bool
anomaly_tally(AnomalyPhase *ph, double x, int delta)
{
	if (!isfinite(x))
	{
		ph->nonfinite += delta;
		return false;
	}
	if (x == 0.0 && signbit(x))
		ph->negzero += delta;
	else if (x == 0.0)
		ph->poszero += delta;
	return true;
}

/* Value i of the phase comes; value i - lookback, if any, leaves. */
static void
anomaly_push(AnomalyState *st, AnomalyPhase *ph, int64 i, double x, bool isnull)
{
	int32		lookback = st->head.lookback;
	int			slot = (int) (i % lookback);

	if (i >= lookback && !ph->ringnull[slot])
	{
		double		old = ph->ring[slot];

		if (anomaly_tally(ph, old, -1))
		{
			/* the oldest of its equals: the last of them */
			int			at = bound_of(ph->sorted, ph->nsorted, old, true) - 1;

			Assert(at >= 0 && memcmp(&ph->sorted[at], &old, sizeof(double)) == 0);
			ph->nsorted--;
			memmove(ph->sorted + at, ph->sorted + at + 1, (ph->nsorted - at) * sizeof(double));
		}
	}
	else if (i < lookback && slot >= ph->len)
	{
		int			n = grown_length(ph->len, slot + 1, lookback);

		ph->ring = grown(ph->ring, n, sizeof(double), st);
		ph->ringnull = grown(ph->ringnull, n, sizeof(bool), st);
		ph->sorted = grown(ph->sorted, n, sizeof(double), st);
		ph->len = n;
	}
	ph->ring[slot] = x;
	ph->ringnull[slot] = isnull;
	if (!isnull && anomaly_tally(ph, x, 1))
	{
		/* the newest of its equals: the first of them */
		int			at = bound_of(ph->sorted, ph->nsorted, x, false);

		memmove(ph->sorted + at + 1, ph->sorted + at, (ph->nsorted - at) * sizeof(double));
		ph->sorted[at] = x;
		ph->nsorted++;
	}
}

/*
 * The median and spread of the phase's previous values (it holds values
 * 0..i-1 of the phase, the last lookback of them): false with fewer than 3.
 * From the sorted values, |v - median| ascending is a merge of the two
 * sides of the median, each ascending from it outwards.  That gives the
 * bits that sorting the lookback at every row gave as long as equal values
 * are the same bits.  Else (-0 beside +0, a NaN, which is equal to
 * everything, or an infinity, which can make one) the lookback is sorted
 * as it was: read newest first, with PostgreSQL's qsort, which is not
 * stable, so that equal values fall in the same order.
 */
static bool
anomaly_center(AnomalyState *st, const AnomalyPhase *ph, int64 i, double *med, double *spread)
{
	int			n = ph->nsorted + ph->nonfinite,
				k;
	double	   *dev;

	if (n < 3)
		return false;
	if (n > st->devlen)
	{
		st->devlen = grown_length(st->devlen, n, st->head.lookback);
		st->dev = grown(st->dev, st->devlen, sizeof(double), st);
	}
	dev = st->dev;
	if (ph->nonfinite == 0 && (ph->negzero == 0 || ph->poszero == 0))
	{
		const double *s = ph->sorted;
		int			lo,
					hi;

		*med = median_sorted(s, n);
		hi = bound_of(s, n, *med, false);
		lo = hi - 1;
		for (k = 0; k < n; k++)
		{
			if (hi >= n || (lo >= 0 && fabs(s[lo] - *med) <= fabs(s[hi] - *med)))
				dev[k] = fabs(s[lo--] - *med);
			else
				dev[k] = fabs(s[hi++] - *med);
		}
	}
	else
	{
		double	   *v = palloc(n * sizeof(double));
		int			m = 0;
		int64		j;

		for (j = i - 1; j >= 0 && j >= i - st->head.lookback; j--)
		{
			int			slot = (int) (j % st->head.lookback);

			if (!ph->ringnull[slot])
				v[m++] = ph->ring[slot];
		}
		Assert(m == n);
		qsort(v, n, sizeof(double), cmp_double);
		*med = median_sorted(v, n);
		for (k = 0; k < n; k++)
			dev[k] = fabs(v[k] - *med);
		qsort(dev, n, sizeof(double), cmp_double);
	}
	*spread = spread_of(dev, n);
	return true;
}

static Datum
anomaly_common(FunctionCallInfo fcinfo, bool seasonal)
{
	WindowObject w = PG_WINDOW_OBJECT();
	int64		pos;
	AnomalyState *st = win_state(w, sizeof(AnomalyState), seasonal ? 2 : 0, &pos);
	AnomalyPhase *ph = NULL;
	int64		i = 0;
	bool		isnull,
				scored = false;
	double		x = DatumGetFloat8(WinGetFuncArgCurrent(w, 0, &isnull)),
				med,
				spread;

	if (st->head.keep)
	{
		ph = anomaly_phase(st, (int) (pos % st->head.season));
		i = pos / st->head.season;
	}
	if (!isnull && positive_arg(st->head.lookback, st->head.lookback_null, "lookback") &&
		(!seasonal || positive_arg(st->head.season, st->head.season_null, "season")))
		scored = anomaly_center(st, ph, i, &med, &spread) &&
			spread != 0.0 && isfinite(spread);
	if (ph)
		anomaly_push(st, ph, i, x, isnull);
	if (!scored)
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

/* ---------- conversion_zscore ---------- */

/*
 * The previous periods' counts, period i at i % lookback, and their sums
 * over the lookback while those are exact: an overflow, or a negative count
 * (only a corrupted value has one), makes the next score sum the lookback
 * again as it once was at every row, raising the same error.
 */
typedef struct ZscoreState
{
	WinHead		head;
	int64	   *conv;
	int64	   *trials;
	bool	   *isnull;
	int			len;
	int			negative;		/* periods of the lookback with a count < 0 */
	bool		exact;			/* pc and pt are the lookback's sums */
	int64		pc;
	int64		pt;
} ZscoreState;

/* Period i comes with its counts; period i - lookback, if any, leaves. */
static void
zscore_push(ZscoreState *st, int64 i, bool isnull, int64 c, int64 t)
{
	int32		lookback = st->head.lookback;
	int			slot = (int) (i % lookback);

	if (i >= lookback && !st->isnull[slot])
	{
		st->negative -= st->conv[slot] < 0 || st->trials[slot] < 0;
		st->exact = st->exact && !pg_sub_s64_overflow(st->pc, st->conv[slot], &st->pc) &&
			!pg_sub_s64_overflow(st->pt, st->trials[slot], &st->pt);
	}
	else if (i < lookback && slot >= st->len)
	{
		int			n = grown_length(st->len, slot + 1, lookback);

		st->conv = grown(st->conv, n, sizeof(int64), st);
		st->trials = grown(st->trials, n, sizeof(int64), st);
		st->isnull = grown(st->isnull, n, sizeof(bool), st);
		st->len = n;
	}
	st->isnull[slot] = isnull;
	st->conv[slot] = c;
	st->trials[slot] = t;
	if (isnull)
		return;
	st->negative += c < 0 || t < 0;
	st->exact = st->exact && !pg_add_s64_overflow(st->pc, c, &st->pc) &&
		!pg_add_s64_overflow(st->pt, t, &st->pt);
}

/* The pooled counts of the periods before period i. */
static void
zscore_pool(ZscoreState *st, int64 i)
{
	int64		j;

	if (st->exact && st->negative == 0)
		return;
	st->pc = st->pt = 0;
	for (j = i - 1; j >= 0 && j >= i - st->head.lookback; j--)
	{
		int			slot = (int) (j % st->head.lookback);

		if (st->isnull[slot])
			continue;
		st->pc = hb_count_add(st->pc, st->conv[slot], "conversion_summary");
		st->pt = hb_count_add(st->pt, st->trials[slot], "conversion_summary");
	}
	st->exact = true;
}

PG_FUNCTION_INFO_V1(conversion_zscore);
Datum
conversion_zscore(PG_FUNCTION_ARGS)
{
	WindowObject w = PG_WINDOW_OBJECT();
	int64		pos;
	ZscoreState *st = win_state(w, sizeof(ZscoreState), 0, &pos);
	bool		isnull,
				scored = false;
	Datum		cur = WinGetFuncArgCurrent(w, 0, &isnull);
	int64		conv = 0,
				trials = 0;
	double		p,
				pbar = 0;

	if (!isnull)
	{
		conversion_counts(cur, &conv, &trials);
		if (positive_arg(st->head.lookback, st->head.lookback_null, "lookback") && trials != 0)
		{
			zscore_pool(st, pos);
			if (st->pt != 0)
			{
				pbar = (double) st->pc / (double) st->pt;
				/* 0 or 1: no variance to measure against */
				scored = pbar > 0.0 && pbar < 1.0;
			}
		}
	}
	if (st->head.keep)
		zscore_push(st, pos, isnull, conv, trials);
	if (!scored)
		PG_RETURN_NULL();
	p = (double) conv / (double) trials;
	PG_RETURN_FLOAT8((p - pbar) / sqrt(pbar * (1.0 - pbar) / (double) trials));
}

/*
 * The two ramps of sparkline, lowest level first: eight block characters
 * (U+2581 to U+2588, Unicode only), and eight ASCII characters for clients
 * that cannot take them (client_encoding LATIN1, WIN1252: Windows ODBC).
 */
static const char *const sparkline_blocks[8] = {"▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"};
static const char *const sparkline_ascii_ramp[8] = {"_", ".", "-", "~", "=", "+", "*", "#"};

/*
 * One character of the ramp per value of the array, scaled between the
 * series' minimum and maximum; NULL is a space; a constant series is a
 * flat middle line (level 4 of 8).
 */
static Datum
sparkline_render(ArrayType *a, const char *const ramp[8])
{
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
		int			level;

		if (nulls[k])
		{
			appendStringInfoChar(&buf, ' ');
			continue;
		}
		x = DatumGetFloat8(v[k]);
		if (hi == lo)
			level = 3;
		else
		{
			level = (int) rint((half ? x * 0.5 - lo * 0.5 : x - lo) / range * 7.0);
			level = Max(0, Min(7, level));
		}
		appendStringInfoString(&buf, ramp[level]);
	}
	PG_RETURN_TEXT_P(cstring_to_text_with_len(buf.data, buf.len));
}

/* The block ramp exists only in a UTF8 database. */
static void
sparkline_check_utf8(void)
{
	if (GetDatabaseEncoding() != PG_UTF8)
		ereport(ERROR,
				(errcode(ERRCODE_CHARACTER_NOT_IN_REPERTOIRE),
				 errmsg("sparkline needs a UTF8 database"),
				 errdetail("Its block characters (U+2581 to U+2588) exist only in Unicode."),
				 errhint("sparkline(values, ascii => true) draws with ASCII characters.")));
}

/* sparkline(double precision[]): the block ramp. */
PG_FUNCTION_INFO_V1(sparkline);
Datum
sparkline(PG_FUNCTION_ARGS)
{
	sparkline_check_utf8();
	return sparkline_render(PG_GETARG_ARRAYTYPE_P(0), sparkline_blocks);
}

/*
 * sparkline(double precision[], ascii boolean): the ASCII ramp _.-~=+*#
 * when ascii is true (any database and client encoding), else the blocks.
 */
PG_FUNCTION_INFO_V1(sparkline_ascii);
Datum
sparkline_ascii(PG_FUNCTION_ARGS)
{
	if (PG_GETARG_BOOL(1))
		return sparkline_render(PG_GETARG_ARRAYTYPE_P(0), sparkline_ascii_ramp);
	sparkline_check_utf8();
	return sparkline_render(PG_GETARG_ARRAYTYPE_P(0), sparkline_blocks);
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
