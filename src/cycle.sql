-- ---------------------------------------------------------------------------
-- The sales-cycle family: time from opening to close, with open deals
-- counted as censored (Kaplan-Meier) instead of silently left out.
-- Bad rows (closed before opened, infinite timestamps) are counted in
-- skipped() and folded into no figure.
-- ---------------------------------------------------------------------------

CREATE TYPE cycle_summary;

CREATE FUNCTION cycle_summary_in(cstring) RETURNS cycle_summary
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION cycle_summary_out(cycle_summary) RETURNS cstring
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION cycle_summary_recv(internal) RETURNS cycle_summary
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION cycle_summary_send(cycle_summary) RETURNS bytea
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE TYPE cycle_summary (
    INPUT = cycle_summary_in,
    OUTPUT = cycle_summary_out,
    RECEIVE = cycle_summary_recv,
    SEND = cycle_summary_send,
    INTERNALLENGTH = VARIABLE,
    ALIGNMENT = double,
    STORAGE = extended
);

COMMENT ON TYPE cycle_summary IS
    'Sales-cycle durations: closed, open (censored) and skipped deals, the exact sum of closed durations, and for percentiles and Kaplan-Meier survival exact day histograms (whole-day durations) or sketches';
COMMENT ON FUNCTION cycle_summary_in(cstring) IS
    'Reads a cycle_summary from its JSON text form';
COMMENT ON FUNCTION cycle_summary_out(cycle_summary) IS
    'Writes a cycle_summary as JSON text, day histograms or sketches in base64';
COMMENT ON FUNCTION cycle_summary_recv(internal) IS
    'Reads a cycle_summary in binary form';
COMMENT ON FUNCTION cycle_summary_send(cycle_summary) IS
    'Writes a cycle_summary in binary form';

-- Aggregate support.
CREATE FUNCTION cycle_trans(cycle_summary, timestamptz, timestamptz) RETURNS cycle_summary
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION cycle_trans(cycle_summary, date, date) RETURNS cycle_summary
    AS 'MODULE_PATHNAME', 'cycle_trans_date' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION cycle_trans(cycle_summary, timestamptz, timestamptz, timestamptz)
    RETURNS cycle_summary
    AS 'MODULE_PATHNAME', 'cycle_trans_asof' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION cycle_trans(cycle_summary, date, date, date) RETURNS cycle_summary
    AS 'MODULE_PATHNAME', 'cycle_trans_date_asof' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION cycle_inv(cycle_summary, timestamptz, timestamptz) RETURNS cycle_summary
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION cycle_inv(cycle_summary, date, date) RETURNS cycle_summary
    AS 'MODULE_PATHNAME', 'cycle_inv_date' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION cycle_combine(cycle_summary, cycle_summary) RETURNS cycle_summary
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION cycle_trans(cycle_summary, timestamptz, timestamptz) IS
    'Transition function of cycle_agg(opened, closed): adds one closed deal';
COMMENT ON FUNCTION cycle_trans(cycle_summary, date, date) IS
    'Transition function of cycle_agg(opened date, closed date): adds one closed deal, in whole days';
COMMENT ON FUNCTION cycle_trans(cycle_summary, timestamptz, timestamptz, timestamptz) IS
    'Transition function of cycle_agg(opened, closed, as_of): adds a closed or open (censored) deal';
COMMENT ON FUNCTION cycle_trans(cycle_summary, date, date, date) IS
    'Transition function of cycle_agg(opened, closed, as_of) on dates';
COMMENT ON FUNCTION cycle_inv(cycle_summary, timestamptz, timestamptz) IS
    'Inverse transition of avg_cycle in moving windows';
COMMENT ON FUNCTION cycle_inv(cycle_summary, date, date) IS
    'Inverse transition of avg_cycle on dates in moving windows';
COMMENT ON FUNCTION cycle_combine(cycle_summary, cycle_summary) IS
    'Merges two cycle summaries: combine function of the cycle aggregates and step of rollup';

