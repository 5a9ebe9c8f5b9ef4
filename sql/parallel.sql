-- Same summary bytes however the plan runs: serial, parallel, shuffled.
-- same_bytes() compares the stored bytes with the record image operator *=,
-- as REFRESH MATERIALIZED VIEW CONCURRENTLY does.
CREATE FUNCTION same_bytes(a anyelement, b anyelement) RETURNS boolean
  LANGUAGE sql AS $$ SELECT x *= y FROM (SELECT a) x, (SELECT b) y $$;
CREATE TABLE par (id int, rep int, won boolean);
INSERT INTO par
SELECT i, i % 5, CASE WHEN abs(hashint4(i)) % 8 = 0 THEN NULL ELSE abs(hashint4(i * 17)) % 100 < 30 END
  FROM generate_series(1, 200000) i;
ANALYZE par;

-- Serial reference.
SET max_parallel_workers_per_gather = 0;
CREATE TEMP TABLE serial AS
SELECT rep, conversion_agg(won) s, conversion_rate(won) r,
       conversion_agg(won) FILTER (WHERE id < 0) empty
  FROM par GROUP BY rep;
CREATE TEMP TABLE serial_total AS SELECT conversion_agg(won) s, conversion_rate(won) r FROM par;

-- Forced parallel plans.
\i test/lib/force_parallel.psql
SET parallel_leader_participation = off;
EXPLAIN (COSTS OFF) SELECT conversion_agg(won), conversion_rate(won) FROM par;
EXPLAIN (COSTS OFF) SELECT rep, conversion_agg(won) FILTER (WHERE id < 0) FROM par GROUP BY rep;
SELECT same_bytes(t.s, p.s) AS same_bytes, t.r = p.r AS same_rate
  FROM serial_total t, (SELECT conversion_agg(won) s, conversion_rate(won) r FROM par) p;
SELECT s.rep, same_bytes(s.s, p.s) AS same_bytes,
       s.r = p.r AS same_rate, p.empty, rate(p.empty) AS empty_rate
  FROM serial s
  JOIN (SELECT rep, conversion_agg(won) s, conversion_rate(won) r,
               conversion_agg(won) FILTER (WHERE id < 0) empty
          FROM par GROUP BY rep) p USING (rep)
 ORDER BY rep;
-- (and same_bytes can say no)
SELECT same_bytes('{"version":1,"conversions":1,"trials":2}'::conversion_summary,
                  '{"version":1,"conversions":1,"trials":3}') AS differs_when_different;
-- Empty groups under a parallel plan with a FILTER that matches nothing.
SELECT rep, trials(conversion_agg(won) FILTER (WHERE id < 0)), conversion_rate(won) FILTER (WHERE id < 0)
  FROM par GROUP BY rep ORDER BY rep;
-- rollup in parallel over stored summaries.
CREATE TABLE par_daily AS SELECT id % 1000 AS day, rep, conversion_agg(won) s FROM par GROUP BY 1, 2;
ANALYZE par_daily;
EXPLAIN (COSTS OFF) SELECT rollup(s) FROM par_daily;
SELECT same_bytes(rollup(s), (SELECT s FROM serial_total)) FROM par_daily;
RESET parallel_leader_participation;

-- Shuffled input (an order given by a hash of the row) gives the same bytes.
SET max_parallel_workers_per_gather = 0;
SELECT same_bytes(s, (SELECT s FROM serial_total))
  FROM (SELECT conversion_agg(won ORDER BY hashint4(id * 7919)) s FROM par) q;
SELECT same_bytes(s, (SELECT s FROM serial_total))
  FROM (SELECT conversion_agg(won ORDER BY id DESC) s FROM par) q;
