-- pgTAP: heartbeat's window functions keep their own lookback and set the
-- window's mark, so the window's storage (a tuplestore of work_mem, which
-- spills to a temporary file when it outgrows it) drops every row before the
-- current one: a 5,000,000-row partition runs in the smallest work_mem
-- without writing a temporary file.  Were the rows kept, the storage would
-- spill: the control at the end shows the measure sees that.
\ir lib/begin.psql
SET LOCAL work_mem = '64kB';
SET LOCAL max_parallel_workers_per_gather = 0;
SELECT plan(10);

-- Temporary file blocks the whole plan wrote (EXPLAIN ANALYZE, BUFFERS: the
-- top node counts its children's).
CREATE FUNCTION temp_blocks_written(q text) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE p json;
BEGIN
  EXECUTE 'EXPLAIN (ANALYZE, BUFFERS, TIMING OFF, FORMAT JSON) ' || q INTO p;
  RETURN (p -> 0 -> 'Plan' ->> 'Temp Written Blocks')::bigint;
END $$;
\ir lib/plan_of.psql

-- Each query counts the rows of the partition's steady state whose score is
-- the one worked out by hand.  The rows come from generate_series in the
-- select list (ProjectSet, which keeps nothing) in their order, into one
-- partition (OVER (): no sort).
CREATE FUNCTION run_count(q text) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE r bigint;
BEGIN
  EXECUTE q INTO r;
  RETURN r;
END $$;
CREATE TEMP TABLE q (name text, sql text, expected bigint);
INSERT INTO q VALUES
  -- x = i % 7 cycles through 0..6: from row 29 on, the previous 28 values
  -- hold each of 0..6 four times: median 3, MAD 2.
  ('anomaly_score over 5,000,000 rows',
   $$SELECT count(*) FILTER (WHERE i > 28 AND s = ((i % 7)::float8 - 3) / (1.4826::float8 * 2))
       FROM (SELECT i, anomaly_score((i % 7)::float8, 28) OVER () s FROM (SELECT generate_series(1, 5000000) i) g) w$$,
   5000000 - 28),
  -- Season 7, x = (i / 7) % 5: from row 71 on, the 10 values of the same
  -- phase before hold 0..4 twice each: median 2, MAD 1.
  ('seasonal anomaly_score over 1,000,000 rows',
   $$SELECT count(*) FILTER (WHERE i > 70 AND s = ((i / 7 % 5)::float8 - 2) / 1.4826::float8)
       FROM (SELECT i, anomaly_score((i / 7 % 5)::float8, 10, 7) OVER () s FROM (SELECT generate_series(1, 1000000) i) g) w$$,
   1000000 - 70),
  -- One trial a row, won every other row: from row 13 on, the pooled rate
  -- of the previous 12 is 1/2, so z = (p - 0.5) / sqrt(0.25 / 1) = +-1.
  ('conversion_zscore over 1,000,000 rows',
   $$SELECT count(*) FILTER (WHERE i > 12 AND z = CASE WHEN i % 2 = 0 THEN 1 ELSE -1 END)
       FROM (SELECT i, conversion_zscore(CASE WHEN i % 2 = 0 THEN '{"version":1,"conversions":1,"trials":1}'::conversion_summary
                                                    ELSE '{"version":1,"conversions":0,"trials":1}' END, 12) OVER () z FROM (SELECT generate_series(1, 1000000) i) g) w$$,
   1000000 - 12);

-- (PostgreSQL 18 names the window on a line of its own.)
SELECT matches(plan_of(sql, 'VERBOSE, COSTS OFF'), 'WindowAgg\n +Output: [^\n]*(anomaly_score|conversion_zscore)\([^\n]*\n( +Window: [^\n]*\n)? +-> +ProjectSet',
               name || ': the window function is computed over the rows as they come (EXPLAIN VERBOSE)')
  FROM q ORDER BY name;
SELECT is(run_count(sql), expected, name || ': every row of the steady state has the score worked out by hand')
  FROM q ORDER BY name;
SELECT is(temp_blocks_written(sql), 0::bigint, name || ': no temporary file with work_mem 64kB')
  FROM q ORDER BY name;
-- The control: a window that needs its whole partition keeps every row.
SELECT cmp_ok(temp_blocks_written($$SELECT max(c) FROM (SELECT count(*) OVER () c FROM (SELECT generate_series(1, 1000000) i) g) w$$),
              '>', 0::bigint, 'control: count(*) OVER () keeps its 1,000,000 rows and writes a temporary file');

SELECT * FROM finish();
ROLLBACK;
