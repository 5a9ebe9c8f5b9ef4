/*
 * cycle.c - the sales-cycle family: time from a deal's opening to its close,
 * honest about deals still open.
 *
 * cycle_summary counts closed deals (events), open deals (censored at their
 * age on the as_of date) and skipped rows (closed before opened, or with an
 * infinite timestamp), keeps the exact sum of closed durations in
 * microseconds (int128: no overflow is possible), and the durations of
 * closed deals and the ages of open ones (cycle.h), in one of two ways:
 *  - exactly, as day histograms (a day summary, CYCLE_DAYS), while every
 *    duration is a whole number of days (dates always; timestamps when
 *    their differences are) and neither histogram holds more than
 *    CYCLE_DAYS_MAX distinct days;
 *  - else as two relative-error sketches (sketch.c).
 * Which one is a function of the rows alone (the first fractional duration
 * or the first day past the bound turns a state into sketches for good, and
 * a sketch summary never turns back), so the bytes depend only on the
 * multiset of rows, whatever their order or split.  The one exception is a
 * sketch summary stored by 0.1.0 or 0.2.0 (they kept sketches even of
 * dates): merged with a day summary it gives a sketch summary, the days
 * added to its sketches as their rows would have been (heartbeat.h's merge
 * rule for a `keeps` bit).
 *
 * The aggregate state is small and flat, then an expanded object, as for
 * tickets (see heartbeat.h).  avg_cycle's state is "mean-only"
 * (CYCLE_MEAN_ONLY): counts and sum, exactly invertible for moving windows.
 */
#include "cycle.h"

#include "libpq/pqformat.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/timestamp.h"

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
	.flags = CYCLE_MEAN_ONLY | CYCLE_DAYS,
	.lacks = CYCLE_MEAN_ONLY,
	.keeps = CYCLE_DAYS,
	.methods = &cycle_methods,
	.from_flat = cycle_from_flat,
	.rows = cycle_rows,
};

static inline bool
cycle_empty(int64 closed, int64 open, int64 skipped)
{
	return closed == 0 && open == 0 && skipped == 0;
}

/* ---------- flat form ---------- */

/* The flags a state is written with: an empty one as a sketch summary. */
static inline uint16
cycle_flat_flags(const CycleState *t)
{
	return cycle_empty(t->closed, t->open, t->skipped) ? t->flags & ~CYCLE_DAYS : t->flags;
}

