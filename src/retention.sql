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
COMMENT ON FUNCTION retention_summary_in(cstring) IS
    'Reads a retention_summary from its JSON text form';
COMMENT ON FUNCTION retention_summary_out(retention_summary) IS
    'Writes a retention_summary as JSON text, pairs in base64';
COMMENT ON FUNCTION retention_summary_recv(internal) IS
    'Reads a retention_summary in binary form';
COMMENT ON FUNCTION retention_summary_send(retention_summary) IS
    'Writes a retention_summary in binary form';

-- Aggregate support.
CREATE FUNCTION retention_combine(retention_summary, retention_summary) RETURNS retention_summary
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION retention_combine(retention_summary, retention_summary) IS
    'Merges two retention summaries: combine function of retention_agg and step of rollup';

-- retention_agg over every customer key type (bigint, text, uuid) and time
-- type (date, timestamp, timestamptz), with and without revenue: one C
-- function, which reads the argument types from its own declaration.  A
-- timestamptz has no calendar day of its own: those overloads name the time
-- zone that cuts the periods, so every overload is IMMUTABLE and gives the
-- same summary wherever it runs (a parallel worker, a postgres_fdw shard, a
-- Citus worker), whatever the session's TimeZone.
-- @RETENTION_TRANS_COMMENT@ = 'Transition function of retention_agg: adds one customer activity'
CREATE FUNCTION retention_trans(retention_summary, granularity text, customer bigint, active_at date)
    RETURNS retention_summary
    AS 'MODULE_PATHNAME', 'retention_trans' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION retention_trans(retention_summary, granularity text, customer bigint, active_at date, revenue numeric)
    RETURNS retention_summary
    AS 'MODULE_PATHNAME', 'retention_trans' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION retention_trans(retention_summary, granularity text, customer bigint, active_at timestamp)
    RETURNS retention_summary
    AS 'MODULE_PATHNAME', 'retention_trans' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION retention_trans(retention_summary, granularity text, customer bigint, active_at timestamp, revenue numeric)
    RETURNS retention_summary
    AS 'MODULE_PATHNAME', 'retention_trans' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION retention_trans(retention_summary, granularity text, customer bigint, active_at timestamptz, time_zone text)
    RETURNS retention_summary
    AS 'MODULE_PATHNAME', 'retention_trans' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION retention_trans(retention_summary, granularity text, customer bigint, active_at timestamptz, time_zone text, revenue numeric)
    RETURNS retention_summary
    AS 'MODULE_PATHNAME', 'retention_trans' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION retention_trans(retention_summary, granularity text, customer text, active_at date)
    RETURNS retention_summary
    AS 'MODULE_PATHNAME', 'retention_trans' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION retention_trans(retention_summary, granularity text, customer text, active_at date, revenue numeric)
    RETURNS retention_summary
    AS 'MODULE_PATHNAME', 'retention_trans' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION retention_trans(retention_summary, granularity text, customer text, active_at timestamp)
    RETURNS retention_summary
    AS 'MODULE_PATHNAME', 'retention_trans' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION retention_trans(retention_summary, granularity text, customer text, active_at timestamp, revenue numeric)
    RETURNS retention_summary
    AS 'MODULE_PATHNAME', 'retention_trans' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION retention_trans(retention_summary, granularity text, customer text, active_at timestamptz, time_zone text)
    RETURNS retention_summary
    AS 'MODULE_PATHNAME', 'retention_trans' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION retention_trans(retention_summary, granularity text, customer text, active_at timestamptz, time_zone text, revenue numeric)
    RETURNS retention_summary
    AS 'MODULE_PATHNAME', 'retention_trans' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION retention_trans(retention_summary, granularity text, customer uuid, active_at date)
    RETURNS retention_summary
    AS 'MODULE_PATHNAME', 'retention_trans' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION retention_trans(retention_summary, granularity text, customer uuid, active_at date, revenue numeric)
    RETURNS retention_summary
    AS 'MODULE_PATHNAME', 'retention_trans' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION retention_trans(retention_summary, granularity text, customer uuid, active_at timestamp)
    RETURNS retention_summary
    AS 'MODULE_PATHNAME', 'retention_trans' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION retention_trans(retention_summary, granularity text, customer uuid, active_at timestamp, revenue numeric)
    RETURNS retention_summary
    AS 'MODULE_PATHNAME', 'retention_trans' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION retention_trans(retention_summary, granularity text, customer uuid, active_at timestamptz, time_zone text)
    RETURNS retention_summary
    AS 'MODULE_PATHNAME', 'retention_trans' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION retention_trans(retention_summary, granularity text, customer uuid, active_at timestamptz, time_zone text, revenue numeric)
    RETURNS retention_summary
    AS 'MODULE_PATHNAME', 'retention_trans' LANGUAGE C IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION retention_trans(retention_summary, text, bigint, date) IS
    @RETENTION_TRANS_COMMENT@;
