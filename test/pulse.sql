-- pgTAP: pulse() against the families' own figures, and its guard rails.
\ir lib/begin.psql
SET LOCAL TimeZone = 'UTC';
SELECT plan(34);

SELECT setseed(0.4);
CREATE TABLE d AS
SELECT i, o, CASE WHEN random() < 0.9 THEN o + random() * interval '60 days' END AS c,
       (random() < 0.3) AS w, round((random() * 1000)::numeric, 2) AS a, (random() * 300)::int AS cu
  FROM generate_series(1, 5000) i, LATERAL (SELECT timestamptz '2025-01-01' + random() * interval '365 days' + i * interval '0 s' AS o) x;
UPDATE d SET w = NULL WHERE c IS NULL;
CREATE TEMP TABLE p AS SELECT * FROM pulse('d', 'month', 'o', 'c', 'w', 'a', 'cu', '2026-01-01');

SELECT is((SELECT count(*) FROM p JOIN (SELECT date_trunc('month', c)::date AS period, count(*) n, conversion_rate(w) r,
                                               avg(a) FILTER (WHERE w) t
                                          FROM d WHERE c <= '2026-01-01' GROUP BY 1) x USING (period)
            WHERE p.deals_closed <> x.n OR p.conversion_rate IS DISTINCT FROM x.r OR p.mean_ticket IS DISTINCT FROM round(x.t, 2)),
          0::bigint, 'closed, win rate and average ticket per closing month equal the plain aggregates');
SELECT is((SELECT count(*) FROM p JOIN (SELECT date_trunc('month', o)::date AS period, count(*) n FROM d GROUP BY 1) x USING (period)
            WHERE p.deals_opened <> x.n), 0::bigint, 'deals opened per opening month');
SELECT is((SELECT count(*) FROM p), (SELECT count(*) FROM generate_series(date '2025-01-01', (SELECT max(date_trunc('month', c)) FROM d WHERE c <= '2026-01-01'), '1 month'))::bigint,
          'one row per period, empty ones included');

-- Dates, integer amounts and text customers work as CRM exports have them.
CREATE TABLE e AS SELECT o::date AS opened, c::date AS closed, w AS is_won, (a * 100)::int AS cents, cu::text AS account FROM d;
SELECT is((SELECT count(*) FROM pulse('e', 'quarter', 'opened', 'closed', 'is_won', 'cents', 'account', '2026-01-01')) > 0, true,
          'date, integer and text columns are accepted');

-- The cycles in days: the intervals' days, and plain SQL's mean of closed - opened.
SELECT is((SELECT count(*) FROM p WHERE mean_cycle_days IS DISTINCT FROM (extract(epoch FROM mean_cycle) / 86400)::float8
                                     OR survival_cycle_days IS DISTINCT FROM (extract(epoch FROM survival_median_cycle) / 86400)::float8),
          0::bigint, 'mean_cycle_days and survival_cycle_days are the intervals in days');
SELECT is((SELECT count(*) FROM p JOIN (SELECT date_trunc('month', c)::date AS period, avg(extract(epoch FROM c - o)) / 86400 AS days
                                          FROM d WHERE c <= '2026-01-01' GROUP BY 1) x USING (period)
            WHERE abs(p.mean_cycle_days - x.days) > 1e-9), 0::bigint,
          'mean_cycle_days equals plain SQL''s mean of closed - opened in days');
SELECT cmp_ok((SELECT count(mean_cycle_days) FROM p), '>=', 12::bigint, 'and there are months to compare');

