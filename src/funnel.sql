-- ---------------------------------------------------------------------------
-- The funnel: deals counted by the furthest stage they reached (1..64).
-- ---------------------------------------------------------------------------

CREATE TYPE funnel_summary;

CREATE FUNCTION funnel_summary_in(cstring) RETURNS funnel_summary
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION funnel_summary_out(funnel_summary) RETURNS cstring
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION funnel_summary_recv(internal) RETURNS funnel_summary
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION funnel_summary_send(funnel_summary) RETURNS bytea
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE TYPE funnel_summary (
    INPUT = funnel_summary_in,
    OUTPUT = funnel_summary_out,
    RECEIVE = funnel_summary_recv,
    SEND = funnel_summary_send,
    INTERNALLENGTH = VARIABLE,
    ALIGNMENT = double,
    STORAGE = plain
);

COMMENT ON TYPE funnel_summary IS
    'Deals by the furthest funnel stage they reached: read with stages()';
COMMENT ON FUNCTION funnel_summary_in(cstring) IS
    'Reads a funnel_summary: {"version":1,"furthest":"c1 c2 ..."}';
COMMENT ON FUNCTION funnel_summary_out(funnel_summary) IS
    'Writes a funnel_summary as JSON text';
COMMENT ON FUNCTION funnel_summary_recv(internal) IS
    'Reads a funnel_summary in binary form';
COMMENT ON FUNCTION funnel_summary_send(funnel_summary) IS
    'Writes a funnel_summary in binary form';

-- Aggregate support.
CREATE FUNCTION funnel_trans(funnel_summary, integer) RETURNS funnel_summary
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION funnel_combine(funnel_summary, funnel_summary) RETURNS funnel_summary
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION funnel_trans(funnel_summary, integer) IS
    'Transition function of funnel_agg: adds one deal';
COMMENT ON FUNCTION funnel_combine(funnel_summary, funnel_summary) IS
    'Merges two funnel summaries';

-- Accessors.
CREATE FUNCTION stages(funnel_summary,
        OUT stage integer, OUT reached bigint,
        OUT conversion_from_previous double precision, OUT conversion_from_first double precision)
    RETURNS SETOF record
    AS 'MODULE_PATHNAME', 'funnel_stages' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE ROWS 8;

COMMENT ON FUNCTION stages(funnel_summary) IS
    'Per stage: deals that reached it, and the conversion from the previous and from the first stage';

-- Aggregates.  Each starts from the empty summary:
-- @FUNNEL_EMPTY@ = '{"version":1,"furthest":""}'
CREATE AGGREGATE funnel_agg(stage_reached integer) (
    SFUNC = funnel_trans,
    STYPE = funnel_summary,
    COMBINEFUNC = funnel_combine,
    INITCOND = @FUNNEL_EMPTY@,
    PARALLEL = SAFE
);

CREATE AGGREGATE rollup(funnel_summary) (
    SFUNC = funnel_combine,
    STYPE = funnel_summary,
    COMBINEFUNC = funnel_combine,
    INITCOND = @FUNNEL_EMPTY@,
    PARALLEL = SAFE
);

COMMENT ON AGGREGATE funnel_agg(integer) IS
    'Summarises deals by the furthest stage reached (1..64; NULL ignored)';
COMMENT ON AGGREGATE rollup(funnel_summary) IS
    'Merges funnel summaries';
