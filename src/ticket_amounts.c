/*
 * ticket_amounts.c - the exact list of amounts of a ticket summary that
 * holds few distinct ones (see ticket.h): each distinct amount with its
 * count, so that its percentiles are percentile_disc's, exactly.
 *
 * A state keeps the list sorted: 64-bit integers scaled by 10^scale while
 * every amount fits (ticket.c finds and counts an amount inline on that
 * path), else numerics.  Past TICKET_EXACT_MAX distinct amounts the list is
 * poured into the sketch, which counts the amounts from then on.
 *
 * Flat, the list follows the exact values:
 *   varint n (1 to TICKET_EXACT_MAX), varint form (0 integers, 1 numerics),
 *   then n (amount, count) pairs, amounts ascending:
 *     form 0: the first amount zigzagged, each next one as its gap to the
 *             one before minus one;
 *     form 1: a varint length and the numeric as numeric_send writes it,
 *             at the summary's scale;
 *     then the count, a varint.
 * Form 0 whenever every amount fits (and the scale is at most 38, as for
 * int128 exact values), so equal multisets give equal bytes.
 */
#include "ticket.h"

#include "utils/memutils.h"

/* ---------- the list in a state ---------- */

/* Room for n amounts (arrays in the state's context). */
static void
ticket_list_reserve(TicketState *t, int32 n)
{
	TicketList *l = &t->list;
	int32		cap = Min(Max(2 * l->cap, 8), TICKET_EXACT_MAX);

	if (n <= l->cap)
		return;
	cap = Max(cap, n);
	if (l->cap == 0)
	{
		l->count = MemoryContextAlloc(t->hdr.eoh_context, sizeof(int64) * cap);
		if (l->numeric)
			l->nv = MemoryContextAlloc(t->hdr.eoh_context, sizeof(Numeric) * cap);
		else
			l->v = MemoryContextAlloc(t->hdr.eoh_context, sizeof(int64) * cap);
	}
	else
	{
		l->count = repalloc(l->count, sizeof(int64) * cap);
		if (l->numeric)
			l->nv = repalloc(l->nv, sizeof(Numeric) * cap);
		else
			l->v = repalloc(l->v, sizeof(int64) * cap);
	}
	l->cap = cap;
}

/* Frees a state's list (its numerics too) and empties it. */
static void
ticket_list_free(TicketList *l)
{
	int32		k;

	if (l->cap > 0)
	{
		if (l->numeric)
		{
			for (k = 0; k < l->n; k++)
				pfree(l->nv[k]);
			pfree(l->nv);
		}
		else
			pfree(l->v);
		pfree(l->count);
	}
	memset(l, 0, sizeof(TicketList));
}

/* Makes room at position at (the list not full): n grows by one. */
static void
ticket_list_open(TicketState *t, int32 at)
{
	TicketList *l = &t->list;

	ticket_list_reserve(t, l->n + 1);
	if (l->numeric)
		memmove(&l->nv[at + 1], &l->nv[at], sizeof(Numeric) * (l->n - at));
	else
		memmove(&l->v[at + 1], &l->v[at], sizeof(int64) * (l->n - at));
	memmove(&l->count[at + 1], &l->count[at], sizeof(int64) * (l->n - at));
	l->n++;
}

/* A new amount v, counted once, at position at (the list not full). */
void
ticket_list_insert(TicketState *t, int32 at, int64 v)
{
	ticket_list_open(t, at);
	t->list.v[at] = v;
	t->list.count[at] = 1;
}

/* Amount k of l as numeric at the list's scale. */
static Numeric
ticket_list_numeric(const TicketList *l, int32 k, int scale)
{
	return l->numeric ? l->nv[k] : hb_int128_numeric(l->v[k], scale);
}

/* Amount k of l as the double the sketch takes. */
static double
ticket_list_double(const TicketList *l, int32 k, int scale)
{
	HbDecParts	p;

	if (!l->numeric)
		return hb_int64_double(l->v[k], scale);
	hb_dec_parts((struct varlena *) l->nv[k], &p);
	return hb_dec_to_double(&p, NumericGetDatum(l->nv[k]));
}

