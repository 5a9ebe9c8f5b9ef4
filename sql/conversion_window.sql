-- conversion_rate as a moving window aggregate, against the frame recomputed
-- with built-in aggregates over the same window.
CREATE TABLE monthly AS
SELECT rep, month, CASE WHEN abs(hashint4(i)) % 9 = 0 THEN NULL ELSE abs(hashint4(i * 31)) % 100 < 40 END AS won
  FROM generate_series(1, 6000) i,
       LATERAL (SELECT 'rep' || (i % 3) AS rep, date '2025-01-01' + ((i / 3) % 24) * interval '1 month' AS month) m;

-- Hand-worked: won, lost, open, won, lost with ROWS 2 PRECEDING.
SELECT i, x, conversion_rate(x) OVER (ORDER BY i ROWS 2 PRECEDING)
  FROM (VALUES (1, true), (2, false), (3, NULL), (4, true), (5, false)) v(i, x);

-- Row by row per deal, several frame shapes; every row must agree.
SELECT 'rows 2 preceding' AS frame, count(*) AS rows,
       count(*) FILTER (WHERE r IS NOT DISTINCT FROM ref) AS agree
  FROM (SELECT conversion_rate(won) OVER w AS r,
               (count(*) FILTER (WHERE won) OVER w)::float8 / nullif(count(won) OVER w, 0) AS ref
          FROM monthly WINDOW w AS (PARTITION BY rep ORDER BY month, won ROWS 2 PRECEDING)) q
UNION ALL
SELECT 'rows 50 preceding to 10 following', count(*),
       count(*) FILTER (WHERE r IS NOT DISTINCT FROM ref)
  FROM (SELECT conversion_rate(won) OVER w AS r,
               (count(*) FILTER (WHERE won) OVER w)::float8 / nullif(count(won) OVER w, 0) AS ref
          FROM monthly WINDOW w AS (PARTITION BY rep ORDER BY month ROWS BETWEEN 50 PRECEDING AND 10 FOLLOWING)) q
UNION ALL
SELECT 'range 2 months preceding', count(*),
       count(*) FILTER (WHERE r IS NOT DISTINCT FROM ref)
  FROM (SELECT conversion_rate(won) OVER w AS r,
               (count(*) FILTER (WHERE won) OVER w)::float8 / nullif(count(won) OVER w, 0) AS ref
          FROM monthly WINDOW w AS (PARTITION BY rep ORDER BY month RANGE BETWEEN interval '2 months' PRECEDING AND CURRENT ROW)) q
UNION ALL
SELECT 'groups 1 preceding exclude current row', count(*),
       count(*) FILTER (WHERE r IS NOT DISTINCT FROM ref)
  FROM (SELECT conversion_rate(won) OVER w AS r,
               (count(*) FILTER (WHERE won) OVER w)::float8 / nullif(count(won) OVER w, 0) AS ref
          FROM monthly WINDOW w AS (PARTITION BY rep ORDER BY month GROUPS BETWEEN 1 PRECEDING AND 1 FOLLOWING EXCLUDE CURRENT ROW)) q;

-- The usual dashboard: a 3-month moving win rate per rep from monthly rows,
-- recomputed independently with a self-join over the frame.
WITH m AS (SELECT rep, month, conversion_agg(won) s FROM monthly GROUP BY rep, month),
     w AS (SELECT rep, month, rate(rollup(s) OVER (PARTITION BY rep ORDER BY month ROWS 2 PRECEDING)) AS moving FROM m),
     ref AS (SELECT a.rep, a.month,
                    (count(*) FILTER (WHERE b.won))::float8 / count(b.won) AS moving
               FROM (SELECT DISTINCT rep, month FROM monthly) a
               JOIN monthly b ON b.rep = a.rep AND b.month BETWEEN a.month - interval '2 months' AND a.month
              GROUP BY a.rep, a.month)
SELECT count(*) AS months, count(*) FILTER (WHERE w.moving = ref.moving) AS agree
  FROM w JOIN ref USING (rep, month);
