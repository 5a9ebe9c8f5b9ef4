-- pgTAP: track() keeps per-day summaries of a deals table that equal a fresh
-- aggregation of the table, byte for byte, after random mixes of INSERT,
-- UPDATE (of the day, the segment, the outcome, the amount), DELETE,
-- TRUNCATE and COPY, with savepoints rolled back, and after compact();
-- its errors; untrack(); a writer that is not the owner, under a hostile
-- search_path.
\ir lib/begin.psql
-- The writers' TimeZone must not matter: the days are cut in the tracked zone.
SET LOCAL TimeZone = 'Asia/Kolkata';
SELECT plan(80);

CREATE TABLE deals (id int PRIMARY KEY, rep text, opened_at timestamptz, closed_at timestamptz, won boolean,
                    amount numeric, customer_id int);

\ir lib/track.sql

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
CREATE FUNCTION deals_heartbeat_insert() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NULL; END $$;
SELECT throws_ok($$SELECT heartbeat.track('deals')$$, '42723', NULL, 'a function where the insert trigger''s would go: 42723');
DROP FUNCTION deals_heartbeat_insert();
CREATE TABLE a_table_whose_name_is_rather_long_for_tracking_it_x (opened_at timestamptz);
SELECT throws_ok($$SELECT heartbeat.track('a_table_whose_name_is_rather_long_for_tracking_it_x')$$, '42622', NULL,
                 'a table name too long for <name>_heartbeat_changes: 42622');
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
3003	east	infinity	\N	\N	5	9
3004	east	-infinity	2025-02-01 00:00:00+00	t	10	9
3005	north	2025-02-02 10:00:00+00	infinity	f	1	1
\.
SELECT is((SELECT count(*) FILTER (WHERE kind = 'dirty') || ' dirty, ' || count(*) FILTER (WHERE kind = 'deal') || ' deals'
             FROM deals_heartbeat), '0 dirty, ' || (SELECT count(*) FROM deals WHERE id >= 1000) || ' deals',
          'inserts append one deal row per deal, no dirty row');
-- Rows that make an aggregate raise an ERROR (a won deal closed at -infinity,
-- a won deal of NaN): the writes succeed, and reading their days raises the
-- ERROR a fresh aggregation raises.
INSERT INTO deals VALUES (3006, 'north', '2025-02-02 11:00:00+00', '-infinity', true, 1, 1);
SELECT throws_ok($$SELECT * FROM heartbeat.tracked_days('deals', '2026-01-01')$$, '22023', 'retention activity time must be finite',
                 'a won deal closed at -infinity: written, and its day raises retention_agg''s ERROR when read');
SELECT throws_ok($$SELECT * FROM fresh('deals', '2026-01-01', 'month', 'UTC')$$, '22023', 'retention activity time must be finite',
                 'as a fresh aggregation does');
DELETE FROM deals WHERE id = 3006;
INSERT INTO deals VALUES (3007, 'north', '2025-02-02 11:00:00+00', '2025-02-03 11:00:00+00', true, 'NaN', 1);
SELECT throws_ok($$SELECT * FROM heartbeat.tracked_days('deals', '2026-01-01')$$, '22023', 'ticket amount must be a finite number',
                 'a won deal of NaN: written, and its day raises ticket_agg''s ERROR when read');
SELECT is(heartbeat.compact('deals') > 0, true, 'compact() with that row still there works');
DELETE FROM deals WHERE id = 3007;
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
SELECT is(period_diff('2026-01-01'), 0::bigint, 'tracked_periods() by month, dirty days among them: equal to a fresh aggregation by month (as text)');
SELECT is(period_diff('2025-03-01', 'week'), 0::bigint, 'tracked_periods() by week as of 2025-03-01: equal as text');
-- INSERT ... ON CONFLICT DO UPDATE and MERGE fire the insert, update and delete triggers.
INSERT INTO deals SELECT * FROM random_deals(0, 30) ON CONFLICT (id) DO UPDATE SET amount = excluded.amount, rep = excluded.rep;
MERGE INTO deals d USING (SELECT * FROM random_deals(50, 40)) s ON d.id = s.id
 WHEN MATCHED AND s.won THEN DELETE
 WHEN MATCHED THEN UPDATE SET closed_at = s.closed_at, won = s.won
 WHEN NOT MATCHED THEN INSERT VALUES (s.id, s.rep, s.opened_at, s.closed_at, s.won, s.amount, s.customer_id);
