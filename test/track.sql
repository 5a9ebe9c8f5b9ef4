-- pgTAP: track() keeps per-day summaries of a deals table that equal a fresh
-- aggregation of the table, byte for byte, after random mixes of INSERT,
-- UPDATE (of the day, the segment, the outcome, the amount), DELETE,
-- TRUNCATE and COPY, with savepoints rolled back, and after compact();
-- its errors; untrack(); a writer that is not the owner, under a hostile
-- search_path.
\ir lib/begin.psql
-- The writers' TimeZone must not matter: the days are cut in the tracked zone.
SET LOCAL TimeZone = 'Asia/Kolkata';
SELECT plan(27);

CREATE TABLE deals (id int PRIMARY KEY, rep text, opened_at timestamptz, closed_at timestamptz, won boolean,
                    amount numeric, customer_id int);

-- A fresh aggregation of deals per (day, segment), in plain SQL: what tracked_days() must give.
CREATE FUNCTION fresh(as_of timestamptz, g text, zone text) RETURNS TABLE (day date, segment text, opened bigint,
        opened_cycle heartbeat.cycle_summary, closed bigint, won bigint, conversion heartbeat.conversion_summary,
        ticket heartbeat.ticket_summary, cycle heartbeat.cycle_summary, retention heartbeat.retention_summary)
    LANGUAGE sql STABLE AS $$
  WITH op AS (SELECT (opened_at AT TIME ZONE zone)::date AS day, rep AS segment, count(*) AS n,
                     heartbeat.cycle_agg(opened_at, closed_at, as_of) AS cy
                FROM deals WHERE opened_at <= as_of GROUP BY 1, 2),
       cl AS (SELECT (closed_at AT TIME ZONE zone)::date AS day, rep AS segment, count(*) AS n,
                     count(*) FILTER (WHERE won) AS w, heartbeat.conversion_agg(won) AS cs,
                     heartbeat.ticket_agg(amount) FILTER (WHERE won) AS t, heartbeat.cycle_agg(opened_at, closed_at) AS cy,
                     heartbeat.retention_agg(g, customer_id, closed_at, zone) FILTER (WHERE won) AS r
                FROM deals WHERE closed_at <= as_of GROUP BY 1, 2)
  SELECT coalesce(op.day, cl.day), coalesce(op.segment, cl.segment), coalesce(op.n, 0), op.cy,
         coalesce(cl.n, 0), coalesce(cl.w, 0), cl.cs, cl.t, cl.cy, cl.r
    FROM op FULL JOIN cl ON op.day = cl.day AND op.segment IS NOT DISTINCT FROM cl.segment
$$;

-- Rows of tracked_days() and of fresh() that the other lacks, compared as text.
CREATE FUNCTION text_diff(as_of timestamptz, g text DEFAULT 'month', zone text DEFAULT 'UTC') RETURNS bigint
    LANGUAGE sql STABLE AS $$
  SELECT count(*) FROM (
    (SELECT t::text FROM heartbeat.tracked_days('deals', as_of, g) t EXCEPT ALL SELECT f::text FROM fresh(as_of, g, zone) f)
    UNION ALL
    (SELECT f::text FROM fresh(as_of, g, zone) f EXCEPT ALL SELECT t::text FROM heartbeat.tracked_days('deals', as_of, g) t)) x
$$;
-- The same with the summaries' = operator: keys missing on either side, or any figure not equal.
CREATE FUNCTION eq_diff(as_of timestamptz, g text DEFAULT 'month', zone text DEFAULT 'UTC') RETURNS bigint
    LANGUAGE sql STABLE AS $$
  SELECT count(*) FROM heartbeat.tracked_days('deals', as_of, g) t
    FULL JOIN fresh(as_of, g, zone) f ON t.day = f.day AND t.segment IS NOT DISTINCT FROM f.segment
   WHERE t.day IS NULL OR f.day IS NULL OR t.opened <> f.opened OR t.closed <> f.closed OR t.won <> f.won
      OR t.opened_cycle IS DISTINCT FROM f.opened_cycle OR t.conversion IS DISTINCT FROM f.conversion
      OR t.ticket IS DISTINCT FROM f.ticket OR t.cycle IS DISTINCT FROM f.cycle OR t.retention IS DISTINCT FROM f.retention
$$;

