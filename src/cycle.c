/*
 * cycle.c - the sales-cycle family: time from a deal's opening to its close,
 * honest about deals still open.
 *
 * cycle_summary counts closed deals (events), open deals (censored at their
 * age on the as_of date) and skipped rows (closed before opened, or with an
 * infinite timestamp), keeps the exact sum of closed durations in
 * microseconds (int128: no overflow is possible), and two relative-error
 * sketches (sketch.c) of durations: one of closed deals, one of open ones.
 * Percentiles come from the first; Kaplan-Meier survival estimates from
 * both, bucket by bucket, events before censorings within a bucket.
 *
 * The aggregate state is small and flat, then an expanded object, as for
 * tickets (see heartbeat.h).  avg_cycle's
 * state is "mean-only" (CYCLE_MEAN_ONLY): counts and sum, exactly
 * invertible for moving windows.
 */
#include "heartbeat.h"
#include "sketch.h"

#include <math.h>

#include "datatype/timestamp.h"
#include "libpq/pqformat.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/timestamp.h"

#define TYPNAME "cycle_summary"

#define CYCLE_MEAN_ONLY		0x0001	/* no sketches */

typedef struct CycleFlat
{
	HbHeader	hdr;
	int64		closed;			/* deals closed (events) */
	int64		open;			/* deals open at as_of (censored) */
	int64		skipped;		/* bad rows, in no figure */
	int64		sum_days;		/* sum of whole days of each duration */
	char		sum[16];		/* int128 sum of closed durations, in us */
	/* then, unless mean-only: sketch of closed durations, of open ages */
} CycleFlat;

typedef struct CycleState
{
	ExpandedObjectHeader hdr;
	uint16		flags;
	int64		closed;
	int64		open;
	int64		skipped;
	int64		sum_days;		/* see mean(): how avg(interval) would see it */
	int128		sum;
	Sketch		done;			/* closed durations */
	Sketch		censored;		/* ages of open deals */
	Size		flat_size;
} CycleState;

static Size cycle_get_flat_size(ExpandedObjectHeader *eohptr);
static void cycle_flatten_into(ExpandedObjectHeader *eohptr, void *result, Size allocated_size);

static ExpandedObjectHeader *cycle_from_flat(MemoryContext cxt, const HbHeader *f);
static uint64 cycle_rows(const HbHeader *f);

static const ExpandedObjectMethods cycle_methods = {
	cycle_get_flat_size,
	cycle_flatten_into
};

static const HbFamily cycle_family = {
	.typname = TYPNAME,
	.kind = HB_KIND_CYCLE,
	.fixed_size = sizeof(CycleFlat),
	.varsize = true,
	.flags = CYCLE_MEAN_ONLY,
	.lacks = CYCLE_MEAN_ONLY,
	.methods = &cycle_methods,
	.from_flat = cycle_from_flat,
	.rows = cycle_rows,
};

/* ---------- flat form ---------- */

static Size
cycle_get_flat_size(ExpandedObjectHeader *eohptr)
{
	CycleState *t = (CycleState *) eohptr;

	t->flat_size = sizeof(CycleFlat);
	if (!(t->flags & CYCLE_MEAN_ONLY))
		t->flat_size += sketch_flat_size(&t->done) + sketch_flat_size(&t->censored);
	return t->flat_size;
}

static void
cycle_flatten_into(ExpandedObjectHeader *eohptr, void *result, Size allocated_size)
{
	CycleState *t = (CycleState *) eohptr;
	CycleFlat  *f = (CycleFlat *) result;
	char	   *p = (char *) result + sizeof(CycleFlat);

	Assert(allocated_size == t->flat_size);
	memset(result, 0, allocated_size);
	SET_VARSIZE(f, allocated_size);
	f->hdr.version = HB_FORMAT_VERSION;
	f->hdr.kind = HB_KIND_CYCLE;
	f->hdr.flags = t->flags;
	f->closed = t->closed;
	f->open = t->open;
	f->skipped = t->skipped;
	f->sum_days = t->sum_days;
	memcpy(f->sum, &t->sum, sizeof(int128));
	if (!(t->flags & CYCLE_MEAN_ONLY))
	{
		p = sketch_flatten(&t->done, p);
		p = sketch_flatten(&t->censored, p);
	}
	Assert(p == (char *) result + allocated_size);
}

