-- pgTAP: day summaries.  Summaries of whole-day durations (dates, or
-- timestamps whose differences are whole days) are exact: every figure
-- equals an exact Kaplan-Meier computed in plain SQL (test/lib/km.psql,
-- fractions of numerics) and percentile_disc, in whole days, with 0
-- differences; their bytes depend only on the multiset of rows; they merge
-- with sketch summaries as their rows would; the bound of 16,384 distinct
-- days turns them into sketch summaries; damaged ones are refused.
\ir lib/begin.psql
\ir lib/recv.psql
SET LOCAL TimeZone = 'UTC';
SELECT plan(39);

-- 6,000 deals on dates: same-day and next-day closes, exact ties (7, 14,
-- 30, 60, 90 days), a Pareto tail (up to thousands of days), log-normal
-- otherwise; 3% never closed, 1% dirty (closed before opened).
SELECT setseed(0.42);
CREATE TEMP TABLE dd AS
SELECT i, i % 7 AS rep, o,
       CASE WHEN u < 0.03 THEN NULL WHEN u < 0.04 THEN o - 3 ELSE o + dur END AS c
  FROM (SELECT i, u, date '2024-01-01' + floor(u2 * 700)::int AS o,
               CASE WHEN k < 0.08 THEN floor(u3 * 2)::int
                    WHEN k < 0.18 THEN (ARRAY[7, 14, 30, 60, 90])[1 + floor(u3 * 5)::int]
                    WHEN k < 0.28 THEN floor(20 / power(1 - u3, 1.2))::int
                    ELSE floor(exp(ln(25) + 0.9 * sqrt(-2 * ln(1 - u3)) * cos(2 * pi() * u4)))::int END AS dur
          FROM (SELECT i, random() AS k, random() AS u, random() AS u2, random() AS u3, random() AS u4
                  FROM generate_series(1, 6000) i) g) x;
-- As of 2025-12-01: deals closed later are open (censored at their age).
CREATE TEMP TABLE obs AS
SELECT CASE WHEN c <= date '2025-12-01' THEN c - o ELSE date '2025-12-01' - o END::bigint AS t,
       c <= date '2025-12-01' AS closed
  FROM dd WHERE o <= date '2025-12-01' AND NOT coalesce(c < o, false);
UPDATE obs SET closed = false WHERE closed IS NULL;
\ir lib/km.psql
CREATE TEMP TABLE s AS
SELECT cycle_agg(o, c, date '2025-12-01') AS s, cycle_agg(o, c) AS s_all FROM dd;
CREATE FUNCTION pg_temp.whole_days(i interval) RETURNS boolean LANGUAGE sql AS
$$ SELECT extract(month FROM i) = 0 AND extract(hour FROM i) = 0 AND extract(minute FROM i) = 0 AND extract(second FROM i) = 0 $$;

SELECT ok((SELECT s::text ~ '"days":' AND s_all::text ~ '"days":' FROM s), 'summaries of dates are day summaries');
SELECT is((SELECT array[closed_deals(s), open_deals(s), skipped(s)] FROM s),
          (SELECT array[count(*) FILTER (WHERE closed), count(*) FILTER (WHERE NOT closed),
                        (SELECT count(*) FROM dd WHERE c < o AND o <= date '2025-12-01')] FROM obs),
          'closed, open and skipped deals as of the date');
SELECT cmp_ok((SELECT max(c - o) FROM dd), '>', 2000, 'the data has a heavy tail');
SELECT cmp_ok((SELECT count(*) FROM (SELECT count(*) OVER (PARTITION BY t, closed) AS m FROM obs) q WHERE m > 1), '>', 5000::bigint,
              'and ties: most durations are shared with other deals');

-- Percentiles of closed deals: percentile_disc at every p = k/1000.
CREATE TEMP TABLE grid AS SELECT k, k / 1000.0 AS p FROM generate_series(0, 1000) k;
CREATE TEMP TABLE disc AS
SELECT g.k, r.d
  FROM (SELECT percentile_disc((SELECT array_agg(p ORDER BY k) FROM grid)) WITHIN GROUP (ORDER BY c - o) AS a
          FROM dd WHERE c >= o) q,
       unnest(q.a) WITH ORDINALITY r(d, n) JOIN grid g ON g.k = r.n - 1;
SELECT is((SELECT count(*) FROM grid g JOIN disc USING (k), s
            WHERE percentile(s_all, g.p) IS DISTINCT FROM make_interval(days => disc.d)), 0::bigint,
          'percentile at p = 0, 0.001, ..., 1 equals percentile_disc of closed - opened (heavy tail, no as_of): 0 differences');
