-- pgTAP: the ticket family against plain SQL on random data.
\ir lib/begin.psql
SELECT plan(29);

SELECT setseed(0.77);
-- Amounts of every scale 0..12, small and large, negative refunds, zeros, NULLs.
CREATE TEMP TABLE amt AS
SELECT i, i % 13 AS g,
       CASE WHEN i % 17 = 0 THEN NULL
            WHEN i % 29 = 0 THEN 0
            ELSE round(((random() - 0.1) * 10 ^ (random() * 12 - 3))::numeric, (i % 13)) END AS x
  FROM generate_series(1, 40000) i;
INSERT INTO amt SELECT 100000 + i, 13, (10::numeric ^ 30) * i + 0.000000001 FROM generate_series(1, 50) i;   -- beyond int128

SELECT is((SELECT count(*) FROM (SELECT g, ticket_agg(x) t, avg(x) a, sum(x) s, min(x) mi, max(x) ma FROM amt GROUP BY g) q
            WHERE mean(t) <> a OR total(t) <> s OR smallest(t) <> mi OR largest(t) <> ma), 0::bigint,
          'mean, total, smallest and largest equal avg, sum, min and max exactly, for every scale');
SELECT is((SELECT count(*) FROM (SELECT g, avg_ticket(x) at, avg(x) a FROM amt GROUP BY g) q WHERE at <> a), 0::bigint,
          'avg_ticket equals avg exactly, for every scale');
SELECT is((SELECT count(*) FROM (SELECT g, ticket_agg(x) t, count(x) n FROM amt GROUP BY g) q WHERE deals(t) <> n), 0::bigint,
          'deals counts non-NULL amounts');
SELECT is((SELECT count(*) FROM (SELECT g, ticket_agg(x) t, stddev_samp(x) sd FROM amt GROUP BY g) q
            WHERE abs(stddev_amount(t) - sd::float8) > 1e-9 * sd::float8), 0::bigint,
          'stddev_amount matches stddev_samp');

-- Amounts of 13 to 16 integer digits (four base-10000 digits, around 2^53)
-- at scales 0 to 3: the edge of the decoder's short path.
CREATE TEMP TABLE wide AS
SELECT i % 4 AS s, round(((CASE WHEN i % 5 = 0 THEN -1 ELSE 1 END) * (2 ^ 53 + (random() - 0.5) * 10 ^ (12 + i % 4)))::numeric, i % 4) AS x
  FROM generate_series(1, 4000) i
UNION ALL SELECT s, v FROM generate_series(0, 3) s,
  unnest('{9007199254740991, 9007199254740992, 9007199254740993, 9999999999999999, 1000000000000000}'::numeric[]) v;
SELECT is((SELECT count(*) FROM (SELECT s, ticket_agg(x) t, avg_ticket(x) at, avg(x) a, sum(x) su, min(x) mi, max(x) ma FROM wide GROUP BY s) q
            WHERE mean(t) <> a OR at <> a OR total(t) <> su OR smallest(t) <> mi OR largest(t) <> ma), 0::bigint,
          'amounts around 2^53: mean, avg_ticket, total, smallest and largest are exact');
SELECT is((SELECT count(*) FROM (SELECT s, ticket_agg(x) t, percentile_disc(ARRAY[0.1, 0.5, 0.9]) WITHIN GROUP (ORDER BY x) e FROM wide GROUP BY s) q,
                  LATERAL unnest(percentiles(t, ARRAY[0.1, 0.5, 0.9]), e) u(est, ex) WHERE abs(est - ex) > 0.005 * abs(ex)), 0::bigint,
          'amounts around 2^53: percentiles within 0.5% of percentile_disc');

SELECT is((SELECT count(*) FROM (SELECT s, ticket_agg(x) t, ticket_agg(x::numeric(60, 20)) t20 FROM wide GROUP BY s) q
            WHERE (t::text::json)->>'sketch' <> (t20::text::json)->>'sketch'), 0::bigint,
          'amounts around 2^53: the sketch depends on the values, not on their scale (short and general decoding agree)');

