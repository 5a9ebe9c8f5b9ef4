-- pgTAP: pulse() against the families' own figures, and its guard rails.
\ir lib/begin.psql
SET LOCAL TimeZone = 'UTC';
SELECT plan(9);

SELECT setseed(0.4);
CREATE TABLE d AS
SELECT i, o, CASE WHEN random() < 0.9 THEN o + random() * interval '60 days' END AS c,
       (random() < 0.3) AS w, round((random() * 1000)::numeric, 2) AS a, (random() * 300)::int AS cu
  FROM generate_series(1, 5000) i, LATERAL (SELECT timestamptz '2025-01-01' + random() * interval '365 days' + i * interval '0 s' AS o) x;
UPDATE d SET w = NULL WHERE c IS NULL;
CREATE TEMP TABLE p AS SELECT * FROM pulse('d', 'month', 'o', 'c', 'w', 'a', 'cu', '2026-01-01');

SELECT is((SELECT count(*) FROM p JOIN (SELECT date_trunc('month', c)::date AS period, count(*) n, conversion_rate(w) r,
                                               avg(a) FILTER (WHERE w) t
                                          FROM d WHERE c <= '2026-01-01' GROUP BY 1) x USING (period)
            WHERE p.deals_closed <> x.n OR p.conversion_rate IS DISTINCT FROM x.r OR p.mean_ticket IS DISTINCT FROM round(x.t, 2)),
          0::bigint, 'closed, win rate and average ticket per closing month equal the plain aggregates');
SELECT is((SELECT count(*) FROM p JOIN (SELECT date_trunc('month', o)::date AS period, count(*) n FROM d GROUP BY 1) x USING (period)
            WHERE p.deals_opened <> x.n), 0::bigint, 'deals opened per opening month');
SELECT is((SELECT count(*) FROM p), (SELECT count(*) FROM generate_series(date '2025-01-01', (SELECT max(date_trunc('month', c)) FROM d WHERE c <= '2026-01-01'), '1 month'))::bigint,
          'one row per period, empty ones included');

-- Dates, integer amounts and text customers work as CRM exports have them.
CREATE TABLE e AS SELECT o::date AS opened, c::date AS closed, w AS is_won, (a * 100)::int AS cents, cu::text AS account FROM d;
SELECT is((SELECT count(*) FROM pulse('e', 'quarter', 'opened', 'closed', 'is_won', 'cents', 'account', '2026-01-01')) > 0, true,
          'date, integer and text columns are accepted');

-- Guard rails: a missing column, a wrong type, an unknown granularity, a hostile name.
SELECT throws_like($$SELECT * FROM pulse('d', 'month', 'nope', 'c', 'w', 'a', 'cu')$$, '%column nope does not exist in d%',
                   'a missing column is an ERROR naming it');
SELECT throws_like($$SELECT * FROM pulse('d', 'month', 'o', 'c', 'a', 'a', 'cu')$$, '%column a of d has type numeric, which pulse() cannot use as won%',
                   'a column of the wrong type is an ERROR naming the parameter');
SELECT throws_like($$SELECT * FROM pulse('d', 'fortnight', 'o', 'c', 'w', 'a', 'cu')$$, '%unknown pulse granularity%', 'an unknown granularity is an ERROR');
ALTER TABLE d RENAME COLUMN w TO "won; DROP TABLE d";
SELECT is((SELECT count(*) FROM pulse('d', 'month', 'o', 'c', 'won; DROP TABLE d', 'a', 'cu', '2026-01-01')), (SELECT count(*) FROM p),
          'a column named "won; DROP TABLE d" is only a name');
SELECT has_table('d', 'and the table is still there');

SELECT * FROM finish();
ROLLBACK;
