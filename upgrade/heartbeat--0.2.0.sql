-- heartbeat: the sales heartbeat (conversion, average ticket, sales cycle,
-- retention) as aggregate and window functions.
-- Version 0.2.0, frozen for the upgrade tests: never edit.

\echo Use "CREATE EXTENSION heartbeat" to load this file. \quit
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
CREATE FUNCTION conversion_combine(conversion_summary, conversion_summary) RETURNS conversion_summary
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION conversion_trans(conversion_summary, boolean) IS
    'Transition function of conversion_agg and conversion_rate: adds one closed deal';
COMMENT ON FUNCTION conversion_inv(conversion_summary, boolean) IS
    'Inverse transition of conversion_rate in moving windows: removes one closed deal';
COMMENT ON FUNCTION conversion_combine(conversion_summary, conversion_summary) IS
    'Merges two conversion summaries: combine function of the conversion aggregates and step of rollup';

-- Accessors.
CREATE FUNCTION rate(conversion_summary) RETURNS double precision
    AS 'MODULE_PATHNAME', 'conversion_rate_final' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
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
                        OUT delta double precision, OUT z double precision,
                        OUT p_value double precision)
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

-- Aggregates.
CREATE AGGREGATE conversion_agg(converted boolean) (
    SFUNC = conversion_trans,
    STYPE = conversion_summary,
    COMBINEFUNC = conversion_combine,
    INITCOND = '{"version":1,"conversions":0,"trials":0}',
    PARALLEL = SAFE
);

CREATE AGGREGATE rollup(conversion_summary) (
    SFUNC = conversion_combine,
    STYPE = conversion_summary,
    COMBINEFUNC = conversion_combine,
    INITCOND = '{"version":1,"conversions":0,"trials":0}',
    PARALLEL = SAFE
);

CREATE AGGREGATE conversion_rate(converted boolean) (
    SFUNC = conversion_trans,
    STYPE = conversion_summary,
    FINALFUNC = rate,
    COMBINEFUNC = conversion_combine,
    INITCOND = '{"version":1,"conversions":0,"trials":0}',
    MSFUNC = conversion_trans,
    MINVFUNC = conversion_inv,
    MSTYPE = conversion_summary,
    MFINALFUNC = rate,
    MINITCOND = '{"version":1,"conversions":0,"trials":0}',
    PARALLEL = SAFE
);

COMMENT ON AGGREGATE conversion_agg(boolean) IS
    'Summarises deal outcomes (true = won, false = lost, NULL = open, ignored) into a conversion_summary';
COMMENT ON AGGREGATE rollup(conversion_summary) IS
    'Merges conversion summaries, for example daily ones into a month';
COMMENT ON AGGREGATE conversion_rate(boolean) IS
    'Conversion (win) rate of deal outcomes: won / closed, NULL outcomes (open deals) ignored; also a moving window aggregate';
-- ---------------------------------------------------------------------------
-- The average-ticket family: deal amounts, exact sums and mergeable percentiles.
-- NULL amounts are ignored; NaN and infinite amounts are an ERROR.
-- ---------------------------------------------------------------------------

CREATE TYPE ticket_summary;

CREATE FUNCTION ticket_summary_in(cstring) RETURNS ticket_summary
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION ticket_summary_out(ticket_summary) RETURNS cstring
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION ticket_summary_recv(internal) RETURNS ticket_summary
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION ticket_summary_send(ticket_summary) RETURNS bytea
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE TYPE ticket_summary (
    INPUT = ticket_summary_in,
    OUTPUT = ticket_summary_out,
    RECEIVE = ticket_summary_recv,
    SEND = ticket_summary_send,
    INTERNALLENGTH = VARIABLE,
    ALIGNMENT = double,
    STORAGE = extended
);

COMMENT ON TYPE ticket_summary IS
    'Deal amounts: exact deals, sum, smallest, largest and sum of squares, and a 0.4%-relative-error percentile sketch; mergeable with rollup()';
