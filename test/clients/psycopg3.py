"""TAP: heartbeat as psycopg 3 sees it (test/clients.sh runs this).

The database named by argv[1] holds heartbeat and a deals table.  Checks the
Python types of every pulse() column and their values against the same query
read as text; summaries passed back as parameters, unknown-typed (psycopg's
default for str) and with casts, against SQL; and COPY ... (FORMAT binary)
of every summary type out and back in, byte for byte.
"""
import datetime
import decimal
import re
import sys

import psycopg

TYPES = {"date": datetime.date, "bigint": int, "integer": int, "double precision": float,
         "numeric": decimal.Decimal, "interval": datetime.timedelta, "text": str}
FAMILIES = {
    "conversion": "conversion_agg(won)",
    "ticket": "ticket_agg(amount)",
    "cycle": "cycle_agg(opened_at, closed_at, timestamptz '2026-12-01 00:00+00')",
    "retention": "retention_agg('month', customer_id, closed_at, 'UTC', amount)",
    "funnel": "funnel_agg(stage)",
}
tests = []


def check(ok, name, got=None, want=None):
    tests.append((bool(ok), name, got, want))


def interval_seconds(text):
    """Seconds of an interval's text output (days and a time; no months)."""
    m = re.fullmatch(r"(?:(-?\d+) days?)? ?(?:(-?)(\d+):(\d\d):(\d\d(?:\.\d+)?))?", text)
    if not m or text == "":
        raise ValueError("unexpected interval text %r" % text)
    days, sign, h, mi, s = m.groups()
    t = int(h or 0) * 3600 + int(mi or 0) * 60 + decimal.Decimal(s or 0)
    return int(days or 0) * 86400 + (-t if sign else t)


def text_equal(value, text):
    """Whether a loaded Python value equals the server's text of it."""
    if value is None or text is None:
        return value is None and text is None
    if isinstance(value, float):
        return value == float(text)
    if isinstance(value, decimal.Decimal):
        return str(value) == text
    if isinstance(value, datetime.timedelta):
        return decimal.Decimal(value.days * 86400 + value.seconds) + decimal.Decimal(value.microseconds) / 10**6 \
            == interval_seconds(text)
    if isinstance(value, datetime.date):
        return value.isoformat() == text
    return str(value) == text


