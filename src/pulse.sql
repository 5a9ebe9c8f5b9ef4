-- ---------------------------------------------------------------------------
-- pulse(): the whole heartbeat of a deals table, one row per period.
-- Identifiers go through format('%I'); the function runs with the caller's
-- rights (SECURITY INVOKER) and search_path (the table is resolved as the
-- caller named it), so every name in the bodies is schema-qualified: no
-- function, operator or type on a hostile search_path can stand in for ours.
-- ---------------------------------------------------------------------------

CREATE FUNCTION pulse_column(deals regclass, col name, param text, allowed regtype[])
    RETURNS regtype
    LANGUAGE plpgsql STABLE PARALLEL SAFE AS $$
DECLARE
    t pg_catalog.regtype;
BEGIN
    SELECT a.atttypid::pg_catalog.regtype INTO t
      FROM pg_catalog.pg_attribute a
     WHERE a.attrelid OPERATOR(pg_catalog.=) deals AND a.attname OPERATOR(pg_catalog.=) col
       AND a.attnum OPERATOR(pg_catalog.>) 0 AND NOT a.attisdropped;
    IF t IS NULL THEN
        RAISE EXCEPTION 'column % does not exist in %', pg_catalog.quote_ident(col), deals
            USING ERRCODE = 'undefined_column',
                  HINT = pg_catalog.format('Name the column with pulse(..., %s => ''your_column'').', param);
    END IF;
    IF NOT t OPERATOR(pg_catalog.=) ANY (allowed) THEN
        RAISE EXCEPTION 'column % of % has type %, which pulse() cannot use as %', pg_catalog.quote_ident(col), deals, t, param
            USING ERRCODE = 'datatype_mismatch',
                  HINT = pg_catalog.format('%s must be one of: %s.', param,
                                           pg_catalog.array_to_string(allowed::pg_catalog.text[], ', '));
    END IF;
    RETURN t;
END $$;

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
             z AS (SELECT r.*, @extschema@.conversion_zscore(coalesce(cs, @CONVERSION_EMPTY@)) OVER (ORDER BY p) AS cz
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

COMMENT ON FUNCTION pulse_column(regclass, name, text, regtype[]) IS
    'Helper of pulse(): the type of a column, or an ERROR naming the column and the parameter to set';
COMMENT ON FUNCTION pulse(regclass, text, name, name, name, name, name, timestamptz) IS
    'The sales heartbeat of a deals table, one row per period: volumes, win rate with its interval, ticket, cycle, retention and a conversion alert';
