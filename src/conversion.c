/*
 * conversion.c - the conversion family: win rate as conversions / trials.
 *
 * conversion_summary is two bigint counts behind the common header.  It is
 * the transition state of conversion_agg, conversion_rate and rollup, and is
 * updated in place inside the aggregate context, so a row costs one call and
 * two increments.  A NULL outcome is an open deal and counts in neither.
 */
#include "heartbeat.h"

#include <math.h>

#include "access/htup_details.h"
#include "funcapi.h"
#include "libpq/pqformat.h"
#include "utils/builtins.h"

#define TYPNAME "conversion_summary"

typedef struct ConversionSummary
{
	HbHeader	hdr;
	int64		conversions;
	int64		trials;
} ConversionSummary;

static const HbFamily conversion_family = {
	.typname = TYPNAME,
	.kind = HB_KIND_CONVERSION,
	.fixed_size = sizeof(ConversionSummary),
};

static ConversionSummary *
conversion_new(int64 conversions, int64 trials)
{
	ConversionSummary *s = hb_summary_alloc(sizeof(ConversionSummary), HB_KIND_CONVERSION);

	s->conversions = conversions;
	s->trials = trials;
	return s;
}

/* ERROR unless the counts make sense together. */
static void
conversion_validate(int64 conversions, int64 trials)
{
	if (conversions < 0 || trials < 0 || conversions > trials)
		hb_invalid(TYPNAME, "It has " INT64_FORMAT " conversions of " INT64_FORMAT " trials.  Counts must be non-negative, and conversions cannot exceed trials.",
				   conversions, trials);
}

/* A stored or passed-in summary, checked. */
static const ConversionSummary *
conversion_arg(FunctionCallInfo fcinfo, int n)
{
	const ConversionSummary *s = (const ConversionSummary *) hb_summary_check(PG_GETARG_DATUM(n), &conversion_family);

	conversion_validate(s->conversions, s->trials);
	return s;
}

/*
 * The state to update: in an aggregate, argument 0 itself (it lives in the
 * aggregate context and nobody else sees it); elsewhere a private copy, so
 * a direct call never changes its argument.
 */
static ConversionSummary *
conversion_state(FunctionCallInfo fcinfo)
{
	const ConversionSummary *s;

	if (hb_in_aggregate(fcinfo))
		return (ConversionSummary *) PG_GETARG_POINTER(0);
	s = conversion_arg(fcinfo, 0);
	return conversion_new(s->conversions, s->trials);
}

void
conversion_counts(Datum summary, int64 *conversions, int64 *trials)
{
	const ConversionSummary *s = (const ConversionSummary *) hb_summary_check(summary, &conversion_family);

	conversion_validate(s->conversions, s->trials);
	*conversions = s->conversions;
	*trials = s->trials;
}

static double
conversion_rate_of(const ConversionSummary *s)
{
	return (double) s->conversions / (double) s->trials;
}

/* ---------- type I/O ---------- */

static Datum
conversion_summary_in_checked(PG_FUNCTION_ARGS)
{
	char	   *str = PG_GETARG_CSTRING(0);
	HbTextReader r;
	int64		conversions,
				trials;

	hb_text_begin(&r, str, TYPNAME);
	conversions = hb_text_int64_field(&r, "conversions");
	trials = hb_text_int64_field(&r, "trials");
	hb_text_end(&r);
	conversion_validate(conversions, trials);
	PG_RETURN_POINTER(conversion_new(conversions, trials));
}
HB_INPUT_FUNCTION(conversion_summary_in, conversion_summary_in_checked, ERRCODE_INVALID_TEXT_REPRESENTATION)

PG_FUNCTION_INFO_V1(conversion_summary_out);
Datum
conversion_summary_out(PG_FUNCTION_ARGS)
{
	const ConversionSummary *s = conversion_arg(fcinfo, 0);
	StringInfoData buf;

	hb_text_out_begin(&buf);
	hb_text_out_int64(&buf, "conversions", s->conversions);
	hb_text_out_int64(&buf, "trials", s->trials);
	hb_text_out_end(&buf);
	PG_RETURN_CSTRING(buf.data);
}

