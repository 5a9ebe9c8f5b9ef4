/*
 * ticket.c - the average-ticket family: exact money, percentiles that merge.
 *
 * ticket_summary holds the number of deals, the exact sum, sum of squares,
 * smallest and largest amount, and the amounts themselves: their exact list
 * while it holds at most TICKET_EXACT_MAX distinct ones (ticket_amounts.c),
 * else a relative-error sketch of them (sketch.c).  Exact values are kept
 * as 128-bit integers scaled by 10^scale, scale being the largest display
 * scale seen, as long as they fit; beyond that they are numerics.  Which
 * path ran never shows: the flat form is canonical (int128 whenever the
 * values fit, numerics rounded to the scale otherwise; the list or the
 * sketch by the number of distinct amounts), so equal multisets of amounts
 * give equal bytes.
 *
 * While aggregating, a small state stays the flat summary and a big one is
 * an expanded object (see expandeddatum.h) in the aggregate context that
 * the executor hands back each row, so no transition copies it; its sketch
 * grows from a few sparse buckets to a dense array (see heartbeat.h and
 * sketch.h).  It is flattened only when stored or sent.
 *
 * Two partial summaries serve the one-step aggregates, which need less:
 * "mean-only" (TICKET_MEAN_ONLY) keeps deals and sum, the state of
 * avg_ticket(), whose moving-window inverse must be exact; "sketch-only"
 * (TICKET_SKETCH_ONLY) keeps deals and the amounts (list or sketch), the
 * state of median_ticket().  Merging keeps what both sides have.
 *
 * This file: the state, its flat form, the transitions and the text and
 * binary forms; ticket_exact.c keeps the exact values, ticket_accessors.c
 * reads summaries for SQL (see ticket.h).
 */
#include "ticket.h"

#include <ctype.h>

#include "libpq/pqformat.h"
#include "utils/builtins.h"
#include "utils/expandeddatum.h"
#include "utils/fmgrprotos.h"
#include "utils/memutils.h"
#include "utils/numeric.h"

static Size ticket_get_flat_size(ExpandedObjectHeader *eohptr);
static void ticket_flatten_into(ExpandedObjectHeader *eohptr, void *result, Size allocated_size);

static ExpandedObjectHeader *ticket_from_flat(MemoryContext cxt, const HbHeader *f);
static uint64 ticket_rows(const HbHeader *f);

static const ExpandedObjectMethods ticket_methods = {
	ticket_get_flat_size,
	ticket_flatten_into
};

static const HbFamily ticket_family = {
	.typname = TYPNAME,
	.kind = HB_KIND_TICKET,
	.fixed_size = TICKET_FLAT_FIXED,
	.varsize = true,
	.flags = TICKET_PARTS | TICKET_BIG | TICKET_EXACT,
	.lacks = TICKET_PARTS,		/* mean-only: no sketch; sketch-only: no sums */
	.nothing_left = TICKET_PARTS,
	.merge_hint = "Build both with ticket_agg(amount), which keeps everything.",
	.methods = &ticket_methods,
	.from_flat = ticket_from_flat,
	.rows = ticket_rows,
};

/* ---------- the expanded state ---------- */

static TicketState *
ticket_state_new(MemoryContext cxt, uint16 flags)
{
	TicketState *t = MemoryContextAllocZero(cxt, sizeof(TicketState));

	EOH_init_header(&t->hdr, &ticket_methods, cxt);
	t->flags = flags & TICKET_PARTS;
	t->exact = true;			/* until more than TICKET_EXACT_MAX amounts */
	sketch_init(&t->sketch, cxt);
	return t;
}

/* ---------- flat form ---------- */

/*
 * Checks the fields of a flat summary whose header hb_summary_check() took
 * and locates its parts (see TicketRead): the int128 values (x) or
 * numerics (nx), and the bytes of the amounts [sk, end): a sketch, checked
 * by its readers, or an exact list, decoded and checked here, from which
 * the exact values of a full summary are derived.
 */
