/*
 * summary.c - the summary kit: what every family's summary type does the
 * same way (see heartbeat.h): allocation and header checks, the invalid-
 * value error and the input functions' SQLSTATEs, the merge rule for
 * partial kinds, the growing aggregate state and its memory, the binary
 * readers, and equality and hashing.
 */
#include "heartbeat.h"

#include "common/hashfn.h"
#include "common/int.h"
#include "libpq/pqformat.h"
#include "utils/memutils.h"

void *
hb_summary_alloc(Size size, HbKind kind)
{
	HbHeader   *h = palloc0(size);

	SET_VARSIZE(h, size);
	h->version = HB_FORMAT_VERSION;
	h->kind = (uint8) kind;
	return h;
}

void
hb_count_overflow(const char *typname)
{
	ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("%s count out of range", typname),
				 errdetail("A count would exceed the largest bigint, %lld.",
						   (long long) PG_INT64_MAX)));
}

static void
input_errcode(void *arg)
{
	if (geterrcode() == ERRCODE_DATA_CORRUPTED)
		errcode(*(const int *) arg);
}

Datum
hb_input(FunctionCallInfo fcinfo, PGFunction impl, int code)
{
	ErrorContextCallback cb;
	Datum		result;

	cb.callback = input_errcode;
	cb.arg = &code;
	cb.previous = error_context_stack;
	error_context_stack = &cb;
	result = impl(fcinfo);
	error_context_stack = cb.previous;
	return result;
}

/*
 * An inverse transition asked to remove a row its state never had: only
 * possible when the function is called by hand, not by a moving window.
 */
void
hb_inverse_missing(const char *fn)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("%s cannot remove a row the summary does not contain", fn),
			 errhint("Inverse transition functions serve moving-window aggregates; use the aggregate with OVER (... ROWS ...) instead.")));
}

/*
 * The one child context of an aggregate context that holds all our big
 * states there (see heartbeat.h).  A backend-wide list finds it; a reset
 * callback drops the entry when the aggregate context is reset or deleted
 * (its children go with it), so no entry outlives its context.
 */
typedef struct HbStates
{
	MemoryContextCallback cb;
	MemoryContext parent;		/* the aggregate context */
	MemoryContext cxt;			/* our child of it */
	struct HbStates *next;
} HbStates;

static HbStates *hb_states = NULL;	/* most recently used first */

static void
hb_states_gone(void *arg)
{
	HbStates  **p;

	for (p = &hb_states; *p != NULL; p = &(*p)->next)
		if (*p == (HbStates *) arg)
		{
			*p = (*p)->next;
			return;
		}
}

static MemoryContext
hb_states_context(MemoryContext parent)
{
	HbStates  **p,
			   *s;
	MemoryContext cxt;

	for (p = &hb_states; (s = *p) != NULL; p = &s->next)
		if (s->parent == parent && MemoryContextGetParent(s->cxt) == parent)
		{
			*p = s->next;		/* move to the front */
			s->next = hb_states;
			hb_states = s;
			return s->cxt;
		}
	/* blocks from 1 kB, doubling: small for one group, few for many */
	cxt = AllocSetContextCreate(parent, "heartbeat states", ALLOCSET_START_SMALL_SIZES);
	s = MemoryContextAlloc(cxt, sizeof(HbStates));
	s->parent = parent;
	s->cxt = cxt;
	s->cb.func = hb_states_gone;
	s->cb.arg = s;
	MemoryContextRegisterResetCallback(cxt, &s->cb);
	s->next = hb_states;
	hb_states = s;
	return cxt;
}

MemoryContext
hb_state_home(FunctionCallInfo fcinfo, Size flat_size, uint64 rows)
{
	MemoryContext agg;
	int			kind;

	if (!hb_in_aggregate(fcinfo))
		return CurrentMemoryContext;
	kind = AggCheckCallContext(fcinfo, &agg);
	if (kind == AGG_CONTEXT_AGGREGATE && flat_size <= HB_SMALL_BYTES && rows < HB_SMALL_ROWS)
		return CurrentMemoryContext;	/* stays small */
	return hb_states_context(agg);
}