/* Counts every amount of l (at scale) in a sketch. */
static void
ticket_list_pour(Sketch *s, const TicketList *l, int scale)
{
	int32		k;

	for (k = 0; k < l->n; k++)
		sketch_add(s, ticket_list_double(l, k, scale), l->count[k], TYPNAME);
}

/* The state's amounts go to its sketch, for good. */
void
ticket_list_to_sketch(TicketState *t)
{
	ticket_list_pour(&t->sketch, &t->list, t->scale);
	ticket_list_free(&t->list);
	t->exact = false;
}

/* The state's list turns to numerics (an amount does not fit 64 bits). */
static void
ticket_list_go_numeric(TicketState *t)
{
	TicketList *l = &t->list;
	TicketList	old = *l;
	MemoryContext cxt;
	int32		k;

	if (l->numeric)
		return;
	memset(l, 0, sizeof(TicketList));
	l->numeric = true;
	ticket_list_reserve(t, Max(old.n, 1));
	cxt = MemoryContextSwitchTo(t->hdr.eoh_context);
	for (k = 0; k < old.n; k++)
	{
		l->nv[k] = hb_int128_numeric(old.v[k], t->scale);
		l->count[k] = old.count[k];
	}
	MemoryContextSwitchTo(cxt);
	l->n = old.n;
	ticket_list_free(&old);
}

/* Adds count times the amount v, a numeric (the list numeric or gone). */
static void
ticket_list_add_numeric(TicketState *t, Numeric v, int64 count)
{
	TicketList *l = &t->list;
	int32		a = 0,
				b = l->n;
	HbDecParts	p;
	MemoryContext cxt;

	while (t->exact && a < b)
	{
		int32		m = (a + b) >> 1;

		if (hb_numeric_cmp(l->nv[m], v) < 0)
			a = m + 1;
		else
			b = m;
	}
	if (t->exact && a < l->n && hb_numeric_cmp(l->nv[a], v) == 0)
	{
		l->count[a] = hb_count_add(l->count[a], count, TYPNAME);
		return;
	}
	if (t->exact && l->n == TICKET_EXACT_MAX)
		ticket_list_to_sketch(t);
	if (!t->exact)
	{
		hb_dec_parts((struct varlena *) v, &p);
		sketch_add(&t->sketch, hb_dec_to_double(&p, NumericGetDatum(v)), count, TYPNAME);
		return;
	}
	ticket_list_open(t, a);
	cxt = MemoryContextSwitchTo(t->hdr.eoh_context);
	l->nv[a] = (Numeric) palloc(VARSIZE(v));
	memcpy(l->nv[a], v, VARSIZE(v));
	MemoryContextSwitchTo(cxt);
	l->count[a] = count;
}

/*
 * ticket.c's way out of the inline path: the list is full (the amount goes
 * to the sketch, with the list), or the amount (or the list) is numeric.
 * x is the amount at the state's scale when fits.
 */
void
ticket_list_add_slow(TicketState *t, const HbDecParts *np, Datum amount, bool fits, int128 x)
{
	if (!t->list.numeric && fits && x >= PG_INT64_MIN && x <= PG_INT64_MAX)
	{
		ticket_list_to_sketch(t);
		sketch_add(&t->sketch, hb_dec_to_double(np, amount), 1, TYPNAME);
		return;
	}
	ticket_list_go_numeric(t);
	ticket_list_add_numeric(t, (Numeric) PG_DETOAST_DATUM(amount), 1);
}

/*
 * Whether l's integer amounts (n > 0) still fit 64 bits once multiplied by
 * 10^d, and by what: ascending, the two ends are enough to tell.
 */
