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

/*
 * The header flags belong to the family.  Each bit is one of:
 *  - a part bit, `lacks` (the value does not keep a part: ticket's and
 *    cycle's MEAN_ONLY have no sketch) or `keeps` (it keeps an optional
 *    part: retention's REVENUE; cycle's DAYS, exact day histograms that a
 *    merge with a summary without them folds into its sketches); a merge
 *    combines them by one rule, hb_merge_flags();
 *  - a kind bit (retention's HASHED keys): values of different kinds never
 *    merge; the family says so in its own words;
 *  - a form bit (ticket's BIG: exact values written as numerics): how this
 *    value is written, chosen again whenever a state is flattened.
 * A family lists every bit it uses in HbFamily.flags; a value with any other
 * bit set is refused as invalid.  Families without flags write 0.
 */
typedef struct HbHeader
{
	int32		vl_len_;		/* varlena header (do not touch directly) */
	uint8		version;		/* HB_FORMAT_VERSION at write time */
	uint8		kind;			/* HbKind */
	uint16		flags;			/* the family's, see above */
} HbHeader;

/*
 * ---------- The summary kit ----------
 *
 * A family describes its summary type once, in a static const HbFamily, and
 * the kit does the rest the same way for every family: the header check of
 * stored and passed-in values (hb_summary_check), the one error for an
 * invalid value (hb_invalid), the aggregate state (hb_state, for families
 * whose state grows), the merge rule for partial kinds (hb_merge_flags),
 * and the input functions' SQLSTATEs (HB_INPUT_FUNCTION).  CONTRIBUTING.md
 * shows a family built on it.
 */
typedef struct HbFamily
{
	const char *typname;		/* the SQL type, for messages */
	HbKind		kind;
	Size		fixed_size;		/* its flat struct; a value has at least this */
	bool		varsize;		/* false: a value has exactly fixed_size bytes */
	uint16		flags;			/* every header flag bit the family uses */
	uint16		lacks;			/* of those, the bits "does not keep part X" */
	uint16		keeps;			/* and the bits "keeps optional part X" */
	uint16		kinds;			/* and the kind bits */
	uint16		nothing_left;	/* lacks bits that, all set, leave nothing (or 0) */
	const char *merge_hint;		/* what to do when nothing would be left */

	/* Families with a growing state (an expanded object, see below): */
	const ExpandedObjectMethods *methods;
	/* a new state in cxt holding the checked flat value f, or empty if f is NULL */
	ExpandedObjectHeader *(*from_flat) (MemoryContext cxt, const HbHeader *f);
	/* the rows a checked flat value holds, to tell small from big */
	uint64		(*rows) (const HbHeader *f);
} HbFamily;

/* Allocate a zeroed summary of total size `size` with its header filled in. */
extern void *hb_summary_alloc(Size size, HbKind kind);

/*
 * A value of the family from any datum of its type (detoasted), with its
 * size, family, version and flags checked; the family checks the rest.
 */
extern const HbHeader *hb_summary_check(Datum d, const HbFamily *fam);

/*
 * The one error for a value whose content is wrong: "invalid <type> value"
 * and a detail sentence.  Its SQLSTATE is XX001 (data corrupted) for a
 * stored value; an input function reports it with its own (below).
 */
pg_noreturn extern void hb_invalid(const char *typname, const char *detail,...) pg_attribute_printf(2, 3);

/*
 * Input functions: fn wraps impl, which reads the text or binary form and
 * raises hb_invalid() (or the readers' errors, also XX001) for anything
 * wrong; fn reports those with the input's SQLSTATE, code (22P02 text,
 * 22P03 binary).  This is the only place heartbeat sets those SQLSTATEs:
 * checks shared by stored and typed-in values need not know which it is.
 */
extern Datum hb_input(FunctionCallInfo fcinfo, PGFunction impl, int code);
#define HB_INPUT_FUNCTION(fn, impl, code) \
	PG_FUNCTION_INFO_V1(fn); \
	Datum fn(PG_FUNCTION_ARGS) { return hb_input(fcinfo, impl, code); }

/*
 * The one merge rule for partial kinds: a merge keeps what both sides keep.
 * The flags of `into` merged with `from` (each empty or not: no rows):
 *  - an empty `from` changes nothing;
 *  - a `lacks` bit of either side carries over, also from an empty `into`
 *    (an aggregate's initial state made to keep less, as avg_ticket's
 *    mean-only one, keeps less);
 *  - a `keeps` bit stays when both sides have it, or comes from `from`
 *    into an empty `into`;
 *  - kind bits come from `into`, or from `from` into an empty `into` (the
 *    family refuses a merge of different kinds before it asks);
 *  - form bits are dropped (a flattened state chooses them again).
 * When the result would keep nothing (fam->nothing_left), ERROR.
 */
extern uint16 hb_merge_flags(const HbFamily *fam, uint16 into, bool into_empty,
							 uint16 from, bool from_empty);

/*
 * Equality and hashing of every summary type (the SQL overloads of
 * summary_eq, summary_ne, summary_hash and summary_hash_extended, behind
 * each type's = and <> and its hash operator class): two values are equal
 * when their canonical flat forms have the same bytes.
 */
extern Datum summary_eq(PG_FUNCTION_ARGS);
extern Datum summary_ne(PG_FUNCTION_ARGS);
extern Datum summary_hash(PG_FUNCTION_ARGS);
extern Datum summary_hash_extended(PG_FUNCTION_ARGS);

