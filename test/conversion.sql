-- pgTAP: the conversion family against plain-SQL references on random data.
\ir lib/begin.psql
SELECT plan(32);

\ir lib/plan_of.psql

-- Objects.
SELECT has_type('heartbeat', 'conversion_summary', 'type conversion_summary exists');
SELECT has_function('heartbeat', 'conversion_agg', ARRAY['boolean'], 'conversion_agg(boolean)');
SELECT has_function('heartbeat', 'conversion_rate', ARRAY['boolean'], 'conversion_rate(boolean)');
SELECT has_function('heartbeat', 'rollup', ARRAY['heartbeat.conversion_summary'], 'rollup(conversion_summary)');
SELECT is_aggregate('heartbeat', 'conversion_agg', ARRAY['boolean'], 'conversion_agg is an aggregate');
SELECT volatility_is('heartbeat', 'rate', ARRAY['conversion_summary'], 'immutable', 'rate() is immutable');

-- Random deals: 40 reps, 120 days, about 12% open.
SELECT setseed(0.1234);
CREATE TEMP TABLE d AS
SELECT i AS id, (random() * 39)::int AS rep, date '2026-01-01' + (random() * 119)::int AS day,
       CASE WHEN random() < 0.12 THEN NULL ELSE random() < 0.15 + (i % 7) * 0.05 END AS won
  FROM generate_series(1, 50000) i;

SELECT is((SELECT count(*) FROM (SELECT rep, conversion_rate(won) r,
                  count(*) FILTER (WHERE won)::float8 / nullif(count(won), 0) ref
             FROM d GROUP BY rep) q WHERE r IS DISTINCT FROM ref), 0::bigint,
          'conversion_rate = count(*) FILTER (WHERE won) / count(won) for every rep');
SELECT is((SELECT count(*) FROM (SELECT rep, conversion_agg(won) s, count(*) FILTER (WHERE won) c, count(won) n
             FROM d GROUP BY rep) q WHERE conversions(s) <> c OR trials(s) <> n), 0::bigint,
          'conversions() and trials() match plain counts for every rep');

-- rollup of (day, rep) summaries to (month, team) equals aggregating raw rows.
CREATE TEMP TABLE daily AS SELECT day, rep, conversion_agg(won) s FROM d GROUP BY day, rep;
SELECT is((SELECT count(*) FROM
             (SELECT date_trunc('month', day) m, rep % 4 team, rollup(s) s FROM daily GROUP BY 1, 2) a
             FULL JOIN (SELECT date_trunc('month', day) m, rep % 4 team, conversion_agg(won) s FROM d GROUP BY 1, 2) b
             USING (m, team)
            WHERE a.s::text IS DISTINCT FROM b.s::text), 0::bigint,
          'rollup of daily per-rep summaries equals the direct aggregate per month and team');
SELECT is((SELECT rollup(s)::text FROM daily), (SELECT conversion_agg(won)::text FROM d),
          'rollup of everything equals the grand total');
SELECT is((SELECT rollup(s ORDER BY random())::text FROM daily), (SELECT rollup(s)::text FROM daily),
          'rollup does not depend on the order of its input');

-- Byte identity: shuffled input, and parallel plans.
SELECT ok((SELECT x *= y FROM (SELECT conversion_agg(won ORDER BY random()) FROM d) x,
                              (SELECT conversion_agg(won) FROM d) y),
          'shuffled input gives byte-identical summaries');
CREATE TABLE dp AS SELECT * FROM d;      -- temp tables are never scanned in parallel
ANALYZE dp;
SET LOCAL max_parallel_workers_per_gather = 0;
CREATE TEMP TABLE serial AS SELECT rep, conversion_agg(won) s FROM dp GROUP BY rep;
\ir lib/force_parallel.psql
SELECT ok((SELECT bool_or(p LIKE '%Partial%Aggregate%')
             FROM regexp_split_to_table(plan_of('SELECT rep, conversion_agg(won) FROM dp GROUP BY rep'), E'\n') p),
          'the per-rep aggregate runs as a parallel partial aggregate');
