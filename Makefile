# The one task runner. `make help` lists the targets; CI (.ci/run) calls the same ones.
# Every target that needs the tools depends on `setup`, so a fresh clone needs no prior step.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
# Bytecode: every test run starts dozens of Python processes (xdist workers, the sandbox, the suite's own
# runs), and each one that finds no .pyc compiles what it imports again: about 3.5 s of CPU for the suite's
# collection alone, 1.6 s with bytecode. uv writes .pyc for what it installs (.venv, nox's venvs, the wheels'
# test venv), and an environment that forbids writing bytecode (PYTHONDONTWRITEBYTECODE, which some shells
# and CI images set) is overridden for the commands run here, so our own modules are compiled once too.
export UV_COMPILE_BYTECODE := 1
unexport PYTHONDONTWRITEBYTECODE

VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
STAMP := $(VENV)/.setup-stamp

# Sandbox settings (`make serve`); the credentials are the documented local defaults.
SANDBOX_HOST ?= 127.0.0.1
SANDBOX_PORT ?= 8080
SANDBOX_DB ?= .sandbox/sandbox.db
# `make serve-webhooks`: the local receiver's port. Its secret comes from SANDBOX_WEBHOOK_SECRET in
# the environment, else the documented local default below (not a secret; never on a command line).
RECEIVER_PORT ?= 8081

# Contract suite budget: quick | ci | thorough. CONTRACT_SEED replays a run (the seed it printed);
# CONTRACT_ARGS passes more pytest options (e.g. -k confirm). The target: DOTS_BASE_URL (with
# DOTS_CLIENT_ID / DOTS_API_KEY) when set, else a sandbox the suite starts itself.
# CONTRACT_WORKERS: processes the suite runs on (pytest-xdist; `auto` = one per core, 1 = this one).
# CONTRACT_SHARD: i/n runs shard i of n (disjoint, together the whole suite; docs/contract-suite.md).
CONTRACT_PROFILE ?= ci
CONTRACT_SEED ?=
CONTRACT_ARGS ?=
CONTRACT_WORKERS ?= 1
CONTRACT_SHARD ?=
# `-n N` for N other than 0 and 1 (pytest-xdist), else nothing: one process.
xdist = $(if $(filter-out 0 1,$(1)),-n $(1))
CONTRACT_PYTEST = CONTRACT_SEED='$(CONTRACT_SEED)' CONTRACT_SHARD='$(CONTRACT_SHARD)' $(BIN)/pytest contract_tests \
	--junitxml=reports/contract-junit.xml
# Unit tests run on every core (and then some); the long ones (the teeth runs) are spread by work stealing. Every test's time
# goes to reports/unit-durations.txt, slowest first (tools/durations.py), so the next slow test shows.
# Three workers for two cores: many tests wait on processes, sockets and timers rather than compute, and a third
# worker fills that time (make unit on 2 cores: 180 s with 2 workers, 129 s with 3, 124 s with 4, 2026-12-08).
UNIT_WORKERS ?= $(shell echo $$(( $$(nproc 2>/dev/null || echo 2) * 3 / 2 )))
UNIT_PYTEST = $(BIN)/pytest tests $(call xdist,$(UNIT_WORKERS)) $(if $(call xdist,$(UNIT_WORKERS)),--dist worksteal) \
	-p tools.durations

.PHONY: help setup lock generate check-generated lint test unit contract contract-durations contract-proxy test-client \
	test-matrix test-nightly serve serve-webhooks postgres-bin postgres serve-postgres dist bench check-breaking check-compat release clean

help: ## List every target with one line each
	@grep -hE '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "}; {printf "  make %-16s %s\n", $$1, $$2}'

$(PY):
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11+ is required (set PYTHON=...)"'
	$(PYTHON) -m venv $(VENV)

$(STAMP): requirements.lock generated/pyproject.toml | $(PY)
	$(PY) -m pip install --quiet --disable-pip-version-check --require-hashes \
		-r <(awk '/^uv==/ {p = 1; print; next} p && /^[[:space:]]/ {print; next} {p = 0}' requirements.lock)
	$(BIN)/uv pip install --quiet --python $(PY) --require-hashes -r requirements.lock
	$(BIN)/uv pip install --quiet --python $(PY) --no-deps --no-build-isolation -e ./generated
	@touch $@

setup: $(STAMP) ## Create .venv and install the pinned dependencies and the client, dots_client (idempotent)