SELECT is(text_diff('2026-01-01'), 0::bigint, 'after INSERT ... ON CONFLICT DO UPDATE and MERGE: equal as text');
-- An UPDATE that moves no tracked figure dirties nothing; one that changes
-- only an amount's scale (1.5 to 1.50, equal as numbers) dirties its day.
SELECT ok(heartbeat.compact('deals') > 0, 'compact() before the next checks');
UPDATE deals SET id = id + 0, won = won, rep = rep WHERE id % 3 = 0;
SELECT is((SELECT count(*) FROM deals_heartbeat WHERE kind = 'dirty'), 0::bigint, 'an UPDATE that changes no tracked figure dirties nothing');
INSERT INTO deals VALUES (5000, 'east', '2025-03-03 10:00+00', '2025-03-04 10:00+00', true, 1.5, 3);
UPDATE deals SET amount = 1.50 WHERE id = 5000;
SELECT is((SELECT string_agg(day || ' ' || segment, ',' ORDER BY day) FROM deals_heartbeat WHERE kind = 'dirty'), '2025-03-03 east,2025-03-04 east',
          'an amount rewritten from 1.5 to 1.50 dirties its opening and closing days');
SELECT is(text_diff('2026-01-01'), 0::bigint, 'and the tracked days still equal a fresh aggregation');
SAVEPOINT s1;
DELETE FROM deals WHERE id % 2 = 0;
INSERT INTO deals SELECT * FROM random_deals(90000, 50);
ROLLBACK TO SAVEPOINT s1;
SELECT is(text_diff('2026-01-01', 'year'), 0::bigint, 'after ROLLBACK TO SAVEPOINT: equal as text (yearly retention)');

SELECT is(heartbeat.compact('deals'), (SELECT count(*) FROM heartbeat.tracked_days('deals', '2100-01-01')),
          'compact() leaves one row per key');
SELECT is(text_diff('2026-01-01'), 0::bigint, 'after compact(): equal as text');
SELECT is(period_diff('2026-01-01', 'quarter'), 0::bigint, 'after compact(): tracked_periods() by quarter equal as text');
SELECT is(period_diff('2025-02-20 12:00:00+00', 'day'), 0::bigint, 'tracked_periods() by day, as of a time inside the data: equal as text');
-- compact() also stores a row per week, month, quarter and year; a reader
-- takes it as it is, unless a change or a time after as_of falls in it.
SELECT is((SELECT string_agg(kind || ' ' || n, ', ' ORDER BY kind)
             FROM (SELECT kind, count(*) AS n FROM deals_heartbeat WHERE kind IN ('week', 'month', 'quarter', 'year') GROUP BY kind) x),
          (SELECT string_agg(g || ' ' || n, ', ' ORDER BY g)
             FROM (SELECT g, count(DISTINCT (date_trunc(g, d), segment)) AS n
                     FROM deals_heartbeat, unnest('{week,month,quarter,year}'::text[]) g, LATERAL (SELECT day AS d) x
                    WHERE kind = 'summary' GROUP BY g) y),
          'compact() stores one row per week, month, quarter and year and segment of its days');
-- The README's plain-SQL read of the stored month rows, right after compact().
-- (A period with a deal of an infinite time is marked latest = infinity:
-- its stored row leaves such deals out, and readers compute it from the source.)
SELECT is((SELECT count(*) FROM (SELECT * FROM deals_heartbeat WHERE kind = 'month' AND latest < 'infinity') h
             FULL JOIN (SELECT t.* FROM heartbeat.tracked_periods('deals', 'month', '2100-01-01') t
                         WHERE NOT EXISTS (SELECT FROM deals_heartbeat x WHERE x.kind = 'month' AND x.latest = 'infinity'
                                              AND x.day = t.period AND x.segment IS NOT DISTINCT FROM t.segment)) t
               ON t.period = h.day AND t.segment IS NOT DISTINCT FROM h.segment
            WHERE h.day IS NULL OR t.period IS NULL OR h.won <> t.won
               OR heartbeat.rate(h.conversion) IS DISTINCT FROM heartbeat.rate(t.conversion)
               OR heartbeat.median(h.ticket) IS DISTINCT FROM heartbeat.median(t.ticket)), 0::bigint,
          'the stored month rows, read with plain SQL after compact(), give tracked_periods()''s figures');
