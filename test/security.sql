-- pgTAP: heartbeat as an ordinary role, and under a hostile search_path.
-- The role reads one table and uses the heartbeat schema, nothing more; its
-- figures must equal the superuser's, also when a schema of look-alike
-- functions, operators, aggregates, types and tables it created comes first.
\ir lib/begin.psql
SET LOCAL TimeZone = 'UTC';
SELECT plan(13);

SELECT setseed(0.31);
CREATE TABLE deals AS
SELECT i, i % 5 AS rep, o, CASE WHEN random() < 0.85 THEN o + random() * interval '90 days' END AS c,
       random() < 0.3 AS won, round((random() * 5000)::numeric, 2) AS amount, (random() * 400)::int AS cu
  FROM generate_series(1, 4000) i,
       LATERAL (SELECT timestamptz '2025-01-01' + random() * interval '540 days' + i * interval '0 s' AS o) x;
UPDATE deals SET won = NULL WHERE c IS NULL;

CREATE ROLE hb_security_reader NOSUPERUSER NOCREATEDB NOCREATEROLE;
GRANT USAGE ON SCHEMA heartbeat TO hb_security_reader;
GRANT SELECT ON deals TO hb_security_reader;
-- Only so that it can create the hostile schema below.
DO $$ BEGIN EXECUTE format('GRANT CREATE ON DATABASE %I TO hb_security_reader', current_database()); END $$;

-- What the extension gives everyone, and what is parsed at call time.
CREATE TEMP VIEW hb_objects AS
SELECT d.classid, d.objid FROM pg_depend d
 WHERE d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'heartbeat') AND d.deptype = 'e';
SELECT is((SELECT count(*) FROM hb_objects o JOIN pg_proc p ON p.oid = o.objid AND o.classid = 'pg_proc'::regclass
            WHERE NOT has_function_privilege('hb_security_reader', p.oid, 'EXECUTE')), 0::bigint,
          'the role may execute every function and aggregate without a grant (EXECUTE is PUBLIC''s by default)');
SELECT is((SELECT count(*) FROM hb_objects o JOIN pg_type t ON t.oid = o.objid AND o.classid = 'pg_type'::regclass
            WHERE NOT has_type_privilege('hb_security_reader', t.oid, 'USAGE')), 0::bigint,
          'and may use every type');
SELECT is((SELECT count(*) FROM hb_objects o JOIN pg_proc p ON p.oid = o.objid AND o.classid = 'pg_proc'::regclass
            WHERE p.prosecdef), 0::bigint, 'no function is SECURITY DEFINER');
SELECT is((SELECT array_agg(p.proname::text ORDER BY p.proname) FROM hb_objects o
             JOIN pg_proc p ON p.oid = o.objid AND o.classid = 'pg_proc'::regclass
             JOIN pg_language l ON l.oid = p.prolang
            WHERE l.lanname NOT IN ('c', 'internal') AND p.proconfig IS NULL), '{pulse,pulse_column}'::text[],
          'only pulse() and pulse_column() have bodies parsed at call time under the caller''s path (the hostile runs below cover them)');
SELECT is((SELECT array_agg(p.proname::text ORDER BY p.proname) FROM hb_objects o
             JOIN pg_proc p ON p.oid = o.objid AND o.classid = 'pg_proc'::regclass
            WHERE p.proconfig IS NOT NULL AND NOT 'search_path=pg_catalog, pg_temp' = ANY (p.proconfig)
               OR EXISTS (SELECT FROM unnest(p.proconfig) c
                           WHERE c NOT IN ('search_path=pg_catalog, pg_temp', 'jit=off', 'enable_nestloop=off'))), NULL,
          'the others (track() and its helpers) pin search_path to pg_catalog, pg_temp, and set nothing else but jit and enable_nestloop off (test/track.sql runs them under a hostile path)');

