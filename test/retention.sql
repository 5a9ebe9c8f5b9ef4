-- pgTAP: the retention family against plain-SQL reference queries.
\ir lib/begin.psql
SET LOCAL TimeZone = 'America/Sao_Paulo';     -- periods cut in a zone with DST history
SELECT plan(36);

SELECT setseed(0.55);
CREATE TEMP TABLE acts AS
SELECT CASE WHEN random() < 0.01 THEN NULL ELSE 1 + (random() * random() * 300)::int END AS customer,
       CASE WHEN random() < 0.01 THEN NULL
            ELSE timestamptz '2024-01-01' + random() * interval '800 days' END AS at,
       round((random() * 1000)::numeric, 2) AS revenue
  FROM generate_series(1, 6000);
UPDATE acts SET revenue = NULL WHERE random() < 0.02;

-- Period index as retention_agg numbers periods, for offsets.
CREATE FUNCTION pidx(g text, d date) RETURNS int LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE g WHEN 'day' THEN d - date '2000-01-01'
                WHEN 'week' THEN (d - date '2000-01-03') / 7
                WHEN 'month' THEN extract(year FROM d)::int * 12 + extract(month FROM d)::int - 1
                WHEN 'quarter' THEN extract(year FROM d)::int * 4 + (extract(month FROM d)::int - 1) / 3
                ELSE extract(year FROM d)::int END $$;
CREATE FUNCTION step(g text) RETURNS interval LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE g WHEN 'quarter' THEN interval '3 months' ELSE ('1 ' || g)::interval END $$;

-- Reference: distinct customer-period pairs, then self-joins.  They read
-- the view cur, which each check points at the rows it wants.
CREATE TEMP VIEW cur AS SELECT * FROM acts;
CREATE FUNCTION ref_retention(g text) RETURNS TABLE (period date, active bigint, new bigint, "returning" bigint,
    retained bigint, churned bigint, retention_rate float8, churn_rate float8, crr float8) LANGUAGE sql AS $$
  WITH cp AS (SELECT DISTINCT customer, date_trunc(g, at)::date p FROM cur WHERE customer IS NOT NULL AND at IS NOT NULL),
       f AS (SELECT customer, min(p) fp FROM cp GROUP BY customer),
       ps AS (SELECT gs::date p FROM generate_series((SELECT min(p) FROM cp), (SELECT max(p) FROM cp), step(g)) gs),
       act AS (SELECT p, count(*) n FROM cp GROUP BY p),
       nw AS (SELECT fp AS p, count(*) n FROM f GROUP BY fp),
       kept AS (SELECT a.p, count(*) n FROM cp a JOIN cp b ON b.customer = a.customer AND b.p = (a.p - step(g))::date GROUP BY a.p),
       back AS (SELECT a.p, count(*) n FROM cp a JOIN f USING (customer)
                 WHERE f.fp < a.p AND NOT EXISTS (SELECT 1 FROM cp b WHERE b.customer = a.customer AND b.p = (a.p - step(g))::date)
                 GROUP BY a.p),
       gone AS (SELECT (b.p + step(g))::date AS p, count(*) n FROM cp b
                 WHERE NOT EXISTS (SELECT 1 FROM cp a WHERE a.customer = b.customer AND a.p = (b.p + step(g))::date)
                 GROUP BY 1),
       x AS (SELECT ps.p, coalesce(act.n, 0) active, coalesce(nw.n, 0) new, coalesce(back.n, 0) ret,
                    coalesce(kept.n, 0) kept, coalesce(gone.n, 0) gone, coalesce(prev.n, 0) prev
               FROM ps LEFT JOIN act USING (p) LEFT JOIN nw USING (p) LEFT JOIN back USING (p)
                       LEFT JOIN kept USING (p) LEFT JOIN gone USING (p)
                       LEFT JOIN act prev ON prev.p = (ps.p - step(g))::date)
  SELECT p, active, new, ret, kept, gone,
         CASE WHEN p = (SELECT min(p) FROM ps) OR prev = 0 THEN NULL ELSE kept::float8 / prev END,
         CASE WHEN p = (SELECT min(p) FROM ps) OR prev = 0 THEN NULL ELSE gone::float8 / prev END,
         CASE WHEN p = (SELECT min(p) FROM ps) OR prev = 0 THEN NULL ELSE (active - new)::float8 / prev END
    FROM x $$;
