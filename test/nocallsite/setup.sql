-- Setup of test/nocallsite.sh, run with psql -v lib=<absolute path of nocallsite.so>
-- in a database of its own: the no-call-site aggregates, the data every
-- heartbeat aggregate is fed from, and nocallsite_check(), which runs one
-- aggregate directly and through partial_agg / combine_agg.
\set ON_ERROR_STOP 1
SET client_min_messages = warning;
CREATE EXTENSION heartbeat;

CREATE FUNCTION partial_agg_sfunc(internal, regprocedure, anyelement) RETURNS internal
    AS :'lib', 'partial_agg_sfunc' LANGUAGE C;
CREATE FUNCTION partial_agg_final(internal) RETURNS text
    AS :'lib', 'partial_agg_final' LANGUAGE C;
CREATE AGGREGATE partial_agg(regprocedure, anyelement) (
    SFUNC = partial_agg_sfunc, STYPE = internal, FINALFUNC = partial_agg_final);
CREATE FUNCTION combine_agg_sfunc(internal, regprocedure, text) RETURNS internal
    AS :'lib', 'combine_agg_sfunc' LANGUAGE C;
CREATE FUNCTION combine_agg_final(internal) RETURNS text
    AS :'lib', 'combine_agg_final' LANGUAGE C;
CREATE AGGREGATE combine_agg(regprocedure, text) (
    SFUNC = combine_agg_sfunc, STYPE = internal, FINALFUNC = combine_agg_final);

-- The rows, in three contiguous parts (the shards) of 200: every key, time
-- and value type, NULLs in each column, open deals, times on both sides of
-- midnight in several zones and of summer time changes.
CREATE TABLE raw AS
SELECT i AS id, (i - 1) / 200 AS part,
       CASE WHEN i % 17 = 0 THEN NULL ELSE (i % 53)::bigint * 1000003 END AS cust_big,
       CASE WHEN i % 17 = 0 THEN NULL ELSE 'customer ' || (i % 53) END AS cust_text,
       CASE WHEN i % 17 = 0 THEN NULL ELSE md5((i % 53)::text)::uuid END AS cust_uuid,
       t::date AS at_date, t AS at_ts, t AT TIME ZONE 'UTC' AS at_tstz,
       o::date AS o_date, o AS o_ts, o AT TIME ZONE 'UTC' AS o_tstz,
       c::date AS c_date, c AS c_ts, c AT TIME ZONE 'UTC' AS c_tstz,
       CASE WHEN i % 11 = 0 THEN NULL ELSE i % 3 = 0 END AS won,
       CASE WHEN i % 13 = 0 THEN NULL ELSE round((i % 97) * 12.345 + i % 7, 2) END AS amount,
       CASE WHEN i % 19 = 0 THEN NULL ELSE 1 + (i * 7) % 5 END AS stage,
       CASE WHEN i % 19 = 0 THEN NULL ELSE 'stage ' || 1 + (i * 7) % 5 END AS stage_text,
       CASE WHEN i % 23 = 0 THEN NULL ELSE round(sin(i / 9.0) * 100) END::float8 AS value
  FROM generate_series(1, 600) i,
       LATERAL (SELECT timestamp '2024-12-30 22:00' + (i * 37 % 460) * interval '1 day'
                       + (i * 7 % 24) * interval '1 hour' + (i % 60) * interval '1 minute' AS t,
                       timestamp '2025-01-01 00:00' + (i * 13 % 400) * interval '1 day'
                       + (i * 5 % 24) * interval '1 hour' AS o) tt,
       LATERAL (SELECT CASE WHEN i % 6 = 0 THEN NULL ELSE o + (i % 90) * interval '1 day'
                                                         + (i % 11) * interval '1 hour' END AS c) cc;

-- Summaries for rollup(): one per part and id % 7, on the row of its
-- smallest id (NULL on the others, which rollup skips).
CREATE TABLE t AS
SELECT r.*, s.conversion_summary, s.ticket_summary, s.cycle_summary, s.retention_summary, s.funnel_summary
  FROM raw r LEFT JOIN
       (SELECT min(id) AS id, heartbeat.conversion_agg(won) AS conversion_summary,
               heartbeat.ticket_agg(amount) AS ticket_summary,
               heartbeat.cycle_agg(o_tstz, c_tstz, timestamptz '2025-10-01 00:00+00') AS cycle_summary,
               heartbeat.retention_agg('month', cust_big, at_date, amount) AS retention_summary,
               heartbeat.funnel_agg(stage) AS funnel_summary
          FROM raw GROUP BY part, id % 7) s USING (id);

