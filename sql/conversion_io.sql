-- conversion_summary text and binary I/O: lossless, validated.
SELECT '{"version":1,"conversions":8,"trials":10}'::conversion_summary;
-- Whitespace is allowed; the canonical form comes back.
SELECT ' { "version" : 1 , "conversions" : 8 , "trials" : 10 } '::conversion_summary;
-- Largest counts round-trip.
SELECT s::text::conversion_summary::text = s::text
  FROM (SELECT '{"version":1,"conversions":9223372036854775807,"trials":9223372036854775807}'::conversion_summary s) q;
-- Text round trip of every daily summary of a table.
CREATE TABLE io_deals AS
SELECT i % 50 AS g, CASE WHEN i % 7 = 0 THEN NULL ELSE abs(hashint4(i)) % 3 = 0 END AS won
  FROM generate_series(1, 5000) i;
CREATE TABLE io_sums AS SELECT g, conversion_agg(won) s FROM io_deals GROUP BY g;
SELECT count(*) AS summaries,
       count(*) FILTER (WHERE conversion_summary_send(s::text::conversion_summary) = conversion_summary_send(s)) AS identical
  FROM io_sums;

-- Binary round trip through COPY (FORMAT binary).
\copy io_sums TO 'results/conversion_io.bin' WITH (FORMAT binary)
CREATE TABLE io_back (LIKE io_sums);
\copy io_back FROM 'results/conversion_io.bin' WITH (FORMAT binary)
SELECT count(*) FILTER (WHERE conversion_summary_send(a.s) = conversion_summary_send(b.s)) AS identical
  FROM io_sums a JOIN io_back b USING (g);
-- The bytes: version 1, family 1, conversions, trials (big-endian).
SELECT conversion_summary_send('{"version":1,"conversions":8,"trials":10}');

-- Bad text: each is an ERROR naming the type, and nothing is stored.
CREATE TABLE io_bad (s conversion_summary);
INSERT INTO io_bad VALUES ('');
INSERT INTO io_bad VALUES ('8/10');
INSERT INTO io_bad VALUES ('{"version":1,"conversions":8,"trials":10');
INSERT INTO io_bad VALUES ('{"version":1,"conversions":8,"trials":10}x');
INSERT INTO io_bad VALUES ('{"version":1,"trials":10,"conversions":8}');
INSERT INTO io_bad VALUES ('{"version":1,"conversions":8,"trials":10,"extra":1}');
INSERT INTO io_bad VALUES ('{"version":1,"conversions":8.5,"trials":10}');
INSERT INTO io_bad VALUES ('{"version":1,"conversions":-1,"trials":10}');
INSERT INTO io_bad VALUES ('{"version":1,"conversions":11,"trials":10}');
INSERT INTO io_bad VALUES ('{"version":1,"conversions":1,"trials":99999999999999999999}');
INSERT INTO io_bad VALUES ('{"version":0,"conversions":1,"trials":2}');
INSERT INTO io_bad VALUES ('{"version":2,"conversions":1,"trials":2}');
INSERT INTO io_bad VALUES ('{"version":99999999999,"conversions":1,"trials":2}');
SELECT count(*) FROM io_bad;

-- Bad binary, each rejected: a binary COPY of one bytea column holds the
-- payload as its field, read back into the summary column (a file in the
-- cluster's own data directory, so concurrent test clusters never share it).
CREATE FUNCTION try_binary(payload bytea) RETURNS text LANGUAGE plpgsql AS $$
DECLARE f text := current_setting('data_directory') || '/heartbeat_regress_copy.bin';
BEGIN
  EXECUTE format('COPY (SELECT %L::bytea) TO %L (FORMAT binary)', payload, f);
  EXECUTE format('COPY io_bad FROM %L WITH (FORMAT binary)', f);
  RETURN 'accepted';
EXCEPTION WHEN OTHERS THEN
  RETURN SQLSTATE || ': ' || SQLERRM;
END $$;
SELECT try_binary('\x0101' || int8send(3) || int8send(5));         -- well formed
SELECT try_binary('\x0101' || int8send(3));                        -- truncated
SELECT try_binary('\x0101' || int8send(3) || int8send(5) || '\x00'::bytea); -- trailing byte
SELECT try_binary('\x0201' || int8send(3) || int8send(5));         -- unknown version
SELECT try_binary('\x0102' || int8send(3) || int8send(5));         -- another family
SELECT try_binary('\x0101' || int8send(6) || int8send(5));         -- more conversions than trials
SELECT try_binary('\x0101' || int8send(-1) || int8send(5));        -- negative
SELECT s FROM io_bad;