COMMENT ON FUNCTION retention_trans(retention_summary, text, bigint, date, numeric) IS
    @RETENTION_TRANS_COMMENT@;
COMMENT ON FUNCTION retention_trans(retention_summary, text, bigint, timestamp) IS
    @RETENTION_TRANS_COMMENT@;
COMMENT ON FUNCTION retention_trans(retention_summary, text, bigint, timestamp, numeric) IS
    @RETENTION_TRANS_COMMENT@;
COMMENT ON FUNCTION retention_trans(retention_summary, text, bigint, timestamptz, text) IS
    @RETENTION_TRANS_COMMENT@;
COMMENT ON FUNCTION retention_trans(retention_summary, text, bigint, timestamptz, text, numeric) IS
    @RETENTION_TRANS_COMMENT@;
COMMENT ON FUNCTION retention_trans(retention_summary, text, text, date) IS
    @RETENTION_TRANS_COMMENT@;
COMMENT ON FUNCTION retention_trans(retention_summary, text, text, date, numeric) IS
    @RETENTION_TRANS_COMMENT@;
COMMENT ON FUNCTION retention_trans(retention_summary, text, text, timestamp) IS
    @RETENTION_TRANS_COMMENT@;
COMMENT ON FUNCTION retention_trans(retention_summary, text, text, timestamp, numeric) IS
    @RETENTION_TRANS_COMMENT@;
COMMENT ON FUNCTION retention_trans(retention_summary, text, text, timestamptz, text) IS
    @RETENTION_TRANS_COMMENT@;
COMMENT ON FUNCTION retention_trans(retention_summary, text, text, timestamptz, text, numeric) IS
    @RETENTION_TRANS_COMMENT@;
COMMENT ON FUNCTION retention_trans(retention_summary, text, uuid, date) IS
    @RETENTION_TRANS_COMMENT@;
COMMENT ON FUNCTION retention_trans(retention_summary, text, uuid, date, numeric) IS
    @RETENTION_TRANS_COMMENT@;
COMMENT ON FUNCTION retention_trans(retention_summary, text, uuid, timestamp) IS
    @RETENTION_TRANS_COMMENT@;
COMMENT ON FUNCTION retention_trans(retention_summary, text, uuid, timestamp, numeric) IS
    @RETENTION_TRANS_COMMENT@;
COMMENT ON FUNCTION retention_trans(retention_summary, text, uuid, timestamptz, text) IS
    @RETENTION_TRANS_COMMENT@;
COMMENT ON FUNCTION retention_trans(retention_summary, text, uuid, timestamptz, text, numeric) IS
    @RETENTION_TRANS_COMMENT@;

