/*
 * retention.c - the retention family: who comes back, period by period and
 * cohort by cohort, and with how much revenue.  This file holds the state,
 * its flat form, the transition and the I/O; the pair set is in
 * retention_pairs.c, the reports in retention_report.c, periods and time
 * zones in period.c (see retention.h).
 *
 * retention_summary is the set of distinct (customer, active period) pairs,
 * with the revenue of each pair when asked for.  Periods are cut as
 * date_trunc cuts them (timestamptz in the time zone given).  Customer keys
 * are bigint (exact) or a 64-bit hash of text or uuid keys (FNV-1a over the
 * bytes, then a splitmix64 finaliser: the same on every platform).
 *
 * While aggregating, a big state is an expanded object holding an array of
 * pairs, appended to and compacted (the new pairs sorted and merged into the
 * sorted ones, duplicates summed) once it holds twice the distinct pairs
 * last counted (see retention_pairs_full); a small one stays flat (see
 * heartbeat.h).  Flat, the pairs are sorted by customer and period and
 * written as varints: per customer a key delta, a period count, period gaps
 * and, with revenue, the amounts scaled to the largest number of decimals
 * seen.  Equal sets of pairs give equal bytes.
 */
#include "retention.h"

#include "catalog/pg_type.h"
#include "libpq/pqformat.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/numeric.h"
#include "utils/timestamp.h"
#include "utils/uuid.h"

#include "period.h"

static Size retention_get_flat_size(ExpandedObjectHeader *eohptr);
static void retention_flatten_into(ExpandedObjectHeader *eohptr, void *result, Size allocated_size);

static ExpandedObjectHeader *retention_from_flat(MemoryContext cxt, const HbHeader *f);
static uint64 retention_rows(const HbHeader *f);

static const ExpandedObjectMethods retention_methods = {retention_get_flat_size, retention_flatten_into};

static const HbFamily retention_family = {
	.typname = RETENTION_TYPNAME,
	.kind = HB_KIND_RETENTION,
	.fixed_size = sizeof(RetFlat),
	.varsize = true,
	.flags = RET_REVENUE | RET_HASHED,
	.keeps = RET_REVENUE,
	.kinds = RET_HASHED,
	.methods = &retention_methods,
	.from_flat = retention_from_flat,
	.rows = retention_rows,
};

/* ---------- the state ---------- */

RetState *
retention_new(MemoryContext cxt, uint64 room)
{
	RetState   *t = MemoryContextAllocZero(cxt, sizeof(RetState));

	EOH_init_header(&t->hdr, &retention_methods, cxt);
	t->cap = Max(room, RET_FIRST_CAP);
	t->limit = Max(2 * t->cap, RET_MIN_LIMIT);
	t->set = MemoryContextAllocExtended(cxt, sizeof(Pair) * t->cap, MCXT_ALLOC_HUGE);
	return t;
}

/* ---------- flat form ---------- */

/* The pair list at p, up to end: the next varint. */
#define retention_varint(p, end, v) \
	hb_varint_read((p), (end), (v), RETENTION_TYPNAME, "Its pair list is truncated or malformed.")

/*
 * The canonical flat form: its size, and written into dst unless dst is
 * NULL.  The pairs are compacted first (once: a second call finds them so).
 */
static Size
retention_write_flat(RetState *t, char *dst)
{
	Pair	   *v;
	uint64		k,
				n;
	char		buf[10];
	char	   *p = dst ? dst + sizeof(RetFlat) : buf;
	Size		size = sizeof(RetFlat);
	int64		customers = 0;
	int32		lo = 0,
				hi = 0;

#define PUT(v) do { char *e_ = hb_varint_put(p, (v)); size += e_ - p; if (dst) p = e_; } while (0)
	if (t->sorted != t->n)
		retention_pairs_dedup(t);			/* no room made for more pairs: most are done */
	v = t->set;
	n = t->n;
	for (k = 0; k < n; k++)
	{
		INTERRUPTS_EVERY_64K(k);
		if (k == 0 || v[k].period < lo)
			lo = v[k].period;
		if (k == 0 || v[k].period > hi)
			hi = v[k].period;
	}
	if (n > 0 && (int64) hi - lo >= RETENTION_MAX_SPAN)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("retention activity spans more than %d periods", RETENTION_MAX_SPAN),
				 errhint("Use a coarser granularity, or filter out dates far from the rest.")));
	for (k = 0; k < n;)
	{
		uint64		j = k;
		int32		prev;

		CHECK_FOR_INTERRUPTS();
		while (j < n && v[j].key == v[k].key)
			j++;
		PUT(customers == 0 ? hb_zigzag(v[k].key) : (uint64) v[k].key - (uint64) v[k - 1].key);
		PUT(j - k);
		prev = lo - 1;
		for (uint64 m = k; m < j; m++)
		{
			PUT((uint64) ((int64) v[m].period - prev - 1));
			prev = v[m].period;
		}
		if (t->flags & RET_REVENUE)
			for (uint64 m = k; m < j; m++)
				PUT(hb_zigzag(t->rev ? t->rev[m] : 0));
		customers++;
		k = j;
	}
