-- pgTAP: a ticket summary of at most 1,024 distinct amounts keeps them
-- exactly.  Its percentiles are percentile_disc's, its bytes depend only on
-- the multiset of amounts (also where a merge passes the limit and the
-- amounts go to the sketch), and a corrupted list is refused.
\ir lib/begin.psql
\ir lib/recv.psql
SELECT plan(50);

-- ---------------------------------------------------------------------------
-- 160 groups of 1 to 1,024 distinct amounts (one group of exactly 1,024 of
-- money, one of 1,024 of mixed scales, one of 1,023), each amount once to
-- three times, of eight kinds.
-- ---------------------------------------------------------------------------
CREATE TEMP TABLE ex AS
SELECT g, g % 8 AS kind, d, k,
       CASE g % 8
         WHEN 0 THEN round(100 + k * 97.13 + (g % 7) * 0.01, 2)               -- money, 2 decimals
         WHEN 1 THEN ((k - d / 2) * 7)::numeric                               -- integers and refunds
         WHEN 2 THEN CASE k % 3 WHEN 0 THEN k + 0.5 WHEN 1 THEN k + 0.25 ELSE k::numeric END   -- 1.5 and 2.25
         WHEN 3 THEN 1e30 + k                                                 -- huge: numerics
         WHEN 4 THEN k * CASE WHEN g % 16 = 4 THEN 1e-350 ELSE 1e-30 END      -- tiny
         WHEN 5 THEN CASE k % 2 WHEN 0 THEN k * 1e-20 ELSE -k * 1e20 END      -- huge and tiny
         WHEN 6 THEN CASE WHEN k % 5 = 0 THEN 0 ELSE round((k - d / 3) * 3.33, 2) END   -- zeros and refunds
         ELSE CASE k % 2 WHEN 0 THEN 9223372036854775807 - k                  -- the ends of 64 bits,
                         ELSE -9223372036854775808 + k + CASE WHEN k % 7 = 0 THEN 0.5 ELSE 0 END END   -- then a decimal
       END AS x
  FROM (SELECT g, CASE g WHEN 1 THEN 1 WHEN 2 THEN 1024 WHEN 8 THEN 1024 WHEN 3 THEN 1023
                         ELSE 1 + (g * 131) % 1024 END AS d
          FROM generate_series(1, 160) g) gs,
       generate_series(1, d) k, generate_series(1, 1 + (k * g) % 3) r;
CREATE TEMP TABLE ps AS
SELECT '{0, 0.001, 0.01, 0.1, 0.25, 0.3333333333333333, 0.5, 0.6, 0.75, 0.9, 0.99, 0.999, 1, 0.123456789, 0.987654321}'::float8[] AS p;
CREATE TEMP TABLE sums AS
SELECT g, ticket_agg(x) t, median_ticket(x) mt, count(DISTINCT x) nd, count(DISTINCT scale(x)) = 1 AS one_scale,
       percentile_disc((SELECT p FROM ps)) WITHIN GROUP (ORDER BY x) e,
       percentile_disc(0.5) WITHIN GROUP (ORDER BY x) med
  FROM ex GROUP BY g;

SELECT is((SELECT count(*) FROM sums WHERE nd BETWEEN 1 AND 1024), 160::bigint, '160 groups of 1 to 1,024 distinct amounts');
SELECT is((SELECT count(*) FROM sums WHERE t::text !~ '"amounts":"'), 0::bigint, 'every one an exact list');
SELECT is((SELECT count(*) FROM sums, LATERAL unnest((SELECT p FROM ps), e) u(p, ex) WHERE percentile(t, p) IS DISTINCT FROM ex),
          0::bigint, 'percentile(t, p) = percentile_disc(p) for 15 values of p in every group');
SELECT is((SELECT count(*) FROM sums, LATERAL unnest(percentiles(t, (SELECT p FROM ps)), e) u(est, ex) WHERE est IS DISTINCT FROM ex),
          0::bigint, 'percentiles(t, ps) = percentile_disc(ps)');
SELECT is((SELECT count(*) FROM sums WHERE median(t) <> med OR mt <> med), 0::bigint,
          'median(t) and median_ticket(x) = percentile_disc(0.5)');
