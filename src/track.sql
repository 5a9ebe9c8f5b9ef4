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
