"""make crosscheck: heartbeat's figures against references computed apart
from it, on seeded generated data, as TAP (issue #14).

  heartbeat                       reference
  Kaplan-Meier: close_probability R survival::survfit, S at every event time
    and survival_percentile         and every day (hour); percentile p = R's
                                    first time at which S <= 1 - p
  percentile, median_cycle        percentile_disc (plain SQL), R quantile(type = 1)
  ticket percentile, median       percentile_disc (plain SQL)
  ticket total, mean, ...         sum, avg, min, max (SQL), Python's exact
                                  decimals and fractions, R sum/mean/sd,
                                  statsmodels DescrStatsW
  wilson_lower, wilson_upper      statsmodels proportion_confint(method='wilson')
  compare()                       statsmodels proportions_ztest (pooled)

The references are checked against each other too (survfit against a
Kaplan-Meier in plain SQL, percentile_disc against R's quantile), so that a
failure points at heartbeat.  Run by scripts/crosscheck.sh against the
server that the libpq environment (PGHOST, PGPORT, PGUSER) names, with
heartbeat installed there; it makes and drops the database
heartbeat_crosscheck.  Argument: a directory for the data and R's answers.
"""
import collections
import csv
import datetime
import decimal
import fractions
import io
import math
import os
import random
import bisect
import subprocess
import sys

import numpy
import psycopg2
from statsmodels.stats.proportion import proportion_confint, proportions_ztest
from statsmodels.stats.weightstats import DescrStatsW

# ---- what is promised (README, "Accuracy"); each stated once, here ----
# Cycles on date data: exact, results whole days.  Kaplan-Meier
# probabilities are products, so "exact" allows their rounding, KM_EPS.
KM_EPS = 1e-12
# Cycles on timestamptz data: a percentile of closed deals within time_rel
# (relative) or time_abs seconds of percentile_disc.
Bound = collections.namedtuple("Bound", "time_rel time_abs prob")
TIMESTAMPTZ_BOUND = Bound(time_rel=0.005, time_abs=1.0, prob=None)
# Kaplan-Meier on timestamptz data (sketch summaries), with F = 1 - S the
# exact share closed by a time (R's curve): time within time_rel (relative)
# and probability within prob.  survival_percentile(s, p) = t with
# F(t * (1 + time_rel) + time_abs) >= p - prob and
# F(t / (1 + time_rel) - time_abs) <= p + prob (time_abs: its rounding to
# the second), NULL only where F never reaches p + prob;
# close_probability(s, h) between F(h / (1 + 2 time_rel)) - prob and
# F(h * (1 + 2 time_rel)) + prob (the sketch bucket holding h counts whole).
KM_SKETCH_BOUND = Bound(time_rel=0.004, time_abs=0.5, prob=0.001)
# Ticket percentiles: percentile_disc exactly while a summary holds up to
# TICKET_EXACT_DISTINCT distinct amounts, within TICKET_REL (relative) beyond.
TICKET_EXACT_DISTINCT = 1024
TICKET_REL = decimal.Decimal("0.004")
# Floating-point figures against R and statsmodels: relative, plus a few
# units in the last place of the terms where a result is their difference.
FLOAT_REL = 1e-12

SEED = int(os.environ.get("HEARTBEAT_CROSSCHECK_SEED", "14"))
DAY_US = 86400 * 10**6
GRID = [k / 1000 for k in range(1001)]          # p = 0, 0.001, ..., 1: k / 1000 in R and SQL too


class Tap:
    """TAP, one test per figure; a failure's first differences as diagnostics."""
    def __init__(self):
        self.n = 0
        self.failed = []

    def check(self, name, problems, shown=6):
        self.n += 1
        print("ok" if not problems else "not ok", self.n, "-", name)
        if problems:
            self.failed.append(self.n)
            for line in problems[:shown]:
                print("#   " + line)
            if len(problems) > shown:
                print("#   ... %d more" % (len(problems) - shown))
        sys.stdout.flush()

    def done(self):
        print("1..%d" % self.n)
        return 1 if self.failed else 0


def close(a, b, scale=0.0):
    """Floats a and b (None, or NaN for b, meaning no value) equal up to
    FLOAT_REL, or a few ulps of scale."""
    if a is None or b is None or math.isnan(b):
        return a is None and (b is None or math.isnan(b))
    return abs(a - b) <= FLOAT_REL * max(abs(a), abs(b)) + 8 * sys.float_info.epsilon * abs(scale)


# ---- data: seeded, with ties, censoring, heavy tails, refunds ----
def cycle_days(rng, grp):
    """A cycle in whole days: same-day closes, popular durations (ties; group
    B mostly those), a log-normal body and a Pareto tail; group E, 1 to 10
    days, where S falls on 1 - p exactly (S = 1 - closed / 20)."""
    if grp == "E":
        return rng.randint(1, 10)
    u = rng.random()
    if u < 0.04:
        return 0
    if u < 0.34 or (grp == "B" and u < 0.85):
        return rng.choice((1, 7, 14, 30, 30, 60, 90))
    if u < 0.84:
        return round(rng.lognormvariate(math.log(25), 0.9))
    return min(3000, round(30 * rng.paretovariate(1.2)))