COMMENT ON FUNCTION ticket_summary_in(cstring) IS
    'Reads a ticket_summary from its JSON text form';
COMMENT ON FUNCTION ticket_summary_out(ticket_summary) IS
    'Writes a ticket_summary as JSON text: exact values as numbers, the sketch in base64';
COMMENT ON FUNCTION ticket_summary_recv(internal) IS
    'Reads a ticket_summary in binary form';
COMMENT ON FUNCTION ticket_summary_send(ticket_summary) IS
    'Writes a ticket_summary in binary form';

-- Aggregate support: the state is an expanded object updated in place.
CREATE FUNCTION ticket_trans(ticket_summary, numeric) RETURNS ticket_summary
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION ticket_inv(ticket_summary, numeric) RETURNS ticket_summary
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION ticket_combine(ticket_summary, ticket_summary) RETURNS ticket_summary
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION ticket_trans(ticket_summary, numeric) IS
    'Transition function of the ticket aggregates: adds one amount';
COMMENT ON FUNCTION ticket_inv(ticket_summary, numeric) IS
    'Inverse transition of avg_ticket in moving windows: removes one amount exactly (NULL when it cannot)';
COMMENT ON FUNCTION ticket_combine(ticket_summary, ticket_summary) IS
    'Merges two ticket summaries: combine function of the ticket aggregates and step of rollup';

-- Accessors.
CREATE FUNCTION mean(ticket_summary) RETURNS numeric
    AS 'MODULE_PATHNAME', 'ticket_mean' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION total(ticket_summary) RETURNS numeric
    AS 'MODULE_PATHNAME', 'ticket_total' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION deals(ticket_summary) RETURNS bigint
    AS 'MODULE_PATHNAME', 'ticket_deals' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION smallest(ticket_summary) RETURNS numeric
    AS 'MODULE_PATHNAME', 'ticket_smallest' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION largest(ticket_summary) RETURNS numeric
    AS 'MODULE_PATHNAME', 'ticket_largest' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION stddev_amount(ticket_summary) RETURNS double precision
    AS 'MODULE_PATHNAME', 'ticket_stddev' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION percentile(ticket_summary, p double precision) RETURNS numeric
    AS 'MODULE_PATHNAME', 'ticket_percentile' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION percentiles(ticket_summary, p double precision[]) RETURNS numeric[]
    AS 'MODULE_PATHNAME', 'ticket_percentiles' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION median(ticket_summary) RETURNS numeric
    AS 'MODULE_PATHNAME', 'ticket_median' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION mean(ticket_summary) IS
    'Average ticket: sum / deals, exactly as avg(amount); NULL without deals';
COMMENT ON FUNCTION total(ticket_summary) IS
    'Exact sum of the amounts, as sum(amount); NULL without deals';
COMMENT ON FUNCTION deals(ticket_summary) IS
    'Number of amounts summarised (NULL amounts are not counted)';
COMMENT ON FUNCTION smallest(ticket_summary) IS
    'Smallest amount, exact; NULL without deals';
COMMENT ON FUNCTION largest(ticket_summary) IS
    'Largest amount, exact; NULL without deals';
COMMENT ON FUNCTION stddev_amount(ticket_summary) IS
    'Sample standard deviation of the amounts (from exact sums); NULL with fewer than two deals';
COMMENT ON FUNCTION percentile(ticket_summary, double precision) IS
    'Amount at percentile p (0..1) as percentile_disc would give it, within 0.4% relative error; NULL without deals';
COMMENT ON FUNCTION percentiles(ticket_summary, double precision[]) IS
    'Amounts at several percentiles at once, each within 0.4% relative error of percentile_disc';
COMMENT ON FUNCTION median(ticket_summary) IS
    'Median amount (percentile 0.5, as percentile_disc), within 0.4% relative error; NULL without deals';

