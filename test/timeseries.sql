-- pgTAP: window functions of the time-series layer against plain SQL.
\ir lib/begin.psql
SELECT plan(28);

SELECT setseed(0.9);
-- Several partitions, ties (integers), NULLs, flat stretches, a short partition.
CREATE TEMP TABLE s AS
SELECT g, t, CASE WHEN random() < 0.1 THEN NULL
                  WHEN g = 3 AND t BETWEEN 5 AND 20 THEN 7          -- flat: MAD 0
                  ELSE round((100 + 10 * random() + CASE WHEN t % 12 = 0 THEN 30 ELSE 0 END)::numeric)::float8 END AS v
  FROM generate_series(1, 4) g, generate_series(1, 60) t
UNION ALL SELECT 5, 1, 10 UNION ALL SELECT 5, 2, 11;
CREATE FUNCTION ref_anomaly(x float8, prev float8[]) RETURNS float8 LANGUAGE sql AS $$
  WITH v AS (SELECT u FROM unnest(prev) u WHERE u IS NOT NULL),
       m AS (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY u) med, count(*) n FROM v),
       d AS (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY abs(u - med)) mad, avg(abs(u - med)) meanad FROM v, m)
  SELECT CASE WHEN x IS NULL OR n < 3 THEN NULL
              WHEN mad > 0 THEN (x - med) / (1.4826 * mad)
              WHEN meanad > 0 THEN (x - med) / (1.2533141373155 * meanad)
              ELSE NULL END FROM m, d $$;
CREATE TEMP TABLE a AS
SELECT g, t, v,
       anomaly_score(v) OVER w AS s6,
       ref_anomaly(v, ARRAY[lag(v, 1) OVER w, lag(v, 2) OVER w, lag(v, 3) OVER w, lag(v, 4) OVER w, lag(v, 5) OVER w, lag(v, 6) OVER w]) AS r6,
       anomaly_score(v, 4) OVER w AS s4,
       ref_anomaly(v, ARRAY[lag(v, 1) OVER w, lag(v, 2) OVER w, lag(v, 3) OVER w, lag(v, 4) OVER w]) AS r4,
       anomaly_score(v, 4, 12) OVER w AS ss,
       ref_anomaly(v, ARRAY[lag(v, 12) OVER w, lag(v, 24) OVER w, lag(v, 36) OVER w, lag(v, 48) OVER w]) AS rs
  FROM s WINDOW w AS (PARTITION BY g ORDER BY t);
SELECT is((SELECT count(*) FROM a WHERE (s6 IS NULL) <> (r6 IS NULL) OR abs(s6 - r6) > 1e-9), 0::bigint,
          'anomaly_score (lookback 6) equals the median/MAD reference on every row');
SELECT is((SELECT count(*) FROM a WHERE (s4 IS NULL) <> (r4 IS NULL) OR abs(s4 - r4) > 1e-9), 0::bigint,
          'anomaly_score (lookback 4) equals the reference');
SELECT is((SELECT count(*) FROM a WHERE (ss IS NULL) <> (rs IS NULL) OR abs(ss - rs) > 1e-9), 0::bigint,
          'seasonal anomaly_score (4 seasons of 12) equals the reference');
SELECT ok((SELECT count(*) FILTER (WHERE s6 IS NOT NULL) > 150 AND count(*) FILTER (WHERE s6 IS NULL AND v IS NOT NULL) > 0 FROM a),
          'the comparison covers scored rows and rows too early to score');
-- Hand-worked: previous 10, 12, 11, 13, 12 -> median 12, MAD 1 -> z(20) = 8 / 1.4826.
SELECT is((SELECT round(anomaly_score(v, 5) OVER (ORDER BY t)::numeric, 6) FROM (VALUES (1, 10.0), (2, 12), (3, 11), (4, 13), (5, 12), (6, 20)) x(t, v) ORDER BY t DESC LIMIT 1),
          round((8 / 1.4826)::numeric, 6), 'hand-worked robust z-score');
-- MAD 0 and mean deviation 0: NULL, not infinity.
SELECT is((SELECT anomaly_score(v) OVER (ORDER BY t) FROM (VALUES (1, 5.0), (2, 5), (3, 5), (4, 9)) x(t, v) ORDER BY t DESC LIMIT 1),
          NULL::float8, 'a flat history gives NULL rather than infinity');