-- Aggregates.  Each starts from the empty summary:
-- @RETENTION_EMPTY@ = '{"version":1,"granularity":null,"keys":"bigint","revenue_scale":null,"customers":0,"pairs":0,"first_period":0,"last_period":0,"data":""}'
-- SSPACE: a retention state keeps every distinct (customer, period) pair,
-- 16 bytes each, so it grows with the data; 1 MB (some 65,000 pairs) tells
-- the planner that a few groups fill work_mem, and hash aggregation then
-- keeps few of them in memory at once (or the planner sorts):
-- @RETENTION_STATE_SIZE@ = 1048576
-- @RETENTION_AGG_COMMENT@ = 'Summarises customer activity per period (day, week, month, quarter, year); NULL customer or time ignored'
-- @RETENTION_REVENUE_AGG_COMMENT@ = 'Summarises customer activity and revenue per period (day, week, month, quarter, year); NULL customer or time ignored'
CREATE AGGREGATE retention_agg(granularity text, customer bigint, active_at date) (
    SFUNC = retention_trans,
    STYPE = retention_summary,
    COMBINEFUNC = retention_combine,
    INITCOND = @RETENTION_EMPTY@,
    SSPACE = @RETENTION_STATE_SIZE@,
    PARALLEL = SAFE
);

CREATE AGGREGATE retention_agg(granularity text, customer bigint, active_at date, revenue numeric) (
    SFUNC = retention_trans,
    STYPE = retention_summary,
    COMBINEFUNC = retention_combine,
    INITCOND = @RETENTION_EMPTY@,
    SSPACE = @RETENTION_STATE_SIZE@,
    PARALLEL = SAFE
);

CREATE AGGREGATE retention_agg(granularity text, customer bigint, active_at timestamp) (
    SFUNC = retention_trans,
    STYPE = retention_summary,
    COMBINEFUNC = retention_combine,
    INITCOND = @RETENTION_EMPTY@,
    SSPACE = @RETENTION_STATE_SIZE@,
    PARALLEL = SAFE
);

CREATE AGGREGATE retention_agg(granularity text, customer bigint, active_at timestamp, revenue numeric) (
    SFUNC = retention_trans,
    STYPE = retention_summary,
    COMBINEFUNC = retention_combine,
    INITCOND = @RETENTION_EMPTY@,
    SSPACE = @RETENTION_STATE_SIZE@,
    PARALLEL = SAFE
);

CREATE AGGREGATE retention_agg(granularity text, customer bigint, active_at timestamptz, time_zone text) (
    SFUNC = retention_trans,
    STYPE = retention_summary,
    COMBINEFUNC = retention_combine,
    INITCOND = @RETENTION_EMPTY@,
    SSPACE = @RETENTION_STATE_SIZE@,
    PARALLEL = SAFE
);

CREATE AGGREGATE retention_agg(granularity text, customer bigint, active_at timestamptz, time_zone text, revenue numeric) (
    SFUNC = retention_trans,
    STYPE = retention_summary,
    COMBINEFUNC = retention_combine,
    INITCOND = @RETENTION_EMPTY@,
    SSPACE = @RETENTION_STATE_SIZE@,
    PARALLEL = SAFE
);

CREATE AGGREGATE retention_agg(granularity text, customer text, active_at date) (
    SFUNC = retention_trans,
    STYPE = retention_summary,
    COMBINEFUNC = retention_combine,
    INITCOND = @RETENTION_EMPTY@,
    SSPACE = @RETENTION_STATE_SIZE@,
    PARALLEL = SAFE
);

CREATE AGGREGATE retention_agg(granularity text, customer text, active_at date, revenue numeric) (
    SFUNC = retention_trans,
    STYPE = retention_summary,
    COMBINEFUNC = retention_combine,
    INITCOND = @RETENTION_EMPTY@,
    SSPACE = @RETENTION_STATE_SIZE@,
    PARALLEL = SAFE
);

CREATE AGGREGATE retention_agg(granularity text, customer text, active_at timestamp) (
    SFUNC = retention_trans,
    STYPE = retention_summary,
    COMBINEFUNC = retention_combine,
    INITCOND = @RETENTION_EMPTY@,
    SSPACE = @RETENTION_STATE_SIZE@,
    PARALLEL = SAFE
);

