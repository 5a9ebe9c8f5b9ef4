/*
 * ticket_exact.c - the exact values of a ticket state: sum, sum of squares,
 * smallest and largest amount, scaled by 10^scale.
 *
 * They are 128-bit integers while they fit (ticket.c adds an amount to them
 * inline); beyond that the state "goes big" and keeps numerics until it is
 * next flattened.  The flat form is canonical whichever path ran: int128
 * whenever the values fit, else numerics rounded to the scale
 * (ticket_flat_plan).
 */
#include "ticket.h"

#include "utils/memutils.h"

/* t->nx[k] = a copy of v in the state's context. */
void
ticket_set_numeric(TicketState *t, int k, Numeric v)
{
	MemoryContext old = MemoryContextSwitchTo(t->hdr.eoh_context);
	Numeric		copy = (Numeric) palloc(VARSIZE(v));

	memcpy(copy, v, VARSIZE(v));
	MemoryContextSwitchTo(old);
	if (t->nx[k] != NULL)
		pfree(t->nx[k]);
	t->nx[k] = copy;
}

/* Leave the int128 path for good (until the next flatten). */
void
ticket_go_big(TicketState *t)
{
	int			k;

	if (t->big)
		return;
	for (k = 0; k < ticket_nexact(t->flags); k++)
		ticket_set_numeric(t, k, hb_int128_numeric(t->x[k], ticket_exact_scale(t->scale, k)));
	t->big = true;
}

/* Raise the scale of the int128 values (and the list) to s; goes big on overflow. */
void
ticket_rescale(TicketState *t, int s)
{
	int			k;

	if (s <= t->scale)
		return;
	if (!t->big)
	{
		int128		x[NEXACT];

		memcpy(x, t->x, sizeof(x));
		for (k = 0; k < ticket_nexact(t->flags); k++)
			if (!hb_dec_mul_pow10(&x[k], (k == X_SUMSQ ? 2 : 1) * (s - t->scale)))
				break;
		if (k == ticket_nexact(t->flags))
			memcpy(t->x, x, sizeof(x));
		else
			ticket_go_big(t);
	}
	ticket_list_rescale(t, s);
	t->scale = s;
}

/*
 * Merges the scale and exact values of a flat summary with deals, read
 * (x or nx), into t, whose kind already covers its; t->deals is the count
 * before the merge.
 */
void
ticket_merge_exact(TicketState *t, const TicketRead *r)
{
	const TicketFlat *f = r->f;
	const int128 *x = r->x;
	int			k;

	/* scales: afterwards t->scale >= f->scale */
	if (t->deals == 0)
	{
		t->scale = f->scale;
		t->at_scale = f->at_scale;
	}
	else if (f->scale > t->scale)
	{
		ticket_rescale(t, f->scale);
		t->at_scale = f->at_scale;
	}
	else if (f->scale == t->scale)
		t->at_scale += f->at_scale; /* each <= its deals: cannot overflow */

	/* exact values, f's aligned to t->scale */
	if (!t->big && !r->big)
	{
		int128		y[NEXACT];
		int			n = ticket_nexact(t->flags);
		bool		ok = true;

		for (k = 0; k < n && ok; k++)
		{
			y[k] = x[k];
			ok = hb_dec_mul_pow10(&y[k], (k == X_SUMSQ ? 2 : 1) * (t->scale - f->scale));
		}
		if (ok && t->deals > 0 && n > 0)	/* a sketch-only state keeps none */
		{
			ok = !__builtin_add_overflow(t->x[X_SUM], y[X_SUM], &y[X_SUM]) &&
				(n == 1 || !__builtin_add_overflow(t->x[X_SUMSQ], y[X_SUMSQ], &y[X_SUMSQ]));
			if (n > 1)
			{
				y[X_MIN] = Min(y[X_MIN], t->x[X_MIN]);
				y[X_MAX] = Max(y[X_MAX], t->x[X_MAX]);
			}
		}
		if (ok)
			memcpy(t->x, y, sizeof(int128) * n);
		else
			ticket_go_big(t);
	}
	else
		ticket_go_big(t);
	if (t->big)
	{
		Numeric		v[NEXACT];

		for (k = 0; k < ticket_nexact(t->flags); k++)
			v[k] = r->big ? r->nx[k] : hb_int128_numeric(x[k], ticket_exact_scale(f->scale, k));
		if (t->deals == 0)
			for (k = 0; k < ticket_nexact(t->flags); k++)
				ticket_set_numeric(t, k, v[k]);
		else if (ticket_nexact(t->flags) > 0)	/* a sketch-only merge keeps none */
		{
			ticket_set_numeric(t, X_SUM, hb_numeric_add(t->nx[X_SUM], v[X_SUM]));
			if (ticket_nexact(t->flags) > 1)
			{
				ticket_set_numeric(t, X_SUMSQ, hb_numeric_add(t->nx[X_SUMSQ], v[X_SUMSQ]));
				if (hb_numeric_cmp(v[X_MIN], t->nx[X_MIN]) < 0)
					ticket_set_numeric(t, X_MIN, v[X_MIN]);
				if (hb_numeric_cmp(v[X_MAX], t->nx[X_MAX]) > 0)
					ticket_set_numeric(t, X_MAX, v[X_MAX]);
			}
		}
	}
}

