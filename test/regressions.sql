-- pgTAP: inputs the fuzz suite (test/fuzz.sh) once found mishandled, kept
-- as plain cases so that they stay fixed whatever seed the fuzzer runs.
\ir lib/begin.psql
\ir lib/recv.psql
SELECT plan(36);

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

-- Sparklines whose range overflows a double (max - min = infinity) drew a
-- bar from a NaN index and crashed the backend.
SELECT is(sparkline(ARRAY[-1e308, 1e308]::float8[]), '▁█', 'sparkline of -1e308 and 1e308 (range overflows)');
SELECT is(sparkline(ARRAY[-1.7976931348623157e308, 0, 1.7976931348623157e308, NULL]::float8[]), '▁▅█ ',
          'sparkline of -DBL_MAX, 0, DBL_MAX: 0 is the middle (3.5 rounds to bar 5)');
SELECT is(sparkline(v ORDER BY i), '█▁▅', 'the sparkline aggregate over the same extremes')
  FROM (VALUES (1, 1.7976931348623157e308::float8), (2, -1.7976931348623157e308), (3, 0)) t(i, v);
SELECT is(sparkline(ARRAY[0, 5e-324, 2.5e-323]::float8[]), '▁▂█', 'sparkline of subnormals');
-- The sparkline aggregate without ORDER BY used array_append, which cannot
-- tell its element type without the call site (Citus): its own transition.
SELECT is(sparkline_trans(sparkline_trans(NULL, 1), NULL), '{1,NULL}'::float8[],
          'sparkline_trans called by hand builds the array, NULLs kept');

-- Confidences so close to 1 that 1 - (1 - c)/2 rounds to 1 gave NaN.
SELECT ok(wilson_lower('{"version":1,"conversions":8,"trials":10}', 0.9999999999999999)
            BETWEEN 0 AND 0.8, 'wilson_lower at confidence 1 - 2^-53 is a number in [0, 0.8]');
SELECT ok(wilson_upper('{"version":1,"conversions":8,"trials":10}', 0.9999999999999999)
            BETWEEN 0.8 AND 1, 'wilson_upper at confidence 1 - 2^-53 is a number in [0.8, 1]');
SELECT is(round(wilson_lower('{"version":1,"conversions":8,"trials":10}', 0.95)::numeric, 4), 0.4902,
          'wilson_lower at 0.95 keeps its published value');

-- A rollup over more than 2^31 amounts: at_scale went through an int32,
-- and the summary's own text was then refused.
CREATE TEMP TABLE big_ticket AS
SELECT rollup(x::ticket_summary) AS s
  FROM (VALUES ('{"version":1,"deals":1500000000,"scale":0,"at_scale":1500000000,"sum":3000000000,"sum_squares":null,"smallest":null,"largest":null,"sketch":null}'),
               ('{"version":1,"deals":1500000000,"scale":0,"at_scale":1500000000,"sum":4500000000,"sum_squares":null,"smallest":null,"largest":null,"sketch":null}')) v(x);
SELECT is(s::text, '{"version":1,"deals":3000000000,"scale":0,"at_scale":3000000000,"sum":7500000000,"sum_squares":null,"smallest":null,"largest":null,"sketch":null}',
          'a ticket rollup over 3e9 amounts keeps at_scale 3e9') FROM big_ticket;
SELECT is(s::text::ticket_summary::text, s::text, 'and its text reads back') FROM big_ticket;
SELECT is(pg_temp.recv('ticket_summary', ticket_summary_send(s)), s::text, 'and its binary form reads back') FROM big_ticket;

-- A binary cycle_summary in mean-only form with trailing bytes was accepted
-- (ticket_summary refuses the same).
CREATE TEMP TABLE mean_only AS
SELECT regexp_replace(cycle_agg(o, o + d * interval '1 day')::text, '"sketches":"[^"]*"', '"sketches":null')::cycle_summary AS s
  FROM (VALUES (timestamptz '2026-01-01', 3), ('2026-02-01', 10)) v(o, d);
