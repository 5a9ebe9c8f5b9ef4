-- pgTAP: a million groups and a million-row window leave no memory behind.
\ir lib/begin.psql
SET LOCAL enable_sort = off;                 -- hash aggregation
SET LOCAL max_parallel_workers_per_gather = 0;
SELECT plan(3);

CREATE FUNCTION backend_bytes() RETURNS bigint LANGUAGE sql AS
  $$ SELECT sum(total_bytes)::bigint FROM pg_backend_memory_contexts $$;
CREATE FUNCTION run(q text) RETURNS void LANGUAGE plpgsql AS $$ BEGIN EXECUTE q; END $$;
CREATE TEMP TABLE q (name text, sql text);
INSERT INTO q VALUES
  ('ticket_agg over 1,000,000 groups', $$SELECT count(*) FROM (SELECT i, ticket_agg(i) FROM generate_series(1, 1000000) i GROUP BY i) x$$),
  ('cycle_agg and conversion_agg over 1,000,000 groups', $$SELECT count(*) FROM (SELECT i, cycle_agg(now() - i * interval '1 s', now()), conversion_agg(i % 2 = 0) FROM generate_series(1, 1000000) i GROUP BY i) x$$),
  ('moving avg_ticket over 1,000,000 rows', $$SELECT max(x) FROM (SELECT avg_ticket(i) OVER (ORDER BY i ROWS 5 PRECEDING) x FROM generate_series(1, 1000000) i) y$$);
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
