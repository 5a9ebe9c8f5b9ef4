-- The sales-cycle family: hand-worked Kaplan-Meier, as_of, dates, bad rows, I/O.
-- Every duration below is whole days (timestamps at midnight UTC), so the
-- summaries are day summaries: every figure is exact, in whole days.
SET TimeZone = 'UTC';
-- Five deals closed after 2, 3, 3, 5 and 8 days; three open at as_of
-- (2026-01-20) aged 3, 4 and 6 days (one of them closes later, on 1 Feb);
-- one opened after as_of (ignored); one closed before it opened and one
-- with an infinite close (both skipped).
CREATE TABLE km (opened timestamptz, closed timestamptz);
INSERT INTO km VALUES
  ('2026-01-01', '2026-01-03'), ('2026-01-01', '2026-01-04'), ('2026-01-02', '2026-01-05'),
  ('2026-01-01', '2026-01-06'), ('2026-01-01', '2026-01-09'),
  ('2026-01-17', NULL), ('2026-01-16', '2026-02-01'), ('2026-01-14', NULL),
  ('2026-01-25', '2026-01-26'),
  ('2026-01-10', '2026-01-08'), ('2026-01-10', 'infinity');
SELECT closed_deals(s), open_deals(s), skipped(s), mean(s), median(s)
  FROM (SELECT cycle_agg(opened, closed, '2026-01-20') s FROM km) q;
-- By hand, product-limit, events before censorings at a tie (day 3):
--   day 2: 1 of 8 at risk closes       S = 7/8           = 0.875
--   day 3: 2 of 7 close, 1 censored    S = 0.875 * 5/7   = 0.625
--   day 4: 1 censored
--   day 5: 1 of 3 closes               S = 0.625 * 2/3   = 0.416667
--   day 6: 1 censored
--   day 8: 1 of 1 closes               S = 0
-- survival median: first day with S <= 0.5 is day 5; 30%: day 3; 90%: day 8.
-- close_probability counts the deals closed at the horizon itself: by 2
-- days 1/8, by 3 days 3/8 (and 5 days 12 hours is day 5).
SELECT survival_median(s), survival_percentile(s, 0.3) p30, survival_percentile(s, 0.9) p90,
       round(close_probability(s, '1 day')::numeric, 6) AS by_1d,
       round(close_probability(s, '2 days')::numeric, 6) AS by_2d,
       round(close_probability(s, '3 days')::numeric, 6) AS by_3d,
       round(close_probability(s, '4 days')::numeric, 6) AS by_4d,
       round(close_probability(s, '5 days 12 hours')::numeric, 6) AS by_5d12h,
       round(close_probability(s, '1 month')::numeric, 6) AS by_1mon
  FROM (SELECT cycle_agg(opened, closed, '2026-01-20') s FROM km) q;
-- The naive figures over closed deals only (what the issue warns about):
SELECT percentile_disc(0.5) WITHIN GROUP (ORDER BY closed - opened) AS naive_median,
       avg(closed - opened) AS naive_mean
  FROM km WHERE closed <= '2026-01-20' AND closed >= opened;
-- Without as_of: closed deals only; NULL closes ignored, bad rows skipped.
SELECT closed_deals(s), open_deals(s), skipped(s), mean(s), survival_median(s)
  FROM (SELECT cycle_agg(opened, closed) s FROM km) q;
-- A curve that never reaches the share asked: NULL.
SELECT survival_percentile(cycle_agg(opened, closed, '2026-01-20'), 0.99) FROM km WHERE closed IS NULL OR opened > '2026-01-05';

-- Horizons count months and years as extract(epoch from interval) does: a
-- month is 30 days, a year 365.25 days (months / 12 whole years, the rest
-- 30 days each).  Deals closed after 29, 30, 31, 365 and 366 days:
SELECT round(close_probability(s, '1 month')::numeric, 2) AS by_1mon,
       round(close_probability(s, '30 days')::numeric, 2) AS by_30d,
       round(close_probability(s, '1 year')::numeric, 2) AS by_1y,
       round(close_probability(s, '365 days 6 hours')::numeric, 2) AS by_365d6h,
       round(close_probability(s, '1 year 1 month')::numeric, 2) AS by_1y1mon,
       round(close_probability(s, '-1 day')::numeric, 2) AS by_minus_1d
  FROM (SELECT cycle_agg(o, o + d) s FROM (VALUES (date '2025-01-01'), ('2025-03-01')) v(o),
                                         unnest('{29, 30, 31, 365, 366}'::int[]) d) q;

-- Dates: whole days, whatever the TimeZone, across a DST change.
CREATE TABLE dd (opened date, closed date);
INSERT INTO dd VALUES ('2026-03-27', '2026-03-30'), ('2026-10-24', '2026-10-27'), ('2026-03-01', NULL);
SET TimeZone = 'Europe/Lisbon';
SELECT mean(s), median(s), closed_deals(s) FROM (SELECT cycle_agg(opened, closed) s FROM dd) q;
SELECT cycle_agg(opened, closed)::text = (SELECT cycle_agg(opened, closed)::text FROM dd) AS same FROM dd;
SET TimeZone = 'America/Sao_Paulo';
SELECT mean(s), closed_deals(s), open_deals(s) FROM (SELECT cycle_agg(opened, closed, date '2026-11-01') s FROM dd) q;
SELECT avg_cycle(opened, closed), median_cycle(opened, closed) FROM dd;
SET TimeZone = 'UTC';