-- Accessors.
CREATE FUNCTION mean(cycle_summary) RETURNS interval
    AS 'MODULE_PATHNAME', 'cycle_mean' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION median(cycle_summary) RETURNS interval
    AS 'MODULE_PATHNAME', 'cycle_median' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION percentile(cycle_summary, p double precision) RETURNS interval
    AS 'MODULE_PATHNAME', 'cycle_percentile' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION closed_deals(cycle_summary) RETURNS bigint
    AS 'MODULE_PATHNAME', 'cycle_closed_deals' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION open_deals(cycle_summary) RETURNS bigint
    AS 'MODULE_PATHNAME', 'cycle_open_deals' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION skipped(cycle_summary) RETURNS bigint
    AS 'MODULE_PATHNAME', 'cycle_skipped' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION survival_median(cycle_summary) RETURNS interval
    AS 'MODULE_PATHNAME', 'cycle_survival_median' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION survival_percentile(cycle_summary, p double precision) RETURNS interval
    AS 'MODULE_PATHNAME', 'cycle_survival_percentile' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION close_probability(cycle_summary, within interval) RETURNS double precision
    AS 'MODULE_PATHNAME', 'cycle_close_probability' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION mean(cycle_summary) IS
    'Mean cycle of closed deals, as avg(closed - opened) (open deals are not in it: see survival_median)';
COMMENT ON FUNCTION median(cycle_summary) IS
    'Median cycle of closed deals, as percentile_disc(0.5): exact in whole days when every duration is whole days, else within 0.4% or a second';
COMMENT ON FUNCTION percentile(cycle_summary, double precision) IS
    'Cycle of closed deals at percentile p, as percentile_disc: exact in whole days when every duration is whole days, else within 0.4% or a second';
COMMENT ON FUNCTION closed_deals(cycle_summary) IS
    'Deals closed (won or lost) in the summary';
COMMENT ON FUNCTION open_deals(cycle_summary) IS
    'Deals still open at as_of (censored)';
COMMENT ON FUNCTION skipped(cycle_summary) IS
    'Rows left out of every figure: closed before opened, or with an infinite timestamp';
COMMENT ON FUNCTION survival_median(cycle_summary) IS
    'Kaplan-Meier median: the time by which half of all deals, open ones included, have closed (exact whole days on whole-day durations); NULL if never';
COMMENT ON FUNCTION survival_percentile(cycle_summary, double precision) IS
    'Kaplan-Meier: the first time at which a share p of all deals has closed (exact whole days on whole-day durations); NULL when the curve never gets there';
COMMENT ON FUNCTION close_probability(cycle_summary, interval) IS
    'Kaplan-Meier probability that a deal closes within the given time, a deal closed at exactly that time included: 1 - S(within); a year is 365.25 days and a month 30, as extract(epoch) counts them';

-- Aggregates.  A full summary keeps two day histograms (every duration whole
-- days) or two sketches; avg_cycle keeps counts and a sum only (mean-only:
-- cheaper, and exactly invertible).  Their empty summaries:
-- @CYCLE_EMPTY@ = '{"version":1,"closed":0,"open":0,"skipped":0,"sum_us":0,"sum_days":0,"sketches":"AAAAAAAA"}'
-- @CYCLE_MEAN_ONLY_EMPTY@ = '{"version":1,"closed":0,"open":0,"skipped":0,"sum_us":0,"sum_days":0,"sketches":null}'
-- SSPACE: what a grown state with sketches or day histograms takes (about 16 kB):
-- @CYCLE_STATE_SIZE@ = 16384
CREATE AGGREGATE cycle_agg(opened timestamptz, closed timestamptz) (
    SFUNC = cycle_trans,
    STYPE = cycle_summary,
    COMBINEFUNC = cycle_combine,
    INITCOND = @CYCLE_EMPTY@,
    SSPACE = @CYCLE_STATE_SIZE@,
    PARALLEL = SAFE
);

CREATE AGGREGATE cycle_agg(opened date, closed date) (
    SFUNC = cycle_trans,
    STYPE = cycle_summary,
    COMBINEFUNC = cycle_combine,
    INITCOND = @CYCLE_EMPTY@,
    SSPACE = @CYCLE_STATE_SIZE@,
    PARALLEL = SAFE
);

CREATE AGGREGATE cycle_agg(opened timestamptz, closed timestamptz, as_of timestamptz) (
    SFUNC = cycle_trans,
    STYPE = cycle_summary,
    COMBINEFUNC = cycle_combine,
    INITCOND = @CYCLE_EMPTY@,
    SSPACE = @CYCLE_STATE_SIZE@,
    PARALLEL = SAFE
);

