-- pgTAP: window functions of the time-series layer against plain SQL.
\ir lib/begin.psql
SELECT plan(15);

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

SELECT * FROM finish();
ROLLBACK;