static Datum
conversion_summary_recv_checked(PG_FUNCTION_ARGS)
{
	StringInfo	buf = (StringInfo) PG_GETARG_POINTER(0);
	int64		conversions,
				trials;

	hb_recv_header(buf, HB_KIND_CONVERSION, TYPNAME);
	conversions = hb_recv_int64(buf, TYPNAME);
	trials = hb_recv_int64(buf, TYPNAME);
	hb_recv_end(buf, TYPNAME);
	conversion_validate(conversions, trials);
	PG_RETURN_POINTER(conversion_new(conversions, trials));
}
HB_INPUT_FUNCTION(conversion_summary_recv, conversion_summary_recv_checked, ERRCODE_INVALID_BINARY_REPRESENTATION)

PG_FUNCTION_INFO_V1(conversion_summary_send);
Datum
conversion_summary_send(PG_FUNCTION_ARGS)
{
	const ConversionSummary *s = conversion_arg(fcinfo, 0);
	StringInfoData buf;

	pq_begintypsend(&buf);
	hb_send_header(&buf, HB_KIND_CONVERSION);
	pq_sendint64(&buf, s->conversions);
	pq_sendint64(&buf, s->trials);
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

/* ---------- aggregate support ---------- */

/* conversion_trans(state, converted): strict, so NULL outcomes never arrive. */
PG_FUNCTION_INFO_V1(conversion_trans);
Datum
conversion_trans(PG_FUNCTION_ARGS)
{
	ConversionSummary *s = conversion_state(fcinfo);

	if (unlikely(s->trials == PG_INT64_MAX))
		(void) hb_count_add(s->trials, 1, TYPNAME);
	s->trials++;
	s->conversions += PG_GETARG_BOOL(1) ? 1 : 0;
	PG_RETURN_POINTER(s);
}

/* Inverse of conversion_trans for moving windows: exact, counts only. */
PG_FUNCTION_INFO_V1(conversion_inv);
Datum
conversion_inv(PG_FUNCTION_ARGS)
{
	ConversionSummary *s = conversion_state(fcinfo);
	bool		converted = PG_GETARG_BOOL(1);

	if (s->trials < 1 || (converted && s->conversions < 1))
		hb_inverse_missing("conversion_inv");
	s->trials--;
	s->conversions -= converted ? 1 : 0;
	PG_RETURN_POINTER(s);
}

/* conversion_combine(state, other): the combine function and rollup's step. */
PG_FUNCTION_INFO_V1(conversion_combine);
Datum
conversion_combine(PG_FUNCTION_ARGS)
{
	ConversionSummary *s = conversion_state(fcinfo);
	const ConversionSummary *o = conversion_arg(fcinfo, 1);

	s->conversions = hb_count_add(s->conversions, o->conversions, TYPNAME);
	s->trials = hb_count_add(s->trials, o->trials, TYPNAME);
	PG_RETURN_POINTER(s);
}

/* ---------- accessors ---------- */

PG_FUNCTION_INFO_V1(conversion_rate);
Datum
conversion_rate(PG_FUNCTION_ARGS)
{
	const ConversionSummary *s = conversion_arg(fcinfo, 0);

	if (s->trials == 0)
		PG_RETURN_NULL();
	PG_RETURN_FLOAT8(conversion_rate_of(s));
}

PG_FUNCTION_INFO_V1(conversion_conversions);
Datum
conversion_conversions(PG_FUNCTION_ARGS)
{
	PG_RETURN_INT64(conversion_arg(fcinfo, 0)->conversions);
}

PG_FUNCTION_INFO_V1(conversion_trials);
Datum
conversion_trials(PG_FUNCTION_ARGS)
{
	PG_RETURN_INT64(conversion_arg(fcinfo, 0)->trials);
}

/*
 * Wilson score interval: centre and half width for confidence `conf`.
 * Returns false when there are no trials.
 */
static bool
wilson(FunctionCallInfo fcinfo, double *centre, double *half)
{
	const ConversionSummary *s = conversion_arg(fcinfo, 0);
	double		conf = PG_GETARG_FLOAT8(1);
	double		n,
				p,
				z,
				z2,
				denom;

	if (!(conf > 0.0 && conf < 1.0))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("confidence must be strictly between 0 and 1, got %g", conf),
				 errhint("Use for example 0.95 for a 95%% interval.")));
	if (s->trials == 0)
		return false;
	n = (double) s->trials;
	p = conversion_rate_of(s);
	/*
	 * The upper quantile, from the lower tail: (1 - conf) / 2 is exact,
	 * 1 - (1 - conf) / 2 rounds (to 1 past 1 - 2^-54, and already by a
	 * relative 1e-12 of z at 0.999999).
	 */
	z = -hb_norm_quantile((1.0 - conf) / 2.0);
	z2 = z * z;
	denom = 1.0 + z2 / n;
	*centre = (p + z2 / (2.0 * n)) / denom;
	*half = z / denom * sqrt(p * (1.0 - p) / n + z2 / (4.0 * n * n));
	return true;
}

