-- Demo deal generator: deterministic (seeded), realistic enough to read.
--   psql -v n=20000 -v seed=0.42 -f demo/generate.sql
-- It refuses to touch an existing table named deals unless run with
-- -v replace=1 (then it drops and regenerates it).
-- Creates table deals(id, rep, team, customer_id, opened_at, closed_at,
-- amount, won) with:
--   * 12 reps in 3 teams, each with its own skill (base win rate 22%..40%);
--   * max(2,000, n/10) customers, a few of them buying much more often than the rest;
--   * seasonality: more deals opened around the turn of the year, fewer in summer;
--   * a real drop: deals opened in March 2026 win at about 55% of the usual rate
--     (a pricing change that was rolled back in April);
--   * cycle lengths log-normal (median ~25 days won, ~35 days lost);
--   * amounts log-normal (median ~4,800, a long right tail), numeric(12,2);
--   * deals not closed by 2026-11-01 are open: closed_at and won are NULL.
\if :{?n}
\else
\set n 20000
\endif
\if :{?seed}
\else
\set seed 0.42
\endif

-- A table named deals that already exists (the user's own data, perhaps) is
-- never dropped unless asked for with -v replace=1: the script stops first.
SELECT pg_catalog.to_regclass('deals') IS NOT NULL AS deals_exists \gset
\if :deals_exists
\if :{?replace}
DROP TABLE deals;
\else
\set ON_ERROR_STOP 1
DO $$ BEGIN
  RAISE EXCEPTION 'table "deals" already exists'
    USING ERRCODE = 'duplicate_table',
          DETAIL = 'demo/generate.sql creates its own deals table and changes nothing else.',
          HINT = 'Run it in another database or schema, or pass -v replace=1 to drop this deals table and generate a new one.';
END $$;
\quit
\endif
\endif
SELECT setseed(:seed) \gset
CREATE TABLE deals AS
WITH u AS (
    SELECT i, random() u_day, random() u_rep, random() u_cust, random() u_win,
           random() u_len1, random() u_len2, random() u_amt1, random() u_amt2
      FROM generate_series(1, :n) i
), d AS (
    SELECT i, u_win, u_len1, u_len2, u_amt1, u_amt2,
           -- 670 days from 2025-01-01; opening density peaks each January, dips each July
           timestamptz '2025-01-01 09:00+00'
             + (670 * (u_day - 0.35 * 365.0 / 670 * sin(2 * pi() * u_day * 670 / 365.0) / (2 * pi()))) * interval '1 day'
             + (u_rep * 8) * interval '1 hour' AS opened_at,
           1 + floor(u_rep * 12)::int AS rep_no,
           1 + floor(greatest(2000, :n / 10) * u_cust * u_cust)::bigint AS customer_id
      FROM u
), p AS (
    SELECT d.*,
           (0.22 + 0.018 * ((rep_no * 7) % 11))
             * CASE WHEN opened_at >= '2026-03-01' AND opened_at < '2026-04-01' THEN 0.55 ELSE 1 END AS p_win
      FROM d
), o AS (
    SELECT p.*, u_win < p_win AS will_win,
           -- log-normal cycle length in days (Box-Muller)
           exp(CASE WHEN u_win < p_win THEN ln(25) ELSE ln(35) END
               + 0.7 * sqrt(-2 * ln(1 - u_len1)) * cos(2 * pi() * u_len2)) AS cycle_days
      FROM p
)
SELECT i::bigint AS id,
       'rep' || lpad(rep_no::text, 2, '0') AS rep,
       (ARRAY['north', 'south', 'west'])[1 + rep_no % 3] AS team,
       customer_id,
       opened_at,
       CASE WHEN opened_at + cycle_days * interval '1 day' < '2026-11-01'
            THEN opened_at + cycle_days * interval '1 day' END AS closed_at,
       round((exp(ln(4800) + 0.9 * sqrt(-2 * ln(1 - u_amt1)) * cos(2 * pi() * u_amt2)))::numeric, 2)::numeric(12,2) AS amount,
       CASE WHEN opened_at + cycle_days * interval '1 day' < '2026-11-01' THEN will_win END AS won
  FROM o;
ALTER TABLE deals ADD PRIMARY KEY (id);
VACUUM ANALYZE deals;
