-- pgTAP: every summary type has = and <> and a hash operator class.  Two
-- summaries are equal exactly when their text (and their binary form) is
-- the same; SELECT DISTINCT, UNION, GROUP BY and hash joins on summaries
-- count what the same queries on their text count; the same rows in any
-- order or split give equal summaries; equal summaries hash alike; an
-- aggregate's result in the same query (an expanded state) equals its
-- stored form.
\ir lib/begin.psql
\ir lib/plan_of.psql
SELECT plan(136);

-- ---------------------------------------------------------------------------
-- Rows in 48 groups of 1 to 1,500 rows; groups g and g + 24 hold the same
-- rows (so distinct groups give equal summaries).  Groups of 1,500 rows
-- have over 1,024 distinct amounts (a sketch) and 17+ rows make a big
-- (expanded) state.  Some outcomes, amounts and closes are NULL.
-- ---------------------------------------------------------------------------
CREATE TEMP TABLE d AS
SELECT g, r, h, n,
       CASE WHEN (r + h) % 3 = 0 THEN true WHEN (r + h) % 3 = 1 THEN false END AS won,
       CASE WHEN r % 11 = 0 THEN NULL
            WHEN n = 1500 THEN round(10 + r * 1.37 + h, 2)
            ELSE round(100 + (r * h) % 50 * 3.5, 2) END AS amt,
       date '2026-01-01' + (r * h) % 97 AS od,
       CASE WHEN r % 7 <> 3 THEN date '2026-01-01' + (r * h) % 97 + (r * 7 + h) % 60 END AS cd,
       timestamptz '2026-01-01 00:00:00+00' + (r * h) % 97 * interval '1 day' AS ot,
       CASE WHEN r % 7 <> 3 THEN timestamptz '2026-01-01 00:00:00+00' + ((r * h) % 97 + (r * 7 + h) % 60) * interval '1 day'
                                 + r % 5 * interval '37 minutes 3 seconds' END AS ct,
       (r * 13 + h) % 300 AS customer,
       date '2025-01-01' + (r * 17 + h) % 500 AS at,
       round(((r * h) % 90)::numeric, 2) AS rev,
       1 + (r * h) % 6 AS stage
  FROM (SELECT g, g % 24 AS h, (ARRAY[1, 3, 15, 16, 17, 40, 200, 1500])[1 + g % 8] AS n
          FROM generate_series(0, 47) g) gs,
       generate_series(1, n) r;

-- The states of avg_ticket (mean-only), median_ticket (sketch-only) and
-- avg_cycle (mean-only), as heartbeat declares them.
DO $$
DECLARE a record;
BEGIN
  FOR a IN SELECT * FROM (VALUES ('avg_ticket_state', 'numeric', 'ticket', 'heartbeat.avg_ticket(numeric)'),
                                 ('median_ticket_state', 'numeric', 'ticket', 'heartbeat.median_ticket(numeric)'),
                                 ('avg_cycle_state', 'date, date', 'cycle', 'heartbeat.avg_cycle(date,date)')) v(name, args, fam, agg)
  LOOP
    EXECUTE format('CREATE AGGREGATE %I(%s) (SFUNC = heartbeat.%I, STYPE = heartbeat.%I, COMBINEFUNC = heartbeat.%I, INITCOND = %L)',
                   a.name, a.args, a.fam || '_trans', a.fam || '_summary', a.fam || '_combine',
                   (SELECT agginitval FROM pg_aggregate WHERE aggfnoid = a.agg::regprocedure));
  END LOOP;
END $$;

-- ---------------------------------------------------------------------------
-- For each type a table of summaries: per group and kind, the aggregate in
-- row order ('direct'), in a random order ('shuffled') and rolled up from
-- three parts in a random order ('rolled up'); two empty summaries and a NULL.
-- ---------------------------------------------------------------------------
CREATE TEMP TABLE kinds (typ text, kind text, agg text);
INSERT INTO kinds VALUES
  ('conversion_summary', 'full', 'conversion_agg(won%s)'),
  ('ticket_summary', 'full', 'ticket_agg(amt%s)'),
  ('ticket_summary', 'mean-only', 'avg_ticket_state(amt%s)'),
  ('ticket_summary', 'sketch-only', 'median_ticket_state(amt%s)'),
  ('cycle_summary', 'days', 'cycle_agg(od, cd%s)'),
  ('cycle_summary', 'sketches', 'cycle_agg(ot, ct%s)'),
  ('cycle_summary', 'mean-only', 'avg_cycle_state(od, cd%s)'),
  ('retention_summary', 'activity', 'retention_agg(''month'', customer, at%s)'),
  ('retention_summary', 'revenue', 'retention_agg(''week'', customer, at, rev%s)'),
  ('funnel_summary', 'full', 'funnel_agg(stage%s)');