-- Aggregates.
CREATE AGGREGATE ticket_agg(amount numeric) (
    SFUNC = ticket_trans,
    STYPE = ticket_summary,
    COMBINEFUNC = ticket_combine,
    INITCOND = '{"version":1,"deals":0,"scale":0,"at_scale":0,"sum":0,"sum_squares":0,"smallest":null,"largest":null,"sketch":"AAAA"}',
    PARALLEL = SAFE
);

CREATE AGGREGATE rollup(ticket_summary) (
    SFUNC = ticket_combine,
    STYPE = ticket_summary,
    COMBINEFUNC = ticket_combine,
    INITCOND = '{"version":1,"deals":0,"scale":0,"at_scale":0,"sum":0,"sum_squares":0,"smallest":null,"largest":null,"sketch":"AAAA"}',
    PARALLEL = SAFE
);

-- avg_ticket keeps a mean-only summary (no sketch): cheaper, and exactly invertible.
CREATE AGGREGATE avg_ticket(amount numeric) (
    SFUNC = ticket_trans,
    STYPE = ticket_summary,
    FINALFUNC = mean,
    COMBINEFUNC = ticket_combine,
    INITCOND = '{"version":1,"deals":0,"scale":0,"at_scale":0,"sum":0,"sum_squares":null,"smallest":null,"largest":null,"sketch":null}',
    MSFUNC = ticket_trans,
    MINVFUNC = ticket_inv,
    MSTYPE = ticket_summary,
    MFINALFUNC = mean,
    MINITCOND = '{"version":1,"deals":0,"scale":0,"at_scale":0,"sum":0,"sum_squares":null,"smallest":null,"largest":null,"sketch":null}',
    PARALLEL = SAFE
);

-- median_ticket keeps a sketch-only summary (no exact sums): cheaper.
CREATE AGGREGATE median_ticket(amount numeric) (
    SFUNC = ticket_trans,
    STYPE = ticket_summary,
    FINALFUNC = median,
    COMBINEFUNC = ticket_combine,
    INITCOND = '{"version":1,"deals":0,"scale":0,"at_scale":0,"sum":null,"sum_squares":null,"smallest":null,"largest":null,"sketch":"AAAA"}',
    PARALLEL = SAFE
);

COMMENT ON AGGREGATE ticket_agg(numeric) IS
    'Summarises deal amounts into a ticket_summary (NULL amounts ignored)';
COMMENT ON AGGREGATE rollup(ticket_summary) IS
    'Merges ticket summaries, for example daily ones into a month';
COMMENT ON AGGREGATE avg_ticket(numeric) IS
    'Average ticket, exactly avg(amount); also a moving window aggregate with an exact inverse';
COMMENT ON AGGREGATE median_ticket(numeric) IS
    'Median ticket as percentile_disc(0.5) would give it, within 0.4% relative error';
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
    'Sales-cycle durations: closed, open (censored) and skipped deals, the exact sum of closed durations, and sketches for percentiles and Kaplan-Meier survival';
COMMENT ON FUNCTION cycle_summary_in(cstring) IS 'Reads a cycle_summary from its JSON text form';
COMMENT ON FUNCTION cycle_summary_out(cycle_summary) IS 'Writes a cycle_summary as JSON text, sketches in base64';
COMMENT ON FUNCTION cycle_summary_recv(internal) IS 'Reads a cycle_summary in binary form';
COMMENT ON FUNCTION cycle_summary_send(cycle_summary) IS 'Writes a cycle_summary in binary form';

-- Aggregate support.
CREATE FUNCTION cycle_trans(cycle_summary, timestamptz, timestamptz) RETURNS cycle_summary
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION cycle_trans(cycle_summary, date, date) RETURNS cycle_summary
    AS 'MODULE_PATHNAME', 'cycle_trans_date' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION cycle_trans(cycle_summary, timestamptz, timestamptz, timestamptz) RETURNS cycle_summary
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
    'Median cycle of closed deals, within 0.4% or a second';