with psycopg.connect(dbname=sys.argv[1], autocommit=True) as conn:
    conn.execute("SET TimeZone = 'UTC'")
    conn.execute("SET search_path = public, heartbeat")

    # 1-3: pulse()'s columns: a Python type for each SQL type, each value
    # equal to the server's text of it.
    cur = conn.execute("SELECT * FROM heartbeat.pulse('deals', as_of => timestamptz '2026-12-01 00:00+00')")
    rows = cur.fetchall()
    cols = [(d.name, conn.execute("SELECT format_type(%s, NULL)", [d.type_code]).fetchone()[0])
            for d in cur.description]
    unknown = [c for c in cols if c[1] not in TYPES]
    check(not unknown and len(rows) > 10, "every pulse() column has a type this test knows (%d columns, %d rows)"
          % (len(cols), len(rows)), unknown, "none")
    wrong = [(name, type(r[i]).__name__) for r in rows for i, (name, t) in enumerate(cols)
             if r[i] is not None and type(r[i]) is not TYPES.get(t)]
    check(not wrong, "psycopg loads each pulse() column as the Python type of its SQL type "
          "(date, int, float, Decimal, timedelta, str)", wrong[:5], "none")
    text_rows = conn.execute(
        "SELECT %s FROM heartbeat.pulse('deals', as_of => timestamptz '2026-12-01 00:00+00')"
        % ", ".join('"%s"::text' % name for name, _ in cols)).fetchall()
    differ = [(cols[i][0], r[i], t[i]) for r, t in zip(rows, text_rows) for i in range(len(cols))
              if not text_equal(r[i], t[i])]
    check(len(text_rows) == len(rows) and not differ,
          "and every value equals the same query read as text", differ[:5], "none")

    # 4: the README's view for a BI tool: plain numbers, a date and text.
    cur = conn.execute("SELECT * FROM sales_heartbeat_bi")
    view_rows = cur.fetchall()
    kinds = sorted({type(v).__name__ for r in view_rows for v in r if v is not None})
    days = [(r[0], r[9]) for r in view_rows if r[9] is not None]
    # The intervals psycopg loads, in days.
    want_days = {p: c.total_seconds() / 86400 for p, c in conn.execute(
        "SELECT period, mean_cycle FROM heartbeat.pulse('public.deals') WHERE mean_cycle IS NOT NULL")}
    check(len(view_rows) > 10 and set(kinds) <= {"date", "float", "int", "str"} and {"date", "float", "int"} <= set(kinds)
          and len(days) == len(want_days) > 10 and all(abs(d - want_days[p]) <= 1e-12 * want_days[p] for p, d in days),
          "the README's BI view reads as date, int, float (and str) only, its days equal pulse()'s mean_cycle in days",
          kinds, "date, float, int (and str)")

    # 5-6: summaries come back as str, their text form; binary cursors get
    # the send() bytes.
    summaries = conn.execute("SELECT %s" % ", ".join(
        "(SELECT %s FROM deals)" % agg for agg in FAMILIES.values())).fetchone()
    texts = conn.execute("SELECT %s" % ", ".join(
        "(SELECT %s::text FROM deals)" % agg for agg in FAMILIES.values())).fetchone()
    check(all(isinstance(s, str) for s in summaries) and summaries == texts,
          "summaries come back as str, their text form", [type(s).__name__ for s in summaries])
    with conn.cursor(binary=True) as bcur:
        got = bcur.execute("SELECT %s" % ", ".join(
            "(SELECT %s FROM deals)" % agg for agg in FAMILIES.values())).fetchone()
    want = conn.execute("SELECT %s" % ", ".join(
        "(SELECT heartbeat.%s_summary_send(%s) FROM deals)" % kv for kv in FAMILIES.items())).fetchone()
    check([bytes(g) for g in got] == [bytes(w) for w in want],
          "a binary cursor gets each summary's send() bytes")

    # 7-10: a summary read back passed as a parameter: as psycopg sends a str
    # (unknown-typed, so PostgreSQL takes the one function that fits) ...
    conv, ticket = summaries[0], summaries[1]
    got = conn.execute("SELECT heartbeat.rate(%s), heartbeat.wilson_lower(%s), heartbeat.trials(%s)",
                       [conv, conv, conv]).fetchone()
    want = conn.execute("SELECT rate(s), wilson_lower(s), trials(s) FROM (SELECT conversion_agg(won) s FROM deals) q"
                        ).fetchone()
    check(got == want, "a conversion_summary str as an unknown-typed parameter: rate(), wilson_lower(), trials() "
          "equal SQL's", got, want)
    # ... with casts where the name has overloads (mean() of tickets and cycles, rollup()) ...
    got = conn.execute("SELECT heartbeat.mean(%s::heartbeat.ticket_summary), "
                       "heartbeat.median(%s::heartbeat.ticket_summary), heartbeat.mean(%s::heartbeat.cycle_summary)",
                       [ticket, ticket, summaries[2]]).fetchone()
    want = conn.execute("SELECT mean(ticket_agg(amount)), median(ticket_agg(amount)), "
                        "mean(cycle_agg(opened_at, closed_at, timestamptz '2026-12-01 00:00+00')) FROM deals").fetchone()
    check(got == want, "with a cast (%s::heartbeat.ticket_summary): mean(), median() equal SQL's", got, want)
    ok = True
    for fam, agg in FAMILIES.items():
        parts = [r[0] for r in conn.execute("SELECT %s::text FROM deals GROUP BY rep ORDER BY rep" % agg)]
        got = conn.execute("SELECT heartbeat.rollup(s::heartbeat.%s_summary)::text FROM unnest(%%s::text[]) s"
                           % fam, [parts]).fetchone()[0]
        want = conn.execute("SELECT rollup(s)::text FROM (SELECT %s AS s FROM deals GROUP BY rep) q"
                            % agg).fetchone()[0]
        ok = ok and got == want and len(parts) > 1
    check(ok, "rollup() of per-rep summaries sent as a list of str (text[], cast per element) "
          "equals SQL's rollup, every family")
    # ... and typed as text, which no heartbeat function takes (what JDBC's
    # setString does: varchar).
    try:
        conn.execute("SELECT heartbeat.rate(%s::text)", [conv])
        err = None
    except psycopg.errors.UndefinedFunction as e:
        err = e.diag.message_primary
    check(err == "function heartbeat.rate(text) does not exist",
          "a summary typed as text is refused: function heartbeat.rate(text) does not exist", err)

    # 11-12: COPY (FORMAT binary) of a table of every summary type, out and
    # back into another table, byte for byte.
    conn.execute("DROP TABLE IF EXISTS all_summaries, all_summaries_copy")
    conn.execute("CREATE TABLE all_summaries AS SELECT rep, %s FROM deals GROUP BY rep"
                 % ", ".join("%s AS %s" % (agg, fam) for fam, agg in FAMILIES.items()))
    conn.execute("INSERT INTO all_summaries (rep) VALUES (-1)")   # NULLs too
    conn.execute("CREATE TABLE all_summaries_copy (LIKE all_summaries)")
    out = bytearray()
    with conn.cursor() as c:
        with c.copy("COPY all_summaries TO STDOUT (FORMAT binary)") as copy:
            for block in copy:
                out += block
        with c.copy("COPY all_summaries_copy FROM STDIN (FORMAT binary)") as copy:
            copy.write(bytes(out))
    same = " AND ".join("a.{0}::text IS NOT DISTINCT FROM b.{0}::text AND heartbeat.{0}_summary_send(a.{0}) "
                        "IS NOT DISTINCT FROM heartbeat.{0}_summary_send(b.{0})".format(fam) for fam in FAMILIES)
    n, equal, total = conn.execute(
        "SELECT (SELECT count(*) FROM all_summaries), count(*) FILTER (WHERE %s), count(*) "
        "FROM all_summaries a JOIN all_summaries_copy b ON a.rep = b.rep" % same).fetchone()
    check(n > 2 and equal == n and total == n and
          conn.execute("SELECT count(*) FROM all_summaries_copy").fetchone()[0] == n,
          "COPY (FORMAT binary) out and back in: every summary of every family equal (text and send() bytes)",
          (n, equal, total))
    again = bytearray()
    with conn.cursor() as c:
        with c.copy("COPY all_summaries_copy TO STDOUT (FORMAT binary)") as copy:
            for block in copy:
                again += block
    check(len(out) > 100 and bytes(again) == bytes(out), "and the copy's own COPY (FORMAT binary) is the same bytes")
    conn.execute("DROP TABLE all_summaries, all_summaries_copy")

print("1..%d" % len(tests))
for i, (ok, name, got, want) in enumerate(tests, 1):
    print("%sok %d - %s" % ("" if ok else "not ", i, name))
    if not ok:
        print("#   got:  %r" % (got,))
        if want is not None:
            print("#   want: %r" % (want,))
sys.exit(0 if all(t[0] for t in tests) else 1)
