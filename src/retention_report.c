/*
 * retention_report.c - what a retention_summary tells: customers(), and
 * the reports retention() (retention_retention), cohorts() (retention_cohorts)
 * and revenue_retention() (retention_revenue_retention).
 *
 * Each report walks the summary customer by customer (retention_walk),
 * counting into per-period arrays (cohorts: into a sparse set of cells),
 * then writes its rows into the tuplestore of a materialized set-returning
 * function, one row per period (cohorts: per cohort and period offset).
 */
#include "retention.h"

#include "funcapi.h"
#include "period.h"

PG_FUNCTION_INFO_V1(retention_customers);
Datum
retention_customers(PG_FUNCTION_ARGS)
{
	PG_RETURN_INT64(retention_flat(PG_GETARG_DATUM(0))->customers);
}

/* ---------- what every report shares ---------- */

/* A report being made: its summary, span of periods and result set. */
typedef struct RetentionReport
{
	const RetFlat *f;
	int32		first;			/* the first period */
	int32		span;			/* periods from the first to the last */
	ReturnSetInfo *rsinfo;
} RetentionReport;

/*
 * Starts the report of argument 0: the summary, checked (with revenue when
 * `revenue`), and the tuplestore its rows go to (InitMaterializedSRF: the
 * row type from the function's OUT parameters).  False when the summary
 * is empty: the report has no rows.
 */
static bool
retention_report_begin(FunctionCallInfo fcinfo, RetentionReport *r, bool revenue)
{
	const RetFlat *f = retention_flat(PG_GETARG_DATUM(0));

	if (revenue && f->pairs > 0 && !(f->hdr.flags & RET_REVENUE))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("this retention_summary carries no revenue"),
				 errhint("Build it with retention_agg(granularity, customer, active_at, revenue).")));
	InitMaterializedSRF(fcinfo, 0);
	r->f = f;
	r->first = f->first_period;
	r->span = f->last_period - f->first_period + 1;
	r->rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	return f->pairs > 0;
}

/* The first day of the report's i-th period, as a date Datum. */
static Datum
retention_report_date(const RetentionReport *r, int32 i)
{
	return DateADTGetDatum(hb_period_start(r->f->granularity, r->first + i));
}

static void
retention_report_row(const RetentionReport *r, Datum *values, bool *nulls)
{
	tuplestore_putvalues(r->rsinfo->setResult, r->rsinfo->setDesc, values, nulls);
}

/*
 * A zeroed counter per period of the report, of elem_size bytes (a span
 * of 40M periods makes hundreds of MB): cleared 64 MB at a time, checking
 * for interrupts in between.
 */