/*
 * A sum of durations that closed deals can have: none without them, each
 * between 0 and the longest interval, and at least its whole days.
 */
static inline bool
cycle_sum_fits(int64 closed, int128 sum, int64 sum_days)
{
	return sum >= 0 && sum <= (int128) closed * PG_INT64_MAX && sum_days >= 0 &&
		(int128) sum_days * USECS_PER_DAY <= sum;
}

/*
 * Checks a flat summary (its header checked by hb_summary_check); returns
 * its sum and where the sketches are.
 */
static int128
cycle_check(const CycleFlat *f, const char **sk, const char **end)
{
	int128		sum;

	if (f->closed < 0 || f->open < 0 || f->skipped < 0)
		hb_invalid(TYPNAME, "A count is negative.");
	memcpy(&sum, f->sum, sizeof(int128));
	if (!cycle_sum_fits(f->closed, sum, f->sum_days))
		hb_invalid(TYPNAME, "The sum of durations does not fit the closed deals.");
	*sk = (const char *) f + sizeof(CycleFlat);
	*end = (const char *) f + VARSIZE(f);
	if ((f->hdr.flags & CYCLE_MEAN_ONLY) && *sk != *end)
		hb_invalid(TYPNAME, "A mean-only summary carries extra bytes.");
	return sum;
}

static CycleState *
cycle_new(MemoryContext cxt, uint16 flags)
{
	CycleState *t = MemoryContextAllocZero(cxt, sizeof(CycleState));

	EOH_init_header(&t->hdr, &cycle_methods, cxt);
	t->flags = flags & CYCLE_MEAN_ONLY;
	sketch_init(&t->done, cxt);
	sketch_init(&t->censored, cxt);
	return t;
}

static inline bool
cycle_empty(int64 closed, int64 open, int64 skipped)
{
	return closed == 0 && open == 0 && skipped == 0;
}

/* Adds a checked flat summary into a state. */
static void
cycle_merge_flat(CycleState *t, const CycleFlat *f)
{
	const char *sk,
			   *end;
	int128		sum = cycle_check(f, &sk, &end);
	int64		before;

	t->flags = hb_merge_flags(&cycle_family, t->flags, cycle_empty(t->closed, t->open, t->skipped),
							  f->hdr.flags, cycle_empty(f->closed, f->open, f->skipped));
	t->closed = hb_count_add(t->closed, f->closed, TYPNAME);
	t->open = hb_count_add(t->open, f->open, TYPNAME);
	t->skipped = hb_count_add(t->skipped, f->skipped, TYPNAME);
	t->sum += sum;				/* both below 2^126 */
	t->sum_days = hb_count_add(t->sum_days, f->sum_days, TYPNAME);
	if (!(f->hdr.flags & CYCLE_MEAN_ONLY))
	{
		before = sketch_total(&t->done);
		sk = sketch_merge_flat(&t->done, sk, end, TYPNAME);
		if (sketch_total(&t->done) - before != f->closed)
			hb_invalid(TYPNAME, "Its sketch of closed deals does not count them.");
		before = sketch_total(&t->censored);
		sk = sketch_merge_flat(&t->censored, sk, end, TYPNAME);
		if (sketch_total(&t->censored) - before != f->open)
			hb_invalid(TYPNAME, "Its sketch of open deals does not count them.");
		if (sk != end)
			hb_invalid(TYPNAME, "Unexpected bytes after its sketches.");
	}
}

static const CycleFlat *
cycle_flat(Datum d)
{
	return (const CycleFlat *) hb_summary_check(d, &cycle_family);
}

