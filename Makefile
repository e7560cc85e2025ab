# AlpesPartners developer commands. `make help` lists them.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
CONFIG ?= config.yaml

# DB=postgres runs everything on the local PostgreSQL (one database per service).
DB ?= sqlite
ifeq ($(DB),postgres)
export DB_PREFIX := postgresql+psycopg2://postgres@127.0.0.1:5432/alpes_
export DB_SUFFIX :=
NEED_POSTGRES := 1
else
NEED_POSTGRES ?= 0
endif

PYTEST_ARGS ?=

# The BFF signs tokens with ALPES_JWT_SECRET. Locally, when it is not set, a random one is
# generated once into var/jwt-secret (git-ignored) so `make run` and `make token` agree.
JWT_SECRET_FILE := var/jwt-secret
ifndef ALPES_JWT_SECRET
ALPES_JWT_SECRET := $(shell test -s $(JWT_SECRET_FILE) || (mkdir -p var && umask 077 && \
	$(PYTHON) -c 'import secrets; print(secrets.token_urlsafe(48))' > $(JWT_SECRET_FILE)); \
	cat $(JWT_SECRET_FILE))
endif
export ALPES_JWT_SECRET

.PHONY: help venv infra migrate run test test-unit test-integration test-e2e lint \
        dead-letters replay-dead-letter token events-doc bench bench-smoke chaos test-reliability clean

help:  ## this list
	@grep -E '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-20s %s\n", $$1, $$2}'

venv: $(STAMP)  ## create .venv and install the pinned dependencies

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -e ".[dev]"
	@touch $@

infra:  ## make sure RabbitMQ (and PostgreSQL with DB=postgres) are up
	@NEED_POSTGRES=$(NEED_POSTGRES) scripts/ensure_infra.sh

migrate: venv infra  ## apply every service's migrations and declare the event queues
	$(BIN)/python -m common.migrate --config $(CONFIG)
	$(BIN)/python -m common.nameko.topology --config $(CONFIG)

run: migrate  ## start every service (nameko run per service); Ctrl-C stops them
	$(BIN)/python -m common.stack run --config $(CONFIG)

test: venv  ## the whole suite: unit + integration (with coverage), then e2e + reliability
	@NEED_POSTGRES=1 scripts/ensure_infra.sh
	$(BIN)/python -m pytest tests/unit tests/integration --cov --cov-report=term \
		--cov-report=xml $(PYTEST_ARGS)
	$(BIN)/python -m pytest tests/e2e tests/reliability $(PYTEST_ARGS)

test-unit: venv  ## unit tests only (no broker, no database server)
	$(BIN)/python -m pytest -m unit $(PYTEST_ARGS)

test-integration: venv infra  ## integration tests only
	@NEED_POSTGRES=1 scripts/ensure_infra.sh
	$(BIN)/python -m pytest -m integration $(PYTEST_ARGS)

test-e2e: venv infra  ## end-to-end tests only (services started with nameko run)
	$(BIN)/python -m pytest -m e2e $(PYTEST_ARGS)

test-reliability: venv  ## the reliability scenarios, bounded (as in CI)
	@NEED_POSTGRES=1 scripts/ensure_infra.sh
	$(BIN)/python -m pytest -m reliability $(PYTEST_ARGS)

chaos: venv  ## the reliability scenarios, long form (more traffic, longer faults)
	@NEED_POSTGRES=1 scripts/ensure_infra.sh
	ALPES_CHAOS=long $(BIN)/python -m pytest -m reliability -s $(PYTEST_ARGS)

lint: venv  ## ruff
	$(BIN)/ruff check common services tests

dead-letters: venv  ## list dead-lettered events (SERVICE=name to narrow)
	$(BIN)/python -m common.nameko.dead_letters list --config $(CONFIG) $(if $(SERVICE),--service $(SERVICE))

replay-dead-letter: venv  ## replay one dead letter (ID=...) or all of them (ALL=1)
	$(BIN)/python -m common.nameko.dead_letters replay --config $(CONFIG) \
		$(if $(ID),--id $(ID)) $(if $(ALL),--all) $(if $(SERVICE),--service $(SERVICE))

bench: venv infra  ## full benchmark (~9 min): table + bench/results/<UTC>.json (DB=postgres too)
	@command -v wrk >/dev/null || (command -v apt-get >/dev/null && [ "$$(id -u)" = 0 ] && \
		apt-get install -y -qq wrk >/dev/null 2>&1) || echo "wrk not available: Python HTTP load"
	$(BIN)/python -m bench --db $(if $(filter postgres,$(DB)),postgres,sqlite)

bench-smoke: venv infra  ## seconds-long benchmark run (also part of make test)
	$(BIN)/python -m bench --smoke

token: venv  ## mint a bearer token: make token ROLE=admin|brand|partner SUB=<id> [TTL=s]
	@$(BIN)/python -m services.bff.tokens mint --role $(ROLE) --sub $(SUB) $(if $(TTL),--ttl $(TTL))

events-doc: venv  ## regenerate docs/events.md from common/contracts
	$(BIN)/python -m common.contracts > docs/events.md

clean:  ## remove local data and caches (not the venv)
	rm -rf var .pytest_cache .coverage .coverage.* coverage.xml htmlcov