COMMENT ON FUNCTION percentile(cycle_summary, double precision) IS
    'Cycle of closed deals at percentile p (as percentile_disc), within 0.4% or a second';
COMMENT ON FUNCTION closed_deals(cycle_summary) IS 'Deals closed (won or lost) in the summary';
COMMENT ON FUNCTION open_deals(cycle_summary) IS 'Deals still open at as_of (censored)';
COMMENT ON FUNCTION skipped(cycle_summary) IS
    'Rows left out of every figure: closed before opened, or with an infinite timestamp';
COMMENT ON FUNCTION survival_median(cycle_summary) IS
    'Kaplan-Meier median: the time by which half of all deals, open ones included, have closed; NULL if never';
COMMENT ON FUNCTION survival_percentile(cycle_summary, double precision) IS
    'Kaplan-Meier: the time by which a share p of all deals has closed; NULL when the curve never gets there';
COMMENT ON FUNCTION close_probability(cycle_summary, interval) IS
    'Kaplan-Meier probability that a deal closes within the given time: 1 - S(within)';

-- Aggregates.
CREATE AGGREGATE cycle_agg(opened timestamptz, closed timestamptz) (
    SFUNC = cycle_trans, STYPE = cycle_summary, COMBINEFUNC = cycle_combine,
    INITCOND = '{"version":1,"closed":0,"open":0,"skipped":0,"sum_us":0,"sum_days":0,"sketches":"AAAAAAAA"}',
    PARALLEL = SAFE
);
CREATE AGGREGATE cycle_agg(opened date, closed date) (
    SFUNC = cycle_trans, STYPE = cycle_summary, COMBINEFUNC = cycle_combine,
    INITCOND = '{"version":1,"closed":0,"open":0,"skipped":0,"sum_us":0,"sum_days":0,"sketches":"AAAAAAAA"}',
    PARALLEL = SAFE
);
CREATE AGGREGATE cycle_agg(opened timestamptz, closed timestamptz, as_of timestamptz) (
    SFUNC = cycle_trans, STYPE = cycle_summary, COMBINEFUNC = cycle_combine,
    INITCOND = '{"version":1,"closed":0,"open":0,"skipped":0,"sum_us":0,"sum_days":0,"sketches":"AAAAAAAA"}',
    PARALLEL = SAFE
);
CREATE AGGREGATE cycle_agg(opened date, closed date, as_of date) (
    SFUNC = cycle_trans, STYPE = cycle_summary, COMBINEFUNC = cycle_combine,
    INITCOND = '{"version":1,"closed":0,"open":0,"skipped":0,"sum_us":0,"sum_days":0,"sketches":"AAAAAAAA"}',
    PARALLEL = SAFE
);
CREATE AGGREGATE rollup(cycle_summary) (
    SFUNC = cycle_combine, STYPE = cycle_summary, COMBINEFUNC = cycle_combine,
    INITCOND = '{"version":1,"closed":0,"open":0,"skipped":0,"sum_us":0,"sum_days":0,"sketches":"AAAAAAAA"}',
    PARALLEL = SAFE
);
CREATE AGGREGATE avg_cycle(opened timestamptz, closed timestamptz) (
    SFUNC = cycle_trans, STYPE = cycle_summary, FINALFUNC = mean, COMBINEFUNC = cycle_combine,
    INITCOND = '{"version":1,"closed":0,"open":0,"skipped":0,"sum_us":0,"sum_days":0,"sketches":null}',
    MSFUNC = cycle_trans, MINVFUNC = cycle_inv, MSTYPE = cycle_summary, MFINALFUNC = mean,
    MINITCOND = '{"version":1,"closed":0,"open":0,"skipped":0,"sum_us":0,"sum_days":0,"sketches":null}',
    PARALLEL = SAFE
);
CREATE AGGREGATE avg_cycle(opened date, closed date) (
    SFUNC = cycle_trans, STYPE = cycle_summary, FINALFUNC = mean, COMBINEFUNC = cycle_combine,
    INITCOND = '{"version":1,"closed":0,"open":0,"skipped":0,"sum_us":0,"sum_days":0,"sketches":null}',
    MSFUNC = cycle_trans, MINVFUNC = cycle_inv, MSTYPE = cycle_summary, MFINALFUNC = mean,
    MINITCOND = '{"version":1,"closed":0,"open":0,"skipped":0,"sum_us":0,"sum_days":0,"sketches":null}',
    PARALLEL = SAFE
);
CREATE AGGREGATE median_cycle(opened timestamptz, closed timestamptz) (
    SFUNC = cycle_trans, STYPE = cycle_summary, FINALFUNC = median, COMBINEFUNC = cycle_combine,
    INITCOND = '{"version":1,"closed":0,"open":0,"skipped":0,"sum_us":0,"sum_days":0,"sketches":"AAAAAAAA"}',
    PARALLEL = SAFE
);
CREATE AGGREGATE median_cycle(opened date, closed date) (
    SFUNC = cycle_trans, STYPE = cycle_summary, FINALFUNC = median, COMBINEFUNC = cycle_combine,
    INITCOND = '{"version":1,"closed":0,"open":0,"skipped":0,"sum_us":0,"sum_days":0,"sketches":"AAAAAAAA"}',
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
COMMENT ON AGGREGATE rollup(cycle_summary) IS 'Merges cycle summaries';
COMMENT ON AGGREGATE avg_cycle(timestamptz, timestamptz) IS
    'Mean cycle of closed deals, as avg(closed - opened); also a moving window aggregate';
COMMENT ON AGGREGATE avg_cycle(date, date) IS
    'Mean cycle of closed deals in days; also a moving window aggregate';
COMMENT ON AGGREGATE median_cycle(timestamptz, timestamptz) IS
    'Median cycle of closed deals, within 0.4% or a second';
COMMENT ON AGGREGATE median_cycle(date, date) IS
    'Median cycle of closed deals (dates), within 0.4% or a second';
-- ---------------------------------------------------------------------------
-- The retention family: distinct (customer, period) pairs, read as period
-- retention, cohort triangles and revenue retention.
-- ---------------------------------------------------------------------------

CREATE TYPE retention_summary;

CREATE FUNCTION retention_summary_in(cstring) RETURNS retention_summary
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION retention_summary_out(retention_summary) RETURNS cstring
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION retention_summary_recv(internal) RETURNS retention_summary
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION retention_summary_send(retention_summary) RETURNS bytea
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE TYPE retention_summary (
    INPUT = retention_summary_in,
    OUTPUT = retention_summary_out,
    RECEIVE = retention_summary_recv,
    SEND = retention_summary_send,
    INTERNALLENGTH = VARIABLE,
    ALIGNMENT = double,
    STORAGE = extended
);

COMMENT ON TYPE retention_summary IS
    'Distinct (customer, active period) pairs, with revenue if asked: read with retention(), cohorts(), revenue_retention()';
COMMENT ON FUNCTION retention_summary_in(cstring) IS 'Reads a retention_summary from its JSON text form';
COMMENT ON FUNCTION retention_summary_out(retention_summary) IS 'Writes a retention_summary as JSON text, pairs in base64';
COMMENT ON FUNCTION retention_summary_recv(internal) IS 'Reads a retention_summary in binary form';
COMMENT ON FUNCTION retention_summary_send(retention_summary) IS 'Writes a retention_summary in binary form';

CREATE FUNCTION retention_combine(retention_summary, retention_summary) RETURNS retention_summary
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION retention_combine(retention_summary, retention_summary) IS
    'Merges two retention summaries: combine function of retention_agg and step of rollup';

-- retention_agg over every customer key type (bigint, text, uuid) and time
-- type (date, timestamp, timestamptz), with and without revenue: one C
-- function reads the argument types.  timestamptz cuts periods in the
-- session TimeZone, so those transition functions are STABLE.  The block runs
-- as the installing (possibly bootstrap) superuser with the extension's schema
-- on the search_path: pg_catalog functions and operators are qualified, so
-- nothing found in a pre-existing heartbeat schema can stand in for them.
DO $$
DECLARE
    k text;
    a text;
    rev boolean;
    args text;
    vol text;
BEGIN
    FOREACH k IN ARRAY ARRAY['bigint', 'text', 'uuid'] LOOP
        FOREACH a IN ARRAY ARRAY['date', 'timestamp', 'timestamptz'] LOOP
            FOREACH rev IN ARRAY ARRAY[false, true] LOOP
                args := pg_catalog.format('granularity text, customer %s, active_at %s%s', k, a,
                                          CASE WHEN rev THEN ', revenue numeric' ELSE '' END);
                vol := CASE WHEN a OPERATOR(pg_catalog.=) 'timestamptz' THEN 'STABLE' ELSE 'IMMUTABLE' END;
                EXECUTE pg_catalog.format('CREATE FUNCTION retention_trans(retention_summary, %s) RETURNS retention_summary
                                AS %L, %L LANGUAGE C %s PARALLEL SAFE',
                                          args, 'MODULE_PATHNAME', 'retention_trans', vol);
                EXECUTE pg_catalog.format('COMMENT ON FUNCTION retention_trans(retention_summary, %s) IS %L', args,
                                          'Transition function of retention_agg: adds one customer activity');
                EXECUTE pg_catalog.format('CREATE AGGREGATE retention_agg(%s) (
                                    SFUNC = retention_trans, STYPE = retention_summary,
                                    COMBINEFUNC = retention_combine,
                                    INITCOND = %L, PARALLEL = SAFE)', args,
                                          '{"version":1,"granularity":null,"keys":"bigint","revenue_scale":null,"customers":0,"pairs":0,"first_period":0,"last_period":0,"data":""}');
                EXECUTE pg_catalog.format('COMMENT ON AGGREGATE retention_agg(%s) IS %L', args,
                                          CASE WHEN rev
                                               THEN 'Summarises customer activity and revenue per period (day, week, month, quarter, year); NULL customer or time ignored'
                                               ELSE 'Summarises customer activity per period (day, week, month, quarter, year); NULL customer or time ignored' END);
            END LOOP;
        END LOOP;
    END LOOP;
