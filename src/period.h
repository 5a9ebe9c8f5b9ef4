/*
 * period.h - calendar periods and time zones: days, weeks, months, quarters
 * and years numbered as date_trunc cuts them, and the local day of a
 * timestamptz in a time zone.
 *
 * A day is a number of days since 2000-01-01 (a DateADT).  A period is
 * numbered from that day's calendar: the day itself; weeks since the Monday
 * 2000-01-03; year * 12 + month - 1; year * 4 + quarter - 1; the year.
 * Summaries store these numbers: they never change.
 */
#ifndef HEARTBEAT_PERIOD_H
#define HEARTBEAT_PERIOD_H

#include "heartbeat.h"

#include "datatype/timestamp.h"
#include "pgtime.h"
#include "utils/date.h"

/* Granularities, as stored in summaries (PERIOD_NONE: none yet). */
enum
{
	PERIOD_NONE = 0, PERIOD_DAY, PERIOD_WEEK, PERIOD_MONTH, PERIOD_QUARTER, PERIOD_YEAR
};

/* Their names, indexed by PERIOD_* (NULL for PERIOD_NONE). */
extern const char *const hb_period_names[];

/* a / b rounded down, for b > 0. */
static inline int64
period_floor_div(int64 a, int64 b)
{
	return a >= 0 ? a / b : -((-a + b - 1) / b);
}

/* The granularity a text argument names (any case); ERROR when none. */
extern int	hb_period_parse(text *t);

/* Period number of a day in granularity g. */
extern int32 hb_period_of_day(int g, int32 day);

/* First day of period p of granularity g. */
extern DateADT hb_period_start(int g, int32 p);

/*
 * The local day of timestamptz values in a time zone.  The UTC offset is
 * constant between daylight-saving boundaries: a few ranges found with
 * pg_next_dst_boundary are cached, sparing a time zone conversion per value.
 * Zero a PeriodTzCache before its first use.
 */
#define PERIOD_TZ_CACHE 16

typedef struct PeriodTzRange
{
	int64		lo;				/* seconds since 1970, inclusive */
	int64		hi;				/* exclusive */
	long		gmtoff;
} PeriodTzRange;

typedef struct PeriodTzCache
{
	pg_tz	   *tz;
	int			n;
	PeriodTzRange r[PERIOD_TZ_CACHE];
} PeriodTzCache;

/* Seconds since 1970 of a timestamptz, rounded down. */
static inline int64
period_unix_seconds(TimestampTz ts)
{
	return period_floor_div(ts, USECS_PER_SEC) + (int64) (POSTGRES_EPOCH_JDATE - UNIX_EPOCH_JDATE) * SECS_PER_DAY;
}

/* hb_period_local_day() when no cached range holds ts. */
extern int32 hb_period_local_day_miss(PeriodTzCache *c, pg_tz *tz, TimestampTz ts);

/* Inline: it runs per row. */
static inline int32
hb_period_local_day(PeriodTzCache *c, pg_tz *tz, TimestampTz ts)
{
	int64		secs = period_unix_seconds(ts);

	if (c->tz == tz)
		for (int k = 0; k < c->n; k++)
			if (secs >= c->r[k].lo && secs < c->r[k].hi)
				return (int32) period_floor_div(ts + (int64) c->r[k].gmtoff * USECS_PER_SEC, USECS_PER_DAY);
	return hb_period_local_day_miss(c, tz, ts);
}

#endif							/* HEARTBEAT_PERIOD_H */
