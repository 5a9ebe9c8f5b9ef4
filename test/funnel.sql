-- pgTAP: the funnel against plain SQL.
\ir lib/begin.psql
SELECT plan(8);

SELECT setseed(0.2);
CREATE TEMP TABLE leads AS
SELECT i % 7 AS src, CASE WHEN random() < 0.05 THEN NULL ELSE 1 + (random() * random() * 6)::int END AS stage
  FROM generate_series(1, 20000) i;
CREATE TEMP TABLE f AS SELECT * FROM stages((SELECT funnel_agg(stage) FROM leads));
CREATE TEMP TABLE ref AS
WITH r AS (SELECT s AS stage, count(*) FILTER (WHERE l.stage >= s) AS reached
             FROM generate_series(1, (SELECT max(stage) FROM leads)) s, leads l GROUP BY s)
SELECT stage, reached,
       reached::float8 / nullif(lag(reached) OVER (ORDER BY stage), 0) AS conversion_from_previous,
       reached::float8 / nullif(first_value(reached) OVER (ORDER BY stage), 0) AS conversion_from_first
  FROM r;
SELECT is((SELECT count(*) FROM ((SELECT * FROM f EXCEPT ALL SELECT * FROM ref) UNION ALL (SELECT * FROM ref EXCEPT ALL SELECT * FROM f)) d),
          0::bigint, 'stages() equals the plain-SQL funnel, every column');
SELECT is((SELECT count(*) FROM f), (SELECT max(stage) FROM leads)::bigint, 'one row per stage up to the furthest reached');
SELECT ok((SELECT x *= y FROM (SELECT rollup(s ORDER BY random()) FROM (SELECT src, funnel_agg(stage) s FROM leads GROUP BY src) q) x,
                               (SELECT funnel_agg(stage) FROM leads) y),
          'rollup of per-source funnels is byte-identical to the direct one');
SELECT ok((SELECT x *= y FROM (SELECT funnel_agg(stage ORDER BY random()) FROM leads) x, (SELECT funnel_agg(stage) FROM leads) y),
          'shuffled input gives the same bytes');
SELECT is((SELECT s::text::funnel_summary::text = s::text FROM (SELECT funnel_agg(stage) s FROM leads) q), true, 'text round trip');
SELECT throws_like($$SELECT funnel_agg(x) FROM (VALUES (0)) v(x)$$, '%funnel stage 0 is out of range%', 'a stage below 1 is an ERROR naming it');
SELECT throws_like($$SELECT funnel_agg(x) FROM (VALUES (65)) v(x)$$, '%funnel stage 65 is out of range%', 'a stage above 64 is an ERROR naming it');
SELECT throws_ok($$SELECT '{"version":1,"furthest":"1 -2"}'::funnel_summary$$, '22P02', NULL, 'negative counts in text are an ERROR');

SELECT * FROM finish();
ROLLBACK;