-- Random deals: whole-day and fractional cycles, open deals, NULL outcomes,
-- NULL segments, customers that come back, a few dirty rows (closed before opened).
CREATE FUNCTION random_deals(first_id int, n int) RETURNS SETOF deals LANGUAGE sql VOLATILE AS $$
  SELECT first_id + i, (ARRAY['north', 'south', 'east', NULL])[1 + floor(random() * 4)::int], o,
         CASE WHEN random() < 0.75 THEN o + (CASE WHEN random() < 0.5 THEN floor(random() * 40) * interval '1 day'
                                                  ELSE random() * interval '40 days' END)
                                          - CASE WHEN random() < 0.03 THEN interval '50 days' ELSE interval '0' END END,
         CASE WHEN random() < 0.9 THEN random() < 0.4 END,
         round((random() * 9000)::numeric, (random() * 2)::int), (random() * 60)::int
    FROM generate_series(0, n - 1) i,
         LATERAL (SELECT timestamptz '2025-01-01 00:00:00+00' + random() * interval '120 days' + i * interval '0 s' AS o) x
$$;

SELECT setseed(0.16);
INSERT INTO deals SELECT * FROM random_deals(0, 400);

-- Errors first.
CREATE VIEW deals_view AS SELECT * FROM deals;
CREATE TABLE no_amount (opened_at timestamptz, closed_at timestamptz, won boolean, customer_id int);
SELECT throws_ok($$SELECT heartbeat.track('deals_view')$$, '42809', NULL, 'a view cannot be tracked (42809)');
SELECT throws_ok($$SELECT heartbeat.track('no_amount')$$, '42703', NULL, 'a table without the amount column: 42703');
SELECT throws_ok($$SELECT heartbeat.track('deals', segment => 'team')$$, '42703', NULL, 'an unknown segment column: 42703');
SELECT throws_ok($$SELECT heartbeat.track('deals', zone => 'Mars/Olympus')$$, '22023', NULL, 'an unknown zone: 22023');
CREATE TABLE deals_heartbeat (x int);
SELECT throws_ok($$SELECT heartbeat.track('deals', segment => 'rep')$$, '42P07', NULL,
                 'a relation where the tracked table would go: 42P07');
DROP TABLE deals_heartbeat;
SELECT throws_ok($$SELECT * FROM heartbeat.tracked_days('deals')$$, '55000', NULL, 'tracked_days() of an untracked table: 55000');

SELECT is(heartbeat.track('deals', segment => 'rep')::text, 'deals_heartbeat', 'track() creates deals_heartbeat');
SELECT throws_ok($$SELECT heartbeat.track('deals')$$, '42710', NULL, 'tracking a tracked table again: 42710');
SELECT is((SELECT string_agg(concat_ws('|', deals, tracked_table, opened_at, closed_at, won, amount, customer_id, segment, zone), ',')
             FROM heartbeat.tracked), 'deals|deals_heartbeat|opened_at|closed_at|won|amount|customer_id|rep|UTC',
          'heartbeat.tracked lists it with its mapping');
SELECT is(text_diff('2026-01-01'), 0::bigint, 'after track(): the tracked days equal a fresh aggregation (as text)');

-- Inserts only: every key is read from its deltas (no dirty row), in several statements and by COPY.
INSERT INTO deals SELECT * FROM random_deals(1000, 300);
INSERT INTO deals SELECT * FROM random_deals(2000, 1);
COPY deals FROM STDIN;
3000	north	2025-02-03 10:00:00+00	2025-02-05 10:00:00+00	t	120.50	7
3001	\N	2025-02-03 23:30:00+00	\N	\N	99	7
3002	south	2025-02-04 00:30:00+00	2025-02-04 20:00:00+00	f	0	8
\.
SELECT is((SELECT count(*) FROM deals_heartbeat WHERE kind <> 'delta'), 0::bigint, 'inserts append deltas only');
SELECT is(text_diff('2026-01-01'), 0::bigint, 'after inserts and COPY: equal as text');
SELECT is(eq_diff('2026-01-01', 'week'), 0::bigint, 'and with the summaries'' = operator (weekly retention)');
-- An as_of inside the data: keys with later times come from the source, the others from deltas.
SELECT is(text_diff('2025-02-20 12:00:00+00', 'day'), 0::bigint, 'as_of inside the data: equal as text (daily retention)');

