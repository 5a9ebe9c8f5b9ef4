/*
 * heartbeat.h - what every metric family shares.
 *
 * Every summary type is a varlena that starts with HbHeader: the format
 * version, the family it belongs to and reserved flags.  The payload follows
 * at an 8-byte boundary.  The whole value is built with palloc0 so padding is
 * always zero and equal content means equal bytes.
 */
#ifndef HEARTBEAT_H
#define HEARTBEAT_H

#include "compat.h"
#include "decimal.h"		/* exact decimals: hb_int128_text, ... */

#include "common/int.h"
#include "fmgr.h"
#include "lib/stringinfo.h"
#include "nodes/execnodes.h"
#include "utils/expandeddatum.h"
#include "utils/numeric.h"

/* The format version written by this build; readers accept 1..this. */
#define HB_FORMAT_VERSION	1

/* Families, stored in every header so one summary is never read as another. */
typedef enum HbKind
{
	HB_KIND_CONVERSION = 1,
	HB_KIND_TICKET = 2,
	HB_KIND_CYCLE = 3,
	HB_KIND_RETENTION = 4,
	HB_KIND_FUNNEL = 5
} HbKind;

typedef struct HbHeader
{
	int32		vl_len_;		/* varlena header (do not touch directly) */
	uint8		version;		/* HB_FORMAT_VERSION at write time */
	uint8		kind;			/* HbKind */
	uint16		flags;			/* reserved, always 0 in version 1 */
} HbHeader;

/* Allocate a zeroed summary of total size `size` with its header filled in. */
extern void *hb_summary_alloc(Size size, HbKind kind);

/*
 * True when called by an aggregate or window aggregate (as transition,
 * inverse or combine function): argument 0 is then the state, owned by the
 * executor's aggregate context, and may be updated in place.  Inline, as
 * AggCheckCallContext's test, since it runs once per row.
 */
static inline bool
hb_in_aggregate(FunctionCallInfo fcinfo)
{
	return fcinfo->context != NULL &&
		(IsA(fcinfo->context, AggState) || IsA(fcinfo->context, WindowAggState));
}

/*
 * Growing states (tickets, cycles, retention) take one of two forms in an
 * aggregate:
 *  - small (read with fewer than HB_SMALL_ROWS rows and at most
 *    HB_SMALL_BYTES flat, so up to HB_SMALL_ROWS rows): the flat summary
 *    itself, as the executor keeps it in the aggregate context.  Each call
 *    reads it into a working state in per-call memory and writes the result
 *    back over it when the size is unchanged (the executor then keeps it as
 *    is), else into a new value the executor copies.  No memory context
 *    and no block per group: a hash aggregate of a million small groups
 *    holds a million small values.
 *  - big: an expanded object (utils/expandeddatum.h) updated in place.  The
 *    executor hands the read-write pointer a transition function returned
 *    back to it on the next row; hb_rw_state() recognises it.  Every big
 *    state of one aggregate context lives in the same child context of it
 *    ("heartbeat states"): the executor adopts such an object without a
 *    copy, and a hash aggregate's memory check, which walks every child
 *    context as each group is added, stays constant time per group.
 * A window aggregate's one state is always big.  Build a state with
 * hb_state_home()'s context and return it with hb_state_return().
 *
 * The shared context relies on an invariant of nodeAgg.c and
 * nodeWindowAgg.c: a transition value is deleted (DeleteExpandedObject,
 * which deletes its context) only when the transition function returns a
 * different value; given our read-write object, we always return it.
 * Results leave the aggregate flattened (datumCopy, or read-only to a final
 * function), so no read-write pointer to a shared state escapes.
 */
#define HB_SMALL_ROWS	16
#define HB_SMALL_BYTES	1024

static inline ExpandedObjectHeader *
hb_rw_state(FunctionCallInfo fcinfo, const ExpandedObjectMethods *methods)
{
	Datum		d = PG_GETARG_DATUM(0);

	if (!PG_ARGISNULL(0) && VARATT_IS_EXTERNAL_EXPANDED_RW(DatumGetPointer(d)) &&
		hb_in_aggregate(fcinfo))
	{
		ExpandedObjectHeader *h = DatumGetEOHP(d);

		if (h->eoh_methods == methods)
			return h;
	}
	return NULL;
}

