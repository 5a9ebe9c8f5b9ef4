/*
 * retention.h - what the retention family's files share (internal):
 * the summary's flat form, the state and its pair set.
 *
 *   retention.c         the state: flat form, transition, merge, I/O
 *   retention_pairs.c   the pair set: sort, dedup, grow, rescale
 *   retention_report.c  the reports: retention(), cohorts(), revenue_retention()
 *   period.c            periods and time zones
 */
#ifndef HEARTBEAT_RETENTION_H
#define HEARTBEAT_RETENTION_H

#include "heartbeat.h"

#include "miscadmin.h"

#define RETENTION_TYPNAME "retention_summary"

/* Periods from the first to the last: at most 40M (daily for 100,000 years). */
#define RETENTION_MAX_SPAN 40000000

/*
 * Loops over pairs or periods check for interrupts every 64K steps, so
 * statement_timeout and cancel stop them within milliseconds; the test of
 * the step costs nothing measurable.
 */
#define INTERRUPTS_EVERY_64K(i) \
	do { if (((i) & 0xFFFF) == 0) CHECK_FOR_INTERRUPTS(); } while (0)

/*
 * The same test for loops that move pairs in place, whose state is whole
 * only once they put it back: true every 64K steps when an interrupt is
 * pending and would be taken.  The loop then makes its pairs whole, calls
 * CHECK_FOR_INTERRUPTS() and, should that return, goes on.  False while
 * interrupts are held off, so no loop keeps repairing.
 */
#define INTERRUPT_DUE(i) \
	(((i) & 0xFFFF) == 0 && INTERRUPTS_PENDING_CONDITION() && INTERRUPTS_CAN_BE_PROCESSED())

#define RET_REVENUE		0x0001	/* pairs carry revenue */
#define RET_HASHED		0x0002	/* keys are hashes of text or uuid */

typedef struct RetFlat
{
	HbHeader	hdr;			/* hdr.flags: RET_* */
	int32		granularity;	/* PERIOD_*, PERIOD_NONE only when empty */
	int32		rev_scale;		/* decimals of the revenue amounts */
	int64		customers;
	int64		pairs;
	int32		first_period;
	int32		last_period;
	/* then the varint stream */
} RetFlat;

typedef struct Pair
{
	int64		key;
	int32		period;
	int32		pad;
} Pair;

typedef struct RetState
{
	ExpandedObjectHeader hdr;
	uint16		flags;
	int32		granularity;
	int32		rev_scale;
	uint64		cap;
	uint64		n;				/* pairs in set[] */
	uint64		sorted;			/* set[0..sorted) is in order; all of it, and
								 * distinct, when sorted == n */
	uint64		limit;			/* compact when this many: 2 x distinct pairs */
	Pair	   *set;
	int64	   *rev;			/* revenue * 10^rev_scale of set[i], or NULL */
} RetState;

/* Pairs a state starts with room for, and below which it is never compacted. */
#define RET_FIRST_CAP	8
#define RET_MIN_LIMIT	8192

/* Sort order of keys and periods as unsigned numbers. */
#define KEY_ORD(k) ((uint64) (k) ^ UINT64CONST(0x8000000000000000))
#define PER_ORD(p) ((uint64) ((uint32) (p) ^ 0x80000000u))
#define PAIR_LESS(a, b) (KEY_ORD((a).key) < KEY_ORD((b).key) || \
						 ((a).key == (b).key && PER_ORD((a).period) < PER_ORD((b).period)))
#define PAIR_EQ(a, b) ((a).key == (b).key && (a).period == (b).period)

/* ---------- retention.c ---------- */

/* An empty state with room for `room` pairs. */
extern RetState *retention_new(MemoryContext cxt, uint64 room);

/* A stored summary, detoasted and its header checked. */
extern const RetFlat *retention_flat(Datum d);

/*
 * Walks a flat summary customer by customer, checking every bound; calls
 * fn (unless NULL) with the customer's periods (ascending) and revenues
 * (or NULL).
 */
typedef void (*retention_customer_fn) (void *arg, int64 key, const int32 *periods, const int64 *revs, int n);
extern void retention_walk(const RetFlat *f, retention_customer_fn fn, void *arg);

/* ---------- retention_pairs.c ---------- */

pg_noreturn extern void retention_revenue_overflow(void);

/* Sort and merge duplicates in place (summing their revenue). */
extern void retention_pairs_dedup(RetState *t);
/* Half as much room again. */
extern void retention_pairs_grow(RetState *t);
/* The array is full: compact or grow it. */
extern void retention_pairs_full(RetState *t);
/* Raise the revenue scale of every pair to s. */
extern void retention_pairs_rescale(RetState *t, int32 s);

/* Add a pair (inline: it runs per row). */
static inline void
retention_pairs_insert(RetState *t, int64 key, int32 period, int64 rev)
{
	Pair	   *p;

	if (unlikely(t->n == t->cap))
		retention_pairs_full(t);
	if (t->flags & RET_REVENUE)
	{
		if (unlikely(t->rev == NULL))
			t->rev = MemoryContextAllocExtended(t->hdr.eoh_context, sizeof(int64) * t->cap,
												MCXT_ALLOC_HUGE | MCXT_ALLOC_ZERO);
		t->rev[t->n] = rev;
	}
	p = &t->set[t->n++];
	p->key = key;
	p->period = period;
	p->pad = 0;
}

#endif							/* HEARTBEAT_RETENTION_H */