SELECT is((SELECT count(*) FROM serial a JOIN (SELECT rep, conversion_agg(won) s FROM dp GROUP BY rep) b USING (rep)
            WHERE NOT (SELECT x *= y FROM (SELECT a.s) x, (SELECT b.s) y)), 0::bigint,
          'per-rep summaries are byte-identical with and without parallel workers');
RESET max_parallel_workers_per_gather;

-- Wilson score interval against the textbook formula, z from tables.
CREATE TEMP TABLE w AS
SELECT s, conversions(s)::float8 x, trials(s)::float8 n, conf, z
  FROM (SELECT rep, conversion_agg(won) s FROM d WHERE rep < 10 GROUP BY rep) g,
       (VALUES (0.90, 1.6448536269514722), (0.95, 1.959963984540054), (0.99, 2.5758293035489004)) c(conf, z);
SELECT is((SELECT count(*) FROM w
            WHERE abs(wilson_lower(s, conf) - ((x/n + z*z/(2*n)) - z*sqrt(x/n*(1-x/n)/n + z*z/(4*n*n))) / (1 + z*z/n)) > 1e-12
               OR abs(wilson_upper(s, conf) - ((x/n + z*z/(2*n)) + z*sqrt(x/n*(1-x/n)/n + z*z/(4*n*n))) / (1 + z*z/n)) > 1e-12),
          0::bigint, 'Wilson bounds match the formula at 90%, 95% and 99%');
SELECT is(round(wilson_lower('{"version":1,"conversions":8,"trials":10}')::numeric, 4), 0.4902,
          'Wilson lower bound of 8/10 at 95% is 0.4902 (published)');
SELECT is(round(wilson_upper('{"version":1,"conversions":8,"trials":10}')::numeric, 4), 0.9433,
          'Wilson upper bound of 8/10 at 95% is 0.9433 (published)');
SELECT ok(wilson_lower(s) <= rate(s) AND rate(s) <= wilson_upper(s), 'the rate lies inside its interval')
  FROM (SELECT conversion_agg(won) s FROM d) q;
SELECT throws_ok($$SELECT wilson_lower('{"version":1,"conversions":8,"trials":10}', 1.5)$$, '22023', NULL,
                 'confidence outside (0, 1) is an ERROR');

-- compare() against the pooled two-proportion z statistic computed in SQL.
CREATE TEMP TABLE cmp AS
SELECT a.s sa, b.s sb FROM (SELECT rep, conversion_agg(won) s FROM d GROUP BY rep) a
  JOIN (SELECT rep, conversion_agg(won) s FROM d GROUP BY rep) b ON b.rep = a.rep + 1;
SELECT is((SELECT count(*) FROM cmp, compare(sa, sb) c,
                  LATERAL (SELECT conversions(sa)::float8 x1, trials(sa)::float8 n1,
                                  conversions(sb)::float8 x2, trials(sb)::float8 n2) k,
                  LATERAL (SELECT (x1 + x2) / (n1 + n2) p) pooled
            WHERE abs(c.z - (x2/n2 - x1/n1) / sqrt(p * (1 - p) * (1/n1 + 1/n2))) > 1e-9
               OR abs(c.delta - (x2/n2 - x1/n1)) > 1e-15), 0::bigint,
          'compare() z and delta match the pooled z-test');
SELECT is(round(p_value::numeric, 6), 0.028460, 'two-sided p for 30/100 vs 45/100 is 0.028460 (z = 2.19089)')
  FROM compare('{"version":1,"conversions":30,"trials":100}', '{"version":1,"conversions":45,"trials":100}');