static void *
retention_report_counters(const RetentionReport *r, Size elem_size)
{
	Size		size = (Size) r->span * elem_size;
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

/* ---------- retention(): customers per period ---------- */

/* Its counts per period, in the order of its columns. */
enum
{
	PERIODS_ACTIVE, PERIODS_NEW, PERIODS_RETURNING, PERIODS_RETAINED, PERIODS_CHURNED,
	PERIODS_COUNTS
};

typedef struct PeriodsAcc
{
	RetentionReport r;
	int64	   *count[PERIODS_COUNTS];
} PeriodsAcc;

static void
retention_periods_add(void *arg, int64 key, const int32 *p, const int64 *revs, int n)
{
	PeriodsAcc *a = (PeriodsAcc *) arg;
	int			k;

	for (k = 0; k < n; k++)
	{
		int32		i = p[k] - a->r.first;

		a->count[PERIODS_ACTIVE][i]++;
		if (k == 0)
			a->count[PERIODS_NEW][i]++;
		else if (p[k - 1] == p[k] - 1)
			a->count[PERIODS_RETAINED][i]++;
		else
			a->count[PERIODS_RETURNING][i]++;
		/* gone the period after, unless active again then */
		if ((k == n - 1 || p[k + 1] != p[k] + 1) && i + 1 < a->r.span)
			a->count[PERIODS_CHURNED][i + 1]++;
	}
}

/*
 * num / den, or NULL unless den > 0: the rates over last period's customers
 * (none) and the ratios over its revenue (none, or refunds beyond sales).
 */
static Datum
retention_ratio_or_null(int128 num, int128 den, bool *isnull)
{
	*isnull = den <= 0;
	return Float8GetDatum(den <= 0 ? 0.0 : (double) num / (double) den);
}

/* retention(s): one row per period from the first to the last. */
PG_FUNCTION_INFO_V1(retention_retention);
Datum
retention_retention(PG_FUNCTION_ARGS)
{
	PeriodsAcc	a;
	int64	  **count = a.count;
	int32		i;

	if (!retention_report_begin(fcinfo, &a.r, false))
		return (Datum) 0;
	for (int c = 0; c < PERIODS_COUNTS; c++)
		count[c] = retention_report_counters(&a.r, sizeof(int64));
	retention_walk(a.r.f, retention_periods_add, &a);
	for (i = 0; i < a.r.span; i++)
	{
		Datum		v[9];
		bool		nulls[9] = {false};
		int64		prev = i > 0 ? count[PERIODS_ACTIVE][i - 1] : 0;

		CHECK_FOR_INTERRUPTS();
		v[0] = retention_report_date(&a.r, i);
		for (int c = 0; c < PERIODS_COUNTS; c++)	/* columns 1 to 5 */
			v[1 + c] = Int64GetDatum(count[c][i]);
		v[6] = retention_ratio_or_null(count[PERIODS_RETAINED][i], prev, &nulls[6]);
		v[7] = retention_ratio_or_null(count[PERIODS_CHURNED][i], prev, &nulls[7]);
		v[8] = retention_ratio_or_null(count[PERIODS_ACTIVE][i] - count[PERIODS_NEW][i], prev, &nulls[8]);
		retention_report_row(&a.r, v, nulls);
	}
	return (Datum) 0;
}

/* ---------- cohorts(): the cohort triangle ---------- */

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

typedef struct CohortsAcc
{
	RetentionReport r;
	RetState   *cells;
} CohortsAcc;

static void
retention_cohorts_dedup(RetState *cells)
{
	retention_pairs_dedup(cells);
	if (cells->n > COHORT_MAX_CELLS)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("cohort triangle has more than %d cells with activity", COHORT_MAX_CELLS),
				 errdetail("cohorts() keeps a count for each (cohort, period_offset) cell with activity, in up to 800 MB of memory."),
				 errhint("Use a coarser granularity, or filter the activity to a shorter span.")));
}

static void
retention_cohorts_add(void *arg, int64 key, const int32 *p, const int64 *revs, int n)
{
	CohortsAcc *a = (CohortsAcc *) arg;
	RetState   *cells = a->cells;
	int			k;

	for (k = 0; k < n; k++)
	{
		if (cells->n == cells->cap)
		{
			retention_cohorts_dedup(cells);
			if (cells->n * 2 > cells->cap)
				retention_pairs_grow(cells);
		}
		retention_pairs_insert(cells, p[0] - a->r.first, p[k] - p[0], 1);
	}
}

/* cohorts(s): cohort, period_offset, cohort_size, active, retention. */
PG_FUNCTION_INFO_V1(retention_cohorts);
Datum
retention_cohorts(PG_FUNCTION_ARGS)
{
	CohortsAcc	a;
	uint64		i = 0;

	if (!retention_report_begin(fcinfo, &a.r, false))
		return (Datum) 0;
	a.cells = retention_new(CurrentMemoryContext, 1 << 16);	/* few sorts when cells are few */
	a.cells->flags = RET_REVENUE;
	retention_walk(a.r.f, retention_cohorts_add, &a);
	retention_cohorts_dedup(a.cells);

	/*
	 * Cells sorted by cohort and offset; each cohort starts with offset 0,
	 * its size.  Every offset up to the last period is listed, zeros too.
	 */
	while (i < a.cells->n)
	{
		int32		c = (int32) a.cells->set[i].key;
		int64		size = a.cells->rev[i];

		Assert(a.cells->set[i].period == 0);
		for (int32 o = 0; c + o < a.r.span; o++)
		{
			Datum		v[5];
			bool		nulls[5] = {false};
			int64		act = 0;

			INTERRUPTS_EVERY_64K(o);
			if (i < a.cells->n && a.cells->set[i].key == c && a.cells->set[i].period == o)
				act = a.cells->rev[i++];
			v[0] = retention_report_date(&a.r, c);
			v[1] = Int32GetDatum(o);
			v[2] = Int64GetDatum(size);
			v[3] = Int64GetDatum(act);
			v[4] = Float8GetDatum((double) act / (double) size);
			retention_report_row(&a.r, v, nulls);
		}
	}
	pfree(a.cells->set);			/* up to 800 MB: not left to the call's end */
	if (a.cells->rev)
		pfree(a.cells->rev);
	pfree(a.cells);
	return (Datum) 0;
}