PG_FUNCTION_INFO_V1(conversion_wilson_lower);
Datum
conversion_wilson_lower(PG_FUNCTION_ARGS)
{
	double		centre,
				half;

	if (!wilson(fcinfo, &centre, &half))
		PG_RETURN_NULL();
	/* with no conversions the bound is exactly 0; rounding must not say 3e-17 */
	if (conversion_arg(fcinfo, 0)->conversions == 0)
		PG_RETURN_FLOAT8(0.0);
	PG_RETURN_FLOAT8(Max(0.0, centre - half));
}

PG_FUNCTION_INFO_V1(conversion_wilson_upper);
Datum
conversion_wilson_upper(PG_FUNCTION_ARGS)
{
	double		centre,
				half;

	if (!wilson(fcinfo, &centre, &half))
		PG_RETURN_NULL();
	/* likewise exactly 1 when every trial converted */
	if (conversion_arg(fcinfo, 0)->conversions == conversion_arg(fcinfo, 0)->trials)
		PG_RETURN_FLOAT8(1.0);
	PG_RETURN_FLOAT8(Min(1.0, centre + half));
}

/*
 * compare(before, after): two-proportion z-test with the pooled rate.
 * Columns: rate_before, rate_after, delta, z, p_value (two-sided).
 */
PG_FUNCTION_INFO_V1(conversion_compare);
Datum
conversion_compare(PG_FUNCTION_ARGS)
{
	const ConversionSummary *a = conversion_arg(fcinfo, 0);
	const ConversionSummary *b = conversion_arg(fcinfo, 1);
	TupleDesc	tupdesc;
	Datum		values[5] = {0};
	bool		nulls[5] = {true, true, true, true, true};

	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "compare: return type must be a row type");
	tupdesc = BlessTupleDesc(tupdesc);

	if (a->trials > 0)
	{
		values[0] = Float8GetDatum(conversion_rate_of(a));
		nulls[0] = false;
	}
	if (b->trials > 0)
	{
		values[1] = Float8GetDatum(conversion_rate_of(b));
		nulls[1] = false;
	}
	if (a->trials > 0 && b->trials > 0)
	{
		double		n1 = (double) a->trials,
					n2 = (double) b->trials;
		double		p1 = conversion_rate_of(a),
					p2 = conversion_rate_of(b);
		double		pooled = ((double) a->conversions + (double) b->conversions) / (n1 + n2);
		double		se = sqrt(pooled * (1.0 - pooled) * (1.0 / n1 + 1.0 / n2));

		values[2] = Float8GetDatum(p2 - p1);
		nulls[2] = false;
		if (se > 0.0)
		{
			double		z = (p2 - p1) / se;

			values[3] = Float8GetDatum(z);
			values[4] = Float8GetDatum(erfc(fabs(z) / M_SQRT2));
			nulls[3] = nulls[4] = false;
		}
	}
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls)));
}
