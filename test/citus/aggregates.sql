-- make citus (scripts/citus.sh): every aggregate of the extension, read from
-- the catalogue (so a new overload is tested without editing this), with a
-- call built from the columns of test/citus/setup.sql by argument type (and
-- name where one type plays several parts).  Rows:
--   aggregate  <signature>  <source>  <function>  <arguments>  <problem>
--     source: deals, or summaries when it takes a summary type of the
--     extension (a stored summary, column named after its type); problem:
--     why no call could be built (empty when one was), so that nothing is
--     skipped silently
--   summary    <type>  <producer call over deals>  <rollup call over summaries>
--     for each summary type an aggregate takes: how to store it (the
--     aggregate returning it with the most arguments) and how to merge it.
WITH ext AS (
    SELECT oid FROM pg_catalog.pg_extension WHERE extname = 'heartbeat'
), members AS (
    SELECT d.classid, d.objid FROM pg_catalog.pg_depend d, ext
     WHERE d.refclassid = 'pg_catalog.pg_extension'::pg_catalog.regclass
       AND d.refobjid = ext.oid AND d.deptype = 'e'
), summary_types AS (
    SELECT t.oid, t.typname::text AS typname FROM pg_catalog.pg_type t
      JOIN members m ON m.classid = 'pg_catalog.pg_type'::pg_catalog.regclass AND m.objid = t.oid
     WHERE t.typtype = 'b'
), aggs AS (
    SELECT p.oid, p.oid::pg_catalog.regprocedure::text AS signature,
           pg_catalog.quote_ident(n.nspname) || '.' || pg_catalog.quote_ident(p.proname) AS fn,
           a.aggkind, p.provariadic, p.prorettype, p.proargtypes::oid[] AS argtypes, p.proargnames
      FROM pg_catalog.pg_aggregate a
      JOIN pg_catalog.pg_proc p ON p.oid = a.aggfnoid
      JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
      JOIN members m ON m.classid = 'pg_catalog.pg_proc'::pg_catalog.regclass AND m.objid = p.oid
), args AS (
    SELECT g.oid, k.i, k.t, pg_catalog.format_type(k.t, NULL) AS tname,
           coalesce(g.proargnames[k.i], '') AS aname, s.typname AS summary,
           CASE k.t WHEN 'date'::regtype THEN 'on' WHEN 'timestamp'::regtype THEN 'ts'
                    WHEN 'timestamptz'::regtype THEN 'at' END AS time_suffix
      FROM aggs g, unnest(g.argtypes) WITH ORDINALITY k(t, i)
      LEFT JOIN summary_types s ON s.oid = k.t
), mapped AS (
    SELECT oid, i, tname, aname, summary,
           CASE
             WHEN summary IS NOT NULL THEN pg_catalog.quote_ident(summary)
             WHEN t = 'boolean'::regtype THEN 'won'
             WHEN t = 'integer'::regtype THEN 'stage'
             WHEN t = 'numeric'::regtype THEN 'amount'
             WHEN t = 'double precision'::regtype THEN 'win_probability'
             WHEN t = 'bigint'::regtype THEN 'customer_id'
             WHEN t = 'uuid'::regtype THEN 'customer_uuid'
             WHEN t = 'text'::regtype AND aname = 'granularity' THEN '''month'''
             WHEN t = 'text'::regtype AND aname ~ '(zone|^tz)' THEN '''Europe/Lisbon'''
             WHEN t = 'text'::regtype AND aname ~ 'customer' THEN 'customer_text'
             WHEN time_suffix IS NOT NULL AND aname ~ '^(open|active)' THEN 'opened_' || time_suffix
             WHEN time_suffix IS NOT NULL AND aname ~ '^clos' THEN 'closed_' || time_suffix
             WHEN time_suffix IS NOT NULL AND aname = 'as_of' THEN pg_catalog.format('%L::%s', '2026-07-01 12:00', tname)
           END AS expr
      FROM args
), calls AS (
    SELECT g.oid, g.signature, g.fn, g.prorettype, pg_catalog.cardinality(g.argtypes) AS nargs,
           CASE WHEN bool_or(m.summary IS NOT NULL) THEN 'summaries' ELSE 'deals' END AS source,
           string_agg(m.expr, ', ' ORDER BY m.i) AS arglist,
           concat_ws('; ',
               CASE WHEN g.aggkind <> 'n' THEN 'an ordered-set or hypothetical-set aggregate (WITHIN GROUP)' END,
               CASE WHEN g.provariadic <> 0 THEN 'a VARIADIC aggregate' END,
               CASE WHEN count(m.i) = 0 THEN 'no arguments' END,
               CASE WHEN bool_or(m.summary IS NOT NULL) AND bool_or(m.summary IS NULL)
                    THEN 'summary and row arguments mixed' END,
               string_agg(pg_catalog.format('argument %s (%s) has no column or constant', m.i, pg_catalog.ltrim(m.aname || ' ' || m.tname)), '; '
                          ORDER BY m.i) FILTER (WHERE m.expr IS NULL)) AS problem
      FROM aggs g LEFT JOIN mapped m ON m.oid = g.oid
     GROUP BY g.oid, g.signature, g.fn, g.prorettype, g.argtypes, g.aggkind, g.provariadic
), ready AS (
    SELECT * FROM calls WHERE problem = ''
), stored AS (
    -- each summary type an aggregate takes, with the aggregates making and merging it
    SELECT s.typname,
           (SELECT r.fn || '(' || r.arglist || ')' FROM ready r
             WHERE r.source = 'deals' AND r.prorettype = s.oid
             ORDER BY r.nargs DESC, r.signature
             LIMIT 1) AS producer,
           (SELECT r.fn || '(' || r.arglist || ')' FROM ready r
             WHERE r.source = 'summaries' AND r.prorettype = s.oid AND r.arglist = pg_catalog.quote_ident(s.typname)
             ORDER BY r.signature LIMIT 1) AS merger
      FROM summary_types s
     WHERE s.oid IN (SELECT t FROM args)
)
SELECT kind, a, b, c, d, e FROM (
    SELECT 1 AS o, 'aggregate' AS kind, signature AS a, source AS b, fn AS c, coalesce(arglist, '') AS d,
           CASE WHEN problem = '' AND source = 'summaries'
                 AND EXISTS (SELECT FROM mapped m JOIN stored s ON s.typname = m.summary
                              WHERE m.oid = calls.oid AND s.producer IS NULL)
                THEN 'no aggregate of the extension makes its summary type from deals'
                ELSE problem END AS e
      FROM calls
    UNION ALL
    SELECT 2, 'summary', typname, coalesce(producer, ''), coalesce(merger, ''), '', '' FROM stored
) q
ORDER BY o, a;