static ExpandedObjectHeader *
cycle_from_flat(MemoryContext cxt, const HbHeader *h)
{
	CycleState *t = cycle_new(cxt, h ? h->flags : 0);

	if (h != NULL)
		cycle_merge_flat(t, (const CycleFlat *) h);
	return &t->hdr;
}

static uint64
cycle_rows(const HbHeader *h)
{
	const CycleFlat *f = (const CycleFlat *) h;

	return (uint64) f->closed + f->open + f->skipped;
}

#define cycle_state(fcinfo) ((CycleState *) hb_state(fcinfo, &cycle_family))

/* ---------- adding deals ---------- */

/*
 * The length of a closed deal, false when it is dirty: closed before it
 * opened, or longer than an interval can hold (timestamps 4713 BC and
 * 294276 AD are 2^63.03 microseconds apart).
 */
static inline bool
cycle_span(int64 opened, int64 closed, int64 *d)
{
	return closed >= opened && !pg_sub_s64_overflow(closed, opened, d);
}

/*
 * One deal on a microsecond time line.  has_close false: still open at
 * as_of.  A deal opened after as_of is ignored; a dirty one is skipped.
 * Every argument is finite here.
 */
static pg_attribute_always_inline void
cycle_add(CycleState *t, int64 opened, bool has_close, int64 closed, bool has_asof, int64 as_of)
{
	int64		d;

	if (has_asof)
	{
		if (opened > as_of)
			return;
		if (has_close && closed > as_of)
			has_close = false;
	}
	/* closed deals are measured to their close, open ones to as_of */
	if (!cycle_span(opened, has_close ? closed : as_of, &d))
	{
		t->skipped = hb_count_add(t->skipped, 1, TYPNAME);
		return;
	}
	if (has_close)
	{
		t->sum += d;
		t->sum_days += d / USECS_PER_DAY;	/* < 2^63 / 86400e6 per row */
		t->closed = hb_count_add(t->closed, 1, TYPNAME);
		if (!(t->flags & CYCLE_MEAN_ONLY))
			sketch_add(&t->done, (double) d, 1, TYPNAME);
	}
	else
	{
		t->open = hb_count_add(t->open, 1, TYPNAME);
		if (!(t->flags & CYCLE_MEAN_ONLY))
			sketch_add(&t->censored, (double) d, 1, TYPNAME);
	}
}

static void
check_as_of(bool finite)
{
	if (!finite)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("as_of must be a finite date or timestamp"),
				 errdetail("A date must also lie within the timestamp range, 4714-11-24 BC to 294276-12-31."),
				 errhint("Pass the moment the pipeline is read at, for example now() or a closing date.")));
}

static inline Datum
cycle_result(CycleState *t)
{
	return EOHPGetRWDatum(&t->hdr);
}

/* cycle_trans(state, opened timestamptz, closed timestamptz): strict. */
PG_FUNCTION_INFO_V1(cycle_trans);
Datum
cycle_trans(PG_FUNCTION_ARGS)
{
	CycleState *t = cycle_state(fcinfo);
	TimestampTz o = PG_GETARG_TIMESTAMPTZ(1);
	TimestampTz c = PG_GETARG_TIMESTAMPTZ(2);

	if (TIMESTAMP_NOT_FINITE(o) || TIMESTAMP_NOT_FINITE(c))
		t->skipped = hb_count_add(t->skipped, 1, TYPNAME);
	else
		cycle_add(t, o, true, c, false, 0);
	PG_RETURN_DATUM(hb_state_return(fcinfo, &t->hdr));
}

/*
 * The as_of forms, on the microsecond time line; not strict (closed may be
 * NULL).  A NULL opened or as_of ignores the row; an infinite as_of is an
 * ERROR; a deal opened after as_of is ignored, even a dirty one.
 */
