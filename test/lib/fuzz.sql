-- The fuzz driver of test/fuzz.sh: seeded, bounded in count and time.
--   psql -v seed=0.42 -v cases=400 -v seconds=120 -f test/lib/fuzz.sql
-- Part 1 feeds every summary type mutated text (input function) and mutated
-- bytes (binary receive, through COPY ... FORMAT binary).  A value that is
-- accepted must be a real summary: its text and bytes round-trip, and every
-- accessor and rollup() either answers or raises an ERROR.
-- Part 2 calls every function, aggregate (plain and as a moving window) and
-- window function of the extension with random picks from pools of NULLs
-- and extreme values.
-- Part 3 checks the aggregates' answers on extreme inputs against plain SQL.
-- Every case runs in its own subtransaction; an ERROR is an outcome, a crash
-- ends the session (and test/fuzz.sh sees the lost backend).  The last line
-- printed is "cases <n> violations <m>"; the violations are listed above it.
\set ON_ERROR_STOP 1
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS heartbeat;
DROP SCHEMA IF EXISTS fuzz CASCADE;
CREATE SCHEMA fuzz;
SET search_path = fuzz, public;
SELECT setseed(:seed);

CREATE TABLE fuzz.tally (part text, outcome text, n bigint NOT NULL DEFAULT 1, PRIMARY KEY (part, outcome));
CREATE TABLE fuzz.violation (part text, detail text);
CREATE TABLE fuzz.clock (deadline timestamptz);
INSERT INTO fuzz.clock VALUES (clock_timestamp() + :seconds * interval '1 second');

CREATE FUNCTION fuzz.violate(p text, d text) RETURNS void LANGUAGE sql AS
$$ INSERT INTO fuzz.violation VALUES (p, left(d, 400)) $$;
-- Counts an outcome.  An internal error (XX000: an elog, not a message
-- written for users) is a violation anywhere; so is "data corrupted"
-- (XX001, for stored values) from an input function, which says 22P02/22P03.
CREATE FUNCTION fuzz.note(p text, o text) RETURNS void LANGUAGE sql AS $$
INSERT INTO fuzz.tally AS t VALUES (p, o) ON CONFLICT (part, outcome) DO UPDATE SET n = t.n + 1;
INSERT INTO fuzz.violation
SELECT p, 'outcome ' || o WHERE o = 'error XX000' OR (o = 'error XX001' AND p ~ '^(text|binary) [a-z]+_summary$') $$;
CREATE FUNCTION fuzz.out_of_time() RETURNS boolean LANGUAGE sql AS
$$ SELECT clock_timestamp() > deadline FROM fuzz.clock $$;
CREATE FUNCTION fuzz.rint(lo int, hi int) RETURNS int LANGUAGE sql AS
$$ SELECT lo + floor(random() * (hi - lo + 1))::int $$;
CREATE FUNCTION fuzz.pick(a anyarray) RETURNS anyelement LANGUAGE sql AS
$$ SELECT a[fuzz.rint(array_lower(a, 1), array_upper(a, 1))] $$;
CREATE FUNCTION fuzz.randbytes(k int) RETURNS bytea LANGUAGE sql AS
$$ SELECT coalesce(decode(string_agg(lpad(to_hex(fuzz.rint(0, 255)), 2, '0'), ''), 'hex'), '\x')
     FROM generate_series(1, k) $$;