SELECT is(pg_temp.recv('cycle_summary', cycle_summary_send(s)), s::text, 'a mean-only binary cycle_summary reads back') FROM mean_only;
SELECT throws_ok(format('SELECT pg_temp.recv(%L, %L)', 'cycle_summary', cycle_summary_send(s) || '\x00'::bytea),
                 '22P03', NULL, 'a mean-only binary cycle_summary with a trailing byte is refused') FROM mean_only;
SELECT throws_ok(format('SELECT pg_temp.recv(%L, %L)', 'ticket_summary', ticket_summary_send(s) || '\x00'::bytea),
                 '22P03', NULL, 'so is a ticket_summary with a trailing byte') FROM big_ticket;

-- A flip inside a binary ticket_summary's embedded numeric raised 08P01
-- (insufficient data left in message: drivers drop the connection on class
-- 08) instead of 22P03; bad numbers in its text named type numeric.
CREATE TEMP TABLE small_ticket AS SELECT ticket_agg(x) AS s FROM (VALUES (12.5), (7.25), (100)) v(x);
SELECT throws_ok(format('SELECT pg_temp.recv(%L, %L)', 'ticket_summary',
                        overlay(ticket_summary_send(s) placing '\x7f'::bytea from 29 for 1)),
                 '22P03', NULL, 'a numeric digit count beyond its bytes is 22P03') FROM small_ticket;
SELECT is((SELECT count(*) FROM generate_series(1, length(ticket_summary_send(s))) i
            WHERE pg_temp.try_sqlstate(format('SELECT pg_temp.recv(%L, %L)', 'ticket_summary',
                                              overlay(ticket_summary_send(s) placing '\xff'::bytea from i for 1)))
                  !~ '^(ok|22P03|0A000)$'), 0::bigint,
          'any one byte of a binary ticket_summary set to 0xff: accepted, 22P03, or 0A000 for a newer format version; never 08P01') FROM small_ticket;
SELECT is(pg_temp.try_sqlstate($$SELECT '{"version":1,"deals":1,"scale":0,"at_scale":1,"sum":1e5,"sum_squares":null,"smallest":null,"largest":null,"sketch":null}'::ticket_summary$$),
          '22P02', 'a sum written with an exponent is 22P02');
SELECT throws_like($$SELECT '{"version":1,"deals":1,"scale":0,"at_scale":1,"sum":1e5,"sum_squares":null,"smallest":null,"largest":null,"sketch":null}'::ticket_summary$$,
                   'invalid input syntax for type ticket_summary%', 'and names ticket_summary, not numeric');
SELECT throws_like($$SELECT '{"version":1,"deals":1,"scale":0,"at_scale":1,"sum":"x","sum_squares":null,"smallest":null,"largest":null,"sketch":null}'::ticket_summary$$,
                   'invalid input syntax for type ticket_summary%', 'so does a sum that is not a number');

-- A ticket summary with numeric sums (amounts whose squares pass int128)
-- merged with a sketch-only one added a sum the merge no longer keeps, read
-- from uninitialised memory and crashed the backend (found by the fuzz
-- suite's sketch-only seeds).  The merge keeps what both have: the sketch,
-- as a sketch-only summary of all the amounts.
CREATE TEMP TABLE sketch_only AS
SELECT (SELECT ticket_agg(x) FROM (VALUES (1e20)) v(x)) AS big,
       (SELECT regexp_replace(ticket_agg(x)::text, '"(sum|sum_squares|smallest|largest)":[^,]*', '"\1":null', 'g')::ticket_summary
          FROM (VALUES (2.5), (3)) v(x)) AS s,
       (SELECT regexp_replace(ticket_agg(x)::text, '"(sum|sum_squares|smallest|largest)":[^,]*', '"\1":null', 'g')
          FROM (VALUES (2.5), (3), (1e20)) v(x)) AS whole;
SELECT is(ticket_combine(big, s)::text, whole, 'a ticket_summary with numeric sums merged with a sketch-only one keeps the sketch')
  FROM sketch_only;
SELECT is(ticket_combine(s, big)::text, whole, 'and the other way round') FROM sketch_only;
SELECT is((SELECT rollup(v)::text FROM (VALUES (big), (s)) r(v)), whole, 'so does rollup() of the two') FROM sketch_only;

SELECT finish();
ROLLBACK;
