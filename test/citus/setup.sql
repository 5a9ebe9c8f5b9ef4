-- make citus (scripts/citus.sh), on the coordinator: the deals, once as a
-- plain table on the coordinator (deals_local, the single-server reference)
-- and once distributed by customer_id over the two workers (deals), with the
-- same rows.  Deterministic: every value comes from a hash of the row number.
-- Every input an aggregate of the extension can take has a column: customer
-- keys as bigint, text and uuid; open and close times as date, timestamp and
-- timestamptz (some near midnight, so a time zone moves them across a month);
-- NULL close (open deals), outcome, amount and stage in some rows.

CREATE TABLE deals_local AS
SELECT i AS id,
       1 + h[1] % 400 AS customer_id,
       'cust-' || pg_catalog.lpad((1 + h[1] % 400)::text, 3, '0') AS customer_text,
       pg_catalog.md5('customer ' || (1 + h[1] % 400))::uuid AS customer_uuid,
       'rep-' || pg_catalog.lpad((h[2] % 12)::text, 2, '0') AS rep,
       'team-' || (h[2] % 12) % 3 AS team,
       opened::date AS opened_on, opened AS opened_ts, opened AT TIME ZONE 'UTC' AS opened_at,
       closed::date AS closed_on, closed AS closed_ts, closed AT TIME ZONE 'UTC' AS closed_at,
       CASE WHEN closed IS NOT NULL THEN h[4] % 3 = 0 END AS won,
       CASE WHEN h[5] % 40 <> 0 THEN round(50 + (h[5] % 1000000) / 100.0, 2) END AS amount,
       CASE WHEN h[6] % 30 <> 0 THEN 1 + (h[6] % 5)::integer END AS stage,
       (h[7] % 1000) / 1000.0::double precision AS win_probability
  FROM (SELECT i, h, opened,
               CASE WHEN h[3] % 5 <> 0
                    THEN opened + (h[3] % 120) * interval '1 day' + (h[4] % 1440) * interval '1 minute' END AS closed
          FROM (SELECT i, h,
                       timestamp '2025-01-01' + (h[8] % 540) * interval '1 day'
                         + (CASE WHEN h[8] % 4 = 0 THEN 1380 + h[9] % 60 ELSE h[9] % 1440 END) * interval '1 minute' AS opened
                  FROM (SELECT i, ARRAY(SELECT pg_catalog.hashtextextended('deal ' || i, seed) & 9223372036854775807
                                          FROM generate_series(1, 9) seed ORDER BY seed) AS h
                          FROM generate_series(1, 6000) i) g) o) d;

CREATE TABLE deals (LIKE deals_local);
SELECT create_distributed_table('deals', 'customer_id', shard_count => 4);
INSERT INTO deals SELECT * FROM deals_local;
ANALYZE deals_local;
ANALYZE deals;
