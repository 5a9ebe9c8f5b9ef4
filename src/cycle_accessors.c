/*
 * cycle_accessors.c - what SQL reads from a cycle_summary: the mean, the
 * counts, percentiles of closed deals, Kaplan-Meier survival percentiles
 * and close probabilities.
 *
 * Percentiles and Kaplan-Meier run over "steps" of durations, ascending:
 * the days of a day summary, exactly (results are whole days), or the
 * buckets of a sketch summary (results within the sketch's relative error,
 * rounded to the second).  A mean-only summary has neither.
 */
#include "cycle.h"

#include <math.h>

#include "utils/builtins.h"
#include "utils/timestamp.h"

/* Microseconds as an interval the way timestamp subtraction gives it. */
static Interval *
us_interval(int64 us)
{
	Interval   *i = palloc0(sizeof(Interval));

	i->day = (int32) (us / USECS_PER_DAY);
	i->time = us - (int64) i->day * USECS_PER_DAY;
	return i;
}

PG_FUNCTION_INFO_V1(cycle_mean);
Datum
cycle_mean(PG_FUNCTION_ARGS)
{
	CycleRead	r;
	int128		q,
				rem;

	cycle_read(fcinfo, 0, &r);
	if (r.f->closed == 0)
		PG_RETURN_NULL();

	/*
	 * avg(closed - opened) adds each difference's days and time apart and
	 * divides them with interval_div; doing the same gives its result to the
	 * microsecond, whenever those sums fit an interval.
	 */
	if (r.f->sum_days <= PG_INT32_MAX &&
		r.sum - (int128) r.f->sum_days * USECS_PER_DAY <= PG_INT64_MAX)
	{
		Interval   *total = palloc0(sizeof(Interval));

		total->day = (int32) r.f->sum_days;
		total->time = (int64) (r.sum - (int128) r.f->sum_days * USECS_PER_DAY);
		PG_RETURN_DATUM(DirectFunctionCall2(interval_div, IntervalPGetDatum(total),
											Float8GetDatum((double) r.f->closed)));
	}
	/* beyond: the exact mean, rounded half up to the microsecond */
	q = r.sum / r.f->closed;
	rem = r.sum % r.f->closed;
	if (2 * rem >= r.f->closed)
		q++;
	PG_RETURN_INTERVAL_P(us_interval((int64) q));
}

/* closed_deals(), open_deals(), skipped(): one count of the summary. */
#define CYCLE_COUNT_FUNCTION(fn, field) \
	PG_FUNCTION_INFO_V1(fn); \
	Datum fn(PG_FUNCTION_ARGS) \
	{ \
		CycleRead	r; \
		cycle_read(fcinfo, 0, &r); \
		PG_RETURN_INT64(r.f->field); \
	}

CYCLE_COUNT_FUNCTION(cycle_closed_deals, closed)
CYCLE_COUNT_FUNCTION(cycle_open_deals, open)
CYCLE_COUNT_FUNCTION(cycle_skipped, skipped)

/*
 * The durations of closed deals and the ages of open ones, as steps in
 * ascending order; true when they are exact days (a day summary), false
 * for sketch buckets.  ERROR for a mean-only summary.
 */
static bool
cycle_views(const CycleRead *r, SketchView *done, SketchView *cens)
{
	const char *p;

	if (r->f->hdr.flags & CYCLE_MEAN_ONLY)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("this cycle_summary keeps only counts and the mean, not percentiles"),
				 errdetail("avg_cycle keeps only what it needs."),
				 errhint("Build the summary with cycle_agg(opened, closed).")));
	if (r->f->hdr.flags & CYCLE_DAYS)
	{
		CycleDaysList d,
					c;

		cycle_days_lists(r->f, r->sum, r->payload, r->end, &d, &c);
		cycle_days_view(done, &d);
		cycle_days_view(cens, &c);
		return true;
	}
	p = sketch_view(done, r->payload, r->end, TYPNAME);
	p = sketch_view(cens, p, r->end, TYPNAME);
	if (p != r->end || done->total != r->f->closed || cens->total != r->f->open)
		hb_invalid(TYPNAME, "Its sketches do not count its deals.");
	return false;
}

/*
 * A duration read from a step: whole days from a day summary; from a
 * sketch, its estimate rounded to the second (the sketch is good to 0.4%).
 */
static Interval *
step_interval(double us, bool exact)
{
	Interval   *i;

	if (exact)
	{
		i = palloc0(sizeof(Interval));
		i->day = (int32) ((int64) us / USECS_PER_DAY);	/* a whole day, < 2^27 */
		return i;
	}
	if (!(fabs(us) < 9.0e18))	/* only a hand-made sketch gets here */
		ereport(ERROR,
				(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
				 errmsg("interval out of range")));
	return us_interval((int64) (rint(us / USECS_PER_SEC) * USECS_PER_SEC));
}

static Datum
cycle_quantile(FunctionCallInfo fcinfo, double p)
{
	CycleRead	r;
	SketchView	done,
				cens;
	bool		exact;

	hb_check_percentile(p);
	cycle_read(fcinfo, 0, &r);
	exact = cycle_views(&r, &done, &cens);
	if (r.f->closed == 0)
		PG_RETURN_NULL();
	PG_RETURN_INTERVAL_P(step_interval(sketch_view_quantile(&done, p), exact));
}

PG_FUNCTION_INFO_V1(cycle_percentile);
Datum
cycle_percentile(PG_FUNCTION_ARGS)
{
	return cycle_quantile(fcinfo, PG_GETARG_FLOAT8(1));
}

PG_FUNCTION_INFO_V1(cycle_median);
Datum
cycle_median(PG_FUNCTION_ARGS)
{
	return cycle_quantile(fcinfo, 0.5);
}

