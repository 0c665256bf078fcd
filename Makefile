# Bolashaq: two commands for a newcomer.
#   make run   set up (venv, pinned dependencies, migrations, demo data) and serve on SQLite
#   make test  set up the same, then lint, type checks and the whole test suite
# Needs only Python 3.11 and make. Node/npm and Debian's chromium add the browser tests.

PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PORT ?= 8000

.PHONY: run test setup lint typecheck pytest browser-deps messages loadtest clean help

help:
	@echo "make run    - set up and serve the app with a worker on http://127.0.0.1:$(PORT)/"
	@echo "make test   - set up and run ruff, mypy, import-linter and pytest"
	@echo "make loadtest - the submission load test on PostgreSQL (re-creates bolashaq_load)"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): $(BIN)/python pyproject.toml constraints.txt
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade "pip>=24"
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt -e ".[dev]"
	touch $(STAMP)

.env:
	cp .env.example .env

setup: $(STAMP) .env
	$(BIN)/python manage.py compile_catalogues
	$(BIN)/python manage.py migrate --no-input

run: setup
	$(BIN)/python manage.py load_demo
	$(BIN)/python manage.py rundev --port $(PORT)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

typecheck: $(STAMP) .env
	$(BIN)/mypy src tests

# axe-core comes from the npm registry when npm is present; the browser tests say clearly
# when it, or Debian's chromium, is missing and skip themselves.
browser-deps:
	@if command -v npm >/dev/null 2>&1; then \
		npm install --no-audit --no-fund --silent >/dev/null && echo "axe-core installed"; \
	else echo "npm not found: browser tests will be skipped (see docs/development.md)"; fi

pytest: setup browser-deps
	$(BIN)/python -m pytest

test: setup lint typecheck pytest

# The submission load test (docs/performance.md): gunicorn, a worker and PostgreSQL on this
# machine, loopback only; 16 clients for 60 s, at most 600 submitters; then `manage.py
# reconcile` on its ledger. It drops and re-creates the database, whose name must end in _load.
LOADTEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/bolashaq_load
LOADTEST_ARGS ?=
loadtest: setup
	$(BIN)/python benchmarks/submission_load.py --database-url $(LOADTEST_DATABASE_URL) $(LOADTEST_ARGS)

messages: $(STAMP)
	$(BIN)/python manage.py sync_catalogues

clean:
	rm -rf $(VENV) var node_modules .mypy_cache .ruff_cache .pytest_cache