-- p-value and z agree with the normal quantile used by Wilson: p(|z| = 1.96) = 0.05.
-- 50/100 vs x/100 never gives exactly 1.96, so check monotonicity instead.
SELECT ok(bool_and(p1 > p2), 'p_value decreases as the gap grows')
  FROM (SELECT c1.p_value p1, c2.p_value p2 FROM generate_series(31, 45) k,
          LATERAL compare('{"version":1,"conversions":30,"trials":100}', format('{"version":1,"conversions":%s,"trials":100}', k)::conversion_summary) c1,
          LATERAL compare('{"version":1,"conversions":30,"trials":100}', format('{"version":1,"conversions":%s,"trials":100}', k + 1)::conversion_summary) c2) q;

-- Moving windows against the frame recomputed by a self-join.
CREATE TEMP TABLE m AS SELECT rep, date_trunc('week', day) wk, won FROM d WHERE rep < 5;
SELECT is((SELECT count(*) FROM
             (SELECT rep, wk, conversion_rate(won) OVER (PARTITION BY rep ORDER BY wk RANGE BETWEEN interval '14 days' PRECEDING AND CURRENT ROW) r
                FROM m) a
             JOIN (SELECT a.rep, a.wk, count(*) FILTER (WHERE b.won)::float8 / nullif(count(b.won), 0) ref
                     FROM (SELECT DISTINCT rep, wk FROM m) a
                     JOIN m b ON b.rep = a.rep AND b.wk BETWEEN a.wk - interval '14 days' AND a.wk
                    GROUP BY a.rep, a.wk) b USING (rep, wk)
            WHERE r IS DISTINCT FROM ref), 0::bigint,
          'moving conversion_rate over 3 weeks equals the recomputed frame on every row');
SELECT is((SELECT count(*) FROM
             (SELECT id, conversion_rate(won) OVER (ORDER BY id ROWS BETWEEN 99 PRECEDING AND CURRENT ROW) r FROM d WHERE id <= 3000) a
             JOIN LATERAL (SELECT count(*) FILTER (WHERE won)::float8 / nullif(count(won), 0) ref
                             FROM d b WHERE b.id BETWEEN a.id - 99 AND a.id) b ON true
            WHERE r IS DISTINCT FROM ref), 0::bigint,
          'moving conversion_rate over 100 rows equals the recomputed frame on every row');

-- Bad input.
SELECT throws_ok($$SELECT 'junk'::conversion_summary$$, '22P02', NULL, 'malformed text is an ERROR');
SELECT throws_ok($$SELECT '{"version":1,"conversions":3,"trials":2}'::conversion_summary$$, '22P02', NULL,
                 'more conversions than trials is an ERROR');
SELECT throws_ok($$SELECT '{"version":1,"conversions":-3,"trials":2}'::conversion_summary$$, '22P02', NULL,
                 'negative counts are an ERROR');
SELECT throws_ok($$SELECT '{"version":7,"conversions":1,"trials":2}'::conversion_summary$$, '0A000', NULL,
                 'an unknown format version is an ERROR');
SELECT throws_ok($$SELECT conversion_trans('{"version":1,"conversions":0,"trials":9223372036854775807}', true)$$,
                 '22003', NULL, 'adding a deal past the largest bigint is an ERROR');
SELECT throws_ok($$SELECT rollup(s) FROM (VALUES ('{"version":1,"conversions":5,"trials":9223372036854775807}'::conversion_summary), ('{"version":1,"conversions":5,"trials":9}')) v(s)$$,
                 '22003', NULL, 'rollup past the largest bigint is an ERROR');
SELECT is(conversion_summary_in(conversion_summary_out(s))::text, s::text, 'text output reads back as itself')
  FROM (SELECT conversion_agg(won) s FROM d) q;
SELECT ok(trials(s) = (SELECT count(won) FROM d) AND conversions(s) = (SELECT count(*) FILTER (WHERE won) FROM d),
          'NULL outcomes (open deals) count in neither conversions nor trials')
  FROM (SELECT conversion_agg(won) s FROM d) q;

SELECT * FROM finish();
ROLLBACK;