static void
ticket_flat_parts(const TicketFlat *f, TicketRead *r)
{
	const char *p = (const char *) f + TICKET_FLAT_FIXED;
	int			k,
				n;

	if (f->deals < 0 || f->scale < 0 || f->scale > HB_NUMERIC_DSCALE_MAX || f->reserved != 0 ||
		f->at_scale < 0 || f->at_scale > f->deals || (f->deals > 0) != (f->at_scale > 0))
		hb_invalid(TYPNAME, "Its counts are inconsistent.");
	if ((f->hdr.flags & TICKET_EXACT) && (!TICKET_HAS_AMOUNTS(f->hdr.flags) || f->deals == 0))
		hb_invalid(TYPNAME, "Only a summary that keeps amounts, and has some, has an exact list of them.");
	r->f = f;
	r->big = (f->hdr.flags & TICKET_BIG) != 0;
	r->end = (const char *) f + VARSIZE(f);
	n = ticket_nwritten(f->hdr.flags);
	for (k = 0; k < n; k++)
	{
		if (!(f->hdr.flags & TICKET_BIG))
		{
			if (r->end - p < (long) sizeof(int128))
				hb_invalid(TYPNAME, "It is truncated.");
			memcpy(&r->x[k], p, sizeof(int128));
			p += sizeof(int128);
		}
		else
		{
			uint32		len;

			if (r->end - p < (long) VARHDRSZ)
				hb_invalid(TYPNAME, "It is truncated.");
			len = VARSIZE(p);
			if (len < VARHDRSZ + 2 || len > (uint32) (r->end - p) || VARATT_IS_EXTENDED(p))
				hb_invalid(TYPNAME, "A stored numeric is malformed.");
			r->nx[k] = (Numeric) p;
			p += MAXALIGN(len);
			if (p > r->end)
				hb_invalid(TYPNAME, "It is truncated.");
		}
	}
	r->sk = p;
	if ((f->hdr.flags & TICKET_MEAN_ONLY) && p != r->end)
		hb_invalid(TYPNAME, "A mean-only summary carries extra bytes.");
	if (f->hdr.flags & TICKET_EXACT)
	{
		if (r->big || (ticket_nexact(f->hdr.flags) == NEXACT && f->scale > TICKET_MAX_EXACT_SCALE))
			hb_invalid(TYPNAME, "Its exact list and its flags or scale disagree.");
		ticket_list_decode(r->sk, r->end, f->scale, f->deals, &r->list);
		if (ticket_nexact(f->hdr.flags) == NEXACT)
			ticket_list_exact_values(r);
	}
}

static Size
ticket_get_flat_size(ExpandedObjectHeader *eohptr)
{
	TicketState *t = (TicketState *) eohptr;
	Size		size = TICKET_FLAT_FIXED;
	int			k;
	MemoryContext old;

	Assert(t->hdr.eoh_methods == &ticket_methods);

	/*
	 * In the state's own context: the caller's may not free (a tuplesort
	 * flattens into a bump context on PostgreSQL 17+), and numeric_round
	 * frees its working digits.
	 */
	old = MemoryContextSwitchTo(t->hdr.eoh_context);
	ticket_flat_plan(t);
	t->flat_exact = TICKET_HAS_AMOUNTS(t->flags) && t->exact && t->deals > 0;
	if (t->flat_exact)
		t->flat_list_len = ticket_list_plan(t);
	MemoryContextSwitchTo(old);
	for (k = 0; k < (t->flat_exact ? 0 : ticket_nexact(t->flags)); k++)
		size += t->flat_big ? MAXALIGN(VARSIZE(t->nx[k])) : sizeof(int128);
	if (TICKET_HAS_AMOUNTS(t->flags))
		size += t->flat_exact ? t->flat_list_len : sketch_flat_size(&t->sketch);
	t->flat_size = size;
	return size;
}

static void
ticket_flatten_into(ExpandedObjectHeader *eohptr, void *result, Size allocated_size)
{
	TicketState *t = (TicketState *) eohptr;
	TicketFlat *f = (TicketFlat *) result;
	char	   *p = (char *) result + TICKET_FLAT_FIXED;
	int			k;

	Assert(allocated_size == t->flat_size);
	memset(result, 0, allocated_size);
	SET_VARSIZE(f, allocated_size);
	f->hdr.version = HB_FORMAT_VERSION;
	f->hdr.kind = HB_KIND_TICKET;
	f->hdr.flags = t->flags | (t->flat_exact ? TICKET_EXACT : t->flat_big ? TICKET_BIG : 0);
	f->deals = t->deals;
	f->scale = t->scale;
	f->at_scale = t->at_scale;
	for (k = 0; k < ticket_nwritten(f->hdr.flags); k++)
	{
		if (t->flat_big)
		{
			memcpy(p, t->nx[k], VARSIZE(t->nx[k]));
			p += MAXALIGN(VARSIZE(t->nx[k]));
		}
		else
		{
			memcpy(p, &t->flat_x[k], sizeof(int128));
			p += sizeof(int128);
		}
	}
	if (t->flat_exact)
	{
		memcpy(p, t->flat_list, t->flat_list_len);
		p += t->flat_list_len;
	}
	else if (TICKET_HAS_AMOUNTS(t->flags))
		p = sketch_flatten(&t->sketch, p);
	Assert(p == (char *) result + allocated_size);
}