-- conversion_zscore: p-chart against the pooled previous periods.
CREATE TEMP TABLE m AS
SELECT g, t, format('{"version":1,"conversions":%s,"trials":%s}', c, n)::conversion_summary AS cs, c, n
  FROM (SELECT g, t, (random() * 40)::int AS n FROM generate_series(1, 3) g, generate_series(1, 36) t) q,
       LATERAL (SELECT (n * (0.2 + 0.2 * random()))::int AS c) cc;
SELECT is((SELECT count(*) FROM (
             SELECT conversion_zscore(cs, 6) OVER w AS z,
                    c::float8 / nullif(n, 0) AS p,
                    (sum(c) OVER p6)::float8 / nullif(sum(n) OVER p6, 0) AS pbar, n
               FROM m WINDOW w AS (PARTITION BY g ORDER BY t),
                             p6 AS (PARTITION BY g ORDER BY t ROWS BETWEEN 6 PRECEDING AND 1 PRECEDING)) q
               , LATERAL (SELECT CASE WHEN n = 0 OR pbar IS NULL OR pbar IN (0, 1) THEN NULL
                                      ELSE (p - pbar) / sqrt(pbar * (1 - pbar) / n) END AS ref) r
            WHERE (z IS NULL) <> (ref IS NULL) OR abs(z - ref) > 1e-9), 0::bigint,
          'conversion_zscore equals (p - pbar) / sqrt(pbar (1 - pbar) / n) on every row');
-- Hand-worked: 8 of 10 after 400 of 1000 -> z = 0.4 / sqrt(0.24 / 10) = 2.581989;
-- 640 of 800 -> 23.094011: the same rate, a far stronger signal.
SELECT is((SELECT array_agg(round(z::numeric, 6) ORDER BY t) FROM (
             SELECT t, conversion_zscore(cs) OVER (PARTITION BY k ORDER BY t) z
               FROM (VALUES (1, 1, '{"version":1,"conversions":400,"trials":1000}'::conversion_summary),
                            (1, 2, '{"version":1,"conversions":8,"trials":10}'),
                            (2, 1, '{"version":1,"conversions":400,"trials":1000}'),
                            (2, 2, '{"version":1,"conversions":640,"trials":800}')) v(k, t, cs)) q WHERE t = 2),
          ARRAY[2.581989, 23.094011]::numeric[], 'few trials raise a smaller alarm than many');
SELECT throws_ok($$SELECT anomaly_score(1.0, 0) OVER ()$$, '22023', NULL, 'lookback below 1 is an ERROR');

-- A frame clause does not matter to the window functions.
SELECT is((SELECT count(*) FROM (SELECT anomaly_score(v) OVER (PARTITION BY g ORDER BY t) a,
                                        anomaly_score(v) OVER (PARTITION BY g ORDER BY t ROWS BETWEEN 1 PRECEDING AND CURRENT ROW) b
                                   FROM s) q WHERE a IS DISTINCT FROM b), 0::bigint, 'anomaly_score ignores the frame');
SELECT is((SELECT count(*) FROM (SELECT conversion_zscore(cs) OVER (PARTITION BY g ORDER BY t) a,
                                        conversion_zscore(cs) OVER (PARTITION BY g ORDER BY t ROWS UNBOUNDED PRECEDING) b
                                   FROM m) q WHERE a IS DISTINCT FROM b), 0::bigint, 'conversion_zscore ignores the frame');

-- Moving windows over 100,000 rows: the exact inverses give the recomputed frames.
CREATE TEMP TABLE big AS
SELECT i, CASE WHEN i % 9 = 0 THEN NULL ELSE random() < 0.3 END AS won, round((random() * 5000)::numeric, 2) AS amount,
       o, o + random() * interval '90 days' AS c
  FROM generate_series(1, 100000) i, LATERAL (SELECT timestamptz '2025-01-01' + random() * interval '300 days' + i * interval '0 s' AS o) x;
SELECT is((SELECT count(*) FROM (SELECT conversion_rate(won) OVER w r,
                                        (count(*) FILTER (WHERE won) OVER w)::float8 / nullif(count(won) OVER w, 0) ref,
                                        avg_ticket(amount) OVER w t, avg(amount) OVER w tref,
                                        avg_cycle(o, c) OVER w cy, avg(c - o) OVER w cyref
                                   FROM big WINDOW w AS (ORDER BY i ROWS 11 PRECEDING)) q
            WHERE r IS DISTINCT FROM ref OR t <> tref OR cy <> cyref), 0::bigint,
          'conversion_rate, avg_ticket and avg_cycle over ROWS 11 PRECEDING equal the built-ins on 100,000 rows');