CREATE FUNCTION ref_cohorts(g text) RETURNS TABLE (cohort date, period_offset int, cohort_size bigint, active bigint, retention float8)
  LANGUAGE sql AS $$
  WITH cp AS (SELECT DISTINCT customer, date_trunc(g, at)::date p FROM cur WHERE customer IS NOT NULL AND at IS NOT NULL),
       f AS (SELECT customer, min(p) fp FROM cp GROUP BY customer),
       sizes AS (SELECT fp, count(*) n FROM f GROUP BY fp),
       last AS (SELECT max(p) lp FROM cp),
       cells AS (SELECT f.fp, pidx(g, cp.p) - pidx(g, f.fp) o, count(*) a FROM cp JOIN f USING (customer) GROUP BY 1, 2)
  SELECT s.fp, gs.o, s.n, coalesce(c.a, 0), coalesce(c.a, 0)::float8 / s.n
    FROM sizes s CROSS JOIN last CROSS JOIN LATERAL generate_series(0, pidx(g, last.lp) - pidx(g, s.fp)) gs(o)
    LEFT JOIN cells c ON c.fp = s.fp AND c.o = gs.o $$;
CREATE FUNCTION same_rows(g text) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE n bigint;
BEGIN
  -- daily periods over 800 days make a 320,000-cell triangle: check days on 90 of them
  EXECUTE format('CREATE OR REPLACE TEMP VIEW cur AS SELECT * FROM acts %s',
                 CASE WHEN g = 'day' THEN $w$WHERE at < '2024-03-31'$w$ ELSE '' END);
  SELECT count(*) INTO n FROM (
      (SELECT * FROM retention((SELECT retention_agg(g, customer, at, 'America/Sao_Paulo') FROM cur)) EXCEPT ALL SELECT * FROM ref_retention(g))
      UNION ALL (SELECT * FROM ref_retention(g) EXCEPT ALL SELECT * FROM retention((SELECT retention_agg(g, customer, at, 'America/Sao_Paulo') FROM cur)))) d;
  RETURN n;
END $$;
CREATE FUNCTION same_cohorts(g text) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE n bigint;
BEGIN
  EXECUTE format('CREATE OR REPLACE TEMP VIEW cur AS SELECT * FROM acts %s',
                 CASE WHEN g = 'day' THEN $w$WHERE at < '2024-03-31'$w$ ELSE '' END);
  SELECT count(*) INTO n FROM (
      (SELECT * FROM cohorts((SELECT retention_agg(g, customer, at, 'America/Sao_Paulo') FROM cur)) EXCEPT ALL SELECT * FROM ref_cohorts(g))
      UNION ALL (SELECT * FROM ref_cohorts(g) EXCEPT ALL SELECT * FROM cohorts((SELECT retention_agg(g, customer, at, 'America/Sao_Paulo') FROM cur)))) d;
  RETURN n;
END $$;

SELECT is(same_rows(g), 0::bigint, format('retention() at granularity %s equals the self-join reference, every column', g))
  FROM unnest(ARRAY['day', 'week', 'month', 'quarter', 'year']) g;
SELECT is(same_cohorts(g), 0::bigint, format('cohorts() at granularity %s equals the reference triangle', g))
  FROM unnest(ARRAY['day', 'week', 'month', 'quarter', 'year']) g;

-- cohorts() counts cells sparsely, sorting and merging whenever its buffer
-- fills: 60,000 customers over 1,000 days leave far more cells than one
-- buffer holds (65,536), and the triangle still equals the reference, in
-- the order of cohort then offset.
CREATE TEMP TABLE wide AS
SELECT customer, at + (random() * (timestamptz '2024-01-01' + interval '999 days' - at)) AS at, NULL::numeric AS revenue
  FROM (SELECT c AS customer, timestamptz '2024-01-01' + random() * interval '999 days' AS at
          FROM generate_series(1, 60000) c) f, generate_series(0, 5) k;