SELECT is((SELECT count(*) FROM grid g, s WHERE NOT pg_temp.whole_days(percentile(s_all, g.p))), 0::bigint,
          'and every one is whole days');
SELECT is((SELECT count(*) FROM grid g, s,
                  LATERAL (SELECT percentile_disc(g.p) WITHIN GROUP (ORDER BY t) AS d FROM obs WHERE closed) r
            WHERE percentile(s, g.p) IS DISTINCT FROM make_interval(days => r.d::int)), 0::bigint,
          'percentile as of the date equals percentile_disc of the deals closed by then: 0 differences');
SELECT is((SELECT median(s_all) FROM s), (SELECT make_interval(days => percentile_disc(0.5) WITHIN GROUP (ORDER BY c - o)) FROM dd WHERE c >= o),
          'median is percentile_disc(0.5)');
SELECT is((SELECT median_cycle(o, c)::text FROM dd), (SELECT (percentile_disc(0.5) WITHIN GROUP (ORDER BY c - o) || ' days') FROM dd WHERE c >= o),
          'median_cycle over dates gives percentile_disc(0.5) as whole days');
SELECT is((SELECT mean(s_all) FROM s), (SELECT avg((c - o) * interval '1 day') FROM dd WHERE c >= o),
          'mean is avg(closed - opened), as before');

-- Kaplan-Meier: survival percentiles at every p = k/1000 against the exact
-- curve (the first day S <= 1 - p, NULL if never).
SELECT is((SELECT count(*) FROM grid g, s
            WHERE g.k > 0 AND survival_percentile(s, g.p) IS DISTINCT FROM
                  (SELECT make_interval(days => min(t)::int) FROM km_exact WHERE kmax >= g.k)), 0::bigint,
          'survival_percentile at p = 0.001, ..., 1 equals the exact Kaplan-Meier percentile: 0 differences');
SELECT is((SELECT count(*) FROM grid g, s WHERE NOT pg_temp.whole_days(survival_percentile(s, g.p))), 0::bigint,
          'and every one is whole days');
SELECT cmp_ok((SELECT count(DISTINCT survival_percentile(s, g.p)) FROM grid g, s), '>', 100::bigint,
              'the grid sees over a hundred different survival percentiles');
SELECT ok((SELECT count(*) FROM grid g, s WHERE survival_percentile(s, g.p) IS NULL) > 0,
          'the curve does not reach 1: the highest percentiles are NULL');
SELECT is((SELECT survival_median(s) FROM s), (SELECT make_interval(days => min(t)::int) FROM km_exact WHERE kmax >= 500),
          'survival_median is the first day with S <= 0.5');
SELECT is((SELECT survival_percentile(s_all, 0.9) FROM s), (SELECT make_interval(days => percentile_disc(0.9) WITHIN GROUP (ORDER BY c - o)) FROM dd WHERE c >= o),
          'without open deals, survival percentiles are percentile_disc');

-- Close probabilities at every day over the range, and just before and
-- after each day: 1 - S(h), the deals closed on day h included.
CREATE TEMP TABLE horizon AS SELECT h FROM generate_series(-1, (SELECT max(t) + 2 FROM obs)::int) h;
CREATE TEMP TABLE cp AS
SELECT h, close_probability(s, make_interval(days => h)) AS p,
       close_probability(s, make_interval(days => h) - interval '1 microsecond') AS p_before,
       close_probability(s, make_interval(days => h) + interval '23:59:59.999999') AS p_end,
       coalesce((SELECT f FROM km_exact WHERE t <= h ORDER BY t DESC LIMIT 1), 0) AS exact
  FROM horizon, s;
SELECT is((SELECT count(*) FROM cp WHERE abs(p - exact) > 1e-12), 0::bigint,
          'close_probability at every day from -1 to the longest age equals 1 - S(h) of the exact curve (within 1e-12)');
SELECT is((SELECT count(*) FROM cp a JOIN cp b ON b.h = a.h - 1 WHERE a.p_before <> b.p OR a.p_end <> a.p), 0::bigint,
          'a microsecond before day h is day h - 1; the end of day h is day h');
SELECT ok((SELECT p > 0 AND abs(p - (SELECT count(*) FROM obs WHERE closed AND t <= 1)::float8 / (SELECT count(*) FROM obs)) < 1e-12 FROM cp WHERE h = 1),
          'close_probability(s, ''1 day'') counts the deals closed on day 1');
SELECT is((SELECT array[close_probability(s, '1 mon'), close_probability(s, '1 year'), close_probability(s, '1 year 1 mon'),
                        close_probability(s, '-1 year')] FROM s),
          (SELECT array[close_probability(s, '30 days'), close_probability(s, '365 days 6 hours'), close_probability(s, '395 days 6 hours'),
                        close_probability(s, '-365 days -6 hours')] FROM s),
          'horizons: a month is 30 days, a year 365.25 days (as extract(epoch from interval))');