SELECT is((SELECT count(*) FROM sums, LATERAL unnest(percentiles(t, (SELECT p FROM ps)), e) u(est, ex)
            WHERE one_scale AND est::text <> ex::text), 0::bigint,
          'amounts of one scale: the same text too (the same scale)');
SELECT cmp_ok((SELECT count(*) FROM sums WHERE one_scale), '>=', 60::bigint, '  (of the 160 groups, those of amounts of one scale)');
SELECT is((SELECT count(*) FROM sums, LATERAL unnest(percentiles(t, (SELECT p FROM ps)), e) u(est, ex)
            WHERE scale(est) <> (SELECT max(scale(x)) FROM ex WHERE ex.g = sums.g)), 0::bigint,
          'mixed scales: the value at the summary''s scale, the largest of its amounts, as smallest() and largest()');
SELECT is((SELECT count(*) FROM sums JOIN (SELECT g, avg(x) a, sum(x) s, min(x) mi, max(x) ma, CASE WHEN abs(stddev_samp(x)) > 1e-300 THEN stddev_samp(x)::float8 END sd
                            FROM ex GROUP BY g) e
                USING (g) WHERE mean(t) <> a OR total(t) <> s OR smallest(t) <> mi OR largest(t) <> ma OR abs(stddev_amount(t) - sd) > 1e-9 * sd),
          0::bigint, 'mean, total, smallest, largest and stddev_amount, the sums derived from the list, equal avg, sum, min, max and stddev_samp (where a double holds it)');

-- Partial summaries merged: the same bytes, the same percentiles.  The
-- state of median_ticket (no sums) is median_ticket_state's.
CREATE AGGREGATE median_ticket_state(numeric) (SFUNC = heartbeat.ticket_trans, STYPE = heartbeat.ticket_summary,
    COMBINEFUNC = heartbeat.ticket_combine, PARALLEL = SAFE,
    INITCOND = '{"version":1,"deals":0,"scale":0,"at_scale":0,"sum":null,"sum_squares":null,"smallest":null,"largest":null,"sketch":"AAAA"}');
CREATE TEMP TABLE parts AS SELECT g, k % 5 AS part, ticket_agg(x) t, median_ticket_state(x) m FROM ex GROUP BY g, k % 5;
SELECT is((SELECT count(*) FROM (SELECT g, rollup(t ORDER BY random()) t, rollup(m ORDER BY random()) m FROM parts GROUP BY g) r
             JOIN (SELECT g, ticket_agg(x ORDER BY random()) t, median_ticket_state(x ORDER BY random()) m FROM ex GROUP BY g) w USING (g)
            WHERE NOT (SELECT a *= b FROM (SELECT r.t) a, (SELECT w.t) b) OR NOT (SELECT a *= b FROM (SELECT r.m) a, (SELECT w.m) b)),
          0::bigint, 'rollup of parts in random order = the aggregate of the rows in random order, byte for byte (ticket_agg and median_ticket''s state)');
SELECT is((SELECT count(*) FROM (SELECT g, median(rollup(m)) m FROM parts GROUP BY g) r JOIN sums USING (g) WHERE r.m <> sums.med),
          0::bigint, 'median of median_ticket''s merged states = percentile_disc(0.5)');

-- The sketch an exact list becomes: each amount in the bucket its row
-- would have reached.  A state that starts from a sketch (a summary of one
-- zero, written as a sketch) counts every row in its sketch; the rows'
-- exact summary merged with that one pours its list into a sketch.
CREATE AGGREGATE sketch_agg(numeric) (SFUNC = heartbeat.ticket_trans, STYPE = heartbeat.ticket_summary,
    INITCOND = '{"version":1,"deals":1,"scale":0,"at_scale":1,"sum":0,"sum_squares":0,"smallest":0,"largest":0,"sketch":"AQAA"}');
CREATE TEMP TABLE one_zero AS SELECT '{"version":1,"deals":1,"scale":0,"at_scale":1,"sum":0,"sum_squares":0,"smallest":0,"largest":0,"sketch":"AQAA"}'::ticket_summary z;
SELECT is((SELECT count(*) FROM (SELECT g, sketch_agg(x) s FROM ex GROUP BY g) a JOIN sums USING (g)
            WHERE NOT (SELECT p *= q FROM (SELECT a.s) p, (SELECT rollup(v) FROM (VALUES (sums.t), ((SELECT z FROM one_zero))) w(v)) q)),
          0::bigint, 'an exact list poured into a sketch = the rows counted in the sketch one by one, byte for byte (every kind and scale)');

