-- pgTAP: aggregates over many groups.  States start small (the flat summary,
-- no memory context of their own) and grow; the bytes are the same whichever
-- way the executor runs them; memory per small group stays small; and the
-- declared state sizes (SSPACE) steer the planner.
\ir lib/begin.psql
SELECT plan(23);
SET LOCAL max_parallel_workers_per_gather = 0;
\ir lib/plan_of.psql
CREATE FUNCTION analyzed(q text) RETURNS text LANGUAGE sql
  AS $$ SELECT plan_of(q, 'ANALYZE, VERBOSE, COSTS OFF, TIMING OFF, SUMMARY OFF') $$;

-- ---------------------------------------------------------------------------
-- The same bytes from every strategy.  Groups of 1 to 80 rows cross the
-- small-state limit (16 rows) and the sparse sketch's turn to dense; amounts
-- of several scales, refunds, zeros, and amounts beyond int128 (numeric
-- path); open, dirty and infinite deals; revenue of several scales and
-- repeated (customer, day) pairs.
-- ---------------------------------------------------------------------------
CREATE TABLE t AS
SELECT grp, k,
       CASE WHEN grp % 97 = 0 AND k = 3 THEN (10::numeric ^ 25) + k
            WHEN (grp + k) % 23 = 0 THEN 0
            ELSE round((exp(2 + 8 * ((grp * 7919 + k * 104729) % 1009) / 1009.0)
                        * CASE WHEN (grp + k) % 11 = 0 THEN -1 ELSE 1 END)::numeric, (grp + k) % 4) END AS amount,
       timestamptz '2026-01-01' + ((grp * 31 + k * 17) % 400) * interval '1 day' + k * interval '7 min' AS opened,
       CASE WHEN (grp + k) % 7 = 0 THEN NULL
            WHEN (grp + k) % 31 = 0 THEN timestamptz '2025-01-01'
            WHEN (grp + k) % 53 = 0 THEN timestamptz 'infinity'
            ELSE timestamptz '2026-01-01' + ((grp * 31 + k * 17) % 400 + (grp * 13 + k * 7) % 300) * interval '1 day' END AS closed,
       ((grp * 7 + k / 3) % 500)::bigint AS customer,
       round(((grp * 13 + k) % 1000 / 7.0)::numeric, (k % 3)) AS revenue
  FROM generate_series(1, 3000) grp, LATERAL generate_series(1, 1 + grp % 80) k;
ANALYZE t;

-- md5 of every group's summary in binary, in group order: by GROUP BY, or
-- as a window over each whole group (one expanded state, never small).
CREATE FUNCTION fp(agg text, send text, win boolean DEFAULT false) RETURNS text LANGUAGE plpgsql AS $$
DECLARE r text;
BEGIN
  EXECUTE format('SELECT md5(string_agg(encode(%s(a), ''hex''), '','' ORDER BY grp)) FROM (%s) s', send,
                 CASE WHEN win THEN format('SELECT DISTINCT ON (grp) grp, %s OVER (PARTITION BY grp) a FROM t', agg)
                      ELSE format('SELECT grp, %s a FROM t GROUP BY grp', agg) END) INTO r;
  RETURN r;
END $$;
CREATE TEMP TABLE aggs (agg text, send text);
INSERT INTO aggs VALUES
  ('ticket_agg(amount)', 'ticket_summary_send'),
  ('median_ticket(amount)', 'numeric_send'),
  ('avg_ticket(amount)', 'numeric_send'),
  ('cycle_agg(opened, closed)', 'cycle_summary_send'),
  ($$cycle_agg(opened, closed, '2026-09-01')$$, 'cycle_summary_send'),
  ('cycle_agg(opened::date, closed::date)', 'cycle_summary_send'),
  ($$retention_agg('day', customer, opened, 'UTC')$$, 'retention_summary_send'),
  ($$retention_agg('week', customer::text, opened, 'UTC', revenue)$$, 'retention_summary_send');
CREATE TEMP TABLE ref AS SELECT agg, fp(agg, send, true) f FROM aggs;
-- The aggregates whose bytes differ from the reference under the settings at hand.
CREATE FUNCTION differing() RETURNS text[] LANGUAGE sql
  AS $$ SELECT array_agg(a.agg ORDER BY a.agg) FILTER (WHERE fp(a.agg, a.send) IS DISTINCT FROM r.f)
          FROM aggs a JOIN ref r USING (agg) $$;