/* A flat summary from any datum of the type, its header checked. */
static const TicketFlat *
ticket_flat(Datum d)
{
	return (const TicketFlat *) hb_summary_check(d, &ticket_family);
}

/*
 * Checks a flat sketch [p, end) of `deals` amounts, adding it into s (NULL:
 * only checks).
 */
static void
ticket_sketch_merge(Sketch *s, const char *p, const char *end, int64 deals)
{
	Sketch		probe;
	int64		before;

	sketch_init(&probe, CurrentMemoryContext);
	if (s == NULL)
		s = &probe;
	before = sketch_total(s);
	if (sketch_merge_flat(s, p, end, TYPNAME) != end)
		hb_invalid(TYPNAME, "The sketch has trailing bytes.");
	if (sketch_total(s) - before != deals)
		hb_invalid(TYPNAME, "The sketch counts %lld amounts, not %lld.",
				   (long long) (sketch_total(s) - before), (long long) deals);
}

/* Merge a flat summary into a state. */
static void
ticket_merge_flat(TicketState *t, const TicketFlat *f)
{
	TicketRead	r;

	ticket_flat_parts(f, &r);
	if (f->deals == 0)
	{
		if (TICKET_HAS_AMOUNTS(f->hdr.flags))
			ticket_sketch_merge(NULL, r.sk, r.end, 0);	/* validates */
		return;
	}
	t->flags = hb_merge_flags(&ticket_family, t->flags, t->deals == 0, f->hdr.flags, false);

	ticket_merge_exact(t, &r);

	if (TICKET_HAS_AMOUNTS(t->flags))
	{
		if (!TICKET_HAS_AMOUNTS(f->hdr.flags))
			elog(ERROR, "ticket_summary: a summary without amounts reached a merge of amounts");
		if (f->hdr.flags & TICKET_EXACT)
			ticket_list_merge(t, &r.list, f->scale);
		else
		{
			if (t->exact)
				ticket_list_to_sketch(t);
			ticket_sketch_merge(&t->sketch, r.sk, r.end, f->deals);
		}
	}
	t->deals = hb_count_add(t->deals, f->deals, TYPNAME);
}

static ExpandedObjectHeader *
ticket_from_flat(MemoryContext cxt, const HbHeader *h)
{
	TicketState *t = ticket_state_new(cxt, h ? h->flags : 0);

	if (h != NULL)
		ticket_merge_flat(t, (const TicketFlat *) h);
	return &t->hdr;
}

static uint64
ticket_rows(const HbHeader *h)
{
	return (uint64) ((const TicketFlat *) h)->deals;
}

#define ticket_state(fcinfo) ((TicketState *) hb_state(fcinfo, &ticket_family))

/* ---------- adding one amount ---------- */

pg_noreturn static void
ticket_not_finite(void)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("ticket amount must be a finite number"),
			 errdetail("NaN and infinite amounts cannot be summarised."),
			 errhint("Filter them out, for example with WHERE amount NOT IN ('NaN', 'Infinity', '-Infinity').")));
}

/*
 * Adds x, an amount at the state's scale, to the int128 exact values (the
 * first n); false, changing nothing, when one would overflow.
 */