SAVEPOINT stored;
UPDATE deals_heartbeat SET won = won + 1000 WHERE kind = 'month' AND day = '2025-03-01' AND segment = 'north';
SELECT is(period_diff('2026-01-01'), 2::bigint, 'a month''s stored row is read as it is (a changed one shows)');
SELECT is(text_diff('2026-01-01'), 0::bigint, 'but not per day');
INSERT INTO deals VALUES (6000, 'north', '2025-03-10 10:00+00', '2025-03-11 10:00+00', true, 3, 3);
SELECT is(period_diff('2026-01-01'), 0::bigint, 'a deal inserted in that month: the month is computed from its days');
ROLLBACK TO SAVEPOINT stored;
SAVEPOINT stored;
UPDATE deals_heartbeat SET won = won + 1000 WHERE kind = 'month' AND day = '2025-03-01' AND segment = 'north';
SELECT is(period_diff('2025-03-20'), 0::bigint, 'as of a time inside that month: computed from its days (and the source)');
UPDATE deals SET amount = amount + 1 WHERE id IN (SELECT id FROM deals WHERE won AND rep = 'north'
                                                   AND closed_at >= '2025-03-01' AND closed_at < '2025-04-01' LIMIT 1);
SELECT is(period_diff('2026-01-01'), 0::bigint, 'an update dirtying a day of that month: computed from its days');
SELECT is(period_diff('2026-01-01', 'week'), 0::bigint, 'and by week');
ROLLBACK TO SAVEPOINT stored;

TRUNCATE deals;
INSERT INTO deals SELECT * FROM random_deals(100000, 100);
SELECT random_writes(20, 200000);
SELECT is(text_diff('2026-01-01'), 0::bigint, 'after TRUNCATE and more writes: equal as text');

-- pulse() reads the tracked periods when the mapping and the zone match,
-- with the output of its own scans: compared with an untracked copy of the
-- same rows, as text, after more random writes (dirty keys, deal rows and
-- summary rows all read).
SELECT random_writes(30, 300000);
CREATE TABLE deals_copy AS SELECT * FROM deals;
CREATE FUNCTION pulse_diff(g text, seg name DEFAULT NULL, since timestamptz DEFAULT NULL, until timestamptz DEFAULT NULL)
    RETURNS bigint LANGUAGE sql STABLE AS $$
  SELECT count(*) FROM (
    (SELECT p::text FROM heartbeat.pulse('deals', g, as_of => '2026-01-01', segment => seg, since => since, until => until) p
     EXCEPT ALL
     SELECT p::text FROM heartbeat.pulse('deals_copy', g, as_of => '2026-01-01', segment => seg, since => since, until => until) p)
    UNION ALL
    (SELECT p::text FROM heartbeat.pulse('deals_copy', g, as_of => '2026-01-01', segment => seg, since => since, until => until) p
     EXCEPT ALL
     SELECT p::text FROM heartbeat.pulse('deals', g, as_of => '2026-01-01', segment => seg, since => since, until => until) p)) x
$$;
SET LOCAL TimeZone = 'UTC';
SELECT cmp_ok((SELECT count(*) FROM heartbeat.pulse('deals_copy', 'month', as_of => '2026-01-01', segment => 'rep')), '>', 20::bigint,
              'the untracked copy has a pulse to compare');
SELECT is(pulse_diff('month', 'rep'), 0::bigint, 'pulse() of the tracked table by month and rep: equal to the untracked copy''s');
SELECT is(pulse_diff('day', 'rep'), 0::bigint, 'by day and rep: equal');
SELECT is(pulse_diff('week', 'rep', since => '2025-02-01'), 0::bigint, 'by week and rep with since: equal');
SELECT is(pulse_diff('month', 'rep', since => '2025-02-10', until => '2025-06-01'), 0::bigint, 'by month and rep with since and until: equal');
SELECT is(pulse_diff('quarter', 'rep', until => '2025-04-01'), 0::bigint, 'by quarter and rep with until: equal');
SELECT is(pulse_diff('month'), 0::bigint, 'pulse() without a segment rolls the tracked reps up: by month, equal');
SELECT is(pulse_diff('day', since => '2025-03-01'), 0::bigint, 'by day with since: equal');
SELECT is((SELECT count(*) FROM heartbeat.pulse('deals', as_of => NULL, segment => 'rep')), 0::bigint,
          'as_of NULL: no rows, as from the scans');
SELECT throws_ok($$SELECT * FROM heartbeat.pulse('deals', as_of => 'infinity', segment => 'rep')$$, '22023',
                 'as_of must be a finite date or timestamp', 'as_of infinity: the scans'' ERROR');
