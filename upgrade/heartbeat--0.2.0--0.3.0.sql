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
-- * track(), untrack(), tracked_days(), compact() and the tracked view: per-day
--   summaries of a deals table kept current by triggers (src/track.sql; work
--   in progress, see the README's "Tracking a deals table").
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
    tracked_segment pg_catalog.name;
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
    scans pg_catalog.text;
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
    -- A table tracked with these columns (and this segment, or any when
    -- pulse() has none: the segments' summaries roll up into the table's),
    -- its days cut in this session's TimeZone, and readable: its periods come
    -- from heartbeat.track_rows() (equal to the scans below, as they
    -- aggregate the same deals), not from the table.
    SELECT k.segment INTO tracked_segment FROM @extschema@.tracked k
     WHERE k.deals OPERATOR(pg_catalog.=) pulse.deals AND k.opened_at OPERATOR(pg_catalog.=) pulse.opened_at
       AND k.closed_at OPERATOR(pg_catalog.=) pulse.closed_at AND k.won OPERATOR(pg_catalog.=) pulse.won
       AND k.amount OPERATOR(pg_catalog.=) pulse.amount AND k.customer_id OPERATOR(pg_catalog.=) pulse.customer_id
       AND (coalesce(k.segment, '') OPERATOR(pg_catalog.=) coalesce(pulse.segment, '') OR pulse.segment IS NULL)
       AND k.zone OPERATOR(pg_catalog.=) pg_catalog.current_setting('TimeZone')
       AND pg_catalog.has_table_privilege(k.tracked_table, 'SELECT');
    IF FOUND AND pg_catalog.isfinite(as_of) THEN    -- else the scans' answer: no rows (NULL) or their ERROR
        scans := pg_catalog.format($q$
        WITH tp AS MATERIALIZED (
                 SELECT CASE WHEN x.segment IS NULL THEN 'n' ELSE 'v' OPERATOR(pg_catalog.||) x.segment END AS sk, x.day AS p,
                        x.opened, x.opened_cycle, x.closed, x.won, x.conversion, x.ticket, x.cycle, x.retention
                   FROM %2$s x),
             -- A period's opened and closed parts, one row.
             cells AS (SELECT sk, p, CASE WHEN oo THEN opened END AS opened, CASE WHEN oo THEN opened_cycle END AS sc,
                              CASE WHEN cc THEN closed END AS closed, CASE WHEN cc THEN won END AS won,
                              CASE WHEN cc THEN conversion END AS cs,
                              CASE WHEN cc AND p OPERATOR(pg_catalog.>=) $7 THEN ticket END AS t,
                              CASE WHEN cc AND p OPERATOR(pg_catalog.>=) $7 THEN cycle END AS cy
                         FROM (SELECT tp.*, opened OPERATOR(pg_catalog.>) 0 AND p OPERATOR(pg_catalog.>=) $7 AS oo,
                                      closed OPERATOR(pg_catalog.>) 0 AND p OPERATOR(pg_catalog.>=) $5 AS cc
                                 FROM tp WHERE p OPERATOR(pg_catalog.<) $8) x
                        WHERE oo OR cc),
             ret AS (SELECT x.sk, r.period AS p, (r.period OPERATOR(pg_catalog.+) $3)::pg_catalog.date AS next,
                            r.retention_rate, r.active
                       FROM (SELECT sk, @extschema@.rollup(retention) AS s FROM tp
                              WHERE won OPERATOR(pg_catalog.>) 0 AND p OPERATOR(pg_catalog.>=) $6 AND p OPERATOR(pg_catalog.<) $8
                              GROUP BY sk) x,
                            LATERAL @extschema@.retention(x.s) r),
             span AS (SELECT sk, pg_catalog.min(p) AS lo, pg_catalog.max(p) AS hi FROM tp GROUP BY sk),$q$, NULL,
            CASE WHEN pulse.segment IS NULL AND tracked_segment IS NOT NULL THEN pg_catalog.format(
                 '(SELECT y.day, NULL::pg_catalog.text AS segment, pg_catalog.sum(y.opened)::pg_catalog.int8 AS opened,
                          @extschema@.rollup(y.opened_cycle) AS opened_cycle, pg_catalog.sum(y.closed)::pg_catalog.int8 AS closed,
                          pg_catalog.sum(y.won)::pg_catalog.int8 AS won, @extschema@.rollup(y.conversion) AS conversion,
                          @extschema@.rollup(y.ticket) AS ticket, @extschema@.rollup(y.cycle) AS cycle,
                          @extschema@.rollup(y.retention) AS retention
                     FROM @extschema@.track_rows(%s::pg_catalog.oid::pg_catalog.regclass, $2, $1, $1) y GROUP BY y.day)',
                 deals::pg_catalog.oid)
                 ELSE pg_catalog.format('@extschema@.track_rows(%s::pg_catalog.oid::pg_catalog.regclass, $2, $1, $1)',
                                        deals::pg_catalog.oid) END);
    ELSE
        scans := pg_catalog.format($q$
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
             -- A period's opened and closed parts, one row.
             cells AS (SELECT coalesce(op.sk, cl.sk) AS sk, coalesce(op.p, cl.p) AS p, op.n AS opened, op.sc,
                              cl.n AS closed, cl.nw AS won, cl.cs, cl.t, cl.cy
                         FROM opened op FULL JOIN closed cl ON cl.sk OPERATOR(pg_catalog.=) op.sk AND cl.p OPERATOR(pg_catalog.=) op.p),
             ret AS (SELECT x.sk, r.period AS p, (r.period OPERATOR(pg_catalog.+) $3)::pg_catalog.date AS next,
                            r.retention_rate, r.active
                       FROM (SELECT sk, @extschema@.retention_agg($1, cu, c, pg_catalog.current_setting('TimeZone')) AS s
                               FROM t WHERE w AND c OPERATOR(pg_catalog.<=) $2 AND c OPERATOR(pg_catalog.>=) $6
                                        AND c OPERATOR(pg_catalog.<) $8
                              GROUP BY sk) x,
                            LATERAL @extschema@.retention(x.s) r),
             span AS (%9$s),$q$,
        opened_at, closed_at, won, amount, customer_id, deals, seg, NULL, span);
    END IF;
    RETURN QUERY EXECUTE pg_catalog.format($q$%s
             periods AS (SELECT s.sk, g.p::pg_catalog.date AS p, g.k OPERATOR(pg_catalog.-) 1 AS history
                           FROM span s, pg_catalog.generate_series(s.lo, s.hi, $3) WITH ORDINALITY g(p, k)
                          WHERE g.p OPERATOR(pg_catalog.>=) $5 AND g.p OPERATOR(pg_catalog.<) $8),
             -- Each period's figures, before the joins and sorts below carry them.
             fin AS MATERIALIZED (
                 SELECT sk, p, opened, closed, won, cs, pg_catalog.round(@extschema@.mean(t), 2) AS mt,
                        @extschema@.median(t) AS mdt, @extschema@.mean(cy) AS mcy, @extschema@.survival_median(sc) AS smc
                   FROM cells),
             rows AS (SELECT ps.sk, ps.p, ps.history, coalesce(ce.opened, 0) AS opened, coalesce(ce.closed, 0) AS closed,
                             coalesce(ce.won, 0) AS won, ce.cs, ce.mt, ce.mdt, ce.mcy, ce.smc,
                             -- after a segment's last period with a won deal, none of the customers before stayed
                             coalesce(ret.retention_rate, CASE WHEN prev.active OPERATOR(pg_catalog.>) 0 THEN 0 END) AS retention_rate
                        FROM periods ps
                             LEFT JOIN fin ce ON ce.sk OPERATOR(pg_catalog.=) ps.sk AND ce.p OPERATOR(pg_catalog.=) ps.p
                             LEFT JOIN ret ON ret.sk OPERATOR(pg_catalog.=) ps.sk AND ret.p OPERATOR(pg_catalog.=) ps.p
                             LEFT JOIN ret prev ON prev.sk OPERATOR(pg_catalog.=) ps.sk AND prev.next OPERATOR(pg_catalog.=) ps.p),
             -- The z-score and, over the same look-back, its pooled wins and trials.
             z AS (SELECT r.*, @extschema@.conversion_zscore(coalesce(cs, '{"version":1,"conversions":0,"trials":0}'), %2$s) OVER w AS cz,
                          @extschema@.trials(cs) AS n, pg_catalog.sum(@extschema@.conversions(cs)) OVER lb AS pc,
                          pg_catalog.sum(@extschema@.trials(cs)) OVER lb AS pt
                     FROM rows r
                   WINDOW w AS (PARTITION BY sk ORDER BY p), lb AS (w ROWS BETWEEN %2$s PRECEDING AND 1 PRECEDING))
        SELECT p, CASE WHEN sk OPERATOR(pg_catalog.=) 'n' THEN NULL ELSE pg_catalog.substr(sk, 2) END,
               opened, closed, won, @extschema@.rate(cs), @extschema@.wilson_lower(cs), @extschema@.wilson_upper(cs),
               mt, mdt, mcy,
               (pg_catalog.extract('epoch', mcy) OPERATOR(pg_catalog./) 86400)::pg_catalog.float8,
               smc, (pg_catalog.extract('epoch', smc) OPERATOR(pg_catalog./) 86400)::pg_catalog.float8,
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
        scans, lookback)
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