-- Segments: three teams, the deals without one (NULL) their own, and one
-- that starts late; every figure against plain SQL per team and month.
ALTER TABLE d ADD COLUMN team text;
UPDATE d SET team = CASE WHEN i % 7 = 0 AND o >= '2025-08-01' THEN 'late' ELSE (ARRAY['north', 'south', NULL])[1 + i % 3] END;
CREATE TEMP TABLE ps AS SELECT * FROM pulse('d', 'month', 'o', 'c', 'w', 'a', 'cu', '2026-01-01', segment => 'team');
CREATE TEMP TABLE plain_closed AS
SELECT team, date_trunc('month', c)::date AS period, count(*) AS n, count(*) FILTER (WHERE w) AS nw,
       count(*) FILTER (WHERE w)::float8 / nullif(count(w), 0) AS rate, round(avg(a) FILTER (WHERE w), 2) AS ticket,
       percentile_disc(0.5) WITHIN GROUP (ORDER BY a) FILTER (WHERE w) AS median, avg(extract(epoch FROM c - o)) / 86400 AS days
  FROM d WHERE c <= '2026-01-01' GROUP BY 1, 2;
SELECT is((SELECT count(*) FROM ps JOIN plain_closed x ON x.team IS NOT DISTINCT FROM ps.segment_value AND x.period = ps.period
            WHERE ps.deals_closed <> x.n OR ps.deals_won <> x.nw OR ps.conversion_rate IS DISTINCT FROM x.rate
               OR ps.mean_ticket IS DISTINCT FROM x.ticket OR ps.median_ticket IS DISTINCT FROM x.median
               OR abs(ps.mean_cycle_days - x.days) > 1e-9),
          0::bigint, 'per segment: closed, won, win rate, mean and median ticket (percentile_disc), mean cycle days equal plain SQL');
SELECT is((SELECT count(*) FROM ps JOIN plain_closed x ON x.team IS NOT DISTINCT FROM ps.segment_value AND x.period = ps.period),
          (SELECT count(*) FROM plain_closed), 'every team and month with closed deals is there, the NULL team too');
SELECT is((SELECT count(*) FROM ps JOIN (SELECT team, date_trunc('month', o)::date AS period, count(*) AS n FROM d
                                           WHERE o <= '2026-01-01' GROUP BY 1, 2) x
                                     ON x.team IS NOT DISTINCT FROM ps.segment_value AND x.period = ps.period
            WHERE ps.deals_opened <> x.n), 0::bigint, 'per segment: deals opened');
SELECT is((SELECT count(*) FROM ps),
          (SELECT sum((extract(year FROM age(hi, lo)) * 12 + extract(month FROM age(hi, lo)))::int + 1)
             FROM (SELECT team, min(m) AS lo, max(m) AS hi
                     FROM (SELECT team, date_trunc('month', o) AS m FROM d WHERE o <= '2026-01-01'
                           UNION ALL SELECT team, date_trunc('month', c) FROM d WHERE c <= '2026-01-01') x GROUP BY 1) y)::bigint,
          'one row per segment and month from its first to its last (late starts in August)');
SELECT is((SELECT count(*) FROM ps WHERE segment_value IS NULL),
          (SELECT count(DISTINCT m) FROM (SELECT date_trunc('month', o) AS m FROM d WHERE team IS NULL AND o <= '2026-01-01'
                                          UNION ALL SELECT date_trunc('month', c) FROM d WHERE team IS NULL AND c <= '2026-01-01') x),
          'the deals without a team are a series of their own, every month');
-- Retention per team: of the team's won customers of the month before, the
-- share that won again with the team this month.
CREATE TEMP TABLE buyers AS SELECT DISTINCT team, date_trunc('month', c)::date AS period, cu FROM d WHERE w AND c <= '2026-01-01';
SELECT is((SELECT count(*) FROM ps,
                  LATERAL (SELECT count(*) FILTER (WHERE EXISTS (SELECT FROM buyers y WHERE y.team IS NOT DISTINCT FROM b.team
                                                                    AND y.cu = b.cu AND y.period = ps.period))::float8
                                  / nullif(count(*), 0) AS rate
                             FROM buyers b WHERE b.team IS NOT DISTINCT FROM ps.segment_value
                              AND b.period = (ps.period - interval '1 month')::date) x
            WHERE ps.retention_rate IS DISTINCT FROM x.rate), 0::bigint,
          'per segment: retention rate equals plain SQL (retained / the month before''s customers)');
