-- ---------------------------------------------------------------------------
-- What every summary type has alike: equality and hashing.  Two summaries
-- of a type are equal when their canonical bytes are the same (what `*=`
-- and REFRESH MATERIALIZED VIEW CONCURRENTLY compare); equal content has
-- equal bytes, so equal summaries have the same text.  = and <> are
-- PostgreSQL's kind of equality (HASHES, not MERGES: summaries have no
-- order), and a hash operator class makes SELECT DISTINCT, UNION, GROUP BY
-- and hash joins work.  One C function per role serves every type.
-- A new family's type gets its block here, as the others.
-- ---------------------------------------------------------------------------

-- @SUMMARY_EQ@ = 'True when both summaries have the same canonical bytes (so the same text): the function of ='
-- @SUMMARY_NE@ = 'True when the summaries'' canonical bytes differ: the function of <>'
-- @SUMMARY_HASH@ = 'Hash of a summary''s canonical bytes: support function 1 of its hash operator class'
-- @SUMMARY_HASH_EXTENDED@ = 'Hash of a summary''s canonical bytes with a 64-bit seed: support function 2 of its hash operator class'
-- @SUMMARY_EQ_OP@ = 'Summaries are equal when their canonical bytes are the same: the same rows, in any order or split, give equal summaries'
-- @SUMMARY_NE_OP@ = 'Summaries differ when their canonical bytes differ'
-- @SUMMARY_OPS@ = 'Hashes summaries by their canonical bytes, for SELECT DISTINCT, UNION, GROUP BY and hash joins'

-- conversion_summary
CREATE FUNCTION summary_eq(conversion_summary, conversion_summary) RETURNS boolean
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION summary_ne(conversion_summary, conversion_summary) RETURNS boolean
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION summary_hash(conversion_summary) RETURNS integer
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION summary_hash_extended(conversion_summary, bigint) RETURNS bigint
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION summary_eq(conversion_summary, conversion_summary) IS
    @SUMMARY_EQ@;
COMMENT ON FUNCTION summary_ne(conversion_summary, conversion_summary) IS
    @SUMMARY_NE@;
COMMENT ON FUNCTION summary_hash(conversion_summary) IS
    @SUMMARY_HASH@;
COMMENT ON FUNCTION summary_hash_extended(conversion_summary, bigint) IS
    @SUMMARY_HASH_EXTENDED@;

CREATE OPERATOR = (
    LEFTARG = conversion_summary, RIGHTARG = conversion_summary, FUNCTION = summary_eq,
    COMMUTATOR = =, NEGATOR = <>,
    RESTRICT = pg_catalog.eqsel, JOIN = pg_catalog.eqjoinsel, HASHES
);
CREATE OPERATOR <> (
    LEFTARG = conversion_summary, RIGHTARG = conversion_summary, FUNCTION = summary_ne,
    COMMUTATOR = <>, NEGATOR = =,
    RESTRICT = pg_catalog.neqsel, JOIN = pg_catalog.neqjoinsel
);
CREATE OPERATOR CLASS conversion_summary_ops DEFAULT FOR TYPE conversion_summary USING hash AS
    OPERATOR 1 = (conversion_summary, conversion_summary),
    FUNCTION 1 summary_hash(conversion_summary),
    FUNCTION 2 summary_hash_extended(conversion_summary, bigint);

COMMENT ON OPERATOR = (conversion_summary, conversion_summary) IS
    @SUMMARY_EQ_OP@;
COMMENT ON OPERATOR <> (conversion_summary, conversion_summary) IS
    @SUMMARY_NE_OP@;
COMMENT ON OPERATOR CLASS conversion_summary_ops USING hash IS
    @SUMMARY_OPS@;

-- ticket_summary
CREATE FUNCTION summary_eq(ticket_summary, ticket_summary) RETURNS boolean
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION summary_ne(ticket_summary, ticket_summary) RETURNS boolean
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION summary_hash(ticket_summary) RETURNS integer
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION summary_hash_extended(ticket_summary, bigint) RETURNS bigint
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION summary_eq(ticket_summary, ticket_summary) IS
    @SUMMARY_EQ@;