/* ---------- adding one amount: the numeric path ---------- */

void
ticket_amount_out_of_range(void)
{
	ereport(ERROR,
			(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
			 errmsg("ticket amount out of range"),
			 errdetail("ticket_agg keeps the exact sum of squares, so amounts must stay below 10^65536 with at most %d decimal places.",
					   TICKET_MAX_EXACT_SCALE),
			 errhint("Round the amounts, or use avg_ticket(), which keeps only the sum.")));
}

/* a * b + acc (acc NULL: a * b), or NULL beyond numeric's range. */
Numeric
ticket_mul_add(Numeric a, Numeric b, Numeric acc)
{
	bool		err = false;
	Numeric		r = numeric_mul_opt_error(a, b, &err);

	if (!err && acc != NULL)
		r = numeric_add_opt_error(acc, r, &err);
	return err ? NULL : r;
}

static Numeric
ticket_square_checked(Numeric n, Numeric sum)
{
	Numeric		r = ticket_mul_add(n, n, sum);

	if (r == NULL)
		ticket_amount_out_of_range();
	return r;
}

/*
 * Adds one amount to the exact values as numerics: ticket.c's inline path
 * calls this, out of line, when the int128 values cannot take it.  t's
 * scale already covers the amount's; the caller counts the deal and the
 * amount.
 */
void
ticket_add_numeric(TicketState *t, Datum amount)
{
	bool		full = ticket_nexact(t->flags) == NEXACT;
	Numeric		n = (Numeric) PG_DETOAST_DATUM(amount);

	ticket_go_big(t);
	if (t->deals == 0)
	{
		ticket_set_numeric(t, X_SUM, n);
		if (full)
		{
			ticket_set_numeric(t, X_SUMSQ, ticket_square_checked(n, NULL));
			ticket_set_numeric(t, X_MIN, n);
			ticket_set_numeric(t, X_MAX, n);
		}
	}
	else
	{
		ticket_set_numeric(t, X_SUM, hb_numeric_add(t->nx[X_SUM], n));
		if (full)
		{
			ticket_set_numeric(t, X_SUMSQ, ticket_square_checked(n, t->nx[X_SUMSQ]));
			if (hb_numeric_cmp(n, t->nx[X_MIN]) < 0)
				ticket_set_numeric(t, X_MIN, n);
			if (hb_numeric_cmp(n, t->nx[X_MAX]) > 0)
				ticket_set_numeric(t, X_MAX, n);
		}
	}
}

/* ---------- the flat form's exact values ---------- */

/*
 * Canonical form: int128 when every exact value fits (t->flat_x), else
 * numerics rounded to the scale (t->nx, replaced; t->flat_big).  Runs in
 * the state's own context (ticket_get_flat_size).
 */
void
ticket_flat_plan(TicketState *t)
{
	int			k,
				n = ticket_nexact(t->flags);

	t->flat_big = false;
	if (t->big)
	{
		for (k = 0; k < n; k++)
		{
			HbDecParts	np;

			hb_dec_parts((struct varlena *) t->nx[k], &np);
			if (np.special || !hb_dec_to_int128(&np, ticket_exact_scale(t->scale, k), &t->flat_x[k]))
				break;
		}
		if (k < n)
		{
			/* rounded in the state's context (ticket_get_flat_size), kept */
			t->flat_big = true;
			for (k = 0; k < n; k++)
			{
				Numeric		r = hb_numeric_round(t->nx[k], ticket_exact_scale(t->scale, k));

				pfree(t->nx[k]);
				t->nx[k] = r;
			}
		}
	}
	else
		memcpy(t->flat_x, t->x, sizeof(t->x));
	if (t->deals == 0)
		memset(t->flat_x, 0, sizeof(t->flat_x));
}
