# The two commands a new user needs: `make serve` and `make test`.
# The interpreter of every virtualenv made here (the server's, and the Python emulators' in bench/.others, so
# that `make bench` compares them on the same one); PYTHON=... chooses another. By default the distribution's
# /usr/bin/python3 where it is 3.11 or newer and can make a virtualenv, else python3 from PATH: distributions
# build CPython with profile-guided optimisation and LTO into one executable, and an interpreter built
# without them (pyenv's default: no PGO, a shared libpython) spent about a sixth more CPU on a hosted sign-in
# here (bench/README.md, "The interpreter").
ifeq ($(origin PYTHON),undefined)
PYTHON := $(shell /usr/bin/python3 -c 'import sys, ensurepip, venv; sys.exit(sys.version_info < (3, 11))' \
	>/dev/null 2>&1 && echo /usr/bin/python3 || echo python3)
endif
VENV   ?= .venv
BIN    := $(VENV)/bin

NPM      ?= npm
NODE_DIR := tests/node

.PHONY: serve test install dev postgres node chromium xmlsec1 lint clean bench bench-groups others

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

# Re-install whenever pyproject.toml changes.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e .
	touch $@

$(VENV)/.dev-installed: $(VENV)/.installed
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $@

$(VENV)/.bench-installed: $(VENV)/.installed
	$(BIN)/python -m pip install -q -e '.[bench]'
	touch $@

install: $(VENV)/.installed
dev: $(VENV)/.dev-installed

## Start the server on 127.0.0.1:9229 with its embedded SQLite store under ./.userpools/
serve: $(VENV)/.installed
	$(BIN)/userpools serve

## Install the dev extras and the JS clients, make sure PostgreSQL is up, run the whole suite
test: $(VENV)/.dev-installed postgres node chromium xmlsec1
	$(BIN)/pytest

# The JavaScript clients the wire tests drive (pinned in tests/node/package-lock.json): installed when
# node_modules is missing, again whenever package.json or the lockfile changes.
$(NODE_DIR)/node_modules/.package-lock.json: $(NODE_DIR)/package.json $(NODE_DIR)/package-lock.json
	$(NPM) ci --prefix $(NODE_DIR) --no-audit --no-fund
	touch $@

node: $(NODE_DIR)/node_modules/.package-lock.json

# The browser tests (tests/e2e/) drive Debian's chromium through Playwright's executable_path: installed with
# apt when /usr/bin/chromium is missing (CI runs as root). Nothing downloads a browser: never `playwright install`.
chromium:
	@if [ ! -x /usr/bin/chromium ]; then \
	  echo "installing chromium with apt"; \
	  apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y chromium; \
	fi

# SAML federation (pysaml2) signs, verifies and decrypts with the xmlsec1 program; the SAML tests
# (tests/wire/test_saml.py) need it: installed with apt when missing, like chromium.
xmlsec1:
	@if ! command -v xmlsec1 >/dev/null 2>&1; then \
	  echo "installing xmlsec1 with apt"; \
	  apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y xmlsec1; \
	fi

# The PostgreSQL tests use the server at 127.0.0.1:5432; start the local cluster if it is not running.
postgres:
	@if ! pg_isready -q -h 127.0.0.1 -p 5432; then \
	  echo "starting PostgreSQL"; \
	  pg_ctlcluster --skip-systemctl-redirect $$(ls /etc/postgresql) main start; \
	  for i in $$(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done; \
	fi
	@pg_isready -h 127.0.0.1 -p 5432

## Benchmark userpools against moto and cognito-local (Cognito's API) and oidc-provider (OAuth client_credentials)
## and write docs/benchmarks.md (all scenarios, 1,000 users, concurrency 32, 20 s each: about 20 minutes); a quick
## check: make bench BENCH_ARGS="--duration 2 --users 50".
## Then the pytest plugin's start-up and per-test cost against moto's mock_aws (bench/plugin.py).
BENCH_ARGS ?=
bench: $(VENV)/.bench-installed others
	$(BIN)/python bench/compare.py $(BENCH_ARGS)
	$(BIN)/python bench/plugin.py --moto-python $(OTHERS)/moto/bin/python

## Group claims: the server's CPU per sign-in of a user in 10 groups against one in none (target: at most 5% more)
bench-groups: $(VENV)/.bench-installed
	$(BIN)/python bench/group_claims.py --out bench/results/group_claims_sqlite.json $(BENCH_GROUPS_ARGS)

# The servers `make bench` compares against, in bench/.others/ (git-ignored), each installed once: moto's
# server in a virtualenv of its own (its dependencies never meet ours), cognito-local and oidc-provider with npm. Pinned so
# that two reports compare the same servers; override e.g. MOTO_SPEC='moto[server]' for the newest.
OTHERS             := bench/.others
MOTO_SPEC          ?= moto[server]==5.2.5
COGNITO_LOCAL_SPEC ?= cognito-local@5.3.0
OIDC_PROVIDER_SPEC ?= oidc-provider@9.13.3
MINISTACK_SPEC     ?= ministack==1.5.33

$(OTHERS)/moto/.installed:
	rm -rf $(OTHERS)/moto
	$(PYTHON) -m venv $(OTHERS)/moto
	$(OTHERS)/moto/bin/python -m pip install -q --upgrade pip
	$(OTHERS)/moto/bin/python -m pip install -q '$(MOTO_SPEC)'
	touch $@

$(OTHERS)/cognito-local/.installed:
	mkdir -p $(OTHERS)/cognito-local
	$(NPM) install --prefix $(OTHERS)/cognito-local --no-audit --no-fund '$(COGNITO_LOCAL_SPEC)'
	touch $@

# oidc-provider, the OpenID-certified reference provider, for client_credentials (bench/oidc_provider_server.mjs)
$(OTHERS)/oidc-provider/.installed:
	mkdir -p $(OTHERS)/oidc-provider
	$(NPM) install --prefix $(OTHERS)/oidc-provider --no-audit --no-fund '$(OIDC_PROVIDER_SPEC)'
	touch $@

# ministack, the fastest emulator serving TOTP MFA (sign_in_totp), in a virtualenv of its own: it pins its own
# botocore; cryptography, or it signs its tokens with random bytes
$(OTHERS)/ministack/.installed:
	rm -rf $(OTHERS)/ministack
	$(PYTHON) -m venv $(OTHERS)/ministack
	$(OTHERS)/ministack/bin/python -m pip install -q --upgrade pip
	$(OTHERS)/ministack/bin/python -m pip install -q '$(MINISTACK_SPEC)' cryptography
	touch $@

others: $(OTHERS)/moto/.installed $(OTHERS)/cognito-local/.installed $(OTHERS)/oidc-provider/.installed \
	$(OTHERS)/ministack/.installed

lint: $(VENV)/.dev-installed
	$(BIN)/ruff check src tests

clean:
	rm -rf $(VENV) .userpools .pytest_cache $(NODE_DIR)/node_modules