END $$;

-- (As released, 0.2.0 marked the timestamptz forms of retention_agg STABLE
-- here with an UPDATE of pg_catalog.pg_proc.  An extension must not write
-- system catalogues: the frozen copy leaves it out, and 0.3.0 replaces
-- those forms by ones that take the time zone as an argument.)

CREATE AGGREGATE rollup(retention_summary) (
    SFUNC = retention_combine, STYPE = retention_summary, COMBINEFUNC = retention_combine,
    INITCOND = '{"version":1,"granularity":null,"keys":"bigint","revenue_scale":null,"customers":0,"pairs":0,"first_period":0,"last_period":0,"data":""}',
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE rollup(retention_summary) IS
    'Merges retention summaries of the same granularity (customers seen in several are counted once)';

CREATE FUNCTION customers(retention_summary) RETURNS bigint
    AS 'MODULE_PATHNAME', 'retention_customers' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION retention(retention_summary,
        OUT period date, OUT active bigint, OUT new bigint, OUT "returning" bigint,
        OUT retained bigint, OUT churned bigint,
        OUT retention_rate double precision, OUT churn_rate double precision, OUT crr double precision)
    RETURNS SETOF record
    AS 'MODULE_PATHNAME', 'retention_periods' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE ROWS 36;
CREATE FUNCTION cohorts(retention_summary,
        OUT cohort date, OUT period_offset integer, OUT cohort_size bigint, OUT active bigint,
        OUT retention double precision)
    RETURNS SETOF record
    AS 'MODULE_PATHNAME', 'retention_cohorts' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE ROWS 666;
CREATE FUNCTION revenue_retention(retention_summary,
        OUT period date, OUT starting_revenue numeric, OUT expansion numeric,
        OUT contraction numeric, OUT churned_revenue numeric,
        OUT nrr double precision, OUT grr double precision)
    RETURNS SETOF record
    AS 'MODULE_PATHNAME', 'retention_revenue' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE ROWS 36;

COMMENT ON FUNCTION customers(retention_summary) IS 'Distinct customers in the summary';
COMMENT ON FUNCTION retention(retention_summary) IS
    'Period over period: active, new, returning, retained and churned customers, retention and churn rates and CRR, one row per period (empty periods included)';
COMMENT ON FUNCTION cohorts(retention_summary) IS
    'Cohort triangle: customers by first active period, and how many of them are active k periods later';
COMMENT ON FUNCTION revenue_retention(retention_summary) IS
    'Revenue retention over the customers active the period before: starting revenue, expansion, contraction, churned revenue, NRR and GRR';
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
    INPUT = funnel_summary_in, OUTPUT = funnel_summary_out,
    RECEIVE = funnel_summary_recv, SEND = funnel_summary_send,
    INTERNALLENGTH = VARIABLE, ALIGNMENT = double, STORAGE = plain
);
COMMENT ON TYPE funnel_summary IS 'Deals by the furthest funnel stage they reached: read with stages()';
COMMENT ON FUNCTION funnel_summary_in(cstring) IS 'Reads a funnel_summary: {"version":1,"furthest":"c1 c2 ..."}';
COMMENT ON FUNCTION funnel_summary_out(funnel_summary) IS 'Writes a funnel_summary as JSON text';
COMMENT ON FUNCTION funnel_summary_recv(internal) IS 'Reads a funnel_summary in binary form';
COMMENT ON FUNCTION funnel_summary_send(funnel_summary) IS 'Writes a funnel_summary in binary form';

