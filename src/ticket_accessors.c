/*
 * ticket_accessors.c - what SQL reads from a ticket_summary: deals, mean,
 * total, smallest, largest, standard deviation and percentiles.
 *
 * Mean and total need the sum (not in a sketch-only summary), percentiles
 * the sketch (not in a mean-only one); smallest, largest and the standard
 * deviation need a full summary.
 */
#include "ticket.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/fmgrprotos.h"

/*
 * Reads summary argument 0 for a value that the partial kinds in
 * `forbidden` do not keep (ERROR for those); false when it has no deals.
 */
static bool
ticket_read_for(FunctionCallInfo fcinfo, TicketRead *r, uint16 forbidden)
{
	ticket_read(fcinfo, 0, r);
	if (r->f->hdr.flags & forbidden & TICKET_MEAN_ONLY)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("this ticket_summary keeps only deals and sum"),
				 errdetail("It is avg_ticket's state, which keeps only what the mean needs."),
				 errhint("Build the summary with ticket_agg(amount).")));
	if (r->f->hdr.flags & forbidden & TICKET_SKETCH_ONLY)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("this ticket_summary keeps only deals and percentiles"),
				 errdetail("It is median_ticket's state, which keeps only what percentiles need."),
				 errhint("Build the summary with ticket_agg(amount).")));
	return r->f->deals > 0;
}

PG_FUNCTION_INFO_V1(ticket_mean);
Datum
ticket_mean(PG_FUNCTION_ARGS)
{
	TicketRead	r;

	if (!ticket_read_for(fcinfo, &r, TICKET_SKETCH_ONLY))
		PG_RETURN_NULL();
	PG_RETURN_NUMERIC(hb_numeric_div(ticket_read_numeric(&r, X_SUM), int64_to_numeric(r.f->deals)));
}

/* Exact value k (NULL without deals), kept by all but the kinds in `forbidden`. */
static Datum
ticket_exact_value(FunctionCallInfo fcinfo, uint16 forbidden, int k)
{
	TicketRead	r;

	if (!ticket_read_for(fcinfo, &r, forbidden))
		PG_RETURN_NULL();
	PG_RETURN_NUMERIC(ticket_read_numeric(&r, k));
}

PG_FUNCTION_INFO_V1(ticket_total);
Datum
ticket_total(PG_FUNCTION_ARGS)
{
	return ticket_exact_value(fcinfo, TICKET_SKETCH_ONLY, X_SUM);
}

PG_FUNCTION_INFO_V1(ticket_smallest);
Datum
ticket_smallest(PG_FUNCTION_ARGS)
{
	return ticket_exact_value(fcinfo, TICKET_PARTS, X_MIN);
}

PG_FUNCTION_INFO_V1(ticket_largest);
Datum
ticket_largest(PG_FUNCTION_ARGS)
{
	return ticket_exact_value(fcinfo, TICKET_PARTS, X_MAX);
}

PG_FUNCTION_INFO_V1(ticket_deals);
Datum
ticket_deals(PG_FUNCTION_ARGS)
{
	TicketRead	r;

	ticket_read(fcinfo, 0, &r);
	PG_RETURN_INT64(r.f->deals);
}

/* Sample standard deviation: sqrt((n * sumsq - sum^2) / (n (n - 1))), exact until the root. */
PG_FUNCTION_INFO_V1(ticket_stddev_amount);
Datum
ticket_stddev_amount(PG_FUNCTION_ARGS)
{
	TicketRead	r;
	Numeric		n,
				num,
				den;

	if (!ticket_read_for(fcinfo, &r, TICKET_PARTS) || r.f->deals < 2)
		PG_RETURN_NULL();
	n = int64_to_numeric(r.f->deals);
	num = hb_numeric_sub(hb_numeric_mul(n, ticket_read_numeric(&r, X_SUMSQ)),
						 hb_numeric_mul(ticket_read_numeric(&r, X_SUM), ticket_read_numeric(&r, X_SUM)));
	den = hb_numeric_mul(n, int64_to_numeric(r.f->deals - 1));
	PG_RETURN_FLOAT8(sqrt(Max(0.0, hb_numeric_float8(hb_numeric_div(num, den)))));
}