-- ---------------------------------------------------------------------------
-- Passing the limit: 1,024 distinct amounts are a list, 1,025 a sketch.
-- ---------------------------------------------------------------------------
SELECT ok((SELECT ticket_agg(i)::text ~ '"amounts":"' FROM generate_series(1, 1024) i), '1,024 distinct amounts: an exact list');
SELECT ok((SELECT ticket_agg(i)::text ~ '"sketch":"' FROM generate_series(1, 1025) i), '1,025: a sketch');
SELECT ok((SELECT ticket_agg(i % 1024)::text ~ '"amounts":"' FROM generate_series(1, 100000) i), '1,024 distinct amounts over 100,000 deals: a list');
SELECT ok((SELECT x *= y FROM (SELECT rollup(t) FROM (SELECT ticket_agg(i) t FROM generate_series(1, 1024) i GROUP BY i % 2) q) x,
                             (SELECT ticket_agg(i) FROM generate_series(1, 1024) i) y)
          AND (SELECT rollup(t)::text ~ '"amounts":"' FROM (SELECT ticket_agg(i) t FROM generate_series(1, 1024) i GROUP BY i % 2) q),
          'two halves of 512 merge into the list of 1,024');
SELECT ok((SELECT x *= y FROM (SELECT rollup(t) FROM (SELECT ticket_agg(i) t FROM generate_series(1, 1025) i GROUP BY i > 512) q) x,
                             (SELECT ticket_agg(i) FROM generate_series(1, 1025) i) y),
          '512 and 513 merge into the sketch of 1,025');

-- Two exact summaries whose union passes the limit (900 and 900 distinct
-- money amounts, 300 in common: 1,500) against the aggregate of all rows.
CREATE TABLE cr AS SELECT i, r, round(100 + i * 1.37, 2) AS x FROM generate_series(1, 1500) i, generate_series(1, 1 + i % 2) r;
-- a: amounts 1 to 900 (900 distinct); b: the second rows of 601 to 900 and
-- all of 901 to 1,500 (750 distinct, 150 of them also in a).
CREATE TEMP TABLE halves AS
SELECT (SELECT ticket_agg(x) FROM cr WHERE (i <= 900 AND r = 1) OR (i <= 600 AND r = 2)) a,
       (SELECT ticket_agg(x) FROM cr WHERE i > 900 OR (i > 600 AND r = 2)) b,
       (SELECT ticket_agg(x) FROM cr) whole;
SELECT ok((SELECT a::text ~ '"amounts":"' AND b::text ~ '"amounts":"' AND whole::text ~ '"sketch":"' FROM halves),
          'two exact halves, their union a sketch');
SELECT ok((SELECT x *= y FROM halves, LATERAL (SELECT ticket_combine(a, b)) x, LATERAL (SELECT whole) y), 'merged one way: the bytes of all rows at once');
SELECT ok((SELECT x *= y FROM halves, LATERAL (SELECT ticket_combine(b, a)) x, LATERAL (SELECT whole) y), 'and the other way');
CREATE TEMP TABLE shuffles AS
SELECT n, (SELECT rollup(t ORDER BY random()) FROM (SELECT ticket_agg(x) t FROM cr GROUP BY i % (n + 1)) q) t
  FROM generate_series(1, 12) n;
SELECT is((SELECT count(*) FROM shuffles, halves WHERE NOT (SELECT p *= q FROM (SELECT t) p, (SELECT whole) q)), 0::bigint,
          'split 2 to 13 ways, merged in random order: the same bytes every time');
SELECT ok((SELECT x *= y FROM (SELECT ticket_agg(x ORDER BY random()) FROM cr) x, (SELECT whole FROM halves) y),
          'the rows in random order: the same bytes');