CREATE FUNCTION funnel_trans(funnel_summary, integer) RETURNS funnel_summary
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION funnel_combine(funnel_summary, funnel_summary) RETURNS funnel_summary
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION funnel_trans(funnel_summary, integer) IS 'Transition function of funnel_agg: adds one deal';
COMMENT ON FUNCTION funnel_combine(funnel_summary, funnel_summary) IS 'Merges two funnel summaries';

CREATE AGGREGATE funnel_agg(stage_reached integer) (
    SFUNC = funnel_trans, STYPE = funnel_summary, COMBINEFUNC = funnel_combine,
    INITCOND = '{"version":1,"furthest":""}', PARALLEL = SAFE
);
CREATE AGGREGATE rollup(funnel_summary) (
    SFUNC = funnel_combine, STYPE = funnel_summary, COMBINEFUNC = funnel_combine,
    INITCOND = '{"version":1,"furthest":""}', PARALLEL = SAFE
);
COMMENT ON AGGREGATE funnel_agg(integer) IS
    'Summarises deals by the furthest stage reached (1..64; NULL ignored)';
COMMENT ON AGGREGATE rollup(funnel_summary) IS 'Merges funnel summaries';

CREATE FUNCTION stages(funnel_summary,
        OUT stage integer, OUT reached bigint,
        OUT conversion_from_previous double precision, OUT conversion_from_first double precision)
    RETURNS SETOF record
    AS 'MODULE_PATHNAME', 'funnel_stages' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE ROWS 8;
