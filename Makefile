# heartbeat - PGXS build.  `make test` and `make demo` also install what is
# missing (as root) and run against a throwaway cluster (pg_virtualenv).
# Build against another server with `make PG_CONFIG=/path/to/pg_config`.

# The source directory, also when building elsewhere (make -f DIR/Makefile,
# as Debian's pg_buildext does).
HB_SRCDIR  := $(dir $(firstword $(MAKEFILE_LIST)))

EXTENSION   = heartbeat
EXTVERSION  = $(shell sed -n "s/^default_version *= *'\(.*\)'/\1/p" $(HB_SRCDIR)heartbeat.control)

# Metric families, in install order; each has src/<family>.sql and, unless
# it is SQL only, src/<family>.c (and maybe more C files beside it).  summary
# is the kit's (src/summary.c): what every summary type has alike, after the
# types.
FAMILIES    = conversion ticket cycle retention funnel summary timeseries pulse track

MODULE_big  = heartbeat
# Every C file in src/ (shared helpers and the families' files), also when
# building elsewhere (the objects go to src/ there).
OBJS        = $(patsubst $(HB_SRCDIR)%.c,%.o,$(sort $(wildcard $(HB_SRCDIR)src/*.c)))
DATA_built  = heartbeat--$(EXTVERSION).sql
DATA        = $(patsubst $(HB_SRCDIR)%,%,$(wildcard $(HB_SRCDIR)upgrade/heartbeat--*.sql))
EXTRA_CLEAN = results regression.diffs regression.out
# test/nocallsite/: a test-only module that test/nocallsite.sh builds (never installed).
EXTRA_CLEAN += $(addprefix test/nocallsite/nocallsite,.o .so .bc)

# Every sql/*.sql, install first: pg_regress runs them in this order in one
# database, and install creates the extension and sets the search_path.
REGRESS      = install $(sort $(filter-out install,$(basename $(notdir $(wildcard $(HB_SRCDIR)sql/*.sql)))))
REGRESS_OPTS = --inputdir=. --outputdir=.

# -Wno-unused-parameter: PostgreSQL's headers (bufpage.h, ilist.h) trip -Wextra.
PG_CPPFLAGS = -Wall -Wextra -Werror -Wno-unused-parameter

# The PostgreSQL major versions heartbeat supports (15, 17 and 18 are
# tested: make matrix; 16 builds from the same code).
SUPPORTED_MAJORS = 15 16 17 18

PG_CONFIG ?= pg_config
PGXS := $(wildcard $(shell $(PG_CONFIG) --pgxs 2>/dev/null))
PGMAJOR := $(shell $(PG_CONFIG) --version 2>/dev/null | sed -n 's/^PostgreSQL \([0-9][0-9]*\).*/\1/p')

ifneq ($(PGXS),)
include $(PGXS)
else
all install installcheck:
	@echo "heartbeat: no PostgreSQL server headers ($(PG_CONFIG) --pgxs found nothing): run 'make test' or 'make demo' as root (they install them), or apt-get install postgresql-server-dev-NN, or pass PG_CONFIG=/path/to/pg_config" >&2; exit 1
endif

# An unsupported server stops the build before anything is compiled.
.PHONY: pgversion
pgversion:
	@case " $(SUPPORTED_MAJORS) " in *" $(PGMAJOR) "*) ;; \
	  *) echo "heartbeat: PostgreSQL $(PGMAJOR) ($(PG_CONFIG)) is not supported; supported versions: $(SUPPORTED_MAJORS)" >&2; exit 1 ;; esac
$(OBJS): | pgversion
# Building elsewhere (VPATH): the object directory.
ifneq ($(HB_SRCDIR),./)
$(shell mkdir -p src)
endif

# The major version in a recipe, after deps may have installed the server.
PGMAJOR_NOW = $$($(PG_CONFIG) --version | sed -n 's/^PostgreSQL \([0-9][0-9]*\).*/\1/p')
export PG_CONFIG

$(OBJS): $(wildcard $(HB_SRCDIR)src/*.h)

# The install script: src/common.sql and each family's .sql, one after the
# other, with each value stated once in them (an empty summary, a state
# size: "-- @NAME@ = value") put where @NAME@ stands; scripts/assemble.awk
# says how.  A failed step leaves no half-built script behind.
HB_SCRIPT_SOURCES = src/common.sql $(FAMILIES:%=src/%.sql)
heartbeat--$(EXTVERSION).sql: scripts/assemble.awk $(HB_SCRIPT_SOURCES) heartbeat.control
	awk -f $< $(filter %.sql,$^) > $@
.DELETE_ON_ERROR:

.PHONY: deps test demo bench bench-matrix sanitize valgrind citus crosscheck matrix deb deb-test dist

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
	@PG_CONFIG=$(PG_CONFIG) pg_virtualenv -t -v $(PGMAJOR_NOW) ./scripts/run-tests.sh; rc=$$?; \
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

# heartbeat's figures against R's survival package, statsmodels and
# percentile_disc on seeded generated data, as TAP, on a throwaway cluster
# (installs R and statsmodels as root; CI runs it after `make test`).
crosscheck: deps
	$(MAKE) all
	$(MAKE) install
	pg_virtualenv -t -v $(PGMAJOR_NOW) ./scripts/crosscheck.sh

# Build, install and run the demo on a throwaway cluster.  Not as root, an
# installed heartbeat that is this tree's (scripts/installed.sh) is used as
# it is: nothing is built or installed; without one, and without write
# access to the install directories, it stops before building.
demo: deps
	@if [ "$$(id -u)" != 0 ] && ./scripts/installed.sh $(HB_SCRIPT_SOURCES); then \
	  echo "heartbeat: using the installed heartbeat $(EXTVERSION) ($$($(PG_CONFIG) --sharedir)/extension)"; \
	elif [ "$$(id -u)" != 0 ] && ! [ -w "$$($(PG_CONFIG) --pkglibdir)" -a -w "$$($(PG_CONFIG) --sharedir)/extension" ]; then \
	  echo "heartbeat: make install needs root (or write access to $$($(PG_CONFIG) --pkglibdir)): as root run make install, then make demo" >&2; exit 1; \
	else \
	  $(MAKE) all && $(MAKE) install; \
	fi
	pg_virtualenv -t -v $(PGMAJOR_NOW) psql -X -q -f demo/demo.sql

# Benchmark against plain SQL: make bench [N=5000000] [RUNS=7] [SECTIONS=cases,parallel,groups]
N    ?= 5000000
RUNS ?= 7
bench: deps
	$(MAKE) all
	$(MAKE) install
	pg_virtualenv -t -v $(PGMAJOR_NOW) ./bench/bench.sh $(N) $(RUNS) $(SECTIONS)

# The suite on every supported PostgreSQL this machine reaches (15 here, 17
# and 18 in throwaway Debian 13 / unstable roots): make matrix [VERSIONS="17 18"]
VERSIONS ?= 15 17 18
matrix:
	./scripts/matrix.sh $(VERSIONS)

# Debian packages (postgresql-NN-heartbeat, pg_buildext) for the installed
# server versions, checked by lintian, in results/deb/; deb-test installs
# them into a fresh Debian root and uses the extension as user postgres.
deb:
	./scripts/deb.sh build
deb-test:
	./scripts/deb.sh test

# The PGXN release zip, from git archive of HEAD, with META.json checked.
dist:
	@perl scripts/check-meta.pl
	git archive --format=zip --prefix=$(EXTENSION)-$(EXTVERSION)/ -o $(EXTENSION)-$(EXTVERSION).zip HEAD
	@echo "$(EXTENSION)-$(EXTVERSION).zip"

# The benchmark on each supported version, one after the other (15 here, 17
# and 18 in throwaway Debian roots): make bench-matrix [N=1000000] [RUNS=5]
bench-matrix:
	./scripts/bench-matrix.sh $(or $(BENCH_MATRIX_N),1000000) $(or $(BENCH_MATRIX_RUNS),5)