CREATE AGGREGATE cycle_agg(opened date, closed date, as_of date) (
    SFUNC = cycle_trans,
    STYPE = cycle_summary,
    COMBINEFUNC = cycle_combine,
    INITCOND = @CYCLE_EMPTY@,
    SSPACE = @CYCLE_STATE_SIZE@,
    PARALLEL = SAFE
);

CREATE AGGREGATE rollup(cycle_summary) (
    SFUNC = cycle_combine,
    STYPE = cycle_summary,
    COMBINEFUNC = cycle_combine,
    INITCOND = @CYCLE_EMPTY@,
    SSPACE = @CYCLE_STATE_SIZE@,
    PARALLEL = SAFE
);

CREATE AGGREGATE avg_cycle(opened timestamptz, closed timestamptz) (
    SFUNC = cycle_trans,
    STYPE = cycle_summary,
    FINALFUNC = mean,
    COMBINEFUNC = cycle_combine,
    INITCOND = @CYCLE_MEAN_ONLY_EMPTY@,
    MSFUNC = cycle_trans,
    MINVFUNC = cycle_inv,
    MSTYPE = cycle_summary,
    MFINALFUNC = mean,
    MINITCOND = @CYCLE_MEAN_ONLY_EMPTY@,
    PARALLEL = SAFE
);

CREATE AGGREGATE avg_cycle(opened date, closed date) (
    SFUNC = cycle_trans,
    STYPE = cycle_summary,
    FINALFUNC = mean,
    COMBINEFUNC = cycle_combine,
    INITCOND = @CYCLE_MEAN_ONLY_EMPTY@,
    MSFUNC = cycle_trans,
    MINVFUNC = cycle_inv,
    MSTYPE = cycle_summary,
    MFINALFUNC = mean,
    MINITCOND = @CYCLE_MEAN_ONLY_EMPTY@,
    PARALLEL = SAFE
);

CREATE AGGREGATE median_cycle(opened timestamptz, closed timestamptz) (
    SFUNC = cycle_trans,
    STYPE = cycle_summary,
    FINALFUNC = median,
    COMBINEFUNC = cycle_combine,
    INITCOND = @CYCLE_EMPTY@,
    SSPACE = @CYCLE_STATE_SIZE@,
    PARALLEL = SAFE
);

CREATE AGGREGATE median_cycle(opened date, closed date) (
    SFUNC = cycle_trans,
    STYPE = cycle_summary,
    FINALFUNC = median,
    COMBINEFUNC = cycle_combine,
    INITCOND = @CYCLE_EMPTY@,
    SSPACE = @CYCLE_STATE_SIZE@,
    PARALLEL = SAFE
);

COMMENT ON AGGREGATE cycle_agg(timestamptz, timestamptz) IS
    'Summarises closed deals'' cycles (rows with closed NULL are ignored)';
COMMENT ON AGGREGATE cycle_agg(date, date) IS
    'Summarises closed deals'' cycles in whole days (rows with closed NULL are ignored)';
COMMENT ON AGGREGATE cycle_agg(timestamptz, timestamptz, timestamptz) IS
    'Summarises cycles as they stood at as_of: deals open then (closed NULL or later) are censored at their age; deals opened later are ignored';
COMMENT ON AGGREGATE cycle_agg(date, date, date) IS
    'Summarises cycles in whole days as they stood at as_of, open deals censored';
COMMENT ON AGGREGATE rollup(cycle_summary) IS
    'Merges cycle summaries';
COMMENT ON AGGREGATE avg_cycle(timestamptz, timestamptz) IS
    'Mean cycle of closed deals, as avg(closed - opened); also a moving window aggregate';
COMMENT ON AGGREGATE avg_cycle(date, date) IS
    'Mean cycle of closed deals in days; also a moving window aggregate';
COMMENT ON AGGREGATE median_cycle(timestamptz, timestamptz) IS
    'Median cycle of closed deals, as percentile_disc(0.5): exact when every cycle is whole days, else within 0.4% or a second';
COMMENT ON AGGREGATE median_cycle(date, date) IS
    'Median cycle of closed deals in whole days (dates), exactly percentile_disc(0.5)';