lock: | $(PY) ## Re-pin requirements.lock from requirements.in (no registry URLs are written)
	$(PY) -m pip install --quiet --disable-pip-version-check "$$(grep -E '^uv==' requirements.in)"
	$(BIN)/uv pip compile requirements.in --python-version 3.11 --generate-hashes --custom-compile-command "make lock" --quiet -o requirements.lock
	for version in $(CLIENT_PYTHONS); do \
		$(BIN)/uv pip compile requirements/client.in -c requirements.lock --python-version $$version --generate-hashes \
			--custom-compile-command "make lock" --quiet -o requirements/client-py$$version.lock; \
	done

generate: setup ## Clean and regenerate generated/ from openapi.yaml (version: info.version + codegen/revision.yaml)
	$(PY) -m tools.codegen generate

# BASE: the git ref the working tree is compared with: its openapi.yaml (check-breaking) and its generated/
# (check-generated: a changed package needs a new version). Empty means origin/main when it exists, else HEAD.
BASE ?=
check-generated: setup ## Fail if generated/ is stale, or differs from BASE's while its version does not
	$(PY) -m tools.codegen check $(if $(BASE),--base '$(BASE)')

# BREAKING_FORMAT: the gate's output: text (the terminal report), json, markdown, github (workflow annotations)
# or junit. BREAKING_API=1 adds the Python API diff of dots_client (griffe; never changes the exit status).
BREAKING_FORMAT ?= text
BREAKING_API ?=
check-breaking: setup ## Classify openapi.yaml's changes against BASE (default origin/main, else HEAD); fail on breaking ones unless info.version's major part was raised (BREAKING_FORMAT, BREAKING_API=1)
	$(PY) -m tools.breaking $(if $(BASE),--base '$(BASE)') --format '$(BREAKING_FORMAT)' $(if $(BREAKING_API),--api)

check-compat: setup ## Run BASE's client against a sandbox of the new spec and the new client against BASE's sandbox; fail when that contradicts a non-major verdict
	$(PY) -m tools.compat $(if $(BASE),--base '$(BASE)')

release: setup ## After editing openapi.yaml: gate + API diff against BASE, bump info.version, regenerate, write CHANGELOG.md, then check-compat (never commits)
	$(PY) -m tools.release $(if $(BASE),--base '$(BASE)') --format '$(BREAKING_FORMAT)'
	$(PY) -m tools.compat $(if $(BASE),--base '$(BASE)')

# mypy's cache lives outside the clone, so a fresh clone on a machine that ran lint before starts warm (a cold
# run took 7 s here, a warm one 0.5 s). mypy re-checks every cached module against its source's hash, its own
# version and the options, so clones and branches share it safely; its SQLite store takes concurrent runs.
# ruff's cache stays in the clone (.ruff_cache): a cold `ruff check` takes 0.1 s.
MYPY_CACHE_DIR ?= $(or $(XDG_CACHE_HOME),$(HOME)/.cache)/dots-confirm-contract/mypy

lint: setup ## Validate the spec, ruff the hand-written code, mypy --strict everything, examples/ too (cache: MYPY_CACHE_DIR)
	$(BIN)/openapi-spec-validator openapi.yaml
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy --cache-dir '$(MYPY_CACHE_DIR)' --strict dots_spec tools dots_sandbox contract_tests bench tests noxfile.py generated/dots_client codegen/sdk dots_testing \
		examples/checkout

# PostgreSQL's server binaries (initdb, pg_ctl) for the tests, `make postgres` and the bench: found in PG_BIN,
# /usr/lib/postgresql/*/bin or PATH; as root, Debian's `postgresql` package is installed when none is there.
postgres-bin: setup ## Find PostgreSQL's server binaries, installing Debian's postgresql when missing (as root); fail loudly
	@$(PY) -m tools.postgres find >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null \
		&& echo "postgres-bin: installing Debian's postgresql (server binaries for the tests)" \
		&& { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql; } >/dev/null 2>&1; } \
		|| true
	@$(PY) -m tools.postgres find

postgres: postgres-bin ## Start a throwaway PostgreSQL (temp dir, free port), print its URL; Ctrl-C stops and removes it
	$(PY) -m tools.postgres serve

# POSTGRES_URL: the database `make serve-postgres` uses; empty means a throwaway cluster started for the run.
POSTGRES_URL ?=
# The URL reaches the sandbox through the environment, never its command line (which `ps` and make's echo show).
serve-postgres: export SANDBOX_DB := $(POSTGRES_URL)
serve-postgres: postgres-bin ## Run the sandbox on PostgreSQL: POSTGRES_URL, else a throwaway cluster removed on Ctrl-C
	$(if $(POSTGRES_URL),$(PY) -m dots_sandbox --host $(SANDBOX_HOST) --port $(SANDBOX_PORT),\
		$(PY) -m tools.postgres run -- $(PY) -m dots_sandbox --host $(SANDBOX_HOST) --port $(SANDBOX_PORT))