-- Amounts at more than 38 decimals are numerics in the list, zeros too,
-- whichever comes first.
SELECT ok((SELECT x *= y AND x.s::text ~ '"amounts":"AQEI'
             FROM (SELECT ticket_agg(v ORDER BY o) s FROM (VALUES (1, 0), (2, 0.0000000000000000000000000000000000000000)) a(o, v)) x,
                  (SELECT ticket_agg(v ORDER BY o DESC) s FROM (VALUES (1, 0), (2, 0.0000000000000000000000000000000000000000)) a(o, v)) y),
          'zero at scale 0 and at 40 decimals: one numeric amount, in either order');

-- Under a parallel plan: 40 groups of 100 to 2,000 distinct amounts, whose
-- partial states are exact and whose merges may pass the limit.
CREATE TABLE pa AS
SELECT g, round(50 + (i * 7919 % 100003) * 0.37, 2) AS x
  FROM generate_series(1, 40) g, generate_series(1, 100 + g * 48) i, generate_series(1, 1 + i % 3) r;
ANALYZE pa;
SET LOCAL max_parallel_workers_per_gather = 0;
CREATE TEMP TABLE serial AS SELECT g, ticket_agg(x) t, median_ticket_state(x) m FROM pa GROUP BY g;
\ir lib/force_parallel.psql
\ir lib/plan_of.psql
SELECT matches(plan_of('SELECT g, ticket_agg(x) FROM pa GROUP BY g'), 'Partial .*Aggregate', 'ticket_agg runs as a parallel partial aggregate');
SELECT is((SELECT count(*) FROM serial s JOIN (SELECT g, ticket_agg(x) t, median_ticket_state(x) m FROM pa GROUP BY g) p USING (g)
            WHERE NOT (SELECT a *= b FROM (SELECT s.t) a, (SELECT p.t) b) OR NOT (SELECT a *= b FROM (SELECT s.m) a, (SELECT p.m) b)),
          0::bigint, 'per-group summaries byte-identical with and without parallel workers');
SELECT is((SELECT count(*) FILTER (WHERE t::text ~ '"amounts":"') || ' exact, ' || count(*) FILTER (WHERE t::text ~ '"sketch":"') || ' sketches' FROM serial),
          '19 exact, 21 sketches', '  (groups on both sides of the limit)');
SELECT is((SELECT count(*) FROM (SELECT g, median_ticket(x) m, percentile_disc(0.5) WITHIN GROUP (ORDER BY x) e,
                                        (SELECT count(DISTINCT x) FROM pa p2 WHERE p2.g = pa.g) nd FROM pa GROUP BY g) q
            WHERE nd <= 1024 AND m <> e), 0::bigint, 'median_ticket under a parallel plan = percentile_disc(0.5) where exact');
RESET max_parallel_workers_per_gather;

-- ---------------------------------------------------------------------------
-- Text and binary forms.
-- ---------------------------------------------------------------------------
SELECT is((SELECT count(*) FROM sums WHERE NOT (SELECT a *= b FROM (SELECT t) a, (SELECT t::text::ticket_summary) b)
                                        OR NOT (SELECT a *= b FROM (SELECT mt) a, (SELECT mt) b)), 0::bigint,
          'every exact summary''s text reads back byte-identical');
SELECT is((SELECT count(*) FROM parts WHERE NOT (SELECT a *= b FROM (SELECT m) a, (SELECT m::text::ticket_summary) b)), 0::bigint,
          'so does median_ticket''s exact state (no sums)');
SELECT is((SELECT count(*) FROM sums WHERE g % 8 IN (0, 3, 5, 7) AND pg_temp.recv('ticket_summary', ticket_summary_send(t)) <> t::text),
          0::bigint, 'binary round trips of exact summaries: integers, numerics, and a list turned numeric mid-way');
SELECT is((SELECT count(*) FROM parts WHERE g < 9 AND part = 0 AND pg_temp.recv('ticket_summary', ticket_summary_send(m)) <> m::text),
          0::bigint, 'and of median_ticket''s states');

-- Corrupted lists: refused (22P02 text, 22P03 binary), whatever the byte.
-- 5, 7, 7: two amounts, integers, 5 (zigzag 10) once, then a gap of 1 twice.
CREATE TEMP TABLE five_seven AS SELECT ticket_agg(x) s FROM (VALUES (5), (7), (7)) v(x);
SELECT is(s::text, '{"version":1,"deals":3,"scale":0,"at_scale":3,"sum":19,"sum_squares":123,"smallest":5,"largest":7,"amounts":"AgAKAQEC"}',
          'the text of an exact summary: the list in base64') FROM five_seven;