/* A state just built: adopted by the aggregate if big, else flattened. */
Datum
hb_state_return_new(FunctionCallInfo fcinfo, ExpandedObjectHeader *state)
{
	MemoryContext agg = NULL;
	Pointer		old = PG_ARGISNULL(0) ? NULL : DatumGetPointer(PG_GETARG_DATUM(0));
	Size		size;
	void	   *flat;

	if (hb_in_aggregate(fcinfo))
	{
		(void) AggCheckCallContext(fcinfo, &agg);
		if (MemoryContextGetParent(state->eoh_context) == agg)
			return EOHPGetRWDatum(state);	/* big: adopted as is */
	}
	size = EOH_get_flat_size(state);

	/*
	 * Small, or no aggregate: flat.  An aggregate's argument 0 is its own
	 * value in the aggregate context (nodeAgg.c): when the size is the same,
	 * write over it and the executor keeps it without a copy.
	 */
	if (agg != NULL && old != NULL && VARATT_IS_4B_U(old) && VARSIZE(old) == size)
		flat = old;
	else
		flat = palloc(size);
	EOH_flatten_into(state, flat, size);
	return PointerGetDatum(flat);
}

void
hb_check_version(int64 version, const char *typname)
{
	if (version < 1 || version > HB_FORMAT_VERSION)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("%s format version " INT64_FORMAT " is not supported", typname, version),
				 errdetail("This build of heartbeat reads format versions 1 to %d.",
						   HB_FORMAT_VERSION),
				 errhint("A newer heartbeat wrote this value; update the extension to read it.")));
}

/* ---------- checking and merging values ---------- */

void
hb_invalid(const char *typname, const char *detail,...)
{
	char		buf[512];
	va_list		args;

	va_start(args, detail);
	vsnprintf(buf, sizeof(buf), detail, args);
	va_end(args);
	ereport(ERROR,
			(errcode(ERRCODE_DATA_CORRUPTED),
			 errmsg("invalid %s value", typname),
			 errdetail("%s", buf)));
}

const HbHeader *
hb_summary_check(Datum d, const HbFamily *fam)
{
	const HbHeader *h = (const HbHeader *) PG_DETOAST_DATUM(d);
	Size		size = VARSIZE(h);

	if (h->kind != fam->kind || size < fam->fixed_size)
		hb_invalid(fam->typname, "It has %zu bytes and family %d; a %s has at least %zu bytes and family %d.",
				   size, h->kind, fam->typname, fam->fixed_size, (int) fam->kind);
	if (!fam->varsize && size != fam->fixed_size)
		hb_invalid(fam->typname, "It has %zu bytes; a %s has %zu.", size, fam->typname, fam->fixed_size);
	hb_check_version(h->version, fam->typname);
	if ((h->flags & ~fam->flags) != 0 ||
		(fam->nothing_left != 0 && (h->flags & fam->nothing_left) == fam->nothing_left))
		hb_invalid(fam->typname, "It has unknown flags.");
	return h;
}

uint16
hb_merge_flags(const HbFamily *fam, uint16 into, bool into_empty, uint16 from, bool from_empty)
{
	uint16		r;

	if (from_empty)
		r = into;
	else if (into_empty)
		r = from | (into & fam->lacks);
	else
		r = (into & fam->kinds) | ((into | from) & fam->lacks) | (into & from & fam->keeps);
	r &= fam->lacks | fam->keeps | fam->kinds;
	if (fam->nothing_left != 0 && (r & fam->nothing_left) == fam->nothing_left)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("cannot merge %s values that keep no part in common", fam->typname),
				 errdetail("A merge keeps what both values keep; here nothing would be left."),
				 errhint("%s", fam->merge_hint)));
	return r;
}

/* ---------- the growing state ---------- */

ExpandedObjectHeader *
hb_state_read(FunctionCallInfo fcinfo, const HbFamily *fam)
{
	const HbHeader *f;

	if (PG_ARGISNULL(0))		/* called by hand without a state */
		return fam->from_flat(CurrentMemoryContext, NULL);
	f = hb_summary_check(PG_GETARG_DATUM(0), fam);
	return fam->from_flat(hb_state_home(fcinfo, VARSIZE(f), fam->rows(f)), f);
}

/* ---------- binary ---------- */

void
hb_send_header(StringInfo buf, HbKind kind)
{
	pq_sendbyte(buf, HB_FORMAT_VERSION);
	pq_sendbyte(buf, (uint8) kind);
}

static void
need_bytes(StringInfo buf, int n, const char *typname)
{
	if (buf->len - buf->cursor < n)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("invalid binary %s value", typname),
				 errdetail("The value is truncated: %d more bytes expected, %d left.",
						   n, buf->len - buf->cursor)));
}

