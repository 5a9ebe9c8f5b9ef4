-- pgTAP: revenue_retention() with refunds (negative amounts), zero and NULL
-- revenue, customers churning and returning, at every granularity and in
-- several time zones, against the README's definitions computed in plain
-- SQL, column by column and to the last bit.
\ir lib/begin.psql
SELECT plan(41);

SELECT setseed(0.314);
-- 9,000 activities of 400 customers (a few very active, most now and then)
-- over 880 days from 2024-01-01, at any hour: sales, refunds (larger, so
-- a customer's period can be a net refund), zero amounts and NULL ones.
CREATE TEMP TABLE acts AS
SELECT 1 + (random() * random() * 400)::bigint AS customer,
       timestamptz '2024-01-01 00:00+00' + random() * interval '880 days' AS at,
       CASE WHEN u < 0.68 THEN round((random() * 500)::numeric, 2)
            WHEN u < 0.85 THEN -round((random() * 800)::numeric, 2)
            WHEN u < 0.90 THEN 0
            WHEN u < 0.95 THEN 0.00
            END AS revenue
  FROM (SELECT random() AS u FROM generate_series(1, 9000)) g;
-- Cases made on purpose, after that span, at noon UTC (the same or the
-- next day in every zone used here):
-- 9001 and 9002 bring +100 and -100 in one period: the next one starts
-- from 0 with customers in its base; 9003 only refunds (-250), then comes
-- back the next day (+40): a base that starts below 0 at every
-- granularity, and a customer whose refunds end (expansion); 9004 and 9006
-- net 0 in 2028, so that 2029 starts from 0 in the yearly cut too.
INSERT INTO acts VALUES
  (9001, '2026-09-10 12:00+00', 100), (9002, '2026-09-10 12:00+00', -100),
  (9003, '2027-05-20 12:00+00', -250), (9003, '2027-05-21 12:00+00', 40),
  (9004, '2028-02-01 12:00+00', 5), (9006, '2028-02-01 12:00+00', -5), (9007, '2029-01-15 12:00+00', 1),
  (NULL, '2026-01-01 12:00+00', 999), (9005, NULL, 999);

CREATE FUNCTION step(g text) RETURNS interval LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE g WHEN 'quarter' THEN interval '3 months' ELSE ('1 ' || g)::interval END $$;

-- Each customer's revenue per period, cut in zone z (a NULL revenue counts
-- the activity with 0), and every period from the first to the last.
CREATE FUNCTION cp(g text, z text) RETURNS TABLE (customer bigint, p date, r numeric) LANGUAGE sql STABLE AS $$
  SELECT customer, date_trunc(g, at AT TIME ZONE z)::date, coalesce(sum(revenue), 0)
    FROM acts WHERE customer IS NOT NULL AND at IS NOT NULL GROUP BY 1, 2 $$;
CREATE FUNCTION periods(g text, z text) RETURNS TABLE (p date) LANGUAGE sql STABLE AS $$
  SELECT gs::date FROM generate_series((SELECT min(p) FROM cp(g, z))::timestamp,
                                       (SELECT max(p) FROM cp(g, z))::timestamp, step(g)) gs $$;

