# Stimmwerk: `make run` starts the demo on SQLite, `make test` runs the whole suite.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
ASSETS := app/static/vendor/.built

.DEFAULT_GOAL := help

help: ## list targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  %-14s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

# htmx plus the voting client bundles (voter.js, trustee.js); the stamp is touched only
# after a successful build, so a missing npm is retried next time.
$(ASSETS): frontend/package.json frontend/package-lock.json frontend/build.mjs $(wildcard frontend/src/*.js frontend/src/*/*.js)
	@if command -v npm >/dev/null 2>&1; then \
		cd frontend && npm ci --no-audit --no-fund --loglevel=error && npm run --silent build && touch ../$(ASSETS); \
	else \
		echo "npm not found: pages work without htmx, but online voting needs the browser bundle. Install Node.js and npm."; \
	fi

install: $(STAMP) $(ASSETS) ## create .venv, install the project and build browser assets

migrate: install ## apply database migrations
	$(BIN)/stimmwerk migrate

demo: migrate ## load demo data (idempotent)
	$(BIN)/stimmwerk demo

run: demo ## set up and serve the demo on http://127.0.0.1:8000 (SQLite, no services)
	@echo "Open http://127.0.0.1:8000 — stop with Ctrl-C"
	$(BIN)/stimmwerk serve --host 127.0.0.1 --port 8000

worker: install ## run a Celery worker with beat (needs STIMMWERK_BROKER_URL)
	$(BIN)/stimmwerk worker

test: install ## run the whole suite (SQLite; also PostgreSQL if STIMMWERK_TEST_POSTGRES_URL is set)
	$(BIN)/python -m pytest -n 2 --dist loadfile

lint: install ## ruff, formatting, mypy, import contracts, migrations in step with models
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports
	STIMMWERK_DATABASE_URL=sqlite:///$$(mktemp -d)/check.sqlite3 bash -c '$(BIN)/stimmwerk migrate >/dev/null && $(BIN)/stimmwerk check-migrations'

fmt: install ## fix what ruff can fix
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

migration: install ## new Alembic revision: make migration m="what changed"
	$(BIN)/alembic revision --autogenerate -m "$(m)"

fuzz: install ## long fuzzing run: every route (schemathesis) and every form, 200 examples each
	STIMMWERK_FUZZ_EXAMPLES=$${EXAMPLES:-200} $(BIN)/python -m pytest tests/fuzz -q -s -p no:randomly

bench: install ## run the platform benchmarks (prints figures)
	$(BIN)/python -m bench.import_members
	$(BIN)/python -m bench.pages

clean: ## remove the virtual environment, local data and build output
	rm -rf $(VENV) var frontend/node_modules app/static/vendor .pytest_cache .mypy_cache .ruff_cache

.PHONY: help install migrate demo run worker test lint fmt migration bench fuzz clean messages

messages: install ## extract message ids and update the catalogs (then translate app/translations/de)
	$(BIN)/pybabel extract -F babel.cfg -k N_ --no-location --omit-header -o app/translations/messages.pot .
	$(BIN)/pybabel update -i app/translations/messages.pot -d app/translations --no-fuzzy-matching --omit-header
