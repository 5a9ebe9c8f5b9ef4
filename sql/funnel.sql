-- The funnel: a hand-worked example, gaps, rollup, text I/O and bad input.
-- Ten deals by the furthest stage they reached: three stopped at stage 1,
-- two at 2, three at 3, one at 4, and one has no stage (NULL, ignored).
CREATE TABLE leads (src text, stage integer);
INSERT INTO leads VALUES
  ('web', 1), ('web', 1), ('ads', 1), ('web', 2), ('ads', 2),
  ('web', 3), ('ads', 3), ('ads', 3), ('web', 4), ('web', NULL);
SELECT funnel_agg(stage) FROM leads;
-- Reached = deals whose furthest stage is at least the stage: 9, 6, 4, 1;
-- from the previous stage 6/9, 4/6, 1/4; from the first 6/9, 4/9, 1/9.
SELECT * FROM stages((SELECT funnel_agg(stage) FROM leads));
-- The same from plain SQL, every column compared.
WITH f AS (SELECT * FROM stages((SELECT funnel_agg(stage) FROM leads))),
     r AS (SELECT s AS stage, count(*) FILTER (WHERE l.stage >= s) AS reached
             FROM generate_series(1, 4) s, leads l GROUP BY s),
     ref AS (SELECT stage, reached,
                    reached::float8 / lag(reached) OVER (ORDER BY stage) AS conversion_from_previous,
                    reached::float8 / first_value(reached) OVER (ORDER BY stage) AS conversion_from_first
               FROM r)
SELECT count(*) AS stages, count(*) FILTER (WHERE f IS NOT DISTINCT FROM ref) AS agree
  FROM f FULL JOIN ref USING (stage);

-- A stage nobody stopped at is still reached by the deals that went further:
-- 1 and 3 give reached 2, 1, 1.
SELECT funnel_agg(s) FROM (VALUES (1), (3)) v(s);
SELECT * FROM stages((SELECT funnel_agg(s) FROM (VALUES (1), (3)) v(s)));
-- Stage 64, the last: every stage before it reached once.
SELECT count(*) AS stages, min(reached), max(reached)
  FROM stages((SELECT funnel_agg(64)));

-- rollup of per-source funnels is the funnel of all leads, in either order.
SELECT src, funnel_agg(stage) FROM leads GROUP BY src ORDER BY src;
SELECT rollup(s ORDER BY src) AS merged, rollup(s ORDER BY src DESC)::text = rollup(s ORDER BY src)::text AS either_order
  FROM (SELECT src, funnel_agg(stage) s FROM leads GROUP BY src) q;
SELECT (SELECT rollup(s)::text FROM (SELECT funnel_agg(stage) s FROM leads GROUP BY src) q)
       = (SELECT funnel_agg(stage)::text FROM leads) AS rollup_equals_direct;

-- Empty and all-NULL input: the empty summary, no stages.
SELECT funnel_agg(stage), (SELECT count(*) FROM stages(funnel_agg(stage))) AS stages
  FROM leads WHERE stage IS NULL;

-- Text I/O: canonical (trailing zero counts dropped), round trip, binary too.
SELECT '{"version":1,"furthest":"1 0 2 0"}'::funnel_summary;
SELECT s::text::funnel_summary::text = s::text AS text_round_trip,
       funnel_summary_send(s::text::funnel_summary) = funnel_summary_send(s) AS binary_stable
  FROM (SELECT funnel_agg(stage) s FROM leads) q;

-- Bad input: each an ERROR.
SELECT funnel_agg(s) FROM (VALUES (0)) v(s);
SELECT funnel_agg(s) FROM (VALUES (65)) v(s);
SELECT '{"version":1,"furthest":"1 -2"}'::funnel_summary;