#undef PUT
	if (dst)
	{
		RetFlat    *f = (RetFlat *) dst;

		memset(f, 0, sizeof(RetFlat));
		SET_VARSIZE(f, size);
		f->hdr.version = HB_FORMAT_VERSION;
		f->hdr.kind = HB_KIND_RETENTION;
		f->hdr.flags = t->flags;
		f->granularity = t->granularity;
		f->rev_scale = (t->flags & RET_REVENUE) ? t->rev_scale : 0;
		f->customers = customers;
		f->pairs = (int64) n;
		f->first_period = lo;
		f->last_period = hi;
	}
	return size;
}

static Size
retention_get_flat_size(ExpandedObjectHeader *eohptr)
{
	return retention_write_flat((RetState *) eohptr, NULL);
}

static void
retention_flatten_into(ExpandedObjectHeader *eohptr, void *result, Size allocated_size)
{
	PG_USED_FOR_ASSERTS_ONLY Size size = retention_write_flat((RetState *) eohptr, result);

	Assert(size == allocated_size);
}

/*
 * Walks a flat summary customer by customer, checking every bound; calls
 * fn with the customer's periods (ascending) and revenues (or NULL).
 */
void
retention_walk(const RetFlat *f, retention_customer_fn fn, void *arg)
{
	const char *p = (const char *) f + sizeof(RetFlat);
	const char *end = (const char *) f + VARSIZE(f);
	int64		c,
				pairs = 0,
				key = 0;
	int32	   *periods = NULL;
	int64	   *revs = NULL;
	int			cap = 0;

	for (c = 0; c < f->customers; c++)
	{
		uint64		u,
					cnt,
					m;
		int64		prev = (int64) f->first_period - 1;

		p = retention_varint(p, end, &u);
		if (c == 0)
			key = hb_unzigzag(u);
		else
		{
			if (u == 0)
				hb_invalid(RETENTION_TYPNAME, "Its customers are not in order.");
			key = (int64) ((uint64) key + u);
		}
		p = retention_varint(p, end, &cnt);
		if (cnt == 0 || cnt > (uint64) (f->pairs - pairs) ||
			cnt > (uint64) f->last_period - f->first_period + 1)
			hb_invalid(RETENTION_TYPNAME, "A customer's period count is out of range.");
		if ((int) cnt > cap)
		{
			cap = Max((int) cnt, 64);
			periods = periods ? repalloc(periods, sizeof(int32) * cap) : palloc(sizeof(int32) * cap);
			revs = revs ? repalloc(revs, sizeof(int64) * cap) : palloc(sizeof(int64) * cap);
		}
		for (m = 0; m < cnt; m++)
		{
			INTERRUPTS_EVERY_64K(pairs + m);
			p = retention_varint(p, end, &u);
			if ((int64) f->last_period - prev - 1 < 0 || u > (uint64) ((int64) f->last_period - prev - 1))
				hb_invalid(RETENTION_TYPNAME, "A period is out of range.");
			prev = prev + 1 + (int64) u;
			periods[m] = (int32) prev;
		}
		if (f->hdr.flags & RET_REVENUE)
			for (m = 0; m < cnt; m++)
			{
				p = retention_varint(p, end, &u);
				revs[m] = hb_unzigzag(u);
			}
		pairs += cnt;
		if (fn)
			fn(arg, key, periods, (f->hdr.flags & RET_REVENUE) ? revs : NULL, (int) cnt);
	}
	if (p != end || pairs != f->pairs)
		hb_invalid(RETENTION_TYPNAME, "Its pair list does not match its counts.");
}

