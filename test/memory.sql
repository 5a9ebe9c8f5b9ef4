-- pgTAP: a million groups and a million-row window leave no memory behind.
\ir lib/begin.psql
SET LOCAL enable_sort = off;                 -- hash aggregation
SET LOCAL max_parallel_workers_per_gather = 0;
SELECT plan(6);

-- The backend's memory but the catalogue cache's own blocks: those grow by
-- a whole block (up to 8 MB) whenever an invalidation from another session
-- (say, autovacuum) makes it rebuild an entry, whatever this session runs.
-- (By name: PostgreSQL 18 has no "parent" column.)
CREATE FUNCTION backend_bytes() RETURNS bigint LANGUAGE sql AS
  $$ SELECT sum(total_bytes)::bigint FROM pg_backend_memory_contexts WHERE name <> 'CacheMemoryContext' $$;
CREATE FUNCTION run(q text) RETURNS void LANGUAGE plpgsql AS $$ BEGIN EXECUTE q; END $$;
CREATE TEMP TABLE q (name text, sql text);
INSERT INTO q VALUES
  ('ticket_agg over 1,000,000 groups', $$SELECT count(t) FROM (SELECT i, ticket_agg(i) t FROM generate_series(1, 1000000) i GROUP BY i) x$$),
  ('cycle_agg and conversion_agg over 1,000,000 groups', $$SELECT count(c), count(v) FROM (SELECT i, cycle_agg(now() - i * interval '1 s', now()) c, conversion_agg(i % 2 = 0) v FROM generate_series(1, 1000000) i GROUP BY i) x$$),
  ('moving avg_ticket over 1,000,000 rows', $$SELECT max(x) FROM (SELECT avg_ticket(i) OVER (ORDER BY i ROWS 5 PRECEDING) x FROM generate_series(1, 1000000) i) y$$);
-- The outer query uses each aggregate's result: were it only counting rows,
-- the planner would drop the aggregate (EXPLAIN VERBOSE would show a NULL
-- constant in its place) and nothing would be measured.
\ir lib/plan_of.psql
SELECT matches(plan_of(sql, 'VERBOSE, COSTS OFF'), pattern, name || ': the aggregate is computed (EXPLAIN VERBOSE)')
  FROM q JOIN (VALUES ('ticket_agg over 1,000,000 groups', 'HashAggregate\n +Output: i\.i, ticket_agg\(\(i\.i\)::numeric\)'),
                      ('cycle_agg and conversion_agg over 1,000,000 groups', 'HashAggregate\n +Output: i\.i, cycle_agg\(.*conversion_agg\('),
                      ('moving avg_ticket over 1,000,000 rows', 'WindowAgg\n +Output: avg_ticket\(\(i\.i\)::numeric\) OVER')) p(name, pattern) USING (name)
 ORDER BY name;
-- Each runs once to warm the caches, then again: the second run must leave
-- the backend's memory contexts as the first left them.  Measured between
-- statements, so no executor state is counted.
SELECT run(sql) FROM q WHERE name = 'ticket_agg over 1,000,000 groups';
SELECT set_config('heartbeat_test.before', backend_bytes()::text, true);
SELECT run(sql) FROM q WHERE name = 'ticket_agg over 1,000,000 groups';
SELECT cmp_ok(backend_bytes() - current_setting('heartbeat_test.before')::bigint, '<=', 65536::bigint,
              'ticket_agg over 1,000,000 groups: no memory growth');
SELECT run(sql) FROM q WHERE name = 'cycle_agg and conversion_agg over 1,000,000 groups';
SELECT set_config('heartbeat_test.before', backend_bytes()::text, true);
SELECT run(sql) FROM q WHERE name = 'cycle_agg and conversion_agg over 1,000,000 groups';
SELECT cmp_ok(backend_bytes() - current_setting('heartbeat_test.before')::bigint, '<=', 65536::bigint,
              'cycle_agg and conversion_agg over 1,000,000 groups: no memory growth');
SELECT run(sql) FROM q WHERE name = 'moving avg_ticket over 1,000,000 rows';
SELECT set_config('heartbeat_test.before', backend_bytes()::text, true);
SELECT run(sql) FROM q WHERE name = 'moving avg_ticket over 1,000,000 rows';
SELECT cmp_ok(backend_bytes() - current_setting('heartbeat_test.before')::bigint, '<=', 65536::bigint,
              'moving avg_ticket over 1,000,000 rows: no memory growth');

SELECT * FROM finish();
ROLLBACK;
