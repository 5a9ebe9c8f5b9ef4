-- heartbeat 0.2.0 -> 0.3.0
-- * sparkline(double precision) gets its own transition function
--   (array_append learns its element type from the call site, which Citus's
--   worker_partial_agg does not pass).
-- * sparkline(double precision[], ascii boolean): the same levels in ASCII
--   (an overload: sparkline(double precision[]) and the views using it stay).
-- * retention_agg over timestamptz takes the time zone that cuts its periods
--   as an argument: the forms that read the session's TimeZone are dropped
--   (they gave other periods on a postgres_fdw shard or a Citus worker, and
--   needed a write to pg_catalog.pg_proc to be marked STABLE).  If a view or
--   materialized view uses one of them, this update stops with PostgreSQL's
--   "cannot drop ... because other objects depend on it" and changes
--   nothing: redefine the view with retention_agg(granularity, customer,
--   active_at, 'Your/Zone') (or current_setting('TimeZone')), then update.
-- * The aggregates whose state grows with the rows declare its size (SSPACE)
--   for the planner.
-- * revenue_retention() lists the first period too, as retention() does;
--   its comment says so.
-- * cycle_summary keeps whole-day durations exactly (day histograms): the
--   comments of the cycle type and accessors say what is exact.
-- * ticket_summary keeps up to 1,024 distinct amounts exactly: the comments
--   of the type and of its percentile functions say so.
-- * Every summary type has = and <> (the same canonical bytes, as `*=`
--   compares) and a hash operator class: SELECT DISTINCT, UNION, GROUP BY
--   and hash joins work on summaries.
-- Every statement is written out, values included: an update script is
-- frozen once released, whatever later becomes of src/*.sql.

\echo Use "ALTER EXTENSION heartbeat UPDATE TO '0.3.0'" to load this file. \quit

CREATE FUNCTION sparkline_trans(double precision[], double precision) RETURNS double precision[]
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION sparkline_trans(double precision[], double precision) IS
    'Transition function of the sparkline aggregate: appends one value (NULL too)';
CREATE OR REPLACE AGGREGATE sparkline(value double precision) (
    SFUNC = sparkline_trans,
    STYPE = double precision[],
    FINALFUNC = sparkline,
    COMBINEFUNC = pg_catalog.array_cat,
    PARALLEL = SAFE
);

DROP AGGREGATE retention_agg(text, bigint, timestamptz);
DROP AGGREGATE retention_agg(text, bigint, timestamptz, numeric);
DROP AGGREGATE retention_agg(text, text, timestamptz);
DROP AGGREGATE retention_agg(text, text, timestamptz, numeric);
DROP AGGREGATE retention_agg(text, uuid, timestamptz);
DROP AGGREGATE retention_agg(text, uuid, timestamptz, numeric);
DROP FUNCTION retention_trans(retention_summary, text, bigint, timestamptz);
DROP FUNCTION retention_trans(retention_summary, text, bigint, timestamptz, numeric);
DROP FUNCTION retention_trans(retention_summary, text, text, timestamptz);
DROP FUNCTION retention_trans(retention_summary, text, text, timestamptz, numeric);
DROP FUNCTION retention_trans(retention_summary, text, uuid, timestamptz);
DROP FUNCTION retention_trans(retention_summary, text, uuid, timestamptz, numeric);

-- retention_agg over timestamptz, with the time zone as an argument.
CREATE FUNCTION retention_trans(retention_summary, granularity text, customer bigint, active_at timestamptz, time_zone text)
    RETURNS retention_summary
    AS 'MODULE_PATHNAME', 'retention_trans' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION retention_trans(retention_summary, granularity text, customer bigint, active_at timestamptz, time_zone text, revenue numeric)
    RETURNS retention_summary
    AS 'MODULE_PATHNAME', 'retention_trans' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION retention_trans(retention_summary, granularity text, customer text, active_at timestamptz, time_zone text)
    RETURNS retention_summary
    AS 'MODULE_PATHNAME', 'retention_trans' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION retention_trans(retention_summary, granularity text, customer text, active_at timestamptz, time_zone text, revenue numeric)
    RETURNS retention_summary
    AS 'MODULE_PATHNAME', 'retention_trans' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION retention_trans(retention_summary, granularity text, customer uuid, active_at timestamptz, time_zone text)
    RETURNS retention_summary
    AS 'MODULE_PATHNAME', 'retention_trans' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION retention_trans(retention_summary, granularity text, customer uuid, active_at timestamptz, time_zone text, revenue numeric)
    RETURNS retention_summary
    AS 'MODULE_PATHNAME', 'retention_trans' LANGUAGE C IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION retention_trans(retention_summary, text, bigint, timestamptz, text) IS
    'Transition function of retention_agg: adds one customer activity';
COMMENT ON FUNCTION retention_trans(retention_summary, text, bigint, timestamptz, text, numeric) IS
    'Transition function of retention_agg: adds one customer activity';
COMMENT ON FUNCTION retention_trans(retention_summary, text, text, timestamptz, text) IS
    'Transition function of retention_agg: adds one customer activity';
COMMENT ON FUNCTION retention_trans(retention_summary, text, text, timestamptz, text, numeric) IS
    'Transition function of retention_agg: adds one customer activity';
COMMENT ON FUNCTION retention_trans(retention_summary, text, uuid, timestamptz, text) IS
    'Transition function of retention_agg: adds one customer activity';
COMMENT ON FUNCTION retention_trans(retention_summary, text, uuid, timestamptz, text, numeric) IS
    'Transition function of retention_agg: adds one customer activity';

CREATE AGGREGATE retention_agg(granularity text, customer bigint, active_at timestamptz, time_zone text) (
    SFUNC = retention_trans,
    STYPE = retention_summary,
    COMBINEFUNC = retention_combine,
    INITCOND = '{"version":1,"granularity":null,"keys":"bigint","revenue_scale":null,"customers":0,"pairs":0,"first_period":0,"last_period":0,"data":""}',
    SSPACE = 1048576,
    PARALLEL = SAFE
);

CREATE AGGREGATE retention_agg(granularity text, customer bigint, active_at timestamptz, time_zone text, revenue numeric) (
    SFUNC = retention_trans,
    STYPE = retention_summary,
    COMBINEFUNC = retention_combine,
    INITCOND = '{"version":1,"granularity":null,"keys":"bigint","revenue_scale":null,"customers":0,"pairs":0,"first_period":0,"last_period":0,"data":""}',
    SSPACE = 1048576,
    PARALLEL = SAFE
);

CREATE AGGREGATE retention_agg(granularity text, customer text, active_at timestamptz, time_zone text) (
    SFUNC = retention_trans,
    STYPE = retention_summary,
    COMBINEFUNC = retention_combine,
    INITCOND = '{"version":1,"granularity":null,"keys":"bigint","revenue_scale":null,"customers":0,"pairs":0,"first_period":0,"last_period":0,"data":""}',
    SSPACE = 1048576,
    PARALLEL = SAFE
);

CREATE AGGREGATE retention_agg(granularity text, customer text, active_at timestamptz, time_zone text, revenue numeric) (
    SFUNC = retention_trans,
    STYPE = retention_summary,
    COMBINEFUNC = retention_combine,
    INITCOND = '{"version":1,"granularity":null,"keys":"bigint","revenue_scale":null,"customers":0,"pairs":0,"first_period":0,"last_period":0,"data":""}',
    SSPACE = 1048576,
    PARALLEL = SAFE
);

CREATE AGGREGATE retention_agg(granularity text, customer uuid, active_at timestamptz, time_zone text) (
    SFUNC = retention_trans,
    STYPE = retention_summary,
    COMBINEFUNC = retention_combine,
    INITCOND = '{"version":1,"granularity":null,"keys":"bigint","revenue_scale":null,"customers":0,"pairs":0,"first_period":0,"last_period":0,"data":""}',
    SSPACE = 1048576,
    PARALLEL = SAFE
);

CREATE AGGREGATE retention_agg(granularity text, customer uuid, active_at timestamptz, time_zone text, revenue numeric) (
    SFUNC = retention_trans,
    STYPE = retention_summary,
    COMBINEFUNC = retention_combine,
    INITCOND = '{"version":1,"granularity":null,"keys":"bigint","revenue_scale":null,"customers":0,"pairs":0,"first_period":0,"last_period":0,"data":""}',
    SSPACE = 1048576,
    PARALLEL = SAFE
);

COMMENT ON AGGREGATE retention_agg(text, bigint, timestamptz, text) IS
    'Summarises customer activity per period (day, week, month, quarter, year); NULL customer or time ignored';
COMMENT ON AGGREGATE retention_agg(text, bigint, timestamptz, text, numeric) IS
    'Summarises customer activity and revenue per period (day, week, month, quarter, year); NULL customer or time ignored';
COMMENT ON AGGREGATE retention_agg(text, text, timestamptz, text) IS
    'Summarises customer activity per period (day, week, month, quarter, year); NULL customer or time ignored';
COMMENT ON AGGREGATE retention_agg(text, text, timestamptz, text, numeric) IS
    'Summarises customer activity and revenue per period (day, week, month, quarter, year); NULL customer or time ignored';
COMMENT ON AGGREGATE retention_agg(text, uuid, timestamptz, text) IS
    'Summarises customer activity per period (day, week, month, quarter, year); NULL customer or time ignored';
COMMENT ON AGGREGATE retention_agg(text, uuid, timestamptz, text, numeric) IS
    'Summarises customer activity and revenue per period (day, week, month, quarter, year); NULL customer or time ignored';

-- SSPACE of the aggregates whose state grows with the rows (every ticket,
-- cycle and retention aggregate but avg_ticket and avg_cycle, the moving
-- ones; the timestamptz retention_agg above have theirs), as the install
-- script declares them.  CREATE OR REPLACE AGGREGATE keeps each aggregate's
-- OID, so views that use it keep working.
CREATE OR REPLACE AGGREGATE ticket_agg(amount numeric) (
    SFUNC = ticket_trans,
    STYPE = ticket_summary,
    COMBINEFUNC = ticket_combine,
    INITCOND = '{"version":1,"deals":0,"scale":0,"at_scale":0,"sum":0,"sum_squares":0,"smallest":null,"largest":null,"sketch":"AAAA"}',
    SSPACE = 16384,
    PARALLEL = SAFE
);

CREATE OR REPLACE AGGREGATE rollup(ticket_summary) (
    SFUNC = ticket_combine,
    STYPE = ticket_summary,
    COMBINEFUNC = ticket_combine,
    INITCOND = '{"version":1,"deals":0,"scale":0,"at_scale":0,"sum":0,"sum_squares":0,"smallest":null,"largest":null,"sketch":"AAAA"}',
    SSPACE = 16384,
    PARALLEL = SAFE
);

CREATE OR REPLACE AGGREGATE median_ticket(amount numeric) (
    SFUNC = ticket_trans,
    STYPE = ticket_summary,
    FINALFUNC = median,
    COMBINEFUNC = ticket_combine,
    INITCOND = '{"version":1,"deals":0,"scale":0,"at_scale":0,"sum":null,"sum_squares":null,"smallest":null,"largest":null,"sketch":"AAAA"}',
    SSPACE = 16384,
    PARALLEL = SAFE
);

CREATE OR REPLACE AGGREGATE cycle_agg(opened timestamptz, closed timestamptz) (
    SFUNC = cycle_trans,
    STYPE = cycle_summary,
    COMBINEFUNC = cycle_combine,
    INITCOND = '{"version":1,"closed":0,"open":0,"skipped":0,"sum_us":0,"sum_days":0,"sketches":"AAAAAAAA"}',
    SSPACE = 16384,
    PARALLEL = SAFE
);

CREATE OR REPLACE AGGREGATE cycle_agg(opened date, closed date) (
    SFUNC = cycle_trans,
    STYPE = cycle_summary,
    COMBINEFUNC = cycle_combine,
    INITCOND = '{"version":1,"closed":0,"open":0,"skipped":0,"sum_us":0,"sum_days":0,"sketches":"AAAAAAAA"}',
    SSPACE = 16384,
    PARALLEL = SAFE
);

CREATE OR REPLACE AGGREGATE cycle_agg(opened timestamptz, closed timestamptz, as_of timestamptz) (
    SFUNC = cycle_trans,
    STYPE = cycle_summary,
    COMBINEFUNC = cycle_combine,
    INITCOND = '{"version":1,"closed":0,"open":0,"skipped":0,"sum_us":0,"sum_days":0,"sketches":"AAAAAAAA"}',
    SSPACE = 16384,
    PARALLEL = SAFE
);

CREATE OR REPLACE AGGREGATE cycle_agg(opened date, closed date, as_of date) (
    SFUNC = cycle_trans,
    STYPE = cycle_summary,
    COMBINEFUNC = cycle_combine,
    INITCOND = '{"version":1,"closed":0,"open":0,"skipped":0,"sum_us":0,"sum_days":0,"sketches":"AAAAAAAA"}',
    SSPACE = 16384,
    PARALLEL = SAFE
);

CREATE OR REPLACE AGGREGATE rollup(cycle_summary) (
    SFUNC = cycle_combine,
    STYPE = cycle_summary,
    COMBINEFUNC = cycle_combine,
    INITCOND = '{"version":1,"closed":0,"open":0,"skipped":0,"sum_us":0,"sum_days":0,"sketches":"AAAAAAAA"}',
    SSPACE = 16384,
    PARALLEL = SAFE
);

CREATE OR REPLACE AGGREGATE median_cycle(opened timestamptz, closed timestamptz) (
    SFUNC = cycle_trans,
    STYPE = cycle_summary,
    FINALFUNC = median,
    COMBINEFUNC = cycle_combine,
    INITCOND = '{"version":1,"closed":0,"open":0,"skipped":0,"sum_us":0,"sum_days":0,"sketches":"AAAAAAAA"}',
    SSPACE = 16384,
    PARALLEL = SAFE
);

CREATE OR REPLACE AGGREGATE median_cycle(opened date, closed date) (
    SFUNC = cycle_trans,
    STYPE = cycle_summary,
    FINALFUNC = median,
    COMBINEFUNC = cycle_combine,
    INITCOND = '{"version":1,"closed":0,"open":0,"skipped":0,"sum_us":0,"sum_days":0,"sketches":"AAAAAAAA"}',
    SSPACE = 16384,
    PARALLEL = SAFE
);

CREATE OR REPLACE AGGREGATE rollup(retention_summary) (
    SFUNC = retention_combine,
    STYPE = retention_summary,
    COMBINEFUNC = retention_combine,
    INITCOND = '{"version":1,"granularity":null,"keys":"bigint","revenue_scale":null,"customers":0,"pairs":0,"first_period":0,"last_period":0,"data":""}',
    SSPACE = 1048576,
    PARALLEL = SAFE
);

CREATE OR REPLACE AGGREGATE retention_agg(granularity text, customer bigint, active_at date) (
    SFUNC = retention_trans,
    STYPE = retention_summary,
    COMBINEFUNC = retention_combine,
    INITCOND = '{"version":1,"granularity":null,"keys":"bigint","revenue_scale":null,"customers":0,"pairs":0,"first_period":0,"last_period":0,"data":""}',
    SSPACE = 1048576,
    PARALLEL = SAFE
);

CREATE OR REPLACE AGGREGATE retention_agg(granularity text, customer bigint, active_at date, revenue numeric) (
    SFUNC = retention_trans,
    STYPE = retention_summary,
    COMBINEFUNC = retention_combine,
    INITCOND = '{"version":1,"granularity":null,"keys":"bigint","revenue_scale":null,"customers":0,"pairs":0,"first_period":0,"last_period":0,"data":""}',
    SSPACE = 1048576,
    PARALLEL = SAFE
);

CREATE OR REPLACE AGGREGATE retention_agg(granularity text, customer bigint, active_at timestamp) (
    SFUNC = retention_trans,
    STYPE = retention_summary,
    COMBINEFUNC = retention_combine,
    INITCOND = '{"version":1,"granularity":null,"keys":"bigint","revenue_scale":null,"customers":0,"pairs":0,"first_period":0,"last_period":0,"data":""}',
    SSPACE = 1048576,
    PARALLEL = SAFE
);

CREATE OR REPLACE AGGREGATE retention_agg(granularity text, customer bigint, active_at timestamp, revenue numeric) (
    SFUNC = retention_trans,
    STYPE = retention_summary,
    COMBINEFUNC = retention_combine,
    INITCOND = '{"version":1,"granularity":null,"keys":"bigint","revenue_scale":null,"customers":0,"pairs":0,"first_period":0,"last_period":0,"data":""}',
    SSPACE = 1048576,
    PARALLEL = SAFE
);

CREATE OR REPLACE AGGREGATE retention_agg(granularity text, customer text, active_at date) (
    SFUNC = retention_trans,
    STYPE = retention_summary,
    COMBINEFUNC = retention_combine,
    INITCOND = '{"version":1,"granularity":null,"keys":"bigint","revenue_scale":null,"customers":0,"pairs":0,"first_period":0,"last_period":0,"data":""}',
    SSPACE = 1048576,
    PARALLEL = SAFE
);

CREATE OR REPLACE AGGREGATE retention_agg(granularity text, customer text, active_at date, revenue numeric) (
    SFUNC = retention_trans,
    STYPE = retention_summary,
    COMBINEFUNC = retention_combine,
    INITCOND = '{"version":1,"granularity":null,"keys":"bigint","revenue_scale":null,"customers":0,"pairs":0,"first_period":0,"last_period":0,"data":""}',
    SSPACE = 1048576,
    PARALLEL = SAFE
);

CREATE OR REPLACE AGGREGATE retention_agg(granularity text, customer text, active_at timestamp) (
    SFUNC = retention_trans,
    STYPE = retention_summary,
    COMBINEFUNC = retention_combine,
    INITCOND = '{"version":1,"granularity":null,"keys":"bigint","revenue_scale":null,"customers":0,"pairs":0,"first_period":0,"last_period":0,"data":""}',
    SSPACE = 1048576,
    PARALLEL = SAFE
);

CREATE OR REPLACE AGGREGATE retention_agg(granularity text, customer text, active_at timestamp, revenue numeric) (
    SFUNC = retention_trans,
    STYPE = retention_summary,
    COMBINEFUNC = retention_combine,
    INITCOND = '{"version":1,"granularity":null,"keys":"bigint","revenue_scale":null,"customers":0,"pairs":0,"first_period":0,"last_period":0,"data":""}',
    SSPACE = 1048576,
    PARALLEL = SAFE
);

CREATE OR REPLACE AGGREGATE retention_agg(granularity text, customer uuid, active_at date) (
    SFUNC = retention_trans,
    STYPE = retention_summary,
    COMBINEFUNC = retention_combine,
    INITCOND = '{"version":1,"granularity":null,"keys":"bigint","revenue_scale":null,"customers":0,"pairs":0,"first_period":0,"last_period":0,"data":""}',
    SSPACE = 1048576,
    PARALLEL = SAFE
);

CREATE OR REPLACE AGGREGATE retention_agg(granularity text, customer uuid, active_at date, revenue numeric) (
    SFUNC = retention_trans,
    STYPE = retention_summary,
    COMBINEFUNC = retention_combine,
    INITCOND = '{"version":1,"granularity":null,"keys":"bigint","revenue_scale":null,"customers":0,"pairs":0,"first_period":0,"last_period":0,"data":""}',
    SSPACE = 1048576,
    PARALLEL = SAFE
);

CREATE OR REPLACE AGGREGATE retention_agg(granularity text, customer uuid, active_at timestamp) (
    SFUNC = retention_trans,
    STYPE = retention_summary,
    COMBINEFUNC = retention_combine,
    INITCOND = '{"version":1,"granularity":null,"keys":"bigint","revenue_scale":null,"customers":0,"pairs":0,"first_period":0,"last_period":0,"data":""}',
    SSPACE = 1048576,
    PARALLEL = SAFE
);

CREATE OR REPLACE AGGREGATE retention_agg(granularity text, customer uuid, active_at timestamp, revenue numeric) (
    SFUNC = retention_trans,
    STYPE = retention_summary,
    COMBINEFUNC = retention_combine,
    INITCOND = '{"version":1,"granularity":null,"keys":"bigint","revenue_scale":null,"customers":0,"pairs":0,"first_period":0,"last_period":0,"data":""}',
    SSPACE = 1048576,
    PARALLEL = SAFE
);

-- pulse(): retention in the session's time zone, as its other periods;
-- its ticket column named mean_ticket, as mean_cycle; segments, a range of
-- periods (since, until), the alert's threshold and minimum history
-- (alert_z, min_history), and the cycles in days beside the intervals (a
-- new row type and new parameters: the function is dropped and created
-- again, with its comment).
DROP FUNCTION pulse(regclass, text, name, name, name, name, name, timestamptz);
CREATE FUNCTION pulse(deals regclass, granularity text DEFAULT 'month',
        opened_at name DEFAULT 'opened_at', closed_at name DEFAULT 'closed_at',
        won name DEFAULT 'won', amount name DEFAULT 'amount',
        customer_id name DEFAULT 'customer_id', as_of timestamptz DEFAULT pg_catalog.now(),
        segment name DEFAULT NULL, since timestamptz DEFAULT NULL, until timestamptz DEFAULT NULL,
        alert_z double precision DEFAULT 3, min_history integer DEFAULT 12)
    RETURNS TABLE (period date, segment_value text, deals_opened bigint, deals_closed bigint, deals_won bigint,
        conversion_rate double precision, conversion_lower double precision,
        conversion_upper double precision, mean_ticket numeric, median_ticket numeric,
        mean_cycle interval, mean_cycle_days double precision,
        survival_median_cycle interval, survival_cycle_days double precision,
        retention_rate double precision, conversion_z double precision, alert text)
    LANGUAGE plpgsql STABLE SECURITY INVOKER PARALLEL SAFE AS $$
DECLARE
    times pg_catalog.regtype[] := '{pg_catalog.date, pg_catalog.timestamp, pg_catalog.timestamptz}';
    step pg_catalog.interval;
    -- conversion_zscore's look-back, in periods: the alert's rule reads the same ones.
    lookback CONSTANT pg_catalog.int4 := 12;
    seg pg_catalog.text := 'NULL::pg_catalog.text';
    -- The periods returned (period starts), and how far back each scan reads:
    -- closed deals lookback periods before since (the z-score), won deals one
    -- period before (retention), opened deals from since.
    first_p pg_catalog.date := '-infinity';
    last_p pg_catalog.date := 'infinity';
    closed_from pg_catalog.timestamptz := '-infinity';
    won_from pg_catalog.timestamptz := '-infinity';
    opened_from pg_catalog.timestamptz := '-infinity';
    before pg_catalog.timestamptz := 'infinity';
    span pg_catalog.text;
BEGIN
    IF granularity IS NULL OR NOT pg_catalog.lower(granularity) OPERATOR(pg_catalog.=)
                                  ANY ('{day, week, month, quarter, year}'::pg_catalog.text[]) THEN
        RAISE EXCEPTION 'unknown pulse granularity "%"', granularity
            USING ERRCODE = 'invalid_parameter_value', HINT = 'Use one of day, week, month, quarter, year.';
    END IF;
    IF since OPERATOR(pg_catalog.>) until THEN
        RAISE EXCEPTION 'pulse since % is after until %', since, until
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Give a since at or before until, or leave either NULL for no bound on that side.';
    END IF;
    -- NaN sorts above Infinity: this refuses it too.
    IF alert_z IS NULL OR NOT (alert_z OPERATOR(pg_catalog.>) 0 AND alert_z OPERATOR(pg_catalog.<) 'Infinity') THEN
        RAISE EXCEPTION 'pulse alert_z must be a positive number, not %', coalesce(alert_z::pg_catalog.text, 'NULL')
            USING ERRCODE = 'invalid_parameter_value', HINT = 'A conversion_z at or beyond -alert_z or alert_z raises an alert; the default is 3.';
    END IF;
    IF min_history IS NULL OR min_history OPERATOR(pg_catalog.<) 0 THEN
        RAISE EXCEPTION 'pulse min_history must be zero or more periods, not %', coalesce(min_history::pg_catalog.text, 'NULL')
            USING ERRCODE = 'invalid_parameter_value', HINT = 'It is the number of earlier periods a series needs before an alert; the default is 12.';
    END IF;
    granularity := pg_catalog.lower(granularity);
    step := CASE WHEN granularity OPERATOR(pg_catalog.=) 'quarter' THEN '3 months'
                 ELSE ('1 ' OPERATOR(pg_catalog.||) granularity)::pg_catalog.interval END;
    PERFORM @extschema@.pulse_column(deals, opened_at, 'opened_at', times);
    PERFORM @extschema@.pulse_column(deals, closed_at, 'closed_at', times);
    PERFORM @extschema@.pulse_column(deals, won, 'won', '{pg_catalog.bool}');
    PERFORM @extschema@.pulse_column(deals, amount, 'amount', '{pg_catalog.numeric, pg_catalog.int4, pg_catalog.int8, pg_catalog.int2}');
    PERFORM @extschema@.pulse_column(deals, customer_id, 'customer_id',
                                     '{pg_catalog.int4, pg_catalog.int8, pg_catalog.text, pg_catalog.uuid, pg_catalog.varchar}');
    IF segment IS NOT NULL THEN
        -- Types whose text form is one per value, whatever the session's settings.
        PERFORM @extschema@.pulse_column(deals, segment, 'segment',
                                         '{pg_catalog.text, pg_catalog.varchar, pg_catalog.bpchar, pg_catalog.name, pg_catalog.int2, pg_catalog.int4, pg_catalog.int8, pg_catalog.bool, pg_catalog.uuid}');
        seg := pg_catalog.format('%I::pg_catalog.text', segment);
    END IF;
    IF since IS NOT NULL THEN
        -- The first period that starts at or after since.
        first_p := pg_catalog.date_trunc(granularity, since)::pg_catalog.date;
        IF first_p::pg_catalog.timestamptz OPERATOR(pg_catalog.<) since THEN
            first_p := (first_p OPERATOR(pg_catalog.+) step)::pg_catalog.date;
        END IF;
        opened_from := first_p;
        won_from := (first_p OPERATOR(pg_catalog.-) step)::pg_catalog.date;
        closed_from := (first_p OPERATOR(pg_catalog.-) (step OPERATOR(pg_catalog.*) lookback))::pg_catalog.date;
    END IF;
    IF until IS NOT NULL THEN
        last_p := pg_catalog.date_trunc(granularity, until)::pg_catalog.date;
        before := (last_p OPERATOR(pg_catalog.+) step)::pg_catalog.date;
    END IF;
    -- Each segment's first and last period, so that its rows and its history
    -- (the periods before each) are the whole run's: the whole run has them
    -- from its own scans.  With since alone, the scans hold every period from
    -- since on (opened) and from the look-back on (closed): so the last one,
    -- whenever it is since or later (else the segment returns no rows either
    -- way); the first one also needs the periods before those, read apart
    -- from the deals opened before since or closed before the look-back.
    -- With until, a range of periods reads both from every deal.
    IF since IS NULL AND until IS NULL THEN
        span := 'SELECT sk, pg_catalog.min(p) AS lo, pg_catalog.max(p) AS hi
                   FROM (SELECT sk, p FROM opened UNION ALL SELECT sk, p FROM closed) x GROUP BY sk';
    ELSIF until IS NULL THEN
        span := 'SELECT x.sk, least(x.lo, pg_catalog.date_trunc($1, least(b.o, b.c))::pg_catalog.date) AS lo, x.hi
                   FROM (SELECT sk, pg_catalog.min(p) AS lo, pg_catalog.max(p) AS hi
                           FROM (SELECT sk, p FROM opened UNION ALL SELECT sk, p FROM closed) y GROUP BY sk) x
                        LEFT JOIN (SELECT sk, pg_catalog.min(o) FILTER (WHERE o OPERATOR(pg_catalog.<) $7 AND o OPERATOR(pg_catalog.<=) $2) AS o,
                                          pg_catalog.min(c) FILTER (WHERE c OPERATOR(pg_catalog.<) $5 AND c OPERATOR(pg_catalog.<=) $2) AS c
                                     FROM t WHERE (o OPERATOR(pg_catalog.<) $7 AND o OPERATOR(pg_catalog.<=) $2)
                                               OR (c OPERATOR(pg_catalog.<) $5 AND c OPERATOR(pg_catalog.<=) $2)
                                    GROUP BY sk) b ON b.sk OPERATOR(pg_catalog.=) x.sk';
    ELSE
        span := 'SELECT sk, pg_catalog.date_trunc($1, least(pg_catalog.min(o) FILTER (WHERE o OPERATOR(pg_catalog.<=) $2),
                                                         pg_catalog.min(c) FILTER (WHERE c OPERATOR(pg_catalog.<=) $2)))::pg_catalog.date AS lo,
                        pg_catalog.date_trunc($1, greatest(pg_catalog.max(o) FILTER (WHERE o OPERATOR(pg_catalog.<=) $2),
                                                            pg_catalog.max(c) FILTER (WHERE c OPERATOR(pg_catalog.<=) $2)))::pg_catalog.date AS hi
                   FROM t WHERE o OPERATOR(pg_catalog.<=) $2 OR c OPERATOR(pg_catalog.<=) $2 GROUP BY sk';
    END IF;
    -- Every function, operator and type below is schema-qualified and joins
    -- are written with ON, not USING (which looks "=" up on the search_path):
    -- the query runs with the caller's search_path, so that the table is the
    -- one the caller named, and nothing on that path may stand in for ours.
    -- A segment joins by sk, never NULL ('n' for the NULL segment, 'v' and
    -- the value for the others), since IS NOT DISTINCT FROM would look "="
    -- up on the search_path too.
    RETURN QUERY EXECUTE pg_catalog.format($q$
        WITH t AS NOT MATERIALIZED (
                 SELECT %1$I::pg_catalog.timestamptz AS o, %2$I::pg_catalog.timestamptz AS c, %3$I AS w,
                        %4$I::pg_catalog.numeric AS a, %5$I AS cu,
                        CASE WHEN %7$s IS NULL THEN 'n' ELSE 'v' OPERATOR(pg_catalog.||) %7$s END AS sk
                   FROM %6$s),
             -- Each scan reads the deals its periods need.  OFFSET 0 keeps each a subquery
             -- of its own, whose period the planner cannot count (it would take a date_trunc()
             -- for as many groups as rows, and sort them all); so it hashes them, as it does
             -- a CTE's.
             opened AS (SELECT sk, p, pg_catalog.count(*) AS n, @extschema@.cycle_agg(o, c, $2) AS sc
                          FROM (SELECT sk, o, c, pg_catalog.date_trunc($1, o)::pg_catalog.date AS p FROM t
                                 WHERE o OPERATOR(pg_catalog.<=) $2 AND o OPERATOR(pg_catalog.>=) $7
                                   AND o OPERATOR(pg_catalog.<) $8 OFFSET 0) x
                         GROUP BY 1, 2),
             closed AS (SELECT sk, p, pg_catalog.count(*) AS n,
                               pg_catalog.count(*) FILTER (WHERE w) AS nw, @extschema@.conversion_agg(w) AS cs,
                               @extschema@.ticket_agg(a) FILTER (WHERE w AND c OPERATOR(pg_catalog.>=) $7) AS t,
                               @extschema@.cycle_agg(o, c) FILTER (WHERE c OPERATOR(pg_catalog.>=) $7) AS cy
                          FROM (SELECT sk, o, c, w, a, pg_catalog.date_trunc($1, c)::pg_catalog.date AS p FROM t
                                 WHERE c OPERATOR(pg_catalog.<=) $2 AND c OPERATOR(pg_catalog.>=) $5
                                   AND c OPERATOR(pg_catalog.<) $8 OFFSET 0) x
                         GROUP BY 1, 2),
             ret AS (SELECT x.sk, r.period AS p, (r.period OPERATOR(pg_catalog.+) $3)::pg_catalog.date AS next,
                            r.retention_rate, r.active
                       FROM (SELECT sk, @extschema@.retention_agg($1, cu, c, pg_catalog.current_setting('TimeZone')) AS s
                               FROM t WHERE w AND c OPERATOR(pg_catalog.<=) $2 AND c OPERATOR(pg_catalog.>=) $6
                                        AND c OPERATOR(pg_catalog.<) $8
                              GROUP BY sk) x,
                            LATERAL @extschema@.retention(x.s) r),
             span AS (%9$s),
             periods AS (SELECT s.sk, g.p::pg_catalog.date AS p, g.k OPERATOR(pg_catalog.-) 1 AS history
                           FROM span s, pg_catalog.generate_series(s.lo, s.hi, $3) WITH ORDINALITY g(p, k)
                          WHERE g.p OPERATOR(pg_catalog.>=) $5 AND g.p OPERATOR(pg_catalog.<) $8),
             rows AS (SELECT ps.sk, ps.p, ps.history, coalesce(op.n, 0) AS opened, coalesce(cl.n, 0) AS closed,
                             coalesce(cl.nw, 0) AS won, cl.cs, cl.t, cl.cy, op.sc,
                             -- after a segment's last period with a won deal, none of the customers before stayed
                             coalesce(ret.retention_rate, CASE WHEN prev.active OPERATOR(pg_catalog.>) 0 THEN 0 END) AS retention_rate
                        FROM periods ps
                             LEFT JOIN opened op ON op.sk OPERATOR(pg_catalog.=) ps.sk AND op.p OPERATOR(pg_catalog.=) ps.p
                             LEFT JOIN closed cl ON cl.sk OPERATOR(pg_catalog.=) ps.sk AND cl.p OPERATOR(pg_catalog.=) ps.p
                             LEFT JOIN ret ON ret.sk OPERATOR(pg_catalog.=) ps.sk AND ret.p OPERATOR(pg_catalog.=) ps.p
                             LEFT JOIN ret prev ON prev.sk OPERATOR(pg_catalog.=) ps.sk AND prev.next OPERATOR(pg_catalog.=) ps.p),
             -- The z-score and, over the same look-back, its pooled wins and trials.
             z AS (SELECT r.*, @extschema@.conversion_zscore(coalesce(cs, '{"version":1,"conversions":0,"trials":0}'), %8$s) OVER w AS cz,
                          @extschema@.trials(cs) AS n, pg_catalog.sum(@extschema@.conversions(cs)) OVER lb AS pc,
                          pg_catalog.sum(@extschema@.trials(cs)) OVER lb AS pt
                     FROM rows r
                   WINDOW w AS (PARTITION BY sk ORDER BY p), lb AS (w ROWS BETWEEN %8$s PRECEDING AND 1 PRECEDING))
        SELECT p, CASE WHEN sk OPERATOR(pg_catalog.=) 'n' THEN NULL ELSE pg_catalog.substr(sk, 2) END,
               opened, closed, won, @extschema@.rate(cs), @extschema@.wilson_lower(cs), @extschema@.wilson_upper(cs),
               pg_catalog.round(@extschema@.mean(t), 2), @extschema@.median(t), @extschema@.mean(cy),
               (pg_catalog.extract('epoch', @extschema@.mean(cy)) OPERATOR(pg_catalog./) 86400)::pg_catalog.float8,
               @extschema@.survival_median(sc),
               (pg_catalog.extract('epoch', @extschema@.survival_median(sc)) OPERATOR(pg_catalog./) 86400)::pg_catalog.float8,
               retention_rate, cz,
               -- An alert: |z| at least alert_z, min_history earlier periods in the series, the
               -- look-back at least as many trials as the period, and the period at least 5
               -- expected wins and 5 expected losses at the look-back's rate (n pc / pt >= 5).
               CASE WHEN pg_catalog.abs(cz) OPERATOR(pg_catalog.>=) $9 AND history OPERATOR(pg_catalog.>=) $10
                         AND pt OPERATOR(pg_catalog.>=) n
                         AND (n OPERATOR(pg_catalog.*) pc) OPERATOR(pg_catalog.>=) (5 OPERATOR(pg_catalog.*) pt)
                         AND (n OPERATOR(pg_catalog.*) (pt OPERATOR(pg_catalog.-) pc)) OPERATOR(pg_catalog.>=) (5 OPERATOR(pg_catalog.*) pt)
                    THEN pg_catalog.format('conversion %%s (z = %%s)',
                                           CASE WHEN cz OPERATOR(pg_catalog.<) 0 THEN 'drop' ELSE 'rise' END,
                                           pg_catalog.round(cz::pg_catalog.numeric, 1)) END
          FROM z
         WHERE p OPERATOR(pg_catalog.>=) $4 AND p OPERATOR(pg_catalog.<=) $11
         ORDER BY 1, 2 $q$,
        opened_at, closed_at, won, amount, customer_id, deals, seg, lookback, span)
    USING granularity, as_of, step, first_p, closed_from, won_from, opened_from, before, alert_z, min_history, last_p;
END $$;
COMMENT ON FUNCTION pulse(regclass, text, name, name, name, name, name, timestamptz, name, timestamptz, timestamptz, double precision, integer) IS
    'The sales heartbeat of a deals table, one row per period (and segment): volumes, win rate with its interval, ticket, cycle (interval and days), retention and a conversion alert. deals: the table; granularity: day, week, month, quarter or year; opened_at, closed_at, won, amount, customer_id: its columns; as_of: deals seen by then, open ones censored there; segment: a column, one series per value (NULL its own), returned as text in segment_value; since, until: only the periods starting between them, figures as the whole run''s; alert_z: |conversion_z| that raises an alert (3); min_history: earlier periods a series needs before an alert (12), which also needs at least as many trials in the 12-period look-back as in the period and 5 expected wins and 5 expected losses in the period';

-- C functions named as their SQL functions (the old symbols stay in the
-- library, src/legacy.c, for the frozen 0.1.0 and 0.2.0 scripts).
CREATE OR REPLACE FUNCTION rate(conversion_summary) RETURNS double precision
    AS 'MODULE_PATHNAME', 'conversion_rate' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE OR REPLACE FUNCTION stddev_amount(ticket_summary) RETURNS double precision
    AS 'MODULE_PATHNAME', 'ticket_stddev_amount' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE OR REPLACE FUNCTION retention(retention_summary,
        OUT period date, OUT active bigint, OUT new bigint, OUT "returning" bigint,
        OUT retained bigint, OUT churned bigint,
        OUT retention_rate double precision, OUT churn_rate double precision, OUT crr double precision)
    RETURNS SETOF record
    AS 'MODULE_PATHNAME', 'retention_retention' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE ROWS 36;
CREATE OR REPLACE FUNCTION revenue_retention(retention_summary,
        OUT period date, OUT starting_revenue numeric, OUT expansion numeric,
        OUT contraction numeric, OUT churned_revenue numeric,
        OUT nrr double precision, OUT grr double precision)
    RETURNS SETOF record
    AS 'MODULE_PATHNAME', 'retention_revenue_retention' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE ROWS 36;
CREATE OR REPLACE FUNCTION sparkline(double precision[]) RETURNS text
    AS 'MODULE_PATHNAME', 'sparkline' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

-- Sparklines in ASCII, for clients whose encoding lacks the block characters.
CREATE FUNCTION sparkline(double precision[], ascii boolean) RETURNS text
    AS 'MODULE_PATHNAME', 'sparkline_ascii' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION sparkline(double precision[], boolean) IS
    'sparkline(values, ascii => true): the same eight levels drawn with the ASCII characters _.-~=+*# (for clients whose encoding lacks the blocks, such as LATIN1); with ascii false, the blocks';

-- revenue_retention() lists every period, the first too, as retention() does.
COMMENT ON FUNCTION revenue_retention(retention_summary) IS
    'Revenue retention over the customers active the period before: starting revenue, expansion, contraction, churned revenue, NRR and GRR, one row per period as retention() gives (the first with no starting revenue and NULL ratios)';

-- cycle_summary: exact on whole days (day histograms), horizons counted as
-- extract(epoch) counts them.
COMMENT ON TYPE cycle_summary IS
    'Sales-cycle durations: closed, open (censored) and skipped deals, the exact sum of closed durations, and for percentiles and Kaplan-Meier survival exact day histograms (whole-day durations) or sketches';
COMMENT ON FUNCTION cycle_summary_out(cycle_summary) IS
    'Writes a cycle_summary as JSON text, day histograms or sketches in base64';
COMMENT ON FUNCTION median(cycle_summary) IS
    'Median cycle of closed deals, as percentile_disc(0.5): exact in whole days when every duration is whole days, else within 0.4% or a second';
COMMENT ON FUNCTION percentile(cycle_summary, double precision) IS
    'Cycle of closed deals at percentile p, as percentile_disc: exact in whole days when every duration is whole days, else within 0.4% or a second';
COMMENT ON FUNCTION survival_median(cycle_summary) IS
    'Kaplan-Meier median: the time by which half of all deals, open ones included, have closed (exact whole days on whole-day durations); NULL if never';
COMMENT ON FUNCTION survival_percentile(cycle_summary, double precision) IS
    'Kaplan-Meier: the first time at which a share p of all deals has closed (exact whole days on whole-day durations); NULL when the curve never gets there';
COMMENT ON FUNCTION close_probability(cycle_summary, interval) IS
    'Kaplan-Meier probability that a deal closes within the given time, a deal closed at exactly that time included: 1 - S(within); a year is 365.25 days and a month 30, as extract(epoch) counts them';
COMMENT ON AGGREGATE median_cycle(timestamptz, timestamptz) IS
    'Median cycle of closed deals, as percentile_disc(0.5): exact when every cycle is whole days, else within 0.4% or a second';
COMMENT ON AGGREGATE median_cycle(date, date) IS
    'Median cycle of closed deals in whole days (dates), exactly percentile_disc(0.5)';

-- ticket_summary keeps up to 1,024 distinct amounts exactly (percentiles
-- are then percentile_disc's): the comments that said "within 0.4%".
COMMENT ON TYPE ticket_summary IS
    'Deal amounts: exact deals, sum, smallest, largest and sum of squares, and the amounts for percentiles: exactly up to 1,024 distinct ones, else a 0.4%-relative-error sketch; mergeable with rollup()';
COMMENT ON FUNCTION ticket_summary_out(ticket_summary) IS
    'Writes a ticket_summary as JSON text: exact values as numbers, the exact list of amounts or the sketch in base64';
COMMENT ON FUNCTION percentile(ticket_summary, double precision) IS
    'Amount at percentile p (0..1) as percentile_disc would give it: exactly up to 1,024 distinct amounts, else within 0.4% relative error; NULL without deals';
COMMENT ON FUNCTION percentiles(ticket_summary, double precision[]) IS
    'Amounts at several percentiles at once, each as percentile(): exactly percentile_disc''s up to 1,024 distinct amounts, else within 0.4%';
COMMENT ON FUNCTION median(ticket_summary) IS
    'Median amount (percentile 0.5, as percentile_disc): exactly up to 1,024 distinct amounts, else within 0.4% relative error; NULL without deals';
COMMENT ON AGGREGATE median_ticket(numeric) IS
    'Median ticket as percentile_disc(0.5) would give it: exactly up to 1,024 distinct amounts, else within 0.4% relative error';

-- Equality and hashing of every summary type: = and <> (the same canonical
-- bytes), and a hash operator class for SELECT DISTINCT, UNION, GROUP BY
-- and hash joins; one C function per role serves every type.
-- conversion_summary
CREATE FUNCTION summary_eq(conversion_summary, conversion_summary) RETURNS boolean
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION summary_ne(conversion_summary, conversion_summary) RETURNS boolean
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION summary_hash(conversion_summary) RETURNS integer
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION summary_hash_extended(conversion_summary, bigint) RETURNS bigint
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION summary_eq(conversion_summary, conversion_summary) IS
    'True when both summaries have the same canonical bytes (so the same text): the function of =';
COMMENT ON FUNCTION summary_ne(conversion_summary, conversion_summary) IS
    'True when the summaries'' canonical bytes differ: the function of <>';
COMMENT ON FUNCTION summary_hash(conversion_summary) IS
    'Hash of a summary''s canonical bytes: support function 1 of its hash operator class';
COMMENT ON FUNCTION summary_hash_extended(conversion_summary, bigint) IS
    'Hash of a summary''s canonical bytes with a 64-bit seed: support function 2 of its hash operator class';

CREATE OPERATOR = (
    LEFTARG = conversion_summary, RIGHTARG = conversion_summary, FUNCTION = summary_eq,
    COMMUTATOR = =, NEGATOR = <>,
    RESTRICT = pg_catalog.eqsel, JOIN = pg_catalog.eqjoinsel, HASHES
);
CREATE OPERATOR <> (
    LEFTARG = conversion_summary, RIGHTARG = conversion_summary, FUNCTION = summary_ne,
    COMMUTATOR = <>, NEGATOR = =,
    RESTRICT = pg_catalog.neqsel, JOIN = pg_catalog.neqjoinsel
);
CREATE OPERATOR CLASS conversion_summary_ops DEFAULT FOR TYPE conversion_summary USING hash AS
    OPERATOR 1 = (conversion_summary, conversion_summary),
    FUNCTION 1 summary_hash(conversion_summary),
    FUNCTION 2 summary_hash_extended(conversion_summary, bigint);

COMMENT ON OPERATOR = (conversion_summary, conversion_summary) IS
    'Summaries are equal when their canonical bytes are the same: the same rows, in any order or split, give equal summaries';
COMMENT ON OPERATOR <> (conversion_summary, conversion_summary) IS
    'Summaries differ when their canonical bytes differ';
COMMENT ON OPERATOR CLASS conversion_summary_ops USING hash IS
    'Hashes summaries by their canonical bytes, for SELECT DISTINCT, UNION, GROUP BY and hash joins';

-- ticket_summary
CREATE FUNCTION summary_eq(ticket_summary, ticket_summary) RETURNS boolean
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION summary_ne(ticket_summary, ticket_summary) RETURNS boolean
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION summary_hash(ticket_summary) RETURNS integer
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION summary_hash_extended(ticket_summary, bigint) RETURNS bigint
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION summary_eq(ticket_summary, ticket_summary) IS
    'True when both summaries have the same canonical bytes (so the same text): the function of =';
COMMENT ON FUNCTION summary_ne(ticket_summary, ticket_summary) IS
    'True when the summaries'' canonical bytes differ: the function of <>';
COMMENT ON FUNCTION summary_hash(ticket_summary) IS
    'Hash of a summary''s canonical bytes: support function 1 of its hash operator class';
COMMENT ON FUNCTION summary_hash_extended(ticket_summary, bigint) IS
    'Hash of a summary''s canonical bytes with a 64-bit seed: support function 2 of its hash operator class';

CREATE OPERATOR = (
    LEFTARG = ticket_summary, RIGHTARG = ticket_summary, FUNCTION = summary_eq,
    COMMUTATOR = =, NEGATOR = <>,
    RESTRICT = pg_catalog.eqsel, JOIN = pg_catalog.eqjoinsel, HASHES
);
CREATE OPERATOR <> (
    LEFTARG = ticket_summary, RIGHTARG = ticket_summary, FUNCTION = summary_ne,
    COMMUTATOR = <>, NEGATOR = =,
    RESTRICT = pg_catalog.neqsel, JOIN = pg_catalog.neqjoinsel
);
CREATE OPERATOR CLASS ticket_summary_ops DEFAULT FOR TYPE ticket_summary USING hash AS
    OPERATOR 1 = (ticket_summary, ticket_summary),
    FUNCTION 1 summary_hash(ticket_summary),
    FUNCTION 2 summary_hash_extended(ticket_summary, bigint);

COMMENT ON OPERATOR = (ticket_summary, ticket_summary) IS
    'Summaries are equal when their canonical bytes are the same: the same rows, in any order or split, give equal summaries';
COMMENT ON OPERATOR <> (ticket_summary, ticket_summary) IS
    'Summaries differ when their canonical bytes differ';
COMMENT ON OPERATOR CLASS ticket_summary_ops USING hash IS
    'Hashes summaries by their canonical bytes, for SELECT DISTINCT, UNION, GROUP BY and hash joins';

-- cycle_summary
CREATE FUNCTION summary_eq(cycle_summary, cycle_summary) RETURNS boolean
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION summary_ne(cycle_summary, cycle_summary) RETURNS boolean
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION summary_hash(cycle_summary) RETURNS integer
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION summary_hash_extended(cycle_summary, bigint) RETURNS bigint
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION summary_eq(cycle_summary, cycle_summary) IS
    'True when both summaries have the same canonical bytes (so the same text): the function of =';
COMMENT ON FUNCTION summary_ne(cycle_summary, cycle_summary) IS
    'True when the summaries'' canonical bytes differ: the function of <>';
COMMENT ON FUNCTION summary_hash(cycle_summary) IS
    'Hash of a summary''s canonical bytes: support function 1 of its hash operator class';
COMMENT ON FUNCTION summary_hash_extended(cycle_summary, bigint) IS
    'Hash of a summary''s canonical bytes with a 64-bit seed: support function 2 of its hash operator class';

CREATE OPERATOR = (
    LEFTARG = cycle_summary, RIGHTARG = cycle_summary, FUNCTION = summary_eq,
    COMMUTATOR = =, NEGATOR = <>,
    RESTRICT = pg_catalog.eqsel, JOIN = pg_catalog.eqjoinsel, HASHES
);
CREATE OPERATOR <> (
    LEFTARG = cycle_summary, RIGHTARG = cycle_summary, FUNCTION = summary_ne,
    COMMUTATOR = <>, NEGATOR = =,
    RESTRICT = pg_catalog.neqsel, JOIN = pg_catalog.neqjoinsel
);
CREATE OPERATOR CLASS cycle_summary_ops DEFAULT FOR TYPE cycle_summary USING hash AS
    OPERATOR 1 = (cycle_summary, cycle_summary),
    FUNCTION 1 summary_hash(cycle_summary),
    FUNCTION 2 summary_hash_extended(cycle_summary, bigint);

COMMENT ON OPERATOR = (cycle_summary, cycle_summary) IS
    'Summaries are equal when their canonical bytes are the same: the same rows, in any order or split, give equal summaries';
COMMENT ON OPERATOR <> (cycle_summary, cycle_summary) IS
    'Summaries differ when their canonical bytes differ';
COMMENT ON OPERATOR CLASS cycle_summary_ops USING hash IS
    'Hashes summaries by their canonical bytes, for SELECT DISTINCT, UNION, GROUP BY and hash joins';

-- retention_summary
CREATE FUNCTION summary_eq(retention_summary, retention_summary) RETURNS boolean
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION summary_ne(retention_summary, retention_summary) RETURNS boolean
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION summary_hash(retention_summary) RETURNS integer
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION summary_hash_extended(retention_summary, bigint) RETURNS bigint
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION summary_eq(retention_summary, retention_summary) IS
    'True when both summaries have the same canonical bytes (so the same text): the function of =';
COMMENT ON FUNCTION summary_ne(retention_summary, retention_summary) IS
    'True when the summaries'' canonical bytes differ: the function of <>';
COMMENT ON FUNCTION summary_hash(retention_summary) IS
    'Hash of a summary''s canonical bytes: support function 1 of its hash operator class';
COMMENT ON FUNCTION summary_hash_extended(retention_summary, bigint) IS
    'Hash of a summary''s canonical bytes with a 64-bit seed: support function 2 of its hash operator class';

CREATE OPERATOR = (
    LEFTARG = retention_summary, RIGHTARG = retention_summary, FUNCTION = summary_eq,
    COMMUTATOR = =, NEGATOR = <>,
    RESTRICT = pg_catalog.eqsel, JOIN = pg_catalog.eqjoinsel, HASHES
);
CREATE OPERATOR <> (
    LEFTARG = retention_summary, RIGHTARG = retention_summary, FUNCTION = summary_ne,
    COMMUTATOR = <>, NEGATOR = =,
    RESTRICT = pg_catalog.neqsel, JOIN = pg_catalog.neqjoinsel
);
CREATE OPERATOR CLASS retention_summary_ops DEFAULT FOR TYPE retention_summary USING hash AS
    OPERATOR 1 = (retention_summary, retention_summary),
    FUNCTION 1 summary_hash(retention_summary),
    FUNCTION 2 summary_hash_extended(retention_summary, bigint);

COMMENT ON OPERATOR = (retention_summary, retention_summary) IS
    'Summaries are equal when their canonical bytes are the same: the same rows, in any order or split, give equal summaries';
COMMENT ON OPERATOR <> (retention_summary, retention_summary) IS
    'Summaries differ when their canonical bytes differ';
COMMENT ON OPERATOR CLASS retention_summary_ops USING hash IS
    'Hashes summaries by their canonical bytes, for SELECT DISTINCT, UNION, GROUP BY and hash joins';

-- funnel_summary
CREATE FUNCTION summary_eq(funnel_summary, funnel_summary) RETURNS boolean
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION summary_ne(funnel_summary, funnel_summary) RETURNS boolean
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION summary_hash(funnel_summary) RETURNS integer
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION summary_hash_extended(funnel_summary, bigint) RETURNS bigint
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION summary_eq(funnel_summary, funnel_summary) IS
    'True when both summaries have the same canonical bytes (so the same text): the function of =';
COMMENT ON FUNCTION summary_ne(funnel_summary, funnel_summary) IS
    'True when the summaries'' canonical bytes differ: the function of <>';
COMMENT ON FUNCTION summary_hash(funnel_summary) IS
    'Hash of a summary''s canonical bytes: support function 1 of its hash operator class';
COMMENT ON FUNCTION summary_hash_extended(funnel_summary, bigint) IS
    'Hash of a summary''s canonical bytes with a 64-bit seed: support function 2 of its hash operator class';

CREATE OPERATOR = (
    LEFTARG = funnel_summary, RIGHTARG = funnel_summary, FUNCTION = summary_eq,
    COMMUTATOR = =, NEGATOR = <>,
    RESTRICT = pg_catalog.eqsel, JOIN = pg_catalog.eqjoinsel, HASHES
);
CREATE OPERATOR <> (
    LEFTARG = funnel_summary, RIGHTARG = funnel_summary, FUNCTION = summary_ne,
    COMMUTATOR = <>, NEGATOR = =,
    RESTRICT = pg_catalog.neqsel, JOIN = pg_catalog.neqjoinsel
);
CREATE OPERATOR CLASS funnel_summary_ops DEFAULT FOR TYPE funnel_summary USING hash AS
    OPERATOR 1 = (funnel_summary, funnel_summary),
    FUNCTION 1 summary_hash(funnel_summary),
    FUNCTION 2 summary_hash_extended(funnel_summary, bigint);

COMMENT ON OPERATOR = (funnel_summary, funnel_summary) IS
    'Summaries are equal when their canonical bytes are the same: the same rows, in any order or split, give equal summaries';
COMMENT ON OPERATOR <> (funnel_summary, funnel_summary) IS
    'Summaries differ when their canonical bytes differ';
COMMENT ON OPERATOR CLASS funnel_summary_ops USING hash IS
    'Hashes summaries by their canonical bytes, for SELECT DISTINCT, UNION, GROUP BY and hash joins';