CREATE AGGREGATE retention_agg(granularity text, customer text, active_at timestamp, revenue numeric) (
    SFUNC = retention_trans,
    STYPE = retention_summary,
    COMBINEFUNC = retention_combine,
    INITCOND = @RETENTION_EMPTY@,
    SSPACE = @RETENTION_STATE_SIZE@,
    PARALLEL = SAFE
);

CREATE AGGREGATE retention_agg(granularity text, customer text, active_at timestamptz, time_zone text) (
    SFUNC = retention_trans,
    STYPE = retention_summary,
    COMBINEFUNC = retention_combine,
    INITCOND = @RETENTION_EMPTY@,
    SSPACE = @RETENTION_STATE_SIZE@,
    PARALLEL = SAFE
);

CREATE AGGREGATE retention_agg(granularity text, customer text, active_at timestamptz, time_zone text, revenue numeric) (
    SFUNC = retention_trans,
    STYPE = retention_summary,
    COMBINEFUNC = retention_combine,
    INITCOND = @RETENTION_EMPTY@,
    SSPACE = @RETENTION_STATE_SIZE@,
    PARALLEL = SAFE
);

CREATE AGGREGATE retention_agg(granularity text, customer uuid, active_at date) (
    SFUNC = retention_trans,
    STYPE = retention_summary,
    COMBINEFUNC = retention_combine,
    INITCOND = @RETENTION_EMPTY@,
    SSPACE = @RETENTION_STATE_SIZE@,
    PARALLEL = SAFE
);

CREATE AGGREGATE retention_agg(granularity text, customer uuid, active_at date, revenue numeric) (
    SFUNC = retention_trans,
    STYPE = retention_summary,
    COMBINEFUNC = retention_combine,
    INITCOND = @RETENTION_EMPTY@,
    SSPACE = @RETENTION_STATE_SIZE@,
    PARALLEL = SAFE
);

CREATE AGGREGATE retention_agg(granularity text, customer uuid, active_at timestamp) (
    SFUNC = retention_trans,
    STYPE = retention_summary,
    COMBINEFUNC = retention_combine,
    INITCOND = @RETENTION_EMPTY@,
    SSPACE = @RETENTION_STATE_SIZE@,
    PARALLEL = SAFE
);

CREATE AGGREGATE retention_agg(granularity text, customer uuid, active_at timestamp, revenue numeric) (
    SFUNC = retention_trans,
    STYPE = retention_summary,
    COMBINEFUNC = retention_combine,
    INITCOND = @RETENTION_EMPTY@,
    SSPACE = @RETENTION_STATE_SIZE@,
    PARALLEL = SAFE
);

CREATE AGGREGATE retention_agg(granularity text, customer uuid, active_at timestamptz, time_zone text) (
    SFUNC = retention_trans,
    STYPE = retention_summary,
    COMBINEFUNC = retention_combine,
    INITCOND = @RETENTION_EMPTY@,
    SSPACE = @RETENTION_STATE_SIZE@,
    PARALLEL = SAFE
);

CREATE AGGREGATE retention_agg(granularity text, customer uuid, active_at timestamptz, time_zone text, revenue numeric) (
    SFUNC = retention_trans,
    STYPE = retention_summary,
    COMBINEFUNC = retention_combine,
    INITCOND = @RETENTION_EMPTY@,
    SSPACE = @RETENTION_STATE_SIZE@,
    PARALLEL = SAFE
);

CREATE AGGREGATE rollup(retention_summary) (
    SFUNC = retention_combine,
    STYPE = retention_summary,
    COMBINEFUNC = retention_combine,
    INITCOND = @RETENTION_EMPTY@,
    SSPACE = @RETENTION_STATE_SIZE@,
    PARALLEL = SAFE
);

COMMENT ON AGGREGATE retention_agg(text, bigint, date) IS
    @RETENTION_AGG_COMMENT@;