static Datum
cycle_asof_common(FunctionCallInfo fcinfo, bool o_finite, int64 o, bool c_finite, int64 c,
				  bool a_finite, int64 a)
{
	CycleState *t;

	t = cycle_state(fcinfo);
	if (PG_ARGISNULL(1) || PG_ARGISNULL(3))
		PG_RETURN_DATUM(hb_state_return(fcinfo, &t->hdr));
	check_as_of(a_finite);
	if (o > a)					/* opened after as_of: not a deal yet */
		PG_RETURN_DATUM(hb_state_return(fcinfo, &t->hdr));
	if (!o_finite || (!PG_ARGISNULL(2) && !c_finite))
		t->skipped = hb_count_add(t->skipped, 1, TYPNAME);
	else
		cycle_add(t, o, !PG_ARGISNULL(2), c, true, a);
	PG_RETURN_DATUM(hb_state_return(fcinfo, &t->hdr));
}

#define ARG_TS(n) (PG_ARGISNULL(n) ? 0 : PG_GETARG_TIMESTAMPTZ(n))
#define ARG_DATE(n) (PG_ARGISNULL(n) ? 0 : PG_GETARG_DATEADT(n))

PG_FUNCTION_INFO_V1(cycle_trans_asof);
Datum
cycle_trans_asof(PG_FUNCTION_ARGS)
{
	TimestampTz o = ARG_TS(1),
				c = ARG_TS(2),
				a = ARG_TS(3);

	return cycle_asof_common(fcinfo, !TIMESTAMP_NOT_FINITE(o), o, !TIMESTAMP_NOT_FINITE(c), c,
							 !TIMESTAMP_NOT_FINITE(a), a);
}

/* Dates: whole days, whatever the TimeZone. */
#define DAY_US(d) ((int64) (d) * USECS_PER_DAY)
/* finite, and inside the timestamp range (so that DAY_US cannot overflow) */
#define DATE_OK(d) (!DATE_NOT_FINITE(d) && (d) >= DATETIME_MIN_JULIAN - POSTGRES_EPOCH_JDATE && \
					(d) < TIMESTAMP_END_JULIAN - POSTGRES_EPOCH_JDATE)
/* a date on the microsecond line; the others order like infinite timestamps */
#define DATE_US(d) (DATE_OK(d) ? DAY_US(d) : (d) < 0 ? PG_INT64_MIN : PG_INT64_MAX)

PG_FUNCTION_INFO_V1(cycle_trans_date);
Datum
cycle_trans_date(PG_FUNCTION_ARGS)
{
	CycleState *t = cycle_state(fcinfo);
	DateADT		o = PG_GETARG_DATEADT(1);
	DateADT		c = PG_GETARG_DATEADT(2);

	if (!DATE_OK(o) || !DATE_OK(c))
		t->skipped = hb_count_add(t->skipped, 1, TYPNAME);
	else
		cycle_add(t, DAY_US(o), true, DAY_US(c), false, 0);
	PG_RETURN_DATUM(hb_state_return(fcinfo, &t->hdr));
}

PG_FUNCTION_INFO_V1(cycle_trans_date_asof);
Datum
cycle_trans_date_asof(PG_FUNCTION_ARGS)
{
	DateADT		o = ARG_DATE(1),
				c = ARG_DATE(2),
				a = ARG_DATE(3);

	return cycle_asof_common(fcinfo, DATE_OK(o), DATE_US(o), DATE_OK(c), DATE_US(c),
							 DATE_OK(a), DATE_US(a));
}

/* Inverse for avg_cycle's moving windows: exact on counts and sum. */
static Datum
cycle_inverse(FunctionCallInfo fcinfo, bool finite, int64 o, int64 c)
{
	CycleState *t = cycle_state(fcinfo);
	int64		d;

	if (!(t->flags & CYCLE_MEAN_ONLY))
		PG_RETURN_NULL();
	if (!finite || !cycle_span(o, c, &d))
	{
		if (t->skipped < 1)
			hb_inverse_missing("cycle_inv");
		t->skipped--;
	}
	else
	{
		if (t->closed < 1)
			hb_inverse_missing("cycle_inv");
		t->closed--;
		t->sum -= d;
		t->sum_days -= d / USECS_PER_DAY;
	}
	PG_RETURN_DATUM(hb_state_return(fcinfo, &t->hdr));
}

