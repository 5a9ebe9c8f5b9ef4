/*
 * funnel.c - the funnel: how far deals get, stage by stage.
 *
 * funnel_summary counts deals by the furthest stage they reached (1..64):
 * a fixed-size state updated in place, like conversion_summary.  stages()
 * reads it as the number of deals that reached each stage and the
 * conversion from the previous and from the first stage.
 */
#include "heartbeat.h"

#include "access/htup_details.h"
#include "funcapi.h"
#include "libpq/pqformat.h"
#include "utils/builtins.h"

#define TYPNAME "funnel_summary"
#define MAX_STAGES 64

typedef struct FunnelSummary
{
	HbHeader	hdr;
	int64		furthest[MAX_STAGES];	/* deals whose furthest stage is i + 1 */
} FunnelSummary;

static const HbFamily funnel_family = {
	.typname = TYPNAME,
	.kind = HB_KIND_FUNNEL,
	.fixed_size = sizeof(FunnelSummary),
};

/* ERROR unless every stage count is non-negative. */
static void
funnel_validate(const FunnelSummary *s)
{
	int			k;

	for (k = 0; k < MAX_STAGES; k++)
		if (s->furthest[k] < 0)
			hb_invalid(TYPNAME, "A stage count is negative.");
}

/* A stored or passed-in summary, checked. */
static const FunnelSummary *
funnel_arg(FunctionCallInfo fcinfo, int n)
{
	const FunnelSummary *s = (const FunnelSummary *) hb_summary_check(PG_GETARG_DATUM(n), &funnel_family);

	funnel_validate(s);
	return s;
}

/* The state to update: argument 0 in an aggregate, else a copy. */
static FunnelSummary *
funnel_state(FunctionCallInfo fcinfo)
{
	const FunnelSummary *s;
	FunnelSummary *c;

	if (hb_in_aggregate(fcinfo))
		return (FunnelSummary *) PG_GETARG_POINTER(0);
	s = funnel_arg(fcinfo, 0);
	c = hb_summary_alloc(sizeof(FunnelSummary), HB_KIND_FUNNEL);
	memcpy(c->furthest, s->furthest, sizeof(c->furthest));
	return c;
}

PG_FUNCTION_INFO_V1(funnel_trans);
Datum
funnel_trans(PG_FUNCTION_ARGS)
{
	FunnelSummary *s = funnel_state(fcinfo);
	int32		stage = PG_GETARG_INT32(1);

	if (stage < 1 || stage > MAX_STAGES)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("funnel stage %d is out of range", stage),
				 errhint("Stages are numbered from 1 to %d: the furthest stage a deal reached.", MAX_STAGES)));
	s->furthest[stage - 1] = hb_count_add(s->furthest[stage - 1], 1, TYPNAME);
	PG_RETURN_POINTER(s);
}

PG_FUNCTION_INFO_V1(funnel_combine);
Datum
funnel_combine(PG_FUNCTION_ARGS)
{
	FunnelSummary *s = funnel_state(fcinfo);
	const FunnelSummary *o = funnel_arg(fcinfo, 1);
	int			k;

	for (k = 0; k < MAX_STAGES; k++)
		s->furthest[k] = hb_count_add(s->furthest[k], o->furthest[k], TYPNAME);
	PG_RETURN_POINTER(s);
}

/* stages(s): stage, reached, conversion_from_previous, conversion_from_first. */
PG_FUNCTION_INFO_V1(funnel_stages);
Datum
funnel_stages(PG_FUNCTION_ARGS)
{
	const FunnelSummary *s = funnel_arg(fcinfo, 0);
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	int64		reached[MAX_STAGES];
	int			last = -1,
				k;

	InitMaterializedSRF(fcinfo, 0);
	for (k = MAX_STAGES - 1; k >= 0; k--)
	{
		reached[k] = hb_count_add(k + 1 < MAX_STAGES ? reached[k + 1] : 0, s->furthest[k], TYPNAME);
		if (last < 0 && s->furthest[k] > 0)
			last = k;
	}
	for (k = 0; k <= last; k++)
	{
		Datum		v[4];
		bool		nulls[4] = {false, false, false, false};

		v[0] = Int32GetDatum(k + 1);
		v[1] = Int64GetDatum(reached[k]);
		nulls[2] = k == 0 || reached[k - 1] == 0;
		v[2] = Float8GetDatum(nulls[2] ? 0.0 : (double) reached[k] / (double) reached[k - 1]);
		nulls[3] = reached[0] == 0;
		v[3] = Float8GetDatum(nulls[3] ? 0.0 : (double) reached[k] / (double) reached[0]);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, v, nulls);
	}
	return (Datum) 0;
}

