# AlpesPartners developer commands. `make help` lists them.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
CONFIG ?= config.yaml
ALPES  := $(BIN)/alpes --config $(CONFIG)
IS_311 := import sys; sys.exit(sys.version_info[:2] != (3, 11))

# A .venv that is not Python 3.11 (say an earlier `make venv PYTHON=python3.12`) is rebuilt.
ifneq ($(shell $(BIN)/python -c '$(IS_311)' 2>/dev/null && echo ok),ok)
.PHONY: $(STAMP)
endif

# eventlet's deprecation notice (ten lines per Python process) is quieted where nameko
# imports it; tools/quiet.py says why by module (a test keeps the two lists equal).
comma := ,
export PYTHONWARNINGS := $(if $(PYTHONWARNINGS),$(PYTHONWARNINGS)$(comma))ignore::Warning:nameko.cli.commands,ignore::Warning:nameko.containers,ignore::Warning:nameko.extensions,ignore::Warning:dns.dnssecalgs.dsa

# DB=postgres runs everything on the local PostgreSQL (one database per service).
DB ?= sqlite
ifeq ($(DB),postgres)
export DB_PREFIX := postgresql+psycopg2://postgres@127.0.0.1:5432/alpes_
export DB_SUFFIX :=
NEED_POSTGRES := 1
else
NEED_POSTGRES ?= 0
endif

# Redis holds the BFF's rate limits when several instances share them
# (BFF_RATE_LIMIT_STORAGE=redis://...: `make run INSTANCES=2 BFF_RATE_LIMIT_STORAGE=
# redis://127.0.0.1:6379/0`); the tests of that need it too.
NEED_REDIS ?= $(if $(filter redis%,$(BFF_RATE_LIMIT_STORAGE)),1,0)

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

.PHONY: help venv infra migrate run shell test test-unit test-integration test-e2e lint \
        dead-letters replay-dead-letter token events-doc bench bench-smoke profile chaos test-reliability \
        test-cluster screenshots clean

help:  ## this list
	@grep -E '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-20s %s\n", $$1, $$2}'

venv: $(STAMP)  ## create .venv and install the pinned dependencies

$(STAMP): pyproject.toml
	@if ! $(BIN)/python -c '$(IS_311)' 2>/dev/null; then \
		$(PYTHON) -c '$(IS_311)' 2>/dev/null || { echo "error: the venv needs Python 3.11;" \
			"PYTHON=$(PYTHON) is $$($(PYTHON) --version 2>/dev/null || echo not runnable)." \
			"Install python3.11 or pass PYTHON=/path/to/python3.11" >&2; exit 1; }; \
		test ! -e $(VENV) || echo "$(VENV) is not Python 3.11: rebuilding it" >&2; \
		rm -rf $(VENV) && $(PYTHON) -m venv $(VENV); \
	fi
	$(BIN)/pip install --quiet --disable-pip-version-check -e ".[dev]"
	@touch $@

infra:  ## make sure RabbitMQ (PostgreSQL with DB=postgres, Redis with a redis:// BFF_RATE_LIMIT_STORAGE) are up
	@NEED_POSTGRES=$(NEED_POSTGRES) NEED_REDIS=$(NEED_REDIS) scripts/ensure_infra.sh

migrate: venv infra  ## apply every service's migrations and declare the event queues
	$(ALPES) migrate
	$(ALPES) topology

run: migrate  ## start every service (nameko run per service; INSTANCES=N with DB=postgres); Ctrl-C stops them
	$(ALPES) run --instances $(or $(INSTANCES),1)

shell: venv  ## an interactive nameko shell on the running platform (alpes shell)
	@$(ALPES) shell

# Three pytest processes side by side (tools/test_shards.py): unit and integration (with
# coverage, combined into one report after), e2e, reliability. Four (integration split
# in two) were ~1 minute faster but, on two cores, timed RPCs out in 3 runs of 6.
test: venv  ## the whole suite side by side: unit + integration (with coverage), e2e, reliability
	@NEED_POSTGRES=1 NEED_REDIS=1 scripts/ensure_infra.sh
	@scripts/ensure_browser.sh
	@rm -f .coverage .coverage.*
	$(BIN)/python -m tools.test_shards \
		"COVERAGE_FILE=.coverage.tests tests/unit tests/integration --cov --cov-report=" \
		tests/e2e tests/reliability -- $(PYTEST_ARGS)
	@$(BIN)/coverage combine -q && $(BIN)/coverage xml -q && \
		echo "coverage: $$($(BIN)/coverage report --format=total --precision=1) % of lines and branches (coverage.xml)"

