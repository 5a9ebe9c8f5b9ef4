-- The ticket family: hand-worked values, exactness, I/O and bad input.
-- Hand-worked: 100.00, 250.50, 80, NULL, 1000.25.  Four distinct amounts:
-- the summary keeps them exactly ("amounts", each with its count, in base64).
SELECT t, deals(t), total(t), mean(t), smallest(t), largest(t), round(stddev_amount(t)::numeric, 6) sd
  FROM (SELECT ticket_agg(x) t FROM (VALUES (100.00), (250.50), (80), (NULL), (1000.25)) v(x)) q;
-- mean = 1430.75 / 4 = 357.6875 (scale 2 -> avg's scale rules: 357.6875000000000000)
SELECT avg_ticket(x), avg(x), avg_ticket(x) = avg(x) AS same
  FROM (VALUES (100.00), (250.50), (80), (NULL), (1000.25)) v(x);
-- stddev by hand: deviations from 357.6875 are -257.6875, -107.1875,
-- -277.6875, 642.5625; squares sum to 567888.921875; / 3 = 189296.307292,
-- sqrt = 435.081955.
SELECT round(stddev_samp(x)::numeric, 6) FROM (VALUES (100.00), (250.50), (80), (1000.25)) v(x);

-- Percentiles of 1..100: 100 distinct amounts, kept exactly, so exactly
-- percentile_disc's: 90 at 0.9.
SELECT percentile(t, 0.9), median(t), percentiles(t, '{0, 0.25, 0.5, 0.75, 1, NULL}')
  FROM (SELECT ticket_agg(i) t FROM generate_series(1, 100) i) q;
SELECT percentile_disc(ARRAY[0, 0.25, 0.5, 0.75, 1]) WITHIN GROUP (ORDER BY i) FROM generate_series(1, 100) i;
SELECT median_ticket(i), percentile_disc(0.5) WITHIN GROUP (ORDER BY i) FROM generate_series(1, 100) i;
-- The README's example: ten deals of 5,000 and one of 100,000.
SELECT avg_ticket(x), median_ticket(x)
  FROM (SELECT 5000 FROM generate_series(1, 10) UNION ALL SELECT 100000) v(x);
-- Past 1,024 distinct amounts the summary keeps the sketch: percentiles
-- within 0.4% (1..2000: 1800 at 0.9, 1000 at 0.5), the ends exact.
SELECT percentile(t, 0.9), median(t), percentiles(t, '{0, 0.25, 0.75, 1}'), t::text LIKE '%"sketch":"%' AS sketch
  FROM (SELECT ticket_agg(i) t FROM generate_series(1, 2000) i) q;
SELECT percentile_disc(ARRAY[0.9, 0.5, 0, 0.25, 0.75, 1]) WITHIN GROUP (ORDER BY i) FROM generate_series(1, 2000) i;

-- Refunds and zeros: negatives sort before zero.  percentile_disc's values,
-- at the summary's scale (2, the largest of the amounts') as smallest() and
-- largest() are.
SELECT percentiles(ticket_agg(x), '{0, 0.2, 0.4, 0.6, 0.8, 1}')
  FROM (VALUES (-50.00), (-10), (0), (0), (10), (2000)) v(x);
SELECT percentile_disc(ARRAY[0, 0.2, 0.4, 0.6, 0.8, 1]) WITHIN GROUP (ORDER BY x)
  FROM (VALUES (-50.00), (-10), (0), (0), (10), (2000)) v(x);

-- Empty and all-NULL input: an empty summary; NULL figures.
SELECT t, deals(t), mean(t), total(t), smallest(t), median(t), percentiles(t, '{0.5}'), stddev_amount(t)
  FROM (SELECT ticket_agg(x) t FROM (VALUES (NULL::numeric)) v(x)) q;
SELECT avg_ticket(x), median_ticket(x) FROM (VALUES (NULL::numeric)) v(x);
SELECT rollup(t) FROM (SELECT ticket_agg(1) t WHERE false) q;

-- Exact beyond 128 bits and at any scale: equal to sum/avg/min/max.
CREATE TABLE big AS
SELECT x FROM (VALUES (1e40), (-3.5), (0.000000000000000000000000000001), (12345678901234567890.123),
                      (-99999999999999999999999999999999999999), (7)) v(x);
SELECT total(t) = s AS sum_ok, mean(t) = a AS avg_ok, smallest(t) = mi AS min_ok,
       largest(t) = ma AS max_ok, at = a AS avg_ticket_ok,
       abs(stddev_amount(t) / sd::float8 - 1) < 1e-12 AS stddev_ok
  FROM (SELECT ticket_agg(x) t, sum(x) s, avg(x) a, min(x) mi, max(x) ma, avg_ticket(x) at,
               stddev_samp(x) sd FROM big) q;
SELECT t::text::ticket_summary::text = t::text AS text_round_trip FROM (SELECT ticket_agg(x) t FROM big) q;
SELECT t FROM (SELECT ticket_agg(x) t FROM big) q;
-- Mixed scales reach the same bytes in either order (the scale grows mid-way).
SELECT (SELECT x *= y FROM (SELECT ticket_agg(v ORDER BY o) FROM (VALUES (1, 5), (2, 2.5), (3, 0.125)) a(o, v)) x,
                           (SELECT ticket_agg(v ORDER BY o DESC) FROM (VALUES (1, 5), (2, 2.5), (3, 0.125)) a(o, v)) y)
       AS same_bytes;

