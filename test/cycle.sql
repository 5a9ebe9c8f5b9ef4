-- pgTAP: the cycle family against plain SQL and an exact Kaplan-Meier.
\ir lib/begin.psql
SET LOCAL TimeZone = 'UTC';
SELECT plan(22);

SELECT setseed(0.31);
CREATE TEMP TABLE d AS
SELECT i, (i % 6) AS rep, o,
       CASE WHEN random() < 0.01 THEN o - interval '3 days'               -- dirty: closed before opened
            ELSE o + exp(ln(30) + 0.8 * sqrt(-2 * ln(1 - random())) * cos(2 * pi() * random())) * interval '1 day' END AS c
  FROM generate_series(1, 4000) i,
       LATERAL (SELECT timestamptz '2025-06-01' + random() * interval '300 days' + i * interval '0 s' AS o) x;
UPDATE d SET c = NULL WHERE i % 50 = 0;                                   -- never closed
UPDATE d SET c = 'infinity' WHERE i % 401 = 0;                            -- dirty
CREATE TEMP TABLE asof AS SELECT timestamptz '2026-02-15' AS a;

-- Plain-SQL reference of every deal's status at as_of.
CREATE TEMP TABLE ref AS
SELECT i, rep, o, c,
       CASE WHEN c = 'infinity' OR (c IS NOT NULL AND c < o) THEN 'skipped'
            WHEN c IS NOT NULL AND c <= (SELECT a FROM asof) THEN 'closed'
            ELSE 'open' END AS status,
       CASE WHEN c IS NOT NULL AND c <= (SELECT a FROM asof) AND c >= o THEN c - o
            ELSE (SELECT a FROM asof) - o END AS age
  FROM d WHERE o <= (SELECT a FROM asof);
CREATE TEMP TABLE s AS SELECT cycle_agg(o, c, (SELECT a FROM asof)) s FROM d;

SELECT is((SELECT closed_deals(s) FROM s), (SELECT count(*) FROM ref WHERE status = 'closed'), 'closed deals as of the date');
SELECT is((SELECT open_deals(s) FROM s), (SELECT count(*) FROM ref WHERE status = 'open'), 'open deals (censored) as of the date');
SELECT is((SELECT skipped(s) FROM s), (SELECT count(*) FROM ref WHERE status = 'skipped'), 'skipped rows counted, not folded in');
SELECT is((SELECT mean(s) FROM s), (SELECT avg(age) FROM ref WHERE status = 'closed'), 'mean equals avg(closed - opened) of closed deals');
SELECT is((SELECT count(*) FROM (SELECT rep, avg_cycle(o, c) a, avg(c - o) FILTER (WHERE c >= o AND c < 'infinity') b FROM d GROUP BY rep) q
            WHERE a IS DISTINCT FROM b), 0::bigint, 'avg_cycle equals avg(closed - opened) per rep');
SELECT is((SELECT closed_deals(cycle_agg(o, c)) FROM d), (SELECT count(*) FROM d WHERE c >= o AND c < 'infinity'),
          'without as_of: every finite closed deal, NULL closes ignored');

-- Percentiles of closed deals against percentile_disc: within 0.5% or one second.
SELECT is((SELECT count(*) FROM unnest('{0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.99}'::float8[]) p,
                  LATERAL (SELECT percentile_disc(p) WITHIN GROUP (ORDER BY age) ex FROM ref WHERE status = 'closed') e,
                  LATERAL (SELECT extract(epoch FROM percentile(s, p)) est FROM s) q
            WHERE abs(est - extract(epoch FROM ex)) > greatest(0.005 * extract(epoch FROM ex), 1)), 0::bigint,
          'percentiles within 0.5% (or 1 s) of percentile_disc');
SELECT ok((SELECT abs(extract(epoch FROM median_cycle(o, c)) - extract(epoch FROM percentile_disc(0.5) WITHIN GROUP (ORDER BY c - o)))
                  <= 0.005 * extract(epoch FROM percentile_disc(0.5) WITHIN GROUP (ORDER BY c - o))
             FROM d WHERE c >= o AND c < 'infinity'), 'median_cycle within 0.5% of percentile_disc(0.5)');

-- Exact Kaplan-Meier over the raw durations (events before censorings at ties).
CREATE TEMP TABLE km AS
WITH ev AS (SELECT age t, count(*) FILTER (WHERE status = 'closed') dn FROM ref WHERE status <> 'skipped' GROUP BY age),
     steps AS (SELECT t, dn, (SELECT count(*) FROM ref r WHERE r.status <> 'skipped' AND r.age >= ev.t) n FROM ev WHERE dn > 0)
SELECT t, CASE WHEN bool_or(dn = n) OVER w THEN 0 ELSE exp(sum(ln(1 - dn::float8 / n)) OVER w) END AS surv
  FROM steps WINDOW w AS (ORDER BY t);