-- Every family's figures as text lines: aggregates, accessors, rollup, the
-- set-returning readers, window functions, sparkline and pulse().  Qualified
-- throughout, so that under the hostile path only heartbeat's own bodies are
-- at stake.
CREATE FUNCTION hb_figures() RETURNS TABLE (line text) LANGUAGE sql AS $$
  WITH s AS (SELECT rep, heartbeat.conversion_agg(won) AS conv, heartbeat.conversion_rate(won) AS cr,
                    heartbeat.ticket_agg(amount) AS tk, heartbeat.avg_ticket(amount) AS at,
                    heartbeat.median_ticket(amount) AS mt, heartbeat.cycle_agg(o, c, '2026-07-01') AS cy,
                    heartbeat.avg_cycle(o, c) AS ac, heartbeat.median_cycle(o, c) AS mc,
                    heartbeat.retention_agg('month', cu, o, 'America/Sao_Paulo', amount) AS ret,
                    heartbeat.funnel_agg(CASE WHEN won THEN 3 WHEN c IS NULL THEN 1 ELSE 2 END) AS fu
               FROM public.deals GROUP BY rep),
       t AS (SELECT heartbeat.rollup(conv) AS conv, heartbeat.rollup(tk) AS tk, heartbeat.rollup(cy) AS cy,
                    heartbeat.rollup(ret) AS ret, heartbeat.rollup(fu) AS fu FROM s),
       weekly AS (SELECT pg_catalog.date_trunc('week', o) AS wk, heartbeat.conversion_agg(won) AS conv
                    FROM public.deals GROUP BY 1)
  SELECT pg_catalog.concat_ws('|', 'rep', s.rep, s.conv, heartbeat.rate(s.conv), heartbeat.wilson_lower(s.conv),
                              heartbeat.wilson_upper(s.conv, 0.9), heartbeat.conversions(s.conv), heartbeat.trials(s.conv),
                              heartbeat.compare(s.conv, t.conv), s.cr, s.tk, heartbeat.mean(s.tk), heartbeat.total(s.tk),
                              heartbeat.deals(s.tk), heartbeat.smallest(s.tk), heartbeat.largest(s.tk),
                              heartbeat.stddev_amount(s.tk), heartbeat.percentile(s.tk, 0.9),
                              heartbeat.percentiles(s.tk, '{0.25,0.75}'), heartbeat.median(s.tk), s.at, s.mt,
                              s.cy, heartbeat.mean(s.cy), heartbeat.median(s.cy), heartbeat.percentile(s.cy, 0.9),
                              heartbeat.closed_deals(s.cy), heartbeat.open_deals(s.cy), heartbeat.skipped(s.cy),
                              heartbeat.survival_median(s.cy), heartbeat.survival_percentile(s.cy, 0.75),
                              heartbeat.close_probability(s.cy, '30 days'), s.ac, s.mc,
                              s.ret, heartbeat.customers(s.ret), s.fu)
    FROM s, t
  UNION ALL SELECT pg_catalog.concat_ws('|', 'rollup', t) FROM t
  UNION ALL SELECT pg_catalog.concat_ws('|', 'retention', r) FROM t, heartbeat.retention(t.ret) r
  UNION ALL SELECT pg_catalog.concat_ws('|', 'cohorts', r) FROM t, heartbeat.cohorts(t.ret) r
  UNION ALL SELECT pg_catalog.concat_ws('|', 'revenue', r) FROM t, heartbeat.revenue_retention(t.ret) r
  UNION ALL SELECT pg_catalog.concat_ws('|', 'stages', r) FROM t, heartbeat.stages(t.fu) r
  UNION ALL SELECT pg_catalog.concat_ws('|', 'window', wk, heartbeat.anomaly_score(heartbeat.rate(conv)) OVER w,
                                        heartbeat.anomaly_score(heartbeat.rate(conv), 3, 4) OVER w,
                                        heartbeat.conversion_zscore(conv) OVER w)
              FROM weekly WINDOW w AS (ORDER BY wk)
  UNION ALL SELECT pg_catalog.concat_ws('|', 'moving', i, heartbeat.conversion_rate(won) OVER m,
                                        heartbeat.avg_ticket(amount) OVER m, heartbeat.avg_cycle(o, c) OVER m)
              FROM public.deals WINDOW m AS (ORDER BY i ROWS 20 PRECEDING)
  UNION ALL SELECT pg_catalog.concat_ws('|', 'sparkline', heartbeat.sparkline(heartbeat.rate(conv) ORDER BY wk)) FROM weekly
  UNION ALL SELECT pg_catalog.concat_ws('|', 'pulse', p)
              FROM heartbeat.pulse('public.deals', 'month', 'o', 'c', 'won', 'amount', 'cu', '2026-07-01') p
  UNION ALL SELECT pg_catalog.concat_ws('|', 'pulse by rep', p)
              FROM heartbeat.pulse('public.deals', 'week', 'o', 'c', 'won', 'amount', 'cu', '2026-07-01', segment => 'rep',
                                   since => '2025-09-01', until => '2026-03-01', min_history => 2) p
$$;

-- Runs q under the given search_path; the error message, or NULL.  The SET
-- clause keeps the helper's own body on pg_catalog and ends the path's
-- effect when it returns.
CREATE FUNCTION run_with_path(path text, q text) RETURNS text LANGUAGE plpgsql SET search_path = pg_catalog AS $$
BEGIN
    PERFORM pg_catalog.set_config('search_path', path, true);
    EXECUTE q;
    RETURN NULL;
EXCEPTION WHEN OTHERS THEN
    RETURN SQLERRM;
END $$;

