-- ---------------------------------------------------------------------------
-- The conversion family: win rate = conversions / trials.
-- A NULL outcome is an open deal and counts in neither.
-- ---------------------------------------------------------------------------

CREATE TYPE conversion_summary;

CREATE FUNCTION conversion_summary_in(cstring) RETURNS conversion_summary
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION conversion_summary_out(conversion_summary) RETURNS cstring
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION conversion_summary_recv(internal) RETURNS conversion_summary
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION conversion_summary_send(conversion_summary) RETURNS bytea
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE TYPE conversion_summary (
    INPUT = conversion_summary_in,
    OUTPUT = conversion_summary_out,
    RECEIVE = conversion_summary_recv,
    SEND = conversion_summary_send,
    INTERNALLENGTH = VARIABLE,
    ALIGNMENT = double,
    STORAGE = plain
);

COMMENT ON TYPE conversion_summary IS
    'Conversions and trials of a set of deals: mergeable with rollup(), read with rate(), wilson_lower(), compare()';
COMMENT ON FUNCTION conversion_summary_in(cstring) IS
    'Reads a conversion_summary from text such as {"version":1,"conversions":8,"trials":10}';
COMMENT ON FUNCTION conversion_summary_out(conversion_summary) IS
    'Writes a conversion_summary as text: {"version":1,"conversions":N,"trials":M}';
COMMENT ON FUNCTION conversion_summary_recv(internal) IS
    'Reads a conversion_summary in binary form';
COMMENT ON FUNCTION conversion_summary_send(conversion_summary) IS
    'Writes a conversion_summary in binary form';

-- Aggregate support.  The state is updated in place inside aggregates.
CREATE FUNCTION conversion_trans(conversion_summary, boolean) RETURNS conversion_summary
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION conversion_inv(conversion_summary, boolean) RETURNS conversion_summary
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION conversion_combine(conversion_summary, conversion_summary)
    RETURNS conversion_summary
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION conversion_trans(conversion_summary, boolean) IS
    'Transition function of conversion_agg and conversion_rate: adds one closed deal';
COMMENT ON FUNCTION conversion_inv(conversion_summary, boolean) IS
    'Inverse transition of conversion_rate in moving windows: removes one closed deal';
COMMENT ON FUNCTION conversion_combine(conversion_summary, conversion_summary) IS
    'Merges two conversion summaries: combine function of the conversion aggregates and step of rollup';

-- Accessors.
CREATE FUNCTION rate(conversion_summary) RETURNS double precision
    AS 'MODULE_PATHNAME', 'conversion_rate' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION conversions(conversion_summary) RETURNS bigint
    AS 'MODULE_PATHNAME', 'conversion_conversions' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION trials(conversion_summary) RETURNS bigint
    AS 'MODULE_PATHNAME', 'conversion_trials' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION wilson_lower(conversion_summary, confidence double precision DEFAULT 0.95)
    RETURNS double precision
    AS 'MODULE_PATHNAME', 'conversion_wilson_lower' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION wilson_upper(conversion_summary, confidence double precision DEFAULT 0.95)
    RETURNS double precision
    AS 'MODULE_PATHNAME', 'conversion_wilson_upper' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION compare(before conversion_summary, after conversion_summary,
        OUT rate_before double precision, OUT rate_after double precision,
        OUT delta double precision, OUT z double precision, OUT p_value double precision)
    AS 'MODULE_PATHNAME', 'conversion_compare' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION rate(conversion_summary) IS
    'Conversion rate: conversions / trials; NULL when there are no trials';
COMMENT ON FUNCTION conversions(conversion_summary) IS
    'Number of converted (won) deals';
COMMENT ON FUNCTION trials(conversion_summary) IS
    'Number of closed deals, won or lost (open deals are not trials)';
COMMENT ON FUNCTION wilson_lower(conversion_summary, double precision) IS
    'Lower bound of the Wilson score interval of the conversion rate at the given confidence (default 0.95); NULL without trials';
COMMENT ON FUNCTION wilson_upper(conversion_summary, double precision) IS
    'Upper bound of the Wilson score interval of the conversion rate at the given confidence (default 0.95); NULL without trials';
COMMENT ON FUNCTION compare(conversion_summary, conversion_summary) IS
    'Two-proportion z-test of after against before: rates, delta = after - before, z and two-sided p-value';

-- Aggregates.  Each starts from the empty summary:
-- @CONVERSION_EMPTY@ = '{"version":1,"conversions":0,"trials":0}'
CREATE AGGREGATE conversion_agg(converted boolean) (
    SFUNC = conversion_trans,
    STYPE = conversion_summary,
    COMBINEFUNC = conversion_combine,
    INITCOND = @CONVERSION_EMPTY@,
    PARALLEL = SAFE
);

CREATE AGGREGATE rollup(conversion_summary) (
    SFUNC = conversion_combine,
    STYPE = conversion_summary,
    COMBINEFUNC = conversion_combine,
    INITCOND = @CONVERSION_EMPTY@,
    PARALLEL = SAFE
);

CREATE AGGREGATE conversion_rate(converted boolean) (
    SFUNC = conversion_trans,
    STYPE = conversion_summary,
    FINALFUNC = rate,
    COMBINEFUNC = conversion_combine,
    INITCOND = @CONVERSION_EMPTY@,
    MSFUNC = conversion_trans,
    MINVFUNC = conversion_inv,
    MSTYPE = conversion_summary,
    MFINALFUNC = rate,
    MINITCOND = @CONVERSION_EMPTY@,
    PARALLEL = SAFE
);

COMMENT ON AGGREGATE conversion_agg(boolean) IS
    'Summarises deal outcomes (true = won, false = lost, NULL = open, ignored) into a conversion_summary';
COMMENT ON AGGREGATE rollup(conversion_summary) IS
    'Merges conversion summaries, for example daily ones into a month';
COMMENT ON AGGREGATE conversion_rate(boolean) IS
    'Conversion (win) rate of deal outcomes: won / closed, NULL outcomes (open deals) ignored; also a moving window aggregate';