static pg_attribute_always_inline bool
ticket_add_int128(TicketState *t, int128 x, int n)
{
	int128		sum = x,
				sumsq = 0;

	if (t->deals > 0 && __builtin_add_overflow(t->x[X_SUM], x, &sum))
		return false;
	if (n == NEXACT)
	{
		if (x >= PG_INT64_MIN && x <= PG_INT64_MAX)
			sumsq = (int128) (int64) x * (int64) x; /* < 2^126: fits */
		else if (__builtin_mul_overflow(x, x, &sumsq))
			return false;
		if (t->deals > 0 && __builtin_add_overflow(t->x[X_SUMSQ], sumsq, &sumsq))
			return false;
		t->x[X_SUMSQ] = sumsq;
		if (t->deals == 0 || x < t->x[X_MIN])
			t->x[X_MIN] = x;
		if (t->deals == 0 || x > t->x[X_MAX])
			t->x[X_MAX] = x;
	}
	t->x[X_SUM] = sum;
	return true;
}

/*
 * Counts an amount in the exact list: inline when it is a 64-bit integer at
 * the state's scale (fits: x is that) and already there or there is room;
 * else ticket_amounts.c.
 */
static pg_attribute_always_inline void
ticket_list_add(TicketState *t, bool fits, int128 x, const HbDecParts *np, Datum amount)
{
	TicketList *l = &t->list;

	if (likely(fits && !l->numeric && x >= PG_INT64_MIN && x <= PG_INT64_MAX))
	{
		int32		i = ticket_list_find(l, (int64) x);

		if (i < l->n && l->v[i] == (int64) x)
		{
			l->count[i] = hb_count_add(l->count[i], 1, TYPNAME);
			return;
		}
		if (l->n < TICKET_EXACT_MAX)
		{
			ticket_list_insert(t, i, (int64) x);
			return;
		}
	}
	ticket_list_add_slow(t, np, amount, fits, x);
}

/*
 * A full or sketch-only summary's part of adding an amount (np, its parts):
 * the exact list or the sketch, and a full summary's exact values.
 */
static pg_attribute_always_inline void
ticket_add_amount(TicketState *t, const HbDecParts *np, Datum amount)
{
	int128		x = 0;
	double		dbl = 0.0;
	bool		full = ticket_nexact(t->flags) == NEXACT;
	bool		fits;

	if (!t->exact && !full)		/* median_ticket past the list: the double only */
	{
		sketch_add(&t->sketch, hb_dec_to_double(np, amount), 1, TYPNAME);
		return;
	}
	/* the amount at the scale, for the list and the sums, in one pass */
	fits = hb_dec_to_int128_dbl(np, t->scale, &x, t->exact ? NULL : &dbl);
	if (t->exact)
		ticket_list_add(t, fits, x, np, amount);
	else
		sketch_add(&t->sketch, fits ? dbl : hb_dec_to_double(np, amount), 1, TYPNAME);
	if (full && !(fits && !t->big && ticket_add_int128(t, x, NEXACT)))
		ticket_add_numeric(t, amount);
}

static pg_attribute_always_inline void
ticket_add(TicketState *t, Datum amount)
{
	struct varlena *v = hb_dec_packed(amount);
	HbDecParts	np;
	int128		x;

	hb_dec_parts(v, &np);
	if (np.special)
		ticket_not_finite();
	if (unlikely(np.dscale > TICKET_MAX_EXACT_SCALE) && !(t->flags & TICKET_PARTS))
		ticket_amount_out_of_range();

	if (t->deals == 0)
	{
		t->scale = np.dscale;
		t->at_scale = 1;
	}
	else if (np.dscale > t->scale)
	{
		ticket_rescale(t, np.dscale);
		t->at_scale = 1;
	}
	else if (np.dscale == t->scale)
		t->at_scale++;

	if (!(t->flags & TICKET_MEAN_ONLY))
		ticket_add_amount(t, &np, amount);
	else if (t->big || !hb_dec_to_int128(&np, t->scale, &x) || !ticket_add_int128(t, x, 1))
		ticket_add_numeric(t, amount);	/* avg_ticket: the sum alone */
	t->deals = hb_count_add(t->deals, 1, TYPNAME);
}

PG_FUNCTION_INFO_V1(ticket_trans);
Datum
ticket_trans(PG_FUNCTION_ARGS)
{
	TicketState *t;

	t = ticket_state(fcinfo);
	ticket_add(t, PG_GETARG_DATUM(1));
	PG_RETURN_DATUM(hb_state_return(fcinfo, &t->hdr));
}

/*
 * Inverse for avg_ticket's moving windows: exact on deals and sum.  Returns
 * NULL (the executor then recomputes the frame) when the last amount with
 * the largest scale leaves, as numeric's own inverse does.
 */