static bool
ticket_list_scalable(const TicketList *l, int d, int64 *mul)
{
	int128		lo = l->v[0],
				hi = l->v[l->n - 1];

	if (!hb_dec_mul_pow10(&lo, d) || !hb_dec_mul_pow10(&hi, d) ||
		lo < PG_INT64_MIN || hi > PG_INT64_MAX)
		return false;
	*mul = d <= 18 ? (int64) hb_dec_pow10[d] : 1;	/* beyond, the one amount is 0 */
	return true;
}

/* The state's scale is about to become s: integer amounts follow it. */
void
ticket_list_rescale(TicketState *t, int s)
{
	TicketList *l = &t->list;
	int64		mul;
	int32		k;

	if (l->numeric || l->n == 0 || s <= t->scale)
		return;
	if (s > HB_DEC_MAX_POW10 || !ticket_list_scalable(l, s - t->scale, &mul))
		ticket_list_go_numeric(t);	/* at the old scale, which numerics do not need */
	else
		for (k = 0; k < l->n; k++)
			l->v[k] *= mul;
}

/* ---------- merging ---------- */

/*
 * Adds the amounts of l (at scale, at most the state's) to the state: its
 * list, which goes to the sketch when the union passes TICKET_EXACT_MAX
 * distinct amounts, or its sketch.
 */
void
ticket_list_merge(TicketState *t, const TicketList *l, int scale)
{
	TicketList *tl = &t->list;
	int64		mul;
	int32		i,
				j,
				k,
				u;

	if (!t->exact)
	{
		ticket_list_pour(&t->sketch, l, scale);
		return;
	}
	if (tl->numeric || l->numeric || t->scale > HB_DEC_MAX_POW10 ||
		!ticket_list_scalable(l, t->scale - scale, &mul))
	{
		ticket_list_go_numeric(t);
		for (k = 0; k < l->n; k++)
			ticket_list_add_numeric(t, ticket_list_numeric(l, k, scale), l->count[k]);
		return;
	}
	/* distinct amounts of the union, both ascending */
	for (i = j = u = 0; i < tl->n || j < l->n; u++)
	{
		if (j == l->n || (i < tl->n && tl->v[i] < l->v[j] * mul))
			i++;
		else if (i == tl->n || tl->v[i] > l->v[j] * mul)
			j++;
		else
			i++, j++;
	}
	if (u > TICKET_EXACT_MAX)
	{
		ticket_list_to_sketch(t);
		ticket_list_pour(&t->sketch, l, scale);
		return;
	}
	/* merged from the top down, in place */
	ticket_list_reserve(t, u);
	for (i = tl->n - 1, j = l->n - 1, k = u - 1; j >= 0; k--)
	{
		int64		w = l->v[j] * mul;

		if (i >= 0 && tl->v[i] > w)
		{
			tl->v[k] = tl->v[i];
			tl->count[k] = tl->count[i--];
		}
		else
		{
			tl->count[k] = i >= 0 && tl->v[i] == w
				? hb_count_add(tl->count[i--], l->count[j], TYPNAME) : l->count[j];
			tl->v[k] = w;
			j--;
		}
	}
	tl->n = u;
}

/* ---------- flat form ---------- */

#define ticket_list_varint(p, end, v) \
	hb_varint_read((p), (end), (v), TYPNAME, "Its exact amounts are truncated or hold a malformed number.")

/*
 * Decodes the flat list [p, end) of a summary of `deals` amounts at
 * `scale` into l (in the current memory context), checking every bound:
 * 1 to TICKET_EXACT_MAX amounts, strictly ascending, finite and at the
 * scale, counts of at least 1 adding up to deals, no byte left over.
 */