-- Random mixes, some in subtransactions rolled back.
CREATE FUNCTION random_writes(steps int, first_id int) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    r float8;
BEGIN
    FOR i IN 1 .. steps LOOP
        r := random();
        BEGIN
            IF r < 0.3 THEN
                INSERT INTO deals SELECT * FROM random_deals(first_id + i * 100, (random() * 20)::int);
            ELSIF r < 0.4 THEN
                UPDATE deals SET opened_at = opened_at + floor(random() * 5 - 2) * interval '1 day' WHERE random() < 0.05;
            ELSIF r < 0.5 THEN
                UPDATE deals SET rep = (ARRAY['north', 'south', NULL])[1 + floor(random() * 3)::int] WHERE random() < 0.05;
            ELSIF r < 0.6 THEN
                UPDATE deals SET closed_at = opened_at + random() * interval '10 days', won = random() < 0.5
                 WHERE closed_at IS NULL AND random() < 0.2;
            ELSIF r < 0.7 THEN
                UPDATE deals SET won = NOT won, amount = amount + 1 WHERE random() < 0.05;
            ELSIF r < 0.8 THEN
                DELETE FROM deals WHERE random() < 0.03;
            ELSIF r < 0.85 AND i < steps THEN    -- never last: the mix ends with writes
                PERFORM heartbeat.compact('deals');
            ELSE
                -- Rolled back: inserts, an update and a delete in a subtransaction.
                INSERT INTO deals SELECT * FROM random_deals(first_id + i * 100, 10);
                UPDATE deals SET amount = amount * 2 WHERE random() < 0.2;
                DELETE FROM deals WHERE random() < 0.2;
                RAISE EXCEPTION 'roll back';
            END IF;
        EXCEPTION WHEN raise_exception THEN
            NULL;
        END;
    END LOOP;
END $$;
SELECT random_writes(60, 10000);
SELECT cmp_ok((SELECT count(*) FROM deals_heartbeat WHERE kind = 'dirty'), '>', 0::bigint,
              'the mix left dirty keys to be read from the source');
SELECT is(text_diff('2026-01-01'), 0::bigint, 'after a random mix: equal as text');
SELECT is(eq_diff('2025-03-01', 'quarter'), 0::bigint, 'and with =, as of 2025-03-01 (quarterly retention)');
SAVEPOINT s1;
DELETE FROM deals WHERE id % 2 = 0;
INSERT INTO deals SELECT * FROM random_deals(90000, 50);
ROLLBACK TO SAVEPOINT s1;
SELECT is(text_diff('2026-01-01', 'year'), 0::bigint, 'after ROLLBACK TO SAVEPOINT: equal as text (yearly retention)');

SELECT is(heartbeat.compact('deals'), (SELECT count(*) FROM heartbeat.tracked_days('deals', '2100-01-01')),
          'compact() leaves one row per key');
SELECT is(text_diff('2026-01-01'), 0::bigint, 'after compact(): equal as text');

TRUNCATE deals;
INSERT INTO deals SELECT * FROM random_deals(100000, 100);
SELECT random_writes(20, 200000);
SELECT is(text_diff('2026-01-01'), 0::bigint, 'after TRUNCATE and more writes: equal as text');

-- A writer that is not the owner, under a hostile search_path.
CREATE ROLE hb_track_writer NOSUPERUSER;
GRANT USAGE ON SCHEMA heartbeat TO hb_track_writer;
GRANT SELECT, INSERT, UPDATE, DELETE ON deals TO hb_track_writer;
SELECT lives_ok($$SELECT heartbeat.untrack('deals')$$, 'untrack()');
SELECT throws_ok($$SELECT heartbeat.untrack('deals')$$, '55000', NULL, 'a second untrack(): 55000');
SELECT is((SELECT count(*) FROM pg_trigger WHERE tgrelid = 'deals'::regclass)::int
          + (to_regclass('deals_heartbeat') IS NOT NULL)::int, 0, 'untrack() removes the triggers and the tracked table');
SELECT is(heartbeat.track('deals', segment => 'rep')::text, 'deals_heartbeat', 'track() again, after untrack()');
CREATE SCHEMA evil;
GRANT USAGE ON SCHEMA evil TO hb_track_writer;
CREATE FUNCTION evil.boom_text(text, text) RETURNS boolean LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'evil = called'; END $$;
CREATE OPERATOR evil.= (LEFTARG = text, RIGHTARG = text, FUNCTION = evil.boom_text);
CREATE FUNCTION evil.array_agg(timestamptz) RETURNS timestamptz[] LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'evil array_agg called'; END $$;
CREATE FUNCTION evil.format(text, VARIADIC text[]) RETURNS text LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'evil format called'; END $$;
CREATE TABLE evil.deals_heartbeat (LIKE deals_heartbeat);
GRANT INSERT ON evil.deals_heartbeat TO hb_track_writer;
SET LOCAL ROLE hb_track_writer;
SET LOCAL search_path = evil, pg_catalog, public, heartbeat;
INSERT INTO public.deals SELECT * FROM public.random_deals(300000, 50);
UPDATE public.deals SET won = NOT won WHERE id % 5 = 0;
DELETE FROM public.deals WHERE id % 7 = 0;
RESET ROLE;
SET LOCAL search_path = public, heartbeat;
SELECT is((SELECT count(*) FROM evil.deals_heartbeat), 0::bigint, 'the writer''s triggers wrote nothing to a look-alike table');
SELECT is(text_diff('2026-01-01'), 0::bigint, 'a non-owner with INSERT, UPDATE, DELETE writes, under a hostile path: equal as text');

SELECT * FROM finish();
ROLLBACK;
