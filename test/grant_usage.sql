-- pgTAP: the README's quick start for a role that does not own the schema.
-- Without USAGE on schema heartbeat its first query fails with "permission
-- denied for schema heartbeat"; after exactly GRANT USAGE ON SCHEMA
-- heartbeat (and SELECT on its table) its figures equal plain SQL's.
\ir lib/begin.psql
SELECT plan(2);

CREATE TABLE deals AS
SELECT i, CASE WHEN i % 7 = 0 THEN NULL ELSE i % 3 = 0 END AS won, (i % 50) * 10.5 AS amount
  FROM generate_series(1, 500) i;
CREATE ROLE hb_grant_reader NOSUPERUSER NOCREATEDB NOCREATEROLE;
GRANT SELECT ON deals TO hb_grant_reader;
-- What the role gets, as text: its error's SQLSTATE and message, or its figures.
CREATE TEMP TABLE got (step text, result text);
GRANT INSERT ON got TO hb_grant_reader;
CREATE FUNCTION as_reader(step text) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    r text;
BEGIN
    SELECT pg_catalog.concat_ws('|', heartbeat.rate(s), heartbeat.conversions(s), heartbeat.trials(s),
                                heartbeat.mean(t), heartbeat.median(t))
      INTO r
      FROM (SELECT heartbeat.conversion_agg(won) AS s, heartbeat.ticket_agg(amount) AS t FROM public.deals) q;
    INSERT INTO pg_temp.got VALUES (step, r);
EXCEPTION WHEN OTHERS THEN
    INSERT INTO pg_temp.got VALUES (step, SQLSTATE || ' ' || SQLERRM);
END $$;

SET LOCAL ROLE hb_grant_reader;
SELECT as_reader('before');
RESET ROLE;
GRANT USAGE ON SCHEMA heartbeat TO hb_grant_reader;
SET LOCAL ROLE hb_grant_reader;
SELECT as_reader('after');
RESET ROLE;

SELECT is((SELECT result FROM got WHERE step = 'before'), '42501 permission denied for schema heartbeat',
          'without USAGE on the schema the first query fails: permission denied for schema heartbeat');
SELECT is((SELECT result FROM got WHERE step = 'after'),
          (SELECT concat_ws('|', (count(*) FILTER (WHERE won))::float8 / count(won), count(*) FILTER (WHERE won), count(won),
                            avg(amount),
                            percentile_disc(0.5) WITHIN GROUP (ORDER BY amount))
             FROM deals),
          'after GRANT USAGE ON SCHEMA heartbeat alone its figures equal plain SQL''s');
SELECT * FROM finish();
ROLLBACK;