void
ticket_list_decode(const char *p, const char *end, int scale, int64 deals, TicketList *l)
{
	uint64		n,
				form,
				u,
				c;
	int64		total = 0;
	int32		k;

	memset(l, 0, sizeof(TicketList));
	p = ticket_list_varint(p, end, &n);
	if (n < 1 || n > TICKET_EXACT_MAX || n > (uint64) (end - p))
		hb_invalid(TYPNAME, "Its exact list holds %llu amounts; it holds 1 to %d.",
				   (unsigned long long) n, TICKET_EXACT_MAX);
	p = ticket_list_varint(p, end, &form);
	if (form > 1 || (form == 0 && scale > HB_DEC_MAX_POW10))
		hb_invalid(TYPNAME, "Its exact amounts are of an unknown form, or integers at more than %d decimals.",
				   HB_DEC_MAX_POW10);
	l->numeric = form == 1;
	l->n = l->cap = (int32) n;
	l->count = palloc(sizeof(int64) * n);
	if (l->numeric)
		l->nv = palloc(sizeof(Numeric) * n);
	else
		l->v = palloc(sizeof(int64) * n);
	for (k = 0; k < l->n; k++)
	{
		p = ticket_list_varint(p, end, &u);
		if (!l->numeric && k == 0)
			l->v[0] = hb_unzigzag(u);
		else if (!l->numeric)
		{
			/* the next amount, v[k - 1] + 1 + u, must stay within int64 */
			if (u >= (uint64) PG_INT64_MAX - (uint64) l->v[k - 1])
				hb_invalid(TYPNAME, "Its exact amounts run past 64 bits.");
			l->v[k] = (int64) ((uint64) l->v[k - 1] + u + 1);
		}
		else
		{
			HbDecParts	np;

			if (u > (uint64) (end - p))
				hb_invalid(TYPNAME, "Its exact amounts are truncated or hold a malformed number.");
			l->nv[k] = ticket_numeric_recv(p, (int) u);
			p += u;
			hb_dec_parts((struct varlena *) l->nv[k], &np);
			if (np.special || np.dscale != scale)
				hb_invalid(TYPNAME, "Its exact amounts must be finite numbers at its scale.");
			if (k > 0 && hb_numeric_cmp(l->nv[k - 1], l->nv[k]) >= 0)
				hb_invalid(TYPNAME, "Its exact amounts are not in ascending order.");
		}
		p = ticket_list_varint(p, end, &c);
		if (c == 0 || c > (uint64) PG_INT64_MAX || pg_add_s64_overflow(total, (int64) c, &total))
			hb_invalid(TYPNAME, "Its exact amounts have a count out of range.");
		l->count[k] = (int64) c;
	}
	if (p != end)
		hb_invalid(TYPNAME, "Unexpected bytes after its exact amounts.");
	if (total != deals)
		hb_invalid(TYPNAME, "Its exact amounts count %lld deals, not %lld.",
				   (long long) total, (long long) deals);
}

/*
 * The exact values of a full summary written as its exact list (read, r->list
 * decoded): the list's ends, and its sums, exact, as int128 when they fit
 * (as a summary with a sketch writes them), else as numerics.
 */
void
ticket_list_exact_values(TicketRead *r)
{
	const TicketList *l = &r->list;
	int			scale = r->f->scale;
	int128		sum = 0,		/* |sum| <= deals * 2^63 < 2^126 */
				sumsq = 0;
	bool		ok = !l->numeric;
	int32		k;

	for (k = 0; ok && k < l->n; k++)
	{
		int128		sq = (int128) l->v[k] * l->v[k];	/* < 2^126 */

		sum += (int128) l->v[k] * l->count[k];
		ok = (l->count[k] == 1 || !__builtin_mul_overflow(sq, (int128) l->count[k], &sq)) &&
			!__builtin_add_overflow(sumsq, sq, &sumsq);
	}
	r->big = !ok;
	if (ok)
	{
		r->x[X_SUM] = sum;
		r->x[X_SUMSQ] = sumsq;
		r->x[X_MIN] = l->v[0];
		r->x[X_MAX] = l->v[l->n - 1];
		return;
	}
	r->nx[X_SUM] = r->nx[X_SUMSQ] = int64_to_numeric(0);
	for (k = 0; k < l->n && r->nx[X_SUMSQ] != NULL; k++)
	{
		Numeric		v = ticket_list_numeric(l, k, scale),
					c = int64_to_numeric(l->count[k]),
					sq = ticket_mul_add(v, v, NULL);

		r->nx[X_SUM] = ticket_mul_add(v, c, r->nx[X_SUM]);
		r->nx[X_SUMSQ] = r->nx[X_SUM] && sq ? ticket_mul_add(sq, c, r->nx[X_SUMSQ]) : NULL;
	}
	if (r->nx[X_SUMSQ] == NULL)
		hb_invalid(TYPNAME, "Its exact amounts are too large to add up.");
	r->nx[X_SUM] = hb_numeric_round(r->nx[X_SUM], scale);
	r->nx[X_SUMSQ] = hb_numeric_round(r->nx[X_SUMSQ], 2 * scale);
	r->nx[X_MIN] = ticket_list_numeric(l, 0, scale);
	r->nx[X_MAX] = ticket_list_numeric(l, l->n - 1, scale);
}