PG_FUNCTION_INFO_V1(ticket_inv);
Datum
ticket_inv(PG_FUNCTION_ARGS)
{
	TicketState *t;
	struct varlena *v = hb_dec_packed(PG_GETARG_DATUM(1));
	HbDecParts	np;
	int128		x;

	t = ticket_state(fcinfo);
	hb_dec_parts(v, &np);
	if (np.special)
		ticket_not_finite();
	if (!(t->flags & TICKET_MEAN_ONLY) || t->deals < 1 || np.dscale > t->scale)
		PG_RETURN_NULL();
	if (np.dscale == t->scale)
	{
		if (t->at_scale == 1 && t->deals > 1)
			PG_RETURN_NULL();
		t->at_scale--;
	}
	if (!t->big && hb_dec_to_int128(&np, t->scale, &x) &&
		!__builtin_sub_overflow(t->x[X_SUM], x, &x))
		t->x[X_SUM] = x;
	else
	{
		ticket_go_big(t);
		ticket_set_numeric(t, X_SUM, hb_numeric_sub(t->nx[X_SUM], (Numeric) PG_DETOAST_DATUM(PG_GETARG_DATUM(1))));
	}
	t->deals--;
	if (t->deals == 0)
	{
		t->scale = 0;
		t->at_scale = 0;
		t->big = false;
		t->x[X_SUM] = 0;
	}
	PG_RETURN_DATUM(hb_state_return(fcinfo, &t->hdr));
}

PG_FUNCTION_INFO_V1(ticket_combine);
Datum
ticket_combine(PG_FUNCTION_ARGS)
{
	TicketState *t;

	t = ticket_state(fcinfo);
	ticket_merge_flat(t, ticket_flat(PG_GETARG_DATUM(1)));
	PG_RETURN_DATUM(hb_state_return(fcinfo, &t->hdr));
}

/* ---------- reading a summary ---------- */

/* A summary, checked and located (see TicketRead). */
static void
ticket_read_datum(Datum d, TicketRead *r)
{
	ticket_flat_parts(ticket_flat(d), r);
}

/* Argument argno, checked and located. */
void
ticket_read(FunctionCallInfo fcinfo, int argno, TicketRead *r)
{
	ticket_read_datum(PG_GETARG_DATUM(argno), r);
}

/* Exact value k of a summary read, as numeric. */
Numeric
ticket_read_numeric(const TicketRead *r, int k)
{
	return r->big ? r->nx[k]
		: hb_int128_numeric(r->x[k], ticket_exact_scale(r->f->scale, k));
}

/* ---------- text and binary I/O ---------- */

/*
 * A numeric from numeric_send's bytes: the digit count, weight, sign,
 * display scale, then the base-10000 digits.  numeric_recv trusts the
 * count, and its own errors would blame numeric: everything is checked here
 * first, the digits normalised as numeric_send writes them (no zero digit
 * at either end), so that numeric_recv cannot fail.
 */
Numeric
ticket_numeric_recv(const char *data, int len)
{
	StringInfoData nb;
	int			ndigits,
				k;
	uint16		sign,
				dscale;

#define TICKET_U16(i) ((uint16) (((unsigned char) data[2 * (i)] << 8) | (unsigned char) data[2 * (i) + 1]))
	if (len < 8 || len != 8 + 2 * (ndigits = TICKET_U16(0)))
		hb_invalid(TYPNAME, "A numeric's digit count does not match its length.");
	sign = TICKET_U16(2);
	dscale = TICKET_U16(3);
	if ((sign != 0x0000 && sign != 0x4000 && sign != 0xC000 && sign != 0xD000 && sign != 0xF000) ||
		dscale > HB_NUMERIC_DSCALE_MAX ||
		(ndigits > 0 && (TICKET_U16(4) == 0 || TICKET_U16(4 + ndigits - 1) == 0)))
		hb_invalid(TYPNAME, "A numeric is malformed.");
	for (k = 0; k < ndigits; k++)
		if (TICKET_U16(4 + k) >= HB_NBASE)
			hb_invalid(TYPNAME, "A numeric is malformed.");
#undef TICKET_U16
	nb.data = (char *) data;
	nb.len = nb.maxlen = len;
	nb.cursor = 0;
	return DatumGetNumeric(DirectFunctionCall3(numeric_recv, PointerGetDatum(&nb),
											   ObjectIdGetDatum(InvalidOid), Int32GetDatum(-1)));
}