-- The reference: for each period, every customer active the period before
-- with its revenue then (was) and now (0 when gone).  starting = Σ was;
-- expansion = Σ (now - was)⁺; contraction = Σ (was - now)⁺ of those still
-- active; churned = Σ (was - 0)⁺ of those gone; nrr = Σ now / starting and
-- grr = Σ min(now, was) / starting when starting > 0, else NULL.  Ratios
-- divide the exact sums as whole numbers of the smallest unit (10^-scale),
-- as the C does, so they must agree to the last bit.
CREATE FUNCTION ref_revenue(g text, z text) RETURNS TABLE (period date, starting_revenue numeric,
    expansion numeric, contraction numeric, churned_revenue numeric, nrr float8, grr float8)
  LANGUAGE sql STABLE AS $$
  WITH cp AS (SELECT * FROM cp(g, z)),
       unit AS (SELECT 10::numeric ^ max(scale(revenue)) AS u FROM acts),
       base AS (SELECT ps.p, b.r AS was, coalesce(a.r, 0) AS now, a.customer IS NOT NULL AS stays
                  FROM periods(g, z) ps
                  JOIN cp b ON b.p = (ps.p - step(g))::date
                  LEFT JOIN cp a ON a.customer = b.customer AND a.p = ps.p),
       sums AS (SELECT p, sum(was) s, sum(greatest(now - was, 0)) e,
                       sum(greatest(was - now, 0)) FILTER (WHERE stays) c,
                       sum(greatest(was - 0, 0)) FILTER (WHERE NOT stays) ch,
                       sum(now) n, sum(least(now, was)) k
                  FROM base GROUP BY p)
  SELECT ps.p, coalesce(s, 0), coalesce(e, 0), coalesce(c, 0), coalesce(ch, 0),
         CASE WHEN s > 0 THEN (n * u)::float8 / (s * u)::float8 END,
         CASE WHEN s > 0 THEN (k * u)::float8 / (s * u)::float8 END
    FROM periods(g, z) ps CROSS JOIN unit LEFT JOIN sums USING (p) $$;

-- Every granularity, four zones (Chatham: +12:45/+13:45), and the date,
-- timestamp and text-key forms in one zone each.
CREATE TEMP TABLE runs AS
SELECT g, z, form FROM unnest(ARRAY['day', 'week', 'month', 'quarter', 'year']) g,
       unnest(ARRAY['UTC', 'America/Sao_Paulo', 'Asia/Kolkata', 'Pacific/Chatham']) z,
       unnest(ARRAY['timestamptz']) form
UNION ALL SELECT g, 'Asia/Kolkata', 'date' FROM unnest(ARRAY['day', 'week', 'month', 'quarter', 'year']) g
UNION ALL SELECT g, 'America/Sao_Paulo', 'timestamp' FROM unnest(ARRAY['week', 'month']) g
UNION ALL SELECT g, 'Pacific/Chatham', 'text keys' FROM unnest(ARRAY['day', 'quarter']) g;

CREATE FUNCTION summary(g text, z text, form text) RETURNS retention_summary LANGUAGE sql STABLE AS $$
  SELECT CASE form
           WHEN 'timestamptz' THEN (SELECT retention_agg(g, customer, at, z, revenue) FROM acts)
           WHEN 'date' THEN (SELECT retention_agg(g, customer, (at AT TIME ZONE z)::date, revenue) FROM acts)
           WHEN 'timestamp' THEN (SELECT retention_agg(g, customer, at AT TIME ZONE z, revenue) FROM acts)
           WHEN 'text keys' THEN (SELECT retention_agg(g, 'c' || customer, at, z, revenue) FROM acts)
         END $$;
CREATE TEMP TABLE got AS
SELECT runs.*, r.* FROM runs, LATERAL revenue_retention(summary(g, z, form)) r;
CREATE TEMP TABLE want AS
SELECT runs.*, r.* FROM runs, LATERAL ref_revenue(g, z) r;
ANALYZE got, want;

-- Every column of every row, exactly (the ratios too), run by run.
SELECT is((SELECT count(*)
             FROM (SELECT * FROM got WHERE (got.g, got.z, got.form) = (r.g, r.z, r.form)) a
             FULL JOIN (SELECT * FROM want WHERE (want.g, want.z, want.form) = (r.g, r.z, r.form)) b USING (period)
            WHERE a.g IS NULL OR b.g IS NULL
               OR a.starting_revenue IS DISTINCT FROM b.starting_revenue OR a.expansion IS DISTINCT FROM b.expansion
               OR a.contraction IS DISTINCT FROM b.contraction OR a.churned_revenue IS DISTINCT FROM b.churned_revenue
               OR a.nrr IS DISTINCT FROM b.nrr OR a.grr IS DISTINCT FROM b.grr),
          0::bigint, format('%s, %s, %s: every column equals the reference, ratios to the last bit', r.form, r.g, r.z))
  FROM runs r ORDER BY r.form, r.g, r.z;