CREATE OR REPLACE TEMP VIEW cur AS SELECT * FROM wide;
CREATE TEMP TABLE wide_cohorts AS
SELECT row_number() OVER () AS n, * FROM cohorts((SELECT retention_agg('day', customer, at, 'America/Sao_Paulo') FROM wide));
SELECT cmp_ok((SELECT count(*) FROM wide_cohorts WHERE active > 0), '>', 2 * 65536::bigint,
              'the sparse triangle has more cells with activity than twice its first buffer');
SELECT is((SELECT count(*) FROM ((SELECT cohort, period_offset, cohort_size, active, retention FROM wide_cohorts
                                  EXCEPT ALL SELECT * FROM ref_cohorts('day'))
                                 UNION ALL (SELECT * FROM ref_cohorts('day')
                                  EXCEPT ALL SELECT cohort, period_offset, cohort_size, active, retention FROM wide_cohorts)) d),
          0::bigint, 'the sparse triangle equals the reference');
SELECT is((SELECT count(*) FROM wide_cohorts a JOIN wide_cohorts b ON b.n = a.n + 1
            WHERE (b.cohort, b.period_offset) <= (a.cohort, a.period_offset)), 0::bigint,
          'its rows come by cohort, then offset');
-- Past 2^23 cells with activity (a daily triangle of 4,096 days, every
-- cell active) it stops with an ERROR instead of using more memory.
SELECT throws_ok($$SELECT count(*) FROM cohorts((SELECT retention_agg('day', c, date '2000-01-01' + d)
                                                   FROM generate_series(0, 4095) c, generate_series(c, 4095) d))$$,
                 '54000', 'cohort triangle has more than 8388608 cells with activity',
                 'a triangle with more than 8,388,608 cells with activity is an ERROR');

-- Revenue retention against its reference, monthly.  The revenue here is
-- never negative, and the reference is 0.2.0's reading (churned = what
-- those gone brought, grr = Σ min(now, then) / then): the same figures
-- (test/revenue_retention.sql has refunds), now with the first period too.
CREATE TEMP TABLE rr AS
WITH cp AS (SELECT customer, date_trunc('month', at)::date p, coalesce(sum(revenue), 0) r
              FROM acts WHERE customer IS NOT NULL AND at IS NOT NULL GROUP BY 1, 2),
     ps AS (SELECT gs::date p FROM generate_series((SELECT min(p) FROM cp), (SELECT max(p) FROM cp), '1 month') gs)
SELECT ps.p AS period, coalesce(sum(b.r), 0) AS starting_revenue,
       coalesce(sum(greatest(a.r - b.r, 0)) FILTER (WHERE a.customer IS NOT NULL), 0) AS expansion,
       coalesce(sum(greatest(b.r - a.r, 0)) FILTER (WHERE a.customer IS NOT NULL), 0) AS contraction,
       coalesce(sum(b.r) FILTER (WHERE a.customer IS NULL), 0) AS churned_revenue,
       sum(coalesce(a.r, 0))::float8 / nullif(sum(b.r), 0)::float8 AS nrr,
       sum(least(coalesce(a.r, 0), b.r))::float8 / nullif(sum(b.r), 0)::float8 AS grr
  FROM ps LEFT JOIN cp b ON b.p = (ps.p - interval '1 month')::date
          LEFT JOIN cp a ON a.customer = b.customer AND a.p = ps.p
 GROUP BY ps.p;
CREATE TEMP TABLE rs AS SELECT * FROM revenue_retention((SELECT retention_agg('month', customer, at, 'America/Sao_Paulo', revenue) FROM acts));
SELECT is((SELECT count(*) FROM rr FULL JOIN rs USING (period)
            WHERE rr.starting_revenue IS DISTINCT FROM rs.starting_revenue OR rr.expansion IS DISTINCT FROM rs.expansion
               OR rr.contraction IS DISTINCT FROM rs.contraction OR rr.churned_revenue IS DISTINCT FROM rs.churned_revenue
               OR (rr.nrr IS NULL) <> (rs.nrr IS NULL) OR abs(rr.nrr - rs.nrr) > 1e-12
               OR (rr.grr IS NULL) <> (rs.grr IS NULL) OR abs(rr.grr - rs.grr) > 1e-12), 0::bigint,
          'revenue_retention(): exact amounts and NRR/GRR equal the reference');