unit: setup postgres-bin ## Run the tests of hand-written code (tests/) but the nightly ones, 3 workers per 2 cores (UNIT_WORKERS); times: reports/unit-durations.txt
	$(UNIT_PYTEST) -m 'not nightly' --durations-file=reports/unit-durations.txt

test-nightly: setup postgres-bin ## The tests `make test` leaves out (marked nightly: the suite on PostgreSQL behind --workers 2); times: reports/nightly-durations.txt
	$(UNIT_PYTEST) -m nightly --durations-file=reports/nightly-durations.txt

test: override CONTRACT_SHARD =
# test-client runs beside unit: its first seconds are a venv's install and its tests share little with unit's,
# so the two together fill the cores unit alone leaves idle (about 20 s of make test's wall time on 2 cores).
# Its output goes to a file of its own (a `make -n test`, which runs the $(MAKE) lines, must not write over it),
# printed once unit has finished, so neither is interleaved, then kept as reports/test-client.log.
test: check-generated lint ## Everything a change must pass: drift gate, lint, the unit tests and beside them the client on the newest Python, the suite (ci, sandbox, all cores)
	@mkdir -p reports
	@echo "make test-client runs beside make unit; its output follows unit's (reports/test-client.log)"
	@log=$$(mktemp -t dots-test-client.XXXXXX); \
		$(MAKE) --no-print-directory test-client > "$$log" 2>&1 & client=$$!; \
		unit=0; $(MAKE) --no-print-directory unit || unit=$$?; \
		status=0; wait $$client || status=$$?; \
		cat "$$log"; mv "$$log" reports/test-client.log; \
		if [ $$status -ne 0 ]; then echo "make test: make test-client failed (exit $$status)"; fi; \
		[ $$unit -eq 0 ] && [ $$status -eq 0 ]
	env -u DOTS_BASE_URL CONTRACT_PROFILE=ci $(CONTRACT_PYTEST) $(call xdist,auto)

contract: setup ## Run the contract suite against DOTS_BASE_URL, else the embedded sandbox (JUnit: reports/; CONTRACT_WORKERS, CONTRACT_SHARD)
	CONTRACT_PROFILE='$(CONTRACT_PROFILE)' $(CONTRACT_PYTEST) $(call xdist,$(CONTRACT_WORKERS)) $(CONTRACT_ARGS)

# The upstream is DOTS_BASE_URL (else `make serve`'s sandbox); PROXY_ARGS adds options and `-- COMMAND ...`.
contract-proxy: setup ## Judge real traffic: a validating proxy to DOTS_BASE_URL (PROXY_ARGS='--strict -- COMMAND'; reports/proxy/)
	$(PY) -m contract_tests.proxy --upstream "$${DOTS_BASE_URL:-http://127.0.0.1:8080/api}" --report reports/proxy $(PROXY_ARGS)

contract-durations: override CONTRACT_SHARD =
contract-durations: setup ## Run the suite (ci profile, one process) and record each test's time: shards are balanced by it
	env -u DOTS_BASE_URL CONTRACT_PROFILE=ci $(CONTRACT_PYTEST)
	CONTRACT_PROFILE=ci $(PY) -m contract_tests.sharding reports/contract-junit.xml

# The Pythons the generated client claims (requires-python >= 3.11) that its tests run on, each with
# its own lock (requirements/client-py3.X.lock). nox finds each as python3.X on PATH; where pyenv
# keeps them (these machines), their folders are put first on PATH for the run.
CLIENT_PYTHONS ?= 3.11 3.12 3.13
# What `make test` adds to `unit`, which already runs the client's tests on the oldest, 3.11 (.venv): the newest,
# through nox. It differs most (3.12's and 3.13's deprecations are errors under filterwarnings = error), and its
# session is the one that installs the client as a user would, with nothing of the server's beside it.
# 3.12 adds nothing the two do not: `make test-matrix` and CI's client matrix run it.
CLIENT_TEST_PYTHONS ?= 3.13
pyenv_path = $(shell command -v pyenv >/dev/null 2>&1 && for version in $(1); do \
	dir="$$(pyenv root)/versions/$$(pyenv latest $$version 2>/dev/null)/bin"; [ -x "$$dir/python$$version" ] \
	&& printf '%s:' "$$dir"; done)
# The nox `client` sessions on the Pythons $(1), the client-contract group at the profile $(2).
nox_client = SANDBOX_PYTHON="$(abspath $(PY))" PATH="$(call pyenv_path,$(1))$$PATH" CONTRACT_PROFILE='$(2)' \
	$(BIN)/nox --noxfile noxfile.py --sessions client --python $(1) --error-on-missing-interpreters --download-python never