/* The fields of a flat summary whose header hb_summary_check() took. */
static void
retention_check(const RetFlat *f)
{
	if (f->granularity < PERIOD_NONE || f->granularity > PERIOD_YEAR || f->rev_scale < 0 || f->rev_scale > 1000 ||
		f->customers < 0 || f->pairs < f->customers ||
		(f->customers == 0) != (f->pairs == 0) || (f->pairs > 0 && f->first_period > f->last_period) ||
		(f->pairs > 0 && f->granularity == PERIOD_NONE) ||
		(f->pairs > 0 && (int64) f->last_period - f->first_period >= RETENTION_MAX_SPAN))
		hb_invalid(RETENTION_TYPNAME, "Its header is inconsistent.");
}

const RetFlat *
retention_flat(Datum d)
{
	const RetFlat *f = (const RetFlat *) hb_summary_check(d, &retention_family);

	retention_check(f);
	return f;
}

typedef struct RetentionMergeArg
{
	RetState   *t;
	int64		factor;			/* revenue scale-up */
} RetentionMergeArg;

static void
retention_merge_customer(void *arg, int64 key, const int32 *periods, const int64 *revs, int n)
{
	RetentionMergeArg *m = (RetentionMergeArg *) arg;
	int			k;

	for (k = 0; k < n; k++)
	{
		int64		r = 0;

		if (revs && (m->t->flags & RET_REVENUE) && __builtin_mul_overflow(revs[k], m->factor, &r))
			retention_revenue_overflow();
		retention_pairs_insert(m->t, key, periods[k], r);
	}
}

/*
 * Check or adopt the granularity and key type of a summary being merged
 * or a row being added, and merge its flags by the kit's rule: revenue is
 * kept when both sides keep it.
 */
static void
retention_kind(RetState *t, int g, uint16 flags)
{
	if (g == PERIOD_NONE)
		return;
	if (t->granularity == PERIOD_NONE)
		t->granularity = g;
	else if (t->granularity != g)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("cannot merge retention summaries of different granularity"),
				 errhint("Roll up summaries built with the same granularity.")));
	if (t->n > 0 && (t->flags & RET_HASHED) != (flags & RET_HASHED))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("cannot merge retention summaries of different customer key types"),
				 errhint("Use bigint keys everywhere, or text/uuid keys everywhere.")));
	flags = hb_merge_flags(&retention_family, t->flags, t->n == 0, flags, false);
	if (!(flags & RET_REVENUE) && t->rev != NULL)
	{
		pfree(t->rev);
		t->rev = NULL;
	}
	if (!(flags & RET_REVENUE))
		t->rev_scale = 0;
	t->flags = flags;
}

static void
retention_merge_flat(RetState *t, const RetFlat *f)
{
	RetentionMergeArg m = {t, 1};
	int			e;

	if (f->pairs == 0)
	{
		retention_walk(f, NULL, NULL);
		return;
	}
	retention_kind(t, f->granularity, f->hdr.flags);
	if (t->flags & RET_REVENUE)
	{
		retention_pairs_rescale(t, f->rev_scale);
		for (e = f->rev_scale; e < t->rev_scale; e++)
			if (__builtin_mul_overflow(m.factor, 10, &m.factor))
				retention_revenue_overflow();
	}
	retention_walk(f, retention_merge_customer, &m);
	/* read into an empty state, the pairs are sorted when they were in order */
	if (t->sorted == 0)
	{
		uint64		k;

		for (k = 1; k < t->n && PAIR_LESS(t->set[k - 1], t->set[k]); k++)
			INTERRUPTS_EVERY_64K(k);
		if (k >= t->n)
			t->sorted = t->n;
	}
}

static ExpandedObjectHeader *
retention_from_flat(MemoryContext cxt, const HbHeader *h)
{
	const RetFlat *f = (const RetFlat *) h;
	RetState   *t;

	if (f == NULL)
		return &retention_new(cxt, 0)->hdr;
	retention_check(f);
	/* room for its pairs and one more (a pair takes a byte at least) */
	t = retention_new(cxt, Min((uint64) f->pairs, VARSIZE(f) - sizeof(RetFlat)) + 1);
	retention_merge_flat(t, f);
	return &t->hdr;
}

static uint64
retention_rows(const HbHeader *h)
{
	return (uint64) ((const RetFlat *) h)->pairs;
}