def cycle_us(rng, grp):
    """A cycle in microseconds: zero, whole days and batch durations (ties),
    a log-normal body and a Pareto tail; group E as on date data."""
    if grp == "E":
        return rng.randint(1, 10) * DAY_US
    u = rng.random()
    if u < 0.03:
        return 0
    if u < 0.23 or (grp == "B" and u < 0.7):
        return rng.choice((1, 2, 7, 14, 30)) * DAY_US
    if u < 0.33:
        return rng.choice((3 * DAY_US + 4 * 3600 * 10**6, 45 * 60 * 10**6))
    if u < 0.78:
        return round(rng.lognormvariate(math.log(20 * 86400), 1.0) * 1e6)
    return min(3 * 365 * DAY_US, round(20 * 86400 * rng.paretovariate(1.1) * 1e6))


# group, deals, share never closed
CYCLE_GROUPS = (("A", 2000, 0.08), ("B", 800, 0.08), ("C", 300, 0.5), ("D", 12, 0.25), ("E", 20, 0))


def gen_cycles(rng, kind):
    """Rows (grp, month, opened, closed or None) and the as_of moment.  Some
    deals never close, some close after as_of (open then), some are dirty
    (closed before opened: skipped), some open after as_of (ignored)."""
    if kind == "date":
        t0, as_of = datetime.date(2023, 1, 1), datetime.date(2025, 12, 31)
        unit, draw = datetime.timedelta(days=1), cycle_days
        span = 3 * 365 + 20
    else:
        utc = datetime.timezone.utc
        t0, as_of, unit, draw = (datetime.datetime(2023, 1, 1, tzinfo=utc), datetime.datetime(2026, 1, 1, tzinfo=utc),
                                 datetime.timedelta(microseconds=1), cycle_us)
        span = (3 * 365 + 20) * DAY_US
    rows = []
    for grp, n, never in CYCLE_GROUPS:
        for _ in range(n):
            opened = t0 + rng.randrange(span) * unit
            u = rng.random()
            if u < never:
                closed = None
            elif u < never + 0.01 and opened < as_of - 10 * unit and grp != "E":
                closed = opened - rng.randrange(1, 5) * unit
            else:
                closed = opened + draw(rng, grp) * unit
            rows.append((grp, opened.year * 12 + opened.month, opened, closed))
    return rows, as_of


def survival_rows(rows, as_of, kind):
    """(grp, time, status) as the README defines them, for R: time in whole
    days, or in microseconds (R reads integers exactly, not every decimal);
    status 1 closed, 0 open (censored at its age at as_of).  And the counts
    of closed, open, skipped deals."""
    def time(d):
        return d.days if kind == "date" else d // datetime.timedelta(microseconds=1)
    out, counts = [], collections.defaultdict(collections.Counter)
    for grp, _, opened, closed in rows:
        if opened > as_of:
            continue
        if closed is not None and closed < opened:
            counts[grp]["skipped"] += 1
        elif closed is not None and closed <= as_of:
            out.append((grp, time(closed - opened), 1))
            counts[grp]["closed"] += 1
        else:
            out.append((grp, time(as_of - opened), 0))
            counts[grp]["open"] += 1
    return out, counts


def amount(rng):
    """A ticket in cents: zero, refunds (negative), round figures (ties), a
    log-normal body and a Pareto tail."""
    u = rng.random()
    if u < 0.01:
        return 0
    if u < 0.05:
        return -rng.choice((25000, 50000, 100000, 123450))
    if u < 0.20:
        return rng.choice((100000, 500000, 1000000))
    if u < 0.92:
        return round(rng.lognormvariate(math.log(250000), 1.0))
    return min(2 * 10**9, round(250000 * rng.paretovariate(1.1)))


def gen_tickets(rng):
    """Rows (grp, month, amount): the README's example, one deal, a few values
    with refunds and zero, reps of 150 to 1,200 deals, exactly 1,024 and
    1,025 distinct amounts (each 1 to 4 times), and 20,000 deals."""
    def cents(c):
        return decimal.Decimal(c).scaleb(-2)

    def distinct(k):
        seen = set()
        while len(seen) < k:
            seen.add(amount(rng))
        return [cents(c) for c in sorted(seen) for _ in range(rng.randint(1, 4))]
    g = {"readme": [decimal.Decimal(5000)] * 10 + [decimal.Decimal(100000)],
         "one": [decimal.Decimal("1234.56")],
         "ties": [decimal.Decimal(rng.choice((-250, 0, 100, 250, 250, 1000, 1000, 1000, 7500))) for _ in range(60)],
         "distinct1024": distinct(1024), "distinct1025": distinct(1025),
         "big": [cents(amount(rng)) for _ in range(20000)]}
    for i, n in enumerate((150, 300, 600, 1200), 1):
        g["rep%d" % i] = [cents(amount(rng)) for _ in range(n)]
    rows = []
    for grp in sorted(g):
        rows += [(grp, rng.randrange(12), a) for a in g[grp]]
    rng.shuffle(rows)
    return rows