/* A percentile's estimate as numeric, clamped to [smallest, largest]. */
static Numeric
ticket_estimate_numeric(const TicketRead *r, double v)
{
	Numeric		n = DatumGetNumeric(DirectFunctionCall1(float8_numeric, Float8GetDatum(v)));
	Numeric		lo,
				hi;

	/*
	 * Round to the amounts' scale when that costs under 0.05%, else to six
	 * significant digits (under 0.0005%): the sketch is good to 0.4%, and
	 * 89.8552706552707 reads worse than 89.8553.
	 */
	if (v != 0.0)
	{
		if (0.5 * pow(10.0, -r->f->scale) <= 0.0005 * fabs(v))
			n = hb_numeric_round(n, r->f->scale);
		else
			n = hb_numeric_round(n, 5 - (int) floor(log10(fabs(v))));
	}
	if (ticket_nexact(r->f->hdr.flags) < NEXACT)
		return n;				/* sketch-only: no exact ends to clamp to */
	lo = ticket_read_numeric(r, X_MIN);
	hi = ticket_read_numeric(r, X_MAX);
	if (hb_numeric_cmp(n, lo) < 0)
		return lo;
	if (hb_numeric_cmp(n, hi) > 0)
		return hi;
	return n;
}

/* Percentile p: exact at the ends (ranks 1 and N are smallest and largest). */
static Numeric
ticket_quantile(const TicketRead *r, const SketchView *v, double p)
{
	double		rank = ceil(p * (double) r->f->deals);

	if (ticket_nexact(r->f->hdr.flags) < NEXACT)
		return ticket_estimate_numeric(r, sketch_view_quantile(v, p));
	if (rank <= 1.0)
		return ticket_read_numeric(r, X_MIN);
	if (rank >= (double) r->f->deals)
		return ticket_read_numeric(r, X_MAX);
	return ticket_estimate_numeric(r, sketch_view_quantile(v, p));
}

/* Summary argument 0 and its sketch decoded; false when it has no deals. */
static bool
ticket_view(FunctionCallInfo fcinfo, TicketRead *r, SketchView *v)
{
	bool		has_deals = ticket_read_for(fcinfo, r, TICKET_MEAN_ONLY);

	if (sketch_view(v, r->sk, r->end, TYPNAME) != r->end)
		hb_invalid(TYPNAME, "Unexpected bytes after its sketch.");
	if (v->total != r->f->deals)
		hb_invalid(TYPNAME, "Its sketch does not count its deals.");
	return has_deals;
}

PG_FUNCTION_INFO_V1(ticket_percentile);
Datum
ticket_percentile(PG_FUNCTION_ARGS)
{
	TicketRead	r;
	SketchView	v;
	double		p = PG_GETARG_FLOAT8(1);

	hb_check_percentile(p);
	if (!ticket_view(fcinfo, &r, &v))
		PG_RETURN_NULL();
	PG_RETURN_NUMERIC(ticket_quantile(&r, &v, p));
}

PG_FUNCTION_INFO_V1(ticket_median);
Datum
ticket_median(PG_FUNCTION_ARGS)
{
	TicketRead	r;
	SketchView	v;

	if (!ticket_view(fcinfo, &r, &v))
		PG_RETURN_NULL();
	PG_RETURN_NUMERIC(ticket_quantile(&r, &v, 0.5));
}

PG_FUNCTION_INFO_V1(ticket_percentiles);
Datum
ticket_percentiles(PG_FUNCTION_ARGS)
{
	TicketRead	r;
	SketchView	v;
	ArrayType  *ps = PG_GETARG_ARRAYTYPE_P(1);
	Datum	   *pv;
	bool	   *pnull;
	int			n,
				k;
	Datum	   *out;
	int			dims[1];
	int			lbs[1] = {1};

	if (ARR_NDIM(ps) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("percentiles must be a one-dimensional array")));
	deconstruct_array(ps, FLOAT8OID, sizeof(float8), FLOAT8PASSBYVAL, TYPALIGN_DOUBLE, &pv, &pnull, &n);
	for (k = 0; k < n; k++)
		if (!pnull[k])
			hb_check_percentile(DatumGetFloat8(pv[k]));
	if (!ticket_view(fcinfo, &r, &v))
		PG_RETURN_NULL();
	out = palloc(sizeof(Datum) * Max(n, 1));
	for (k = 0; k < n; k++)
		if (!pnull[k])
			out[k] = NumericGetDatum(ticket_quantile(&r, &v, DatumGetFloat8(pv[k])));
	dims[0] = n;
	if (n == 0)
		PG_RETURN_ARRAYTYPE_P(construct_empty_array(NUMERICOID));
	PG_RETURN_ARRAYTYPE_P(construct_md_array(out, pnull, 1, dims, lbs, NUMERICOID, -1, false, TYPALIGN_INT));
}