SET LOCAL enable_sort = off;
SET LOCAL work_mem = '256MB';
SELECT matches(plan_of('SELECT grp, ticket_agg(amount) FROM t GROUP BY grp'), 'HashAggregate', 'hash aggregation in memory:');
SELECT is(differing(), NULL, '  the same bytes as one state per group in a window');
SET LOCAL work_mem = '64kB';
SELECT matches(analyzed('SELECT grp, ticket_agg(amount) FROM t GROUP BY grp'), 'Batches: [0-9]{2,}', 'hash aggregation spilling to disk:');
SELECT is(differing(), NULL, '  the same bytes');
RESET enable_sort;
SET LOCAL enable_hashagg = off;
SELECT matches(plan_of('SELECT grp, ticket_agg(amount) FROM t GROUP BY grp'), 'GroupAggregate', 'sorted aggregation:');
SELECT is(differing(), NULL, '  the same bytes');
RESET enable_hashagg;
SET LOCAL enable_sort = off;
SET LOCAL work_mem = '256MB';
\ir lib/force_parallel.psql
SELECT matches(plan_of('SELECT grp, ticket_agg(amount) FROM t GROUP BY grp'), 'Partial HashAggregate', 'parallel partial hash aggregation (combine):');
SELECT is(differing(), NULL, '  the same bytes');
SET LOCAL max_parallel_workers_per_gather = 0;

-- rollup: the combine function as a transition, small states merged.
CREATE TEMP TABLE parts AS
SELECT grp, k % 5 AS part, ticket_agg(amount) tk, cycle_agg(opened, closed, '2026-09-01') cy,
       retention_agg('day', customer, opened, 'UTC', revenue) re
  FROM t GROUP BY grp, k % 5;
SELECT is((SELECT count(*) FROM (SELECT grp, rollup(tk) tk, rollup(cy) cy, rollup(re) re FROM parts GROUP BY grp) r
             JOIN (SELECT grp, ticket_agg(amount) tk, cycle_agg(opened, closed, '2026-09-01') cy,
                          retention_agg('day', customer, opened, 'UTC', revenue) re FROM t GROUP BY grp) w USING (grp)
            WHERE ticket_summary_send(r.tk) <> ticket_summary_send(w.tk) OR cycle_summary_send(r.cy) <> cycle_summary_send(w.cy)
               OR retention_summary_send(r.re) <> retention_summary_send(w.re)), 0::bigint,
          'rollup of parts by hash aggregation equals the aggregate of the rows, byte for byte');
RESET enable_sort;
RESET work_mem;

-- ---------------------------------------------------------------------------
-- Memory per group: 50,000 groups of 10 rows (10 distinct amounts each, over
-- two orders of magnitude), in one in-memory hash table.  HashAggregate's
-- "Memory Usage" counts the hash table, the group keys and the states; a
-- group's state used to be a memory context with its own blocks (some 9 to
-- 19 kB a group for these), and adding each group walked all of them.
-- ---------------------------------------------------------------------------
CREATE TABLE small AS
SELECT g, k,
       round(exp(4 + 6 * ((g * 7919 + k * 104729) % 1000) / 1000.0)::numeric, 2) AS amount,
       timestamptz '2026-01-01' + ((g * 31 + k * 17) % 400) * interval '1 day' AS opened,
       timestamptz '2026-01-01' + ((g * 31 + k * 17) % 400 + (g * 13 + k * 7) % 90) * interval '1 day' AS closed,
       ((g * 10 + k) % 50000)::bigint AS customer
  FROM generate_series(1, 50000) g, generate_series(1, 10) k;
ANALYZE small;
-- Bytes per group of a hash aggregation of small by g, all in one batch,
-- the aggregate computed (EXPLAIN VERBOSE shows it in the HashAggregate's
-- output, not a NULL constant: the outer count(a) needs it).
CREATE FUNCTION bytes_per_group(agg text) RETURNS numeric LANGUAGE plpgsql AS $$
DECLARE p text := analyzed(format('SELECT count(a) FROM (SELECT g, %s a FROM small GROUP BY g) s', agg));
BEGIN
  IF p !~ 'HashAggregate' OR p !~ 'Batches: 1 ' OR strpos(p, 'Output: small.g, ' || split_part(agg, '(', 1) || '(') = 0 THEN
    RAISE EXCEPTION 'not one in-memory hash aggregation computing %: %', agg, p;
  END IF;
  RETURN round((substring(p FROM 'Memory Usage: ([0-9]+)kB'))::numeric * 1024 / 50000);
END $$;
SET LOCAL enable_sort = off;
SET LOCAL work_mem = '1GB';
SET LOCAL hash_mem_multiplier = 100;       -- room for what SSPACE makes the planner expect
SELECT matches(analyzed('SELECT count(a) FROM (SELECT g, ticket_agg(amount) a FROM small GROUP BY g) s'),
               'HashAggregate \(actual rows=50000(\.00)? loops=1\)\n +Output: small.g, ticket_agg\(', 'the aggregate is computed, in one hash table (EXPLAIN VERBOSE)');