-- Percentiles within 0.5% of percentile_disc on several distributions.
CREATE TEMP TABLE dist AS
SELECT 'uniform' AS d, round((random() * 10000)::numeric, 2) AS x FROM generate_series(1, 20000)
UNION ALL SELECT 'log-normal', round(exp(8 + 1.2 * sqrt(-2 * ln(1 - random())) * cos(2 * pi() * random()))::numeric, 2) FROM generate_series(1, 20000)
UNION ALL SELECT 'pareto (heavy tail)', round((100 / (1 - random()) ^ (1 / 1.1))::numeric, 2) FROM generate_series(1, 20000)
UNION ALL SELECT 'zeros and refunds', round(CASE WHEN random() < 0.2 THEN 0 WHEN random() < 0.3 THEN -random() * 500 ELSE random() * 3000 END::numeric, 2) FROM generate_series(1, 20000)
UNION ALL SELECT 'single value', 1234.56 FROM generate_series(1, 1000)
UNION ALL SELECT 'tiny', round((random() / 1000)::numeric, 9) FROM generate_series(1, 5000);
CREATE TEMP TABLE ps AS SELECT unnest('{0, 0.001, 0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.99, 0.999, 1}'::float8[]) p;
CREATE TEMP TABLE cmp AS
SELECT d, p, percentile(t, p) est, ex
  FROM (SELECT d, ticket_agg(x) t FROM dist GROUP BY d) s
  CROSS JOIN ps
  CROSS JOIN LATERAL (SELECT percentile_disc(p) WITHIN GROUP (ORDER BY x) ex FROM dist WHERE dist.d = s.d) e;
SELECT is((SELECT count(*) FROM cmp WHERE d = dd AND abs(est - ex) > 0.005 * abs(ex)), 0::bigint,
          format('%s: every percentile within 0.5%% of percentile_disc', dd))
  FROM (SELECT DISTINCT d dd FROM dist) q ORDER BY dd;
SELECT is((SELECT count(*) FROM (SELECT d, percentiles(ticket_agg(x), (SELECT array_agg(p ORDER BY p) FROM ps)) a,
                                        percentile_disc((SELECT array_agg(p ORDER BY p) FROM ps)) WITHIN GROUP (ORDER BY x) e
                                   FROM dist GROUP BY d) q,
                  LATERAL unnest(a, e) u(est, ex) WHERE abs(est - ex) > 0.005 * abs(ex)), 0::bigint,
          'percentiles() agrees with percentile_disc for arrays of p');
SELECT is((SELECT count(*) FROM (SELECT d, median_ticket(x) m, percentile_disc(0.5) WITHIN GROUP (ORDER BY x) e FROM dist GROUP BY d) q
            WHERE abs(m - e) > 0.005 * abs(e)), 0::bigint, 'median_ticket within 0.5% of percentile_disc(0.5)');

-- Rollup, shuffles, parallel: same bytes.
CREATE TEMP TABLE daily AS SELECT i % 97 AS day, g, ticket_agg(x) t FROM amt GROUP BY 1, 2;
SELECT ok((SELECT x *= y FROM (SELECT rollup(t) FROM daily) x, (SELECT ticket_agg(x) FROM amt) y),
          'rollup of daily summaries is byte-identical to the direct aggregate');
SELECT ok((SELECT x *= y FROM (SELECT rollup(t ORDER BY random()) FROM daily) x, (SELECT ticket_agg(x ORDER BY random()) FROM amt) y),
          'shuffled rollup and shuffled input give the same bytes');
CREATE TABLE amtp AS SELECT * FROM amt;
ANALYZE amtp;
SET LOCAL max_parallel_workers_per_gather = 0;
CREATE TEMP TABLE serial AS SELECT g, ticket_agg(x) t FROM amtp GROUP BY g;
\ir lib/force_parallel.psql
\ir lib/plan_of.psql
SELECT matches(plan_of('SELECT g, ticket_agg(x) FROM amtp GROUP BY g'), 'Partial .*Aggregate',
               'ticket_agg runs as a parallel partial aggregate');