CREATE TEMP TABLE types AS SELECT DISTINCT typ FROM kinds;

DO $$
DECLARE t text; k record;
BEGIN
  FOR t IN SELECT typ FROM types LOOP
    EXECUTE format('CREATE TEMP TABLE %I (g int, n int, kind text, how text, s heartbeat.%I)', 'eq_' || t, t);
    FOR k IN SELECT * FROM kinds WHERE typ = t LOOP
      EXECUTE format('INSERT INTO %I SELECT g, min(n), %L, ''direct'', %s FROM d GROUP BY g',
                     'eq_' || t, k.kind, format(k.agg, ''));
      EXECUTE format('INSERT INTO %I SELECT g, min(n), %L, ''shuffled'', %s FROM d GROUP BY g',
                     'eq_' || t, k.kind, format(k.agg, ' ORDER BY random()'));
      EXECUTE format('INSERT INTO %I SELECT g, min(n), %L, ''rolled up'', heartbeat.rollup(p ORDER BY random())
                        FROM (SELECT g, min(n) n, %s p FROM d GROUP BY g, r %% 3) x GROUP BY g',
                     'eq_' || t, k.kind, format(k.agg, ''));
      EXECUTE format('INSERT INTO %I SELECT NULL, 0, %L, ''empty'', %s FROM d WHERE false',
                     'eq_' || t, k.kind, format(k.agg, ''));
    END LOOP;
    EXECUTE format('INSERT INTO %I SELECT NULL, 0, ''none'', ''NULL'', NULL', 'eq_' || t);
    EXECUTE format('ANALYZE %I', 'eq_' || t);
  END LOOP;
END $$;

-- A count from a query, with a type's table in place of %1$s and the type in %2$s.
CREATE FUNCTION n(q text, t text) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE r bigint;
BEGIN
  EXECUTE format(q, 'eq_' || t, t) INTO r;
  RETURN r;
END $$;

SELECT is((SELECT count(*) FROM types), 5::bigint, 'five summary types');
SELECT is((SELECT string_agg(kind || ' ' || tag, ', ' ORDER BY kind, tag) FROM
             (SELECT DISTINCT kind, CASE WHEN s::text ~ '"amounts":' THEN 'list' WHEN s::text ~ '"sketch":"' THEN 'sketch' ELSE 'other' END tag
                FROM eq_ticket_summary WHERE kind <> 'mean-only' AND how <> 'empty' AND s IS NOT NULL) x),
          'full list, full sketch, sketch-only list, sketch-only sketch',
          'ticket: exact lists and sketches (past 1,024 distinct amounts), full and sketch-only');
SELECT is((SELECT string_agg(DISTINCT kind || ' ' || CASE WHEN s::text ~ '"days":' THEN 'days' WHEN s::text ~ '"sketches":"' THEN 'sketches' ELSE 'mean-only' END, ', ')
             FROM eq_cycle_summary WHERE how <> 'empty' AND s IS NOT NULL),
          'days days, mean-only mean-only, sketches sketches', 'cycle: day summaries, sketch summaries and mean-only ones');

-- ---------------------------------------------------------------------------
-- = is text equality, and send() equality; <> its negation; STRICT.
-- ---------------------------------------------------------------------------
SELECT is(n('SELECT count(*) FROM %1$I a, %1$I b WHERE (a.s = b.s) IS DISTINCT FROM (a.s::text = b.s::text)', typ), 0::bigint,
          typ || ': a = b exactly when a::text = b::text, over every pair') FROM types ORDER BY typ;
SELECT is(n('SELECT count(*) FROM %1$I a, %1$I b WHERE (a.s = b.s) IS DISTINCT FROM (heartbeat.%2$s_send(a.s) = heartbeat.%2$s_send(b.s))', typ), 0::bigint,
          typ || ': a = b exactly when their binary forms are the same') FROM types ORDER BY typ;
SELECT is(n('SELECT count(*) FROM %1$I a, %1$I b WHERE (a.s <> b.s) IS DISTINCT FROM NOT (a.s = b.s)', typ), 0::bigint,
          typ || ': a <> b is NOT (a = b)') FROM types ORDER BY typ;