static Size
cycle_get_flat_size(ExpandedObjectHeader *eohptr)
{
	CycleState *t = (CycleState *) eohptr;
	uint16		flags = cycle_flat_flags(t);

	t->flat_size = sizeof(CycleFlat);
	if (flags & CYCLE_DAYS)
		t->flat_size += cycle_days_flat_size(&t->done_days) + cycle_days_flat_size(&t->censored_days);
	else if (!(flags & CYCLE_MEAN_ONLY))
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
	f->hdr.flags = cycle_flat_flags(t);
	f->closed = t->closed;
	f->open = t->open;
	f->skipped = t->skipped;
	f->sum_days = t->sum_days;
	memcpy(f->sum, &t->sum, sizeof(int128));
	if (f->hdr.flags & CYCLE_DAYS)
	{
		p = cycle_days_flatten(&t->done_days, p);
		p = cycle_days_flatten(&t->censored_days, p);
	}
	else if (!(f->hdr.flags & CYCLE_MEAN_ONLY))
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
 * Checks a flat summary's fields (its header checked by hb_summary_check);
 * returns its sum and where its histograms or sketches are.
 */
static int128
cycle_check(const CycleFlat *f, const char **payload, const char **end)
{
	int128		sum;

	if ((f->hdr.flags & CYCLE_MEAN_ONLY) && (f->hdr.flags & CYCLE_DAYS))
		hb_invalid(TYPNAME, "A mean-only summary keeps no days.");
	if (f->closed < 0 || f->open < 0 || f->skipped < 0)
		hb_invalid(TYPNAME, "A count is negative.");
	memcpy(&sum, f->sum, sizeof(int128));
	if (!cycle_sum_fits(f->closed, sum, f->sum_days))
		hb_invalid(TYPNAME, "The sum of durations does not fit the closed deals.");
	*payload = (const char *) f + sizeof(CycleFlat);
	*end = (const char *) f + VARSIZE(f);
	if ((f->hdr.flags & CYCLE_MEAN_ONLY) && *payload != *end)
		hb_invalid(TYPNAME, "A mean-only summary carries extra bytes.");
	return sum;
}

/* A new, empty state: exact (a day summary) until a row says otherwise. */
static CycleState *
cycle_new(MemoryContext cxt, uint16 flags)
{
	CycleState *t = MemoryContextAllocZero(cxt, sizeof(CycleState));

	EOH_init_header(&t->hdr, &cycle_methods, cxt);
	t->flags = (flags & CYCLE_MEAN_ONLY) ? CYCLE_MEAN_ONLY : CYCLE_DAYS;
	cycle_days_init(&t->done_days, cxt);
	cycle_days_init(&t->censored_days, cxt);
	sketch_init(&t->done, cxt);
	sketch_init(&t->censored, cxt);
	return t;
}

/* A day state turned into sketches, for good: its days added to them. */
static void
cycle_go_sketch(CycleState *t)
{
	Assert(t->flags & CYCLE_DAYS);
	cycle_days_fold(&t->done_days, &t->done);
	cycle_days_fold(&t->censored_days, &t->censored);
	t->flags &= ~CYCLE_DAYS;
}

/* Adds the histograms or sketches of checked flat summary f into a state. */
static void
cycle_merge_payload(CycleState *t, const CycleFlat *f, int128 sum, const char *p, const char *end)
{
	int64		before;

	if (f->hdr.flags & CYCLE_DAYS)
	{
		CycleDaysList done,
					censored;

		cycle_days_lists(f, sum, p, end, &done, &censored);
		if (!(t->flags & CYCLE_DAYS))
		{
			cycle_days_fold_list(&done, &t->done);
			cycle_days_fold_list(&censored, &t->censored);
		}
		else
		{
			bool		fits = cycle_days_merge(&t->done_days, &done);

			if (!cycle_days_merge(&t->censored_days, &censored) || !fits)
				cycle_go_sketch(t);
		}
		return;
	}
	if (f->hdr.flags & CYCLE_MEAN_ONLY)
		return;
	/* a sketch summary: into a day state only when it is empty (checked) */
	before = sketch_total(&t->done);
	p = sketch_merge_flat(&t->done, p, end, TYPNAME);
	if (sketch_total(&t->done) - before != f->closed)
		hb_invalid(TYPNAME, "Its sketch of closed deals does not count them.");
	before = sketch_total(&t->censored);
	p = sketch_merge_flat(&t->censored, p, end, TYPNAME);
	if (sketch_total(&t->censored) - before != f->open)
		hb_invalid(TYPNAME, "Its sketch of open deals does not count them.");
	if (p != end)
		hb_invalid(TYPNAME, "Unexpected bytes after its sketches.");
}

/*
 * Adds a flat summary into a state, by the kit's merge rule: a mean-only
 * side makes the result mean-only; a sketch side (with rows) makes it a
 * sketch summary.
 */
static void
cycle_merge_flat(CycleState *t, const CycleFlat *f)
{
	const char *p,
			   *end;
	int128		sum = cycle_check(f, &p, &end);
	uint16		flags;

	flags = hb_merge_flags(&cycle_family, t->flags, cycle_empty(t->closed, t->open, t->skipped),
						   f->hdr.flags, cycle_empty(f->closed, f->open, f->skipped));
	if ((t->flags & CYCLE_DAYS) && !(flags & CYCLE_DAYS))
		cycle_go_sketch(t);
	t->flags = (flags & CYCLE_MEAN_ONLY) ? CYCLE_MEAN_ONLY : flags;
	t->closed = hb_count_add(t->closed, f->closed, TYPNAME);
	t->open = hb_count_add(t->open, f->open, TYPNAME);
	t->skipped = hb_count_add(t->skipped, f->skipped, TYPNAME);
	t->sum += sum;				/* both below 2^126 */
	t->sum_days = hb_count_add(t->sum_days, f->sum_days, TYPNAME);
	cycle_merge_payload(t, f, sum, p, end);
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
 * Keeps a duration d (us) in a day histogram while the state is exact and
 * d is whole days, else in a sketch; the first fractional duration, or the
 * first day past CYCLE_DAYS_MAX, turns the state into sketches.
 */
static pg_attribute_always_inline void
cycle_keep(CycleState *t, CycleDays *days, Sketch *sketch, int64 d)
{
	if (t->flags & CYCLE_DAYS)
	{
		if (likely(d % USECS_PER_DAY == 0))
		{
			if (!cycle_days_add(days, (int32) (d / USECS_PER_DAY), 1))
				cycle_go_sketch(t);
			return;
		}
		cycle_go_sketch(t);
	}
	if (!(t->flags & CYCLE_MEAN_ONLY))
		sketch_add(sketch, (double) d, 1, TYPNAME);
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
		cycle_keep(t, &t->done_days, &t->done, d);
	}
	else
	{
		t->open = hb_count_add(t->open, 1, TYPNAME);
		cycle_keep(t, &t->censored_days, &t->censored, d);
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

void
cycle_read(FunctionCallInfo fcinfo, int argno, CycleRead *r)
{
	r->f = cycle_flat(PG_GETARG_DATUM(argno));
	r->sum = cycle_check(r->f, &r->payload, &r->end);
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

/*
 * Builds a checked, canonical flat summary from its parts: the value they
 * make, read into an empty state through the checks of a stored value.
 */
static Datum
cycle_from_parts(int64 closed, int64 open, int64 skipped, int128 sum, int64 sum_days, uint16 flags,
				 const char *payload, int len)
{
	CycleFlat  *f;
	CycleState *t;

	if (closed < 0 || open < 0 || skipped < 0)
		hb_invalid(TYPNAME, "Counts must be non-negative.");
	if (!cycle_sum_fits(closed, sum, sum_days))
		hb_invalid(TYPNAME, "The sum of durations must be 0 without closed deals, never negative, at most the closed deals times the longest interval, and hold its sum of days.");
	f = hb_summary_alloc(sizeof(CycleFlat) + len, HB_KIND_CYCLE);
	f->hdr.flags = flags;
	f->closed = closed;
	f->open = open;
	f->skipped = skipped;
	f->sum_days = sum_days;
	memcpy(f->sum, &sum, sizeof(int128));
	if (len > 0)
		memcpy((char *) f + sizeof(CycleFlat), payload, len);
	t = cycle_new(CurrentMemoryContext, flags);
	cycle_merge_flat(t, f);
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
		hb_text_out_raw(&buf, (r.f->hdr.flags & CYCLE_DAYS) ? "days" : "sketches",
						hb_base64(r.payload, r.end - r.payload), true);
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
	bool		days;
	char	   *payload;
	char	   *bytes = NULL;
	int			len = 0;

	hb_text_begin(&r, PG_GETARG_CSTRING(0), TYPNAME);
	closed = hb_text_int64_field(&r, "closed");
	open = hb_text_int64_field(&r, "open");
	skipped = hb_text_int64_field(&r, "skipped");
	sum = text_int128(&r, hb_text_value_field(&r, "sum_us"));
	sum_days = hb_text_int64_field(&r, "sum_days");
	/* "days" (a day summary) or "sketches" (null: mean-only) */
	days = hb_text_next_is(&r, "days");
	payload = hb_text_value_field(&r, days ? "days" : "sketches");
	hb_text_end(&r);
	if (days && payload == NULL)
		hb_text_bad(&r, "Expected the base64 of its day histograms for \"days\".");
	if (payload != NULL)
		bytes = hb_unbase64(&r, payload, &len);
	PG_RETURN_DATUM(cycle_from_parts(closed, open, skipped, sum, sum_days,
									 days ? CYCLE_DAYS : payload == NULL ? CYCLE_MEAN_ONLY : 0,
									 bytes, len));
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
	pq_sendbyte(&buf, r.f->hdr.flags);	/* CYCLE_MEAN_ONLY or CYCLE_DAYS */
	pq_sendint64(&buf, r.f->closed);
	pq_sendint64(&buf, r.f->open);
	pq_sendint64(&buf, r.f->skipped);
	pq_sendint64(&buf, r.f->sum_days);
	pq_sendint64(&buf, (int64) (r.sum >> 64));
	pq_sendint64(&buf, (int64) (uint64) r.sum);
	pq_sendbytes(&buf, r.payload, r.end - r.payload);
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
	const char *payload;

	hb_recv_header(buf, HB_KIND_CYCLE, TYPNAME);
	mode = hb_recv_byte(buf, TYPNAME);
	if (mode != 0 && mode != CYCLE_MEAN_ONLY && mode != CYCLE_DAYS)
		hb_invalid(TYPNAME, "It has unknown flags %d.", mode);
	closed = hb_recv_int64(buf, TYPNAME);
	open = hb_recv_int64(buf, TYPNAME);
	skipped = hb_recv_int64(buf, TYPNAME);
	sum_days = hb_recv_int64(buf, TYPNAME);
	hi = hb_recv_int64(buf, TYPNAME);
	lo = hb_recv_int64(buf, TYPNAME);
	payload = hb_recv_rest(buf, &len);	/* the histograms or sketches */
	PG_RETURN_DATUM(cycle_from_parts(closed, open, skipped,
									 (int128) (((uint128) (uint64) hi << 64) | (uint64) lo), sum_days,
									 (uint16) mode, payload, len));
}
HB_INPUT_FUNCTION(cycle_summary_recv, cycle_summary_recv_checked, ERRCODE_INVALID_BINARY_REPRESENTATION)