-- ---------------------------------------------------------------------------
-- track(): per-day summaries of a deals table kept current by triggers.
--
-- See the README's "Tracking a deals table" for what users see: the
-- guarantees, the costs and the limits (tested by test/track.sql,
-- test/track.sh, test/upgrade.sh; measured by bench/track.sh).
--
-- The design:
-- * track(deals, ...) creates <schema>.<table>_heartbeat beside the source,
--   partitioned by kind into _stored (the rows compact() writes) and
--   _changes (what writers append), fills it, and puts four statement-level
--   AFTER triggers on the source.  The
--   mapping (tracked table, columns, zone) is the triggers' argument list
--   and nowhere else: pg_dump carries it with the triggers, DROP TABLE
--   removes it with them, and the owner of a table tracks it without
--   writing to any table of the extension.  The view tracked reads it back.
-- * The tracked table is append-only for writers.  An INSERT (COPY, MERGE)
--   appends one 'deal' row per new deal (its columns, normalised: o, c, w,
--   a, cu, segment) from the transition table, by a trigger function that
--   track() writes for the table (<table>_heartbeat_insert(): static SQL,
--   planned once per session; a generic function's dynamic SQL, planned at
--   every statement, managed about half the single-row insert rate).  No
--   writer updates a shared row, so concurrent writers neither wait for nor
--   deadlock on each other.  (Summaries written per statement instead were
--   several times slower in a first try: a batch of historical deals
--   touches more (day, segment) keys than it has deals.)
--   An UPDATE appends a 'dirty' row for every (day, segment) whose parts it
--   changed (an update of other columns dirties nothing), a DELETE for
--   every (day, segment) of its rows: a reader computes those keys from the
--   source (no summary here can give a row back exactly in every case:
--   retention keeps customer sets).  TRUNCATE appends a 'truncate' row: the rows before it
--   (lower id) no longer count.  Ids are ordered across TRUNCATE because it
--   holds ACCESS EXCLUSIVE on the source: every writer's rows are numbered
--   either before it or after.
-- * A day is (t AT TIME ZONE zone)::date of the opening time (the opened
--   part: opened count, cycle of the deals opened that day) or of the
--   closing time (the closed part: closed and won counts, conversion, ticket,
--   cycle, retention per granularity); date and timestamp columns are read as
--   local times in zone, so no writer's TimeZone setting matters.
-- * Deals age: a summary row keeps the closed deals' cycle summary and the
--   open deals' opening times (open_at); tracked_days(deals, as_of) censors
--   them at as_of when it reads.  A key whose rows hold any time later than
--   as_of ("latest") is computed from the source, as dirty keys are.
-- * compact(deals) folds each key's rows into one 'summary' row per (day,
--   segment), recomputes the dirty keys from the source, and writes a row
--   per week, month, quarter and year (and segment) from those days, in one
--   statement (one snapshot): rows that writers commit meanwhile are not in
--   its snapshot, are not deleted, and still count after it.
-- * track_rows() (tracked_days(), tracked_periods(), pulse()) reads a stored
--   period row as it is unless a change or a time after as_of falls in its
--   period; those periods it computes from their days: a key's rows rolled
--   up with the aggregation of its deal rows, a dirty key from the source.
-- Every function runs with the caller's rights and search_path pinned to
-- pg_catalog, pg_temp; heartbeat's own objects are named with their schema.
-- ---------------------------------------------------------------------------

-- The trigger arguments, decoded (pg_trigger.tgargs: each argument ends with a zero byte).
CREATE FUNCTION track_args(tgargs bytea) RETURNS text[]
    LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    args text[] := '{}';
    i int4;
BEGIN
    LOOP
        i := position('\x00'::bytea IN tgargs);
        EXIT WHEN i = 0;
        args := args || convert_from(substr(tgargs, 1, i - 1), current_setting('server_encoding'));
        tgargs := substr(tgargs, i + 1);
    END LOOP;
    RETURN args;
END $$;

-- The columns of a deals table as the tracked table keeps them (o, c: the
-- times as timestamptz, w, a: won and the amount as numeric, cu: the
-- customer as bigint, text or uuid, segment: text), as a SELECT list over
-- the table or a transition table of it.  The columns' types are read from
-- deals at each call: date and timestamp columns are local times in the zone.
CREATE FUNCTION track_columns(deals regclass, args text[]) RETURNS text
    LANGUAGE plpgsql STABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    zone text := args[9];
    -- The columns' types, in one look-up (this runs for every write statement).
    t regtype[] := ARRAY(SELECT a.atttypid::regtype
                           FROM unnest(args[3:8]) WITH ORDINALITY n(col, i)
                           LEFT JOIN pg_attribute a ON a.attrelid = deals AND a.attname = n.col::name
                                                   AND a.attnum > 0 AND NOT a.attisdropped
                          ORDER BY n.i);
    o text;
    c text;
    cu text;
    seg text := 'NULL::pg_catalog.text';
BEGIN
    IF NOT (t[1] IN ('date', 'timestamp', 'timestamptz') AND t[2] IN ('date', 'timestamp', 'timestamptz')
            AND t[3] = 'bool'::regtype AND t[4] IN ('numeric', 'int4', 'int8', 'int2')
            AND t[5] IN ('int4', 'int8', 'text', 'uuid', 'varchar')
            AND (args[8] = '' OR t[6] IN ('text', 'varchar', 'bpchar', 'name', 'int2', 'int4', 'int8', 'bool', 'uuid'))) THEN
        -- Something is missing or of the wrong type: pulse_column() says what.
        PERFORM @extschema@.pulse_column(deals, args[3], 'opened_at', '{date, timestamp, timestamptz}');
        PERFORM @extschema@.pulse_column(deals, args[4], 'closed_at', '{date, timestamp, timestamptz}');
        PERFORM @extschema@.pulse_column(deals, args[5], 'won', '{bool}');
        PERFORM @extschema@.pulse_column(deals, args[6], 'amount', '{numeric, int4, int8, int2}');
        PERFORM @extschema@.pulse_column(deals, args[7], 'customer_id', '{int4, int8, text, uuid, varchar}');
        PERFORM @extschema@.pulse_column(deals, args[8], 'segment',
                                         '{text, varchar, bpchar, name, int2, int4, int8, bool, uuid}');
    END IF;
    o := CASE WHEN t[1] = 'timestamptz'::regtype THEN format('%I', args[3])
              ELSE format('(%I::pg_catalog.timestamp AT TIME ZONE %L)', args[3], zone) END;
    c := CASE WHEN t[2] = 'timestamptz'::regtype THEN format('%I', args[4])
              ELSE format('(%I::pg_catalog.timestamp AT TIME ZONE %L)', args[4], zone) END;
    cu := format(CASE WHEN t[5] = 'uuid'::regtype THEN '%I' WHEN t[5] IN ('text', 'varchar') THEN '%I::pg_catalog.text'
                      ELSE '%I::pg_catalog.int8' END, args[7]);
    IF args[8] <> '' THEN
        seg := format('%I::pg_catalog.text', args[8]);
    END IF;
    RETURN format('%s AS o, %s AS c, %I AS w, %I::pg_catalog.numeric AS a, %s AS cu, %s AS segment',
                  o, c, args[5], args[6], cu, seg);