COMMENT ON FUNCTION summary_ne(ticket_summary, ticket_summary) IS
    @SUMMARY_NE@;
COMMENT ON FUNCTION summary_hash(ticket_summary) IS
    @SUMMARY_HASH@;
COMMENT ON FUNCTION summary_hash_extended(ticket_summary, bigint) IS
    @SUMMARY_HASH_EXTENDED@;

CREATE OPERATOR = (
    LEFTARG = ticket_summary, RIGHTARG = ticket_summary, FUNCTION = summary_eq,
    COMMUTATOR = =, NEGATOR = <>,
    RESTRICT = pg_catalog.eqsel, JOIN = pg_catalog.eqjoinsel, HASHES
);
CREATE OPERATOR <> (
    LEFTARG = ticket_summary, RIGHTARG = ticket_summary, FUNCTION = summary_ne,
    COMMUTATOR = <>, NEGATOR = =,
    RESTRICT = pg_catalog.neqsel, JOIN = pg_catalog.neqjoinsel
);
CREATE OPERATOR CLASS ticket_summary_ops DEFAULT FOR TYPE ticket_summary USING hash AS
    OPERATOR 1 = (ticket_summary, ticket_summary),
    FUNCTION 1 summary_hash(ticket_summary),
    FUNCTION 2 summary_hash_extended(ticket_summary, bigint);

COMMENT ON OPERATOR = (ticket_summary, ticket_summary) IS
    @SUMMARY_EQ_OP@;
COMMENT ON OPERATOR <> (ticket_summary, ticket_summary) IS
    @SUMMARY_NE_OP@;
COMMENT ON OPERATOR CLASS ticket_summary_ops USING hash IS
    @SUMMARY_OPS@;

-- cycle_summary
CREATE FUNCTION summary_eq(cycle_summary, cycle_summary) RETURNS boolean
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION summary_ne(cycle_summary, cycle_summary) RETURNS boolean
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION summary_hash(cycle_summary) RETURNS integer
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION summary_hash_extended(cycle_summary, bigint) RETURNS bigint
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION summary_eq(cycle_summary, cycle_summary) IS
    @SUMMARY_EQ@;
COMMENT ON FUNCTION summary_ne(cycle_summary, cycle_summary) IS
    @SUMMARY_NE@;
COMMENT ON FUNCTION summary_hash(cycle_summary) IS
    @SUMMARY_HASH@;
COMMENT ON FUNCTION summary_hash_extended(cycle_summary, bigint) IS
    @SUMMARY_HASH_EXTENDED@;

CREATE OPERATOR = (
    LEFTARG = cycle_summary, RIGHTARG = cycle_summary, FUNCTION = summary_eq,
    COMMUTATOR = =, NEGATOR = <>,
    RESTRICT = pg_catalog.eqsel, JOIN = pg_catalog.eqjoinsel, HASHES
);
CREATE OPERATOR <> (
    LEFTARG = cycle_summary, RIGHTARG = cycle_summary, FUNCTION = summary_ne,
    COMMUTATOR = <>, NEGATOR = =,
    RESTRICT = pg_catalog.neqsel, JOIN = pg_catalog.neqjoinsel
);
CREATE OPERATOR CLASS cycle_summary_ops DEFAULT FOR TYPE cycle_summary USING hash AS
    OPERATOR 1 = (cycle_summary, cycle_summary),
    FUNCTION 1 summary_hash(cycle_summary),
    FUNCTION 2 summary_hash_extended(cycle_summary, bigint);

COMMENT ON OPERATOR = (cycle_summary, cycle_summary) IS
    @SUMMARY_EQ_OP@;
COMMENT ON OPERATOR <> (cycle_summary, cycle_summary) IS
    @SUMMARY_NE_OP@;
COMMENT ON OPERATOR CLASS cycle_summary_ops USING hash IS
    @SUMMARY_OPS@;

