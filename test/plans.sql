-- pgTAP: the same summaries however the plan runs: partitionwise aggregation
-- over a partitioned table, with and without it, with parallel plans.
\ir lib/begin.psql
SELECT plan(7);

CREATE TABLE pd (rep int, i int, o timestamptz, c timestamptz, won boolean, amount numeric) PARTITION BY LIST (rep);
CREATE TABLE pd0 PARTITION OF pd FOR VALUES IN (0, 1);
CREATE TABLE pd1 PARTITION OF pd FOR VALUES IN (2, 3);
CREATE TABLE pd2 PARTITION OF pd FOR VALUES IN (4, 5, 6);
INSERT INTO pd
SELECT i % 7, i, timestamptz '2026-01-01' + (i % 200) * interval '1 day',
       CASE WHEN i % 6 = 0 THEN NULL ELSE timestamptz '2026-01-01' + (i % 200 + i % 33) * interval '1 day' END,
       CASE WHEN i % 6 = 0 THEN NULL ELSE i % 4 = 0 END, (i % 1000) * 0.75
  FROM generate_series(1, 60000) i;
ANALYZE pd;

\ir lib/plan_of.psql
CREATE FUNCTION fingerprint(q text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE r text;
BEGIN
  EXECUTE 'SELECT md5(string_agg(x::text, '','' ORDER BY x::text)) FROM (' || q || ') x' INTO r;
  RETURN r;
END $$;

-- Every aggregate, grouped by the partition key and over the whole table.
CREATE TEMP TABLE qs (q text);
INSERT INTO qs VALUES
 ($$SELECT rep, conversion_agg(won) a, ticket_agg(amount) b, cycle_agg(o, c, '2026-09-01') c2,
           retention_agg('month', i % 900, o, 'UTC', amount) d, funnel_agg(CASE WHEN won THEN 2 ELSE 1 END) e
      FROM pd GROUP BY rep$$),
 ($$SELECT conversion_agg(won) a, ticket_agg(amount) b, cycle_agg(o, c) c2,
           retention_agg('week', i % 900, o, 'UTC') d, funnel_agg(CASE WHEN won THEN 2 ELSE 1 END) e FROM pd$$);

SET LOCAL max_parallel_workers_per_gather = 0;
SET LOCAL enable_partitionwise_aggregate = off;
CREATE TEMP TABLE plain AS SELECT q, fingerprint(q) f FROM qs;

SET LOCAL enable_partitionwise_aggregate = on;
SELECT matches(plan_of((SELECT q FROM qs LIMIT 1)), 'Append.*\n.*(HashAggregate|GroupAggregate)', 'partitionwise: one aggregate per partition under an Append');
SELECT is((SELECT count(*) FROM plain WHERE fingerprint(q) <> f), 0::bigint, 'same summaries with partitionwise aggregation');

\ir lib/force_parallel.psql
SELECT matches(plan_of((SELECT q FROM qs OFFSET 1)), 'Partial Aggregate', 'whole-table aggregate runs as partial aggregates');
SELECT is((SELECT count(*) FROM plain WHERE fingerprint(q) <> f), 0::bigint, 'same summaries with partitionwise and parallel plans');
SELECT matches(plan_of((SELECT q FROM qs OFFSET 1), 'ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF'), 'Workers Launched: [1-9]', 'and the parallel workers really ran (EXPLAIN ANALYZE)');
SET LOCAL enable_partitionwise_aggregate = off;
SELECT is((SELECT count(*) FROM plain WHERE fingerprint(q) <> f), 0::bigint, 'same summaries with parallel plans alone');
SELECT ok((SELECT count(*) = 2 AND bool_and(f IS NOT NULL) FROM plain), 'the reference fingerprints exist');

SELECT * FROM finish();
ROLLBACK;
