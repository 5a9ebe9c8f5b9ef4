/*
 * ticket.h - what the files of the average-ticket family share (not used
 * by other families): the flat summary, the expanded state and the parts
 * each file provides.
 *
 *   ticket.c            the state, its flat form, transitions, text and
 *                       binary I/O
 *   ticket_exact.c      the exact values: int128 with a numeric fallback
 *   ticket_amounts.c    the exact list of amounts of a small summary
 *   ticket_accessors.c  what SQL reads from a summary: mean, percentiles, ...
 */
#ifndef HEARTBEAT_TICKET_H
#define HEARTBEAT_TICKET_H

#include "heartbeat.h"
#include "sketch.h"

#define TYPNAME "ticket_summary"

/*
 * Header flags (heartbeat.h's contract):
 *  - parts, `lacks` bits: MEAN_ONLY keeps only deals and sum (avg_ticket),
 *    SKETCH_ONLY only deals and the amounts (median_ticket; the name is
 *    older than the exact list);
 *  - forms, chosen again whenever a state is flattened: BIG writes the
 *    exact values as numerics, EXACT writes the amounts as their exact list.
 *
 * The amounts, which percentiles read (every kind but mean-only keeps
 * them), are written one of two ways: exactly (EXACT), each distinct
 * amount with its count, while a summary holds 1 to TICKET_EXACT_MAX
 * distinct amounts; else as the relative-error sketch (sketch.c): more
 * distinct amounts, none (the empty summary, as every version wrote it), or
 * a summary of 0.1.0 or 0.2.0, which kept only the sketch.  EXACT is a form
 * bit, not a `keeps` bit: it says how the one part is written, and a merge
 * of two exact lists is exact only while their union fits, which the keeps
 * rule (kept when both sides keep it) cannot say.  The sketch made from an
 * exact list counts each amount where the sketch made from its rows does
 * (hb_int64_double), so for amounts aggregated by this version the bytes
 * depend only on the multiset of amounts, whatever the order, the split or
 * the moment a merge passes the limit.
 */
#define TICKET_MEAN_ONLY	0x0001	/* part: only deals and sum are kept */
#define TICKET_BIG			0x0002	/* form: exact values stored as numerics */
#define TICKET_SKETCH_ONLY	0x0004	/* part: only deals and the amounts are kept */
#define TICKET_EXACT		0x0008	/* form: the amounts as their exact list */
#define TICKET_PARTS		(TICKET_MEAN_ONLY | TICKET_SKETCH_ONLY)
#define TICKET_HAS_AMOUNTS(flags)	(((flags) & TICKET_MEAN_ONLY) == 0)

/* Distinct amounts an exact list holds at most (part of the format). */
#define TICKET_EXACT_MAX	1024

/* The exact values, in this order: sum, sum of squares, smallest, largest. */
#define NEXACT		4
#define X_SUM		0
#define X_SUMSQ		1
#define X_MIN		2
#define X_MAX		3

/*
 * The exact sum of squares must stay a numeric: amounts below 10^65536 with
 * at most 8191 decimals.  Far beyond money, but typeable: a clear ERROR.
 */
#define TICKET_MAX_EXACT_SCALE 8191 /* half numeric's largest dscale, 0x3FFF */

typedef struct TicketFlat
{
	HbHeader	hdr;			/* hdr.flags: TICKET_* */
	int64		deals;
	int64		at_scale;		/* how many amounts have the largest scale */
	int32		scale;			/* largest display scale of the amounts */
	int32		reserved;		/* 0 */
	/* then the exact values, then (unless mean-only) the amounts' sketch;
	 * or (EXACT) only the exact list of amounts (ticket_amounts.c), from
	 * which the exact values follow */
} TicketFlat;

#define TICKET_FLAT_FIXED	sizeof(TicketFlat)

/*
 * Exact amounts: n distinct amounts, ascending, each with its count; as
 * 64-bit integers scaled by 10^scale (the summary's) while every one fits,
 * else as numerics.
 */
