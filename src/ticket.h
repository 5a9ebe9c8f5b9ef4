/*
 * ticket.h - what the files of the average-ticket family share (not used
 * by other families): the flat summary, the expanded state and the parts
 * each file provides.
 *
 *   ticket.c            the state, its flat form, transitions, text and
 *                       binary I/O
 *   ticket_exact.c      the exact values: int128 with a numeric fallback
 *   ticket_accessors.c  what SQL reads from a summary: mean, percentiles, ...
 */
#ifndef HEARTBEAT_TICKET_H
#define HEARTBEAT_TICKET_H

#include "heartbeat.h"
#include "sketch.h"

#define TYPNAME "ticket_summary"

#define TICKET_MEAN_ONLY	0x0001	/* only deals and sum are kept */
#define TICKET_BIG			0x0002	/* exact values stored as numerics */
#define TICKET_SKETCH_ONLY	0x0004	/* only deals and the sketch are kept */
#define TICKET_PARTS		(TICKET_MEAN_ONLY | TICKET_SKETCH_ONLY)
#define TICKET_HAS_SKETCH(flags)	(((flags) & TICKET_MEAN_ONLY) == 0)

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
	/* then the exact values, then (unless mean-only) the sketch */
} TicketFlat;

#define TICKET_FLAT_FIXED	sizeof(TicketFlat)

typedef struct TicketState
{
	ExpandedObjectHeader hdr;
	uint16		flags;			/* TICKET_PARTS bits; BIG is `big` */
	bool		big;
	int64		deals;
	int64		at_scale;
	int32		scale;
	int128		x[NEXACT];		/* scaled by 10^scale (sumsq: 10^(2 scale)) */
	Numeric		nx[NEXACT];		/* when big */
	Sketch		sketch;
	/* flatten cache */
	Size		flat_size;
	bool		flat_big;
	int128		flat_x[NEXACT];
} TicketState;

/* A flat summary checked and located for reading. */
typedef struct TicketRead
{
	const TicketFlat *f;
	int128		x[NEXACT];
	Numeric		nx[NEXACT];
	const char *sk;
	const char *end;
} TicketRead;

/* How many exact values a summary keeps: a prefix of sum, sumsq, min, max. */
static inline int
ticket_nexact(uint16 flags)
{
	return (flags & TICKET_MEAN_ONLY) ? 1 : (flags & TICKET_SKETCH_ONLY) ? 0 : NEXACT;
}

/* The power of ten exact value k is scaled by. */
static inline int
ticket_exact_scale(int scale, int k)
{
	return k == X_SUMSQ ? 2 * scale : scale;
}

/* ticket.c */
extern void ticket_read(FunctionCallInfo fcinfo, int argno, TicketRead *r);
extern Numeric ticket_read_numeric(const TicketRead *r, int k);

/* ticket_exact.c */
extern void ticket_set_numeric(TicketState *t, int k, Numeric v);
extern void ticket_go_big(TicketState *t);
extern void ticket_rescale(TicketState *t, int s);
extern void ticket_merge_exact(TicketState *t, const TicketFlat *f, const int128 *x,
							   const Numeric *nx);
extern void ticket_add_numeric(TicketState *t, Datum amount);
pg_noreturn extern void ticket_amount_out_of_range(void);
extern void ticket_flat_plan(TicketState *t);

#endif							/* HEARTBEAT_TICKET_H */
