-- Every object of the extension with what defines it, one line each,
-- sorted: two databases whose heartbeat was installed differently (fresh,
-- or an older version then ALTER EXTENSION UPDATE) must print the same.
SELECT pg_describe_object(d.classid, d.objid, d.objsubid) || ' | ' ||
       coalesce(obj_description(d.objid, d.classid::regclass::name), '(no comment)') || ' | ' ||
       coalesce(CASE d.classid
         WHEN 'pg_proc'::regclass THEN
           (SELECT concat_ws(' ', p.prokind, p.prorettype::regtype, p.proretset, p.provolatile, p.proparallel,
                             p.proisstrict, p.prosecdef, p.proleakproof, p.procost, p.prorows, p.proconfig,
                             p.proargnames, p.proargmodes, pg_get_expr(p.proargdefaults, 0), p.probin,
                             md5(p.prosrc), p.prosupport, p.proacl, p.proowner = e.extowner,
                             (SELECT concat_ws(' ', a.aggkind, a.aggnumdirectargs, a.aggtransfn, a.aggfinalfn,
                                               a.aggcombinefn, a.aggserialfn, a.aggdeserialfn, a.aggmtransfn,
                                               a.aggminvtransfn, a.aggmfinalfn, a.aggfinalextra, a.aggmfinalextra,
                                               a.aggfinalmodify, a.aggmfinalmodify, a.aggsortop,
                                               a.aggtranstype::regtype, a.aggtransspace, a.aggmtranstype::regtype,
                                               a.aggmtransspace, a.agginitval, a.aggminitval)
                                FROM pg_aggregate a WHERE a.aggfnoid = p.oid))
              FROM pg_proc p WHERE p.oid = d.objid)
         WHEN 'pg_type'::regclass THEN
           (SELECT concat_ws(' ', t.typlen, t.typbyval, t.typtype, t.typcategory, t.typinput, t.typoutput,
                             t.typreceive, t.typsend, t.typmodin, t.typanalyze, t.typalign, t.typstorage,
                             t.typelem::regtype, t.typarray::regtype, t.typacl, t.typowner = e.extowner)
              FROM pg_type t WHERE t.oid = d.objid)
         WHEN 'pg_operator'::regclass THEN
           (SELECT concat_ws(' ', o.oprkind, o.oprleft::regtype, o.oprright::regtype, o.oprresult::regtype,
                             o.oprcode::regprocedure, o.oprcom::regoperator, o.oprnegate::regoperator,
                             o.oprrest, o.oprjoin, o.oprcanmerge, o.oprcanhash, o.oprowner = e.extowner)
              FROM pg_operator o WHERE o.oid = d.objid)
         WHEN 'pg_opclass'::regclass THEN
           (SELECT concat_ws(' ', am.amname, c.opcintype::regtype, c.opcdefault, c.opckeytype,
                             c.opcowner = e.extowner,
                             (SELECT pg_describe_object('pg_opfamily'::regclass, c.opcfamily, 0)))
              FROM pg_opclass c JOIN pg_am am ON am.oid = c.opcmethod WHERE c.oid = d.objid)
         -- an operator family with its members (operators and support functions)
         WHEN 'pg_opfamily'::regclass THEN
           (SELECT concat_ws(' ', am.amname, f.opfowner = e.extowner,
                             (SELECT string_agg(concat_ws(' ', o.amopstrategy, o.amoplefttype::regtype,
                                                          o.amoprighttype::regtype, o.amoppurpose,
                                                          o.amopopr::regoperator, o.amopsortfamily),
                                                ', ' ORDER BY o.amopstrategy, o.amoplefttype, o.amoprighttype)
                                FROM pg_amop o WHERE o.amopfamily = f.oid),
                             (SELECT string_agg(concat_ws(' ', p.amprocnum, p.amproclefttype::regtype,
                                                          p.amprocrighttype::regtype, p.amproc::regprocedure),
                                                ', ' ORDER BY p.amprocnum, p.amproclefttype, p.amprocrighttype)
                                FROM pg_amproc p WHERE p.amprocfamily = f.oid))
              FROM pg_opfamily f JOIN pg_am am ON am.oid = f.opfmethod WHERE f.oid = d.objid)
         END, '')
  FROM pg_depend d
  JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'heartbeat'
 WHERE d.refclassid = 'pg_extension'::regclass AND d.deptype = 'e'
 ORDER BY 1;
