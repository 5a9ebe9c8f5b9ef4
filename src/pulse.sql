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
             z AS (SELECT r.*, @extschema@.conversion_zscore(coalesce(cs, @CONVERSION_EMPTY@), %2$s) OVER w AS cz,
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

COMMENT ON FUNCTION pulse_column(regclass, name, text, regtype[]) IS
    'Helper of pulse(): the type of a column, or an ERROR naming the column and the parameter to set';
COMMENT ON FUNCTION pulse(regclass, text, name, name, name, name, name, timestamptz, name, timestamptz, timestamptz, double precision, integer) IS
    'The sales heartbeat of a deals table, one row per period (and segment): volumes, win rate with its interval, ticket, cycle (interval and days), retention and a conversion alert. deals: the table; granularity: day, week, month, quarter or year; opened_at, closed_at, won, amount, customer_id: its columns; as_of: deals seen by then, open ones censored there; segment: a column, one series per value (NULL its own), returned as text in segment_value; since, until: only the periods starting between them, figures as the whole run''s; alert_z: |conversion_z| that raises an alert (3); min_history: earlier periods a series needs before an alert (12), which also needs at least as many trials in the 12-period look-back as in the period and 5 expected wins and 5 expected losses in the period';