/*
 * Kaplan-Meier over the steps, in ascending duration: at each step the
 * closed deals in it are events (first), the open ones censorings (after),
 * so an open deal aged t is at risk at t.  Calls visit(time, S after the
 * step) for each step holding events; stops when visit returns true.
 * Returns false when there are no deals.
 */
typedef bool (*km_visit) (void *arg, double t, double s);

static bool
kaplan_meier(const SketchView *done, const SketchView *cens, km_visit visit, void *arg)
{
	double		at_risk = (double) (done->total + cens->total);
	double		s = 1.0;
	int			i = 0,
				j = 0;

	if (at_risk == 0)
		return false;
	while (i < done->nbuckets || j < cens->nbuckets)
	{
		double		t;
		double		d = 0,
					c = 0;

		if (j >= cens->nbuckets || (i < done->nbuckets && done->value[i] <= cens->value[j]))
			t = done->value[i];
		else
			t = cens->value[j];
		if (i < done->nbuckets && done->value[i] == t)
			d = (double) done->count[i++];
		if (j < cens->nbuckets && cens->value[j] == t)
			c = (double) cens->count[j++];
		if (d > 0)
		{
			s *= (at_risk - d) / at_risk;
			if (visit(arg, t, s))
				return true;
		}
		at_risk -= d + c;
	}
	return true;
}

/*
 * S is a product of up to CYCLE_DAYS_MAX factors, each rounded: it may be
 * off by a few 1e-12 of itself.  A survival percentile takes S within
 * 1e-11 of 1 - p (relative) as reaching it, so that an exact tie (half of
 * the deals closed: S = 0.5 for p = 0.5) counts.
 */
#define KM_TIE		1e-11

typedef struct KmFind
{
	double		target;			/* S must fall to this or below */
	double		t;
	bool		found;
} KmFind;

static bool
km_find(void *arg, double t, double s)
{
	KmFind	   *k = (KmFind *) arg;

	if (s <= k->target * (1.0 + KM_TIE))
	{
		k->t = t;
		k->found = true;
		return true;
	}
	return false;
}

static Datum
cycle_survival(FunctionCallInfo fcinfo, double p)
{
	CycleRead	r;
	SketchView	done,
				cens;
	KmFind		k = {1.0 - p, 0.0, false};
	bool		exact;

	hb_check_percentile(p);
	cycle_read(fcinfo, 0, &r);
	exact = cycle_views(&r, &done, &cens);
	if (p == 0.0)
		PG_RETURN_INTERVAL_P(us_interval(0));
	if (!kaplan_meier(&done, &cens, km_find, &k) || !k.found)
		PG_RETURN_NULL();
	PG_RETURN_INTERVAL_P(step_interval(k.t, exact));
}

PG_FUNCTION_INFO_V1(cycle_survival_percentile);
Datum
cycle_survival_percentile(PG_FUNCTION_ARGS)
{
	return cycle_survival(fcinfo, PG_GETARG_FLOAT8(1));
}

PG_FUNCTION_INFO_V1(cycle_survival_median);
Datum
cycle_survival_median(PG_FUNCTION_ARGS)
{
	return cycle_survival(fcinfo, 0.5);
}

/*
 * A horizon's length in microseconds, counted as extract(epoch from
 * interval) counts it: the months make whole years (month / 12, toward
 * zero) of 365.25 days and the rest (month % 12) 30 days each; a day is 24
 * hours.  int128: no interval overflows it.
 */
static int128
cycle_horizon_us(const Interval *w)
{
	/* in quarter days, so that a year is a whole number of them */
	int128		quarters = (int128) (4 * DAYS_PER_YEAR) * (w->month / MONTHS_PER_YEAR) +
		(int128) (4 * DAYS_PER_MONTH) * (w->month % MONTHS_PER_YEAR) +
		(int128) 4 * w->day;

	return quarters * (USECS_PER_DAY / 4) + w->time;
}

/*
 * Which steps close_probability counts: those at or before the horizon.
 * Days count up to the horizon, inclusive; a sketch bucket counts when it
 * starts at or before the horizon, so that a deal closed exactly then is
 * in, whichever side of its bucket's estimate it lies.
 */
typedef struct KmAt
{
	bool		exact;
	double		within;			/* exact: the last day counted, in us */
	int32		bucket;			/* else: the last bucket counted (within > 0) */
	double		s;
} KmAt;

static bool
km_at(void *arg, double t, double s)
{
	KmAt	   *k = (KmAt *) arg;
	bool		in;

	if (k->exact || t == 0.0 || k->within <= 0.0)
		in = t <= k->within;
	else
		in = sketch_index(t) <= k->bucket;
	if (!in)
		return true;
	k->s = s;
	return false;
}

/* close_probability(s, within): 1 - S(within), deals closed at `within` included. */
PG_FUNCTION_INFO_V1(cycle_close_probability);
Datum
cycle_close_probability(PG_FUNCTION_ARGS)
{
	CycleRead	r;
	SketchView	done,
				cens;
	int128		h = cycle_horizon_us(PG_GETARG_INTERVAL_P(1));
	KmAt		k;

	cycle_read(fcinfo, 0, &r);
	k.exact = cycle_views(&r, &done, &cens);
	k.s = 1.0;
	if (!k.exact)
		k.within = (double) h;
	else if (h < 0)
		k.within = -1.0;		/* before every day */
	else						/* the last whole day, on the microsecond line */
		k.within = (double) (Min(h / USECS_PER_DAY, CYCLE_MAX_DAY) * USECS_PER_DAY);
	k.bucket = k.within > 0.0 ? sketch_index(k.within) : 0;
	if (!kaplan_meier(&done, &cens, km_at, &k))
		PG_RETURN_NULL();
	PG_RETURN_FLOAT8(1.0 - k.s);
}