-- ... and it did read them: a stray row in the tracked table shows in pulse()
-- when the zone matches, not under another TimeZone or with other columns.
SAVEPOINT stray;
INSERT INTO deals_heartbeat (kind, o, c, w, a, cu, segment) VALUES ('deal', '2025-03-03', '2025-03-05', true, 7, 1, 'north');
SELECT cmp_ok(pulse_diff('month', 'rep'), '>', 0::bigint, 'pulse() reads the tracked rows when the mapping and the zone match');
SELECT cmp_ok(pulse_diff('month'), '>', 0::bigint, 'and without a segment (the reps rolled up)');
SELECT is(pulse_diff('month', 'customer_id'), 0::bigint, 'not for another segment');
SET LOCAL TimeZone = 'Asia/Kolkata';
SELECT is(pulse_diff('month', 'rep'), 0::bigint, 'nor under another TimeZone');
ROLLBACK TO SAVEPOINT stray;
SET LOCAL TimeZone = 'Asia/Kolkata';

-- Date and timestamp columns, an integer segment, text customers, a zone
-- with daylight saving: the days are the zone's whatever the writers'
-- TimeZone; fresh() casts as pulse() does, in the session's TimeZone.
CREATE TABLE deals2 AS
SELECT id, (id % 3) AS rep, (opened_at AT TIME ZONE 'America/Sao_Paulo')::date AS opened_at,
       (closed_at AT TIME ZONE 'America/Sao_Paulo') AS closed_at, won, amount, 'c' || customer_id AS customer_id
  FROM random_deals(0, 300);
SELECT is(heartbeat.track('deals2', zone => 'America/Sao_Paulo', segment => 'rep')::text, 'deals2_heartbeat',
          'track() of date and timestamp columns in America/Sao_Paulo');
SET LOCAL TimeZone = 'Asia/Tokyo';
INSERT INTO deals2 SELECT id, (id % 4), (opened_at AT TIME ZONE 'UTC')::date, closed_at AT TIME ZONE 'UTC', won, amount, 'c' || customer_id
  FROM random_deals(1000, 200);
UPDATE deals2 SET closed_at = closed_at + interval '20 hours' WHERE id % 9 = 0;
DELETE FROM deals2 WHERE id % 13 = 0;
INSERT INTO deals2 SELECT id, NULL, (opened_at AT TIME ZONE 'UTC')::date, NULL, NULL, amount, 'c' || customer_id
  FROM random_deals(2000, 50);
SET LOCAL TimeZone = 'America/Sao_Paulo';
SELECT is(text_diff('2025-03-10', 'week', 'America/Sao_Paulo', 'deals2'), 0::bigint,
          'date and timestamp columns, written under another TimeZone: equal as text');
SELECT is(eq_diff('2026-01-01', 'month', 'America/Sao_Paulo', 'deals2'), 0::bigint, 'and with =');
SELECT cmp_ok(heartbeat.compact('deals2'), '>', 0::bigint, 'compact() of deals2');
SELECT is(text_diff('2026-01-01', 'day', 'America/Sao_Paulo', 'deals2'), 0::bigint, 'and after compact()');
SELECT is(period_diff('2026-01-01', 'week', 'America/Sao_Paulo', 'deals2'), 0::bigint, 'tracked_periods() by week in a DST zone: equal as text');
SET LOCAL TimeZone = 'Asia/Kolkata';

-- A writer that is not the owner, under a hostile search_path.
CREATE ROLE hb_track_writer NOSUPERUSER;
GRANT USAGE ON SCHEMA heartbeat TO hb_track_writer;
GRANT SELECT, INSERT, UPDATE, DELETE ON deals TO hb_track_writer;
SELECT lives_ok($$SELECT heartbeat.untrack('deals')$$, 'untrack()');
SELECT throws_ok($$SELECT heartbeat.untrack('deals')$$, '55000', NULL, 'a second untrack(): 55000');
SELECT is((SELECT count(*) FROM pg_trigger WHERE tgrelid = 'deals'::regclass)::int
          + (to_regclass('deals_heartbeat') IS NOT NULL)::int + (to_regprocedure('deals_heartbeat_insert()') IS NOT NULL)::int, 0,
          'untrack() removes the triggers, the insert function and the tracked table');
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
-- A role with INSERT only (no SELECT on anything), and one with TRUNCATE only.
CREATE ROLE hb_track_inserter NOSUPERUSER;
CREATE ROLE hb_track_truncater NOSUPERUSER;
GRANT USAGE ON SCHEMA heartbeat TO hb_track_inserter, hb_track_truncater;
CREATE TABLE deals3 (LIKE deals);
GRANT INSERT ON deals3 TO hb_track_inserter;
GRANT TRUNCATE ON deals3 TO hb_track_truncater;
SELECT is(heartbeat.track('deals3', segment => 'rep')::text, 'deals3_heartbeat', 'track() of a table with grants');
SELECT is((SELECT array_agg(r.rolname || ':' || a.privilege_type ORDER BY 1) FROM pg_class c, aclexplode(c.relacl) a
             JOIN pg_roles r ON r.oid = a.grantee WHERE c.oid = 'deals3_heartbeat'::regclass AND a.grantee <> c.relowner),
          '{hb_track_inserter:INSERT,hb_track_truncater:INSERT}',
          'track() grants INSERT on the tracked table to the roles that may write the source, nothing more');