# summaries made by rollup() of per-month summaries, and their groups
TICKET_ROLLUPS = {"rep3 rolled up from months": ["rep3"],
                  "all reps rolled up from months": ["rep1", "rep2", "rep3", "rep4"]}


def gen_conversions(rng):
    """Rows (rep, month, won): won, lost or open (NULL), win rates from 2% to
    95%, a month without deals and months with few."""
    rows = []
    for rep, rate in enumerate((0.02, 0.2, 0.35, 0.5, 0.8, 0.95)):
        for month in range(12):
            n = 0 if (rep, month) == (2, 5) else rng.choice((3, 10, 40, 150, 600))
            for _ in range(n):
                won = None if rng.random() < 0.1 else rng.random() < rate + 0.05 * math.sin(month)
                rows.append(("rep%d" % rep, month, won))
    return rows


# ---- plumbing ----
def copy_rows(cur, table, rows):
    buf = io.StringIO("".join("\t".join("\\N" if v is None else str(v) for v in r) + "\n" for r in rows))
    cur.copy_expert("COPY %s FROM STDIN" % table, buf)


def query(cur, sql, args=None):
    cur.execute(sql, args)
    return cur.fetchall()


def write_csv(path, header, rows):
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerows(rows)


def read_csv(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def rnum(s):
    return None if s == "NA" else float(s)


# ---- the cycle family ----
class Cycles:
    """One kind of cycle data (date or timestamptz) in the database: its
    summaries (each group's, all deals', and all deals' by rollup() of
    per-group monthly summaries), R's answers, and how near is near."""

    def __init__(self, tap, cur, kind, rows, as_of, r):
        self.tap, self.cur, self.kind, self.as_of = tap, cur, kind, as_of
        self.exact = kind == "date"
        self.t = "cyc_date" if self.exact else "cyc_ts"
        self.unit = decimal.Decimal(86400 if self.exact else "0.000001")   # seconds in R's time unit
        self.step = "day" if self.exact else "hour"     # of the close_probability grid
        self.label = "%s data" % kind
        # a deal's age in R's time unit, in SQL
        self.age = "(%s - opened)" if self.exact else "(extract(epoch FROM %s - opened) * 1000000)"
        self.r = {k: [x for x in v if x.get("data") == kind] for k, v in r.items()}
        cur.execute("CREATE TABLE {t} (grp text, month int, opened {k}, closed {k})".format(t=self.t, k=kind))
        copy_rows(cur, self.t, rows)
        cur.execute("""CREATE TABLE {t}_s AS
            SELECT grp, grp AS ref, cycle_agg(opened, closed, %(a)s::{k}) AS s FROM {t} GROUP BY grp
            UNION ALL SELECT 'all', 'all', cycle_agg(opened, closed, %(a)s::{k}) FROM {t}
            UNION ALL SELECT 'all, rolled up', 'all', rollup(s)
                        FROM (SELECT cycle_agg(opened, closed, %(a)s::{k}) s FROM {t} GROUP BY grp, month) q
            """.format(t=self.t, k=kind), {"a": as_of})
        self.ref = dict(query(cur, "SELECT grp, ref FROM %s_s" % self.t))   # summary -> R's group
        # R's curve, per group: event times (R's unit) and F = 1 - S after each
        self.f_curve = collections.defaultdict(lambda: ([], []))
        for c in self.r["curve"]:
            if int(c["n_event"]) > 0:
                self.f_curve[c["grp"]][0].append(float(c["time"]))
                self.f_curve[c["grp"]][1].append(1 - float(c["surv"]))
        self.counts = survival_rows(rows, as_of, kind)[1]
        self.counts["all"] = sum(self.counts.values(), collections.Counter())

    def f(self, ref, x):
        """R's F = 1 - S at time x (R's unit) for group ref."""
        times, f = self.f_curve[ref]
        i = bisect.bisect_right(times, x)
        return f[i - 1] if i > 0 else 0.0

    def seconds(self, t):
        """A time in R's unit (day, microsecond) in seconds."""
        return None if t is None else float(decimal.Decimal(t) * self.unit)

    def near(self, got, want):
        """Seconds: equal on whole days; within TIMESTAMPTZ_BOUND otherwise."""
        if got is None or want is None:
            return got is None and want is None
        if self.exact:
            return got == want
        return abs(got - want) <= max(TIMESTAMPTZ_BOUND.time_rel * want, TIMESTAMPTZ_BOUND.time_abs)

    def promise(self):
        if self.exact:
            return "equals (whole days)"
        return "within %g%% or %g s of" % (100 * TIMESTAMPTZ_BOUND.time_rel, TIMESTAMPTZ_BOUND.time_abs)

    def show(self, seconds):
        if seconds is None:
            return "NULL"
        return "%s days" % (seconds / 86400) if self.exact else "%s s" % seconds

    def worst(self, pairs):
        """The largest relative difference, said in a failure's name."""
        rel = [abs(g - w) / w for g, w in pairs if g is not None and w]
        return "" if self.exact else " (largest relative difference %.4f)" % max(rel, default=0)

    def check_counts(self):
        bad = []
        for g, ref, *got in query(self.cur, """SELECT grp, ref, closed_deals(s), open_deals(s), skipped(s)
                                                 FROM %s_s""" % self.t):
            want = [self.counts[ref][k] for k in ("closed", "open", "skipped")]
            if got != want:
                bad.append("%s: closed, open, skipped %s, expected %s" % (g, got, want))
        self.tap.check("%s: closed, open (censored) and skipped deals counted as the README defines them" % self.label, bad)

    def check_references(self):
        """survfit's curve against a Kaplan-Meier in plain SQL (events before
        censorings at ties), at every event time."""
        mine = dict(((g, t), s) for g, t, s in query(self.cur, """
            WITH d AS (SELECT g, CASE WHEN closed <= %(a)s THEN {closed} ELSE {open} END AS t,
                              coalesce(closed <= %(a)s, false) AS closed
                         FROM {t}, LATERAL (VALUES (grp), ('all')) v(g)
                        WHERE opened <= %(a)s AND (closed IS NULL OR closed >= opened)),
                 ev AS (SELECT g, t, count(*) FILTER (WHERE closed) dn, count(*) c FROM d GROUP BY g, t),
                 steps AS (SELECT g, t, dn, sum(c) OVER (PARTITION BY g ORDER BY t DESC) n FROM ev)
            SELECT g, t::float8,
                   CASE WHEN bool_or(dn = n) OVER w THEN 0 ELSE exp(sum(ln(nullif(1 - dn::float8 / n, 0))) OVER w) END
              FROM steps WHERE dn > 0 WINDOW w AS (PARTITION BY g ORDER BY t)""".format(
            t=self.t, closed=self.age % "closed", open=self.age % "%(a)s"), {"a": self.as_of}))
        theirs = dict(((c["grp"], float(c["time"])), float(c["surv"])) for c in self.r["curve"] if int(c["n_event"]) > 0)
        bad = ["%s, time %s: S %s in SQL, %s in R" % (g, t, mine.get((g, t)), theirs.get((g, t)))
               for g, t in sorted(set(theirs) | set(mine))
               if (g, t) not in theirs or (g, t) not in mine or abs(mine[g, t] - theirs[g, t]) > KM_EPS]
        self.tap.check("%s: the references agree: a Kaplan-Meier in plain SQL equals R survfit at each of its %d event times"
                       % (self.label, len(theirs)), bad)

    def check_curve(self):
        """1 - close_probability at every event day is R's S there (date data)."""
        events = [(c["grp"], int(float(c["time"])), float(c["surv"])) for c in self.r["curve"] if int(c["n_event"]) > 0]
        got = dict(((g, h), p) for g, h, p in query(self.cur, """
            SELECT grp, h, close_probability(s, h * interval '1 day') FROM %s_s, unnest(%%s::int[]) h""" % self.t,
                                                    (sorted({h for _, h, _ in events}),)))
        bad = ["%s, day %d: S = 1 - close_probability %.17g, R survfit %.17g" % (g, h, 1 - got[g, h], s)
               for g, ref in sorted(self.ref.items()) for rg, h, s in events
               if rg == ref and abs(1 - got[g, h] - s) > KM_EPS]
        self.tap.check("%s: the Kaplan-Meier curve S(t) equals R survfit's at every event day (%d)"
                       % (self.label, len(events)), bad)

    def check_close_probability(self):
        """close_probability(s, h) at every day (hour) h up to past the last
        time: 1 - S(h), deals closed at h included."""
        at = collections.defaultdict(dict)
        for a in self.r["at"]:
            at[a["grp"]][int(a["h"])] = 1 - float(a["surv"])
        b = KM_SKETCH_BOUND
        wide = 1 + 2 * b.time_rel
        bad, n, worst = [], 0, 0.0
        for g, h, p in query(self.cur, """SELECT grp, h, close_probability(s, h * interval '1 %s')
                                            FROM %s_s, generate_series(0, %%s) h ORDER BY 1, 2""" % (self.step, self.t),
                             (max(max(v) for v in at.values()),)):
            want = at[self.ref[g]].get(h)
            if want is None:
                continue
            n += 1
            worst = max(worst, abs(p - want))
            if self.exact:
                if abs(p - want) > KM_EPS:
                    bad.append("%s, %d %ss: close_probability %.17g, R survfit 1 - S %.17g" % (g, h, self.step, p, want))
                continue
            x = h * 3600 * 10**6
            lo, hi = self.f(self.ref[g], x / wide) - b.prob, self.f(self.ref[g], x * wide) + b.prob
            if not lo <= p <= hi:
                bad.append("%s, %d %ss: close_probability %.17g, R survfit 1 - S %.17g at h / %g, %.17g at h * %g"
                           % (g, h, self.step, p, lo + b.prob, wide, hi - b.prob, wide))
        self.tap.check("%s: close_probability(s, h) at every %s h (%d) %s" % (
            self.label, self.step, n,
            "equals 1 - S(h) of R survfit" if self.exact else
            "within %g%% in time and %g in probability of 1 - S of R survfit (at the same h: largest difference %.4f)"
            % (100 * 2 * b.time_rel, b.prob, worst)), bad)

    def check_survival_percentile(self):
        """survival_percentile(s, p), p = 0.001 ... 0.999: R's first time at
        which S <= 1 - p.  Where S equals 1 - p exactly, rounding may put the
        crossing a step later or earlier: R's rule with 1 - p moved by 1e-10
        either way is as good an answer there."""
        refs = dict(((f["grp"], int(f["k"])), [rnum(f[c]) for c in ("first", "above", "below")]) for f in self.r["first"])
        b = KM_SKETCH_BOUND
        bad, pairs = [], []
        for g, k, got, text in query(self.cur, """
                SELECT grp, k, extract(epoch FROM x)::float8, x::text FROM %s_s, generate_series(1, 999) k,
                       LATERAL (SELECT survival_percentile(s, k / 1000.0::float8) x) q ORDER BY 1, 2""" % self.t):
            want = [self.seconds(t) for t in refs[self.ref[g], k]]
            pairs.append((got, want[0]))
            if self.exact:
                ok = any(self.near(got, w) for w in want)
            elif got is None:
                ok = max(self.f_curve[self.ref[g]][1], default=0.0) < k / 1000 + b.prob
            else:
                t = got * 10**6                                 # R's unit: microseconds
                ok = (self.f(self.ref[g], t * (1 + b.time_rel) + b.time_abs * 10**6) >= k / 1000 - b.prob and
                      self.f(self.ref[g], t / (1 + b.time_rel) - b.time_abs * 10**6) <= k / 1000 + b.prob)
            if not ok:
                bad.append("%s, p = %s: survival_percentile %s, R %s" % (
                    g, k / 1000, text, " or ".join(sorted({self.show(w) for w in want}))))
        self.tap.check("%s: survival_percentile(s, p) for p = 0.001 ... 0.999 %s R's first time S <= 1 - p%s"
                       % (self.label, "equals (whole days)" if self.exact else
                          "within %g%% (or %g s) in time and %g in probability of" % (100 * b.time_rel, b.time_abs, b.prob),
                          self.worst(pairs)), bad)
        bad = [g for g, same in query(self.cur, """
                SELECT grp, survival_median(s) IS NOT DISTINCT FROM survival_percentile(s, 0.5) FROM %s_s""" % self.t)
               if not same]
        self.tap.check("%s: survival_median is survival_percentile(s, 0.5)" % self.label, bad)

    def check_percentiles(self):
        """Percentiles of closed deals: percentile_disc of the ages at as_of,
        which R's quantile(type = 1) must equal too; and the one-step
        median_cycle over every finite closed deal."""
        disc = {}
        for g, ref in self.ref.items():
            disc[g] = list(query(self.cur, """
                SELECT percentile_disc(%s::float8[]) WITHIN GROUP (ORDER BY {age}) FROM {t}
                 WHERE %s IN (grp, 'all') AND closed >= opened AND closed <= %s AND opened <= %s""".format(
                age=self.age % "closed", t=self.t), (GRID, ref, self.as_of, self.as_of))[0][0])
        q1 = dict(((q["grp"], int(q["k"])), rnum(q["q"])) for q in self.r["q1"])
        bad = ["%s, p = %s: percentile_disc %s, R quantile(type = 1) %s"
               % (g, k / 1000, self.show(self.seconds(disc[g][k])), self.show(self.seconds(q1[ref, k])))
               for g, ref in sorted(self.ref.items()) for k in range(1001) if float(disc[g][k]) != q1[ref, k]]
        self.tap.check("%s: the references agree: percentile_disc equals R quantile(type = 1) at p = 0, 0.001, ..., 1"
                       % self.label, bad)
        bad, pairs = [], []
        for g, k, got, text in query(self.cur, """
                SELECT grp, k, extract(epoch FROM x)::float8, x::text FROM %s_s, generate_series(0, 1000) k,
                       LATERAL (SELECT percentile(s, k / 1000.0::float8) x) q ORDER BY 1, 2""" % self.t):
            want = self.seconds(disc[g][k])
            pairs.append((got, want))
            if not self.near(got, want):
                bad.append("%s, p = %s: percentile %s, percentile_disc %s" % (g, k / 1000, text, self.show(want)))
        self.tap.check("%s: percentile(s, p) of closed deals for p = 0, 0.001, ..., 1 %s percentile_disc%s"
                       % (self.label, self.promise(), self.worst(pairs)), bad)
        # median(s) at as_of; the one-step median_cycle over every finite closed deal
        medians = [("median", g, got, text, disc[g][500]) for g, got, text in query(self.cur, """
            SELECT grp, extract(epoch FROM median(s))::float8, median(s)::text FROM %s_s""" % self.t)]
        medians += [("median_cycle", g, got, text, want) for g, got, text, want in query(self.cur, """
            SELECT grp, extract(epoch FROM m)::float8, m::text, want
              FROM (SELECT grp, median_cycle(opened, closed) m, percentile_disc(0.5) WITHIN GROUP (ORDER BY {age}) want
                      FROM {t} WHERE closed >= opened GROUP BY grp) q""".format(age=self.age % "closed", t=self.t))]
        bad = ["%s: %s %s, percentile_disc(0.5) %s" % (g, what, text, self.show(self.seconds(want)))
               for what, g, got, text, want in medians if not self.near(got, self.seconds(want))]
        self.tap.check("%s: median(s), and median_cycle(opened, closed) in one step, each %s percentile_disc(0.5) "
                       "of closed deals" % (self.label, self.promise()), bad)

    def run(self):
        self.check_counts()
        self.check_references()
        if self.exact:
            self.check_curve()
        self.check_close_probability()
        self.check_survival_percentile()
        self.check_percentiles()


# ---- the ticket family ----
def ticket_checks(tap, cur, rows, r):
    cur.execute("CREATE TABLE tick (grp text, month int, amount numeric)")
    copy_rows(cur, "tick", rows)
    members = {g: [g] for g in {g for g, _, _ in rows}}
    members.update(TICKET_ROLLUPS)
    cur.execute("CREATE TABLE tick_set (name text, grp text)")
    copy_rows(cur, "tick_set", [(n, g) for n, gs in members.items() for g in gs])
    cur.execute("""CREATE TABLE tick_s AS
        SELECT grp AS name, ticket_agg(amount) AS s, median_ticket(amount) AS m FROM tick GROUP BY grp
        UNION ALL
        SELECT name, rollup(s), NULL FROM (SELECT name, ticket_agg(amount) s FROM tick_set JOIN tick USING (grp)
                                            WHERE name LIKE '%rolled up%' GROUP BY name, grp, month) q GROUP BY name""")
    amounts = {n: [a for g, _, a in rows if g in gs] for n, gs in members.items()}
    exact = {n: len(set(a)) <= TICKET_EXACT_DISTINCT for n, a in amounts.items()}

    def near(got, want, n):
        return got == want if exact[n] else abs(got - want) <= TICKET_REL * abs(want)

    disc = dict(query(cur, """SELECT name, percentile_disc(%s::float8[]) WITHIN GROUP (ORDER BY amount)
                                FROM tick_set JOIN tick USING (grp) GROUP BY name""", (GRID,)))
    got = collections.defaultdict(dict)
    for n, k, x in query(cur, "SELECT name, k, percentile(s, k / 1000.0::float8) FROM tick_s, generate_series(0, 1000) k"):
        got[n][k] = x
    for want_exact in (True, False):
        names = sorted(n for n in got if exact[n] == want_exact)
        bad = ["%s, p = %s: percentile %s, percentile_disc %s" % (n, k / 1000, got[n][k], disc[n][k])
               for n in names for k in range(1001) if not near(got[n][k], disc[n][k], n)]
        worst = max((abs(got[n][k] - disc[n][k]) / abs(disc[n][k]) for n in names for k in range(1001) if disc[n][k]),
                    default=0)
        tap.check("ticket percentile(s, p) for p = 0, 0.001, ..., 1 %s percentile_disc with %s %d distinct amounts: %s%s" % (
            "equals" if want_exact else "within %g%% of" % (100 * float(TICKET_REL)),
            "up to" if want_exact else "more than", TICKET_EXACT_DISTINCT,
            ", ".join("%s (%d)" % (n, len(set(amounts[n]))) for n in names),
            "" if want_exact else " (largest relative difference %.5f)" % worst), bad)
    bad = ["%s: %s %s, percentile_disc(0.5) %s" % (n, what, x, disc[n][500])
           for n, med, m in query(cur, "SELECT name, median(s), m FROM tick_s ORDER BY name")
           for what, x in (("median(ticket_agg)", med), ("median_ticket", m))
           if x is not None and not near(x, disc[n][500], n)]
    tap.check("median(ticket_agg(x)) and median_ticket(x) equal percentile_disc(0.5) up to %d distinct amounts "
              "(the README's ten deals of 5000 and one of 100000: 5000), within %g%% beyond"
              % (TICKET_EXACT_DISTINCT, 100 * float(TICKET_REL)), bad)

    # exact money: SQL's sum, avg, min, max, count, and Python's own sums
    bad = []
    for n, mine, sql in query(cur, """
            SELECT name, ARRAY[total(s), mean(s), smallest(s), largest(s), deals(s), a.avg_ticket],
                         ARRAY[a.sum, a.avg, a.min, a.max, a.count, a.avg]
              FROM tick_s JOIN (SELECT name, sum(amount), avg(amount), min(amount), max(amount), count(amount),
                                       avg_ticket(amount) FROM tick_set JOIN tick USING (grp) GROUP BY name) a USING (name)
             ORDER BY name"""):
        a = amounts[n]
        if sql[0] != sum(a) or sql[2:5] != [min(a), max(a), len(a)]:
            bad.append("%s: the references disagree: SQL %s, Python sum %s, min %s, max %s, count %d" % (
                n, sql, sum(a), min(a), max(a), len(a)))
        bad += ["%s: %s %s, expected %s" % (n, what, x, w)
                for what, x, w in zip(("total", "mean", "smallest", "largest", "deals", "avg_ticket"), mine, sql) if x != w]
    tap.check("ticket total, mean, smallest, largest, deals and avg_ticket equal sum, avg, min, max, count "
              "(and Python's exact sum, min, max)", bad)

    # against doubles: R, statsmodels, and the exact standard deviation
    rm = {m["grp"]: m for m in r["moments"]}
    bad = []
    for n, tot, mean, sd in query(cur, """SELECT name, total(s)::float8, mean(s)::float8, stddev_amount(s)
                                            FROM tick_s ORDER BY name"""):
        x = numpy.array([float(v) for v in amounts[n]])
        dsw = DescrStatsW(x, ddof=1)
        fr = [fractions.Fraction(v) for v in amounts[n]]
        m = sum(fr) / len(fr)
        var = sum((v - m) ** 2 for v in fr) / (len(fr) - 1) if len(fr) > 1 else None
        ctx = decimal.Context(prec=40)
        exact_sd = None if var is None else float(ctx.sqrt(ctx.divide(decimal.Decimal(var.numerator), var.denominator)))
        for what, a, b in (("total, R sum", tot, rnum(rm[n]["sum"])), ("mean, R mean", mean, rnum(rm[n]["mean"])),
                           ("mean, statsmodels", mean, float(dsw.mean)), ("stddev_amount, R sd", sd, rnum(rm[n]["sd"])),
                           ("stddev_amount, statsmodels DescrStatsW(ddof=1).std", sd,
                            None if var is None else float(dsw.std)),
                           ("stddev_amount, exact", sd, exact_sd)):
            if not close(a, b):
                bad.append("%s: %s: %r, %r" % (n, what, a, b))
    tap.check("ticket total, mean and stddev_amount equal R's sum, mean, sd, statsmodels' and the exact ones (relative %g)"
              % FLOAT_REL, bad)


# ---- the conversion family ----
EDGE_COUNTS = [(0, 1), (1, 1), (0, 50), (50, 50), (3, 3), (8, 10), (1, 10**6), (10**6 - 1, 10**6),
               (12345678, 98765432101), (2**40, 2**41 + 3)]
EDGE_PAIRS = [((30, 100), (45, 100)),                      # the README's example
              ((100, 1000), (300, 1000)),                  # z about 10.7, p about 1e-26
              ((0, 10), (0, 20)), ((10, 10), (20, 20)),    # no variance: z and p NULL
              ((1, 10**7), (3, 10**7)), ((7, 9), (1, 400)), ((5, 10), (0, 0)), ((0, 0), (0, 0))]
CONFIDENCES = {"customary confidences 0.5 to 0.999": (0.5, 0.8, 0.9, 0.95, 0.99, 0.999),
               "high confidences 0.9999 to 1 - 1e-12": (0.9999, 0.99999, 0.999999, 0.9999999, 1 - 1e-9, 1 - 1e-12)}


def summary_text(x, n):
    return '{"version":1,"conversions":%d,"trials":%d}' % (x, n)


def conversion_checks(tap, cur, rows):
    cur.execute("CREATE TABLE conv (grp text, month int, won boolean)")
    copy_rows(cur, "conv", rows)
    cur.execute("CREATE TABLE conv_s AS SELECT grp, month, conversion_agg(won) s FROM conv GROUP BY grp, month")
    counts = {}
    for g, m, won in rows:
        c = counts.setdefault((g, m), [0, 0])
        if won is not None:
            c[0] += won
            c[1] += 1
    got = query(cur, "SELECT grp, month, conversions(s), trials(s), rate(s), s::text FROM conv_s")
    bad = ["%s month %d: %d/%d rate %r, expected %s" % (g, m, x, n, rt, counts[g, m])
           for g, m, x, n, rt, _ in got if [x, n] != counts[g, m] or rt != (x / n if n else None)]
    tap.check("conversions, trials and rate of conversion_agg per rep and month (%d summaries) as counted from the deals"
              % len(got), bad)

    # Wilson: the aggregated summaries and the edge counts, at several confidences
    summaries = [("%s month %d" % (g, m), s, x, n) for g, m, x, n, _, s in sorted(got) if n > 0]
    summaries += [("%d/%d" % (x, n), summary_text(x, n), x, n) for x, n in EDGE_COUNTS]
    for which, confidences in CONFIDENCES.items():
        bad = []
        for name, s, x, n in summaries:
            for conf in confidences:
                lo, hi = query(cur, """SELECT wilson_lower(%s::conversion_summary, %s),
                                              wilson_upper(%s::conversion_summary, %s)""", (s, conf, s, conf))[0]
                # counts as floats: statsmodels squares an integer nobs in int64, which wraps past 3e9 trials
                slo, shi = proportion_confint(float(x), float(n), alpha=1 - conf, method="wilson")
                if not (close(lo, slo, slo + shi) and close(hi, shi, slo + shi)):
                    bad.append("%s, confidence %r: [%r, %r], statsmodels [%r, %r]" % (name, conf, lo, hi, slo, shi))
        tap.check("wilson_lower and wilson_upper equal statsmodels proportion_confint(method='wilson') at %s "
                  "(%d intervals, relative %g)" % (which, len(summaries) * len(confidences), FLOAT_REL), bad)

    # compare(): month over month per rep, and the edge pairs
    cases = [("%s months %d to %d" % (g, m - 1, m), counts[g, m - 1], counts[g, m])
             for g, m in sorted(counts) if (g, m - 1) in counts]
    cases += [("%d/%d to %d/%d" % (a + b), a, b) for a, b in EDGE_PAIRS]
    bad = []
    for name, (x1, n1), (x2, n2) in cases:
        rb, ra, delta, z, pv = query(cur, "SELECT * FROM compare(%s::conversion_summary, %s::conversion_summary)",
                                     (summary_text(x1, n1), summary_text(x2, n2)))[0]
        want = (x1 / n1 if n1 else None, x2 / n2 if n2 else None, x2 / n2 - x1 / n1 if n1 and n2 else None)
        sz = sp = None
        if n1 and n2:
            with numpy.errstate(divide="ignore", invalid="ignore"):
                sz, sp = proportions_ztest([float(x2), float(x1)], [float(n2), float(n1)], value=0,
                                           alternative="two-sided", prop_var=False)
            sz, sp = (float(sz), float(sp)) if numpy.isfinite(sz) else (None, None)
        if (rb, ra, delta) != want or not close(z, sz) or not close(pv, sp):
            bad.append("%s: (%r, %r, %r, z %r, p %r), expected (%r, %r, %r), statsmodels z %r, p %r"
                       % ((name, rb, ra, delta, z, pv) + want + (sz, sp)))
    tap.check("compare() equals statsmodels proportions_ztest (pooled, two-sided) on %d pairs: rates, delta, z, p_value "
              "(relative %g)" % (len(cases), FLOAT_REL), bad)


def main():
    work = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else "results/crosscheck")
    os.makedirs(work, exist_ok=True)
    rng = random.Random(SEED)
    cycles = [(kind,) + gen_cycles(rng, kind) for kind in ("date", "timestamptz")]
    tickets = gen_tickets(rng)
    conversions = gen_conversions(rng)
    print("# seed %d (HEARTBEAT_CROSSCHECK_SEED); the data and R's answers are in %s" % (SEED, work))

    # R's answers, from the same rows
    out = []
    for kind, rows, as_of in cycles:
        surv = survival_rows(rows, as_of, kind)[0]
        out += [(kind, g, t, s) for g, t, s in surv] + [(kind, "all", t, s) for _, t, s in surv]
    write_csv(os.path.join(work, "cycles.csv"), ("data", "grp", "time", "status"), out)
    out = [(g, a) for g, _, a in tickets]
    out += [(n, a) for n, gs in TICKET_ROLLUPS.items() for g, _, a in tickets if g in gs]
    write_csv(os.path.join(work, "tickets.csv"), ("grp", "amount"), out)
    subprocess.run(["Rscript", "--vanilla", os.path.join(os.path.dirname(os.path.abspath(__file__)), "reference.R"), work],
                   check=True)
    r = {k: read_csv(os.path.join(work, "r_%s.csv" % k)) for k in ("curve", "first", "at", "q1", "moments")}

    admin = psycopg2.connect(dbname=os.environ.get("PGDATABASE", "postgres"))
    admin.autocommit = True
    admin.cursor().execute("DROP DATABASE IF EXISTS heartbeat_crosscheck")
    admin.cursor().execute("CREATE DATABASE heartbeat_crosscheck")
    tap = Tap()
    db = psycopg2.connect(dbname="heartbeat_crosscheck")
    try:
        db.autocommit = True
        cur = db.cursor()
        cur.execute("CREATE EXTENSION heartbeat; SET search_path = public, heartbeat; SET TimeZone = 'UTC'")
        for kind, rows, as_of in cycles:
            Cycles(tap, cur, kind, rows, as_of, r).run()
        ticket_checks(tap, cur, tickets, r)
        conversion_checks(tap, cur, conversions)
    finally:
        db.close()
        admin.cursor().execute("DROP DATABASE heartbeat_crosscheck")
    return tap.done()


if __name__ == "__main__":
    sys.exit(main())