SELECT ok((SELECT abs(close_probability(s, '1 year') - (SELECT exact FROM cp WHERE h = 365)) < 1e-12
              AND close_probability(s, '1 year') > (SELECT exact FROM cp WHERE h = 364) FROM s),
          'so ''1 year'' counts the deals closed by day 365');

-- The same rows as timestamps at midnight: the same (day) summary.
SELECT ok((SELECT x *= y FROM (SELECT cycle_agg(o::timestamptz, c::timestamptz, timestamptz '2025-12-01') FROM dd) x, (SELECT s FROM s) y),
          'timestamps whose differences are whole days give the very same day summary');

-- Bytes depend only on the multiset of rows.
SELECT is((SELECT count(*) FROM generate_series(1, 3) n, s,
                  LATERAL (SELECT cycle_agg(o, c, date '2025-12-01' ORDER BY hashint4(i + 1000003 * n)) AS r FROM dd) q
            WHERE NOT (SELECT x *= y FROM (SELECT q.r) x, (SELECT s.s) y) OR q.r::text <> s.s::text), 0::bigint,
          'three shuffles of the rows: the same bytes and text');
SELECT ok((SELECT x *= y FROM (SELECT cycle_agg(o, c, date '2025-12-01' ORDER BY c DESC, o) FROM dd) x, (SELECT s FROM s) y),
          'rows in descending order: the same bytes');
CREATE TEMP TABLE parts AS
SELECT rep, date_trunc('month', o) AS m, cycle_agg(o, c, date '2025-12-01') AS s FROM dd GROUP BY 1, 2;
SELECT ok((SELECT x *= y FROM (SELECT rollup(s ORDER BY random()) FROM parts) x, (SELECT s FROM s) y),
          'rollup of per-rep monthly summaries, shuffled: the same bytes');
SELECT ok((SELECT x *= y FROM (SELECT rollup(r ORDER BY random()) FROM (SELECT rollup(s ORDER BY random()) r FROM parts GROUP BY rep) q) x, (SELECT s FROM s) y),
          'rollup of per-rep rollups: the same bytes');
CREATE TABLE ddp AS SELECT * FROM dd;
ANALYZE ddp;
SET LOCAL max_parallel_workers_per_gather = 0;
CREATE TEMP TABLE serial AS SELECT rep, cycle_agg(o, c, date '2025-12-01') s FROM ddp GROUP BY rep;
\ir lib/force_parallel.psql
\ir lib/plan_of.psql
SELECT matches(plan_of($$SELECT rep, cycle_agg(o, c, date '2025-12-01') FROM ddp GROUP BY rep$$), 'Partial .*Aggregate',
               'cycle_agg over dates runs as a parallel partial aggregate');
SELECT is((SELECT count(*) FROM serial a JOIN (SELECT rep, cycle_agg(o, c, date '2025-12-01') s FROM ddp GROUP BY rep) b USING (rep)
            WHERE NOT (SELECT x *= y FROM (SELECT a.s) x, (SELECT b.s) y)), 0::bigint,
          'per-rep day summaries byte-identical with and without parallel workers');
RESET max_parallel_workers_per_gather;

-- A day summary merged with a sketch summary: the sketch summary of all
-- their rows, whichever comes first.  Reps 4 to 6 opened an hour after
-- midnight (so their cycles are not whole days).
CREATE TEMP TABLE mixed AS
SELECT (SELECT cycle_agg(o, c, date '2025-12-01') FROM dd WHERE rep < 4) AS days,
       (SELECT cycle_agg(o + interval '1 hour', c::timestamptz, timestamptz '2025-12-01') FROM dd WHERE rep >= 4) AS sketch,
       (SELECT cycle_agg(CASE WHEN rep < 4 THEN o::timestamptz ELSE o + interval '1 hour' END, c::timestamptz, timestamptz '2025-12-01') FROM dd) AS direct;
SELECT ok((SELECT days::text ~ '"days":' AND sketch::text ~ '"sketches":' AND direct::text ~ '"sketches":' FROM mixed),
          'the parts: a day summary and a sketch summary');
SELECT ok((SELECT x *= y FROM (SELECT rollup(v ORDER BY k) FROM mixed, LATERAL (VALUES (1, days), (2, sketch)) u(k, v)) x, (SELECT direct FROM mixed) y),
          'day summary then sketch summary: the bytes of all rows aggregated at once');
SELECT ok((SELECT x *= y FROM (SELECT rollup(v ORDER BY k) FROM mixed, LATERAL (VALUES (2, days), (1, sketch)) u(k, v)) x, (SELECT direct FROM mixed) y),
          'sketch summary then day summary: the same');