static void
ticket_list_put(StringInfo buf, uint64 v)
{
	char		b[10];

	appendBinaryStringInfo(buf, b, hb_varint_put(b, v) - b);
}

/*
 * Writes the state's list (n > 0) in its flat form, in the state's own
 * memory (ticket_get_flat_size calls it there), kept as t->flat_list until
 * the next flatten; returns its length.
 */
Size
ticket_list_plan(TicketState *t)
{
	TicketList *l = &t->list;
	int64	   *v = l->v;
	StringInfoData buf;
	int32		k;

	Assert(l->n > 0);
	if (t->flat_list != NULL)
		pfree(t->flat_list);
	/* integers when every amount fits, also one the list keeps as numeric */
	if (l->numeric)
	{
		v = palloc(sizeof(int64) * l->n);
		for (k = 0; k < l->n; k++)
		{
			HbDecParts	np;
			int128		y;

			hb_dec_parts((struct varlena *) l->nv[k], &np);
			if (!hb_dec_to_int128(&np, t->scale, &y) || y < PG_INT64_MIN || y > PG_INT64_MAX)
				break;
			v[k] = (int64) y;
		}
		if (k < l->n)
		{
			pfree(v);
			v = NULL;
		}
	}
	if (v != NULL)
	{
		/* integers: two varints an amount, 20 bytes at most */
		char	   *p = palloc(20 + 20 * (Size) l->n);

		t->flat_list = p;
		p = hb_varint_put(p, (uint64) l->n);
		p = hb_varint_put(p, 0);
		for (k = 0; k < l->n; k++)
		{
			p = hb_varint_put(p, k == 0 ? hb_zigzag(v[0]) : (uint64) v[k] - (uint64) v[k - 1] - 1);
			p = hb_varint_put(p, (uint64) l->count[k]);
		}
		if (v != l->v)
			pfree(v);
		return p - t->flat_list;
	}
	initStringInfo(&buf);
	ticket_list_put(&buf, (uint64) l->n);
	ticket_list_put(&buf, 1);
	for (k = 0; k < l->n; k++)
	{
		bytea	   *b = DatumGetByteaPP(DirectFunctionCall1(numeric_send,
															NumericGetDatum(hb_numeric_round(l->nv[k], t->scale))));

		ticket_list_put(&buf, VARSIZE_ANY_EXHDR(b));
		appendBinaryStringInfo(&buf, VARDATA_ANY(b), VARSIZE_ANY_EXHDR(b));
		ticket_list_put(&buf, (uint64) l->count[k]);
	}
	t->flat_list = buf.data;
	return buf.len;
}

/* ---------- percentiles ---------- */

/* The amount at rank ceil(p * deals), as percentile_disc, at the scale. */
Numeric
ticket_list_quantile(const TicketList *l, int scale, int64 deals, double p)
{
	double		target = ceil(p * (double) deals);
	int64		rank = target < 1.0 ? 1 : target >= (double) deals ? deals : (int64) target;
	int64		seen = 0;
	int32		k;

	for (k = 0; k < l->n - 1; k++)
	{
		seen += l->count[k];
		if (seen >= rank)
			break;
	}
	return ticket_list_numeric(l, k, scale);
}