SELECT ok((SELECT count(*) FROM rs) > 20 AND (SELECT min(revenue) FROM acts) >= 0, 'revenue retention has a row per period, over revenue never below 0');

-- Keys and time types.
SELECT is((SELECT array_agg(r ORDER BY period)::text FROM retention((SELECT retention_agg('month', customer::text, at, 'America/Sao_Paulo') FROM acts)) r),
          (SELECT array_agg(r ORDER BY period)::text FROM retention((SELECT retention_agg('month', customer, at, 'America/Sao_Paulo') FROM acts)) r),
          'text keys give the same figures as bigint keys');
SELECT is((SELECT array_agg(r ORDER BY period)::text FROM retention((SELECT retention_agg('month', md5(customer::text)::uuid, at, 'America/Sao_Paulo') FROM acts)) r),
          (SELECT array_agg(r ORDER BY period)::text FROM retention((SELECT retention_agg('month', customer, at, 'America/Sao_Paulo') FROM acts)) r),
          'uuid keys give the same figures');
SELECT is((SELECT array_agg(r ORDER BY cohort, period_offset)::text FROM cohorts((SELECT retention_agg('week', customer, at::date) FROM acts)) r),
          (SELECT array_agg(r ORDER BY cohort, period_offset)::text FROM cohorts((SELECT retention_agg('week', customer, (at::date)::timestamp) FROM acts)) r),
          'date and timestamp times agree');
SELECT is((SELECT customers(retention_agg('month', customer, at, 'America/Sao_Paulo')) FROM acts),
          (SELECT count(DISTINCT customer) FROM acts WHERE at IS NOT NULL), 'NULL customers and times are ignored');

-- Rollup of monthly summaries from partitions equals the direct summary.
CREATE TEMP TABLE parts AS
SELECT customer % 4 AS part, date_trunc('month', at) AS m, retention_agg('month', customer, at, 'America/Sao_Paulo', revenue) s
  FROM acts GROUP BY 1, 2;
SELECT ok((SELECT x *= y FROM (SELECT rollup(s ORDER BY random()) FROM parts) x,
                               (SELECT retention_agg('month', customer, at, 'America/Sao_Paulo', revenue) FROM acts) y),
          'rollup of per-partition monthly summaries is byte-identical to the direct one');
SELECT ok((SELECT x *= y FROM (SELECT retention_agg('month', customer, at, 'America/Sao_Paulo' ORDER BY random()) FROM acts) x,
                               (SELECT retention_agg('month', customer, at, 'America/Sao_Paulo') FROM acts) y),
          'shuffled input gives the same bytes');
CREATE TABLE ap AS SELECT * FROM acts;
ANALYZE ap;
SET LOCAL max_parallel_workers_per_gather = 0;
CREATE TEMP TABLE serial AS SELECT retention_agg('week', customer, at, 'America/Sao_Paulo', revenue) s FROM ap;
\ir lib/force_parallel.psql
\ir lib/plan_of.psql
SELECT matches(plan_of($q$SELECT retention_agg('week', customer, at, 'America/Sao_Paulo', revenue) FROM ap$q$), 'Partial Aggregate',
               'retention_agg runs as a parallel partial aggregate');
SELECT ok((SELECT x *= y FROM (SELECT s FROM serial) x, (SELECT retention_agg('week', customer, at, 'America/Sao_Paulo', revenue) FROM ap) y),
          'byte-identical with and without parallel workers');
RESET max_parallel_workers_per_gather;

-- Round trips.
SELECT ok((SELECT x *= y FROM (SELECT s FROM serial) x, (SELECT s::text::retention_summary FROM serial) y),
          'text output reads back byte-identical');
SELECT is((SELECT retention_summary_send(s::text::retention_summary) FROM serial), (SELECT retention_summary_send(s) FROM serial),
          'binary form stable through text');

-- Edge cases.
SELECT is((SELECT count(*) FROM retention((SELECT retention_agg('month', customer, at, 'America/Sao_Paulo') FROM acts WHERE false))), 0::bigint,
          'no rows, no periods');