END $$;

-- The type the tracked table keeps customers as: bigint, text or uuid.
CREATE FUNCTION track_customer_type(deals regclass, args text[]) RETURNS regtype
    LANGUAGE sql STABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp AS $$
SELECT CASE t WHEN 'uuid'::regtype THEN t WHEN 'text'::regtype THEN t WHEN 'varchar'::regtype THEN 'text'::regtype
              ELSE 'int8'::regtype END
  FROM @extschema@.pulse_column(deals, args[7], 'customer_id', '{int4, int8, text, uuid, varchar}') t
$$;

-- The SELECT that splits deals (rows: a relation with the columns above)
-- into parts: each deal once on its opening day (side true) and once on its
-- closing day (side false), days in zone.  ok: false when the deal would
-- make an aggregate raise an ERROR (an infinite time; a won deal's amount
-- that ticket_agg refuses: not finite, over 8191 decimals, or whose square
-- is beyond numeric's range); latest: the latest time the part's figures
-- depend on, infinity when not ok.  lo and hi, SQL expressions of type
-- timestamptz, keep only the parts whose day's time is in [lo, hi) (so
-- that an index on the time columns can serve a reader).
CREATE FUNCTION track_split(rows text, zone text, lo text DEFAULT NULL, hi text DEFAULT NULL) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp AS $$
SELECT format($q$WITH s AS NOT MATERIALIZED (
                 SELECT r.*, coalesce(pg_catalog.isfinite(r.o), true) AND coalesce(pg_catalog.isfinite(r.c), true)
                             AND coalesce(NOT r.w OR (r.a > '-Infinity' AND r.a < 'Infinity' AND pg_catalog.scale(r.a) <= 8191
                                                      AND pg_catalog.abs(r.a) < 1e65535), true) AS ok
                   FROM %1$s r)
        SELECT (s.o AT TIME ZONE %2$L)::pg_catalog.date AS day, s.segment, true AS side, s.o, s.c, s.w, s.a, s.cu, s.ok,
               CASE WHEN s.ok THEN greatest(s.o, s.c) ELSE 'infinity' END AS latest
          FROM s WHERE s.o IS NOT NULL %3$s
        UNION ALL
        SELECT (s.c AT TIME ZONE %2$L)::pg_catalog.date, s.segment, false, s.o, s.c, s.w, s.a, s.cu, s.ok,
               CASE WHEN s.ok THEN s.c ELSE 'infinity' END
          FROM s WHERE s.c IS NOT NULL %4$s$q$,
        rows, zone,
        CASE WHEN lo IS NOT NULL THEN format('AND s.o >= %s AND s.o < %s', lo, hi) END,
        CASE WHEN lo IS NOT NULL THEN format('AND s.c >= %s AND s.c < %s', lo, hi) END)
$$;

-- The parts of a deals table (or of a transition table of it: source).
CREATE FUNCTION track_parts(deals regclass, args text[], source text, lo text DEFAULT NULL, hi text DEFAULT NULL)
    RETURNS text
    LANGUAGE sql STABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp AS $$
SELECT @extschema@.track_split(format('(SELECT %s FROM %s)', @extschema@.track_columns(deals, args), source), args[9], lo, hi)
$$;

-- The tracked table's summary columns (after id and kind), and the SELECT
-- that computes them per (day, segment) from parts ($1: the zone).  A part
-- that is not ok is left out of every summary and sets the key's latest to
-- infinity, so that readers always compute that key from the source (and
-- meet the ERROR a fresh aggregation meets): a write never fails because
-- of tracking.  A summary of no row is NULL (rollup() skips it).
CREATE FUNCTION track_stored(parts text) RETURNS text
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE SET search_path = pg_catalog, pg_temp AS $$
SELECT format($q$SELECT g.day, g.segment, g.opened, g.open_at, CASE WHEN g.n_open_cycle > 0 THEN g.open_cycle END,
       g.closed, g.won, CASE WHEN g.n_closed > 0 THEN g.conversion END, CASE WHEN g.n_won > 0 THEN g.ticket END,
       CASE WHEN g.n_closed > 0 THEN g.cycle END, CASE WHEN g.n_won > 0 THEN g.retention_day END,
       CASE WHEN g.n_won > 0 THEN g.retention_week END, CASE WHEN g.n_won > 0 THEN g.retention_month END,
       CASE WHEN g.n_won > 0 THEN g.retention_quarter END, CASE WHEN g.n_won > 0 THEN g.retention_year END, g.latest
  FROM (SELECT p.day, p.segment,
       pg_catalog.count(*) FILTER (WHERE p.side) AS opened,
       pg_catalog.array_agg(p.o) FILTER (WHERE p.ok AND p.side AND p.c IS NULL) AS open_at,
       pg_catalog.count(*) FILTER (WHERE p.ok AND p.side AND p.c IS NOT NULL) AS n_open_cycle,
       @extschema@.cycle_agg(p.o, p.c) FILTER (WHERE p.ok AND p.side AND p.c IS NOT NULL) AS open_cycle,
       pg_catalog.count(*) FILTER (WHERE NOT p.side) AS closed,
       pg_catalog.count(*) FILTER (WHERE NOT p.side AND p.w) AS won,
       pg_catalog.count(*) FILTER (WHERE p.ok AND NOT p.side) AS n_closed,
       pg_catalog.count(*) FILTER (WHERE p.ok AND NOT p.side AND p.w) AS n_won,
       @extschema@.conversion_agg(p.w) FILTER (WHERE p.ok AND NOT p.side) AS conversion,
       @extschema@.ticket_agg(p.a) FILTER (WHERE p.ok AND NOT p.side AND p.w) AS ticket,
       @extschema@.cycle_agg(p.o, p.c) FILTER (WHERE p.ok AND NOT p.side) AS cycle,
       @extschema@.retention_agg('day', p.cu, p.c, $1) FILTER (WHERE p.ok AND NOT p.side AND p.w) AS retention_day,
       @extschema@.retention_agg('week', p.cu, p.c, $1) FILTER (WHERE p.ok AND NOT p.side AND p.w) AS retention_week,
       @extschema@.retention_agg('month', p.cu, p.c, $1) FILTER (WHERE p.ok AND NOT p.side AND p.w) AS retention_month,
       @extschema@.retention_agg('quarter', p.cu, p.c, $1) FILTER (WHERE p.ok AND NOT p.side AND p.w) AS retention_quarter,
       @extschema@.retention_agg('year', p.cu, p.c, $1) FILTER (WHERE p.ok AND NOT p.side AND p.w) AS retention_year,
       pg_catalog.max(p.latest) AS latest
  FROM (%s) p
 GROUP BY p.day, p.segment) g$q$, parts)
$$;