/* ---------- revenue_retention(): revenue kept period to period ---------- */

/*
 * Its sums per period, in the order of its columns.  Each customer active
 * the period before ("then") counts its change to now (0 when gone, so it
 * holds with refunds too): an increase is expansion, a decrease contraction
 * while still active, churn when gone.  So every movement is >= 0 and
 * start + expansion - contraction - churned = what those customers bring
 * now (README, The retention family).
 */
enum
{
	REVENUE_START, REVENUE_EXPANSION, REVENUE_CONTRACTION, REVENUE_CHURNED,
	REVENUE_SUMS
};

typedef struct RevenueAcc
{
	RetentionReport r;
	int128	   *sum[REVENUE_SUMS];
} RevenueAcc;

static void
retention_revenue_add(void *arg, int64 key, const int32 *p, const int64 *r, int n)
{
	RevenueAcc *a = (RevenueAcc *) arg;
	int			k;

	for (k = 0; k < n; k++)
	{
		int32		next = p[k] + 1 - a->r.first;
		bool		stays = k + 1 < n && p[k + 1] == p[k] + 1;
		int64		then = r[k],
					now = stays ? r[k + 1] : 0;

		if (next >= a->r.span)
			continue;
		a->sum[REVENUE_START][next] += then;
		if (now > then)
			a->sum[REVENUE_EXPANSION][next] += (int128) now - then;
		else
			a->sum[stays ? REVENUE_CONTRACTION : REVENUE_CHURNED][next] += (int128) then - now;
	}
}

/*
 * revenue_retention(s): one row per period from the first to the last, as
 * retention() gives, over the customers active the period before (none
 * for the first: no starting revenue, NULL ratios).
 */
PG_FUNCTION_INFO_V1(retention_revenue_retention);
Datum
retention_revenue_retention(PG_FUNCTION_ARGS)
{
	RevenueAcc	a;
	int128	  **sum = a.sum;
	int32		i;

	if (!retention_report_begin(fcinfo, &a.r, true))
		return (Datum) 0;
	for (int c = 0; c < REVENUE_SUMS; c++)
		sum[c] = retention_report_counters(&a.r, sizeof(int128));
	retention_walk(a.r.f, retention_revenue_add, &a);
	for (i = 0; i < a.r.span; i++)
	{
		Datum		v[7];
		bool		nulls[7] = {false};
		int128		start = sum[REVENUE_START][i],
					kept = start - sum[REVENUE_CONTRACTION][i] - sum[REVENUE_CHURNED][i];

		CHECK_FOR_INTERRUPTS();
		v[0] = retention_report_date(&a.r, i);
		for (int c = 0; c < REVENUE_SUMS; c++)	/* columns 1 to 4 */
			v[1 + c] = NumericGetDatum(hb_int128_numeric(sum[c][i], a.r.f->rev_scale));
		v[5] = retention_ratio_or_null(kept + sum[REVENUE_EXPANSION][i], start, &nulls[5]);
		v[6] = retention_ratio_or_null(kept, start, &nulls[6]);
		retention_report_row(&a.r, v, nulls);
	}
	return (Datum) 0;
}
