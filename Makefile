# Bolashaq: two commands for a newcomer.
#   make run   set up (venv, pinned dependencies, migrations, demo data) and serve on SQLite
#   make test  set up the same, then lint, type checks and the whole test suite
# Needs only Python 3.11 and make. Node/npm and Debian's chromium add the browser tests.

PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PORT ?= 8000

.PHONY: run test setup lint typecheck pytest browser-deps messages loadtest loadtest-signing faults fuzz clean help

help:
	@echo "make run    - set up and serve the app with a worker on http://127.0.0.1:$(PORT)/"
	@echo "make test   - set up and run ruff, mypy, import-linter and pytest"
	@echo "make loadtest - the submission load test on PostgreSQL (re-creates bolashaq_load)"
	@echo "make loadtest-signing - 20 signatures a second of prepared applications, 60 s"
	@echo "make faults - the fault suite (tests/faults) on DATABASE_URL; on SQLite the"
	@echo "              PostgreSQL-restart tests skip; logs in $(FAULTS_DIR)/"
	@echo "make fuzz   - the API, workflow and object-route fuzzing; writes var/fuzz/report.md"
	@echo "              (longer: make fuzz BOLASHAQ_FUZZ_EXAMPLES=500 BOLASHAQ_FUZZ_SEED=1)"

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

# The deadline hour's submissions (docs/performance.md): applicants who filled in and uploaded
# their package (three 1 MiB files) earlier sign and submit, 20 a second offered for 60 s.
loadtest-signing: setup
	$(BIN)/python benchmarks/submission_load.py --database-url $(LOADTEST_DATABASE_URL) \
		--prepared --mix submit=1 --clients 16 --rate 20 --duration 60 --applicants 1500 \
		--task-workers 2 --label signing $(LOADTEST_ARGS)

# The fault suite alone (docs/operations/proofs.md, "Faults"), also part of `make test`: real
# faults against gunicorn and a worker, each test ending with the reconciliation, on whatever
# DATABASE_URL says (the PostgreSQL-restart tests skip on SQLite). pytest's temporary folders,
# with the logs of every server and worker, are kept in $(FAULTS_DIR) (emptied first).
FAULTS_DIR := var/faults
faults: setup
	@status=0; $(BIN)/python -m pytest tests/faults --basetemp=$(FAULTS_DIR) || status=$$?; \
	logs=$$(find $(FAULTS_DIR) -name '*.log' 2>/dev/null | wc -l); \
	if [ "$$logs" -gt 0 ]; then \
		echo "Logs of the servers and workers ($$logs files), one folder per test:"; \
		echo "  $(FAULTS_DIR)/   (find $(FAULTS_DIR) -name '*.log')"; \
	fi; \
	exit $$status

# The three fuzzing suites alone (docs/operations/fuzzing.md), also part of `make test`. The API
# fuzzing writes var/fuzz/report.md and report.json (the old ones are removed first, so a run
# that did not get that far leaves none). BOLASHAQ_FUZZ_EXAMPLES and BOLASHAQ_FUZZ_SEED, from
# the environment or the command line, make a longer or a different campaign.
FUZZ_SUITES := tests/fuzz tests/test_object_routes.py \
	src/bolashaq/applications/tests/test_workflow_machine.py
fuzz: setup
	@rm -f var/fuzz/report.md var/fuzz/report.json
	@status=0; $(BIN)/python -m pytest $(FUZZ_SUITES) || status=$$?; \
	if [ -f var/fuzz/report.md ]; then echo "Fuzzing report: var/fuzz/report.md (and report.json)"; fi; \
	exit $$status

messages: $(STAMP)
	$(BIN)/python manage.py sync_catalogues

clean:
	rm -rf $(VENV) var node_modules .mypy_cache .ruff_cache .pytest_cache
