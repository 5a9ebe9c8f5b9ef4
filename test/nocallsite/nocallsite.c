/*
 * nocallsite.c - test-only module (never installed): runs an aggregate the
 * way a distributed engine that pushes aggregates down to shards does.
 *
 *   partial_agg(aggfn regprocedure, args anyelement) -> text
 *       args is ROW(the aggregate's arguments); runs aggfn's transition
 *       function over the rows and returns the state in its text form;
 *   combine_agg(aggfn regprocedure, state text) -> text
 *       reads partial states with the transition type's input function,
 *       merges them with the combine function, applies the final function
 *       and returns the aggregate's result in its text form.
 *
 * Every support function is called through fmgr with no call-site
 * expression (flinfo->fn_expr is NULL, so get_fn_expr_argtype() returns 0);
 * fcinfo->context is the outer aggregate's AggState, so AggCheckCallContext
 * still works.  The rules for strictness, a NULL initial condition and the
 * ownership of the state follow the executor's (nodeAgg.c).
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/pg_aggregate.h"
#include "catalog/pg_proc.h"
#include "catalog/pg_type.h"
#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/expandeddatum.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/regproc.h"
#include "utils/syscache.h"
#include "utils/typcache.h"

PG_MODULE_MAGIC;

/* One aggregate being run: its state and the support function that advances it. */
typedef struct AggRun
{
	Oid			aggfn;
	int			nargs;			/* arguments after the state */
	Oid		   *argtypes;		/* the aggregate's declared argument types */
	FmgrInfo	step;			/* transition or combine function */
	FunctionCallInfo call;		/* its call, nargs + 1 arguments */
	Oid			stype;
	int16		stypelen;
	bool		stypebyval;
	Datum		value;
	bool		isnull;
	bool		novalue;		/* NULL initcond and no input yet */
	Oid			finalfn;
	bool		finalextra;
	Oid			restype;
} AggRun;

static MemoryContext
agg_context(FunctionCallInfo fcinfo, const char *fn)
{
	MemoryContext aggcontext;

	if (AggCheckCallContext(fcinfo, &aggcontext) != AGG_CONTEXT_AGGREGATE)
		elog(ERROR, "%s called in non-aggregate context", fn);
	return aggcontext;
}

/* Looks aggfn up and prepares its run, in aggcontext; combine picks the combine function. */
static AggRun *
agg_run_new(FunctionCallInfo fcinfo, Oid aggfn, bool combine, MemoryContext aggcontext)
{
	MemoryContext old = MemoryContextSwitchTo(aggcontext);
	AggRun	   *r = palloc0(sizeof(AggRun));
	HeapTuple	tup;
	Form_pg_aggregate agg;
	Form_pg_proc proc;
	Datum		initval;
	bool		initnull;
	Oid			stepfn;

	tup = SearchSysCache1(AGGFNOID, ObjectIdGetDatum(aggfn));
	if (!HeapTupleIsValid(tup))
		elog(ERROR, "%s is not an aggregate", format_procedure(aggfn));
	agg = (Form_pg_aggregate) GETSTRUCT(tup);
	if (agg->aggkind != AGGKIND_NORMAL)
		elog(ERROR, "%s is an ordered-set or hypothetical-set aggregate", format_procedure(aggfn));
	stepfn = combine ? agg->aggcombinefn : agg->aggtransfn;
	if (!OidIsValid(stepfn))
		elog(ERROR, "aggregate %s has no combine function", format_procedure(aggfn));
	r->aggfn = aggfn;
	r->stype = agg->aggtranstype;
	r->finalfn = agg->aggfinalfn;
	r->finalextra = agg->aggfinalextra;
	if (r->stype == INTERNALOID || IsPolymorphicType(r->stype))
		elog(ERROR, "aggregate %s has transition type %s, which has no text form to ship",
			 format_procedure(aggfn), format_type_be(r->stype));
	initval = SysCacheGetAttr(AGGFNOID, tup, Anum_pg_aggregate_agginitval, &initnull);
	r->isnull = r->novalue = initnull;
	if (!initnull)
	{
		Oid			input,
					ioparam;

		getTypeInputInfo(r->stype, &input, &ioparam);
		r->value = OidInputFunctionCall(input, TextDatumGetCString(initval), ioparam, -1);
	}
	ReleaseSysCache(tup);

	tup = SearchSysCache1(PROCOID, ObjectIdGetDatum(aggfn));
	if (!HeapTupleIsValid(tup))
		elog(ERROR, "cache lookup failed for function %u", aggfn);
	proc = (Form_pg_proc) GETSTRUCT(tup);
	r->nargs = proc->pronargs;
	r->restype = proc->prorettype;
	r->argtypes = palloc(sizeof(Oid) * Max(r->nargs, 1));
	for (int i = 0; i < r->nargs; i++)
	{
		r->argtypes[i] = proc->proargtypes.values[i];
		if (IsPolymorphicType(r->argtypes[i]))
			elog(ERROR, "aggregate %s has a polymorphic argument", format_procedure(aggfn));
	}
	ReleaseSysCache(tup);
	if (combine)
		r->nargs = 1;			/* the combine function takes (state, state) */

	get_typlenbyval(r->stype, &r->stypelen, &r->stypebyval);
	fmgr_info(stepfn, &r->step);	/* fn_expr stays NULL: no call site */
	r->call = palloc0(SizeForFunctionCallInfo(r->nargs + 1));
	InitFunctionCallInfoData(*r->call, &r->step, r->nargs + 1,
							 PG_GET_COLLATION(), fcinfo->context, NULL);
	MemoryContextSwitchTo(old);
	return r;
}