/*
 * The memory context (and expanded object context) of a state built from
 * argument 0, a flat summary of flat_size bytes holding `rows` rows (a
 * corrupt, negative count reads as big, then fails its checks): the
 * aggregate's shared context for a big state, else CurrentMemoryContext
 * (small, or not called by an aggregate: flattened when returned).
 */
extern MemoryContext hb_state_home(FunctionCallInfo fcinfo, Size flat_size, uint64 rows);
/*
 * What a transition or combine function returns for its state: argument 0
 * itself when that was our read-write object (inline: every row of a big
 * state), else hb_state_return_new(): a state built this call.
 */
extern Datum hb_state_return_new(FunctionCallInfo fcinfo, ExpandedObjectHeader *state);

static inline Datum
hb_state_return(FunctionCallInfo fcinfo, ExpandedObjectHeader *state)
{
	if (!PG_ARGISNULL(0) && DatumGetPointer(PG_GETARG_DATUM(0)) == state->eoh_rw_ptr)
		return PG_GETARG_DATUM(0);
	return hb_state_return_new(fcinfo, state);
}

/* a + b for counts; ERROR instead of wrapping.  Inline: it runs per row. */
pg_noreturn extern void hb_count_overflow(const char *typname);

/*
 * The SQL-callable input function fn around impl: a malformed value caught
 * by the checks shared with stored values (XX001, data corrupted) is
 * reported with the input's own SQLSTATE (22P02 text, 22P03 binary).
 */
extern Datum hb_input(FunctionCallInfo fcinfo, PGFunction impl, int code);
#define HB_INPUT_FUNCTION(fn, impl, code) \
	PG_FUNCTION_INFO_V1(fn); \
	Datum fn(PG_FUNCTION_ARGS) { return hb_input(fcinfo, impl, code); }
pg_noreturn extern void hb_inverse_missing(const char *fn);

static inline int64
hb_count_add(int64 a, int64 b, const char *typname)
{
	int64		r;

	if (unlikely(pg_add_s64_overflow(a, b, &r)))
		hb_count_overflow(typname);
	return r;
}

/* Reading summary text: a strict, tiny reader for "{"key":value,...}". */
typedef struct HbTextReader
{
	const char *input;			/* whole literal, for messages */
	const char *p;				/* current position */
	const char *typname;		/* for messages */
} HbTextReader;

extern void hb_text_begin(HbTextReader *r, const char *input, const char *typname);
extern int64 hb_text_int64_field(HbTextReader *r, const char *key);
/* ,"key":value where value is a bare token (a number) or a "string";
 * returns the token or the string's content, NULL for a bare null. */
extern char *hb_text_value_field(HbTextReader *r, const char *key);
extern void hb_text_end(HbTextReader *r);
pg_noreturn extern void hb_text_bad(HbTextReader *r, const char *detail);

/* Writing summary text: "{"version":N" then fields then "}". */
extern void hb_text_out_begin(StringInfo buf);
extern void hb_text_out_int64(StringInfo buf, const char *key, int64 value);
/* ,"key":value, value written as is (NULL: null) or quoted. */
extern void hb_text_out_raw(StringInfo buf, const char *key, const char *value, bool quote);
extern void hb_text_out_end(StringInfo buf);

/* Base64 for byte payloads (sketches) in text forms. */
extern char *hb_base64(const char *bytes, int len);
extern char *hb_unbase64(HbTextReader *r, const char *text, int *len);

/* Binary I/O of the header. */
extern void hb_send_header(StringInfo buf, HbKind kind);
extern void hb_recv_header(StringInfo buf, HbKind kind, const char *typname);
extern int64 hb_recv_int64(StringInfo buf, const char *typname);
extern void hb_recv_end(StringInfo buf, const char *typname);

/* ERROR unless version is one this build reads. */
extern void hb_check_version(int64 version, const char *typname);

/* ERROR for a stored summary whose header is not of this family/version. */
extern void hb_check_header(const HbHeader *h, Size size, HbKind kind,
							const char *typname);

/* A conversion_summary's counts (checked), for other families' use. */
extern void conversion_counts(Datum summary, int64 *conversions, int64 *trials);

/* Per-family set-up at library load (tables), called from _PG_init. */
extern void ticket_init(void);

/* ERROR unless 0 <= p <= 1. */
extern void hb_check_percentile(double p);

/* Standard normal: quantile function and two-sided tail. */
extern double hb_norm_quantile(double p);

#endif							/* HEARTBEAT_H */