-- Each run's figures, and its error if any.
CREATE TEMP TABLE figures (run text, line text);
CREATE TEMP TABLE runs (run text, error text);
GRANT INSERT ON figures, runs TO hb_security_reader;
CREATE FUNCTION record_run(run text, path text) RETURNS void LANGUAGE sql AS $$
  INSERT INTO pg_temp.runs
  SELECT run, public.run_with_path(path, pg_catalog.format(
                'INSERT INTO pg_temp.figures SELECT %L, line FROM public.hb_figures()', run)) $$;

SET ROLE hb_security_reader;

-- The hostile schema: look-alikes of what heartbeat's bodies use, each an
-- ERROR 'evil ... called' if it runs; a decoy deals table; a pg_attribute.
CREATE SCHEMA evil;
CREATE FUNCTION evil.boom(what text) RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'evil % called', what;
END $$;
DO $$
DECLARE
    f text[];
    n int := 0;
BEGIN
    -- Functions (name and arguments, result).
    FOREACH f SLICE 1 IN ARRAY ARRAY[
        ['lower(text)', 'text'], ['quote_ident(text)', 'text'], ['format(text, text)', 'text'],
        ['format(text, numeric)', 'text'], ['array_to_string(text[], text)', 'text'],
        ['date_trunc(text, timestamptz)', 'timestamptz'], ['round(numeric, integer)', 'numeric'],
        ['generate_series(date, date, interval)', 'SETOF timestamptz'],
        ['conversion_agg(boolean)', 'heartbeat.conversion_summary'],
        ['ticket_agg(numeric)', 'heartbeat.ticket_summary'],
        ['cycle_agg(timestamptz, timestamptz)', 'heartbeat.cycle_summary'],
        ['cycle_agg(timestamptz, timestamptz, timestamptz)', 'heartbeat.cycle_summary'],
        ['retention_agg(text, integer, timestamptz, text)', 'heartbeat.retention_summary'],
        ['current_setting(text)', 'text'],
        ['rate(heartbeat.conversion_summary)', 'double precision'],
        ['mean(heartbeat.ticket_summary)', 'numeric'], ['mean(heartbeat.cycle_summary)', 'interval'],
        ['median(heartbeat.ticket_summary)', 'numeric'],
        ['survival_median(heartbeat.cycle_summary)', 'interval'],
        ['conversion_zscore(heartbeat.conversion_summary)', 'double precision'],
        ['pulse_column(regclass, name, text, regtype[])', 'regtype'],
        ['substr(text, integer)', 'text'], ['abs(double precision)', 'double precision'],
        ['extract(text, interval)', 'numeric'], ['trials(heartbeat.conversion_summary)', 'bigint'],
        ['conversions(heartbeat.conversion_summary)', 'bigint'],
        ['agg_boom(bigint)', 'bigint'], ['agg_boom(date, date)', 'date']] LOOP
        EXECUTE format('CREATE FUNCTION evil.%s RETURNS %s LANGUAGE plpgsql AS %L', f[1], f[2],
                       format('BEGIN RAISE EXCEPTION %L, %L; END', 'evil % called', f[1]));
    END LOOP;
    -- Operators (operator, left, right, result).
    FOREACH f SLICE 1 IN ARRAY ARRAY[
        ['=', 'text', 'text', 'boolean'], ['=', 'name', 'name', 'boolean'], ['=', 'oid', 'regclass', 'boolean'],
        ['=', 'regtype', 'regtype', 'boolean'], ['=', 'date', 'date', 'boolean'],
        ['>', 'smallint', 'integer', 'boolean'], ['<=', 'timestamptz', 'timestamptz', 'boolean'],
        ['<=', 'double precision', 'integer', 'boolean'], ['>=', 'double precision', 'integer', 'boolean'],
        ['<', 'timestamptz', 'timestamptz', 'boolean'], ['>=', 'timestamptz', 'timestamptz', 'boolean'],
        ['-', 'date', 'interval', 'timestamp'], ['*', 'numeric', 'numeric', 'numeric'],
        ['||', 'text', 'text', 'text']] LOOP
        n := n + 1;
        EXECUTE format('CREATE FUNCTION evil.op_boom_%s(%s, %s) RETURNS %s LANGUAGE plpgsql AS %L', n, f[2], f[3], f[4],
                       format('BEGIN RAISE EXCEPTION %L, %L; END', 'evil % called', concat_ws(' ', f[2], f[1], f[3])));
        EXECUTE format('CREATE OPERATOR evil.%s (LEFTARG = %s, RIGHTARG = %s, FUNCTION = evil.op_boom_%s)', f[1], f[2], f[3], n);
    END LOOP;