-- retention_summary
CREATE FUNCTION summary_eq(retention_summary, retention_summary) RETURNS boolean
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION summary_ne(retention_summary, retention_summary) RETURNS boolean
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION summary_hash(retention_summary) RETURNS integer
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION summary_hash_extended(retention_summary, bigint) RETURNS bigint
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION summary_eq(retention_summary, retention_summary) IS
    @SUMMARY_EQ@;
COMMENT ON FUNCTION summary_ne(retention_summary, retention_summary) IS
    @SUMMARY_NE@;
COMMENT ON FUNCTION summary_hash(retention_summary) IS
    @SUMMARY_HASH@;
COMMENT ON FUNCTION summary_hash_extended(retention_summary, bigint) IS
    @SUMMARY_HASH_EXTENDED@;

CREATE OPERATOR = (
    LEFTARG = retention_summary, RIGHTARG = retention_summary, FUNCTION = summary_eq,
    COMMUTATOR = =, NEGATOR = <>,
    RESTRICT = pg_catalog.eqsel, JOIN = pg_catalog.eqjoinsel, HASHES
);
CREATE OPERATOR <> (
    LEFTARG = retention_summary, RIGHTARG = retention_summary, FUNCTION = summary_ne,
    COMMUTATOR = <>, NEGATOR = =,
    RESTRICT = pg_catalog.neqsel, JOIN = pg_catalog.neqjoinsel
);
CREATE OPERATOR CLASS retention_summary_ops DEFAULT FOR TYPE retention_summary USING hash AS
    OPERATOR 1 = (retention_summary, retention_summary),
    FUNCTION 1 summary_hash(retention_summary),
    FUNCTION 2 summary_hash_extended(retention_summary, bigint);

COMMENT ON OPERATOR = (retention_summary, retention_summary) IS
    @SUMMARY_EQ_OP@;
COMMENT ON OPERATOR <> (retention_summary, retention_summary) IS
    @SUMMARY_NE_OP@;
COMMENT ON OPERATOR CLASS retention_summary_ops USING hash IS
    @SUMMARY_OPS@;

-- funnel_summary
CREATE FUNCTION summary_eq(funnel_summary, funnel_summary) RETURNS boolean
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION summary_ne(funnel_summary, funnel_summary) RETURNS boolean
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION summary_hash(funnel_summary) RETURNS integer
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION summary_hash_extended(funnel_summary, bigint) RETURNS bigint
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION summary_eq(funnel_summary, funnel_summary) IS
    @SUMMARY_EQ@;
COMMENT ON FUNCTION summary_ne(funnel_summary, funnel_summary) IS
    @SUMMARY_NE@;
COMMENT ON FUNCTION summary_hash(funnel_summary) IS
    @SUMMARY_HASH@;
COMMENT ON FUNCTION summary_hash_extended(funnel_summary, bigint) IS
    @SUMMARY_HASH_EXTENDED@;

CREATE OPERATOR = (
    LEFTARG = funnel_summary, RIGHTARG = funnel_summary, FUNCTION = summary_eq,
    COMMUTATOR = =, NEGATOR = <>,
    RESTRICT = pg_catalog.eqsel, JOIN = pg_catalog.eqjoinsel, HASHES
);
CREATE OPERATOR <> (
    LEFTARG = funnel_summary, RIGHTARG = funnel_summary, FUNCTION = summary_ne,
    COMMUTATOR = <>, NEGATOR = =,
    RESTRICT = pg_catalog.neqsel, JOIN = pg_catalog.neqjoinsel
);
CREATE OPERATOR CLASS funnel_summary_ops DEFAULT FOR TYPE funnel_summary USING hash AS
    OPERATOR 1 = (funnel_summary, funnel_summary),
    FUNCTION 1 summary_hash(funnel_summary),
    FUNCTION 2 summary_hash_extended(funnel_summary, bigint);

COMMENT ON OPERATOR = (funnel_summary, funnel_summary) IS
    @SUMMARY_EQ_OP@;
COMMENT ON OPERATOR <> (funnel_summary, funnel_summary) IS
    @SUMMARY_NE_OP@;
COMMENT ON OPERATOR CLASS funnel_summary_ops USING hash IS
    @SUMMARY_OPS@;
