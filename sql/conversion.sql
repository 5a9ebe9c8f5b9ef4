-- The conversion family: values, NULLs, empty groups, rollup, statistics.
CREATE TABLE deals (id int, rep text, day date, won boolean);
-- Deterministic on every platform: hashint4, not random().
INSERT INTO deals
SELECT i, 'rep' || (i % 4), date '2026-01-01' + (i % 90),
       CASE WHEN abs(hashint4(i)) % 10 = 0 THEN NULL      -- 10% still open
            ELSE abs(hashint4(i + 7)) % 100 < 25 + 10 * (i % 4) END
  FROM generate_series(1, 10000) i;

-- A hand-worked example: won, lost, open, won.
SELECT conversion_agg(x) AS s, conversion_rate(x) AS rate
  FROM (VALUES (true), (false), (NULL), (true)) v(x);
-- No rows, only open deals: an empty summary and a NULL rate.
SELECT conversion_agg(won), conversion_rate(won) FROM deals WHERE false;
SELECT conversion_agg(NULL::boolean), conversion_rate(NULL::boolean);
SELECT rate(s), conversions(s), trials(s), wilson_lower(s), wilson_upper(s)
  FROM (SELECT conversion_agg(x) s FROM (VALUES (NULL::boolean)) v(x)) q;

-- Against plain SQL, per rep.
SELECT rep, conversion_rate(won) = count(*) FILTER (WHERE won)::float8 / count(won) AS same_rate,
       conversions(conversion_agg(won)) = count(*) FILTER (WHERE won) AS same_conversions,
       trials(conversion_agg(won)) = count(won) AS same_trials
  FROM deals GROUP BY rep ORDER BY rep;

-- FILTER that leaves a group empty.
SELECT rep, conversion_agg(won) FILTER (WHERE day > '2027-01-01') AS s,
       conversion_rate(won) FILTER (WHERE day > '2027-01-01') AS r
  FROM deals GROUP BY rep ORDER BY rep;

-- rollup of daily per-rep summaries equals the direct monthly aggregate.
CREATE TABLE daily AS
SELECT day, rep, conversion_agg(won) AS s FROM deals GROUP BY day, rep;
SELECT m.month, m.s::text = d.s::text AS same, m.s
  FROM (SELECT date_trunc('month', day) AS month, rollup(s) AS s FROM daily GROUP BY 1) m
  JOIN (SELECT date_trunc('month', day) AS month, conversion_agg(won) AS s FROM deals GROUP BY 1) d
 USING (month) ORDER BY 1;
SELECT rollup(s) FROM daily WHERE false;
SELECT rollup(s) FROM (VALUES (NULL::conversion_summary)) v(s);

-- Wilson score interval, published example: 8 of 10 at 95% is [0.4902, 0.9433]
-- (Wilson 1927; e.g. Newcombe 1998, Table I: 0.4902 to 0.9433).
SELECT round(wilson_lower(s)::numeric, 4), round(wilson_upper(s)::numeric, 4)
  FROM (SELECT '{"version":1,"conversions":8,"trials":10}'::conversion_summary s) q;
-- Newcombe 1998: 81 of 263 at 95% is [0.2553, 0.3662].
SELECT round(wilson_lower(s)::numeric, 4), round(wilson_upper(s)::numeric, 4)
  FROM (SELECT '{"version":1,"conversions":81,"trials":263}'::conversion_summary s) q;
-- 0 of 10 and 10 of 10 stay inside [0, 1]; 99% is wider than 90%.
SELECT wilson_lower(s) AS lo, round(wilson_upper(s)::numeric, 4) AS hi
  FROM (SELECT '{"version":1,"conversions":0,"trials":10}'::conversion_summary s) q;
SELECT round(wilson_lower(s)::numeric, 4) AS lo, wilson_upper(s) AS hi
  FROM (SELECT '{"version":1,"conversions":10,"trials":10}'::conversion_summary s) q;
SELECT wilson_lower(s, 0.99) < wilson_lower(s, 0.90) AND wilson_upper(s, 0.99) > wilson_upper(s, 0.90)
  FROM (SELECT '{"version":1,"conversions":8,"trials":10}'::conversion_summary s) q;
SELECT wilson_lower('{"version":1,"conversions":8,"trials":10}', 1.0);
SELECT wilson_upper('{"version":1,"conversions":8,"trials":10}', 0);
SELECT wilson_upper('{"version":1,"conversions":8,"trials":10}', 'NaN');
SELECT wilson_upper('{"version":1,"conversions":8,"trials":10}', NULL);

-- compare(): hand-computed two-proportion z-test.  30/100 vs 45/100:
-- pooled p = 0.375, se = sqrt(0.375 * 0.625 * (1/100 + 1/100)) = 0.0684653,
-- z = 0.15 / 0.0684653 = 2.19089, two-sided p = 0.028460.
SELECT round(rate_before::numeric, 4) rb, round(rate_after::numeric, 4) ra,
       round(delta::numeric, 4) d, round(z::numeric, 5) z, round(p_value::numeric, 6) p
  FROM compare('{"version":1,"conversions":30,"trials":100}', '{"version":1,"conversions":45,"trials":100}');
-- Symmetric: swapping sides flips delta and z, keeps p.
SELECT round(delta::numeric, 4), round(z::numeric, 5), round(p_value::numeric, 6)
  FROM compare('{"version":1,"conversions":45,"trials":100}', '{"version":1,"conversions":30,"trials":100}');
-- A side without trials: NULLs where undefined.
SELECT * FROM compare('{"version":1,"conversions":0,"trials":0}', '{"version":1,"conversions":3,"trials":10}');
-- No variance (both all lost): delta 0, z and p undefined.
SELECT * FROM compare('{"version":1,"conversions":0,"trials":5}', '{"version":1,"conversions":0,"trials":7}');

-- Counts never wrap.
SELECT rollup(s) FROM (VALUES ('{"version":1,"conversions":1,"trials":9223372036854775807}'::conversion_summary),
                              ('{"version":1,"conversions":0,"trials":1}')) v(s);
SELECT conversion_combine('{"version":1,"conversions":9223372036854775807,"trials":9223372036854775807}',
                          '{"version":1,"conversions":1,"trials":1}');
-- A direct call never changes its argument.
WITH c AS (SELECT '{"version":1,"conversions":1,"trials":2}'::conversion_summary s)
SELECT conversion_trans(s, true), s FROM c;
