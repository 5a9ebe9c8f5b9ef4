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
    AS 'MODULE_PATHNAME', 'sparkline' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
-- An overload, not a DEFAULT on the one above: a second sparkline(double
-- precision[]) reachable through a default would make every one-argument
-- call ambiguous, and replacing the one-argument function would break the
-- views that use it.
CREATE FUNCTION sparkline(double precision[], ascii boolean) RETURNS text
    AS 'MODULE_PATHNAME', 'sparkline_ascii' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION sparkline_trans(double precision[], double precision) RETURNS double precision[]
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION sparkline(double precision[]) IS
    'One block character (▁ to █) per value, scaled between the minimum and maximum; NULL is a space, a constant series a flat middle line';
COMMENT ON FUNCTION sparkline(double precision[], boolean) IS
    'sparkline(values, ascii => true): the same eight levels drawn with the ASCII characters _.-~=+*# (for clients whose encoding lacks the blocks, such as LATIN1); with ascii false, the blocks';
COMMENT ON FUNCTION sparkline_trans(double precision[], double precision) IS
    'Transition function of the sparkline aggregate: appends one value (NULL too)';

-- The transition is heartbeat's own: the polymorphic array_append cannot
-- tell its element type when called without the call site (Citus's
-- worker_partial_agg).  pg_catalog is qualified: an exact-typed
-- array_cat in a pre-existing heartbeat schema would otherwise win over the
-- polymorphic built-in.
CREATE AGGREGATE sparkline(value double precision) (
    SFUNC = sparkline_trans,
    STYPE = double precision[],
    FINALFUNC = sparkline,
    COMBINEFUNC = pg_catalog.array_cat,
    PARALLEL = SAFE
);

COMMENT ON AGGREGATE sparkline(double precision) IS
    'Sparkline of the values in the order given: sparkline(rate ORDER BY month)';