typedef struct TicketList
{
	int32		n;
	int32		cap;			/* allocated length of the arrays */
	bool		numeric;		/* the amounts are in nv, else in v */
	int64	   *v;
	Numeric    *nv;
	int64	   *count;
} TicketList;

typedef struct TicketState
{
	ExpandedObjectHeader hdr;
	uint16		flags;			/* TICKET_PARTS bits; BIG is `big` */
	bool		big;
	bool		exact;			/* the amounts are in `list`, else in `sketch` */
	int64		deals;
	int64		at_scale;
	int32		scale;
	int128		x[NEXACT];		/* scaled by 10^scale (sumsq: 10^(2 scale)) */
	Numeric		nx[NEXACT];		/* when big */
	TicketList	list;
	Sketch		sketch;
	/* flatten cache */
	Size		flat_size;
	bool		flat_big;
	int128		flat_x[NEXACT];
	bool		flat_exact;
	char	   *flat_list;		/* the list's bytes when flat_exact */
	Size		flat_list_len;
} TicketState;

/* A flat summary checked and located for reading. */
typedef struct TicketRead
{
	const TicketFlat *f;
	bool		big;			/* the exact values are in nx, else in x */
	int128		x[NEXACT];
	Numeric		nx[NEXACT];
	TicketList	list;			/* EXACT: the amounts, decoded and checked */
	const char *sk;				/* the amounts' bytes (the sketch, or the list) */
	const char *end;
} TicketRead;

/* How many exact values a summary keeps: a prefix of sum, sumsq, min, max. */
static inline int
ticket_nexact(uint16 flags)
{
	return (flags & TICKET_MEAN_ONLY) ? 1 : (flags & TICKET_SKETCH_ONLY) ? 0 : NEXACT;
}

/* How many of those a flat summary writes: none beside an exact list. */
static inline int
ticket_nwritten(uint16 flags)
{
	return (flags & TICKET_EXACT) ? 0 : ticket_nexact(flags);
}

/* The power of ten exact value k is scaled by. */
static inline int
ticket_exact_scale(int scale, int k)
{
	return k == X_SUMSQ ? 2 * scale : scale;
}

/* The first position of l (integers) whose amount is >= v. */
static inline int32
ticket_list_find(const TicketList *l, int64 v)
{
	int32		a = 0,
				b = l->n;

	while (a < b)
	{
		int32		m = (a + b) >> 1;

		if (l->v[m] < v)
			a = m + 1;
		else
			b = m;
	}
	return a;
}

/* ticket.c */
extern void ticket_read(FunctionCallInfo fcinfo, int argno, TicketRead *r);
extern Numeric ticket_read_numeric(const TicketRead *r, int k);
extern Numeric ticket_numeric_recv(const char *data, int len);

/* ticket_exact.c */
extern void ticket_set_numeric(TicketState *t, int k, Numeric v);
extern void ticket_go_big(TicketState *t);
extern void ticket_rescale(TicketState *t, int s);
extern void ticket_merge_exact(TicketState *t, const TicketRead *r);
extern void ticket_add_numeric(TicketState *t, Datum amount);
extern Numeric ticket_mul_add(Numeric a, Numeric b, Numeric acc);
pg_noreturn extern void ticket_amount_out_of_range(void);
extern void ticket_flat_plan(TicketState *t);

/* ticket_amounts.c */
extern void ticket_list_insert(TicketState *t, int32 at, int64 v);
extern void ticket_list_add_slow(TicketState *t, const HbDecParts *np, Datum amount,
								 bool fits, int128 x);
extern void ticket_list_rescale(TicketState *t, int s);
extern void ticket_list_to_sketch(TicketState *t);
extern void ticket_list_decode(const char *p, const char *end, int scale, int64 deals,
							   TicketList *l);
extern void ticket_list_exact_values(TicketRead *r);
extern void ticket_list_merge(TicketState *t, const TicketList *l, int scale);
extern Size ticket_list_plan(TicketState *t);
extern Numeric ticket_list_quantile(const TicketList *l, int scale, int64 deals, double p);

#endif							/* HEARTBEAT_TICKET_H */