SELECT is((SELECT count(*) FROM unnest('{0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9}'::float8[]) p,
                  LATERAL (SELECT min(t) ex FROM km WHERE 1 - surv >= p - 1e-12) e,
                  LATERAL (SELECT survival_percentile(s, p) est FROM s) q
            WHERE abs(extract(epoch FROM est) - extract(epoch FROM ex)) > greatest(0.005 * extract(epoch FROM ex), 1)), 0::bigint,
          'survival percentiles within 0.5% (or 1 s) of the exact Kaplan-Meier');
SELECT is((SELECT survival_median(s) FROM s), (SELECT survival_percentile(s, 0.5) FROM s), 'survival_median is survival_percentile 0.5');
SELECT ok((SELECT bool_and(abs(close_probability(s, w) - (1 - coalesce((SELECT surv FROM km WHERE t <= w ORDER BY t DESC LIMIT 1), 1))) < 0.02)
             FROM s, unnest('{7 days, 30 days, 60 days, 90 days}'::interval[]) w),
          'close_probability within 0.02 of 1 - S(within) from the exact curve');
SELECT ok((SELECT survival_median(s) > median(s) FROM s), 'open deals make the survival median longer than the naive one');
SELECT is((SELECT survival_percentile(s, 0.999) FROM (SELECT cycle_agg(o, c, (SELECT a FROM asof)) s FROM d WHERE c IS NULL) q),
          NULL::interval, 'NULL when the curve never gets there');

-- Byte identity: rollup, shuffle, parallel.
CREATE TEMP TABLE daily AS SELECT date_trunc('day', o) dd, rep, cycle_agg(o, c, (SELECT a FROM asof)) s FROM d GROUP BY 1, 2;
SELECT ok((SELECT x *= y FROM (SELECT rollup(s ORDER BY random()) FROM daily) x, (SELECT s FROM s) y),
          'rollup of daily summaries, shuffled, is byte-identical to the direct aggregate');
SELECT ok((SELECT x *= y FROM (SELECT cycle_agg(o, c, (SELECT a FROM asof) ORDER BY random()) FROM d) x, (SELECT s FROM s) y),
          'shuffled input gives the same bytes');
CREATE TABLE dp AS SELECT * FROM d;
ANALYZE dp;
SET LOCAL max_parallel_workers_per_gather = 0;
CREATE TEMP TABLE serial AS SELECT rep, cycle_agg(o, c) s FROM dp GROUP BY rep;
\ir lib/force_parallel.psql
\ir lib/plan_of.psql
SELECT matches(plan_of('SELECT rep, cycle_agg(o, c) FROM dp GROUP BY rep'), 'Partial .*Aggregate', 'cycle_agg runs as a parallel partial aggregate');
SELECT is((SELECT count(*) FROM serial a JOIN (SELECT rep, cycle_agg(o, c) s FROM dp GROUP BY rep) b USING (rep)
            WHERE NOT (SELECT x *= y FROM (SELECT a.s) x, (SELECT b.s) y)), 0::bigint,
          'per-rep summaries byte-identical with and without parallel workers');
RESET max_parallel_workers_per_gather;

-- Dates under different time zones: the same dates, the same summary.
CREATE TEMP TABLE dates AS SELECT o::date od, c::date cd FROM d WHERE c < 'infinity';
SET LOCAL TimeZone = 'Europe/Lisbon';
CREATE TEMP TABLE lis AS SELECT cycle_agg(od, cd) s, cycle_agg(od, cd, date '2026-02-15') sa FROM dates;
SET LOCAL TimeZone = 'America/Sao_Paulo';
SELECT ok((SELECT x *= y FROM (SELECT s FROM lis) x, (SELECT cycle_agg(od, cd) FROM dates) y),
          'date summaries are byte-identical under Europe/Lisbon and America/Sao_Paulo');
SELECT ok((SELECT x *= y FROM (SELECT sa FROM lis) x, (SELECT cycle_agg(od, cd, date '2026-02-15') FROM dates) y),
          'date summaries with as_of too');
SELECT is((SELECT mean(s) FROM lis), (SELECT avg((cd - od) * interval '1 day') FROM dates WHERE cd >= od),
          'date mean is the mean of whole days');
SELECT is((SELECT extract(epoch FROM mean(cycle_agg(a, b))) FROM (VALUES (date '2026-03-28', date '2026-03-30'), (date '2026-10-24', date '2026-10-26')) v(a, b)),
          2 * 86400::numeric, 'date pairs across DST changes are whole days');
SET LOCAL TimeZone = 'UTC';

-- Round trips.
SELECT is((SELECT count(*) FROM daily WHERE NOT (SELECT x *= y FROM (SELECT s) x, (SELECT s::text::cycle_summary) y)), 0::bigint,
          'text output reads back byte-identical');

SELECT * FROM finish();
ROLLBACK;