SET LOCAL ROLE hb_track_inserter;
INSERT INTO public.deals3 VALUES (1, 'north', '2025-01-01 10:00+00', NULL, NULL, 5, 1),
                                 (2, NULL, '2025-01-02 10:00+00', '2025-01-03 10:00+00', true, 7, 2);
SET LOCAL ROLE hb_track_truncater;
TRUNCATE public.deals3;
RESET ROLE;
INSERT INTO deals3 VALUES (3, 'south', '2025-01-04 10:00+00', NULL, NULL, 5, 1);
SELECT is((SELECT string_agg(concat_ws('|', day, segment, opened, closed), ',' ORDER BY day) FROM heartbeat.tracked_days('deals3')),
          '2025-01-04|south|1|0', 'an INSERT-only role and a TRUNCATE-only role write through the triggers');
-- An ordinary role tracks its own table; another role may not track or untrack it.
CREATE ROLE hb_track_owner NOSUPERUSER;
CREATE ROLE hb_track_other NOSUPERUSER;
GRANT USAGE ON SCHEMA heartbeat TO hb_track_owner, hb_track_other;
GRANT CREATE ON SCHEMA public TO hb_track_owner;
SET LOCAL ROLE hb_track_owner;
CREATE TABLE public.owned (id int PRIMARY KEY, rep text, opened_at timestamptz, closed_at timestamptz, won boolean,
                           amount numeric, customer_id int);
INSERT INTO public.owned SELECT * FROM public.random_deals(0, 50);
SELECT is(heartbeat.track('public.owned', segment => 'rep')::text, 'owned_heartbeat', 'an ordinary role tracks a table it owns');
INSERT INTO public.owned SELECT * FROM public.random_deals(100, 50);
UPDATE public.owned SET won = NOT won WHERE id % 4 = 0;
SELECT cmp_ok(heartbeat.compact('public.owned'), '>', 0::bigint, 'and compacts it');
SET LOCAL ROLE hb_track_other;
SELECT throws_ok($$SELECT heartbeat.untrack('public.owned')$$, '42501', NULL, 'another role may not untrack it (42501)');
SET LOCAL ROLE hb_track_owner;
CREATE TABLE public.owned2 (id int, opened_at timestamptz, closed_at timestamptz, won boolean, amount numeric, customer_id int);
SET LOCAL ROLE hb_track_other;
SELECT throws_ok($$SELECT heartbeat.track('public.owned2')$$, '42501', NULL, 'nor track a table it does not own (42501)');
RESET ROLE;
SELECT is(text_diff('2026-01-01', tbl => 'owned'), 0::bigint, 'the owner''s tracked days equal a fresh aggregation');
-- Names that need quoting everywhere.
CREATE SCHEMA "Sales Data";
CREATE TABLE "Sales Data"."Deals 2026" ("Opened At" timestamptz, "Closed ""At""" timestamptz, "Won?" boolean,
                                        "Amount €" numeric, "Customer" varchar, "Team Name" text);
SELECT is(heartbeat.track('"Sales Data"."Deals 2026"', 'Opened At', 'Closed "At"', 'Won?', 'Amount €', 'Customer',
                          'Team Name')::text, '"Sales Data"."Deals 2026_heartbeat"', 'track() of quoted names');
INSERT INTO "Sales Data"."Deals 2026" VALUES ('2025-03-01 10:00+00', '2025-03-05 10:00+00', true, 10, 'a', 'x'),
                                             ('2025-03-01 11:00+00', NULL, NULL, 20, 'b', NULL);
UPDATE "Sales Data"."Deals 2026" SET "Won?" = false WHERE "Customer" = 'a';
SELECT is((SELECT string_agg(concat_ws('|', day, segment, opened, closed, won, heartbeat.rate(conversion)), ',' ORDER BY day, segment)
             FROM heartbeat.tracked_days('"Sales Data"."Deals 2026"')),
          '2025-03-01|x|1|0|0,2025-03-01|1|0|0,2025-03-05|x|0|1|0|0', 'and its figures');
SELECT is(text_diff('2026-01-01'), 0::bigint, 'a non-owner with INSERT, UPDATE, DELETE writes, under a hostile path: equal as text');

SELECT * FROM finish();
ROLLBACK;