COMMENT ON AGGREGATE retention_agg(text, bigint, date, numeric) IS
    @RETENTION_REVENUE_AGG_COMMENT@;
COMMENT ON AGGREGATE retention_agg(text, bigint, timestamp) IS
    @RETENTION_AGG_COMMENT@;
COMMENT ON AGGREGATE retention_agg(text, bigint, timestamp, numeric) IS
    @RETENTION_REVENUE_AGG_COMMENT@;
COMMENT ON AGGREGATE retention_agg(text, bigint, timestamptz, text) IS
    @RETENTION_AGG_COMMENT@;
COMMENT ON AGGREGATE retention_agg(text, bigint, timestamptz, text, numeric) IS
    @RETENTION_REVENUE_AGG_COMMENT@;
COMMENT ON AGGREGATE retention_agg(text, text, date) IS
    @RETENTION_AGG_COMMENT@;
COMMENT ON AGGREGATE retention_agg(text, text, date, numeric) IS
    @RETENTION_REVENUE_AGG_COMMENT@;
COMMENT ON AGGREGATE retention_agg(text, text, timestamp) IS
    @RETENTION_AGG_COMMENT@;
COMMENT ON AGGREGATE retention_agg(text, text, timestamp, numeric) IS
    @RETENTION_REVENUE_AGG_COMMENT@;
COMMENT ON AGGREGATE retention_agg(text, text, timestamptz, text) IS
    @RETENTION_AGG_COMMENT@;
COMMENT ON AGGREGATE retention_agg(text, text, timestamptz, text, numeric) IS
    @RETENTION_REVENUE_AGG_COMMENT@;
COMMENT ON AGGREGATE retention_agg(text, uuid, date) IS
    @RETENTION_AGG_COMMENT@;
COMMENT ON AGGREGATE retention_agg(text, uuid, date, numeric) IS
    @RETENTION_REVENUE_AGG_COMMENT@;
COMMENT ON AGGREGATE retention_agg(text, uuid, timestamp) IS
    @RETENTION_AGG_COMMENT@;
COMMENT ON AGGREGATE retention_agg(text, uuid, timestamp, numeric) IS
    @RETENTION_REVENUE_AGG_COMMENT@;
COMMENT ON AGGREGATE retention_agg(text, uuid, timestamptz, text) IS
    @RETENTION_AGG_COMMENT@;
COMMENT ON AGGREGATE retention_agg(text, uuid, timestamptz, text, numeric) IS
    @RETENTION_REVENUE_AGG_COMMENT@;
COMMENT ON AGGREGATE rollup(retention_summary) IS
    'Merges retention summaries of the same granularity (customers seen in several are counted once)';

-- Accessors.
CREATE FUNCTION customers(retention_summary) RETURNS bigint
    AS 'MODULE_PATHNAME', 'retention_customers' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION retention(retention_summary,
        OUT period date, OUT active bigint, OUT new bigint, OUT "returning" bigint,
        OUT retained bigint, OUT churned bigint,
        OUT retention_rate double precision, OUT churn_rate double precision, OUT crr double precision)
    RETURNS SETOF record
    AS 'MODULE_PATHNAME', 'retention_retention' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE ROWS 36;
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
    AS 'MODULE_PATHNAME', 'retention_revenue_retention' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE ROWS 36;

COMMENT ON FUNCTION customers(retention_summary) IS
    'Distinct customers in the summary';
COMMENT ON FUNCTION retention(retention_summary) IS
    'Period over period: active, new, returning, retained and churned customers, retention and churn rates and CRR, one row per period (empty periods included)';
COMMENT ON FUNCTION cohorts(retention_summary) IS
    'Cohort triangle: customers by first active period, and how many of them are active k periods later';
COMMENT ON FUNCTION revenue_retention(retention_summary) IS
    'Revenue retention over the customers active the period before: starting revenue, expansion, contraction, churned revenue, NRR and GRR, one row per period as retention() gives (the first with no starting revenue and NULL ratios)';