SELECT is((SELECT count(*) FROM ps p1 JOIN ps p2 ON p2.period = p1.period AND p2.segment_value IS NOT DISTINCT FROM p1.segment_value),
          (SELECT count(*) FROM ps), 'one row per period and segment');
-- Each team's z-score is its own series': conversion_zscore over the team's months.
SELECT is((SELECT count(*) FROM ps JOIN (SELECT team, period, conversion_zscore(coalesce(s, '{"version":1,"conversions":0,"trials":0}')) OVER (PARTITION BY team ORDER BY period) AS z
                                           FROM (SELECT ps.segment_value AS team, ps.period, x.s FROM ps
                                                   LEFT JOIN (SELECT team, date_trunc('month', c)::date AS period, conversion_agg(w) AS s
                                                                FROM d WHERE c <= '2026-01-01' GROUP BY 1, 2) x
                                                     ON x.team IS NOT DISTINCT FROM ps.segment_value AND x.period = ps.period) q) z
                                     ON z.team IS NOT DISTINCT FROM ps.segment_value AND z.period = ps.period
            WHERE ps.conversion_z IS DISTINCT FROM z.z), 0::bigint, 'per segment: conversion_z is conversion_zscore over the segment''s own months');

-- since / until: only those periods, every column the whole run's (the
-- z-score still looks back 12 periods, retention one).
SELECT bag_eq($$SELECT * FROM pulse('d', 'month', 'o', 'c', 'w', 'a', 'cu', '2026-01-01', segment => 'team', since => '2025-06-01', until => '2025-10-31')$$,
              $$SELECT * FROM ps WHERE period BETWEEN '2025-06-01' AND '2025-10-31'$$,
              'since/until by month with a segment: the whole run''s rows for those months');
SELECT is((SELECT count(*) FROM pulse('d', 'month', 'o', 'c', 'w', 'a', 'cu', '2026-01-01', segment => 'team', since => '2025-06-01', until => '2025-10-31')
            WHERE conversion_z IS NOT NULL AND retention_rate IS NOT NULL AND period = '2025-06-01'), 3::bigint,
          'and its first month has z-scores and retention (from the months before since)');
SELECT bag_eq($$SELECT * FROM pulse('d', 'month', 'o', 'c', 'w', 'a', 'cu', '2026-01-01', since => '2025-03-15')$$,
              $$SELECT * FROM p WHERE period >= '2025-04-01'$$,
              'since alone, mid-month: the months that start at or after it');
SELECT bag_eq($$SELECT * FROM pulse('d', 'month', 'o', 'c', 'w', 'a', 'cu', '2026-01-01', until => '2025-05-01')$$,
              $$SELECT * FROM p WHERE period <= '2025-05-01'$$, 'until alone');
CREATE TEMP TABLE pd AS SELECT * FROM pulse('d', 'day', 'o', 'c', 'w', 'a', 'cu', '2026-01-01', segment => 'team');
SELECT bag_eq($$SELECT * FROM pulse('d', 'day', 'o', 'c', 'w', 'a', 'cu', '2026-01-01', segment => 'team', since => '2025-09-10 08:00', until => '2025-10-05')$$,
              $$SELECT * FROM pd WHERE period BETWEEN '2025-09-11' AND '2025-10-05'$$,
              'since/until by day with a segment: the whole run''s rows for those days');
SELECT is((SELECT count(*) FROM pd WHERE period BETWEEN '2025-09-11' AND '2025-10-05' AND conversion_z IS NOT NULL) > 50, true,
          'with z-scores to compare');
-- since alone reads each segment's first period apart from the deals before
-- its scans (by week those end 12 weeks before since): the series' history,
-- which min_history reads, must be the whole run's.
CREATE TEMP TABLE pa AS SELECT * FROM pulse('d', 'week', 'o', 'c', 'w', 'a', 'cu', '2026-01-01', segment => 'team', alert_z => 0.5, min_history => 42);
SELECT bag_eq($$SELECT * FROM pulse('d', 'week', 'o', 'c', 'w', 'a', 'cu', '2026-01-01', segment => 'team', alert_z => 0.5, min_history => 42, since => '2025-10-01')$$,
              $$SELECT * FROM pa WHERE period >= '2025-10-01'$$,
              'since alone by week with a segment and min_history: the whole run''s rows from that week');