SELECT cmp_ok(n('SELECT count(*) FROM %1$I a, %1$I b WHERE a.g <> b.g AND a.s = b.s', typ), '>=', 24::bigint * 3 * 3,
              typ || ': groups of the same rows give equal summaries (and the data has such pairs)') FROM types ORDER BY typ;
SELECT cmp_ok(n('SELECT count(DISTINCT s::text) FROM %1$I', typ), '>=', 10::bigint,
              typ || ': and it has many different summaries') FROM types ORDER BY typ;
SELECT is(n('SELECT count(*) FROM %1$I WHERE s IS NOT NULL AND ((s = NULL) IS NOT NULL OR (NULL <> s) IS NOT NULL
               OR heartbeat.summary_hash(NULL::heartbeat.%2$s) IS NOT NULL OR heartbeat.summary_hash_extended(s, NULL) IS NOT NULL)', typ),
          0::bigint, typ || ': with a NULL, =, <> and the hashes give NULL (STRICT)') FROM types ORDER BY typ;

-- The same rows in any order, or split and rolled up: equal summaries.
SELECT is(n('SELECT count(*) FROM %1$I a JOIN %1$I b USING (g, kind) WHERE a.how = ''direct'' AND b.how IN (''shuffled'', ''rolled up'') AND NOT a.s = b.s', typ),
          0::bigint, typ || ': in a random order, and split in three and rolled up: equal to the summary in row order') FROM types ORDER BY typ;

-- ---------------------------------------------------------------------------
-- DISTINCT, UNION, GROUP BY and joins count what they count on the text:
-- with hash aggregation allowed, and with it off (summaries, which have
-- no order, still hash; the text then sorts).
-- ---------------------------------------------------------------------------
CREATE TEMP TABLE shapes (shape text, on_s text, on_text text);
INSERT INTO shapes VALUES
  ('SELECT DISTINCT', 'SELECT count(*) FROM (SELECT DISTINCT s FROM %1$I) x',
                      'SELECT count(*) FROM (SELECT DISTINCT s::text FROM %1$I) x'),
  ('UNION', 'SELECT count(*) FROM (SELECT s FROM %1$I WHERE how <> ''shuffled'' UNION SELECT s FROM %1$I WHERE how <> ''direct'') x',
            'SELECT count(*) FROM (SELECT s::text FROM %1$I WHERE how <> ''shuffled'' UNION SELECT s::text FROM %1$I WHERE how <> ''direct'') x'),
  ('GROUP BY', 'SELECT hashtext(string_agg(c::text, '','' ORDER BY c)) FROM (SELECT count(*) c FROM %1$I GROUP BY s) x',
               'SELECT hashtext(string_agg(c::text, '','' ORDER BY c)) FROM (SELECT count(*) c FROM %1$I GROUP BY s::text) x'),
  ('JOIN', 'SELECT count(*) FROM %1$I a JOIN %1$I b ON a.s = b.s',
           'SELECT count(*) FROM %1$I a JOIN %1$I b ON a.s::text = b.s::text');

SELECT is(n(on_s, typ), n(on_text, typ), typ || ': ' || shape || ' on summaries counts what it counts on their text')
  FROM types, shapes ORDER BY typ, shape;

SET LOCAL enable_hashagg = off;
SET LOCAL enable_nestloop = off;
SET LOCAL enable_mergejoin = off;
SELECT is(n(on_s, typ), n(on_text, typ), typ || ': ' || shape || ', hash aggregation off: the same')
  FROM types, shapes ORDER BY typ, shape;
SELECT matches(plan_of(format('SELECT s, count(*) FROM %I GROUP BY s', 'eq_' || typ)), '^HashAggregate',
               typ || ': GROUP BY s is a HashAggregate (even with enable_hashagg off: no sort order)') FROM types ORDER BY typ;
SELECT matches(plan_of(format('SELECT DISTINCT s FROM %I', 'eq_' || typ)), '^HashAggregate', typ || ': so is SELECT DISTINCT s')
  FROM types ORDER BY typ;
SELECT matches(plan_of(format('SELECT count(*) FROM %1$I a JOIN %1$I b ON a.s = b.s', 'eq_' || typ)), 'Hash Join.*\n.*Hash Cond: \(a\.s = b\.s\)',
               typ || ': a.s = b.s is a Hash Join on the summaries') FROM types ORDER BY typ;
RESET enable_hashagg;
RESET enable_nestloop;
RESET enable_mergejoin;

-- count(DISTINCT s) sorts its input: summaries have no order.
SELECT throws_ok(format('SELECT count(DISTINCT s) FROM %I', 'eq_' || typ), '42883', NULL,
                 typ || ': count(DISTINCT s) is an ERROR (no ordering); count(*) of SELECT DISTINCT s is the way') FROM types ORDER BY typ;

