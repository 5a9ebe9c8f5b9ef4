-- heartbeat demo: `make demo` runs this on a throwaway cluster.
\set ON_ERROR_STOP 1
\pset footer off
SET client_min_messages = warning;
\echo '== Generating 20,000 demo deals (seeded; see demo/generate.sql) =='
\ir generate.sql
CREATE EXTENSION IF NOT EXISTS heartbeat;
SET search_path = public, heartbeat;
-- Days and months are cut in a named zone (opened_at AT TIME ZONE 'UTC'): a
-- timestamptz's ::date and date_trunc follow the session's TimeZone, so from
-- a client in another zone the same query would move deals between days.

\echo
\echo '== Conversion (win rate) over all closed deals; open deals are not trials =='
SELECT conversions(s), trials(s), round(rate(s)::numeric, 4) AS win_rate,
       round(wilson_lower(s)::numeric, 4) AS ci95_low, round(wilson_upper(s)::numeric, 4) AS ci95_high
  FROM (SELECT conversion_agg(won) AS s FROM deals) q;

\echo
\echo '== Monthly win rate, 95% Wilson interval, and a z-test against the month before =='
\echo '   (a drop is flagged when it is significant at 1%: told apart from noise)'
WITH m AS (
    SELECT date_trunc('month', opened_at AT TIME ZONE 'UTC')::date AS month, conversion_agg(won) AS s
      FROM deals GROUP BY 1
)
SELECT month, trials(s) AS closed, round(rate(s)::numeric, 3) AS win_rate,
       round(wilson_lower(s)::numeric, 3) AS low, round(wilson_upper(s)::numeric, 3) AS high,
       round(c.delta::numeric, 3) AS vs_prev, round(c.p_value::numeric, 4) AS p_value,
       CASE WHEN c.p_value < 0.01 AND c.delta < 0 THEN 'DROP'
            WHEN c.p_value < 0.01 AND c.delta > 0 THEN 'rise' ELSE '' END AS flag
  FROM (SELECT month, s, lag(s) OVER (ORDER BY month) AS prev FROM m) w
  LEFT JOIN LATERAL compare(prev, s) c ON true
 ORDER BY month;

\echo
\echo '== Win rate per rep, with the interval that says how sure we are =='
SELECT rep, team, trials(s) AS closed, round(rate(s)::numeric, 3) AS win_rate,
       round(wilson_lower(s)::numeric, 3) AS low, round(wilson_upper(s)::numeric, 3) AS high
  FROM (SELECT rep, team, conversion_agg(won) AS s FROM deals GROUP BY rep, team) q
 ORDER BY win_rate DESC;

\echo
\echo '== Moving 3-month win rate per team (window with an exact inverse transition) =='
SELECT team, month, round(rate(rollup(s) OVER w)::numeric, 3) AS moving_3m
  FROM (SELECT team, date_trunc('month', opened_at AT TIME ZONE 'UTC')::date AS month, conversion_agg(won) AS s
          FROM deals WHERE opened_at >= '2026-01-01' GROUP BY 1, 2) q
WINDOW w AS (PARTITION BY team ORDER BY month ROWS 2 PRECEDING)
 ORDER BY team, month;

\echo
\echo '== Average ticket (won deals): mean beside median, per month =='
\echo '   (a few huge deals pull the mean up; the median is the typical deal)'
SELECT month, deals(t) AS won, round(mean(t), 2) AS mean_ticket, median(t) AS median_ticket,
       percentile(t, 0.9) AS p90, largest(t) AS largest
  FROM (SELECT date_trunc('month', closed_at AT TIME ZONE 'UTC')::date AS month, ticket_agg(amount) AS t
          FROM deals WHERE won GROUP BY 1) q
 ORDER BY month;

\echo
\echo '== Average and median ticket per rep (one-step aggregates) =='
SELECT rep, count(*) AS won, round(avg_ticket(amount), 2) AS avg_ticket, median_ticket(amount) AS median_ticket
  FROM deals WHERE won GROUP BY rep ORDER BY median_ticket DESC;

\echo
\echo '== Sales cycle per month of opening, as of 2026-11-01 =='
\echo '   naive = mean over closed deals only; survival = Kaplan-Meier, open deals counted as censored'
SELECT month, closed_deals(c) AS closed, open_deals(c) AS open,
       justify_hours(date_trunc('hour', mean(c))) AS naive_mean,
       date_trunc('hour', median(c)) AS naive_median,
       date_trunc('hour', survival_median(c)) AS survival_median,
       round(close_probability(c, '30 days')::numeric, 2) AS p_30d,
       round(close_probability(c, '60 days')::numeric, 2) AS p_60d,
       round(close_probability(c, '90 days')::numeric, 2) AS p_90d
  FROM (SELECT date_trunc('month', opened_at AT TIME ZONE 'UTC')::date AS month,
               cycle_agg(opened_at, closed_at, '2026-11-01') AS c
          FROM deals WHERE opened_at >= '2026-01-01' AND opened_at < '2026-11-01' GROUP BY 1) q
 ORDER BY month;

