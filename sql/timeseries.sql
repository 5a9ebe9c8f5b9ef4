-- The time layer: anomaly_score, conversion_zscore and sparkline, hand-worked
-- and against plain-SQL references.

-- anomaly_score: the robust z-score of a value against the previous lookback
-- rows: (x - median) / (1.4826 * MAD), NULL until 3 previous non-NULL values.
CREATE TABLE weekly (t integer, v float8);
INSERT INTO weekly VALUES (1, 10), (2, 12), (3, 11), (4, 13), (5, NULL), (6, 12), (7, 20), (8, 12);
-- Lookback 5.  Row 4 (13): 10, 12, 11 before it: median 11, MAD 1,
-- z = 2 / 1.4826 = 1.348982.  Row 7 (20): rows 2 to 6 hold 12, 11, 13, NULL,
-- 12: median 12, deviations 0, 1, 1, 0, MAD 0.5, z = 8 / 0.7413 = 10.791852.
-- Row 8 (12): rows 3 to 7 hold 11, 13, NULL, 12, 20: median 12.5,
-- deviations 1.5, 0.5, 0.5, 7.5, MAD 1, z = -0.5 / 1.4826 = -0.337245.
-- Rows 1 to 3 have fewer than 3 previous values; row 5 is NULL itself.
SELECT t, v, round(anomaly_score(v, 5) OVER (ORDER BY t)::numeric, 6) AS score
  FROM weekly ORDER BY t;
SELECT round((2 / 1.4826)::numeric, 6) AS row_4, round((8 / (1.4826 * 0.5))::numeric, 6) AS row_7,
       round((-0.5 / 1.4826)::numeric, 6) AS row_8;
-- The same from percentile_cont over the previous five rows, for every row.
SELECT count(*) AS rows, count(*) FILTER (WHERE s IS NOT DISTINCT FROM r) AS agree
  FROM (SELECT round(anomaly_score(v, 5) OVER (ORDER BY t)::numeric, 9) AS s,
               (SELECT round(((w.v - med) / (1.4826 * mad))::numeric, 9)
                  FROM (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY p.v) AS med, count(p.v) AS n
                          FROM weekly p WHERE p.t BETWEEN w.t - 5 AND w.t - 1) m,
                       LATERAL (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY abs(p.v - med)) AS mad
                                  FROM weekly p WHERE p.t BETWEEN w.t - 5 AND w.t - 1) d
                 WHERE n >= 3 AND mad > 0) AS r
          FROM weekly w) q;
-- With a MAD of 0, the mean absolute deviation stands in (scaled by
-- sqrt(pi/2) = 1.2533141373155): 5, 5, 5, 9 -> median 5, MAD 0, mean
-- deviation 1: z(7) = 2 / 1.2533141373155 = 1.595769.  A flat history
-- (every deviation 0) gives NULL, not infinity.
SELECT t, v, round(anomaly_score(v) OVER (ORDER BY t)::numeric, 6) AS score
  FROM (VALUES (1, 5.0), (2, 5), (3, 5), (4, 9), (5, 7)) x(t, v);
SELECT round((2 / 1.2533141373155)::numeric, 6) AS by_hand;
SELECT t, anomaly_score(v) OVER (ORDER BY t) AS score
  FROM (VALUES (1, 5.0), (2, 5), (3, 5), (4, 9)) x(t, v);
-- Seasonal: against the rows 2, 4, 6 positions earlier (season 2, lookback 3).
-- Row 8 (90): rows 6, 4, 2 hold 51, 52, 50: median 51, MAD 1, z = 39 / 1.4826;
-- row 7 (13): rows 5, 3, 1 hold 11, 12, 10: median 11, MAD 1, z = 2 / 1.4826.
SELECT t, v, round(anomaly_score(v, 3, 2) OVER (ORDER BY t)::numeric, 6) AS score
  FROM (VALUES (1, 10.0), (2, 50), (3, 12), (4, 52), (5, 11), (6, 51), (7, 13), (8, 90)) x(t, v);
SELECT round((39 / 1.4826)::numeric, 6) AS row_8, round((2 / 1.4826)::numeric, 6) AS row_7;
-- Partitions are scored apart; the frame clause does not matter.
SELECT g, t, round(anomaly_score(v, 3) OVER (PARTITION BY g ORDER BY t ROWS BETWEEN CURRENT ROW AND CURRENT ROW)::numeric, 6) AS score
  FROM (VALUES ('a', 1, 1.0), ('a', 2, 2), ('a', 3, 3), ('a', 4, 10), ('b', 1, 100), ('b', 2, 100), ('b', 3, 103), ('b', 4, 106)) x(g, t, v)
 ORDER BY g, t;
-- a 4: 1, 2, 3 -> median 2, MAD 1, z = 8 / 1.4826; b 4: 100, 100, 103 ->
-- median 100, MAD 0, mean deviation 1, z = 6 / 1.2533141373155.
SELECT round((8 / 1.4826)::numeric, 6) AS a_4, round((6 / 1.2533141373155)::numeric, 6) AS b_4;
SELECT anomaly_score(1.0, 0) OVER ();
SELECT anomaly_score(1.0, 3, 0) OVER ();