static const char *const ticket_exact_keys[NEXACT] = {"sum", "sum_squares", "smallest", "largest"};

PG_FUNCTION_INFO_V1(ticket_summary_out);
Datum
ticket_summary_out(PG_FUNCTION_ARGS)
{
	TicketRead	r;
	StringInfoData buf;
	int			k;

	ticket_read(fcinfo, 0, &r);
	hb_text_out_begin(&buf);
	hb_text_out_int64(&buf, "deals", r.f->deals);
	hb_text_out_int64(&buf, "scale", r.f->scale);
	hb_text_out_int64(&buf, "at_scale", r.f->at_scale);
	for (k = 0; k < NEXACT; k++)
		hb_text_out_raw(&buf, ticket_exact_keys[k],
						k < ticket_nexact(r.f->hdr.flags) && (r.f->deals > 0 || k < X_MIN)
						? DatumGetCString(DirectFunctionCall1(numeric_out, NumericGetDatum(ticket_read_numeric(&r, k))))
						: NULL, false);
	if (!TICKET_HAS_AMOUNTS(r.f->hdr.flags))
		hb_text_out_raw(&buf, "sketch", NULL, false);
	else
		hb_text_out_raw(&buf, (r.f->hdr.flags & TICKET_EXACT) ? "amounts" : "sketch",
						hb_base64(r.sk, r.end - r.sk), true);
	hb_text_out_end(&buf);
	PG_RETURN_CSTRING(buf.data);
}

/*
 * Builds a flat summary from parts given by a user (text or binary input)
 * and checks that they agree: the flat form is re-derived through a state,
 * so it is canonical whatever the input looked like.  amounts are the bytes
 * of the exact list (parts has TICKET_EXACT) or of the sketch.
 */
static Datum
ticket_from_parts(int64 deals, int64 scale, int64 at_scale, Numeric *nx, uint16 parts,
				  const char *amounts, int amounts_len)
{
	TicketState *t;
	TicketRead	r;
	int			k;

	if (deals < 0)
		hb_invalid(TYPNAME, "The number of deals is negative.");
	if (scale < 0 || scale > HB_NUMERIC_DSCALE_MAX)
		hb_invalid(TYPNAME, "The scale must be between 0 and %d.", HB_NUMERIC_DSCALE_MAX);
	if (deals == 0 ? at_scale != 0 : (at_scale < 1 || at_scale > deals))
		hb_invalid(TYPNAME, "at_scale must be between 1 and the number of deals (0 without deals).");
	if ((parts & TICKET_EXACT) && (!TICKET_HAS_AMOUNTS(parts) || deals == 0))
		hb_invalid(TYPNAME, "Only a summary that keeps amounts, and has some, has an exact list of them.");
	t = ticket_state_new(CurrentMemoryContext, parts);
	t->deals = deals;
	t->scale = (int32) scale;
	t->at_scale = at_scale;
	t->big = true;
	for (k = 0; k < ticket_nexact(t->flags); k++)
	{
		HbDecParts	np;

		if (deals == 0)
		{
			if (nx[k] != NULL && hb_numeric_cmp(nx[k], int64_to_numeric(0)) != 0)
				hb_invalid(TYPNAME, "A summary without deals has no sum, smallest or largest.");
			ticket_set_numeric(t, k, int64_to_numeric(0));
			continue;
		}
		if (nx[k] == NULL)
			hb_invalid(TYPNAME, "\"%s\" is missing.", ticket_exact_keys[k]);
		hb_dec_parts((struct varlena *) nx[k], &np);
		if (np.special)
			hb_invalid(TYPNAME, "\"%s\" must be a finite number.", ticket_exact_keys[k]);
		if (np.dscale > ticket_exact_scale(t->scale, k))
			hb_invalid(TYPNAME, "\"%s\" has more decimals than the scale allows.", ticket_exact_keys[k]);
		ticket_set_numeric(t, k, nx[k]);
	}
	if (ticket_nexact(parts) == NEXACT && deals > 0)
	{
		Numeric		lo = t->nx[X_MIN],
					hi = t->nx[X_MAX],
					n = int64_to_numeric(deals);

		if (hb_numeric_cmp(lo, hi) > 0 ||
			hb_numeric_cmp(t->nx[X_SUM], hb_numeric_mul(lo, n)) < 0 || hb_numeric_cmp(t->nx[X_SUM], hb_numeric_mul(hi, n)) > 0)
			hb_invalid(TYPNAME, "The sum must lie between deals * smallest and deals * largest, and smallest <= largest.");
		if (hb_numeric_cmp(t->nx[X_SUMSQ], int64_to_numeric(0)) < 0)
			hb_invalid(TYPNAME, "The sum of squares is negative.");
	}
	if (parts & TICKET_EXACT)
	{
		TicketList	l;

		ticket_list_decode(amounts, amounts + amounts_len, t->scale, deals, &l);
		ticket_list_merge(t, &l, t->scale);
	}
	else if (TICKET_HAS_AMOUNTS(parts))
	{
		ticket_sketch_merge(&t->sketch, amounts, amounts + amounts_len, deals);
		t->exact = false;
	}

	/*
	 * Detoasting an expanded object flattens it: the canonical bytes, read
	 * back as a stored value is.  Written as an exact list, its exact values
	 * are derived from the list: they must be the ones given.
	 */
	ticket_read_datum(PointerGetDatum(PG_DETOAST_DATUM(EOHPGetRWDatum(&t->hdr))), &r);
	if ((r.f->hdr.flags & TICKET_EXACT) && ticket_nexact(parts) == NEXACT)
		for (k = 0; k < NEXACT; k++)
			if (hb_numeric_cmp(ticket_read_numeric(&r, k), t->nx[k]) != 0)
				hb_invalid(TYPNAME, "\"%s\" is not that of its exact amounts.", ticket_exact_keys[k]);
	return PointerGetDatum(r.f);
}