-- Sparklines against a plain-SQL rendering.
SELECT is((SELECT count(*) FROM (
             SELECT g, sparkline(v ORDER BY t) sp,
                    string_agg(CASE WHEN v IS NULL THEN ' ' WHEN mx = mn THEN '▄'
                                    ELSE substr('▁▂▃▄▅▆▇█', round((v - mn) / (mx - mn) * 7)::int + 1, 1) END, '' ORDER BY t) ref
               FROM s JOIN (SELECT g, min(v) mn, max(v) mx FROM s GROUP BY g) b USING (g)
              GROUP BY g) q WHERE sp IS DISTINCT FROM ref), 0::bigint,
          'sparkline equals its plain-SQL rendering for every partition (NULLs, flat stretches)');
SELECT is(sparkline(ARRAY[1, 2, 3, 4, 5, 6, 7, 8, NULL]::float8[]), '▁▂▃▄▅▆▇█ ', 'one bar per value, NULL a space');
SELECT is(sparkline(ARRAY[5, 5, 5]::float8[]), '▄▄▄', 'a constant series is a flat middle line');

-- The window functions keep their lookback themselves (sorted as values come
-- and leave): the same values, to the last bit, as the computation done in
-- plain SQL with the same floating point operations in the same order:
-- median of the sorted values, |v - median| sorted, its median x 1.4826, or
-- when that is 0 its sum in ascending order / n x sqrt(pi/2).  Partitions
-- shorter and longer than the lookback, NULLs, ties, -0 beside 0, flat
-- stretches (MAD 0), constant stretches (NULL).
CREATE FUNCTION ref_exact(x float8, prev float8[]) RETURNS float8 LANGUAGE sql AS $$
  WITH s AS (SELECT array_agg(u ORDER BY u) a, count(u)::int n FROM unnest(prev) u WHERE u IS NOT NULL),
       m AS (SELECT n, a, CASE WHEN n % 2 = 1 THEN a[n / 2 + 1] ELSE (a[n / 2] + a[n / 2 + 1]) / 2::float8 END med FROM s),
       d AS (SELECT n, med, array_agg(abs(u - med) ORDER BY abs(u - med)) da FROM m, unnest(a) u GROUP BY n, med),
       r AS (SELECT n, med, da, 1.4826::float8 * CASE WHEN n % 2 = 1 THEN da[n / 2 + 1] ELSE (da[n / 2] + da[n / 2 + 1]) / 2::float8 END sp FROM d),
       f AS (SELECT n, med, CASE WHEN sp = 0 THEN 1.2533141373155::float8 * (SELECT sum(e ORDER BY e) FROM unnest(da) e) / n ELSE sp END sp FROM r)
  SELECT CASE WHEN x IS NULL OR n < 3 OR sp = 0 THEN NULL ELSE (x - med) / sp END FROM f $$;
CREATE TEMP TABLE e AS
SELECT g, t, CASE WHEN random() < 0.12 THEN NULL
                  WHEN g <= 4 THEN round((random() * 10)::numeric)::float8
                  WHEN g = 5 THEN round((100 + 10 * random())::numeric)::float8
                  WHEN g = 6 AND t BETWEEN 30 AND 60 THEN 7
                  WHEN g = 6 THEN random() * 100 - 50
                  WHEN g = 7 THEN (ARRAY['-0', '0', '1', '2', '0'])[1 + (random() * 4)::int]::float8
                  ELSE CASE WHEN random() < 0.8 THEN 5 ELSE 5 + random() END END AS v
  FROM generate_series(1, 8) g, LATERAL generate_series(1, CASE WHEN g <= 4 THEN g ELSE 150 END) t;