-- Runs one case: 'ok', or 'error <sqlstate>'.
CREATE FUNCTION fuzz.try(q text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE q;
  RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
  RETURN 'error ' || SQLSTATE;
END $$;
CREATE FUNCTION fuzz.try_value(q text, OUT outcome text, OUT val text) LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE q INTO val;
  outcome := 'ok';
EXCEPTION WHEN OTHERS THEN
  outcome := 'error ' || SQLSTATE;
END $$;

---------------------------------------------------------------- seeds
-- Valid summaries of every type, from random data with extreme values.
CREATE TABLE fuzz.seed (typ text, txt text, bin bytea);
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
    'cycle_summary', 'SELECT heartbeat.cycle_agg(opened, closed) FROM fuzz.rows WHERE i %% %s < 3 GROUP BY grp',
    'cycle_summary', 'SELECT heartbeat.cycle_agg(opened, closed, timestamptz ''2025-09-01'') FROM fuzz.rows WHERE i %% %s < 3 GROUP BY grp',
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
        INSERT INTO fuzz.seed (typ, txt) VALUES (typ, s);
      END LOOP;
    END LOOP;
  END LOOP;
END $$;
-- Empty summaries (a transition from no state with a NULL row) too.
INSERT INTO fuzz.seed (typ, txt)
SELECT typ, txt FROM (VALUES
  ('conversion_summary', heartbeat.conversion_trans(NULL, NULL)::text),
  ('ticket_summary', heartbeat.ticket_trans(NULL, NULL)::text),
  ('cycle_summary', heartbeat.cycle_trans(NULL, NULL::date, NULL::date)::text),
  ('retention_summary', heartbeat.retention_trans(NULL, 'month', NULL::bigint, NULL::date)::text),
  ('funnel_summary', heartbeat.funnel_trans(NULL, NULL)::text)) v(typ, txt)
 WHERE txt IS NOT NULL;

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
DO $$
DECLARE typ text;
BEGIN
  FOR typ IN SELECT t.typ FROM fuzz.summary_types t LOOP
    EXECUTE format('UPDATE fuzz.seed SET bin = heartbeat.%I(txt::heartbeat.%I) WHERE typ = %L',
                   typ || '_send', typ, typ);
  END LOOP;
END $$;

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
    m := substring(t FROM '"(?:sketch|sketches|data)": *"([^"]+)"');
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

CREATE FUNCTION fuzz.recv_case(typ text, b bytea) RETURNS text LANGUAGE plpgsql AS $$
DECLARE path text := current_setting('data_directory') || '/hb_fuzz.copy'; val text;
BEGIN
  EXECUTE format('COPY (SELECT $b$%s$b$::bytea) TO %L (FORMAT binary)', b::text, path);
  BEGIN
    EXECUTE format('DELETE FROM fuzz.%1$I; COPY fuzz.%1$I (v) FROM %2$L (FORMAT binary)', 'sink_' || typ, path);
    EXECUTE format('SELECT v::text FROM fuzz.%I', 'sink_' || typ) INTO val;
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
-- Pools of argument values, as SQL literals, per type.
CREATE TABLE fuzz.pool (t regtype, lit text);
INSERT INTO fuzz.pool
SELECT t::regtype, lit FROM (VALUES
  ('boolean', 'true'), ('boolean', 'false'),
  ('bigint', '0'), ('bigint', '-1'), ('bigint', '1'), ('bigint', '9223372036854775807'), ('bigint', '-9223372036854775808'),
  ('integer', '0'), ('integer', '-1'), ('integer', '1'), ('integer', '2'), ('integer', '3'), ('integer', '64'),
  ('integer', '65'), ('integer', '100000'), ('integer', '100001'), ('integer', '2147483647'), ('integer', '-2147483648'),
  ('double precision', '0'), ('double precision', '-0'), ('double precision', '1'), ('double precision', '-1'),
  ('double precision', '0.5'), ('double precision', '0.999999'), ('double precision', '1e-308'),
  ('double precision', '1e308'), ('double precision', '''NaN'''), ('double precision', '''Infinity'''),
  ('double precision', '''-Infinity'''),
  ('double precision[]', '''{}'''), ('double precision[]', '''{NULL}'''), ('double precision[]', '''{0.5,NULL,1}'''),
  ('double precision[]', '''{NaN}'''), ('double precision[]', '''{-1,2}'''), ('double precision[]', '''{Infinity,-Infinity,1}'''),
  ('double precision[]', '''{{1,2},{3,4}}'''), ('double precision[]', '''[0:2]={1,5,3}'''),
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

CREATE FUNCTION fuzz.arg(t regtype) RETURNS text LANGUAGE sql AS
$$ SELECT '(' || lit || ')::' || t::text FROM fuzz.pool WHERE pool.t = arg.t ORDER BY random() LIMIT 1 $$;

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
  IF tg.prokind = 'a' AND random() < 0.6 THEN
    q := format('SELECT heartbeat.%I(%s)::text FROM (%s) v(ord, %s)', tg.proname, cols, vals, cols);
  ELSE
    q := format('SELECT string_agg(x::text, '','') FROM (SELECT heartbeat.%I(%s) OVER (ORDER BY ord ROWS BETWEEN %s PRECEDING AND CURRENT ROW) x FROM (%s) v(ord, %s)) w',
                tg.proname, cols, fuzz.rint(0, 3), vals, cols);
  END IF;
  RETURN fuzz.try(q);
END $$;

CREATE FUNCTION fuzz.part2(cases int) RETURNS void LANGUAGE plpgsql AS $$
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
SELECT fuzz.part2(greatest(:cases / 10, 5));

---------------------------------------------------------------- part 3
-- Answers on extreme inputs against plain SQL: both raise, or both answer
-- and agree (numbers compared as values: trim_scale).  Expected
-- disagreements: documented ERRORs (NaN and infinite amounts, 22023;
-- amounts whose exact square overflows numeric, 22003; a retention summary
-- spanning more periods than it may, 54000) where plain SQL answers, and
-- plain SQL overflowing (interval sums) where heartbeat's wider sums don't.
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

CREATE FUNCTION fuzz.part3(cases int) RETURNS void LANGUAGE plpgsql AS $$
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
  END LOOP;
END $$;
SELECT fuzz.part3(greatest(:cases / 4, 10));

---------------------------------------------------------------- report
\pset footer off
SELECT part, outcome, n FROM fuzz.tally ORDER BY part, outcome;
SELECT part, detail FROM fuzz.violation ORDER BY part LIMIT 30;
\t on
SELECT format('cases %s violations %s', (SELECT sum(n) FROM fuzz.tally WHERE part !~ '(accessor|rollup)$'),
              (SELECT count(*) FROM fuzz.violation));