-- Each run's revenue per customer and period, once.
CREATE TEMP TABLE cpt AS SELECT r.g, r.z, c.* FROM (SELECT DISTINCT g, z FROM runs) r, LATERAL cp(r.g, r.z) c;
CREATE INDEX ON cpt (g, z, customer, p);
ANALYZE cpt;

-- The data covers what the definitions have to decide, at every granularity.
SELECT is((SELECT count(*) FROM (
             SELECT got.g, got.z, got.form
               FROM got LEFT JOIN (SELECT DISTINCT g, z, p FROM cpt) b
                    ON (b.g, b.z, b.p) = (got.g, got.z, (got.period - step(got.g))::date)
              GROUP BY 1, 2, 3
             HAVING count(*) FILTER (WHERE starting_revenue < 0) = 0
                 OR count(*) FILTER (WHERE starting_revenue = 0 AND b.p IS NOT NULL) = 0) d), 0::bigint,
          'every run has a period whose starting revenue is below 0, and one that starts from 0 with customers in its base');
CREATE TEMP TABLE moves AS
SELECT b.r AS was, a.r AS now
  FROM cpt b LEFT JOIN cpt a ON (a.g, a.z, a.customer) = (b.g, b.z, b.customer) AND a.p = (b.p + interval '1 month')::date
 WHERE (b.g, b.z) = ('month', 'UTC') AND b.p < (SELECT max(p) FROM cpt WHERE (g, z) = ('month', 'UTC'));
SELECT ok((SELECT count(*) FILTER (WHERE was < 0 AND now IS NULL) > 10       -- a net refund, then gone
              AND count(*) FILTER (WHERE was < 0 AND now IS NOT NULL) > 10   -- a net refund, still active
              AND count(*) FILTER (WHERE was > 0 AND now < 0) > 10           -- from sales to a net refund
              AND count(*) FILTER (WHERE was = 0) > 5                        -- zero revenue
              AND count(*) FILTER (WHERE now IS NULL AND was > 0) > 100      -- churned
          FROM moves), 'monthly: refunds before churn and while active, zero revenue and churn are all there');
SELECT ok((SELECT count(*) FROM retention((SELECT retention_agg('month', customer, at, 'UTC') FROM acts)) WHERE "returning" > 0) > 10,
          'monthly: customers come back after a gap');

-- The same periods as retention(), run by run: the first period included,
-- with no starting revenue and NULL ratios.
SELECT is((SELECT count(*) FROM runs r
            WHERE (SELECT array_agg(period ORDER BY period) FROM got WHERE (got.g, got.z, got.form) = (r.g, r.z, r.form))
                  IS DISTINCT FROM (SELECT array_agg(period ORDER BY period) FROM retention(summary(r.g, r.z, r.form)))),
          0::bigint, 'every run lists the periods retention() lists');
SELECT is((SELECT count(*) FROM (SELECT DISTINCT ON (g, z, form) * FROM got ORDER BY g, z, form, period) f
            WHERE (starting_revenue, expansion, contraction, churned_revenue) = (0, 0, 0, 0)
              AND nrr IS NULL AND grr IS NULL),
          (SELECT count(*) FROM runs), 'the first period: no starting revenue, no movement, NULL ratios');

-- The README's identities on the columns themselves.
SELECT is((SELECT count(*) FROM got WHERE least(expansion, contraction, churned_revenue) < 0), 0::bigint,
          'expansion, contraction and churned revenue are never below 0');
SELECT is((SELECT count(*) FROM got WHERE (nrr IS NULL) <> (starting_revenue <= 0) OR (grr IS NULL) <> (starting_revenue <= 0)),
          0::bigint, 'NRR and GRR are NULL exactly when the starting revenue is 0 or below');
