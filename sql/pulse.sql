-- pulse(): a hand-worked table of deals, every figure against plain SQL, the
-- alert, other granularities and column names, and the guard rails.
SET TimeZone = 'UTC';
-- Ten deals; pulse() looks at them as of 2026-04-01.
CREATE TABLE pipeline (id integer, opened_at timestamptz, closed_at timestamptz, won boolean,
                    amount numeric, customer_id integer);
INSERT INTO pipeline VALUES
  (1, '2026-01-05', '2026-01-20', true, 100.00, 1),
  (2, '2026-01-10', '2026-02-10', false, 50.00, 2),
  (3, '2026-01-15', '2026-02-14', true, 300.00, 1),
  (4, '2026-02-01', '2026-02-21', true, 200.00, 3),
  (5, '2026-02-03', NULL, NULL, 80.00, 4),                    -- open
  (6, '2026-02-20', '2026-03-22', false, 10.00, 2),
  (7, '2026-03-01', '2026-03-11', true, 120.50, 3),
  (8, '2026-03-05', NULL, NULL, 60.00, 5),                    -- open
  (9, '2026-03-10', '2026-04-15', true, 999.00, 1),           -- closes after as_of: open then
  (10, '2026-04-10', '2026-04-20', true, 5.00, 6);            -- opened after as_of: not seen
-- By hand, per month:
--   opened   Jan 1, 2, 3; Feb 4, 5, 6; Mar 7, 8, 9           -> 3, 3, 3
--   closed   Jan 1; Feb 2, 3, 4; Mar 6, 7                    -> 1, 3, 2, won 1, 2, 1
--   win rate 1, 2/3, 1/2; average ticket of the won: 100.00, 250.00, 120.50
--   mean cycle of the closed: 15 days; (31 + 30 + 20) / 3 = 27 days; (30 + 10) / 2 = 20 days
--   survival median of the deals opened that month (Kaplan-Meier, open ones
--     censored at their age on 2026-04-01): Jan 15, 30, 31 days -> 30 days;
--     Feb 20, 30 days and one open 57 days -> S(30) = 1/3, 30 days; Mar 10
--     days and open 22 and 27 days -> S never reaches 1/2: NULL
--   retention of the won customers by closing month: Jan {1}, Feb {1, 3}
--     (1 retained of 1), Mar {3} (1 retained of 2) -> NULL, 1, 0.5
--   conversion_z: Feb against Jan's 1/1 (pooled rate 1: NULL); Mar's 1/2
--     against 3/4 pooled: (0.5 - 0.75) / sqrt(0.75 * 0.25 / 2) = -0.816497
SELECT period, deals_opened, deals_closed, deals_won, conversion_rate, mean_ticket, mean_cycle,
       mean_cycle_days, retention_rate, round(conversion_z::numeric, 6) AS conversion_z, alert
  FROM pulse('pipeline', as_of => '2026-04-01');
-- The same figures from plain SQL: the median ticket exactly (a handful of
-- amounts, kept exactly), the survival median (a sketch: within 0.4%)
-- against its exact value.
WITH p AS (SELECT * FROM pulse('pipeline', as_of => '2026-04-01')),
     o AS (SELECT date_trunc('month', opened_at)::date AS period, count(*) AS opened
             FROM pipeline WHERE opened_at <= '2026-04-01' GROUP BY 1),
     c AS (SELECT date_trunc('month', closed_at)::date AS period, count(*) AS closed,
                  count(*) FILTER (WHERE won) AS won, count(*) FILTER (WHERE won)::float8 / count(*) AS rate,
                  round(avg(amount) FILTER (WHERE won), 2) AS ticket,
                  percentile_disc(0.5) WITHIN GROUP (ORDER BY amount) FILTER (WHERE won) AS median_ticket,
                  avg(closed_at - opened_at) AS cycle
             FROM pipeline WHERE closed_at <= '2026-04-01' GROUP BY 1),
     -- Wilson score interval at 95%: z = 1.959963984540054.
     w AS (SELECT period, (rate + z * z / (2 * closed) - z * sqrt(rate * (1 - rate) / closed + z * z / (4 * closed * closed))) / (1 + z * z / closed) AS lower,
                          (rate + z * z / (2 * closed) + z * sqrt(rate * (1 - rate) / closed + z * z / (4 * closed * closed))) / (1 + z * z / closed) AS upper
             FROM c, (VALUES (1.959963984540054)) v(z))
SELECT period, p.deals_opened = o.opened AS opened, p.deals_closed = c.closed AS closed, p.deals_won = c.won AS won,
       p.conversion_rate = c.rate AS rate, abs(p.conversion_lower - w.lower) < 1e-12 AS lower,
       abs(p.conversion_upper - w.upper) < 1e-12 AS upper, p.mean_ticket = c.ticket AS ticket,
       p.median_ticket = c.median_ticket AS median_ticket, p.mean_cycle = c.cycle AS cycle
  FROM p JOIN o USING (period) JOIN c USING (period) JOIN w USING (period)
 ORDER BY period;
