# Two entry points: `make serve` (run the service on its embedded defaults) and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PYTEST_WORKERS ?= 2
# make serve PORT=8080 HOST=0.0.0.0
HOST ?= 127.0.0.1
PORT ?= 8000
# What `make test` may take on 2 shared cores (measured: 23.5 minutes, 2,031 tests, with the
# machine's load average at 11 to 21; a quiet machine takes less).
TEST_BUDGET ?= 25 minutes
# The order of the tests (pytest-randomly): a new one each run unless given.
ifndef RANDOM_SEED
RANDOM_SEED := $(shell date +%s)
endif

.PHONY: serve test test-cluster install install-test lint bench clean chromium curl es-up es-down docs docs-serve lock

# Root installs what is missing from Debian's packages (CI runs as root); others are told.
APT_INSTALL = if [ "$$(id -u)" = 0 ]; then apt-get update -qq && \
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq

# Debian splits venv's pip bootstrap (ensurepip) into python3.X-venv: installed when missing.
# A half-made virtualenv (no pip: ensurepip failed) is made again.
VENV_PACKAGES = python3-venv $$($(PYTHON) -c 'import sys; print("python3.%d-venv" % sys.version_info[1])')
$(BIN)/pip:
	@$(PYTHON) -c "import ensurepip, venv" 2>/dev/null || { $(APT_INSTALL) $(VENV_PACKAGES); \
	else echo "$(PYTHON) cannot make a virtualenv: install python3-venv (apt-get install" \
	"python3-venv)." >&2; exit 1; fi; }
	@[ -x $(BIN)/pip ] || rm -rf $(VENV)
	$(PYTHON) -m venv $(VENV)

# The locked versions, every file checked against its hash (requirements/, made by `make lock`
# from pyproject.toml's ranges), then the project itself without dependencies.
PIP_INSTALL = $(BIN)/pip install --quiet --disable-pip-version-check

$(VENV)/.installed: requirements/runtime.txt pyproject.toml | $(BIN)/pip
	$(PIP_INSTALL) --require-hashes -r requirements/runtime.txt
	$(PIP_INSTALL) --no-deps -e .
	touch $@

$(VENV)/.installed-test: requirements/dev.txt pyproject.toml | $(BIN)/pip
	$(PIP_INSTALL) --require-hashes -r requirements/dev.txt
	$(PIP_INSTALL) --no-deps -e .
	touch $@ $(VENV)/.installed

# Lock again after changing a range in pyproject.toml (uv from PyPI, into the virtualenv).
UV_COMPILE = $(BIN)/uv pip compile pyproject.toml --universal --python-version 3.11 \
	--generate-hashes --quiet
lock: | $(BIN)/pip
	@[ -x $(BIN)/uv ] || $(PIP_INSTALL) "uv>=0.5,<0.14"
	$(UV_COMPILE) -o requirements/runtime.txt
	$(UV_COMPILE) --extra test --extra docs -o requirements/dev.txt

# The NHS.UK design system (served by the app) and axe-core (the browser tests), as locked.
node_modules/.installed: package.json package-lock.json
	@command -v npm >/dev/null 2>&1 || { $(APT_INSTALL) npm; \
	else echo "npm is missing: install Node.js and npm (apt-get install npm)." >&2; exit 1; fi; }
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

# Debian's Chromium for the browser tests (never a browser download).
chromium:
	@command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || \
	{ $(APT_INSTALL) chromium; else echo "Chromium is missing and installing it needs root" \
	"(apt-get install chromium): the browser tests will fail." >&2; fi; }

# curl runs the docs' examples in the tests (tests/docs), as a reader would.
curl:
	@command -v curl >/dev/null 2>&1 || { $(APT_INSTALL) curl; else echo "curl is missing and" \
	"installing it needs root (apt-get install curl): the docs' examples will fail." >&2; fi; }

install: $(VENV)/.installed node_modules/.installed
install-test: $(VENV)/.installed-test node_modules/.installed

serve: install
	$(BIN)/gpsoc init-db
	$(BIN)/gpsoc seed  # leaves the search index in step (builds it when there is none)
	$(BIN)/gpsoc serve --host $(HOST) --port $(PORT)

# Tests marked `cluster` stop and start search nodes: `make test-cluster` runs them alone.
# loadgroup keeps the browser tests on one worker: one Chromium for all of them.
test: install-test chromium curl
	@echo "make test: the whole suite, $(PYTEST_WORKERS) workers, in a random order" \
	"(RANDOM_SEED=$(RANDOM_SEED) replays it); budget $(TEST_BUDGET) on 2 shared cores" \
	"(started $$(date -u +%H:%M:%S) UTC)"
	$(BIN)/pytest -n $(PYTEST_WORKERS) --dist loadgroup -q -m "not cluster" \
	    --randomly-seed=$(RANDOM_SEED)

test-cluster: install-test
	$(BIN)/pytest -q -m cluster tests/search

# A local 3-node search cluster on 127.0.0.1:9200 (Java 17 + Maven; see elasticsearch/).
# Run the suite on it with ELASTICSEARCH_URL=http://127.0.0.1:9200.
es-up:
	elasticsearch/cluster up

es-down:
	elasticsearch/cluster down

# The docs site (docs/, mkdocs.yml): MkDocs with the Material theme (locked with the test
# tools in requirements/dev.txt); warnings are errors.
docs: install-test
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --quiet

docs-serve: install-test
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs serve --strict --dev-addr 127.0.0.1:8001

lint: install-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

bench: install-test
	$(BIN)/python -m benchmarks.run

clean:
	rm -rf $(VENV) data .pytest_cache node_modules test-output site