\echo
\echo '== Customer retention: monthly, with revenue retention (won deals are purchases) =='
CREATE TEMP TABLE ret AS
SELECT retention_agg('month', customer_id, closed_at, 'UTC', amount) AS s FROM deals WHERE won;
SELECT r.period, r.active, r.new, r."returning", r.retained, r.churned,
       round(r.retention_rate::numeric, 3) AS retention, round(r.crr::numeric, 3) AS crr,
       round(v.nrr::numeric, 3) AS nrr, round(v.grr::numeric, 3) AS grr
  FROM retention((SELECT s FROM ret)) r
  LEFT JOIN revenue_retention((SELECT s FROM ret)) v USING (period)
 WHERE r.period >= '2026-01-01'
 ORDER BY r.period;

\echo
\echo '== Cohort triangle by quarter of first purchase: share of the cohort buying k quarters later =='
SELECT cohort, max(cohort_size) AS customers,
       round(max(retention) FILTER (WHERE period_offset = 1)::numeric, 2) AS q1,
       round(max(retention) FILTER (WHERE period_offset = 2)::numeric, 2) AS q2,
       round(max(retention) FILTER (WHERE period_offset = 3)::numeric, 2) AS q3,
       round(max(retention) FILTER (WHERE period_offset = 4)::numeric, 2) AS q4,
       round(max(retention) FILTER (WHERE period_offset = 5)::numeric, 2) AS q5,
       round(max(retention) FILTER (WHERE period_offset = 6)::numeric, 2) AS q6,
       round(max(retention) FILTER (WHERE period_offset = 7)::numeric, 2) AS q7
  FROM cohorts((SELECT retention_agg('quarter', customer_id, closed_at, 'UTC') FROM deals WHERE won))
 GROUP BY cohort ORDER BY cohort;

\echo
\echo '== pulse(): the whole heartbeat in one call (deals count in the month they closed) =='
\echo '   March 2026 deals closed mostly in April: the drop is flagged there.  The first'
\echo '   months hold only the deals that closed fast (a falling z): no alert before 12 months of history'
SELECT period, deals_opened AS opened, deals_closed AS closed, round(conversion_rate::numeric, 3) AS win_rate,
       mean_ticket, median_ticket, round(mean_cycle_days::numeric, 1) AS mean_cycle_days,
       round(survival_cycle_days::numeric, 1) AS survival_cycle_days,
       round(retention_rate::numeric, 3) AS retention, round(conversion_z::numeric, 1) AS z, alert
  FROM pulse('deals', as_of => '2026-11-01');

\echo
\echo '== pulse() per team, 2026 only (computed from 2026 and the look-back its z-scores need) =='
SELECT period, segment_value AS team, deals_closed AS closed, round(conversion_rate::numeric, 3) AS win_rate,
       round(conversion_z::numeric, 1) AS z, alert
  FROM pulse('deals', as_of => '2026-11-01', segment => 'team', since => '2026-01-01', until => '2026-06-30');

\echo
\echo '== The heartbeat as sparklines (all months) =='
SELECT sparkline(conversion_rate ORDER BY period) AS win_rate,
       sparkline(mean_ticket::float8 ORDER BY period) AS mean_ticket,
       sparkline(extract(epoch FROM survival_median_cycle)::float8 ORDER BY period) AS cycle,
       sparkline(retention_rate ORDER BY period) AS retention
  FROM pulse('deals', as_of => '2026-11-01');
\echo 'The win rate again in ASCII (_.-~=+*#), for clients that are not UTF8 (LATIN1, Windows ODBC):'
SELECT sparkline(array_agg(conversion_rate ORDER BY period), ascii => true) AS win_rate
  FROM pulse('deals', as_of => '2026-11-01');

\echo
\echo '== Funnel: how far deals got (1 opened, 2 closed, 3 won) =='
SELECT * FROM stages((SELECT funnel_agg(CASE WHEN won THEN 3 WHEN closed_at IS NOT NULL THEN 2 ELSE 1 END) FROM deals));

\echo
\echo '== Stored summaries: a materialized view per day and rep, rolled up to quarters =='
CREATE MATERIALIZED VIEW daily_rep AS
SELECT (opened_at AT TIME ZONE 'UTC')::date AS day, rep, conversion_agg(won) AS conversion,
       ticket_agg(amount) FILTER (WHERE won) AS ticket,
       cycle_agg(opened_at, closed_at, '2026-11-01') AS cycle
  FROM deals GROUP BY 1, 2;
CREATE UNIQUE INDEX ON daily_rep (day, rep);
SELECT date_trunc('quarter', day)::date AS quarter, rollup(conversion) AS conversion,
       round(rate(rollup(conversion))::numeric, 4) AS win_rate,
       round(mean(rollup(ticket)), 2) AS avg_ticket, median(rollup(ticket)) AS median_ticket,
       date_trunc('hour', survival_median(rollup(cycle))) AS cycle_median
  FROM daily_rep GROUP BY 1 ORDER BY 1;
CREATE TEMP TABLE before_refresh AS SELECT day, rep, ctid AS tid FROM daily_rep;
REFRESH MATERIALIZED VIEW CONCURRENTLY daily_rep;
\echo 'REFRESH MATERIALIZED VIEW CONCURRENTLY over unchanged deals rewrites no row (summaries are byte-identical):'
SELECT count(*) AS rows, count(*) FILTER (WHERE b.tid = d.ctid) AS untouched
  FROM daily_rep d JOIN before_refresh b USING (day, rep);