/*
 * An exact value of the text form, as ticket_summary_out writes it: an
 * optional minus, digits, optionally a point and digits, within numeric's
 * range.  Anything else is refused here, naming ticket_summary, before
 * numeric_in could refuse it naming numeric.
 */
static Numeric
ticket_text_numeric(HbTextReader *r, const char *s, const char *key)
{
	const char *p = s,
			   *digits;
	bool		ok;

	if (s == NULL)
		return NULL;
	if (*p == '-')
		p++;
	for (digits = p; isdigit((unsigned char) *p); p++)
		;
	ok = p > digits && p - digits <= HB_NUMERIC_INTEGER_DIGITS_MAX;
	if (*p == '.')
	{
		for (digits = ++p; isdigit((unsigned char) *p); p++)
			;
		ok = ok && p > digits && p - digits <= HB_NUMERIC_DSCALE_MAX;
	}
	if (!ok || *p != '\0')
		hb_text_bad(r, psprintf("\"%s\" must be a plain decimal number.", key));
	return DatumGetNumeric(DirectFunctionCall3(numeric_in, CStringGetDatum(s),
											   ObjectIdGetDatum(InvalidOid), Int32GetDatum(-1)));
}

static Datum
ticket_summary_in_checked(PG_FUNCTION_ARGS)
{
	char	   *str = PG_GETARG_CSTRING(0);
	HbTextReader r;
	int64		deals,
				scale,
				at_scale;
	Numeric		nx[NEXACT];
	char	   *dist;
	char	   *bytes = NULL;
	int			len = 0,
				k;
	uint16		parts;
	bool		exact;

	hb_text_begin(&r, str, TYPNAME);
	deals = hb_text_int64_field(&r, "deals");
	scale = hb_text_int64_field(&r, "scale");
	at_scale = hb_text_int64_field(&r, "at_scale");
	for (k = 0; k < NEXACT; k++)
		nx[k] = ticket_text_numeric(&r, hb_text_value_field(&r, ticket_exact_keys[k]), ticket_exact_keys[k]);
	/* the amounts: the exact list, or (as every version wrote) the sketch */
	exact = hb_text_next_is(&r, "amounts");
	dist = hb_text_value_field(&r, exact ? "amounts" : "sketch");
	hb_text_end(&r);
	if (exact && dist == NULL)
		hb_text_bad(&r, "\"amounts\" must be the exact list, in base64.");
	if (dist != NULL)
		bytes = hb_unbase64(&r, dist, &len);
	/* which parts: no amounts = mean-only, no sum = sketch-only */
	parts = dist == NULL ? TICKET_MEAN_ONLY : nx[X_SUM] == NULL ? TICKET_SKETCH_ONLY : 0;
	if (exact)
		parts |= TICKET_EXACT;
	if (dist == NULL && nx[X_SUM] == NULL)
		hb_text_bad(&r, "A summary needs a sum, a sketch or both.");
	for (k = ticket_nexact(parts); k < NEXACT; k++)
		if (nx[k] != NULL)
			hb_text_bad(&r, parts == TICKET_MEAN_ONLY
						? "A summary without a sketch keeps only deals and sum: the other values must be null."
						: "A summary without a sum keeps only deals and the sketch: the other values must be null.");
	PG_RETURN_DATUM(ticket_from_parts(deals, scale, at_scale, nx, parts, bytes, len));
}
HB_INPUT_FUNCTION(ticket_summary_in, ticket_summary_in_checked, ERRCODE_INVALID_TEXT_REPRESENTATION)