/*
 * One step, arguments 1..nargs already in r->call: what the executor does
 * for a transition (or combine) function.  Runs in the caller's per-row
 * memory; the state it keeps belongs to aggcontext.
 */
static void
agg_run_step(AggRun *r, MemoryContext aggcontext)
{
	FunctionCallInfo call = r->call;
	Datum		result;

	if (r->step.fn_strict)
	{
		for (int i = 1; i <= r->nargs; i++)
			if (call->args[i].isnull)
				return;			/* a strict function skips rows with a NULL */
		if (r->novalue)
		{
			/* NULL initcond: the first input becomes the state */
			MemoryContext old = MemoryContextSwitchTo(aggcontext);

			r->value = datumCopy(call->args[1].value, r->stypebyval, r->stypelen);
			r->isnull = r->novalue = false;
			MemoryContextSwitchTo(old);
			return;
		}
		if (r->isnull)
			return;				/* and keeps a NULL state NULL */
	}
	call->args[0].value = r->value;
	call->args[0].isnull = r->isnull;
	call->isnull = false;
	result = FunctionCallInvoke(call);

	/* A new value by reference moves to aggcontext, the old one is freed. */
	if (!r->stypebyval && DatumGetPointer(result) != DatumGetPointer(r->value))
	{
		if (call->isnull)
			result = (Datum) 0;
		else if (!(DatumIsReadWriteExpandedObject(result, false, r->stypelen) &&
				   MemoryContextGetParent(DatumGetEOHP(result)->eoh_context) == aggcontext))
		{
			MemoryContext old = MemoryContextSwitchTo(aggcontext);

			result = datumCopy(result, false, r->stypelen);
			MemoryContextSwitchTo(old);
		}
		if (!r->isnull)
		{
			if (DatumIsReadWriteExpandedObject(r->value, false, r->stypelen))
				DeleteExpandedObject(r->value);
			else
				pfree(DatumGetPointer(r->value));
		}
	}
	r->value = result;
	r->isnull = call->isnull;
	r->novalue = false;
}

static AggRun *
agg_run_get(FunctionCallInfo fcinfo, bool combine, MemoryContext aggcontext)
{
	AggRun	   *r = PG_ARGISNULL(0) ? NULL : (AggRun *) PG_GETARG_POINTER(0);
	Oid			aggfn;

	if (PG_ARGISNULL(1))
		elog(ERROR, "the aggregate to run must not be NULL");
	aggfn = PG_GETARG_OID(1);
	if (r == NULL)
		r = agg_run_new(fcinfo, aggfn, combine, aggcontext);
	else if (r->aggfn != aggfn)
		elog(ERROR, "the aggregate to run changed within a group");
	return r;
}

/* text form of a value of type typid */
static Datum
as_text(Oid typid, Datum value)
{
	Oid			output;
	bool		varlena;

	getTypeOutputInfo(typid, &output, &varlena);
	return CStringGetTextDatum(OidOutputFunctionCall(output, value));
}