CREATE FUNCTION with_list(b bytea, deals int DEFAULT 3) RETURNS text LANGUAGE sql AS $$
SELECT format('{"version":1,"deals":%s,"scale":0,"at_scale":%s,"sum":19,"sum_squares":123,"smallest":5,"largest":7,"amounts":"%s"}',
              deals, deals, translate(encode(b, 'base64'), E'\n', '')) $$;
SELECT is(pg_temp.try_sqlstate(format('SELECT %L::ticket_summary', with_list(b))), '22P02', why)
  FROM (VALUES ('\x02000a010103'::bytea, 'counts adding up to 4 deals, not 3'),
               ('\x02000a0101', 'truncated'),
               ('\x02000a01010200', 'a trailing byte'),
               ('\x0000', 'no amounts'),
               ('\x810800', 'more than 1,024 amounts'),
               ('\x02020a010102', 'an unknown form'),
               ('\x02000a000102', 'a count of 0'),
               ('\x02000a01ffffffffffffffffff0102', 'a gap past 64 bits'),
               ('\x02000c010102', 'smallest 6, not 5'),
               ('\x02000a010202', 'largest 8, not 7, and the sum')) v(b, why);
SELECT is(pg_temp.try_sqlstate(format('SELECT %L::ticket_summary', t)), '22P02', why)
  FROM (VALUES ('{"version":1,"deals":0,"scale":0,"at_scale":0,"sum":0,"sum_squares":0,"smallest":null,"largest":null,"amounts":"AQAAAQ=="}', 'a list without deals'),
               ('{"version":1,"deals":3,"scale":0,"at_scale":3,"sum":19,"sum_squares":123,"smallest":5,"largest":7,"amounts":null}', 'amounts null'),
               ('{"version":1,"deals":3,"scale":0,"at_scale":3,"sum":19,"sum_squares":124,"smallest":5,"largest":7,"amounts":"AgAKAQEC"}', 'a sum of squares that is not the list''s'),
               ('{"version":1,"deals":3,"scale":0,"at_scale":3,"sum":19,"sum_squares":123,"smallest":5,"largest":7,"sketch":"AgAKAQEC"}', 'a list given as a sketch')) v(t, why);
SELECT is((SELECT count(*) FROM five_seven, generate_series(1, length(ticket_summary_send(s))) i, unnest('{0, 1, 127, 128, 255}'::int[]) b
            WHERE pg_temp.try_sqlstate(format('SELECT pg_temp.recv(%L, %L)', 'ticket_summary',
                                              overlay(ticket_summary_send(s) placing set_byte('\x00', 0, b) from i for 1)))
                  !~ '^(ok|22P03|0A000)$'), 0::bigint,
          'any byte of a binary exact summary set to 0x00, 0x01, 0x7f, 0x80 or 0xff: accepted, 22P03, or 0A000 for a newer format version');
SELECT is((SELECT count(*) FROM sums, unnest('{0, 1, 127, 128, 255}'::int[]) b
            WHERE g = 3 AND pg_temp.try_sqlstate(format('SELECT pg_temp.recv(%L, %L)', 'ticket_summary',
                                                        ticket_summary_send(t) || set_byte('\x00', 0, b))) <> '22P03'), 0::bigint,
          'a byte appended to a binary exact summary of numerics: 22P03');

-- ---------------------------------------------------------------------------
-- Size: the list is a few bytes an amount.
-- ---------------------------------------------------------------------------
SELECT cmp_ok((SELECT pg_column_size(t) FROM sums WHERE g = 8), '<', 4096, '1,024 distinct money amounts: under 4 kB');
SELECT cmp_ok((SELECT pg_column_size(ticket_agg(x)) FROM (SELECT 5000 FROM generate_series(1, 10) UNION ALL SELECT 100000) v(x)), '<=', 48,
              'ten deals of 5,000 and one of 100,000: 48 bytes at most (the sums follow from the list)');

SELECT * FROM finish();
ROLLBACK;