-- The figures tracked_days() returns, per (day, segment) of parts, as of
-- $2 ($1: the zone, $3: the retention granularity), before its last step
-- (which leaves out the summaries of a part with no deal).
CREATE FUNCTION track_read(parts text) RETURNS text
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE SET search_path = pg_catalog, pg_temp AS $$
SELECT format($q$SELECT p.day, p.segment, pg_catalog.count(*) FILTER (WHERE p.side AND p.o <= $2) AS opened,
               @extschema@.cycle_agg(p.o, p.c, $2) FILTER (WHERE p.side) AS oc,
               pg_catalog.count(*) FILTER (WHERE NOT p.side AND p.c <= $2) AS closed,
               pg_catalog.count(*) FILTER (WHERE NOT p.side AND p.c <= $2 AND p.w) AS won,
               @extschema@.conversion_agg(p.w) FILTER (WHERE NOT p.side AND p.c <= $2) AS conversion,
               @extschema@.ticket_agg(p.a) FILTER (WHERE NOT p.side AND p.c <= $2 AND p.w) AS ticket,
               @extschema@.cycle_agg(p.o, p.c) FILTER (WHERE NOT p.side AND p.c <= $2) AS cycle,
               @extschema@.retention_agg($3, p.cu, p.c, $1) FILTER (WHERE NOT p.side AND p.c <= $2 AND p.w) AS retention
          FROM (%s) p GROUP BY p.day, p.segment$q$, parts)
$$;

-- The triggers of UPDATE, DELETE and TRUNCATE: UPDATE and DELETE dirty
-- keys, TRUNCATE appends a marker.  (INSERT's is each tracked table's own.)
CREATE FUNCTION track_trigger() RETURNS trigger
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    args text[] := TG_ARGV[0:TG_NARGS - 1];
    tracked text := format('%I.%I', args[1], args[2]);
BEGIN
    IF TG_OP = 'UPDATE' THEN
        -- Only the keys whose parts differ (compared as text, so that 1.0 and
        -- 1.00 differ as their summaries do): an update of other columns, or
        -- one that moves nothing, dirties nothing.
        EXECUTE format('INSERT INTO %1$s (kind, day, segment) SELECT DISTINCT ''dirty'', x.day, x.segment
                          FROM ((SELECT op.day, op.segment, op::text FROM (%2$s) op
                                 EXCEPT ALL SELECT np.day, np.segment, np::text FROM (%3$s) np)
                                UNION ALL
                                (SELECT np.day, np.segment, np::text FROM (%3$s) np
                                 EXCEPT ALL SELECT op.day, op.segment, op::text FROM (%2$s) op)) x',
                       tracked, @extschema@.track_parts(TG_RELID, args, 'heartbeat_old'),
                       @extschema@.track_parts(TG_RELID, args, 'heartbeat_new'));
    ELSIF TG_OP = 'DELETE' THEN
        EXECUTE format('INSERT INTO %s (kind, day, segment) SELECT DISTINCT ''dirty'', p.day, p.segment FROM (%s) p',
                       tracked, @extschema@.track_parts(TG_RELID, args, 'heartbeat_old'));
    ELSE
        EXECUTE format('INSERT INTO %s (kind) VALUES (''truncate'')', tracked);
    END IF;
    RETURN NULL;
END $$;

-- One row per tracked table: its triggers' arguments.  args: the tracked
-- table's schema and name, opened_at, closed_at, won, amount, customer_id,
-- segment ('' for none), zone.
CREATE VIEW tracked AS
SELECT t.tgrelid::pg_catalog.regclass AS deals,
       pg_catalog.to_regclass(pg_catalog.format('%I.%I', a.args[1], a.args[2])) AS tracked_table,
       a.args[3]::pg_catalog.name AS opened_at, a.args[4]::pg_catalog.name AS closed_at,
       a.args[5]::pg_catalog.name AS won, a.args[6]::pg_catalog.name AS amount,
       a.args[7]::pg_catalog.name AS customer_id, CASE WHEN a.args[8] OPERATOR(pg_catalog.<>) '' THEN a.args[8]::pg_catalog.name END AS segment,
       a.args[9] AS zone, a.args
  FROM pg_catalog.pg_trigger t,
       LATERAL (SELECT @extschema@.track_args(t.tgargs) AS args) a
 WHERE t.tgname OPERATOR(pg_catalog.=) 'heartbeat_track_update'
   AND t.tgfoid OPERATOR(pg_catalog.=) '@extschema@.track_trigger'::pg_catalog.regproc;
GRANT SELECT ON tracked TO PUBLIC;

-- The mapping of a tracked table, or an ERROR.
CREATE FUNCTION track_mapping(deals regclass) RETURNS text[]
    LANGUAGE plpgsql STABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    args text[];
BEGIN
    SELECT t.args INTO args FROM @extschema@.tracked t WHERE t.deals = track_mapping.deals;
    IF args IS NULL THEN
        RAISE EXCEPTION 'table % is not tracked', deals
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  HINT = 'Start tracking it with heartbeat.track(); heartbeat.tracked lists the tracked tables.';
    END IF;
    RETURN args;
END $$;

CREATE FUNCTION track(deals regclass, opened_at name DEFAULT 'opened_at', closed_at name DEFAULT 'closed_at',
        won name DEFAULT 'won', amount name DEFAULT 'amount', customer_id name DEFAULT 'customer_id',
        segment name DEFAULT NULL, zone text DEFAULT 'UTC')
    RETURNS regclass
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    rel record;
    tname text;
    tracked text;
    args text[];
    grantee record;
    cols text;
    part text;