test-unit: venv  ## unit tests only (no broker, no database server)
	$(BIN)/python -m pytest -m unit $(PYTEST_ARGS)

test-integration: venv infra  ## integration tests only
	@NEED_POSTGRES=1 NEED_REDIS=1 scripts/ensure_infra.sh
	$(BIN)/python -m pytest -m integration $(PYTEST_ARGS)

test-e2e: venv infra  ## end-to-end tests only (services started with nameko run)
	@scripts/ensure_browser.sh
	@NEED_REDIS=1 scripts/ensure_infra.sh
	$(BIN)/python -m pytest -m e2e $(PYTEST_ARGS)

screenshots: venv infra  ## the browser tests, saving the README's screenshots into docs/screenshots
	@scripts/ensure_browser.sh
	@NEED_REDIS=1 scripts/ensure_infra.sh
	ALPES_SCREENSHOTS=docs/screenshots $(BIN)/python -m pytest tests/e2e/browser $(PYTEST_ARGS)

test-reliability: venv  ## the reliability scenarios, bounded (as in CI)
	@NEED_POSTGRES=1 scripts/ensure_infra.sh
	$(BIN)/python -m pytest -m reliability $(PYTEST_ARGS)

chaos: venv  ## the reliability scenarios, long form (more traffic, longer faults; progress shown)
	@NEED_POSTGRES=1 scripts/ensure_infra.sh
	ALPES_CHAOS=long $(BIN)/python -m pytest -m reliability -s $(PYTEST_ARGS)

test-cluster: venv  ## 3 local RabbitMQ nodes, one stopped under load: quorum vs classic (~5 min; not in make test)
	timeout -s INT -k 60 1800 $(BIN)/python -m pytest tests/cluster -m cluster -s $(PYTEST_ARGS)

lint: venv  ## ruff
	$(BIN)/ruff check common services tests tools bench

dead-letters: venv  ## list dead-lettered events (SERVICE=name to narrow)
	$(ALPES) dead-letters list $(if $(SERVICE),--service $(SERVICE))

replay-dead-letter: venv  ## replay one dead letter (ID=...) or all of them (ALL=1)
	$(ALPES) dead-letters replay $(if $(ID),--id $(ID)) $(if $(ALL),--all) \
		$(if $(SERVICE),--service $(SERVICE))

bench: venv infra  ## full benchmark (~15 min, progress shown): table + bench/results/<UTC>.json (DB=postgres; POINT=2 to check quickly)
	@command -v wrk >/dev/null || (command -v apt-get >/dev/null && [ "$$(id -u)" = 0 ] && \
		apt-get install -y -qq wrk >/dev/null 2>&1) || echo "wrk not available: Python HTTP load"
	$(BIN)/python -m bench --db $(if $(filter postgres,$(DB)),postgres,sqlite) \
		$(if $(POINT),--point $(POINT))

# py-spy is kept out of the dev extra: only profiling needs it (a Rust binary wheel, ~3 MB).
profile: venv infra  ## where the conversion chain's CPU goes, by process (py-spy; ARGS="--rate 60 --seconds 20", "--redirects", "--concurrency 64")
	@test -x $(BIN)/py-spy || $(BIN)/pip install --quiet --disable-pip-version-check -e ".[dev,profile]"
	$(BIN)/python -m tools.profile $(ARGS)

bench-smoke: venv infra  ## seconds-long benchmark run (also part of make test)
	$(BIN)/python -m bench --smoke

token: venv  ## mint a bearer token: make token ROLE=admin|brand|partner SUB=<id> [TTL=s]
	@$(ALPES) token mint --role $(ROLE) --sub $(SUB) $(if $(TTL),--ttl $(TTL))

events-doc: venv  ## regenerate docs/events.md from common/contracts
	$(BIN)/python -m common.contracts > docs/events.md

clean:  ## remove local data and caches (not the venv)
	rm -rf var .pytest_cache .coverage .coverage.* coverage.xml htmlcov