CREATE TEMP TABLE ex AS
SELECT g, t, v,
       anomaly_score(v, 3) OVER w a3, ref_exact(v, array_agg(v) OVER (w ROWS BETWEEN 3 PRECEDING AND 1 PRECEDING)) r3,
       anomaly_score(v) OVER w a6, ref_exact(v, array_agg(v) OVER (w ROWS BETWEEN 6 PRECEDING AND 1 PRECEDING)) r6,
       anomaly_score(v, 28) OVER w a28, ref_exact(v, array_agg(v) OVER (w ROWS BETWEEN 28 PRECEDING AND 1 PRECEDING)) r28,
       anomaly_score(v, 4, 12) OVER w s4, ref_exact(v, array_agg(v) OVER (PARTITION BY g, t % 12 ORDER BY t ROWS BETWEEN 4 PRECEDING AND 1 PRECEDING)) q4,
       anomaly_score(v, 3, 5) OVER w s3, ref_exact(v, array_agg(v) OVER (PARTITION BY g, t % 5 ORDER BY t ROWS BETWEEN 3 PRECEDING AND 1 PRECEDING)) q3
  FROM e WINDOW w AS (PARTITION BY g ORDER BY t);
SELECT is((SELECT count(*) FROM ex WHERE a3 IS DISTINCT FROM r3 OR a6 IS DISTINCT FROM r6 OR a28 IS DISTINCT FROM r28), 0::bigint,
          'anomaly_score (lookback 3, 6, 28) equals the exact plain-SQL computation on every row');
SELECT is((SELECT count(*) FROM ex WHERE s4 IS DISTINCT FROM q4 OR s3 IS DISTINCT FROM q3), 0::bigint,
          'seasonal anomaly_score (4 seasons of 12, 3 of 5) equals the exact plain-SQL computation on every row');
SELECT ok((SELECT count(a28) > 300 AND count(s3) > 200 AND count(*) FILTER (WHERE g = 7 AND a6 IS NOT NULL) > 20
                  AND count(*) FILTER (WHERE g = 8 AND v IS NOT NULL AND a6 IS NULL) > 20 FROM ex),
          'the exact comparison covers scored rows, the tie-heavy partition and constant stretches');

-- conversion_zscore against sums over the previous rows, exactly: NULL
-- summaries, periods without trials, partitions shorter than the lookback.
CREATE TEMP TABLE cz AS
SELECT g, t, CASE WHEN nul THEN NULL ELSE format('{"version":1,"conversions":%s,"trials":%s}', c, n)::conversion_summary END AS cs,
       CASE WHEN NOT nul THEN c END AS c, CASE WHEN NOT nul THEN n END AS n
  FROM (SELECT g, t, random() < 0.1 AS nul, (random() * 30)::bigint AS n
          FROM generate_series(1, 5) g, LATERAL generate_series(1, CASE WHEN g = 1 THEN 3 ELSE 80 END) t) q,
       LATERAL (SELECT (n * (0.1 + 0.5 * random()))::bigint AS c) cc;
CREATE TEMP TABLE czr AS
SELECT c, n, l.lookback, l.z, l.pc::float8 / nullif(l.pt, 0)::float8 AS pbar
  FROM (SELECT c, n, conversion_zscore(cs, 1) OVER w z1, conversion_zscore(cs) OVER w z12, conversion_zscore(cs, 50) OVER w z50,
               sum(c) OVER (w ROWS BETWEEN 1 PRECEDING AND 1 PRECEDING) pc1, sum(n) OVER (w ROWS BETWEEN 1 PRECEDING AND 1 PRECEDING) pt1,
               sum(c) OVER (w ROWS BETWEEN 12 PRECEDING AND 1 PRECEDING) pc12, sum(n) OVER (w ROWS BETWEEN 12 PRECEDING AND 1 PRECEDING) pt12,
               sum(c) OVER (w ROWS BETWEEN 50 PRECEDING AND 1 PRECEDING) pc50, sum(n) OVER (w ROWS BETWEEN 50 PRECEDING AND 1 PRECEDING) pt50
          FROM cz WINDOW w AS (PARTITION BY g ORDER BY t)) q,
       LATERAL (VALUES (1, z1, pc1, pt1), (12, z12, pc12, pt12), (50, z50, pc50, pt50)) l(lookback, z, pc, pt);
SELECT is((SELECT count(*) FROM czr
            WHERE z IS DISTINCT FROM CASE WHEN n > 0 AND pbar > 0 AND pbar < 1
                                          THEN (c::float8 / n::float8 - pbar) / sqrt(pbar * (1::float8 - pbar) / n::float8) END),
          0::bigint, 'conversion_zscore (lookback 1, 12, 50) equals (p - pbar) / sqrt(pbar (1 - pbar) / n) over sums of the previous rows, exactly');