PG_FUNCTION_INFO_V1(cycle_inv);
Datum
cycle_inv(PG_FUNCTION_ARGS)
{
	TimestampTz o = PG_GETARG_TIMESTAMPTZ(1);
	TimestampTz c = PG_GETARG_TIMESTAMPTZ(2);

	return cycle_inverse(fcinfo, !TIMESTAMP_NOT_FINITE(o) && !TIMESTAMP_NOT_FINITE(c), o, c);
}

PG_FUNCTION_INFO_V1(cycle_inv_date);
Datum
cycle_inv_date(PG_FUNCTION_ARGS)
{
	DateADT		o = PG_GETARG_DATEADT(1);
	DateADT		c = PG_GETARG_DATEADT(2);

	return cycle_inverse(fcinfo, DATE_OK(o) && DATE_OK(c), DATE_US(o), DATE_US(c));
}

PG_FUNCTION_INFO_V1(cycle_combine);
Datum
cycle_combine(PG_FUNCTION_ARGS)
{
	CycleState *t = cycle_state(fcinfo);

	cycle_merge_flat(t, cycle_flat(PG_GETARG_DATUM(1)));
	PG_RETURN_DATUM(hb_state_return(fcinfo, &t->hdr));
}

/* ---------- reading ---------- */

typedef struct CycleRead
{
	const CycleFlat *f;
	int128		sum;
	const char *sk;
	const char *end;
} CycleRead;

static void
cycle_read(FunctionCallInfo fcinfo, int argno, CycleRead *r)
{
	r->f = cycle_flat(PG_GETARG_DATUM(argno));
	r->sum = cycle_check(r->f, &r->sk, &r->end);
}

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

/* Both sketches decoded; ERROR for a mean-only summary. */
static void
cycle_views(const CycleRead *r, SketchView *done, SketchView *cens)
{
	const char *p;

	if (r->f->hdr.flags & CYCLE_MEAN_ONLY)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("this cycle_summary keeps only counts and the mean, not percentiles"),
				 errdetail("avg_cycle keeps only what it needs."),
				 errhint("Build the summary with cycle_agg(opened, closed).")));
	p = sketch_view(done, r->sk, r->end, TYPNAME);
	p = sketch_view(cens, p, r->end, TYPNAME);
	if (p != r->end || done->total != r->f->closed || cens->total != r->f->open)
		hb_invalid(TYPNAME, "Its sketches do not count its deals.");
}


/* A duration estimate, rounded to the second (the sketch is good to 0.4%). */
static Interval *
estimate_interval(double us)
{
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

	hb_check_percentile(p);
	cycle_read(fcinfo, 0, &r);
	cycle_views(&r, &done, &cens);
	if (r.f->closed == 0)
		PG_RETURN_NULL();
	PG_RETURN_INTERVAL_P(estimate_interval(sketch_view_quantile(&done, p)));
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
 * Kaplan-Meier over the buckets, in ascending duration: at each bucket the
 * closed deals in it are events (first), the open ones censorings (after).
 * Calls visit(time, S after the bucket) for each bucket holding events;
 * stops when visit returns true.  Returns false when there are no deals.
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
			s *= 1.0 - d / at_risk;
			if (visit(arg, t, s))
				return true;
		}
		at_risk -= d + c;
	}
	return true;
}

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

	/* 1 - S >= p, with a little slack for floating point products */
	if (s <= k->target + 1e-12)
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

	hb_check_percentile(p);
	cycle_read(fcinfo, 0, &r);
	cycle_views(&r, &done, &cens);
	if (p == 0.0)
		PG_RETURN_INTERVAL_P(us_interval(0));
	if (!kaplan_meier(&done, &cens, km_find, &k) || !k.found)
		PG_RETURN_NULL();
	PG_RETURN_INTERVAL_P(estimate_interval(k.t));
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

