/*
 * cycle.h - what the files of the sales-cycle family share (not used by
 * other families): the flat summary, the expanded state and the parts each
 * file provides.
 *
 *   cycle.c            the state, its flat form, transitions, text and
 *                      binary I/O
 *   cycle_days.c       the exact day histograms of a day summary
 *   cycle_accessors.c  what SQL reads from a summary: mean, counts,
 *                      percentiles, Kaplan-Meier, close probability
 *
 * A summary keeps the durations of its closed deals and the ages of its
 * open ones in one of two ways (see cycle.c for the rule):
 *  - a day summary (CYCLE_DAYS): every duration is a whole number of days,
 *    kept exactly as (day, count) histograms, so every figure is exact;
 *  - a sketch summary: two relative-error sketches (sketch.c).
 * avg_cycle's mean-only summaries (CYCLE_MEAN_ONLY) keep neither.
 */
#ifndef HEARTBEAT_CYCLE_H
#define HEARTBEAT_CYCLE_H

#include "heartbeat.h"
#include "sketch.h"

#include "datatype/timestamp.h"

#define TYPNAME "cycle_summary"

/*
 * Header flags (heartbeat.h's contract):
 *  - CYCLE_MEAN_ONLY, a `lacks` bit: no durations are kept, only counts
 *    and sums (avg_cycle);
 *  - CYCLE_DAYS, a `keeps` bit: the durations are kept exactly, as day
 *    histograms, instead of sketches.  A merge keeps them when both sides
 *    do (or one side is empty); a day summary merged with a sketch summary
 *    gives a sketch summary, its days added to the sketches as its rows
 *    would have been.  Never set with CYCLE_MEAN_ONLY, nor on an empty
 *    summary (no rows at all), which is written as a sketch summary
 *    without buckets: aggregates' INITCOND.
 */
#define CYCLE_MEAN_ONLY		0x0001
#define CYCLE_DAYS			0x0002

/*
 * A day histogram holds at most this many distinct days (about 45 years
 * of daily durations); a summary whose closed durations or open ages take
 * more is a sketch summary.
 */
#define CYCLE_DAYS_MAX		16384
/* The longest duration in whole days (an interval holds 2^63 - 1 us). */
#define CYCLE_MAX_DAY		((int32) (PG_INT64_MAX / USECS_PER_DAY))

typedef struct CycleFlat
{
	HbHeader	hdr;
	int64		closed;			/* deals closed (events) */
	int64		open;			/* deals open at as_of (censored) */
	int64		skipped;		/* bad rows, in no figure */
	int64		sum_days;		/* sum of whole days of each duration */
	char		sum[16];		/* int128 sum of closed durations, in us */
	/*
	 * then, unless mean-only, closed durations and open ages: two day
	 * histograms (CYCLE_DAYS) or two sketches
	 */
} CycleFlat;

/* A day histogram in memory: distinct days ascending, each with its count. */
typedef struct CycleDays
{
	int32		n;				/* distinct days */
	int32		cap;			/* allocated entries */
	int32		hint;			/* entry the last day added went to */
	int32	   *day;
	int64	   *count;
	MemoryContext cxt;
} CycleDays;

typedef struct CycleState
{
	ExpandedObjectHeader hdr;
	uint16		flags;			/* CYCLE_MEAN_ONLY, or CYCLE_DAYS while exact */
	int64		closed;
	int64		open;
	int64		skipped;
	int64		sum_days;		/* see mean(): how avg(interval) would see it */
	int128		sum;
	CycleDays	done_days;		/* CYCLE_DAYS: closed durations */
	CycleDays	censored_days;	/* CYCLE_DAYS: ages of open deals */
	Sketch		done;			/* else: closed durations */
	Sketch		censored;		/* else: ages of open deals */
	Size		flat_size;
} CycleState;

/* A flat day histogram decoded and checked. */
typedef struct CycleDaysList
{
	int32		n;
	int32	   *day;
	int64	   *count;
	int64		total;			/* sum of counts */
	int128		weighted;		/* sum of day * count */
} CycleDaysList;

/* A flat summary checked and located for reading. */
typedef struct CycleRead
{
	const CycleFlat *f;
	int128		sum;
	const char *payload;		/* the histograms or sketches */
	const char *end;
} CycleRead;

/* cycle.c */
extern void cycle_read(FunctionCallInfo fcinfo, int argno, CycleRead *r);

/* cycle_days.c */
extern void cycle_days_init(CycleDays *h, MemoryContext cxt);
extern bool cycle_days_add(CycleDays *h, int32 day, int64 n);
extern bool cycle_days_merge(CycleDays *h, const CycleDaysList *l);
extern void cycle_days_fold(CycleDays *h, Sketch *s);
extern void cycle_days_fold_list(const CycleDaysList *l, Sketch *s);
extern Size cycle_days_flat_size(const CycleDays *h);
extern char *cycle_days_flatten(const CycleDays *h, char *p);
extern void cycle_days_lists(const CycleFlat *f, int128 sum, const char *p, const char *end,
							 CycleDaysList *done, CycleDaysList *censored);
extern void cycle_days_view(SketchView *v, const CycleDaysList *l);

#endif							/* HEARTBEAT_CYCLE_H */