SELECT results_eq($$SELECT active, new, retention_rate FROM retention((SELECT retention_agg('year', c, t) FROM (VALUES (1, date '2026-05-01'), (2, date '2026-06-01'), (1, date '2026-07-01')) v(c, t)))$$,
                  $$VALUES (2::bigint, 2::bigint, NULL::float8)$$, 'single period: one row, NULL rates');
SELECT results_eq($$SELECT period, active, new, "returning", retained, churned FROM retention((SELECT retention_agg('month', c, t) FROM (VALUES (1, date '2026-01-05'), (1, date '2026-03-05'), (2, date '2026-02-01'), (2, date '2026-03-01')) v(c, t)))$$,
                  $$VALUES (date '2026-01-01', 1::bigint, 1::bigint, 0::bigint, 0::bigint, 0::bigint),
                           (date '2026-02-01', 1, 1, 0, 0, 1),
                           (date '2026-03-01', 2, 0, 1, 1, 0)$$,
                  'reactivated customer: churned in February, returning in March (empty period included)');

-- Bad input.
SELECT throws_like($$SELECT retention_agg('fortnight', 1, now(), 'UTC')$$, '%unknown retention granularity%', 'an unknown granularity is an ERROR');
SELECT throws_ok($$SELECT rollup(s) FROM (SELECT retention_agg('month', 1, now(), 'UTC') UNION ALL SELECT retention_agg('week', 1, now(), 'UTC')) v(s)$$,
                 '22023', NULL, 'merging different granularities is an ERROR');
SELECT throws_ok($$SELECT * FROM revenue_retention((SELECT retention_agg('month', customer, at, 'America/Sao_Paulo') FROM acts))$$, '0A000', NULL,
                 'revenue_retention without revenue is an ERROR');

-- A revenue overflow while the pairs are merged is an ERROR each time,
-- and leaves the summaries merged as they were.  (Outside an aggregate a
-- state is returned flat, so PL/pgSQL never holds a half-merged one; in C
-- an ERROR or interrupt during a compaction leaves the pairs whole.)
CREATE FUNCTION overflow_twice() RETURNS text LANGUAGE plpgsql AS $$
DECLARE
  a retention_summary := (SELECT retention_agg('month', 1, date '2026-01-01', 9000000000000000000));
  s retention_summary;
  r text := '';
BEGIN
  FOR i IN 1..2 LOOP
    BEGIN
      s := retention_combine(a, a);
      r := r || customers(s) || ' ';
    EXCEPTION WHEN numeric_value_out_of_range THEN
      r := r || 'overflow ';
    END;
  END LOOP;
  RETURN r || customers(a);
END $$;
SELECT is(overflow_twice(), 'overflow overflow 1', 'a merge stopped by an ERROR leaves its inputs unchanged');

-- Size: at most 48 bytes per customer (here 20,000 rows, 2,000 customers, 36 months).
SELECT cmp_ok((SELECT pg_column_size(s)::numeric / customers(s)
                 FROM (SELECT retention_agg('month', (random() * 2000)::bigint, timestamptz '2023-01-01' + random() * interval '1095 days', 'UTC') s
                         FROM generate_series(1, 20000)) q), '<=', 48::numeric, 'at most 48 bytes per customer');

-- Past 2M rows the pair array is compacted while aggregating: still exact.
CREATE TEMP TABLE many AS
SELECT (random() * 60000)::bigint AS c, timestamptz '2024-01-01' + random() * interval '700 days' AS t,
       round((random() * 100)::numeric, 2) AS r
  FROM generate_series(1, 2500000);
CREATE TEMP TABLE many_s AS SELECT retention_agg('month', c, t, 'America/Sao_Paulo', r) s FROM many;
SELECT is((SELECT sum(active) FROM retention((SELECT s FROM many_s))),
          (SELECT count(*) FROM (SELECT DISTINCT c, date_trunc('month', t) FROM many) q)::numeric,
          'after compaction: every distinct customer-month pair counted once');
SELECT is((SELECT sum(starting_revenue) FROM revenue_retention((SELECT s FROM many_s))),
          (SELECT sum(r) FROM many WHERE date_trunc('month', t) < (SELECT max(date_trunc('month', t)) FROM many)),
          'after compaction: revenues of duplicate pairs summed exactly');

SELECT * FROM finish();
ROLLBACK;