SELECT ok((SELECT count(z) > 600 AND count(*) FILTER (WHERE n = 0) > 0 AND count(*) FILTER (WHERE n IS NULL) > 10 FROM czr),
          'the comparison covers scored rows, NULL summaries and periods without trials');
-- The pooled counts are summed for the rows that need them: a NULL row and a
-- row without trials after a lookback beyond bigint are NULL, and the next
-- row's lookback (5e18 trials) is right.
SELECT is((SELECT array_agg(z ORDER BY t) FROM (
             SELECT t, conversion_zscore(cs, 3) OVER (ORDER BY t) z
               FROM (VALUES (1, '{"version":1,"conversions":1,"trials":5000000000000000000}'::conversion_summary),
                            (2, '{"version":1,"conversions":1,"trials":5000000000000000000}'), (3, NULL),
                            (4, '{"version":1,"conversions":0,"trials":0}'), (5, '{"version":1,"conversions":3,"trials":10}')) v(t, cs)) q),
          (SELECT ARRAY[NULL, 0, NULL, NULL, (3::float8 / 10::float8 - pbar) / sqrt(pbar * (1::float8 - pbar) / 10::float8)]
             FROM (SELECT 1::float8 / 5000000000000000000::float8 AS pbar) b),
          'conversion_zscore sums the lookback only for rows with trials');
SELECT throws_ok($$SELECT conversion_zscore(cs, 3) OVER (ORDER BY t)
                     FROM (VALUES (1, '{"version":1,"conversions":1,"trials":5000000000000000000}'::conversion_summary),
                                  (2, '{"version":1,"conversions":1,"trials":5000000000000000000}'),
                                  (3, '{"version":1,"conversions":3,"trials":10}')) v(t, cs)$$,
                 '22003', 'conversion_summary count out of range', 'pooled trials beyond bigint are an ERROR');

-- lookback and season are read once per partition, at its first row (as
-- ntile reads its bucket count); NULL there makes the partition NULL.
SELECT is((SELECT count(*) FROM (SELECT anomaly_score(v, CASE WHEN t = 1 THEN 3 ELSE 0 END) OVER w a, anomaly_score(v, 3) OVER w b,
                                        anomaly_score(v, 4, CASE WHEN t = 1 THEN 12 END) OVER w c, anomaly_score(v, 4, 12) OVER w d
                                   FROM e WINDOW w AS (PARTITION BY g ORDER BY t)) q
            WHERE a IS DISTINCT FROM b OR c IS DISTINCT FROM d), 0::bigint,
          'anomaly_score reads lookback and season at the first row of each partition');
SELECT is((SELECT count(*) FROM (SELECT conversion_zscore(cs, CASE WHEN t = 1 THEN 12 END) OVER w a, conversion_zscore(cs) OVER w b
                                   FROM cz WINDOW w AS (PARTITION BY g ORDER BY t)) q WHERE a IS DISTINCT FROM b), 0::bigint,
          'conversion_zscore reads lookback at the first row of each partition');
SELECT is((SELECT count(*) FROM (SELECT anomaly_score(v, CASE WHEN t > 1 THEN 3 END) OVER w a, anomaly_score(v, 4, CASE WHEN t > 1 THEN 12 END) OVER w b
                                   FROM e WINDOW w AS (PARTITION BY g ORDER BY t)) q WHERE a IS NOT NULL OR b IS NOT NULL)
          + (SELECT count(*) FROM (SELECT conversion_zscore(cs, CASE WHEN t > 1 THEN 12 END) OVER (PARTITION BY g ORDER BY t) a FROM cz) q
              WHERE a IS NOT NULL), 0::bigint,
          'a NULL lookback or season at the first row of a partition gives NULL on every row');
SELECT throws_ok($$SELECT anomaly_score(1.0, 4, 0) OVER ()$$, '22023', 'season must be between 1 and 100000, got 0',
                 'season below 1 is an ERROR');
SELECT throws_ok($$SELECT conversion_zscore('{"version":1,"conversions":1,"trials":2}', 100001) OVER ()$$, '22023',
                 'lookback must be between 1 and 100000, got 100001', 'lookback above 100000 is an ERROR');
SELECT is((SELECT anomaly_score(NULL::float8, 0) OVER ()), NULL::float8, 'a row without a value is NULL whatever the lookback');

SELECT * FROM finish();
ROLLBACK;