SELECT is((SELECT count(*) FROM pa WHERE period >= '2025-10-01' AND alert IS NOT NULL) > 0
          AND (SELECT min(period) FROM pa WHERE alert IS NOT NULL) > '2025-10-06', true,
          'with alerts to compare, the first after min_history''s 42 weeks');
SELECT is((SELECT count(*) FROM pulse('d', since => '2025-06-02', until => '2025-06-20', opened_at => 'o', closed_at => 'c', won => 'w', amount => 'a', customer_id => 'cu')),
          0::bigint, 'a range within one month returns no month (none starts in it)');

-- Guard rails of the new parameters, with their SQLSTATEs.
CREATE FUNCTION pg_temp.run_error(q text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE q;
    RETURN NULL;
EXCEPTION WHEN OTHERS THEN
    RETURN SQLSTATE;
END $$;
SELECT throws_ok($$SELECT * FROM pulse('d', 'month', 'o', 'c', 'w', 'a', 'cu', segment => 'squad')$$, '42703',
                 'column squad does not exist in d', 'an unknown segment column is an ERROR naming it (undefined_column)');
SELECT throws_ok($$SELECT * FROM pulse('d', 'month', 'o', 'c', 'w', 'a', 'cu', segment => 'a')$$, '42804',
                 'column a of d has type numeric, which pulse() cannot use as segment',
                 'a segment of an unsupported type is an ERROR naming the column and the parameter (datatype_mismatch)');
SELECT throws_like($$SELECT * FROM pulse('d', 'month', 'o', 'c', 'w', 'a', 'cu', since => '2025-06-01', until => '2025-05-01')$$,
                   'pulse since % is after until %', 'since after until is an ERROR naming both');
SELECT throws_ok($$SELECT * FROM pulse('d', 'month', 'o', 'c', 'w', 'a', 'cu', since => '2025-06-01', until => '2025-05-01')$$, '22023',
                 NULL, 'with SQLSTATE 22023 (invalid_parameter_value)');
SELECT is((SELECT array_agg(pg_temp.run_error(q)) FROM unnest(ARRAY[
              $$SELECT * FROM pulse('d', 'month', 'o', 'c', 'w', 'a', 'cu', alert_z => 'NaN')$$,
              $$SELECT * FROM pulse('d', 'month', 'o', 'c', 'w', 'a', 'cu', alert_z => -3)$$,
              $$SELECT * FROM pulse('d', 'month', 'o', 'c', 'w', 'a', 'cu', min_history => NULL)$$]) q),
          '{22023,22023,22023}'::text[], 'alert_z NaN or below 0 and a NULL min_history are ERRORs (22023)');

-- Guard rails: a missing column, a wrong type, an unknown granularity, a hostile name.
SELECT throws_like($$SELECT * FROM pulse('d', 'month', 'nope', 'c', 'w', 'a', 'cu')$$, '%column nope does not exist in d%',
                   'a missing column is an ERROR naming it');
SELECT throws_like($$SELECT * FROM pulse('d', 'month', 'o', 'c', 'a', 'a', 'cu')$$, '%column a of d has type numeric, which pulse() cannot use as won%',
                   'a column of the wrong type is an ERROR naming the parameter');
SELECT throws_like($$SELECT * FROM pulse('d', 'fortnight', 'o', 'c', 'w', 'a', 'cu')$$, '%unknown pulse granularity%', 'an unknown granularity is an ERROR');
ALTER TABLE d RENAME COLUMN w TO "won; DROP TABLE d";
SELECT is((SELECT count(*) FROM pulse('d', 'month', 'o', 'c', 'won; DROP TABLE d', 'a', 'cu', '2026-01-01')), (SELECT count(*) FROM p),
          'a column named "won; DROP TABLE d" is only a name');
SELECT has_table('d', 'and the table is still there');

SELECT * FROM finish();
ROLLBACK;