PG_FUNCTION_INFO_V1(ticket_summary_send);
Datum
ticket_summary_send(PG_FUNCTION_ARGS)
{
	TicketRead	r;
	StringInfoData buf;
	int			k;

	ticket_read(fcinfo, 0, &r);
	pq_begintypsend(&buf);
	hb_send_header(&buf, HB_KIND_TICKET);
	pq_sendbyte(&buf, r.f->hdr.flags & (TICKET_PARTS | TICKET_EXACT));
	pq_sendint64(&buf, r.f->deals);
	pq_sendint64(&buf, r.f->at_scale);
	pq_sendint32(&buf, r.f->scale);
	for (k = 0; k < ticket_nexact(r.f->hdr.flags); k++)
	{
		bytea	   *b = DatumGetByteaPP(DirectFunctionCall1(numeric_send, NumericGetDatum(ticket_read_numeric(&r, k))));

		pq_sendint32(&buf, VARSIZE_ANY_EXHDR(b));
		pq_sendbytes(&buf, VARDATA_ANY(b), VARSIZE_ANY_EXHDR(b));
	}
	pq_sendint32(&buf, r.end - r.sk);
	pq_sendbytes(&buf, r.sk, r.end - r.sk);
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

static Datum
ticket_summary_recv_checked(PG_FUNCTION_ARGS)
{
	StringInfo	buf = (StringInfo) PG_GETARG_POINTER(0);
	Numeric		nx[NEXACT] = {NULL, NULL, NULL, NULL};
	uint16		parts;
	int64		deals;
	int64		at_scale;
	int32		scale,
				len;
	const char *sk;
	int			k;

	hb_recv_header(buf, HB_KIND_TICKET, TYPNAME);
	parts = hb_recv_byte(buf, TYPNAME);
	if ((parts & ~TICKET_EXACT) != 0 && (parts & ~TICKET_EXACT) != TICKET_MEAN_ONLY &&
		(parts & ~TICKET_EXACT) != TICKET_SKETCH_ONLY)
		hb_invalid(TYPNAME, "It has unknown parts %d.", parts);
	deals = hb_recv_int64(buf, TYPNAME);
	at_scale = hb_recv_int64(buf, TYPNAME);
	scale = hb_recv_int32(buf, TYPNAME);
	for (k = 0; k < ticket_nexact(parts); k++)
	{
		len = hb_recv_int32(buf, TYPNAME);
		if (len < 0)
			hb_invalid(TYPNAME, "A numeric's length is negative.");
		nx[k] = ticket_numeric_recv(hb_recv_bytes(buf, len, TYPNAME), len);
	}
	len = hb_recv_int32(buf, TYPNAME);
	if (len < 0)
		hb_invalid(TYPNAME, "The sketch's length is negative.");
	sk = hb_recv_bytes(buf, len, TYPNAME);
	hb_recv_end(buf, TYPNAME);
	if (!TICKET_HAS_AMOUNTS(parts) && len != 0)
		hb_invalid(TYPNAME, "A summary without amounts carries their bytes.");
	PG_RETURN_DATUM(ticket_from_parts(deals, scale, at_scale, nx, parts, sk, len));
}
HB_INPUT_FUNCTION(ticket_summary_recv, ticket_summary_recv_checked, ERRCODE_INVALID_BINARY_REPRESENTATION)
