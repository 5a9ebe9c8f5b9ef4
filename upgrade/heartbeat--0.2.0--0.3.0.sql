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
-- its ticket column named mean_ticket, as mean_cycle (a new row type: the
-- function is dropped and created again, with its comment).
DROP FUNCTION pulse(regclass, text, name, name, name, name, name, timestamptz);
CREATE FUNCTION pulse(deals regclass, granularity text DEFAULT 'month',
                      opened_at name DEFAULT 'opened_at', closed_at name DEFAULT 'closed_at',
                      won name DEFAULT 'won', amount name DEFAULT 'amount',
                      customer_id name DEFAULT 'customer_id', as_of timestamptz DEFAULT pg_catalog.now())
    RETURNS TABLE (period date, deals_opened bigint, deals_closed bigint, deals_won bigint,
                   conversion_rate double precision, conversion_lower double precision,
                   conversion_upper double precision, mean_ticket numeric, median_ticket numeric,
                   mean_cycle interval, survival_median_cycle interval, retention_rate double precision,
                   conversion_z double precision, alert text)
    LANGUAGE plpgsql STABLE SECURITY INVOKER PARALLEL SAFE AS $$
DECLARE
    times pg_catalog.regtype[] := '{pg_catalog.date, pg_catalog.timestamp, pg_catalog.timestamptz}';
    step pg_catalog.interval;
BEGIN
    IF granularity IS NULL OR NOT pg_catalog.lower(granularity) OPERATOR(pg_catalog.=)
                                  ANY ('{day, week, month, quarter, year}'::pg_catalog.text[]) THEN
        RAISE EXCEPTION 'unknown pulse granularity "%"', granularity
            USING ERRCODE = 'invalid_parameter_value', HINT = 'Use one of day, week, month, quarter, year.';
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
    -- Every function, operator and type below is schema-qualified and joins
    -- are written with ON, not USING (which looks "=" up on the search_path):
    -- the query runs with the caller's search_path, so that the table is the
    -- one the caller named, and nothing on that path may stand in for ours.
    RETURN QUERY EXECUTE pg_catalog.format($q$
        WITH d AS (SELECT %1$I::pg_catalog.timestamptz AS o, %2$I::pg_catalog.timestamptz AS c, %3$I AS w,
                          %4$I::pg_catalog.numeric AS a, %5$I AS cu
                     FROM %6$s),
             opened AS (SELECT pg_catalog.date_trunc($1, o)::pg_catalog.date AS p, pg_catalog.count(*) AS n,
                               @extschema@.cycle_agg(o, c, $2) AS sc
                          FROM d WHERE o OPERATOR(pg_catalog.<=) $2 GROUP BY 1),
             closed AS (SELECT pg_catalog.date_trunc($1, c)::pg_catalog.date AS p, pg_catalog.count(*) AS n,
                               pg_catalog.count(*) FILTER (WHERE w) AS nw, @extschema@.conversion_agg(w) AS cs,
                               @extschema@.ticket_agg(a) FILTER (WHERE w) AS t, @extschema@.cycle_agg(o, c) AS cy
                          FROM d WHERE c OPERATOR(pg_catalog.<=) $2 GROUP BY 1),
             ret AS (SELECT r.period AS p, r.retention_rate
                       FROM @extschema@.retention((SELECT @extschema@.retention_agg($1, cu, c, pg_catalog.current_setting('TimeZone')) FROM d
                                                   WHERE w AND c OPERATOR(pg_catalog.<=) $2)) r),
             bounds AS (SELECT least((SELECT pg_catalog.min(p) FROM opened), (SELECT pg_catalog.min(p) FROM closed)) AS lo,
                               greatest((SELECT pg_catalog.max(p) FROM opened), (SELECT pg_catalog.max(p) FROM closed)) AS hi),
             periods AS (SELECT gs::pg_catalog.date AS p FROM bounds, pg_catalog.generate_series(lo, hi, $3) gs),
             rows AS (SELECT ps.p, coalesce(op.n, 0) AS opened, coalesce(cl.n, 0) AS closed,
                             coalesce(cl.nw, 0) AS won, cl.cs, cl.t, cl.cy, op.sc, ret.retention_rate
                        FROM periods ps
                             LEFT JOIN opened op ON op.p OPERATOR(pg_catalog.=) ps.p
                             LEFT JOIN closed cl ON cl.p OPERATOR(pg_catalog.=) ps.p
                             LEFT JOIN ret ON ret.p OPERATOR(pg_catalog.=) ps.p),
             z AS (SELECT r.*, @extschema@.conversion_zscore(coalesce(cs, '{"version":1,"conversions":0,"trials":0}')) OVER (ORDER BY p) AS cz
                     FROM rows r)
        SELECT p, opened, closed, won, @extschema@.rate(cs), @extschema@.wilson_lower(cs), @extschema@.wilson_upper(cs),
               pg_catalog.round(@extschema@.mean(t), 2), @extschema@.median(t), @extschema@.mean(cy),
               @extschema@.survival_median(sc), retention_rate, cz,
               CASE WHEN cz OPERATOR(pg_catalog.<=) -3
                    THEN pg_catalog.format('conversion drop (z = %%s)', pg_catalog.round(cz::pg_catalog.numeric, 1))
                    WHEN cz OPERATOR(pg_catalog.>=) 3
                    THEN pg_catalog.format('conversion rise (z = %%s)', pg_catalog.round(cz::pg_catalog.numeric, 1)) END
          FROM z ORDER BY p $q$,
        opened_at, closed_at, won, amount, customer_id, deals)
    USING granularity, as_of, step;
END $$;
COMMENT ON FUNCTION pulse(regclass, text, name, name, name, name, name, timestamptz) IS
    'The sales heartbeat of a deals table, one row per period: volumes, win rate with its interval, ticket, cycle, retention and a conversion alert';

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