COMMENT ON FUNCTION stages(funnel_summary) IS
    'Per stage: deals that reached it, and the conversion from the previous and from the first stage';
-- ---------------------------------------------------------------------------
-- The heartbeat over time: window functions for drops that matter.
-- ---------------------------------------------------------------------------

CREATE FUNCTION anomaly_score(value double precision, lookback integer DEFAULT 6)
    RETURNS double precision
    AS 'MODULE_PATHNAME', 'anomaly_score' LANGUAGE C IMMUTABLE WINDOW PARALLEL SAFE;
CREATE FUNCTION anomaly_score(value double precision, lookback integer, season integer)
    RETURNS double precision
    AS 'MODULE_PATHNAME', 'anomaly_score_seasonal' LANGUAGE C IMMUTABLE WINDOW PARALLEL SAFE;
CREATE FUNCTION conversion_zscore(conversion_summary, lookback integer DEFAULT 12)
    RETURNS double precision
    AS 'MODULE_PATHNAME', 'conversion_zscore' LANGUAGE C IMMUTABLE WINDOW PARALLEL SAFE;

COMMENT ON FUNCTION anomaly_score(double precision, integer) IS
    'Window: robust z-score of the current value against the previous lookback rows (median, MAD x 1.4826; NULL until 3 previous non-NULL values)';