/* partial_agg_sfunc(internal, regprocedure, anyelement): one row, its arguments in a ROW */
PG_FUNCTION_INFO_V1(partial_agg_sfunc);
Datum
partial_agg_sfunc(PG_FUNCTION_ARGS)
{
	MemoryContext aggcontext = agg_context(fcinfo, "partial_agg_sfunc");
	AggRun	   *r = agg_run_get(fcinfo, false, aggcontext);

	if (PG_ARGISNULL(2))
	{
		for (int i = 1; i <= r->nargs; i++)
			r->call->args[i].isnull = true;
	}
	else
	{
		HeapTupleHeader row = PG_GETARG_HEAPTUPLEHEADER(2);
		TupleDesc	desc = lookup_rowtype_tupdesc(HeapTupleHeaderGetTypeId(row),
												  HeapTupleHeaderGetTypMod(row));
		HeapTupleData tuple;
		Datum	   *values = palloc(sizeof(Datum) * desc->natts);
		bool	   *nulls = palloc(sizeof(bool) * desc->natts);

		if (desc->natts != r->nargs)
			elog(ERROR, "ROW has %d fields, aggregate %s takes %d arguments",
				 desc->natts, format_procedure(r->aggfn), r->nargs);
		for (int i = 0; i < r->nargs; i++)
			if (TupleDescAttr(desc, i)->atttypid != r->argtypes[i])
				elog(ERROR, "ROW field %d has type %s, aggregate %s takes %s there", i + 1,
					 format_type_be(TupleDescAttr(desc, i)->atttypid),
					 format_procedure(r->aggfn), format_type_be(r->argtypes[i]));
		tuple.t_len = HeapTupleHeaderGetDatumLength(row);
		ItemPointerSetInvalid(&tuple.t_self);
		tuple.t_tableOid = InvalidOid;
		tuple.t_data = row;
		heap_deform_tuple(&tuple, desc, values, nulls);
		ReleaseTupleDesc(desc);
		for (int i = 0; i < r->nargs; i++)
		{
			r->call->args[i + 1].value = values[i];
			r->call->args[i + 1].isnull = nulls[i];
		}
	}
	agg_run_step(r, aggcontext);
	PG_RETURN_POINTER(r);
}

/* partial_agg_final(internal): the state as text */
PG_FUNCTION_INFO_V1(partial_agg_final);
Datum
partial_agg_final(PG_FUNCTION_ARGS)
{
	AggRun	   *r = PG_ARGISNULL(0) ? NULL : (AggRun *) PG_GETARG_POINTER(0);

	if (r == NULL || r->isnull)
		PG_RETURN_NULL();
	PG_RETURN_DATUM(as_text(r->stype, MakeExpandedObjectReadOnly(r->value, false, r->stypelen)));
}

/* combine_agg_sfunc(internal, regprocedure, text): merges one partial state */
PG_FUNCTION_INFO_V1(combine_agg_sfunc);
Datum
combine_agg_sfunc(PG_FUNCTION_ARGS)
{
	MemoryContext aggcontext = agg_context(fcinfo, "combine_agg_sfunc");
	AggRun	   *r = agg_run_get(fcinfo, true, aggcontext);

	r->call->args[1].isnull = PG_ARGISNULL(2);
	if (!PG_ARGISNULL(2))
	{
		Oid			input,
					ioparam;

		getTypeInputInfo(r->stype, &input, &ioparam);
		r->call->args[1].value = OidInputFunctionCall(input, TextDatumGetCString(PG_GETARG_DATUM(2)),
													  ioparam, -1);
	}
	agg_run_step(r, aggcontext);
	PG_RETURN_POINTER(r);
}

/* combine_agg_final(internal): the final function applied, the result as text */
PG_FUNCTION_INFO_V1(combine_agg_final);
Datum
combine_agg_final(PG_FUNCTION_ARGS)
{
	AggRun	   *r = PG_ARGISNULL(0) ? NULL : (AggRun *) PG_GETARG_POINTER(0);
	Datum		state;
	Datum		result;

	if (r == NULL)
		PG_RETURN_NULL();
	state = MakeExpandedObjectReadOnly(r->value, r->isnull, r->stypelen);
	if (!OidIsValid(r->finalfn))
	{
		if (r->isnull)
			PG_RETURN_NULL();
		PG_RETURN_DATUM(as_text(r->restype, state));
	}
	else
	{
		/* FINALFUNC_EXTRA: one more NULL argument per aggregate argument */
		int			nargs = r->finalextra ? 1 + get_func_nargs(r->aggfn) : 1;
		FmgrInfo	flinfo;
		FunctionCallInfo call = palloc0(SizeForFunctionCallInfo(nargs));

		fmgr_info(r->finalfn, &flinfo);
		InitFunctionCallInfoData(*call, &flinfo, nargs, PG_GET_COLLATION(), fcinfo->context, NULL);
		call->args[0].value = state;
		call->args[0].isnull = r->isnull;
		for (int i = 1; i < nargs; i++)
			call->args[i].isnull = true;
		if (flinfo.fn_strict && (r->isnull || nargs > 1))
			PG_RETURN_NULL();	/* a strict final function is not called with a NULL */
		result = FunctionCallInvoke(call);
		if (call->isnull)
			PG_RETURN_NULL();
		PG_RETURN_DATUM(as_text(r->restype, result));
	}
}