typedef struct KmAt
{
	double		within;
	double		s;
} KmAt;

static bool
km_at(void *arg, double t, double s)
{
	KmAt	   *k = (KmAt *) arg;

	if (t > k->within)
		return true;
	k->s = s;
	return false;
}

/* close_probability(s, within): 1 - S(within). */
PG_FUNCTION_INFO_V1(cycle_close_probability);
Datum
cycle_close_probability(PG_FUNCTION_ARGS)
{
	CycleRead	r;
	SketchView	done,
				cens;
	Interval   *w = PG_GETARG_INTERVAL_P(1);
	KmAt		k;

	cycle_read(fcinfo, 0, &r);
	cycle_views(&r, &done, &cens);
	/* the interval's length as interval comparison sees it: a month is 30 days */
	k.within = (double) w->time + ((double) w->day + (double) w->month * DAYS_PER_MONTH) * USECS_PER_DAY;
	k.s = 1.0;
	if (!kaplan_meier(&done, &cens, km_at, &k))
		PG_RETURN_NULL();
	PG_RETURN_FLOAT8(1.0 - k.s);
}

/* ---------- text and binary I/O ---------- */


static int128
text_int128(HbTextReader *r, const char *s)
{
	int128		v = 0;
	const char *p = s;

	if (s == NULL || *p == '\0')
		hb_text_bad(r, "Expected a whole number of microseconds for \"sum_us\".");
	for (; *p; p++)
	{
		/* up to 2^126: cycle_sum_fits() bounds it by the closed deals */
		if (*p < '0' || *p > '9' || v > ((((int128) 1) << 126) - (*p - '0')) / 10)
			hb_text_bad(r, "\"sum_us\" must be a non-negative whole number of microseconds.");
		v = v * 10 + (*p - '0');
	}
	return v;
}

/* Builds a checked, canonical flat summary from its parts. */
static Datum
cycle_from_parts(int64 closed, int64 open, int64 skipped, int128 sum, int64 sum_days, bool mean_only,
				 const char *sk, int len)
{
	CycleState *t = cycle_new(CurrentMemoryContext, mean_only ? CYCLE_MEAN_ONLY : 0);
	const char *p = sk,
			   *end = sk + len;

	if (closed < 0 || open < 0 || skipped < 0)
		hb_invalid(TYPNAME, "Counts must be non-negative.");
	if (!cycle_sum_fits(closed, sum, sum_days))
		hb_invalid(TYPNAME, "The sum of durations must be 0 without closed deals, never negative, at most the closed deals times the longest interval, and hold its sum of days.");
	t->closed = closed;
	t->open = open;
	t->skipped = skipped;
	t->sum = sum;
	t->sum_days = sum_days;
	if (!mean_only)
	{
		p = sketch_merge_flat(&t->done, p, end, TYPNAME);
		p = sketch_merge_flat(&t->censored, p, end, TYPNAME);
		if (p != end || sketch_total(&t->done) != closed || sketch_total(&t->censored) != open)
			hb_invalid(TYPNAME, "The sketches must count the closed and the open deals, and nothing else.");
	}
	else if (len != 0)
		hb_invalid(TYPNAME, "A summary without sketches carries sketch bytes.");
	return PointerGetDatum(PG_DETOAST_DATUM(cycle_result(t)));
}

PG_FUNCTION_INFO_V1(cycle_summary_out);
Datum
cycle_summary_out(PG_FUNCTION_ARGS)
{
	CycleRead	r;
	StringInfoData buf;

	cycle_read(fcinfo, 0, &r);
	hb_text_out_begin(&buf);
	hb_text_out_int64(&buf, "closed", r.f->closed);
	hb_text_out_int64(&buf, "open", r.f->open);
	hb_text_out_int64(&buf, "skipped", r.f->skipped);
	hb_text_out_raw(&buf, "sum_us", hb_int128_text(r.sum, 0), false);
	hb_text_out_int64(&buf, "sum_days", r.f->sum_days);
	if (r.f->hdr.flags & CYCLE_MEAN_ONLY)
		hb_text_out_raw(&buf, "sketches", NULL, false);
	else
		hb_text_out_raw(&buf, "sketches", hb_base64(r.sk, r.end - r.sk), true);
	hb_text_out_end(&buf);
	PG_RETURN_CSTRING(buf.data);
}

