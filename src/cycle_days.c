/*
 * cycle_days.c - the exact day histograms of a day summary (cycle.h): in
 * memory, sorted arrays of (day, count); flat, a byte stream of varints.
 *
 * Flat layout of one histogram: the number of distinct days n, then n
 * pairs (day, count), the first day as is and each later one as its gap
 * to the one before minus 1, each count at least 1.  A day summary writes
 * the histogram of closed durations, then that of open ages.
 */
#include "cycle.h"

#include "utils/memutils.h"

/* Room for cap entries: counts, then days, in one block. */
static void
cycle_days_alloc(CycleDays *h, int32 cap)
{
	int64	   *count = MemoryContextAlloc(h->cxt, (sizeof(int64) + sizeof(int32)) * cap);
	int32	   *day = (int32 *) (count + cap);

	if (h->n > 0)
	{
		memcpy(count, h->count, sizeof(int64) * h->n);
		memcpy(day, h->day, sizeof(int32) * h->n);
	}
	if (h->cap > 0)
		pfree(h->count);
	h->count = count;
	h->day = day;
	h->cap = cap;
}

void
cycle_days_init(CycleDays *h, MemoryContext cxt)
{
	memset(h, 0, sizeof(CycleDays));
	h->cxt = cxt;
}

/* Empties h and gives its memory back. */
static void
cycle_days_reset(CycleDays *h)
{
	if (h->cap > 0)
		pfree(h->count);
	cycle_days_init(h, h->cxt);
}

/*
 * Counts day n more times.  False when h then holds more than
 * CYCLE_DAYS_MAX distinct days (the day is counted all the same).
 */
bool
cycle_days_add(CycleDays *h, int32 day, int64 n)
{
	int32		a = 0,
				b = h->n;

	if (b > 0 && h->day[h->hint] == day)
	{
		h->count[h->hint] = hb_count_add(h->count[h->hint], n, TYPNAME);
		return true;
	}
	while (a < b)				/* the first entry with a day >= day */
	{
		int32		m = (a + b) / 2;

		if (h->day[m] < day)
			a = m + 1;
		else
			b = m;
	}
	h->hint = a;
	if (a < h->n && h->day[a] == day)
	{
		h->count[a] = hb_count_add(h->count[a], n, TYPNAME);
		return true;
	}
	if (h->n == h->cap)
		cycle_days_alloc(h, Max(8, 2 * h->cap));
	memmove(&h->count[a + 1], &h->count[a], sizeof(int64) * (h->n - a));
	memmove(&h->day[a + 1], &h->day[a], sizeof(int32) * (h->n - a));
	h->day[a] = day;
	h->count[a] = n;
	h->n++;
	return h->n <= CYCLE_DAYS_MAX;
}

/* Adds a decoded histogram into h; false as cycle_days_add(). */
bool
cycle_days_merge(CycleDays *h, const CycleDaysList *l)
{
	CycleDays	old = *h;
	int32		i = 0,
				j = 0;

	if (l->n == 0)
		return true;
	h->n = 0;
	h->cap = 0;
	cycle_days_alloc(h, old.n + l->n);
	while (i < old.n || j < l->n)
	{
		if (j == l->n || (i < old.n && old.day[i] < l->day[j]))
		{
			h->day[h->n] = old.day[i];
			h->count[h->n] = old.count[i++];
		}
		else if (i == old.n || l->day[j] < old.day[i])
		{
			h->day[h->n] = l->day[j];
			h->count[h->n] = l->count[j++];
		}
		else
		{
			h->day[h->n] = old.day[i];
			h->count[h->n] = hb_count_add(old.count[i++], l->count[j++], TYPNAME);
		}
		h->n++;
	}
	if (old.cap > 0)
		pfree(old.count);
	h->hint = 0;
	return h->n <= CYCLE_DAYS_MAX;
}

/* Durations of `day` days, on the sketch's microsecond line, as rows add them. */
#define DAY_VALUE(day) ((double) ((int64) (day) * USECS_PER_DAY))

/* Adds every day of h to the sketch s, as its rows would have been; empties h. */
void
cycle_days_fold(CycleDays *h, Sketch *s)
{
	int32		k;

	for (k = 0; k < h->n; k++)
		sketch_add(s, DAY_VALUE(h->day[k]), h->count[k], TYPNAME);
	cycle_days_reset(h);
}

