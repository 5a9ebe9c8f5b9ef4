-- The fuzz driver of test/fuzz.sh: seeded, bounded in count and time.
--   psql -v seed=0.42 -v cases=400 -v seconds=120 -f test/lib/fuzz.sql
-- The seeds are valid summaries of every type: from random data with
-- extreme values (ticket summaries as exact lists of amounts, of integers
-- and of numerics, and as sketches; cycles also of dates: day summaries),
-- their mean-only and sketch-only forms, and, by text input, summaries
-- whose counts are just above 2^31, 2^32 or near 2^63.
-- Part 1 feeds every summary type mutated text (input function) and mutated
-- bytes (binary receive, through COPY ... FORMAT binary).  A value that is
-- accepted must be a real summary: its text and bytes round-trip, and every
-- accessor and rollup() either answers or raises an ERROR.
-- Part 2 appends 1 to 16 bytes to every seed's binary form: always 22P03;
-- part 2b corrupts the day histograms of cycle summaries byte by byte.
-- Part 3 rolls seeds up with themselves (2, 4, ... 2^63 copies, and sums
-- of those just past 2^31, 2^32 and 2^63): every count exact, through text
-- and binary, or a clean ERROR once a count passes its type.
-- Part 4 calls every function taking a confidence or a percentile with
-- values at the edges of (0, 1) and of a double: a value in range, NULL or
-- an ERROR, never NaN.
-- Part 5 calls every function, aggregate (plain, ordered and as a moving
-- window) and window function of the extension with random picks from
-- pools of NULLs and extreme values (doubles up to +-DBL_MAX, subnormals,
-- -0, NaN, infinities, and arrays mixing them).
-- Part 6 checks the aggregates' answers on extreme inputs against plain SQL.
-- Every case runs in its own subtransaction; an ERROR is an outcome, a crash
-- ends the session (and test/fuzz.sh sees the lost backend).  With
-- -v trace=on each case is sent as a NOTICE "case ..." before it runs, so
-- the last one received names a crash (test/fuzz.sh replays a lost run so).
-- The last line printed is "cases <n> violations <m>"; the violations are
-- listed above it.
\set ON_ERROR_STOP 1
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS heartbeat;
DROP SCHEMA IF EXISTS fuzz CASCADE;
CREATE SCHEMA fuzz;
SET search_path = fuzz, public;
\if :{?trace}
\else
\set trace off
\endif
SET fuzz.trace = :'trace';
\if :trace
SET client_min_messages = notice;
\endif
SELECT setseed(:seed);

CREATE TABLE fuzz.tally (part text, outcome text, n bigint NOT NULL DEFAULT 1, PRIMARY KEY (part, outcome));
CREATE TABLE fuzz.violation (part text, detail text);
-- What the report shows (test/fuzz.sh too, after a lost run): up to five
-- violations of each part, with how many that part has.
CREATE VIEW fuzz.shown AS
SELECT format('%s (%s)', part, n) AS part, detail
  FROM (SELECT *, row_number() OVER (PARTITION BY part ORDER BY detail) AS k, count(*) OVER (PARTITION BY part) AS n
          FROM fuzz.violation) v
 WHERE k <= 5 ORDER BY v.part, k;
CREATE TABLE fuzz.clock (deadline timestamptz);
INSERT INTO fuzz.clock VALUES (clock_timestamp() + :seconds * interval '1 second');

CREATE FUNCTION fuzz.violate(p text, d text) RETURNS void LANGUAGE sql AS
$$ INSERT INTO fuzz.violation VALUES (p, left(d, 400)) $$;
-- Counts an outcome.  An internal error (XX000: an elog, not a message
-- written for users) is a violation anywhere; so is "data corrupted"
-- (XX001, for stored values) from an input function, which says 22P02/22P03,
-- and a protocol error (class 08, which drivers take for a lost connection)
-- from a binary input.
CREATE FUNCTION fuzz.note(p text, o text) RETURNS void LANGUAGE sql AS $$
INSERT INTO fuzz.tally AS t VALUES (p, o) ON CONFLICT (part, outcome) DO UPDATE SET n = t.n + 1;
INSERT INTO fuzz.violation
SELECT p, 'outcome ' || o WHERE o = 'error XX000' OR (o = 'error XX001' AND p ~ '^(text|binary) [a-z]+_summary$')
                             OR (o ~ '^error 08' AND p ~ '^binary [a-z]+_summary$') $$;
CREATE FUNCTION fuzz.out_of_time() RETURNS boolean LANGUAGE sql AS
$$ SELECT clock_timestamp() > deadline FROM fuzz.clock $$;
CREATE FUNCTION fuzz.rint(lo int, hi int) RETURNS int LANGUAGE sql AS
$$ SELECT lo + floor(random() * (hi - lo + 1))::int $$;
CREATE FUNCTION fuzz.pick(a anyarray) RETURNS anyelement LANGUAGE sql AS
$$ SELECT a[fuzz.rint(array_lower(a, 1), array_upper(a, 1))] $$;
CREATE FUNCTION fuzz.randbytes(k int) RETURNS bytea LANGUAGE sql AS
$$ SELECT coalesce(decode(string_agg(lpad(to_hex(fuzz.rint(0, 255)), 2, '0'), ''), 'hex'), '\x')
     FROM generate_series(1, k) $$;

