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
    AS 'MODULE_PATHNAME', 'ticket_stddev_amount' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
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

-- Aggregates.  A full summary keeps exact sums and the sketch; avg_ticket
-- keeps a mean-only one (no sketch: cheaper, and exactly invertible),
-- median_ticket a sketch-only one (no exact sums: cheaper).  Their empty
-- summaries:
-- @TICKET_EMPTY@ = '{"version":1,"deals":0,"scale":0,"at_scale":0,"sum":0,"sum_squares":0,"smallest":null,"largest":null,"sketch":"AAAA"}'
-- @TICKET_MEAN_ONLY_EMPTY@ = '{"version":1,"deals":0,"scale":0,"at_scale":0,"sum":0,"sum_squares":null,"smallest":null,"largest":null,"sketch":null}'
-- @TICKET_SKETCH_ONLY_EMPTY@ = '{"version":1,"deals":0,"scale":0,"at_scale":0,"sum":null,"sum_squares":null,"smallest":null,"largest":null,"sketch":"AAAA"}'
-- SSPACE tells the planner what a state with a sketch takes once it has
-- grown (a sketch of thousands of amounts: about 16 kB; see the README's
-- memory table), so that hash aggregation does not keep too many at once:
-- @TICKET_STATE_SIZE@ = 16384
CREATE AGGREGATE ticket_agg(amount numeric) (
    SFUNC = ticket_trans,
    STYPE = ticket_summary,
    COMBINEFUNC = ticket_combine,
    INITCOND = @TICKET_EMPTY@,
    SSPACE = @TICKET_STATE_SIZE@,
    PARALLEL = SAFE
);

CREATE AGGREGATE rollup(ticket_summary) (
    SFUNC = ticket_combine,
    STYPE = ticket_summary,
    COMBINEFUNC = ticket_combine,
    INITCOND = @TICKET_EMPTY@,
    SSPACE = @TICKET_STATE_SIZE@,
    PARALLEL = SAFE
);

CREATE AGGREGATE avg_ticket(amount numeric) (
    SFUNC = ticket_trans,
    STYPE = ticket_summary,
    FINALFUNC = mean,
    COMBINEFUNC = ticket_combine,
    INITCOND = @TICKET_MEAN_ONLY_EMPTY@,
    MSFUNC = ticket_trans,
    MINVFUNC = ticket_inv,
    MSTYPE = ticket_summary,
    MFINALFUNC = mean,
    MINITCOND = @TICKET_MEAN_ONLY_EMPTY@,
    PARALLEL = SAFE
);

CREATE AGGREGATE median_ticket(amount numeric) (
    SFUNC = ticket_trans,
    STYPE = ticket_summary,
    FINALFUNC = median,
    COMBINEFUNC = ticket_combine,
    INITCOND = @TICKET_SKETCH_ONLY_EMPTY@,
    SSPACE = @TICKET_STATE_SIZE@,
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