-- conversion_zscore: the p-chart z-score of a period's win rate against the
-- pooled rate of the previous lookback periods: (p - pbar) / sqrt(pbar (1 - pbar) / n).
-- 8 of 10 after 400 of 1000: z = 0.4 / sqrt(0.24 / 10) = 2.581989; 640 of
-- 800 after the same: 23.094011 (the same rate, a far stronger signal).
SELECT k, t, round(conversion_zscore(cs) OVER (PARTITION BY k ORDER BY t)::numeric, 6) AS z
  FROM (VALUES (1, 1, '{"version":1,"conversions":400,"trials":1000}'::conversion_summary),
               (1, 2, '{"version":1,"conversions":8,"trials":10}'),
               (2, 1, '{"version":1,"conversions":400,"trials":1000}'),
               (2, 2, '{"version":1,"conversions":640,"trials":800}')) v(k, t, cs)
 ORDER BY k, t;
SELECT round((0.4 / sqrt(0.24 / 10))::numeric, 6) AS k1, round((0.4 / sqrt(0.24 / 800))::numeric, 6) AS k2;
-- Monthly win rates of one rep, lookback 3, against the pooled rate of the
-- three months before, computed with window sums.
CREATE TABLE months (m integer, conversions bigint, trials bigint);
INSERT INTO months VALUES (1, 3, 10), (2, 5, 12), (3, 4, 9), (4, 6, 11), (5, 0, 8), (6, 9, 10), (7, 0, 0), (8, 4, 10);
SELECT m, conversions, trials,
       round(conversion_zscore(format('{"version":1,"conversions":%s,"trials":%s}', conversions, trials)::conversion_summary, 3)
             OVER (ORDER BY m)::numeric, 6) AS z,
       round(((conversions::float8 / nullif(trials, 0) - pbar) / sqrt(pbar * (1 - pbar) / nullif(trials, 0)))::numeric, 6) AS reference
  FROM (SELECT *, (sum(conversions) OVER w)::float8 / nullif(sum(trials) OVER w, 0) AS pbar
          FROM months WINDOW w AS (ORDER BY m ROWS BETWEEN 3 PRECEDING AND 1 PRECEDING)) q
 ORDER BY m;

-- sparkline: one block per value, from ▁ (the minimum) to █ (the maximum),
-- the bar index round((v - min) / (max - min) * 7); NULL a space, a constant
-- series a flat middle line.
SELECT sparkline(ARRAY[1, 2, 3, 4, 5, 6, 7, 8, NULL]::float8[]) AS one_to_eight,
       sparkline(ARRAY[5, 5, 5]::float8[]) AS flat,
       sparkline(ARRAY[1, NULL, 3]::float8[]) AS gap,
       sparkline('{}'::float8[]) = '' AS empty_is_empty;
-- The aggregate, in the order given, against a plain-SQL rendering.
SELECT sparkline(v ORDER BY t) AS spark,
       string_agg(CASE WHEN v IS NULL THEN ' '
                       ELSE substr('▁▂▃▄▅▆▇█', round((v - mn) / (mx - mn) * 7)::int + 1, 1) END, '' ORDER BY t) AS reference
  FROM weekly, (SELECT min(v) mn, max(v) mx FROM weekly) b;
SELECT sparkline(v ORDER BY t DESC) AS backwards FROM weekly;
SELECT sparkline(v) IS NULL AS no_rows_no_line FROM weekly WHERE false;

-- sparkline(values, ascii => true): the same levels drawn with _.-~=+*#,
-- for clients whose encoding lacks the blocks.  In a LATIN1 session the
-- ASCII form comes back and equals a plain-SQL rendering; the blocks cannot
-- be converted, and the query fails (the README says so).
SET client_encoding = 'LATIN1';
SELECT sparkline(array_agg(v ORDER BY t), ascii => true) AS ascii,
       string_agg(CASE WHEN v IS NULL THEN ' '
                       ELSE substr('_.-~=+*#', round((v - mn) / (mx - mn) * 7)::int + 1, 1) END, '' ORDER BY t) AS reference
  FROM weekly, (SELECT min(v) mn, max(v) mx FROM weekly) b;
SELECT sparkline(ARRAY[1, 2]::float8[]) AS blocks;
RESET client_encoding;
-- Level by level the same as the blocks: gaps, flat series, one value, the
-- empty series, values whose range overflows a double; ascii => false is the
-- blocks.
SELECT a AS series,
       sparkline(a, ascii => true) AS ascii,
       translate(sparkline(a), '▁▂▃▄▅▆▇█', '_.-~=+*#') = sparkline(a, ascii => true) AS same_levels,
       sparkline(a, false) = sparkline(a) AS false_is_blocks
  FROM unnest(ARRAY['{1,2,3,4,5,6,7,8,NULL}', '{8,7,6,5,4,3,2,1}', '{5,5,5}', '{NULL,5,NULL}',
                    '{1,NULL,3}', '{42}', '{}', '{NULL}', '{-1e308,0,1e308}', '{0.1,0.25,0.3,0.9}']) s,
       LATERAL CAST(s AS float8[]) a;
-- NaN and infinities: the same error in both forms.
SELECT sparkline(ARRAY[1, 'NaN']::float8[], ascii => true);
SELECT sparkline(ARRAY[1, 'NaN']::float8[]);
SELECT sparkline(ARRAY['-Infinity', 1]::float8[], ascii => true);
SELECT sparkline(ARRAY[1, 'Infinity']::float8[], true);
SELECT sparkline(ARRAY[1, 'Infinity']::float8[]);
-- NULL ascii: NULL (the function is strict).
SELECT sparkline(ARRAY[1, 2]::float8[], NULL) IS NULL AS null_ascii_null;