-- Names the case about to run when tracing: a NOTICE reaches the client
-- before the case runs (called only when fuzz.trace is on: it is not free).
CREATE FUNCTION fuzz.trace(q text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  RAISE NOTICE 'case %', left(translate(q, E'\n', ' '), 20000);
END $$;
-- Runs one case: 'ok', or 'error <sqlstate>'.
CREATE FUNCTION fuzz.try(q text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
  IF current_setting('fuzz.trace')::boolean THEN PERFORM fuzz.trace(q); END IF;
  EXECUTE q;
  RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
  RETURN 'error ' || SQLSTATE;
END $$;
CREATE FUNCTION fuzz.try_value(q text, OUT outcome text, OUT val text) LANGUAGE plpgsql AS $$
BEGIN
  IF current_setting('fuzz.trace')::boolean THEN PERFORM fuzz.trace(q); END IF;
  EXECUTE q INTO val;
  outcome := 'ok';
EXCEPTION WHEN OTHERS THEN
  outcome := 'error ' || SQLSTATE;
END $$;

---------------------------------------------------------------- seeds
-- Valid summaries of every type.  fuzz.add_seed stores a summary's own text
-- and bytes; a summary valid by construction that its input refuses is a
-- violation (the count seeds below are built by hand).
CREATE TABLE fuzz.seed (typ text, txt text, bin bytea);
CREATE FUNCTION fuzz.add_seed(typ text, t text) RETURNS void LANGUAGE plpgsql AS $$
DECLARE txt text; bin bytea;
BEGIN
  EXECUTE format('SELECT $1::heartbeat.%1$I::text, heartbeat.%2$I($1::heartbeat.%1$I)', typ, typ || '_send')
    INTO txt, bin USING t;
  INSERT INTO fuzz.seed VALUES (typ, txt, bin);
EXCEPTION WHEN OTHERS THEN
  PERFORM fuzz.violate('seed', format('valid %s refused (%s): %s', typ, SQLSTATE, t));
END $$;
-- From random data with extreme values.
CREATE TABLE fuzz.rows AS
SELECT i, (random() * 5)::int AS grp,
       CASE WHEN random() < 0.2 THEN NULL ELSE random() < 0.3 END AS won,
       CASE fuzz.rint(0, 9) WHEN 0 THEN NULL WHEN 1 THEN 0 WHEN 2 THEN -1e20
            WHEN 3 THEN 1e-30 WHEN 4 THEN 9223372036854775807
            ELSE round((random() * 10000)::numeric, fuzz.rint(0, 4)) END AS amount,
       timestamptz '2025-01-01' + random() * interval '400 days' AS opened,
       fuzz.rint(1, 64) AS stage, fuzz.rint(1, 300) AS cust
  FROM generate_series(1, 3000) i;
ALTER TABLE fuzz.rows ADD closed timestamptz;
UPDATE fuzz.rows SET closed = CASE fuzz.rint(0, 5) WHEN 0 THEN NULL WHEN 1 THEN opened - interval '3 days'
                                  ELSE opened + random() * interval '200 days' END;
CREATE TABLE fuzz.summary_types AS
SELECT * FROM (VALUES ('conversion_summary'), ('ticket_summary'), ('cycle_summary'),
                      ('retention_summary'), ('funnel_summary')) t(typ);
DO $$
DECLARE
  q text;
  src text[] := ARRAY[
    'conversion_summary', 'SELECT heartbeat.conversion_agg(won) FROM fuzz.rows WHERE i %% %s < 3 GROUP BY grp',
    'ticket_summary', 'SELECT heartbeat.ticket_agg(amount) FROM fuzz.rows WHERE i %% %s < 3 GROUP BY grp',
    -- past 1,024 distinct amounts: sketches (i %% 5 < 4: 1,200 amounts a group)
    'ticket_summary', 'SELECT heartbeat.ticket_agg(amount) FROM fuzz.rows WHERE i %% %s < 4 GROUP BY i %% 2',
    'cycle_summary', 'SELECT heartbeat.cycle_agg(opened, closed) FROM fuzz.rows WHERE i %% %s < 3 GROUP BY grp',
    'cycle_summary', 'SELECT heartbeat.cycle_agg(opened, closed, timestamptz ''2025-09-01'') FROM fuzz.rows WHERE i %% %s < 3 GROUP BY grp',
    'cycle_summary', 'SELECT heartbeat.cycle_agg(opened::date, closed::date) FROM fuzz.rows WHERE i %% %s < 3 GROUP BY grp',
    'cycle_summary', 'SELECT heartbeat.cycle_agg(opened::date, closed::date, date ''2025-09-01'') FROM fuzz.rows WHERE i %% %s < 3 GROUP BY grp',
    'retention_summary', 'SELECT heartbeat.retention_agg(''month'', cust, opened, ''UTC'') FROM fuzz.rows WHERE i %% %s < 3 GROUP BY grp',
    'retention_summary', 'SELECT heartbeat.retention_agg(''week'', cust::text, opened::date, round(amount, 2)) FROM fuzz.rows WHERE i %% %s < 3 AND amount BETWEEN -1e6 AND 1e6 GROUP BY grp',
    'retention_summary', 'SELECT heartbeat.retention_agg(''quarter'', md5(cust::text)::uuid, opened::timestamp) FROM fuzz.rows WHERE i %% %s < 3 GROUP BY grp',
    'funnel_summary', 'SELECT heartbeat.funnel_agg(stage) FROM fuzz.rows WHERE i %% %s < 3 GROUP BY grp'];
  k int;
  typ text;
  s text;
BEGIN
  FOR k IN 1 .. array_length(src, 1) / 2 LOOP
    typ := src[2 * k - 1];
    FOREACH q IN ARRAY ARRAY[format(src[2 * k], 5), format(src[2 * k], 400)] LOOP
      FOR s IN EXECUTE q LOOP
        CONTINUE WHEN s IS NULL;
        PERFORM fuzz.add_seed(typ, s);
      END LOOP;
    END LOOP;
  END LOOP;
END $$;
-- Empty summaries (a transition from no state with a NULL row) too.
DO $$ BEGIN
PERFORM fuzz.add_seed(typ, txt) FROM (VALUES
  ('conversion_summary', heartbeat.conversion_trans(NULL, NULL)::text),
  ('ticket_summary', heartbeat.ticket_trans(NULL, NULL)::text),
  ('cycle_summary', heartbeat.cycle_trans(NULL, NULL::date, NULL::date)::text),
  ('retention_summary', heartbeat.retention_trans(NULL, 'month', NULL::bigint, NULL::date)::text),
  ('funnel_summary', heartbeat.funnel_trans(NULL, NULL)::text)) v(typ, txt)
 WHERE txt IS NOT NULL;
-- The partial forms: mean-only (no sketch or exact list of amounts; what
-- avg_ticket and avg_cycle keep) and sketch-only ticket summaries (what
-- median_ticket keeps: the amounts, a sketch or an exact list).
PERFORM fuzz.add_seed(typ, regexp_replace(replace(txt, '"amounts":', '"sketch":'),
                                          '"(sketches|sketch|sum_squares|smallest|largest)":("[^"]*"|[^,}]*)', '"\1":null', 'g'))
   FROM fuzz.seed WHERE typ IN ('ticket_summary', 'cycle_summary');
PERFORM fuzz.add_seed(typ, regexp_replace(txt, '"(sum|sum_squares|smallest|largest)":("[^"]*"|[^,}]*)', '"\1":null', 'g'))
   FROM fuzz.seed WHERE typ = 'ticket_summary' AND txt !~ '"sketch":null';
END $$;

-- Summaries with counts past 2^31, 2^32 and near 2^63, written by hand
-- (a 32-bit truncation shows as a text that does not read back).  Ticket
-- amounts are a zeros and c of 1.5; cycles a closed in 0 days (or 1 day),
-- b open at age 0, c skipped; the sketches (or day histograms) hold those
-- counts as varints.
CREATE TABLE fuzz.big (n numeric);
INSERT INTO fuzz.big VALUES (2147483647), (2147483648), (2147483649), (4294967295), (4294967296), (4294967297),
  (6442450943), (6442450945), (4611686018427387903), (4611686018427387904), (9223372036854775806), (9223372036854775807);
CREATE FUNCTION fuzz.count() RETURNS numeric LANGUAGE sql AS
$$ SELECT CASE WHEN random() < 0.2 THEN fuzz.rint(0, 3) ELSE (SELECT n FROM fuzz.big ORDER BY random() LIMIT 1) END $$;
CREATE FUNCTION fuzz.varint(v numeric) RETURNS bytea LANGUAGE plpgsql AS $$
DECLARE r bytea := '\x';
BEGIN
  WHILE v >= 128 LOOP
    r := r || set_byte('\x00', 0, (mod(v, 128) + 128)::int);
    v := div(v, 128);
  END LOOP;
  RETURN r || set_byte('\x00', 0, v::int);
END $$;
CREATE FUNCTION fuzz.b64(b bytea) RETURNS text LANGUAGE sql AS $$ SELECT translate(encode(b, 'base64'), E'\n', '') $$;
DO $$
DECLARE a numeric; b numeric; c numeric; t text; k int;
BEGIN
  FOR k IN 1 .. 4 LOOP
    a := fuzz.count(); b := fuzz.count();
    PERFORM fuzz.add_seed('conversion_summary',
      format('{"version":1,"conversions":%s,"trials":%s}', least(a, b), greatest(a, b)));
    b := greatest(b, 1);
    PERFORM fuzz.add_seed('ticket_summary',
      format('{"version":1,"deals":%1$s,"scale":0,"at_scale":%1$s,"sum":0,"sum_squares":0,"smallest":0,"largest":0,"sketch":"%2$s"}',
             b, fuzz.b64(fuzz.varint(b) || '\x0000'::bytea)));
    c := least(greatest(fuzz.count(), 1), 9223372036854775807 - a);
    IF c = 0 THEN c := 1; a := a - 1; END IF;
    t := format('{"version":1,"deals":%s,"scale":1,"at_scale":%s,"sum":%s,"sum_squares":%s,"smallest":%s,"largest":1.5,"sketch":"%s"}',
                a + c, c, 1.5 * c, 2.25 * c, CASE WHEN a > 0 THEN 0 ELSE 1.5 END,
                fuzz.b64(fuzz.varint(a) || '\x017c'::bytea || fuzz.varint(c) || '\x00'::bytea));
    PERFORM fuzz.add_seed('ticket_summary', t);
    PERFORM fuzz.add_seed('ticket_summary', regexp_replace(t, '"(sketch|sum_squares|smallest|largest)":("[^"]*"|[^,}]*)', '"\1":null', 'g'));
    PERFORM fuzz.add_seed('ticket_summary', regexp_replace(t, '"(sum|sum_squares|smallest|largest)":("[^"]*"|[^,}]*)', '"\1":null', 'g'));
    -- the same amounts as an exact list: integers at scale 1, 0 (a times)
    -- and 15 (c times), the second as a gap of 14 from the first
    t := regexp_replace(t, '"sketch":"[^"]*"', format('"amounts":"%s"',
           fuzz.b64(CASE WHEN a > 0 THEN '\x020000'::bytea || fuzz.varint(a) || '\x0e'::bytea || fuzz.varint(c)
                         ELSE '\x01001e'::bytea || fuzz.varint(c) END)));
    PERFORM fuzz.add_seed('ticket_summary', t);
    PERFORM fuzz.add_seed('ticket_summary', regexp_replace(t, '"(sum|sum_squares|smallest|largest)":("[^"]*"|[^,}]*)', '"\1":null', 'g'));
    a := fuzz.count(); b := fuzz.count(); c := fuzz.count();
    t := format('{"version":1,"closed":%s,"open":%s,"skipped":%s,"sum_us":0,"sum_days":0,"sketches":"%s"}',
                a, b, c, fuzz.b64(fuzz.varint(a) || '\x0000'::bytea || fuzz.varint(b) || '\x0000'::bytea));
    PERFORM fuzz.add_seed('cycle_summary', t);
    PERFORM fuzz.add_seed('cycle_summary', regexp_replace(t, '"sketches":"[^"]*"', '"sketches":null'));
    a := greatest(a, 1);
    PERFORM fuzz.add_seed('cycle_summary',
      format('{"version":1,"closed":%s,"open":%s,"skipped":%s,"sum_us":%s,"sum_days":%s,"sketches":"%s"}',
             a, b, c, a * 86400000000, a,
             fuzz.b64('\x0001e846'::bytea || fuzz.varint(a) || '\x00'::bytea || fuzz.varint(b) || '\x0000'::bytea)));
    PERFORM fuzz.add_seed('cycle_summary',
      format('{"version":1,"closed":%s,"open":%s,"skipped":%s,"sum_us":%s,"sum_days":%s,"days":"%s"}',
             a, b, c, a * 86400000000, a,
             fuzz.b64('\x0101'::bytea || fuzz.varint(a) || CASE WHEN b > 0 THEN '\x0100'::bytea || fuzz.varint(b) ELSE '\x00' END)));
    PERFORM fuzz.add_seed('funnel_summary',
      format('{"version":1,"furthest":"%s"}', (SELECT string_agg(fuzz.count()::text, ' ') FROM generate_series(1, fuzz.rint(1, 5)))));
  END LOOP;
END $$;

-- Accessor calls per type, from the catalogue: every function of the
-- extension taking the summary first, with reasonable further arguments.
CREATE TABLE fuzz.accessor (typ text, call text);
INSERT INTO fuzz.accessor
SELECT format_type(p.proargtypes[0], NULL),
       CASE WHEN p.proretset OR p.prorettype = 'record'::regtype
            THEN format('SELECT count(*)::text FROM heartbeat.%I(%s)', p.proname, args)
            ELSE format('SELECT heartbeat.%I(%s)::text', p.proname, args) END
  FROM pg_proc p
  JOIN pg_depend d ON d.objid = p.oid AND d.classid = 'pg_proc'::regclass AND d.deptype = 'e'
                  AND d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'heartbeat')
 CROSS JOIN LATERAL (
   SELECT string_agg(CASE WHEN a.n = 1 THEN '$1'
                          WHEN a.t = 'double precision'::regtype THEN '0.5::float8'
                          WHEN a.t = 'double precision[]'::regtype THEN '''{0,0.1,0.5,0.99,1}''::float8[]'
                          WHEN a.t = 'interval'::regtype THEN '''30 days''::interval'
                          WHEN a.t = p.proargtypes[0] THEN '$1'
                          ELSE 'NULL' END, ', ' ORDER BY a.n) AS args
     FROM unnest(p.proargtypes::regtype[]) WITH ORDINALITY a(t, n)) x
 WHERE p.prokind = 'f' AND p.pronargs >= 1
   AND format_type(p.proargtypes[0], NULL) LIKE 'heartbeat.%_summary'
   AND p.proname !~ '_(send|out|trans|inv|combine)$';
UPDATE fuzz.accessor SET typ = replace(typ, 'heartbeat.', '');

---------------------------------------------------------------- part 1
CREATE FUNCTION fuzz.mutate_bytes(b bytea, other bytea) RETURNS bytea LANGUAGE plpgsql AS $$
DECLARE n int := length(b); r bytea := b; i int;
BEGIN
  IF n = 0 THEN RETURN fuzz.randbytes(fuzz.rint(0, 40)); END IF;
  CASE fuzz.rint(0, 11)
  WHEN 0 THEN RETURN substr(b, 1, fuzz.rint(0, n - 1));                       -- truncated
  WHEN 1 THEN                                                                 -- bit flips
    FOR k IN 1 .. fuzz.rint(1, 3) LOOP
      i := fuzz.rint(0, n * 8 - 1);
      r := set_bit(r, i, 1 - get_bit(r, i));
    END LOOP;
    RETURN r;
  WHEN 2 THEN RETURN set_byte(r, fuzz.rint(0, n - 1), fuzz.pick(ARRAY[0, 1, 127, 128, 255, fuzz.rint(0, 255)]));
  WHEN 3 THEN RETURN b || fuzz.randbytes(fuzz.rint(1, 64));                    -- trailing bytes
  WHEN 4 THEN RETURN set_byte(r, 0, fuzz.pick(ARRAY[0, 2, 3, 127, 255]));       -- wrong version
  WHEN 5 THEN RETURN set_byte(r, least(1, n - 1), fuzz.rint(0, 8));             -- wrong kind
  WHEN 6 THEN                                                                 -- extreme count
    i := fuzz.rint(0, greatest(n - 8, 0));
    RETURN overlay(r PLACING fuzz.pick(ARRAY['\xffffffffffffffff', '\x7fffffffffffffff', '\x8000000000000000',
                                             '\x0000000000000000', '\x00000000ffffffff'])::bytea FROM i + 1 FOR 8);
  WHEN 7 THEN RETURN other;                                                    -- another type's bytes
  WHEN 8 THEN RETURN fuzz.randbytes(fuzz.rint(0, 200));                        -- noise
  WHEN 9 THEN RETURN b || substr(b, 3);                                        -- body twice
  WHEN 10 THEN RETURN b || decode(repeat('ff', 200000), 'hex');                -- oversized
  ELSE                                                                        -- several at once
    RETURN fuzz.mutate_bytes(fuzz.mutate_bytes(b, other), other);
  END CASE;
END $$;

CREATE FUNCTION fuzz.mutate_text(t text, other text, obin bytea) RETURNS text LANGUAGE plpgsql AS $$
DECLARE n int := length(t); i int; nums int; m text;
BEGIN
  IF n = 0 THEN RETURN chr(fuzz.rint(32, 126)); END IF;
  nums := regexp_count(t, '-?[0-9]+');
  CASE fuzz.rint(0, 12)
  WHEN 0 THEN RETURN left(t, fuzz.rint(0, n - 1));                            -- truncated
  WHEN 1 THEN                                                                 -- one character
    i := fuzz.rint(1, n);
    RETURN overlay(t PLACING chr(fuzz.pick(ARRAY[fuzz.rint(32, 126), 34, 44, 58, 92, 123, 125, 1024, 65533]))
                   FROM i FOR 1);
  WHEN 2 THEN                                                                 -- a number made extreme
    IF nums = 0 THEN RETURN t || '1'; END IF;
    RETURN regexp_replace(t, '-?[0-9]+(\.[0-9]+)?',
      fuzz.pick(ARRAY['-1', '0', '9223372036854775807', '9223372036854775808', '-9223372036854775808',
                      '18446744073709551616', '1e400', '99999999999999999999999999999999999999', 'NaN',
                      'Infinity', '-Infinity', '0.0000000000000001', '1.5', '2147483648', '-0', '007']),
      1, fuzz.rint(1, nums));
  WHEN 3 THEN RETURN regexp_replace(t, '"version": *[0-9]+', '"version":' || fuzz.pick(ARRAY['0', '2', '-1', '255', '1.0', '"1"']));
  WHEN 4 THEN                                                                 -- a field dropped
    RETURN regexp_replace(t, '"[a-z_]+": *("[^"]*"|[^,}]*),?', '', 1, fuzz.rint(1, greatest(regexp_count(t, '":'), 1)));
  WHEN 5 THEN                                                                 -- a field twice
    m := substring(t FROM '"[a-z_]+": *(?:"[^"]*"|[^,}]*)');
    RETURN regexp_replace(t, '}\s*$', coalesce(',' || m, '') || '}');
  WHEN 6 THEN                                                                 -- noise inserted
    i := fuzz.rint(0, n);
    RETURN left(t, i) || fuzz.pick(ARRAY['\u0000', '\\', '""', ',', ':', '{}', '[]', 'null', ' ', E'\t', 'é', '\ud800'])
           || substr(t, i + 1);
  WHEN 7 THEN RETURN other;                                                    -- another type's text
  WHEN 8 THEN                                                                 -- base64 payload mutated
    m := substring(t FROM '"(?:sketch|sketches|amounts|days|data)": *"([^"]+)"');
    IF m IS NULL THEN RETURN t || ' '; END IF;
    BEGIN
      RETURN replace(t, m, replace(encode(fuzz.mutate_bytes(decode(m, 'base64'), obin), 'base64'), E'\n', ''));
    EXCEPTION WHEN OTHERS THEN          -- an earlier mutation broke the base64
      RETURN t || 'x';
    END;
  WHEN 9 THEN RETURN fuzz.pick(ARRAY['', '{}', '[]', 'null', '{"version":1}', ' ', '{"version":1,}', '"x"', '{{}}']);
  WHEN 10 THEN RETURN regexp_replace(t, '[0-9]+', repeat('9', 100000));      -- huge number
  WHEN 11 THEN RETURN repeat('{"version":1,"x":', 2000) || repeat('}', 2000); -- deep nesting
  ELSE RETURN fuzz.mutate_text(fuzz.mutate_text(t, other, obin), other, obin);
  END CASE;
END $$;

-- An accepted value (given by its output text) must be a real summary.
CREATE FUNCTION fuzz.check_accepted(part text, typ text, val text) RETURNS void LANGUAGE plpgsql AS $$
DECLARE same_text boolean; same_bytes boolean; a record; r record;
BEGIN
  BEGIN
    EXECUTE format('SELECT $1::heartbeat.%1$I::text = $1,
                           heartbeat.%2$I($1::heartbeat.%1$I) = heartbeat.%2$I($1::heartbeat.%1$I::text::heartbeat.%1$I)',
                   typ, typ || '_send')
      INTO same_text, same_bytes USING val;
  EXCEPTION WHEN OTHERS THEN
    same_text := false;
  END;
  IF NOT (same_text AND same_bytes) THEN
    PERFORM fuzz.violate(part, format('%s accepted but does not round-trip: %s', typ, val));
  END IF;
  FOR a IN SELECT call FROM fuzz.accessor WHERE fuzz.accessor.typ = check_accepted.typ LOOP
    PERFORM fuzz.note(part || ' accessor', fuzz.try(replace(a.call, '$1', quote_literal(val) || '::heartbeat.' || typ)));
  END LOOP;
  SELECT * INTO r FROM fuzz.try_value(format('SELECT heartbeat.rollup(v)::text FROM (VALUES (%1$L::heartbeat.%2$I), (%1$L::heartbeat.%2$I)) s(v)', val, typ));
  PERFORM fuzz.note(part || ' rollup', r.outcome);
END $$;

-- What the binary input (receive) makes of bytes, as text; or its ERROR.
CREATE FUNCTION fuzz.recv(typ text, b bytea) RETURNS text LANGUAGE plpgsql AS $$
DECLARE path text := current_setting('data_directory') || '/hb_fuzz.copy'; val text;
BEGIN
  IF current_setting('fuzz.trace')::boolean THEN PERFORM fuzz.trace(format('recv %s %s', typ, b)); END IF;
  EXECUTE format('COPY (SELECT $b$%s$b$::bytea) TO %L (FORMAT binary)', b::text, path);
  EXECUTE format('DELETE FROM fuzz.%1$I; COPY fuzz.%1$I (v) FROM %2$L (FORMAT binary)', 'sink_' || typ, path);
  EXECUTE format('SELECT v::text FROM fuzz.%I', 'sink_' || typ) INTO val;
  RETURN val;
END $$;
CREATE FUNCTION fuzz.recv_case(typ text, b bytea) RETURNS text LANGUAGE plpgsql AS $$
DECLARE val text;
BEGIN
  BEGIN
    val := fuzz.recv(typ, b);
  EXCEPTION WHEN OTHERS THEN
    RETURN 'error ' || SQLSTATE;
  END;
  PERFORM fuzz.check_accepted('binary', typ, val);
  RETURN 'accepted';
END $$;

CREATE FUNCTION fuzz.text_case(typ text, t text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE r record;
BEGIN
  SELECT * INTO r FROM fuzz.try_value(format('SELECT %L::heartbeat.%I::text', t, typ));
  IF r.outcome <> 'ok' THEN RETURN r.outcome; END IF;
  IF r.val IS NOT NULL THEN PERFORM fuzz.check_accepted('text', typ, r.val); END IF;
  RETURN 'accepted';
END $$;

DO $$
DECLARE t record; s record; o record; c int;
BEGIN
  FOR t IN SELECT typ FROM fuzz.summary_types LOOP
    EXECUTE format('CREATE TABLE fuzz.%I (v heartbeat.%I)', 'sink_' || t.typ, t.typ);
  END LOOP;
  -- The seeds themselves go through both paths unchanged first.
  FOR s IN SELECT * FROM fuzz.seed LOOP
    IF fuzz.recv_case(s.typ, s.bin) <> 'accepted' THEN
      PERFORM fuzz.violate('binary', format('valid %s rejected: %s', s.typ, s.txt));
    END IF;
    IF fuzz.text_case(s.typ, s.txt) <> 'accepted' THEN
      PERFORM fuzz.violate('text', format('valid %s rejected: %s', s.typ, s.txt));
    END IF;
  END LOOP;
END $$;

CREATE FUNCTION fuzz.part1(cases int) RETURNS void LANGUAGE plpgsql AS $$
DECLARE t record; s record; o record; c int;
BEGIN
  FOR t IN SELECT typ FROM fuzz.summary_types LOOP
    FOR c IN 1 .. cases LOOP
      EXIT WHEN fuzz.out_of_time();
      SELECT * INTO s FROM fuzz.seed WHERE typ = t.typ ORDER BY random() LIMIT 1;
      SELECT * INTO o FROM fuzz.seed WHERE typ <> t.typ ORDER BY random() LIMIT 1;
      PERFORM fuzz.note('binary ' || t.typ, fuzz.recv_case(t.typ, fuzz.mutate_bytes(s.bin, o.bin)));
      PERFORM fuzz.note('text ' || t.typ, fuzz.text_case(t.typ, fuzz.mutate_text(s.txt, o.txt, o.bin)));
    END LOOP;
  END LOOP;
END $$;
SELECT fuzz.part1(:cases);

---------------------------------------------------------------- part 2
-- Every seed's binary form with bytes appended (one, then 2 to 16): a
-- receive function reads its whole message or refuses it, 22P03.
CREATE FUNCTION fuzz.part2() RETURNS void LANGUAGE plpgsql AS $$
DECLARE s record; extra bytea; o text;
BEGIN
  FOR s IN SELECT * FROM fuzz.seed ORDER BY typ, txt LOOP
    EXIT WHEN fuzz.out_of_time();
    FOREACH extra IN ARRAY ARRAY[fuzz.pick(ARRAY['\x00'::bytea, fuzz.randbytes(1)]), fuzz.randbytes(fuzz.rint(2, 16))] LOOP
      BEGIN
        PERFORM fuzz.recv(s.typ, s.bin || extra);
        o := 'accepted';
      EXCEPTION WHEN OTHERS THEN
        o := 'error ' || SQLSTATE;
      END;
      PERFORM fuzz.note('trailing ' || s.typ, o);
      IF o <> 'error 22P03' THEN
        PERFORM fuzz.violate('trailing ' || s.typ, format('%s plus %s: %s', s.txt, extra, o));
      END IF;
    END LOOP;
  END LOOP;
END $$;
SELECT fuzz.part2();

---------------------------------------------------------------- part 2b
-- Day histograms corrupted byte by byte: in the binary form of a few day
-- summaries, each of the first 120 bytes after the fixed part (51 bytes:
-- version, family, flags, six bigints) set to 0 and to 255 and flipped in
-- its lowest bit, in turn: refused with 22P03, or accepted as a real
-- summary (its counts and sums agree with its histograms).
CREATE FUNCTION fuzz.part2b(seeds int) RETURNS void LANGUAGE plpgsql AS $$
DECLARE s record; i int; b bytea; o text;
BEGIN
  FOR s IN SELECT * FROM fuzz.seed WHERE typ = 'cycle_summary' AND txt ~ '"days":' ORDER BY random() LIMIT seeds LOOP
    FOR i IN 51 .. least(length(s.bin), 171) - 1 LOOP
      FOREACH b IN ARRAY ARRAY[set_byte(s.bin, i, 0), set_byte(s.bin, i, 255), set_byte(s.bin, i, get_byte(s.bin, i) # 1)] LOOP
        EXIT WHEN fuzz.out_of_time();
        CONTINUE WHEN b = s.bin;
        o := fuzz.recv_case('cycle_summary', b);
        PERFORM fuzz.note('day histogram', o);
        IF o NOT IN ('accepted', 'error 22P03') THEN
          PERFORM fuzz.violate('day histogram', format('%s with byte %s set: %s', s.txt, i, o));
        END IF;
      END LOOP;
    END LOOP;
  END LOOP;
  IF NOT EXISTS (SELECT FROM fuzz.tally WHERE part = 'day histogram') THEN
    PERFORM fuzz.violate('day histogram', 'no day summary among the seeds: part 2b tested nothing');
  END IF;
END $$;
SELECT fuzz.part2b(6);

---------------------------------------------------------------- part 3
-- Counts past 2^31, 2^32 and 2^63 by rollup(): a seed rolled up with itself
-- (2, 4, ... 2^k copies) until a count passes its type, and rolled up from
-- several of those (m copies, m putting its largest count just below or
-- above 2^31, 2^32 or 2^63).  Every integer field of the result's text must
-- be m times the seed's, exactly, and read back through text and binary;
-- the accessors must agree; once a field of m copies passes its type
-- (bigint; int128 for sum_us; numeric sums have no limit) the rollup must
-- raise a clean ERROR (class 22 or 54), never wrap.  Retention counts
-- distinct customers, which a rollup with itself does not multiply.
CREATE TABLE fuzz.count_rule (typ text PRIMARY KEY, fields text[], lims numeric[], accessor text, expect text);
INSERT INTO fuzz.count_rule VALUES
  ('conversion_summary', '{conversions,trials}', '{}',
   'ARRAY[heartbeat.conversions($1), heartbeat.trials($1)]', '$1'),
  ('ticket_summary', '{deals,at_scale,sum,sum_squares}', '{NULL,NULL,Infinity,Infinity}',
   'ARRAY[heartbeat.deals($1)]', '$1[1:1]'),
  ('cycle_summary', '{closed,open,skipped,sum_days,sum_us}', '{NULL,NULL,NULL,NULL,170141183460469231731687303715884105727}',
   'ARRAY[heartbeat.closed_deals($1), heartbeat.open_deals($1), heartbeat.skipped($1)]', '$1[1:3]'),
  -- funnel: the count of each furthest stage; stages() says how many reached each
  ('funnel_summary', NULL, '{}',
   'ARRAY(SELECT reached FROM heartbeat.stages($1) ORDER BY stage)',
   'ARRAY(SELECT sum(x) OVER (ORDER BY i DESC) FROM unnest($1) WITH ORDINALITY u(x, i) ORDER BY i)');

-- The integer fields of a summary's text (a NULL field stays NULL).
CREATE FUNCTION fuzz.counts(typ text, txt text) RETURNS numeric[] LANGUAGE sql AS $$
SELECT CASE WHEN r.fields IS NULL THEN string_to_array(txt::jsonb ->> 'furthest', ' ')::numeric[]
            ELSE ARRAY(SELECT (txt::jsonb ->> f)::numeric FROM unnest(r.fields) WITH ORDINALITY u(f, i) ORDER BY i) END
  FROM fuzz.count_rule r WHERE r.typ = counts.typ $$;
-- Each field's limit: bigint unless the rule says otherwise.
CREATE FUNCTION fuzz.limits(typ text, n int) RETURNS numeric[] LANGUAGE sql AS $$
SELECT ARRAY(SELECT coalesce(r.lims[i], 9223372036854775807) FROM generate_series(1, n) i ORDER BY i)
  FROM fuzz.count_rule r WHERE r.typ = limits.typ $$;

-- Checks the rollup of m copies of a seed (fields v): outcome o, text r.
CREATE FUNCTION fuzz.check_count(typ text, seed text, v numeric[], m numeric, o text, r text) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  rule fuzz.count_rule;
  want numeric[] := ARRAY(SELECT x * m FROM unnest(v) WITH ORDINALITY u(x, i) ORDER BY i);
  over boolean;
  got numeric[];
  a record;
  what text := format('rollup of %s copies', m);
BEGIN
  SELECT * INTO rule FROM fuzz.count_rule WHERE count_rule.typ = check_count.typ;
  SELECT coalesce(bool_or(w > l), false) INTO over
    FROM unnest(want, fuzz.limits(typ, cardinality(want))) u(w, l);
  PERFORM fuzz.note('count ' || typ, CASE WHEN o = 'ok' THEN 'answer' ELSE o END);
  IF o <> 'ok' THEN
    IF NOT over OR o !~ '^error (22|54)' THEN
      PERFORM fuzz.violate('count ' || typ, format('%s: %s though every count fits; seed %s', what, o, seed));
    END IF;
    RETURN;
  END IF;
  got := fuzz.counts(typ, r);
  IF over OR got IS DISTINCT FROM want THEN
    PERFORM fuzz.violate('count ' || typ, format('%s: counts %s, not %s; result %s; seed %s', what, got, want, r, seed));
    RETURN;
  END IF;
  -- Its text and its bytes read back as the same summary.
  SELECT * INTO a FROM fuzz.try_value(format('SELECT %L::heartbeat.%I::text', r, typ));
  IF a.outcome <> 'ok' OR a.val <> r THEN
    PERFORM fuzz.violate('count ' || typ, format('%s: its text reads back as %s %s; result %s', what, a.outcome, a.val, r));
  END IF;
  SELECT * INTO a FROM fuzz.try_value(format('SELECT fuzz.recv(%1$L, heartbeat.%2$I(%3$L::heartbeat.%1$I))', typ, typ || '_send', r));
  IF a.outcome <> 'ok' OR a.val <> r THEN
    PERFORM fuzz.violate('count ' || typ, format('%s: its bytes read back as %s %s; result %s', what, a.outcome, a.val, r));
  END IF;
  -- The accessors say the same, or raise 22003 for a count past bigint.
  EXECUTE format('SELECT (%s)::numeric[]', rule.expect) INTO want USING got;
  SELECT * INTO a FROM fuzz.try_value(format('SELECT (%s)::text', replace(rule.accessor, '$1', format('%L::heartbeat.%I', r, typ))));
  IF (CASE WHEN a.outcome = 'ok' THEN a.val::numeric[] IS DISTINCT FROM want
           ELSE a.outcome <> 'error 22003' OR (SELECT max(w) FROM unnest(want) w) <= 9223372036854775807 END) THEN
    PERFORM fuzz.violate('count ' || typ, format('%s: accessors %s %s, not %s; result %s', what, a.outcome, a.val, want, r));
  END IF;
END $$;

CREATE FUNCTION fuzz.part3(bases int) RETURNS void LANGUAGE plpgsql AS $$
DECLARE s record; v numeric[]; pw text[]; r record; k int; m numeric; top numeric; t numeric; rows text;
BEGIN
  FOR s IN SELECT * FROM (SELECT seed.*, row_number() OVER (PARTITION BY typ ORDER BY random()) AS n
                            FROM fuzz.seed JOIN fuzz.count_rule USING (typ)
                           WHERE EXISTS (SELECT FROM unnest(fuzz.counts(typ, txt)) x WHERE x > 0)) q
            WHERE n <= bases ORDER BY typ, n LOOP
    v := fuzz.counts(s.typ, s.txt);
    -- 2^k copies, each the rollup of two of 2^(k-1)
    pw := ARRAY[s.txt];
    FOR k IN 1 .. 64 LOOP
      EXIT WHEN fuzz.out_of_time();
      SELECT * INTO r FROM fuzz.try_value(format('SELECT heartbeat.rollup(v)::text FROM (VALUES (%1$L::heartbeat.%2$I), (%1$L::heartbeat.%2$I)) s(v)',
                                                 pw[k], s.typ));
      PERFORM fuzz.check_count(s.typ, s.txt, v, trunc(2::numeric ^ k), r.outcome, r.val);
      EXIT WHEN r.outcome <> 'ok';
      pw := pw || r.val;
    END LOOP;
    -- m copies from the powers of two in m, several at once
    SELECT max(x) INTO top FROM unnest(v, fuzz.limits(s.typ, cardinality(v))) u(x, l) WHERE l = 9223372036854775807;
    CONTINUE WHEN NOT top > 0;
    FOREACH t IN ARRAY ARRAY[2147483648, 4294967296, 9223372036854775808] LOOP
      m := div(t, top) + fuzz.rint(0, 1);
      CONTINUE WHEN m < 3 OR m >= 2::numeric ^ cardinality(pw) OR fuzz.out_of_time();
      SELECT string_agg(format('(%L::heartbeat.%I)', pw[j + 1], s.typ), ', ' ORDER BY random()) INTO rows
        FROM generate_series(0, cardinality(pw) - 1) j WHERE mod(div(m, 2::numeric ^ j), 2) = 1;
      SELECT * INTO r FROM fuzz.try_value(format('SELECT heartbeat.rollup(v)::text FROM (VALUES %s) s(v)', rows));
      PERFORM fuzz.check_count(s.typ, s.txt, v, m, r.outcome, r.val);
    END LOOP;
  END LOOP;
END $$;
SELECT fuzz.part3(3);

---------------------------------------------------------------- part 4
-- Confidences and percentiles at the edges: every function with an
-- argument named confidence or p, on random seeds of its summary type,
-- with each edge value (and, for an array, all of them at once).  The
-- answer is NULL, an ERROR, or in range: a double is a bound of a rate, in
-- [0, 1]; an amount lies between the smallest and largest (0.4% relative
-- error); a duration is not negative.  Never NaN or infinite.
CREATE TABLE fuzz.edge (x float8);
-- 0.9999999999999999 is 1 - 2^-53 (the double below 1), 1.0000000000000002
-- is 1 + 2^-52; 5e-324 the smallest subnormal, 2.2250738585072014e-308 the
-- smallest normal and 2.225073858507201e-308 the subnormal below it.
INSERT INTO fuzz.edge VALUES ('0'), ('-0'), ('1'), ('-1'), ('2'), ('0.5'), ('0.95'),
  ('0.9999999999999999'), ('0.9999999999999998'), ('0.999999999'), ('1.0000000000000002'),
  ('1e-9'), ('1e-16'), ('1e-17'), ('1e-300'), ('2.2250738585072014e-308'), ('2.225073858507201e-308'),
  ('5e-324'), ('-5e-324'), ('1.7976931348623157e308'), ('NaN'), ('Infinity'), ('-Infinity');
CREATE TABLE fuzz.edge_target AS
SELECT p.proname, format_type(p.proargtypes[0], NULL) AS typ, p.proargtypes[1]::regtype AS arg, p.prorettype::regtype AS ret
  FROM pg_proc p
  JOIN pg_depend d ON d.objid = p.oid AND d.classid = 'pg_proc'::regclass AND d.deptype = 'e'
                  AND d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'heartbeat')
 WHERE p.pronargs = 2 AND p.proargnames[2] IN ('confidence', 'p');
UPDATE fuzz.edge_target SET typ = replace(typ, 'heartbeat.', '');
CREATE TABLE fuzz.edge_check (ret regtype PRIMARY KEY, ok text);
INSERT INTO fuzz.edge_check VALUES
  ('double precision', '$1::float8 BETWEEN 0 AND 1'),
  ('numeric', '$1::numeric BETWEEN $2 AND $3'),       -- NaN sorts above every number
  ('numeric[]', 'NOT EXISTS (SELECT FROM unnest($1::numeric[]) e WHERE NOT e BETWEEN $2 AND $3)'),
  ('interval', '$1::interval >= interval ''0''');

CREATE FUNCTION fuzz.part4(seeds int) RETURNS void LANGUAGE plpgsql AS $$
DECLARE tg record; s record; arg text; r record; ok boolean; lo numeric; hi numeric; chk text;
BEGIN
  IF NOT EXISTS (SELECT FROM fuzz.edge_target) THEN
    PERFORM fuzz.violate('edge', 'no function takes an argument named confidence or p: part 4 would test nothing');
  END IF;
  FOR tg IN SELECT * FROM fuzz.edge_target ORDER BY proname, typ LOOP
    SELECT c.ok INTO chk FROM fuzz.edge_check c WHERE c.ret = tg.ret;
    IF chk IS NULL THEN
      PERFORM fuzz.violate('edge', format('no range known for %s returning %s: add it to fuzz.edge_check', tg.proname, tg.ret));
      CONTINUE;
    END IF;
    FOR s IN SELECT * FROM fuzz.seed WHERE typ = tg.typ ORDER BY random() LIMIT seeds LOOP
      EXIT WHEN fuzz.out_of_time();
      lo := '-Infinity'; hi := 'Infinity';
      IF tg.ret IN ('numeric'::regtype, 'numeric[]'::regtype) THEN
        BEGIN
          EXECUTE format('SELECT heartbeat.smallest(%1$L::heartbeat.%2$I), heartbeat.largest(%1$L::heartbeat.%2$I)', s.txt, s.typ) INTO lo, hi;
          lo := lo - 0.004 * abs(lo); hi := hi + 0.004 * abs(hi);
        EXCEPTION WHEN OTHERS THEN      -- a sketch-only summary: finite is all we know
          lo := -1e131071; hi := 1e131071;
        END;
        lo := coalesce(lo, -1e131071); hi := coalesce(hi, 1e131071);
      END IF;
      FOR arg IN SELECT format(CASE WHEN tg.arg = 'double precision[]'::regtype THEN 'ARRAY[%L]::float8[]' ELSE '%L::float8' END, x) FROM fuzz.edge
                 UNION ALL SELECT format('%L::float8[]', a) FROM (SELECT array_agg(x) AS a FROM fuzz.edge) e
                            WHERE tg.arg = 'double precision[]'::regtype LOOP
        SELECT * INTO r FROM fuzz.try_value(format('SELECT heartbeat.%I(%L::heartbeat.%I, %s)::text', tg.proname, s.txt, s.typ, arg));
        IF r.outcome = 'ok' AND r.val IS NOT NULL THEN
          EXECUTE 'SELECT ' || chk INTO ok USING r.val, lo, hi;
          IF NOT ok THEN
            PERFORM fuzz.violate('edge ' || tg.proname, format('%s(%s, %s) = %s', tg.proname, s.txt, arg, r.val));
          END IF;
        END IF;
        PERFORM fuzz.note('edge ' || tg.proname, CASE WHEN r.outcome = 'ok' AND r.val IS NULL THEN 'null' ELSE r.outcome END);
      END LOOP;
    END LOOP;
  END LOOP;
END $$;
SELECT fuzz.part4(4);

---------------------------------------------------------------- part 5
-- Pools of argument values, as SQL literals, per type.
CREATE TABLE fuzz.pool (t regtype, lit text);
INSERT INTO fuzz.pool
SELECT t::regtype, lit FROM (VALUES
  ('boolean', 'true'), ('boolean', 'false'),
  ('bigint', '0'), ('bigint', '-1'), ('bigint', '1'), ('bigint', '9223372036854775807'), ('bigint', '-9223372036854775808'),
  ('bigint', '2147483648'), ('bigint', '4294967296'), ('bigint', '-2147483649'),
  ('integer', '0'), ('integer', '-1'), ('integer', '1'), ('integer', '2'), ('integer', '3'), ('integer', '64'),
  ('integer', '65'), ('integer', '100000'), ('integer', '100001'), ('integer', '2147483647'), ('integer', '-2147483648'),
  -- doubles: +-DBL_MAX, +-1e308, +-DBL_MAX/2, subnormals (the smallest,
  -- the largest), the smallest normal, -0, the neighbours of 1, NaN, +-inf
  ('double precision', '0'), ('double precision', '''-0'''), ('double precision', '1'), ('double precision', '-1'),
  ('double precision', '0.5'), ('double precision', '0.999999'), ('double precision', '1e-308'),
  ('double precision', '1e308'), ('double precision', '''-1e308'''), ('double precision', '''1.7976931348623157e308'''),
  ('double precision', '''-1.7976931348623157e308'''), ('double precision', '''8.988465674311579e307'''),
  ('double precision', '''-8.988465674311579e307'''), ('double precision', '''5e-324'''), ('double precision', '''-5e-324'''),
  ('double precision', '''2.5e-323'''), ('double precision', '''2.225073858507201e-308'''),
  ('double precision', '''2.2250738585072014e-308'''), ('double precision', '''1e-300'''),
  ('double precision', '''0.9999999999999999'''), ('double precision', '''1.0000000000000002'''),
  ('double precision', '''NaN'''), ('double precision', '''Infinity'''), ('double precision', '''-Infinity'''),
  ('double precision[]', '''{}'''), ('double precision[]', '''{NULL}'''), ('double precision[]', '''{0.5,NULL,1}'''),
  ('double precision[]', '''{NaN}'''), ('double precision[]', '''{-1,2}'''), ('double precision[]', '''{Infinity,-Infinity,1}'''),
  ('double precision[]', '''{{1,2},{3,4}}'''), ('double precision[]', '''[0:2]={1,5,3}'''),
  ('double precision[]', '''{-1e308,1e308}'''), ('double precision[]', '''{1.7976931348623157e308,NULL,-1.7976931348623157e308,0}'''),
  ('double precision[]', '''{-8.988465674311579e307,8.988465674311579e307,1.7976931348623157e308}'''),
  ('double precision[]', '''{0,5e-324,2.5e-323,-0}'''), ('double precision[]', '''{-1e308,1e308,NaN}'''),
  ('numeric', '0'), ('numeric', '-1'), ('numeric', '123.45'), ('numeric', '''NaN'''), ('numeric', '''Infinity'''),
  ('numeric', '''-Infinity'''), ('numeric', '9223372036854775807'), ('numeric', '-9223372036854775808'),
  ('numeric', '170141183460469231731687303715884105727'), ('numeric', '1e131071'), ('numeric', '-1e131071'),
  ('numeric', '1e-16383'), ('numeric', '''0.' || repeat('3', 16383) || ''''), ('numeric', '-0.000001'),
  ('date', '''2026-01-01'''), ('date', '''2026-03-31'''), ('date', '''infinity'''), ('date', '''-infinity'''),
  ('date', '''4713-01-01 BC'''), ('date', '''5874897-12-31'''), ('date', '''2000-02-29'''),
  ('timestamp with time zone', '''2026-01-01 00:00+00'''), ('timestamp with time zone', '''2026-03-29 02:30 Europe/Lisbon'''),
  ('timestamp with time zone', '''infinity'''), ('timestamp with time zone', '''-infinity'''),
  ('timestamp with time zone', '''4713-01-01 00:00+00 BC'''), ('timestamp with time zone', '''294276-12-31 23:59:59+00'''),
  ('timestamp with time zone', '''2026-02-01 12:00:00.000001+00'''),
  ('timestamp without time zone', '''2026-01-01 00:00'''), ('timestamp without time zone', '''infinity'''),
  ('timestamp without time zone', '''-infinity'''), ('timestamp without time zone', '''4713-01-01 00:00 BC'''),
  ('timestamp without time zone', '''294276-12-31 23:59:59'''), ('timestamp without time zone', '''2026-07-15 08:00'''),
  ('text', '''month'''), ('text', '''day'''), ('text', '''week'''), ('text', '''quarter'''), ('text', '''year'''),
  ('text', ''''''), ('text', '''MONTH'''), ('text', '''fortnight'''), ('text', '''' || repeat('x', 5000) || ''''),
  ('text', '''a'''), ('text', '''é'''),
  ('uuid', '''00000000-0000-0000-0000-000000000000'''), ('uuid', '''ffffffff-ffff-ffff-ffff-ffffffffffff'''),
  ('uuid', '''5a9d6b3e-0f43-4f1e-9d2a-3c1b2a4d5e6f'''),
  ('interval', '''0'''), ('interval', '''-1 day'''), ('interval', '''30 days'''), ('interval', '''1 month'''),
  ('interval', '''178000000 years'''), ('interval', '''-178000000 years'''), ('interval', '''1 microsecond'''),
  ('regclass', '''fuzz.rows'''), ('regclass', '''pg_class'''), ('regclass', '''fuzz.tally'''),
  ('name', '''opened'''), ('name', '''closed'''), ('name', '''won'''), ('name', '''amount'''), ('name', '''cust'''),
  ('name', '''grp'''), ('name', '''nope'''), ('name', '''i'''),
  ('regtype[]', '''{boolean}'''), ('regtype[]', '''{}''')
) v(t, lit);
INSERT INTO fuzz.pool SELECT ('heartbeat.' || typ)::regtype, quote_literal(txt) FROM fuzz.seed;
-- NULL is in every pool, twice as likely as any other single value.
INSERT INTO fuzz.pool SELECT DISTINCT t, 'NULL' FROM fuzz.pool;
INSERT INTO fuzz.pool SELECT DISTINCT t, 'NULL' FROM fuzz.pool;

-- An array of 0 to 6 doubles from the pool, extremes mixed.
CREATE FUNCTION fuzz.float_array() RETURNS text LANGUAGE sql AS $$
SELECT format('ARRAY[%s]::float8[]', string_agg(format('(%s)::float8', lit), ', '))
  FROM (SELECT lit FROM fuzz.pool WHERE t = 'double precision'::regtype ORDER BY random() LIMIT fuzz.rint(0, 6)) x $$;
-- A value of type t: from its pool (for a double precision[], half the
-- time an array made by fuzz.float_array).
CREATE FUNCTION fuzz.arg(t regtype) RETURNS text LANGUAGE sql AS $$
SELECT CASE WHEN t = 'double precision[]'::regtype AND random() < 0.5 THEN fuzz.float_array()
            ELSE (SELECT '(' || lit || ')::' || t::text FROM fuzz.pool WHERE pool.t = arg.t ORDER BY random() LIMIT 1) END $$;

CREATE TABLE fuzz.target AS
SELECT p.oid::regprocedure AS f, p.prokind, p.proretset OR p.prorettype = 'record'::regtype AS srf,
       p.proargtypes::regtype[] AS args,
       p.proname
  FROM pg_proc p
  JOIN pg_depend d ON d.objid = p.oid AND d.classid = 'pg_proc'::regclass AND d.deptype = 'e'
                  AND d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'heartbeat')
 WHERE p.proname !~ '_summary_(in|out|recv|send)$';

CREATE FUNCTION fuzz.call(tg fuzz.target) RETURNS text LANGUAGE plpgsql AS $$
DECLARE cols text; vals text; q text; nrows int; i int;
BEGIN
  IF tg.prokind = 'f' THEN
    SELECT string_agg(fuzz.arg(a), ', ') INTO vals FROM unnest(tg.args) a;
    q := format(CASE WHEN tg.srf THEN 'SELECT count(*) FROM heartbeat.%I(%s)' ELSE 'SELECT heartbeat.%I(%s)::text' END,
                tg.proname, coalesce(vals, ''));
    RETURN fuzz.try(q);
  END IF;
  -- Aggregates and window functions over 0 to 6 random rows.
  SELECT string_agg('c' || n, ', ' ORDER BY n) INTO cols FROM generate_series(1, cardinality(tg.args)) n;
  nrows := fuzz.rint(0, 6);
  IF nrows = 0 THEN
    vals := format('SELECT 0, %s WHERE false', (SELECT string_agg('NULL::' || a::text, ', ') FROM unnest(tg.args) a));
  ELSE
    SELECT string_agg(format('(%s, %s)', r, (SELECT string_agg(fuzz.arg(a), ', ') FROM unnest(tg.args) a)), ', ')
      INTO vals FROM generate_series(1, nrows) r;
    vals := 'VALUES ' || vals;
  END IF;
  IF tg.prokind = 'a' AND random() < 0.6 THEN     -- plain or ordered
    q := format('SELECT heartbeat.%I(%s%s)::text FROM (%s) v(ord, %s)', tg.proname, cols,
                CASE WHEN random() < 0.5 THEN ' ORDER BY ord' ELSE '' END, vals, cols);
  ELSE
    q := format('SELECT string_agg(x::text, '','') FROM (SELECT heartbeat.%I(%s) OVER (ORDER BY ord ROWS BETWEEN %s PRECEDING AND CURRENT ROW) x FROM (%s) v(ord, %s)) w',
                tg.proname, cols, fuzz.rint(0, 3), vals, cols);
  END IF;
  RETURN fuzz.try(q);
END $$;

CREATE FUNCTION fuzz.part5(cases int) RETURNS void LANGUAGE plpgsql AS $$
DECLARE tg fuzz.target; c int;
BEGIN
  FOR tg IN SELECT * FROM fuzz.target ORDER BY f::text LOOP
    FOR c IN 1 .. cases LOOP
      EXIT WHEN fuzz.out_of_time();
      PERFORM fuzz.note('call ' || CASE tg.prokind WHEN 'f' THEN 'function' WHEN 'a' THEN 'aggregate' ELSE 'window' END,
                        fuzz.call(tg));
    END LOOP;
  END LOOP;
END $$;
SELECT fuzz.part5(greatest(:cases / 10, 5));

---------------------------------------------------------------- part 6
-- Answers on extreme inputs against plain SQL: both raise, or both answer
-- and agree (numbers compared as values: trim_scale).  Expected
-- disagreements: documented ERRORs (NaN and infinite amounts, 22023;
-- amounts whose exact square overflows numeric, 22003; a retention summary
-- spanning more periods than it may, 54000) where plain SQL answers, and
-- plain SQL overflowing (interval sums) where heartbeat's wider sums don't.
-- Sparklines have no plain-SQL twin: their shape is checked instead (and
-- the aggregate ordered must draw what the function draws of the array).
CREATE FUNCTION fuzz.sample(t regtype, n int) RETURNS text LANGUAGE sql AS $$
SELECT 'VALUES ' || string_agg(format('(%s)', fuzz.arg(t)), ', ') FROM generate_series(1, n) $$;
CREATE FUNCTION fuzz.sample2(t1 regtype, t2 regtype, n int) RETURNS text LANGUAGE sql AS $$
SELECT 'VALUES ' || string_agg(format('(%s, %s)', fuzz.arg(t1), fuzz.arg(t2)), ', ') FROM generate_series(1, n) $$;

CREATE FUNCTION fuzz.oracle(part text, ours text, theirs text, excused text[] DEFAULT '{}') RETURNS void LANGUAGE plpgsql AS $$
DECLARE a record; b record;
BEGIN
  SELECT * INTO a FROM fuzz.try_value(ours);
  SELECT * INTO b FROM fuzz.try_value(theirs);
  IF a.outcome = 'ok' AND b.outcome = 'ok' AND a.val IS NOT DISTINCT FROM b.val THEN
    PERFORM fuzz.note('oracle ' || part, 'agree');
  ELSIF a.outcome <> 'ok' AND b.outcome <> 'ok' THEN
    PERFORM fuzz.note('oracle ' || part, 'both raise');
  ELSIF b.outcome = 'ok' AND substr(a.outcome, 7) = ANY (excused) THEN
    PERFORM fuzz.note('oracle ' || part, 'documented ERROR');
  ELSIF a.outcome = 'ok' AND b.outcome IN ('error 22008', 'error 22003') THEN
    PERFORM fuzz.note('oracle ' || part, 'plain SQL overflowed');   -- int128 sums go further
  ELSE
    PERFORM fuzz.violate('oracle ' || part,
      format('%s -> %s %s | %s -> %s %s', ours, a.outcome, a.val, theirs, b.outcome, b.val));
  END IF;
END $$;

-- 'ok' when s is a sparkline of a: one character per value, a space for
-- NULL, a flat middle bar for a constant series, else the least value the
-- lowest bar, the greatest the highest, and a larger value never a lower bar.
CREATE FUNCTION fuzz.spark_shape(a float8[], s text) RETURNS text LANGUAGE sql AS $$
WITH v AS (SELECT x, substr(s, i::int, 1) AS c, position(substr(s, i::int, 1) IN '▁▂▃▄▅▆▇█') AS bar
             FROM unnest(a) WITH ORDINALITY u(x, i))
SELECT CASE
  WHEN length(s) <> cardinality(a) THEN 'length'
  WHEN EXISTS (SELECT FROM v WHERE (x IS NULL) <> (c = ' ') OR (x IS NOT NULL AND bar = 0)) THEN 'not a bar or a space'
  WHEN (SELECT min(x) = max(x) FROM v) THEN CASE WHEN EXISTS (SELECT FROM v WHERE bar NOT IN (0, 4)) THEN 'not flat' ELSE 'ok' END
  WHEN EXISTS (SELECT FROM v WHERE x = (SELECT min(x) FROM v) AND bar <> 1) THEN 'least not lowest'
  WHEN EXISTS (SELECT FROM v WHERE x = (SELECT max(x) FROM v) AND bar <> 8) THEN 'greatest not highest'
  WHEN EXISTS (SELECT FROM v p, v q WHERE p.x < q.x AND p.bar > q.bar) THEN 'not monotone'
  ELSE 'ok' END $$;

CREATE FUNCTION fuzz.part6(cases int) RETURNS void LANGUAGE plpgsql AS $$
DECLARE v text; c int; fin boolean;
BEGIN
  FOR c IN 1 .. cases LOOP
    EXIT WHEN fuzz.out_of_time();
    v := fuzz.sample('boolean', fuzz.rint(1, 8));
    PERFORM fuzz.oracle('conversion',
      format('SELECT concat_ws('' '', heartbeat.conversions(s), heartbeat.trials(s), heartbeat.rate(s)) FROM (SELECT heartbeat.conversion_agg(x) s FROM (%s) v(x)) q', v),
      format('SELECT concat_ws('' '', count(*) FILTER (WHERE x), count(x), (count(*) FILTER (WHERE x))::float8 / nullif(count(x), 0)) FROM (%s) v(x)', v));
    v := fuzz.sample('numeric', fuzz.rint(1, 6));
    EXECUTE format('SELECT bool_and(x IS NULL OR x NOT IN (''NaN'', ''Infinity'', ''-Infinity'')) FROM (%s) v(x)', v) INTO fin;
    PERFORM fuzz.oracle('ticket',
      format('SELECT concat_ws('' '', heartbeat.deals(s), trim_scale(heartbeat.total(s)), trim_scale(heartbeat.mean(s)),
                                 trim_scale(heartbeat.smallest(s)), trim_scale(heartbeat.largest(s)))
                FROM (SELECT heartbeat.ticket_agg(x) s FROM (%s) v(x)) q', v),
      format('SELECT concat_ws('' '', count(x), trim_scale(sum(x)), trim_scale(avg(x)), trim_scale(min(x)), trim_scale(max(x))) FROM (%s) v(x)', v),
      CASE WHEN fin THEN '{22003}' ELSE '{22003,22023}' END::text[]);
    PERFORM fuzz.oracle('avg_ticket', format('SELECT trim_scale(heartbeat.avg_ticket(x)) FROM (%s) v(x)', v),
                        format('SELECT trim_scale(avg(x)) FROM (%s) v(x)', v),
                        CASE WHEN fin THEN '{}' ELSE '{22023}' END::text[]);
    -- a few amounts: an exact list, so percentile_disc's very values
    PERFORM fuzz.oracle('ticket percentiles',
      format('SELECT (SELECT string_agg(trim_scale(e)::text, '' '' ORDER BY i) FROM unnest(heartbeat.percentiles(s, %2$L)) WITH ORDINALITY u(e, i))
                FROM (SELECT heartbeat.ticket_agg(x) s FROM (%1$s) v(x)) q', v, '{0,0.1,0.25,0.5,0.75,0.9,1}'),
      format('SELECT (SELECT string_agg(trim_scale(e)::text, '' '' ORDER BY i) FROM unnest(p) WITH ORDINALITY u(e, i))
                FROM (SELECT percentile_disc(%2$L::float8[]) WITHIN GROUP (ORDER BY x) p FROM (%1$s) v(x)) q', v, '{0,0.1,0.25,0.5,0.75,0.9,1}'),
      CASE WHEN fin THEN '{22003}' ELSE '{22003,22023}' END::text[]);
    PERFORM fuzz.oracle('median_ticket', format('SELECT trim_scale(heartbeat.median_ticket(x)) FROM (%s) v(x)', v),
                        format('SELECT trim_scale(percentile_disc(0.5) WITHIN GROUP (ORDER BY x)) FROM (%s) v(x)', v),
                        CASE WHEN fin THEN '{}' ELSE '{22023}' END::text[]);
    v := fuzz.sample2('timestamp with time zone', 'timestamp with time zone', fuzz.rint(1, 6));
    PERFORM fuzz.oracle('cycle',
      format('SELECT concat_ws('' '', heartbeat.closed_deals(s), heartbeat.skipped(s), heartbeat.mean(s)) FROM (SELECT heartbeat.cycle_agg(o, c) s FROM (%s) v(o, c)) q', v),
      format('SELECT concat_ws('' '', count(*) FILTER (WHERE ok), count(*) FILTER (WHERE NOT ok), avg(CASE WHEN ok THEN c - o END))
                FROM (SELECT o, c, isfinite(o) AND isfinite(c) AND c >= o
                             AND (extract(epoch FROM c) - extract(epoch FROM o)) * 1000000 <= 9223372036854775807 AS ok
                        FROM (%s) v(o, c) WHERE o IS NOT NULL AND c IS NOT NULL) w', v));
    v := fuzz.sample2('bigint', 'date', fuzz.rint(1, 6));
    PERFORM fuzz.oracle('retention',
      format('SELECT heartbeat.customers(heartbeat.retention_agg(''month'', k, t)) FROM (%s) v(k, t)', v),
      format('SELECT CASE WHEN bool_or(k IS NOT NULL AND NOT isfinite(t)) THEN 1 / (count(*) * 0) ELSE count(DISTINCT k) FILTER (WHERE t IS NOT NULL) END FROM (%s) v(k, t)', v),
      '{54000}');
    CONTINUE WHEN getdatabaseencoding() <> 'UTF8';     -- sparklines need it
    v := fuzz.float_array();
    PERFORM fuzz.oracle('sparkline', format('SELECT fuzz.spark_shape(%1$s, heartbeat.sparkline(%1$s))', v),
      format('SELECT CASE WHEN bool_or(x IN (''NaN'', ''Infinity'', ''-Infinity'')) THEN (1 / (count(*) * 0))::text ELSE ''ok'' END FROM unnest(%s) x', v));
    PERFORM fuzz.oracle('sparkline aggregate', format('SELECT heartbeat.sparkline(x ORDER BY i) FROM unnest(%s) WITH ORDINALITY u(x, i)', v),
                        format('SELECT heartbeat.sparkline(nullif(%s, ''{}''))', v));
  END LOOP;
END $$;
SELECT fuzz.part6(greatest(:cases / 4, 10));

---------------------------------------------------------------- report
\pset footer off
SELECT part, outcome, n FROM fuzz.tally ORDER BY part, outcome;
SELECT * FROM fuzz.shown;
\t on
SELECT format('cases %s violations %s', (SELECT sum(n) FROM fuzz.tally WHERE part !~ '(accessor|rollup)$'),
              (SELECT count(*) FROM fuzz.violation));
