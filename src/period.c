/*
 * period.c - calendar periods and time zones (see period.h).
 */
#include "period.h"

#include "utils/builtins.h"
#include "utils/datetime.h"
#include "utils/timestamp.h"

const char *const hb_period_names[] = {NULL, "day", "week", "month", "quarter", "year"};

int
hb_period_parse(text *t)
{
	char	   *s = text_to_cstring(t);
	int			g;

	for (g = PERIOD_DAY; g <= PERIOD_YEAR; g++)
		if (pg_strcasecmp(s, hb_period_names[g]) == 0)
			return g;
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("unknown retention granularity \"%s\"", s),
			 errhint("Use one of day, week, month, quarter, year.")));
	return PERIOD_NONE;
}

int32
hb_period_of_day(int g, int32 d)
{
	int			y,
				m,
				dd;

	switch (g)
	{
		case PERIOD_DAY:
			return d;
		case PERIOD_WEEK:
			return (int32) period_floor_div((int64) d - 2, 7);	/* 2000-01-03 was a Monday */
		default:
			j2date(d + POSTGRES_EPOCH_JDATE, &y, &m, &dd);
			if (g == PERIOD_MONTH)
				return y * 12 + (m - 1);
			if (g == PERIOD_QUARTER)
				return y * 4 + (m - 1) / 3;
			return y;
	}
}

DateADT
hb_period_start(int g, int32 p)
{
	switch (g)
	{
		case PERIOD_DAY:
			return p;
		case PERIOD_WEEK:
			return 7 * p + 2;
		case PERIOD_MONTH:
			return date2j((int) period_floor_div(p, 12), (int) (p - 12 * period_floor_div(p, 12)) + 1, 1) - POSTGRES_EPOCH_JDATE;
		case PERIOD_QUARTER:
			return date2j((int) period_floor_div(p, 4), 3 * (int) (p - 4 * period_floor_div(p, 4)) + 1, 1) - POSTGRES_EPOCH_JDATE;
		default:
			return date2j(p, 1, 1) - POSTGRES_EPOCH_JDATE;
	}
}

int32
hb_period_local_day_miss(PeriodTzCache *c, pg_tz *tz, TimestampTz ts)
{
	int64		secs = period_unix_seconds(ts);
	int			k;
	pg_time_t	t = (pg_time_t) secs,
				boundary;
	long		before,
				after;
	int			bdst,
				adst,
				res;

	if (c->tz != tz)
	{
		c->tz = tz;
		c->n = 0;
	}
	res = pg_next_dst_boundary(&t, &before, &bdst, &boundary, &after, &adst, tz);
	if (res < 0)
	{
		/* no rule information: convert this one the slow way */
		struct pg_tm tm;
		fsec_t		fsec;
		int			tzoff;

		if (timestamp2tm(ts, &tzoff, &tm, &fsec, NULL, tz) != 0)
			ereport(ERROR,
					(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
					 errmsg("timestamp out of range")));
		return date2j(tm.tm_year, tm.tm_mon, tm.tm_mday) - POSTGRES_EPOCH_JDATE;
	}
	/* the offset `before` holds from secs up to the boundary (or forever) */
	for (k = 0; k < c->n; k++)
		if (res == 1 && c->r[k].hi == (int64) boundary)
			break;
	if (k == c->n)
	{
		if (c->n == PERIOD_TZ_CACHE)
			k = (int) (secs & (PERIOD_TZ_CACHE - 1));	/* replace one */
		else
			c->n++;
		c->r[k].hi = res == 1 ? (int64) boundary : PG_INT64_MAX;
		c->r[k].lo = secs;
	}
	c->r[k].lo = Min(c->r[k].lo, secs);
	c->r[k].gmtoff = before;
	return (int32) period_floor_div(ts + (int64) before * USECS_PER_SEC, USECS_PER_DAY);
}
