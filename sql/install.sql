-- Installing heartbeat, and what its catalogue entries promise.
CREATE EXTENSION heartbeat;
SELECT extversion, nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
 WHERE extname = 'heartbeat';
DO $$ BEGIN EXECUTE format('ALTER DATABASE %I SET search_path = public, heartbeat', current_database()); END $$;

-- The objects of the extension.
CREATE TEMP VIEW hb_functions AS
SELECT p.oid, p.proname, p.prokind, p.proparallel, p.provolatile, p.proisstrict,
       p.oid::regprocedure AS signature
  FROM pg_proc p JOIN pg_depend d ON d.objid = p.oid AND d.classid = 'pg_proc'::regclass
 WHERE d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'heartbeat') AND d.deptype = 'e';

-- Every function and aggregate is PARALLEL SAFE, except the four that write
-- tables (track(), untrack(), compact() and the trigger), and has a comment.
SELECT signature, proparallel FROM hb_functions WHERE proparallel <> 's';
SELECT signature FROM hb_functions WHERE obj_description(oid, 'pg_proc') IS NULL;
-- Every type has a comment (not the array types PostgreSQL makes for them,
-- nor the row type of the view tracked, which has its own: 17 and later
-- also record those as members of the extension).
SELECT t.typname FROM pg_type t JOIN pg_depend d ON d.objid = t.oid AND d.classid = 'pg_type'::regclass
 WHERE d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'heartbeat') AND d.deptype = 'e'
   AND t.typcategory <> 'A' AND t.typrelid = 0 AND obj_description(t.oid, 'pg_type') IS NULL;
-- ... and every relation (the view tracked).
SELECT c.relname FROM pg_class c JOIN pg_depend d ON d.objid = c.oid AND d.classid = 'pg_class'::regclass
 WHERE d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'heartbeat') AND d.deptype = 'e'
   AND obj_description(c.oid, 'pg_class') IS NULL;

-- Aggregates: concrete state with text I/O, a combine function, no built-in
-- aggregate name (Citus matches those by name), moving-window support listed.
SELECT f.signature, a.aggtranstype::regtype AS stype, a.aggcombinefn <> 0 AS has_combine,
       a.aggminvtransfn <> 0 AS has_inverse,
       t.typinput <> 0 AND t.typoutput <> 0 AND t.typtype = 'b' AND t.oid <> 'internal'::regtype AS concrete
  FROM hb_functions f JOIN pg_aggregate a ON a.aggfnoid = f.oid
  JOIN pg_type t ON t.oid = a.aggtranstype
 ORDER BY f.signature::text;
SELECT f.signature FROM hb_functions f
 WHERE f.prokind = 'a'
   AND f.proname IN (SELECT proname FROM pg_proc WHERE prokind = 'a'
                      AND pronamespace = 'pg_catalog'::regnamespace);

-- Every summary type: = and <> as PostgreSQL's own equality (hashable, not
-- mergeable, its own commutator, the other its negator) and a default hash
-- operator class; each with a comment.
SELECT o.oprleft::regtype AS type, o.oprname, o.oprright = o.oprleft AS same_type, o.oprcode,
       o.oprcanhash AS hashes, o.oprcanmerge AS merges, o.oprcom = o.oid AS own_commutator,
       n.oprname AS negator, n.oprnegate = o.oid AS mutual, o.oprrest, o.oprjoin,
       obj_description(o.oid, 'pg_operator') IS NOT NULL AS commented
  FROM pg_operator o JOIN pg_depend d ON d.objid = o.oid AND d.classid = 'pg_operator'::regclass
  LEFT JOIN pg_operator n ON n.oid = o.oprnegate
 WHERE d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'heartbeat') AND d.deptype = 'e'
 ORDER BY o.oprleft::regtype::text, o.oprname;
SELECT c.opcintype::regtype AS type, c.opcname, am.amname, c.opcdefault,
       (SELECT string_agg(a.amopstrategy || ' ' || a.amopopr::regoperator, ', ') FROM pg_amop a
         WHERE a.amopfamily = c.opcfamily) AS operators,
       (SELECT string_agg(p.amprocnum || ' ' || p.amproc::regprocedure, ', ' ORDER BY p.amprocnum) FROM pg_amproc p
         WHERE p.amprocfamily = c.opcfamily) AS support,
       obj_description(c.oid, 'pg_opclass') IS NOT NULL AS commented
  FROM pg_opclass c JOIN pg_am am ON am.oid = c.opcmethod
  JOIN pg_depend d ON d.objid = c.oid AND d.classid = 'pg_opclass'::regclass
 WHERE d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'heartbeat') AND d.deptype = 'e'
 ORDER BY c.opcintype::regtype::text;
