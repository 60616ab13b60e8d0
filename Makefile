# The two commands a newcomer needs:  make demo   and   make test
# Everything installs into .venv; the data folder is ./var (KECHUANG_HOME).

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PG_URL ?= postgres://postgres@127.0.0.1:5432/test
CSL ?= ../shared/benchmarks/csl-match
PYTEST_ARGS ?=
# Checked by mypy in `make lint` with disallow_untyped_defs (pyproject.toml; ADR 0019): the kernel and every
# services, selectors and permissions module (a new module's join by themselves), and the instruments' payment.
TYPED := src/kechuang/core $(sort $(wildcard \
	src/kechuang/*/services.py src/kechuang/*/selectors.py src/kechuang/*/permissions.py)) \
	src/kechuang/instruments/payment.py

# Both passes run on pytest-xdist workers, one per core; the tests of a heavy session fixture (the
# production site, the browser) share one worker (docs/adr/0017-test-suite-speed.md).
WORKERS ?= auto
XDIST = -n $(WORKERS) --dist loadgroup
# Example counts of the property tests and the API fuzzing: ci for make test and make check, nightly
# (every test at its full count) for make test-full, dev when pytest runs by hand (tests/hypothesis_profiles.py).
HYPOTHESIS_PROFILE ?= ci
export HYPOTHESIS_PROFILE

.PHONY: demo test test-full check install test-sqlite test-postgres lint typecheck test-deps browser messages bench-match eval-match clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

## 1. Install and start the platform on SQLite with the Juyuan profile, demo data and demo accounts.
demo: $(STAMP)
	$(BIN)/kechuang demo

## 2. Install and run the whole test suite: lint, migrations check, SQLite pass, PostgreSQL pass.
test: $(STAMP) test-deps lint
	$(BIN)/kechuang makemigrations --check --dry-run
	@echo "SQLite 与 PostgreSQL 两遍测试同时运行，各自结束时打印结果（约十余分钟）……"
	$(MAKE) --no-print-directory -j2 --output-sync=target test-sqlite test-postgres

## The same at full example counts: every state-machine sequence, the API fuzzing as every role (nightly).
test-full:
	$(MAKE) test HYPOTHESIS_PROFILE=nightly

## The inner loop (a few minutes): lint, then the tests that are neither slow nor browser nor PostgreSQL.
check: $(STAMP) lint
	$(BIN)/pytest -p no:cacheprovider -n 2 -q -m "not slow and not browser and not postgres" $(PYTEST_ARGS)

# Every test, on in-memory SQLite (one database per worker).
test-sqlite: $(STAMP)
	$(BIN)/pytest -p no:cacheprovider $(XDIST) $(PYTEST_ARGS)

# Every test that touches the database, on PostgreSQL (test_<database>_gw<N> per worker); tests marked
# no_db (no database at all: tests/conftest.py) ran in the SQLite pass already, the browser tests too.
test-postgres: $(STAMP)
	@scripts/check-postgres.sh "$(PG_URL)"
	DATABASE_URL=$(PG_URL) $(BIN)/pytest -p no:cacheprovider $(XDIST) -m "not browser and not no_db" $(PYTEST_ARGS)

test-deps:
	@scripts/ensure-test-deps.sh

browser: test-deps

lint: $(STAMP)
	$(BIN)/ruff check src tests
	$(BIN)/ruff format --check src tests
	$(BIN)/mypy src/matchcore
	$(BIN)/mypy --follow-imports=silent $(TYPED)
	$(BIN)/lint-imports

typecheck: $(STAMP)
	$(BIN)/mypy src

messages: $(STAMP)
	cd src/kechuang && KECHUANG_HOME=$(CURDIR)/var ../../$(BIN)/kechuang makemessages -l en --no-obsolete --ignore "testing/*" && KECHUANG_HOME=$(CURDIR)/var ../../$(BIN)/kechuang compilemessages -l en

eval-match: $(STAMP)
	$(BIN)/kechuang match-eval $(CSL)/dev --queries queries-keywords.jsonl --abstain
	$(BIN)/kechuang match-eval $(CSL)/dev --queries queries-title.jsonl --abstain

bench-match: $(STAMP)
	$(BIN)/kechuang match-bench --docs 10000,100000

clean:
	rm -rf $(VENV) test-artifacts .pytest_cache