COMMENT ON FUNCTION anomaly_score(double precision, integer, integer) IS
    'Window: robust z-score against the rows season, 2 x season, ... positions earlier (lookback of them)';
COMMENT ON FUNCTION conversion_zscore(conversion_summary, integer) IS
    'Window: p-chart z-score of the current period''s win rate against the pooled rate of the previous lookback periods';

-- Sparklines: a heartbeat you can see in psql and in any BI table.
CREATE FUNCTION sparkline(double precision[]) RETURNS text
    AS 'MODULE_PATHNAME', 'sparkline_array' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
-- pg_catalog is qualified: an exact-typed array_append(double precision[],
-- double precision) in a pre-existing heartbeat schema would otherwise win
-- over the polymorphic built-in.
CREATE AGGREGATE sparkline(value double precision) (
    SFUNC = pg_catalog.array_append,
    STYPE = double precision[],
    FINALFUNC = sparkline,
    COMBINEFUNC = pg_catalog.array_cat,
    PARALLEL = SAFE
);
COMMENT ON FUNCTION sparkline(double precision[]) IS
    'One block character (▁ to █) per value, scaled between the minimum and maximum; NULL is a space, a constant series a flat middle line';
COMMENT ON AGGREGATE sparkline(double precision) IS
    'Sparkline of the values in the order given: sparkline(rate ORDER BY month)';
-- ---------------------------------------------------------------------------
-- pulse(): the whole heartbeat of a deals table, one row per period.
-- Identifiers go through format('%I'); the function runs with the caller's
-- rights (SECURITY INVOKER) and search_path (the table is resolved as the
-- caller named it), so every name in the bodies is schema-qualified: no
-- function, operator or type on a hostile search_path can stand in for ours.
-- ---------------------------------------------------------------------------

CREATE FUNCTION pulse_column(deals regclass, col name, param text, allowed regtype[])
    RETURNS regtype LANGUAGE plpgsql STABLE PARALLEL SAFE AS $$
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
COMMENT ON FUNCTION pulse_column(regclass, name, text, regtype[]) IS
    'Helper of pulse(): the type of a column, or an ERROR naming the column and the parameter to set';

CREATE FUNCTION pulse(deals regclass, granularity text DEFAULT 'month',
                      opened_at name DEFAULT 'opened_at', closed_at name DEFAULT 'closed_at',
                      won name DEFAULT 'won', amount name DEFAULT 'amount',
                      customer_id name DEFAULT 'customer_id', as_of timestamptz DEFAULT pg_catalog.now())
    RETURNS TABLE (period date, deals_opened bigint, deals_closed bigint, deals_won bigint,
                   conversion_rate double precision, conversion_lower double precision,
                   conversion_upper double precision, avg_ticket numeric, median_ticket numeric,
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
                       FROM @extschema@.retention((SELECT @extschema@.retention_agg($1, cu, c) FROM d
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