-- ---------------------------------------------------------------------------
-- Hashes: equal summaries hash alike; the extended hash with seed 0 has the
-- plain hash in its low 32 bits (as PostgreSQL's own hash functions), and
-- another seed gives another hash.
-- ---------------------------------------------------------------------------
SELECT is(n('SELECT count(*) FROM %1$I a, %1$I b WHERE a.s = b.s AND (heartbeat.summary_hash(a.s) <> heartbeat.summary_hash(b.s)
               OR heartbeat.summary_hash_extended(a.s, 0) <> heartbeat.summary_hash_extended(b.s, 0)
               OR heartbeat.summary_hash_extended(a.s, 42) <> heartbeat.summary_hash_extended(b.s, 42))', typ),
          0::bigint, typ || ': equal summaries have equal hashes (plain, seed 0, seed 42)') FROM types ORDER BY typ;
SELECT is(n('SELECT count(DISTINCT heartbeat.summary_hash(s)) - count(DISTINCT s::text) FROM %1$I', typ), 0::bigint,
          typ || ': different summaries here have different hashes') FROM types ORDER BY typ;
SELECT is(n('SELECT count(*) FROM %1$I WHERE s IS NOT NULL AND (heartbeat.summary_hash_extended(s, 0) & 4294967295
               <> heartbeat.summary_hash(s)::bigint & 4294967295 OR heartbeat.summary_hash_extended(s, 0) = heartbeat.summary_hash_extended(s, 1))', typ),
          0::bigint, typ || ': the extended hash, seed 0, has the hash in its low 32 bits; seed 1 gives another') FROM types ORDER BY typ;

-- ---------------------------------------------------------------------------
-- An aggregate's result in the same query equals its stored form, hashes
-- alike, and groups as it; so does a toasted stored value.  On PostgreSQL
-- 16 and later the result of a group of over 16 rows reaches = as the
-- aggregate's expanded state (read-only); 15 flattens it first.
-- ---------------------------------------------------------------------------
SELECT is(n(format('SELECT count(*) FROM (SELECT g, %s = (SELECT s FROM %%1$I e WHERE e.g = d.g AND e.kind = %L AND e.how = ''direct'') eq,
                                             heartbeat.summary_hash(%1$s) = (SELECT heartbeat.summary_hash(s) FROM %%1$I e WHERE e.g = d.g AND e.kind = %2$L AND e.how = ''direct'') heq
                                        FROM d GROUP BY g) x WHERE eq AND heq', format(agg, ''), kind), typ),
          48::bigint, typ || ' (' || kind || '): the aggregate in the same query equals the stored summary, and hashes alike, in all 48 groups')
  FROM kinds ORDER BY typ, kind;
SELECT is(n(format('SELECT count(*) FROM (SELECT s FROM (SELECT %s s FROM d GROUP BY g) a GROUP BY s) x', format(agg, '')), typ),
          n(format('SELECT count(DISTINCT s::text) FROM %%1$I WHERE kind = %L AND how = ''direct''', kind), typ),
          typ || ' (' || kind || '): GROUP BY of aggregate results in a subquery: as many groups as different texts')
  FROM kinds ORDER BY typ, kind;

-- Stored values kept out of line (toasted, uncompressed): daily retention
-- of every row, in row order and shuffled.
CREATE TEMP TABLE toasted (how text, s retention_summary);
ALTER TABLE toasted ALTER s SET STORAGE external;
INSERT INTO toasted SELECT 'direct', retention_agg('day', customer, at, rev) FROM d;
INSERT INTO toasted SELECT 'shuffled', retention_agg('day', customer, at, rev ORDER BY random()) FROM d;
SELECT is(n(format('SELECT count(DISTINCT chunk_id) FROM %s', (SELECT reltoastrelid::regclass FROM pg_class WHERE oid = 'toasted'::regclass)), ''),
          2::bigint, 'retention: two big summaries stored toasted');
SELECT is((SELECT count(*) FROM toasted a JOIN toasted b ON a.s = b.s AND a.how < b.how), 1::bigint,
          'retention: toasted, they are equal');
SELECT is((SELECT count(*) FROM toasted WHERE s = (SELECT retention_agg('day', customer, at, rev) FROM d)
                                         AND s <> (SELECT retention_agg('day', customer, at) FROM d)), 2::bigint,
          'retention: and equal to the aggregate in the same query (not to the summary without revenue)');

SELECT * FROM finish();
ROLLBACK;
