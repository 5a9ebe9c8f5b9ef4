# heartbeat - PGXS build.  `make test` and `make demo` also install what is
# missing (as root) and run against a throwaway cluster (pg_virtualenv).

EXTENSION   = heartbeat
EXTVERSION  = $(shell sed -n "s/^default_version *= *'\(.*\)'/\1/p" heartbeat.control)
PGMAJOR     = 15

# Metric families, in install order; each has src/<family>.c and src/<family>.sql.
FAMILIES    = conversion ticket cycle retention funnel timeseries pulse

MODULE_big  = heartbeat
OBJS        = src/common.o src/sketch.o $(patsubst %.c,%.o,$(wildcard $(FAMILIES:%=src/%.c)))
DATA_built  = heartbeat--$(EXTVERSION).sql
DATA        = $(wildcard upgrade/heartbeat--*.sql)
EXTRA_CLEAN = results regression.diffs regression.out
# test/nocallsite/: a test-only module that test/nocallsite.sh builds (never installed).
EXTRA_CLEAN += $(addprefix test/nocallsite/nocallsite,.o .so .bc)

REGRESS      = install conversion conversion_io conversion_window parallel ticket cycle retention
REGRESS_OPTS = --inputdir=. --outputdir=.

# -Wno-unused-parameter: PostgreSQL 15 headers (bufpage.h, ilist.h) trip -Wextra.
PG_CPPFLAGS = -Wall -Wextra -Werror -Wno-unused-parameter

PG_CONFIG ?= $(firstword $(wildcard /usr/lib/postgresql/$(PGMAJOR)/bin/pg_config) pg_config)
PGXS := $(wildcard $(shell $(PG_CONFIG) --pgxs 2>/dev/null))

ifneq ($(PGXS),)
include $(PGXS)
else
all install installcheck:
	@echo "PostgreSQL $(PGMAJOR) server headers not found: run 'make test' or 'make demo' as root (installs them), or apt-get install postgresql-server-dev-$(PGMAJOR)" >&2; exit 1
endif

$(OBJS): $(wildcard src/*.h)

heartbeat--$(EXTVERSION).sql: src/common.sql $(FAMILIES:%=src/%.sql) heartbeat.control
	cat src/common.sql $(FAMILIES:%=src/%.sql) > $@

.PHONY: deps test demo bench sanitize valgrind citus

deps:
	@./scripts/deps.sh

# The whole suite: pg_regress (installcheck) then pgTAP (pg_prove), on a
# throwaway cluster.  PG_CONFIG goes along: test/nocallsite.sh builds its
# module with it.
test: deps
	@perl scripts/check-meta.pl
	$(MAKE) all
	$(MAKE) install
	@rm -f results/summary.txt
	@PG_CONFIG=$(PG_CONFIG) pg_virtualenv -t -v $(PGMAJOR) ./scripts/run-tests.sh; rc=$$?; \
	  echo; cat results/summary.txt 2>/dev/null; exit $$rc

# The whole suite again, against heartbeat built with AddressSanitizer and
# UndefinedBehaviorSanitizer in a staged copy of PostgreSQL (the system
# installation is not touched); CI runs it after `make test`.
sanitize: deps
	./scripts/sanitize.sh

# The whole suite with the server under Valgrind memcheck and PostgreSQL's
# suppressions: slow, run before each release.
valgrind: deps
	./scripts/valgrind.sh

# Every aggregate on a real Citus cluster (coordinator + two workers) against
# a single server, in a staged copy of PostgreSQL; needs the Citus source:
# make citus HEARTBEAT_CITUS_TARBALL=path/to/citus-13.2.2.tar.gz (CI runs it).
citus: deps
	./scripts/citus.sh

# Build, install and run the demo on a throwaway cluster.
demo: deps
	$(MAKE) all
	$(MAKE) install
	pg_virtualenv -t -v $(PGMAJOR) psql -X -q -f demo/demo.sql

# Benchmark against plain SQL: make bench [N=5000000] [RUNS=7]
N    ?= 5000000
RUNS ?= 7
bench: deps
	$(MAKE) all
	$(MAKE) install
	pg_virtualenv -t -v $(PGMAJOR) ./bench/bench.sh $(N) $(RUNS)