-- At most 16,384 distinct days a histogram; beyond, a sketch summary, as a
-- function of the rows: splits whose union crosses the bound merge into the
-- same bytes as the whole.
CREATE TEMP TABLE wide AS SELECT date '1980-01-01' AS o, date '1980-01-01' + g AS c, g FROM generate_series(0, 16384) g;
SELECT ok((SELECT cycle_agg(o, c)::text ~ '"days":' FROM wide WHERE g < 16384), '16,384 distinct days: a day summary');
SELECT ok((SELECT cycle_agg(o, c)::text ~ '"sketches":' FROM wide), '16,385 distinct days: a sketch summary');
SELECT ok((SELECT cycle_agg(o - g, NULL::date, date '1980-01-01')::text ~ '"days":' FROM wide WHERE g < 16384)
          AND (SELECT cycle_agg(o - g, NULL::date, date '1980-01-01')::text ~ '"sketches":' FROM wide),
          'the bound holds for open ages too');
SELECT ok((SELECT x *= y FROM (SELECT rollup(s) FROM (SELECT cycle_agg(o, c) s FROM wide WHERE g <= 10000
                                                      UNION ALL SELECT cycle_agg(o, c) FROM wide WHERE g >= 8000) q) x,
                               (SELECT cycle_agg(o, c) FROM (SELECT * FROM wide WHERE g <= 10000 UNION ALL SELECT * FROM wide WHERE g >= 8000) w) y),
          'two day summaries whose union has 16,385 days merge into the sketch summary of all their rows');

-- Text and binary forms read back, byte for byte.
SELECT ok((SELECT x *= y FROM (SELECT s::text::cycle_summary FROM s) x, (SELECT s FROM s) y), 'the text form reads back');
SELECT is((SELECT pg_temp.recv('cycle_summary', cycle_summary_send(s)) FROM s), (SELECT s::text FROM s), 'the binary form reads back');

-- Damaged day histograms are refused.  A histogram is n, then (day or gap
-- - 1, count) varints: \x01 05 00 is one day, 5, with count 0; \x01 f8cff332
-- 01 is day 106751992, one past the longest interval; \x818001 claims
-- 16,385 days.
SELECT is((SELECT array_agg(pg_temp.try_sqlstate(format('SELECT %L::cycle_summary', t)) ORDER BY n)
             FROM (VALUES (1, '{"version":1,"closed":1,"open":0,"skipped":0,"sum_us":432000000000,"sum_days":5,"days":"' || translate(encode('\x01050000', 'base64'), E'\n', '') || '"}'),
                          (2, '{"version":1,"closed":1,"open":0,"skipped":0,"sum_us":9223372036854775807,"sum_days":106751991,"days":"' || translate(encode('\x01f8cff3320100', 'base64'), E'\n', '') || '"}'),
                          (3, '{"version":1,"closed":1,"open":0,"skipped":0,"sum_us":0,"sum_days":0,"days":"' || translate(encode('\x818001' || decode(repeat('0001', 16385), 'hex') || '\x00'::bytea, 'base64'), E'\n', '') || '"}'),
                          (4, '{"version":1,"closed":1,"open":0,"skipped":0,"sum_us":0,"sum_days":0,"days":"' || translate(encode('\x01000100', 'base64'), E'\n', '') || '"}'),
                          (5, '{"version":1,"closed":1,"open":0,"skipped":0,"sum_us":0,"sum_days":0,"days":null}')) v(n, t)),
          '{22P02,22P02,22P02,ok,22P02}'::text[],
          'a count of 0, a day past the longest interval, more than 16,384 days, a missing histogram: refused (a day 0 reads)');
SELECT is((SELECT array_agg(pg_temp.try_sqlstate(format('SELECT pg_temp.recv(%L, %L)', 'cycle_summary', b)) ORDER BY n)
             FROM s, LATERAL (VALUES (1, cycle_summary_send(s) || '\x00'::bytea),
                                     (2, set_byte(cycle_summary_send(s), 2, 3)),
                                     (3, set_byte(cycle_summary_send(s), 2, 0)),
                                     (4, substr(cycle_summary_send(s), 1, length(cycle_summary_send(s)) - 1)),
                                     (5, set_byte(cycle_summary_send(s), 52, get_byte(cycle_summary_send(s), 52) # 1))) v(n, b)),
          '{22P03,22P03,22P03,22P03,22P03}'::text[],
          'binary: a trailing byte, flags 3 (mean-only and days), the histograms read as sketches, one byte short, a count changed: refused');

SELECT * FROM finish();
ROLLBACK;