/* Text: {"version":1,"furthest":"c1 c2 ... cK"}, trailing zero stages left out. */
PG_FUNCTION_INFO_V1(funnel_summary_out);
Datum
funnel_summary_out(PG_FUNCTION_ARGS)
{
	const FunnelSummary *s = funnel_arg(fcinfo, 0);
	StringInfoData list,
				buf;
	int			last = -1,
				k;

	for (k = 0; k < MAX_STAGES; k++)
		if (s->furthest[k] > 0)
			last = k;
	initStringInfo(&list);
	for (k = 0; k <= last; k++)
		appendStringInfo(&list, k ? " " INT64_FORMAT : INT64_FORMAT, s->furthest[k]);
	hb_text_out_begin(&buf);
	hb_text_out_raw(&buf, "furthest", list.data, true);
	hb_text_out_end(&buf);
	PG_RETURN_CSTRING(buf.data);
}

static Datum
funnel_summary_in_checked(PG_FUNCTION_ARGS)
{
	HbTextReader r;
	char	   *list,
			   *p,
			   *end;
	FunnelSummary *s = hb_summary_alloc(sizeof(FunnelSummary), HB_KIND_FUNNEL);
	int			k = 0;

	hb_text_begin(&r, PG_GETARG_CSTRING(0), TYPNAME);
	list = hb_text_value_field(&r, "furthest");
	hb_text_end(&r);
	if (list == NULL)
		hb_text_bad(&r, "\"furthest\" must be a string of counts.");
	for (p = list; *p;)
	{
		int64		v;

		while (*p == ' ')
			p++;
		if (*p == '\0')
			break;
		if (k == MAX_STAGES)
			hb_text_bad(&r, "A funnel has at most 64 stages.");
		errno = 0;
		v = strtoi64(p, &end, 10);
		if (end == p || errno != 0 || v < 0 || (*end != ' ' && *end != '\0'))
			hb_text_bad(&r, "Each stage count must be a non-negative bigint.");
		s->furthest[k++] = v;
		p = end;
	}
	PG_RETURN_POINTER(s);
}
HB_INPUT_FUNCTION(funnel_summary_in, funnel_summary_in_checked, ERRCODE_INVALID_TEXT_REPRESENTATION)

PG_FUNCTION_INFO_V1(funnel_summary_send);
Datum
funnel_summary_send(PG_FUNCTION_ARGS)
{
	const FunnelSummary *s = funnel_arg(fcinfo, 0);
	StringInfoData buf;
	int			k;

	pq_begintypsend(&buf);
	hb_send_header(&buf, HB_KIND_FUNNEL);
	for (k = 0; k < MAX_STAGES; k++)
		pq_sendint64(&buf, s->furthest[k]);
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

static Datum
funnel_summary_recv_checked(PG_FUNCTION_ARGS)
{
	StringInfo	buf = (StringInfo) PG_GETARG_POINTER(0);
	FunnelSummary *s = hb_summary_alloc(sizeof(FunnelSummary), HB_KIND_FUNNEL);
	int			k;

	hb_recv_header(buf, HB_KIND_FUNNEL, TYPNAME);
	for (k = 0; k < MAX_STAGES; k++)
		s->furthest[k] = hb_recv_int64(buf, TYPNAME);
	hb_recv_end(buf, TYPNAME);
	funnel_validate(s);
	PG_RETURN_POINTER(s);
}
HB_INPUT_FUNCTION(funnel_summary_recv, funnel_summary_recv_checked, ERRCODE_INVALID_BINARY_REPRESENTATION)