SELECT is((SELECT count(*) FROM serial s JOIN (SELECT g, ticket_agg(x) t FROM amtp GROUP BY g) p USING (g)
            WHERE NOT (SELECT a *= b FROM (SELECT s.t) a, (SELECT p.t) b)), 0::bigint,
          'per-group summaries byte-identical with and without parallel workers');
SELECT is((SELECT count(*) FROM (SELECT g, avg_ticket(x) at, avg(x) a FROM amtp GROUP BY g) q WHERE at <> a), 0::bigint,
          'avg_ticket equals avg under a parallel plan');
RESET max_parallel_workers_per_gather;

-- Round trips.
SELECT is((SELECT count(*) FROM daily WHERE NOT (SELECT a *= b FROM (SELECT t) a, (SELECT t::text::ticket_summary) b)), 0::bigint,
          'text output reads back byte-identical');
SELECT is((SELECT count(*) FROM daily WHERE ticket_summary_send(t::text::ticket_summary) <> ticket_summary_send(t)), 0::bigint,
          'binary form is stable through a text round trip');

-- Size: the sketch stays small.
SELECT cmp_ok((SELECT pg_column_size(ticket_agg(x)) FROM dist WHERE d = 'log-normal'), '<', 16384,
              'a log-normal summary is under 16 kB');

-- Moving window with the exact inverse, against recomputed frames.
SELECT is((SELECT count(*) FROM (SELECT avg_ticket(x) OVER w a, avg(x) OVER w b FROM amt WHERE g < 13
                                 WINDOW w AS (ORDER BY i ROWS BETWEEN 30 PRECEDING AND 5 FOLLOWING)) q
            WHERE a IS DISTINCT FROM b), 0::bigint,
          'moving avg_ticket equals avg on every frame (scales change inside frames)');

-- Bad input.
SELECT throws_ok($$SELECT ticket_agg(x) FROM (VALUES (1.0), ('NaN')) v(x)$$, '22023', NULL, 'NaN amount is an ERROR');
SELECT throws_ok($$SELECT avg_ticket(x) FROM (VALUES ('Infinity'::numeric)) v(x)$$, '22023', NULL, 'infinite amount is an ERROR');
SELECT throws_ok($$SELECT percentile(ticket_agg(1), -0.5)$$, '22023', NULL, 'p outside [0, 1] is an ERROR');
SELECT throws_ok($$SELECT 'nonsense'::ticket_summary$$, '22P02', NULL, 'malformed text is an ERROR');

-- A big state (16 rows or more) whose exact values pass int128 is rounded
-- to numerics as it is flattened.  A sort above the aggregate flattens it in
-- its tuple memory, on PostgreSQL 17 a bump context, which cannot free:
-- rounding there freed numeric's working digits ("pfree called with invalid
-- pointer").  Sorted by a column that is not the group key, the sort sits
-- above the aggregate.
SELECT is((SELECT array_agg(format('%s %s %s %s', deals(a), total(a), smallest(a), largest(a)) ORDER BY g)
             FROM (SELECT g, ticket_agg(x) a FROM (SELECT g, CASE WHEN i = 3 THEN 1e25 * g + 0.5 ELSE i + 0.5 END x
                                                    FROM generate_series(1, 3) g, generate_series(1, 20) i) v
                    GROUP BY g ORDER BY md5(g::text)) s),
          (SELECT array_agg(r ORDER BY g)
             FROM (SELECT g, format('%s %s %s %s', count(*), sum(x), min(x), max(x)) r
                     FROM (SELECT g, CASE WHEN i = 3 THEN 1e25 * g + 0.5 ELSE i + 0.5 END x
                             FROM generate_series(1, 3) g, generate_series(1, 20) i) v GROUP BY g) w),
          'summaries with numeric sums of squares sorted as whole rows above the aggregate');

SELECT * FROM finish();
ROLLBACK;