#define retention_state(fcinfo) ((RetState *) hb_state(fcinfo, &retention_family))

/* ---------- keys ---------- */

static inline uint64
retention_mix64(uint64 x)
{
	x ^= x >> 30;
	x *= UINT64CONST(0xbf58476d1ce4e5b9);
	x ^= x >> 27;
	x *= UINT64CONST(0x94d049bb133111eb);
	x ^= x >> 31;
	return x;
}

/* FNV-1a, 64 bits, then a finaliser: byte-wise, platform-independent. */
static int64
retention_hash_key(const char *p, int len)
{
	uint64		h = UINT64CONST(0xcbf29ce484222325);
	int			k;

	for (k = 0; k < len; k++)
	{
		h ^= (uint8) p[k];
		h *= UINT64CONST(0x100000001b3);
	}
	return (int64) retention_mix64(h);
}

/* ---------- transition ---------- */

#define DAY_CACHE 1024
typedef struct RetentionTransCache
{
	int32		cday[DAY_CACHE];	/* day -> period, direct-mapped */
	int32		cperiod[DAY_CACHE];
	int			gran;
	text	   *gran_text;		/* the last granularity argument seen */
	Oid			key_type;		/* from the function's own signature */
	Oid			at_type;
	int			revenue_arg;	/* its position, 0 if none */
	text	   *zone_text;		/* timestamptz: the last time zone seen */
	pg_tz	   *zone;
	PeriodTzCache tz;
	/* revenue: 10^factor_scale and the bigint bounds, made once */
	int32		factor_scale;
	Numeric		factor;
	Numeric		int8_max;
	Numeric		int8_min;
} RetentionTransCache;

/*
 * True when a text argument differs from the copy kept in *kept (NULL at
 * first), which then becomes a copy of it in cxt.
 */
static bool
retention_text_arg_changed(text *arg, text **kept, MemoryContext cxt)
{
	Size		len = VARSIZE_ANY_EXHDR(arg);

	if (*kept != NULL && VARSIZE_ANY_EXHDR(*kept) == len &&
		memcmp(VARDATA_ANY(*kept), VARDATA_ANY(arg), len) == 0)
		return false;
	if (*kept != NULL)
		pfree(*kept);
	*kept = (text *) MemoryContextAlloc(cxt, VARSIZE_ANY(arg));
	memcpy(*kept, arg, VARSIZE_ANY(arg));
	return true;
}

/* The time zone argument of a timestamptz overload, looked up when it changes. */
static pg_tz *
retention_zone(FunctionCallInfo fcinfo, RetentionTransCache *c)
{
	text	   *z;

	if (PG_ARGISNULL(4))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("retention time zone must not be NULL"),
				 errhint("Name the zone whose calendar cuts the periods, for example 'UTC' or 'America/Sao_Paulo'.")));
	z = PG_GETARG_TEXT_PP(4);
	if (retention_text_arg_changed(z, &c->zone_text, fcinfo->flinfo->fn_mcxt))
	{
		char	   *name = text_to_cstring(z);

		c->zone = pg_tzset(name);
		if (c->zone == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("time zone \"%s\" not recognized", name),
					 errhint("Use a name from pg_timezone_names, for example 'UTC' or 'America/Sao_Paulo'.")));
	}
	return c->zone;
}

/*
 * retention_trans(state, granularity, customer, active_at [, time_zone]
 * [, revenue]): every overload.  The argument types come from the
 * function's own declaration (fn_oid), never from the call site, which
 * callers such as Citus's worker_partial_agg do not pass; a timestamptz
 * is cut into days in the time zone given as an argument, never the
 * session's, so the result is the same wherever the call runs.
 */