static Datum
cycle_summary_in_checked(PG_FUNCTION_ARGS)
{
	HbTextReader r;
	int64		closed,
				open,
				skipped,
				sum_days;
	int128		sum;
	char	   *sk;
	char	   *bytes = NULL;
	int			len = 0;

	hb_text_begin(&r, PG_GETARG_CSTRING(0), TYPNAME);
	closed = hb_text_int64_field(&r, "closed");
	open = hb_text_int64_field(&r, "open");
	skipped = hb_text_int64_field(&r, "skipped");
	sum = text_int128(&r, hb_text_value_field(&r, "sum_us"));
	sum_days = hb_text_int64_field(&r, "sum_days");
	sk = hb_text_value_field(&r, "sketches");
	hb_text_end(&r);
	if (sk != NULL)
		bytes = hb_unbase64(&r, sk, &len);
	PG_RETURN_DATUM(cycle_from_parts(closed, open, skipped, sum, sum_days, sk == NULL, bytes, len));
}
HB_INPUT_FUNCTION(cycle_summary_in, cycle_summary_in_checked, ERRCODE_INVALID_TEXT_REPRESENTATION)

PG_FUNCTION_INFO_V1(cycle_summary_send);
Datum
cycle_summary_send(PG_FUNCTION_ARGS)
{
	CycleRead	r;
	StringInfoData buf;

	cycle_read(fcinfo, 0, &r);
	pq_begintypsend(&buf);
	hb_send_header(&buf, HB_KIND_CYCLE);
	pq_sendbyte(&buf, r.f->hdr.flags & CYCLE_MEAN_ONLY);
	pq_sendint64(&buf, r.f->closed);
	pq_sendint64(&buf, r.f->open);
	pq_sendint64(&buf, r.f->skipped);
	pq_sendint64(&buf, r.f->sum_days);
	pq_sendint64(&buf, (int64) (r.sum >> 64));
	pq_sendint64(&buf, (int64) (uint64) r.sum);
	pq_sendbytes(&buf, r.sk, r.end - r.sk);
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

static Datum
cycle_summary_recv_checked(PG_FUNCTION_ARGS)
{
	StringInfo	buf = (StringInfo) PG_GETARG_POINTER(0);
	int64		closed,
				open,
				skipped,
				sum_days,
				hi,
				lo;
	int			mode,
				len;
	const char *sk;

	hb_recv_header(buf, HB_KIND_CYCLE, TYPNAME);
	mode = hb_recv_byte(buf, TYPNAME);
	if (mode != 0 && mode != CYCLE_MEAN_ONLY)
		hb_invalid(TYPNAME, "It has unknown flags %d.", mode);
	closed = hb_recv_int64(buf, TYPNAME);
	open = hb_recv_int64(buf, TYPNAME);
	skipped = hb_recv_int64(buf, TYPNAME);
	sum_days = hb_recv_int64(buf, TYPNAME);
	hi = hb_recv_int64(buf, TYPNAME);
	lo = hb_recv_int64(buf, TYPNAME);
	sk = hb_recv_rest(buf, &len);	/* the sketches */
	PG_RETURN_DATUM(cycle_from_parts(closed, open, skipped,
									 (int128) (((uint128) (uint64) hi << 64) | (uint64) lo), sum_days,
									 mode != 0, sk, len));
}
HB_INPUT_FUNCTION(cycle_summary_recv, cycle_summary_recv_checked, ERRCODE_INVALID_BINARY_REPRESENTATION)