-- Timestamps keep a day summary only while every duration is whole days:
-- one deal of 2 days and 1 second makes a sketch summary (the figures then
-- within 0.4%, rounded to the second).  A day summary merged with a sketch
-- summary is a sketch summary: the very one of all their rows.
CREATE TABLE frac AS SELECT * FROM km WHERE closed >= opened AND closed < 'infinity';
INSERT INTO frac VALUES ('2026-01-01', '2026-01-03 00:00:01');
SELECT s::text ~ '"days":' AS day_summary, median(s), survival_median(s)
  FROM (SELECT cycle_agg(opened, closed) s FROM frac) q;
SELECT rollup(s)::text = (SELECT cycle_agg(opened, closed) FROM frac)::text AS merged_as_all_rows
  FROM (SELECT cycle_agg(opened, closed) s FROM frac WHERE closed - opened <> '2 days 1 second'
        UNION ALL SELECT cycle_agg(opened, closed) FROM frac WHERE closed - opened = '2 days 1 second') q;

-- Empty input.
SELECT s, mean(s), median(s), survival_median(s), close_probability(s, '1 day')
  FROM (SELECT cycle_agg(opened, closed) s FROM km WHERE false) q;
SELECT avg_cycle(opened, closed), median_cycle(opened, closed) FROM km WHERE false;

-- avg_cycle equals avg(closed - opened), also as a moving window.
SELECT avg_cycle(opened, closed) = avg(closed - opened) AS same FROM km WHERE closed >= opened AND closed < 'infinity';
SELECT count(*) AS rows, count(*) FILTER (WHERE a = b) AS equal
  FROM (SELECT avg_cycle(o, c) OVER w a, avg(c - o) OVER w b
          FROM (SELECT i, o, o + (abs(hashint4(i * 7)) % 10000000) * interval '1 second' + interval '0.000001 s' * (i % 3) c
                  FROM generate_series(1, 2000) i,
                       LATERAL (SELECT timestamptz '2026-01-01' + (abs(hashint4(i)) % 100000) * interval '1 minute' o) x) d
        WINDOW w AS (ORDER BY i ROWS BETWEEN 10 PRECEDING AND CURRENT ROW)) q;

-- Text and binary forms.
SELECT s FROM (SELECT cycle_agg(opened, closed, '2026-01-20') s FROM km) q;
SELECT s::text::cycle_summary::text = s::text AS round_trip,
       cycle_summary_send(s::text::cycle_summary) = cycle_summary_send(s) AS same_binary
  FROM (SELECT cycle_agg(opened, closed, '2026-01-20') s FROM km) q;
CREATE TABLE csums AS SELECT 1 k, cycle_agg(opened, closed, '2026-01-20') s FROM km
  UNION ALL SELECT 2, cycle_agg(opened, closed) FROM km WHERE false
  UNION ALL SELECT 3, cycle_trans('{"version":1,"closed":0,"open":0,"skipped":0,"sum_us":0,"sum_days":0,"sketches":null}', timestamptz '2026-01-01', timestamptz '2026-01-02');
\copy csums TO 'results/cycle.bin' WITH (FORMAT binary)
CREATE TABLE cback (LIKE csums);
\copy cback FROM 'results/cycle.bin' WITH (FORMAT binary)
SELECT k, (SELECT x *= y FROM (SELECT a.s) x, (SELECT b.s) y) AS same_bytes FROM csums a JOIN cback b USING (k) ORDER BY k;

-- Bad input.
SELECT cycle_agg(opened, closed, 'infinity') FROM km;
SELECT percentile(cycle_agg(opened, closed), 2) FROM km;
SELECT median(s) FROM csums WHERE k = 3;
SELECT '{"version":1,"closed":-1,"open":0,"skipped":0,"sum_us":0,"sum_days":0,"sketches":"AAAAAAAA"}'::cycle_summary;
SELECT '{"version":1,"closed":1,"open":0,"skipped":0,"sum_us":5,"sum_days":0,"sketches":"AAAAAAAA"}'::cycle_summary;
SELECT '{"version":1,"closed":0,"open":0,"skipped":0,"sum_us":5,"sum_days":0,"sketches":"AAAAAAAA"}'::cycle_summary;
SELECT '{"version":1,"closed":0,"open":0,"skipped":0,"sum_us":-5,"sum_days":0,"sketches":"AAAAAAAA"}'::cycle_summary;
SELECT '{"version":2,"closed":0,"open":0,"skipped":0,"sum_us":0,"sum_days":0,"sketches":"AAAAAAAA"}'::cycle_summary;
SELECT 'cycle'::cycle_summary;
-- Day histograms are checked against the counts and sums: deals closed
-- after 2 and 3 days read back; with another sum of days, or another count,
-- they are refused.
SELECT '{"version":1,"closed":2,"open":0,"skipped":0,"sum_us":432000000000,"sum_days":5,"days":"AgIBAAEA"}'::cycle_summary;
SELECT '{"version":1,"closed":2,"open":0,"skipped":0,"sum_us":518400000000,"sum_days":6,"days":"AgIBAAEA"}'::cycle_summary;
SELECT '{"version":1,"closed":3,"open":0,"skipped":0,"sum_us":432000000000,"sum_days":5,"days":"AgIBAAEA"}'::cycle_summary;
SELECT '{"version":1,"closed":2,"open":0,"skipped":0,"sum_us":432000000000,"sum_days":5,"days":"AgIBAA=="}'::cycle_summary;