BEGIN
    SELECT c.relkind, c.relowner, n.nspname, c.relname INTO rel
      FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = deals;
    IF rel.relkind <> 'r' THEN
        RAISE EXCEPTION 'cannot track %: it is not an ordinary table', deals
            USING ERRCODE = 'wrong_object_type',
                  DETAIL = 'Only ordinary tables can be tracked; views, materialized views, foreign and partitioned tables cannot, yet.',
                  HINT = 'Read a view''s heartbeat with heartbeat.pulse().';
    END IF;
    IF NOT pg_has_role(rel.relowner, 'USAGE') THEN
        RAISE EXCEPTION 'must be owner of table % to track it', deals USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF EXISTS (SELECT FROM @extschema@.tracked t WHERE t.deals = track.deals) THEN
        RAISE EXCEPTION 'table % is already tracked', deals
            USING ERRCODE = 'duplicate_object', HINT = 'Run heartbeat.untrack() first to track it with other columns.';
    END IF;
    IF zone IS NULL THEN
        RAISE EXCEPTION 'track zone must not be NULL' USING ERRCODE = 'invalid_parameter_value',
            HINT = 'Name the time zone that cuts the days, for example ''UTC'' (the default).';
    END IF;
    PERFORM now() AT TIME ZONE zone;          -- an unknown zone is an ERROR here
    tname := rel.relname || '_heartbeat';
    IF octet_length(tname || '_changes') > 63 THEN
        RAISE EXCEPTION 'cannot track %: the name % is too long', deals, quote_ident(tname || '_changes')
            USING ERRCODE = 'name_too_long', HINT = 'Rename the table to a name of at most 45 bytes.';
    END IF;
    FOREACH part IN ARRAY ARRAY[tname, tname || '_stored', tname || '_changes', tname || '_id_seq'] LOOP
        IF to_regclass(format('%I.%I', rel.nspname, part)) IS NOT NULL THEN
            RAISE EXCEPTION 'cannot track %: relation %.% already exists', deals, quote_ident(rel.nspname), quote_ident(part)
                USING ERRCODE = 'duplicate_table', HINT = 'Rename or drop that relation, then track the table.';
        END IF;
    END LOOP;
    IF to_regprocedure(format('%I.%I()', rel.nspname, tname || '_insert')) IS NOT NULL THEN
        RAISE EXCEPTION 'cannot track %: function %.%() already exists', deals, quote_ident(rel.nspname), quote_ident(tname || '_insert')
            USING ERRCODE = 'duplicate_function', HINT = 'Rename or drop that function, then track the table.';
    END IF;
    args := ARRAY[rel.nspname, tname, opened_at, closed_at, won, amount, customer_id, coalesce(segment, ''), zone];
    PERFORM @extschema@.track_parts(deals, args, deals::text);    -- checks every column
    tracked := format('%I.%I', rel.nspname, tname);
    -- Two partitions: the stored rows (compact() writes them, readers find
    -- them by index) and the changes since (writers append to it without an
    -- index to keep; readers scan it whole, as they need it whole).
    EXECUTE format($q$CREATE TABLE %s (
        id int8 GENERATED ALWAYS AS IDENTITY,
        kind text NOT NULL,
        day date, segment text, opened int8, open_at timestamptz[], open_cycle @extschema@.cycle_summary,
        closed int8, won int8, conversion @extschema@.conversion_summary, ticket @extschema@.ticket_summary,
        cycle @extschema@.cycle_summary, retention_day @extschema@.retention_summary,
        retention_week @extschema@.retention_summary, retention_month @extschema@.retention_summary,
        retention_quarter @extschema@.retention_summary, retention_year @extschema@.retention_summary,
        latest timestamptz, o timestamptz, c timestamptz, w boolean, a numeric, cu %s) PARTITION BY LIST (kind)$q$,
        tracked, @extschema@.track_customer_type(deals, args));
    EXECUTE format($q$CREATE TABLE %I.%I PARTITION OF %s FOR VALUES IN ('summary', 'week', 'month', 'quarter', 'year')$q$,
                   rel.nspname, tname || '_stored', tracked);
    EXECUTE format($q$CREATE TABLE %I.%I PARTITION OF %s FOR VALUES IN ('deal', 'dirty', 'truncate')$q$,
                   rel.nspname, tname || '_changes', tracked);
    -- Readers find the last truncate and the stored rows of one kind through
    -- these; a deal or a dirty key adds to none of them.
    EXECUTE format('CREATE INDEX ON %s (id) WHERE kind = ''truncate''', tracked);
    EXECUTE format('CREATE INDEX ON %s (kind, day) WHERE kind IN (''summary'', ''week'', ''month'', ''quarter'', ''year'')', tracked);
    EXECUTE format('CREATE INDEX ON %s (kind, latest) WHERE kind IN (''summary'', ''week'', ''month'', ''quarter'', ''year'')', tracked);
    EXECUTE format('COMMENT ON TABLE %s IS %L', tracked,
                   format('heartbeat summaries of %s per day, kept by heartbeat.track(): read them with heartbeat.tracked_days()', deals));
    EXECUTE format('COMMENT ON TABLE %I.%I IS %L', rel.nspname, tname || '_stored',
                   format('heartbeat.track() of %s: the summaries per day, week, month, quarter and year that compact() stores', deals));
    EXECUTE format('COMMENT ON TABLE %I.%I IS %L', rel.nspname, tname || '_changes',
                   format('heartbeat.track() of %s: the deals written, the days made dirty and the truncates since compact()', deals));
    cols := (SELECT string_agg(quote_literal(a), ', ') FROM unnest(args) a);
    -- INSERT: a function of this table's own, whose INSERT is static SQL and
    -- so planned once per session, not once per statement.
    EXECUTE format('CREATE FUNCTION %I.%I() RETURNS trigger LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS %L',
                   rel.nspname, tname || '_insert',
                   format('BEGIN INSERT INTO %s (kind, o, c, w, a, cu, segment) SELECT ''deal'', %s FROM heartbeat_new; RETURN NULL; END',
                          tracked, @extschema@.track_columns(deals, args)));
    EXECUTE format('COMMENT ON FUNCTION %I.%I() IS %L', rel.nspname, tname || '_insert',
                   format('heartbeat.track() of %s: appends the inserted deals to %s', deals, tracked));
    EXECUTE format('CREATE TRIGGER heartbeat_track_insert AFTER INSERT ON %s REFERENCING NEW TABLE AS heartbeat_new
                    FOR EACH STATEMENT EXECUTE FUNCTION %I.%I(%s)', deals, rel.nspname, tname || '_insert', cols);
    EXECUTE format('CREATE TRIGGER heartbeat_track_update AFTER UPDATE ON %s REFERENCING OLD TABLE AS heartbeat_old
                    NEW TABLE AS heartbeat_new FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.track_trigger(%s)', deals, cols);
    EXECUTE format('CREATE TRIGGER heartbeat_track_delete AFTER DELETE ON %s REFERENCING OLD TABLE AS heartbeat_old
                    FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.track_trigger(%s)', deals, cols);
    EXECUTE format('CREATE TRIGGER heartbeat_track_truncate AFTER TRUNCATE ON %s
                    FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.track_trigger(%s)', deals, cols);
    -- Whoever may write the source gets INSERT on the tracked table (the triggers
    -- run as the writer), whoever may read it SELECT.
    FOR grantee IN SELECT DISTINCT CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(r.rolname) END AS who,
                          CASE WHEN a.privilege_type = 'SELECT' THEN 'SELECT' ELSE 'INSERT' END AS what
                     FROM pg_class c, aclexplode(c.relacl) a LEFT JOIN pg_roles r ON r.oid = a.grantee
                    WHERE c.oid = deals AND a.grantee <> c.relowner
                      AND a.privilege_type IN ('SELECT', 'INSERT', 'UPDATE', 'DELETE', 'TRUNCATE') LOOP
        EXECUTE format('GRANT %s ON %s TO %s', grantee.what, tracked, grantee.who);
    END LOOP;
    -- The rows already there: one summary row per key.
    EXECUTE format('INSERT INTO %s (kind, day, segment, opened, open_at, open_cycle, closed, won, conversion, ticket, cycle,
                    retention_day, retention_week, retention_month, retention_quarter, retention_year, latest)
                    SELECT ''summary'', x.* FROM (%s) x', tracked,
                   @extschema@.track_stored(@extschema@.track_parts(deals, args, deals::text)))
        USING zone;
    -- And the rows per week, month, quarter and year.
    PERFORM @extschema@.compact(deals);
    RETURN tracked::regclass;
END $$;

CREATE FUNCTION untrack(deals regclass) RETURNS void
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    args text[] := @extschema@.track_mapping(deals);
    op text;
BEGIN
    IF NOT pg_has_role((SELECT c.relowner FROM pg_class c WHERE c.oid = deals), 'USAGE') THEN
        RAISE EXCEPTION 'must be owner of table % to untrack it', deals USING ERRCODE = 'insufficient_privilege';
    END IF;
    FOREACH op IN ARRAY '{insert, update, delete, truncate}'::text[] LOOP
        EXECUTE format('DROP TRIGGER %I ON %s', 'heartbeat_track_' || op, deals);
    END LOOP;
    EXECUTE format('DROP FUNCTION IF EXISTS %I.%I()', args[1], args[2] || '_insert');
    EXECUTE format('DROP TABLE IF EXISTS %I.%I', args[1], args[2]);
END $$;

-- The live rows of a tracked table or of a relation of its rows (rel:
-- those after its last 'truncate'), the parts of its deal rows (dp), and
-- each key with whether it is dirty: a 'dirty' row or, when as_of (an SQL
-- expression) is given, a time later than as_of; and whether it is single:
-- one summary row and nothing else (as compact() leaves most keys).
CREATE FUNCTION track_keys(rel text, zone text, as_of text DEFAULT NULL) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp AS $$
SELECT format($q$live AS (SELECT * FROM %1$s r
                   WHERE r.kind <> 'truncate'
                     AND r.id > coalesce((SELECT max(t.id) FROM %1$s t WHERE t.kind = 'truncate'), 0)),
             dp AS (%2$s),
             keys AS (SELECT x.day, x.segment, coalesce('v' || x.segment, 'n') AS sk,
                             bool_or(x.dirty) OR coalesce(max(x.latest) > %3$s, false) AS dirty,
                             pg_catalog.count(*) = 1 AND bool_and(x.summary) AS single
                        FROM (SELECT l.day, l.segment, l.kind = 'dirty' AS dirty, l.kind = 'summary' AS summary, l.latest
                                FROM live l WHERE l.kind IN ('summary', 'dirty')
                              UNION ALL
                              SELECT d.day, d.segment, false, false, d.latest FROM dp d) x
                       GROUP BY x.day, x.segment)$q$,
    rel, @extschema@.track_split('(SELECT l.o, l.c, l.w, l.a, l.cu, l.segment FROM live l WHERE l.kind = ''deal'')', zone),
    coalesce(as_of, 'NULL'))
$$;

-- The figures of tracked_days() (period 'day') or of tracked_periods()
-- (period: the granularity), in one query.  The stored rows of the period
-- (per day: the 'summary' rows; else the granularity's rows that compact()
-- writes) are read as they are (base), open deals censored at as_of, unless
-- a change since (a deal or a dirty key) falls in the period or a time in it
-- is later than as_of.  Those periods (need) are computed per day from
-- their days' summary rows and the changes (a dirty day from the source),
-- then rolled up into periods.  Reading a clean table is so one pass over
-- its period rows; a change costs its periods' days.  (jit = off: its
-- queries call hundreds of functions, and compiling them took longer than
-- the largest read, a dirty day's recomputation over the whole source.
-- enable_nestloop = off: its joins are of CTEs, whose sizes the planner
-- cannot know; a nested loop over thousands of dirty keys took seconds.)
CREATE FUNCTION track_rows(deals regclass, as_of timestamptz, granularity text, period text)
    RETURNS TABLE (day date, segment text, opened bigint, opened_cycle @extschema@.cycle_summary,
        closed bigint, won bigint, conversion @extschema@.conversion_summary, ticket @extschema@.ticket_summary,
        cycle @extschema@.cycle_summary, retention @extschema@.retention_summary)
    LANGUAGE plpgsql STABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp SET jit = off SET enable_nestloop = off AS $$
DECLARE
    args text[] := @extschema@.track_mapping(deals);
    tracked text := format('%I.%I', args[1], args[2]);
    keys text := @extschema@.track_keys('rel', args[9], '$2');
    pre text;
    g text;
    ddays date[];
    dsegs text[];
    lo date;
    hi date;
    q text;
    per_day bool;
    dirty text := '';
    -- A stored row s read as it is: its open deals censored at as_of, a
    -- missing ticket or retention the empty one (as rollup() of none gives).
    as_is text := $q$s.day, s.segment, s.opened,
               CASE WHEN s.open_at IS NULL THEN coalesce(s.open_cycle, (SELECT @extschema@.rollup(NULL::@extschema@.cycle_summary)))
                    WHEN s.open_cycle IS NULL THEN (SELECT @extschema@.cycle_agg(u.o, NULL::timestamptz, $2) FROM unnest(s.open_at) u(o))
                    ELSE @extschema@.cycle_combine(s.open_cycle, (SELECT @extschema@.cycle_agg(u.o, NULL::timestamptz, $2)
                                                                    FROM unnest(s.open_at) u(o))) END AS oc,
               s.closed, s.won, s.conversion,
               coalesce(s.ticket, (SELECT @extschema@.rollup(NULL::@extschema@.ticket_summary))) AS ticket, s.cycle,
               coalesce(CASE $3 WHEN 'day' THEN s.retention_day WHEN 'week' THEN s.retention_week
                                WHEN 'month' THEN s.retention_month WHEN 'quarter' THEN s.retention_quarter
                                ELSE s.retention_year END,
                        (SELECT @extschema@.rollup(NULL::@extschema@.retention_summary))) AS retention$q$;
BEGIN
    IF granularity IS NULL OR NOT lower(granularity) = ANY ('{day, week, month, quarter, year}'::text[]) THEN
        RAISE EXCEPTION 'unknown tracked granularity "%"', granularity
            USING ERRCODE = 'invalid_parameter_value', HINT = 'Use one of day, week, month, quarter, year: it cuts the retention summaries'' periods.';
    END IF;
    IF as_of IS NULL OR NOT isfinite(as_of) THEN
        RAISE EXCEPTION 'tracked as_of must be a finite timestamp, not %', coalesce(as_of::text, 'NULL')
            USING ERRCODE = 'invalid_parameter_value', HINT = 'Pass the moment the pipeline is read at, for example now().';
    END IF;
    granularity := lower(granularity);
    per_day := period = 'day';
    g := CASE WHEN per_day THEN 'day' ELSE granularity END;
    -- tr: the last truncate; ch: the changes after it and the last compact();
    -- touched: their periods; stale: stored periods with a time after as_of;
    -- need: the periods computed per day; rel: the rows of their days (the
    -- relation track_keys() reads).  The other stored rows are read as they
    -- are, below.
    pre := format($q$tr AS (SELECT coalesce(max(t.id), 0) AS id FROM %1$s t WHERE t.kind = 'truncate'),
             ch AS MATERIALIZED (SELECT r.* FROM %1$s r WHERE r.kind IN ('deal', 'dirty') AND r.id > (SELECT tr.id FROM tr)),
             touched AS (SELECT DISTINCT pg_catalog.date_trunc(%3$L, x.day::timestamp)::date AS p, coalesce('v' || x.segment, 'n') AS sk
                           FROM (SELECT c.day, c.segment FROM ch c WHERE c.kind = 'dirty'
                                 UNION ALL
                                 SELECT d.day, d.segment FROM (%4$s) d) x),
             stale AS (SELECT r.day AS p, coalesce('v' || r.segment, 'n') AS sk FROM %1$s r
                        WHERE r.kind = %2$L AND r.id > (SELECT tr.id FROM tr) AND r.latest > $2),
             need AS MATERIALIZED (SELECT t.p, t.sk FROM touched t UNION SELECT s.p, s.sk FROM stale s),
             rel AS (SELECT c.id, c.kind, c.day, c.segment, c.opened, c.open_at, c.open_cycle, c.closed, c.won, c.conversion,
                            c.ticket, c.cycle, c.retention_day, c.retention_week, c.retention_month, c.retention_quarter,
                            c.retention_year, c.latest, c.o, c.c, c.w, c.a, c.cu
                       FROM ch c
                     UNION ALL
                     SELECT r.id, r.kind, r.day, r.segment, r.opened, r.open_at, r.open_cycle, r.closed, r.won, r.conversion,
                            r.ticket, r.cycle, r.retention_day, r.retention_week, r.retention_month, r.retention_quarter,
                            r.retention_year, r.latest, r.o, r.c, r.w, r.a, r.cu
                       FROM %1$s r
                      WHERE r.kind = 'summary' AND r.id > (SELECT tr.id FROM tr)
                        AND r.day >= (SELECT min(n.p) FROM need n)
                        AND r.day < ((SELECT max(n.p) FROM need n) + %5$L::interval)::date
                        AND EXISTS (SELECT FROM need n WHERE n.p = pg_catalog.date_trunc(%3$L, r.day::timestamp)::date
                                                         AND n.sk = coalesce('v' || r.segment, 'n')))$q$,
        tracked, CASE WHEN per_day THEN 'summary' ELSE g END, g,
        @extschema@.track_split('(SELECT c.o, c.c, c.w, c.a, c.cu, c.segment FROM ch c WHERE c.kind = ''deal'')', args[9]),
        CASE g WHEN 'quarter' THEN '3 months' ELSE '1 ' || g END);
    -- The dirty keys, read first: a STABLE function sees one snapshot throughout.
    EXECUTE format('WITH %s, %s SELECT array_agg(k.day), array_agg(k.segment), min(k.day), max(k.day) FROM keys k WHERE k.dirty',
                   pre, keys)
        INTO ddays, dsegs, lo, hi USING args[9], as_of;
    -- Dirty keys: from the source, as of as_of (per day; per period, their
    -- days go into their periods' GROUP BY with the clean ones).
    IF ddays IS NOT NULL THEN
        dirty := @extschema@.track_read(format(
            'SELECT p.* FROM (%s) p
              WHERE (p.day, coalesce(''v'' || p.segment, ''n'')) IN
                    (SELECT d.day, coalesce(''v'' || d.segment, ''n'') FROM unnest($4, $5) d(day, segment))',
            @extschema@.track_parts(deals, args, deals::text, '$6', '$7')));
        dirty := ' UNION ALL ' || dirty;
    END IF;
    -- The days of the periods in need: their summary rows and deal rows
    -- rolled up, open deals censored at as_of; a key of a single summary
    -- row read as it is.
    q := format($q$SELECT %s
          FROM live s JOIN keys k ON k.day = s.day AND k.sk = coalesce('v' || s.segment, 'n')
         WHERE NOT k.dirty AND k.single
        UNION ALL
        SELECT x.day, x.segment, sum(x.opened)::int8 AS opened, @extschema@.rollup(x.oc) AS oc, sum(x.closed)::int8 AS closed,
               sum(x.won)::int8 AS won, @extschema@.rollup(x.conversion) AS conversion, @extschema@.rollup(x.ticket) AS ticket,
               @extschema@.rollup(x.cycle) AS cycle, @extschema@.rollup(x.retention) AS retention
          FROM (SELECT r.day, r.segment, r.opened, r.open_cycle AS oc, r.closed, r.won, r.conversion, r.ticket, r.cycle,
                       CASE $3 WHEN 'day' THEN r.retention_day WHEN 'week' THEN r.retention_week
                               WHEN 'month' THEN r.retention_month WHEN 'quarter' THEN r.retention_quarter
                               ELSE r.retention_year END AS retention
                  FROM clean r
                UNION ALL
                SELECT r.day, r.segment, 0, @extschema@.cycle_agg(u.o, NULL::timestamptz, $2), 0, 0, NULL, NULL, NULL, NULL
                  FROM clean r, unnest(r.open_at) u(o) GROUP BY r.day, r.segment
                UNION ALL
                %s) x
         GROUP BY x.day, x.segment%s$q$,
        as_is, @extschema@.track_read('SELECT d.* FROM dp d JOIN keys k ON k.day = d.day AND k.sk = coalesce(''v'' || d.segment, ''n'')
                                       WHERE NOT k.dirty'),
        dirty);
    -- Per period: those days rolled up into their periods.
    IF NOT per_day THEN
        q := format($q$SELECT pg_catalog.date_trunc(%L, z.day::timestamp)::date AS day, z.segment, sum(z.opened)::int8 AS opened,
                           @extschema@.rollup(z.oc) AS oc, sum(z.closed)::int8 AS closed, sum(z.won)::int8 AS won,
                           @extschema@.rollup(z.conversion) AS conversion, @extschema@.rollup(z.ticket) AS ticket,
                           @extschema@.rollup(z.cycle) AS cycle, @extschema@.rollup(z.retention) AS retention
                      FROM (%s) z GROUP BY 1, z.segment$q$, granularity, q);
    END IF;
    -- And the stored rows read as they are, their open deals censored at as_of.
    q := format($q$WITH %s, %s,
             clean AS (SELECT l.* FROM live l JOIN keys k ON k.day = l.day AND k.sk = coalesce('v' || l.segment, 'n')
                        WHERE NOT k.dirty AND NOT k.single AND l.kind = 'summary')
        %s
        UNION ALL
        SELECT %s
          FROM %s s
         WHERE s.kind = %L AND s.id > (SELECT tr.id FROM tr) AND coalesce(s.latest <= $2, true)
           AND NOT EXISTS (SELECT FROM touched t WHERE t.p = s.day AND t.sk = coalesce('v' || s.segment, 'n'))$q$,
        pre, keys, q, as_is, tracked, CASE WHEN per_day THEN 'summary' ELSE g END);
    -- A part without deals has no summaries, as in a fresh GROUP BY.
    RETURN QUERY EXECUTE format($q$SELECT y.day, y.segment, y.opened, CASE WHEN y.opened > 0 THEN y.oc END, y.closed, y.won,
               CASE WHEN y.closed > 0 THEN y.conversion END, CASE WHEN y.closed > 0 THEN y.ticket END,
               CASE WHEN y.closed > 0 THEN y.cycle END, CASE WHEN y.closed > 0 THEN y.retention END
          FROM (%s) y WHERE y.opened > 0 OR y.closed > 0$q$, q)
        USING args[9], as_of, granularity, ddays, dsegs,
              (lo::timestamp AT TIME ZONE args[9]), ((hi + 1)::timestamp AT TIME ZONE args[9]);
END $$;

CREATE FUNCTION tracked_days(deals regclass, as_of timestamptz DEFAULT now(), granularity text DEFAULT 'month')
    RETURNS TABLE (day date, segment text, opened bigint, opened_cycle @extschema@.cycle_summary,
        closed bigint, won bigint, conversion @extschema@.conversion_summary, ticket @extschema@.ticket_summary,
        cycle @extschema@.cycle_summary, retention @extschema@.retention_summary)
    LANGUAGE sql STABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp AS $$
SELECT * FROM @extschema@.track_rows(deals, as_of, granularity, 'day')
$$;

-- pulse()'s periods: the first day of each period of granularity.
CREATE FUNCTION tracked_periods(deals regclass, granularity text DEFAULT 'month', as_of timestamptz DEFAULT now())
    RETURNS TABLE (period date, segment text, opened bigint, opened_cycle @extschema@.cycle_summary,
        closed bigint, won bigint, conversion @extschema@.conversion_summary, ticket @extschema@.ticket_summary,
        cycle @extschema@.cycle_summary, retention @extschema@.retention_summary)
    LANGUAGE sql STABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp AS $$
SELECT * FROM @extschema@.track_rows(deals, as_of, granularity, granularity)
$$;

-- Folds each key's rows (summaries and deals) into one summary row,
-- recomputes the dirty keys from the source, and writes each week's,
-- month's, quarter's and year's row (per segment) from those days, in one
-- statement (one snapshot).  Returns the (day, segment) rows left.
CREATE FUNCTION compact(deals regclass) RETURNS bigint
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp SET jit = off AS $$
DECLARE
    args text[] := @extschema@.track_mapping(deals);
    tracked text := format('%I.%I', args[1], args[2]);
    cols text := 'day, segment, opened, open_at, open_cycle, closed, won, conversion, ticket, cycle,
                  retention_day, retention_week, retention_month, retention_quarter, retention_year, latest';
    n int8;
BEGIN
    -- One compaction at a time (the lock conflicts with itself, not with writers or readers).
    EXECUTE format('LOCK TABLE %s IN SHARE UPDATE EXCLUSIVE MODE', tracked);
    EXECUTE format($q$WITH gone AS (DELETE FROM %1$s RETURNING *), %2$s,
             clean AS (SELECT l.day, l.segment, l.opened, l.open_at, l.open_cycle, l.closed, l.won, l.conversion, l.ticket,
                              l.cycle, l.retention_day, l.retention_week, l.retention_month, l.retention_quarter,
                              l.retention_year, l.latest
                         FROM live l JOIN keys k ON k.day = l.day AND k.sk = coalesce('v' || l.segment, 'n')
                        WHERE NOT k.dirty AND l.kind = 'summary'
                       UNION ALL
                       %4$s),
             bounds AS (SELECT (min(k.day)::timestamp AT TIME ZONE $1) AS lo, ((max(k.day) + 1)::timestamp AT TIME ZONE $1) AS hi
                          FROM keys k WHERE k.dirty),
             fresh AS (%5$s),
             opens AS (SELECT r.day, r.segment, coalesce('v' || r.segment, 'n') AS sk, array_agg(u.o) AS open_at
                         FROM clean r, unnest(r.open_at) u(o) GROUP BY r.day, r.segment),
             days AS MATERIALIZED (
        SELECT f.day, f.segment, f.opened, o.open_at, f.open_cycle, f.closed, f.won, f.conversion, f.ticket, f.cycle,
               f.retention_day, f.retention_week, f.retention_month, f.retention_quarter, f.retention_year, f.latest
          FROM (SELECT c.day, c.segment, coalesce('v' || c.segment, 'n') AS sk, sum(c.opened)::int8 AS opened,
                       @extschema@.rollup(c.open_cycle) AS open_cycle, sum(c.closed)::int8 AS closed, sum(c.won)::int8 AS won,
                       @extschema@.rollup(c.conversion) AS conversion, @extschema@.rollup(c.ticket) AS ticket,
                       @extschema@.rollup(c.cycle) AS cycle, @extschema@.rollup(c.retention_day) AS retention_day,
                       @extschema@.rollup(c.retention_week) AS retention_week, @extschema@.rollup(c.retention_month) AS retention_month,
                       @extschema@.rollup(c.retention_quarter) AS retention_quarter, @extschema@.rollup(c.retention_year) AS retention_year,
                       max(c.latest) AS latest
                  FROM clean c GROUP BY c.day, c.segment) f
          LEFT JOIN opens o ON o.day = f.day AND o.sk = f.sk
        UNION ALL
        SELECT x.* FROM fresh x
          JOIN keys k ON k.dirty AND k.day = x.day AND k.sk = coalesce('v' || x.segment, 'n')),
             -- The rows per week, month, quarter and year (day: the period's
             -- first day): each a rollup of its days, with the retention of
             -- its own granularity only.
             per AS (SELECT g.k, pg_catalog.date_trunc(g.k, d.day::timestamp)::date AS day, d.segment,
                            coalesce('v' || d.segment, 'n') AS sk, d.opened, d.open_at, d.open_cycle, d.closed, d.won,
                            d.conversion, d.ticket, d.cycle,
                            CASE g.k WHEN 'week' THEN d.retention_week WHEN 'month' THEN d.retention_month
                                     WHEN 'quarter' THEN d.retention_quarter ELSE d.retention_year END AS retention, d.latest
                       FROM days d, (VALUES ('week'), ('month'), ('quarter'), ('year')) g(k)),
             popens AS (SELECT p.k, p.day, p.sk, array_agg(u.o) AS open_at FROM per p, unnest(p.open_at) u(o) GROUP BY 1, 2, 3)
        INSERT INTO %1$s (kind, %3$s)
        SELECT 'summary', d.* FROM days d
        UNION ALL
        SELECT y.k, y.day, y.segment, y.opened, o.open_at, y.open_cycle, y.closed, y.won, y.conversion, y.ticket, y.cycle, NULL,
               CASE y.k WHEN 'week' THEN y.retention END, CASE y.k WHEN 'month' THEN y.retention END,
               CASE y.k WHEN 'quarter' THEN y.retention END, CASE y.k WHEN 'year' THEN y.retention END, y.latest
          FROM (SELECT p.k, p.day, p.segment, p.sk, sum(p.opened)::int8 AS opened, @extschema@.rollup(p.open_cycle) AS open_cycle,
                       sum(p.closed)::int8 AS closed, sum(p.won)::int8 AS won, @extschema@.rollup(p.conversion) AS conversion,
                       @extschema@.rollup(p.ticket) AS ticket, @extschema@.rollup(p.cycle) AS cycle,
                       @extschema@.rollup(p.retention) AS retention, max(p.latest) AS latest
                  FROM per p GROUP BY p.k, p.day, p.segment, p.sk) y
          LEFT JOIN popens o ON o.k = y.k AND o.day = y.day AND o.sk = y.sk$q$,
        tracked, @extschema@.track_keys('gone', args[9]), cols,
        @extschema@.track_stored('SELECT d.* FROM dp d JOIN keys k ON k.day = d.day AND k.sk = coalesce(''v'' || d.segment, ''n'')
                                    WHERE NOT k.dirty'),
        @extschema@.track_stored(@extschema@.track_parts(deals, args, deals::text,
                                                         '(SELECT b.lo FROM bounds b)', '(SELECT b.hi FROM bounds b)')))
        USING args[9];
    EXECUTE format('SELECT count(*) FROM %s WHERE kind = ''summary''', tracked) INTO n;
    RETURN n;
END $$;

COMMENT ON FUNCTION track_args(bytea) IS
    'Helper of heartbeat.tracked: a trigger''s arguments (pg_trigger.tgargs) as an array';
COMMENT ON FUNCTION track_columns(regclass, text[]) IS
    'Helper of track(): the columns of a deals table as the tracked table keeps them, times in the tracked zone';
COMMENT ON FUNCTION track_customer_type(regclass, text[]) IS
    'Helper of track(): the type the tracked table keeps customers as (bigint, text or uuid)';
COMMENT ON FUNCTION track_split(text, text, text, text) IS
    'Helper of track(): the SELECT that splits deals into their opening-day and closing-day parts';
COMMENT ON FUNCTION track_parts(regclass, text[], text, text, text) IS
    'Helper of track(): the parts of a deals table or of a transition table of it';
COMMENT ON FUNCTION track_stored(text) IS
    'Helper of track(): the SELECT that summarises parts per day and segment, as the tracked table stores them';
COMMENT ON FUNCTION track_read(text) IS
    'Helper of tracked_days(): the SELECT that gives its figures per day and segment from parts, as of a time';
COMMENT ON FUNCTION track_trigger() IS
    'Trigger of a tracked table: UPDATE and DELETE mark their days dirty, TRUNCATE voids the rows before it (INSERT has a function of its own)';
COMMENT ON VIEW tracked IS
    'The tracked tables: each with its tracked table, its columns, its segment and the zone that cuts its days (read from its triggers)';
COMMENT ON FUNCTION track_mapping(regclass) IS
    'Helper of tracked_days(), compact() and untrack(): a tracked table''s trigger arguments, or an ERROR';
COMMENT ON FUNCTION track(regclass, name, name, name, name, name, name, text) IS
    'Starts keeping per-day (and per-segment) summaries of a deals table current, in the table <name>_heartbeat beside it; zone cuts the days (UTC); returns the tracked table';
COMMENT ON FUNCTION untrack(regclass) IS
    'Stops tracking a deals table: drops its triggers, its insert function and its tracked table';
COMMENT ON FUNCTION track_keys(text, text, text) IS
    'Helper of tracked_days() and compact(): the live rows of a tracked table, the parts of its deal rows, and its keys, each dirty or not';
COMMENT ON FUNCTION tracked_days(regclass, timestamptz, text) IS
    'The tracked summaries of a deals table per day and segment as of as_of, equal to a fresh aggregation: opened deals and their cycle (open ones censored at as_of) by opening day; closed and won deals, conversion, ticket of won deals, cycle and retention (at granularity) by closing day';
COMMENT ON FUNCTION compact(regclass) IS
    'Folds the changes of a tracked table into one stored row per day and segment and one per week, month, quarter and year and segment, recomputing dirty days from the deals table; returns the number of (day, segment) rows';
COMMENT ON FUNCTION track_rows(regclass, timestamptz, text, text) IS
    'Helper of tracked_days(), tracked_periods() and pulse(): the tracked figures per day or per period, from the stored rows of the periods no change touched and the days of the others';
COMMENT ON FUNCTION tracked_periods(regclass, text, timestamptz) IS
    'The tracked summaries of a deals table per period of granularity (its first day) and segment as of as_of, rolled up straight from the tracked rows, equal to a fresh aggregation: as tracked_days(), with retention at granularity';
