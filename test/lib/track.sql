-- What tracked_days() must give, computed apart: fresh(), and text_diff()
-- and eq_diff(), the rows that differ (test/track.sql, test/track.sh).
-- A fresh aggregation of a deals table per (day, segment), in plain SQL:
-- what tracked_days() must give.  Times are cast to timestamptz as pulse()
-- casts them, in the session's TimeZone: the callers set it to the zone.
CREATE FUNCTION fresh(tbl regclass, as_of timestamptz, g text, zone text, per text DEFAULT 'day') RETURNS TABLE (day date, segment text, opened bigint,
        opened_cycle heartbeat.cycle_summary, closed bigint, won bigint, conversion heartbeat.conversion_summary,
        ticket heartbeat.ticket_summary, cycle heartbeat.cycle_summary, retention heartbeat.retention_summary)
    LANGUAGE plpgsql STABLE AS $$
BEGIN
  RETURN QUERY EXECUTE format($q$
  WITH d AS (SELECT opened_at::timestamptz AS o, closed_at::timestamptz AS c, won, amount, customer_id, rep::text AS rep FROM %s),
       op AS (SELECT date_trunc($4, o AT TIME ZONE $3)::date AS day, rep AS segment, count(*) AS n, heartbeat.cycle_agg(o, c, $1) AS cy
                FROM d WHERE o <= $1 GROUP BY 1, 2),
       cl AS (SELECT date_trunc($4, c AT TIME ZONE $3)::date AS day, rep AS segment, count(*) AS n,
                     count(*) FILTER (WHERE won) AS w, heartbeat.conversion_agg(won) AS cs,
                     heartbeat.ticket_agg(amount) FILTER (WHERE won) AS t, heartbeat.cycle_agg(o, c) AS cy,
                     heartbeat.retention_agg($2, customer_id, c, $3) FILTER (WHERE won) AS r
                FROM d WHERE c <= $1 GROUP BY 1, 2)
  SELECT coalesce(op.day, cl.day), coalesce(op.segment, cl.segment), coalesce(op.n, 0), op.cy,
         coalesce(cl.n, 0), coalesce(cl.w, 0), cl.cs, cl.t, cl.cy, cl.r
    FROM op FULL JOIN cl ON op.day = cl.day AND op.segment IS NOT DISTINCT FROM cl.segment$q$, tbl)
  USING as_of, g, zone, per;
END $$;

-- Rows of tracked_days() and of fresh() that the other lacks, compared as text.
CREATE FUNCTION text_diff(as_of timestamptz, g text DEFAULT 'month', zone text DEFAULT 'UTC', tbl regclass DEFAULT 'deals')
    RETURNS bigint LANGUAGE sql STABLE AS $$
  SELECT count(*) FROM (
    (SELECT t::text FROM heartbeat.tracked_days(tbl, as_of, g) t EXCEPT ALL SELECT f::text FROM fresh(tbl, as_of, g, zone) f)
    UNION ALL
    (SELECT f::text FROM fresh(tbl, as_of, g, zone) f EXCEPT ALL SELECT t::text FROM heartbeat.tracked_days(tbl, as_of, g) t)) x
$$;
-- The same with the summaries' = operator: keys missing on either side, or any figure not equal.
CREATE FUNCTION eq_diff(as_of timestamptz, g text DEFAULT 'month', zone text DEFAULT 'UTC', tbl regclass DEFAULT 'deals')
    RETURNS bigint LANGUAGE sql STABLE AS $$
  SELECT count(*) FROM heartbeat.tracked_days(tbl, as_of, g) t
    FULL JOIN fresh(tbl, as_of, g, zone) f ON t.day = f.day AND t.segment IS NOT DISTINCT FROM f.segment
   WHERE t.day IS NULL OR f.day IS NULL OR t.opened <> f.opened OR t.closed <> f.closed OR t.won <> f.won
      OR t.opened_cycle IS DISTINCT FROM f.opened_cycle OR t.conversion IS DISTINCT FROM f.conversion
      OR t.ticket IS DISTINCT FROM f.ticket OR t.cycle IS DISTINCT FROM f.cycle OR t.retention IS DISTINCT FROM f.retention
$$;
-- Rows of tracked_periods() and of fresh() by period that the other lacks, compared as text.
CREATE FUNCTION period_diff(as_of timestamptz, g text DEFAULT 'month', zone text DEFAULT 'UTC', tbl regclass DEFAULT 'deals')
    RETURNS bigint LANGUAGE sql STABLE AS $$
  SELECT count(*) FROM (
    (SELECT t::text FROM heartbeat.tracked_periods(tbl, g, as_of) t EXCEPT ALL SELECT f::text FROM fresh(tbl, as_of, g, zone, g) f)
    UNION ALL
    (SELECT f::text FROM fresh(tbl, as_of, g, zone, g) f EXCEPT ALL SELECT t::text FROM heartbeat.tracked_periods(tbl, g, as_of) t)) x
$$;