/* ERROR unless version is one this build reads. */
extern void hb_check_version(int64 version, const char *typname);

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
 *    back to it on the next row; hb_state() recognises it.  Every big
 *    state of one aggregate context lives in the same child context of it
 *    ("heartbeat states"): the executor adopts such an object without a
 *    copy, and a hash aggregate's memory check, which walks every child
 *    context as each group is added, stays constant time per group.
 * A window aggregate's one state is always big.  A transition or combine
 * function gets its state with hb_state() and returns it with
 * hb_state_return().
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

/* The slow path of hb_state(): a state read from a flat argument 0. */
extern ExpandedObjectHeader *hb_state_read(FunctionCallInfo fcinfo, const HbFamily *fam);

/*
 * The state a transition, inverse or combine function updates: argument 0
 * itself when the executor passes back our read-write object (inline:
 * every row of a big state), else a new one from fam->from_flat() holding
 * the flat argument 0 (empty when it is NULL), in the memory hb_state_home()
 * chooses.
 */
static pg_attribute_always_inline ExpandedObjectHeader *
hb_state(FunctionCallInfo fcinfo, const HbFamily *fam)
{
	if (!PG_ARGISNULL(0) && hb_in_aggregate(fcinfo))
	{
		Pointer		p = DatumGetPointer(PG_GETARG_DATUM(0));

		if (VARATT_IS_EXTERNAL_EXPANDED_RW(p) && DatumGetEOHP(PointerGetDatum(p))->eoh_methods == fam->methods)
			return DatumGetEOHP(PointerGetDatum(p));
	}
	return hb_state_read(fcinfo, fam);
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

static inline int64
hb_count_add(int64 a, int64 b, const char *typname)
{
	int64		r;

	if (unlikely(pg_add_s64_overflow(a, b, &r)))
		hb_count_overflow(typname);
	return r;
}

/* An inverse transition asked to remove a row its state does not hold. */
pg_noreturn extern void hb_inverse_missing(const char *fn);

/*
 * Varints (LEB128: 7 bits a byte, low first) and zigzag for signed values:
 * the codec of every byte stream in a summary (sketches, retention pairs).
 * hb_varint_get returns NULL when the bytes end or the number runs past 64
 * bits; the caller says what was malformed.
 */
static inline int
hb_varint_size(uint64 v)
{
	int			n = 1;

	while (v >= 0x80)
	{
		v >>= 7;
		n++;
	}
	return n;
}

static inline char *
hb_varint_put(char *p, uint64 v)
{
	while (v >= 0x80)
	{
		*p++ = (char) ((v & 0x7F) | 0x80);
		v >>= 7;
	}
	*p++ = (char) v;
	return p;
}

static inline const char *
hb_varint_get(const char *p, const char *end, uint64 *v)
{
	uint64		r = 0;
	int			shift = 0;

	for (;;)
	{
		uint8		b;

		if (p >= end || shift > 63)
			return NULL;
		b = (uint8) *p++;
		r |= ((uint64) (b & 0x7F)) << shift;
		if (!(b & 0x80))
			break;
		shift += 7;
	}
	*v = r;
	return p;
}

/*
 * The next varint at p, up to end, or an ERROR (hb_invalid) naming the type
 * and saying what was truncated or malformed (what: the detail sentence).
 */
static inline const char *
hb_varint_read(const char *p, const char *end, uint64 *v, const char *typname, const char *what)
{
	p = hb_varint_get(p, end, v);
	if (p == NULL)
		hb_invalid(typname, "%s", what);
	return p;
}

static inline uint64
hb_zigzag(int64 v)
{
	return ((uint64) v << 1) ^ (uint64) (v >> 63);
}

static inline int64
hb_unzigzag(uint64 v)
{
	return (int64) (v >> 1) ^ -(int64) (v & 1);
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
/* True when the next field is named key (a form with optional fields); reads nothing. */
extern bool hb_text_next_is(HbTextReader *r, const char *key);
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

/*
 * Binary I/O.  The readers raise the kit's errors (an input function
 * reports them as 22P03): a truncated value, another family, bytes left
 * over.  Every receive function ends with hb_recv_end() or reads the rest
 * of the buffer with hb_recv_rest().
 */
extern void hb_send_header(StringInfo buf, HbKind kind);
extern void hb_recv_header(StringInfo buf, HbKind kind, const char *typname);
extern int64 hb_recv_int64(StringInfo buf, const char *typname);
extern int32 hb_recv_int32(StringInfo buf, const char *typname);
extern int16 hb_recv_int16(StringInfo buf, const char *typname);
extern int	hb_recv_byte(StringInfo buf, const char *typname);
extern const char *hb_recv_bytes(StringInfo buf, int n, const char *typname);
extern const char *hb_recv_rest(StringInfo buf, int *len);
extern void hb_recv_end(StringInfo buf, const char *typname);

/* A conversion_summary's counts (checked), for other families' use. */
extern void conversion_counts(Datum summary, int64 *conversions, int64 *trials);


/* ERROR unless 0 <= p <= 1. */
extern void hb_check_percentile(double p);

/* Standard normal: quantile function and two-sided tail. */
extern double hb_norm_quantile(double p);

#endif							/* HEARTBEAT_H */