void
hb_recv_header(StringInfo buf, HbKind kind, const char *typname)
{
	int			version;
	int			k;

	need_bytes(buf, 2, typname);
	version = pq_getmsgbyte(buf);
	hb_check_version(version, typname);
	k = pq_getmsgbyte(buf);
	if (k != (int) kind)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("invalid binary %s value", typname),
				 errdetail("The value belongs to summary family %d, not %d.", k, (int) kind)));
}

int64
hb_recv_int64(StringInfo buf, const char *typname)
{
	need_bytes(buf, 8, typname);
	return pq_getmsgint64(buf);
}

int32
hb_recv_int32(StringInfo buf, const char *typname)
{
	need_bytes(buf, 4, typname);
	return pq_getmsgint(buf, 4);
}

int16
hb_recv_int16(StringInfo buf, const char *typname)
{
	need_bytes(buf, 2, typname);
	return (int16) pq_getmsgint(buf, 2);
}

int
hb_recv_byte(StringInfo buf, const char *typname)
{
	need_bytes(buf, 1, typname);
	return pq_getmsgbyte(buf);
}

const char *
hb_recv_bytes(StringInfo buf, int n, const char *typname)
{
	need_bytes(buf, n, typname);
	return pq_getmsgbytes(buf, n);
}

/* The rest of the buffer, all read. */
const char *
hb_recv_rest(StringInfo buf, int *len)
{
	const char *p = buf->data + buf->cursor;

	*len = buf->len - buf->cursor;
	buf->cursor = buf->len;
	return p;
}

void
hb_recv_end(StringInfo buf, const char *typname)
{
	if (buf->cursor != buf->len)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("invalid binary %s value", typname),
				 errdetail("%d unexpected bytes after the end of the value.",
						   buf->len - buf->cursor)));
}


/*
 * ---------- equality and hashing ----------
 *
 * Two summaries of a type are equal when their canonical flat forms have
 * the same bytes: what `*=` and REFRESH MATERIALIZED VIEW CONCURRENTLY
 * compare, and, since equal content gives equal bytes (heartbeat.h),
 * the same text.  Every summary type's =, <> and hash operator class
 * call these four functions.  They read bytes only, never the content, so
 * any bytes are fine: a value that a reader would refuse is refused when
 * it is read.  A stored value may be toasted or have a short header; an
 * aggregate's result in the same query may be an expanded object:
 * PG_DETOAST_DATUM_PACKED flattens both to the canonical form.
 */
static bool
summary_bytes_equal(FunctionCallInfo fcinfo)
{
	struct varlena *a = PG_DETOAST_DATUM_PACKED(PG_GETARG_DATUM(0));
	struct varlena *b = PG_DETOAST_DATUM_PACKED(PG_GETARG_DATUM(1));
	Size		len = VARSIZE_ANY_EXHDR(a);
	bool		equal;

	equal = len == VARSIZE_ANY_EXHDR(b) && memcmp(VARDATA_ANY(a), VARDATA_ANY(b), len) == 0;
	PG_FREE_IF_COPY(a, 0);
	PG_FREE_IF_COPY(b, 1);
	return equal;
}

PG_FUNCTION_INFO_V1(summary_eq);
Datum
summary_eq(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(summary_bytes_equal(fcinfo));
}

PG_FUNCTION_INFO_V1(summary_ne);
Datum
summary_ne(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(!summary_bytes_equal(fcinfo));
}

/* The hash of the bytes summary_eq compares (as hashvarlena does). */
PG_FUNCTION_INFO_V1(summary_hash);
Datum
summary_hash(PG_FUNCTION_ARGS)
{
	struct varlena *v = PG_DETOAST_DATUM_PACKED(PG_GETARG_DATUM(0));
	Datum		h = hash_any((const unsigned char *) VARDATA_ANY(v), VARSIZE_ANY_EXHDR(v));

	PG_FREE_IF_COPY(v, 0);
	return h;
}

PG_FUNCTION_INFO_V1(summary_hash_extended);
Datum
summary_hash_extended(PG_FUNCTION_ARGS)
{
	struct varlena *v = PG_DETOAST_DATUM_PACKED(PG_GETARG_DATUM(0));
	Datum		h = hash_any_extended((const unsigned char *) VARDATA_ANY(v), VARSIZE_ANY_EXHDR(v),
									  PG_GETARG_INT64(1));

	PG_FREE_IF_COPY(v, 0);
	return h;
}