# The suite's run in `make test` already holds the client-contract group to the `ci` budget on 3.11: on 3.13 the
# runtime is what is new, so the group runs `quick`. Nothing to run when CLIENT_TEST_PYTHONS is empty.
test-client: setup ## The client's tests and the suite's client-contract group (quick) on CLIENT_TEST_PYTHONS (3.13) through nox
	$(if $(strip $(CLIENT_TEST_PYTHONS)),$(call nox_client,$(CLIENT_TEST_PYTHONS),quick),@echo "test-client: CLIENT_TEST_PYTHONS is empty")

test-matrix: setup ## The client's tests and the client-contract group (CONTRACT_PROFILE) on every Python in CLIENT_PYTHONS through nox
	$(call nox_client,$(CLIENT_PYTHONS),$(CONTRACT_PROFILE))

# SANDBOX_DB reaches the sandbox through the environment, never its command line: a PostgreSQL URL's password
# would show in `ps` and in make's echo, and a URL's `&` would split the shell command.
serve serve-webhooks: export SANDBOX_DB := $(SANDBOX_DB)
serve: setup ## Run the sandbox at SANDBOX_HOST:SANDBOX_PORT/api (127.0.0.1:8080), SQLite at SANDBOX_DB; Ctrl-C stops it
	$(PY) -m dots_sandbox --host $(SANDBOX_HOST) --port $(SANDBOX_PORT)

serve-webhooks: export SANDBOX_WEBHOOK_SECRET ?= whsec_ZG90cy1zYW5kYm94LXdlYmhvb2stc2VjcmV0IQ==
serve-webhooks: setup ## make serve, sending webhooks to a local receiver on RECEIVER_PORT (8081) that prints each verified one
	@$(PY) -m dots_sandbox.receiver --host $(SANDBOX_HOST) --port $(RECEIVER_PORT) & receiver=$$!; \
	trap 'kill $$receiver 2>/dev/null' EXIT; \
	SANDBOX_WEBHOOKS="http://$(SANDBOX_HOST):$(RECEIVER_PORT)/=$$SANDBOX_WEBHOOK_SECRET" \
		$(PY) -m dots_sandbox --host $(SANDBOX_HOST) --port $(SANDBOX_PORT)

# Bench tools that do not come from PyPI are installed here, into ignored folders, by `make bench`
# itself; when one cannot be installed its rows say so and carry no number.
PRISM_VERSION := 5.14.2
PRISM := .tools/prism/node_modules/.bin/prism
# The npm package `wiremock` bundles WireMock's standalone jar; it runs on the machine's java.
WIREMOCK_VERSION := 3.13.2
WIREMOCK := .tools/wiremock/node_modules/wiremock/package.json
# A subset of: generation client servers engines suite proxy testkit (all of these when empty), or soak (only when named:
# minutes of create-and-confirm with webhooks, the database's size and the sandbox's memory).
BENCH_SECTIONS ?=

bench: setup postgres-bin ## Benchmarks side by side (client, sandbox vs WireMock/Prism/ceiling on SQLite and PostgreSQL, suite, generation): reports/bench.{md,json}
	@command -v wrk >/dev/null || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null \
		&& { apt-get update -qq && apt-get install -y -qq wrk; } >/dev/null 2>&1; } \
		|| echo "bench: wrk could not be installed; the server rows will say so"
	@[ -x $(PRISM) ] || { mkdir -p .tools/prism && npm install --prefix .tools/prism --no-save --no-package-lock \
		--no-audit --no-fund --silent @stoplight/prism-cli@$(PRISM_VERSION) >/dev/null 2>&1; } \
		|| echo "bench: Prism could not be installed; the server rows will say so"
	@[ -f $(WIREMOCK) ] || { mkdir -p .tools/wiremock && npm install --prefix .tools/wiremock --no-save --no-package-lock \
		--no-audit --no-fund --silent wiremock@$(WIREMOCK_VERSION) >/dev/null 2>&1; } \
		|| echo "bench: WireMock could not be installed; the sandbox-vs-WireMock rows will say so"
	$(PY) -m bench $(BENCH_SECTIONS)

dist: setup ## Build into dist/ the client (dots-client wheel and sdist) and the dots-spec, dots-sandbox (with dots_testing) and dots-contract wheels
	rm -rf dist
	$(PY) -m build --no-isolation --outdir dist generated
	$(PY) -m tools.wheels dist
	@ls -1 dist

clean: ## Remove the venv, caches, reports and build output
	rm -rf $(VENV) dist reports .pytest_cache .mypy_cache .ruff_cache .sandbox .tools
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