PG_FUNCTION_INFO_V1(retention_trans);
Datum
retention_trans(PG_FUNCTION_ARGS)
{
	RetState   *t = retention_state(fcinfo);
	RetentionTransCache *c = (RetentionTransCache *) fcinfo->flinfo->fn_extra;
	bool		with_rev;
	int64		key;
	int32		day;
	int64		rev = 0;
	text	   *g;
	uint16		flags;

	if (c == NULL)
	{
		Oid		   *argtypes;
		int			nargs;

		c = MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt, sizeof(RetentionTransCache));
		get_func_signature(fcinfo->flinfo->fn_oid, &argtypes, &nargs);
		c->key_type = argtypes[2];
		c->at_type = argtypes[3];
		c->revenue_arg = argtypes[nargs - 1] == NUMERICOID ? nargs - 1 : 0;
		if (c->at_type == TIMESTAMPTZOID && !(nargs > 4 && argtypes[4] == TEXTOID))
			ereport(ERROR,
					(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
					 errmsg("retention_agg over timestamptz without a time zone is no longer supported"),
					 errdetail("This database's heartbeat objects are older than the heartbeat library."),
					 errhint("Run ALTER EXTENSION heartbeat UPDATE, then name the zone: retention_agg(granularity, customer, active_at, 'UTC').")));
		fcinfo->flinfo->fn_extra = c;
	}
	with_rev = c->revenue_arg != 0;
	if (PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("retention granularity must not be NULL"),
				 errhint("Use one of day, week, month, quarter, year.")));
	g = PG_GETARG_TEXT_PP(1);
	if (retention_text_arg_changed(g, &c->gran_text, fcinfo->flinfo->fn_mcxt))
	{
		c->gran = hb_period_parse(g);
		for (int i = 0; i < DAY_CACHE; i++)
			c->cperiod[i] = PG_INT32_MIN;	/* empty */
	}
	if (PG_ARGISNULL(2) || PG_ARGISNULL(3))
		PG_RETURN_DATUM(hb_state_return(fcinfo, &t->hdr));	/* NULL customer or time: ignored */

	/* the key */
	if (c->key_type == INT8OID)
		key = PG_GETARG_INT64(2);
	else if (c->key_type == UUIDOID)
		key = retention_hash_key((const char *) PG_GETARG_UUID_P(2)->data, UUID_LEN);
	else
	{
		text	   *k = PG_GETARG_TEXT_PP(2);

		key = retention_hash_key(VARDATA_ANY(k), VARSIZE_ANY_EXHDR(k));
	}

	/* the day */
	if (c->at_type == DATEOID)
	{
		DateADT		d = PG_GETARG_DATEADT(3);

		if (DATE_NOT_FINITE(d))
			goto infinite;
		day = d;
	}
	else
	{
		Timestamp	ts = PG_GETARG_TIMESTAMP(3);

		if (TIMESTAMP_NOT_FINITE(ts))
			goto infinite;
		day = c->at_type == TIMESTAMPTZOID ? hb_period_local_day(&c->tz, retention_zone(fcinfo, c), ts)
			: (int32) period_floor_div(ts, USECS_PER_DAY);
	}

	flags = (c->key_type == INT8OID ? 0 : RET_HASHED) | (with_rev ? RET_REVENUE : 0);
	if (unlikely(t->granularity != c->gran || t->flags != flags || t->n == 0))
		retention_kind(t, c->gran, flags);

	if (with_rev && !PG_ARGISNULL(c->revenue_arg))
	{
		Numeric		n = PG_GETARG_NUMERIC(c->revenue_arg);
		int32		s;
		Numeric		scaled;

		if (numeric_is_nan(n) || numeric_is_inf(n))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("retention revenue must be a finite number")));
		s = DatumGetInt32(DirectFunctionCall1(numeric_scale, NumericGetDatum(n)));
		retention_pairs_rescale(t, s);
		if (c->factor == NULL || c->factor_scale != t->rev_scale)
		{
			MemoryContext old = MemoryContextSwitchTo(fcinfo->flinfo->fn_mcxt);

			c->factor = DatumGetNumeric(DirectFunctionCall2(numeric_power,
															NumericGetDatum(int64_to_numeric(10)),
															NumericGetDatum(int64_to_numeric(t->rev_scale))));
			c->factor_scale = t->rev_scale;
			if (c->int8_max == NULL)
			{
				c->int8_max = int64_to_numeric(PG_INT64_MAX);
				c->int8_min = int64_to_numeric(PG_INT64_MIN);
			}
			MemoryContextSwitchTo(old);
		}
		scaled = DatumGetNumeric(DirectFunctionCall2(numeric_mul, NumericGetDatum(n), NumericGetDatum(c->factor)));
		if (DatumGetInt32(DirectFunctionCall2(numeric_cmp, NumericGetDatum(scaled), NumericGetDatum(c->int8_max))) > 0 ||
			DatumGetInt32(DirectFunctionCall2(numeric_cmp, NumericGetDatum(scaled), NumericGetDatum(c->int8_min))) < 0)
			retention_revenue_overflow();
		rev = DatumGetInt64(DirectFunctionCall1(numeric_int8, NumericGetDatum(scaled)));
	}
	{
		int			slot = day & (DAY_CACHE - 1);

		if (c->cday[slot] != day || c->cperiod[slot] == PG_INT32_MIN)
		{
			c->cday[slot] = day;
			c->cperiod[slot] = hb_period_of_day(c->gran, day);
		}
		retention_pairs_insert(t, key, c->cperiod[slot], rev);
	}
	PG_RETURN_DATUM(hb_state_return(fcinfo, &t->hdr));