SELECT is((SELECT count(*) FROM got WHERE grr > 1 OR nrr < grr), 0::bigint, 'GRR <= 1 and NRR >= GRR');
SELECT is((SELECT count(*) FROM got
            WHERE abs(grr - (1 - (contraction + churned_revenue) / nullif(starting_revenue, 0))::float8) > 1e-12
               OR abs(nrr - (1 + (expansion - contraction - churned_revenue) / nullif(starting_revenue, 0))::float8) > 1e-12),
          0::bigint, 'grr = 1 - (contraction + churned) / starting and nrr = 1 + (expansion - contraction - churned) / starting');
-- starting + expansion - contraction - churned = what the customers active
-- in both periods bring now; starting = all the revenue of the period
-- before (summed from the rows, not from the reference).
SELECT is((SELECT count(*) FROM got
             LEFT JOIN (SELECT a.g, a.z, a.p, sum(a.r) AS n
                          FROM cpt a JOIN cpt b ON (b.g, b.z, b.customer) = (a.g, a.z, a.customer)
                                               AND b.p = (a.p - step(a.g))::date
                         GROUP BY 1, 2, 3) k ON (k.g, k.z, k.p) = (got.g, got.z, got.period)
             LEFT JOIN (SELECT g, z, date_trunc(g, at AT TIME ZONE z)::date AS p, sum(revenue) AS s
                          FROM acts, (SELECT DISTINCT g, z FROM runs) r
                         WHERE customer IS NOT NULL GROUP BY 1, 2, 3) t
                    ON (t.g, t.z, t.p) = (got.g, got.z, (got.period - step(got.g))::date)
            WHERE starting_revenue + expansion - contraction - churned_revenue <> coalesce(k.n, 0)
               OR starting_revenue <> coalesce(t.s, 0)),
          0::bigint, 'starting + expansion - contraction - churned = the retained customers'' revenue now; starting = the revenue of the period before');
-- The refunds change the split: a customer gone after a net refund counts
-- its refund's end as expansion (churned revenue is never negative), where
-- 0.2.0 counted the refund as negative churn.
SELECT cmp_ok((SELECT count(*) FROM got
                 JOIN (SELECT b.g, b.z, (b.p + step(b.g))::date AS p, sum(b.r) AS signed_churn
                         FROM cpt b LEFT JOIN cpt a ON (a.g, a.z, a.customer) = (b.g, b.z, b.customer)
                                                   AND a.p = (b.p + step(b.g))::date
                        WHERE a.customer IS NULL GROUP BY 1, 2, 3) o ON (o.g, o.z, o.p) = (got.g, got.z, got.period)
                WHERE o.signed_churn <> churned_revenue), '>', 100::bigint,
              'churned revenue is not the signed sum of those gone wherever one of them left after a net refund');

-- Amounts near the bigint bounds: a change of more than 2^63 is exact
-- (0.2.0 wrapped it: a contraction of -446744073709551616 and an NRR of 1.0496).
SELECT results_eq($$SELECT period, starting_revenue, expansion, contraction, churned_revenue, nrr, grr
                      FROM revenue_retention((SELECT retention_agg('month', c, d, r) FROM (VALUES
                        (1, date '2026-01-01', 9000000000000000000::numeric), (1, date '2026-02-01', -9000000000000000000),
                        (2, date '2026-02-01', -9000000000000000000), (2, date '2026-03-01', 9000000000000000000),
                        (3, date '2026-03-01', -9000000000000000000)) v(c, d, r)))$$,
                  $$VALUES (date '2026-01-01', 0::numeric, 0::numeric, 0::numeric, 0::numeric, NULL::float8, NULL::float8),
                           (date '2026-02-01', 9000000000000000000, 0, 18000000000000000000, 0, -1, -1),
                           (date '2026-03-01', -18000000000000000000, 27000000000000000000, 0, 0, NULL, NULL)$$,
                  'changes beyond the bigint range are exact');

SELECT * FROM finish();
ROLLBACK;
