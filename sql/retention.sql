-- The retention family: a hand-worked example, the three views, I/O and bad input.
SET TimeZone = 'UTC';
-- Alice buys in Jan, Feb, Apr; Bob in Jan, Feb, Mar; Carol in Feb; Dan in Mar, Apr.
CREATE TABLE orders (customer text, at timestamptz, amount numeric);
INSERT INTO orders VALUES
  ('alice', '2026-01-03', 100), ('alice', '2026-01-20', 50), ('alice', '2026-02-11', 120), ('alice', '2026-04-02', 80),
  ('bob', '2026-01-15', 200), ('bob', '2026-02-15', 150), ('bob', '2026-03-15', 300),
  ('carol', '2026-02-28', 40),
  ('dan', '2026-03-01', 10), ('dan', '2026-04-30', 20),
  (NULL, '2026-03-03', 999), ('erin', NULL, 999);
CREATE TABLE rs AS SELECT retention_agg('month', customer, at, 'UTC', amount) s FROM orders;
SELECT customers(s) FROM rs;
-- Feb: alice, bob retained, carol new (active 3, retention 2/2); Mar: bob retained,
-- dan new, alice and carol churned (3 - 1 = 2 churned of 3); Apr: alice returns,
-- dan retained, bob churned.
SELECT * FROM retention((SELECT s FROM rs));
SELECT * FROM cohorts((SELECT s FROM rs));
-- Revenue: one row per period, as retention() gives; Jan has no customers
-- the period before (0, NULL ratios).  Feb over Jan's customers alice
-- (150 -> 120) and bob (200 -> 150): start 350, contraction 80, nrr = grr =
-- 270/350.
SELECT * FROM revenue_retention((SELECT s FROM rs));
SELECT count(*) AS periods_not_in_both
  FROM retention((SELECT s FROM rs)) r FULL JOIN revenue_retention((SELECT s FROM rs)) v USING (period)
 WHERE r.period IS NULL OR v.period IS NULL;
-- Refunds.  Jan: a 100, b 80, c -40 (a refund only), d 60, e 0.
-- Feb: a 150, b 100 - 120 = -20, e 0; c and d gone.  Over Jan's base
-- (start 200): a +50 and c's refunds ending +40 are expansion (90); b
-- -100 is contraction; d's 60 is churn (c's churn is 0: it took nothing
-- away); 200 + 90 - 100 - 60 = 130 = a + b + e now; nrr = 130/200,
-- grr = 1 - 160/200.  Mar: b -50 more (contraction 30), a and e gone
-- (churn 150); start 130, nrr = grr = -50/130.  Apr: b's base is -50
-- (NULL ratios), b gone: its refunds end (expansion 50); f is new.
CREATE TABLE refunds (customer text, at date, amount numeric);
INSERT INTO refunds VALUES
  ('a', '2026-01-05', 100), ('b', '2026-01-06', 80), ('c', '2026-01-07', -40), ('d', '2026-01-08', 60),
  ('e', '2026-01-09', 0), ('a', '2026-02-05', 150), ('b', '2026-02-06', 100), ('b', '2026-02-20', -120),
  ('e', '2026-02-09', NULL), ('b', '2026-03-06', -50), ('f', '2026-04-01', 10);
SELECT * FROM revenue_retention((SELECT retention_agg('month', customer, at, amount) FROM refunds));
SELECT s FROM rs;
SELECT s::text::retention_summary::text = s::text AS round_trip FROM rs;
-- Weekly and daily cuts of the same orders.
SELECT period, active, new FROM retention((SELECT retention_agg('week', customer, at, 'UTC') FROM orders)) WHERE active > 0 LIMIT 4;
SELECT count(*) AS days FROM retention((SELECT retention_agg('day', customer, at::date) FROM orders));

-- Bad input.
SELECT retention_agg('fortnight', customer, at, 'UTC') FROM orders;
SELECT retention_agg(NULL, customer, at, 'UTC') FROM orders;
SELECT retention_agg('month', customer, 'infinity'::timestamptz, 'UTC') FROM orders;
SELECT retention_agg('month', customer, at, 'UTC', 'NaN') FROM orders;
SELECT retention_agg('month', customer, at, 'Mars/Olympus') FROM orders;
SELECT retention_agg('month', customer, at, NULL) FROM orders;
-- The zone, not the session's TimeZone, cuts the periods: Lisbon's 2026-01-31 23:30 UTC is January, Sao Paulo's is January too, Tokyo's is February.
SELECT z, r.period
  FROM (VALUES ('Europe/Lisbon'), ('America/Sao_Paulo'), ('Asia/Tokyo')) v(z),
       LATERAL retention((SELECT retention_agg('month', 1, t, z) FROM (VALUES (timestamptz '2026-01-31 23:30+00')) w(t))) r;
-- A merge keeps what both sides keep: with and without revenue gives the
-- activity without revenue, in either order.
SELECT rollup(s)::text = (SELECT retention_agg('month', customer, at, 'UTC') FROM orders)::text AS same_activity
  FROM (SELECT retention_agg('month', customer, at, 'UTC') FROM orders
        UNION ALL SELECT retention_agg('month', customer, at, 'UTC', amount) FROM orders) v(s);
SELECT rollup(s ORDER BY o)::text = (SELECT retention_agg('month', customer, at, 'UTC') FROM orders)::text AS same_activity
  FROM (SELECT 2, retention_agg('month', customer, at, 'UTC') FROM orders
        UNION ALL SELECT 1, retention_agg('month', customer, at, 'UTC', amount) FROM orders) v(o, s);
SELECT rollup(s) FROM (SELECT retention_agg('month', 1, at, 'UTC') FROM orders
                       UNION ALL SELECT retention_agg('month', 'x', at, 'UTC') FROM orders) v(s);
SELECT * FROM revenue_retention((SELECT retention_agg('month', customer, at, 'UTC') FROM orders));
SELECT '{"version":1,"granularity":"month","keys":"hash","revenue_scale":null,"customers":1,"pairs":1,"first_period":24312,"last_period":24312,"data":"!!"}'::retention_summary;
SELECT '{"version":1,"granularity":"month","keys":"hash","revenue_scale":null,"customers":1,"pairs":2,"first_period":24312,"last_period":24312,"data":"AgEA"}'::retention_summary;
SELECT '{"version":1,"granularity":"month","keys":"hash","revenue_scale":null,"customers":1,"pairs":1,"first_period":24300,"last_period":24312,"data":"AgEA"}'::retention_summary;
SELECT '{"version":1,"granularity":"lunar","keys":"hash","revenue_scale":null,"customers":0,"pairs":0,"first_period":0,"last_period":0,"data":""}'::retention_summary;
SELECT '{"version":1,"granularity":"month","keys":"hash","revenue_scale":null,"customers":1,"pairs":1,"first_period":24312,"last_period":24312,"data":"AgEA"}'::retention_summary;
-- Any span works within 40M periods: 200,000 yearly periods fine, daily over them an ERROR.
SELECT count(*) FROM retention((SELECT retention_agg('year', 1, d) FROM (VALUES (date '0001-01-01'), (date '200000-01-01')) v(d)));
SELECT customers(retention_agg('day', 1, d)) FROM (VALUES (date '0001-01-01'), (date '200000-01-01')) v(d);