infinite:
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("retention activity time must be finite"),
			 errhint("Filter out rows whose active_at is infinity or -infinity.")));
	PG_RETURN_NULL();
}

PG_FUNCTION_INFO_V1(retention_combine);
Datum
retention_combine(PG_FUNCTION_ARGS)
{
	RetState   *t = retention_state(fcinfo);

	retention_merge_flat(t, retention_flat(PG_GETARG_DATUM(1)));
	PG_RETURN_DATUM(hb_state_return(fcinfo, &t->hdr));
}

/* ---------- text and binary I/O ---------- */

/* Re-derives the canonical flat form through a state: checks everything. */
static Datum
retention_from_flat_bytes(RetFlat *f)
{
	RetState   *t;
	RetFlat    *g;

	(void) hb_summary_check(PointerGetDatum(f), &retention_family);
	retention_check(f);
	t = retention_new(CurrentMemoryContext, 0);
	t->granularity = f->granularity;
	t->flags = f->hdr.flags;
	t->rev_scale = f->rev_scale;
	retention_merge_flat(t, f);
	g = (RetFlat *) PG_DETOAST_DATUM(EOHPGetRWDatum(&t->hdr));
	if (g->pairs != f->pairs)
		hb_invalid(RETENTION_TYPNAME, "It lists a customer-period pair twice.");
	if (g->customers != f->customers ||
		(f->pairs > 0 && (g->first_period != f->first_period || g->last_period != f->last_period)))
		hb_invalid(RETENTION_TYPNAME, "Its customer count or period range does not match its pairs.");
	return PointerGetDatum(g);
}

/* A flat summary from its header fields and pair list, checked and canonical. */
static Datum
retention_from_parts(uint16 flags, int32 g, int32 rev_scale, int64 customers, int64 pairs,
					 int32 first, int32 last, const char *bytes, int len)
{
	RetFlat    *f = palloc(sizeof(RetFlat) + len);	/* all written below */

	memset(f, 0, sizeof(RetFlat));
	SET_VARSIZE(f, sizeof(RetFlat) + len);
	f->hdr.version = HB_FORMAT_VERSION;
	f->hdr.kind = HB_KIND_RETENTION;
	f->hdr.flags = flags;
	f->granularity = g;
	f->rev_scale = rev_scale;
	f->customers = customers;
	f->pairs = pairs;
	f->first_period = first;
	f->last_period = last;
	memcpy((char *) f + sizeof(RetFlat), bytes, len);
	return retention_from_flat_bytes(f);
}

PG_FUNCTION_INFO_V1(retention_summary_out);
Datum
retention_summary_out(PG_FUNCTION_ARGS)
{
	const RetFlat *f = retention_flat(PG_GETARG_DATUM(0));
	StringInfoData buf;

	hb_text_out_begin(&buf);
	hb_text_out_raw(&buf, "granularity", hb_period_names[f->granularity], true);
	hb_text_out_raw(&buf, "keys", (f->hdr.flags & RET_HASHED) ? "hash" : "bigint", true);
	hb_text_out_raw(&buf, "revenue_scale", (f->hdr.flags & RET_REVENUE) ? psprintf("%d", f->rev_scale) : NULL, false);
	hb_text_out_int64(&buf, "customers", f->customers);
	hb_text_out_int64(&buf, "pairs", f->pairs);
	hb_text_out_int64(&buf, "first_period", f->first_period);
	hb_text_out_int64(&buf, "last_period", f->last_period);
	hb_text_out_raw(&buf, "data", hb_base64((const char *) f + sizeof(RetFlat), VARSIZE(f) - sizeof(RetFlat)), true);
	hb_text_out_end(&buf);
	PG_RETURN_CSTRING(buf.data);
}

