-- pgTAP: the README's bound for sketch summaries (timestamps whose cycles
-- are not whole days), checked on dense grids against an exact Kaplan-Meier
-- in plain SQL (test/lib/km.psql) over heavy-tailed, censored data with
-- ties.  With F the exact share of deals closed by a time (1 - S):
--   survival_percentile(s, p) = t:  F(t * 1.004 + 0.5 s) >= p - 0.001 and
--                                   F(t / 1.004 - 0.5 s) <= p + 0.001
--     (time within 0.4% relative, probability within 0.001; t is rounded
--     to the second), for p = 0.001, 0.002, ..., 1; NULL only where F never
--     reaches p + 0.001;
--   close_probability(s, h) within [F(h / 1.008) - 0.001, F(h * 1.008) + 0.001]
--     (time within 0.8%: a horizon's whole bucket counts, so that a deal
--     closed at exactly h is in), at every hour h over the range.
\ir lib/begin.psql
SET LOCAL TimeZone = 'UTC';
SELECT plan(8);

-- 4,000 deals opened at random moments: 25% whole hours (log-normal, ties),
-- 10% exactly 7, 14, 30, 60 or 90 days, 5% a Pareto tail, the rest
-- log-normal days; 4% never closed; as of 2026-09-01 the later ones are open.
SELECT setseed(0.31);
CREATE TEMP TABLE d AS
SELECT i, o, CASE WHEN u_null < 0.04 THEN NULL ELSE o + dur END AS c
  FROM (SELECT i, timestamptz '2025-01-01' + u_o * interval '600 days' AS o, u_null,
               CASE WHEN k < 0.25 THEN round(exp(ln(24 * 15) + 1.1 * z)) * interval '1 hour'
                    WHEN k < 0.35 THEN (ARRAY[7, 14, 30, 60, 90])[1 + floor(u_tie * 5)::int] * interval '1 day'
                    WHEN k < 0.40 THEN exp(ln(40) + 0.5 * z) / power(1 - u_tail, 0.9) * interval '1 day'
                    ELSE exp(ln(20) + 1.0 * z) * interval '1 day' END AS dur
          FROM (SELECT i, random() AS k, random() AS u_o, random() AS u_null, random() AS u_tie, random() AS u_tail,
                       sqrt(-2 * ln(1 - random())) * cos(2 * pi() * random()) AS z
                  FROM generate_series(1, 4000) i) g) x;
CREATE TEMP TABLE obs AS
SELECT (extract(epoch FROM least(coalesce(c, 'infinity'), timestamptz '2026-09-01') - o) * 1000000)::bigint AS t,
       coalesce(c <= timestamptz '2026-09-01', false) AS closed
  FROM d WHERE o <= timestamptz '2026-09-01';
\ir lib/km.psql
CREATE TEMP TABLE s AS SELECT cycle_agg(o, c, timestamptz '2026-09-01') AS s FROM d;
-- F(x), x in microseconds: the exact share closed by x.
CREATE FUNCTION pg_temp.f(x float8) RETURNS float8 LANGUAGE sql STABLE AS
$$ SELECT coalesce((SELECT f FROM km_exact WHERE t <= x ORDER BY t DESC LIMIT 1), 0) $$;

SELECT ok((SELECT s::text ~ '"sketches":' FROM s), 'cycles at random moments make a sketch summary');
SELECT cmp_ok((SELECT count(*) - count(DISTINCT t) FROM obs), '>', 500::bigint, 'the data has ties');
SELECT ok((SELECT count(*) FILTER (WHERE NOT closed) > 100 AND max(t) > 365 * 86400e6 FROM obs),
          'censored deals, and cycles over a year');

CREATE TEMP TABLE pc AS
SELECT k, k / 1000.0 AS p, extract(epoch FROM survival_percentile(s, k / 1000.0)) * 1e6 AS t FROM s, generate_series(1, 1000) k;
SELECT is((SELECT count(*) FROM pc WHERE t IS NOT NULL
             AND NOT (pg_temp.f(t * 1.004 + 5e5) >= p - 0.001 AND pg_temp.f(t / 1.004 - 5e5) <= p + 0.001)), 0::bigint,
          'survival_percentile at p = 0.001, ..., 1: time within 0.4%, probability within 0.001 of the exact curve');
SELECT is((SELECT count(*) FROM pc WHERE t IS NULL AND (SELECT max(f) FROM km_exact) >= p + 0.001), 0::bigint,
          'NULL only where the exact curve never reaches p + 0.001');

CREATE TEMP TABLE cp AS
SELECT h, close_probability(s, h * interval '1 hour') AS prob FROM s, generate_series(0, (SELECT max(t) / 3600000000 + 2 FROM obs)::int) h;
SELECT is((SELECT count(*) FROM cp
            WHERE NOT prob BETWEEN pg_temp.f(h * 3.6e9 / 1.008) - 0.001 AND pg_temp.f(h * 3.6e9 * 1.008) + 0.001), 0::bigint,
          format('close_probability at every hour from 0 to %s: time within 0.8%%, probability within 0.001 of the exact curve',
                 (SELECT max(h) FROM cp)));

-- A deal closed at exactly the horizon counts, wherever it lies in its
-- bucket: a one-deal summary of every cycle of the data, and of cycles at
-- bucket bounds (2^k microseconds and one less), is closed by its own cycle.
SELECT is((SELECT count(*) FROM d WHERE c >= o AND close_probability(cycle_trans(NULL, o, c, c), c - o) IS DISTINCT FROM 1), 0::bigint,
          'close_probability(one deal, its cycle) = 1 for every closed deal');
SELECT is((SELECT count(*) FROM generate_series(10, 50) k, unnest(ARRAY[0, -1]) e,
                  LATERAL (SELECT (2::numeric ^ k + e) * interval '1 microsecond' AS x) q
            WHERE close_probability(cycle_trans(NULL, timestamptz '2026-01-01', timestamptz '2026-01-01' + x, timestamptz '2026-01-01' + x), x) IS DISTINCT FROM 1), 0::bigint,
          'and for cycles of 2^k and 2^k - 1 microseconds, k = 10 .. 50');

SELECT * FROM finish();
ROLLBACK;
