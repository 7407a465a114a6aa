# The two commands a new user needs: `make serve` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin

NPM      ?= npm
NODE_DIR := tests/node

.PHONY: serve test install dev postgres node lint clean

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

install: $(VENV)/.installed
dev: $(VENV)/.dev-installed

## Start the server on 127.0.0.1:9229 with its embedded SQLite store under ./.userpools/
serve: $(VENV)/.installed
	$(BIN)/userpools serve

## Install the dev extras and the JS clients, make sure PostgreSQL is up, run the whole suite
test: $(VENV)/.dev-installed postgres node
	$(BIN)/pytest

# The JavaScript clients the wire tests drive (pinned in tests/node/package-lock.json): installed when
# node_modules is missing, again whenever package.json or the lockfile changes.
$(NODE_DIR)/node_modules/.package-lock.json: $(NODE_DIR)/package.json $(NODE_DIR)/package-lock.json
	$(NPM) ci --prefix $(NODE_DIR) --no-audit --no-fund
	touch $@

node: $(NODE_DIR)/node_modules/.package-lock.json

# The PostgreSQL tests use the server at 127.0.0.1:5432; start the local cluster if it is not running.
postgres:
	@if ! pg_isready -q -h 127.0.0.1 -p 5432; then \
	  echo "starting PostgreSQL"; \
	  pg_ctlcluster --skip-systemctl-redirect $$(ls /etc/postgresql) main start; \
	  for i in $$(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done; \
	fi
	@pg_isready -h 127.0.0.1 -p 5432

lint: $(VENV)/.dev-installed
	$(BIN)/ruff check src tests

clean:
	rm -rf $(VENV) .userpools .pytest_cache $(NODE_DIR)/node_modules