END $$;
CREATE AGGREGATE evil.count(*) (SFUNC = evil.agg_boom, STYPE = bigint);
CREATE AGGREGATE evil.min(date) (SFUNC = evil.agg_boom, STYPE = date);
CREATE AGGREGATE evil.max(date) (SFUNC = evil.agg_boom, STYPE = date);
CREATE DOMAIN evil.date AS pg_catalog.date CHECK (evil.boom('date'));
CREATE DOMAIN evil.timestamptz AS pg_catalog.timestamptz CHECK (evil.boom('timestamptz'));
CREATE DOMAIN evil.regtype AS pg_catalog.regtype CHECK (evil.boom('regtype'));
CREATE DOMAIN evil.text AS pg_catalog.text CHECK (evil.boom('text'));
CREATE VIEW evil.pg_attribute AS
SELECT attrelid, attname, attnum, attisdropped, atttypid FROM pg_catalog.pg_attribute WHERE evil.boom('pg_attribute');
CREATE TABLE evil.deals AS SELECT i, rep, o, c, NOT won AS won, amount * 2 AS amount, cu FROM deals;

-- First calls of pulse() in this session, so that plpgsql compiles it under
-- the hostile path: evil comes before pg_catalog; heartbeat last, or absent.
-- Then the role with the ordinary path.
SELECT record_run('hostile', 'evil, pg_catalog, public, heartbeat'),
       record_run('hostile, heartbeat off the path', 'evil, pg_catalog, public'),
       record_run('reader', 'public, heartbeat');
-- pulse()'s guard rails run pulse_column() and the error paths' helpers;
-- date columns must still be told from evil's date.
CREATE TEMP TABLE deal_dates AS SELECT o::date AS o, c::date AS c, won, amount, cu FROM deals;
CREATE TEMP TABLE hostile_calls AS
SELECT run_with_path('evil, pg_catalog, public, heartbeat', q) AS error
  FROM unnest(ARRAY[$$SELECT * FROM heartbeat.pulse('public.deals', 'Fortnight')$$,
                    $$SELECT * FROM heartbeat.pulse('public.deals', 'month', 'nope', 'c', 'won', 'amount', 'cu')$$,
                    $$SELECT * FROM heartbeat.pulse('public.deals', 'month', 'o', 'c', 'amount', 'amount', 'cu')$$,
                    $$SELECT * FROM heartbeat.pulse('deal_dates', 'quarter', 'o', 'c', 'won', 'amount', 'cu')$$]) q;
-- Controls: written unqualified, each kind of look-alike is what runs.
CREATE TEMP TABLE controls AS
SELECT q, run_with_path('evil, pg_catalog, public, heartbeat', q) AS error
  FROM unnest(ARRAY['SELECT lower(''Month'')', 'SELECT count(*) FROM public.deals', 'SELECT ''month'' = ''year''',
                    'SELECT date ''2026-01-01''', 'SELECT attname FROM pg_attribute LIMIT 1',
                    'SELECT conversion_agg(won) FROM public.deals']) q;
RESET ROLE;
SELECT record_run('superuser', 'public, heartbeat');

SELECT is((SELECT array_agg(run || ': ' || error) FROM runs WHERE run IN ('reader', 'superuser') AND error IS NOT NULL), NULL,
          'the ordinary role and the superuser compute every figure');
SELECT cmp_ok((SELECT count(*) FROM figures WHERE run = 'superuser' AND line LIKE 'pulse|%'), '>=', 18::bigint,
              'the figures include pulse(), one line per month');
SELECT bag_eq($$SELECT line FROM figures WHERE run = 'reader'$$, $$SELECT line FROM figures WHERE run = 'superuser'$$,
              'the ordinary role gets the superuser''s figures: every family, accessor, rollup, window function, sparkline and pulse()');
SELECT is((SELECT array_agg(q) FROM controls WHERE error IS NULL OR error NOT LIKE 'evil % called'), NULL,
          'control: unqualified, a function, an aggregate, an operator, a type, a catalogue name and an aggregate of ours are all captured by evil');
SELECT is((SELECT error FROM runs WHERE run = 'hostile'), NULL,
          'search_path = evil, pg_catalog, public, heartbeat: no look-alike is called');
SELECT is((SELECT error FROM runs WHERE run = 'hostile, heartbeat off the path'), NULL,
          'search_path = evil, pg_catalog, public (heartbeat not on it): pulse() still finds its own functions');
SELECT bag_eq($$SELECT line FROM figures WHERE run LIKE 'hostile%'$$,
              $$SELECT line FROM figures, generate_series(1, 2) WHERE run = 'superuser'$$,
              'and both give the superuser''s figures, pulse() reading public.deals, not evil.deals');
SELECT is((SELECT array_agg(error) FROM hostile_calls),
          ARRAY['unknown pulse granularity "Fortnight"', 'column nope does not exist in public.deals',
                'column amount of public.deals has type numeric, which pulse() cannot use as won', NULL],
          'under the hostile path pulse()''s guard rails give their own errors, and date columns are accepted');
SELECT * FROM finish();
ROLLBACK;