static Datum
retention_summary_in_checked(PG_FUNCTION_ARGS)
{
	HbTextReader r;
	char	   *gran,
			   *keys,
			   *scale,
			   *data;
	int64		customers,
				pairs,
				first,
				last;
	int			g,
				len;
	char	   *bytes;

	hb_text_begin(&r, PG_GETARG_CSTRING(0), RETENTION_TYPNAME);
	gran = hb_text_value_field(&r, "granularity");
	keys = hb_text_value_field(&r, "keys");
	scale = hb_text_value_field(&r, "revenue_scale");
	customers = hb_text_int64_field(&r, "customers");
	pairs = hb_text_int64_field(&r, "pairs");
	first = hb_text_int64_field(&r, "first_period");
	last = hb_text_int64_field(&r, "last_period");
	data = hb_text_value_field(&r, "data");
	hb_text_end(&r);
	for (g = PERIOD_DAY; g <= PERIOD_YEAR && gran; g++)
		if (strcmp(gran, hb_period_names[g]) == 0)
			break;
	if (gran == NULL)
		g = PERIOD_NONE;
	else if (g > PERIOD_YEAR)
		hb_text_bad(&r, "Unknown granularity: use day, week, month, quarter or year.");
	if (keys == NULL || (strcmp(keys, "bigint") != 0 && strcmp(keys, "hash") != 0))
		hb_text_bad(&r, "\"keys\" must be \"bigint\" or \"hash\".");
	if (first < PG_INT32_MIN || first > PG_INT32_MAX || last < PG_INT32_MIN || last > PG_INT32_MAX)
		hb_text_bad(&r, "A period number is out of range.");
	bytes = hb_unbase64(&r, data ? data : "", &len);
	PG_RETURN_DATUM(retention_from_parts((strcmp(keys, "hash") == 0 ? RET_HASHED : 0) | (scale ? RET_REVENUE : 0),
										 g, scale ? pg_strtoint32(scale) : 0, customers, pairs,
										 (int32) first, (int32) last, bytes, len));
}
HB_INPUT_FUNCTION(retention_summary_in, retention_summary_in_checked, ERRCODE_INVALID_TEXT_REPRESENTATION)

PG_FUNCTION_INFO_V1(retention_summary_send);
Datum
retention_summary_send(PG_FUNCTION_ARGS)
{
	const RetFlat *f = retention_flat(PG_GETARG_DATUM(0));
	StringInfoData buf;

	pq_begintypsend(&buf);
	hb_send_header(&buf, HB_KIND_RETENTION);
	pq_sendint16(&buf, f->hdr.flags);
	pq_sendint32(&buf, f->granularity);
	pq_sendint32(&buf, f->rev_scale);
	pq_sendint64(&buf, f->customers);
	pq_sendint64(&buf, f->pairs);
	pq_sendint32(&buf, f->first_period);
	pq_sendint32(&buf, f->last_period);
	pq_sendbytes(&buf, (const char *) f + sizeof(RetFlat), VARSIZE(f) - sizeof(RetFlat));
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

static Datum
retention_summary_recv_checked(PG_FUNCTION_ARGS)
{
	StringInfo	buf = (StringInfo) PG_GETARG_POINTER(0);
	int			len;
	uint16		flags;
	int32		g,
				s,
				first,
				last;
	int64		customers,
				pairs;
	const char *bytes;

	hb_recv_header(buf, HB_KIND_RETENTION, RETENTION_TYPNAME);
	flags = (uint16) hb_recv_int16(buf, RETENTION_TYPNAME);
	g = hb_recv_int32(buf, RETENTION_TYPNAME);
	s = hb_recv_int32(buf, RETENTION_TYPNAME);
	customers = hb_recv_int64(buf, RETENTION_TYPNAME);
	pairs = hb_recv_int64(buf, RETENTION_TYPNAME);
	first = hb_recv_int32(buf, RETENTION_TYPNAME);
	last = hb_recv_int32(buf, RETENTION_TYPNAME);
	bytes = hb_recv_rest(buf, &len);	/* the pair list */
	PG_RETURN_DATUM(retention_from_parts(flags, g, s, customers, pairs, first, last, bytes, len));
}
HB_INPUT_FUNCTION(retention_summary_recv, retention_summary_recv_checked, ERRCODE_INVALID_BINARY_REPRESENTATION)
