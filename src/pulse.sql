-- ---------------------------------------------------------------------------
-- pulse(): the whole heartbeat of a deals table, one row per period.
-- Identifiers go through format('%I'); the function runs with the caller's
-- rights (SECURITY INVOKER).
-- ---------------------------------------------------------------------------

CREATE FUNCTION pulse_column(deals regclass, col name, param text, allowed regtype[])
    RETURNS regtype LANGUAGE plpgsql STABLE PARALLEL SAFE AS $$
DECLARE
    t regtype;
BEGIN
    SELECT a.atttypid::regtype INTO t
      FROM pg_attribute a
     WHERE a.attrelid = deals AND a.attname = col AND a.attnum > 0 AND NOT a.attisdropped;
    IF t IS NULL THEN
        RAISE EXCEPTION 'column % does not exist in %', quote_ident(col), deals
            USING ERRCODE = 'undefined_column',
                  HINT = format('Name the column with pulse(..., %s => ''your_column'').', param);
    END IF;
    IF NOT t = ANY (allowed) THEN
        RAISE EXCEPTION 'column % of % has type %, which pulse() cannot use as %', quote_ident(col), deals, t, param
            USING ERRCODE = 'datatype_mismatch',
                  HINT = format('%s must be one of: %s.', param, array_to_string(allowed::text[], ', '));
    END IF;
    RETURN t;
END $$;
COMMENT ON FUNCTION pulse_column(regclass, name, text, regtype[]) IS
    'Helper of pulse(): the type of a column, or an ERROR naming the column and the parameter to set';

CREATE FUNCTION pulse(deals regclass, granularity text DEFAULT 'month',
                      opened_at name DEFAULT 'opened_at', closed_at name DEFAULT 'closed_at',
                      won name DEFAULT 'won', amount name DEFAULT 'amount',
                      customer_id name DEFAULT 'customer_id', as_of timestamptz DEFAULT now())
    RETURNS TABLE (period date, deals_opened bigint, deals_closed bigint, deals_won bigint,
                   conversion_rate double precision, conversion_lower double precision,
                   conversion_upper double precision, avg_ticket numeric, median_ticket numeric,
                   mean_cycle interval, survival_median_cycle interval, retention_rate double precision,
                   conversion_z double precision, alert text)
    LANGUAGE plpgsql STABLE SECURITY INVOKER PARALLEL SAFE AS $$
DECLARE
    times regtype[] := '{date, timestamp, timestamptz}';
    step interval;
BEGIN
    IF granularity IS NULL OR lower(granularity) NOT IN ('day', 'week', 'month', 'quarter', 'year') THEN
        RAISE EXCEPTION 'unknown pulse granularity "%"', granularity
            USING ERRCODE = 'invalid_parameter_value', HINT = 'Use one of day, week, month, quarter, year.';
    END IF;
    granularity := lower(granularity);
    step := CASE granularity WHEN 'quarter' THEN interval '3 months' ELSE ('1 ' || granularity)::interval END;
    PERFORM pulse_column(deals, opened_at, 'opened_at', times);
    PERFORM pulse_column(deals, closed_at, 'closed_at', times);
    PERFORM pulse_column(deals, won, 'won', '{boolean}');
    PERFORM pulse_column(deals, amount, 'amount', '{numeric, integer, bigint, smallint}');
    PERFORM pulse_column(deals, customer_id, 'customer_id', '{integer, bigint, text, uuid, character varying}');
    RETURN QUERY EXECUTE format($q$
        WITH d AS (SELECT %1$I::timestamptz AS o, %2$I::timestamptz AS c, %3$I AS w,
                          %4$I::numeric AS a, %5$I AS cu
                     FROM %6$s),
             opened AS (SELECT date_trunc($1, o)::date AS p, count(*) AS n, cycle_agg(o, c, $2) AS sc
                          FROM d WHERE o <= $2 GROUP BY 1),
             closed AS (SELECT date_trunc($1, c)::date AS p, count(*) AS n,
                               count(*) FILTER (WHERE w) AS nw, conversion_agg(w) AS cs,
                               ticket_agg(a) FILTER (WHERE w) AS t, cycle_agg(o, c) AS cy
                          FROM d WHERE c <= $2 GROUP BY 1),
             ret AS (SELECT r.period AS p, r.retention_rate
                       FROM retention((SELECT retention_agg($1, cu, c) FROM d WHERE w AND c <= $2)) r),
             bounds AS (SELECT least((SELECT min(p) FROM opened), (SELECT min(p) FROM closed)) AS lo,
                               greatest((SELECT max(p) FROM opened), (SELECT max(p) FROM closed)) AS hi),
             periods AS (SELECT gs::date AS p FROM bounds, generate_series(lo, hi, $3) gs),
             rows AS (SELECT ps.p, coalesce(op.n, 0) AS opened, coalesce(cl.n, 0) AS closed,
                             coalesce(cl.nw, 0) AS won, cl.cs, cl.t, cl.cy, op.sc, ret.retention_rate
                        FROM periods ps LEFT JOIN opened op USING (p) LEFT JOIN closed cl USING (p)
                             LEFT JOIN ret USING (p)),
             z AS (SELECT r.*, conversion_zscore(coalesce(cs, '{"version":1,"conversions":0,"trials":0}')) OVER (ORDER BY p) AS cz
                     FROM rows r)
        SELECT p, opened, closed, won, rate(cs), wilson_lower(cs), wilson_upper(cs),
               round(mean(t), 2), median(t), mean(cy), survival_median(sc), retention_rate, cz,
               CASE WHEN cz <= -3 THEN format('conversion drop (z = %%s)', round(cz::numeric, 1))
                    WHEN cz >= 3 THEN format('conversion rise (z = %%s)', round(cz::numeric, 1)) END
          FROM z ORDER BY p $q$,
        opened_at, closed_at, won, amount, customer_id, deals)
    USING granularity, as_of, step;
END $$;
COMMENT ON FUNCTION pulse(regclass, text, name, name, name, name, name, timestamptz) IS
    'The sales heartbeat of a deals table, one row per period: volumes, win rate with its interval, ticket, cycle, retention and a conversion alert';
