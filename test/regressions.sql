-- pgTAP: inputs the fuzz suite (test/fuzz.sh) once found mishandled, kept
-- as plain cases so that they stay fixed whatever seed the fuzzer runs.
\ir lib/begin.psql
SELECT plan(14);

-- Transition functions called by hand without a state start from empty
-- (retention_trans dereferenced the NULL state).
SELECT is(customers(retention_trans(NULL, 'month', 7::bigint, date '2026-01-05')), 1::bigint,
          'retention_trans(NULL, …) starts an empty summary');
SELECT is(retention_trans(NULL, 'month', NULL::bigint, NULL::date)::text,
          (SELECT retention_agg('month', k, d)::text FROM (VALUES (NULL::bigint, NULL::date)) v(k, d)),
          'retention_trans(NULL, …) with a NULL row is the empty summary');
SELECT is(closed_deals(cycle_trans(NULL, date '2026-01-01', date '2026-01-11', date '2026-02-01')), 1::bigint,
          'cycle_trans(NULL, …, as_of) starts an empty summary');
-- Inverse transitions asked to remove what is not there: a clear ERROR.
SELECT throws_ok($$SELECT conversion_inv(conversion_agg(x), true) FROM (VALUES (false)) v(x)$$, '22023',
                 'conversion_inv cannot remove a row the summary does not contain',
                 'conversion_inv without such a row is an ERROR, not an internal error');

-- Deals longer than an interval can hold (4713 BC to 294276 AD is more
-- than 2^63 microseconds) are dirty rows, not a wrapped negative sum.
SELECT is(concat_ws(' ', closed_deals(s), skipped(s), mean(s)), '1 1 10 days',
          'a cycle longer than an interval is skipped; the others keep their mean')
  FROM (SELECT cycle_agg(o, c) AS s FROM (VALUES
          (timestamptz '4713-01-01 00:00+00 BC', timestamptz '294276-12-31 23:59:59+00'),
          (timestamptz '2026-01-01 00:00+00', timestamptz '2026-01-11 00:00+00')) v(o, c)) q;
SELECT is(avg_cycle(o, c) OVER (ORDER BY n ROWS BETWEEN CURRENT ROW AND 1 FOLLOWING), i,
          format('the moving avg_cycle removes such a row again (row %s)', n))
  FROM (VALUES (1, timestamptz '4713-01-01 00:00+00 BC', timestamptz '294276-12-31 23:59:59+00', interval '10 days'),
               (2, timestamptz '2026-01-01 00:00+00', timestamptz '2026-01-11 00:00+00', interval '6 days'),
               (3, timestamptz '2026-01-01 00:00+00', timestamptz '2026-01-03 00:00+00', interval '2 days')) v(n, o, c, i);
-- Dates beyond the timestamp range used to wrap on the microsecond line.
SELECT is(concat_ws(' ', closed_deals(s), open_deals(s), skipped(s)), '1 0 1',
          'a date past 294276 AD is a dirty row')
  FROM (SELECT cycle_agg(o, c) AS s FROM (VALUES (date '2026-01-01', date '5874897-12-31'),
                                                 (date '2026-01-01', date '2026-01-02')) v(o, c)) q;
SELECT throws_ok($$SELECT cycle_agg(date '2026-01-01', date '2026-01-02', date '5874897-12-31')$$, '22023',
                 'as_of must be a finite date or timestamp', 'an as_of date past the timestamp range is an ERROR');
-- A summary whose stored sum no closed deals could have is refused, in
-- binary (sum 2^124 for 3 deals) as in text.
CREATE TEMP TABLE three AS
SELECT cycle_agg(o, o + d * interval '1 day')::text AS s
  FROM (VALUES (timestamptz '2026-01-01', 90), ('2026-02-01', 100), ('2026-03-01', 108)) v(o, d);
SELECT lives_ok(format('SELECT %L::cycle_summary', s), 'the summary of three deals reads back') FROM three;
SELECT throws_ok(format('SELECT %L::cycle_summary',
                        replace(s, '"sum_us":25747200000000', '"sum_us":21267647932558653966460938854153794552')),
                 '22P02', 'invalid cycle_summary value',
                 'with a sum of durations beyond 3 × the longest interval it is refused') FROM three;

-- Amounts whose exact square does not fit a numeric: a clear ERROR.
SELECT throws_ok($$SELECT ticket_agg(x) FROM (VALUES (1e131071::numeric)) v(x)$$, '22003',
                 'ticket amount out of range', 'ticket_agg of 10^131071 says what is wrong');
SELECT throws_ok($$SELECT ticket_agg(x) FROM (VALUES (1e-16383::numeric)) v(x)$$, '22003',
                 'ticket amount out of range', 'ticket_agg of 10^-16383 too');
SELECT finish();
ROLLBACK;