SELECT period, round(survival_cycle_days::numeric, 1) AS survival_cycle_days,
       abs(survival_cycle_days / 30 - 1) <= 0.004 AS within_0_4_percent_of_30,
       survival_cycle_days = extract(epoch FROM survival_median_cycle) / 86400 AS days_of_the_interval
  FROM pulse('pipeline', as_of => '2026-04-01');
SELECT round(((0.5 - 0.75) / sqrt(0.75 * 0.25 / 2))::numeric, 6) AS march_z;

-- The alert: a month with no win after three at one half, then one with no
-- loss.  April: (0 - 0.5) / sqrt(0.25 / 20) = -4.472136; May against 30 of
-- 80: (1 - 0.375) / sqrt(0.375 * 0.625 / 20) = 5.773503.  By default no
-- alert: a series needs 12 earlier periods (min_history) before one.
CREATE TABLE surge AS
SELECT timestamptz '2026-01-01' + (m - 1) * interval '1 month' AS opened_at,
       timestamptz '2026-01-01' + (m - 1) * interval '1 month' + interval '5 days' AS closed_at,
       CASE WHEN m <= 3 THEN i % 2 = 0 ELSE m = 5 END AS won, 100 AS amount, i AS customer_id
  FROM generate_series(1, 5) m, generate_series(1, 20) i;
SELECT period, deals_closed, deals_won, round(conversion_z::numeric, 6) AS conversion_z, alert
  FROM pulse('surge', as_of => '2026-06-01');
-- With 3: April has 3 earlier periods, 60 trials in its look-back (at least
-- its 20) and 20 x 30 / 60 = 10 expected wins and as many losses (at least
-- 5 each): both months alert.  With alert_z 5, only May does.
SELECT period, alert FROM pulse('surge', as_of => '2026-06-01', min_history => 3);
SELECT period, alert FROM pulse('surge', as_of => '2026-06-01', min_history => 3, alert_z => 5);
SELECT round((-0.5 / sqrt(0.25 / 20))::numeric, 6) AS april, round((0.625 / sqrt(0.375 * 0.625 / 20))::numeric, 6) AS may;

-- By quarter: one period with every deal seen by 2026-04-01.
SELECT period, deals_opened, deals_closed, deals_won, conversion_rate, mean_ticket
  FROM pulse('pipeline', 'quarter', as_of => '2026-04-01');
SELECT count(*) AS opened, count(*) FILTER (WHERE closed_at <= '2026-04-01') AS closed,
       count(*) FILTER (WHERE closed_at <= '2026-04-01' AND won) AS won,
       round(avg(amount) FILTER (WHERE closed_at <= '2026-04-01' AND won), 2) AS avg_ticket
  FROM pipeline WHERE opened_at <= '2026-04-01';
-- A CRM export: dates, integer cents, text accounts, other column names.
CREATE TABLE export AS
SELECT opened_at::date AS opened, closed_at::date AS closed, won AS is_won, (amount * 100)::int AS cents,
       customer_id::text AS account
  FROM pipeline;
SELECT period, deals_opened, deals_closed, deals_won, mean_ticket, retention_rate
  FROM pulse('export', 'month', 'opened', 'closed', 'is_won', 'cents', 'account', '2026-04-01');

-- Segments: one series per team, the deals without a team their own (NULL,
-- last).  East: deals 3, 6, 9; west: 1, 4, 7, 10; no team: 2, 5, 8.
ALTER TABLE pipeline ADD COLUMN team text;
UPDATE pipeline SET team = CASE id % 3 WHEN 0 THEN 'east' WHEN 1 THEN 'west' END;
SELECT period, segment_value, deals_opened, deals_closed, deals_won, conversion_rate, mean_ticket, mean_cycle_days,
       retention_rate
  FROM pulse('pipeline', as_of => '2026-04-01', segment => 'team');
-- A range of periods: February and March only, as in the whole run (March's
-- z-score looks back at January and February, its retention at February).
SELECT period, deals_closed, retention_rate, round(conversion_z::numeric, 6) AS conversion_z
  FROM pulse('pipeline', as_of => '2026-04-01', since => '2026-02-01', until => '2026-03-31');
-- since is a time: periods that start at or after it.
SELECT period FROM pulse('pipeline', as_of => '2026-04-01', since => '2026-01-15');

-- Guard rails: each an ERROR naming what to fix (the PL/pgSQL context,
-- line numbers in pulse()'s body, is left out).
\set SHOW_CONTEXT never
SELECT * FROM pulse('pipeline', 'fortnight');
SELECT * FROM pulse('pipeline', opened_at => 'created_at');
SELECT * FROM pulse('pipeline', won => 'amount');
SELECT * FROM pulse('pipeline', segment => 'region');
SELECT * FROM pulse('pipeline', segment => 'opened_at');
SELECT * FROM pulse('pipeline', since => '2026-03-01', until => '2026-02-01');
SELECT * FROM pulse('pipeline', alert_z => 0);
SELECT * FROM pulse('pipeline', min_history => -1);