void
cycle_days_fold_list(const CycleDaysList *l, Sketch *s)
{
	int32		k;

	for (k = 0; k < l->n; k++)
		sketch_add(s, DAY_VALUE(l->day[k]), l->count[k], TYPNAME);
}

/* ---------- flat form ---------- */

Size
cycle_days_flat_size(const CycleDays *h)
{
	Size		size = hb_varint_size((uint64) h->n);
	int32		k;

	for (k = 0; k < h->n; k++)
		size += hb_varint_size((uint64) (k == 0 ? h->day[0] : h->day[k] - h->day[k - 1] - 1)) +
			hb_varint_size((uint64) h->count[k]);
	return size;
}

char *
cycle_days_flatten(const CycleDays *h, char *p)
{
	int32		k;

	p = hb_varint_put(p, (uint64) h->n);
	for (k = 0; k < h->n; k++)
	{
		p = hb_varint_put(p, (uint64) (k == 0 ? h->day[0] : h->day[k] - h->day[k - 1] - 1));
		p = hb_varint_put(p, (uint64) h->count[k]);
	}
	return p;
}

#define cycle_days_varint(p, end, v) \
	hb_varint_read((p), (end), (v), TYPNAME, "Its day histogram is truncated or holds a malformed number.")

/*
 * Decodes the flat histogram at p (palloc'd arrays); ERROR if malformed:
 * more than CYCLE_DAYS_MAX days, a day past CYCLE_MAX_DAY, a count of 0.
 * Returns its end.
 */
static const char *
cycle_days_decode(CycleDaysList *l, const char *p, const char *end)
{
	uint64		n,
				v,
				c;
	int64		day = -1;
	int32		k;

	p = cycle_days_varint(p, end, &n);
	if (n > CYCLE_DAYS_MAX || n > (uint64) (end - p) / 2)
		hb_invalid(TYPNAME, "Its day histogram holds more days than it may (%d) or than its bytes.", CYCLE_DAYS_MAX);
	l->n = (int32) n;
	l->day = palloc(sizeof(int32) * Max(n, 1));
	l->count = palloc(sizeof(int64) * Max(n, 1));
	l->total = 0;
	l->weighted = 0;
	for (k = 0; k < l->n; k++)
	{
		p = cycle_days_varint(p, end, &v);
		if (v > (uint64) CYCLE_MAX_DAY || day + 1 + (int64) v > CYCLE_MAX_DAY)
			hb_invalid(TYPNAME, "Its day histogram has a day out of range.");
		day += 1 + (int64) v;
		p = cycle_days_varint(p, end, &c);
		if (c == 0 || c > (uint64) PG_INT64_MAX)
			hb_invalid(TYPNAME, "Its day histogram has a count out of range.");
		l->day[k] = (int32) day;
		l->count[k] = (int64) c;
		l->total = hb_count_add(l->total, (int64) c, TYPNAME);
		l->weighted += (int128) day * (int64) c;	/* < 2^27 * 2^63 * 2^14 */
	}
	return p;
}

/*
 * The two histograms of day summary f (its sum of durations `sum`), at p
 * up to end, decoded and checked against its counts and sums: they count
 * its closed and open deals, the closed ones add up to its sum of days, and
 * that is its sum of durations, in whole days.
 */
void
cycle_days_lists(const CycleFlat *f, int128 sum, const char *p, const char *end,
				 CycleDaysList *done, CycleDaysList *censored)
{
	p = cycle_days_decode(done, p, end);
	p = cycle_days_decode(censored, p, end);
	if (p != end)
		hb_invalid(TYPNAME, "Unexpected bytes after its day histograms.");
	if (done->total != f->closed || censored->total != f->open)
		hb_invalid(TYPNAME, "Its day histograms do not count its deals.");
	if (done->weighted != f->sum_days || sum != (int128) f->sum_days * USECS_PER_DAY)
		hb_invalid(TYPNAME, "Its day histogram of closed deals does not add up to its sum of durations.");
}

/* A decoded histogram as a sketch view, each day at its duration in us. */
void
cycle_days_view(SketchView *v, const CycleDaysList *l)
{
	int32		k;

	v->nbuckets = l->n;
	v->total = l->total;
	v->count = l->count;
	v->value = palloc(sizeof(double) * Max(l->n, 1));
	for (k = 0; k < l->n; k++)
		v->value[k] = DAY_VALUE(l->day[k]);
}