-- How each argument is fed: by name and type, or (name NULL) by type alone
-- when the type says what it is.  An argument found in neither fails its
-- aggregate's test: nothing is skipped silently.
CREATE TABLE feed (argname text, argtype regtype, expr text NOT NULL, UNIQUE (argname, argtype));
INSERT INTO feed VALUES
    (NULL, 'boolean', 'won'),
    (NULL, 'numeric', 'amount'),
    (NULL, 'double precision', 'value'),
    (NULL, 'integer', 'stage'),
    (NULL, 'bigint', 'cust_big'),
    (NULL, 'uuid', 'cust_uuid'),
    (NULL, 'heartbeat.conversion_summary', 'conversion_summary'),
    (NULL, 'heartbeat.ticket_summary', 'ticket_summary'),
    (NULL, 'heartbeat.cycle_summary', 'cycle_summary'),
    (NULL, 'heartbeat.retention_summary', 'retention_summary'),
    (NULL, 'heartbeat.funnel_summary', 'funnel_summary'),
    ('customer', 'text', 'cust_text'),
    ('granularity', 'text', '$granularity'),
    ('time_zone', 'text', '''Europe/Lisbon'''),
    ('stage_reached', 'text', 'stage_text'),
    ('active_at', 'date', 'at_date'),
    ('active_at', 'timestamp', 'at_ts'),
    ('active_at', 'timestamptz', 'at_tstz'),
    ('opened', 'date', 'o_date'),
    ('opened', 'timestamp', 'o_ts'),
    ('opened', 'timestamptz', 'o_tstz'),
    ('closed', 'date', 'c_date'),
    ('closed', 'timestamp', 'c_ts'),
    ('closed', 'timestamptz', 'c_tstz'),
    ('as_of', 'date', 'date ''2025-10-01'''),
    ('as_of', 'timestamp', 'timestamp ''2025-10-01 12:00'''),
    ('as_of', 'timestamptz', 'timestamptz ''2025-10-01 12:00+00''');

-- The aggregates to test: every aggregate of the extension, once per
-- granularity when it takes one.
CREATE VIEW nocallsite_cases AS
SELECT a.aggfnoid::regprocedure AS agg, g.granularity
  FROM pg_catalog.pg_aggregate a
  JOIN pg_catalog.pg_depend d ON d.classid = 'pg_catalog.pg_proc'::regclass AND d.objid = a.aggfnoid
                             AND d.refclassid = 'pg_catalog.pg_extension'::regclass AND d.deptype = 'e'
  JOIN pg_catalog.pg_extension e ON e.oid = d.refobjid AND e.extname = 'heartbeat'
  JOIN pg_catalog.pg_proc p ON p.oid = a.aggfnoid
  LEFT JOIN LATERAL unnest(CASE WHEN 'granularity' = ANY (p.proargnames)
                                THEN ARRAY['month', 'week', 'day'] END) AS g(granularity) ON true;

-- Runs agg over t directly and through partial_agg per part (plus an empty
-- part, a NULL state) and combine_agg; both results as text.
CREATE FUNCTION nocallsite_check(agg regprocedure, granularity text,
                                 OUT direct text, OUT nocallsite text, OUT args text)
LANGUAGE plpgsql AS $$
DECLARE
    p pg_catalog.pg_proc;
    e text;
    exprs text[] := '{}';
BEGIN
    SELECT * INTO p FROM pg_catalog.pg_proc WHERE oid = agg;
    FOR i IN 0 .. p.pronargs - 1 LOOP
        SELECT f.expr INTO e FROM feed f
         WHERE f.argtype = p.proargtypes[i] AND (f.argname = p.proargnames[i + 1] OR f.argname IS NULL)
         ORDER BY f.argname IS NULL LIMIT 1;
        IF e IS NULL THEN
            RAISE EXCEPTION 'cannot feed argument % (%) of aggregate %: add it to the feed table of test/nocallsite/setup.sql',
                i + 1, coalesce(p.proargnames[i + 1], 'unnamed') || ' ' || p.proargtypes[i]::regtype, agg;
        END IF;
        IF e = '$granularity' THEN
            e := quote_literal(granularity);
        END IF;
        exprs := exprs || format('(%s)::%s', e, p.proargtypes[i]::regtype);
    END LOOP;
    args := array_to_string(exprs, ', ');
    -- format('%s') writes a value with its type's output function, as
    -- combine_agg does (a cast to text may not: boolean gives 'false').
    EXECUTE format('SELECT CASE WHEN v IS NOT NULL THEN format(''%%s'', v) END
                      FROM (SELECT %I.%I(%s ORDER BY id) AS v FROM t) direct',
                   p.pronamespace::regnamespace, p.proname, args) INTO direct;
    EXECUTE format('SELECT combine_agg(%s::regprocedure, s ORDER BY part)
                      FROM (SELECT part, partial_agg(%s::regprocedure, ROW(%s) ORDER BY id) AS s
                              FROM t GROUP BY part
                            UNION ALL SELECT 3, NULL) parts',
                   agg::oid, agg::oid, args) INTO nocallsite;
END $$;

-- Controls of the harness itself.  A built-in aggregate with a polymorphic
-- transition function cannot run without its call site: nocallsite_check()
-- must fail on it, as a distributed engine's workers would.
CREATE AGGREGATE nocallsite_polymorphic(double precision) (
    SFUNC = pg_catalog.array_append, STYPE = double precision[], COMBINEFUNC = pg_catalog.array_cat);