-- The moving window: avg_ticket equals avg over every frame, exactly.
SELECT count(*) AS rows, count(*) FILTER (WHERE a = b) AS equal
  FROM (SELECT avg_ticket(x) OVER w a, avg(x) OVER w b
          FROM (SELECT i, CASE WHEN i % 7 = 0 THEN NULL
                               ELSE round((abs(hashint4(i)) % 100000)::numeric / (10 ^ (i % 4))::numeric, i % 4) END x
                  FROM generate_series(1, 3000) i) d
        WINDOW w AS (ORDER BY i ROWS BETWEEN 20 PRECEDING AND CURRENT ROW)) q;

-- Bad input: each an ERROR, nothing stored.
CREATE TABLE tbad (t ticket_summary);
SELECT ticket_agg(x) FROM (VALUES (1.0), ('NaN')) v(x);
SELECT avg_ticket(x) FROM (VALUES ('Infinity'::numeric)) v(x);
SELECT median_ticket(x) FROM (VALUES ('-Infinity'::numeric)) v(x);
SELECT percentile(ticket_agg(1), 1.5);
SELECT percentiles(ticket_agg(1), '{0.5, -0.1}');
SELECT percentiles(ticket_agg(1), '{{0.5}}');
INSERT INTO tbad VALUES ('{"version":1,"deals":1}');
INSERT INTO tbad VALUES ('{"version":3,"deals":1,"scale":0,"at_scale":1,"sum":5,"sum_squares":25,"smallest":5,"largest":5,"sketch":"AAGyBAEA"}');
INSERT INTO tbad VALUES ('{"version":1,"deals":1,"scale":0,"at_scale":1,"sum":6,"sum_squares":25,"smallest":5,"largest":5,"sketch":"AAGyBAEA"}');
INSERT INTO tbad VALUES ('{"version":1,"deals":2,"scale":0,"at_scale":2,"sum":10,"sum_squares":50,"smallest":5,"largest":5,"sketch":"AAGyBAEA"}');
INSERT INTO tbad VALUES ('{"version":1,"deals":1,"scale":0,"at_scale":1,"sum":5,"sum_squares":25,"smallest":5,"largest":5,"sketch":"!!"}');
INSERT INTO tbad VALUES ('{"version":1,"deals":1,"scale":0,"at_scale":1,"sum":5.5,"sum_squares":25,"smallest":5,"largest":5,"sketch":"AAGyBAEA"}');
INSERT INTO tbad VALUES ('{"version":1,"deals":-1,"scale":0,"at_scale":1,"sum":5,"sum_squares":25,"smallest":5,"largest":5,"sketch":"AAGyBAEA"}');
INSERT INTO tbad VALUES ('{"version":1,"deals":1,"scale":0,"at_scale":1,"sum":"NaN","sum_squares":25,"smallest":5,"largest":5,"sketch":"AAGyBAEA"}');
INSERT INTO tbad VALUES ('{"version":1,"deals":1,"scale":0,"at_scale":1,"sum":5,"sum_squares":null,"smallest":5,"largest":5,"sketch":null}');
-- The one good literal of the lot, and it reads back as itself.
INSERT INTO tbad VALUES ('{"version":1,"deals":1,"scale":0,"at_scale":1,"sum":5,"sum_squares":25,"smallest":5,"largest":5,"sketch":"AAGyBAEA"}');
SELECT t, deals(t), median(t) FROM tbad;

-- Binary round trip through COPY (FORMAT binary), every kind of summary.
CREATE TABLE tsums AS
SELECT 1 AS k, ticket_agg(x) t FROM big
UNION ALL SELECT 2, ticket_agg(i) FROM generate_series(1, 1000) i
UNION ALL SELECT 3, ticket_agg(x) FROM (VALUES (NULL::numeric)) v(x)
UNION ALL SELECT 4, ticket_trans('{"version":1,"deals":0,"scale":0,"at_scale":0,"sum":0,"sum_squares":null,"smallest":null,"largest":null,"sketch":null}', 12.5)
UNION ALL SELECT 5, ticket_trans('{"version":1,"deals":0,"scale":0,"at_scale":0,"sum":null,"sum_squares":null,"smallest":null,"largest":null,"sketch":"AAAA"}', 12.5);
\copy tsums TO 'results/ticket.bin' WITH (FORMAT binary)
CREATE TABLE tback (LIKE tsums);
\copy tback FROM 'results/ticket.bin' WITH (FORMAT binary)
SELECT k, (SELECT x *= y FROM (SELECT a.t) x, (SELECT b.t) y) AS same_bytes FROM tsums a JOIN tback b USING (k) ORDER BY k;
-- A mean-only summary (avg_ticket's state) answers mean but not percentiles.
SELECT t, mean(t) FROM tsums WHERE k = 4;
SELECT median(t) FROM tsums WHERE k = 4;
-- A sketch-only summary (median_ticket's state) answers percentiles but not the mean.
SELECT t, median(t) FROM tsums WHERE k = 5;
SELECT mean(t) FROM tsums WHERE k = 5;
-- Merging keeps what both sides have; mean-only with sketch-only leaves nothing.
SELECT deals(r), median(r), r::text LIKE '%"sum":null%' AS sketch_only FROM (SELECT rollup(t) r FROM tsums WHERE k IN (2, 5)) q;
SELECT rollup(t) FROM tsums WHERE k IN (2, 4);
SELECT rollup(t) FROM tsums WHERE k IN (4, 5);
-- Many decimals: the sum of squares is at twice the scale (76 here).
SELECT t::text::ticket_summary::text = t::text AS round_trip, mean(t) = a AS exact, t
  FROM (SELECT ticket_agg(x) t, avg(x) a FROM (VALUES (1e-38), (3e-38)) v(x)) q;