SELECT cmp_ok(bytes_per_group(agg), '<', 512::numeric, format('%s: under 512 bytes a group of 10 rows, hash table included', agg))
  FROM unnest(ARRAY['ticket_agg(amount)', 'median_ticket(amount)', 'cycle_agg(opened, closed)',
                    $$cycle_agg(opened, closed, '2026-03-01')$$, $$retention_agg('day', customer, opened, 'UTC')$$,
                    $$retention_agg('day', customer, opened, 'UTC', amount)$$]) agg;
SELECT cmp_ok(bytes_per_group('count(*)'), '<', 200::numeric, 'for scale: count(*) alone takes under 200 bytes a group');
RESET enable_sort;
RESET work_mem;
RESET hash_mem_multiplier;

-- ---------------------------------------------------------------------------
-- SSPACE: the state sizes the planner is told.
-- ---------------------------------------------------------------------------
SELECT is((SELECT array_agg(a.aggfnoid::regprocedure::text ORDER BY 1)
             FROM pg_aggregate a JOIN pg_proc p ON p.oid = a.aggfnoid
            WHERE p.pronamespace = 'heartbeat'::regnamespace
              AND a.aggtranstype IN ('ticket_summary'::regtype, 'cycle_summary'::regtype, 'retention_summary'::regtype)
              AND a.aggminvtransfn = 0
              AND a.aggtransspace < CASE WHEN a.aggtranstype = 'retention_summary'::regtype THEN 1048576 ELSE 16384 END),
          NULL::text[], 'every growing aggregate declares its state size (SSPACE)');
-- The same transition functions without SSPACE: the planner takes a state
-- for 32 bytes and builds a hash table for 5,000 groups in 4 MB.  Told the
-- real size, it plans to spill ticket states and sorts retention states.
CREATE AGGREGATE ticket_agg_unsized(numeric) (SFUNC = heartbeat.ticket_trans, STYPE = heartbeat.ticket_summary,
    INITCOND = '{"version":1,"deals":0,"scale":0,"at_scale":0,"sum":0,"sum_squares":0,"smallest":null,"largest":null,"sketch":"AAAA"}');
CREATE AGGREGATE retention_agg_unsized(text, bigint, timestamptz, text) (SFUNC = heartbeat.retention_trans,
    STYPE = heartbeat.retention_summary,
    INITCOND = '{"version":1,"granularity":null,"keys":"bigint","revenue_scale":null,"customers":0,"pairs":0,"first_period":0,"last_period":0,"data":""}');
CREATE TABLE s5 AS SELECT g % 5000 AS h, amount, customer, opened FROM small WHERE k <= 2;
ANALYZE s5;
SET LOCAL work_mem = '4MB';
SET LOCAL hash_mem_multiplier = 2;
SELECT matches(plan_of('SELECT h, ticket_agg_unsized(amount) FROM s5 GROUP BY h'), '^HashAggregate\n +Group Key: h\n +->',
               'a ticket aggregate without SSPACE: one in-memory hash table');
SELECT matches(plan_of('SELECT h, ticket_agg(amount) FROM s5 GROUP BY h', 'COSTS ON'), 'Planned Partitions: [1-9]|GroupAggregate',
               'ticket_agg (SSPACE 16 kB): hash aggregation planned to spill, or sorted');
SELECT matches(plan_of($$SELECT h, retention_agg_unsized('day', customer, opened, 'UTC') FROM s5 GROUP BY h$$), '^HashAggregate',
               'a retention aggregate without SSPACE: hash aggregation');
SELECT matches(plan_of($$SELECT h, retention_agg('day', customer, opened, 'UTC') FROM s5 GROUP BY h$$), '^GroupAggregate',
               'retention_agg (SSPACE 1 MB): sorted aggregation');
-- Forced to hash, big retention states: hash aggregation keeps no more
-- groups in memory than hash_mem / SSPACE, and spills the others.
CREATE TABLE act AS SELECT g % 50 AS rep, customer, opened FROM small;
ANALYZE act;
SET LOCAL enable_sort = off;
SELECT matches(analyzed($$SELECT count(a) FROM (SELECT rep, retention_agg('day', customer, opened, 'UTC') a FROM act GROUP BY rep) s$$),
               'Batches: [0-9]{2,}  Memory Usage: [0-9]{1,4}kB',
               'forced to hash, 50 retention states of 10,000 rows: many batches, under 10 MB in memory');
RESET enable_sort;
RESET work_mem;
RESET hash_mem_multiplier;

SELECT * FROM finish();
ROLLBACK;
